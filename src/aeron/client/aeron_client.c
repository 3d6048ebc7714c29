/* aeron_t: the client handle, its conductor thread (or invoker mode) and the async add entry points. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aeron_client_private.h"

int aeron_init(aeron_t **client, aeron_context_t *context)
{
    if (NULL == client || NULL == context)
    {
        aeron_err_set(EINVAL, "aeron_init: client or context is NULL");
        return -1;
    }
    aeron_t *aeron = calloc(1, sizeof(*aeron));
    if (NULL == aeron)
    {
        aeron_err_set(ENOMEM, "could not allocate aeron client");
        return -1;
    }
    aeron->context = context;
    if (aeron_client_conductor_create(&aeron->conductor, context) < 0)
    {
        free(aeron);
        return -1;
    }
    *client = aeron;
    return 0;
}

static void *aeron_conductor_thread(void *arg)
{
    aeron_t *aeron = arg;
    if (NULL != aeron->context->agent_on_start)
    {
        aeron->context->agent_on_start(aeron->context->agent_on_start_state, "[aeron-client-conductor]");
    }
    while (__atomic_load_n(&aeron->running, __ATOMIC_ACQUIRE))
    {
        int work = aeron_client_conductor_do_work(aeron->conductor);
        aeron_main_idle_strategy(aeron, work);
    }
    return NULL;
}

int aeron_start(aeron_t *client)
{
    if (NULL == client)
    {
        aeron_err_set(EINVAL, "aeron_start: client is NULL");
        return -1;
    }
    if (client->context->use_conductor_agent_invoker || client->thread_started)
    {
        return 0;
    }
    __atomic_store_n(&client->running, true, __ATOMIC_RELEASE);
    int rc = pthread_create(&client->conductor_thread, NULL, aeron_conductor_thread, client);
    if (0 != rc)
    {
        __atomic_store_n(&client->running, false, __ATOMIC_RELEASE);
        aeron_err_set(rc, "could not start the client conductor thread: %s", strerror(rc));
        return -1;
    }
    client->thread_started = true;
    return 0;
}

int aeron_main_do_work(aeron_t *client)
{
    if (NULL == client)
    {
        aeron_err_set(EINVAL, "aeron_main_do_work: client is NULL");
        return -1;
    }
    return aeron_client_conductor_do_work(client->conductor);
}

void aeron_main_idle_strategy(aeron_t *client, int work_count)
{
    if (work_count > 0 || NULL == client)
    {
        return;
    }
    uint64_t ns = client->context->idle_sleep_duration_ns;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

int aeron_close(aeron_t *client)
{
    if (NULL == client)
    {
        return 0;
    }
    if (client->thread_started)
    {
        __atomic_store_n(&client->running, false, __ATOMIC_RELEASE);
        pthread_join(client->conductor_thread, NULL);
        client->thread_started = false;
    }
    aeron_client_conductor_delete(client->conductor);
    free(client);
    return 0;
}

bool aeron_is_closed(aeron_t *client)
{
    return NULL == client || aeron_client_conductor_is_closed(client->conductor);
}

aeron_context_t *aeron_context(aeron_t *client)
{
    return NULL == client ? NULL : client->context;
}

int64_t aeron_client_id(aeron_t *client)
{
    return NULL == client ? -1 : aeron_client_conductor_client_id(client->conductor);
}

int64_t aeron_next_correlation_id(aeron_t *client)
{
    return NULL == client ? -1 : aeron_client_conductor_next_correlation_id(client->conductor);
}

aeron_counters_reader_t *aeron_counters_reader(aeron_t *client)
{
    return NULL == client ? NULL : aeron_client_conductor_counters_reader(client->conductor);
}

static void aeron_print_counter(int64_t value, int32_t id, int32_t type_id, const uint8_t *key, size_t key_length,
                                const char *label, size_t label_length, void *clientd)
{
    void (*stream_out)(const char *) = *(void (**)(const char *))clientd;
    char line[640];
    snprintf(line, sizeof(line), "%3d: %20lld - %.*s\n", id, (long long)value, (int)label_length, label);
    stream_out(line);
}

void aeron_print_counters(aeron_t *client, void (*stream_out)(const char *))
{
    if (NULL == client || NULL == stream_out)
    {
        return;
    }
    aeron_counters_reader_foreach_counter(aeron_counters_reader(client), aeron_print_counter, &stream_out);
}

static int aeron_async_add(aeron_async_add_publication_t **async, aeron_t *client, const char *uri, int32_t stream_id,
                           aeron_client_resource_type_t type)
{
    if (NULL == async || NULL == client || NULL == uri)
    {
        aeron_err_set(EINVAL, "async add: async, client or uri is NULL");
        return -1;
    }
    return aeron_client_conductor_async_add(client->conductor, async, type, uri, stream_id, NULL, NULL, NULL, NULL);
}

int aeron_async_add_publication(aeron_async_add_publication_t **async, aeron_t *client, const char *uri,
                                int32_t stream_id)
{
    return aeron_async_add(async, client, uri, stream_id, AERON_CLIENT_TYPE_PUBLICATION);
}

int aeron_async_add_exclusive_publication(aeron_async_add_exclusive_publication_t **async, aeron_t *client,
                                          const char *uri, int32_t stream_id)
{
    return aeron_async_add(async, client, uri, stream_id, AERON_CLIENT_TYPE_EXCLUSIVE_PUBLICATION);
}

int aeron_async_add_subscription(aeron_async_add_subscription_t **async, aeron_t *client, const char *uri,
                                 int32_t stream_id, aeron_on_available_image_t on_available_image_handler,
                                 void *on_available_image_clientd,
                                 aeron_on_unavailable_image_t on_unavailable_image_handler,
                                 void *on_unavailable_image_clientd)
{
    if (NULL == async || NULL == client || NULL == uri)
    {
        aeron_err_set(EINVAL, "aeron_async_add_subscription: async, client or uri is NULL");
        return -1;
    }
    return aeron_client_conductor_async_add(client->conductor, async, AERON_CLIENT_TYPE_SUBSCRIPTION, uri, stream_id,
                                            on_available_image_handler, on_available_image_clientd,
                                            on_unavailable_image_handler, on_unavailable_image_clientd);
}

static int aeron_async_poll_typed(void **resource, struct aeron_client_registering_resource_stct *async,
                                  aeron_client_resource_type_t type)
{
    if (NULL == resource || NULL == async)
    {
        aeron_err_set(EINVAL, "async poll: resource or async is NULL");
        return -1;
    }
    if (async->type != type)
    {
        aeron_err_set(EINVAL, "async poll: handle of type %d polled as type %d", (int)async->type, (int)type);
        return -1;
    }
    return aeron_client_conductor_async_poll(async, resource);
}

int aeron_async_add_publication_poll(aeron_publication_t **publication, aeron_async_add_publication_t *async)
{
    void *resource = NULL;
    int rc = aeron_async_poll_typed(&resource, async, AERON_CLIENT_TYPE_PUBLICATION);
    *publication = resource;
    return rc;
}

int aeron_async_add_exclusive_publication_poll(aeron_exclusive_publication_t **publication,
                                               aeron_async_add_exclusive_publication_t *async)
{
    void *resource = NULL;
    int rc = aeron_async_poll_typed(&resource, async, AERON_CLIENT_TYPE_EXCLUSIVE_PUBLICATION);
    *publication = resource;
    return rc;
}

int aeron_async_add_subscription_poll(aeron_subscription_t **subscription, aeron_async_add_subscription_t *async)
{
    void *resource = NULL;
    int rc = aeron_async_poll_typed(&resource, async, AERON_CLIENT_TYPE_SUBSCRIPTION);
    *subscription = resource;
    return rc;
}

int64_t aeron_async_add_publication_get_registration_id(aeron_async_add_publication_t *add_publication)
{
    return NULL == add_publication ? AERON_NULL_VALUE : add_publication->registration_id;
}

int64_t aeron_async_add_exclusive_exclusive_publication_get_registration_id(
    aeron_async_add_exclusive_publication_t *add_exclusive_publication)
{
    return NULL == add_exclusive_publication ? AERON_NULL_VALUE : add_exclusive_publication->registration_id;
}

int64_t aeron_async_add_subscription_get_registration_id(aeron_async_add_subscription_t *add_subscription)
{
    return NULL == add_subscription ? AERON_NULL_VALUE : add_subscription->registration_id;
}
