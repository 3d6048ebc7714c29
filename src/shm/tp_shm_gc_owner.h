/*
 * Is the process that wrote a superblock still running? A pid alone is not enough: pids are reused, so the
 * process now holding the pid must also have started no later than the region was created.
 */
#ifndef TENSORPOOL_TP_SHM_GC_OWNER_H
#define TENSORPOOL_TP_SHM_GC_OWNER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum tp_shm_gc_owner_en
{
    TP_SHM_GC_OWNER_ALIVE = 0,   /* pid running, started before the region: the owner (or cannot be ruled out) */
    TP_SHM_GC_OWNER_GONE = 1,    /* no process with that pid */
    TP_SHM_GC_OWNER_REUSED = 2,  /* a process holds the pid but started after the region was created */
    TP_SHM_GC_OWNER_INVALID = 3, /* pid 0 or out of range: no owner can be checked */
} tp_shm_gc_owner_t;

/*
 * start_timestamp_ns is the superblock's (CLOCK_MONOTONIC at creation). Compares with /proc/<pid>/stat
 * starttime (clock ticks since boot, on the boot-time clock that also counts suspend): see tp_shm_gc_owner.c.
 */
tp_shm_gc_owner_t tp_shm_gc_owner_check(uint64_t pid, uint64_t start_timestamp_ns);

const char *tp_shm_gc_owner_name(tp_shm_gc_owner_t state);

#endif /* TENSORPOOL_TP_SHM_GC_OWNER_H */
