/*
 * Producer over Aeron (wire spec §3, §8-11): owns the SHM regions of one stream, writes frames into them and
 * publishes the control plane (ShmPoolAnnounce, DataSourceAnnounce/Meta, QosProducer, FrameDescriptor,
 * FrameProgress, ConsumerConfig) on the client's Aeron streams.
 *
 *     tp_producer_config_t cfg;
 *     tp_producer_config_init(&cfg);
 *     cfg.stream_id = 7; cfg.producer_id = 1;
 *     cfg.pools[0] = (tp_producer_pool_config_t){ .pool_id = 1, .stride_bytes = 1 << 20 }; cfg.pool_count = 1;
 *     tp_producer_t *producer;
 *     if (tp_producer_start(&producer, client, &cfg) < 0) { fprintf(stderr, "%s\n", tp_errmsg()); ... }
 *     for (;;) {
 *         tp_producer_claim_t claim;
 *         if (tp_producer_claim(producer, bytes, &desc, &claim) == TP_PRODUCER_OK) {
 *             fill(claim.payload, bytes);
 *             tp_producer_commit(producer, &claim, &desc, now_ns);
 *         }
 *         int work = tp_producer_poll(producer, 0);  // announces, QoS, hellos, per-consumer streams
 *         work += tp_client_do_work(client);         // invoker mode: the Aeron conductor duty cycle
 *         tp_client_idle(client, work);
 *     }
 *     tp_producer_close(producer);
 *
 * Single-threaded: every call on one producer, including tp_producer_poll() and tp_producer_close(), comes from
 * one thread (see tp_client.h for the client's threading modes).
 *
 * Hot path (offer, claim, commit, abort, progress, the descriptor publish inside commit): no allocation, lock or
 * syscall (opt-in exception: with wake_consumers, a FUTEX_WAKE while a consumer is blocked in tp_consumer_wait); they
 * return tp_producer_status_t values (negative on failure). TP_PRODUCER_NOT_CONNECTED (positive): committed, but nobody
 * subscribes to the descriptor stream yet. Aeron back pressure on a descriptor shows up as TP_PRODUCER_BACK_PRESSURE:
 * the frame is committed in SHM and its shared-stream descriptor is queued and re-offered, in order, by the next commit
 * or poll while the slot is intact (descriptors_queued / _reoffered; one whose slot is reused first is a counted gap,
 * descriptors_dropped_reused). Per-consumer descriptor streams are best effort: a refusal there is counted in
 * sink_refusals.
 */
#ifndef TENSORPOOL_TP_PRODUCER_H
#define TENSORPOOL_TP_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_client.h"
#include "tensorpool/tp_producer_core.h"
#include "tensorpool/tp_tensor.h"

#ifdef __cplusplus
extern "C"
{
#endif

typedef struct tp_producer_stct tp_producer_t;
typedef struct tp_async_add_producer_stct tp_async_add_producer_t;

/* What one producer publishes. Channels, stream ids, cadences, SHM base dir and clock come from the client's
 * context. */
typedef struct tp_producer_config_stct
{
    uint32_t stream_id; /* the tensorpool stream (data source) id, not an Aeron stream id */
    uint32_t producer_id;
    uint32_t layout_version;                                /* default 1 */
    uint32_t header_nslots;                                 /* power of two, default 64 */
    tp_producer_pool_config_t pools[TP_PRODUCER_MAX_POOLS]; /* size classes; stride a power of two, page multiple */
    size_t pool_count;                                      /* default: one pool, id 1, stride 1 MiB */
    char namespace_name[TP_PRODUCER_NAME_MAX];              /* default "tensorpool" */
    char instance_id[TP_PRODUCER_NAME_MAX];                 /* default "producer-<producer_id>" when left empty */
    char source_name[TP_PRODUCER_NAME_MAX];                 /* DataSourceAnnounce name; default "" */
    bool require_hugepages;
    /* Standalone mode: create the optional wake-up word (a file beside the header ring, "wake.futex") and bump it
     * after every committed frame, so consumers blocked in tp_consumer_wait() wake at once (docs/performance.md).
     * Costs an atomic increment per frame, and a system call only while a consumer is blocked. Default false. */
    bool wake_consumers;
    size_t max_consumers; /* tracked consumers (hello senders); default 64 */

    /* Progress policy (used only while some consumer supports progress). Defaults 250 us / 64 KiB with floors
     * 50 us / 4 KiB that consumers' hints cannot go below. */
    uint64_t progress_interval_default_ns;
    uint64_t progress_bytes_default;
    uint64_t progress_interval_floor_ns;
    uint64_t progress_bytes_floor;

    /* Driver mode only (tp_context_set_shm_driver): the producer attaches as PRODUCER with clientId = producer_id
     * and maps the regions the driver grants; header_nslots, pools, namespace, instance and require_hugepages above
     * are then ignored (the driver's lease decides them). Publish mode EXISTING_OR_CREATE unless
     * driver_require_existing. While the lease is not ATTACHED (attaching, revoked, expired, driver gone) claims
     * and offers return TP_PRODUCER_NOT_ATTACHED; after a reattach the producer resumes on the new epoch and its
     * sequence numbers continue; DataSourceMeta is not carried over a reattach (call tp_producer_set_meta() again
     * on the transition to ATTACHED). on_lease_state reports every lease state change (NULL: none). */
    bool driver_require_existing;
    tp_lease_state_fn on_lease_state;
    void *lease_clientd;
} tp_producer_config_t;

typedef struct tp_producer_transport_counters_stct
{
    uint64_t offers_back_pressured; /* aeron_publication_offer returned BACK_PRESSURED / ADMIN_ACTION */
    uint64_t offers_not_connected;  /* no subscriber on the stream (normal before any consumer joins) */
    uint64_t offers_failed;         /* closed publication or other errors */
    uint64_t consumer_publications_opened;
    uint64_t consumer_publications_closed;
    uint64_t fragments_received; /* control / QoS fragments fed to the core */
    tp_lease_counters_t lease;   /* driver mode only */
} tp_producer_transport_counters_t;

void tp_producer_config_init(tp_producer_config_t *config);

/*
 * Begin adding a producer: validates the config and asks Aeron for the shared publications (descriptor,
 * control, QoS, metadata) and subscriptions (control, QoS). config is copied. 0 / -1.
 */
int tp_producer_add_async(tp_async_add_producer_t **async, tp_client_t *client, const tp_producer_config_t *config);

/*
 * Poll an add: 1 and *producer set when the Aeron streams are ready and the SHM regions were created (the
 * async is then freed); 0 while pending; -1 on failure (the async is freed, tp_errmsg() says why). In invoker
 * mode the client must be driven (tp_client_do_work()) between polls.
 */
int tp_producer_add_poll(tp_producer_t **producer, tp_async_add_producer_t *async);

/* Blocking convenience: add_async + poll until ready (driver mode: until attached) or the context's start timeout.
 * 0 / -1. */
int tp_producer_start(tp_producer_t **producer, tp_client_t *client, const tp_producer_config_t *config);

/* Copy a whole frame in (claim + memcpy + commit). Returns a tp_producer_status_t. */
int tp_producer_offer(tp_producer_t *producer, const tp_tensor_desc_t *desc, const void *bytes, uint32_t length,
                      uint64_t timestamp_ns);

/* Zero copy: claim the next slot of the smallest pool whose stride >= length and fill claim->payload. desc may
 * be NULL (then it must be given to commit); with desc the layout is published at once so FrameProgress can
 * be emitted. */
int tp_producer_claim(tp_producer_t *producer, uint32_t length, const tp_tensor_desc_t *desc,
                      tp_producer_claim_t *claim);
/* Report bytes filled so far (throttled FrameProgress). Returns >= 0 (messages sent) or a negative status. */
int tp_producer_progress(tp_producer_t *producer, const tp_producer_claim_t *claim, uint64_t bytes_filled);
/* Commit the claim and publish its FrameDescriptor (stamped with the current meta_version). */
int tp_producer_commit(tp_producer_t *producer, const tp_producer_claim_t *claim, const tp_tensor_desc_t *desc,
                       uint64_t timestamp_ns);
int tp_producer_abort(tp_producer_t *producer, const tp_producer_claim_t *claim);

/* Replace the DataSourceMeta attributes (setup path; bumps meta_version, sent at once and periodically). */
int tp_producer_set_meta(tp_producer_t *producer, const tp_producer_meta_attribute_t *attributes, size_t count);
uint32_t tp_producer_meta_version(const tp_producer_t *producer);

/*
 * Control duty cycle: reads ConsumerHello / QosConsumer from the control and QoS subscriptions (up to
 * fragment_limit fragments each, <= 0 means 10), opens / closes per-consumer publications, sends the periodic
 * messages. Returns the work count, or -1 when the client has closed.
 */
int tp_producer_poll(tp_producer_t *producer, int fragment_limit);

uint64_t tp_producer_epoch(const tp_producer_t *producer);
/* Driver mode: the lease state (TP_LEASE_UNATTACHED in standalone mode). */
tp_lease_state_t tp_producer_lease_state(const tp_producer_t *producer);
uint64_t tp_producer_next_seq(const tp_producer_t *producer);
size_t tp_producer_consumer_count(const tp_producer_t *producer);
/* Per-consumer streams granted to consumer_id (false when it has none or is unknown). */
bool tp_producer_consumer_streams(const tp_producer_t *producer, uint32_t consumer_id, uint32_t *descriptor_stream_id,
                                  uint32_t *control_stream_id);
const tp_producer_counters_t *tp_producer_counters(const tp_producer_t *producer);
const tp_producer_transport_counters_t *tp_producer_transport_counters(const tp_producer_t *producer);
/* Number of per-consumer Aeron publications currently open. */
size_t tp_producer_consumer_publication_count(const tp_producer_t *producer);
const char *tp_producer_header_path(const tp_producer_t *producer);
/* The core, for advanced use (e.g. tp_producer_core_progress_policy()). */
tp_producer_core_t *tp_producer_core(tp_producer_t *producer);

/* Close the Aeron streams and remove the regions (driver mode: unmap, detach and wait briefly for the answer; the
 * files are the driver's). Safe with NULL. */
int tp_producer_close(tp_producer_t *producer);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_PRODUCER_H */
