/* Scan, decide and delete for SHM region garbage collection (tp_shm_gc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "common/tp_wake.h"
#include "shm/tp_shm_gc.h"
#include "shm/tp_shm_gc_owner.h"

static bool tp_shm_gc_parse_digits(const char *s, uint64_t *value)
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

bool tp_shm_gc_parse_epoch_dir(const char *name, uint64_t *epoch)
{
    uint64_t v;
    if (0 != strncmp(name, "epoch-", 6) || !tp_shm_gc_parse_digits(name + 6, &v) || 0 == v)
    {
        return false;
    }
    *epoch = v;
    return true;
}

bool tp_shm_gc_is_region_name(const char *name)
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

/* A DIR stream of its own over fd: the duplicate shares the file offset, so rewind (it may have been read). */
DIR *tp_shm_gc_open_listing(int fd)
{
    int copy = dup(fd);
    DIR *dir = copy < 0 ? NULL : fdopendir(copy);
    if (NULL == dir)
    {
        int saved = errno;
        if (copy >= 0)
        {
            close(copy);
        }
        errno = saved;
        return NULL;
    }
    rewinddir(dir);
    return dir;
}

static int tp_shm_gc_compare_desc(const void *a, const void *b)
{
    uint64_t ea = ((const tp_shm_gc_epoch_t *)a)->epoch;
    uint64_t eb = ((const tp_shm_gc_epoch_t *)b)->epoch;
    return ea < eb ? 1 : (ea > eb ? -1 : 0);
}

int tp_shm_gc_list_epochs(int instance_fd, const char *instance_path, tp_shm_gc_epoch_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    DIR *dir = tp_shm_gc_open_listing(instance_fd);
    if (NULL == dir)
    {
        TP_SET_ERR_ERRNO("epoch gc: list %s", instance_path);
        return -1;
    }
    size_t capacity = 0;
    tp_shm_gc_epoch_t *entries = NULL;
    struct dirent *de;
    int rc = 0;
    while (NULL != (de = readdir(dir)))
    {
        uint64_t epoch;
        struct stat st;
        if (!tp_shm_gc_parse_epoch_dir(de->d_name, &epoch) ||
            fstatat(instance_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        {
            continue;
        }
        if (*count == capacity)
        {
            size_t next = 0 == capacity ? 16 : capacity * 2;
            tp_shm_gc_epoch_t *grown = realloc(entries, next * sizeof(*entries));
            if (NULL == grown)
            {
                TP_SET_ERR(ENOMEM, "epoch gc: no memory for %zu entries of %s", next, instance_path);
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
        qsort(entries, *count, sizeof(*entries), tp_shm_gc_compare_desc);
    }
    *out = entries;
    return 0;
}

uint64_t tp_shm_gc_newest_epoch(int instance_fd)
{
    tp_shm_gc_epoch_t *entries;
    size_t count;
    uint64_t newest = 0;
    if (0 == tp_shm_gc_list_epochs(instance_fd, "instance dir", &entries, &count) && count > 0)
    {
        newest = entries[0].epoch;
    }
    free(entries);
    return newest;
}

int tp_shm_gc_visit_regions(int epoch_fd, tp_shm_gc_region_fn fn, void *clientd)
{
    DIR *dir = tp_shm_gc_open_listing(epoch_fd);
    if (NULL == dir)
    {
        return -1;
    }
    struct dirent *de;
    while (NULL != (de = readdir(dir)))
    {
        struct stat st;
        if (tp_shm_gc_is_region_name(de->d_name) && 0 == fstatat(epoch_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
            S_ISREG(st.st_mode))
        {
            fn(clientd, epoch_fd, de->d_name);
        }
    }
    closedir(dir);
    return 0;
}

int tp_shm_gc_unlink_region(int epoch_fd, const char *name)
{
    struct stat st;
    if (!tp_shm_gc_is_region_name(name))
    {
        errno = EINVAL;
        return -1;
    }
    if (0 != fstatat(epoch_fd, name, &st, AT_SYMLINK_NOFOLLOW))
    {
        return -1;
    }
    if (!S_ISREG(st.st_mode))
    {
        errno = EPERM; /* a symlink or special file named like a region: never touched */
        return -1;
    }
    return unlinkat(epoch_fd, name, 0);
}

static void tp_shm_gc_count_visitor(void *clientd, int epoch_fd, const char *name)
{
    (void)epoch_fd;
    (void)name;
    (*(size_t *)clientd)++;
}

int tp_shm_gc_unlink_sidecars(int epoch_fd)
{
    static const char *const sidecars[] = {TP_WAKE_FILE_NAME};
    size_t regions = 0;
    if (tp_shm_gc_visit_regions(epoch_fd, tp_shm_gc_count_visitor, &regions) < 0 || regions > 0)
    {
        return 0;
    }
    int removed = 0;
    for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++)
    {
        struct stat st;
        if (0 == fstatat(epoch_fd, sidecars[i], &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
            0 == unlinkat(epoch_fd, sidecars[i], 0))
        {
            removed++;
        }
    }
    return removed;
}

static void tp_shm_gc_unlink_visitor(void *clientd, int epoch_fd, const char *name)
{
    (void)clientd;
    (void)tp_shm_gc_unlink_region(epoch_fd, name);
}

int tp_shm_gc_remove_epoch(int instance_fd, uint64_t epoch)
{
    char name[32];
    snprintf(name, sizeof(name), "epoch-%" PRIu64, epoch);
    int fd = openat(instance_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        return 0;
    }
    int rc = tp_shm_gc_visit_regions(fd, tp_shm_gc_unlink_visitor, NULL);
    if (rc >= 0)
    {
        (void)tp_shm_gc_unlink_sidecars(fd);
    }
    close(fd);
    if (rc < 0)
    {
        return 0;
    }
    /* Fails with ENOTEMPTY when something we do not own is inside: then the directory stays. */
    return 0 == unlinkat(instance_fd, name, AT_REMOVEDIR) ? 1 : 0;
}

int tp_shm_gc_read_superblock(int dir_fd, const char *name, tp_superblock_t *sb)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
    {
        return -1;
    }
    struct stat st;
    uint8_t bytes[TP_SUPERBLOCK_LENGTH];
    int rc = -1;
    if (0 == fstat(fd, &st) && S_ISREG(st.st_mode) && (ssize_t)sizeof(bytes) == pread(fd, bytes, sizeof(bytes), 0) &&
        0 == tp_superblock_read(bytes, sizeof(bytes), sb) && TP_SUPERBLOCK_MAGIC == sb->magic)
    {
        rc = 0;
    }
    close(fd);
    return rc;
}

tp_shm_gc_verdict_t tp_shm_gc_decide_region(const tp_superblock_t *sb, uint64_t epoch, uint64_t newest_epoch,
                                            uint64_t now_mono_ns, uint64_t stale_ns, char *reason, size_t capacity)
{
    uint64_t idle_ns = now_mono_ns > sb->activity_timestamp_ns ? now_mono_ns - sb->activity_timestamp_ns : 0;
    if (idle_ns <= stale_ns)
    {
        return TP_SHM_GC_KEEP; /* refreshed recently: somebody is using it, whatever the pid says */
    }
    tp_shm_gc_owner_t owner = tp_shm_gc_owner_check(sb->pid, sb->start_timestamp_ns);
    if (TP_SHM_GC_OWNER_ALIVE != owner)
    {
        if (NULL != reason)
        {
            snprintf(reason, capacity, "owner pid %" PRIu64 " %s, no activity for %.3f s", sb->pid,
                     tp_shm_gc_owner_name(owner), (double)idle_ns / 1e9);
        }
        return TP_SHM_GC_DEAD;
    }
    if (epoch < newest_epoch)
    {
        if (NULL != reason)
        {
            snprintf(reason, capacity, "epoch %" PRIu64 " superseded by %" PRIu64 ", no activity for %.3f s", epoch,
                     newest_epoch, (double)idle_ns / 1e9);
        }
        return TP_SHM_GC_SUPERSEDED;
    }
    return TP_SHM_GC_KEEP;
}

const char *tp_shm_gc_verdict_name(tp_shm_gc_verdict_t verdict)
{
    switch (verdict)
    {
        case TP_SHM_GC_DEAD:
            return "dead";
        case TP_SHM_GC_SUPERSEDED:
            return "superseded";
        default:
            return "keep";
    }
}

int tp_shm_gc_collect_epochs(const char *instance_dir, uint64_t current_epoch, uint32_t keep, uint64_t min_age_ns,
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
    tp_shm_gc_epoch_t *entries;
    size_t count;
    if (tp_shm_gc_list_epochs(fd, instance_dir, &entries, &count) < 0)
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
        if (1 == tp_shm_gc_remove_epoch(fd, entries[i].epoch) && NULL != removed)
        {
            (*removed)++;
        }
    }
    free(entries);
    close(fd);
    return 0;
}
