/* Read-only view of the driver's counters (CnC metadata + values sections), per the public descriptors. */
#include <errno.h>
#include <string.h>

#include "aeron_client_private.h"
#include "common/tp_atomic.h"

void aeron_counters_reader_wrap(aeron_counters_reader_t *reader, uint8_t *metadata, size_t metadata_length,
                                uint8_t *values, size_t values_length)
{
    reader->metadata = metadata;
    reader->metadata_length = metadata_length;
    reader->values = values;
    reader->values_length = values_length;
    reader->max_counter_id = (int32_t)(values_length / AERON_COUNTER_VALUE_LENGTH) - 1;
}

static inline aeron_counter_metadata_descriptor_t *aeron_counters_reader_meta(aeron_counters_reader_t *reader,
                                                                              int32_t id)
{
    return (aeron_counter_metadata_descriptor_t *)(reader->metadata + AERON_COUNTER_METADATA_OFFSET((size_t)id));
}

static inline aeron_counter_value_descriptor_t *aeron_counters_reader_value(aeron_counters_reader_t *reader, int32_t id)
{
    return (aeron_counter_value_descriptor_t *)(reader->values + AERON_COUNTER_OFFSET((size_t)id));
}

static int aeron_counters_reader_check(aeron_counters_reader_t *reader, int32_t counter_id)
{
    if (NULL == reader)
    {
        aeron_err_set(EINVAL, "counters reader is NULL");
        return -1;
    }
    if (counter_id < 0 || counter_id > reader->max_counter_id)
    {
        aeron_err_set(EINVAL, "counter id %d out of range [0, %d]", counter_id, reader->max_counter_id);
        return -1;
    }
    return 0;
}

int aeron_counters_reader_get_buffers(aeron_counters_reader_t *reader, aeron_counters_reader_buffers_t *buffers)
{
    if (NULL == reader || NULL == buffers)
    {
        aeron_err_set(EINVAL, "aeron_counters_reader_get_buffers: reader or buffers is NULL");
        return -1;
    }
    buffers->values = reader->values;
    buffers->metadata = reader->metadata;
    buffers->values_length = reader->values_length;
    buffers->metadata_length = reader->metadata_length;
    return 0;
}

void aeron_counters_reader_foreach_counter(aeron_counters_reader_t *counters_reader,
                                           aeron_counters_reader_foreach_counter_func_t func, void *clientd)
{
    if (NULL == counters_reader || NULL == func)
    {
        return;
    }
    for (int32_t id = 0; id <= counters_reader->max_counter_id; id++)
    {
        aeron_counter_metadata_descriptor_t *meta = aeron_counters_reader_meta(counters_reader, id);
        int32_t state = tp_load_acquire_i32(&meta->state);
        if (AERON_COUNTER_RECORD_UNUSED == state)
        {
            break;
        }
        if (AERON_COUNTER_RECORD_ALLOCATED != state)
        {
            continue;
        }
        int32_t label_length = meta->label_length;
        if (label_length < 0 || (size_t)label_length > AERON_COUNTER_MAX_LABEL_LENGTH)
        {
            label_length = 0;
        }
        int64_t value = tp_load_acquire_i64(&aeron_counters_reader_value(counters_reader, id)->counter_value);
        func(value, id, meta->type_id, meta->key, AERON_COUNTER_MAX_KEY_LENGTH, (const char *)meta->label,
             (size_t)label_length, clientd);
    }
}

int32_t aeron_counters_reader_find_by_type_id_and_registration_id(aeron_counters_reader_t *counters_reader,
                                                                  int32_t type_id, int64_t registration_id)
{
    if (NULL == counters_reader)
    {
        return AERON_NULL_COUNTER_ID;
    }
    for (int32_t id = 0; id <= counters_reader->max_counter_id; id++)
    {
        aeron_counter_metadata_descriptor_t *meta = aeron_counters_reader_meta(counters_reader, id);
        int32_t state = tp_load_acquire_i32(&meta->state);
        if (AERON_COUNTER_RECORD_UNUSED == state)
        {
            break;
        }
        if (AERON_COUNTER_RECORD_ALLOCATED == state && meta->type_id == type_id &&
            tp_load_acquire_i64(&aeron_counters_reader_value(counters_reader, id)->registration_id) == registration_id)
        {
            return id;
        }
    }
    return AERON_NULL_COUNTER_ID;
}

int32_t aeron_counters_reader_max_counter_id(aeron_counters_reader_t *reader)
{
    return NULL == reader ? -1 : reader->max_counter_id;
}

int64_t *aeron_counters_reader_addr(aeron_counters_reader_t *counters_reader, int32_t counter_id)
{
    if (NULL == counters_reader || counter_id < 0 || counter_id > counters_reader->max_counter_id)
    {
        return NULL;
    }
    return &aeron_counters_reader_value(counters_reader, counter_id)->counter_value;
}

int aeron_counters_reader_counter_registration_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                                  int64_t *registration_id)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *registration_id = tp_load_acquire_i64(&aeron_counters_reader_value(counters_reader, counter_id)->registration_id);
    return 0;
}

int aeron_counters_reader_counter_owner_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                           int64_t *owner_id)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *owner_id = tp_load_acquire_i64(&aeron_counters_reader_value(counters_reader, counter_id)->owner_id);
    return 0;
}

int aeron_counters_reader_counter_reference_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                               int64_t *reference_id)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *reference_id = tp_load_acquire_i64(&aeron_counters_reader_value(counters_reader, counter_id)->reference_id);
    return 0;
}

int aeron_counters_reader_counter_state(aeron_counters_reader_t *counters_reader, int32_t counter_id, int32_t *state)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *state = tp_load_acquire_i32(&aeron_counters_reader_meta(counters_reader, counter_id)->state);
    return 0;
}

int aeron_counters_reader_counter_type_id(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                          int32_t *type_id)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *type_id = aeron_counters_reader_meta(counters_reader, counter_id)->type_id;
    return 0;
}

int aeron_counters_reader_metadata_key(aeron_counters_reader_t *counters_reader, int32_t counter_id, uint8_t **key_p)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *key_p = aeron_counters_reader_meta(counters_reader, counter_id)->key;
    return 0;
}

int aeron_counters_reader_counter_label(aeron_counters_reader_t *counters_reader, int32_t counter_id, char *buffer,
                                        size_t buffer_length)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    aeron_counter_metadata_descriptor_t *meta = aeron_counters_reader_meta(counters_reader, counter_id);
    int32_t label_length = meta->label_length;
    if (label_length < 0 || (size_t)label_length > AERON_COUNTER_MAX_LABEL_LENGTH)
    {
        label_length = 0;
    }
    size_t n = (size_t)label_length < buffer_length ? (size_t)label_length : buffer_length;
    memcpy(buffer, meta->label, n);
    return (int)n;
}

int aeron_counters_reader_free_for_reuse_deadline_ms(aeron_counters_reader_t *counters_reader, int32_t counter_id,
                                                     int64_t *deadline_ms)
{
    if (aeron_counters_reader_check(counters_reader, counter_id) < 0)
    {
        return -1;
    }
    *deadline_ms = aeron_counters_reader_meta(counters_reader, counter_id)->free_for_reuse_deadline_ms;
    return 0;
}
