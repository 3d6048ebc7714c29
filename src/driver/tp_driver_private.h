/* State of the SHM driver agent (tp_driver.c) and its context (tp_driver_context.c). */
#ifndef TENSORPOOL_TP_DRIVER_PRIVATE_H
#define TENSORPOOL_TP_DRIVER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <aeronc.h>

#include "common/tp_idle_strategy.h"
#include "driver/tp_driver_config.h"
#include "discovery/tp_discovery_provider.h"
#include "discovery/tp_discovery_responder.h"
#include "driver/tp_driver_core.h"
#include "tensorpool/tp_driver.h"
#include "tensorpool/tp_mediadriver.h"

struct tp_driver_context_stct
{
    tp_driver_config_t config;
    bool loaded;

    /* Overrides that survive a later load (command-line flags). */
    bool aeron_dir_set;
    char aeron_dir[TP_PATH_MAX];
    bool embedded_set;
    bool embedded;
    bool idle_set;
    char idle[32];

    tp_driver_threading_mode_t mode;
    tp_log_fn log;
    void *log_clientd;
    tp_log_level_t log_level;
};

typedef struct tp_driver_offer_counters_stct
{
    uint64_t back_pressured;
    uint64_t not_connected;
    uint64_t failed;
} tp_driver_offer_counters_t;

/* Response publications of the embedded discovery provider (tp_driver_discovery.c). */
#define TP_DRIVER_DISCOVERY_PUBLICATIONS 8
#define TP_DRIVER_DISCOVERY_INPUTS       3 /* announce, discovery, metadata streams beside the control stream */

typedef struct tp_driver_discovery_stct
{
    tp_discovery_provider_t *provider; /* NULL when discovery.enabled = false */
    uint32_t max_results;              /* per response: a worst-case response fits one Aeron message */
    aeron_subscription_t *subscriptions[TP_DRIVER_DISCOVERY_INPUTS];
    aeron_fragment_assembler_t *assemblers[TP_DRIVER_DISCOVERY_INPUTS];
    uint32_t subscription_stream_ids[TP_DRIVER_DISCOVERY_INPUTS];
    size_t subscription_count;
    tp_discovery_responder_t *responder;
} tp_driver_discovery_t;

struct tp_driver_stct
{
    tp_driver_context_t ctx;
    tp_mediadriver_t *mediadriver;
    aeron_context_t *aeron_ctx;
    aeron_t *aeron;
    aeron_subscription_t *control_subscription;
    aeron_fragment_assembler_t *assembler;
    aeron_publication_t *control_publication;
    aeron_publication_t *announce_publication; /* == control_publication when both streams are the same */
    tp_driver_core_t *core;
    tp_idle_strategy_t idle;
    tp_driver_offer_counters_t offers;

    pthread_t thread;
    bool thread_started;
    atomic_bool running;
    atomic_bool shutdown_requested;
    atomic_bool terminated;
    atomic_bool failed; /* the Aeron client closed under us */
    bool shutdown_begun;
    tp_driver_discovery_t discovery;
};

/* tp_driver.c: add a subscription, driving the Aeron conductor until it is ready (setup only). 0 / -1. */
int tp_driver_await_subscription(tp_driver_t *driver, const char *channel, uint32_t stream_id,
                                 aeron_subscription_t **subscription);

/* tp_driver_discovery.c: the embedded Discovery Provider (no-op when discovery.enabled = false). */
int tp_driver_discovery_start(tp_driver_t *driver);
void tp_driver_discovery_on_message(tp_driver_t *driver, const uint8_t *buffer, size_t length);
int tp_driver_discovery_do_work(tp_driver_t *driver, uint64_t now_ns);
void tp_driver_discovery_close(tp_driver_t *driver);

#endif /* TENSORPOOL_TP_DRIVER_PRIVATE_H */
