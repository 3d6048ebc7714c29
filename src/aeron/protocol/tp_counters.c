#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aeron/protocol/tp_counters.h"
#include "common/tp_atomic.h"
#include "common/tp_error_private.h"

_Static_assert(sizeof(tp_counter_metadata_t) == TP_COUNTER_METADATA_LENGTH, "metadata record is 512 bytes");
_Static_assert(offsetof(tp_counter_metadata_t, key) == 16, "key @16");
_Static_assert(offsetof(tp_counter_metadata_t, label_length) == 128, "label length @128");
_Static_assert(offsetof(tp_counter_metadata_t, label) == 132, "label @132");
_Static_assert(sizeof(tp_counter_value_t) == TP_COUNTER_VALUE_LENGTH, "value record is 128 bytes");
_Static_assert(offsetof(tp_counter_value_t, owner_id) == 16, "owner id @16");
_Static_assert(sizeof(tp_stream_counter_key_t) == TP_COUNTER_MAX_KEY_LENGTH, "stream key fills the key");
_Static_assert(offsetof(tp_stream_counter_key_t, channel) == 20, "stream key channel @20");

static inline tp_counter_metadata_t *tp_counters_metadata_at(uint8_t *metadata, int32_t id)
{
    return (tp_counter_metadata_t *)(metadata + (size_t)id * TP_COUNTER_METADATA_LENGTH);
}

static inline tp_counter_value_t *tp_counters_value_at(uint8_t *values, int32_t id)
{
    return (tp_counter_value_t *)(values + (size_t)id * TP_COUNTER_VALUE_LENGTH);
}

int tp_counters_manager_init(tp_counters_manager_t *manager, uint8_t *metadata, size_t metadata_length, uint8_t *values,
                             size_t values_length, int64_t free_to_reuse_timeout_ms)
{
    if (0 == values_length || 0 != values_length % TP_COUNTER_VALUE_LENGTH)
    {
        TP_SET_ERR(EINVAL, "counters values length %zu is not a non-zero multiple of %d", values_length,
                   TP_COUNTER_VALUE_LENGTH);
        return -1;
    }
    if (metadata_length < values_length * (TP_COUNTER_METADATA_LENGTH / TP_COUNTER_VALUE_LENGTH))
    {
        TP_SET_ERR(EINVAL, "counters metadata length %zu is less than 4 x values length %zu", metadata_length,
                   values_length);
        return -1;
    }
    memset(manager, 0, sizeof(*manager));
    manager->metadata = metadata;
    manager->metadata_length = metadata_length;
    manager->values = values;
    manager->values_length = values_length;
    manager->max_counter_id = (int32_t)(values_length / TP_COUNTER_VALUE_LENGTH) - 1;
    manager->id_high_water_mark = -1;
    manager->free_to_reuse_timeout_ms = free_to_reuse_timeout_ms;
    return 0;
}

void tp_counters_manager_close(tp_counters_manager_t *manager)
{
    if (NULL != manager)
    {
        free(manager->free_list);
        manager->free_list = NULL;
        manager->free_list_length = 0;
        manager->free_list_capacity = 0;
    }
}

static int32_t tp_counters_manager_next_id(tp_counters_manager_t *manager, int64_t now_ms)
{
    for (size_t i = 0; i < manager->free_list_length; i++)
    {
        const int32_t id = manager->free_list[i];
        const tp_counter_metadata_t *metadata = tp_counters_metadata_at(manager->metadata, id);
        if (now_ms >= tp_load_acquire_i64(&metadata->free_for_reuse_deadline_ms))
        {
            memmove(&manager->free_list[i], &manager->free_list[i + 1],
                    (manager->free_list_length - i - 1) * sizeof(int32_t));
            manager->free_list_length--;

            tp_counter_value_t *value = tp_counters_value_at(manager->values, id);
            tp_store_release_i64(&value->registration_id, TP_COUNTER_REGISTRATION_ID_DEFAULT);
            tp_store_release_i64(&value->owner_id, TP_COUNTER_OWNER_ID_DEFAULT);
            tp_store_release_i64(&value->reference_id, TP_COUNTER_REFERENCE_ID_DEFAULT);
            tp_store_release_i64(&value->value, 0);
            return id;
        }
    }

    if (manager->id_high_water_mark >= manager->max_counter_id)
    {
        TP_SET_ERR(ENOSPC, "all %d counters are in use (values buffer %zu bytes)", manager->max_counter_id + 1,
                   manager->values_length);
        return -1;
    }
    return ++manager->id_high_water_mark;
}

int32_t tp_counters_manager_allocate(tp_counters_manager_t *manager, int32_t type_id, const void *key,
                                     size_t key_length, const char *label, size_t label_length, int64_t now_ms)
{
    const int32_t id = tp_counters_manager_next_id(manager, now_ms);
    if (id < 0)
    {
        return -1;
    }

    tp_counter_metadata_t *metadata = tp_counters_metadata_at(manager->metadata, id);
    metadata->type_id = type_id;
    tp_store_release_i64(&metadata->free_for_reuse_deadline_ms, TP_COUNTER_NOT_FREE_TO_REUSE);
    memset(metadata->key, 0, sizeof(metadata->key));
    if (NULL != key && key_length > 0)
    {
        memcpy(metadata->key, key, key_length < TP_COUNTER_MAX_KEY_LENGTH ? key_length : TP_COUNTER_MAX_KEY_LENGTH);
    }
    const size_t copied = label_length < TP_COUNTER_MAX_LABEL_LENGTH ? label_length : TP_COUNTER_MAX_LABEL_LENGTH;
    if (copied > 0)
    {
        memcpy(metadata->label, label, copied);
    }
    metadata->label_length = (int32_t)copied;
    /* Readers look at the state first: everything above must be visible before it says ALLOCATED. */
    tp_store_release_i32(&metadata->state, TP_COUNTER_RECORD_ALLOCATED);
    return id;
}

int tp_counters_manager_free(tp_counters_manager_t *manager, int32_t counter_id, int64_t now_ms)
{
    if (counter_id < 0 || counter_id > manager->id_high_water_mark)
    {
        TP_SET_ERR(EINVAL, "counter id %d was never allocated (high-water mark %d)", counter_id,
                   manager->id_high_water_mark);
        return -1;
    }
    tp_counter_metadata_t *metadata = tp_counters_metadata_at(manager->metadata, counter_id);
    if (TP_COUNTER_RECORD_ALLOCATED != tp_load_acquire_i32(&metadata->state))
    {
        TP_SET_ERR(EINVAL, "counter id %d is not allocated (state %d)", counter_id, metadata->state);
        return -1;
    }
    if (manager->free_list_length == manager->free_list_capacity)
    {
        const size_t capacity = 0 == manager->free_list_capacity ? 16 : manager->free_list_capacity * 2;
        int32_t *list = realloc(manager->free_list, capacity * sizeof(int32_t));
        if (NULL == list)
        {
            TP_SET_ERR(ENOMEM, "growing counters free list to %zu entries", capacity);
            return -1;
        }
        manager->free_list = list;
        manager->free_list_capacity = capacity;
    }

    tp_store_release_i32(&metadata->state, TP_COUNTER_RECORD_RECLAIMED);
    memset(metadata->key, 0, sizeof(metadata->key));
    tp_store_release_i64(&metadata->free_for_reuse_deadline_ms, now_ms + manager->free_to_reuse_timeout_ms);
    manager->free_list[manager->free_list_length++] = counter_id;
    return 0;
}

void tp_counters_manager_set_registration_id(tp_counters_manager_t *manager, int32_t counter_id, int64_t id)
{
    tp_store_release_i64(&tp_counters_value_at(manager->values, counter_id)->registration_id, id);
}

void tp_counters_manager_set_owner_id(tp_counters_manager_t *manager, int32_t counter_id, int64_t id)
{
    tp_store_release_i64(&tp_counters_value_at(manager->values, counter_id)->owner_id, id);
}

void tp_counters_manager_set_reference_id(tp_counters_manager_t *manager, int32_t counter_id, int64_t id)
{
    tp_store_release_i64(&tp_counters_value_at(manager->values, counter_id)->reference_id, id);
}

size_t tp_counters_manager_append_to_label(tp_counters_manager_t *manager, int32_t counter_id, const char *text)
{
    tp_counter_metadata_t *metadata = tp_counters_metadata_at(manager->metadata, counter_id);
    size_t length = (size_t)metadata->label_length;
    size_t add = strlen(text);
    if (length + add > TP_COUNTER_MAX_LABEL_LENGTH)
    {
        add = TP_COUNTER_MAX_LABEL_LENGTH - length;
    }
    memcpy(metadata->label + length, text, add);
    tp_store_release_i32(&metadata->label_length, (int32_t)(length + add));
    return length + add;
}

void tp_counters_reader_init(tp_counters_reader_t *reader, uint8_t *metadata, size_t metadata_length, uint8_t *values,
                             size_t values_length)
{
    reader->metadata = metadata;
    reader->metadata_length = metadata_length;
    reader->values = values;
    reader->values_length = values_length;
    const size_t by_values = values_length / TP_COUNTER_VALUE_LENGTH;
    const size_t by_metadata = metadata_length / TP_COUNTER_METADATA_LENGTH;
    reader->max_counter_id = (int32_t)(by_values < by_metadata ? by_values : by_metadata) - 1;
}

void tp_counters_reader_foreach(const tp_counters_reader_t *reader, tp_counters_reader_foreach_func_t func,
                                void *clientd)
{
    for (int32_t id = 0; id <= reader->max_counter_id; id++)
    {
        const tp_counter_metadata_t *metadata = tp_counters_reader_metadata(reader, id);
        const int32_t state = tp_load_acquire_i32(&metadata->state);
        if (TP_COUNTER_RECORD_UNUSED == state)
        {
            break;
        }
        if (TP_COUNTER_RECORD_ALLOCATED == state)
        {
            int32_t label_length = tp_load_acquire_i32(&metadata->label_length);
            if (label_length < 0 || label_length > TP_COUNTER_MAX_LABEL_LENGTH)
            {
                label_length = 0;
            }
            func(tp_load_acquire_i64(tp_counters_reader_addr(reader, id)), id, metadata->type_id, metadata->key,
                 TP_COUNTER_MAX_KEY_LENGTH, metadata->label, (size_t)label_length, clientd);
        }
    }
}

static int tp_counters_reader_check_id(const tp_counters_reader_t *reader, int32_t counter_id)
{
    if (counter_id < 0 || counter_id > reader->max_counter_id)
    {
        TP_SET_ERR(EINVAL, "counter id %d out of range [0, %d]", counter_id, reader->max_counter_id);
        return -1;
    }
    return 0;
}

int tp_counters_reader_counter_state(const tp_counters_reader_t *reader, int32_t counter_id, int32_t *state)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *state = tp_load_acquire_i32(&tp_counters_reader_metadata(reader, counter_id)->state);
    return 0;
}

int tp_counters_reader_counter_type_id(const tp_counters_reader_t *reader, int32_t counter_id, int32_t *type_id)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *type_id = tp_counters_reader_metadata(reader, counter_id)->type_id;
    return 0;
}

int tp_counters_reader_counter_registration_id(const tp_counters_reader_t *reader, int32_t counter_id, int64_t *id)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *id = tp_load_acquire_i64(&tp_counters_value_at(reader->values, counter_id)->registration_id);
    return 0;
}

int tp_counters_reader_counter_owner_id(const tp_counters_reader_t *reader, int32_t counter_id, int64_t *id)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *id = tp_load_acquire_i64(&tp_counters_value_at(reader->values, counter_id)->owner_id);
    return 0;
}

int tp_counters_reader_counter_reference_id(const tp_counters_reader_t *reader, int32_t counter_id, int64_t *id)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *id = tp_load_acquire_i64(&tp_counters_value_at(reader->values, counter_id)->reference_id);
    return 0;
}

int tp_counters_reader_free_for_reuse_deadline_ms(const tp_counters_reader_t *reader, int32_t counter_id,
                                                  int64_t *deadline_ms)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *deadline_ms = tp_load_acquire_i64(&tp_counters_reader_metadata(reader, counter_id)->free_for_reuse_deadline_ms);
    return 0;
}

int tp_counters_reader_counter_label(const tp_counters_reader_t *reader, int32_t counter_id, char *dst,
                                     size_t dst_length)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0 || 0 == dst_length)
    {
        return -1;
    }
    const tp_counter_metadata_t *metadata = tp_counters_reader_metadata(reader, counter_id);
    int32_t length = tp_load_acquire_i32(&metadata->label_length);
    if (length < 0 || length > TP_COUNTER_MAX_LABEL_LENGTH)
    {
        length = 0;
    }
    size_t copied = (size_t)length < dst_length - 1 ? (size_t)length : dst_length - 1;
    memcpy(dst, metadata->label, copied);
    dst[copied] = '\0';
    return (int)copied;
}

int tp_counters_reader_counter_key(const tp_counters_reader_t *reader, int32_t counter_id, const uint8_t **key)
{
    if (tp_counters_reader_check_id(reader, counter_id) < 0)
    {
        return -1;
    }
    *key = tp_counters_reader_metadata(reader, counter_id)->key;
    return 0;
}
