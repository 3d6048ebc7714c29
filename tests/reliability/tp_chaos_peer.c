/*
 * tp_chaos_peer: the producer and the consumers of scripts/soak.sh and scripts/chaos.sh. Public API only.
 *
 *   tp_chaos_peer producer [options]   overwrite a small ring as fast as asked; --pause-ns stops inside every
 *                                      frame (after claim, half the payload written; then before commit) so that a
 *                                      SIGKILL at a random moment lands between claim and commit
 *   tp_chaos_peer consumer [options]   copy every frame out in two halves with --work-ns of busy work between them,
 *                                      then check the slot is intact and verify every byte of the copy
 *
 * A consumer counts a frame "verified" when the slot was intact after the copy and every byte matched the pattern
 * of its seq, "late" when the slot was overwritten during the copy (the seqlock caught it: discarded), and "bad"
 * when the slot claimed to be intact but a byte, the length or the shape was wrong: a torn or forged frame handed
 * out. Both roles print a "progress ..." line every --progress-ms and a final one; exit 0, 1 after an error
 * (printed), 3 when a frame was bad, 2 for a usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tensorpool/tensorpool.h"
#include "tp_app_context.h"
#include "tp_app_options.h"
#include "tp_app_pattern.h"
#include "tp_app_run.h"

typedef struct peer_options_stct
{
    tp_app_context_options_t context;
    tp_app_stream_options_t stream; /* -s, -n, -r, -d, -m (its shape is unused: frames are --bytes of uint8) */
    bool producer;
    uint32_t id;
    uint64_t bytes;
    uint64_t pause_ns;
    uint64_t work_ns;
    uint64_t progress_ns;
    uint64_t driver_timeout_ms;
} peer_options_t;

enum
{
    OPT_ID = 1000,
    OPT_PAUSE,
    OPT_WORK,
    OPT_PROGRESS,
    OPT_DRIVER_TIMEOUT
};

typedef struct peer_consumer_stct
{
    const peer_options_t *options;
    tp_app_shape_t shape;
    uint8_t *copy;
    uint64_t received;
    uint64_t verified;
    uint64_t late;
    uint64_t bad;
} peer_consumer_t;

static void usage(FILE *out)
{
    fprintf(out, "usage: tp_chaos_peer producer|consumer [options]\n" TP_APP_CONTEXT_USAGE
                 "  -s, --stream-id ID         tensorpool stream id (default 10)\n"
                 "      --id ID                producer id / consumer id (default 1 / the process id)\n"
                 "  -b, --bytes N              payload bytes per frame, 1-D uint8 (default 4096)\n"
                 "  -n, --slots N              producer: header ring slots (default 8)\n"
                 "  -r, --rate HZ              producer: frames per second (default 0 = as fast as possible)\n"
                 "      --pause-ns NS          producer: sleep NS/2 after writing half the payload and NS/2 before\n"
                 "                             commit, in every frame (default 0)\n"
                 "      --work-ns NS           consumer: busy work between copying the two halves (default 0)\n"
                 "  -d, --duration SECONDS     stop after this long (default: until SIGINT/SIGTERM)\n"
                 "  -m, --frames N             stop after N frames sent / verified\n"
                 "      --progress-ms MS       progress line period (default 100)\n"
                 "      --driver-timeout-ms MS media driver liveness timeout (default 2000)\n");
}

static int peer_option(void *options, int opt, const char *arg)
{
    peer_options_t *o = options;
    int shared = tp_app_context_option(&o->context, opt, arg);
    if (0 == shared)
    {
        shared = tp_app_stream_option(&o->stream, opt, arg);
    }
    if (0 != shared)
    {
        return shared;
    }
    uint64_t v = 0;
    int rc = 0;
    switch (opt)
    {
        case OPT_ID:
            rc = tp_app_size_parse("--id", arg, 1, UINT32_MAX, &v);
            o->id = (uint32_t)v;
            break;
        case 'b':
            rc = tp_app_size_parse("--bytes", arg, 1, 1ULL << 30, &o->bytes);
            break;
        case OPT_PAUSE:
            rc = tp_app_size_parse("--pause-ns", arg, 0, 10ULL * 1000 * 1000 * 1000, &o->pause_ns);
            break;
        case OPT_WORK:
            rc = tp_app_size_parse("--work-ns", arg, 0, 10ULL * 1000 * 1000 * 1000, &o->work_ns);
            break;
        case OPT_PROGRESS:
            rc = tp_app_size_parse("--progress-ms", arg, 1, 3600 * 1000, &v);
            o->progress_ns = v * 1000 * 1000;
            break;
        case OPT_DRIVER_TIMEOUT:
            rc = tp_app_size_parse("--driver-timeout-ms", arg, 1, 3600 * 1000, &o->driver_timeout_ms);
            break;
        default:
            return 0;
    }
    return rc < 0 ? -1 : 1;
}

static int parse(int argc, char **argv, peer_options_t *o)
{
    static const struct option long_options[] = {
        TP_APP_CONTEXT_LONG_OPTIONS,
        TP_APP_STREAM_LONG_OPTIONS,
        {"id", required_argument, NULL, OPT_ID},
        {"bytes", required_argument, NULL, 'b'},
        {"slots", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"pause-ns", required_argument, NULL, OPT_PAUSE},
        {"work-ns", required_argument, NULL, OPT_WORK},
        {"progress-ms", required_argument, NULL, OPT_PROGRESS},
        {"driver-timeout-ms", required_argument, NULL, OPT_DRIVER_TIMEOUT},
        {NULL, 0, NULL, 0},
    };
    static const tp_app_cli_t cli = {
        .program = "tp_chaos_peer",
        .short_options = TP_APP_CONTEXT_SHORT_OPTIONS "s:b:n:r:d:m:h",
        .long_options = long_options,
        .usage = usage,
        .option = peer_option,
    };
    memset(o, 0, sizeof(*o));
    tp_app_context_options_init(&o->context);
    tp_app_stream_options_init(&o->stream);
    o->stream.slots = 8;
    o->bytes = 4096;
    o->progress_ns = 100 * 1000 * 1000ULL;
    o->driver_timeout_ms = 2000;
    if (argc < 2 || (0 != strcmp(argv[1], "producer") && 0 != strcmp(argv[1], "consumer")))
    {
        if (argc >= 2 && (0 == strcmp(argv[1], "--help") || 0 == strcmp(argv[1], "-h")))
        {
            usage(stdout);
            exit(EXIT_SUCCESS);
        }
        usage(stderr);
        return -1;
    }
    o->producer = 0 == strcmp(argv[1], "producer");
    return tp_app_options_parse(&cli, argc, argv, 2, o);
}

static int client_start(const peer_options_t *o, tp_client_t **client)
{
    tp_context_t *ctx = NULL;
    int rc = 0;
    if (tp_app_context_create(&o->context, &ctx) < 0 ||
        tp_context_set_driver_timeout_ms(ctx, o->driver_timeout_ms) < 0 || tp_client_start(client, ctx) < 0)
    {
        fprintf(stderr, "tp_chaos_peer: %s\n", tp_errmsg());
        rc = -1;
    }
    tp_context_close(ctx);
    return rc;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

/* Busy work the compiler cannot drop: a slow consumer that keeps its core. */
static void spin_ns(uint64_t ns)
{
    const uint64_t end = tp_app_now_ns() + ns;
    while (tp_app_now_ns() < end)
    {
    }
}

static int run_producer(const peer_options_t *o, tp_client_t *client)
{
    tp_app_shape_t shape = {.dtype = TP_DTYPE_UINT8, .ndims = 1, .dims = {(int32_t)o->bytes}};
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = o->stream.stream_id;
    config.producer_id = 0 != o->id ? o->id : 1;
    config.header_nslots = o->stream.slots;
    config.pool_count = 1;
    config.pools[0] =
        (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = (uint32_t)tp_app_next_pow2(o->bytes, 4096)};
    snprintf(config.source_name, sizeof(config.source_name), "tp_chaos_peer");
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "tp_chaos_peer producer: %s\n", tp_errmsg());
        return 1;
    }
    printf("tp_chaos_peer producer: pid %d stream %" PRIu32 " epoch %" PRIu64 "\n", (int)getpid(), o->stream.stream_id,
           tp_producer_epoch(producer));
    fflush(stdout);

    tp_tensor_desc_t desc;
    tp_app_shape_to_desc(&shape, &desc);
    const uint64_t half = o->bytes / 2;
    const uint64_t period_ns = o->stream.rate_hz > 0 ? (uint64_t)(1e9 / o->stream.rate_hz) : 0;
    const uint64_t start_ns = tp_app_now_ns();
    uint64_t next_ns = start_ns;
    uint64_t next_progress_ns = start_ns + o->progress_ns;
    uint64_t sent = 0;
    uint64_t refused = 0;
    int status = 0;
    while (tp_app_is_running() && (0 == o->stream.frames || sent < o->stream.frames))
    {
        uint64_t now = tp_app_now_ns();
        if (0 != o->stream.duration_ns && now - start_ns >= o->stream.duration_ns)
        {
            break;
        }
        if (now >= next_progress_ns)
        {
            next_progress_ns = now + o->progress_ns;
            printf("progress sent=%" PRIu64 " refused=%" PRIu64 " epoch=%" PRIu64 " lease=%s\n", sent, refused,
                   tp_producer_epoch(producer), tp_lease_state_name(tp_producer_lease_state(producer)));
            fflush(stdout);
        }
        int work = tp_producer_poll(producer, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "tp_chaos_peer producer: %s\n", tp_errmsg());
            status = 1;
            break;
        }
        if (now < next_ns)
        {
            tp_client_idle(client, work + client_work);
            continue;
        }
        next_ns = 0 == period_ns ? now : next_ns + period_ns;
        tp_producer_claim_t claim;
        int rc = tp_producer_claim(producer, (uint32_t)o->bytes, &desc, &claim);
        if (TP_PRODUCER_OK != rc)
        {
            refused++;
            tp_client_idle(client, 0);
            continue;
        }
        /* Fill the whole pattern, then tear it visibly: the second half is rewritten after the pause, so a frame
         * committed (or read) half-way would not verify. */
        tp_app_pattern_fill(claim.payload, o->bytes, claim.seq);
        if (0 != o->pause_ns)
        {
            memset(claim.payload + half, 0xA5, o->bytes - half);
            sleep_ns(o->pause_ns / 2);
            tp_app_pattern_fill(claim.payload, o->bytes, claim.seq);
            sleep_ns(o->pause_ns - o->pause_ns / 2);
        }
        rc = tp_producer_commit(producer, &claim, &desc, tp_app_now_ns());
        if (rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc)
        {
            sent++;
        }
        else
        {
            refused++;
        }
    }
    printf("final sent=%" PRIu64 " refused=%" PRIu64 " epoch=%" PRIu64 "\n", sent, refused,
           tp_producer_epoch(producer));
    fflush(stdout);
    tp_producer_close(producer);
    return status;
}

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    peer_consumer_t *c = clientd;
    const uint64_t bytes = c->options->bytes;
    c->received++;
    if (frame->payload_length != bytes || NULL == frame->payload)
    {
        if (tp_consumer_frame_is_intact(frame))
        {
            c->bad++;
            fprintf(stderr, "tp_chaos_peer consumer: seq %" PRIu64 " has length %" PRIu32 ", expected %" PRIu64 "\n",
                    frame->seq, frame->payload_length, bytes);
        }
        else
        {
            c->late++;
        }
        return;
    }
    /* Copy out in two halves with work between them, the way a slow reader exposes a concurrent overwrite. */
    const uint64_t half = bytes / 2;
    memcpy(c->copy, frame->payload, half);
    if (0 != c->options->work_ns)
    {
        spin_ns(c->options->work_ns);
    }
    memcpy(c->copy + half, frame->payload + half, bytes - half);
    if (!tp_consumer_frame_is_intact(frame))
    {
        c->late++;
        return;
    }
    if (tp_app_shape_matches(&c->shape, &frame->tensor) && tp_app_pattern_verify(c->copy, bytes, frame->seq))
    {
        c->verified++;
    }
    else
    {
        c->bad++;
        fprintf(stderr, "tp_chaos_peer consumer: seq %" PRIu64 " failed verification though intact\n", frame->seq);
    }
}

static void consumer_line(const char *what, const peer_consumer_t *c, const tp_consumer_t *consumer)
{
    const tp_consumer_counters_t *counters = tp_consumer_counters(consumer);
    printf("%s received=%" PRIu64 " verified=%" PRIu64 " late=%" PRIu64 " bad=%" PRIu64 " gap=%" PRIu64
           " drops_late=%" PRIu64 " mapped=%d epoch=%" PRIu64 "\n",
           what, c->received, c->verified, c->late, c->bad, counters->drops_gap, counters->drops_late,
           tp_consumer_is_mapped(consumer) ? 1 : 0, tp_consumer_epoch(consumer));
    fflush(stdout);
}

static int run_consumer(const peer_options_t *o, tp_client_t *client)
{
    peer_consumer_t c = {.options = o};
    c.shape = (tp_app_shape_t){.dtype = TP_DTYPE_UINT8, .ndims = 1, .dims = {(int32_t)o->bytes}};
    c.copy = malloc(o->bytes);
    if (NULL == c.copy)
    {
        fprintf(stderr, "tp_chaos_peer consumer: out of memory for %" PRIu64 " bytes\n", o->bytes);
        return 1;
    }
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = o->stream.stream_id;
    config.consumer_id = 0 != o->id ? o->id : (uint32_t)getpid();
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "tp_chaos_peer consumer: %s\n", tp_errmsg());
        free(c.copy);
        return 1;
    }
    printf("tp_chaos_peer consumer: pid %d stream %" PRIu32 "\n", (int)getpid(), o->stream.stream_id);
    fflush(stdout);
    const uint64_t start_ns = tp_app_now_ns();
    uint64_t next_progress_ns = start_ns + o->progress_ns;
    int status = 0;
    while (tp_app_is_running() && (0 == o->stream.frames || c.verified < o->stream.frames))
    {
        uint64_t now = tp_app_now_ns();
        if (0 != o->stream.duration_ns && now - start_ns >= o->stream.duration_ns)
        {
            break;
        }
        if (now >= next_progress_ns)
        {
            next_progress_ns = now + o->progress_ns;
            consumer_line("progress", &c, consumer);
        }
        int work = tp_consumer_poll(consumer, on_frame, &c, 10);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "tp_chaos_peer consumer: %s\n", tp_errmsg());
            status = 1;
            break;
        }
        tp_client_idle(client, work + client_work);
    }
    consumer_line("final", &c, consumer);
    tp_consumer_close(consumer);
    free(c.copy);
    return 0 != c.bad ? 3 : status;
}

int main(int argc, char **argv)
{
    peer_options_t o;
    if (parse(argc, argv, &o) < 0)
    {
        return 2;
    }
    tp_app_signals_install();
    tp_client_t *client = NULL;
    if (client_start(&o, &client) < 0)
    {
        return 1;
    }
    int status = o.producer ? run_producer(&o, client) : run_consumer(&o, client);
    tp_client_close(client);
    return status;
}
