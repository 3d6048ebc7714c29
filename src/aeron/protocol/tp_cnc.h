/*
 * The CnC (command and control) file, <aeron dir>/cnc.dat: a 128-byte header followed, contiguously and in this
 * order, by the to-driver ring, the to-clients broadcast buffer, the counters metadata, the counters values and
 * the error log. The driver release-stores cnc_version last; 0 means "not ready yet".
 */
#ifndef TENSORPOOL_TP_CNC_H
#define TENSORPOOL_TP_CNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_CNC_FILE                                 "cnc.dat"
#define TP_CNC_VERSION_MAJOR                        0
#define TP_CNC_VERSION_MINOR                        2
#define TP_CNC_VERSION_PATCH                        0
#define TP_CNC_COMPOSE_VERSION(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define TP_CNC_VERSION                              TP_CNC_COMPOSE_VERSION(TP_CNC_VERSION_MAJOR, TP_CNC_VERSION_MINOR, TP_CNC_VERSION_PATCH)
#define TP_CNC_VERSION_AND_META_DATA_LENGTH         128

#pragma pack(push, 4)
typedef struct tp_cnc_metadata_stct
{
    int32_t cnc_version;
    int32_t to_driver_buffer_length;
    int32_t to_clients_buffer_length;
    int32_t counter_metadata_buffer_length;
    int32_t counter_values_buffer_length;
    int32_t error_log_buffer_length;
    int64_t client_liveness_timeout;
    int64_t start_timestamp;
    int64_t pid;
} tp_cnc_metadata_t;
#pragma pack(pop)

static inline int32_t tp_cnc_major_version(int32_t version)
{
    return (version >> 16) & 0xFF;
}

static inline int32_t tp_cnc_minor_version(int32_t version)
{
    return (version >> 8) & 0xFF;
}

static inline int32_t tp_cnc_patch_version(int32_t version)
{
    return version & 0xFF;
}

/* Total file length: align(128 + all five section lengths, page_size). */
size_t tp_cnc_computed_length(size_t total_section_length, size_t page_size);

/* Section lengths in the order they are laid out; 128 + their sum is the minimum useful file length. */
size_t tp_cnc_sections_length(const tp_cnc_metadata_t *metadata);

uint8_t *tp_cnc_to_driver_buffer(tp_cnc_metadata_t *metadata);
uint8_t *tp_cnc_to_clients_buffer(tp_cnc_metadata_t *metadata);
uint8_t *tp_cnc_counters_metadata_buffer(tp_cnc_metadata_t *metadata);
uint8_t *tp_cnc_counters_values_buffer(tp_cnc_metadata_t *metadata);
uint8_t *tp_cnc_error_log_buffer(tp_cnc_metadata_t *metadata);

/* Acquire-load of cnc_version (0 until the driver has published the file). */
int32_t tp_cnc_version_volatile(const tp_cnc_metadata_t *metadata);

/* Driver side: the version store that publishes the file; call after everything else is in place. */
void tp_cnc_publish_version(tp_cnc_metadata_t *metadata, int32_t version);

/*
 * Client side: checks a mapped CnC whose version is non-zero. Fails (error names the value) when the mapping is
 * shorter than the header, the major version differs from ours, a section length is negative, or the mapping
 * does not cover the header and all five sections.
 */
int tp_cnc_validate(const tp_cnc_metadata_t *metadata, size_t mapped_length);

/* Builds "<dir>/cnc.dat" into dst; returns 0 / -1 (too long). */
int tp_cnc_resolve_filename(const char *directory, char *dst, size_t dst_length);

#endif /* TENSORPOOL_TP_CNC_H */
