#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/protocol/tp_counters.h"

#define NUM_COUNTERS 16

typedef struct fixture_stct
{
    uint8_t metadata[NUM_COUNTERS * TP_COUNTER_METADATA_LENGTH];
    uint8_t values[NUM_COUNTERS * TP_COUNTER_VALUE_LENGTH];
    tp_counters_manager_t manager;
    tp_counters_reader_t reader;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (tp_counters_manager_init(&f->manager, f->metadata, sizeof(f->metadata), f->values, sizeof(f->values), 1000) < 0)
    {
        return -1;
    }
    tp_counters_reader_init(&f->reader, f->metadata, sizeof(f->metadata), f->values, sizeof(f->values));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tp_counters_manager_close(&f->manager);
    free(f);
    return 0;
}

static int32_t allocate(fixture_t *f, int32_t type_id, int64_t key, const char *label, int64_t now_ms)
{
    return tp_counters_manager_allocate(&f->manager, type_id, &key, sizeof(key), label, strlen(label), now_ms);
}

static void test_init_rejects_bad_lengths(void **state)
{
    fixture_t *f = *state;
    tp_counters_manager_t other;
    assert_int_equal(-1, tp_counters_manager_init(&other, f->metadata, sizeof(f->metadata), f->values, 100, 1000));
    assert_int_equal(
        -1, tp_counters_manager_init(&other, f->metadata, sizeof(f->metadata) / 2, f->values, sizeof(f->values), 1));
}

static void test_allocates_densely_with_layout(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(0, allocate(f, 0, 0, "bytes sent", 10));
    assert_int_equal(1, allocate(f, 11, 77, "client-heartbeat: id=77", 10));

    tp_counter_metadata_t *metadata = (tp_counter_metadata_t *)(f->metadata + 1 * TP_COUNTER_METADATA_LENGTH);
    assert_int_equal(TP_COUNTER_RECORD_ALLOCATED, metadata->state);
    assert_int_equal(11, metadata->type_id);
    assert_true(INT64_MAX == metadata->free_for_reuse_deadline_ms);
    int64_t key;
    memcpy(&key, f->metadata + TP_COUNTER_METADATA_LENGTH + 16, sizeof(key));
    assert_int_equal(77, key);
    int32_t label_length;
    memcpy(&label_length, f->metadata + TP_COUNTER_METADATA_LENGTH + 128, sizeof(label_length));
    assert_int_equal(23, label_length);
    assert_memory_equal("client-heartbeat: id=77", f->metadata + TP_COUNTER_METADATA_LENGTH + 132, 23);

    tp_counters_manager_set_registration_id(&f->manager, 1, 77);
    tp_counters_manager_set_owner_id(&f->manager, 1, 78);
    tp_counters_manager_set_reference_id(&f->manager, 1, 79);
    *tp_counters_manager_addr(&f->manager, 1) = 5555;
    int64_t value;
    memcpy(&value, f->values + TP_COUNTER_VALUE_LENGTH, 8);
    assert_int_equal(5555, value);
    memcpy(&value, f->values + TP_COUNTER_VALUE_LENGTH + 16, 8);
    assert_int_equal(78, value);

    int64_t id;
    assert_int_equal(0, tp_counters_reader_counter_registration_id(&f->reader, 1, &id));
    assert_int_equal(77, id);
    assert_int_equal(0, tp_counters_reader_counter_owner_id(&f->reader, 1, &id));
    assert_int_equal(78, id);
    assert_int_equal(0, tp_counters_reader_counter_reference_id(&f->reader, 1, &id));
    assert_int_equal(79, id);
    char label[64];
    assert_int_equal(23, tp_counters_reader_counter_label(&f->reader, 1, label, sizeof(label)));
    assert_string_equal("client-heartbeat: id=77", label);
    assert_int_equal(-1, tp_counters_reader_counter_label(&f->reader, NUM_COUNTERS, label, sizeof(label)));

    tp_counters_manager_append_to_label(&f->manager, 1, " name=x");
    assert_int_equal(30, tp_counters_reader_counter_label(&f->reader, 1, label, sizeof(label)));
}

static void test_free_then_reuse_only_after_deadline(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(0, allocate(f, 1, 1, "a", 0));
    assert_int_equal(1, allocate(f, 1, 2, "b", 0));
    assert_int_equal(2, allocate(f, 1, 3, "c", 0));
    tp_counters_manager_set_registration_id(&f->manager, 1, 42);
    *tp_counters_manager_addr(&f->manager, 1) = 99;

    assert_int_equal(0, tp_counters_manager_free(&f->manager, 1, 5000));
    assert_int_equal(-1, tp_counters_manager_free(&f->manager, 1, 5000)); /* double free refused */
    int32_t state_value;
    assert_int_equal(0, tp_counters_reader_counter_state(&f->reader, 1, &state_value));
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, state_value);
    int64_t deadline;
    assert_int_equal(0, tp_counters_reader_free_for_reuse_deadline_ms(&f->reader, 1, &deadline));
    assert_int_equal(6000, deadline);
    const uint8_t *key;
    assert_int_equal(0, tp_counters_reader_counter_key(&f->reader, 1, &key));
    for (int i = 0; i < TP_COUNTER_MAX_KEY_LENGTH; i++)
    {
        assert_int_equal(0, key[i]);
    }

    /* Before the deadline a fresh id is used; after it, the freed id comes back with a zeroed value record. */
    assert_int_equal(3, allocate(f, 1, 4, "d", 5999));
    assert_int_equal(1, allocate(f, 4, 5, "e", 6000));
    assert_int_equal(0, *tp_counters_manager_addr(&f->manager, 1));
    int64_t registration_id;
    assert_int_equal(0, tp_counters_reader_counter_registration_id(&f->reader, 1, &registration_id));
    assert_int_equal(0, registration_id);
    int32_t type_id;
    assert_int_equal(0, tp_counters_reader_counter_type_id(&f->reader, 1, &type_id));
    assert_int_equal(4, type_id);
}

static void test_exhaustion(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < NUM_COUNTERS; i++)
    {
        assert_int_equal(i, allocate(f, 1, i, "x", 0));
    }
    assert_int_equal(-1, allocate(f, 1, 0, "x", 0));
}

typedef struct visited_stct
{
    int count;
    int32_t ids[NUM_COUNTERS];
    int32_t type_ids[NUM_COUNTERS];
    int64_t values[NUM_COUNTERS];
} visited_t;

static void on_counter(int64_t value, int32_t id, int32_t type_id, const uint8_t *key, size_t key_length,
                       const char *label, size_t label_length, void *clientd)
{
    visited_t *visited = clientd;
    visited->ids[visited->count] = id;
    visited->type_ids[visited->count] = type_id;
    visited->values[visited->count] = value;
    visited->count++;
}

static void test_foreach_skips_reclaimed_and_stops_at_unused(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 4; i++)
    {
        assert_int_equal(i, allocate(f, 10 + i, i, "x", 0));
        *tp_counters_manager_addr(&f->manager, i) = 100 + i;
    }
    assert_int_equal(0, tp_counters_manager_free(&f->manager, 2, 0));
    /* A record beyond the first UNUSED one must not be visited. */
    tp_counter_metadata_t *stray = (tp_counter_metadata_t *)(f->metadata + 6 * TP_COUNTER_METADATA_LENGTH);
    stray->state = TP_COUNTER_RECORD_ALLOCATED;

    visited_t visited = {0};
    tp_counters_reader_foreach(&f->reader, on_counter, &visited);
    assert_int_equal(3, visited.count);
    assert_int_equal(0, visited.ids[0]);
    assert_int_equal(1, visited.ids[1]);
    assert_int_equal(3, visited.ids[2]);
    assert_int_equal(13, visited.type_ids[2]);
    assert_int_equal(103, visited.values[2]);
}

static void test_long_label_and_key_truncated(void **state)
{
    fixture_t *f = *state;
    char label[600];
    memset(label, 'L', sizeof(label));
    uint8_t key[200];
    memset(key, 0xEE, sizeof(key));
    int32_t id = tp_counters_manager_allocate(&f->manager, 1, key, sizeof(key), label, sizeof(label), 0);
    assert_int_equal(0, id);
    char out[512];
    assert_int_equal(TP_COUNTER_MAX_LABEL_LENGTH, tp_counters_reader_counter_label(&f->reader, 0, out, sizeof(out)));
    /* The key did not spill into label_length. */
    int32_t label_length;
    memcpy(&label_length, f->metadata + 128, sizeof(label_length));
    assert_int_equal(TP_COUNTER_MAX_LABEL_LENGTH, label_length);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_rejects_bad_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocates_densely_with_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_then_reuse_only_after_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_skips_reclaimed_and_stops_at_unused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_label_and_key_truncated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
