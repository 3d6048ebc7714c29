/*
 * tp_demo's consumer process: verifies every frame it is handed (shape, dtype, strides and every payload byte
 * against the pattern of its seq), measures commit -> accept latency from the frame timestamp, prints a status
 * line once a second and the summary line at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tp_atomic.h"
#include "tensorpool/tensorpool.h"
#include "tp_app_histogram.h"
#include "tp_app_pattern.h"
#include "tp_demo.h"

#define STATUS_INTERVAL_NS 1000000000ULL
#define DRAIN_IDLE_NS      300000000ULL
#define DRAIN_MAX_NS       3000000000ULL
#define BAD_REPORTS_MAX    5

typedef struct demo_consumer_stct
{
    const tp_demo_options_t *options;
    tp_app_summary_t summary;
    uint64_t late_after_read; /* the producer overwrote the slot while we verified it */
    uint64_t bytes;
    uint64_t last_frame_ns;
    tp_app_histogram_t interval_latency;
    tp_app_histogram_t total_latency;
} demo_consumer_t;

static void demo_on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    demo_consumer_t *c = clientd;
    const uint64_t now = tp_demo_now_ns();
    const uint64_t stamp = frame->tensor.timestamp_ns;
    tp_app_histogram_record(&c->interval_latency, now > stamp ? now - stamp : 0);
    c->summary.received++;
    c->last_frame_ns = now;

    const bool shape_ok = tp_app_shape_matches(&c->options->shape, &frame->tensor) &&
                          frame->payload_length == c->options->frame_bytes && NULL != frame->payload;
    const bool payload_ok = shape_ok && tp_app_pattern_verify(frame->payload, frame->payload_length, frame->seq);
    /* Only a slot still intact after the check tells us anything: otherwise it was recycled under us (late). */
    if (!tp_consumer_frame_is_intact(frame))
    {
        c->late_after_read++;
        return;
    }
    if (shape_ok && payload_ok)
    {
        c->summary.verified++;
        c->bytes += frame->payload_length;
        return;
    }
    if (c->summary.bad++ < BAD_REPORTS_MAX)
    {
        fprintf(stderr,
                "consumer: BAD frame seq=%" PRIu64 " dtype=%d ndims=%u dim0=%" PRId32 " length=%" PRIu32
                " shape_ok=%d payload_ok=%d\n",
                frame->seq, (int)frame->tensor.dtype, (unsigned)frame->tensor.ndims, frame->tensor.dims[0],
                frame->payload_length, (int)shape_ok, (int)payload_ok);
    }
}

static void demo_consumer_drops(demo_consumer_t *c, const tp_consumer_t *consumer)
{
    const tp_consumer_counters_t *counters = tp_consumer_counters(consumer);
    c->summary.drops_gap = counters->drops_gap;
    c->summary.drops_late = counters->drops_late + c->late_after_read;
}

static void demo_status_print(demo_consumer_t *c, const tp_consumer_t *consumer, double elapsed_s, double interval_s,
                              uint64_t frames, uint64_t bytes)
{
    demo_consumer_drops(c, consumer);
    printf("[%6.1fs] %8.1f frames/s %9.1f MiB/s  latency p50 %7.1f us p99 %7.1f us  drops gap %" PRIu64 " late %" PRIu64
           "  bad %" PRIu64 "\n",
           elapsed_s, (double)frames / interval_s, (double)bytes / interval_s / 1048576.0,
           (double)tp_app_histogram_percentile(&c->interval_latency, 0.5) / 1e3,
           (double)tp_app_histogram_percentile(&c->interval_latency, 0.99) / 1e3, c->summary.drops_gap,
           c->summary.drops_late, c->summary.bad);
    fflush(stdout);
    tp_app_histogram_merge(&c->total_latency, &c->interval_latency);
    tp_app_histogram_reset(&c->interval_latency);
}

/* Mapped, and in driver mode mapped at the epoch the producer attached with (a consumer that attached first sees
 * the epoch bump of the producer's attach and remaps). */
static bool demo_consumer_ready(const tp_demo_options_t *options, tp_consumer_t *consumer, tp_demo_shared_t *shared)
{
    if (!tp_consumer_is_mapped(consumer))
    {
        return false;
    }
    return !options->driver || tp_consumer_epoch(consumer) == tp_load_acquire_u64(&shared->producer_epoch);
}

/* Poll until the regions are mapped (the producer waits for that before streaming). */
static int demo_consumer_map(tp_client_t *client, tp_consumer_t *consumer, demo_consumer_t *c, tp_demo_shared_t *shared)
{
    const uint64_t deadline = tp_demo_now_ns() + 20ULL * 1000000000ULL;
    while (!demo_consumer_ready(c->options, consumer, shared))
    {
        if (0 != tp_load_acquire_i32(&shared->stop_consumer))
        {
            return 1;
        }
        if (tp_demo_now_ns() > deadline)
        {
            fprintf(stderr, "consumer: no usable ShmPoolAnnounce within 20 s (last rejection: '%s')\n",
                    tp_consumer_last_error(consumer));
            return -1;
        }
        int work = tp_consumer_poll(consumer, demo_on_frame, c, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "consumer: %s\n", tp_errmsg());
            return -1;
        }
        tp_client_idle(client, work + client_work);
    }
    tp_store_release_i32(&shared->consumer_mapped, 1);
    return 0;
}

int tp_demo_consumer_run(const tp_demo_options_t *options, tp_demo_shared_t *shared)
{
    static demo_consumer_t c; /* the histograms are large: keep them off the stack */
    memset(&c, 0, sizeof(c));
    c.options = options;

    tp_client_t *client = NULL;
    if (tp_demo_client_start(options, &client) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        return 1;
    }
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = options->stream_id;
    config.consumer_id = TP_DEMO_CONSUMER_ID;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        tp_client_close(client);
        return 1;
    }

    int status = demo_consumer_map(client, consumer, &c, shared) < 0 ? 1 : 0;
    const uint64_t start_ns = tp_demo_now_ns();
    uint64_t status_ns = start_ns;
    uint64_t status_frames = 0;
    uint64_t status_bytes = 0;
    uint64_t drain_start_ns = 0;
    while (0 == status)
    {
        int work = tp_consumer_poll(consumer, demo_on_frame, &c, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "consumer: %s\n", tp_errmsg());
            status = 1;
            break;
        }
        const uint64_t now = tp_demo_now_ns();
        if (now - status_ns >= STATUS_INTERVAL_NS)
        {
            demo_status_print(&c, consumer, (double)(now - start_ns) / 1e9, (double)(now - status_ns) / 1e9,
                              c.summary.received - status_frames, c.bytes - status_bytes);
            status_ns = now;
            status_frames = c.summary.received;
            status_bytes = c.bytes;
        }
        if (0 != tp_load_acquire_i32(&shared->stop_consumer))
        {
            /* The producer has exited: take what is still in flight, then stop once nothing more arrives. */
            if (0 == drain_start_ns)
            {
                drain_start_ns = now;
            }
            const uint64_t last_activity = c.last_frame_ns > drain_start_ns ? c.last_frame_ns : drain_start_ns;
            const uint64_t accounted = c.summary.received + tp_consumer_counters(consumer)->drops_gap +
                                       tp_consumer_counters(consumer)->drops_late;
            if (accounted >= tp_load_acquire_u64(&shared->frames_committed) || now - last_activity > DRAIN_IDLE_NS ||
                now - drain_start_ns > DRAIN_MAX_NS)
            {
                break;
            }
        }
        tp_client_idle(client, work + client_work);
    }

    tp_app_histogram_merge(&c.total_latency, &c.interval_latency);
    demo_consumer_drops(&c, consumer);
    const double seconds = (double)(tp_demo_now_ns() - start_ns) / 1e9;
    char shape[128];
    tp_app_shape_format(&options->shape, shape, sizeof(shape));
    printf("consumer: %s frames of %" PRIu32 " bytes; latency (commit -> accept) p50 %.1f us p99 %.1f us p99.9 %.1f "
           "us max %.1f us; %.1f MiB/s verified over %.1f s\n",
           shape, options->frame_bytes, (double)tp_app_histogram_percentile(&c.total_latency, 0.5) / 1e3,
           (double)tp_app_histogram_percentile(&c.total_latency, 0.99) / 1e3,
           (double)tp_app_histogram_percentile(&c.total_latency, 0.999) / 1e3,
           (double)tp_app_histogram_percentile(&c.total_latency, 1.0) / 1e3,
           seconds > 0 ? (double)c.bytes / seconds / 1048576.0 : 0.0, seconds);
    tp_app_summary_print(stdout, &c.summary);

    tp_consumer_close(consumer);
    tp_client_close(client);
    if (0 != status || c.summary.bad > 0 || 0 == c.summary.received)
    {
        return 1;
    }
    return 0;
}
