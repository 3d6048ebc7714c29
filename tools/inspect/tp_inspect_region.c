#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "shm/tp_seqlock.h"
#include "shm/tp_slot_header.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/slotHeader.h"
#include "shm_tensorpool_control/tensorHeader.h"
#include "tp_inspect_region.h"

/* Where a SIGBUS during a read of the mapping returns to (the tool is single-threaded). */
static sigjmp_buf tp_inspect_sigbus_env;
static volatile sig_atomic_t tp_inspect_sigbus_armed = 0;

static void tp_inspect_sigbus_handler(int signo)
{
    if (tp_inspect_sigbus_armed)
    {
        siglongjmp(tp_inspect_sigbus_env, 1);
    }
    signal(signo, SIG_DFL);
    raise(signo);
}

static void tp_inspect_error(tp_inspect_region_t *region, const char *fmt, ...) TP_PRINTF_LIKE(2, 3);

static void tp_inspect_error(tp_inspect_region_t *region, const char *fmt, ...)
{
    if (region->error_count >= TP_INSPECT_ERRORS_MAX)
    {
        return;
    }
    va_list args;
    va_start(args, fmt);
    vsnprintf(region->errors[region->error_count], TP_INSPECT_TEXT_MAX, fmt, args);
    va_end(args);
    region->error_count++;
}

const char *tp_inspect_region_type_name(int region_type)
{
    switch (region_type)
    {
        case TP_REGION_HEADER_RING:
            return "header_ring";
        case TP_REGION_PAYLOAD_POOL:
            return "payload_pool";
        default:
            return NULL;
    }
}

const char *tp_inspect_dtype_name(int dtype)
{
    static const char *const names[] = {
        [TP_DTYPE_UINT8] = "uint8",     [TP_DTYPE_INT8] = "int8",       [TP_DTYPE_UINT16] = "uint16",
        [TP_DTYPE_INT16] = "int16",     [TP_DTYPE_UINT32] = "uint32",   [TP_DTYPE_INT32] = "int32",
        [TP_DTYPE_UINT64] = "uint64",   [TP_DTYPE_INT64] = "int64",     [TP_DTYPE_FLOAT32] = "float32",
        [TP_DTYPE_FLOAT64] = "float64", [TP_DTYPE_BOOLEAN] = "boolean", [TP_DTYPE_BYTES] = "bytes",
        [TP_DTYPE_BIT] = "bit",
    };
    if (dtype < 0 || (size_t)dtype >= sizeof(names) / sizeof(names[0]))
    {
        return NULL;
    }
    return names[dtype];
}

const char *tp_inspect_slot_state_name(tp_inspect_slot_state_t state)
{
    switch (state)
    {
        case TP_INSPECT_SLOT_EMPTY:
            return "empty";
        case TP_INSPECT_SLOT_IN_PROGRESS:
            return "in_progress";
        case TP_INSPECT_SLOT_CHANGING:
            return "changing";
        case TP_INSPECT_SLOT_COMMITTED:
            return "committed";
    }
    return "?";
}

static bool tp_inspect_pid_alive(uint64_t pid)
{
    if (0 == pid || pid > INT32_MAX)
    {
        return false;
    }
    /* Signal 0 only checks existence; EPERM means it exists under another user. */
    return 0 == kill((pid_t)pid, 0) || EPERM == errno;
}

/* Decodes the embedded TensorHeader of a private slot copy; an unusable one says why in tensor_error. */
static void tp_inspect_slot_decode_tensor(const uint8_t *copy, tp_inspect_slot_t *slot)
{
    struct shm_tensorpool_control_slotHeader codec;
    if (NULL == shm_tensorpool_control_slotHeader_wrap_for_decode(&codec, (char *)copy, 0, TP_SLOT_HEADER_BLOCK_LENGTH,
                                                                  TP_WIRE_SCHEMA_VERSION, TP_SLOT_HEADER_BYTES))
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error), "slot header does not decode");
        return;
    }
    slot->values_len_bytes = shm_tensorpool_control_slotHeader_valuesLenBytes(&codec);
    slot->payload_slot = shm_tensorpool_control_slotHeader_payloadSlot(&codec);
    slot->pool_id = shm_tensorpool_control_slotHeader_poolId(&codec);
    slot->payload_offset = shm_tensorpool_control_slotHeader_payloadOffset(&codec);
    slot->timestamp_ns = shm_tensorpool_control_slotHeader_timestampNs(&codec);
    slot->meta_version = shm_tensorpool_control_slotHeader_metaVersion(&codec);

    uint32_t header_length = shm_tensorpool_control_slotHeader_headerBytes_length(&codec);
    if (TP_TENSOR_HEADER_ENCODED_LENGTH != header_length)
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error), "headerBytes length %" PRIu32 ", expected %d",
                 header_length, TP_TENSOR_HEADER_ENCODED_LENGTH);
        return;
    }
    const char *bytes = shm_tensorpool_control_slotHeader_headerBytes(&codec);
    if (NULL == bytes)
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error), "headerBytes do not fit the slot");
        return;
    }
    struct shm_tensorpool_control_messageHeader hdr;
    shm_tensorpool_control_messageHeader_wrap(&hdr, (char *)bytes, 0,
                                              shm_tensorpool_control_messageHeader_sbe_schema_version(),
                                              TP_TENSOR_HEADER_ENCODED_LENGTH);
    uint16_t schema_id = shm_tensorpool_control_messageHeader_schemaId(&hdr);
    uint16_t template_id = shm_tensorpool_control_messageHeader_templateId(&hdr);
    uint16_t version = shm_tensorpool_control_messageHeader_version(&hdr);
    uint16_t block_length = shm_tensorpool_control_messageHeader_blockLength(&hdr);
    if (TP_WIRE_SCHEMA_ID != schema_id || TP_TENSOR_HEADER_TEMPLATE_ID != template_id ||
        TP_WIRE_SCHEMA_VERSION != version || TP_TENSOR_HEADER_BLOCK_LENGTH != block_length)
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error),
                 "embedded header is schema %u template %u version %u blockLength %u, expected %d/%d/%d/%d", schema_id,
                 template_id, version, block_length, TP_WIRE_SCHEMA_ID, TP_TENSOR_HEADER_TEMPLATE_ID,
                 TP_WIRE_SCHEMA_VERSION, TP_TENSOR_HEADER_BLOCK_LENGTH);
        return;
    }
    struct shm_tensorpool_control_tensorHeader tensor;
    if (NULL == shm_tensorpool_control_tensorHeader_wrap_for_decode(
                    &tensor, (char *)bytes, 8, block_length, TP_WIRE_SCHEMA_VERSION, TP_TENSOR_HEADER_ENCODED_LENGTH))
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error), "TensorHeader does not decode");
        return;
    }
    slot->dtype = shm_tensorpool_control_tensorHeader_dtype_raw(&tensor);
    slot->major_order = shm_tensorpool_control_tensorHeader_majorOrder_raw(&tensor);
    slot->ndims = shm_tensorpool_control_tensorHeader_ndims(&tensor);
    if (slot->ndims < 1 || slot->ndims > TP_MAX_DIMS)
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error), "ndims %u outside 1..%d", slot->ndims, TP_MAX_DIMS);
        return;
    }
    for (uint64_t i = 0; i < slot->ndims; i++)
    {
        slot->dims[i] = shm_tensorpool_control_tensorHeader_dims_unsafe(&tensor, i);
        slot->strides[i] = shm_tensorpool_control_tensorHeader_strides_unsafe(&tensor, i);
    }
    if (NULL == tp_inspect_dtype_name(slot->dtype))
    {
        snprintf(slot->tensor_error, sizeof(slot->tensor_error), "unknown dtype %d", slot->dtype);
        return;
    }
    slot->tensor_ok = true;
}

/* One slot under the seqlock: only a copy whose seq_commit did not move while we took it is decoded. */
static void tp_inspect_slot_read(const uint8_t *slot_addr, uint32_t index, tp_inspect_slot_t *slot)
{
    memset(slot, 0, sizeof(*slot));
    slot->index = index;
    const volatile uint64_t *word = tp_seqlock_word((void *)(uintptr_t)slot_addr);
    uint64_t first = tp_seqlock_read_begin(word);
    slot->seq = first >> 1;
    if (0 == first)
    {
        slot->state = TP_INSPECT_SLOT_EMPTY;
        return;
    }
    if (0 == (first & 1u))
    {
        slot->state = TP_INSPECT_SLOT_IN_PROGRESS;
        return;
    }
    uint8_t copy[TP_SLOT_HEADER_BYTES];
    memcpy(copy, slot_addr, sizeof(copy));
    if (TP_SEQLOCK_OK != tp_seqlock_read_end(word, first, first >> 1))
    {
        slot->state = TP_INSPECT_SLOT_CHANGING;
        return;
    }
    slot->state = TP_INSPECT_SLOT_COMMITTED;
    tp_inspect_slot_decode_tensor(copy, slot);
}

/* Checks the superblock against itself, the file name and the file size; true when the slots may be read. */
static bool tp_inspect_superblock_check(tp_inspect_region_t *region)
{
    const tp_superblock_t *sb = &region->sb;
    bool usable = true;
    if (TP_SUPERBLOCK_MAGIC != sb->magic)
    {
        tp_inspect_error(region, "bad magic 0x%016" PRIx64 " (expected 0x%016" PRIx64 ")", sb->magic,
                         TP_SUPERBLOCK_MAGIC);
        return false; /* nothing else in a file without our magic means anything */
    }
    if (TP_LAYOUT_VERSION != sb->layout_version)
    {
        tp_inspect_error(region, "layout_version %" PRIu32 " (this tool reads %d)", sb->layout_version,
                         TP_LAYOUT_VERSION);
        usable = false;
    }
    uint64_t unit = 0;
    if (TP_REGION_HEADER_RING == sb->region_type)
    {
        if (TP_SLOT_HEADER_BYTES != sb->slot_bytes)
        {
            tp_inspect_error(region, "slot_bytes %" PRIu32 " (a header ring has %d)", sb->slot_bytes,
                             TP_SLOT_HEADER_BYTES);
            usable = false;
        }
        if (0 != sb->pool_id)
        {
            tp_inspect_error(region, "pool_id %u in a header ring (expected 0)", sb->pool_id);
        }
        unit = TP_SLOT_HEADER_BYTES;
    }
    else if (TP_REGION_PAYLOAD_POOL == sb->region_type)
    {
        if (0 == sb->stride_bytes || 0 != (sb->stride_bytes & (sb->stride_bytes - 1u)))
        {
            tp_inspect_error(region, "stride_bytes %" PRIu32 " is not a power of two", sb->stride_bytes);
            usable = false;
        }
        unit = sb->stride_bytes;
    }
    else
    {
        tp_inspect_error(region, "unknown region_type %d", sb->region_type);
        usable = false;
    }
    if (0 == sb->nslots || 0 != (sb->nslots & (sb->nslots - 1u)))
    {
        tp_inspect_error(region, "nslots %" PRIu32 " is not a power of two", sb->nslots);
        usable = false;
    }
    if (0 != unit)
    {
        /* nslots and unit are both 32-bit, so the product cannot overflow 64 bits. */
        uint64_t needed = TP_SUPERBLOCK_LENGTH + (uint64_t)sb->nslots * unit;
        if (needed > region->file_bytes)
        {
            tp_inspect_error(region,
                             "nslots %" PRIu32 " x %" PRIu64 " bytes needs %" PRIu64 " bytes, the file holds %" PRIu64,
                             sb->nslots, unit, needed, region->file_bytes);
            usable = false;
        }
    }

    /* The canonical names (§15.21a.3) say what the file must hold. */
    const char *slash = strrchr(region->path, '/');
    const char *name = NULL == slash ? region->path : slash + 1;
    unsigned pool_from_name = 0;
    char tail = '\0';
    if (0 == strcmp(name, "header.ring") && TP_REGION_HEADER_RING != sb->region_type)
    {
        tp_inspect_error(region, "header.ring holds region_type %d", sb->region_type);
    }
    else if (2 == sscanf(name, "payload-%u.poo%c", &pool_from_name, &tail) && 'l' == tail &&
             (TP_REGION_PAYLOAD_POOL != sb->region_type || pool_from_name != sb->pool_id))
    {
        tp_inspect_error(region, "%s holds region_type %d pool_id %u", name, sb->region_type, sb->pool_id);
    }
    return usable;
}

/* Everything that touches the mapping; a SIGBUS in here returns to the caller's sigsetjmp. */
/* Keeps a copy of slot when the selection wants it; grows the array as needed (bounded by what is shown). */
static int tp_inspect_slot_keep(tp_inspect_region_t *region, const tp_inspect_select_t *select,
                                const tp_inspect_slot_t *slot)
{
    if (region->slot_count >= select->max_slots || (!select->all_slots && TP_INSPECT_SLOT_COMMITTED != slot->state))
    {
        return 0;
    }
    if (region->slot_count == region->slot_capacity)
    {
        uint32_t capacity = 0 == region->slot_capacity ? 64 : region->slot_capacity * 2;
        tp_inspect_slot_t *slots = realloc(region->slots, (size_t)capacity * sizeof(*slots));
        if (NULL == slots)
        {
            tp_inspect_error(region, "out of memory for %" PRIu32 " slots", capacity);
            return -1;
        }
        region->slots = slots;
        region->slot_capacity = capacity;
    }
    region->slots[region->slot_count++] = *slot;
    return 0;
}

/* Everything that touches the mapping; a SIGBUS in here returns to the caller's sigsetjmp. */
static int tp_inspect_mapped_read(tp_inspect_region_t *region, const tp_inspect_select_t *select, const uint8_t *addr)
{
    uint8_t copy[TP_SUPERBLOCK_LENGTH];
    memcpy(copy, addr, sizeof(copy));
    if (tp_superblock_read(copy, sizeof(copy), &region->sb) < 0)
    {
        tp_inspect_error(region, "superblock does not decode");
        return -1;
    }
    region->superblock_read = true;
    region->pid_alive = tp_inspect_pid_alive(region->sb.pid);
    if (!tp_inspect_superblock_check(region) || TP_REGION_HEADER_RING != region->sb.region_type)
    {
        return 0;
    }
    region->ring_read = true;
    for (uint32_t i = 0; i < region->sb.nslots; i++)
    {
        tp_inspect_slot_t slot;
        tp_inspect_slot_read(addr + TP_SUPERBLOCK_LENGTH + (size_t)i * TP_SLOT_HEADER_BYTES, i, &slot);
        region->committed += TP_INSPECT_SLOT_COMMITTED == slot.state;
        region->in_progress += TP_INSPECT_SLOT_IN_PROGRESS == slot.state;
        region->changing += TP_INSPECT_SLOT_CHANGING == slot.state;
        region->empty += TP_INSPECT_SLOT_EMPTY == slot.state;
        if (tp_inspect_slot_keep(region, select, &slot) < 0)
        {
            return -1;
        }
    }
    return 0;
}

static const char *tp_inspect_file_kind(mode_t mode)
{
    if (S_ISLNK(mode))
    {
        return "a symlink";
    }
    if (S_ISFIFO(mode))
    {
        return "a FIFO";
    }
    if (S_ISSOCK(mode))
    {
        return "a socket";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode))
    {
        return "a device";
    }
    if (S_ISDIR(mode))
    {
        return "a directory";
    }
    return "not a regular file";
}

int tp_inspect_region_read(const char *path, const tp_inspect_select_t *select, tp_inspect_region_t *region)
{
    memset(region, 0, sizeof(*region));
    snprintf(region->path, sizeof(region->path), "%s", path);
    region->now_ns = tp_clock_monotonic_ns();

    struct stat st;
    if (lstat(path, &st) < 0)
    {
        tp_inspect_error(region, "cannot stat: %s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode))
    {
        tp_inspect_error(region, "refused: %s, not a regular file", tp_inspect_file_kind(st.st_mode));
        return -1;
    }
    /* O_NONBLOCK: should a FIFO replace the file after lstat, open must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
    {
        tp_inspect_error(region, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    {
        tp_inspect_error(region, "refused: not a regular file once opened");
        close(fd);
        return -1;
    }
    region->file_bytes = (uint64_t)st.st_size;
    if (region->file_bytes < TP_SUPERBLOCK_LENGTH)
    {
        tp_inspect_error(region, "file of %" PRIu64 " bytes is shorter than the %d-byte superblock", region->file_bytes,
                         TP_SUPERBLOCK_LENGTH);
        close(fd);
        return 0;
    }
    size_t length = (size_t)st.st_size;
    void *addr = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == addr)
    {
        tp_inspect_error(region, "cannot map %zu bytes: %s", length, strerror(errno));
        return 0;
    }

    struct sigaction action;
    struct sigaction previous;
    memset(&action, 0, sizeof(action));
    action.sa_handler = tp_inspect_sigbus_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous);
    if (0 == sigsetjmp(tp_inspect_sigbus_env, 1))
    {
        tp_inspect_sigbus_armed = 1;
        tp_inspect_mapped_read(region, select, addr);
    }
    else
    {
        tp_inspect_error(region, "the file shrank while it was read (SIGBUS); results are partial");
    }
    tp_inspect_sigbus_armed = 0;
    sigaction(SIGBUS, &previous, NULL);
    munmap(addr, length);
    region->valid = 0 == region->error_count;
    return 0;
}

void tp_inspect_region_free(tp_inspect_region_t *region)
{
    free(region->slots);
    region->slots = NULL;
}
