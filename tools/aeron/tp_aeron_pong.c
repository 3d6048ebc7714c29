/* tp_aeron_pong: echoes every ping back on the pong channel, with the official cpong's flags. */
#include <getopt.h>

#include "tp_aeron_tool_util.h"

static const char usage_str[] = "[-h][-v][-C uri][-c uri][-p dir][-S stream-id][-s stream-id]\n"
                                "    -h, --help       help\n"
                                "    -v               show version and exit\n"
                                "    -C uri           pong channel (default aeron:ipc)\n"
                                "    -c uri           ping channel (default aeron:ipc)\n"
                                "    -p dir           Aeron directory\n"
                                "    -S stream-id     pong stream id (default 1003)\n"
                                "    -s stream-id     ping stream id (default 1002)\n";

static void tp_pong_on_ping(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    aeron_exclusive_publication_t *publication = clientd;
    while (aeron_exclusive_publication_offer(publication, buffer, length, NULL, NULL) < 0)
    {
        if (aeron_exclusive_publication_is_closed(publication) || !tp_tool_is_running())
        {
            return;
        }
    }
}

int main(int argc, char **argv)
{
    const char *ping_channel = "aeron:ipc";
    const char *pong_channel = "aeron:ipc";
    const char *dir = NULL;
    int32_t ping_stream_id = 1002;
    int32_t pong_stream_id = 1003;
    int opt;

    while ((opt = getopt_long(argc, argv, "hvC:c:p:S:s:", tp_tool_long_options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'C':
                pong_channel = optarg;
                break;
            case 'c':
                ping_channel = optarg;
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
            case 'v':
                return tp_tool_print_version(argv[0]);
            case 'h':
                return tp_tool_print_help(argv[0], usage_str);
            default:
                return tp_tool_print_usage(argv[0], usage_str);
        }
    }

    tp_tool_start();
    printf("Subscribing Ping at channel %s on Stream ID %" PRId32 "\n", ping_channel, ping_stream_id);
    printf("Publishing Pong at channel %s on Stream ID %" PRId32 "\n", pong_channel, pong_stream_id);

    int status = EXIT_FAILURE;
    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_subscription_t *subscription = NULL;
    aeron_exclusive_publication_t *publication = NULL;
    aeron_image_t *image = NULL;
    aeron_image_fragment_assembler_t *assembler = NULL;

    if (tp_tool_connect(&context, &aeron, dir) < 0 ||
        NULL == (subscription = tp_tool_add_subscription(aeron, ping_channel, ping_stream_id, NULL, NULL)) ||
        NULL == (publication = tp_tool_add_exclusive_publication(aeron, pong_channel, pong_stream_id)))
    {
        goto cleanup;
    }
    if (aeron_image_fragment_assembler_create(&assembler, tp_pong_on_ping, publication) < 0)
    {
        fprintf(stderr, "aeron_image_fragment_assembler_create: %s\n", aeron_errmsg());
        goto cleanup;
    }
    while (!aeron_subscription_is_connected(subscription) && tp_tool_is_running())
    {
        tp_tool_sleep_ns(1000000);
    }
    if (NULL == (image = aeron_subscription_image_at_index(subscription, 0)))
    {
        fprintf(stderr, "could not find the ping image\n");
        goto cleanup;
    }

    status = EXIT_SUCCESS;
    while (tp_tool_is_running())
    {
        if (aeron_image_poll(image, aeron_image_fragment_assembler_handler, assembler, 10) <= 0 &&
            aeron_image_is_closed(image))
        {
            break; /* the pinger went away */
        }
    }
    printf("Shutting down...\n");

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
    return status;
}
