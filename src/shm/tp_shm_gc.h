/*
 * Garbage collection of SHM region files, shared by the SHM driver's epoch GC (driver model §17 epoch_gc_*) and the
 * tp_shm_gc operator tool: scanning an instance directory <...>/<instance>/epoch-<E>/, deciding what is garbage, and
 * deleting it.
 *
 * Containment (wire spec §15.21a): every directory is opened relative to its parent's descriptor with O_NOFOLLOW,
 * names come from readdir, and only regular files named header.ring or payload-<n>.pool (never symlinks) inside
 * real epoch-<n> directories are ever unlinked, then the emptied directory. An unknown file keeps its directory.
 */
#ifndef TENSORPOOL_TP_SHM_GC_H
#define TENSORPOOL_TP_SHM_GC_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/tp_superblock.h"

typedef struct tp_shm_gc_epoch_stct
{
    uint64_t epoch;
    int64_t mtime_ns; /* the directory's mtime (CLOCK_REALTIME) */
} tp_shm_gc_epoch_t;

/* "epoch-<digits>" (no sign, no leading junk, fits uint64, nonzero). */
bool tp_shm_gc_parse_epoch_dir(const char *name, uint64_t *epoch);
/* header.ring or payload-<digits>.pool: the only names a producer or the driver creates. */
bool tp_shm_gc_is_region_name(const char *name);

/* A readdir stream of its own over an opened directory (rewound); NULL with errno on failure. closedir() it. */
DIR *tp_shm_gc_open_listing(int dir_fd);

/* Real epoch-<E> directories of an opened instance dir, newest first; *out is malloc'd (NULL when none).
 * 0 / -1 (tp_errmsg()). */
int tp_shm_gc_list_epochs(int instance_fd, const char *instance_path, tp_shm_gc_epoch_t **out, size_t *count);
/* Highest epoch-<E> real directory in instance_fd; 0 when none. */
uint64_t tp_shm_gc_newest_epoch(int instance_fd);

/* Called for each regular region-named file of an epoch dir (symlinks and other names are never offered). */
typedef void (*tp_shm_gc_region_fn)(void *clientd, int epoch_fd, const char *name);
/* Visit the region files of an opened epoch dir. 0 / -1 (errno set, directory unreadable). */
int tp_shm_gc_visit_regions(int epoch_fd, tp_shm_gc_region_fn fn, void *clientd);
/* Unlink one region file of epoch_fd after re-checking name and type (no symlink). 0 / -1 (errno). */
int tp_shm_gc_unlink_region(int epoch_fd, const char *name);
/* Unlink the files a producer keeps beside its regions without a superblock of their own (the optional wake-up
 * word, "wake.futex"), but only once no region file is left in epoch_fd: they go with the regions, never before.
 * Returns how many were removed. */
int tp_shm_gc_unlink_sidecars(int epoch_fd);
/* Unlink every region file of epoch-<epoch> in instance_fd, then the directory if that emptied it. Returns 1 when
 * the directory is gone, 0 otherwise. */
int tp_shm_gc_remove_epoch(int instance_fd, uint64_t epoch);

/* Read the superblock of a regular file in dir_fd without following symlinks. 0, or -1 when not a valid region. */
int tp_shm_gc_read_superblock(int dir_fd, const char *name, tp_superblock_t *sb);

typedef enum tp_shm_gc_verdict_en
{
    TP_SHM_GC_KEEP = 0,
    TP_SHM_GC_DEAD = 1,       /* owner gone (pid + start time) and no activity for longer than stale */
    TP_SHM_GC_SUPERSEDED = 2, /* a newer epoch of the instance exists and no activity for longer than stale */
} tp_shm_gc_verdict_t;

/*
 * The rule for one region (its superblock, found in epoch-<epoch> of an instance whose newest epoch is
 * newest_epoch): dead or superseded when its activity timestamp is older than stale_ns before now_mono_ns and its
 * owner is not alive, or a newer epoch exists. reason (may be NULL) receives why.
 */
tp_shm_gc_verdict_t tp_shm_gc_decide_region(const tp_superblock_t *sb, uint64_t epoch, uint64_t newest_epoch,
                                            uint64_t now_mono_ns, uint64_t stale_ns, char *reason, size_t capacity);
const char *tp_shm_gc_verdict_name(tp_shm_gc_verdict_t verdict);

/*
 * The driver's epoch rule: keep the newest `keep` epoch directories with an epoch <= current_epoch; remove older
 * ones whose mtime is at least min_age_ns before now_realtime_ns. Epochs above current_epoch are never touched
 * (UINT64_MAX: consider all). keep = 0 removes every candidate. *removed (may be NULL) counts removed directories.
 * A missing instance directory is not an error. 0 / -1 (tp_errmsg()).
 */
int tp_shm_gc_collect_epochs(const char *instance_dir, uint64_t current_epoch, uint32_t keep, uint64_t min_age_ns,
                             uint64_t now_realtime_ns, size_t *removed);

#endif /* TENSORPOOL_TP_SHM_GC_H */
