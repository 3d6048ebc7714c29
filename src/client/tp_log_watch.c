/* Operator log records derived from core counters, rate-limited (tp_log_watch.h). */
#include <inttypes.h>
#include <string.h>

#include "client/tp_client_private.h"
#include "client/tp_log_watch.h"

/* Other schemas and templates are normal on shared streams (driver and discovery traffic, other consumers'
 * hellos): counted in the line, but only malformed messages (or suppressed events) make one. True when logged. */
static bool tp_log_watch_ignored(tp_log_watch_t *watch, const tp_client_t *client, const char *role, uint32_t id,
                                 uint32_t stream_id, uint64_t interval_ms, uint64_t malformed, uint64_t foreign,
                                 uint64_t unknown)
{
    if (0 == malformed && 0 == watch->events_suppressed)
    {
        return false;
    }
    tp_client_log_event(client, TP_LOG_WARN, role,
                        "messages.ignored %s=%" PRIu32 " stream=%" PRIu32 " malformed=%" PRIu64 " foreign=%" PRIu64
                        " unknown_templates=%" PRIu64 " events_suppressed=%" PRIu64 " interval_ms=%" PRIu64,
                        role, id, stream_id, malformed, foreign, unknown, watch->events_suppressed, interval_ms);
    watch->events_suppressed = 0;
    return true;
}

void tp_log_watch_init(tp_log_watch_t *watch, uint64_t interval_ns)
{
    memset(watch, 0, sizeof(*watch));
    watch->interval_ns = 0 != interval_ns ? interval_ns : TP_LOG_WATCH_INTERVAL_NS;
}

/* Growth of a counter since the snapshot; a counter below it belongs to a restarted core and counts from zero. */
static uint64_t tp_log_watch_delta(uint64_t now, uint64_t was)
{
    return now >= was ? now - was : now;
}

/* True when a state-change line may be logged now; otherwise it is counted for the next summary. */
static bool tp_log_watch_take_event(tp_log_watch_t *watch, uint64_t now_ns)
{
    if (now_ns - watch->window_start_ns >= watch->interval_ns)
    {
        watch->window_start_ns = now_ns;
        watch->events_in_window = 0;
    }
    if (watch->events_in_window < TP_LOG_WATCH_EVENT_BUDGET)
    {
        watch->events_in_window++;
        return true;
    }
    watch->events_suppressed++;
    return false;
}

/* Summaries go out when the first interval has elapsed since the previous one (the first one at once). */
static bool tp_log_watch_summary_due(const tp_log_watch_t *watch, uint64_t now_ns)
{
    return !watch->summarised || now_ns - watch->last_summary_ns >= watch->interval_ns;
}

int tp_log_watch_consumer(tp_log_watch_t *watch, const tp_client_t *client, uint32_t consumer_id, uint32_t stream_id,
                          const tp_consumer_core_t *core, uint64_t now_ns)
{
    if (NULL == core)
    {
        return 0;
    }
    int lines = 0;
    bool mapped = tp_consumer_core_is_mapped(core);
    uint64_t epoch = tp_consumer_core_epoch(core);
    if (mapped != watch->mapped || (mapped && epoch != watch->epoch))
    {
        if (tp_log_watch_take_event(watch, now_ns))
        {
            if (mapped && watch->mapped)
            {
                tp_client_log_event(client, TP_LOG_INFO, "consumer",
                                    "epoch.changed consumer=%" PRIu32 " stream=%" PRIu32 " from=%" PRIu64
                                    " to=%" PRIu64,
                                    consumer_id, stream_id, watch->epoch, epoch);
            }
            else
            {
                tp_client_log_event(
                    client, TP_LOG_INFO, "consumer", "region.%s consumer=%" PRIu32 " stream=%" PRIu32 " epoch=%" PRIu64,
                    mapped ? "mapped" : "unmapped", consumer_id, stream_id, mapped ? epoch : watch->epoch);
            }
            lines++;
        }
        watch->mapped = mapped;
        if (mapped)
        {
            watch->epoch = epoch;
        }
    }
    if (!tp_log_watch_summary_due(watch, now_ns))
    {
        return lines;
    }
    const tp_consumer_counters_t *now = tp_consumer_core_counters(core);
    if (watch->core != (const void *)core || now->frames_accepted < watch->consumer.frames_accepted)
    {
        /* Another core (or one restarted at the same address): its counters start from zero. */
        memset(&watch->consumer, 0, sizeof(watch->consumer));
        watch->core = core;
    }
    const tp_consumer_counters_t *was = &watch->consumer;
    uint64_t interval_ms = watch->summarised ? (now_ns - watch->last_summary_ns) / 1000000 : 0;
    bool any = false;
    if (now->regions_rejected != was->regions_rejected)
    {
        tp_client_log_event(client, TP_LOG_WARN, "consumer",
                            "region.rejected consumer=%" PRIu32 " stream=%" PRIu32 " count=%" PRIu64 " rule=\"%s\"",
                            consumer_id, stream_id, tp_log_watch_delta(now->regions_rejected, was->regions_rejected),
                            tp_consumer_core_last_error(core));
        lines++;
        any = true;
    }
    uint64_t gap = tp_log_watch_delta(now->drops_gap, was->drops_gap);
    uint64_t late = tp_log_watch_delta(now->drops_late, was->drops_late);
    uint64_t invalid = tp_log_watch_delta(now->drops_invalid, was->drops_invalid);
    uint64_t unmapped = tp_log_watch_delta(now->drops_unmapped, was->drops_unmapped);
    if (0 != gap + late + invalid + unmapped)
    {
        tp_client_log_event(
            client, TP_LOG_WARN, "consumer",
            "drops consumer=%" PRIu32 " stream=%" PRIu32 " gap=%" PRIu64 " late=%" PRIu64 " invalid=%" PRIu64
            " unmapped=%" PRIu64 " total_gap=%" PRIu64 " total_late=%" PRIu64 " interval_ms=%" PRIu64,
            consumer_id, stream_id, gap, late, invalid, unmapped, now->drops_gap, now->drops_late, interval_ms);
        lines++;
        any = true;
    }
    if (tp_log_watch_ignored(watch, client, "consumer", consumer_id, stream_id, interval_ms,
                             tp_log_watch_delta(now->malformed_messages, was->malformed_messages),
                             tp_log_watch_delta(now->foreign_messages, was->foreign_messages),
                             tp_log_watch_delta(now->unknown_templates, was->unknown_templates)))
    {
        lines++;
        any = true;
    }
    uint64_t frames = tp_log_watch_delta(now->frames_accepted, was->frames_accepted);
    if (watch->summarised && tp_client_log_enabled(client, TP_LOG_DEBUG))
    {
        tp_client_log_event(
            client, TP_LOG_DEBUG, "consumer",
            "qos consumer=%" PRIu32 " stream=%" PRIu32 " epoch=%" PRIu64 " frames=%" PRIu64 " frames_total=%" PRIu64
            " drops_gap=%" PRIu64 " drops_late=%" PRIu64 " interval_ms=%" PRIu64,
            consumer_id, stream_id, epoch, frames, now->frames_accepted, now->drops_gap, now->drops_late, interval_ms);
        lines++;
        any = true;
    }
    /* Before the first anomaly nothing is logged and the window stays open: the first one is reported at once. */
    if (any || watch->summarised || 0 != frames)
    {
        watch->consumer = *now;
        watch->last_summary_ns = now_ns;
        watch->summarised = true;
    }
    return lines;
}

int tp_log_watch_producer(tp_log_watch_t *watch, const tp_client_t *client, uint32_t producer_id, uint32_t stream_id,
                          const tp_producer_core_t *core, uint64_t now_ns)
{
    if (NULL == core)
    {
        return 0;
    }
    int lines = 0;
    uint64_t epoch = tp_producer_core_epoch(core);
    if (epoch != watch->epoch)
    {
        if (tp_log_watch_take_event(watch, now_ns))
        {
            tp_client_log_event(client, TP_LOG_INFO, "producer",
                                "epoch.changed producer=%" PRIu32 " stream=%" PRIu32 " from=%" PRIu64 " to=%" PRIu64,
                                producer_id, stream_id, watch->epoch, epoch);
            lines++;
        }
        watch->epoch = epoch;
    }
    if (!tp_log_watch_summary_due(watch, now_ns))
    {
        return lines;
    }
    const tp_producer_counters_t *now = tp_producer_core_counters(core);
    if (watch->core != (const void *)core || now->frames_committed < watch->producer.frames_committed)
    {
        /* Driver mode starts a new core for every lease: its counters start from zero. */
        memset(&watch->producer, 0, sizeof(watch->producer));
        watch->core = core;
    }
    const tp_producer_counters_t *was = &watch->producer;
    uint64_t interval_ms = watch->summarised ? (now_ns - watch->last_summary_ns) / 1000000 : 0;
    bool any = false;
    uint64_t no_pool = tp_log_watch_delta(now->drops_no_pool, was->drops_no_pool);
    uint64_t bad_tensor = tp_log_watch_delta(now->drops_bad_tensor, was->drops_bad_tensor);
    uint64_t reused = tp_log_watch_delta(now->descriptors_dropped_reused, was->descriptors_dropped_reused);
    if (0 != no_pool + bad_tensor + reused)
    {
        tp_client_log_event(client, TP_LOG_WARN, "producer",
                            "drops producer=%" PRIu32 " stream=%" PRIu32 " no_pool=%" PRIu64 " bad_tensor=%" PRIu64
                            " descriptors_dropped=%" PRIu64 " interval_ms=%" PRIu64,
                            producer_id, stream_id, no_pool, bad_tensor, reused, interval_ms);
        lines++;
        any = true;
    }
    if (tp_log_watch_ignored(watch, client, "producer", producer_id, stream_id, interval_ms,
                             tp_log_watch_delta(now->malformed_messages, was->malformed_messages),
                             tp_log_watch_delta(now->foreign_messages, was->foreign_messages),
                             tp_log_watch_delta(now->unknown_templates, was->unknown_templates)))
    {
        lines++;
        any = true;
    }
    uint64_t frames = tp_log_watch_delta(now->frames_committed, was->frames_committed);
    if (watch->summarised && tp_client_log_enabled(client, TP_LOG_DEBUG))
    {
        tp_client_log_event(client, TP_LOG_DEBUG, "producer",
                            "qos producer=%" PRIu32 " stream=%" PRIu32 " epoch=%" PRIu64 " frames=%" PRIu64
                            " frames_total=%" PRIu64 " consumers_granted=%" PRIu64 " consumers_stale=%" PRIu64
                            " interval_ms=%" PRIu64,
                            producer_id, stream_id, epoch, frames, now->frames_committed, now->consumers_granted,
                            now->consumers_stale, interval_ms);
        lines++;
        any = true;
    }
    if (any || watch->summarised || 0 != frames)
    {
        watch->producer = *now;
        watch->last_summary_ns = now_ns;
        watch->summarised = true;
    }
    return lines;
}
