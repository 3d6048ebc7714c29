/*
 * Cache-line prefetch hints for the hot paths. tp_prefetch_write asks for the line in exclusive state
 * (PREFETCHW on x86-64, a NOP on CPUs that lack it), so a later store needs no ownership round trip with the
 * core that last read the line; tp_prefetch_read starts a load early. Hints only: never fault, never required.
 */
#ifndef TENSORPOOL_TP_PREFETCH_H
#define TENSORPOOL_TP_PREFETCH_H

static inline void tp_prefetch_write(const void *address)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetchw %0" ::"m"(*(const char *)address));
#else
    __builtin_prefetch(address, 1, 3);
#endif
}

static inline void tp_prefetch_read(const void *address)
{
    __builtin_prefetch(address, 0, 3);
}

#endif /* TENSORPOOL_TP_PREFETCH_H */
