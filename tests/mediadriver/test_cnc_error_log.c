#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_distinct_error_log.h"
#include "tensorpool/tp_error.h"

static void test_default_cnc_layout(void **state)
{
    const size_t to_driver = 1024 * 1024 + 768;
    const size_t to_clients = 1024 * 1024 + 128;
    const size_t values = 1024 * 1024;
    const size_t sections = to_driver + to_clients + 4 * values + values + 1024 * 1024;
    const size_t length = tp_cnc_computed_length(sections, 4096);
    assert_int_equal(8392704, length);

    uint8_t *file = calloc(1, length);
    tp_cnc_metadata_t *metadata = (tp_cnc_metadata_t *)file;
    metadata->to_driver_buffer_length = (int32_t)to_driver;
    metadata->to_clients_buffer_length = (int32_t)to_clients;
    metadata->counter_metadata_buffer_length = (int32_t)(4 * values);
    metadata->counter_values_buffer_length = (int32_t)values;
    metadata->error_log_buffer_length = 1024 * 1024;
    assert_int_equal(128, tp_cnc_to_driver_buffer(metadata) - file);
    assert_int_equal(1049472, tp_cnc_to_clients_buffer(metadata) - file);
    assert_int_equal(2098176, tp_cnc_counters_metadata_buffer(metadata) - file);
    assert_int_equal(6292480, tp_cnc_counters_values_buffer(metadata) - file);
    assert_int_equal(7341056, tp_cnc_error_log_buffer(metadata) - file);

    assert_int_equal(0, tp_cnc_version_volatile(metadata));
    tp_cnc_publish_version(metadata, TP_CNC_VERSION);
    assert_int_equal(512, metadata->cnc_version);
    assert_int_equal(0, tp_cnc_validate(metadata, length));

    tp_err_clear();
    assert_int_equal(-1, tp_cnc_validate(metadata, length - 4096 * 300));
    assert_non_null(strstr(tp_errmsg(), "does not cover"));
    tp_cnc_publish_version(metadata, TP_CNC_COMPOSE_VERSION(1, 0, 0));
    assert_int_equal(-1, tp_cnc_validate(metadata, length));
    assert_non_null(strstr(tp_errmsg(), "1.0.0"));
    assert_int_equal(-1, tp_cnc_validate(metadata, 64));
    free(file);

    char path[64];
    assert_int_equal(0, tp_cnc_resolve_filename("/dev/shm/aeron-x", path, sizeof(path)));
    assert_string_equal("/dev/shm/aeron-x/cnc.dat", path);
    assert_int_equal(-1, tp_cnc_resolve_filename("/dev/shm/aeron-x", path, 10));
}

typedef struct seen_stct
{
    int count;
    int32_t observations[8];
    int64_t first[8];
    int64_t last[8];
    char text[8][128];
} seen_t;

static void on_error(int32_t observation_count, int64_t first_observation_timestamp, int64_t last_observation_timestamp,
                     const char *error, size_t error_length, void *clientd)
{
    seen_t *seen = clientd;
    seen->observations[seen->count] = observation_count;
    seen->first[seen->count] = first_observation_timestamp;
    seen->last[seen->count] = last_observation_timestamp;
    memcpy(seen->text[seen->count], error, error_length < 127 ? error_length : 127);
    seen->count++;
}

static void test_distinct_errors_are_counted(void **state)
{
    uint8_t *buffer = calloc(1, 4096);
    tp_distinct_error_log_t log;
    assert_int_equal(0, tp_distinct_error_log_init(&log, buffer, 4096));
    assert_false(tp_error_log_exists(buffer, 4096));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 11, "term length 1000 invalid", 100));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 11, "term length 1000 invalid", 200));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 1, "bad channel", 300));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 11, "term length 1000 invalid", 400));
    assert_true(tp_error_log_exists(buffer, 4096));
    assert_int_equal(2, tp_distinct_error_log_num_observations(&log));

    /* Record layout: length @0, count @4, last @8, first @16, text @24. */
    int32_t length;
    int32_t count;
    int64_t last;
    int64_t first;
    memcpy(&length, buffer, 4);
    memcpy(&count, buffer + 4, 4);
    memcpy(&last, buffer + 8, 8);
    memcpy(&first, buffer + 16, 8);
    assert_int_equal(24 + strlen("11: term length 1000 invalid"), length);
    assert_int_equal(3, count);
    assert_int_equal(400, last);
    assert_int_equal(100, first);

    seen_t seen = {0};
    assert_int_equal(2, tp_error_log_read(buffer, 4096, on_error, &seen, 0));
    assert_string_equal("11: term length 1000 invalid", seen.text[0]);
    assert_int_equal(1, seen.observations[1]);
    assert_string_equal("1: bad channel", seen.text[1]);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(1, tp_error_log_read(buffer, 4096, on_error, &seen, 350));

    /* Full buffer: a new distinct error is dropped, existing ones still count. */
    char big[1500];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(0, tp_distinct_error_log_record(&log, 2, big, 500));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 3, big, 500));
    assert_int_equal(-1, tp_distinct_error_log_record(&log, 4, big, 500));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 1, "bad channel", 600));
    tp_distinct_error_log_close(&log);
    free(buffer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_cnc_layout),
        cmocka_unit_test(test_distinct_errors_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
