/*
 * Producer core -> in-memory sink -> consumer core, in one thread, on real regions under /dev/shm.
 *
 * Reports, per payload size: ns per frame for the zero-copy path (claim, touch, commit, descriptor, consumer
 * validation under the seqlock, intact re-check), and for offer() against a plain memcpy of the same size
 * measured in the same run into as many rotating destinations as the ring has slots, as a ratio.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/tp_clock.h"
#include "tensorpool/tp_consumer_core.h"
#include "tensorpool/tp_error.h"
#include "tensorpool/tp_producer_core.h"

#include "bench_util.h"

typedef struct bench_sink_stct
{
    tp_consumer_core_t *consumer;
} bench_sink_t;

/* Deliver straight into the consumer: the transport costs nothing here, so the figures are the cores'. */
static int bench_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    bench_sink_t *sink = clientd;
    if (NULL != sink->consumer)
    {
        tp_consumer_core_on_message(sink->consumer, target->kind, buffer, length);
    }
    return 0;
}

static uint64_t frames_seen;
static uint64_t checksum;

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    (void)clientd;
    if (frame->payload_length > 0)
    {
        checksum += frame->payload[0] + frame->payload[frame->payload_length - 1];
    }
    if (tp_consumer_frame_is_intact(frame))
    {
        frames_seen++;
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
    {
        /* No options: -h/--help print what it does; anything else is refused with the same text. */
        const bool help = 0 == strcmp(argv[1], "-h") || 0 == strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr,
                "usage: %s [-h|--help]\n"
                "  producer core -> in-memory sink -> consumer core on regions under /dev/shm; prints ns per frame\n",
                argv[0]);
        return help ? 0 : 2;
    }
    char root[] = "/dev/shm/tp-bench-core-XXXXXX";
    if (NULL == mkdtemp(root))
    {
        perror("mkdtemp");
        return 1;
    }
    bench_sink_t sink = {NULL};
    tp_producer_context_t pctx;
    tp_producer_context_init(&pctx);
    pctx.stream_id = 10000;
    pctx.header_nslots = 64;
    pctx.pool_count = 3;
    pctx.pools[0] = (tp_producer_pool_config_t){1, 4096};
    pctx.pools[1] = (tp_producer_pool_config_t){2, 65536};
    pctx.pools[2] = (tp_producer_pool_config_t){3, 1048576};
    snprintf(pctx.shm_base_dir, sizeof(pctx.shm_base_dir), "%s", root);
    pctx.sink = (tp_sink_t){bench_offer, NULL, &sink};
    tp_producer_core_t *producer = NULL;
    if (0 != tp_producer_core_start(&producer, &pctx))
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        return 1;
    }
    tp_consumer_context_t cctx;
    tp_consumer_context_init(&cctx);
    cctx.stream_id = 10000;
    cctx.consumer_id = 1;
    cctx.allowed_base_dirs[0] = root;
    cctx.allowed_base_dir_count = 1;
    cctx.on_frame = on_frame;
    tp_consumer_core_t *consumer = NULL;
    if (0 != tp_consumer_core_start(&consumer, &cctx))
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        return 1;
    }
    sink.consumer = consumer;
    tp_producer_core_do_work(producer, tp_clock_monotonic_ns());
    if (!tp_consumer_core_is_mapped(consumer))
    {
        fprintf(stderr, "consumer not mapped: %s\n", tp_consumer_core_last_error(consumer));
        return 1;
    }

    static uint8_t source[1048576];
    memset(source, 0x5A, sizeof(source));
    /* The copy offer() cannot avoid lands in a different slot each frame, so the fair limit is a memcpy into
     * as many rotating destinations as the ring has slots (a hot single target would sit in cache). */
    const size_t ring = 64;
    uint8_t *targets = malloc(ring * sizeof(source));
    if (NULL == targets)
    {
        return 1;
    }
    memset(targets, 0, ring * sizeof(source));
    const uint32_t sizes[] = {256, 4096, 65536, 1048576};
    printf("%10s %16s %14s %14s %8s\n", "bytes", "zero-copy ns/f", "offer ns/f", "memcpy ns", "ratio");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
    {
        uint32_t size = sizes[k];
        uint64_t n = size >= 65536 ? 2000 : 200000;
        const tp_tensor_desc_t desc = bench_desc_bytes(size);

        uint64_t seen = frames_seen;
        uint64_t t0 = tp_clock_monotonic_ns();
        for (uint64_t i = 0; i < n; i++)
        {
            tp_producer_claim_t claim;
            if (TP_PRODUCER_OK != tp_producer_core_claim(producer, size, NULL, &claim))
            {
                return 1;
            }
            claim.payload[0] = (uint8_t)i;
            tp_producer_core_commit(producer, &claim, &desc, i, 0);
        }
        uint64_t t1 = tp_clock_monotonic_ns();
        for (uint64_t i = 0; i < n; i++)
        {
            tp_producer_core_offer(producer, &desc, source, size, i);
        }
        uint64_t t2 = tp_clock_monotonic_ns();
        for (uint64_t i = 0; i < n; i++)
        {
            source[0] = (uint8_t)i;
            uint8_t *target = targets + (i % ring) * sizeof(source);
            memcpy(target, source, size);
            __asm__ volatile("" ::"r"(target) : "memory");
        }
        uint64_t t3 = tp_clock_monotonic_ns();
        if (frames_seen - seen != 2 * n)
        {
            fprintf(stderr, "only %llu of %llu frames accepted\n", (unsigned long long)(frames_seen - seen),
                    (unsigned long long)(2 * n));
            return 1;
        }
        double zero_copy = (double)(t1 - t0) / (double)n;
        double offer = (double)(t2 - t1) / (double)n;
        double copy = (double)(t3 - t2) / (double)n;
        printf("%10u %16.1f %14.1f %14.1f %8.2f\n", size, zero_copy, offer, copy, offer / copy);
    }
    tp_consumer_core_close(consumer);
    tp_producer_core_close(producer);
    (void)bench_remove_tree(root);
    free(targets);
    return checksum > 0 ? 0 : 1;
}
