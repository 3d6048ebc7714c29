/*
 * The per-slot seqlock of wire spec §8.3 / §15.18 on the 8-byte seq_commit word at slot offset 0.
 *
 *   writer: tp_seqlock_write_begin(w, seq); ...payload + header stores...; tp_seqlock_write_commit(w, seq);
 *   reader: s = tp_seqlock_read_begin(w); ...header/payload loads (copies)...; tp_seqlock_read_end(w, s, seq)
 *
 * Only what the reader copied between begin and end may be trusted, and only when end returns
 * TP_SEQLOCK_OK. All calls are hot-path: no syscalls, no errors set.
 */
#ifndef TENSORPOOL_TP_SEQLOCK_H
#define TENSORPOOL_TP_SEQLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/tp_atomic.h"

/* seq_commit is a little-endian u64 on the wire; a native atomic store only produces that on LE hosts (§15.1). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tensorpool SHM layout requires a little-endian host");

typedef enum tp_seqlock_result_en
{
    TP_SEQLOCK_OK = 0,
    TP_SEQLOCK_IN_PROGRESS = -1, /* commit bit clear: the producer is writing this slot */
    TP_SEQLOCK_CHANGED = -2,     /* the word changed while we read: overwritten under us (drops_late) */
    TP_SEQLOCK_NEWER = -3,       /* stable and committed, but a later frame already reuses the slot (drops_late) */
    TP_SEQLOCK_STALE = -4,       /* stable and committed, but an older frame than expected */
} tp_seqlock_result_t;

static inline volatile uint64_t *tp_seqlock_word(void *slot)
{
    return (volatile uint64_t *)slot;
}

static inline uint64_t tp_seqlock_in_progress_value(uint64_t seq)
{
    return seq << 1;
}

static inline uint64_t tp_seqlock_committed_value(uint64_t seq)
{
    return (seq << 1) | 1u;
}

static inline void tp_seqlock_write_begin(volatile uint64_t *word, uint64_t seq)
{
    tp_store_release_u64(word, tp_seqlock_in_progress_value(seq));
    /* A release store alone lets later payload stores move above it; the fence pins them below. */
    tp_fence_release();
}

static inline void tp_seqlock_write_commit(volatile uint64_t *word, uint64_t seq)
{
    tp_store_release_u64(word, tp_seqlock_committed_value(seq));
}

static inline uint64_t tp_seqlock_read_begin(const volatile uint64_t *word)
{
    return tp_load_acquire_u64(word);
}

/* Classifies a word value that was read once (no stability check). */
static inline tp_seqlock_result_t tp_seqlock_classify(uint64_t value, uint64_t expected_seq)
{
    if (0 == (value & 1u))
    {
        return TP_SEQLOCK_IN_PROGRESS;
    }
    uint64_t seq = value >> 1;
    if (seq == expected_seq)
    {
        return TP_SEQLOCK_OK;
    }
    return seq > expected_seq ? TP_SEQLOCK_NEWER : TP_SEQLOCK_STALE;
}

static inline tp_seqlock_result_t tp_seqlock_read_end(const volatile uint64_t *word, uint64_t first,
                                                      uint64_t expected_seq)
{
    /* Keeps the data loads above from sinking below the re-read of the word. */
    tp_fence_acquire();
    uint64_t second = tp_load_acquire_u64(word);
    if (second != first)
    {
        return TP_SEQLOCK_CHANGED;
    }
    return tp_seqlock_classify(first, expected_seq);
}

#endif /* TENSORPOOL_TP_SEQLOCK_H */
