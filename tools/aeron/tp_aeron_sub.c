/* tp_aeron_sub: prints every message received, like the official basic_subscriber sample. */
#include <getopt.h>

#include "tp_aeron_tool_util.h"

static const char usage_str[] = "[-h][-v][-c uri][-m messages][-p dir][-s stream-id]\n"
                                "    -h, --help       help\n"
                                "    -v               show version and exit\n"
                                "    -c uri           channel (default " TP_TOOL_DEFAULT_CHANNEL ")\n"
                                "    -m messages      exit after this many messages (default 0 = run until SIGINT)\n"
                                "    -p dir           Aeron directory\n"
                                "    -s stream-id     stream id (default 1001)\n";

typedef struct tp_sub_state_stct
{
    aeron_subscription_t *subscription;
    uint64_t received;
} tp_sub_state_t;

static void tp_sub_on_message(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    tp_sub_state_t *state = clientd;
    aeron_subscription_constants_t constants;
    aeron_header_values_t values;
    if (aeron_subscription_constants(state->subscription, &constants) < 0 || aeron_header_values(header, &values) < 0)
    {
        fprintf(stderr, "could not read subscription constants or header: %s\n", aeron_errmsg());
        return;
    }
    printf("Message to stream %" PRId32 " from session %" PRId32 " (%" PRIu64 " bytes) <<%.*s>>\n", constants.stream_id,
           values.frame.session_id, (uint64_t)length, (int)length, (const char *)buffer);
    state->received++;
}

int main(int argc, char **argv)
{
    const char *channel = TP_TOOL_DEFAULT_CHANNEL;
    const char *dir = NULL;
    int32_t stream_id = TP_TOOL_DEFAULT_STREAM_ID;
    uint64_t limit = 0;
    int opt;

    while ((opt = getopt_long(argc, argv, "hvc:m:p:s:", tp_tool_long_options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'c':
                channel = optarg;
                break;
            case 'm':
                if (tp_tool_parse_u64(optarg, &limit) < 0)
                {
                    fprintf(stderr, "malformed number of messages '%s'\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 'p':
                dir = optarg;
                break;
            case 's':
                if (tp_tool_parse_stream_id("stream id", optarg, &stream_id) < 0)
                {
                    return EXIT_FAILURE;
                }
                break;
            case 'v':
                return tp_tool_print_version(argv[0]);
            case 'h':
                return tp_tool_print_help(argv[0], usage_str);
            default:
                return tp_tool_print_usage(argv[0], usage_str);
        }
    }

    tp_tool_start();
    printf("Subscribing to channel %s on Stream ID %" PRId32 "\n", channel, stream_id);

    int status = EXIT_FAILURE;
    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_fragment_assembler_t *assembler = NULL;
    tp_sub_state_t state = {0};

    if (tp_tool_connect(&context, &aeron, dir) < 0 ||
        NULL == (state.subscription = tp_tool_add_subscription(aeron, channel, stream_id, NULL, NULL)))
    {
        goto cleanup;
    }
    printf("Subscription channel status %" PRId64 "\n", aeron_subscription_channel_status(state.subscription));
    if (aeron_fragment_assembler_create(&assembler, tp_sub_on_message, &state) < 0)
    {
        fprintf(stderr, "aeron_fragment_assembler_create: %s\n", aeron_errmsg());
        goto cleanup;
    }

    status = EXIT_SUCCESS;
    while (tp_tool_is_running() && (0 == limit || state.received < limit))
    {
        int fragments = aeron_subscription_poll(state.subscription, aeron_fragment_assembler_handler, assembler, 10);
        if (fragments < 0)
        {
            fprintf(stderr, "aeron_subscription_poll: %s\n", aeron_errmsg());
            status = EXIT_FAILURE;
            break;
        }
        if (aeron_is_closed(aeron))
        {
            fprintf(stderr, "client closed: the media driver is gone or timed this client out\n");
            status = EXIT_FAILURE;
            break;
        }
        if (0 == fragments)
        {
            tp_tool_sleep_ns(1000000);
        }
    }
    printf("Shutting down...\n");

cleanup:
    if (NULL != state.subscription)
    {
        aeron_subscription_close(state.subscription, NULL, NULL);
    }
    aeron_close(aeron);
    aeron_context_close(context);
    aeron_fragment_assembler_delete(assembler);
    return status;
}
