/* State shared by the consumer core's translation units (mapping, frames, metadata, periodic messages). */
#ifndef TENSORPOOL_TP_CONSUMER_CORE_PRIVATE_H
#define TENSORPOOL_TP_CONSUMER_CORE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "control/tp_control_message.h"
#include "shm/tp_shm_path.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_slot_header.h"
#include "tensorpool/tp_consumer_core.h"

#define TP_CONSUMER_URI_MAX (PATH_MAX + 64)

/* One complete set of mapped regions for one epoch; a new set is built aside and swapped in whole. */
typedef struct tp_consumer_mapping_stct
{
    uint64_t epoch;
    uint32_t producer_id;
    uint32_t nslots;
    tp_shm_region_t header;
    char header_uri[TP_CONSUMER_URI_MAX];
    tp_shm_region_t pools[TP_CONSUMER_MAX_POOLS];
    char pool_uris[TP_CONSUMER_MAX_POOLS][TP_CONSUMER_URI_MAX];
    tp_slot_pool_t slot_pools[TP_CONSUMER_MAX_POOLS];
    size_t pool_count;
} tp_consumer_mapping_t;

typedef struct tp_consumer_meta_entry_stct
{
    char *key;
    char *format;
    uint8_t *value;
    uint32_t value_length;
} tp_consumer_meta_entry_t;

struct tp_consumer_core_stct
{
    tp_consumer_context_t ctx;
    tp_shm_path_policy_t policy;
    uint64_t join_time_ns;

    bool mapped;
    uint64_t highest_epoch;
    tp_consumer_mapping_t current;
    tp_consumer_mapping_t candidate;

    bool have_seq;
    uint64_t last_seq;
    uint32_t batch; /* descriptors handled since the last duty cycle: > 1 means a backlog is being drained */
    int last_frame_status;

    bool progress_active;
    bool progress_invalid;
    uint64_t progress_frame;
    uint64_t progress_bytes;
    uint8_t progress_state;

    tp_consumer_assignment_t assignment;

    bool have_meta;
    uint32_t meta_version;
    size_t meta_count;
    tp_consumer_meta_entry_t *meta;
    uint8_t *meta_storage;

    uint64_t next_hello_ns;
    uint64_t next_qos_ns;
    bool send_all;

    tp_consumer_counters_t counters;
    char last_error[TP_CONSUMER_ERROR_MAX];
};

static inline uint64_t tp_consumer_now(const tp_consumer_core_t *core)
{
    return core->ctx.clock(core->ctx.clock_clientd);
}

int tp_consumer_on_announce(tp_consumer_core_t *core, const uint8_t *buffer, size_t length,
                            const tp_control_header_t *hdr);
void tp_consumer_unmap(tp_consumer_core_t *core);
void tp_consumer_mapping_close(tp_consumer_mapping_t *mapping);

int tp_consumer_on_descriptor(tp_consumer_core_t *core, tp_stream_kind_t source, const uint8_t *buffer, size_t length,
                              const tp_control_header_t *hdr);
int tp_consumer_on_progress(tp_consumer_core_t *core, tp_stream_kind_t source, const uint8_t *buffer, size_t length,
                            const tp_control_header_t *hdr);

int tp_consumer_on_config(tp_consumer_core_t *core, const uint8_t *buffer, size_t length,
                          const tp_control_header_t *hdr);
int tp_consumer_on_meta(tp_consumer_core_t *core, const uint8_t *buffer, size_t length, const tp_control_header_t *hdr);

#endif /* TENSORPOOL_TP_CONSUMER_CORE_PRIVATE_H */
