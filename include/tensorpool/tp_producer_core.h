/*
 * Transport-independent producer core (wire spec §8-11, §15.18).
 *
 * Owns the header ring and payload pools of one stream in the canonical SHM layout, writes frames with the
 * seq_commit seqlock and emits every control-plane message through a tp_sink_t. Received control messages
 * (ConsumerHello, QosConsumer) are fed in with tp_producer_core_on_message(). Single-threaded: one thread calls
 * everything (the producer agent).
 *
 * Epoch policy: a start announces max(highest E of the epoch-<E> directories in <base>/<namespace>/<instance>/
 * + 1, CLOCK_REALTIME in microseconds) (tp_shm_layout_next_epoch()), so a restarted instance never announces
 * an epoch a consumer may have seen, with or without directories left behind. A clean close removes the region
 * files and the epoch directory, and the instance and namespace directories when empty: nothing stays. After a
 * crash the next start removes the older epoch directories it finds.
 *
 * Hot path (claim, commit, abort, offer, progress): no allocation, locks or syscalls; negative status codes.
 */
#ifndef TENSORPOOL_TP_PRODUCER_CORE_H
#define TENSORPOOL_TP_PRODUCER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_sink.h"
#include "tensorpool/tp_tensor.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_PRODUCER_MAX_POOLS      8
#define TP_PRODUCER_NAME_MAX       128
#define TP_PRODUCER_META_MAX_ATTRS 32

typedef enum tp_producer_status_en
{
    TP_PRODUCER_OK = 0,
    TP_PRODUCER_NOT_CONNECTED = 1,  /* committed; nobody subscribes to the descriptor stream yet (not an error) */
    TP_PRODUCER_NO_POOL = -1,       /* no pool's stride fits the length: frame dropped and counted */
    TP_PRODUCER_CLAIM_ACTIVE = -2,  /* a claim is outstanding: commit or abort it first */
    TP_PRODUCER_NO_CLAIM = -3,      /* commit/abort/progress without a matching claim */
    TP_PRODUCER_BAD_TENSOR = -4,    /* the tensor description fails the §8.2 layout rules */
    TP_PRODUCER_BACK_PRESSURE = -5, /* committed; a descriptor was refused: the shared one is queued and re-offered */
    TP_PRODUCER_BAD_ARGUMENT = -6,
    TP_PRODUCER_NOT_ATTACHED = -7, /* driver mode: no lease (attaching, revoked, backing off): nothing written */
} tp_producer_status_t;

typedef struct tp_producer_pool_config_stct
{
    uint16_t pool_id;
    uint32_t stride_bytes;
} tp_producer_pool_config_t;

typedef struct tp_producer_context_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint32_t layout_version;
    uint32_t header_nslots; /* power of two */
    tp_producer_pool_config_t pools[TP_PRODUCER_MAX_POOLS];
    size_t pool_count;
    char shm_base_dir[TP_PATH_MAX];
    char namespace_name[TP_PRODUCER_NAME_MAX];
    char instance_id[TP_PRODUCER_NAME_MAX];
    bool require_hugepages;
    char source_name[TP_PRODUCER_NAME_MAX]; /* DataSourceAnnounce name */

    /* Shared streams (§5, STREAM_ID_CONVENTIONS.md). */
    char channel[TP_CHANNEL_MAX];
    uint32_t descriptor_stream_id;
    uint32_t control_stream_id;
    uint32_t qos_stream_id;
    uint32_t metadata_stream_id;

    /* Per-consumer stream ids a consumer may request (inclusive ranges; 0..0 disables the kind). */
    uint32_t consumer_descriptor_stream_min;
    uint32_t consumer_descriptor_stream_max;
    uint32_t consumer_control_stream_min;
    uint32_t consumer_control_stream_max;
    size_t max_consumers;

    /* Cadences and liveness (ns). */
    uint64_t announce_interval_ns;
    uint64_t qos_interval_ns;
    uint64_t meta_interval_ns;
    uint64_t consumer_hello_interval_ns; /* the interval consumers are configured with */
    uint32_t consumer_stale_factor;      /* 3..5: stale after factor * hello interval without hello/qos */

    /* Progress policy: defaults when no hint is given, and floors hints cannot go below. */
    uint64_t progress_interval_default_ns;
    uint64_t progress_bytes_default;
    uint64_t progress_interval_floor_ns;
    uint64_t progress_bytes_floor;

    tp_clock_fn clock; /* monotonic ns; NULL = CLOCK_MONOTONIC */
    void *clock_clientd;
    tp_sink_t sink;
} tp_producer_context_t;

typedef struct tp_producer_core_stct tp_producer_core_t;

/*
 * Driver mode: the regions a lease named (driver model spec v1.0 §4.2), for tp_producer_core_start_attached().
 * The files are the driver's; the producer maps them read-write after the consumers' §15.21a.5 containment checks
 * against allowed_dirs, validates every superblock against these values, never unlinks them and never emits
 * ShmPoolAnnounce (the driver does, §8). Pools and header_nslots here replace those of the context.
 */
typedef struct tp_producer_attached_stct
{
    uint64_t epoch;
    uint32_t header_nslots;
    const char *header_uri;
    tp_producer_pool_config_t pools[TP_PRODUCER_MAX_POOLS];
    const char *pool_uris[TP_PRODUCER_MAX_POOLS];
    size_t pool_count;
    const char *const *allowed_dirs;
    size_t allowed_dir_count;
    uint64_t first_seq; /* sequence numbers continue across reattaches */
} tp_producer_attached_t;

/* A zero-copy claim: write up to capacity bytes at payload, then commit or abort. */
typedef struct tp_producer_claim_stct
{
    uint8_t *payload;
    uint32_t capacity; /* the pool's stride */
    uint32_t length;   /* the length claimed; commit publishes exactly this many bytes */
    uint64_t seq;
    uint32_t header_index;
    uint16_t pool_id;
} tp_producer_claim_t;

typedef struct tp_producer_counters_stct
{
    uint64_t frames_committed;
    uint64_t frames_aborted;
    uint64_t drops_no_pool;
    uint64_t drops_bad_tensor;
    uint64_t sink_refusals;
    uint64_t descriptors_queued;         /* shared descriptors refused by the transport and queued */
    uint64_t descriptors_reoffered;      /* queued descriptors delivered later, in order */
    uint64_t descriptors_dropped_reused; /* queued descriptors given up because their slot was reused (a gap) */
    uint64_t descriptors_not_connected;  /* shared descriptors offered while nobody subscribed */
    uint64_t descriptors_rate_limited;   /* per-consumer descriptors skipped by max_rate_hz */
    uint64_t progress_sent;
    uint64_t consumers_granted;
    uint64_t consumers_declined;
    uint64_t consumers_stale;
    uint64_t consumers_rejected_full;
    uint64_t foreign_messages;
    uint64_t unknown_templates;
    uint64_t malformed_messages;
} tp_producer_counters_t;

typedef struct tp_producer_meta_attribute_stct
{
    const char *key;
    const char *format;
    const uint8_t *value;
    uint32_t value_length;
} tp_producer_meta_attribute_t;

/* Defaults: layout 1, stream ids 1100/1000/1200/1300 on "aeron:ipc", per-consumer ranges 31000-31999 and
 * 32000-32999, 1 s cadences, stale factor 4, progress 250 us / 64 KiB defaults with floors 50 us / 4 KiB. */
void tp_producer_context_init(tp_producer_context_t *ctx);

/* Create the regions, write superblocks, announce on the first do_work. Returns 0 or -1 (tp_errmsg()). */
int tp_producer_core_start(tp_producer_core_t **core, const tp_producer_context_t *ctx);

/* Unmap and unlink the regions. Safe with NULL. */
int tp_producer_core_close(tp_producer_core_t *core);

/* Start on regions granted by the SHM driver instead of creating them. 0, or -1 with the error naming the region. */
int tp_producer_core_start_attached(tp_producer_core_t **core, const tp_producer_context_t *ctx,
                                    const tp_producer_attached_t *attached);

uint64_t tp_producer_core_epoch(const tp_producer_core_t *core);
uint64_t tp_producer_core_next_seq(const tp_producer_core_t *core);
const tp_producer_counters_t *tp_producer_core_counters(const tp_producer_core_t *core);
/* The path of the header ring (for diagnostics and tests). */
const char *tp_producer_core_header_path(const tp_producer_core_t *core);

/*
 * Claim the slot of the next sequence in the smallest pool whose stride >= length. desc may be NULL; when
 * given, the header is written right away so consumers following FrameProgress can validate the layout.
 * STARTED progress is emitted when a consumer supports progress and desc is given (without the layout in the
 * slot a consumer could not validate the prefix, §10.2.2).
 */
int tp_producer_core_claim(tp_producer_core_t *core, uint32_t length, const tp_tensor_desc_t *desc,
                           tp_producer_claim_t *claim);

/* Report payload_bytes_filled of the active claim (throttled FrameProgress PROGRESS). Returns work count. */
int tp_producer_core_progress(tp_producer_core_t *core, const tp_producer_claim_t *claim, uint64_t bytes_filled);

/*
 * Finish the header, commit the seqlock, then emit FrameDescriptor (and progress COMPLETE). Returns TP_PRODUCER_OK
 * (delivered), TP_PRODUCER_NOT_CONNECTED (committed, no subscriber) or TP_PRODUCER_BACK_PRESSURE (committed; the
 * shared descriptor was refused and is re-offered, in order, by the next commit or do_work while its slot is
 * intact: only a slot reused before delivery loses it, counted in descriptors_dropped_reused).
 */
int tp_producer_core_commit(tp_producer_core_t *core, const tp_producer_claim_t *claim, const tp_tensor_desc_t *desc,
                            uint64_t timestamp_ns, uint32_t meta_version);

/* Give the claim up: the slot stays uncommitted and the sequence is reused by the next claim. */
int tp_producer_core_abort(tp_producer_core_t *core, const tp_producer_claim_t *claim);

/* Copy a whole frame in: claim + memcpy + commit. */
int tp_producer_core_offer(tp_producer_core_t *core, const tp_tensor_desc_t *desc, const void *bytes, uint32_t length,
                           uint64_t timestamp_ns);

/*
 * Replace the DataSourceMeta attributes and bump meta_version (setup path; the message is pre-encoded
 * here and re-sent on change and periodically). Returns 0 or -1 when the attributes do not fit.
 */
int tp_producer_core_set_meta(tp_producer_core_t *core, const tp_producer_meta_attribute_t *attributes, size_t count);
uint32_t tp_producer_core_meta_version(const tp_producer_core_t *core);

/* Handle ConsumerHello / QosConsumer; other schemas and templates are skipped. Returns 1 handled, 0 skipped. */
int tp_producer_core_on_message(tp_producer_core_t *core, const uint8_t *buffer, size_t length);

/* Periodic duty: announces, QoS, metadata, activity timestamp, stale consumers. Returns work count. */
int tp_producer_core_do_work(tp_producer_core_t *core, uint64_t now_ns);

/* Force the next do_work to send every periodic message (e.g. after a transport reconnect). */
void tp_producer_core_announce_now(tp_producer_core_t *core);

/* Number of live consumers and whether one of them holds a per-consumer descriptor/control stream. */
size_t tp_producer_core_consumer_count(const tp_producer_core_t *core);
bool tp_producer_core_consumer_streams(const tp_producer_core_t *core, uint32_t consumer_id,
                                       uint32_t *descriptor_stream_id, uint32_t *control_stream_id);

/* Current aggregated progress policy. */
void tp_producer_core_progress_policy(const tp_producer_core_t *core, uint64_t *interval_ns, uint64_t *bytes_delta);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_PRODUCER_CORE_H */
