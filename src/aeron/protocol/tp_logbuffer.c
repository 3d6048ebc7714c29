#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "aeron/protocol/tp_logbuffer.h"
#include "aeron/protocol/tp_bitutil.h"
#include "common/tp_error_private.h"

_Static_assert(sizeof(tp_data_header_t) == TP_DATA_HEADER_LENGTH, "data header is 32 bytes");
_Static_assert(offsetof(tp_data_header_t, term_offset) == 8, "term_offset @8");
_Static_assert(offsetof(tp_data_header_t, term_id) == 20, "term_id @20");
_Static_assert(offsetof(tp_data_header_t, reserved_value) == 24, "reserved_value @24");
_Static_assert(offsetof(tp_logbuffer_metadata_t, active_term_count) == 24, "active_term_count @24");
_Static_assert(offsetof(tp_logbuffer_metadata_t, end_of_stream_position) == 128, "end_of_stream @128");
_Static_assert(offsetof(tp_logbuffer_metadata_t, is_connected) == 136, "is_connected @136");
_Static_assert(offsetof(tp_logbuffer_metadata_t, active_transport_count) == 140, "active_transport_count @140");
_Static_assert(offsetof(tp_logbuffer_metadata_t, correlation_id) == 256, "correlation_id @256");
_Static_assert(offsetof(tp_logbuffer_metadata_t, initial_term_id) == 264, "initial_term_id @264");
_Static_assert(offsetof(tp_logbuffer_metadata_t, mtu_length) == 272, "mtu @272");
_Static_assert(offsetof(tp_logbuffer_metadata_t, page_size) == 280, "page_size @280");
_Static_assert(offsetof(tp_logbuffer_metadata_t, receiver_window_length) == 288, "receiver window @288");
_Static_assert(offsetof(tp_logbuffer_metadata_t, max_resend) == 316, "max_resend @316");
_Static_assert(offsetof(tp_logbuffer_metadata_t, default_header) == 320, "default header @320");
_Static_assert(offsetof(tp_logbuffer_metadata_t, entity_tag) == 448, "entity_tag @448");
_Static_assert(offsetof(tp_logbuffer_metadata_t, linger_timeout_ns) == 464, "linger @464");
_Static_assert(offsetof(tp_logbuffer_metadata_t, untethered_resting_timeout_ns) == 480, "resting @480");
_Static_assert(offsetof(tp_logbuffer_metadata_t, group) == 488, "flags @488");
_Static_assert(offsetof(tp_logbuffer_metadata_t, signal_eos) == 493, "signal_eos @493");
_Static_assert(sizeof(tp_logbuffer_metadata_t) == 496, "metadata struct is 496 bytes");

static int tp_logbuffer_check_power_of_two(const char *what, int64_t value, int min, int max)
{
    if (value < min || value > max || !tp_is_power_of_two_u64((uint64_t)value))
    {
        TP_SET_ERR(EINVAL, "%s %" PRId64 " is not a power of two in [%d, %d]", what, value, min, max);
        return -1;
    }
    return 0;
}

int tp_logbuffer_check_term_length(int64_t term_length)
{
    return tp_logbuffer_check_power_of_two("term length", term_length, TP_LOGBUFFER_TERM_MIN_LENGTH,
                                           TP_LOGBUFFER_TERM_MAX_LENGTH);
}

int tp_logbuffer_check_page_size(int64_t page_size)
{
    return tp_logbuffer_check_power_of_two("page size", page_size, TP_LOGBUFFER_PAGE_MIN_SIZE,
                                           TP_LOGBUFFER_PAGE_MAX_SIZE);
}

int tp_logbuffer_check_mtu_length(int64_t mtu_length)
{
    if (mtu_length <= TP_DATA_HEADER_LENGTH || mtu_length > TP_FRAME_MAX_LENGTH || 0 != mtu_length % TP_FRAME_ALIGNMENT)
    {
        TP_SET_ERR(EINVAL, "mtu length %" PRId64 " must be > %d, <= %d and a multiple of %d", mtu_length,
                   TP_DATA_HEADER_LENGTH, TP_FRAME_MAX_LENGTH, TP_FRAME_ALIGNMENT);
        return -1;
    }
    return 0;
}

int64_t tp_logbuffer_compute_log_length(int64_t term_length, int64_t page_size)
{
    return tp_align_i64(TP_LOGBUFFER_PARTITION_COUNT * term_length + TP_LOGBUFFER_META_DATA_LENGTH, page_size);
}

int64_t tp_logbuffer_compute_fragmented_length(int64_t length, int64_t max_payload_length)
{
    const int64_t full_frames = length / max_payload_length;
    const int64_t remainder = length - full_frames * max_payload_length;
    const int64_t last_frame = remainder > 0 ? tp_align_i64(remainder + TP_DATA_HEADER_LENGTH, TP_FRAME_ALIGNMENT) : 0;
    return full_frames * (max_payload_length + TP_DATA_HEADER_LENGTH) + last_frame;
}

int64_t tp_logbuffer_producer_position(const tp_logbuffer_metadata_t *metadata)
{
    const int32_t term_length = metadata->term_length;
    const int64_t raw_tail = tp_logbuffer_active_raw_tail(metadata);
    return tp_logbuffer_compute_position(tp_logbuffer_term_id(raw_tail),
                                         tp_logbuffer_term_offset(raw_tail, term_length),
                                         tp_logbuffer_position_bits_to_shift(term_length), metadata->initial_term_id);
}

void tp_logbuffer_initialise_tails(tp_logbuffer_metadata_t *metadata, int32_t initial_term_id)
{
    metadata->term_tail_counters[0] = tp_logbuffer_pack_tail(initial_term_id, 0);
    for (int i = 1; i < TP_LOGBUFFER_PARTITION_COUNT; i++)
    {
        /* Each idle partition holds the id of the term three behind the one it will carry next. */
        const int32_t expected_term_id = tp_logbuffer_term_id_add(initial_term_id, i - TP_LOGBUFFER_PARTITION_COUNT);
        metadata->term_tail_counters[i] = tp_logbuffer_pack_tail(expected_term_id, 0);
    }
    tp_store_release_i32(&metadata->active_term_count, 0);
}

void tp_logbuffer_initialise_tails_at(tp_logbuffer_metadata_t *metadata, int32_t initial_term_id, int32_t term_id,
                                      int32_t term_offset)
{
    const int32_t term_count = tp_logbuffer_term_id_diff(term_id, initial_term_id);
    const int active_index = tp_logbuffer_index_by_term_count((uint32_t)term_count);
    metadata->term_tail_counters[active_index] = tp_logbuffer_pack_tail(term_id, term_offset);
    for (int i = 1; i < TP_LOGBUFFER_PARTITION_COUNT; i++)
    {
        const int index = (active_index + i) % TP_LOGBUFFER_PARTITION_COUNT;
        const int32_t expected_term_id = tp_logbuffer_term_id_add(term_id, i - TP_LOGBUFFER_PARTITION_COUNT);
        metadata->term_tail_counters[index] = tp_logbuffer_pack_tail(expected_term_id, 0);
    }
    tp_store_release_i32(&metadata->active_term_count, term_count);
}

bool tp_logbuffer_rotate_log(tp_logbuffer_metadata_t *metadata, int32_t current_term_count, int32_t current_term_id)
{
    const int32_t next_term_id = tp_logbuffer_term_id_add(current_term_id, 1);
    const int32_t next_term_count = current_term_count + 1;
    const int next_index = tp_logbuffer_index_by_term_count((uint32_t)next_term_count);
    const int32_t expected_term_id = tp_logbuffer_term_id_add(next_term_id, -TP_LOGBUFFER_PARTITION_COUNT);
    const int64_t new_raw_tail = tp_logbuffer_pack_tail(next_term_id, 0);

    int64_t raw_tail;
    do
    {
        raw_tail = tp_logbuffer_raw_tail_volatile(metadata, next_index);
        if (expected_term_id != tp_logbuffer_term_id(raw_tail))
        {
            break; /* somebody else already moved this partition on */
        }
    } while (!tp_cas_i64(&metadata->term_tail_counters[next_index], raw_tail, new_raw_tail));

    return tp_cas_i32(&metadata->active_term_count, current_term_count, next_term_count);
}

void tp_logbuffer_fill_default_header(tp_logbuffer_metadata_t *metadata, int32_t session_id, int32_t stream_id,
                                      int32_t initial_term_id)
{
    tp_data_header_t header;
    memset(&header, 0, sizeof(header));
    header.frame_length = 0;
    header.version = TP_FRAME_VERSION;
    header.flags = TP_FRAME_FLAGS_UNFRAGMENTED;
    header.type = TP_FRAME_TYPE_DATA;
    header.term_offset = 0;
    header.session_id = session_id;
    header.stream_id = stream_id;
    header.term_id = initial_term_id;
    header.reserved_value = 0;
    memset(metadata->default_header, 0, sizeof(metadata->default_header));
    memcpy(metadata->default_header, &header, sizeof(header));
    metadata->default_frame_header_length = TP_DATA_HEADER_LENGTH;
}

int32_t tp_term_reader_read(const uint8_t *term_buffer, int32_t term_offset, int32_t term_length,
                            tp_term_reader_handler_t handler, void *clientd, int32_t fragments_limit,
                            int32_t *next_offset)
{
    int32_t fragments_read = 0;
    int32_t offset = term_offset;

    while (fragments_read < fragments_limit && offset < term_length)
    {
        const int32_t frame_length = tp_frame_length_volatile(term_buffer, offset);
        if (frame_length <= 0)
        {
            break;
        }
        const int32_t frame_offset = offset;
        offset += tp_align_i32(frame_length, TP_FRAME_ALIGNMENT);
        if (!tp_frame_is_padding(term_buffer, frame_offset))
        {
            ++fragments_read;
            handler(term_buffer + frame_offset + TP_DATA_HEADER_LENGTH, (size_t)frame_length - TP_DATA_HEADER_LENGTH,
                    (const tp_data_header_t *)(term_buffer + frame_offset), clientd);
        }
    }

    if (NULL != next_offset)
    {
        *next_offset = offset;
    }
    return fragments_read;
}

int32_t tp_term_scanner_scan_for_availability(const uint8_t *term_buffer, int32_t term_offset, int32_t term_length,
                                              int32_t max_length, int32_t *padding)
{
    const int32_t limit = term_length - term_offset < max_length ? term_length - term_offset : max_length;
    int32_t available = 0;
    int32_t pad = 0;

    do
    {
        const int32_t frame_offset = term_offset + available;
        const int32_t frame_length = tp_frame_length_volatile(term_buffer, frame_offset);
        if (frame_length <= 0)
        {
            break;
        }
        int32_t aligned_length = tp_align_i32(frame_length, TP_FRAME_ALIGNMENT);
        if (tp_frame_is_padding(term_buffer, frame_offset))
        {
            pad = aligned_length - TP_DATA_HEADER_LENGTH;
            aligned_length = TP_DATA_HEADER_LENGTH;
        }
        available += aligned_length;
        if (available > limit)
        {
            available -= aligned_length;
            pad = 0;
            break;
        }
    } while (0 == pad && available < limit);

    if (NULL != padding)
    {
        *padding = pad;
    }
    return available;
}

void tp_term_clean(uint8_t *term_buffer, int32_t offset, int32_t length)
{
    if (length <= (int32_t)sizeof(int64_t))
    {
        if (length > 0)
        {
            memset(term_buffer + offset, 0, (size_t)length);
        }
        return;
    }
    memset(term_buffer + offset + sizeof(int64_t), 0, (size_t)length - sizeof(int64_t));
    tp_store_release_i64((volatile int64_t *)(term_buffer + offset), 0);
}

/* Writes a PAD header of `length` at `offset` using the default header template, length word last. */
static void tp_term_write_pad(const tp_logbuffer_metadata_t *metadata, uint8_t *term_buffer, int32_t offset,
                              int32_t term_id, int32_t length)
{
    tp_data_header_t *header = (tp_data_header_t *)(term_buffer + offset);
    const tp_data_header_t *template = (const tp_data_header_t *)metadata->default_header;
    header->version = template->version;
    header->flags = template->flags;
    header->type = TP_FRAME_TYPE_PAD;
    header->term_offset = offset;
    header->session_id = template->session_id;
    header->stream_id = template->stream_id;
    header->term_id = term_id;
    header->reserved_value = 0;
    tp_store_release_i32(&header->frame_length, length);
}

static bool tp_term_gap_still_zero(const uint8_t *term_buffer, int32_t to, int32_t from)
{
    for (int32_t i = to - TP_FRAME_ALIGNMENT; i >= from; i -= TP_FRAME_ALIGNMENT)
    {
        if (0 != tp_frame_length_volatile(term_buffer, i))
        {
            return false;
        }
    }
    return true;
}

int tp_term_unblocker_unblock(const tp_logbuffer_metadata_t *metadata, uint8_t *term_buffer, int32_t blocked_offset,
                              int32_t tail_offset, int32_t term_id, int32_t term_length)
{
    int32_t frame_length = tp_frame_length_volatile(term_buffer, blocked_offset);
    if (frame_length < 0)
    {
        tp_term_write_pad(metadata, term_buffer, blocked_offset, term_id, -frame_length);
        return TP_TERM_UNBLOCKER_UNBLOCKED;
    }
    if (0 != frame_length)
    {
        return TP_TERM_UNBLOCKER_NO_ACTION;
    }

    int32_t current_offset = blocked_offset + TP_FRAME_ALIGNMENT;
    while (current_offset < tail_offset)
    {
        frame_length = tp_frame_length_volatile(term_buffer, current_offset);
        if (0 != frame_length)
        {
            if (tp_term_gap_still_zero(term_buffer, current_offset, blocked_offset))
            {
                tp_term_write_pad(metadata, term_buffer, blocked_offset, term_id, current_offset - blocked_offset);
                return TP_TERM_UNBLOCKER_UNBLOCKED;
            }
            return TP_TERM_UNBLOCKER_NO_ACTION;
        }
        current_offset += TP_FRAME_ALIGNMENT;
    }

    if (current_offset >= term_length && 0 == tp_frame_length_volatile(term_buffer, blocked_offset))
    {
        tp_term_write_pad(metadata, term_buffer, blocked_offset, term_id, term_length - blocked_offset);
        return TP_TERM_UNBLOCKER_UNBLOCKED_TO_END;
    }
    return TP_TERM_UNBLOCKER_NO_ACTION;
}

bool tp_logbuffer_unblock(uint8_t *const term_buffers[TP_LOGBUFFER_PARTITION_COUNT], tp_logbuffer_metadata_t *metadata,
                          int64_t blocked_position, int32_t term_length)
{
    const int shift = tp_logbuffer_position_bits_to_shift(term_length);
    const int32_t blocked_term_count = (int32_t)((uint64_t)blocked_position >> shift);
    const int32_t blocked_offset = tp_logbuffer_compute_term_offset_from_position(blocked_position, shift);
    const int32_t active_term_count = tp_logbuffer_active_term_count(metadata);

    if (active_term_count == blocked_term_count - 1 && 0 == blocked_offset)
    {
        /* The consumer waits at the start of a term nobody rotated into. */
        const int64_t raw_tail =
            tp_logbuffer_raw_tail_volatile(metadata, tp_logbuffer_index_by_term_count((uint32_t)active_term_count));
        return tp_logbuffer_rotate_log(metadata, active_term_count, tp_logbuffer_term_id(raw_tail));
    }

    const int blocked_index = tp_logbuffer_index_by_term_count((uint32_t)blocked_term_count);
    const int64_t raw_tail = tp_logbuffer_raw_tail_volatile(metadata, blocked_index);
    const int32_t term_id = tp_logbuffer_term_id(raw_tail);
    const int32_t tail_offset = tp_logbuffer_term_offset(raw_tail, term_length);

    switch (tp_term_unblocker_unblock(metadata, term_buffers[blocked_index], blocked_offset, tail_offset, term_id,
                                      term_length))
    {
        case TP_TERM_UNBLOCKER_UNBLOCKED_TO_END:
            tp_logbuffer_rotate_log(metadata, blocked_term_count, term_id);
            return true;
        case TP_TERM_UNBLOCKER_UNBLOCKED:
            return true;
        default:
            return false;
    }
}
