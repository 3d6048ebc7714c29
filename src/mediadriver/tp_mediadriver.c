#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aeron/protocol/tp_bitutil.h"
#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_distinct_error_log.h"
#include "aeron/protocol/tp_mpsc_rb.h"
#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "common/tp_idle_strategy.h"
#include "mediadriver/tp_driver_conductor.h"
#include "mediadriver/tp_mediadriver_context.h"
#include "tensorpool/tp_mediadriver.h"

#define TP_LOSS_REPORT_FILE "loss-report.dat"

/*
 * Longest park while a publisher is more than a quarter window ahead of its slowest subscriber (is_flowing). It
 * runs ahead by at most the term window (term / 2); at 10 GB/s a 4 MiB window lasts about 400 us, and the limit
 * only moves when this agent runs. Backoff alone would park up to 1 ms (plus wake-up delay on a busy machine)
 * with the publisher stalled.
 */
#define TP_MEDIADRIVER_FLOWING_MAX_PARK_NS (64 * 1000)

struct tp_mediadriver_stct
{
    tp_mediadriver_context_t context;
    tp_driver_conductor_t conductor;
    bool conductor_initialised;
    tp_cnc_metadata_t *cnc;
    size_t cnc_length;
    tp_idle_strategy_t idle_strategy;
    pthread_t thread;
    bool thread_started;
    volatile int32_t running;
};

static int tp_mediadriver_unlink_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int tp_mediadriver_delete_dir(const char *dir)
{
    if (nftw(dir, tp_mediadriver_unlink_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && ENOENT != errno)
    {
        TP_SET_ERR_ERRNO("deleting Aeron directory %s", dir);
        return -1;
    }
    return 0;
}

static int tp_mediadriver_mkdirs(const char *dir)
{
    char path[TP_MEDIADRIVER_DIR_MAX_LENGTH];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; '\0' != *p; p++)
    {
        if ('/' == *p)
        {
            *p = '\0';
            if (mkdir(path, 0777) < 0 && EEXIST != errno)
            {
                TP_SET_ERR_ERRNO("creating directory %s", path);
                return -1;
            }
            *p = '/';
        }
    }
    if (mkdir(path, 0777) < 0 && EEXIST != errno)
    {
        TP_SET_ERR_ERRNO("creating directory %s", path);
        return -1;
    }
    return 0;
}

/*
 * True when the CnC in dir belongs to a running driver: compatible major version and a to-driver heartbeat
 * no older than the driver timeout. A CnC still at version 0 is given the timeout to finish starting.
 */
static bool tp_mediadriver_is_active(const char *dir, int64_t timeout_ms, int64_t *age_ms)
{
    char path[TP_MEDIADRIVER_DIR_MAX_LENGTH + 16];
    snprintf(path, sizeof(path), "%s/%s", dir, TP_CNC_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
    {
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size < TP_CNC_VERSION_AND_META_DATA_LENGTH)
    {
        close(fd);
        return false;
    }
    void *mapped = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == mapped)
    {
        return false;
    }
    const tp_cnc_metadata_t *cnc = mapped;
    bool active = false;
    const int64_t deadline_ms = tp_clock_epoch_ms() + timeout_ms;
    int32_t version;
    while (0 == (version = tp_cnc_version_volatile(cnc)) && tp_clock_epoch_ms() < deadline_ms)
    {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
        nanosleep(&ts, NULL);
    }
    if (0 != version && tp_cnc_major_version(version) == TP_CNC_VERSION_MAJOR &&
        cnc->to_driver_buffer_length > TP_RB_TRAILER_LENGTH &&
        (size_t)st.st_size >= TP_CNC_VERSION_AND_META_DATA_LENGTH + (size_t)cnc->to_driver_buffer_length)
    {
        const uint8_t *trailer = (const uint8_t *)cnc + TP_CNC_VERSION_AND_META_DATA_LENGTH +
                                 cnc->to_driver_buffer_length - TP_RB_TRAILER_LENGTH;
        const int64_t heartbeat =
            tp_load_acquire_i64((const volatile int64_t *)(trailer + TP_RB_CONSUMER_HEARTBEAT_OFFSET));
        *age_ms = tp_clock_epoch_ms() - heartbeat;
        active = heartbeat > 0 && *age_ms <= timeout_ms;
    }
    munmap(mapped, (size_t)st.st_size);
    return active;
}

typedef struct tp_saved_errors_stct
{
    FILE *file;
    size_t count;
} tp_saved_errors_t;

static void tp_mediadriver_format_ms(int64_t epoch_ms, char *dst, size_t length)
{
    const time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    size_t n = strftime(dst, length, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(dst + n, length - n, ".%03d+0000", (int)(epoch_ms % 1000));
}

static void tp_mediadriver_save_error(int32_t observation_count, int64_t first_observation_timestamp,
                                      int64_t last_observation_timestamp, const char *error, size_t error_length,
                                      void *clientd)
{
    tp_saved_errors_t *saved = clientd;
    char first[64];
    char last[64];
    tp_mediadriver_format_ms(first_observation_timestamp, first, sizeof(first));
    tp_mediadriver_format_ms(last_observation_timestamp, last, sizeof(last));
    fprintf(saved->file, "***\n%d observations from %s to %s for:\n %.*s\n", observation_count, first, last,
            (int)error_length, error);
    saved->count++;
}

/*
 * Before a stale directory is deleted, its distinct errors are kept in <dir>-<date>-error.log so a crash can
 * still be diagnosed. Best effort: problems here never stop the new driver.
 */
static void tp_mediadriver_save_stale_errors(const char *dir)
{
    char path[TP_MEDIADRIVER_DIR_MAX_LENGTH + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, TP_CNC_FILE);
    size_t length = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
    {
        return;
    }
    if (fstat(fd, &st) < 0 || st.st_size < TP_CNC_VERSION_AND_META_DATA_LENGTH)
    {
        close(fd);
        return;
    }
    length = (size_t)st.st_size;
    void *mapped = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == mapped)
    {
        return;
    }
    tp_cnc_metadata_t *cnc = mapped;
    if (0 != tp_cnc_version_volatile(cnc) && 0 == tp_cnc_validate(cnc, length))
    {
        const uint8_t *errors = tp_cnc_error_log_buffer(cnc);
        const size_t errors_length = (size_t)cnc->error_log_buffer_length;
        if (tp_error_log_exists(errors, errors_length))
        {
            char date[64];
            const int64_t now_ms = tp_clock_epoch_ms();
            const time_t seconds = (time_t)(now_ms / 1000);
            struct tm tm;
            gmtime_r(&seconds, &tm);
            strftime(date, sizeof(date), "%Y-%m-%d-%H-%M-%S", &tm);
            snprintf(path, sizeof(path), "%s-%s-%03d-error.log", dir, date, (int)(now_ms % 1000));
            tp_saved_errors_t saved = {.file = fopen(path, "w"), .count = 0};
            if (NULL != saved.file)
            {
                tp_error_log_read(errors, errors_length, tp_mediadriver_save_error, &saved, 0);
                fprintf(saved.file, "\n%zu distinct errors observed.\n", saved.count);
                fclose(saved.file);
            }
        }
    }
    tp_err_clear();
    munmap(mapped, length);
}

static int tp_mediadriver_prepare_dir(const tp_mediadriver_context_t *ctx)
{
    struct stat st;
    if (0 == stat(ctx->dir, &st))
    {
        if (!S_ISDIR(st.st_mode))
        {
            TP_SET_ERR(ENOTDIR, "Aeron directory %s exists and is not a directory", ctx->dir);
            return -1;
        }
        if (!ctx->dir_delete_on_start)
        {
            int64_t age_ms = 0;
            if (tp_mediadriver_is_active(ctx->dir, (int64_t)ctx->driver_timeout_ms, &age_ms))
            {
                TP_SET_ERR(EBUSY,
                           "active media driver detected in %s (CnC heartbeat %" PRId64
                           " ms old, driver timeout %" PRIu64 " ms)",
                           ctx->dir, age_ms, ctx->driver_timeout_ms);
                return -1;
            }
        }
        /* Stale (or delete-on-start): take the directory over. */
        if (!ctx->dir_delete_on_start)
        {
            tp_mediadriver_save_stale_errors(ctx->dir);
        }
        if (tp_mediadriver_delete_dir(ctx->dir) < 0)
        {
            return -1;
        }
    }
    char sub[TP_MEDIADRIVER_DIR_MAX_LENGTH + 16];
    if (tp_mediadriver_mkdirs(ctx->dir) < 0)
    {
        return -1;
    }
    snprintf(sub, sizeof(sub), "%s/publications", ctx->dir);
    if (mkdir(sub, 0777) < 0 && EEXIST != errno)
    {
        TP_SET_ERR_ERRNO("creating %s", sub);
        return -1;
    }
    snprintf(sub, sizeof(sub), "%s/images", ctx->dir);
    if (mkdir(sub, 0777) < 0 && EEXIST != errno)
    {
        TP_SET_ERR_ERRNO("creating %s", sub);
        return -1;
    }
    return 0;
}

/* Creates a zero-filled file of `length` bytes; when mapped is not NULL the file stays mapped there. */
static int tp_mediadriver_create_file(const char *path, size_t length, void **mapped)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
    {
        TP_SET_ERR_ERRNO("creating %s", path);
        return -1;
    }
    if (ftruncate(fd, (off_t)length) < 0)
    {
        TP_SET_ERR_ERRNO("sizing %s to %zu bytes", path, length);
        close(fd);
        return -1;
    }
    if (NULL != mapped)
    {
        void *addr = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (MAP_FAILED == addr)
        {
            TP_SET_ERR_ERRNO("mapping %s (%zu bytes)", path, length);
            close(fd);
            return -1;
        }
        *mapped = addr;
    }
    close(fd);
    return 0;
}

static int tp_mediadriver_create_cnc(tp_mediadriver_t *driver)
{
    const tp_mediadriver_context_t *ctx = &driver->context;
    const size_t to_driver = ctx->to_driver_buffer_length + TP_RB_TRAILER_LENGTH;
    const size_t to_clients = ctx->to_clients_buffer_length + 128;
    const size_t values = ctx->counters_values_buffer_length;
    const size_t metadata = values * (TP_COUNTER_METADATA_LENGTH / TP_COUNTER_VALUE_LENGTH);
    const size_t error_log = ctx->error_buffer_length;
    const size_t length =
        tp_cnc_computed_length(to_driver + to_clients + metadata + values + error_log, ctx->file_page_size);

    char path[TP_MEDIADRIVER_DIR_MAX_LENGTH + 16];
    snprintf(path, sizeof(path), "%s/%s", ctx->dir, TP_CNC_FILE);
    void *mapped = NULL;
    if (tp_mediadriver_create_file(path, length, &mapped) < 0)
    {
        return -1;
    }
    driver->cnc = mapped;
    driver->cnc_length = length;

    tp_cnc_metadata_t *cnc = driver->cnc;
    cnc->to_driver_buffer_length = (int32_t)to_driver;
    cnc->to_clients_buffer_length = (int32_t)to_clients;
    cnc->counter_metadata_buffer_length = (int32_t)metadata;
    cnc->counter_values_buffer_length = (int32_t)values;
    cnc->error_log_buffer_length = (int32_t)error_log;
    cnc->client_liveness_timeout = (int64_t)ctx->client_liveness_timeout_ns;
    cnc->start_timestamp = tp_clock_epoch_ms();
    cnc->pid = (int64_t)getpid();
    return 0;
}

static void *tp_mediadriver_thread_main(void *arg)
{
    tp_mediadriver_t *driver = arg;
    while (tp_load_acquire_i32(&driver->running))
    {
        const int work_count = tp_driver_conductor_do_work(&driver->conductor);
        if (tp_driver_conductor_is_flowing(&driver->conductor) &&
            driver->idle_strategy.park_ns > TP_MEDIADRIVER_FLOWING_MAX_PARK_NS)
        {
            driver->idle_strategy.park_ns = TP_MEDIADRIVER_FLOWING_MAX_PARK_NS;
        }
        tp_idle_strategy_idle(&driver->idle_strategy, work_count);
    }
    return NULL;
}

static void tp_mediadriver_release(tp_mediadriver_t *driver, bool delete_dir)
{
    if (driver->conductor_initialised)
    {
        tp_driver_conductor_close(&driver->conductor);
        driver->conductor_initialised = false;
    }
    if (NULL != driver->cnc)
    {
        uint8_t *trailer =
            tp_cnc_to_driver_buffer(driver->cnc) + driver->cnc->to_driver_buffer_length - TP_RB_TRAILER_LENGTH;
        /* Clients read -1 as "driver has shut down". */
        tp_store_release_i64((volatile int64_t *)(trailer + TP_RB_CONSUMER_HEARTBEAT_OFFSET), -1);
        msync(driver->cnc, driver->cnc_length, MS_SYNC);
        munmap(driver->cnc, driver->cnc_length);
        driver->cnc = NULL;
    }
    if (delete_dir)
    {
        tp_mediadriver_delete_dir(driver->context.dir);
    }
}

int tp_mediadriver_start(tp_mediadriver_t **out, tp_mediadriver_context_t *context)
{
    if (NULL == out || NULL == context)
    {
        TP_SET_ERR(EINVAL, "driver out-pointer and context must not be NULL");
        return -1;
    }
    if (tp_mediadriver_context_validate(context) < 0)
    {
        return -1;
    }
    tp_mediadriver_t *driver = calloc(1, sizeof(*driver));
    if (NULL == driver)
    {
        TP_SET_ERR(ENOMEM, "allocating media driver");
        return -1;
    }
    driver->context = *context;
    tp_idle_kind_t kind = TP_IDLE_BACKOFF;
    tp_idle_strategy_parse(driver->context.idle_strategy, &kind);
    tp_idle_strategy_init(&driver->idle_strategy, kind);

    if (tp_mediadriver_prepare_dir(&driver->context) < 0 || tp_mediadriver_create_cnc(driver) < 0)
    {
        TP_APPEND_ERR("starting media driver in %s", driver->context.dir);
        tp_mediadriver_release(driver, false);
        free(driver);
        return -1;
    }

    const int64_t now_ms = tp_clock_epoch_ms();
    const int64_t now_ns = (int64_t)tp_clock_monotonic_ns();
    if (tp_driver_conductor_init(&driver->conductor, &driver->context, driver->cnc, now_ns, now_ms) < 0)
    {
        TP_APPEND_ERR("starting media driver in %s", driver->context.dir);
        tp_mediadriver_release(driver, true);
        free(driver);
        return -1;
    }
    driver->conductor_initialised = true;

    char path[TP_MEDIADRIVER_DIR_MAX_LENGTH + 32];
    snprintf(path, sizeof(path), "%s/%s", driver->context.dir, TP_LOSS_REPORT_FILE);
    if (tp_mediadriver_create_file(
            path, tp_align_size(driver->context.loss_report_buffer_length, driver->context.file_page_size), NULL) < 0)
    {
        TP_APPEND_ERR("starting media driver in %s", driver->context.dir);
        tp_mediadriver_release(driver, true);
        free(driver);
        return -1;
    }

    /* Publish order: ids start at 1, heartbeat is fresh, and only then does the version say "ready". */
    tp_mpsc_rb_next_correlation_id(&driver->conductor.to_driver);
    tp_mpsc_rb_consumer_heartbeat_time(&driver->conductor.to_driver, now_ms);
    tp_cnc_publish_version(driver->cnc, TP_CNC_VERSION);
    msync(driver->cnc, driver->cnc_length, MS_ASYNC);

    if (TP_MEDIADRIVER_THREADING_DEDICATED == driver->context.threading_mode)
    {
        tp_store_release_i32(&driver->running, 1);
        int rc = pthread_create(&driver->thread, NULL, tp_mediadriver_thread_main, driver);
        if (0 != rc)
        {
            errno = rc;
            TP_SET_ERR_ERRNO("starting media driver thread");
            tp_mediadriver_release(driver, true);
            free(driver);
            return -1;
        }
        driver->thread_started = true;
    }
    *out = driver;
    return 0;
}

int tp_mediadriver_do_work(tp_mediadriver_t *driver)
{
    if (driver->thread_started)
    {
        /* The conductor is single-threaded: its own thread is already running the duty cycle. */
        TP_SET_ERR(TP_ERR_STATE, "tp_mediadriver_do_work called on a driver running its own thread (dir %s)",
                   driver->context.dir);
        return -1;
    }
    return tp_driver_conductor_do_work(&driver->conductor);
}

int tp_mediadriver_close(tp_mediadriver_t *driver)
{
    if (NULL == driver)
    {
        return 0;
    }
    if (driver->thread_started)
    {
        tp_store_release_i32(&driver->running, 0);
        pthread_join(driver->thread, NULL);
        driver->thread_started = false;
    }
    tp_mediadriver_release(driver, driver->context.dir_delete_on_shutdown);
    free(driver);
    return 0;
}

const char *tp_mediadriver_dir(const tp_mediadriver_t *driver)
{
    return driver->context.dir;
}
