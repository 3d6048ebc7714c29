#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "aeron/protocol/tp_aeron_uri.h"
#include "aeron/protocol/tp_bitutil.h"
#include "aeron/protocol/tp_control_protocol.h"
#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "mediadriver/tp_driver_conductor.h"
#include "mediadriver/tp_stream_counter.h"

#define TP_CONDUCTOR_COMMAND_LIMIT 10
#define TP_CLIENT_HEARTBEAT_LABEL  "client-heartbeat: id="
#define TP_IPC_SOURCE_IDENTITY     "aeron:ipc"

static const char tp_ipc_only_message[] =
    "the tensorpool embedded media driver serves aeron:ipc channels only; use the official Aeron media driver "
    "for UDP and spy channels";

/* Grows a dynamic array so that one more element fits. */
static int tp_array_ensure(void **array, size_t *capacity, size_t count, size_t element_size)
{
    if (count < *capacity)
    {
        return 0;
    }
    const size_t new_capacity = 0 == *capacity ? 8 : *capacity * 2;
    void *grown = realloc(*array, new_capacity * element_size);
    if (NULL == grown)
    {
        TP_SET_ERR(ENOMEM, "growing conductor array to %zu elements of %zu bytes", new_capacity, element_size);
        return -1;
    }
    *array = grown;
    *capacity = new_capacity;
    return 0;
}

static int64_t tp_conductor_now_ms(void)
{
    return tp_clock_epoch_ms();
}

static int64_t tp_conductor_now_ns(void)
{
    return (int64_t)tp_clock_monotonic_ns();
}

/* Failing command handlers describe the ON_ERROR they want with this; returns -1. */
static int tp_conductor_fail(tp_driver_conductor_t *conductor, int32_t code, const char *format, ...)
    TP_PRINTF_LIKE(3, 4);
static int tp_conductor_fail(tp_driver_conductor_t *conductor, int32_t code, const char *format, ...)
{
    conductor->error_code = code;
    va_list args;
    va_start(args, format);
    vsnprintf(conductor->error_message, sizeof(conductor->error_message), format, args);
    va_end(args);
    return -1;
}

/*
 * Copies a fixed-size command out of its ring-buffer record (which may be unaligned); fails when it is too short.
 * Callers zero-initialise the command: gcc cannot see that every field is set when this succeeds.
 */
static int tp_conductor_read_command(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                     void *command, size_t command_size, const char *what)
{
    if (length < command_size)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_MALFORMED_COMMAND, "%s command of %zu bytes", what, length);
    }
    memcpy(command, buffer, command_size);
    return 0;
}

/* The channel that follows a command of command_size bytes; fails when its length runs past the record. */
static int tp_conductor_command_channel(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                        size_t command_size, int32_t channel_length, const char *what,
                                        const char **channel, size_t *channel_size)
{
    if (channel_length < 0 || command_size + (size_t)channel_length > length)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_MALFORMED_COMMAND,
                                 "%s channel length %" PRId32 " exceeds command length %zu", what, channel_length,
                                 length);
    }
    *channel = (const char *)buffer + command_size;
    *channel_size = (size_t)channel_length;
    return 0;
}

/* Skips a "(CODE) " and then a "[function, file:line] " marker at p, as tp_err_set writes them. */
static const char *tp_conductor_skip_error_markers(const char *p)
{
    if ('(' == *p)
    {
        const char *end = strstr(p, ") ");
        p = NULL != end ? end + 2 : p;
    }
    if ('[' == *p)
    {
        const char *end = strstr(p, "] ");
        p = NULL != end ? end + 2 : p;
    }
    return p;
}

/* Like tp_conductor_fail, with the thread-local error as the message: root cause first, then "; " context. */
static int tp_conductor_fail_from_errmsg(tp_driver_conductor_t *conductor, int32_t code)
{
    const char *in = tp_conductor_skip_error_markers(tp_errmsg());
    char *out = conductor->error_message;
    const size_t capacity = sizeof(conductor->error_message);
    size_t length = 0;
    while ('\0' != *in && length + 1 < capacity)
    {
        if ('\n' == *in)
        {
            while ('\n' == *in || ' ' == *in)
            {
                in++;
            }
            in = tp_conductor_skip_error_markers(in);
            if (length + 3 < capacity)
            {
                out[length++] = ';';
                out[length++] = ' ';
            }
            continue;
        }
        out[length++] = *in++;
    }
    out[length] = '\0';
    conductor->error_code = code;
    return -1;
}

static void tp_conductor_transmit(tp_driver_conductor_t *conductor, int32_t type, const void *msg, size_t length)
{
    if (tp_broadcast_transmitter_transmit(&conductor->to_clients, type, msg, length) < 0)
    {
        /* Only possible for an oversized message, which the builders prevent. */
        tp_system_counter_increment(&conductor->system_counters, TP_SYSTEM_COUNTER_ERRORS);
    }
}

static void tp_conductor_record_error(tp_driver_conductor_t *conductor, int32_t code, const char *message)
{
    tp_system_counter_increment(&conductor->system_counters, TP_SYSTEM_COUNTER_ERRORS);
    tp_distinct_error_log_record(&conductor->error_log, code, message, tp_conductor_now_ms());
}

static void tp_conductor_send_error(tp_driver_conductor_t *conductor, int64_t correlation_id)
{
    const size_t message_length = strlen(conductor->error_message);
    tp_error_response_t response;
    response.offending_command_correlation_id = correlation_id;
    response.error_code = conductor->error_code;
    response.error_message_length = (int32_t)message_length;
    memcpy(conductor->response, &response, sizeof(response));
    memcpy(conductor->response + sizeof(response), conductor->error_message, message_length);
    tp_conductor_transmit(conductor, TP_RESPONSE_ON_ERROR, conductor->response, sizeof(response) + message_length);
    tp_conductor_record_error(conductor, conductor->error_code, conductor->error_message);
}

static void tp_conductor_send_counter_update(tp_driver_conductor_t *conductor, int32_t type, int64_t id,
                                             int32_t counter_id)
{
    tp_counter_update_t response = {.correlation_id = id, .counter_id = counter_id};
    tp_conductor_transmit(conductor, type, &response, sizeof(response));
}

static void tp_conductor_send_operation_success(tp_driver_conductor_t *conductor, int64_t correlation_id)
{
    tp_operation_succeeded_t response = {.correlation_id = correlation_id};
    tp_conductor_transmit(conductor, TP_RESPONSE_ON_OPERATION_SUCCESS, &response, sizeof(response));
}

static void tp_conductor_send_publication_ready(tp_driver_conductor_t *conductor, int64_t correlation_id,
                                                const tp_ipc_publication_t *publication, bool is_exclusive)
{
    tp_publication_buffers_ready_t response;
    response.correlation_id = correlation_id;
    response.registration_id = publication->registration_id;
    response.session_id = publication->session_id;
    response.stream_id = publication->stream_id;
    response.position_limit_counter_id = publication->pub_lmt_counter_id;
    response.channel_status_indicator_id = TP_CHANNEL_STATUS_INDICATOR_NOT_ALLOCATED;
    response.log_file_length = (int32_t)publication->log_file_name_length;
    memcpy(conductor->response, &response, sizeof(response));
    memcpy(conductor->response + sizeof(response), publication->log_file_name, publication->log_file_name_length);
    tp_conductor_transmit(conductor,
                          is_exclusive ? TP_RESPONSE_ON_EXCLUSIVE_PUBLICATION_READY : TP_RESPONSE_ON_PUBLICATION_READY,
                          conductor->response, sizeof(response) + publication->log_file_name_length);
}

static void tp_conductor_send_available_image(tp_driver_conductor_t *conductor, const tp_ipc_publication_t *publication,
                                              int64_t subscription_registration_id, int32_t position_counter_id)
{
    tp_image_buffers_ready_t response;
    response.correlation_id = publication->registration_id;
    response.session_id = publication->session_id;
    response.stream_id = publication->stream_id;
    response.subscriber_registration_id = subscription_registration_id;
    response.subscriber_position_id = position_counter_id;
    response.log_file_length = (int32_t)publication->log_file_name_length;
    uint8_t *out = conductor->response;
    memcpy(out, &response, sizeof(response));
    size_t offset = sizeof(response);
    memcpy(out + offset, publication->log_file_name, publication->log_file_name_length);
    const size_t padded = tp_align_size(publication->log_file_name_length, sizeof(int32_t));
    memset(out + offset + publication->log_file_name_length, 0, padded - publication->log_file_name_length);
    offset += padded;
    const int32_t source_length = (int32_t)strlen(TP_IPC_SOURCE_IDENTITY);
    memcpy(out + offset, &source_length, sizeof(source_length));
    offset += sizeof(source_length);
    memcpy(out + offset, TP_IPC_SOURCE_IDENTITY, (size_t)source_length);
    offset += (size_t)source_length;
    tp_conductor_transmit(conductor, TP_RESPONSE_ON_AVAILABLE_IMAGE, out, offset);
}

static void tp_conductor_send_unavailable_image(tp_driver_conductor_t *conductor,
                                                const tp_ipc_publication_t *publication,
                                                int64_t subscription_registration_id)
{
    tp_image_message_t response;
    response.correlation_id = publication->registration_id;
    response.subscription_registration_id = subscription_registration_id;
    response.stream_id = publication->stream_id;
    response.channel_length = (int32_t)strlen(TP_URI_IPC_CHANNEL);
    memcpy(conductor->response, &response, sizeof(response));
    memcpy(conductor->response + sizeof(response), TP_URI_IPC_CHANNEL, strlen(TP_URI_IPC_CHANNEL));
    tp_conductor_transmit(conductor, TP_RESPONSE_ON_UNAVAILABLE_IMAGE, conductor->response,
                          sizeof(response) + strlen(TP_URI_IPC_CHANNEL));
}

static tp_driver_client_t *tp_conductor_find_client(tp_driver_conductor_t *conductor, int64_t client_id)
{
    for (size_t i = 0; i < conductor->client_count; i++)
    {
        if (conductor->clients[i].client_id == client_id)
        {
            return &conductor->clients[i];
        }
    }
    return NULL;
}

/* First command of a client: its heartbeat counter, announced before the command's own response. */
static tp_driver_client_t *tp_conductor_get_or_add_client(tp_driver_conductor_t *conductor, int64_t client_id)
{
    tp_driver_client_t *client = tp_conductor_find_client(conductor, client_id);
    if (NULL != client)
    {
        return client;
    }
    if (tp_array_ensure((void **)&conductor->clients, &conductor->client_capacity, conductor->client_count,
                        sizeof(tp_driver_client_t)) < 0)
    {
        return NULL;
    }
    char label[64];
    int n = snprintf(label, sizeof(label), TP_CLIENT_HEARTBEAT_LABEL "%" PRId64, client_id);
    const int64_t now_ms = tp_conductor_now_ms();
    int32_t counter_id = tp_counters_manager_allocate(&conductor->counters, TP_COUNTER_TYPE_CLIENT_HEARTBEAT,
                                                      &client_id, sizeof(client_id), label, (size_t)n, now_ms);
    if (counter_id < 0)
    {
        TP_APPEND_ERR("allocating heartbeat counter for client %" PRId64, client_id);
        return NULL;
    }
    tp_counters_manager_set_registration_id(&conductor->counters, counter_id, client_id);
    tp_counters_manager_set_owner_id(&conductor->counters, counter_id, client_id);
    int64_t *heartbeat = tp_counters_manager_addr(&conductor->counters, counter_id);
    tp_store_release_i64(heartbeat, now_ms);

    client = &conductor->clients[conductor->client_count++];
    client->client_id = client_id;
    client->heartbeat_counter_id = counter_id;
    client->heartbeat_ms = heartbeat;
    client->closed_by_command = false;
    tp_conductor_send_counter_update(conductor, TP_RESPONSE_ON_COUNTER_READY, client_id, counter_id);
    return client;
}

static bool tp_conductor_session_in_use(const tp_driver_conductor_t *conductor, int32_t stream_id, int32_t session_id)
{
    for (size_t i = 0; i < conductor->publication_count; i++)
    {
        const tp_ipc_publication_t *publication = conductor->publications[i];
        if (publication->stream_id == stream_id && publication->session_id == session_id &&
            publication->state <= TP_IPC_PUBLICATION_STATE_DRAINING)
        {
            return true;
        }
    }
    return false;
}

static int32_t tp_conductor_next_session_id(tp_driver_conductor_t *conductor, int32_t stream_id)
{
    const int32_t low = conductor->context.publication_reserved_session_id_low;
    const int32_t high = conductor->context.publication_reserved_session_id_high;
    for (;;)
    {
        int32_t candidate = conductor->next_session_id;
        if (candidate >= low && candidate <= high)
        {
            candidate = (int32_t)((uint32_t)high + 1U);
        }
        conductor->next_session_id = (int32_t)((uint32_t)candidate + 1U);
        if (!tp_conductor_session_in_use(conductor, stream_id, candidate))
        {
            return candidate;
        }
    }
}

static int32_t tp_conductor_random_i32(void)
{
    int32_t value;
    if (sizeof(value) == getrandom(&value, sizeof(value), GRND_NONBLOCK))
    {
        return value;
    }
    return (int32_t)(tp_clock_monotonic_ns() ^ ((uint64_t)getpid() << 16));
}

typedef struct tp_ipc_channel_params_stct
{
    tp_ipc_publication_params_t log;
    bool has_term_length;
    bool has_mtu;
    bool has_session_id;
    int32_t session_id;
} tp_ipc_channel_params_t;

/* Reads the IPC publication params of a channel; bad values fail with GENERIC_ERROR naming them. */
static int tp_conductor_publication_params(tp_driver_conductor_t *conductor, const tp_aeron_uri_t *uri,
                                           tp_ipc_channel_params_t *params)
{
    const tp_mediadriver_context_t *ctx = &conductor->context;
    memset(params, 0, sizeof(*params));
    tp_ipc_publication_params_t *log = &params->log;

    uint64_t term_length;
    int rc = tp_aeron_uri_get_size(uri, TP_URI_TERM_LENGTH_KEY, ctx->ipc_term_buffer_length, &term_length);
    if (rc < 0 || tp_logbuffer_check_term_length((int64_t)term_length) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    params->has_term_length = rc > 0;
    log->term_length = (int32_t)term_length;

    uint64_t mtu;
    rc = tp_aeron_uri_get_size(uri, TP_URI_MTU_LENGTH_KEY, ctx->ipc_mtu_length, &mtu);
    if (rc < 0 || tp_logbuffer_check_mtu_length((int64_t)mtu) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    params->has_mtu = rc > 0;
    log->mtu_length = (int32_t)mtu;

    uint64_t window;
    rc = tp_aeron_uri_get_size(uri, TP_URI_PUBLICATION_WINDOW_KEY, ctx->ipc_publication_term_window_length, &window);
    if (rc < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    if (rc > 0 && (window < mtu || window > term_length / 2))
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                 "pub-wnd %" PRIu64 " must be >= mtu %" PRIu64 " and <= term-length / 2 (%" PRIu64 ")",
                                 window, mtu, term_length / 2);
    }
    log->term_window_length = (int32_t)(window > INT32_MAX ? 0 : window);

    const char *session_text = tp_aeron_uri_find_param(uri, TP_URI_SESSION_ID_KEY);
    if (NULL != session_text && 0 == strncmp(session_text, "tag:", 4))
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                 "session-id=%s: tagged session ids refer to network publications, which the "
                                 "tensorpool IPC driver does not have",
                                 session_text);
    }
    rc = tp_aeron_uri_get_int32(uri, TP_URI_SESSION_ID_KEY, 0, &params->session_id);
    if (rc < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    params->has_session_id = rc > 0;

    const char *init_text = tp_aeron_uri_find_param(uri, TP_URI_INITIAL_TERM_ID_KEY);
    const char *term_id_text = tp_aeron_uri_find_param(uri, TP_URI_TERM_ID_KEY);
    const char *offset_text = tp_aeron_uri_find_param(uri, TP_URI_TERM_OFFSET_KEY);
    const int position_params = (NULL != init_text) + (NULL != term_id_text) + (NULL != offset_text);
    if (0 != position_params && 3 != position_params)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                 "init-term-id, term-id and term-offset must be given together (got %s%s%s)",
                                 NULL != init_text ? "init-term-id " : "", NULL != term_id_text ? "term-id " : "",
                                 NULL != offset_text ? "term-offset" : "");
    }
    log->initial_term_id = tp_conductor_random_i32();
    if (3 == position_params)
    {
        if (tp_aeron_uri_get_int32(uri, TP_URI_INITIAL_TERM_ID_KEY, 0, &log->initial_term_id) < 0 ||
            tp_aeron_uri_get_int32(uri, TP_URI_TERM_ID_KEY, 0, &log->term_id) < 0 ||
            tp_aeron_uri_get_int32(uri, TP_URI_TERM_OFFSET_KEY, 0, &log->term_offset) < 0)
        {
            return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
        }
        if (tp_logbuffer_term_id_diff(log->term_id, log->initial_term_id) < 0)
        {
            return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                     "term-id %" PRId32 " is behind init-term-id %" PRId32, log->term_id,
                                     log->initial_term_id);
        }
        if (log->term_offset < 0 || log->term_offset > log->term_length ||
            0 != (log->term_offset & (TP_FRAME_ALIGNMENT - 1)))
        {
            return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                     "term-offset %" PRId32 " must be a multiple of 32 in [0, term-length %" PRId32 "]",
                                     log->term_offset, log->term_length);
        }
        log->has_position = true;
    }

    uint64_t linger_ns;
    if (tp_aeron_uri_get_duration_ns(uri, TP_URI_LINGER_TIMEOUT_KEY, ctx->publication_linger_timeout_ns, &linger_ns) <
            0 ||
        tp_aeron_uri_get_bool(uri, TP_URI_SPARSE_TERM_KEY, ctx->term_buffer_sparse_file, &log->sparse) < 0 ||
        tp_aeron_uri_get_bool(uri, TP_URI_EOS_KEY, true, &log->signal_eos) < 0 ||
        tp_aeron_uri_get_bool(uri, TP_URI_SPIES_SIMULATE_CONNECTION_KEY, false, &log->spies_simulate_connection) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    uint64_t window_limit_ns;
    uint64_t resting_ns;
    if (tp_aeron_uri_get_duration_ns(uri, TP_URI_UNTETHERED_WINDOW_LIMIT_TIMEOUT_KEY,
                                     ctx->untethered_window_limit_timeout_ns, &window_limit_ns) < 0 ||
        tp_aeron_uri_get_duration_ns(uri, TP_URI_UNTETHERED_RESTING_TIMEOUT_KEY, ctx->untethered_resting_timeout_ns,
                                     &resting_ns) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    log->linger_timeout_ns = (int64_t)linger_ns;
    log->untethered_window_limit_timeout_ns = (int64_t)window_limit_ns;
    log->untethered_resting_timeout_ns = (int64_t)resting_ns;
    log->entity_tag = -1;
    log->page_size = (int32_t)ctx->file_page_size;
    log->os_default_sndbuf = conductor->os_default_sndbuf;
    log->os_default_rcvbuf = conductor->os_default_rcvbuf;
    return 0;
}

/* Parses the channel; anything but aeron:ipc is refused with a message pointing at the official driver. */
static int tp_conductor_parse_ipc_channel(tp_driver_conductor_t *conductor, tp_aeron_uri_t *uri, const char *channel,
                                          size_t channel_length)
{
    if (tp_aeron_uri_parse(uri, channel, channel_length) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_INVALID_CHANNEL);
    }
    if (uri->is_spy || TP_URI_MEDIA_IPC != uri->media)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_NOT_SUPPORTED, "channel '%.*s' refused: %s",
                                 (int)(channel_length < 256 ? channel_length : 256), channel, tp_ipc_only_message);
    }
    return 0;
}

static int tp_conductor_link_subscription(tp_driver_conductor_t *conductor, const tp_subscription_link_t *subscription,
                                          tp_ipc_publication_t *publication)
{
    const int64_t now_ms = tp_conductor_now_ms();
    const int64_t join_position = tp_ipc_publication_join_position(publication);
    char suffix[32];
    snprintf(suffix, sizeof(suffix), "@%" PRId64, join_position);
    const int32_t counter_id = tp_stream_counter_allocate(
        &conductor->counters, TP_COUNTER_TYPE_SUBSCRIBER_POSITION, TP_STREAM_COUNTER_SUBSCRIBER_POSITION_NAME,
        subscription->registration_id, publication->session_id, publication->stream_id, subscription->channel,
        subscription->channel_length, suffix, now_ms);
    if (counter_id < 0)
    {
        return -1;
    }
    tp_counters_manager_set_owner_id(&conductor->counters, counter_id, subscription->client_id);
    tp_counters_manager_set_reference_id(&conductor->counters, counter_id, publication->registration_id);
    int64_t *position = tp_counters_manager_addr(&conductor->counters, counter_id);
    tp_store_release_i64(position, join_position);
    if (tp_ipc_publication_add_subscriber(publication, subscription->registration_id, counter_id, position,
                                          subscription->is_tether, tp_conductor_now_ns()) < 0)
    {
        tp_counters_manager_free(&conductor->counters, counter_id, now_ms);
        return -1;
    }
    tp_conductor_send_available_image(conductor, publication, subscription->registration_id, counter_id);
    return 0;
}

static bool tp_conductor_publication_accepts_subscribers(const tp_ipc_publication_t *publication)
{
    return TP_IPC_PUBLICATION_STATE_ACTIVE == publication->state ||
           (TP_IPC_PUBLICATION_STATE_DRAINING == publication->state && !tp_ipc_publication_is_drained(publication));
}

static bool tp_conductor_subscription_matches(const tp_subscription_link_t *subscription,
                                              const tp_ipc_publication_t *publication)
{
    return subscription->stream_id == publication->stream_id &&
           (!subscription->has_session_id || subscription->session_id == publication->session_id);
}

static int tp_conductor_on_add_publication(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                           bool is_exclusive, int64_t *correlation_id)
{
    tp_publication_command_t command = {0};
    if (tp_conductor_read_command(conductor, buffer, length, &command, sizeof(command), "add publication") < 0)
    {
        return -1;
    }
    *correlation_id = command.correlated.correlation_id;
    const char *channel = NULL;
    size_t channel_length = 0;
    if (tp_conductor_command_channel(conductor, buffer, length, sizeof(command), command.channel_length,
                                     "add publication", &channel, &channel_length) < 0)
    {
        return -1;
    }

    tp_aeron_uri_t *uri = &conductor->uri;
    if (tp_conductor_parse_ipc_channel(conductor, uri, channel, channel_length) < 0)
    {
        return -1;
    }
    tp_ipc_channel_params_t params;
    if (tp_conductor_publication_params(conductor, uri, &params) < 0)
    {
        return -1;
    }

    tp_ipc_publication_t *publication = NULL;
    if (!is_exclusive)
    {
        for (size_t i = 0; i < conductor->publication_count; i++)
        {
            tp_ipc_publication_t *candidate = conductor->publications[i];
            if (TP_IPC_PUBLICATION_STATE_ACTIVE == candidate->state && !candidate->is_exclusive &&
                candidate->stream_id == command.stream_id &&
                (!params.has_session_id || candidate->session_id == params.session_id))
            {
                publication = candidate;
                break;
            }
        }
        if (NULL != publication)
        {
            if (params.has_mtu && params.log.mtu_length != publication->mtu_length)
            {
                return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                         "mtu=%" PRId32 " does not match existing publication %" PRId64
                                         " on stream %" PRId32 " with mtu %" PRId32,
                                         params.log.mtu_length, publication->registration_id, command.stream_id,
                                         publication->mtu_length);
            }
            if (params.has_term_length && params.log.term_length != publication->term_length)
            {
                return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                         "term-length=%" PRId32 " does not match existing publication %" PRId64
                                         " on stream %" PRId32 " with term length %" PRId32,
                                         params.log.term_length, publication->registration_id, command.stream_id,
                                         publication->term_length);
            }
            if (params.log.has_position)
            {
                return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                         "init-term-id/term-id/term-offset given but publication %" PRId64
                                         " on stream %" PRId32 " already exists",
                                         publication->registration_id, command.stream_id);
            }
        }
    }
    if (NULL == publication && params.has_session_id &&
        tp_conductor_session_in_use(conductor, command.stream_id, params.session_id))
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR,
                                 "session-id %" PRId32 " is already in use on stream %" PRId32, params.session_id,
                                 command.stream_id);
    }

    tp_driver_client_t *client = tp_conductor_get_or_add_client(conductor, command.correlated.client_id);
    if (NULL == client ||
        tp_array_ensure((void **)&conductor->publication_links, &conductor->publication_link_capacity,
                        conductor->publication_link_count, sizeof(tp_publication_link_t)) < 0 ||
        tp_array_ensure((void **)&conductor->publications, &conductor->publication_capacity,
                        conductor->publication_count, sizeof(tp_ipc_publication_t *)) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }

    bool is_new = false;
    if (NULL == publication)
    {
        const int32_t session_id =
            params.has_session_id ? params.session_id : tp_conductor_next_session_id(conductor, command.stream_id);
        bool storage_full = false;
        if (tp_ipc_publication_create(&publication, conductor->context.dir, command.correlated.correlation_id,
                                      command.correlated.client_id, session_id, command.stream_id, channel,
                                      channel_length, is_exclusive, &params.log, &conductor->counters,
                                      tp_conductor_now_ns(), tp_conductor_now_ms(), &storage_full) < 0)
        {
            return tp_conductor_fail_from_errmsg(conductor, storage_full ? TP_ERROR_CODE_STORAGE_SPACE
                                                                         : TP_ERROR_CODE_GENERIC_ERROR);
        }
        publication->has_session_id_param = params.has_session_id;
        conductor->publications[conductor->publication_count++] = publication;
        is_new = true;
    }

    tp_publication_link_t *link = &conductor->publication_links[conductor->publication_link_count++];
    link->registration_id = command.correlated.correlation_id;
    link->client_id = command.correlated.client_id;
    link->publication = publication;
    publication->ref_count++;

    tp_conductor_send_publication_ready(conductor, command.correlated.correlation_id, publication, is_exclusive);

    if (is_new)
    {
        for (size_t i = 0; i < conductor->subscription_count; i++)
        {
            const tp_subscription_link_t *subscription = &conductor->subscriptions[i];
            if (tp_conductor_subscription_matches(subscription, publication) &&
                !tp_ipc_publication_has_subscriber(publication, subscription->registration_id) &&
                tp_conductor_link_subscription(conductor, subscription, publication) < 0)
            {
                /* The publication stands; this one subscriber just misses it. Log and carry on. */
                tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
                tp_conductor_record_error(conductor, conductor->error_code, conductor->error_message);
            }
        }
    }
    return 0;
}

static void tp_conductor_decref_publication(tp_driver_conductor_t *conductor, tp_ipc_publication_t *publication)
{
    if (--publication->ref_count <= 0 && TP_IPC_PUBLICATION_STATE_ACTIVE == publication->state)
    {
        tp_ipc_publication_start_draining(publication, tp_conductor_now_ns());
    }
}

static int tp_conductor_on_remove_publication(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                              int64_t *correlation_id)
{
    tp_remove_command_t command = {0};
    if (tp_conductor_read_command(conductor, buffer, length, &command, sizeof(command), "remove publication") < 0)
    {
        return -1;
    }
    *correlation_id = command.correlated.correlation_id;
    for (size_t i = 0; i < conductor->publication_link_count; i++)
    {
        tp_publication_link_t *link = &conductor->publication_links[i];
        if (link->registration_id == command.registration_id && link->client_id == command.correlated.client_id)
        {
            tp_ipc_publication_t *publication = link->publication;
            *link = conductor->publication_links[--conductor->publication_link_count];
            tp_conductor_decref_publication(conductor, publication);
            tp_conductor_send_operation_success(conductor, command.correlated.correlation_id);
            return 0;
        }
    }
    return tp_conductor_fail(conductor, TP_ERROR_CODE_UNKNOWN_PUBLICATION,
                             "unknown publication client_id=%" PRId64 " registration_id=%" PRId64,
                             command.correlated.client_id, command.registration_id);
}

static int tp_conductor_on_add_subscription(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                            int64_t *correlation_id)
{
    tp_subscription_command_t command = {0};
    if (tp_conductor_read_command(conductor, buffer, length, &command, sizeof(command), "add subscription") < 0)
    {
        return -1;
    }
    *correlation_id = command.correlated.correlation_id;
    const char *channel = NULL;
    size_t channel_length = 0;
    if (tp_conductor_command_channel(conductor, buffer, length, sizeof(command), command.channel_length,
                                     "add subscription", &channel, &channel_length) < 0)
    {
        return -1;
    }

    tp_aeron_uri_t *uri = &conductor->uri;
    if (tp_conductor_parse_ipc_channel(conductor, uri, channel, channel_length) < 0)
    {
        return -1;
    }
    int32_t session_id = 0;
    int rc = tp_aeron_uri_get_int32(uri, TP_URI_SESSION_ID_KEY, 0, &session_id);
    bool flag;
    bool is_tether = true;
    if (rc < 0 ||
        tp_aeron_uri_get_bool(uri, TP_URI_TETHER_KEY, conductor->context.tether_subscriptions, &is_tether) < 0 ||
        tp_aeron_uri_get_bool(uri, TP_URI_REJOIN_KEY, true, &flag) < 0 ||
        tp_aeron_uri_get_bool(uri, TP_URI_SPARSE_TERM_KEY, true, &flag) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }

    tp_driver_client_t *client = tp_conductor_get_or_add_client(conductor, command.correlated.client_id);
    if (NULL == client || tp_array_ensure((void **)&conductor->subscriptions, &conductor->subscription_capacity,
                                          conductor->subscription_count, sizeof(tp_subscription_link_t)) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    char *channel_copy = malloc(channel_length + 1);
    if (NULL == channel_copy)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_GENERIC_ERROR, "out of memory copying channel");
    }
    memcpy(channel_copy, channel, channel_length);
    channel_copy[channel_length] = '\0';

    tp_subscription_link_t *subscription = &conductor->subscriptions[conductor->subscription_count++];
    subscription->registration_id = command.correlated.correlation_id;
    subscription->client_id = command.correlated.client_id;
    subscription->stream_id = command.stream_id;
    subscription->has_session_id = rc > 0;
    subscription->session_id = session_id;
    subscription->is_tether = is_tether;
    subscription->channel = channel_copy;
    subscription->channel_length = channel_length;

    tp_subscription_ready_t ready = {.correlation_id = command.correlated.correlation_id,
                                     .channel_status_indicator_id = TP_CHANNEL_STATUS_INDICATOR_NOT_ALLOCATED};
    tp_conductor_transmit(conductor, TP_RESPONSE_ON_SUBSCRIPTION_READY, &ready, sizeof(ready));

    for (size_t i = 0; i < conductor->publication_count; i++)
    {
        tp_ipc_publication_t *publication = conductor->publications[i];
        if (tp_conductor_subscription_matches(subscription, publication) &&
            tp_conductor_publication_accepts_subscribers(publication) &&
            tp_conductor_link_subscription(conductor, subscription, publication) < 0)
        {
            tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
            tp_conductor_record_error(conductor, conductor->error_code, conductor->error_message);
        }
    }
    return 0;
}

/* Unlinks a subscription from every publication, freeing its position counters, then drops it. */
static void tp_conductor_remove_subscription_at(tp_driver_conductor_t *conductor, size_t index, int64_t now_ms)
{
    tp_subscription_link_t *subscription = &conductor->subscriptions[index];
    for (size_t i = 0; i < conductor->publication_count; i++)
    {
        int32_t counter_id;
        if (tp_ipc_publication_remove_subscriber(conductor->publications[i], subscription->registration_id,
                                                 &counter_id))
        {
            tp_counters_manager_free(&conductor->counters, counter_id, now_ms);
        }
    }
    free(subscription->channel);
    conductor->subscriptions[index] = conductor->subscriptions[--conductor->subscription_count];
}

static int tp_conductor_on_remove_subscription(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                               int64_t *correlation_id)
{
    tp_remove_command_t command = {0};
    if (tp_conductor_read_command(conductor, buffer, length, &command, sizeof(command), "remove subscription") < 0)
    {
        return -1;
    }
    *correlation_id = command.correlated.correlation_id;
    bool found = false;
    const int64_t now_ms = tp_conductor_now_ms();
    for (size_t i = 0; i < conductor->subscription_count;)
    {
        if (conductor->subscriptions[i].registration_id == command.registration_id)
        {
            tp_conductor_remove_subscription_at(conductor, i, now_ms);
            found = true;
        }
        else
        {
            i++;
        }
    }
    if (!found)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_UNKNOWN_SUBSCRIPTION,
                                 "unknown subscription client_id=%" PRId64 " registration_id=%" PRId64,
                                 command.correlated.client_id, command.registration_id);
    }
    tp_conductor_send_operation_success(conductor, command.correlated.correlation_id);
    return 0;
}

static int tp_conductor_on_add_counter(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                       int64_t *correlation_id)
{
    tp_counter_command_t command = {0};
    if (tp_conductor_read_command(conductor, buffer, length, &command, sizeof(command), "add counter") < 0)
    {
        return -1;
    }
    *correlation_id = command.correlated.correlation_id;
    const size_t key_offset = sizeof(command);
    if (command.key_length < 0 || key_offset + (size_t)command.key_length + sizeof(int32_t) > length)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_MALFORMED_COMMAND,
                                 "add counter key length %" PRId32 " exceeds command length %zu", command.key_length,
                                 length);
    }
    const size_t label_length_offset = key_offset + tp_align_size((size_t)command.key_length, sizeof(int32_t));
    int32_t label_length;
    if (label_length_offset + sizeof(label_length) > length)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_MALFORMED_COMMAND, "add counter command of %zu bytes",
                                 length);
    }
    memcpy(&label_length, buffer + label_length_offset, sizeof(label_length));
    if (label_length < 0 || label_length_offset + sizeof(label_length) + (size_t)label_length > length)
    {
        return tp_conductor_fail(conductor, TP_ERROR_CODE_MALFORMED_COMMAND,
                                 "add counter label length %" PRId32 " exceeds command length %zu", label_length,
                                 length);
    }
    tp_driver_client_t *client = tp_conductor_get_or_add_client(conductor, command.correlated.client_id);
    if (NULL == client || tp_array_ensure((void **)&conductor->client_counters, &conductor->client_counter_capacity,
                                          conductor->client_counter_count, sizeof(tp_client_counter_t)) < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    const int32_t counter_id = tp_counters_manager_allocate(
        &conductor->counters, command.type_id, buffer + key_offset, (size_t)command.key_length,
        (const char *)buffer + label_length_offset + sizeof(label_length), (size_t)label_length, tp_conductor_now_ms());
    if (counter_id < 0)
    {
        return tp_conductor_fail_from_errmsg(conductor, TP_ERROR_CODE_GENERIC_ERROR);
    }
    tp_counters_manager_set_registration_id(&conductor->counters, counter_id, command.correlated.correlation_id);
    tp_counters_manager_set_owner_id(&conductor->counters, counter_id, command.correlated.client_id);
    tp_client_counter_t *entry = &conductor->client_counters[conductor->client_counter_count++];
    entry->registration_id = command.correlated.correlation_id;
    entry->client_id = command.correlated.client_id;
    entry->counter_id = counter_id;
    tp_conductor_send_counter_update(conductor, TP_RESPONSE_ON_COUNTER_READY, command.correlated.correlation_id,
                                     counter_id);
    return 0;
}

static int tp_conductor_on_remove_counter(tp_driver_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                          int64_t *correlation_id)
{
    tp_remove_command_t command = {0};
    if (tp_conductor_read_command(conductor, buffer, length, &command, sizeof(command), "remove counter") < 0)
    {
        return -1;
    }
    *correlation_id = command.correlated.correlation_id;
    for (size_t i = 0; i < conductor->client_counter_count; i++)
    {
        tp_client_counter_t entry = conductor->client_counters[i];
        if (entry.registration_id == command.registration_id && entry.client_id == command.correlated.client_id)
        {
            conductor->client_counters[i] = conductor->client_counters[--conductor->client_counter_count];
            tp_conductor_send_operation_success(conductor, command.correlated.correlation_id);
            tp_conductor_send_counter_update(conductor, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, entry.registration_id,
                                             entry.counter_id);
            tp_counters_manager_free(&conductor->counters, entry.counter_id, tp_conductor_now_ms());
            return 0;
        }
    }
    return tp_conductor_fail(conductor, TP_ERROR_CODE_UNKNOWN_COUNTER,
                             "unknown counter client_id=%" PRId64 " registration_id=%" PRId64,
                             command.correlated.client_id, command.registration_id);
}

static void tp_conductor_on_client_keepalive_or_close(tp_driver_conductor_t *conductor, const uint8_t *buffer,
                                                      size_t length, bool is_close)
{
    tp_correlated_command_t command;
    if (length < sizeof(command))
    {
        return;
    }
    memcpy(&command, buffer, sizeof(command));
    tp_driver_client_t *client = tp_conductor_find_client(conductor, command.client_id);
    if (NULL == client)
    {
        return;
    }
    if (is_close)
    {
        /* Reaped on the next timer tick, without a timeout notice. */
        client->closed_by_command = true;
        tp_store_release_i64(client->heartbeat_ms, 0);
    }
    else
    {
        tp_store_release_i64(client->heartbeat_ms, tp_conductor_now_ms());
    }
}

static void tp_conductor_on_command(int32_t msg_type_id, const void *msg, size_t length, void *clientd)
{
    tp_driver_conductor_t *conductor = clientd;
    const uint8_t *buffer = msg;
    int64_t correlation_id = -1;
    int rc = 0;
    conductor->error_code = TP_ERROR_CODE_GENERIC_ERROR;
    conductor->error_message[0] = '\0';
    tp_err_clear();

    switch (msg_type_id)
    {
        case TP_COMMAND_ADD_PUBLICATION:
            rc = tp_conductor_on_add_publication(conductor, buffer, length, false, &correlation_id);
            break;
        case TP_COMMAND_ADD_EXCLUSIVE_PUBLICATION:
            rc = tp_conductor_on_add_publication(conductor, buffer, length, true, &correlation_id);
            break;
        case TP_COMMAND_REMOVE_PUBLICATION:
            rc = tp_conductor_on_remove_publication(conductor, buffer, length, &correlation_id);
            break;
        case TP_COMMAND_ADD_SUBSCRIPTION:
            rc = tp_conductor_on_add_subscription(conductor, buffer, length, &correlation_id);
            break;
        case TP_COMMAND_REMOVE_SUBSCRIPTION:
            rc = tp_conductor_on_remove_subscription(conductor, buffer, length, &correlation_id);
            break;
        case TP_COMMAND_ADD_COUNTER:
            rc = tp_conductor_on_add_counter(conductor, buffer, length, &correlation_id);
            break;
        case TP_COMMAND_REMOVE_COUNTER:
            rc = tp_conductor_on_remove_counter(conductor, buffer, length, &correlation_id);
            break;
        case TP_COMMAND_CLIENT_KEEPALIVE:
            tp_conductor_on_client_keepalive_or_close(conductor, buffer, length, false);
            break;
        case TP_COMMAND_CLIENT_CLOSE:
            tp_conductor_on_client_keepalive_or_close(conductor, buffer, length, true);
            break;
        case TP_COMMAND_ADD_DESTINATION:
        case TP_COMMAND_REMOVE_DESTINATION:
        case TP_COMMAND_ADD_RCV_DESTINATION:
        case TP_COMMAND_REMOVE_RCV_DESTINATION:
        case TP_COMMAND_REMOVE_DESTINATION_BY_ID:
            if (length >= sizeof(tp_correlated_command_t))
            {
                memcpy(&correlation_id, buffer + sizeof(int64_t), sizeof(correlation_id));
            }
            rc = tp_conductor_fail(conductor, TP_ERROR_CODE_NOT_SUPPORTED,
                                   "destination commands (type 0x%x) refused: %s", (unsigned)msg_type_id,
                                   tp_ipc_only_message);
            break;
        default:
        {
            char message[128];
            snprintf(message, sizeof(message), "unknown or unsupported command type id 0x%x (%zu bytes) ignored",
                     (unsigned)msg_type_id, length);
            tp_conductor_record_error(conductor, TP_ERROR_CODE_UNKNOWN_COMMAND_TYPE_ID, message);
            return;
        }
    }

    if (rc < 0)
    {
        if (TP_ERROR_CODE_MALFORMED_COMMAND == conductor->error_code)
        {
            /* Too short to trust its correlation id: log only, as the official driver does. */
            tp_conductor_record_error(conductor, conductor->error_code, conductor->error_message);
        }
        else
        {
            tp_conductor_send_error(conductor, correlation_id);
        }
    }
}

static void tp_conductor_client_end_of_life(tp_driver_conductor_t *conductor, size_t index, int64_t now_ms)
{
    const tp_driver_client_t client = conductor->clients[index];
    if (!client.closed_by_command)
    {
        tp_system_counter_increment(&conductor->system_counters, TP_SYSTEM_COUNTER_CLIENT_TIMEOUTS);
        tp_client_timeout_t timeout = {.client_id = client.client_id};
        tp_conductor_transmit(conductor, TP_RESPONSE_ON_CLIENT_TIMEOUT, &timeout, sizeof(timeout));
    }

    for (size_t i = 0; i < conductor->publication_link_count;)
    {
        tp_publication_link_t *link = &conductor->publication_links[i];
        if (link->client_id == client.client_id)
        {
            tp_ipc_publication_t *publication = link->publication;
            *link = conductor->publication_links[--conductor->publication_link_count];
            tp_conductor_decref_publication(conductor, publication);
        }
        else
        {
            i++;
        }
    }
    for (size_t i = 0; i < conductor->client_counter_count;)
    {
        tp_client_counter_t entry = conductor->client_counters[i];
        if (entry.client_id == client.client_id)
        {
            conductor->client_counters[i] = conductor->client_counters[--conductor->client_counter_count];
            tp_conductor_send_counter_update(conductor, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, entry.registration_id,
                                             entry.counter_id);
            tp_counters_manager_free(&conductor->counters, entry.counter_id, now_ms);
        }
        else
        {
            i++;
        }
    }
    for (size_t i = 0; i < conductor->subscription_count;)
    {
        if (conductor->subscriptions[i].client_id == client.client_id)
        {
            tp_conductor_remove_subscription_at(conductor, i, now_ms);
        }
        else
        {
            i++;
        }
    }
    tp_conductor_send_counter_update(conductor, TP_RESPONSE_ON_UNAVAILABLE_COUNTER, client.client_id,
                                     client.heartbeat_counter_id);
    tp_counters_manager_free(&conductor->counters, client.heartbeat_counter_id, now_ms);
    conductor->clients[index] = conductor->clients[--conductor->client_count];
}

static void tp_conductor_check_clients(tp_driver_conductor_t *conductor, int64_t now_ms)
{
    const int64_t liveness_ms = (int64_t)(conductor->context.client_liveness_timeout_ns / 1000000ULL);
    for (size_t i = 0; i < conductor->client_count;)
    {
        const int64_t heartbeat = tp_load_acquire_i64(conductor->clients[i].heartbeat_ms);
        if (now_ms > heartbeat + liveness_ms)
        {
            tp_conductor_client_end_of_life(conductor, i, now_ms);
        }
        else
        {
            i++;
        }
    }
}

static void tp_conductor_check_blocked_commands(tp_driver_conductor_t *conductor, int64_t now_ns)
{
    const int64_t consumer_position = tp_mpsc_rb_consumer_position(&conductor->to_driver);
    if (consumer_position == conductor->last_command_consumer_position)
    {
        if (tp_mpsc_rb_producer_position(&conductor->to_driver) > consumer_position &&
            now_ns > conductor->time_of_last_command_consumer_position_change_ns +
                         (int64_t)conductor->context.client_liveness_timeout_ns)
        {
            if (tp_mpsc_rb_unblock(&conductor->to_driver))
            {
                tp_system_counter_increment(&conductor->system_counters, TP_SYSTEM_COUNTER_UNBLOCKED_COMMANDS);
            }
            conductor->time_of_last_command_consumer_position_change_ns = now_ns;
        }
    }
    else
    {
        conductor->last_command_consumer_position = consumer_position;
        conductor->time_of_last_command_consumer_position_change_ns = now_ns;
    }
}

static void tp_conductor_on_tether_change(void *clientd, tp_ipc_publication_t *publication,
                                          const tp_subscriber_position_t *position, bool available)
{
    tp_driver_conductor_t *conductor = clientd;
    if (available)
    {
        tp_conductor_send_available_image(conductor, publication, position->subscription_registration_id,
                                          position->counter_id);
    }
    else
    {
        tp_conductor_send_unavailable_image(conductor, publication, position->subscription_registration_id);
    }
}

static void tp_conductor_check_publications(tp_driver_conductor_t *conductor, int64_t now_ns, int64_t now_ms)
{
    const int64_t unblock_timeout_ns = (int64_t)conductor->context.publication_unblock_timeout_ns;
    for (size_t i = 0; i < conductor->publication_count;)
    {
        tp_ipc_publication_t *publication = conductor->publications[i];
        switch (publication->state)
        {
            case TP_IPC_PUBLICATION_STATE_ACTIVE:
                tp_ipc_publication_check_untethered_subscriptions(publication, now_ns, tp_conductor_on_tether_change,
                                                                  conductor);
                if (!publication->is_exclusive &&
                    tp_ipc_publication_check_for_blocked_publisher(publication, now_ns, unblock_timeout_ns))
                {
                    tp_system_counter_increment(&conductor->system_counters, TP_SYSTEM_COUNTER_UNBLOCKED_PUBLICATIONS);
                }
                break;
            case TP_IPC_PUBLICATION_STATE_DRAINING:
                if (tp_ipc_publication_is_drained(publication))
                {
                    publication->state = TP_IPC_PUBLICATION_STATE_LINGER;
                    for (size_t j = 0; j < publication->position_count; j++)
                    {
                        tp_conductor_send_unavailable_image(conductor, publication,
                                                            publication->positions[j].subscription_registration_id);
                    }
                }
                else if (tp_ipc_publication_check_for_blocked_publisher(publication, now_ns, unblock_timeout_ns))
                {
                    tp_system_counter_increment(&conductor->system_counters, TP_SYSTEM_COUNTER_UNBLOCKED_PUBLICATIONS);
                }
                break;
            case TP_IPC_PUBLICATION_STATE_LINGER:
            case TP_IPC_PUBLICATION_STATE_DONE:
                /* IPC does not wait out the linger timeout: subscribers were told on the previous tick. */
                conductor->publications[i] = conductor->publications[--conductor->publication_count];
                tp_ipc_publication_delete(publication, &conductor->counters, now_ms);
                continue;
        }
        i++;
    }
}

static void tp_conductor_on_timer(tp_driver_conductor_t *conductor, int64_t now_ns)
{
    const int64_t now_ms = tp_conductor_now_ms();
    tp_mpsc_rb_consumer_heartbeat_time(&conductor->to_driver, now_ms);
    tp_conductor_check_clients(conductor, now_ms);
    tp_conductor_check_blocked_commands(conductor, now_ns);
    tp_conductor_check_publications(conductor, now_ns, now_ms);
}

int tp_driver_conductor_do_work(tp_driver_conductor_t *conductor)
{
    int work_count = 0;
    const int64_t now_ns = tp_conductor_now_ns();
    if (now_ns >= conductor->next_timer_deadline_ns)
    {
        conductor->next_timer_deadline_ns = now_ns + (int64_t)conductor->context.timer_interval_ns;
        tp_conductor_on_timer(conductor, now_ns);
        work_count++;
    }
    work_count +=
        (int)tp_mpsc_rb_read(&conductor->to_driver, tp_conductor_on_command, conductor, TP_CONDUCTOR_COMMAND_LIMIT);
    bool is_flowing = false;
    for (size_t i = 0; i < conductor->publication_count; i++)
    {
        work_count += tp_ipc_publication_update_pub_pos_and_lmt(conductor->publications[i]);
        is_flowing = is_flowing || conductor->publications[i]->is_flowing;
    }
    conductor->is_flowing = is_flowing;
    return work_count;
}

bool tp_driver_conductor_is_flowing(const tp_driver_conductor_t *conductor)
{
    return conductor->is_flowing;
}

/* The OS default socket buffer sizes are recorded in log metadata for tools; no socket is opened for them. */
static int32_t tp_conductor_read_proc_int(const char *path)
{
    FILE *file = fopen(path, "r");
    if (NULL == file)
    {
        return 0;
    }
    long value = 0;
    if (1 != fscanf(file, "%ld", &value) || value < 0 || value > INT32_MAX)
    {
        value = 0;
    }
    fclose(file);
    return (int32_t)value;
}

int tp_driver_conductor_init(tp_driver_conductor_t *conductor, const tp_mediadriver_context_t *context,
                             tp_cnc_metadata_t *cnc, int64_t now_ns, int64_t now_ms)
{
    memset(conductor, 0, sizeof(*conductor));
    conductor->context = *context;
    if (tp_mpsc_rb_init(&conductor->to_driver, tp_cnc_to_driver_buffer(cnc), (size_t)cnc->to_driver_buffer_length) <
            0 ||
        tp_broadcast_transmitter_init(&conductor->to_clients, tp_cnc_to_clients_buffer(cnc),
                                      (size_t)cnc->to_clients_buffer_length) < 0 ||
        tp_counters_manager_init(&conductor->counters, tp_cnc_counters_metadata_buffer(cnc),
                                 (size_t)cnc->counter_metadata_buffer_length, tp_cnc_counters_values_buffer(cnc),
                                 (size_t)cnc->counter_values_buffer_length,
                                 (int64_t)(context->counter_free_to_reuse_timeout_ns / 1000000ULL)) < 0)
    {
        TP_APPEND_ERR("wiring the conductor to the CnC file");
        return -1;
    }
    if (tp_distinct_error_log_init(&conductor->error_log, tp_cnc_error_log_buffer(cnc),
                                   (size_t)cnc->error_log_buffer_length) < 0)
    {
        tp_counters_manager_close(&conductor->counters);
        return -1;
    }
    if (tp_system_counters_init(&conductor->system_counters, &conductor->counters, now_ms) < 0)
    {
        tp_distinct_error_log_close(&conductor->error_log);
        tp_counters_manager_close(&conductor->counters);
        return -1;
    }
    conductor->next_session_id = tp_conductor_random_i32();
    conductor->next_timer_deadline_ns = now_ns + (int64_t)context->timer_interval_ns;
    conductor->time_of_last_command_consumer_position_change_ns = now_ns;
    conductor->os_default_sndbuf = tp_conductor_read_proc_int("/proc/sys/net/core/wmem_default");
    conductor->os_default_rcvbuf = tp_conductor_read_proc_int("/proc/sys/net/core/rmem_default");
    return 0;
}

void tp_driver_conductor_close(tp_driver_conductor_t *conductor)
{
    const int64_t now_ms = tp_conductor_now_ms();
    for (size_t i = 0; i < conductor->publication_count; i++)
    {
        tp_ipc_publication_delete(conductor->publications[i], &conductor->counters, now_ms);
    }
    for (size_t i = 0; i < conductor->subscription_count; i++)
    {
        free(conductor->subscriptions[i].channel);
    }
    free(conductor->publications);
    free(conductor->publication_links);
    free(conductor->subscriptions);
    free(conductor->clients);
    free(conductor->client_counters);
    conductor->publications = NULL;
    conductor->publication_count = 0;
    conductor->subscriptions = NULL;
    conductor->subscription_count = 0;
    tp_distinct_error_log_close(&conductor->error_log);
    tp_counters_manager_close(&conductor->counters);
}
