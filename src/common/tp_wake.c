#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include "tp_error_private.h"
#include "tp_wake.h"

static int tp_wake_map(tp_wake_t *wake, const char *path, int flags, bool owner)
{
    memset(wake, 0, sizeof(*wake));
    if (strlen(path) >= sizeof(wake->path))
    {
        TP_SET_ERR(ENAMETOOLONG, "wake file path of %zu bytes is too long", strlen(path));
        return -1;
    }
    int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
    {
        TP_SET_ERR(errno, "opening wake file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (owner && 0 != ftruncate(fd, (off_t)sizeof(tp_wake_page_t)))
    {
        TP_SET_ERR(errno, "sizing wake file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (0 != fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(tp_wake_page_t))
    {
        TP_SET_ERR(EINVAL, "wake file %s is not a regular file of %zu bytes", path, sizeof(tp_wake_page_t));
        close(fd);
        return -1;
    }
    void *addr = mmap(NULL, sizeof(tp_wake_page_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == addr)
    {
        TP_SET_ERR(errno, "mapping wake file %s: %s", path, strerror(errno));
        return -1;
    }
    wake->page = addr;
    wake->length = sizeof(tp_wake_page_t);
    wake->owner = owner;
    snprintf(wake->path, sizeof(wake->path), "%s", path);
    return 0;
}

int tp_wake_path(char *out, size_t capacity, const char *header_path)
{
    const char *slash = strrchr(header_path, '/');
    if (NULL == slash ||
        snprintf(out, capacity, "%.*s/%s", (int)(slash - header_path), header_path, TP_WAKE_FILE_NAME) >= (int)capacity)
    {
        TP_SET_ERR(ENAMETOOLONG, "no room for the wake file beside header ring %s", header_path);
        return -1;
    }
    return 0;
}

int tp_wake_create(tp_wake_t *wake, const char *path)
{
    return tp_wake_map(wake, path, O_RDWR | O_CREAT | O_TRUNC, true);
}

int tp_wake_open(tp_wake_t *wake, const char *path)
{
    return tp_wake_map(wake, path, O_RDWR, false);
}

void tp_wake_close(tp_wake_t *wake)
{
    if (NULL != wake->page)
    {
        if (wake->owner)
        {
            /* Blocked consumers return to their poll now, not at their timeout, and stop waiting on this word. */
            __atomic_store_n(&wake->page->closed, 1, __ATOMIC_RELEASE);
            tp_wake_signal(wake);
            unlink(wake->path);
        }
        munmap((void *)wake->page, wake->length);
    }
    memset(wake, 0, sizeof(*wake));
}

#if defined(__linux__)

int tp_wake_signal(tp_wake_t *wake)
{
    /* Bump, then look for sleepers: the waiter does the mirror image (register, then recheck the word). */
    __atomic_add_fetch(&wake->page->sequence, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&wake->page->waiters, __ATOMIC_SEQ_CST) > 0)
    {
        syscall(SYS_futex, &wake->page->sequence, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
        return 1;
    }
    return 0;
}

int tp_wake_wait(tp_wake_t *wake, uint32_t seen, uint64_t timeout_ns)
{
    __atomic_add_fetch(&wake->page->waiters, 1, __ATOMIC_SEQ_CST);
    int moved = __atomic_load_n(&wake->page->sequence, __ATOMIC_SEQ_CST) != seen;
    if (!moved)
    {
        struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ULL),
                              .tv_nsec = (long)(timeout_ns % 1000000000ULL)};
        /* Not FUTEX_PRIVATE_FLAG: the word is shared with another process. The kernel rechecks it. */
        syscall(SYS_futex, &wake->page->sequence, FUTEX_WAIT, seen, &ts, NULL, 0);
        moved = __atomic_load_n(&wake->page->sequence, __ATOMIC_ACQUIRE) != seen;
    }
    __atomic_sub_fetch(&wake->page->waiters, 1, __ATOMIC_SEQ_CST);
    return moved;
}

#else

int tp_wake_signal(tp_wake_t *wake)
{
    __atomic_add_fetch(&wake->page->sequence, 1, __ATOMIC_SEQ_CST);
    return 0;
}

int tp_wake_wait(tp_wake_t *wake, uint32_t seen, uint64_t timeout_ns)
{
    /* No futex: a short sleep stands in (the word is still checked first). */
    if (__atomic_load_n(&wake->page->sequence, __ATOMIC_ACQUIRE) != seen)
    {
        return 1;
    }
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(timeout_ns < 100000 ? timeout_ns : 100000)};
    nanosleep(&ts, NULL);
    return __atomic_load_n(&wake->page->sequence, __ATOMIC_ACQUIRE) != seen;
}

#endif
