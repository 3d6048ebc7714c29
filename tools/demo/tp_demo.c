/*
 * tp_demo: the embedded media driver, a producer streaming frames and a consumer verifying every one of them,
 * in three processes. See tp_demo.h for how they coordinate and `tp_demo --help` for the options.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/tp_atomic.h"
#include "tensorpool/tensorpool.h"
#include "tensorpool/tp_mediadriver.h"
#include "tp_demo.h"

static volatile sig_atomic_t demo_interrupted = 0;

static void demo_on_signal(int signo)
{
    (void)signo;
    demo_interrupted = demo_interrupted < 2 ? demo_interrupted + 1 : 2;
}

uint64_t tp_demo_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void tp_demo_sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

static void demo_log(void *clientd, tp_log_level_t level, const char *text)
{
    fprintf(stderr, "%s: [%s] %s\n", (const char *)clientd, TP_LOG_ERROR == level ? "error" : "warn", text);
}

int tp_demo_client_start(const tp_demo_options_t *options, tp_client_t **client)
{
    tp_context_t *ctx = NULL;
    if (tp_context_init(&ctx) < 0)
    {
        return -1;
    }
    int rc = -1;
    if (tp_context_set_aeron_dir(ctx, options->aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, options->shm_dir) < 0 ||
        tp_context_add_allowed_dir(ctx, options->shm_dir) < 0 || tp_context_set_channel(ctx, options->channel) < 0 ||
        tp_context_set_idle_strategy(ctx, options->idle) < 0 || tp_context_set_shm_driver(ctx, options->driver) < 0 ||
        tp_context_set_log(ctx, demo_log, (void *)"tp_demo", TP_LOG_WARN) < 0)
    {
        goto done;
    }
    rc = tp_client_start(client, ctx);
done:
    tp_context_close(ctx);
    return rc;
}

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: tp_demo [options]\n"
            "Starts the embedded media driver, a producer and a verifying consumer (three processes) and\n"
            "streams tensor frames through shared memory. Ends with the line\n"
            "  received=<n> verified=<n> bad=<n> drops_gap=<n> drops_late=<n>\n"
            "and exits non-zero if a frame failed verification or none arrived.\n"
            "  -d, --duration SECONDS   how long to stream (default 10)\n"
            "  -r, --rate HZ            frames per second (default 100; 0 = as fast as possible)\n"
            "      --max                as fast as possible (same as --rate 0)\n"
            "  -s, --shape DIMS         e.g. 1080x1920 (default; row-major, outermost first)\n"
            "  -t, --dtype NAME         uint8, int8, uint16 (default), int16, uint32, int32, uint64, int64,\n"
            "                           float32, float64, boolean, bytes\n"
            "  -n, --slots N            header ring / pool slots, a power of two (default 16)\n"
            "  -p, --aeron-dir DIR      Aeron directory for the embedded driver (default: a temp dir in /dev/shm)\n"
            "      --stream-id ID       tensorpool stream id (default 10)\n"
            "  -i, --idle NAME          idle strategy of producer and consumer between polls: spin, yield\n"
            "                           (default: lowest latency, one core each), backoff (sleeps: saves CPU,\n"
            "                           adds up to ~1 ms latency), sleep, noop\n"
            "      --driver             run the SHM driver (tp_driver) in a fourth process: it owns the regions\n"
            "                           and leases them to the producer and the consumer (driver model)\n"
            "      --corrupt-every N    self-test: flip one byte in every Nth frame after filling it; the\n"
            "                           consumer must report those frames as bad (and tp_demo exit 1)\n"
            "  -h, --help\n");
}

static int demo_parse(int argc, char **argv, tp_demo_options_t *options)
{
    memset(options, 0, sizeof(*options));
    options->duration_ns = 10ULL * 1000000000ULL;
    options->rate_hz = 100.0;
    options->shape.dtype = TP_DTYPE_UINT16;
    options->shape.ndims = 2;
    options->shape.dims[0] = 1080;
    options->shape.dims[1] = 1920;
    options->slots = 16;
    options->stream_id = 10;
    snprintf(options->channel, sizeof(options->channel), "%s", TP_DEFAULT_CHANNEL);
    snprintf(options->idle, sizeof(options->idle), "yield");

    enum
    {
        OPT_MAX = 1000,
        OPT_STREAM_ID,
        OPT_CORRUPT,
        OPT_DRIVER
    };
    static const struct option long_options[] = {
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},
        {"max", no_argument, NULL, OPT_MAX},
        {"shape", required_argument, NULL, 's'},
        {"dtype", required_argument, NULL, 't'},
        {"slots", required_argument, NULL, 'n'},
        {"aeron-dir", required_argument, NULL, 'p'},
        {"stream-id", required_argument, NULL, OPT_STREAM_ID},
        {"idle", required_argument, NULL, 'i'},
        {"corrupt-every", required_argument, NULL, OPT_CORRUPT},
        {"driver", no_argument, NULL, OPT_DRIVER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    uint64_t value;
    while (-1 != (opt = getopt_long(argc, argv, "d:r:s:t:n:p:i:h", long_options, NULL)))
    {
        switch (opt)
        {
            case 'd':
                if (tp_app_seconds_parse("--duration", optarg, false, &options->duration_ns) < 0)
                {
                    return -1;
                }
                break;
            case 'r':
                if (tp_app_rate_parse("--rate", optarg, &options->rate_hz) < 0)
                {
                    return -1;
                }
                break;
            case OPT_MAX:
                options->rate_hz = 0.0;
                break;
            case 's':
                if (tp_app_shape_parse(optarg, &options->shape) < 0)
                {
                    return -1;
                }
                break;
            case 't':
                if (tp_app_dtype_parse(optarg, &options->shape.dtype) < 0)
                {
                    return -1;
                }
                break;
            case 'n':
                if (tp_app_size_parse("--slots", optarg, 2, 65536, &value) < 0)
                {
                    return -1;
                }
                if (0 != (value & (value - 1)))
                {
                    fprintf(stderr, "--slots %" PRIu64 " is not a power of two\n", value);
                    return -1;
                }
                options->slots = (uint32_t)value;
                break;
            case 'p':
                if (strlen(optarg) >= sizeof(options->aeron_dir))
                {
                    fprintf(stderr, "--aeron-dir '%s' is too long\n", optarg);
                    return -1;
                }
                snprintf(options->aeron_dir, sizeof(options->aeron_dir), "%s", optarg);
                break;
            case OPT_STREAM_ID:
                if (tp_app_size_parse("--stream-id", optarg, 1, UINT32_MAX, &value) < 0)
                {
                    return -1;
                }
                options->stream_id = (uint32_t)value;
                break;
            case OPT_CORRUPT:
                if (tp_app_size_parse("--corrupt-every", optarg, 1, UINT64_MAX, &options->corrupt_every) < 0)
                {
                    return -1;
                }
                break;
            case OPT_DRIVER:
                options->driver = true;
                break;
            case 'i':
                if (strlen(optarg) >= sizeof(options->idle))
                {
                    fprintf(stderr, "--idle '%s' is not spin, noop, yield, sleep or backoff\n", optarg);
                    return -1;
                }
                snprintf(options->idle, sizeof(options->idle), "%s", optarg);
                break;
            case 'h':
                demo_usage(stdout);
                exit(EXIT_SUCCESS);
            default:
                demo_usage(stderr);
                return -1;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
        demo_usage(stderr);
        return -1;
    }
    /* Pool strides are powers of two up to 2 GiB and the wire carries 32-bit lengths. */
    const uint64_t bytes = tp_app_shape_bytes(&options->shape);
    if (0 == bytes || bytes > (1ULL << 30))
    {
        char shape[128];
        tp_app_shape_format(&options->shape, shape, sizeof(shape));
        fprintf(stderr, "frame %s is %s; it must be 1 byte to 1 GiB\n", shape, 0 == bytes ? "over 4 GiB" : "too big");
        return -1;
    }
    options->frame_bytes = (uint32_t)bytes;
    return 0;
}

static int demo_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (0 != remove(path))
    {
        fprintf(stderr, "tp_demo: cannot remove %s: %s\n", path, strerror(errno));
    }
    return 0;
}

static pid_t demo_fork(const tp_demo_options_t *options, tp_demo_shared_t *shared,
                       int (*body)(const tp_demo_options_t *, tp_demo_shared_t *))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (0 == pid)
    {
        /* Ctrl-C reaches the whole process group: the parent decides when children stop, so they drain cleanly. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        _exit(body(options, shared));
    }
    if (pid < 0)
    {
        perror("tp_demo: fork");
    }
    return pid;
}

/* Reap a child if it has exited; returns true once it has (status in *status). */
static bool demo_reap(pid_t *pid, int *status)
{
    if (*pid <= 0)
    {
        return true;
    }
    int wstatus = 0;
    pid_t r = waitpid(*pid, &wstatus, WNOHANG);
    if (r == *pid)
    {
        *status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        *pid = 0;
        return true;
    }
    return false;
}

/* Fork the SHM driver and run the media driver's duty cycle until it serves (10 s at most). */
static int demo_start_shm_driver(const tp_demo_options_t *options, tp_demo_shared_t *shared, tp_mediadriver_t *driver,
                                 pid_t *pid)
{
    *pid = demo_fork(options, shared, tp_demo_driver_run);
    if (*pid < 0)
    {
        return -1;
    }
    const uint64_t deadline = tp_demo_now_ns() + 10000000000ULL;
    int status = 0;
    while (0 == tp_load_acquire_i32(&shared->driver_ready))
    {
        if (tp_mediadriver_do_work(driver) <= 0)
        {
            tp_demo_sleep_ns(100000);
        }
        if (demo_reap(pid, &status) || tp_demo_now_ns() > deadline || 0 != demo_interrupted)
        {
            fprintf(stderr, "tp_demo: the SHM driver did not start (exit status %d)\n", status);
            return -1;
        }
    }
    return 0;
}

/* Graceful stop: the driver announces its shutdown through the media driver, so keep that running meanwhile. */
static int demo_stop_shm_driver(tp_demo_shared_t *shared, tp_mediadriver_t *driver, pid_t *pid)
{
    tp_store_release_i32(&shared->stop_driver, 1);
    const uint64_t deadline = tp_demo_now_ns() + 10000000000ULL;
    int status = 0;
    while (!demo_reap(pid, &status))
    {
        if (tp_demo_now_ns() > deadline)
        {
            fprintf(stderr, "tp_demo: the SHM driver did not stop within 10 s\n");
            return 1;
        }
        if (tp_mediadriver_do_work(driver) <= 0)
        {
            tp_demo_sleep_ns(100000);
        }
    }
    if (0 != status)
    {
        fprintf(stderr, "tp_demo: the SHM driver failed (exit status %d)\n", status);
    }
    return status;
}

int main(int argc, char **argv)
{
    tp_demo_options_t options;
    if (demo_parse(argc, argv, &options) < 0)
    {
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    char root[] = "/dev/shm/tp-demo-XXXXXX";
    if (NULL == mkdtemp(root))
    {
        fprintf(stderr, "tp_demo: cannot create a temp dir under /dev/shm: %s\n", strerror(errno));
        return 1;
    }
    snprintf(options.shm_dir, sizeof(options.shm_dir), "%s/shm", root);
    if (0 != mkdir(options.shm_dir, 0700))
    {
        fprintf(stderr, "tp_demo: cannot create %s: %s\n", options.shm_dir, strerror(errno));
        rmdir(root);
        return 1;
    }
    const bool own_aeron_dir = '\0' == options.aeron_dir[0];
    if (own_aeron_dir)
    {
        snprintf(options.aeron_dir, sizeof(options.aeron_dir), "%s/aeron", root);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = demo_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int exit_status = 1;
    pid_t producer = 0;
    pid_t consumer = 0;
    pid_t shm_driver = 0;
    tp_mediadriver_t *driver = NULL;
    tp_mediadriver_context_t *driver_ctx = NULL;
    tp_demo_shared_t *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == shared)
    {
        perror("tp_demo: mmap");
        goto cleanup;
    }
    memset(shared, 0, sizeof(*shared));

    /* Invoker mode: no driver thread exists when we fork, and this process runs the duty cycle itself. */
    if (tp_mediadriver_context_init(&driver_ctx) < 0 ||
        tp_mediadriver_context_set_dir(driver_ctx, options.aeron_dir) < 0 ||
        tp_mediadriver_context_set_dir_delete_on_start(driver_ctx, true) < 0 ||
        tp_mediadriver_context_set_dir_delete_on_shutdown(driver_ctx, own_aeron_dir) < 0 ||
        tp_mediadriver_context_set_threading_mode(driver_ctx, TP_MEDIADRIVER_THREADING_INVOKER) < 0 ||
        tp_mediadriver_start(&driver, driver_ctx) < 0)
    {
        fprintf(stderr, "tp_demo: media driver: %s\n", tp_errmsg());
        goto cleanup;
    }

    char shape[128];
    tp_app_shape_format(&options.shape, shape, sizeof(shape));
    char rate[32];
    snprintf(rate, sizeof(rate), options.rate_hz > 0 ? "%.1f Hz" : "max rate", options.rate_hz);
    printf("tp_demo: %s frames (%" PRIu32 " bytes) at %s for %.1f s, %" PRIu32 " slots\n", shape, options.frame_bytes,
           rate, (double)options.duration_ns / 1e9, options.slots);
    printf("tp_demo: media driver in %s, shared memory in %s%s\n", options.aeron_dir, options.shm_dir,
           options.driver ? ", owned by an SHM driver" : "");

    if (options.driver && 0 != demo_start_shm_driver(&options, shared, driver, &shm_driver))
    {
        goto cleanup;
    }
    consumer = demo_fork(&options, shared, tp_demo_consumer_run);
    producer = demo_fork(&options, shared, tp_demo_producer_run);
    if (consumer < 0 || producer < 0)
    {
        tp_store_release_i32(&shared->stop_producer, 1);
        tp_store_release_i32(&shared->stop_consumer, 1);
    }

    int producer_status = 0;
    int consumer_status = 0;
    uint64_t streaming_since = 0;
    bool producer_stopped = false;
    bool consumer_stopped = false;
    uint64_t stop_requested_ns = 0;
    while (!(demo_reap(&producer, &producer_status) && demo_reap(&consumer, &consumer_status)))
    {
        int work = tp_mediadriver_do_work(driver);
        if (work < 0)
        {
            fprintf(stderr, "tp_demo: media driver: %s\n", tp_errmsg());
            demo_interrupted = 1;
        }
        const uint64_t now = tp_demo_now_ns();
        if (0 == streaming_since && 0 != tp_load_acquire_i32(&shared->producer_streaming))
        {
            streaming_since = now;
        }
        const bool duration_over = 0 != streaming_since && now - streaming_since >= options.duration_ns;
        /* Stop the producer first; the consumer drains once it is gone, so its summary is the last line. A child
         * that exits early (a failed start) ends the run too. */
        if (!producer_stopped && (duration_over || 0 != demo_interrupted || 0 == consumer || 0 == producer))
        {
            tp_store_release_i32(&shared->stop_producer, 1);
            producer_stopped = true;
            stop_requested_ns = now;
        }
        /* A second Ctrl-C, or children that do not finish within 20 s of being told to: no more waiting. */
        if (producer_stopped && (demo_interrupted > 1 || now - stop_requested_ns > 20000000000ULL))
        {
            fprintf(stderr, "tp_demo: %s: killing the children\n",
                    demo_interrupted > 1 ? "interrupted twice" : "the children did not stop within 20 s");
            break;
        }
        if (!consumer_stopped && producer_stopped && 0 == producer)
        {
            tp_store_release_i32(&shared->stop_consumer, 1);
            consumer_stopped = true;
        }
        if (0 == work)
        {
            tp_demo_sleep_ns(100000);
        }
    }
    if (0 != producer_status)
    {
        fprintf(stderr, "tp_demo: the producer failed (exit status %d)\n", producer_status);
    }
    if (0 != consumer_status)
    {
        fprintf(stderr, "tp_demo: the consumer failed or saw bad frames (exit status %d)\n", consumer_status);
    }
    int driver_status = 0;
    if (shm_driver > 0)
    {
        driver_status = demo_stop_shm_driver(shared, driver, &shm_driver);
    }
    exit_status =
        (0 == producer_status && 0 == consumer_status && 0 == driver_status && 0 == producer && 0 == consumer) ? 0 : 1;

cleanup:
    if (producer > 0)
    {
        kill(producer, SIGKILL);
        waitpid(producer, NULL, 0);
    }
    if (consumer > 0)
    {
        kill(consumer, SIGKILL);
        waitpid(consumer, NULL, 0);
    }
    if (shm_driver > 0)
    {
        kill(shm_driver, SIGKILL);
        waitpid(shm_driver, NULL, 0);
    }
    tp_mediadriver_close(driver);
    tp_mediadriver_context_close(driver_ctx);
    if (MAP_FAILED != shared)
    {
        munmap(shared, sizeof(*shared));
    }
    nftw(root, demo_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return exit_status;
}
