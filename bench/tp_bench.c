/*
 * tp_bench: tensorpool over Aeron IPC + SHM, two processes, beside the limits of this machine measured in the
 * same run.
 *
 *   floor   : raw cross-process cache-line ping-pong (one-way = RTT / 2), and memcpy bandwidth into rotating
 *             cold destinations as large as the ring (what offer() cannot avoid).
 *   latency : commit -> consumer accept, one frame in flight at a time (the producer waits for the consumer's
 *             ack before the next commit, so no queueing is measured), p50 / p99 / p99.9.
 *   rate    : frames/s and GiB/s for 64 B, 4 KiB, 1 MiB and 8 MiB frames via offer() (copy in) and via
 *             claim() -> commit() (zero copy; the application's fill is not counted), consumer in another
 *             process accepting every frame it can.
 *
 * Needs no running driver: one is forked with a private directory under /dev/shm (or -p DIR uses a running
 * one). Usage: tp_bench [-n latency-samples] [-p aeron-dir] [-q] [-u]  (-q: shorter runs; -u: do not pin the
 * producer side to CPU 0 and the consumer side to CPU 1; the driver is never pinned)
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_idle_strategy.h"
#include "tensorpool/tensorpool.h"
#include "tensorpool/tp_mediadriver.h"

#define CACHE_LINE 64
#define GIB        (1024.0 * 1024.0 * 1024.0)

/* Cross-process coordination, one cache line per writer so the flags never share a line. */
typedef struct bench_shared_stct
{
    volatile uint64_t ack_seq; /* consumer: last accepted seq + 1 */
    uint8_t pad0[CACHE_LINE - 8];
    volatile int32_t consumer_mapped;
    volatile int32_t consumer_done;
    volatile uint64_t consumer_accepted;
    volatile uint64_t consumer_late;
    volatile uint64_t consumer_gap;
    volatile uint64_t consumer_other; /* invalid, unmapped, wrong epoch, replayed: expected 0 */
    uint8_t pad1[CACHE_LINE - 40];
    volatile int32_t stop; /* parent -> children */
    uint8_t pad2[CACHE_LINE - 4];
    double latency_ns[3]; /* p50, p99, p99.9 as measured by the consumer */
    double latency_max_ns;
} bench_shared_t;

static char bench_aeron_dir[PATH_MAX];
static bool bench_pin = true;

/* Producer side on CPU 0, consumer side on CPU 1 (when there are two): no migrations in the measurements. */
static void bench_pin_to(int cpu)
{
    if (!bench_pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
    {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}
static char bench_shm_dir[PATH_MAX];

static void *bench_shared_alloc(size_t length)
{
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == p)
    {
        perror("mmap");
        exit(EXIT_FAILURE);
    }
    memset(p, 0, length);
    return p;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double percentile(const uint64_t *sorted, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n);
    return (double)sorted[i < n ? i : n - 1];
}

static void bench_die(const char *what)
{
    fprintf(stderr, "tp_bench: %s: %s\n", what, tp_errmsg());
    exit(EXIT_FAILURE);
}

/* ---- limits ---- */

typedef struct floor_stct
{
    double one_way_p50_ns;
    double one_way_p99_ns;
} floor_t;

static floor_t raw_pingpong(size_t iterations)
{
    uint8_t *lines = bench_shared_alloc(4 * CACHE_LINE);
    volatile uint64_t *ping = (volatile uint64_t *)(lines + CACHE_LINE);
    volatile uint64_t *pong = (volatile uint64_t *)(lines + 3 * CACHE_LINE);
    const size_t warmup = iterations / 10;
    const size_t total = warmup + iterations;
    uint64_t *samples = malloc(iterations * sizeof(uint64_t));
    if (NULL == samples)
    {
        exit(EXIT_FAILURE);
    }
    pid_t child = fork();
    if (0 == child)
    {
        bench_pin_to(1);
        for (uint64_t i = 1; i <= total; i++)
        {
            while (tp_load_acquire_u64(ping) != i)
            {
                tp_cpu_relax();
            }
            tp_store_release_u64(pong, i);
        }
        _exit(0);
    }
    for (uint64_t i = 1; i <= total; i++)
    {
        uint64_t start = tp_clock_monotonic_ns();
        tp_store_release_u64(ping, i);
        while (tp_load_acquire_u64(pong) != i)
        {
            tp_cpu_relax();
        }
        if (i > warmup)
        {
            samples[i - 1 - warmup] = tp_clock_monotonic_ns() - start;
        }
    }
    waitpid(child, NULL, 0);
    qsort(samples, iterations, sizeof(uint64_t), compare_u64);
    floor_t f = {percentile(samples, iterations, 0.5) / 2.0, percentile(samples, iterations, 0.99) / 2.0};
    free(samples);
    munmap(lines, 4 * CACHE_LINE);
    return f;
}

/* A ring of slots * stride bytes: heap memory (as bench_core), or a file under /dev/shm mapped shared (the kind
 * of memory the producer's pools are). Pages are touched first, as the producer's regions are by warm-up. */
static uint8_t *ring_alloc(size_t length, bool shm_file)
{
    uint8_t *ring = NULL;
    if (shm_file)
    {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/memcpy-ring", bench_shm_dir);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || 0 != ftruncate(fd, (off_t)length))
        {
            perror("memcpy ring");
            exit(EXIT_FAILURE);
        }
        ring = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        unlink(path);
        if (MAP_FAILED == ring)
        {
            perror("mmap");
            exit(EXIT_FAILURE);
        }
    }
    else if (NULL == (ring = malloc(length)))
    {
        exit(EXIT_FAILURE);
    }
    memset(ring, 1, length);
    return ring;
}

/* GiB/s of memcpy(size) into slots rotating over a ring of `slots` destinations of `stride` bytes (best of 2). */
static double memcpy_bandwidth(const uint8_t *source, uint32_t size, uint32_t stride, uint32_t slots, uint64_t frames,
                               bool shm_file)
{
    const size_t length = (size_t)stride * slots;
    uint8_t *ring = ring_alloc(length, shm_file);
    uint64_t best = UINT64_MAX;
    for (int pass = 0; pass < 2; pass++)
    {
        uint64_t t0 = tp_clock_monotonic_ns();
        for (uint64_t i = 0; i < frames; i++)
        {
            uint8_t *target = ring + (size_t)(i % slots) * stride;
            memcpy(target, source, size);
            __asm__ volatile("" ::"r"(target) : "memory");
        }
        uint64_t elapsed = tp_clock_monotonic_ns() - t0;
        best = elapsed < best ? elapsed : best;
    }
    if (shm_file)
    {
        munmap(ring, length);
    }
    else
    {
        free(ring);
    }
    return (double)frames * size / ((double)best / 1e9) / GIB;
}

/* ---- the media driver, in its own process ---- */

static pid_t driver_start(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (0 == pid)
    {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        tp_mediadriver_context_t *ctx = NULL;
        tp_mediadriver_t *driver = NULL;
        if (tp_mediadriver_context_init(&ctx) < 0 || tp_mediadriver_context_set_dir(ctx, bench_aeron_dir) < 0 ||
            tp_mediadriver_context_set_dir_delete_on_shutdown(ctx, true) < 0 ||
            tp_mediadriver_context_set_threading_mode(ctx, TP_MEDIADRIVER_THREADING_INVOKER) < 0 ||
            tp_mediadriver_start(&driver, ctx) < 0)
        {
            bench_die("media driver");
        }
        /* Backoff: the driver only refreshes positions on IPC, it must not steal a core from the two ends. */
        tp_idle_strategy_t idle;
        tp_idle_strategy_init(&idle, TP_IDLE_BACKOFF);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        struct timespec zero = {0, 0};
        while (sigtimedwait(&set, NULL, &zero) < 0)
        {
            tp_idle_strategy_idle(&idle, tp_mediadriver_do_work(driver));
        }
        tp_mediadriver_close(driver);
        tp_mediadriver_context_close(ctx);
        _exit(0);
    }
    return pid;
}

/* ---- tensorpool ends ---- */

static tp_client_t *bench_client(void)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, bench_aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, bench_shm_dir) < 0 || tp_context_add_allowed_dir(ctx, bench_shm_dir) < 0 ||
        tp_context_set_idle_strategy(ctx, "spin") < 0 || tp_client_start(&client, ctx) < 0)
    {
        bench_die("client");
    }
    tp_context_close(ctx);
    return client;
}

typedef struct bench_consumer_stct
{
    bench_shared_t *shared;
    uint64_t *samples;
    size_t capacity;
    size_t count;
    uint64_t skip; /* warm-up frames not recorded */
    uint64_t accepted;
    uint64_t late;
    uint64_t touched;
} bench_consumer_t;

static void bench_on_latency_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    bench_consumer_t *c = clientd;
    uint64_t now = tp_clock_monotonic_ns();
    if (frame->seq >= c->skip && c->count < c->capacity)
    {
        c->samples[c->count++] = now - frame->tensor.timestamp_ns;
    }
    tp_store_release_u64(&c->shared->ack_seq, frame->seq + 1);
}

static void bench_on_rate_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    bench_consumer_t *c = clientd;
    /* Touch both ends of the payload as an application would, then check the slot was not recycled. */
    c->touched += frame->payload[0] + frame->payload[frame->payload_length - 1];
    if (tp_consumer_frame_is_intact(frame))
    {
        c->accepted++;
    }
    else
    {
        c->late++;
    }
}

static pid_t bench_consumer_fork(bench_shared_t *shared, uint32_t stream_id, size_t latency_samples, size_t skip)
{
    fflush(stdout);
    pid_t pid = fork();
    if (0 != pid)
    {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    bench_pin_to(1);
    tp_client_t *client = bench_client();
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = stream_id;
    config.consumer_id = 100 + stream_id;
    config.max_outstanding_seq_gap = UINT32_MAX; /* counting, not resyncing, when it falls behind */
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        bench_die("consumer");
    }
    bench_consumer_t c = {.shared = shared, .capacity = latency_samples, .skip = skip};
    if (latency_samples > 0)
    {
        c.samples = malloc(latency_samples * sizeof(uint64_t));
    }
    tp_consumer_frame_handler_t handler = latency_samples > 0 ? bench_on_latency_frame : bench_on_rate_frame;
    uint64_t polls = 0;
    while (0 == tp_load_acquire_i32(&shared->stop))
    {
        /* Busy-poll: the lowest latency; the client's conductor runs every 256 polls. */
        int work = tp_consumer_poll(consumer, handler, &c, 0);
        if (0 == (++polls & 255) || work < 0)
        {
            if (tp_client_do_work(client) < 0 || work < 0)
            {
                bench_die("consumer poll");
            }
        }
        if (0 == tp_load_acquire_i32(&shared->consumer_mapped) && tp_consumer_is_mapped(consumer))
        {
            tp_store_release_i32(&shared->consumer_mapped, 1);
        }
    }
    const tp_consumer_counters_t *counters = tp_consumer_counters(consumer);
    shared->consumer_accepted = c.accepted;
    shared->consumer_late = c.late + counters->drops_late;
    shared->consumer_gap = counters->drops_gap;
    shared->consumer_other = counters->drops_invalid + counters->drops_unmapped + counters->descriptors_wrong_epoch +
                             counters->descriptors_replayed + counters->resyncs;
    if (c.count > 0)
    {
        qsort(c.samples, c.count, sizeof(uint64_t), compare_u64);
        shared->latency_ns[0] = percentile(c.samples, c.count, 0.5);
        shared->latency_ns[1] = percentile(c.samples, c.count, 0.99);
        shared->latency_ns[2] = percentile(c.samples, c.count, 0.999);
        shared->latency_max_ns = (double)c.samples[c.count - 1];
    }
    if (0 != shared->consumer_other)
    {
        fprintf(stderr,
                "tp_bench: stream %" PRIu32 " consumer dropped frames for other reasons: invalid %" PRIu64
                " (last frame status %d) unmapped %" PRIu64 " wrong epoch %" PRIu64 " replayed %" PRIu64
                " resyncs %" PRIu64 "\n",
                stream_id, counters->drops_invalid, tp_consumer_core_last_frame_status(tp_consumer_core(consumer)),
                counters->drops_unmapped, counters->descriptors_wrong_epoch, counters->descriptors_replayed,
                counters->resyncs);
    }
    tp_store_release_i32(&shared->consumer_done, 1);
    free(c.samples);
    tp_consumer_close(consumer);
    tp_client_close(client);
    _exit(0);
}

static tp_producer_t *bench_producer(tp_client_t *client, uint32_t stream_id, uint32_t stride, uint32_t slots)
{
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = stream_id;
    config.producer_id = stream_id;
    config.header_nslots = slots;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = stride};
    config.pool_count = 1;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        bench_die("producer");
    }
    return producer;
}

static void bench_wait_mapped(tp_client_t *client, tp_producer_t *producer, bench_shared_t *shared)
{
    uint64_t deadline = tp_clock_monotonic_ns() + 20ULL * 1000000000ULL;
    while (0 == tp_load_acquire_i32(&shared->consumer_mapped))
    {
        tp_producer_poll(producer, 0);
        tp_client_do_work(client);
        if (tp_clock_monotonic_ns() > deadline)
        {
            fprintf(stderr, "tp_bench: the consumer did not map the regions within 20 s\n");
            exit(EXIT_FAILURE);
        }
    }
}

static void bench_consumer_finish(bench_shared_t *shared, pid_t pid)
{
    tp_store_release_i32(&shared->stop, 1);
    waitpid(pid, NULL, 0);
}

static tp_tensor_desc_t bench_desc(uint32_t size)
{
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc));
    desc.dtype = TP_DTYPE_UINT8;
    desc.major_order = TP_MAJOR_ORDER_ROW;
    desc.ndims = 1;
    desc.dims[0] = (int32_t)size;
    return desc;
}

typedef struct latency_stct
{
    double p50_ns;
    double p99_ns;
    double p999_ns;
    double max_ns;
    uint64_t samples;
    double commit_p50_ns;
    double commit_p99_ns;
} latency_t;

static latency_t bench_latency(size_t samples)
{
    bench_shared_t *shared = bench_shared_alloc(sizeof(bench_shared_t));
    const uint32_t stream_id = 1;
    const size_t warmup = samples / 10;
    pid_t consumer = bench_consumer_fork(shared, stream_id, samples, warmup);
    tp_client_t *client = bench_client();
    tp_producer_t *producer = bench_producer(client, stream_id, 4096, 64);
    bench_wait_mapped(client, producer, shared);

    const tp_tensor_desc_t desc = bench_desc(64);
    /* How much of the latency is the producer's own commit call (header, seqlock, descriptor encode + offer). */
    uint64_t *commit_ns = malloc(samples * sizeof(uint64_t));
    if (NULL == commit_ns)
    {
        exit(EXIT_FAILURE);
    }
    for (size_t i = 0; i < warmup + samples; i++)
    {
        tp_producer_claim_t claim;
        if (TP_PRODUCER_OK != tp_producer_claim(producer, 64, &desc, &claim))
        {
            bench_die("claim");
        }
        memset(claim.payload, (int)i, 64);
        const uint64_t stamp = tp_clock_monotonic_ns();
        tp_producer_commit(producer, &claim, &desc, stamp);
        if (i >= warmup)
        {
            commit_ns[i - warmup] = tp_clock_monotonic_ns() - stamp;
        }
        /* One frame in flight: wait for the consumer to accept it before the next commit. */
        uint64_t spins = 0;
        while (tp_load_acquire_u64(&shared->ack_seq) != claim.seq + 1)
        {
            tp_cpu_relax();
            if (0 == (++spins & 0xFFFFF))
            {
                tp_producer_poll(producer, 0);
                tp_client_do_work(client);
            }
        }
        if (0 == (i & 63))
        {
            tp_producer_poll(producer, 0);
            tp_client_do_work(client);
        }
    }
    bench_consumer_finish(shared, consumer);
    qsort(commit_ns, samples, sizeof(uint64_t), compare_u64);
    latency_t l = {shared->latency_ns[0],
                   shared->latency_ns[1],
                   shared->latency_ns[2],
                   shared->latency_max_ns,
                   (uint64_t)samples,
                   percentile(commit_ns, samples, 0.5),
                   percentile(commit_ns, samples, 0.99)};
    free(commit_ns);
    tp_producer_close(producer);
    tp_client_close(client);
    munmap(shared, sizeof(bench_shared_t));
    return l;
}

typedef struct rate_stct
{
    double offer_fps;
    double offer_gibs;
    double claim_fps;
    double claim_ns;
    double memcpy_gibs;
    double memcpy_shm_gibs;
    uint64_t frames;
    uint64_t accepted;
    uint64_t late;
    uint64_t gap;
    uint64_t other;
    uint64_t back_pressured;
} rate_t;

static rate_t bench_rate(uint32_t size, uint32_t slots, uint64_t frames, uint32_t stream_id)
{
    rate_t r;
    memset(&r, 0, sizeof(r));
    const uint32_t stride = size < 4096 ? 4096 : size;
    uint8_t *source = malloc(size);
    if (NULL == source)
    {
        exit(EXIT_FAILURE);
    }
    memset(source, 0x5A, size);

    bench_shared_t *shared = bench_shared_alloc(sizeof(bench_shared_t));
    pid_t consumer = bench_consumer_fork(shared, stream_id, 0, 0);
    tp_client_t *client = bench_client();
    tp_producer_t *producer = bench_producer(client, stream_id, stride, slots);
    bench_wait_mapped(client, producer, shared);
    const tp_tensor_desc_t desc = bench_desc(size);

    /* The copy limits are measured with the consumer process already spinning, as it does during offer. */
    r.memcpy_gibs = memcpy_bandwidth(source, size, stride, slots, frames, false);
    r.memcpy_shm_gibs = memcpy_bandwidth(source, size, stride, slots, frames, true);

    /* Warm the slots and the consumer path once, unmeasured. */
    for (uint32_t i = 0; i < slots; i++)
    {
        tp_producer_offer(producer, &desc, source, size, tp_clock_monotonic_ns());
    }
    uint64_t offer_ns = UINT64_MAX;
    uint64_t claim_ns = UINT64_MAX;
    for (int pass = 0; pass < 2; pass++)
    {
        uint64_t t0 = tp_clock_monotonic_ns();
        for (uint64_t i = 0; i < frames; i++)
        {
            source[0] = (uint8_t)i;
            int rc = tp_producer_offer(producer, &desc, source, size, i);
            r.back_pressured += TP_PRODUCER_BACK_PRESSURE == rc ? 1 : 0;
            if (0 == (i & 63))
            {
                tp_producer_poll(producer, 0);
                tp_client_do_work(client);
            }
        }
        uint64_t t1 = tp_clock_monotonic_ns();
        for (uint64_t i = 0; i < frames; i++)
        {
            tp_producer_claim_t claim;
            if (TP_PRODUCER_OK != tp_producer_claim(producer, size, NULL, &claim))
            {
                bench_die("claim");
            }
            claim.payload[0] = (uint8_t)i; /* the application's fill is not part of the path */
            int rc = tp_producer_commit(producer, &claim, &desc, i);
            r.back_pressured += TP_PRODUCER_BACK_PRESSURE == rc ? 1 : 0;
            if (0 == (i & 63))
            {
                tp_producer_poll(producer, 0);
                tp_client_do_work(client);
            }
        }
        uint64_t t2 = tp_clock_monotonic_ns();
        offer_ns = t1 - t0 < offer_ns ? t1 - t0 : offer_ns;
        claim_ns = t2 - t1 < claim_ns ? t2 - t1 : claim_ns;
    }
    /* Let the consumer take what is still in flight before it reports. */
    uint64_t settle = tp_clock_monotonic_ns() + 200000000ULL;
    while (tp_clock_monotonic_ns() < settle)
    {
        tp_producer_poll(producer, 0);
        tp_client_do_work(client);
    }
    bench_consumer_finish(shared, consumer);

    r.frames = 4 * frames + slots;
    r.accepted = shared->consumer_accepted;
    r.late = shared->consumer_late;
    r.gap = shared->consumer_gap;
    r.other = shared->consumer_other;
    r.offer_fps = (double)frames / ((double)offer_ns / 1e9);
    r.offer_gibs = r.offer_fps * size / GIB;
    r.claim_fps = (double)frames / ((double)claim_ns / 1e9);
    r.claim_ns = (double)claim_ns / (double)frames;
    tp_producer_close(producer);
    tp_client_close(client);
    munmap(shared, sizeof(bench_shared_t));
    free(source);
    return r;
}

/* The machine is shared: the load average says how much the figures can be trusted. */
static void bench_print_load(void)
{
    char text[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (NULL != f)
    {
        if (NULL == fgets(text, sizeof(text), f))
        {
            snprintf(text, sizeof(text), "?\n");
        }
        fclose(f);
    }
    printf("%s\n", text);
}

static int bench_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

int main(int argc, char **argv)
{
    size_t latency_samples = 200000;
    bool quick = false;
    const char *aeron_dir = NULL;
    int opt;
    static const struct option long_options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char usage[] = "usage: tp_bench [-n latency-samples] [-p aeron-dir] [-q] [-u] [-h|--help]\n"
                                "  -n N   latency samples (at least 100, default 200000)\n"
                                "  -p DIR run against the media driver in DIR instead of starting one\n"
                                "  -q     quick run (at most 20000 latency samples)\n"
                                "  -u     do not pin threads to cores\n";
    while (-1 != (opt = getopt_long(argc, argv, "n:p:quh", long_options, NULL)))
    {
        switch (opt)
        {
            case 'n':
                latency_samples = (size_t)strtoull(optarg, NULL, 10);
                break;
            case 'p':
                aeron_dir = optarg;
                break;
            case 'q':
                quick = true;
                break;
            case 'u':
                bench_pin = false;
                break;
            case 'h':
                fputs(usage, stdout);
                return 0;
            default:
                fputs(usage, stderr);
                return 2;
        }
    }
    if (latency_samples < 100)
    {
        fprintf(stderr, "tp_bench: -n must be at least 100\n");
        return 2;
    }
    if (quick)
    {
        latency_samples = latency_samples < 20000 ? latency_samples : 20000;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    char root[] = "/dev/shm/tp-bench-XXXXXX";
    if (NULL == mkdtemp(root))
    {
        perror("mkdtemp");
        return 1;
    }
    snprintf(bench_shm_dir, sizeof(bench_shm_dir), "%s/shm", root);
    mkdir(bench_shm_dir, 0700);
    snprintf(bench_aeron_dir, sizeof(bench_aeron_dir), "%s", NULL != aeron_dir ? aeron_dir : root);
    if (NULL == aeron_dir)
    {
        snprintf(bench_aeron_dir, sizeof(bench_aeron_dir), "%s/aeron", root);
    }
    pid_t driver = NULL == aeron_dir ? driver_start() : 0;
    bench_pin_to(0);

    printf("tp_bench: Aeron dir %s, regions in %s, load average at start: ", bench_aeron_dir, bench_shm_dir);
    bench_print_load();
    const floor_t floor = raw_pingpong(quick ? 100000 : 1000000);
    printf("raw cache-line ping-pong, one-way (RTT/2): p50 %.0f ns, p99 %.0f ns\n\n", floor.one_way_p50_ns,
           floor.one_way_p99_ns);

    const latency_t l = bench_latency(latency_samples);
    printf("descriptor latency, commit -> consumer accept (64 B frames, one in flight, %" PRIu64 " samples):\n",
           l.samples);
    printf("  p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns\n", l.p50_ns, l.p99_ns, l.p999_ns, l.max_ns);
    printf("  p50 / one-way floor = %.2f (target <= 2)   p99 = %.2f us (target <= 3 us)\n",
           l.p50_ns / floor.one_way_p50_ns, l.p99_ns / 1e3);
    printf("  of which the producer's commit call (timestamp -> return): p50 %.0f ns, p99 %.0f ns\n\n", l.commit_p50_ns,
           l.commit_p99_ns);

    const uint32_t sizes[] = {64, 4096, 1u << 20, 8u << 20};
    const uint32_t slots[] = {64, 64, 64, 16};
    const uint64_t frames_full[] = {500000, 200000, 3000, 400};
    printf("%8s %11s %8s %8s %6s %8s %6s | %11s %8s %8s %8s | %8s %8s %6s %6s %8s\n", "frame", "offer f/s", "GiB/s",
           "memcpy", "ratio", "shm cpy", "ratio", "claim f/s", "GiB/s", "x memcpy", "ns/frame", "accepted", "late",
           "gap", "other", "refused");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
    {
        uint64_t frames = quick ? frames_full[k] / 5 : frames_full[k];
        rate_t r = bench_rate(sizes[k], slots[k], frames, (uint32_t)(10 + k));
        char label[16];
        if (sizes[k] >= (1u << 20))
        {
            snprintf(label, sizeof(label), "%u MiB", sizes[k] >> 20);
        }
        else if (sizes[k] >= 1024)
        {
            snprintf(label, sizeof(label), "%u KiB", sizes[k] >> 10);
        }
        else
        {
            snprintf(label, sizeof(label), "%u B", sizes[k]);
        }
        /* Claim GiB/s is the frame bytes made available per second (the library never touches them). */
        const double claim_gibs = r.claim_fps * sizes[k] / GIB;
        printf("%8s %11.0f %8.2f %8.2f %6.2f %8.2f %6.2f | %11.0f %8.1f %8.1f %8.0f | %7.1f%% %8" PRIu64 " %6" PRIu64
               " %6" PRIu64 " %8" PRIu64 "\n",
               label, r.offer_fps, r.offer_gibs, r.memcpy_gibs, r.offer_gibs / r.memcpy_gibs, r.memcpy_shm_gibs,
               r.offer_gibs / r.memcpy_shm_gibs, r.claim_fps, claim_gibs, claim_gibs / r.memcpy_gibs, r.claim_ns,
               100.0 * (double)r.accepted / (double)r.frames, r.late, r.gap, r.other, r.back_pressured);
    }
    printf(
        "\n(GiB/s, best of 2 passes; memcpy = into a heap ring of the pool's size, shm cpy = into a mapped\n"
        " /dev/shm file of that size (the pools' kind of memory); ratio = offer / that: target >= 0.85 for >= 1 MiB;\n"
        " claim ns/frame = claim + commit + descriptor publish without the fill: target <= 1000;\n"
        " accepted = frames the other process took intact, late = recycled before it read them, other = dropped\n"
        " for another reason, refused = descriptors Aeron refused (back pressure))\n");

    printf("load average at the end: ");
    bench_print_load();
    if (driver > 0)
    {
        kill(driver, SIGTERM);
        waitpid(driver, NULL, 0);
    }
    nftw(root, bench_remove, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
