/*
 * An optional wake-up word beside the spec's messages: a small file in the producer's epoch directory holding a
 * futex word that the producer bumps after every commit, and a count of consumers blocked on it. A consumer that
 * opts in blocks in the kernel (FUTEX_WAIT on the shared mapping) instead of polling, and the producer makes the
 * FUTEX_WAKE system call only while someone is blocked: peers that do not use the file never see a difference on
 * the wire, and a producer nobody waits on pays one atomic increment and one load per frame.
 *
 * Lost wake-ups are impossible: the waiter registers (waiters++) then rechecks the word, the producer bumps the
 * word then reads waiters, both with sequentially consistent read-modify-writes, and FUTEX_WAIT itself rechecks
 * the word in the kernel. Linux only (elsewhere open fails and consumers fall back to sleeping).
 */
#ifndef TENSORPOOL_TP_WAKE_H
#define TENSORPOOL_TP_WAKE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_WAKE_FILE_NAME "wake.futex"

typedef struct tp_wake_page_stct
{
    volatile uint32_t sequence; /* bumped by the producer after each frame */
    volatile int32_t closed;    /* set by the producer as it goes away (its epoch ends) */
    uint8_t pad0[56];
    volatile int32_t waiters; /* consumers inside tp_wake_wait */
    uint8_t pad1[60];
} tp_wake_page_t;

typedef struct tp_wake_stct
{
    tp_wake_page_t *page;
    size_t length;
    bool owner;
    char path[PATH_MAX];
} tp_wake_t;

/* The wake word's path: TP_WAKE_FILE_NAME in the directory of header_path (the epoch directory). 0 / -1
 * (TP_SET_ERR: no directory in header_path, or no room). */
int tp_wake_path(char *out, size_t capacity, const char *header_path);

/* Producer: create (or truncate) the file at path, mode 0600, and map it. 0 / -1 (TP_SET_ERR). */
int tp_wake_create(tp_wake_t *wake, const char *path);

/* Consumer: map an existing file. 0 / -1 (TP_SET_ERR; ENOENT when the producer did not opt in). */
int tp_wake_open(tp_wake_t *wake, const char *path);

/* Unmap; the creator first marks the word closed and wakes every waiter, then removes the file. Safe on a zeroed
 * or closed tp_wake_t. */
void tp_wake_close(tp_wake_t *wake);

/* True once the creator closed the word: nobody will bump it again (a new epoch has a new file). */
static inline bool tp_wake_is_closed(const tp_wake_t *wake)
{
    return 0 != __atomic_load_n(&wake->page->closed, __ATOMIC_ACQUIRE);
}

static inline bool tp_wake_is_open(const tp_wake_t *wake)
{
    return NULL != wake->page;
}

static inline uint32_t tp_wake_sequence(const tp_wake_t *wake)
{
    return __atomic_load_n(&wake->page->sequence, __ATOMIC_ACQUIRE);
}

/* Producer, after the frame is published: bump the word; the system call only when a consumer is blocked.
 * Returns 1 when it woke someone, else 0. */
int tp_wake_signal(tp_wake_t *wake);

/*
 * Consumer: block until the word differs from seen (a sequence read before the last poll) or timeout_ns has
 * passed. Returns 1 when the word moved (at once if it already had), 0 on timeout or a spurious wake-up.
 */
int tp_wake_wait(tp_wake_t *wake, uint32_t seen, uint64_t timeout_ns);

#endif /* TENSORPOOL_TP_WAKE_H */
