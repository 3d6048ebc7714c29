/* tp_prefault: populate a shared mapping's page tables before the hot path touches it. */
#include <stdint.h>
#include <sys/mman.h>

#include "common/tp_prefault.h"

size_t tp_prefault(void *addr, size_t length, size_t page_size, bool writable)
{
    if (NULL == addr || 0 == length)
    {
        return 0;
    }
#if defined(MADV_POPULATE_WRITE) && defined(MADV_POPULATE_READ)
    /* Writable mappings are touched by hand even when madvise worked: on a VM whose host backs guest memory
     * lazily, populating the guest's page tables leaves the host's side to the first store into each page (about
     * 2 ms per MiB on the VM of bench/RESULTS.md, so 10 ms per 8 MiB frame through a fresh pool's first lap). One
     * store per page here pays that at setup; where the memory is already backed it costs a few ns a page. */
    if (0 == madvise(addr, length, writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) && !writable)
    {
        return 0;
    }
#endif
    /* Touch each page (also the fallback on older kernels, EINVAL). The atomic add of zero is a write that keeps
     * the value. */
    const size_t page = 0 == page_size ? 4096 : page_size;
    size_t pages = 0;
    for (size_t off = 0; off < length; off += page, pages++)
    {
        uint8_t *p = (uint8_t *)addr + off;
        if (writable)
        {
            (void)__atomic_fetch_add(p, (uint8_t)0, __ATOMIC_RELAXED);
        }
        else
        {
            (void)*(volatile uint8_t *)p;
        }
    }
    return pages;
}
