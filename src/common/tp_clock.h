/* Clocks: monotonic nanoseconds for latency and liveness, realtime for epoch timestamps. */
#ifndef TENSORPOOL_TP_CLOCK_H
#define TENSORPOOL_TP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* vDSO-backed: no system call on Linux, so it is safe on the hot path. */
static inline uint64_t tp_clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tp_clock_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline int64_t tp_clock_epoch_ms(void)
{
    return (int64_t)(tp_clock_realtime_ns() / 1000000ULL);
}

#endif /* TENSORPOOL_TP_CLOCK_H */
