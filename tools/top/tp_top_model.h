/*
 * What tp_top knows about a running system, built only from the messages on the shared control, descriptor, QoS
 * and metadata streams (wire schema 900, driver schema 901): streams with their producer, epoch and sequence
 * progress, their consumers (QosConsumer, ConsumerHello/Config) and the driver's leases. Frame sizes for MiB/s are
 * read from the announced header ring, mapped read-only (never written, never locked).
 */
#ifndef TENSORPOOL_TP_TOP_MODEL_H
#define TENSORPOOL_TP_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_TOP_MAX_STREAMS   64
#define TP_TOP_MAX_CONSUMERS 32
#define TP_TOP_MAX_LEASES    256

typedef enum tp_top_lease_state_en
{
    TP_TOP_LEASE_NONE = 0,
    TP_TOP_LEASE_ATTACHED = 1,
    TP_TOP_LEASE_DETACHED = 2,
    TP_TOP_LEASE_REVOKED = 3,
    TP_TOP_LEASE_EXPIRED = 4,
} tp_top_lease_state_t;

typedef struct tp_top_lease_stct
{
    uint64_t lease_id;
    uint32_t stream_id;
    uint32_t client_id;
    uint8_t role; /* 1 producer, 2 consumer */
    tp_top_lease_state_t state;
    uint64_t granted_ns;
    uint64_t last_keepalive_ns; /* 0: none seen */
    uint64_t changed_ns;
} tp_top_lease_t;

typedef struct tp_top_consumer_stct
{
    uint32_t consumer_id;
    uint8_t mode; /* 1 STREAM, 2 RATE_LIMITED, 0 unknown */
    uint64_t epoch;
    uint64_t last_seq_seen;
    uint64_t drops_gap;
    uint64_t drops_late;
    bool has_qos;
    uint64_t lag; /* stream seq minus last_seq_seen when the QosConsumer arrived (both about as fresh) */
    bool has_lag;
    uint32_t descriptor_stream_id; /* per-consumer streams (0: the shared ones) */
    uint32_t control_stream_id;
    uint64_t last_activity_ns;
} tp_top_consumer_t;

typedef struct tp_top_stream_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint64_t last_activity_ns;
    uint64_t current_seq; /* highest seq seen (descriptors or QosProducer) */
    bool has_seq;
    /* The rate window: progress since its start. */
    uint64_t window_seq;
    uint64_t window_ns;
    bool window_open;
    uint64_t sized_frames; /* descriptors whose size was read from the header ring in this window */
    uint64_t sized_bytes;
    double frames_per_s;
    double mib_per_s;
    bool has_rates;
    /* The announced header ring, mapped read-only for frame sizes. */
    const uint8_t *header;
    size_t header_length;
    uint32_t header_nslots;
    uint64_t header_epoch;
    tp_top_consumer_t consumers[TP_TOP_MAX_CONSUMERS];
    size_t consumer_count;
} tp_top_stream_t;

#define TP_TOP_PENDING_ATTACHES 64

/* An attach request seen, waiting for its response (which does not repeat client and role). */
typedef struct tp_top_pending_stct
{
    int64_t correlation_id;
    uint32_t stream_id;
    uint32_t client_id;
    uint8_t role;
} tp_top_pending_t;

typedef struct tp_top_model_stct
{
    tp_top_pending_t pending[TP_TOP_PENDING_ATTACHES];
    size_t pending_next;
    tp_top_stream_t streams[TP_TOP_MAX_STREAMS];
    size_t stream_count;
    tp_top_lease_t leases[TP_TOP_MAX_LEASES];
    size_t lease_count;
    bool driver_seen;
    bool map_headers;
    uint64_t messages;
    uint64_t ignored; /* unknown schemas, templates or malformed */
} tp_top_model_t;

void tp_top_model_init(tp_top_model_t *model, bool map_headers);
void tp_top_model_close(tp_top_model_t *model);

/* One message from any of the subscribed streams, received at now_ns (CLOCK_MONOTONIC). Never fails. */
void tp_top_model_on_message(tp_top_model_t *model, const uint8_t *buffer, size_t length, uint64_t now_ns);

/* Close the rate window of every stream at now_ns (frames/s and MiB/s since the window opened) and open the next. */
void tp_top_model_roll(tp_top_model_t *model, uint64_t now_ns);

/* The lease of (stream, client, role), the most recent one; NULL when the driver never mentioned it. */
const tp_top_lease_t *tp_top_model_lease(const tp_top_model_t *model, uint32_t stream_id, uint32_t client_id,
                                         uint8_t role);

const char *tp_top_mode_name(uint8_t mode);
const char *tp_top_lease_state_name(tp_top_lease_state_t state);

#endif /* TENSORPOOL_TP_TOP_MODEL_H */
