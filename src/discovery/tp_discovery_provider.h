/*
 * Transport-independent Discovery Provider core (SHM Discovery Service spec v1.0, schema 910), like the producer,
 * consumer and driver cores: received messages are fed in as byte buffers with tp_discovery_provider_on_message()
 * (ShmPoolAnnounce / DataSourceAnnounce / DataSourceMeta of schema 900 build the index, DiscoveryRequest of schema
 * 910 is answered), DiscoveryResponses leave through a tp_sink_t addressed to the requester's response channel and
 * stream, and tp_discovery_provider_do_work() expires the index. Single-threaded; nothing allocates after start.
 * Decisions the spec leaves open are listed in docs/discovery.md.
 */
#ifndef TENSORPOOL_TP_DISCOVERY_PROVIDER_H
#define TENSORPOOL_TP_DISCOVERY_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_sink.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_DISCOVERY_SCHEMA_ID          910
#define TP_DISCOVERY_SCHEMA_VERSION     1
#define TP_DISCOVERY_MAX_RESULTS        1000 /* §5.2 recommended cap, and our default */
#define TP_DISCOVERY_ERROR_MESSAGE_MAX  1024 /* §5.2: error_message at most 1024 bytes */
#define TP_DISCOVERY_NAME_MAX           256  /* §5.1: data_source_name at most 256 bytes */
#define TP_DISCOVERY_INSTANCE_ID_MAX    256
#define TP_DISCOVERY_URI_MAX            1024 /* region URIs longer than this make an announce rejected */
#define TP_DISCOVERY_MAX_POOLS          8
#define TP_DISCOVERY_MAX_TAGS           16 /* per stream; more make a DataSourceMeta rejected whole */
#define TP_DISCOVERY_TAG_MAX            64 /* bytes per tag */
#define TP_DISCOVERY_REQUEST_TAGS_MAX   32 /* distinct tags in one request; more is answered with ERROR */
#define TP_DISCOVERY_ANNOUNCE_PERIODS   3  /* §6.2: expiry after 3 x announce period */
#define TP_DISCOVERY_META_KEY_TAG       "tag"
#define TP_DISCOVERY_META_KEY_SOURCE_ID "data_source_id"

typedef struct tp_discovery_provider_stct tp_discovery_provider_t;

typedef struct tp_discovery_provider_context_stct
{
    /* Authority fields of every result (§5.2, §6.4): the driver this provider indexes. Copied by init. */
    const char *driver_instance_id;     /* non-empty, < TP_DISCOVERY_INSTANCE_ID_MAX bytes */
    const char *driver_control_channel; /* non-empty, < TP_CHANNEL_MAX bytes */
    uint32_t driver_control_stream_id;  /* non-zero */
    uint64_t announce_period_ns;        /* ShmPoolAnnounce period; entries expire after 3 x this */
    uint32_t max_entries;               /* index capacity (streams); announces of new streams beyond it are dropped */
    uint32_t max_results;               /* cap per response, 1..65535; 0 = TP_DISCOVERY_MAX_RESULTS */
    uint32_t max_drivers;               /* drivers indexed (registry): the context's plus add_driver; 0 = 1 */
    tp_clock_fn clock;                  /* monotonic ns; NULL = CLOCK_MONOTONIC */
    void *clock_clientd;
    tp_sink_t sink; /* target.kind = TP_STREAM_CONTROL, channel/stream_id = the request's response endpoint */
} tp_discovery_provider_context_t;

typedef struct tp_discovery_provider_counters_stct
{
    uint64_t announces;           /* ShmPoolAnnounce accepted (new, refresh or epoch bump) */
    uint64_t epoch_bumps;         /* an entry replaced by a newer epoch (§6.3) */
    uint64_t epoch_regressions;   /* announce with an older epoch than the entry's: dropped (§6.3) */
    uint64_t announces_rejected;  /* invalid layout (slot bytes, pool nslots, too many pools, URI too long) */
    uint64_t index_full;          /* announce of a new stream while the index is full: dropped */
    uint64_t entries_expired;     /* no ShmPoolAnnounce within 3 x announce period (§6.2) */
    uint64_t meta_accepted;       /* DataSourceAnnounce / DataSourceMeta applied */
    uint64_t meta_stale;          /* older epoch / meta_version than the entry's: dropped */
    uint64_t meta_unknown_stream; /* metadata for a stream without a live entry: dropped */
    uint64_t meta_rejected;       /* over the name / tag bounds: dropped whole */
    uint64_t requests;            /* DiscoveryRequest decoded */
    uint64_t requests_dropped;    /* empty or unusable response channel: silently dropped (§5.1) */
    uint64_t responses_ok;
    uint64_t responses_not_found;
    uint64_t responses_error;
    uint64_t unsupported_versions; /* schema 910 with a version other than 1 (§10): dropped */
    uint64_t foreign_messages;     /* neither schema 900 nor 910 */
    uint64_t unknown_templates;    /* schema 900/910, a template the provider does not consume */
    uint64_t malformed_messages;   /* truncated or lying lengths: dropped */
    uint64_t sink_refusals;
} tp_discovery_provider_counters_t;

/* Zero the context and set the defaults (max_results = TP_DISCOVERY_MAX_RESULTS, 1 s announce period). */
void tp_discovery_provider_context_init(tp_discovery_provider_context_t *ctx);

/* Validate ctx, allocate the index and the response buffer. 0 / -1 with TP_SET_ERR naming the bad field. */
int tp_discovery_provider_init(tp_discovery_provider_t **provider, const tp_discovery_provider_context_t *ctx);

int tp_discovery_provider_close(tp_discovery_provider_t *provider);

/*
 * Feed one received SBE message (message header included), from any stream the provider listens on. Schema 900
 * ShmPoolAnnounce (1) / DataSourceAnnounce (7) / DataSourceMeta (8) update the index; schema 910 DiscoveryRequest
 * (1) is answered through the sink. Everything else is counted and ignored. Returns 0 when the message was
 * consumed (answered, applied or deliberately ignored), -1 when it was malformed (counted). Never allocates.
 */
int tp_discovery_provider_on_message(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length);

/*
 * Registry (several drivers, §8): index another driver's streams as well. Its identity and control endpoint become
 * the authority fields of its results. Returns the driver's index (>= 1; 0 is the context's driver) for
 * tp_discovery_provider_on_driver_message, or -1 (max_drivers reached, bad field, same instance id twice).
 */
int tp_discovery_provider_add_driver(tp_discovery_provider_t *provider, const char *instance_id,
                                     const char *control_channel, uint32_t control_stream_id);

/* tp_discovery_provider_on_message for a message received from driver `driver`'s announce / metadata streams:
 * its ShmPoolAnnounce / DataSourceAnnounce / DataSourceMeta index that driver's streams. */
int tp_discovery_provider_on_driver_message(tp_discovery_provider_t *provider, uint32_t driver, const uint8_t *buffer,
                                            size_t length);

/* Timers: drop entries not refreshed by a ShmPoolAnnounce within 3 x announce period. Returns the work count. */
int tp_discovery_provider_do_work(tp_discovery_provider_t *provider, uint64_t now_ns);

/* Live entries in the index. */
size_t tp_discovery_provider_entry_count(const tp_discovery_provider_t *provider);

const tp_discovery_provider_counters_t *tp_discovery_provider_counters(const tp_discovery_provider_t *provider);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_DISCOVERY_PROVIDER_H */
