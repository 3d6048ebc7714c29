/*
 * In-process wiring for the producer/consumer core tests: a pre-allocated message queue used as the sink of
 * each side, a pump that feeds queued messages to the other side's on_message, payload patterns with a
 * checksum, and scratch directories under /dev/shm.
 */
#ifndef TENSORPOOL_CORE_TEST_UTIL_H
#define TENSORPOOL_CORE_TEST_UTIL_H

#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_clock.h"
#include "tensorpool/tp_consumer_core.h"
#include "tensorpool/tp_error.h"
#include "tensorpool/tp_producer_core.h"

#define CT_MSG_MAX    2048
#define CT_QUEUE_CAP  4096
#define CT_EVENTS_MAX 64

typedef struct ct_msg_stct
{
    tp_stream_kind_t kind;
    uint32_t stream_id;
    uint32_t consumer_id;
    size_t length;
    uint8_t data[CT_MSG_MAX];
} ct_msg_t;

typedef struct ct_stream_event_stct
{
    tp_stream_kind_t kind;
    uint32_t stream_id;
    uint32_t consumer_id;
    bool open;
} ct_stream_event_t;

typedef struct ct_queue_stct
{
    ct_msg_t *msgs;
    size_t head;
    size_t tail;
    bool refuse;
    bool decline_opens;
    uint64_t refused;
    ct_stream_event_t events[CT_EVENTS_MAX];
    size_t event_count;
} ct_queue_t;

static inline void ct_queue_init(ct_queue_t *q)
{
    memset(q, 0, sizeof(*q));
    q->msgs = calloc(CT_QUEUE_CAP, sizeof(ct_msg_t));
    assert_non_null(q->msgs);
}

static inline void ct_queue_free(ct_queue_t *q)
{
    free(q->msgs);
    q->msgs = NULL;
}

static inline size_t ct_queue_size(const ct_queue_t *q)
{
    return q->tail - q->head;
}

static inline void ct_queue_clear(ct_queue_t *q)
{
    q->head = q->tail = 0;
}

static inline int ct_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    ct_queue_t *q = clientd;
    if (q->refuse || length > CT_MSG_MAX || ct_queue_size(q) >= CT_QUEUE_CAP)
    {
        q->refused++;
        return -1;
    }
    ct_msg_t *m = &q->msgs[q->tail % CT_QUEUE_CAP];
    m->kind = target->kind;
    m->stream_id = target->stream_id;
    m->consumer_id = target->consumer_id;
    m->length = length;
    memcpy(m->data, buffer, length);
    q->tail++;
    return 0;
}

static inline int ct_sink_stream(void *clientd, const tp_sink_target_t *target, bool open)
{
    ct_queue_t *q = clientd;
    if (open && q->decline_opens)
    {
        return -1;
    }
    if (q->event_count < CT_EVENTS_MAX)
    {
        ct_stream_event_t *e = &q->events[q->event_count++];
        e->kind = target->kind;
        e->stream_id = target->stream_id;
        e->consumer_id = target->consumer_id;
        e->open = open;
    }
    return 0;
}

static inline tp_sink_t ct_sink(ct_queue_t *q)
{
    tp_sink_t sink = {ct_sink_offer, ct_sink_stream, q};
    return sink;
}

static inline ct_msg_t *ct_queue_pop(ct_queue_t *q)
{
    if (q->head == q->tail)
    {
        return NULL;
    }
    return &q->msgs[q->head++ % CT_QUEUE_CAP];
}

/* Deliver one message to a consumer unless it is another consumer's per-consumer stream. */
static inline int ct_deliver(tp_consumer_core_t *consumer, uint32_t consumer_id, const ct_msg_t *m)
{
    bool per_consumer = TP_STREAM_CONSUMER_DESCRIPTOR == m->kind || TP_STREAM_CONSUMER_CONTROL == m->kind;
    if (per_consumer && m->consumer_id != consumer_id)
    {
        return 0;
    }
    return tp_consumer_core_on_message(consumer, m->kind, m->data, m->length);
}

/* Feed everything queued by the producer to the consumers. Returns delivered frames + progress events. */
static inline int ct_pump(ct_queue_t *q, tp_consumer_core_t *const *consumers, const uint32_t *ids, size_t n)
{
    int delivered = 0;
    ct_msg_t *m;
    while (NULL != (m = ct_queue_pop(q)))
    {
        for (size_t i = 0; i < n; i++)
        {
            delivered += ct_deliver(consumers[i], ids[i], m);
        }
    }
    return delivered;
}

static inline int ct_pump_one(ct_queue_t *q, tp_consumer_core_t *consumer, uint32_t id)
{
    return ct_pump(q, &consumer, &id, 1);
}

static inline int ct_pump_back(ct_queue_t *q, tp_producer_core_t *producer)
{
    int handled = 0;
    ct_msg_t *m;
    while (NULL != (m = ct_queue_pop(q)))
    {
        handled += tp_producer_core_on_message(producer, m->data, m->length);
    }
    return handled;
}

/* ------------------------------------------------------------------------------------------------------------ */

static inline int ct_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

static inline void ct_make_root(char *out, size_t capacity, const char *tag)
{
    snprintf(out, capacity, "/dev/shm/tp-core-%s-XXXXXX", tag);
    if (NULL == mkdtemp(out))
    {
        snprintf(out, capacity, "/tmp/tp-core-%s-XXXXXX", tag);
        assert_non_null(mkdtemp(out));
    }
}

static inline void ct_remove_tree(const char *path)
{
    nftw(path, ct_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------------------------------------------------ */

static inline uint32_t ct_fnv1a(const uint8_t *data, size_t length)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < length; i++)
    {
        h = (h ^ data[i]) * 16777619u;
    }
    return h;
}

static inline uint8_t ct_pattern_byte(uint64_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + i * 7u + (i >> 9));
}

/* [0,8) seq, [8,12) FNV-1a of [12,len), then a seq-dependent pattern. Short frames carry the pattern only. */
static inline void ct_fill_payload(uint8_t *p, uint32_t length, uint64_t seq)
{
    if (length < 12)
    {
        for (uint32_t i = 0; i < length; i++)
        {
            p[i] = ct_pattern_byte(seq, i);
        }
        return;
    }
    for (uint32_t i = 12; i < length; i++)
    {
        p[i] = ct_pattern_byte(seq, i);
    }
    memcpy(p, &seq, 8);
    uint32_t sum = ct_fnv1a(p + 12, length - 12);
    memcpy(p + 8, &sum, 4);
}

/* 0 when intact, else the first failing rule. */
static inline int ct_check_payload(const uint8_t *p, uint32_t length, uint64_t seq)
{
    if (length < 12)
    {
        for (uint32_t i = 0; i < length; i++)
        {
            if (p[i] != ct_pattern_byte(seq, i))
            {
                return 3;
            }
        }
        return 0;
    }
    uint64_t s;
    uint32_t sum;
    memcpy(&s, p, 8);
    memcpy(&sum, p + 8, 4);
    if (s != seq)
    {
        return 1;
    }
    if (sum != ct_fnv1a(p + 12, length - 12))
    {
        return 2;
    }
    for (uint32_t i = 12; i < length; i++)
    {
        if (p[i] != ct_pattern_byte(seq, i))
        {
            return 3;
        }
    }
    return 0;
}

/* A row-major UINT8 matrix of rows x cols (contiguous), or a vector when rows == 1. */
static inline tp_tensor_desc_t ct_desc(uint32_t rows, uint32_t cols)
{
    tp_tensor_desc_t d;
    memset(&d, 0, sizeof(d));
    d.dtype = TP_DTYPE_UINT8;
    d.major_order = TP_MAJOR_ORDER_ROW;
    if (rows <= 1)
    {
        d.ndims = 1;
        d.dims[0] = (int32_t)cols;
    }
    else
    {
        d.ndims = 2;
        d.dims[0] = (int32_t)rows;
        d.dims[1] = (int32_t)cols;
    }
    return d;
}

static inline void ct_producer_context(tp_producer_context_t *ctx, const char *root, tp_sink_t sink)
{
    tp_producer_context_init(ctx);
    ctx->stream_id = 10000;
    ctx->producer_id = 7;
    ctx->header_nslots = 16;
    ctx->pool_count = 2;
    ctx->pools[0].pool_id = 1;
    ctx->pools[0].stride_bytes = 4096;
    ctx->pools[1].pool_id = 2;
    ctx->pools[1].stride_bytes = 65536;
    snprintf(ctx->shm_base_dir, sizeof(ctx->shm_base_dir), "%s", root);
    snprintf(ctx->namespace_name, sizeof(ctx->namespace_name), "ns");
    snprintf(ctx->instance_id, sizeof(ctx->instance_id), "cam0");
    snprintf(ctx->source_name, sizeof(ctx->source_name), "camera 0");
    ctx->sink = sink;
}

static inline void ct_consumer_context(tp_consumer_context_t *ctx, const char *root, uint32_t consumer_id,
                                       tp_sink_t sink)
{
    tp_consumer_context_init(ctx);
    ctx->stream_id = 10000;
    ctx->consumer_id = consumer_id;
    ctx->allowed_base_dirs[0] = root;
    ctx->allowed_base_dir_count = 1;
    ctx->sink = sink;
}

static inline tp_producer_core_t *ct_start_producer(const tp_producer_context_t *ctx)
{
    tp_producer_core_t *p = NULL;
    if (0 != tp_producer_core_start(&p, ctx))
    {
        fail_msg("producer start: %s", tp_errmsg());
    }
    return p;
}

static inline tp_consumer_core_t *ct_start_consumer(const tp_consumer_context_t *ctx)
{
    tp_consumer_core_t *c = NULL;
    if (0 != tp_consumer_core_start(&c, ctx))
    {
        fail_msg("consumer start: %s", tp_errmsg());
    }
    return c;
}

#endif /* TENSORPOOL_CORE_TEST_UTIL_H */
