/*
 * Unit tests of the fragment assemblers and header arithmetic, fed with hand-built frames (no driver). Uses the
 * client's private header to build aeron_header_t, so it runs against tensorpool's client only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/client/aeron_client_private.h"

#define INITIAL_TERM_ID 1000
#define SHIFT           16 /* 64 KiB terms */

static uint8_t term[65536] __attribute__((aligned(32)));

/* Writes a data frame with `length` payload bytes of `fill` at `offset`; returns the next aligned offset. */
static int32_t put_frame(int32_t offset, int32_t session, int32_t term_id, uint8_t flags, size_t length, uint8_t fill)
{
    aeron_header_values_frame_t *frame = (aeron_header_values_frame_t *)(term + offset);
    frame->frame_length = (int32_t)length + 32;
    frame->version = 0;
    frame->flags = flags;
    frame->type = 1;
    frame->term_offset = offset;
    frame->session_id = session;
    frame->stream_id = 7;
    frame->term_id = term_id;
    frame->reserved_value = 0;
    memset(term + offset + 32, fill, length);
    return offset + (int32_t)AERON_ALIGN(length + 32, 32);
}

static void make_header(aeron_header_t *header, int32_t offset)
{
    header->frame = (aeron_header_values_frame_t *)(term + offset);
    header->initial_term_id = INITIAL_TERM_ID;
    header->position_bits_to_shift = SHIFT;
    header->next_term_offset_override = 0;
    header->context = NULL;
}

static void deliver(aeron_fragment_handler_t handler, void *clientd, int32_t offset)
{
    aeron_header_t header;
    make_header(&header, offset);
    handler(clientd, term + offset + 32, (size_t)header.frame->frame_length - 32, &header);
}

typedef struct captured_stct
{
    int count;
    size_t length;
    uint8_t data[16384];
    aeron_header_values_t values;
    int64_t position;
} captured_t;

static void capture(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    captured_t *c = clientd;
    c->count++;
    c->length = length;
    memcpy(c->data, buffer, length);
    aeron_header_values(header, &c->values);
    c->position = aeron_header_position(header);
}

static void test_header_position_is_end_of_frame_in_stream(void **state)
{
    put_frame(1024, 1, INITIAL_TERM_ID + 2, 0xC0, 100, 'x');
    aeron_header_t header;
    make_header(&header, 1024);
    /* Two full terms before this one, then align(1024 + 132, 32). */
    assert_int_equal(2 * 65536 + 1184, aeron_header_position(&header));
    assert_int_equal(1184, aeron_header_next_term_offset(&header));
    assert_int_equal(SHIFT, aeron_header_position_bits_to_shift(&header));
    aeron_header_values_t values;
    assert_int_equal(0, aeron_header_values(&header, &values));
    assert_int_equal(132, values.frame.frame_length);
    assert_int_equal(INITIAL_TERM_ID, values.initial_term_id);
    assert_int_equal(INITIAL_TERM_ID + 2, values.frame.term_id);
}

static void test_header_position_handles_term_id_wrap(void **state)
{
    aeron_header_t header;
    put_frame(0, 1, INT32_MIN + 1, 0xC0, 0, 0);
    make_header(&header, 0);
    header.initial_term_id = INT32_MAX; /* term ids wrap: two terms later */
    assert_int_equal(2 * 65536 + 32, aeron_header_position(&header));
}

static void test_image_assembler_reassembles_fragments(void **state)
{
    captured_t c = {0};
    aeron_image_fragment_assembler_t *a = NULL;
    assert_int_equal(0, aeron_image_fragment_assembler_create(&a, capture, &c));

    int32_t o0 = 0;
    int32_t o1 = put_frame(o0, 5, INITIAL_TERM_ID, 0xC0, 10, 'a');
    int32_t o2 = put_frame(o1, 5, INITIAL_TERM_ID, 0x80, 1376, 'b');
    int32_t o3 = put_frame(o2, 5, INITIAL_TERM_ID, 0x00, 1376, 'c');
    int32_t o4 = put_frame(o3, 5, INITIAL_TERM_ID, 0x40, 100, 'd');

    deliver(aeron_image_fragment_assembler_handler, a, o0);
    assert_int_equal(1, c.count);
    assert_int_equal(10, c.length);
    assert_int_equal(o1, c.position);

    deliver(aeron_image_fragment_assembler_handler, a, o1);
    deliver(aeron_image_fragment_assembler_handler, a, o2);
    assert_int_equal(1, c.count);
    deliver(aeron_image_fragment_assembler_handler, a, o3);
    assert_int_equal(2, c.count);
    assert_int_equal(1376 + 1376 + 100, c.length);
    assert_int_equal('b', c.data[0]);
    assert_int_equal('c', c.data[1376]);
    assert_int_equal('d', c.data[2752 + 99]);
    /* The delivered header describes the whole message and ends where the last fragment ends. */
    assert_int_equal(32 + 2852, c.values.frame.frame_length);
    assert_int_equal(0xC0, c.values.frame.flags & 0xC0);
    assert_int_equal(o1, c.values.frame.term_offset);
    assert_int_equal(o4, c.position);
    aeron_image_fragment_assembler_delete(a);
}

static void test_image_assembler_drops_message_with_a_gap(void **state)
{
    captured_t c = {0};
    aeron_image_fragment_assembler_t *a = NULL;
    assert_int_equal(0, aeron_image_fragment_assembler_create(&a, capture, &c));
    int32_t o1 = put_frame(0, 5, INITIAL_TERM_ID, 0x80, 64, 'b');
    int32_t o2 = put_frame(o1, 5, INITIAL_TERM_ID, 0x00, 64, 'c');
    int32_t o3 = put_frame(o2, 5, INITIAL_TERM_ID, 0x40, 64, 'd');
    int32_t o4 = put_frame(o3, 5, INITIAL_TERM_ID, 0xC0, 3, 'e');
    deliver(aeron_image_fragment_assembler_handler, a, 0);
    deliver(aeron_image_fragment_assembler_handler, a, o2); /* middle fragment o1 missing */
    assert_int_equal(0, c.count);
    deliver(aeron_image_fragment_assembler_handler, a, o3);
    assert_int_equal(1, c.count);
    assert_int_equal(3, c.length);
    (void)o4;
    aeron_image_fragment_assembler_delete(a);
}

static void test_subscription_assembler_keeps_sessions_apart(void **state)
{
    captured_t c = {0};
    aeron_fragment_assembler_t *a = NULL;
    assert_int_equal(0, aeron_fragment_assembler_create(&a, capture, &c));
    /* Two sessions' fragments interleaved as a subscription poll over two images could deliver them. */
    int32_t s1b = 0;
    int32_t s2b = put_frame(s1b, 1, INITIAL_TERM_ID, 0x80, 2000, '1');
    int32_t s1e_expected = AERON_ALIGN(2000 + 32, 32);
    put_frame(s2b, 2, INITIAL_TERM_ID, 0x80, 3000, '2');
    /* Each END goes where its own session expects it (BEGIN frames were already consumed, so reuse is fine). */
    deliver(aeron_fragment_assembler_handler, a, s1b);
    deliver(aeron_fragment_assembler_handler, a, s2b);

    put_frame(s1e_expected, 1, INITIAL_TERM_ID, 0x40, 10, 'x');
    deliver(aeron_fragment_assembler_handler, a, s1e_expected);
    assert_int_equal(1, c.count);
    assert_int_equal(2010, c.length);
    assert_int_equal('1', c.data[0]);
    assert_int_equal('x', c.data[2000]);
    assert_int_equal(1, c.values.frame.session_id);

    int32_t s2e_expected = s2b + AERON_ALIGN(3000 + 32, 32);
    put_frame(s2e_expected, 2, INITIAL_TERM_ID, 0x40, 20, 'y');
    deliver(aeron_fragment_assembler_handler, a, s2e_expected);
    assert_int_equal(2, c.count);
    assert_int_equal(3020, c.length);
    assert_int_equal(2, c.values.frame.session_id);
    aeron_fragment_assembler_delete(a);
}

typedef struct controlled_stct
{
    int calls;
    int aborts_left;
    size_t length;
} controlled_t;

static aeron_controlled_fragment_handler_action_t controlled_capture(void *clientd, const uint8_t *buffer,
                                                                     size_t length, aeron_header_t *header)
{
    controlled_t *c = clientd;
    c->calls++;
    c->length = length;
    if (c->aborts_left > 0)
    {
        c->aborts_left--;
        return AERON_ACTION_ABORT;
    }
    return AERON_ACTION_CONTINUE;
}

static aeron_controlled_fragment_handler_action_t deliver_controlled(void *a, int32_t offset)
{
    aeron_header_t header;
    make_header(&header, offset);
    return aeron_image_controlled_fragment_assembler_handler(a, term + offset + 32,
                                                             (size_t)header.frame->frame_length - 32, &header);
}

static void test_controlled_assembler_redelivers_after_abort(void **state)
{
    controlled_t c = {.aborts_left = 1};
    aeron_image_controlled_fragment_assembler_t *a = NULL;
    assert_int_equal(0, aeron_image_controlled_fragment_assembler_create(&a, controlled_capture, &c));
    int32_t o1 = put_frame(0, 5, INITIAL_TERM_ID, 0x80, 1376, 'b');
    put_frame(o1, 5, INITIAL_TERM_ID, 0x40, 50, 'c');
    assert_int_equal(AERON_ACTION_CONTINUE, deliver_controlled(a, 0));
    /* The delegate aborts the whole message; the image then re-offers only the END fragment. */
    assert_int_equal(AERON_ACTION_ABORT, deliver_controlled(a, o1));
    assert_int_equal(AERON_ACTION_CONTINUE, deliver_controlled(a, o1));
    assert_int_equal(2, c.calls);
    assert_int_equal(1426, c.length);
    aeron_image_controlled_fragment_assembler_delete(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_position_is_end_of_frame_in_stream),
        cmocka_unit_test(test_header_position_handles_term_id_wrap),
        cmocka_unit_test(test_image_assembler_reassembles_fragments),
        cmocka_unit_test(test_image_assembler_drops_message_with_a_gap),
        cmocka_unit_test(test_subscription_assembler_keeps_sessions_apart),
        cmocka_unit_test(test_controlled_assembler_redelivers_after_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
