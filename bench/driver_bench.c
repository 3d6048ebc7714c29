/*
 * driver_bench: the SHM driver's costs, against real processes (tp_mediadriver and tp_driver as children).
 *
 *   1. Attach latency through the public API in driver mode: tp_consumer_start() / tp_producer_start() from the
 *      call to "regions mapped and validated, lease granted" (request -> response -> mapped), then close
 *      (detach). A producer attach also makes the driver create a fresh epoch of region files.
 *   2. Keepalive cost: N consumer leases (raw ShmAttachRequest messages), each kept alive once a second for the
 *      measurement window; the driver process's CPU time (utime + stime from /proc) over the window, beside the
 *      same window with no leases.
 *
 * Figures are percentiles of this run; nothing here asserts a time.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <aeronc.h>

#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "tensorpool/tensorpool.h"

#include "bench_util.h"

#define BENCH_STREAM_ID  10
#define BENCH_MAX_LEASES 10000

typedef struct bench_stct
{
    char dir[64];
    char aeron_dir[128];
    char shm_dir[128];
    pid_t media_driver;
    pid_t driver;
} bench_t;

static void log_quiet(void *clientd, tp_log_level_t level, const char *text)
{
    (void)clientd;
    if (TP_LOG_ERROR == level)
    {
        fprintf(stderr, "bench: %s\n", text);
    }
}

static tp_client_t *bench_client(const bench_t *b)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, b->aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, b->shm_dir) < 0 || tp_context_add_allowed_dir(ctx, b->shm_dir) < 0 ||
        tp_context_set_shm_driver(ctx, true) < 0 || tp_context_set_idle_strategy(ctx, "yield") < 0 ||
        tp_context_set_log(ctx, log_quiet, NULL, TP_LOG_ERROR) < 0 || tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "bench: client: %s\n", tp_errmsg());
        client = NULL;
    }
    tp_context_close(ctx);
    return client;
}

static int bench_attach_latency(const bench_t *b, size_t iterations)
{
    tp_client_t *client = bench_client(b);
    if (NULL == client)
    {
        return -1;
    }
    uint64_t *consumer_ns = calloc(iterations, sizeof(uint64_t));
    uint64_t *producer_ns = calloc(iterations, sizeof(uint64_t));
    int rc = 0;
    for (size_t i = 0; i < iterations && 0 == rc; i++)
    {
        tp_producer_config_t pcfg;
        tp_producer_config_init(&pcfg);
        pcfg.stream_id = BENCH_STREAM_ID;
        pcfg.producer_id = 1;
        tp_producer_t *producer = NULL;
        uint64_t t0 = bench_now_ns();
        if (tp_producer_start(&producer, client, &pcfg) < 0)
        {
            fprintf(stderr, "bench: producer attach %zu: %s\n", i, tp_errmsg());
            rc = -1;
            break;
        }
        producer_ns[i] = bench_now_ns() - t0;

        tp_consumer_config_t ccfg;
        tp_consumer_config_init(&ccfg);
        ccfg.stream_id = BENCH_STREAM_ID;
        ccfg.consumer_id = 2;
        tp_consumer_t *consumer = NULL;
        t0 = bench_now_ns();
        if (tp_consumer_start(&consumer, client, &ccfg) < 0)
        {
            fprintf(stderr, "bench: consumer attach %zu: %s\n", i, tp_errmsg());
            rc = -1;
        }
        else
        {
            consumer_ns[i] = bench_now_ns() - t0;
        }
        tp_consumer_close(consumer);
        tp_producer_close(producer);
    }
    if (0 == rc)
    {
        qsort(producer_ns, iterations, sizeof(uint64_t), bench_compare_u64);
        qsort(consumer_ns, iterations, sizeof(uint64_t), bench_compare_u64);
        printf("attach latency (request -> lease granted and regions mapped), %zu attaches each:\n", iterations);
        printf("  producer  p50 %8.1f us  p99 %8.1f us  max %8.1f us  (includes creating a fresh epoch of files)\n",
               bench_percentile_us(producer_ns, iterations, 0.5), bench_percentile_us(producer_ns, iterations, 0.99),
               bench_percentile_us(producer_ns, iterations, 1.0));
        printf("  consumer  p50 %8.1f us  p99 %8.1f us  max %8.1f us\n",
               bench_percentile_us(consumer_ns, iterations, 0.5), bench_percentile_us(consumer_ns, iterations, 0.99),
               bench_percentile_us(consumer_ns, iterations, 1.0));
    }
    free(consumer_ns);
    free(producer_ns);
    tp_client_close(client);
    return rc;
}

typedef struct raw_client_stct
{
    aeron_context_t *ctx;
    aeron_t *aeron;
    aeron_publication_t *publication;
    aeron_subscription_t *subscription;
    uint64_t *lease_ids;
    size_t granted;
} raw_client_t;

static void raw_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    raw_client_t *raw = clientd;
    struct shm_tensorpool_driver_messageHeader hdr;
    if (NULL == shm_tensorpool_driver_messageHeader_wrap(&hdr, (char *)buffer, 0, 0, length) ||
        shm_tensorpool_driver_messageHeader_schemaId(&hdr) != shm_tensorpool_driver_shmAttachResponse_sbe_schema_id() ||
        shm_tensorpool_driver_messageHeader_templateId(&hdr) !=
            shm_tensorpool_driver_shmAttachResponse_sbe_template_id())
    {
        return;
    }
    struct shm_tensorpool_driver_shmAttachResponse msg;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_wrap_for_decode(
                    &msg, (char *)buffer, 8, shm_tensorpool_driver_messageHeader_blockLength(&hdr),
                    shm_tensorpool_driver_messageHeader_version(&hdr), length))
    {
        return;
    }
    enum shm_tensorpool_driver_responseCode code;
    int64_t correlation = shm_tensorpool_driver_shmAttachResponse_correlationId(&msg);
    if (shm_tensorpool_driver_shmAttachResponse_code(&msg, &code) && shm_tensorpool_driver_responseCode_OK == code &&
        correlation >= 1000000 && correlation < 1000000 + BENCH_MAX_LEASES)
    {
        raw->lease_ids[correlation - 1000000] = shm_tensorpool_driver_shmAttachResponse_leaseId(&msg);
        raw->granted++;
    }
}

static int raw_open(raw_client_t *raw, const char *aeron_dir, size_t leases)
{
    memset(raw, 0, sizeof(*raw));
    raw->lease_ids = calloc(leases, sizeof(uint64_t));
    aeron_async_add_publication_t *pub_async = NULL;
    aeron_async_add_subscription_t *sub_async = NULL;
    if (aeron_context_init(&raw->ctx) < 0 || aeron_context_set_dir(raw->ctx, aeron_dir) < 0 ||
        aeron_init(&raw->aeron, raw->ctx) < 0 || aeron_start(raw->aeron) < 0 ||
        aeron_async_add_publication(&pub_async, raw->aeron, "aeron:ipc", 1000) < 0 ||
        aeron_async_add_subscription(&sub_async, raw->aeron, "aeron:ipc", 1000, NULL, NULL, NULL, NULL) < 0)
    {
        fprintf(stderr, "bench: raw client: %s\n", aeron_errmsg());
        return -1;
    }
    const uint64_t deadline = bench_now_ns() + 10000000000ULL;
    while (NULL == raw->publication || NULL == raw->subscription)
    {
        if ((NULL == raw->publication && aeron_async_add_publication_poll(&raw->publication, pub_async) < 0) ||
            (NULL == raw->subscription && aeron_async_add_subscription_poll(&raw->subscription, sub_async) < 0) ||
            bench_now_ns() > deadline)
        {
            fprintf(stderr, "bench: raw client streams: %s\n", aeron_errmsg());
            return -1;
        }
        bench_sleep_ns(1000000);
    }
    return 0;
}

static void raw_offer(raw_client_t *raw, const uint8_t *buffer, size_t length)
{
    const uint64_t deadline = bench_now_ns() + 1000000000ULL;
    while (aeron_publication_offer(raw->publication, buffer, length, NULL, NULL) < 0 && bench_now_ns() < deadline)
    {
        aeron_subscription_poll(raw->subscription, raw_on_fragment, raw, 100);
    }
}

static void raw_close(raw_client_t *raw)
{
    aeron_subscription_close(raw->subscription, NULL, NULL);
    aeron_publication_close(raw->publication, NULL, NULL);
    aeron_close(raw->aeron);
    aeron_context_close(raw->ctx);
    free(raw->lease_ids);
}

static int bench_keepalive_cost(const bench_t *b, size_t leases, uint64_t window_ns)
{
    /* The idle baseline first: the driver with no leases over the same window. */
    uint64_t cpu0 = bench_process_cpu_ns(b->driver);
    bench_sleep_ns(window_ns);
    const double idle_pct = 100.0 * (double)(bench_process_cpu_ns(b->driver) - cpu0) / (double)window_ns;

    raw_client_t raw;
    if (raw_open(&raw, b->aeron_dir, leases) < 0)
    {
        return -1;
    }
    uint8_t buffer[256];
    struct shm_tensorpool_driver_messageHeader hdr;
    for (size_t i = 0; i < leases; i++)
    {
        struct shm_tensorpool_driver_shmAttachRequest req;
        shm_tensorpool_driver_shmAttachRequest_wrap_and_apply_header(&req, (char *)buffer, 0, sizeof(buffer), &hdr);
        shm_tensorpool_driver_shmAttachRequest_set_correlationId(&req, (int64_t)(1000000 + i));
        shm_tensorpool_driver_shmAttachRequest_set_streamId(&req, BENCH_STREAM_ID);
        shm_tensorpool_driver_shmAttachRequest_set_clientId(&req, (uint32_t)(100000 + i));
        shm_tensorpool_driver_shmAttachRequest_set_role(&req, shm_tensorpool_driver_role_CONSUMER);
        shm_tensorpool_driver_shmAttachRequest_set_expectedLayoutVersion(&req, 0);
        shm_tensorpool_driver_shmAttachRequest_set_maxDims(&req, 0);
        shm_tensorpool_driver_shmAttachRequest_set_publishMode(&req,
                                                               shm_tensorpool_driver_publishMode_REQUIRE_EXISTING);
        shm_tensorpool_driver_shmAttachRequest_set_requireHugepages(&req,
                                                                    shm_tensorpool_driver_hugepagesPolicy_UNSPECIFIED);
        raw_offer(&raw, buffer, 8 + shm_tensorpool_driver_shmAttachRequest_encoded_length(&req));
        aeron_subscription_poll(raw.subscription, raw_on_fragment, &raw, 100);
    }
    const uint64_t deadline = bench_now_ns() + 20000000000ULL;
    while (raw.granted < leases && bench_now_ns() < deadline)
    {
        if (0 == aeron_subscription_poll(raw.subscription, raw_on_fragment, &raw, 100))
        {
            bench_sleep_ns(100000);
        }
    }
    if (raw.granted < leases)
    {
        fprintf(stderr, "bench: only %zu of %zu leases granted\n", raw.granted, leases);
        raw_close(&raw);
        return -1;
    }

    /* Keepalives spread evenly: each lease once per second. */
    cpu0 = bench_process_cpu_ns(b->driver);
    const uint64_t start = bench_now_ns();
    const uint64_t gap = 1000000000ULL / leases;
    uint64_t sent = 0;
    size_t next = 0;
    while (bench_now_ns() - start < window_ns)
    {
        const uint64_t due = start + sent * gap;
        if (bench_now_ns() < due)
        {
            aeron_subscription_poll(raw.subscription, raw_on_fragment, &raw, 100);
            bench_sleep_ns(due - bench_now_ns() > 200000 ? 100000 : 0);
            continue;
        }
        struct shm_tensorpool_driver_shmLeaseKeepalive ka;
        shm_tensorpool_driver_shmLeaseKeepalive_wrap_and_apply_header(&ka, (char *)buffer, 0, sizeof(buffer), &hdr);
        shm_tensorpool_driver_shmLeaseKeepalive_set_leaseId(&ka, raw.lease_ids[next]);
        shm_tensorpool_driver_shmLeaseKeepalive_set_streamId(&ka, BENCH_STREAM_ID);
        shm_tensorpool_driver_shmLeaseKeepalive_set_clientId(&ka, (uint32_t)(100000 + next));
        shm_tensorpool_driver_shmLeaseKeepalive_set_role(&ka, shm_tensorpool_driver_role_CONSUMER);
        shm_tensorpool_driver_shmLeaseKeepalive_set_clientTimestampNs(&ka, bench_now_ns());
        raw_offer(&raw, buffer, 8 + shm_tensorpool_driver_shmLeaseKeepalive_encoded_length(&ka));
        next = (next + 1) % leases;
        sent++;
    }
    const uint64_t elapsed = bench_now_ns() - start;
    const double busy_pct = 100.0 * (double)(bench_process_cpu_ns(b->driver) - cpu0) / (double)elapsed;
    printf("keepalive cost: %zu leases, %" PRIu64 " keepalives in %.1f s (%.0f/s): driver CPU %.2f %% "
           "(idle, no leases: %.2f %%)\n",
           leases, sent, (double)elapsed / 1e9, (double)sent * 1e9 / (double)elapsed, busy_pct, idle_pct);
    raw_close(&raw);
    return 0;
}

static int bench_write_config(const bench_t *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (NULL == f)
    {
        return -1;
    }
    fprintf(f,
            "[driver]\ninstance_id = \"bench\"\naeron_dir = \"%s\"\ncontrol_channel = \"aeron:ipc\"\n"
            "[shm]\nbase_dir = \"%s\"\n[policies]\nprefault_shm = true\nepoch_gc_keep = 2\n"
            "[profiles.small]\nheader_nslots = 64\npayload_pools = [ { pool_id = 1, stride_bytes = 65536 } ]\n"
            "[streams.bench]\nstream_id = %d\nprofile = \"small\"\n",
            b->aeron_dir, b->shm_dir, BENCH_STREAM_ID);
    return fclose(f);
}

int main(int argc, char **argv)
{
    size_t iterations = 200;
    size_t leases = 1000;
    double window_s = 10.0;
    static const struct option options[] = {
        {"iterations", required_argument, NULL, 'n'},
        {"leases", required_argument, NULL, 'l'},
        {"window", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while (-1 != (opt = getopt_long(argc, argv, "n:l:w:h", options, NULL)))
    {
        switch (opt)
        {
            case 'n':
                iterations = strtoul(optarg, NULL, 10);
                break;
            case 'l':
                leases = strtoul(optarg, NULL, 10);
                break;
            case 'w':
                window_s = strtod(optarg, NULL);
                break;
            case 'h':
                printf("usage: driver_bench [-n ATTACHES] [-l LEASES] [-w SECONDS]\n"
                       "Starts tp_mediadriver and tp_driver as children and measures attach latency through the\n"
                       "public API (default 200 producer + 200 consumer attaches) and the driver's CPU with LEASES\n"
                       "(default 1000) consumer leases kept alive once a second over a window (default 10 s).\n");
                return 0;
            default:
                return 2;
        }
    }
    if (0 == iterations || 0 == leases || leases > BENCH_MAX_LEASES || !(window_s > 0.0))
    {
        fprintf(stderr, "driver_bench: need -n >= 1, 1 <= -l <= %d, -w > 0\n", BENCH_MAX_LEASES);
        return 2;
    }

    bench_t b;
    memset(&b, 0, sizeof(b));
    snprintf(b.dir, sizeof(b.dir), "/dev/shm/tp-driver-bench-XXXXXX");
    if (NULL == mkdtemp(b.dir))
    {
        perror("driver_bench: mkdtemp");
        return 1;
    }
    snprintf(b.aeron_dir, sizeof(b.aeron_dir), "%s/aeron", b.dir);
    snprintf(b.shm_dir, sizeof(b.shm_dir), "%s/shm", b.dir);
    char config[160];
    char md_log[160];
    char driver_log[160];
    snprintf(config, sizeof(config), "%s/driver.toml", b.dir);
    snprintf(md_log, sizeof(md_log), "%s/mediadriver.log", b.dir);
    snprintf(driver_log, sizeof(driver_log), "%s/driver.log", b.dir);
    if (bench_write_config(&b, config) < 0)
    {
        perror("driver_bench: config");
        return 1;
    }
    char env_dir[200];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", b.aeron_dir);
    /* 1 MiB terms: every attach cycle opens and closes publications, whose logs linger a few seconds. */
    const char *md_env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_IPC_TERM_BUFFER_LENGTH=1m", NULL};
    const char *md_argv[] = {TP_BENCH_MEDIADRIVER, NULL};
    const char *driver_argv[] = {TP_BENCH_DRIVER, "--config", config, "-q", NULL};
    b.media_driver = bench_spawn(md_argv, md_env, md_log);
    bench_sleep_ns(300000000ULL);
    b.driver = bench_spawn(driver_argv, NULL, driver_log);
    bench_sleep_ns(500000000ULL);

    int rc = bench_attach_latency(&b, iterations);
    if (0 == rc)
    {
        rc = bench_keepalive_cost(&b, leases, (uint64_t)(window_s * 1e9));
    }
    bench_stop(&b.driver);
    bench_stop(&b.media_driver);
    if (0 != rc)
    {
        fprintf(stderr, "driver_bench: FAILED (driver log: %s)\n", driver_log);
        return 1;
    }
    return 0 == bench_remove_tree(b.dir) ? 0 : 1;
}
