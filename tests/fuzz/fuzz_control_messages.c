/*
 * Received control-plane messages: every byte string is fed to a consumer core (as a descriptor, control,
 * QoS and metadata message) and to a producer core. The consumer is first mapped onto the producer's real
 * regions with the producer's own announce, so fuzzed descriptors reach the seqlock/slot-header path and fuzzed
 * announces reach URI parsing, path containment and superblock validation.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/tp_clock.h"
#include "fuzz_seeds.h"
#include "tensorpool/tp_consumer_core.h"
#include "tensorpool/tp_producer_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_MAX  32
#define SEED_SIZE 1024

static tp_producer_core_t *producer;
static tp_consumer_core_t *consumer;
static char root[] = "/dev/shm/tp-fuzz-control-XXXXXX";
static uint8_t seed_bytes[SEED_MAX][SEED_SIZE];
static fuzz_seed_t seeds[SEED_MAX];
static size_t seed_count;
static uint64_t checksum;

/* The producer's outgoing messages become seeds (and the first announce maps the consumer). */
static int capture(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    (void)clientd;
    if (seed_count < SEED_MAX && length <= SEED_SIZE)
    {
        memcpy(seed_bytes[seed_count], buffer, length);
        seeds[seed_count].data = seed_bytes[seed_count];
        seeds[seed_count].length = length;
        seed_count++;
    }
    if (NULL != consumer)
    {
        tp_consumer_core_on_message(consumer, target->kind, buffer, length);
    }
    return 0;
}

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    (void)clientd;
    if (frame->payload_length > 0)
    {
        checksum += frame->payload[0] + frame->payload[frame->payload_length - 1];
    }
    (void)tp_consumer_frame_is_intact(frame);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    tp_consumer_core_close(consumer);
    tp_producer_core_close(producer);
    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_once(void)
{
    if (NULL != producer)
    {
        return;
    }
    if (NULL == mkdtemp(root))
    {
        abort();
    }
    tp_producer_context_t pctx;
    tp_producer_context_init(&pctx);
    pctx.stream_id = 10000;
    pctx.header_nslots = 8;
    pctx.pool_count = 2;
    pctx.pools[0] = (tp_producer_pool_config_t){1, 4096};
    pctx.pools[1] = (tp_producer_pool_config_t){2, 65536};
    snprintf(pctx.shm_base_dir, sizeof(pctx.shm_base_dir), "%s", root);
    pctx.sink = (tp_sink_t){capture, NULL, NULL};

    tp_consumer_context_t cctx;
    tp_consumer_context_init(&cctx);
    cctx.stream_id = 10000;
    cctx.consumer_id = 7;
    cctx.allowed_base_dirs[0] = root;
    cctx.allowed_base_dir_count = 1;
    cctx.on_frame = on_frame;
    if (0 != tp_producer_core_start(&producer, &pctx) || 0 != tp_consumer_core_start(&consumer, &cctx))
    {
        abort();
    }
    atexit(teardown);

    tp_producer_core_do_work(producer, tp_clock_monotonic_ns());
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc));
    desc.dtype = TP_DTYPE_UINT16;
    desc.major_order = TP_MAJOR_ORDER_ROW;
    desc.ndims = 2;
    desc.dims[0] = 16;
    desc.dims[1] = 32;
    static uint8_t payload[1024];
    for (uint64_t i = 0; i < 4; i++)
    {
        tp_producer_core_offer(producer, &desc, payload, sizeof(payload), i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    static const tp_stream_kind_t kinds[] = {TP_STREAM_DESCRIPTOR, TP_STREAM_CONTROL, TP_STREAM_QOS, TP_STREAM_METADATA,
                                             TP_STREAM_CONSUMER_DESCRIPTOR};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    {
        tp_consumer_core_on_message(consumer, kinds[i], data, size);
    }
    tp_producer_core_on_message(producer, data, size);
    return 0;
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    setup_once();
    *count = seed_count;
    return seeds;
}
