/*
 * tp_example_producer: publishes frames of the test pattern (tp_app_pattern.h) on a tensorpool stream, by
 * zero-copy claim/commit (default) or by offer (--offer). Needs a running media driver (ours: tp_mediadriver,
 * or the official one): -p or AERON_DIR says where.
 *
 *   tp_example_producer -p /dev/shm/aeron --shape 1080x1920 --dtype uint16 --rate 60 --duration 10
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorpool/tensorpool.h"
#include "tp_app_context.h"
#include "tp_app_options.h"
#include "tp_app_pattern.h"
#include "tp_app_run.h"

typedef struct producer_options_stct
{
    tp_app_context_options_t context;
    tp_app_stream_options_t stream; /* -s, -r, --shape, -t, -n, -d, -m */
    uint32_t producer_id;
    uint32_t pools[TP_PRODUCER_MAX_POOLS];
    size_t pool_count;
    uint64_t wait_consumers;
    bool use_offer;
    const char *name; /* DataSourceAnnounce name */
    const char *tags[TP_PRODUCER_META_MAX_ATTRS];
    size_t tag_count;
} producer_options_t;

enum
{
    OPT_PRODUCER_ID = 1000,
    OPT_POOL,
    OPT_OFFER,
    OPT_NAME,
    OPT_TAG
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tp_example_producer [options]\n" TP_APP_CONTEXT_USAGE
            "  -s, --stream-id ID         tensorpool stream id (default 10)\n"
            "      --producer-id ID       (default 1)\n"
            "  -r, --rate HZ              frames per second (default 60; 0 = as fast as possible)\n"
            "      --shape DIMS           e.g. 1080x1920 (default)\n"
            "  -t, --dtype NAME           element type (default uint16)\n"
            "  -n, --slots N              header ring slots, a power of two (default 16)\n"
            "      --pool STRIDE          add a payload pool (power of two >= 4k, e.g. 4m); repeatable;\n"
            "                             default: one pool just big enough for the frame\n"
            "  -d, --duration SECONDS     stop after this long (default: until Ctrl-C)\n"
            "  -m, --frames N             stop after N frames\n"
            "  -w, --wait-consumers N     wait until N consumers have said hello before streaming\n"
            "      --offer                copy frames in with tp_producer_offer() instead of claim/commit\n"
            "      --name NAME            data source name in DataSourceAnnounce (default tp_example_producer)\n"
            "      --tag TAG              DataSourceMeta attribute \"tag\" (discovery filters on it); repeatable\n");
}

static int producer_option(void *options, int opt, const char *arg)
{
    producer_options_t *o = options;
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
        case OPT_PRODUCER_ID:
            rc = tp_app_size_parse("--producer-id", arg, 0, UINT32_MAX, &v);
            o->producer_id = (uint32_t)v;
            break;
        case OPT_POOL:
            if (o->pool_count == TP_PRODUCER_MAX_POOLS)
            {
                fprintf(stderr, "--pool: at most %d pools\n", TP_PRODUCER_MAX_POOLS);
                return -1;
            }
            rc = tp_app_size_parse("--pool", arg, 4096, 1ULL << 31, &v);
            o->pools[o->pool_count++] = (uint32_t)v;
            break;
        case 'w':
            rc = tp_app_size_parse("--wait-consumers", arg, 0, 1024, &o->wait_consumers);
            break;
        case OPT_OFFER:
            o->use_offer = true;
            break;
        case OPT_NAME:
            if (strlen(arg) >= TP_PRODUCER_NAME_MAX)
            {
                fprintf(stderr, "--name: at most %d bytes\n", TP_PRODUCER_NAME_MAX - 1);
                return -1;
            }
            o->name = arg;
            break;
        case OPT_TAG:
            if (o->tag_count == TP_PRODUCER_META_MAX_ATTRS)
            {
                fprintf(stderr, "--tag: at most %d tags\n", TP_PRODUCER_META_MAX_ATTRS);
                return -1;
            }
            o->tags[o->tag_count++] = arg;
            break;
        default:
            return 0;
    }
    return rc < 0 ? -1 : 1;
}

static int parse(int argc, char **argv, producer_options_t *o)
{
    static const struct option long_options[] = {
        TP_APP_CONTEXT_LONG_OPTIONS,
        TP_APP_STREAM_LONG_OPTIONS,
        {"producer-id", required_argument, NULL, OPT_PRODUCER_ID},
        {"rate", required_argument, NULL, 'r'},
        {"shape", required_argument, NULL, TP_APP_OPT_SHAPE},
        {"dtype", required_argument, NULL, 't'},
        {"slots", required_argument, NULL, 'n'},
        {"pool", required_argument, NULL, OPT_POOL},
        {"wait-consumers", required_argument, NULL, 'w'},
        {"offer", no_argument, NULL, OPT_OFFER},
        {"name", required_argument, NULL, OPT_NAME},
        {"tag", required_argument, NULL, OPT_TAG},
        {NULL, 0, NULL, 0},
    };
    static const tp_app_cli_t cli = {
        .short_options = TP_APP_CONTEXT_SHORT_OPTIONS "s:r:t:n:d:m:w:h",
        .long_options = long_options,
        .usage = usage,
        .option = producer_option,
    };
    memset(o, 0, sizeof(*o));
    tp_app_context_options_init(&o->context);
    tp_app_stream_options_init(&o->stream);
    o->stream.slots = 16;
    o->stream.rate_hz = 60.0;
    o->producer_id = 1;
    return tp_app_options_parse(&cli, argc, argv, 1, o);
}

/* One duty cycle: the producer's control duties and (invoker mode) the Aeron client conductor. */
static int duty_cycle(tp_client_t *client, tp_producer_t *producer)
{
    int work = tp_producer_poll(producer, 0);
    int client_work = tp_client_do_work(client);
    return (work < 0 || client_work < 0) ? -1 : work + client_work;
}

int main(int argc, char **argv)
{
    producer_options_t o;
    if (parse(argc, argv, &o) < 0)
    {
        return 2;
    }
    const uint64_t frame_bytes = tp_app_shape_bytes(&o.stream.shape);
    if (0 == frame_bytes)
    {
        fprintf(stderr, "the frame is over 4 GiB\n");
        return 2;
    }
    tp_app_signals_install();

    tp_client_t *client = NULL;
    tp_producer_t *producer = NULL;
    if (tp_app_client_start(&o.context, "tp_example_producer", &client) < 0)
    {
        return 1;
    }

    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = o.stream.stream_id;
    config.producer_id = o.producer_id;
    config.header_nslots = o.stream.slots;
    config.pool_count = o.pool_count > 0 ? o.pool_count : 1;
    for (size_t i = 0; i < config.pool_count; i++)
    {
        uint32_t stride = o.pool_count > 0 ? o.pools[i] : (uint32_t)tp_app_next_pow2(frame_bytes, 4096);
        config.pools[i] = (tp_producer_pool_config_t){.pool_id = (uint16_t)(i + 1), .stride_bytes = stride};
    }
    snprintf(config.source_name, sizeof(config.source_name), "%s", NULL != o.name ? o.name : "tp_example_producer");
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "tp_example_producer: %s\n", tp_errmsg());
        tp_client_close(client);
        return 1;
    }
    if (o.tag_count > 0)
    {
        /* One "tag" attribute per tag: how the discovery provider reads tags (docs/discovery.md). */
        tp_producer_meta_attribute_t attributes[TP_PRODUCER_META_MAX_ATTRS];
        for (size_t i = 0; i < o.tag_count; i++)
        {
            attributes[i] = (tp_producer_meta_attribute_t){.key = "tag",
                                                           .format = "text",
                                                           .value = (const uint8_t *)o.tags[i],
                                                           .value_length = (uint32_t)strlen(o.tags[i])};
        }
        if (tp_producer_set_meta(producer, attributes, o.tag_count) < 0)
        {
            fprintf(stderr, "tp_example_producer: --tag: %s\n", tp_errmsg());
            tp_producer_close(producer);
            tp_client_close(client);
            return 1;
        }
    }
    char shape[128];
    tp_app_shape_format(&o.stream.shape, shape, sizeof(shape));
    printf("tp_example_producer: stream %" PRIu32 " epoch %" PRIu64 ", %s frames (%" PRIu64 " bytes), regions %s\n",
           o.stream.stream_id, tp_producer_epoch(producer), shape, frame_bytes, tp_producer_header_path(producer));
    fflush(stdout);

    int status = 0;
    while (tp_app_is_running() && tp_producer_consumer_count(producer) < o.wait_consumers)
    {
        int work = duty_cycle(client, producer);
        if (work < 0)
        {
            status = 1;
            tp_app_stop();
        }
        tp_client_idle(client, work);
    }

    tp_tensor_desc_t desc;
    tp_app_shape_to_desc(&o.stream.shape, &desc);
    /* The offer path copies from an application buffer; the claim path writes straight into the slot. */
    uint8_t *source = o.use_offer ? malloc(frame_bytes) : NULL;
    const uint64_t period_ns = o.stream.rate_hz > 0 ? (uint64_t)(1e9 / o.stream.rate_hz) : 0;
    const uint64_t start_ns = tp_app_now_ns();
    uint64_t next_ns = start_ns;
    uint64_t sent = 0;
    uint64_t refused = 0;
    while (tp_app_is_running() && (0 == o.stream.frames || sent < o.stream.frames))
    {
        uint64_t now = tp_app_now_ns();
        if (0 != o.stream.duration_ns && now - start_ns >= o.stream.duration_ns)
        {
            break;
        }
        if (now < next_ns)
        {
            int work = duty_cycle(client, producer);
            if (work < 0)
            {
                status = 1;
                break;
            }
            tp_client_idle(client, work);
            continue;
        }
        next_ns += period_ns;

        int rc;
        if (o.use_offer)
        {
            tp_app_pattern_fill(source, frame_bytes, tp_producer_next_seq(producer));
            rc = tp_producer_offer(producer, &desc, source, (uint32_t)frame_bytes, tp_app_now_ns());
        }
        else
        {
            tp_producer_claim_t claim;
            rc = tp_producer_claim(producer, (uint32_t)frame_bytes, &desc, &claim);
            if (TP_PRODUCER_OK == rc)
            {
                tp_app_pattern_fill(claim.payload, frame_bytes, claim.seq);
                rc = tp_producer_commit(producer, &claim, &desc, tp_app_now_ns());
            }
        }
        /* >= 0: committed (NOT_CONNECTED: nobody listens yet); BACK_PRESSURE: committed, descriptor queued and
         * re-offered; anything else: not sent at all. */
        if (rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc)
        {
            sent++;
        }
        else
        {
            refused++;
        }
        if (duty_cycle(client, producer) < 0)
        {
            status = 1;
            break;
        }
    }
    if (0 != status)
    {
        fprintf(stderr, "tp_example_producer: %s\n", tp_errmsg());
    }
    const double seconds = (double)(tp_app_now_ns() - start_ns) / 1e9;
    const tp_producer_counters_t *counters = tp_producer_counters(producer);
    printf("tp_example_producer: sent=%" PRIu64 " refused=%" PRIu64 " descriptors_refused=%" PRIu64
           " consumers=%zu in %.1f s\n",
           sent, refused, counters->sink_refusals, tp_producer_consumer_count(producer), seconds);
    free(source);
    tp_producer_close(producer);
    tp_client_close(client);
    return status;
}
