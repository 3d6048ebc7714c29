/*
 * Internals of the discovery client (include/tensorpool/tp_discovery.h): the transport-independent collector that
 * turns DiscoveryResponse bytes into the result list of the current query (every §5.2 / §7 client rule lives
 * here, testable without Aeron), the request encoder, and the client object around them.
 */
#ifndef TENSORPOOL_TP_DISCOVERY_CLIENT_PRIVATE_H
#define TENSORPOOL_TP_DISCOVERY_CLIENT_PRIVATE_H

#include "tensorpool/tp_discovery.h"

#define TP_DISCOVERY_CLIENT_ERROR_MAX 1024 /* §5.2: error_message at most 1024 bytes; longer is truncated */
#define TP_DISCOVERY_REQUEST_MAX                          \
    (64 + TP_CHANNEL_MAX + TP_DISCOVERY_RESULT_NAME_MAX + \
     TP_DISCOVERY_FILTER_TAGS_MAX * (4 + TP_DISCOVERY_RESULT_TAG_MAX))

typedef struct tp_discovery_collector_stct
{
    uint64_t request_id;
    tp_discovery_query_state_t state;
    tp_discovery_status_t status;
    char error_message[TP_DISCOVERY_CLIENT_ERROR_MAX + 1];
    tp_discovery_result_t *results; /* grows on demand: queries are setup-time, not hot path */
    size_t count;
    size_t capacity;
    tp_discovery_result_t scratch; /* a result is decoded and checked here before it joins the list */
    tp_discovery_client_counters_t counters;
} tp_discovery_collector_t;

/* A new query: results forgotten, state PENDING, responses to request_id accepted from now on. */
void tp_discovery_collector_reset(tp_discovery_collector_t *collector, uint64_t request_id);
void tp_discovery_collector_close(tp_discovery_collector_t *collector);

/*
 * One received message (SBE header included). 1 = a response to the current query, applied (state DONE);
 * 0 = ignored and counted (another request_id, another schema or template); -1 = malformed (counted) or out of
 * memory for the result list (tp_errmsg).
 */
int tp_discovery_collector_on_message(tp_discovery_collector_t *collector, const uint8_t *buffer, size_t length);

/*
 * Encode a DiscoveryRequest. Returns the length, or 0 with TP_SET_ERR when the filter is out of bounds or does not
 * fit capacity.
 */
size_t tp_discovery_request_encode(const tp_discovery_filter_t *filter, uint64_t request_id, uint32_t client_id,
                                   const char *response_channel, uint32_t response_stream_id, uint8_t *buffer,
                                   size_t capacity);

#endif /* TENSORPOOL_TP_DISCOVERY_CLIENT_PRIVATE_H */
