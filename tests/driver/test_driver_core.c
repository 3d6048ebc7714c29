/*
 * SHM driver core: every attach response path, keepalive / expiry / detach with their message order, epochs
 * (strictly increasing, across restarts), dynamic streams, shutdown, epoch GC and close. Real region files in a
 * per-test directory under /dev/shm; an in-memory sink captures every emitted message with its target; the
 * monotonic and realtime clocks are fakes the test sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/tp_clock.h"
#include "tensorpool/tp_error.h"
#include "driver/tp_driver_core.h"
#include "driver/tp_epoch_gc.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_shm_uri.h"
#include "shm/tp_superblock.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_driver/messageHeader.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDetachResponse.h"
#include "shm_tensorpool_driver/shmDriverShutdown.h"
#include "shm_tensorpool_driver/shmDriverShutdownRequest.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

#define CONTROL_STREAM  1000
#define ANNOUNCE_STREAM 1001
#define STATIC_STREAM   10
#define MAX_MSGS        256
#define URI_MAX         (PATH_MAX + 64)
#define SEC             1000000000ULL

enum
{
    T_ATTACH_REQ = 1,
    T_ATTACH_RESP = 2,
    T_DETACH_REQ = 3,
    T_DETACH_RESP = 4,
    T_KEEPALIVE = 5,
    T_SHUTDOWN = 6,
    T_REVOKED = 7,
    T_SHUTDOWN_REQ = 8,
    T_ANNOUNCE = 1000 /* pseudo template: schema 900 ShmPoolAnnounce */
};

typedef struct msg_stct
{
    uint32_t stream_id;
    int kind; /* T_* */
    uint8_t *data;
    size_t length;
} msg_t;

typedef struct fixture_stct
{
    char dir[64];
    tp_driver_config_t config;
    uint64_t now_ns;
    uint64_t realtime_ns;
    msg_t msgs[MAX_MSGS];
    size_t msg_count;
    size_t log_warns;
    tp_driver_core_t *core;
} fixture_t;

typedef struct attach_resp_stct
{
    int64_t correlation_id;
    int32_t code;
    uint64_t lease_id;
    uint64_t expiry_ns;
    uint32_t stream_id;
    uint64_t epoch;
    uint32_t layout_version;
    uint32_t nslots;
    uint16_t slot_bytes;
    uint8_t max_dims;
    size_t pool_count;
    struct
    {
        uint16_t pool_id;
        uint32_t nslots;
        uint32_t stride;
        char uri[URI_MAX];
    } pools[4];
    char header_uri[URI_MAX];
    char error[1100];
} attach_resp_t;

/* ---- fakes ---- */

static uint64_t fake_mono(void *clientd)
{
    return ((fixture_t *)clientd)->now_ns;
}

static uint64_t fake_real(void *clientd)
{
    return ((fixture_t *)clientd)->realtime_ns;
}

static int sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    fixture_t *f = clientd;
    assert_true(f->msg_count < MAX_MSGS);
    assert_int_equal(TP_STREAM_CONTROL, target->kind);
    assert_true(length >= 8);
    msg_t *m = &f->msgs[f->msg_count++];
    m->stream_id = target->stream_id;
    uint16_t template_id = (uint16_t)(buffer[2] | (buffer[3] << 8));
    uint16_t schema_id = (uint16_t)(buffer[4] | (buffer[5] << 8));
    uint16_t version = (uint16_t)(buffer[6] | (buffer[7] << 8));
    if (900 == schema_id)
    {
        assert_int_equal(shm_tensorpool_control_shmPoolAnnounce_sbe_template_id(), template_id);
        assert_int_equal(ANNOUNCE_STREAM, target->stream_id);
        assert_string_equal("aeron:ipc?announce", target->channel);
        m->kind = T_ANNOUNCE;
    }
    else
    {
        assert_int_equal(901, schema_id);
        assert_int_equal(1, version);
        assert_int_equal(CONTROL_STREAM, target->stream_id);
        m->kind = template_id;
    }
    m->data = malloc(length);
    assert_non_null(m->data);
    memcpy(m->data, buffer, length);
    m->length = length;
    return 0;
}

static void log_fn(void *clientd, tp_log_level_t level, const char *text)
{
    fixture_t *f = clientd;
    assert_null(strchr(text, '\n'));
    if (TP_LOG_WARN == level)
    {
        f->log_warns++;
    }
}

static void clear_msgs(fixture_t *f)
{
    for (size_t i = 0; i < f->msg_count; i++)
    {
        free(f->msgs[i].data);
    }
    f->msg_count = 0;
}

/* tp_driver_config_init-like defaults (test only: the TOML loader lives elsewhere) plus one small profile. */
static void test_config_defaults(tp_driver_config_t *c, const char *base_dir)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->instance_id, sizeof(c->instance_id), "driver-01");
    snprintf(c->control_channel, sizeof(c->control_channel), "aeron:ipc?term-length=4m");
    c->control_stream_id = CONTROL_STREAM;
    snprintf(c->announce_channel, sizeof(c->announce_channel), "aeron:ipc?announce");
    c->announce_stream_id = ANNOUNCE_STREAM;
    snprintf(c->qos_channel, sizeof(c->qos_channel), "aeron:ipc?term-length=4m");
    c->qos_stream_id = 1200;
    snprintf(c->idle_strategy, sizeof(c->idle_strategy), "backoff");
    snprintf(c->base_dir, sizeof(c->base_dir), "%s", base_dir);
    snprintf(c->namespace_name, sizeof(c->namespace_name), "tensorpool");
    c->page_size_bytes = 4096;
    c->permissions_mode = 0660;
    snprintf(c->allowed_base_dirs[0], sizeof(c->allowed_base_dirs[0]), "%s", base_dir);
    c->allowed_base_dir_count = 1;
    c->announce_period_ms = 1000;
    c->lease_keepalive_interval_ms = 1000;
    c->lease_expiry_grace_intervals = 3;
    c->prefault_shm = true;
    c->epoch_gc_enabled = true;
    c->epoch_gc_keep = 2;
    c->epoch_gc_min_age_ns = 3 * SEC;
    c->shutdown_timeout_ms = 2000;
    snprintf(c->profiles[0].name, sizeof(c->profiles[0].name), "small");
    c->profiles[0].header_nslots = 8;
    c->profiles[0].pools[0].pool_id = 1;
    c->profiles[0].pools[0].stride_bytes = 4096;
    c->profiles[0].pools[1].pool_id = 7;
    c->profiles[0].pools[1].stride_bytes = 8192;
    c->profiles[0].pool_count = 2;
    c->profile_count = 1;
    snprintf(c->streams[0].name, sizeof(c->streams[0].name), "cam");
    c->streams[0].stream_id = STATIC_STREAM;
    c->streams[0].profile_index = 0;
    c->stream_count = 1;
}

static void start_core(fixture_t *f)
{
    tp_driver_core_context_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.config = &f->config;
    ctx.clock = fake_mono;
    ctx.realtime_clock = fake_real;
    ctx.clock_clientd = f;
    ctx.sink.offer = sink_offer;
    ctx.sink.clientd = f;
    ctx.log = log_fn;
    ctx.log_clientd = f;
    int rc = tp_driver_core_start(&f->core, &ctx);
    if (rc < 0)
    {
        fprintf(stderr, "start: %s\n", tp_errmsg());
    }
    assert_int_equal(0, rc);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/dev/shm/tp-drvcore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    test_config_defaults(&f->config, f->dir);
    f->now_ns = 1000 * SEC;
    f->realtime_ns = tp_clock_realtime_ns(); /* near the real clock: GC compares against directory mtimes */
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tp_driver_core_close(f->core);
    clear_msgs(f);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- encoders of requests ---- */

static size_t enc_attach(uint8_t *buf, size_t cap, int64_t corr, uint32_t stream, uint32_t client, uint8_t role,
                         uint32_t layout, uint8_t publish, uint8_t huge)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachRequest m;
    assert_non_null(shm_tensorpool_driver_shmAttachRequest_wrap_and_apply_header(&m, (char *)buf, 0, cap, &hdr));
    shm_tensorpool_driver_shmAttachRequest_set_correlationId(&m, corr);
    shm_tensorpool_driver_shmAttachRequest_set_streamId(&m, stream);
    shm_tensorpool_driver_shmAttachRequest_set_clientId(&m, client);
    shm_tensorpool_driver_shmAttachRequest_set_expectedLayoutVersion(&m, layout);
    shm_tensorpool_driver_shmAttachRequest_set_maxDims(&m, 3);
    size_t body = 8;
    buf[body + shm_tensorpool_driver_shmAttachRequest_role_encoding_offset()] = role;
    buf[body + shm_tensorpool_driver_shmAttachRequest_publishMode_encoding_offset()] = publish;
    buf[body + shm_tensorpool_driver_shmAttachRequest_requireHugepages_encoding_offset()] = huge;
    return 8 + shm_tensorpool_driver_shmAttachRequest_encoded_length(&m);
}

static size_t enc_detach(uint8_t *buf, size_t cap, int64_t corr, uint64_t lease, uint32_t stream, uint32_t client,
                         uint8_t role)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDetachRequest m;
    assert_non_null(shm_tensorpool_driver_shmDetachRequest_wrap_and_apply_header(&m, (char *)buf, 0, cap, &hdr));
    shm_tensorpool_driver_shmDetachRequest_set_correlationId(&m, corr);
    shm_tensorpool_driver_shmDetachRequest_set_leaseId(&m, lease);
    shm_tensorpool_driver_shmDetachRequest_set_streamId(&m, stream);
    shm_tensorpool_driver_shmDetachRequest_set_clientId(&m, client);
    buf[8 + shm_tensorpool_driver_shmDetachRequest_role_encoding_offset()] = role;
    return 8 + shm_tensorpool_driver_shmDetachRequest_encoded_length(&m);
}

static size_t enc_keepalive(uint8_t *buf, size_t cap, uint64_t lease, uint32_t stream, uint32_t client, uint8_t role)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmLeaseKeepalive m;
    assert_non_null(shm_tensorpool_driver_shmLeaseKeepalive_wrap_and_apply_header(&m, (char *)buf, 0, cap, &hdr));
    shm_tensorpool_driver_shmLeaseKeepalive_set_leaseId(&m, lease);
    shm_tensorpool_driver_shmLeaseKeepalive_set_streamId(&m, stream);
    shm_tensorpool_driver_shmLeaseKeepalive_set_clientId(&m, client);
    shm_tensorpool_driver_shmLeaseKeepalive_set_clientTimestampNs(&m, 5);
    buf[8 + shm_tensorpool_driver_shmLeaseKeepalive_role_encoding_offset()] = role;
    return 8 + shm_tensorpool_driver_shmLeaseKeepalive_encoded_length(&m);
}

static size_t enc_shutdown_req(uint8_t *buf, size_t cap, int64_t corr, uint8_t reason, const char *token,
                               const char *message)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDriverShutdownRequest m;
    assert_non_null(
        shm_tensorpool_driver_shmDriverShutdownRequest_wrap_and_apply_header(&m, (char *)buf, 0, cap, &hdr));
    shm_tensorpool_driver_shmDriverShutdownRequest_set_correlationId(&m, corr);
    buf[8 + shm_tensorpool_driver_shmDriverShutdownRequest_reason_encoding_offset()] = reason;
    assert_non_null(shm_tensorpool_driver_shmDriverShutdownRequest_put_token(&m, token, (uint32_t)strlen(token)));
    assert_non_null(
        shm_tensorpool_driver_shmDriverShutdownRequest_put_errorMessage(&m, message, (uint32_t)strlen(message)));
    return 8 + shm_tensorpool_driver_shmDriverShutdownRequest_encoded_length(&m);
}

/* ---- decoders of what the driver emits ---- */

static void dec_attach(const msg_t *msg, attach_resp_t *r)
{
    assert_int_equal(T_ATTACH_RESP, msg->kind);
    struct shm_tensorpool_driver_shmAttachResponse m;
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools g;
    uint16_t bl = (uint16_t)(msg->data[0] | (msg->data[1] << 8));
    assert_non_null(
        shm_tensorpool_driver_shmAttachResponse_wrap_for_decode(&m, (char *)msg->data, 8, bl, 1, msg->length));
    memset(r, 0, sizeof(*r));
    r->correlation_id = shm_tensorpool_driver_shmAttachResponse_correlationId(&m);
    r->code = shm_tensorpool_driver_shmAttachResponse_code_raw(&m);
    r->lease_id = shm_tensorpool_driver_shmAttachResponse_leaseId(&m);
    r->expiry_ns = shm_tensorpool_driver_shmAttachResponse_leaseExpiryTimestampNs(&m);
    r->stream_id = shm_tensorpool_driver_shmAttachResponse_streamId(&m);
    r->epoch = shm_tensorpool_driver_shmAttachResponse_epoch(&m);
    r->layout_version = shm_tensorpool_driver_shmAttachResponse_layoutVersion(&m);
    r->nslots = shm_tensorpool_driver_shmAttachResponse_headerNslots(&m);
    r->slot_bytes = shm_tensorpool_driver_shmAttachResponse_headerSlotBytes(&m);
    r->max_dims = shm_tensorpool_driver_shmAttachResponse_maxDims(&m);
    assert_non_null(shm_tensorpool_driver_shmAttachResponse_get_payloadPools(&m, &g));
    r->pool_count = shm_tensorpool_driver_shmAttachResponse_payloadPools_count(&g);
    assert_true(r->pool_count <= 4);
    for (size_t i = 0; i < r->pool_count; i++)
    {
        assert_non_null(shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&g));
        r->pools[i].pool_id = shm_tensorpool_driver_shmAttachResponse_payloadPools_poolId(&g);
        r->pools[i].nslots = shm_tensorpool_driver_shmAttachResponse_payloadPools_poolNslots(&g);
        r->pools[i].stride = shm_tensorpool_driver_shmAttachResponse_payloadPools_strideBytes(&g);
        struct shm_tensorpool_driver_shmAttachResponse_string_view v =
            shm_tensorpool_driver_shmAttachResponse_payloadPools_get_regionUri_as_string_view(&g);
        assert_non_null(v.data);
        assert_true(v.length < URI_MAX);
        memcpy(r->pools[i].uri, v.data, v.length);
    }
    struct shm_tensorpool_driver_shmAttachResponse_string_view v =
        shm_tensorpool_driver_shmAttachResponse_get_headerRegionUri_as_string_view(&m);
    assert_non_null(v.data);
    memcpy(r->header_uri, v.data, v.length);
    v = shm_tensorpool_driver_shmAttachResponse_get_errorMessage_as_string_view(&m);
    assert_non_null(v.data);
    assert_true(v.length <= 1024);
    memcpy(r->error, v.data, v.length);
    assert_int_equal(msg->length, 8 + shm_tensorpool_driver_shmAttachResponse_encoded_length(&m));
}

static int32_t dec_detach_code(const msg_t *msg, int64_t *corr)
{
    assert_int_equal(T_DETACH_RESP, msg->kind);
    struct shm_tensorpool_driver_shmDetachResponse m;
    uint16_t bl = (uint16_t)(msg->data[0] | (msg->data[1] << 8));
    assert_non_null(
        shm_tensorpool_driver_shmDetachResponse_wrap_for_decode(&m, (char *)msg->data, 8, bl, 1, msg->length));
    *corr = shm_tensorpool_driver_shmDetachResponse_correlationId(&m);
    return shm_tensorpool_driver_shmDetachResponse_code_raw(&m);
}

typedef struct revoked_stct
{
    uint64_t lease_id;
    uint32_t stream_id;
    uint32_t client_id;
    uint8_t role;
    uint8_t reason;
} revoked_t;

static void dec_revoked(const msg_t *msg, revoked_t *r)
{
    assert_int_equal(T_REVOKED, msg->kind);
    struct shm_tensorpool_driver_shmLeaseRevoked m;
    uint16_t bl = (uint16_t)(msg->data[0] | (msg->data[1] << 8));
    assert_non_null(
        shm_tensorpool_driver_shmLeaseRevoked_wrap_for_decode(&m, (char *)msg->data, 8, bl, 1, msg->length));
    r->lease_id = shm_tensorpool_driver_shmLeaseRevoked_leaseId(&m);
    r->stream_id = shm_tensorpool_driver_shmLeaseRevoked_streamId(&m);
    r->client_id = shm_tensorpool_driver_shmLeaseRevoked_clientId(&m);
    r->role = msg->data[8 + shm_tensorpool_driver_shmLeaseRevoked_role_encoding_offset()];
    r->reason = msg->data[8 + shm_tensorpool_driver_shmLeaseRevoked_reason_encoding_offset()];
}

typedef struct announce_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint64_t timestamp_ns;
    char header_uri[URI_MAX];
} announce_t;

static void dec_announce(const msg_t *msg, announce_t *a)
{
    assert_int_equal(T_ANNOUNCE, msg->kind);
    struct shm_tensorpool_control_shmPoolAnnounce m;
    uint16_t bl = (uint16_t)(msg->data[0] | (msg->data[1] << 8));
    assert_non_null(
        shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&m, (char *)msg->data, 8, bl, 1, msg->length));
    memset(a, 0, sizeof(*a));
    a->stream_id = shm_tensorpool_control_shmPoolAnnounce_streamId(&m);
    a->producer_id = shm_tensorpool_control_shmPoolAnnounce_producerId(&m);
    a->epoch = shm_tensorpool_control_shmPoolAnnounce_epoch(&m);
    a->timestamp_ns = shm_tensorpool_control_shmPoolAnnounce_announceTimestampNs(&m);
    assert_int_equal(shm_tensorpool_control_clockDomain_MONOTONIC,
                     shm_tensorpool_control_shmPoolAnnounce_announceClockDomain_raw(&m));
}

/* ---- helpers ---- */

static int feed(fixture_t *f, const uint8_t *buf, size_t len)
{
    return tp_driver_core_on_message(f->core, buf, len);
}

/* Attach and return the last emitted attach response. */
static void attach(fixture_t *f, attach_resp_t *r, int64_t corr, uint32_t stream, uint32_t client, uint8_t role,
                   uint8_t publish)
{
    uint8_t buf[128];
    size_t len = enc_attach(buf, sizeof(buf), corr, stream, client, role, 0, publish, 0);
    assert_int_equal(1, feed(f, buf, len));
    for (size_t i = f->msg_count; i > 0; i--)
    {
        if (T_ATTACH_RESP == f->msgs[i - 1].kind)
        {
            dec_attach(&f->msgs[i - 1], r);
            assert_int_equal(corr, r->correlation_id);
            return;
        }
    }
    fail_msg("no attach response");
}

static void assert_error_response(const attach_resp_t *r, int32_t code)
{
    assert_int_equal(code, r->code);
    assert_true(UINT64_MAX == r->lease_id);
    assert_true(UINT64_MAX == r->expiry_ns);
    assert_true(UINT32_MAX == r->stream_id);
    assert_true(UINT64_MAX == r->epoch);
    assert_true(UINT32_MAX == r->layout_version);
    assert_true(UINT32_MAX == r->nslots);
    assert_int_equal(UINT16_MAX, r->slot_bytes);
    assert_int_equal(255, r->max_dims);
    assert_int_equal(0, r->pool_count);
    assert_string_equal("", r->header_uri);
    assert_true(strlen(r->error) > 0);
}

static void check_region(const char *uri, uint64_t epoch, uint32_t stream, tp_region_type_t type, uint16_t pool_id,
                         uint32_t nslots, uint32_t stride)
{
    tp_shm_uri_t parsed;
    assert_int_equal(0, tp_shm_uri_parse(&parsed, uri));
    struct stat st;
    assert_int_equal(0, lstat(parsed.path, &st));
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(0660, st.st_mode & 07777);
    FILE *fp = fopen(parsed.path, "rb");
    assert_non_null(fp);
    uint8_t sbuf[64];
    assert_int_equal(64, fread(sbuf, 1, 64, fp));
    fclose(fp);
    tp_superblock_expected_t exp;
    if (TP_REGION_HEADER_RING == type)
    {
        tp_superblock_expect_header_ring(&exp, 1, epoch, stream, nslots);
        assert_int_equal(64 + (size_t)nslots * 256, (size_t)st.st_size);
    }
    else
    {
        tp_superblock_expect_payload_pool(&exp, 1, epoch, stream, pool_id, nslots, stride);
        assert_int_equal(64 + (size_t)nslots * stride, (size_t)st.st_size);
    }
    int rc = tp_superblock_validate(sbuf, sizeof(sbuf), &exp);
    if (rc < 0)
    {
        fprintf(stderr, "%s\n", tp_errmsg());
    }
    assert_int_equal(0, rc);
    tp_superblock_t sb;
    assert_int_equal(0, tp_superblock_read(sbuf, sizeof(sbuf), &sb));
    assert_int_equal((uint64_t)getpid(), sb.pid);
}

static size_t count_kind(const fixture_t *f, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < f->msg_count; i++)
    {
        n += f->msgs[i].kind == kind ? 1 : 0;
    }
    return n;
}

static void instance_dir(const fixture_t *f, uint32_t stream, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/tensorpool/driver-01.stream-%u", f->dir, stream);
}

/* ---- tests ---- */

static void test_attach_producer_and_consumer_ok(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    assert_int_equal(1, tp_driver_core_stream_count(f->core));
    attach_resp_t r;
    attach(f, &r, 77, STATIC_STREAM, 500, 1, 1);
    assert_int_equal(0, r.code);
    assert_int_equal(1, r.lease_id);
    assert_int_equal(f->now_ns + 3 * SEC, r.expiry_ns);
    assert_int_equal(STATIC_STREAM, r.stream_id);
    assert_int_equal(f->realtime_ns / 1000, r.epoch); /* first epoch: the realtime seed (no dirs yet) */
    assert_int_equal(1, r.layout_version);
    assert_int_equal(8, r.nslots);
    assert_int_equal(256, r.slot_bytes);
    assert_int_equal(8, r.max_dims);
    assert_int_equal(2, r.pool_count);
    assert_string_equal("", r.error);
    assert_int_equal(1, r.pools[0].pool_id);
    assert_int_equal(8, r.pools[0].nslots);
    assert_int_equal(4096, r.pools[0].stride);
    assert_int_equal(7, r.pools[1].pool_id);
    assert_int_equal(8192, r.pools[1].stride);
    check_region(r.header_uri, r.epoch, STATIC_STREAM, TP_REGION_HEADER_RING, 0, 8, 0);
    check_region(r.pools[0].uri, r.epoch, STATIC_STREAM, TP_REGION_PAYLOAD_POOL, 1, 8, 4096);
    check_region(r.pools[1].uri, r.epoch, STATIC_STREAM, TP_REGION_PAYLOAD_POOL, 7, 8, 8192);
    char expected[PATH_MAX + 64];
    snprintf(expected, sizeof(expected), "shm:file?path=%s/tensorpool/driver-01.stream-%u/epoch-%llu/header.ring",
             f->dir, STATIC_STREAM, (unsigned long long)r.epoch);
    assert_string_equal(expected, r.header_uri);
    /* Directories: 0750 for a group-readable+writable file mode 0660 -> 0770. */
    char dir[PATH_MAX];
    instance_dir(f, STATIC_STREAM, dir, sizeof(dir));
    struct stat st;
    assert_int_equal(0, lstat(dir, &st));
    assert_int_equal(0770, st.st_mode & 07777);
    /* The attach is followed by an announce of the new epoch naming the producer. */
    assert_int_equal(T_ATTACH_RESP, f->msgs[0].kind);
    announce_t a;
    dec_announce(&f->msgs[1], &a);
    assert_int_equal(STATIC_STREAM, a.stream_id);
    assert_int_equal(500, a.producer_id);
    assert_int_equal(r.epoch, a.epoch);
    assert_int_equal(f->now_ns, a.timestamp_ns);

    attach_resp_t c;
    attach(f, &c, -5, STATIC_STREAM, 501, 2, 255);
    assert_int_equal(0, c.code);
    assert_int_equal(2, c.lease_id);
    assert_int_equal(r.epoch, c.epoch); /* a consumer does not bump */
    assert_string_equal(r.header_uri, c.header_uri);
    assert_int_equal(2, tp_driver_core_lease_count(f->core));
    assert_int_equal(2, tp_driver_core_counters(f->core)->attach_ok);
}

static void test_consumer_first_creates_regions_producer_bumps(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t c, p;
    attach(f, &c, 1, STATIC_STREAM, 600, 2, 1);
    assert_int_equal(0, c.code);
    check_region(c.header_uri, c.epoch, STATIC_STREAM, TP_REGION_HEADER_RING, 0, 8, 0);
    attach(f, &p, 2, STATIC_STREAM, 601, 1, 1);
    assert_int_equal(0, p.code);
    assert_true(p.epoch > c.epoch); /* §6: a producer joining a producer-less stream */
    assert_int_equal(p.epoch, tp_driver_core_stream_epoch(f->core, STATIC_STREAM));
}

static void test_attach_rejections(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 10, 1, 1);
    assert_int_equal(0, r.code);
    /* exclusive producer */
    attach(f, &r, 2, STATIC_STREAM, 11, 1, 1);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "producer"));
    /* duplicate clientId (even as consumer) */
    attach(f, &r, 3, STATIC_STREAM, 10, 2, 1);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "clientId 10"));
    /* retry with the same correlationId: the same lease again */
    attach(f, &r, 1, STATIC_STREAM, 10, 1, 1);
    assert_int_equal(0, r.code);
    assert_int_equal(1, r.lease_id);
    /* REQUIRE_EXISTING (and null publish mode) on an unknown stream */
    attach(f, &r, 4, 99, 12, 2, 1);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "stream 99 is not provisioned"));
    attach(f, &r, 5, 99, 12, 2, 255);
    assert_error_response(&r, 3);
    /* dynamic disabled */
    attach(f, &r, 6, 99, 12, 2, 2);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "not provisioned"));
    /* layout mismatch; zero is fine */
    uint8_t buf[128];
    size_t len = enc_attach(buf, sizeof(buf), 7, STATIC_STREAM, 13, 2, 2, 1, 0);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "expectedLayoutVersion 2"));
    len = enc_attach(buf, sizeof(buf), 8, STATIC_STREAM, 13, 2, 1, 1, 0);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_int_equal(0, r.code);
    /* hugepages on tmpfs: HUGEPAGES rejected, STANDARD ok */
    len = enc_attach(buf, sizeof(buf), 9, STATIC_STREAM, 14, 2, 0, 1, 2);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "hugetlbfs"));
    len = enc_attach(buf, sizeof(buf), 10, STATIC_STREAM, 14, 2, 0, 1, 1);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_int_equal(0, r.code);
    /* bad enums */
    len = enc_attach(buf, sizeof(buf), 11, STATIC_STREAM, 15, 3, 0, 1, 0);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_error_response(&r, 2);
    len = enc_attach(buf, sizeof(buf), 12, STATIC_STREAM, 15, 2, 0, 9, 0);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_error_response(&r, 2);
    len = enc_attach(buf, sizeof(buf), 13, STATIC_STREAM, 15, 2, 0, 1, 3);
    feed(f, buf, len);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_error_response(&r, 2);
    assert_int_equal(10, tp_driver_core_counters(f->core)->attach_rejected);
}

static void test_require_hugepages_config(void **state)
{
    fixture_t *f = *state;
    f->config.require_hugepages = true;
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 10, 2, 1); /* UNSPECIFIED -> config: hugepages required, tmpfs */
    assert_error_response(&r, 3);
}

static void test_zero_pools_invalid(void **state)
{
    fixture_t *f = *state;
    f->config.profiles[0].pool_count = 0; /* bypasses validation on purpose */
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 10, 1, 1);
    assert_error_response(&r, 2);
    assert_non_null(strstr(r.error, "zero payload pools"));
}

static void test_version_and_truncation(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    uint8_t buf[128];
    size_t full = enc_attach(buf, sizeof(buf), 42, STATIC_STREAM, 10, 2, 0, 1, 0);
    /* version 0 -> UNSUPPORTED */
    uint8_t v0[128];
    memcpy(v0, buf, full);
    v0[6] = 0;
    v0[7] = 0;
    feed(f, v0, full);
    attach_resp_t r;
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_int_equal(42, r.correlation_id);
    assert_error_response(&r, 1);
    clear_msgs(f);
    /* Every truncation: never crash; answered INVALID_PARAMS when the correlationId is readable, else dropped. */
    for (size_t len = 0; len < full; len++)
    {
        uint8_t *copy = malloc(len + 1); /* exact-size heap copy: ASan catches any overread */
        memcpy(copy, buf, len);
        size_t before = f->msg_count;
        tp_driver_core_on_message(f->core, 0 == len ? NULL : copy, len);
        if (len >= 16)
        {
            assert_int_equal(before + 1, f->msg_count);
            dec_attach(&f->msgs[f->msg_count - 1], &r);
            assert_int_equal(42, r.correlation_id);
            assert_error_response(&r, 2);
        }
        else
        {
            assert_int_equal(before, f->msg_count);
        }
        free(copy);
    }
    /* A block length shorter than v1 (buffer complete) -> INVALID_PARAMS. */
    uint8_t shortb[128];
    memcpy(shortb, buf, full);
    shortb[0] = 10;
    shortb[1] = 0;
    feed(f, shortb, full);
    dec_attach(&f->msgs[f->msg_count - 1], &r);
    assert_error_response(&r, 2);
    /* Truncated detach / keepalive / shutdown requests of every length: no crash, nothing accepted. */
    uint8_t d[128];
    size_t dl = enc_detach(d, sizeof(d), 1, 1, STATIC_STREAM, 10, 2);
    uint8_t k[128];
    size_t kl = enc_keepalive(k, sizeof(k), 1, STATIC_STREAM, 10, 2);
    uint8_t s[256];
    size_t sl = enc_shutdown_req(s, sizeof(s), 1, 1, "tok", "bye");
    for (size_t len = 0; len < sl; len++)
    {
        uint8_t *copy = malloc(len + 1);
        if (len < dl)
        {
            memcpy(copy, d, len);
            tp_driver_core_on_message(f->core, copy, len);
        }
        if (len < kl)
        {
            memcpy(copy, k, len);
            tp_driver_core_on_message(f->core, copy, len);
        }
        memcpy(copy, s, len);
        tp_driver_core_on_message(f->core, copy, len);
        free(copy);
    }
    assert_int_equal(TP_DRIVER_RUNNING, tp_driver_core_state(f->core));
    assert_int_equal(0, tp_driver_core_lease_count(f->core));
    assert_true(tp_driver_core_counters(f->core)->malformed_messages > 0);
    /* The whole flood costs one WARN line from the duty cycle, then nothing until the interval has passed. */
    size_t warns = f->log_warns;
    tp_driver_core_do_work(f->core, f->now_ns);
    tp_driver_core_do_work(f->core, f->now_ns + SEC);
    assert_int_equal(warns + 1, f->log_warns);
    tp_driver_core_on_message(f->core, d, 3);
    tp_driver_core_do_work(f->core, f->now_ns + 2 * SEC);
    assert_int_equal(warns + 1, f->log_warns);
    tp_driver_core_do_work(f->core, f->now_ns + 6 * SEC);
    assert_int_equal(warns + 2, f->log_warns);
    /* A foreign schema is skipped silently. */
    uint8_t foreign[64];
    memcpy(foreign, buf, full);
    foreign[4] = 0x84; /* 900 */
    foreign[5] = 0x03;
    size_t before = f->msg_count;
    assert_int_equal(0, feed(f, foreign, full));
    assert_int_equal(before, f->msg_count);
    assert_int_equal(1, tp_driver_core_counters(f->core)->foreign_messages);
}

static void test_keepalive_and_producer_expiry(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t p, c;
    attach(f, &p, 1, STATIC_STREAM, 20, 1, 1);
    attach(f, &c, 2, STATIC_STREAM, 21, 2, 1);
    uint8_t buf[128];
    f->now_ns += 2 * SEC;
    size_t len = enc_keepalive(buf, sizeof(buf), p.lease_id, STATIC_STREAM, 20, 1);
    feed(f, buf, len);
    len = enc_keepalive(buf, sizeof(buf), c.lease_id, STATIC_STREAM, 21, 2);
    feed(f, buf, len);
    /* mismatching keepalives are ignored */
    len = enc_keepalive(buf, sizeof(buf), p.lease_id, STATIC_STREAM, 21, 1);
    feed(f, buf, len);
    len = enc_keepalive(buf, sizeof(buf), 999, STATIC_STREAM, 20, 1);
    feed(f, buf, len);
    assert_int_equal(2, tp_driver_core_counters(f->core)->keepalives);
    assert_int_equal(2, tp_driver_core_counters(f->core)->keepalives_unknown);
    f->now_ns += 2 * SEC; /* 4 s after attach, 2 s after the keepalive: still alive */
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(2, tp_driver_core_lease_count(f->core));
    /* Consumer keeps sending, producer goes silent. */
    len = enc_keepalive(buf, sizeof(buf), c.lease_id, STATIC_STREAM, 21, 2);
    feed(f, buf, len);
    clear_msgs(f);
    f->now_ns += 1 * SEC + 1;
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(1, tp_driver_core_lease_count(f->core));
    /* Order: revoke, then the epoch-bumped announce. */
    assert_true(f->msg_count >= 2);
    revoked_t rv;
    dec_revoked(&f->msgs[0], &rv);
    assert_int_equal(p.lease_id, rv.lease_id);
    assert_int_equal(2, rv.reason);
    assert_int_equal(1, rv.role);
    assert_int_equal(20, rv.client_id);
    announce_t a;
    dec_announce(&f->msgs[1], &a);
    assert_true(a.epoch > p.epoch);
    assert_int_equal(0, a.producer_id);
    assert_int_equal(1, tp_driver_core_counters(f->core)->leases_expired);
    assert_int_equal(1, tp_driver_core_counters(f->core)->epochs_bumped);
    /* Consumer expiry: revoke only, no bump. */
    uint64_t epoch = tp_driver_core_stream_epoch(f->core, STATIC_STREAM);
    clear_msgs(f);
    f->now_ns += 10 * SEC;
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(0, tp_driver_core_lease_count(f->core));
    assert_int_equal(1, count_kind(f, T_REVOKED));
    dec_revoked(&f->msgs[0], &rv);
    assert_int_equal(c.lease_id, rv.lease_id);
    assert_int_equal(2, rv.role);
    assert_int_equal(epoch, tp_driver_core_stream_epoch(f->core, STATIC_STREAM));
}

static void test_detach(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t p, c;
    attach(f, &p, 1, STATIC_STREAM, 30, 1, 1);
    attach(f, &c, 2, STATIC_STREAM, 31, 2, 1);
    uint8_t buf[128];
    int64_t corr;
    /* mismatching fields -> REJECTED, lease stays */
    clear_msgs(f);
    size_t len = enc_detach(buf, sizeof(buf), 50, p.lease_id, STATIC_STREAM, 31, 1);
    feed(f, buf, len);
    assert_int_equal(1, f->msg_count);
    assert_int_equal(3, dec_detach_code(&f->msgs[0], &corr));
    assert_int_equal(50, corr);
    assert_int_equal(2, tp_driver_core_lease_count(f->core));
    /* producer detach: revoke, response, bumped announce */
    clear_msgs(f);
    len = enc_detach(buf, sizeof(buf), 51, p.lease_id, STATIC_STREAM, 30, 1);
    feed(f, buf, len);
    assert_int_equal(3, f->msg_count);
    revoked_t rv;
    dec_revoked(&f->msgs[0], &rv);
    assert_int_equal(1, rv.reason);
    assert_int_equal(0, dec_detach_code(&f->msgs[1], &corr));
    assert_int_equal(51, corr);
    announce_t a;
    dec_announce(&f->msgs[2], &a);
    assert_true(a.epoch > p.epoch);
    /* again: idempotent REJECTED */
    clear_msgs(f);
    feed(f, buf, len);
    assert_int_equal(1, f->msg_count);
    assert_int_equal(3, dec_detach_code(&f->msgs[0], &corr));
    /* consumer detach: no bump */
    uint64_t epoch = tp_driver_core_stream_epoch(f->core, STATIC_STREAM);
    clear_msgs(f);
    len = enc_detach(buf, sizeof(buf), 52, c.lease_id, STATIC_STREAM, 31, 2);
    feed(f, buf, len);
    assert_int_equal(2, f->msg_count);
    assert_int_equal(epoch, tp_driver_core_stream_epoch(f->core, STATIC_STREAM));
    /* reattach: new, never reused lease ids; epochs strictly increase */
    attach_resp_t p2;
    attach(f, &p2, 3, STATIC_STREAM, 30, 1, 1);
    assert_int_equal(0, p2.code);
    assert_int_equal(3, p2.lease_id);
    assert_true(p2.epoch > epoch);
}

static void test_dynamic_streams(void **state)
{
    fixture_t *f = *state;
    f->config.allow_dynamic_streams = true;
    f->config.stream_id_range.set = true;
    f->config.stream_id_range.first = 20000;
    f->config.stream_id_range.last = 20002;
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, 20001, 40, 1, 2);
    assert_int_equal(0, r.code);
    assert_int_equal(20001, r.stream_id);
    attach(f, &r, 2, 0, 41, 1, 2);
    assert_int_equal(0, r.code);
    assert_int_equal(20000, r.stream_id);
    attach(f, &r, 3, 0, 42, 2, 2);
    assert_int_equal(0, r.code);
    assert_int_equal(20002, r.stream_id);
    attach(f, &r, 4, 0, 43, 2, 2);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "exhausted"));
    attach(f, &r, 5, 30000, 44, 2, 2);
    assert_error_response(&r, 2);
    attach(f, &r, 6, 29, 45, 2, 1); /* REQUIRE_EXISTING stays strict */
    assert_error_response(&r, 3);
    assert_int_equal(4, tp_driver_core_stream_count(f->core));
}

static void test_restart_epochs(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 50, 1, 1);
    uint64_t first = r.epoch;
    tp_driver_core_close(f->core);
    f->core = NULL;
    char dir[PATH_MAX];
    instance_dir(f, STATIC_STREAM, dir, sizeof(dir));
    struct stat st;
    assert_int_equal(-1, stat(dir, &st)); /* a clean close leaves nothing */
    /* A crashed driver leaves epoch dirs behind: plant one far above the (frozen) realtime seed. */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/tensorpool", f->dir);
    mkdir(path, 0700);
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/epoch-%llu", dir, (unsigned long long)(first + 1000));
    assert_int_equal(0, mkdir(path, 0700));
    start_core(f);
    attach(f, &r, 2, STATIC_STREAM, 50, 2, 1);
    assert_int_equal(first + 1001, r.epoch);
    tp_driver_core_close(f->core);
    f->core = NULL;
    /* No dirs: the realtime seed (advanced) decides. */
    f->realtime_ns += 5 * SEC;
    start_core(f);
    attach(f, &r, 3, STATIC_STREAM, 50, 2, 1);
    assert_int_equal(f->realtime_ns / 1000, r.epoch);
    assert_true(r.epoch > first + 1001 || f->realtime_ns / 1000 > first);
}

static void test_announce_period_and_activity(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t c;
    attach(f, &c, 1, STATIC_STREAM, 60, 2, 1);
    clear_msgs(f);
    f->now_ns += SEC / 2;
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(0, count_kind(f, T_ANNOUNCE));
    f->now_ns += SEC / 2;
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(1, count_kind(f, T_ANNOUNCE));
    /* No producer attached: the driver refreshed the activity timestamp. */
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, c.header_uri));
    FILE *fp = fopen(uri.path, "rb");
    uint8_t sb[64];
    assert_int_equal(64, fread(sb, 1, 64, fp));
    fclose(fp);
    assert_int_equal(f->now_ns, tp_superblock_activity_read(sb));
}

static void test_shutdown(void **state)
{
    fixture_t *f = *state;
    snprintf(f->config.shutdown_token, sizeof(f->config.shutdown_token), "s3cret");
    start_core(f);
    attach_resp_t c;
    attach(f, &c, 1, STATIC_STREAM, 70, 2, 1);
    clear_msgs(f);
    uint8_t buf[256];
    size_t len = enc_shutdown_req(buf, sizeof(buf), 9, 1, "wrong!", "x");
    feed(f, buf, len);
    len = enc_shutdown_req(buf, sizeof(buf), 9, 1, "", "x");
    feed(f, buf, len);
    len = enc_shutdown_req(buf, sizeof(buf), 9, 1, "s3cre", "x");
    feed(f, buf, len);
    assert_int_equal(TP_DRIVER_RUNNING, tp_driver_core_state(f->core));
    assert_int_equal(3, tp_driver_core_counters(f->core)->shutdown_requests_rejected);
    assert_int_equal(3, f->log_warns);
    assert_int_equal(0, f->msg_count);
    len = enc_shutdown_req(buf, sizeof(buf), 9, 1, "s3cret", "maintenance");
    feed(f, buf, len);
    assert_int_equal(TP_DRIVER_DRAINING, tp_driver_core_state(f->core));
    assert_int_equal(1, count_kind(f, T_ANNOUNCE)); /* final announce */
    attach_resp_t r;
    attach(f, &r, 2, STATIC_STREAM, 71, 2, 1);
    assert_error_response(&r, 3);
    assert_non_null(strstr(r.error, "shutting down"));
    f->now_ns += 2 * SEC - 1;
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(0, count_kind(f, T_SHUTDOWN));
    f->now_ns += 1;
    tp_driver_core_do_work(f->core, f->now_ns);
    assert_int_equal(1, count_kind(f, T_SHUTDOWN));
    assert_int_equal(TP_DRIVER_TERMINATED, tp_driver_core_state(f->core));
    const msg_t *m = &f->msgs[f->msg_count - 1];
    struct shm_tensorpool_driver_shmDriverShutdown sd;
    assert_non_null(shm_tensorpool_driver_shmDriverShutdown_wrap_for_decode(
        &sd, (char *)m->data, 8, shm_tensorpool_driver_shmDriverShutdown_sbe_block_length(), 1, m->length));
    assert_int_equal(1, m->data[8 + shm_tensorpool_driver_shmDriverShutdown_reason_encoding_offset()]);
    struct shm_tensorpool_driver_shmDriverShutdown_string_view v =
        shm_tensorpool_driver_shmDriverShutdown_get_errorMessage_as_string_view(&sd);
    assert_int_equal(strlen("maintenance"), v.length);
    assert_memory_equal("maintenance", v.data, v.length);
}

static void test_shutdown_disabled_without_token(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    uint8_t buf[256];
    size_t len = enc_shutdown_req(buf, sizeof(buf), 9, 1, "", "");
    feed(f, buf, len);
    len = enc_shutdown_req(buf, sizeof(buf), 9, 1, "anything", "");
    feed(f, buf, len);
    assert_int_equal(TP_DRIVER_RUNNING, tp_driver_core_state(f->core));
    assert_int_equal(2, tp_driver_core_counters(f->core)->shutdown_requests_rejected);
    /* The local path still works. */
    tp_driver_core_begin_shutdown(f->core, 0, "signal");
    assert_int_equal(TP_DRIVER_DRAINING, tp_driver_core_state(f->core));
}

static void test_epoch_gc(void **state)
{
    fixture_t *f = *state;
    char inst[PATH_MAX + 64];
    snprintf(inst, sizeof(inst), "%s/inst", f->dir);
    assert_int_equal(0, mkdir(inst, 0700));
    char path[PATH_MAX + 128];
    for (int e = 1; e <= 5; e++)
    {
        snprintf(path, sizeof(path), "%s/epoch-%d", inst, e);
        assert_int_equal(0, mkdir(path, 0700));
        snprintf(path, sizeof(path), "%s/epoch-%d/header.ring", inst, e);
        FILE *fp = fopen(path, "w");
        fclose(fp);
        snprintf(path, sizeof(path), "%s/epoch-%d/payload-3.pool", inst, e);
        fp = fopen(path, "w");
        fclose(fp);
    }
    /* An unknown file in epoch-2 keeps that dir; a symlink epoch-9 -> epoch-1 is never followed; an unrelated
     * file stays. */
    snprintf(path, sizeof(path), "%s/epoch-2/notes.txt", inst);
    FILE *fp = fopen(path, "w");
    fclose(fp);
    char target[PATH_MAX + 128];
    snprintf(target, sizeof(target), "%s/epoch-1", inst);
    snprintf(path, sizeof(path), "%s/epoch-0009", inst);
    assert_int_equal(0, symlink(target, path));
    snprintf(path, sizeof(path), "%s/README", inst);
    fp = fopen(path, "w");
    fclose(fp);
    /* The wake-up word beside the regions goes with them (epoch-3); one that is a symlink is never touched. */
    snprintf(path, sizeof(path), "%s/epoch-3/wake.futex", inst);
    fp = fopen(path, "w");
    fclose(fp);
    snprintf(path, sizeof(path), "%s/epoch-2/wake.futex", inst);
    assert_int_equal(0, symlink(target, path));
    uint64_t now = tp_clock_realtime_ns();
    size_t removed = 99;
    /* Too young: nothing goes. */
    assert_int_equal(0, tp_epoch_gc_run(inst, 5, 2, 3600 * SEC, now, &removed));
    assert_int_equal(0, removed);
    /* Old enough (now far in the future): keep 5 and 4; 3 and 1 go; 2 keeps its unknown file. */
    assert_int_equal(0, tp_epoch_gc_run(inst, 5, 2, 3600 * SEC, now + 7200 * SEC, &removed));
    assert_int_equal(2, removed);
    struct stat st;
    for (int e = 1; e <= 5; e++)
    {
        snprintf(path, sizeof(path), "%s/epoch-%d", inst, e);
        int exists = 0 == lstat(path, &st);
        assert_int_equal(e != 1 && e != 3, exists);
    }
    snprintf(path, sizeof(path), "%s/epoch-2/header.ring", inst);
    assert_int_equal(-1, lstat(path, &st));
    snprintf(path, sizeof(path), "%s/epoch-2/notes.txt", inst);
    assert_int_equal(0, lstat(path, &st));
    snprintf(path, sizeof(path), "%s/epoch-2/wake.futex", inst);
    assert_int_equal(0, lstat(path, &st));
    assert_true(S_ISLNK(st.st_mode));
    snprintf(path, sizeof(path), "%s/epoch-0009", inst);
    assert_int_equal(0, lstat(path, &st));
    assert_true(S_ISLNK(st.st_mode));
    snprintf(path, sizeof(path), "%s/README", inst);
    assert_int_equal(0, lstat(path, &st));
    /* Epochs above current are not touched. */
    assert_int_equal(0, tp_epoch_gc_run(inst, 4, 1, 0, now, &removed));
    snprintf(path, sizeof(path), "%s/epoch-5", inst);
    assert_int_equal(0, lstat(path, &st));
    snprintf(path, sizeof(path), "%s/epoch-4", inst);
    assert_int_equal(0, lstat(path, &st));
    assert_int_equal(5, tp_epoch_gc_highest_epoch(inst));
}

static void test_driver_gc_after_bumps_and_close(void **state)
{
    fixture_t *f = *state;
    f->config.epoch_gc_min_age_ns = 0;
    start_core(f);
    uint8_t buf[128];
    attach_resp_t p;
    for (int i = 0; i < 5; i++)
    {
        attach(f, &p, 100 + i, STATIC_STREAM, 80, 1, 1);
        assert_int_equal(0, p.code);
        size_t len = enc_detach(buf, sizeof(buf), 200 + i, p.lease_id, STATIC_STREAM, 80, 1);
        feed(f, buf, len);
    }
    char dir[PATH_MAX];
    instance_dir(f, STATIC_STREAM, dir, sizeof(dir));
    /* keep = 2 epoch dirs */
    size_t n = 0;
    char path[PATH_MAX + 64];
    uint64_t cur = tp_driver_core_stream_epoch(f->core, STATIC_STREAM);
    for (uint64_t e = cur - 12; e <= cur; e++)
    {
        snprintf(path, sizeof(path), "%s/epoch-%llu", dir, (unsigned long long)e);
        struct stat st;
        n += 0 == lstat(path, &st) ? 1 : 0;
    }
    assert_int_equal(2, n);
    assert_true(tp_driver_core_counters(f->core)->epoch_dirs_collected > 0);
    tp_driver_core_close(f->core);
    f->core = NULL;
    struct stat st;
    assert_int_equal(-1, lstat(dir, &st));
    snprintf(path, sizeof(path), "%s/tensorpool", f->dir);
    assert_int_equal(-1, lstat(path, &st));
}

/* A flood of distinct client ids is refused at the lease cap instead of growing the table without bound. */
static void test_lease_cap(void **state)
{
    fixture_t *f = *state;
    start_core(f);
    attach_resp_t r;
    for (uint32_t i = 0; i < TP_DRIVER_MAX_LEASES; i++)
    {
        clear_msgs(f);
        attach(f, &r, 1000 + (int64_t)i, STATIC_STREAM, 100000 + i, 2, 1); /* CONSUMER, REQUIRE_EXISTING */
        assert_int_equal(0, r.code);
    }
    clear_msgs(f);
    attach(f, &r, 7, STATIC_STREAM, 99, 2, 1);
    assert_error_response(&r, 3); /* REJECTED */
    assert_non_null(strstr(r.error, "maximum"));
    assert_int_equal(TP_DRIVER_MAX_LEASES, tp_driver_core_lease_count(f->core));
}

static void test_mlock_policy(void **state)
{
    fixture_t *f = *state;
    f->config.mlock_shm = true;
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 90, 2, 1);
    /* Either mlock works here (OK) or the attach fails closed with INTERNAL_ERROR naming mlock. */
    if (0 != r.code)
    {
        assert_error_response(&r, 4);
        assert_non_null(strstr(r.error, "mlock"));
    }
}

/* Raise or lower CAP_IPC_LOCK in the effective set (it stays permitted, so it can come back). */
static void set_ipc_lock_effective(bool on)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (0 != syscall(SYS_capget, &header, data))
    {
        return;
    }
    if (on)
    {
        data[0].effective |= data[0].permitted & (1u << CAP_IPC_LOCK);
    }
    else
    {
        data[0].effective &= ~(1u << CAP_IPC_LOCK);
    }
    (void)syscall(SYS_capset, &header, data);
}

static size_t dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (NULL == d)
    {
        return 0;
    }
    size_t n = 0;
    for (struct dirent *e = readdir(d); NULL != e; e = readdir(d))
    {
        n += ('.' != e->d_name[0]) ? 1 : 0;
    }
    closedir(d);
    return n;
}

/* mlock requested past RLIMIT_MEMLOCK (CAP_IPC_LOCK dropped, so root is limited too): the attach fails closed with
 * INTERNAL_ERROR naming mlock, and no region file of the failed epoch is left behind. */
static void test_mlock_past_rlimit_fails_closed(void **state)
{
    fixture_t *f = *state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan intercepts mlock() as a no-op that always succeeds */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    skip();
#endif
#endif
    f->config.mlock_shm = true;
    start_core(f);
    struct rlimit saved;
    assert_int_equal(0, getrlimit(RLIMIT_MEMLOCK, &saved));
    struct rlimit tiny = {.rlim_cur = 16 * 1024, .rlim_max = saved.rlim_max};
    set_ipc_lock_effective(false);
    assert_int_equal(0, setrlimit(RLIMIT_MEMLOCK, &tiny));
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 90, 2, 1);
    assert_int_equal(0, setrlimit(RLIMIT_MEMLOCK, &saved));
    set_ipc_lock_effective(true);
    assert_error_response(&r, 4);
    assert_non_null(strstr(r.error, "mlock"));
    char dir[PATH_MAX];
    instance_dir(f, STATIC_STREAM, dir, sizeof(dir));
    DIR *d = opendir(dir);
    if (NULL != d)
    {
        for (struct dirent *e = readdir(d); NULL != e; e = readdir(d))
        {
            if ('.' != e->d_name[0])
            {
                char epoch_dir[PATH_MAX + 256];
                snprintf(epoch_dir, sizeof(epoch_dir), "%s/%s", dir, e->d_name);
                assert_int_equal(0, dir_entries(epoch_dir));
            }
        }
        closedir(d);
    }
}

static void test_bad_layout_and_base_dir(void **state)
{
    fixture_t *f = *state;
    f->config.profiles[0].pools[1].stride_bytes = 5000; /* not a power of two: bypasses validation on purpose */
    f->config.permissions_mode = 0640;
    start_core(f);
    attach_resp_t r;
    attach(f, &r, 1, STATIC_STREAM, 10, 1, 1);
    assert_error_response(&r, 2);
    assert_non_null(strstr(r.error, "pool 7"));
    char dir[PATH_MAX];
    instance_dir(f, STATIC_STREAM, dir, sizeof(dir));
    struct stat st;
    assert_int_equal(0, lstat(dir, &st));
    assert_int_equal(0750, st.st_mode & 07777); /* group may read: r-x on directories */
    tp_driver_core_close(f->core);
    f->core = NULL;
    /* A base dir outside shm.allowed_base_dirs fails the start. */
    snprintf(f->config.allowed_base_dirs[0], sizeof(f->config.allowed_base_dirs[0]), "/dev/shm/elsewhere");
    tp_driver_core_context_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.config = &f->config;
    tp_driver_core_t *core = NULL;
    assert_int_equal(-1, tp_driver_core_start(&core, &ctx));
    assert_null(core);
    assert_non_null(strstr(tp_errmsg(), "allowed_base_dirs"));
    /* An instance id that is not one safe path component fails the start too. */
    snprintf(f->config.allowed_base_dirs[0], sizeof(f->config.allowed_base_dirs[0]), "%s", f->dir);
    snprintf(f->config.instance_id, sizeof(f->config.instance_id), "bad/id");
    assert_int_equal(-1, tp_driver_core_start(&core, &ctx));
    assert_null(core);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attach_producer_and_consumer_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_first_creates_regions_producer_bumps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_require_hugepages_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_pools_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_and_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_and_producer_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_epochs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announce_period_and_activity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_disabled_without_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_gc_after_bumps_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mlock_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mlock_past_rlimit_fails_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_layout_and_base_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
