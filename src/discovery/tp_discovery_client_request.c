/* DiscoveryRequest encoding for the discovery client (spec §5.1): null sentinels for absent filters. */
#include <errno.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "discovery/tp_discovery_client_private.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/messageHeader.h"

#define TP_DISCOVERY_REQUEST_HEADER_LENGTH 8

static int tp_discovery_check_filter(const tp_discovery_filter_t *filter)
{
    if (filter->tag_count > TP_DISCOVERY_FILTER_TAGS_MAX || (filter->tag_count > 0 && NULL == filter->tags))
    {
        TP_SET_ERR(EINVAL, "filter tags: at most %d, and not NULL when counted; got %zu", TP_DISCOVERY_FILTER_TAGS_MAX,
                   filter->tag_count);
        return -1;
    }
    size_t name_length = NULL == filter->name ? 0 : strlen(filter->name);
    if (name_length > TP_DISCOVERY_RESULT_NAME_MAX)
    {
        TP_SET_ERR(EINVAL, "filter name must be at most %d bytes, got %zu", TP_DISCOVERY_RESULT_NAME_MAX, name_length);
        return -1;
    }
    for (size_t i = 0; i < filter->tag_count; i++)
    {
        size_t length = NULL == filter->tags[i] ? 0 : strlen(filter->tags[i]);
        if (0 == length || length > TP_DISCOVERY_RESULT_TAG_MAX)
        {
            TP_SET_ERR(EINVAL, "filter tag %zu must be 1..%d bytes, got %zu", i, TP_DISCOVERY_RESULT_TAG_MAX, length);
            return -1;
        }
    }
    return 0;
}

size_t tp_discovery_request_encode(const tp_discovery_filter_t *filter, uint64_t request_id, uint32_t client_id,
                                   const char *response_channel, uint32_t response_stream_id, uint8_t *buffer,
                                   size_t capacity)
{
    if (tp_discovery_check_filter(filter) < 0)
    {
        return 0;
    }
    struct shm_tensorpool_discovery_messageHeader hdr;
    struct shm_tensorpool_discovery_discoveryRequest msg;
    struct shm_tensorpool_discovery_discoveryRequest_tags tags;
    if (NULL ==
        shm_tensorpool_discovery_discoveryRequest_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr))
    {
        TP_SET_ERR(EINVAL, "request buffer of %zu bytes too small", capacity);
        return 0;
    }
    shm_tensorpool_discovery_discoveryRequest_set_requestId(&msg, request_id);
    shm_tensorpool_discovery_discoveryRequest_set_clientId(&msg, client_id);
    shm_tensorpool_discovery_discoveryRequest_set_responseStreamId(&msg, response_stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_streamId(&msg, filter->stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_producerId(&msg, filter->producer_id);
    shm_tensorpool_discovery_discoveryRequest_set_dataSourceId(&msg, filter->data_source_id);
    bool ok =
        NULL != shm_tensorpool_discovery_discoveryRequest_tags_set_count(&msg, &tags, (uint16_t)filter->tag_count);
    for (size_t i = 0; ok && i < filter->tag_count; i++)
    {
        ok = NULL != shm_tensorpool_discovery_discoveryRequest_tags_next(&tags) &&
             NULL != shm_tensorpool_discovery_discoveryRequest_tags_put_tag(&tags, filter->tags[i],
                                                                            (uint32_t)strlen(filter->tags[i]));
    }
    const char *name = NULL == filter->name ? "" : filter->name;
    ok = ok &&
         NULL != shm_tensorpool_discovery_discoveryRequest_put_responseChannel(&msg, response_channel,
                                                                               (uint32_t)strlen(response_channel)) &&
         NULL != shm_tensorpool_discovery_discoveryRequest_put_dataSourceName(&msg, name, (uint32_t)strlen(name));
    if (!ok)
    {
        TP_SET_ERR(EINVAL, "the request does not fit %zu bytes", capacity);
        return 0;
    }
    return TP_DISCOVERY_REQUEST_HEADER_LENGTH + shm_tensorpool_discovery_discoveryRequest_encoded_length(&msg);
}
