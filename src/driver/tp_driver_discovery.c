/*
 * The Discovery Provider embedded in the SHM driver agent (discovery spec v1.0): the transport-independent
 * provider core (src/discovery) fed from the driver's Aeron subscriptions, answering through publications opened
 * on demand for each requester's response endpoint.
 *
 * Inputs: every message of the driver control subscription (tp_driver.c forwards them; IPC subscribers also see
 * the driver's own ShmPoolAnnounce there), plus our own subscriptions on the announce stream and the discovery
 * stream when they differ from the control stream, and on the metadata stream (DataSourceAnnounce / Meta).
 *
 * Responses never block the agent: they leave through the shared table of response publications
 * (src/discovery/tp_discovery_responder.c), which parks a response until its publication is ready.
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
/* Largest Aeron message on a 64 MiB term (term / 8): the tp_mediadriver default for IPC terms. */
#define TP_DISCOVERY_MESSAGE_MAX (UINT64_C(8) * 1024 * 1024)

static void tp_driver_discovery_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_driver_t *driver = clientd;
    (void)tp_discovery_provider_on_message(driver->discovery.provider, buffer, length);
}

static int tp_driver_discovery_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer,
                                          size_t length)
{
    tp_driver_t *driver = clientd;
    return tp_discovery_responder_offer(driver->discovery.responder, target, buffer, length);
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
    if (tp_discovery_responder_init(&driver->discovery.responder, driver->aeron, TP_DRIVER_DISCOVERY_PUBLICATIONS) < 0)
    {
        TP_APPEND_ERR("embedded discovery provider");
        return -1;
    }
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
    work += tp_discovery_responder_do_work(discovery->responder, now_ns);
    work += tp_discovery_provider_do_work(discovery->provider, now_ns);
    return work;
}

void tp_driver_discovery_close(tp_driver_t *driver)
{
    tp_driver_discovery_t *discovery = &driver->discovery;
    tp_discovery_responder_close(discovery->responder);
    discovery->responder = NULL;
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
