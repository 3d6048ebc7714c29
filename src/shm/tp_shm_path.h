/*
 * Path containment for announced SHM regions (wire spec §15.21a.5).
 *
 * The allowed base directories are canonicalised once, when the policy is created. An announced path is then
 * validated (absolute, canonicalised with realpath, contained in a base dir component-wise, a regular file) and
 * only after that opened (O_NOFOLLOW, on the canonical path) and re-validated through the descriptor (regular
 * file, same st_dev/st_ino as validated). Validation and open are separate calls so that a test can swap the
 * file between them; tp_shm_path_open_checked() runs both in one go for normal use.
 */
#ifndef TENSORPOOL_TP_SHM_PATH_H
#define TENSORPOOL_TP_SHM_PATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TP_SHM_PATH_MAX_BASE_DIRS 16

typedef struct tp_shm_path_policy_stct
{
    size_t count;
    char *canonical_dirs[TP_SHM_PATH_MAX_BASE_DIRS];
} tp_shm_path_policy_t;

/* The identity of a validated path, which the opened descriptor must still match. */
typedef struct tp_shm_validated_path_stct
{
    char canonical[PATH_MAX];
    dev_t dev;
    ino_t ino;
    off_t size;
} tp_shm_validated_path_t;

/*
 * Canonicalise each base dir with realpath(); each must exist and be a directory. Returns 0, or -1 with
 * TP_ERR_PATH (policy left empty).
 */
int tp_shm_path_policy_init(tp_shm_path_policy_t *policy, const char *const *base_dirs, size_t count);

void tp_shm_path_policy_close(tp_shm_path_policy_t *policy);

/* True when the canonical path lies strictly below the canonical dir, comparing whole components. */
bool tp_shm_path_is_within(const char *canonical_dir, const char *canonical_path);

/* Steps 1-5 of §15.21a.5: absolute, realpath, containment, regular file. Returns 0 or -1 with TP_ERR_PATH. */
int tp_shm_path_validate(const tp_shm_path_policy_t *policy, const char *announced, tp_shm_validated_path_t *out);

/*
 * Step 6: open the canonical path with O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK (so a FIFO swapped in cannot block us)
 * and re-check through fstat that it is still the same regular file. flags is O_RDONLY or O_RDWR. Returns the
 * descriptor, or -1 with TP_ERR_PATH.
 */
int tp_shm_path_open(const tp_shm_validated_path_t *validated, int flags);

/* Validate then open. Returns the descriptor (validated filled in), or -1 with TP_ERR_PATH. */
int tp_shm_path_open_checked(const tp_shm_path_policy_t *policy, const char *announced, int flags,
                             tp_shm_validated_path_t *validated);

#endif /* TENSORPOOL_TP_SHM_PATH_H */
