/*
 * Idle strategies for agent duty cycles (Aeron/Agrona style).
 *
 * An agent calls tp_idle_strategy_idle() after each duty cycle with the work count it did; with work > 0
 * the strategy resets, otherwise it escalates (spin -> yield -> park) according to its kind.
 */
#ifndef TENSORPOOL_TP_IDLE_STRATEGY_H
#define TENSORPOOL_TP_IDLE_STRATEGY_H

#include <stdint.h>

typedef enum tp_idle_kind_en
{
    TP_IDLE_BUSY_SPIN = 0, /* lowest latency, burns a core */
    TP_IDLE_NOOP = 1,      /* returns at once: the caller owns the loop */
    TP_IDLE_YIELD = 2,     /* sched_yield between empty cycles */
    TP_IDLE_SLEEP = 3,     /* sleep a fixed period between empty cycles */
    TP_IDLE_BACKOFF = 4,   /* spin, then yield, then park with exponential backoff up to a maximum */
} tp_idle_kind_t;

typedef struct tp_idle_strategy_stct
{
    tp_idle_kind_t kind;
    uint64_t max_spins;
    uint64_t max_yields;
    uint64_t min_park_ns;
    uint64_t max_park_ns;
    /* state */
    uint64_t spins;
    uint64_t yields;
    uint64_t park_ns;
} tp_idle_strategy_t;

/* Backoff defaults mirror Agrona's: 10 spins, 5 yields, park 1 us doubling to 1 ms. */
void tp_idle_strategy_init(tp_idle_strategy_t *strategy, tp_idle_kind_t kind);

/* For TP_IDLE_SLEEP the sleep period; for TP_IDLE_BACKOFF the park range. */
void tp_idle_strategy_set_park_ns(tp_idle_strategy_t *strategy, uint64_t min_park_ns, uint64_t max_park_ns);

/* Parses "spin", "noop", "yield", "sleep" or "backoff" (as in AERON_*_IDLE_STRATEGY names). 0 / -1. */
int tp_idle_strategy_parse(const char *name, tp_idle_kind_t *kind);

void tp_idle_strategy_idle(tp_idle_strategy_t *strategy, int work_count);

void tp_idle_strategy_reset(tp_idle_strategy_t *strategy);

#endif /* TENSORPOOL_TP_IDLE_STRATEGY_H */
