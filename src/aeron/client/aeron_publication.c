/* Concurrent publication: any number of threads/processes append to the same log with an atomic add on the tail. */
#include <string.h>

#include "aeron_term_appender.h"

void aeron_publication_log_init(aeron_publication_log_t *log, aeron_log_buffer_t *log_buffer, int64_t *position_limit)
{
    log->log_buffer = log_buffer;
    for (int i = 0; i < 3; i++)
    {
        log->terms[i] = log_buffer->terms[i];
    }
    uint8_t *meta = log_buffer->metadata;
    log->tails = (volatile int64_t *)(meta + AERON_LOG_META_TAIL_OFFSET);
    log->active_term_count = (volatile int32_t *)(meta + AERON_LOG_META_ACTIVE_TERM_COUNT_OFFSET);
    log->is_connected = (volatile int32_t *)(meta + AERON_LOG_META_IS_CONNECTED_OFFSET);
    log->position_limit = position_limit;
    memcpy(log->default_header, meta + AERON_LOG_META_DEFAULT_HEADER_OFFSET, sizeof(log->default_header));
    uint32_t session_id;
    uint32_t stream_id;
    memcpy(&session_id, log->default_header + AERON_FRAME_TERM_OFFSET_OFFSET + 4, sizeof(session_id));
    memcpy(&stream_id, log->default_header + AERON_FRAME_TERM_OFFSET_OFFSET + 8, sizeof(stream_id));
    log->header_version = log->default_header[4];
    log->header_session_id_high = (uint64_t)session_id << 32;
    log->header_stream_id_low = stream_id;
    log->term_length = log_buffer->term_length;
    log->initial_term_id = log_buffer->initial_term_id;
    log->position_bits_to_shift = log_buffer->position_bits_to_shift;
    log->max_payload_length = log_buffer->mtu_length - AERON_FRAME_HEADER_LENGTH;
    int32_t max_message = log_buffer->term_length / 8;
    log->max_message_length = max_message < 16 * 1024 * 1024 ? max_message : 16 * 1024 * 1024;
    log->max_possible_position = (int64_t)log_buffer->term_length * (INT64_C(1) << 31);
}

/* Moves the log on to the next term; every contender may call this, only one CAS of each kind wins. */
static void aeron_publication_rotate_log(aeron_publication_log_t *log, int32_t term_count, int32_t term_id)
{
    int32_t next_term_id = term_id + 1;
    int32_t next_index = (int32_t)(((uint32_t)term_count + 1) % 3);
    int32_t expected_term_id = next_term_id - 3;
    volatile int64_t *next_tail = &log->tails[next_index];
    for (;;)
    {
        int64_t raw = tp_load_acquire_i64(next_tail);
        if ((int32_t)(raw >> 32) != expected_term_id)
        {
            break;
        }
        if (tp_cas_i64(next_tail, raw, (int64_t)((uint64_t)(uint32_t)next_term_id << 32)))
        {
            break;
        }
    }
    tp_cas_i32(log->active_term_count, term_count, term_count + 1);
}

AERON_OFFER_INLINE int64_t aeron_publication_append(aeron_publication_t *publication, const uint8_t *buffer,
                                                    aeron_iov_cursor_t *cursor, size_t length, int32_t term_count,
                                                    aeron_reserved_value_supplier_t supplier, void *clientd,
                                                    aeron_buffer_claim_t *claim)
{
    aeron_publication_log_t *log = &publication->log;
    int32_t index = (int32_t)((uint32_t)term_count % 3);
    int32_t framed = aeron_term_framed_length(log, length);
    int64_t raw = tp_fetch_add_i64(&log->tails[index], framed);
    int32_t term_id = (int32_t)(raw >> 32);
    int64_t term_offset = raw & 0xFFFFFFFFLL;
    int64_t resulting = term_offset + framed;
    int64_t position =
        aeron_log_compute_position(term_id, 0, log->position_bits_to_shift, log->initial_term_id) + resulting;
    uint8_t *term = log->terms[index];

    if (resulting > log->term_length)
    {
        if (term_offset < log->term_length)
        {
            aeron_term_write_padding(log, term, (int32_t)term_offset, term_id);
        }
        if (position >= log->max_possible_position)
        {
            return AERON_PUBLICATION_MAX_POSITION_EXCEEDED;
        }
        aeron_publication_rotate_log(log, aeron_log_term_count(term_id, log->initial_term_id), term_id);
        return AERON_PUBLICATION_ADMIN_ACTION;
    }

    if (NULL != claim)
    {
        int32_t frame_length = (int32_t)length + AERON_FRAME_HEADER_LENGTH;
        uint8_t *frame = term + term_offset;
        aeron_term_header_begin(log, frame, frame_length, (int32_t)term_offset, term_id, AERON_FRAME_UNFRAGMENTED,
                                AERON_FRAME_TYPE_DATA);
        claim->frame_header = frame;
        claim->data = frame + AERON_FRAME_HEADER_LENGTH;
        claim->length = length;
    }
    else
    {
        aeron_term_write_message(log, term, (int32_t)term_offset, term_id, buffer, cursor, length, supplier, clientd);
    }
    return position;
}

AERON_OFFER_INLINE int64_t aeron_publication_offer_impl(aeron_publication_t *publication, const uint8_t *buffer,
                                                        aeron_iov_cursor_t *cursor, size_t length,
                                                        aeron_reserved_value_supplier_t supplier, void *clientd,
                                                        aeron_buffer_claim_t *claim)
{
    if (__atomic_load_n(&publication->is_closed, __ATOMIC_ACQUIRE))
    {
        return AERON_PUBLICATION_CLOSED;
    }
    aeron_publication_log_t *log = &publication->log;
    int64_t limit = tp_load_acquire_i64(log->position_limit);
    int32_t term_count = tp_load_acquire_i32(log->active_term_count);
    int64_t raw = tp_load_acquire_i64(&log->tails[(uint32_t)term_count % 3]);
    int32_t term_id = (int32_t)(raw >> 32);
    int64_t term_offset = raw & 0xFFFFFFFFLL;
    if (term_count != aeron_log_term_count(term_id, log->initial_term_id))
    {
        return AERON_PUBLICATION_ADMIN_ACTION;
    }
    if (term_offset > log->term_length)
    {
        term_offset = log->term_length;
    }
    int64_t position =
        aeron_log_compute_position(term_id, (int32_t)term_offset, log->position_bits_to_shift, log->initial_term_id);
    if (position < limit)
    {
        /* Checked only with room to write, like the official client: otherwise the status code comes first. */
        if (length > (size_t)log->max_message_length)
        {
            aeron_err_set(EINVAL, "message length %zu exceeds max message length %d", length, log->max_message_length);
            return AERON_PUBLICATION_ERROR;
        }
        return aeron_publication_append(publication, buffer, cursor, length, term_count, supplier, clientd, claim);
    }
    return aeron_publication_log_back_pressure_status(log, position, length);
}

int64_t aeron_publication_offer(aeron_publication_t *publication, const uint8_t *buffer, size_t length,
                                aeron_reserved_value_supplier_t reserved_value_supplier, void *clientd)
{
    if (NULL == publication || (NULL == buffer && length > 0))
    {
        aeron_err_set(EINVAL, "aeron_publication_offer: publication or buffer is NULL");
        return AERON_PUBLICATION_ERROR;
    }
    return aeron_publication_offer_impl(publication, NULL == buffer ? (const uint8_t *)"" : buffer, NULL, length,
                                        reserved_value_supplier, clientd, NULL);
}

int64_t aeron_publication_offerv(aeron_publication_t *publication, aeron_iovec_t *iov, size_t iovcnt,
                                 aeron_reserved_value_supplier_t reserved_value_supplier, void *clientd)
{
    if (NULL == publication || (NULL == iov && iovcnt > 0))
    {
        aeron_err_set(EINVAL, "aeron_publication_offerv: publication or iov is NULL");
        return AERON_PUBLICATION_ERROR;
    }
    aeron_iov_cursor_t cursor = {.iov = iov, .iovcnt = iovcnt, .index = 0, .offset = 0};
    size_t length = aeron_iov_total_length(iov, iovcnt);
    return aeron_publication_offer_impl(publication, NULL, &cursor, length, reserved_value_supplier, clientd, NULL);
}

int64_t aeron_publication_try_claim(aeron_publication_t *publication, size_t length, aeron_buffer_claim_t *buffer_claim)
{
    if (NULL == publication || NULL == buffer_claim)
    {
        aeron_err_set(EINVAL, "aeron_publication_try_claim: publication or buffer_claim is NULL");
        return AERON_PUBLICATION_ERROR;
    }
    if (length > (size_t)publication->log.max_payload_length)
    {
        aeron_err_set(EINVAL, "claim length %zu exceeds max payload length %d", length,
                      publication->log.max_payload_length);
        return AERON_PUBLICATION_ERROR;
    }
    return aeron_publication_offer_impl(publication, NULL, NULL, length, NULL, NULL, buffer_claim);
}

int aeron_buffer_claim_commit(aeron_buffer_claim_t *buffer_claim)
{
    if (NULL == buffer_claim || NULL == buffer_claim->frame_header)
    {
        aeron_err_set(EINVAL, "aeron_buffer_claim_commit: claim is NULL or not claimed");
        return -1;
    }
    aeron_term_frame_commit(buffer_claim->frame_header, (int32_t)buffer_claim->length + AERON_FRAME_HEADER_LENGTH);
    return 0;
}

int aeron_buffer_claim_abort(aeron_buffer_claim_t *buffer_claim)
{
    if (NULL == buffer_claim || NULL == buffer_claim->frame_header)
    {
        aeron_err_set(EINVAL, "aeron_buffer_claim_abort: claim is NULL or not claimed");
        return -1;
    }
    int16_t pad = AERON_FRAME_TYPE_PAD;
    memcpy(buffer_claim->frame_header + AERON_FRAME_TYPE_OFFSET, &pad, sizeof(pad));
    aeron_term_frame_commit(buffer_claim->frame_header, (int32_t)buffer_claim->length + AERON_FRAME_HEADER_LENGTH);
    return 0;
}

bool aeron_publication_is_closed(aeron_publication_t *publication)
{
    return NULL == publication || __atomic_load_n(&publication->is_closed, __ATOMIC_ACQUIRE);
}

bool aeron_publication_is_connected(aeron_publication_t *publication)
{
    return NULL != publication && !aeron_publication_is_closed(publication) &&
           1 == tp_load_acquire_i32(publication->log.is_connected);
}

int aeron_publication_constants(aeron_publication_t *publication, aeron_publication_constants_t *constants)
{
    if (NULL == publication || NULL == constants)
    {
        aeron_err_set(EINVAL, "aeron_publication_constants: publication or constants is NULL");
        return -1;
    }
    AERON_PUBLICATION_FILL_CONSTANTS(publication, constants);
    return 0;
}

int64_t aeron_publication_position(aeron_publication_t *publication)
{
    if (aeron_publication_is_closed(publication))
    {
        return AERON_PUBLICATION_CLOSED;
    }
    aeron_publication_log_t *log = &publication->log;
    int32_t term_count = tp_load_acquire_i32(log->active_term_count);
    int64_t raw = tp_load_acquire_i64(&log->tails[(uint32_t)term_count % 3]);
    int64_t term_offset = raw & 0xFFFFFFFFLL;
    if (term_offset > log->term_length)
    {
        term_offset = log->term_length;
    }
    return aeron_log_compute_position((int32_t)(raw >> 32), (int32_t)term_offset, log->position_bits_to_shift,
                                      log->initial_term_id);
}

int64_t aeron_publication_position_limit(aeron_publication_t *publication)
{
    if (aeron_publication_is_closed(publication))
    {
        return AERON_PUBLICATION_CLOSED;
    }
    return tp_load_acquire_i64(publication->log.position_limit);
}

int64_t aeron_publication_channel_status(aeron_publication_t *publication)
{
    if (aeron_publication_is_closed(publication) || NULL == publication->channel_status_indicator)
    {
        return AERON_CHANNEL_STATUS_NO_ID_ALLOCATED; /* IPC has no channel-status counter */
    }
    return tp_load_acquire_i64(publication->channel_status_indicator);
}

const char *aeron_publication_channel(aeron_publication_t *publication)
{
    return NULL == publication ? NULL : publication->channel;
}

int32_t aeron_publication_stream_id(aeron_publication_t *publication)
{
    return NULL == publication ? 0 : publication->stream_id;
}

int32_t aeron_publication_session_id(aeron_publication_t *publication)
{
    return NULL == publication ? 0 : publication->session_id;
}

int aeron_publication_close(aeron_publication_t *publication, aeron_notification_t on_close_complete,
                            void *on_close_complete_clientd)
{
    if (NULL == publication)
    {
        return 0;
    }
    int result = aeron_client_conductor_close_publication(publication->conductor, publication);
    if (NULL != on_close_complete)
    {
        on_close_complete(on_close_complete_clientd);
    }
    return result;
}
