/*
 * tp_discovery_query: asks a Discovery Provider (the one embedded in tp_driver, by default on the driver's control
 * stream) which streams it knows, with the filters of the discovery spec v1.0 §5.1, and prints the answer as a
 * table or as JSON. Built on aeronc.h and the generated schema 910 codecs only.
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

#include <aeronc.h>

#include "tp_app_options.h"

#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/discoveryResponse.h"
#include "shm_tensorpool_discovery/messageHeader.h"

#define QUERY_MAX_TAGS     32
#define QUERY_REQUEST_MAX  8192
#define QUERY_HEADER_BYTES 8
#define QUERY_EXIT_FOUND   0
#define QUERY_EXIT_NONE    1
#define QUERY_EXIT_ERROR   2

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

typedef struct query_state_stct
{
    uint64_t request_id;
    bool done;
    int exit_code;
    const query_options_t *options;
} query_state_t;

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

static int parse(int argc, char **argv, query_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->channel = "aeron:ipc";
    o->discovery_stream_id = 1000;
    o->response_stream_id = 40000 + (uint32_t)getpid() % 10000;
    o->stream_id = UINT32_MAX;
    o->producer_id = UINT32_MAX;
    o->data_source_id = UINT64_MAX;
    o->timeout_ms = 2000;
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
    int opt;
    uint64_t v = 0;
    while (-1 != (opt = getopt_long(argc, argv, "p:h", long_options, NULL)))
    {
        int rc = 0;
        switch (opt)
        {
            case 'p':
                o->aeron_dir = optarg;
                break;
            case OPT_CHANNEL:
                o->channel = optarg;
                break;
            case OPT_DISCOVERY_STREAM:
                rc = tp_app_size_parse("--discovery-stream-id", optarg, 1, INT32_MAX, &v);
                o->discovery_stream_id = (uint32_t)v;
                break;
            case OPT_RESPONSE_CHANNEL:
                o->response_channel = optarg;
                break;
            case OPT_RESPONSE_STREAM:
                rc = tp_app_size_parse("--response-stream-id", optarg, 1, INT32_MAX, &v);
                o->response_stream_id = (uint32_t)v;
                break;
            case OPT_STREAM:
                rc = tp_app_size_parse("--stream-id", optarg, 0, UINT32_MAX - 1, &v);
                o->stream_id = (uint32_t)v;
                break;
            case OPT_PRODUCER:
                rc = tp_app_size_parse("--producer-id", optarg, 0, UINT32_MAX - 1, &v);
                o->producer_id = (uint32_t)v;
                break;
            case OPT_SOURCE:
                rc = tp_app_size_parse("--data-source-id", optarg, 0, UINT64_MAX - 1, &o->data_source_id);
                break;
            case OPT_NAME:
                o->name = optarg;
                break;
            case OPT_TAG:
                if (o->tag_count == QUERY_MAX_TAGS)
                {
                    fprintf(stderr, "tp_discovery_query: --tag: at most %d tags\n", QUERY_MAX_TAGS);
                    return -1;
                }
                o->tags[o->tag_count++] = optarg;
                break;
            case OPT_TIMEOUT:
                rc = tp_app_size_parse("--timeout-ms", optarg, 1, 3600000, &o->timeout_ms);
                break;
            case OPT_JSON:
                o->json = true;
                break;
            case 'h':
                usage(stdout);
                exit(EXIT_SUCCESS);
            default:
                usage(stderr);
                return -1;
        }
        if (rc < 0)
        {
            return -1;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_discovery_query: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
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

/* A JSON string: quotes, backslashes and control characters escaped; bytes >= 0x80 passed through. */
static void json_string(FILE *out, const char *s, size_t length)
{
    fputc('"', out);
    for (size_t i = 0; i < length; i++)
    {
        unsigned char c = (unsigned char)s[i];
        if ('"' == c || '\\' == c)
        {
            fprintf(out, "\\%c", c);
        }
        else if (c < 0x20 || 0x7f == c)
        {
            fprintf(out, "\\u%04x", c);
        }
        else
        {
            fputc(c, out);
        }
    }
    fputc('"', out);
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

static size_t encode_request(const query_options_t *o, uint64_t request_id, uint8_t *buffer, size_t capacity)
{
    struct shm_tensorpool_discovery_messageHeader header;
    struct shm_tensorpool_discovery_discoveryRequest msg;
    struct shm_tensorpool_discovery_discoveryRequest_tags tags;
    if (NULL ==
        shm_tensorpool_discovery_discoveryRequest_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &header))
    {
        return 0;
    }
    shm_tensorpool_discovery_discoveryRequest_set_requestId(&msg, request_id);
    shm_tensorpool_discovery_discoveryRequest_set_clientId(&msg, (uint32_t)getpid());
    shm_tensorpool_discovery_discoveryRequest_set_responseStreamId(&msg, o->response_stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_streamId(&msg, o->stream_id);
    shm_tensorpool_discovery_discoveryRequest_set_producerId(&msg, o->producer_id);
    shm_tensorpool_discovery_discoveryRequest_set_dataSourceId(&msg, o->data_source_id);
    if (NULL == shm_tensorpool_discovery_discoveryRequest_tags_set_count(&msg, &tags, (uint16_t)o->tag_count))
    {
        return 0;
    }
    for (size_t i = 0; i < o->tag_count; i++)
    {
        if (NULL == shm_tensorpool_discovery_discoveryRequest_tags_next(&tags) ||
            NULL ==
                shm_tensorpool_discovery_discoveryRequest_tags_put_tag(&tags, o->tags[i], (uint32_t)strlen(o->tags[i])))
        {
            return 0;
        }
    }
    const char *name = NULL == o->name ? "" : o->name;
    if (NULL == shm_tensorpool_discovery_discoveryRequest_put_responseChannel(&msg, o->response_channel,
                                                                              (uint32_t)strlen(o->response_channel)) ||
        NULL == shm_tensorpool_discovery_discoveryRequest_put_dataSourceName(&msg, name, (uint32_t)strlen(name)))
    {
        return 0;
    }
    return QUERY_HEADER_BYTES + shm_tensorpool_discovery_discoveryRequest_encoded_length(&msg);
}

static const char *status_name(enum shm_tensorpool_discovery_discoveryStatus status)
{
    switch (status)
    {
        case shm_tensorpool_discovery_discoveryStatus_OK:
            return "OK";
        case shm_tensorpool_discovery_discoveryStatus_NOT_FOUND:
            return "NOT_FOUND";
        case shm_tensorpool_discovery_discoveryStatus_ERROR:
            return "ERROR";
        default:
            return "UNKNOWN";
    }
}

/*
 * Print one decoded response. Walks the message twice when printing a table (a header line first) is not
 * needed: both formats stream result by result. Returns the exit code, or -1 when the message is malformed.
 */
static int print_response(const query_options_t *o, struct shm_tensorpool_discovery_discoveryResponse *msg,
                          enum shm_tensorpool_discovery_discoveryStatus status)
{
    FILE *out = stdout;
    struct shm_tensorpool_discovery_discoveryResponse_results results;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_get_results(msg, &results))
    {
        return -1;
    }
    uint64_t count = shm_tensorpool_discovery_discoveryResponse_results_count(&results);
    if (o->json)
    {
        fprintf(out, "{\"request_id\": %" PRIu64 ", \"status\": \"%s\", \"results\": [",
                shm_tensorpool_discovery_discoveryResponse_requestId(msg), status_name(status));
    }
    else if (count > 0)
    {
        fprintf(out, "%-10s %-10s %-18s %-8s %-30s %-24s %-14s %s\n", "STREAM", "PRODUCER", "EPOCH", "NSLOTS", "POOLS",
                "NAME", "DRIVER", "TAGS");
    }
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_next(&results))
        {
            return -1;
        }
        uint32_t stream_id = shm_tensorpool_discovery_discoveryResponse_results_streamId(&results);
        uint32_t producer_id = shm_tensorpool_discovery_discoveryResponse_results_producerId(&results);
        uint64_t epoch = shm_tensorpool_discovery_discoveryResponse_results_epoch(&results);
        uint32_t layout = shm_tensorpool_discovery_discoveryResponse_results_layoutVersion(&results);
        uint32_t nslots = shm_tensorpool_discovery_discoveryResponse_results_headerNslots(&results);
        uint16_t slot_bytes = shm_tensorpool_discovery_discoveryResponse_results_headerSlotBytes(&results);
        uint8_t max_dims = shm_tensorpool_discovery_discoveryResponse_results_maxDims(&results);
        uint64_t source_id = shm_tensorpool_discovery_discoveryResponse_results_dataSourceId(&results);
        uint32_t control_id = shm_tensorpool_discovery_discoveryResponse_results_driverControlStreamId(&results);
        if (o->json)
        {
            fprintf(out,
                    "%s\n  {\"stream_id\": %" PRIu32 ", \"producer_id\": %" PRIu32 ", \"epoch\": %" PRIu64
                    ", \"layout_version\": %" PRIu32 ", \"header_nslots\": %" PRIu32 ", \"header_slot_bytes\": %u"
                    ", \"max_dims\": %u, \"data_source_id\": ",
                    0 == i ? "" : ",", stream_id, producer_id, epoch, layout, nslots, (unsigned)slot_bytes,
                    (unsigned)max_dims);
            if (UINT64_MAX == source_id)
            {
                fputs("null", out);
            }
            else
            {
                fprintf(out, "%" PRIu64, source_id);
            }
            fprintf(out, ", \"driver_control_stream_id\": %" PRIu32 ", \"payload_pools\": [", control_id);
        }
        else
        {
            fprintf(out, "%-10" PRIu32 " %-10" PRIu32 " %-18" PRIu64 " %-8" PRIu32 " ", stream_id, producer_id, epoch,
                    nslots);
        }
        struct shm_tensorpool_discovery_discoveryResponse_results_payloadPools pools;
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_get_payloadPools(&results, &pools))
        {
            return -1;
        }
        uint64_t pool_count = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_count(&pools);
        int pool_text = 0;
        for (uint64_t p = 0; p < pool_count; p++)
        {
            if (NULL == shm_tensorpool_discovery_discoveryResponse_results_payloadPools_next(&pools))
            {
                return -1;
            }
            uint16_t pool_id = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_poolId(&pools);
            uint32_t pool_nslots = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_poolNslots(&pools);
            uint32_t stride = shm_tensorpool_discovery_discoveryResponse_results_payloadPools_strideBytes(&pools);
            struct shm_tensorpool_discovery_discoveryResponse_string_view uri =
                shm_tensorpool_discovery_discoveryResponse_results_payloadPools_get_regionUri_as_string_view(&pools);
            if (NULL == uri.data)
            {
                return -1;
            }
            if (o->json)
            {
                fprintf(out,
                        "%s{\"pool_id\": %u, \"pool_nslots\": %" PRIu32 ", \"stride_bytes\": %" PRIu32
                        ", \"region_uri\": ",
                        0 == p ? "" : ", ", (unsigned)pool_id, pool_nslots, stride);
                json_string(out, uri.data, uri.length);
                fputc('}', out);
            }
            else
            {
                pool_text += fprintf(out, "%s%u:%" PRIu32 "x%" PRIu32, 0 == p ? "" : ",", (unsigned)pool_id,
                                     pool_nslots, stride);
            }
        }
        if (o->json)
        {
            fputs("], \"tags\": [", out);
        }
        else
        {
            fprintf(out, "%*s", pool_text < 30 ? 31 - pool_text : 1, "");
        }
        struct shm_tensorpool_discovery_discoveryResponse_results_tags tags;
        if (NULL == shm_tensorpool_discovery_discoveryResponse_results_get_tags(&results, &tags))
        {
            return -1;
        }
        uint64_t tag_count = shm_tensorpool_discovery_discoveryResponse_results_tags_count(&tags);
        /* Tags come before the name on the wire but the table prints them last: keep the views. */
        struct shm_tensorpool_discovery_discoveryResponse_string_view tag_views[QUERY_MAX_TAGS];
        size_t kept = 0;
        for (uint64_t t = 0; t < tag_count; t++)
        {
            if (NULL == shm_tensorpool_discovery_discoveryResponse_results_tags_next(&tags))
            {
                return -1;
            }
            struct shm_tensorpool_discovery_discoveryResponse_string_view tag =
                shm_tensorpool_discovery_discoveryResponse_results_tags_get_tag_as_string_view(&tags);
            if (NULL == tag.data)
            {
                return -1;
            }
            if (o->json)
            {
                fputs(0 == t ? "" : ", ", out);
                json_string(out, tag.data, tag.length);
            }
            else if (kept < QUERY_MAX_TAGS)
            {
                tag_views[kept++] = tag;
            }
        }
        struct shm_tensorpool_discovery_discoveryResponse_string_view header_uri =
            shm_tensorpool_discovery_discoveryResponse_results_get_headerRegionUri_as_string_view(&results);
        struct shm_tensorpool_discovery_discoveryResponse_string_view name =
            shm_tensorpool_discovery_discoveryResponse_results_get_dataSourceName_as_string_view(&results);
        struct shm_tensorpool_discovery_discoveryResponse_string_view instance =
            shm_tensorpool_discovery_discoveryResponse_results_get_driverInstanceId_as_string_view(&results);
        struct shm_tensorpool_discovery_discoveryResponse_string_view control =
            shm_tensorpool_discovery_discoveryResponse_results_get_driverControlChannel_as_string_view(&results);
        if (NULL == header_uri.data || NULL == name.data || NULL == instance.data || NULL == control.data)
        {
            return -1;
        }
        if (o->json)
        {
            fputs("], \"header_region_uri\": ", out);
            json_string(out, header_uri.data, header_uri.length);
            fputs(", \"data_source_name\": ", out);
            json_string(out, name.data, name.length);
            fputs(", \"driver_instance_id\": ", out);
            json_string(out, instance.data, instance.length);
            fputs(", \"driver_control_channel\": ", out);
            json_string(out, control.data, control.length);
            fputc('}', out);
        }
        else
        {
            text_field(out, name.data, name.length);
            fprintf(out, "%*s ", name.length < 24 ? (int)(24 - name.length) : 0, "");
            text_field(out, instance.data, instance.length);
            fprintf(out, "%*s ", instance.length < 14 ? (int)(14 - instance.length) : 0, "");
            for (size_t t = 0; t < kept; t++)
            {
                fputs(0 == t ? "" : ",", out);
                text_field(out, tag_views[t].data, tag_views[t].length);
            }
            fputc('\n', out);
        }
    }
    struct shm_tensorpool_discovery_discoveryResponse_string_view error =
        shm_tensorpool_discovery_discoveryResponse_get_errorMessage_as_string_view(msg);
    if (NULL == error.data)
    {
        return -1;
    }
    if (o->json)
    {
        fprintf(out, "%s], \"error_message\": ", 0 == count ? "" : "\n");
        json_string(out, error.data, error.length);
        fputs("}\n", out);
    }
    else if (0 == count)
    {
        fprintf(out, "%s: no stream matched\n", status_name(status));
    }
    fflush(out);
    if (shm_tensorpool_discovery_discoveryStatus_ERROR == status)
    {
        fputs("tp_discovery_query: the provider answered ERROR: ", stderr);
        text_field(stderr, error.data, error.length);
        fputc('\n', stderr);
        return QUERY_EXIT_ERROR;
    }
    return shm_tensorpool_discovery_discoveryStatus_OK == status && count > 0 ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
}

static void on_message(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *aeron_header)
{
    (void)aeron_header;
    query_state_t *state = clientd;
    if (state->done || length < QUERY_HEADER_BYTES)
    {
        return;
    }
    struct shm_tensorpool_discovery_messageHeader header;
    char *data = (char *)(uintptr_t)buffer;
    if (NULL == shm_tensorpool_discovery_messageHeader_wrap(&header, data, 0, 0, length) ||
        910 != shm_tensorpool_discovery_messageHeader_schemaId(&header) ||
        2 != shm_tensorpool_discovery_messageHeader_templateId(&header))
    {
        return; /* not a DiscoveryResponse: someone else's traffic on a shared stream */
    }
    struct shm_tensorpool_discovery_discoveryResponse msg;
    if (NULL == shm_tensorpool_discovery_discoveryResponse_wrap_for_decode(
                    &msg, data, QUERY_HEADER_BYTES, shm_tensorpool_discovery_messageHeader_blockLength(&header),
                    shm_tensorpool_discovery_messageHeader_version(&header), length))
    {
        return;
    }
    if (shm_tensorpool_discovery_discoveryResponse_requestId(&msg) != state->request_id)
    {
        return; /* an answer to another requester sharing the response stream */
    }
    state->done = true;
    enum shm_tensorpool_discovery_discoveryStatus status = shm_tensorpool_discovery_discoveryStatus_NULL_VALUE;
    if (!shm_tensorpool_discovery_discoveryResponse_status(&msg, &status))
    {
        fprintf(stderr, "tp_discovery_query: response with an unknown status\n");
        state->exit_code = QUERY_EXIT_ERROR;
        return;
    }
    int rc = print_response(state->options, &msg, status);
    if (rc < 0)
    {
        fprintf(stderr, "tp_discovery_query: malformed response (%zu bytes)\n", length);
        rc = QUERY_EXIT_ERROR;
    }
    state->exit_code = rc;
}

static uint64_t unique_request_id(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40);
    /* splitmix64 finaliser: spreads time and pid over all bits. */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static int run(const query_options_t *o)
{
    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_subscription_t *subscription = NULL;
    aeron_publication_t *publication = NULL;
    aeron_fragment_assembler_t *assembler = NULL;
    int exit_code = QUERY_EXIT_ERROR;
    query_state_t state = {unique_request_id(), false, QUERY_EXIT_ERROR, o};
    const uint64_t deadline = now_ms() + o->timeout_ms;

    if (aeron_context_init(&context) < 0 || (NULL != o->aeron_dir && aeron_context_set_dir(context, o->aeron_dir) < 0))
    {
        fprintf(stderr, "tp_discovery_query: Aeron context: %s\n", aeron_errmsg());
        goto done;
    }
    if (aeron_init(&aeron, context) < 0 || aeron_start(aeron) < 0)
    {
        fprintf(stderr, "tp_discovery_query: no media driver in %s: %s\n", aeron_context_get_dir(context),
                aeron_errmsg());
        goto done;
    }
    if (aeron_fragment_assembler_create(&assembler, on_message, &state) < 0)
    {
        fprintf(stderr, "tp_discovery_query: fragment assembler: %s\n", aeron_errmsg());
        goto done;
    }
    aeron_async_add_subscription_t *async_sub = NULL;
    aeron_async_add_publication_t *async_pub = NULL;
    if (aeron_async_add_subscription(&async_sub, aeron, o->response_channel, (int32_t)o->response_stream_id, NULL, NULL,
                                     NULL, NULL) < 0 ||
        aeron_async_add_publication(&async_pub, aeron, o->channel, (int32_t)o->discovery_stream_id) < 0)
    {
        fprintf(stderr, "tp_discovery_query: adding streams: %s\n", aeron_errmsg());
        goto done;
    }
    while (NULL == subscription || NULL == publication)
    {
        if ((NULL == subscription && aeron_async_add_subscription_poll(&subscription, async_sub) < 0) ||
            (NULL == publication && aeron_async_add_publication_poll(&publication, async_pub) < 0))
        {
            fprintf(stderr, "tp_discovery_query: the media driver refused a stream: %s\n", aeron_errmsg());
            goto done;
        }
        if (now_ms() > deadline)
        {
            fprintf(stderr, "tp_discovery_query: timed out adding the request and response streams\n");
            goto done;
        }
        sleep_briefly();
    }

    uint8_t request[QUERY_REQUEST_MAX];
    size_t length = encode_request(o, state.request_id, request, sizeof(request));
    if (0 == length)
    {
        fprintf(stderr, "tp_discovery_query: the request does not fit %d bytes (too many or too long filters)\n",
                QUERY_REQUEST_MAX);
        goto done;
    }
    /* Not connected means no provider listening yet: keep trying until the deadline. */
    for (;;)
    {
        int64_t result = aeron_publication_offer(publication, request, length, NULL, NULL);
        if (result > 0)
        {
            break;
        }
        if (AERON_PUBLICATION_CLOSED == result || AERON_PUBLICATION_MAX_POSITION_EXCEEDED == result ||
            AERON_PUBLICATION_ERROR == result)
        {
            fprintf(stderr, "tp_discovery_query: offer failed (%" PRId64 "): %s\n", result, aeron_errmsg());
            goto done;
        }
        if (now_ms() > deadline)
        {
            fprintf(stderr,
                    "tp_discovery_query: no discovery provider on %s stream %" PRIu32 " within %" PRIu64 " ms\n",
                    o->channel, o->discovery_stream_id, o->timeout_ms);
            goto done;
        }
        sleep_briefly();
    }
    while (!state.done)
    {
        int polled = aeron_subscription_poll(subscription, aeron_fragment_assembler_handler, assembler, 16);
        if (polled < 0)
        {
            fprintf(stderr, "tp_discovery_query: poll failed: %s\n", aeron_errmsg());
            goto done;
        }
        if (state.done)
        {
            break;
        }
        if (now_ms() > deadline)
        {
            fprintf(stderr, "tp_discovery_query: no answer to request %" PRIu64 " within %" PRIu64 " ms\n",
                    state.request_id, o->timeout_ms);
            goto done;
        }
        if (0 == polled)
        {
            sleep_briefly();
        }
    }
    exit_code = state.exit_code;

done:
    if (NULL != publication)
    {
        aeron_publication_close(publication, NULL, NULL);
    }
    if (NULL != subscription)
    {
        aeron_subscription_close(subscription, NULL, NULL);
    }
    if (NULL != aeron)
    {
        aeron_close(aeron);
    }
    if (NULL != context)
    {
        aeron_context_close(context);
    }
    if (NULL != assembler)
    {
        aeron_fragment_assembler_delete(assembler);
    }
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
