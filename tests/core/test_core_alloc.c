/*
 * Zero allocations per frame in steady state, on both sides. The test is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so every allocation made by the tensorpool objects
 * (statically linked into this executable) goes through the counters below. After a warm-up, a loop of frames
 * with a per-consumer descriptor stream, progress, metadata and the periodic duty cycles must allocate nothing.
 */
#include "core_test_util.h"

#include "../tp_test_alloc_wrap.h"

static uint64_t now_ns;

static uint64_t fake_clock(void *clientd)
{
    (void)clientd;
    return now_ns;
}

static uint64_t accepted;
static uint64_t progress_events;

static void on_frame(void *clientd, const tp_consumer_frame_t *f)
{
    (void)clientd;
    if (0 == ct_check_payload(f->payload, f->payload_length, f->seq) && tp_consumer_frame_is_intact(f))
    {
        accepted++;
    }
}

static void on_progress(void *clientd, const tp_consumer_progress_t *p)
{
    (void)clientd;
    (void)p;
    progress_events++;
}

static void test_the_counter_counts(void **state)
{
    (void)state;
    tp_test_alloc_counting = true;
    void *volatile p = malloc(16);
    free(p);
    tp_test_alloc_counting = false;
    assert_int_equal(1, tp_test_allocations);
    assert_int_equal(1, tp_test_frees);
    tp_test_allocations = 0;
    tp_test_frees = 0;
}

static void test_steady_state_allocates_nothing(void **state)
{
    (void)state;
    char root[PATH_MAX];
    ct_make_root(root, sizeof(root), "alloc");
    ct_queue_t to_consumer;
    ct_queue_t to_producer;
    ct_queue_init(&to_consumer);
    ct_queue_init(&to_producer);
    now_ns = tp_clock_monotonic_ns();

    tp_producer_context_t pctx;
    ct_producer_context(&pctx, root, ct_sink(&to_consumer));
    pctx.clock = fake_clock;
    tp_producer_core_t *producer = ct_start_producer(&pctx);

    tp_consumer_context_t cctx;
    ct_consumer_context(&cctx, root, 42, ct_sink(&to_producer));
    snprintf(cctx.descriptor_channel, sizeof(cctx.descriptor_channel), "aeron:ipc");
    cctx.descriptor_stream_id = 31042;
    cctx.supports_progress = true;
    cctx.progress_interval_us = 50;
    cctx.progress_bytes_delta = 4096;
    cctx.clock = fake_clock;
    cctx.on_frame = on_frame;
    cctx.on_progress = on_progress;
    tp_consumer_core_t *consumer = ct_start_consumer(&cctx);

    tp_producer_meta_attribute_t meta = {"camera_serial", "text/plain", (const uint8_t *)"SN-1", 4};
    assert_int_equal(0, tp_producer_core_set_meta(producer, &meta, 1));
    tp_consumer_core_do_work(consumer, now_ns);
    ct_pump_back(&to_producer, producer);
    tp_producer_core_do_work(producer, now_ns);
    ct_pump_one(&to_consumer, consumer, 42);
    assert_true(tp_consumer_core_is_mapped(consumer));
    assert_int_equal(31042, tp_consumer_core_assignment(consumer)->descriptor_stream_id);

    static uint8_t payload[8192];
    const int frames = 2000;
    for (int warm = 0; warm < 2; warm++)
    {
        tp_test_alloc_counting = 1 == warm;
        for (int i = 0; i < frames; i++)
        {
            uint32_t length = 16 + (uint32_t)(i * 131) % 8000;
            uint64_t seq = tp_producer_core_next_seq(producer);
            tp_tensor_desc_t desc = ct_desc(1, length);
            if (0 == i % 2)
            {
                ct_fill_payload(payload, length, seq);
                assert_int_equal(TP_PRODUCER_OK, tp_producer_core_offer(producer, &desc, payload, length, seq));
            }
            else
            {
                tp_producer_claim_t claim;
                assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(producer, length, &desc, &claim));
                ct_fill_payload(claim.payload, length, seq);
                now_ns += 100000;
                tp_producer_core_progress(producer, &claim, length / 2);
                assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(producer, &claim, &desc, seq, 1));
            }
            now_ns += 50000000; /* 20 Hz: the periodic messages fire every so often */
            tp_producer_core_do_work(producer, now_ns);
            tp_consumer_core_do_work(consumer, now_ns);
            ct_pump_one(&to_consumer, consumer, 42);
            ct_pump_back(&to_producer, producer);
        }
        tp_test_alloc_counting = false;
    }

    assert_int_equal(0, tp_test_allocations);
    assert_int_equal(0, tp_test_frees);
    assert_int_equal(2 * frames, accepted);
    assert_true(progress_events > (uint64_t)frames);
    assert_int_equal(0, tp_consumer_core_counters(consumer)->drops_gap);
    assert_int_equal(0, tp_consumer_core_counters(consumer)->drops_late);
    assert_int_equal(1, tp_producer_core_consumer_count(producer));

    tp_consumer_core_close(consumer);
    tp_producer_core_close(producer);
    ct_queue_free(&to_consumer);
    ct_queue_free(&to_producer);
    ct_remove_tree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_counter_counts),
        cmocka_unit_test(test_steady_state_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
