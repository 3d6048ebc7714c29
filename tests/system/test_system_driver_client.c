/*
 * Driver mode of the public producer and consumer against a FAKE SHM driver: a child process on the public aeronc.h
 * API that listens on the control stream, answers ShmAttachRequest with a real region set it created (files and
 * superblocks, one epoch directory per producer attach), stays silent on keepalives, announces the current epoch
 * every 100 ms, and on command revokes the producer lease (ShmLeaseRevoked, new epoch, announce). Checked: both
 * attach and frames flow through the regions, a revoked producer pauses, reattaches to the new epoch and resumes
 * with its sequence continuing while the consumer remaps, and hostile responses (null leaseId, poolNslots
 * mismatch, a region outside the allowed dirs) are refused and retried until a good one comes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <aeronc.h>

#include "common/tp_clock.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_shm_uri.h"
#include "shm/tp_superblock.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"
#include "system_test_util.h"

#define STREAM      10000
#define PRODUCER_ID 7
#define CONSUMER_ID 42
#define NSLOTS      64
#define STRIDE      65536
#define POOL_ID     1

enum
{
    HOSTILE_NONE = 0,
    HOSTILE_NULL_LEASE = 1,
    HOSTILE_NSLOTS = 2,
    HOSTILE_OUTSIDE = 3,
};

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[PATH_MAX];
    char outside_dir[PATH_MAX];
    volatile int stop;
    volatile int revoke_producer; /* set by the test, cleared by the fake driver when done */
    volatile int hostile[3];      /* spoil the first producer attach responses, in this order */
    volatile int ready;
    volatile uint64_t epoch;
    volatile uint64_t producer_attaches;
    volatile uint64_t hostile_sent;
    volatile uint64_t keepalives;
} shared_t;

static shared_t *shared;

/* ---- the fake driver (child process) ---- */

typedef struct fake_stct
{
    aeron_t *aeron;
    aeron_publication_t *pub;
    aeron_subscription_t *sub;
    uint64_t epoch;
    uint64_t producer_lease;
    uint64_t next_lease;
    char header_uri[PATH_MAX + 64];
    char pool_uri[PATH_MAX + 64];
    uint8_t buffer[4096];
} fake_t;

static void fake_offer(fake_t *f, size_t length)
{
    for (int i = 0; i < 1000; i++)
    {
        int64_t rc = aeron_publication_offer(f->pub, f->buffer, length, NULL, NULL);
        if (rc >= 0 || AERON_PUBLICATION_NOT_CONNECTED == rc)
        {
            return;
        }
        usleep(1000);
    }
}

/* A fresh epoch: <base>/ns/fake.stream-<id>/epoch-<E>/{header.ring,payload-1.pool} with superblocks written. */
static void fake_create_epoch(fake_t *f, const char *base, uint64_t epoch, char *header_uri, char *pool_uri)
{
    char dir[PATH_MAX - 128];
    snprintf(dir, sizeof(dir), "%s/ns", base);
    mkdir(dir, 0770);
    snprintf(dir, sizeof(dir), "%s/ns/fake.stream-%u", base, STREAM);
    mkdir(dir, 0770);
    snprintf(dir, sizeof(dir), "%s/ns/fake.stream-%u/epoch-%llu", base, STREAM, (unsigned long long)epoch);
    mkdir(dir, 0770);
    char path[PATH_MAX];
    size_t length;
    tp_shm_region_t region;
    tp_superblock_t sb;
    snprintf(path, sizeof(path), "%s/header.ring", dir);
    if (0 == access(path, F_OK))
    {
        goto uris; /* already made (hostile outside set reused) */
    }
    if (0 != tp_shm_region_header_length(NSLOTS, &length) ||
        0 != tp_shm_region_create(&region, path, length, false, false))
    {
        fprintf(stderr, "fake driver: %s\n", tp_errmsg());
        abort();
    }
    tp_superblock_init_header_ring(&sb, epoch, STREAM, NSLOTS);
    tp_superblock_write(region.addr, region.layout_length, &sb);
    tp_superblock_activity_refresh(region.addr, tp_clock_monotonic_ns());
    tp_shm_region_close(&region);
    snprintf(path, sizeof(path), "%s/payload-%u.pool", dir, POOL_ID);
    if (0 != tp_shm_region_pool_length(NSLOTS, STRIDE, &length) ||
        0 != tp_shm_region_create(&region, path, length, false, false))
    {
        fprintf(stderr, "fake driver: %s\n", tp_errmsg());
        abort();
    }
    tp_superblock_init_payload_pool(&sb, epoch, STREAM, POOL_ID, NSLOTS, STRIDE);
    tp_superblock_write(region.addr, region.layout_length, &sb);
    tp_superblock_activity_refresh(region.addr, tp_clock_monotonic_ns());
    tp_shm_region_close(&region);
uris:
    snprintf(path, sizeof(path), "%s/header.ring", dir);
    tp_shm_uri_format(header_uri, PATH_MAX + 64, path, false);
    snprintf(path, sizeof(path), "%s/payload-%u.pool", dir, POOL_ID);
    tp_shm_uri_format(pool_uri, PATH_MAX + 64, path, false);
}

static void fake_announce(fake_t *f)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools g;
    shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, (char *)f->buffer, 0, sizeof(f->buffer), &hdr);
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, STREAM);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, 0 != f->producer_lease ? PRODUCER_ID : 0);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, f->epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, tp_clock_monotonic_ns());
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&msg, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, NSLOTS);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, 256);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &g, 1);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&g);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&g, POOL_ID);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&g, NSLOTS);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&g, STRIDE);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&g, f->pool_uri, (uint32_t)strlen(f->pool_uri));
    shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, f->header_uri, (uint32_t)strlen(f->header_uri));
    fake_offer(f, 8 + (size_t)shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg));
}

static void fake_respond(fake_t *f, int64_t correlation_id, uint8_t role, int hostile)
{
    char header_uri[PATH_MAX + 64];
    char pool_uri[PATH_MAX + 64];
    snprintf(header_uri, sizeof(header_uri), "%s", f->header_uri);
    snprintf(pool_uri, sizeof(pool_uri), "%s", f->pool_uri);
    if (HOSTILE_OUTSIDE == hostile)
    {
        fake_create_epoch(f, shared->outside_dir, f->epoch, header_uri, pool_uri);
    }
    uint64_t lease = f->next_lease++;
    struct shm_tensorpool_driver_shmAttachResponse msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools g;
    shm_tensorpool_driver_shmAttachResponse_wrap_and_apply_header(&msg, (char *)f->buffer, 0, sizeof(f->buffer), &hdr);
    shm_tensorpool_driver_shmAttachResponse_set_correlationId(&msg, correlation_id);
    shm_tensorpool_driver_shmAttachResponse_set_code(&msg, shm_tensorpool_driver_responseCode_OK);
    shm_tensorpool_driver_shmAttachResponse_set_leaseId(&msg, HOSTILE_NULL_LEASE == hostile ? UINT64_MAX : lease);
    shm_tensorpool_driver_shmAttachResponse_set_leaseExpiryTimestampNs(&msg, tp_clock_monotonic_ns() + 3000000000ULL);
    shm_tensorpool_driver_shmAttachResponse_set_streamId(&msg, STREAM);
    shm_tensorpool_driver_shmAttachResponse_set_epoch(&msg, f->epoch);
    shm_tensorpool_driver_shmAttachResponse_set_layoutVersion(&msg, 1);
    shm_tensorpool_driver_shmAttachResponse_set_headerNslots(&msg, NSLOTS);
    shm_tensorpool_driver_shmAttachResponse_set_headerSlotBytes(&msg, 256);
    shm_tensorpool_driver_shmAttachResponse_set_maxDims(&msg, 8);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_count(&msg, &g, 1);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&g);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolId(&g, POOL_ID);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolNslots(&g, HOSTILE_NSLOTS == hostile ? NSLOTS / 2
                                                                                                      : NSLOTS);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_strideBytes(&g, STRIDE);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_put_regionUri(&g, pool_uri, (uint32_t)strlen(pool_uri));
    shm_tensorpool_driver_shmAttachResponse_put_headerRegionUri(&msg, header_uri, (uint32_t)strlen(header_uri));
    shm_tensorpool_driver_shmAttachResponse_put_errorMessage(&msg, "", 0);
    fake_offer(f, 8 + (size_t)shm_tensorpool_driver_shmAttachResponse_encoded_length(&msg));
    if (HOSTILE_NONE != hostile)
    {
        shared->hostile_sent++;
    }
    else if (1 == role)
    {
        f->producer_lease = lease;
        shared->producer_attaches++;
    }
}

static void fake_revoke_producer(fake_t *f)
{
    struct shm_tensorpool_driver_shmLeaseRevoked msg;
    struct shm_tensorpool_driver_messageHeader hdr;
    shm_tensorpool_driver_shmLeaseRevoked_wrap_and_apply_header(&msg, (char *)f->buffer, 0, sizeof(f->buffer), &hdr);
    shm_tensorpool_driver_shmLeaseRevoked_set_timestampNs(&msg, tp_clock_monotonic_ns());
    shm_tensorpool_driver_shmLeaseRevoked_set_leaseId(&msg, f->producer_lease);
    shm_tensorpool_driver_shmLeaseRevoked_set_streamId(&msg, STREAM);
    shm_tensorpool_driver_shmLeaseRevoked_set_clientId(&msg, PRODUCER_ID);
    shm_tensorpool_driver_shmLeaseRevoked_set_role(&msg, shm_tensorpool_driver_role_PRODUCER);
    shm_tensorpool_driver_shmLeaseRevoked_set_reason(&msg, shm_tensorpool_driver_leaseRevokeReason_REVOKED);
    shm_tensorpool_driver_shmLeaseRevoked_put_errorMessage(&msg, "test", 4);
    fake_offer(f, 8 + (size_t)shm_tensorpool_driver_shmLeaseRevoked_encoded_length(&msg));
    /* Revoke first, then the epoch-bumped announce (§4.9). */
    f->producer_lease = 0;
    f->epoch++;
    shared->epoch = f->epoch;
    fake_create_epoch(f, shared->shm_dir, f->epoch, f->header_uri, f->pool_uri);
    fake_announce(f);
}

static void fake_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    fake_t *f = clientd;
    if (length < 8 || 901 != (buffer[4] | (buffer[5] << 8)))
    {
        return;
    }
    uint16_t template_id = (uint16_t)(buffer[2] | (buffer[3] << 8));
    if (5 == template_id)
    {
        shared->keepalives++;
        return;
    }
    if (1 != template_id)
    {
        return;
    }
    struct shm_tensorpool_driver_shmAttachRequest req;
    if (NULL == shm_tensorpool_driver_shmAttachRequest_wrap_for_decode(
                    &req, (char *)buffer, 8, (uint16_t)(buffer[0] | (buffer[1] << 8)), 1, length))
    {
        return;
    }
    uint8_t role = shm_tensorpool_driver_shmAttachRequest_role_raw(&req);
    int64_t correlation_id = shm_tensorpool_driver_shmAttachRequest_correlationId(&req);
    int hostile = HOSTILE_NONE;
    if (1 == role)
    {
        uint64_t sent = shared->hostile_sent;
        if (sent < 3 && HOSTILE_NONE != shared->hostile[sent])
        {
            hostile = shared->hostile[sent];
        }
        else if (0 == f->producer_lease)
        {
            /* A producer attach on a stream without producer bumps the epoch: fresh files. */
            f->epoch++;
            shared->epoch = f->epoch;
            fake_create_epoch(f, shared->shm_dir, f->epoch, f->header_uri, f->pool_uri);
        }
    }
    fake_respond(f, correlation_id, role, hostile);
    if (1 == role && HOSTILE_NONE == hostile)
    {
        fake_announce(f);
    }
}

static int run_fake_driver(void *arg)
{
    (void)arg;
    fake_t f;
    memset(&f, 0, sizeof(f));
    f.next_lease = 100;
    aeron_context_t *ctx = NULL;
    aeron_async_add_publication_t *apub = NULL;
    aeron_async_add_subscription_t *asub = NULL;
    if (aeron_context_init(&ctx) < 0 || aeron_context_set_dir(ctx, shared->aeron_dir) < 0 ||
        aeron_init(&f.aeron, ctx) < 0 || aeron_start(f.aeron) < 0 ||
        aeron_async_add_publication(&apub, f.aeron, "aeron:ipc", 1000) < 0 ||
        aeron_async_add_subscription(&asub, f.aeron, "aeron:ipc", 1000, NULL, NULL, NULL, NULL) < 0)
    {
        fprintf(stderr, "fake driver: %s\n", aeron_errmsg());
        return 2;
    }
    while (0 == aeron_async_add_publication_poll(&f.pub, apub))
    {
        usleep(1000);
    }
    while (0 == aeron_async_add_subscription_poll(&f.sub, asub))
    {
        usleep(1000);
    }
    if (NULL == f.pub || NULL == f.sub)
    {
        return 3;
    }
    aeron_fragment_assembler_t *assembler = NULL;
    aeron_fragment_assembler_create(&assembler, fake_on_fragment, &f);
    /* A provisioned stream before any producer: epoch 1, so consumers can attach REQUIRE_EXISTING. */
    f.epoch = 1;
    shared->epoch = 1;
    fake_create_epoch(&f, shared->shm_dir, f.epoch, f.header_uri, f.pool_uri);
    shared->ready = 1;
    uint64_t next_announce = 0;
    while (!shared->stop)
    {
        int work = aeron_subscription_poll(f.sub, aeron_fragment_assembler_handler, assembler, 10);
        if (shared->revoke_producer && 0 != f.producer_lease)
        {
            fake_revoke_producer(&f);
            shared->revoke_producer = 0;
        }
        uint64_t now = tp_clock_monotonic_ns();
        if (now >= next_announce)
        {
            fake_announce(&f);
            next_announce = now + 100000000ULL;
        }
        if (work <= 0)
        {
            usleep(500);
        }
    }
    aeron_fragment_assembler_delete(assembler);
    aeron_close(f.aeron);
    aeron_context_close(ctx);
    return 0;
}

/* ---- the test process: public API only ---- */

typedef struct run_stct
{
    tp_client_t *client;
    tp_producer_t *producer;
    tp_consumer_t *consumer;
    st_frame_counts_t counts;
    uint64_t target;
    int transitions[16][2];
    int transition_count;
} run_t;

static void on_lease(void *clientd, tp_lease_state_t from, tp_lease_state_t to, const char *reason)
{
    run_t *r = clientd;
    (void)reason;
    if (r->transition_count < 16)
    {
        r->transitions[r->transition_count][0] = (int)from;
        r->transitions[r->transition_count][1] = (int)to;
        r->transition_count++;
    }
}

static void start_world(run_t *r, pid_t *fake, bool with_consumer)
{
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", driver.dir);
    st_scratch_dir(shared->shm_dir, sizeof(shared->shm_dir));
    st_scratch_dir(shared->outside_dir, sizeof(shared->outside_dir));
    *fake = st_spawn(run_fake_driver, NULL);
    for (int i = 0; i < 5000 && !shared->ready; i++)
    {
        usleep(1000);
    }
    assert_true(shared->ready);

    tp_context_t *ctx = st_context(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    assert_int_equal(0, tp_context_set_shm_driver(ctx, true));
    assert_true(tp_context_get_shm_driver(ctx));
    assert_int_equal(0, tp_context_set_driver_attach_timeout_ns(ctx, 500000000ULL));
    assert_int_equal(0, tp_context_set_driver_keepalive_interval_ns(ctx, 200000000ULL));
    assert_int_equal(0, tp_client_start(&r->client, ctx));
    tp_context_close(ctx);

    tp_producer_config_t pcfg;
    tp_producer_config_init(&pcfg);
    pcfg.stream_id = STREAM;
    pcfg.producer_id = PRODUCER_ID;
    pcfg.on_lease_state = on_lease;
    pcfg.lease_clientd = r;
    if (0 != tp_producer_start(&r->producer, r->client, &pcfg))
    {
        fail_msg("producer start: %s", tp_errmsg());
    }
    assert_int_equal(TP_LEASE_ATTACHED, tp_producer_lease_state(r->producer));
    if (with_consumer)
    {
        tp_consumer_config_t ccfg;
        tp_consumer_config_init(&ccfg);
        ccfg.stream_id = STREAM;
        ccfg.consumer_id = CONSUMER_ID;
        assert_int_equal(0, tp_consumer_start(&r->consumer, r->client, &ccfg));
    }
}

static void stop_world(run_t *r, pid_t fake)
{
    tp_consumer_close(r->consumer);
    tp_producer_close(r->producer);
    tp_client_close(r->client);
    shared->stop = 1;
    assert_int_equal(0, st_wait(fake, 10000));
}

/* One producer frame per call (when attached) plus both polls. */
static void step(run_t *r)
{
    tp_client_do_work(r->client);
    tp_producer_poll(r->producer, 10);
    if (TP_LEASE_ATTACHED == tp_producer_lease_state(r->producer))
    {
        uint64_t seq = tp_producer_next_seq(r->producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        tp_producer_claim_t claim;
        if (TP_PRODUCER_OK == tp_producer_claim(r->producer, st_frame_length(seq), &desc, &claim))
        {
            st_frame_fill(claim.payload, seq);
            tp_producer_commit(r->producer, &claim, &desc, st_frame_timestamp(seq));
        }
    }
    else
    {
        tp_tensor_desc_t desc;
        st_frame_desc(0, &desc);
        tp_producer_claim_t claim;
        assert_int_equal(TP_PRODUCER_NOT_ATTACHED, tp_producer_claim(r->producer, 128, &desc, &claim));
    }
    if (NULL != r->consumer)
    {
        tp_consumer_poll(r->consumer, st_frame_count, &r->counts, 10);
    }
    usleep(1000);
}

static bool run_until_verified(run_t *r, uint64_t verified, int64_t timeout_ms)
{
    uint64_t deadline = tp_clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000ULL;
    while (r->counts.verified < verified && tp_clock_monotonic_ns() < deadline)
    {
        step(r);
    }
    return r->counts.verified >= verified;
}

static void test_attach_frames_revoke_reattach(void **state)
{
    (void)state;
    run_t r;
    memset(&r, 0, sizeof(r));
    pid_t fake;
    start_world(&r, &fake, true);
    assert_int_equal(2, tp_producer_epoch(r.producer)); /* epoch 1 provisioned, bumped by the producer attach */

    assert_true(run_until_verified(&r, 50, 20000));
    assert_int_equal(0, r.counts.bad);
    assert_int_equal(TP_LEASE_ATTACHED, tp_consumer_lease_state(r.consumer));
    assert_int_equal(2, tp_consumer_epoch(r.consumer));
    /* Keepalives go out from the normal polls and reach the driver. */
    uint64_t ka_deadline = tp_clock_monotonic_ns() + 5000000000ULL;
    while ((0 == shared->keepalives || 0 == tp_producer_transport_counters(r.producer)->lease.keepalives_sent ||
            0 == tp_consumer_transport_counters(r.consumer)->lease.keepalives_sent) &&
           tp_clock_monotonic_ns() < ka_deadline)
    {
        step(&r);
    }
    assert_true(shared->keepalives >= 2);
    assert_true(tp_producer_transport_counters(r.producer)->lease.keepalives_sent >= 1);
    assert_true(tp_consumer_transport_counters(r.consumer)->lease.keepalives_sent >= 1);

    /* Revoke the producer lease: it pauses, reattaches to epoch 3, sequence continues; the consumer remaps. */
    uint64_t seq_before = tp_producer_next_seq(r.producer);
    shared->revoke_producer = 1;
    uint64_t deadline = tp_clock_monotonic_ns() + 20000000000ULL;
    while ((tp_producer_epoch(r.producer) < 4 || TP_LEASE_ATTACHED != tp_producer_lease_state(r.producer)) &&
           tp_clock_monotonic_ns() < deadline)
    {
        step(&r);
    }
    assert_int_equal(TP_LEASE_ATTACHED, tp_producer_lease_state(r.producer));
    assert_int_equal(4, tp_producer_epoch(r.producer)); /* 3 after the revoke, 4 for the producer's reattach */
    assert_true(tp_producer_next_seq(r.producer) >= seq_before);
    const tp_producer_transport_counters_t *pt = tp_producer_transport_counters(r.producer);
    assert_int_equal(1, pt->lease.reattaches);
    assert_int_equal(2, pt->lease.attaches);
    /* The state callback saw ATTACHED -> BACKOFF -> ATTACHING -> ATTACHED. */
    bool saw_backoff = false;
    for (int i = 0; i < r.transition_count; i++)
    {
        saw_backoff |= TP_LEASE_ATTACHED == r.transitions[i][0] && TP_LEASE_BACKOFF == r.transitions[i][1];
    }
    assert_true(saw_backoff);

    uint64_t verified = r.counts.verified;
    assert_true(run_until_verified(&r, verified + 50, 20000));
    assert_int_equal(0, r.counts.bad);
    assert_int_equal(4, tp_consumer_epoch(r.consumer));
    assert_true(tp_consumer_counters(r.consumer)->remaps + tp_consumer_counters(r.consumer)->maps >= 2);
    stop_world(&r, fake);
}

static void test_hostile_responses_fail_closed_and_retry(void **state)
{
    (void)state;
    memset(shared, 0, sizeof(*shared));
    shared->hostile[0] = HOSTILE_NULL_LEASE;
    shared->hostile[1] = HOSTILE_NSLOTS;
    shared->hostile[2] = HOSTILE_OUTSIDE;
    run_t r;
    memset(&r, 0, sizeof(r));
    pid_t fake;
    start_world(&r, &fake, false); /* start blocks through the three refusals until a good grant */
    assert_int_equal(3, shared->hostile_sent);
    const tp_producer_transport_counters_t *pt = tp_producer_transport_counters(r.producer);
    assert_int_equal(3, pt->lease.attach_failures);
    /* The outside grant passed the response checks (counted as an attach) and failed the containment check. */
    assert_int_equal(2, pt->lease.attaches);
    /* Never mapped the outside region: nothing of ours points there and the good epoch is the one in use. */
    assert_int_equal(2, tp_producer_epoch(r.producer));
    assert_non_null(strstr(tp_producer_header_path(r.producer), shared->shm_dir));
    stop_world(&r, fake);
}

static int group_setup(void **state)
{
    (void)state;
    shared = st_shared_alloc(sizeof(*shared));
    return NULL == shared ? -1 : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attach_frames_revoke_reattach),
        cmocka_unit_test(test_hostile_responses_fail_closed_and_retry),
    };
    return cmocka_run_group_tests(tests, group_setup, st_cleanup);
}
