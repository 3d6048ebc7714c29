/*
 * The driver's system counters: ids 0-39, type 0, key = the i32 system id, allocated before anything else
 * so that id == system id (tools such as AeronStat look them up by id).
 */
#ifndef TENSORPOOL_TP_SYSTEM_COUNTERS_H
#define TENSORPOOL_TP_SYSTEM_COUNTERS_H

#include <stdint.h>

#include "aeron/protocol/tp_counters.h"

typedef enum tp_system_counter_id_en
{
    TP_SYSTEM_COUNTER_BYTES_SENT = 0,
    TP_SYSTEM_COUNTER_BYTES_RECEIVED = 1,
    TP_SYSTEM_COUNTER_CONDUCTOR_PROXY_FAILS = 4,
    TP_SYSTEM_COUNTER_ERRORS = 15,
    TP_SYSTEM_COUNTER_FREE_FAILS = 17,
    TP_SYSTEM_COUNTER_UNBLOCKED_PUBLICATIONS = 19,
    TP_SYSTEM_COUNTER_UNBLOCKED_COMMANDS = 20,
    TP_SYSTEM_COUNTER_CLIENT_TIMEOUTS = 24,
    TP_SYSTEM_COUNTER_CONDUCTOR_MAX_CYCLE_TIME = 26,
    TP_SYSTEM_COUNTER_AERON_VERSION = 34,
    TP_SYSTEM_COUNTER_BYTES_CURRENTLY_MAPPED = 35,
    TP_SYSTEM_COUNTER_COUNT = 40
} tp_system_counter_id_t;

/* The Aeron release whose protocol we speak; reported in the version counter as major<<16 | minor<<8 | patch. */
#define TP_MEDIADRIVER_AERON_VERSION_TEXT  "1.48.0"
#define TP_MEDIADRIVER_AERON_VERSION_VALUE ((1 << 16) | (48 << 8) | 0)

typedef struct tp_system_counters_stct
{
    int64_t *values[TP_SYSTEM_COUNTER_COUNT];
} tp_system_counters_t;

/* Allocates all 40 counters (must be the first allocations). Returns 0 / -1. */
int tp_system_counters_init(tp_system_counters_t *counters, tp_counters_manager_t *manager, int64_t now_ms);

/* Conductor-thread increments: a plain add published with release. */
void tp_system_counter_increment(tp_system_counters_t *counters, tp_system_counter_id_t id);
void tp_system_counter_add(tp_system_counters_t *counters, tp_system_counter_id_t id, int64_t delta);
void tp_system_counter_set(tp_system_counters_t *counters, tp_system_counter_id_t id, int64_t value);

#endif /* TENSORPOOL_TP_SYSTEM_COUNTERS_H */
