/* Encoders and decoders of the driver control plane (schema 901, Appendix A) and ShmPoolAnnounce (schema 900). */
#include <inttypes.h>
#include <string.h>

#include "driver/tp_driver_core_private.h"
#include "shm/tp_superblock.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_driver/messageHeader.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDetachResponse.h"
#include "shm_tensorpool_driver/shmDriverShutdown.h"
#include "shm_tensorpool_driver/shmDriverShutdownRequest.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

#define TP_DRIVER_HEADER_LENGTH 8

/* ---- encoders ---- */

static uint32_t tp_driver_message_length(const char *message)
{
    if (NULL == message)
    {
        return 0;
    }
    size_t len = strlen(message);
    return (uint32_t)(len > TP_DRIVER_ERROR_MESSAGE_MAX ? TP_DRIVER_ERROR_MESSAGE_MAX : len);
}

int tp_driver_send_announce(tp_driver_core_t *core, tp_driver_stream_t *stream, uint64_t now_ns)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    if (!stream->has_regions || NULL == shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(
                                            &msg, (char *)core->scratch, 0, sizeof(core->scratch), &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, stream->stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, stream->producer_client_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, stream->epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, now_ns);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, TP_LAYOUT_VERSION);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, stream->profile.header_nslots);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, TP_SHM_HEADER_SLOT_BYTES);
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &group,
                                                                              (uint16_t)stream->profile.pool_count))
    {
        return -1;
    }
    for (size_t i = 0; i < stream->profile.pool_count; i++)
    {
        const tp_driver_pool_config_t *pool = &stream->profile.pools[i];
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&group))
        {
            return -1;
        }
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&group, pool->pool_id);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&group, stream->profile.header_nslots);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&group, pool->stride_bytes);
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(
                        &group, stream->pool_uris[i], (uint32_t)strlen(stream->pool_uris[i])))
        {
            return -1;
        }
    }
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, stream->header_uri,
                                                                           (uint32_t)strlen(stream->header_uri)))
    {
        return -1;
    }
    size_t length = TP_DRIVER_HEADER_LENGTH + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
    core->counters.announces_sent++;
    return tp_driver_emit(core, true, core->scratch, length);
}

int tp_driver_send_attach_response(tp_driver_core_t *core, int64_t correlation_id, tp_driver_code_t code,
                                   const tp_driver_lease_t *lease, const tp_driver_stream_t *stream,
                                   const char *error_message)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachResponse msg;
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools group;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_wrap_and_apply_header(&msg, (char *)core->scratch, 0,
                                                                              sizeof(core->scratch), &hdr))
    {
        return -1;
    }
    bool ok = TP_DRIVER_CODE_OK == code && NULL != lease && NULL != stream;
    shm_tensorpool_driver_shmAttachResponse_set_correlationId(&msg, correlation_id);
    shm_tensorpool_driver_shmAttachResponse_set_code(&msg, (enum shm_tensorpool_driver_responseCode)code);
    shm_tensorpool_driver_shmAttachResponse_set_leaseId(
        &msg, ok ? lease->lease_id : shm_tensorpool_driver_shmAttachResponse_leaseId_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_leaseExpiryTimestampNs(
        &msg, ok ? lease->expiry_ns : shm_tensorpool_driver_shmAttachResponse_leaseExpiryTimestampNs_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_streamId(
        &msg, ok ? stream->stream_id : shm_tensorpool_driver_shmAttachResponse_streamId_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_epoch(
        &msg, ok ? stream->epoch : shm_tensorpool_driver_shmAttachResponse_epoch_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_layoutVersion(
        &msg, ok ? TP_LAYOUT_VERSION : shm_tensorpool_driver_shmAttachResponse_layoutVersion_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_headerNslots(
        &msg, ok ? stream->profile.header_nslots : shm_tensorpool_driver_shmAttachResponse_headerNslots_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_headerSlotBytes(
        &msg, ok ? TP_SHM_HEADER_SLOT_BYTES : shm_tensorpool_driver_shmAttachResponse_headerSlotBytes_null_value());
    shm_tensorpool_driver_shmAttachResponse_set_maxDims(
        &msg, ok ? TP_DRIVER_MAX_DIMS : shm_tensorpool_driver_shmAttachResponse_maxDims_null_value());
    uint16_t count = ok ? (uint16_t)stream->profile.pool_count : 0;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_set_count(&msg, &group, count))
    {
        return -1;
    }
    for (uint16_t i = 0; i < count; i++)
    {
        const tp_driver_pool_config_t *pool = &stream->profile.pools[i];
        if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&group))
        {
            return -1;
        }
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolId(&group, pool->pool_id);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolNslots(&group, stream->profile.header_nslots);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_strideBytes(&group, pool->stride_bytes);
        if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_put_regionUri(
                        &group, stream->pool_uris[i], (uint32_t)strlen(stream->pool_uris[i])))
        {
            return -1;
        }
    }
    const char *header_uri = ok ? stream->header_uri : "";
    if (NULL == shm_tensorpool_driver_shmAttachResponse_put_headerRegionUri(&msg, header_uri,
                                                                            (uint32_t)strlen(header_uri)) ||
        NULL == shm_tensorpool_driver_shmAttachResponse_put_errorMessage(
                    &msg, ok ? "" : error_message, ok ? 0 : tp_driver_message_length(error_message)))
    {
        return -1;
    }
    size_t length = TP_DRIVER_HEADER_LENGTH + shm_tensorpool_driver_shmAttachResponse_encoded_length(&msg);
    return tp_driver_emit(core, false, core->scratch, length);
}

int tp_driver_send_detach_response(tp_driver_core_t *core, int64_t correlation_id, tp_driver_code_t code,
                                   const char *error_message)
{
    uint8_t buf[TP_DRIVER_ERROR_MESSAGE_MAX + 64];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDetachResponse msg;
    if (NULL == shm_tensorpool_driver_shmDetachResponse_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_driver_shmDetachResponse_set_correlationId(&msg, correlation_id);
    shm_tensorpool_driver_shmDetachResponse_set_code(&msg, (enum shm_tensorpool_driver_responseCode)code);
    const char *text = NULL == error_message ? "" : error_message;
    if (NULL == shm_tensorpool_driver_shmDetachResponse_put_errorMessage(&msg, text, tp_driver_message_length(text)))
    {
        return -1;
    }
    return tp_driver_emit(core, false, buf,
                          TP_DRIVER_HEADER_LENGTH + shm_tensorpool_driver_shmDetachResponse_encoded_length(&msg));
}

int tp_driver_send_lease_revoked(tp_driver_core_t *core, const tp_driver_lease_t *lease, uint8_t reason,
                                 const char *message)
{
    uint8_t buf[TP_DRIVER_ERROR_MESSAGE_MAX + 96];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmLeaseRevoked msg;
    if (NULL == shm_tensorpool_driver_shmLeaseRevoked_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_driver_shmLeaseRevoked_set_timestampNs(&msg, tp_driver_realtime_ns(core));
    shm_tensorpool_driver_shmLeaseRevoked_set_leaseId(&msg, lease->lease_id);
    shm_tensorpool_driver_shmLeaseRevoked_set_streamId(&msg, lease->stream_id);
    shm_tensorpool_driver_shmLeaseRevoked_set_clientId(&msg, lease->client_id);
    shm_tensorpool_driver_shmLeaseRevoked_set_role(&msg, (enum shm_tensorpool_driver_role)lease->role);
    shm_tensorpool_driver_shmLeaseRevoked_set_reason(&msg, (enum shm_tensorpool_driver_leaseRevokeReason)reason);
    const char *text = NULL == message ? "" : message;
    if (NULL == shm_tensorpool_driver_shmLeaseRevoked_put_errorMessage(&msg, text, tp_driver_message_length(text)))
    {
        return -1;
    }
    return tp_driver_emit(core, false, buf,
                          TP_DRIVER_HEADER_LENGTH + shm_tensorpool_driver_shmLeaseRevoked_encoded_length(&msg));
}

int tp_driver_send_shutdown(tp_driver_core_t *core, uint8_t reason, const char *message)
{
    uint8_t buf[TP_DRIVER_ERROR_MESSAGE_MAX + 64];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDriverShutdown msg;
    if (NULL == shm_tensorpool_driver_shmDriverShutdown_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_driver_shmDriverShutdown_set_timestampNs(&msg, tp_driver_realtime_ns(core));
    shm_tensorpool_driver_shmDriverShutdown_set_reason(&msg, (enum shm_tensorpool_driver_shutdownReason)reason);
    const char *text = NULL == message ? "" : message;
    if (NULL == shm_tensorpool_driver_shmDriverShutdown_put_errorMessage(&msg, text, tp_driver_message_length(text)))
    {
        return -1;
    }
    return tp_driver_emit(core, false, buf,
                          TP_DRIVER_HEADER_LENGTH + shm_tensorpool_driver_shmDriverShutdown_encoded_length(&msg));
}

/* ---- decoders ---- */

typedef struct tp_driver_header_stct
{
    uint16_t block_length;
    uint16_t template_id;
    uint16_t schema_id;
    uint16_t version;
} tp_driver_header_t;

static int64_t tp_driver_read_i64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/*
 * §4.4a gating shared by every request. Returns 1 when the fixed block (v1 length `v1_block`) is fully readable,
 * 0 when the message was answered or dropped. *correlation_readable tells whether the first 8 body bytes (the
 * correlationId of the requests that carry one) lie inside both the block and the buffer.
 */
static int tp_driver_gate(tp_driver_core_t *core, const tp_driver_header_t *hdr, size_t length, uint16_t v1_block,
                          bool *unsupported, bool *correlation_readable)
{
    *unsupported = false;
    *correlation_readable = hdr->block_length >= 8 && length >= TP_DRIVER_HEADER_LENGTH + 8;
    if (0 == hdr->version)
    {
        *unsupported = true;
        return 0;
    }
    if (hdr->block_length < v1_block || length - TP_DRIVER_HEADER_LENGTH < hdr->block_length)
    {
        core->counters.malformed_messages++;
        return 0;
    }
    return 1;
}

static void tp_driver_on_attach(tp_driver_core_t *core, const uint8_t *buffer, size_t length,
                                const tp_driver_header_t *hdr)
{
    bool unsupported, corr_ok;
    uint16_t v1 = shm_tensorpool_driver_shmAttachRequest_sbe_block_length();
    if (0 == tp_driver_gate(core, hdr, length, v1, &unsupported, &corr_ok))
    {
        if (corr_ok)
        {
            int64_t corr = tp_driver_read_i64(buffer + TP_DRIVER_HEADER_LENGTH);
            core->counters.attach_requests++;
            if (unsupported)
            {
                tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_UNSUPPORTED,
                                        "ShmAttachRequest schema version 0 is not supported (driver speaks 1)");
            }
            else
            {
                tp_driver_attach_reject(core, corr, TP_DRIVER_CODE_INVALID_PARAMS,
                                        "ShmAttachRequest truncated: blockLength %u (v1 needs %u), %zu bytes",
                                        hdr->block_length, v1, length);
            }
        }
        else
        {
            core->counters.malformed_messages += unsupported ? 1 : 0;
        }
        return;
    }
    struct shm_tensorpool_driver_shmAttachRequest msg;
    if (NULL == shm_tensorpool_driver_shmAttachRequest_wrap_for_decode(&msg, (char *)buffer, TP_DRIVER_HEADER_LENGTH,
                                                                       hdr->block_length, hdr->version, length))
    {
        core->counters.malformed_messages++;
        return;
    }
    const uint8_t *body = buffer + TP_DRIVER_HEADER_LENGTH;
    tp_driver_attach_request_t req;
    req.correlation_id = shm_tensorpool_driver_shmAttachRequest_correlationId(&msg);
    req.stream_id = shm_tensorpool_driver_shmAttachRequest_streamId(&msg);
    req.client_id = shm_tensorpool_driver_shmAttachRequest_clientId(&msg);
    req.expected_layout_version = shm_tensorpool_driver_shmAttachRequest_expectedLayoutVersion(&msg);
    req.max_dims = shm_tensorpool_driver_shmAttachRequest_maxDims(&msg); /* ignored (§4.3) */
    /* Enums raw: an unknown value must become INVALID_PARAMS, not a decode failure. */
    req.role = body[shm_tensorpool_driver_shmAttachRequest_role_encoding_offset()];
    req.publish_mode = body[shm_tensorpool_driver_shmAttachRequest_publishMode_encoding_offset()];
    req.require_hugepages = body[shm_tensorpool_driver_shmAttachRequest_requireHugepages_encoding_offset()];
    tp_driver_attach(core, &req, tp_driver_now_ns(core));
}

static bool tp_driver_lease_matches(const tp_driver_lease_t *lease, uint32_t stream_id, uint32_t client_id,
                                    uint8_t role)
{
    return NULL != lease && lease->stream_id == stream_id && lease->client_id == client_id && lease->role == role;
}

static void tp_driver_on_detach(tp_driver_core_t *core, const uint8_t *buffer, size_t length,
                                const tp_driver_header_t *hdr)
{
    bool unsupported, corr_ok;
    uint16_t v1 = shm_tensorpool_driver_shmDetachRequest_sbe_block_length();
    core->counters.detach_requests++;
    if (0 == tp_driver_gate(core, hdr, length, v1, &unsupported, &corr_ok))
    {
        if (corr_ok)
        {
            int64_t corr = tp_driver_read_i64(buffer + TP_DRIVER_HEADER_LENGTH);
            (void)tp_driver_send_detach_response(
                core, corr, unsupported ? TP_DRIVER_CODE_UNSUPPORTED : TP_DRIVER_CODE_INVALID_PARAMS,
                unsupported ? "ShmDetachRequest schema version 0 is not supported" : "ShmDetachRequest truncated");
        }
        else
        {
            core->counters.malformed_messages += unsupported ? 1 : 0;
        }
        return;
    }
    struct shm_tensorpool_driver_shmDetachRequest msg;
    if (NULL == shm_tensorpool_driver_shmDetachRequest_wrap_for_decode(&msg, (char *)buffer, TP_DRIVER_HEADER_LENGTH,
                                                                       hdr->block_length, hdr->version, length))
    {
        core->counters.malformed_messages++;
        return;
    }
    const uint8_t *body = buffer + TP_DRIVER_HEADER_LENGTH;
    int64_t corr = shm_tensorpool_driver_shmDetachRequest_correlationId(&msg);
    uint64_t lease_id = shm_tensorpool_driver_shmDetachRequest_leaseId(&msg);
    uint32_t stream_id = shm_tensorpool_driver_shmDetachRequest_streamId(&msg);
    uint32_t client_id = shm_tensorpool_driver_shmDetachRequest_clientId(&msg);
    uint8_t role = body[shm_tensorpool_driver_shmDetachRequest_role_encoding_offset()];
    tp_driver_lease_t *lease = tp_driver_lease_find(core, lease_id);
    if (!tp_driver_lease_matches(lease, stream_id, client_id, role))
    {
        char text[256];
        snprintf(text, sizeof(text),
                 NULL == lease ? "lease %" PRIu64 " is unknown or no longer active"
                               : "lease %" PRIu64 " does not match stream/client/role of the request",
                 lease_id);
        tp_driver_log(core, TP_LOG_INFO,
                      "detach.rejected correlation=%" PRId64 " reason=\"%s\" stream=%u client=%u role=%u", corr, text,
                      stream_id, client_id, role);
        (void)tp_driver_send_detach_response(core, corr, TP_DRIVER_CODE_REJECTED, text);
        return;
    }
    tp_driver_lease_invalidate(core, lease, TP_DRIVER_REVOKE_DETACHED, tp_driver_now_ns(core), corr, true);
}

static void tp_driver_on_keepalive(tp_driver_core_t *core, const uint8_t *buffer, size_t length,
                                   const tp_driver_header_t *hdr)
{
    bool unsupported, corr_ok;
    if (0 == tp_driver_gate(core, hdr, length, shm_tensorpool_driver_shmLeaseKeepalive_sbe_block_length(), &unsupported,
                            &corr_ok))
    {
        core->counters.malformed_messages += unsupported ? 1 : 0;
        return;
    }
    struct shm_tensorpool_driver_shmLeaseKeepalive msg;
    if (NULL == shm_tensorpool_driver_shmLeaseKeepalive_wrap_for_decode(&msg, (char *)buffer, TP_DRIVER_HEADER_LENGTH,
                                                                        hdr->block_length, hdr->version, length))
    {
        core->counters.malformed_messages++;
        return;
    }
    const uint8_t *body = buffer + TP_DRIVER_HEADER_LENGTH;
    uint64_t lease_id = shm_tensorpool_driver_shmLeaseKeepalive_leaseId(&msg);
    uint32_t stream_id = shm_tensorpool_driver_shmLeaseKeepalive_streamId(&msg);
    uint32_t client_id = shm_tensorpool_driver_shmLeaseKeepalive_clientId(&msg);
    uint8_t role = body[shm_tensorpool_driver_shmLeaseKeepalive_role_encoding_offset()];
    tp_driver_lease_t *lease = tp_driver_lease_find(core, lease_id);
    if (!tp_driver_lease_matches(lease, stream_id, client_id, role))
    {
        core->counters.keepalives_unknown++;
        return;
    }
    core->counters.keepalives++;
    lease->expiry_ns = tp_driver_now_ns(core) + tp_driver_lease_duration_ns(core);
}

/* Constant-time equality: the time taken does not depend on where the first difference is. */
static bool tp_driver_token_equal(const char *expected, size_t expected_len, const char *got, size_t got_len)
{
    unsigned diff = expected_len == got_len ? 0U : 1U;
    for (size_t i = 0; i < expected_len; i++)
    {
        unsigned char g = i < got_len ? (unsigned char)got[i] : 0U;
        diff |= (unsigned)((unsigned char)expected[i] ^ g);
    }
    return 0U == diff;
}

static void tp_driver_on_shutdown_request(tp_driver_core_t *core, const uint8_t *buffer, size_t length,
                                          const tp_driver_header_t *hdr)
{
    bool unsupported, corr_ok;
    core->counters.shutdown_requests++;
    if (0 == tp_driver_gate(core, hdr, length, shm_tensorpool_driver_shmDriverShutdownRequest_sbe_block_length(),
                            &unsupported, &corr_ok))
    {
        core->counters.malformed_messages += unsupported ? 1 : 0;
        core->counters.shutdown_requests_rejected++;
        tp_driver_log(core, TP_LOG_WARN, "shutdown request ignored: malformed or unsupported version %u", hdr->version);
        return;
    }
    struct shm_tensorpool_driver_shmDriverShutdownRequest msg;
    if (NULL == shm_tensorpool_driver_shmDriverShutdownRequest_wrap_for_decode(
                    &msg, (char *)buffer, TP_DRIVER_HEADER_LENGTH, hdr->block_length, hdr->version, length))
    {
        core->counters.malformed_messages++;
        core->counters.shutdown_requests_rejected++;
        return;
    }
    int64_t corr = shm_tensorpool_driver_shmDriverShutdownRequest_correlationId(&msg);
    uint8_t reason =
        buffer[TP_DRIVER_HEADER_LENGTH + shm_tensorpool_driver_shmDriverShutdownRequest_reason_encoding_offset()];
    uint32_t token_len = shm_tensorpool_driver_shmDriverShutdownRequest_token_length(&msg);
    const char *token = shm_tensorpool_driver_shmDriverShutdownRequest_token(&msg);
    uint32_t message_len = 0;
    const char *message = NULL;
    if (NULL != token)
    {
        message_len = shm_tensorpool_driver_shmDriverShutdownRequest_errorMessage_length(&msg);
        message = shm_tensorpool_driver_shmDriverShutdownRequest_errorMessage(&msg);
    }
    if (NULL == token || NULL == message)
    {
        core->counters.malformed_messages++;
        core->counters.shutdown_requests_rejected++;
        tp_driver_log(core, TP_LOG_WARN, "shutdown request %" PRId64 " ignored: var data truncated", corr);
        return;
    }
    size_t configured = strlen(core->config.shutdown_token);
    if (0 == configured)
    {
        core->counters.shutdown_requests_rejected++;
        tp_driver_log(core, TP_LOG_WARN,
                      "shutdown request %" PRId64 " ignored: policies.shutdown_token is empty (shutdown disabled)",
                      corr);
        return;
    }
    if (0 == token_len || !tp_driver_token_equal(core->config.shutdown_token, configured, token, token_len))
    {
        core->counters.shutdown_requests_rejected++;
        tp_driver_log(core, TP_LOG_WARN, "shutdown request %" PRId64 " ignored: %s token", corr,
                      0 == token_len ? "missing" : "wrong");
        return;
    }
    if (reason > 2)
    {
        reason = 1; /* unknown reason from an authenticated admin: report it as ADMIN */
    }
    char text[TP_DRIVER_ERROR_MESSAGE_MAX + 1];
    size_t n = message_len > TP_DRIVER_ERROR_MESSAGE_MAX ? TP_DRIVER_ERROR_MESSAGE_MAX : message_len;
    memcpy(text, message, n);
    text[n] = '\0';
    tp_driver_log(core, TP_LOG_INFO, "shutdown request %" PRId64 " accepted (reason %u)", corr, reason);
    tp_driver_core_begin_shutdown(core, reason, text);
}

int tp_driver_messages_dispatch(tp_driver_core_t *core, const uint8_t *buffer, size_t length)
{
    if (NULL == buffer || length < TP_DRIVER_HEADER_LENGTH)
    {
        core->counters.malformed_messages++;
        return 0;
    }
    tp_driver_header_t hdr;
    memcpy(&hdr.block_length, buffer, 2);
    memcpy(&hdr.template_id, buffer + 2, 2);
    memcpy(&hdr.schema_id, buffer + 4, 2);
    memcpy(&hdr.version, buffer + 6, 2);
    if (TP_DRIVER_SCHEMA_ID != hdr.schema_id)
    {
        core->counters.foreign_messages++;
        return 0;
    }
    if (TP_DRIVER_TERMINATED == core->state)
    {
        return 0;
    }
    switch (hdr.template_id)
    {
        case 1:
            tp_driver_on_attach(core, buffer, length, &hdr);
            return 1;
        case 3:
            tp_driver_on_detach(core, buffer, length, &hdr);
            return 1;
        case 5:
            tp_driver_on_keepalive(core, buffer, length, &hdr);
            return 1;
        case 8:
            tp_driver_on_shutdown_request(core, buffer, length, &hdr);
            return 1;
        default:
            /* Our own responses / notices echo back on a shared control stream: not requests. */
            core->counters.unknown_templates++;
            return 0;
    }
}
