/*
 * Publication API against the driver, in one process with the conductor in invoker mode: try_claim commit and
 * abort, offerv gathering (also across fragments), reserved values, status codes and close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron_test_harness.h"

static tp_test_driver_t driver;
static aeron_context_t *ctx;
static aeron_t *aeron;

typedef struct received_stct
{
    int count;
    size_t lengths[16];
    uint8_t data[16][8192];
    int64_t reserved[16];
    int64_t positions[16];
} received_t;

static void on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    received_t *r = clientd;
    if (r->count < 16)
    {
        aeron_header_values_t values;
        aeron_header_values(header, &values);
        r->lengths[r->count] = length;
        memcpy(r->data[r->count], buffer, length < 8192 ? length : 8192);
        r->reserved[r->count] = values.frame.reserved_value;
        r->positions[r->count] = aeron_header_position(header);
    }
    r->count++;
}

static void poll_until(aeron_subscription_t *sub, aeron_fragment_handler_t handler, void *clientd, int *count,
                       int expected)
{
    int64_t deadline = tp_test_now_ms() + 5000;
    while (*count < expected && tp_test_now_ms() < deadline)
    {
        aeron_main_do_work(aeron);
        aeron_subscription_poll(sub, handler, clientd, 10);
    }
}

static void connect_pair(int32_t stream, aeron_publication_t **pub, aeron_subscription_t **sub)
{
    *sub = tp_test_add_subscription(aeron, "aeron:ipc", stream, NULL, NULL, NULL);
    *pub = tp_test_add_publication(aeron, "aeron:ipc", stream);
    assert_non_null(*sub);
    assert_non_null(*pub);
    assert_true(tp_test_await_images(aeron, *sub, 1, 5000));
    int64_t deadline = tp_test_now_ms() + 5000;
    while (!aeron_publication_is_connected(*pub) && tp_test_now_ms() < deadline)
    {
        aeron_main_do_work(aeron);
    }
    assert_true(aeron_publication_is_connected(*pub));
}

static void test_try_claim_commit_and_abort(void **state)
{
    aeron_publication_t *pub;
    aeron_subscription_t *sub;
    connect_pair(5001, &pub, &sub);

    aeron_buffer_claim_t claim;
    assert_true(aeron_publication_try_claim(pub, 5, &claim) > 0);
    assert_int_equal(5, claim.length);
    memcpy(claim.data, "first", 5);
    assert_int_equal(0, aeron_buffer_claim_commit(&claim));

    int64_t aborted_end = aeron_publication_try_claim(pub, 6, &claim);
    assert_true(aborted_end > 0);
    memcpy(claim.data, "second", 6);
    assert_int_equal(0, aeron_buffer_claim_abort(&claim));

    int64_t last = aeron_publication_try_claim(pub, 5, &claim);
    assert_true(last > aborted_end);
    memcpy(claim.data, "third", 5);
    assert_int_equal(0, aeron_buffer_claim_commit(&claim));

    received_t r = {0};
    poll_until(sub, on_fragment, &r, &r.count, 2);
    assert_int_equal(2, r.count); /* the aborted claim became padding and is skipped */
    assert_memory_equal("first", r.data[0], 5);
    assert_memory_equal("third", r.data[1], 5);
    assert_int_equal(last, r.positions[1]);
    aeron_main_do_work(aeron);
    assert_int_equal(last, aeron_publication_position(pub));

    /* Claims are limited to one frame. */
    aeron_publication_constants_t constants;
    assert_int_equal(0, aeron_publication_constants(pub, &constants));
    assert_int_equal(AERON_PUBLICATION_ERROR,
                     aeron_publication_try_claim(pub, constants.max_payload_length + 1, &claim));

    aeron_publication_close(pub, NULL, NULL);
    aeron_subscription_close(sub, NULL, NULL);
}

static int64_t supply_reserved(void *clientd, uint8_t *buffer, size_t frame_length)
{
    return 0x1122334455667788LL + (int64_t)frame_length;
}

static void test_offerv_gathers_vectors(void **state)
{
    aeron_publication_t *pub;
    aeron_subscription_t *sub;
    connect_pair(5002, &pub, &sub);

    uint8_t a[3] = {'a', 'b', 'c'};
    uint8_t b[1] = {'d'};
    uint8_t c[4] = {'e', 'f', 'g', 'h'};
    aeron_iovec_t iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
    int64_t end = aeron_publication_offerv(pub, iov, 3, supply_reserved, NULL);
    assert_true(end > 0);

    /* Larger than one frame: the vectors are split across fragments and reassembled. */
    static uint8_t big1[2000];
    static uint8_t big2[1500];
    for (size_t i = 0; i < sizeof(big1); i++)
    {
        big1[i] = (uint8_t)i;
    }
    for (size_t i = 0; i < sizeof(big2); i++)
    {
        big2[i] = (uint8_t)(i * 3);
    }
    aeron_iovec_t big[2] = {{big1, sizeof(big1)}, {big2, sizeof(big2)}};
    int64_t big_end = aeron_publication_offerv(pub, big, 2, NULL, NULL);
    assert_true(big_end > end);

    received_t r = {0};
    aeron_fragment_assembler_t *assembler = NULL;
    assert_int_equal(0, aeron_fragment_assembler_create(&assembler, on_fragment, &r));
    poll_until(sub, aeron_fragment_assembler_handler, assembler, &r.count, 2);
    assert_int_equal(2, r.count);
    assert_int_equal(8, r.lengths[0]);
    assert_memory_equal("abcdefgh", r.data[0], 8);
    assert_int_equal(0x1122334455667788LL + 40, r.reserved[0]);
    assert_int_equal(end, r.positions[0]);
    assert_int_equal(3500, r.lengths[1]);
    assert_memory_equal(big1, r.data[1], sizeof(big1));
    assert_memory_equal(big2, r.data[1] + sizeof(big1), sizeof(big2));
    assert_int_equal(big_end, r.positions[1]);
    aeron_fragment_assembler_delete(assembler);

    aeron_publication_close(pub, NULL, NULL);
    aeron_subscription_close(sub, NULL, NULL);
}

static void test_status_codes_and_close(void **state)
{
    aeron_publication_t *pub = tp_test_add_publication(aeron, "aeron:ipc", 5003);
    assert_non_null(pub);
    uint8_t byte = 7;
    assert_false(aeron_publication_is_connected(pub));
    assert_int_equal(AERON_PUBLICATION_NOT_CONNECTED, aeron_publication_offer(pub, &byte, 1, NULL, NULL));
    assert_int_equal(-1, aeron_publication_channel_status(pub)); /* IPC has no channel-status counter */

    aeron_publication_constants_t constants;
    assert_int_equal(0, aeron_publication_constants(pub, &constants));
    assert_int_equal(5003, constants.stream_id);
    assert_int_equal(constants.term_buffer_length / 8, constants.max_message_length);
    /* A message above the maximum is refused once there is room to write it. */
    aeron_subscription_t *sub = tp_test_add_subscription(aeron, "aeron:ipc", 5003, NULL, NULL, NULL);
    assert_non_null(sub);
    int64_t deadline = tp_test_now_ms() + 5000;
    while (aeron_publication_position_limit(pub) <= aeron_publication_position(pub) && tp_test_now_ms() < deadline)
    {
        aeron_main_do_work(aeron);
    }
    static uint8_t huge[1 << 20];
    assert_true(constants.max_message_length < sizeof(huge));
    assert_int_equal(AERON_PUBLICATION_ERROR,
                     aeron_publication_offer(pub, huge, constants.max_message_length + 1, NULL, NULL));
    aeron_subscription_close(sub, NULL, NULL);

    assert_int_equal(0, aeron_publication_close(pub, NULL, NULL));
    /* Closed: the handle stays valid for a linger period and reports CLOSED. */
    assert_true(aeron_publication_is_closed(pub));
    assert_int_equal(AERON_PUBLICATION_CLOSED, aeron_publication_offer(pub, &byte, 1, NULL, NULL));
    assert_int_equal(0, aeron_publication_close(pub, NULL, NULL)); /* a second close is a no-op */

    aeron_async_add_publication_t *async = NULL;
    aeron_publication_t *bad = NULL;
    assert_int_equal(0, aeron_async_add_publication(&async, aeron, "aeron:ipcx", 5004));
    int rc;
    deadline = tp_test_now_ms() + 5000;
    while (0 == (rc = aeron_async_add_publication_poll(&bad, async)) && tp_test_now_ms() < deadline)
    {
        aeron_main_do_work(aeron);
    }
    assert_int_equal(-1, rc); /* the driver's ON_ERROR reaches the poll */
    assert_null(bad);
    assert_true(strlen(aeron_errmsg()) > 0);
}

static void test_exclusive_publication_rotates_terms(void **state)
{
    aeron_subscription_t *sub = tp_test_add_subscription(aeron, "aeron:ipc?term-length=65536", 5005, NULL, NULL, NULL);
    aeron_exclusive_publication_t *pub = tp_test_add_exclusive_publication(aeron, "aeron:ipc?term-length=65536", 5005);
    assert_non_null(sub);
    assert_non_null(pub);
    assert_true(tp_test_await_images(aeron, sub, 1, 5000));
    aeron_main_do_work(aeron);

    uint8_t message[1000];
    int received = 0;
    int sent = 0;
    int admin = 0;
    int64_t deadline = tp_test_now_ms() + 10000;
    /* 400 KB through 64 KiB terms: several rotations, each reported once as ADMIN_ACTION. */
    while (received < 400 && tp_test_now_ms() < deadline)
    {
        if (sent < 400)
        {
            memset(message, sent, sizeof(message));
            int64_t rc = aeron_exclusive_publication_offer(pub, message, sizeof(message), NULL, NULL);
            if (rc > 0)
            {
                sent++;
            }
            else if (AERON_PUBLICATION_ADMIN_ACTION == rc)
            {
                admin++;
            }
        }
        received_t r = {0};
        aeron_subscription_poll(sub, on_fragment, &r, 10);
        for (int i = 0; i < r.count && i < 16; i++)
        {
            assert_int_equal(1000, r.lengths[i]);
            assert_int_equal((uint8_t)(received + i), r.data[i][999]);
        }
        received += r.count;
        aeron_main_do_work(aeron);
    }
    assert_int_equal(400, received);
    assert_true(admin >= 5);
    assert_int_equal(aeron_exclusive_publication_position(pub),
                     aeron_image_position(aeron_subscription_image_at_index(sub, 0)));
    aeron_subscription_image_release(sub, aeron_subscription_image_at_index(sub, 0));
    aeron_subscription_image_release(sub, aeron_subscription_image_at_index(sub, 0));
    aeron_exclusive_publication_close(pub, NULL, NULL);
    aeron_subscription_close(sub, NULL, NULL);
}

static void test_counter_added_read_and_removed(void **state)
{
    const uint8_t key[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const char *label = "tensorpool test counter";
    aeron_async_add_counter_t *async = NULL;
    aeron_counter_t *counter = NULL;
    assert_int_equal(0, aeron_async_add_counter(&async, aeron, 1001, key, sizeof(key), label, strlen(label)));
    int64_t registration_id = aeron_async_add_counter_get_registration_id(async);
    int rc;
    int64_t deadline = tp_test_now_ms() + 5000;
    while (0 == (rc = aeron_async_add_counter_poll(&counter, async)) && tp_test_now_ms() < deadline)
    {
        aeron_main_do_work(aeron);
    }
    assert_int_equal(1, rc);
    assert_non_null(counter);
    aeron_counter_constants_t constants;
    assert_int_equal(0, aeron_counter_constants(counter, &constants));
    assert_int_equal(registration_id, constants.registration_id);

    *aeron_counter_addr(counter) = 4242;
    aeron_counters_reader_t *reader = aeron_counters_reader(aeron);
    assert_int_equal(constants.counter_id,
                     aeron_counters_reader_find_by_type_id_and_registration_id(reader, 1001, registration_id));
    assert_int_equal(4242, *aeron_counters_reader_addr(reader, constants.counter_id));
    char text[128];
    int length = aeron_counters_reader_counter_label(reader, constants.counter_id, text, sizeof(text));
    assert_int_equal(strlen(label), length);
    assert_memory_equal(label, text, (size_t)length);
    uint8_t *stored_key = NULL;
    assert_int_equal(0, aeron_counters_reader_metadata_key(reader, constants.counter_id, &stored_key));
    assert_memory_equal(key, stored_key, sizeof(key));
    int64_t owner = 0;
    assert_int_equal(0, aeron_counters_reader_counter_owner_id(reader, constants.counter_id, &owner));
    assert_int_equal(aeron_client_id(aeron), owner);

    assert_false(aeron_counter_is_closed(counter));
    assert_int_equal(0, aeron_counter_close(counter, NULL, NULL));
    assert_true(aeron_counter_is_closed(counter));
    int32_t state_value = AERON_COUNTER_RECORD_ALLOCATED;
    deadline = tp_test_now_ms() + 5000;
    while (AERON_COUNTER_RECORD_ALLOCATED == state_value && tp_test_now_ms() < deadline)
    {
        aeron_main_do_work(aeron);
        assert_int_equal(0, aeron_counters_reader_counter_state(reader, constants.counter_id, &state_value));
    }
    assert_int_equal(AERON_COUNTER_RECORD_RECLAIMED, state_value); /* the driver freed it */
}

static int setup(void **state)
{
    if (tp_test_driver_start(&driver, "5s", NULL) < 0)
    {
        return -1;
    }
    aeron = tp_test_client_connect(driver.dir, 10000, true, &ctx);
    return NULL == aeron ? -1 : 0;
}

static int teardown(void **state)
{
    tp_test_client_close(aeron, ctx);
    tp_test_driver_stop(&driver);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_try_claim_commit_and_abort),
        cmocka_unit_test(test_offerv_gathers_vectors),
        cmocka_unit_test(test_status_codes_and_close),
        cmocka_unit_test(test_exclusive_publication_rotates_terms),
        cmocka_unit_test(test_counter_added_read_and_removed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
