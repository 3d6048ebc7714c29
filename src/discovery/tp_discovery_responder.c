/*
 * Response publications of a Discovery Provider (see tp_discovery_responder.h). Parking a copy of a response may
 * allocate: this is the control path, bounded by the table size times one response.
 */
#include "discovery/tp_discovery_responder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"

#define TP_DISCOVERY_RESPONDER_OFFER_TRY 8

typedef struct tp_discovery_responder_entry_stct
{
    bool in_use;
    char channel[TP_CHANNEL_MAX];
    uint32_t stream_id;
    aeron_async_add_publication_t *async; /* non-NULL while the add is in flight */
    aeron_publication_t *publication;
    uint64_t last_used_ns;
    uint8_t *pending; /* one response parked until the publication is ready and connected */
    size_t pending_capacity;
    size_t pending_length;
    uint64_t pending_deadline_ns;
} tp_discovery_responder_entry_t;

struct tp_discovery_responder_stct
{
    aeron_t *aeron;
    size_t capacity;
    tp_discovery_responder_counters_t counters;
    tp_discovery_responder_entry_t entries[];
};

int tp_discovery_responder_init(tp_discovery_responder_t **responder, aeron_t *aeron, size_t capacity)
{
    if (NULL == responder || NULL == aeron || 0 == capacity)
    {
        TP_SET_ERR(EINVAL, "discovery responder needs an Aeron client and a capacity > 0, got %zu", capacity);
        return -1;
    }
    tp_discovery_responder_t *r = calloc(1, sizeof(*r) + capacity * sizeof(r->entries[0]));
    if (NULL == r)
    {
        TP_SET_ERR(ENOMEM, "discovery responder of %zu publications", capacity);
        return -1;
    }
    r->aeron = aeron;
    r->capacity = capacity;
    *responder = r;
    return 0;
}

/* Closing the publication is asynchronous: nothing waits. */
static void tp_discovery_responder_clear(tp_discovery_responder_entry_t *e)
{
    if (NULL != e->publication)
    {
        aeron_publication_close(e->publication, NULL, NULL);
    }
    free(e->pending);
    memset(e, 0, sizeof(*e));
}

/* Least recently used entry, or an empty one. */
static tp_discovery_responder_entry_t *tp_discovery_responder_evict(tp_discovery_responder_t *r)
{
    tp_discovery_responder_entry_t *victim = &r->entries[0];
    for (size_t i = 0; i < r->capacity; i++)
    {
        tp_discovery_responder_entry_t *e = &r->entries[i];
        if (!e->in_use)
        {
            return e;
        }
        if (e->last_used_ns < victim->last_used_ns)
        {
            victim = e;
        }
    }
    /* An add still in flight cannot be cancelled through the C API: its publication is polled to completion by
     * the conductor and closed with the client. Counted so that churn is visible. */
    if (NULL != victim->async)
    {
        r->counters.abandoned_adds++;
    }
    tp_discovery_responder_clear(victim);
    r->counters.evictions++;
    return victim;
}

static tp_discovery_responder_entry_t *tp_discovery_responder_lookup(tp_discovery_responder_t *r, const char *channel,
                                                                     uint32_t stream_id)
{
    for (size_t i = 0; i < r->capacity; i++)
    {
        tp_discovery_responder_entry_t *e = &r->entries[i];
        if (e->in_use && e->stream_id == stream_id && 0 == strcmp(e->channel, channel))
        {
            return e;
        }
    }
    tp_discovery_responder_entry_t *e = tp_discovery_responder_evict(r);
    if (aeron_async_add_publication(&e->async, r->aeron, channel, (int32_t)stream_id) < 0)
    {
        e->async = NULL;
        return NULL;
    }
    snprintf(e->channel, sizeof(e->channel), "%s", channel);
    e->stream_id = stream_id;
    e->in_use = true;
    return e;
}

/* 1 sent, 0 try again later, -1 failed for good (closed, or the message exceeds the requester's term). */
static int tp_discovery_responder_try_offer(tp_discovery_responder_t *r, tp_discovery_responder_entry_t *e,
                                            const uint8_t *buffer, size_t length)
{
    if (NULL == e->publication)
    {
        return 0;
    }
    for (int attempt = 0; attempt < TP_DISCOVERY_RESPONDER_OFFER_TRY; attempt++)
    {
        int64_t result = aeron_publication_offer(e->publication, buffer, length, NULL, NULL);
        if (result > 0)
        {
            r->counters.responses_sent++;
            return 1;
        }
        if (AERON_PUBLICATION_NOT_CONNECTED == result)
        {
            return 0;
        }
        if (AERON_PUBLICATION_BACK_PRESSURED != result && AERON_PUBLICATION_ADMIN_ACTION != result)
        {
            return -1;
        }
    }
    return 0;
}

int tp_discovery_responder_offer(tp_discovery_responder_t *r, const tp_sink_target_t *target, const uint8_t *buffer,
                                 size_t length)
{
    if (NULL == target->channel || 0 != strncmp(target->channel, "aeron:", 6) ||
        strlen(target->channel) >= TP_CHANNEL_MAX || 0 == target->stream_id)
    {
        r->counters.responses_dropped++;
        return -1;
    }
    tp_discovery_responder_entry_t *e = tp_discovery_responder_lookup(r, target->channel, target->stream_id);
    if (NULL == e)
    {
        r->counters.responses_dropped++;
        return -1;
    }
    e->last_used_ns = tp_clock_monotonic_ns();
    if (0 == e->pending_length)
    {
        int rc = tp_discovery_responder_try_offer(r, e, buffer, length);
        if (rc > 0)
        {
            return 0;
        }
        if (rc < 0)
        {
            r->counters.responses_dropped++;
            return -1;
        }
    }
    else
    {
        r->counters.responses_dropped++; /* one parked response per endpoint: the newer one wins */
    }
    if (length > e->pending_capacity)
    {
        uint8_t *grown = realloc(e->pending, length);
        if (NULL == grown)
        {
            e->pending_length = 0;
            r->counters.responses_dropped++;
            return -1;
        }
        e->pending = grown;
        e->pending_capacity = length;
    }
    memcpy(e->pending, buffer, length);
    e->pending_length = length;
    e->pending_deadline_ns = e->last_used_ns + TP_DISCOVERY_RESPONDER_PENDING_NS;
    return 0;
}

int tp_discovery_responder_do_work(tp_discovery_responder_t *r, uint64_t now_ns)
{
    int work = 0;
    for (size_t i = 0; i < r->capacity; i++)
    {
        tp_discovery_responder_entry_t *e = &r->entries[i];
        if (!e->in_use)
        {
            continue;
        }
        if (NULL != e->async)
        {
            int rc = aeron_async_add_publication_poll(&e->publication, e->async);
            if (rc > 0)
            {
                e->async = NULL;
                work++;
            }
            else if (rc < 0)
            {
                /* The media driver refused the requester's channel: forget the entry. */
                e->publication = NULL;
                tp_discovery_responder_clear(e);
                r->counters.responses_dropped++;
                continue;
            }
        }
        if (0 == e->pending_length)
        {
            continue;
        }
        int rc = tp_discovery_responder_try_offer(r, e, e->pending, e->pending_length);
        if (0 != rc || now_ns > e->pending_deadline_ns)
        {
            if (rc <= 0)
            {
                r->counters.responses_dropped++;
            }
            e->pending_length = 0;
            work++;
        }
    }
    return work;
}

const tp_discovery_responder_counters_t *tp_discovery_responder_counters(const tp_discovery_responder_t *r)
{
    return &r->counters;
}

void tp_discovery_responder_close(tp_discovery_responder_t *r)
{
    if (NULL == r)
    {
        return;
    }
    for (size_t i = 0; i < r->capacity; i++)
    {
        tp_discovery_responder_clear(&r->entries[i]);
    }
    free(r);
}
