/* Helpers shared by the SHM tests: scratch directories under /dev/shm and file-system fixtures. */
#ifndef TENSORPOOL_SHM_TEST_UTIL_H
#define TENSORPOOL_SHM_TEST_UTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/tp_shm_path.h"

static inline int shm_test_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* Scratch dir under /dev/shm (tmpfs, like production), falling back to /tmp. */
static inline int shm_test_make_tmpdir(char *out, size_t capacity, const char *tag)
{
    const char *roots[] = {"/dev/shm", "/tmp"};
    for (size_t i = 0; i < 2; i++)
    {
        snprintf(out, capacity, "%s/tp-test-%s-XXXXXX", roots[i], tag);
        if (NULL != mkdtemp(out))
        {
            return 0;
        }
    }
    return -1;
}

static inline void shm_test_remove_tree(const char *path)
{
    nftw(path, shm_test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int shm_test_write_file(const char *path, const void *data, size_t length)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        return -1;
    }
    ssize_t n = write(fd, data, length);
    close(fd);
    return n == (ssize_t)length ? 0 : -1;
}

static inline int shm_test_make_file(const char *path, size_t length)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        return -1;
    }
    int rc = ftruncate(fd, (off_t)length);
    close(fd);
    return rc;
}

/* root/suffix into out (PATH_MAX bytes); fails the test when it does not fit. */
static inline void shm_test_path(const char *root, char *out, const char *suffix)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", root, suffix);
    if (n < 0 || n >= PATH_MAX)
    {
        fail_msg("scratch path too long");
    }
}

/* A scratch directory and a path policy whose only base dir it is. */
typedef struct shm_test_fixture_stct
{
    char root[PATH_MAX];
    tp_shm_path_policy_t policy;
} shm_test_fixture_t;

/* cmocka setup: a fixture with its scratch dir named after tag, in *state. 0 / -1. */
static inline int shm_test_fixture_setup(void **state, const char *tag)
{
    shm_test_fixture_t *fx = calloc(1, sizeof(*fx));
    if (NULL == fx || shm_test_make_tmpdir(fx->root, sizeof(fx->root), tag) < 0)
    {
        free(fx);
        return -1;
    }
    const char *bases[] = {fx->root};
    if (tp_shm_path_policy_init(&fx->policy, bases, 1) < 0)
    {
        shm_test_remove_tree(fx->root);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

/* cmocka teardown of shm_test_fixture_setup(): the policy closed, the scratch dir removed. */
static inline int shm_test_fixture_teardown(void **state)
{
    shm_test_fixture_t *fx = *state;
    tp_shm_path_policy_close(&fx->policy);
    shm_test_remove_tree(fx->root);
    free(fx);
    return 0;
}

#endif /* TENSORPOOL_SHM_TEST_UTIL_H */
