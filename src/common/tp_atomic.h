/*
 * Explicit memory-ordering helpers for words that live in shared memory.
 *
 * Shared-memory words are plain integers in a mapping, not _Atomic objects, so these wrap the
 * compiler's __atomic builtins (GCC and Clang). Every cross-process load or store in the project
 * goes through one of these, so the ordering is always visible at the call site.
 */
#ifndef TENSORPOOL_TP_ATOMIC_H
#define TENSORPOOL_TP_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t tp_load_acquire_u64(const volatile uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void tp_store_release_u64(volatile uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline int64_t tp_load_acquire_i64(const volatile int64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void tp_store_release_i64(volatile int64_t *p, int64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline int32_t tp_load_acquire_i32(const volatile int32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void tp_store_release_i32(volatile int32_t *p, int32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline int64_t tp_load_relaxed_i64(const volatile int64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void tp_store_relaxed_i64(volatile int64_t *p, int64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline int64_t tp_fetch_add_i64(volatile int64_t *p, int64_t delta)
{
    return __atomic_fetch_add(p, delta, __ATOMIC_SEQ_CST);
}

static inline int32_t tp_fetch_add_i32(volatile int32_t *p, int32_t delta)
{
    return __atomic_fetch_add(p, delta, __ATOMIC_SEQ_CST);
}

static inline bool tp_cas_i64(volatile int64_t *p, int64_t expected, int64_t desired)
{
    return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline bool tp_cas_i32(volatile int32_t *p, int32_t expected, int32_t desired)
{
    return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Orders all earlier loads before all later loads and stores (LoadLoad + LoadStore). */
static inline void tp_fence_acquire(void)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* Orders all earlier loads and stores before all later stores (LoadStore + StoreStore). */
static inline void tp_fence_release(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Full fence, including StoreLoad. */
static inline void tp_fence_full(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Tells the core we are spinning (PAUSE on x86), which helps the sibling hyperthread and the exit latency. */
static inline void tp_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

#endif /* TENSORPOOL_TP_ATOMIC_H */
