/*
 * tp_top: a live view of a running tensorpool system from the shared control, descriptor, QoS and metadata streams:
 * per stream the producer, epoch, frames/s and MiB/s, last activity (stale streams flagged), and its consumers with
 * mode, lag, drops and per-consumer streams, plus lease state and age when an SHM driver is present. Refreshes each
 * interval on a terminal (plain blocks when stdout is not a tty); --once prints one report after --duration, --json
 * as one JSON document.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <aeronc.h>

#include "tp_app_aeron.h"
#include "tp_app_options.h"
#include "tp_app_run.h"
#include "tp_top_model.h"

#define TP_TOP_EXIT_UNHEALTHY 1
#define TP_TOP_EXIT_ERROR     2
#define TP_TOP_SUBS           4

static const char usage_str[] =
    "Usage: tp_top [-h] [--json] [--once] [-p DIR] [--interval S] [--duration S] [--stale-ms MS] [--channel CH]\n"
    "              [--control-stream-id N] [--descriptor-stream-id N] [--qos-stream-id N] [--metadata-stream-id N]\n"
    "Live view of the tensorpool streams on a host: producer, epoch, frames/s, MiB/s, consumers with mode, lag and\n"
    "drops, leases when an SHM driver is present, last activity (stale streams flagged).\n"
    "    -h, --help                  this help\n"
    "    --json                      JSON instead of text (with --once: one document; live: one document a refresh)\n"
    "    --once                      gather for --duration, print one report and exit\n"
    "    -p, --aeron-dir DIR         Aeron directory (default AERON_DIR or the Aeron default)\n"
    "    -i, --interval S            refresh / rate window in seconds (default 1)\n"
    "    -d, --duration S            stop after S seconds (default: until Ctrl-C; with --once 2)\n"
    "    --stale-ms MS               a stream or consumer silent this long is stale (default 3000)\n"
    "    --channel CH                channel of the shared streams (default aeron:ipc)\n"
    "    --control-stream-id N       default 1000\n"
    "    --descriptor-stream-id N    default 1100\n"
    "    --qos-stream-id N           default 1200\n"
    "    --metadata-stream-id N      default 1300\n"
    "Exit status: 0 streams found and none stale, 1 nothing found or a stale stream, 2 usage or I/O error.\n";

typedef struct tp_top_stct
{
    tp_top_model_t model;
    bool json;
    bool tty;
    uint64_t stale_ns;
    uint64_t interval_ns;
} tp_top_t;

static void tp_top_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_top_t *top = clientd;
    tp_top_model_on_message(&top->model, buffer, length, tp_app_now_ns());
}

static uint64_t tp_top_age_ms(uint64_t now_ns, uint64_t then_ns)
{
    return 0 == then_ns || then_ns > now_ns ? 0 : (now_ns - then_ns) / 1000000;
}

static bool tp_top_stream_stale(const tp_top_t *top, const tp_top_stream_t *s, uint64_t now_ns)
{
    return 0 == s->last_activity_ns || now_ns - s->last_activity_ns > top->stale_ns;
}

static bool tp_top_consumer_stale(const tp_top_t *top, const tp_top_consumer_t *c, uint64_t now_ns)
{
    return now_ns - c->last_activity_ns > top->stale_ns;
}

static void tp_top_print_lease_json(const tp_top_lease_t *lease, uint64_t now_ns)
{
    if (NULL == lease)
    {
        printf("null");
        return;
    }
    printf("{\"lease_id\":%" PRIu64 ",\"state\":\"%s\",\"age_ms\":", lease->lease_id,
           tp_top_lease_state_name(lease->state));
    /* A lease granted before tp_top started is known from its keepalives: its age is unknown. */
    if (0 == lease->granted_ns)
    {
        printf("null");
    }
    else
    {
        printf("%" PRIu64, tp_top_age_ms(now_ns, lease->granted_ns));
    }
    printf(",\"keepalive_age_ms\":");
    if (0 == lease->last_keepalive_ns)
    {
        printf("null}");
    }
    else
    {
        printf("%" PRIu64 "}", tp_top_age_ms(now_ns, lease->last_keepalive_ns));
    }
}

/* Returns true when the report is healthy: at least one stream and none stale. */
static bool tp_top_print_json(const tp_top_t *top, uint64_t now_ns)
{
    const tp_top_model_t *m = &top->model;
    bool healthy = 0 != m->stream_count;
    printf("{\"tool\":\"tp_top\",\"interval_ms\":%" PRIu64 ",\"stale_ms\":%" PRIu64
           ",\"driver\":%s,\"messages\":%" PRIu64 ",\"ignored\":%" PRIu64 ",\"streams\":[",
           top->interval_ns / 1000000, top->stale_ns / 1000000, m->driver_seen ? "true" : "false", m->messages,
           m->ignored);
    for (size_t i = 0; i < m->stream_count; i++)
    {
        const tp_top_stream_t *s = &m->streams[i];
        bool stale = tp_top_stream_stale(top, s, now_ns);
        healthy = healthy && !stale;
        printf("%s{\"stream_id\":%" PRIu32 ",\"producer_id\":%" PRIu32 ",\"epoch\":%" PRIu64 ",\"current_seq\":",
               0 == i ? "" : ",", s->stream_id, s->producer_id, s->epoch);
        if (s->has_seq)
        {
            printf("%" PRIu64, s->current_seq);
        }
        else
        {
            printf("null");
        }
        printf(",\"frames_per_s\":%.3f,\"mib_per_s\":%.3f,\"last_activity_ms\":%" PRIu64 ",\"stale\":%s,"
               "\"producer_lease\":",
               s->frames_per_s, s->mib_per_s, tp_top_age_ms(now_ns, s->last_activity_ns), stale ? "true" : "false");
        tp_top_print_lease_json(m->driver_seen ? tp_top_model_lease(m, s->stream_id, s->producer_id, 1) : NULL, now_ns);
        printf(",\"consumer_count\":%zu,\"consumers\":[", s->consumer_count);
        for (size_t j = 0; j < s->consumer_count; j++)
        {
            const tp_top_consumer_t *c = &s->consumers[j];
            printf("%s{\"consumer_id\":%" PRIu32 ",\"mode\":\"%s\",\"epoch\":%" PRIu64 ",\"last_seq_seen\":%" PRIu64
                   ",\"lag\":",
                   0 == j ? "" : ",", c->consumer_id, tp_top_mode_name(c->mode), c->epoch, c->last_seq_seen);
            if (c->has_lag)
            {
                printf("%" PRIu64, c->lag);
            }
            else
            {
                printf("null");
            }
            printf(",\"drops_gap\":%" PRIu64 ",\"drops_late\":%" PRIu64 ",\"descriptor_stream_id\":%" PRIu32
                   ",\"control_stream_id\":%" PRIu32 ",\"last_activity_ms\":%" PRIu64 ",\"stale\":%s,\"lease\":",
                   c->drops_gap, c->drops_late, c->descriptor_stream_id, c->control_stream_id,
                   tp_top_age_ms(now_ns, c->last_activity_ns),
                   tp_top_consumer_stale(top, c, now_ns) ? "true" : "false");
            tp_top_print_lease_json(m->driver_seen ? tp_top_model_lease(m, s->stream_id, c->consumer_id, 2) : NULL,
                                    now_ns);
            putchar('}');
        }
        printf("]}");
    }
    printf("],\"healthy\":%s}\n", healthy ? "true" : "false");
    return healthy;
}

static void tp_top_lease_text(char *out, size_t capacity, const tp_top_lease_t *lease, uint64_t now_ns)
{
    if (NULL == lease)
    {
        snprintf(out, capacity, "-");
        return;
    }
    if (0 == lease->granted_ns)
    {
        snprintf(out, capacity, "%s %" PRIu64 " age ?", tp_top_lease_state_name(lease->state), lease->lease_id);
        return;
    }
    snprintf(out, capacity, "%s %" PRIu64 " %.1fs", tp_top_lease_state_name(lease->state), lease->lease_id,
             (double)tp_top_age_ms(now_ns, lease->granted_ns) / 1000.0);
}

static bool tp_top_print_text(const tp_top_t *top, uint64_t now_ns)
{
    const tp_top_model_t *m = &top->model;
    bool healthy = 0 != m->stream_count;
    const char *red = top->tty ? "\033[1;31m" : "";
    const char *reset = top->tty ? "\033[0m" : "";
    if (top->tty)
    {
        fputs("\033[H\033[2J", stdout);
    }
    printf("tp_top: %zu stream(s)%s, %" PRIu64 " messages (%" PRIu64 " ignored)\n", m->stream_count,
           m->driver_seen ? ", SHM driver present" : "", m->messages, m->ignored);
    printf("%-8s %-9s %-18s %12s %10s %10s %8s %-24s\n", "STREAM", "PRODUCER", "EPOCH", "SEQ", "FRAMES/S", "MIB/S",
           "IDLE", "LEASE");
    for (size_t i = 0; i < m->stream_count; i++)
    {
        const tp_top_stream_t *s = &m->streams[i];
        bool stale = tp_top_stream_stale(top, s, now_ns);
        healthy = healthy && !stale;
        char lease[64];
        tp_top_lease_text(lease, sizeof(lease),
                          m->driver_seen ? tp_top_model_lease(m, s->stream_id, s->producer_id, 1) : NULL, now_ns);
        printf("%s%-8" PRIu32 " %-9" PRIu32 " %-18" PRIu64 " %12" PRIu64 " %10.1f %10.1f %7.1fs %-24s%s%s\n",
               stale ? red : "", s->stream_id, s->producer_id, s->epoch, s->current_seq, s->frames_per_s, s->mib_per_s,
               (double)tp_top_age_ms(now_ns, s->last_activity_ns) / 1000.0, lease, stale ? " STALE" : "",
               stale ? reset : "");
        for (size_t j = 0; j < s->consumer_count; j++)
        {
            const tp_top_consumer_t *c = &s->consumers[j];
            bool c_stale = tp_top_consumer_stale(top, c, now_ns);
            char streams[48] = "shared";
            if (0 != c->descriptor_stream_id || 0 != c->control_stream_id)
            {
                snprintf(streams, sizeof(streams), "desc %" PRIu32 " ctl %" PRIu32, c->descriptor_stream_id,
                         c->control_stream_id);
            }
            tp_top_lease_text(lease, sizeof(lease),
                              m->driver_seen ? tp_top_model_lease(m, s->stream_id, c->consumer_id, 2) : NULL, now_ns);
            printf("%s  consumer %-6" PRIu32 " %-12s lag %-8" PRIu64 " drops gap %-8" PRIu64 " late %-8" PRIu64
                   " %-22s idle %5.1fs %s%s%s\n",
                   c_stale ? red : "", c->consumer_id, tp_top_mode_name(c->mode), c->lag, c->drops_gap, c->drops_late,
                   streams, (double)tp_top_age_ms(now_ns, c->last_activity_ns) / 1000.0, lease, c_stale ? " STALE" : "",
                   c_stale ? reset : "");
        }
    }
    if (!top->tty)
    {
        putchar('\n');
    }
    fflush(stdout);
    return healthy;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"once", no_argument, NULL, 'o'},
                                            {"aeron-dir", required_argument, NULL, 'p'},
                                            {"interval", required_argument, NULL, 'i'},
                                            {"duration", required_argument, NULL, 'd'},
                                            {"stale-ms", required_argument, NULL, 'S'},
                                            {"channel", required_argument, NULL, 'c'},
                                            {"control-stream-id", required_argument, NULL, 'C'},
                                            {"descriptor-stream-id", required_argument, NULL, 'D'},
                                            {"qos-stream-id", required_argument, NULL, 'Q'},
                                            {"metadata-stream-id", required_argument, NULL, 'M'},
                                            {NULL, 0, NULL, 0}};
    static tp_top_t top;
    const char *dir = NULL;
    const char *channel = "aeron:ipc";
    uint64_t stream_ids[TP_TOP_SUBS] = {1000, 1100, 1200, 1300};
    bool once = false;
    uint64_t duration_ns = UINT64_MAX; /* until Ctrl-C */
    uint64_t stale_ms = 3000;
    top.interval_ns = 1000000000ULL;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "hp:i:d:", options, NULL)) != -1)
    {
        int index = -1;
        switch (opt)
        {
            case 'h':
                fputs(usage_str, stdout);
                return 0;
            case 'j':
                top.json = true;
                break;
            case 'o':
                once = true;
                break;
            case 'p':
                dir = optarg;
                break;
            case 'i':
                if (tp_app_seconds_parse("--interval", optarg, false, &top.interval_ns) < 0)
                {
                    return TP_TOP_EXIT_ERROR;
                }
                break;
            case 'd':
                if (tp_app_seconds_parse("--duration", optarg, false, &duration_ns) < 0)
                {
                    return TP_TOP_EXIT_ERROR;
                }
                break;
            case 'S':
                if (tp_app_size_parse("--stale-ms", optarg, 1, UINT64_MAX / 1000000ULL, &stale_ms) < 0)
                {
                    return TP_TOP_EXIT_ERROR;
                }
                break;
            case 'c':
                channel = optarg;
                break;
            case 'C':
                index = 0;
                break;
            case 'D':
                index = 1;
                break;
            case 'Q':
                index = 2;
                break;
            case 'M':
                index = 3;
                break;
            default:
                fprintf(stderr, "tp_top: unknown or incomplete option '%s' (try --help)\n", argv[optind - 1]);
                return TP_TOP_EXIT_ERROR;
        }
        static const char *const stream_options[TP_TOP_SUBS] = {"--control-stream-id", "--descriptor-stream-id",
                                                                "--qos-stream-id", "--metadata-stream-id"};
        if (index >= 0 && tp_app_size_parse(stream_options[index], optarg, 1, INT32_MAX, &stream_ids[index]) < 0)
        {
            return TP_TOP_EXIT_ERROR;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_top: unexpected argument '%s' (try --help)\n", argv[optind]);
        return TP_TOP_EXIT_ERROR;
    }
    if (once && UINT64_MAX == duration_ns)
    {
        duration_ns = 2000000000ULL;
    }
    top.stale_ns = stale_ms * 1000000ULL;
    top.tty = !top.json && isatty(STDOUT_FILENO);
    tp_top_model_init(&top.model, true);
    tp_app_signals_install();

    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_subscription_t *subs[TP_TOP_SUBS] = {0};
    aeron_fragment_assembler_t *assembler = NULL;
    int status = TP_TOP_EXIT_ERROR;
    if (tp_app_aeron_connect("tp_top", dir, &context, &aeron) < 0)
    {
        goto done;
    }
    if (aeron_fragment_assembler_create(&assembler, tp_top_on_fragment, &top) < 0)
    {
        tp_app_aeron_error("tp_top", "aeron_fragment_assembler_create");
        goto done;
    }
    for (int i = 0; i < TP_TOP_SUBS; i++)
    {
        bool duplicate = false;
        for (int j = 0; j < i; j++)
        {
            duplicate = duplicate || stream_ids[j] == stream_ids[i];
        }
        if (duplicate)
        {
            continue; /* one subscription per stream id: a message must not be counted twice */
        }
        if (tp_app_aeron_subscribe("tp_top", aeron, channel, (int32_t)stream_ids[i], &subs[i]) < 0)
        {
            goto done;
        }
    }

    uint64_t start = tp_app_now_ns();
    uint64_t interval_ns = top.interval_ns;
    uint64_t end = UINT64_MAX == duration_ns ? UINT64_MAX : start + duration_ns;
    uint64_t next_refresh = start + interval_ns;
    bool healthy = false;
    while (tp_app_is_running())
    {
        int work = 0;
        for (int i = 0; i < TP_TOP_SUBS; i++)
        {
            if (NULL != subs[i])
            {
                int rc = aeron_subscription_poll(subs[i], aeron_fragment_assembler_handler, assembler, 64);
                work += rc > 0 ? rc : 0;
            }
        }
        uint64_t now = tp_app_now_ns();
        if (now >= end)
        {
            break;
        }
        if (!once && now >= next_refresh)
        {
            tp_top_model_roll(&top.model, now);
            healthy = top.json ? tp_top_print_json(&top, now) : tp_top_print_text(&top, now);
            next_refresh = now + interval_ns;
        }
        if (aeron_is_closed(aeron))
        {
            fprintf(stderr, "tp_top: the media driver went away\n");
            goto done;
        }
        if (0 == work)
        {
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
    uint64_t now = tp_app_now_ns();
    if (once || next_refresh - interval_ns < now)
    {
        /* --once: the rates are averaged over the whole gathering time (one window). */
        tp_top_model_roll(&top.model, now);
        healthy = top.json ? tp_top_print_json(&top, now) : tp_top_print_text(&top, now);
    }
    status = healthy ? 0 : TP_TOP_EXIT_UNHEALTHY;

done:
    for (int i = 0; i < TP_TOP_SUBS; i++)
    {
        if (NULL != subs[i])
        {
            aeron_subscription_close(subs[i], NULL, NULL);
        }
    }
    tp_app_aeron_close(context, aeron);
    if (NULL != assembler)
    {
        aeron_fragment_assembler_delete(assembler);
    }
    tp_top_model_close(&top.model);
    return status;
}
