/* tp_demo's producer process: streams frames of the test pattern, zero copy, at the requested rate. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tp_atomic.h"
#include "tensorpool/tensorpool.h"
#include "tp_app_pattern.h"
#include "tp_demo.h"

/* Control duties (announces, QoS, hellos) and the Aeron conductor, between frames. */
static int producer_duty(tp_client_t *client, tp_producer_t *producer)
{
    int work = tp_producer_poll(producer, 0);
    int client_work = tp_client_do_work(client);
    if (work < 0 || client_work < 0)
    {
        return -1;
    }
    return work + client_work;
}

static int producer_wait_for_consumer(const tp_demo_options_t *options, tp_demo_shared_t *shared, tp_client_t *client,
                                      tp_producer_t *producer)
{
    /* Frames sent before the consumer has mapped the regions would be dropped unseen: wait for it. */
    const uint64_t deadline = tp_demo_now_ns() + 20ULL * 1000000000ULL;
    while (0 == tp_load_acquire_i32(&shared->consumer_mapped))
    {
        if (0 != tp_load_acquire_i32(&shared->stop_producer))
        {
            return 1;
        }
        if (tp_demo_now_ns() > deadline)
        {
            fprintf(stderr, "producer: no consumer mapped stream %" PRIu32 " within 20 s\n", options->stream_id);
            return -1;
        }
        int work = producer_duty(client, producer);
        if (work < 0)
        {
            fprintf(stderr, "producer: %s\n", tp_errmsg());
            return -1;
        }
        tp_client_idle(client, work);
    }
    return 0;
}

int tp_demo_producer_run(const tp_demo_options_t *options, tp_demo_shared_t *shared)
{
    tp_client_t *client = NULL;
    if (tp_demo_client_start(options, &client) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        return 1;
    }
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = options->stream_id;
    config.producer_id = TP_DEMO_PRODUCER_ID;
    config.header_nslots = options->slots;
    config.pools[0] = (tp_producer_pool_config_t){
        .pool_id = 1, .stride_bytes = (uint32_t)tp_app_next_pow2(options->frame_bytes, 4096)};
    config.pool_count = 1;
    snprintf(config.source_name, sizeof(config.source_name), "tp_demo");
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        tp_client_close(client);
        return 1;
    }

    /* Driver mode: the producer's attach bumps the epoch, so the consumer must follow to this one first. */
    tp_store_release_u64(&shared->producer_epoch, tp_producer_epoch(producer));
    int status = 0;
    int waited = producer_wait_for_consumer(options, shared, client, producer);
    if (waited < 0)
    {
        status = 1;
    }

    tp_tensor_desc_t desc;
    tp_app_shape_to_desc(&options->shape, &desc);
    const uint64_t period_ns = options->rate_hz > 0.0 ? (uint64_t)(1e9 / options->rate_hz) : 0;
    uint64_t committed = 0;
    uint64_t claim_failures = 0;
    uint64_t back_pressured = 0;
    const uint64_t start_ns = tp_demo_now_ns();
    uint64_t next_ns = start_ns;
    tp_store_release_i32(&shared->producer_streaming, 1);
    while (0 == waited && 0 == tp_load_acquire_i32(&shared->stop_producer))
    {
        const uint64_t now = tp_demo_now_ns();
        if (0 != period_ns && now < next_ns)
        {
            int work = producer_duty(client, producer);
            if (work < 0)
            {
                fprintf(stderr, "producer: %s\n", tp_errmsg());
                status = 1;
                break;
            }
            /* Sleep-free wait close to the deadline keeps the frame cadence regular. */
            if (next_ns - now > 200000)
            {
                tp_client_idle(client, work);
            }
            continue;
        }
        next_ns += period_ns;

        tp_producer_claim_t claim;
        int rc = tp_producer_claim(producer, options->frame_bytes, &desc, &claim);
        if (TP_PRODUCER_OK != rc)
        {
            claim_failures++;
            continue;
        }
        tp_app_pattern_fill(claim.payload, options->frame_bytes, claim.seq);
        if (0 != options->corrupt_every && 0 == (claim.seq + 1) % options->corrupt_every)
        {
            claim.payload[options->frame_bytes / 2] ^= 0x01; /* the consumer must catch this and report it bad */
        }
        rc = tp_producer_commit(producer, &claim, &desc, tp_demo_now_ns());
        if (rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc)
        {
            committed++;
            back_pressured += TP_PRODUCER_BACK_PRESSURE == rc ? 1 : 0;
            tp_store_release_u64(&shared->frames_committed, committed);
        }
        if (0 == period_ns && 0 != (committed & 15))
        {
            continue; /* flat out: control duties every 16 frames are plenty */
        }
        if (producer_duty(client, producer) < 0)
        {
            fprintf(stderr, "producer: %s\n", tp_errmsg());
            status = 1;
            break;
        }
    }
    const double seconds = (double)(tp_demo_now_ns() - start_ns) / 1e9;
    const tp_producer_counters_t *counters = tp_producer_counters(producer);
    printf("producer: committed=%" PRIu64 " (%.1f frames/s, %.1f MiB/s) epoch=%" PRIu64 " back_pressured=%" PRIu64
           " claim_failures=%" PRIu64 " no_pool=%" PRIu64 "\n",
           committed, seconds > 0 ? (double)committed / seconds : 0.0,
           seconds > 0 ? (double)committed * options->frame_bytes / seconds / 1048576.0 : 0.0,
           tp_producer_epoch(producer), back_pressured, claim_failures, counters->drops_no_pool);
    fflush(stdout);
    tp_producer_close(producer);
    tp_client_close(client);
    return status;
}
