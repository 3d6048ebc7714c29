/*
 * What the consumer core refuses: stale, replayed, older-epoch and wrong-domain announces, descriptors of the
 * wrong epoch or replayed, regions outside the allowed dirs or whose superblock contradicts the announce (with
 * the diagnostic kept on the core), other schemas and unknown templates on a shared stream, and over-size
 * metadata. Each refusal leaves the current mapping untouched.
 */
#include <fcntl.h>

#include "core_test_announce.h"

#include "shm_tensorpool_control/frameDescriptor.h"

typedef struct announce_state_stct
{
    char root[PATH_MAX];
    char other_root[PATH_MAX];
    ct_queue_t to_consumer;
    ct_queue_t to_producer;
    tp_producer_context_t pctx;
    tp_consumer_context_t cctx;
    tp_producer_core_t *producer;
    tp_consumer_core_t *consumer;
    uint64_t accepted;
    uint64_t realtime_now;
} announce_state_t;

static void on_frame(void *clientd, const tp_consumer_frame_t *f)
{
    announce_state_t *s = clientd;
    assert_int_equal(0, ct_check_payload(f->payload, f->payload_length, f->seq));
    s->accepted++;
}

static uint64_t fake_realtime(void *clientd)
{
    return ((announce_state_t *)clientd)->realtime_now;
}

static int setup(void **state)
{
    announce_state_t *s = calloc(1, sizeof(*s));
    ct_make_root(s->root, sizeof(s->root), "announce");
    ct_make_root(s->other_root, sizeof(s->other_root), "elsewhere");
    ct_queue_init(&s->to_consumer);
    ct_queue_init(&s->to_producer);
    ct_producer_context(&s->pctx, s->root, ct_sink(&s->to_consumer));
    ct_consumer_context(&s->cctx, s->root, 42, ct_sink(&s->to_producer));
    s->cctx.on_frame = on_frame;
    s->cctx.handler_clientd = s;
    s->cctx.realtime_clock = fake_realtime;
    s->cctx.clock_clientd = s;
    s->producer = ct_start_producer(&s->pctx);
    s->consumer = ct_start_consumer(&s->cctx);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    announce_state_t *s = *state;
    tp_consumer_core_close(s->consumer);
    tp_producer_core_close(s->producer);
    ct_queue_free(&s->to_consumer);
    ct_queue_free(&s->to_producer);
    ct_remove_tree(s->root);
    ct_remove_tree(s->other_root);
    free(s);
    return 0;
}

static void offer(announce_state_t *s)
{
    uint8_t buf[256];
    uint64_t seq = tp_producer_core_next_seq(s->producer);
    ct_fill_payload(buf, sizeof(buf), seq);
    tp_tensor_desc_t desc = ct_desc(1, sizeof(buf));
    assert_int_equal(TP_PRODUCER_OK, tp_producer_core_offer(s->producer, &desc, buf, sizeof(buf), seq));
}

static void test_stale_and_replayed_announces_ignored(void **state)
{
    announce_state_t *s = *state;
    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);
    ct_announce_t a;
    ct_capture_announce(s->producer, &s->to_consumer, &a);
    uint64_t now = tp_clock_monotonic_ns();

    /* Older than the freshness window (3 s) relative to receipt. */
    ct_announce_t stale = a;
    stale.timestamp_ns = now - UINT64_C(10000000000);
    tp_consumer_core_set_join_time(s->consumer, 0);
    ct_feed_announce(s->consumer, &stale);
    assert_false(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(1, c->announces_stale);

    /* MONOTONIC and before the join time: a replay from the log, even though it is fresh. */
    tp_consumer_core_set_join_time(s->consumer, a.timestamp_ns + 1);
    ct_feed_announce(s->consumer, &a);
    assert_false(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(1, c->announces_replayed);

    /* REALTIME_SYNCED skips the join-time rule and uses freshness against the realtime clock only. */
    ct_announce_t rt = a;
    rt.clock_domain = 2;
    rt.timestamp_ns = UINT64_C(5000000000);
    s->realtime_now = rt.timestamp_ns + UINT64_C(4000000000);
    tp_consumer_core_set_join_time(s->consumer, UINT64_MAX);
    ct_feed_announce(s->consumer, &rt);
    assert_false(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(2, c->announces_stale);
    s->realtime_now = rt.timestamp_ns + UINT64_C(1000000000);
    ct_feed_announce(s->consumer, &rt);
    assert_true(tp_consumer_core_is_mapped(s->consumer));
    assert_int_equal(a.epoch, tp_consumer_core_epoch(s->consumer));

    /* An unknown clock domain is not trusted at all. */
    ct_announce_t bad_domain = a;
    bad_domain.clock_domain = 3;
    bad_domain.epoch = a.epoch + 5;
    ct_feed_announce(s->consumer, &bad_domain);
    assert_int_equal(a.epoch, tp_consumer_core_epoch(s->consumer));
    assert_int_equal(3, c->announces_stale);
}

static void test_old_epoch_and_wrong_epoch_descriptors_ignored(void **state)
{
    announce_state_t *s = *state;
    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_true(tp_consumer_core_is_mapped(s->consumer));
    uint64_t epoch1 = tp_consumer_core_epoch(s->consumer);
    ct_announce_t a1;
    ct_capture_announce(s->producer, &s->to_consumer, &a1);

    /* Restart: the new, higher epoch is mapped, then the first announce shows up again (replayed or delayed). */
    tp_producer_core_close(s->producer);
    s->producer = ct_start_producer(&s->pctx);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    const uint64_t epoch2 = tp_producer_core_epoch(s->producer);
    assert_true(epoch2 > epoch1);
    assert_int_equal(epoch2, tp_consumer_core_epoch(s->consumer));
    a1.timestamp_ns = tp_clock_monotonic_ns();
    ct_feed_announce(s->consumer, &a1);
    assert_int_equal(epoch2, tp_consumer_core_epoch(s->consumer));
    assert_int_equal(1, c->announces_old_epoch);

    /* A descriptor naming another epoch, then the same descriptor twice. */
    offer(s);
    ct_msg_t *m = ct_queue_pop(&s->to_consumer);
    assert_non_null(m);
    ct_msg_t d = *m;
    struct shm_tensorpool_control_frameDescriptor fd;
    assert_non_null(shm_tensorpool_control_frameDescriptor_wrap_for_decode(&fd, (char *)d.data, 8, 36, 1, d.length));
    shm_tensorpool_control_frameDescriptor_set_epoch(&fd, epoch1);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(1, c->descriptors_wrong_epoch);
    shm_tensorpool_control_frameDescriptor_set_epoch(&fd, epoch2 + 1);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(2, c->descriptors_wrong_epoch);
    shm_tensorpool_control_frameDescriptor_set_epoch(&fd, epoch2);
    assert_int_equal(1, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(1, c->descriptors_replayed);
    /* header_index out of range / not matching seq. */
    shm_tensorpool_control_frameDescriptor_set_seq(&fd, 1);
    shm_tensorpool_control_frameDescriptor_set_headerIndex(&fd, 99);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(1, c->drops_invalid);
    /* A descriptor for a seq whose slot was never written (the slot holds an older frame). */
    shm_tensorpool_control_frameDescriptor_set_seq(&fd, 16);
    shm_tensorpool_control_frameDescriptor_set_headerIndex(&fd, 0);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(2, c->drops_invalid);
    assert_int_equal(1, s->accepted);
    /* Another stream id. */
    shm_tensorpool_control_frameDescriptor_set_streamId(&fd, 10001);
    shm_tensorpool_control_frameDescriptor_set_seq(&fd, 20);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(1, c->descriptors_other_stream);
}

static void expect_rejected(announce_state_t *s, const ct_announce_t *a, const char *needle, uint64_t rejected)
{
    ct_feed_announce(s->consumer, a);
    const char *err = tp_consumer_core_last_error(s->consumer);
    if (NULL == strstr(err, needle))
    {
        fail_msg("diagnostic '%s' does not mention '%s'", err, needle);
    }
    assert_int_equal(rejected, tp_consumer_core_counters(s->consumer)->regions_rejected);
}

static void test_bad_regions_rejected_with_diagnostic(void **state)
{
    announce_state_t *s = *state;
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    uint64_t epoch = tp_consumer_core_epoch(s->consumer);
    assert_true(epoch > 0);
    ct_announce_t a;
    ct_capture_announce(s->producer, &s->to_consumer, &a);

    /* The superblocks say another epoch than this announce. */
    ct_announce_t next = a;
    next.epoch = epoch + 1;
    expect_rejected(s, &next, "superblock epoch", 1);

    /* Stride of pool 2 announced as 4096 while its superblock says 65536 (the file is large enough). */
    ct_announce_t stride = a; /* same epoch, different layout: a remap attempt that must fail */
    stride.pools[1].stride_bytes = 4096;
    expect_rejected(s, &stride, "stride", 2);

    /* Pools must have the header's nslots (§15.5). */
    ct_announce_t nslots = a;
    nslots.pools[0].nslots = 8;
    expect_rejected(s, &nslots, "nslots 8", 3);

    /* A region outside the allowed base dirs: the same layout under another directory. */
    char path[PATH_MAX];
    assert_true(snprintf(path, sizeof(path), "%s/header.ring", s->other_root) < (int)sizeof(path));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    ct_announce_t outside = a;
    outside.epoch = epoch + 1;
    assert_true(snprintf(outside.header_uri, sizeof(outside.header_uri), "shm:file?path=%s", path) <
                (int)sizeof(outside.header_uri));
    expect_rejected(s, &outside, "outside the 1 allowed base dir", 4);

    /* A malformed URI and a relative path. */
    ct_announce_t uri = a;
    snprintf(uri.pools[0].uri, sizeof(uri.pools[0].uri), "file:///dev/shm/x");
    expect_rejected(s, &uri, "payload pool 1", 5);

    /* Layout version and slot size. */
    ct_announce_t layout = a;
    layout.epoch = epoch + 1;
    layout.layout_version = 2;
    expect_rejected(s, &layout, "layout_version 2", 6);
    layout.layout_version = 1;
    layout.slot_bytes = 128;
    expect_rejected(s, &layout, "header_slot_bytes 128", 7);

    /* None of this disturbed the mapping: frames still flow. */
    assert_int_equal(epoch, tp_consumer_core_epoch(s->consumer));
    offer(s);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(1, s->accepted);
    /* And a refreshed announce of the same epoch is just a refresh. */
    a.timestamp_ns = tp_clock_monotonic_ns();
    ct_feed_announce(s->consumer, &a);
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->maps);
    assert_int_equal(0, tp_consumer_core_counters(s->consumer)->remaps);
}

static void test_clobbered_superblock_detected_on_refresh(void **state)
{
    announce_state_t *s = *state;
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_true(tp_consumer_core_is_mapped(s->consumer));
    ct_announce_t a;
    ct_capture_announce(s->producer, &s->to_consumer, &a);

    /* Someone rewrites the header ring's magic behind the producer's back. */
    int fd = open(tp_producer_core_header_path(s->producer), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    uint64_t zero = 0;
    assert_int_equal(8, pwrite(fd, &zero, 8, 0));
    close(fd);

    a.timestamp_ns = tp_clock_monotonic_ns();
    ct_feed_announce(s->consumer, &a);
    assert_false(tp_consumer_core_is_mapped(s->consumer));
    assert_non_null(strstr(tp_consumer_core_last_error(s->consumer), "magic"));
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->regions_rejected);
    offer(s);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(0, s->accepted);
}

static void test_consumer_outside_allowed_dirs_never_maps(void **state)
{
    announce_state_t *s = *state;
    tp_consumer_context_t ctx = s->cctx;
    ctx.allowed_base_dirs[0] = s->other_root;
    tp_consumer_core_t *elsewhere = ct_start_consumer(&ctx);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, elsewhere, 42);
    assert_false(tp_consumer_core_is_mapped(elsewhere));
    assert_non_null(strstr(tp_consumer_core_last_error(elsewhere), "rejected"));
    assert_non_null(strstr(tp_consumer_core_last_error(elsewhere), s->root));
    assert_int_equal(1, tp_consumer_core_counters(elsewhere)->regions_rejected);
    offer(s);
    ct_pump_one(&s->to_consumer, elsewhere, 42);
    assert_int_equal(1, tp_consumer_core_counters(elsewhere)->drops_unmapped);
    tp_consumer_core_close(elsewhere);
}

static void put_header(uint8_t *b, uint16_t block_length, uint16_t template_id, uint16_t schema_id, uint16_t version)
{
    memcpy(b, &block_length, 2);
    memcpy(b + 2, &template_id, 2);
    memcpy(b + 4, &schema_id, 2);
    memcpy(b + 6, &version, 2);
}

static void test_foreign_schemas_and_unknown_templates_skipped(void **state)
{
    announce_state_t *s = *state;
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    offer(s);
    ct_msg_t d = *ct_queue_pop(&s->to_consumer);
    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);

    /* The same bytes under the driver schema (901) with the FrameDescriptor template id: not ours. */
    ct_msg_t foreign = d;
    put_header(foreign.data, 36, 4, 901, 1);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, TP_STREAM_DESCRIPTOR, foreign.data, foreign.length));
    assert_int_equal(1, c->foreign_messages);
    /* An unknown template of our schema, a short buffer, and a truncated FrameDescriptor body. */
    ct_msg_t unknown = d;
    put_header(unknown.data, 36, 99, 900, 1);
    uint64_t unknown_before = c->unknown_templates; /* DataSourceAnnounce and QosProducer are not for consumers */
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, TP_STREAM_CONTROL, unknown.data, unknown.length));
    assert_int_equal(unknown_before + 1, c->unknown_templates);
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, TP_STREAM_CONTROL, d.data, 5));
    assert_int_equal(0, tp_consumer_core_on_message(s->consumer, TP_STREAM_DESCRIPTOR, d.data, 20));
    assert_int_equal(2, c->malformed_messages);
    assert_int_equal(0, s->accepted);
    /* The real one still works after all that. */
    assert_int_equal(1, tp_consumer_core_on_message(s->consumer, d.kind, d.data, d.length));
    assert_int_equal(1, s->accepted);

    /* The producer skips the same way. */
    assert_int_equal(0, tp_producer_core_on_message(s->producer, foreign.data, foreign.length));
    assert_int_equal(0, tp_producer_core_on_message(s->producer, unknown.data, unknown.length));
    assert_int_equal(0, tp_producer_core_on_message(s->producer, d.data, 3));
    const tp_producer_counters_t *pc = tp_producer_core_counters(s->producer);
    assert_int_equal(1, pc->foreign_messages);
    assert_int_equal(1, pc->unknown_templates);
    assert_int_equal(1, pc->malformed_messages);
}

static void test_metadata_cache_bounded(void **state)
{
    announce_state_t *s = *state;
    tp_consumer_core_close(s->consumer);
    tp_consumer_context_t ctx = s->cctx;
    ctx.meta_max_attributes = 2;
    ctx.meta_max_value_bytes = 16;
    s->consumer = ct_start_consumer(&ctx);
    const tp_consumer_counters_t *c = tp_consumer_core_counters(s->consumer);

    uint8_t blob[3] = {0, 1, 2};
    tp_producer_meta_attribute_t attrs[3] = {
        {"camera_serial", "text/plain", (const uint8_t *)"SN-1234", 7},
        {"raw", "application/octet-stream", blob, 3},
        {"third", "text/plain", (const uint8_t *)"x", 1},
    };
    assert_int_equal(0, tp_producer_core_set_meta(s->producer, attrs, 2));
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    uint32_t version;
    size_t count;
    assert_true(tp_consumer_core_meta(s->consumer, &version, &count));
    assert_int_equal(1, version);
    assert_int_equal(2, count);
    tp_consumer_meta_attribute_t got;
    assert_int_equal(0, tp_consumer_core_meta_attribute(s->consumer, 0, &got));
    assert_string_equal("camera_serial", got.key);
    assert_string_equal("text/plain", got.format);
    assert_int_equal(7, got.value_length);
    assert_memory_equal("SN-1234", got.value, 7);
    assert_int_equal(0, tp_consumer_core_meta_attribute(s->consumer, 1, &got));
    assert_int_equal(3, got.value_length);
    assert_memory_equal(blob, got.value, 3);
    assert_int_equal(-1, tp_consumer_core_meta_attribute(s->consumer, 2, &got));

    /* Too many attributes: rejected whole, the cache keeps version 1. */
    assert_int_equal(0, tp_producer_core_set_meta(s->producer, attrs, 3));
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(1, c->meta_rejected);
    /* A value over the bound: rejected, never truncated. */
    tp_producer_meta_attribute_t big = {"k", "text/plain", (const uint8_t *)"0123456789abcdefX", 17};
    assert_int_equal(0, tp_producer_core_set_meta(s->producer, &big, 1));
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(2, c->meta_rejected);
    assert_non_null(strstr(tp_consumer_core_last_error(s->consumer), "value 17/16"));
    assert_true(tp_consumer_core_meta(s->consumer, &version, &count));
    assert_int_equal(1, version);
    assert_int_equal(2, count);
    /* The next valid version replaces it; the periodic repeat of the same version is not re-copied. */
    tp_producer_meta_attribute_t ok = {"k", "text/plain", (const uint8_t *)"0123456789abcdef", 16};
    assert_int_equal(0, tp_producer_core_set_meta(s->producer, &ok, 1));
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    tp_producer_core_announce_now(s->producer);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_true(tp_consumer_core_meta(s->consumer, &version, &count));
    assert_int_equal(4, version);
    assert_int_equal(1, count);
    assert_int_equal(2, c->meta_accepted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stale_and_replayed_announces_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_epoch_and_wrong_epoch_descriptors_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_regions_rejected_with_diagnostic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clobbered_superblock_detected_on_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_outside_allowed_dirs_never_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_schemas_and_unknown_templates_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_cache_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
