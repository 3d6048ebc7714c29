/*
 * Consumer tracking for the producer core: ConsumerHello / QosConsumer liveness, per-consumer descriptor and
 * control stream requests (wire spec §5, §10.1.2-10.1.3) answered with ConsumerConfig, staleness, and the
 * aggregated FrameProgress policy (§10.2.2).
 */
#include <string.h>

#include "control/tp_control_message.h"
#include "producer/tp_producer_core_private.h"
#include "shm_tensorpool_control/consumerConfig.h"
#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/qosConsumer.h"

static tp_producer_consumer_t *tp_producer_find_consumer(tp_producer_core_t *core, uint32_t consumer_id)
{
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        if (core->consumers[i].in_use && core->consumers[i].consumer_id == consumer_id)
        {
            return &core->consumers[i];
        }
    }
    return NULL;
}

static void tp_producer_close_stream(tp_producer_core_t *core, tp_producer_consumer_t *c, tp_stream_kind_t kind,
                                     tp_producer_stream_t *stream)
{
    if (0 == stream->stream_id)
    {
        return;
    }
    if (NULL != core->ctx.sink.stream)
    {
        tp_sink_target_t target = {kind, stream->stream_id, stream->channel, c->consumer_id};
        core->ctx.sink.stream(core->ctx.sink.clientd, &target, false);
    }
    stream->stream_id = 0;
    stream->channel[0] = '\0';
}

/* True when another consumer already holds this channel + stream id for the kind. */
static bool tp_producer_stream_taken(const tp_producer_core_t *core, const tp_producer_consumer_t *self,
                                     tp_stream_kind_t kind, uint32_t stream_id, const char *channel)
{
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        const tp_producer_consumer_t *c = &core->consumers[i];
        if (!c->in_use || c == self)
        {
            continue;
        }
        const tp_producer_stream_t *s = TP_STREAM_CONSUMER_DESCRIPTOR == kind ? &c->descriptor : &c->control;
        if (s->stream_id == stream_id && 0 == strcmp(s->channel, channel))
        {
            return true;
        }
    }
    return false;
}

/*
 * Apply one request (descriptor or control) of a hello to the consumer's current assignment. A request is
 * present only with a non-empty channel and a non-zero stream id; exactly one of the two is invalid and
 * declined (§10.1.2). Returns 1 granted, 0 not requested, -1 declined.
 */
static int tp_producer_apply_request(tp_producer_core_t *core, tp_producer_consumer_t *c, tp_stream_kind_t kind,
                                     uint32_t stream_id, const char *channel, size_t channel_length)
{
    tp_producer_stream_t *current = TP_STREAM_CONSUMER_DESCRIPTOR == kind ? &c->descriptor : &c->control;
    uint32_t min = TP_STREAM_CONSUMER_DESCRIPTOR == kind ? core->ctx.consumer_descriptor_stream_min
                                                         : core->ctx.consumer_control_stream_min;
    uint32_t max = TP_STREAM_CONSUMER_DESCRIPTOR == kind ? core->ctx.consumer_descriptor_stream_max
                                                         : core->ctx.consumer_control_stream_max;
    if (0 == channel_length && 0 == stream_id)
    {
        tp_producer_close_stream(core, c, kind, current);
        return 0;
    }
    if (0 != current->stream_id && current->stream_id == stream_id && strlen(current->channel) == channel_length &&
        0 == memcmp(current->channel, channel, channel_length))
    {
        return 1; /* a repeated hello keeps its grant */
    }
    tp_producer_close_stream(core, c, kind, current);

    char requested[TP_CHANNEL_MAX];
    bool valid = 0 != channel_length && 0 != stream_id && tp_control_channel_is_valid(channel, channel_length) &&
                 tp_control_copy_string(requested, sizeof(requested), channel, channel_length) && 0 != min &&
                 stream_id >= min && stream_id <= max && !tp_producer_stream_taken(core, c, kind, stream_id, requested);
    if (!valid)
    {
        core->counters.consumers_declined++;
        return -1;
    }
    if (NULL != core->ctx.sink.stream)
    {
        tp_sink_target_t target = {kind, stream_id, requested, c->consumer_id};
        if (core->ctx.sink.stream(core->ctx.sink.clientd, &target, true) < 0)
        {
            core->counters.consumers_declined++;
            return -1;
        }
    }
    current->stream_id = stream_id;
    memcpy(current->channel, requested, channel_length + 1);
    core->counters.consumers_granted++;
    return 1;
}

static void tp_producer_update_progress_policy(tp_producer_core_t *core)
{
    uint64_t interval = UINT64_MAX;
    uint64_t bytes = UINT64_MAX;
    size_t n = 0;
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        const tp_producer_consumer_t *c = &core->consumers[i];
        if (!c->in_use || !c->supports_progress)
        {
            continue;
        }
        n++;
        if (TP_PRODUCER_HINT_ABSENT != c->progress_interval_us && (uint64_t)c->progress_interval_us * 1000 < interval)
        {
            interval = (uint64_t)c->progress_interval_us * 1000;
        }
        if (TP_PRODUCER_HINT_ABSENT != c->progress_bytes_delta && c->progress_bytes_delta < bytes)
        {
            bytes = c->progress_bytes_delta;
        }
    }
    /* The smallest hint offered wins, but never below the producer's floors (§10.2.2). */
    interval = UINT64_MAX == interval ? core->ctx.progress_interval_default_ns : interval;
    bytes = UINT64_MAX == bytes ? core->ctx.progress_bytes_default : bytes;
    core->progress_interval_ns =
        interval < core->ctx.progress_interval_floor_ns ? core->ctx.progress_interval_floor_ns : interval;
    core->progress_bytes_delta = bytes < core->ctx.progress_bytes_floor ? core->ctx.progress_bytes_floor : bytes;
    core->progress_consumers = n;
}

static int tp_producer_send_config(tp_producer_core_t *core, const tp_producer_consumer_t *c)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_consumerConfig msg;
    char *buf = (char *)core->scratch;
    if (NULL ==
        shm_tensorpool_control_consumerConfig_wrap_and_apply_header(&msg, buf, 0, TP_PRODUCER_SCRATCH_BYTES, &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_consumerConfig_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_consumerConfig_set_consumerId(&msg, c->consumer_id);
    shm_tensorpool_control_consumerConfig_set_useShm(&msg, shm_tensorpool_control_bool_TRUE);
    shm_tensorpool_control_consumerConfig_set_mode(&msg, (enum shm_tensorpool_control_mode)c->mode);
    shm_tensorpool_control_consumerConfig_set_descriptorStreamId(&msg, c->descriptor.stream_id);
    shm_tensorpool_control_consumerConfig_set_controlStreamId(&msg, c->control.stream_id);
    if (NULL == shm_tensorpool_control_consumerConfig_put_payloadFallbackUri(&msg, "", 0) ||
        NULL == shm_tensorpool_control_consumerConfig_put_descriptorChannel(&msg, c->descriptor.channel,
                                                                            (uint32_t)strlen(c->descriptor.channel)) ||
        NULL == shm_tensorpool_control_consumerConfig_put_controlChannel(&msg, c->control.channel,
                                                                         (uint32_t)strlen(c->control.channel)))
    {
        return -1;
    }
    size_t length = 8 + shm_tensorpool_control_consumerConfig_encoded_length(&msg);
    return tp_producer_emit(core, TP_STREAM_CONTROL, core->ctx.control_stream_id, core->ctx.channel, c->consumer_id,
                            core->scratch, length);
}

int tp_producer_on_consumer_hello(tp_producer_core_t *core, const uint8_t *buffer, size_t length, uint16_t block_length,
                                  uint16_t version)
{
    struct shm_tensorpool_control_consumerHello msg;
    if (NULL ==
        shm_tensorpool_control_consumerHello_wrap_for_decode(&msg, (char *)buffer, 8, block_length, version, length))
    {
        return -1;
    }
    if (shm_tensorpool_control_consumerHello_streamId(&msg) != core->ctx.stream_id)
    {
        return 0;
    }
    uint32_t consumer_id = shm_tensorpool_control_consumerHello_consumerId(&msg);
    uint32_t descriptor_stream_id = shm_tensorpool_control_consumerHello_descriptorStreamId(&msg);
    uint32_t control_stream_id = shm_tensorpool_control_consumerHello_controlStreamId(&msg);
    struct shm_tensorpool_control_consumerHello_string_view descriptor_channel =
        shm_tensorpool_control_consumerHello_get_descriptorChannel_as_string_view(&msg);
    if (NULL == descriptor_channel.data)
    {
        return -1;
    }
    struct shm_tensorpool_control_consumerHello_string_view control_channel =
        shm_tensorpool_control_consumerHello_get_controlChannel_as_string_view(&msg);
    if (NULL == control_channel.data)
    {
        return -1;
    }

    tp_producer_consumer_t *c = tp_producer_find_consumer(core, consumer_id);
    if (NULL == c)
    {
        for (size_t i = 0; i < core->ctx.max_consumers && NULL == c; i++)
        {
            if (!core->consumers[i].in_use)
            {
                c = &core->consumers[i];
            }
        }
        if (NULL == c)
        {
            core->counters.consumers_rejected_full++;
            return 1;
        }
        memset(c, 0, sizeof(*c));
        c->in_use = true;
        c->consumer_id = consumer_id;
        core->consumer_count++;
    }
    c->last_seen_ns = tp_producer_now(core);
    c->supports_progress = 1 == shm_tensorpool_control_consumerHello_supportsProgress_raw(&msg);
    c->mode = shm_tensorpool_control_consumerHello_mode_raw(&msg);
    c->max_rate_hz = shm_tensorpool_control_consumerHello_maxRateHz(&msg);
    c->progress_interval_us = shm_tensorpool_control_consumerHello_progressIntervalUs(&msg);
    c->progress_bytes_delta = shm_tensorpool_control_consumerHello_progressBytesDelta(&msg);

    tp_producer_apply_request(core, c, TP_STREAM_CONSUMER_DESCRIPTOR, descriptor_stream_id, descriptor_channel.data,
                              descriptor_channel.length);
    tp_producer_apply_request(core, c, TP_STREAM_CONSUMER_CONTROL, control_stream_id, control_channel.data,
                              control_channel.length);
    tp_producer_update_progress_policy(core);
    /* Every hello is answered, so a lost ConsumerConfig is repaired by the next hello. */
    tp_producer_send_config(core, c);
    return 1;
}

int tp_producer_on_qos_consumer(tp_producer_core_t *core, const uint8_t *buffer, size_t length, uint16_t block_length,
                                uint16_t version)
{
    struct shm_tensorpool_control_qosConsumer msg;
    if (NULL ==
        shm_tensorpool_control_qosConsumer_wrap_for_decode(&msg, (char *)buffer, 8, block_length, version, length))
    {
        return -1;
    }
    if (shm_tensorpool_control_qosConsumer_streamId(&msg) != core->ctx.stream_id)
    {
        return 0;
    }
    tp_producer_consumer_t *c = tp_producer_find_consumer(core, shm_tensorpool_control_qosConsumer_consumerId(&msg));
    if (NULL != c)
    {
        c->last_seen_ns = tp_producer_now(core); /* QoS alone keeps a consumer alive (§5) */
    }
    return 1;
}

static void tp_producer_retire_consumer(tp_producer_core_t *core, tp_producer_consumer_t *c)
{
    tp_producer_close_stream(core, c, TP_STREAM_CONSUMER_DESCRIPTOR, &c->descriptor);
    tp_producer_close_stream(core, c, TP_STREAM_CONSUMER_CONTROL, &c->control);
    c->in_use = false;
    core->consumer_count--;
}

int tp_producer_check_stale_consumers(tp_producer_core_t *core, uint64_t now_ns)
{
    uint64_t timeout = core->ctx.consumer_hello_interval_ns * core->ctx.consumer_stale_factor;
    /* The scan walks the whole table: run it every quarter timeout, not on every poll of a busy loop, where it
     * cost more than polling the subscriptions. A consumer is then retired at most timeout / 4 late. */
    if (now_ns < core->next_stale_check_ns)
    {
        return 0;
    }
    core->next_stale_check_ns = now_ns + timeout / 4;
    int work = 0;
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        tp_producer_consumer_t *c = &core->consumers[i];
        if (c->in_use && now_ns > c->last_seen_ns && now_ns - c->last_seen_ns > timeout)
        {
            tp_producer_retire_consumer(core, c);
            core->counters.consumers_stale++;
            work++;
        }
    }
    if (work > 0)
    {
        tp_producer_update_progress_policy(core);
    }
    return work;
}

void tp_producer_release_consumers(tp_producer_core_t *core)
{
    if (NULL == core->consumers)
    {
        return;
    }
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        if (core->consumers[i].in_use)
        {
            tp_producer_retire_consumer(core, &core->consumers[i]);
        }
    }
}

size_t tp_producer_core_consumer_count(const tp_producer_core_t *core)
{
    return core->consumer_count;
}

bool tp_producer_core_consumer_streams(const tp_producer_core_t *core, uint32_t consumer_id,
                                       uint32_t *descriptor_stream_id, uint32_t *control_stream_id)
{
    for (size_t i = 0; i < core->ctx.max_consumers; i++)
    {
        const tp_producer_consumer_t *c = &core->consumers[i];
        if (c->in_use && c->consumer_id == consumer_id)
        {
            *descriptor_stream_id = c->descriptor.stream_id;
            *control_stream_id = c->control.stream_id;
            return true;
        }
    }
    return false;
}
