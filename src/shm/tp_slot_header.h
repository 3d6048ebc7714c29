/*
 * The 256-byte header slot (wire spec §8): SlotHeader (template 51, bare body, seq_commit at offset 0) followed
 * by headerBytes holding an embedded TensorHeader message (8-byte message header + 184-byte block = 192 bytes),
 * encoded with the generated SBE codecs.
 *
 * Encoding overwrites the whole slot except seq_commit, which belongs to the seqlock (tp_seqlock.h). Decoding
 * works on a private copy of the slot taken between tp_seqlock_read_begin() and tp_seqlock_read_end(), so the
 * checks below look at bytes that cannot change under them. Both are hot-path calls: no allocation, no
 * syscalls, a tp_frame_status_t result instead of the thread-local error.
 *
 * The embedded header must be exactly TensorHeader v1: length 192, schemaId 900, templateId 52, version 1 and
 * blockLength 184. A larger blockLength (a newer TensorHeader) is rejected rather than skipped, because §8.3
 * ties the length to 8 + blockLength and v1.1 fixes the length at 192, so a longer block cannot fit the slot.
 */
#ifndef TENSORPOOL_TP_SLOT_HEADER_H
#define TENSORPOOL_TP_SLOT_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "shm/tp_frame_status.h"
#include "tensorpool/tp_tensor.h"

#define TP_SLOT_HEADER_BYTES            256
#define TP_SLOT_HEADER_BLOCK_LENGTH     60
#define TP_TENSOR_HEADER_BLOCK_LENGTH   184
#define TP_TENSOR_HEADER_ENCODED_LENGTH 192
#define TP_WIRE_SCHEMA_ID               900
#define TP_WIRE_SCHEMA_VERSION          1
#define TP_TENSOR_HEADER_TEMPLATE_ID    52

/* Everything a producer writes into a slot besides seq_commit. */
typedef struct tp_slot_header_fields_stct
{
    uint32_t values_len_bytes;
    uint32_t payload_slot;
    uint16_t pool_id;
    uint64_t timestamp_ns;
    uint32_t meta_version;
    tp_tensor_desc_t tensor;
} tp_slot_header_fields_t;

/* A mapped payload pool, as the decoder needs it. */
typedef struct tp_slot_pool_stct
{
    uint16_t pool_id;
    uint32_t stride_bytes;
} tp_slot_pool_t;

/* What the consumer knows independently of the slot: where it looked and which pools exist. */
typedef struct tp_slot_expect_stct
{
    uint32_t header_index;
    const tp_slot_pool_t *pools;
    size_t pool_count;
} tp_slot_expect_t;

/*
 * Write bytes 8..255 of slot: fixed fields, zeroed pad, headerBytes length 192 and the TensorHeader with its
 * message header, dims/strides zero-filled from ndims on and zeroed padding. payload_offset is always 0.
 * Returns TP_FRAME_OK, or TP_FRAME_NDIMS / TP_FRAME_BUFFER without touching the slot.
 */
tp_frame_status_t tp_slot_header_encode(uint8_t *slot, size_t slot_length, const tp_slot_header_fields_t *fields);

/*
 * Rewrite only timestamp_ns and meta_version of a slot tp_slot_header_encode wrote (commit of a claim whose
 * description did not change: the rest of the header is already in place).
 */
void tp_slot_header_stamp(uint8_t *slot, uint64_t timestamp_ns, uint32_t meta_version);

/*
 * Decode and validate a slot copy. On TP_FRAME_OK the view is filled (seq = seq_commit >> 1 of the copy; the
 * caller still checks it against the descriptor through the seqlock). Otherwise the status names the first
 * rule that failed and the view is unspecified.
 */
tp_frame_status_t tp_slot_header_decode(const uint8_t *slot, size_t slot_length, const tp_slot_expect_t *expect,
                                        tp_tensor_view_t *view);

#endif /* TENSORPOOL_TP_SLOT_HEADER_H */
