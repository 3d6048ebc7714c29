/*
 * wait_bench: what a consumer pays to wait for frames at a low rate (issue 12, deliverable 4). A producer commits
 * frames at a fixed rate (default 100 Hz) and sleeps in between; a consumer in another process waits for them with
 * each strategy in turn:
 *
 *   spin    : poll + tp_client_idle() with the "spin" idle strategy (the latency floor, one core burnt)
 *   backoff : the same with "backoff" (the default: spin, yield, then sleeps doubling up to 1 ms)
 *   wake    : poll, then tp_consumer_wait() on the producer's wake-up word (wake_consumers) when idle
 *   sleep   : tp_consumer_wait() without the word (the producer did not opt in): 1 ms sleeps
 *
 * and reports the consumer's CPU use (getrusage over the measured window, user + system, % of one core) beside
 * the delivery latency (producer's commit timestamp -> the consumer's handler, CLOCK_MONOTONIC in both) p50 / p99 /
 * p99.9 / max. Starts its own media driver in a scratch dir under /dev/shm unless -p names a running one.
 */
#include <errno.h>
#include <sched.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "tensorpool/tensorpool.h"

#include "bench_util.h"

#define MAX_SAMPLES 1000000

typedef enum mode_en
{
    MODE_SPIN = 0,
    MODE_BACKOFF = 1,
    MODE_WAKE = 2,
    MODE_SLEEP = 3,
    MODE_COUNT = 4,
} wait_mode_t;

static const char *const mode_names[MODE_COUNT] = {"spin", "backoff", "wake", "sleep"};

typedef struct shared_stct
{
    volatile int32_t ready;
    volatile int32_t stop;
    volatile int32_t failed;
    uint64_t warmup_seq;     /* frames below this seq are not measured */
    uint64_t cpu_ns;         /* consumer user + system time over the measured window */
    uint64_t window_ns;      /* wall time of that window */
    uint64_t received;       /* measured frames */
    uint64_t wakes;          /* tp_consumer_wait() calls that returned 1 */
    uint64_t waits;          /* tp_consumer_wait() calls */
    uint64_t lost;           /* gap + late + unmapped drops, frames not intact */
    uint64_t lost_detail[4]; /* gap, late, unmapped, not intact after the read */
    uint64_t samples[MAX_SAMPLES];
} shared_t;

static char aeron_dir[PATH_MAX];
static uint64_t consumer_slice_ns; /* -l: ask the scheduler (EEVDF, Linux >= 6.12) for a short slice */
static char shm_dir[PATH_MAX];

static void bench_die(const char *what)
{
    fprintf(stderr, "wait_bench[%d]: %s: %s\n", (int)getpid(), what, tp_errmsg());
    exit(EXIT_FAILURE);
}

static tp_client_t *bench_client(const char *idle)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, shm_dir) < 0 || tp_context_add_allowed_dir(ctx, shm_dir) < 0 ||
        tp_context_set_idle_strategy(ctx, idle) < 0 || tp_context_set_driver_timeout_ms(ctx, 60000) < 0 ||
        tp_client_start(&client, ctx) < 0)
    {
        bench_die("client");
    }
    tp_context_close(ctx);
    return client;
}

typedef struct consumer_state_stct
{
    shared_t *shared;
    bool measuring;
    uint64_t cpu_start;
    uint64_t wall_start;
} consumer_state_t;

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    consumer_state_t *s = clientd;
    const uint64_t now = tp_clock_monotonic_ns();
    /* Touch both ends as an application would, then make sure the slot held still. */
    volatile uint8_t sink = (uint8_t)(frame->payload[0] + frame->payload[frame->payload_length - 1]);
    (void)sink;
    if (!tp_consumer_frame_is_intact(frame))
    {
        s->shared->lost++;
        s->shared->lost_detail[3]++;
        return;
    }
    if (frame->seq < s->shared->warmup_seq)
    {
        return;
    }
    if (!s->measuring)
    {
        s->measuring = true;
        s->cpu_start = bench_cpu_time_ns();
        s->wall_start = now;
    }
    if (s->shared->received < MAX_SAMPLES)
    {
        s->shared->samples[s->shared->received++] = now - frame->tensor.timestamp_ns;
    }
}

/* A short requested slice gives a waking task an earlier virtual deadline, so it preempts sooner (SCHED_OTHER,
 * unprivileged). Older kernels ignore or refuse it: then the run says so and goes on. */
/* struct sched_attr of <linux/sched/types.h> (SCHED_ATTR_SIZE_VER0), which clashes with glibc's <sched.h>. */
typedef struct bench_sched_attr_stct
{
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
} bench_sched_attr_t;

static void request_slice(uint64_t slice_ns)
{
    bench_sched_attr_t attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.sched_policy = SCHED_OTHER;
    attr.sched_runtime = slice_ns;
    if (0 != syscall(SYS_sched_setattr, 0, &attr, 0))
    {
        fprintf(stderr, "wait_bench: sched_setattr(slice %llu ns) refused: %s\n", (unsigned long long)slice_ns,
                strerror(errno));
    }
}

static void run_consumer(shared_t *shared, wait_mode_t mode, uint32_t stream_id)
{
    if (0 != consumer_slice_ns)
    {
        request_slice(consumer_slice_ns);
    }
    tp_client_t *client = bench_client(MODE_BACKOFF == mode ? "backoff" : "spin");
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = stream_id;
    config.consumer_id = 200 + stream_id;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        bench_die("consumer start");
    }
    consumer_state_t state = {.shared = shared};
    const uint64_t deadline = tp_clock_monotonic_ns() + 20ULL * 1000000000ULL;
    while (!tp_consumer_is_mapped(consumer))
    {
        if (tp_consumer_poll(consumer, on_frame, &state, 0) < 0 || tp_client_do_work(client) < 0 ||
            tp_clock_monotonic_ns() > deadline)
        {
            bench_die("consumer never mapped the producer's regions");
        }
        tp_client_idle(client, 0);
    }
    tp_store_release_i32(&shared->ready, 1);
    while (0 == tp_load_acquire_i32(&shared->stop))
    {
        int work = tp_consumer_poll(consumer, on_frame, &state, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            bench_die("consumer poll");
        }
        if (MODE_WAKE == mode || MODE_SLEEP == mode)
        {
            if (0 == work)
            {
                /* 10 ms: well inside the hello / QoS cadences that poll keeps up. */
                shared->waits++;
                shared->wakes += (uint64_t)tp_consumer_wait(consumer, 10000000ULL);
            }
        }
        else
        {
            tp_client_idle(client, work + client_work);
        }
    }
    if (state.measuring)
    {
        shared->cpu_ns = bench_cpu_time_ns() - state.cpu_start;
        shared->window_ns = tp_clock_monotonic_ns() - state.wall_start;
    }
    const tp_consumer_counters_t *c = tp_consumer_counters(consumer);
    shared->lost += c->drops_gap + c->drops_late + c->drops_unmapped;
    if (0 != shared->lost)
    {
        fprintf(stderr,
                "wait_bench: %s consumer lost frames: gap %" PRIu64 " late %" PRIu64 " unmapped %" PRIu64 " (%" PRIu64
                " stale-producer unmaps) not intact %" PRIu64 "\n",
                mode_names[mode], c->drops_gap, c->drops_late, c->drops_unmapped, c->producer_stale_unmaps,
                shared->lost_detail[3]);
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
}

typedef struct result_stct
{
    double cpu_pct;
    double p50_us;
    double p99_us;
    double p999_us;
    double max_us;
    uint64_t frames;
    uint64_t lost;
    uint64_t waits;
    uint64_t wakes;
} result_t;

static result_t run_mode(wait_mode_t mode, double rate_hz, double seconds, uint32_t size, uint32_t stream_id)
{
    shared_t *shared = mmap(NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == shared)
    {
        perror("mmap");
        exit(EXIT_FAILURE);
    }
    const uint64_t period_ns = (uint64_t)(1e9 / rate_hz);
    const uint64_t frames = (uint64_t)(rate_hz * seconds);
    shared->warmup_seq = frames / 10 + 5;
    fflush(stdout);
    pid_t pid = fork();
    if (0 == pid)
    {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        run_consumer(shared, mode, stream_id);
        _exit(0);
    }
    if (pid < 0)
    {
        perror("fork");
        exit(EXIT_FAILURE);
    }
    tp_client_t *client = bench_client("backoff");
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = stream_id;
    config.producer_id = stream_id;
    config.header_nslots = 16;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = size < 4096 ? 4096 : size};
    config.pool_count = 1;
    config.wake_consumers = MODE_SLEEP != mode; /* the spin and backoff consumers simply do not look at it */
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        bench_die("producer start");
    }
    uint64_t deadline = tp_clock_monotonic_ns() + 20ULL * 1000000000ULL;
    while (0 == tp_load_acquire_i32(&shared->ready) || 0 == tp_producer_consumer_count(producer))
    {
        tp_client_idle(client, tp_producer_poll(producer, 0) + tp_client_do_work(client));
        if (tp_clock_monotonic_ns() > deadline)
        {
            fprintf(stderr, "wait_bench: %s: the consumer did not come up within 20 s\n", mode_names[mode]);
            exit(EXIT_FAILURE);
        }
    }
    const tp_tensor_desc_t desc = bench_desc_bytes(size);
    uint64_t next = tp_clock_monotonic_ns() + period_ns;
    for (uint64_t i = 0; i < frames; i++)
    {
        /* Sleep to the tick (absolute, so the rate does not drift), then commit at once. */
        struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ULL), .tv_nsec = (long)(next % 1000000000ULL)};
        while (EINTR == clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
        {
        }
        next += period_ns;
        tp_producer_claim_t claim;
        int rc = tp_producer_claim(producer, size, &desc, &claim);
        if (TP_PRODUCER_OK != rc)
        {
            fprintf(stderr, "wait_bench: claim failed with status %d\n", rc);
            exit(EXIT_FAILURE);
        }
        memset(claim.payload, (int)(i & 0xff), size);
        rc = tp_producer_commit(producer, &claim, &desc, tp_clock_monotonic_ns());
        if (rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc)
        {
            fprintf(stderr, "wait_bench: commit failed with status %d\n", rc);
            exit(EXIT_FAILURE);
        }
        if (tp_producer_poll(producer, 0) < 0 || tp_client_do_work(client) < 0)
        {
            bench_die("producer poll");
        }
    }
    /* One more period for the last frame to arrive, then stop the consumer. */
    uint64_t settle = tp_clock_monotonic_ns() + period_ns + 50000000ULL;
    while (tp_clock_monotonic_ns() < settle)
    {
        tp_client_idle(client, tp_producer_poll(producer, 0) + tp_client_do_work(client));
    }
    tp_store_release_i32(&shared->stop, 1);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || 0 != WEXITSTATUS(status))
    {
        fprintf(stderr, "wait_bench: %s: the consumer process failed (status 0x%x)\n", mode_names[mode], status);
        exit(EXIT_FAILURE);
    }
    tp_producer_close(producer);
    tp_client_close(client);

    result_t r;
    memset(&r, 0, sizeof(r));
    r.frames = shared->received;
    r.lost = shared->lost;
    r.waits = shared->waits;
    r.wakes = shared->wakes;
    if (0 == r.frames || 0 == shared->window_ns)
    {
        fprintf(stderr, "wait_bench: %s: the consumer measured no frames (lost %" PRIu64 ")\n", mode_names[mode],
                r.lost);
        exit(EXIT_FAILURE);
    }
    qsort(shared->samples, r.frames, sizeof(uint64_t), bench_compare_u64);
    r.p50_us = bench_percentile(shared->samples, r.frames, 0.5) / 1e3;
    r.p99_us = bench_percentile(shared->samples, r.frames, 0.99) / 1e3;
    r.p999_us = bench_percentile(shared->samples, r.frames, 0.999) / 1e3;
    r.max_us = (double)shared->samples[r.frames - 1] / 1e3;
    r.cpu_pct = 100.0 * (double)shared->cpu_ns / (double)shared->window_ns;
    munmap(shared, sizeof(shared_t));
    return r;
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: wait_bench [-r HZ] [-d SECONDS] [-s BYTES] [-m MODE]... [-p AERON_DIR] [-h|--help]\n"
        "  consumer CPU use and delivery latency at a low frame rate, per way of waiting\n"
        "  -r HZ      frame rate (default 100)\n"
        "  -d SECONDS per mode (default 10)\n"
        "  -s BYTES   frame size (default 4096)\n"
        "  -m MODE    spin, backoff, wake or sleep; repeatable (default: all four)\n"
        "  -p DIR     use the media driver in DIR instead of starting one\n"
        "  -l US      consumer asks the scheduler for a US microsecond slice (sched_setattr, EEVDF kernels)\n";
    static const struct option long_options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    double rate_hz = 100.0;
    double seconds = 10.0;
    uint32_t size = 4096;
    bool modes[MODE_COUNT] = {false};
    bool any_mode = false;
    const char *driver_dir = NULL;
    int opt;
    while (-1 != (opt = getopt_long(argc, argv, "r:d:s:m:p:l:h", long_options, NULL)))
    {
        switch (opt)
        {
            case 'r':
                rate_hz = atof(optarg);
                break;
            case 'd':
                seconds = atof(optarg);
                break;
            case 's':
                size = (uint32_t)strtoul(optarg, NULL, 10);
                break;
            case 'm':
            {
                bool known = false;
                for (int m = 0; m < MODE_COUNT; m++)
                {
                    if (0 == strcmp(optarg, mode_names[m]))
                    {
                        modes[m] = known = any_mode = true;
                    }
                }
                if (!known)
                {
                    fprintf(stderr, "wait_bench: unknown mode '%s'\n", optarg);
                    fputs(usage, stderr);
                    return 2;
                }
                break;
            }
            case 'p':
                driver_dir = optarg;
                break;
            case 'l':
                consumer_slice_ns = 1000ULL * strtoull(optarg, NULL, 10);
                break;
            case 'h':
                fputs(usage, stdout);
                return 0;
            default:
                fputs(usage, stderr);
                return 2;
        }
    }
    if (rate_hz <= 0.0 || rate_hz > 100000.0 || seconds <= 0.0 || size < 1 || size > (64u << 20) ||
        rate_hz * seconds < 20.0 || rate_hz * seconds > MAX_SAMPLES)
    {
        fprintf(stderr, "wait_bench: need 0 < rate <= 100000, 20 <= rate x seconds <= %d, 1 <= size <= 64 MiB\n",
                MAX_SAMPLES);
        return 2;
    }
    for (int m = 0; m < MODE_COUNT; m++)
    {
        modes[m] = modes[m] || !any_mode;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char root[] = "/dev/shm/tp-wait-bench-XXXXXX";
    if (NULL == mkdtemp(root))
    {
        perror("mkdtemp");
        return 1;
    }
    snprintf(shm_dir, sizeof(shm_dir), "%s/shm", root);
    mkdir(shm_dir, 0700);
    if (NULL != driver_dir)
    {
        snprintf(aeron_dir, sizeof(aeron_dir), "%s", driver_dir);
    }
    else
    {
        snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", root);
    }
    pid_t driver = NULL == driver_dir ? bench_mediadriver_fork(aeron_dir, "wait_bench") : 0;

    printf("wait_bench: %u B frames at %.0f Hz, %.1f s per mode, consumer CPU over the measured window, requested "
           "slice %llu us (0: default)\n",
           size, rate_hz, seconds, (unsigned long long)(consumer_slice_ns / 1000));
    printf("| wait mode | consumer CPU %% | latency p50 | p99 | p99.9 | max | frames | lost | waits woken |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    uint32_t stream_id = 50;
    for (int m = 0; m < MODE_COUNT; m++)
    {
        if (!modes[m])
        {
            continue;
        }
        result_t r = run_mode((wait_mode_t)m, rate_hz, seconds, size, stream_id++);
        char woken[48] = "-";
        if (MODE_WAKE == m || MODE_SLEEP == m)
        {
            snprintf(woken, sizeof(woken), "%" PRIu64 " of %" PRIu64, r.wakes, r.waits);
        }
        printf("| %s | %.2f | %.1f us | %.1f us | %.1f us | %.1f us | %" PRIu64 " | %" PRIu64 " | %s |\n",
               mode_names[m], r.cpu_pct, r.p50_us, r.p99_us, r.p999_us, r.max_us, r.frames, r.lost, woken);
    }
    printf("(latency: the producer's commit timestamp to the consumer's handler; CPU: getrusage user + system of the\n"
           " consumer process / wall time, %% of one core; wake = tp_consumer_wait() on the producer's wake-up word,\n"
           " sleep = tp_consumer_wait() when the producer did not opt in)\n");
    if (driver > 0)
    {
        kill(driver, SIGTERM);
        waitpid(driver, NULL, 0);
    }
    (void)bench_remove_tree(root);
    return 0;
}
