/*
 * Waiting without spinning: a consumer that calls tp_consumer_wait() whenever its poll found nothing gets every
 * frame of a paced producer. With the producer's wake-up word (wake_consumers) each wait ends because a frame was
 * published, never by its (long) timeout, and the word file lives in the epoch directory and goes with it; without
 * the word the wait falls back to short sleeps and the frames still arrive. A producer restart (new epoch) in the
 * middle: the consumer reopens the new epoch's word and is woken by it as before.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_clock.h"
#include "common/tp_wake.h"
#include "system_test_util.h"

#define STREAM_ID 77
#define FRAMES    40 /* per epoch; two epochs */

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[256];
    char wake_path[PATH_MAX];
    bool wake;
    volatile int consumer_ready;
    volatile uint64_t consumer_epoch; /* the epoch the consumer has mapped */
    uint64_t woken_second_epoch;
    volatile int consumer_done;
    volatile int producer_done;
    int wake_file_existed;
    int wake_file_left;
    uint64_t verified;
    uint64_t bad;
    uint64_t woken;         /* waits that ended because the producer published */
    uint64_t timed_out;     /* waits that ended otherwise (wake mode: the sleeps between two epochs) */
    uint64_t full_timeouts; /* waits that ran out their whole timeout while frames flowed: no wake-up came */
    volatile int sending;   /* producer: between the first and the last frame of an epoch */
} shared_t;

static shared_t *shared;

/* Hellos every 2 s (a consumer is stale after 4 of them): a consumer may block up to WAIT_NS in tp_consumer_wait()
 * and stay known to the producer, as the API asks (timeout below the hello cadence). */
#define WAIT_NS 1000000000ULL

static tp_client_t *wake_client(void)
{
    tp_context_t *ctx = st_context(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_client_t *client = NULL;
    if (tp_context_set_hello_interval_ns(ctx, 2000000000ULL) < 0 || tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "client: %s\n", tp_errmsg());
        abort();
    }
    tp_context_close(ctx);
    return client;
}

static bool is_mapped(void *arg)
{
    return tp_consumer_is_mapped(arg);
}

static int run_consumer(void *arg)
{
    (void)arg;
    tp_client_t *client = wake_client();
    tp_consumer_t *consumer = st_consumer_start(client, STREAM_ID, 5);
    if (NULL == consumer)
    {
        return 10;
    }
    st_frame_counts_t counts = {0};
    if (!st_poll_consumer_until(client, consumer, st_frame_count, &counts, is_mapped, consumer, 10000))
    {
        return 11;
    }
    /* Open the word (the first wait after a map returns at once), then report ready. */
    tp_consumer_wait(consumer, 1000000ULL);
    shared->consumer_ready = 1;
    const uint64_t deadline = tp_clock_monotonic_ns() + 40ULL * 1000000000ULL;
    uint64_t first_epoch = tp_consumer_epoch(consumer);
    while (counts.verified + counts.bad < 2 * FRAMES && tp_clock_monotonic_ns() < deadline)
    {
        int work = tp_consumer_poll(consumer, st_frame_count, &counts, 0);
        shared->consumer_epoch = tp_consumer_epoch(consumer);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            return 12;
        }
        if (0 == work && counts.verified + counts.bad < 2 * FRAMES)
        {
            /* WAIT_NS: 200 frame periods, so a wait that runs it out while frames flow means no wake-up came. */
            const uint64_t timeout = shared->wake ? WAIT_NS : 1000000ULL;
            const int sending = shared->sending;
            const uint64_t wait_start = tp_clock_monotonic_ns();
            int woken = tp_consumer_wait(consumer, timeout);
            shared->full_timeouts +=
                sending && shared->sending && 0 == woken && tp_clock_monotonic_ns() - wait_start >= timeout ? 1 : 0;
            if (1 == woken)
            {
                shared->woken++;
                shared->woken_second_epoch += tp_consumer_epoch(consumer) != first_epoch ? 1 : 0;
            }
            else
            {
                shared->timed_out++;
            }
        }
    }
    shared->verified = counts.verified;
    shared->bad = counts.bad;
    shared->consumer_done = 1;
    while (!shared->producer_done)
    {
        tp_consumer_poll(consumer, NULL, NULL, 0);
        tp_client_do_work(client);
        usleep(1000);
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

static bool consumer_ready(void *arg)
{
    return shared->consumer_ready && tp_producer_consumer_count(arg) >= 1;
}

static bool consumer_done(void *arg)
{
    (void)arg;
    return 0 != shared->consumer_done;
}

static bool consumer_on_epoch(void *arg)
{
    tp_producer_t *producer = arg;
    return shared->consumer_epoch == tp_producer_epoch(producer) && tp_producer_consumer_count(producer) >= 1;
}

/* One producer lifetime (one epoch): start, wait for the consumer to map it, FRAMES paced frames, close. */
static int produce_epoch(tp_client_t *client, bool first)
{
    tp_producer_config_t cfg;
    tp_producer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.producer_id = 3;
    cfg.header_nslots = 64;
    cfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    cfg.pool_count = 1;
    cfg.wake_consumers = shared->wake;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &cfg) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        return 20;
    }
    const char *header = tp_producer_header_path(producer);
    snprintf(shared->wake_path, sizeof(shared->wake_path), "%.*s/%s", (int)(strrchr(header, '/') - header), header,
             TP_WAKE_FILE_NAME);
    struct stat st;
    shared->wake_file_existed += 0 == stat(shared->wake_path, &st) ? 1 : 0;
    if (!st_poll_producer_until(client, producer, first ? consumer_ready : consumer_on_epoch, producer, 15000))
    {
        return 21;
    }
    static uint8_t scratch[8192];
    shared->sending = 1;
    for (uint64_t i = 0; i < FRAMES; i++)
    {
        uint64_t seq = tp_producer_next_seq(producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        st_frame_fill(scratch, seq);
        if (tp_producer_offer(producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq)) < 0)
        {
            return 22;
        }
        /* Paced: between frames the consumer has nothing to do and waits. */
        st_pump(client, producer, NULL, NULL, NULL, 5);
    }
    shared->sending = 0;
    /* Let the last frame be taken before the epoch goes away. */
    st_pump(client, producer, NULL, NULL, NULL, 50);
    tp_producer_close(producer);
    shared->wake_file_left += 0 == stat(shared->wake_path, &st) ? 1 : 0;
    return 0;
}

static int run_producer(void *arg)
{
    (void)arg;
    tp_client_t *client = wake_client();
    int rc = produce_epoch(client, true);
    if (0 == rc)
    {
        rc = produce_epoch(client, false); /* the same instance again: a new epoch, a new word */
    }
    const uint64_t deadline = tp_clock_monotonic_ns() + 60ULL * 1000000000ULL;
    while (0 == rc && !consumer_done(NULL) && tp_clock_monotonic_ns() < deadline)
    {
        tp_client_do_work(client);
        usleep(1000);
    }
    shared->producer_done = 1;
    tp_client_close(client);
    return 0 == rc && consumer_done(NULL) ? 0 : (0 != rc ? rc : 23);
}

static void run(bool wake)
{
    shared = st_shared_alloc(sizeof(*shared));
    shared->wake = wake;
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", driver.dir);
    st_scratch_dir(shared->shm_dir, sizeof(shared->shm_dir));
    pid_t consumer = st_spawn(run_consumer, NULL);
    pid_t producer = st_spawn(run_producer, NULL);
    int producer_rc = st_wait(producer, 90000);
    int consumer_rc = st_wait(consumer, 30000);
    st_driver_stop(&driver);
    st_remove_tree(shared->shm_dir);
    fprintf(stderr, "wake=%d: verified=%llu bad=%llu woken=%llu (second epoch %llu) timed_out=%llu full=%llu\n",
            (int)wake, (unsigned long long)shared->verified, (unsigned long long)shared->bad,
            (unsigned long long)shared->woken, (unsigned long long)shared->woken_second_epoch,
            (unsigned long long)shared->timed_out, (unsigned long long)shared->full_timeouts);
    assert_int_equal(0, producer_rc);
    assert_int_equal(0, consumer_rc);
    assert_int_equal(2 * FRAMES, shared->verified);
    assert_int_equal(0, shared->bad);
    assert_int_equal(wake ? 2 : 0, shared->wake_file_existed);
    assert_int_equal(0, shared->wake_file_left);
    if (wake)
    {
        /* While frames flow, waits end with a frame, never by running out their timeout; between epochs they end
         * at the old word's close, then short sleeps until the new epoch is mapped; the new word wakes too. */
        assert_true(shared->woken >= FRAMES);
        assert_true(shared->woken_second_epoch >= FRAMES / 2);
        assert_int_equal(0, shared->full_timeouts);
    }
    else
    {
        /* No word to block on: every wait was the fallback sleep. */
        assert_int_equal(0, shared->woken);
        assert_true(shared->timed_out > 0);
    }
    st_shared_free(shared, sizeof(*shared));
}

static void test_consumer_woken_by_the_producer(void **state)
{
    (void)state;
    run(true);
}

static void test_consumer_without_the_word_falls_back_to_sleeping(void **state)
{
    (void)state;
    run(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_woken_by_the_producer),
        cmocka_unit_test(test_consumer_without_the_word_falls_back_to_sleeping),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
