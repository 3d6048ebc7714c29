/* Counters this client asked the driver to allocate: async add, value address, close. */
#include <errno.h>

#include "aeron_client_private.h"

int aeron_async_add_counter(aeron_async_add_counter_t **async, aeron_t *client, int32_t type_id,
                            const uint8_t *key_buffer, size_t key_buffer_length, const char *label_buffer,
                            size_t label_buffer_length)
{
    if (NULL == async || NULL == client || (NULL == key_buffer && key_buffer_length > 0) ||
        (NULL == label_buffer && label_buffer_length > 0))
    {
        aeron_err_set(EINVAL, "aeron_async_add_counter: async, client, key or label is NULL");
        return -1;
    }
    return aeron_client_conductor_async_add_counter(client->conductor, async, type_id, key_buffer, key_buffer_length,
                                                    label_buffer, label_buffer_length);
}

int aeron_async_add_counter_poll(aeron_counter_t **counter, aeron_async_add_counter_t *async)
{
    if (NULL == counter || NULL == async)
    {
        aeron_err_set(EINVAL, "aeron_async_add_counter_poll: counter or async is NULL");
        return -1;
    }
    if (AERON_CLIENT_TYPE_COUNTER != async->type)
    {
        aeron_err_set(EINVAL, "aeron_async_add_counter_poll: handle of type %d is not a counter", (int)async->type);
        return -1;
    }
    void *resource = NULL;
    int rc = aeron_client_conductor_async_poll(async, &resource);
    *counter = resource;
    return rc;
}

int64_t aeron_async_add_counter_get_registration_id(aeron_async_add_counter_t *add_counter)
{
    return NULL == add_counter ? AERON_NULL_VALUE : add_counter->registration_id;
}

int64_t *aeron_counter_addr(aeron_counter_t *counter)
{
    return NULL == counter ? NULL : (int64_t *)counter->value;
}

int aeron_counter_constants(aeron_counter_t *counter, aeron_counter_constants_t *constants)
{
    if (NULL == counter || NULL == constants)
    {
        aeron_err_set(EINVAL, "aeron_counter_constants: counter or constants is NULL");
        return -1;
    }
    constants->registration_id = counter->registration_id;
    constants->counter_id = counter->counter_id;
    return 0;
}

int aeron_counter_close(aeron_counter_t *counter, aeron_notification_t on_close_complete,
                        void *on_close_complete_clientd)
{
    if (NULL == counter)
    {
        return 0;
    }
    int rc = aeron_client_conductor_close_counter(counter->conductor, counter);
    if (NULL != on_close_complete)
    {
        on_close_complete(on_close_complete_clientd);
    }
    return rc;
}

bool aeron_counter_is_closed(aeron_counter_t *counter)
{
    return NULL == counter || __atomic_load_n(&counter->is_closed, __ATOMIC_ACQUIRE);
}
