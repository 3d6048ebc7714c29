/* Encoders for the messages the producer core emits (wire spec §10.1.1, §10.2, §10.3.1, §10.4.2). */
#include <string.h>

#include "producer/tp_producer_core_private.h"
#include "shm_tensorpool_control/dataSourceAnnounce.h"
#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/frameProgress.h"
#include "shm_tensorpool_control/qosProducer.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"

#define TP_PRODUCER_SMALL_MESSAGE 64

int tp_producer_emit(tp_producer_core_t *core, tp_stream_kind_t kind, uint32_t stream_id, const char *channel,
                     uint32_t consumer_id, const uint8_t *buffer, size_t length)
{
    if (NULL == core->ctx.sink.offer)
    {
        return 0;
    }
    tp_sink_target_t target = {kind, stream_id, channel, consumer_id};
    if (core->ctx.sink.offer(core->ctx.sink.clientd, &target, buffer, length) < 0)
    {
        core->counters.sink_refusals++;
        return -1;
    }
    return 0;
}

int tp_producer_send_announce(tp_producer_core_t *core, uint64_t now_ns)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    char *buf = (char *)core->scratch;
    if (NULL ==
        shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, buf, 0, TP_PRODUCER_SCRATCH_BYTES, &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, core->ctx.producer_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, core->epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, now_ns);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, core->ctx.layout_version);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, core->ctx.header_nslots);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, TP_SHM_HEADER_SLOT_BYTES);
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &group, (uint16_t)core->pool_count))
    {
        return -1;
    }
    for (size_t i = 0; i < core->pool_count; i++)
    {
        const tp_producer_pool_t *pool = &core->pools[i];
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&group))
        {
            return -1;
        }
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&group, pool->pool_id);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&group, core->ctx.header_nslots);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&group, pool->stride_bytes);
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&group, pool->uri,
                                                                                      (uint32_t)strlen(pool->uri)))
        {
            return -1;
        }
    }
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, core->header_uri,
                                                                           (uint32_t)strlen(core->header_uri)))
    {
        return -1;
    }
    size_t length = 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
    return tp_producer_emit(core, TP_STREAM_CONTROL, core->ctx.control_stream_id, core->ctx.channel, 0, core->scratch,
                            length);
}

int tp_producer_send_source_announce(tp_producer_core_t *core)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceAnnounce msg;
    char *buf = (char *)core->scratch;
    if (NULL ==
        shm_tensorpool_control_dataSourceAnnounce_wrap_and_apply_header(&msg, buf, 0, TP_PRODUCER_SCRATCH_BYTES, &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_dataSourceAnnounce_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_dataSourceAnnounce_set_producerId(&msg, core->ctx.producer_id);
    shm_tensorpool_control_dataSourceAnnounce_set_epoch(&msg, core->epoch);
    shm_tensorpool_control_dataSourceAnnounce_set_metaVersion(&msg, core->meta_version);
    if (NULL == shm_tensorpool_control_dataSourceAnnounce_put_name(&msg, core->ctx.source_name,
                                                                   (uint32_t)strlen(core->ctx.source_name)) ||
        NULL == shm_tensorpool_control_dataSourceAnnounce_put_summary(&msg, "", 0))
    {
        return -1;
    }
    size_t length = 8 + shm_tensorpool_control_dataSourceAnnounce_encoded_length(&msg);
    return tp_producer_emit(core, TP_STREAM_METADATA, core->ctx.metadata_stream_id, core->ctx.channel, 0, core->scratch,
                            length);
}

int tp_producer_send_qos(tp_producer_core_t *core)
{
    uint8_t buf[TP_PRODUCER_SMALL_MESSAGE];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_qosProducer msg;
    if (NULL == shm_tensorpool_control_qosProducer_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_qosProducer_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_qosProducer_set_producerId(&msg, core->ctx.producer_id);
    shm_tensorpool_control_qosProducer_set_epoch(&msg, core->epoch);
    shm_tensorpool_control_qosProducer_set_currentSeq(&msg, core->next_seq);
    shm_tensorpool_control_qosProducer_set_watermark(&msg, shm_tensorpool_control_qosProducer_watermark_null_value());
    size_t length = 8 + shm_tensorpool_control_qosProducer_encoded_length(&msg);
    return tp_producer_emit(core, TP_STREAM_QOS, core->ctx.qos_stream_id, core->ctx.channel, 0, buf, length);
}

/* Encode a FrameDescriptor into buf (TP_PRODUCER_SMALL_MESSAGE bytes); returns its length, 0 if it did not fit. */
static size_t tp_producer_encode_descriptor(const tp_producer_core_t *core, uint8_t *buf, uint64_t seq,
                                            uint32_t header_index, uint64_t timestamp_ns, uint32_t meta_version)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_frameDescriptor msg;
    if (NULL == shm_tensorpool_control_frameDescriptor_wrap_and_apply_header(&msg, (char *)buf, 0,
                                                                             TP_PRODUCER_SMALL_MESSAGE, &hdr))
    {
        return 0;
    }
    shm_tensorpool_control_frameDescriptor_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_frameDescriptor_set_epoch(&msg, core->epoch);
    shm_tensorpool_control_frameDescriptor_set_seq(&msg, seq);
    shm_tensorpool_control_frameDescriptor_set_headerIndex(&msg, header_index);
    shm_tensorpool_control_frameDescriptor_set_timestampNs(&msg, timestamp_ns);
    shm_tensorpool_control_frameDescriptor_set_metaVersion(&msg, meta_version);
    return 8 + shm_tensorpool_control_frameDescriptor_encoded_length(&msg);
}

/* Offer on the shared descriptor stream without counting a refusal (the caller queues it). */
static int tp_producer_offer_shared(tp_producer_core_t *core, const uint8_t *buf, size_t length)
{
    if (NULL == core->ctx.sink.offer)
    {
        return 0;
    }
    tp_sink_target_t target = {TP_STREAM_DESCRIPTOR, core->ctx.descriptor_stream_id, core->ctx.channel, 0};
    int rc = core->ctx.sink.offer(core->ctx.sink.clientd, &target, buf, length);
    if (rc > 0)
    {
        core->counters.descriptors_not_connected++;
    }
    return rc;
}

int tp_producer_flush_pending(tp_producer_core_t *core)
{
    int delivered = 0;
    const uint64_t nslots = core->ctx.header_nslots;
    while (core->pending_head != core->pending_tail)
    {
        const tp_producer_pending_t *e = &core->pending[core->pending_head % nslots];
        /* The claim of seq + nslots rewrites this slot: the frame is gone, a counted gap for every consumer. */
        if (e->seq + nslots < core->next_seq + (core->claim_active ? 1 : 0))
        {
            core->counters.descriptors_dropped_reused++;
            core->pending_head++;
            continue;
        }
        uint8_t buf[TP_PRODUCER_SMALL_MESSAGE];
        size_t length =
            tp_producer_encode_descriptor(core, buf, e->seq, e->header_index, e->timestamp_ns, e->meta_version);
        const int rc = 0 == length ? -1 : tp_producer_offer_shared(core, buf, length);
        if (rc < 0)
        {
            break;
        }
        /* NOT_CONNECTED (rc > 0) was counted as such: nobody got it, so it is not "delivered later". */
        core->counters.descriptors_reoffered += 0 == rc ? 1 : 0;
        core->pending_head++;
        delivered++;
    }
    return delivered;
}

int tp_producer_send_descriptors(tp_producer_core_t *core, uint64_t seq, uint32_t header_index, uint64_t timestamp_ns,
                                 uint32_t meta_version)
{
    uint64_t now_ns = 0; /* read only for a rate-limited consumer: no clock call on the common path */
    uint8_t buf[TP_PRODUCER_SMALL_MESSAGE];
    size_t length = tp_producer_encode_descriptor(core, buf, seq, header_index, timestamp_ns, meta_version);
    if (0 == length)
    {
        return -1;
    }

    /* Order is kept: while older descriptors wait, this one queues behind them. */
    (void)tp_producer_flush_pending(core);
    int rc = core->pending_head == core->pending_tail ? tp_producer_offer_shared(core, buf, length) : -1;
    if (rc < 0)
    {
        tp_producer_pending_t *e = &core->pending[core->pending_tail % core->ctx.header_nslots];
        *e = (tp_producer_pending_t){seq, timestamp_ns, header_index, meta_version};
        core->pending_tail++;
        core->counters.sink_refusals++;
        core->counters.descriptors_queued++;
    }
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        tp_producer_consumer_t *c = &core->consumers[i];
        if (!c->in_use || 0 == c->descriptor.stream_id)
        {
            continue;
        }
        /* max_rate_hz applies to per-consumer descriptor streams only (§5). */
        if (0 != c->max_rate_hz)
        {
            now_ns = 0 == now_ns ? tp_producer_now(core) : now_ns;
            if (now_ns < c->next_descriptor_ns)
            {
                core->counters.descriptors_rate_limited++;
                continue;
            }
            c->next_descriptor_ns = now_ns + UINT64_C(1000000000) / c->max_rate_hz;
        }
        if (tp_producer_emit(core, TP_STREAM_CONSUMER_DESCRIPTOR, c->descriptor.stream_id, c->descriptor.channel,
                             c->consumer_id, buf, length) < 0)
        {
            rc = rc < 0 ? rc : -2;
        }
    }
    return rc;
}

int tp_producer_send_progress(tp_producer_core_t *core, uint64_t seq, uint32_t header_index, uint64_t bytes_filled,
                              uint8_t state)
{
    uint8_t buf[TP_PRODUCER_SMALL_MESSAGE];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_frameProgress msg;
    if (NULL == shm_tensorpool_control_frameProgress_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_frameProgress_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_frameProgress_set_epoch(&msg, core->epoch);
    shm_tensorpool_control_frameProgress_set_frameId(&msg, seq);
    shm_tensorpool_control_frameProgress_set_headerIndex(&msg, header_index);
    shm_tensorpool_control_frameProgress_set_payloadBytesFilled(&msg, bytes_filled);
    shm_tensorpool_control_frameProgress_set_state(&msg, (enum shm_tensorpool_control_frameProgressState)state);
    size_t length = 8 + shm_tensorpool_control_frameProgress_encoded_length(&msg);

    /* Progress consumers with their own control stream get it there; the rest share the control stream. */
    bool shared = false;
    int rc = 0;
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        tp_producer_consumer_t *c = &core->consumers[i];
        if (!c->in_use || !c->supports_progress)
        {
            continue;
        }
        if (0 == c->control.stream_id)
        {
            shared = true;
            continue;
        }
        if (tp_producer_emit(core, TP_STREAM_CONSUMER_CONTROL, c->control.stream_id, c->control.channel, c->consumer_id,
                             buf, length) < 0)
        {
            rc = -1;
        }
    }
    if (shared &&
        tp_producer_emit(core, TP_STREAM_CONTROL, core->ctx.control_stream_id, core->ctx.channel, 0, buf, length) < 0)
    {
        rc = -1;
    }
    core->counters.progress_sent++;
    return rc;
}
