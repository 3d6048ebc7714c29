/*
 * The canonical directory layout of wire spec §15.21a.3, for producers:
 *
 *   <base>/<namespace>/<producer_instance_id>/epoch-<E>/header.ring
 *   <base>/<namespace>/<producer_instance_id>/epoch-<E>/payload-<pool_id>.pool
 *
 * Directories are created 0700 (private usage, §15.21a.6). Consumers never derive paths (§15.21a.4): they only
 * use what is announced.
 */
#ifndef TENSORPOOL_TP_SHM_LAYOUT_H
#define TENSORPOOL_TP_SHM_LAYOUT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define TP_SHM_LAYOUT_NAME_MAX 128
#define TP_SHM_LAYOUT_DIR_MODE 0700

typedef struct tp_shm_layout_stct
{
    char base_dir[PATH_MAX];
    char namespace_name[TP_SHM_LAYOUT_NAME_MAX];
    char instance_id[TP_SHM_LAYOUT_NAME_MAX];
    uint64_t epoch;
} tp_shm_layout_t;

/*
 * base_dir must be absolute; namespace and instance id must be single path components made of URI-safe
 * characters (no '/', '?', '|', spaces or control bytes, not "." or ".."). Returns 0 or -1 with TP_ERR_PATH.
 */
int tp_shm_layout_init(tp_shm_layout_t *layout, const char *base_dir, const char *namespace_name,
                       const char *instance_id, uint64_t epoch);

/* Path builders: return 0, or -1 with TP_ERR_PATH when the result does not fit. */
int tp_shm_layout_epoch_dir(const tp_shm_layout_t *layout, char *buf, size_t capacity);
int tp_shm_layout_header_path(const tp_shm_layout_t *layout, char *buf, size_t capacity);
int tp_shm_layout_pool_path(const tp_shm_layout_t *layout, uint16_t pool_id, char *buf, size_t capacity);

/*
 * Create namespace, instance and epoch directories below the existing base dir (mode 0700 for the ones created
 * here). An existing directory is accepted; a symlink or non-directory in its place is not. Returns 0 or -1.
 */
int tp_shm_layout_create_dirs(const tp_shm_layout_t *layout);

/*
 * The epoch a (re)starting producer instance announces: max(highest E of the epoch-<E> directories in
 * instance_dir + 1, realtime_us, 1). Consumers ignore an epoch not above the one they mapped, so a restart must
 * never reuse one: the directories of a crashed run still count, and after a clean close (which removes them)
 * the wall clock in microseconds keeps the sequence increasing across restarts. A missing instance_dir counts
 * as no directories. realtime_us is a parameter so that tests and the SHM driver can supply their own clock.
 */
uint64_t tp_shm_layout_next_epoch(const char *instance_dir, uint64_t realtime_us);

/* Remove the epoch directory, then the instance and namespace directories if they are empty. Returns 0 or -1. */
int tp_shm_layout_remove_dirs(const tp_shm_layout_t *layout);

#endif /* TENSORPOOL_TP_SHM_LAYOUT_H */
