/* Maps a publication log file (3 terms + 4 KiB metadata at the end) and validates its geometry. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aeron_client_private.h"
#include "common/tp_prefault.h"

static bool aeron_is_power_of_two(int64_t v)
{
    return v > 0 && 0 == (v & (v - 1));
}

int aeron_log_buffer_map(aeron_log_buffer_t **log_buffer, const char *path, int64_t correlation_id, bool pre_touch)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
    {
        aeron_err_set(errno, "could not open log buffer %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
    {
        aeron_err_set(errno, "could not stat log buffer %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t length = (size_t)st.st_size;
    if (length < AERON_LOG_META_LENGTH + 3 * 65536)
    {
        aeron_err_set(EINVAL, "log buffer %s is too short: %zu bytes", path, length);
        close(fd);
        return -1;
    }
    void *addr = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == addr)
    {
        aeron_err_set(errno, "could not map log buffer %s (%zu bytes): %s", path, length, strerror(errno));
        return -1;
    }

    uint8_t *meta = (uint8_t *)addr + length - AERON_LOG_META_LENGTH;
    int32_t term_length;
    int32_t page_size;
    int32_t mtu;
    int32_t initial_term_id;
    memcpy(&term_length, meta + AERON_LOG_META_TERM_LENGTH_OFFSET, sizeof(term_length));
    memcpy(&page_size, meta + AERON_LOG_META_PAGE_SIZE_OFFSET, sizeof(page_size));
    memcpy(&mtu, meta + AERON_LOG_META_MTU_OFFSET, sizeof(mtu));
    memcpy(&initial_term_id, meta + AERON_LOG_META_INITIAL_TERM_ID_OFFSET, sizeof(initial_term_id));

    const char *problem = NULL;
    if (!aeron_is_power_of_two(term_length) || term_length < 65536 || term_length > (1 << 30))
    {
        problem = "term length is not a power of two in [64 KiB, 1 GiB]";
    }
    else if (!aeron_is_power_of_two(page_size) || page_size < 4096)
    {
        problem = "page size is not a power of two >= 4 KiB";
    }
    else if (mtu <= AERON_FRAME_HEADER_LENGTH || 0 != (mtu % AERON_FRAME_ALIGNMENT))
    {
        problem = "mtu is not a multiple of 32 above the header length";
    }
    else if ((size_t)term_length * 3 + AERON_LOG_META_LENGTH > length)
    {
        problem = "file is shorter than three terms plus metadata";
    }
    if (NULL != problem)
    {
        aeron_err_set(EINVAL, "log buffer %s: %s (term_length %d, page_size %d, mtu %d, file %zu bytes)", path, problem,
                      term_length, page_size, mtu, length);
        munmap(addr, length);
        return -1;
    }

    aeron_log_buffer_t *lb = calloc(1, sizeof(*lb));
    if (NULL == lb)
    {
        munmap(addr, length);
        aeron_err_set(ENOMEM, "could not allocate log buffer for %s", path);
        return -1;
    }
    lb->correlation_id = correlation_id;
    lb->addr = addr;
    lb->length = length;
    for (int i = 0; i < 3; i++)
    {
        lb->terms[i] = (uint8_t *)addr + (size_t)i * (size_t)term_length;
    }
    lb->metadata = meta;
    lb->term_length = term_length;
    lb->mtu_length = mtu;
    lb->initial_term_id = initial_term_id;
    lb->position_bits_to_shift = (size_t)__builtin_ctz((unsigned)term_length);
    lb->refcnt = 0;
    if (pre_touch)
    {
        /* As the official client's pre-touch: every page mapped for write now, so neither the appender nor an
         * image reader takes a minor fault when the log reaches a fresh page on the hot path. */
        (void)tp_prefault(addr, length, (size_t)page_size, true);
    }
    *log_buffer = lb;
    return 0;
}

void aeron_log_buffer_unmap(aeron_log_buffer_t *log_buffer)
{
    if (NULL != log_buffer)
    {
        munmap(log_buffer->addr, log_buffer->length);
        free(log_buffer);
    }
}
