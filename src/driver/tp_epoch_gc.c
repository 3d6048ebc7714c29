#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "driver/tp_epoch_gc.h"

static bool tp_epoch_gc_parse_digits(const char *s, uint64_t *value)
{
    if ('\0' == *s)
    {
        return false;
    }
    uint64_t v = 0;
    for (; '\0' != *s; s++)
    {
        if (*s < '0' || *s > '9')
        {
            return false;
        }
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
        {
            return false;
        }
        v = v * 10 + d;
    }
    *value = v;
    return true;
}

bool tp_epoch_gc_parse_dir_name(const char *name, uint64_t *epoch)
{
    uint64_t v;
    if (0 != strncmp(name, "epoch-", 6) || !tp_epoch_gc_parse_digits(name + 6, &v) || 0 == v)
    {
        return false;
    }
    *epoch = v;
    return true;
}

/* header.ring or payload-<digits>.pool: the only names the driver creates, so the only ones it deletes. */
static bool tp_epoch_gc_is_region_name(const char *name)
{
    if (0 == strcmp(name, "header.ring"))
    {
        return true;
    }
    size_t len = strlen(name);
    if (len <= 13 || 0 != strncmp(name, "payload-", 8) || 0 != strcmp(name + len - 5, ".pool"))
    {
        return false;
    }
    for (size_t i = 8; i < len - 5; i++)
    {
        if (name[i] < '0' || name[i] > '9')
        {
            return false;
        }
    }
    return true;
}

typedef struct tp_epoch_gc_entry_stct
{
    uint64_t epoch;
    int64_t mtime_ns;
} tp_epoch_gc_entry_t;

static int tp_epoch_gc_compare_desc(const void *a, const void *b)
{
    uint64_t ea = ((const tp_epoch_gc_entry_t *)a)->epoch;
    uint64_t eb = ((const tp_epoch_gc_entry_t *)b)->epoch;
    return ea < eb ? 1 : (ea > eb ? -1 : 0);
}

/* Epoch directories of an opened instance dir, newest first. *out is malloc'd (NULL when none). */
static int tp_epoch_gc_list(int dir_fd, const char *instance_dir, tp_epoch_gc_entry_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    int list_fd = dup(dir_fd);
    if (list_fd < 0)
    {
        TP_SET_ERR_ERRNO("dup %s", instance_dir);
        return -1;
    }
    DIR *dir = fdopendir(list_fd);
    if (NULL == dir)
    {
        TP_SET_ERR_ERRNO("fdopendir %s", instance_dir);
        close(list_fd);
        return -1;
    }
    size_t capacity = 0;
    tp_epoch_gc_entry_t *entries = NULL;
    struct dirent *de;
    int rc = 0;
    while (NULL != (de = readdir(dir)))
    {
        uint64_t epoch;
        struct stat st;
        if (!tp_epoch_gc_parse_dir_name(de->d_name, &epoch) ||
            fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        {
            continue;
        }
        if (*count == capacity)
        {
            size_t next = 0 == capacity ? 16 : capacity * 2;
            tp_epoch_gc_entry_t *grown = realloc(entries, next * sizeof(*entries));
            if (NULL == grown)
            {
                TP_SET_ERR(ENOMEM, "epoch gc: no memory for %zu entries of %s", next, instance_dir);
                rc = -1;
                break;
            }
            entries = grown;
            capacity = next;
        }
        entries[*count].epoch = epoch;
        entries[*count].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        (*count)++;
    }
    closedir(dir);
    if (rc < 0)
    {
        free(entries);
        *count = 0;
        return -1;
    }
    if (*count > 1)
    {
        qsort(entries, *count, sizeof(*entries), tp_epoch_gc_compare_desc);
    }
    *out = entries;
    return 0;
}

/* Remove the region files of one epoch dir, then the dir. Returns 1 when the directory is gone. */
static int tp_epoch_gc_remove_epoch(int instance_fd, uint64_t epoch)
{
    char name[32];
    snprintf(name, sizeof(name), "epoch-%llu", (unsigned long long)epoch);
    int fd = openat(instance_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        return 0;
    }
    int list_fd = dup(fd);
    DIR *dir = list_fd < 0 ? NULL : fdopendir(list_fd);
    if (NULL == dir)
    {
        if (list_fd >= 0)
        {
            close(list_fd);
        }
        close(fd);
        return 0;
    }
    struct dirent *de;
    while (NULL != (de = readdir(dir)))
    {
        struct stat st;
        if (tp_epoch_gc_is_region_name(de->d_name) && 0 == fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
            S_ISREG(st.st_mode))
        {
            (void)unlinkat(fd, de->d_name, 0);
        }
    }
    closedir(dir);
    close(fd);
    /* Fails with ENOTEMPTY when something we do not own is inside: then the directory stays. */
    return 0 == unlinkat(instance_fd, name, AT_REMOVEDIR) ? 1 : 0;
}

int tp_epoch_gc_run(const char *instance_dir, uint64_t current_epoch, uint32_t keep, uint64_t min_age_ns,
                    uint64_t now_realtime_ns, size_t *removed)
{
    if (NULL != removed)
    {
        *removed = 0;
    }
    int fd = open(instance_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        if (ENOENT == errno)
        {
            return 0;
        }
        TP_SET_ERR_ERRNO("epoch gc: open instance dir %s", instance_dir);
        return -1;
    }
    tp_epoch_gc_entry_t *entries;
    size_t count;
    if (tp_epoch_gc_list(fd, instance_dir, &entries, &count) < 0)
    {
        close(fd);
        return -1;
    }
    uint32_t kept = 0;
    for (size_t i = 0; i < count; i++)
    {
        if (entries[i].epoch > current_epoch)
        {
            continue; /* not ours to judge: newer than what this caller considers current */
        }
        if (kept < keep)
        {
            kept++;
            continue;
        }
        int64_t age = (int64_t)now_realtime_ns - entries[i].mtime_ns;
        if (min_age_ns > 0 && (age < 0 || (uint64_t)age < min_age_ns))
        {
            continue;
        }
        if (1 == tp_epoch_gc_remove_epoch(fd, entries[i].epoch) && NULL != removed)
        {
            (*removed)++;
        }
    }
    free(entries);
    close(fd);
    return 0;
}

uint64_t tp_epoch_gc_highest_epoch(const char *instance_dir)
{
    int fd = open(instance_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        return 0;
    }
    tp_epoch_gc_entry_t *entries;
    size_t count;
    uint64_t highest = 0;
    if (0 == tp_epoch_gc_list(fd, instance_dir, &entries, &count) && count > 0)
    {
        highest = entries[0].epoch;
    }
    free(entries);
    close(fd);
    return highest;
}
