/*
 * Per-consumer streams over Aeron (wire spec §10.1.2-10.1.3): consumer G asks for a descriptor and a control stream
 * inside the producer's ranges and gets them (ConsumerConfig, per-consumer publications, frames arrive there and
 * no longer on the shared stream); consumer D asks for one outside the range and is declined (it keeps the shared
 * stream). When G goes away its hellos stop, the producer finds it stale and closes its publications.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system_test_util.h"

#define STREAM_ID    11
#define FRAMES       200
#define G_ID         21
#define D_ID         22
#define G_DESCRIPTOR 31005
#define G_CONTROL    32005
#define D_DESCRIPTOR 40000

typedef struct consumer_result_stct
{
    volatile int assigned;
    volatile int finished;
    uint32_t descriptor_stream_id;
    uint32_t control_stream_id;
    st_frame_counts_t frames;
    uint64_t other_stream;
    uint64_t subscriptions_opened;
} consumer_result_t;

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[256];
    volatile int frames_done;
    consumer_result_t g;
    consumer_result_t d;
} shared_t;

static shared_t *shared;

static bool assigned(void *arg)
{
    tp_consumer_t *consumer = arg;
    return tp_consumer_is_mapped(consumer) && tp_consumer_assignment(consumer)->received;
}

static bool frames_done(void *arg)
{
    (void)arg;
    return 0 != shared->frames_done;
}

static int run_consumer(void *arg)
{
    bool granted_one = 0 != (intptr_t)arg;
    consumer_result_t *r = granted_one ? &shared->g : &shared->d;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_consumer_config_t cfg;
    tp_consumer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.consumer_id = granted_one ? G_ID : D_ID;
    cfg.descriptor_stream_id = granted_one ? G_DESCRIPTOR : D_DESCRIPTOR;
    cfg.control_stream_id = granted_one ? G_CONTROL : 0;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &cfg) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        return 10;
    }
    if (!st_poll_consumer_until(client, consumer, st_frame_count, &r->frames, assigned, consumer, 10000))
    {
        return 11;
    }
    /* Let the per-consumer subscriptions connect before reporting ready (the driver links them at once; this only
     * covers the client conductors getting to it on a loaded machine). */
    st_pump(client, NULL, consumer, st_frame_count, &r->frames, 500);
    const tp_consumer_assignment_t *a = tp_consumer_assignment(consumer);
    r->descriptor_stream_id = a->descriptor_stream_id;
    r->control_stream_id = a->control_stream_id;
    r->assigned = 1;
    if (!st_poll_consumer_until(client, consumer, st_frame_count, &r->frames, frames_done, NULL, 20000))
    {
        return 12;
    }
    st_pump(client, NULL, consumer, st_frame_count, &r->frames, 200);
    r->other_stream = tp_consumer_counters(consumer)->descriptors_other_stream;
    r->subscriptions_opened = tp_consumer_transport_counters(consumer)->consumer_subscriptions_opened;
    r->finished = 1;
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

static bool both_assigned(void *arg)
{
    tp_producer_t *producer = arg;
    return shared->g.assigned && shared->d.assigned && 2 == tp_producer_consumer_publication_count(producer);
}

static bool g_retired(void *arg)
{
    tp_producer_t *producer = arg;
    return 0 == tp_producer_consumer_publication_count(producer) &&
           tp_producer_counters(producer)->consumers_stale >= 1;
}

static bool both_finished(void *arg)
{
    (void)arg;
    return shared->g.finished && shared->d.finished;
}

static void test_per_consumer_streams_granted_declined_and_retired(void **state)
{
    (void)state;
    shared = st_shared_alloc(sizeof(*shared));
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", driver.dir);
    st_scratch_dir(shared->shm_dir, sizeof(shared->shm_dir));
    pid_t g = st_spawn(run_consumer, (void *)(intptr_t)1);
    pid_t d = st_spawn(run_consumer, (void *)(intptr_t)0);

    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_producer_config_t cfg;
    tp_producer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.producer_id = 4;
    cfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    cfg.header_nslots = 256;
    tp_producer_t *producer = NULL;
    assert_int_equal(0, tp_producer_start(&producer, client, &cfg));

    assert_true(st_poll_producer_until(client, producer, both_assigned, producer, 15000));
    uint32_t descriptor = 0, control = 0;
    assert_true(tp_producer_consumer_streams(producer, G_ID, &descriptor, &control));
    assert_int_equal(G_DESCRIPTOR, descriptor);
    assert_int_equal(G_CONTROL, control);
    assert_true(tp_producer_counters(producer)->consumers_granted >= 1);
    assert_true(tp_producer_counters(producer)->consumers_declined >= 1);

    static uint8_t scratch[8192];
    for (int i = 0; i < FRAMES; i++)
    {
        uint64_t seq = tp_producer_next_seq(producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        st_frame_fill(scratch, seq);
        int rc = tp_producer_offer(producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq));
        assert_true(rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc);
        tp_client_do_work(client);
        tp_producer_poll(producer, 0);
        usleep(200);
    }
    shared->frames_done = 1;
    assert_true(st_poll_producer_until(client, producer, both_finished, NULL, 15000));
    int g_rc = st_wait(g, 5000);
    int d_rc = st_wait(d, 5000);
    /* Both consumers are gone: their hellos stop, G's publications are closed once it is stale. */
    assert_true(st_poll_producer_until(client, producer, g_retired, producer, 10000));
    const tp_producer_transport_counters_t *t = tp_producer_transport_counters(producer);
    assert_int_equal(2, t->consumer_publications_opened);
    assert_int_equal(2, t->consumer_publications_closed);
    assert_false(tp_producer_consumer_streams(producer, G_ID, &descriptor, &control));

    tp_producer_close(producer);
    tp_client_close(client);
    st_driver_stop(&driver);
    st_remove_tree(shared->shm_dir);

    fprintf(stderr, "G: streams %u/%u verified=%llu other_stream=%llu; D: streams %u/%u verified=%llu\n",
            shared->g.descriptor_stream_id, shared->g.control_stream_id, (unsigned long long)shared->g.frames.verified,
            (unsigned long long)shared->g.other_stream, shared->d.descriptor_stream_id, shared->d.control_stream_id,
            (unsigned long long)shared->d.frames.verified);
    assert_int_equal(0, g_rc);
    assert_int_equal(0, d_rc);
    assert_int_equal(G_DESCRIPTOR, shared->g.descriptor_stream_id);
    assert_int_equal(G_CONTROL, shared->g.control_stream_id);
    assert_int_equal(2, shared->g.subscriptions_opened);
    assert_int_equal(0, shared->d.descriptor_stream_id);
    assert_int_equal(0, shared->d.subscriptions_opened);
    assert_int_equal(0, shared->g.frames.bad);
    assert_int_equal(0, shared->d.frames.bad);
    /* G reads its own stream: every frame arrives there, the shared copies are ignored. */
    assert_int_equal(FRAMES, shared->g.frames.verified);
    assert_true(shared->g.other_stream >= FRAMES);
    assert_int_equal(FRAMES, shared->d.frames.verified);
    st_shared_free(shared, sizeof(*shared));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_consumer_streams_granted_declined_and_retired),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
