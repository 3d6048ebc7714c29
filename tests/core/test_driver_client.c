/*
 * Driver client state machine (driver model spec v1.0 §4) in isolation: requests captured from the send function
 * and decoded, responses and notices encoded by hand, time passed in explicitly. Covers the success path,
 * rejections with the driver's message kept, every §4.2 rule on an OK response (fail closed, lease handed back,
 * retry with bounded exponential backoff), schema gating (§4.4a), keepalive timing and hard deadline, own and
 * producer revocations, remap timeout, driver shutdown and detach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/tp_driver_client.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDetachResponse.h"
#include "shm_tensorpool_driver/shmDriverShutdown.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

#define MS        1000000ULL
#define SENT_MAX  64
#define T0        1000000000ULL
#define STREAM_ID 10000
#define CLIENT_ID 42

typedef struct sent_stct
{
    uint8_t bytes[256];
    size_t length;
} sent_t;

typedef struct fixture_stct
{
    sent_t sent[SENT_MAX];
    size_t sent_count;
    bool send_fails;
    int events[16];
    size_t event_count;
    tp_lease_state_t transitions[32][2];
    char last_reason[1100];
    size_t transition_count;
    tp_driver_client_t *dc;
    uint8_t buffer[8192];
} fixture_t;

static int fake_send(void *clientd, const uint8_t *buffer, size_t length)
{
    fixture_t *f = clientd;
    if (f->send_fails)
    {
        return -1;
    }
    assert_true(f->sent_count < SENT_MAX && length <= sizeof(f->sent[0].bytes));
    memcpy(f->sent[f->sent_count].bytes, buffer, length);
    f->sent[f->sent_count].length = length;
    f->sent_count++;
    return 0;
}

static void on_event(void *clientd, tp_driver_client_event_t event, const char *reason)
{
    fixture_t *f = clientd;
    assert_true(f->event_count < 16);
    f->events[f->event_count++] = (int)event;
}

static void on_state(void *clientd, tp_lease_state_t from, tp_lease_state_t to, const char *reason)
{
    fixture_t *f = clientd;
    assert_true(f->transition_count < 32);
    f->transitions[f->transition_count][0] = from;
    f->transitions[f->transition_count][1] = to;
    f->transition_count++;
    snprintf(f->last_reason, sizeof(f->last_reason), "%s", reason);
}

static tp_driver_client_t *make_client(fixture_t *f, uint8_t role)
{
    tp_driver_client_config_t cfg;
    tp_driver_client_config_init(&cfg);
    cfg.client_id = CLIENT_ID;
    cfg.stream_id = STREAM_ID;
    cfg.role = role;
    cfg.publish_mode =
        TP_DRIVER_ROLE_PRODUCER == role ? TP_DRIVER_PUBLISH_EXISTING_OR_CREATE : TP_DRIVER_PUBLISH_REQUIRE_EXISTING;
    cfg.send = fake_send;
    cfg.send_clientd = f;
    cfg.on_event = on_event;
    cfg.event_clientd = f;
    cfg.on_state = on_state;
    cfg.state_clientd = f;
    assert_int_equal(0, tp_driver_client_init(&f->dc, &cfg));
    return f->dc;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tp_driver_client_close(f->dc);
    free(f);
    return 0;
}

static uint16_t sent_template(const sent_t *s)
{
    return (uint16_t)(s->bytes[2] | (s->bytes[3] << 8));
}

/* ---- hand encoders ---- */

typedef struct response_spec_stct
{
    int64_t correlation_id;
    int32_t code;
    uint64_t lease_id;
    uint64_t expiry_ns;
    uint32_t stream_id;
    uint64_t epoch;
    uint32_t layout_version;
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint8_t max_dims;
    uint16_t pool_count;
    uint32_t pool_nslots[4];
    uint32_t pool_stride[4];
    uint16_t pool_id[4];
    const char *pool_uri[4];
    const char *header_uri;
    const char *error_message;
    uint16_t schema_id;
    uint16_t version;
    uint16_t template_id;
    uint16_t block_length;
    size_t truncate_to; /* 0: whole message */
} response_spec_t;

static response_spec_t ok_spec(int64_t correlation_id)
{
    response_spec_t r = {0};
    r.correlation_id = correlation_id;
    r.code = 0;
    r.lease_id = 7;
    r.expiry_ns = UINT64_MAX;
    r.stream_id = STREAM_ID;
    r.epoch = 3;
    r.layout_version = 1;
    r.header_nslots = 16;
    r.header_slot_bytes = 256;
    r.max_dims = 8;
    r.pool_count = 2;
    for (int i = 0; i < 2; i++)
    {
        r.pool_nslots[i] = 16;
        r.pool_stride[i] = 4096u << i;
        r.pool_id[i] = (uint16_t)(i + 1);
    }
    r.pool_uri[0] = "shm:file?path=/dev/shm/tp/ns/d.stream-10000/epoch-3/payload-1.pool";
    r.pool_uri[1] = "shm:file?path=/dev/shm/tp/ns/d.stream-10000/epoch-3/payload-2.pool";
    r.header_uri = "shm:file?path=/dev/shm/tp/ns/d.stream-10000/epoch-3/header.ring";
    r.error_message = "";
    return r;
}

static size_t encode_response(uint8_t *buffer, size_t capacity, const response_spec_t *r)
{
    struct shm_tensorpool_driver_shmAttachResponse msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    assert_non_null(
        shm_tensorpool_driver_shmAttachResponse_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr));
    shm_tensorpool_driver_shmAttachResponse_set_correlationId(&msg, r->correlation_id);
    memcpy(buffer + 8 + 8, &r->code, sizeof(r->code)); /* raw, so unknown codes can be sent */
    shm_tensorpool_driver_shmAttachResponse_set_leaseId(&msg, r->lease_id);
    shm_tensorpool_driver_shmAttachResponse_set_leaseExpiryTimestampNs(&msg, r->expiry_ns);
    shm_tensorpool_driver_shmAttachResponse_set_streamId(&msg, r->stream_id);
    shm_tensorpool_driver_shmAttachResponse_set_epoch(&msg, r->epoch);
    shm_tensorpool_driver_shmAttachResponse_set_layoutVersion(&msg, r->layout_version);
    shm_tensorpool_driver_shmAttachResponse_set_headerNslots(&msg, r->header_nslots);
    shm_tensorpool_driver_shmAttachResponse_set_headerSlotBytes(&msg, r->header_slot_bytes);
    shm_tensorpool_driver_shmAttachResponse_set_maxDims(&msg, r->max_dims);
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools group;
    assert_non_null(shm_tensorpool_driver_shmAttachResponse_payloadPools_set_count(&msg, &group, r->pool_count));
    for (uint16_t i = 0; i < r->pool_count; i++)
    {
        assert_non_null(shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&group));
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolId(&group, r->pool_id[i]);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolNslots(&group, r->pool_nslots[i]);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_strideBytes(&group, r->pool_stride[i]);
        const char *uri = NULL == r->pool_uri[i] ? "" : r->pool_uri[i];
        assert_non_null(
            shm_tensorpool_driver_shmAttachResponse_payloadPools_put_regionUri(&group, uri, (uint32_t)strlen(uri)));
    }
    const char *header_uri = NULL == r->header_uri ? "" : r->header_uri;
    assert_non_null(
        shm_tensorpool_driver_shmAttachResponse_put_headerRegionUri(&msg, header_uri, (uint32_t)strlen(header_uri)));
    const char *text = NULL == r->error_message ? "" : r->error_message;
    assert_non_null(shm_tensorpool_driver_shmAttachResponse_put_errorMessage(&msg, text, (uint32_t)strlen(text)));
    size_t length = 8 + (size_t)shm_tensorpool_driver_shmAttachResponse_encoded_length(&msg);
    if (0 != r->schema_id)
    {
        buffer[4] = (uint8_t)(r->schema_id & 0xff);
        buffer[5] = (uint8_t)(r->schema_id >> 8);
    }
    if (0 != r->version)
    {
        buffer[6] = (uint8_t)(r->version & 0xff);
        buffer[7] = (uint8_t)(r->version >> 8);
    }
    if (0 != r->template_id)
    {
        buffer[2] = (uint8_t)(r->template_id & 0xff);
        buffer[3] = (uint8_t)(r->template_id >> 8);
    }
    if (0 != r->block_length)
    {
        buffer[0] = (uint8_t)(r->block_length & 0xff);
        buffer[1] = (uint8_t)(r->block_length >> 8);
    }
    return 0 != r->truncate_to ? r->truncate_to : length;
}

static size_t encode_revoked(uint8_t *buffer, size_t capacity, uint64_t lease_id, uint32_t stream_id,
                             uint32_t client_id, uint8_t role, uint8_t reason)
{
    struct shm_tensorpool_driver_shmLeaseRevoked msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    assert_non_null(
        shm_tensorpool_driver_shmLeaseRevoked_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr));
    shm_tensorpool_driver_shmLeaseRevoked_set_timestampNs(&msg, 1);
    shm_tensorpool_driver_shmLeaseRevoked_set_leaseId(&msg, lease_id);
    shm_tensorpool_driver_shmLeaseRevoked_set_streamId(&msg, stream_id);
    shm_tensorpool_driver_shmLeaseRevoked_set_clientId(&msg, client_id);
    size_t role_offset = shm_tensorpool_driver_shmLeaseRevoked_role_encoding_offset();
    size_t reason_offset = shm_tensorpool_driver_shmLeaseRevoked_reason_encoding_offset();
    buffer[8 + role_offset] = role; /* raw, so unknown values can be sent */
    buffer[8 + reason_offset] = reason;
    assert_non_null(shm_tensorpool_driver_shmLeaseRevoked_put_errorMessage(&msg, "", 0));
    return 8 + (size_t)shm_tensorpool_driver_shmLeaseRevoked_encoded_length(&msg);
}

static size_t encode_shutdown(uint8_t *buffer, size_t capacity)
{
    struct shm_tensorpool_driver_shmDriverShutdown msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    assert_non_null(
        shm_tensorpool_driver_shmDriverShutdown_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr));
    shm_tensorpool_driver_shmDriverShutdown_set_timestampNs(&msg, 1);
    shm_tensorpool_driver_shmDriverShutdown_set_reason(&msg, shm_tensorpool_driver_shutdownReason_NORMAL);
    assert_non_null(shm_tensorpool_driver_shmDriverShutdown_put_errorMessage(&msg, "bye", 3));
    return 8 + (size_t)shm_tensorpool_driver_shmDriverShutdown_encoded_length(&msg);
}

static size_t encode_detach_response(uint8_t *buffer, size_t capacity, int64_t correlation_id)
{
    struct shm_tensorpool_driver_shmDetachResponse msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    assert_non_null(
        shm_tensorpool_driver_shmDetachResponse_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr));
    shm_tensorpool_driver_shmDetachResponse_set_correlationId(&msg, correlation_id);
    shm_tensorpool_driver_shmDetachResponse_set_code(&msg, shm_tensorpool_driver_responseCode_OK);
    assert_non_null(shm_tensorpool_driver_shmDetachResponse_put_errorMessage(&msg, "", 0));
    return 8 + (size_t)shm_tensorpool_driver_shmDetachResponse_encoded_length(&msg);
}

static void deliver_response(fixture_t *f, const response_spec_t *r, uint64_t now)
{
    size_t length = encode_response(f->buffer, sizeof(f->buffer), r);
    tp_driver_client_on_message(f->dc, f->buffer, length, now);
}

static void attach_ok(fixture_t *f, uint64_t now)
{
    assert_int_equal(0, tp_driver_client_attach(f->dc, now));
    response_spec_t r = ok_spec(tp_driver_client_correlation_id(f->dc));
    deliver_response(f, &r, now);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
}

/* ---- tests ---- */

static void test_config_rejected(void **state)
{
    fixture_t *f = *state;
    tp_driver_client_config_t cfg;
    tp_driver_client_config_init(&cfg);
    tp_driver_client_t *dc = NULL;
    assert_int_equal(-1, tp_driver_client_init(&dc, &cfg)); /* no send */
    cfg.send = fake_send;
    cfg.send_clientd = f;
    cfg.role = 3;
    assert_int_equal(-1, tp_driver_client_init(&dc, &cfg));
    cfg.role = TP_DRIVER_ROLE_PRODUCER;
    cfg.publish_mode = 0;
    assert_int_equal(-1, tp_driver_client_init(&dc, &cfg));
    cfg.publish_mode = TP_DRIVER_PUBLISH_EXISTING_OR_CREATE;
    cfg.backoff_max_ns = cfg.backoff_initial_ns - 1;
    assert_int_equal(-1, tp_driver_client_init(&dc, &cfg));
    assert_int_equal(EINVAL, tp_errcode());
    assert_null(dc);
}

static void test_attach_request_encoded(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    assert_int_equal(TP_LEASE_UNATTACHED, tp_driver_client_state(f->dc));
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    assert_int_equal(1, f->sent_count);
    assert_int_equal(SHM_TENSORPOOL_DRIVER_SHM_ATTACH_REQUEST_SBE_TEMPLATE_ID, sent_template(&f->sent[0]));
    struct shm_tensorpool_driver_shmAttachRequest req;
    assert_non_null(shm_tensorpool_driver_shmAttachRequest_wrap_for_decode(
        &req, (char *)f->sent[0].bytes, 8, shm_tensorpool_driver_shmAttachRequest_sbe_block_length(), 1,
        f->sent[0].length));
    assert_true(shm_tensorpool_driver_shmAttachRequest_correlationId(&req) == tp_driver_client_correlation_id(f->dc));
    assert_int_equal(STREAM_ID, shm_tensorpool_driver_shmAttachRequest_streamId(&req));
    assert_int_equal(CLIENT_ID, shm_tensorpool_driver_shmAttachRequest_clientId(&req));
    assert_int_equal(TP_DRIVER_ROLE_PRODUCER, shm_tensorpool_driver_shmAttachRequest_role_raw(&req));
    assert_int_equal(TP_DRIVER_PUBLISH_EXISTING_OR_CREATE,
                     shm_tensorpool_driver_shmAttachRequest_publishMode_raw(&req));
    assert_int_equal(0, shm_tensorpool_driver_shmAttachRequest_maxDims(&req));
    assert_int_equal(0, shm_tensorpool_driver_shmAttachRequest_requireHugepages_raw(&req));
    /* A second attach while one is in flight is a state error. */
    assert_int_equal(-1, tp_driver_client_attach(f->dc, T0));
    assert_int_equal(TP_ERR_STATE, tp_errcode());
}

static void test_attach_ok_grants_lease(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    int64_t cid = tp_driver_client_correlation_id(f->dc);

    /* Another client's response (other correlation) and wire-schema traffic are ignored. */
    response_spec_t other = ok_spec(cid + 1000);
    deliver_response(f, &other, T0);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    uint8_t announce[64] = {0};
    announce[4] = 0x84; /* schema 900 */
    announce[5] = 0x03;
    assert_int_equal(0, tp_driver_client_on_message(f->dc, announce, sizeof(announce), T0));
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));

    response_spec_t r = ok_spec(cid);
    deliver_response(f, &r, T0 + MS);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    assert_int_equal(1, f->event_count);
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_ATTACHED, f->events[0]);
    const tp_driver_lease_t *lease = tp_driver_client_lease(f->dc);
    assert_int_equal(7, lease->lease_id);
    assert_int_equal(3, lease->epoch);
    assert_int_equal(16, lease->header_nslots);
    assert_int_equal(2, lease->pool_count);
    assert_int_equal(8192, lease->pools[1].stride_bytes);
    assert_int_equal(2, lease->pools[1].pool_id);
    assert_string_equal(r.header_uri, lease->header_uri);
    assert_string_equal(r.pool_uri[1], lease->pools[1].uri);
    assert_int_equal(1, tp_driver_client_counters(f->dc)->attaches);
    assert_int_equal(0, tp_driver_client_counters(f->dc)->reattaches);
    assert_int_equal(2, f->transition_count);
    assert_int_equal(TP_LEASE_UNATTACHED, f->transitions[0][0]);
    assert_int_equal(TP_LEASE_ATTACHING, f->transitions[0][1]);
    assert_int_equal(TP_LEASE_ATTACHED, f->transitions[1][1]);
    /* A duplicate response changes nothing. */
    deliver_response(f, &r, T0 + 2 * MS);
    assert_int_equal(1, f->event_count);
}

static void test_rejection_keeps_message_and_backs_off(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    uint64_t now = T0;
    uint64_t expected_delay[] = {100 * MS, 200 * MS, 400 * MS, 800 * MS, 1600 * MS, 2000 * MS, 2000 * MS};
    int64_t previous = 0;
    for (size_t i = 0; i < sizeof(expected_delay) / sizeof(expected_delay[0]); i++)
    {
        int64_t cid = tp_driver_client_correlation_id(f->dc);
        assert_true(cid != previous); /* every attempt has its own correlation id */
        previous = cid;
        response_spec_t r = {0};
        r.correlation_id = cid;
        r.code = 3; /* REJECTED */
        r.lease_id = UINT64_MAX;
        r.expiry_ns = UINT64_MAX;
        r.stream_id = UINT32_MAX;
        r.epoch = UINT64_MAX;
        r.layout_version = UINT32_MAX;
        r.header_nslots = UINT32_MAX;
        r.header_slot_bytes = UINT16_MAX;
        r.max_dims = UINT8_MAX;
        r.error_message = "producer already attached";
        deliver_response(f, &r, now);
        assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
        assert_non_null(strstr(tp_driver_client_last_error(f->dc), "producer already attached"));
        assert_non_null(strstr(f->last_reason, "producer already attached"));
        assert_true(tp_driver_client_backoff_deadline(f->dc) == now + expected_delay[i]);
        /* Not before the delay ... */
        size_t sent = f->sent_count;
        tp_driver_client_poll(f->dc, now + expected_delay[i] - 1);
        assert_int_equal(sent, f->sent_count);
        /* ... then a fresh attach. */
        now += expected_delay[i];
        tp_driver_client_poll(f->dc, now);
        assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
        assert_int_equal(sent + 1, f->sent_count);
    }
    assert_int_equal(7, tp_driver_client_counters(f->dc)->attach_failures);
    assert_int_equal(0, f->event_count);
    /* Success resets the backoff. */
    response_spec_t ok = ok_spec(tp_driver_client_correlation_id(f->dc));
    deliver_response(f, &ok, now);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    assert_string_equal("", tp_driver_client_last_error(f->dc));
}

typedef void (*spoil_fn)(response_spec_t *r);

static void spoil_lease(response_spec_t *r)
{
    r->lease_id = UINT64_MAX;
}
static void spoil_stream(response_spec_t *r)
{
    r->stream_id = UINT32_MAX;
}
static void spoil_epoch(response_spec_t *r)
{
    r->epoch = UINT64_MAX;
}
static void spoil_layout(response_spec_t *r)
{
    r->layout_version = UINT32_MAX;
}
static void spoil_nslots(response_spec_t *r)
{
    r->header_nslots = UINT32_MAX;
}
static void spoil_slot_bytes_null(response_spec_t *r)
{
    r->header_slot_bytes = UINT16_MAX;
}
static void spoil_max_dims_null(response_spec_t *r)
{
    r->max_dims = UINT8_MAX;
}
static void spoil_slot_bytes(response_spec_t *r)
{
    r->header_slot_bytes = 512;
}
static void spoil_max_dims(response_spec_t *r)
{
    r->max_dims = 4;
}
static void spoil_no_pools(response_spec_t *r)
{
    r->pool_count = 0;
}
static void spoil_pool_nslots(response_spec_t *r)
{
    r->pool_nslots[1] = 32;
}
static void spoil_header_uri_empty(response_spec_t *r)
{
    r->header_uri = "";
}
static void spoil_header_uri_blank(response_spec_t *r)
{
    r->header_uri = "   ";
}
static void spoil_pool_uri_empty(response_spec_t *r)
{
    r->pool_uri[0] = "";
}
static void spoil_pool_uri_relative(response_spec_t *r)
{
    r->pool_uri[1] = "shm:file?path=relative/payload-2.pool";
}
static void spoil_header_uri_scheme(response_spec_t *r)
{
    r->header_uri = "file:///dev/shm/x/header.ring";
}
static void spoil_header_uri_param(response_spec_t *r)
{
    r->header_uri = "shm:file?path=/dev/shm/x|evil=1";
}
static void spoil_other_stream(response_spec_t *r)
{
    r->stream_id = STREAM_ID + 1;
}
static void spoil_stride_zero(response_spec_t *r)
{
    r->pool_stride[0] = 0;
}
static void spoil_duplicate_pool(response_spec_t *r)
{
    r->pool_id[1] = r->pool_id[0];
}
static void spoil_unknown_code(response_spec_t *r)
{
    r->code = 99;
}
static void spoil_truncated(response_spec_t *r)
{
    r->truncate_to = 8 + 51 + 10;
}
static void spoil_short_block(response_spec_t *r)
{
    r->block_length = 20;
}

static void test_hostile_ok_responses_fail_closed(void **state)
{
    fixture_t *f = *state;
    static const struct
    {
        spoil_fn spoil;
        const char *why;
        bool lease_handed_back;
    } cases[] = {
        {spoil_lease, "leaseId", false},
        {spoil_stream, "streamId", true},
        {spoil_epoch, "epoch", true},
        {spoil_layout, "layoutVersion", true},
        {spoil_nslots, "headerNslots", true},
        {spoil_slot_bytes_null, "headerSlotBytes", true},
        {spoil_max_dims_null, "maxDims", true},
        {spoil_slot_bytes, "headerSlotBytes 512", true},
        {spoil_max_dims, "maxDims 4", true},
        {spoil_no_pools, "payloadPools is empty", true},
        {spoil_pool_nslots, "poolNslots 32", true},
        {spoil_header_uri_empty, "header region URI is empty", true},
        {spoil_header_uri_blank, "header region URI is empty or blank", true},
        {spoil_pool_uri_empty, "payload pool region URI is empty", true},
        {spoil_pool_uri_relative, "is invalid", true},
        {spoil_header_uri_scheme, "is invalid", true},
        {spoil_header_uri_param, "is invalid", true},
        {spoil_other_stream, "for stream", true},
        {spoil_stride_zero, "strideBytes 0", true},
        {spoil_duplicate_pool, "appears twice", true},
        {spoil_unknown_code, "unknown response code", false},
        {spoil_truncated, "truncated", true},
        {spoil_short_block, "", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    {
        fixture_t *g = calloc(1, sizeof(*g));
        assert_non_null(g);
        make_client(g, TP_DRIVER_ROLE_CONSUMER);
        assert_int_equal(0, tp_driver_client_attach(g->dc, T0));
        response_spec_t r = ok_spec(tp_driver_client_correlation_id(g->dc));
        cases[i].spoil(&r);
        deliver_response(g, &r, T0);
        print_message("case %zu (%s): state %s, error '%s'\n", i, cases[i].why,
                      tp_lease_state_name(tp_driver_client_state(g->dc)), tp_driver_client_last_error(g->dc));
        assert_int_equal(0, g->event_count); /* never ATTACHED: nothing gets mapped */
        if ('\0' == cases[i].why[0])
        {
            /* Malformed framing cannot be correlated: dropped; the attach timeout retries. */
            assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(g->dc));
            tp_driver_client_poll(g->dc, T0 + 2000 * MS);
            assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(g->dc));
        }
        else
        {
            assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(g->dc));
            assert_non_null(strstr(tp_driver_client_last_error(g->dc), cases[i].why));
            assert_int_equal(1, tp_driver_client_counters(g->dc)->protocol_errors);
            /* A granted lease we cannot use is handed back (best effort detach). */
            bool detach_sent = g->sent_count == 2 &&
                               SHM_TENSORPOOL_DRIVER_SHM_DETACH_REQUEST_SBE_TEMPLATE_ID == sent_template(&g->sent[1]);
            assert_int_equal(cases[i].lease_handed_back, detach_sent);
        }
        /* And the attach is retried after the backoff. */
        tp_driver_client_poll(g->dc, tp_driver_client_backoff_deadline(g->dc));
        assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(g->dc));
        tp_driver_client_close(g->dc);
        free(g);
    }
    (void)f;
}

static void test_schema_gating(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_CONSUMER);
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    int64_t cid = tp_driver_client_correlation_id(f->dc);

    response_spec_t newer = ok_spec(cid);
    newer.version = 2; /* §4.4a: higher than ours */
    deliver_response(f, &newer, T0);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));

    response_spec_t foreign = ok_spec(cid);
    foreign.schema_id = 902;
    deliver_response(f, &foreign, T0);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));

    response_spec_t unknown = ok_spec(cid);
    unknown.template_id = 77;
    deliver_response(f, &unknown, T0);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    assert_int_equal(2, tp_driver_client_counters(f->dc)->protocol_errors);

    uint8_t tiny[5] = {0};
    assert_int_equal(0, tp_driver_client_on_message(f->dc, tiny, sizeof(tiny), T0));
    assert_int_equal(0, f->event_count);

    response_spec_t good = ok_spec(cid);
    deliver_response(f, &good, T0);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
}

static void test_attach_timeout_and_late_grant_handed_back(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    int64_t first = tp_driver_client_correlation_id(f->dc);
    tp_driver_client_poll(f->dc, T0 + 2000 * MS - 1);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    tp_driver_client_poll(f->dc, T0 + 2000 * MS);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_non_null(strstr(tp_driver_client_last_error(f->dc), "timed out"));
    tp_driver_client_poll(f->dc, T0 + 2100 * MS);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    size_t sent = f->sent_count;
    assert_int_equal(2, sent);

    /* The first request's grant arrives late: not used, handed back. */
    response_spec_t late = ok_spec(first);
    late.lease_id = 99;
    deliver_response(f, &late, T0 + 2150 * MS);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    assert_int_equal(sent + 1, f->sent_count);
    assert_int_equal(SHM_TENSORPOOL_DRIVER_SHM_DETACH_REQUEST_SBE_TEMPLATE_ID, sent_template(&f->sent[sent]));
    struct shm_tensorpool_driver_shmDetachRequest det;
    assert_non_null(shm_tensorpool_driver_shmDetachRequest_wrap_for_decode(
        &det, (char *)f->sent[sent].bytes, 8, shm_tensorpool_driver_shmDetachRequest_sbe_block_length(), 1,
        f->sent[sent].length));
    assert_int_equal(99, shm_tensorpool_driver_shmDetachRequest_leaseId(&det));
    assert_int_equal(0, f->event_count);
}

static void test_attach_send_failure_retried_from_poll(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    f->send_fails = true;
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    assert_int_equal(0, f->sent_count);
    f->send_fails = false;
    tp_driver_client_poll(f->dc, T0 + MS);
    assert_int_equal(1, f->sent_count);
    tp_driver_client_poll(f->dc, T0 + 2 * MS);
    assert_int_equal(1, f->sent_count);
}

static void test_keepalive_timing(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    attach_ok(f, T0);
    size_t sent = f->sent_count;
    tp_driver_client_poll(f->dc, T0 + 999 * MS);
    assert_int_equal(sent, f->sent_count);
    tp_driver_client_poll(f->dc, T0 + 1000 * MS);
    assert_int_equal(sent + 1, f->sent_count);
    assert_int_equal(SHM_TENSORPOOL_DRIVER_SHM_LEASE_KEEPALIVE_SBE_TEMPLATE_ID, sent_template(&f->sent[sent]));
    struct shm_tensorpool_driver_shmLeaseKeepalive ka;
    assert_non_null(shm_tensorpool_driver_shmLeaseKeepalive_wrap_for_decode(
        &ka, (char *)f->sent[sent].bytes, 8, shm_tensorpool_driver_shmLeaseKeepalive_sbe_block_length(), 1,
        f->sent[sent].length));
    assert_int_equal(7, shm_tensorpool_driver_shmLeaseKeepalive_leaseId(&ka));
    assert_int_equal(STREAM_ID, shm_tensorpool_driver_shmLeaseKeepalive_streamId(&ka));
    assert_int_equal(CLIENT_ID, shm_tensorpool_driver_shmLeaseKeepalive_clientId(&ka));
    assert_int_equal(TP_DRIVER_ROLE_PRODUCER, shm_tensorpool_driver_shmLeaseKeepalive_role_raw(&ka));
    tp_driver_client_poll(f->dc, T0 + 1500 * MS);
    assert_int_equal(sent + 1, f->sent_count);
    tp_driver_client_poll(f->dc, T0 + 2000 * MS);
    assert_int_equal(sent + 2, f->sent_count);
    assert_int_equal(2, tp_driver_client_counters(f->dc)->keepalives_sent);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));

    /* A keepalive that cannot be sent loses the lease (§4.4). */
    f->send_fails = true;
    tp_driver_client_poll(f->dc, T0 + 3000 * MS);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_int_equal(2, f->event_count);
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_LEASE_LOST, f->events[1]);
}

static void test_hard_deadline(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    assert_int_equal(0, tp_driver_client_attach(f->dc, T0));
    /* Expiry 600 ms away, nearer than two intervals: the first keepalive goes at half of it. */
    response_spec_t r = ok_spec(tp_driver_client_correlation_id(f->dc));
    r.expiry_ns = T0 + 600 * MS;
    deliver_response(f, &r, T0);
    size_t sent = f->sent_count;
    tp_driver_client_poll(f->dc, T0 + 300 * MS);
    assert_int_equal(sent + 1, f->sent_count);
    tp_driver_client_poll(f->dc, T0 + 700 * MS); /* past the first expiry, but a keepalive went out before it */
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    tp_driver_client_close(f->dc);
    f->dc = NULL;

    /* A response whose deadline has already passed (clock skew, slow delivery): lost at the next poll. */
    fixture_t *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    make_client(g, TP_DRIVER_ROLE_PRODUCER);
    assert_int_equal(0, tp_driver_client_attach(g->dc, T0));
    response_spec_t late = ok_spec(tp_driver_client_correlation_id(g->dc));
    late.expiry_ns = T0 - 1;
    deliver_response(g, &late, T0);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(g->dc));
    tp_driver_client_poll(g->dc, T0 + 1);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(g->dc));
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_LEASE_LOST, g->events[1]);
    tp_driver_client_close(g->dc);
    free(g);
}

static void test_own_revoke_reattaches(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    attach_ok(f, T0);
    size_t n;

    /* Unknown reason or role: rejected whatever it names. */
    n = encode_revoked(f->buffer, sizeof(f->buffer), 7, STREAM_ID, CLIENT_ID, TP_DRIVER_ROLE_PRODUCER, 9);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    n = encode_revoked(f->buffer, sizeof(f->buffer), 7, STREAM_ID, CLIENT_ID, 5, 3);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    /* The codecs' null value (255) is no role or reason either (it once indexed past the reason names). */
    n = encode_revoked(f->buffer, sizeof(f->buffer), 7, STREAM_ID, CLIENT_ID, TP_DRIVER_ROLE_PRODUCER, 255);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    n = encode_revoked(f->buffer, sizeof(f->buffer), 7, STREAM_ID, CLIENT_ID, 255, 3);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    assert_int_equal(4, tp_driver_client_counters(f->dc)->protocol_errors);
    /* Other leases, streams or clients: not ours. */
    n = encode_revoked(f->buffer, sizeof(f->buffer), 8, STREAM_ID, CLIENT_ID + 1, TP_DRIVER_ROLE_CONSUMER, 2);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    n = encode_revoked(f->buffer, sizeof(f->buffer), 7, STREAM_ID + 1, CLIENT_ID, TP_DRIVER_ROLE_PRODUCER, 3);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    assert_int_equal(1, f->event_count);

    n = encode_revoked(f->buffer, sizeof(f->buffer), 7, STREAM_ID, CLIENT_ID, TP_DRIVER_ROLE_PRODUCER, 3);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + MS);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_int_equal(2, f->event_count);
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_LEASE_LOST, f->events[1]);
    assert_non_null(strstr(f->last_reason, "REVOKED"));
    assert_int_equal(1, tp_driver_client_counters(f->dc)->revocations);
    /* Duplicate: idempotent. */
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + MS);
    assert_int_equal(2, f->event_count);

    tp_driver_client_poll(f->dc, T0 + 101 * MS);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
    response_spec_t r = ok_spec(tp_driver_client_correlation_id(f->dc));
    r.lease_id = 8;
    r.epoch = 5;
    deliver_response(f, &r, T0 + 102 * MS);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    assert_int_equal(5, tp_driver_client_lease(f->dc)->epoch);
    assert_int_equal(1, tp_driver_client_counters(f->dc)->reattaches);
    assert_int_equal(2, tp_driver_client_counters(f->dc)->attaches);
}

/* A bare ShmPoolAnnounce header + block naming producer_id and epoch (the driver's periodic beacon). */
static size_t encode_announce_from(uint8_t *buffer, size_t capacity, uint32_t stream_id, uint32_t producer_id,
                                   uint64_t epoch)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    assert_non_null(
        shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr));
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, producer_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, epoch);
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &group, 0));
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, "", 0));
    return 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
}

static size_t encode_announce(uint8_t *buffer, size_t capacity, uint32_t stream_id)
{
    return encode_announce_from(buffer, capacity, stream_id, 0, 3);
}

/* §10: a driver that stops announcing our stream for 3 periods is gone: the lease is dropped and reattached.
 * Announces of other streams do not count. */
static void test_driver_silence_drops_lease(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_CONSUMER);
    attach_ok(f, T0);
    size_t n = encode_announce(f->buffer, sizeof(f->buffer), STREAM_ID);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 2000 * MS);
    tp_driver_client_poll(f->dc, T0 + 4900 * MS);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    n = encode_announce(f->buffer, sizeof(f->buffer), STREAM_ID + 1);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 4950 * MS);
    tp_driver_client_poll(f->dc, T0 + 5000 * MS);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    tp_driver_client_poll(f->dc, T0 + 5001 * MS);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_non_null(strstr(f->last_reason, "driver silent"));
}

/* A producer's lease lives on announces naming it as producer on the lease's epoch (3). A driver restarted since the
 * attach announces the stream without it (producerId 0, a new epoch): that is silence for this lease, which is
 * dropped after 3 periods and reattached, instead of the producer writing into the dead driver's regions forever. */
static void test_producer_lease_not_kept_alive_by_another_drivers_announces(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    attach_ok(f, T0);
    size_t n = encode_announce_from(f->buffer, sizeof(f->buffer), STREAM_ID, CLIENT_ID, 3);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 2000 * MS);
    tp_driver_client_poll(f->dc, T0 + 4900 * MS);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    n = encode_announce_from(f->buffer, sizeof(f->buffer), STREAM_ID, 0, 4);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 4950 * MS);
    n = encode_announce_from(f->buffer, sizeof(f->buffer), STREAM_ID, CLIENT_ID + 1, 3);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 4960 * MS);
    n = encode_announce_from(f->buffer, sizeof(f->buffer), STREAM_ID, CLIENT_ID, 2);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 4970 * MS);
    tp_driver_client_poll(f->dc, T0 + 5001 * MS);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_non_null(strstr(f->last_reason, "driver silent"));
}

static void test_consumer_producer_revoke(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_CONSUMER);
    attach_ok(f, T0);
    size_t n = encode_revoked(f->buffer, sizeof(f->buffer), 55, STREAM_ID, 1, TP_DRIVER_ROLE_PRODUCER, 2);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    assert_true(tp_driver_client_awaiting_remap(f->dc));
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_PRODUCER_REVOKED, f->events[1]);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + MS); /* duplicate */
    assert_int_equal(2, f->event_count);
    /* Same epoch again: still waiting; higher epoch: done. */
    tp_driver_client_on_epoch(f->dc, 3);
    assert_true(tp_driver_client_awaiting_remap(f->dc));
    tp_driver_client_on_epoch(f->dc, 4);
    assert_false(tp_driver_client_awaiting_remap(f->dc));
    tp_driver_client_poll(f->dc, T0 + 2500 * MS);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));

    /* Second revoke, no announce within 3 announce periods: detach, lose the lease, reattach. */
    uint64_t t = T0 + 4000 * MS;
    tp_driver_client_on_message(f->dc, f->buffer, n, t);
    assert_true(tp_driver_client_awaiting_remap(f->dc));
    tp_driver_client_poll(f->dc, t + 3000 * MS - 1);
    assert_int_equal(TP_LEASE_ATTACHED, tp_driver_client_state(f->dc));
    size_t sent = f->sent_count;
    tp_driver_client_poll(f->dc, t + 3000 * MS);
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_LEASE_LOST, f->events[f->event_count - 1]);
    assert_int_equal(SHM_TENSORPOOL_DRIVER_SHM_DETACH_REQUEST_SBE_TEMPLATE_ID, sent_template(&f->sent[sent]));
    assert_int_equal(2, tp_driver_client_counters(f->dc)->revocations);
}

static void test_driver_shutdown(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_CONSUMER);
    attach_ok(f, T0);
    size_t n = encode_shutdown(f->buffer, sizeof(f->buffer));
    assert_int_equal(1, tp_driver_client_on_message(f->dc, f->buffer, n, T0 + MS));
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_int_equal(TP_DRIVER_CLIENT_EVENT_LEASE_LOST, f->events[1]);
    assert_int_equal(1, tp_driver_client_counters(f->dc)->driver_shutdowns);
    assert_true(tp_driver_client_backoff_deadline(f->dc) == T0 + MS + 2000 * MS); /* the longest backoff */
    tp_driver_client_poll(f->dc, T0 + 2001 * MS);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
}

static void test_detach_on_close(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    attach_ok(f, T0);
    size_t sent = f->sent_count;
    assert_int_equal(0, tp_driver_client_detach(f->dc, T0 + MS));
    assert_int_equal(TP_LEASE_DETACHING, tp_driver_client_state(f->dc));
    assert_int_equal(SHM_TENSORPOOL_DRIVER_SHM_DETACH_REQUEST_SBE_TEMPLATE_ID, sent_template(&f->sent[sent]));
    struct shm_tensorpool_driver_shmDetachRequest det;
    assert_non_null(shm_tensorpool_driver_shmDetachRequest_wrap_for_decode(
        &det, (char *)f->sent[sent].bytes, 8, shm_tensorpool_driver_shmDetachRequest_sbe_block_length(), 1,
        f->sent[sent].length));
    assert_int_equal(7, shm_tensorpool_driver_shmDetachRequest_leaseId(&det));
    int64_t cid = shm_tensorpool_driver_shmDetachRequest_correlationId(&det);
    size_t n = encode_detach_response(f->buffer, sizeof(f->buffer), cid + 1); /* someone else's */
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 2 * MS);
    assert_int_equal(TP_LEASE_DETACHING, tp_driver_client_state(f->dc));
    n = encode_detach_response(f->buffer, sizeof(f->buffer), cid);
    tp_driver_client_on_message(f->dc, f->buffer, n, T0 + 2 * MS);
    assert_int_equal(TP_LEASE_UNATTACHED, tp_driver_client_state(f->dc));
    /* No keepalives and no reattach afterwards. */
    sent = f->sent_count;
    tp_driver_client_poll(f->dc, T0 + 10000 * MS);
    assert_int_equal(sent, f->sent_count);

    /* Unanswered detach: gives up after the detach timeout. */
    tp_driver_client_close(f->dc);
    make_client(f, TP_DRIVER_ROLE_PRODUCER);
    attach_ok(f, T0);
    assert_int_equal(0, tp_driver_client_detach(f->dc, T0));
    tp_driver_client_poll(f->dc, T0 + 199 * MS);
    assert_int_equal(TP_LEASE_DETACHING, tp_driver_client_state(f->dc));
    tp_driver_client_poll(f->dc, T0 + 200 * MS);
    assert_int_equal(TP_LEASE_UNATTACHED, tp_driver_client_state(f->dc));
}

static void test_owner_failure_fails_closed(void **state)
{
    fixture_t *f = *state;
    make_client(f, TP_DRIVER_ROLE_CONSUMER);
    attach_ok(f, T0);
    size_t sent = f->sent_count;
    tp_driver_client_fail(f->dc, T0 + MS, "region outside the allowed dirs");
    assert_int_equal(TP_LEASE_BACKOFF, tp_driver_client_state(f->dc));
    assert_int_equal(SHM_TENSORPOOL_DRIVER_SHM_DETACH_REQUEST_SBE_TEMPLATE_ID, sent_template(&f->sent[sent]));
    assert_string_equal("region outside the allowed dirs", tp_driver_client_last_error(f->dc));
    assert_int_equal(1, tp_driver_client_counters(f->dc)->attach_failures);
    tp_driver_client_poll(f->dc, T0 + 101 * MS);
    assert_int_equal(TP_LEASE_ATTACHING, tp_driver_client_state(f->dc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_request_encoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_ok_grants_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejection_keeps_message_and_backs_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_ok_responses_fail_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_gating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_timeout_and_late_grant_handed_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_send_failure_retried_from_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_timing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hard_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_revoke_reattaches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_producer_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_silence_drops_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_lease_not_kept_alive_by_another_drivers_announces, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_driver_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detach_on_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_failure_fails_closed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
