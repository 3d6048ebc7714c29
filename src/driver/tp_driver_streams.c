/* Streams and their regions: canonical layout, epochs, region files, superblocks, URIs (driver spec §3, §6). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "driver/tp_driver_core_private.h"
#include "driver/tp_epoch_gc.h"
#include "shm/tp_shm_base_dir.h"
#include "shm/tp_shm_uri.h"
#include "shm/tp_superblock.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

uint64_t tp_driver_next_epoch(const char *instance_dir, uint64_t realtime_us)
{
    uint64_t highest = tp_epoch_gc_highest_epoch(instance_dir);
    uint64_t epoch = highest < UINT64_MAX ? highest + 1 : highest;
    if (realtime_us > epoch)
    {
        epoch = realtime_us;
    }
    return 0 == epoch ? 1 : epoch;
}

bool tp_driver_base_is_hugetlbfs(const tp_driver_core_t *core)
{
    struct statfs sfs;
    return 0 == statfs(core->config.base_dir, &sfs) && (unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC;
}

tp_driver_stream_t *tp_driver_stream_find(tp_driver_core_t *core, uint32_t stream_id)
{
    for (size_t i = 0; i < core->stream_count; i++)
    {
        if (core->streams[i]->stream_id == stream_id)
        {
            return core->streams[i];
        }
    }
    return NULL;
}

/* Create a directory with the driver's directory mode, or accept an existing real directory (never a symlink). */
static int tp_driver_mkdir(const tp_driver_core_t *core, const char *path)
{
    if (0 == mkdir(path, (mode_t)core->dir_mode))
    {
        if (chmod(path, (mode_t)core->dir_mode) < 0)
        {
            TP_SET_ERR_ERRNO("chmod 0%o %s", core->dir_mode, path);
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
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
    {
        TP_SET_ERR(TP_ERR_PATH, "%s exists and is not a directory (symlinks are not followed)", path);
        return -1;
    }
    return 0;
}

static int tp_driver_stream_mkdirs(const tp_driver_core_t *core, const tp_driver_stream_t *stream, bool with_epoch)
{
    char path[PATH_MAX];
    const tp_shm_layout_t *layout = &stream->layout;
    /* mkdir -p: a fresh machine has no base dir, nor perhaps its parents. */
    if (tp_shm_base_dir_ensure(layout->base_dir, (mode_t)core->dir_mode) < 0)
    {
        return -1;
    }
    int n = snprintf(path, sizeof(path), "%s/%s", layout->base_dir, layout->namespace_name);
    if (n < 0 || (size_t)n >= sizeof(path) || tp_driver_mkdir(core, path) < 0 ||
        tp_driver_mkdir(core, stream->instance_dir) < 0)
    {
        return -1;
    }
    if (with_epoch && (tp_shm_layout_epoch_dir(layout, path, sizeof(path)) < 0 || tp_driver_mkdir(core, path) < 0))
    {
        return -1;
    }
    return 0;
}

tp_driver_stream_t *tp_driver_stream_add(tp_driver_core_t *core, uint32_t stream_id, const tp_driver_profile_t *profile,
                                         bool dynamic)
{
    if (core->stream_count == core->stream_capacity)
    {
        size_t next = 0 == core->stream_capacity ? 16 : core->stream_capacity * 2;
        tp_driver_stream_t **grown = realloc(core->streams, next * sizeof(*grown));
        if (NULL == grown)
        {
            TP_SET_ERR(ENOMEM, "no memory for %zu streams", next);
            return NULL;
        }
        core->streams = grown;
        core->stream_capacity = next;
    }
    tp_driver_stream_t *stream = calloc(1, sizeof(*stream));
    if (NULL == stream)
    {
        TP_SET_ERR(ENOMEM, "no memory for stream %u", stream_id);
        return NULL;
    }
    char instance[TP_SHM_LAYOUT_NAME_MAX];
    int n = snprintf(instance, sizeof(instance), "%s.stream-%u", core->config.instance_id, stream_id);
    if (n < 0 || (size_t)n >= sizeof(instance))
    {
        TP_SET_ERR(TP_ERR_PATH, "instance id '%s.stream-%u' is longer than %d bytes", core->config.instance_id,
                   stream_id, TP_SHM_LAYOUT_NAME_MAX - 1);
        free(stream);
        return NULL;
    }
    /* tp_shm_layout_init validates the namespace and the instance component (one URI-safe path component). */
    if (tp_shm_layout_init(&stream->layout, core->config.base_dir, core->config.namespace_name, instance, 0) < 0)
    {
        TP_APPEND_ERR("stream %u", stream_id);
        free(stream);
        return NULL;
    }
    n = snprintf(stream->instance_dir, sizeof(stream->instance_dir), "%s/%s/%s", stream->layout.base_dir,
                 stream->layout.namespace_name, stream->layout.instance_id);
    if (n < 0 || (size_t)n >= sizeof(stream->instance_dir))
    {
        TP_SET_ERR(TP_ERR_PATH, "instance directory of stream %u does not fit", stream_id);
        free(stream);
        return NULL;
    }
    stream->stream_id = stream_id;
    stream->dynamic = dynamic;
    stream->profile = *profile;
    if (tp_driver_stream_mkdirs(core, stream, false) < 0)
    {
        free(stream);
        return NULL;
    }
    core->streams[core->stream_count++] = stream;
    return stream;
}

/* Touch every page so the first frame does not pay the page faults (policies.prefault_shm). */
static void tp_driver_prefault(tp_shm_region_t *region)
{
    tp_shm_region_prefault(region);
}

static int tp_driver_region_create(tp_driver_core_t *core, tp_driver_stream_t *stream, tp_shm_region_t *region,
                                   const char *path, size_t length, char *uri)
{
    if (tp_shm_region_create(region, path, length, stream->hugepages, false) < 0)
    {
        return -1;
    }
    if (chmod(path, (mode_t)core->config.permissions_mode) < 0)
    {
        TP_SET_ERR_ERRNO("chmod 0%o %s", core->config.permissions_mode, path);
        return -1;
    }
    if (core->config.prefault_shm)
    {
        tp_driver_prefault(region);
    }
    if (core->config.mlock_shm && mlock(region->addr, region->mapped_length) < 0)
    {
        /* Driver spec §17: mlock failure is fatal; for the core that means this attach / epoch fails. */
        TP_SET_ERR_ERRNO("mlock %zu bytes of %s (policies.mlock_shm)", region->mapped_length, path);
        return -1;
    }
    if (tp_shm_uri_format(uri, TP_DRIVER_URI_MAX, path, stream->hugepages) < 0)
    {
        TP_SET_ERR(TP_ERR_URI, "region URI for %s does not fit", path);
        return -1;
    }
    core->counters.regions_created++;
    return 0;
}

static void tp_driver_stream_unmap(tp_driver_stream_t *stream, bool unlink_files)
{
    if (unlink_files && '\0' != stream->header.path[0])
    {
        (void)unlink(stream->header.path);
    }
    tp_shm_region_close(&stream->header);
    memset(&stream->header, 0, sizeof(stream->header));
    for (size_t i = 0; i < TP_DRIVER_MAX_POOLS; i++)
    {
        if (unlink_files && '\0' != stream->pools[i].path[0])
        {
            (void)unlink(stream->pools[i].path);
        }
        tp_shm_region_close(&stream->pools[i]);
        memset(&stream->pools[i], 0, sizeof(stream->pools[i]));
    }
    stream->has_regions = false;
}

static int tp_driver_stream_create_regions(tp_driver_core_t *core, tp_driver_stream_t *stream, uint64_t now_ns)
{
    const tp_driver_profile_t *profile = &stream->profile;
    char path[PATH_MAX];
    size_t length;
    if (tp_driver_stream_mkdirs(core, stream, true) < 0)
    {
        return -1;
    }
    tp_superblock_t sb;
    if (tp_shm_layout_header_path(&stream->layout, path, sizeof(path)) < 0 ||
        tp_shm_region_header_length(profile->header_nslots, &length) < 0 ||
        tp_driver_region_create(core, stream, &stream->header, path, length, stream->header_uri) < 0)
    {
        return -1;
    }
    tp_superblock_init_header_ring(&sb, stream->epoch, stream->stream_id, profile->header_nslots);
    sb.pid = (uint64_t)core->pid;
    sb.start_timestamp_ns = now_ns;
    sb.activity_timestamp_ns = now_ns;
    if (tp_superblock_write(stream->header.addr, stream->header.mapped_length, &sb) < 0)
    {
        return -1;
    }
    for (size_t i = 0; i < profile->pool_count; i++)
    {
        const tp_driver_pool_config_t *pool = &profile->pools[i];
        if (tp_shm_layout_pool_path(&stream->layout, pool->pool_id, path, sizeof(path)) < 0 ||
            tp_shm_region_pool_length(profile->header_nslots, pool->stride_bytes, &length) < 0 ||
            tp_driver_region_create(core, stream, &stream->pools[i], path, length, stream->pool_uris[i]) < 0)
        {
            return -1;
        }
        tp_superblock_init_payload_pool(&sb, stream->epoch, stream->stream_id, pool->pool_id, profile->header_nslots,
                                        pool->stride_bytes);
        sb.pid = (uint64_t)core->pid;
        sb.start_timestamp_ns = now_ns;
        sb.activity_timestamp_ns = now_ns;
        if (tp_superblock_write(stream->pools[i].addr, stream->pools[i].mapped_length, &sb) < 0)
        {
            return -1;
        }
    }
    return 0;
}

int tp_driver_stream_new_epoch(tp_driver_core_t *core, tp_driver_stream_t *stream, uint64_t now_ns, bool announce)
{
    bool first = 0 == stream->epoch;
    /* The previous epoch's files stay for consumers still draining them; the epoch GC removes them later. */
    tp_driver_stream_unmap(stream, false);
    /* Never reuse an epoch: above the current one, above anything on disk, and (first epoch) the realtime seed. */
    uint64_t realtime_us = first ? tp_driver_realtime_ns(core) / 1000 : 0;
    uint64_t epoch = tp_driver_next_epoch(stream->instance_dir, realtime_us);
    if (epoch <= stream->epoch)
    {
        epoch = stream->epoch + 1;
    }
    stream->epoch = epoch;
    stream->layout.epoch = epoch;
    stream->hugepages = tp_driver_base_is_hugetlbfs(core);
    if (tp_driver_stream_create_regions(core, stream, now_ns) < 0)
    {
        TP_APPEND_ERR("stream %u epoch %" PRIu64, stream->stream_id, epoch);
        tp_driver_stream_unmap(stream, true);
        char dir[PATH_MAX];
        if (0 == tp_shm_layout_epoch_dir(&stream->layout, dir, sizeof(dir)))
        {
            (void)rmdir(dir);
        }
        tp_driver_log(core, TP_LOG_ERROR, "stream %u: creating regions of epoch %" PRIu64 " failed: %s",
                      stream->stream_id, epoch, tp_errmsg());
        return -1;
    }
    stream->has_regions = true;
    if (!first)
    {
        core->counters.epochs_bumped++;
    }
    tp_driver_log(core, TP_LOG_INFO, "epoch.changed stream=%u epoch=%" PRIu64 " regions=%s/epoch-%" PRIu64,
                  stream->stream_id, epoch, stream->instance_dir, epoch);
    tp_driver_stream_gc(core, stream);
    if (announce)
    {
        (void)tp_driver_send_announce(core, stream, now_ns);
    }
    stream->next_announce_ns = now_ns + (uint64_t)core->config.announce_period_ms * 1000000ULL;
    return 0;
}

void tp_driver_stream_gc(tp_driver_core_t *core, tp_driver_stream_t *stream)
{
    if (!core->config.epoch_gc_enabled)
    {
        return;
    }
    size_t removed = 0;
    /* keep >= 1 so a zero in a config that bypassed validation can never delete the live epoch. */
    uint32_t keep = 0 == core->config.epoch_gc_keep ? 1 : core->config.epoch_gc_keep;
    uint64_t current = 0 == stream->epoch ? UINT64_MAX : stream->epoch;
    if (tp_epoch_gc_run(stream->instance_dir, current, keep, core->config.epoch_gc_min_age_ns,
                        tp_driver_realtime_ns(core), &removed) < 0)
    {
        tp_driver_log(core, TP_LOG_WARN, "stream %u: epoch gc failed: %s", stream->stream_id, tp_errmsg());
        return;
    }
    if (removed > 0)
    {
        core->counters.epoch_dirs_collected += removed;
        tp_driver_log(core, TP_LOG_INFO, "region.collected stream=%u epoch_dirs=%zu", stream->stream_id, removed);
    }
}

void tp_driver_stream_release(tp_driver_core_t *core, tp_driver_stream_t *stream, bool remove_files)
{
    tp_driver_stream_unmap(stream, remove_files);
    if (!remove_files)
    {
        return;
    }
    size_t removed = 0;
    (void)tp_epoch_gc_run(stream->instance_dir, UINT64_MAX, 0, 0, tp_driver_realtime_ns(core), &removed);
    core->counters.epoch_dirs_collected += removed;
    (void)rmdir(stream->instance_dir);
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", stream->layout.base_dir, stream->layout.namespace_name);
    if (n > 0 && (size_t)n < sizeof(path))
    {
        (void)rmdir(path); /* only when empty: other instances may share the namespace */
    }
}
