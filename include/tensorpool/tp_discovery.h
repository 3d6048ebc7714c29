/*
 * Discovery client (SHM Discovery Service spec v1.0, schema 910): asks a Discovery Provider (the one embedded in
 * tp_driver, or the standalone registry tp_discoveryd) which streams exist, and finds one by name or tags.
 *
 * Usage, Aeron style (asynchronous):
 *
 *     tp_discovery_client_config_t config;
 *     tp_discovery_client_config_init(&config);       // request stream = the client's control stream (the driver)
 *     tp_discovery_client_t *dc;
 *     tp_discovery_client_start(&dc, client, &config); // adds the request publication and response subscription
 *     tp_discovery_filter_t filter;
 *     tp_discovery_filter_init(&filter);
 *     filter.name = "camera-left";
 *     tp_discovery_query_start(dc, &filter);
 *     while (TP_DISCOVERY_QUERY_PENDING == tp_discovery_query_state(dc)) { tp_discovery_query_poll(dc); ... }
 *     for (size_t i = 0; i < tp_discovery_query_result_count(dc); i++) use(tp_discovery_query_result(dc, i));
 *     tp_discovery_client_close(dc);                   // before tp_client_close
 *
 * or blocking: tp_discovery_find_stream(dc, "camera-left", NULL, 0, timeout_ns, &result), then
 * tp_discovery_context_apply(ctx, &result) + consumer config stream_id = result.stream_id.
 *
 * What the client enforces (§5.2, §7): responses with a request_id other than the current query's are dropped;
 * results with an empty driver_instance_id or driver_control_channel or a zero driver_control_stream_id are
 * ignored; a result whose pool_nslots differs from header_nslots is a protocol error (dropped and counted, never
 * handed out); results of NOT_FOUND / ERROR responses are ignored; results are de-duplicated by
 * (driver_instance_id, stream_id, epoch), and of one (driver_instance_id, stream_id) only the newest epoch is kept.
 * Responses larger than one Aeron frame are reassembled. Discovery never maps a region: a result says which
 * driver to attach through (§7), and the consumer's attach then validates epoch, layout and superblocks.
 *
 * Single-threaded: all calls on one discovery client come from one thread, the thread that drives its tp_client
 * in invoker mode. Setup calls return 0 / -1 and leave the reason in tp_errmsg().
 */
#ifndef TENSORPOOL_TP_DISCOVERY_H
#define TENSORPOOL_TP_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_client.h"
#include "tensorpool/tp_sink.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_DISCOVERY_ANY_ID                       UINT32_MAX /* stream_id / producer_id filter absent (the wire null value) */
#define TP_DISCOVERY_ANY_SOURCE_ID                UINT64_MAX /* data_source_id filter absent; also "not provided" in results */
#define TP_DISCOVERY_RESULT_URI_MAX               1024 /* bytes of a region URI a result may carry */
#define TP_DISCOVERY_RESULT_NAME_MAX              256  /* bytes of data_source_name (§5.1) */
#define TP_DISCOVERY_RESULT_ID_MAX                256  /* bytes of driver_instance_id */
#define TP_DISCOVERY_RESULT_POOLS_MAX             8
#define TP_DISCOVERY_RESULT_TAGS_MAX              16
#define TP_DISCOVERY_RESULT_TAG_MAX               64
#define TP_DISCOVERY_FILTER_TAGS_MAX              32
#define TP_DISCOVERY_DEFAULT_RESPONSE_STREAM_BASE 40000 /* default response stream: base + pid % 10000 */

typedef struct tp_discovery_client_stct tp_discovery_client_t;

/* DiscoveryStatus (§5.2), wire values. */
typedef enum tp_discovery_status_en
{
    TP_DISCOVERY_STATUS_NONE = 0, /* no response yet */
    TP_DISCOVERY_STATUS_OK = 1,
    TP_DISCOVERY_STATUS_NOT_FOUND = 2,
    TP_DISCOVERY_STATUS_ERROR = 3,
} tp_discovery_status_t;

typedef enum tp_discovery_query_state_en
{
    TP_DISCOVERY_QUERY_IDLE = 0,    /* no query started */
    TP_DISCOVERY_QUERY_PENDING = 1, /* request sent (or waiting for a provider to connect), no answer yet */
    TP_DISCOVERY_QUERY_DONE = 2,    /* a response arrived: status, results and error message are set */
} tp_discovery_query_state_t;

typedef struct tp_discovery_client_config_stct
{
    const char *request_channel;  /* provider's request channel; NULL = the client context's channel */
    uint32_t request_stream_id;   /* provider's request stream; 0 = the context's control stream (the driver) */
    const char *response_channel; /* where responses come back; NULL = request_channel */
    uint32_t response_stream_id;  /* 0 = TP_DISCOVERY_DEFAULT_RESPONSE_STREAM_BASE + pid % 10000 */
    uint32_t client_id;           /* DiscoveryRequest.client_id; 0 = the process id */
    /* While a query is unanswered its request is offered again this often, same request_id (a provider busy adding
     * our response publication, or a lost UDP datagram); 0 = 1 s, UINT64_MAX = never. */
    uint64_t resend_interval_ns;
} tp_discovery_client_config_t;

/* Filters of one query (§5.1): every one given must match. Strings are copied by query_start. */
typedef struct tp_discovery_filter_stct
{
    uint32_t stream_id;      /* TP_DISCOVERY_ANY_ID = any */
    uint32_t producer_id;    /* TP_DISCOVERY_ANY_ID = any */
    uint64_t data_source_id; /* TP_DISCOVERY_ANY_SOURCE_ID = any */
    const char *name;        /* NULL or "" = any; byte-exact, case-sensitive */
    const char *const *tags; /* every tag must be on the stream; at most TP_DISCOVERY_FILTER_TAGS_MAX */
    size_t tag_count;
} tp_discovery_filter_t;

typedef struct tp_discovery_result_pool_stct
{
    uint16_t pool_id;
    uint32_t pool_nslots;
    uint32_t stride_bytes;
    char region_uri[TP_DISCOVERY_RESULT_URI_MAX + 1];
} tp_discovery_result_pool_t;

/* One stream (§5.2). Strings are NUL-terminated copies; name_length also counts bytes after an embedded NUL. */
typedef struct tp_discovery_result_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint32_t layout_version;
    /* SHM layout: informational only, never mapped from here (§7). */
    char header_region_uri[TP_DISCOVERY_RESULT_URI_MAX + 1];
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint8_t max_dims;
    uint32_t pool_count;
    tp_discovery_result_pool_t pools[TP_DISCOVERY_RESULT_POOLS_MAX];
    /* Metadata. */
    uint64_t data_source_id; /* TP_DISCOVERY_ANY_SOURCE_ID = not provided */
    char data_source_name[TP_DISCOVERY_RESULT_NAME_MAX + 1];
    uint32_t name_length;
    uint32_t tag_count;
    char tags[TP_DISCOVERY_RESULT_TAGS_MAX][TP_DISCOVERY_RESULT_TAG_MAX + 1];
    /* Authority (§5.2): the driver to attach through. Always non-empty / non-zero in a result handed out. */
    char driver_instance_id[TP_DISCOVERY_RESULT_ID_MAX + 1];
    char driver_control_channel[TP_CHANNEL_MAX];
    uint32_t driver_control_stream_id;
} tp_discovery_result_t;

typedef struct tp_discovery_client_counters_stct
{
    uint64_t requests_sent;
    uint64_t responses;           /* responses to the current query, accepted */
    uint64_t unknown_request_ids; /* responses to another request: dropped (§5.2) */
    uint64_t malformed_responses; /* truncated / lying lengths, unknown status, wrong version: dropped */
    uint64_t foreign_messages;    /* not a schema 910 DiscoveryResponse: ignored */
    uint64_t invalid_authority;   /* results with an empty / zero authority field: ignored (§5.2) */
    uint64_t protocol_errors;     /* results with pool_nslots != header_nslots: dropped (§5.2) */
    uint64_t results_over_bounds; /* results exceeding the bounds above (pools, tags, string lengths): dropped */
    uint64_t results_ignored;     /* results carried by NOT_FOUND / ERROR responses (§5.2) */
    uint64_t duplicates;          /* same (driver_instance_id, stream_id, epoch) already held (§7) */
    uint64_t stale_epochs;        /* an older epoch of a held (driver_instance_id, stream_id): discarded (§7) */
} tp_discovery_client_counters_t;

/* Defaults: see the field comments. */
void tp_discovery_client_config_init(tp_discovery_client_config_t *config);
void tp_discovery_filter_init(tp_discovery_filter_t *filter);

/*
 * Add the request publication and the response subscription on the client's Aeron and wait for both (the client's
 * start timeout). client must outlive the discovery client.
 */
int tp_discovery_client_start(tp_discovery_client_t **dc, tp_client_t *client,
                              const tp_discovery_client_config_t *config);
int tp_discovery_client_close(tp_discovery_client_t *dc);

/*
 * Start a query: a fresh request_id, the previous results forgotten, the request offered (retried from
 * tp_discovery_query_poll while no provider is connected). 0 / -1 (a filter out of bounds).
 */
int tp_discovery_query_start(tp_discovery_client_t *dc, const tp_discovery_filter_t *filter);

/*
 * Send the request if it could not be offered yet (or again, every resend_interval_ns while unanswered), and
 * deliver responses. Returns the work count, or -1 when
 * the request cannot be sent at all (tp_errmsg). Responses arriving after DONE with the same request_id (a second
 * provider answering) are merged into the results with the same de-duplication.
 */
int tp_discovery_query_poll(tp_discovery_client_t *dc);

tp_discovery_query_state_t tp_discovery_query_state(const tp_discovery_client_t *dc);
uint64_t tp_discovery_query_request_id(const tp_discovery_client_t *dc);
tp_discovery_status_t tp_discovery_query_status(const tp_discovery_client_t *dc);
/* The provider's error_message ("" when none). */
const char *tp_discovery_query_error_message(const tp_discovery_client_t *dc);
size_t tp_discovery_query_result_count(const tp_discovery_client_t *dc);
/* NULL when index is out of range. Valid until the next query_start or close. */
const tp_discovery_result_t *tp_discovery_query_result(const tp_discovery_client_t *dc, size_t index);

const tp_discovery_client_counters_t *tp_discovery_client_counters(const tp_discovery_client_t *dc);

/*
 * Blocking convenience: query by name and / or tags (NULL / 0 = not filtered) until a stream matches or timeout_ns
 * passes, re-asking every 250 ms (a stream may not be indexed yet). Drives the tp_client in invoker mode. On
 * success *result is the match with the newest epoch (the first such when several streams match). 0 found, -1
 * nothing within the timeout or the provider answered ERROR (tp_errmsg says which).
 */
int tp_discovery_find_stream(tp_discovery_client_t *dc, const char *name, const char *const *tags, size_t tag_count,
                             uint64_t timeout_ns, tp_discovery_result_t *result);

/*
 * What a consumer needs to attach to the driver a result names (§7): driver mode on, the context's channel set to
 * the result's driver_control_channel (without its term-length, which sizes only the driver's log) and its control
 * stream id to driver_control_stream_id. The stream id to ask for is result->stream_id. The driver's lease then
 * names the regions; nothing is mapped from the result.
 */
int tp_discovery_context_apply(tp_context_t *ctx, const tp_discovery_result_t *result);

/*
 * The channel to attach through the driver a result names: its driver_control_channel without the term-length
 * parameter (which sizes the driver's own log; a client naming it on its QoS, metadata and descriptor publications
 * would clash with other clients of the same IPC streams). Written NUL-terminated into out; capacity
 * TP_CHANNEL_MAX always suffices.
 */
void tp_discovery_driver_channel(const tp_discovery_result_t *result, char *out, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_DISCOVERY_H */
