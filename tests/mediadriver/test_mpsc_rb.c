#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/protocol/tp_mpsc_rb.h"

#define CAPACITY 1024

typedef struct captured_stct
{
    int count;
    int32_t types[64];
    size_t lengths[64];
    uint8_t payloads[64][128];
} captured_t;

static void capture_handler(int32_t msg_type_id, const void *buffer, size_t length, void *clientd)
{
    captured_t *captured = clientd;
    captured->types[captured->count] = msg_type_id;
    captured->lengths[captured->count] = length;
    memcpy(captured->payloads[captured->count], buffer, length < 128 ? length : 128);
    captured->count++;
}

static uint8_t *new_buffer(size_t capacity)
{
    uint8_t *buffer = aligned_alloc(64, capacity + TP_RB_TRAILER_LENGTH);
    memset(buffer, 0, capacity + TP_RB_TRAILER_LENGTH);
    return buffer;
}

static void test_init_rejects_non_power_of_two(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(-1, tp_mpsc_rb_init(&rb, buffer, 1000 + TP_RB_TRAILER_LENGTH));
    assert_int_equal(-1, tp_mpsc_rb_init(&rb, buffer, TP_RB_TRAILER_LENGTH));
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    assert_int_equal(CAPACITY, rb.capacity);
    assert_int_equal(CAPACITY / 8, rb.max_message_length);
    free(buffer);
}

static void test_write_layout_matches_agrona(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));

    uint8_t msg[41];
    memset(msg, 0xAB, sizeof(msg));
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 4, msg, 41));
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 1, msg, 33));

    /* length @0 = header + payload unaligned, type @4, next record at align(length, 8). */
    int32_t length;
    int32_t type;
    memcpy(&length, buffer, 4);
    memcpy(&type, buffer + 4, 4);
    assert_int_equal(49, length);
    assert_int_equal(4, type);
    memcpy(&length, buffer + 56, 4);
    memcpy(&type, buffer + 60, 4);
    assert_int_equal(41, length);
    assert_int_equal(1, type);
    int64_t tail;
    memcpy(&tail, buffer + CAPACITY + TP_RB_TAIL_POSITION_OFFSET, 8);
    assert_int_equal(104, tail);

    captured_t captured = {0};
    assert_int_equal(2, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10));
    assert_int_equal(4, captured.types[0]);
    assert_int_equal(41, captured.lengths[0]);
    assert_int_equal(33, captured.lengths[1]);
    assert_memory_equal(msg, captured.payloads[0], 41);

    /* Consumed bytes are zeroed and the head moved. */
    for (size_t i = 0; i < 104; i++)
    {
        assert_int_equal(0, buffer[i]);
    }
    assert_int_equal(104, tp_mpsc_rb_consumer_position(&rb));
    assert_int_equal(0, tp_mpsc_rb_size(&rb));
    free(buffer);
}

static void test_rejects_bad_type_and_oversize(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    uint8_t msg[CAPACITY] = {0};
    assert_int_equal(TP_RB_ERROR, tp_mpsc_rb_write(&rb, 0, msg, 8));
    assert_int_equal(TP_RB_ERROR, tp_mpsc_rb_write(&rb, 1, msg, CAPACITY / 8 + 1));
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 1, msg, CAPACITY / 8));
    free(buffer);
}

static void test_full_then_drained(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    uint8_t msg[120] = {0};
    int written = 0;
    while (TP_RB_SUCCESS == tp_mpsc_rb_write(&rb, 7, msg, sizeof(msg)))
    {
        written++;
    }
    assert_int_equal(CAPACITY / 128, written);
    assert_int_equal(TP_RB_FULL, tp_mpsc_rb_write(&rb, 7, msg, sizeof(msg)));
    captured_t captured = {0};
    assert_int_equal(2, tp_mpsc_rb_read(&rb, capture_handler, &captured, 2));
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 7, msg, sizeof(msg)));
    free(buffer);
}

static void test_wrap_inserts_padding(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    uint8_t msg[120];
    captured_t captured = {0};

    /* Move the tail to 960 and consume everything, so only 64 bytes remain before the end. */
    for (int i = 0; i < 7; i++)
    {
        memset(msg, i, sizeof(msg));
        assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 1, msg, sizeof(msg)));
    }
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 1, msg, 56)); /* 64 bytes: tail at 960 */
    assert_int_equal(8, tp_mpsc_rb_read(&rb, capture_handler, &captured, 100));
    assert_int_equal(960, tp_mpsc_rb_consumer_position(&rb));

    memset(msg, 0x5A, sizeof(msg));
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 9, msg, 100)); /* 112 bytes > 64 to the end */
    int32_t length;
    int32_t type;
    memcpy(&length, buffer + 960, 4);
    memcpy(&type, buffer + 964, 4);
    assert_int_equal(64, length);
    assert_int_equal(TP_RB_PADDING_MSG_TYPE_ID, type);
    memcpy(&length, buffer, 4);
    assert_int_equal(108, length);
    assert_int_equal(1024 + 112, tp_mpsc_rb_producer_position(&rb));

    /* The first read consumes only the padding (one contiguous block), the second delivers the record. */
    captured.count = 0;
    assert_int_equal(0, tp_mpsc_rb_read(&rb, capture_handler, &captured, 100));
    assert_int_equal(1024, tp_mpsc_rb_consumer_position(&rb));
    assert_int_equal(1, tp_mpsc_rb_read(&rb, capture_handler, &captured, 100));
    assert_int_equal(9, captured.types[0]);
    assert_int_equal(100, captured.lengths[0]);
    assert_memory_equal(msg, captured.payloads[0], 100);
    free(buffer);
}

static void test_try_claim_commit_abort(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));

    int32_t index = tp_mpsc_rb_try_claim(&rb, 3, 16);
    assert_int_equal(8, index);
    int32_t length;
    memcpy(&length, buffer, 4);
    assert_int_equal(-24, length);
    captured_t captured = {0};
    assert_int_equal(0, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10)); /* not committed yet */
    memset(buffer + index, 0x11, 16);
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_commit(&rb, index));
    assert_int_equal(TP_RB_ERROR, tp_mpsc_rb_commit(&rb, index)); /* already committed */

    int32_t index2 = tp_mpsc_rb_try_claim(&rb, 3, 16);
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_abort(&rb, index2));
    assert_int_equal(1, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10));
    assert_int_equal(3, captured.types[0]);
    assert_int_equal(0x11, captured.payloads[0][15]);
    assert_int_equal(48, tp_mpsc_rb_consumer_position(&rb));
    free(buffer);
}

static void test_correlation_and_heartbeat(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    assert_int_equal(0, tp_mpsc_rb_next_correlation_id(&rb));
    assert_int_equal(1, tp_mpsc_rb_next_correlation_id(&rb));
    int64_t counter;
    memcpy(&counter, buffer + CAPACITY + TP_RB_CORRELATION_COUNTER_OFFSET, 8);
    assert_int_equal(2, counter);
    tp_mpsc_rb_consumer_heartbeat_time(&rb, 123456);
    int64_t heartbeat;
    memcpy(&heartbeat, buffer + CAPACITY + TP_RB_CONSUMER_HEARTBEAT_OFFSET, 8);
    assert_int_equal(123456, heartbeat);
    assert_int_equal(123456, tp_mpsc_rb_consumer_heartbeat_time_value(&rb));
    free(buffer);
}

static void test_unblock_claimed_record(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    uint8_t msg[16] = {0};
    assert_false(tp_mpsc_rb_unblock(&rb));

    /* A producer dies between claim and commit; a later record is stuck behind it. */
    int32_t index = tp_mpsc_rb_try_claim(&rb, 5, 16);
    assert_true(index > 0);
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 6, msg, sizeof(msg)));
    captured_t captured = {0};
    assert_int_equal(0, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10));
    assert_true(tp_mpsc_rb_unblock(&rb));
    assert_int_equal(1, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10));
    assert_int_equal(6, captured.types[0]);
    free(buffer);
}

static void test_unblock_zero_gap(void **state)
{
    uint8_t *buffer = new_buffer(CAPACITY);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, CAPACITY + TP_RB_TRAILER_LENGTH));
    uint8_t msg[16] = {0};
    /* Simulate a producer that moved the tail by 32 bytes but wrote nothing at all. */
    rb.descriptor->tail_position = 32;
    assert_int_equal(TP_RB_SUCCESS, tp_mpsc_rb_write(&rb, 6, msg, sizeof(msg)));
    captured_t captured = {0};
    assert_int_equal(0, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10));
    assert_true(tp_mpsc_rb_unblock(&rb));
    int32_t length;
    memcpy(&length, buffer, 4);
    assert_int_equal(32, length);
    assert_int_equal(1, tp_mpsc_rb_read(&rb, capture_handler, &captured, 10));
    assert_int_equal(6, captured.types[0]);
    free(buffer);
}

#define PRODUCERS             4
#define MESSAGES_PER_PRODUCER 20000

typedef struct producer_arg_stct
{
    tp_mpsc_rb_t *rb;
    int32_t producer_id;
} producer_arg_t;

static void *producer_main(void *arg)
{
    producer_arg_t *producer = arg;
    for (int32_t seq = 0; seq < MESSAGES_PER_PRODUCER; seq++)
    {
        /* Vary the length so records straddle the end of the buffer at many different offsets. */
        int32_t msg[6] = {producer->producer_id, seq, seq, seq, seq, seq};
        size_t length = 8 + (size_t)(seq % 5) * 4;
        while (TP_RB_SUCCESS != tp_mpsc_rb_write(producer->rb, 1 + producer->producer_id, msg, length))
        {
            sched_yield();
        }
    }
    return NULL;
}

typedef struct consumer_state_stct
{
    int32_t next_seq[PRODUCERS];
    int64_t total;
    int errors;
} consumer_state_t;

static void consumer_handler(int32_t msg_type_id, const void *buffer, size_t length, void *clientd)
{
    consumer_state_t *consumer = clientd;
    int32_t msg[6];
    memcpy(msg, buffer, length);
    const int32_t producer_id = msg[0];
    if (producer_id < 0 || producer_id >= PRODUCERS || msg_type_id != 1 + producer_id ||
        msg[1] != consumer->next_seq[producer_id] || length != 8 + (size_t)(msg[1] % 5) * 4)
    {
        consumer->errors++;
        return;
    }
    for (size_t i = 2; i < length / 4; i++)
    {
        if (msg[i] != msg[1])
        {
            consumer->errors++;
        }
    }
    consumer->next_seq[producer_id]++;
    consumer->total++;
}

static void test_concurrent_producers_keep_per_producer_order(void **state)
{
    uint8_t *buffer = new_buffer(4096);
    tp_mpsc_rb_t rb;
    assert_int_equal(0, tp_mpsc_rb_init(&rb, buffer, 4096 + TP_RB_TRAILER_LENGTH));
    pthread_t threads[PRODUCERS];
    producer_arg_t args[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
    {
        args[i].rb = &rb;
        args[i].producer_id = i;
        assert_int_equal(0, pthread_create(&threads[i], NULL, producer_main, &args[i]));
    }
    consumer_state_t consumer = {0};
    while (consumer.total < (int64_t)PRODUCERS * MESSAGES_PER_PRODUCER && 0 == consumer.errors)
    {
        if (0 == tp_mpsc_rb_read(&rb, consumer_handler, &consumer, 50))
        {
            sched_yield();
        }
    }
    for (int i = 0; i < PRODUCERS; i++)
    {
        pthread_join(threads[i], NULL);
    }
    assert_int_equal(0, consumer.errors);
    assert_int_equal((int64_t)PRODUCERS * MESSAGES_PER_PRODUCER, consumer.total);
    assert_int_equal(tp_mpsc_rb_producer_position(&rb), tp_mpsc_rb_consumer_position(&rb));
    for (size_t i = 0; i < 4096; i++)
    {
        assert_int_equal(0, buffer[i]);
    }
    free(buffer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_non_power_of_two),
        cmocka_unit_test(test_write_layout_matches_agrona),
        cmocka_unit_test(test_rejects_bad_type_and_oversize),
        cmocka_unit_test(test_full_then_drained),
        cmocka_unit_test(test_wrap_inserts_padding),
        cmocka_unit_test(test_try_claim_commit_abort),
        cmocka_unit_test(test_correlation_and_heartbeat),
        cmocka_unit_test(test_unblock_claimed_record),
        cmocka_unit_test(test_unblock_zero_gap),
        cmocka_unit_test(test_concurrent_producers_keep_per_producer_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
