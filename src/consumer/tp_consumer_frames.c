/*
 * FrameDescriptor and FrameProgress handling: the §10.2.1 / §15.21 slot checks under the seqlock, gap and late
 * accounting (§15.4) and the progress prefix rules (§10.2.2). Hot path: no allocation, locks or syscalls.
 */
#include <string.h>

#include "common/tp_prefetch.h"
#include "consumer/tp_consumer_core_private.h"
#include "shm/tp_seqlock.h"
#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/frameProgress.h"

static inline const uint8_t *tp_consumer_slot(const tp_consumer_core_t *core, uint32_t index)
{
    return core->current.header.addr + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * TP_SHM_HEADER_SLOT_BYTES;
}

static const uint8_t *tp_consumer_payload(const tp_consumer_core_t *core, uint16_t pool_id, uint32_t payload_slot)
{
    for (size_t i = 0; i < core->current.pool_count; i++)
    {
        if (core->current.slot_pools[i].pool_id == pool_id)
        {
            return core->current.pools[i].addr + TP_SHM_SUPERBLOCK_SIZE +
                   (size_t)payload_slot * core->current.slot_pools[i].stride_bytes;
        }
    }
    return NULL;
}

/* Frames ahead whose slot lines are prefetched while a backlog is drained. */
#define TP_CONSUMER_LOOKAHEAD 4

static inline void tp_consumer_prefetch_slot(const tp_consumer_core_t *core, uint32_t index)
{
    const uint8_t *slot = tp_consumer_slot(core, index);
    for (size_t off = 0; off < TP_SHM_HEADER_SLOT_BYTES; off += 64)
    {
        tp_prefetch_read(slot + off);
    }
    for (size_t i = 0; i < core->current.pool_count; i++)
    {
        tp_prefetch_read(core->current.pools[i].addr + TP_SHM_SUPERBLOCK_SIZE +
                         (size_t)index * core->current.slot_pools[i].stride_bytes);
    }
}

bool tp_consumer_frame_is_intact(const tp_consumer_frame_t *frame)
{
    if (NULL == frame || NULL == frame->commit_word)
    {
        return false;
    }
    /* Keeps the caller's payload loads above the re-read of the commit word. */
    tp_fence_acquire();
    return tp_load_acquire_u64(frame->commit_word) == tp_seqlock_committed_value(frame->seq);
}

int tp_consumer_on_descriptor(tp_consumer_core_t *core, tp_stream_kind_t source, const uint8_t *buffer, size_t length,
                              const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_frameDescriptor msg;
    if (NULL == shm_tensorpool_control_frameDescriptor_wrap_for_decode(&msg, (char *)buffer, 8, hdr->block_length,
                                                                       hdr->version, length))
    {
        return -1;
    }
    /* With a per-consumer descriptor stream granted, the shared one is not ours to follow (§5). */
    if (shm_tensorpool_control_frameDescriptor_streamId(&msg) != core->ctx.stream_id ||
        (TP_STREAM_DESCRIPTOR == source && 0 != core->assignment.descriptor_stream_id))
    {
        core->counters.descriptors_other_stream++;
        return 0;
    }
    if (!core->mapped)
    {
        core->counters.drops_unmapped++;
        return 0;
    }
    uint64_t epoch = shm_tensorpool_control_frameDescriptor_epoch(&msg);
    if (epoch != core->current.epoch)
    {
        core->counters.descriptors_wrong_epoch++;
        return 0;
    }
    uint64_t seq = shm_tensorpool_control_frameDescriptor_seq(&msg);
    uint32_t index = shm_tensorpool_control_frameDescriptor_headerIndex(&msg);
    uint32_t mask = core->current.nslots - 1;
    if (index >= core->current.nslots || index != (uint32_t)(seq & mask))
    {
        core->counters.drops_invalid++;
        return 0;
    }
    /* Start the header and payload misses now, together (payload_slot = header_index, §15.5), instead of one
     * after the other once the header has been decoded. While a backlog is drained (more than one descriptor in
     * this duty cycle) the producer is ahead: also start those of a frame a few slots on, so the misses of
     * consecutive frames overlap. Never when caught up: that would pull lines the producer is about to write. */
    const uint8_t *slot = tp_consumer_slot(core, index);
    tp_consumer_prefetch_slot(core, index);
    if (core->batch++ > 0)
    {
        tp_consumer_prefetch_slot(core, (index + TP_CONSUMER_LOOKAHEAD) & mask);
    }
    if (core->have_seq && seq <= core->last_seq)
    {
        core->counters.descriptors_replayed++;
        return 0;
    }
    if (core->have_seq && seq > core->last_seq + 1)
    {
        uint64_t gap = seq - core->last_seq - 1;
        core->counters.drops_gap += gap;
        if (gap > core->ctx.max_outstanding_seq_gap)
        {
            core->counters.resyncs++; /* we already jumped to the latest; reported through QoS */
        }
    }
    core->have_seq = true;
    core->last_seq = seq;

    const volatile uint64_t *word = (const volatile uint64_t *)slot;
    uint64_t first = tp_seqlock_read_begin(word);
    tp_seqlock_result_t early = tp_seqlock_classify(first, seq);
    if (TP_SEQLOCK_OK != early)
    {
        /* In progress or newer: the producer has lapped us. Older: the slot never held this seq. */
        if (TP_SEQLOCK_STALE == early)
        {
            core->counters.drops_invalid++;
        }
        else
        {
            core->counters.drops_late++;
        }
        return 0;
    }
    uint64_t copy[TP_SLOT_HEADER_BYTES / sizeof(uint64_t)];
    memcpy(copy, slot, sizeof(copy));
    if (TP_SEQLOCK_OK != tp_seqlock_read_end(word, first, seq))
    {
        core->counters.drops_late++;
        return 0;
    }

    tp_consumer_frame_t frame;
    tp_slot_expect_t expect = {index, core->current.slot_pools, core->current.pool_count};
    tp_frame_status_t status = tp_slot_header_decode((const uint8_t *)copy, sizeof(copy), &expect, &frame.tensor);
    if (TP_FRAME_OK != status)
    {
        core->last_frame_status = status;
        core->counters.drops_invalid++;
        return 0;
    }
    frame.payload_length = frame.tensor.values_len_bytes;
    frame.payload =
        0 == frame.payload_length ? NULL : tp_consumer_payload(core, frame.tensor.pool_id, frame.tensor.payload_slot);
    frame.seq = seq;
    frame.epoch = epoch;
    frame.header_index = index;
    frame.commit_word = word;
    core->counters.frames_accepted++;
    if (NULL != core->ctx.on_frame)
    {
        core->ctx.on_frame(core->ctx.handler_clientd, &frame);
    }
    return 1;
}

/* True when the strides are the contiguous ones of the shape in its major order. */
static bool tp_consumer_is_contiguous(const tp_tensor_view_t *view)
{
    int64_t expected = tp_dtype_size(view->dtype);
    for (uint8_t k = 0; k < view->ndims; k++)
    {
        uint8_t i = TP_MAJOR_ORDER_ROW == view->major_order ? (uint8_t)(view->ndims - 1 - k) : k;
        if (view->dims[i] > 1 && view->strides[i] != expected)
        {
            return false;
        }
        expected *= view->dims[i] > 0 ? view->dims[i] : 1;
    }
    return true;
}

static int tp_consumer_progress_drop(tp_consumer_core_t *core, bool poison)
{
    core->counters.progress_dropped++;
    if (poison)
    {
        core->progress_invalid = true;
    }
    return 0;
}

int tp_consumer_on_progress(tp_consumer_core_t *core, tp_stream_kind_t source, const uint8_t *buffer, size_t length,
                            const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_frameProgress msg;
    if (NULL == shm_tensorpool_control_frameProgress_wrap_for_decode(&msg, (char *)buffer, 8, hdr->block_length,
                                                                     hdr->version, length))
    {
        return -1;
    }
    if (!core->ctx.supports_progress || shm_tensorpool_control_frameProgress_streamId(&msg) != core->ctx.stream_id ||
        (TP_STREAM_CONTROL == source && 0 != core->assignment.control_stream_id))
    {
        return 0;
    }
    uint64_t frame_id = shm_tensorpool_control_frameProgress_frameId(&msg);
    uint32_t index = shm_tensorpool_control_frameProgress_headerIndex(&msg);
    uint64_t filled = shm_tensorpool_control_frameProgress_payloadBytesFilled(&msg);
    uint8_t state = shm_tensorpool_control_frameProgress_state_raw(&msg);
    if (!core->mapped || shm_tensorpool_control_frameProgress_epoch(&msg) != core->current.epoch ||
        index >= core->current.nslots || index != (uint32_t)(frame_id & (core->current.nslots - 1)) || state < 1 ||
        state > 3)
    {
        return tp_consumer_progress_drop(core, false);
    }
    if (!core->progress_active || frame_id != core->progress_frame)
    {
        if (core->progress_active && frame_id < core->progress_frame)
        {
            return tp_consumer_progress_drop(core, false); /* an older frame's late update */
        }
        core->progress_active = true;
        core->progress_invalid = false;
        core->progress_frame = frame_id;
        core->progress_bytes = 0;
        core->progress_state = 0;
    }
    /* STARTED -> PROGRESS -> COMPLETE with non-decreasing bytes; a regression poisons the frame (§10.2.2). */
    if (core->progress_invalid || state < core->progress_state || filled < core->progress_bytes)
    {
        return tp_consumer_progress_drop(core, true);
    }

    const uint8_t *slot = tp_consumer_slot(core, index);
    const volatile uint64_t *word = (const volatile uint64_t *)slot;
    uint64_t first = tp_seqlock_read_begin(word);
    if (first != tp_seqlock_in_progress_value(frame_id) && first != tp_seqlock_committed_value(frame_id))
    {
        return tp_consumer_progress_drop(core, false);
    }
    uint64_t copy[TP_SLOT_HEADER_BYTES / sizeof(uint64_t)];
    memcpy(copy, slot, sizeof(copy));
    tp_fence_acquire();
    if (tp_load_acquire_u64(word) != first)
    {
        return tp_consumer_progress_drop(core, false);
    }
    /* Decoding validates progress_unit / progress_stride_bytes against the declared layout. */
    tp_tensor_view_t view;
    tp_slot_expect_t expect = {index, core->current.slot_pools, core->current.pool_count};
    tp_frame_status_t status = tp_slot_header_decode((const uint8_t *)copy, sizeof(copy), &expect, &view);
    if (TP_FRAME_OK != status || filled > view.values_len_bytes)
    {
        core->last_frame_status = TP_FRAME_OK != status ? (int)status : core->last_frame_status;
        return tp_consumer_progress_drop(core, true);
    }
    core->progress_state = state;
    core->progress_bytes = filled;

    tp_consumer_progress_t event;
    event.frame_id = frame_id;
    event.header_index = index;
    event.state = state;
    event.payload_bytes_filled = filled;
    event.safe_bytes = 0;
    if (TP_PROGRESS_UNIT_NONE != view.progress_unit)
    {
        event.safe_bytes = filled - filled % view.progress_stride_bytes;
    }
    else if (tp_consumer_is_contiguous(&view))
    {
        event.safe_bytes = filled;
    }
    event.payload = event.safe_bytes > 0 ? tp_consumer_payload(core, view.pool_id, view.payload_slot) : NULL;
    core->counters.progress_accepted++;
    if (NULL != core->ctx.on_progress)
    {
        core->ctx.on_progress(core->ctx.handler_clientd, &event);
    }
    return 1;
}
