/*
 * ShmPoolAnnounce handling (wire spec §10.1.1, §15.1, §15.21 mapping state machine): soft-state filtering by
 * freshness, join time and epoch, then mapping and validating a complete new region set aside from the current
 * one. A rejected announce leaves the consumer exactly as it was and records why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "consumer/tp_consumer_core_private.h"
#include "shm/tp_shm_uri.h"
#include "shm/tp_superblock.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"

#define TP_CLOCK_DOMAIN_MONOTONIC       1
#define TP_CLOCK_DOMAIN_REALTIME_SYNCED 2

void tp_consumer_mapping_close(tp_consumer_mapping_t *mapping)
{
    for (size_t i = 0; i < mapping->pool_count; i++)
    {
        tp_shm_region_close(&mapping->pools[i]);
    }
    tp_shm_region_close(&mapping->header);
    memset(mapping, 0, sizeof(*mapping));
}

void tp_consumer_unmap(tp_consumer_core_t *core)
{
    if (core->mapped)
    {
        tp_consumer_mapping_close(&core->current);
    }
    core->mapped = false;
    core->have_seq = false;
    core->progress_active = false;
}

/* Map one region named by a URI after the containment checks, and validate its superblock. */
static int tp_consumer_map_region(tp_consumer_core_t *core, tp_shm_region_t *region, const char *uri_text,
                                  size_t uri_length, size_t layout_length, const tp_superblock_expected_t *expected,
                                  uint64_t now_ns)
{
    tp_shm_uri_t uri;
    if (0 != tp_shm_uri_parse_n(&uri, uri_text, uri_length) ||
        0 != tp_shm_region_map(region, &core->policy, &uri, layout_length) ||
        0 != tp_superblock_validate(region->addr, region->layout_length, expected))
    {
        return -1;
    }
    if (TP_REGION_PAYLOAD_POOL == expected->region_type &&
        0 != tp_shm_region_check_stride(region, expected->stride_bytes, uri.require_hugepages))
    {
        return -1;
    }
    if (!tp_superblock_is_fresh(region->addr, now_ns, core->ctx.freshness_window_ns))
    {
        TP_SET_ERR(TP_ERR_SUPERBLOCK, "superblock activity timestamp %" PRIu64 " older than %" PRIu64 " ns at %" PRIu64,
                   tp_superblock_activity_read(region->addr), core->ctx.freshness_window_ns, now_ns);
        return -1;
    }
    tp_shm_region_prefault(region);
    return 0;
}

/* Build core->candidate from the announce. Returns 0, or -1 with the thread-local error set. */
static int tp_consumer_map_candidate(tp_consumer_core_t *core, struct shm_tensorpool_control_shmPoolAnnounce *msg,
                                     uint64_t now_ns)
{
    tp_consumer_mapping_t *m = &core->candidate;
    memset(m, 0, sizeof(*m));
    uint32_t stream_id = core->ctx.stream_id;
    uint32_t layout_version = shm_tensorpool_control_shmPoolAnnounce_layoutVersion(msg);
    m->epoch = shm_tensorpool_control_shmPoolAnnounce_epoch(msg);
    m->producer_id = shm_tensorpool_control_shmPoolAnnounce_producerId(msg);
    m->nslots = shm_tensorpool_control_shmPoolAnnounce_headerNslots(msg);
    uint16_t slot_bytes = shm_tensorpool_control_shmPoolAnnounce_headerSlotBytes(msg);

    if (layout_version != core->ctx.layout_version)
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "announce layout_version %u, expected %u", layout_version, core->ctx.layout_version);
        return -1;
    }
    if (TP_SHM_HEADER_SLOT_BYTES != slot_bytes)
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "announce header_slot_bytes %u, must be %d", slot_bytes, TP_SHM_HEADER_SLOT_BYTES);
        return -1;
    }
    if (0 != tp_shm_nslots_check(m->nslots))
    {
        TP_APPEND_ERR("announce header_nslots");
        return -1;
    }

    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_get_payloadPools(msg, &group))
    {
        TP_SET_ERR(TP_ERR_CODEC, "announce payload pool group truncated");
        return -1;
    }
    uint64_t count = shm_tensorpool_control_shmPoolAnnounce_payloadPools_count(&group);
    if (0 == count || count > TP_CONSUMER_MAX_POOLS)
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "announce has %" PRIu64 " payload pools, supported 1..%d", count,
                   TP_CONSUMER_MAX_POOLS);
        return -1;
    }
    long page = sysconf(_SC_PAGESIZE);
    /* Var data must be read in wire order, so the pool URIs are copied out before the header URI. */
    uint32_t strides[TP_CONSUMER_MAX_POOLS];
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&group))
        {
            TP_SET_ERR(TP_ERR_CODEC, "announce payload pool %" PRIu64 " truncated", i);
            return -1;
        }
        uint16_t pool_id = shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolId(&group);
        uint32_t pool_nslots = shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolNslots(&group);
        strides[i] = shm_tensorpool_control_shmPoolAnnounce_payloadPools_strideBytes(&group);
        struct shm_tensorpool_control_shmPoolAnnounce_string_view uri =
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_get_regionUri_as_string_view(&group);
        if (NULL == uri.data)
        {
            TP_SET_ERR(TP_ERR_CODEC, "announce payload pool %u URI truncated", pool_id);
            return -1;
        }
        if (pool_nslots != m->nslots)
        {
            TP_SET_ERR(TP_ERR_LAYOUT, "announce pool %u nslots %u differs from header nslots %u (§15.5)", pool_id,
                       pool_nslots, m->nslots);
            return -1;
        }
        for (uint64_t j = 0; j < i; j++)
        {
            if (m->slot_pools[j].pool_id == pool_id)
            {
                TP_SET_ERR(TP_ERR_LAYOUT, "announce lists pool_id %u twice", pool_id);
                return -1;
            }
        }
        if (0 != tp_shm_stride_check(strides[i], (size_t)page, 0))
        {
            TP_APPEND_ERR("announce pool %u", pool_id);
            return -1;
        }
        if (!tp_control_copy_string(m->pool_uris[i], sizeof(m->pool_uris[i]), uri.data, uri.length))
        {
            TP_SET_ERR(TP_ERR_URI, "announce pool %u URI of %zu bytes is too long", pool_id, uri.length);
            return -1;
        }
        m->slot_pools[i].pool_id = pool_id;
        m->slot_pools[i].stride_bytes = strides[i];
    }
    struct shm_tensorpool_control_shmPoolAnnounce_string_view header_uri =
        shm_tensorpool_control_shmPoolAnnounce_get_headerRegionUri_as_string_view(msg);
    if (NULL == header_uri.data)
    {
        TP_SET_ERR(TP_ERR_CODEC, "announce header URI truncated");
        return -1;
    }
    if (!tp_control_copy_string(m->header_uri, sizeof(m->header_uri), header_uri.data, header_uri.length))
    {
        TP_SET_ERR(TP_ERR_URI, "announce header URI of %zu bytes is too long", header_uri.length);
        return -1;
    }

    size_t length;
    tp_superblock_expected_t expected;
    if (0 != tp_shm_region_header_length(m->nslots, &length))
    {
        return -1;
    }
    tp_superblock_expect_header_ring(&expected, layout_version, m->epoch, stream_id, m->nslots);
    if (0 != tp_consumer_map_region(core, &m->header, m->header_uri, strlen(m->header_uri), length, &expected, now_ns))
    {
        TP_APPEND_ERR("header ring %s", m->header_uri);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
    {
        m->pool_count = i + 1; /* so a failure below unmaps what was mapped */
        if (0 != tp_shm_region_pool_length(m->nslots, strides[i], &length))
        {
            return -1;
        }
        tp_superblock_expect_payload_pool(&expected, layout_version, m->epoch, stream_id, m->slot_pools[i].pool_id,
                                          m->nslots, strides[i]);
        if (0 != tp_consumer_map_region(core, &m->pools[i], m->pool_uris[i], strlen(m->pool_uris[i]), length, &expected,
                                        now_ns))
        {
            TP_APPEND_ERR("payload pool %u %s", m->slot_pools[i].pool_id, m->pool_uris[i]);
            return -1;
        }
    }
    return 0;
}

/* True when the announce describes exactly what is mapped (the usual periodic re-announce). */
static bool tp_consumer_same_layout(const tp_consumer_core_t *core,
                                    const struct shm_tensorpool_control_shmPoolAnnounce *source)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg = *source;
    const tp_consumer_mapping_t *m = &core->current;
    if (shm_tensorpool_control_shmPoolAnnounce_headerNslots(&msg) != m->nslots ||
        shm_tensorpool_control_shmPoolAnnounce_layoutVersion(&msg) != core->ctx.layout_version)
    {
        return false;
    }
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_get_payloadPools(&msg, &group) ||
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_count(&group) != m->pool_count)
    {
        return false;
    }
    for (size_t i = 0; i < m->pool_count; i++)
    {
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&group))
        {
            return false;
        }
        struct shm_tensorpool_control_shmPoolAnnounce_string_view uri =
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_get_regionUri_as_string_view(&group);
        if (NULL == uri.data ||
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolId(&group) != m->slot_pools[i].pool_id ||
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_strideBytes(&group) != m->slot_pools[i].stride_bytes ||
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolNslots(&group) != m->nslots ||
            uri.length != strlen(m->pool_uris[i]) || 0 != memcmp(uri.data, m->pool_uris[i], uri.length))
        {
            return false;
        }
    }
    struct shm_tensorpool_control_shmPoolAnnounce_string_view uri =
        shm_tensorpool_control_shmPoolAnnounce_get_headerRegionUri_as_string_view(&msg);
    return NULL != uri.data && uri.length == strlen(m->header_uri) && 0 == memcmp(uri.data, m->header_uri, uri.length);
}

int tp_consumer_on_announce(tp_consumer_core_t *core, const uint8_t *buffer, size_t length,
                            const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&msg, (char *)buffer, 8, hdr->block_length,
                                                                       hdr->version, length))
    {
        return -1;
    }
    if (shm_tensorpool_control_shmPoolAnnounce_streamId(&msg) != core->ctx.stream_id)
    {
        return 0;
    }
    uint64_t epoch = shm_tensorpool_control_shmPoolAnnounce_epoch(&msg);
    uint64_t timestamp = shm_tensorpool_control_shmPoolAnnounce_announceTimestampNs(&msg);
    uint8_t domain = shm_tensorpool_control_shmPoolAnnounce_announceClockDomain_raw(&msg);
    uint64_t now = tp_consumer_now(core);

    if (TP_CLOCK_DOMAIN_MONOTONIC == domain)
    {
        /* The join-time rule filters Aeron log replay, and only makes sense on the shared monotonic clock. */
        if (timestamp < core->join_time_ns)
        {
            core->counters.announces_replayed++;
            return 0;
        }
        if (now > timestamp && now - timestamp > core->ctx.freshness_window_ns)
        {
            core->counters.announces_stale++;
            return 0;
        }
    }
    else if (TP_CLOCK_DOMAIN_REALTIME_SYNCED == domain)
    {
        uint64_t real_now = core->ctx.realtime_clock(core->ctx.clock_clientd);
        if (real_now > timestamp && real_now - timestamp > core->ctx.freshness_window_ns)
        {
            core->counters.announces_stale++;
            return 0;
        }
    }
    else
    {
        core->counters.announces_stale++;
        snprintf(core->last_error, sizeof(core->last_error), "announce epoch %" PRIu64 " ignored: clock domain %u",
                 epoch, domain);
        return 0;
    }

    if (epoch < core->highest_epoch)
    {
        core->counters.announces_old_epoch++;
        return 0;
    }
    if (core->mapped && epoch == core->current.epoch && tp_consumer_same_layout(core, &msg))
    {
        /* A refresh, but magic and epoch are re-checked on every announce (§15.1): a recreated region fails. */
        tp_superblock_expected_t expected;
        tp_superblock_expect_header_ring(&expected, core->ctx.layout_version, epoch, core->ctx.stream_id,
                                         core->current.nslots);
        if (0 == tp_superblock_validate(core->current.header.addr, core->current.header.layout_length, &expected))
        {
            return 0;
        }
        snprintf(core->last_error, sizeof(core->last_error), "mapped header ring of epoch %" PRIu64 " changed: %s",
                 epoch, tp_errmsg());
        tp_consumer_unmap(core);
    }

    if (0 != tp_consumer_map_candidate(core, &msg, now))
    {
        snprintf(core->last_error, sizeof(core->last_error), "announce stream %u epoch %" PRIu64 " rejected: %s",
                 core->ctx.stream_id, epoch, tp_errmsg());
        core->counters.regions_rejected++;
        tp_consumer_mapping_close(&core->candidate);
        return 0;
    }
    bool was_mapped = core->mapped;
    /* Epoch boundary: everything in flight belongs to the old mapping and is dropped with it (§15.21). */
    tp_consumer_unmap(core);
    core->current = core->candidate;
    memset(&core->candidate, 0, sizeof(core->candidate));
    core->mapped = true;
    core->highest_epoch = epoch;
    core->counters.maps++;
    if (was_mapped)
    {
        core->counters.remaps++;
    }
    return 0;
}
