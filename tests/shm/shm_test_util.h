/* Helpers shared by the SHM tests: scratch directories under /dev/shm and file-system fixtures. */
#ifndef TENSORPOOL_SHM_TEST_UTIL_H
#define TENSORPOOL_SHM_TEST_UTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#endif /* TENSORPOOL_SHM_TEST_UTIL_H */
