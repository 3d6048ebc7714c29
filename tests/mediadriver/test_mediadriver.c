#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aeron/protocol/tp_control_protocol.h"
#include "aeron/protocol/tp_distinct_error_log.h"
#include "aeron/protocol/tp_logbuffer.h"
#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "md_test_client.h"
#include "tensorpool/tp_error.h"

#define TERM_LENGTH (64 * 1024)

typedef struct fixture_stct
{
    char dir[256];
    tp_mediadriver_context_t *context;
    tp_mediadriver_t *driver;
    md_client_t client;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    md_unique_dir(f->dir, sizeof(f->dir), "cmd");
    f->context = md_test_context(f->dir, true);
    if (NULL == f->context || tp_mediadriver_start(&f->driver, f->context) < 0)
    {
        fprintf(stderr, "driver start failed: %s\n", tp_errmsg());
        return -1;
    }
    if (md_client_open(&f->client, f->dir, f->driver) < 0)
    {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    md_client_close(&f->client);
    tp_mediadriver_close(f->driver);
    tp_mediadriver_context_close(f->context);
    struct stat st;
    int gone = stat(f->dir, &st);
    free(f);
    return 0 == gone ? -1 : 0; /* delete-on-shutdown must have removed the directory */
}

typedef struct publication_ready_stct
{
    tp_publication_buffers_ready_t fields;
    char path[512];
} publication_ready_t;

static void decode_publication_ready(const md_response_t *response, publication_ready_t *ready)
{
    memcpy(&ready->fields, response->data, sizeof(ready->fields));
    assert_int_equal(sizeof(ready->fields) + (size_t)ready->fields.log_file_length, response->length);
    memcpy(ready->path, response->data + sizeof(ready->fields), (size_t)ready->fields.log_file_length);
    ready->path[ready->fields.log_file_length] = '\0';
}

typedef struct image_ready_stct
{
    tp_image_buffers_ready_t fields;
    char path[512];
    char source[64];
} image_ready_t;

static void decode_image_ready(const md_response_t *response, image_ready_t *image)
{
    memcpy(&image->fields, response->data, sizeof(image->fields));
    const size_t path_length = (size_t)image->fields.log_file_length;
    memcpy(image->path, response->data + sizeof(image->fields), path_length);
    image->path[path_length] = '\0';
    const size_t source_offset = sizeof(image->fields) + ((path_length + 3) & ~(size_t)3);
    int32_t source_length;
    memcpy(&source_length, response->data + source_offset, sizeof(source_length));
    memcpy(image->source, response->data + source_offset + 4, (size_t)source_length);
    image->source[source_length] = '\0';
    assert_int_equal(source_offset + 4 + (size_t)source_length, response->length);
}

static void test_cnc_is_published_with_aeron_layout(void **state)
{
    fixture_t *f = *state;
    tp_cnc_metadata_t *cnc = f->client.metadata;
    assert_int_equal(512, cnc->cnc_version);
    assert_int_equal(64 * 1024 + 768, cnc->to_driver_buffer_length);
    assert_int_equal(64 * 1024 + 128, cnc->to_clients_buffer_length);
    assert_int_equal(4 * 64 * 1024, cnc->counter_metadata_buffer_length);
    assert_int_equal(64 * 1024, cnc->counter_values_buffer_length);
    assert_int_equal(3000000000LL, cnc->client_liveness_timeout);
    assert_int_equal(getpid(), cnc->pid);
    const int64_t now_ms = tp_clock_epoch_ms();
    assert_true(cnc->start_timestamp <= now_ms && cnc->start_timestamp > now_ms - 10000);
    assert_true(f->client.cnc_length % 4096 == 0);
    assert_true(f->client.cnc_length >= 128 + tp_cnc_sections_length(cnc));

    /* First id handed to a client is 1; heartbeat fresh. */
    assert_int_equal(1, f->client.to_driver.descriptor->correlation_counter);
    assert_true(md_to_driver_heartbeat(&f->client) > now_ms - 5000);

    for (int32_t id = 0; id < 40; id++)
    {
        assert_int_equal(TP_COUNTER_RECORD_ALLOCATED, md_counter_state(&f->client, id));
        assert_int_equal(0, md_counter_type(&f->client, id));
        const uint8_t *key;
        assert_int_equal(0, tp_counters_reader_counter_key(&f->client.counters, id, &key));
        int32_t system_id;
        memcpy(&system_id, key, sizeof(system_id));
        assert_int_equal(id, system_id);
    }
    assert_int_equal(TP_COUNTER_RECORD_UNUSED, md_counter_state(&f->client, 40));
    assert_int_equal(77824, md_counter_value(&f->client, 34));

    char path[512];
    snprintf(path, sizeof(path), "%s/loss-report.dat", f->dir);
    assert_true(md_file_exists(path));
    snprintf(path, sizeof(path), "%s/publications", f->dir);
    assert_true(md_file_exists(path));
}

static void test_add_publication_ready_and_log_metadata(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t registration_id = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_id, registration_id, 1001, "aeron:ipc", false);

    const int ready_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, registration_id, 2000);
    assert_true(ready_index >= 0);
    /* The client's heartbeat counter is announced first. */
    const int heartbeat_index = md_find(&f->client, TP_RESPONSE_ON_COUNTER_READY, client_id, 0);
    assert_true(heartbeat_index >= 0 && heartbeat_index < ready_index);
    tp_counter_update_t heartbeat;
    memcpy(&heartbeat, f->client.responses[heartbeat_index].data, sizeof(heartbeat));
    assert_int_equal(40, heartbeat.counter_id);
    assert_int_equal(TP_COUNTER_TYPE_CLIENT_HEARTBEAT, md_counter_type(&f->client, 40));
    char label[400];
    md_counter_label(&f->client, 40, label, sizeof(label));
    char expected[64];
    snprintf(expected, sizeof(expected), "client-heartbeat: id=%" PRId64, client_id);
    assert_string_equal(expected, label);
    int64_t owner;
    tp_counters_reader_counter_owner_id(&f->client.counters, 40, &owner);
    assert_int_equal(client_id, owner);

    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[ready_index], &ready);
    assert_int_equal(registration_id, ready.fields.correlation_id);
    assert_int_equal(registration_id, ready.fields.registration_id);
    assert_int_equal(1001, ready.fields.stream_id);
    assert_int_equal(-1, ready.fields.channel_status_indicator_id);
    char expected_path[512];
    snprintf(expected_path, sizeof(expected_path), "%s/publications/%" PRId64 ".logbuffer", f->dir, registration_id);
    assert_string_equal(expected_path, ready.path);

    const int32_t limit_id = ready.fields.position_limit_counter_id;
    assert_int_equal(TP_COUNTER_TYPE_PUBLISHER_LIMIT, md_counter_type(&f->client, limit_id));
    md_counter_label(&f->client, limit_id, label, sizeof(label));
    snprintf(expected, sizeof(expected), "pub-lmt: %" PRId64 " %" PRId32 " 1001 aeron:ipc ", registration_id,
             ready.fields.session_id);
    assert_string_equal(expected, label);
    tp_counters_reader_counter_owner_id(&f->client.counters, limit_id, &owner);
    assert_int_equal(client_id, owner);
    const tp_stream_counter_key_t *key;
    assert_int_equal(0, tp_counters_reader_counter_key(&f->client.counters, limit_id, (const uint8_t **)&key));
    assert_int_equal(registration_id, key->registration_id);
    assert_int_equal(ready.fields.session_id, key->session_id);
    assert_int_equal(1001, key->stream_id);
    assert_int_equal(9, key->channel_length);
    assert_memory_equal("aeron:ipc", key->channel, 9);
    /* The pub-pos counter sits right before pub-lmt. */
    assert_int_equal(TP_COUNTER_TYPE_PUBLISHER_POSITION, md_counter_type(&f->client, limit_id - 1));

    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    assert_non_null(log);
    assert_int_equal(3 * TERM_LENGTH + 4096, log_length);
    const tp_logbuffer_metadata_t *metadata = tp_logbuffer_metadata_at(log, (int64_t)log_length);
    const int32_t initial = metadata->initial_term_id;
    assert_true(tp_logbuffer_pack_tail(initial, 0) == metadata->term_tail_counters[0]);
    assert_true(tp_logbuffer_pack_tail(initial - 2, 0) == metadata->term_tail_counters[1]);
    assert_true(tp_logbuffer_pack_tail(initial - 1, 0) == metadata->term_tail_counters[2]);
    assert_int_equal(0, metadata->active_term_count);
    assert_true(INT64_MAX == metadata->end_of_stream_position);
    assert_int_equal(0, metadata->is_connected);
    assert_int_equal(registration_id, metadata->correlation_id);
    assert_int_equal(32, metadata->default_frame_header_length);
    assert_int_equal(1408, metadata->mtu_length);
    assert_int_equal(TERM_LENGTH, metadata->term_length);
    assert_int_equal(4096, metadata->page_size);
    assert_int_equal(TERM_LENGTH / 2, metadata->publication_window_length);
    assert_int_equal(0, metadata->receiver_window_length);
    assert_int_equal(-1, metadata->entity_tag);
    assert_int_equal(-1, metadata->response_correlation_id);
    assert_int_equal(5000000000LL, metadata->linger_timeout_ns);
    assert_int_equal(10000000000LL, metadata->untethered_resting_timeout_ns);
    assert_int_equal(1, metadata->signal_eos);
    assert_int_equal(0, metadata->sparse);
    const tp_data_header_t *header = (const tp_data_header_t *)metadata->default_header;
    assert_int_equal(0, header->frame_length);
    assert_int_equal(0xC0, header->flags);
    assert_int_equal(TP_FRAME_TYPE_DATA, header->type);
    assert_int_equal(ready.fields.session_id, header->session_id);
    assert_int_equal(1001, header->stream_id);
    assert_int_equal(initial, header->term_id);
    /* No subscriber yet: the publisher may not go anywhere. */
    md_poll(&f->client, 5);
    assert_int_equal(0, md_counter_value(&f->client, limit_id));
    munmap(log, log_length);
}

static void test_concurrent_publication_is_shared_and_exclusive_is_not(void **state)
{
    fixture_t *f = *state;
    const int64_t client_a = md_next_id(&f->client);
    const int64_t client_b = md_next_id(&f->client);
    md_keep_alive(&f->client, client_a);
    md_keep_alive(&f->client, client_b);
    const int64_t first = md_next_id(&f->client);
    const int64_t second = md_next_id(&f->client);
    const int64_t exclusive = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_a, first, 7, "aeron:ipc", false);
    md_send_add_publication(&f->client, client_b, second, 7, "aeron:ipc?alias=x", false);
    md_send_add_publication(&f->client, client_b, exclusive, 7, "aeron:ipc", true);

    const int i1 = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, first, 2000);
    const int i2 = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, second, 2000);
    const int i3 = md_await(&f->client, TP_RESPONSE_ON_EXCLUSIVE_PUBLICATION_READY, exclusive, 2000);
    assert_true(i1 >= 0 && i2 > i1 && i3 > i2);
    publication_ready_t r1;
    publication_ready_t r2;
    publication_ready_t r3;
    decode_publication_ready(&f->client.responses[i1], &r1);
    decode_publication_ready(&f->client.responses[i2], &r2);
    decode_publication_ready(&f->client.responses[i3], &r3);
    assert_int_equal(second, r2.fields.correlation_id);
    assert_int_equal(first, r2.fields.registration_id); /* the original log's id */
    assert_int_equal(r1.fields.session_id, r2.fields.session_id);
    assert_int_equal(r1.fields.position_limit_counter_id, r2.fields.position_limit_counter_id);
    assert_string_equal(r1.path, r2.path);
    assert_int_equal(exclusive, r3.fields.registration_id);
    assert_int_not_equal(r1.fields.session_id, r3.fields.session_id);
    assert_string_not_equal(r1.path, r3.path);
    /* Sessions stay out of the reserved range [-1, 1000]. */
    assert_true(r1.fields.session_id < -1 || r1.fields.session_id > 1000);

    /* Removing one of the two shared links keeps the log alive. */
    const int64_t remove_id = md_next_id(&f->client);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_PUBLICATION, client_b, remove_id, second);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_OPERATION_SUCCESS, remove_id, 2000) >= 0);
    md_poll(&f->client, 300);
    assert_true(md_file_exists(r1.path));
    /* A mismatched explicit parameter cannot join the shared log. */
    const int64_t mismatch = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_a, mismatch, 7, "aeron:ipc?term-length=128k", false);
    const int error_index = md_await(&f->client, TP_RESPONSE_ON_ERROR, mismatch, 2000);
    assert_true(error_index >= 0);
    tp_error_response_t error;
    memcpy(&error, f->client.responses[error_index].data, sizeof(error));
    assert_int_equal(TP_ERROR_CODE_GENERIC_ERROR, error.error_code);
}

static void test_subscription_gets_images_from_existing_and_new_publications(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t pub_id = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_id, pub_id, 1001, "aeron:ipc", false);
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    assert_true(pub_index >= 0);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);

    const int64_t sub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, sub_id, 1001, "aeron:ipc");
    const int sub_index = md_await(&f->client, TP_RESPONSE_ON_SUBSCRIPTION_READY, sub_id, 2000);
    const int image_index = md_await(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, 2000);
    assert_true(sub_index >= 0 && image_index > sub_index);
    assert_int_equal(12, f->client.responses[sub_index].length);
    tp_subscription_ready_t sub_ready;
    memcpy(&sub_ready, f->client.responses[sub_index].data, sizeof(sub_ready));
    assert_int_equal(-1, sub_ready.channel_status_indicator_id);

    image_ready_t image;
    decode_image_ready(&f->client.responses[image_index], &image);
    assert_int_equal(pub_id, image.fields.correlation_id);
    assert_int_equal(ready.fields.session_id, image.fields.session_id);
    assert_int_equal(1001, image.fields.stream_id);
    assert_int_equal(sub_id, image.fields.subscriber_registration_id);
    assert_string_equal(ready.path, image.path);
    assert_string_equal("aeron:ipc", image.source);
    const int32_t position_id = image.fields.subscriber_position_id;
    assert_int_equal(TP_COUNTER_TYPE_SUBSCRIBER_POSITION, md_counter_type(&f->client, position_id));
    char label[400];
    char expected[128];
    md_counter_label(&f->client, position_id, label, sizeof(label));
    snprintf(expected, sizeof(expected), "sub-pos: %" PRId64 " %" PRId32 " 1001 aeron:ipc @0", sub_id,
             ready.fields.session_id);
    assert_string_equal(expected, label);
    int64_t id;
    tp_counters_reader_counter_reference_id(&f->client.counters, position_id, &id);
    assert_int_equal(pub_id, id);
    tp_counters_reader_counter_owner_id(&f->client.counters, position_id, &id);
    assert_int_equal(client_id, id);

    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    const tp_logbuffer_metadata_t *metadata = tp_logbuffer_metadata_at(log, (int64_t)log_length);
    assert_int_equal(1, tp_load_acquire_i32(&metadata->is_connected));

    /* A publication added after the subscription: READY, then the image for the existing subscription. */
    const int64_t pub2_id = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_id, pub2_id, 1001, "aeron:ipc", true);
    const int pub2_index = md_await(&f->client, TP_RESPONSE_ON_EXCLUSIVE_PUBLICATION_READY, pub2_id, 2000);
    const int image2_index = md_await(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub2_id, 2000);
    assert_true(pub2_index >= 0 && image2_index > pub2_index);

    /* Other streams are not linked. */
    const int64_t other_pub = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_id, other_pub, 2002, "aeron:ipc", false);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, other_pub, 2000) >= 0);
    md_poll(&f->client, 20);
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, other_pub, 0));

    /* Removing the subscription frees its positions and disconnects the log. */
    const int64_t remove_id = md_next_id(&f->client);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_SUBSCRIPTION, client_id, remove_id, sub_id);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_OPERATION_SUCCESS, remove_id, 2000) >= 0);
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, position_id));
    assert_int_equal(0, tp_load_acquire_i32(&metadata->is_connected));
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, 0));
    munmap(log, log_length);
}

/* Appends one committed DATA frame of `length` bytes at the producer side and returns the new position. */
static int64_t append_frame(uint8_t *log, size_t log_length, int32_t length)
{
    tp_logbuffer_metadata_t *metadata = tp_logbuffer_metadata_at(log, (int64_t)log_length);
    const int32_t term_count = tp_logbuffer_active_term_count(metadata);
    const int index = tp_logbuffer_index_by_term_count(term_count);
    const int64_t raw_tail = metadata->term_tail_counters[index];
    const int32_t offset = tp_logbuffer_term_offset(raw_tail, TERM_LENGTH);
    const int32_t aligned = (length + 31) & ~31;
    uint8_t *term = log + (size_t)index * TERM_LENGTH;
    tp_data_header_t header;
    memcpy(&header, metadata->default_header, sizeof(header));
    header.frame_length = length;
    header.term_offset = offset;
    header.term_id = tp_logbuffer_term_id(raw_tail);
    memcpy(term + offset, &header, sizeof(header));
    memset(term + offset + 32, 0xAB, (size_t)length - 32);
    metadata->term_tail_counters[index] = raw_tail + aligned;
    return tp_logbuffer_producer_position(metadata);
}

static void test_publication_limit_follows_slowest_subscriber(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t sub_a = md_next_id(&f->client);
    const int64_t pub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, sub_a, 5, "aeron:ipc");
    md_send_add_publication(&f->client, client_id, pub_id, 5, "aeron:ipc", false);
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    const int image_a_index = md_await(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, 2000);
    assert_true(pub_index >= 0 && image_a_index > pub_index);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);
    image_ready_t image_a;
    decode_image_ready(&f->client.responses[image_a_index], &image_a);
    const int32_t limit_id = ready.fields.position_limit_counter_id;
    int64_t *position_a = md_counter_addr(&f->client, image_a.fields.subscriber_position_id);

    md_poll(&f->client, 5);
    const int64_t window = TERM_LENGTH / 2;
    assert_int_equal(window, md_counter_value(&f->client, limit_id));

    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    int64_t producer = 0;
    for (int i = 0; i < 8; i++)
    {
        producer = append_frame(log, log_length, 1024);
    }
    assert_int_equal(8 * 1024, producer);

    /* Less than window / 8 of progress does not move the limit (hysteresis)... */
    tp_store_release_i64(position_a, 2048);
    md_poll(&f->client, 5);
    assert_int_equal(window, md_counter_value(&f->client, limit_id));
    /* ...more does, and consumed space behind the subscriber is zeroed. */
    tp_store_release_i64(position_a, 6144);
    md_poll(&f->client, 5);
    assert_int_equal(6144 + window, md_counter_value(&f->client, limit_id));
    assert_int_equal(8 * 1024, md_counter_value(&f->client, limit_id - 1)); /* pub-pos */
    for (size_t i = 0; i < 6144; i++)
    {
        assert_int_equal(0, log[i]);
    }
    assert_int_equal(1024, tp_frame_length_volatile(log, 6144));

    /*
     * A late joiner starts at the slowest current position, as it is now (the driver has not run a duty
     * cycle since this move); the slowest then holds the limit back.
     */
    tp_store_release_i64(position_a, 7168);
    const int64_t sub_b = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, sub_b, 5, "aeron:ipc");
    const int image_b_index = md_find(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, (size_t)image_a_index + 1);
    assert_int_equal(-1, image_b_index);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_SUBSCRIPTION_READY, sub_b, 2000) >= 0);
    md_poll(&f->client, 5);
    const int b_index = md_find(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, (size_t)image_a_index + 1);
    assert_true(b_index >= 0);
    image_ready_t image_b;
    decode_image_ready(&f->client.responses[b_index], &image_b);
    int64_t *position_b = md_counter_addr(&f->client, image_b.fields.subscriber_position_id);
    assert_int_equal(7168, *position_b);
    char label[400];
    md_counter_label(&f->client, image_b.fields.subscriber_position_id, label, sizeof(label));
    assert_non_null(strstr(label, "@7168"));

    tp_store_release_i64(position_a, 8192);
    md_poll(&f->client, 5);
    assert_int_equal(6144 + window, md_counter_value(&f->client, limit_id));
    tp_store_release_i64(position_b, 8192);
    md_poll(&f->client, 5);
    assert_int_equal(6144 + window, md_counter_value(&f->client, limit_id)); /* within window / 8 */
    for (int i = 0; i < 8; i++)
    {
        append_frame(log, log_length, 1024);
    }
    tp_store_release_i64(position_a, 12288);
    tp_store_release_i64(position_b, 12288);
    md_poll(&f->client, 5);
    assert_int_equal(12288 + window, md_counter_value(&f->client, limit_id));
    munmap(log, log_length);
}

static void test_remove_publication_drains_then_deletes(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t sub_id = md_next_id(&f->client);
    const int64_t pub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, sub_id, 9, "aeron:ipc");
    md_send_add_publication(&f->client, client_id, pub_id, 9, "aeron:ipc", false);
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    const int image_index = md_await(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, 2000);
    assert_true(pub_index >= 0 && image_index >= 0);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);
    image_ready_t image;
    decode_image_ready(&f->client.responses[image_index], &image);
    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    const tp_logbuffer_metadata_t *metadata = tp_logbuffer_metadata_at(log, (int64_t)log_length);
    const int64_t producer = append_frame(log, log_length, 100);

    const int64_t remove_id = md_next_id(&f->client);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_PUBLICATION, client_id, remove_id, pub_id);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_OPERATION_SUCCESS, remove_id, 2000) >= 0);
    assert_int_equal(producer, tp_load_acquire_i64(&metadata->end_of_stream_position));
    assert_int_equal(producer, md_counter_value(&f->client, ready.fields.position_limit_counter_id));

    /* The subscriber has not consumed the last frame yet: the image stays. */
    md_poll(&f->client, 400);
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, 0));
    assert_true(md_file_exists(ready.path));

    tp_store_release_i64(md_counter_addr(&f->client, image.fields.subscriber_position_id), producer);
    const int unavailable_index = md_await(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, 2000);
    assert_true(unavailable_index >= 0);
    const md_response_t *response = &f->client.responses[unavailable_index];
    tp_image_message_t message;
    memcpy(&message, response->data, sizeof(message));
    assert_int_equal(sub_id, message.subscription_registration_id);
    assert_int_equal(9, message.stream_id);
    assert_int_equal(9, message.channel_length);
    assert_memory_equal("aeron:ipc", response->data + sizeof(message), 9);
    assert_int_equal(sizeof(message) + 9, response->length);

    assert_true(md_await_file_gone(&f->client, ready.path, 3000));
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, ready.fields.position_limit_counter_id));
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, image.fields.subscriber_position_id));
    munmap(log, log_length);

    /* Unknown removes are answered with their error codes. */
    const int64_t bad_pub = md_next_id(&f->client);
    const int64_t bad_sub = md_next_id(&f->client);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_PUBLICATION, client_id, bad_pub, 999999);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_SUBSCRIPTION, client_id, bad_sub, 999999);
    const int e1 = md_await(&f->client, TP_RESPONSE_ON_ERROR, bad_pub, 2000);
    const int e2 = md_await(&f->client, TP_RESPONSE_ON_ERROR, bad_sub, 2000);
    assert_true(e1 >= 0 && e2 >= 0);
    tp_error_response_t error;
    memcpy(&error, f->client.responses[e1].data, sizeof(error));
    assert_int_equal(TP_ERROR_CODE_UNKNOWN_PUBLICATION, error.error_code);
    memcpy(&error, f->client.responses[e2].data, sizeof(error));
    assert_int_equal(TP_ERROR_CODE_UNKNOWN_SUBSCRIPTION, error.error_code);
}

static void expect_error(fixture_t *f, int64_t correlation_id, int32_t code, const char *text1, const char *text2)
{
    const int index = md_await(&f->client, TP_RESPONSE_ON_ERROR, correlation_id, 2000);
    assert_true(index >= 0);
    const md_response_t *response = &f->client.responses[index];
    tp_error_response_t error;
    memcpy(&error, response->data, sizeof(error));
    assert_int_equal(code, error.error_code);
    assert_int_equal(sizeof(error) + (size_t)error.error_message_length, response->length);
    char message[1024];
    memcpy(message, response->data + sizeof(error), (size_t)error.error_message_length);
    message[error.error_message_length] = '\0';
    assert_null(strstr(message, ".c:")); /* no source locations leak to clients */
    if (NULL != text1)
    {
        assert_non_null(strstr(message, text1));
    }
    if (NULL != text2)
    {
        assert_non_null(strstr(message, text2));
    }
}

static void test_unserved_channels_and_bad_values_are_refused(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t udp_pub = md_next_id(&f->client);
    const int64_t udp_sub = md_next_id(&f->client);
    const int64_t spy_sub = md_next_id(&f->client);
    const int64_t bad_media = md_next_id(&f->client);
    const int64_t bad_term = md_next_id(&f->client);
    const int64_t bad_mtu = md_next_id(&f->client);
    md_send_add_publication(&f->client, client_id, udp_pub, 1, "aeron:udp?endpoint=localhost:20121", false);
    md_send_add_subscription(&f->client, client_id, udp_sub, 1, "aeron:udp?endpoint=localhost:20121");
    md_send_add_subscription(&f->client, client_id, spy_sub, 1, "aeron-spy:aeron:udp?endpoint=localhost:20121");
    md_send_add_publication(&f->client, client_id, bad_media, 1, "aeron:ipcx", false);
    md_send_add_publication(&f->client, client_id, bad_term, 1, "aeron:ipc?term-length=1000", false);
    md_send_add_publication(&f->client, client_id, bad_mtu, 1, "aeron:ipc?mtu=1000", true);

    expect_error(f, udp_pub, TP_ERROR_CODE_NOT_SUPPORTED, "aeron:ipc channels only", "official Aeron media driver");
    expect_error(f, udp_sub, TP_ERROR_CODE_NOT_SUPPORTED, "aeron:udp?endpoint=localhost:20121", "UDP");
    expect_error(f, spy_sub, TP_ERROR_CODE_NOT_SUPPORTED, "aeron-spy:", "official Aeron media driver");
    expect_error(f, bad_media, TP_ERROR_CODE_INVALID_CHANNEL, "aeron:ipcx", NULL);
    expect_error(f, bad_term, TP_ERROR_CODE_GENERIC_ERROR, "term length 1000", NULL);
    expect_error(f, bad_mtu, TP_ERROR_CODE_GENERIC_ERROR, "1000", NULL);
    /* A refused add registers nothing: no heartbeat counter was announced for this client. */
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_COUNTER_READY, client_id, 0));
    assert_int_equal(TP_COUNTER_RECORD_UNUSED, md_counter_state(&f->client, 40));
    /* Every refusal was counted and logged. */
    assert_int_equal(6, md_counter_value(&f->client, 15));
    assert_true(tp_error_log_exists(tp_cnc_error_log_buffer(f->client.metadata),
                                    (size_t)f->client.metadata->error_log_buffer_length));
}

static void test_client_timeout_frees_everything(void **state)
{
    fixture_t *f = *state;
    const int64_t dying = md_next_id(&f->client);
    const int64_t living = md_next_id(&f->client);
    md_keep_alive(&f->client, living);
    const int64_t pub_id = md_next_id(&f->client);
    const int64_t sub_id = md_next_id(&f->client);
    const int64_t counter_id_reg = md_next_id(&f->client);
    const int64_t living_sub = md_next_id(&f->client);
    md_send_add_publication(&f->client, dying, pub_id, 3, "aeron:ipc", false);
    md_send_add_subscription(&f->client, dying, sub_id, 3, "aeron:ipc");
    {
        uint8_t buffer[128];
        tp_counter_command_t command = {
            .correlated = {.client_id = dying, .correlation_id = counter_id_reg}, .type_id = 1001, .key_length = 3};
        memcpy(buffer, &command, sizeof(command));
        memcpy(buffer + sizeof(command), "abc\0", 4);
        const int32_t label_length = 5;
        memcpy(buffer + sizeof(command) + 4, &label_length, 4);
        memcpy(buffer + sizeof(command) + 8, "hello", 5);
        assert_int_equal(0,
                         tp_mpsc_rb_write(&f->client.to_driver, TP_COMMAND_ADD_COUNTER, buffer, sizeof(command) + 13));
    }
    md_send_add_subscription(&f->client, living, living_sub, 3, "aeron:ipc");
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    const int user_counter_index = md_await(&f->client, TP_RESPONSE_ON_COUNTER_READY, counter_id_reg, 2000);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_SUBSCRIPTION_READY, living_sub, 2000) >= 0);
    assert_true(pub_index >= 0 && user_counter_index >= 0);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);
    tp_counter_update_t user_counter;
    memcpy(&user_counter, f->client.responses[user_counter_index].data, sizeof(user_counter));
    assert_int_equal(1001, md_counter_type(&f->client, user_counter.counter_id));
    char label[64];
    md_counter_label(&f->client, user_counter.counter_id, label, sizeof(label));
    assert_string_equal("hello", label);
    const int heartbeat_index = md_find(&f->client, TP_RESPONSE_ON_COUNTER_READY, dying, 0);
    assert_true(heartbeat_index >= 0);
    tp_counter_update_t heartbeat;
    memcpy(&heartbeat, f->client.responses[heartbeat_index].data, sizeof(heartbeat));

    /* The dying client never refreshes its heartbeat: after the 3 s liveness timeout it is reaped. */
    const int timeout_index = md_await(&f->client, TP_RESPONSE_ON_CLIENT_TIMEOUT, dying, 10000);
    assert_true(timeout_index >= 0);
    const int unavailable_index = md_await(&f->client, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, dying, 1000);
    assert_true(unavailable_index > timeout_index);
    tp_counter_update_t unavailable;
    memcpy(&unavailable, f->client.responses[unavailable_index].data, sizeof(unavailable));
    assert_int_equal(heartbeat.counter_id, unavailable.counter_id);
    assert_true(md_find(&f->client, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, counter_id_reg, 0) >= 0);
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_CLIENT_TIMEOUT, living, 0));
    assert_int_equal(1, md_counter_value(&f->client, 24));

    /* Its publication drains (the living subscriber sees it go) and the log is deleted. */
    assert_true(md_await(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, 2000) >= 0);
    assert_true(md_await_file_gone(&f->client, ready.path, 3000));
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, heartbeat.counter_id));
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, user_counter.counter_id));
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, ready.fields.position_limit_counter_id));
}

static void test_counters_and_client_close(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t sub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, sub_id, 3, "aeron:ipc");
    assert_true(md_await(&f->client, TP_RESPONSE_ON_SUBSCRIPTION_READY, sub_id, 2000) >= 0);

    /* ADD_COUNTER with an empty key and label, then REMOVE_COUNTER. */
    const int64_t counter_reg = md_next_id(&f->client);
    uint8_t buffer[64];
    tp_counter_command_t command = {
        .correlated = {.client_id = client_id, .correlation_id = counter_reg}, .type_id = 2000, .key_length = 0};
    const int32_t label_length = 0;
    memcpy(buffer, &command, sizeof(command));
    memcpy(buffer + sizeof(command), &label_length, sizeof(label_length));
    assert_int_equal(0, tp_mpsc_rb_write(&f->client.to_driver, TP_COMMAND_ADD_COUNTER, buffer, sizeof(command) + 4));
    const int ready_index = md_await(&f->client, TP_RESPONSE_ON_COUNTER_READY, counter_reg, 2000);
    assert_true(ready_index >= 0);
    tp_counter_update_t ready;
    memcpy(&ready, f->client.responses[ready_index].data, sizeof(ready));
    int64_t registration_id;
    tp_counters_reader_counter_registration_id(&f->client.counters, ready.counter_id, &registration_id);
    assert_int_equal(counter_reg, registration_id);
    const int64_t remove_id = md_next_id(&f->client);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_COUNTER, client_id, remove_id, counter_reg);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_OPERATION_SUCCESS, remove_id, 2000) >= 0);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, counter_reg, 2000) >= 0);
    assert_int_equal(TP_COUNTER_RECORD_RECLAIMED, md_counter_state(&f->client, ready.counter_id));
    const int64_t bad_remove = md_next_id(&f->client);
    md_send_remove(&f->client, TP_COMMAND_REMOVE_COUNTER, client_id, bad_remove, counter_reg);
    const int error_index = md_await(&f->client, TP_RESPONSE_ON_ERROR, bad_remove, 2000);
    assert_true(error_index >= 0);
    tp_error_response_t error;
    memcpy(&error, f->client.responses[error_index].data, sizeof(error));
    assert_int_equal(TP_ERROR_CODE_UNKNOWN_COUNTER, error.error_code);

    md_stop_keep_alive(&f->client, client_id);
    md_send_simple(&f->client, TP_COMMAND_CLIENT_CLOSE, client_id, -1);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, client_id, 1000) >= 0);
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_CLIENT_TIMEOUT, client_id, 0));
    assert_int_equal(0, md_counter_value(&f->client, 24));
}

static void test_stuck_publication_is_unblocked(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t sub_id = md_next_id(&f->client);
    const int64_t pub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, sub_id, 4, "aeron:ipc");
    md_send_add_publication(&f->client, client_id, pub_id, 4, "aeron:ipc", false);
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    assert_true(md_await(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, 2000) >= 0);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);
    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    tp_logbuffer_metadata_t *metadata = tp_logbuffer_metadata_at(log, (int64_t)log_length);

    /* A publisher claimed 256 bytes at offset 0 and died; another appended behind it. */
    metadata->term_tail_counters[0] += 256;
    const int32_t claimed = -256;
    memcpy(log, &claimed, sizeof(claimed));
    append_frame(log, log_length, 64);

    /* Unblocked once the reader has been stuck for the 5 s unblock timeout (waits at most 12 s). */
    const uint64_t deadline = tp_clock_monotonic_ns() + 12000000000ULL;
    while (0 == md_counter_value(&f->client, 19) && tp_clock_monotonic_ns() < deadline)
    {
        md_poll(&f->client, 10);
    }
    assert_int_equal(1, md_counter_value(&f->client, 19));
    const tp_data_header_t *pad = (const tp_data_header_t *)log;
    assert_int_equal(256, pad->frame_length);
    assert_int_equal(TP_FRAME_TYPE_PAD, pad->type);
    munmap(log, log_length);
}

/* Index of an image response (available or unavailable) for this publication and subscription, from `from`. */
static int find_image_event(const md_client_t *client, int32_t type, int64_t pub_id, int64_t sub_id, size_t from)
{
    for (int index = md_find(client, type, pub_id, from); index >= 0;
         index = md_find(client, type, pub_id, (size_t)index + 1))
    {
        int64_t subscription;
        memcpy(&subscription, client->responses[index].data + (TP_RESPONSE_ON_AVAILABLE_IMAGE == type ? 16 : 8),
               sizeof(subscription));
        if (subscription == sub_id)
        {
            return index;
        }
    }
    return -1;
}

static int await_image_event(md_client_t *client, int32_t type, int64_t pub_id, int64_t sub_id, size_t from,
                             int timeout_ms)
{
    const uint64_t deadline = tp_clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000ULL;
    int index;
    while ((index = find_image_event(client, type, pub_id, sub_id, from)) < 0 && tp_clock_monotonic_ns() < deadline)
    {
        md_poll(client, 1);
    }
    return index;
}

static void test_untethered_subscriber_is_dropped_then_rejoins(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t fast_sub = md_next_id(&f->client);
    const int64_t slow_sub = md_next_id(&f->client);
    const int64_t pub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, fast_sub, 11, "aeron:ipc");
    md_send_add_subscription(&f->client, client_id, slow_sub, 11, "aeron:ipc?tether=false");
    md_send_add_publication(&f->client, client_id, pub_id, 11,
                            "aeron:ipc?untethered-window-limit-timeout=200ms|untethered-resting-timeout=300ms", false);
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    const int fast_index = await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, fast_sub, 0, 2000);
    const int slow_index = await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, slow_sub, 0, 2000);
    assert_true(pub_index >= 0 && fast_index >= 0 && slow_index >= 0);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);
    image_ready_t fast;
    image_ready_t slow;
    decode_image_ready(&f->client.responses[fast_index], &fast);
    decode_image_ready(&f->client.responses[slow_index], &slow);
    const int32_t limit_id = ready.fields.position_limit_counter_id;
    const int64_t window = TERM_LENGTH / 2;

    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    const tp_logbuffer_metadata_t *metadata = tp_logbuffer_metadata_at(log, (int64_t)log_length);
    for (int i = 0; i < 28; i++)
    {
        append_frame(log, log_length, 1024);
    }
    /* The fast reader is 28 KiB ahead of the slow one: more than window - window / 4 (24 KiB). */
    tp_store_release_i64(md_counter_addr(&f->client, fast.fields.subscriber_position_id), 28 * 1024);
    md_poll(&f->client, 5);
    assert_int_equal(window, md_counter_value(&f->client, limit_id)); /* the slow one still holds it */

    const int dropped = await_image_event(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, slow_sub, 0, 2000);
    assert_true(dropped >= 0);
    assert_int_equal(-1, find_image_event(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, fast_sub, 0));

    /* After lingering it rests: flow control follows the fast reader alone. */
    const uint64_t deadline = tp_clock_monotonic_ns() + 2000000000ULL;
    while (md_counter_value(&f->client, limit_id) != 28 * 1024 + window && tp_clock_monotonic_ns() < deadline)
    {
        md_poll(&f->client, 1);
    }
    assert_int_equal(28 * 1024 + window, md_counter_value(&f->client, limit_id));
    assert_int_equal(1, tp_load_acquire_i32(&metadata->is_connected));

    /* After resting it rejoins at the current join position with a fresh image. */
    const int rejoined =
        await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, slow_sub, (size_t)dropped + 1, 2000);
    assert_true(rejoined > dropped);
    image_ready_t again;
    decode_image_ready(&f->client.responses[rejoined], &again);
    assert_int_equal(slow.fields.subscriber_position_id, again.fields.subscriber_position_id);
    assert_int_equal(28 * 1024, md_counter_value(&f->client, slow.fields.subscriber_position_id));
    munmap(log, log_length);
}

/*
 * As the official driver: a resting subscriber rejoins at the newest reader's position (the consumer position),
 * not behind a slower tethered reader, so it does not hold the limit back again the moment it is back.
 */
static void test_untethered_subscriber_rejoins_at_the_newest_reader(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t fast_sub = md_next_id(&f->client);
    const int64_t middle_sub = md_next_id(&f->client);
    const int64_t slow_sub = md_next_id(&f->client);
    const int64_t pub_id = md_next_id(&f->client);
    md_send_add_subscription(&f->client, client_id, fast_sub, 12, "aeron:ipc");
    md_send_add_subscription(&f->client, client_id, middle_sub, 12, "aeron:ipc");
    md_send_add_subscription(&f->client, client_id, slow_sub, 12, "aeron:ipc?tether=false");
    md_send_add_publication(&f->client, client_id, pub_id, 12,
                            "aeron:ipc?untethered-window-limit-timeout=200ms|untethered-resting-timeout=300ms", false);
    const int pub_index = md_await(&f->client, TP_RESPONSE_ON_PUBLICATION_READY, pub_id, 2000);
    const int fast_index = await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, fast_sub, 0, 2000);
    const int middle_index = await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, middle_sub, 0, 2000);
    const int slow_index = await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, slow_sub, 0, 2000);
    assert_true(pub_index >= 0 && fast_index >= 0 && middle_index >= 0 && slow_index >= 0);
    publication_ready_t ready;
    decode_publication_ready(&f->client.responses[pub_index], &ready);
    image_ready_t fast;
    image_ready_t middle;
    image_ready_t slow;
    decode_image_ready(&f->client.responses[fast_index], &fast);
    decode_image_ready(&f->client.responses[middle_index], &middle);
    decode_image_ready(&f->client.responses[slow_index], &slow);

    size_t log_length;
    uint8_t *log = md_map_file(ready.path, &log_length);
    for (int i = 0; i < 28; i++)
    {
        append_frame(log, log_length, 1024);
    }
    /* Fast at 28 KiB, a tethered reader at 10 KiB, the untethered one at 0 (behind 28 - 32 + 8 = 4 KiB). */
    tp_store_release_i64(md_counter_addr(&f->client, fast.fields.subscriber_position_id), 28 * 1024);
    tp_store_release_i64(md_counter_addr(&f->client, middle.fields.subscriber_position_id), 10 * 1024);
    const int dropped = await_image_event(&f->client, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, pub_id, slow_sub, 0, 2000);
    assert_true(dropped >= 0);
    const int rejoined =
        await_image_event(&f->client, TP_RESPONSE_ON_AVAILABLE_IMAGE, pub_id, slow_sub, (size_t)dropped + 1, 2000);
    assert_true(rejoined > dropped);
    assert_int_equal(28 * 1024, md_counter_value(&f->client, slow.fields.subscriber_position_id));
    assert_int_equal(10 * 1024, md_counter_value(&f->client, middle.fields.subscriber_position_id));
    munmap(log, log_length);
}

/* Appends each error-log record to the text in clientd (4096 bytes). */
static void collect_error(int32_t observation_count, int64_t first_observation_timestamp,
                          int64_t last_observation_timestamp, const char *error, size_t error_length, void *clientd)
{
    (void)observation_count;
    (void)first_observation_timestamp;
    (void)last_observation_timestamp;
    char *text = clientd;
    size_t used = strlen(text);
    snprintf(text + used, 4096 - used, "%.*s\n", (int)error_length, error);
}

static void test_malformed_commands_are_refused(void **state)
{
    fixture_t *f = *state;
    const int64_t client_id = md_next_id(&f->client);
    md_keep_alive(&f->client, client_id);
    const int64_t pub_id = md_next_id(&f->client);
    const int64_t sub_id = md_next_id(&f->client);
    uint8_t buffer[256] = {0};

    /* Channel lengths that run past the record. */
    tp_publication_command_t pub = {0};
    pub.correlated.client_id = client_id;
    pub.correlated.correlation_id = pub_id;
    pub.stream_id = 1;
    pub.channel_length = 900;
    memcpy(buffer, &pub, sizeof(pub));
    memcpy(buffer + sizeof(pub), "aeron:ipc", 9);
    md_write(&f->client, TP_COMMAND_ADD_PUBLICATION, buffer, sizeof(pub) + 9);
    tp_subscription_command_t sub = {0};
    sub.correlated.client_id = client_id;
    sub.correlated.correlation_id = sub_id;
    sub.registration_correlation_id = -1;
    sub.stream_id = 1;
    sub.channel_length = -1;
    memcpy(buffer, &sub, sizeof(sub));
    md_write(&f->client, TP_COMMAND_ADD_SUBSCRIPTION, buffer, sizeof(sub));
    /* Too short to hold even the correlation id. */
    md_write(&f->client, TP_COMMAND_REMOVE_COUNTER, buffer, 8);

    md_poll(&f->client, 200);

    /* Malformed commands are only logged, as the official driver does: their correlation id cannot be trusted. */
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_ERROR, pub_id, 0));
    assert_int_equal(-1, md_find(&f->client, TP_RESPONSE_ON_ERROR, sub_id, 0));
    char log_text[4096] = "";
    tp_error_log_read(tp_cnc_error_log_buffer(f->client.metadata), (size_t)f->client.metadata->error_log_buffer_length,
                      collect_error, log_text, 0);
    char expected[128];
    snprintf(expected, sizeof(expected), "add publication channel length 900 exceeds command length %zu",
             sizeof(pub) + 9);
    assert_non_null(strstr(log_text, expected));
    snprintf(expected, sizeof(expected), "add subscription channel length -1 exceeds command length %zu", sizeof(sub));
    assert_non_null(strstr(log_text, expected));
    assert_non_null(strstr(log_text, "remove counter command of 8 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cnc_is_published_with_aeron_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_publication_ready_and_log_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_publication_is_shared_and_exclusive_is_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscription_gets_images_from_existing_and_new_publications, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_publication_limit_follows_slowest_subscriber, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_publication_drains_then_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unserved_channels_and_bad_values_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_commands_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_timeout_frees_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_and_client_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stuck_publication_is_unblocked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untethered_subscriber_is_dropped_then_rejoins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untethered_subscriber_rejoins_at_the_newest_reader, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
