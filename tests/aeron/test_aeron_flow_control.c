/*
 * Flow control through the driver: a stalled subscriber back-pressures the publisher after one term window while
 * a fast one keeps up, and both still get everything once the slow one resumes; a late subscriber joins at the
 * publication's current position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aeron_test_harness.h"

#define CHANNEL        "aeron:ipc?term-length=65536"
#define WINDOW         (65536 / 2)
#define MESSAGE_LENGTH 1000
#define TOTAL_MESSAGES 5000

static tp_test_driver_t driver;

typedef struct sub_args_stct
{
    int32_t stream_id;
    int go_fd; /* -1: poll from the start; else wait for one byte before polling */
    int ready_fd;
} sub_args_t;

typedef struct counter_state_stct
{
    uint64_t next;
    bool failed;
} counter_state_t;

static void on_message(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    counter_state_t *s = clientd;
    if (length != MESSAGE_LENGTH || !tp_test_message_check(buffer, length, s->next))
    {
        s->failed = true;
    }
    s->next++;
}

static int subscriber_main(void *arg)
{
    sub_args_t *args = arg;
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    aeron_subscription_t *sub = NULL;
    if (NULL == aeron || NULL == (sub = tp_test_add_subscription(aeron, CHANNEL, args->stream_id, NULL, NULL, NULL)))
    {
        return 30;
    }
    char byte = 'r';
    if (1 != write(args->ready_fd, &byte, 1))
    {
        return 31;
    }
    if (args->go_fd >= 0 && 1 != read(args->go_fd, &byte, 1))
    {
        return 32;
    }
    counter_state_t s = {0};
    int64_t deadline = tp_test_now_ms() + 40000;
    while (s.next < TOTAL_MESSAGES && !s.failed && tp_test_now_ms() < deadline)
    {
        aeron_subscription_poll(sub, on_message, &s, 10);
    }
    tp_test_client_close(aeron, ctx);
    return s.failed ? 33 : (s.next == TOTAL_MESSAGES ? 0 : 34);
}

static int64_t offer_once(aeron_publication_t *pub, uint64_t i)
{
    uint8_t buffer[MESSAGE_LENGTH];
    tp_test_message_fill(buffer, sizeof(buffer), i);
    return aeron_publication_offer(pub, buffer, sizeof(buffer), NULL, NULL);
}

static void test_slow_subscriber_back_pressures_after_a_term_window(void **state)
{
    int ready[2];
    int go[2];
    assert_int_equal(0, pipe(ready));
    assert_int_equal(0, pipe(go));
    sub_args_t slow = {.stream_id = 3001, .go_fd = go[0], .ready_fd = ready[1]};
    sub_args_t fast = {.stream_id = 3001, .go_fd = -1, .ready_fd = ready[1]};
    pid_t slow_pid = tp_test_spawn(subscriber_main, &slow);
    pid_t fast_pid = tp_test_spawn(subscriber_main, &fast);
    char byte;
    assert_int_equal(1, read(ready[0], &byte, 1));
    assert_int_equal(1, read(ready[0], &byte, 1));

    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    assert_non_null(aeron);
    aeron_publication_t *pub = tp_test_add_publication(aeron, CHANNEL, 3001);
    assert_non_null(pub);
    int64_t deadline = tp_test_now_ms() + 10000;
    while (aeron_publication_position_limit(pub) < WINDOW && tp_test_now_ms() < deadline)
    {
        tp_test_sleep_ms(1); /* both subscribers linked: the limit opens to one window */
    }

    /* The slow subscriber has consumed nothing, so the publisher must stop at its position (0) + one window. */
    uint64_t i = 0;
    int64_t result;
    while ((result = offer_once(pub, i)) > 0)
    {
        i++;
        assert_true(i < TOTAL_MESSAGES);
    }
    assert_int_equal(AERON_PUBLICATION_BACK_PRESSURED, result);
    int64_t position = aeron_publication_position(pub);
    assert_true(position >= WINDOW);
    assert_true(position < WINDOW + 1056);
    /* It stays back-pressured while the slow one is stalled, however fast the other reads. */
    tp_test_sleep_ms(200);
    assert_int_equal(AERON_PUBLICATION_BACK_PRESSURED, offer_once(pub, i));

    byte = 'g';
    assert_int_equal(1, write(go[1], &byte, 1));
    while (i < TOTAL_MESSAGES && tp_test_now_ms() < deadline + 30000)
    {
        result = offer_once(pub, i);
        if (result > 0)
        {
            i++;
        }
        else
        {
            assert_true(AERON_PUBLICATION_BACK_PRESSURED == result || AERON_PUBLICATION_ADMIN_ACTION == result);
        }
    }
    assert_int_equal(TOTAL_MESSAGES, i);
    assert_int_equal(0, tp_test_wait(fast_pid, 40000));
    assert_int_equal(0, tp_test_wait(slow_pid, 40000));
    aeron_publication_close(pub, NULL, NULL);
    tp_test_client_close(aeron, ctx);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}

static int available_images;

static void on_available(void *clientd, aeron_subscription_t *subscription, aeron_image_t *image)
{
    available_images++;
}

static void test_late_subscriber_joins_at_current_position(void **state)
{
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    assert_non_null(aeron);
    aeron_subscription_t *early = tp_test_add_subscription(aeron, CHANNEL, 3002, NULL, NULL, NULL);
    aeron_publication_t *pub = tp_test_add_publication(aeron, CHANNEL, 3002);
    assert_non_null(early);
    assert_non_null(pub);
    assert_true(tp_test_await_images(aeron, early, 1, 5000));

    counter_state_t early_state = {0};
    for (uint64_t i = 0; i < 100; i++)
    {
        while (offer_once(pub, i) < 0)
        {
            aeron_subscription_poll(early, on_message, &early_state, 10); /* 100 KB > one window */
        }
    }
    int64_t deadline = tp_test_now_ms() + 5000;
    while (early_state.next < 100 && tp_test_now_ms() < deadline)
    {
        aeron_subscription_poll(early, on_message, &early_state, 10);
    }
    assert_int_equal(100, early_state.next);
    assert_false(early_state.failed);
    int64_t position = aeron_publication_position(pub);

    aeron_subscription_t *late = tp_test_add_subscription(aeron, CHANNEL, 3002, on_available, NULL, NULL);
    assert_non_null(late);
    assert_true(tp_test_await_images(aeron, late, 1, 5000));
    assert_int_equal(1, available_images);
    aeron_image_t *image = aeron_subscription_image_at_index(late, 0);
    assert_non_null(image);
    aeron_image_constants_t constants;
    assert_int_equal(0, aeron_image_constants(image, &constants));
    assert_int_equal(position, constants.join_position);
    assert_int_equal(position, aeron_image_position(image));
    aeron_subscription_image_release(late, image);

    for (uint64_t i = 100; i < 110; i++)
    {
        while (offer_once(pub, i) < 0)
        {
        }
        aeron_subscription_poll(early, on_message, &early_state, 10);
    }
    counter_state_t late_state = {.next = 100};
    deadline = tp_test_now_ms() + 5000;
    while (late_state.next < 110 && tp_test_now_ms() < deadline)
    {
        aeron_subscription_poll(late, on_message, &late_state, 10);
    }
    assert_int_equal(110, late_state.next);
    assert_false(late_state.failed);

    aeron_subscription_close(late, NULL, NULL);
    aeron_subscription_close(early, NULL, NULL);
    aeron_publication_close(pub, NULL, NULL);
    tp_test_client_close(aeron, ctx);
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
        cmocka_unit_test(test_slow_subscriber_back_pressures_after_a_term_window),
        cmocka_unit_test(test_late_subscriber_joins_at_current_position),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
