#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_bitutil.h"
#include "common/tp_atomic.h"
#include "common/tp_error_private.h"

_Static_assert(sizeof(tp_cnc_metadata_t) == 48, "CnC header fields are 48 bytes");
_Static_assert(offsetof(tp_cnc_metadata_t, client_liveness_timeout) == 24, "liveness @24");
_Static_assert(offsetof(tp_cnc_metadata_t, pid) == 40, "pid @40");
_Static_assert(TP_CNC_VERSION == 512, "CnC 0.2.0");

size_t tp_cnc_computed_length(size_t total_section_length, size_t page_size)
{
    return tp_align_size(TP_CNC_VERSION_AND_META_DATA_LENGTH + total_section_length, page_size);
}

size_t tp_cnc_sections_length(const tp_cnc_metadata_t *metadata)
{
    return (size_t)metadata->to_driver_buffer_length + (size_t)metadata->to_clients_buffer_length +
           (size_t)metadata->counter_metadata_buffer_length + (size_t)metadata->counter_values_buffer_length +
           (size_t)metadata->error_log_buffer_length;
}

uint8_t *tp_cnc_to_driver_buffer(tp_cnc_metadata_t *metadata)
{
    return (uint8_t *)metadata + TP_CNC_VERSION_AND_META_DATA_LENGTH;
}

uint8_t *tp_cnc_to_clients_buffer(tp_cnc_metadata_t *metadata)
{
    return tp_cnc_to_driver_buffer(metadata) + metadata->to_driver_buffer_length;
}

uint8_t *tp_cnc_counters_metadata_buffer(tp_cnc_metadata_t *metadata)
{
    return tp_cnc_to_clients_buffer(metadata) + metadata->to_clients_buffer_length;
}

uint8_t *tp_cnc_counters_values_buffer(tp_cnc_metadata_t *metadata)
{
    return tp_cnc_counters_metadata_buffer(metadata) + metadata->counter_metadata_buffer_length;
}

uint8_t *tp_cnc_error_log_buffer(tp_cnc_metadata_t *metadata)
{
    return tp_cnc_counters_values_buffer(metadata) + metadata->counter_values_buffer_length;
}

int32_t tp_cnc_version_volatile(const tp_cnc_metadata_t *metadata)
{
    return tp_load_acquire_i32(&metadata->cnc_version);
}

void tp_cnc_publish_version(tp_cnc_metadata_t *metadata, int32_t version)
{
    tp_store_release_i32(&metadata->cnc_version, version);
}

int tp_cnc_validate(const tp_cnc_metadata_t *metadata, size_t mapped_length)
{
    if (mapped_length < TP_CNC_VERSION_AND_META_DATA_LENGTH)
    {
        TP_SET_ERR(EINVAL, "CnC mapping of %zu bytes is shorter than its %d-byte header", mapped_length,
                   TP_CNC_VERSION_AND_META_DATA_LENGTH);
        return -1;
    }
    const int32_t version = tp_cnc_version_volatile(metadata);
    if (tp_cnc_major_version(version) != TP_CNC_VERSION_MAJOR)
    {
        TP_SET_ERR(EINVAL, "CnC version %d.%d.%d (%" PRId32 ") is not compatible with major version %d",
                   tp_cnc_major_version(version), tp_cnc_minor_version(version), tp_cnc_patch_version(version), version,
                   TP_CNC_VERSION_MAJOR);
        return -1;
    }
    const int32_t lengths[5] = {metadata->to_driver_buffer_length, metadata->to_clients_buffer_length,
                                metadata->counter_metadata_buffer_length, metadata->counter_values_buffer_length,
                                metadata->error_log_buffer_length};
    static const char *names[5] = {"to-driver buffer", "to-clients buffer", "counters metadata", "counters values",
                                   "error log"};
    for (int i = 0; i < 5; i++)
    {
        if (lengths[i] < 0)
        {
            TP_SET_ERR(EINVAL, "CnC %s length %" PRId32 " is negative", names[i], lengths[i]);
            return -1;
        }
    }
    const size_t required = TP_CNC_VERSION_AND_META_DATA_LENGTH + tp_cnc_sections_length(metadata);
    if (mapped_length < required)
    {
        TP_SET_ERR(EINVAL, "CnC mapping of %zu bytes does not cover the header and sections (%zu bytes)", mapped_length,
                   required);
        return -1;
    }
    return 0;
}

int tp_cnc_resolve_filename(const char *directory, char *dst, size_t dst_length)
{
    int n = snprintf(dst, dst_length, "%s/%s", directory, TP_CNC_FILE);
    if (n < 0 || (size_t)n >= dst_length)
    {
        TP_SET_ERR(ENAMETOOLONG, "CnC path for directory '%s' does not fit in %zu bytes", directory, dst_length);
        return -1;
    }
    return 0;
}
