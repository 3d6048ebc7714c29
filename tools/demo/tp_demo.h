/*
 * tp_demo: one command that runs the whole thing. The parent process runs the embedded media driver (invoker
 * mode, so no thread exists when it forks) and forks a producer and a verifying consumer, so frames really
 * cross a process boundary through the shared-memory pool. With --driver a fourth process runs the SHM driver,
 * which owns the regions and leases them to the producer and the consumer. The three coordinate through a small
 * anonymous MAP_SHARED block (tp_demo_shared_t); the children ignore SIGINT and stop when the parent tells them to.
 */
#ifndef TP_DEMO_H
#define TP_DEMO_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "tp_app_options.h"

#define TP_DEMO_PRODUCER_ID 1
#define TP_DEMO_CONSUMER_ID 2

typedef struct tp_demo_options_stct
{
    uint64_t duration_ns;
    double rate_hz; /* 0 = as fast as possible */
    tp_app_shape_t shape;
    uint32_t frame_bytes;
    uint32_t slots;
    uint32_t stream_id;
    char aeron_dir[PATH_MAX];
    char shm_dir[PATH_MAX];
    char channel[256];
    char idle[16];          /* idle strategy of both ends */
    uint64_t corrupt_every; /* testing: flip a byte in every Nth frame after filling it (0 = never) */
    bool driver;            /* producer and consumer attach through an SHM driver (tp_driver) process */
} tp_demo_options_t;

/* Written by one process, read by the others; every access goes through tp_atomic.h. */
typedef struct tp_demo_shared_stct
{
    volatile int32_t consumer_mapped;    /* consumer -> producer: the regions are mapped, start streaming */
    volatile int32_t producer_streaming; /* producer -> parent: the duration starts now */
    volatile int32_t stop_producer;      /* parent -> producer */
    volatile int32_t stop_consumer;      /* parent -> consumer: drain and report */
    volatile uint64_t frames_committed;  /* producer -> consumer: what the drain waits for */
    volatile uint64_t producer_epoch;    /* producer -> consumer (driver mode): map this epoch before streaming */
    volatile int32_t driver_ready;       /* SHM driver -> parent: serving the control stream */
    volatile int32_t stop_driver;        /* parent -> SHM driver: shut down gracefully */
} tp_demo_shared_t;

/* The children's bodies; each returns the process exit status. */
int tp_demo_producer_run(const tp_demo_options_t *options, tp_demo_shared_t *shared);
int tp_demo_consumer_run(const tp_demo_options_t *options, tp_demo_shared_t *shared);
int tp_demo_driver_run(const tp_demo_options_t *options, tp_demo_shared_t *shared);

/* A client (invoker mode) on the demo's Aeron dir, SHM dir and channel. 0 / -1 (tp_errmsg()). */
struct tp_client_stct;
int tp_demo_client_start(const tp_demo_options_t *options, struct tp_client_stct **client);

/* CLOCK_MONOTONIC in ns: the clock frame timestamps use, comparable across processes. */
uint64_t tp_demo_now_ns(void);
void tp_demo_sleep_ns(uint64_t ns);

#endif /* TP_DEMO_H */
