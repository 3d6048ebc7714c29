/*
 * Producer core on regions granted by the SHM driver (driver model spec v1.0): the files already exist with their
 * superblocks written by the driver, so the core maps them read-write after the same containment checks consumers
 * apply, checks each superblock against the lease, and from then on behaves as in standalone mode except that it
 * never emits ShmPoolAnnounce and never removes the files.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "producer/tp_producer_core_private.h"
#include "shm/tp_shm_path.h"
#include "shm/tp_shm_uri.h"
#include "shm/tp_superblock.h"

static int tp_producer_map_granted(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const char *text,
                                   size_t layout_length, const tp_superblock_expected_t *expected, char *uri_out,
                                   size_t uri_capacity)
{
    tp_shm_uri_t uri;
    if (NULL == text || strlen(text) >= uri_capacity || 0 != tp_shm_uri_parse(&uri, text) ||
        0 != tp_shm_region_map_rw(region, policy, &uri, layout_length) ||
        0 != tp_superblock_validate(region->addr, region->layout_length, expected))
    {
        return -1;
    }
    if (TP_REGION_PAYLOAD_POOL == expected->region_type &&
        0 != tp_shm_region_check_stride(region, expected->stride_bytes, uri.require_hugepages))
    {
        return -1;
    }
    tp_shm_region_prefault(region);
    strcpy(uri_out, text);
    return 0;
}

int tp_producer_core_start_attached(tp_producer_core_t **out, const tp_producer_context_t *ctx,
                                    const tp_producer_attached_t *attached)
{
    if (NULL == out || NULL == ctx || NULL == attached || NULL == attached->header_uri)
    {
        TP_SET_ERR(EINVAL, "tp_producer_core_start_attached: NULL argument");
        return -1;
    }
    *out = NULL;
    tp_producer_context_t granted = *ctx;
    granted.header_nslots = attached->header_nslots;
    granted.pool_count = attached->pool_count;
    if (attached->pool_count > TP_PRODUCER_MAX_POOLS)
    {
        TP_SET_ERR(EINVAL, "lease names %zu pools, at most %d", attached->pool_count, TP_PRODUCER_MAX_POOLS);
        return -1;
    }
    memcpy(granted.pools, attached->pools, attached->pool_count * sizeof(attached->pools[0]));
    tp_producer_core_t *core = tp_producer_core_alloc(&granted);
    if (NULL == core)
    {
        TP_APPEND_ERR("the driver's lease for stream %u epoch %" PRIu64, ctx->stream_id, attached->epoch);
        return -1;
    }
    core->external_regions = true;
    core->epoch = attached->epoch;
    core->next_seq = attached->first_seq;

    tp_shm_path_policy_t policy;
    if (0 != tp_shm_path_policy_init(&policy, attached->allowed_dirs, attached->allowed_dir_count))
    {
        TP_APPEND_ERR("producer allowed dirs");
        tp_producer_core_close(core);
        return -1;
    }
    tp_superblock_expected_t expected;
    size_t length = 0;
    tp_superblock_expect_header_ring(&expected, ctx->layout_version, core->epoch, ctx->stream_id,
                                     granted.header_nslots);
    if (0 != tp_shm_region_header_length(granted.header_nslots, &length) ||
        0 != tp_producer_map_granted(&core->header, &policy, attached->header_uri, length, &expected, core->header_uri,
                                     sizeof(core->header_uri)))
    {
        TP_APPEND_ERR("header ring %s of epoch %" PRIu64, attached->header_uri, core->epoch);
        goto fail;
    }
    for (size_t i = 0; i < core->pool_count; i++)
    {
        /* core->pools is sorted by stride: find the URI the lease gave for this pool id. */
        tp_producer_pool_t *pool = &core->pools[i];
        const char *uri = NULL;
        for (size_t j = 0; j < attached->pool_count; j++)
        {
            if (attached->pools[j].pool_id == pool->pool_id)
            {
                uri = attached->pool_uris[j];
            }
        }
        tp_superblock_expect_payload_pool(&expected, ctx->layout_version, core->epoch, ctx->stream_id, pool->pool_id,
                                          granted.header_nslots, pool->stride_bytes);
        if (0 != tp_shm_region_pool_length(granted.header_nslots, pool->stride_bytes, &length) ||
            0 != tp_producer_map_granted(&pool->region, &policy, uri, length, &expected, pool->uri, sizeof(pool->uri)))
        {
            TP_APPEND_ERR("payload pool %u (%s) of epoch %" PRIu64, (unsigned)pool->pool_id,
                          NULL == uri ? "no URI" : uri, core->epoch);
            goto fail;
        }
    }
    tp_shm_path_policy_close(&policy);
    tp_producer_refresh_activity(core, tp_producer_now(core));
    *out = core;
    return 0;

fail:
    tp_shm_path_policy_close(&policy);
    tp_producer_core_close(core);
    return -1;
}
