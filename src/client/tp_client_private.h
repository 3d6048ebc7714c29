/* Private state shared by the context, client, producer and consumer over Aeron. */
#ifndef TENSORPOOL_TP_CLIENT_PRIVATE_H
#define TENSORPOOL_TP_CLIENT_PRIVATE_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <aeronc.h>

#include "common/tp_error_private.h"
#include "common/tp_idle_strategy.h"
#include "tensorpool/tp_client.h"

struct tp_context_stct
{
    char aeron_dir[PATH_MAX];
    uint64_t driver_timeout_ms;
    char shm_base_dir[PATH_MAX];
    char allowed_dirs[TP_CONTEXT_MAX_ALLOWED_DIRS][PATH_MAX];
    size_t allowed_dir_count;
    bool allowed_dirs_explicit; /* the first add replaces the default (the SHM base dir) */

    char channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id;
    uint32_t descriptor_stream_id;
    uint32_t qos_stream_id;
    uint32_t metadata_stream_id;
    uint32_t consumer_descriptor_stream_min;
    uint32_t consumer_descriptor_stream_max;
    uint32_t consumer_control_stream_min;
    uint32_t consumer_control_stream_max;
    /* Isolation (docs/isolation.md): untethered IPC subscriptions, and the driver timeouts our publications ask for. */
    bool tether;
    uint64_t untethered_window_limit_timeout_ns;
    uint64_t untethered_resting_timeout_ns;

    uint64_t announce_interval_ns;
    uint64_t qos_interval_ns;
    uint64_t meta_interval_ns;
    uint64_t hello_interval_ns;
    uint32_t consumer_stale_factor;
    uint64_t freshness_window_ns;

    tp_clock_fn clock;
    void *clock_clientd;
    tp_log_fn log;
    void *log_clientd;
    tp_log_level_t log_level;

    /* Aeron term lengths the client asks for on the publications it adds (0 = the media driver's default). */
    uint32_t descriptor_term_length; /* shared and per-consumer descriptor streams */
    uint32_t control_term_length;    /* QoS, metadata and per-consumer control streams */
    bool pre_touch;                  /* Aeron logs and the CnC populated when mapped (SHM regions always are) */

    tp_client_mode_t mode;
    tp_idle_kind_t idle_kind;
    uint64_t start_timeout_ms;

    /* Driver mode (driver model spec v1.0): attach through the SHM driver on the control stream. */
    bool shm_driver;
    uint64_t driver_attach_timeout_ns;
    uint64_t driver_keepalive_interval_ns;
};

struct tp_client_stct
{
    tp_context_t ctx;
    aeron_context_t *aeron_ctx;
    aeron_t *aeron;
    tp_idle_strategy_t idle;
};

/* Deliver a formatted line to the context's log callback when level is enabled there, or to the process-wide
 * handler (tp_log.h) when the context has none. tp_client_log logs as component "client". */
void tp_client_log(const tp_client_t *client, tp_log_level_t level, const char *format, ...) TP_PRINTF_LIKE(3, 4);
void tp_client_log_event(const tp_client_t *client, tp_log_level_t level, const char *component, const char *format,
                         ...) TP_PRINTF_LIKE(4, 5);
void tp_client_vlog(const tp_client_t *client, tp_log_level_t level, const char *component, const char *format,
                    va_list args) TP_PRINTF_LIKE(4, 0);
bool tp_client_log_enabled(const tp_client_t *client, tp_log_level_t level);

uint64_t tp_client_now_ns(const tp_client_t *client);

/* Map an aeron_publication_offer result onto the sink contract (0 accepted, negative refused); NOT_CONNECTED counts
 * as accepted since nobody is listening. The counters are updated. */
int tp_client_offer(aeron_publication_t *publication, const uint8_t *buffer, size_t length, uint64_t *back_pressured,
                    uint64_t *not_connected, uint64_t *failed);

/*
 * The channel actually given to Aeron for one of our IPC subscriptions (is_subscription) or publications: the
 * configured channel plus tether=false (subscriptions) or the untethered timeouts (publications) unless the
 * channel names them already, so no stalled or dead subscriber pins a shared stream (docs/isolation.md). Other
 * media pass through unchanged. Returns 0, or -1 when the result does not fit in capacity.
 */
int tp_context_aeron_channel(const tp_context_t *ctx, const char *channel, bool is_subscription, char *out,
                             size_t capacity);
/* The same for a publication, with term-length=term_length as well when nonzero (and not named already). */
int tp_context_publication_channel(const tp_context_t *ctx, const char *channel, uint32_t term_length, char *out,
                                   size_t capacity);

/*
 * The channel for a subscription of a service or observer (SHM driver, registry, tp_top, tp_attach, discovery
 * responses) on a shared IPC stream: tether=false appended unless the channel names tether itself, so a stopped or
 * dead reader of that kind never holds back the stream's publishers either (docs/isolation.md). Other media are
 * copied unchanged. Returns 0, or -1 (TP_ERR_URI) when out is too small.
 */
int tp_aeron_channel_untethered(const char *channel, char *out, size_t capacity);
/*
 * The channel a publication of this kind is added on: `channel` plus `term-length=` from the context when the
 * channel is aeron:ipc and names no term length itself. The shared control stream keeps the plain channel: the
 * SHM driver and tools publish on it without a term length, and Aeron refuses a shared publication whose
 * term-length differs from the existing one. The isolation parameters (tp_context_aeron_channel) follow.
 * Returns 0, or -1 (TP_ERR_URI) when the result does not fit.
 */
int tp_client_publication_channel(const tp_client_t *client, tp_stream_kind_t kind, const char *channel, char *out,
                                  size_t capacity);

/* Drive the client once while a blocking start waits (invoker mode: one Aeron duty cycle; agent mode: nothing). */
void tp_client_wait_step(tp_client_t *client, int work_count);

#endif /* TENSORPOOL_TP_CLIENT_PRIVATE_H */
