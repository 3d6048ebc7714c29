/*
 * Helpers the benchmarks share: clocks, sorted-sample percentiles, CPU time, CPU pinning, child processes (a
 * forked tp_mediadriver, or an exec'd program logging to a file) and scratch-directory removal. Benchmarks only:
 * these print and exit on failures a benchmark cannot go on from.
 */
#ifndef TP_BENCH_UTIL_H
#define TP_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tensorpool/tensorpool.h"

/* CLOCK_MONOTONIC in ns, and a sleep of ns. */
uint64_t bench_now_ns(void);
void bench_sleep_ns(uint64_t ns);

/* qsort comparator for uint64_t. */
int bench_compare_u64(const void *a, const void *b);

/* Sample at rank floor(q * n) of sorted[0..n) (n > 0), in the samples' unit. */
double bench_percentile(const uint64_t *sorted, size_t n, double q);

/* Sample at rank round(q * (n - 1)) of sorted ns samples (n > 0), in us: q = 1 is the maximum. */
double bench_percentile_us(const uint64_t *sorted, size_t n, double q);

/* User + system CPU time of this process, in ns (getrusage). */
uint64_t bench_cpu_time_ns(void);

/* utime + stime of another process in ns, from /proc/<pid>/stat; 0 when it cannot be read. */
uint64_t bench_process_cpu_ns(pid_t pid);

/* Pin the calling thread to cpu, unless pin is false or there is only one CPU online. */
void bench_pin_to(int cpu, bool pin);

/*
 * Fork a child running tensorpool's media driver on aeron_dir (invoker mode, backoff idle, directory deleted on
 * shutdown, 1 MiB IPC terms unless AERON_IPC_TERM_BUFFER_LENGTH says otherwise) until it gets SIGTERM, and die
 * with the parent. name prefixes its error message. Exits when fork fails.
 */
pid_t bench_mediadriver_fork(const char *aeron_dir, const char *name);

/* Fork and exec argv[0] with env entries added (NULL-terminated, may be NULL) and stderr to the file log; the
 * child dies with the parent. */
pid_t bench_spawn(const char *const *argv, const char *const *env, const char *log);

/* SIGINT a child started by bench_spawn and reap it; *pid = 0. A no-op when *pid <= 0. */
void bench_stop(pid_t *pid);

/* Start a producer of one payload pool (pool 1 of stride bytes, slots header slots, producer id = stream id).
 * NULL with tp_errmsg() set on failure. */
tp_producer_t *bench_producer_start(tp_client_t *client, uint32_t stream_id, uint32_t stride, uint32_t slots,
                                    bool require_hugepages);

/* A 1-D tensor of size uint8 elements, row major: the frames every benchmark sends. */
tp_tensor_desc_t bench_desc_bytes(uint32_t size);

/* The first line of /proc/loadavg with its newline into text ("?\n" when unreadable). */
void bench_load_average(char *text, size_t capacity);

/* Remove dir and everything below it, going on past failures. 0, or -1 when anything could not be removed. */
int bench_remove_tree(const char *dir);

#endif /* TP_BENCH_UTIL_H */
