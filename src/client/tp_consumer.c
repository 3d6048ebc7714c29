/*
 * Consumer over Aeron: the consumer core fed from the shared and per-consumer subscriptions, its hello / QoS sent
 * on Aeron publications, and the join time for the MONOTONIC announce rule taken from image availability.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/tp_client_private.h"
#include "client/tp_log_watch.h"
#include "client/tp_driver_client.h"
#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_wake.h"
#include "control/tp_control_message.h"
#include "shm/tp_shm_uri.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "tensorpool/tp_consumer.h"

#define TP_CONSUMER_SHARED_SUBS 4 /* descriptor, control, QoS, metadata: index = kind - 1 */
#define TP_CONSUMER_OWN_SUBS    2 /* per-consumer descriptor, control */
#define TP_CONSUMER_PUBS        2 /* control (hello), QoS */

typedef struct tp_consumer_sub_stct
{
    struct tp_consumer_stct *consumer;
    tp_stream_kind_t kind; /* the logical stream messages from this subscription are fed as */
    uint32_t stream_id;
    char channel[TP_CHANNEL_MAX];
    int alias; /* shared subscriptions: index of the owning slot when channel and stream id coincide */
    aeron_async_add_subscription_t *async;
    aeron_subscription_t *subscription;
    aeron_fragment_assembler_t *assembler;
} tp_consumer_sub_t;

typedef struct tp_consumer_pub_stct
{
    aeron_async_add_publication_t *async;
    aeron_publication_t *publication;
    int alias;
} tp_consumer_pub_t;

struct tp_consumer_stct
{
    tp_client_t *client;
    tp_consumer_config_t config;
    tp_consumer_context_t core_ctx;
    tp_consumer_core_t *core;
    tp_consumer_sub_t subs[TP_CONSUMER_SHARED_SUBS];
    tp_consumer_sub_t own[TP_CONSUMER_OWN_SUBS];
    tp_consumer_pub_t pubs[TP_CONSUMER_PUBS];

    tp_consumer_frame_handler_t on_frame;
    void *on_frame_clientd;
    bool config_changed;

    /* Written by the image handler (the conductor thread in agent mode), applied by poll. 0 = none yet. */
    volatile int64_t join_time_ns;
    bool join_time_applied;
    tp_consumer_transport_counters_t transport;

    tp_driver_client_t *driver; /* driver mode only */
    uint64_t driver_epoch;      /* highest epoch reported to the driver client */
    uint8_t announce_buffer[8192];
    tp_log_watch_t log_watch; /* rate-limited operator records from the core's counters */

    /* Optional wake-up word of the mapped producer (opened by the first tp_consumer_wait() of each epoch). */
    tp_wake_t wake;
    uint64_t wake_epoch;
    uint32_t wake_seen; /* the word as read at the start of the last poll */
};

struct tp_async_add_consumer_stct
{
    tp_consumer_t *consumer;
};

void tp_consumer_config_init(tp_consumer_config_t *config)
{
    tp_consumer_context_t core;
    tp_consumer_context_init(&core);
    memset(config, 0, sizeof(*config));
    config->layout_version = core.layout_version;
    config->mode = core.mode;
    config->max_outstanding_seq_gap = core.max_outstanding_seq_gap;
    config->progress_interval_us = core.progress_interval_us;
    config->progress_bytes_delta = core.progress_bytes_delta;
    config->progress_major_delta_units = core.progress_major_delta_units;
}

static void tp_consumer_count(tp_consumer_t *c, uint64_t *counter)
{
    (void)c;
    /* Image handlers may run on the conductor thread: keep the increments atomic. */
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static void tp_consumer_on_available_image(void *clientd, aeron_subscription_t *subscription, aeron_image_t *image)
{
    (void)subscription;
    (void)image;
    tp_consumer_sub_t *sub = clientd;
    tp_consumer_t *c = sub->consumer;
    tp_consumer_count(c, &c->transport.images_available);
    if (sub->stream_id != c->client->ctx.control_stream_id || 0 != strcmp(sub->channel, c->client->ctx.channel))
    {
        return;
    }
    /* §10.1.1: the join time is when the image carrying the announces becomes available; the first one counts. */
    int64_t now = (int64_t)tp_client_now_ns(c->client);
    if (now <= 0)
    {
        now = 1;
    }
    tp_cas_i64(&c->join_time_ns, 0, now);
}

static void tp_consumer_on_unavailable_image(void *clientd, aeron_subscription_t *subscription, aeron_image_t *image)
{
    (void)subscription;
    (void)image;
    tp_consumer_sub_t *sub = clientd;
    tp_consumer_count(sub->consumer, &sub->consumer->transport.images_unavailable);
}

static void tp_consumer_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_consumer_sub_t *sub = clientd;
    tp_consumer_t *c = sub->consumer;
    c->transport.messages_received++;
    if (NULL != c->driver && sub->stream_id == c->client->ctx.control_stream_id &&
        0 == strcmp(sub->channel, c->client->ctx.channel))
    {
        if (tp_driver_client_on_message(c->driver, buffer, length, tp_client_now_ns(c->client)) > 0)
        {
            return;
        }
        /* Without a lease the regions must not be used (§4.7): the driver's announces wait for the next attach. */
        tp_control_header_t hdr;
        if (TP_LEASE_ATTACHED != tp_driver_client_state(c->driver) &&
            TP_CONTROL_PEEK_OK == tp_control_peek(buffer, length, &hdr))
        {
            return;
        }
    }
    tp_consumer_core_on_message(c->core, sub->kind, buffer, length);
}

static void tp_consumer_deliver_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    tp_consumer_t *c = clientd;
    if (NULL != c->on_frame)
    {
        c->on_frame(c->on_frame_clientd, frame);
    }
}

static void tp_consumer_deliver_progress(void *clientd, const tp_consumer_progress_t *progress)
{
    tp_consumer_t *c = clientd;
    if (NULL != c->config.on_progress)
    {
        c->config.on_progress(c->config.clientd, progress);
    }
}

static void tp_consumer_deliver_config(void *clientd, const tp_consumer_assignment_t *assignment)
{
    tp_consumer_t *c = clientd;
    c->config_changed = true;
    if (NULL != c->config.on_config)
    {
        c->config.on_config(c->config.clientd, assignment);
    }
}

static int tp_consumer_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    tp_consumer_t *c = clientd;
    int index = TP_STREAM_QOS == target->kind ? 1 : 0;
    if (c->pubs[index].alias >= 0)
    {
        index = c->pubs[index].alias;
    }
    tp_consumer_transport_counters_t *t = &c->transport;
    return tp_client_offer(c->pubs[index].publication, buffer, length, &t->offers_back_pressured,
                           &t->offers_not_connected, &t->offers_failed);
}

static void tp_consumer_sub_close(tp_consumer_t *c, tp_consumer_sub_t *sub)
{
    if (NULL != sub->async)
    {
        /* An abandoned add would still complete later and call our image handlers with freed memory: finish it. */
        aeron_subscription_t *s = NULL;
        uint64_t deadline = tp_client_now_ns(c->client) + c->client->ctx.driver_timeout_ms * UINT64_C(1000000);
        int rc;
        while (0 == (rc = aeron_async_add_subscription_poll(&s, sub->async)) && tp_client_now_ns(c->client) < deadline)
        {
            tp_client_wait_step(c->client, 0);
        }
        if (rc > 0)
        {
            aeron_subscription_close(s, NULL, NULL);
        }
        sub->async = NULL;
    }
    if (NULL != sub->subscription)
    {
        aeron_subscription_close(sub->subscription, NULL, NULL);
        sub->subscription = NULL;
    }
    if (NULL != sub->assembler)
    {
        aeron_fragment_assembler_delete(sub->assembler);
        sub->assembler = NULL;
    }
}

static int tp_consumer_sub_open(tp_consumer_t *c, tp_consumer_sub_t *sub, tp_stream_kind_t kind, const char *channel,
                                uint32_t stream_id)
{
    sub->consumer = c;
    sub->kind = kind;
    sub->stream_id = stream_id;
    snprintf(sub->channel, sizeof(sub->channel), "%s", channel);
    if (aeron_fragment_assembler_create(&sub->assembler, tp_consumer_on_fragment, sub) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "could not create a fragment assembler: %s", aeron_errmsg());
        return -1;
    }
    char aeron_channel[TP_CHANNEL_MAX];
    if (tp_context_aeron_channel(&c->client->ctx, channel, true, aeron_channel, sizeof(aeron_channel)) < 0 ||
        aeron_async_add_subscription(&sub->async, c->client->aeron, aeron_channel, (int32_t)stream_id,
                                     tp_consumer_on_available_image, sub, tp_consumer_on_unavailable_image, sub) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "could not add a subscription on %s stream %u: %s", channel, stream_id,
                   aeron_errmsg());
        return -1;
    }
    return 0;
}

/* 1 ready, 0 pending, -1 failed. */
static int tp_consumer_sub_poll_add(tp_consumer_sub_t *sub)
{
    if (NULL == sub->async)
    {
        return 1;
    }
    int rc = aeron_async_add_subscription_poll(&sub->subscription, sub->async);
    if (rc < 0)
    {
        sub->async = NULL;
        TP_SET_ERR(TP_ERR_AERON, "adding the subscription on %s stream %u failed: %s", sub->channel, sub->stream_id,
                   aeron_errmsg());
        return -1;
    }
    if (rc > 0)
    {
        sub->async = NULL;
    }
    return rc;
}

static void tp_consumer_release(tp_consumer_t *c)
{
    if (NULL != c->driver)
    {
        /* Best effort: give the lease back and wait briefly for the answer (§4.9). */
        tp_driver_client_detach(c->driver, tp_client_now_ns(c->client));
        while (TP_LEASE_DETACHING == tp_driver_client_state(c->driver))
        {
            tp_client_wait_step(c->client, 0);
            tp_consumer_sub_t *sub = &c->subs[TP_STREAM_CONTROL - 1];
            if (sub->alias >= 0)
            {
                sub = &c->subs[sub->alias];
            }
            if (NULL != sub->subscription)
            {
                aeron_subscription_poll(sub->subscription, aeron_fragment_assembler_handler, sub->assembler, 10);
            }
            tp_driver_client_poll(c->driver, tp_client_now_ns(c->client));
        }
        tp_driver_client_close(c->driver);
        c->driver = NULL;
    }
    tp_consumer_core_close(c->core);
    for (int i = 0; i < TP_CONSUMER_SHARED_SUBS; i++)
    {
        tp_consumer_sub_close(c, &c->subs[i]);
    }
    for (int i = 0; i < TP_CONSUMER_OWN_SUBS; i++)
    {
        tp_consumer_sub_close(c, &c->own[i]);
    }
    for (int i = 0; i < TP_CONSUMER_PUBS; i++)
    {
        if (NULL != c->pubs[i].async)
        {
            aeron_publication_t *pub = NULL;
            if (aeron_async_add_publication_poll(&pub, c->pubs[i].async) > 0)
            {
                aeron_publication_close(pub, NULL, NULL);
            }
        }
        if (NULL != c->pubs[i].publication)
        {
            aeron_publication_close(c->pubs[i].publication, NULL, NULL);
        }
    }
    free(c);
}

static void tp_consumer_build_core_context(tp_consumer_t *c)
{
    const tp_context_t *ctx = &c->client->ctx;
    const tp_consumer_config_t *cfg = &c->config;
    tp_consumer_context_t *k = &c->core_ctx;
    tp_consumer_context_init(k);
    k->stream_id = cfg->stream_id;
    k->consumer_id = cfg->consumer_id;
    k->layout_version = cfg->layout_version;
    for (size_t i = 0; i < ctx->allowed_dir_count; i++)
    {
        k->allowed_base_dirs[i] = ctx->allowed_dirs[i]; /* the client's context outlives the consumer */
    }
    k->allowed_base_dir_count = ctx->allowed_dir_count;
    k->freshness_window_ns = ctx->freshness_window_ns;
    k->mode = cfg->mode;
    k->max_rate_hz = cfg->max_rate_hz;
    k->max_outstanding_seq_gap = cfg->max_outstanding_seq_gap;
    k->supports_progress = cfg->supports_progress;
    k->progress_interval_us = cfg->progress_interval_us;
    k->progress_bytes_delta = cfg->progress_bytes_delta;
    k->progress_major_delta_units = cfg->progress_major_delta_units;
    if (0 != cfg->descriptor_stream_id)
    {
        k->descriptor_stream_id = cfg->descriptor_stream_id;
        snprintf(k->descriptor_channel, sizeof(k->descriptor_channel), "%s",
                 '\0' != cfg->descriptor_channel[0] ? cfg->descriptor_channel : ctx->channel);
    }
    if (0 != cfg->control_stream_id)
    {
        k->control_stream_id = cfg->control_stream_id;
        snprintf(k->control_channel, sizeof(k->control_channel), "%s",
                 '\0' != cfg->control_channel[0] ? cfg->control_channel : ctx->channel);
    }
    snprintf(k->channel, sizeof(k->channel), "%s", ctx->channel);
    k->control_stream_id_shared = ctx->control_stream_id;
    k->qos_stream_id = ctx->qos_stream_id;
    k->hello_interval_ns = ctx->hello_interval_ns;
    k->qos_interval_ns = ctx->qos_interval_ns;
    k->clock = ctx->clock;
    k->clock_clientd = ctx->clock_clientd;
    k->sink.offer = tp_consumer_sink_offer;
    k->sink.stream = NULL;
    k->sink.clientd = c;
    k->on_frame = tp_consumer_deliver_frame;
    k->on_progress = tp_consumer_deliver_progress;
    k->on_config = tp_consumer_deliver_config;
    k->handler_clientd = c;
}

/* The driver client's transport: one offer on the control publication; any refusal (not connected included) is a
 * failure so attach and keepalive retries stay the driver client's decision. */
static int tp_consumer_driver_send(void *clientd, const uint8_t *buffer, size_t length)
{
    tp_consumer_t *c = clientd;
    aeron_publication_t *pub = c->pubs[0].publication;
    if (NULL == pub)
    {
        return -1;
    }
    int64_t rc = aeron_publication_offer(pub, buffer, length, NULL, NULL);
    return rc < 0 ? -1 : 0;
}

/* The lease as the ShmPoolAnnounce the core already knows how to validate and map (producerId 0, MONOTONIC now). */
static size_t tp_consumer_driver_announce(tp_consumer_t *c, const tp_driver_lease_t *lease)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_messageHeader hdr;
    char *buffer = (char *)c->announce_buffer;
    if (NULL ==
        shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, buffer, 0, sizeof(c->announce_buffer), &hdr))
    {
        return 0;
    }
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, lease->stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, 0);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, lease->epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, tp_client_now_ns(c->client));
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, lease->layout_version);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, lease->header_nslots);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, lease->header_slot_bytes);
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    if (NULL ==
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &group, (uint16_t)lease->pool_count))
    {
        return 0;
    }
    for (size_t i = 0; i < lease->pool_count; i++)
    {
        const tp_driver_pool_t *pool = &lease->pools[i];
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&group))
        {
            return 0;
        }
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&group, pool->pool_id);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&group, pool->nslots);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&group, pool->stride_bytes);
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&group, pool->uri,
                                                                                      (uint32_t)strlen(pool->uri)))
        {
            return 0;
        }
    }
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, lease->header_uri,
                                                                           (uint32_t)strlen(lease->header_uri)))
    {
        return 0;
    }
    return TP_CONTROL_HEADER_LENGTH + (size_t)shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
}

static void tp_consumer_driver_event(void *clientd, tp_driver_client_event_t event, const char *reason)
{
    tp_consumer_t *c = clientd;
    uint64_t now = tp_client_now_ns(c->client);
    switch (event)
    {
        case TP_DRIVER_CLIENT_EVENT_ATTACHED:
        {
            const tp_driver_lease_t *lease = tp_driver_client_lease(c->driver);
            size_t length = tp_consumer_driver_announce(c, lease);
            if (length > 0)
            {
                tp_consumer_core_on_message(c->core, TP_STREAM_CONTROL, c->announce_buffer, length);
            }
            if (0 == length || !tp_consumer_core_is_mapped(c->core) || tp_consumer_core_epoch(c->core) != lease->epoch)
            {
                /* §4.7a: regions that fail the wire checks are never used; hand the lease back and retry. */
                char why[TP_CONSUMER_ERROR_MAX + 64];
                snprintf(why, sizeof(why), "regions of epoch %llu not mapped: %s", (unsigned long long)lease->epoch,
                         tp_consumer_core_last_error(c->core));
                tp_client_log(c->client, TP_LOG_WARN, "consumer %u: %s", c->config.consumer_id, why);
                tp_consumer_core_unmap(c->core);
                tp_driver_client_fail(c->driver, now, why);
                return;
            }
            c->driver_epoch = lease->epoch;
            tp_client_log(c->client, TP_LOG_INFO, "consumer %u: attached, lease %llu, epoch %llu",
                          c->config.consumer_id, (unsigned long long)lease->lease_id, (unsigned long long)lease->epoch);
            return;
        }
        case TP_DRIVER_CLIENT_EVENT_LEASE_LOST:
        case TP_DRIVER_CLIENT_EVENT_PRODUCER_REVOKED:
            /* Own lease gone: stop using the regions now. Producer revoked: its epoch is over; remap on the
             * epoch-bumped announce (the driver client times the wait). */
            tp_consumer_core_unmap(c->core);
            tp_client_log(c->client, TP_LOG_INFO, "consumer %u: %s", c->config.consumer_id, reason);
            return;
    }
}

static void tp_consumer_driver_counters(tp_consumer_t *c)
{
    tp_driver_client_lease_counters(c->driver, &c->transport.lease);
}

static int tp_consumer_driver_open(tp_consumer_t *c)
{
    const tp_context_t *ctx = &c->client->ctx;
    tp_driver_client_config_t dcfg;
    tp_driver_client_config_init(&dcfg);
    dcfg.client_id = c->config.consumer_id;
    dcfg.stream_id = c->config.stream_id;
    dcfg.role = TP_DRIVER_ROLE_CONSUMER;
    dcfg.publish_mode = TP_DRIVER_PUBLISH_REQUIRE_EXISTING;
    dcfg.expected_layout_version = c->config.layout_version;
    dcfg.attach_timeout_ns = ctx->driver_attach_timeout_ns;
    dcfg.keepalive_interval_ns = ctx->driver_keepalive_interval_ns;
    dcfg.announce_period_ns = ctx->announce_interval_ns;
    dcfg.send = tp_consumer_driver_send;
    dcfg.send_clientd = c;
    dcfg.on_event = tp_consumer_driver_event;
    dcfg.event_clientd = c;
    dcfg.on_state = c->config.on_lease_state;
    dcfg.state_clientd = c->config.lease_clientd;
    if (tp_driver_client_init(&c->driver, &dcfg) < 0)
    {
        TP_APPEND_ERR("consumer %u: driver mode", c->config.consumer_id);
        return -1;
    }
    return 0;
}

int tp_consumer_add_async(tp_async_add_consumer_t **async, tp_client_t *client, const tp_consumer_config_t *config)
{
    if (NULL == async || NULL == client || NULL == config)
    {
        TP_SET_ERR(EINVAL, "tp_consumer_add_async: NULL argument");
        return -1;
    }
    tp_async_add_consumer_t *a = calloc(1, sizeof(*a));
    tp_consumer_t *c = calloc(1, sizeof(*c));
    if (NULL == a || NULL == c)
    {
        free(a);
        free(c);
        TP_SET_ERR_ERRNO("could not allocate a consumer");
        return -1;
    }
    a->consumer = c;
    c->client = client;
    tp_log_watch_init(&c->log_watch, 0);
    c->config = *config;
    c->on_frame = config->on_frame;
    c->on_frame_clientd = config->clientd;
    tp_consumer_build_core_context(c);
    /* The core is started first so a bad config fails before anything is asked of the driver. */
    if (tp_consumer_core_start(&c->core, &c->core_ctx) < 0)
    {
        TP_APPEND_ERR("starting consumer %u of stream %u", config->consumer_id, config->stream_id);
        goto fail;
    }

    const tp_context_t *ctx = &client->ctx;
    for (int i = 0; i < TP_CONSUMER_SHARED_SUBS; i++)
    {
        tp_stream_kind_t kind = (tp_stream_kind_t)(i + 1);
        uint32_t stream_id = tp_context_get_stream_id(ctx, kind);
        c->subs[i].consumer = c;
        c->subs[i].kind = kind;
        c->subs[i].alias = -1;
        for (int j = 0; j < i; j++)
        {
            if (c->subs[j].alias < 0 && c->subs[j].stream_id == stream_id)
            {
                c->subs[i].alias = j;
                break;
            }
        }
        c->subs[i].stream_id = stream_id;
        if (c->subs[i].alias < 0 && tp_consumer_sub_open(c, &c->subs[i], kind, ctx->channel, stream_id) < 0)
        {
            goto fail;
        }
    }
    const uint32_t pub_streams[TP_CONSUMER_PUBS] = {ctx->control_stream_id, ctx->qos_stream_id};
    const tp_stream_kind_t pub_kinds[TP_CONSUMER_PUBS] = {TP_STREAM_CONTROL, TP_STREAM_QOS};
    for (int i = 0; i < TP_CONSUMER_PUBS; i++)
    {
        c->pubs[i].alias = (i > 0 && pub_streams[0] == pub_streams[i]) ? 0 : -1;
        if (c->pubs[i].alias >= 0)
        {
            continue;
        }
        char channel[TP_CHANNEL_MAX];
        if (tp_client_publication_channel(client, pub_kinds[i], ctx->channel, channel, sizeof(channel)) < 0)
        {
            goto fail;
        }
        if (aeron_async_add_publication(&c->pubs[i].async, client->aeron, channel, (int32_t)pub_streams[i]) < 0)
        {
            TP_SET_ERR(TP_ERR_AERON, "could not add a publication on %s stream %u: %s", channel, pub_streams[i],
                       aeron_errmsg());
            goto fail;
        }
    }
    if (ctx->shm_driver && tp_consumer_driver_open(c) < 0)
    {
        goto fail;
    }
    *async = a;
    return 0;

fail:
    tp_consumer_release(c);
    free(a);
    return -1;
}

int tp_consumer_add_poll(tp_consumer_t **consumer, tp_async_add_consumer_t *async)
{
    if (NULL == consumer || NULL == async)
    {
        TP_SET_ERR(EINVAL, "tp_consumer_add_poll: NULL argument");
        return -1;
    }
    tp_consumer_t *c = async->consumer;
    bool pending = false;
    for (int i = 0; i < TP_CONSUMER_SHARED_SUBS; i++)
    {
        int rc = tp_consumer_sub_poll_add(&c->subs[i]);
        if (rc < 0)
        {
            goto fail;
        }
        pending |= 0 == rc;
    }
    for (int i = 0; i < TP_CONSUMER_PUBS; i++)
    {
        if (NULL == c->pubs[i].async)
        {
            continue;
        }
        int rc = aeron_async_add_publication_poll(&c->pubs[i].publication, c->pubs[i].async);
        if (rc < 0)
        {
            c->pubs[i].async = NULL;
            TP_SET_ERR(TP_ERR_AERON, "adding a hello/QoS publication failed: %s", aeron_errmsg());
            goto fail;
        }
        if (rc > 0)
        {
            c->pubs[i].async = NULL;
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
    tp_client_log(c->client, TP_LOG_INFO, "consumer %u: following stream %u%s", c->config.consumer_id,
                  c->config.stream_id, NULL != c->driver ? " through the SHM driver" : "");
    if (NULL != c->driver)
    {
        (void)tp_driver_client_attach(c->driver, tp_client_now_ns(c->client)); /* a refused send is retried by poll */
    }
    free(async);
    *consumer = c;
    return 1;

fail:
    TP_APPEND_ERR("adding consumer %u of stream %u", c->config.consumer_id, c->config.stream_id);
    tp_consumer_release(c);
    free(async);
    return -1;
}

int tp_consumer_start(tp_consumer_t **consumer, tp_client_t *client, const tp_consumer_config_t *config)
{
    tp_async_add_consumer_t *async = NULL;
    if (tp_consumer_add_async(&async, client, config) < 0)
    {
        return -1;
    }
    uint64_t deadline = tp_client_now_ns(client) + client->ctx.start_timeout_ms * UINT64_C(1000000);
    for (;;)
    {
        int rc = tp_consumer_add_poll(consumer, async);
        if (0 != rc)
        {
            return rc > 0 ? 0 : -1;
        }
        if (tp_client_now_ns(client) > deadline)
        {
            tp_consumer_release(async->consumer);
            free(async);
            TP_SET_ERR(TP_ERR_TIMEOUT, "consumer %u: the Aeron streams were not ready within %llu ms (driver dir %s)",
                       config->consumer_id, (unsigned long long)client->ctx.start_timeout_ms, client->ctx.aeron_dir);
            return -1;
        }
        tp_client_wait_step(client, 0);
    }
}

/* Follow the assignment of the last ConsumerConfig: subscribe to granted per-consumer streams, drop retired ones. */
static int tp_consumer_reconcile_own(tp_consumer_t *c)
{
    const tp_consumer_assignment_t *a = tp_consumer_core_assignment(c->core);
    const tp_context_t *ctx = &c->client->ctx;
    const uint32_t want_ids[TP_CONSUMER_OWN_SUBS] = {a->descriptor_stream_id, a->control_stream_id};
    const char *want_channels[TP_CONSUMER_OWN_SUBS] = {a->descriptor_channel, a->control_channel};
    const tp_stream_kind_t kinds[TP_CONSUMER_OWN_SUBS] = {TP_STREAM_CONSUMER_DESCRIPTOR, TP_STREAM_CONSUMER_CONTROL};
    int work = 0;
    for (int i = 0; i < TP_CONSUMER_OWN_SUBS; i++)
    {
        tp_consumer_sub_t *sub = &c->own[i];
        const char *channel = '\0' != want_channels[i][0] ? want_channels[i] : ctx->channel;
        bool open = NULL != sub->subscription || NULL != sub->async;
        bool same = open && sub->stream_id == want_ids[i] && 0 == strcmp(sub->channel, channel);
        if (same || (!open && 0 == want_ids[i]))
        {
            continue;
        }
        work++;
        if (open)
        {
            tp_consumer_sub_close(c, sub);
            tp_consumer_count(c, &c->transport.consumer_subscriptions_closed);
        }
        if (0 != want_ids[i])
        {
            if (tp_consumer_sub_open(c, sub, kinds[i], channel, want_ids[i]) < 0)
            {
                tp_client_log(c->client, TP_LOG_WARN, "consumer %u: %s", c->config.consumer_id, tp_errmsg());
                tp_consumer_sub_close(c, sub);
                continue;
            }
            tp_consumer_count(c, &c->transport.consumer_subscriptions_opened);
            tp_client_log(c->client, TP_LOG_INFO, "consumer %u: subscribing to its %s stream %u on %s",
                          c->config.consumer_id, TP_STREAM_CONSUMER_DESCRIPTOR == kinds[i] ? "descriptor" : "control",
                          want_ids[i], channel);
        }
    }
    return work;
}

static int tp_consumer_poll_sub(tp_consumer_sub_t *sub, size_t limit)
{
    if (NULL == sub->subscription)
    {
        if (NULL == sub->async || tp_consumer_sub_poll_add(sub) <= 0)
        {
            return 0;
        }
    }
    int rc = aeron_subscription_poll(sub->subscription, aeron_fragment_assembler_handler, sub->assembler, limit);
    if (rc > 0)
    {
        sub->consumer->transport.fragments_received += (uint64_t)rc;
        return rc;
    }
    return 0;
}

int tp_consumer_poll(tp_consumer_t *consumer, tp_consumer_frame_handler_t on_frame, void *clientd, int fragment_limit)
{
    tp_consumer_t *c = consumer;
    if (aeron_is_closed(c->client->aeron))
    {
        return -1;
    }
    if (NULL != on_frame)
    {
        c->on_frame = on_frame;
        c->on_frame_clientd = clientd;
    }
    else
    {
        c->on_frame = c->config.on_frame;
        c->on_frame_clientd = c->config.clientd;
    }
    if (!c->join_time_applied)
    {
        int64_t join = tp_load_acquire_i64(&c->join_time_ns);
        if (0 != join)
        {
            tp_consumer_core_set_join_time(c->core, (uint64_t)join);
            c->join_time_applied = true;
        }
    }
    if (tp_wake_is_open(&c->wake))
    {
        /* Before any descriptor is read: a frame published after this load moves the word past it. */
        c->wake_seen = tp_wake_sequence(&c->wake);
    }
    /* Descriptors in batches (fewer duty cycles and control polls per frame when a backlog builds up). */
    size_t limit = fragment_limit > 0 ? (size_t)fragment_limit : TP_CONSUMER_CONTROL_FRAGMENT_LIMIT;
    size_t descriptor_limit = fragment_limit > 0 ? (size_t)fragment_limit : TP_CONSUMER_DESCRIPTOR_FRAGMENT_LIMIT;
    int work = 0;
    /* One clock read per poll: the duties below run on millisecond timers, and on a VM each read costs about as
     * much as an idle pass over the subscriptions. */
    const uint64_t now_ns = tp_client_now_ns(c->client);
    if (NULL != c->driver)
    {
        /* Lease timers before any frame: a lease lost here unmaps before descriptors are read in this poll. */
        work += tp_driver_client_poll(c->driver, now_ns);
        if (TP_LEASE_ATTACHED != tp_driver_client_state(c->driver))
        {
            tp_consumer_core_unmap(c->core); /* never mapped without a lease */
        }
    }
    /* Duties first: a producer found stale is unmapped before, never after, frames are handed over in this poll,
     * so views stay valid until the next poll. */
    work += tp_consumer_core_do_work(c->core, now_ns);
    (void)tp_log_watch_consumer(&c->log_watch, c->client, c->config.consumer_id, c->config.stream_id, c->core, now_ns);
    /* Control before descriptors: an announce or ConsumerConfig changes how the descriptors that follow are read. */
    static const int order[TP_CONSUMER_SHARED_SUBS] = {TP_STREAM_CONTROL - 1, TP_STREAM_METADATA - 1, TP_STREAM_QOS - 1,
                                                       TP_STREAM_DESCRIPTOR - 1};
    for (int i = 0; i < TP_CONSUMER_SHARED_SUBS; i++)
    {
        tp_consumer_sub_t *sub = &c->subs[order[i]];
        if (sub->alias < 0)
        {
            work += tp_consumer_poll_sub(sub, TP_STREAM_DESCRIPTOR - 1 == order[i] ? descriptor_limit : limit);
        }
    }
    for (int i = 0; i < TP_CONSUMER_OWN_SUBS; i++)
    {
        work += tp_consumer_poll_sub(&c->own[i], descriptor_limit);
    }
    if (c->config_changed)
    {
        c->config_changed = false;
        work += tp_consumer_reconcile_own(c);
    }
    if (NULL != c->driver)
    {
        if (TP_LEASE_ATTACHED == tp_driver_client_state(c->driver) && tp_consumer_core_is_mapped(c->core) &&
            tp_consumer_core_epoch(c->core) > c->driver_epoch)
        {
            c->driver_epoch = tp_consumer_core_epoch(c->core);
            tp_driver_client_on_epoch(c->driver, c->driver_epoch);
        }
        tp_consumer_driver_counters(c);
    }
    return work;
}

_Static_assert(TP_CONSUMER_SHARED_SUBS + TP_CONSUMER_OWN_SUBS == TP_CONSUMER_POLL_SOURCES,
               "tp_consumer_poll_frames bounds frames per poll by the number of subscriptions");

typedef struct tp_consumer_frame_batch_stct
{
    tp_consumer_frame_t *frames;
    size_t capacity;
    size_t count;
} tp_consumer_frame_batch_t;

static void tp_consumer_collect_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    tp_consumer_frame_batch_t *batch = (tp_consumer_frame_batch_t *)clientd;
    /* Cannot overflow: the fragment limit below bounds the frames one poll accepts by the capacity. */
    if (batch->count < batch->capacity)
    {
        batch->frames[batch->count++] = *frame;
    }
}

int tp_consumer_poll_frames(tp_consumer_t *consumer, tp_consumer_frame_t *frames, size_t capacity, size_t *count)
{
    *count = 0;
    if (capacity < TP_CONSUMER_POLL_SOURCES)
    {
        TP_SET_ERR(EINVAL, "tp_consumer_poll_frames: capacity %zu below %d", capacity, TP_CONSUMER_POLL_SOURCES);
        return -1;
    }
    tp_consumer_frame_batch_t batch = {.frames = frames, .capacity = capacity, .count = 0};
    size_t limit = capacity / TP_CONSUMER_POLL_SOURCES;
    int work =
        tp_consumer_poll(consumer, tp_consumer_collect_frame, &batch, limit > INT32_MAX ? INT32_MAX : (int)limit);
    /* The batch lives on this stack: no later delivery (e.g. during a detach in close) may reach it. */
    consumer->on_frame = consumer->config.on_frame;
    consumer->on_frame_clientd = consumer->config.clientd;
    *count = batch.count;
    return work;
}

tp_lease_state_t tp_consumer_lease_state(const tp_consumer_t *consumer)
{
    return NULL == consumer->driver ? TP_LEASE_UNATTACHED : tp_driver_client_state(consumer->driver);
}

bool tp_consumer_is_mapped(const tp_consumer_t *consumer)
{
    return tp_consumer_core_is_mapped(consumer->core);
}

uint64_t tp_consumer_epoch(const tp_consumer_t *consumer)
{
    return tp_consumer_core_epoch(consumer->core);
}

const tp_consumer_counters_t *tp_consumer_counters(const tp_consumer_t *consumer)
{
    return tp_consumer_core_counters(consumer->core);
}

const tp_consumer_transport_counters_t *tp_consumer_transport_counters(const tp_consumer_t *consumer)
{
    return &consumer->transport;
}

const tp_consumer_assignment_t *tp_consumer_assignment(const tp_consumer_t *consumer)
{
    return tp_consumer_core_assignment(consumer->core);
}

const char *tp_consumer_last_error(const tp_consumer_t *consumer)
{
    return tp_consumer_core_last_error(consumer->core);
}

bool tp_consumer_meta(const tp_consumer_t *consumer, uint32_t *meta_version, size_t *attribute_count)
{
    uint32_t version;
    size_t count;
    return tp_consumer_core_meta(consumer->core, NULL != meta_version ? meta_version : &version,
                                 NULL != attribute_count ? attribute_count : &count);
}

int tp_consumer_meta_attribute(const tp_consumer_t *consumer, size_t index, tp_consumer_meta_attribute_t *attribute)
{
    return tp_consumer_core_meta_attribute(consumer->core, index, attribute);
}

tp_consumer_core_t *tp_consumer_core(tp_consumer_t *consumer)
{
    return consumer->core;
}

/* Open the wake word beside the mapped header ring; absent (producer did not opt in, driver mode) is no error. */
static void tp_consumer_wake_open(tp_consumer_t *c)
{
    tp_shm_uri_t uri;
    char path[PATH_MAX];
    if (0 != tp_shm_uri_parse(&uri, tp_consumer_core_header_uri(c->core)))
    {
        return;
    }
    if (tp_wake_path(path, sizeof(path), uri.path) < 0)
    {
        return;
    }
    /* Beside the header ring of a validated announce; tp_wake_open refuses a symlink or a non-regular file. */
    if (0 == tp_wake_open(&c->wake, path))
    {
        c->wake_seen = tp_wake_sequence(&c->wake);
    }
}

int tp_consumer_wait(tp_consumer_t *consumer, uint64_t timeout_ns)
{
    tp_consumer_t *c = consumer;
    const uint64_t fallback_ns = timeout_ns < 1000000ULL ? timeout_ns : 1000000ULL;
    const uint64_t epoch = tp_consumer_core_epoch(c->core);
    if (epoch != c->wake_epoch)
    {
        tp_wake_close(&c->wake);
        c->wake_epoch = epoch;
        if (0 != epoch)
        {
            tp_consumer_wake_open(c);
        }
        if (tp_wake_is_open(&c->wake))
        {
            return 1; /* no poll has read the word yet: poll once before blocking on it */
        }
    }
    if (tp_wake_is_open(&c->wake) && tp_wake_is_closed(&c->wake))
    {
        tp_wake_close(&c->wake); /* the producer went away: sleep until its next epoch is mapped */
    }
    if (!tp_wake_is_open(&c->wake))
    {
        tp_clock_sleep_ns(fallback_ns);
        return 0;
    }
    return tp_wake_wait(&c->wake, c->wake_seen, timeout_ns);
}

int tp_consumer_close(tp_consumer_t *consumer)
{
    if (NULL == consumer)
    {
        return 0;
    }
    tp_wake_close(&consumer->wake);
    tp_consumer_release(consumer);
    return 0;
}
