#include <errno.h>
#include <string.h>
#include <stddef.h>

#include "aeron/protocol/tp_mpsc_rb.h"
#include "aeron/protocol/tp_bitutil.h"
#include "common/tp_atomic.h"
#include "common/tp_error_private.h"

_Static_assert(sizeof(tp_rb_descriptor_t) == TP_RB_TRAILER_LENGTH, "ring trailer must be 768 bytes");
_Static_assert(offsetof(tp_rb_descriptor_t, tail_position) == TP_RB_TAIL_POSITION_OFFSET, "tail offset");
_Static_assert(offsetof(tp_rb_descriptor_t, head_cache_position) == TP_RB_HEAD_CACHE_POSITION_OFFSET, "head cache");
_Static_assert(offsetof(tp_rb_descriptor_t, head_position) == TP_RB_HEAD_POSITION_OFFSET, "head offset");
_Static_assert(offsetof(tp_rb_descriptor_t, correlation_counter) == TP_RB_CORRELATION_COUNTER_OFFSET, "corr");
_Static_assert(offsetof(tp_rb_descriptor_t, consumer_heartbeat) == TP_RB_CONSUMER_HEARTBEAT_OFFSET, "heartbeat");

static inline volatile int32_t *tp_rb_length_at(const tp_mpsc_rb_t *rb, size_t index)
{
    return (volatile int32_t *)(rb->buffer + index);
}

static inline volatile int32_t *tp_rb_type_at(const tp_mpsc_rb_t *rb, size_t index)
{
    return (volatile int32_t *)(rb->buffer + index + sizeof(int32_t));
}

int tp_mpsc_rb_init(tp_mpsc_rb_t *rb, void *buffer, size_t length)
{
    if (NULL == rb || NULL == buffer)
    {
        TP_SET_ERR(EINVAL, "ring buffer and its memory must not be NULL");
        return -1;
    }
    if (length <= TP_RB_TRAILER_LENGTH)
    {
        TP_SET_ERR(EINVAL, "ring buffer length %zu does not exceed the %d-byte trailer", length, TP_RB_TRAILER_LENGTH);
        return -1;
    }
    size_t capacity = length - TP_RB_TRAILER_LENGTH;
    if (!tp_is_power_of_two_u64(capacity) || capacity > INT32_MAX)
    {
        TP_SET_ERR(EINVAL, "ring buffer capacity %zu (length %zu - trailer 768) is not a power of two <= 2^30",
                   capacity, length);
        return -1;
    }
    rb->buffer = buffer;
    rb->descriptor = (tp_rb_descriptor_t *)((uint8_t *)buffer + capacity);
    rb->capacity = capacity;
    rb->max_message_length = capacity / 8;
    return 0;
}

/* Returns the record index for `length` payload bytes, or TP_RB_FULL. Writes padding when wrapping. */
static int32_t tp_rb_claim_capacity(tp_mpsc_rb_t *rb, size_t length)
{
    const int64_t required = tp_align_i64((int64_t)length + TP_RB_RECORD_HEADER_LENGTH, TP_RB_RECORD_ALIGNMENT);
    const int64_t capacity = (int64_t)rb->capacity;
    const int64_t mask = capacity - 1;
    int64_t head = tp_load_acquire_i64(&rb->descriptor->head_cache_position);
    int64_t tail;
    int64_t tail_index;
    int64_t padding;

    do
    {
        tail = tp_load_acquire_i64(&rb->descriptor->tail_position);
        if (required > capacity - (tail - head))
        {
            head = tp_load_acquire_i64(&rb->descriptor->head_position);
            if (required > capacity - (tail - head))
            {
                return TP_RB_FULL;
            }
            tp_store_release_i64(&rb->descriptor->head_cache_position, head);
        }

        padding = 0;
        tail_index = tail & mask;
        const int64_t to_buffer_end = capacity - tail_index;
        if (required > to_buffer_end)
        {
            /* The record goes to the start, so the consumer must already be past `required` bytes there. */
            int64_t head_index = head & mask;
            if (required > head_index)
            {
                head = tp_load_acquire_i64(&rb->descriptor->head_position);
                head_index = head & mask;
                if (required > head_index)
                {
                    return TP_RB_FULL;
                }
                tp_store_release_i64(&rb->descriptor->head_cache_position, head);
            }
            padding = to_buffer_end;
        }
    } while (!tp_cas_i64(&rb->descriptor->tail_position, tail, tail + required + padding));

    if (0 != padding)
    {
        tp_store_release_i32(tp_rb_length_at(rb, (size_t)tail_index), -(int32_t)padding);
        tp_fence_release();
        *tp_rb_type_at(rb, (size_t)tail_index) = TP_RB_PADDING_MSG_TYPE_ID;
        tp_store_release_i32(tp_rb_length_at(rb, (size_t)tail_index), (int32_t)padding);
        tail_index = 0;
    }

    return (int32_t)tail_index;
}

int tp_mpsc_rb_write(tp_mpsc_rb_t *rb, int32_t msg_type_id, const void *msg, size_t length)
{
    if (msg_type_id < 1 || length > rb->max_message_length)
    {
        return TP_RB_ERROR;
    }
    int32_t record_index = tp_rb_claim_capacity(rb, length);
    if (record_index < 0)
    {
        return record_index;
    }
    const int32_t record_length = (int32_t)(length + TP_RB_RECORD_HEADER_LENGTH);
    tp_store_release_i32(tp_rb_length_at(rb, (size_t)record_index), -record_length);
    tp_fence_release();
    memcpy(rb->buffer + record_index + TP_RB_RECORD_HEADER_LENGTH, msg, length);
    *tp_rb_type_at(rb, (size_t)record_index) = msg_type_id;
    tp_store_release_i32(tp_rb_length_at(rb, (size_t)record_index), record_length);
    return TP_RB_SUCCESS;
}

int32_t tp_mpsc_rb_try_claim(tp_mpsc_rb_t *rb, int32_t msg_type_id, size_t length)
{
    if (msg_type_id < 1 || length > rb->max_message_length)
    {
        return TP_RB_ERROR;
    }
    int32_t record_index = tp_rb_claim_capacity(rb, length);
    if (record_index < 0)
    {
        return record_index;
    }
    const int32_t record_length = (int32_t)(length + TP_RB_RECORD_HEADER_LENGTH);
    tp_store_release_i32(tp_rb_length_at(rb, (size_t)record_index), -record_length);
    tp_fence_release();
    *tp_rb_type_at(rb, (size_t)record_index) = msg_type_id;
    return record_index + TP_RB_RECORD_HEADER_LENGTH;
}

/* Validates a payload index from try_claim and returns its record index, or -1. */
static int32_t tp_rb_claimed_record_index(const tp_mpsc_rb_t *rb, int32_t index)
{
    if (index < TP_RB_RECORD_HEADER_LENGTH || (size_t)index > rb->capacity)
    {
        return -1;
    }
    const int32_t record_index = index - TP_RB_RECORD_HEADER_LENGTH;
    if (tp_load_acquire_i32(tp_rb_length_at(rb, (size_t)record_index)) >= 0)
    {
        return -1;
    }
    return record_index;
}

/* Flips a claimed record's negative length positive, making it visible to the reader. */
static inline void tp_rb_publish_record(tp_mpsc_rb_t *rb, int32_t record_index)
{
    volatile int32_t *length = tp_rb_length_at(rb, (size_t)record_index);
    tp_store_release_i32(length, -*length);
}

int tp_mpsc_rb_commit(tp_mpsc_rb_t *rb, int32_t index)
{
    const int32_t record_index = tp_rb_claimed_record_index(rb, index);
    if (record_index < 0)
    {
        return TP_RB_ERROR;
    }
    tp_rb_publish_record(rb, record_index);
    return TP_RB_SUCCESS;
}

int tp_mpsc_rb_abort(tp_mpsc_rb_t *rb, int32_t index)
{
    const int32_t record_index = tp_rb_claimed_record_index(rb, index);
    if (record_index < 0)
    {
        return TP_RB_ERROR;
    }
    *tp_rb_type_at(rb, (size_t)record_index) = TP_RB_PADDING_MSG_TYPE_ID;
    tp_rb_publish_record(rb, record_index);
    return TP_RB_SUCCESS;
}

size_t tp_mpsc_rb_read(tp_mpsc_rb_t *rb, tp_rb_handler_t handler, void *clientd, size_t message_count_limit)
{
    const int64_t head = tp_load_relaxed_i64(&rb->descriptor->head_position);
    const size_t head_index = (size_t)head & (rb->capacity - 1);
    const size_t contiguous_block_length = rb->capacity - head_index;
    size_t messages_read = 0;
    size_t bytes_read = 0;

    while (bytes_read < contiguous_block_length && messages_read < message_count_limit)
    {
        const size_t record_index = head_index + bytes_read;
        const int32_t record_length = tp_load_acquire_i32(tp_rb_length_at(rb, record_index));
        if (record_length <= 0)
        {
            break;
        }
        bytes_read += (size_t)tp_align_i32(record_length, TP_RB_RECORD_ALIGNMENT);
        const int32_t msg_type_id = *tp_rb_type_at(rb, record_index);
        if (TP_RB_PADDING_MSG_TYPE_ID == msg_type_id)
        {
            continue;
        }
        ++messages_read;
        handler(msg_type_id, rb->buffer + record_index + TP_RB_RECORD_HEADER_LENGTH,
                (size_t)record_length - TP_RB_RECORD_HEADER_LENGTH, clientd);
    }

    if (0 != bytes_read)
    {
        /* Producers rely on zeroed space: a zero length word means "not yet written". */
        memset(rb->buffer + head_index, 0, bytes_read);
        tp_store_release_i64(&rb->descriptor->head_position, head + (int64_t)bytes_read);
    }
    return messages_read;
}

int64_t tp_mpsc_rb_next_correlation_id(tp_mpsc_rb_t *rb)
{
    return tp_fetch_add_i64(&rb->descriptor->correlation_counter, 1);
}

void tp_mpsc_rb_consumer_heartbeat_time(tp_mpsc_rb_t *rb, int64_t now_ms)
{
    tp_store_release_i64(&rb->descriptor->consumer_heartbeat, now_ms);
}

int64_t tp_mpsc_rb_consumer_heartbeat_time_value(const tp_mpsc_rb_t *rb)
{
    return tp_load_acquire_i64(&rb->descriptor->consumer_heartbeat);
}

int64_t tp_mpsc_rb_producer_position(const tp_mpsc_rb_t *rb)
{
    return tp_load_acquire_i64(&rb->descriptor->tail_position);
}

int64_t tp_mpsc_rb_consumer_position(const tp_mpsc_rb_t *rb)
{
    return tp_load_acquire_i64(&rb->descriptor->head_position);
}

size_t tp_mpsc_rb_size(const tp_mpsc_rb_t *rb)
{
    int64_t head_before;
    int64_t tail;
    int64_t head_after = tp_load_acquire_i64(&rb->descriptor->head_position);
    do
    {
        head_before = head_after;
        tail = tp_load_acquire_i64(&rb->descriptor->tail_position);
        head_after = tp_load_acquire_i64(&rb->descriptor->head_position);
    } while (head_after != head_before);
    int64_t size = tail - head_after;
    if (size < 0)
    {
        return 0;
    }
    return (size_t)size > rb->capacity ? rb->capacity : (size_t)size;
}

/* True when every length word in [from, to) (stepping by the record alignment) still reads zero. */
static bool tp_rb_gap_still_zero(const tp_mpsc_rb_t *rb, size_t to, size_t from)
{
    for (size_t i = to; i > from;)
    {
        i -= TP_RB_RECORD_ALIGNMENT;
        if (0 != tp_load_acquire_i32(tp_rb_length_at(rb, i)))
        {
            return false;
        }
    }
    return true;
}

bool tp_mpsc_rb_unblock(tp_mpsc_rb_t *rb)
{
    const size_t mask = rb->capacity - 1;
    const size_t consumer_index = (size_t)tp_load_acquire_i64(&rb->descriptor->head_position) & mask;
    const size_t producer_index = (size_t)tp_load_acquire_i64(&rb->descriptor->tail_position) & mask;

    if (producer_index == consumer_index)
    {
        return false;
    }

    int32_t length = tp_load_acquire_i32(tp_rb_length_at(rb, consumer_index));
    if (length < 0)
    {
        *tp_rb_type_at(rb, consumer_index) = TP_RB_PADDING_MSG_TYPE_ID;
        tp_store_release_i32(tp_rb_length_at(rb, consumer_index), -length);
        return true;
    }

    if (0 == length)
    {
        /* A producer claimed space but died before its first store: pad up to the next record that exists. */
        const size_t limit = producer_index > consumer_index ? producer_index : rb->capacity;
        for (size_t i = consumer_index + TP_RB_RECORD_ALIGNMENT; i < limit; i += TP_RB_RECORD_ALIGNMENT)
        {
            if (0 != tp_load_acquire_i32(tp_rb_length_at(rb, i)))
            {
                if (tp_rb_gap_still_zero(rb, i, consumer_index))
                {
                    *tp_rb_type_at(rb, consumer_index) = TP_RB_PADDING_MSG_TYPE_ID;
                    tp_store_release_i32(tp_rb_length_at(rb, consumer_index), (int32_t)(i - consumer_index));
                    return true;
                }
                return false;
            }
        }
    }
    return false;
}
