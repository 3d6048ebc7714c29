/*
 * tp_discovery_query: asks a Discovery Provider (the one embedded in tp_driver, by default on the driver's control
 * stream) which streams it knows, with the filters of the discovery spec v1.0 §5.1, and prints the answer as a
 * table or as JSON. Built on the public discovery client (tensorpool/tp_discovery.h).
 *
 *   tp_discovery_query -p /dev/shm/aeron --name camera-left --tag rgb --json
 *
 * Exit status: 0 results printed, 1 nothing matched (NOT_FOUND or zero results), 2 error, timeout or usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tensorpool/tensorpool.h"
#include "tensorpool/tp_discovery.h"
#include "tp_app_options.h"
#include "tp_app_quote.h"

#define QUERY_MAX_TAGS   TP_DISCOVERY_FILTER_TAGS_MAX
#define QUERY_EXIT_FOUND 0
#define QUERY_EXIT_NONE  1
#define QUERY_EXIT_ERROR 2

typedef struct query_options_stct
{
    const char *aeron_dir;
    const char *channel;
    const char *response_channel;
    uint32_t discovery_stream_id;
    uint32_t response_stream_id;
    uint32_t stream_id;      /* UINT32_MAX: no filter */
    uint32_t producer_id;    /* UINT32_MAX: no filter */
    uint64_t data_source_id; /* UINT64_MAX: no filter */
    const char *name;
    const char *tags[QUERY_MAX_TAGS];
    size_t tag_count;
    uint64_t timeout_ms;
    bool json;
} query_options_t;

enum
{
    OPT_CHANNEL = 1000,
    OPT_DISCOVERY_STREAM,
    OPT_RESPONSE_CHANNEL,
    OPT_RESPONSE_STREAM,
    OPT_STREAM,
    OPT_PRODUCER,
    OPT_SOURCE,
    OPT_NAME,
    OPT_TAG,
    OPT_TIMEOUT,
    OPT_JSON
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tp_discovery_query [options]\n"
            "Ask a Discovery Provider (embedded in tp_driver) which tensorpool streams exist.\n"
            "  -p, --aeron-dir DIR             Aeron directory (default: AERON_DIR or the Aeron default)\n"
            "      --channel URI               provider's request channel (default aeron:ipc)\n"
            "      --discovery-stream-id ID    provider's request stream (default 1000: the driver control stream)\n"
            "      --response-channel URI      where the answer comes back (default: --channel)\n"
            "      --response-stream-id ID     (default: 40000 + pid %% 10000)\n"
            "filters (all given must match):\n"
            "      --stream-id ID              one stream\n"
            "      --producer-id ID\n"
            "      --data-source-id ID\n"
            "      --name NAME                 data source name, exact\n"
            "      --tag TAG                   repeatable; every tag must be on the stream\n"
            "output:\n"
            "      --timeout-ms MS             wait this long for the answer (default 2000)\n"
            "      --json                      JSON instead of a table\n"
            "  -h, --help\n"
            "exit status: 0 results, 1 none (NOT_FOUND or zero results), 2 error, timeout or usage\n");
}

static int query_option(void *options, int opt, const char *arg)
{
    query_options_t *o = options;
    uint64_t v = 0;
    int rc = 0;
    switch (opt)
    {
        case 'p':
            o->aeron_dir = arg;
            break;
        case OPT_CHANNEL:
            o->channel = arg;
            break;
        case OPT_DISCOVERY_STREAM:
            rc = tp_app_size_parse("--discovery-stream-id", arg, 1, INT32_MAX, &v);
            o->discovery_stream_id = (uint32_t)v;
            break;
        case OPT_RESPONSE_CHANNEL:
            o->response_channel = arg;
            break;
        case OPT_RESPONSE_STREAM:
            rc = tp_app_size_parse("--response-stream-id", arg, 1, INT32_MAX, &v);
            o->response_stream_id = (uint32_t)v;
            break;
        case OPT_STREAM:
            rc = tp_app_size_parse("--stream-id", arg, 0, UINT32_MAX - 1, &v);
            o->stream_id = (uint32_t)v;
            break;
        case OPT_PRODUCER:
            rc = tp_app_size_parse("--producer-id", arg, 0, UINT32_MAX - 1, &v);
            o->producer_id = (uint32_t)v;
            break;
        case OPT_SOURCE:
            rc = tp_app_size_parse("--data-source-id", arg, 0, UINT64_MAX - 1, &o->data_source_id);
            break;
        case OPT_NAME:
            o->name = arg;
            break;
        case OPT_TAG:
            if (o->tag_count == QUERY_MAX_TAGS)
            {
                fprintf(stderr, "tp_discovery_query: --tag: at most %d tags\n", QUERY_MAX_TAGS);
                return -1;
            }
            o->tags[o->tag_count++] = arg;
            break;
        case OPT_TIMEOUT:
            rc = tp_app_size_parse("--timeout-ms", arg, 1, 3600000, &o->timeout_ms);
            break;
        case OPT_JSON:
            o->json = true;
            break;
        default:
            return 0;
    }
    return rc < 0 ? -1 : 1;
}

static int parse(int argc, char **argv, query_options_t *o)
{
    static const struct option long_options[] = {
        {"aeron-dir", required_argument, NULL, 'p'},
        {"channel", required_argument, NULL, OPT_CHANNEL},
        {"discovery-stream-id", required_argument, NULL, OPT_DISCOVERY_STREAM},
        {"response-channel", required_argument, NULL, OPT_RESPONSE_CHANNEL},
        {"response-stream-id", required_argument, NULL, OPT_RESPONSE_STREAM},
        {"stream-id", required_argument, NULL, OPT_STREAM},
        {"producer-id", required_argument, NULL, OPT_PRODUCER},
        {"data-source-id", required_argument, NULL, OPT_SOURCE},
        {"name", required_argument, NULL, OPT_NAME},
        {"tag", required_argument, NULL, OPT_TAG},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const tp_app_cli_t cli = {
        .program = "tp_discovery_query",
        .short_options = "p:h",
        .long_options = long_options,
        .usage = usage,
        .option = query_option,
        .usage_after_unexpected = true,
    };
    memset(o, 0, sizeof(*o));
    o->channel = "aeron:ipc";
    o->discovery_stream_id = 1000;
    o->response_stream_id = 40000 + (uint32_t)getpid() % 10000;
    o->stream_id = UINT32_MAX;
    o->producer_id = UINT32_MAX;
    o->data_source_id = UINT64_MAX;
    o->timeout_ms = 2000;
    if (tp_app_options_parse(&cli, argc, argv, 1, o) < 0)
    {
        return -1;
    }
    if (NULL == o->response_channel)
    {
        o->response_channel = o->channel;
    }
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_briefly(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* Printable text for the table: control characters shown as '?'. */
static void text_field(FILE *out, const char *s, size_t length)
{
    for (size_t i = 0; i < length; i++)
    {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || 0x7f == c ? '?' : c, out);
    }
}

static const char *status_name(tp_discovery_status_t status)
{
    switch (status)
    {
        case TP_DISCOVERY_STATUS_OK:
            return "OK";
        case TP_DISCOVERY_STATUS_NOT_FOUND:
            return "NOT_FOUND";
        case TP_DISCOVERY_STATUS_ERROR:
            return "ERROR";
        default:
            return "UNKNOWN";
    }
}

static void print_json_result(FILE *out, const tp_discovery_result_t *r)
{
    fprintf(out,
            "  {\"stream_id\": %" PRIu32 ", \"producer_id\": %" PRIu32 ", \"epoch\": %" PRIu64
            ", \"layout_version\": %" PRIu32 ", \"header_nslots\": %" PRIu32 ", \"header_slot_bytes\": %u"
            ", \"max_dims\": %u, \"data_source_id\": ",
            r->stream_id, r->producer_id, r->epoch, r->layout_version, r->header_nslots, (unsigned)r->header_slot_bytes,
            (unsigned)r->max_dims);
    if (TP_DISCOVERY_ANY_SOURCE_ID == r->data_source_id)
    {
        fputs("null", out);
    }
    else
    {
        fprintf(out, "%" PRIu64, r->data_source_id);
    }
    fprintf(out, ", \"driver_control_stream_id\": %" PRIu32 ", \"payload_pools\": [", r->driver_control_stream_id);
    for (uint32_t p = 0; p < r->pool_count; p++)
    {
        const tp_discovery_result_pool_t *pool = &r->pools[p];
        fprintf(out,
                "%s{\"pool_id\": %u, \"pool_nslots\": %" PRIu32 ", \"stride_bytes\": %" PRIu32 ", \"region_uri\": ",
                0 == p ? "" : ", ", (unsigned)pool->pool_id, pool->pool_nslots, pool->stride_bytes);
        tp_app_quote_write(out, pool->region_uri, strlen(pool->region_uri));
        fputc('}', out);
    }
    fputs("], \"tags\": [", out);
    for (uint32_t t = 0; t < r->tag_count; t++)
    {
        fputs(0 == t ? "" : ", ", out);
        tp_app_quote_write(out, r->tags[t], strlen(r->tags[t]));
    }
    fputs("], \"header_region_uri\": ", out);
    tp_app_quote_write(out, r->header_region_uri, strlen(r->header_region_uri));
    fputs(", \"data_source_name\": ", out);
    tp_app_quote_write(out, r->data_source_name, r->name_length < sizeof(r->data_source_name) ? r->name_length : 0);
    fputs(", \"driver_instance_id\": ", out);
    tp_app_quote_write(out, r->driver_instance_id, strlen(r->driver_instance_id));
    fputs(", \"driver_control_channel\": ", out);
    tp_app_quote_write(out, r->driver_control_channel, strlen(r->driver_control_channel));
    fputc('}', out);
}

static void print_table_result(FILE *out, const tp_discovery_result_t *r)
{
    fprintf(out, "%-10" PRIu32 " %-10" PRIu32 " %-18" PRIu64 " %-8" PRIu32 " ", r->stream_id, r->producer_id, r->epoch,
            r->header_nslots);
    int pool_text = 0;
    for (uint32_t p = 0; p < r->pool_count; p++)
    {
        pool_text += fprintf(out, "%s%u:%" PRIu32 "x%" PRIu32, 0 == p ? "" : ",", (unsigned)r->pools[p].pool_id,
                             r->pools[p].pool_nslots, r->pools[p].stride_bytes);
    }
    fprintf(out, "%*s", pool_text < 30 ? 31 - pool_text : 1, "");
    size_t name_length = r->name_length < sizeof(r->data_source_name) ? r->name_length : 0;
    text_field(out, r->data_source_name, name_length);
    fprintf(out, "%*s ", name_length < 24 ? (int)(24 - name_length) : 0, "");
    size_t instance_length = strlen(r->driver_instance_id);
    text_field(out, r->driver_instance_id, instance_length);
    fprintf(out, "%*s ", instance_length < 14 ? (int)(14 - instance_length) : 0, "");
    for (uint32_t t = 0; t < r->tag_count; t++)
    {
        fputs(0 == t ? "" : ",", out);
        text_field(out, r->tags[t], strlen(r->tags[t]));
    }
    fputc('\n', out);
}

/* Print the answer; returns the exit code. */
static int print_response(const query_options_t *o, const tp_discovery_client_t *dc)
{
    FILE *out = stdout;
    tp_discovery_status_t status = tp_discovery_query_status(dc);
    size_t count = tp_discovery_query_result_count(dc);
    const char *error = tp_discovery_query_error_message(dc);
    if (o->json)
    {
        fprintf(out, "{\"request_id\": %" PRIu64 ", \"status\": \"%s\", \"results\": [",
                tp_discovery_query_request_id(dc), status_name(status));
    }
    else if (count > 0)
    {
        fprintf(out, "%-10s %-10s %-18s %-8s %-30s %-24s %-14s %s\n", "STREAM", "PRODUCER", "EPOCH", "NSLOTS", "POOLS",
                "NAME", "DRIVER", "TAGS");
    }
    for (size_t i = 0; i < count; i++)
    {
        if (o->json)
        {
            fputs(0 == i ? "\n" : ",\n", out);
            print_json_result(out, tp_discovery_query_result(dc, i));
        }
        else
        {
            print_table_result(out, tp_discovery_query_result(dc, i));
        }
    }
    if (o->json)
    {
        fprintf(out, "%s], \"error_message\": ", 0 == count ? "" : "\n");
        tp_app_quote_write(out, error, strlen(error));
        fputs("}\n", out);
    }
    else if (0 == count)
    {
        fprintf(out, "%s: no stream matched\n", status_name(status));
    }
    fflush(out);
    if (TP_DISCOVERY_STATUS_ERROR == status)
    {
        fputs("tp_discovery_query: the provider answered ERROR: ", stderr);
        text_field(stderr, error, strlen(error));
        fputc('\n', stderr);
        return QUERY_EXIT_ERROR;
    }
    return TP_DISCOVERY_STATUS_OK == status && count > 0 ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
}

static int run(const query_options_t *o)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_discovery_client_t *dc = NULL;
    int exit_code = QUERY_EXIT_ERROR;
    const uint64_t deadline = now_ms() + o->timeout_ms;

    if (tp_context_init(&ctx) < 0 || (NULL != o->aeron_dir && tp_context_set_aeron_dir(ctx, o->aeron_dir) < 0) ||
        tp_context_set_start_timeout_ms(ctx, o->timeout_ms) < 0 || tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "tp_discovery_query: %s\n", tp_errmsg());
        goto done;
    }
    tp_discovery_client_config_t config;
    tp_discovery_client_config_init(&config);
    config.request_channel = o->channel;
    config.request_stream_id = o->discovery_stream_id;
    config.response_channel = o->response_channel;
    config.response_stream_id = o->response_stream_id;
    if (tp_discovery_client_start(&dc, client, &config) < 0)
    {
        fprintf(stderr, "tp_discovery_query: %s\n", tp_errmsg());
        goto done;
    }
    tp_discovery_filter_t filter;
    tp_discovery_filter_init(&filter);
    filter.stream_id = o->stream_id;
    filter.producer_id = o->producer_id;
    filter.data_source_id = o->data_source_id;
    filter.name = o->name;
    filter.tags = o->tags;
    filter.tag_count = o->tag_count;
    if (tp_discovery_query_start(dc, &filter) < 0)
    {
        fprintf(stderr, "tp_discovery_query: %s\n", tp_errmsg());
        goto done;
    }
    /* Not connected means no provider listening yet: the client keeps offering until the deadline. */
    while (TP_DISCOVERY_QUERY_DONE != tp_discovery_query_state(dc))
    {
        int work = tp_discovery_query_poll(dc);
        if (work < 0)
        {
            fprintf(stderr, "tp_discovery_query: %s\n", tp_errmsg());
            goto done;
        }
        if (TP_DISCOVERY_QUERY_DONE == tp_discovery_query_state(dc))
        {
            break;
        }
        if (now_ms() > deadline)
        {
            if (0 == tp_discovery_client_counters(dc)->requests_sent)
            {
                fprintf(stderr,
                        "tp_discovery_query: no discovery provider on %s stream %" PRIu32 " within %" PRIu64 " ms\n",
                        o->channel, o->discovery_stream_id, o->timeout_ms);
            }
            else
            {
                const tp_discovery_client_counters_t *c = tp_discovery_client_counters(dc);
                fprintf(stderr,
                        "tp_discovery_query: no answer to request %" PRIu64 " within %" PRIu64
                        " ms (responses to other requests %" PRIu64 ", malformed %" PRIu64 ", foreign %" PRIu64 ")\n",
                        tp_discovery_query_request_id(dc), o->timeout_ms, c->unknown_request_ids,
                        c->malformed_responses, c->foreign_messages);
            }
            goto done;
        }
        work += tp_client_do_work(client);
        if (0 == work)
        {
            sleep_briefly();
        }
    }
    exit_code = print_response(o, dc);

done:
    tp_discovery_client_close(dc);
    tp_client_close(client);
    tp_context_close(ctx);
    return exit_code;
}

int main(int argc, char **argv)
{
    query_options_t o;
    if (parse(argc, argv, &o) < 0)
    {
        return QUERY_EXIT_ERROR;
    }
    return run(&o);
}
