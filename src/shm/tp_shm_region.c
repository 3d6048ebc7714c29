#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/tp_error_private.h"
#include "common/tp_prefault.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_shm_sigbus.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

int tp_shm_nslots_check(uint32_t nslots)
{
    if (0 == nslots || 0 != (nslots & (nslots - 1)))
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "nslots %u is not a power of two", nslots);
        return -1;
    }
    return 0;
}

static int tp_shm_region_length(uint32_t nslots, uint64_t slot_bytes, size_t *length)
{
    if (tp_shm_nslots_check(nslots) < 0)
    {
        return -1;
    }
    uint64_t total;
    if (__builtin_mul_overflow((uint64_t)nslots, slot_bytes, &total) ||
        __builtin_add_overflow(total, (uint64_t)TP_SHM_SUPERBLOCK_SIZE, &total) || total > (uint64_t)SIZE_MAX ||
        total > (uint64_t)INT64_MAX)
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "region of %u slots x %ju bytes overflows", nslots, (uintmax_t)slot_bytes);
        return -1;
    }
    *length = (size_t)total;
    return 0;
}

int tp_shm_region_header_length(uint32_t nslots, size_t *length)
{
    return tp_shm_region_length(nslots, TP_SHM_HEADER_SLOT_BYTES, length);
}

int tp_shm_region_pool_length(uint32_t nslots, uint32_t stride_bytes, size_t *length)
{
    return tp_shm_region_length(nslots, stride_bytes, length);
}

int tp_shm_stride_check(uint32_t stride_bytes, size_t page_size, uint64_t hugepage_size)
{
    if (0 == stride_bytes || 0 != (stride_bytes & (stride_bytes - 1)))
    {
        TP_SET_ERR(TP_ERR_STRIDE, "stride_bytes %u is not a power of two", stride_bytes);
        return -1;
    }
    if (0 == page_size || 0 != stride_bytes % page_size)
    {
        TP_SET_ERR(TP_ERR_STRIDE, "stride_bytes %u is not a multiple of the page size %zu", stride_bytes, page_size);
        return -1;
    }
    if (0 != hugepage_size && 0 != stride_bytes % hugepage_size)
    {
        TP_SET_ERR(TP_ERR_STRIDE, "stride_bytes %u is not a multiple of the hugepage size %ju", stride_bytes,
                   (uintmax_t)hugepage_size);
        return -1;
    }
    return 0;
}

int tp_shm_region_check_stride(const tp_shm_region_t *region, uint32_t stride_bytes, bool require_hugepages)
{
    if (tp_shm_stride_check(stride_bytes, region->page_size, require_hugepages ? region->hugepage_size : 0) < 0)
    {
        TP_APPEND_ERR("for region %s", region->path);
        return -1;
    }
    return 0;
}

/* Learns the backing: hugetlbfs (page size = its block size) or anything else (system page size). */
static int tp_shm_region_probe_backing(tp_shm_region_t *region, int fd, bool require_hugepages)
{
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
    {
        TP_SET_ERR_ERRNO("fstatfs %s", region->path);
        return -1;
    }
    long sys_page = sysconf(_SC_PAGESIZE);
    region->page_size = sys_page > 0 ? (size_t)sys_page : 4096;
    region->hugepage_size = 0;
    if ((unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC)
    {
        region->hugepage_size = (uint64_t)sfs.f_bsize;
        region->page_size = (size_t)sfs.f_bsize;
    }
    else if (require_hugepages)
    {
        TP_SET_ERR(TP_ERR_HUGEPAGES, "region %s requires hugepages but its file system (type 0x%lx) is not hugetlbfs",
                   region->path, (unsigned long)sfs.f_type);
        return -1;
    }
    return 0;
}

static size_t tp_shm_round_up(size_t value, size_t multiple)
{
    return 0 == multiple ? value : ((value + multiple - 1) / multiple) * multiple;
}

int tp_shm_region_create(tp_shm_region_t *region, const char *path, size_t layout_length, bool require_hugepages,
                         bool unlink_on_close)
{
    memset(region, 0, sizeof(*region));
    if (NULL == path || '/' != path[0] || strlen(path) >= sizeof(region->path))
    {
        TP_SET_ERR(TP_ERR_PATH, "region path '%s' is not an absolute path shorter than PATH_MAX",
                   NULL == path ? "(null)" : path);
        return -1;
    }
    if (layout_length < TP_SHM_SUPERBLOCK_SIZE || layout_length > (size_t)INT64_MAX)
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "region length %zu for %s is invalid", layout_length, path);
        return -1;
    }
    strcpy(region->path, path);

    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, TP_SHM_REGION_FILE_MODE);
    if (fd < 0)
    {
        TP_SET_ERR_ERRNO("create region file %s", path);
        memset(region, 0, sizeof(*region));
        return -1;
    }
    /* The umask can only narrow 0600, but set it exactly so the file never depends on the caller's umask. */
    if (fchmod(fd, TP_SHM_REGION_FILE_MODE) < 0)
    {
        TP_SET_ERR_ERRNO("fchmod 0600 %s", path);
        goto fail;
    }
    if (tp_shm_region_probe_backing(region, fd, require_hugepages) < 0)
    {
        goto fail;
    }

    size_t file_length = tp_shm_round_up(layout_length, (size_t)region->hugepage_size);
    int rc = posix_fallocate(fd, 0, (off_t)file_length);
    if (0 != rc)
    {
        if (ENOSPC == rc)
        {
            TP_SET_ERR(TP_ERR_NO_SPACE, "no space for region %s of %zu bytes on its file system", path, file_length);
        }
        else
        {
            errno = rc;
            TP_SET_ERR_ERRNO("posix_fallocate %zu bytes for %s", file_length, path);
        }
        goto fail;
    }

    void *addr = mmap(NULL, file_length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (MAP_FAILED == addr)
    {
        TP_SET_ERR_ERRNO("mmap %zu bytes read-write of %s", file_length, path);
        goto fail;
    }
    close(fd);
    region->addr = addr;
    region->mapped_length = file_length;
    region->layout_length = layout_length;
    region->writable = true;
    region->unlink_on_close = unlink_on_close;
    return 0;

fail:
    close(fd);
    /* We created it with O_EXCL, so it is ours to remove. */
    (void)unlink(path);
    memset(region, 0, sizeof(*region));
    return -1;
}

int tp_shm_region_map(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const tp_shm_uri_t *uri,
                      size_t layout_length)
{
    return tp_shm_region_map_mode(region, policy, uri, layout_length, false);
}

int tp_shm_region_map_rw(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const tp_shm_uri_t *uri,
                         size_t layout_length)
{
    return tp_shm_region_map_mode(region, policy, uri, layout_length, true);
}

int tp_shm_region_map_mode(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const tp_shm_uri_t *uri,
                           size_t layout_length, bool writable)
{
    memset(region, 0, sizeof(*region));
    tp_shm_validated_path_t validated;
    int fd = tp_shm_path_open_checked(policy, uri->path, writable ? O_RDWR : O_RDONLY, &validated);
    if (fd < 0)
    {
        return -1;
    }
    strcpy(region->path, validated.canonical);

    if (tp_shm_region_probe_backing(region, fd, uri->require_hugepages) < 0)
    {
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
    {
        TP_SET_ERR_ERRNO("fstat %s", region->path);
        goto fail;
    }
    if (layout_length < TP_SHM_SUPERBLOCK_SIZE || st.st_size < 0 || (uint64_t)st.st_size < layout_length)
    {
        TP_SET_ERR(TP_ERR_LAYOUT, "region %s holds %jd bytes, the announced layout needs %zu", region->path,
                   (intmax_t)st.st_size, layout_length);
        goto fail;
    }

    /* hugetlbfs mappings are whole hugepages; the file is a multiple of them, so this stays inside it. */
    size_t map_length = tp_shm_round_up(layout_length, (size_t)region->hugepage_size);
    if ((uint64_t)st.st_size < map_length)
    {
        map_length = layout_length;
    }
    void *addr = mmap(NULL, map_length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (MAP_FAILED == addr)
    {
        TP_SET_ERR_ERRNO("mmap %zu bytes %s of %s", map_length, writable ? "read-write" : "read-only", region->path);
        goto fail;
    }
    close(fd);
    /* Someone else's file: if it shrinks under us, a SIGBUS zeroes the mapping instead of killing us. */
    if (tp_shm_sigbus_guard_add(addr, map_length, writable, tp_shm_sigbus_group(region->path)) < 0)
    {
        TP_APPEND_ERR("mapping %s", region->path);
        munmap(addr, map_length);
        memset(region, 0, sizeof(*region));
        return -1;
    }
    region->addr = addr;
    region->mapped_length = map_length;
    region->layout_length = layout_length;
    region->writable = writable;
    region->unlink_on_close = false; /* someone else's file (the driver's): never ours to remove */
    return 0;

fail:
    close(fd);
    memset(region, 0, sizeof(*region));
    return -1;
}

void tp_shm_region_prefault(tp_shm_region_t *region)
{
    (void)tp_prefault(region->addr, region->mapped_length, region->page_size, region->writable);
}

int tp_shm_region_close(tp_shm_region_t *region)
{
    int result = 0;
    if (NULL != region->addr)
    {
        tp_shm_sigbus_guard_remove(region->addr);
        if (munmap(region->addr, region->mapped_length) < 0)
        {
            TP_SET_ERR_ERRNO("munmap %s", region->path);
            result = -1;
        }
    }
    if (region->writable && region->unlink_on_close && '\0' != region->path[0])
    {
        if (unlink(region->path) < 0 && ENOENT != errno)
        {
            TP_SET_ERR_ERRNO("unlink %s", region->path);
            result = -1;
        }
    }
    memset(region, 0, sizeof(*region));
    return result;
}
