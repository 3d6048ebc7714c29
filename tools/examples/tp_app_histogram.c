/* Log-linear latency histogram (see tp_app_histogram.h). */
#include <string.h>

#include "tp_app_histogram.h"

#define SUB_COUNT (1u << TP_APP_HISTOGRAM_SUB_BITS)
#define LINEAR    (2u * SUB_COUNT) /* values below this get a bucket each */

static unsigned histogram_index(uint64_t value)
{
    if (value < LINEAR)
    {
        return (unsigned)value;
    }
    unsigned exponent = 63u - (unsigned)__builtin_clzll(value); /* >= SUB_BITS + 1 */
    unsigned sub = (unsigned)(value >> (exponent - TP_APP_HISTOGRAM_SUB_BITS)) & (SUB_COUNT - 1);
    unsigned index = LINEAR + (exponent - TP_APP_HISTOGRAM_SUB_BITS - 1) * SUB_COUNT + sub;
    return index < TP_APP_HISTOGRAM_BUCKETS ? index : TP_APP_HISTOGRAM_BUCKETS - 1;
}

static uint64_t histogram_value(unsigned index)
{
    if (index < LINEAR)
    {
        return index;
    }
    unsigned exponent = (index - LINEAR) / SUB_COUNT + TP_APP_HISTOGRAM_SUB_BITS + 1;
    uint64_t sub = (index - LINEAR) % SUB_COUNT;
    uint64_t width = 1ULL << (exponent - TP_APP_HISTOGRAM_SUB_BITS);
    return (1ULL << exponent) + sub * width + width / 2;
}

void tp_app_histogram_reset(tp_app_histogram_t *histogram)
{
    memset(histogram, 0, sizeof(*histogram));
}

void tp_app_histogram_record(tp_app_histogram_t *histogram, uint64_t value)
{
    histogram->buckets[histogram_index(value)]++;
    histogram->count++;
    if (value > histogram->max)
    {
        histogram->max = value;
    }
}

void tp_app_histogram_merge(tp_app_histogram_t *into, const tp_app_histogram_t *from)
{
    for (unsigned i = 0; i < TP_APP_HISTOGRAM_BUCKETS; i++)
    {
        into->buckets[i] += from->buckets[i];
    }
    into->count += from->count;
    if (from->max > into->max)
    {
        into->max = from->max;
    }
}

uint64_t tp_app_histogram_percentile(const tp_app_histogram_t *histogram, double q)
{
    if (0 == histogram->count)
    {
        return 0;
    }
    if (q >= 1.0)
    {
        return histogram->max;
    }
    /* The rank of the sample at q, 1-based, rounded up so p50 of {a, b} is a. */
    uint64_t rank = (uint64_t)(q * (double)histogram->count);
    if ((double)rank < q * (double)histogram->count || 0 == rank)
    {
        rank++;
    }
    uint64_t seen = 0;
    for (unsigned i = 0; i < TP_APP_HISTOGRAM_BUCKETS; i++)
    {
        seen += histogram->buckets[i];
        if (seen >= rank)
        {
            uint64_t v = histogram_value(i);
            return v < histogram->max ? v : histogram->max;
        }
    }
    return histogram->max;
}
