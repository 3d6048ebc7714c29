/*
 * SHM driver core message handler: every byte string is fed to tp_driver_core_on_message() of one core (created
 * once, on a scratch base dir under /dev/shm, one static stream and a small dynamic range), then the timers run
 * with the clock advanced by the input's length, so lease expiry, epoch bumps, announces, epoch GC and the
 * shutdown drain all run too. Lease ids are small sequential numbers, so fuzzed keepalives and detaches reach
 * live leases. Property: nothing crashes, leaks or reads past the input, and the lease and stream tables stay
 * bounded (every lease expires within the grace period; dynamic streams stay inside the range).
 * Lease ids are not guessable across inputs (the core is reused), so a keepalive or detach whose leaseId is 0 gets
 * the id of the live lease of its clientId patched in (when there is one), and reaches that lease.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/tp_driver_core.h"
#include "driver/tp_driver_core_private.h"
#include "fuzz_seeds.h"
#include "shm_tensorpool_driver/messageHeader.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDriverShutdownRequest.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STATIC_STREAM 10
#define DYN_FIRST     100
#define DYN_LAST      103
#define TOKEN         "fuzz-token"
#define MS            1000000ULL
#define SEED_MAX      16
#define SEED_SIZE     512

static tp_driver_core_t *core;
static tp_driver_config_t config;
static char root[] = "/dev/shm/tp-fuzz-driver-XXXXXX";
static uint64_t now_ns = 1000000000000ULL;
static uint8_t seed_bytes[SEED_MAX][SEED_SIZE];
static fuzz_seed_t seeds[SEED_MAX];
static size_t seed_count;

static uint64_t fake_clock(void *clientd)
{
    (void)clientd;
    return now_ns;
}

static uint16_t u16_at(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static int discard(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    (void)clientd;
    (void)target;
    /* Every emitted message at least carries a message header. */
    if (length < 8 || NULL == buffer)
    {
        abort();
    }
    return 0;
}

/* Offset of the leaseId of a keepalive or detach request whose leaseId is 0 (0 for any other message), and the
 * id of the live lease of its clientId (0 when none). */
static size_t lease_field(const uint8_t *data, size_t size, uint64_t *lease_id)
{
    if (size < 8 || 901 != u16_at(data + 4))
    {
        return 0;
    }
    size_t at = 0;
    size_t client_at = 0;
    if (shm_tensorpool_driver_shmLeaseKeepalive_sbe_template_id() == u16_at(data + 2))
    {
        at = 8 + shm_tensorpool_driver_shmLeaseKeepalive_leaseId_encoding_offset();
        client_at = 8 + shm_tensorpool_driver_shmLeaseKeepalive_clientId_encoding_offset();
    }
    else if (shm_tensorpool_driver_shmDetachRequest_sbe_template_id() == u16_at(data + 2))
    {
        at = 8 + shm_tensorpool_driver_shmDetachRequest_leaseId_encoding_offset();
        client_at = 8 + shm_tensorpool_driver_shmDetachRequest_clientId_encoding_offset();
    }
    uint64_t lease = 1;
    uint32_t client_id = 0;
    if (0 == at || size < at + 8 || size < client_at + 4)
    {
        return 0;
    }
    memcpy(&lease, data + at, sizeof(lease));
    memcpy(&client_id, data + client_at, sizeof(client_id));
    const tp_driver_lease_t *live = tp_driver_lease_find_client(core, client_id);
    *lease_id = NULL == live ? 0 : live->lease_id;
    return 0 == lease ? at : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void start_core(void)
{
    tp_driver_core_context_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.config = &config;
    ctx.clock = fake_clock;
    ctx.sink.offer = discard;
    if (0 != tp_driver_core_start(&core, &ctx))
    {
        abort();
    }
}

static void teardown(void)
{
    tp_driver_core_close(core);
    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_once(void)
{
    if (NULL != core)
    {
        return;
    }
    if (NULL == mkdtemp(root))
    {
        abort();
    }
    tp_driver_config_init(&config);
    snprintf(config.base_dir, sizeof(config.base_dir), "%s", root);
    snprintf(config.allowed_base_dirs[0], sizeof(config.allowed_base_dirs[0]), "%s", root);
    config.allowed_base_dir_count = 1;
    /* Short timers: the clock advances by the input's length in ms, so leases expire every few inputs. */
    config.announce_period_ms = 10;
    config.lease_keepalive_interval_ms = 100;
    config.lease_expiry_grace_intervals = 3;
    config.shutdown_timeout_ms = 20;
    config.prefault_shm = false;
    config.epoch_gc_enabled = true;
    config.epoch_gc_keep = 1;
    config.epoch_gc_min_age_ns = 0;
    snprintf(config.shutdown_token, sizeof(config.shutdown_token), "%s", TOKEN);
    snprintf(config.profiles[0].name, sizeof(config.profiles[0].name), "small");
    config.profiles[0].header_nslots = 8;
    config.profiles[0].pools[0].pool_id = 1;
    config.profiles[0].pools[0].stride_bytes = 4096;
    config.profiles[0].pool_count = 1;
    config.profile_count = 1;
    config.default_profile_index = 0;
    snprintf(config.streams[0].name, sizeof(config.streams[0].name), "cam");
    config.streams[0].stream_id = STATIC_STREAM;
    config.streams[0].profile_index = 0;
    config.stream_count = 1;
    config.allow_dynamic_streams = true;
    config.stream_id_range.set = true;
    config.stream_id_range.first = DYN_FIRST;
    config.stream_id_range.last = DYN_LAST;
    start_core();
    atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    uint64_t lease_id = 0;
    size_t at = lease_field(data, size, &lease_id);
    if (0 != at)
    {
        /* Exact-size copy, so the sanitizers still see the true end of the input. */
        uint8_t *copy = malloc(size);
        if (NULL == copy)
        {
            abort();
        }
        memcpy(copy, data, size);
        memcpy(copy + at, &lease_id, sizeof(lease_id));
        tp_driver_core_on_message(core, copy, size);
        free(copy);
    }
    else
    {
        tp_driver_core_on_message(core, data, size);
    }
    now_ns += (uint64_t)size * MS;
    tp_driver_core_do_work(core, now_ns);
    /* Bounded: every lease expires within 3 keepalive intervals (300 ms), so after a further 400 ms no lease can be
     * left; streams never exceed static + range. */
    if (tp_driver_core_stream_count(core) > 1 + (DYN_LAST - DYN_FIRST + 1))
    {
        abort();
    }
    if (TP_DRIVER_TERMINATED == tp_driver_core_state(core))
    {
        /* An accepted shutdown request ends the core: start a fresh one on the same directory. */
        tp_driver_core_close(core);
        start_core();
    }
    if (tp_driver_core_lease_count(core) > 64)
    {
        now_ns += 400 * MS;
        tp_driver_core_do_work(core, now_ns);
        if (0 != tp_driver_core_lease_count(core))
        {
            abort();
        }
    }
    return 0;
}

/* ---- seeds: one valid request of each kind ---- */

static void add_seed(size_t length)
{
    seeds[seed_count].data = seed_bytes[seed_count];
    seeds[seed_count].length = length;
    seed_count++;
}

static void seed_attach(uint32_t stream, uint32_t client, uint8_t role, uint8_t publish)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachRequest m;
    if (NULL == shm_tensorpool_driver_shmAttachRequest_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmAttachRequest_set_correlationId(&m, (int64_t)seed_count + 1);
    shm_tensorpool_driver_shmAttachRequest_set_streamId(&m, stream);
    shm_tensorpool_driver_shmAttachRequest_set_clientId(&m, client);
    shm_tensorpool_driver_shmAttachRequest_set_expectedLayoutVersion(&m, 0);
    shm_tensorpool_driver_shmAttachRequest_set_maxDims(&m, 4);
    buf[8 + shm_tensorpool_driver_shmAttachRequest_role_encoding_offset()] = role;
    buf[8 + shm_tensorpool_driver_shmAttachRequest_publishMode_encoding_offset()] = publish;
    buf[8 + shm_tensorpool_driver_shmAttachRequest_requireHugepages_encoding_offset()] = 0;
    add_seed(8 + shm_tensorpool_driver_shmAttachRequest_encoded_length(&m));
}

static void seed_keepalive(uint64_t lease, uint32_t stream, uint32_t client, uint8_t role)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmLeaseKeepalive m;
    if (NULL == shm_tensorpool_driver_shmLeaseKeepalive_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmLeaseKeepalive_set_leaseId(&m, lease);
    shm_tensorpool_driver_shmLeaseKeepalive_set_streamId(&m, stream);
    shm_tensorpool_driver_shmLeaseKeepalive_set_clientId(&m, client);
    shm_tensorpool_driver_shmLeaseKeepalive_set_clientTimestampNs(&m, 1);
    buf[8 + shm_tensorpool_driver_shmLeaseKeepalive_role_encoding_offset()] = role;
    add_seed(8 + shm_tensorpool_driver_shmLeaseKeepalive_encoded_length(&m));
}

static void seed_detach(uint64_t lease, uint32_t stream, uint32_t client, uint8_t role)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDetachRequest m;
    if (NULL == shm_tensorpool_driver_shmDetachRequest_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmDetachRequest_set_correlationId(&m, (int64_t)seed_count + 1);
    shm_tensorpool_driver_shmDetachRequest_set_leaseId(&m, lease);
    shm_tensorpool_driver_shmDetachRequest_set_streamId(&m, stream);
    shm_tensorpool_driver_shmDetachRequest_set_clientId(&m, client);
    buf[8 + shm_tensorpool_driver_shmDetachRequest_role_encoding_offset()] = role;
    add_seed(8 + shm_tensorpool_driver_shmDetachRequest_encoded_length(&m));
}

static void seed_shutdown(const char *token)
{
    uint8_t *buf = seed_bytes[seed_count];
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDriverShutdownRequest m;
    if (NULL ==
        shm_tensorpool_driver_shmDriverShutdownRequest_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmDriverShutdownRequest_set_correlationId(&m, 99);
    buf[8 + shm_tensorpool_driver_shmDriverShutdownRequest_reason_encoding_offset()] = 1;
    if (NULL == shm_tensorpool_driver_shmDriverShutdownRequest_put_token(&m, token, (uint32_t)strlen(token)) ||
        NULL == shm_tensorpool_driver_shmDriverShutdownRequest_put_errorMessage(&m, "fuzz", 4))
    {
        abort();
    }
    add_seed(8 + shm_tensorpool_driver_shmDriverShutdownRequest_encoded_length(&m));
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    if (0 == seed_count)
    {
        seed_attach(STATIC_STREAM, 1, 1, 2); /* producer of the static stream */
        seed_attach(STATIC_STREAM, 2, 2, 1); /* consumer of it */
        seed_attach(DYN_FIRST + 1, 3, 1, 2); /* producer creating a dynamic stream */
        seed_attach(0, 4, 1, 2);             /* producer asking for an allocated id */
        seed_attach(DYN_LAST + 7, 5, 2, 2);  /* outside the range */
        /* leaseId 0: the harness patches in the live lease of the clientId (granted by the seeds above). */
        seed_keepalive(0, STATIC_STREAM, 2, 2);
        seed_keepalive(0, STATIC_STREAM, 1, 1);
        seed_detach(0, STATIC_STREAM, 2, 2);
        seed_detach(0, STATIC_STREAM, 1, 1);
        seed_shutdown(TOKEN);
        seed_shutdown("wrong");
    }
    *count = seed_count;
    return seeds;
}
