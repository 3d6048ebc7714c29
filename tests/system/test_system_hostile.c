/*
 * Hostile and stale control traffic over Aeron. A real producer and consumers run on one client (our media driver
 * in a child process); a raw Aeron publisher on the same shared streams injects hand-made messages: another
 * schema, announces that are stale, replayed (before the join time), of an old epoch or pointing at regions whose
 * superblock does not match, and replayed or wrong-epoch descriptors. Each must be counted and ignored while the
 * consumer keeps its mapping and keeps verifying real frames. A consumer whose allowed dirs exclude the producer's
 * regions rejects them with a diagnostic naming the path.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_clock.h"
#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "system_test_util.h"

#define STREAM_ID 13
#define MSG_MAX   4096

typedef struct capture_stct
{
    uint8_t announce[MSG_MAX];
    size_t announce_length;
    uint8_t descriptor[MSG_MAX];
    size_t descriptor_length;
    bool frozen; /* after setup: keep the genuine messages, not what the test injects */
} capture_t;

typedef struct fixture_stct
{
    tp_test_driver_t driver;
    char shm_dir[256];
    char other_dir[256];
    tp_client_t *client;
    tp_client_t *strict_client;
    tp_producer_t *producer;
    uint64_t old_epoch; /* the first start's epoch; the producer runs at a later one */
    tp_consumer_t *consumer;
    tp_consumer_t *strict;
    aeron_publication_t *raw_control;
    aeron_publication_t *raw_descriptor;
    aeron_subscription_t *raw_control_sub;
    aeron_subscription_t *raw_descriptor_sub;
    capture_t capture;
    st_frame_counts_t frames;
    uint64_t t_before_consumer;
} fixture_t;

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static void on_capture(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    capture_t *c = clientd;
    if (c->frozen || length < 8 || length > MSG_MAX ||
        le16(buffer + 4) != shm_tensorpool_control_shmPoolAnnounce_sbe_schema_id())
    {
        return;
    }
    uint16_t template_id = le16(buffer + 2);
    if (template_id == shm_tensorpool_control_shmPoolAnnounce_sbe_template_id())
    {
        memcpy(c->announce, buffer, length);
        c->announce_length = length;
    }
    else if (template_id == shm_tensorpool_control_frameDescriptor_sbe_template_id())
    {
        memcpy(c->descriptor, buffer, length);
        c->descriptor_length = length;
    }
}

static void ignore_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    (void)clientd;
    (void)frame;
}

/* One duty cycle of everything in the process. */
static void cycle(fixture_t *f)
{
    int work = tp_client_do_work(f->client) + tp_client_do_work(f->strict_client);
    work += tp_producer_poll(f->producer, 0);
    work += tp_consumer_poll(f->consumer, st_frame_count, &f->frames, 0);
    work += tp_consumer_poll(f->strict, ignore_frame, NULL, 0);
    aeron_subscription_poll(f->raw_control_sub, on_capture, &f->capture, 10);
    aeron_subscription_poll(f->raw_descriptor_sub, on_capture, &f->capture, 10);
    tp_client_idle(f->client, work);
}

static void run_for(fixture_t *f, int64_t ms)
{
    int64_t end = tp_test_now_ms() + ms;
    while (tp_test_now_ms() < end)
    {
        cycle(f);
    }
}

typedef bool (*predicate_t)(fixture_t *f);

static bool run_until(fixture_t *f, predicate_t done, int64_t timeout_ms)
{
    int64_t end = tp_test_now_ms() + timeout_ms;
    while (!done(f))
    {
        if (tp_test_now_ms() > end)
        {
            return false;
        }
        cycle(f);
    }
    return true;
}

static aeron_publication_t *raw_publication(aeron_t *aeron, int32_t stream_id)
{
    return tp_test_add_publication(aeron, TP_DEFAULT_CHANNEL, stream_id);
}

static void send_frames(fixture_t *f, int count)
{
    static uint8_t scratch[8192];
    for (int i = 0; i < count; i++)
    {
        uint64_t seq = tp_producer_next_seq(f->producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        st_frame_fill(scratch, seq);
        int rc = tp_producer_offer(f->producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq));
        assert_true(rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc);
        cycle(f);
    }
}

static tp_producer_t *start_producer(tp_client_t *client)
{
    tp_producer_config_t cfg;
    tp_producer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.producer_id = 8;
    cfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    cfg.header_nslots = 256;
    tp_producer_t *producer = NULL;
    assert_int_equal(0, tp_producer_start(&producer, client, &cfg));
    return producer;
}

static bool ready(fixture_t *f)
{
    return tp_consumer_is_mapped(f->consumer) && tp_consumer_counters(f->strict)->regions_rejected > 0 &&
           0 != f->capture.announce_length && tp_consumer_epoch(f->consumer) == tp_producer_epoch(f->producer);
}

static int setup(void **state)
{
    static fixture_t fixture;
    fixture_t *f = &fixture;
    memset(f, 0, sizeof(*f));
    assert_int_equal(0, st_driver_start(&f->driver));
    st_scratch_dir(f->shm_dir, sizeof(f->shm_dir));
    st_scratch_dir(f->other_dir, sizeof(f->other_dir));
    f->client = st_client(f->driver.dir, f->shm_dir, TP_CLIENT_MODE_INVOKER);

    /* A consumer that only trusts another directory. */
    tp_context_t *ctx = st_context(f->driver.dir, f->shm_dir, TP_CLIENT_MODE_INVOKER);
    assert_int_equal(0, tp_context_add_allowed_dir(ctx, f->other_dir));
    assert_int_equal(1, tp_context_allowed_dir_count(ctx));
    assert_int_equal(0, tp_client_start(&f->strict_client, ctx));
    tp_context_close(ctx);

    /* Restart once so the producer runs at a later epoch and an announce of the first one is "old". */
    f->producer = start_producer(f->client);
    f->old_epoch = tp_producer_epoch(f->producer);
    assert_int_equal(0, tp_producer_close(f->producer));
    f->producer = start_producer(f->client);
    assert_true(tp_producer_epoch(f->producer) > f->old_epoch);

    aeron_t *aeron = tp_client_aeron(f->client);
    f->raw_control = raw_publication(aeron, TP_DEFAULT_CONTROL_STREAM_ID);
    f->raw_descriptor = raw_publication(aeron, TP_DEFAULT_DESCRIPTOR_STREAM_ID);
    f->raw_control_sub =
        tp_test_add_subscription(aeron, TP_DEFAULT_CHANNEL, TP_DEFAULT_CONTROL_STREAM_ID, NULL, NULL, NULL);
    f->raw_descriptor_sub =
        tp_test_add_subscription(aeron, TP_DEFAULT_CHANNEL, TP_DEFAULT_DESCRIPTOR_STREAM_ID, NULL, NULL, NULL);
    assert_non_null(f->raw_control);
    assert_non_null(f->raw_descriptor);
    assert_non_null(f->raw_control_sub);
    assert_non_null(f->raw_descriptor_sub);

    f->t_before_consumer = tp_clock_monotonic_ns();
    tp_consumer_config_t cfg;
    tp_consumer_config_init(&cfg);
    cfg.stream_id = STREAM_ID;
    cfg.consumer_id = 1;
    assert_int_equal(0, tp_consumer_start(&f->consumer, f->client, &cfg));
    cfg.consumer_id = 2;
    assert_int_equal(0, tp_consumer_start(&f->strict, f->strict_client, &cfg));
    assert_true(run_until(f, ready, 10000));
    send_frames(f, 20);
    run_for(f, 100);
    assert_int_equal(20, f->frames.verified);
    assert_true(0 != f->capture.descriptor_length);
    f->capture.frozen = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tp_consumer_close(f->consumer);
    tp_consumer_close(f->strict);
    aeron_publication_close(f->raw_control, NULL, NULL);
    aeron_publication_close(f->raw_descriptor, NULL, NULL);
    aeron_subscription_close(f->raw_control_sub, NULL, NULL);
    aeron_subscription_close(f->raw_descriptor_sub, NULL, NULL);
    tp_producer_close(f->producer);
    tp_client_close(f->strict_client);
    tp_client_close(f->client);
    st_driver_stop(&f->driver);
    st_remove_tree(f->shm_dir);
    st_remove_tree(f->other_dir);
    return st_cleanup(state);
}

static void inject(fixture_t *f, aeron_publication_t *publication, const uint8_t *buffer, size_t length)
{
    int64_t deadline = tp_test_now_ms() + 5000;
    while (aeron_publication_offer(publication, buffer, length, NULL, NULL) < 0)
    {
        assert_true(tp_test_now_ms() < deadline);
        cycle(f);
    }
    run_for(f, 50);
}

/* A copy of the captured announce, wrapped for editing. */
static void announce_copy(fixture_t *f, uint8_t *buffer, struct shm_tensorpool_control_shmPoolAnnounce *msg)
{
    memcpy(buffer, f->capture.announce, f->capture.announce_length);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(
        msg, (char *)buffer, 8, le16(buffer), le16(buffer + 6), f->capture.announce_length));
}

static void test_bad_region_outside_allowed_dirs_is_rejected(void **state)
{
    fixture_t *f = *state;
    const char *reason = tp_consumer_last_error(f->strict);
    fprintf(stderr, "strict consumer: %s\n", reason);
    assert_false(tp_consumer_is_mapped(f->strict));
    assert_non_null(strstr(reason, f->shm_dir));
    assert_non_null(strstr(reason, "allowed"));
    assert_int_equal(0, tp_consumer_counters(f->strict)->frames_accepted);
}

static void test_foreign_schema_is_skipped(void **state)
{
    fixture_t *f = *state;
    uint64_t foreign = tp_consumer_counters(f->consumer)->foreign_messages;
    uint64_t producer_foreign = tp_producer_counters(f->producer)->foreign_messages;
    uint8_t message[32] = {0};
    message[0] = 16;   /* block length */
    message[2] = 1;    /* template 1 */
    message[4] = 0xEF; /* schema 0xBEEF */
    message[5] = 0xBE;
    message[6] = 1;
    inject(f, f->raw_control, message, sizeof(message));
    inject(f, f->raw_descriptor, message, sizeof(message));
    assert_true(tp_consumer_counters(f->consumer)->foreign_messages >= foreign + 2);
    assert_true(tp_producer_counters(f->producer)->foreign_messages >= producer_foreign + 1);
    assert_int_equal(0, tp_consumer_counters(f->consumer)->malformed_messages);
    send_frames(f, 10);
    run_for(f, 50);
    assert_int_equal(30, f->frames.verified);
}

static void test_stale_replayed_and_old_epoch_announces_are_ignored(void **state)
{
    fixture_t *f = *state;
    uint8_t buffer[MSG_MAX];
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    const tp_consumer_counters_t *c = tp_consumer_counters(f->consumer);
    uint64_t remaps = c->remaps;

    uint64_t stale = c->announces_stale;
    announce_copy(f, buffer, &msg);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg,
                                                                   shm_tensorpool_control_clockDomain_REALTIME_SYNCED);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg,
                                                                   tp_clock_realtime_ns() - UINT64_C(10000000000));
    inject(f, f->raw_control, buffer, f->capture.announce_length);
    assert_int_equal(stale + 1, c->announces_stale);

    uint64_t replayed = c->announces_replayed;
    announce_copy(f, buffer, &msg);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, tp_producer_epoch(f->producer) + 1);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, f->t_before_consumer);
    inject(f, f->raw_control, buffer, f->capture.announce_length);
    assert_int_equal(replayed + 1, c->announces_replayed);

    uint64_t old_epoch = c->announces_old_epoch;
    announce_copy(f, buffer, &msg);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, f->old_epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, tp_clock_monotonic_ns());
    inject(f, f->raw_control, buffer, f->capture.announce_length);
    assert_int_equal(old_epoch + 1, c->announces_old_epoch);

    assert_int_equal(remaps, c->remaps);
    assert_int_equal(tp_producer_epoch(f->producer), tp_consumer_epoch(f->consumer));
    uint64_t before = f->frames.verified;
    send_frames(f, 10);
    run_for(f, 50);
    assert_int_equal(before + 10, f->frames.verified);
}

static void test_wrong_superblock_is_rejected_and_mapping_kept(void **state)
{
    fixture_t *f = *state;
    uint8_t buffer[MSG_MAX];
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    const tp_consumer_counters_t *c = tp_consumer_counters(f->consumer);
    uint64_t rejected = c->regions_rejected;
    /* A later epoch announced over the current files: their superblocks say the current one. */
    const uint64_t later = tp_producer_epoch(f->producer) + 1;
    char later_text[32];
    snprintf(later_text, sizeof(later_text), "epoch %" PRIu64, later);
    announce_copy(f, buffer, &msg);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, later);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, tp_clock_monotonic_ns());
    inject(f, f->raw_control, buffer, f->capture.announce_length);
    assert_int_equal(rejected + 1, c->regions_rejected);
    const char *reason = tp_consumer_last_error(f->consumer);
    fprintf(stderr, "consumer: %s\n", reason);
    assert_non_null(strstr(reason, later_text));
    assert_non_null(strstr(reason, "superblock"));
    assert_true(tp_consumer_is_mapped(f->consumer));
    assert_int_equal(tp_producer_epoch(f->producer), tp_consumer_epoch(f->consumer));
    uint64_t before = f->frames.verified;
    send_frames(f, 10);
    run_for(f, 50);
    assert_int_equal(before + 10, f->frames.verified);
    assert_int_equal(0, f->frames.bad);
}

static void test_replayed_and_wrong_epoch_descriptors_are_ignored(void **state)
{
    fixture_t *f = *state;
    const tp_consumer_counters_t *c = tp_consumer_counters(f->consumer);
    uint8_t buffer[MSG_MAX];
    size_t length = f->capture.descriptor_length;
    uint64_t accepted = c->frames_accepted;

    uint64_t replayed = c->descriptors_replayed;
    memcpy(buffer, f->capture.descriptor, length);
    inject(f, f->raw_descriptor, buffer, length);
    assert_int_equal(replayed + 1, c->descriptors_replayed);

    uint64_t wrong_epoch = c->descriptors_wrong_epoch;
    struct shm_tensorpool_control_frameDescriptor msg;
    assert_non_null(shm_tensorpool_control_frameDescriptor_wrap_for_decode(&msg, (char *)buffer, 8, le16(buffer),
                                                                           le16(buffer + 6), length));
    shm_tensorpool_control_frameDescriptor_set_epoch(&msg, tp_producer_epoch(f->producer) + 7);
    shm_tensorpool_control_frameDescriptor_set_seq(&msg, tp_producer_next_seq(f->producer) + 100);
    inject(f, f->raw_descriptor, buffer, length);
    assert_int_equal(wrong_epoch + 1, c->descriptors_wrong_epoch);
    assert_int_equal(accepted, c->frames_accepted);

    uint64_t before = f->frames.verified;
    send_frames(f, 10);
    run_for(f, 50);
    assert_int_equal(before + 10, f->frames.verified);
    assert_int_equal(0, f->frames.bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_region_outside_allowed_dirs_is_rejected),
        cmocka_unit_test(test_foreign_schema_is_skipped),
        cmocka_unit_test(test_stale_replayed_and_old_epoch_announces_are_ignored),
        cmocka_unit_test(test_wrong_superblock_is_rejected_and_mapping_kept),
        cmocka_unit_test(test_replayed_and_wrong_epoch_descriptors_are_ignored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
