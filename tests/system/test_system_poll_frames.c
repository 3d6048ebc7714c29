/*
 * tp_consumer_poll_frames (the binding entry point): frames copied into the caller's array instead of a handler
 * call, never more than the capacity and none lost however small the capacity, every copy verifiable and intact;
 * a capacity below TP_CONSUMER_POLL_SOURCES refused naming it; the config's handler in force again afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system_test_util.h"

#define FRAMES 60

typedef struct world_stct
{
    tp_client_t *client;
    tp_producer_t *producer;
    tp_consumer_t *consumer;
    st_frame_counts_t handler_counts; /* frames the config's handler saw */
} world_t;

static bool world_ready(void *arg)
{
    world_t *w = arg;
    tp_consumer_poll(w->consumer, NULL, NULL, 0);
    return tp_consumer_is_mapped(w->consumer) && 1 == tp_producer_consumer_count(w->producer);
}

static void offer_frames(world_t *w, int count)
{
    static uint8_t scratch[8192];
    for (int i = 0; i < count; i++)
    {
        uint64_t seq = tp_producer_next_seq(w->producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        st_frame_fill(scratch, seq);
        int rc = tp_producer_offer(w->producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq));
        assert_true(TP_PRODUCER_OK == rc || TP_PRODUCER_BACK_PRESSURE == rc);
        tp_producer_poll(w->producer, 0);
        tp_client_do_work(w->client);
    }
}

/* Drain with the given capacity until FRAMES frames arrived; every batch within capacity, seqs consecutive. */
static void drain(world_t *w, size_t capacity, uint64_t first_seq)
{
    tp_consumer_frame_t frames[64];
    assert_true(capacity <= 64);
    uint64_t next = first_seq;
    int64_t deadline = tp_test_now_ms() + 10000;
    while (next < first_seq + FRAMES && tp_test_now_ms() < deadline)
    {
        size_t count = 99;
        int work = tp_consumer_poll_frames(w->consumer, frames, capacity, &count);
        assert_true(work >= 0);
        assert_true(count <= capacity);
        for (size_t i = 0; i < count; i++)
        {
            assert_int_equal(next, frames[i].seq);
            assert_true(st_frame_check(&frames[i]));
            next++;
        }
        /* The copies stay readable and intact until the next poll (the producer is idle). */
        for (size_t i = 0; i < count; i++)
        {
            assert_true(tp_consumer_frame_is_intact(&frames[i]));
        }
        tp_client_do_work(w->client);
        tp_producer_poll(w->producer, 0);
    }
    assert_int_equal(first_seq + FRAMES, next);
}

static void test_poll_frames(void **state)
{
    (void)state;
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    char shm_dir[256];
    st_scratch_dir(shm_dir, sizeof(shm_dir));
    world_t w;
    memset(&w, 0, sizeof(w));
    w.client = st_client(driver.dir, shm_dir, TP_CLIENT_MODE_INVOKER);

    tp_producer_config_t pcfg;
    tp_producer_config_init(&pcfg);
    pcfg.stream_id = 9;
    pcfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    pcfg.header_nslots = 256; /* no frame is overwritten while it waits to be drained */
    assert_int_equal(0, tp_producer_start(&w.producer, w.client, &pcfg));
    tp_consumer_config_t ccfg;
    tp_consumer_config_init(&ccfg);
    ccfg.stream_id = 9;
    ccfg.consumer_id = 3;
    ccfg.on_frame = st_frame_count;
    ccfg.clientd = &w.handler_counts;
    assert_int_equal(0, tp_consumer_start(&w.consumer, w.client, &ccfg));
    assert_true(st_poll_producer_until(w.client, w.producer, world_ready, &w, 10000));
    assert_int_equal(0, w.handler_counts.verified + w.handler_counts.bad);

    tp_consumer_frame_t few[TP_CONSUMER_POLL_SOURCES];
    size_t count = 7;
    assert_int_equal(-1, tp_consumer_poll_frames(w.consumer, few, TP_CONSUMER_POLL_SOURCES - 1, &count));
    assert_int_equal(0, count);
    assert_non_null(strstr(tp_errmsg(), "capacity 5"));

    /* The smallest capacity (one fragment per subscription) and a larger one both deliver every frame. */
    uint64_t first = tp_producer_next_seq(w.producer);
    offer_frames(&w, FRAMES);
    drain(&w, TP_CONSUMER_POLL_SOURCES, first);
    first = tp_producer_next_seq(w.producer);
    offer_frames(&w, FRAMES);
    drain(&w, 64, first);
    assert_int_equal(0, w.handler_counts.verified + w.handler_counts.bad);
    assert_int_equal(2 * FRAMES, tp_consumer_counters(w.consumer)->frames_accepted);

    /* A plain poll afterwards hands frames to the config's handler again. */
    offer_frames(&w, 5);
    int64_t deadline = tp_test_now_ms() + 10000;
    while (w.handler_counts.verified + w.handler_counts.bad < 5 && tp_test_now_ms() < deadline)
    {
        tp_consumer_poll(w.consumer, NULL, NULL, 0);
        tp_client_do_work(w.client);
        tp_producer_poll(w.producer, 0);
    }
    assert_int_equal(5, w.handler_counts.verified);
    assert_int_equal(0, w.handler_counts.bad);

    st_world_close(w.client, w.producer, w.consumer, &driver, shm_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_frames),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
