/*
 * Populate the page tables of a shared mapping up front, so the first write (or read) of each page on a hot path
 * does not take a minor fault. Used for Aeron log buffers (client and media driver) and SHM regions.
 */
#ifndef TENSORPOOL_TP_PREFAULT_H
#define TENSORPOOL_TP_PREFAULT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Map every page of [addr, addr + length) into this process: writable mappings for write (so a later store takes
 * no write-protect fault either), read-only ones for read. Uses MADV_POPULATE_WRITE / _READ (Linux 5.14); writable
 * mappings are then also touched one byte per page_size (0 = 4096), as read-only ones are when madvise is missing:
 * an atomic add of zero, which changes nothing even while other processes write the same memory, and which makes
 * a hypervisor that backs guest memory lazily do so now rather than on the hot path. Never fails; returns the
 * number of pages touched by hand.
 */
size_t tp_prefault(void *addr, size_t length, size_t page_size, bool writable);

#endif /* TENSORPOOL_TP_PREFAULT_H */
