/*
 * Rate-limited operator log records for a producer or consumer, derived from its core's counters in the periodic
 * duty (never from claim/commit/poll per frame): state changes (region mapped/unmapped, epoch changed) as they
 * happen within a small per-interval budget, and summaries of drops, rejected regions, malformed or foreign
 * messages and a QoS line at most once per interval. A flood of bad input therefore costs a bounded number of lines.
 */
#ifndef TENSORPOOL_TP_LOG_WATCH_H
#define TENSORPOOL_TP_LOG_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "tensorpool/tp_consumer_core.h"
#include "tensorpool/tp_producer_core.h"

struct tp_client_stct;

#define TP_LOG_WATCH_INTERVAL_NS  (UINT64_C(5) * 1000000000)
#define TP_LOG_WATCH_EVENT_BUDGET 8 /* state-change lines per interval; the rest are counted as suppressed */

typedef struct tp_log_watch_stct
{
    uint64_t interval_ns;
    uint64_t window_start_ns; /* state-change budget window */
    uint64_t last_summary_ns;
    bool summarised;
    uint32_t events_in_window;
    uint64_t events_suppressed;
    uint64_t epoch;
    bool mapped;
    const void *core;                /* the core the snapshot below belongs to (driver mode replaces cores) */
    tp_consumer_counters_t consumer; /* counters at the last summary */
    tp_producer_counters_t producer;
} tp_log_watch_t;

void tp_log_watch_init(tp_log_watch_t *watch, uint64_t interval_ns);

/* Called from the consumer's / producer's duty; client may be NULL (process-wide handler). Returns lines logged. */
int tp_log_watch_consumer(tp_log_watch_t *watch, const struct tp_client_stct *client, uint32_t consumer_id,
                          uint32_t stream_id, const tp_consumer_core_t *core, uint64_t now_ns);
int tp_log_watch_producer(tp_log_watch_t *watch, const struct tp_client_stct *client, uint32_t producer_id,
                          uint32_t stream_id, const tp_producer_core_t *core, uint64_t now_ns);

#endif /* TENSORPOOL_TP_LOG_WATCH_H */
