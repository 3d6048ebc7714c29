/* The driver's epoch GC: the shared SHM GC (src/shm/tp_shm_gc.c) under the driver's names. */
#include <fcntl.h>
#include <unistd.h>

#include "driver/tp_epoch_gc.h"
#include "shm/tp_shm_gc.h"

int tp_epoch_gc_run(const char *instance_dir, uint64_t current_epoch, uint32_t keep, uint64_t min_age_ns,
                    uint64_t now_realtime_ns, size_t *removed)
{
    return tp_shm_gc_collect_epochs(instance_dir, current_epoch, keep, min_age_ns, now_realtime_ns, removed);
}

bool tp_epoch_gc_parse_dir_name(const char *name, uint64_t *epoch)
{
    return tp_shm_gc_parse_epoch_dir(name, epoch);
}

uint64_t tp_epoch_gc_highest_epoch(const char *instance_dir)
{
    int fd = open(instance_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        return 0;
    }
    uint64_t highest = tp_shm_gc_newest_epoch(fd);
    close(fd);
    return highest;
}
