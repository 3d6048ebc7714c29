#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/protocol/tp_logbuffer.h"
#include "tensorpool/tp_error.h"

#define TERM_LENGTH (64 * 1024)

static void test_length_checks(void **state)
{
    assert_int_equal(0, tp_logbuffer_check_term_length(TERM_LENGTH));
    assert_int_equal(-1, tp_logbuffer_check_term_length(32 * 1024));
    assert_int_equal(-1, tp_logbuffer_check_term_length(100000));
    assert_non_null(strstr(tp_errmsg(), "term length 100000 is not a power of two in [65536, 1073741824]"));
    assert_int_equal(-1, tp_logbuffer_check_term_length(2LL * 1024 * 1024 * 1024));
    assert_int_equal(0, tp_logbuffer_check_page_size(4096));
    assert_int_equal(-1, tp_logbuffer_check_page_size(1000));
    assert_non_null(strstr(tp_errmsg(), "page size 1000 is not a power of two in [4096, 1073741824]"));
    assert_int_equal(0, tp_logbuffer_check_mtu_length(1408));
    assert_int_equal(-1, tp_logbuffer_check_mtu_length(1400));
    assert_int_equal(-1, tp_logbuffer_check_mtu_length(32));
    assert_int_equal(-1, tp_logbuffer_check_mtu_length(65536));

    assert_int_equal(201330688, tp_logbuffer_compute_log_length(64 * 1024 * 1024, 4096));
    /* With a bigger page the metadata is still the last 4096 bytes, not at 3 x term. */
    const int64_t log_length = tp_logbuffer_compute_log_length(TERM_LENGTH, 2 * 1024 * 1024);
    assert_int_equal(2 * 1024 * 1024, log_length);
    uint8_t *base = NULL;
    assert_ptr_equal(base + log_length - 4096, (uint8_t *)tp_logbuffer_metadata_at(base, log_length));
}

static void test_tail_packing_and_clamping(void **state)
{
    const int64_t raw = tp_logbuffer_pack_tail(-5, 1024);
    assert_int_equal(-5, tp_logbuffer_term_id(raw));
    assert_int_equal(1024, tp_logbuffer_term_offset(raw, TERM_LENGTH));
    /* An append that ran past the term end is clamped to the term length. */
    const int64_t past_end = tp_logbuffer_pack_tail(7, 66528);
    assert_int_equal(TERM_LENGTH, tp_logbuffer_term_offset(past_end, TERM_LENGTH));
    assert_int_equal(7, tp_logbuffer_term_id(past_end));
    const int64_t max_id = tp_logbuffer_pack_tail(INT32_MAX, 0);
    assert_int_equal(INT32_MAX, tp_logbuffer_term_id(max_id));
}

static void test_positions_across_term_id_wrap(void **state)
{
    const int shift = tp_logbuffer_position_bits_to_shift(TERM_LENGTH);
    assert_int_equal(16, shift);
    const int32_t initial = INT32_MAX - 1;
    /* Term ids wrap from INT32_MAX to INT32_MIN; the term count keeps growing. */
    const int32_t third = tp_logbuffer_term_id_add(initial, 2);
    assert_int_equal(INT32_MIN, third);
    const int64_t position = tp_logbuffer_compute_position(third, 96, shift, initial);
    assert_int_equal(2 * TERM_LENGTH + 96, position);
    assert_int_equal(third, tp_logbuffer_compute_term_id_from_position(position, shift, initial));
    assert_int_equal(96, tp_logbuffer_compute_term_offset_from_position(position, shift));
    assert_int_equal(2, tp_logbuffer_index_by_term(initial, third));
    assert_int_equal(2, tp_logbuffer_index_by_position(position, shift));
    assert_int_equal(2 * TERM_LENGTH, tp_logbuffer_compute_term_begin_position(third, shift, initial));

    assert_int_equal(((int64_t)TERM_LENGTH) << 31, tp_logbuffer_max_possible_position(TERM_LENGTH));
    assert_int_equal(TERM_LENGTH / 8, tp_logbuffer_compute_max_message_length(TERM_LENGTH));
    assert_int_equal(16 * 1024 * 1024, tp_logbuffer_compute_max_message_length(1024 * 1024 * 1024));
}

static void test_fragmented_length(void **state)
{
    /* The 3000-byte message of the fact sheet: two 1408-byte frames and one of align(248 + 32, 32) = 288. */
    assert_int_equal(1408 + 1408 + 288, tp_logbuffer_compute_fragmented_length(3000, 1376));
    assert_int_equal(64, tp_logbuffer_compute_fragmented_length(20, 1376));
    assert_int_equal(1408, tp_logbuffer_compute_fragmented_length(1376, 1376));
}

typedef struct log_stct
{
    uint8_t *memory;
    uint8_t *terms[3];
    tp_logbuffer_metadata_t *metadata;
} log_t;

static void log_init(log_t *log, int32_t initial_term_id)
{
    const int64_t length = tp_logbuffer_compute_log_length(TERM_LENGTH, 4096);
    log->memory = calloc(1, (size_t)length);
    for (int i = 0; i < 3; i++)
    {
        log->terms[i] = log->memory + (size_t)i * TERM_LENGTH;
    }
    log->metadata = tp_logbuffer_metadata_at(log->memory, length);
    log->metadata->term_length = TERM_LENGTH;
    log->metadata->initial_term_id = initial_term_id;
    log->metadata->mtu_length = 1408;
    tp_logbuffer_initialise_tails(log->metadata, initial_term_id);
    tp_logbuffer_fill_default_header(log->metadata, 0x1234, 1001, initial_term_id);
}

static void test_fresh_tails_and_default_header(void **state)
{
    log_t log;
    log_init(&log, 0x5ed152dd);
    int64_t tails[3];
    memcpy(tails, log.memory + 3 * TERM_LENGTH, sizeof(tails));
    assert_true(tp_logbuffer_pack_tail(0x5ed152dd, 0) == tails[0]);
    assert_true(tp_logbuffer_pack_tail(0x5ed152db, 0) == tails[1]);
    assert_true(tp_logbuffer_pack_tail(0x5ed152dc, 0) == tails[2]);
    const uint8_t expected[32] = {0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x34, 0x12, 0x00, 0x00, 0xe9, 0x03, 0x00, 0x00, 0xdd, 0x52,
                                  0xd1, 0x5e, 0,    0,    0,    0,    0,    0,    0,    0};
    assert_memory_equal(expected, log.memory + 3 * TERM_LENGTH + 320, 32);
    assert_int_equal(32, log.metadata->default_frame_header_length);
    assert_int_equal(0, tp_logbuffer_producer_position(log.metadata));
    free(log.memory);
}

static void test_rotation_moves_next_partition_and_count(void **state)
{
    log_t log;
    const int32_t initial = INT32_MAX; /* rotation crosses the term id wrap at once */
    log_init(&log, initial);
    log.metadata->term_tail_counters[0] = tp_logbuffer_pack_tail(initial, TERM_LENGTH + 1056);
    assert_int_equal(TERM_LENGTH, tp_logbuffer_producer_position(log.metadata));

    assert_true(tp_logbuffer_rotate_log(log.metadata, 0, initial));
    assert_int_equal(1, tp_logbuffer_active_term_count(log.metadata));
    assert_true(tp_logbuffer_pack_tail(INT32_MIN, 0) == log.metadata->term_tail_counters[1]);
    /* A second (losing) rotation attempt for the same term changes nothing. */
    assert_false(tp_logbuffer_rotate_log(log.metadata, 0, initial));
    assert_int_equal(1, tp_logbuffer_active_term_count(log.metadata));
    assert_true(tp_logbuffer_pack_tail(INT32_MIN, 0) == log.metadata->term_tail_counters[1]);

    log.metadata->term_tail_counters[1] = tp_logbuffer_pack_tail(INT32_MIN, 2112);
    assert_int_equal(TERM_LENGTH + 2112, tp_logbuffer_producer_position(log.metadata));

    /* Three more rotations come back to partition 1 with the term id three ahead. */
    assert_true(tp_logbuffer_rotate_log(log.metadata, 1, INT32_MIN));
    assert_true(tp_logbuffer_rotate_log(log.metadata, 2, INT32_MIN + 1));
    assert_true(tp_logbuffer_rotate_log(log.metadata, 3, INT32_MIN + 2));
    assert_int_equal(4, tp_logbuffer_active_term_count(log.metadata));
    assert_int_equal(INT32_MIN + 3, tp_logbuffer_term_id(log.metadata->term_tail_counters[1]));
    assert_int_equal(4 * (int64_t)TERM_LENGTH, tp_logbuffer_producer_position(log.metadata));
    free(log.memory);
}

static void test_initialise_tails_at_position(void **state)
{
    log_t log;
    log_init(&log, 100);
    tp_logbuffer_initialise_tails_at(log.metadata, 100, 104, 512);
    assert_int_equal(4, tp_logbuffer_active_term_count(log.metadata));
    assert_true(tp_logbuffer_pack_tail(104, 512) == log.metadata->term_tail_counters[1]);
    assert_int_equal(102, tp_logbuffer_term_id(log.metadata->term_tail_counters[2]));
    assert_int_equal(103, tp_logbuffer_term_id(log.metadata->term_tail_counters[0]));
    assert_int_equal(4 * (int64_t)TERM_LENGTH + 512, tp_logbuffer_producer_position(log.metadata));
    /* The next rotation must succeed with these tails. */
    assert_true(tp_logbuffer_rotate_log(log.metadata, 4, 104));
    assert_int_equal(105, tp_logbuffer_term_id(log.metadata->term_tail_counters[2]));
    free(log.memory);
}

static void write_frame(uint8_t *term, int32_t offset, int32_t length, int16_t type, uint8_t fill)
{
    tp_data_header_t header = {0};
    header.frame_length = length;
    header.flags = TP_FRAME_FLAGS_UNFRAGMENTED;
    header.type = type;
    header.term_offset = offset;
    memcpy(term + offset, &header, sizeof(header));
    memset(term + offset + TP_DATA_HEADER_LENGTH, fill, (size_t)length - TP_DATA_HEADER_LENGTH);
}

typedef struct fragments_stct
{
    int count;
    size_t lengths[16];
    int32_t offsets[16];
} fragments_t;

static void on_fragment(const uint8_t *buffer, size_t length, const tp_data_header_t *header, void *clientd)
{
    fragments_t *fragments = clientd;
    fragments->lengths[fragments->count] = length;
    fragments->offsets[fragments->count] = header->term_offset;
    fragments->count++;
}

static void test_term_reader_skips_padding_and_stops_at_end(void **state)
{
    uint8_t *term = calloc(1, TERM_LENGTH);
    write_frame(term, 0, 52, TP_FRAME_TYPE_DATA, 1);
    write_frame(term, 64, 64, TP_FRAME_TYPE_PAD, 0);
    write_frame(term, 128, 100, TP_FRAME_TYPE_DATA, 2);
    fragments_t fragments = {0};
    int32_t next = 0;
    assert_int_equal(2, tp_term_reader_read(term, 0, TERM_LENGTH, on_fragment, &fragments, 10, &next));
    assert_int_equal(20, fragments.lengths[0]);
    assert_int_equal(68, fragments.lengths[1]);
    assert_int_equal(128, fragments.offsets[1]);
    assert_int_equal(256, next);

    /* Fragment limit respected; a frame ending exactly at the term end stops the read. */
    memset(&fragments, 0, sizeof(fragments));
    assert_int_equal(1, tp_term_reader_read(term, 0, TERM_LENGTH, on_fragment, &fragments, 1, &next));
    assert_int_equal(64, next);
    write_frame(term, TERM_LENGTH - 64, 64, TP_FRAME_TYPE_DATA, 3);
    memset(&fragments, 0, sizeof(fragments));
    assert_int_equal(1, tp_term_reader_read(term, TERM_LENGTH - 64, TERM_LENGTH, on_fragment, &fragments, 10, &next));
    assert_int_equal(TERM_LENGTH, next);
    free(term);
}

static void test_term_scanner(void **state)
{
    uint8_t *term = calloc(1, TERM_LENGTH);
    write_frame(term, 0, 52, TP_FRAME_TYPE_DATA, 1);
    write_frame(term, 64, 64, TP_FRAME_TYPE_DATA, 1);
    write_frame(term, 128, TERM_LENGTH - 128, TP_FRAME_TYPE_PAD, 0);
    int32_t padding = -1;
    assert_int_equal(64, tp_term_scanner_scan_for_availability(term, 0, TERM_LENGTH, 100, &padding));
    assert_int_equal(0, padding);
    assert_int_equal(160, tp_term_scanner_scan_for_availability(term, 0, TERM_LENGTH, 4096, &padding));
    assert_int_equal(TERM_LENGTH - 128 - 32, padding);
    free(term);
}

static void test_term_clean_zeroes_length_last(void **state)
{
    uint8_t *term = calloc(1, TERM_LENGTH);
    write_frame(term, 0, 1024, TP_FRAME_TYPE_DATA, 0xAA);
    write_frame(term, 1024, 64, TP_FRAME_TYPE_DATA, 0xBB);
    tp_term_clean(term, 0, 1024);
    for (int i = 0; i < 1024; i++)
    {
        assert_int_equal(0, term[i]);
    }
    assert_int_equal(0xBB, term[1024 + 40]);
    assert_int_equal(64, tp_frame_length_volatile(term, 1024));
    free(term);
}

static void test_unblock_negative_length_frame(void **state)
{
    log_t log;
    log_init(&log, 10);
    /* A publisher claimed 128 bytes at offset 64 and died; another wrote after it. */
    write_frame(log.terms[0], 0, 64, TP_FRAME_TYPE_DATA, 1);
    int32_t negative = -128;
    memcpy(log.terms[0] + 64, &negative, sizeof(negative));
    write_frame(log.terms[0], 192, 64, TP_FRAME_TYPE_DATA, 1);
    log.metadata->term_tail_counters[0] = tp_logbuffer_pack_tail(10, 256);

    assert_true(tp_logbuffer_unblock(log.terms, log.metadata, 64, TERM_LENGTH));
    const tp_data_header_t *pad = (const tp_data_header_t *)(log.terms[0] + 64);
    assert_int_equal(128, pad->frame_length);
    assert_int_equal(TP_FRAME_TYPE_PAD, pad->type);
    assert_int_equal(64, pad->term_offset);
    assert_int_equal(10, pad->term_id);
    assert_int_equal(0x1234, pad->session_id);
    free(log.memory);
}

static void test_unblock_zero_gap_and_to_end(void **state)
{
    log_t log;
    log_init(&log, 10);
    /* Zero gap [0, 96) followed by a committed frame: one PAD up to it. */
    write_frame(log.terms[0], 96, 64, TP_FRAME_TYPE_DATA, 1);
    log.metadata->term_tail_counters[0] = tp_logbuffer_pack_tail(10, 160);
    assert_true(tp_logbuffer_unblock(log.terms, log.metadata, 0, TERM_LENGTH));
    assert_int_equal(96, tp_frame_length_volatile(log.terms[0], 0));
    assert_true(tp_frame_is_padding(log.terms[0], 0));
    /* Nothing written at the head and nothing after it: no action. */
    assert_false(tp_logbuffer_unblock(log.terms, log.metadata, 160, TERM_LENGTH));

    /* Tail ran past the end, space from 160 to the end never written: PAD to the end and rotate. */
    log.metadata->term_tail_counters[0] = tp_logbuffer_pack_tail(10, TERM_LENGTH + 64);
    assert_true(tp_logbuffer_unblock(log.terms, log.metadata, 160, TERM_LENGTH));
    assert_int_equal(TERM_LENGTH - 160, tp_frame_length_volatile(log.terms[0], 160));
    assert_int_equal(1, tp_logbuffer_active_term_count(log.metadata));
    assert_int_equal(11, tp_logbuffer_term_id(log.metadata->term_tail_counters[1]));

    /* A consumer waiting at the start of the term after the active one just needs a rotation. */
    assert_true(tp_logbuffer_unblock(log.terms, log.metadata, 2 * (int64_t)TERM_LENGTH, TERM_LENGTH));
    assert_int_equal(2, tp_logbuffer_active_term_count(log.metadata));
    assert_int_equal(12, tp_logbuffer_term_id(log.metadata->term_tail_counters[2]));
    free(log.memory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_checks),
        cmocka_unit_test(test_tail_packing_and_clamping),
        cmocka_unit_test(test_positions_across_term_id_wrap),
        cmocka_unit_test(test_fragmented_length),
        cmocka_unit_test(test_fresh_tails_and_default_header),
        cmocka_unit_test(test_rotation_moves_next_partition_and_count),
        cmocka_unit_test(test_initialise_tails_at_position),
        cmocka_unit_test(test_term_reader_skips_padding_and_stops_at_end),
        cmocka_unit_test(test_term_scanner),
        cmocka_unit_test(test_term_clean_zeroes_length_last),
        cmocka_unit_test(test_unblock_negative_length_frame),
        cmocka_unit_test(test_unblock_zero_gap_and_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
