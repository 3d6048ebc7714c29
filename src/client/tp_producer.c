/*
 * Producer over Aeron: the producer core plus the sink that maps its logical streams onto Aeron publications and
 * the subscriptions that feed it ConsumerHello / QosConsumer.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/tp_client_private.h"
#include "client/tp_log_watch.h"
#include "client/tp_driver_client.h"
#include "common/tp_wake.h"
#include "tensorpool/tp_producer.h"

#define TP_PRODUCER_SHARED_PUBS 4 /* descriptor, control, QoS, metadata: index = kind - 1 */
#define TP_PRODUCER_SUBS        2 /* control, QoS */

typedef struct tp_producer_pub_stct
{
    aeron_async_add_publication_t *async;
    aeron_publication_t *publication;
    int alias; /* index of the slot that owns the publication when channel and stream id coincide, else -1 */
} tp_producer_pub_t;

typedef struct tp_producer_sub_stct
{
    aeron_async_add_subscription_t *async;
    aeron_subscription_t *subscription;
    aeron_fragment_assembler_t *assembler;
    int alias;
    uint32_t stream_id;
} tp_producer_sub_t;

/* A per-consumer publication: opened when the core grants the stream, closed when it retires it. */
typedef struct tp_producer_consumer_pub_stct
{
    bool in_use;
    bool close_when_ready; /* retired while the add was still pending */
    tp_stream_kind_t kind;
    uint32_t consumer_id;
    uint32_t stream_id;
    aeron_async_add_publication_t *async;
    aeron_publication_t *publication;
} tp_producer_consumer_pub_t;

struct tp_producer_stct
{
    tp_client_t *client;
    tp_producer_config_t config;
    tp_producer_context_t core_ctx;
    tp_producer_core_t *core;
    tp_producer_pub_t pubs[TP_PRODUCER_SHARED_PUBS];
    tp_producer_sub_t subs[TP_PRODUCER_SUBS];
    tp_producer_consumer_pub_t *consumer_pubs;
    size_t consumer_pub_capacity;
    size_t consumer_pub_open;
    size_t consumer_pub_adding; /* entries with an add in flight: the table is scanned only while > 0 */
    tp_producer_transport_counters_t transport;

    /* Driver mode: core is NULL while no lease is held; these carry over between leases. */
    tp_driver_client_t *driver;
    uint64_t next_seq;
    uint64_t last_epoch;
    tp_producer_counters_t idle_counters;
    tp_log_watch_t log_watch; /* rate-limited operator records from the core's counters */

    /* Optional wake-up word (config.wake_consumers, standalone mode): bumped after every published frame. */
    tp_wake_t wake;
};

static int tp_producer_wake_create(tp_producer_t *p);

struct tp_async_add_producer_stct
{
    tp_producer_t *producer;
};

void tp_producer_config_init(tp_producer_config_t *config)
{
    tp_producer_context_t core;
    tp_producer_context_init(&core);
    memset(config, 0, sizeof(*config));
    config->layout_version = core.layout_version;
    config->header_nslots = core.header_nslots;
    config->pools[0].pool_id = 1;
    config->pools[0].stride_bytes = 1u << 20;
    config->pool_count = 1;
    snprintf(config->namespace_name, sizeof(config->namespace_name), "%s", core.namespace_name);
    config->max_consumers = core.max_consumers;
    config->progress_interval_default_ns = core.progress_interval_default_ns;
    config->progress_bytes_default = core.progress_bytes_default;
    config->progress_interval_floor_ns = core.progress_interval_floor_ns;
    config->progress_bytes_floor = core.progress_bytes_floor;
}

static aeron_publication_t *tp_producer_shared_pub(const tp_producer_t *p, tp_stream_kind_t kind)
{
    const tp_producer_pub_t *slot = &p->pubs[kind - 1];
    return slot->alias >= 0 ? p->pubs[slot->alias].publication : slot->publication;
}

static tp_producer_consumer_pub_t *tp_producer_find_consumer_pub(tp_producer_t *p, tp_stream_kind_t kind,
                                                                 uint32_t consumer_id)
{
    for (size_t i = 0; i < p->consumer_pub_capacity; i++)
    {
        tp_producer_consumer_pub_t *cp = &p->consumer_pubs[i];
        if (cp->in_use && !cp->close_when_ready && cp->kind == kind && cp->consumer_id == consumer_id)
        {
            return cp;
        }
    }
    return NULL;
}

static int tp_producer_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    tp_producer_t *p = clientd;
    aeron_publication_t *publication = NULL;
    tp_producer_transport_counters_t *t = &p->transport;
    if (target->kind >= TP_STREAM_DESCRIPTOR && target->kind <= TP_STREAM_METADATA)
    {
        publication = tp_producer_shared_pub(p, target->kind);
    }
    else
    {
        tp_producer_consumer_pub_t *cp = tp_producer_find_consumer_pub(p, target->kind, target->consumer_id);
        if (NULL == cp || NULL == cp->publication)
        {
            /* Granted but the driver has not answered yet: the consumer misses this one and counts a gap. */
            t->offers_not_connected++;
            return -1;
        }
        publication = cp->publication;
    }
    return tp_client_offer(publication, buffer, length, &t->offers_back_pressured, &t->offers_not_connected,
                           &t->offers_failed);
}

static void tp_producer_consumer_pub_release(tp_producer_t *p, tp_producer_consumer_pub_t *cp)
{
    if (NULL != cp->publication)
    {
        aeron_publication_close(cp->publication, NULL, NULL);
        p->transport.consumer_publications_closed++;
        p->consumer_pub_open--;
    }
    memset(cp, 0, sizeof(*cp));
}

static int tp_producer_sink_stream(void *clientd, const tp_sink_target_t *target, bool open)
{
    tp_producer_t *p = clientd;
    if (!open)
    {
        tp_producer_consumer_pub_t *cp = tp_producer_find_consumer_pub(p, target->kind, target->consumer_id);
        if (NULL == cp)
        {
            return 0;
        }
        tp_client_log(p->client, TP_LOG_INFO, "producer %u: closing %s stream %u of consumer %u", p->config.producer_id,
                      TP_STREAM_CONSUMER_DESCRIPTOR == cp->kind ? "descriptor" : "control", cp->stream_id,
                      cp->consumer_id);
        if (NULL != cp->async)
        {
            cp->close_when_ready = true;
            return 0;
        }
        tp_producer_consumer_pub_release(p, cp);
        return 0;
    }

    tp_producer_consumer_pub_t *slot = NULL;
    for (size_t i = 0; i < p->consumer_pub_capacity && NULL == slot; i++)
    {
        if (!p->consumer_pubs[i].in_use)
        {
            slot = &p->consumer_pubs[i];
        }
    }
    if (NULL == slot)
    {
        tp_client_log(p->client, TP_LOG_WARN, "producer %u: no room for another per-consumer publication (%zu)",
                      p->config.producer_id, p->consumer_pub_capacity);
        return -1;
    }
    aeron_async_add_publication_t *async = NULL;
    char channel[TP_CHANNEL_MAX];
    if (tp_client_publication_channel(p->client, target->kind, target->channel, channel, sizeof(channel)) < 0)
    {
        tp_client_log(p->client, TP_LOG_WARN, "producer %u: declining stream %u for consumer %u: %s",
                      p->config.producer_id, target->stream_id, target->consumer_id, tp_errmsg());
        return -1;
    }
    if (aeron_async_add_publication(&async, p->client->aeron, channel, (int32_t)target->stream_id) < 0)
    {
        tp_client_log(p->client, TP_LOG_WARN, "producer %u: declining stream %u on %s for consumer %u: %s",
                      p->config.producer_id, target->stream_id, target->channel, target->consumer_id, aeron_errmsg());
        return -1;
    }
    slot->in_use = true;
    slot->kind = target->kind;
    slot->consumer_id = target->consumer_id;
    slot->stream_id = target->stream_id;
    slot->async = async;
    p->consumer_pub_adding++;
    tp_client_log(p->client, TP_LOG_INFO, "producer %u: granting %s stream %u on %s to consumer %u",
                  p->config.producer_id, TP_STREAM_CONSUMER_DESCRIPTOR == target->kind ? "descriptor" : "control",
                  target->stream_id, target->channel, target->consumer_id);
    return 0;
}

static void tp_producer_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_producer_t *p = clientd;
    p->transport.fragments_received++;
    if (NULL != p->driver && tp_driver_client_on_message(p->driver, buffer, length, tp_client_now_ns(p->client)) > 0)
    {
        return;
    }
    if (NULL != p->core)
    {
        tp_producer_core_on_message(p->core, buffer, length);
    }
}

static int tp_producer_validate(const tp_producer_config_t *config)
{
    if (0 == config->pool_count || config->pool_count > TP_PRODUCER_MAX_POOLS)
    {
        TP_SET_ERR(EINVAL, "producer pool_count must be 1..%d, got %zu", TP_PRODUCER_MAX_POOLS, config->pool_count);
        return -1;
    }
    if (0 == config->max_consumers)
    {
        TP_SET_ERR(EINVAL, "producer max_consumers must be > 0");
        return -1;
    }
    return 0;
}

static void tp_producer_build_core_context(tp_producer_t *p)
{
    const tp_context_t *ctx = &p->client->ctx;
    const tp_producer_config_t *cfg = &p->config;
    tp_producer_context_t *c = &p->core_ctx;
    tp_producer_context_init(c);
    c->stream_id = cfg->stream_id;
    c->producer_id = cfg->producer_id;
    c->layout_version = cfg->layout_version;
    c->header_nslots = cfg->header_nslots;
    memcpy(c->pools, cfg->pools, sizeof(c->pools));
    c->pool_count = cfg->pool_count;
    snprintf(c->shm_base_dir, sizeof(c->shm_base_dir), "%s", ctx->shm_base_dir);
    snprintf(c->namespace_name, sizeof(c->namespace_name), "%s", cfg->namespace_name);
    if ('\0' == cfg->instance_id[0])
    {
        snprintf(c->instance_id, sizeof(c->instance_id), "producer-%u", cfg->producer_id);
    }
    else
    {
        snprintf(c->instance_id, sizeof(c->instance_id), "%s", cfg->instance_id);
    }
    c->require_hugepages = cfg->require_hugepages;
    snprintf(c->source_name, sizeof(c->source_name), "%s", cfg->source_name);
    snprintf(c->channel, sizeof(c->channel), "%s", ctx->channel);
    c->descriptor_stream_id = ctx->descriptor_stream_id;
    c->control_stream_id = ctx->control_stream_id;
    c->qos_stream_id = ctx->qos_stream_id;
    c->metadata_stream_id = ctx->metadata_stream_id;
    c->consumer_descriptor_stream_min = ctx->consumer_descriptor_stream_min;
    c->consumer_descriptor_stream_max = ctx->consumer_descriptor_stream_max;
    c->consumer_control_stream_min = ctx->consumer_control_stream_min;
    c->consumer_control_stream_max = ctx->consumer_control_stream_max;
    c->max_consumers = cfg->max_consumers;
    c->announce_interval_ns = ctx->announce_interval_ns;
    c->qos_interval_ns = ctx->qos_interval_ns;
    c->meta_interval_ns = ctx->meta_interval_ns;
    c->consumer_hello_interval_ns = ctx->hello_interval_ns;
    c->consumer_stale_factor = ctx->consumer_stale_factor;
    c->progress_interval_default_ns = cfg->progress_interval_default_ns;
    c->progress_bytes_default = cfg->progress_bytes_default;
    c->progress_interval_floor_ns = cfg->progress_interval_floor_ns;
    c->progress_bytes_floor = cfg->progress_bytes_floor;
    c->clock = ctx->clock;
    c->clock_clientd = ctx->clock_clientd;
    c->sink.offer = tp_producer_sink_offer;
    c->sink.stream = tp_producer_sink_stream;
    c->sink.clientd = p;
}

static int tp_producer_poll_subs(tp_producer_t *p, size_t limit);
static void tp_producer_driver_pause(tp_producer_t *p);

static void tp_producer_release(tp_producer_t *p)
{
    if (NULL != p->driver)
    {
        /* Stop writing first, then give the lease back and wait briefly for the answer (§4.9). */
        tp_producer_driver_pause(p);
        tp_driver_client_detach(p->driver, tp_client_now_ns(p->client));
        while (TP_LEASE_DETACHING == tp_driver_client_state(p->driver))
        {
            tp_client_wait_step(p->client, 0);
            tp_producer_poll_subs(p, 10);
            tp_driver_client_poll(p->driver, tp_client_now_ns(p->client));
        }
        tp_driver_client_close(p->driver);
        p->driver = NULL;
    }
    for (size_t i = 0; i < p->consumer_pub_capacity; i++)
    {
        tp_producer_consumer_pub_t *cp = &p->consumer_pubs[i];
        if (cp->in_use && NULL != cp->async)
        {
            /* Let the add finish so the driver-side publication is released too (bounded by the poll answer). */
            aeron_publication_t *pub = NULL;
            if (aeron_async_add_publication_poll(&pub, cp->async) > 0)
            {
                aeron_publication_close(pub, NULL, NULL);
            }
            cp->async = NULL;
        }
        if (cp->in_use)
        {
            tp_producer_consumer_pub_release(p, cp);
        }
    }
    for (int i = 0; i < TP_PRODUCER_SHARED_PUBS; i++)
    {
        if (NULL != p->pubs[i].publication)
        {
            aeron_publication_close(p->pubs[i].publication, NULL, NULL);
        }
    }
    for (int i = 0; i < TP_PRODUCER_SUBS; i++)
    {
        if (NULL != p->subs[i].subscription)
        {
            aeron_subscription_close(p->subs[i].subscription, NULL, NULL);
        }
        if (NULL != p->subs[i].assembler)
        {
            aeron_fragment_assembler_delete(p->subs[i].assembler);
        }
    }
    free(p->consumer_pubs);
    free(p);
}

static int tp_producer_driver_send(void *clientd, const uint8_t *buffer, size_t length)
{
    tp_producer_t *p = clientd;
    int index =
        p->pubs[TP_STREAM_CONTROL - 1].alias >= 0 ? p->pubs[TP_STREAM_CONTROL - 1].alias : TP_STREAM_CONTROL - 1;
    aeron_publication_t *pub = p->pubs[index].publication;
    if (NULL == pub)
    {
        return -1;
    }
    /* Not connected counts as a failure here: nobody (no driver) would get the request. */
    return aeron_publication_offer(pub, buffer, length, NULL, NULL) < 0 ? -1 : 0;
}

/* Stop writing: the core (and its mapping) goes; sequence numbers and epoch are kept for the next lease. */
static void tp_producer_driver_pause(tp_producer_t *p)
{
    if (NULL != p->core)
    {
        p->next_seq = tp_producer_core_next_seq(p->core);
        p->last_epoch = tp_producer_core_epoch(p->core);
        p->idle_counters = *tp_producer_core_counters(p->core);
        tp_producer_core_close(p->core);
        p->core = NULL;
    }
}

static void tp_producer_driver_event(void *clientd, tp_driver_client_event_t event, const char *reason)
{
    tp_producer_t *p = clientd;
    if (TP_DRIVER_CLIENT_EVENT_ATTACHED != event)
    {
        tp_producer_driver_pause(p);
        tp_client_log(p->client, TP_LOG_WARN, "producer %u: paused: %s", p->config.producer_id, reason);
        return;
    }
    const tp_driver_lease_t *lease = tp_driver_client_lease(p->driver);
    const tp_context_t *ctx = &p->client->ctx;
    const char *dirs[TP_CONTEXT_MAX_ALLOWED_DIRS];
    for (size_t i = 0; i < ctx->allowed_dir_count; i++)
    {
        dirs[i] = ctx->allowed_dirs[i];
    }
    tp_producer_attached_t attached;
    memset(&attached, 0, sizeof(attached));
    attached.epoch = lease->epoch;
    attached.header_nslots = lease->header_nslots;
    attached.header_uri = lease->header_uri;
    attached.pool_count = lease->pool_count;
    for (size_t i = 0; i < lease->pool_count; i++)
    {
        attached.pools[i].pool_id = lease->pools[i].pool_id;
        attached.pools[i].stride_bytes = lease->pools[i].stride_bytes;
        attached.pool_uris[i] = lease->pools[i].uri;
    }
    attached.allowed_dirs = dirs;
    attached.allowed_dir_count = ctx->allowed_dir_count;
    attached.first_seq = p->next_seq;
    tp_producer_driver_pause(p);
    if (tp_producer_core_start_attached(&p->core, &p->core_ctx, &attached) < 0)
    {
        /* §4.7a: regions that fail the checks are never written; hand the lease back and retry. */
        char why[512];
        snprintf(why, sizeof(why), "regions of epoch %llu refused: %s", (unsigned long long)lease->epoch, tp_errmsg());
        tp_client_log(p->client, TP_LOG_WARN, "producer %u: %s", p->config.producer_id, why);
        p->core = NULL;
        tp_driver_client_fail(p->driver, tp_client_now_ns(p->client), why);
        return;
    }
    p->last_epoch = lease->epoch;
    tp_client_log(p->client, TP_LOG_INFO, "producer %u: attached, lease %llu, stream %u epoch %llu, header ring %s",
                  p->config.producer_id, (unsigned long long)lease->lease_id, p->config.stream_id,
                  (unsigned long long)lease->epoch, lease->header_uri);
}

static void tp_producer_driver_counters(tp_producer_t *p)
{
    tp_driver_client_lease_counters(p->driver, &p->transport.lease);
}

static int tp_producer_driver_open(tp_producer_t *p)
{
    const tp_context_t *ctx = &p->client->ctx;
    tp_driver_client_config_t dcfg;
    tp_driver_client_config_init(&dcfg);
    dcfg.client_id = p->config.producer_id;
    dcfg.stream_id = p->config.stream_id;
    dcfg.role = TP_DRIVER_ROLE_PRODUCER;
    dcfg.publish_mode =
        p->config.driver_require_existing ? TP_DRIVER_PUBLISH_REQUIRE_EXISTING : TP_DRIVER_PUBLISH_EXISTING_OR_CREATE;
    dcfg.expected_layout_version = p->config.layout_version;
    dcfg.require_hugepages = p->config.require_hugepages ? 2 : 0;
    dcfg.attach_timeout_ns = ctx->driver_attach_timeout_ns;
    dcfg.keepalive_interval_ns = ctx->driver_keepalive_interval_ns;
    dcfg.announce_period_ns = ctx->announce_interval_ns;
    dcfg.send = tp_producer_driver_send;
    dcfg.send_clientd = p;
    dcfg.on_event = tp_producer_driver_event;
    dcfg.event_clientd = p;
    dcfg.on_state = p->config.on_lease_state;
    dcfg.state_clientd = p->config.lease_clientd;
    if (tp_driver_client_init(&p->driver, &dcfg) < 0)
    {
        TP_APPEND_ERR("producer %u: driver mode", p->config.producer_id);
        return -1;
    }
    return 0;
}

static int tp_producer_poll_subs(tp_producer_t *p, size_t limit)
{
    int work = 0;
    for (int i = 0; i < TP_PRODUCER_SUBS; i++)
    {
        if (p->subs[i].alias < 0 && NULL != p->subs[i].subscription)
        {
            int rc = aeron_subscription_poll(p->subs[i].subscription, aeron_fragment_assembler_handler,
                                             p->subs[i].assembler, limit);
            work += rc > 0 ? rc : 0;
        }
    }
    return work;
}

int tp_producer_add_async(tp_async_add_producer_t **async, tp_client_t *client, const tp_producer_config_t *config)
{
    if (NULL == async || NULL == client || NULL == config)
    {
        TP_SET_ERR(EINVAL, "tp_producer_add_async: NULL argument");
        return -1;
    }
    if (tp_producer_validate(config) < 0)
    {
        return -1;
    }
    tp_async_add_producer_t *a = calloc(1, sizeof(*a));
    tp_producer_t *p = calloc(1, sizeof(*p));
    if (NULL == a || NULL == p)
    {
        free(a);
        free(p);
        TP_SET_ERR_ERRNO("could not allocate a producer");
        return -1;
    }
    a->producer = p;
    p->client = client;
    tp_log_watch_init(&p->log_watch, 0);
    p->config = *config;
    tp_producer_build_core_context(p);
    /* Two per-consumer streams (descriptor, control) per tracked consumer at most. */
    p->consumer_pub_capacity = 2 * config->max_consumers;
    p->consumer_pubs = calloc(p->consumer_pub_capacity, sizeof(*p->consumer_pubs));
    if (NULL == p->consumer_pubs)
    {
        TP_SET_ERR_ERRNO("could not allocate %zu per-consumer publication slots", p->consumer_pub_capacity);
        goto fail;
    }

    const tp_context_t *ctx = &client->ctx;
    char channel[TP_CHANNEL_MAX];
    for (int i = 0; i < TP_PRODUCER_SHARED_PUBS; i++)
    {
        uint32_t stream_id = tp_context_get_stream_id(ctx, (tp_stream_kind_t)(i + 1));
        p->pubs[i].alias = -1;
        for (int j = 0; j < i; j++)
        {
            if (tp_context_get_stream_id(ctx, (tp_stream_kind_t)(j + 1)) == stream_id && p->pubs[j].alias < 0)
            {
                p->pubs[i].alias = j;
                break;
            }
        }
        if (p->pubs[i].alias >= 0)
        {
            continue;
        }
        if (tp_client_publication_channel(client, (tp_stream_kind_t)(i + 1), ctx->channel, channel, sizeof(channel)) <
            0)
        {
            goto fail;
        }
        if (aeron_async_add_publication(&p->pubs[i].async, client->aeron, channel, (int32_t)stream_id) < 0)
        {
            TP_SET_ERR(TP_ERR_AERON, "could not add a publication on %s stream %u: %s", channel, stream_id,
                       aeron_errmsg());
            goto fail;
        }
    }
    const uint32_t sub_streams[TP_PRODUCER_SUBS] = {ctx->control_stream_id, ctx->qos_stream_id};
    for (int i = 0; i < TP_PRODUCER_SUBS; i++)
    {
        p->subs[i].stream_id = sub_streams[i];
        p->subs[i].alias = (i > 0 && sub_streams[0] == sub_streams[i]) ? 0 : -1;
        if (p->subs[i].alias >= 0)
        {
            continue;
        }
        if (aeron_fragment_assembler_create(&p->subs[i].assembler, tp_producer_on_fragment, p) < 0 ||
            tp_context_aeron_channel(ctx, ctx->channel, true, channel, sizeof(channel)) < 0 ||
            aeron_async_add_subscription(&p->subs[i].async, client->aeron, channel, (int32_t)sub_streams[i], NULL, NULL,
                                         NULL, NULL) < 0)
        {
            TP_SET_ERR(TP_ERR_AERON, "could not add a subscription on %s stream %u: %s", ctx->channel, sub_streams[i],
                       aeron_errmsg());
            goto fail;
        }
    }
    if (ctx->shm_driver && tp_producer_driver_open(p) < 0)
    {
        goto fail;
    }
    *async = a;
    return 0;

fail:
    /* Pending adds are abandoned: the client conductor releases them when it closes. */
    tp_producer_release(p);
    free(a);
    return -1;
}

int tp_producer_add_poll(tp_producer_t **producer, tp_async_add_producer_t *async)
{
    if (NULL == producer || NULL == async)
    {
        TP_SET_ERR(EINVAL, "tp_producer_add_poll: NULL argument");
        return -1;
    }
    tp_producer_t *p = async->producer;
    const tp_context_t *ctx = &p->client->ctx;
    bool pending = false;
    for (int i = 0; i < TP_PRODUCER_SHARED_PUBS; i++)
    {
        if (NULL == p->pubs[i].async)
        {
            continue;
        }
        int rc = aeron_async_add_publication_poll(&p->pubs[i].publication, p->pubs[i].async);
        if (rc < 0)
        {
            p->pubs[i].async = NULL;
            TP_SET_ERR(TP_ERR_AERON, "adding the publication on %s stream %u failed: %s", ctx->channel,
                       tp_context_get_stream_id(ctx, (tp_stream_kind_t)(i + 1)), aeron_errmsg());
            goto fail;
        }
        if (rc > 0)
        {
            p->pubs[i].async = NULL;
        }
        else
        {
            pending = true;
        }
    }
    for (int i = 0; i < TP_PRODUCER_SUBS; i++)
    {
        if (NULL == p->subs[i].async)
        {
            continue;
        }
        int rc = aeron_async_add_subscription_poll(&p->subs[i].subscription, p->subs[i].async);
        if (rc < 0)
        {
            p->subs[i].async = NULL;
            TP_SET_ERR(TP_ERR_AERON, "adding the subscription on %s stream %u failed: %s", ctx->channel,
                       p->subs[i].stream_id, aeron_errmsg());
            goto fail;
        }
        if (rc > 0)
        {
            p->subs[i].async = NULL;
        }
        else
        {
            pending = true;
        }
    }
    if (pending)
    {
        return 0;
    }
    if (NULL != p->driver)
    {
        /* Ready once the driver granted a lease and its regions were mapped. */
        uint64_t now = tp_client_now_ns(p->client);
        if (TP_LEASE_UNATTACHED == tp_driver_client_state(p->driver))
        {
            (void)tp_driver_client_attach(p->driver, now); /* a refused send is retried by the driver poll */
        }
        tp_producer_poll_subs(p, 10);
        tp_driver_client_poll(p->driver, tp_client_now_ns(p->client));
        tp_producer_driver_counters(p);
        if (NULL == p->core)
        {
            return 0;
        }
        free(async);
        *producer = p;
        return 1;
    }
    if (tp_producer_core_start(&p->core, &p->core_ctx) < 0)
    {
        TP_APPEND_ERR("starting producer %u of stream %u", p->config.producer_id, p->config.stream_id);
        goto fail;
    }
    tp_client_log(p->client, TP_LOG_INFO, "producer %u: stream %u epoch %llu, header ring %s", p->config.producer_id,
                  p->config.stream_id, (unsigned long long)tp_producer_core_epoch(p->core),
                  tp_producer_core_header_path(p->core));
    if (p->config.wake_consumers && tp_producer_wake_create(p) < 0)
    {
        TP_APPEND_ERR("producer %u of stream %u: wake_consumers", p->config.producer_id, p->config.stream_id);
        tp_producer_core_close(p->core);
        p->core = NULL;
        goto fail;
    }
    free(async);
    *producer = p;
    return 1;

fail:
    tp_producer_release(p);
    free(async);
    return -1;
}

int tp_producer_start(tp_producer_t **producer, tp_client_t *client, const tp_producer_config_t *config)
{
    tp_async_add_producer_t *async = NULL;
    if (tp_producer_add_async(&async, client, config) < 0)
    {
        return -1;
    }
    uint64_t deadline = tp_client_now_ns(client) + client->ctx.start_timeout_ms * UINT64_C(1000000);
    for (;;)
    {
        int rc = tp_producer_add_poll(producer, async);
        if (0 != rc)
        {
            return rc > 0 ? 0 : -1;
        }
        if (tp_client_now_ns(client) > deadline)
        {
            /* Give up: release what was added so far (add_poll frees only on completion or failure). */
            tp_producer_t *p = async->producer;
            char lease[1200] = "";
            if (NULL != p->driver)
            {
                snprintf(lease, sizeof(lease), "; SHM driver lease %s, last error: %s",
                         tp_lease_state_name(tp_driver_client_state(p->driver)),
                         tp_driver_client_last_error(p->driver));
            }
            tp_producer_release(p);
            free(async);
            TP_SET_ERR(TP_ERR_TIMEOUT,
                       "producer %u: the Aeron streams were not ready (or no lease was granted) within %llu ms "
                       "(driver dir %s)%s",
                       config->producer_id, (unsigned long long)client->ctx.start_timeout_ms, client->ctx.aeron_dir,
                       lease);
            return -1;
        }
        tp_client_wait_step(client, 0);
    }
}

/* The wake word lives beside the header ring, in the epoch directory (removed with it at close). */
static int tp_producer_wake_create(tp_producer_t *p)
{
    char path[PATH_MAX];
    if (tp_wake_path(path, sizeof(path), tp_producer_core_header_path(p->core)) < 0)
    {
        return -1;
    }
    return tp_wake_create(&p->wake, path);
}

/* After a frame is out (committed, descriptor published or queued): wake blocked consumers, if any. */
static inline int tp_producer_wake(tp_producer_t *p, int rc)
{
    if ((rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc) && tp_wake_is_open(&p->wake))
    {
        tp_wake_signal(&p->wake);
    }
    return rc;
}

int tp_producer_offer(tp_producer_t *producer, const tp_tensor_desc_t *desc, const void *bytes, uint32_t length,
                      uint64_t timestamp_ns)
{
    if (NULL == producer->core)
    {
        return TP_PRODUCER_NOT_ATTACHED;
    }
    return tp_producer_wake(producer, tp_producer_core_offer(producer->core, desc, bytes, length, timestamp_ns));
}

int tp_producer_claim(tp_producer_t *producer, uint32_t length, const tp_tensor_desc_t *desc,
                      tp_producer_claim_t *claim)
{
    if (NULL == producer->core)
    {
        return TP_PRODUCER_NOT_ATTACHED;
    }
    return tp_producer_core_claim(producer->core, length, desc, claim);
}

int tp_producer_progress(tp_producer_t *producer, const tp_producer_claim_t *claim, uint64_t bytes_filled)
{
    if (NULL == producer->core)
    {
        return TP_PRODUCER_NOT_ATTACHED;
    }
    return tp_producer_core_progress(producer->core, claim, bytes_filled);
}

int tp_producer_commit(tp_producer_t *producer, const tp_producer_claim_t *claim, const tp_tensor_desc_t *desc,
                       uint64_t timestamp_ns)
{
    if (NULL == producer->core)
    {
        return TP_PRODUCER_NOT_ATTACHED;
    }
    return tp_producer_wake(producer, tp_producer_core_commit(producer->core, claim, desc, timestamp_ns,
                                                              tp_producer_core_meta_version(producer->core)));
}

int tp_producer_abort(tp_producer_t *producer, const tp_producer_claim_t *claim)
{
    if (NULL == producer->core)
    {
        return TP_PRODUCER_NOT_ATTACHED;
    }
    return tp_producer_core_abort(producer->core, claim);
}

int tp_producer_set_meta(tp_producer_t *producer, const tp_producer_meta_attribute_t *attributes, size_t count)
{
    if (NULL == producer->core)
    {
        TP_SET_ERR(TP_ERR_STATE, "producer %u: no SHM driver lease (state %s)", producer->config.producer_id,
                   tp_lease_state_name(tp_producer_lease_state(producer)));
        return -1;
    }
    return tp_producer_core_set_meta(producer->core, attributes, count);
}

uint32_t tp_producer_meta_version(const tp_producer_t *producer)
{
    return NULL == producer->core ? 0 : tp_producer_core_meta_version(producer->core);
}

/* Finish pending per-consumer adds; a publication retired meanwhile is closed at once. */
static int tp_producer_poll_consumer_pubs(tp_producer_t *p)
{
    int work = 0;
    for (size_t i = 0; i < p->consumer_pub_capacity && p->consumer_pub_adding > 0; i++)
    {
        tp_producer_consumer_pub_t *cp = &p->consumer_pubs[i];
        if (!cp->in_use || NULL == cp->async)
        {
            continue;
        }
        int rc = aeron_async_add_publication_poll(&cp->publication, cp->async);
        if (0 == rc)
        {
            continue;
        }
        work++;
        cp->async = NULL;
        p->consumer_pub_adding--;
        if (rc < 0)
        {
            tp_client_log(p->client, TP_LOG_WARN, "producer %u: per-consumer stream %u for consumer %u failed: %s",
                          p->config.producer_id, cp->stream_id, cp->consumer_id, aeron_errmsg());
            memset(cp, 0, sizeof(*cp));
            continue;
        }
        p->transport.consumer_publications_opened++;
        p->consumer_pub_open++;
        if (cp->close_when_ready)
        {
            tp_producer_consumer_pub_release(p, cp);
        }
    }
    return work;
}

int tp_producer_poll(tp_producer_t *producer, int fragment_limit)
{
    tp_producer_t *p = producer;
    if (aeron_is_closed(p->client->aeron))
    {
        return -1;
    }
    size_t limit = fragment_limit > 0 ? (size_t)fragment_limit : 10;
    int work = 0;
    /* One clock read per poll (the duties run on millisecond timers; on a VM a read costs tens of ns). */
    const uint64_t now_ns = tp_client_now_ns(p->client);
    if (NULL != p->driver)
    {
        work += tp_driver_client_poll(p->driver, now_ns);
    }
    work += tp_producer_poll_consumer_pubs(p);
    work += tp_producer_poll_subs(p, limit);
    if (NULL != p->core)
    {
        work += tp_producer_core_do_work(p->core, now_ns);
        (void)tp_log_watch_producer(&p->log_watch, p->client, p->config.producer_id, p->config.stream_id, p->core,
                                    now_ns);
    }
    if (NULL != p->driver)
    {
        tp_producer_driver_counters(p);
    }
    return work;
}

uint64_t tp_producer_epoch(const tp_producer_t *producer)
{
    return NULL == producer->core ? producer->last_epoch : tp_producer_core_epoch(producer->core);
}

tp_lease_state_t tp_producer_lease_state(const tp_producer_t *producer)
{
    return NULL == producer->driver ? TP_LEASE_UNATTACHED : tp_driver_client_state(producer->driver);
}

uint64_t tp_producer_next_seq(const tp_producer_t *producer)
{
    return NULL == producer->core ? producer->next_seq : tp_producer_core_next_seq(producer->core);
}

size_t tp_producer_consumer_count(const tp_producer_t *producer)
{
    return NULL == producer->core ? 0 : tp_producer_core_consumer_count(producer->core);
}

bool tp_producer_consumer_streams(const tp_producer_t *producer, uint32_t consumer_id, uint32_t *descriptor_stream_id,
                                  uint32_t *control_stream_id)
{
    return NULL != producer->core &&
           tp_producer_core_consumer_streams(producer->core, consumer_id, descriptor_stream_id, control_stream_id);
}

const tp_producer_counters_t *tp_producer_counters(const tp_producer_t *producer)
{
    return NULL == producer->core ? &producer->idle_counters : tp_producer_core_counters(producer->core);
}

const tp_producer_transport_counters_t *tp_producer_transport_counters(const tp_producer_t *producer)
{
    return &producer->transport;
}

size_t tp_producer_consumer_publication_count(const tp_producer_t *producer)
{
    return producer->consumer_pub_open;
}

const char *tp_producer_header_path(const tp_producer_t *producer)
{
    return NULL == producer->core ? "" : tp_producer_core_header_path(producer->core);
}

tp_producer_core_t *tp_producer_core(tp_producer_t *producer)
{
    return producer->core;
}

int tp_producer_close(tp_producer_t *producer)
{
    if (NULL == producer)
    {
        return 0;
    }
    tp_wake_close(&producer->wake); /* wakes blocked consumers; before the core removes the epoch directory */
    int rc = tp_producer_core_close(producer->core);
    producer->core = NULL;
    tp_producer_release(producer);
    return rc;
}
