#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/protocol/tp_broadcast.h"

#define CAPACITY 1024

typedef struct received_stct
{
    int count;
    int32_t last_type;
    size_t last_length;
    uint8_t last_payload[256];
    int32_t types[64];
} received_t;

static void on_message(int32_t msg_type_id, const void *buffer, size_t length, void *clientd)
{
    received_t *received = clientd;
    received->last_type = msg_type_id;
    received->last_length = length;
    memcpy(received->last_payload, buffer, length);
    if (received->count < 64)
    {
        received->types[received->count] = msg_type_id;
    }
    received->count++;
}

typedef struct fixture_stct
{
    uint8_t *buffer;
    tp_broadcast_transmitter_t transmitter;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->buffer = calloc(1, CAPACITY + TP_BROADCAST_TRAILER_LENGTH);
    if (tp_broadcast_transmitter_init(&f->transmitter, f->buffer, CAPACITY + TP_BROADCAST_TRAILER_LENGTH) < 0)
    {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    free(f->buffer);
    free(f);
    return 0;
}

static int64_t trailer(fixture_t *f, size_t offset)
{
    int64_t value;
    memcpy(&value, f->buffer + CAPACITY + offset, sizeof(value));
    return value;
}

static void test_layout_matches_agrona(void **state)
{
    fixture_t *f = *state;
    uint8_t msg[90];
    memset(msg, 0x42, sizeof(msg));
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 0x0F08, msg, 12));
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 0x0F07, msg, 12));
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 0x0F03, msg, 82));
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 0x0F02, msg, 12));

    int32_t length;
    int32_t type;
    memcpy(&length, f->buffer + 24, 4);
    memcpy(&type, f->buffer + 28, 4);
    assert_int_equal(20, length);
    assert_int_equal(0x0F07, type);
    memcpy(&length, f->buffer + 48, 4);
    assert_int_equal(90, length);
    memcpy(&type, f->buffer + 144 + 4, 4); /* 48 + align(90, 8) = 144 */
    assert_int_equal(0x0F02, type);
    assert_int_equal(168, trailer(f, TP_BROADCAST_TAIL_COUNTER_OFFSET));
    assert_int_equal(168, trailer(f, TP_BROADCAST_TAIL_INTENT_COUNTER_OFFSET));
    assert_int_equal(144, trailer(f, TP_BROADCAST_LATEST_COUNTER_OFFSET));
}

static void test_receiver_from_empty_sees_everything_in_order(void **state)
{
    fixture_t *f = *state;
    tp_broadcast_receiver_t receiver;
    assert_int_equal(0, tp_broadcast_receiver_init(&receiver, f->buffer, CAPACITY + TP_BROADCAST_TRAILER_LENGTH));
    received_t received = {0};
    assert_int_equal(0, tp_broadcast_receiver_receive(&receiver, on_message, &received));

    for (int32_t i = 1; i <= 5; i++)
    {
        assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, i, &i, sizeof(i)));
    }
    while (tp_broadcast_receiver_receive(&receiver, on_message, &received) > 0)
    {
    }
    assert_int_equal(5, received.count);
    for (int i = 0; i < 5; i++)
    {
        assert_int_equal(i + 1, received.types[i]);
    }
    tp_broadcast_receiver_close(&receiver);
}

static void test_new_receiver_replays_newest_record(void **state)
{
    fixture_t *f = *state;
    for (int32_t i = 1; i <= 3; i++)
    {
        assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, i, &i, sizeof(i)));
    }
    tp_broadcast_receiver_t receiver;
    assert_int_equal(0, tp_broadcast_receiver_init(&receiver, f->buffer, CAPACITY + TP_BROADCAST_TRAILER_LENGTH));
    received_t received = {0};
    assert_int_equal(1, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    assert_int_equal(3, received.last_type);
    assert_int_equal(0, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    tp_broadcast_receiver_close(&receiver);
}

static void test_wrap_pads_to_end_and_receiver_follows(void **state)
{
    fixture_t *f = *state;
    tp_broadcast_receiver_t receiver;
    assert_int_equal(0, tp_broadcast_receiver_init(&receiver, f->buffer, CAPACITY + TP_BROADCAST_TRAILER_LENGTH));
    received_t received = {0};
    uint8_t msg[120];

    /* 7 x 128 bytes leaves 128 at the end; a 96-byte record then a 120-byte one forces padding. */
    for (int i = 0; i < 7; i++)
    {
        memset(msg, i, sizeof(msg));
        assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 1, msg, 120));
        assert_int_equal(1, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    }
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 2, msg, 88));
    assert_int_equal(1, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    memset(msg, 0x77, sizeof(msg));
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 3, msg, 120));

    int32_t length;
    int32_t type;
    memcpy(&length, f->buffer + 992, 4);
    memcpy(&type, f->buffer + 996, 4);
    assert_int_equal(32, length);
    assert_int_equal(TP_BROADCAST_PADDING_MSG_TYPE_ID, type);
    assert_int_equal(1024 + 128, trailer(f, TP_BROADCAST_TAIL_COUNTER_OFFSET));
    assert_int_equal(1024, trailer(f, TP_BROADCAST_LATEST_COUNTER_OFFSET));

    assert_int_equal(1, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    assert_int_equal(3, received.last_type);
    assert_int_equal(120, received.last_length);
    assert_int_equal(0x77, received.last_payload[119]);
    assert_int_equal(0, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    tp_broadcast_receiver_close(&receiver);
}

static void test_lapped_receiver_reports_and_resyncs(void **state)
{
    fixture_t *f = *state;
    tp_broadcast_receiver_t receiver;
    assert_int_equal(0, tp_broadcast_receiver_init(&receiver, f->buffer, CAPACITY + TP_BROADCAST_TRAILER_LENGTH));
    received_t received = {0};
    uint8_t msg[56] = {0};

    /* Two full laps of 64-byte records while the receiver sleeps. */
    for (int32_t i = 1; i <= 40; i++)
    {
        assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, i, msg, sizeof(msg)));
    }
    assert_int_equal(TP_BROADCAST_LAPPED, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    assert_int_equal(1, receiver.lapped_count);
    /* After the lap it continues after the newest record and sees new traffic normally. */
    assert_int_equal(0, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    assert_int_equal(0, tp_broadcast_transmitter_transmit(&f->transmitter, 99, msg, sizeof(msg)));
    assert_int_equal(1, tp_broadcast_receiver_receive(&receiver, on_message, &received));
    assert_int_equal(99, received.last_type);
    tp_broadcast_receiver_close(&receiver);
}

static void test_rejects_bad_messages(void **state)
{
    fixture_t *f = *state;
    uint8_t msg[CAPACITY] = {0};
    assert_int_equal(-1, tp_broadcast_transmitter_transmit(&f->transmitter, 0, msg, 8));
    assert_int_equal(-1, tp_broadcast_transmitter_transmit(&f->transmitter, 1, msg, CAPACITY / 8 + 1));
    tp_broadcast_transmitter_t other;
    assert_int_equal(-1, tp_broadcast_transmitter_init(&other, f->buffer, 1000 + TP_BROADCAST_TRAILER_LENGTH));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_layout_matches_agrona, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receiver_from_empty_sees_everything_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_receiver_replays_newest_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrap_pads_to_end_and_receiver_follows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lapped_receiver_reports_and_resyncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_bad_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
