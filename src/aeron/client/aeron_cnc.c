/* Attaching to the driver's CnC file (fact sheet §2), and the read-only aeron_cnc_* API used by tools. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_mpsc_rb.h"
#include "aeron_client_private.h"
#include "common/tp_atomic.h"

static void aeron_cnc_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int aeron_cnc_map_file(aeron_cnc_mapping_t *mapping, size_t *file_length)
{
    int fd = open(mapping->filename, O_RDWR);
    if (fd < 0)
    {
        return 1; /* not there yet */
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || (size_t)st.st_size < TP_CNC_VERSION_AND_META_DATA_LENGTH)
    {
        close(fd);
        return 1;
    }
    void *addr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == addr)
    {
        aeron_err_set(errno, "could not map %s (%lld bytes): %s", mapping->filename, (long long)st.st_size,
                      strerror(errno));
        return -1;
    }
    mapping->addr = addr;
    mapping->length = (size_t)st.st_size;
    *file_length = mapping->length;
    return 0;
}

static void aeron_cnc_unmap(aeron_cnc_mapping_t *mapping)
{
    if (NULL != mapping->addr)
    {
        munmap(mapping->addr, mapping->length);
        mapping->addr = NULL;
        mapping->length = 0;
    }
}

int64_t aeron_cnc_mapping_driver_heartbeat_ms(aeron_cnc_mapping_t *mapping)
{
    tp_cnc_metadata_t *meta = (tp_cnc_metadata_t *)mapping->addr;
    uint8_t *ring = tp_cnc_to_driver_buffer(meta);
    size_t capacity = (size_t)meta->to_driver_buffer_length - TP_RB_TRAILER_LENGTH;
    return tp_load_acquire_i64((volatile int64_t *)(ring + capacity + TP_RB_CONSUMER_HEARTBEAT_OFFSET));
}

int aeron_cnc_mapping_open(aeron_cnc_mapping_t *mapping, const char *dir, int64_t timeout_ms,
                           bool require_fresh_heartbeat)
{
    memset(mapping, 0, sizeof(*mapping));
    if (tp_cnc_resolve_filename(dir, mapping->filename, sizeof(mapping->filename)) < 0)
    {
        aeron_err_set(EINVAL, "Aeron directory path '%s' is too long", dir);
        return -1;
    }
    int64_t start_ms = aeron_epoch_clock();
    int64_t deadline_ms = start_ms + timeout_ms;

    for (;;)
    {
        size_t file_length = 0;
        int rc = aeron_cnc_map_file(mapping, &file_length);
        if (rc < 0)
        {
            return -1;
        }
        if (rc > 0)
        {
            if (aeron_epoch_clock() > deadline_ms)
            {
                aeron_err_set(
                    AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
                    "CnC file not created: %s (waited %lld ms; is a media driver running with this directory?)",
                    mapping->filename, (long long)timeout_ms);
                return -1;
            }
            aeron_cnc_sleep_ms(16);
            continue;
        }

        tp_cnc_metadata_t *meta = (tp_cnc_metadata_t *)mapping->addr;
        int32_t version;
        while (0 == (version = tp_cnc_version_volatile(meta)))
        {
            if (aeron_epoch_clock() > deadline_ms)
            {
                aeron_cnc_unmap(mapping);
                aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
                              "CnC file %s is not ready: cnc_version still 0 after %lld ms", mapping->filename,
                              (long long)timeout_ms);
                return -1;
            }
            aeron_cnc_sleep_ms(1);
        }
        if (tp_cnc_major_version(version) != TP_CNC_VERSION_MAJOR)
        {
            aeron_cnc_unmap(mapping);
            aeron_err_set(EPROTO,
                          "CnC version not supported: file %s has version %d.%d.%d, this client requires %d.x.x",
                          mapping->filename, tp_cnc_major_version(version), tp_cnc_minor_version(version),
                          tp_cnc_patch_version(version), TP_CNC_VERSION_MAJOR);
            return -1;
        }
        if (meta->to_driver_buffer_length <= TP_RB_TRAILER_LENGTH || meta->to_clients_buffer_length <= 0 ||
            meta->counter_metadata_buffer_length < 0 || meta->counter_values_buffer_length < 0 ||
            meta->error_log_buffer_length < 0)
        {
            aeron_cnc_unmap(mapping);
            aeron_err_set(EPROTO, "CnC file %s has invalid section lengths (to-driver %d, to-clients %d)",
                          mapping->filename, meta->to_driver_buffer_length, meta->to_clients_buffer_length);
            return -1;
        }
        size_t required = TP_CNC_VERSION_AND_META_DATA_LENGTH + (size_t)meta->to_driver_buffer_length +
                          (size_t)meta->to_clients_buffer_length + (size_t)meta->counter_metadata_buffer_length +
                          (size_t)meta->counter_values_buffer_length;
        if (file_length < required)
        {
            aeron_cnc_unmap(mapping);
            if (aeron_epoch_clock() > deadline_ms)
            {
                aeron_err_set(EPROTO, "CnC file %s is truncated: %zu bytes, its header needs at least %zu",
                              mapping->filename, file_length, required);
                return -1;
            }
            aeron_cnc_sleep_ms(16);
            continue;
        }

        int64_t heartbeat;
        while (0 == (heartbeat = aeron_cnc_mapping_driver_heartbeat_ms(mapping)))
        {
            if (aeron_epoch_clock() > deadline_ms)
            {
                aeron_cnc_unmap(mapping);
                aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT, "no driver heartbeat in %s after %lld ms",
                              mapping->filename, (long long)timeout_ms);
                return -1;
            }
            aeron_cnc_sleep_ms(1);
        }
        if (require_fresh_heartbeat)
        {
            int64_t now_ms = aeron_epoch_clock();
            if (heartbeat < 0 || now_ms - heartbeat > timeout_ms)
            {
                aeron_cnc_unmap(mapping);
                if (now_ms > deadline_ms)
                {
                    if (heartbeat < 0)
                    {
                        aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT, "media driver for %s has shut down",
                                      mapping->filename);
                    }
                    else
                    {
                        aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
                                      "media driver for %s is not active: last heartbeat %lld ms ago (timeout %lld ms)",
                                      mapping->filename, (long long)(now_ms - heartbeat), (long long)timeout_ms);
                    }
                    return -1;
                }
                aeron_cnc_sleep_ms(100);
                continue;
            }
        }
        return 0;
    }
}

void aeron_cnc_mapping_close(aeron_cnc_mapping_t *mapping)
{
    aeron_cnc_unmap(mapping);
}

bool aeron_is_driver_active(const char *dirname, int64_t timeout_ms, aeron_log_func_t log_func)
{
    char path[4096];
    if (NULL == dirname)
    {
        if (aeron_default_path(path, sizeof(path)) < 0)
        {
            return false;
        }
        dirname = path;
    }
    aeron_cnc_mapping_t mapping;
    if (aeron_cnc_mapping_open(&mapping, dirname, timeout_ms, false) < 0)
    {
        if (NULL != log_func)
        {
            log_func(aeron_errmsg());
        }
        return false;
    }
    int64_t heartbeat = aeron_cnc_mapping_driver_heartbeat_ms(&mapping);
    int64_t age = aeron_epoch_clock() - heartbeat;
    aeron_cnc_mapping_close(&mapping);
    bool active = heartbeat > 0 && age <= timeout_ms;
    if (NULL != log_func)
    {
        char line[256];
        snprintf(line, sizeof(line), "INFO: driver heartbeat is %lld ms old (%s)", (long long)age,
                 active ? "active" : "not active");
        log_func(line);
    }
    return active;
}

/* ---- public read-only view ---- */

struct aeron_cnc_stct
{
    aeron_cnc_mapping_t mapping;
    aeron_counters_reader_t counters_reader;
};

int aeron_cnc_init(aeron_cnc_t **aeron_cnc, const char *base_path, int64_t timeout_ms)
{
    if (NULL == aeron_cnc || NULL == base_path)
    {
        aeron_err_set(EINVAL, "aeron_cnc_init: aeron_cnc or base_path is NULL");
        return -1;
    }
    aeron_cnc_t *cnc = calloc(1, sizeof(*cnc));
    if (NULL == cnc)
    {
        aeron_err_set(ENOMEM, "could not allocate aeron_cnc_t");
        return -1;
    }
    if (aeron_cnc_mapping_open(&cnc->mapping, base_path, timeout_ms, false) < 0)
    {
        free(cnc);
        return -1;
    }
    tp_cnc_metadata_t *meta = (tp_cnc_metadata_t *)cnc->mapping.addr;
    aeron_counters_reader_wrap(&cnc->counters_reader, tp_cnc_counters_metadata_buffer(meta),
                               (size_t)meta->counter_metadata_buffer_length, tp_cnc_counters_values_buffer(meta),
                               (size_t)meta->counter_values_buffer_length);
    *aeron_cnc = cnc;
    return 0;
}

int aeron_cnc_constants(aeron_cnc_t *aeron_cnc, aeron_cnc_constants_t *constants)
{
    if (NULL == aeron_cnc || NULL == constants)
    {
        aeron_err_set(EINVAL, "aeron_cnc_constants: aeron_cnc or constants is NULL");
        return -1;
    }
    tp_cnc_metadata_t *meta = (tp_cnc_metadata_t *)aeron_cnc->mapping.addr;
    constants->cnc_version = tp_cnc_version_volatile(meta);
    constants->to_driver_buffer_length = meta->to_driver_buffer_length;
    constants->to_clients_buffer_length = meta->to_clients_buffer_length;
    constants->counter_metadata_buffer_length = meta->counter_metadata_buffer_length;
    constants->counter_values_buffer_length = meta->counter_values_buffer_length;
    constants->error_log_buffer_length = meta->error_log_buffer_length;
    constants->client_liveness_timeout = meta->client_liveness_timeout;
    constants->start_timestamp = meta->start_timestamp;
    constants->pid = meta->pid;
    constants->file_page_size = 0; /* CnC 0.2.0 has no page-size field */
    return 0;
}

const char *aeron_cnc_filename(aeron_cnc_t *aeron_cnc)
{
    return NULL == aeron_cnc ? NULL : aeron_cnc->mapping.filename;
}

int64_t aeron_cnc_to_driver_heartbeat(aeron_cnc_t *aeron_cnc)
{
    return NULL == aeron_cnc ? 0 : aeron_cnc_mapping_driver_heartbeat_ms(&aeron_cnc->mapping);
}

size_t aeron_cnc_error_log_read(aeron_cnc_t *aeron_cnc, aeron_error_log_reader_func_t callback, void *clientd,
                                int64_t since_timestamp)
{
    if (NULL == aeron_cnc || NULL == callback)
    {
        return 0;
    }
    tp_cnc_metadata_t *meta = (tp_cnc_metadata_t *)aeron_cnc->mapping.addr;
    uint8_t *log = tp_cnc_error_log_buffer(meta);
    size_t capacity = (size_t)meta->error_log_buffer_length;
    size_t offset = 0;
    size_t entries = 0;
    /* Records: length i32 @0, count i32 @4, last_ts i64 @8, first_ts i64 @16, text @24, 8-byte aligned. */
    while (offset + 24 <= capacity)
    {
        int32_t length = tp_load_acquire_i32((volatile int32_t *)(log + offset));
        if (length <= 24 || offset + (size_t)length > capacity)
        {
            break;
        }
        int32_t count;
        int64_t last_ts;
        int64_t first_ts;
        memcpy(&count, log + offset + 4, sizeof(count));
        memcpy(&last_ts, log + offset + 8, sizeof(last_ts));
        memcpy(&first_ts, log + offset + 16, sizeof(first_ts));
        if (last_ts >= since_timestamp)
        {
            callback(count, first_ts, last_ts, (const char *)(log + offset + 24), (size_t)length - 24, clientd);
            entries++;
        }
        offset += AERON_ALIGN((size_t)length, (size_t)8);
    }
    return entries;
}

aeron_counters_reader_t *aeron_cnc_counters_reader(aeron_cnc_t *aeron_cnc)
{
    return NULL == aeron_cnc ? NULL : &aeron_cnc->counters_reader;
}

void aeron_cnc_close(aeron_cnc_t *aeron_cnc)
{
    if (NULL != aeron_cnc)
    {
        aeron_cnc_mapping_close(&aeron_cnc->mapping);
        free(aeron_cnc);
    }
}
