/*
 * Log buffers: the files that carry a publication's data. Layout [term 0][term 1][term 2]...[metadata 4096];
 * the metadata always lives in the last 4096 bytes (file length - 4096), which equals 3 x term only when the
 * page size is 4096.
 *
 * Raw tail: high 32 bits term id (signed), low 32 bits term offset (may run past the term end; always clamp).
 * Term ids are subtracted as wrapping i32 and widened to i64 before shifting.
 */
#ifndef TENSORPOOL_TP_LOGBUFFER_H
#define TENSORPOOL_TP_LOGBUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tp_atomic.h"

#define TP_LOGBUFFER_PARTITION_COUNT                 3
#define TP_LOGBUFFER_TERM_MIN_LENGTH                 (64 * 1024)
#define TP_LOGBUFFER_TERM_MAX_LENGTH                 (1024 * 1024 * 1024)
#define TP_LOGBUFFER_PAGE_MIN_SIZE                   (4 * 1024)
#define TP_LOGBUFFER_PAGE_MAX_SIZE                   (1024 * 1024 * 1024)
#define TP_LOGBUFFER_META_DATA_LENGTH                4096
#define TP_LOGBUFFER_DEFAULT_FRAME_HEADER_MAX_LENGTH 128
#define TP_LOGBUFFER_MAX_MESSAGE_LENGTH_CAP          (16 * 1024 * 1024)

/* Data frames (§8 of the fact sheet). */
#define TP_FRAME_ALIGNMENT    32
#define TP_DATA_HEADER_LENGTH 32
#define TP_FRAME_MAX_LENGTH   65504

#define TP_FRAME_VERSION            0
#define TP_FRAME_FLAG_BEGIN         0x80
#define TP_FRAME_FLAG_END           0x40
#define TP_FRAME_FLAG_EOS           0x20
#define TP_FRAME_FLAGS_UNFRAGMENTED (TP_FRAME_FLAG_BEGIN | TP_FRAME_FLAG_END)

#define TP_FRAME_TYPE_PAD       0
#define TP_FRAME_TYPE_DATA      1
#define TP_FRAME_TYPE_NAK       2
#define TP_FRAME_TYPE_SM        3
#define TP_FRAME_TYPE_ERR       4
#define TP_FRAME_TYPE_SETUP     5
#define TP_FRAME_TYPE_RTTM      6
#define TP_FRAME_TYPE_RES       7
#define TP_FRAME_TYPE_ATS_DATA  8
#define TP_FRAME_TYPE_ATS_SETUP 9
#define TP_FRAME_TYPE_ATS_SM    10
#define TP_FRAME_TYPE_RSP_SETUP 11
#define TP_FRAME_TYPE_EXT       (-1)

#pragma pack(push, 4)
typedef struct tp_data_header_stct
{
    int32_t frame_length;
    int8_t version;
    uint8_t flags;
    int16_t type;
    int32_t term_offset;
    int32_t session_id;
    int32_t stream_id;
    int32_t term_id;
    int64_t reserved_value;
} tp_data_header_t;

typedef struct tp_logbuffer_metadata_stct
{
    int64_t term_tail_counters[TP_LOGBUFFER_PARTITION_COUNT];
    int32_t active_term_count;
    uint8_t pad1[128 - 28];
    int64_t end_of_stream_position;
    int32_t is_connected;
    int32_t active_transport_count;
    uint8_t pad2[256 - 144];
    int64_t correlation_id;
    int32_t initial_term_id;
    int32_t default_frame_header_length;
    int32_t mtu_length;
    int32_t term_length;
    int32_t page_size;
    int32_t publication_window_length;
    int32_t receiver_window_length;
    int32_t socket_sndbuf_length;
    int32_t os_default_socket_sndbuf_length;
    int32_t os_max_socket_sndbuf_length;
    int32_t socket_rcvbuf_length;
    int32_t os_default_socket_rcvbuf_length;
    int32_t os_max_socket_rcvbuf_length;
    int32_t max_resend;
    uint8_t default_header[TP_LOGBUFFER_DEFAULT_FRAME_HEADER_MAX_LENGTH];
    int64_t entity_tag;
    int64_t response_correlation_id;
    int64_t linger_timeout_ns;
    int64_t untethered_window_limit_timeout_ns;
    int64_t untethered_resting_timeout_ns;
    uint8_t group;
    uint8_t is_response;
    uint8_t rejoin;
    uint8_t reliable;
    uint8_t sparse;
    uint8_t signal_eos;
    uint8_t spies_simulate_connection;
    uint8_t tether;
} tp_logbuffer_metadata_t;
#pragma pack(pop)

/* Setup checks: 0 when valid, -1 with an error naming the value. */
int tp_logbuffer_check_term_length(int64_t term_length);
int tp_logbuffer_check_page_size(int64_t page_size);
int tp_logbuffer_check_mtu_length(int64_t mtu_length);

/* align(3 x term + 4096, page_size). */
int64_t tp_logbuffer_compute_log_length(int64_t term_length, int64_t page_size);

static inline tp_logbuffer_metadata_t *tp_logbuffer_metadata_at(uint8_t *log, int64_t log_length)
{
    return (tp_logbuffer_metadata_t *)(log + log_length - TP_LOGBUFFER_META_DATA_LENGTH);
}

static inline int64_t tp_logbuffer_pack_tail(int32_t term_id, int32_t term_offset)
{
    return (int64_t)(((uint64_t)(uint32_t)term_id << 32) | (uint64_t)(uint32_t)term_offset);
}

static inline int32_t tp_logbuffer_term_id(int64_t raw_tail)
{
    return (int32_t)(uint32_t)((uint64_t)raw_tail >> 32);
}

/* Offset within the term, clamped to term_length because appends may run past the end. */
static inline int32_t tp_logbuffer_term_offset(int64_t raw_tail, int64_t term_length)
{
    const int64_t tail = (int64_t)((uint64_t)raw_tail & 0xFFFFFFFFULL);
    return (int32_t)(tail < term_length ? tail : term_length);
}

static inline int tp_logbuffer_position_bits_to_shift(int32_t term_length)
{
    return __builtin_ctz((unsigned int)term_length);
}

/* Wrapping difference of term ids: correct across the i32 boundary. */
static inline int32_t tp_logbuffer_term_id_diff(int32_t term_id, int32_t other_term_id)
{
    return (int32_t)((uint32_t)term_id - (uint32_t)other_term_id);
}

static inline int32_t tp_logbuffer_term_id_add(int32_t term_id, int32_t delta)
{
    return (int32_t)((uint32_t)term_id + (uint32_t)delta);
}

static inline int tp_logbuffer_index_by_term(int32_t initial_term_id, int32_t active_term_id)
{
    return (int)((uint32_t)tp_logbuffer_term_id_diff(active_term_id, initial_term_id) % TP_LOGBUFFER_PARTITION_COUNT);
}

static inline int tp_logbuffer_index_by_term_count(int64_t term_count)
{
    return (int)(term_count % TP_LOGBUFFER_PARTITION_COUNT);
}

static inline int tp_logbuffer_index_by_position(int64_t position, int position_bits_to_shift)
{
    return (int)((uint64_t)position >> position_bits_to_shift) % TP_LOGBUFFER_PARTITION_COUNT;
}

static inline int64_t tp_logbuffer_compute_position(int32_t active_term_id, int32_t term_offset,
                                                    int position_bits_to_shift, int32_t initial_term_id)
{
    const int64_t term_count = tp_logbuffer_term_id_diff(active_term_id, initial_term_id);
    return (int64_t)((uint64_t)term_count << position_bits_to_shift) + term_offset;
}

static inline int64_t tp_logbuffer_compute_term_begin_position(int32_t active_term_id, int position_bits_to_shift,
                                                               int32_t initial_term_id)
{
    return tp_logbuffer_compute_position(active_term_id, 0, position_bits_to_shift, initial_term_id);
}

static inline int32_t tp_logbuffer_compute_term_id_from_position(int64_t position, int position_bits_to_shift,
                                                                 int32_t initial_term_id)
{
    return tp_logbuffer_term_id_add(initial_term_id, (int32_t)((uint64_t)position >> position_bits_to_shift));
}

static inline int32_t tp_logbuffer_compute_term_offset_from_position(int64_t position, int position_bits_to_shift)
{
    return (int32_t)(position & ((INT64_C(1) << position_bits_to_shift) - 1));
}

static inline int64_t tp_logbuffer_max_possible_position(int32_t term_length)
{
    return (int64_t)term_length << 31;
}

/* min(term / 8, 16 MiB). */
static inline int32_t tp_logbuffer_compute_max_message_length(int32_t term_length)
{
    const int32_t by_term = term_length / 8;
    return by_term < TP_LOGBUFFER_MAX_MESSAGE_LENGTH_CAP ? by_term : TP_LOGBUFFER_MAX_MESSAGE_LENGTH_CAP;
}

/* Term bytes that a message of `length` occupies once fragmented into frames of max_payload_length. */
int64_t tp_logbuffer_compute_fragmented_length(int64_t length, int64_t max_payload_length);

static inline int32_t tp_logbuffer_active_term_count(const tp_logbuffer_metadata_t *metadata)
{
    return tp_load_acquire_i32(&metadata->active_term_count);
}

static inline int64_t tp_logbuffer_raw_tail_volatile(const tp_logbuffer_metadata_t *metadata, int partition)
{
    return tp_load_acquire_i64(&metadata->term_tail_counters[partition]);
}

static inline int64_t tp_logbuffer_active_raw_tail(const tp_logbuffer_metadata_t *metadata)
{
    const int32_t term_count = tp_logbuffer_active_term_count(metadata);
    return tp_logbuffer_raw_tail_volatile(metadata, tp_logbuffer_index_by_term_count(term_count));
}

/* Producer position from the active raw tail (the tail offset is clamped to the term). */
int64_t tp_logbuffer_producer_position(const tp_logbuffer_metadata_t *metadata);

/* Fresh-log tails: partition 0 holds initial_term_id, partitions 1 and 2 initial - 2 and initial - 1. */
void tp_logbuffer_initialise_tails(tp_logbuffer_metadata_t *metadata, int32_t initial_term_id);

/*
 * Tails for a log that starts at (term_id, term_offset): the active partition holds it, the next two hold
 * term_id + 1 - 3 and term_id + 2 - 3; active_term_count = term_id - initial_term_id.
 */
void tp_logbuffer_initialise_tails_at(tp_logbuffer_metadata_t *metadata, int32_t initial_term_id, int32_t term_id,
                                      int32_t term_offset);

/*
 * Moves the log to the next term: the next partition's tail is CAS-ed to (term_id + 1) << 32 if it still holds
 * the term id three behind, then active_term_count is CAS-ed forward. Returns true when this caller advanced
 * the active term count (losers of the race return false and need do nothing).
 */
bool tp_logbuffer_rotate_log(tp_logbuffer_metadata_t *metadata, int32_t current_term_count, int32_t current_term_id);

/* Default frame header template @320: length 0, version 0, flags 0xC0, DATA, session, stream, initial term. */
void tp_logbuffer_fill_default_header(tp_logbuffer_metadata_t *metadata, int32_t session_id, int32_t stream_id,
                                      int32_t initial_term_id);

/* Frame helpers. */
static inline int32_t tp_frame_length_volatile(const uint8_t *term_buffer, int32_t term_offset)
{
    return tp_load_acquire_i32((const volatile int32_t *)(term_buffer + term_offset));
}

static inline bool tp_frame_is_padding(const uint8_t *term_buffer, int32_t term_offset)
{
    return TP_FRAME_TYPE_PAD == ((const tp_data_header_t *)(term_buffer + term_offset))->type;
}

/*
 * Fragment handler for the term reader: the payload after the 32-byte header, and the header itself.
 */
typedef void (*tp_term_reader_handler_t)(const uint8_t *buffer, size_t length, const tp_data_header_t *header,
                                         void *clientd);

/*
 * Delivers committed DATA frames of one term from term_offset, skipping PAD frames and never crossing the term
 * end. Returns the number of fragments delivered and sets *next_offset to the offset after the last frame
 * consumed (including skipped padding).
 */
int32_t tp_term_reader_read(const uint8_t *term_buffer, int32_t term_offset, int32_t term_length,
                            tp_term_reader_handler_t handler, void *clientd, int32_t fragments_limit,
                            int32_t *next_offset);

/*
 * Scans committed frames from term_offset for at most max_length bytes without splitting a frame. A PAD frame
 * ends the scan: its 32-byte header counts as available and the rest of it is reported in *padding (0 when no
 * PAD frame was reached). Returns the available byte count.
 */
int32_t tp_term_scanner_scan_for_availability(const uint8_t *term_buffer, int32_t term_offset, int32_t term_length,
                                              int32_t max_length, int32_t *padding);

/* Zeroes [offset + 8, offset + length) then release-stores the 8-byte word at offset (length word last). */
void tp_term_clean(uint8_t *term_buffer, int32_t offset, int32_t length);

#define TP_TERM_UNBLOCKER_NO_ACTION        0
#define TP_TERM_UNBLOCKER_UNBLOCKED        1
#define TP_TERM_UNBLOCKER_UNBLOCKED_TO_END 2

/*
 * Turns a stuck frame at blocked_offset into padding: a negative (claimed, never committed) length becomes a
 * PAD of that length; a zero length followed only by zeros up to the next written frame becomes one PAD up to
 * it; a zero run up to the term end becomes a PAD to the end (UNBLOCKED_TO_END).
 */
int tp_term_unblocker_unblock(const tp_logbuffer_metadata_t *metadata, uint8_t *term_buffer, int32_t blocked_offset,
                              int32_t tail_offset, int32_t term_id, int32_t term_length);

/*
 * Unblocks a log whose consumers are stuck at blocked_position; rotates when the stuck frame runs to the term
 * end or when the blocked position is the start of the term after the active one. Returns true when it acted.
 */
bool tp_logbuffer_unblock(uint8_t *const term_buffers[TP_LOGBUFFER_PARTITION_COUNT], tp_logbuffer_metadata_t *metadata,
                          int64_t blocked_position, int32_t term_length);

#endif /* TENSORPOOL_TP_LOGBUFFER_H */
