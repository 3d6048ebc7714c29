/*
 * Discovery provider: every byte string is fed to one provider (created once, small index) as a received
 * message, then its timers run with the clock advanced by 100 us per input byte, so the index fills from fuzzed
 * announces and metadata, fuzzed requests are answered from it, and entries expire every few dozen inputs.
 * Property: nothing crashes, leaks or reads past the input; the index never exceeds its capacity; every response
 * goes to a non-empty channel and carries at least a message header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/tp_discovery_provider.h"
#include "fuzz_seeds.h"
#include "shm_tensorpool_control/dataSourceAnnounce.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/messageHeader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 8
#define PERIOD_NS   100000000ULL
#define SEED_MAX    12
#define SEED_SIZE   1024

static tp_discovery_provider_t *provider;
static uint64_t now_ns = 1000000000000ULL;
static uint8_t seed_bytes[SEED_MAX][SEED_SIZE];
static fuzz_seed_t seeds[SEED_MAX];
static size_t seed_count;

static uint64_t fake_clock(void *clientd)
{
    (void)clientd;
    return now_ns;
}

static int discard(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    (void)clientd;
    if (length < 8 || NULL == buffer || NULL == target->channel || '\0' == target->channel[0])
    {
        abort();
    }
    return 0;
}

static void teardown(void)
{
    tp_discovery_provider_close(provider);
}

static void setup_once(void)
{
    if (NULL != provider)
    {
        return;
    }
    tp_discovery_provider_context_t ctx;
    tp_discovery_provider_context_init(&ctx);
    ctx.driver_instance_id = "driver-fuzz";
    ctx.driver_control_channel = "aeron:ipc?term-length=4m";
    ctx.driver_control_stream_id = 1000;
    ctx.announce_period_ns = PERIOD_NS;
    ctx.max_entries = MAX_ENTRIES;
    ctx.max_results = 4;
    ctx.clock = fake_clock;
    ctx.sink.offer = discard;
    if (0 != tp_discovery_provider_init(&provider, &ctx))
    {
        abort();
    }
    atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    tp_discovery_provider_on_message(provider, data, size);
    now_ns += (uint64_t)size * 100000ULL;
    tp_discovery_provider_do_work(provider, now_ns);
    if (tp_discovery_provider_entry_count(provider) > MAX_ENTRIES)
    {
        abort();
    }
    return 0;
}

/* ---- seeds: one valid message of each kind the provider consumes ---- */

static void add_seed(size_t length)
{
    seeds[seed_count].data = seed_bytes[seed_count];
    seeds[seed_count].length = length;
    seed_count++;
}

static void seed_pool_announce(uint32_t stream_id, uint64_t epoch, uint16_t npools)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce m;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools pools;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&m, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&m, 11);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&m, epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&m, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&m, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&m, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&m, 64);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&m, 256);
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&m, &pools, npools))
    {
        abort();
    }
    char uri[128];
    for (uint16_t i = 0; i < npools; i++)
    {
        int n = snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tp/%u/payload-%u.pool", stream_id, i + 1);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&pools, (uint16_t)(i + 1));
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&pools, 64);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&pools, 4096u << i);
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&pools, uri, (uint32_t)n))
        {
            abort();
        }
    }
    int n = snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tp/%u/header.ring", stream_id);
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&m, uri, (uint32_t)n))
    {
        abort();
    }
    add_seed(8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&m));
}

static void seed_source_announce(uint32_t stream_id, uint64_t epoch, const char *name)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceAnnounce m;
    if (NULL == shm_tensorpool_control_dataSourceAnnounce_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_control_dataSourceAnnounce_set_streamId(&m, stream_id);
    shm_tensorpool_control_dataSourceAnnounce_set_producerId(&m, 11);
    shm_tensorpool_control_dataSourceAnnounce_set_epoch(&m, epoch);
    shm_tensorpool_control_dataSourceAnnounce_set_metaVersion(&m, 1);
    if (NULL == shm_tensorpool_control_dataSourceAnnounce_put_name(&m, name, (uint32_t)strlen(name)) ||
        NULL == shm_tensorpool_control_dataSourceAnnounce_put_summary(&m, "u8[480,640,3]", 13))
    {
        abort();
    }
    add_seed(8 + shm_tensorpool_control_dataSourceAnnounce_encoded_length(&m));
}

static void seed_meta(uint32_t stream_id)
{
    static const char *const keys[] = {"tag", "tag", "data_source_id", "camera_serial"};
    static const char *const values[] = {"camera", "left", "501", "SN-42"};
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceMeta m;
    struct shm_tensorpool_control_dataSourceMeta_attributes attrs;
    if (NULL == shm_tensorpool_control_dataSourceMeta_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_control_dataSourceMeta_set_streamId(&m, stream_id);
    shm_tensorpool_control_dataSourceMeta_set_metaVersion(&m, 2);
    shm_tensorpool_control_dataSourceMeta_set_timestampNs(&m, 1);
    if (NULL == shm_tensorpool_control_dataSourceMeta_attributes_set_count(&m, &attrs, 4))
    {
        abort();
    }
    for (size_t i = 0; i < 4; i++)
    {
        shm_tensorpool_control_dataSourceMeta_attributes_next(&attrs);
        if (NULL ==
                shm_tensorpool_control_dataSourceMeta_attributes_put_key(&attrs, keys[i], (uint32_t)strlen(keys[i])) ||
            NULL == shm_tensorpool_control_dataSourceMeta_attributes_put_format(&attrs, "text/plain", 10) ||
            NULL == shm_tensorpool_control_dataSourceMeta_attributes_put_value(&attrs, values[i],
                                                                               (uint32_t)strlen(values[i])))
        {
            abort();
        }
    }
    add_seed(8 + shm_tensorpool_control_dataSourceMeta_encoded_length(&m));
}

static void seed_request(uint32_t stream_id, uint64_t data_source_id, const char *name, const char *tag)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_discovery_messageHeader hdr;
    struct shm_tensorpool_discovery_discoveryRequest m;
    struct shm_tensorpool_discovery_discoveryRequest_tags tags;
    if (NULL == shm_tensorpool_discovery_discoveryRequest_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_discovery_discoveryRequest_set_requestId(&m, 5);
    shm_tensorpool_discovery_discoveryRequest_set_clientId(&m, 77);
    shm_tensorpool_discovery_discoveryRequest_set_responseStreamId(&m, 7001);
    shm_tensorpool_discovery_discoveryRequest_set_streamId(&m, stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_producerId(&m, UINT32_MAX);
    shm_tensorpool_discovery_discoveryRequest_set_dataSourceId(&m, data_source_id);
    if (NULL == shm_tensorpool_discovery_discoveryRequest_tags_set_count(&m, &tags, NULL == tag ? 0 : 1))
    {
        abort();
    }
    if (NULL != tag)
    {
        shm_tensorpool_discovery_discoveryRequest_tags_next(&tags);
        if (NULL == shm_tensorpool_discovery_discoveryRequest_tags_put_tag(&tags, tag, (uint32_t)strlen(tag)))
        {
            abort();
        }
    }
    const char *channel = "aeron:ipc?alias=client-7";
    if (NULL == shm_tensorpool_discovery_discoveryRequest_put_responseChannel(&m, channel, (uint32_t)strlen(channel)) ||
        NULL == shm_tensorpool_discovery_discoveryRequest_put_dataSourceName(&m, name, (uint32_t)strlen(name)))
    {
        abort();
    }
    add_seed(8 + shm_tensorpool_discovery_discoveryRequest_encoded_length(&m));
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    if (0 == seed_count)
    {
        seed_pool_announce(1001, 3, 2);
        seed_pool_announce(1002, 1, 1);
        seed_source_announce(1001, 3, "cam-left");
        seed_meta(1001);
        seed_request(UINT32_MAX, UINT64_MAX, "", NULL);
        seed_request(UINT32_MAX, UINT64_MAX, "cam-left", "camera");
        seed_request(1001, 501, "", "left");
    }
    *count = seed_count;
    return seeds;
}
