/*
 * tp_discoveryd agent: Aeron subscriptions per driver feeding one multi-driver provider core, answering through the
 * shared table of response publications keyed by the requester's (channel, stream id)
 * (src/discovery/tp_discovery_responder.c), which parks a response until its publication is ready, so the agent
 * never blocks on a requester.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aeronc.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "discovery/tp_discovery_responder.h"
#include "tp_discoveryd.h"
#include "client/tp_client_private.h"

#define TP_DISCOVERYD_PUBLICATIONS 64
#define TP_DISCOVERYD_FRAGMENTS    32
#define TP_DISCOVERYD_REQUESTS     UINT32_MAX /* input index of the request subscription */

typedef struct tp_discoveryd_input_stct
{
    tp_discoveryd_t *registry;
    uint32_t driver; /* provider driver index, or TP_DISCOVERYD_REQUESTS */
    aeron_subscription_t *subscription;
    aeron_fragment_assembler_t *assembler;
} tp_discoveryd_input_t;

struct tp_discoveryd_stct
{
    aeron_context_t *aeron_ctx;
    aeron_t *aeron;
    tp_discovery_provider_t *provider;
    size_t input_count;
    tp_discoveryd_input_t *inputs; /* 2 per driver + the request subscription */
    tp_discovery_responder_t *responder;
    tp_discoveryd_counters_t counters;
};

static void tp_discoveryd_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_discoveryd_input_t *input = clientd;
    if (TP_DISCOVERYD_REQUESTS == input->driver)
    {
        (void)tp_discovery_provider_on_message(input->registry->provider, buffer, length);
    }
    else
    {
        (void)tp_discovery_provider_on_driver_message(input->registry->provider, input->driver, buffer, length);
    }
}

static int tp_discoveryd_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    tp_discoveryd_t *r = clientd;
    return tp_discovery_responder_offer(r->responder, target, buffer, length);
}

static int tp_discoveryd_subscribe(tp_discoveryd_t *r, const char *channel, uint32_t stream_id, uint32_t driver)
{
    tp_discoveryd_input_t *input = &r->inputs[r->input_count];
    input->registry = r;
    input->driver = driver;
    if (aeron_fragment_assembler_create(&input->assembler, tp_discoveryd_on_fragment, input) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "fragment assembler: %s", aeron_errmsg());
        return -1;
    }
    r->input_count++;
    aeron_async_add_subscription_t *async = NULL;
    char untethered[TP_CHANNEL_MAX];
    if (tp_aeron_channel_untethered(channel, untethered, sizeof(untethered)) < 0)
    {
        return -1;
    }
    if (aeron_async_add_subscription(&async, r->aeron, untethered, (int32_t)stream_id, NULL, NULL, NULL, NULL) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "subscribing to %s stream %u: %s", channel, stream_id, aeron_errmsg());
        return -1;
    }
    const uint64_t deadline = tp_clock_monotonic_ns() + UINT64_C(10000) * 1000000;
    int rc;
    while (0 == (rc = aeron_async_add_subscription_poll(&input->subscription, async)))
    {
        if (tp_clock_monotonic_ns() > deadline)
        {
            TP_SET_ERR(TP_ERR_TIMEOUT, "subscription to %s stream %u not added within 10 s", channel, stream_id);
            return -1;
        }
        aeron_main_do_work(r->aeron);
        aeron_main_idle_strategy(r->aeron, 0);
    }
    if (rc < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "the media driver refused %s stream %u: %s", channel, stream_id, aeron_errmsg());
        return -1;
    }
    return 0;
}

int tp_discoveryd_start(tp_discoveryd_t **registry, const tp_discoveryd_config_t *config)
{
    *registry = NULL;
    tp_discoveryd_t *r = calloc(1, sizeof(*r));
    if (NULL == r || NULL == (r->inputs = calloc(2 * config->driver_count + 1, sizeof(*r->inputs))))
    {
        free(r);
        TP_SET_ERR(ENOMEM, "registry allocation failed");
        return -1;
    }
    const tp_discoveryd_driver_t *first = &config->drivers[0];
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = first->instance_id;
    ctx.driver_control_channel = first->control_channel;
    ctx.driver_control_stream_id = first->control_stream_id;
    ctx.announce_period_ns = (uint64_t)config->announce_period_ms * 1000000u;
    ctx.max_entries = config->max_entries;
    ctx.max_results = config->max_results;
    ctx.max_drivers = (uint32_t)config->driver_count;
    ctx.sink = (tp_sink_t){.offer = tp_discoveryd_sink_offer, .clientd = r};
    if (tp_discovery_provider_init(&r->provider, &ctx) < 0)
    {
        TP_APPEND_ERR("registry provider");
        tp_discoveryd_close(r);
        return -1;
    }
    for (size_t i = 1; i < config->driver_count; i++)
    {
        const tp_discoveryd_driver_t *d = &config->drivers[i];
        if (tp_discovery_provider_add_driver(r->provider, d->instance_id, d->control_channel, d->control_stream_id) < 0)
        {
            TP_APPEND_ERR("drivers.%s", d->name);
            tp_discoveryd_close(r);
            return -1;
        }
    }
    if (aeron_context_init(&r->aeron_ctx) < 0 ||
        ('\0' != config->aeron_dir[0] && aeron_context_set_dir(r->aeron_ctx, config->aeron_dir) < 0) ||
        aeron_context_set_use_conductor_agent_invoker(r->aeron_ctx, true) < 0 ||
        aeron_init(&r->aeron, r->aeron_ctx) < 0 || aeron_start(r->aeron) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "no media driver in %s: %s",
                   NULL == r->aeron_ctx ? "?" : aeron_context_get_dir(r->aeron_ctx), aeron_errmsg());
        tp_discoveryd_close(r);
        return -1;
    }
    if (tp_discovery_responder_init(&r->responder, r->aeron, TP_DISCOVERYD_PUBLICATIONS) < 0)
    {
        TP_APPEND_ERR("registry responses");
        tp_discoveryd_close(r);
        return -1;
    }
    for (size_t i = 0; i < config->driver_count; i++)
    {
        const tp_discoveryd_driver_t *d = &config->drivers[i];
        bool same =
            d->metadata_stream_id == d->announce_stream_id && 0 == strcmp(d->metadata_channel, d->announce_channel);
        if (tp_discoveryd_subscribe(r, d->announce_channel, d->announce_stream_id, (uint32_t)i) < 0 ||
            (!same && tp_discoveryd_subscribe(r, d->metadata_channel, d->metadata_stream_id, (uint32_t)i) < 0))
        {
            TP_APPEND_ERR("drivers.%s", d->name);
            tp_discoveryd_close(r);
            return -1;
        }
    }
    if (tp_discoveryd_subscribe(r, config->channel, config->stream_id, TP_DISCOVERYD_REQUESTS) < 0)
    {
        TP_APPEND_ERR("registry request endpoint");
        tp_discoveryd_close(r);
        return -1;
    }
    *registry = r;
    return 0;
}

int tp_discoveryd_do_work(tp_discoveryd_t *r)
{
    /* The conductor's own bookkeeping is not work that should keep the agent from idling. */
    if (aeron_main_do_work(r->aeron) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "Aeron client: %s", aeron_errmsg());
        return -1;
    }
    int work = 0;
    for (size_t i = 0; i < r->input_count; i++)
    {
        tp_discoveryd_input_t *input = &r->inputs[i];
        int polled = aeron_subscription_poll(input->subscription, aeron_fragment_assembler_handler, input->assembler,
                                             TP_DISCOVERYD_FRAGMENTS);
        work += polled > 0 ? polled : 0;
    }
    uint64_t now_ns = tp_clock_monotonic_ns();
    work += tp_discovery_responder_do_work(r->responder, now_ns);
    work += tp_discovery_provider_do_work(r->provider, now_ns);
    /* Responses leave only from within this call (the provider answers while the request subscription is polled). */
    const tp_discovery_responder_counters_t *sent = tp_discovery_responder_counters(r->responder);
    r->counters.responses_sent = sent->responses_sent;
    r->counters.responses_dropped = sent->responses_dropped;
    return work;
}

const tp_discovery_provider_t *tp_discoveryd_provider(const tp_discoveryd_t *r)
{
    return r->provider;
}

const tp_discoveryd_counters_t *tp_discoveryd_counters(const tp_discoveryd_t *r)
{
    return &r->counters;
}

int tp_discoveryd_close(tp_discoveryd_t *r)
{
    if (NULL == r)
    {
        return 0;
    }
    tp_discovery_responder_close(r->responder); /* before the Aeron client that owns its publications */
    if (NULL != r->aeron)
    {
        aeron_close(r->aeron); /* closes every publication and subscription with the client */
    }
    if (NULL != r->aeron_ctx)
    {
        aeron_context_close(r->aeron_ctx);
    }
    for (size_t i = 0; i < r->input_count; i++)
    {
        aeron_fragment_assembler_delete(r->inputs[i].assembler);
    }
    tp_discovery_provider_close(r->provider);
    free(r->inputs);
    free(r);
    return 0;
}
