/*
 * tp_aeron_ping: round-trip latency against tp_aeron_pong, with the official cping's flags. Each ping carries its
 * send time; the pong echoes it back. Prints p50/p90/p99/p99.9/max of the RTT.
 */
#include <getopt.h>

#include "tp_aeron_tool_util.h"

static const char usage_str[] =
    "[-h][-v][-C uri][-c uri][-L length][-m messages][-p dir][-S stream-id][-s stream-id][-w messages]\n"
    "    -h, --help       help\n"
    "    -v               show version and exit\n"
    "    -C uri           pong channel (default aeron:ipc)\n"
    "    -c uri           ping channel (default aeron:ipc)\n"
    "    -L length        message length in bytes (default 32, at least 8)\n"
    "    -m messages      number of measured messages (default 1000000)\n"
    "    -p dir           Aeron directory\n"
    "    -S stream-id     pong stream id (default 1003)\n"
    "    -s stream-id     ping stream id (default 1002)\n"
    "    -w messages      number of warm-up messages (default 100000)\n";

typedef struct tp_ping_state_stct
{
    int64_t *samples;
    uint64_t received;
    bool record;
} tp_ping_state_t;

static void tp_ping_on_pong(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    tp_ping_state_t *state = clientd;
    int64_t sent;
    memcpy(&sent, buffer, sizeof(sent));
    if (state->record)
    {
        state->samples[state->received] = aeron_nano_clock() - sent;
    }
    state->received++;
}

static int tp_ping_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool tp_ping_run(aeron_exclusive_publication_t *publication, aeron_image_t *image,
                        aeron_image_fragment_assembler_t *assembler, tp_ping_state_t *state, uint64_t messages,
                        uint8_t *message, size_t length)
{
    state->received = 0;
    for (uint64_t i = 0; i < messages && tp_tool_is_running(); i++)
    {
        int64_t result;
        do
        {
            int64_t now = aeron_nano_clock();
            memcpy(message, &now, sizeof(now));
            result = aeron_exclusive_publication_offer(publication, message, length, NULL, NULL);
            if (AERON_PUBLICATION_CLOSED == result || AERON_PUBLICATION_ERROR == result)
            {
                fprintf(stderr, "ping offer failed: %" PRId64 " %s\n", result, aeron_errmsg());
                return false;
            }
        } while (result < 0 && tp_tool_is_running());

        while (state->received < i + 1 && tp_tool_is_running())
        {
            if (aeron_image_poll(image, aeron_image_fragment_assembler_handler, assembler, 10) <= 0 &&
                aeron_image_is_closed(image))
            {
                fprintf(stderr, "pong image closed\n");
                return false;
            }
        }
    }
    return tp_tool_is_running();
}

int main(int argc, char **argv)
{
    const char *ping_channel = "aeron:ipc";
    const char *pong_channel = "aeron:ipc";
    const char *dir = NULL;
    int32_t ping_stream_id = 1002;
    int32_t pong_stream_id = 1003;
    uint64_t messages = 1000000;
    uint64_t warm_up = 100000;
    uint64_t length = 32;
    int opt;

    while ((opt = getopt_long(argc, argv, "hvC:c:L:m:p:S:s:w:", tp_tool_long_options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'C':
                pong_channel = optarg;
                break;
            case 'c':
                ping_channel = optarg;
                break;
            case 'L':
                if (tp_tool_parse_u64(optarg, &length) < 0 || length < sizeof(int64_t))
                {
                    fprintf(stderr, "malformed message length '%s' (at least 8)\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 'm':
                if (tp_tool_parse_u64(optarg, &messages) < 0 || 0 == messages)
                {
                    fprintf(stderr, "malformed number of messages '%s'\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 'p':
                dir = optarg;
                break;
            case 'S':
                if (tp_tool_parse_stream_id("pong stream id", optarg, &pong_stream_id) < 0)
                {
                    return EXIT_FAILURE;
                }
                break;
            case 's':
                if (tp_tool_parse_stream_id("ping stream id", optarg, &ping_stream_id) < 0)
                {
                    return EXIT_FAILURE;
                }
                break;
            case 'w':
                if (tp_tool_parse_u64(optarg, &warm_up) < 0)
                {
                    fprintf(stderr, "malformed number of warm-up messages '%s'\n", optarg);
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
    printf("Publishing Ping at channel %s on Stream ID %" PRId32 "\n", ping_channel, ping_stream_id);
    printf("Subscribing Pong at channel %s on Stream ID %" PRId32 "\n", pong_channel, pong_stream_id);

    int status = EXIT_FAILURE;
    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_subscription_t *subscription = NULL;
    aeron_exclusive_publication_t *publication = NULL;
    aeron_image_t *image = NULL;
    aeron_image_fragment_assembler_t *assembler = NULL;
    tp_ping_state_t state = {0};
    uint8_t *message = calloc(1, (size_t)length);
    state.samples = malloc((size_t)messages * sizeof(int64_t));
    if (NULL == message || NULL == state.samples)
    {
        fprintf(stderr, "could not allocate %" PRIu64 " samples\n", messages);
        goto cleanup;
    }

    if (tp_tool_connect(&context, &aeron, dir) < 0 ||
        NULL == (subscription = tp_tool_add_subscription(aeron, pong_channel, pong_stream_id, NULL, NULL)) ||
        NULL == (publication = tp_tool_add_exclusive_publication(aeron, ping_channel, ping_stream_id)))
    {
        goto cleanup;
    }
    while (!aeron_subscription_is_connected(subscription) && tp_tool_is_running())
    {
        tp_tool_sleep_ns(1000000);
    }
    if (NULL == (image = aeron_subscription_image_at_index(subscription, 0)))
    {
        fprintf(stderr, "could not find the pong image\n");
        goto cleanup;
    }
    if (aeron_image_fragment_assembler_create(&assembler, tp_ping_on_pong, &state) < 0)
    {
        fprintf(stderr, "aeron_image_fragment_assembler_create: %s\n", aeron_errmsg());
        goto cleanup;
    }

    printf("Warming up with %" PRIu64 " messages of length %" PRIu64 " bytes\n", warm_up, length);
    int64_t start_ns = aeron_nano_clock();
    if (!tp_ping_run(publication, image, assembler, &state, warm_up, message, (size_t)length))
    {
        goto cleanup;
    }
    printf("Warm up complete in %" PRId64 "ns\n", aeron_nano_clock() - start_ns);
    printf("Pinging %" PRIu64 " messages of length %" PRIu64 " bytes\n", messages, length);
    state.record = true;
    start_ns = aeron_nano_clock();
    if (!tp_ping_run(publication, image, assembler, &state, messages, message, (size_t)length))
    {
        goto cleanup;
    }
    int64_t elapsed_ns = aeron_nano_clock() - start_ns;

    qsort(state.samples, (size_t)messages, sizeof(int64_t), tp_ping_compare);
    const double quantiles[] = {0.50, 0.90, 0.99, 0.999};
    const char *names[] = {"p50", "p90", "p99", "p99.9"};
    printf("RTT over %" PRIu64 " messages (%.0f msgs/s):", messages, (double)messages * 1e9 / (double)elapsed_ns);
    for (size_t q = 0; q < sizeof(quantiles) / sizeof(quantiles[0]); q++)
    {
        size_t index = (size_t)(quantiles[q] * (double)(messages - 1));
        printf(" %s=%.3fus", names[q], (double)state.samples[index] / 1000.0);
    }
    printf(" max=%.3fus\n", (double)state.samples[messages - 1] / 1000.0);
    status = EXIT_SUCCESS;

cleanup:
    if (NULL != image)
    {
        aeron_subscription_image_release(subscription, image);
    }
    if (NULL != subscription)
    {
        aeron_subscription_close(subscription, NULL, NULL);
    }
    if (NULL != publication)
    {
        aeron_exclusive_publication_close(publication, NULL, NULL);
    }
    aeron_close(aeron);
    aeron_context_close(context);
    aeron_image_fragment_assembler_delete(assembler);
    free(message);
    free(state.samples);
    return status;
}
