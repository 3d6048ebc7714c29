/*
 * Unit tests of the image read loops (plain, bounded and controlled poll) over a hand-built image and term, no
 * driver: data frames are delivered, padding is skipped, an uncommitted frame ends the poll, and the controlled
 * actions move the subscriber position as Aeron defines them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/client/aeron_client_private.h"

#define TERM_LENGTH 65536
#define SHIFT       16

static uint8_t terms[3][TERM_LENGTH] __attribute__((aligned(32)));
static int64_t subscriber_position;
static aeron_image_t image;

static void reset_image(void)
{
    memset(terms, 0, sizeof(terms));
    memset(&image, 0, sizeof(image));
    subscriber_position = 0;
    for (int i = 0; i < 3; i++)
    {
        image.terms[i] = terms[i];
    }
    image.subscriber_position = &subscriber_position;
    image.term_length = TERM_LENGTH;
    image.term_length_mask = TERM_LENGTH - 1;
    image.position_bits_to_shift = SHIFT;
    image.initial_term_id = 0;
}

/* Writes a frame of `length` payload bytes (first byte `tag`) at offset in term 0; returns the next offset. */
static int32_t put_frame(int32_t offset, int16_t type, size_t length, uint8_t tag)
{
    aeron_header_values_frame_t *frame = (aeron_header_values_frame_t *)(terms[0] + offset);
    frame->frame_length = (int32_t)length + AERON_FRAME_HEADER_LENGTH;
    frame->flags = 0xC0;
    frame->type = type;
    frame->term_offset = offset;
    frame->session_id = 9;
    frame->stream_id = 7;
    frame->term_id = 0;
    terms[0][offset + AERON_FRAME_HEADER_LENGTH] = tag;
    return offset + (int32_t)AERON_ALIGN(length + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT);
}

typedef struct seen_stct
{
    int count;
    uint8_t tags[8];
    size_t lengths[8];
    aeron_controlled_fragment_handler_action_t actions[8];
} seen_t;

static void record(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    seen_t *seen = clientd;
    assert_ptr_equal(&image, aeron_header_context(header));
    seen->tags[seen->count] = buffer[0];
    seen->lengths[seen->count] = length;
    seen->count++;
}

static aeron_controlled_fragment_handler_action_t record_controlled(void *clientd, const uint8_t *buffer, size_t length,
                                                                    aeron_header_t *header)
{
    seen_t *seen = clientd;
    aeron_controlled_fragment_handler_action_t action = seen->actions[seen->count];
    record(clientd, buffer, length, header);
    return action;
}

/* Frames: data 'a' (100 B), padding (200 B), data 'b' (10 B), then nothing committed. */
static int32_t put_three_frames(void)
{
    int32_t offset = put_frame(0, AERON_FRAME_TYPE_DATA, 100, 'a');
    offset = put_frame(offset, AERON_FRAME_TYPE_PAD, 200, 'p');
    return put_frame(offset, AERON_FRAME_TYPE_DATA, 10, 'b');
}

static void test_poll_skips_padding_and_stops_at_uncommitted_frame(void **state)
{
    (void)state;
    reset_image();
    int32_t end = put_three_frames();
    seen_t seen = {0};
    assert_int_equal(2, aeron_image_poll(&image, record, &seen, 10));
    assert_int_equal('a', seen.tags[0]);
    assert_int_equal(100, seen.lengths[0]);
    assert_int_equal('b', seen.tags[1]);
    assert_int_equal(10, seen.lengths[1]);
    assert_int_equal(end, subscriber_position);
    assert_int_equal(0, aeron_image_poll(&image, record, &seen, 10));
    assert_int_equal(end, subscriber_position);
}

static void test_bounded_poll_stops_at_limit(void **state)
{
    (void)state;
    reset_image();
    put_three_frames();
    seen_t seen = {0};
    int64_t limit = AERON_ALIGN(100 + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT);
    assert_int_equal(1, aeron_image_bounded_poll(&image, record, &seen, limit, 10));
    assert_int_equal(limit, subscriber_position);
}

static void test_controlled_poll_continue_skips_padding(void **state)
{
    (void)state;
    reset_image();
    int32_t end = put_three_frames();
    seen_t seen = {.actions = {AERON_ACTION_CONTINUE, AERON_ACTION_CONTINUE}};
    assert_int_equal(2, aeron_image_controlled_poll(&image, record_controlled, &seen, 10));
    assert_int_equal('a', seen.tags[0]);
    assert_int_equal('b', seen.tags[1]);
    assert_int_equal(10, seen.lengths[1]);
    assert_int_equal(end, subscriber_position);
}

static void test_controlled_poll_abort_rewinds_to_the_aborted_frame(void **state)
{
    (void)state;
    reset_image();
    int32_t end = put_three_frames();
    seen_t seen = {.actions = {AERON_ACTION_CONTINUE, AERON_ACTION_ABORT, AERON_ACTION_CONTINUE}};
    assert_int_equal(1, aeron_image_controlled_poll(&image, record_controlled, &seen, 10));
    /* The position passes 'a' and the padding but not the aborted 'b', which the next poll delivers again. */
    assert_int_equal(end - (int32_t)AERON_ALIGN(10 + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT),
                     subscriber_position);
    assert_int_equal(1, aeron_image_controlled_poll(&image, record_controlled, &seen, 10));
    assert_int_equal(3, seen.count);
    assert_int_equal('b', seen.tags[2]);
    assert_int_equal(end, subscriber_position);
}

static void test_controlled_poll_break_and_commit(void **state)
{
    (void)state;
    reset_image();
    int32_t end = put_three_frames();
    int32_t after_a = (int32_t)AERON_ALIGN(100 + AERON_FRAME_HEADER_LENGTH, AERON_FRAME_ALIGNMENT);
    seen_t seen = {.actions = {AERON_ACTION_BREAK}};
    assert_int_equal(1, aeron_image_controlled_poll(&image, record_controlled, &seen, 10));
    assert_int_equal(after_a, subscriber_position);

    seen_t committed = {.actions = {AERON_ACTION_COMMIT}};
    assert_int_equal(1, aeron_image_controlled_poll(&image, record_controlled, &committed, 10));
    assert_int_equal('b', committed.tags[0]);
    assert_int_equal(end, subscriber_position);
}

static void test_closed_image_polls_nothing(void **state)
{
    (void)state;
    reset_image();
    put_three_frames();
    image.is_closed = true;
    seen_t seen = {0};
    assert_int_equal(0, aeron_image_poll(&image, record, &seen, 10));
    assert_int_equal(0, aeron_image_controlled_poll(&image, record_controlled, &seen, 10));
    assert_int_equal(0, seen.count);
    assert_int_equal(0, subscriber_position);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_skips_padding_and_stops_at_uncommitted_frame),
        cmocka_unit_test(test_bounded_poll_stops_at_limit),
        cmocka_unit_test(test_controlled_poll_continue_skips_padding),
        cmocka_unit_test(test_controlled_poll_abort_rewinds_to_the_aborted_frame),
        cmocka_unit_test(test_controlled_poll_break_and_commit),
        cmocka_unit_test(test_closed_image_polls_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
