/*
 * Driver client: the attach / keepalive / detach state machine of driver model spec v1.0 §4 for one producer or
 * consumer, independent of the transport.
 *
 * The owner feeds it every message read from the control stream (tp_driver_client_on_message), drives its timers
 * from its normal poll (tp_driver_client_poll) and gives it a send function that offers one encoded message on the
 * control stream. It never maps anything itself: it tells the owner through the event callback when a validated
 * lease is granted (map the regions named in it) and when a lease is gone (stop using the regions now).
 *
 * States (§4.12.1): UNATTACHED -> ATTACHING -> ATTACHED -> DETACHING -> UNATTACHED, with BACKOFF after a rejection,
 * an attach timeout, a protocol error (fail closed, §4.7a), a revocation of the own lease, a driver shutdown or a
 * remap timeout; BACKOFF re-sends the attach after an exponential delay (initial .. max).
 *
 * Single-threaded: all calls come from the owner's thread. No call allocates after init.
 */
#ifndef TENSORPOOL_TP_DRIVER_CLIENT_H
#define TENSORPOOL_TP_DRIVER_CLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_client.h"

#define TP_DRIVER_CLIENT_MAX_POOLS   8
#define TP_DRIVER_CLIENT_URI_MAX     (PATH_MAX + 64)
#define TP_DRIVER_CLIENT_MESSAGE_MAX 1025 /* §4.2: errorMessage at most 1024 bytes (+ NUL) */
#define TP_DRIVER_CLIENT_SCHEMA_ID   901
#define TP_DRIVER_CLIENT_HEADER_SLOT 256
#define TP_DRIVER_CLIENT_MAX_DIMS    8
#define TP_DRIVER_CLIENT_NO_EXPIRY   UINT64_MAX

/* Wire values of the 901 enums, kept here so owners need not include the codecs. */
#define TP_DRIVER_ROLE_PRODUCER              1
#define TP_DRIVER_ROLE_CONSUMER              2
#define TP_DRIVER_PUBLISH_REQUIRE_EXISTING   1
#define TP_DRIVER_PUBLISH_EXISTING_OR_CREATE 2
#define TP_DRIVER_HUGEPAGES_UNSPECIFIED      0

typedef struct tp_driver_pool_stct
{
    uint16_t pool_id;
    uint32_t nslots;
    uint32_t stride_bytes;
    char uri[TP_DRIVER_CLIENT_URI_MAX];
} tp_driver_pool_t;

/* A granted lease: the ShmAttachResponse after every §4.2 check. */
typedef struct tp_driver_lease_stct
{
    uint64_t lease_id;
    uint64_t expiry_ns; /* CLOCK_MONOTONIC deadline for the first keepalive, TP_DRIVER_CLIENT_NO_EXPIRY if absent */
    uint64_t epoch;
    uint32_t stream_id;
    uint32_t layout_version;
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint8_t max_dims;
    char header_uri[TP_DRIVER_CLIENT_URI_MAX];
    size_t pool_count;
    tp_driver_pool_t pools[TP_DRIVER_CLIENT_MAX_POOLS];
} tp_driver_lease_t;

typedef enum tp_driver_client_event_en
{
    /* A lease was granted: map tp_driver_client_lease() now; on failure call tp_driver_client_fail(). */
    TP_DRIVER_CLIENT_EVENT_ATTACHED = 1,
    /* The own lease is gone (revoked, expired, driver shutdown, keepalive failure, remap timeout): stop using and
     * unmap the regions before returning. */
    TP_DRIVER_CLIENT_EVENT_LEASE_LOST = 2,
    /* Consumer only: the producer lease of our stream was revoked; frames must stop until the epoch-bumped
     * ShmPoolAnnounce (report it with tp_driver_client_on_epoch). */
    TP_DRIVER_CLIENT_EVENT_PRODUCER_REVOKED = 3,
} tp_driver_client_event_t;

/* Offer one encoded message on the control stream: 0 when sent, negative when not (not connected, back pressure). */
typedef int (*tp_driver_client_send_fn)(void *clientd, const uint8_t *buffer, size_t length);
typedef void (*tp_driver_client_event_fn)(void *clientd, tp_driver_client_event_t event, const char *reason);

typedef struct tp_driver_client_config_stct
{
    uint32_t client_id;
    uint32_t stream_id;
    uint8_t role;                     /* TP_DRIVER_ROLE_* */
    uint8_t publish_mode;             /* TP_DRIVER_PUBLISH_* */
    uint8_t require_hugepages;        /* HugepagesPolicy wire value */
    uint32_t expected_layout_version; /* 0: the driver's */
    uint64_t attach_timeout_ns;       /* default 2 s */
    uint64_t keepalive_interval_ns;   /* default 1 s */
    uint64_t backoff_initial_ns;      /* default 100 ms */
    uint64_t backoff_max_ns;          /* default 2 s */
    uint64_t announce_period_ns;      /* consumer: remap wait is 3x this after a producer revoke; default 1 s */
    uint64_t detach_timeout_ns;       /* default 200 ms */
    tp_driver_client_send_fn send;
    void *send_clientd;
    tp_driver_client_event_fn on_event;
    void *event_clientd;
    tp_lease_state_fn on_state;
    void *state_clientd;
} tp_driver_client_config_t;

typedef struct tp_driver_client_counters_stct
{
    uint64_t attaches;        /* responses that passed every §4.2 check (the owner may still fail to map them) */
    uint64_t attach_failures; /* rejections, timeouts, protocol errors, mapping failures */
    uint64_t revocations;     /* own lease revoked/expired, or producer lease of our stream revoked */
    uint64_t reattaches;      /* attaches after the first */
    uint64_t keepalives_sent;
    uint64_t driver_shutdowns;
    uint64_t protocol_errors;  /* messages of ours that broke a rule of §4 (subset of attach_failures for responses) */
    uint64_t ignored_messages; /* other schemas, other clients' traffic, stale correlations */
} tp_driver_client_counters_t;

typedef struct tp_driver_client_stct tp_driver_client_t;

/* Defaults for every timing field; the owner then sets ids, role and callbacks. */
void tp_driver_client_config_init(tp_driver_client_config_t *config);

/* Returns 0, or -1 with EINVAL naming the bad field. */
int tp_driver_client_init(tp_driver_client_t **client, const tp_driver_client_config_t *config);
void tp_driver_client_close(tp_driver_client_t *client);

/* UNATTACHED -> ATTACHING: send the first ShmAttachRequest (a failed send is retried from poll). */
int tp_driver_client_attach(tp_driver_client_t *client, uint64_t now_ns);

/* Timers: attach timeout, backoff expiry, keepalive, lease hard deadline, remap wait, detach wait. Returns work. */
int tp_driver_client_poll(tp_driver_client_t *client, uint64_t now_ns);

/* One message from the control stream (any schema; foreign ones are ignored). Returns 1 if it was for us. */
int tp_driver_client_on_message(tp_driver_client_t *client, const uint8_t *buffer, size_t length, uint64_t now_ns);

/* The owner could not use the granted lease (mapping or superblock check failed): fail closed, best-effort detach,
 * back off and reattach. */
void tp_driver_client_fail(tp_driver_client_t *client, uint64_t now_ns, const char *reason);

/* Consumer: the core accepted a ShmPoolAnnounce of our stream with this epoch (ends a remap wait if higher). */
void tp_driver_client_on_epoch(tp_driver_client_t *client, uint64_t epoch);

/* ATTACHED -> DETACHING (sends ShmDetachRequest); any other state -> UNATTACHED. No reattach afterwards. */
int tp_driver_client_detach(tp_driver_client_t *client, uint64_t now_ns);

tp_lease_state_t tp_driver_client_state(const tp_driver_client_t *client);
/* The granted lease; valid while ATTACHED. */
const tp_driver_lease_t *tp_driver_client_lease(const tp_driver_client_t *client);
/* True while a consumer waits for the epoch-bumped announce after a producer revoke. */
bool tp_driver_client_awaiting_remap(const tp_driver_client_t *client);
/* The driver's errorMessage (or our reason) for the last failure; "" when none. */
const char *tp_driver_client_last_error(const tp_driver_client_t *client);
const tp_driver_client_counters_t *tp_driver_client_counters(const tp_driver_client_t *client);
/* The public subset of the counters (tp_lease_counters_t of the owner's transport counters). */
void tp_driver_client_lease_counters(const tp_driver_client_t *client, tp_lease_counters_t *out);
/* The correlationId of the attach request in flight (or last sent). */
int64_t tp_driver_client_correlation_id(const tp_driver_client_t *client);
/* When BACKOFF ends (monotonic ns). */
uint64_t tp_driver_client_backoff_deadline(const tp_driver_client_t *client);

#endif /* TENSORPOOL_TP_DRIVER_CLIENT_H */
