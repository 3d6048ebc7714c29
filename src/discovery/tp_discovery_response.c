/*
 * DiscoveryResponse encoding (spec §5.2) into the provider's response buffer, which init sizes for the largest
 * response the configured cap allows, so a request never allocates.
 */
#include <string.h>

#include "discovery/tp_discovery_provider_private.h"
#include "shm_tensorpool_discovery/discoveryResponse.h"
#include "tensorpool/tp_tensor.h"

#define TP_DISCOVERY_VAR_HEADER   4 /* uint32 length prefix of varAsciiEncoding */
#define TP_DISCOVERY_GROUP_HEADER 4 /* groupSizeEncoding */

size_t tp_discovery_response_capacity(uint32_t max_results)
{
    size_t pool = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_sbe_block_length() +
                  TP_DISCOVERY_VAR_HEADER + TP_DISCOVERY_URI_MAX;
    size_t result = shm_tensorpool_discovery_discoveryResponse_results_sbe_block_length() + TP_DISCOVERY_GROUP_HEADER +
                    TP_DISCOVERY_MAX_POOLS * pool + TP_DISCOVERY_GROUP_HEADER +
                    TP_DISCOVERY_MAX_TAGS * (TP_DISCOVERY_VAR_HEADER + TP_DISCOVERY_TAG_MAX) +
                    4 * TP_DISCOVERY_VAR_HEADER + TP_DISCOVERY_URI_MAX + TP_DISCOVERY_NAME_MAX +
                    TP_DISCOVERY_INSTANCE_ID_MAX + TP_CHANNEL_MAX;
    return TP_CONTROL_HEADER_LENGTH + shm_tensorpool_discovery_discoveryResponse_sbe_block_length() +
           TP_DISCOVERY_GROUP_HEADER + (size_t)max_results * result + TP_DISCOVERY_VAR_HEADER +
           TP_DISCOVERY_ERROR_MESSAGE_MAX;
}

static bool tp_discovery_put_result(const tp_discovery_provider_t *provider,
                                    struct shm_tensorpool_discovery_discoveryResponse_results *r,
                                    const tp_discovery_entry_t *e)
{
    shm_tensorpool_discovery_discoveryResponse_results_set_streamId(r, e->stream_id);
    shm_tensorpool_discovery_discoveryResponse_results_set_producerId(r, e->producer_id);
    shm_tensorpool_discovery_discoveryResponse_results_set_epoch(r, e->epoch);
    shm_tensorpool_discovery_discoveryResponse_results_set_layoutVersion(r, e->layout_version);
    shm_tensorpool_discovery_discoveryResponse_results_set_headerNslots(r, e->header_nslots);
    shm_tensorpool_discovery_discoveryResponse_results_set_headerSlotBytes(r, e->header_slot_bytes);
    shm_tensorpool_discovery_discoveryResponse_results_set_maxDims(r, TP_MAX_DIMS);
    shm_tensorpool_discovery_discoveryResponse_results_set_dataSourceId(r, e->data_source_id);
    const tp_discovery_authority_t *authority = &provider->authorities[e->authority];
    shm_tensorpool_discovery_discoveryResponse_results_set_driverControlStreamId(r, authority->control_stream_id);
    struct shm_tensorpool_discovery_discoveryResponse_results_payloadPools pools;
    if (NULL ==
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_count(r, &pools, (uint16_t)e->pool_count))
    {
        return false;
    }
    for (uint32_t i = 0; i < e->pool_count; i++)
    {
        const tp_discovery_pool_t *p = &e->pools[i];
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_payloadPools_next(&pools))
        {
            return false;
        }
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_poolId(&pools, p->pool_id);
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_poolNslots(&pools, p->pool_nslots);
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_strideBytes(&pools, p->stride_bytes);
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_payloadPools_put_regionUri(&pools, p->uri,
                                                                                                  p->uri_length))
        {
            return false;
        }
    }
    /* The full tag set, not the subset that matched (§5.2). */
    struct shm_tensorpool_discovery_discoveryResponse_results_tags tags;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_results_tags_set_count(r, &tags, (uint16_t)e->tag_count))
    {
        return false;
    }
    for (uint32_t i = 0; i < e->tag_count; i++)
    {
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_tags_next(&tags) ||
            NULL ==
                shm_tensorpool_discovery_discoveryResponse_results_tags_put_tag(&tags, e->tags[i], e->tag_lengths[i]))
        {
            return false;
        }
    }
    const char *instance = authority->instance_id;
    const char *channel = authority->control_channel;
    return NULL != shm_tensorpool_discovery_discoveryResponse_results_put_headerRegionUri(r, e->header_uri,
                                                                                          e->header_uri_length) &&
           NULL != shm_tensorpool_discovery_discoveryResponse_results_put_dataSourceName(r, e->name, e->name_length) &&
           NULL != shm_tensorpool_discovery_discoveryResponse_results_put_driverInstanceId(
                       r, instance, (uint32_t)strlen(instance)) &&
           NULL != shm_tensorpool_discovery_discoveryResponse_results_put_driverControlChannel(
                       r, channel, (uint32_t)strlen(channel));
}

static void tp_discovery_count_status(tp_discovery_provider_t *provider, uint8_t status)
{
    if (shm_tensorpool_discovery_discoveryStatus_OK == status)
    {
        provider->counters.responses_ok++;
    }
    else if (shm_tensorpool_discovery_discoveryStatus_NOT_FOUND == status)
    {
        provider->counters.responses_not_found++;
    }
    else
    {
        provider->counters.responses_error++;
    }
}

static int tp_discovery_encode(tp_discovery_provider_t *provider, uint64_t request_id, uint8_t status,
                               const uint32_t *matches, size_t match_count, const char *error_message,
                               size_t *length_out)
{
    struct shm_tensorpool_discovery_messageHeader hdr;
    struct shm_tensorpool_discovery_discoveryResponse msg;
    struct shm_tensorpool_discovery_discoveryResponse_results results;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_wrap_and_apply_header(&msg, (char *)provider->response, 0,
                                                                                 provider->response_capacity, &hdr))
    {
        return -1;
    }
    /* §5.2: ERROR and NOT_FOUND carry no results. */
    size_t count = shm_tensorpool_discovery_discoveryStatus_OK == status ? match_count : 0;
    shm_tensorpool_discovery_discoveryResponse_set_requestId(&msg, request_id);
    shm_tensorpool_discovery_discoveryResponse_set_status(&msg, (enum shm_tensorpool_discovery_discoveryStatus)status);
    if (NULL == shm_tensorpool_discovery_discoveryResponse_results_set_count(&msg, &results, (uint16_t)count))
    {
        return -1;
    }
    for (size_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_next(&results) ||
            !tp_discovery_put_result(provider, &results, &provider->entries[matches[i]]))
        {
            return -1;
        }
    }
    const char *text = NULL == error_message ? "" : error_message;
    size_t text_length = strlen(text);
    if (text_length > TP_DISCOVERY_ERROR_MESSAGE_MAX)
    {
        text_length = TP_DISCOVERY_ERROR_MESSAGE_MAX;
    }
    if (NULL == shm_tensorpool_discovery_discoveryResponse_put_errorMessage(&msg, text, (uint32_t)text_length))
    {
        return -1;
    }
    *length_out = TP_CONTROL_HEADER_LENGTH + shm_tensorpool_discovery_discoveryResponse_encoded_length(&msg);
    return 0;
}

int tp_discovery_send_response(tp_discovery_provider_t *provider, const tp_sink_target_t *target, uint64_t request_id,
                               uint8_t status, const uint32_t *matches, size_t match_count, const char *error_message)
{
    size_t length = 0;
    if (match_count > provider->ctx.max_results ||
        0 != tp_discovery_encode(provider, request_id, status, matches, match_count, error_message, &length))
    {
        /* Cannot happen with the buffer sized at init; answer rather than leave the client waiting. */
        status = shm_tensorpool_discovery_discoveryStatus_ERROR;
        if (0 != tp_discovery_encode(provider, request_id, status, NULL, 0, "internal error: response did not encode",
                                     &length))
        {
            return -1;
        }
    }
    tp_discovery_count_status(provider, status);
    if (provider->ctx.sink.offer(provider->ctx.sink.clientd, target, provider->response, length) < 0)
    {
        provider->counters.sink_refusals++;
    }
    return 0;
}
