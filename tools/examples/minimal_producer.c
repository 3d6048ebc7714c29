/* A complete minimal tensorpool producer: 100 frames of 480x640 uint8, zero copy, about 30 per second. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tensorpool/tensorpool.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc > 1) /* no options: -h/--help explain, anything else is refused */
    {
        const int help = 0 == strcmp(argv[1], "-h") || 0 == strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr,
                "usage: %s\n  publishes 100 frames of 480x640 uint8 on stream 10; AERON_DIR names the media driver\n",
                argv[0]);
        return help ? 0 : 2;
    }
    /* The context: defaults are the media driver in AERON_DIR, aeron:ipc, regions under /dev/shm/tensorpool. */
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "client: %s\n", tp_errmsg());
        tp_context_close(ctx);
        return 1;
    }
    tp_context_close(ctx); /* the client keeps its own copy */

    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = 10;
    config.producer_id = 1;
    config.header_nslots = 16;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 512 * 1024};
    config.pool_count = 1;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        tp_client_close(client);
        return 1;
    }

    const int32_t rows = 480;
    const int32_t cols = 640;
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc)); /* zero strides: contiguous */
    desc.dtype = TP_DTYPE_UINT8;
    desc.major_order = TP_MAJOR_ORDER_ROW;
    desc.ndims = 2;
    desc.dims[0] = rows;
    desc.dims[1] = cols;

    int frames = 0;
    uint64_t next_ns = now_ns();
    while (frames < 100)
    {
        if (now_ns() >= next_ns)
        {
            next_ns += 33000000;
            tp_producer_claim_t claim;
            if (TP_PRODUCER_OK == tp_producer_claim(producer, (uint32_t)(rows * cols), &desc, &claim))
            {
                memset(claim.payload, frames & 0xff, (size_t)rows * (size_t)cols); /* "render" straight into SHM */
                tp_producer_commit(producer, &claim, &desc, now_ns());
                frames++;
            }
        }
        /* Announces, QoS, consumers' hellos, and the Aeron client's own duty cycle (invoker mode). */
        int work = tp_producer_poll(producer, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "poll: %s\n", tp_errmsg());
            break;
        }
        tp_client_idle(client, work + client_work);
    }
    printf("sent %d frames\n", frames);
    tp_producer_close(producer);
    tp_client_close(client);
    return 0;
}
