/*
 * Producer restart over Aeron: producer A (one process) streams, the consumer (another process) verifies; the
 * consumer then stops polling while A sends more frames and exits; producer B starts on the same namespace and
 * instance (a third process) with the next epoch. The consumer must move to the new epoch (remap), drop A's
 * in-flight descriptors instead of reading B's regions with them, and verify B's frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system_test_util.h"

#define STREAM_ID 9
#define A_FIRST   100
#define A_HELD    50
#define B_FRAMES  100

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[256];
    volatile int hold;         /* consumer: stop polling */
    volatile int holding;      /* consumer acknowledges */
    volatile int release;      /* consumer: resume */
    volatile int a_done;       /* producer A sent its held frames and closed */
    volatile uint64_t b_epoch; /* producer B's epoch once started */
    volatile uint64_t consumer_epoch;
    volatile int b_done;
    volatile int consumer_done;
    uint64_t a_epoch;
    uint64_t verified_a;
    uint64_t verified_b;
    uint64_t bad;
    uint64_t a_after_b; /* a frame of epoch A handed over after one of epoch B */
    uint64_t remaps;
    uint64_t maps;
    uint64_t wrong_epoch;
    uint64_t drops_late;
    uint64_t drops_gap;
    uint64_t replayed;
} shared_t;

static shared_t *shared;

typedef struct consumer_state_stct
{
    bool seen_b;
} consumer_state_t;

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    consumer_state_t *s = clientd;
    bool ok = st_frame_check(frame) && tp_consumer_frame_is_intact(frame);
    if (!ok)
    {
        shared->bad++;
        return;
    }
    if (frame->epoch == shared->a_epoch)
    {
        shared->verified_a++;
        if (s->seen_b)
        {
            shared->a_after_b++;
        }
    }
    else
    {
        s->seen_b = true;
        shared->verified_b++;
    }
}

static bool flag_set(void *arg)
{
    return 0 != *(volatile int *)arg;
}

static bool on_b_epoch(void *arg)
{
    tp_consumer_t *consumer = arg;
    shared->consumer_epoch = tp_consumer_epoch(consumer);
    return 0 != shared->b_epoch && tp_consumer_is_mapped(consumer) && tp_consumer_epoch(consumer) == shared->b_epoch;
}

static bool mapped(void *arg)
{
    tp_consumer_t *consumer = arg;
    if (tp_consumer_is_mapped(consumer))
    {
        shared->consumer_epoch = tp_consumer_epoch(consumer);
        return true;
    }
    return false;
}

static int run_consumer(void *arg)
{
    (void)arg;
    consumer_state_t state = {0};
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_consumer_t *consumer = st_consumer_start(client, STREAM_ID, 5);
    if (NULL == consumer)
    {
        return 10;
    }
    if (!st_poll_consumer_until(client, consumer, on_frame, &state, mapped, consumer, 10000))
    {
        return 11;
    }
    if (!st_poll_consumer_until(client, consumer, on_frame, &state, flag_set, (void *)&shared->hold, 20000))
    {
        return 12;
    }
    shared->holding = 1;
    while (!shared->release)
    {
        usleep(1000); /* not polling: A's last descriptors and B's first announces pile up in the logs */
    }
    if (!st_poll_consumer_until(client, consumer, on_frame, &state, on_b_epoch, consumer, 20000))
    {
        fprintf(stderr, "consumer: never moved to epoch %llu: %s\n", (unsigned long long)shared->b_epoch,
                tp_consumer_last_error(consumer));
        return 13;
    }
    if (!st_poll_consumer_until(client, consumer, on_frame, &state, flag_set, (void *)&shared->b_done, 20000))
    {
        return 14;
    }
    st_pump(client, NULL, consumer, on_frame, &state, 300);
    const tp_consumer_counters_t *c = tp_consumer_counters(consumer);
    shared->remaps = c->remaps;
    shared->maps = c->maps;
    shared->wrong_epoch = c->descriptors_wrong_epoch;
    shared->drops_late = c->drops_late;
    shared->drops_gap = c->drops_gap;
    shared->replayed = c->descriptors_replayed;
    shared->consumer_done = 1;
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

static tp_producer_t *start_producer(tp_client_t *client)
{
    tp_producer_config_t cfg;
    tp_producer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.producer_id = 3;
    cfg.header_nslots = 256;
    cfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    cfg.pool_count = 1;
    snprintf(cfg.instance_id, sizeof(cfg.instance_id), "camera");
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &cfg) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        return NULL;
    }
    return producer;
}

static int send_frames(tp_client_t *client, tp_producer_t *producer, int count)
{
    static uint8_t scratch[8192];
    for (int i = 0; i < count; i++)
    {
        uint64_t seq = tp_producer_next_seq(producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        st_frame_fill(scratch, seq);
        int rc = tp_producer_offer(producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq));
        if (rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc)
        {
            return -1;
        }
        tp_client_do_work(client);
        tp_producer_poll(producer, 0);
        usleep(200);
    }
    return 0;
}

static bool consumer_on_epoch(void *arg)
{
    tp_producer_t *producer = arg;
    return shared->consumer_epoch == tp_producer_epoch(producer) && tp_producer_consumer_count(producer) > 0;
}

static int run_producer_a(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_producer_t *producer = start_producer(client);
    if (NULL == producer)
    {
        return 20;
    }
    shared->a_epoch = tp_producer_epoch(producer);
    if (!st_poll_producer_until(client, producer, consumer_on_epoch, producer, 10000) ||
        send_frames(client, producer, A_FIRST) < 0)
    {
        return 21;
    }
    shared->hold = 1;
    if (!st_poll_producer_until(client, producer, flag_set, (void *)&shared->holding, 10000) ||
        send_frames(client, producer, A_HELD) < 0)
    {
        return 22;
    }
    tp_producer_close(producer);
    tp_client_close(client);
    shared->a_done = 1;
    return 0;
}

static int run_producer_b(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_AGENT);
    tp_producer_t *producer = start_producer(client);
    if (NULL == producer)
    {
        return 30;
    }
    st_pump(client, producer, NULL, NULL, NULL, 150); /* a couple of announces into the held consumer's log */
    shared->b_epoch = tp_producer_epoch(producer);
    shared->release = 1;
    if (!st_poll_producer_until(client, producer, consumer_on_epoch, producer, 10000) ||
        send_frames(client, producer, B_FRAMES) < 0)
    {
        return 31;
    }
    shared->b_done = 1;
    bool ok = st_poll_producer_until(client, producer, flag_set, (void *)&shared->consumer_done, 20000);
    tp_producer_close(producer);
    tp_client_close(client);
    return ok ? 0 : 32;
}

static void test_producer_restart_bumps_epoch_and_consumer_follows(void **state)
{
    (void)state;
    shared = st_shared_alloc(sizeof(*shared));
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", driver.dir);
    st_scratch_dir(shared->shm_dir, sizeof(shared->shm_dir));

    pid_t consumer = st_spawn(run_consumer, NULL);
    pid_t a = st_spawn(run_producer_a, NULL);
    int a_rc = st_wait(a, 30000);
    pid_t b = st_spawn(run_producer_b, NULL);
    int b_rc = st_wait(b, 40000);
    int consumer_rc = st_wait(consumer, 10000);
    st_driver_stop(&driver);
    st_remove_tree(shared->shm_dir);

    fprintf(stderr,
            "epochs %llu -> %llu: verified A=%llu B=%llu bad=%llu maps=%llu remaps=%llu wrong_epoch=%llu late=%llu "
            "gap=%llu replayed=%llu\n",
            (unsigned long long)shared->a_epoch, (unsigned long long)shared->b_epoch,
            (unsigned long long)shared->verified_a, (unsigned long long)shared->verified_b,
            (unsigned long long)shared->bad, (unsigned long long)shared->maps, (unsigned long long)shared->remaps,
            (unsigned long long)shared->wrong_epoch, (unsigned long long)shared->drops_late,
            (unsigned long long)shared->drops_gap, (unsigned long long)shared->replayed);
    assert_int_equal(0, a_rc);
    assert_int_equal(0, b_rc);
    assert_int_equal(0, consumer_rc);
    assert_true(shared->b_epoch > shared->a_epoch);
    assert_int_equal(0, shared->bad);
    assert_int_equal(0, shared->a_after_b);
    assert_true(shared->verified_a > 0);
    assert_true(shared->verified_b > 0);
    assert_true(shared->remaps >= 1);
    /* A's held descriptors arrive after B's announce moved the consumer on: they are dropped, not read. */
    assert_true(shared->wrong_epoch > 0);
    st_shared_free(shared, sizeof(*shared));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producer_restart_bumps_epoch_and_consumer_follows),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
