/*
 * tensorpool's embedded media driver: serves aeron:ipc publications and subscriptions to Aeron clients (ours
 * or the official C/Java ones) through a CnC file that is wire-compatible with Aeron 1.48 (CnC 0.2.0).
 * It does not do UDP: channels other than aeron:ipc are refused, use the official Aeron media driver for those.
 *
 * Usage, Aeron style:
 *     tp_mediadriver_context_t *ctx;  tp_mediadriver_t *driver;
 *     tp_mediadriver_context_init(&ctx);            // defaults, then AERON_* environment variables
 *     tp_mediadriver_context_set_dir(ctx, "/dev/shm/my-aeron");
 *     tp_mediadriver_start(&driver, ctx);            // own thread by default
 *     ...
 *     tp_mediadriver_close(driver);
 *     tp_mediadriver_context_close(ctx);
 * The driver copies the context at start, so the context may be closed any time after tp_mediadriver_start.
 * Setup calls return 0 / -1 and leave the reason in tp_errmsg().
 */
#ifndef TENSORPOOL_TP_MEDIADRIVER_H
#define TENSORPOOL_TP_MEDIADRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

typedef struct tp_mediadriver_context_stct tp_mediadriver_context_t;
typedef struct tp_mediadriver_stct tp_mediadriver_t;

typedef enum tp_mediadriver_threading_mode_en
{
    TP_MEDIADRIVER_THREADING_DEDICATED = 0, /* the driver runs its duty cycle on its own thread */
    TP_MEDIADRIVER_THREADING_INVOKER = 1    /* the application calls tp_mediadriver_do_work() */
} tp_mediadriver_threading_mode_t;

/*
 * Defaults (Aeron's), then these environment variables when set: AERON_DIR, AERON_DIR_DELETE_ON_START,
 * AERON_DIR_DELETE_ON_SHUTDOWN, AERON_CONDUCTOR_BUFFER_LENGTH, AERON_CLIENTS_BUFFER_LENGTH,
 * AERON_COUNTERS_BUFFER_LENGTH, AERON_ERROR_BUFFER_LENGTH, AERON_CLIENT_LIVENESS_TIMEOUT,
 * AERON_IPC_TERM_BUFFER_LENGTH, AERON_IPC_MTU_LENGTH, AERON_IPC_PUBLICATION_TERM_WINDOW_LENGTH,
 * AERON_PUBLICATION_LINGER_TIMEOUT, AERON_PUBLICATION_UNBLOCK_TIMEOUT, AERON_TIMER_INTERVAL,
 * AERON_FILE_PAGE_SIZE, AERON_TERM_BUFFER_SPARSE_FILE, AERON_COUNTERS_FREE_TO_REUSE_TIMEOUT,
 * AERON_DRIVER_TIMEOUT (ms), AERON_PUBLICATION_RESERVED_SESSION_ID_LOW/_HIGH, AERON_LOSS_REPORT_BUFFER_LENGTH,
 * AERON_TETHER_SUBSCRIPTIONS, AERON_UNTETHERED_WINDOW_LIMIT_TIMEOUT, AERON_UNTETHERED_RESTING_TIMEOUT,
 * AERON_THREADING_MODE (INVOKER, anything else = own thread), AERON_CONDUCTOR_IDLE_STRATEGY
 * (spin, noop, yield, sleep, backoff). Sizes take k/m/g suffixes, durations ns/us/ms/s (bare = ns).
 * Fails (naming the variable and value) when a variable does not parse.
 */
int tp_mediadriver_context_init(tp_mediadriver_context_t **context);
int tp_mediadriver_context_close(tp_mediadriver_context_t *context);

int tp_mediadriver_context_set_dir(tp_mediadriver_context_t *context, const char *dir);
const char *tp_mediadriver_context_get_dir(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_dir_delete_on_start(tp_mediadriver_context_t *context, bool value);
bool tp_mediadriver_context_get_dir_delete_on_start(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_dir_delete_on_shutdown(tp_mediadriver_context_t *context, bool value);
bool tp_mediadriver_context_get_dir_delete_on_shutdown(const tp_mediadriver_context_t *context);

/* Power of two in [64 KiB, 1 GiB]; default 64 MiB. */
int tp_mediadriver_context_set_ipc_term_buffer_length(tp_mediadriver_context_t *context, size_t value);
size_t tp_mediadriver_context_get_ipc_term_buffer_length(const tp_mediadriver_context_t *context);
/* Multiple of 32 in (32, 65504]; default 1408. */
int tp_mediadriver_context_set_ipc_mtu_length(tp_mediadriver_context_t *context, size_t value);
size_t tp_mediadriver_context_get_ipc_mtu_length(const tp_mediadriver_context_t *context);
/* 0 = term length / 2. */
int tp_mediadriver_context_set_ipc_publication_term_window_length(tp_mediadriver_context_t *context, size_t value);
size_t tp_mediadriver_context_get_ipc_publication_term_window_length(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_term_buffer_sparse_file(tp_mediadriver_context_t *context, bool value);
bool tp_mediadriver_context_get_term_buffer_sparse_file(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_file_page_size(tp_mediadriver_context_t *context, size_t value);
size_t tp_mediadriver_context_get_file_page_size(const tp_mediadriver_context_t *context);

/* Capacities must be powers of two (the trailers are added by the driver). */
int tp_mediadriver_context_set_to_driver_buffer_length(tp_mediadriver_context_t *context, size_t capacity);
size_t tp_mediadriver_context_get_to_driver_buffer_length(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_to_clients_buffer_length(tp_mediadriver_context_t *context, size_t capacity);
size_t tp_mediadriver_context_get_to_clients_buffer_length(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_counters_values_buffer_length(tp_mediadriver_context_t *context, size_t length);
size_t tp_mediadriver_context_get_counters_values_buffer_length(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_error_buffer_length(tp_mediadriver_context_t *context, size_t length);
size_t tp_mediadriver_context_get_error_buffer_length(const tp_mediadriver_context_t *context);

/* Durations in nanoseconds. */
int tp_mediadriver_context_set_client_liveness_timeout_ns(tp_mediadriver_context_t *context, uint64_t value);
uint64_t tp_mediadriver_context_get_client_liveness_timeout_ns(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_publication_unblock_timeout_ns(tp_mediadriver_context_t *context, uint64_t value);
uint64_t tp_mediadriver_context_get_publication_unblock_timeout_ns(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_publication_linger_timeout_ns(tp_mediadriver_context_t *context, uint64_t value);
uint64_t tp_mediadriver_context_get_publication_linger_timeout_ns(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_timer_interval_ns(tp_mediadriver_context_t *context, uint64_t value);
uint64_t tp_mediadriver_context_get_timer_interval_ns(const tp_mediadriver_context_t *context);
int tp_mediadriver_context_set_counter_free_to_reuse_timeout_ns(tp_mediadriver_context_t *context, uint64_t value);
uint64_t tp_mediadriver_context_get_counter_free_to_reuse_timeout_ns(const tp_mediadriver_context_t *context);
/* How old a CnC heartbeat may be before an existing directory counts as stale (default 10 s). */
int tp_mediadriver_context_set_driver_timeout_ms(tp_mediadriver_context_t *context, uint64_t value);
uint64_t tp_mediadriver_context_get_driver_timeout_ms(const tp_mediadriver_context_t *context);

int tp_mediadriver_context_set_threading_mode(tp_mediadriver_context_t *context, tp_mediadriver_threading_mode_t mode);
tp_mediadriver_threading_mode_t tp_mediadriver_context_get_threading_mode(const tp_mediadriver_context_t *context);
/* "spin", "noop", "yield", "sleep" or "backoff" (default); used by the dedicated thread. */
int tp_mediadriver_context_set_idle_strategy(tp_mediadriver_context_t *context, const char *name);
const char *tp_mediadriver_context_get_idle_strategy(const tp_mediadriver_context_t *context);

/*
 * Creates the directory and CnC file and starts serving. Refuses (error) when a live driver already owns the
 * directory; a stale directory (heartbeat older than the driver timeout, or unreadable CnC) is taken over.
 */
int tp_mediadriver_start(tp_mediadriver_t **driver, tp_mediadriver_context_t *context);

/* One duty cycle (invoker mode). Returns the amount of work done (0 = idle), or -1 on a fatal error. */
int tp_mediadriver_do_work(tp_mediadriver_t *driver);

/* Stops the thread (if any), marks the CnC heartbeat -1, unmaps and optionally deletes the directory. */
int tp_mediadriver_close(tp_mediadriver_t *driver);

/* The Aeron directory this driver serves. */
const char *tp_mediadriver_dir(const tp_mediadriver_t *driver);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_MEDIADRIVER_H */
