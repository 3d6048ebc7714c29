/*
 * A fixed-size latency histogram (log-linear buckets, about 3% resolution, values up to ~2^47 ns): recording
 * is a few instructions and never allocates, so it can sit on a consumer's hot path.
 */
#ifndef TP_APP_HISTOGRAM_H
#define TP_APP_HISTOGRAM_H

#include <stdint.h>

#define TP_APP_HISTOGRAM_SUB_BITS 5
#define TP_APP_HISTOGRAM_BUCKETS  (64 + 42 * 32)

typedef struct tp_app_histogram_stct
{
    uint64_t count;
    uint64_t max;
    uint64_t buckets[TP_APP_HISTOGRAM_BUCKETS];
} tp_app_histogram_t;

void tp_app_histogram_reset(tp_app_histogram_t *histogram);
void tp_app_histogram_record(tp_app_histogram_t *histogram, uint64_t value);
/* Add every sample of from into into. */
void tp_app_histogram_merge(tp_app_histogram_t *into, const tp_app_histogram_t *from);
/* The value at quantile q in [0, 1] (the middle of its bucket; the maximum for q = 1); 0 when empty. */
uint64_t tp_app_histogram_percentile(const tp_app_histogram_t *histogram, double q);

#endif /* TP_APP_HISTOGRAM_H */
