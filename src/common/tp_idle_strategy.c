#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "tp_atomic.h"
#include "tp_clock.h"
#include "tp_error_private.h"
#include "tp_idle_strategy.h"

void tp_idle_strategy_init(tp_idle_strategy_t *strategy, tp_idle_kind_t kind)
{
    memset(strategy, 0, sizeof(*strategy));
    strategy->kind = kind;
    strategy->max_spins = 10;
    strategy->max_yields = 5;
    strategy->min_park_ns = 1000;
    strategy->max_park_ns = 1000000;
    strategy->park_ns = strategy->min_park_ns;
}

void tp_idle_strategy_set_park_ns(tp_idle_strategy_t *strategy, uint64_t min_park_ns, uint64_t max_park_ns)
{
    strategy->min_park_ns = min_park_ns;
    strategy->max_park_ns = max_park_ns < min_park_ns ? min_park_ns : max_park_ns;
    strategy->park_ns = strategy->min_park_ns;
}

int tp_idle_strategy_parse(const char *name, tp_idle_kind_t *kind)
{
    static const struct
    {
        const char *name;
        tp_idle_kind_t kind;
    } names[] = {
        {"spin", TP_IDLE_BUSY_SPIN},  {"busy_spin", TP_IDLE_BUSY_SPIN}, {"noop", TP_IDLE_NOOP},
        {"yield", TP_IDLE_YIELD},     {"sleep", TP_IDLE_SLEEP},         {"sleeping", TP_IDLE_SLEEP},
        {"backoff", TP_IDLE_BACKOFF},
    };
    for (size_t i = 0; NULL != name && i < sizeof(names) / sizeof(names[0]); i++)
    {
        if (0 == strcmp(name, names[i].name))
        {
            *kind = names[i].kind;
            return 0;
        }
    }
    TP_SET_ERR(EINVAL, "unknown idle strategy '%s' (expected spin, noop, yield, sleep or backoff)",
               NULL == name ? "(null)" : name);
    return -1;
}

void tp_idle_strategy_reset(tp_idle_strategy_t *strategy)
{
    strategy->spins = 0;
    strategy->yields = 0;
    strategy->park_ns = strategy->min_park_ns;
}

void tp_idle_strategy_idle(tp_idle_strategy_t *strategy, int work_count)
{
    if (work_count > 0)
    {
        if (TP_IDLE_BACKOFF == strategy->kind)
        {
            tp_idle_strategy_reset(strategy);
        }
        return;
    }

    switch (strategy->kind)
    {
        case TP_IDLE_BUSY_SPIN:
            tp_cpu_relax();
            break;
        case TP_IDLE_NOOP:
            break;
        case TP_IDLE_YIELD:
            sched_yield();
            break;
        case TP_IDLE_SLEEP:
            tp_clock_sleep_ns(strategy->max_park_ns);
            break;
        case TP_IDLE_BACKOFF:
            if (strategy->spins < strategy->max_spins)
            {
                strategy->spins++;
                tp_cpu_relax();
            }
            else if (strategy->yields < strategy->max_yields)
            {
                strategy->yields++;
                sched_yield();
            }
            else
            {
                tp_clock_sleep_ns(strategy->park_ns);
                strategy->park_ns =
                    strategy->park_ns * 2 > strategy->max_park_ns ? strategy->max_park_ns : strategy->park_ns * 2;
            }
            break;
    }
}
