/* State shared by the producer core's translation units (frames, consumers, periodic messages). */
#ifndef TENSORPOOL_TP_PRODUCER_CORE_PRIVATE_H
#define TENSORPOOL_TP_PRODUCER_CORE_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "shm/tp_shm_layout.h"
#include "shm/tp_shm_region.h"
#include "tensorpool/tp_producer_core.h"

#define TP_PRODUCER_URI_MAX       (PATH_MAX + 64)
#define TP_PRODUCER_SCRATCH_BYTES (64 * 1024)
#define TP_PRODUCER_META_BYTES    (64 * 1024)
#define TP_PRODUCER_HINT_ABSENT   UINT32_MAX

typedef struct tp_producer_pool_stct
{
    tp_shm_region_t region;
    uint16_t pool_id;
    uint32_t stride_bytes;
    char uri[TP_PRODUCER_URI_MAX];
} tp_producer_pool_t;

/* A per-consumer stream as granted (stream_id 0 = none). */
typedef struct tp_producer_stream_stct
{
    uint32_t stream_id;
    char channel[TP_CHANNEL_MAX];
} tp_producer_stream_t;

typedef struct tp_producer_consumer_stct
{
    bool in_use;
    uint32_t consumer_id;
    uint64_t last_seen_ns;
    bool supports_progress;
    uint8_t mode;
    uint32_t max_rate_hz;
    uint32_t progress_interval_us; /* TP_PRODUCER_HINT_ABSENT when not offered */
    uint32_t progress_bytes_delta;
    tp_producer_stream_t descriptor;
    tp_producer_stream_t control;
    uint64_t next_descriptor_ns; /* max_rate_hz cap on the per-consumer descriptor stream */
} tp_producer_consumer_t;

/* A committed frame whose shared-stream descriptor the transport refused: re-offered in order until delivered
 * or until its slot is reused (wire spec: a descriptor for an overwritten slot is useless). */
typedef struct tp_producer_pending_stct
{
    uint64_t seq;
    uint64_t timestamp_ns;
    uint32_t header_index;
    uint32_t meta_version;
} tp_producer_pending_t;

struct tp_producer_core_stct
{
    tp_producer_context_t ctx;
    tp_shm_layout_t layout;
    bool layout_dirs_created; /* close removes the epoch dir (and empty parents) only when this start made it */
    uint64_t epoch;
    tp_shm_region_t header;
    char header_uri[TP_PRODUCER_URI_MAX];
    tp_producer_pool_t pools[TP_PRODUCER_MAX_POOLS]; /* sorted by ascending stride */
    size_t pool_count;
    uint32_t mask;
    uint64_t next_seq;

    /* The one outstanding claim. */
    bool claim_active;
    uint64_t claim_seq;
    uint32_t claim_index;
    size_t claim_pool;
    uint32_t claim_length;
    bool claim_progress;           /* STARTED was sent, so PROGRESS/COMPLETE follow */
    uint64_t claim_progress_ns;    /* when the last progress message was sent */
    uint64_t claim_progress_bytes; /* bytes in the last progress message */
    uint64_t claim_pending_bytes;  /* latest value reported, maybe not sent yet */
    bool claim_has_desc;           /* the claim wrote the header from claim_desc: commit only stamps it */
    tp_tensor_desc_t claim_desc;

    uint32_t meta_version;
    uint8_t *meta_buffer;
    size_t meta_length;
    bool meta_dirty;

    tp_producer_consumer_t *consumers;
    size_t consumer_count;
    size_t progress_consumers;
    uint64_t progress_interval_ns;
    uint64_t progress_bytes_delta;

    uint64_t next_announce_ns;
    uint64_t next_qos_ns;
    uint64_t next_stale_check_ns; /* tp_producer_check_stale_consumers: next scan of the table */
    uint64_t next_meta_ns;
    bool send_all;

    uint8_t *scratch;
    tp_producer_counters_t counters;

    bool external_regions; /* driver mode: regions mapped from a lease, not created (tp_producer_attached.c) */

    /* Refused shared descriptors, a ring of header_nslots entries (at most one per slot can be pending). */
    tp_producer_pending_t *pending;
    uint64_t pending_head; /* next to re-offer */
    uint64_t pending_tail; /* next free */
};

/* Validate the context and allocate a core with its tables and sorted pools, no regions yet (NULL + error). */
tp_producer_core_t *tp_producer_core_alloc(const tp_producer_context_t *ctx);
void tp_producer_refresh_activity(tp_producer_core_t *core, uint64_t now_ns);

static inline uint64_t tp_producer_now(const tp_producer_core_t *core)
{
    return core->ctx.clock(core->ctx.clock_clientd);
}

/* Offer through the sink; counts and returns -1 on refusal. */
int tp_producer_emit(tp_producer_core_t *core, tp_stream_kind_t kind, uint32_t stream_id, const char *channel,
                     uint32_t consumer_id, const uint8_t *buffer, size_t length);

/* Periodic and on-demand messages (tp_producer_messages.c). */
int tp_producer_send_announce(tp_producer_core_t *core, uint64_t now_ns);
int tp_producer_send_source_announce(tp_producer_core_t *core);
int tp_producer_send_qos(tp_producer_core_t *core);
int tp_producer_send_descriptors(tp_producer_core_t *core, uint64_t seq, uint32_t header_index, uint64_t timestamp_ns,
                                 uint32_t meta_version);
/* Re-offer refused descriptors in order, dropping (and counting) those whose slot was reused. Returns the number
 * delivered; stops at the first refusal. */
int tp_producer_flush_pending(tp_producer_core_t *core);
int tp_producer_send_progress(tp_producer_core_t *core, uint64_t seq, uint32_t header_index, uint64_t bytes_filled,
                              uint8_t state);

/* Consumer tracking (tp_producer_consumers.c). */
int tp_producer_on_consumer_hello(tp_producer_core_t *core, const uint8_t *buffer, size_t length, uint16_t block_length,
                                  uint16_t version);
int tp_producer_on_qos_consumer(tp_producer_core_t *core, const uint8_t *buffer, size_t length, uint16_t block_length,
                                uint16_t version);
int tp_producer_check_stale_consumers(tp_producer_core_t *core, uint64_t now_ns);
void tp_producer_release_consumers(tp_producer_core_t *core);

#endif /* TENSORPOOL_TP_PRODUCER_CORE_PRIVATE_H */
