/*
 * The 64-byte ShmRegionSuperblock at offset 0 of every region (wire spec §7.1, §15.1, §15.14), encoded with the
 * generated SBE codec (template 50, bare body without message header).
 *
 * slot_bytes / stride_bytes are only defined for one region type each. We write header rings with
 * slot_bytes = 256 and stride_bytes = 0, payload pools with slot_bytes = the uint32 null value and
 * stride_bytes = the pool stride (the same convention as tensor_pool_c), and validation skips the field
 * that does not apply (TP_SUPERBLOCK_UNCHECKED).
 */
#ifndef TENSORPOOL_TP_SUPERBLOCK_H
#define TENSORPOOL_TP_SUPERBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_SUPERBLOCK_MAGIC           UINT64_C(0x544F504C53484D31)
#define TP_SUPERBLOCK_LENGTH          64
#define TP_LAYOUT_VERSION             1
#define TP_SUPERBLOCK_UNCHECKED       UINT32_MAX
#define TP_SUPERBLOCK_ACTIVITY_OFFSET 56

typedef enum tp_region_type_en
{
    TP_REGION_HEADER_RING = 1,
    TP_REGION_PAYLOAD_POOL = 2,
} tp_region_type_t;

typedef struct tp_superblock_stct
{
    uint64_t magic; /* ignored by tp_superblock_write, which always writes TP_SUPERBLOCK_MAGIC */
    uint32_t layout_version;
    uint64_t epoch;
    uint32_t stream_id;
    int16_t region_type;
    uint16_t pool_id;
    uint32_t nslots;
    uint32_t slot_bytes;
    uint32_t stride_bytes;
    uint64_t pid;
    uint64_t start_timestamp_ns;
    uint64_t activity_timestamp_ns;
} tp_superblock_t;

/* What the announce says the superblock must hold. */
typedef struct tp_superblock_expected_stct
{
    uint32_t layout_version;
    uint64_t epoch;
    uint32_t stream_id;
    tp_region_type_t region_type;
    uint16_t pool_id;
    uint32_t nslots;
    uint32_t slot_bytes;   /* TP_SUPERBLOCK_UNCHECKED to skip */
    uint32_t stride_bytes; /* TP_SUPERBLOCK_UNCHECKED to skip */
} tp_superblock_expected_t;

/*
 * Fill a superblock for a header ring / payload pool with the conventions above; pid is this process and both
 * timestamps are CLOCK_MONOTONIC now (tp_clock_monotonic_ns), the clock liveness checks must compare against.
 */
void tp_superblock_init_header_ring(tp_superblock_t *sb, uint64_t epoch, uint32_t stream_id, uint32_t nslots);
void tp_superblock_init_payload_pool(tp_superblock_t *sb, uint64_t epoch, uint32_t stream_id, uint16_t pool_id,
                                     uint32_t nslots, uint32_t stride_bytes);

/* Expected values for validating a header ring / payload pool against an announce. */
void tp_superblock_expect_header_ring(tp_superblock_expected_t *expected, uint32_t layout_version, uint64_t epoch,
                                      uint32_t stream_id, uint32_t nslots);
void tp_superblock_expect_payload_pool(tp_superblock_expected_t *expected, uint32_t layout_version, uint64_t epoch,
                                       uint32_t stream_id, uint16_t pool_id, uint32_t nslots, uint32_t stride_bytes);

/*
 * Write the superblock at region[0..64). The magic is stored last with release semantics, so a reader that sees
 * the magic (acquire) sees every other field. Returns 0, or -1 with TP_ERR_SUPERBLOCK if length < 64.
 */
int tp_superblock_write(uint8_t *region, size_t length, const tp_superblock_t *sb);

/* Decode the superblock (magic loaded with acquire). Returns 0, or -1 with TP_ERR_SUPERBLOCK if length < 64. */
int tp_superblock_read(const uint8_t *region, size_t length, tp_superblock_t *out);

/*
 * Validate magic, then every announced field. Returns 0, or -1 with TP_ERR_SUPERBLOCK and a message naming the
 * first mismatching field with its expected and actual value ("superblock nslots: expected 8, found 16").
 */
int tp_superblock_validate(const uint8_t *region, size_t length, const tp_superblock_expected_t *expected);

/* Liveness (§7.1): release-store / acquire-load of activity_timestamp_ns (8-byte aligned in a mapped region). */
void tp_superblock_activity_refresh(uint8_t *region, uint64_t now_ns);
uint64_t tp_superblock_activity_read(const uint8_t *region);

/* True when the activity timestamp is no older than window_ns at now_ns (a timestamp ahead of now is fresh). */
bool tp_superblock_is_fresh(const uint8_t *region, uint64_t now_ns, uint64_t window_ns);

#endif /* TENSORPOOL_TP_SUPERBLOCK_H */
