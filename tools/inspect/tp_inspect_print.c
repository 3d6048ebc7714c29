#include <inttypes.h>

#include "tp_inspect_json.h"
#include "tp_inspect_print.h"

/* now - then in seconds; a timestamp ahead of now (another clock, a hostile file) shows as negative. */
static double tp_inspect_age_s(uint64_t now_ns, uint64_t then_ns)
{
    return now_ns >= then_ns ? (double)(now_ns - then_ns) / 1e9 : -(double)(then_ns - now_ns) / 1e9;
}

static void tp_inspect_print_int_list(FILE *out, const int32_t *values, uint8_t n, const char *sep)
{
    for (uint8_t i = 0; i < n; i++)
    {
        fprintf(out, "%s%" PRId32, 0 == i ? "" : sep, values[i]);
    }
}

static void tp_inspect_print_slot_text(FILE *out, const tp_inspect_slot_t *slot)
{
    fprintf(out, "    [%5" PRIu32 "] ", slot->index);
    switch (slot->state)
    {
        case TP_INSPECT_SLOT_EMPTY:
            fprintf(out, "empty\n");
            return;
        case TP_INSPECT_SLOT_IN_PROGRESS:
            fprintf(out, "in progress    seq %" PRIu64 "\n", slot->seq);
            return;
        case TP_INSPECT_SLOT_CHANGING:
            fprintf(out, "in progress / changing (torn read)\n");
            return;
        case TP_INSPECT_SLOT_COMMITTED:
            break;
    }
    fprintf(out, "committed      seq %" PRIu64 " pool %u payload_slot %" PRIu32 " len %" PRIu32, slot->seq,
            slot->pool_id, slot->payload_slot, slot->values_len_bytes);
    if (!slot->tensor_ok)
    {
        fprintf(out, " tensor: %s\n", slot->tensor_error);
        return;
    }
    fprintf(out, " %s ndims %u dims [", tp_inspect_dtype_name(slot->dtype), slot->ndims);
    tp_inspect_print_int_list(out, slot->dims, slot->ndims, "x");
    fprintf(out, "] strides [");
    tp_inspect_print_int_list(out, slot->strides, slot->ndims, ",");
    fprintf(out, "]\n");
}

void tp_inspect_print_text(FILE *out, const tp_inspect_region_t *region)
{
    fprintf(out, "%s: %" PRIu64 " bytes, %s\n", region->path, region->file_bytes, region->valid ? "ok" : "INVALID");
    for (size_t i = 0; i < region->error_count; i++)
    {
        fprintf(out, "  error: %s\n", region->errors[i]);
    }
    if (!region->superblock_read)
    {
        return;
    }
    const tp_superblock_t *sb = &region->sb;
    const char *type = tp_inspect_region_type_name(sb->region_type);
    fprintf(out, "  superblock: magic 0x%016" PRIx64 " %s, layout_version %" PRIu32 ", region_type %d (%s)\n",
            sb->magic, TP_SUPERBLOCK_MAGIC == sb->magic ? "ok" : "BAD", sb->layout_version, sb->region_type,
            NULL == type ? "unknown" : type);
    fprintf(out,
            "              epoch %" PRIu64 ", stream_id %" PRIu32 ", pool_id %u, nslots %" PRIu32
            ", slot_bytes %" PRIu32 ", stride_bytes %" PRIu32 "\n",
            sb->epoch, sb->stream_id, sb->pool_id, sb->nslots, sb->slot_bytes, sb->stride_bytes);
    fprintf(out, "              pid %" PRIu64 " (%s), started %.3f s ago, last activity %.3f s ago\n", sb->pid,
            region->pid_alive ? "alive" : "not running", tp_inspect_age_s(region->now_ns, sb->start_timestamp_ns),
            tp_inspect_age_s(region->now_ns, sb->activity_timestamp_ns));
    if (!region->ring_read)
    {
        return;
    }
    fprintf(out, "  slots: %" PRIu32 " committed, %" PRIu32 " in progress, %" PRIu32 " changing, %" PRIu32 " empty\n",
            region->committed, region->in_progress, region->changing, region->empty);
    for (uint32_t i = 0; i < region->slot_count; i++)
    {
        tp_inspect_print_slot_text(out, &region->slots[i]);
    }
}

static void tp_inspect_print_json_int_array(FILE *out, const int32_t *values, uint8_t n)
{
    fputc('[', out);
    tp_inspect_print_int_list(out, values, n, ",");
    fputc(']', out);
}

static void tp_inspect_print_slot_json(FILE *out, const tp_inspect_slot_t *slot)
{
    fprintf(out, "{\"index\":%" PRIu32 ",\"state\":\"%s\"", slot->index, tp_inspect_slot_state_name(slot->state));
    if (TP_INSPECT_SLOT_EMPTY != slot->state && TP_INSPECT_SLOT_CHANGING != slot->state)
    {
        fprintf(out, ",\"seq\":%" PRIu64, slot->seq);
    }
    if (TP_INSPECT_SLOT_COMMITTED == slot->state)
    {
        fprintf(out,
                ",\"pool_id\":%u,\"payload_slot\":%" PRIu32 ",\"payload_offset\":%" PRIu32
                ",\"values_len_bytes\":%" PRIu32 ",\"timestamp_ns\":%" PRIu64 ",\"meta_version\":%" PRIu32,
                slot->pool_id, slot->payload_slot, slot->payload_offset, slot->values_len_bytes, slot->timestamp_ns,
                slot->meta_version);
        if (slot->tensor_ok)
        {
            fprintf(out, ",\"tensor\":{\"dtype\":\"%s\",\"ndims\":%u,\"dims\":", tp_inspect_dtype_name(slot->dtype),
                    slot->ndims);
            tp_inspect_print_json_int_array(out, slot->dims, slot->ndims);
            fprintf(out, ",\"strides\":");
            tp_inspect_print_json_int_array(out, slot->strides, slot->ndims);
            fputc('}', out);
        }
        else
        {
            fprintf(out, ",\"tensor_error\":");
            tp_inspect_json_string(out, slot->tensor_error);
        }
    }
    fputc('}', out);
}

void tp_inspect_print_json(FILE *out, const tp_inspect_region_t *region)
{
    fprintf(out, "{\"path\":");
    tp_inspect_json_string(out, region->path);
    fprintf(out, ",\"file_bytes\":%" PRIu64 ",\"valid\":%s,\"errors\":[", region->file_bytes,
            region->valid ? "true" : "false");
    for (size_t i = 0; i < region->error_count; i++)
    {
        fprintf(out, "%s", 0 == i ? "" : ",");
        tp_inspect_json_string(out, region->errors[i]);
    }
    fputc(']', out);
    if (region->superblock_read)
    {
        const tp_superblock_t *sb = &region->sb;
        const char *type = tp_inspect_region_type_name(sb->region_type);
        /* Timestamps are u64 nanoseconds: exact as JSON integers; parsers that use doubles round them. */
        fprintf(out,
                ",\"superblock\":{\"magic\":\"0x%016" PRIx64 "\",\"magic_ok\":%s,\"layout_version\":%" PRIu32
                ",\"epoch\":%" PRIu64 ",\"stream_id\":%" PRIu32 ",\"region_type\":%d,\"region_type_name\":\"%s\""
                ",\"pool_id\":%u,\"nslots\":%" PRIu32 ",\"slot_bytes\":%" PRIu32 ",\"stride_bytes\":%" PRIu32
                ",\"pid\":%" PRIu64 ",\"pid_alive\":%s,\"start_timestamp_ns\":%" PRIu64
                ",\"activity_timestamp_ns\":%" PRIu64 ",\"start_age_s\":%.6f,\"activity_age_s\":%.6f}",
                sb->magic, TP_SUPERBLOCK_MAGIC == sb->magic ? "true" : "false", sb->layout_version, sb->epoch,
                sb->stream_id, sb->region_type, NULL == type ? "unknown" : type, sb->pool_id, sb->nslots,
                sb->slot_bytes, sb->stride_bytes, sb->pid, region->pid_alive ? "true" : "false", sb->start_timestamp_ns,
                sb->activity_timestamp_ns, tp_inspect_age_s(region->now_ns, sb->start_timestamp_ns),
                tp_inspect_age_s(region->now_ns, sb->activity_timestamp_ns));
    }
    if (region->ring_read)
    {
        fprintf(out,
                ",\"slot_counts\":{\"committed\":%" PRIu32 ",\"in_progress\":%" PRIu32 ",\"changing\":%" PRIu32
                ",\"empty\":%" PRIu32 "},\"slots\":[",
                region->committed, region->in_progress, region->changing, region->empty);
        for (uint32_t i = 0; i < region->slot_count; i++)
        {
            fprintf(out, "%s", 0 == i ? "" : ",");
            tp_inspect_print_slot_json(out, &region->slots[i]);
        }
        fputc(']', out);
    }
    fputc('}', out);
}
