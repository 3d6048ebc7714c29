/*
 * tensorpool's Aeron client: the C API of the official Aeron client (aeronc.h, release 1.47/1.48, CnC 0.2.0),
 * reimplemented for shared-memory (aeron:ipc) use. A program that uses only the functions declared here builds
 * unchanged against this header or the official one, and this client talks to either the official media driver
 * or tensorpool's embedded one.
 *
 * Conventions as in the official client: setup calls return 0 on success and -1 on error with the reason in
 * aeron_errcode() / aeron_errmsg() (thread-local); offer / try_claim return a new stream position or one of the
 * AERON_PUBLICATION_* codes; poll calls return the number of fragments handled or -1.
 */
#ifndef AERON_C_H
#define AERON_C_H

#ifdef __cplusplus
extern "C"
{
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define AERON_NULL_VALUE (-1)

#define AERON_CLIENT_ERROR_DRIVER_TIMEOUT            (-1000)
#define AERON_CLIENT_ERROR_CLIENT_TIMEOUT            (-1001)
#define AERON_CLIENT_ERROR_CONDUCTOR_SERVICE_TIMEOUT (-1002)
#define AERON_CLIENT_ERROR_BUFFER_FULL               (-1003)
#define AERON_CLIENT_MAX_LOCAL_ADDRESS_STR_LEN       (64)

typedef struct aeron_context_stct aeron_context_t;
typedef struct aeron_stct aeron_t;
typedef struct aeron_buffer_claim_stct aeron_buffer_claim_t;
typedef struct aeron_publication_stct aeron_publication_t;
typedef struct aeron_exclusive_publication_stct aeron_exclusive_publication_t;
typedef struct aeron_header_stct aeron_header_t;

#pragma pack(push)
#pragma pack(4)
/* The 32-byte data frame header exactly as it sits in the log. */
struct aeron_header_values_frame_stct
{
    int32_t frame_length;
    int8_t version;
    uint8_t flags;
    int16_t type;
    int32_t term_offset;
    int32_t session_id;
    int32_t stream_id;
    int32_t term_id;
    int64_t reserved_value;
};
typedef struct aeron_header_values_frame_stct aeron_header_values_frame_t;

typedef struct aeron_header_values_stct
{
    aeron_header_values_frame_t frame;
    int32_t initial_term_id;
    size_t position_bits_to_shift;
} aeron_header_values_t;
#pragma pack(pop)

typedef struct aeron_subscription_stct aeron_subscription_t;
typedef struct aeron_image_stct aeron_image_t;
typedef struct aeron_counter_stct aeron_counter_t;
typedef struct aeron_log_buffer_stct aeron_log_buffer_t;
typedef struct aeron_counters_reader_stct aeron_counters_reader_t;

typedef struct aeron_client_registering_resource_stct aeron_async_add_publication_t;
typedef struct aeron_client_registering_resource_stct aeron_async_add_exclusive_publication_t;
typedef struct aeron_client_registering_resource_stct aeron_async_add_subscription_t;
typedef struct aeron_client_registering_resource_stct aeron_async_add_counter_t;

typedef struct aeron_image_fragment_assembler_stct aeron_image_fragment_assembler_t;
typedef struct aeron_image_controlled_fragment_assembler_stct aeron_image_controlled_fragment_assembler_t;
typedef struct aeron_fragment_assembler_stct aeron_fragment_assembler_t;
typedef struct aeron_controlled_fragment_assembler_stct aeron_controlled_fragment_assembler_t;

/* ---- Context ---------------------------------------------------------------------------------------------- */

#define AERON_DIR_ENV_VAR "AERON_DIR"
int aeron_context_set_dir(aeron_context_t *context, const char *value);
const char *aeron_context_get_dir(aeron_context_t *context);

#define AERON_DRIVER_TIMEOUT_ENV_VAR "AERON_DRIVER_TIMEOUT"
int aeron_context_set_driver_timeout_ms(aeron_context_t *context, uint64_t value);
uint64_t aeron_context_get_driver_timeout_ms(aeron_context_t *context);

int aeron_context_set_keepalive_interval_ns(aeron_context_t *context, uint64_t value);
uint64_t aeron_context_get_keepalive_interval_ns(aeron_context_t *context);

#define AERON_CLIENT_RESOURCE_LINGER_DURATION_ENV_VAR "AERON_CLIENT_RESOURCE_LINGER_DURATION"
int aeron_context_set_resource_linger_duration_ns(aeron_context_t *context, uint64_t value);
uint64_t aeron_context_get_resource_linger_duration_ns(aeron_context_t *context);

#define AERON_CLIENT_IDLE_SLEEP_DURATION_ENV_VAR "AERON_CLIENT_IDLE_SLEEP_DURATION"
uint64_t aeron_context_get_idle_sleep_duration_ns(aeron_context_t *context);
int aeron_context_set_idle_sleep_duration_ns(aeron_context_t *context, uint64_t value);

#define AERON_CLIENT_PRE_TOUCH_MAPPED_MEMORY_ENV_VAR "AERON_CLIENT_PRE_TOUCH_MAPPED_MEMORY"
int aeron_context_set_pre_touch_mapped_memory(aeron_context_t *context, bool value);
bool aeron_context_get_pre_touch_mapped_memory(aeron_context_t *context);

#define AERON_CLIENT_NAME_ENV_VAR "AERON_CLIENT_NAME"
int aeron_context_set_client_name(aeron_context_t *context, const char *value);
const char *aeron_context_get_client_name(aeron_context_t *context);

typedef void (*aeron_error_handler_t)(void *clientd, int errcode, const char *message);
typedef void (*aeron_notification_t)(void *clientd);

int aeron_context_set_error_handler(aeron_context_t *context, aeron_error_handler_t handler, void *clientd);
aeron_error_handler_t aeron_context_get_error_handler(aeron_context_t *context);
void *aeron_context_get_error_handler_clientd(aeron_context_t *context);

typedef void (*aeron_on_new_publication_t)(void *clientd, aeron_async_add_publication_t *async, const char *channel,
                                           int32_t stream_id, int32_t session_id, int64_t correlation_id);

int aeron_context_set_on_new_publication(aeron_context_t *context, aeron_on_new_publication_t handler, void *clientd);
aeron_on_new_publication_t aeron_context_get_on_new_publication(aeron_context_t *context);
void *aeron_context_get_on_new_publication_clientd(aeron_context_t *context);

int aeron_context_set_on_new_exclusive_publication(aeron_context_t *context, aeron_on_new_publication_t handler,
                                                   void *clientd);
aeron_on_new_publication_t aeron_context_get_on_new_exclusive_publication(aeron_context_t *context);
void *aeron_context_get_on_new_exclusive_publication_clientd(aeron_context_t *context);

typedef void (*aeron_on_new_subscription_t)(void *clientd, aeron_async_add_subscription_t *async, const char *channel,
                                            int32_t stream_id, int64_t correlation_id);

int aeron_context_set_on_new_subscription(aeron_context_t *context, aeron_on_new_subscription_t handler, void *clientd);
aeron_on_new_subscription_t aeron_context_get_on_new_subscription(aeron_context_t *context);
void *aeron_context_get_on_new_subscription_clientd(aeron_context_t *context);

typedef void (*aeron_on_available_image_t)(void *clientd, aeron_subscription_t *subscription, aeron_image_t *image);
typedef void (*aeron_on_unavailable_image_t)(void *clientd, aeron_subscription_t *subscription, aeron_image_t *image);

typedef void (*aeron_on_available_counter_t)(void *clientd, aeron_counters_reader_t *counters_reader,
                                             int64_t registration_id, int32_t counter_id);
int aeron_context_set_on_available_counter(aeron_context_t *context, aeron_on_available_counter_t handler,
                                           void *clientd);
aeron_on_available_counter_t aeron_context_get_on_available_counter(aeron_context_t *context);
void *aeron_context_get_on_available_counter_clientd(aeron_context_t *context);

typedef void (*aeron_on_unavailable_counter_t)(void *clientd, aeron_counters_reader_t *counters_reader,
                                               int64_t registration_id, int32_t counter_id);
int aeron_context_set_on_unavailable_counter(aeron_context_t *context, aeron_on_unavailable_counter_t handler,
                                             void *clientd);
aeron_on_unavailable_counter_t aeron_context_get_on_unavailable_counter(aeron_context_t *context);
void *aeron_context_get_on_unavailable_counter_clientd(aeron_context_t *context);

typedef void (*aeron_on_close_client_t)(void *clientd);
int aeron_context_set_on_close_client(aeron_context_t *context, aeron_on_close_client_t handler, void *clientd);
aeron_on_close_client_t aeron_context_get_on_close_client(aeron_context_t *context);
void *aeron_context_get_on_close_client_clientd(aeron_context_t *context);

/* true: no conductor thread is started; the application drives the client with aeron_main_do_work(). */
int aeron_context_set_use_conductor_agent_invoker(aeron_context_t *context, bool value);
bool aeron_context_get_use_conductor_agent_invoker(aeron_context_t *context);

#define AERON_AGENT_ON_START_FUNCTION_ENV_VAR "AERON_AGENT_ON_START_FUNCTION"
/* Called on the conductor thread when it starts (e.g. to pin it); role_name names the thread. */
typedef void (*aeron_agent_on_start_func_t)(void *state, const char *role_name);
int aeron_context_set_agent_on_start_function(aeron_context_t *context, aeron_agent_on_start_func_t value, void *state);
aeron_agent_on_start_func_t aeron_context_get_agent_on_start_function(aeron_context_t *context);
void *aeron_context_get_agent_on_start_state(aeron_context_t *context);

int aeron_context_init(aeron_context_t **context);
int aeron_context_close(aeron_context_t *context);

/* ---- Client ----------------------------------------------------------------------------------------------- */

int aeron_init(aeron_t **client, aeron_context_t *context);
int aeron_start(aeron_t *client);
int aeron_main_do_work(aeron_t *client);
void aeron_main_idle_strategy(aeron_t *client, int work_count);
int aeron_close(aeron_t *client);
bool aeron_is_closed(aeron_t *client);
void aeron_print_counters(aeron_t *client, void (*stream_out)(const char *));
aeron_context_t *aeron_context(aeron_t *client);
int64_t aeron_client_id(aeron_t *client);
int64_t aeron_next_correlation_id(aeron_t *client);

int aeron_async_add_publication(aeron_async_add_publication_t **async, aeron_t *client, const char *uri,
                                int32_t stream_id);
/* 1: *publication is set; 0: not yet; -1: failed (the driver's reason is in aeron_errmsg()). */
int aeron_async_add_publication_poll(aeron_publication_t **publication, aeron_async_add_publication_t *async);

int aeron_async_add_exclusive_publication(aeron_async_add_exclusive_publication_t **async, aeron_t *client,
                                          const char *uri, int32_t stream_id);
int aeron_async_add_exclusive_publication_poll(aeron_exclusive_publication_t **publication,
                                               aeron_async_add_exclusive_publication_t *async);

int aeron_async_add_subscription(aeron_async_add_subscription_t **async, aeron_t *client, const char *uri,
                                 int32_t stream_id, aeron_on_available_image_t on_available_image_handler,
                                 void *on_available_image_clientd,
                                 aeron_on_unavailable_image_t on_unavailable_image_handler,
                                 void *on_unavailable_image_clientd);
int aeron_async_add_subscription_poll(aeron_subscription_t **subscription, aeron_async_add_subscription_t *async);

int64_t aeron_async_add_publication_get_registration_id(aeron_async_add_publication_t *add_publication);
int64_t aeron_async_add_exclusive_exclusive_publication_get_registration_id(
    aeron_async_add_exclusive_publication_t *add_exclusive_publication);
int64_t aeron_async_add_subscription_get_registration_id(aeron_async_add_subscription_t *add_subscription);

/* ---- Counters --------------------------------------------------------------------------------------------- */

aeron_counters_reader_t *aeron_counters_reader(aeron_t *client);

#define AERON_COUNTER_CACHE_LINE_LENGTH (64u)

#pragma pack(push)
#pragma pack(4)
typedef struct aeron_counter_value_descriptor_stct
{
    int64_t counter_value;
    int64_t registration_id;
    int64_t owner_id;
    int64_t reference_id;
    uint8_t pad1[(2 * AERON_COUNTER_CACHE_LINE_LENGTH) - (4 * sizeof(int64_t))];
} aeron_counter_value_descriptor_t;

typedef struct aeron_counter_metadata_descriptor_stct
{
    int32_t state;
    int32_t type_id;
    int64_t free_for_reuse_deadline_ms;
    uint8_t key[(2 * AERON_COUNTER_CACHE_LINE_LENGTH) - (2 * sizeof(int32_t)) - sizeof(int64_t)];
    int32_t label_length;
    uint8_t label[(6 * AERON_COUNTER_CACHE_LINE_LENGTH) - sizeof(int32_t)];
} aeron_counter_metadata_descriptor_t;
#pragma pack(pop)

#define AERON_COUNTER_VALUE_LENGTH           sizeof(aeron_counter_value_descriptor_t)
#define AERON_COUNTER_REGISTRATION_ID_OFFSET offsetof(aeron_counter_value_descriptor_t, registration_id)
#define AERON_COUNTER_METADATA_LENGTH        sizeof(aeron_counter_metadata_descriptor_t)
#define AERON_COUNTER_TYPE_ID_OFFSET         offsetof(aeron_counter_metadata_descriptor_t, type_id)
#define AERON_COUNTER_FREE_FOR_REUSE_DEADLINE_OFFSET \
    offsetof(aeron_counter_metadata_descriptor_t, free_for_reuse_deadline_ms)
#define AERON_COUNTER_KEY_OFFSET             offsetof(aeron_counter_metadata_descriptor_t, key)
#define AERON_COUNTER_LABEL_LENGTH_OFFSET    offsetof(aeron_counter_metadata_descriptor_t, label)
#define AERON_COUNTER_MAX_LABEL_LENGTH       sizeof(((aeron_counter_metadata_descriptor_t *)NULL)->label)
#define AERON_COUNTER_MAX_KEY_LENGTH         sizeof(((aeron_counter_metadata_descriptor_t *)NULL)->key)
#define AERON_COUNTER_MAX_CLIENT_NAME_LENGTH (100)

#define AERON_COUNTER_RECORD_UNUSED    (0)
#define AERON_COUNTER_RECORD_ALLOCATED (1)
#define AERON_COUNTER_RECORD_RECLAIMED (-1)

#define AERON_COUNTER_REGISTRATION_ID_DEFAULT INT64_C(0)
#define AERON_COUNTER_NOT_FREE_TO_REUSE       (INT64_MAX)
#define AERON_COUNTER_OWNER_ID_DEFAULT        INT64_C(0)
#define AERON_COUNTER_REFERENCE_ID_DEFAULT    INT64_C(0)
#define AERON_NULL_COUNTER_ID                 (-1)

#define AERON_COUNTER_OFFSET(id)          ((id)*AERON_COUNTER_VALUE_LENGTH)
#define AERON_COUNTER_METADATA_OFFSET(id) ((id)*AERON_COUNTER_METADATA_LENGTH)

typedef struct aeron_counters_reader_buffers_stct
{
    uint8_t *values;
    uint8_t *metadata;
    size_t values_length;
    size_t metadata_length;
} aeron_counters_reader_buffers_t;

int aeron_counters_reader_get_buffers(aeron_counters_reader_t *reader, aeron_counters_reader_buffers_t *buffers);

typedef void (*aeron_counters_reader_foreach_counter_func_t)(int64_t value, int32_t id, int32_t type_id,
                                                             const uint8_t *key, size_t key_length, const char *label,
                                                             size_t label_length, void *clientd);

/* Visits ALLOCATED counters in id order and stops at the first never-used record. */
void aeron_counters_reader_foreach_counter(aeron_counters_reader_t *counters_reader,
                                           aeron_counters_reader_foreach_counter_func_t func, void *clientd);
int32_t aeron_counters_reader_find_by_type_id_and_registration_id(aeron_counters_reader_t *counters_reader,
                                                                  int32_t type_id, int64_t registration_id);
int32_t aeron_counters_reader_max_counter_id(aeron_counters_reader_t *reader);
int64_t *aeron_counters_reader_addr(aeron_counters_reader_t *counters_reader, int32_t counter_id);
int aeron_counters_reader_counter_registration_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                                  int64_t *registration_id);
int aeron_counters_reader_counter_owner_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                           int64_t *owner_id);
int aeron_counters_reader_counter_reference_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                               int64_t *reference_id);
int aeron_counters_reader_counter_state(aeron_counters_reader_t *counters_reader, int32_t counter_id, int32_t *state);
int aeron_counters_reader_counter_type_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                          int32_t *type_id);
int aeron_counters_reader_metadata_key(aeron_counters_reader_t *counters_reader, int32_t counter_id, uint8_t **key_p);
/* Copies the label (not NUL-terminated beyond buffer_length - 1); returns its length or -1. */
int aeron_counters_reader_counter_label(aeron_counters_reader_t *counters_reader, int32_t counter_id, char *buffer,
                                        size_t buffer_length);
int aeron_counters_reader_free_for_reuse_deadline_ms(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                                     int64_t *deadline_ms);

/* Counters allocated by the driver on behalf of this client (type ids >= 1000 are for applications). */
int aeron_async_add_counter(aeron_async_add_counter_t **async, aeron_t *client, int32_t type_id,
                            const uint8_t *key_buffer, size_t key_buffer_length, const char *label_buffer,
                            size_t label_buffer_length);
int aeron_async_add_counter_poll(aeron_counter_t **counter, aeron_async_add_counter_t *async);
int64_t aeron_async_add_counter_get_registration_id(aeron_async_add_counter_t *add_counter);

int64_t *aeron_counter_addr(aeron_counter_t *counter);

typedef struct aeron_counter_constants_stct
{
    int64_t registration_id;
    int32_t counter_id;
} aeron_counter_constants_t;

int aeron_counter_constants(aeron_counter_t *counter, aeron_counter_constants_t *constants);
int aeron_counter_close(aeron_counter_t *counter, aeron_notification_t on_close_complete,
                        void *on_close_complete_clientd);
bool aeron_counter_is_closed(aeron_counter_t *counter);

/* ---- Publications ----------------------------------------------------------------------------------------- */

#define AERON_PUBLICATION_NOT_CONNECTED         (-1L)
#define AERON_PUBLICATION_BACK_PRESSURED        (-2L)
#define AERON_PUBLICATION_ADMIN_ACTION          (-3L)
#define AERON_PUBLICATION_CLOSED                (-4L)
#define AERON_PUBLICATION_MAX_POSITION_EXCEEDED (-5L)
#define AERON_PUBLICATION_ERROR                 (-6L)

typedef int64_t (*aeron_reserved_value_supplier_t)(void *clientd, uint8_t *buffer, size_t frame_length);

#if !defined(AERON_IOVEC)
typedef struct aeron_iovec_stct
{
    uint8_t *iov_base;
    size_t iov_len;
} aeron_iovec_t;
#else
typedef struct iov aeron_iovec_t;
#endif

/* A claimed, not yet committed, frame inside the log. */
typedef struct aeron_buffer_claim_stct
{
    uint8_t *frame_header;
    uint8_t *data;
    size_t length;
} aeron_buffer_claim_t;

int aeron_buffer_claim_commit(aeron_buffer_claim_t *buffer_claim);
int aeron_buffer_claim_abort(aeron_buffer_claim_t *buffer_claim);

typedef struct aeron_publication_constants_stct
{
    const char *channel;
    int64_t original_registration_id;
    int64_t registration_id;
    int64_t max_possible_position;
    size_t position_bits_to_shift;
    size_t term_buffer_length;
    size_t max_message_length;
    size_t max_payload_length;
    int32_t stream_id;
    int32_t session_id;
    int32_t initial_term_id;
    int32_t publication_limit_counter_id;
    int32_t channel_status_indicator_id;
} aeron_publication_constants_t;

int64_t aeron_publication_offer(aeron_publication_t *publication, const uint8_t *buffer, size_t length,
                                aeron_reserved_value_supplier_t reserved_value_supplier, void *clientd);
int64_t aeron_publication_offerv(aeron_publication_t *publication, aeron_iovec_t *iov, size_t iovcnt,
                                 aeron_reserved_value_supplier_t reserved_value_supplier, void *clientd);
int64_t aeron_publication_try_claim(aeron_publication_t *publication, size_t length,
                                    aeron_buffer_claim_t *buffer_claim);
int64_t aeron_publication_channel_status(aeron_publication_t *publication);
bool aeron_publication_is_closed(aeron_publication_t *publication);
bool aeron_publication_is_connected(aeron_publication_t *publication);
int aeron_publication_constants(aeron_publication_t *publication, aeron_publication_constants_t *constants);
int64_t aeron_publication_position(aeron_publication_t *publication);
int64_t aeron_publication_position_limit(aeron_publication_t *publication);
int aeron_publication_close(aeron_publication_t *publication, aeron_notification_t on_close_complete,
                            void *on_close_complete_clientd);
const char *aeron_publication_channel(aeron_publication_t *publication);
int32_t aeron_publication_stream_id(aeron_publication_t *publication);
int32_t aeron_publication_session_id(aeron_publication_t *publication);

int64_t aeron_exclusive_publication_offer(aeron_exclusive_publication_t *publication, const uint8_t *buffer,
                                          size_t length, aeron_reserved_value_supplier_t reserved_value_supplier,
                                          void *clientd);
int64_t aeron_exclusive_publication_offerv(aeron_exclusive_publication_t *publication, aeron_iovec_t *iov,
                                           size_t iovcnt, aeron_reserved_value_supplier_t reserved_value_supplier,
                                           void *clientd);
int64_t aeron_exclusive_publication_try_claim(aeron_exclusive_publication_t *publication, size_t length,
                                              aeron_buffer_claim_t *buffer_claim);
int64_t aeron_exclusive_publication_channel_status(aeron_exclusive_publication_t *publication);
int aeron_exclusive_publication_constants(aeron_exclusive_publication_t *publication,
                                          aeron_publication_constants_t *constants);
int64_t aeron_exclusive_publication_position(aeron_exclusive_publication_t *publication);
int64_t aeron_exclusive_publication_position_limit(aeron_exclusive_publication_t *publication);
int aeron_exclusive_publication_close(aeron_exclusive_publication_t *publication,
                                      aeron_notification_t on_close_complete, void *on_close_complete_clientd);
bool aeron_exclusive_publication_is_closed(aeron_exclusive_publication_t *publication);
bool aeron_exclusive_publication_is_connected(aeron_exclusive_publication_t *publication);

/* ---- Subscriptions, images, headers ----------------------------------------------------------------------- */

typedef void (*aeron_fragment_handler_t)(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header);

typedef enum aeron_controlled_fragment_handler_action_en
{
    AERON_ACTION_ABORT = 1,
    AERON_ACTION_BREAK = 2,
    AERON_ACTION_COMMIT = 3,
    AERON_ACTION_CONTINUE = 4
} aeron_controlled_fragment_handler_action_t;

typedef aeron_controlled_fragment_handler_action_t (*aeron_controlled_fragment_handler_t)(void *clientd,
                                                                                          const uint8_t *buffer,
                                                                                          size_t length,
                                                                                          aeron_header_t *header);

int aeron_header_values(aeron_header_t *header, aeron_header_values_t *values);
int64_t aeron_header_position(aeron_header_t *header);
size_t aeron_header_position_bits_to_shift(aeron_header_t *header);
int32_t aeron_header_next_term_offset(aeron_header_t *header);
void *aeron_header_context(aeron_header_t *header);

typedef struct aeron_subscription_constants_stct
{
    const char *channel;
    aeron_on_available_image_t on_available_image;
    aeron_on_unavailable_image_t on_unavailable_image;
    int64_t registration_id;
    int32_t stream_id;
    int32_t channel_status_indicator_id;
} aeron_subscription_constants_t;

int aeron_subscription_poll(aeron_subscription_t *subscription, aeron_fragment_handler_t handler, void *clientd,
                            size_t fragment_limit);
int aeron_subscription_controlled_poll(aeron_subscription_t *subscription, aeron_controlled_fragment_handler_t handler,
                                       void *clientd, size_t fragment_limit);
bool aeron_subscription_is_connected(aeron_subscription_t *subscription);
int aeron_subscription_constants(aeron_subscription_t *subscription, aeron_subscription_constants_t *constants);
int aeron_subscription_image_count(aeron_subscription_t *subscription);
aeron_image_t *aeron_subscription_image_by_session_id(aeron_subscription_t *subscription, int32_t session_id);
/* Returned images are retained: hand each back with aeron_subscription_image_release(). */
aeron_image_t *aeron_subscription_image_at_index(aeron_subscription_t *subscription, size_t index);
void aeron_subscription_for_each_image(aeron_subscription_t *subscription,
                                       void (*handler)(aeron_image_t *image, void *clientd), void *clientd);
int aeron_subscription_image_retain(aeron_subscription_t *subscription, aeron_image_t *image);
int aeron_subscription_image_release(aeron_subscription_t *subscription, aeron_image_t *image);
bool aeron_subscription_is_closed(aeron_subscription_t *subscription);
int64_t aeron_subscription_channel_status(aeron_subscription_t *subscription);
int aeron_subscription_close(aeron_subscription_t *subscription, aeron_notification_t on_close_complete,
                             void *on_close_complete_clientd);

typedef struct aeron_image_constants_stct
{
    aeron_subscription_t *subscription;
    const char *source_identity;
    int64_t correlation_id;
    int64_t join_position;
    size_t position_bits_to_shift;
    size_t term_buffer_length;
    size_t mtu_length;
    int32_t session_id;
    int32_t initial_term_id;
    int32_t subscriber_position_id;
} aeron_image_constants_t;

int aeron_image_constants(aeron_image_t *image, aeron_image_constants_t *constants);
int64_t aeron_image_position(aeron_image_t *image);
int aeron_image_set_position(aeron_image_t *image, int64_t position);
bool aeron_image_is_end_of_stream(aeron_image_t *image);
int64_t aeron_image_end_of_stream_position(aeron_image_t *image);
int aeron_image_active_transport_count(aeron_image_t *image);
int aeron_image_poll(aeron_image_t *image, aeron_fragment_handler_t handler, void *clientd, size_t fragment_limit);
int aeron_image_controlled_poll(aeron_image_t *image, aeron_controlled_fragment_handler_t handler, void *clientd,
                                size_t fragment_limit);
int aeron_image_bounded_poll(aeron_image_t *image, aeron_fragment_handler_t handler, void *clientd,
                             int64_t limit_position, size_t fragment_limit);
bool aeron_image_is_closed(aeron_image_t *image);

/* ---- Fragment assemblers: rebuild messages larger than one frame ------------------------------------------ */

int aeron_image_fragment_assembler_create(aeron_image_fragment_assembler_t **assembler,
                                          aeron_fragment_handler_t delegate, void *delegate_clientd);
int aeron_image_fragment_assembler_delete(aeron_image_fragment_assembler_t *assembler);
void aeron_image_fragment_assembler_handler(void *clientd, const uint8_t *buffer, size_t length,
                                            aeron_header_t *header);

int aeron_image_controlled_fragment_assembler_create(aeron_image_controlled_fragment_assembler_t **assembler,
                                                     aeron_controlled_fragment_handler_t delegate,
                                                     void *delegate_clientd);
int aeron_image_controlled_fragment_assembler_delete(aeron_image_controlled_fragment_assembler_t *assembler);
aeron_controlled_fragment_handler_action_t aeron_image_controlled_fragment_assembler_handler(void *clientd,
                                                                                             const uint8_t *buffer,
                                                                                             size_t length,
                                                                                             aeron_header_t *header);

int aeron_fragment_assembler_create(aeron_fragment_assembler_t **assembler, aeron_fragment_handler_t delegate,
                                    void *delegate_clientd);
int aeron_fragment_assembler_delete(aeron_fragment_assembler_t *assembler);
void aeron_fragment_assembler_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header);

int aeron_controlled_fragment_assembler_create(aeron_controlled_fragment_assembler_t **assembler,
                                               aeron_controlled_fragment_handler_t delegate, void *delegate_clientd);
int aeron_controlled_fragment_assembler_delete(aeron_controlled_fragment_assembler_t *assembler);
aeron_controlled_fragment_handler_action_t aeron_controlled_fragment_assembler_handler(void *clientd,
                                                                                       const uint8_t *buffer,
                                                                                       size_t length,
                                                                                       aeron_header_t *header);

/* ---- Versions, clocks, errors, driver probing ------------------------------------------------------------- */

const char *aeron_version_full(void);
const char *aeron_version_text(void);
int aeron_version_major(void);
int aeron_version_minor(void);
int aeron_version_patch(void);
const char *aeron_version_gitsha(void);

typedef int64_t (*aeron_clock_func_t)(void);
int64_t aeron_nano_clock(void);
int64_t aeron_epoch_clock(void);

typedef void (*aeron_log_func_t)(const char *);
bool aeron_is_driver_active(const char *dirname, int64_t timeout_ms, aeron_log_func_t log_func);

int aeron_errcode(void);
const char *aeron_errmsg(void);

/* Default Aeron directory (/dev/shm/aeron-<user> on Linux) into path; returns its length or -1. */
int aeron_default_path(char *path, size_t path_length);

/* ---- CnC file, read-only view for tools ------------------------------------------------------------------- */

typedef struct aeron_cnc_stct aeron_cnc_t;

#pragma pack(push)
#pragma pack(4)
typedef struct aeron_cnc_constants_stct
{
    int32_t cnc_version;
    int32_t to_driver_buffer_length;
    int32_t to_clients_buffer_length;
    int32_t counter_metadata_buffer_length;
    int32_t counter_values_buffer_length;
    int32_t error_log_buffer_length;
    int64_t client_liveness_timeout;
    int64_t start_timestamp;
    int64_t pid;
    int32_t file_page_size;
} aeron_cnc_constants_t;
#pragma pack(pop)

int aeron_cnc_init(aeron_cnc_t **aeron_cnc, const char *base_path, int64_t timeout_ms);
int aeron_cnc_constants(aeron_cnc_t *aeron_cnc, aeron_cnc_constants_t *constants);
const char *aeron_cnc_filename(aeron_cnc_t *aeron_cnc);
int64_t aeron_cnc_to_driver_heartbeat(aeron_cnc_t *aeron_cnc);

typedef void (*aeron_error_log_reader_func_t)(int32_t observation_count, int64_t first_observation_timestamp,
                                              int64_t last_observation_timestamp, const char *error,
                                              size_t error_length, void *clientd);
size_t aeron_cnc_error_log_read(aeron_cnc_t *aeron_cnc, aeron_error_log_reader_func_t callback, void *clientd,
                                int64_t since_timestamp);
aeron_counters_reader_t *aeron_cnc_counters_reader(aeron_cnc_t *aeron_cnc);
void aeron_cnc_close(aeron_cnc_t *aeron_cnc);

#ifdef __cplusplus
}
#endif

#endif /* AERON_C_H */
