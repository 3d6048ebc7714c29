#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeron/protocol/tp_distinct_error_log.h"
#include "aeron/protocol/tp_bitutil.h"
#include "common/tp_atomic.h"
#include "common/tp_error_private.h"

_Static_assert(sizeof(tp_error_log_entry_t) == TP_ERROR_LOG_HEADER_LENGTH, "error log header is 24 bytes");

int tp_distinct_error_log_init(tp_distinct_error_log_t *log, uint8_t *buffer, size_t buffer_length)
{
    if (NULL == log || NULL == buffer)
    {
        TP_SET_ERR(EINVAL, "error log and its buffer must not be NULL");
        return -1;
    }
    memset(log, 0, sizeof(*log));
    log->buffer = buffer;
    log->buffer_length = buffer_length;
    if (0 != pthread_mutex_init(&log->mutex, NULL))
    {
        TP_SET_ERR(EINVAL, "initialising error log mutex");
        return -1;
    }
    return 0;
}

void tp_distinct_error_log_close(tp_distinct_error_log_t *log)
{
    if (NULL == log || NULL == log->buffer)
    {
        return;
    }
    for (size_t i = 0; i < log->observation_count; i++)
    {
        free(log->observations[i].text);
    }
    free(log->observations);
    log->observations = NULL;
    log->observation_count = 0;
    pthread_mutex_destroy(&log->mutex);
    log->buffer = NULL;
}

static tp_distinct_observation_t *tp_distinct_error_log_find(tp_distinct_error_log_t *log, int error_code,
                                                             const char *text, size_t text_length)
{
    for (size_t i = 0; i < log->observation_count; i++)
    {
        tp_distinct_observation_t *observation = &log->observations[i];
        if (observation->error_code == error_code && observation->text_length == text_length &&
            0 == memcmp(observation->text, text, text_length))
        {
            return observation;
        }
    }
    return NULL;
}

static int tp_distinct_error_log_append(tp_distinct_error_log_t *log, int error_code, const char *text,
                                        size_t text_length, int64_t now_ms)
{
    const size_t record_length = TP_ERROR_LOG_HEADER_LENGTH + text_length;
    const size_t aligned_length = tp_align_size(record_length, TP_ERROR_LOG_RECORD_ALIGNMENT);
    if (log->next_offset + aligned_length > log->buffer_length)
    {
        return -1;
    }
    if (log->observation_count == log->observation_capacity)
    {
        const size_t capacity = 0 == log->observation_capacity ? 16 : log->observation_capacity * 2;
        tp_distinct_observation_t *list = realloc(log->observations, capacity * sizeof(*list));
        if (NULL == list)
        {
            return -1;
        }
        log->observations = list;
        log->observation_capacity = capacity;
    }
    char *copy = malloc(text_length + 1);
    if (NULL == copy)
    {
        return -1;
    }
    memcpy(copy, text, text_length);
    copy[text_length] = '\0';

    const size_t offset = log->next_offset;
    uint8_t *record = log->buffer + offset;
    tp_error_log_entry_t *entry = (tp_error_log_entry_t *)record;
    memcpy(record + TP_ERROR_LOG_HEADER_LENGTH, text, text_length);
    entry->first_observation_timestamp = now_ms;
    entry->observation_count = 1;
    tp_store_release_i64(&entry->last_observation_timestamp, now_ms);
    /* The length publishes the record to readers in other processes. */
    tp_store_release_i32(&entry->length, (int32_t)record_length);
    log->next_offset = offset + aligned_length;

    tp_distinct_observation_t *observation = &log->observations[log->observation_count++];
    observation->error_code = error_code;
    observation->offset = offset;
    observation->text_length = text_length;
    observation->text = copy;
    return 0;
}

int tp_distinct_error_log_record(tp_distinct_error_log_t *log, int error_code, const char *description, int64_t now_ms)
{
    char text[2048];
    int n = snprintf(text, sizeof(text), "%d: %s", error_code, NULL == description ? "" : description);
    if (n < 0)
    {
        return -1;
    }
    const size_t text_length = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;

    pthread_mutex_lock(&log->mutex);
    int result = 0;
    tp_distinct_observation_t *observation = tp_distinct_error_log_find(log, error_code, text, text_length);
    if (NULL != observation)
    {
        tp_error_log_entry_t *entry = (tp_error_log_entry_t *)(log->buffer + observation->offset);
        tp_store_release_i64(&entry->last_observation_timestamp, now_ms);
        tp_fetch_add_i32(&entry->observation_count, 1);
    }
    else
    {
        result = tp_distinct_error_log_append(log, error_code, text, text_length, now_ms);
    }
    pthread_mutex_unlock(&log->mutex);
    return result;
}

size_t tp_distinct_error_log_num_observations(tp_distinct_error_log_t *log)
{
    pthread_mutex_lock(&log->mutex);
    size_t count = log->observation_count;
    pthread_mutex_unlock(&log->mutex);
    return count;
}

size_t tp_error_log_read(const uint8_t *buffer, size_t buffer_length, tp_error_log_reader_func_t func, void *clientd,
                         int64_t since_ms)
{
    size_t entries = 0;
    size_t offset = 0;
    while (offset + TP_ERROR_LOG_HEADER_LENGTH <= buffer_length)
    {
        const tp_error_log_entry_t *entry = (const tp_error_log_entry_t *)(buffer + offset);
        const int32_t length = tp_load_acquire_i32(&entry->length);
        if (length <= TP_ERROR_LOG_HEADER_LENGTH - 1 || offset + (size_t)length > buffer_length)
        {
            break;
        }
        const int64_t last = tp_load_acquire_i64(&entry->last_observation_timestamp);
        if (last >= since_ms)
        {
            ++entries;
            func(tp_load_acquire_i32(&entry->observation_count), entry->first_observation_timestamp, last,
                 (const char *)(buffer + offset + TP_ERROR_LOG_HEADER_LENGTH),
                 (size_t)length - TP_ERROR_LOG_HEADER_LENGTH, clientd);
        }
        offset += tp_align_size((size_t)length, TP_ERROR_LOG_RECORD_ALIGNMENT);
    }
    return entries;
}

bool tp_error_log_exists(const uint8_t *buffer, size_t buffer_length)
{
    return buffer_length >= sizeof(int32_t) && tp_load_acquire_i32((const volatile int32_t *)buffer) > 0;
}
