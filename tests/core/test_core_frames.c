/*
 * Producer core -> sink -> consumer core, in one process, on real regions under /dev/shm: every accepted frame
 * verified (header fields, pattern and checksum), slow and lossy delivery accounted exactly as gaps and late
 * drops, producer restart with an epoch bump, and the zero-copy claim/commit/abort paths.
 */
#include <errno.h>
#include <sys/stat.h>

#include "core_test_announce.h"

#include "shm/tp_frame_status.h"

typedef struct frames_state_stct
{
    char root[PATH_MAX];
    ct_queue_t to_consumer;
    ct_queue_t to_producer;
    tp_producer_context_t pctx;
    tp_consumer_context_t cctx;
    tp_producer_core_t *producer;
    tp_consumer_core_t *consumer;

    uint64_t accepted;
    uint64_t bad;
    uint64_t last_seq;
    uint64_t last_epoch;
    uint16_t pools_seen; /* bit per pool id */
} frames_state_t;

static void on_frame(void *clientd, const tp_consumer_frame_t *f)
{
    frames_state_t *s = clientd;
    const tp_tensor_view_t *t = &f->tensor;
    int64_t elements = 1;
    for (uint8_t i = 0; i < t->ndims; i++)
    {
        elements *= t->dims[i];
    }
    bool ok = t->seq == f->seq && f->payload_length == t->values_len_bytes && TP_DTYPE_UINT8 == t->dtype &&
              TP_MAJOR_ORDER_ROW == t->major_order && (uint64_t)elements == f->payload_length &&
              t->timestamp_ns == 1000 + f->seq && t->payload_slot == f->header_index &&
              (0 == f->payload_length ||
               (NULL != f->payload && 0 == ct_check_payload(f->payload, f->payload_length, f->seq))) &&
              tp_consumer_frame_is_intact(f);
    if (!ok)
    {
        s->bad++;
    }
    s->accepted++;
    s->last_seq = f->seq;
    s->last_epoch = f->epoch;
    s->pools_seen |= (uint16_t)(1u << t->pool_id);
}

static int setup(void **state)
{
    frames_state_t *s = calloc(1, sizeof(*s));
    ct_make_root(s->root, sizeof(s->root), "frames");
    ct_queue_init(&s->to_consumer);
    ct_queue_init(&s->to_producer);
    ct_producer_context(&s->pctx, s->root, ct_sink(&s->to_consumer));
    ct_consumer_context(&s->cctx, s->root, 42, ct_sink(&s->to_producer));
    s->cctx.on_frame = on_frame;
    s->cctx.handler_clientd = s;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    frames_state_t *s = *state;
    tp_consumer_core_close(s->consumer);
    tp_producer_core_close(s->producer);
    ct_queue_free(&s->to_consumer);
    ct_queue_free(&s->to_producer);
    ct_remove_tree(s->root);
    free(s);
    return 0;
}

static void start_both(frames_state_t *s)
{
    s->producer = ct_start_producer(&s->pctx);
    s->consumer = ct_start_consumer(&s->cctx);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    if (!tp_consumer_core_is_mapped(s->consumer))
    {
        fail_msg("consumer did not map: %s", tp_consumer_core_last_error(s->consumer));
    }
}

/* Offer one frame of length bytes (rows x cols), payload pattern by the seq it will get. */
static int offer(frames_state_t *s, uint32_t rows, uint32_t cols)
{
    static uint8_t buf[70000];
    uint64_t seq = tp_producer_core_next_seq(s->producer);
    uint32_t length = rows * cols;
    ct_fill_payload(buf, length, seq);
    tp_tensor_desc_t desc = ct_desc(rows, cols);
    return tp_producer_core_offer(s->producer, &desc, buf, length, 1000 + seq);
}

static void test_every_frame_verified(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    assert_int_equal(1, tp_consumer_core_epoch(s->consumer) > 0);

    uint64_t committed = 0;
    for (uint32_t i = 0; i < 300; i++)
    {
        uint32_t rows = 1 + i % 5;
        uint32_t cols = (i * 977u) % 13000u;
        if (0 == i % 4)
        {
            /* zero-copy: claim, fill in place, commit */
            tp_producer_claim_t claim;
            uint64_t seq = tp_producer_core_next_seq(s->producer);
            assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, rows * cols, NULL, &claim));
            assert_int_equal(seq, claim.seq);
            assert_true(claim.capacity >= rows * cols);
            ct_fill_payload(claim.payload, rows * cols, seq);
            tp_tensor_desc_t desc = ct_desc(rows, cols);
            assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &desc, 1000 + seq, 0));
        }
        else if (0 == i % 9)
        {
            /* an aborted claim publishes nothing and its seq is reused: no gap for the consumer */
            tp_producer_claim_t claim;
            uint64_t seq = tp_producer_core_next_seq(s->producer);
            assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 100, NULL, &claim));
            memset(claim.payload, 0xEE, 100);
            assert_int_equal(TP_PRODUCER_OK, tp_producer_core_abort(s->producer, &claim));
            assert_int_equal(seq, tp_producer_core_next_seq(s->producer));
            assert_int_equal(TP_PRODUCER_OK, offer(s, rows, cols));
        }
        else
        {
            assert_int_equal(TP_PRODUCER_OK, offer(s, rows, cols));
        }
        committed++;
        ct_pump_one(&s->to_consumer, s->consumer, 42);
    }
    /* Nothing fits 70000 bytes: dropped and counted, no descriptor, no seq consumed. */
    uint64_t seq = tp_producer_core_next_seq(s->producer);
    assert_int_equal(TP_PRODUCER_NO_POOL, offer(s, 7, 10000));
    assert_int_equal(seq, tp_producer_core_next_seq(s->producer));
    assert_int_equal(1, tp_producer_core_counters(s->producer)->drops_no_pool);
    assert_int_equal(0, ct_queue_size(&s->to_consumer));

    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);
    assert_int_equal(committed, s->accepted);
    assert_int_equal(0, s->bad);
    assert_int_equal(committed, c->frames_accepted);
    assert_int_equal(0, c->drops_gap);
    assert_int_equal(0, c->drops_late);
    assert_int_equal(0, c->drops_invalid);
    assert_int_equal(committed, tp_producer_core_counters(s->producer)->frames_committed);
    /* Both size classes were used: the smallest fitting stride is chosen. */
    assert_int_equal((1u << 1) | (1u << 2), s->pools_seen);
}

static void test_claim_rules(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    tp_producer_claim_t claim;
    tp_producer_claim_t other;
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 10, NULL, &claim));
    assert_int_equal(1, claim.pool_id); /* 10 bytes -> the 4096 pool */
    assert_int_equal(TP_PRODUCER_CLAIM_ACTIVE, tp_producer_core_claim(s->producer, 10, NULL, &other));
    /* A description that does not fit the claimed length is refused and the claim given up. */
    tp_tensor_desc_t big = ct_desc(4, 100);
    assert_int_equal(TP_PRODUCER_BAD_TENSOR, tp_producer_core_commit(s->producer, &claim, &big, 0, 0));
    assert_int_equal(TP_PRODUCER_NO_CLAIM, tp_producer_core_commit(s->producer, &claim, &big, 0, 0));
    assert_int_equal(TP_PRODUCER_NO_CLAIM, tp_producer_core_abort(s->producer, &claim));
    assert_int_equal(0, ct_queue_size(&s->to_consumer));
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 5000, NULL, &claim));
    assert_int_equal(2, claim.pool_id); /* 5000 bytes -> the 65536 pool */
    assert_int_equal(0, claim.seq);     /* nothing was published before */
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_abort(s->producer, &claim));
    /* Empty payloads are valid frames. */
    tp_tensor_desc_t empty = ct_desc(1, 0);
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_offer(s->producer, &empty, NULL, 0, 1000));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(1, s->accepted);
    assert_int_equal(0, s->bad);
}

typedef struct shape_seen_stct
{
    int32_t dims[2];
    uint64_t timestamp_ns;
    uint64_t frames;
} shape_seen_t;

static void on_shape(void *clientd, const tp_consumer_frame_t *f)
{
    shape_seen_t *seen = clientd;
    seen->dims[0] = f->tensor.dims[0];
    seen->dims[1] = f->tensor.dims[1];
    seen->timestamp_ns = f->tensor.timestamp_ns;
    seen->frames++;
}

/* A claim made with a description writes the header then; commit only stamps it when the description is
 * unchanged, and rewrites it when the commit's description differs (another object, or the same one edited). */
static void test_commit_description_changes(void **state)
{
    frames_state_t *s = *state;
    shape_seen_t seen = {0};
    s->cctx.on_frame = on_shape;
    s->cctx.handler_clientd = &seen;
    start_both(s);
    tp_producer_claim_t claim;
    tp_tensor_desc_t desc = ct_desc(4, 25);
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 100, &desc, &claim));
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &desc, 777, 0));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(1, seen.frames);
    assert_int_equal(4, seen.dims[0]);
    assert_int_equal(25, seen.dims[1]);
    assert_int_equal(777, seen.timestamp_ns);

    tp_tensor_desc_t other = ct_desc(10, 10);
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 100, &desc, &claim));
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &other, 778, 0));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(2, seen.frames);
    assert_int_equal(10, seen.dims[0]);
    assert_int_equal(10, seen.dims[1]);
    assert_int_equal(778, seen.timestamp_ns);

    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 100, &desc, &claim));
    desc = ct_desc(2, 50); /* the same object, edited between claim and commit */
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &desc, 779, 0));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(3, seen.frames);
    assert_int_equal(2, seen.dims[0]);
    assert_int_equal(50, seen.dims[1]);
    assert_int_equal(779, seen.timestamp_ns);

    /* An edited description that no longer fits the claimed length is still refused. */
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 100, &desc, &claim));
    desc = ct_desc(4, 100);
    assert_int_equal(TP_PRODUCER_BAD_TENSOR, tp_producer_core_commit(s->producer, &claim, &desc, 780, 0));
    assert_int_equal(0, ct_queue_size(&s->to_consumer));
}

/*
 * A consumer that falls behind (drains the descriptor queue only every few frames) over a lossy transport. The
 * expected outcome of every descriptor is computed from the producer position at delivery time: a frame is
 * still intact iff seq + nslots >= next_seq. Lost descriptors followed by a delivered one are gaps.
 */
static void test_slow_lossy_consumer(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    const uint64_t nslots = s->pctx.header_nslots;
    uint64_t expected_accepted = 0;
    uint64_t expected_late = 0;
    uint64_t lost = 0;
    uint64_t descriptor_count = 0;
    uint64_t produced = 0;

    for (uint32_t round = 0; round < 60; round++)
    {
        uint32_t burst = 1 + (round * 7u) % 37u; /* sometimes far more than nslots */
        for (uint32_t k = 0; k < burst; k++)
        {
            assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100 + (round * 31u + k) % 3000u));
            produced++;
        }
        uint64_t next = tp_producer_core_next_seq(s->producer);
        ct_msg_t *m;
        uint64_t last_delivered = UINT64_MAX;
        while (NULL != (m = ct_queue_pop(&s->to_consumer)))
        {
            if (TP_STREAM_DESCRIPTOR == m->kind)
            {
                uint64_t seq;
                memcpy(&seq, m->data + 8 + 12, 8);
                bool is_last = seq == next - 1;
                if (!is_last && 4 == descriptor_count++ % 11)
                {
                    lost++;
                    continue;
                }
                if (seq + nslots >= next)
                {
                    expected_accepted++;
                }
                else
                {
                    expected_late++;
                }
                last_delivered = seq;
            }
            tp_consumer_core_on_message(s->consumer, m->kind, m->data, m->length);
        }
        assert_int_equal(next - 1, last_delivered);
    }

    /* A slot being rewritten right now: its old descriptor is late, the half-written payload never seen. */
    uint64_t before = tp_producer_core_next_seq(s->producer);
    for (uint64_t i = 0; i < nslots; i++)
    {
        assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 64));
    }
    ct_msg_t held = *ct_queue_pop(&s->to_consumer); /* descriptor of seq `before` */
    ct_queue_clear(&s->to_consumer);
    tp_producer_claim_t claim;
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 64, NULL, &claim));
    assert_int_equal(before + nslots, claim.seq);
    memset(claim.payload, 0xAB, 32);
    tp_consumer_core_on_message(s->consumer, held.kind, held.data, held.length);
    expected_late++; /* seqs after `held` were never delivered, but nothing follows them: not gaps yet */

    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);
    assert_int_equal(0, s->bad);
    assert_int_equal(expected_accepted, s->accepted);
    assert_int_equal(expected_late, c->drops_late);
    /* `before` directly follows the loop's last delivered seq, so the gaps are exactly the lost descriptors. */
    assert_int_equal(lost, c->drops_gap);
    assert_true(c->drops_late > 0);
    assert_true(c->drops_gap > 0);
    assert_true(s->accepted > 0);
    assert_int_equal(produced, tp_producer_core_counters(s->producer)->frames_committed - nslots);
}

static void test_restart_bumps_epoch_and_consumer_remaps(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    uint64_t epoch1 = tp_producer_core_epoch(s->producer);
    for (int i = 0; i < 5; i++)
    {
        assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 500));
    }
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(5, s->accepted);

    /* Frames in flight when the producer goes away. */
    for (int i = 0; i < 3; i++)
    {
        assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 500));
    }
    ct_queue_t in_flight;
    ct_queue_init(&in_flight);
    ct_msg_t *m;
    while (NULL != (m = ct_queue_pop(&s->to_consumer)))
    {
        ct_sink_offer(&in_flight, &(tp_sink_target_t){m->kind, m->stream_id, NULL, 0}, m->data, m->length);
    }
    tp_producer_core_close(s->producer);
    s->producer = ct_start_producer(&s->pctx);
    uint64_t epoch2 = tp_producer_core_epoch(s->producer);
    assert_true(epoch2 > epoch1);
    assert_int_equal(0, tp_producer_core_next_seq(s->producer));

    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_true(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(epoch2, tp_consumer_core_epoch(s->consumer));
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->remaps);

    /* The old epoch's in-flight descriptors are dropped, not accepted from the new mapping. */
    ct_pump_one(&in_flight, s->consumer, 42);
    ct_queue_free(&in_flight);
    assert_int_equal(5, s->accepted);
    assert_int_equal(3, tp_consumer_core_counters(s->consumer)->descriptors_wrong_epoch);

    /* Resumes from seq 0 of the new epoch without calling it a replay or a gap. */
    for (int i = 0; i < 4; i++)
    {
        assert_int_equal(TP_PRODUCER_OK, offer(s, 2, 300));
    }
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(9, s->accepted);
    assert_int_equal(0, s->bad);
    assert_int_equal(3, s->last_seq);
    assert_int_equal(epoch2, s->last_epoch);
    assert_int_equal(0, tp_consumer_core_counters(s->consumer)->drops_gap);
    assert_int_equal(0, tp_consumer_core_counters(s->consumer)->descriptors_replayed);

    /* A clean close leaves nothing: no epoch, instance or namespace directory. A third start still goes higher. */
    tp_producer_core_close(s->producer);
    s->producer = NULL;
    char ns_dir[sizeof(s->pctx.shm_base_dir) + sizeof(s->pctx.namespace_name) + 1];
    struct stat st;
    snprintf(ns_dir, sizeof(ns_dir), "%s/%s", s->pctx.shm_base_dir, s->pctx.namespace_name);
    assert_int_equal(-1, lstat(ns_dir, &st));
    assert_int_equal(ENOENT, errno);
    s->producer = ct_start_producer(&s->pctx);
    assert_true(tp_producer_core_epoch(s->producer) > epoch2);
}

static void put_file(const char *dir, const char *name)
{
    char path[PATH_MAX + 96];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

/* A crashed run's older epochs go at the next start (regions and the wake word); a directory holding a file
 * that is not ours stays, with only our files removed from it. */
static void test_start_removes_crashed_epochs(void **state)
{
    frames_state_t *s = *state;
    char instance[PATH_MAX + 16];
    char old_dir[PATH_MAX + 32];
    char foreign_dir[PATH_MAX + 32];
    char kept[PATH_MAX + 64];
    struct stat st;
    snprintf(instance, sizeof(instance), "%s/ns/cam0", s->root);
    snprintf(old_dir, sizeof(old_dir), "%s/epoch-1", instance);
    snprintf(foreign_dir, sizeof(foreign_dir), "%s/epoch-2", instance);
    snprintf(kept, sizeof(kept), "%s/ns", s->root);
    assert_int_equal(0, mkdir(kept, 0700));
    assert_int_equal(0, mkdir(instance, 0700));
    assert_int_equal(0, mkdir(old_dir, 0700));
    assert_int_equal(0, mkdir(foreign_dir, 0700));
    put_file(old_dir, "header.ring");
    put_file(old_dir, "payload-1.pool");
    put_file(old_dir, "wake.futex");
    put_file(foreign_dir, "header.ring");
    put_file(foreign_dir, "notes.txt");

    s->producer = ct_start_producer(&s->pctx);
    assert_true(tp_producer_core_epoch(s->producer) > 2);
    assert_int_equal(-1, lstat(old_dir, &st));
    assert_int_equal(ENOENT, errno);
    snprintf(kept, sizeof(kept), "%s/notes.txt", foreign_dir);
    assert_int_equal(0, lstat(kept, &st));
    snprintf(kept, sizeof(kept), "%s/header.ring", foreign_dir);
    assert_int_equal(-1, lstat(kept, &st));
}

static void test_sink_refusal_reported(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    /* Back pressure: the frame is committed (no producer blocking, §15.4) but the caller hears about it. */
    s->to_consumer.refuse = true;
    assert_int_equal(TP_PRODUCER_BACK_PRESSURE, offer(s, 1, 100));
    assert_int_equal(2, tp_producer_core_next_seq(s->producer));
    assert_int_equal(1, tp_producer_core_counters(s->producer)->sink_refusals);
    /* A refused announce is retried on the next duty cycle rather than waiting a whole period. */
    uint64_t now = tp_clock_monotonic_ns();
    tp_producer_core_announce_now(s->producer);
    tp_producer_core_do_work(s->producer, now);
    s->to_consumer.refuse = false;
    tp_producer_core_do_work(s->producer, now + 1000);
    size_t announces = 0;
    ct_msg_t *m;
    while (NULL != (m = ct_queue_pop(&s->to_consumer)))
    {
        announces += ct_is_template(m, 1);
    }
    assert_int_equal(1, announces);
    /* The lost descriptor shows up as a gap on the next frame. */
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(2, s->accepted);
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->drops_gap);
}

static void test_gap_beyond_max_outstanding_resyncs(void **state)
{
    frames_state_t *s = *state;
    s->cctx.max_outstanding_seq_gap = 4;
    start_both(s);
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    /* 3 lost: a gap within the bound. Then 10 lost: beyond it, the consumer jumps to the latest and says so. */
    for (int lost = 0; lost < 3; lost++)
    {
        assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    }
    ct_queue_clear(&s->to_consumer);
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(0, tp_consumer_core_counters(s->consumer)->resyncs);
    for (int lost = 0; lost < 10; lost++)
    {
        assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    }
    ct_queue_clear(&s->to_consumer);
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);
    assert_int_equal(1, c->resyncs);
    assert_int_equal(13, c->drops_gap);
    assert_int_equal(3, s->accepted);
    assert_int_equal(15, s->last_seq);
}

static void test_dead_producer_unmapped(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    uint64_t epoch = tp_consumer_core_epoch(s->consumer);
    /* Within the window nothing happens; past it without an activity refresh the regions are let go. */
    uint64_t now = tp_clock_monotonic_ns();
    tp_consumer_core_do_work(s->consumer, now + UINT64_C(1000000000));
    assert_true(tp_consumer_core_is_mapped(s->consumer));
    tp_consumer_core_do_work(s->consumer, now + UINT64_C(10000000000));
    assert_false(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->producer_stale_unmaps);
    assert_non_null(strstr(tp_consumer_core_last_error(s->consumer), "stale"));
    /* Descriptors now find nothing mapped. */
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->drops_unmapped);
    /* The same (live) producer announcing again is mapped again. */
    tp_producer_core_announce_now(s->producer);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_true(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(epoch, tp_consumer_core_epoch(s->consumer));
    assert_int_equal(TP_PRODUCER_OK, offer(s, 1, 100));
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(1, s->accepted);
}

/* A descriptor the transport refuses is queued and re-offered in order (next commit or do_work) while its slot is
 * intact; only a slot reused before delivery loses it, and that is counted. Nothing committed vanishes silently. */
static void test_refused_descriptors_reoffered(void **state)
{
    frames_state_t *s = *state;
    start_both(s);
    const tp_producer_counters_t *pc = tp_producer_core_counters(s->producer);
    const tp_consumer_counters_t *cc = tp_consumer_core_counters(s->consumer);
    ct_queue_clear(&s->to_consumer);

    s->to_consumer.refuse = true;
    for (int i = 0; i < 3; i++)
    {
        assert_int_equal(TP_PRODUCER_BACK_PRESSURE, offer(s, 2, 100));
    }
    assert_int_equal(3, pc->descriptors_queued);
    s->to_consumer.refuse = false;
    assert_true(tp_producer_core_do_work(s->producer, 0) >= 3);
    assert_int_equal(3, pc->descriptors_reoffered);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(3, s->accepted);
    assert_int_equal(0, s->bad);
    assert_int_equal(2, s->last_seq);

    /* Refused for longer than the ring (16 slots, 18 frames, then one more): seqs 3 and 4 are overwritten by 19 and
     * 20 while queued, and 5 by the 21 that is committed once the transport takes descriptors again. */
    s->to_consumer.refuse = true;
    for (int i = 0; i < 18; i++)
    {
        assert_int_equal(TP_PRODUCER_BACK_PRESSURE, offer(s, 2, 100));
    }
    s->to_consumer.refuse = false;
    /* The next commit flushes the queue first, in order, then its own descriptor goes out. */
    assert_int_equal(TP_PRODUCER_OK, offer(s, 2, 100));
    assert_int_equal(3, pc->descriptors_dropped_reused);
    assert_int_equal(3 + 15, pc->descriptors_reoffered);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(3 + 15 + 1, s->accepted);
    assert_int_equal(0, s->bad);
    assert_int_equal(21, s->last_seq);
    assert_int_equal(3, cc->drops_gap);
}

static int not_connected_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    (void)clientd;
    (void)target;
    (void)buffer;
    (void)length;
    return 1;
}

/* Nobody subscribed: the frame is committed and the producer says so, distinct from a delivery. */
static void test_not_connected_reported(void **state)
{
    frames_state_t *s = *state;
    s->pctx.sink.offer = not_connected_offer;
    s->producer = ct_start_producer(&s->pctx);
    assert_int_equal(TP_PRODUCER_NOT_CONNECTED, offer(s, 1, 10));
    assert_int_equal(1, tp_producer_core_counters(s->producer)->descriptors_not_connected);
    assert_int_equal(1, tp_producer_core_counters(s->producer)->frames_committed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_frame_verified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_descriptors_reoffered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_connected_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_description_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_lossy_consumer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_bumps_epoch_and_consumer_remaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_removes_crashed_epochs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_refusal_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_beyond_max_outstanding_resyncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_producer_unmapped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
