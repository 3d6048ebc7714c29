/*
 * SIGBUS guard for regions mapped from files another process owns. A producer or driver (or anyone allowed to
 * write the file) may truncate a region while we have it mapped; touching a page past the new end of the file then
 * raises SIGBUS, which would kill a consumer that did nothing wrong. Checking the size (fstat) at map time and on
 * announces narrows that window but cannot close it, and zero-copy readers touch the pages outside the library.
 *
 * So every foreign mapping is registered here. On a SIGBUS whose fault address lies in a registered mapping the
 * handler replaces that whole mapping, in place, by anonymous zero pages (MAP_FIXED) and returns: the faulting
 * access is retried and reads zeros. A zeroed region fails every check after it (superblock magic 0, seq_commit 0,
 * activity timestamp 0 so the producer looks dead), so the consumer drops what it was reading and unmaps: it fails
 * closed instead of crashing. A SIGBUS anywhere else goes to the previous handler (or the default action).
 * Nothing of this runs on the hot path: registration happens at map / unmap.
 */
#ifndef TENSORPOOL_TP_SHM_SIGBUS_H
#define TENSORPOOL_TP_SHM_SIGBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_SHM_SIGBUS_MAX_MAPPINGS 1024

/* Register [addr, addr + length), installing the handler on first use. 0, or -1 (TP_ERR_LAYOUT: table full;
 * errno from sigaction). */
int tp_shm_sigbus_guard_add(void *addr, size_t length, bool writable);

/* Forget the mapping starting at addr (before munmap). No-op when it is not registered. */
void tp_shm_sigbus_guard_remove(void *addr);

/* SIGBUS faults absorbed so far in this process (each one zeroed a mapping). */
uint64_t tp_shm_sigbus_faults(void);

#endif /* TENSORPOOL_TP_SHM_SIGBUS_H */
