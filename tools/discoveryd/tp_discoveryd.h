/*
 * The standalone discovery registry (discovery spec v1.0 §8): one provider core (src/discovery) indexing several
 * drivers, fed from each driver's announce and metadata subscriptions (a message's driver is the subscription it
 * came in on), answering DiscoveryRequests from its own endpoint through response publications opened on demand.
 * Single-threaded agent: the program (tp_discoveryd_main.c) and the benchmark drive tp_discoveryd_do_work().
 */
#ifndef TP_DISCOVERYD_H
#define TP_DISCOVERYD_H

#include <stdint.h>

#include "discovery/tp_discovery_provider.h"
#include "tp_discoveryd_config.h"

typedef struct tp_discoveryd_stct tp_discoveryd_t;

typedef struct tp_discoveryd_counters_stct
{
    uint64_t responses_sent;
    uint64_t responses_dropped; /* no usable response endpoint, refused publication, or not connected in time */
} tp_discoveryd_counters_t;

/* Connect to the media driver in config->aeron_dir, add every subscription and wait for them. 0 / -1 (tp_errmsg). */
int tp_discoveryd_start(tp_discoveryd_t **registry, const tp_discoveryd_config_t *config);

/* Poll every subscription, service response publications, expire the index. Returns the work count, -1 on a lost
 * media driver. */
int tp_discoveryd_do_work(tp_discoveryd_t *registry);

const tp_discovery_provider_t *tp_discoveryd_provider(const tp_discoveryd_t *registry);
const tp_discoveryd_counters_t *tp_discoveryd_counters(const tp_discoveryd_t *registry);

int tp_discoveryd_close(tp_discoveryd_t *registry);

#endif /* TP_DISCOVERYD_H */
