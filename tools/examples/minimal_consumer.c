/* A complete minimal tensorpool consumer: prints the first 10 frames of stream 10 it is handed. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tensorpool/tensorpool.h"

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    int *count = clientd;
    /* Zero copy: frame->payload points into the producer's pool, valid until the next poll. */
    uint8_t first = frame->payload_length > 0 ? frame->payload[0] : 0;
    /* Read first, then check the slot was not recycled meanwhile: only then is what we read good. */
    if (!tp_consumer_frame_is_intact(frame))
    {
        return;
    }
    printf("frame seq=%" PRIu64 " dims=%" PRId32 "x%" PRId32 " dtype=%d bytes=%" PRIu32 " first=%u\n", frame->seq,
           frame->tensor.dims[0], frame->tensor.dims[1], (int)frame->tensor.dtype, frame->payload_length, first);
    (*count)++;
}

int main(int argc, char **argv)
{
    if (argc > 1) /* no options: -h/--help explain, anything else is refused */
    {
        const int help = 0 == strcmp(argv[1], "-h") || 0 == strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr,
                "usage: %s\n  prints the first 10 frames of stream 10 it is handed; AERON_DIR names the media driver\n",
                argv[0]);
        return help ? 0 : 2;
    }
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "client: %s\n", tp_errmsg());
        tp_context_close(ctx);
        return 1;
    }
    tp_context_close(ctx);

    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = 10;
    config.consumer_id = 42;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        tp_client_close(client);
        return 1;
    }

    int count = 0;
    while (count < 10)
    {
        int work = tp_consumer_poll(consumer, on_frame, &count, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "poll: %s\n", tp_errmsg());
            break;
        }
        tp_client_idle(client, work + client_work);
    }
    const tp_consumer_counters_t *counters = tp_consumer_counters(consumer);
    printf("accepted=%" PRIu64 " drops_gap=%" PRIu64 " drops_late=%" PRIu64 "\n", counters->frames_accepted,
           counters->drops_gap, counters->drops_late);
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}
