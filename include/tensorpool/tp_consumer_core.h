/*
 * Transport-independent consumer core (wire spec §10-11, §15.4, §15.18, §15.21).
 *
 * Fed with received control-plane messages (tp_consumer_core_on_message), it maps the announced regions after
 * path-containment and superblock checks, validates every FrameDescriptor against the header slot through the
 * seqlock and hands the application a frame view. Outgoing ConsumerHello / QosConsumer go through a tp_sink_t
 * from tp_consumer_core_do_work(). Single-threaded.
 *
 * Frame views point into the mapped payload pool (zero copy) and are valid until the handler returns. The
 * header was read under the seqlock, but the payload is the producer's memory: a consumer that must be sure the
 * bytes it read were not overwritten meanwhile calls tp_consumer_frame_is_intact() after reading them.
 *
 * Hot path (descriptor and progress handling): no allocation, locks or syscalls.
 */
#ifndef TENSORPOOL_TP_CONSUMER_CORE_H
#define TENSORPOOL_TP_CONSUMER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_sink.h"
#include "tensorpool/tp_tensor.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_CONSUMER_MAX_BASE_DIRS     16
#define TP_CONSUMER_MAX_POOLS         8
#define TP_CONSUMER_ERROR_MAX         1024
#define TP_CONSUMER_MODE_STREAM       1
#define TP_CONSUMER_MODE_RATE_LIMITED 2

typedef struct tp_consumer_frame_stct
{
    const uint8_t *payload; /* NULL when payload_length is 0 */
    uint32_t payload_length;
    uint64_t seq;
    uint64_t epoch;
    uint32_t header_index;
    tp_tensor_view_t tensor; /* dtype, dims, strides, major order, timestamps, meta_version, pool */
    const volatile uint64_t *commit_word;
} tp_consumer_frame_t;

typedef struct tp_consumer_progress_stct
{
    uint64_t frame_id;
    uint32_t header_index;
    uint8_t state;                 /* 1 STARTED, 2 PROGRESS, 3 COMPLETE */
    uint64_t payload_bytes_filled; /* as announced, validated <= values_len_bytes and monotonic */
    uint64_t safe_bytes;           /* prefix that is layout-safe to read (0 when informational only) */
    const uint8_t *payload;        /* start of the payload slot, NULL when nothing is safe to read */
} tp_consumer_progress_t;

/* What ConsumerConfig assigned (stream id 0 and "" = declined / shared stream). */
typedef struct tp_consumer_assignment_stct
{
    bool received;
    bool use_shm;
    uint8_t mode;
    uint32_t descriptor_stream_id;
    char descriptor_channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id;
    char control_channel[TP_CHANNEL_MAX];
} tp_consumer_assignment_t;

typedef void (*tp_consumer_frame_handler_t)(void *clientd, const tp_consumer_frame_t *frame);
typedef void (*tp_consumer_progress_handler_t)(void *clientd, const tp_consumer_progress_t *progress);
typedef void (*tp_consumer_config_handler_t)(void *clientd, const tp_consumer_assignment_t *assignment);

typedef struct tp_consumer_context_stct
{
    uint32_t stream_id;
    uint32_t consumer_id;
    uint32_t layout_version;
    const char *allowed_base_dirs[TP_CONSUMER_MAX_BASE_DIRS];
    size_t allowed_base_dir_count;
    uint64_t freshness_window_ns; /* announces (and the producer's activity timestamp) older are ignored */
    uint8_t mode;
    uint32_t max_rate_hz;
    uint64_t max_outstanding_seq_gap;

    bool supports_progress;
    uint32_t progress_interval_us; /* UINT32_MAX = no hint */
    uint32_t progress_bytes_delta;
    uint32_t progress_major_delta_units;

    /* Per-consumer stream requests (empty channel / 0 = not requested). */
    char descriptor_channel[TP_CHANNEL_MAX];
    uint32_t descriptor_stream_id;
    char control_channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id;

    /* Shared streams our hello / QoS go to. */
    char channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id_shared;
    uint32_t qos_stream_id;
    uint64_t hello_interval_ns;
    uint64_t qos_interval_ns;

    /* DataSourceMeta cache bounds. */
    size_t meta_max_attributes;
    size_t meta_max_key_bytes;
    size_t meta_max_format_bytes;
    size_t meta_max_value_bytes;

    tp_clock_fn clock;          /* monotonic ns; NULL = CLOCK_MONOTONIC */
    tp_clock_fn realtime_clock; /* for REALTIME_SYNCED announces; NULL = CLOCK_REALTIME */
    void *clock_clientd;
    tp_sink_t sink;

    tp_consumer_frame_handler_t on_frame;
    tp_consumer_progress_handler_t on_progress;
    tp_consumer_config_handler_t on_config;
    void *handler_clientd;
} tp_consumer_context_t;

typedef struct tp_consumer_counters_stct
{
    uint64_t frames_accepted;
    uint64_t drops_gap;     /* sequence numbers never seen */
    uint64_t drops_late;    /* slot in progress, overwritten or changed under the read */
    uint64_t drops_invalid; /* header slot failing a §8.2 / §10.2.1 rule (see last_frame_status) */
    uint64_t drops_unmapped;
    uint64_t descriptors_wrong_epoch;
    uint64_t descriptors_replayed; /* seq not above the last one seen */
    uint64_t descriptors_other_stream;
    uint64_t resyncs; /* gaps above max_outstanding_seq_gap */
    uint64_t announces_stale;
    uint64_t announces_replayed; /* before the join time (MONOTONIC only) */
    uint64_t announces_old_epoch;
    uint64_t regions_rejected;
    uint64_t maps;
    uint64_t remaps;
    uint64_t producer_stale_unmaps;
    uint64_t configs_received;
    uint64_t progress_accepted;
    uint64_t progress_dropped;
    uint64_t meta_accepted;
    uint64_t meta_rejected;
    uint64_t foreign_messages;
    uint64_t unknown_templates;
    uint64_t malformed_messages;
    uint64_t sink_refusals;
} tp_consumer_counters_t;

typedef struct tp_consumer_meta_attribute_stct
{
    const char *key;
    const char *format;
    const uint8_t *value;
    uint32_t value_length;
} tp_consumer_meta_attribute_t;

typedef struct tp_consumer_core_stct tp_consumer_core_t;

/* Defaults: layout 1, freshness 3 s, STREAM, gap 256, no progress, "aeron:ipc" 1000/1200, 1 s cadences,
 * metadata cache 32 attributes of key 128 / format 128 / value 4096 bytes. */
void tp_consumer_context_init(tp_consumer_context_t *ctx);

/* Canonicalise the allowed dirs and pre-allocate everything. Returns 0 or -1 (tp_errmsg()). */
int tp_consumer_core_start(tp_consumer_core_t **core, const tp_consumer_context_t *ctx);
int tp_consumer_core_close(tp_consumer_core_t *core);

/* The subscription image became available at join_time_ns (monotonic); defaults to the start time. */
void tp_consumer_core_set_join_time(tp_consumer_core_t *core, uint64_t join_time_ns);

/*
 * Handle one received message that arrived on the given logical stream. Other schemas and unknown templates
 * are skipped. Returns the number of frames/progress events delivered (0 or 1), never negative.
 */
int tp_consumer_core_on_message(tp_consumer_core_t *core, tp_stream_kind_t source, const uint8_t *buffer,
                                size_t length);

/* Periodic duty: ConsumerHello, QosConsumer, producer liveness. Returns work count. */
int tp_consumer_core_do_work(tp_consumer_core_t *core, uint64_t now_ns);

/* True while the slot still holds the committed frame (call after reading the payload). */
bool tp_consumer_frame_is_intact(const tp_consumer_frame_t *frame);

bool tp_consumer_core_is_mapped(const tp_consumer_core_t *core);
/* Drop the current mapping now (driver mode: lease lost or producer revoked). Frames in flight are dropped with it;
 * the next acceptable ShmPoolAnnounce maps again. No-op when unmapped. */
void tp_consumer_core_unmap(tp_consumer_core_t *core);
uint64_t tp_consumer_core_epoch(const tp_consumer_core_t *core);
/* The header region URI of the current mapping ("" when unmapped). */
const char *tp_consumer_core_header_uri(const tp_consumer_core_t *core);
const tp_consumer_counters_t *tp_consumer_core_counters(const tp_consumer_core_t *core);
const tp_consumer_assignment_t *tp_consumer_core_assignment(const tp_consumer_core_t *core);
/* The last rejected announce/region, with the reason ("" when none). */
const char *tp_consumer_core_last_error(const tp_consumer_core_t *core);
/* The tp_frame_status_t of the last frame dropped as invalid (0 when none). */
int tp_consumer_core_last_frame_status(const tp_consumer_core_t *core);

/* Cached DataSourceMeta: false until one was accepted. */
bool tp_consumer_core_meta(const tp_consumer_core_t *core, uint32_t *meta_version, size_t *attribute_count);
int tp_consumer_core_meta_attribute(const tp_consumer_core_t *core, size_t index,
                                    tp_consumer_meta_attribute_t *attribute);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_CONSUMER_CORE_H */
