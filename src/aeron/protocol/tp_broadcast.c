#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aeron/protocol/tp_broadcast.h"
#include "aeron/protocol/tp_bitutil.h"
#include "common/tp_atomic.h"
#include "common/tp_error_private.h"

_Static_assert(sizeof(tp_broadcast_descriptor_t) == TP_BROADCAST_TRAILER_LENGTH, "broadcast trailer is 128 bytes");
_Static_assert(offsetof(tp_broadcast_descriptor_t, tail_counter) == TP_BROADCAST_TAIL_COUNTER_OFFSET, "tail");
_Static_assert(offsetof(tp_broadcast_descriptor_t, latest_counter) == TP_BROADCAST_LATEST_COUNTER_OFFSET, "latest");

static int tp_broadcast_check_length(size_t length, size_t *capacity)
{
    if (length <= TP_BROADCAST_TRAILER_LENGTH)
    {
        TP_SET_ERR(EINVAL, "broadcast buffer length %zu does not exceed the %d-byte trailer", length,
                   TP_BROADCAST_TRAILER_LENGTH);
        return -1;
    }
    *capacity = length - TP_BROADCAST_TRAILER_LENGTH;
    if (!tp_is_power_of_two_u64(*capacity) || *capacity > INT32_MAX)
    {
        TP_SET_ERR(EINVAL, "broadcast capacity %zu (length %zu - trailer 128) is not a power of two <= 2^30", *capacity,
                   length);
        return -1;
    }
    return 0;
}

int tp_broadcast_transmitter_init(tp_broadcast_transmitter_t *transmitter, void *buffer, size_t length)
{
    size_t capacity;
    if (tp_broadcast_check_length(length, &capacity) < 0)
    {
        return -1;
    }
    transmitter->buffer = buffer;
    transmitter->descriptor = (tp_broadcast_descriptor_t *)((uint8_t *)buffer + capacity);
    transmitter->capacity = capacity;
    transmitter->max_message_length = capacity / 8;
    return 0;
}

static inline void tp_broadcast_write_header(uint8_t *record, int32_t length, int32_t msg_type_id)
{
    tp_store_release_i32((volatile int32_t *)record, length);
    *(volatile int32_t *)(record + sizeof(int32_t)) = msg_type_id;
}

int tp_broadcast_transmitter_transmit(tp_broadcast_transmitter_t *transmitter, int32_t msg_type_id, const void *msg,
                                      size_t length)
{
    if (msg_type_id < 1 || length > transmitter->max_message_length)
    {
        return -1;
    }
    tp_broadcast_descriptor_t *descriptor = transmitter->descriptor;
    const int64_t capacity = (int64_t)transmitter->capacity;
    const int32_t record_length = (int32_t)length + TP_BROADCAST_RECORD_HEADER_LENGTH;
    const int64_t aligned_length = tp_align_i64(record_length, TP_BROADCAST_RECORD_ALIGNMENT);
    int64_t tail = descriptor->tail_counter;
    int64_t record_offset = tail & (capacity - 1);
    const int64_t to_end = capacity - record_offset;

    if (to_end < aligned_length)
    {
        /* Announce the whole span first so receivers can tell their record is about to be overwritten. */
        tp_store_release_i64(&descriptor->tail_intent_counter, tail + aligned_length + to_end);
        tp_fence_full();
        tp_broadcast_write_header(transmitter->buffer + record_offset, (int32_t)to_end,
                                  TP_BROADCAST_PADDING_MSG_TYPE_ID);
        tail += to_end;
        record_offset = 0;
    }
    else
    {
        tp_store_release_i64(&descriptor->tail_intent_counter, tail + aligned_length);
        tp_fence_full();
    }

    uint8_t *record = transmitter->buffer + record_offset;
    tp_broadcast_write_header(record, record_length, msg_type_id);
    memcpy(record + TP_BROADCAST_RECORD_HEADER_LENGTH, msg, length);

    tp_store_release_i64(&descriptor->latest_counter, tail);
    tp_store_release_i64(&descriptor->tail_counter, tail + aligned_length);
    return 0;
}

int tp_broadcast_receiver_init(tp_broadcast_receiver_t *receiver, void *buffer, size_t length)
{
    size_t capacity;
    if (tp_broadcast_check_length(length, &capacity) < 0)
    {
        return -1;
    }
    memset(receiver, 0, sizeof(*receiver));
    receiver->buffer = buffer;
    receiver->descriptor = (tp_broadcast_descriptor_t *)((uint8_t *)buffer + capacity);
    receiver->capacity = capacity;
    receiver->mask = capacity - 1;
    receiver->max_message_length = capacity / 8;
    receiver->scratch = malloc(receiver->max_message_length + TP_BROADCAST_RECORD_HEADER_LENGTH);
    if (NULL == receiver->scratch)
    {
        TP_SET_ERR(ENOMEM, "allocating %zu-byte broadcast scratch buffer", receiver->max_message_length);
        return -1;
    }
    receiver->cursor = tp_load_acquire_i64(&receiver->descriptor->latest_counter);
    receiver->next_record = receiver->cursor;
    receiver->record_offset = (size_t)receiver->cursor & receiver->mask;
    return 0;
}

void tp_broadcast_receiver_close(tp_broadcast_receiver_t *receiver)
{
    if (NULL != receiver)
    {
        free(receiver->scratch);
        receiver->scratch = NULL;
    }
}

static inline bool tp_broadcast_receiver_validate_at(const tp_broadcast_receiver_t *receiver, int64_t cursor)
{
    tp_fence_acquire();
    return cursor + (int64_t)receiver->capacity > tp_load_acquire_i64(&receiver->descriptor->tail_intent_counter);
}

static inline int32_t tp_broadcast_record_length_at(const tp_broadcast_receiver_t *receiver, size_t offset)
{
    return tp_load_acquire_i32((volatile int32_t *)(receiver->buffer + offset));
}

bool tp_broadcast_receiver_receive_next(tp_broadcast_receiver_t *receiver)
{
    const int64_t tail = tp_load_acquire_i64(&receiver->descriptor->tail_counter);
    int64_t cursor = receiver->next_record;
    if (tail <= cursor)
    {
        return false;
    }

    size_t record_offset = (size_t)cursor & receiver->mask;
    if (!tp_broadcast_receiver_validate_at(receiver, cursor))
    {
        receiver->lapped_count++;
        cursor = tp_load_acquire_i64(&receiver->descriptor->latest_counter);
        record_offset = (size_t)cursor & receiver->mask;
    }

    receiver->cursor = cursor;
    receiver->next_record =
        cursor + tp_align_i32(tp_broadcast_record_length_at(receiver, record_offset), TP_BROADCAST_RECORD_ALIGNMENT);

    const int32_t type = *(volatile int32_t *)(receiver->buffer + record_offset + sizeof(int32_t));
    if (TP_BROADCAST_PADDING_MSG_TYPE_ID == type)
    {
        record_offset = 0;
        receiver->cursor = receiver->next_record;
        receiver->next_record +=
            tp_align_i32(tp_broadcast_record_length_at(receiver, 0), TP_BROADCAST_RECORD_ALIGNMENT);
    }
    receiver->record_offset = record_offset;
    return true;
}

bool tp_broadcast_receiver_validate(const tp_broadcast_receiver_t *receiver)
{
    return tp_broadcast_receiver_validate_at(receiver, receiver->cursor);
}

int32_t tp_broadcast_receiver_msg_type_id(const tp_broadcast_receiver_t *receiver)
{
    return *(volatile int32_t *)(receiver->buffer + receiver->record_offset + sizeof(int32_t));
}

int32_t tp_broadcast_receiver_length(const tp_broadcast_receiver_t *receiver)
{
    return tp_broadcast_record_length_at(receiver, receiver->record_offset) - TP_BROADCAST_RECORD_HEADER_LENGTH;
}

const uint8_t *tp_broadcast_receiver_payload(const tp_broadcast_receiver_t *receiver)
{
    return receiver->buffer + receiver->record_offset + TP_BROADCAST_RECORD_HEADER_LENGTH;
}

int tp_broadcast_receiver_receive(tp_broadcast_receiver_t *receiver, tp_broadcast_handler_t handler, void *clientd)
{
    const int64_t last_seen_lapped_count = receiver->lapped_count;
    if (!tp_broadcast_receiver_receive_next(receiver))
    {
        return 0;
    }
    if (last_seen_lapped_count != receiver->lapped_count)
    {
        return TP_BROADCAST_LAPPED;
    }

    const int32_t length = tp_broadcast_receiver_length(receiver);
    if (length < 0 || (size_t)length > receiver->max_message_length)
    {
        /* Only possible when the record was overwritten while we looked at it. */
        receiver->lapped_count++;
        return TP_BROADCAST_LAPPED;
    }
    const int32_t msg_type_id = tp_broadcast_receiver_msg_type_id(receiver);
    memcpy(receiver->scratch, tp_broadcast_receiver_payload(receiver), (size_t)length);

    if (!tp_broadcast_receiver_validate(receiver))
    {
        receiver->lapped_count++;
        return TP_BROADCAST_LAPPED;
    }

    handler(msg_type_id, receiver->scratch, (size_t)length, clientd);
    return 1;
}
