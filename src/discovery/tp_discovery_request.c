/*
 * DiscoveryRequest handling (spec §5.1): decode and validate the whole request, check the response endpoint,
 * match the index with AND filters, and answer OK / NOT_FOUND / ERROR on the requester's endpoint only (§4.3).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "discovery/tp_discovery_provider_private.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/discoveryStatus.h"

typedef struct tp_discovery_tag_view_stct
{
    const char *data;
    size_t length;
} tp_discovery_tag_view_t;

typedef struct tp_discovery_filter_stct
{
    uint32_t stream_id;      /* UINT32_MAX = any */
    uint32_t producer_id;    /* UINT32_MAX = any */
    uint64_t data_source_id; /* UINT64_MAX = any */
    const char *name;        /* length 0 = any */
    size_t name_length;
    size_t tag_count; /* distinct tags */
    tp_discovery_tag_view_t tags[TP_DISCOVERY_REQUEST_TAGS_MAX];
    bool too_many_tags;
} tp_discovery_filter_t;

static bool tp_discovery_filter_is_empty(const tp_discovery_filter_t *f)
{
    return UINT32_MAX == f->stream_id && UINT32_MAX == f->producer_id && UINT64_MAX == f->data_source_id &&
           0 == f->name_length && 0 == f->tag_count;
}

static bool tp_discovery_matches(const tp_discovery_entry_t *e, const tp_discovery_filter_t *f)
{
    if ((UINT32_MAX != f->stream_id && e->stream_id != f->stream_id) ||
        (UINT32_MAX != f->producer_id && e->producer_id != f->producer_id) ||
        (UINT64_MAX != f->data_source_id && e->data_source_id != f->data_source_id))
    {
        return false;
    }
    /* Case-sensitive, byte-for-byte (§5.1). */
    if (0 != f->name_length && (e->name_length != f->name_length || 0 != memcmp(e->name, f->name, f->name_length)))
    {
        return false;
    }
    for (size_t t = 0; t < f->tag_count; t++)
    {
        bool found = false;
        for (uint32_t i = 0; i < e->tag_count && !found; i++)
        {
            found =
                e->tag_lengths[i] == f->tags[t].length && 0 == memcmp(e->tags[i], f->tags[t].data, f->tags[t].length);
        }
        if (!found)
        {
            return false;
        }
    }
    return true;
}

/* Collect the request's tags, duplicates collapsed (§5.1). Returns false when the group is malformed. */
static bool tp_discovery_read_tags(struct shm_tensorpool_discovery_discoveryRequest *msg, tp_discovery_filter_t *f)
{
    struct shm_tensorpool_discovery_discoveryRequest_tags group;
    if (NULL == shm_tensorpool_discovery_discoveryRequest_get_tags(msg, &group))
    {
        return false;
    }
    uint64_t count = shm_tensorpool_discovery_discoveryRequest_tags_count(&group);
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_discovery_discoveryRequest_tags_next(&group))
        {
            return false;
        }
        struct shm_tensorpool_discovery_discoveryRequest_string_view tag =
            shm_tensorpool_discovery_discoveryRequest_tags_get_tag_as_string_view(&group);
        if (NULL == tag.data)
        {
            return false;
        }
        bool duplicate = false;
        for (size_t k = 0; k < f->tag_count && !duplicate; k++)
        {
            duplicate = f->tags[k].length == tag.length && 0 == memcmp(f->tags[k].data, tag.data, tag.length);
        }
        if (duplicate)
        {
            continue;
        }
        if (f->tag_count >= TP_DISCOVERY_REQUEST_TAGS_MAX)
        {
            f->too_many_tags = true; /* keep walking: the response channel comes after the group */
            continue;
        }
        /* An empty tag is a tag no stream carries: it stays a filter, so the request matches nothing. */
        f->tags[f->tag_count].data = tag.data;
        f->tags[f->tag_count].length = tag.length;
        f->tag_count++;
    }
    return true;
}

static int tp_discovery_answer_error(tp_discovery_provider_t *provider, const tp_sink_target_t *target,
                                     uint64_t request_id, const char *text)
{
    (void)tp_discovery_send_response(provider, target, request_id, shm_tensorpool_discovery_discoveryStatus_ERROR, NULL,
                                     0, text);
    return 0;
}

int tp_discovery_on_request(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                            const tp_control_header_t *hdr)
{
    struct shm_tensorpool_discovery_discoveryRequest msg;
    if (NULL == shm_tensorpool_discovery_discoveryRequest_wrap_for_decode(
                    &msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH, hdr->block_length, hdr->version, length) ||
        !shm_tensorpool_discovery_discoveryRequest_sbe_validate(&msg))
    {
        /* The response channel sits after the data that failed to decode: nowhere to answer (§5.1). */
        return -1;
    }
    shm_tensorpool_discovery_discoveryRequest_sbe_rewind(&msg);
    tp_discovery_filter_t f;
    uint64_t request_id = shm_tensorpool_discovery_discoveryRequest_requestId(&msg);
    uint32_t response_stream_id = shm_tensorpool_discovery_discoveryRequest_responseStreamId(&msg);
    f.stream_id = shm_tensorpool_discovery_discoveryRequest_streamId(&msg);
    f.producer_id = shm_tensorpool_discovery_discoveryRequest_producerId(&msg);
    f.data_source_id = shm_tensorpool_discovery_discoveryRequest_dataSourceId(&msg);
    f.tag_count = 0;
    f.too_many_tags = false;
    if (!tp_discovery_read_tags(&msg, &f))
    {
        return -1;
    }
    struct shm_tensorpool_discovery_discoveryRequest_string_view channel =
        shm_tensorpool_discovery_discoveryRequest_get_responseChannel_as_string_view(&msg);
    struct shm_tensorpool_discovery_discoveryRequest_string_view name =
        shm_tensorpool_discovery_discoveryRequest_get_dataSourceName_as_string_view(&msg);
    if (NULL == channel.data || NULL == name.data)
    {
        return -1;
    }
    f.name = name.data;
    f.name_length = name.length;
    provider->counters.requests++;

    /*
     * §5.1: empty response channel: drop silently. A channel we cannot hand to a transport (not an Aeron URI,
     * control bytes, too long) is dropped too: answering anywhere else would break §4.3.
     */
    if (!tp_control_channel_is_valid(channel.data, channel.length) ||
        !tp_control_copy_string(provider->response_channel, sizeof(provider->response_channel), channel.data,
                                channel.length))
    {
        provider->counters.requests_dropped++;
        return 0;
    }
    tp_sink_target_t target = {TP_STREAM_CONTROL, response_stream_id, provider->response_channel, 0};
    if (0 == response_stream_id)
    {
        /* §5.1: rejected; with a non-empty channel the spec asks for ERROR on the endpoint as given. */
        return tp_discovery_answer_error(provider, &target, request_id,
                                         "response_stream_id must be non-zero (discovery spec 5.1), got 0");
    }
    if (f.too_many_tags)
    {
        char text[128];
        snprintf(text, sizeof(text), "request has more than %d distinct tags", TP_DISCOVERY_REQUEST_TAGS_MAX);
        return tp_discovery_answer_error(provider, &target, request_id, text);
    }

    uint64_t now_ns = tp_discovery_now_ns(provider);
    size_t match_count = 0;
    size_t over_cap = 0;
    for (uint32_t i = 0; i < provider->ctx.max_entries; i++)
    {
        if (!provider->keys[i].live)
        {
            continue;
        }
        const tp_discovery_entry_t *e = &provider->entries[i];
        if (!tp_discovery_entry_is_live(provider, e, now_ns) || !tp_discovery_matches(e, &f))
        {
            continue;
        }
        if (match_count < provider->ctx.max_results)
        {
            provider->matches[match_count++] = i;
        }
        else
        {
            over_cap++;
        }
    }
    if (over_cap > 0)
    {
        char text[160];
        snprintf(text, sizeof(text), "%zu streams match, more than the cap of %" PRIu32 " results; narrow the filters",
                 match_count + over_cap, provider->ctx.max_results);
        return tp_discovery_answer_error(provider, &target, request_id, text);
    }
    /* OK with zero results: an unfiltered listing of an empty index succeeded. NOT_FOUND: filters matched nothing. */
    uint8_t status = (0 == match_count && !tp_discovery_filter_is_empty(&f))
                         ? shm_tensorpool_discovery_discoveryStatus_NOT_FOUND
                         : shm_tensorpool_discovery_discoveryStatus_OK;
    (void)tp_discovery_send_response(provider, &target, request_id, status, provider->matches, match_count, NULL);
    return 0; /* the request was well-formed whatever the sink did with the answer */
}
