/*
 * The discovery client (tp_discovery.h). Unit tests of its response rules through the collector, fed hand-encoded
 * DiscoveryResponses: unknown request_id dropped, results with empty / zero authority ignored, pool_nslots !=
 * header_nslots a protocol error, NOT_FOUND / ERROR results ignored, de-dup by (driver_instance_id, stream_id,
 * epoch) with the newest epoch kept, malformed input rejected; request encoding bounds. Then the whole client over
 * a real media driver (child process): an in-process provider core with 60 streams answers through Aeron with a
 * response far larger than one frame, which the client reassembles; find_stream and context_apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <aeronc.h>

#include "aeron_test_harness.h"
#include "discovery/tp_discovery_client_private.h"
#include "discovery/tp_discovery_provider.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/discoveryResponse.h"
#include "tensorpool/tensorpool.h"
#include "tensorpool/tp_discovery.h"

#define CT_BUF (64 * 1024)

/* One result to encode. */
typedef struct ct_result_stct
{
    uint32_t stream_id;
    uint64_t epoch;
    const char *instance;
    const char *channel;
    uint32_t control_stream_id;
    uint32_t header_nslots;
    uint32_t pool_nslots;
    const char *name;
    const char *tag;
} ct_result_t;

static const ct_result_t ct_good = {10, 3, "drv-a", "aeron:ipc", 1000, 64, 64, "cam", "rgb"};

static size_t ct_response(uint8_t *buf, uint64_t request_id, enum shm_tensorpool_discovery_discoveryStatus status,
                          const ct_result_t *results, size_t count, const char *error)
{
    struct shm_tensorpool_discovery_messageHeader hdr;
    struct shm_tensorpool_discovery_discoveryResponse msg;
    struct shm_tensorpool_discovery_discoveryResponse_results r;
    memset(buf, 0, CT_BUF);
    assert_non_null(
        shm_tensorpool_discovery_discoveryResponse_wrap_and_apply_header(&msg, (char *)buf, 0, CT_BUF, &hdr));
    shm_tensorpool_discovery_discoveryResponse_set_requestId(&msg, request_id);
    shm_tensorpool_discovery_discoveryResponse_set_status(&msg, status);
    assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_set_count(&msg, &r, (uint16_t)count));
    for (size_t i = 0; i < count; i++)
    {
        const ct_result_t *c = &results[i];
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_next(&r));
        shm_tensorpool_discovery_discoveryResponse_results_set_streamId(&r, c->stream_id);
        shm_tensorpool_discovery_discoveryResponse_results_set_producerId(&r, 7);
        shm_tensorpool_discovery_discoveryResponse_results_set_epoch(&r, c->epoch);
        shm_tensorpool_discovery_discoveryResponse_results_set_layoutVersion(&r, 1);
        shm_tensorpool_discovery_discoveryResponse_results_set_headerNslots(&r, c->header_nslots);
        shm_tensorpool_discovery_discoveryResponse_results_set_headerSlotBytes(&r, 256);
        shm_tensorpool_discovery_discoveryResponse_results_set_maxDims(&r, 8);
        shm_tensorpool_discovery_discoveryResponse_results_set_dataSourceId(&r, 42);
        shm_tensorpool_discovery_discoveryResponse_results_set_driverControlStreamId(&r, c->control_stream_id);
        struct shm_tensorpool_discovery_discoveryResponse_results_payloadPools pools;
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_count(&r, &pools, 1));
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_payloadPools_next(&pools));
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_poolId(&pools, 1);
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_poolNslots(&pools, c->pool_nslots);
        shm_tensorpool_discovery_discoveryResponse_results_payloadPools_set_strideBytes(&pools, 4096);
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_payloadPools_put_regionUri(
            &pools, "shm:file?path=/p", 16));
        struct shm_tensorpool_discovery_discoveryResponse_results_tags tags;
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_tags_set_count(&r, &tags, 1));
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_tags_next(&tags));
        assert_non_null(
            shm_tensorpool_discovery_discoveryResponse_results_tags_put_tag(&tags, c->tag, (uint32_t)strlen(c->tag)));
        assert_non_null(
            shm_tensorpool_discovery_discoveryResponse_results_put_headerRegionUri(&r, "shm:file?path=/h", 16));
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_put_dataSourceName(
            &r, c->name, (uint32_t)strlen(c->name)));
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_put_driverInstanceId(
            &r, c->instance, (uint32_t)strlen(c->instance)));
        assert_non_null(shm_tensorpool_discovery_discoveryResponse_results_put_driverControlChannel(
            &r, c->channel, (uint32_t)strlen(c->channel)));
    }
    assert_non_null(shm_tensorpool_discovery_discoveryResponse_put_errorMessage(&msg, error, (uint32_t)strlen(error)));
    return 8 + shm_tensorpool_discovery_discoveryResponse_encoded_length(&msg);
}

static uint8_t ct_buf[CT_BUF];

static void test_unknown_request_id_dropped(void **state)
{
    (void)state;
    tp_discovery_collector_t c;
    memset(&c, 0, sizeof(c));
    size_t length = ct_response(ct_buf, 5, shm_tensorpool_discovery_discoveryStatus_OK, &ct_good, 1, "");
    /* Before any query: nothing is awaited. */
    assert_int_equal(0, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(TP_DISCOVERY_QUERY_IDLE, c.state);
    tp_discovery_collector_reset(&c, 6);
    assert_int_equal(0, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(TP_DISCOVERY_QUERY_PENDING, c.state);
    assert_int_equal(0, c.count);
    assert_int_equal(2, c.counters.unknown_request_ids);
    /* The awaited id is taken. */
    length = ct_response(ct_buf, 6, shm_tensorpool_discovery_discoveryStatus_OK, &ct_good, 1, "");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(TP_DISCOVERY_QUERY_DONE, c.state);
    assert_int_equal(TP_DISCOVERY_STATUS_OK, c.status);
    assert_int_equal(1, c.count);
    const tp_discovery_result_t *r = &c.results[0];
    assert_int_equal(10, r->stream_id);
    assert_int_equal(3, r->epoch);
    assert_string_equal("drv-a", r->driver_instance_id);
    assert_string_equal("aeron:ipc", r->driver_control_channel);
    assert_int_equal(1000, r->driver_control_stream_id);
    assert_string_equal("cam", r->data_source_name);
    assert_int_equal(1, r->tag_count);
    assert_string_equal("rgb", r->tags[0]);
    assert_int_equal(1, r->pool_count);
    assert_string_equal("shm:file?path=/p", r->pools[0].region_uri);
    assert_int_equal(42, r->data_source_id);
    /* A late answer to an older query is dropped after a reset too. */
    tp_discovery_collector_reset(&c, 7);
    assert_int_equal(0, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(0, c.count);
    tp_discovery_collector_close(&c);
}

static void test_zero_or_empty_authority_ignored(void **state)
{
    (void)state;
    tp_discovery_collector_t c;
    memset(&c, 0, sizeof(c));
    ct_result_t results[4] = {ct_good, ct_good, ct_good, ct_good};
    results[0].control_stream_id = 0;
    results[1].instance = "";
    results[2].channel = "";
    results[3].stream_id = 11; /* the only valid one */
    tp_discovery_collector_reset(&c, 1);
    size_t length = ct_response(ct_buf, 1, shm_tensorpool_discovery_discoveryStatus_OK, results, 4, "");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(3, c.counters.invalid_authority);
    assert_int_equal(1, c.count);
    assert_int_equal(11, c.results[0].stream_id);
    tp_discovery_collector_close(&c);
}

static void test_pool_nslots_mismatch_is_protocol_error(void **state)
{
    (void)state;
    tp_discovery_collector_t c;
    memset(&c, 0, sizeof(c));
    ct_result_t results[2] = {ct_good, ct_good};
    results[0].pool_nslots = 32; /* header 64 */
    results[1].stream_id = 12;
    tp_discovery_collector_reset(&c, 1);
    size_t length = ct_response(ct_buf, 1, shm_tensorpool_discovery_discoveryStatus_OK, results, 2, "");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(1, c.counters.protocol_errors);
    assert_int_equal(1, c.count);
    assert_int_equal(12, c.results[0].stream_id);
    tp_discovery_collector_close(&c);
}

static void test_dedup_and_newest_epoch(void **state)
{
    (void)state;
    tp_discovery_collector_t c;
    memset(&c, 0, sizeof(c));
    ct_result_t results[5] = {ct_good, ct_good, ct_good, ct_good, ct_good};
    results[1].epoch = 3;          /* exact duplicate of [0] */
    results[2].epoch = 2;          /* stale */
    results[3].instance = "drv-b"; /* same stream id, another driver: kept apart */
    results[4].epoch = 5;          /* newer: replaces */
    results[4].name = "cam-new";
    tp_discovery_collector_reset(&c, 9);
    size_t length = ct_response(ct_buf, 9, shm_tensorpool_discovery_discoveryStatus_OK, results, 5, "");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(2, c.count);
    assert_int_equal(1, c.counters.duplicates);
    assert_int_equal(2, c.counters.stale_epochs); /* the older epoch 2 and the replaced epoch 3 */
    assert_string_equal("drv-a", c.results[0].driver_instance_id);
    assert_int_equal(5, c.results[0].epoch);
    assert_string_equal("cam-new", c.results[0].data_source_name);
    assert_string_equal("drv-b", c.results[1].driver_instance_id);
    /* A second provider answering the same request: merged with the same rules. */
    length = ct_response(ct_buf, 9, shm_tensorpool_discovery_discoveryStatus_OK, &results[3], 1, "");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(2, c.count);
    assert_int_equal(2, c.counters.duplicates);
    tp_discovery_collector_close(&c);
}

static void test_not_found_and_error_results_ignored(void **state)
{
    (void)state;
    tp_discovery_collector_t c;
    memset(&c, 0, sizeof(c));
    tp_discovery_collector_reset(&c, 1);
    size_t length = ct_response(ct_buf, 1, shm_tensorpool_discovery_discoveryStatus_NOT_FOUND, &ct_good, 1, "");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(TP_DISCOVERY_STATUS_NOT_FOUND, c.status);
    assert_int_equal(0, c.count);
    assert_int_equal(1, c.counters.results_ignored);
    tp_discovery_collector_reset(&c, 2);
    length = ct_response(ct_buf, 2, shm_tensorpool_discovery_discoveryStatus_ERROR, &ct_good, 1, "too many");
    assert_int_equal(1, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(TP_DISCOVERY_STATUS_ERROR, c.status);
    assert_string_equal("too many", c.error_message);
    assert_int_equal(0, c.count);
    tp_discovery_collector_close(&c);
}

static void test_malformed_and_foreign_rejected(void **state)
{
    (void)state;
    tp_discovery_collector_t c;
    memset(&c, 0, sizeof(c));
    tp_discovery_collector_reset(&c, 1);
    size_t length = ct_response(ct_buf, 1, shm_tensorpool_discovery_discoveryStatus_OK, &ct_good, 1, "");
    /* Every truncation of a valid response is malformed and changes nothing. */
    for (size_t cut = 0; cut < length; cut++)
    {
        assert_int_equal(-1, tp_discovery_collector_on_message(&c, ct_buf, cut));
    }
    assert_int_equal(TP_DISCOVERY_QUERY_PENDING, c.state);
    assert_int_equal(length, c.counters.malformed_responses);
    /* A DiscoveryRequest (template 1) on the response stream is foreign. */
    ct_buf[2] = 1;
    assert_int_equal(0, tp_discovery_collector_on_message(&c, ct_buf, length));
    assert_int_equal(1, c.counters.foreign_messages);
    tp_discovery_collector_close(&c);
}

static void test_request_encoding(void **state)
{
    (void)state;
    uint8_t buf[TP_DISCOVERY_REQUEST_MAX];
    tp_discovery_filter_t f;
    tp_discovery_filter_init(&f);
    const char *tags[] = {"rgb", "front"};
    f.name = "cam";
    f.tags = tags;
    f.tag_count = 2;
    f.stream_id = 10;
    size_t length = tp_discovery_request_encode(&f, 77, 5, "aeron:ipc", 45000, buf, sizeof(buf));
    assert_true(length > 0);
    struct shm_tensorpool_discovery_discoveryRequest msg;
    assert_non_null(shm_tensorpool_discovery_discoveryRequest_wrap_for_decode(
        &msg, (char *)buf, 8, shm_tensorpool_discovery_discoveryRequest_sbe_block_length(), 1, length));
    assert_int_equal(77, shm_tensorpool_discovery_discoveryRequest_requestId(&msg));
    assert_int_equal(45000, shm_tensorpool_discovery_discoveryRequest_responseStreamId(&msg));
    assert_int_equal(10, shm_tensorpool_discovery_discoveryRequest_streamId(&msg));
    assert_int_equal(UINT32_MAX, shm_tensorpool_discovery_discoveryRequest_producerId(&msg));
    assert_int_equal(UINT64_MAX, shm_tensorpool_discovery_discoveryRequest_dataSourceId(&msg));
    /* Out of bounds: too many tags, an empty tag, a name over 256 bytes. */
    f.tag_count = TP_DISCOVERY_FILTER_TAGS_MAX + 1;
    assert_int_equal(0, tp_discovery_request_encode(&f, 1, 1, "aeron:ipc", 1, buf, sizeof(buf)));
    const char *empty[] = {""};
    f.tags = empty;
    f.tag_count = 1;
    assert_int_equal(0, tp_discovery_request_encode(&f, 1, 1, "aeron:ipc", 1, buf, sizeof(buf)));
    char name[300];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    f.tag_count = 0;
    f.name = name;
    assert_int_equal(0, tp_discovery_request_encode(&f, 1, 1, "aeron:ipc", 1, buf, sizeof(buf)));
}

/* ---- over Aeron: an in-process provider answering through a publication ---- */

#define CT_REQUEST_STREAM  7100
#define CT_RESPONSE_STREAM 7101
#define CT_STREAMS         60

typedef struct ct_aeron_stct
{
    tp_test_driver_t driver;
    tp_client_t *client;
    tp_discovery_provider_t *provider;
    aeron_publication_t *response_pub;
    aeron_subscription_t *request_sub;
    aeron_fragment_assembler_t *assembler;
    uint64_t offered_bytes;
} ct_aeron_t;

static int ct_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    ct_aeron_t *a = clientd;
    assert_int_equal(CT_RESPONSE_STREAM, target->stream_id);
    for (int i = 0; i < 1000; i++)
    {
        if (aeron_publication_offer(a->response_pub, buffer, length, NULL, NULL) > 0)
        {
            a->offered_bytes = length;
            return 0;
        }
        tp_test_sleep_ms(1);
    }
    return -1;
}

static void ct_on_request(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    ct_aeron_t *a = clientd;
    (void)tp_discovery_provider_on_message(a->provider, buffer, length);
}

/* A ShmPoolAnnounce of stream_id with 4 pools and long URIs: 60 of them make a response of many Aeron frames. */
static size_t ct_announce(uint8_t *buf, uint32_t stream_id)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools pools;
    memset(buf, 0, CT_BUF);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, (char *)buf, 0, CT_BUF, &hdr));
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, 64);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, 256);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &pools, 4));
    char uri[300];
    for (uint16_t i = 0; i < 4; i++)
    {
        assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools));
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&pools, (uint16_t)(i + 1));
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&pools, 64);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&pools, 4096u << i);
        snprintf(uri, sizeof(uri),
                 "shm:file?path=/dev/shm/tensorpool/a-rather-long-namespace/%u/epoch-1/payload-%u.pool", stream_id,
                 i + 1);
        assert_non_null(
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&pools, uri, (uint32_t)strlen(uri)));
    }
    snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tensorpool/a-rather-long-namespace/%u/epoch-1/header.ring",
             stream_id);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, uri, (uint32_t)strlen(uri)));
    return 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
}

static int ct_aeron_setup(void **state)
{
    ct_aeron_t *a = calloc(1, sizeof(*a));
    *state = a;
    if (NULL == a || tp_test_driver_start(&a->driver, "10s", NULL) < 0)
    {
        return -1;
    }
    tp_context_t *ctx = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, a->driver.dir) < 0 ||
        tp_client_start(&a->client, ctx) < 0)
    {
        fprintf(stderr, "client: %s\n", tp_errmsg());
        tp_context_close(ctx);
        return -1;
    }
    tp_context_close(ctx);
    aeron_t *aeron = tp_client_aeron(a->client);
    a->response_pub = tp_test_add_publication(aeron, "aeron:ipc", CT_RESPONSE_STREAM);
    if (aeron_fragment_assembler_create(&a->assembler, ct_on_request, a) < 0)
    {
        return -1;
    }
    a->request_sub = tp_test_add_subscription(aeron, "aeron:ipc", CT_REQUEST_STREAM, NULL, NULL, NULL);
    tp_discovery_provider_context_t pctx;
    tp_discovery_provider_context_init(&pctx);
    pctx.driver_instance_id = "drv-aeron";
    pctx.driver_control_channel = "aeron:ipc?term-length=1m";
    pctx.driver_control_stream_id = 1000;
    pctx.announce_period_ns = UINT64_C(3600) * 1000000000; /* nothing expires during the test */
    pctx.sink = (tp_sink_t){.offer = ct_sink_offer, .clientd = a};
    if (NULL == a->response_pub || NULL == a->request_sub || tp_discovery_provider_init(&a->provider, &pctx) < 0)
    {
        return -1;
    }
    for (uint32_t s = 1; s <= CT_STREAMS; s++)
    {
        size_t length = ct_announce(ct_buf, 100 + s);
        assert_int_equal(0, tp_discovery_provider_on_message(a->provider, ct_buf, length));
    }
    return 0;
}

static int ct_aeron_teardown(void **state)
{
    ct_aeron_t *a = *state;
    if (NULL != a)
    {
        tp_discovery_provider_close(a->provider);
        tp_client_close(a->client); /* closes its publications and subscriptions */
        if (NULL != a->assembler)
        {
            aeron_fragment_assembler_delete(a->assembler);
        }
        tp_test_driver_stop(&a->driver);
        free(a);
    }
    return 0;
}

/* One duty cycle of the "provider side" and of the client. */
static int ct_step(ct_aeron_t *a, tp_discovery_client_t *dc)
{
    int work = aeron_subscription_poll(a->request_sub, aeron_fragment_assembler_handler, a->assembler, 10);
    work += tp_discovery_query_poll(dc);
    work += tp_client_do_work(a->client);
    if (0 == work)
    {
        tp_test_sleep_ms(1);
    }
    return work;
}

static tp_discovery_client_t *ct_discovery_client(ct_aeron_t *a)
{
    tp_discovery_client_config_t config;
    tp_discovery_client_config_init(&config);
    config.request_stream_id = CT_REQUEST_STREAM;
    config.response_stream_id = CT_RESPONSE_STREAM;
    tp_discovery_client_t *dc = NULL;
    if (tp_discovery_client_start(&dc, a->client, &config) < 0)
    {
        fprintf(stderr, "discovery client: %s\n", tp_errmsg());
    }
    assert_non_null(dc);
    return dc;
}

static void test_fragmented_response_over_aeron(void **state)
{
    ct_aeron_t *a = *state;
    tp_discovery_client_t *dc = ct_discovery_client(a);
    assert_int_equal(0, tp_discovery_query_start(dc, NULL));
    int64_t deadline = tp_test_now_ms() + 20000;
    while (TP_DISCOVERY_QUERY_DONE != tp_discovery_query_state(dc) && tp_test_now_ms() < deadline)
    {
        assert_true(ct_step(a, dc) >= 0);
    }
    assert_int_equal(TP_DISCOVERY_QUERY_DONE, tp_discovery_query_state(dc));
    assert_int_equal(TP_DISCOVERY_STATUS_OK, tp_discovery_query_status(dc));
    /* Many Aeron frames (MTU 1408) made one message. */
    assert_true(a->offered_bytes > 10 * 1408);
    assert_int_equal(CT_STREAMS, tp_discovery_query_result_count(dc));
    bool seen[CT_STREAMS] = {false};
    for (size_t i = 0; i < CT_STREAMS; i++)
    {
        const tp_discovery_result_t *r = tp_discovery_query_result(dc, i);
        assert_non_null(r);
        assert_true(r->stream_id > 100 && r->stream_id <= 100 + CT_STREAMS);
        seen[r->stream_id - 101] = true;
        assert_int_equal(4, r->pool_count);
        assert_string_equal("drv-aeron", r->driver_instance_id);
        assert_int_equal(1000, r->driver_control_stream_id);
        assert_non_null(strstr(r->pools[3].region_uri, "payload-4.pool"));
    }
    for (size_t i = 0; i < CT_STREAMS; i++)
    {
        assert_true(seen[i]);
    }
    assert_null(tp_discovery_query_result(dc, CT_STREAMS));
    assert_int_equal(0, tp_discovery_client_counters(dc)->malformed_responses);

    /* A filtered query on the same client: a new request id, only its answer counts. */
    tp_discovery_filter_t f;
    tp_discovery_filter_init(&f);
    f.stream_id = 105;
    uint64_t previous = tp_discovery_query_request_id(dc);
    assert_int_equal(0, tp_discovery_query_start(dc, &f));
    assert_true(tp_discovery_query_request_id(dc) != previous);
    deadline = tp_test_now_ms() + 20000;
    while (TP_DISCOVERY_QUERY_DONE != tp_discovery_query_state(dc) && tp_test_now_ms() < deadline)
    {
        assert_true(ct_step(a, dc) >= 0);
    }
    assert_int_equal(1, tp_discovery_query_result_count(dc));
    assert_int_equal(105, tp_discovery_query_result(dc, 0)->stream_id);
    tp_discovery_client_close(dc);
}

/* find_stream blocks in its own loop, so the in-process provider side (polled by ct_step) never answers here:
 * it must time out naming what it looked for. Its success path runs in tests/apps/test_discovery_registry.c. */
static void test_find_stream_times_out_and_context_apply(void **state)
{
    ct_aeron_t *a = *state;
    tp_discovery_client_t *dc = ct_discovery_client(a);
    tp_discovery_result_t result;
    assert_int_equal(-1, tp_discovery_find_stream(dc, "nobody", NULL, 0, UINT64_C(300000000), &result));
    assert_non_null(strstr(tp_errmsg(), "nobody"));
    assert_int_equal(-1, tp_discovery_find_stream(dc, NULL, NULL, 0, UINT64_C(300000000), &result));
    tp_discovery_client_close(dc);

    tp_context_t *ctx = NULL;
    assert_int_equal(0, tp_context_init(&ctx));
    memset(&result, 0, sizeof(result));
    assert_int_equal(-1, tp_discovery_context_apply(ctx, &result)); /* names no driver */
    strcpy(result.driver_control_channel, "aeron:ipc?term-length=1m");
    result.driver_control_stream_id = 2000;
    assert_int_equal(0, tp_discovery_context_apply(ctx, &result));
    assert_true(tp_context_get_shm_driver(ctx));
    /* The driver's term-length is left out: copied, it would clash with other clients' QoS publications. */
    assert_string_equal("aeron:ipc", tp_context_get_channel(ctx));
    assert_int_equal(2000, tp_context_get_stream_id(ctx, TP_STREAM_CONTROL));
    strcpy(result.driver_control_channel, "aeron:udp?endpoint=10.0.0.1:40456|term-length=4m|ttl=4");
    assert_int_equal(0, tp_discovery_context_apply(ctx, &result));
    assert_string_equal("aeron:udp?endpoint=10.0.0.1:40456|ttl=4", tp_context_get_channel(ctx));
    strcpy(result.driver_control_channel, "aeron:ipc?term-length=4m|alias=x");
    assert_int_equal(0, tp_discovery_context_apply(ctx, &result));
    assert_string_equal("aeron:ipc?alias=x", tp_context_get_channel(ctx));
    tp_context_close(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_request_id_dropped),
        cmocka_unit_test(test_zero_or_empty_authority_ignored),
        cmocka_unit_test(test_pool_nslots_mismatch_is_protocol_error),
        cmocka_unit_test(test_dedup_and_newest_epoch),
        cmocka_unit_test(test_not_found_and_error_results_ignored),
        cmocka_unit_test(test_malformed_and_foreign_rejected),
        cmocka_unit_test(test_request_encoding),
        cmocka_unit_test_setup_teardown(test_fragmented_response_over_aeron, ct_aeron_setup, ct_aeron_teardown),
        cmocka_unit_test_setup_teardown(test_find_stream_times_out_and_context_apply, ct_aeron_setup,
                                        ct_aeron_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
