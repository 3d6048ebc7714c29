/* An image: one publication's log as seen by one subscription, read from the subscriber-position counter on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aeron_image_reader.h"

int aeron_image_create(aeron_image_t **image, aeron_client_conductor_t *conductor, aeron_subscription_t *subscription,
                       aeron_log_buffer_t *log_buffer, int64_t *subscriber_position, int32_t subscriber_position_id,
                       int64_t correlation_id, int32_t session_id, const char *source_identity,
                       size_t source_identity_length)
{
    aeron_image_t *img = calloc(1, sizeof(*img));
    char *source = malloc(source_identity_length + 1);
    if (NULL == img || NULL == source)
    {
        free(img);
        free(source);
        aeron_err_set(ENOMEM, "could not allocate image for correlation id %lld", (long long)correlation_id);
        return -1;
    }
    memcpy(source, source_identity, source_identity_length);
    source[source_identity_length] = '\0';

    img->conductor = conductor;
    img->subscription = subscription;
    img->log_buffer = log_buffer;
    for (int i = 0; i < 3; i++)
    {
        img->terms[i] = log_buffer->terms[i];
    }
    img->subscriber_position = subscriber_position;
    img->end_of_stream_position = (volatile int64_t *)(log_buffer->metadata + AERON_LOG_META_END_OF_STREAM_OFFSET);
    img->active_transport_count =
        (volatile int32_t *)(log_buffer->metadata + AERON_LOG_META_ACTIVE_TRANSPORT_COUNT_OFFSET);
    img->source_identity = source;
    img->correlation_id = correlation_id;
    img->subscription_registration_id = subscription->registration_id;
    img->join_position = tp_load_acquire_i64(subscriber_position);
    img->final_position = img->join_position;
    img->refcnt = 0;
    img->session_id = session_id;
    img->stream_id = subscription->stream_id;
    img->term_length = log_buffer->term_length;
    img->term_length_mask = log_buffer->term_length - 1;
    img->initial_term_id = log_buffer->initial_term_id;
    img->mtu_length = log_buffer->mtu_length;
    img->subscriber_position_id = subscriber_position_id;
    img->position_bits_to_shift = log_buffer->position_bits_to_shift;
    img->is_closed = false;
    *image = img;
    return 0;
}

void aeron_image_delete(aeron_image_t *image)
{
    if (NULL != image)
    {
        free(image->source_identity);
        free(image);
    }
}

int aeron_image_poll(aeron_image_t *image, aeron_fragment_handler_t handler, void *clientd, size_t fragment_limit)
{
    return aeron_image_poll_impl(image, handler, clientd, INT64_MAX, fragment_limit);
}

int aeron_image_bounded_poll(aeron_image_t *image, aeron_fragment_handler_t handler, void *clientd,
                             int64_t limit_position, size_t fragment_limit)
{
    return aeron_image_poll_impl(image, handler, clientd, limit_position, fragment_limit);
}

int aeron_image_controlled_poll(aeron_image_t *image, aeron_controlled_fragment_handler_t handler, void *clientd,
                                size_t fragment_limit)
{
    if (NULL == image || NULL == handler)
    {
        aeron_err_set(EINVAL, "aeron_image_controlled_poll: image or handler is NULL");
        return -1;
    }
    if (aeron_image_closed(image))
    {
        return 0;
    }
    int64_t initial_position = tp_load_relaxed_i64(image->subscriber_position);
    int32_t initial_offset = (int32_t)(initial_position & image->term_length_mask);
    int32_t offset = initial_offset;
    uint8_t *term = aeron_image_term_at(image, initial_position);
    size_t fragments = 0;
    aeron_header_t header;
    aeron_image_header_init(image, &header);

    while (fragments < fragment_limit && offset < image->term_length)
    {
        int32_t frame_offset = offset;
        int32_t frame_length = aeron_image_next_frame(term, &offset);
        if (frame_length < 0)
        {
            break;
        }
        if (0 == frame_length)
        {
            continue;
        }
        ++fragments;
        header.frame = (aeron_header_values_frame_t *)(term + frame_offset);
        aeron_controlled_fragment_handler_action_t action =
            handler(clientd, term + frame_offset + AERON_FRAME_HEADER_LENGTH,
                    (size_t)(frame_length - AERON_FRAME_HEADER_LENGTH), &header);
        if (AERON_ACTION_ABORT == action)
        {
            --fragments;
            offset = frame_offset;
            break;
        }
        if (AERON_ACTION_BREAK == action)
        {
            break;
        }
        if (AERON_ACTION_COMMIT == action)
        {
            initial_position += offset - initial_offset;
            initial_offset = offset;
            tp_store_release_i64(image->subscriber_position, initial_position);
        }
    }

    if (offset != initial_offset)
    {
        tp_store_release_i64(image->subscriber_position, initial_position + (offset - initial_offset));
    }
    return (int)fragments;
}

int aeron_image_constants(aeron_image_t *image, aeron_image_constants_t *constants)
{
    if (NULL == image || NULL == constants)
    {
        aeron_err_set(EINVAL, "aeron_image_constants: image or constants is NULL");
        return -1;
    }
    constants->subscription = image->subscription;
    constants->source_identity = image->source_identity;
    constants->correlation_id = image->correlation_id;
    constants->join_position = image->join_position;
    constants->position_bits_to_shift = image->position_bits_to_shift;
    constants->term_buffer_length = (size_t)image->term_length;
    constants->mtu_length = (size_t)image->mtu_length;
    constants->session_id = image->session_id;
    constants->initial_term_id = image->initial_term_id;
    constants->subscriber_position_id = image->subscriber_position_id;
    return 0;
}

int64_t aeron_image_position(aeron_image_t *image)
{
    if (NULL == image)
    {
        return AERON_NULL_VALUE;
    }
    if (aeron_image_closed(image))
    {
        return image->final_position;
    }
    return tp_load_acquire_i64(image->subscriber_position);
}

int aeron_image_set_position(aeron_image_t *image, int64_t position)
{
    if (NULL == image || aeron_image_closed(image))
    {
        aeron_err_set(EINVAL, "aeron_image_set_position: image is NULL or closed");
        return -1;
    }
    if (0 != (position & (AERON_FRAME_ALIGNMENT - 1)))
    {
        aeron_err_set(EINVAL, "position %lld is not %d-byte aligned", (long long)position, AERON_FRAME_ALIGNMENT);
        return -1;
    }
    tp_store_release_i64(image->subscriber_position, position);
    return 0;
}

bool aeron_image_is_end_of_stream(aeron_image_t *image)
{
    if (NULL == image)
    {
        return false;
    }
    return aeron_image_position(image) >= tp_load_acquire_i64(image->end_of_stream_position);
}

int64_t aeron_image_end_of_stream_position(aeron_image_t *image)
{
    return NULL == image ? INT64_MAX : tp_load_acquire_i64(image->end_of_stream_position);
}

int aeron_image_active_transport_count(aeron_image_t *image)
{
    return NULL == image ? 0 : tp_load_acquire_i32(image->active_transport_count);
}

bool aeron_image_is_closed(aeron_image_t *image)
{
    return NULL == image || aeron_image_closed(image);
}

/* ---- header ---- */

int aeron_header_values(aeron_header_t *header, aeron_header_values_t *values)
{
    if (NULL == header || NULL == values || NULL == header->frame)
    {
        aeron_err_set(EINVAL, "aeron_header_values: header or values is NULL");
        return -1;
    }
    memcpy(&values->frame, header->frame, sizeof(values->frame));
    values->initial_term_id = header->initial_term_id;
    values->position_bits_to_shift = header->position_bits_to_shift;
    return 0;
}

int32_t aeron_header_next_term_offset(aeron_header_t *header)
{
    if (0 != header->next_term_offset_override)
    {
        return header->next_term_offset_override;
    }
    return AERON_ALIGN(header->frame->term_offset + header->frame->frame_length, AERON_FRAME_ALIGNMENT);
}

int64_t aeron_header_position(aeron_header_t *header)
{
    return aeron_log_compute_position(header->frame->term_id, aeron_header_next_term_offset(header),
                                      header->position_bits_to_shift, header->initial_term_id);
}

size_t aeron_header_position_bits_to_shift(aeron_header_t *header)
{
    return header->position_bits_to_shift;
}

void *aeron_header_context(aeron_header_t *header)
{
    return header->context;
}
