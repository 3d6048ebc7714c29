/*
 * tp_control_listen: prints every message on the tensorpool control-plane streams, decoded (schemas 900, 901,
 * 910), one line each with its receive time and stream id; unknown and malformed messages are shown as such.
 * Read-only: it only subscribes, so it can run beside any producer, consumer or driver.
 */
#include <getopt.h>

#include "tensorpool/tp_client.h"
#include "tp_aeron_tool_util.h"
#include "tp_app_aeron.h"
#include "tp_app_options.h"
#include "tp_app_run.h"
#include "tp_listen_decode.h"

#define TP_LISTEN_MAX_STREAMS 4
#define TP_LISTEN_EXIT_NONE   1
#define TP_LISTEN_EXIT_ERROR  2

static const char usage_str[] =
    "[-h] [--json] [-p DIR] [--channel URI] [--stream-id ID] [--count N] [--duration S]\n"
    "Prints every control-plane message (schemas 900, 901, 910) decoded, one per line.\n"
    "    -h, --help          this help\n"
    "    --json              JSON lines instead of text\n"
    "    -p, --aeron-dir DIR Aeron directory (default: AERON_DIR or the client's default)\n"
    "    --channel URI       channel (default aeron:ipc)\n"
    "    --stream-id ID      one stream (default: 1000 control, 1100 descriptor, 1200 QoS, 1300 metadata)\n"
    "    --count N           stop after N messages\n"
    "    --duration S        stop after S seconds (may be fractional; 0, the default: until Ctrl-C)\n"
    "Exit status: 0 at least one message printed, 1 none, 2 error.\n";

typedef struct tp_listen_stream_stct
{
    int32_t stream_id;
    aeron_subscription_t *subscription;
    aeron_fragment_assembler_t *assembler;
    struct tp_listen_state_stct *state;
} tp_listen_stream_t;

typedef struct tp_listen_state_stct
{
    bool json;
    uint64_t printed;
    uint64_t limit;
} tp_listen_state_t;

static int64_t tp_listen_now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void tp_listen_on_message(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_listen_stream_t *stream = clientd;
    tp_listen_state_t *state = stream->state;
    if (0 != state->limit && state->printed >= state->limit)
    {
        return; /* the rest of this poll's batch, past --count */
    }
    tp_listen_origin_t origin = {.receive_timestamp_ns = tp_listen_now_ns(CLOCK_REALTIME),
                                 .stream_id = stream->stream_id};
    tp_listen_decode(buffer, length, &origin, state->json, stdout);
    state->printed++;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"aeron-dir", required_argument, NULL, 'p'},
                                            {"channel", required_argument, NULL, 'c'},
                                            {"stream-id", required_argument, NULL, 's'},
                                            {"count", required_argument, NULL, 'n'},
                                            {"duration", required_argument, NULL, 'd'},
                                            {NULL, 0, NULL, 0}};
    (void)tp_tool_long_options;
    const char *channel = "aeron:ipc";
    const char *dir = NULL;
    int32_t one_stream = 0;
    bool has_stream = false;
    uint64_t duration_ns = 0; /* until Ctrl-C */
    tp_listen_state_t state = {0};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "hp:", options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'h':
                printf("Usage: tp_control_listen %s", usage_str);
                return 0;
            case 'j':
                state.json = true;
                break;
            case 'p':
                dir = optarg;
                break;
            case 'c':
                channel = optarg;
                break;
            case 's':
                if (tp_tool_parse_stream_id("stream id", optarg, &one_stream) < 0)
                {
                    return TP_LISTEN_EXIT_ERROR;
                }
                has_stream = true;
                break;
            case 'n':
                if (tp_tool_parse_u64(optarg, &state.limit) < 0 || 0 == state.limit)
                {
                    fprintf(stderr, "tp_control_listen: --count '%s': expected a positive integer\n", optarg);
                    return TP_LISTEN_EXIT_ERROR;
                }
                break;
            case 'd':
                if (tp_app_seconds_parse("--duration", optarg, true, &duration_ns) < 0)
                {
                    return TP_LISTEN_EXIT_ERROR;
                }
                break;
            default:
                fprintf(stderr, "tp_control_listen: unknown or incomplete option '%s' (try --help)\n",
                        argv[optind - 1]);
                return TP_LISTEN_EXIT_ERROR;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_control_listen: unexpected argument '%s' (try --help)\n", argv[optind]);
        return TP_LISTEN_EXIT_ERROR;
    }

    tp_listen_stream_t streams[TP_LISTEN_MAX_STREAMS] = {0};
    size_t stream_count = 0;
    if (has_stream)
    {
        streams[stream_count++].stream_id = one_stream;
    }
    else
    {
        streams[stream_count++].stream_id = TP_DEFAULT_CONTROL_STREAM_ID;
        streams[stream_count++].stream_id = TP_DEFAULT_DESCRIPTOR_STREAM_ID;
        streams[stream_count++].stream_id = TP_DEFAULT_QOS_STREAM_ID;
        streams[stream_count++].stream_id = TP_DEFAULT_METADATA_STREAM_ID;
    }

    tp_app_signals_install();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int status = TP_LISTEN_EXIT_ERROR;
    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    if (tp_app_aeron_connect("tp_control_listen", dir, &context, &aeron) < 0)
    {
        goto cleanup;
    }
    for (size_t i = 0; i < stream_count; i++)
    {
        streams[i].state = &state;
        if (tp_app_aeron_subscribe("tp_control_listen", aeron, channel, streams[i].stream_id,
                                   &streams[i].subscription) < 0)
        {
            goto cleanup;
        }
        if (aeron_fragment_assembler_create(&streams[i].assembler, tp_listen_on_message, &streams[i]) < 0)
        {
            tp_app_aeron_error("tp_control_listen", "aeron_fragment_assembler_create");
            goto cleanup;
        }
    }

    uint64_t deadline = 0 != duration_ns ? tp_app_now_ns() + duration_ns : 0;
    while (tp_app_is_running() && (0 == state.limit || state.printed < state.limit))
    {
        if (0 != deadline && tp_app_now_ns() >= deadline)
        {
            break;
        }
        int fragments = 0;
        for (size_t i = 0; i < stream_count; i++)
        {
            int rc = aeron_subscription_poll(streams[i].subscription, aeron_fragment_assembler_handler,
                                             streams[i].assembler, 10);
            if (rc < 0)
            {
                tp_app_aeron_error("tp_control_listen", "aeron_subscription_poll");
                goto cleanup;
            }
            fragments += rc;
        }
        if (aeron_is_closed(aeron))
        {
            fprintf(stderr, "tp_control_listen: client closed: the media driver is gone or timed this client out\n");
            goto cleanup;
        }
        if (0 == fragments)
        {
            tp_tool_sleep_ns(1000000);
        }
    }
    status = state.printed > 0 ? 0 : TP_LISTEN_EXIT_NONE;

cleanup:
    fflush(stdout);
    for (size_t i = 0; i < stream_count; i++)
    {
        if (NULL != streams[i].subscription)
        {
            aeron_subscription_close(streams[i].subscription, NULL, NULL);
        }
    }
    tp_app_aeron_close(context, aeron);
    for (size_t i = 0; i < stream_count; i++)
    {
        aeron_fragment_assembler_delete(streams[i].assembler);
    }
    return status;
}
