/*
 * The image read loop, shared by aeron_image_poll and aeron_subscription_poll so the subscription's round-robin
 * loop inlines it instead of calling through the exported function for every image.
 */
#ifndef TENSORPOOL_AERON_IMAGE_READER_H
#define TENSORPOOL_AERON_IMAGE_READER_H

#include <errno.h>
#include <string.h>

#include "aeron_client_private.h"
#include "common/tp_atomic.h"

static inline bool aeron_image_closed(aeron_image_t *image)
{
    return __atomic_load_n(&image->is_closed, __ATOMIC_ACQUIRE);
}

static inline void aeron_image_header_init(aeron_image_t *image, aeron_header_t *header)
{
    header->frame = NULL;
    header->initial_term_id = image->initial_term_id;
    header->position_bits_to_shift = image->position_bits_to_shift;
    header->next_term_offset_override = 0;
    header->context = image;
}

/* Index of the term holding position: term counts fit 31 bits, so unsigned 32-bit arithmetic is exact and cheap. */
static inline uint8_t *aeron_image_term_at(const aeron_image_t *image, int64_t position)
{
    return image->terms[(uint32_t)(position >> image->position_bits_to_shift) % 3];
}

/*
 * Steps *offset past the frame at *offset. Returns the frame's length when it carries data, 0 when it is padding,
 * or -1 (offset unchanged) when no frame is committed there yet. Shared by the plain and controlled read loops.
 */
static inline __attribute__((always_inline)) int32_t aeron_image_next_frame(const uint8_t *term, int32_t *offset)
{
    int32_t frame_length = tp_load_acquire_i32((const volatile int32_t *)(term + *offset));
    if (frame_length <= 0)
    {
        return -1;
    }
    int16_t type;
    memcpy(&type, term + *offset + AERON_FRAME_TYPE_OFFSET, sizeof(type));
    *offset += AERON_ALIGN(frame_length, AERON_FRAME_ALIGNMENT);
    return AERON_FRAME_TYPE_PAD == type ? 0 : frame_length;
}

/* Reads frames of the current term only (a poll never crosses a term boundary), up to limit_position. */
static inline __attribute__((always_inline)) int aeron_image_poll_impl(aeron_image_t *image,
                                                                       aeron_fragment_handler_t handler, void *clientd,
                                                                       int64_t limit_position, size_t fragment_limit)
{
    if (NULL == image || NULL == handler)
    {
        aeron_err_set(EINVAL, "image poll: image or handler is NULL");
        return -1;
    }
    if (aeron_image_closed(image))
    {
        return 0;
    }
    int64_t position = tp_load_relaxed_i64(image->subscriber_position);
    int32_t offset = (int32_t)(position & image->term_length_mask);
    int32_t initial_offset = offset;
    uint8_t *term = aeron_image_term_at(image, position);
    int64_t limit_offset64 = (limit_position - position) + offset;
    int32_t limit_offset = limit_offset64 < image->term_length ? (int32_t)limit_offset64 : image->term_length;
    size_t fragments = 0;
    aeron_header_t header;
    aeron_image_header_init(image, &header);

    while (fragments < fragment_limit && offset < limit_offset)
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
        handler(clientd, term + frame_offset + AERON_FRAME_HEADER_LENGTH,
                (size_t)(frame_length - AERON_FRAME_HEADER_LENGTH), &header);
    }

    if (offset != initial_offset)
    {
        tp_store_release_i64(image->subscriber_position, position + (offset - initial_offset));
    }
    return (int)fragments;
}

#endif /* TENSORPOOL_AERON_IMAGE_READER_H */
