/*
 * Distinct error log: the last section of the CnC file. Each distinct error (code + message) gets one record
 * that counts its observations; repeats only bump the count and the last-seen time.
 *
 * Record: length i32 @0 (header + text, unaligned; written last with release), observation_count i32 @4,
 * last_observation_timestamp i64 @8, first_observation_timestamp i64 @16, text @24; records aligned to 8.
 */
#ifndef TENSORPOOL_TP_DISTINCT_ERROR_LOG_H
#define TENSORPOOL_TP_DISTINCT_ERROR_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_ERROR_LOG_HEADER_LENGTH    24
#define TP_ERROR_LOG_RECORD_ALIGNMENT 8

#pragma pack(push, 4)
typedef struct tp_error_log_entry_stct
{
    int32_t length;
    int32_t observation_count;
    int64_t last_observation_timestamp;
    int64_t first_observation_timestamp;
} tp_error_log_entry_t;
#pragma pack(pop)

typedef struct tp_distinct_observation_stct
{
    int error_code;
    size_t offset;
    size_t text_length;
    char *text;
} tp_distinct_observation_t;

typedef struct tp_distinct_error_log_stct
{
    uint8_t *buffer;
    size_t buffer_length;
    size_t next_offset;
    tp_distinct_observation_t *observations;
    size_t observation_count;
    size_t observation_capacity;
    pthread_mutex_t mutex; /* several driver threads may record errors */
} tp_distinct_error_log_t;

int tp_distinct_error_log_init(tp_distinct_error_log_t *log, uint8_t *buffer, size_t buffer_length);
void tp_distinct_error_log_close(tp_distinct_error_log_t *log);

/*
 * Records one observation at time now_ms (epoch ms). Returns 0, or -1 when the buffer is full or memory ran
 * out (the error is then silently dropped from the log; the caller may count it).
 */
int tp_distinct_error_log_record(tp_distinct_error_log_t *log, int error_code, const char *description, int64_t now_ms);

/* Number of distinct errors recorded so far. */
size_t tp_distinct_error_log_num_observations(tp_distinct_error_log_t *log);

typedef void (*tp_error_log_reader_func_t)(int32_t observation_count, int64_t first_observation_timestamp,
                                           int64_t last_observation_timestamp, const char *error, size_t error_length,
                                           void *clientd);

/* Reads every record whose last observation is at or after since_ms. Returns the number of records visited. */
size_t tp_error_log_read(const uint8_t *buffer, size_t buffer_length, tp_error_log_reader_func_t func, void *clientd,
                         int64_t since_ms);

/* True when the buffer holds at least one record. */
bool tp_error_log_exists(const uint8_t *buffer, size_t buffer_length);

#endif /* TENSORPOOL_TP_DISTINCT_ERROR_LOG_H */
