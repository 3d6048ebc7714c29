/*
 * The discovery client over Aeron (tp_discovery.h): a publication to the provider's request endpoint, a
 * subscription on our response endpoint with a fragment assembler (responses with many results span many Aeron
 * frames), and the collector (tp_discovery_collector.c) that applies the §5.2 / §7 rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <aeronc.h>

#include "client/tp_client_private.h"
#include "common/tp_error_private.h"
#include "control/tp_control_message.h"
#include "discovery/tp_discovery_client_private.h"

#define TP_DISCOVERY_POLL_FRAGMENTS 16
#define TP_DISCOVERY_RETRY_NS       (UINT64_C(250) * 1000000)  /* find_stream: re-ask this often */
#define TP_DISCOVERY_RESEND_NS      (UINT64_C(1000) * 1000000) /* default resend_interval_ns */

struct tp_discovery_client_stct
{
    tp_client_t *client;
    aeron_publication_t *publication;
    aeron_subscription_t *subscription;
    aeron_fragment_assembler_t *assembler;
    char request_channel[TP_CHANNEL_MAX];
    char response_channel[TP_CHANNEL_MAX];
    uint32_t request_stream_id;
    uint32_t response_stream_id;
    uint32_t client_id;
    uint64_t resend_interval_ns;
    uint64_t sent_ns;  /* when the request was last offered */
    uint64_t sequence; /* mixed into request ids */
    uint8_t request[TP_DISCOVERY_REQUEST_MAX];
    size_t request_length;
    bool request_unsent; /* no provider connected yet: offered again from poll */
    tp_discovery_collector_t collector;
};

void tp_discovery_client_config_init(tp_discovery_client_config_t *config)
{
    memset(config, 0, sizeof(*config));
}

void tp_discovery_filter_init(tp_discovery_filter_t *filter)
{
    memset(filter, 0, sizeof(*filter));
    filter->stream_id = TP_DISCOVERY_ANY_ID;
    filter->producer_id = TP_DISCOVERY_ANY_ID;
    filter->data_source_id = TP_DISCOVERY_ANY_SOURCE_ID;
}

static void tp_discovery_client_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_discovery_client_t *dc = clientd;
    (void)tp_discovery_collector_on_message(&dc->collector, buffer, length);
}

static int tp_discovery_copy_channel(char *dst, const char *channel, const char *what)
{
    size_t length = strlen(channel);
    if (!tp_control_channel_is_valid(channel, length))
    {
        TP_SET_ERR(EINVAL, "%s must be an Aeron channel URI shorter than %d bytes, got '%s'", what, TP_CHANNEL_MAX,
                   channel);
        return -1;
    }
    memcpy(dst, channel, length + 1);
    return 0;
}

int tp_discovery_client_start(tp_discovery_client_t **dc, tp_client_t *client,
                              const tp_discovery_client_config_t *config)
{
    if (NULL == dc || NULL == client || NULL == config)
    {
        TP_SET_ERR(EINVAL, "dc, client and config must not be NULL");
        return -1;
    }
    *dc = NULL;
    tp_discovery_client_t *d = calloc(1, sizeof(*d));
    if (NULL == d)
    {
        TP_SET_ERR(ENOMEM, "discovery client allocation of %zu bytes failed", sizeof(*d));
        return -1;
    }
    d->client = client;
    const char *request_channel = NULL != config->request_channel ? config->request_channel : client->ctx.channel;
    const char *response_channel = NULL != config->response_channel ? config->response_channel : request_channel;
    d->request_stream_id = 0 != config->request_stream_id ? config->request_stream_id : client->ctx.control_stream_id;
    d->response_stream_id = 0 != config->response_stream_id
                                ? config->response_stream_id
                                : TP_DISCOVERY_DEFAULT_RESPONSE_STREAM_BASE + (uint32_t)getpid() % 10000;
    d->client_id = 0 != config->client_id ? config->client_id : (uint32_t)getpid();
    d->resend_interval_ns = 0 != config->resend_interval_ns ? config->resend_interval_ns : TP_DISCOVERY_RESEND_NS;
    if (tp_discovery_copy_channel(d->request_channel, request_channel, "request_channel") < 0 ||
        tp_discovery_copy_channel(d->response_channel, response_channel, "response_channel") < 0)
    {
        free(d);
        return -1;
    }
    if (aeron_fragment_assembler_create(&d->assembler, tp_discovery_client_on_fragment, d) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "discovery fragment assembler: %s", aeron_errmsg());
        free(d);
        return -1;
    }
    aeron_async_add_publication_t *async_pub = NULL;
    aeron_async_add_subscription_t *async_sub = NULL;
    char untethered[TP_CHANNEL_MAX];
    if (tp_aeron_channel_untethered(d->response_channel, untethered, sizeof(untethered)) < 0)
    {
        tp_discovery_client_close(d);
        return -1;
    }
    if (aeron_async_add_publication(&async_pub, client->aeron, d->request_channel, (int32_t)d->request_stream_id) < 0 ||
        aeron_async_add_subscription(&async_sub, client->aeron, untethered, (int32_t)d->response_stream_id, NULL, NULL,
                                     NULL, NULL) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "adding discovery streams %s %u / %s %u: %s", d->request_channel, d->request_stream_id,
                   d->response_channel, d->response_stream_id, aeron_errmsg());
        tp_discovery_client_close(d);
        return -1;
    }
    uint64_t deadline = tp_client_now_ns(client) + client->ctx.start_timeout_ms * UINT64_C(1000000);
    while (NULL == d->publication || NULL == d->subscription)
    {
        if ((NULL == d->publication && aeron_async_add_publication_poll(&d->publication, async_pub) < 0) ||
            (NULL == d->subscription && aeron_async_add_subscription_poll(&d->subscription, async_sub) < 0))
        {
            TP_SET_ERR(TP_ERR_AERON, "the media driver refused a discovery stream (%s %u / %s %u): %s",
                       d->request_channel, d->request_stream_id, d->response_channel, d->response_stream_id,
                       aeron_errmsg());
            tp_discovery_client_close(d);
            return -1;
        }
        if (tp_client_now_ns(client) > deadline)
        {
            TP_SET_ERR(TP_ERR_TIMEOUT, "discovery streams not added within %llu ms (Aeron dir %s)",
                       (unsigned long long)client->ctx.start_timeout_ms, client->ctx.aeron_dir);
            tp_discovery_client_close(d);
            return -1;
        }
        tp_client_wait_step(client, 0);
    }
    *dc = d;
    return 0;
}

int tp_discovery_client_close(tp_discovery_client_t *dc)
{
    if (NULL == dc)
    {
        return 0;
    }
    if (NULL != dc->publication)
    {
        aeron_publication_close(dc->publication, NULL, NULL);
    }
    if (NULL != dc->subscription)
    {
        aeron_subscription_close(dc->subscription, NULL, NULL);
    }
    if (NULL != dc->assembler)
    {
        aeron_fragment_assembler_delete(dc->assembler);
    }
    tp_discovery_collector_close(&dc->collector);
    free(dc);
    return 0;
}

/* Unique enough across processes and queries: time, pid and a sequence through a splitmix64 finaliser. */
static uint64_t tp_discovery_next_request_id(tp_discovery_client_t *dc)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40) ^
                 (++dc->sequence * UINT64_C(0x9e3779b97f4a7c15));
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* 1 offered, 0 not yet (no provider connected, back pressure), -1 failed for good. */
static int tp_discovery_offer_request(tp_discovery_client_t *dc)
{
    int64_t result = aeron_publication_offer(dc->publication, dc->request, dc->request_length, NULL, NULL);
    if (result > 0)
    {
        dc->request_unsent = false;
        dc->sent_ns = tp_client_now_ns(dc->client);
        dc->collector.counters.requests_sent++;
        return 1;
    }
    if (AERON_PUBLICATION_NOT_CONNECTED == result || AERON_PUBLICATION_BACK_PRESSURED == result ||
        AERON_PUBLICATION_ADMIN_ACTION == result)
    {
        return 0;
    }
    TP_SET_ERR(TP_ERR_AERON, "offering a DiscoveryRequest of %zu bytes on %s %u failed (%lld): %s", dc->request_length,
               dc->request_channel, dc->request_stream_id, (long long)result, aeron_errmsg());
    return -1;
}

int tp_discovery_query_start(tp_discovery_client_t *dc, const tp_discovery_filter_t *filter)
{
    tp_discovery_filter_t any;
    if (NULL == filter)
    {
        tp_discovery_filter_init(&any);
        filter = &any;
    }
    uint64_t request_id = tp_discovery_next_request_id(dc);
    size_t length = tp_discovery_request_encode(filter, request_id, dc->client_id, dc->response_channel,
                                                dc->response_stream_id, dc->request, sizeof(dc->request));
    if (0 == length)
    {
        return -1;
    }
    dc->request_length = length;
    tp_discovery_collector_reset(&dc->collector, request_id);
    dc->request_unsent = true;
    return tp_discovery_offer_request(dc) < 0 ? -1 : 0;
}

int tp_discovery_query_poll(tp_discovery_client_t *dc)
{
    int work = 0;
    bool resend =
        UINT64_MAX != dc->resend_interval_ns && tp_client_now_ns(dc->client) - dc->sent_ns >= dc->resend_interval_ns;
    if ((dc->request_unsent || resend) && TP_DISCOVERY_QUERY_PENDING == dc->collector.state)
    {
        int rc = tp_discovery_offer_request(dc);
        if (rc < 0)
        {
            return -1;
        }
        work += rc;
    }
    int fragments = aeron_subscription_poll(dc->subscription, aeron_fragment_assembler_handler, dc->assembler,
                                            TP_DISCOVERY_POLL_FRAGMENTS);
    if (fragments < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "polling the discovery response subscription: %s", aeron_errmsg());
        return -1;
    }
    return work + fragments;
}

tp_discovery_query_state_t tp_discovery_query_state(const tp_discovery_client_t *dc)
{
    return dc->collector.state;
}

uint64_t tp_discovery_query_request_id(const tp_discovery_client_t *dc)
{
    return dc->collector.request_id;
}

tp_discovery_status_t tp_discovery_query_status(const tp_discovery_client_t *dc)
{
    return dc->collector.status;
}

const char *tp_discovery_query_error_message(const tp_discovery_client_t *dc)
{
    return dc->collector.error_message;
}

size_t tp_discovery_query_result_count(const tp_discovery_client_t *dc)
{
    return dc->collector.count;
}

const tp_discovery_result_t *tp_discovery_query_result(const tp_discovery_client_t *dc, size_t index)
{
    return index < dc->collector.count ? &dc->collector.results[index] : NULL;
}

const tp_discovery_client_counters_t *tp_discovery_client_counters(const tp_discovery_client_t *dc)
{
    return &dc->collector.counters;
}

int tp_discovery_find_stream(tp_discovery_client_t *dc, const char *name, const char *const *tags, size_t tag_count,
                             uint64_t timeout_ns, tp_discovery_result_t *result)
{
    if (NULL == result || ((NULL == name || '\0' == name[0]) && 0 == tag_count))
    {
        TP_SET_ERR(EINVAL, "find_stream needs a result and a name or at least one tag");
        return -1;
    }
    tp_discovery_filter_t filter;
    tp_discovery_filter_init(&filter);
    filter.name = name;
    filter.tags = tags;
    filter.tag_count = tag_count;
    tp_client_t *client = dc->client;
    const uint64_t start_ns = tp_client_now_ns(client);
    uint64_t asked_ns = start_ns;
    if (tp_discovery_query_start(dc, &filter) < 0)
    {
        return -1;
    }
    tp_discovery_status_t last = TP_DISCOVERY_STATUS_NONE;
    for (;;)
    {
        int work = tp_discovery_query_poll(dc);
        if (work < 0)
        {
            return -1;
        }
        if (TP_DISCOVERY_QUERY_DONE == dc->collector.state)
        {
            last = dc->collector.status;
            if (TP_DISCOVERY_STATUS_OK == last && dc->collector.count > 0)
            {
                const tp_discovery_result_t *best = &dc->collector.results[0];
                for (size_t i = 1; i < dc->collector.count; i++)
                {
                    if (dc->collector.results[i].epoch > best->epoch)
                    {
                        best = &dc->collector.results[i];
                    }
                }
                *result = *best;
                return 0;
            }
            if (TP_DISCOVERY_STATUS_ERROR == last)
            {
                TP_SET_ERR(TP_ERR_GENERIC, "the discovery provider answered ERROR: %s", dc->collector.error_message);
                return -1;
            }
        }
        uint64_t now_ns = tp_client_now_ns(client);
        if (now_ns - start_ns >= timeout_ns)
        {
            TP_SET_ERR(TP_ERR_TIMEOUT,
                       "no stream named '%s' with the %zu tag(s) given found through %s stream %u within %llu ms (%s)",
                       NULL == name ? "" : name, tag_count, dc->request_channel, dc->request_stream_id,
                       (unsigned long long)(timeout_ns / 1000000),
                       TP_DISCOVERY_STATUS_NONE == last ? "no provider answered" : "the provider found none");
            return -1;
        }
        /* Not indexed yet, or no provider connected: ask again with a fresh request id. */
        if (now_ns - asked_ns >= TP_DISCOVERY_RETRY_NS)
        {
            asked_ns = now_ns;
            if (tp_discovery_query_start(dc, &filter) < 0)
            {
                return -1;
            }
        }
        int client_work = tp_client_do_work(client);
        tp_client_idle(client, work + (client_work > 0 ? client_work : 0));
    }
}

/*
 * The driver's control channel without its term-length: that parameter sizes the driver's own log, and a client
 * that copied it would name it on every publication it adds (QoS, metadata, descriptors), which Aeron refuses
 * (code 11) where another client already publishes the same IPC stream with the client defaults. Without it the
 * client sizes its publications as usual and its control publication joins the driver's log whatever its length.
 */
void tp_discovery_driver_channel(const tp_discovery_result_t *result, char *out, size_t capacity)
{
    const char *channel = result->driver_control_channel;
    if (0 == capacity)
    {
        return;
    }
    const char *query = strchr(channel, '?');
    if (NULL == query)
    {
        snprintf(out, capacity, "%s", channel);
        return;
    }
    size_t used = (size_t)(query - channel);
    if (used >= capacity)
    {
        used = capacity - 1;
    }
    memcpy(out, channel, used);
    out[used] = '\0';
    char separator = '?';
    const char *param = query + 1;
    while ('\0' != *param)
    {
        const char *end = strchr(param, '|');
        const size_t len = NULL != end ? (size_t)(end - param) : strlen(param);
        if (len > 0 && 0 != strncmp(param, "term-length=", 12) && used + 1 + len < capacity)
        {
            out[used++] = separator;
            memcpy(out + used, param, len);
            used += len;
            out[used] = '\0';
            separator = '|';
        }
        param += len + (NULL != end ? 1 : 0);
    }
}

int tp_discovery_context_apply(tp_context_t *ctx, const tp_discovery_result_t *result)
{
    if (NULL == ctx || NULL == result)
    {
        TP_SET_ERR(EINVAL, "ctx and result must not be NULL");
        return -1;
    }
    if ('\0' == result->driver_control_channel[0] || 0 == result->driver_control_stream_id)
    {
        TP_SET_ERR(EINVAL, "result of stream %u names no driver (channel '%s', control stream %u)", result->stream_id,
                   result->driver_control_channel, result->driver_control_stream_id);
        return -1;
    }
    char channel[sizeof(result->driver_control_channel)];
    tp_discovery_driver_channel(result, channel, sizeof(channel));
    if (tp_context_set_channel(ctx, channel) < 0 ||
        tp_context_set_control_stream_id(ctx, result->driver_control_stream_id) < 0 ||
        tp_context_set_shm_driver(ctx, true) < 0)
    {
        TP_APPEND_ERR("applying the discovery result of stream %u", result->stream_id);
        return -1;
    }
    return 0;
}
