/*
 * Producer core on driver-owned regions (tp_producer_core_start_attached): the test plays the SHM driver, creating
 * the epoch directory, region files and superblocks, then checks that the producer maps them read-write, emits no
 * ShmPoolAnnounce, writes frames a consumer core (mapped from a driver-style announce) receives intact, continues
 * its sequence numbers on a new epoch, leaves the files in place on close, and refuses hostile grants (outside the
 * allowed dirs, superblock of another epoch, a pool without URI).
 */
#include "core_test_announce.h"

#include <sys/stat.h>
#include <unistd.h>

#include "shm/tp_shm_region.h"
#include "shm/tp_superblock.h"

#define STREAM 10000
#define NSLOTS 16

typedef struct attached_state_stct
{
    char root[PATH_MAX];
    char outside[PATH_MAX];
    ct_queue_t to_consumer;
    tp_producer_context_t pctx;
    tp_consumer_context_t cctx;
    tp_producer_core_t *producer;
    tp_consumer_core_t *consumer;
    char header_uri[CT_URI_MAX];
    char pool_uri[2][CT_URI_MAX];
    uint64_t accepted;
    uint64_t bad;
    uint64_t first_seq_seen;
    uint64_t last_seq;
} attached_state_t;

static void on_frame(void *clientd, const tp_consumer_frame_t *f)
{
    attached_state_t *s = clientd;
    if (0 == s->accepted)
    {
        s->first_seq_seen = f->seq;
    }
    bool ok = NULL != f->payload && 0 == ct_check_payload(f->payload, (uint32_t)f->payload_length, f->seq) &&
              tp_consumer_frame_is_intact(f);
    s->accepted++;
    s->bad += ok ? 0 : 1;
    s->last_seq = f->seq;
}

/* What the driver does on a producer attach: a fresh epoch directory with the regions and their superblocks. */
static void driver_create_epoch(attached_state_t *s, const char *base, uint64_t epoch)
{
    char dir[PATH_MAX - 64];
    snprintf(dir, sizeof(dir), "%s/ns", base);
    mkdir(dir, 0770);
    snprintf(dir, sizeof(dir), "%s/ns/drv.stream-%u", base, STREAM);
    mkdir(dir, 0770);
    snprintf(dir, sizeof(dir), "%s/ns/drv.stream-%u/epoch-%llu", base, STREAM, (unsigned long long)epoch);
    assert_int_equal(0, mkdir(dir, 0770));

    char path[PATH_MAX + 64];
    size_t length;
    tp_shm_region_t region;
    tp_superblock_t sb;
    snprintf(path, sizeof(path), "%s/header.ring", dir);
    assert_int_equal(0, tp_shm_region_header_length(NSLOTS, &length));
    assert_int_equal(0, tp_shm_region_create(&region, path, length, false, false));
    tp_superblock_init_header_ring(&sb, epoch, STREAM, NSLOTS);
    assert_int_equal(0, tp_superblock_write(region.addr, region.layout_length, &sb));
    tp_superblock_activity_refresh(region.addr, tp_clock_monotonic_ns());
    tp_shm_region_close(&region);
    assert_true(tp_shm_uri_format(s->header_uri, sizeof(s->header_uri), path, false) > 0);
    for (uint16_t i = 0; i < 2; i++)
    {
        uint32_t stride = 4096u << (4 * i);
        snprintf(path, sizeof(path), "%s/payload-%u.pool", dir, (unsigned)(i + 1));
        assert_int_equal(0, tp_shm_region_pool_length(NSLOTS, stride, &length));
        assert_int_equal(0, tp_shm_region_create(&region, path, length, false, false));
        tp_superblock_init_payload_pool(&sb, epoch, STREAM, (uint16_t)(i + 1), NSLOTS, stride);
        assert_int_equal(0, tp_superblock_write(region.addr, region.layout_length, &sb));
        tp_superblock_activity_refresh(region.addr, tp_clock_monotonic_ns());
        tp_shm_region_close(&region);
        assert_true(tp_shm_uri_format(s->pool_uri[i], sizeof(s->pool_uri[i]), path, false) > 0);
    }
}

static void grant(attached_state_t *s, tp_producer_attached_t *a, uint64_t epoch, uint64_t first_seq,
                  const char *const *dirs)
{
    memset(a, 0, sizeof(*a));
    a->epoch = epoch;
    a->header_nslots = NSLOTS;
    a->header_uri = s->header_uri;
    a->pool_count = 2;
    for (size_t i = 0; i < 2; i++)
    {
        a->pools[i].pool_id = (uint16_t)(i + 1);
        a->pools[i].stride_bytes = 4096u << (4 * i);
        a->pool_uris[i] = s->pool_uri[i];
    }
    a->allowed_dirs = dirs;
    a->allowed_dir_count = 1;
    a->first_seq = first_seq;
}

/* The driver's ShmPoolAnnounce for the current region set (producerId = the producer's clientId). */
static void driver_announce(attached_state_t *s, uint64_t epoch)
{
    ct_announce_t a;
    memset(&a, 0, sizeof(a));
    a.stream_id = STREAM;
    a.producer_id = 7;
    a.epoch = epoch;
    a.timestamp_ns = tp_clock_monotonic_ns();
    a.clock_domain = 1;
    a.layout_version = 1;
    a.nslots = NSLOTS;
    a.slot_bytes = 256;
    a.pool_count = 2;
    for (size_t i = 0; i < 2; i++)
    {
        a.pools[i].pool_id = (uint16_t)(i + 1);
        a.pools[i].nslots = NSLOTS;
        a.pools[i].stride_bytes = 4096u << (4 * i);
        snprintf(a.pools[i].uri, sizeof(a.pools[i].uri), "%s", s->pool_uri[i]);
    }
    snprintf(a.header_uri, sizeof(a.header_uri), "%s", s->header_uri);
    ct_feed_announce(s->consumer, &a);
}

static int setup(void **state)
{
    attached_state_t *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    ct_make_root(s->root, sizeof(s->root), "attached");
    ct_make_root(s->outside, sizeof(s->outside), "attached-outside");
    ct_queue_init(&s->to_consumer);
    ct_producer_context(&s->pctx, s->root, ct_sink(&s->to_consumer));
    s->pctx.pool_count = 1; /* ignored in driver mode: the grant's pools replace it */
    ct_consumer_context(&s->cctx, s->root, 42, ct_sink(&s->to_consumer));
    s->cctx.on_frame = on_frame;
    s->cctx.handler_clientd = s;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    attached_state_t *s = *state;
    tp_consumer_core_close(s->consumer);
    tp_producer_core_close(s->producer);
    ct_queue_free(&s->to_consumer);
    ct_remove_tree(s->root);
    ct_remove_tree(s->outside);
    free(s);
    return 0;
}

static void offer_frames(attached_state_t *s, int count)
{
    static uint8_t buf[8192];
    for (int i = 0; i < count; i++)
    {
        uint64_t seq = tp_producer_core_next_seq(s->producer);
        uint32_t length = 3000 + (uint32_t)(i * 1000); /* crosses from the 4 KiB to the 64 KiB pool */
        ct_fill_payload(buf, length, seq);
        tp_tensor_desc_t desc = ct_desc(1, length);
        assert_int_equal(TP_PRODUCER_OK, tp_producer_core_offer(s->producer, &desc, buf, length, 1000 + seq));
    }
}

static void test_frames_flow_on_granted_regions(void **state)
{
    attached_state_t *s = *state;
    const char *dirs[] = {s->root};
    driver_create_epoch(s, s->root, 5);
    tp_producer_attached_t a;
    grant(s, &a, 5, 100, dirs);
    if (0 != tp_producer_core_start_attached(&s->producer, &s->pctx, &a))
    {
        fail_msg("start attached: %s", tp_errmsg());
    }
    assert_int_equal(5, tp_producer_core_epoch(s->producer));
    assert_int_equal(100, tp_producer_core_next_seq(s->producer));

    /* A full duty cycle sends no ShmPoolAnnounce (template 1): the driver is the only emitter. */
    tp_producer_core_announce_now(s->producer);
    tp_producer_core_do_work(s->producer, tp_clock_monotonic_ns());
    size_t messages = ct_queue_size(&s->to_consumer);
    assert_true(messages > 0); /* DataSourceAnnounce and the rest still go out */
    ct_msg_t *m;
    while (NULL != (m = ct_queue_pop(&s->to_consumer)))
    {
        assert_false(ct_is_template(m, 1));
    }

    s->consumer = ct_start_consumer(&s->cctx);
    driver_announce(s, 5);
    if (!tp_consumer_core_is_mapped(s->consumer))
    {
        fail_msg("consumer did not map: %s", tp_consumer_core_last_error(s->consumer));
    }
    offer_frames(s, 6);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(6, s->accepted);
    assert_int_equal(0, s->bad);
    assert_int_equal(100, s->first_seq_seen);
    assert_int_equal(105, s->last_seq);

    /* Close leaves the driver's files alone. */
    char header[PATH_MAX + 64];
    snprintf(header, sizeof(header), "%s/ns/drv.stream-%u/epoch-5/header.ring", s->root, STREAM);
    tp_producer_core_close(s->producer);
    s->producer = NULL;
    assert_int_equal(0, access(header, F_OK));
}

static void test_reattach_new_epoch_continues_seq(void **state)
{
    attached_state_t *s = *state;
    const char *dirs[] = {s->root};
    driver_create_epoch(s, s->root, 1);
    tp_producer_attached_t a;
    grant(s, &a, 1, 0, dirs);
    assert_int_equal(0, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));
    s->consumer = ct_start_consumer(&s->cctx);
    driver_announce(s, 1);
    offer_frames(s, 3);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(3, s->accepted);

    /* Revoked: the driver bumps the epoch; the producer comes back on the new regions where it left off. */
    uint64_t next = tp_producer_core_next_seq(s->producer);
    tp_producer_core_close(s->producer);
    s->producer = NULL;
    driver_create_epoch(s, s->root, 2);
    grant(s, &a, 2, next, dirs);
    assert_int_equal(0, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));
    driver_announce(s, 2);
    assert_int_equal(2, tp_consumer_core_epoch(s->consumer));
    assert_int_equal(1, tp_consumer_core_counters(s->consumer)->remaps);
    offer_frames(s, 3);
    ct_pump_one(&s->to_consumer, s->consumer, 42);
    assert_int_equal(6, s->accepted);
    assert_int_equal(0, s->bad);
    assert_int_equal(5, s->last_seq);
}

static void test_hostile_grants_refused(void **state)
{
    attached_state_t *s = *state;
    const char *dirs[] = {s->root};
    tp_producer_attached_t a;

    /* Regions outside the allowed dirs. */
    driver_create_epoch(s, s->outside, 3);
    grant(s, &a, 3, 0, dirs);
    assert_int_equal(-1, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_null(s->producer);

    /* Superblocks of another epoch than the lease says. */
    driver_create_epoch(s, s->root, 3);
    grant(s, &a, 4, 0, dirs);
    assert_int_equal(-1, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));
    assert_int_equal(TP_ERR_SUPERBLOCK, tp_errcode());

    /* A pool stride that does not match its superblock. */
    grant(s, &a, 3, 0, dirs);
    a.pools[1].stride_bytes = 32768;
    assert_int_equal(-1, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));

    /* A pool without URI. */
    grant(s, &a, 3, 0, dirs);
    a.pool_uris[0] = NULL;
    assert_int_equal(-1, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));
    assert_null(s->producer);

    /* And the genuine grant works. */
    grant(s, &a, 3, 0, dirs);
    assert_int_equal(0, tp_producer_core_start_attached(&s->producer, &s->pctx, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_frames_flow_on_granted_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reattach_new_epoch_continues_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_grants_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
