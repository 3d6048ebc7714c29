/*
 * A file-backed SHM region (wire spec §6, §9, §15.22): a header ring or a payload pool.
 *
 * Producers create the file exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), reserve every byte with
 * posix_fallocate so that a full file system fails here with TP_ERR_NO_SPACE instead of with SIGBUS on first
 * touch, and map it read-write. Consumers map read-only, only after the path-containment checks of
 * tp_shm_path.h, and only when the file covers the announced layout. Hugepage backing is verified with fstatfs
 * (HUGETLBFS_MAGIC) when required, the hugepage size being the file system's block size.
 */
#ifndef TENSORPOOL_TP_SHM_REGION_H
#define TENSORPOOL_TP_SHM_REGION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/tp_shm_path.h"
#include "shm/tp_shm_uri.h"

#define TP_SHM_SUPERBLOCK_SIZE   64
#define TP_SHM_HEADER_SLOT_BYTES 256
#define TP_SHM_REGION_FILE_MODE  0600

typedef struct tp_shm_region_stct
{
    uint8_t *addr;
    size_t mapped_length;   /* may exceed layout_length when rounded up to the hugepage size */
    size_t layout_length;   /* 64 + nslots * slot-or-stride bytes */
    size_t page_size;       /* backing page size: the hugepage size on hugetlbfs, else the system page size */
    uint64_t hugepage_size; /* 0 unless the file lives on hugetlbfs */
    bool writable;
    bool unlink_on_close;
    char path[PATH_MAX];
} tp_shm_region_t;

/* 64 + nslots * 256. Returns 0, or -1 with TP_ERR_LAYOUT on overflow or bad nslots. */
int tp_shm_region_header_length(uint32_t nslots, size_t *length);

/* 64 + nslots * stride_bytes. Returns 0, or -1 with TP_ERR_LAYOUT on overflow or bad nslots. */
int tp_shm_region_pool_length(uint32_t nslots, uint32_t stride_bytes, size_t *length);

/* nslots must be a power of two (header_index = seq & (nslots - 1)). Returns 0 or -1 with TP_ERR_LAYOUT. */
int tp_shm_nslots_check(uint32_t nslots);

/*
 * §15.22 stride rules: a power of two, a multiple of page_size and, when hugepage_size != 0, of hugepage_size.
 * Returns 0 or -1 with TP_ERR_STRIDE naming the value and the rule.
 */
int tp_shm_stride_check(uint32_t stride_bytes, size_t page_size, uint64_t hugepage_size);

/* The stride rules against this region's backing (hugepage multiple when require_hugepages). */
int tp_shm_region_check_stride(const tp_shm_region_t *region, uint32_t stride_bytes, bool require_hugepages);

/*
 * Producer side: create path (its directory must exist) holding layout_length bytes, mapped read-write.
 * Fails with EEXIST if the file exists, TP_ERR_NO_SPACE if the file system cannot hold it, TP_ERR_HUGEPAGES if
 * require_hugepages and the file is not on hugetlbfs. On failure the file is removed again.
 */
int tp_shm_region_create(tp_shm_region_t *region, const char *path, size_t layout_length, bool require_hugepages,
                         bool unlink_on_close);

/*
 * Consumer side: map the region of a parsed URI read-only after the §15.21a.5 checks against policy. The file
 * must hold at least layout_length bytes (TP_ERR_LAYOUT otherwise).
 */
int tp_shm_region_map(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const tp_shm_uri_t *uri,
                      size_t layout_length);

/*
 * Driver-mode producer side: the same checks as tp_shm_region_map, then mapped read-write (the file, created by
 * the SHM driver, must be writable by us). Never unlinked on close. tp_shm_region_map_mode picks either.
 */
int tp_shm_region_map_rw(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const tp_shm_uri_t *uri,
                         size_t layout_length);
int tp_shm_region_map_mode(tp_shm_region_t *region, const tp_shm_path_policy_t *policy, const tp_shm_uri_t *uri,
                           size_t layout_length, bool writable);

/*
 * Map every page of the region into this process now (for write when it is writable, else for read), so the
 * first lap of the ring takes no minor faults on the hot path. Memory is already reserved (posix_fallocate), so
 * this costs page-table entries and setup time, not RAM. Safe on a zeroed region.
 */
void tp_shm_region_prefault(tp_shm_region_t *region);

/* Unmap, and unlink the file if this process created it with unlink_on_close. Safe on a zeroed region. */
int tp_shm_region_close(tp_shm_region_t *region);

#endif /* TENSORPOOL_TP_SHM_REGION_H */
