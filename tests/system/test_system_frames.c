/*
 * A producer and two consumers in separate processes over our media driver. Every frame a consumer accepts has
 * its payload and header verified; one consumer is deliberately slow (agent-mode client, busy handler) so the
 * producer laps it: its losses must show up as drops (late / gap), never as a torn or stale frame handed over.
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

#define FRAMES     2000
#define STREAM_ID  7
#define CONSUMERS  2
#define SLOW_INDEX 1

typedef struct consumer_result_stct
{
    volatile int ready;
    volatile int finished;
    uint64_t verified;
    uint64_t bad;          /* handed over, intact after reading, but wrong content: must stay 0 */
    uint64_t overwritten;  /* handed over, then tp_consumer_frame_is_intact() said the producer lapped the read */
    uint64_t out_of_order; /* seq not above the previous frame's */
    uint64_t drops_gap;
    uint64_t drops_late;
    uint64_t drops_invalid;
    uint64_t frames_accepted;
    uint64_t last_seq;
} consumer_result_t;

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[256];
    volatile int producer_done;
    uint64_t frames_sent;
    uint64_t commits_back_pressured;
    consumer_result_t consumers[CONSUMERS];
} shared_t;

static shared_t *shared;

typedef struct consumer_state_stct
{
    consumer_result_t *result;
    bool slow;
    bool any;
    uint64_t last_seq;
} consumer_state_t;

static void busy_wait_us(int64_t us)
{
    uint64_t end = tp_clock_monotonic_ns() + (uint64_t)us * 1000;
    while (tp_clock_monotonic_ns() < end)
    {
    }
}

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    consumer_state_t *s = clientd;
    bool ok = st_frame_check(frame);
    if (s->slow)
    {
        busy_wait_us(2000); /* a slow application: the producer moves on meanwhile */
    }
    if (!tp_consumer_frame_is_intact(frame))
    {
        s->result->overwritten++;
        return;
    }
    if (!ok)
    {
        s->result->bad++;
        return;
    }
    if (s->any && frame->seq <= s->last_seq)
    {
        s->result->out_of_order++;
    }
    s->any = true;
    s->last_seq = frame->seq;
    s->result->verified++;
}

static bool is_mapped(void *arg)
{
    return tp_consumer_is_mapped(arg);
}

static bool producer_finished(void *arg)
{
    (void)arg;
    return 0 != shared->producer_done;
}

static int run_consumer(void *arg)
{
    int index = (int)(intptr_t)arg;
    consumer_state_t state = {.result = &shared->consumers[index], .slow = SLOW_INDEX == index};
    tp_client_t *client =
        st_client(shared->aeron_dir, shared->shm_dir, state.slow ? TP_CLIENT_MODE_AGENT : TP_CLIENT_MODE_INVOKER);
    tp_consumer_config_t cfg;
    tp_consumer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.consumer_id = 100 + (uint32_t)index;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &cfg) < 0)
    {
        fprintf(stderr, "consumer %d: %s\n", index, tp_errmsg());
        return 10;
    }
    if (!st_poll_consumer_until(client, consumer, on_frame, &state, is_mapped, consumer, 10000))
    {
        fprintf(stderr, "consumer %d never mapped: %s\n", index, tp_consumer_last_error(consumer));
        return 11;
    }
    state.result->ready = 1;
    if (!st_poll_consumer_until(client, consumer, on_frame, &state, producer_finished, NULL, 60000))
    {
        return 12;
    }
    /* Drain what is still in the log. */
    st_pump(client, NULL, consumer, on_frame, &state, 300);
    const tp_consumer_counters_t *c = tp_consumer_counters(consumer);
    state.result->drops_gap = c->drops_gap;
    state.result->drops_late = c->drops_late;
    state.result->drops_invalid = c->drops_invalid;
    state.result->frames_accepted = c->frames_accepted;
    state.result->last_seq = state.last_seq;
    state.result->finished = 1;
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

static bool consumers_ready(void *arg)
{
    tp_producer_t *producer = arg;
    for (int i = 0; i < CONSUMERS; i++)
    {
        if (!shared->consumers[i].ready)
        {
            return false;
        }
    }
    return tp_producer_consumer_count(producer) >= CONSUMERS;
}

static bool consumers_finished(void *arg)
{
    (void)arg;
    for (int i = 0; i < CONSUMERS; i++)
    {
        if (!shared->consumers[i].finished)
        {
            return false;
        }
    }
    return true;
}

static int run_producer(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_producer_config_t cfg;
    tp_producer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.producer_id = 1;
    cfg.header_nslots = 32;
    cfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 4096};
    cfg.pools[1] = (tp_producer_pool_config_t){.pool_id = 2, .stride_bytes = 8192};
    cfg.pool_count = 2;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &cfg) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        return 20;
    }
    if (!st_poll_producer_until(client, producer, consumers_ready, producer, 15000))
    {
        fprintf(stderr, "producer: consumers never got ready (%zu known)\n", tp_producer_consumer_count(producer));
        return 21;
    }
    static uint8_t scratch[8192];
    for (uint64_t i = 0; i < FRAMES; i++)
    {
        uint64_t seq = tp_producer_next_seq(producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        int rc;
        if (0 == (i & 1))
        {
            st_frame_fill(scratch, seq);
            rc = tp_producer_offer(producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq));
        }
        else
        {
            tp_producer_claim_t claim;
            rc = tp_producer_claim(producer, st_frame_length(seq), &desc, &claim);
            if (TP_PRODUCER_OK != rc)
            {
                return 22;
            }
            st_frame_fill(claim.payload, seq);
            rc = tp_producer_commit(producer, &claim, &desc, st_frame_timestamp(seq));
        }
        if (TP_PRODUCER_BACK_PRESSURE == rc)
        {
            shared->commits_back_pressured++;
        }
        else if (rc < 0)
        {
            fprintf(stderr, "producer: frame %llu failed with %d\n", (unsigned long long)seq, rc);
            return 23;
        }
        shared->frames_sent++;
        tp_client_do_work(client);
        tp_producer_poll(producer, 0);
        if (0 == (i % 8))
        {
            usleep(1000); /* keep the fast consumer mostly in step on a loaded 2-core machine */
        }
    }
    shared->producer_done = 1;
    bool ok = st_poll_producer_until(client, producer, consumers_finished, NULL, 60000);
    tp_producer_close(producer);
    tp_client_close(client);
    return ok ? 0 : 24;
}

static void test_producer_and_two_consumers(void **state)
{
    (void)state;
    shared = st_shared_alloc(sizeof(*shared));
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", driver.dir);
    st_scratch_dir(shared->shm_dir, sizeof(shared->shm_dir));

    pid_t consumers[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
    {
        consumers[i] = st_spawn(run_consumer, (void *)(intptr_t)i);
    }
    pid_t producer = st_spawn(run_producer, NULL);
    int producer_rc = st_wait(producer, 90000);
    int consumer_rc[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
    {
        consumer_rc[i] = st_wait(consumers[i], 30000);
    }
    st_driver_stop(&driver);
    st_remove_tree(shared->shm_dir);

    assert_int_equal(0, producer_rc);
    assert_int_equal(FRAMES, shared->frames_sent);
    for (int i = 0; i < CONSUMERS; i++)
    {
        consumer_result_t *r = &shared->consumers[i];
        fprintf(stderr,
                "consumer %d: verified=%llu bad=%llu overwritten=%llu drops_gap=%llu drops_late=%llu invalid=%llu\n", i,
                (unsigned long long)r->verified, (unsigned long long)r->bad, (unsigned long long)r->overwritten,
                (unsigned long long)r->drops_gap, (unsigned long long)r->drops_late,
                (unsigned long long)r->drops_invalid);
        assert_int_equal(0, consumer_rc[i]);
        assert_int_equal(0, r->bad);
        assert_int_equal(0, r->out_of_order);
        assert_int_equal(0, r->drops_invalid);
        assert_true(r->verified > 0);
        /* Every frame is accounted for: handed over (then verified or found overwritten) or counted as a drop. */
        assert_int_equal(FRAMES, r->verified + r->overwritten + r->drops_gap + r->drops_late);
        assert_int_equal(r->frames_accepted, r->verified + r->overwritten);
    }
    consumer_result_t *slow = &shared->consumers[SLOW_INDEX];
    assert_true(slow->drops_gap + slow->drops_late + slow->overwritten > 0);
    assert_true(slow->verified < FRAMES);
    st_shared_free(shared, sizeof(*shared));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producer_and_two_consumers),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
