/*
 * SIGBUS guard for regions mapped from files another process owns. A producer or driver (or anyone allowed to
 * write the file) may truncate a region while we have it mapped; touching a page past the new end of the file then
 * raises SIGBUS, which would kill a consumer that did nothing wrong. Checking the size (fstat) at map time and on
 * announces narrows that window but cannot close it, and zero-copy readers touch the pages outside the library.
 *
 * So every foreign mapping is registered here, with a group: the regions of one epoch (header ring and pools, one
 * directory). On a SIGBUS whose fault address lies in a registered mapping the handler replaces every mapping of
 * that group, in place, by anonymous zero pages (MAP_FIXED) and returns: the faulting access is retried and reads
 * zeros. Zeroing the header ring with the pool matters: a consumer reading a frame's payload re-checks the frame's
 * seq_commit in the header ring afterwards (tp_consumer_frame_is_intact), which now reads 0, so the zeroed payload
 * is discarded as overwritten instead of being handed out as intact. A zeroed region then fails every check
 * (superblock magic 0, seq_commit 0, activity timestamp 0 so the producer looks dead) and the consumer unmaps: it
 * fails closed instead of crashing. A SIGBUS anywhere else goes to the previous handler (or the default action).
 * Nothing of this runs on the hot path: registration happens at map / unmap.
 */
#ifndef TENSORPOOL_TP_SHM_SIGBUS_H
#define TENSORPOOL_TP_SHM_SIGBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_SHM_SIGBUS_MAX_MAPPINGS 1024

/* Register [addr, addr + length) in group (any value; tp_shm_sigbus_group() of the region's directory), installing
 * the handler on first use. 0, or -1 (TP_ERR_LAYOUT: table full; errno from sigaction). */
int tp_shm_sigbus_guard_add(void *addr, size_t length, bool writable, uint64_t group);

/* The group of a region file: a hash of its directory (everything before the last '/'). */
uint64_t tp_shm_sigbus_group(const char *path);

/* Forget the mapping starting at addr (before munmap). No-op when it is not registered. */
void tp_shm_sigbus_guard_remove(void *addr);

/* SIGBUS faults absorbed so far in this process (each one zeroed a mapping). */
uint64_t tp_shm_sigbus_faults(void);

#endif /* TENSORPOOL_TP_SHM_SIGBUS_H */
