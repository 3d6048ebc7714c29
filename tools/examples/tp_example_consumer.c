/*
 * tp_example_consumer: follows a tensorpool stream and verifies every frame it is handed against the test
 * pattern of its seq (tp_app_pattern.h) and the expected shape. Needs a running media driver (-p or AERON_DIR).
 * Ends with the line scripts read:
 *
 *   received=<n> verified=<n> bad=<n> drops_gap=<n> drops_late=<n>
 *
 * and exits non-zero when a frame failed verification or none arrived.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensorpool/tensorpool.h"
#include "tensorpool/tp_discovery.h"
#include "tp_app_context.h"
#include "tp_app_options.h"
#include "tp_app_pattern.h"
#include "tp_app_run.h"

typedef struct consumer_options_stct
{
    tp_app_context_options_t context;
    tp_app_stream_options_t stream; /* -s, --shape, -t, -d, -m */
    uint32_t consumer_id;
    bool per_consumer_stream;
    bool verbose;
    /* Find the stream through discovery (--name / --tag) instead of -s. */
    const char *name;
    const char *tags[TP_DISCOVERY_FILTER_TAGS_MAX];
    size_t tag_count;
    const char *discovery_channel;          /* NULL: the context's channel */
    const char *discovery_response_channel; /* NULL: discovery_channel */
    uint32_t discovery_stream_id;           /* 0: the control stream (the driver's embedded provider) */
    uint64_t discovery_timeout_ns;
    char driver_channel[TP_CHANNEL_MAX]; /* the discovered driver's control channel, as a client names it */
} consumer_options_t;

enum
{
    OPT_CONSUMER_ID = 1000,
    OPT_OWN_STREAM,
    OPT_NAME,
    OPT_TAG,
    OPT_DISCOVERY_CHANNEL,
    OPT_DISCOVERY_RESPONSE_CHANNEL,
    OPT_DISCOVERY_STREAM,
    OPT_DISCOVERY_TIMEOUT
};

typedef struct verifier_stct
{
    const tp_app_shape_t *shape;
    uint64_t frame_bytes;
    tp_app_summary_t summary;
    uint64_t late_after_read;
} verifier_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tp_example_consumer [options]\n" TP_APP_CONTEXT_USAGE
            "  -s, --stream-id ID         tensorpool stream id (default 10)\n"
            "      --consumer-id ID       unique per consumer (default: the process id)\n"
            "      --shape DIMS           the shape frames must have (default 1080x1920)\n"
            "  -t, --dtype NAME           the element type frames must have (default uint16)\n"
            "  -d, --duration SECONDS     stop after this long (default: until Ctrl-C)\n"
            "  -m, --frames N             stop after N received frames\n"
            "      --own-stream           ask for a per-consumer descriptor stream\n"
            "  -v, --verbose              print the consumer's counters before the summary line\n"
            "finding the stream through discovery (instead of -s):\n"
            "      --name NAME            data source name, exact\n"
            "      --tag TAG              repeatable; every tag must be on the stream\n"
            "      --discovery-channel URI     provider's request channel (default: --channel)\n"
            "      --discovery-response-channel URI  where answers come back (default: --discovery-channel;\n"
            "                             across hosts an endpoint of this host, e.g. aeron:udp?endpoint=ME:40458)\n"
            "      --discovery-stream-id ID    provider's request stream (default: the control stream, where\n"
            "                             tp_driver answers; tp_discoveryd's registry.stream_id for the registry)\n"
            "      --discovery-timeout SECONDS how long to look for the stream (default 10)\n"
            "  With --driver the consumer attaches through the driver the result names (its control channel\n"
            "  and stream); without, it follows the found stream id in standalone mode.\n");
}

static int consumer_option(void *options, int opt, const char *arg)
{
    consumer_options_t *o = options;
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
        case OPT_CONSUMER_ID:
            rc = tp_app_size_parse("--consumer-id", arg, 1, UINT32_MAX, &v);
            o->consumer_id = (uint32_t)v;
            break;
        case OPT_OWN_STREAM:
            o->per_consumer_stream = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case OPT_NAME:
            o->name = arg;
            break;
        case OPT_TAG:
            if (o->tag_count == TP_DISCOVERY_FILTER_TAGS_MAX)
            {
                fprintf(stderr, "--tag: at most %d tags\n", TP_DISCOVERY_FILTER_TAGS_MAX);
                return -1;
            }
            o->tags[o->tag_count++] = arg;
            break;
        case OPT_DISCOVERY_CHANNEL:
            o->discovery_channel = arg;
            break;
        case OPT_DISCOVERY_RESPONSE_CHANNEL:
            o->discovery_response_channel = arg;
            break;
        case OPT_DISCOVERY_STREAM:
            rc = tp_app_size_parse("--discovery-stream-id", arg, 1, INT32_MAX, &v);
            o->discovery_stream_id = (uint32_t)v;
            break;
        case OPT_DISCOVERY_TIMEOUT:
            rc = tp_app_seconds_parse("--discovery-timeout", arg, false, &o->discovery_timeout_ns);
            break;
        default:
            return 0;
    }
    return rc < 0 ? -1 : 1;
}

static int parse(int argc, char **argv, consumer_options_t *o)
{
    static const struct option long_options[] = {
        TP_APP_CONTEXT_LONG_OPTIONS,
        TP_APP_STREAM_LONG_OPTIONS,
        {"consumer-id", required_argument, NULL, OPT_CONSUMER_ID},
        {"shape", required_argument, NULL, TP_APP_OPT_SHAPE},
        {"dtype", required_argument, NULL, 't'},
        {"own-stream", no_argument, NULL, OPT_OWN_STREAM},
        {"verbose", no_argument, NULL, 'v'},
        {"name", required_argument, NULL, OPT_NAME},
        {"tag", required_argument, NULL, OPT_TAG},
        {"discovery-channel", required_argument, NULL, OPT_DISCOVERY_CHANNEL},
        {"discovery-response-channel", required_argument, NULL, OPT_DISCOVERY_RESPONSE_CHANNEL},
        {"discovery-stream-id", required_argument, NULL, OPT_DISCOVERY_STREAM},
        {"discovery-timeout", required_argument, NULL, OPT_DISCOVERY_TIMEOUT},
        {NULL, 0, NULL, 0},
    };
    static const tp_app_cli_t cli = {
        .short_options = TP_APP_CONTEXT_SHORT_OPTIONS "s:t:d:m:vh",
        .long_options = long_options,
        .usage = usage,
        .option = consumer_option,
    };
    memset(o, 0, sizeof(*o));
    tp_app_context_options_init(&o->context);
    tp_app_stream_options_init(&o->stream);
    o->consumer_id = 0;
    o->discovery_timeout_ns = UINT64_C(10000000000);
    return tp_app_options_parse(&cli, argc, argv, 1, o);
}

/*
 * --name / --tag: ask the discovery provider for the stream, then point the options at it: its stream id, and with
 * --driver the driver the result names (§7: the driver's lease names the regions; nothing is mapped from here).
 */
static int find_through_discovery(consumer_options_t *o, tp_discovery_result_t *found)
{
    tp_client_t *client = NULL;
    if (tp_app_client_start(&o->context, "tp_example_consumer", &client) < 0)
    {
        return -1;
    }
    tp_discovery_client_config_t config;
    tp_discovery_client_config_init(&config);
    config.request_channel = o->discovery_channel;
    config.response_channel = o->discovery_response_channel;
    config.request_stream_id = o->discovery_stream_id;
    tp_discovery_client_t *dc = NULL;
    int rc = tp_discovery_client_start(&dc, client, &config);
    if (0 == rc)
    {
        rc = tp_discovery_find_stream(dc, o->name, o->tags, o->tag_count, o->discovery_timeout_ns, found);
    }
    if (rc < 0)
    {
        fprintf(stderr, "tp_example_consumer: discovery: %s\n", tp_errmsg());
    }
    tp_discovery_client_close(dc);
    tp_client_close(client);
    if (rc < 0)
    {
        return -1;
    }
    printf("tp_example_consumer: discovered stream %" PRIu32 " '%s' epoch %" PRIu64 " of driver %s (%s stream %" PRIu32
           ")\n",
           found->stream_id, found->data_source_name, found->epoch, found->driver_instance_id,
           found->driver_control_channel, found->driver_control_stream_id);
    fflush(stdout);
    o->stream.stream_id = found->stream_id;
    if (o->context.shm_driver)
    {
        tp_discovery_driver_channel(found, o->driver_channel, sizeof(o->driver_channel));
        o->context.channel = o->driver_channel;
        o->context.control_stream_id = found->driver_control_stream_id;
    }
    return 0;
}

/* Called from tp_consumer_poll() for every frame that passed the descriptor checks and the seqlock read. */
static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    verifier_t *v = clientd;
    v->summary.received++;
    bool ok = tp_app_shape_matches(v->shape, &frame->tensor) && frame->payload_length == v->frame_bytes &&
              tp_app_pattern_verify(frame->payload, frame->payload_length, frame->seq);
    /* The payload is the producer's memory: a frame overwritten while we read it is late, not bad. */
    if (!tp_consumer_frame_is_intact(frame))
    {
        v->late_after_read++;
    }
    else if (ok)
    {
        v->summary.verified++;
    }
    else
    {
        v->summary.bad++;
        fprintf(stderr, "tp_example_consumer: frame seq %" PRIu64 " failed verification\n", frame->seq);
    }
}

int main(int argc, char **argv)
{
    consumer_options_t o;
    if (parse(argc, argv, &o) < 0)
    {
        return 2;
    }
    tp_app_signals_install();

    tp_discovery_result_t found;
    if ((NULL != o.name || o.tag_count > 0) && find_through_discovery(&o, &found) < 0)
    {
        return 1;
    }

    tp_client_t *client = NULL;
    tp_consumer_t *consumer = NULL;
    if (tp_app_client_start(&o.context, "tp_example_consumer", &client) < 0)
    {
        return 1;
    }

    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = o.stream.stream_id;
    config.consumer_id = 0 != o.consumer_id ? o.consumer_id : (uint32_t)getpid();
    if (o.per_consumer_stream)
    {
        config.descriptor_stream_id = TP_DEFAULT_CONSUMER_DESCRIPTOR_STREAM_MIN + config.consumer_id % 1000;
    }
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "tp_example_consumer: %s\n", tp_errmsg());
        tp_client_close(client);
        return 1;
    }

    verifier_t verifier = {.shape = &o.stream.shape, .frame_bytes = tp_app_shape_bytes(&o.stream.shape)};
    int status = 0;
    const uint64_t start_ns = tp_app_now_ns();
    bool mapped = false;
    while (tp_app_is_running() && (0 == o.stream.frames || verifier.summary.received < o.stream.frames))
    {
        if (0 != o.stream.duration_ns && tp_app_now_ns() - start_ns >= o.stream.duration_ns)
        {
            break;
        }
        /* With --frames, never take more fragments than frames still wanted. */
        uint64_t wanted = 0 == o.stream.frames ? 10 : o.stream.frames - verifier.summary.received;
        int work = tp_consumer_poll(consumer, on_frame, &verifier, wanted < 10 ? (int)wanted : 10);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "tp_example_consumer: %s\n", tp_errmsg());
            status = 1;
            break;
        }
        if (!mapped && tp_consumer_is_mapped(consumer))
        {
            mapped = true;
            printf("tp_example_consumer: mapped stream %" PRIu32 " epoch %" PRIu64 "\n", o.stream.stream_id,
                   tp_consumer_epoch(consumer));
            fflush(stdout);
        }
        tp_client_idle(client, work + client_work);
    }

    const tp_consumer_counters_t *counters = tp_consumer_counters(consumer);
    verifier.summary.drops_gap = counters->drops_gap;
    verifier.summary.drops_late = counters->drops_late + verifier.late_after_read;
    if (!mapped && '\0' != tp_consumer_last_error(consumer)[0])
    {
        fprintf(stderr, "tp_example_consumer: never mapped: %s\n", tp_consumer_last_error(consumer));
    }
    if (o.verbose)
    {
        printf("counters: accepted=%" PRIu64 " gap=%" PRIu64 " late=%" PRIu64 " (of which after our read %" PRIu64
               ") invalid=%" PRIu64 " unmapped=%" PRIu64 " wrong_epoch=%" PRIu64 " replayed=%" PRIu64
               " resyncs=%" PRIu64 " maps=%" PRIu64 " remaps=%" PRIu64 " configs=%" PRIu64 "\n",
               counters->frames_accepted, counters->drops_gap, counters->drops_late + verifier.late_after_read,
               verifier.late_after_read, counters->drops_invalid, counters->drops_unmapped,
               counters->descriptors_wrong_epoch, counters->descriptors_replayed, counters->resyncs, counters->maps,
               counters->remaps, counters->configs_received);
    }
    tp_app_summary_print(stdout, &verifier.summary);
    tp_consumer_close(consumer);
    tp_client_close(client);
    return (0 == status && 0 == verifier.summary.bad && verifier.summary.received > 0) ? 0 : 1;
}
