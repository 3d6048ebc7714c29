/* Leases (driver spec §4.1, §4.7-§4.9): table of active leases, invalidation with revoke + epoch rules. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "driver/tp_driver_core_private.h"

tp_driver_lease_t *tp_driver_lease_find(tp_driver_core_t *core, uint64_t lease_id)
{
    for (size_t i = 0; i < core->lease_count; i++)
    {
        if (core->leases[i].lease_id == lease_id)
        {
            return &core->leases[i];
        }
    }
    return NULL;
}

tp_driver_lease_t *tp_driver_lease_find_client(tp_driver_core_t *core, uint32_t client_id)
{
    for (size_t i = 0; i < core->lease_count; i++)
    {
        if (core->leases[i].client_id == client_id)
        {
            return &core->leases[i];
        }
    }
    return NULL;
}

tp_driver_lease_t *tp_driver_lease_add(tp_driver_core_t *core)
{
    if (core->lease_count == core->lease_capacity)
    {
        size_t next = 0 == core->lease_capacity ? 32 : core->lease_capacity * 2;
        tp_driver_lease_t *grown = realloc(core->leases, next * sizeof(*grown));
        if (NULL == grown)
        {
            TP_SET_ERR(ENOMEM, "no memory for %zu leases", next);
            return NULL;
        }
        core->leases = grown;
        core->lease_capacity = next;
    }
    tp_driver_lease_t *lease = &core->leases[core->lease_count++];
    memset(lease, 0, sizeof(*lease));
    return lease;
}

void tp_driver_lease_remove(tp_driver_core_t *core, tp_driver_lease_t *lease)
{
    size_t index = (size_t)(lease - core->leases);
    core->leases[index] = core->leases[core->lease_count - 1];
    core->lease_count--;
}

uint64_t tp_driver_lease_duration_ns(const tp_driver_core_t *core)
{
    return (uint64_t)core->config.lease_keepalive_interval_ms * 1000000ULL *
           (uint64_t)core->config.lease_expiry_grace_intervals;
}

static const char *tp_driver_reason_name(uint8_t reason)
{
    switch (reason)
    {
        case TP_DRIVER_REVOKE_DETACHED:
            return "DETACHED";
        case TP_DRIVER_REVOKE_EXPIRED:
            return "EXPIRED";
        default:
            return "REVOKED";
    }
}

void tp_driver_lease_invalidate(tp_driver_core_t *core, tp_driver_lease_t *lease, uint8_t reason, uint64_t now_ns,
                                int64_t detach_correlation_id, bool send_detach_response)
{
    tp_driver_lease_t copy = *lease;
    tp_driver_lease_remove(core, lease);
    tp_driver_log(core, TP_LOG_INFO, "lease.%s lease=%" PRIu64 " stream=%u client=%u role=%s",
                  TP_DRIVER_REVOKE_DETACHED == reason  ? "detached"
                  : TP_DRIVER_REVOKE_EXPIRED == reason ? "expired"
                                                       : "revoked",
                  copy.lease_id, copy.stream_id, copy.client_id,
                  TP_DRIVER_ROLE_PRODUCER == copy.role ? "PRODUCER" : "CONSUMER");
    /* §4.9: the revoke goes out before the epoch-bumped announce so consumers can correlate the two. */
    (void)tp_driver_send_lease_revoked(core, &copy, reason, tp_driver_reason_name(reason));
    core->counters.leases_revoked++;
    if (send_detach_response)
    {
        (void)tp_driver_send_detach_response(core, detach_correlation_id, TP_DRIVER_CODE_OK, NULL);
    }
    tp_driver_stream_t *stream = tp_driver_stream_find(core, copy.stream_id);
    if (TP_DRIVER_ROLE_PRODUCER == copy.role && NULL != stream && stream->producer_lease_id == copy.lease_id)
    {
        stream->producer_lease_id = 0;
        stream->producer_client_id = 0;
        /* §4.7a / §6: a producer lease ending bumps the epoch with fresh regions, announced at once. */
        (void)tp_driver_stream_new_epoch(core, stream, now_ns, true);
    }
}
