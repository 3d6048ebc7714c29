#include <stdint.h>
#include <string.h>

#include "tp_memcpy_nt.h"

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>

void tp_memcpy_nt(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    /* Head: plain stores up to the first 64-byte boundary, so every streaming store fills whole lines. */
    size_t head = (size_t)(-(uintptr_t)d & 63u);
    if (head > n)
    {
        head = n;
    }
    memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    for (; n >= 64; n -= 64, d += 64, s += 64)
    {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + 32));
        __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(s + 48));
        _mm_stream_si128((__m128i *)(void *)d, a);
        _mm_stream_si128((__m128i *)(void *)(d + 16), b);
        _mm_stream_si128((__m128i *)(void *)(d + 32), c);
        _mm_stream_si128((__m128i *)(void *)(d + 48), e);
    }
    memcpy(d, s, n);
    /* Streaming stores are weakly ordered: drain them before the caller's release store publishes the data. */
    _mm_sfence();
}

#else

void tp_memcpy_nt(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}

#endif
