/*
 * Client <-> driver control protocol: command ids written to the to-driver ring, response ids broadcast to
 * clients, and the packed (4-byte aligned) message layouts. Strings are an i32 length followed by ASCII
 * bytes, never NUL-terminated.
 */
#ifndef TENSORPOOL_TP_CONTROL_PROTOCOL_H
#define TENSORPOOL_TP_CONTROL_PROTOCOL_H

#include <stdint.h>

/* Commands (client -> driver). */
#define TP_COMMAND_ADD_PUBLICATION           0x01
#define TP_COMMAND_REMOVE_PUBLICATION        0x02
#define TP_COMMAND_ADD_EXCLUSIVE_PUBLICATION 0x03
#define TP_COMMAND_ADD_SUBSCRIPTION          0x04
#define TP_COMMAND_REMOVE_SUBSCRIPTION       0x05
#define TP_COMMAND_CLIENT_KEEPALIVE          0x06
#define TP_COMMAND_ADD_DESTINATION           0x07
#define TP_COMMAND_REMOVE_DESTINATION        0x08
#define TP_COMMAND_ADD_COUNTER               0x09
#define TP_COMMAND_REMOVE_COUNTER            0x0A
#define TP_COMMAND_CLIENT_CLOSE              0x0B
#define TP_COMMAND_ADD_RCV_DESTINATION       0x0C
#define TP_COMMAND_REMOVE_RCV_DESTINATION    0x0D
#define TP_COMMAND_TERMINATE_DRIVER          0x0E
#define TP_COMMAND_ADD_STATIC_COUNTER        0x0F
#define TP_COMMAND_REJECT_IMAGE              0x10
#define TP_COMMAND_REMOVE_DESTINATION_BY_ID  0x11

/* Responses (driver -> clients). */
#define TP_RESPONSE_ON_ERROR                       0x0F01
#define TP_RESPONSE_ON_AVAILABLE_IMAGE             0x0F02
#define TP_RESPONSE_ON_PUBLICATION_READY           0x0F03
#define TP_RESPONSE_ON_OPERATION_SUCCESS           0x0F04
#define TP_RESPONSE_ON_UNAVAILABLE_IMAGE           0x0F05
#define TP_RESPONSE_ON_EXCLUSIVE_PUBLICATION_READY 0x0F06
#define TP_RESPONSE_ON_SUBSCRIPTION_READY          0x0F07
#define TP_RESPONSE_ON_COUNTER_READY               0x0F08
#define TP_RESPONSE_ON_UNAVAILABLE_COUNTER         0x0F09
#define TP_RESPONSE_ON_CLIENT_TIMEOUT              0x0F0A
#define TP_RESPONSE_ON_STATIC_COUNTER              0x0F0B
#define TP_RESPONSE_ON_PUBLICATION_ERROR           0x0F0C

/* Error codes carried by ON_ERROR. */
#define TP_ERROR_CODE_UNKNOWN_CODE_VALUE               (-1)
#define TP_ERROR_CODE_UNUSED                           0
#define TP_ERROR_CODE_INVALID_CHANNEL                  1
#define TP_ERROR_CODE_UNKNOWN_SUBSCRIPTION             2
#define TP_ERROR_CODE_UNKNOWN_PUBLICATION              3
#define TP_ERROR_CODE_CHANNEL_ENDPOINT_ERROR           4
#define TP_ERROR_CODE_UNKNOWN_COUNTER                  5
#define TP_ERROR_CODE_UNKNOWN_COMMAND_TYPE_ID          6
#define TP_ERROR_CODE_MALFORMED_COMMAND                7
#define TP_ERROR_CODE_NOT_SUPPORTED                    8
#define TP_ERROR_CODE_UNKNOWN_HOST                     9
#define TP_ERROR_CODE_RESOURCE_TEMPORARILY_UNAVAILABLE 10
#define TP_ERROR_CODE_GENERIC_ERROR                    11
#define TP_ERROR_CODE_STORAGE_SPACE                    12
#define TP_ERROR_CODE_IMAGE_REJECTED                   13
#define TP_ERROR_CODE_PUBLICATION_REVOKED              14

/* Channel-status counter id reported for IPC (there is none). */
#define TP_CHANNEL_STATUS_INDICATOR_NOT_ALLOCATED (-1)

#pragma pack(push, 4)

/* Every command starts with this header. */
typedef struct tp_correlated_command_stct
{
    int64_t client_id;
    int64_t correlation_id;
} tp_correlated_command_t;

/* ADD_PUBLICATION / ADD_EXCLUSIVE_PUBLICATION; channel bytes follow. */
typedef struct tp_publication_command_stct
{
    tp_correlated_command_t correlated;
    int32_t stream_id;
    int32_t channel_length;
} tp_publication_command_t;

/* ADD_SUBSCRIPTION; channel bytes follow. */
typedef struct tp_subscription_command_stct
{
    tp_correlated_command_t correlated;
    int64_t registration_correlation_id;
    int32_t stream_id;
    int32_t channel_length;
} tp_subscription_command_t;

/* REMOVE_PUBLICATION / REMOVE_SUBSCRIPTION / REMOVE_COUNTER. */
typedef struct tp_remove_command_stct
{
    tp_correlated_command_t correlated;
    int64_t registration_id;
} tp_remove_command_t;

/* ADD_COUNTER head; then key (padded to 4), label_length i32, label. */
typedef struct tp_counter_command_stct
{
    tp_correlated_command_t correlated;
    int32_t type_id;
    int32_t key_length;
} tp_counter_command_t;

/* ON_ERROR; message bytes follow. */
typedef struct tp_error_response_stct
{
    int64_t offending_command_correlation_id;
    int32_t error_code;
    int32_t error_message_length;
} tp_error_response_t;

/* ON_PUBLICATION_READY / ON_EXCLUSIVE_PUBLICATION_READY; log file path bytes follow. */
typedef struct tp_publication_buffers_ready_stct
{
    int64_t correlation_id;
    int64_t registration_id;
    int32_t session_id;
    int32_t stream_id;
    int32_t position_limit_counter_id;
    int32_t channel_status_indicator_id;
    int32_t log_file_length; /* length of the path string, not of the file */
} tp_publication_buffers_ready_t;

/* ON_AVAILABLE_IMAGE head; path (padded to 4), source_identity_length i32, source identity. */
typedef struct tp_image_buffers_ready_stct
{
    int64_t correlation_id;
    int32_t session_id;
    int32_t stream_id;
    int64_t subscriber_registration_id;
    int32_t subscriber_position_id;
    int32_t log_file_length;
} tp_image_buffers_ready_t;

/* ON_UNAVAILABLE_IMAGE; channel bytes follow. */
typedef struct tp_image_message_stct
{
    int64_t correlation_id;
    int64_t subscription_registration_id;
    int32_t stream_id;
    int32_t channel_length;
} tp_image_message_t;

typedef struct tp_operation_succeeded_stct
{
    int64_t correlation_id;
} tp_operation_succeeded_t;

typedef struct tp_subscription_ready_stct
{
    int64_t correlation_id;
    int32_t channel_status_indicator_id;
} tp_subscription_ready_t;

/* ON_COUNTER_READY / ON_UNAVAILABLE_COUNTER. */
typedef struct tp_counter_update_stct
{
    int64_t correlation_id;
    int32_t counter_id;
} tp_counter_update_t;

typedef struct tp_client_timeout_stct
{
    int64_t client_id;
} tp_client_timeout_t;

#pragma pack(pop)

_Static_assert(sizeof(tp_correlated_command_t) == 16, "correlated header is 16 bytes");
_Static_assert(sizeof(tp_publication_command_t) == 24, "publication command channel @24");
_Static_assert(sizeof(tp_subscription_command_t) == 32, "subscription command channel @32");
_Static_assert(sizeof(tp_remove_command_t) == 24, "remove command is 24 bytes");
_Static_assert(sizeof(tp_counter_command_t) == 24, "counter command key @24");
_Static_assert(sizeof(tp_error_response_t) == 16, "error message @16");
_Static_assert(sizeof(tp_publication_buffers_ready_t) == 36, "publication ready path @36");
_Static_assert(sizeof(tp_image_buffers_ready_t) == 32, "image ready path @32");
_Static_assert(sizeof(tp_image_message_t) == 24, "unavailable image channel @24");
_Static_assert(sizeof(tp_subscription_ready_t) == 12, "subscription ready is 12 bytes");
_Static_assert(sizeof(tp_counter_update_t) == 12, "counter update is 12 bytes");

#endif /* TENSORPOOL_TP_CONTROL_PROTOCOL_H */
