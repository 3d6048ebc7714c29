/*
 * Internal state of tensorpool's aeronc.h client. Not installed. Internal non-static functions carry aeron_
 * names, like the official client's private headers, so that the library exports only aeronc.h plus these.
 */
#ifndef TENSORPOOL_AERON_CLIENT_PRIVATE_H
#define TENSORPOOL_AERON_CLIENT_PRIVATE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "aeronc.h"

#if defined(__GNUC__)
#define AERON_PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define AERON_PRINTF_LIKE(a, b)
#endif

/* ---- errors (thread-local, read by aeron_errcode / aeron_errmsg) ---- */
void aeron_err_set(int errcode, const char *format, ...) AERON_PRINTF_LIKE(2, 3);
void aeron_err_append(const char *format, ...) AERON_PRINTF_LIKE(1, 2);
void aeron_err_clear(void);

#define AERON_ERROR_CODE_GENERIC_ERROR 11
#define AERON_VERSION_MAJOR_VALUE      1
#define AERON_VERSION_MINOR_VALUE      48
#define AERON_VERSION_PATCH_VALUE      0

/* ---- small helpers ---- */
#define AERON_ALIGN(v, a) (((v) + ((a)-1)) & ~((a)-1))

typedef struct aeron_client_conductor_stct aeron_client_conductor_t;

/* ---- context ---- */
struct aeron_context_stct
{
    char *aeron_dir;
    char *client_name;
    uint64_t driver_timeout_ms;
    uint64_t keepalive_interval_ns;
    uint64_t resource_linger_duration_ns;
    uint64_t idle_sleep_duration_ns;
    bool pre_touch_mapped_memory;
    bool use_conductor_agent_invoker;

    aeron_error_handler_t error_handler;
    void *error_handler_clientd;
    aeron_on_new_publication_t on_new_publication;
    void *on_new_publication_clientd;
    aeron_on_new_publication_t on_new_exclusive_publication;
    void *on_new_exclusive_publication_clientd;
    aeron_on_new_subscription_t on_new_subscription;
    void *on_new_subscription_clientd;
    aeron_on_available_counter_t on_available_counter;
    void *on_available_counter_clientd;
    aeron_on_unavailable_counter_t on_unavailable_counter;
    void *on_unavailable_counter_clientd;
    aeron_on_close_client_t on_close_client;
    void *on_close_client_clientd;
    aeron_agent_on_start_func_t agent_on_start;
    void *agent_on_start_state;
};

int aeron_context_parse_duration_ns(const char *text, uint64_t *out);

/* ---- counters reader: a view of the CnC counters sections ---- */
struct aeron_counters_reader_stct
{
    uint8_t *values;
    uint8_t *metadata;
    size_t values_length;
    size_t metadata_length;
    int32_t max_counter_id;
};

void aeron_counters_reader_wrap(aeron_counters_reader_t *reader, uint8_t *metadata, size_t metadata_length,
                                uint8_t *values, size_t values_length);

/* ---- mapped log buffers, shared by every publication / image with the same original registration id ---- */
struct aeron_log_buffer_stct
{
    int64_t correlation_id;
    uint8_t *addr;
    size_t length;
    uint8_t *terms[3];
    uint8_t *metadata;
    int32_t term_length;
    int32_t mtu_length;
    int32_t initial_term_id;
    size_t position_bits_to_shift;
    int64_t refcnt; /* conductor thread only */
    struct aeron_log_buffer_stct *next;
};

/* ---- header handed to fragment handlers ---- */
struct aeron_header_stct
{
    aeron_header_values_frame_t *frame;
    int32_t initial_term_id;
    size_t position_bits_to_shift;
    int32_t next_term_offset_override; /* assembled messages: end of the last fragment; 0 = from frame */
    void *context;
};

/* ---- publications ---- */
typedef struct aeron_publication_log_stct
{
    aeron_log_buffer_t *log_buffer;
    uint8_t *terms[3];
    volatile int64_t *tails;
    volatile int32_t *active_term_count;
    volatile int32_t *is_connected;
    volatile int64_t *position_limit;
    uint8_t default_header[32];
    /* The default header as the words the offer path stores: version byte, session id << 32, stream id. */
    uint32_t header_version;
    uint64_t header_session_id_high;
    uint64_t header_stream_id_low;
    int64_t max_possible_position;
    int32_t term_length;
    int32_t initial_term_id;
    int32_t max_payload_length;
    int32_t max_message_length;
    size_t position_bits_to_shift;
} aeron_publication_log_t;

/* Fills aeron_publication_constants_t from either publication type: both carry the same identity fields and log. */
#define AERON_PUBLICATION_FILL_CONSTANTS(publication, constants)                                 \
    do                                                                                           \
    {                                                                                            \
        (constants)->channel = (publication)->channel;                                           \
        (constants)->original_registration_id = (publication)->original_registration_id;         \
        (constants)->registration_id = (publication)->registration_id;                           \
        (constants)->max_possible_position = (publication)->log.max_possible_position;           \
        (constants)->position_bits_to_shift = (publication)->log.position_bits_to_shift;         \
        (constants)->term_buffer_length = (size_t)(publication)->log.term_length;                \
        (constants)->max_message_length = (size_t)(publication)->log.max_message_length;         \
        (constants)->max_payload_length = (size_t)(publication)->log.max_payload_length;         \
        (constants)->stream_id = (publication)->stream_id;                                       \
        (constants)->session_id = (publication)->session_id;                                     \
        (constants)->initial_term_id = (publication)->log.initial_term_id;                       \
        (constants)->publication_limit_counter_id = (publication)->publication_limit_counter_id; \
        (constants)->channel_status_indicator_id = (publication)->channel_status_indicator_id;   \
    } while (0)

struct aeron_publication_stct
{
    aeron_publication_log_t log;
    volatile bool is_closed;
    aeron_client_conductor_t *conductor;
    char *channel;
    int64_t registration_id;
    int64_t original_registration_id;
    int32_t stream_id;
    int32_t session_id;
    int32_t publication_limit_counter_id;
    int32_t channel_status_indicator_id;
    volatile int64_t *channel_status_indicator; /* NULL for IPC */
    struct aeron_publication_stct *next;
};

struct aeron_exclusive_publication_stct
{
    aeron_publication_log_t log;
    volatile bool is_closed;
    int32_t term_id;
    int32_t term_offset;
    int32_t active_partition_index;
    int64_t term_begin_position;
    aeron_client_conductor_t *conductor;
    char *channel;
    int64_t registration_id;
    int64_t original_registration_id;
    int32_t stream_id;
    int32_t session_id;
    int32_t publication_limit_counter_id;
    int32_t channel_status_indicator_id;
    volatile int64_t *channel_status_indicator; /* NULL for IPC */
    struct aeron_exclusive_publication_stct *next;
};

/* ---- images and subscriptions ---- */
struct aeron_image_stct
{
    aeron_client_conductor_t *conductor;
    aeron_subscription_t *subscription;
    aeron_log_buffer_t *log_buffer;
    uint8_t *terms[3];
    volatile int64_t *subscriber_position;
    volatile int64_t *end_of_stream_position;
    volatile int32_t *active_transport_count;
    char *source_identity;
    int64_t correlation_id;
    int64_t subscription_registration_id;
    int64_t join_position;
    int64_t final_position;
    int64_t linger_deadline_ns;
    volatile int64_t refcnt;
    int32_t session_id;
    int32_t stream_id;
    int32_t term_length_mask;
    int32_t initial_term_id;
    int32_t term_length;
    int32_t mtu_length;
    int32_t subscriber_position_id;
    size_t position_bits_to_shift;
    volatile bool is_closed;
    struct aeron_image_stct *next_lingering;
};

typedef struct aeron_image_list_stct
{
    size_t length;
    struct aeron_image_list_stct *next_lingering;
    int64_t linger_deadline_ns;
    aeron_image_t *images[];
} aeron_image_list_t;

struct aeron_subscription_stct
{
    aeron_image_list_t *volatile image_list;
    size_t round_robin_index;
    volatile bool is_closed;
    aeron_client_conductor_t *conductor;
    char *channel;
    int64_t registration_id;
    int32_t stream_id;
    int32_t channel_status_indicator_id;
    volatile int64_t *channel_status_indicator; /* NULL for IPC */
    aeron_on_available_image_t on_available_image;
    void *on_available_image_clientd;
    aeron_on_unavailable_image_t on_unavailable_image;
    void *on_unavailable_image_clientd;
    struct aeron_subscription_stct *next;
};

/* ---- asynchronous adds ---- */
typedef enum aeron_client_registration_status_en
{
    AERON_CLIENT_AWAITING_MEDIA_DRIVER = 0,
    AERON_CLIENT_REGISTERED_MEDIA_DRIVER = 1,
    AERON_CLIENT_ERRORED_MEDIA_DRIVER = 2,
    AERON_CLIENT_TIMEOUT_MEDIA_DRIVER = 3,
} aeron_client_registration_status_t;

typedef enum aeron_client_resource_type_en
{
    AERON_CLIENT_TYPE_PUBLICATION = 1,
    AERON_CLIENT_TYPE_EXCLUSIVE_PUBLICATION = 2,
    AERON_CLIENT_TYPE_SUBSCRIPTION = 3,
    AERON_CLIENT_TYPE_COUNTER = 4,
} aeron_client_resource_type_t;

struct aeron_client_registering_resource_stct
{
    aeron_client_conductor_t *conductor;
    aeron_client_resource_type_t type;
    volatile int32_t status; /* aeron_client_registration_status_t, published with release */
    int64_t registration_id;
    int64_t deadline_ns;
    char *channel;
    int32_t stream_id;
    int32_t error_code;
    char *error_message;
    void *resource; /* the publication / subscription / counter once ready */
    int32_t counter_type_id;
    uint8_t *counter_key;
    size_t counter_key_length;
    char *counter_label;
    size_t counter_label_length;
    aeron_on_available_image_t on_available_image;
    void *on_available_image_clientd;
    aeron_on_unavailable_image_t on_unavailable_image;
    void *on_unavailable_image_clientd;
    struct aeron_client_registering_resource_stct *next;
};

/* ---- counters added by this client ---- */
struct aeron_counter_stct
{
    volatile int64_t *value;
    volatile bool is_closed;
    aeron_client_conductor_t *conductor;
    int64_t registration_id;
    int32_t counter_id;
    struct aeron_counter_stct *next;
};

int aeron_client_conductor_async_add_counter(aeron_client_conductor_t *conductor,
                                             struct aeron_client_registering_resource_stct **async, int32_t type_id,
                                             const uint8_t *key, size_t key_length, const char *label,
                                             size_t label_length);
int aeron_client_conductor_close_counter(aeron_client_conductor_t *conductor, aeron_counter_t *counter);

/* ---- the client ---- */
struct aeron_stct
{
    aeron_context_t *context;
    aeron_client_conductor_t *conductor;
    pthread_t conductor_thread;
    bool thread_started;
    volatile bool running;
};

int aeron_client_conductor_create(aeron_client_conductor_t **conductor, aeron_context_t *context);
int aeron_client_conductor_do_work(aeron_client_conductor_t *conductor);
void aeron_client_conductor_delete(aeron_client_conductor_t *conductor);
bool aeron_client_conductor_is_closed(aeron_client_conductor_t *conductor);
int64_t aeron_client_conductor_client_id(aeron_client_conductor_t *conductor);
int64_t aeron_client_conductor_next_correlation_id(aeron_client_conductor_t *conductor);
aeron_counters_reader_t *aeron_client_conductor_counters_reader(aeron_client_conductor_t *conductor);

int aeron_client_conductor_async_add(aeron_client_conductor_t *conductor,
                                     struct aeron_client_registering_resource_stct **async,
                                     aeron_client_resource_type_t type, const char *uri, int32_t stream_id,
                                     aeron_on_available_image_t on_available_image, void *on_available_image_clientd,
                                     aeron_on_unavailable_image_t on_unavailable_image,
                                     void *on_unavailable_image_clientd);
int aeron_client_conductor_async_poll(struct aeron_client_registering_resource_stct *async, void **resource);

int aeron_client_conductor_close_publication(aeron_client_conductor_t *conductor, aeron_publication_t *publication);
int aeron_client_conductor_close_exclusive_publication(aeron_client_conductor_t *conductor,
                                                       aeron_exclusive_publication_t *publication);
int aeron_client_conductor_close_subscription(aeron_client_conductor_t *conductor, aeron_subscription_t *subscription);

/* ---- internal constructors used by the conductor ---- */
void aeron_publication_log_init(aeron_publication_log_t *log, aeron_log_buffer_t *log_buffer, int64_t *position_limit);
void aeron_exclusive_publication_init_position(aeron_exclusive_publication_t *publication);
int aeron_image_create(aeron_image_t **image, aeron_client_conductor_t *conductor, aeron_subscription_t *subscription,
                       aeron_log_buffer_t *log_buffer, int64_t *subscriber_position, int32_t subscriber_position_id,
                       int64_t correlation_id, int32_t session_id, const char *source_identity,
                       size_t source_identity_length);
void aeron_image_delete(aeron_image_t *image);

/* Log-buffer metadata offsets (fact sheet §7) and frame layout (§8). */
#define AERON_LOG_META_TAIL_OFFSET                   0
#define AERON_LOG_META_ACTIVE_TERM_COUNT_OFFSET      24
#define AERON_LOG_META_END_OF_STREAM_OFFSET          128
#define AERON_LOG_META_IS_CONNECTED_OFFSET           136
#define AERON_LOG_META_ACTIVE_TRANSPORT_COUNT_OFFSET 140
#define AERON_LOG_META_CORRELATION_ID_OFFSET         256
#define AERON_LOG_META_INITIAL_TERM_ID_OFFSET        264
#define AERON_LOG_META_MTU_OFFSET                    272
#define AERON_LOG_META_TERM_LENGTH_OFFSET            276
#define AERON_LOG_META_PAGE_SIZE_OFFSET              280
#define AERON_LOG_META_DEFAULT_HEADER_OFFSET         320
#define AERON_LOG_META_LENGTH                        4096

#define AERON_CHANNEL_STATUS_NO_ID_ALLOCATED (-1)

#define AERON_FRAME_HEADER_LENGTH         32
#define AERON_FRAME_ALIGNMENT             32
#define AERON_FRAME_TYPE_OFFSET           6
#define AERON_FRAME_FLAGS_OFFSET          5
#define AERON_FRAME_TERM_OFFSET_OFFSET    8
#define AERON_FRAME_TERM_ID_OFFSET        20
#define AERON_FRAME_RESERVED_VALUE_OFFSET 24
#define AERON_FRAME_TYPE_PAD              0
#define AERON_FRAME_TYPE_DATA             1
#define AERON_FRAME_BEGIN_FLAG            0x80
#define AERON_FRAME_END_FLAG              0x40
#define AERON_FRAME_UNFRAGMENTED          0xC0

static inline int32_t aeron_log_term_count(int32_t term_id, int32_t initial_term_id)
{
    return (int32_t)((uint32_t)term_id - (uint32_t)initial_term_id);
}

static inline int64_t aeron_log_compute_position(int32_t term_id, int32_t term_offset, size_t bits_to_shift,
                                                 int32_t initial_term_id)
{
    return ((int64_t)aeron_log_term_count(term_id, initial_term_id) << bits_to_shift) + term_offset;
}

int aeron_log_buffer_map(aeron_log_buffer_t **log_buffer, const char *path, int64_t correlation_id, bool pre_touch);
void aeron_log_buffer_unmap(aeron_log_buffer_t *log_buffer);

#endif /* TENSORPOOL_AERON_CLIENT_PRIVATE_H */

/* ---- CnC mapping shared by the client conductor, aeron_cnc_* and aeron_is_driver_active ---- */
typedef struct aeron_cnc_mapping_stct
{
    uint8_t *addr;
    size_t length;
    char filename[4096];
} aeron_cnc_mapping_t;

/*
 * Maps <dir>/cnc.dat once the driver has published it: waits (until timeout_ms) for the file, a non-zero
 * version and a non-zero driver heartbeat; refuses a different major version at once and a file shorter than
 * its sections once the wait is over. With require_fresh_heartbeat, a heartbeat older than timeout_ms is
 * retried until the deadline, then refused.
 */
int aeron_cnc_mapping_open(aeron_cnc_mapping_t *mapping, const char *dir, int64_t timeout_ms,
                           bool require_fresh_heartbeat);
void aeron_cnc_mapping_close(aeron_cnc_mapping_t *mapping);
int64_t aeron_cnc_mapping_driver_heartbeat_ms(aeron_cnc_mapping_t *mapping);
