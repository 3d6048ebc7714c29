/*
 * tp_bench: tensorpool over Aeron IPC + SHM, two processes, beside the limits of this machine measured in the
 * same run.
 *
 *   floor    : raw cross-process cache-line ping-pong (one-way = RTT / 2), a raw cross-process SPSC ring (copy in,
 *              consumer reads both ends: the rate small frames are compared with), and memcpy bandwidth into
 *              rotating cold destinations as large as the ring (what offer() cannot avoid).
 *   latency  : commit -> consumer accept, one frame in flight at a time (the producer waits for the consumer's
 *              ack before the next commit, so no queueing is measured), p50 / p99 / p99.9, and the minor page
 *              faults each side takes per 100 k frames after warm-up (getrusage; the sides are processes).
 *   ping-pong: RTT through two tensorpool streams with the public API loop of docs/usage.md (each process a
 *              producer and a consumer on the default shared Aeron streams), p50 / p99 / p99.9, faults per side.
 *   rate     : frames/s and GiB/s for 64 B, 4 KiB, 1 MiB and 8 MiB frames via offer() (copy in) and via
 *              claim() -> commit() (zero copy; the application's fill is not counted), consumer in another
 *              process accepting every frame it can.
 *
 * Needs no running driver: one is forked with a private directory under /dev/shm (or -p DIR uses a running
 * one). A side that fails (a child that dies, a lost pong, a commit error) is reported on stderr and in the
 * table as FAILED, and the exit status is 1. See --help for the options.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_prefetch.h"
#include "tensorpool/tensorpool.h"

#include "bench_util.h"

#define CACHE_LINE      64
#define BENCH_STALL_NS  (2000ULL * 1000000ULL)
#define BENCH_LOST_NS   (30000ULL * 1000000ULL)
#define BENCH_WARMUP_NS (1500ULL * 1000000ULL) /* past the Aeron clients' first keepalives (500 ms) */
#define GIB             (1024.0 * 1024.0 * 1024.0)

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
    volatile uint64_t measure_from_seq; /* producer: first frame of the measured part (UINT64_MAX: warming up) */
    volatile uint64_t consumer_faults;  /* minor faults over consumer_fault_frames frames after warm-up */
    volatile uint64_t consumer_fault_frames;
    volatile uint64_t consumer_accepted_measured; /* accepted with seq >= measure_from_seq */
} bench_shared_t;

static char bench_aeron_dir[PATH_MAX];
static bool bench_pin = true;
static bool bench_pre_touch = true;
static uint32_t bench_term_length = TP_DEFAULT_DESCRIPTOR_TERM_LENGTH;
static int bench_fragment_limit = 0; /* tp_consumer_poll's default */
static bool bench_failed;

/* Loud: a failure of either side is never a silent zero in a table. */
static void bench_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void bench_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("tp_bench: FAILED: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    bench_failed = true;
}

static uint64_t bench_minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt;
}

/* Sample arrays are written during the measured part: allocate and touch them first so their own first-touch
 * faults are not counted against the library. */
static uint64_t *bench_samples_alloc(size_t count)
{
    uint64_t *samples = malloc(count * sizeof(uint64_t));
    if (NULL == samples)
    {
        fprintf(stderr, "tp_bench: could not allocate %zu samples\n", count);
        exit(EXIT_FAILURE);
    }
    memset(samples, 0xFF, count * sizeof(uint64_t)); /* not 0: malloc + memset 0 may become a lazy calloc */
    return samples;
}

static char bench_shm_dir[PATH_MAX];
static const char *bench_hugetlbfs;   /* --hugetlbfs: regions there, producers require hugepages */
static uint32_t bench_huge_page_size; /* that mount's page size */

/* A pool stride for `size` bytes: at least a 4 KiB page, and a whole number of hugepages with --hugetlbfs (wire
 * spec 15.22). */
static uint32_t bench_stride(uint32_t size)
{
    uint32_t stride = size < 4096 ? 4096 : size;
    if (NULL != bench_hugetlbfs && 0 != stride % bench_huge_page_size)
    {
        stride += bench_huge_page_size - stride % bench_huge_page_size;
    }
    return stride;
}

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
        bench_pin_to(1, bench_pin);
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
    qsort(samples, iterations, sizeof(uint64_t), bench_compare_u64);
    floor_t f = {bench_percentile(samples, iterations, 0.5) / 2.0, bench_percentile(samples, iterations, 0.99) / 2.0};
    free(samples);
    munmap(lines, 4 * CACHE_LINE);
    return f;
}

/*
 * The least any descriptor-then-slot design can take here, without any library: what a tensorpool descriptor
 * needs to move between cores, in raw code. The writer fills a 256-byte header slot and a 64-byte payload line
 * (5 lines, the slot taken for write in advance as our producer does), then release-stores the sequence into
 * the next line of a "term"; the reader spins on that line, then prefetches and reads the 5 slot lines (as our
 * consumer does) and checks the sequence. One in flight, clock read on both sides as in the latency run. The
 * slot read depends on the term line, so this is two dependent transfers plus the ownership transfers of the
 * slot: the floor for the spec's descriptor + seqlocked header (§8, §10.2.1), against which the one-line
 * ping-pong above is the floor of the hardware alone.
 */
static floor_t raw_descriptor_handoff(size_t iterations)
{
    enum
    {
        HANDOFF_SLOTS = 16,
        HANDOFF_SLOT_LINES = 5,
        HANDOFF_TERM_LINES = 4096
    };
    const size_t length = (2 + (size_t)HANDOFF_SLOTS * HANDOFF_SLOT_LINES + HANDOFF_TERM_LINES) * CACHE_LINE;
    uint8_t *base = bench_shared_alloc(length);
    volatile uint64_t *ack = (volatile uint64_t *)base;
    uint8_t *slots = base + 2 * CACHE_LINE;
    uint8_t *term = slots + (size_t)HANDOFF_SLOTS * HANDOFF_SLOT_LINES * CACHE_LINE;
    const size_t warmup = iterations / 10;
    const size_t total = warmup + iterations;
    uint64_t *samples = bench_shared_alloc(iterations * sizeof(uint64_t));
    pid_t child = fork();
    if (0 == child)
    {
        bench_pin_to(1, bench_pin);
        for (uint64_t i = 1; i <= total; i++)
        {
            const volatile uint64_t *flag = (const volatile uint64_t *)(term + (i % HANDOFF_TERM_LINES) * CACHE_LINE);
            while (tp_load_acquire_u64(flag) != i)
            {
                tp_cpu_relax();
            }
            const uint8_t *slot = slots + (i % HANDOFF_SLOTS) * HANDOFF_SLOT_LINES * CACHE_LINE;
            for (size_t k = 0; k < HANDOFF_SLOT_LINES; k++)
            {
                tp_prefetch_read(slot + k * CACHE_LINE);
            }
            uint64_t sum = 0;
            for (size_t k = 1; k < HANDOFF_SLOT_LINES; k++)
            {
                sum += tp_load_acquire_u64((const volatile uint64_t *)(slot + k * CACHE_LINE));
            }
            const uint64_t stamp = tp_load_acquire_u64((const volatile uint64_t *)(slot + 8));
            if (tp_load_acquire_u64((const volatile uint64_t *)slot) != i || sum != (HANDOFF_SLOT_LINES - 1) * i)
            {
                _exit(2);
            }
            const uint64_t now = tp_clock_monotonic_ns();
            if (i > warmup)
            {
                samples[i - 1 - warmup] = now - stamp;
            }
            tp_store_release_u64(ack, i);
        }
        _exit(0);
    }
    for (uint64_t i = 1; i <= total; i++)
    {
        uint8_t *slot = slots + (i % HANDOFF_SLOTS) * HANDOFF_SLOT_LINES * CACHE_LINE;
        const uint64_t stamp = tp_clock_monotonic_ns();
        tp_store_release_u64((volatile uint64_t *)slot, i);
        tp_store_release_u64((volatile uint64_t *)(slot + 8), stamp);
        for (size_t k = 1; k < HANDOFF_SLOT_LINES; k++)
        {
            tp_store_release_u64((volatile uint64_t *)(slot + k * CACHE_LINE), i);
        }
        tp_store_release_u64((volatile uint64_t *)(term + (i % HANDOFF_TERM_LINES) * CACHE_LINE), i);
        uint8_t *next = slots + ((i + 1) % HANDOFF_SLOTS) * HANDOFF_SLOT_LINES * CACHE_LINE;
        for (size_t k = 0; k < HANDOFF_SLOT_LINES; k++)
        {
            tp_prefetch_write(next + k * CACHE_LINE);
        }
        while (tp_load_acquire_u64(ack) != i)
        {
            tp_cpu_relax();
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    floor_t f = {0.0, 0.0};
    if (WIFEXITED(status) && 0 == WEXITSTATUS(status))
    {
        qsort(samples, iterations, sizeof(uint64_t), bench_compare_u64);
        f.one_way_p50_ns = (double)bench_percentile(samples, iterations, 0.5);
        f.one_way_p99_ns = (double)bench_percentile(samples, iterations, 0.99);
    }
    else
    {
        bench_fail("raw descriptor hand-off: the reader saw a torn slot or died (status 0x%x)", status);
    }
    munmap(samples, iterations * sizeof(uint64_t));
    munmap(base, length);
    return f;
}

/*
 * A raw cross-process SPSC ring: the producer copies `size` bytes into the next of 64 slots and publishes its
 * head; the consumer reads both ends of the slot (as the tensorpool consumer here does) and publishes its tail.
 * Lossless (the producer waits for room): the fastest any cross-process small-frame transport can go here.
 */
static double spsc_ring_rate(uint32_t size, uint64_t frames)
{
    enum
    {
        SPSC_SLOTS = 64
    };
    const size_t stride = size < CACHE_LINE ? CACHE_LINE : size;
    const size_t length = 4 * CACHE_LINE + SPSC_SLOTS * stride;
    uint8_t *base = bench_shared_alloc(length);
    volatile uint64_t *head = (volatile uint64_t *)base;
    volatile uint64_t *tail = (volatile uint64_t *)(base + 2 * CACHE_LINE);
    uint8_t *slots = base + 4 * CACHE_LINE;
    uint8_t *source = malloc(size);
    if (NULL == source)
    {
        exit(EXIT_FAILURE);
    }
    memset(source, 0x5A, size);
    fflush(stdout);
    pid_t child = fork();
    if (0 == child)
    {
        bench_pin_to(1, bench_pin);
        uint64_t sum = 0;
        for (uint64_t seq = 0; seq < frames; seq++)
        {
            while (tp_load_acquire_u64(head) <= seq)
            {
                tp_cpu_relax();
            }
            const uint8_t *slot = slots + (seq % SPSC_SLOTS) * stride;
            sum += slot[0] + slot[size - 1];
            tp_store_release_u64(tail, seq + 1);
        }
        _exit(0 == sum ? 1 : 0);
    }
    uint64_t cached_tail = 0;
    const uint64_t t0 = tp_clock_monotonic_ns();
    for (uint64_t seq = 0; seq < frames; seq++)
    {
        while (seq - cached_tail >= SPSC_SLOTS)
        {
            cached_tail = tp_load_acquire_u64(tail);
        }
        source[0] = (uint8_t)(seq | 1);
        memcpy(slots + (seq % SPSC_SLOTS) * stride, source, size);
        tp_store_release_u64(head, seq + 1);
    }
    while (tp_load_acquire_u64(tail) != frames)
    {
        tp_cpu_relax();
    }
    const uint64_t elapsed = tp_clock_monotonic_ns() - t0;
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || 0 != WEXITSTATUS(status))
    {
        bench_fail("SPSC ring %u B: the reader process failed (status 0x%x)", size, (unsigned)status);
    }
    free(source);
    munmap(base, length);
    return (double)frames / ((double)elapsed / 1e9);
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

/* ---- tensorpool ends ---- */

static tp_client_t *bench_client(void)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, bench_aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, bench_shm_dir) < 0 || tp_context_add_allowed_dir(ctx, bench_shm_dir) < 0 ||
        tp_context_set_idle_strategy(ctx, "spin") < 0 || tp_context_set_pre_touch(ctx, bench_pre_touch) < 0 ||
        tp_context_set_descriptor_term_length(ctx, bench_term_length) < 0 || tp_client_start(&client, ctx) < 0)
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
    uint64_t accepted;
    uint64_t accepted_measured;
    uint64_t late;
    uint64_t touched;
    uint64_t faults_start;
    uint64_t fault_frames;
} bench_consumer_t;

static void bench_on_latency_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    bench_consumer_t *c = clientd;
    uint64_t now = tp_clock_monotonic_ns();
    if (frame->seq >= tp_load_acquire_u64(&c->shared->measure_from_seq) && c->count < c->capacity)
    {
        c->samples[c->count++] = now - frame->tensor.timestamp_ns;
    }
    tp_store_release_u64(&c->shared->ack_seq, frame->seq + 1);
    /* Faults after warm-up, from the first recorded frame to the last (outside the timed part of the frame). */
    if (1 == c->count && 0 == c->fault_frames)
    {
        c->faults_start = bench_minflt();
        c->fault_frames = 1;
    }
    else if (c->count == c->capacity && c->fault_frames == 1)
    {
        c->shared->consumer_faults = bench_minflt() - c->faults_start;
        c->shared->consumer_fault_frames = c->count;
        c->fault_frames = c->count;
    }
}

static void bench_on_rate_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    bench_consumer_t *c = clientd;
    /* Touch both ends of the payload as an application would, then check the slot was not recycled. */
    c->touched += frame->payload[0] + frame->payload[frame->payload_length - 1];
    if (tp_consumer_frame_is_intact(frame))
    {
        c->accepted++;
        c->accepted_measured += frame->seq >= tp_load_acquire_u64(&c->shared->measure_from_seq) ? 1 : 0;
    }
    else
    {
        c->late++;
    }
    if (0 == c->shared->ack_seq)
    {
        tp_store_release_u64(&c->shared->ack_seq, frame->seq + 1); /* the first frame: the descriptor path is up */
    }
}

static pid_t bench_consumer_fork(bench_shared_t *shared, uint32_t stream_id, size_t latency_samples)
{
    fflush(stdout);
    pid_t pid = fork();
    if (0 != pid)
    {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    bench_pin_to(1, bench_pin);
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
    bench_consumer_t c = {.shared = shared, .capacity = latency_samples};
    if (latency_samples > 0)
    {
        c.samples = bench_samples_alloc(latency_samples);
    }
    tp_consumer_frame_handler_t handler = latency_samples > 0 ? bench_on_latency_frame : bench_on_rate_frame;
    uint64_t polls = 0;
    while (0 == tp_load_acquire_i32(&shared->stop))
    {
        /* Busy-poll: the lowest latency; the client's conductor runs every 256 polls. */
        int work = tp_consumer_poll(consumer, handler, &c, bench_fragment_limit);
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
    shared->consumer_accepted_measured = c.accepted_measured;
    shared->consumer_late = c.late + counters->drops_late;
    shared->consumer_gap = counters->drops_gap;
    shared->consumer_other = counters->drops_invalid + counters->drops_unmapped + counters->descriptors_wrong_epoch +
                             counters->descriptors_replayed + counters->resyncs;
    if (c.count > 0)
    {
        qsort(c.samples, c.count, sizeof(uint64_t), bench_compare_u64);
        shared->latency_ns[0] = bench_percentile(c.samples, c.count, 0.5);
        shared->latency_ns[1] = bench_percentile(c.samples, c.count, 0.99);
        shared->latency_ns[2] = bench_percentile(c.samples, c.count, 0.999);
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
    tp_producer_t *producer =
        bench_producer_start(client, stream_id, bench_stride(stride), slots, NULL != bench_hugetlbfs);
    if (NULL == producer)
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

/* Stops the consumer process; false (and a loud failure) when it died or never reported. */
static bool bench_consumer_finish(bench_shared_t *shared, pid_t pid, const char *what)
{
    tp_store_release_i32(&shared->stop, 1);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || 0 != WEXITSTATUS(status) || 0 == tp_load_acquire_i32(&shared->consumer_done))
    {
        bench_fail("%s: the consumer process %s (status 0x%x) and reported nothing", what,
                   WIFSIGNALED(status) ? "was killed" : "failed", (unsigned)status);
        return false;
    }
    return true;
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
    double producer_faults_per_100k; /* minor faults per 100 k frames after warm-up, each side */
    double consumer_faults_per_100k;
    uint64_t commit_errors;
    bool failed;
} latency_t;

static latency_t bench_latency(size_t samples)
{
    bench_shared_t *shared = bench_shared_alloc(sizeof(bench_shared_t));
    const uint32_t stream_id = 1;
    const size_t warmup_min = samples / 10;
    tp_store_release_u64(&shared->measure_from_seq, UINT64_MAX);
    pid_t consumer = bench_consumer_fork(shared, stream_id, samples);
    tp_client_t *client = bench_client();
    tp_producer_t *producer = bench_producer(client, stream_id, 4096, 64);
    bench_wait_mapped(client, producer, shared);

    const tp_tensor_desc_t desc = bench_desc_bytes(64);
    /* How much of the latency is the producer's own commit call (header, seqlock, descriptor encode + offer). */
    uint64_t *commit_ns = bench_samples_alloc(samples);
    uint64_t faults_start = 0;
    uint64_t commit_errors = 0;
    bool lost = false;
    /* Warm-up: at least warmup_min frames and BENCH_WARMUP_NS, so the clients' first keepalives and periodic
     * messages (the first use of their buffers) happen before the measured part. */
    const uint64_t warm_until = tp_clock_monotonic_ns() + BENCH_WARMUP_NS;
    size_t warmup = SIZE_MAX;
    for (size_t i = 0; (SIZE_MAX == warmup || i < warmup + samples) && !lost; i++)
    {
        const bool first_measured = SIZE_MAX == warmup && i >= warmup_min && tp_clock_monotonic_ns() >= warm_until;
        tp_producer_claim_t claim;
        if (TP_PRODUCER_OK != tp_producer_claim(producer, 64, &desc, &claim))
        {
            bench_die("claim");
        }
        memset(claim.payload, (int)i, 64);
        if (first_measured)
        {
            warmup = i;
            tp_store_release_u64(&shared->measure_from_seq, claim.seq);
            faults_start = bench_minflt();
        }
        const uint64_t stamp = tp_clock_monotonic_ns();
        int rc = tp_producer_commit(producer, &claim, &desc, stamp);
        if (SIZE_MAX != warmup)
        {
            commit_ns[i - warmup] = tp_clock_monotonic_ns() - stamp;
        }
        commit_errors += rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc ? 1 : 0;
        /* One frame in flight: wait for the consumer to accept it before the next commit (a refused descriptor
         * is re-offered by the producer's poll). */
        uint64_t spins = 0;
        /* A round is lost after 30 s; one over 2 s is a stall (a starved process on a loaded machine), said so. */
        const uint64_t deadline = tp_clock_monotonic_ns() + BENCH_LOST_NS;
        while (tp_load_acquire_u64(&shared->ack_seq) != claim.seq + 1)
        {
            tp_cpu_relax();
            if (0 == (++spins & 0xFFFF))
            {
                tp_producer_poll(producer, 0);
                tp_client_do_work(client);
                if (tp_clock_monotonic_ns() > deadline)
                {
                    bench_fail("latency: frame %" PRIu64 " (commit rc %d) not accepted within 30 s", claim.seq, rc);
                    lost = true;
                    break;
                }
            }
        }
        if (0 == (i & 63))
        {
            tp_producer_poll(producer, 0);
            tp_client_do_work(client);
        }
    }
    const uint64_t producer_faults = bench_minflt() - faults_start;
    const bool consumer_ok = bench_consumer_finish(shared, consumer, "latency");
    qsort(commit_ns, samples, sizeof(uint64_t), bench_compare_u64);
    latency_t l = {shared->latency_ns[0],
                   shared->latency_ns[1],
                   shared->latency_ns[2],
                   shared->latency_max_ns,
                   (uint64_t)samples,
                   bench_percentile(commit_ns, samples, 0.5),
                   bench_percentile(commit_ns, samples, 0.99),
                   1e5 * (double)producer_faults / (double)samples,
                   0 == shared->consumer_fault_frames
                       ? -1.0
                       : 1e5 * (double)shared->consumer_faults / (double)shared->consumer_fault_frames,
                   commit_errors,
                   lost || !consumer_ok || 0 == shared->consumer_fault_frames};
    if (commit_errors > 0)
    {
        bench_fail("latency: %" PRIu64 " commits failed", commit_errors);
        l.failed = true;
    }
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
    uint64_t commit_errors;
    uint64_t not_connected;
    double first_lap_gibs; /* the warm-up lap of offers into the freshly created pool */
    bool failed;
} rate_t;

/* One producer -> consumer pair for a rate run: a source frame, the shared block, the consumer process, the
 * producer's client, all mapped. */
typedef struct rate_pair_stct
{
    uint8_t *source;
    bench_shared_t *shared;
    pid_t consumer;
    tp_client_t *client;
    tp_producer_t *producer;
    tp_tensor_desc_t desc;
    uint64_t warmed; /* frames offered before the measured part */
} rate_pair_t;

static void rate_pair_start(rate_pair_t *pair, uint32_t size, uint32_t slots, uint32_t stream_id,
                            uint64_t measure_from_seq)
{
    memset(pair, 0, sizeof(*pair));
    const uint32_t stride = bench_stride(size);
    pair->source = malloc(size);
    if (NULL == pair->source)
    {
        exit(EXIT_FAILURE);
    }
    memset(pair->source, 0x5A, size);
    pair->shared = bench_shared_alloc(sizeof(bench_shared_t));
    tp_store_release_u64(&pair->shared->measure_from_seq, measure_from_seq);
    pair->consumer = bench_consumer_fork(pair->shared, stream_id, 0);
    pair->client = bench_client();
    pair->producer = bench_producer(pair->client, stream_id, stride, slots);
    bench_wait_mapped(pair->client, pair->producer, pair->shared);
    pair->desc = bench_desc_bytes(size);
}

/*
 * Warm the slots and the consumer path once, unmeasured, until the consumer has taken a frame: a mapped consumer
 * whose descriptor image has not joined yet would make every commit NOT_CONNECTED. Returns false (said on
 * stderr) when it never did; *first_lap_gibs (optional) gets the rate of the first lap into the fresh pool.
 */
static bool rate_pair_warm(rate_pair_t *pair, uint32_t size, uint32_t slots, double *first_lap_gibs)
{
    const uint64_t joined_deadline = tp_clock_monotonic_ns() + 20000000000ULL;
    const uint64_t lap_start = tp_clock_monotonic_ns();
    for (uint32_t i = 0; i < slots || 0 == tp_load_acquire_u64(&pair->shared->ack_seq); i++, pair->warmed++)
    {
        tp_producer_offer(pair->producer, &pair->desc, pair->source, size, tp_clock_monotonic_ns());
        if (i + 1 == slots && NULL != first_lap_gibs)
        {
            *first_lap_gibs = (double)slots * size / ((double)(tp_clock_monotonic_ns() - lap_start) / 1e9) / GIB;
        }
        tp_producer_poll(pair->producer, 0);
        tp_client_do_work(pair->client);
        if (tp_clock_monotonic_ns() > joined_deadline)
        {
            bench_fail("rate %u B: the consumer took no frame within 20 s of mapping", size);
            return false;
        }
    }
    return true;
}

static void rate_pair_close(rate_pair_t *pair)
{
    tp_producer_close(pair->producer);
    tp_client_close(pair->client);
    munmap(pair->shared, sizeof(bench_shared_t));
    free(pair->source);
}

static rate_t bench_rate(uint32_t size, uint32_t slots, uint64_t frames, uint32_t stream_id)
{
    rate_t r;
    memset(&r, 0, sizeof(r));
    const uint32_t stride = bench_stride(size);
    rate_pair_t pair;
    rate_pair_start(&pair, size, slots, stream_id, 0);
    uint8_t *source = pair.source;
    bench_shared_t *shared = pair.shared;
    tp_client_t *client = pair.client;
    tp_producer_t *producer = pair.producer;
    const tp_tensor_desc_t desc = pair.desc;

    /* The copy limits are measured with the consumer process already spinning, as it does during offer. */
    r.memcpy_gibs = memcpy_bandwidth(source, size, stride, slots, frames, false);
    r.memcpy_shm_gibs = memcpy_bandwidth(source, size, stride, slots, frames, true);
    r.failed = !rate_pair_warm(&pair, size, slots, &r.first_lap_gibs);
    const uint64_t warmed = pair.warmed;
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
            r.not_connected += TP_PRODUCER_NOT_CONNECTED == rc ? 1 : 0;
            r.commit_errors += rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc ? 1 : 0;
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
            r.not_connected += TP_PRODUCER_NOT_CONNECTED == rc ? 1 : 0;
            r.commit_errors += rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc ? 1 : 0;
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
    r.failed = !bench_consumer_finish(shared, pair.consumer, "rate") || r.failed;

    /* Frames from the first one the consumer took (seq ack_seq - 1) on: earlier ones had no subscriber yet. */
    const uint64_t first_taken = tp_load_acquire_u64(&shared->ack_seq);
    r.frames = 4 * frames + warmed - (first_taken > 0 ? first_taken - 1 : 0);
    r.accepted = shared->consumer_accepted;
    r.late = shared->consumer_late;
    r.gap = shared->consumer_gap;
    r.other = shared->consumer_other;
    if (r.commit_errors > 0)
    {
        bench_fail("rate %u B: %" PRIu64 " offers/commits failed", size, r.commit_errors);
        r.failed = true;
    }
    if (!r.failed && 0 == r.accepted)
    {
        bench_fail("rate %u B: the consumer accepted no frame (late %" PRIu64 ", gap %" PRIu64 ", other %" PRIu64
                   ", commits NOT_CONNECTED %" PRIu64 ", refused %" PRIu64 ")",
                   size, r.late, r.gap, r.other, r.not_connected, r.back_pressured);
        r.failed = true;
    }
    r.offer_fps = (double)frames / ((double)offer_ns / 1e9);
    r.offer_gibs = r.offer_fps * size / GIB;
    r.claim_fps = (double)frames / ((double)claim_ns / 1e9);
    r.claim_ns = (double)claim_ns / (double)frames;
    rate_pair_close(&pair);
    return r;
}

/*
 * Small frames offered at a fixed rate instead of flat out. Wire spec §15.4 rules out producer back pressure
 * ("Producers MAY overwrite any slot ... with no waiting"; throttling is external, on QoS), so at the producer's
 * full rate the consumer gets what its per-frame cost allows and the rest is late or gap. This measures the
 * other half: the rate at which a consumer takes (nearly) every frame. Offers are spaced by the period on the
 * producer's clock (spinning, no sleep); a ring of `slots` gives the consumer slots x period of slack.
 */
typedef struct paced_stct
{
    double offered_fps;
    double accepted_fraction;
    uint64_t frames;
    uint64_t late;
    uint64_t gap;
    bool failed;
} paced_t;

static paced_t bench_paced(uint32_t size, uint32_t slots, double rate_fps, uint64_t frames, uint32_t stream_id)
{
    paced_t r;
    memset(&r, 0, sizeof(r));
    rate_pair_t pair;
    rate_pair_start(&pair, size, slots, stream_id, UINT64_MAX);
    uint8_t *source = pair.source;
    bench_shared_t *shared = pair.shared;
    tp_client_t *client = pair.client;
    tp_producer_t *producer = pair.producer;
    const tp_tensor_desc_t desc = pair.desc;
    uint64_t errors = 0;
    r.failed = !rate_pair_warm(&pair, size, slots, NULL);
    /* What the consumer counted during warm-up is left out: only the paced frames are compared. */
    const uint64_t counted_seq = tp_producer_next_seq(producer);
    tp_store_release_u64(&shared->measure_from_seq, counted_seq);
    const double period_ns = rate_fps > 0.0 ? 1e9 / rate_fps : 0.0;
    const uint64_t t0 = tp_clock_monotonic_ns();
    uint64_t now = t0;
    for (uint64_t i = 0; i < frames && !r.failed; i++)
    {
        const uint64_t due = t0 + (uint64_t)((double)i * period_ns);
        while (period_ns > 0.0 && (now = tp_clock_monotonic_ns()) < due)
        {
            tp_cpu_relax();
        }
        source[0] = (uint8_t)i;
        int rc = tp_producer_offer(producer, &desc, source, size, period_ns > 0.0 ? now : i);
        errors += rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc ? 1 : 0;
        if (0 == (i & 63))
        {
            tp_producer_poll(producer, 0);
            tp_client_do_work(client);
        }
    }
    const uint64_t t1 = tp_clock_monotonic_ns();
    uint64_t settle = t1 + 200000000ULL;
    while (tp_clock_monotonic_ns() < settle)
    {
        tp_producer_poll(producer, 0);
        tp_client_do_work(client);
    }
    r.failed = !bench_consumer_finish(shared, pair.consumer, "paced") || r.failed;
    r.frames = frames;
    r.offered_fps = (double)frames / ((double)(t1 - t0) / 1e9);
    r.accepted_fraction = (double)shared->consumer_accepted_measured / (double)frames;
    r.late = shared->consumer_late;
    r.gap = shared->consumer_gap;
    if (errors > 0)
    {
        bench_fail("paced %u B: %" PRIu64 " offers failed", size, errors);
        r.failed = true;
    }
    rate_pair_close(&pair);
    return r;
}

/* ---- ping-pong through two tensorpool streams, the usage guide's loop on both sides ---- */

typedef struct pingpong_shared_stct
{
    volatile int32_t pong_ready; /* pong side: its consumer is mapped */
    volatile int32_t stop;
    volatile int32_t pong_failed;
    volatile uint64_t pong_faults;
    volatile uint64_t pong_fault_rounds;
    volatile uint64_t measure_from; /* ping: first measured round (UINT64_MAX: warming up) */
    volatile int32_t ping_failed;   /* ping -> pong: report your counters */
} pingpong_shared_t;

typedef struct pingpong_side_stct
{
    tp_producer_t *producer;
    tp_tensor_desc_t desc;
    uint64_t received;
    uint64_t commit_errors;
    uint64_t faults_start;
    uint64_t rounds;
    pingpong_shared_t *shared;
} pingpong_side_t;

/* Pong: answer each ping with a frame of the same size, from inside the frame handler. */
static void pingpong_on_ping(void *clientd, const tp_consumer_frame_t *frame)
{
    pingpong_side_t *side = clientd;
    tp_producer_claim_t claim;
    if (TP_PRODUCER_OK != tp_producer_claim(side->producer, frame->payload_length, &side->desc, &claim))
    {
        side->commit_errors++;
        return;
    }
    memcpy(claim.payload, frame->payload, frame->payload_length);
    int rc = tp_producer_commit(side->producer, &claim, &side->desc, frame->tensor.timestamp_ns);
    side->commit_errors += rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc ? 1 : 0;
    side->received++;
    const uint64_t from = tp_load_acquire_u64(&side->shared->measure_from);
    if (side->received == from + 1)
    {
        side->faults_start = bench_minflt();
    }
    else if (UINT64_MAX != from && side->received == from + side->rounds)
    {
        side->shared->pong_faults = bench_minflt() - side->faults_start;
        side->shared->pong_fault_rounds = side->rounds;
    }
}

static void pingpong_on_pong(void *clientd, const tp_consumer_frame_t *frame)
{
    (void)frame;
    pingpong_side_t *side = clientd;
    side->received++;
}

/* On a failure: what each side's producer and consumer counted, so a lost round can be told apart. */
static void pingpong_report(const char *side, tp_producer_t *producer, tp_consumer_t *consumer, uint64_t received)
{
    const tp_producer_counters_t *p = tp_producer_counters(producer);
    const tp_consumer_counters_t *c = tp_consumer_counters(consumer);
    fprintf(stderr,
            "tp_bench: %s side: received %" PRIu64 "; producer committed %" PRIu64 " queued %" PRIu64
            " re-offered %" PRIu64 " dropped-reused %" PRIu64 " not-connected %" PRIu64 "; consumer accepted %" PRIu64
            " gap %" PRIu64 " late %" PRIu64 " invalid %" PRIu64 " unmapped %" PRIu64 " wrong-epoch %" PRIu64
            " stale-unmaps %" PRIu64 "\n",
            side, received, p->frames_committed, p->descriptors_queued, p->descriptors_reoffered,
            p->descriptors_dropped_reused, p->descriptors_not_connected, c->frames_accepted, c->drops_gap,
            c->drops_late, c->drops_invalid, c->drops_unmapped, c->descriptors_wrong_epoch, c->producer_stale_unmaps);
}

typedef struct pingpong_stct
{
    double p50_ns;
    double p99_ns;
    double p999_ns;
    double max_ns;
    uint64_t rounds;
    double ping_faults_per_100k;
    double pong_faults_per_100k;
    bool failed;
} pingpong_t;

static pingpong_t bench_pingpong(size_t rounds, uint32_t size)
{
    pingpong_t result;
    memset(&result, 0, sizeof(result));
    pingpong_shared_t *shared = bench_shared_alloc(sizeof(pingpong_shared_t));
    const uint32_t ping_stream = 30;
    const uint32_t pong_stream = 31;
    const size_t warmup_min = rounds / 10 + 100;
    tp_store_release_u64(&shared->measure_from, UINT64_MAX);
    fflush(stdout);
    pid_t pid = fork();
    if (0 == pid)
    {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        bench_pin_to(1, bench_pin);
        tp_client_t *client = bench_client();
        pingpong_side_t side = {.producer = bench_producer(client, pong_stream, 4096, 64),
                                .desc = bench_desc_bytes(size),
                                .rounds = rounds,
                                .shared = shared};
        tp_consumer_config_t config;
        tp_consumer_config_init(&config);
        config.stream_id = ping_stream;
        config.consumer_id = 200;
        tp_consumer_t *consumer = NULL;
        if (tp_consumer_start(&consumer, client, &config) < 0)
        {
            bench_die("pong consumer");
        }
        while (0 == tp_load_acquire_i32(&shared->stop))
        {
            /* The loop of docs/usage.md: poll what you own, then the client's duty cycle, then idle. */
            int work = tp_consumer_poll(consumer, pingpong_on_ping, &side, 0);
            work += tp_producer_poll(side.producer, 0);
            int client_work = tp_client_do_work(client);
            if (work < 0 || client_work < 0)
            {
                tp_store_release_i32(&shared->pong_failed, 1);
                bench_die("pong poll");
            }
            tp_client_idle(client, work + client_work);
            if (0 == tp_load_acquire_i32(&shared->pong_ready) && tp_consumer_is_mapped(consumer))
            {
                tp_store_release_i32(&shared->pong_ready, 1);
            }
        }
        if (0 != tp_load_acquire_i32(&shared->ping_failed))
        {
            pingpong_report("pong", side.producer, consumer, side.received);
        }
        if (side.commit_errors > 0)
        {
            fprintf(stderr, "tp_bench: FAILED: pong: %" PRIu64 " replies could not be committed\n", side.commit_errors);
            tp_store_release_i32(&shared->pong_failed, 1);
        }
        tp_consumer_close(consumer);
        tp_producer_close(side.producer);
        tp_client_close(client);
        _exit(0);
    }

    tp_client_t *client = bench_client();
    pingpong_side_t side = {.producer = bench_producer(client, ping_stream, 4096, 64), .desc = bench_desc_bytes(size)};
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = pong_stream;
    config.consumer_id = 201;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        bench_die("ping consumer");
    }
    uint64_t *samples = bench_samples_alloc(rounds);
    /* Both ends mapped: the pong side's consumer, and ours (its producer announces once it has one). */
    const uint64_t ready_deadline = tp_clock_monotonic_ns() + 20000000000ULL;
    while (0 == tp_load_acquire_i32(&shared->pong_ready) || !tp_consumer_is_mapped(consumer))
    {
        tp_consumer_poll(consumer, pingpong_on_pong, &side, 0);
        tp_producer_poll(side.producer, 0);
        tp_client_do_work(client);
        if (tp_clock_monotonic_ns() > ready_deadline)
        {
            bench_fail("ping-pong: the two sides did not map each other's regions within 20 s");
            result.failed = true;
            break;
        }
    }
    uint64_t faults_start = 0;
    const uint64_t warm_until = tp_clock_monotonic_ns() + BENCH_WARMUP_NS;
    size_t warmup = SIZE_MAX;
    for (size_t i = 0; (SIZE_MAX == warmup || i < warmup + rounds) && !result.failed; i++)
    {
        if (SIZE_MAX == warmup && i >= warmup_min && tp_clock_monotonic_ns() >= warm_until)
        {
            warmup = i;
            tp_store_release_u64(&shared->measure_from, i);
            faults_start = bench_minflt();
        }
        tp_producer_claim_t claim;
        if (TP_PRODUCER_OK != tp_producer_claim(side.producer, size, &side.desc, &claim))
        {
            bench_die("ping claim");
        }
        memset(claim.payload, (int)i, size);
        const uint64_t start = tp_clock_monotonic_ns();
        int rc = tp_producer_commit(side.producer, &claim, &side.desc, start);
        if (rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc)
        {
            bench_fail("ping-pong: commit of round %zu returned %d", i, rc);
            result.failed = true;
            break;
        }
        const uint64_t deadline = start + BENCH_LOST_NS;
        bool stalled = false;
        while (side.received <= i)
        {
            int work = tp_consumer_poll(consumer, pingpong_on_pong, &side, 0);
            work += tp_producer_poll(side.producer, 0);
            int client_work = tp_client_do_work(client);
            if (work < 0 || client_work < 0)
            {
                bench_die("ping poll");
            }
            tp_client_idle(client, work + client_work);
            if (!stalled && tp_clock_monotonic_ns() > start + BENCH_STALL_NS)
            {
                stalled = true;
                fprintf(stderr,
                        "tp_bench: ping-pong: round %zu has waited 2 s for its pong (a stall; lost after 30 s)\n", i);
            }
            if (tp_clock_monotonic_ns() > deadline)
            {
                bench_fail("ping-pong: no pong for round %zu within 30 s (commit rc %d)", i, rc);
                result.failed = true;
                break;
            }
        }
        if (SIZE_MAX != warmup && i >= warmup && !result.failed)
        {
            samples[i - warmup] = tp_clock_monotonic_ns() - start;
        }
    }
    const uint64_t ping_faults = bench_minflt() - faults_start;
    if (result.failed)
    {
        pingpong_report("ping", side.producer, consumer, side.received);
        tp_store_release_i32(&shared->ping_failed, 1);
    }
    tp_store_release_i32(&shared->stop, 1);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || 0 != WEXITSTATUS(status) || 0 != shared->pong_failed)
    {
        bench_fail("ping-pong: the pong process failed (status 0x%x)", (unsigned)status);
        result.failed = true;
    }
    if (!result.failed)
    {
        qsort(samples, rounds, sizeof(uint64_t), bench_compare_u64);
        result.p50_ns = bench_percentile(samples, rounds, 0.5);
        result.p99_ns = bench_percentile(samples, rounds, 0.99);
        result.p999_ns = bench_percentile(samples, rounds, 0.999);
        result.max_ns = (double)samples[rounds - 1];
        result.rounds = rounds;
        result.ping_faults_per_100k = 1e5 * (double)ping_faults / (double)rounds;
        result.pong_faults_per_100k =
            0 == shared->pong_fault_rounds ? -1.0 : 1e5 * (double)shared->pong_faults / (double)rounds;
    }
    free(samples);
    tp_consumer_close(consumer);
    tp_producer_close(side.producer);
    tp_client_close(client);
    munmap(shared, sizeof(pingpong_shared_t));
    return result;
}

/* The machine is shared: the load average says how much the figures can be trusted. */
static void bench_print_load(void)
{
    char text[128];
    bench_load_average(text, sizeof(text));
    printf("%s\n", text);
}

int main(int argc, char **argv)
{
    size_t latency_samples = 200000;
    bool quick = false;
    const char *aeron_dir = NULL;
    const char *sections = "lpr";
    int opt;
    static const struct option long_options[] = {{"help", no_argument, NULL, 'h'},
                                                 {"no-pre-touch", no_argument, NULL, 'P'},
                                                 {"term-length", required_argument, NULL, 't'},
                                                 {"fragment-limit", required_argument, NULL, 'f'},
                                                 {"baseline", no_argument, NULL, 'B'},
                                                 {"only", required_argument, NULL, 'o'},
                                                 {"hugetlbfs", required_argument, NULL, 'H'},
                                                 {NULL, 0, NULL, 0}};
    static const char usage[] =
        "usage: tp_bench [-n latency-samples] [-p aeron-dir] [-q] [-u] [--term-length BYTES] [--no-pre-touch]\n"
        "                [--fragment-limit N] [--baseline] [--only SECTIONS] [--hugetlbfs DIR] [-h|--help]\n"
        "  -n N                latency samples and ping-pong rounds (at least 100, default 200000)\n"
        "  -p DIR              run against the media driver in DIR instead of starting one\n"
        "  -q                  quick run (at most 20000 latency samples, shorter rate runs)\n"
        "  -u                  do not pin the producer side to CPU 0 and the consumer side to CPU 1\n"
        "  --term-length BYTES descriptor stream term length (tp_context_set_descriptor_term_length; default\n"
        "                      the library's, 4194304; 0 = the driver's, which this bench sets to 1 MiB)\n"
        "  --no-pre-touch      do not pre-touch the Aeron logs (tp_context_set_pre_touch(ctx, false))\n"
        "  --fragment-limit N  fragment limit the bench consumers pass to tp_consumer_poll (default 0: the library's)\n"
        "  --baseline          the settings before issue 13: --no-pre-touch --term-length 16777216\n"
        "  --only SECTIONS     run only these of l (latency), p (ping-pong), r (rates); floors always run\n"
        "  --hugetlbfs DIR     regions (and the shm copy floor) in a new dir under DIR, a hugetlbfs mount, with\n"
        "                      require_hugepages; strides round up to whole hugepages; the small-frame rows of\n"
        "                      16384 slots are skipped\n"
        "The exit status is 1 when a side failed (reported on stderr with FAILED).\n";
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
            case 'P':
                bench_pre_touch = false;
                break;
            case 't':
                bench_term_length = (uint32_t)strtoul(optarg, NULL, 10);
                break;
            case 'f':
                bench_fragment_limit = atoi(optarg);
                break;
            case 'o':
                sections = optarg;
                break;
            case 'H':
                bench_hugetlbfs = optarg;
                break;
            case 'B':
                bench_pre_touch = false;
                bench_term_length = 16u << 20;
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
    if (NULL != bench_hugetlbfs)
    {
        struct statfs fs;
        snprintf(bench_shm_dir, sizeof(bench_shm_dir), "%s/tp-bench-XXXXXX", bench_hugetlbfs);
        if (0 != statfs(bench_hugetlbfs, &fs) || HUGETLBFS_MAGIC != (unsigned long)fs.f_type ||
            NULL == mkdtemp(bench_shm_dir))
        {
            fprintf(stderr, "tp_bench: --hugetlbfs %s: not a hugetlbfs mount we can write to (%s)\n", bench_hugetlbfs,
                    strerror(errno));
            (void)bench_remove_tree(root);
            return 2;
        }
        bench_huge_page_size = (uint32_t)fs.f_bsize;
    }
    snprintf(bench_aeron_dir, sizeof(bench_aeron_dir), "%s", NULL != aeron_dir ? aeron_dir : root);
    if (NULL == aeron_dir)
    {
        snprintf(bench_aeron_dir, sizeof(bench_aeron_dir), "%s/aeron", root);
    }
    pid_t driver = NULL == aeron_dir ? bench_mediadriver_fork(bench_aeron_dir, "tp_bench") : 0;
    bench_pin_to(0, bench_pin);

    printf("tp_bench: Aeron dir %s, regions in %s, load average at start: ", bench_aeron_dir, bench_shm_dir);
    bench_print_load();
    const floor_t floor = raw_pingpong(quick ? 100000 : 1000000);
    printf("raw cache-line ping-pong, one-way (RTT/2): p50 %.0f ns, p99 %.0f ns\n", floor.one_way_p50_ns,
           floor.one_way_p99_ns);
    const double spsc_fps[2] = {spsc_ring_rate(64, quick ? 2000000 : 10000000),
                                spsc_ring_rate(4096, quick ? 400000 : 2000000)};
    printf(
        "raw cross-process SPSC ring (64 slots, copy in, reader touches both ends): 64 B %.0f f/s, 4 KiB %.0f f/s\n\n",
        spsc_fps[0], spsc_fps[1]);

    printf("settings: descriptor term length %" PRIu32 " B, Aeron pre-touch %s, consumer fragment limit %d\n\n",
           bench_term_length, bench_pre_touch ? "on" : "off", bench_fragment_limit);
    if (NULL != strchr(sections, 'l'))
    {
        /* The floor moves with where the hypervisor runs the two vCPUs: measure it again right before and after. */
        const floor_t floor_before = raw_pingpong(quick ? 50000 : 200000);
        const floor_t handoff_before = raw_descriptor_handoff(quick ? 50000 : 200000);
        const latency_t l = bench_latency(latency_samples);
        const floor_t handoff_after = raw_descriptor_handoff(quick ? 50000 : 200000);
        const floor_t floor_after = raw_pingpong(quick ? 50000 : 200000);
        const double handoff_near = (handoff_before.one_way_p50_ns + handoff_after.one_way_p50_ns) / 2.0;
        const double floor_near = (floor_before.one_way_p50_ns + floor_after.one_way_p50_ns) / 2.0;
        printf("descriptor latency, commit -> consumer accept (64 B frames, one in flight, %" PRIu64 " samples):\n",
               l.samples);
        if (l.failed)
        {
            printf("  FAILED (see stderr)\n\n");
        }
        else
        {
            printf("  p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns\n", l.p50_ns, l.p99_ns, l.p999_ns, l.max_ns);
            printf("  one-way floor measured just before / after: p50 %.0f / %.0f ns\n", floor_before.one_way_p50_ns,
                   floor_after.one_way_p50_ns);
            printf("  p50 / one-way floor (mean of those) = %.2f (target <= 2)   p99 = %.2f us (target <= 3 us)\n",
                   l.p50_ns / floor_near, l.p99_ns / 1e3);
            printf(
                "  raw descriptor hand-off (term line, then 4 header lines + 1 payload line; no library) just before / "
                "after:\n    p50 %.0f / %.0f ns = %.2f x the one-way floor; tensorpool p50 / this = %.2f\n",
                handoff_before.one_way_p50_ns, handoff_after.one_way_p50_ns, handoff_near / floor_near,
                l.p50_ns / handoff_near);
            printf("  of which the producer's commit call (timestamp -> return): p50 %.0f ns, p99 %.0f ns\n",
                   l.commit_p50_ns, l.commit_p99_ns);
            printf("  minor page faults per 100k frames after warm-up: producer %.1f, consumer %.1f (target 0)\n\n",
                   l.producer_faults_per_100k, l.consumer_faults_per_100k);
        }
    }
    if (NULL != strchr(sections, 'p'))
    {
        const pingpong_t pp = bench_pingpong(latency_samples, 64);
        printf("ping-pong RTT through two tensorpool streams (64 B, the usage guide's loop, %zu rounds):\n",
               latency_samples);
        if (pp.failed)
        {
            printf("  FAILED (see stderr)\n\n");
        }
        else
        {
            printf("  p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns   (p99 target <= 3 us)\n", pp.p50_ns,
                   pp.p99_ns, pp.p999_ns, pp.max_ns);
            printf("  minor page faults per 100k rounds after warm-up: ping side %.1f, pong side %.1f (target 0)\n\n",
                   pp.ping_faults_per_100k, pp.pong_faults_per_100k);
        }
    }
    const uint32_t sizes[] = {64, 4096, 1u << 20, 8u << 20};
    const uint32_t slots[] = {64, 64, 64, 16};
    const uint64_t frames_full[] = {500000, 200000, 3000, 400};
    printf("%8s %11s %8s %8s %6s %8s %6s %6s | %11s %8s %8s %8s | %8s %8s %6s %6s %8s\n", "frame", "offer f/s", "GiB/s",
           "memcpy", "ratio", "shm cpy", "ratio", "x SPSC", "claim f/s", "GiB/s", "x memcpy", "ns/frame", "accepted",
           "late", "gap", "other", "refused");
    double first_lap[sizeof(sizes) / sizeof(sizes[0])] = {0};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]) && NULL != strchr(sections, 'r'); k++)
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
        const double spsc = k < 2 ? spsc_fps[k] : 0.0;
        char spsc_ratio[16] = "-";
        if (spsc > 0.0)
        {
            snprintf(spsc_ratio, sizeof(spsc_ratio), "%.2f", r.offer_fps / spsc);
        }
        if (r.failed)
        {
            printf("%8s FAILED (see stderr)\n", label);
            continue;
        }
        printf("%8s %11.0f %8.2f %8.2f %6.2f %8.2f %6.2f %6s | %11.0f %8.1f %8.1f %8.0f | %7.1f%% %8" PRIu64
               " %6" PRIu64 " %6" PRIu64 " %8" PRIu64 "\n",
               label, r.offer_fps, r.offer_gibs, r.memcpy_gibs, r.offer_gibs / r.memcpy_gibs, r.memcpy_shm_gibs,
               r.offer_gibs / r.memcpy_shm_gibs, spsc_ratio, r.claim_fps, claim_gibs, claim_gibs / r.memcpy_gibs,
               r.claim_ns, 100.0 * (double)r.accepted / (double)r.frames, r.late, r.gap, r.other, r.back_pressured);
        first_lap[k] = r.first_lap_gibs;
    }
    if (NULL != strchr(sections, 'r'))
    {
        /* The pools are prefaulted; on a VM that backs guest memory lazily only stores make the host do its part
         * (tp_prefault touches every page for that), otherwise the first lap pays it frame by frame. */
        printf("\nfirst lap of offers into a freshly created pool: 1 MiB x 64 slots %.1f GiB/s, 8 MiB x 16 slots %.1f "
               "GiB/s\n",
               first_lap[2], first_lap[3]);
    }
    if (NULL != strchr(sections, 'r') && NULL != bench_hugetlbfs)
    {
        printf("\nsmall frames on a 16384-slot ring: skipped with --hugetlbfs (16384 hugepage strides)\n");
    }
    else if (NULL != strchr(sections, 'r'))
    {
        /* Paced small frames: the rate a consumer takes (nearly) all of, as a fraction of the raw SPSC ring. */
        const uint32_t paced_slots = 16384;
        const double fractions[] = {0.3, 0.5, 0.0}; /* 0: not paced, the producer's full rate */
        printf("\nsmall frames on a ring sized for them (%u slots; the producer never waits, wire spec 15.4):\n",
               paced_slots);
        for (size_t k = 0; k < 2; k++)
        {
            for (size_t f = 0; f < sizeof(fractions) / sizeof(fractions[0]); f++)
            {
                const double rate = fractions[f] * spsc_fps[k];
                const uint64_t frames = (uint64_t)((rate > 0.0 ? rate : 0.5 * spsc_fps[k]) * (quick ? 0.2 : 1.0));
                paced_t pr = bench_paced(sizes[k], paced_slots, rate, frames, (uint32_t)(20 + k * 4 + f));
                char asked[48];
                snprintf(asked, sizeof(asked), "paced at %.2f x SPSC", fractions[f]);
                if (rate <= 0.0)
                {
                    snprintf(asked, sizeof(asked), "at full rate");
                }
                if (pr.failed)
                {
                    printf("  %4u B %s: FAILED (see stderr)\n", sizes[k], asked);
                    continue;
                }
                printf("  %4u B %-20s: offered %5.2f Mf/s = %.2f x SPSC, accepted %6.2f%% of %" PRIu64
                       " (target >= 99%% at >= 0.3 x SPSC), late %" PRIu64 ", gap %" PRIu64 "\n",
                       sizes[k], asked, pr.offered_fps / 1e6, pr.offered_fps / spsc_fps[k],
                       100.0 * pr.accepted_fraction, pr.frames, pr.late, pr.gap);
            }
        }
    }
    printf(
        "\n(GiB/s, best of 2 passes; memcpy = into a heap ring of the pool's size, shm cpy = into a mapped\n"
        " /dev/shm file of that size (the pools' kind of memory); ratio = offer / that: target >= 0.85 for >= 1 MiB;\n"
        " x SPSC = offer f/s / the raw SPSC ring's f/s at that size (target >= 0.3 for 64 B and 4 KiB);\n"
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
    (void)bench_remove_tree(root);
    if (NULL != bench_hugetlbfs)
    {
        (void)bench_remove_tree(bench_shm_dir);
    }
    if (bench_failed)
    {
        fprintf(stderr, "tp_bench: at least one side FAILED (see above)\n");
        return 1;
    }
    return 0;
}
