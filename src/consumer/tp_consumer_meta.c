/*
 * ConsumerConfig (wire spec §10.1.3) and the DataSourceMeta cache (§10.3.2). The cache lives in storage sized
 * at start; a message whose attributes exceed the bounds is rejected whole and counted, never truncated.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "consumer/tp_consumer_core_private.h"
#include "shm_tensorpool_control/consumerConfig.h"
#include "shm_tensorpool_control/dataSourceMeta.h"

/* An assigned stream is only taken when both halves are present and the channel fits; else it is declined. */
static void tp_consumer_take_stream(uint32_t stream_id, const char *channel, size_t channel_length,
                                    uint32_t *out_stream_id, char *out_channel)
{
    if (0 == stream_id || 0 == channel_length ||
        !tp_control_copy_string(out_channel, TP_CHANNEL_MAX, channel, channel_length))
    {
        *out_stream_id = 0;
        out_channel[0] = '\0';
        return;
    }
    *out_stream_id = stream_id;
}

int tp_consumer_on_config(tp_consumer_core_t *core, const uint8_t *buffer, size_t length,
                          const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_consumerConfig msg;
    if (NULL == shm_tensorpool_control_consumerConfig_wrap_for_decode(&msg, (char *)buffer, 8, hdr->block_length,
                                                                      hdr->version, length))
    {
        return -1;
    }
    if (shm_tensorpool_control_consumerConfig_streamId(&msg) != core->ctx.stream_id ||
        shm_tensorpool_control_consumerConfig_consumerId(&msg) != core->ctx.consumer_id)
    {
        return 0;
    }
    struct shm_tensorpool_control_consumerConfig_string_view fallback =
        shm_tensorpool_control_consumerConfig_get_payloadFallbackUri_as_string_view(&msg);
    struct shm_tensorpool_control_consumerConfig_string_view descriptor =
        shm_tensorpool_control_consumerConfig_get_descriptorChannel_as_string_view(&msg);
    struct shm_tensorpool_control_consumerConfig_string_view control =
        shm_tensorpool_control_consumerConfig_get_controlChannel_as_string_view(&msg);
    if (NULL == fallback.data || NULL == descriptor.data || NULL == control.data)
    {
        return -1;
    }
    tp_consumer_assignment_t *a = &core->assignment;
    a->received = true;
    a->use_shm = 1 == shm_tensorpool_control_consumerConfig_useShm_raw(&msg);
    a->mode = shm_tensorpool_control_consumerConfig_mode_raw(&msg);
    tp_consumer_take_stream(shm_tensorpool_control_consumerConfig_descriptorStreamId(&msg), descriptor.data,
                            descriptor.length, &a->descriptor_stream_id, a->descriptor_channel);
    tp_consumer_take_stream(shm_tensorpool_control_consumerConfig_controlStreamId(&msg), control.data, control.length,
                            &a->control_stream_id, a->control_channel);
    core->counters.configs_received++;
    if (NULL != core->ctx.on_config)
    {
        core->ctx.on_config(core->ctx.handler_clientd, a);
    }
    return 0;
}

/* One pass over the attributes: check bounds (copy == false) or copy into the cache (copy == true). */
static int tp_consumer_meta_pass(tp_consumer_core_t *core, struct shm_tensorpool_control_dataSourceMeta *msg, bool copy,
                                 size_t *count_out)
{
    struct shm_tensorpool_control_dataSourceMeta_attributes group;
    if (NULL == shm_tensorpool_control_dataSourceMeta_get_attributes(msg, &group))
    {
        return -1;
    }
    uint64_t count = shm_tensorpool_control_dataSourceMeta_attributes_count(&group);
    if (count > core->ctx.meta_max_attributes)
    {
        snprintf(core->last_error, sizeof(core->last_error),
                 "DataSourceMeta with %" PRIu64 " attributes rejected: at most %zu", count,
                 core->ctx.meta_max_attributes);
        return -2;
    }
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_control_dataSourceMeta_attributes_next(&group))
        {
            return -1;
        }
        struct shm_tensorpool_control_dataSourceMeta_string_view key =
            shm_tensorpool_control_dataSourceMeta_attributes_get_key_as_string_view(&group);
        struct shm_tensorpool_control_dataSourceMeta_string_view format =
            shm_tensorpool_control_dataSourceMeta_attributes_get_format_as_string_view(&group);
        struct shm_tensorpool_control_dataSourceMeta_string_view value =
            shm_tensorpool_control_dataSourceMeta_attributes_get_value_as_string_view(&group);
        if (NULL == key.data || NULL == format.data || NULL == value.data)
        {
            return -1;
        }
        if (key.length > core->ctx.meta_max_key_bytes || format.length > core->ctx.meta_max_format_bytes ||
            value.length > core->ctx.meta_max_value_bytes)
        {
            snprintf(core->last_error, sizeof(core->last_error),
                     "DataSourceMeta attribute %" PRIu64 " rejected: key %zu/%zu, format %zu/%zu, value %zu/%zu bytes",
                     i, key.length, core->ctx.meta_max_key_bytes, format.length, core->ctx.meta_max_format_bytes,
                     value.length, core->ctx.meta_max_value_bytes);
            return -2;
        }
        if (copy)
        {
            tp_consumer_meta_entry_t *e = &core->meta[i];
            memcpy(e->key, key.data, key.length);
            e->key[key.length] = '\0';
            memcpy(e->format, format.data, format.length);
            e->format[format.length] = '\0';
            memcpy(e->value, value.data, value.length);
            e->value_length = (uint32_t)value.length;
        }
    }
    *count_out = (size_t)count;
    return 0;
}

int tp_consumer_on_meta(tp_consumer_core_t *core, const uint8_t *buffer, size_t length, const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_dataSourceMeta msg;
    if (NULL == shm_tensorpool_control_dataSourceMeta_wrap_for_decode(&msg, (char *)buffer, 8, hdr->block_length,
                                                                      hdr->version, length))
    {
        return -1;
    }
    if (shm_tensorpool_control_dataSourceMeta_streamId(&msg) != core->ctx.stream_id)
    {
        return 0;
    }
    uint32_t version = shm_tensorpool_control_dataSourceMeta_metaVersion(&msg);
    if (core->have_meta && version <= core->meta_version)
    {
        return 0; /* periodic repeat or an older version */
    }
    struct shm_tensorpool_control_dataSourceMeta check = msg;
    size_t count = 0;
    int rc = tp_consumer_meta_pass(core, &check, false, &count);
    if (0 != rc)
    {
        if (-2 == rc)
        {
            core->counters.meta_rejected++;
            return 0;
        }
        return -1;
    }
    /* Validated whole: only now overwrite the cache. */
    if (0 != tp_consumer_meta_pass(core, &msg, true, &count))
    {
        return -1;
    }
    core->have_meta = true;
    core->meta_version = version;
    core->meta_count = count;
    core->counters.meta_accepted++;
    return 0;
}

bool tp_consumer_core_meta(const tp_consumer_core_t *core, uint32_t *meta_version, size_t *attribute_count)
{
    if (!core->have_meta)
    {
        return false;
    }
    *meta_version = core->meta_version;
    *attribute_count = core->meta_count;
    return true;
}

int tp_consumer_core_meta_attribute(const tp_consumer_core_t *core, size_t index,
                                    tp_consumer_meta_attribute_t *attribute)
{
    if (!core->have_meta || index >= core->meta_count || NULL == attribute)
    {
        return -1;
    }
    const tp_consumer_meta_entry_t *e = &core->meta[index];
    attribute->key = e->key;
    attribute->format = e->format;
    attribute->value = e->value;
    attribute->value_length = e->value_length;
    return 0;
}
