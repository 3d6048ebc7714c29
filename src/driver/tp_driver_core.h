/*
 * Transport-independent SHM driver core (driver model spec v1.0, schema 901), like the producer and consumer
 * cores: received control-plane messages are fed in with tp_driver_core_on_message(), outgoing ones
 * (ShmAttachResponse, ShmDetachResponse, ShmLeaseRevoked, ShmDriverShutdown on the control stream;
 * ShmPoolAnnounce on the announce stream) leave through a tp_sink_t, and tp_driver_core_do_work() runs the
 * timers (lease expiry, announces, epoch GC, shutdown drain). Single-threaded: the driver agent calls
 * everything.
 *
 * The core owns every region file: per stream <base>/<namespace>/<instance_id>.stream-<id>/epoch-<E>/
 * {header.ring,payload-<pool>.pool}, created with the configured permissions_mode, prefaulted / mlocked per
 * policy. Epochs never go backwards across restarts: a stream's first epoch is the larger of one more than the
 * highest epoch-<E> directory found on disk and CLOCK_REALTIME in microseconds. Decisions the spec leaves open
 * are listed in docs/driver_core.md.
 */
#ifndef TENSORPOOL_TP_DRIVER_CORE_H
#define TENSORPOOL_TP_DRIVER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/tp_driver_config.h"
#include "tensorpool/tp_client.h"
#include "tensorpool/tp_sink.h"

#ifdef __cplusplus
extern "C"
{
#endif

/* Active leases one driver holds at most: a flood of distinct client ids is refused (REJECTED), not grown into. */
#define TP_DRIVER_MAX_LEASES 65536

typedef struct tp_driver_core_stct tp_driver_core_t;

typedef struct tp_driver_core_context_stct
{
    const tp_driver_config_t *config; /* copied by start */
    tp_clock_fn clock;                /* monotonic ns; NULL = CLOCK_MONOTONIC */
    tp_clock_fn realtime_clock;       /* for message timestamps; NULL = CLOCK_REALTIME */
    void *clock_clientd;
    tp_sink_t sink; /* target.kind = TP_STREAM_CONTROL; target.channel/stream_id = control or announce stream */
    tp_log_fn log;  /* the client library's log callback type and levels */
    void *log_clientd;
} tp_driver_core_context_t;

typedef struct tp_driver_counters_stct
{
    uint64_t attach_requests;
    uint64_t attach_ok;
    uint64_t attach_rejected; /* every code != OK */
    uint64_t detach_requests;
    uint64_t keepalives;
    uint64_t keepalives_unknown; /* keepalive for an unknown / mismatching lease */
    uint64_t leases_expired;
    uint64_t leases_revoked; /* ShmLeaseRevoked sent, any reason */
    uint64_t epochs_bumped;
    uint64_t announces_sent;
    uint64_t shutdown_requests;
    uint64_t shutdown_requests_rejected; /* wrong or missing token */
    uint64_t regions_created;
    uint64_t epoch_dirs_collected;
    uint64_t foreign_messages;  /* other schemas */
    uint64_t unknown_templates; /* schema 901, template we do not handle */
    uint64_t malformed_messages;
    uint64_t sink_refusals;
} tp_driver_counters_t;

typedef enum tp_driver_state_en
{
    TP_DRIVER_RUNNING = 0,
    TP_DRIVER_DRAINING = 1,   /* shutdown accepted: no new leases, final announce sent, waiting for the timeout */
    TP_DRIVER_TERMINATED = 2, /* ShmDriverShutdown sent; the agent should close */
} tp_driver_state_t;

/* Copy the config, create static streams' directories (no regions until the first attach), optionally run the
 * epoch GC. 0 / -1 (tp_errmsg()). */
int tp_driver_core_start(tp_driver_core_t **core, const tp_driver_core_context_t *ctx);

/* Handle one received message (schema 901 requests; everything else is counted and skipped). Returns 1 when it
 * was a driver request that was handled, 0 when skipped. Never fails: malformed input is counted. */
int tp_driver_core_on_message(tp_driver_core_t *core, const uint8_t *buffer, size_t length);

/* Timers: lease expiry (revoke + epoch bump + announce), periodic ShmPoolAnnounce per stream, epoch GC,
 * shutdown drain. Returns the work count. */
int tp_driver_core_do_work(tp_driver_core_t *core, uint64_t now_ns);

/* Begin a graceful shutdown from inside the process (SIGINT/SIGTERM): same sequence as an accepted
 * ShmDriverShutdownRequest (§4.13): draining, final announce, ShmDriverShutdown after shutdown_timeout_ms. */
void tp_driver_core_begin_shutdown(tp_driver_core_t *core, uint8_t reason, const char *message);

tp_driver_state_t tp_driver_core_state(const tp_driver_core_t *core);

/* Unmap and remove every region file and epoch directory of every stream (a clean shutdown leaves nothing; the
 * realtime seed keeps the next start's epochs higher). Frees the core. Safe with NULL. */
int tp_driver_core_close(tp_driver_core_t *core);

const tp_driver_counters_t *tp_driver_core_counters(const tp_driver_core_t *core);
size_t tp_driver_core_lease_count(const tp_driver_core_t *core);
size_t tp_driver_core_stream_count(const tp_driver_core_t *core);
/* Current epoch of a stream (0 when unknown). */
uint64_t tp_driver_core_stream_epoch(const tp_driver_core_t *core, uint32_t stream_id);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_DRIVER_CORE_H */
