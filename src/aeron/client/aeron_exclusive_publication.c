/*
 * Exclusive publication: a single writer keeps the tail in local fields and publishes it with a plain release
 * store, so no atomic read-modify-write is needed on the offer path.
 */
#include <string.h>

#include "aeron_term_appender.h"

void aeron_exclusive_publication_init_position(aeron_exclusive_publication_t *publication)
{
    aeron_publication_log_t *log = &publication->log;
    int32_t term_count = tp_load_acquire_i32(log->active_term_count);
    int32_t index = (int32_t)((uint32_t)term_count % 3);
    int64_t raw = tp_load_acquire_i64(&log->tails[index]);
    int64_t term_offset = raw & 0xFFFFFFFFLL;
    publication->active_partition_index = index;
    publication->term_id = (int32_t)(raw >> 32);
    publication->term_offset = (int32_t)(term_offset > log->term_length ? log->term_length : term_offset);
    publication->term_begin_position =
        aeron_log_compute_position(publication->term_id, 0, log->position_bits_to_shift, log->initial_term_id);
}

static void aeron_exclusive_publication_rotate(aeron_exclusive_publication_t *publication)
{
    aeron_publication_log_t *log = &publication->log;
    int32_t next_term_id = publication->term_id + 1;
    int32_t term_count = aeron_log_term_count(next_term_id, log->initial_term_id);
    int32_t next_index = (int32_t)((uint32_t)term_count % 3);

    publication->active_partition_index = next_index;
    publication->term_offset = 0;
    publication->term_id = next_term_id;
    publication->term_begin_position += log->term_length;

    tp_store_relaxed_i64(&log->tails[next_index], (int64_t)((uint64_t)(uint32_t)next_term_id << 32));
    tp_store_release_i32(log->active_term_count, term_count);
}

AERON_OFFER_INLINE int64_t aeron_exclusive_publication_offer_impl(aeron_exclusive_publication_t *publication,
                                                                  const uint8_t *buffer, aeron_iov_cursor_t *cursor,
                                                                  size_t length,
                                                                  aeron_reserved_value_supplier_t supplier,
                                                                  void *clientd, aeron_buffer_claim_t *claim)
{
    if (__atomic_load_n(&publication->is_closed, __ATOMIC_ACQUIRE))
    {
        return AERON_PUBLICATION_CLOSED;
    }
    aeron_publication_log_t *log = &publication->log;

    int64_t limit = tp_load_acquire_i64(log->position_limit);
    int64_t position = publication->term_begin_position + publication->term_offset;
    if (position >= limit)
    {
        return aeron_publication_log_back_pressure_status(log, position, length);
    }
    if (length > (size_t)log->max_message_length)
    {
        aeron_err_set(EINVAL, "message length %zu exceeds max message length %d", length, log->max_message_length);
        return AERON_PUBLICATION_ERROR;
    }

    int32_t framed = aeron_term_framed_length(log, length);
    int32_t term_offset = publication->term_offset;
    int64_t resulting = (int64_t)term_offset + framed;
    int32_t index = publication->active_partition_index;
    uint8_t *term = log->terms[index];

    tp_store_release_i64(&log->tails[index],
                         (int64_t)(((uint64_t)(uint32_t)publication->term_id << 32) | (uint64_t)resulting));

    if (resulting > log->term_length)
    {
        if (term_offset < log->term_length)
        {
            aeron_term_write_padding(log, term, term_offset, publication->term_id);
        }
        if (publication->term_begin_position + log->term_length >= log->max_possible_position)
        {
            return AERON_PUBLICATION_MAX_POSITION_EXCEEDED;
        }
        aeron_exclusive_publication_rotate(publication);
        return AERON_PUBLICATION_ADMIN_ACTION;
    }

    if (NULL != claim)
    {
        int32_t frame_length = (int32_t)length + AERON_FRAME_HEADER_LENGTH;
        uint8_t *frame = term + term_offset;
        aeron_term_header_begin(log, frame, frame_length, term_offset, publication->term_id, AERON_FRAME_UNFRAGMENTED,
                                AERON_FRAME_TYPE_DATA);
        claim->frame_header = frame;
        claim->data = frame + AERON_FRAME_HEADER_LENGTH;
        claim->length = length;
    }
    else
    {
        aeron_term_write_message(log, term, term_offset, publication->term_id, buffer, cursor, length, supplier,
                                 clientd);
    }
    publication->term_offset = (int32_t)resulting;
    return publication->term_begin_position + resulting;
}

int64_t aeron_exclusive_publication_offer(aeron_exclusive_publication_t *publication, const uint8_t *buffer,
                                          size_t length, aeron_reserved_value_supplier_t reserved_value_supplier,
                                          void *clientd)
{
    if (NULL == publication || (NULL == buffer && length > 0))
    {
        aeron_err_set(EINVAL, "aeron_exclusive_publication_offer: publication or buffer is NULL");
        return AERON_PUBLICATION_ERROR;
    }
    return aeron_exclusive_publication_offer_impl(publication, NULL == buffer ? (const uint8_t *)"" : buffer, NULL,
                                                  length, reserved_value_supplier, clientd, NULL);
}

int64_t aeron_exclusive_publication_offerv(aeron_exclusive_publication_t *publication, aeron_iovec_t *iov,
                                           size_t iovcnt, aeron_reserved_value_supplier_t reserved_value_supplier,
                                           void *clientd)
{
    if (NULL == publication || (NULL == iov && iovcnt > 0))
    {
        aeron_err_set(EINVAL, "aeron_exclusive_publication_offerv: publication or iov is NULL");
        return AERON_PUBLICATION_ERROR;
    }
    aeron_iov_cursor_t cursor = {.iov = iov, .iovcnt = iovcnt, .index = 0, .offset = 0};
    size_t length = aeron_iov_total_length(iov, iovcnt);
    return aeron_exclusive_publication_offer_impl(publication, NULL, &cursor, length, reserved_value_supplier, clientd,
                                                  NULL);
}

int64_t aeron_exclusive_publication_try_claim(aeron_exclusive_publication_t *publication, size_t length,
                                              aeron_buffer_claim_t *buffer_claim)
{
    if (NULL == publication || NULL == buffer_claim)
    {
        aeron_err_set(EINVAL, "aeron_exclusive_publication_try_claim: publication or buffer_claim is NULL");
        return AERON_PUBLICATION_ERROR;
    }
    if (length > (size_t)publication->log.max_payload_length)
    {
        aeron_err_set(EINVAL, "claim length %zu exceeds max payload length %d", length,
                      publication->log.max_payload_length);
        return AERON_PUBLICATION_ERROR;
    }
    return aeron_exclusive_publication_offer_impl(publication, NULL, NULL, length, NULL, NULL, buffer_claim);
}

bool aeron_exclusive_publication_is_closed(aeron_exclusive_publication_t *publication)
{
    return NULL == publication || __atomic_load_n(&publication->is_closed, __ATOMIC_ACQUIRE);
}

bool aeron_exclusive_publication_is_connected(aeron_exclusive_publication_t *publication)
{
    return NULL != publication && !aeron_exclusive_publication_is_closed(publication) &&
           1 == tp_load_acquire_i32(publication->log.is_connected);
}

int aeron_exclusive_publication_constants(aeron_exclusive_publication_t *publication,
                                          aeron_publication_constants_t *constants)
{
    if (NULL == publication || NULL == constants)
    {
        aeron_err_set(EINVAL, "aeron_exclusive_publication_constants: publication or constants is NULL");
        return -1;
    }
    AERON_PUBLICATION_FILL_CONSTANTS(publication, constants);
    return 0;
}

int64_t aeron_exclusive_publication_position(aeron_exclusive_publication_t *publication)
{
    if (aeron_exclusive_publication_is_closed(publication))
    {
        return AERON_PUBLICATION_CLOSED;
    }
    return publication->term_begin_position + publication->term_offset;
}

int64_t aeron_exclusive_publication_position_limit(aeron_exclusive_publication_t *publication)
{
    if (aeron_exclusive_publication_is_closed(publication))
    {
        return AERON_PUBLICATION_CLOSED;
    }
    return tp_load_acquire_i64(publication->log.position_limit);
}

int64_t aeron_exclusive_publication_channel_status(aeron_exclusive_publication_t *publication)
{
    if (aeron_exclusive_publication_is_closed(publication) || NULL == publication->channel_status_indicator)
    {
        return AERON_CHANNEL_STATUS_NO_ID_ALLOCATED;
    }
    return tp_load_acquire_i64(publication->channel_status_indicator);
}

int aeron_exclusive_publication_close(aeron_exclusive_publication_t *publication,
                                      aeron_notification_t on_close_complete, void *on_close_complete_clientd)
{
    if (NULL == publication)
    {
        return 0;
    }
    int result = aeron_client_conductor_close_exclusive_publication(publication->conductor, publication);
    if (NULL != on_close_complete)
    {
        on_close_complete(on_close_complete_clientd);
    }
    return result;
}
