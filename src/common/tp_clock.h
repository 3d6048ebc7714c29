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

/* Sleep for ns nanoseconds (an interrupted sleep just ends early: callers loop on their own conditions). */
static inline void tp_clock_sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
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
