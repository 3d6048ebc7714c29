/*
 * FrameProgress over Aeron (wire spec §10.2.2): a consumer that supports progress sends its hints in ConsumerHello;
 * the producer fills a claimed frame chunk by chunk and reports progress; the consumer must see STARTED, then
 * PROGRESS with non-decreasing bytes, then COMPLETE, and the throttling must follow the hints exactly. The cores
 * run on a test clock that is frozen while a frame is filled, so the expected messages are exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_clock.h"
#include "system_test_util.h"

#define STREAM_ID     15
#define FRAME_BYTES   (256 * 1024)
#define CHUNK         4096
#define HINT_INTERVAL 10000 /* us */
#define HINT_BYTES    32768
#define EVENTS_MAX    256

/* Real time plus an offset, or frozen at one value while the test steps it by hand. */
static bool clock_frozen;
static uint64_t clock_frozen_ns;
static int64_t clock_offset_ns;

static uint64_t test_clock(void *clientd)
{
    (void)clientd;
    return clock_frozen ? clock_frozen_ns : (uint64_t)((int64_t)tp_clock_monotonic_ns() + clock_offset_ns);
}

static void clock_freeze(void)
{
    clock_frozen_ns = test_clock(NULL);
    clock_frozen = true;
}

static void clock_thaw(void)
{
    clock_offset_ns = (int64_t)clock_frozen_ns - (int64_t)tp_clock_monotonic_ns();
    clock_frozen = false;
}

typedef struct recorder_stct
{
    tp_consumer_progress_t events[EVENTS_MAX];
    size_t count;
    uint64_t frames;
    uint64_t bad;
    uint64_t last_frame;
} recorder_t;

static recorder_t recorder;

static void on_progress(void *clientd, const tp_consumer_progress_t *progress)
{
    recorder_t *r = clientd;
    if (r->count < EVENTS_MAX)
    {
        r->events[r->count++] = *progress;
    }
}

static uint8_t byte_at(uint64_t seq, size_t i)
{
    return (uint8_t)(seq * 31 + i * 7 + (i >> 12));
}

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    recorder_t *r = clientd;
    bool ok = FRAME_BYTES == frame->payload_length;
    for (size_t i = 0; ok && i < frame->payload_length; i++)
    {
        ok = frame->payload[i] == byte_at(frame->seq, i);
    }
    if (ok && tp_consumer_frame_is_intact(frame))
    {
        r->frames++;
        r->last_frame = frame->seq;
    }
    else
    {
        r->bad++;
    }
}

typedef struct fixture_stct
{
    tp_test_driver_t driver;
    char shm_dir[256];
    tp_client_t *client;
    tp_producer_t *producer;
    tp_consumer_t *consumer;
} fixture_t;

static void pump(fixture_t *f, int64_t ms)
{
    st_pump(f->client, f->producer, f->consumer, on_frame, &recorder, ms);
}

static bool hints_applied(void *arg)
{
    fixture_t *f = arg;
    uint64_t interval = 0, bytes = 0;
    tp_producer_core_progress_policy(tp_producer_core(f->producer), &interval, &bytes);
    /* Keep the consumer side moving too while the producer waits for its hello. */
    tp_consumer_poll(f->consumer, on_frame, &recorder, 0);
    return tp_consumer_is_mapped(f->consumer) && tp_producer_consumer_count(f->producer) == 1 &&
           interval == HINT_INTERVAL * UINT64_C(1000) && bytes == HINT_BYTES;
}

static void desc_bytes(tp_tensor_desc_t *desc)
{
    memset(desc, 0, sizeof(*desc));
    desc->dtype = TP_DTYPE_UINT8;
    desc->major_order = TP_MAJOR_ORDER_ROW;
    desc->ndims = 1;
    desc->dims[0] = FRAME_BYTES;
}

/* Claim, fill chunk by chunk with the clock stepped by step_us per chunk, report progress, commit. */
static uint64_t fill_frame(fixture_t *f, uint64_t step_us)
{
    tp_tensor_desc_t desc;
    desc_bytes(&desc);
    clock_freeze();
    tp_producer_claim_t claim;
    assert_int_equal(TP_PRODUCER_OK, tp_producer_claim(f->producer, FRAME_BYTES, &desc, &claim));
    for (size_t off = 0; off < FRAME_BYTES; off += CHUNK)
    {
        for (size_t i = off; i < off + CHUNK; i++)
        {
            claim.payload[i] = byte_at(claim.seq, i);
        }
        clock_frozen_ns += step_us * 1000;
        assert_true(tp_producer_progress(f->producer, &claim, off + CHUNK) >= 0);
    }
    assert_int_equal(TP_PRODUCER_OK, tp_producer_commit(f->producer, &claim, &desc, 42));
    clock_thaw();
    return claim.seq;
}

/* The events of one frame: STARTED, PROGRESS at the expected byte counts, COMPLETE. */
static void check_events(uint64_t seq, const uint64_t *expected, size_t expected_count)
{
    size_t n = 0;
    tp_consumer_progress_t mine[EVENTS_MAX];
    for (size_t i = 0; i < recorder.count; i++)
    {
        if (recorder.events[i].frame_id == seq)
        {
            mine[n++] = recorder.events[i];
        }
    }
    assert_int_equal(expected_count + 2, n);
    assert_int_equal(1, mine[0].state);
    assert_int_equal(0, mine[0].payload_bytes_filled);
    for (size_t i = 0; i < expected_count; i++)
    {
        assert_int_equal(2, mine[1 + i].state);
        assert_int_equal(expected[i], mine[1 + i].payload_bytes_filled);
        assert_true(mine[1 + i].safe_bytes <= mine[1 + i].payload_bytes_filled);
        if (i > 0)
        {
            assert_true(mine[1 + i].payload_bytes_filled - mine[i].payload_bytes_filled >= HINT_BYTES);
        }
    }
    assert_int_equal(3, mine[n - 1].state);
    assert_int_equal(FRAME_BYTES, mine[n - 1].payload_bytes_filled);
}

static void test_progress_order_and_throttling(void **state)
{
    (void)state;
    fixture_t fx, *f = &fx;
    memset(f, 0, sizeof(*f));
    memset(&recorder, 0, sizeof(recorder));
    assert_int_equal(0, st_driver_start(&f->driver));
    st_scratch_dir(f->shm_dir, sizeof(f->shm_dir));
    tp_context_t *ctx = st_context(f->driver.dir, f->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_context_set_clock(ctx, test_clock, NULL);
    assert_int_equal(0, tp_client_start(&f->client, ctx));
    tp_context_close(ctx);

    tp_producer_config_t pcfg;
    tp_producer_config_init(&pcfg);
    pcfg.stream_id = STREAM_ID;
    pcfg.producer_id = 2;
    pcfg.header_nslots = 16;
    pcfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = FRAME_BYTES};
    assert_int_equal(0, tp_producer_start(&f->producer, f->client, &pcfg));

    tp_consumer_config_t ccfg;
    tp_consumer_config_init(&ccfg);
    ccfg.stream_id = STREAM_ID;
    ccfg.consumer_id = 3;
    ccfg.supports_progress = true;
    ccfg.progress_interval_us = HINT_INTERVAL;
    ccfg.progress_bytes_delta = HINT_BYTES;
    ccfg.on_progress = on_progress;
    ccfg.clientd = &recorder;
    assert_int_equal(0, tp_consumer_start(&f->consumer, f->client, &ccfg));
    assert_true(st_poll_producer_until(f->client, f->producer, hints_applied, f, 10000));

    /* 5 ms per 4 KiB chunk: the byte hint (8 chunks) binds. */
    uint64_t seq_bytes = fill_frame(f, 5000);
    /* 1 ms per chunk: the interval hint (10 chunks) binds. */
    uint64_t seq_interval = fill_frame(f, 1000);
    pump(f, 300);

    uint64_t by_bytes[8], by_interval[6];
    for (size_t i = 0; i < 8; i++)
    {
        by_bytes[i] = (i + 1) * HINT_BYTES;
    }
    for (size_t i = 0; i < 6; i++)
    {
        by_interval[i] = (i + 1) * 10 * CHUNK;
    }
    fprintf(stderr, "progress events: %zu, frames %llu, bad %llu, progress dropped %llu\n", recorder.count,
            (unsigned long long)recorder.frames, (unsigned long long)recorder.bad,
            (unsigned long long)tp_consumer_counters(f->consumer)->progress_dropped);
    check_events(seq_bytes, by_bytes, 8);
    check_events(seq_interval, by_interval, 6);
    assert_int_equal(2, recorder.frames);
    assert_int_equal(0, recorder.bad);
    assert_int_equal(0, tp_consumer_counters(f->consumer)->progress_dropped);

    tp_consumer_close(f->consumer);
    tp_producer_close(f->producer);
    tp_client_close(f->client);
    st_driver_stop(&f->driver);
    st_remove_tree(f->shm_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_order_and_throttling),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
