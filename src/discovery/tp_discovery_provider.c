/* Discovery provider lifecycle, message dispatch by schema and template (§4.2), and the expiry timer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "discovery/tp_discovery_provider_private.h"

void tp_discovery_provider_context_init(tp_discovery_provider_context_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->announce_period_ns = 1000000000ULL;
    ctx->max_entries = 1024;
    ctx->max_results = TP_DISCOVERY_MAX_RESULTS;
}

uint64_t tp_discovery_now_ns(const tp_discovery_provider_t *provider)
{
    return NULL != provider->ctx.clock ? provider->ctx.clock(provider->ctx.clock_clientd) : tp_clock_monotonic_ns();
}

static int tp_discovery_copy_field(char *dst, size_t capacity, const char *value, const char *field)
{
    size_t len = NULL == value ? 0 : strlen(value);
    if (0 == len || len >= capacity)
    {
        TP_SET_ERR(EINVAL, "%s must be 1..%zu bytes, got %zu", field, capacity - 1, len);
        return -1;
    }
    memcpy(dst, value, len + 1);
    return 0;
}

int tp_discovery_provider_init(tp_discovery_provider_t **provider, const tp_discovery_provider_context_t *ctx)
{
    if (NULL == provider || NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "provider and ctx must not be NULL");
        return -1;
    }
    *provider = NULL;
    uint32_t max_results = 0 == ctx->max_results ? TP_DISCOVERY_MAX_RESULTS : ctx->max_results;
    if (0 == ctx->driver_control_stream_id)
    {
        TP_SET_ERR(EINVAL, "driver_control_stream_id must be non-zero (spec 5.2), got 0");
        return -1;
    }
    if (0 == ctx->announce_period_ns || ctx->announce_period_ns > UINT64_MAX / TP_DISCOVERY_ANNOUNCE_PERIODS)
    {
        TP_SET_ERR(EINVAL, "announce_period_ns must be non-zero and below overflow, got %llu",
                   (unsigned long long)ctx->announce_period_ns);
        return -1;
    }
    if (0 == ctx->max_entries || ctx->max_entries > (1U << 20))
    {
        TP_SET_ERR(EINVAL, "max_entries must be 1..%u, got %u", 1U << 20, ctx->max_entries);
        return -1;
    }
    if (max_results > UINT16_MAX)
    {
        TP_SET_ERR(EINVAL, "max_results must be at most %u (results.numInGroup is u16), got %u", UINT16_MAX,
                   max_results);
        return -1;
    }
    if (NULL == ctx->sink.offer)
    {
        TP_SET_ERR(EINVAL, "sink.offer must not be NULL");
        return -1;
    }
    tp_discovery_provider_t *p = calloc(1, sizeof(*p));
    if (NULL == p)
    {
        TP_SET_ERR(ENOMEM, "provider allocation of %zu bytes failed", sizeof(*p));
        return -1;
    }
    p->ctx = *ctx;
    p->ctx.max_results = max_results;
    p->authority_capacity = 0 == ctx->max_drivers ? 1 : ctx->max_drivers;
    p->authorities = calloc(p->authority_capacity, sizeof(*p->authorities));
    if (NULL == p->authorities)
    {
        TP_SET_ERR(ENOMEM, "%u driver identities: allocation failed", p->authority_capacity);
        free(p);
        return -1;
    }
    tp_discovery_authority_t *self = &p->authorities[0];
    if (0 != tp_discovery_copy_field(self->instance_id, sizeof(self->instance_id), ctx->driver_instance_id,
                                     "driver_instance_id") ||
        0 != tp_discovery_copy_field(self->control_channel, sizeof(self->control_channel), ctx->driver_control_channel,
                                     "driver_control_channel"))
    {
        free(p->authorities);
        free(p);
        return -1;
    }
    self->control_stream_id = ctx->driver_control_stream_id;
    p->authority_count = 1;
    p->ctx.driver_instance_id = self->instance_id;
    p->ctx.driver_control_channel = self->control_channel;
    p->expiry_ns = TP_DISCOVERY_ANNOUNCE_PERIODS * ctx->announce_period_ns;
    p->next_expiry_ns = UINT64_MAX;
    p->entries = calloc(ctx->max_entries, sizeof(*p->entries));
    p->matches = calloc(ctx->max_entries, sizeof(*p->matches));
    p->keys = calloc(ctx->max_entries, sizeof(*p->keys));
    uint32_t worst_results = max_results < ctx->max_entries ? max_results : ctx->max_entries;
    p->response_capacity = tp_discovery_response_capacity(worst_results);
    p->response = calloc(1, p->response_capacity);
    if (NULL == p->entries || NULL == p->matches || NULL == p->keys || NULL == p->response)
    {
        TP_SET_ERR(ENOMEM, "index of %u entries / response buffer of %zu bytes: allocation failed", ctx->max_entries,
                   p->response_capacity);
        tp_discovery_provider_close(p);
        return -1;
    }
    *provider = p;
    return 0;
}

int tp_discovery_provider_close(tp_discovery_provider_t *provider)
{
    if (NULL != provider)
    {
        free(provider->entries);
        free(provider->matches);
        free(provider->keys);
        free(provider->authorities);
        free(provider->response);
        free(provider);
    }
    return 0;
}

static int tp_discovery_on_control(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                   const tp_control_header_t *hdr)
{
    switch (hdr->template_id)
    {
        case TP_DISCOVERY_TEMPLATE_POOL_ANNOUNCE:
            return tp_discovery_on_pool_announce(provider, buffer, length, hdr);
        case TP_DISCOVERY_TEMPLATE_SOURCE_ANNOUNCE:
            return tp_discovery_on_source_announce(provider, buffer, length, hdr);
        case TP_DISCOVERY_TEMPLATE_SOURCE_META:
            return tp_discovery_on_source_meta(provider, buffer, length, hdr);
        default:
            /* ConsumerHello, FrameDescriptor, QoS...: share the stream, not ours. */
            provider->counters.unknown_templates++;
            return 0;
    }
}

int tp_discovery_provider_on_message(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length)
{
    tp_control_header_t hdr;
    tp_control_peek_result_t peek = tp_control_peek(buffer, length, &hdr);
    if (TP_CONTROL_PEEK_SHORT == peek)
    {
        provider->counters.malformed_messages++;
        return -1;
    }
    int rc = 0;
    if (TP_CONTROL_PEEK_OK == peek)
    {
        rc = tp_discovery_on_control(provider, buffer, length, &hdr);
    }
    else if (TP_DISCOVERY_SCHEMA_ID == hdr.schema_id)
    {
        if (TP_DISCOVERY_TEMPLATE_REQUEST != hdr.template_id)
        {
            /* DiscoveryResponse of another provider on a shared stream, or a future template. */
            provider->counters.unknown_templates++;
            return 0;
        }
        /* §10: a version we do not speak cannot be trusted to say where its response channel is: drop. */
        if (TP_DISCOVERY_SCHEMA_VERSION != hdr.version)
        {
            provider->counters.unsupported_versions++;
            return 0;
        }
        rc = tp_discovery_on_request(provider, buffer, length, &hdr);
    }
    else
    {
        provider->counters.foreign_messages++;
        return 0;
    }
    if (rc < 0)
    {
        provider->counters.malformed_messages++;
    }
    return rc < 0 ? -1 : 0;
}

int tp_discovery_provider_add_driver(tp_discovery_provider_t *provider, const char *instance_id,
                                     const char *control_channel, uint32_t control_stream_id)
{
    if (provider->authority_count == provider->authority_capacity)
    {
        TP_SET_ERR(EINVAL, "max_drivers (%u) reached", provider->authority_capacity);
        return -1;
    }
    if (0 == control_stream_id)
    {
        TP_SET_ERR(EINVAL, "driver '%s': control stream id must be non-zero (spec 5.2), got 0",
                   NULL == instance_id ? "" : instance_id);
        return -1;
    }
    tp_discovery_authority_t *a = &provider->authorities[provider->authority_count];
    if (0 != tp_discovery_copy_field(a->instance_id, sizeof(a->instance_id), instance_id, "driver instance id") ||
        0 != tp_discovery_copy_field(a->control_channel, sizeof(a->control_channel), control_channel,
                                     "driver control channel"))
    {
        return -1;
    }
    for (uint32_t i = 0; i < provider->authority_count; i++)
    {
        /* §6.1 keys entries by instance id: two drivers with one id would share (and fight over) entries. */
        if (0 == strcmp(provider->authorities[i].instance_id, instance_id))
        {
            TP_SET_ERR(EINVAL, "driver instance id '%s' given twice", instance_id);
            return -1;
        }
    }
    a->control_stream_id = control_stream_id;
    return (int)provider->authority_count++;
}

int tp_discovery_provider_on_driver_message(tp_discovery_provider_t *provider, uint32_t driver, const uint8_t *buffer,
                                            size_t length)
{
    if (driver >= provider->authority_count)
    {
        provider->counters.foreign_messages++;
        return 0;
    }
    provider->current_authority = driver;
    int rc = tp_discovery_provider_on_message(provider, buffer, length);
    provider->current_authority = 0;
    return rc;
}

int tp_discovery_provider_do_work(tp_discovery_provider_t *provider, uint64_t now_ns)
{
    return tp_discovery_index_expire(provider, now_ns);
}

size_t tp_discovery_provider_entry_count(const tp_discovery_provider_t *provider)
{
    return provider->entry_count;
}

const tp_discovery_provider_counters_t *tp_discovery_provider_counters(const tp_discovery_provider_t *provider)
{
    return &provider->counters;
}
