/*
 * The discovery client's response side (spec §5.2, §7), transport-independent: a DiscoveryResponse is validated
 * whole with the generated bounds-checked decoder, then each result is decoded into a scratch result, checked
 * (authority, pool_nslots, our bounds) and merged into the list with de-duplication by
 * (driver_instance_id, stream_id, epoch), newest epoch of a (driver_instance_id, stream_id) winning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "discovery/tp_discovery_client_private.h"
#include "shm_tensorpool_discovery/discoveryResponse.h"
#include "shm_tensorpool_discovery/messageHeader.h"

#define TP_DISCOVERY_CLIENT_SCHEMA_ID         910
#define TP_DISCOVERY_CLIENT_SCHEMA_VERSION    1
#define TP_DISCOVERY_CLIENT_TEMPLATE_RESPONSE 2
#define TP_DISCOVERY_CLIENT_HEADER_LENGTH     8

typedef struct shm_tensorpool_discovery_discoveryResponse_string_view tp_discovery_view_t;

/* Why a decoded result is not handed out. */
typedef enum tp_discovery_verdict_en
{
    TP_DISCOVERY_RESULT_KEEP = 0,
    TP_DISCOVERY_RESULT_BAD_AUTHORITY,
    TP_DISCOVERY_RESULT_MISMATCH,
    TP_DISCOVERY_RESULT_OVER_BOUNDS,
} tp_discovery_verdict_t;

void tp_discovery_collector_reset(tp_discovery_collector_t *collector, uint64_t request_id)
{
    collector->request_id = request_id;
    collector->state = TP_DISCOVERY_QUERY_PENDING;
    collector->status = TP_DISCOVERY_STATUS_NONE;
    collector->error_message[0] = '\0';
    collector->count = 0;
}

void tp_discovery_collector_close(tp_discovery_collector_t *collector)
{
    free(collector->results);
    collector->results = NULL;
    collector->count = 0;
    collector->capacity = 0;
}

/* Copy a view into a NUL-terminated field; false when it does not fit. */
static bool tp_discovery_take(char *dst, size_t capacity, tp_discovery_view_t view)
{
    if (NULL == view.data || view.length >= capacity)
    {
        dst[0] = '\0';
        return false;
    }
    memcpy(dst, view.data, view.length);
    dst[view.length] = '\0';
    return true;
}

static tp_discovery_verdict_t tp_discovery_decode_result(struct shm_tensorpool_discovery_discoveryResponse_results *r,
                                                         tp_discovery_result_t *out)
{
    bool fits = true;
    bool mismatch = false;
    out->stream_id = shm_tensorpool_discovery_discoveryResponse_results_streamId(r);
    out->producer_id = shm_tensorpool_discovery_discoveryResponse_results_producerId(r);
    out->epoch = shm_tensorpool_discovery_discoveryResponse_results_epoch(r);
    out->layout_version = shm_tensorpool_discovery_discoveryResponse_results_layoutVersion(r);
    out->header_nslots = shm_tensorpool_discovery_discoveryResponse_results_headerNslots(r);
    out->header_slot_bytes = shm_tensorpool_discovery_discoveryResponse_results_headerSlotBytes(r);
    out->max_dims = shm_tensorpool_discovery_discoveryResponse_results_maxDims(r);
    out->data_source_id = shm_tensorpool_discovery_discoveryResponse_results_dataSourceId(r);
    out->driver_control_stream_id = shm_tensorpool_discovery_discoveryResponse_results_driverControlStreamId(r);

    /* The message was validated whole: group and var-data accessors below cannot fail on bounds. */
    struct shm_tensorpool_discovery_discoveryResponse_results_payloadPools pools;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_results_get_payloadPools(r, &pools))
    {
        return TP_DISCOVERY_RESULT_OVER_BOUNDS;
    }
    uint64_t pool_count = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_count(&pools);
    out->pool_count = 0;
    for (uint64_t i = 0; i < pool_count; i++)
    {
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_next(&pools);
        tp_discovery_result_pool_t scratch_pool;
        tp_discovery_result_pool_t *p = i < TP_DISCOVERY_RESULT_POOLS_MAX ? &out->pools[i] : &scratch_pool;
        p->pool_id = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_poolId(&pools);
        p->pool_nslots = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_poolNslots(&pools);
        p->stride_bytes = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_strideBytes(&pools);
        fits &= tp_discovery_take(
            p->region_uri, sizeof(p->region_uri),
            shm_tensorpool_discovery_discoveryResponse_results_payloadPools_get_regionUri_as_string_view(&pools));
        /* §5.2: pool_nslots must equal header_nslots in v1.0; anything else is a protocol error. */
        mismatch |= p->pool_nslots != out->header_nslots;
    }
    fits &= pool_count <= TP_DISCOVERY_RESULT_POOLS_MAX;
    out->pool_count = (uint32_t)(pool_count <= TP_DISCOVERY_RESULT_POOLS_MAX ? pool_count : 0);

    struct shm_tensorpool_discovery_discoveryResponse_results_tags tags;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_results_get_tags(r, &tags))
    {
        return TP_DISCOVERY_RESULT_OVER_BOUNDS;
    }
    uint64_t tag_count = shm_tensorpool_discovery_discoveryResponse_results_tags_count(&tags);
    char scratch_tag[TP_DISCOVERY_RESULT_TAG_MAX + 1];
    for (uint64_t i = 0; i < tag_count; i++)
    {
        shm_tensorpool_discovery_discoveryResponse_results_tags_next(&tags);
        char *dst = i < TP_DISCOVERY_RESULT_TAGS_MAX ? out->tags[i] : scratch_tag;
        fits &=
            tp_discovery_take(dst, TP_DISCOVERY_RESULT_TAG_MAX + 1,
                              shm_tensorpool_discovery_discoveryResponse_results_tags_get_tag_as_string_view(&tags));
    }
    fits &= tag_count <= TP_DISCOVERY_RESULT_TAGS_MAX;
    out->tag_count = (uint32_t)(tag_count <= TP_DISCOVERY_RESULT_TAGS_MAX ? tag_count : 0);

    /* Var-data in schema order: header URI, name, instance id, control channel. */
    fits &= tp_discovery_take(out->header_region_uri, sizeof(out->header_region_uri),
                              shm_tensorpool_discovery_discoveryResponse_results_get_headerRegionUri_as_string_view(r));
    tp_discovery_view_t name = shm_tensorpool_discovery_discoveryResponse_results_get_dataSourceName_as_string_view(r);
    fits &= tp_discovery_take(out->data_source_name, sizeof(out->data_source_name), name);
    out->name_length = (uint32_t)name.length;
    tp_discovery_view_t instance =
        shm_tensorpool_discovery_discoveryResponse_results_get_driverInstanceId_as_string_view(r);
    tp_discovery_view_t channel =
        shm_tensorpool_discovery_discoveryResponse_results_get_driverControlChannel_as_string_view(r);
    fits &= tp_discovery_take(out->driver_instance_id, sizeof(out->driver_instance_id), instance);
    fits &= tp_discovery_take(out->driver_control_channel, sizeof(out->driver_control_channel), channel);

    /* §5.2: empty authority strings or a zero control stream make the result invalid. */
    if (0 == instance.length || 0 == channel.length || 0 == out->driver_control_stream_id)
    {
        return TP_DISCOVERY_RESULT_BAD_AUTHORITY;
    }
    if (mismatch)
    {
        return TP_DISCOVERY_RESULT_MISMATCH;
    }
    return fits ? TP_DISCOVERY_RESULT_KEEP : TP_DISCOVERY_RESULT_OVER_BOUNDS;
}

/* §7: one entry per (driver_instance_id, stream_id), the newest epoch; the same epoch twice is a duplicate. */
static int tp_discovery_merge(tp_discovery_collector_t *collector, const tp_discovery_result_t *result)
{
    for (size_t i = 0; i < collector->count; i++)
    {
        tp_discovery_result_t *held = &collector->results[i];
        if (held->stream_id != result->stream_id || 0 != strcmp(held->driver_instance_id, result->driver_instance_id))
        {
            continue;
        }
        if (result->epoch == held->epoch)
        {
            collector->counters.duplicates++;
        }
        else if (result->epoch < held->epoch)
        {
            collector->counters.stale_epochs++;
        }
        else
        {
            collector->counters.stale_epochs++; /* the held one is the stale epoch now */
            *held = *result;
        }
        return 0;
    }
    if (collector->count == collector->capacity)
    {
        size_t capacity = 0 == collector->capacity ? 16 : 2 * collector->capacity;
        tp_discovery_result_t *grown = realloc(collector->results, capacity * sizeof(*grown));
        if (NULL == grown)
        {
            TP_SET_ERR(ENOMEM, "discovery result list of %zu entries: allocation failed", capacity);
            return -1;
        }
        collector->results = grown;
        collector->capacity = capacity;
    }
    collector->results[collector->count++] = *result;
    return 0;
}

static int tp_discovery_apply(tp_discovery_collector_t *collector,
                              struct shm_tensorpool_discovery_discoveryResponse *msg, uint8_t status)
{
    struct shm_tensorpool_discovery_discoveryResponse_results results;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_get_results(msg, &results))
    {
        collector->counters.malformed_responses++;
        return -1;
    }
    uint64_t count = shm_tensorpool_discovery_discoveryResponse_results_count(&results);
    if (TP_DISCOVERY_STATUS_OK != status)
    {
        /* §5.2: NOT_FOUND / ERROR carry no results; any that come are ignored. */
        collector->counters.results_ignored += count;
    }
    for (uint64_t i = 0; i < count; i++)
    {
        shm_tensorpool_discovery_discoveryResponse_results_next(&results);
        if (TP_DISCOVERY_STATUS_OK != status)
        {
            /* Still walked: the error message follows the group. */
            (void)shm_tensorpool_discovery_discoveryResponse_results_sbe_validate_entry(&results);
            continue;
        }
        switch (tp_discovery_decode_result(&results, &collector->scratch))
        {
            case TP_DISCOVERY_RESULT_KEEP:
                if (tp_discovery_merge(collector, &collector->scratch) < 0)
                {
                    return -1;
                }
                break;
            case TP_DISCOVERY_RESULT_BAD_AUTHORITY:
                collector->counters.invalid_authority++;
                break;
            case TP_DISCOVERY_RESULT_MISMATCH:
                collector->counters.protocol_errors++;
                break;
            default:
                collector->counters.results_over_bounds++;
                break;
        }
    }
    tp_discovery_view_t error = shm_tensorpool_discovery_discoveryResponse_get_errorMessage_as_string_view(msg);
    size_t length = error.length < TP_DISCOVERY_CLIENT_ERROR_MAX ? error.length : TP_DISCOVERY_CLIENT_ERROR_MAX;
    /* A second answer (another provider) keeps the first status unless it found something the first did not. */
    if (TP_DISCOVERY_QUERY_DONE != collector->state || TP_DISCOVERY_STATUS_OK == status)
    {
        if (TP_DISCOVERY_QUERY_DONE != collector->state || TP_DISCOVERY_STATUS_OK != collector->status)
        {
            memcpy(collector->error_message, NULL == error.data ? "" : error.data, NULL == error.data ? 0 : length);
            collector->error_message[NULL == error.data ? 0 : length] = '\0';
        }
        collector->status = (tp_discovery_status_t)status;
    }
    collector->state = TP_DISCOVERY_QUERY_DONE;
    collector->counters.responses++;
    return 1;
}

int tp_discovery_collector_on_message(tp_discovery_collector_t *collector, const uint8_t *buffer, size_t length)
{
    struct shm_tensorpool_discovery_messageHeader hdr;
    char *data = (char *)(uintptr_t)buffer;
    if (length < TP_DISCOVERY_CLIENT_HEADER_LENGTH ||
        NULL == shm_tensorpool_discovery_messageHeader_wrap(&hdr, data, 0, 0, length))
    {
        collector->counters.malformed_responses++;
        return -1;
    }
    if (TP_DISCOVERY_CLIENT_SCHEMA_ID != shm_tensorpool_discovery_messageHeader_schemaId(&hdr) ||
        TP_DISCOVERY_CLIENT_TEMPLATE_RESPONSE != shm_tensorpool_discovery_messageHeader_templateId(&hdr))
    {
        collector->counters.foreign_messages++;
        return 0;
    }
    uint16_t version = shm_tensorpool_discovery_messageHeader_version(&hdr);
    struct shm_tensorpool_discovery_discoveryResponse msg;
    if (TP_DISCOVERY_CLIENT_SCHEMA_VERSION != version ||
        NULL == shm_tensorpool_discovery_discoveryResponse_wrap_for_decode(
                    &msg, data, TP_DISCOVERY_CLIENT_HEADER_LENGTH,
                    shm_tensorpool_discovery_messageHeader_blockLength(&hdr), version, length) ||
        !shm_tensorpool_discovery_discoveryResponse_sbe_validate(&msg))
    {
        collector->counters.malformed_responses++;
        return -1;
    }
    shm_tensorpool_discovery_discoveryResponse_sbe_rewind(&msg);
    /* §5.2: responses to a request we are not waiting for are dropped. */
    if (TP_DISCOVERY_QUERY_IDLE == collector->state ||
        shm_tensorpool_discovery_discoveryResponse_requestId(&msg) != collector->request_id)
    {
        collector->counters.unknown_request_ids++;
        return 0;
    }
    enum shm_tensorpool_discovery_discoveryStatus status;
    if (!shm_tensorpool_discovery_discoveryResponse_status(&msg, &status) ||
        shm_tensorpool_discovery_discoveryStatus_NULL_VALUE == status)
    {
        collector->counters.malformed_responses++;
        return -1;
    }
    return tp_discovery_apply(collector, &msg, (uint8_t)status);
}
