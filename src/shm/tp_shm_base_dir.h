/*
 * The SHM base directory (wire spec §15.21a.3), created when missing. A fresh machine has no
 * /dev/shm/tensorpool: producers and consumers create it (and any missing parents) private, mode 0700
 * (§15.21a.6), instead of failing. Parents may be symlinks (a distribution's /dev/shm can be); the base dir
 * itself must be a real directory, never a symlink, so that what the containment checks canonicalise is what
 * was created.
 */
#ifndef TENSORPOOL_TP_SHM_BASE_DIR_H
#define TENSORPOOL_TP_SHM_BASE_DIR_H

#include <sys/types.h>

/* Private usage (§15.21a.6): only the owner may list or enter the directories created. */
#define TP_SHM_BASE_DIR_MODE 0700

/*
 * mkdir -p of the absolute path dir: each missing component is created with exactly mode (umask ignored). An
 * existing directory is accepted as it is; a non-directory anywhere, or a symlink as the last component, is
 * refused (the last component is opened with O_NOFOLLOW). ".." components are refused. Returns 0, or -1 with
 * TP_ERR_PATH (or the errno of a failed mkdir/open).
 */
int tp_shm_base_dir_ensure(const char *dir, mode_t mode);

/*
 * tp_shm_base_dir_ensure() when nothing exists at dir; an existing entry is left untouched for the caller's own
 * checks (a consumer's allowed dir may be a symlink that its path policy resolves). Returns 0 or -1.
 */
int tp_shm_base_dir_ensure_if_missing(const char *dir, mode_t mode);

#endif /* TENSORPOOL_TP_SHM_BASE_DIR_H */
