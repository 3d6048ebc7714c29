/*
 * Issue 13, back pressure handled, not dropped: with a tiny IPC term (64 KiB) and the media driver stalled by
 * SIGSTOP for a few ms again and again, the producer's descriptors are refused; every committed frame must then
 * either reach the consumer or be accounted for by a counter (descriptors_dropped_reused / _not_connected on the
 * producer, drops_gap on the consumer). And commits made before any consumer subscribes return
 * TP_PRODUCER_NOT_CONNECTED and are counted, never reported as delivered. The producer runs in the test process;
 * the consumer and the driver staller are children; all assertions come after everything is stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "system_test_util.h"

#define BP_STREAM_ID 10u
/* Long untethered timeouts: this test is about the producer's accounting, so the consumer is never dropped. */
#define BP_CHANNEL "aeron:ipc?untethered-window-limit-timeout=60s|untethered-resting-timeout=60s"

typedef struct bp_shared_stct
{
    char aeron_dir[256];
    char shm_dir[512];
    pid_t driver_pid;
    int stop_consumer;
    int stop_staller;
    int mapped;
    uint64_t accepted;
    uint64_t min_seq;
    uint64_t max_seq;
    uint64_t bad;
    uint64_t drops_gap;
    uint64_t drops_late;
    uint64_t drops_unmapped;
    uint64_t images_unavailable;
    uint64_t stalls;
} bp_shared_t;

static bp_shared_t *shared;
static tp_test_driver_t bp_driver; /* stopped in teardown too, so a failed assertion leaves no driver behind */

#define BP_PUT(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELEASE)
#define BP_GET(field)        __atomic_load_n(&(field), __ATOMIC_ACQUIRE)

static tp_context_t *bp_context(void)
{
    tp_context_t *ctx = st_context(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    /* The client asks for its own descriptor term length (1 MiB by default), which would override the driver's
     * tiny default: ask for the tiny one explicitly. */
    if (tp_context_set_channel(ctx, BP_CHANNEL) < 0 || tp_context_set_descriptor_term_length(ctx, 64 * 1024) < 0)
    {
        abort();
    }
    return ctx;
}

static void bp_on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    (void)clientd;
    /* Read first, then ask whether the slot was recycled under the read (then it is late, not bad). */
    const bool ok = st_frame_check(frame);
    if (!tp_consumer_frame_is_intact(frame))
    {
        BP_PUT(shared->drops_late, shared->drops_late + 1);
        return;
    }
    if (!ok)
    {
        BP_PUT(shared->bad, shared->bad + 1);
        return;
    }
    if (0 == shared->accepted || frame->seq < shared->min_seq)
    {
        BP_PUT(shared->min_seq, frame->seq);
    }
    if (frame->seq > shared->max_seq)
    {
        BP_PUT(shared->max_seq, frame->seq);
    }
    BP_PUT(shared->accepted, shared->accepted + 1);
}

static int bp_consumer_main(void *arg)
{
    (void)arg;
    tp_context_t *ctx = bp_context();
    tp_client_t *client = NULL;
    if (tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "consumer client: %s\n", tp_errmsg());
        return 40;
    }
    tp_context_close(ctx);
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = BP_STREAM_ID;
    config.consumer_id = 7;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        return 41;
    }
    while (!BP_GET(shared->stop_consumer))
    {
        int work = tp_consumer_poll(consumer, bp_on_frame, NULL, 64) + tp_client_do_work(client);
        const tp_consumer_counters_t *c = tp_consumer_counters(consumer);
        BP_PUT(shared->drops_gap, c->drops_gap);
        /* Late before our read (the core's) and after it (ours) are the same fate. */
        BP_PUT(shared->drops_unmapped, c->drops_unmapped + c->drops_late);
        BP_PUT(shared->images_unavailable, tp_consumer_transport_counters(consumer)->images_unavailable);
        BP_PUT(shared->mapped, tp_consumer_is_mapped(consumer) ? 1 : 0);
        tp_client_idle(client, work);
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

/* Stalls the media driver for 2-5 ms every ~15 ms, as a descheduled driver would be. */
static int bp_staller_main(void *arg)
{
    (void)arg;
    unsigned seed = 12345;
    while (!BP_GET(shared->stop_staller))
    {
        kill(shared->driver_pid, SIGSTOP);
        usleep(2000 + (useconds_t)(rand_r(&seed) % 3000));
        kill(shared->driver_pid, SIGCONT);
        BP_PUT(shared->stalls, shared->stalls + 1);
        usleep(15000);
    }
    kill(shared->driver_pid, SIGCONT);
    return 0;
}

static int bp_setup(void **state)
{
    (void)state;
    shared = st_shared_alloc(sizeof(*shared));
    memset(shared, 0, sizeof(*shared));
    char scratch[256];
    st_scratch_dir(scratch, sizeof(scratch));
    snprintf(shared->shm_dir, sizeof(shared->shm_dir), "%s/shm", scratch);
    return mkdir(shared->shm_dir, 0700);
}

static void bp_driver_stop(void)
{
    if (0 != bp_driver.pid)
    {
        kill(bp_driver.pid, SIGCONT);
        tp_test_driver_stop(&bp_driver);
        bp_driver.pid = 0;
    }
}

static int bp_teardown(void **state)
{
    bp_driver_stop();
    st_shared_free(shared, sizeof(*shared));
    shared = NULL;
    return st_cleanup(state);
}

static tp_producer_t *bp_producer(tp_client_t *client)
{
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = BP_STREAM_ID;
    config.producer_id = 1;
    config.header_nslots = 64;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    config.pool_count = 1;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        return NULL;
    }
    return producer;
}

static int bp_commit(tp_producer_t *producer)
{
    const uint64_t seq = tp_producer_next_seq(producer);
    tp_tensor_desc_t desc;
    st_frame_desc(seq, &desc);
    tp_producer_claim_t claim;
    int rc = tp_producer_claim(producer, st_frame_length(seq), &desc, &claim);
    if (TP_PRODUCER_OK == rc)
    {
        st_frame_fill(claim.payload, seq);
        rc = tp_producer_commit(producer, &claim, &desc, st_frame_timestamp(seq));
    }
    return rc;
}

static bool bp_consumer_ready(void *arg)
{
    tp_producer_t *producer = arg;
    return BP_GET(shared->mapped) && tp_producer_consumer_count(producer) >= 1;
}

typedef struct bp_until_stct
{
    uint64_t last_seq;
    tp_producer_t *producer;
} bp_until_t;

/* The consumer has the last frame and the producer has nothing queued any more. */
static bool bp_drained(void *arg)
{
    const bp_until_t *u = arg;
    const tp_producer_counters_t *c = tp_producer_counters(u->producer);
    return BP_GET(shared->max_seq) >= u->last_seq &&
           c->descriptors_queued <= c->descriptors_reoffered + c->descriptors_dropped_reused;
}

static void test_forced_back_pressure_loses_nothing_silently(void **state)
{
    (void)state;
    const char *env[] = {"AERON_IPC_TERM_BUFFER_LENGTH=64k", "AERON_TIMER_INTERVAL=10ms", NULL};
    assert_int_equal(tp_test_driver_start(&bp_driver, "10s", env), 0);
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", bp_driver.dir);
    shared->driver_pid = bp_driver.pid;

    tp_context_t *ctx = bp_context();
    tp_client_t *client = NULL;
    assert_int_equal(tp_client_start(&client, ctx), 0);
    tp_context_close(ctx);
    tp_producer_t *producer = bp_producer(client);
    assert_non_null(producer);
    pid_t consumer = st_spawn(bp_consumer_main, NULL);
    const bool ready = st_poll_producer_until(client, producer, bp_consumer_ready, producer, 20000);

    pid_t staller = st_spawn(bp_staller_main, NULL);
    const uint64_t frames = 40000;
    uint64_t committed = 0;
    uint64_t back_pressure = 0;
    uint64_t failed = 0;
    uint64_t last_seq = 0;
    for (uint64_t i = 0; ready && i < frames; i++)
    {
        last_seq = tp_producer_next_seq(producer);
        const int rc = bp_commit(producer);
        committed += rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc ? 1 : 0;
        back_pressure += TP_PRODUCER_BACK_PRESSURE == rc ? 1 : 0;
        failed += rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc ? 1 : 0;
        tp_client_do_work(client);
        tp_producer_poll(producer, 0);
    }
    BP_PUT(shared->stop_staller, 1);
    const int staller_status = st_wait(staller, 10000);
    bp_until_t until = {last_seq, producer};
    const bool drained = st_poll_producer_until(client, producer, bp_drained, &until, 10000);
    st_pump(client, producer, NULL, NULL, NULL, 200);
    const tp_producer_counters_t counters = *tp_producer_counters(producer);
    BP_PUT(shared->stop_consumer, 1);
    const int consumer_status = st_wait(consumer, 10000);
    tp_producer_close(producer);
    tp_client_close(client);
    bp_driver_stop();

    const uint64_t accepted = BP_GET(shared->accepted);
    const uint64_t seen_late = BP_GET(shared->drops_late) + BP_GET(shared->drops_unmapped);
    fprintf(stderr,
            "back pressure: %llu driver stalls; committed %llu (BACK_PRESSURE %llu) queued %llu reoffered %llu "
            "dropped_reused %llu not_connected %llu; consumer accepted %llu late/unmapped %llu gap %llu\n",
            (unsigned long long)BP_GET(shared->stalls), (unsigned long long)committed,
            (unsigned long long)back_pressure, (unsigned long long)counters.descriptors_queued,
            (unsigned long long)counters.descriptors_reoffered, (unsigned long long)counters.descriptors_dropped_reused,
            (unsigned long long)counters.descriptors_not_connected, (unsigned long long)accepted,
            (unsigned long long)seen_late, (unsigned long long)BP_GET(shared->drops_gap));
    assert_true(ready);
    assert_int_equal(staller_status, 0);
    assert_int_equal(consumer_status, 0);
    assert_true(drained);
    assert_int_equal(failed, 0);
    assert_int_equal(committed, frames);
    assert_int_equal(counters.frames_committed, frames);
    assert_int_equal(BP_GET(shared->bad), 0);
    assert_int_equal(BP_GET(shared->images_unavailable), 0);
    /* Back pressure really happened, and refused descriptors were re-offered. */
    assert_true(back_pressure > 0);
    assert_int_equal(counters.descriptors_queued, back_pressure);
    assert_true(counters.descriptors_reoffered > 0);
    assert_int_equal(counters.descriptors_queued, counters.descriptors_reoffered + counters.descriptors_dropped_reused);
    /* The balance: what the consumer did not get is exactly what the producer counted as given up. */
    assert_true(accepted + seen_late <= committed);
    assert_int_equal(committed - accepted - seen_late,
                     counters.descriptors_dropped_reused + counters.descriptors_not_connected);
    /* And the consumer counted those gaps itself (all but any before its first descriptor). */
    assert_true(BP_GET(shared->drops_gap) <= counters.descriptors_dropped_reused);
    assert_true(BP_GET(shared->drops_gap) + 64 >= counters.descriptors_dropped_reused);
}

static void test_commits_before_any_consumer_are_not_connected(void **state)
{
    (void)state;
    const char *env[] = {"AERON_TIMER_INTERVAL=10ms", NULL};
    assert_int_equal(tp_test_driver_start(&bp_driver, "10s", env), 0);
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", bp_driver.dir);

    tp_context_t *ctx = bp_context();
    tp_client_t *client = NULL;
    assert_int_equal(tp_client_start(&client, ctx), 0);
    tp_context_close(ctx);
    tp_producer_t *producer = bp_producer(client);
    assert_non_null(producer);

    const uint64_t early = 20;
    const uint64_t first_seq = tp_producer_next_seq(producer);
    int early_rc[20];
    for (uint64_t i = 0; i < early; i++)
    {
        early_rc[i] = bp_commit(producer);
        tp_client_do_work(client);
    }
    const tp_producer_counters_t before = *tp_producer_counters(producer);
    const uint64_t offers_not_connected = tp_producer_transport_counters(producer)->offers_not_connected;

    pid_t consumer = st_spawn(bp_consumer_main, NULL);
    const bool ready = st_poll_producer_until(client, producer, bp_consumer_ready, producer, 20000);
    const uint64_t later = 200;
    uint64_t delivered = 0;
    uint64_t last_seq = 0;
    for (uint64_t i = 0; ready && i < later; i++)
    {
        last_seq = tp_producer_next_seq(producer);
        const int rc = bp_commit(producer);
        delivered += TP_PRODUCER_OK == rc || TP_PRODUCER_BACK_PRESSURE == rc ? 1 : 0;
        st_pump(client, producer, NULL, NULL, NULL, 1);
    }
    bp_until_t until = {last_seq, producer};
    const bool drained = ready && st_poll_producer_until(client, producer, bp_drained, &until, 10000);
    const tp_producer_counters_t after = *tp_producer_counters(producer);
    BP_PUT(shared->stop_consumer, 1);
    const int consumer_status = st_wait(consumer, 10000);
    tp_producer_close(producer);
    tp_client_close(client);
    bp_driver_stop();

    for (uint64_t i = 0; i < early; i++)
    {
        assert_int_equal(early_rc[i], TP_PRODUCER_NOT_CONNECTED);
    }
    assert_int_equal(before.frames_committed, early);
    assert_int_equal(before.descriptors_not_connected, early);
    assert_int_equal(before.descriptors_queued, 0);
    assert_int_equal(before.descriptors_reoffered, 0);
    assert_true(offers_not_connected >= early);
    assert_true(ready);
    assert_true(drained);
    assert_int_equal(consumer_status, 0);
    assert_int_equal(delivered, later);
    assert_int_equal(after.frames_committed, early + later);
    /* Only the early ones count as not connected; none of them ever reached the consumer. */
    assert_int_equal(after.descriptors_not_connected, early);
    assert_true(BP_GET(shared->min_seq) >= first_seq + early);
    assert_int_equal(BP_GET(shared->accepted) + BP_GET(shared->drops_late) + BP_GET(shared->drops_unmapped), later);
    assert_int_equal(BP_GET(shared->bad), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forced_back_pressure_loses_nothing_silently, bp_setup, bp_teardown),
        cmocka_unit_test_setup_teardown(test_commits_before_any_consumer_are_not_connected, bp_setup, bp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
