/*
 * discovery_bench: the discovery registry's costs, against real processes (tp_mediadriver and tp_discoveryd as
 * children; this process plays the drivers and the client).
 *
 *  1. Simulated announcers: D drivers (default 100), each with its own announce stream, announcing S streams each
 *     (default 10) once per announce period (1 s) with a ShmPoolAnnounce and a DataSourceAnnounce per stream.
 *  2. Query round trip through the public client (tp_discovery_query_start -> DONE), against an index of S
 *     streams (only driver 0 announcing) and of D x S streams (all announcing): a filtered query answering one
 *     stream, and an unfiltered listing answering all of them.
 *  3. Registry CPU (utime + stime from /proc) over a window with all D drivers announcing, beside an idle window
 *     with nobody announcing.
 *
 * Figures are percentiles of this run; nothing here asserts a time.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <aeronc.h>

#include "shm_tensorpool_control/dataSourceAnnounce.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "tensorpool/tensorpool.h"
#include "tensorpool/tp_discovery.h"

#include "bench_util.h"

#define BENCH_REQUEST_STREAM   7000
#define BENCH_ANNOUNCE_BASE    10000
#define BENCH_PERIOD_NS        UINT64_C(1000000000)
#define BENCH_MAX_DRIVERS      256
#define BENCH_RESPONSE_CHANNEL "aeron:ipc?term-length=4m" /* max message 512 KiB: a 1,000-result listing fits */

typedef struct bench_stct
{
    char dir[64];
    char aeron_dir[128];
    char config[128];
    pid_t media_driver;
    pid_t registry;
    uint32_t drivers;
    uint32_t streams_per_driver;
    uint32_t announcing; /* drivers currently announcing */
    tp_client_t *client;
    aeron_publication_t *announce[BENCH_MAX_DRIVERS];
    tp_discovery_client_t *dc;
    uint64_t next_announce_ns;
    uint64_t announces_sent;
    uint8_t buffer[4096];
} bench_t;

static int write_config(const bench_t *b)
{
    FILE *f = fopen(b->config, "w");
    if (NULL == f)
    {
        return -1;
    }
    fprintf(f,
            "[registry]\naeron_dir = \"%s\"\nchannel = \"aeron:ipc\"\nstream_id = %d\nannounce_period_ms = 1000\n"
            "idle_strategy = \"backoff\"\n",
            b->aeron_dir, BENCH_REQUEST_STREAM);
    for (uint32_t d = 0; d < b->drivers; d++)
    {
        /* One stream carries a driver's announces and its producers' metadata: one subscription per driver. */
        fprintf(f,
                "[drivers.d%03u]\ninstance_id = \"sim-driver-%03u\"\ncontrol_stream_id = %u\nmetadata_stream_id = %u\n",
                d, d, BENCH_ANNOUNCE_BASE + d, BENCH_ANNOUNCE_BASE + d);
    }
    return fclose(f);
}

static size_t encode_pool_announce(uint8_t *buf, size_t capacity, uint32_t driver, uint32_t stream_id)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools pools;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, (char *)buf, 0, capacity, &hdr))
    {
        return 0;
    }
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, bench_now_ns());
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, 64);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, 256);
    char uri[160];
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &pools, 1) ||
        NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools))
    {
        return 0;
    }
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&pools, 1);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&pools, 64);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&pools, 65536);
    snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tensorpool/sim-%03u/%u/epoch-1/payload-1.pool", driver,
             stream_id);
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&pools, uri, (uint32_t)strlen(uri)))
    {
        return 0;
    }
    snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tensorpool/sim-%03u/%u/epoch-1/header.ring", driver, stream_id);
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, uri, (uint32_t)strlen(uri)))
    {
        return 0;
    }
    return 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
}

static size_t encode_source_announce(uint8_t *buf, size_t capacity, uint32_t driver, uint32_t stream_id)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceAnnounce msg;
    if (NULL == shm_tensorpool_control_dataSourceAnnounce_wrap_and_apply_header(&msg, (char *)buf, 0, capacity, &hdr))
    {
        return 0;
    }
    shm_tensorpool_control_dataSourceAnnounce_set_streamId(&msg, stream_id);
    shm_tensorpool_control_dataSourceAnnounce_set_producerId(&msg, stream_id);
    shm_tensorpool_control_dataSourceAnnounce_set_epoch(&msg, 1);
    shm_tensorpool_control_dataSourceAnnounce_set_metaVersion(&msg, 1);
    char name[64];
    snprintf(name, sizeof(name), "cam-%03u-%u", driver, stream_id);
    if (NULL == shm_tensorpool_control_dataSourceAnnounce_put_name(&msg, name, (uint32_t)strlen(name)) ||
        NULL == shm_tensorpool_control_dataSourceAnnounce_put_summary(&msg, "u8[480,640,3]", 13))
    {
        return 0;
    }
    return 8 + shm_tensorpool_control_dataSourceAnnounce_encoded_length(&msg);
}

static void offer(bench_t *b, uint32_t driver, size_t length)
{
    for (int attempt = 0; attempt < 100 && length > 0; attempt++)
    {
        int64_t rc = aeron_publication_offer(b->announce[driver], b->buffer, length, NULL, NULL);
        if (rc > 0 || AERON_PUBLICATION_NOT_CONNECTED == rc)
        {
            b->announces_sent += rc > 0;
            return;
        }
    }
}

/* Once per period: every announcing driver announces each of its streams (layout + name). */
static int announce_if_due(bench_t *b)
{
    uint64_t now = bench_now_ns();
    if (now < b->next_announce_ns)
    {
        return 0;
    }
    b->next_announce_ns = now + BENCH_PERIOD_NS;
    for (uint32_t d = 0; d < b->announcing; d++)
    {
        for (uint32_t s = 0; s < b->streams_per_driver; s++)
        {
            uint32_t stream_id = 1 + s;
            offer(b, d, encode_pool_announce(b->buffer, sizeof(b->buffer), d, stream_id));
            offer(b, d, encode_source_announce(b->buffer, sizeof(b->buffer), d, stream_id));
        }
    }
    return 1;
}

/* Keep announcing while waiting up to timeout_ns. */
static void pump(bench_t *b, uint64_t timeout_ns)
{
    uint64_t end = bench_now_ns() + timeout_ns;
    while (bench_now_ns() < end)
    {
        int work = announce_if_due(b) + tp_client_do_work(b->client);
        if (0 == work)
        {
            bench_sleep_ns(200000);
        }
    }
}

/* One query round trip; the result count in *count. Returns the round trip in ns, 0 on timeout. */
static uint64_t round_trip(bench_t *b, const tp_discovery_filter_t *filter, size_t *count)
{
    uint64_t start = bench_now_ns();
    if (tp_discovery_query_start(b->dc, filter) < 0)
    {
        fprintf(stderr, "discovery_bench: %s\n", tp_errmsg());
        return 0;
    }
    while (TP_DISCOVERY_QUERY_DONE != tp_discovery_query_state(b->dc))
    {
        if (tp_discovery_query_poll(b->dc) < 0 || bench_now_ns() - start > UINT64_C(5000000000))
        {
            return 0;
        }
        /* Announcing between polls keeps the index alive; a busy client: no sleep inside a round trip. */
        (void)announce_if_due(b);
        (void)tp_client_do_work(b->client);
    }
    uint64_t elapsed = bench_now_ns() - start;
    *count = tp_discovery_query_result_count(b->dc);
    return elapsed;
}

/* Wait until an unfiltered listing answers `expected` results. */
static int wait_for_index(bench_t *b, size_t expected)
{
    uint64_t deadline = bench_now_ns() + UINT64_C(30000000000);
    while (bench_now_ns() < deadline)
    {
        size_t count = 0;
        if (0 != round_trip(b, NULL, &count) && count == expected)
        {
            return 0;
        }
        pump(b, UINT64_C(100000000));
    }
    fprintf(stderr, "discovery_bench: the registry never listed %zu streams\n", expected);
    return -1;
}

/* n round trips; a query unanswered within 5 s or with the wrong result count is counted, not sampled. */
static int measure(bench_t *b, const char *what, const tp_discovery_filter_t *filter, size_t expected, size_t n)
{
    uint64_t *samples = calloc(n, sizeof(*samples));
    if (NULL == samples)
    {
        return -1;
    }
    size_t ok = 0;
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
    {
        size_t count = 0;
        uint64_t rtt = round_trip(b, filter, &count);
        if (0 == rtt || count != expected)
        {
            failed++;
            continue;
        }
        samples[ok++] = rtt;
    }
    if (0 == ok)
    {
        fprintf(stderr, "discovery_bench: %s: no query answered with %zu results\n", what, expected);
        free(samples);
        return -1;
    }
    qsort(samples, ok, sizeof(*samples), bench_compare_u64);
    printf("| %s | %zu | %zu | %zu | %.0f µs | %.0f µs | %.0f µs |\n", what, expected, ok, failed,
           bench_percentile_us(samples, ok, 0.5), bench_percentile_us(samples, ok, 0.99),
           (double)samples[ok - 1] / 1e3);
    fflush(stdout);
    free(samples);
    return 0;
}

static double registry_cpu_percent(bench_t *b, uint64_t window_ns)
{
    uint64_t cpu0 = bench_process_cpu_ns(b->registry);
    uint64_t t0 = bench_now_ns();
    pump(b, window_ns);
    uint64_t cpu1 = bench_process_cpu_ns(b->registry);
    return 100.0 * (double)(cpu1 - cpu0) / (double)(bench_now_ns() - t0);
}

static int start_client(bench_t *b)
{
    tp_context_t *ctx = NULL;
    uint64_t deadline = bench_now_ns() + UINT64_C(10000000000);
    int rc = -1;
    while (0 != rc && bench_now_ns() < deadline)
    {
        if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, b->aeron_dir) < 0)
        {
            return -1;
        }
        rc = tp_client_start(&b->client, ctx);
        tp_context_close(ctx);
        if (0 != rc)
        {
            bench_sleep_ns(100000000);
        }
    }
    if (0 != rc)
    {
        fprintf(stderr, "discovery_bench: %s\n", tp_errmsg());
        return -1;
    }
    aeron_t *aeron = tp_client_aeron(b->client);
    for (uint32_t d = 0; d < b->drivers; d++)
    {
        aeron_async_add_publication_t *async = NULL;
        if (aeron_async_add_publication(&async, aeron, "aeron:ipc", (int32_t)(BENCH_ANNOUNCE_BASE + d)) < 0)
        {
            return -1;
        }
        while (0 == (rc = aeron_async_add_publication_poll(&b->announce[d], async)))
        {
            tp_client_do_work(b->client);
        }
        if (rc < 0)
        {
            fprintf(stderr, "discovery_bench: announce publication %u: %s\n", d, aeron_errmsg());
            return -1;
        }
    }
    tp_discovery_client_config_t config;
    tp_discovery_client_config_init(&config);
    config.request_channel = "aeron:ipc";
    config.request_stream_id = BENCH_REQUEST_STREAM;
    config.response_channel = BENCH_RESPONSE_CHANNEL;
    if (tp_discovery_client_start(&b->dc, b->client, &config) < 0)
    {
        fprintf(stderr, "discovery_bench: %s\n", tp_errmsg());
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static bench_t b;
    b.drivers = 100;
    b.streams_per_driver = 10;
    size_t queries = 200;
    uint64_t window_s = 10;
    int opt;
    static const struct option options[] = {
        {"drivers", required_argument, NULL, 'd'}, {"streams", required_argument, NULL, 's'},
        {"queries", required_argument, NULL, 'n'}, {"window", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    while (-1 != (opt = getopt_long(argc, argv, "d:s:n:w:h", options, NULL)))
    {
        switch (opt)
        {
            case 'd':
                b.drivers = (uint32_t)strtoul(optarg, NULL, 10);
                break;
            case 's':
                b.streams_per_driver = (uint32_t)strtoul(optarg, NULL, 10);
                break;
            case 'n':
                queries = strtoul(optarg, NULL, 10);
                break;
            case 'w':
                window_s = strtoull(optarg, NULL, 10);
                break;
            case 'h':
                printf(
                    "usage: discovery_bench [-d|--drivers N] [-s|--streams N] [-n|--queries N] [-w|--window SECONDS]\n"
                    "Runs tp_mediadriver and tp_discoveryd as children, simulates N announcing drivers (default\n"
                    "100) of --streams streams each (default 10) and prints the query round trip (--queries per row,\n"
                    "default 200) against the first driver's streams and against all of them, and the registry's\n"
                    "CPU over --window seconds (default 10) of all drivers announcing beside an idle window.\n");
                return 0;
            default:
                return 2;
        }
    }
    if (0 == b.drivers || b.drivers > BENCH_MAX_DRIVERS || 0 == b.streams_per_driver || 0 == queries || 0 == window_s ||
        (size_t)b.drivers * b.streams_per_driver > 1000)
    {
        fprintf(stderr, "discovery_bench: 1..%d drivers, at most 1000 streams in all, n and w > 0\n",
                BENCH_MAX_DRIVERS);
        return 2;
    }
    snprintf(b.dir, sizeof(b.dir), "/dev/shm/tp-discobench-XXXXXX");
    if (NULL == mkdtemp(b.dir))
    {
        perror("mkdtemp");
        return 1;
    }
    snprintf(b.aeron_dir, sizeof(b.aeron_dir), "%s/aeron", b.dir);
    snprintf(b.config, sizeof(b.config), "%s/registry.toml", b.dir);
    int status = 1;
    char env_dir[160];
    char log[160];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", b.aeron_dir);
    const char *md_env[] = {env_dir, "AERON_IPC_TERM_BUFFER_LENGTH=64k", "AERON_DIR_DELETE_ON_SHUTDOWN=true", NULL};
    const char *md_argv[] = {TP_BENCH_MEDIADRIVER, NULL};
    snprintf(log, sizeof(log), "%s/mediadriver.log", b.dir);
    b.media_driver = bench_spawn(md_argv, md_env, log);
    if (write_config(&b) < 0 || start_client(&b) < 0)
    {
        goto done;
    }
    const char *registry_argv[] = {TP_BENCH_DISCOVERYD, "--config", b.config, NULL};
    snprintf(log, sizeof(log), "%s/registry.log", b.dir);
    b.registry = bench_spawn(registry_argv, NULL, log);

    printf("discovery_bench: %u simulated drivers x %u streams, announce period 1 s, registry tp_discoveryd\n\n",
           b.drivers, b.streams_per_driver);
    printf("| query | results | answered | failed | p50 | p99 | max |\n|---|---|---|---|---|---|---|\n");
    tp_discovery_filter_t one;
    tp_discovery_filter_init(&one);
    one.stream_id = 1;
    one.name = "cam-000-1";
    b.announcing = 1;
    if (wait_for_index(&b, b.streams_per_driver) < 0)
    {
        goto done;
    }
    char what[128];
    snprintf(what, sizeof(what), "by name, index of %u", b.streams_per_driver);
    if (measure(&b, what, &one, 1, queries) < 0)
    {
        goto done;
    }
    snprintf(what, sizeof(what), "unfiltered, index of %u", b.streams_per_driver);
    if (measure(&b, what, NULL, b.streams_per_driver, queries) < 0)
    {
        goto done;
    }
    b.announcing = b.drivers;
    b.next_announce_ns = 0;
    size_t all = (size_t)b.drivers * b.streams_per_driver;
    if (wait_for_index(&b, all) < 0)
    {
        goto done;
    }
    snprintf(what, sizeof(what), "by name, index of %zu", all);
    if (measure(&b, what, &one, 1, queries) < 0)
    {
        goto done;
    }
    snprintf(what, sizeof(what), "unfiltered, index of %zu", all);
    if (measure(&b, what, NULL, all, queries / 4 > 0 ? queries / 4 : 1) < 0)
    {
        goto done;
    }

    /* CPU: all announcing, then nobody (entries expire during the idle window; its figure is the floor). */
    uint64_t sent0 = b.announces_sent;
    uint64_t t0 = bench_now_ns();
    double busy = registry_cpu_percent(&b, window_s * UINT64_C(1000000000));
    double rate = (double)(b.announces_sent - sent0) / ((double)(bench_now_ns() - t0) / 1e9);
    b.announcing = 0;
    double idle = registry_cpu_percent(&b, window_s * UINT64_C(1000000000));
    printf("\nregistry CPU, %u drivers announcing (%.0f messages/s: ShmPoolAnnounce + DataSourceAnnounce): %.1f %% of "
           "one core; idle (nobody announcing): %.1f %%\n",
           b.drivers, rate, busy, idle);
    status = 0;

done:
    tp_discovery_client_close(b.dc);
    tp_client_close(b.client);
    bench_stop(&b.registry);
    bench_stop(&b.media_driver);
    (void)bench_remove_tree(b.dir);
    return status;
}
