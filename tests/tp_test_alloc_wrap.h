/*
 * Allocation counters for tests linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free: every
 * allocation of the statically linked library goes through these wrappers. Only the thread that set
 * tp_test_alloc_counting is counted. All volatile: the compiler cannot see that malloc/free reach them, so it
 * could otherwise move the test's stores across those calls. Include from exactly one source file of the test
 * executable.
 */
#ifndef TENSORPOOL_TP_TEST_ALLOC_WRAP_H
#define TENSORPOOL_TP_TEST_ALLOC_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

static _Thread_local volatile bool tp_test_alloc_counting;
static volatile uint64_t tp_test_allocations;
static volatile uint64_t tp_test_frees;

void *__wrap_malloc(size_t size)
{
    if (tp_test_alloc_counting)
    {
        tp_test_allocations++;
    }
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (tp_test_alloc_counting)
    {
        tp_test_allocations++;
    }
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    if (tp_test_alloc_counting)
    {
        tp_test_allocations++;
    }
    return __real_realloc(p, size);
}

void __wrap_free(void *p)
{
    if (tp_test_alloc_counting && NULL != p)
    {
        tp_test_frees++;
    }
    __real_free(p);
}

#endif /* TENSORPOOL_TP_TEST_ALLOC_WRAP_H */
