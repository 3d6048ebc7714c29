/*
 * Discovery provider core: the index built from ShmPoolAnnounce / DataSourceAnnounce / DataSourceMeta, every
 * request filter against an independent reference model, OK / NOT_FOUND / ERROR, expiry, epoch rules, the result
 * cap, and hostile requests. Every response is decoded with the generated schema 910 decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discovery/tp_discovery_provider.h"
#include "shm_tensorpool_control/dataSourceAnnounce.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/discoveryResponse.h"

#define DT_PERIOD_NS   1000000000ULL
#define DT_INSTANCE    "driver-a"
#define DT_CONTROL     "aeron:ipc?term-length=4m"
#define DT_CONTROL_ID  1000
#define DT_RESP_CHAN   "aeron:ipc?alias=client-7"
#define DT_RESP_STREAM 7001
#define DT_BUF         (1u << 16)
#define DT_CAPTURE     (16u << 20)
#define DT_MAX_TAGS    40
#define DT_MAX_RESULTS 1100

/* ---- fake clock and capturing sink ---- */

static uint64_t dt_now;

static uint64_t dt_clock(void *clientd)
{
    (void)clientd;
    return dt_now;
}

typedef struct dt_sink_stct
{
    size_t count;
    tp_sink_target_t target;
    char channel[TP_CHANNEL_MAX];
    size_t length;
    uint8_t *data; /* last message */
} dt_sink_t;

static int dt_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    dt_sink_t *s = clientd;
    assert_true(length <= DT_CAPTURE);
    s->count++;
    s->target = *target;
    snprintf(s->channel, sizeof(s->channel), "%s", target->channel);
    s->target.channel = s->channel;
    memcpy(s->data, buffer, length);
    s->length = length;
    return 0;
}

/* ---- decoded response ---- */

typedef struct dt_result_stct
{
    uint32_t stream_id, producer_id, layout_version, header_nslots, control_stream_id;
    uint64_t epoch, data_source_id;
    uint16_t header_slot_bytes;
    uint8_t max_dims;
    size_t pool_count, tag_count;
    uint32_t pool_nslots[8];
    char tags[DT_MAX_TAGS][80];
    char header_uri[1100], name[300], instance[300], control[300];
} dt_result_t;

typedef struct dt_response_stct
{
    uint64_t request_id;
    uint8_t status;
    size_t count;
    dt_result_t *results; /* DT_MAX_RESULTS */
    char error[1100];
    size_t error_length;
} dt_response_t;

typedef struct dt_state_stct
{
    tp_discovery_provider_t *provider;
    dt_sink_t sink;
    dt_response_t rsp;
    uint8_t buf[DT_BUF];
} dt_state_t;

static void dt_copy_view(char *dst, size_t cap, const char *data, size_t length)
{
    assert_true(length < cap);
    memcpy(dst, data, length);
    dst[length] = '\0';
}

/* Decode the last captured message as a DiscoveryResponse with the generated decoder; fails the test if not. */
static void dt_decode(dt_state_t *st)
{
    struct shm_tensorpool_discovery_messageHeader hdr;
    char *b = (char *)st->sink.data;
    assert_non_null(shm_tensorpool_discovery_messageHeader_wrap(&hdr, b, 0, 0, st->sink.length));
    assert_int_equal(910, shm_tensorpool_discovery_messageHeader_schemaId(&hdr));
    assert_int_equal(2, shm_tensorpool_discovery_messageHeader_templateId(&hdr));
    assert_int_equal(1, shm_tensorpool_discovery_messageHeader_version(&hdr));
    struct shm_tensorpool_discovery_discoveryResponse msg;
    assert_non_null(shm_tensorpool_discovery_discoveryResponse_wrap_for_decode(
        &msg, b, 8, shm_tensorpool_discovery_messageHeader_blockLength(&hdr), 1, st->sink.length));
    assert_true(shm_tensorpool_discovery_discoveryResponse_sbe_validate(&msg));
    assert_int_equal(st->sink.length, 8 + shm_tensorpool_discovery_discoveryResponse_encoded_length(&msg));
    shm_tensorpool_discovery_discoveryResponse_sbe_rewind(&msg);
    dt_response_t *r = &st->rsp;
    r->request_id = shm_tensorpool_discovery_discoveryResponse_requestId(&msg);
    enum shm_tensorpool_discovery_discoveryStatus status = shm_tensorpool_discovery_discoveryStatus_NULL_VALUE;
    assert_true(shm_tensorpool_discovery_discoveryResponse_status(&msg, &status));
    r->status = (uint8_t)status;
    struct shm_tensorpool_discovery_discoveryResponse_results results;
    assert_non_null(shm_tensorpool_discovery_discoveryResponse_get_results(&msg, &results));
    r->count = (size_t)shm_tensorpool_discovery_discoveryResponse_results_count(&results);
    assert_true(r->count <= DT_MAX_RESULTS);
    for (size_t i = 0; i < r->count; i++)
    {
        dt_result_t *x = &r->results[i];
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_next(&results));
        x->stream_id = shm_tensorpool_discovery_discoveryResponse_results_streamId(&results);
        x->producer_id = shm_tensorpool_discovery_discoveryResponse_results_producerId(&results);
        x->epoch = shm_tensorpool_discovery_discoveryResponse_results_epoch(&results);
        x->layout_version = shm_tensorpool_discovery_discoveryResponse_results_layoutVersion(&results);
        x->header_nslots = shm_tensorpool_discovery_discoveryResponse_results_headerNslots(&results);
        x->header_slot_bytes = shm_tensorpool_discovery_discoveryResponse_results_headerSlotBytes(&results);
        x->max_dims = shm_tensorpool_discovery_discoveryResponse_results_maxDims(&results);
        x->data_source_id = shm_tensorpool_discovery_discoveryResponse_results_dataSourceId(&results);
        x->control_stream_id = shm_tensorpool_discovery_discoveryResponse_results_driverControlStreamId(&results);
        struct shm_tensorpool_discovery_discoveryResponse_results_payloadPools pools;
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_get_payloadPools(&results, &pools));
        x->pool_count = (size_t)shm_tensorpool_discovery_discoveryResponse_results_payloadPools_count(&pools);
        assert_true(x->pool_count <= 8);
        for (size_t p = 0; p < x->pool_count; p++)
        {
            assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_payloadPools_next(&pools));
            x->pool_nslots[p] = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_poolNslots(&pools);
            struct shm_tensorpool_discovery_discoveryResponse_string_view uri =
                shm_tensorpool_discovery_discoveryResponse_results_payloadPools_get_regionUri_as_string_view(&pools);
            assert_non_null(uri.data);
            assert_true(uri.length > 0);
        }
        struct shm_tensorpool_discovery_discoveryResponse_results_tags tags;
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_get_tags(&results, &tags));
        x->tag_count = (size_t)shm_tensorpool_discovery_discoveryResponse_results_tags_count(&tags);
        assert_true(x->tag_count <= DT_MAX_TAGS);
        for (size_t t = 0; t < x->tag_count; t++)
        {
            assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_tags_next(&tags));
            struct shm_tensorpool_discovery_discoveryResponse_string_view tag =
                shm_tensorpool_discovery_discoveryResponse_results_tags_get_tag_as_string_view(&tags);
            assert_non_null(tag.data);
            dt_copy_view(x->tags[t], sizeof(x->tags[t]), tag.data, tag.length);
        }
        struct shm_tensorpool_discovery_discoveryResponse_string_view v;
        v = shm_tensorpool_discovery_discoveryResponse_results_get_headerRegionUri_as_string_view(&results);
        assert_non_null(v.data);
        dt_copy_view(x->header_uri, sizeof(x->header_uri), v.data, v.length);
        v = shm_tensorpool_discovery_discoveryResponse_results_get_dataSourceName_as_string_view(&results);
        assert_non_null(v.data);
        dt_copy_view(x->name, sizeof(x->name), v.data, v.length);
        v = shm_tensorpool_discovery_discoveryResponse_results_get_driverInstanceId_as_string_view(&results);
        assert_non_null(v.data);
        dt_copy_view(x->instance, sizeof(x->instance), v.data, v.length);
        v = shm_tensorpool_discovery_discoveryResponse_results_get_driverControlChannel_as_string_view(&results);
        assert_non_null(v.data);
        dt_copy_view(x->control, sizeof(x->control), v.data, v.length);
        /* Authority fields always set (§5.2), layout constants (v1.x), pool_nslots == header_nslots (v1.0). The
         * second driver exists in test_two_drivers only, which checks its fields itself. */
        if (0 != strcmp("driver-b", x->instance))
        {
            assert_string_equal(DT_INSTANCE, x->instance);
            assert_string_equal(DT_CONTROL, x->control);
            assert_int_equal(DT_CONTROL_ID, x->control_stream_id);
        }
        assert_int_equal(256, x->header_slot_bytes);
        assert_int_equal(8, x->max_dims);
        for (size_t p = 0; p < x->pool_count; p++)
        {
            assert_int_equal(x->header_nslots, x->pool_nslots[p]);
        }
    }
    struct shm_tensorpool_discovery_discoveryResponse_string_view err =
        shm_tensorpool_discovery_discoveryResponse_get_errorMessage_as_string_view(&msg);
    assert_non_null(err.data);
    assert_true(err.length <= 1024);
    dt_copy_view(r->error, sizeof(r->error), err.data, err.length);
    r->error_length = err.length;
    /* §5.2: ERROR / NOT_FOUND carry no results; the target is the requester's endpoint on the control kind. */
    if (r->status != shm_tensorpool_discovery_discoveryStatus_OK)
    {
        assert_int_equal(0, r->count);
    }
    assert_int_equal(TP_STREAM_CONTROL, st->sink.target.kind);
}

/* ---- schema 900 encoders ---- */

static size_t dt_pool_announce(uint8_t *buf, uint32_t stream_id, uint32_t producer_id, uint64_t epoch, uint16_t npools,
                               uint32_t pool_nslots, const char *tag)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools pools;
    memset(buf, 0, DT_BUF);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, (char *)buf, 0, DT_BUF, &hdr));
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, producer_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, dt_now);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, 64);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, 256);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &pools, npools));
    char uri[256];
    for (uint16_t i = 0; i < npools; i++)
    {
        assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools));
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&pools, (uint16_t)(i + 1));
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&pools, pool_nslots);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&pools, 4096u << i);
        snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tp/%u/%s/payload-%u.pool", stream_id, tag, i + 1);
        assert_non_null(
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&pools, uri, (uint32_t)strlen(uri)));
    }
    snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tp/%u/%s/header.ring", stream_id, tag);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, uri, (uint32_t)strlen(uri)));
    return 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
}

static size_t dt_source_announce(uint8_t *buf, uint32_t stream_id, uint32_t producer_id, uint64_t epoch,
                                 uint32_t meta_version, const char *name, size_t name_length)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceAnnounce msg;
    memset(buf, 0, DT_BUF);
    assert_non_null(
        shm_tensorpool_control_dataSourceAnnounce_wrap_and_apply_header(&msg, (char *)buf, 0, DT_BUF, &hdr));
    shm_tensorpool_control_dataSourceAnnounce_set_streamId(&msg, stream_id);
    shm_tensorpool_control_dataSourceAnnounce_set_producerId(&msg, producer_id);
    shm_tensorpool_control_dataSourceAnnounce_set_epoch(&msg, epoch);
    shm_tensorpool_control_dataSourceAnnounce_set_metaVersion(&msg, meta_version);
    assert_non_null(shm_tensorpool_control_dataSourceAnnounce_put_name(&msg, name, (uint32_t)name_length));
    assert_non_null(shm_tensorpool_control_dataSourceAnnounce_put_summary(&msg, "u8[480,640,3]", 13));
    return 8 + shm_tensorpool_control_dataSourceAnnounce_encoded_length(&msg);
}

/* tags: NULL-terminated; data_source_id: decimal text or NULL. An "other" attribute is always added. */
static size_t dt_meta(uint8_t *buf, uint32_t stream_id, uint32_t meta_version, const char *const *tags,
                      const char *data_source_id)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceMeta msg;
    struct shm_tensorpool_control_dataSourceMeta_attributes attrs;
    memset(buf, 0, DT_BUF);
    size_t ntags = 0;
    while (NULL != tags && NULL != tags[ntags])
    {
        ntags++;
    }
    uint16_t count = (uint16_t)(ntags + 1 + (NULL != data_source_id ? 1 : 0));
    assert_non_null(shm_tensorpool_control_dataSourceMeta_wrap_and_apply_header(&msg, (char *)buf, 0, DT_BUF, &hdr));
    shm_tensorpool_control_dataSourceMeta_set_streamId(&msg, stream_id);
    shm_tensorpool_control_dataSourceMeta_set_metaVersion(&msg, meta_version);
    shm_tensorpool_control_dataSourceMeta_set_timestampNs(&msg, dt_now);
    assert_non_null(shm_tensorpool_control_dataSourceMeta_attributes_set_count(&msg, &attrs, count));
    for (uint16_t i = 0; i < count; i++)
    {
        const char *key = "camera_serial";
        const char *value = "SN-42";
        if (i < ntags)
        {
            key = "tag";
            value = tags[i];
        }
        else if (i == ntags && NULL != data_source_id)
        {
            key = "data_source_id";
            value = data_source_id;
        }
        assert_non_null(shm_tensorpool_control_dataSourceMeta_attributes_next(&attrs));
        assert_non_null(shm_tensorpool_control_dataSourceMeta_attributes_put_key(&attrs, key, (uint32_t)strlen(key)));
        assert_non_null(shm_tensorpool_control_dataSourceMeta_attributes_put_format(&attrs, "text/plain", 10));
        assert_non_null(
            shm_tensorpool_control_dataSourceMeta_attributes_put_value(&attrs, value, (uint32_t)strlen(value)));
    }
    return 8 + shm_tensorpool_control_dataSourceMeta_encoded_length(&msg);
}

/* ---- requests ---- */

typedef struct dt_request_stct
{
    uint64_t request_id;
    uint32_t response_stream_id;
    const char *channel;
    uint32_t stream_id;      /* UINT32_MAX = none */
    uint32_t producer_id;    /* UINT32_MAX = none */
    uint64_t data_source_id; /* UINT64_MAX = none */
    const char *name;        /* NULL = none */
    const char *const *tags; /* NULL-terminated, NULL = none */
} dt_request_t;

static dt_request_t dt_request(uint64_t request_id)
{
    dt_request_t r = {request_id, DT_RESP_STREAM, DT_RESP_CHAN, UINT32_MAX, UINT32_MAX, UINT64_MAX, NULL, NULL};
    return r;
}

static size_t dt_encode_request(uint8_t *buf, const dt_request_t *q)
{
    struct shm_tensorpool_discovery_messageHeader hdr;
    struct shm_tensorpool_discovery_discoveryRequest msg;
    struct shm_tensorpool_discovery_discoveryRequest_tags tags;
    memset(buf, 0, DT_BUF);
    assert_non_null(
        shm_tensorpool_discovery_discoveryRequest_wrap_and_apply_header(&msg, (char *)buf, 0, DT_BUF, &hdr));
    shm_tensorpool_discovery_discoveryRequest_set_requestId(&msg, q->request_id);
    shm_tensorpool_discovery_discoveryRequest_set_clientId(&msg, 77);
    shm_tensorpool_discovery_discoveryRequest_set_responseStreamId(&msg, q->response_stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_streamId(&msg, q->stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_producerId(&msg, q->producer_id);
    shm_tensorpool_discovery_discoveryRequest_set_dataSourceId(&msg, q->data_source_id);
    size_t ntags = 0;
    while (NULL != q->tags && NULL != q->tags[ntags])
    {
        ntags++;
    }
    assert_non_null(shm_tensorpool_discovery_discoveryRequest_tags_set_count(&msg, &tags, (uint16_t)ntags));
    for (size_t i = 0; i < ntags; i++)
    {
        assert_non_null(shm_tensorpool_discovery_discoveryRequest_tags_next(&tags));
        assert_non_null(
            shm_tensorpool_discovery_discoveryRequest_tags_put_tag(&tags, q->tags[i], (uint32_t)strlen(q->tags[i])));
    }
    assert_non_null(
        shm_tensorpool_discovery_discoveryRequest_put_responseChannel(&msg, q->channel, (uint32_t)strlen(q->channel)));
    const char *name = NULL == q->name ? "" : q->name;
    assert_non_null(shm_tensorpool_discovery_discoveryRequest_put_dataSourceName(&msg, name, (uint32_t)strlen(name)));
    return 8 + shm_tensorpool_discovery_discoveryRequest_encoded_length(&msg);
}

static void dt_feed(dt_state_t *st, size_t length, int expected_rc)
{
    assert_int_equal(expected_rc, tp_discovery_provider_on_message(st->provider, st->buf, length));
}

/* Send a request; returns true when a response was emitted (then decoded into st->rsp, request id checked). */
static bool dt_ask(dt_state_t *st, const dt_request_t *q)
{
    size_t before = st->sink.count;
    size_t length = dt_encode_request(st->buf, q);
    assert_int_equal(0, tp_discovery_provider_on_message(st->provider, st->buf, length));
    if (st->sink.count == before)
    {
        return false;
    }
    assert_int_equal(before + 1, st->sink.count);
    dt_decode(st);
    assert_int_equal(q->request_id, st->rsp.request_id);
    assert_string_equal(q->channel, st->sink.channel);
    assert_int_equal(q->response_stream_id, st->sink.target.stream_id);
    return true;
}

/* ---- fixture: three named, tagged streams ---- */

typedef struct dt_stream_stct
{
    uint32_t stream_id, producer_id;
    const char *dsid_text;
    uint64_t dsid;
    const char *name;
    const char *tags[4];
} dt_stream_t;

static const dt_stream_t dt_streams[3] = {
    {1001, 11, "501", 501, "cam-left", {"camera", "left", "rgb", NULL}},
    {1002, 12, "502", 502, "cam-right", {"camera", "right", "rgb", NULL}},
    {1003, 13, "503", 503, "Lidar", {"lidar", NULL, NULL, NULL}},
};

static int dt_setup_sized(void **state, uint32_t max_entries)
{
    dt_state_t *st = calloc(1, sizeof(*st));
    assert_non_null(st);
    st->sink.data = malloc(DT_CAPTURE);
    st->rsp.results = calloc(DT_MAX_RESULTS, sizeof(dt_result_t));
    assert_non_null(st->sink.data);
    assert_non_null(st->rsp.results);
    dt_now = 1000000000000ULL;
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = DT_INSTANCE;
    ctx.driver_control_channel = DT_CONTROL;
    ctx.driver_control_stream_id = DT_CONTROL_ID;
    ctx.announce_period_ns = DT_PERIOD_NS;
    ctx.max_entries = max_entries;
    ctx.clock = dt_clock;
    ctx.sink.offer = dt_offer;
    ctx.sink.clientd = &st->sink;
    assert_int_equal(0, tp_discovery_provider_init(&st->provider, &ctx));
    *state = st;
    return 0;
}

static int dt_setup(void **state)
{
    return dt_setup_sized(state, 64);
}

static int dt_setup_large(void **state)
{
    return dt_setup_sized(state, 1100);
}

static int dt_teardown(void **state)
{
    dt_state_t *st = *state;
    tp_discovery_provider_close(st->provider);
    free(st->sink.data);
    free(st->rsp.results);
    free(st);
    return 0;
}

static void dt_load_streams(dt_state_t *st)
{
    for (size_t i = 0; i < 3; i++)
    {
        const dt_stream_t *s = &dt_streams[i];
        dt_feed(st, dt_pool_announce(st->buf, s->stream_id, s->producer_id, 10, 2, 64, "e10"), 0);
        dt_feed(st, dt_source_announce(st->buf, s->stream_id, s->producer_id, 10, 1, s->name, strlen(s->name)), 0);
        dt_feed(st, dt_meta(st->buf, s->stream_id, 1, s->tags, s->dsid_text), 0);
    }
    assert_int_equal(3, tp_discovery_provider_entry_count(st->provider));
    assert_int_equal(6, tp_discovery_provider_counters(st->provider)->meta_accepted);
}

static const dt_result_t *dt_find(const dt_state_t *st, uint32_t stream_id)
{
    for (size_t i = 0; i < st->rsp.count; i++)
    {
        if (st->rsp.results[i].stream_id == stream_id)
        {
            return &st->rsp.results[i];
        }
    }
    return NULL;
}

/* ---- tests ---- */

static void test_init_rejects_bad_context(void **state)
{
    (void)state;
    dt_sink_t sink = {0};
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_t *p = NULL;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = DT_INSTANCE;
    ctx.driver_control_channel = DT_CONTROL;
    ctx.driver_control_stream_id = 0;
    ctx.sink.offer = dt_offer;
    ctx.sink.clientd = &sink;
    assert_int_equal(-1, tp_discovery_provider_init(&p, &ctx));
    ctx.driver_control_stream_id = DT_CONTROL_ID;
    ctx.driver_instance_id = "";
    assert_int_equal(-1, tp_discovery_provider_init(&p, &ctx));
    ctx.driver_instance_id = DT_INSTANCE;
    ctx.driver_control_channel = NULL;
    assert_int_equal(-1, tp_discovery_provider_init(&p, &ctx));
    ctx.driver_control_channel = DT_CONTROL;
    ctx.announce_period_ns = 0;
    assert_int_equal(-1, tp_discovery_provider_init(&p, &ctx));
    ctx.announce_period_ns = DT_PERIOD_NS;
    ctx.max_results = 70000;
    assert_int_equal(-1, tp_discovery_provider_init(&p, &ctx));
    ctx.max_results = 0;
    ctx.max_entries = 4;
    assert_int_equal(0, tp_discovery_provider_init(&p, &ctx));
    assert_non_null(p);
    tp_discovery_provider_close(p);
}

static void test_empty_index_ok_zero_vs_not_found(void **state)
{
    dt_state_t *st = *state;
    dt_request_t q = dt_request(1);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(0, st->rsp.count);
    q = dt_request(2);
    q.stream_id = 1001;
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_NOT_FOUND, st->rsp.status);
    assert_int_equal(0, st->rsp.count);
}

static void test_full_result_fields(void **state)
{
    dt_state_t *st = *state;
    dt_load_streams(st);
    dt_request_t q = dt_request(9);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(3, st->rsp.count);
    assert_int_equal(0, st->rsp.error_length);
    for (size_t i = 0; i < 3; i++)
    {
        const dt_stream_t *s = &dt_streams[i];
        const dt_result_t *x = dt_find(st, s->stream_id);
        assert_non_null(x);
        assert_int_equal(s->producer_id, x->producer_id);
        assert_int_equal(10, x->epoch);
        assert_int_equal(1, x->layout_version);
        assert_int_equal(64, x->header_nslots);
        assert_int_equal(2, x->pool_count);
        assert_int_equal(s->dsid, x->data_source_id);
        assert_string_equal(s->name, x->name);
        char uri[256];
        snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tp/%u/e10/header.ring", s->stream_id);
        assert_string_equal(uri, x->header_uri);
        size_t ntags = 0;
        while (NULL != s->tags[ntags])
        {
            ntags++;
        }
        assert_int_equal(ntags, x->tag_count);
        for (size_t t = 0; t < ntags; t++)
        {
            assert_string_equal(s->tags[t], x->tags[t]);
        }
    }
}

/* Independent reference: does stream s pass the filters of q? */
static bool dt_reference_match(const dt_stream_t *s, const dt_request_t *q)
{
    if ((UINT32_MAX != q->stream_id && q->stream_id != s->stream_id) ||
        (UINT32_MAX != q->producer_id && q->producer_id != s->producer_id) ||
        (UINT64_MAX != q->data_source_id && q->data_source_id != s->dsid) ||
        (NULL != q->name && 0 != strcmp(q->name, s->name)))
    {
        return false;
    }
    for (size_t t = 0; NULL != q->tags && NULL != q->tags[t]; t++)
    {
        bool found = false;
        for (size_t k = 0; NULL != s->tags[k]; k++)
        {
            found = found || 0 == strcmp(s->tags[k], q->tags[t]);
        }
        if (!found)
        {
            return false;
        }
    }
    return true;
}

static void test_every_filter_combination(void **state)
{
    dt_state_t *st = *state;
    dt_load_streams(st);
    static const uint32_t stream_ids[] = {UINT32_MAX, 1001, 1003, 9999};
    static const uint32_t producer_ids[] = {UINT32_MAX, 11, 13};
    static const uint64_t dsids[] = {UINT64_MAX, 502, 503, 501};
    static const char *const names[] = {NULL, "cam-left", "lidar", "Lidar", "cam-"};
    static const char *const t_camera[] = {"camera", NULL};
    static const char *const t_camera_rgb[] = {"camera", "rgb", NULL};
    static const char *const t_dup[] = {"camera", "camera", "rgb", "camera", NULL};
    static const char *const t_case[] = {"Camera", NULL};
    static const char *const t_rgb_left[] = {"rgb", "left", NULL};
    static const char *const t_lidar[] = {"lidar", NULL};
    static const char *const t_none_match[] = {"camera", "lidar", NULL};
    static const char *const *const tag_sets[] = {NULL,   t_camera,   t_camera_rgb, t_dup,
                                                  t_case, t_rgb_left, t_lidar,      t_none_match};
    uint64_t id = 100;
    size_t checked = 0, ok = 0, not_found = 0;
    for (size_t a = 0; a < sizeof(stream_ids) / sizeof(stream_ids[0]); a++)
        for (size_t b = 0; b < sizeof(producer_ids) / sizeof(producer_ids[0]); b++)
            for (size_t c = 0; c < sizeof(dsids) / sizeof(dsids[0]); c++)
                for (size_t d = 0; d < sizeof(names) / sizeof(names[0]); d++)
                    for (size_t e = 0; e < sizeof(tag_sets) / sizeof(tag_sets[0]); e++)
                    {
                        dt_request_t q = dt_request(id++);
                        q.stream_id = stream_ids[a];
                        q.producer_id = producer_ids[b];
                        q.data_source_id = dsids[c];
                        q.name = names[d];
                        q.tags = tag_sets[e];
                        bool no_filter = 0 == a && 0 == b && 0 == c && 0 == d && 0 == e;
                        assert_true(dt_ask(st, &q));
                        size_t expected = 0;
                        for (size_t i = 0; i < 3; i++)
                        {
                            bool want = dt_reference_match(&dt_streams[i], &q);
                            expected += want ? 1 : 0;
                            const dt_result_t *x = dt_find(st, dt_streams[i].stream_id);
                            assert_int_equal(want, NULL != x);
                            if (NULL != x)
                            {
                                /* Full tag set, not the matched subset. */
                                size_t n = 0;
                                while (NULL != dt_streams[i].tags[n])
                                {
                                    n++;
                                }
                                assert_int_equal(n, x->tag_count);
                            }
                        }
                        assert_int_equal(expected, st->rsp.count);
                        if (expected > 0 || no_filter)
                        {
                            assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
                            ok++;
                        }
                        else
                        {
                            assert_int_equal(shm_tensorpool_discovery_discoveryStatus_NOT_FOUND, st->rsp.status);
                            not_found++;
                        }
                        checked++;
                    }
    assert_int_equal(4 * 3 * 4 * 5 * 8, checked);
    assert_true(ok > 10);
    assert_true(not_found > 10);
    assert_int_equal(checked, tp_discovery_provider_counters(st->provider)->requests);
}

static void test_expiry_after_three_periods(void **state)
{
    dt_state_t *st = *state;
    uint64_t t0 = dt_now;
    dt_load_streams(st);
    dt_request_t q = dt_request(1);
    /* Stream 1003 is refreshed at 2.5 periods: it outlives the others. */
    uint64_t keep = t0 + 5 * DT_PERIOD_NS / 2;
    dt_now = keep;
    dt_feed(st, dt_pool_announce(st->buf, 1003, 13, 10, 2, 64, "e10"), 0);
    dt_now = t0 + 3 * DT_PERIOD_NS - 1;
    assert_int_equal(0, tp_discovery_provider_do_work(st->provider, dt_now));
    assert_true(dt_ask(st, &q));
    assert_int_equal(3, st->rsp.count);
    /* Expired entries are not returned even before do_work runs. */
    dt_now = t0 + 3 * DT_PERIOD_NS;
    assert_true(dt_ask(st, &q));
    assert_int_equal(1, st->rsp.count);
    assert_int_equal(1003, st->rsp.results[0].stream_id);
    assert_string_equal("Lidar", st->rsp.results[0].name);
    assert_int_equal(2, tp_discovery_provider_do_work(st->provider, dt_now));
    assert_int_equal(1, tp_discovery_provider_entry_count(st->provider));
    dt_now = keep + 3 * DT_PERIOD_NS;
    assert_int_equal(1, tp_discovery_provider_do_work(st->provider, dt_now));
    assert_int_equal(0, tp_discovery_provider_entry_count(st->provider));
    assert_int_equal(3, tp_discovery_provider_counters(st->provider)->entries_expired);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(0, st->rsp.count);
    /* Metadata for an expired stream is not applied; a fresh announce starts without the old metadata. */
    dt_feed(st, dt_source_announce(st->buf, 1001, 11, 10, 1, "cam-left", 8), 0);
    assert_int_equal(1, tp_discovery_provider_counters(st->provider)->meta_unknown_stream);
    dt_feed(st, dt_pool_announce(st->buf, 1001, 11, 10, 2, 64, "e10"), 0);
    assert_true(dt_ask(st, &q));
    assert_int_equal(1, st->rsp.count);
    assert_string_equal("", st->rsp.results[0].name);
    assert_int_equal(UINT64_MAX, st->rsp.results[0].data_source_id);
}

static void test_epoch_bump_replaces_entry(void **state)
{
    dt_state_t *st = *state;
    dt_load_streams(st);
    dt_now += DT_PERIOD_NS;
    dt_feed(st, dt_pool_announce(st->buf, 1001, 11, 11, 3, 64, "e11"), 0);
    assert_int_equal(3, tp_discovery_provider_entry_count(st->provider));
    assert_int_equal(1, tp_discovery_provider_counters(st->provider)->epoch_bumps);
    dt_request_t q = dt_request(5);
    q.stream_id = 1001;
    assert_true(dt_ask(st, &q));
    assert_int_equal(1, st->rsp.count);
    assert_int_equal(11, st->rsp.results[0].epoch);
    assert_int_equal(3, st->rsp.results[0].pool_count);
    assert_string_equal("shm:file?path=/dev/shm/tp/1001/e11/header.ring", st->rsp.results[0].header_uri);
    /* Same producer: name and tags carried over. */
    assert_string_equal("cam-left", st->rsp.results[0].name);
    assert_int_equal(3, st->rsp.results[0].tag_count);
    /* A different producer takes the stream over: its metadata starts empty. */
    dt_feed(st, dt_pool_announce(st->buf, 1001, 99, 12, 1, 64, "e12"), 0);
    assert_true(dt_ask(st, &q));
    assert_int_equal(12, st->rsp.results[0].epoch);
    assert_int_equal(99, st->rsp.results[0].producer_id);
    assert_string_equal("", st->rsp.results[0].name);
    assert_int_equal(0, st->rsp.results[0].tag_count);
}

static void test_regressing_epoch_dropped(void **state)
{
    dt_state_t *st = *state;
    uint64_t t0 = dt_now;
    dt_load_streams(st);
    dt_feed(st, dt_pool_announce(st->buf, 1002, 12, 9, 1, 64, "e9"), 0);
    dt_feed(st, dt_source_announce(st->buf, 1002, 12, 9, 1, "old-name", 8), 0);
    const tp_discovery_provider_counters_t *c = tp_discovery_provider_counters(st->provider);
    assert_int_equal(1, c->epoch_regressions);
    assert_int_equal(1, c->meta_stale);
    dt_request_t q = dt_request(6);
    q.stream_id = 1002;
    assert_true(dt_ask(st, &q));
    assert_int_equal(10, st->rsp.results[0].epoch);
    assert_int_equal(2, st->rsp.results[0].pool_count);
    assert_string_equal("cam-right", st->rsp.results[0].name);
    /* Regressing announces do not refresh the entry: once it expires the older epoch is indexed afresh. */
    dt_now = t0 + 2 * DT_PERIOD_NS;
    dt_feed(st, dt_pool_announce(st->buf, 1002, 12, 9, 1, 64, "e9"), 0);
    assert_int_equal(2, c->epoch_regressions);
    dt_now = t0 + 3 * DT_PERIOD_NS;
    dt_feed(st, dt_pool_announce(st->buf, 1002, 12, 9, 1, 64, "e9"), 0);
    assert_int_equal(2, c->epoch_regressions);
    assert_true(dt_ask(st, &q));
    assert_int_equal(1, st->rsp.count);
    assert_int_equal(9, st->rsp.results[0].epoch);
}

static void test_invalid_announces_and_meta(void **state)
{
    dt_state_t *st = *state;
    dt_load_streams(st);
    const tp_discovery_provider_counters_t *c = tp_discovery_provider_counters(st->provider);
    /* pool_nslots != header_nslots (v1.0): never indexed. */
    dt_feed(st, dt_pool_announce(st->buf, 2001, 21, 1, 1, 32, "bad"), 0);
    assert_int_equal(1, c->announces_rejected);
    /* 17 distinct tags: more than a result can carry in full: rejected whole, previous tags kept. */
    const char *many[18];
    char names[17][8];
    for (int i = 0; i < 17; i++)
    {
        snprintf(names[i], sizeof(names[i]), "t%d", i);
        many[i] = names[i];
    }
    many[17] = NULL;
    dt_feed(st, dt_meta(st->buf, 1003, 2, many, NULL), 0);
    assert_int_equal(1, c->meta_rejected);
    /* Bad data_source_id text: rejected whole. */
    dt_feed(st, dt_meta(st->buf, 1003, 2, NULL, "12x"), 0);
    assert_int_equal(2, c->meta_rejected);
    /* Older meta_version: stale. */
    dt_feed(st, dt_meta(st->buf, 1003, 0, NULL, NULL), 0);
    assert_int_equal(1, c->meta_stale);
    /* Name over 256 bytes: rejected. */
    char long_name[300];
    memset(long_name, 'n', sizeof(long_name));
    dt_feed(st, dt_source_announce(st->buf, 1003, 13, 10, 1, long_name, 257), 0);
    assert_int_equal(3, c->meta_rejected);
    dt_request_t q = dt_request(7);
    q.stream_id = 1003;
    assert_true(dt_ask(st, &q));
    assert_string_equal("Lidar", st->rsp.results[0].name);
    assert_int_equal(1, st->rsp.results[0].tag_count);
    assert_string_equal("lidar", st->rsp.results[0].tags[0]);
    assert_int_equal(503, st->rsp.results[0].data_source_id);
    /* Duplicate tags in metadata collapse; a name of exactly 256 bytes is kept byte-for-byte. */
    static const char *const dup[] = {"x", "y", "x", NULL};
    dt_feed(st, dt_meta(st->buf, 1003, 3, dup, NULL), 0);
    dt_feed(st, dt_source_announce(st->buf, 1003, 13, 10, 3, long_name, 256), 0);
    assert_true(dt_ask(st, &q));
    assert_int_equal(2, st->rsp.results[0].tag_count);
    assert_int_equal(256, strlen(st->rsp.results[0].name));
    assert_int_equal(UINT64_MAX, st->rsp.results[0].data_source_id);
    /* Metadata of an unknown stream. */
    dt_feed(st, dt_meta(st->buf, 4242, 1, dup, NULL), 0);
    assert_int_equal(1, c->meta_unknown_stream);
}

static void test_response_endpoint_rules(void **state)
{
    dt_state_t *st = *state;
    dt_load_streams(st);
    const tp_discovery_provider_counters_t *c = tp_discovery_provider_counters(st->provider);
    /* response_stream_id = 0 with a channel: ERROR to that endpoint, no results. */
    dt_request_t q = dt_request(11);
    q.response_stream_id = 0;
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_ERROR, st->rsp.status);
    assert_true(st->rsp.error_length > 0);
    assert_int_equal(0, st->sink.target.stream_id);
    /* Empty channel (with or without a stream id): silence. Non-Aeron channel: silence. */
    q = dt_request(12);
    q.channel = "";
    assert_false(dt_ask(st, &q));
    q.response_stream_id = 0;
    assert_false(dt_ask(st, &q));
    q = dt_request(13);
    q.channel = "tcp://example.org:1";
    assert_false(dt_ask(st, &q));
    assert_int_equal(3, c->requests_dropped);
    /* Too many distinct tags: ERROR; 40 copies of one tag collapse to one and are fine. */
    const char *tags[DT_MAX_TAGS + 1];
    char names[DT_MAX_TAGS][8];
    for (int i = 0; i < DT_MAX_TAGS; i++)
    {
        snprintf(names[i], sizeof(names[i]), "t%d", i);
        tags[i] = names[i];
    }
    tags[DT_MAX_TAGS] = NULL;
    q = dt_request(14);
    q.tags = tags;
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_ERROR, st->rsp.status);
    for (int i = 0; i < DT_MAX_TAGS; i++)
    {
        tags[i] = "rgb";
    }
    q = dt_request(15);
    q.tags = tags;
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(2, st->rsp.count);
    assert_int_equal(2, c->responses_error);
}

static void dt_assert_still_serving(dt_state_t *st, uint64_t id)
{
    dt_request_t q = dt_request(id);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(3, st->rsp.count);
}

static void test_hostile_requests(void **state)
{
    dt_state_t *st = *state;
    dt_load_streams(st);
    const tp_discovery_provider_counters_t *c = tp_discovery_provider_counters(st->provider);
    static const char *const tags[] = {"camera", "rgb", NULL};
    dt_request_t q = dt_request(21);
    q.tags = tags;
    q.name = "cam-left";
    size_t full = dt_encode_request(st->buf, &q);
    static uint8_t copy[DT_BUF];
    memcpy(copy, st->buf, full);
    /* Every truncation: the response channel is never fully readable, so nothing is emitted. */
    for (size_t len = 0; len < full; len++)
    {
        /* A fresh heap copy of exactly len bytes, so ASan sees any read past the end. */
        uint8_t *cut = malloc(len + 1);
        assert_non_null(cut);
        memcpy(cut, copy, len);
        size_t before = st->sink.count;
        (void)tp_discovery_provider_on_message(st->provider, cut, len);
        free(cut);
        assert_int_equal(before, st->sink.count);
    }
    assert_int_equal(full, c->malformed_messages);
    dt_assert_still_serving(st, 22);
    /* Every announce truncation too: rejected, the index intact. */
    size_t alen = dt_pool_announce(st->buf, 1001, 11, 10, 2, 64, "e10");
    memcpy(copy, st->buf, alen);
    for (size_t len = 0; len < alen; len++)
    {
        uint8_t *cut = malloc(len + 1);
        assert_non_null(cut);
        memcpy(cut, copy, len);
        assert_int_equal(-1, tp_discovery_provider_on_message(st->provider, cut, len));
        free(cut);
    }
    dt_assert_still_serving(st, 23);
    /* Wrong schema id, unsupported version, a DiscoveryResponse on the request stream: silence. */
    size_t len = dt_encode_request(st->buf, &q);
    size_t before = st->sink.count;
    st->buf[4] = 0x8f; /* schemaId 911 */
    dt_feed(st, len, 0);
    assert_int_equal(1, c->foreign_messages);
    st->buf[4] = 0x8e;
    st->buf[6] = 2; /* version 2 */
    dt_feed(st, len, 0);
    st->buf[6] = 0; /* version 0 */
    dt_feed(st, len, 0);
    assert_int_equal(2, c->unsupported_versions);
    st->buf[6] = 1;
    st->buf[2] = 2; /* templateId 2 */
    dt_feed(st, len, 0);
    assert_int_equal(1, c->unknown_templates);
    assert_int_equal(before, st->sink.count);
    /* Lying lengths: a tag count far beyond the buffer, a response channel length beyond it. */
    len = dt_encode_request(st->buf, &q);
    size_t block = shm_tensorpool_discovery_discoveryRequest_sbe_block_length();
    st->buf[8 + block + 2] = 0xff;
    st->buf[8 + block + 3] = 0xff;
    dt_feed(st, len, -1);
    len = dt_encode_request(st->buf, &q);
    st->buf[8 + block + 0] = 0xff; /* tags blockLength 255 */
    dt_feed(st, len, -1);
    /* Deterministic random mutations of a valid request: never a crash; any response is well-formed. */
    uint32_t rng = 12345;
    for (int round = 0; round < 20000; round++)
    {
        len = dt_encode_request(st->buf, &q);
        int flips = 1 + (int)(rng % 4);
        for (int f = 0; f < flips; f++)
        {
            rng = rng * 1103515245u + 12345u;
            size_t at = 8 + (rng >> 8) % (len - 8);
            rng = rng * 1103515245u + 12345u;
            st->buf[at] = (uint8_t)(rng >> 16);
        }
        before = st->sink.count;
        (void)tp_discovery_provider_on_message(st->provider, st->buf, len);
        if (st->sink.count != before)
        {
            dt_decode(st);
        }
    }
    dt_assert_still_serving(st, 24);
    /* Random mutations of announces and metadata: never a crash, the index still answers with valid results. */
    static const char *const mtags[] = {"camera", "left", NULL};
    for (int round = 0; round < 20000; round++)
    {
        len = 0 == round % 3   ? dt_pool_announce(st->buf, 1001, 11, 10, 2, 64, "e10")
              : 1 == round % 3 ? dt_source_announce(st->buf, 1001, 11, 10, 1, "cam-left", 8)
                               : dt_meta(st->buf, 1001, 1, mtags, "501");
        rng = rng * 1103515245u + 12345u;
        size_t at = 8 + (rng >> 8) % (len - 8);
        rng = rng * 1103515245u + 12345u;
        st->buf[at] = (uint8_t)(rng >> 16);
        (void)tp_discovery_provider_on_message(st->provider, st->buf, len);
    }
    dt_request_t all = dt_request(25);
    assert_true(dt_ask(st, &all));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_true(st->rsp.count >= 3);
}

static int dt_refuse(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    (void)target;
    (void)buffer;
    (void)length;
    (*(int *)clientd)++;
    return -1;
}

static void test_sink_refusal_and_other_templates(void **state)
{
    (void)state;
    int offers = 0;
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_t *p = NULL;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = DT_INSTANCE;
    ctx.driver_control_channel = DT_CONTROL;
    ctx.driver_control_stream_id = DT_CONTROL_ID;
    ctx.max_entries = 4;
    ctx.clock = dt_clock;
    ctx.sink.offer = dt_refuse;
    ctx.sink.clientd = &offers;
    assert_int_equal(0, tp_discovery_provider_init(&p, &ctx));
    static uint8_t buf[DT_BUF];
    dt_request_t q = dt_request(41);
    size_t len = dt_encode_request(buf, &q);
    assert_int_equal(0, tp_discovery_provider_on_message(p, buf, len));
    assert_int_equal(1, offers);
    assert_int_equal(1, tp_discovery_provider_counters(p)->sink_refusals);
    assert_int_equal(1, tp_discovery_provider_counters(p)->responses_ok);
    /* A schema 900 message the provider does not consume (ConsumerHello shares the control stream). */
    len = dt_pool_announce(buf, 1, 1, 1, 1, 64, "e1");
    buf[2] = 2;
    assert_int_equal(0, tp_discovery_provider_on_message(p, buf, len));
    assert_int_equal(1, tp_discovery_provider_counters(p)->unknown_templates);
    assert_int_equal(0, tp_discovery_provider_entry_count(p));
    tp_discovery_provider_close(p);
}

static void dt_fill(dt_state_t *st, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
    {
        dt_feed(st, dt_pool_announce(st->buf, 5000 + i, i, 1, 1, 64, "e1"), 0);
    }
    assert_int_equal(count, tp_discovery_provider_entry_count(st->provider));
}

static void test_cap_exactly_1000_ok(void **state)
{
    dt_state_t *st = *state;
    dt_fill(st, 1000);
    dt_request_t q = dt_request(31);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(1000, st->rsp.count);
    for (uint32_t i = 0; i < 1000; i++)
    {
        assert_non_null(dt_find(st, 5000 + i));
    }
}

static void test_cap_beyond_1000_error(void **state)
{
    dt_state_t *st = *state;
    dt_fill(st, 1001);
    dt_request_t q = dt_request(32);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_ERROR, st->rsp.status);
    assert_int_equal(0, st->rsp.count);
    assert_true(st->rsp.error_length > 0 && st->rsp.error_length <= 1024);
    assert_non_null(strstr(st->rsp.error, "1001"));
    /* A narrower filter still answers. */
    q = dt_request(33);
    q.stream_id = 5500;
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(1, st->rsp.count);
    /* A full index drops announces of new streams and counts them. */
    dt_fill(st, 1100);
    dt_feed(st, dt_pool_announce(st->buf, 9999, 1, 1, 1, 64, "e1"), 0);
    assert_int_equal(1, tp_discovery_provider_counters(st->provider)->index_full);
}

/* Registry use: a second driver's announces index its streams under its own authority; the same stream id on two
 * drivers is two entries; expiry and epochs are per driver; bad add_driver calls are refused. */
static void test_two_drivers(void **state)
{
    dt_state_t *st = *state;
    tp_discovery_provider_close(st->provider);
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = DT_INSTANCE;
    ctx.driver_control_channel = DT_CONTROL;
    ctx.driver_control_stream_id = DT_CONTROL_ID;
    ctx.announce_period_ns = DT_PERIOD_NS;
    ctx.max_drivers = 2;
    ctx.clock = dt_clock;
    ctx.sink.offer = dt_offer;
    ctx.sink.clientd = &st->sink;
    assert_int_equal(0, tp_discovery_provider_init(&st->provider, &ctx));
    assert_int_equal(-1, tp_discovery_provider_add_driver(st->provider, DT_INSTANCE, "aeron:ipc", 2000)); /* same id */
    assert_int_equal(-1, tp_discovery_provider_add_driver(st->provider, "driver-b", "aeron:ipc", 0));
    assert_int_equal(-1, tp_discovery_provider_add_driver(st->provider, "driver-b", "", 2000));
    assert_int_equal(1, tp_discovery_provider_add_driver(st->provider, "driver-b", "aeron:udp?endpoint=b:1", 2000));
    assert_int_equal(-1, tp_discovery_provider_add_driver(st->provider, "driver-c", "aeron:ipc", 3000)); /* full */

    size_t length = dt_pool_announce(st->buf, 10, 1, 5, 1, 64, "a");
    assert_int_equal(0, tp_discovery_provider_on_driver_message(st->provider, 0, st->buf, length));
    length = dt_pool_announce(st->buf, 10, 2, 7, 1, 64, "b");
    assert_int_equal(0, tp_discovery_provider_on_driver_message(st->provider, 1, st->buf, length));
    length = dt_source_announce(st->buf, 10, 2, 7, 1, "cam-b", 5);
    assert_int_equal(0, tp_discovery_provider_on_driver_message(st->provider, 1, st->buf, length));
    /* An unknown driver index is not indexed. */
    length = dt_pool_announce(st->buf, 11, 3, 1, 1, 64, "x");
    assert_int_equal(0, tp_discovery_provider_on_driver_message(st->provider, 7, st->buf, length));
    assert_int_equal(2, tp_discovery_provider_entry_count(st->provider));

    dt_request_t q = dt_request(41);
    assert_true(dt_ask(st, &q));
    assert_int_equal(shm_tensorpool_discovery_discoveryStatus_OK, st->rsp.status);
    assert_int_equal(2, st->rsp.count);
    for (size_t i = 0; i < 2; i++)
    {
        const dt_result_t *r = &st->rsp.results[i];
        assert_int_equal(10, r->stream_id);
        if (7 == r->epoch)
        {
            assert_string_equal("driver-b", r->instance);
            assert_string_equal("aeron:udp?endpoint=b:1", r->control);
            assert_int_equal(2000, r->control_stream_id);
            assert_string_equal("cam-b", r->name);
        }
        else
        {
            assert_int_equal(5, r->epoch);
            assert_string_equal(DT_INSTANCE, r->instance);
            assert_int_equal(DT_CONTROL_ID, r->control_stream_id);
            assert_string_equal("", r->name); /* driver b's metadata did not touch driver a's stream 10 */
        }
    }
    /* Only driver a keeps announcing: driver b's entry expires after 3 periods. */
    for (int period = 1; period <= 3; period++)
    {
        dt_now += DT_PERIOD_NS;
        length = dt_pool_announce(st->buf, 10, 1, 5, 1, 64, "a");
        assert_int_equal(0, tp_discovery_provider_on_driver_message(st->provider, 0, st->buf, length));
        tp_discovery_provider_do_work(st->provider, dt_now);
    }
    assert_int_equal(1, tp_discovery_provider_entry_count(st->provider));
    q = dt_request(42);
    assert_true(dt_ask(st, &q));
    assert_int_equal(1, st->rsp.count);
    assert_string_equal(DT_INSTANCE, st->rsp.results[0].instance);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_drivers, dt_setup, dt_teardown),
        cmocka_unit_test(test_init_rejects_bad_context),
        cmocka_unit_test_setup_teardown(test_empty_index_ok_zero_vs_not_found, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_full_result_fields, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_every_filter_combination, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_after_three_periods, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_epoch_bump_replaces_entry, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_regressing_epoch_dropped, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_announces_and_meta, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_response_endpoint_rules, dt_setup, dt_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_requests, dt_setup, dt_teardown),
        cmocka_unit_test(test_sink_refusal_and_other_templates),
        cmocka_unit_test_setup_teardown(test_cap_exactly_1000_ok, dt_setup_large, dt_teardown),
        cmocka_unit_test_setup_teardown(test_cap_beyond_1000_error, dt_setup_large, dt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
