/*
 * The Discovery Provider embedded in the SHM driver agent (discovery spec v1.0): the transport-independent
 * provider core (src/discovery) fed from the driver's Aeron subscriptions, answering through publications opened
 * on demand for each requester's response endpoint.
 *
 * Inputs: every message of the driver control subscription (tp_driver.c forwards them; IPC subscribers also see
 * the driver's own ShmPoolAnnounce there), plus our own subscriptions on the announce stream and the discovery
 * stream when they differ from the control stream, and on the metadata stream (DataSourceAnnounce / Meta).
 *
 * Responses never block the agent: a response whose publication is still being added (or not yet connected) is
 * parked in its table entry and retried from the duty cycle until TP_DISCOVERY_PENDING_NS passes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "discovery/tp_discovery_provider_private.h"
#include "driver/tp_driver_private.h"

#define TP_DISCOVERY_FRAGMENT_LIMIT 16
#define TP_DISCOVERY_PENDING_NS     (UINT64_C(1000) * 1000000) /* how long a response waits for its publication */
#define TP_DISCOVERY_OFFER_TRY      8
/* Largest Aeron message on a 64 MiB term (term / 8): the tp_mediadriver default for IPC terms. */
#define TP_DISCOVERY_MESSAGE_MAX (UINT64_C(8) * 1024 * 1024)

static void tp_driver_discovery_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_driver_t *driver = clientd;
    (void)tp_discovery_provider_on_message(driver->discovery.provider, buffer, length);
}

/* Least recently used entry, or an empty one. Closing its publication is asynchronous: nothing waits. */
static tp_driver_discovery_publication_t *tp_driver_discovery_evict(tp_driver_discovery_t *discovery)
{
    tp_driver_discovery_publication_t *victim = &discovery->publications[0];
    for (size_t i = 0; i < TP_DRIVER_DISCOVERY_PUBLICATIONS; i++)
    {
        tp_driver_discovery_publication_t *p = &discovery->publications[i];
        if (!p->in_use)
        {
            return p;
        }
        if (p->last_used_ns < victim->last_used_ns)
        {
            victim = p;
        }
    }
    if (NULL != victim->publication)
    {
        aeron_publication_close(victim->publication, NULL, NULL);
    }
    /* An add still in flight cannot be cancelled through the C API: its publication is polled to completion by
     * the conductor and closed with the client. Counted so that churn is visible. */
    if (NULL != victim->async)
    {
        discovery->abandoned_adds++;
    }
    free(victim->pending);
    memset(victim, 0, sizeof(*victim));
    discovery->evictions++;
    return victim;
}

static tp_driver_discovery_publication_t *tp_driver_discovery_lookup(tp_driver_t *driver, const char *channel,
                                                                     uint32_t stream_id)
{
    tp_driver_discovery_t *discovery = &driver->discovery;
    for (size_t i = 0; i < TP_DRIVER_DISCOVERY_PUBLICATIONS; i++)
    {
        tp_driver_discovery_publication_t *p = &discovery->publications[i];
        if (p->in_use && p->stream_id == stream_id && 0 == strcmp(p->channel, channel))
        {
            return p;
        }
    }
    tp_driver_discovery_publication_t *p = tp_driver_discovery_evict(discovery);
    if (aeron_async_add_publication(&p->async, driver->aeron, channel, (int32_t)stream_id) < 0)
    {
        p->async = NULL;
        return NULL;
    }
    snprintf(p->channel, sizeof(p->channel), "%s", channel);
    p->stream_id = stream_id;
    p->in_use = true;
    return p;
}

/* 1 sent (or nobody to send to any more), 0 try again later, -1 failed. */
static int tp_driver_discovery_try_offer(tp_driver_t *driver, tp_driver_discovery_publication_t *p,
                                         const uint8_t *buffer, size_t length)
{
    if (NULL == p->publication)
    {
        return 0;
    }
    for (int attempt = 0; attempt < TP_DISCOVERY_OFFER_TRY; attempt++)
    {
        int64_t result = aeron_publication_offer(p->publication, buffer, length, NULL, NULL);
        if (result > 0)
        {
            driver->discovery.responses_sent++;
            return 1;
        }
        if (AERON_PUBLICATION_NOT_CONNECTED == result)
        {
            return 0;
        }
        if (AERON_PUBLICATION_BACK_PRESSURED != result && AERON_PUBLICATION_ADMIN_ACTION != result)
        {
            return -1; /* closed, or the message exceeds the requester's term (max payload) */
        }
    }
    return 0;
}

static int tp_driver_discovery_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer,
                                          size_t length)
{
    tp_driver_t *driver = clientd;
    tp_driver_discovery_t *discovery = &driver->discovery;
    if (NULL == target->channel || 0 != strncmp(target->channel, "aeron:", 6) ||
        strlen(target->channel) >= TP_CHANNEL_MAX || 0 == target->stream_id)
    {
        discovery->responses_dropped++;
        return -1;
    }
    tp_driver_discovery_publication_t *p = tp_driver_discovery_lookup(driver, target->channel, target->stream_id);
    if (NULL == p)
    {
        discovery->responses_dropped++;
        return -1;
    }
    p->last_used_ns = tp_clock_monotonic_ns();
    if (0 == p->pending_length)
    {
        int rc = tp_driver_discovery_try_offer(driver, p, buffer, length);
        if (0 != rc)
        {
            if (rc < 0)
            {
                discovery->responses_dropped++;
            }
            return rc > 0 ? 0 : -1;
        }
    }
    else
    {
        discovery->responses_dropped++; /* one parked response per requester endpoint: the newer one wins */
    }
    /* Park a copy until the publication is ready and connected (the control path may allocate; bounded by the
     * table size times one response). */
    if (length > p->pending_capacity)
    {
        uint8_t *grown = realloc(p->pending, length);
        if (NULL == grown)
        {
            p->pending_length = 0;
            discovery->responses_dropped++;
            return -1;
        }
        p->pending = grown;
        p->pending_capacity = length;
    }
    memcpy(p->pending, buffer, length);
    p->pending_length = length;
    p->pending_deadline_ns = p->last_used_ns + TP_DISCOVERY_PENDING_NS;
    return 0;
}

static int tp_driver_discovery_service_publications(tp_driver_t *driver, uint64_t now_ns)
{
    tp_driver_discovery_t *discovery = &driver->discovery;
    int work = 0;
    for (size_t i = 0; i < TP_DRIVER_DISCOVERY_PUBLICATIONS; i++)
    {
        tp_driver_discovery_publication_t *p = &discovery->publications[i];
        if (!p->in_use)
        {
            continue;
        }
        if (NULL != p->async)
        {
            int rc = aeron_async_add_publication_poll(&p->publication, p->async);
            if (rc > 0)
            {
                p->async = NULL;
                work++;
            }
            else if (rc < 0)
            {
                /* The media driver refused the requester's channel: forget the entry. */
                p->async = NULL;
                p->publication = NULL;
                free(p->pending);
                memset(p, 0, sizeof(*p));
                discovery->responses_dropped++;
                continue;
            }
        }
        if (0 == p->pending_length)
        {
            continue;
        }
        int rc = tp_driver_discovery_try_offer(driver, p, p->pending, p->pending_length);
        if (0 != rc || now_ns > p->pending_deadline_ns)
        {
            if (rc <= 0)
            {
                discovery->responses_dropped++;
            }
            p->pending_length = 0;
            work++;
        }
    }
    return work;
}

static int tp_driver_discovery_subscribe(tp_driver_t *driver, const char *channel, uint32_t stream_id)
{
    tp_driver_discovery_t *discovery = &driver->discovery;
    const tp_driver_config_t *config = &driver->ctx.config;
    /* The control stream is already ours (tp_driver.c forwards it); IPC matches on the stream id alone. */
    bool ipc = 0 == strncmp(channel, "aeron:ipc", 9);
    if (stream_id == config->control_stream_id && (ipc || 0 == strcmp(channel, config->control_channel)))
    {
        return 0;
    }
    for (size_t i = 0; i < discovery->subscription_count; i++)
    {
        if (discovery->subscription_stream_ids[i] == stream_id && ipc)
        {
            return 0;
        }
    }
    size_t slot = discovery->subscription_count;
    if (aeron_fragment_assembler_create(&discovery->assemblers[slot], tp_driver_discovery_on_fragment, driver) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "creating a discovery fragment assembler: %s", aeron_errmsg());
        return -1;
    }
    discovery->subscription_count++;
    discovery->subscription_stream_ids[slot] = stream_id;
    if (tp_driver_await_subscription(driver, channel, stream_id, &discovery->subscriptions[slot]) < 0)
    {
        TP_APPEND_ERR("discovery input");
        return -1;
    }
    return 0;
}

/* Results per response: the recommended 1000, lowered until a worst-case response fits one Aeron message. */
static uint32_t tp_driver_discovery_max_results(void)
{
    uint32_t n = TP_DISCOVERY_MAX_RESULTS;
    while (n > 1 && tp_discovery_response_capacity(n) > TP_DISCOVERY_MESSAGE_MAX)
    {
        n--;
    }
    return n;
}

int tp_driver_discovery_start(tp_driver_t *driver)
{
    const tp_driver_config_t *config = &driver->ctx.config;
    if (!config->discovery_enabled)
    {
        return 0;
    }
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = config->instance_id;
    ctx.driver_control_channel = config->control_channel;
    ctx.driver_control_stream_id = config->control_stream_id;
    ctx.announce_period_ns = (uint64_t)config->announce_period_ms * 1000000u;
    driver->discovery.max_results = tp_driver_discovery_max_results();
    ctx.max_results = driver->discovery.max_results;
    ctx.sink.offer = tp_driver_discovery_sink_offer;
    ctx.sink.clientd = driver;
    if (tp_discovery_provider_init(&driver->discovery.provider, &ctx) < 0)
    {
        TP_APPEND_ERR("embedded discovery provider");
        return -1;
    }
    if (tp_driver_discovery_subscribe(driver, config->announce_channel, config->announce_stream_id) < 0 ||
        tp_driver_discovery_subscribe(driver, config->discovery_channel, config->discovery_stream_id) < 0 ||
        tp_driver_discovery_subscribe(driver, "aeron:ipc", config->discovery_metadata_stream_id) < 0)
    {
        TP_APPEND_ERR("embedded discovery provider");
        return -1;
    }
    return 0;
}

void tp_driver_discovery_on_message(tp_driver_t *driver, const uint8_t *buffer, size_t length)
{
    if (NULL != driver->discovery.provider)
    {
        (void)tp_discovery_provider_on_message(driver->discovery.provider, buffer, length);
    }
}

int tp_driver_discovery_do_work(tp_driver_t *driver, uint64_t now_ns)
{
    tp_driver_discovery_t *discovery = &driver->discovery;
    if (NULL == discovery->provider)
    {
        return 0;
    }
    int work = 0;
    for (size_t i = 0; i < discovery->subscription_count; i++)
    {
        int polled = aeron_subscription_poll(discovery->subscriptions[i], aeron_fragment_assembler_handler,
                                             discovery->assemblers[i], TP_DISCOVERY_FRAGMENT_LIMIT);
        work += polled > 0 ? polled : 0;
    }
    work += tp_driver_discovery_service_publications(driver, now_ns);
    work += tp_discovery_provider_do_work(discovery->provider, now_ns);
    return work;
}

void tp_driver_discovery_close(tp_driver_t *driver)
{
    tp_driver_discovery_t *discovery = &driver->discovery;
    for (size_t i = 0; i < TP_DRIVER_DISCOVERY_PUBLICATIONS; i++)
    {
        tp_driver_discovery_publication_t *p = &discovery->publications[i];
        if (NULL != p->publication)
        {
            aeron_publication_close(p->publication, NULL, NULL);
        }
        free(p->pending);
        memset(p, 0, sizeof(*p));
    }
    for (size_t i = 0; i < discovery->subscription_count; i++)
    {
        if (NULL != discovery->subscriptions[i])
        {
            aeron_subscription_close(discovery->subscriptions[i], NULL, NULL);
        }
        if (NULL != discovery->assemblers[i])
        {
            aeron_fragment_assembler_delete(discovery->assemblers[i]);
        }
    }
    discovery->subscription_count = 0;
    if (NULL != discovery->provider)
    {
        tp_discovery_provider_close(discovery->provider);
        discovery->provider = NULL;
    }
}
