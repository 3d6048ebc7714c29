/*
 * Response publications of a Discovery Provider over Aeron: a small table keyed by the requester's response
 * endpoint (channel, stream id), shared by the provider embedded in tp_driver and the standalone tp_discoveryd.
 * Publications are added asynchronously on first use and reused; when the table is full the least recently used
 * entry is evicted. A response whose publication is still being added (or not yet connected) is parked, one per
 * endpoint, and retried from tp_discovery_responder_do_work() until TP_DISCOVERY_RESPONDER_PENDING_NS passes, so the
 * agent never blocks on a requester. Single-threaded, driven from the owner's duty cycle.
 */
#ifndef TP_DISCOVERY_RESPONDER_H
#define TP_DISCOVERY_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

#include <aeronc.h>

#include "tensorpool/tp_sink.h"

#define TP_DISCOVERY_RESPONDER_PENDING_NS (UINT64_C(1000) * 1000000) /* how long a response waits for its publication \
                                                                      */

typedef struct tp_discovery_responder_stct tp_discovery_responder_t;

typedef struct tp_discovery_responder_counters_stct
{
    uint64_t responses_sent;
    uint64_t responses_dropped; /* no usable response endpoint, refused publication, or not connected in time */
    uint64_t evictions;         /* entries reused for another endpoint because the table was full */
    uint64_t abandoned_adds;    /* evicted while their add was in flight (left to the Aeron client to finish) */
} tp_discovery_responder_counters_t;

/* A table of capacity (> 0) publications added through aeron, which must outlive the responder. 0 / -1. */
int tp_discovery_responder_init(tp_discovery_responder_t **responder, aeron_t *aeron, size_t capacity);

/* Send one response to target's (channel, stream id), or park it. 0 sent or parked, -1 dropped (counted). */
int tp_discovery_responder_offer(tp_discovery_responder_t *responder, const tp_sink_target_t *target,
                                 const uint8_t *buffer, size_t length);

/* Poll adds in flight and retry parked responses. Returns the work count. */
int tp_discovery_responder_do_work(tp_discovery_responder_t *responder, uint64_t now_ns);

const tp_discovery_responder_counters_t *tp_discovery_responder_counters(const tp_discovery_responder_t *responder);

/* Close every publication (before the Aeron client is closed) and free the table. NULL is a no-op. */
void tp_discovery_responder_close(tp_discovery_responder_t *responder);

#endif /* TP_DISCOVERY_RESPONDER_H */
