#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/tp_driver_client.h"
#include "common/tp_error_private.h"
#include "control/tp_control_message.h"
#include "shm/tp_shm_uri.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDetachResponse.h"
#include "shm_tensorpool_driver/shmDriverShutdown.h"
#include "shm_tensorpool_driver/shmDriverShutdownRequest.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

#define TP_DRIVER_CLIENT_SEND_BUFFER 128
#define TP_DRIVER_CLIENT_REASON_MAX  256
/* Announce periods without an announce of our stream before the driver counts as gone (driver spec §4.9, §10). */
#define TP_DRIVER_CLIENT_SILENCE_PERIODS 3

struct tp_driver_client_stct
{
    tp_driver_client_config_t config;
    tp_lease_state_t state;
    tp_driver_lease_t lease;
    tp_driver_client_counters_t counters;
    int64_t correlation_id;       /* attach in flight */
    int64_t stale_correlation_id; /* attach that timed out: a late OK for it is detached, not used */
    int64_t detach_correlation_id;
    bool attach_sent; /* ATTACHING: the request went out (otherwise poll retries the send) */
    bool closing;     /* detach called: never reattach */
    bool ever_attached;
    bool awaiting_remap;
    bool deadline_pending; /* the response's expiry still binds: no keepalive sent since */
    uint64_t remap_from_epoch;
    uint64_t deadline_ns; /* ATTACHING: attach timeout; BACKOFF: retry; DETACHING: give up; ATTACHED: remap */
    uint64_t next_keepalive_ns;
    uint64_t driver_heard_ns; /* ATTACHED: when the driver last announced our stream or answered us */
    uint64_t backoff_ns;
    char last_error[TP_DRIVER_CLIENT_MESSAGE_MAX];
};

/* Unique per process: the pid in the high half keeps processes sharing a control stream apart. */
static atomic_uint_fast32_t tp_driver_client_correlation_counter;

static int64_t tp_driver_client_next_correlation(void)
{
    uint32_t low = (uint32_t)atomic_fetch_add_explicit(&tp_driver_client_correlation_counter, 1, memory_order_relaxed);
    return (int64_t)(((uint64_t)(uint32_t)getpid() << 32) | (uint64_t)(low + 1U));
}

const char *tp_lease_state_name(tp_lease_state_t state)
{
    switch (state)
    {
        case TP_LEASE_UNATTACHED:
            return "UNATTACHED";
        case TP_LEASE_ATTACHING:
            return "ATTACHING";
        case TP_LEASE_ATTACHED:
            return "ATTACHED";
        case TP_LEASE_DETACHING:
            return "DETACHING";
        case TP_LEASE_BACKOFF:
            return "BACKOFF";
    }
    return "UNKNOWN";
}

void tp_driver_client_config_init(tp_driver_client_config_t *config)
{
    memset(config, 0, sizeof(*config));
    config->role = TP_DRIVER_ROLE_CONSUMER;
    config->publish_mode = TP_DRIVER_PUBLISH_REQUIRE_EXISTING;
    config->require_hugepages = TP_DRIVER_HUGEPAGES_UNSPECIFIED;
    config->attach_timeout_ns = 2000000000ULL;
    config->keepalive_interval_ns = 1000000000ULL;
    config->backoff_initial_ns = 100000000ULL;
    config->backoff_max_ns = 2000000000ULL;
    config->announce_period_ns = 1000000000ULL;
    config->detach_timeout_ns = 200000000ULL;
}

int tp_driver_client_init(tp_driver_client_t **client, const tp_driver_client_config_t *config)
{
    if (NULL == client || NULL == config || NULL == config->send)
    {
        TP_SET_ERR(EINVAL, "driver client: client, config and config->send are required");
        return -1;
    }
    if (TP_DRIVER_ROLE_PRODUCER != config->role && TP_DRIVER_ROLE_CONSUMER != config->role)
    {
        TP_SET_ERR(EINVAL, "driver client: role %u is neither PRODUCER (1) nor CONSUMER (2)", config->role);
        return -1;
    }
    if (TP_DRIVER_PUBLISH_REQUIRE_EXISTING != config->publish_mode &&
        TP_DRIVER_PUBLISH_EXISTING_OR_CREATE != config->publish_mode)
    {
        TP_SET_ERR(EINVAL, "driver client: publish mode %u is neither REQUIRE_EXISTING (1) nor EXISTING_OR_CREATE (2)",
                   config->publish_mode);
        return -1;
    }
    if (config->require_hugepages > 2)
    {
        TP_SET_ERR(EINVAL, "driver client: hugepages policy %u is not 0, 1 or 2", config->require_hugepages);
        return -1;
    }
    if (0 == config->attach_timeout_ns || 0 == config->keepalive_interval_ns || 0 == config->backoff_initial_ns ||
        config->backoff_max_ns < config->backoff_initial_ns || 0 == config->announce_period_ns)
    {
        TP_SET_ERR(EINVAL,
                   "driver client: timings must be > 0 and backoff max >= initial (attach %llu, keepalive %llu, "
                   "backoff %llu..%llu, announce %llu ns)",
                   (unsigned long long)config->attach_timeout_ns, (unsigned long long)config->keepalive_interval_ns,
                   (unsigned long long)config->backoff_initial_ns, (unsigned long long)config->backoff_max_ns,
                   (unsigned long long)config->announce_period_ns);
        return -1;
    }
    tp_driver_client_t *c = calloc(1, sizeof(*c));
    if (NULL == c)
    {
        TP_SET_ERR(ENOMEM, "driver client: out of memory (%zu bytes)", sizeof(*c));
        return -1;
    }
    c->config = *config;
    c->state = TP_LEASE_UNATTACHED;
    c->backoff_ns = config->backoff_initial_ns;
    *client = c;
    return 0;
}

void tp_driver_client_close(tp_driver_client_t *client)
{
    free(client);
}

static void tp_driver_client_set_state(tp_driver_client_t *c, tp_lease_state_t to, const char *reason)
{
    tp_lease_state_t from = c->state;
    c->state = to;
    if (from != to && NULL != c->config.on_state)
    {
        c->config.on_state(c->config.state_clientd, from, to, NULL == reason ? "" : reason);
    }
}

static void tp_driver_client_emit(tp_driver_client_t *c, tp_driver_client_event_t event, const char *reason)
{
    if (NULL != c->config.on_event)
    {
        c->config.on_event(c->config.event_clientd, event, reason);
    }
}

static int tp_driver_client_send_attach(tp_driver_client_t *c)
{
    uint8_t buffer[TP_DRIVER_CLIENT_SEND_BUFFER];
    struct shm_tensorpool_driver_shmAttachRequest msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    if (NULL ==
        shm_tensorpool_driver_shmAttachRequest_wrap_and_apply_header(&msg, (char *)buffer, 0, sizeof(buffer), &hdr))
    {
        return -1;
    }
    shm_tensorpool_driver_shmAttachRequest_set_correlationId(&msg, c->correlation_id);
    shm_tensorpool_driver_shmAttachRequest_set_streamId(&msg, c->config.stream_id);
    shm_tensorpool_driver_shmAttachRequest_set_clientId(&msg, c->config.client_id);
    shm_tensorpool_driver_shmAttachRequest_set_role(&msg, (enum shm_tensorpool_driver_role)c->config.role);
    shm_tensorpool_driver_shmAttachRequest_set_expectedLayoutVersion(&msg, c->config.expected_layout_version);
    shm_tensorpool_driver_shmAttachRequest_set_maxDims(&msg, 0); /* §4.3: omitted */
    shm_tensorpool_driver_shmAttachRequest_set_publishMode(
        &msg, (enum shm_tensorpool_driver_publishMode)c->config.publish_mode);
    shm_tensorpool_driver_shmAttachRequest_set_requireHugepages(
        &msg, (enum shm_tensorpool_driver_hugepagesPolicy)c->config.require_hugepages);
    size_t length = TP_CONTROL_HEADER_LENGTH + (size_t)shm_tensorpool_driver_shmAttachRequest_encoded_length(&msg);
    return c->config.send(c->config.send_clientd, buffer, length) < 0 ? -1 : 0;
}

static int tp_driver_client_send_detach(tp_driver_client_t *c, uint64_t lease_id, int64_t correlation_id)
{
    uint8_t buffer[TP_DRIVER_CLIENT_SEND_BUFFER];
    struct shm_tensorpool_driver_shmDetachRequest msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    if (NULL ==
        shm_tensorpool_driver_shmDetachRequest_wrap_and_apply_header(&msg, (char *)buffer, 0, sizeof(buffer), &hdr))
    {
        return -1;
    }
    shm_tensorpool_driver_shmDetachRequest_set_correlationId(&msg, correlation_id);
    shm_tensorpool_driver_shmDetachRequest_set_leaseId(&msg, lease_id);
    shm_tensorpool_driver_shmDetachRequest_set_streamId(&msg, c->config.stream_id);
    shm_tensorpool_driver_shmDetachRequest_set_clientId(&msg, c->config.client_id);
    shm_tensorpool_driver_shmDetachRequest_set_role(&msg, (enum shm_tensorpool_driver_role)c->config.role);
    size_t length = TP_CONTROL_HEADER_LENGTH + (size_t)shm_tensorpool_driver_shmDetachRequest_encoded_length(&msg);
    return c->config.send(c->config.send_clientd, buffer, length) < 0 ? -1 : 0;
}

static int tp_driver_client_send_keepalive(tp_driver_client_t *c, uint64_t now_ns)
{
    uint8_t buffer[TP_DRIVER_CLIENT_SEND_BUFFER];
    struct shm_tensorpool_driver_shmLeaseKeepalive msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    if (NULL ==
        shm_tensorpool_driver_shmLeaseKeepalive_wrap_and_apply_header(&msg, (char *)buffer, 0, sizeof(buffer), &hdr))
    {
        return -1;
    }
    shm_tensorpool_driver_shmLeaseKeepalive_set_leaseId(&msg, c->lease.lease_id);
    shm_tensorpool_driver_shmLeaseKeepalive_set_streamId(&msg, c->config.stream_id);
    shm_tensorpool_driver_shmLeaseKeepalive_set_clientId(&msg, c->config.client_id);
    shm_tensorpool_driver_shmLeaseKeepalive_set_role(&msg, (enum shm_tensorpool_driver_role)c->config.role);
    shm_tensorpool_driver_shmLeaseKeepalive_set_clientTimestampNs(&msg, now_ns);
    size_t length = TP_CONTROL_HEADER_LENGTH + (size_t)shm_tensorpool_driver_shmLeaseKeepalive_encoded_length(&msg);
    return c->config.send(c->config.send_clientd, buffer, length) < 0 ? -1 : 0;
}

static void tp_driver_client_note_error(tp_driver_client_t *c, const char *text, size_t length)
{
    if (length >= sizeof(c->last_error))
    {
        length = sizeof(c->last_error) - 1; /* §4.2: at most 1024 bytes are meaningful; keep that much */
    }
    if (length > 0)
    {
        memcpy(c->last_error, text, length);
    }
    c->last_error[length] = '\0';
}

/* Enter BACKOFF: the next attach goes out after the current delay, which then doubles up to the maximum. */
static void tp_driver_client_backoff(tp_driver_client_t *c, uint64_t now_ns, uint64_t delay_ns, const char *reason)
{
    c->deadline_ns = now_ns + delay_ns;
    c->awaiting_remap = false;
    c->attach_sent = false;
    uint64_t doubled = c->backoff_ns * 2;
    c->backoff_ns = doubled > c->config.backoff_max_ns ? c->config.backoff_max_ns : doubled;
    tp_driver_client_set_state(c, TP_LEASE_BACKOFF, reason);
}

/* The own lease is gone: tell the owner to drop the regions first, then back off. */
static void tp_driver_client_lose_lease(tp_driver_client_t *c, uint64_t now_ns, uint64_t delay_ns, const char *reason)
{
    tp_driver_client_note_error(c, reason, strlen(reason));
    c->awaiting_remap = false;
    tp_driver_client_emit(c, TP_DRIVER_CLIENT_EVENT_LEASE_LOST, reason);
    tp_driver_client_backoff(c, now_ns, delay_ns, reason);
}

static void tp_driver_client_start_attach(tp_driver_client_t *c, uint64_t now_ns)
{
    c->correlation_id = tp_driver_client_next_correlation();
    c->attach_sent = 0 == tp_driver_client_send_attach(c);
    c->deadline_ns = now_ns + c->config.attach_timeout_ns;
    tp_driver_client_set_state(c, TP_LEASE_ATTACHING, c->ever_attached ? "reattach" : "attach");
}

int tp_driver_client_attach(tp_driver_client_t *client, uint64_t now_ns)
{
    if (TP_LEASE_UNATTACHED != client->state)
    {
        TP_SET_ERR(TP_ERR_STATE, "driver client: attach in state %s (only from UNATTACHED)",
                   tp_lease_state_name(client->state));
        return -1;
    }
    client->closing = false;
    client->backoff_ns = client->config.backoff_initial_ns;
    tp_driver_client_start_attach(client, now_ns);
    return 0;
}

/* Protocol error on a response of ours: fail closed, free the lease on the driver if it granted one, retry. */
static void tp_driver_client_protocol_error(tp_driver_client_t *c, uint64_t now_ns, uint64_t lease_id,
                                            const char *reason)
{
    c->counters.protocol_errors++;
    c->counters.attach_failures++;
    tp_driver_client_note_error(c, reason, strlen(reason));
    if (UINT64_MAX != lease_id)
    {
        (void)tp_driver_client_send_detach(c, lease_id, tp_driver_client_next_correlation());
    }
    tp_driver_client_backoff(c, now_ns, c->backoff_ns, reason);
}

static bool tp_driver_client_uri_ok(const char *text, size_t length, char *dst, char *why, size_t why_capacity,
                                    const char *what)
{
    bool blank = true;
    for (size_t i = 0; i < length; i++)
    {
        if (' ' != text[i] && '\t' != text[i] && '\r' != text[i] && '\n' != text[i])
        {
            blank = false;
            break;
        }
    }
    if (NULL == text || 0 == length || blank)
    {
        snprintf(why, why_capacity, "protocol error: %s region URI is empty or blank", what);
        return false;
    }
    if (length >= TP_DRIVER_CLIENT_URI_MAX)
    {
        snprintf(why, why_capacity, "protocol error: %s region URI of %zu bytes is too long", what, length);
        return false;
    }
    tp_shm_uri_t uri;
    if (0 != tp_shm_uri_parse_n(&uri, text, length))
    {
        snprintf(why, why_capacity, "protocol error: %s region URI '%.*s' is invalid", what,
                 (int)(length > 160 ? 160 : length), text);
        tp_err_clear(); /* the reason travels with the state change, not the thread-local error */
        return false;
    }
    memcpy(dst, text, length);
    dst[length] = '\0';
    return true;
}

/* Every rule of §4.2 for code=OK. Returns true with c->lease filled, false with why set. */
static bool tp_driver_client_validate_ok(tp_driver_client_t *c, struct shm_tensorpool_driver_shmAttachResponse *msg,
                                         tp_driver_lease_t *lease, char *why, size_t why_capacity)
{
    memset(lease, 0, sizeof(*lease));
    lease->lease_id = shm_tensorpool_driver_shmAttachResponse_leaseId(msg);
    lease->expiry_ns = shm_tensorpool_driver_shmAttachResponse_leaseExpiryTimestampNs(msg);
    lease->stream_id = shm_tensorpool_driver_shmAttachResponse_streamId(msg);
    lease->epoch = shm_tensorpool_driver_shmAttachResponse_epoch(msg);
    lease->layout_version = shm_tensorpool_driver_shmAttachResponse_layoutVersion(msg);
    lease->header_nslots = shm_tensorpool_driver_shmAttachResponse_headerNslots(msg);
    lease->header_slot_bytes = shm_tensorpool_driver_shmAttachResponse_headerSlotBytes(msg);
    lease->max_dims = shm_tensorpool_driver_shmAttachResponse_maxDims(msg);

    const char *null_field = NULL;
    if (UINT64_MAX == lease->lease_id)
    {
        null_field = "leaseId";
    }
    else if (UINT32_MAX == lease->stream_id)
    {
        null_field = "streamId";
    }
    else if (UINT64_MAX == lease->epoch)
    {
        null_field = "epoch";
    }
    else if (UINT32_MAX == lease->layout_version)
    {
        null_field = "layoutVersion";
    }
    else if (UINT32_MAX == lease->header_nslots)
    {
        null_field = "headerNslots";
    }
    else if (UINT16_MAX == lease->header_slot_bytes)
    {
        null_field = "headerSlotBytes";
    }
    else if (UINT8_MAX == lease->max_dims)
    {
        null_field = "maxDims";
    }
    if (NULL != null_field)
    {
        snprintf(why, why_capacity, "protocol error: required field %s is null in an OK attach response", null_field);
        return false;
    }
    if (lease->stream_id != c->config.stream_id)
    {
        snprintf(why, why_capacity, "protocol error: attach response for stream %u, requested %u", lease->stream_id,
                 c->config.stream_id);
        return false;
    }
    if (TP_DRIVER_CLIENT_HEADER_SLOT != lease->header_slot_bytes)
    {
        snprintf(why, why_capacity, "protocol error: headerSlotBytes %u, must be %u", lease->header_slot_bytes,
                 TP_DRIVER_CLIENT_HEADER_SLOT);
        return false;
    }
    if (TP_DRIVER_CLIENT_MAX_DIMS != lease->max_dims)
    {
        snprintf(why, why_capacity, "protocol error: maxDims %u, must be %u", lease->max_dims,
                 TP_DRIVER_CLIENT_MAX_DIMS);
        return false;
    }
    if (0 == lease->header_nslots)
    {
        snprintf(why, why_capacity, "protocol error: headerNslots is 0");
        return false;
    }
    if (0 != c->config.expected_layout_version && lease->layout_version != c->config.expected_layout_version)
    {
        snprintf(why, why_capacity, "protocol error: layoutVersion %u, requested %u", lease->layout_version,
                 c->config.expected_layout_version);
        return false;
    }

    struct shm_tensorpool_driver_shmAttachResponse_payloadPools group;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_get_payloadPools(msg, &group))
    {
        snprintf(why, why_capacity, "protocol error: payloadPools group truncated");
        return false;
    }
    uint64_t count = shm_tensorpool_driver_shmAttachResponse_payloadPools_count(&group);
    if (0 == count)
    {
        snprintf(why, why_capacity, "protocol error: payloadPools is empty");
        return false;
    }
    if (count > TP_DRIVER_CLIENT_MAX_POOLS)
    {
        snprintf(why, why_capacity, "protocol error: %llu payload pools, at most %d supported",
                 (unsigned long long)count, TP_DRIVER_CLIENT_MAX_POOLS);
        return false;
    }
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&group))
        {
            snprintf(why, why_capacity, "protocol error: payloadPools entry %llu truncated", (unsigned long long)i);
            return false;
        }
        tp_driver_pool_t *pool = &lease->pools[i];
        pool->pool_id = shm_tensorpool_driver_shmAttachResponse_payloadPools_poolId(&group);
        pool->nslots = shm_tensorpool_driver_shmAttachResponse_payloadPools_poolNslots(&group);
        pool->stride_bytes = shm_tensorpool_driver_shmAttachResponse_payloadPools_strideBytes(&group);
        struct shm_tensorpool_driver_shmAttachResponse_string_view uri =
            shm_tensorpool_driver_shmAttachResponse_payloadPools_get_regionUri_as_string_view(&group);
        if (pool->nslots != lease->header_nslots)
        {
            snprintf(why, why_capacity, "protocol error: pool %u has poolNslots %u, headerNslots is %u", pool->pool_id,
                     pool->nslots, lease->header_nslots);
            return false;
        }
        if (0 == pool->stride_bytes || UINT32_MAX == pool->stride_bytes)
        {
            snprintf(why, why_capacity, "protocol error: pool %u has strideBytes %u", pool->pool_id,
                     pool->stride_bytes);
            return false;
        }
        for (uint64_t j = 0; j < i; j++)
        {
            if (lease->pools[j].pool_id == pool->pool_id)
            {
                snprintf(why, why_capacity, "protocol error: pool id %u appears twice", pool->pool_id);
                return false;
            }
        }
        if (!tp_driver_client_uri_ok(uri.data, uri.length, pool->uri, why, why_capacity, "payload pool"))
        {
            return false;
        }
        lease->pool_count = (size_t)i + 1;
    }
    struct shm_tensorpool_driver_shmAttachResponse_string_view header_uri =
        shm_tensorpool_driver_shmAttachResponse_get_headerRegionUri_as_string_view(msg);
    if (!tp_driver_client_uri_ok(header_uri.data, header_uri.length, lease->header_uri, why, why_capacity, "header"))
    {
        return false;
    }
    return true;
}

static void tp_driver_client_on_attach_response(tp_driver_client_t *c, const tp_control_header_t *hdr,
                                                const uint8_t *buffer, size_t length, uint64_t now_ns)
{
    struct shm_tensorpool_driver_shmAttachResponse msg;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                        hdr->block_length, hdr->version, length))
    {
        c->counters.ignored_messages++;
        return;
    }
    int64_t correlation_id = shm_tensorpool_driver_shmAttachResponse_correlationId(&msg);
    int32_t code = shm_tensorpool_driver_shmAttachResponse_code_raw(&msg);
    if (correlation_id != c->correlation_id || TP_LEASE_ATTACHING != c->state)
    {
        /* A late grant for an attach we gave up on would hold our clientId's lease on the driver: release it. */
        if (0 != c->stale_correlation_id && correlation_id == c->stale_correlation_id && 0 == code)
        {
            uint64_t lease_id = shm_tensorpool_driver_shmAttachResponse_leaseId(&msg);
            if (UINT64_MAX != lease_id)
            {
                (void)tp_driver_client_send_detach(c, lease_id, tp_driver_client_next_correlation());
            }
            c->stale_correlation_id = 0;
        }
        c->counters.ignored_messages++;
        return;
    }
    char why[TP_DRIVER_CLIENT_REASON_MAX];
    enum shm_tensorpool_driver_responseCode response_code;
    if (!shm_tensorpool_driver_responseCode_get(code, &response_code))
    {
        snprintf(why, sizeof(why), "protocol error: unknown response code %d", code);
        tp_driver_client_protocol_error(c, now_ns, UINT64_MAX, why);
        return;
    }
    if (shm_tensorpool_driver_responseCode_OK != response_code)
    {
        /* The driver's diagnostic is what the application needs to see (e.g. "producer already attached"). */
        struct shm_tensorpool_driver_shmAttachResponse_payloadPools group;
        struct shm_tensorpool_driver_shmAttachResponse_string_view text = {NULL, 0};
        if (NULL != shm_tensorpool_driver_shmAttachResponse_get_payloadPools(&msg, &group))
        {
            bool ok = true;
            while (ok && shm_tensorpool_driver_shmAttachResponse_payloadPools_has_next(&group))
            {
                ok = NULL != shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&group) &&
                     shm_tensorpool_driver_shmAttachResponse_payloadPools_skip_regionUri(&group);
            }
            if (ok && shm_tensorpool_driver_shmAttachResponse_skip_headerRegionUri(&msg))
            {
                text = shm_tensorpool_driver_shmAttachResponse_get_errorMessage_as_string_view(&msg);
            }
        }
        c->counters.attach_failures++;
        int n = snprintf(why, sizeof(why), "attach rejected (code %d)%s", code, text.length > 0 ? ": " : "");
        tp_driver_client_note_error(c, why, (size_t)n);
        if (text.length > 0)
        {
            size_t used = strlen(c->last_error);
            size_t room = sizeof(c->last_error) - 1 - used;
            size_t take = text.length < room ? text.length : room;
            memcpy(c->last_error + used, text.data, take);
            c->last_error[used + take] = '\0';
        }
        tp_driver_client_backoff(c, now_ns, c->backoff_ns, c->last_error);
        return;
    }
    if (!tp_driver_client_validate_ok(c, &msg, &c->lease, why, sizeof(why)))
    {
        tp_driver_client_protocol_error(c, now_ns, shm_tensorpool_driver_shmAttachResponse_leaseId(&msg), why);
        return;
    }
    c->counters.attaches++;
    if (c->ever_attached)
    {
        c->counters.reattaches++;
    }
    c->ever_attached = true;
    c->last_error[0] = '\0';
    c->backoff_ns = c->config.backoff_initial_ns;
    c->awaiting_remap = false;
    c->deadline_pending = TP_DRIVER_CLIENT_NO_EXPIRY != c->lease.expiry_ns;
    /* Keep well inside a hard deadline that is nearer than one interval. */
    uint64_t next = now_ns + c->config.keepalive_interval_ns;
    if (c->deadline_pending && c->lease.expiry_ns > now_ns &&
        c->lease.expiry_ns - now_ns < 2 * c->config.keepalive_interval_ns)
    {
        next = now_ns + (c->lease.expiry_ns - now_ns) / 2;
    }
    c->next_keepalive_ns = next;
    c->driver_heard_ns = now_ns;
    tp_driver_client_set_state(c, TP_LEASE_ATTACHED, "lease granted");
    tp_driver_client_emit(c, TP_DRIVER_CLIENT_EVENT_ATTACHED, "lease granted");
}

static void tp_driver_client_on_detach_response(tp_driver_client_t *c, const tp_control_header_t *hdr,
                                                const uint8_t *buffer, size_t length)
{
    struct shm_tensorpool_driver_shmDetachResponse msg;
    if (NULL == shm_tensorpool_driver_shmDetachResponse_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                        hdr->block_length, hdr->version, length) ||
        TP_LEASE_DETACHING != c->state ||
        shm_tensorpool_driver_shmDetachResponse_correlationId(&msg) != c->detach_correlation_id)
    {
        c->counters.ignored_messages++;
        return;
    }
    /* OK or REJECTED (already gone): either way the lease is no longer ours (§4.9, idempotent). */
    tp_driver_client_set_state(c, TP_LEASE_UNATTACHED, "detached");
}

static void tp_driver_client_on_revoked(tp_driver_client_t *c, const tp_control_header_t *hdr, const uint8_t *buffer,
                                        size_t length, uint64_t now_ns)
{
    struct shm_tensorpool_driver_shmLeaseRevoked msg;
    if (NULL == shm_tensorpool_driver_shmLeaseRevoked_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                      hdr->block_length, hdr->version, length))
    {
        c->counters.protocol_errors++;
        return;
    }
    enum shm_tensorpool_driver_role role;
    enum shm_tensorpool_driver_leaseRevokeReason reason;
    if (!shm_tensorpool_driver_role_get(shm_tensorpool_driver_shmLeaseRevoked_role_raw(&msg), &role) ||
        !shm_tensorpool_driver_leaseRevokeReason_get(shm_tensorpool_driver_shmLeaseRevoked_reason_raw(&msg), &reason) ||
        shm_tensorpool_driver_role_NULL_VALUE == role || shm_tensorpool_driver_leaseRevokeReason_NULL_VALUE == reason)
    {
        /* §4.9: unknown role or reason is rejected, whoever it names; the codec's _get accepts the null value
         * (255), which is neither a role nor a reason (and would index past the reason names). */
        c->counters.protocol_errors++;
        return;
    }
    uint32_t stream_id = shm_tensorpool_driver_shmLeaseRevoked_streamId(&msg);
    if (TP_LEASE_ATTACHED != c->state || stream_id != c->config.stream_id)
    {
        c->counters.ignored_messages++;
        return;
    }
    static const char *const reasons[] = {"", "DETACHED", "EXPIRED", "REVOKED"};
    char why[TP_DRIVER_CLIENT_REASON_MAX];
    if (shm_tensorpool_driver_shmLeaseRevoked_leaseId(&msg) == c->lease.lease_id &&
        shm_tensorpool_driver_shmLeaseRevoked_clientId(&msg) == c->config.client_id && (uint8_t)role == c->config.role)
    {
        c->counters.revocations++;
        snprintf(why, sizeof(why), "lease %llu %s by the driver", (unsigned long long)c->lease.lease_id,
                 reasons[reason]);
        tp_driver_client_lose_lease(c, now_ns, c->config.backoff_initial_ns, why);
        return;
    }
    if (TP_DRIVER_ROLE_CONSUMER == c->config.role && shm_tensorpool_driver_role_PRODUCER == role)
    {
        if (!c->awaiting_remap) /* duplicates are idempotent: the first one starts the wait */
        {
            c->counters.revocations++;
            c->awaiting_remap = true;
            c->remap_from_epoch = c->lease.epoch;
            c->deadline_ns = now_ns + 3 * c->config.announce_period_ns;
            snprintf(why, sizeof(why), "producer lease of stream %u %s", stream_id, reasons[reason]);
            tp_driver_client_emit(c, TP_DRIVER_CLIENT_EVENT_PRODUCER_REVOKED, why);
        }
        return;
    }
    c->counters.ignored_messages++;
}

static void tp_driver_client_on_shutdown(tp_driver_client_t *c, const tp_control_header_t *hdr, const uint8_t *buffer,
                                         size_t length, uint64_t now_ns)
{
    struct shm_tensorpool_driver_shmDriverShutdown msg;
    if (NULL == shm_tensorpool_driver_shmDriverShutdown_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                        hdr->block_length, hdr->version, length))
    {
        c->counters.protocol_errors++;
        return;
    }
    c->counters.driver_shutdowns++;
    if (TP_LEASE_UNATTACHED == c->state)
    {
        return;
    }
    if (TP_LEASE_DETACHING == c->state)
    {
        tp_driver_client_set_state(c, TP_LEASE_UNATTACHED, "driver shut down");
        return;
    }
    /* Give a restarting driver time: retry after the longest backoff. */
    if (TP_LEASE_ATTACHED == c->state)
    {
        tp_driver_client_lose_lease(c, now_ns, c->config.backoff_max_ns, "driver shut down");
    }
    else
    {
        tp_driver_client_note_error(c, "driver shut down", strlen("driver shut down"));
        tp_driver_client_backoff(c, now_ns, c->config.backoff_max_ns, "driver shut down");
    }
}

/* The driver announces every stream it serves each period (driver spec §8): its silence means it is gone (§10). */
static void tp_driver_client_note_announce(tp_driver_client_t *c, const tp_control_header_t *hdr, const uint8_t *buffer,
                                           size_t length, uint64_t now_ns)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    if (TP_LEASE_ATTACHED == c->state && TP_CONTROL_SCHEMA_ID == hdr->schema_id &&
        SHM_TENSORPOOL_CONTROL_SHM_POOL_ANNOUNCE_SBE_TEMPLATE_ID == hdr->template_id &&
        NULL != shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                       hdr->block_length, hdr->version, length) &&
        shm_tensorpool_control_shmPoolAnnounce_streamId(&msg) == c->config.stream_id)
    {
        /* A producer's driver announces it as the stream's producer on its lease's epoch. Announces naming another
         * producer or epoch come from a driver that does not hold our lease (one restarted since we attached, found
         * by scripts/chaos.sh): they must not keep a dead lease alive. */
        if (TP_DRIVER_ROLE_PRODUCER == c->config.role &&
            (shm_tensorpool_control_shmPoolAnnounce_producerId(&msg) != c->config.client_id ||
             shm_tensorpool_control_shmPoolAnnounce_epoch(&msg) != c->lease.epoch))
        {
            return;
        }
        c->driver_heard_ns = now_ns;
    }
}

int tp_driver_client_on_message(tp_driver_client_t *client, const uint8_t *buffer, size_t length, uint64_t now_ns)
{
    tp_control_header_t hdr;
    if (TP_CONTROL_PEEK_SHORT == tp_control_peek(buffer, length, &hdr) || TP_DRIVER_CLIENT_SCHEMA_ID != hdr.schema_id)
    {
        if (TP_CONTROL_PEEK_SHORT != tp_control_peek(buffer, length, &hdr))
        {
            tp_driver_client_note_announce(client, &hdr, buffer, length, now_ns);
        }
        client->counters.ignored_messages++; /* wire-schema traffic shares the control stream */
        return 0;
    }
    /* §4.4a: a newer schema version than ours is rejected, not guessed at. */
    if (hdr.version > shm_tensorpool_driver_shmAttachResponse_sbe_schema_version())
    {
        client->counters.protocol_errors++;
        return 0;
    }
    switch (hdr.template_id)
    {
        case SHM_TENSORPOOL_DRIVER_SHM_ATTACH_RESPONSE_SBE_TEMPLATE_ID:
            tp_driver_client_on_attach_response(client, &hdr, buffer, length, now_ns);
            return 1;
        case SHM_TENSORPOOL_DRIVER_SHM_DETACH_RESPONSE_SBE_TEMPLATE_ID:
            tp_driver_client_on_detach_response(client, &hdr, buffer, length);
            return 1;
        case SHM_TENSORPOOL_DRIVER_SHM_LEASE_REVOKED_SBE_TEMPLATE_ID:
            tp_driver_client_on_revoked(client, &hdr, buffer, length, now_ns);
            return 1;
        case SHM_TENSORPOOL_DRIVER_SHM_DRIVER_SHUTDOWN_SBE_TEMPLATE_ID:
            tp_driver_client_on_shutdown(client, &hdr, buffer, length, now_ns);
            return 1;
        case SHM_TENSORPOOL_DRIVER_SHM_ATTACH_REQUEST_SBE_TEMPLATE_ID:
        case SHM_TENSORPOOL_DRIVER_SHM_DETACH_REQUEST_SBE_TEMPLATE_ID:
        case SHM_TENSORPOOL_DRIVER_SHM_LEASE_KEEPALIVE_SBE_TEMPLATE_ID:
        case SHM_TENSORPOOL_DRIVER_SHM_DRIVER_SHUTDOWN_REQUEST_SBE_TEMPLATE_ID:
            client->counters.ignored_messages++; /* requests of clients (ours included) on the shared stream */
            return 0;
        default:
            client->counters.protocol_errors++; /* §4.4a: unknown template of the driver schema */
            return 0;
    }
}

int tp_driver_client_poll(tp_driver_client_t *client, uint64_t now_ns)
{
    tp_driver_client_t *c = client;
    switch (c->state)
    {
        case TP_LEASE_UNATTACHED:
            return 0;
        case TP_LEASE_ATTACHING:
            if (now_ns >= c->deadline_ns)
            {
                c->counters.attach_failures++;
                c->stale_correlation_id = c->correlation_id;
                tp_driver_client_note_error(c, "attach timed out", strlen("attach timed out"));
                tp_driver_client_backoff(c, now_ns, c->backoff_ns, "attach timed out");
                return 1;
            }
            if (!c->attach_sent)
            {
                c->attach_sent = 0 == tp_driver_client_send_attach(c);
                return c->attach_sent ? 1 : 0;
            }
            return 0;
        case TP_LEASE_BACKOFF:
            if (now_ns >= c->deadline_ns && !c->closing)
            {
                tp_driver_client_start_attach(c, now_ns);
                return 1;
            }
            return 0;
        case TP_LEASE_DETACHING:
            if (now_ns >= c->deadline_ns)
            {
                tp_driver_client_set_state(c, TP_LEASE_UNATTACHED, "detach not answered");
                return 1;
            }
            return 0;
        case TP_LEASE_ATTACHED:
            break;
    }
    int work = 0;
    if (c->deadline_pending && now_ns >= c->lease.expiry_ns)
    {
        c->counters.revocations++;
        tp_driver_client_lose_lease(c, now_ns, c->config.backoff_initial_ns, "lease expired before a keepalive");
        return 1;
    }
    if (!c->awaiting_remap &&
        now_ns - c->driver_heard_ns > TP_DRIVER_CLIENT_SILENCE_PERIODS * c->config.announce_period_ns)
    {
        /* §10: no announce of our stream for 3 periods: the driver is gone; its regions are stale. */
        c->counters.revocations++;
        tp_driver_client_lose_lease(c, now_ns, c->config.backoff_initial_ns, "driver silent: no ShmPoolAnnounce");
        return 1;
    }
    if (c->awaiting_remap && now_ns >= c->deadline_ns)
    {
        /* No epoch-bumped announce in 3 periods: give the lease back and start over (§4.9). */
        (void)tp_driver_client_send_detach(c, c->lease.lease_id, tp_driver_client_next_correlation());
        tp_driver_client_lose_lease(c, now_ns, c->config.backoff_initial_ns, "no announce after producer revoke");
        return 1;
    }
    if (now_ns >= c->next_keepalive_ns)
    {
        if (0 != tp_driver_client_send_keepalive(c, now_ns))
        {
            /* §4.4: a keepalive that cannot be sent means the driver is unreachable: reattach. */
            tp_driver_client_lose_lease(c, now_ns, c->config.backoff_initial_ns, "keepalive could not be sent");
            return 1;
        }
        c->counters.keepalives_sent++;
        c->deadline_pending = false;
        c->next_keepalive_ns = now_ns + c->config.keepalive_interval_ns;
        work++;
    }
    return work;
}

void tp_driver_client_fail(tp_driver_client_t *client, uint64_t now_ns, const char *reason)
{
    if (TP_LEASE_ATTACHED != client->state)
    {
        return;
    }
    client->counters.attach_failures++;
    tp_driver_client_note_error(client, reason, strlen(reason));
    (void)tp_driver_client_send_detach(client, client->lease.lease_id, tp_driver_client_next_correlation());
    tp_driver_client_backoff(client, now_ns, client->backoff_ns, reason);
}

void tp_driver_client_on_epoch(tp_driver_client_t *client, uint64_t epoch)
{
    if (TP_LEASE_ATTACHED != client->state)
    {
        return;
    }
    if (client->awaiting_remap && epoch > client->remap_from_epoch)
    {
        client->awaiting_remap = false;
    }
    if (epoch > client->lease.epoch)
    {
        client->lease.epoch = epoch;
    }
}

int tp_driver_client_detach(tp_driver_client_t *client, uint64_t now_ns)
{
    client->closing = true;
    if (TP_LEASE_ATTACHING == client->state)
    {
        client->stale_correlation_id = client->correlation_id; /* a grant arriving later is handed back */
    }
    if (TP_LEASE_ATTACHED == client->state)
    {
        client->detach_correlation_id = tp_driver_client_next_correlation();
        client->awaiting_remap = false;
        if (0 == tp_driver_client_send_detach(client, client->lease.lease_id, client->detach_correlation_id))
        {
            client->deadline_ns = now_ns + client->config.detach_timeout_ns;
            tp_driver_client_set_state(client, TP_LEASE_DETACHING, "close");
            return 0;
        }
    }
    tp_driver_client_set_state(client, TP_LEASE_UNATTACHED, "close");
    return 0;
}

tp_lease_state_t tp_driver_client_state(const tp_driver_client_t *client)
{
    return client->state;
}

const tp_driver_lease_t *tp_driver_client_lease(const tp_driver_client_t *client)
{
    return &client->lease;
}

bool tp_driver_client_awaiting_remap(const tp_driver_client_t *client)
{
    return client->awaiting_remap;
}

const char *tp_driver_client_last_error(const tp_driver_client_t *client)
{
    return client->last_error;
}

const tp_driver_client_counters_t *tp_driver_client_counters(const tp_driver_client_t *client)
{
    return &client->counters;
}

void tp_driver_client_lease_counters(const tp_driver_client_t *client, tp_lease_counters_t *out)
{
    const tp_driver_client_counters_t *d = &client->counters;
    *out = (tp_lease_counters_t){d->attaches,   d->attach_failures, d->revocations,
                                 d->reattaches, d->keepalives_sent, d->driver_shutdowns};
}

int64_t tp_driver_client_correlation_id(const tp_driver_client_t *client)
{
    return client->correlation_id;
}

uint64_t tp_driver_client_backoff_deadline(const tp_driver_client_t *client)
{
    return client->deadline_ns;
}
