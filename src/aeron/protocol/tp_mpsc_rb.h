/*
 * Many-to-one ring buffer with the Agrona ManyToOneRingBuffer layout: the to-driver command channel of the
 * CnC file. Any number of producers (client conductors in any process) write; exactly one consumer (the driver
 * conductor) reads.
 *
 * Buffer: [data: capacity = 2^n][trailer 768]. Records: length i32 @0 (header + payload, unaligned), type i32
 * @4, payload @8, next record at align(length, 8). A negative length marks a record being written.
 */
#ifndef TENSORPOOL_TP_MPSC_RB_H
#define TENSORPOOL_TP_MPSC_RB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_RB_TRAILER_LENGTH             768
#define TP_RB_TAIL_POSITION_OFFSET       128
#define TP_RB_HEAD_CACHE_POSITION_OFFSET 256
#define TP_RB_HEAD_POSITION_OFFSET       384
#define TP_RB_CORRELATION_COUNTER_OFFSET 512
#define TP_RB_CONSUMER_HEARTBEAT_OFFSET  640

#define TP_RB_RECORD_HEADER_LENGTH 8
#define TP_RB_RECORD_ALIGNMENT     8
#define TP_RB_PADDING_MSG_TYPE_ID  (-1)

/* Status codes of the producer calls (the hot path never touches the thread-local error). */
#define TP_RB_SUCCESS 0
#define TP_RB_FULL    (-1)
#define TP_RB_ERROR   (-2)

#pragma pack(push, 4)
typedef struct tp_rb_record_header_stct
{
    int32_t length;
    int32_t msg_type_id;
} tp_rb_record_header_t;

typedef struct tp_rb_descriptor_stct
{
    uint8_t begin_pad[TP_RB_TAIL_POSITION_OFFSET];
    int64_t tail_position;
    uint8_t tail_pad[120];
    int64_t head_cache_position;
    uint8_t head_cache_pad[120];
    int64_t head_position;
    uint8_t head_pad[120];
    int64_t correlation_counter;
    uint8_t correlation_counter_pad[120];
    int64_t consumer_heartbeat;
    uint8_t consumer_heartbeat_pad[120];
} tp_rb_descriptor_t;
#pragma pack(pop)

typedef struct tp_mpsc_rb_stct
{
    uint8_t *buffer;
    tp_rb_descriptor_t *descriptor;
    size_t capacity;
    size_t max_message_length;
} tp_mpsc_rb_t;

/* Consumer callback: payload (after the 8-byte header) and its length. */
typedef void (*tp_rb_handler_t)(int32_t msg_type_id, const void *buffer, size_t length, void *clientd);

/* Wraps an existing buffer of capacity + 768 bytes; capacity must be a power of two. Returns 0 / -1. */
int tp_mpsc_rb_init(tp_mpsc_rb_t *rb, void *buffer, size_t length);

/* Copies one message in. Returns TP_RB_SUCCESS, TP_RB_FULL, or TP_RB_ERROR (bad type id or too long). */
int tp_mpsc_rb_write(tp_mpsc_rb_t *rb, int32_t msg_type_id, const void *msg, size_t length);

/*
 * Reserves space for a message of `length` bytes and returns the byte index of its payload within the buffer,
 * or TP_RB_FULL / TP_RB_ERROR. The payload must be filled in then published with tp_mpsc_rb_commit or dropped
 * with tp_mpsc_rb_abort.
 */
int32_t tp_mpsc_rb_try_claim(tp_mpsc_rb_t *rb, int32_t msg_type_id, size_t length);
int tp_mpsc_rb_commit(tp_mpsc_rb_t *rb, int32_t index);
int tp_mpsc_rb_abort(tp_mpsc_rb_t *rb, int32_t index);

/*
 * Single consumer: dispatches up to `message_count_limit` records from one contiguous block, zeroes the
 * consumed bytes and then advances the head. Returns the number of messages handed to `handler`.
 */
size_t tp_mpsc_rb_read(tp_mpsc_rb_t *rb, tp_rb_handler_t handler, void *clientd, size_t message_count_limit);

/* Shared id sequence (client ids, registration ids): returns the value before the increment. */
int64_t tp_mpsc_rb_next_correlation_id(tp_mpsc_rb_t *rb);

void tp_mpsc_rb_consumer_heartbeat_time(tp_mpsc_rb_t *rb, int64_t now_ms);
int64_t tp_mpsc_rb_consumer_heartbeat_time_value(const tp_mpsc_rb_t *rb);

int64_t tp_mpsc_rb_producer_position(const tp_mpsc_rb_t *rb);
int64_t tp_mpsc_rb_consumer_position(const tp_mpsc_rb_t *rb);
size_t tp_mpsc_rb_size(const tp_mpsc_rb_t *rb);

/*
 * Consumer side recovery from a producer that died between claim and commit: turns the stuck record (or a
 * verified all-zero gap) at the head into padding so reading can continue. Returns true when it did so.
 */
bool tp_mpsc_rb_unblock(tp_mpsc_rb_t *rb);

#endif /* TENSORPOOL_TP_MPSC_RB_H */
