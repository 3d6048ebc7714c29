/*
 * Owner liveness from /proc. The comparison must never call a live owner dead (its regions would be deleted):
 *
 * - /proc/<pid>/stat field 22 (starttime) is the process start in clock ticks on the boot-time clock
 *   (CLOCK_BOOTTIME: it counts time spent suspended), truncated to a tick.
 * - The superblock's start_timestamp_ns is CLOCK_MONOTONIC (does not count suspend). For one instant,
 *   boottime = monotonic + S, S the suspend time so far, and S only grows, so the region's creation on the
 *   boot-time clock is at most start_timestamp_ns + (boottime_now - monotonic_now).
 * - The process is a later one (the pid was reused) only if its start, even rounded down to a tick, is after
 *   that bound. Otherwise it is treated as the owner: a suspend may hide a reuse, never fake one.
 */
#include "shm/tp_shm_gc_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t tp_shm_gc_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Reads starttime (field 22) of /proc/<pid>/stat: 0 ok, 1 no such process, -1 unreadable/unparsable. */
static int tp_shm_gc_owner_read_starttime(uint64_t pid, unsigned long long *ticks)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%llu/stat", (unsigned long long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
    {
        return ENOENT == errno || ESRCH == errno ? 1 : -1;
    }
    char text[1024];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
    {
        return 1; /* exited between open and read */
    }
    text[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(text, ')');
    if (NULL == p)
    {
        return -1;
    }
    p++;
    for (int field = 3; field < 22; field++)
    {
        p = strchr(p + 1, ' ');
        if (NULL == p)
        {
            return -1;
        }
    }
    char *end = NULL;
    errno = 0;
    *ticks = strtoull(p + 1, &end, 10);
    return 0 != errno || end == p + 1 ? -1 : 0;
}

tp_shm_gc_owner_t tp_shm_gc_owner_check(uint64_t pid, uint64_t start_timestamp_ns)
{
    if (0 == pid || pid > (uint64_t)INT32_MAX)
    {
        return TP_SHM_GC_OWNER_INVALID;
    }
    unsigned long long ticks = 0;
    int rc = tp_shm_gc_owner_read_starttime(pid, &ticks);
    if (1 == rc)
    {
        return TP_SHM_GC_OWNER_GONE;
    }
    if (rc < 0)
    {
        return TP_SHM_GC_OWNER_ALIVE; /* exists but cannot be read: not provably gone */
    }
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
    {
        return TP_SHM_GC_OWNER_ALIVE;
    }
    uint64_t process_start_boot_ns = (uint64_t)ticks * (1000000000ULL / (uint64_t)hz);
    uint64_t boot_now = tp_shm_gc_clock_ns(CLOCK_BOOTTIME);
    uint64_t mono_now = tp_shm_gc_clock_ns(CLOCK_MONOTONIC);
    uint64_t suspended = boot_now > mono_now ? boot_now - mono_now : 0;
    uint64_t region_created_boot_bound = start_timestamp_ns + suspended;
    return process_start_boot_ns > region_created_boot_bound ? TP_SHM_GC_OWNER_REUSED : TP_SHM_GC_OWNER_ALIVE;
}

const char *tp_shm_gc_owner_name(tp_shm_gc_owner_t state)
{
    switch (state)
    {
        case TP_SHM_GC_OWNER_ALIVE:
            return "alive";
        case TP_SHM_GC_OWNER_GONE:
            return "gone";
        case TP_SHM_GC_OWNER_REUSED:
            return "pid reused (running process started after the region was created)";
        default:
            return "no valid pid";
    }
}
