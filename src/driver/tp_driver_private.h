/* State of the SHM driver agent (tp_driver.c) and its context (tp_driver_context.c). */
#ifndef TENSORPOOL_TP_DRIVER_PRIVATE_H
#define TENSORPOOL_TP_DRIVER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <aeronc.h>

#include "common/tp_idle_strategy.h"
#include "driver/tp_driver_config.h"
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
};

#endif /* TENSORPOOL_TP_DRIVER_PRIVATE_H */
