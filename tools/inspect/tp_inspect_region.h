/*
 * Reading one region file for tp_shm_inspect, strictly read-only: the file is opened O_RDONLY|O_NOFOLLOW|
 * O_NONBLOCK (a FIFO must not block us), checked with fstat to be a regular file, mapped PROT_READ/MAP_SHARED and
 * never written or locked. The superblock and every slot are copied out before they are looked at, each slot
 * under the seqlock protocol of tp_seqlock.h, so a producer writing meanwhile yields "in progress" or "changing",
 * never a mixed record. The file size is checked against nslots * slot/stride bytes before any slot is touched,
 * and a SIGBUS (the file shrank under the mapping) ends the read of that file with an error instead of a crash.
 */
#ifndef TENSORPOOL_TP_INSPECT_REGION_H
#define TENSORPOOL_TP_INSPECT_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/tp_superblock.h"
#include "tensorpool/tp_tensor.h"

#define TP_INSPECT_ERRORS_MAX 8
#define TP_INSPECT_TEXT_MAX   256

typedef enum tp_inspect_slot_state_en
{
    TP_INSPECT_SLOT_EMPTY = 0,       /* seq_commit 0: never written */
    TP_INSPECT_SLOT_IN_PROGRESS = 1, /* commit bit clear: the producer is writing it */
    TP_INSPECT_SLOT_CHANGING = 2,    /* seq_commit changed while we copied it: a torn read, discarded */
    TP_INSPECT_SLOT_COMMITTED = 3,
} tp_inspect_slot_state_t;

typedef struct tp_inspect_slot_stct
{
    uint32_t index;
    tp_inspect_slot_state_t state;
    uint64_t seq; /* seq_commit >> 1 */
    uint32_t values_len_bytes;
    uint32_t payload_slot;
    uint16_t pool_id;
    uint32_t payload_offset;
    uint64_t timestamp_ns;
    uint32_t meta_version;
    bool tensor_ok;                         /* the embedded TensorHeader decoded */
    char tensor_error[TP_INSPECT_TEXT_MAX]; /* why not, when !tensor_ok on a committed slot */
    int dtype;
    int major_order;
    uint8_t ndims;
    int32_t dims[TP_MAX_DIMS];
    int32_t strides[TP_MAX_DIMS];
} tp_inspect_slot_t;

/* Which slots to keep for display (all are counted): committed ones by default, every state with all_slots. */
typedef struct tp_inspect_select_stct
{
    bool all_slots;
    uint32_t max_slots; /* at most this many (UINT32_MAX: no limit) */
} tp_inspect_select_t;

typedef struct tp_inspect_region_stct
{
    char path[4096];
    uint64_t file_bytes;
    bool superblock_read; /* the file held the 64 bytes, so sb is meaningful */
    bool valid;           /* no errors */
    tp_superblock_t sb;
    bool pid_alive;
    uint64_t now_ns; /* CLOCK_MONOTONIC when read, the clock of the timestamps */
    size_t error_count;
    char errors[TP_INSPECT_ERRORS_MAX][TP_INSPECT_TEXT_MAX];
    bool ring_read;           /* the slots were read: the counts below are meaningful */
    tp_inspect_slot_t *slots; /* the selected slots, in index order (bounded by max_slots, not by nslots) */
    uint32_t slot_count;
    uint32_t slot_capacity;
    uint32_t committed;
    uint32_t in_progress;
    uint32_t changing;
    uint32_t empty;
} tp_inspect_region_t;

/*
 * Read the region at path. Returns 0 when it could be read at all (region->valid tells whether it passed
 * validation; region->errors say why not), or -1 when it is not a file we may open (symlink, FIFO, device,
 * socket, missing, unreadable), with the reason in region->errors[0]. Free with tp_inspect_region_free.
 */
int tp_inspect_region_read(const char *path, const tp_inspect_select_t *select, tp_inspect_region_t *region);
void tp_inspect_region_free(tp_inspect_region_t *region);

/* Names for the registries; unknown values give NULL. */
const char *tp_inspect_region_type_name(int region_type);
const char *tp_inspect_dtype_name(int dtype);
const char *tp_inspect_slot_state_name(tp_inspect_slot_state_t state);

#endif /* TENSORPOOL_TP_INSPECT_REGION_H */
