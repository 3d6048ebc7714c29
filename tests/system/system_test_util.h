/*
 * System tests of the client API: OUR media driver as a child process (tests/aeron harness) with its own AERON dir
 * under /dev/shm, producers and consumers in forked processes, scratch SHM directories, results passed back through
 * a shared anonymous mapping, and deterministic frames whose payload and header can be verified.
 */
#ifndef TENSORPOOL_SYSTEM_TEST_UTIL_H
#define TENSORPOOL_SYSTEM_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeron_test_harness.h"
#include "tensorpool/tensorpool.h"

#define ST_ROWS_MAX 4096

/*
 * Cleanup that survives a failing assertion: drivers, children and scratch dirs are tracked, and st_cleanup (the
 * cmocka group teardown of every system test) kills what is still running and removes what is left.
 */
int st_driver_start(tp_test_driver_t *driver);
void st_driver_stop(tp_test_driver_t *driver);
pid_t st_spawn(int (*fn)(void *), void *arg);
int st_wait(pid_t pid, int64_t timeout_ms);
int st_cleanup(void **state);

/* Scratch directory /dev/shm/tp-system-<pid>-<n>, created empty and tracked for cleanup. */
void st_scratch_dir(char *out, size_t capacity);
void st_remove_tree(const char *path);

/* Shared between the test process and its forked children (MAP_SHARED | MAP_ANONYMOUS, zeroed). */
void *st_shared_alloc(size_t length);
void st_shared_free(void *p, size_t length);

/* Context on the driver's dir and the scratch SHM dir, with 100 ms cadences so tests converge quickly. */
tp_context_t *st_context(const char *aeron_dir, const char *shm_dir, tp_client_mode_t mode);
/* Client from st_context; aborts the process with the reason when it cannot connect. */
tp_client_t *st_client(const char *aeron_dir, const char *shm_dir, tp_client_mode_t mode);

/* A consumer of stream_id in a child process; NULL after printing "consumer: <reason>" to stderr. */
tp_consumer_t *st_consumer_start(tp_client_t *client, uint32_t stream_id, uint32_t consumer_id);

/* The end of a one-producer, one-consumer test: both closed, the client closed, the driver stopped and the scratch
 * SHM dir removed. */
void st_world_close(tp_client_t *client, tp_producer_t *producer, tp_consumer_t *consumer, tp_test_driver_t *driver,
                    const char *shm_dir);

/* Frame seq is a rows x 64 uint16 tensor (rows = 1 + seq % 7 * 8) whose elements derive from seq. */
uint32_t st_frame_rows(uint64_t seq);
uint32_t st_frame_length(uint64_t seq);
void st_frame_desc(uint64_t seq, tp_tensor_desc_t *desc);
void st_frame_fill(uint8_t *payload, uint64_t seq);
uint64_t st_frame_timestamp(uint64_t seq);
/* True when payload, shape, dtype, strides and timestamp match frame seq. */
bool st_frame_check(const tp_consumer_frame_t *frame);

/* Frames that passed st_frame_check and were intact after the read, and the rest. */
typedef struct st_frame_counts_stct
{
    uint64_t verified;
    uint64_t bad;
} st_frame_counts_t;

/* Frame handler counting into the st_frame_counts_t given as clientd. */
void st_frame_count(void *clientd, const tp_consumer_frame_t *frame);

/* Run the client duty cycle and the given poll until done(arg) or the deadline. Returns done(arg). */
typedef bool (*st_done_fn)(void *arg);
bool st_poll_producer_until(tp_client_t *client, tp_producer_t *producer, st_done_fn done, void *arg,
                            int64_t timeout_ms);
bool st_poll_consumer_until(tp_client_t *client, tp_consumer_t *consumer, tp_consumer_frame_handler_t on_frame,
                            void *clientd, st_done_fn done, void *arg, int64_t timeout_ms);

/* Poll both for a while (ms), ignoring frames delivered by the consumer unless on_frame is given. */
void st_pump(tp_client_t *client, tp_producer_t *producer, tp_consumer_t *consumer,
             tp_consumer_frame_handler_t on_frame, void *clientd, int64_t duration_ms);

/* Log callback that prints to stderr with a prefix (clientd = const char * prefix) when TP_TEST_VERBOSE is set. */
void st_log(void *clientd, tp_log_level_t level, const char *text);

#endif /* TENSORPOOL_SYSTEM_TEST_UTIL_H */
