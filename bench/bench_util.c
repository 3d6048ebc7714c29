/*
 * Helpers the benchmarks share (see bench_util.h).
 */
#include "bench_util.h"

#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/tp_idle_strategy.h"
#include "tensorpool/tp_mediadriver.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

int bench_compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double bench_percentile(const uint64_t *sorted, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n);
    return (double)sorted[i < n ? i : n - 1];
}

double bench_percentile_us(const uint64_t *sorted, size_t n, double q)
{
    size_t index = (size_t)(q * (double)(n - 1) + 0.5);
    return (double)sorted[index] / 1e3;
}

uint64_t bench_cpu_time_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

uint64_t bench_process_cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (NULL == f)
    {
        return 0;
    }
    char text[1024];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name may hold spaces and parentheses: the fields start after the last ')'. */
    const char *p = strrchr(text, ')');
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    if (NULL == p || 2 != sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime))
    {
        return 0;
    }
    return (utime + stime) * (1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
}

void bench_pin_to(int cpu, bool pin)
{
    if (!pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
    {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

pid_t bench_mediadriver_fork(const char *aeron_dir, const char *name)
{
    fflush(stdout);
    pid_t pid = fork();
    if (0 == pid)
    {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        tp_mediadriver_context_t *ctx = NULL;
        tp_mediadriver_t *driver = NULL;
        /* /dev/shm is RAM: streams that name no term length (the shared control stream) get 1 MiB terms unless
         * AERON_IPC_TERM_BUFFER_LENGTH says otherwise. */
        if (tp_mediadriver_context_init(&ctx) < 0 || tp_mediadriver_context_set_dir(ctx, aeron_dir) < 0 ||
            (NULL == getenv("AERON_IPC_TERM_BUFFER_LENGTH") &&
             tp_mediadriver_context_set_ipc_term_buffer_length(ctx, 1u << 20) < 0) ||
            tp_mediadriver_context_set_dir_delete_on_shutdown(ctx, true) < 0 ||
            tp_mediadriver_context_set_threading_mode(ctx, TP_MEDIADRIVER_THREADING_INVOKER) < 0 ||
            tp_mediadriver_start(&driver, ctx) < 0)
        {
            fprintf(stderr, "%s: media driver: %s\n", name, tp_errmsg());
            exit(EXIT_FAILURE);
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
    if (pid < 0)
    {
        perror("fork");
        exit(EXIT_FAILURE);
    }
    return pid;
}

pid_t bench_spawn(const char *const *argv, const char *const *env, const char *log)
{
    pid_t pid = fork();
    if (0 != pid)
    {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (NULL != freopen(log, "w", stderr))
    {
        setvbuf(stderr, NULL, _IONBF, 0);
    }
    for (size_t i = 0; NULL != env && NULL != env[i]; i++)
    {
        putenv((char *)env[i]);
    }
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

void bench_stop(pid_t *pid)
{
    if (*pid > 0)
    {
        kill(*pid, SIGINT);
        waitpid(*pid, NULL, 0);
        *pid = 0;
    }
}

tp_producer_t *bench_producer_start(tp_client_t *client, uint32_t stream_id, uint32_t stride, uint32_t slots,
                                    bool require_hugepages)
{
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.require_hugepages = require_hugepages;
    config.stream_id = stream_id;
    config.producer_id = stream_id;
    config.header_nslots = slots;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = stride};
    config.pool_count = 1;
    tp_producer_t *producer = NULL;
    return tp_producer_start(&producer, client, &config) < 0 ? NULL : producer;
}

tp_tensor_desc_t bench_desc_bytes(uint32_t size)
{
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc));
    desc.dtype = TP_DTYPE_UINT8;
    desc.major_order = TP_MAJOR_ORDER_ROW;
    desc.ndims = 1;
    desc.dims[0] = (int32_t)size;
    return desc;
}

void bench_load_average(char *text, size_t capacity)
{
    snprintf(text, capacity, "?\n");
    FILE *f = fopen("/proc/loadavg", "r");
    if (NULL != f)
    {
        if (NULL == fgets(text, (int)capacity, f))
        {
            snprintf(text, capacity, "?\n");
        }
        fclose(f);
    }
}

static int bench_remove_failures;

static int bench_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (0 != remove(path))
    {
        bench_remove_failures++;
    }
    return 0;
}

int bench_remove_tree(const char *dir)
{
    bench_remove_failures = 0;
    int rc = nftw(dir, bench_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0 == rc && 0 == bench_remove_failures ? 0 : -1;
}
