/* The per-frame test pattern (see tp_app_pattern.h). */
#include <string.h>

#include "tp_app_pattern.h"

/* An odd constant, so consecutive words differ in every byte position over a frame. */
#define TP_APP_PATTERN_STEP 0x9E3779B97F4A7C15ULL

/* splitmix64's finaliser: frames with neighbouring seqs get unrelated bases. */
static uint64_t pattern_base(uint64_t seq)
{
    uint64_t z = seq + 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void tp_app_pattern_fill(uint8_t *dst, size_t length, uint64_t seq)
{
    const uint64_t base = pattern_base(seq);
    const size_t words = length / 8;
    for (size_t i = 0; i < words; i++)
    {
        uint64_t w = base + (uint64_t)i * TP_APP_PATTERN_STEP;
        memcpy(dst + i * 8, &w, 8);
    }
    const size_t tail = length - words * 8;
    if (tail > 0)
    {
        uint64_t w = base + (uint64_t)words * TP_APP_PATTERN_STEP;
        memcpy(dst + words * 8, &w, tail);
    }
}

bool tp_app_pattern_verify(const uint8_t *src, size_t length, uint64_t seq)
{
    const uint64_t base = pattern_base(seq);
    const size_t words = length / 8;
    uint64_t diff = 0;
    for (size_t i = 0; i < words; i++)
    {
        uint64_t w;
        memcpy(&w, src + i * 8, 8);
        diff |= w ^ (base + (uint64_t)i * TP_APP_PATTERN_STEP);
    }
    const size_t tail = length - words * 8;
    if (tail > 0)
    {
        uint64_t expected = base + (uint64_t)words * TP_APP_PATTERN_STEP;
        uint64_t w = 0;
        uint64_t e = 0;
        memcpy(&w, src + words * 8, tail);
        memcpy(&e, &expected, tail);
        diff |= w ^ e;
    }
    return 0 == diff;
}

uint64_t tp_app_pattern_checksum(const uint8_t *src, size_t length)
{
    const size_t words = length / 8;
    uint64_t sum = 0;
    for (size_t i = 0; i < words; i++)
    {
        uint64_t w;
        memcpy(&w, src + i * 8, 8);
        sum += w;
    }
    const size_t tail = length - words * 8;
    if (tail > 0)
    {
        uint64_t w = 0;
        memcpy(&w, src + words * 8, tail);
        sum += w;
    }
    return sum;
}

uint64_t tp_app_pattern_expected_checksum(size_t length, uint64_t seq)
{
    /* Sum of base + i*K over the whole words in closed form: n*base + K*n(n-1)/2 (mod 2^64). */
    const uint64_t base = pattern_base(seq);
    const uint64_t n = length / 8;
    const uint64_t pairs = (0 == n % 2) ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    uint64_t sum = n * base + TP_APP_PATTERN_STEP * pairs;
    const size_t tail = length - n * 8;
    if (tail > 0)
    {
        uint64_t expected = base + n * TP_APP_PATTERN_STEP;
        uint64_t w = 0;
        memcpy(&w, &expected, tail);
        sum += w;
    }
    return sum;
}
