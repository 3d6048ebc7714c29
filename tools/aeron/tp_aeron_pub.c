/* tp_aeron_pub: publishes "Hello World! <n>" messages, like the official basic_publisher sample. */
#include <getopt.h>
#include <unistd.h>

#include "tp_aeron_tool_util.h"

static const char usage_str[] =
    "[-h][-v][-f][-c uri][-i interval][-l linger][-m messages][-p dir][-s stream-id]\n"
    "    -h, --help       help\n"
    "    -v               show version and exit\n"
    "    -f               use a message that fills the whole MTU\n"
    "    -c uri           channel (default " TP_TOOL_DEFAULT_CHANNEL ")\n"
    "    -i interval      pause between messages, ns or with ns|us|ms|s (default 1s; 0 = none, retry back pressure)\n"
    "    -l linger        linger at the end of publishing, ns or with ns|us|ms|s (default 0)\n"
    "    -m messages      number of messages to send (default 10)\n"
    "    -p dir           Aeron directory\n"
    "    -s stream-id     stream id (default 1001)\n";

int main(int argc, char **argv)
{
    const char *channel = TP_TOOL_DEFAULT_CHANNEL;
    const char *dir = NULL;
    int32_t stream_id = TP_TOOL_DEFAULT_STREAM_ID;
    uint64_t messages = 10;
    uint64_t linger_ns = 0;
    uint64_t interval_ns = UINT64_C(1000000000);
    bool fill_mtu = false;
    int opt;

    while ((opt = getopt_long(argc, argv, "hvfc:i:l:m:p:s:", tp_tool_long_options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'c':
                channel = optarg;
                break;
            case 'f':
                fill_mtu = true;
                break;
            case 'i':
                if (tp_tool_parse_duration_ns(optarg, &interval_ns) < 0)
                {
                    fprintf(stderr, "malformed interval '%s'\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 'l':
                if (tp_tool_parse_duration_ns(optarg, &linger_ns) < 0)
                {
                    fprintf(stderr, "malformed linger '%s'\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 'm':
                if (tp_tool_parse_u64(optarg, &messages) < 0)
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
    printf("Publishing to channel %s on Stream ID %" PRId32 "\n", channel, stream_id);

    int status = EXIT_FAILURE;
    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_publication_t *publication = NULL;
    char message[65536];

    if (tp_tool_connect(&context, &aeron, dir) < 0 ||
        NULL == (publication = tp_tool_add_publication(aeron, channel, stream_id)))
    {
        goto cleanup;
    }
    printf("Publication channel status %" PRId64 "\n", aeron_publication_channel_status(publication));

    aeron_publication_constants_t constants;
    aeron_publication_constants(publication, &constants);
    if (fill_mtu)
    {
        size_t length = constants.max_payload_length < sizeof(message) ? constants.max_payload_length : sizeof(message);
        for (size_t i = 0; i < length; i++)
        {
            message[i] = (char)('a' + (i % 26));
        }
    }

    status = EXIT_SUCCESS;
    for (uint64_t i = 0; i < messages && tp_tool_is_running(); i++)
    {
        int length = fill_mtu ? (int)constants.max_payload_length
                              : snprintf(message, sizeof(message), "Hello World! %" PRIu64, i);
        int64_t result;
        do
        {
            result = aeron_publication_offer(publication, (const uint8_t *)message, (size_t)length, NULL, NULL);
            if (0 != interval_ns || result > 0 || result == AERON_PUBLICATION_CLOSED ||
                result == AERON_PUBLICATION_MAX_POSITION_EXCEEDED || result == AERON_PUBLICATION_ERROR)
            {
                break;
            }
            sched_yield();
        } while (tp_tool_is_running());

        if (0 != interval_ns)
        {
            printf("offering %" PRIu64 "/%" PRIu64 " - ", i, messages);
            if (result > 0)
            {
                printf("yay!\n");
            }
            else if (AERON_PUBLICATION_BACK_PRESSURED == result)
            {
                printf("Offer failed due to back pressure\n");
            }
            else if (AERON_PUBLICATION_NOT_CONNECTED == result)
            {
                printf("Offer failed because publisher is not connected to a subscriber\n");
            }
            else if (AERON_PUBLICATION_ADMIN_ACTION == result)
            {
                printf("Offer failed because of an administration action in the system\n");
            }
            else if (AERON_PUBLICATION_CLOSED == result)
            {
                printf("Offer failed because publication is closed\n");
            }
            else
            {
                printf("Offer failed due to unknown reason %" PRId64 "\n", result);
            }
            if (!aeron_publication_is_connected(publication))
            {
                printf("No active subscribers detected\n");
            }
            tp_tool_sleep_ns(interval_ns);
        }
        if (result == AERON_PUBLICATION_CLOSED || result == AERON_PUBLICATION_ERROR ||
            result == AERON_PUBLICATION_MAX_POSITION_EXCEEDED)
        {
            fprintf(stderr, "offer failed: %" PRId64 " %s\n", result, aeron_errmsg());
            status = EXIT_FAILURE;
            break;
        }
    }
    printf("Done sending.\n");
    if (linger_ns > 0)
    {
        printf("Lingering for %" PRIu64 " nanoseconds\n", linger_ns);
        tp_tool_sleep_ns(linger_ns);
    }

cleanup:
    if (NULL != publication)
    {
        aeron_publication_close(publication, NULL, NULL);
    }
    aeron_close(aeron);
    aeron_context_close(context);
    return status;
}
