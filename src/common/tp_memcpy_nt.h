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
 * Frames at least this large are copied by tp_memcpy_publish() with streaming stores. Measured on the bench
 * machine (docs/performance.md): below a few MiB the destination ring is usually cache resident and plain
 * stores win; at 8 MiB frames (a 128 MiB ring of 16 slots) streaming stores are faster.
 */
#define TP_MEMCPY_NT_THRESHOLD (4u << 20)

/* Copy n bytes with streaming stores, then sfence (x86-64); memcpy on other architectures. */
void tp_memcpy_nt(void *dst, const void *src, size_t n);

/* The producer's copy-in: streaming stores from TP_MEMCPY_NT_THRESHOLD bytes on, memcpy below. */
static inline void tp_memcpy_publish(void *dst, const void *src, size_t n)
{
    if (n >= TP_MEMCPY_NT_THRESHOLD)
    {
        tp_memcpy_nt(dst, src, n);
    }
    else
    {
        memcpy(dst, src, n);
    }
}

#endif /* TENSORPOOL_TP_MEMCPY_NT_H */
