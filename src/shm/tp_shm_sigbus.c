/* SIGBUS guard for foreign mappings (see tp_shm_sigbus.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "common/tp_atomic.h"
#include "common/tp_error_private.h"
#include "shm/tp_shm_sigbus.h"

typedef struct tp_sigbus_entry_stct
{
    volatile int64_t start; /* address; 0: free, 1: being filled in */
    volatile int64_t length;
    volatile int32_t writable;
    volatile int64_t group;
} tp_sigbus_entry_t;

static tp_sigbus_entry_t tp_sigbus_entries[TP_SHM_SIGBUS_MAX_MAPPINGS];
static volatile int64_t tp_sigbus_fault_count;
static struct sigaction tp_sigbus_previous;
static pthread_once_t tp_sigbus_once = PTHREAD_ONCE_INIT;
static int tp_sigbus_install_errno;

/* Same address range, same protection, zero pages. Returns false when the entry is free or mmap failed. */
static bool tp_sigbus_zero(tp_sigbus_entry_t *entry)
{
    const uintptr_t start = (uintptr_t)tp_load_acquire_i64(&entry->start);
    const size_t length = (size_t)tp_load_acquire_i64(&entry->length);
    if (start <= 1 || 0 == length)
    {
        return false;
    }
    const int prot = tp_load_acquire_i32(&entry->writable) ? PROT_READ | PROT_WRITE : PROT_READ;
    return MAP_FAILED != mmap((void *)start, length, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void tp_sigbus_handler(int signo, siginfo_t *info, void *context)
{
    const uintptr_t fault = (uintptr_t)info->si_addr;
    for (size_t i = 0; i < TP_SHM_SIGBUS_MAX_MAPPINGS; i++)
    {
        const uintptr_t start = (uintptr_t)tp_load_acquire_i64(&tp_sigbus_entries[i].start);
        const size_t length = (size_t)tp_load_acquire_i64(&tp_sigbus_entries[i].length);
        if (start > 1 && fault >= start && fault - start < length)
        {
            if (!tp_sigbus_zero(&tp_sigbus_entries[i]))
            {
                break;
            }
            /* The rest of the epoch too, so that nothing read from it can still pass for intact. */
            const int64_t group = tp_load_acquire_i64(&tp_sigbus_entries[i].group);
            for (size_t j = 0; j < TP_SHM_SIGBUS_MAX_MAPPINGS; j++)
            {
                if (j != i && group == tp_load_acquire_i64(&tp_sigbus_entries[j].group))
                {
                    (void)tp_sigbus_zero(&tp_sigbus_entries[j]);
                }
            }
            tp_fetch_add_i64(&tp_sigbus_fault_count, 1);
            return;
        }
    }
    /* Not ours (or the replacement failed): what would have happened without us. */
    if ((tp_sigbus_previous.sa_flags & SA_SIGINFO) && NULL != tp_sigbus_previous.sa_sigaction)
    {
        tp_sigbus_previous.sa_sigaction(signo, info, context);
        return;
    }
    if (SIG_DFL != tp_sigbus_previous.sa_handler && SIG_IGN != tp_sigbus_previous.sa_handler)
    {
        tp_sigbus_previous.sa_handler(signo);
        return;
    }
    /* Default action: reinstall it and return, the access faults again and the process dies of SIGBUS. */
    signal(SIGBUS, SIG_DFL);
}

static void tp_sigbus_install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = tp_sigbus_handler;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &tp_sigbus_previous) < 0)
    {
        tp_sigbus_install_errno = errno;
    }
}

uint64_t tp_shm_sigbus_group(const char *path)
{
    const char *slash = strrchr(path, '/');
    const size_t n = NULL == slash ? 0 : (size_t)(slash - path);
    uint64_t hash = UINT64_C(1469598103934665603); /* FNV-1a */
    for (size_t i = 0; i < n; i++)
    {
        hash = (hash ^ (uint8_t)path[i]) * UINT64_C(1099511628211);
    }
    return hash;
}

int tp_shm_sigbus_guard_add(void *addr, size_t length, bool writable, uint64_t group)
{
    pthread_once(&tp_sigbus_once, tp_sigbus_install);
    if (0 != tp_sigbus_install_errno)
    {
        errno = tp_sigbus_install_errno;
        TP_SET_ERR_ERRNO("installing the SIGBUS guard");
        return -1;
    }
    for (size_t i = 0; i < TP_SHM_SIGBUS_MAX_MAPPINGS; i++)
    {
        /* Claim the slot with the placeholder 1 so the handler never uses a half-written entry. */
        if (tp_cas_i64(&tp_sigbus_entries[i].start, 0, 1))
        {
            tp_store_release_i32(&tp_sigbus_entries[i].writable, writable ? 1 : 0);
            tp_store_release_i64(&tp_sigbus_entries[i].group, (int64_t)group);
            tp_store_release_i64(&tp_sigbus_entries[i].length, (int64_t)length);
            tp_store_release_i64(&tp_sigbus_entries[i].start, (int64_t)(uintptr_t)addr);
            return 0;
        }
    }
    TP_SET_ERR(TP_ERR_LAYOUT, "more than %d foreign mappings: the SIGBUS guard table is full",
               TP_SHM_SIGBUS_MAX_MAPPINGS);
    return -1;
}

void tp_shm_sigbus_guard_remove(void *addr)
{
    for (size_t i = 0; i < TP_SHM_SIGBUS_MAX_MAPPINGS; i++)
    {
        if ((int64_t)(uintptr_t)addr == tp_load_acquire_i64(&tp_sigbus_entries[i].start))
        {
            tp_store_release_i64(&tp_sigbus_entries[i].length, 0);
            tp_store_release_i64(&tp_sigbus_entries[i].start, 0);
            return;
        }
    }
}

uint64_t tp_shm_sigbus_faults(void)
{
    return (uint64_t)tp_load_acquire_i64(&tp_sigbus_fault_count);
}
