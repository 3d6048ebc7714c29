/* Internals of the SHM driver core shared by its files (core lifecycle/timers, streams and regions, messages). */
#ifndef TENSORPOOL_TP_DRIVER_CORE_PRIVATE_H
#define TENSORPOOL_TP_DRIVER_CORE_PRIVATE_H

#include <limits.h>
#include <stdarg.h>
#include <sys/types.h>

#include "common/tp_error_private.h"
#include "driver/tp_driver_core.h"
#include "shm/tp_shm_layout.h"
#include "shm/tp_shm_region.h"

#define TP_DRIVER_SCHEMA_ID 901
/* Active leases one driver holds at most: a flood of distinct client ids is refused, not grown into. */
#define TP_DRIVER_MAX_LEASES        65536
#define TP_DRIVER_SCHEMA_VERSION    1
#define TP_DRIVER_MAX_DIMS          8 /* wire schema MaxDimsConst */
#define TP_DRIVER_ERROR_MESSAGE_MAX 1024
#define TP_DRIVER_URI_MAX           (PATH_MAX + 64)
#define TP_DRIVER_SCRATCH_BYTES     (65536 + (TP_DRIVER_MAX_POOLS + 1) * TP_DRIVER_URI_MAX)

/* Wire values of the driver schema enums (Appendix A). */
#define TP_DRIVER_ROLE_PRODUCER      1
#define TP_DRIVER_ROLE_CONSUMER      2
#define TP_DRIVER_PUBLISH_REQUIRE    1
#define TP_DRIVER_PUBLISH_CREATE     2
#define TP_DRIVER_PUBLISH_NULL       255
#define TP_DRIVER_HUGEPAGES_UNSPEC   0
#define TP_DRIVER_HUGEPAGES_STANDARD 1
#define TP_DRIVER_HUGEPAGES_REQUIRED 2
#define TP_DRIVER_REVOKE_DETACHED    1
#define TP_DRIVER_REVOKE_EXPIRED     2
#define TP_DRIVER_REVOKE_REVOKED     3

typedef enum tp_driver_code_en
{
    TP_DRIVER_CODE_OK = 0,
    TP_DRIVER_CODE_UNSUPPORTED = 1,
    TP_DRIVER_CODE_INVALID_PARAMS = 2,
    TP_DRIVER_CODE_REJECTED = 3,
    TP_DRIVER_CODE_INTERNAL_ERROR = 4,
} tp_driver_code_t;

typedef struct tp_driver_lease_stct
{
    uint64_t lease_id;
    uint32_t stream_id;
    uint32_t client_id;
    uint8_t role;
    int64_t correlation_id; /* of the attach that created it: a retry with the same id is answered again */
    uint64_t expiry_ns;     /* monotonic */
} tp_driver_lease_t;

typedef struct tp_driver_stream_stct
{
    uint32_t stream_id;
    bool dynamic;
    tp_driver_profile_t profile; /* copied: a stream keeps its layout for its lifetime */
    tp_shm_layout_t layout;      /* base, namespace, "<instance>.stream-<id>", current epoch */
    char instance_dir[PATH_MAX];
    uint64_t epoch;   /* current epoch, 0 before the first regions */
    bool has_regions; /* mapped regions of `epoch` exist */
    bool hugepages;   /* regions live on hugetlbfs */
    tp_shm_region_t header;
    tp_shm_region_t pools[TP_DRIVER_MAX_POOLS];
    char header_uri[TP_DRIVER_URI_MAX];
    char pool_uris[TP_DRIVER_MAX_POOLS][TP_DRIVER_URI_MAX];
    uint64_t producer_lease_id; /* 0: no producer attached */
    uint32_t producer_client_id;
    uint64_t next_announce_ns;
} tp_driver_stream_t;

struct tp_driver_core_stct
{
    tp_driver_config_t config;
    tp_driver_core_context_t ctx;
    tp_driver_counters_t counters;
    tp_driver_state_t state;
    pid_t pid;
    uint32_t dir_mode;
    tp_driver_stream_t **streams;
    size_t stream_count;
    size_t stream_capacity;
    tp_driver_lease_t *leases; /* active leases only: invalidated ones are removed */
    size_t lease_count;
    uint64_t next_expiry_ns; /* no lease expires before this: the duty cycle skips the scan until then */
    size_t lease_capacity;
    uint64_t next_lease_id;
    uint64_t drain_deadline_ns;
    uint64_t next_summary_ns;        /* rate-limited log summaries (tp_driver_core.c) */
    tp_driver_counters_t summarised; /* counters at the last summary */
    uint8_t shutdown_reason;
    char shutdown_message[TP_DRIVER_ERROR_MESSAGE_MAX + 1];
    char error_message[TP_DRIVER_ERROR_MESSAGE_MAX + 1];
    uint8_t scratch[TP_DRIVER_SCRATCH_BYTES];
};

/* tp_driver_core.c */
uint64_t tp_driver_now_ns(const tp_driver_core_t *core);
uint64_t tp_driver_realtime_ns(const tp_driver_core_t *core);
void tp_driver_log(tp_driver_core_t *core, tp_log_level_t level, const char *format, ...) TP_PRINTF_LIKE(3, 4);
int tp_driver_emit(tp_driver_core_t *core, bool announce_stream, const uint8_t *buffer, size_t length);

/* tp_driver_leases.c */
tp_driver_lease_t *tp_driver_lease_find(tp_driver_core_t *core, uint64_t lease_id);
tp_driver_lease_t *tp_driver_lease_find_client(tp_driver_core_t *core, uint32_t client_id);
tp_driver_lease_t *tp_driver_lease_add(tp_driver_core_t *core);
void tp_driver_lease_remove(tp_driver_core_t *core, tp_driver_lease_t *lease);
uint64_t tp_driver_lease_duration_ns(const tp_driver_core_t *core);
/* Invalidate: ShmLeaseRevoked(reason) then, for a producer lease, the epoch bump + announce. The detach response
 * (if any) goes out between the two through `between`. */
void tp_driver_lease_invalidate(tp_driver_core_t *core, tp_driver_lease_t *lease, uint8_t reason, uint64_t now_ns,
                                int64_t detach_correlation_id, bool send_detach_response);

/* tp_driver_streams.c */
tp_driver_stream_t *tp_driver_stream_find(tp_driver_core_t *core, uint32_t stream_id);
tp_driver_stream_t *tp_driver_stream_add(tp_driver_core_t *core, uint32_t stream_id, const tp_driver_profile_t *profile,
                                         bool dynamic);
/* Unmapped regions of the current epoch -> fresh regions in a new epoch (first epoch when none yet), announce.
 * 0 / -1 (tp_errmsg()). */
int tp_driver_stream_new_epoch(tp_driver_core_t *core, tp_driver_stream_t *stream, uint64_t now_ns, bool announce);
/* Unmap; when remove_files, unlink the region files and remove the epoch dirs (keep 0). */
void tp_driver_stream_release(tp_driver_core_t *core, tp_driver_stream_t *stream, bool remove_files);
void tp_driver_stream_gc(tp_driver_core_t *core, tp_driver_stream_t *stream);
bool tp_driver_base_is_hugetlbfs(const tp_driver_core_t *core);
uint64_t tp_driver_next_epoch(const char *instance_dir, uint64_t realtime_us);

/* tp_driver_messages.c */
int tp_driver_send_announce(tp_driver_core_t *core, tp_driver_stream_t *stream, uint64_t now_ns);
int tp_driver_send_attach_response(tp_driver_core_t *core, int64_t correlation_id, tp_driver_code_t code,
                                   const tp_driver_lease_t *lease, const tp_driver_stream_t *stream,
                                   const char *error_message);
int tp_driver_send_detach_response(tp_driver_core_t *core, int64_t correlation_id, tp_driver_code_t code,
                                   const char *error_message);
int tp_driver_send_lease_revoked(tp_driver_core_t *core, const tp_driver_lease_t *lease, uint8_t reason,
                                 const char *message);
int tp_driver_send_shutdown(tp_driver_core_t *core, uint8_t reason, const char *message);
int tp_driver_messages_dispatch(tp_driver_core_t *core, const uint8_t *buffer, size_t length);

/* tp_driver_attach.c */
typedef struct tp_driver_attach_request_stct
{
    int64_t correlation_id;
    uint32_t stream_id;
    uint32_t client_id;
    uint8_t role;
    uint32_t expected_layout_version;
    uint8_t max_dims;
    uint8_t publish_mode;
    uint8_t require_hugepages;
} tp_driver_attach_request_t;

void tp_driver_attach(tp_driver_core_t *core, const tp_driver_attach_request_t *request, uint64_t now_ns);
/* Reject with a formatted message naming the rule and the values. */
void tp_driver_attach_reject(tp_driver_core_t *core, int64_t correlation_id, tp_driver_code_t code, const char *format,
                             ...) TP_PRINTF_LIKE(4, 5);

#endif /* TENSORPOOL_TP_DRIVER_CORE_PRIVATE_H */
