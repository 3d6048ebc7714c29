#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "shm/tp_shm_base_dir.h"
#include "shm/tp_shm_layout.h"

static int tp_shm_layout_check_component(const char *what, const char *name)
{
    if (NULL == name || '\0' == name[0])
    {
        TP_SET_ERR(TP_ERR_PATH, "%s is empty", what);
        return -1;
    }
    size_t len = strlen(name);
    if (len >= TP_SHM_LAYOUT_NAME_MAX)
    {
        TP_SET_ERR(TP_ERR_PATH, "%s '%.32s...' is %zu bytes, limit %d", what, name, len, TP_SHM_LAYOUT_NAME_MAX - 1);
        return -1;
    }
    if (0 == strcmp(name, ".") || 0 == strcmp(name, ".."))
    {
        TP_SET_ERR(TP_ERR_PATH, "%s '%s' is not a valid directory name", what, name);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
    {
        unsigned char c = (unsigned char)name[i];
        /* The name ends up inside a region URI, so it obeys the URI path grammar and is one component. */
        if (c <= 0x20 || c >= 0x7f || '/' == c || '?' == c || '|' == c)
        {
            TP_SET_ERR(TP_ERR_PATH, "%s '%s' has forbidden byte 0x%02x at offset %zu", what, name, c, i);
            return -1;
        }
    }
    return 0;
}

int tp_shm_layout_init(tp_shm_layout_t *layout, const char *base_dir, const char *namespace_name,
                       const char *instance_id, uint64_t epoch)
{
    memset(layout, 0, sizeof(*layout));
    if (NULL == base_dir || '/' != base_dir[0])
    {
        TP_SET_ERR(TP_ERR_PATH, "shm base dir '%s' is not an absolute path", NULL == base_dir ? "(null)" : base_dir);
        return -1;
    }
    if (strlen(base_dir) >= sizeof(layout->base_dir))
    {
        TP_SET_ERR(TP_ERR_PATH, "shm base dir of %zu bytes is too long", strlen(base_dir));
        return -1;
    }
    if (tp_shm_layout_check_component("namespace", namespace_name) < 0 ||
        tp_shm_layout_check_component("producer instance id", instance_id) < 0)
    {
        return -1;
    }
    strcpy(layout->base_dir, base_dir);
    /* Drop trailing slashes so joined paths have exactly one separator. */
    size_t len = strlen(layout->base_dir);
    while (len > 1 && '/' == layout->base_dir[len - 1])
    {
        layout->base_dir[--len] = '\0';
    }
    strcpy(layout->namespace_name, namespace_name);
    strcpy(layout->instance_id, instance_id);
    layout->epoch = epoch;
    return 0;
}

static int tp_shm_layout_print(char *buf, size_t capacity, const char *what, int n)
{
    if (n < 0 || (size_t)n >= capacity)
    {
        TP_SET_ERR(TP_ERR_PATH, "%s path does not fit in %zu bytes", what, capacity);
        return -1;
    }
    return 0;
}

/* "/" as base would give "//ns": skip the separator in that one case. */
static const char *tp_shm_layout_base(const tp_shm_layout_t *layout)
{
    return 0 == strcmp(layout->base_dir, "/") ? "" : layout->base_dir;
}

int tp_shm_layout_epoch_dir(const tp_shm_layout_t *layout, char *buf, size_t capacity)
{
    int n = snprintf(buf, capacity, "%s/%s/%s/epoch-%" PRIu64, tp_shm_layout_base(layout), layout->namespace_name,
                     layout->instance_id, layout->epoch);
    return tp_shm_layout_print(buf, capacity, "epoch directory", n);
}

int tp_shm_layout_header_path(const tp_shm_layout_t *layout, char *buf, size_t capacity)
{
    int n = snprintf(buf, capacity, "%s/%s/%s/epoch-%" PRIu64 "/header.ring", tp_shm_layout_base(layout),
                     layout->namespace_name, layout->instance_id, layout->epoch);
    return tp_shm_layout_print(buf, capacity, "header ring", n);
}

int tp_shm_layout_pool_path(const tp_shm_layout_t *layout, uint16_t pool_id, char *buf, size_t capacity)
{
    int n = snprintf(buf, capacity, "%s/%s/%s/epoch-%" PRIu64 "/payload-%u.pool", tp_shm_layout_base(layout),
                     layout->namespace_name, layout->instance_id, layout->epoch, (unsigned)pool_id);
    return tp_shm_layout_print(buf, capacity, "payload pool", n);
}

static int tp_shm_layout_mkdir(const char *path)
{
    if (0 == mkdir(path, TP_SHM_LAYOUT_DIR_MODE))
    {
        /* mkdir applies the umask; set the mode exactly so a permissive umask cannot widen nor a strict one
         * make the directory unusable. */
        if (chmod(path, TP_SHM_LAYOUT_DIR_MODE) < 0)
        {
            TP_SET_ERR_ERRNO("chmod 0700 %s", path);
            return -1;
        }
        return 0;
    }
    if (EEXIST != errno)
    {
        TP_SET_ERR_ERRNO("mkdir %s", path);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) < 0)
    {
        TP_SET_ERR_ERRNO("lstat %s", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
    {
        TP_SET_ERR(TP_ERR_PATH, "%s exists and is not a directory (symlinks are not followed)", path);
        return -1;
    }
    return 0;
}

int tp_shm_layout_create_dirs(const tp_shm_layout_t *layout)
{
    char path[PATH_MAX];
    /* A fresh machine has no base dir yet: create it (and missing parents) private rather than fail. */
    if (tp_shm_base_dir_ensure(layout->base_dir, TP_SHM_LAYOUT_DIR_MODE) < 0)
    {
        return -1;
    }
    int n = snprintf(path, sizeof(path), "%s/%s", tp_shm_layout_base(layout), layout->namespace_name);
    if (tp_shm_layout_print(path, sizeof(path), "namespace directory", n) < 0 || tp_shm_layout_mkdir(path) < 0)
    {
        return -1;
    }
    n = snprintf(path, sizeof(path), "%s/%s/%s", tp_shm_layout_base(layout), layout->namespace_name,
                 layout->instance_id);
    if (tp_shm_layout_print(path, sizeof(path), "instance directory", n) < 0 || tp_shm_layout_mkdir(path) < 0)
    {
        return -1;
    }
    if (tp_shm_layout_epoch_dir(layout, path, sizeof(path)) < 0 || tp_shm_layout_mkdir(path) < 0)
    {
        return -1;
    }
    return 0;
}

int tp_shm_layout_remove_dirs(const tp_shm_layout_t *layout)
{
    char path[PATH_MAX];
    if (tp_shm_layout_epoch_dir(layout, path, sizeof(path)) < 0)
    {
        return -1;
    }
    if (rmdir(path) < 0 && ENOENT != errno)
    {
        TP_SET_ERR_ERRNO("rmdir %s", path);
        return -1;
    }
    /* The instance and namespace dirs may still hold other epochs or producers: only remove them when empty. */
    int n = snprintf(path, sizeof(path), "%s/%s/%s", tp_shm_layout_base(layout), layout->namespace_name,
                     layout->instance_id);
    if (n > 0 && (size_t)n < sizeof(path))
    {
        (void)rmdir(path);
    }
    n = snprintf(path, sizeof(path), "%s/%s", tp_shm_layout_base(layout), layout->namespace_name);
    if (n > 0 && (size_t)n < sizeof(path))
    {
        (void)rmdir(path);
    }
    return 0;
}

uint64_t tp_shm_layout_next_epoch(const char *instance_dir, uint64_t realtime_us)
{
    uint64_t highest = 0;
    DIR *d = opendir(instance_dir);
    if (NULL != d)
    {
        struct dirent *entry;
        while (NULL != (entry = readdir(d)))
        {
            const char *digits = entry->d_name + 6;
            if (0 != strncmp(entry->d_name, "epoch-", 6) || digits[0] < '0' || digits[0] > '9')
            {
                continue;
            }
            char *end = NULL;
            errno = 0;
            unsigned long long value = strtoull(digits, &end, 10);
            if (0 == errno && '\0' == *end && value > highest)
            {
                highest = value;
            }
        }
        closedir(d);
    }
    /* UINT64_MAX found cannot be followed: stay on it rather than wrap to 0 (never reached in practice). */
    uint64_t next = UINT64_MAX == highest ? highest : highest + 1;
    if (realtime_us > next)
    {
        next = realtime_us;
    }
    return 0 == next ? 1 : next;
}
