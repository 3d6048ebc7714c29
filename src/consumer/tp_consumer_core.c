#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "consumer/tp_consumer_core_private.h"
#include "shm/tp_shm_base_dir.h"
#include "shm/tp_superblock.h"
#include "shm_tensorpool_control/consumerConfig.h"
#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/frameProgress.h"
#include "shm_tensorpool_control/qosConsumer.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"

#define TP_CONSUMER_SMALL_MESSAGE 64

static uint64_t tp_consumer_default_clock(void *clientd)
{
    (void)clientd;
    return tp_clock_monotonic_ns();
}

static uint64_t tp_consumer_default_realtime(void *clientd)
{
    (void)clientd;
    return tp_clock_realtime_ns();
}

void tp_consumer_context_init(tp_consumer_context_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->layout_version = TP_LAYOUT_VERSION;
    ctx->freshness_window_ns = UINT64_C(3000000000);
    ctx->mode = TP_CONSUMER_MODE_STREAM;
    ctx->max_outstanding_seq_gap = 256;
    ctx->progress_interval_us = UINT32_MAX;
    ctx->progress_bytes_delta = UINT32_MAX;
    ctx->progress_major_delta_units = UINT32_MAX;
    snprintf(ctx->channel, sizeof(ctx->channel), "aeron:ipc");
    ctx->control_stream_id_shared = 1000;
    ctx->qos_stream_id = 1200;
    ctx->hello_interval_ns = UINT64_C(1000000000);
    ctx->qos_interval_ns = UINT64_C(1000000000);
    ctx->meta_max_attributes = 32;
    ctx->meta_max_key_bytes = 128;
    ctx->meta_max_format_bytes = 128;
    ctx->meta_max_value_bytes = 4096;
}

static int tp_consumer_alloc_meta(tp_consumer_core_t *core)
{
    const tp_consumer_context_t *ctx = &core->ctx;
    size_t per = (ctx->meta_max_key_bytes + 1) + (ctx->meta_max_format_bytes + 1) + ctx->meta_max_value_bytes;
    if (0 == ctx->meta_max_attributes)
    {
        return 0;
    }
    if (per > SIZE_MAX / ctx->meta_max_attributes)
    {
        TP_SET_ERR(EINVAL, "consumer metadata bounds overflow (%zu attributes of %zu bytes)", ctx->meta_max_attributes,
                   per);
        return -1;
    }
    core->meta = calloc(ctx->meta_max_attributes, sizeof(*core->meta));
    core->meta_storage = malloc(per * ctx->meta_max_attributes);
    if (NULL == core->meta || NULL == core->meta_storage)
    {
        TP_SET_ERR(ENOMEM, "allocating the consumer metadata cache (%zu attributes)", ctx->meta_max_attributes);
        return -1;
    }
    uint8_t *p = core->meta_storage;
    for (size_t i = 0; i < ctx->meta_max_attributes; i++)
    {
        core->meta[i].key = (char *)p;
        p += ctx->meta_max_key_bytes + 1;
        core->meta[i].format = (char *)p;
        p += ctx->meta_max_format_bytes + 1;
        core->meta[i].value = p;
        p += ctx->meta_max_value_bytes;
    }
    return 0;
}

int tp_consumer_core_start(tp_consumer_core_t **out, const tp_consumer_context_t *ctx)
{
    if (NULL == out || NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_consumer_core_start: NULL argument");
        return -1;
    }
    *out = NULL;
    if (0 == ctx->allowed_base_dir_count || ctx->allowed_base_dir_count > TP_CONSUMER_MAX_BASE_DIRS)
    {
        TP_SET_ERR(EINVAL, "consumer allowed_base_dir_count %zu outside 1..%d", ctx->allowed_base_dir_count,
                   TP_CONSUMER_MAX_BASE_DIRS);
        return -1;
    }
    /* §10.1.2: a request needs both halves; a consumer must never send just one of them. */
    bool descriptor_channel = '\0' != ctx->descriptor_channel[0];
    bool control_channel = '\0' != ctx->control_channel[0];
    if (descriptor_channel != (0 != ctx->descriptor_stream_id) || control_channel != (0 != ctx->control_stream_id))
    {
        TP_SET_ERR(EINVAL,
                   "consumer per-consumer stream request needs channel and stream id together: descriptor '%s' "
                   "%u, control '%s' %u",
                   ctx->descriptor_channel, ctx->descriptor_stream_id, ctx->control_channel, ctx->control_stream_id);
        return -1;
    }
    tp_consumer_core_t *core = calloc(1, sizeof(*core));
    if (NULL == core)
    {
        TP_SET_ERR(ENOMEM, "allocating the consumer core");
        return -1;
    }
    core->ctx = *ctx;
    if (NULL == core->ctx.clock)
    {
        core->ctx.clock = tp_consumer_default_clock;
    }
    if (NULL == core->ctx.realtime_clock)
    {
        core->ctx.realtime_clock = tp_consumer_default_realtime;
    }
    /* Started before any producer on a fresh machine: create a missing allowed dir privately, then resolve. */
    for (size_t i = 0; i < ctx->allowed_base_dir_count; i++)
    {
        if (tp_shm_base_dir_ensure_if_missing(ctx->allowed_base_dirs[i], TP_SHM_BASE_DIR_MODE) < 0)
        {
            TP_APPEND_ERR("consumer allowed base dirs");
            free(core);
            return -1;
        }
    }
    if (0 != tp_shm_path_policy_init(&core->policy, ctx->allowed_base_dirs, ctx->allowed_base_dir_count))
    {
        TP_APPEND_ERR("consumer allowed base dirs");
        free(core);
        return -1;
    }
    if (0 != tp_consumer_alloc_meta(core))
    {
        tp_consumer_core_close(core);
        return -1;
    }
    core->join_time_ns = tp_consumer_now(core);
    core->send_all = true;
    *out = core;
    return 0;
}

int tp_consumer_core_close(tp_consumer_core_t *core)
{
    if (NULL == core)
    {
        return 0;
    }
    tp_consumer_unmap(core);
    tp_consumer_mapping_close(&core->candidate);
    tp_shm_path_policy_close(&core->policy);
    free(core->meta);
    free(core->meta_storage);
    free(core);
    return 0;
}

void tp_consumer_core_set_join_time(tp_consumer_core_t *core, uint64_t join_time_ns)
{
    core->join_time_ns = join_time_ns;
}

int tp_consumer_core_on_message(tp_consumer_core_t *core, tp_stream_kind_t source, const uint8_t *buffer, size_t length)
{
    tp_control_header_t hdr;
    if (!tp_control_accept(buffer, length, &hdr, &core->counters.foreign_messages, &core->counters.malformed_messages))
    {
        return 0;
    }
    int rc;
    if (shm_tensorpool_control_frameDescriptor_sbe_template_id() == hdr.template_id)
    {
        rc = tp_consumer_on_descriptor(core, source, buffer, length, &hdr);
    }
    else if (shm_tensorpool_control_shmPoolAnnounce_sbe_template_id() == hdr.template_id)
    {
        rc = tp_consumer_on_announce(core, buffer, length, &hdr);
    }
    else if (shm_tensorpool_control_frameProgress_sbe_template_id() == hdr.template_id)
    {
        rc = tp_consumer_on_progress(core, source, buffer, length, &hdr);
    }
    else if (shm_tensorpool_control_consumerConfig_sbe_template_id() == hdr.template_id)
    {
        rc = tp_consumer_on_config(core, buffer, length, &hdr);
    }
    else if (shm_tensorpool_control_dataSourceMeta_sbe_template_id() == hdr.template_id)
    {
        rc = tp_consumer_on_meta(core, buffer, length, &hdr);
    }
    else
    {
        /* Other consumers' hellos/QoS, producer QoS, DataSourceAnnounce, newer templates: not ours to act on. */
        core->counters.unknown_templates++;
        return 0;
    }
    if (rc < 0)
    {
        core->counters.malformed_messages++;
        return 0;
    }
    return rc;
}

static int tp_consumer_emit(tp_consumer_core_t *core, tp_stream_kind_t kind, uint32_t stream_id, const uint8_t *buffer,
                            size_t length)
{
    if (NULL == core->ctx.sink.offer)
    {
        return 0;
    }
    tp_sink_target_t target = {kind, stream_id, core->ctx.channel, core->ctx.consumer_id};
    if (core->ctx.sink.offer(core->ctx.sink.clientd, &target, buffer, length) < 0)
    {
        core->counters.sink_refusals++;
        return -1;
    }
    return 0;
}

static int tp_consumer_send_hello(tp_consumer_core_t *core)
{
    uint8_t buf[8 + 64 + 2 * (4 + TP_CHANNEL_MAX)];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_consumerHello msg;
    const tp_consumer_context_t *ctx = &core->ctx;
    if (NULL == shm_tensorpool_control_consumerHello_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_consumerHello_set_streamId(&msg, ctx->stream_id);
    shm_tensorpool_control_consumerHello_set_consumerId(&msg, ctx->consumer_id);
    shm_tensorpool_control_consumerHello_set_supportsShm(&msg, shm_tensorpool_control_bool_TRUE);
    shm_tensorpool_control_consumerHello_set_supportsProgress(
        &msg, ctx->supports_progress ? shm_tensorpool_control_bool_TRUE : shm_tensorpool_control_bool_FALSE);
    shm_tensorpool_control_consumerHello_set_mode(&msg, (enum shm_tensorpool_control_mode)ctx->mode);
    shm_tensorpool_control_consumerHello_set_maxRateHz(&msg, ctx->max_rate_hz);
    shm_tensorpool_control_consumerHello_set_expectedLayoutVersion(&msg, ctx->layout_version);
    shm_tensorpool_control_consumerHello_set_progressIntervalUs(&msg, ctx->progress_interval_us);
    shm_tensorpool_control_consumerHello_set_progressBytesDelta(&msg, ctx->progress_bytes_delta);
    shm_tensorpool_control_consumerHello_set_progressMajorDeltaUnits(&msg, ctx->progress_major_delta_units);
    shm_tensorpool_control_consumerHello_set_descriptorStreamId(&msg, ctx->descriptor_stream_id);
    shm_tensorpool_control_consumerHello_set_controlStreamId(&msg, ctx->control_stream_id);
    size_t descriptor_length = strnlen(ctx->descriptor_channel, TP_CHANNEL_MAX - 1);
    size_t control_length = strnlen(ctx->control_channel, TP_CHANNEL_MAX - 1);
    if (NULL == shm_tensorpool_control_consumerHello_put_descriptorChannel(&msg, ctx->descriptor_channel,
                                                                           (uint32_t)descriptor_length) ||
        NULL == shm_tensorpool_control_consumerHello_put_controlChannel(&msg, ctx->control_channel,
                                                                        (uint32_t)control_length))
    {
        return -1;
    }
    size_t length = 8 + shm_tensorpool_control_consumerHello_encoded_length(&msg);
    return tp_consumer_emit(core, TP_STREAM_CONTROL, ctx->control_stream_id_shared, buf, length);
}

static int tp_consumer_send_qos(tp_consumer_core_t *core)
{
    uint8_t buf[TP_CONSUMER_SMALL_MESSAGE];
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_qosConsumer msg;
    if (NULL == shm_tensorpool_control_qosConsumer_wrap_and_apply_header(&msg, (char *)buf, 0, sizeof(buf), &hdr))
    {
        return -1;
    }
    shm_tensorpool_control_qosConsumer_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_qosConsumer_set_consumerId(&msg, core->ctx.consumer_id);
    shm_tensorpool_control_qosConsumer_set_epoch(&msg, core->mapped ? core->current.epoch : 0);
    shm_tensorpool_control_qosConsumer_set_lastSeqSeen(&msg, core->have_seq ? core->last_seq : 0);
    shm_tensorpool_control_qosConsumer_set_dropsGap(&msg, core->counters.drops_gap);
    shm_tensorpool_control_qosConsumer_set_dropsLate(&msg, core->counters.drops_late);
    shm_tensorpool_control_qosConsumer_set_mode(&msg, (enum shm_tensorpool_control_mode)core->ctx.mode);
    size_t length = 8 + shm_tensorpool_control_qosConsumer_encoded_length(&msg);
    return tp_consumer_emit(core, TP_STREAM_QOS, core->ctx.qos_stream_id, buf, length);
}

int tp_consumer_core_do_work(tp_consumer_core_t *core, uint64_t now_ns)
{
    int work = 0;
    core->batch = 0;
    bool all = core->send_all;
    core->send_all = false;
    if (all || now_ns >= core->next_hello_ns)
    {
        core->next_hello_ns = 0 == tp_consumer_send_hello(core) ? now_ns + core->ctx.hello_interval_ns : now_ns;
        work++;
    }
    if (all || now_ns >= core->next_qos_ns)
    {
        core->next_qos_ns = 0 == tp_consumer_send_qos(core) ? now_ns + core->ctx.qos_interval_ns : now_ns;
        work++;
    }
    /* A producer that stopped refreshing its activity timestamp is dead: unmap and wait for a new epoch. */
    if (core->mapped && !tp_superblock_is_fresh(core->current.header.addr, now_ns, core->ctx.freshness_window_ns))
    {
        snprintf(core->last_error, sizeof(core->last_error), "producer of stream %u epoch %llu stale: unmapped",
                 core->ctx.stream_id, (unsigned long long)core->current.epoch);
        tp_consumer_unmap(core);
        core->counters.producer_stale_unmaps++;
        work++;
    }
    return work;
}

void tp_consumer_core_unmap(tp_consumer_core_t *core)
{
    tp_consumer_unmap(core);
}

bool tp_consumer_core_is_mapped(const tp_consumer_core_t *core)
{
    return core->mapped;
}

uint64_t tp_consumer_core_epoch(const tp_consumer_core_t *core)
{
    return core->mapped ? core->current.epoch : 0;
}

const char *tp_consumer_core_header_uri(const tp_consumer_core_t *core)
{
    return core->mapped ? core->current.header_uri : "";
}

const tp_consumer_counters_t *tp_consumer_core_counters(const tp_consumer_core_t *core)
{
    return &core->counters;
}

const tp_consumer_assignment_t *tp_consumer_core_assignment(const tp_consumer_core_t *core)
{
    return &core->assignment;
}

const char *tp_consumer_core_last_error(const tp_consumer_core_t *core)
{
    return core->last_error;
}

int tp_consumer_core_last_frame_status(const tp_consumer_core_t *core)
{
    return core->last_frame_status;
}
