/*
 * Waiting without spinning: a consumer that calls tp_consumer_wait() whenever its poll found nothing gets every
 * frame of a paced producer. With the producer's wake-up word (wake_consumers) each wait ends because a frame was
 * published, never by its (long) timeout, and the word file lives in the epoch directory and goes with it; without
 * the word the wait falls back to short sleeps and the frames still arrive.
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
#define FRAMES    40

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[256];
    char wake_path[PATH_MAX];
    bool wake;
    volatile int consumer_ready;
    volatile int consumer_done;
    volatile int producer_done;
    int wake_file_existed;
    int wake_file_left;
    uint64_t verified;
    uint64_t bad;
    uint64_t woken;     /* waits that ended because the producer published */
    uint64_t timed_out; /* waits that ended otherwise */
} shared_t;

static shared_t *shared;

static bool is_mapped(void *arg)
{
    return tp_consumer_is_mapped(arg);
}

static int run_consumer(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_consumer_config_t cfg;
    tp_consumer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.consumer_id = 5;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &cfg) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
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
    while (counts.verified + counts.bad < FRAMES && tp_clock_monotonic_ns() < deadline)
    {
        int work = tp_consumer_poll(consumer, st_frame_count, &counts, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            return 12;
        }
        if (0 == work && counts.verified + counts.bad < FRAMES)
        {
            /* 5 s: far longer than the producer's pace, so a timeout means the wake-up did not come. */
            const uint64_t timeout = shared->wake ? 5ULL * 1000000000ULL : 1000000ULL;
            if (1 == tp_consumer_wait(consumer, timeout))
            {
                shared->woken++;
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

static int run_producer(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
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
    shared->wake_file_existed = 0 == stat(shared->wake_path, &st);
    if (!st_poll_producer_until(client, producer, consumer_ready, producer, 15000))
    {
        return 21;
    }
    static uint8_t scratch[8192];
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
    bool ok = st_poll_producer_until(client, producer, consumer_done, NULL, 60000);
    tp_producer_close(producer);
    shared->wake_file_left = 0 == stat(shared->wake_path, &st);
    shared->producer_done = 1;
    tp_client_close(client);
    return ok ? 0 : 23;
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
    fprintf(stderr, "wake=%d: verified=%llu bad=%llu woken=%llu timed_out=%llu\n", (int)wake,
            (unsigned long long)shared->verified, (unsigned long long)shared->bad, (unsigned long long)shared->woken,
            (unsigned long long)shared->timed_out);
    assert_int_equal(0, producer_rc);
    assert_int_equal(0, consumer_rc);
    assert_int_equal(FRAMES, shared->verified);
    assert_int_equal(0, shared->bad);
    assert_int_equal(wake ? 1 : 0, shared->wake_file_existed);
    assert_int_equal(0, shared->wake_file_left);
    if (wake)
    {
        /* Every wait ended with a frame: the producer's bump woke it, the 5 s timeout never did. */
        assert_true(shared->woken > 0);
        assert_int_equal(0, shared->timed_out);
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
