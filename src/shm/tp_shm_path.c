#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "shm/tp_shm_path.h"

static const char *tp_shm_path_file_type(mode_t mode)
{
    if (S_ISREG(mode))
    {
        return "regular file";
    }
    if (S_ISDIR(mode))
    {
        return "directory";
    }
    if (S_ISCHR(mode))
    {
        return "character device";
    }
    if (S_ISBLK(mode))
    {
        return "block device";
    }
    if (S_ISFIFO(mode))
    {
        return "FIFO";
    }
    if (S_ISSOCK(mode))
    {
        return "socket";
    }
    if (S_ISLNK(mode))
    {
        return "symbolic link";
    }
    return "unknown file type";
}

void tp_shm_path_policy_close(tp_shm_path_policy_t *policy)
{
    for (size_t i = 0; i < policy->count; i++)
    {
        free(policy->canonical_dirs[i]);
        policy->canonical_dirs[i] = NULL;
    }
    policy->count = 0;
}

int tp_shm_path_policy_init(tp_shm_path_policy_t *policy, const char *const *base_dirs, size_t count)
{
    memset(policy, 0, sizeof(*policy));
    if (count > TP_SHM_PATH_MAX_BASE_DIRS)
    {
        TP_SET_ERR(TP_ERR_PATH, "%zu allowed base dirs given, at most %d supported", count, TP_SHM_PATH_MAX_BASE_DIRS);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
    {
        const char *dir = base_dirs[i];
        if (NULL == dir || '/' != dir[0])
        {
            TP_SET_ERR(TP_ERR_PATH, "allowed base dir '%s' is not an absolute path", NULL == dir ? "(null)" : dir);
            tp_shm_path_policy_close(policy);
            return -1;
        }
        char *canonical = realpath(dir, NULL);
        if (NULL == canonical)
        {
            int err = errno;
            TP_SET_ERR(TP_ERR_PATH, "allowed base dir '%s' cannot be resolved: %s", dir, strerror(err));
            tp_shm_path_policy_close(policy);
            return -1;
        }
        struct stat st;
        if (stat(canonical, &st) < 0 || !S_ISDIR(st.st_mode))
        {
            TP_SET_ERR(TP_ERR_PATH, "allowed base dir '%s' (canonical '%s') is not a directory", dir, canonical);
            free(canonical);
            tp_shm_path_policy_close(policy);
            return -1;
        }
        policy->canonical_dirs[policy->count++] = canonical;
    }
    return 0;
}

bool tp_shm_path_is_within(const char *canonical_dir, const char *canonical_path)
{
    size_t dir_len = strlen(canonical_dir);
    /* "/" is the one canonical dir that ends in a slash: everything absolute below it is inside. */
    if (1 == dir_len && '/' == canonical_dir[0])
    {
        return '/' == canonical_path[0] && '\0' != canonical_path[1];
    }
    /* A plain prefix test would let "/dev/shm/ab" pass for "/dev/shm/a": the next byte must start a component. */
    return 0 == strncmp(canonical_dir, canonical_path, dir_len) && '/' == canonical_path[dir_len] &&
           '\0' != canonical_path[dir_len + 1];
}

int tp_shm_path_validate(const tp_shm_path_policy_t *policy, const char *announced, tp_shm_validated_path_t *out)
{
    memset(out, 0, sizeof(*out));
    if (NULL == announced || '/' != announced[0])
    {
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: not an absolute path",
                   NULL == announced ? "(null)" : announced);
        return -1;
    }
    if (NULL == realpath(announced, out->canonical))
    {
        int err = errno;
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: cannot resolve it: %s", announced, strerror(err));
        out->canonical[0] = '\0';
        return -1;
    }

    bool contained = false;
    for (size_t i = 0; i < policy->count && !contained; i++)
    {
        contained = tp_shm_path_is_within(policy->canonical_dirs[i], out->canonical);
    }
    if (!contained)
    {
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' (canonical '%s') rejected: outside the %zu allowed base dir(s)%s%s",
                   announced, out->canonical, policy->count, policy->count > 0 ? ", first: " : "",
                   policy->count > 0 ? policy->canonical_dirs[0] : "");
        return -1;
    }

    struct stat st;
    if (stat(out->canonical, &st) < 0)
    {
        int err = errno;
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: stat failed: %s", out->canonical, strerror(err));
        return -1;
    }
    /* Regular files only: hugetlbfs files are regular too; devices, FIFOs, sockets and directories are not. */
    if (!S_ISREG(st.st_mode))
    {
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: it is a %s, not a regular file", out->canonical,
                   tp_shm_path_file_type(st.st_mode));
        return -1;
    }
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    return 0;
}

int tp_shm_path_open(const tp_shm_validated_path_t *validated, int flags)
{
    /* O_NOFOLLOW refuses a symlink swapped in as the last component; a swapped parent dir is caught by the
     * identity check below because it resolves to another inode. */
    int fd = open(validated->canonical, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
    {
        int err = errno;
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: open failed%s: %s", validated->canonical,
                   ELOOP == err ? " (it is now a symbolic link)" : "", strerror(err));
        return -1;
    }

    struct stat st;
    if (fstat(fd, &st) < 0)
    {
        int err = errno;
        close(fd);
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: fstat failed: %s", validated->canonical, strerror(err));
        return -1;
    }
    if (!S_ISREG(st.st_mode))
    {
        close(fd);
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' rejected: opened object is a %s, not a regular file",
                   validated->canonical, tp_shm_path_file_type(st.st_mode));
        return -1;
    }
    if (st.st_dev != validated->dev || st.st_ino != validated->ino)
    {
        close(fd);
        TP_SET_ERR(TP_ERR_PATH,
                   "region path '%s' rejected: file was replaced after validation (dev/ino %ju/%ju, validated %ju/%ju)",
                   validated->canonical, (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (uintmax_t)validated->dev,
                   (uintmax_t)validated->ino);
        return -1;
    }

    /* O_NONBLOCK was only a guard for the open itself. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
    {
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    return fd;
}

int tp_shm_path_open_checked(const tp_shm_path_policy_t *policy, const char *announced, int flags,
                             tp_shm_validated_path_t *validated)
{
    if (tp_shm_path_validate(policy, announced, validated) < 0)
    {
        return -1;
    }
    return tp_shm_path_open(validated, flags);
}
