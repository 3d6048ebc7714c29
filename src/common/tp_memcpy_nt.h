/*
 * Copies with non-temporal (streaming) stores, for frames too large to stay in the cache: the destination
 * lines are written straight to memory instead of being read in first (no read-for-ownership) and without
 * evicting the working set of the writer. On x86-64 (SSE2 streaming stores, always available there) the copy
 * ends with an sfence, so a release store that follows (the seqlock commit) is ordered after every byte: NT
 * stores are weakly ordered and a plain release store does not order them. Elsewhere it is memcpy.
 */
#ifndef TENSORPOOL_TP_MEMCPY_NT_H
#define TENSORPOOL_TP_MEMCPY_NT_H

#include <stddef.h>
#include <string.h>

/*
 * When streaming stores win (measured, docs/performance.md): the destination cannot stay in the cache anyway,
 * i.e. the ring the frame goes into (stride x slots) is larger than a last-level cache share, and the frame is
 * large enough that the sfence and the head / tail handling are noise. A cache-resident ring (e.g. 2 slots of
 * 8 MiB) is much faster with plain stores: there NT stores would push to DRAM what the consumer reads next.
 */
#define TP_MEMCPY_NT_MIN_FRAME ((size_t)1 << 20)
#define TP_MEMCPY_NT_MIN_RING  ((size_t)64 << 20)

/* Copy n bytes with streaming stores, then sfence (x86-64); memcpy on other architectures. */
void tp_memcpy_nt(void *dst, const void *src, size_t n);

/* The producer's copy-in of a frame into a ring of ring_bytes: streaming stores when both thresholds are met. */
static inline void tp_memcpy_publish(void *dst, const void *src, size_t n, size_t ring_bytes)
{
    if (n >= TP_MEMCPY_NT_MIN_FRAME && ring_bytes >= TP_MEMCPY_NT_MIN_RING)
    {
        tp_memcpy_nt(dst, src, n);
    }
    else
    {
        memcpy(dst, src, n);
    }
}

#endif /* TENSORPOOL_TP_MEMCPY_NT_H */
