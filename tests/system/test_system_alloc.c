/*
 * Zero allocations per frame in steady state over Aeron, on both sides. Producer and consumer share one invoker
 * client in this process (our media driver is a child process), so every allocation of the library, our Aeron
 * client included, is made on this thread and goes through the --wrap counters below. After a warm-up, half a
 * second of frames by offer and by claim/progress/commit, with a per-consumer descriptor stream, metadata and
 * all periodic duties (announce, QoS, hello, keepalive), must allocate nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system_test_util.h"

#include "../tp_test_alloc_wrap.h"

#define STREAM_ID 17

typedef struct counts_stct
{
    st_frame_counts_t frames;
    uint64_t progress;
} counts_t;

static void on_progress(void *clientd, const tp_consumer_progress_t *progress)
{
    (void)progress;
    counts_t *c = clientd;
    c->progress++;
}

typedef struct world_stct
{
    tp_client_t *client;
    tp_producer_t *producer;
    tp_consumer_t *consumer;
    counts_t counts;
} world_t;

static void send_frame(world_t *w, uint64_t i)
{
    static uint8_t scratch[8192];
    uint64_t seq = tp_producer_next_seq(w->producer);
    tp_tensor_desc_t desc;
    st_frame_desc(seq, &desc);
    if (0 == (i & 1))
    {
        st_frame_fill(scratch, seq);
        tp_producer_offer(w->producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq));
    }
    else
    {
        tp_producer_claim_t claim;
        assert_int_equal(TP_PRODUCER_OK, tp_producer_claim(w->producer, st_frame_length(seq), &desc, &claim));
        st_frame_fill(claim.payload, seq);
        tp_producer_progress(w->producer, &claim, claim.length / 2);
        tp_producer_commit(w->producer, &claim, &desc, st_frame_timestamp(seq));
    }
}

static void cycle(world_t *w)
{
    int work = tp_client_do_work(w->client);
    work += tp_producer_poll(w->producer, 0);
    work += tp_consumer_poll(w->consumer, st_frame_count, &w->counts.frames, 0);
    (void)work;
}

static bool ready(void *arg)
{
    world_t *w = arg;
    tp_consumer_poll(w->consumer, st_frame_count, &w->counts.frames, 0);
    const tp_consumer_assignment_t *a = tp_consumer_assignment(w->consumer);
    return tp_consumer_is_mapped(w->consumer) && a->received && 0 != a->descriptor_stream_id &&
           1 == tp_producer_consumer_publication_count(w->producer);
}

static void test_steady_state_allocates_nothing(void **state)
{
    (void)state;
    world_t w;
    memset(&w, 0, sizeof(w));
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    char shm_dir[256];
    st_scratch_dir(shm_dir, sizeof(shm_dir));
    w.client = st_client(driver.dir, shm_dir, TP_CLIENT_MODE_INVOKER);

    tp_producer_config_t pcfg;
    tp_producer_config_init(&pcfg);
    pcfg.stream_id = STREAM_ID;
    pcfg.producer_id = 6;
    pcfg.header_nslots = 64;
    pcfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    assert_int_equal(0, tp_producer_start(&w.producer, w.client, &pcfg));
    /* Larger than the IPC MTU (1408): DataSourceMeta arrives in fragments and is reassembled. */
    static uint8_t value[3000];
    for (size_t k = 0; k < sizeof(value); k++)
    {
        value[k] = (uint8_t)(k * 13);
    }
    tp_producer_meta_attribute_t attribute = {"calibration", "bytes", value, sizeof(value)};
    assert_int_equal(0, tp_producer_set_meta(w.producer, &attribute, 1));

    tp_consumer_config_t ccfg;
    tp_consumer_config_init(&ccfg);
    ccfg.stream_id = STREAM_ID;
    ccfg.consumer_id = 9;
    ccfg.descriptor_stream_id = 31009;
    ccfg.supports_progress = true;
    ccfg.on_progress = on_progress;
    ccfg.clientd = &w.counts;
    assert_int_equal(0, tp_consumer_start(&w.consumer, w.client, &ccfg));
    assert_true(st_poll_producer_until(w.client, w.producer, ready, &w, 10000));

    /* Warm-up: first fragments per image, first progress, first metadata, reassembly buffers. */
    uint64_t i = 0;
    int64_t warm_end = tp_test_now_ms() + 400;
    while (tp_test_now_ms() < warm_end)
    {
        send_frame(&w, i++);
        cycle(&w);
        usleep(100);
    }
    uint64_t verified_before = w.counts.frames.verified;
    uint64_t frames_before = i;

    tp_test_alloc_counting = true;
    int64_t end = tp_test_now_ms() + 500;
    while (tp_test_now_ms() < end)
    {
        send_frame(&w, i++);
        cycle(&w);
        cycle(&w);
        usleep(100);
    }
    tp_test_alloc_counting = false;
    st_pump(w.client, w.producer, w.consumer, st_frame_count, &w.counts.frames, 100);

    uint64_t frames = i - frames_before;
    fprintf(stderr, "steady state: %llu frames, %llu verified, %llu progress events, %llu tp_test_allocations\n",
            (unsigned long long)frames, (unsigned long long)(w.counts.frames.verified - verified_before),
            (unsigned long long)w.counts.progress, (unsigned long long)tp_test_allocations);
    assert_int_equal(0, tp_test_allocations);
    /* The counters do see the library's tp_test_allocations (a setup call that allocates). */
    tp_context_t *probe = NULL;
    tp_test_alloc_counting = true;
    assert_int_equal(0, tp_context_init(&probe));
    tp_test_alloc_counting = false;
    tp_context_close(probe);
    assert_int_equal(1, tp_test_allocations);
    assert_int_equal(0, w.counts.frames.bad);
    assert_true(frames > 100);
    assert_true(w.counts.frames.verified - verified_before > frames / 2);
    assert_true(w.counts.progress > 0);
    assert_true(tp_consumer_counters(w.consumer)->descriptors_other_stream > 0); /* it reads its own stream */
    uint32_t meta_version = 0;
    size_t attributes = 0;
    assert_true(tp_consumer_meta(w.consumer, &meta_version, &attributes));
    assert_int_equal(1, attributes);
    assert_int_equal(tp_producer_meta_version(w.producer), meta_version);
    tp_consumer_meta_attribute_t got;
    assert_int_equal(0, tp_consumer_meta_attribute(w.consumer, 0, &got));
    assert_string_equal("calibration", got.key);
    assert_int_equal(sizeof(value), got.value_length);
    assert_memory_equal(value, got.value, sizeof(value));

    st_world_close(w.client, w.producer, w.consumer, &driver, shm_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_state_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
