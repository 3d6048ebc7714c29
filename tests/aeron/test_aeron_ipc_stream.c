/*
 * Streams across processes over aeron:ipc through the media driver: every message arrives once, complete and in
 * order, including messages larger than the MTU and across many term rotations (64 KiB terms).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron_test_harness.h"

#define STREAM_CHANNEL "aeron:ipc?term-length=65536"
#define LARGE_EVERY    100
#define LARGE_SIZE     7000

static tp_test_driver_t driver;

typedef struct stream_args_stct
{
    int32_t stream_id;
    uint64_t messages;
    int publishers; /* number of concurrent publishing processes tagging their messages */
    int publisher_index;
    bool exclusive;
    bool use_claim;
} stream_args_t;

static uint64_t tag_of(int publisher, uint64_t i)
{
    return ((uint64_t)publisher << 40) | i;
}

static int64_t offer_until_done(void *publication, bool exclusive, const uint8_t *buffer, size_t length)
{
    for (;;)
    {
        int64_t rc = exclusive ? aeron_exclusive_publication_offer(publication, buffer, length, NULL, NULL)
                               : aeron_publication_offer(publication, buffer, length, NULL, NULL);
        if (rc > 0 || AERON_PUBLICATION_CLOSED == rc || AERON_PUBLICATION_ERROR == rc ||
            AERON_PUBLICATION_MAX_POSITION_EXCEEDED == rc)
        {
            return rc;
        }
    }
}

static int claim_until_done(aeron_exclusive_publication_t *publication, const uint8_t *buffer, size_t length)
{
    aeron_buffer_claim_t claim;
    for (;;)
    {
        int64_t rc = aeron_exclusive_publication_try_claim(publication, length, &claim);
        if (rc > 0)
        {
            memcpy(claim.data, buffer, length);
            return aeron_buffer_claim_commit(&claim);
        }
        if (AERON_PUBLICATION_CLOSED == rc || AERON_PUBLICATION_ERROR == rc)
        {
            return -1;
        }
    }
}

static int publisher_main(void *arg)
{
    stream_args_t *args = arg;
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    if (NULL == aeron)
    {
        return 10;
    }
    void *publication = args->exclusive
                            ? (void *)tp_test_add_exclusive_publication(aeron, STREAM_CHANNEL, args->stream_id)
                            : (void *)tp_test_add_publication(aeron, STREAM_CHANNEL, args->stream_id);
    if (NULL == publication)
    {
        return 11;
    }
    static uint8_t buffer[LARGE_SIZE];
    int status = 0;
    for (uint64_t i = 0; i < args->messages; i++)
    {
        size_t length = tp_test_message_size(i, LARGE_EVERY, LARGE_SIZE);
        tp_test_message_fill(buffer, length, tag_of(args->publisher_index, i));
        if (args->use_claim && length <= 1376)
        {
            if (claim_until_done(publication, buffer, length) < 0)
            {
                status = 12;
                break;
            }
        }
        else if (offer_until_done(publication, args->exclusive, buffer, length) < 0)
        {
            fprintf(stderr, "offer %llu failed: %s\n", (unsigned long long)i, aeron_errmsg());
            status = 13;
            break;
        }
    }
    /* Stay until the subscriber has everything: closing drains the log and ends the image. */
    tp_test_sleep_ms(200);
    tp_test_client_close(aeron, ctx);
    return status;
}

typedef struct receiver_stct
{
    uint64_t next[4];
    uint64_t received;
    int publishers;
    bool failed;
} receiver_t;

static void on_message(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    receiver_t *r = clientd;
    uint64_t tag;
    memcpy(&tag, buffer, sizeof(tag));
    int publisher = (int)(tag >> 40);
    if (publisher >= r->publishers)
    {
        r->failed = true;
        return;
    }
    uint64_t i = r->next[publisher];
    if (length != tp_test_message_size(i, LARGE_EVERY, LARGE_SIZE) ||
        !tp_test_message_check(buffer, length, tag_of(publisher, i)))
    {
        if (!r->failed)
        {
            fprintf(stderr, "publisher %d message %llu: wrong length %zu or content (tag %llx)\n", publisher,
                    (unsigned long long)i, length, (unsigned long long)tag);
        }
        r->failed = true;
    }
    r->next[publisher]++;
    r->received++;
}

static int subscriber_main(void *arg)
{
    stream_args_t *args = arg;
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    if (NULL == aeron)
    {
        return 20;
    }
    aeron_subscription_t *subscription =
        tp_test_add_subscription(aeron, STREAM_CHANNEL, args->stream_id, NULL, NULL, NULL);
    aeron_fragment_assembler_t *assembler = NULL;
    receiver_t r = {.publishers = args->publishers};
    if (NULL == subscription || aeron_fragment_assembler_create(&assembler, on_message, &r) < 0)
    {
        return 21;
    }
    uint64_t total = args->messages * (uint64_t)args->publishers;
    int64_t deadline = tp_test_now_ms() + 120000; /* generous: a loaded 2-core machine is slow, not broken */
    while (r.received < total && !r.failed && tp_test_now_ms() < deadline)
    {
        if (aeron_subscription_poll(subscription, aeron_fragment_assembler_handler, assembler, 100) < 0)
        {
            return 22;
        }
    }
    int status = r.failed ? 23 : (r.received == total ? 0 : 24);
    if (24 == status)
    {
        fprintf(stderr, "received %llu of %llu\n", (unsigned long long)r.received, (unsigned long long)total);
    }
    aeron_fragment_assembler_delete(assembler);
    tp_test_client_close(aeron, ctx);
    return status;
}

static void run_stream(stream_args_t *args)
{
    pid_t subscriber = tp_test_spawn(subscriber_main, args);
    pid_t publishers[4];
    for (int p = 0; p < args->publishers; p++)
    {
        stream_args_t *mine = malloc(sizeof(*mine));
        *mine = *args;
        mine->publisher_index = p;
        publishers[p] = tp_test_spawn(publisher_main, mine);
        free(mine);
    }
    for (int p = 0; p < args->publishers; p++)
    {
        assert_int_equal(0, tp_test_wait(publishers[p], 125000));
    }
    assert_int_equal(0, tp_test_wait(subscriber, 125000));
}

static void test_million_mixed_messages_in_order(void **state)
{
    stream_args_t args = {.stream_id = 2001, .messages = 1000000, .publishers = 1};
    run_stream(&args);
}

static void test_exclusive_publication_with_try_claim(void **state)
{
    stream_args_t args = {.stream_id = 2002, .messages = 200000, .publishers = 1, .exclusive = true, .use_claim = true};
    run_stream(&args);
}

static void test_two_processes_publish_concurrently(void **state)
{
    stream_args_t args = {.stream_id = 2003, .messages = 200000, .publishers = 2};
    run_stream(&args);
}

static int setup(void **state)
{
    return tp_test_driver_start(&driver, "5s", NULL);
}

static int teardown(void **state)
{
    tp_test_driver_stop(&driver);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_million_mixed_messages_in_order),
        cmocka_unit_test(test_exclusive_publication_with_try_claim),
        cmocka_unit_test(test_two_processes_publish_concurrently),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
