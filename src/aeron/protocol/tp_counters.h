/*
 * Counters: the metadata and values sections of the CnC file.
 *
 * Counter i has a 512-byte metadata record at i * 512 and a 128-byte value record at i * 128. The driver owns
 * the manager (allocate / free / reuse); anybody may read through a reader. Scanners stop at the first UNUSED
 * record, so the manager allocates ids densely from 0.
 */
#ifndef TENSORPOOL_TP_COUNTERS_H
#define TENSORPOOL_TP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_COUNTER_METADATA_LENGTH  512
#define TP_COUNTER_VALUE_LENGTH     128
#define TP_COUNTER_MAX_KEY_LENGTH   112
#define TP_COUNTER_MAX_LABEL_LENGTH 380

#define TP_COUNTER_RECORD_UNUSED    0
#define TP_COUNTER_RECORD_ALLOCATED 1
#define TP_COUNTER_RECORD_RECLAIMED (-1)

#define TP_COUNTER_NOT_FREE_TO_REUSE       INT64_MAX
#define TP_COUNTER_REGISTRATION_ID_DEFAULT 0
#define TP_COUNTER_OWNER_ID_DEFAULT        0
#define TP_COUNTER_REFERENCE_ID_DEFAULT    0
#define TP_NULL_COUNTER_ID                 (-1)

/* Counter type ids used by the driver and clients. */
#define TP_COUNTER_TYPE_SYSTEM                 0
#define TP_COUNTER_TYPE_PUBLISHER_LIMIT        1
#define TP_COUNTER_TYPE_SENDER_POSITION        2
#define TP_COUNTER_TYPE_RECEIVER_HWM           3
#define TP_COUNTER_TYPE_SUBSCRIBER_POSITION    4
#define TP_COUNTER_TYPE_RECEIVER_POSITION      5
#define TP_COUNTER_TYPE_SEND_CHANNEL_STATUS    6
#define TP_COUNTER_TYPE_RECEIVE_CHANNEL_STATUS 7
#define TP_COUNTER_TYPE_SENDER_LIMIT           9
#define TP_COUNTER_TYPE_PER_IMAGE              10
#define TP_COUNTER_TYPE_CLIENT_HEARTBEAT       11
#define TP_COUNTER_TYPE_PUBLISHER_POSITION     12
#define TP_COUNTER_TYPE_SENDER_BPE             13

#pragma pack(push, 4)
typedef struct tp_counter_metadata_stct
{
    int32_t state;
    int32_t type_id;
    int64_t free_for_reuse_deadline_ms;
    uint8_t key[TP_COUNTER_MAX_KEY_LENGTH];
    int32_t label_length;
    char label[TP_COUNTER_MAX_LABEL_LENGTH];
} tp_counter_metadata_t;

typedef struct tp_counter_value_stct
{
    int64_t value;
    int64_t registration_id;
    int64_t owner_id;
    int64_t reference_id;
    uint8_t pad[TP_COUNTER_VALUE_LENGTH - 4 * sizeof(int64_t)];
} tp_counter_value_t;

/* Key of the per-stream position counters (pub-lmt, pub-pos, sub-pos, ...). */
typedef struct tp_stream_counter_key_stct
{
    int64_t registration_id;
    int32_t session_id;
    int32_t stream_id;
    int32_t channel_length;
    char channel[TP_COUNTER_MAX_KEY_LENGTH - 20];
} tp_stream_counter_key_t;
#pragma pack(pop)

typedef struct tp_counters_manager_stct
{
    uint8_t *metadata;
    size_t metadata_length;
    uint8_t *values;
    size_t values_length;
    int32_t max_counter_id;
    int32_t id_high_water_mark; /* highest id ever handed out, -1 when none */
    int32_t *free_list;
    size_t free_list_length;
    size_t free_list_capacity;
    int64_t free_to_reuse_timeout_ms;
} tp_counters_manager_t;

typedef struct tp_counters_reader_stct
{
    uint8_t *metadata;
    size_t metadata_length;
    uint8_t *values;
    size_t values_length;
    int32_t max_counter_id;
} tp_counters_reader_t;

/* Metadata must be 4 x values; values a non-zero multiple of 128. Returns 0 / -1. */
int tp_counters_manager_init(tp_counters_manager_t *manager, uint8_t *metadata, size_t metadata_length, uint8_t *values,
                             size_t values_length, int64_t free_to_reuse_timeout_ms);
void tp_counters_manager_close(tp_counters_manager_t *manager);

/*
 * Allocates a counter (reusing a freed id whose deadline has passed, else the next unused id) and publishes it
 * with ALLOCATED stored last. Key and label are truncated to their maximum lengths. Returns the id or -1 (error
 * set) when the counters are exhausted.
 */
int32_t tp_counters_manager_allocate(tp_counters_manager_t *manager, int32_t type_id, const void *key,
                                     size_t key_length, const char *label, size_t label_length, int64_t now_ms);

/* Marks the counter RECLAIMED; its id becomes reusable after the free-to-reuse timeout. Returns 0 / -1. */
int tp_counters_manager_free(tp_counters_manager_t *manager, int32_t counter_id, int64_t now_ms);

void tp_counters_manager_set_registration_id(tp_counters_manager_t *manager, int32_t counter_id, int64_t id);
void tp_counters_manager_set_owner_id(tp_counters_manager_t *manager, int32_t counter_id, int64_t id);
void tp_counters_manager_set_reference_id(tp_counters_manager_t *manager, int32_t counter_id, int64_t id);
/* Appends to the label (truncating at the maximum); returns the new label length. */
size_t tp_counters_manager_append_to_label(tp_counters_manager_t *manager, int32_t counter_id, const char *text);

static inline int64_t *tp_counters_manager_addr(tp_counters_manager_t *manager, int32_t counter_id)
{
    return (int64_t *)(manager->values + (size_t)counter_id * TP_COUNTER_VALUE_LENGTH);
}

void tp_counters_reader_init(tp_counters_reader_t *reader, uint8_t *metadata, size_t metadata_length, uint8_t *values,
                             size_t values_length);

typedef void (*tp_counters_reader_foreach_func_t)(int64_t value, int32_t id, int32_t type_id, const uint8_t *key,
                                                  size_t key_length, const char *label, size_t label_length,
                                                  void *clientd);

/* Visits ALLOCATED counters in id order, skipping RECLAIMED ones and stopping at the first UNUSED record. */
void tp_counters_reader_foreach(const tp_counters_reader_t *reader, tp_counters_reader_foreach_func_t func,
                                void *clientd);

static inline int64_t *tp_counters_reader_addr(const tp_counters_reader_t *reader, int32_t counter_id)
{
    return (int64_t *)(reader->values + (size_t)counter_id * TP_COUNTER_VALUE_LENGTH);
}

static inline tp_counter_metadata_t *tp_counters_reader_metadata(const tp_counters_reader_t *reader, int32_t id)
{
    return (tp_counter_metadata_t *)(reader->metadata + (size_t)id * TP_COUNTER_METADATA_LENGTH);
}

/* Getters return 0 / -1 (id out of range). State is read with acquire. */
int tp_counters_reader_counter_state(const tp_counters_reader_t *reader, int32_t counter_id, int32_t *state);
int tp_counters_reader_counter_type_id(const tp_counters_reader_t *reader, int32_t counter_id, int32_t *type_id);
int tp_counters_reader_counter_registration_id(const tp_counters_reader_t *reader, int32_t counter_id, int64_t *id);
int tp_counters_reader_counter_owner_id(const tp_counters_reader_t *reader, int32_t counter_id, int64_t *id);
int tp_counters_reader_counter_reference_id(const tp_counters_reader_t *reader, int32_t counter_id, int64_t *id);
int tp_counters_reader_free_for_reuse_deadline_ms(const tp_counters_reader_t *reader, int32_t counter_id,
                                                  int64_t *deadline_ms);
/* Copies the label (NUL-terminated, truncated to dst_length - 1); returns the copied length or -1. */
int tp_counters_reader_counter_label(const tp_counters_reader_t *reader, int32_t counter_id, char *dst,
                                     size_t dst_length);
/* Points at the 112-byte key; returns 0 / -1. */
int tp_counters_reader_counter_key(const tp_counters_reader_t *reader, int32_t counter_id, const uint8_t **key);

#endif /* TENSORPOOL_TP_COUNTERS_H */
