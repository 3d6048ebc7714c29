#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "shm/tp_superblock.h"
#include "shm_tensorpool_control/shmRegionSuperblock.h"

#define TP_SUPERBLOCK_CODEC struct shm_tensorpool_control_shmRegionSuperblock

/* Identity and liveness of the writing process: CLOCK_MONOTONIC is host-wide, which is all liveness needs. */
static void tp_superblock_init_identity(tp_superblock_t *sb)
{
    sb->pid = (uint64_t)getpid();
    sb->start_timestamp_ns = tp_clock_monotonic_ns();
    sb->activity_timestamp_ns = sb->start_timestamp_ns;
}

/* Fields every region shares; slot_bytes and stride_bytes each apply to one region type only. */
static void tp_superblock_init_region(tp_superblock_t *sb, uint64_t epoch, uint32_t stream_id, int16_t region_type,
                                      uint16_t pool_id, uint32_t nslots, uint32_t slot_bytes, uint32_t stride_bytes)
{
    memset(sb, 0, sizeof(*sb));
    tp_superblock_init_identity(sb);
    sb->magic = TP_SUPERBLOCK_MAGIC;
    sb->layout_version = TP_LAYOUT_VERSION;
    sb->epoch = epoch;
    sb->stream_id = stream_id;
    sb->region_type = region_type;
    sb->pool_id = pool_id;
    sb->nslots = nslots;
    sb->slot_bytes = slot_bytes;
    sb->stride_bytes = stride_bytes;
}

void tp_superblock_init_header_ring(tp_superblock_t *sb, uint64_t epoch, uint32_t stream_id, uint32_t nslots)
{
    tp_superblock_init_region(sb, epoch, stream_id, TP_REGION_HEADER_RING, 0, nslots, 256, 0);
}

void tp_superblock_init_payload_pool(tp_superblock_t *sb, uint64_t epoch, uint32_t stream_id, uint16_t pool_id,
                                     uint32_t nslots, uint32_t stride_bytes)
{
    tp_superblock_init_region(sb, epoch, stream_id, TP_REGION_PAYLOAD_POOL, pool_id, nslots, UINT32_MAX, stride_bytes);
}

void tp_superblock_expect_header_ring(tp_superblock_expected_t *expected, uint32_t layout_version, uint64_t epoch,
                                      uint32_t stream_id, uint32_t nslots)
{
    expected->layout_version = layout_version;
    expected->epoch = epoch;
    expected->stream_id = stream_id;
    expected->region_type = TP_REGION_HEADER_RING;
    expected->pool_id = 0; /* §7.1: header rings carry pool_id 0 */
    expected->nslots = nslots;
    expected->slot_bytes = 256;
    expected->stride_bytes = TP_SUPERBLOCK_UNCHECKED;
}

void tp_superblock_expect_payload_pool(tp_superblock_expected_t *expected, uint32_t layout_version, uint64_t epoch,
                                       uint32_t stream_id, uint16_t pool_id, uint32_t nslots, uint32_t stride_bytes)
{
    expected->layout_version = layout_version;
    expected->epoch = epoch;
    expected->stream_id = stream_id;
    expected->region_type = TP_REGION_PAYLOAD_POOL;
    expected->pool_id = pool_id;
    expected->nslots = nslots;
    expected->slot_bytes = TP_SUPERBLOCK_UNCHECKED;
    expected->stride_bytes = stride_bytes;
}

static int tp_superblock_check_length(size_t length)
{
    if (length < TP_SUPERBLOCK_LENGTH)
    {
        TP_SET_ERR(TP_ERR_SUPERBLOCK, "region of %zu bytes is too short for the %d-byte superblock", length,
                   TP_SUPERBLOCK_LENGTH);
        return -1;
    }
    return 0;
}

int tp_superblock_write(uint8_t *region, size_t length, const tp_superblock_t *sb)
{
    if (tp_superblock_check_length(length) < 0)
    {
        return -1;
    }
    TP_SUPERBLOCK_CODEC codec;
    if (NULL == shm_tensorpool_control_shmRegionSuperblock_wrap_for_encode(&codec, (char *)region, 0, length))
    {
        TP_SET_ERR(TP_ERR_CODEC, "cannot wrap superblock codec over %zu bytes", length);
        return -1;
    }
    /* A reader must never see a valid magic over half-written fields: clear it first, publish it last. */
    tp_store_release_u64((volatile uint64_t *)region, 0);
    shm_tensorpool_control_shmRegionSuperblock_set_layoutVersion(&codec, sb->layout_version);
    shm_tensorpool_control_shmRegionSuperblock_set_epoch(&codec, sb->epoch);
    shm_tensorpool_control_shmRegionSuperblock_set_streamId(&codec, sb->stream_id);
    shm_tensorpool_control_shmRegionSuperblock_set_regionType(&codec,
                                                              (enum shm_tensorpool_control_regionType)sb->region_type);
    shm_tensorpool_control_shmRegionSuperblock_set_poolId(&codec, sb->pool_id);
    shm_tensorpool_control_shmRegionSuperblock_set_nslots(&codec, sb->nslots);
    shm_tensorpool_control_shmRegionSuperblock_set_slotBytes(&codec, sb->slot_bytes);
    shm_tensorpool_control_shmRegionSuperblock_set_strideBytes(&codec, sb->stride_bytes);
    shm_tensorpool_control_shmRegionSuperblock_set_pid(&codec, sb->pid);
    shm_tensorpool_control_shmRegionSuperblock_set_startTimestampNs(&codec, sb->start_timestamp_ns);
    shm_tensorpool_control_shmRegionSuperblock_set_activityTimestampNs(&codec, sb->activity_timestamp_ns);
    tp_store_release_u64((volatile uint64_t *)region, TP_SUPERBLOCK_MAGIC);
    return 0;
}

int tp_superblock_read(const uint8_t *region, size_t length, tp_superblock_t *out)
{
    if (tp_superblock_check_length(length) < 0)
    {
        return -1;
    }
    TP_SUPERBLOCK_CODEC codec;
    if (NULL == shm_tensorpool_control_shmRegionSuperblock_wrap_for_decode(
                    &codec, (char *)region, 0, shm_tensorpool_control_shmRegionSuperblock_sbe_block_length(),
                    shm_tensorpool_control_shmRegionSuperblock_sbe_schema_version(), length))
    {
        TP_SET_ERR(TP_ERR_CODEC, "cannot wrap superblock codec over %zu bytes", length);
        return -1;
    }
    /* Pairs with the release store of the magic in tp_superblock_write. */
    out->magic = tp_load_acquire_u64((const volatile uint64_t *)region);
    out->layout_version = shm_tensorpool_control_shmRegionSuperblock_layoutVersion(&codec);
    out->epoch = shm_tensorpool_control_shmRegionSuperblock_epoch(&codec);
    out->stream_id = shm_tensorpool_control_shmRegionSuperblock_streamId(&codec);
    out->region_type = shm_tensorpool_control_shmRegionSuperblock_regionType_raw(&codec);
    out->pool_id = shm_tensorpool_control_shmRegionSuperblock_poolId(&codec);
    out->nslots = shm_tensorpool_control_shmRegionSuperblock_nslots(&codec);
    out->slot_bytes = shm_tensorpool_control_shmRegionSuperblock_slotBytes(&codec);
    out->stride_bytes = shm_tensorpool_control_shmRegionSuperblock_strideBytes(&codec);
    out->pid = shm_tensorpool_control_shmRegionSuperblock_pid(&codec);
    out->start_timestamp_ns = shm_tensorpool_control_shmRegionSuperblock_startTimestampNs(&codec);
    out->activity_timestamp_ns = tp_superblock_activity_read(region);
    return 0;
}

static int tp_superblock_mismatch_u64(const char *field, uint64_t expected, uint64_t actual)
{
    TP_SET_ERR(TP_ERR_SUPERBLOCK, "superblock %s: expected %" PRIu64 ", found %" PRIu64, field, expected, actual);
    return -1;
}

int tp_superblock_validate(const uint8_t *region, size_t length, const tp_superblock_expected_t *expected)
{
    tp_superblock_t sb;
    if (tp_superblock_read(region, length, &sb) < 0)
    {
        return -1;
    }
    if (TP_SUPERBLOCK_MAGIC != sb.magic)
    {
        TP_SET_ERR(TP_ERR_SUPERBLOCK, "superblock magic: expected 0x%016" PRIx64 ", found 0x%016" PRIx64,
                   TP_SUPERBLOCK_MAGIC, sb.magic);
        return -1;
    }
    if (expected->layout_version != sb.layout_version)
    {
        return tp_superblock_mismatch_u64("layout_version", expected->layout_version, sb.layout_version);
    }
    if (expected->epoch != sb.epoch)
    {
        return tp_superblock_mismatch_u64("epoch", expected->epoch, sb.epoch);
    }
    if (expected->stream_id != sb.stream_id)
    {
        return tp_superblock_mismatch_u64("stream_id", expected->stream_id, sb.stream_id);
    }
    if ((int16_t)expected->region_type != sb.region_type)
    {
        TP_SET_ERR(TP_ERR_SUPERBLOCK, "superblock region_type: expected %d, found %d", (int)expected->region_type,
                   (int)sb.region_type);
        return -1;
    }
    if (expected->pool_id != sb.pool_id)
    {
        return tp_superblock_mismatch_u64("pool_id", expected->pool_id, sb.pool_id);
    }
    if (expected->nslots != sb.nslots)
    {
        return tp_superblock_mismatch_u64("nslots", expected->nslots, sb.nslots);
    }
    if (TP_SUPERBLOCK_UNCHECKED != expected->slot_bytes && expected->slot_bytes != sb.slot_bytes)
    {
        return tp_superblock_mismatch_u64("slot_bytes", expected->slot_bytes, sb.slot_bytes);
    }
    if (TP_SUPERBLOCK_UNCHECKED != expected->stride_bytes && expected->stride_bytes != sb.stride_bytes)
    {
        return tp_superblock_mismatch_u64("stride_bytes", expected->stride_bytes, sb.stride_bytes);
    }
    return 0;
}

void tp_superblock_activity_refresh(uint8_t *region, uint64_t now_ns)
{
    /* Offset 56 of a page-aligned mapping is 8-byte aligned, so this is a single atomic store. */
    tp_store_release_u64((volatile uint64_t *)(region + TP_SUPERBLOCK_ACTIVITY_OFFSET), now_ns);
}

uint64_t tp_superblock_activity_read(const uint8_t *region)
{
    return tp_load_acquire_u64((const volatile uint64_t *)(region + TP_SUPERBLOCK_ACTIVITY_OFFSET));
}

bool tp_superblock_is_fresh(const uint8_t *region, uint64_t now_ns, uint64_t window_ns)
{
    uint64_t activity = tp_superblock_activity_read(region);
    return activity >= now_ns || now_ns - activity <= window_ns;
}
