/*
 * Driver client (attach / keepalive / detach state machine): a fresh client per input sends its attach request,
 * optionally receives a valid grant built here (so revokes, shutdowns and detach responses meet an ATTACHED or
 * DETACHING client), then gets the fuzzed message and polls its timers at several later times.
 *
 * Input: byte 0 selects the prelude, the rest is the message.
 *   bit 0: consumer (else producer)          bit 1: granted first (valid ShmAttachResponse)
 *   bit 2: then detach (DETACHING)           bit 3: overwrite the message's correlationId (bytes 8..15) with the
 *                                                   id of the client's last request, so responses correlate
 *   bits 4-7: poll step, in 100 ms units
 * Property: nothing crashes, leaks or reads past the input; a granted lease always names the configured stream.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/tp_driver_client.h"
#include "fuzz_seeds.h"
#include "shm_tensorpool_driver/messageHeader.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDetachResponse.h"
#include "shm_tensorpool_driver/shmDriverShutdown.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STREAM_ID 10000
#define CLIENT_ID 42
#define LEASE_ID  7
#define EPOCH     3
#define T0        1000000000ULL
#define MS        1000000ULL
#define MSG_MAX   8192
#define SEED_MAX  16
#define SEED_SIZE 1024

#define MODE_CONSUMER 0x01
#define MODE_GRANTED  0x02
#define MODE_DETACH   0x04
#define MODE_PATCH    0x08

static int64_t last_correlation;
static uint8_t message[MSG_MAX];
static uint8_t seed_bytes[SEED_MAX][SEED_SIZE];
static fuzz_seed_t seeds[SEED_MAX];
static size_t seed_count;

static int capture_send(void *clientd, const uint8_t *buffer, size_t length)
{
    (void)clientd;
    if (length < 16)
    {
        abort();
    }
    uint16_t template_id = (uint16_t)(buffer[2] | (buffer[3] << 8));
    if (shm_tensorpool_driver_shmAttachRequest_sbe_template_id() == template_id)
    {
        memcpy(&last_correlation, buffer + 8 + shm_tensorpool_driver_shmAttachRequest_correlationId_encoding_offset(),
               sizeof(last_correlation));
    }
    else if (shm_tensorpool_driver_shmDetachRequest_sbe_template_id() == template_id)
    {
        memcpy(&last_correlation, buffer + 8 + shm_tensorpool_driver_shmDetachRequest_correlationId_encoding_offset(),
               sizeof(last_correlation));
    }
    return 0;
}

static void on_event(void *clientd, tp_driver_client_event_t event, const char *reason)
{
    tp_driver_client_t *c = *(tp_driver_client_t **)clientd;
    if (NULL == reason)
    {
        abort();
    }
    if (TP_DRIVER_CLIENT_EVENT_ATTACHED == event && STREAM_ID != tp_driver_client_lease(c)->stream_id)
    {
        abort();
    }
}

/* A grant that passes every check, for the client's current correlation id. */
static size_t encode_grant(uint8_t *buf, size_t capacity, int64_t correlation_id)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachResponse m;
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools g;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_wrap_and_apply_header(&m, (char *)buf, 0, capacity, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmAttachResponse_set_correlationId(&m, correlation_id);
    shm_tensorpool_driver_shmAttachResponse_set_code(&m, shm_tensorpool_driver_responseCode_OK);
    shm_tensorpool_driver_shmAttachResponse_set_leaseId(&m, LEASE_ID);
    shm_tensorpool_driver_shmAttachResponse_set_leaseExpiryTimestampNs(&m, T0 + 3000 * MS);
    shm_tensorpool_driver_shmAttachResponse_set_streamId(&m, STREAM_ID);
    shm_tensorpool_driver_shmAttachResponse_set_epoch(&m, EPOCH);
    shm_tensorpool_driver_shmAttachResponse_set_layoutVersion(&m, 1);
    shm_tensorpool_driver_shmAttachResponse_set_headerNslots(&m, 16);
    shm_tensorpool_driver_shmAttachResponse_set_headerSlotBytes(&m, 256);
    shm_tensorpool_driver_shmAttachResponse_set_maxDims(&m, 8);
    if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_set_count(&m, &g, 2))
    {
        abort();
    }
    for (uint16_t i = 0; i < 2; i++)
    {
        char uri[128];
        int n = snprintf(uri, sizeof(uri), "shm:file?path=/dev/shm/tp/ns/d.stream-%u/epoch-%u/payload-%u.pool",
                         STREAM_ID, EPOCH, i + 1);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&g);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolId(&g, (uint16_t)(i + 1));
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolNslots(&g, 16);
        shm_tensorpool_driver_shmAttachResponse_payloadPools_set_strideBytes(&g, 4096u << i);
        if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_put_regionUri(&g, uri, (uint32_t)n))
        {
            abort();
        }
    }
    char header[128];
    int n = snprintf(header, sizeof(header), "shm:file?path=/dev/shm/tp/ns/d.stream-%u/epoch-%u/header.ring", STREAM_ID,
                     EPOCH);
    if (NULL == shm_tensorpool_driver_shmAttachResponse_put_headerRegionUri(&m, header, (uint32_t)n) ||
        NULL == shm_tensorpool_driver_shmAttachResponse_put_errorMessage(&m, "", 0))
    {
        abort();
    }
    return 8 + (size_t)shm_tensorpool_driver_shmAttachResponse_encoded_length(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MSG_MAX)
    {
        return 0;
    }
    uint8_t mode = data[0];
    size_t length = size - 1;

    static tp_driver_client_t *c;
    tp_driver_client_config_t cfg;
    tp_driver_client_config_init(&cfg);
    cfg.client_id = CLIENT_ID;
    cfg.stream_id = STREAM_ID;
    cfg.role = (mode & MODE_CONSUMER) ? TP_DRIVER_ROLE_CONSUMER : TP_DRIVER_ROLE_PRODUCER;
    cfg.publish_mode =
        (mode & MODE_CONSUMER) ? TP_DRIVER_PUBLISH_REQUIRE_EXISTING : TP_DRIVER_PUBLISH_EXISTING_OR_CREATE;
    cfg.send = capture_send;
    cfg.on_event = on_event;
    cfg.event_clientd = &c;
    if (0 != tp_driver_client_init(&c, &cfg))
    {
        abort();
    }
    uint64_t now = T0;
    tp_driver_client_attach(c, now);
    if (mode & MODE_GRANTED)
    {
        size_t grant = encode_grant(message, sizeof(message), tp_driver_client_correlation_id(c));
        tp_driver_client_on_message(c, message, grant, now);
        if (TP_LEASE_ATTACHED != tp_driver_client_state(c))
        {
            abort();
        }
        if (mode & MODE_DETACH)
        {
            tp_driver_client_detach(c, now);
        }
    }

    /* Exact-size copy, so the sanitizers see the true end of the message. */
    uint8_t *copy = malloc(length > 0 ? length : 1);
    if (NULL == copy)
    {
        abort();
    }
    memcpy(copy, data + 1, length);
    if ((mode & MODE_PATCH) && length >= 16)
    {
        memcpy(copy + 8, &last_correlation, sizeof(last_correlation));
    }
    tp_driver_client_on_message(c, copy, length, now);
    free(copy);

    uint64_t step = (uint64_t)(mode >> 4) * 100 * MS;
    for (int i = 1; i <= 4; i++)
    {
        now += step + MS;
        tp_driver_client_poll(c, now);
        if (tp_driver_client_awaiting_remap(c))
        {
            tp_driver_client_on_epoch(c, EPOCH + (uint64_t)i);
        }
    }
    tp_driver_client_poll(c, now + 10000 * MS);
    (void)tp_driver_client_last_error(c);
    tp_driver_client_close(c);
    c = NULL;
    return 0;
}

/* ---- seeds: mode byte + one driver message of each kind ---- */

static uint8_t *seed_begin(uint8_t mode)
{
    seed_bytes[seed_count][0] = mode;
    return seed_bytes[seed_count] + 1;
}

static void seed_end(size_t length)
{
    seeds[seed_count].data = seed_bytes[seed_count];
    seeds[seed_count].length = 1 + length;
    seed_count++;
}

static void seed_revoked(uint8_t mode, uint64_t lease_id, uint32_t client_id, uint8_t role, uint8_t reason)
{
    uint8_t *buf = seed_begin(mode);
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmLeaseRevoked m;
    if (NULL == shm_tensorpool_driver_shmLeaseRevoked_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE - 1, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmLeaseRevoked_set_timestampNs(&m, 1);
    shm_tensorpool_driver_shmLeaseRevoked_set_leaseId(&m, lease_id);
    shm_tensorpool_driver_shmLeaseRevoked_set_streamId(&m, STREAM_ID);
    shm_tensorpool_driver_shmLeaseRevoked_set_clientId(&m, client_id);
    buf[8 + shm_tensorpool_driver_shmLeaseRevoked_role_encoding_offset()] = role;
    buf[8 + shm_tensorpool_driver_shmLeaseRevoked_reason_encoding_offset()] = reason;
    if (NULL == shm_tensorpool_driver_shmLeaseRevoked_put_errorMessage(&m, "expired", 7))
    {
        abort();
    }
    seed_end(8 + (size_t)shm_tensorpool_driver_shmLeaseRevoked_encoded_length(&m));
}

static void seed_shutdown(uint8_t mode)
{
    uint8_t *buf = seed_begin(mode);
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDriverShutdown m;
    if (NULL == shm_tensorpool_driver_shmDriverShutdown_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE - 1, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmDriverShutdown_set_timestampNs(&m, 1);
    shm_tensorpool_driver_shmDriverShutdown_set_reason(&m, shm_tensorpool_driver_shutdownReason_NORMAL);
    if (NULL == shm_tensorpool_driver_shmDriverShutdown_put_errorMessage(&m, "bye", 3))
    {
        abort();
    }
    seed_end(8 + (size_t)shm_tensorpool_driver_shmDriverShutdown_encoded_length(&m));
}

static void seed_detach_response(uint8_t mode)
{
    uint8_t *buf = seed_begin(mode);
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDetachResponse m;
    if (NULL == shm_tensorpool_driver_shmDetachResponse_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE - 1, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmDetachResponse_set_correlationId(&m, 0);
    shm_tensorpool_driver_shmDetachResponse_set_code(&m, shm_tensorpool_driver_responseCode_OK);
    if (NULL == shm_tensorpool_driver_shmDetachResponse_put_errorMessage(&m, "", 0))
    {
        abort();
    }
    seed_end(8 + (size_t)shm_tensorpool_driver_shmDetachResponse_encoded_length(&m));
}

static void seed_rejection(uint8_t mode)
{
    uint8_t *buf = seed_begin(mode);
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachResponse m;
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools g;
    if (NULL == shm_tensorpool_driver_shmAttachResponse_wrap_and_apply_header(&m, (char *)buf, 0, SEED_SIZE - 1, &hdr))
    {
        abort();
    }
    shm_tensorpool_driver_shmAttachResponse_set_code(&m, shm_tensorpool_driver_responseCode_REJECTED);
    if (NULL == shm_tensorpool_driver_shmAttachResponse_payloadPools_set_count(&m, &g, 0) ||
        NULL == shm_tensorpool_driver_shmAttachResponse_put_headerRegionUri(&m, "", 0) ||
        NULL == shm_tensorpool_driver_shmAttachResponse_put_errorMessage(&m, "stream is not provisioned", 25))
    {
        abort();
    }
    seed_end(8 + (size_t)shm_tensorpool_driver_shmAttachResponse_encoded_length(&m));
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    if (0 == seed_count)
    {
        /* Grants through the fuzzed path (correlation patched), producer and consumer, with a long poll step. */
        seed_end(encode_grant(seed_begin(MODE_PATCH | 0x30), SEED_SIZE - 1, 0));
        seed_end(encode_grant(seed_begin(MODE_PATCH | MODE_CONSUMER | 0x30), SEED_SIZE - 1, 0));
        seed_rejection(MODE_PATCH | 0x10);
        seed_revoked(MODE_GRANTED, LEASE_ID, CLIENT_ID, TP_DRIVER_ROLE_PRODUCER, 2);
        seed_revoked(MODE_GRANTED | MODE_CONSUMER, LEASE_ID, CLIENT_ID, TP_DRIVER_ROLE_CONSUMER, 3);
        seed_revoked(MODE_GRANTED | MODE_CONSUMER | 0x20, 99, 5, TP_DRIVER_ROLE_PRODUCER, 2);
        /* Regression: reason 255 (the codec's null value) indexed past the reason names (UBSan). */
        seed_revoked(MODE_GRANTED, LEASE_ID, CLIENT_ID, TP_DRIVER_ROLE_PRODUCER, 255);
        seed_revoked(MODE_GRANTED | MODE_CONSUMER, 99, 5, 255, 2);
        seed_shutdown(MODE_GRANTED);
        seed_shutdown(MODE_CONSUMER);
        seed_detach_response(MODE_GRANTED | MODE_DETACH | MODE_PATCH);
        seed_detach_response(MODE_GRANTED | MODE_DETACH | MODE_PATCH | MODE_CONSUMER | 0xF0);
    }
    *count = seed_count;
    return seeds;
}
