/*
 * aeron_pingpong: Aeron IPC latency and throughput beside raw shared-memory limits measured in the same run.
 *
 *   RTT  : ping-pong over aeron:ipc (two processes, exclusive publications) vs a raw cache-line ping-pong
 *          between two processes (one 64-byte line each way).
 *   Rate : one-way messages/s for 32 B and 1 KiB over aeron:ipc vs a raw single-producer/single-consumer byte
 *          ring in shared memory.
 *
 * Uses aeronc.h only. Needs a media driver: -p <dir> uses a running one, otherwise tp_mediadriver (or -D <path>)
 * is started as a child with a private directory.
 */
#include <errno.h>
#include <sched.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aeronc.h"

#define CACHE_LINE  64
#define PING_STREAM 1002
#define PONG_STREAM 1003
#define RATE_STREAM 1004

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct rtt_stct
{
    double p50_ns;
    double p90_ns;
    double p99_ns;
    double mid_mean_ns; /* mean of the p25..p75 samples: finer than p50, which moves in spin-loop steps */
} rtt_t;

static rtt_t rtt_summary(int64_t *samples, size_t n)
{
    qsort(samples, n, sizeof(int64_t), compare_i64);
    double sum = 0;
    for (size_t i = n / 4; i < 3 * n / 4; i++)
    {
        sum += (double)samples[i];
    }
    rtt_t r = {(double)samples[n / 2], (double)samples[(size_t)((double)n * 0.9)],
               (double)samples[(size_t)((double)n * 0.99)], sum / (double)(3 * n / 4 - n / 4)};
    return r;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n values (sorts them in place). */
static double median(double *values, size_t n)
{
    qsort(values, n, sizeof(double), compare_double);
    return 0 == n % 2 ? (values[n / 2 - 1] + values[n / 2]) / 2 : values[n / 2];
}

static void *shared_alloc(size_t length)
{
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == p)
    {
        perror("mmap");
        exit(EXIT_FAILURE);
    }
    return p;
}

/* ---- raw cache-line ping-pong between two processes ---- */

static rtt_t raw_pingpong(size_t warmup, size_t iterations, int64_t *samples)
{
    uint8_t *lines = shared_alloc(4 * CACHE_LINE);
    volatile int64_t *ping = (volatile int64_t *)(lines + CACHE_LINE);
    volatile int64_t *pong = (volatile int64_t *)(lines + 3 * CACHE_LINE);
    size_t total = warmup + iterations;
    pid_t child = fork();
    if (0 == child)
    {
        for (int64_t i = 1; i <= (int64_t)total; i++)
        {
            while (__atomic_load_n(ping, __ATOMIC_ACQUIRE) != i)
            {
                cpu_relax();
            }
            __atomic_store_n(pong, i, __ATOMIC_RELEASE);
        }
        _exit(0);
    }
    for (int64_t i = 1; i <= (int64_t)total; i++)
    {
        int64_t start = now_ns();
        __atomic_store_n(ping, i, __ATOMIC_RELEASE);
        while (__atomic_load_n(pong, __ATOMIC_ACQUIRE) != i)
        {
            cpu_relax();
        }
        if (i > (int64_t)warmup)
        {
            samples[i - 1 - (int64_t)warmup] = now_ns() - start;
        }
    }
    waitpid(child, NULL, 0);
    munmap(lines, 4 * CACHE_LINE);
    return rtt_summary(samples, iterations);
}

/* ---- raw SPSC byte ring between two processes ---- */

#define RING_CAPACITY (1u << 20)
#define RING_SLACK    2048

static double raw_spsc_rate(size_t message_length, size_t messages)
{
    size_t record = (8 + message_length + 7) & ~(size_t)7;
    /* Records may run past the end into RING_SLACK, so each one stays contiguous (no wrap logic needed). */
    uint8_t *mem = shared_alloc(RING_CAPACITY + RING_SLACK + 4 * CACHE_LINE);
    volatile int64_t *head = (volatile int64_t *)(mem + RING_CAPACITY + RING_SLACK + CACHE_LINE);
    volatile int64_t *tail = (volatile int64_t *)(mem + RING_CAPACITY + RING_SLACK + 3 * CACHE_LINE);
    volatile int64_t *elapsed = (volatile int64_t *)(mem + RING_CAPACITY + RING_SLACK + 2 * CACHE_LINE);
    pid_t child = fork();
    if (0 == child)
    {
        int64_t h = 0;
        int64_t start = 0;
        uint64_t sum = 0;
        for (size_t n = 0; n < messages; n++)
        {
            while (__atomic_load_n(tail, __ATOMIC_ACQUIRE) <= h)
            {
                sched_yield(); /* same idle behaviour as the Aeron subscriber below */
            }
            if (0 == n)
            {
                start = now_ns();
            }
            size_t index = (size_t)h & (RING_CAPACITY - 1);
            uint64_t length;
            memcpy(&length, mem + index, sizeof(length));
            uint64_t first;
            memcpy(&first, mem + index + 8, sizeof(first)); /* touch the payload, as a handler would */
            sum += first + length;
            h += (int64_t)((8 + length + 7) & ~(uint64_t)7);
            __atomic_store_n(head, h, __ATOMIC_RELEASE);
        }
        *elapsed = now_ns() - start + (int64_t)(sum & 0);
        _exit(0);
    }
    static uint8_t payload[1024];
    memset(payload, 0x5a, sizeof(payload));
    int64_t t = 0;
    for (size_t n = 0; n < messages; n++)
    {
        while (t + (int64_t)record - __atomic_load_n(head, __ATOMIC_ACQUIRE) > (int64_t)RING_CAPACITY)
        {
            sched_yield();
        }
        size_t index = (size_t)t & (RING_CAPACITY - 1);
        uint64_t length = message_length;
        memcpy(payload, &n, sizeof(n));
        memcpy(mem + index, &length, sizeof(length));
        memcpy(mem + index + 8, payload, message_length);
        t += (int64_t)record;
        __atomic_store_n(tail, t, __ATOMIC_RELEASE);
    }
    waitpid(child, NULL, 0);
    double rate = (double)messages * 1e9 / (double)*elapsed;
    munmap(mem, RING_CAPACITY + RING_SLACK + 4 * CACHE_LINE);
    return rate;
}

/* ---- Aeron ---- */

static const char *aeron_dir;

static aeron_t *connect_client(aeron_context_t **ctx)
{
    aeron_t *aeron = NULL;
    if (aeron_context_init(ctx) < 0 || aeron_context_set_dir(*ctx, aeron_dir) < 0 || aeron_init(&aeron, *ctx) < 0 ||
        aeron_start(aeron) < 0)
    {
        fprintf(stderr, "aeron client: %s\n", aeron_errmsg());
        exit(EXIT_FAILURE);
    }
    return aeron;
}

static aeron_exclusive_publication_t *add_pub(aeron_t *aeron, const char *channel, int32_t stream)
{
    aeron_async_add_exclusive_publication_t *async = NULL;
    aeron_exclusive_publication_t *pub = NULL;
    if (aeron_async_add_exclusive_publication(&async, aeron, channel, stream) < 0)
    {
        fprintf(stderr, "add publication: %s\n", aeron_errmsg());
        exit(EXIT_FAILURE);
    }
    int rc;
    while (0 == (rc = aeron_async_add_exclusive_publication_poll(&pub, async)))
    {
        sleep_ms(1);
    }
    if (rc < 0)
    {
        fprintf(stderr, "add publication: %s\n", aeron_errmsg());
        exit(EXIT_FAILURE);
    }
    return pub;
}

static aeron_image_t *add_sub_and_wait_image(aeron_t *aeron, const char *channel, int32_t stream,
                                             aeron_subscription_t **sub_out)
{
    aeron_async_add_subscription_t *async = NULL;
    aeron_subscription_t *sub = NULL;
    if (aeron_async_add_subscription(&async, aeron, channel, stream, NULL, NULL, NULL, NULL) < 0)
    {
        fprintf(stderr, "add subscription: %s\n", aeron_errmsg());
        exit(EXIT_FAILURE);
    }
    int rc;
    while (0 == (rc = aeron_async_add_subscription_poll(&sub, async)))
    {
        sleep_ms(1);
    }
    if (rc < 0)
    {
        fprintf(stderr, "add subscription: %s\n", aeron_errmsg());
        exit(EXIT_FAILURE);
    }
    while (aeron_subscription_image_count(sub) < 1)
    {
        sleep_ms(1);
    }
    *sub_out = sub;
    return aeron_subscription_image_at_index(sub, 0);
}

typedef struct pong_state_stct
{
    aeron_exclusive_publication_t *pub;
    int64_t count;
} pong_state_t;

static void pong_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    pong_state_t *s = clientd;
    while (aeron_exclusive_publication_offer(s->pub, buffer, length, NULL, NULL) < 0)
    {
        cpu_relax();
    }
    s->count++;
}

static void ping_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (*(int64_t *)clientd)++;
}

static rtt_t aeron_pingpong(const char *channel, size_t warmup, size_t iterations, int64_t *samples)
{
    size_t total = warmup + iterations;
    pid_t child = fork();
    if (0 == child)
    {
        aeron_context_t *ctx;
        aeron_t *aeron = connect_client(&ctx);
        pong_state_t s = {.pub = add_pub(aeron, channel, PONG_STREAM)};
        aeron_subscription_t *sub;
        aeron_image_t *image = add_sub_and_wait_image(aeron, channel, PING_STREAM, &sub);
        while (s.count < (int64_t)total)
        {
            aeron_image_poll(image, pong_handler, &s, 10);
        }
        aeron_subscription_image_release(sub, image);
        sleep_ms(100);
        aeron_close(aeron);
        aeron_context_close(ctx);
        _exit(0);
    }
    aeron_context_t *ctx;
    aeron_t *aeron = connect_client(&ctx);
    aeron_exclusive_publication_t *pub = add_pub(aeron, channel, PING_STREAM);
    aeron_subscription_t *sub;
    aeron_image_t *image = add_sub_and_wait_image(aeron, channel, PONG_STREAM, &sub);
    while (!aeron_exclusive_publication_is_connected(pub))
    {
        sleep_ms(1);
    }
    uint8_t message[32] = {0};
    int64_t received = 0;
    for (size_t i = 0; i < total; i++)
    {
        int64_t start = now_ns();
        while (aeron_exclusive_publication_offer(pub, message, sizeof(message), NULL, NULL) < 0)
        {
            cpu_relax();
        }
        while (received <= (int64_t)i)
        {
            aeron_image_poll(image, ping_handler, &received, 10);
        }
        if (i >= warmup)
        {
            samples[i - warmup] = now_ns() - start;
        }
    }
    waitpid(child, NULL, 0);
    aeron_subscription_image_release(sub, image);
    aeron_close(aeron);
    aeron_context_close(ctx);
    return rtt_summary(samples, iterations);
}

typedef struct rate_state_stct
{
    int64_t count;
    int64_t first_ns;
    uint64_t sum;
} rate_state_t;

static void rate_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    rate_state_t *s = clientd;
    if (0 == s->count)
    {
        s->first_ns = now_ns();
    }
    uint64_t first;
    memcpy(&first, buffer, sizeof(first));
    s->sum += first;
    s->count++;
}

/* Offers back-pressured in the last aeron_rate run (the publisher waited for the limit to move). */
static uint64_t rate_blocked_offers;
/* Total and longest time the publisher spent waiting in the last aeron_rate run. */
static int64_t rate_stalled_ns;
static int64_t rate_max_stall_ns;

/* Each rate run uses its own stream so a previous run's draining publication can never be the image polled. */
static int32_t rate_stream = RATE_STREAM;

static double aeron_rate(const char *channel, size_t message_length, size_t messages)
{
    double *result = shared_alloc(4096);
    pid_t child = fork();
    if (0 == child)
    {
        aeron_context_t *ctx;
        aeron_t *aeron = connect_client(&ctx);
        aeron_subscription_t *sub;
        aeron_image_t *image = add_sub_and_wait_image(aeron, channel, rate_stream, &sub);
        rate_state_t s = {0};
        while (s.count < (int64_t)messages)
        {
            if (0 == aeron_image_poll(image, rate_handler, &s, 256))
            {
                sched_yield(); /* 2 cores, 3 processes: let the driver run */
            }
        }
        *result = (double)messages * 1e9 / (double)(now_ns() - s.first_ns);
        aeron_subscription_image_release(sub, image);
        aeron_close(aeron);
        aeron_context_close(ctx);
        _exit(0);
    }
    aeron_context_t *ctx;
    aeron_t *aeron = connect_client(&ctx);
    aeron_exclusive_publication_t *pub = add_pub(aeron, channel, rate_stream);
    while (!aeron_exclusive_publication_is_connected(pub))
    {
        sleep_ms(1);
    }
    static uint8_t payload[1024];
    memset(payload, 0x5a, sizeof(payload));
    uint64_t blocked = 0;
    int64_t stalled_ns = 0;
    int64_t max_stall_ns = 0;
    for (size_t n = 0; n < messages; n++)
    {
        memcpy(payload, &n, sizeof(n));
        int64_t offered = aeron_exclusive_publication_offer(pub, payload, message_length, NULL, NULL);
        if (offered < 0)
        {
            /* Time until the offer succeeds: mostly waiting for the driver to move the publisher limit. */
            const int64_t stall_start = now_ns();
            do
            {
                blocked += AERON_PUBLICATION_BACK_PRESSURED == offered ? 1 : 0;
                sched_yield();
            } while ((offered = aeron_exclusive_publication_offer(pub, payload, message_length, NULL, NULL)) < 0);
            const int64_t stall = now_ns() - stall_start;
            stalled_ns += stall;
            max_stall_ns = stall > max_stall_ns ? stall : max_stall_ns;
        }
    }
    rate_blocked_offers = blocked;
    rate_stalled_ns = stalled_ns;
    rate_max_stall_ns = max_stall_ns;
    waitpid(child, NULL, 0);
    aeron_exclusive_publication_close(pub, NULL, NULL);
    aeron_close(aeron);
    aeron_context_close(ctx);
    double rate = *result;
    munmap(result, 4096);
    rate_stream++;
    return rate;
}

/* ---- driver ---- */

/* aeron_is_driver_active is declared but not exported by official libaeron 1.48, so check the heartbeat here. */
static bool driver_is_live(const char *dir)
{
    aeron_cnc_t *cnc = NULL;
    if (aeron_cnc_init(&cnc, dir, 100) < 0)
    {
        return false;
    }
    int64_t heartbeat = aeron_cnc_to_driver_heartbeat(cnc);
    bool live = heartbeat > 0 && aeron_epoch_clock() - heartbeat < 2000;
    aeron_cnc_close(cnc);
    return live;
}

static pid_t start_driver(const char *path, char *dir, size_t dir_length)
{
    snprintf(dir, dir_length, "/dev/shm/tp-aeron-bench-%d", (int)getpid());
    pid_t pid = fork();
    if (0 == pid)
    {
        setenv("AERON_DIR", dir, 1);
        setenv("AERON_DIR_DELETE_ON_START", "1", 1);
        setenv("AERON_DIR_DELETE_ON_SHUTDOWN", "1", 1);
        setenv("AERON_THREADING_MODE", "SHARED", 1);
        setenv("AERON_TERM_BUFFER_SPARSE_FILE", "1", 1);
        execl(path, path, (char *)NULL);
        perror("exec media driver");
        _exit(127);
    }
    for (int i = 0; i < 1000; i++)
    {
        if (driver_is_live(dir))
        {
            return pid;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "media driver %s did not start\n", path);
    kill(pid, SIGKILL);
    exit(EXIT_FAILURE);
}

#define MAX_REPEATS 64
#define MAX_SIZES   4

static void print_rtt_repeats(const char *label, const rtt_t *r, size_t repeats)
{
    printf("%-26s", label);
    for (size_t k = 0; k < repeats; k++)
    {
        printf(" %.0f/%.0f/%.0f(%.1f)", r[k].p50_ns, r[k].p90_ns, r[k].p99_ns, r[k].mid_mean_ns);
    }
    printf("\n");
}

static void run_rtt(const char *channel, size_t iterations, size_t repeats)
{
    size_t warmup = iterations / 10;
    int64_t *samples = malloc(iterations * sizeof(int64_t));
    rtt_t raw[MAX_REPEATS];
    rtt_t aer[MAX_REPEATS];
    double raw_p50[MAX_REPEATS];
    double aer_p50[MAX_REPEATS];
    double ratio[MAX_REPEATS];
    for (size_t k = 0; k < repeats; k++)
    {
        /* Interleaved so both see the same machine load. */
        raw[k] = raw_pingpong(warmup, iterations, samples);
        aer[k] = aeron_pingpong(channel, warmup, iterations, samples);
        raw_p50[k] = raw[k].p50_ns;
        aer_p50[k] = aer[k].p50_ns;
        ratio[k] = aer[k].p50_ns / raw[k].p50_ns;
    }
    free(samples);
    printf("RTT (ns, p50/p90/p99(mean of p25..p75) per run)\n");
    print_rtt_repeats("raw cache-line ping-pong", raw, repeats);
    print_rtt_repeats("aeron:ipc ping-pong", aer, repeats);
    const double raw_median = median(raw_p50, repeats);
    const double aer_median = median(aer_p50, repeats);
    printf("RTT median of p50: raw %.0f ns, aeron %.0f ns, median same-run ratio %.2f (%zu runs)\n", raw_median,
           aer_median, median(ratio, repeats), repeats);
}

static void run_rate(const char *channel, const size_t *sizes, size_t size_count, size_t messages, size_t repeats)
{
    for (size_t i = 0; i < size_count; i++)
    {
        double raw[MAX_REPEATS];
        double aer[MAX_REPEATS];
        double ratio[MAX_REPEATS];
        printf(
            "%zu-byte messages (M msg/s raw / aeron, back-pressured offers, publisher stalled total, longest stall)\n",
            sizes[i]);
        for (size_t k = 0; k < repeats; k++)
        {
            raw[k] = raw_spsc_rate(sizes[i], messages);
            aer[k] = aeron_rate(channel, sizes[i], messages);
            ratio[k] = aer[k] / raw[k];
            printf("  run %zu: %8.2f %8.2f  %8.2f  %" PRIu64 " %.1f ms %.0f us\n", k + 1, raw[k] / 1e6, aer[k] / 1e6,
                   ratio[k], rate_blocked_offers, (double)rate_stalled_ns / 1e6, (double)rate_max_stall_ns / 1e3);
        }
        const double ratio_median = median(ratio, repeats);
        printf("  median: raw %.2f M msg/s, aeron %.2f M msg/s, median same-run ratio %.2f (%zu runs)\n",
               median(raw, repeats) / 1e6, median(aer, repeats) / 1e6, ratio_median, repeats);
    }
}

int main(int argc, char **argv)
{
    const char *driver_path = NULL;
#ifdef TP_BENCH_MEDIADRIVER
    driver_path = TP_BENCH_MEDIADRIVER;
#endif
    size_t iterations = 200000;
    size_t rate_messages = 2000000;
    size_t repeats = 1;
    size_t sizes[MAX_SIZES] = {32, 1024};
    size_t size_count = 2;
    bool do_rtt = true;
    bool do_rate = true;
    int opt;
    const char *channel = "aeron:ipc?term-length=8m";
    static const struct option long_options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char usage[] = "[-p aeron-dir | -D media-driver-path] [-n rtt-iterations] [-r rate-messages] "
                                "[-c channel] [-m all|rtt|rate] [-k repeats] [-s size,size,...] [-h|--help]\n";
    while ((opt = getopt_long(argc, argv, "hp:D:n:r:c:m:k:s:", long_options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'p':
                aeron_dir = optarg;
                break;
            case 'D':
                driver_path = optarg;
                break;
            case 'n':
                iterations = strtoull(optarg, NULL, 0);
                break;
            case 'r':
                rate_messages = strtoull(optarg, NULL, 0);
                break;
            case 'c':
                channel = optarg;
                break;
            case 'm':
                do_rtt = 0 == strcmp(optarg, "rtt") || 0 == strcmp(optarg, "all");
                do_rate = 0 == strcmp(optarg, "rate") || 0 == strcmp(optarg, "all");
                break;
            case 'k':
                repeats = strtoull(optarg, NULL, 0);
                repeats = repeats < 1 ? 1 : repeats > MAX_REPEATS ? MAX_REPEATS : repeats;
                break;
            case 's':
            {
                /* Comma-separated message sizes for the rate runs, at most 1024 bytes each. */
                size_count = 0;
                for (char *save = NULL, *token = strtok_r(optarg, ",", &save); NULL != token && size_count < MAX_SIZES;
                     token = strtok_r(NULL, ",", &save))
                {
                    size_t size = strtoull(token, NULL, 0);
                    sizes[size_count++] = size < 8 ? 8 : size > 1024 ? 1024 : size;
                }
                break;
            }
            case 'h':
                printf("Usage: %s %s", argv[0], usage);
                return EXIT_SUCCESS;
            default:
                fprintf(stderr, "Usage: %s %s", argv[0], usage);
                return EXIT_FAILURE;
        }
    }
    char dir[256];
    pid_t driver = 0;
    if (NULL == aeron_dir)
    {
        if (NULL == driver_path)
        {
            fprintf(stderr, "no media driver: pass -p <dir> of a running one or -D <path>\n");
            return EXIT_FAILURE;
        }
        driver = start_driver(driver_path, dir, sizeof(dir));
        aeron_dir = dir;
    }

    printf("aeron_pingpong: client %s, driver %s, %zu RTT iterations, %zu messages per rate run, %zu repeats\n",
           aeron_version_full(), NULL != driver_path && 0 != driver ? driver_path : aeron_dir, iterations,
           rate_messages, repeats);
    fflush(stdout);
    if (do_rtt)
    {
        run_rtt(channel, iterations, repeats);
        fflush(stdout);
    }
    if (do_rate)
    {
        run_rate(channel, sizes, size_count, rate_messages, repeats);
    }
    if (0 != driver)
    {
        kill(driver, SIGTERM);
        waitpid(driver, NULL, 0);
    }
    return EXIT_SUCCESS;
}
