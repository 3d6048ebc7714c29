/*
 * tensorpool client: the context (where Aeron and the SHM regions live, which channel and stream ids carry the
 * control plane, cadences, clock, logging, threading mode) and the client that owns one Aeron client.
 *
 * Usage (Aeron style):
 *
 *     tp_context_t *ctx;
 *     tp_context_init(&ctx);                       // defaults: AERON_DIR or the Aeron default, aeron:ipc, ...
 *     tp_context_set_shm_base_dir(ctx, "/dev/shm/tensorpool");
 *     tp_client_t *client;
 *     tp_client_start(&client, ctx);               // copies ctx: it may be closed right after
 *     tp_context_close(ctx);
 *     ... add producers / consumers (tp_producer.h, tp_consumer.h) ...
 *     while (running) { int work = tp_client_do_work(client) + tp_producer_poll(p); tp_client_idle(client, work); }
 *     tp_client_close(client);                     // after closing its producers and consumers
 *
 * Threading model:
 *
 * - TP_CLIENT_MODE_INVOKER (default): no thread is started. The Aeron client conductor runs inside
 *   tp_client_do_work(), which the application calls from its own loop. The client and every producer and consumer
 *   created from it are then used from that one thread. The blocking tp_producer_start() / tp_consumer_start()
 *   drive tp_client_do_work() themselves while they wait.
 * - TP_CLIENT_MODE_AGENT: the Aeron client runs its conductor on its own thread; tp_client_do_work() returns 0
 *   and does nothing. Producers and consumers may then live on different application threads, but each object
 *   is single-threaded: all calls on one producer (or consumer), including its poll and close, come from one
 *   thread at a time. Adding and closing objects, and tp_client_idle(), are safe from any thread.
 *
 * A producer's or consumer's poll drives all of its control duties (announces, QoS, hello, metadata, per-consumer
 * streams), like an Aeron subscription poll drives fragment delivery: an object that is not polled goes silent
 * and is eventually considered stale by its peers.
 *
 * Setup calls return 0 or -1 and leave the reason in tp_errmsg() (tp_error.h).
 */
#ifndef TENSORPOOL_TP_CLIENT_H
#define TENSORPOOL_TP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_error.h"
#include "tensorpool/tp_log.h"
#include "tensorpool/tp_sink.h"

#ifdef __cplusplus
extern "C"
{
#endif

/* STREAM_ID_CONVENTIONS.md defaults. */
#define TP_DEFAULT_CHANNEL                        "aeron:ipc"
#define TP_DEFAULT_DESCRIPTOR_TERM_LENGTH         (UINT32_C(4) << 20)
#define TP_DEFAULT_CONTROL_TERM_LENGTH            (UINT32_C(256) << 10)
#define TP_DEFAULT_CONTROL_STREAM_ID              1000
#define TP_DEFAULT_DESCRIPTOR_STREAM_ID           1100
#define TP_DEFAULT_QOS_STREAM_ID                  1200
#define TP_DEFAULT_METADATA_STREAM_ID             1300
#define TP_DEFAULT_CONSUMER_DESCRIPTOR_STREAM_MIN 31000
#define TP_DEFAULT_CONSUMER_DESCRIPTOR_STREAM_MAX 31999
#define TP_DEFAULT_CONSUMER_CONTROL_STREAM_MIN    32000
#define TP_DEFAULT_CONSUMER_CONTROL_STREAM_MAX    32999
#define TP_DEFAULT_SHM_BASE_DIR                   "/dev/shm/tensorpool"
#define TP_CONTEXT_MAX_ALLOWED_DIRS               16

typedef struct tp_context_stct tp_context_t;
typedef struct tp_client_stct tp_client_t;

/* tp_log_level_t and the per-context callback tp_log_fn are declared in tp_log.h. */

typedef enum tp_client_mode_en
{
    TP_CLIENT_MODE_INVOKER = 0, /* the application drives the client with tp_client_do_work() */
    TP_CLIENT_MODE_AGENT = 1,   /* the Aeron client conductor runs on its own thread */
} tp_client_mode_t;

/*
 * Lease state of a producer or consumer in driver mode (tp_context_set_shm_driver): the driver-client states of
 * driver model spec v1.0 §4.12.1. In standalone mode an object stays TP_LEASE_UNATTACHED.
 *
 * - TP_LEASE_UNATTACHED: no lease (standalone mode, before the first attach, or after close).
 * - TP_LEASE_ATTACHING:  ShmAttachRequest sent, waiting for the response (attach timeout applies).
 * - TP_LEASE_ATTACHED:   lease granted and every rule of §4.2 checked; keepalives are sent from the object's poll.
 * - TP_LEASE_DETACHING:  ShmDetachRequest sent on close; waiting briefly for ShmDetachResponse.
 * - TP_LEASE_BACKOFF:    attach rejected, timed out, invalid (fail closed), revoked or driver shut down: regions
 *                        are unmapped and the attach is retried after an exponential, bounded delay.
 */
typedef enum tp_lease_state_en
{
    TP_LEASE_UNATTACHED = 0,
    TP_LEASE_ATTACHING = 1,
    TP_LEASE_ATTACHED = 2,
    TP_LEASE_DETACHING = 3,
    TP_LEASE_BACKOFF = 4,
} tp_lease_state_t;

/*
 * Called from the object's poll (or blocking start/close) thread on every lease state change. reason is a short
 * text (the driver's errorMessage for a rejection, or what went wrong), valid for the call only.
 */
typedef void (*tp_lease_state_fn)(void *clientd, tp_lease_state_t from, tp_lease_state_t to, const char *reason);

/* Driver-mode lease counters of a producer or consumer (its transport counters' `lease`). */
typedef struct tp_lease_counters_stct
{
    uint64_t attaches;        /* leases granted */
    uint64_t attach_failures; /* rejections, timeouts, invalid responses, mapping failures */
    uint64_t revocations;     /* own lease revoked or expired (consumer: also its stream's producer lease) */
    uint64_t reattaches;      /* attaches after the first */
    uint64_t keepalives_sent;
    uint64_t driver_shutdowns; /* ShmDriverShutdown seen */
} tp_lease_counters_t;

/* "UNATTACHED", "ATTACHING", ... ("UNKNOWN" for anything else). */
const char *tp_lease_state_name(tp_lease_state_t state);

/* ---- context ---- */

/*
 * Allocate a context with defaults: Aeron dir from AERON_DIR or aeron_default_path(); SHM base dir
 * TP_DEFAULT_SHM_BASE_DIR, which is also the only allowed dir until tp_context_add_allowed_dir() is called;
 * channel "aeron:ipc" for every stream; stream ids 1000/1100/1200/1300 and per-consumer ranges
 * 31000-31999 / 32000-32999; announce, QoS, metadata and hello cadences 1 s; CLOCK_MONOTONIC; no log
 * callback; invoker mode; "backoff" idle strategy; Aeron driver timeout 10 s; start timeout 10 s.
 */
int tp_context_init(tp_context_t **ctx);
int tp_context_close(tp_context_t *ctx);

int tp_context_set_aeron_dir(tp_context_t *ctx, const char *dir);
const char *tp_context_get_aeron_dir(const tp_context_t *ctx);
/* Milliseconds the Aeron client waits for (and tolerates silence from) the media driver. */
int tp_context_set_driver_timeout_ms(tp_context_t *ctx, uint64_t timeout_ms);

/* Where producers create their regions: <base>/<namespace>/<instance>/epoch-<E>/ (absolute path). */
int tp_context_set_shm_base_dir(tp_context_t *ctx, const char *dir);
const char *tp_context_get_shm_base_dir(const tp_context_t *ctx);
/* Directories consumers accept announced regions from (absolute). The first call replaces the default. */
int tp_context_add_allowed_dir(tp_context_t *ctx, const char *dir);
size_t tp_context_allowed_dir_count(const tp_context_t *ctx);
const char *tp_context_allowed_dir(const tp_context_t *ctx, size_t index);

/* One channel for all shared streams (and the default for per-consumer requests). */
int tp_context_set_channel(tp_context_t *ctx, const char *channel);
const char *tp_context_get_channel(const tp_context_t *ctx);
int tp_context_set_control_stream_id(tp_context_t *ctx, uint32_t stream_id);
int tp_context_set_descriptor_stream_id(tp_context_t *ctx, uint32_t stream_id);
int tp_context_set_qos_stream_id(tp_context_t *ctx, uint32_t stream_id);
int tp_context_set_metadata_stream_id(tp_context_t *ctx, uint32_t stream_id);
uint32_t tp_context_get_stream_id(const tp_context_t *ctx, tp_stream_kind_t kind); /* shared kinds */
/*
 * Isolation (docs/isolation.md). By default every IPC subscription tensorpool adds is untethered (tether=false)
 * and every IPC publication asks the media driver to stop waiting for a subscriber that lags by 3/4 of the term
 * window: after window_limit_ns it is told its image is gone (it still holds the limit), after window_limit_ns
 * more it is ignored by flow control, and after resting_ns it rejoins at the newest position, counting what it
 * missed in its drops_gap. A dead, stopped or slow consumer then holds back the producer and the other
 * consumers for at most ~2 x window_limit_ns + 2 x the driver's timer interval. Keys already in the channel win;
 * 0 leaves that timeout to the driver's default. tether=true restores Aeron's default (every subscriber holds
 * the publication, however long it stalls, until the driver times its client out).
 */
#define TP_DEFAULT_UNTETHERED_WINDOW_LIMIT_TIMEOUT_NS UINT64_C(30000000)
#define TP_DEFAULT_UNTETHERED_RESTING_TIMEOUT_NS      UINT64_C(1000000000)
int tp_context_set_tether(tp_context_t *ctx, bool tether);
bool tp_context_get_tether(const tp_context_t *ctx);
int tp_context_set_untethered_timeouts_ns(tp_context_t *ctx, uint64_t window_limit_ns, uint64_t resting_ns);
/*
 * Aeron term length asked for on the publications the client adds (`term-length=` on an aeron:ipc channel that
 * names none; 0 = the media driver's default, 64 MiB for IPC unless AERON_IPC_TERM_BUFFER_LENGTH says otherwise).
 * A log holds 3 terms + 4 KiB, so each stream costs 3 x term length of /dev/shm (RAM) once per host. Descriptor
 * streams (shared and per-consumer): default 1 MiB = 3 MiB per stream, a window of 512 KiB (~5,000 descriptors)
 * before back pressure. QoS, metadata and per-consumer control streams: default 256 KiB = 772 KiB per stream,
 * messages up to 32 KiB. The shared control stream keeps the driver's default (other programs publish on it).
 * Every process publishing on one stream must ask for the same length (Aeron refuses a mismatch). Power of two
 * in [64 KiB, 1 GiB], or 0.
 */
int tp_context_set_descriptor_term_length(tp_context_t *ctx, uint32_t length);
uint32_t tp_context_get_descriptor_term_length(const tp_context_t *ctx);
int tp_context_set_control_term_length(tp_context_t *ctx, uint32_t length);
uint32_t tp_context_get_control_term_length(const tp_context_t *ctx);
/*
 * Populate every Aeron log (publications and images) when it is mapped, so the steady state takes no minor page
 * faults (the Aeron client's pre-touch option; AERON_CLIENT_PRE_TOUCH_MAPPED_MEMORY, when set, gives the default).
 * Default on; costs page-table entries (2 KiB per MiB mapped) and setup time, not RAM. (SHM regions are always
 * populated by the producer and consumer that map them.)
 */
int tp_context_set_pre_touch(tp_context_t *ctx, bool enabled);
bool tp_context_get_pre_touch(const tp_context_t *ctx);
/* Inclusive ranges a producer grants per-consumer streams from (0, 0 disables the kind). */
int tp_context_set_consumer_descriptor_stream_range(tp_context_t *ctx, uint32_t min, uint32_t max);
int tp_context_set_consumer_control_stream_range(tp_context_t *ctx, uint32_t min, uint32_t max);

/* Cadences in nanoseconds (all must be > 0). */
int tp_context_set_announce_interval_ns(tp_context_t *ctx, uint64_t interval_ns);
int tp_context_set_qos_interval_ns(tp_context_t *ctx, uint64_t interval_ns);
int tp_context_set_meta_interval_ns(tp_context_t *ctx, uint64_t interval_ns);
int tp_context_set_hello_interval_ns(tp_context_t *ctx, uint64_t interval_ns);
/* Producer side: a consumer is stale after factor * hello interval without hello or QoS (3..5). */
int tp_context_set_consumer_stale_factor(tp_context_t *ctx, uint32_t factor);
/* Consumer side: announces older than this are ignored (default 3 s). */
int tp_context_set_freshness_window_ns(tp_context_t *ctx, uint64_t window_ns);

/* Monotonic nanosecond clock used by the cores and for image join times (NULL restores CLOCK_MONOTONIC). It may
 * be called from any thread (the Aeron conductor thread in agent mode). */
int tp_context_set_clock(tp_context_t *ctx, tp_clock_fn clock, void *clientd);
/* Log callback and the most verbose level delivered to it (default TP_LOG_INFO). It takes precedence over the
 * process-wide handler of tp_log.h; NULL (the default) logs through that handler at the process level instead. */
int tp_context_set_log(tp_context_t *ctx, tp_log_fn log, void *clientd, tp_log_level_t max_level);

int tp_context_set_client_mode(tp_context_t *ctx, tp_client_mode_t mode);
tp_client_mode_t tp_context_get_client_mode(const tp_context_t *ctx);
/* "spin", "noop", "yield", "sleep" or "backoff": paces tp_client_idle() and the blocking starts. (In agent mode
 * the Aeron conductor thread paces itself with Aeron's idle sleep, AERON_CLIENT_IDLE_SLEEP_DURATION.) */
int tp_context_set_idle_strategy(tp_context_t *ctx, const char *name);
/* How long tp_producer_start() / tp_consumer_start() wait for their Aeron streams (ms). */
int tp_context_set_start_timeout_ms(tp_context_t *ctx, uint64_t timeout_ms);

/*
 * Driver mode (driver model spec v1.0): instead of creating their own regions (standalone mode, the default),
 * producers and consumers attach through an SHM driver listening on the context's channel + control stream id.
 * The driver grants a lease naming the regions; the object maps them after the usual containment checks (the
 * allowed dirs must cover the driver's base dir), sends keepalives from its poll, and on revocation, expiry or
 * driver shutdown stops using the regions and reattaches with a bounded exponential backoff (100 ms .. 2 s). The
 * lease state is reported through the tp_lease_state_fn of the producer / consumer config. Explicit only: no
 * environment variable switches it on.
 */
int tp_context_set_shm_driver(tp_context_t *ctx, bool enabled);
bool tp_context_get_shm_driver(const tp_context_t *ctx);
/* How long an attach waits for ShmAttachResponse before backing off and retrying (default 2 s). */
int tp_context_set_driver_attach_timeout_ns(tp_context_t *ctx, uint64_t timeout_ns);
/* ShmLeaseKeepalive cadence, sent from the object's poll (default 1 s). */
int tp_context_set_driver_keepalive_interval_ns(tp_context_t *ctx, uint64_t interval_ns);

/* ---- client ---- */

/* Connect to the media driver in the context's Aeron dir. ctx is copied; it may be closed afterwards. */
int tp_client_start(tp_client_t **client, const tp_context_t *ctx);

/* Invoker mode: run one Aeron conductor duty cycle. Returns the work count, 0 in agent mode, -1 when the Aeron
 * client has closed (driver gone; tp_errmsg() says why). */
int tp_client_do_work(tp_client_t *client);

/* Idle with the context's idle strategy after a duty cycle that did work_count units of work (the strategy's
 * backoff state is per calling thread). */
void tp_client_idle(tp_client_t *client, int work_count);

/* True once the Aeron client has closed itself (e.g. driver timeout). */
bool tp_client_is_closed(tp_client_t *client);

/* The client's own copy of its context (read-only). */
const tp_context_t *tp_client_context(const tp_client_t *client);

/* The underlying aeron_t (an `aeron_t *` from aeronc.h), for applications that add their own streams. */
void *tp_client_aeron(tp_client_t *client);

/* Close the Aeron client. Close every producer and consumer of this client first. Safe with NULL. */
int tp_client_close(tp_client_t *client);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_CLIENT_H */
