/* ShmAttachRequest handling (driver spec §4.2, §4.3, §4.6, §4.8, §5, §11). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "driver/tp_driver_core_private.h"
#include "shm/tp_superblock.h"

void tp_driver_attach_reject(tp_driver_core_t *core, int64_t correlation_id, tp_driver_code_t code, const char *format,
                             ...)
{
    va_list args;
    va_start(args, format);
    (void)vsnprintf(core->error_message, sizeof(core->error_message), format, args);
    va_end(args);
    core->counters.attach_rejected++;
    tp_driver_log(core, TP_LOG_INFO, "attach.refused correlation=%" PRId64 " code=%d reason=\"%s\"", correlation_id,
                  (int)code, core->error_message);
    (void)tp_driver_send_attach_response(core, correlation_id, code, NULL, NULL, core->error_message);
}

static bool tp_driver_range_contains(const tp_driver_range_t *range, uint32_t id)
{
    return range->set && id >= range->first && id <= range->last;
}

/* Find the stream of a request or, when policy allows, provision it (§4.3 publishMode, §11 dynamic ranges).
 * NULL when refused (the response has been sent). */
static tp_driver_stream_t *tp_driver_attach_stream(tp_driver_core_t *core, const tp_driver_attach_request_t *req,
                                                   uint8_t publish_mode)
{
    const tp_driver_config_t *config = &core->config;
    int64_t corr = req->correlation_id;
    tp_driver_stream_t *stream = 0 == req->stream_id ? NULL : tp_driver_stream_find(core, req->stream_id);
    if (NULL != stream)
    {
        return stream;
    }
    if (TP_DRIVER_PUBLISH_REQUIRE == publish_mode)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "stream %u is not provisioned (publishMode REQUIRE_EXISTING)", req->stream_id);
        return NULL;
    }
    if (!config->allow_dynamic_streams)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "stream %u is not provisioned and policies.allow_dynamic_streams is false",
                                req->stream_id);
        return NULL;
    }
    const tp_driver_range_t *range = &config->stream_id_range;
    if (!range->set || range->first > range->last)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "stream %u: dynamic streams need driver.stream_id_range, which is empty",
                                req->stream_id);
        return NULL;
    }
    if (config->default_profile_index >= config->profile_count)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "stream %u: no default profile for dynamic streams (index %zu of %zu profiles)",
                                req->stream_id, config->default_profile_index, config->profile_count);
        return NULL;
    }
    const tp_driver_profile_t *profile = &config->profiles[config->default_profile_index];
    if (0 == profile->pool_count)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "stream %u: default profile '%s' has zero payload pools (§4.3)", req->stream_id,
                                profile->name);
        return NULL;
    }
    uint32_t stream_id = req->stream_id;
    if (0 == stream_id)
    {
        /* Lowest free id of the range (0 is never a stream id: it asks for an allocation). */
        for (uint64_t id = 0 == range->first ? 1 : range->first; id <= range->last; id++)
        {
            if (NULL == tp_driver_stream_find(core, (uint32_t)id))
            {
                stream_id = (uint32_t)id;
                break;
            }
        }
        if (0 == stream_id)
        {
            tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                    "stream id allocation: driver.stream_id_range %u-%u is exhausted", range->first,
                                    range->last);
            return NULL;
        }
    }
    else if (!tp_driver_range_contains(range, stream_id))
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "stream %u is outside driver.stream_id_range %u-%u", stream_id, range->first,
                                range->last);
        return NULL;
    }
    stream = tp_driver_stream_add(core, stream_id, profile, true);
    if (NULL == stream)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INTERNAL_ERROR, "stream %u: %s", stream_id, tp_errmsg());
        return NULL;
    }
    tp_driver_log(core, TP_LOG_INFO, "stream %u created dynamically with profile '%s'", stream_id, profile->name);
    return stream;
}

void tp_driver_attach(tp_driver_core_t *core, const tp_driver_attach_request_t *req, uint64_t now_ns)
{
    const tp_driver_config_t *config = &core->config;
    int64_t corr = req->correlation_id;
    core->counters.attach_requests++;
    if (TP_DRIVER_RUNNING != core->state)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED, "driver shutting down");
        return;
    }
    if (TP_DRIVER_ROLE_PRODUCER != req->role && TP_DRIVER_ROLE_CONSUMER != req->role)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS, "role %u is not PRODUCER(1) or CONSUMER(2)",
                                req->role);
        return;
    }
    uint8_t publish_mode = req->publish_mode;
    if (TP_DRIVER_PUBLISH_NULL == publish_mode)
    {
        publish_mode = TP_DRIVER_PUBLISH_REQUIRE; /* absent: the conservative mode */
    }
    if (TP_DRIVER_PUBLISH_REQUIRE != publish_mode && TP_DRIVER_PUBLISH_CREATE != publish_mode)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "publishMode %u is not REQUIRE_EXISTING(1), EXISTING_OR_CREATE(2) or null(255)",
                                req->publish_mode);
        return;
    }
    if (req->require_hugepages > TP_DRIVER_HUGEPAGES_REQUIRED)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "requireHugepages %u is not UNSPECIFIED(0), STANDARD(1) or HUGEPAGES(2)",
                                req->require_hugepages);
        return;
    }
    /* §4.8: one active lease per clientId; the same request again (same correlationId) is a retry. */
    tp_driver_lease_t *held = tp_driver_lease_find_client(core, req->client_id);
    if (NULL != held)
    {
        tp_driver_stream_t *held_stream = tp_driver_stream_find(core, held->stream_id);
        if (held->correlation_id == corr && held->role == req->role &&
            (held->stream_id == req->stream_id || 0 == req->stream_id) && NULL != held_stream &&
            held_stream->has_regions)
        {
            core->counters.attach_requests--; /* a retry is the same request, answered again */
            (void)tp_driver_send_attach_response(core, corr, TP_DRIVER_CODE_OK, held, held_stream, NULL);
            return;
        }
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "clientId %u already holds active lease %" PRIu64
                                " (stream %u); §4.8 rejects the newer",
                                req->client_id, held->lease_id, held->stream_id);
        return;
    }
    if (0 != req->expected_layout_version && TP_LAYOUT_VERSION != req->expected_layout_version)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "expectedLayoutVersion %u does not match the active layout version %u",
                                req->expected_layout_version, TP_LAYOUT_VERSION);
        return;
    }
    bool base_huge = tp_driver_base_is_hugetlbfs(core);
    bool want_huge = TP_DRIVER_HUGEPAGES_REQUIRED == req->require_hugepages ||
                     (TP_DRIVER_HUGEPAGES_UNSPEC == req->require_hugepages && config->require_hugepages);
    if (want_huge && !base_huge)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "hugepage-backed regions required (requireHugepages=%u, shm.require_hugepages=%s) but "
                                "shm.base_dir %s is not on hugetlbfs",
                                req->require_hugepages, config->require_hugepages ? "true" : "false", config->base_dir);
        return;
    }
    if (TP_DRIVER_HUGEPAGES_STANDARD == req->require_hugepages && base_huge)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "standard pages requested (requireHugepages=STANDARD) but shm.base_dir %s is hugetlbfs",
                                config->base_dir);
        return;
    }
    tp_driver_stream_t *stream = tp_driver_attach_stream(core, req, publish_mode);
    if (NULL == stream)
    {
        return;
    }
    if (0 == stream->profile.pool_count)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                "stream %u has zero payload pools, invalid in v1.0 (§4.3)", stream->stream_id);
        return;
    }
    /* A validated config never gets here with a bad layout, but the core must not trust its input (§15.22). */
    if (tp_shm_nslots_check(stream->profile.header_nslots) < 0)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS, "stream %u: header_nslots %u: %s",
                                stream->stream_id, stream->profile.header_nslots, tp_errmsg());
        return;
    }
    for (size_t i = 0; i < stream->profile.pool_count; i++)
    {
        uint32_t stride = stream->profile.pools[i].stride_bytes;
        size_t page = 0 == config->page_size_bytes ? 4096 : config->page_size_bytes;
        if (tp_shm_stride_check(stride, page, 0) < 0)
        {
            tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS, "stream %u pool %u: %s",
                                    stream->stream_id, stream->profile.pools[i].pool_id, tp_errmsg());
            return;
        }
    }
    if (TP_DRIVER_ROLE_PRODUCER == req->role && 0 != stream->producer_lease_id)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED,
                                "stream %u already has producer lease %" PRIu64 " (client %u); one producer per "
                                "stream (§5)",
                                stream->stream_id, stream->producer_lease_id, stream->producer_client_id);
        return;
    }
    if (core->lease_count >= TP_DRIVER_MAX_LEASES)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_REJECTED, "driver holds the maximum of %d leases",
                                TP_DRIVER_MAX_LEASES);
        return;
    }
    /* Regions at the first attach (either role); a producer joining a producer-less stream that has regions
     * gets a new epoch (§6). */
    bool new_epoch = !stream->has_regions || TP_DRIVER_ROLE_PRODUCER == req->role;
    if (new_epoch && tp_driver_stream_new_epoch(core, stream, now_ns, false) < 0)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INTERNAL_ERROR, "stream %u: %s", stream->stream_id,
                                tp_errmsg());
        return;
    }
    tp_driver_lease_t *lease = tp_driver_lease_add(core);
    if (NULL == lease)
    {
        tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INTERNAL_ERROR, "%s", tp_errmsg());
        return;
    }
    lease->lease_id = core->next_lease_id++;
    lease->stream_id = stream->stream_id;
    lease->client_id = req->client_id;
    lease->role = req->role;
    lease->correlation_id = corr;
    lease->expiry_ns = now_ns + tp_driver_lease_duration_ns(core);
    if (lease->expiry_ns < core->next_expiry_ns)
    {
        core->next_expiry_ns = lease->expiry_ns;
    }
    if (TP_DRIVER_ROLE_PRODUCER == req->role)
    {
        stream->producer_lease_id = lease->lease_id;
        stream->producer_client_id = req->client_id;
    }
    core->counters.attach_ok++;
    tp_driver_log(core, TP_LOG_INFO,
                  "lease.attached correlation=%" PRId64 " lease=%" PRIu64 " stream=%u client=%u role=%s epoch=%" PRIu64,
                  corr, lease->lease_id, stream->stream_id, req->client_id,
                  TP_DRIVER_ROLE_PRODUCER == req->role ? "PRODUCER" : "CONSUMER", stream->epoch);
    (void)tp_driver_send_attach_response(core, corr, TP_DRIVER_CODE_OK, lease, stream, NULL);
    if (new_epoch)
    {
        /* After the lease exists, so the announce names the new producer. */
        (void)tp_driver_send_announce(core, stream, now_ns);
    }
}
