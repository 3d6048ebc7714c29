/* Alignment and power-of-two helpers shared by the Aeron wire primitives. */
#ifndef TENSORPOOL_TP_BITUTIL_H
#define TENSORPOOL_TP_BITUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_CACHE_LINE_LENGTH 64

/* Alignment must be a power of two; callers keep values small enough not to overflow. */
static inline int64_t tp_align_i64(int64_t value, int64_t alignment)
{
    return (value + (alignment - 1)) & ~(alignment - 1);
}

static inline int32_t tp_align_i32(int32_t value, int32_t alignment)
{
    return (value + (alignment - 1)) & ~(alignment - 1);
}

static inline size_t tp_align_size(size_t value, size_t alignment)
{
    return (value + (alignment - 1)) & ~(alignment - 1);
}

static inline bool tp_is_power_of_two_u64(uint64_t value)
{
    return value > 0 && 0 == (value & (value - 1));
}

/* Number of trailing zero bits; for a power of two this is its base-2 logarithm. */
static inline int tp_trailing_zeros_u64(uint64_t value)
{
    return 0 == value ? 64 : __builtin_ctzll(value);
}

static inline uint64_t tp_next_power_of_two_u64(uint64_t value)
{
    if (value <= 1)
    {
        return 1;
    }
    return 1ULL << (64 - __builtin_clzll(value - 1));
}

#endif /* TENSORPOOL_TP_BITUTIL_H */
