/*
 * Frame writing shared by the concurrent and the exclusive publication (fact sheet §8, §9). Everything here runs
 * on the offer hot path: no allocation, no lock, no system call.
 */
#ifndef TENSORPOOL_AERON_TERM_APPENDER_H
#define TENSORPOOL_AERON_TERM_APPENDER_H

#include <errno.h>
#include <string.h>

#include "aeron_client_private.h"
#include "common/tp_atomic.h"

/* For the offer paths: one body per entry point, so the hot case pays no call and sees its constant arguments. */
#if defined(__GNUC__) || defined(__clang__)
#define AERON_OFFER_INLINE static inline __attribute__((always_inline))
#else
#define AERON_OFFER_INLINE static inline
#endif

/* Cursor over an iovec array so fragments can be filled across element boundaries. */
typedef struct aeron_iov_cursor_stct
{
    const aeron_iovec_t *iov;
    size_t iovcnt;
    size_t index;
    size_t offset;
} aeron_iov_cursor_t;

static inline void aeron_iov_cursor_copy(aeron_iov_cursor_t *cursor, uint8_t *dst, size_t length)
{
    while (length > 0 && cursor->index < cursor->iovcnt)
    {
        const aeron_iovec_t *v = &cursor->iov[cursor->index];
        size_t available = v->iov_len - cursor->offset;
        size_t n = length < available ? length : available;
        memcpy(dst, v->iov_base + cursor->offset, n);
        dst += n;
        length -= n;
        cursor->offset += n;
        if (cursor->offset == v->iov_len)
        {
            cursor->index++;
            cursor->offset = 0;
        }
    }
}

/*
 * Starts a frame: the negative length goes first (release) so the frame stays invisible to readers while the
 * header and payload are written. The rest of the header is three wide stores built from the cached template
 * words (little-endian wire layout, like the template itself) instead of a byte-wise copy.
 */
static inline void aeron_term_header_begin(const aeron_publication_log_t *log, uint8_t *frame, int32_t frame_length,
                                           int32_t term_offset, int32_t term_id, uint8_t flags, int16_t type)
{
    tp_store_release_i32((volatile int32_t *)frame, -frame_length);
    tp_fence_release();
    const uint32_t version_flags_type = log->header_version | ((uint32_t)flags << 8) | ((uint32_t)(uint16_t)type << 16);
    const uint64_t offset_session = (uint64_t)(uint32_t)term_offset | log->header_session_id_high;
    const uint64_t stream_term = log->header_stream_id_low | ((uint64_t)(uint32_t)term_id << 32);
    const uint64_t reserved = 0;
    memcpy(frame + 4, &version_flags_type, sizeof(version_flags_type));
    memcpy(frame + AERON_FRAME_TERM_OFFSET_OFFSET, &offset_session, sizeof(offset_session));
    memcpy(frame + AERON_FRAME_TERM_OFFSET_OFFSET + 8, &stream_term, sizeof(stream_term));
    memcpy(frame + AERON_FRAME_RESERVED_VALUE_OFFSET, &reserved, sizeof(reserved));
}

static inline void aeron_term_frame_commit(uint8_t *frame, int32_t frame_length)
{
    tp_store_release_i32((volatile int32_t *)frame, frame_length);
}

static inline void aeron_term_write_padding(const aeron_publication_log_t *log, uint8_t *term, int32_t term_offset,
                                            int32_t term_id)
{
    int32_t length = log->term_length - term_offset;
    uint8_t *frame = term + term_offset;
    aeron_term_header_begin(log, frame, length, term_offset, term_id, AERON_FRAME_UNFRAGMENTED, AERON_FRAME_TYPE_PAD);
    aeron_term_frame_commit(frame, length);
}

static inline void aeron_term_set_reserved_value(uint8_t *frame, int32_t frame_length,
                                                 aeron_reserved_value_supplier_t supplier, void *clientd)
{
    if (NULL != supplier)
    {
        int64_t value = supplier(clientd, frame, (size_t)frame_length);
        memcpy(frame + AERON_FRAME_RESERVED_VALUE_OFFSET, &value, sizeof(value));
    }
}

/*
 * Payload source of an offer: a plain buffer (offer) or an iovec cursor (offerv). The plain buffer is the hot
 * case and copies with one memcpy, without the cursor bookkeeping.
 */
static inline void aeron_term_copy_payload(uint8_t *dst, const uint8_t *buffer, size_t consumed,
                                           aeron_iov_cursor_t *cursor, size_t length)
{
    if (NULL != buffer)
    {
        memcpy(dst, buffer + consumed, length);
    }
    else
    {
        aeron_iov_cursor_copy(cursor, dst, length);
    }
}

/* Writes a message that fits one frame at term_offset: the hot path of every offer. */
AERON_OFFER_INLINE void aeron_term_write_unfragmented(const aeron_publication_log_t *log, uint8_t *term,
                                                      int32_t term_offset, int32_t term_id, const uint8_t *buffer,
                                                      aeron_iov_cursor_t *cursor, size_t length,
                                                      aeron_reserved_value_supplier_t supplier, void *clientd)
{
    int32_t frame_length = (int32_t)length + AERON_FRAME_HEADER_LENGTH;
    uint8_t *frame = term + term_offset;
    aeron_term_header_begin(log, frame, frame_length, term_offset, term_id, AERON_FRAME_UNFRAGMENTED,
                            AERON_FRAME_TYPE_DATA);
    aeron_term_copy_payload(frame + AERON_FRAME_HEADER_LENGTH, buffer, 0, cursor, length);
    aeron_term_set_reserved_value(frame, frame_length, supplier, clientd);
    aeron_term_frame_commit(frame, frame_length);
}

/* Writes a message longer than the max payload as BEGIN .. END fragments; kept out of line, it is the rare case. */
static __attribute__((noinline, unused)) void
aeron_term_write_fragmented(const aeron_publication_log_t *log, uint8_t *term, int32_t term_offset, int32_t term_id,
                            const uint8_t *buffer, aeron_iov_cursor_t *cursor, size_t length,
                            aeron_reserved_value_supplier_t supplier, void *clientd)
{
    size_t remaining = length;
    uint8_t flags = AERON_FRAME_BEGIN_FLAG;
    int32_t offset = term_offset;
    while (remaining > 0)
    {
        size_t bytes = remaining < (size_t)log->max_payload_length ? remaining : (size_t)log->max_payload_length;
        int32_t frame_length = (int32_t)bytes + AERON_FRAME_HEADER_LENGTH;
        if (remaining == bytes)
        {
            flags |= AERON_FRAME_END_FLAG;
        }
        uint8_t *frame = term + offset;
        aeron_term_header_begin(log, frame, frame_length, offset, term_id, flags, AERON_FRAME_TYPE_DATA);
        aeron_term_copy_payload(frame + AERON_FRAME_HEADER_LENGTH, buffer, length - remaining, cursor, bytes);
        aeron_term_set_reserved_value(frame, frame_length, supplier, clientd);
        aeron_term_frame_commit(frame, frame_length);
        remaining -= bytes;
        offset += AERON_ALIGN(frame_length, AERON_FRAME_ALIGNMENT);
        flags = 0;
    }
}

/* Writes the frames of a message of `length` bytes into [term_offset, term_offset + framed length). */
AERON_OFFER_INLINE void aeron_term_write_message(const aeron_publication_log_t *log, uint8_t *term, int32_t term_offset,
                                                 int32_t term_id, const uint8_t *buffer, aeron_iov_cursor_t *cursor,
                                                 size_t length, aeron_reserved_value_supplier_t supplier, void *clientd)
{
    if (length <= (size_t)log->max_payload_length)
    {
        aeron_term_write_unfragmented(log, term, term_offset, term_id, buffer, cursor, length, supplier, clientd);
    }
    else
    {
        aeron_term_write_fragmented(log, term, term_offset, term_id, buffer, cursor, length, supplier, clientd);
    }
}

/* Bytes a message of `length` occupies in the term, all fragments included. */
static inline int32_t aeron_term_framed_length(const aeron_publication_log_t *log, size_t length)
{
    if (length <= (size_t)log->max_payload_length)
    {
        return AERON_ALIGN((int32_t)length + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT);
    }
    int32_t full = (int32_t)(length / (size_t)log->max_payload_length);
    int32_t rest = (int32_t)(length % (size_t)log->max_payload_length);
    int32_t framed = full * (log->max_payload_length + AERON_FRAME_HEADER_LENGTH);
    if (rest > 0)
    {
        framed += AERON_ALIGN(rest + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT);
    }
    return framed;
}

static inline int64_t aeron_publication_log_back_pressure_status(const aeron_publication_log_t *log, int64_t position,
                                                                 size_t length)
{
    int64_t aligned = AERON_ALIGN((int64_t)length + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT);
    if (position + aligned >= log->max_possible_position)
    {
        return AERON_PUBLICATION_MAX_POSITION_EXCEEDED;
    }
    if (1 == tp_load_acquire_i32(log->is_connected))
    {
        return AERON_PUBLICATION_BACK_PRESSURED;
    }
    return AERON_PUBLICATION_NOT_CONNECTED;
}

static inline size_t aeron_iov_total_length(const aeron_iovec_t *iov, size_t iovcnt)
{
    size_t total = 0;
    for (size_t i = 0; i < iovcnt; i++)
    {
        total += iov[i].iov_len;
    }
    return total;
}

#endif /* TENSORPOOL_AERON_TERM_APPENDER_H */
