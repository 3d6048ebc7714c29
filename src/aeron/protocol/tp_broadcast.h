/*
 * One-to-many broadcast buffer with the Agrona broadcast layout: the to-clients response channel of the CnC
 * file. The driver is the single transmitter; every client runs its own receiver and sees every record.
 *
 * Buffer: [data: capacity = 2^n][trailer 128]. Records: length i32 @0 (unaligned), type i32 @4, payload @8,
 * aligned to 8. Receivers never block the transmitter: a receiver that falls a whole capacity behind is lapped.
 */
#ifndef TENSORPOOL_TP_BROADCAST_H
#define TENSORPOOL_TP_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_BROADCAST_TRAILER_LENGTH             128
#define TP_BROADCAST_TAIL_INTENT_COUNTER_OFFSET 0
#define TP_BROADCAST_TAIL_COUNTER_OFFSET        8
#define TP_BROADCAST_LATEST_COUNTER_OFFSET      16

#define TP_BROADCAST_RECORD_HEADER_LENGTH 8
#define TP_BROADCAST_RECORD_ALIGNMENT     8
#define TP_BROADCAST_PADDING_MSG_TYPE_ID  (-1)

/* Receiver status: a negative result from tp_broadcast_receiver_receive. */
#define TP_BROADCAST_LAPPED (-1)

#pragma pack(push, 4)
typedef struct tp_broadcast_descriptor_stct
{
    int64_t tail_intent_counter;
    int64_t tail_counter;
    int64_t latest_counter;
    uint8_t pad[TP_BROADCAST_TRAILER_LENGTH - 3 * sizeof(int64_t)];
} tp_broadcast_descriptor_t;
#pragma pack(pop)

typedef struct tp_broadcast_transmitter_stct
{
    uint8_t *buffer;
    tp_broadcast_descriptor_t *descriptor;
    size_t capacity;
    size_t max_message_length;
} tp_broadcast_transmitter_t;

typedef struct tp_broadcast_receiver_stct
{
    uint8_t *buffer;
    tp_broadcast_descriptor_t *descriptor;
    size_t capacity;
    size_t mask;
    size_t max_message_length;
    size_t record_offset;
    int64_t cursor;
    int64_t next_record;
    int64_t lapped_count;
    uint8_t *scratch; /* receives a copy of each record so a lap during dispatch cannot corrupt it */
} tp_broadcast_receiver_t;

typedef void (*tp_broadcast_handler_t)(int32_t msg_type_id, const void *buffer, size_t length, void *clientd);

/* Wraps capacity + 128 bytes (capacity a power of two). Returns 0 / -1. */
int tp_broadcast_transmitter_init(tp_broadcast_transmitter_t *transmitter, void *buffer, size_t length);

/* Appends one record. Returns 0, or -1 for a bad type id (< 1) or a message longer than capacity / 8. */
int tp_broadcast_transmitter_transmit(tp_broadcast_transmitter_t *transmitter, int32_t msg_type_id, const void *msg,
                                      size_t length);

/*
 * Starts at the newest record, so the first receive replays it (official receivers do the same).
 * Allocates the scratch buffer. Returns 0 / -1.
 */
int tp_broadcast_receiver_init(tp_broadcast_receiver_t *receiver, void *buffer, size_t length);
void tp_broadcast_receiver_close(tp_broadcast_receiver_t *receiver);

/*
 * Copies the next record to scratch and dispatches it. Returns 1 when a record was handled, 0 when none is
 * waiting, TP_BROADCAST_LAPPED when the transmitter overwrote records this receiver had not read (the
 * receiver then continues from the newest record).
 */
int tp_broadcast_receiver_receive(tp_broadcast_receiver_t *receiver, tp_broadcast_handler_t handler, void *clientd);

/* Low-level API used by tp_broadcast_receiver_receive (zero-copy; validate after reading). */
bool tp_broadcast_receiver_receive_next(tp_broadcast_receiver_t *receiver);
bool tp_broadcast_receiver_validate(const tp_broadcast_receiver_t *receiver);
int32_t tp_broadcast_receiver_msg_type_id(const tp_broadcast_receiver_t *receiver);
int32_t tp_broadcast_receiver_length(const tp_broadcast_receiver_t *receiver);
const uint8_t *tp_broadcast_receiver_payload(const tp_broadcast_receiver_t *receiver);

#endif /* TENSORPOOL_TP_BROADCAST_H */
