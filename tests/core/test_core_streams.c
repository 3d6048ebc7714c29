/*
 * Per-consumer streams and progress between the producer and consumer cores: requests granted and declined by
 * both §10.1.2 rules (plus range, channel, collision and transport refusals), the stale consumer's stream closed,
 * max_rate_hz applied on per-consumer descriptor streams only, and FrameProgress STARTED -> PROGRESS -> COMPLETE
 * with hint aggregation, producer floors, throttling and consumer-side regression drops. The producer runs on a
 * fake clock so every throttling decision is deterministic.
 */
#include "core_test_util.h"

#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/frameProgress.h"

typedef struct progress_seen_stct
{
    uint8_t state;
    uint64_t filled;
    uint64_t safe;
    bool payload;
} progress_seen_t;

typedef struct streams_state_stct
{
    char root[PATH_MAX];
    ct_queue_t to_consumer;
    ct_queue_t to_producer;
    tp_producer_context_t pctx;
    tp_producer_core_t *producer;
    uint64_t now;
    uint64_t accepted[4];
    uint64_t configs;
    progress_seen_t progress[16];
    size_t progress_count;
} streams_state_t;

typedef struct consumer_handle_stct
{
    streams_state_t *s;
    int slot;
} consumer_handle_t;

static consumer_handle_t handles[4];

static uint64_t fake_clock(void *clientd)
{
    return ((streams_state_t *)clientd)->now;
}

static void on_frame(void *clientd, const tp_consumer_frame_t *f)
{
    consumer_handle_t *h = clientd;
    if (65536 == f->payload_length)
    {
        /* the progress tests write 64 rows of 1024 bytes, row r filled with r */
        for (uint32_t i = 0; i < f->payload_length; i++)
        {
            assert_int_equal((uint8_t)(i / 1024), f->payload[i]);
        }
    }
    else
    {
        assert_int_equal(0, ct_check_payload(f->payload, f->payload_length, f->seq));
    }
    h->s->accepted[h->slot]++;
}

static void on_config(void *clientd, const tp_consumer_assignment_t *a)
{
    consumer_handle_t *h = clientd;
    (void)a;
    h->s->configs++;
}

static void on_progress(void *clientd, const tp_consumer_progress_t *p)
{
    consumer_handle_t *h = clientd;
    streams_state_t *s = h->s;
    assert_true(s->progress_count < 16);
    progress_seen_t *seen = &s->progress[s->progress_count++];
    seen->state = p->state;
    seen->filled = p->payload_bytes_filled;
    seen->safe = p->safe_bytes;
    seen->payload = NULL != p->payload;
    if (NULL != p->payload)
    {
        /* The safe prefix really holds the rows written so far. */
        for (uint64_t i = 0; i < p->safe_bytes; i++)
        {
            if (p->payload[i] != (uint8_t)(i / 1024))
            {
                fail_msg("progress prefix byte %llu is %u", (unsigned long long)i, p->payload[i]);
            }
        }
    }
}

static int setup(void **state)
{
    streams_state_t *s = calloc(1, sizeof(*s));
    ct_make_root(s->root, sizeof(s->root), "streams");
    ct_queue_init(&s->to_consumer);
    ct_queue_init(&s->to_producer);
    ct_producer_context(&s->pctx, s->root, ct_sink(&s->to_consumer));
    s->now = tp_clock_monotonic_ns();
    s->pctx.clock = fake_clock;
    s->pctx.clock_clientd = s;
    s->producer = ct_start_producer(&s->pctx);
    for (int i = 0; i < 4; i++)
    {
        handles[i].s = s;
        handles[i].slot = i;
    }
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    streams_state_t *s = *state;
    tp_producer_core_close(s->producer);
    ct_queue_free(&s->to_consumer);
    ct_queue_free(&s->to_producer);
    ct_remove_tree(s->root);
    free(s);
    return 0;
}

static tp_consumer_core_t *consumer(streams_state_t *s, int slot, uint32_t id, const char *channel, uint32_t stream_id,
                                    uint32_t max_rate_hz)
{
    tp_consumer_context_t ctx;
    ct_consumer_context(&ctx, s->root, id, ct_sink(&s->to_producer));
    snprintf(ctx.descriptor_channel, sizeof(ctx.descriptor_channel), "%s", channel);
    ctx.descriptor_stream_id = stream_id;
    ctx.max_rate_hz = max_rate_hz;
    ctx.on_frame = on_frame;
    ctx.on_config = on_config;
    ctx.on_progress = on_progress;
    ctx.handler_clientd = &handles[slot];
    return ct_start_consumer(&ctx);
}

/* Hello -> producer -> ConsumerConfig + announce -> consumers. */
static void handshake(streams_state_t *s, tp_consumer_core_t *const *cs, const uint32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
    {
        tp_consumer_core_do_work(cs[i], tp_clock_monotonic_ns());
    }
    ct_pump_back(&s->to_producer, s->producer);
    /* The announce must not predate the consumers' join time (MONOTONIC join-time rule). */
    uint64_t real = tp_clock_monotonic_ns();
    s->now = s->now < real ? real : s->now;
    tp_producer_core_announce_now(s->producer);
    tp_producer_core_do_work(s->producer, s->now);
    ct_pump(&s->to_consumer, cs, ids, n);
    for (size_t i = 0; i < n; i++)
    {
        assert_true(tp_consumer_core_is_mapped(cs[i]));
    }
}

static void offer(streams_state_t *s)
{
    uint8_t buf[512];
    uint64_t seq = tp_producer_core_next_seq(s->producer);
    ct_fill_payload(buf, sizeof(buf), seq);
    tp_tensor_desc_t desc = ct_desc(1, sizeof(buf));
    assert_true(tp_producer_core_offer(s->producer, &desc, buf, sizeof(buf), seq) >= 0);
}

static size_t count_kind(const ct_queue_t *q, tp_stream_kind_t kind)
{
    size_t n = 0;
    for (size_t i = q->head; i < q->tail; i++)
    {
        n += q->msgs[i % CT_QUEUE_CAP].kind == kind;
    }
    return n;
}

static void test_descriptor_stream_granted(void **state)
{
    streams_state_t *s = *state;
    tp_consumer_core_t *cs[2] = {consumer(s, 0, 42, "aeron:ipc?alias=c42", 31042, 0), consumer(s, 1, 43, "", 0, 0)};
    uint32_t ids[2] = {42, 43};
    handshake(s, cs, ids, 2);

    const tp_consumer_assignment_t *a = tp_consumer_core_assignment(cs[0]);
    assert_true(a->received);
    assert_int_equal(31042, a->descriptor_stream_id);
    assert_string_equal("aeron:ipc?alias=c42", a->descriptor_channel);
    assert_int_equal(0, a->control_stream_id);
    assert_int_equal(0, tp_consumer_core_assignment(cs[1])->descriptor_stream_id);
    assert_int_equal(2, s->configs);
    assert_int_equal(1, s->to_consumer.event_count);
    assert_true(s->to_consumer.events[0].open);
    assert_int_equal(TP_STREAM_CONSUMER_DESCRIPTOR, s->to_consumer.events[0].kind);
    assert_int_equal(31042, s->to_consumer.events[0].stream_id);
    assert_int_equal(42, s->to_consumer.events[0].consumer_id);
    assert_int_equal(1, tp_producer_core_counters(s->producer)->consumers_granted);

    for (int i = 0; i < 10; i++)
    {
        offer(s);
    }
    assert_int_equal(10, count_kind(&s->to_consumer, TP_STREAM_CONSUMER_DESCRIPTOR));
    assert_int_equal(10, count_kind(&s->to_consumer, TP_STREAM_DESCRIPTOR));
    ct_pump(&s->to_consumer, cs, ids, 2);
    /* Consumer 42 follows its own stream and ignores the shared one; 43 uses the shared one. */
    assert_int_equal(10, s->accepted[0]);
    assert_int_equal(10, s->accepted[1]);
    assert_int_equal(10, tp_consumer_core_counters(cs[0])->descriptors_other_stream);
    assert_int_equal(0, tp_consumer_core_counters(cs[0])->descriptors_replayed);

    /* A repeated hello keeps the grant without reopening. */
    tp_consumer_core_do_work(cs[0], tp_clock_monotonic_ns() + UINT64_C(2000000000));
    ct_pump_back(&s->to_producer, s->producer);
    assert_int_equal(1, s->to_consumer.event_count);
    assert_int_equal(1, tp_producer_core_counters(s->producer)->consumers_granted);
    tp_consumer_core_close(cs[0]);
    tp_consumer_core_close(cs[1]);
}

/* A hello as another implementation might send it, including the half requests our consumer refuses to send. */
static void send_hello(streams_state_t *s, uint32_t id, const char *channel, uint32_t stream_id)
{
    uint8_t buf[512];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_consumerHello msg;
    assert_non_null(
        shm_tensorpool_control_consumerHello_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr));
    shm_tensorpool_control_consumerHello_set_streamId(&msg, 10000);
    shm_tensorpool_control_consumerHello_set_consumerId(&msg, id);
    shm_tensorpool_control_consumerHello_set_supportsShm(&msg, shm_tensorpool_control_bool_TRUE);
    shm_tensorpool_control_consumerHello_set_supportsProgress(&msg, shm_tensorpool_control_bool_FALSE);
    shm_tensorpool_control_consumerHello_set_mode(&msg, shm_tensorpool_control_mode_STREAM);
    shm_tensorpool_control_consumerHello_set_maxRateHz(&msg, 0);
    shm_tensorpool_control_consumerHello_set_expectedLayoutVersion(&msg, 1);
    shm_tensorpool_control_consumerHello_set_progressIntervalUs(&msg, UINT32_MAX);
    shm_tensorpool_control_consumerHello_set_progressBytesDelta(&msg, UINT32_MAX);
    shm_tensorpool_control_consumerHello_set_progressMajorDeltaUnits(&msg, UINT32_MAX);
    shm_tensorpool_control_consumerHello_set_descriptorStreamId(&msg, stream_id);
    shm_tensorpool_control_consumerHello_set_controlStreamId(&msg, 0);
    assert_non_null(
        shm_tensorpool_control_consumerHello_put_descriptorChannel(&msg, channel, (uint32_t)strlen(channel)));
    assert_non_null(shm_tensorpool_control_consumerHello_put_controlChannel(&msg, "", 0));
    size_t length = 8 + shm_tensorpool_control_consumerHello_encoded_length(&msg);
    assert_int_equal(1, tp_producer_core_on_message(s->producer, buf, length));
}

static void test_half_requests_refused_at_start(void **state)
{
    streams_state_t *s = *state;
    tp_consumer_context_t ctx;
    ct_consumer_context(&ctx, s->root, 1, ct_sink(&s->to_producer));
    snprintf(ctx.descriptor_channel, sizeof(ctx.descriptor_channel), "aeron:ipc");
    tp_consumer_core_t *c = NULL;
    assert_int_equal(-1, tp_consumer_core_start(&c, &ctx));
    assert_non_null(strstr(tp_errmsg(), "channel and stream id together"));
    ctx.descriptor_channel[0] = '\0';
    ctx.control_stream_id = 32001;
    assert_int_equal(-1, tp_consumer_core_start(&c, &ctx));
    assert_null(c);
}

static void test_requests_declined(void **state)
{
    streams_state_t *s = *state;
    struct
    {
        uint32_t id;
        const char *channel;
        uint32_t stream_id;
        bool refuse_open;
    } cases[] = {
        {50, "aeron:ipc", 0, false},      /* channel without stream id */
        {51, "", 31051, false},           /* stream id without channel */
        {52, "aeron:ipc", 5, false},      /* outside the per-consumer range */
        {53, "bogus:chan", 31053, false}, /* not an Aeron channel */
        {54, "aeron:ipc", 31054, true},   /* the transport cannot open it */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    {
        s->to_consumer.decline_opens = cases[i].refuse_open;
        tp_consumer_core_t *c = consumer(s, 0, cases[i].id, "", 0, 0);
        handshake(s, &c, &cases[i].id, 1);
        uint64_t configs = s->configs;
        send_hello(s, cases[i].id, cases[i].channel, cases[i].stream_id);
        ct_pump_one(&s->to_consumer, c, cases[i].id);
        assert_int_equal(configs + 1, s->configs);
        const tp_consumer_assignment_t *a = tp_consumer_core_assignment(c);
        assert_true(a->received);
        assert_int_equal(0, a->descriptor_stream_id);
        assert_string_equal("", a->descriptor_channel);
        assert_int_equal(i + 1, tp_producer_core_counters(s->producer)->consumers_declined);
        /* It stays on the shared stream. */
        s->accepted[0] = 0;
        offer(s);
        assert_int_equal(0, count_kind(&s->to_consumer, TP_STREAM_CONSUMER_DESCRIPTOR));
        ct_pump_one(&s->to_consumer, c, cases[i].id);
        assert_int_equal(1, s->accepted[0]);
        tp_consumer_core_close(c);
    }
    s->to_consumer.decline_opens = false;
    assert_int_equal(0, s->to_consumer.event_count);

    /* A stream already granted to another consumer is declined for the second one. */
    tp_consumer_core_t *first = consumer(s, 0, 60, "aeron:ipc", 31060, 0);
    tp_consumer_core_t *second = consumer(s, 1, 61, "aeron:ipc", 31060, 0);
    tp_consumer_core_t *cs[2] = {first, second};
    uint32_t ids[2] = {60, 61};
    handshake(s, cs, ids, 2);
    assert_int_equal(31060, tp_consumer_core_assignment(first)->descriptor_stream_id);
    assert_int_equal(0, tp_consumer_core_assignment(second)->descriptor_stream_id);
    tp_consumer_core_close(first);
    tp_consumer_core_close(second);
}

static void test_control_stream_granted_for_progress_only(void **state)
{
    streams_state_t *s = *state;
    tp_consumer_context_t ctx;
    ct_consumer_context(&ctx, s->root, 70, ct_sink(&s->to_producer));
    snprintf(ctx.control_channel, sizeof(ctx.control_channel), "aeron:ipc");
    ctx.control_stream_id = 32070;
    ctx.supports_progress = true;
    ctx.on_progress = on_progress;
    ctx.on_frame = on_frame;
    ctx.handler_clientd = &handles[0];
    tp_consumer_core_t *c = ct_start_consumer(&ctx);
    uint32_t id = 70;
    handshake(s, &c, &id, 1);
    assert_int_equal(32070, tp_consumer_core_assignment(c)->control_stream_id);
    assert_int_equal(0, tp_consumer_core_assignment(c)->descriptor_stream_id);

    tp_producer_claim_t claim;
    tp_tensor_desc_t desc = ct_desc(4, 1024);
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 4096, &desc, &claim));
    memset(claim.payload, 0, 4096);
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &desc, 0, 0));
    /* Progress only on the consumer's control stream; descriptors stay shared. */
    assert_int_equal(2, count_kind(&s->to_consumer, TP_STREAM_CONSUMER_CONTROL));
    assert_int_equal(0, count_kind(&s->to_consumer, TP_STREAM_CONTROL));
    assert_int_equal(1, count_kind(&s->to_consumer, TP_STREAM_DESCRIPTOR));
    tp_consumer_core_close(c);
}

static void test_stale_consumer_stream_closed(void **state)
{
    streams_state_t *s = *state;
    tp_consumer_context_t ctx;
    ct_consumer_context(&ctx, s->root, 80, ct_sink(&s->to_producer));
    snprintf(ctx.descriptor_channel, sizeof(ctx.descriptor_channel), "aeron:ipc");
    ctx.descriptor_stream_id = 31080;
    ctx.hello_interval_ns = UINT64_C(1000000000000); /* hello once; QoS keeps it alive afterwards */
    tp_consumer_core_t *c = ct_start_consumer(&ctx);
    uint32_t id = 80;
    handshake(s, &c, &id, 1);
    assert_int_equal(1, tp_producer_core_consumer_count(s->producer));

    /* The producer's hello interval is 1 s and the stale factor 4: 3 s of silence is fine. */
    uint64_t t0 = s->now;
    s->now = t0 + UINT64_C(3000000000);
    tp_producer_core_do_work(s->producer, s->now);
    assert_int_equal(1, tp_producer_core_consumer_count(s->producer));
    /* A QosConsumer alone refreshes liveness. */
    tp_consumer_core_do_work(c, tp_clock_monotonic_ns() + UINT64_C(1500000000));
    ct_pump_back(&s->to_producer, s->producer);
    s->now = t0 + UINT64_C(6500000000);
    tp_producer_core_do_work(s->producer, s->now);
    assert_int_equal(1, tp_producer_core_consumer_count(s->producer));
    assert_int_equal(1, s->to_consumer.event_count);

    s->now = t0 + UINT64_C(7500000000);
    tp_producer_core_do_work(s->producer, s->now);
    assert_int_equal(0, tp_producer_core_consumer_count(s->producer));
    assert_int_equal(1, tp_producer_core_counters(s->producer)->consumers_stale);
    assert_int_equal(2, s->to_consumer.event_count);
    assert_false(s->to_consumer.events[1].open);
    assert_int_equal(31080, s->to_consumer.events[1].stream_id);
    ct_queue_clear(&s->to_consumer);
    offer(s);
    assert_int_equal(0, count_kind(&s->to_consumer, TP_STREAM_CONSUMER_DESCRIPTOR));
    assert_int_equal(1, count_kind(&s->to_consumer, TP_STREAM_DESCRIPTOR));
    tp_consumer_core_close(c);
}

static void test_max_rate_only_on_per_consumer_stream(void **state)
{
    streams_state_t *s = *state;
    tp_consumer_core_t *cs[2] = {consumer(s, 0, 90, "aeron:ipc", 31090, 10), consumer(s, 1, 91, "", 0, 10)};
    uint32_t ids[2] = {90, 91};
    handshake(s, cs, ids, 2);
    for (int i = 0; i < 5; i++)
    {
        offer(s);
    }
    assert_int_equal(1, count_kind(&s->to_consumer, TP_STREAM_CONSUMER_DESCRIPTOR));
    assert_int_equal(5, count_kind(&s->to_consumer, TP_STREAM_DESCRIPTOR));
    assert_int_equal(4, tp_producer_core_counters(s->producer)->descriptors_rate_limited);
    s->now += UINT64_C(100000000); /* 10 Hz: the next one may go */
    offer(s);
    assert_int_equal(2, count_kind(&s->to_consumer, TP_STREAM_CONSUMER_DESCRIPTOR));
    ct_pump(&s->to_consumer, cs, ids, 2);
    assert_int_equal(2, s->accepted[0]);
    assert_int_equal(6, s->accepted[1]); /* max_rate_hz ignored on the shared stream */
    assert_int_equal(4, tp_consumer_core_counters(cs[0])->drops_gap);
    tp_consumer_core_close(cs[0]);
    tp_consumer_core_close(cs[1]);
}

typedef struct wire_progress_stct
{
    uint64_t frame_id;
    uint64_t filled;
    uint8_t state;
} wire_progress_t;

static size_t collect_progress(const ct_queue_t *q, wire_progress_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = q->head; i < q->tail && n < max; i++)
    {
        const ct_msg_t *m = &q->msgs[i % CT_QUEUE_CAP];
        uint16_t template_id = (uint16_t)(m->data[2] | (m->data[3] << 8));
        if (11 == template_id)
        {
            memcpy(&out[n].frame_id, m->data + 8 + 12, 8);
            memcpy(&out[n].filled, m->data + 8 + 24, 8);
            out[n].state = m->data[8 + 32];
            n++;
        }
    }
    return n;
}

static tp_consumer_core_t *progress_consumer(streams_state_t *s, int slot, uint32_t id, uint32_t interval_us,
                                             uint32_t bytes)
{
    tp_consumer_context_t ctx;
    ct_consumer_context(&ctx, s->root, id, ct_sink(&s->to_producer));
    ctx.supports_progress = true;
    ctx.progress_interval_us = interval_us;
    ctx.progress_bytes_delta = bytes;
    ctx.on_progress = on_progress;
    ctx.on_frame = on_frame;
    ctx.handler_clientd = &handles[slot];
    return ct_start_consumer(&ctx);
}

static void fill_rows(uint8_t *p, uint32_t from_row, uint32_t to_row)
{
    for (uint32_t r = from_row; r < to_row; r++)
    {
        memset(p + (size_t)r * 1024, (int)r, 1024);
    }
}

static void test_progress_order_throttle_and_hints(void **state)
{
    streams_state_t *s = *state;
    tp_tensor_desc_t desc = ct_desc(64, 1024);
    desc.progress_unit = TP_PROGRESS_UNIT_ROWS;
    desc.progress_stride_bytes = 1024;
    tp_producer_claim_t claim;
    wire_progress_t wire[16];

    /* Nobody supports progress: nothing is published. */
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 65536, &desc, &claim));
    assert_int_equal(0, tp_producer_core_progress(s->producer, &claim, 65536));
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_abort(s->producer, &claim));
    assert_int_equal(0, collect_progress(&s->to_consumer, wire, 16));

    tp_consumer_core_t *c = progress_consumer(s, 0, 100, 100, 8192);
    uint32_t id = 100;
    handshake(s, &c, &id, 1);
    uint64_t interval;
    uint64_t bytes;
    tp_producer_core_progress_policy(s->producer, &interval, &bytes);
    assert_int_equal(100000, interval);
    assert_int_equal(8192, bytes);

    uint64_t t0 = s->now;
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 65536, &desc, &claim));
    s->now = t0 + 200000;
    fill_rows(claim.payload, 0, 4);
    assert_int_equal(0, tp_producer_core_progress(s->producer, &claim, 4096)); /* delta below 8192 */
    s->now = t0 + 250000;
    fill_rows(claim.payload, 4, 16);
    assert_int_equal(1, tp_producer_core_progress(s->producer, &claim, 16384));
    s->now = t0 + 300000;
    fill_rows(claim.payload, 16, 32);
    assert_int_equal(0, tp_producer_core_progress(s->producer, &claim, 32768)); /* 50 us since the last */
    assert_int_equal(0, tp_producer_core_progress(s->producer, &claim, 30000)); /* regressions never sent */
    s->now = t0 + 400000;
    assert_true(tp_producer_core_do_work(s->producer, s->now) >= 1); /* the held update goes out */
    assert_int_equal(TP_PRODUCER_BAD_ARGUMENT, tp_producer_core_progress(s->producer, &claim, 65537));
    fill_rows(claim.payload, 32, 64);
    s->now = t0 + 500000;
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &desc, 0, 0));

    size_t n = collect_progress(&s->to_consumer, wire, 16);
    assert_int_equal(4, n);
    const uint8_t states[4] = {1, 2, 2, 3};
    const uint64_t filled[4] = {0, 16384, 32768, 65536};
    for (size_t i = 0; i < n; i++)
    {
        assert_int_equal(claim.seq, wire[i].frame_id);
        assert_int_equal(states[i], wire[i].state);
        assert_int_equal(filled[i], wire[i].filled);
    }

    ct_pump_one(&s->to_consumer, c, id);
    assert_int_equal(1, s->accepted[0]);
    assert_int_equal(4, s->progress_count);
    for (size_t i = 0; i < 4; i++)
    {
        assert_int_equal(states[i], s->progress[i].state);
        assert_int_equal(filled[i], s->progress[i].filled);
        assert_int_equal(filled[i], s->progress[i].safe); /* whole rows */
        assert_int_equal(filled[i] > 0, s->progress[i].payload);
    }

    /* A second consumer hints below the producer floors: the floors win. */
    tp_consumer_core_t *fast = progress_consumer(s, 1, 101, 10, 100);
    uint32_t fast_id = 101;
    handshake(s, &fast, &fast_id, 1);
    tp_producer_core_progress_policy(s->producer, &interval, &bytes);
    assert_int_equal(50000, interval);
    assert_int_equal(4096, bytes);
    tp_consumer_core_close(fast);
    tp_consumer_core_close(c);
}

static void test_consumer_drops_progress_regressions(void **state)
{
    streams_state_t *s = *state;
    tp_consumer_core_t *c = progress_consumer(s, 0, 110, UINT32_MAX, UINT32_MAX);
    uint32_t id = 110;
    handshake(s, &c, &id, 1);
    tp_tensor_desc_t desc = ct_desc(64, 1024); /* contiguous, no progress unit: the prefix is safe as is */
    tp_producer_claim_t claim;
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 65536, &desc, &claim));
    s->now += 1000000;
    fill_rows(claim.payload, 0, 64);
    assert_int_equal(1, tp_producer_core_progress(s->producer, &claim, 65536));
    ct_msg_t started = *ct_queue_pop(&s->to_consumer);
    ct_msg_t progress = *ct_queue_pop(&s->to_consumer);
    assert_int_equal(1, tp_consumer_core_on_message(c, started.kind, started.data, started.length));
    assert_int_equal(1, tp_consumer_core_on_message(c, progress.kind, progress.data, progress.length));
    assert_int_equal(65536, s->progress[1].safe);

    /* The same frame going back to fewer bytes, then to STARTED: dropped, and the frame stays poisoned. */
    struct shm_tensorpool_control_frameProgress fp;
    assert_non_null(
        shm_tensorpool_control_frameProgress_wrap_for_decode(&fp, (char *)progress.data, 8, 33, 1, progress.length));
    shm_tensorpool_control_frameProgress_set_payloadBytesFilled(&fp, 1024);
    assert_int_equal(0, tp_consumer_core_on_message(c, progress.kind, progress.data, progress.length));
    shm_tensorpool_control_frameProgress_set_payloadBytesFilled(&fp, 65536);
    assert_int_equal(0, tp_consumer_core_on_message(c, progress.kind, progress.data, progress.length));
    assert_int_equal(0, tp_consumer_core_on_message(c, started.kind, started.data, started.length));
    assert_int_equal(3, tp_consumer_core_counters(c)->progress_dropped);
    assert_int_equal(2, tp_consumer_core_counters(c)->progress_accepted);
    /* Its COMPLETE is dropped too, but the FrameDescriptor still delivers the frame. */
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(s->producer, &claim, &desc, 0, 0));
    ct_pump_one(&s->to_consumer, c, id);
    assert_int_equal(1, s->accepted[0]);
    assert_int_equal(4, tp_consumer_core_counters(c)->progress_dropped);

    /* A new frame starts clean; an overfull one is dropped. */
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(s->producer, 65536, &desc, &claim));
    ct_msg_t next = *ct_queue_pop(&s->to_consumer);
    assert_non_null(
        shm_tensorpool_control_frameProgress_wrap_for_decode(&fp, (char *)next.data, 8, 33, 1, next.length));
    shm_tensorpool_control_frameProgress_set_payloadBytesFilled(&fp, 65537);
    assert_int_equal(0, tp_consumer_core_on_message(c, next.kind, next.data, next.length));
    assert_int_equal(5, tp_consumer_core_counters(c)->progress_dropped);
    assert_int_equal(2, tp_consumer_core_counters(c)->progress_accepted);
    tp_consumer_core_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor_stream_granted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_requests_refused_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_declined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_stream_granted_for_progress_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_consumer_stream_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_rate_only_on_per_consumer_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_order_throttle_and_hints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_drops_progress_regressions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
