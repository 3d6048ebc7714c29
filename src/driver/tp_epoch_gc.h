/*
 * Epoch directory garbage collection (driver model spec §17 policies.epoch_gc_*) for the driver core: thin names over
 * the SHM GC that tp_shm_gc uses too (src/shm/tp_shm_gc.h: one scan, decide and delete implementation). Works on one
 * instance directory <base>/<namespace>/<instance>/ holding epoch-<E>/ directories.
 *
 * Only ever deletes files named header.ring or payload-<n>.pool (regular files, never symlinks) inside epoch-<n>
 * directories (real directories, never symlinks), then the emptied directory. Anything else is left alone, so a
 * directory holding an unknown file stays (and is not counted).
 */
#ifndef TENSORPOOL_TP_EPOCH_GC_H
#define TENSORPOOL_TP_EPOCH_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

/*
 * Keep the newest `keep` epoch directories with an epoch <= current_epoch (the current one included); remove the
 * older ones whose mtime is at least min_age_ns before now_realtime_ns. Directories with an epoch above
 * current_epoch are never touched (UINT64_MAX: consider every epoch). keep = 0 removes every candidate (used at
 * close). *removed (may be NULL) counts removed directories. A missing instance directory is not an error.
 * 0 / -1 (tp_errmsg()).
 */
int tp_epoch_gc_run(const char *instance_dir, uint64_t current_epoch, uint32_t keep, uint64_t min_age_ns,
                    uint64_t now_realtime_ns, size_t *removed);

/* Parse "epoch-<digits>" (no sign, no leading junk, fits uint64, nonzero). */
bool tp_epoch_gc_parse_dir_name(const char *name, uint64_t *epoch);

/* Highest epoch-<E> directory (not symlink) in instance_dir; 0 when none or the directory is missing. */
uint64_t tp_epoch_gc_highest_epoch(const char *instance_dir);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_EPOCH_GC_H */
