#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "shm/tp_shm_base_dir.h"

/*
 * Make (or keep) component name below the open directory parent and return a descriptor of it. Walking by
 * descriptors means a component swapped for a symlink between mkdir and open is caught by O_NOFOLLOW (last)
 * or at worst resolved once (parents), and the mode is set on what was opened, not on a path.
 */
static int tp_shm_base_dir_step(int parent, const char *name, const char *path, mode_t mode, bool last)
{
    bool created = false;
    if (0 == mkdirat(parent, name, mode))
    {
        created = true;
    }
    else if (EEXIST != errno)
    {
        TP_SET_ERR_ERRNO("mkdir %s", path);
        return -1;
    }
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (last ? O_NOFOLLOW : 0);
    int fd = openat(parent, name, flags);
    if (fd < 0)
    {
        if (ELOOP == errno || ENOTDIR == errno)
        {
            TP_SET_ERR(TP_ERR_PATH, "shm base dir component %s is not a directory%s", path,
                       last ? " (a symlink is not followed here)" : "");
        }
        else
        {
            TP_SET_ERR_ERRNO("open %s", path);
        }
        return -1;
    }
    /* mkdir applies the umask: set the mode exactly on the directories made here, and only on those. */
    if (created && fchmod(fd, mode) < 0)
    {
        TP_SET_ERR_ERRNO("chmod %04o %s", (unsigned)mode, path);
        close(fd);
        return -1;
    }
    return fd;
}

/* True when a component of path is "..": refused before anything is created. */
static bool tp_shm_base_dir_has_dotdot(const char *path)
{
    for (const char *p = strstr(path, ".."); NULL != p; p = strstr(p + 1, ".."))
    {
        if ('/' == p[-1] && ('/' == p[2] || '\0' == p[2]))
        {
            return true;
        }
    }
    return false;
}

int tp_shm_base_dir_ensure(const char *dir, mode_t mode)
{
    if (NULL == dir || '/' != dir[0])
    {
        TP_SET_ERR(TP_ERR_PATH, "shm base dir '%s' is not an absolute path", NULL == dir ? "(null)" : dir);
        return -1;
    }
    const size_t len = strlen(dir);
    if (len >= PATH_MAX)
    {
        TP_SET_ERR(TP_ERR_PATH, "shm base dir of %zu bytes is too long", len);
        return -1;
    }
    if (tp_shm_base_dir_has_dotdot(dir))
    {
        TP_SET_ERR(TP_ERR_PATH, "shm base dir '%s' has a '..' component", dir);
        return -1;
    }
    char path[PATH_MAX];
    memcpy(path, dir, len + 1);

    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
    {
        TP_SET_ERR_ERRNO("open /");
        return -1;
    }
    size_t i = 0;
    while (i < len)
    {
        while (i < len && '/' == path[i])
        {
            i++;
        }
        const size_t start = i;
        while (i < len && '/' != path[i])
        {
            i++;
        }
        if (start == i)
        {
            break; /* trailing slashes */
        }
        size_t next = i;
        while (next < len && '/' == path[next])
        {
            next++;
        }
        const bool last = next >= len;
        const char saved = path[i];
        path[i] = '\0';
        const char *name = path + start;
        int child = 0 == strcmp(name, ".") ? dup(fd) : tp_shm_base_dir_step(fd, name, path, mode, last);
        close(fd);
        if (child < 0)
        {
            TP_APPEND_ERR("creating shm base dir %s", dir);
            return -1;
        }
        fd = child;
        path[i] = saved;
    }
    close(fd);
    return 0;
}

int tp_shm_base_dir_ensure_if_missing(const char *dir, mode_t mode)
{
    struct stat st;
    if (NULL != dir && '/' == dir[0] && lstat(dir, &st) < 0 && ENOENT == errno)
    {
        return tp_shm_base_dir_ensure(dir, mode);
    }
    return 0;
}
