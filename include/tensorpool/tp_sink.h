/*
 * How the transport-independent producer and consumer cores talk to the outside world.
 *
 * Outgoing SBE messages go through a tp_sink_t: the core names the logical stream (wire spec §5) and the sink
 * maps it onto a transport (Aeron publications later, an in-memory queue in tests). Incoming messages are fed to
 * the cores as byte buffers together with the logical stream they arrived on.
 */
#ifndef TENSORPOOL_TP_SINK_H
#define TENSORPOOL_TP_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_CHANNEL_MAX 256
/* Longest path a public struct holds (Linux PATH_MAX); spelled out so strict -std=c11 users need no feature macro. */
#define TP_PATH_MAX 4096

typedef enum tp_stream_kind_en
{
    TP_STREAM_DESCRIPTOR = 1,          /* shared FrameDescriptor stream */
    TP_STREAM_CONTROL = 2,             /* shared control stream (announce, hello, config, progress) */
    TP_STREAM_QOS = 3,                 /* QosProducer / QosConsumer */
    TP_STREAM_METADATA = 4,            /* DataSourceAnnounce / DataSourceMeta */
    TP_STREAM_CONSUMER_DESCRIPTOR = 5, /* per-consumer descriptor stream (§10.1.3) */
    TP_STREAM_CONSUMER_CONTROL = 6,    /* per-consumer control stream: FrameProgress only */
} tp_stream_kind_t;

/* Where a message goes. channel is NUL-terminated; consumer_id is set for the per-consumer kinds only. */
typedef struct tp_sink_target_stct
{
    tp_stream_kind_t kind;
    uint32_t stream_id;
    const char *channel;
    uint32_t consumer_id;
} tp_sink_target_t;

/*
 * Offer one complete SBE message (message header included). Returns 0 when delivered, a positive value when
 * accepted with nobody subscribed (nothing to lose, reported apart), a negative value when refused (back pressure).
 * The producer core queues a refused shared FrameDescriptor and re-offers it; other refusals are counted.
 */
typedef int (*tp_sink_offer_fn)(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length);

/*
 * Open (open = true) or close a per-consumer stream before it is granted or after it is retired. Returning
 * negative on open declines the request (§10.1.3: empty channel, stream id 0). May be NULL: then every valid
 * request is granted and the transport is expected to open publications lazily on first offer.
 */
typedef int (*tp_sink_stream_fn)(void *clientd, const tp_sink_target_t *target, bool open);

typedef struct tp_sink_stct
{
    tp_sink_offer_fn offer;
    tp_sink_stream_fn stream;
    void *clientd;
} tp_sink_t;

/* Clock in nanoseconds; cores default to CLOCK_MONOTONIC / CLOCK_REALTIME when none is configured. */
typedef uint64_t (*tp_clock_fn)(void *clientd);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_SINK_H */
