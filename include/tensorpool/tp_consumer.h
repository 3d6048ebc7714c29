/*
 * Consumer over Aeron (wire spec §10-11, §15.21): subscribes to the shared control, descriptor, QoS and metadata
 * streams (and to per-consumer descriptor / control streams once a ConsumerConfig grants them), maps the regions
 * a producer announces after containment and superblock checks, and hands the application zero-copy frame views
 * that passed every FrameDescriptor check and the seqlock read. Sends ConsumerHello at start and periodically,
 * and QosConsumer.
 *
 *     tp_consumer_config_t cfg;
 *     tp_consumer_config_init(&cfg);
 *     cfg.stream_id = 7; cfg.consumer_id = 42;
 *     tp_consumer_t *consumer;
 *     tp_consumer_start(&consumer, client, &cfg);
 *     while (running) {
 *         int work = tp_consumer_poll(consumer, on_frame, &app, 0);
 *         tp_client_idle(client, work + tp_client_do_work(client));
 *     }
 *     tp_consumer_close(consumer);
 *
 *     static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
 *     {
 *         use(frame->payload, frame->payload_length, &frame->tensor);
 *         if (!tp_consumer_frame_is_intact(frame)) { discard what was read: the producer overwrote the slot }
 *     }
 *
 * Single-threaded: every call on one consumer, including tp_consumer_poll() and tp_consumer_close(), comes from
 * one thread (see tp_client.h).
 *
 * Frame views: the tp_consumer_frame_t passed to the handler lives for the call; its payload pointer (and a copy of
 * the struct) stays valid, i.e. mapped, until the next tp_consumer_poll() or tp_consumer_close() on this consumer:
 * unmapping and remapping only happen inside poll, before any frame is handed over. The header fields were read
 * under the seqlock; the payload bytes belong to the producer, which may overwrite the slot once the ring wraps,
 * hence tp_consumer_frame_is_intact() after reading.
 *
 * Hot path (descriptor poll, validation, seqlock read, frame delivery): no allocation, lock or syscall.
 */
#ifndef TENSORPOOL_TP_CONSUMER_H
#define TENSORPOOL_TP_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_client.h"
#include "tensorpool/tp_consumer_core.h"
#include "tensorpool/tp_tensor.h"

#ifdef __cplusplus
extern "C"
{
#endif

typedef struct tp_consumer_stct tp_consumer_t;
typedef struct tp_async_add_consumer_stct tp_async_add_consumer_t;

/* What one consumer asks for. Channels, shared stream ids, cadences, allowed dirs and clock come from the
 * client's context. */
typedef struct tp_consumer_config_stct
{
    uint32_t stream_id;               /* the tensorpool stream (data source) id to follow */
    uint32_t consumer_id;             /* unique among the stream's consumers */
    uint32_t layout_version;          /* default 1 */
    uint8_t mode;                     /* TP_CONSUMER_MODE_STREAM (default) or TP_CONSUMER_MODE_RATE_LIMITED */
    uint32_t max_rate_hz;             /* for RATE_LIMITED on a per-consumer descriptor stream; 0 = none */
    uint64_t max_outstanding_seq_gap; /* default 256 */

    /* FrameProgress: off by default; hints UINT32_MAX = none. */
    bool supports_progress;
    uint32_t progress_interval_us;
    uint32_t progress_bytes_delta;
    uint32_t progress_major_delta_units;

    /* Per-consumer streams to request (0 = not requested; the producer grants ids inside its configured
     * ranges, 31000-31999 and 32000-32999 by default). Empty channel = the context's channel. */
    uint32_t descriptor_stream_id;
    char descriptor_channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id;
    char control_channel[TP_CHANNEL_MAX];

    /* Default handlers: used when tp_consumer_poll() is given NULL. */
    tp_consumer_frame_handler_t on_frame;
    tp_consumer_progress_handler_t on_progress;
    tp_consumer_config_handler_t on_config; /* a ConsumerConfig was applied */
    void *clientd;

    /* Driver mode only (tp_context_set_shm_driver): the consumer attaches as CONSUMER with clientId = consumer_id
     * and publish mode REQUIRE_EXISTING, maps the regions the driver names, then follows the driver's announces.
     * on_lease_state reports every lease state change (NULL: none). While the lease is not ATTACHED nothing is
     * mapped and no frame is delivered. */
    tp_lease_state_fn on_lease_state;
    void *lease_clientd;
} tp_consumer_config_t;

typedef struct tp_consumer_transport_counters_stct
{
    uint64_t fragments_received;
    uint64_t messages_received;     /* complete (reassembled) messages fed to the core */
    uint64_t offers_back_pressured; /* hello / QoS refused by Aeron */
    uint64_t offers_not_connected;
    uint64_t offers_failed;
    uint64_t images_available; /* producer images that joined our subscriptions */
    uint64_t images_unavailable;
    uint64_t consumer_subscriptions_opened; /* per-consumer descriptor / control subscriptions */
    uint64_t consumer_subscriptions_closed;
    tp_lease_counters_t lease; /* driver mode only */
} tp_consumer_transport_counters_t;

void tp_consumer_config_init(tp_consumer_config_t *config);

/* Begin adding a consumer: validates the config (copied) and asks Aeron for the shared subscriptions (control,
 * descriptor, QoS, metadata) and publications (control, QoS). 0 / -1. */
int tp_consumer_add_async(tp_async_add_consumer_t **async, tp_client_t *client, const tp_consumer_config_t *config);

/* 1 and *consumer set when ready (async freed), 0 while pending, -1 on failure (async freed, tp_errmsg()). */
int tp_consumer_add_poll(tp_consumer_t **consumer, tp_async_add_consumer_t *async);

/* Blocking convenience: add_async + poll until ready or the context's start timeout. 0 / -1. */
int tp_consumer_start(tp_consumer_t **consumer, tp_client_t *client, const tp_consumer_config_t *config);

/*
 * Poll the descriptor and control streams (shared and per-consumer), QoS and metadata, up to fragment_limit
 * fragments per subscription (<= 0: TP_CONSUMER_DESCRIPTOR_FRAGMENT_LIMIT for descriptor streams, so a backlog of
 * small frames is drained in batches, and TP_CONSUMER_CONTROL_FRAGMENT_LIMIT for the others), feed the core, deliver
 * frames to on_frame / progress to the config's on_progress, and run the periodic duties (hello, QoS, producer
 * liveness, per-consumer subscriptions). on_frame NULL = the config's handler. Returns the work count, or -1 when the
 * client has closed.
 */
#define TP_CONSUMER_DESCRIPTOR_FRAGMENT_LIMIT 256
#define TP_CONSUMER_CONTROL_FRAGMENT_LIMIT    10
int tp_consumer_poll(tp_consumer_t *consumer, tp_consumer_frame_handler_t on_frame, void *clientd, int fragment_limit);

/*
 * For language bindings, where a callback per frame into an interpreter costs more than the frame: poll exactly like
 * tp_consumer_poll() but copy every accepted frame into frames[] instead of calling a handler. Each subscription is
 * polled for at most capacity / TP_CONSUMER_POLL_SOURCES fragments (at least 1); a fragment yields at most one
 * frame, so every frame the poll accepts fits and none is lost. *count receives the number written. The copies stay
 * valid as a handler's frame does (see "Frame views" above: until the next poll or close). Returns the work count,
 * or -1 when the client has closed or capacity < TP_CONSUMER_POLL_SOURCES (tp_errmsg()).
 */
#define TP_CONSUMER_POLL_SOURCES 6 /* subscriptions one poll reads: 4 shared + 2 per-consumer */
int tp_consumer_poll_frames(tp_consumer_t *consumer, tp_consumer_frame_t *frames, size_t capacity, size_t *count);

/*
 * Wait for the next frame without spinning (docs/performance.md): call it instead of tp_client_idle() when a poll
 * found nothing to do. If the producer publishes the optional wake-up word (tp_producer_config_t.wake_consumers,
 * standalone mode), the thread blocks in the kernel until the producer's next commit or timeout_ns, whichever
 * comes first; otherwise it sleeps min(timeout_ns, 1 ms). Returns 1 when the producer published something since
 * the last poll began, 0 otherwise. Keep timeout_ns below the hello / QoS intervals (e.g. 10-100 ms): the
 * consumer's periodic duties run in poll. The first call after a (re)map opens the word (a few system calls);
 * later calls make one only to block. Not a hot-path call.
 */
int tp_consumer_wait(tp_consumer_t *consumer, uint64_t timeout_ns);

bool tp_consumer_is_mapped(const tp_consumer_t *consumer);
/* Driver mode: the lease state (TP_LEASE_UNATTACHED in standalone mode). */
tp_lease_state_t tp_consumer_lease_state(const tp_consumer_t *consumer);
uint64_t tp_consumer_epoch(const tp_consumer_t *consumer);
const tp_consumer_counters_t *tp_consumer_counters(const tp_consumer_t *consumer);
const tp_consumer_transport_counters_t *tp_consumer_transport_counters(const tp_consumer_t *consumer);
const tp_consumer_assignment_t *tp_consumer_assignment(const tp_consumer_t *consumer);
/* The last rejected announce / region with the reason ("" when none). */
const char *tp_consumer_last_error(const tp_consumer_t *consumer);
/* Cached DataSourceMeta (false until one was accepted; either output may be NULL) and its attributes. */
bool tp_consumer_meta(const tp_consumer_t *consumer, uint32_t *meta_version, size_t *attribute_count);
int tp_consumer_meta_attribute(const tp_consumer_t *consumer, size_t index, tp_consumer_meta_attribute_t *attribute);
/* The core, for advanced use. */
tp_consumer_core_t *tp_consumer_core(tp_consumer_t *consumer);

/* Close subscriptions and publications and unmap (driver mode: detach first, waiting briefly for the driver's
 * answer). Safe with NULL. */
int tp_consumer_close(tp_consumer_t *consumer);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_CONSUMER_H */
