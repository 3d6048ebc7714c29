/*
 * Client conductor: owns the CnC mapping, writes commands into the to-driver ring, reads the driver's broadcast
 * responses, creates publications / subscriptions / images from them, keeps the client's heartbeat counter
 * fresh and watches the driver's heartbeat. Runs on its own thread or through aeron_main_do_work(); the user's
 * setup calls (adds, closes) take the same recursive lock, the data path never does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeron/protocol/tp_broadcast.h"
#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_control_protocol.h"
#include "aeron/protocol/tp_mpsc_rb.h"
#include "aeron_client_private.h"
#include "common/tp_prefault.h"
#include "common/tp_atomic.h"

#define AERON_HEARTBEAT_COUNTER_TYPE_ID     11
#define AERON_CONDUCTOR_RESPONSES_PER_CYCLE 10
#define AERON_CONDUCTOR_SERVICE_INTERVAL_NS INT64_C(1000000)
#define AERON_COMMAND_MAX_LENGTH            (64 + 4096)

typedef enum aeron_linger_kind_en
{
    AERON_LINGER_PUBLICATION,
    AERON_LINGER_EXCLUSIVE_PUBLICATION,
    AERON_LINGER_SUBSCRIPTION,
    AERON_LINGER_IMAGE,
    AERON_LINGER_IMAGE_LIST,
    AERON_LINGER_COUNTER,
} aeron_linger_kind_t;

typedef struct aeron_linger_entry_stct
{
    aeron_linger_kind_t kind;
    void *resource;
    int64_t deadline_ns;
} aeron_linger_entry_t;

struct aeron_client_conductor_stct
{
    aeron_context_t *context;
    pthread_mutex_t lock;
    aeron_cnc_mapping_t cnc;
    tp_mpsc_rb_t to_driver;
    tp_broadcast_receiver_t to_clients;
    aeron_counters_reader_t counters_reader;
    int64_t client_id;
    int32_t heartbeat_counter_id;
    int64_t driver_timeout_ms;
    int64_t next_keepalive_ns;
    int64_t next_service_ns;
    volatile bool is_closed;

    struct aeron_client_registering_resource_stct *registering;
    aeron_publication_t *publications;
    aeron_exclusive_publication_t *exclusive_publications;
    aeron_subscription_t *subscriptions;
    aeron_counter_t *counters;
    aeron_log_buffer_t *log_buffers;

    aeron_linger_entry_t *lingering;
    size_t lingering_count;
    size_t lingering_capacity;

    aeron_image_list_t empty_image_list;
};

/* ---- small helpers ---- */

static void aeron_conductor_report(aeron_client_conductor_t *conductor, int errcode, const char *message)
{
    if (NULL != conductor->context->error_handler)
    {
        conductor->context->error_handler(conductor->context->error_handler_clientd, errcode, message);
    }
    else
    {
        fprintf(stderr, "aeron client error %d: %s\n", errcode, message);
    }
}

static int aeron_conductor_linger(aeron_client_conductor_t *conductor, aeron_linger_kind_t kind, void *resource,
                                  int64_t now_ns)
{
    if (conductor->lingering_count == conductor->lingering_capacity)
    {
        size_t capacity = 0 == conductor->lingering_capacity ? 16 : conductor->lingering_capacity * 2;
        aeron_linger_entry_t *grown = realloc(conductor->lingering, capacity * sizeof(*grown));
        if (NULL == grown)
        {
            aeron_err_set(ENOMEM, "could not grow linger list to %zu entries", capacity);
            return -1;
        }
        conductor->lingering = grown;
        conductor->lingering_capacity = capacity;
    }
    aeron_linger_entry_t *entry = &conductor->lingering[conductor->lingering_count++];
    entry->kind = kind;
    entry->resource = resource;
    entry->deadline_ns = now_ns + (int64_t)conductor->context->resource_linger_duration_ns;
    return 0;
}

static aeron_log_buffer_t *aeron_conductor_get_log(aeron_client_conductor_t *conductor, int64_t correlation_id,
                                                   const char *path)
{
    for (aeron_log_buffer_t *lb = conductor->log_buffers; NULL != lb; lb = lb->next)
    {
        if (lb->correlation_id == correlation_id)
        {
            lb->refcnt++;
            return lb;
        }
    }
    aeron_log_buffer_t *lb = NULL;
    if (aeron_log_buffer_map(&lb, path, correlation_id, conductor->context->pre_touch_mapped_memory) < 0)
    {
        return NULL;
    }
    lb->refcnt = 1;
    lb->next = conductor->log_buffers;
    conductor->log_buffers = lb;
    return lb;
}

/* Unlinks item from a singly linked list threaded through ->next (the conductor's lists hold different types). */
#define AERON_LIST_UNLINK(type, head, item)                                  \
    do                                                                       \
    {                                                                        \
        for (type **link_ = (head); NULL != *link_; link_ = &(*link_)->next) \
        {                                                                    \
            if (*link_ == (item))                                            \
            {                                                                \
                *link_ = (item)->next;                                       \
                break;                                                       \
            }                                                                \
        }                                                                    \
    } while (0)

static void aeron_conductor_release_log(aeron_client_conductor_t *conductor, aeron_log_buffer_t *log_buffer)
{
    if (--log_buffer->refcnt > 0)
    {
        return;
    }
    AERON_LIST_UNLINK(aeron_log_buffer_t, &conductor->log_buffers, log_buffer);
    aeron_log_buffer_unmap(log_buffer);
}

static int aeron_conductor_send(aeron_client_conductor_t *conductor, int32_t type, const void *msg, size_t length)
{
    int rc = tp_mpsc_rb_write(&conductor->to_driver, type, msg, length);
    if (TP_RB_SUCCESS != rc)
    {
        aeron_err_set(AERON_CLIENT_ERROR_BUFFER_FULL, "could not write command %d (%zu bytes) to the driver: %s", type,
                      length, TP_RB_FULL == rc ? "to-driver ring is full" : "command rejected by the ring");
        return -1;
    }
    return 0;
}

static int aeron_conductor_send_remove(aeron_client_conductor_t *conductor, int32_t type, int64_t registration_id)
{
    tp_remove_command_t cmd;
    cmd.correlated.client_id = conductor->client_id;
    cmd.correlated.correlation_id = tp_mpsc_rb_next_correlation_id(&conductor->to_driver);
    cmd.registration_id = registration_id;
    return aeron_conductor_send(conductor, type, &cmd, sizeof(cmd));
}

static void aeron_registering_free(struct aeron_client_registering_resource_stct *r)
{
    free(r->channel);
    free(r->error_message);
    free(r->counter_key);
    free(r->counter_label);
    free(r);
}

/* ---- lifecycle ---- */

int aeron_client_conductor_create(aeron_client_conductor_t **conductor_p, aeron_context_t *context)
{
    aeron_client_conductor_t *conductor = calloc(1, sizeof(*conductor));
    if (NULL == conductor)
    {
        aeron_err_set(ENOMEM, "could not allocate client conductor");
        return -1;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&conductor->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    conductor->context = context;
    conductor->driver_timeout_ms = (int64_t)context->driver_timeout_ms;
    conductor->heartbeat_counter_id = AERON_NULL_COUNTER_ID;

    if (aeron_cnc_mapping_open(&conductor->cnc, context->aeron_dir, conductor->driver_timeout_ms, true) < 0)
    {
        aeron_err_append("while connecting to the media driver in %s", context->aeron_dir);
        pthread_mutex_destroy(&conductor->lock);
        free(conductor);
        return -1;
    }
    if (context->pre_touch_mapped_memory)
    {
        /* The command ring, broadcast buffer and counters are touched on the duty cycle (keepalives, counter
         * scans): with pre-touch, their first use costs no page fault on the application's thread either. */
        (void)tp_prefault(conductor->cnc.addr, conductor->cnc.length, 0, true);
    }
    tp_cnc_metadata_t *meta = (tp_cnc_metadata_t *)conductor->cnc.addr;
    if (tp_mpsc_rb_init(&conductor->to_driver, tp_cnc_to_driver_buffer(meta), (size_t)meta->to_driver_buffer_length) <
            0 ||
        tp_broadcast_receiver_init(&conductor->to_clients, tp_cnc_to_clients_buffer(meta),
                                   (size_t)meta->to_clients_buffer_length) < 0)
    {
        aeron_err_set(EPROTO,
                      "CnC file %s: to-driver (%d) or to-clients (%d) buffer length is not a power of two "
                      "plus its trailer",
                      conductor->cnc.filename, meta->to_driver_buffer_length, meta->to_clients_buffer_length);
        aeron_cnc_mapping_close(&conductor->cnc);
        pthread_mutex_destroy(&conductor->lock);
        free(conductor);
        return -1;
    }
    aeron_counters_reader_wrap(&conductor->counters_reader, tp_cnc_counters_metadata_buffer(meta),
                               (size_t)meta->counter_metadata_buffer_length, tp_cnc_counters_values_buffer(meta),
                               (size_t)meta->counter_values_buffer_length);
    conductor->client_id = tp_mpsc_rb_next_correlation_id(&conductor->to_driver);
    int64_t now_ns = aeron_nano_clock();
    conductor->next_keepalive_ns = now_ns;
    conductor->next_service_ns = now_ns;
    conductor->empty_image_list.length = 0;
    *conductor_p = conductor;
    return 0;
}

static void aeron_conductor_free_publication(aeron_client_conductor_t *conductor, aeron_publication_t *pub)
{
    aeron_conductor_release_log(conductor, pub->log.log_buffer);
    free(pub->channel);
    free(pub);
}

static void aeron_conductor_free_exclusive_publication(aeron_client_conductor_t *conductor,
                                                       aeron_exclusive_publication_t *pub)
{
    aeron_conductor_release_log(conductor, pub->log.log_buffer);
    free(pub->channel);
    free(pub);
}

static void aeron_conductor_free_image(aeron_client_conductor_t *conductor, aeron_image_t *image)
{
    aeron_conductor_release_log(conductor, image->log_buffer);
    aeron_image_delete(image);
}

static void aeron_conductor_free_image_list(aeron_client_conductor_t *conductor, aeron_image_list_t *list)
{
    if (list != &conductor->empty_image_list)
    {
        free(list);
    }
}

static void aeron_conductor_free_subscription(aeron_client_conductor_t *conductor, aeron_subscription_t *sub)
{
    aeron_image_list_t *list = sub->image_list;
    for (size_t i = 0; i < list->length; i++)
    {
        aeron_conductor_free_image(conductor, list->images[i]);
    }
    aeron_conductor_free_image_list(conductor, list);
    free(sub->channel);
    free(sub);
}

static void aeron_conductor_free_lingering(aeron_client_conductor_t *conductor, aeron_linger_entry_t *entry)
{
    switch (entry->kind)
    {
        case AERON_LINGER_PUBLICATION:
            aeron_conductor_free_publication(conductor, entry->resource);
            break;
        case AERON_LINGER_EXCLUSIVE_PUBLICATION:
            aeron_conductor_free_exclusive_publication(conductor, entry->resource);
            break;
        case AERON_LINGER_SUBSCRIPTION:
            aeron_conductor_free_subscription(conductor, entry->resource);
            break;
        case AERON_LINGER_IMAGE:
            aeron_conductor_free_image(conductor, entry->resource);
            break;
        case AERON_LINGER_IMAGE_LIST:
            aeron_conductor_free_image_list(conductor, entry->resource);
            break;
        case AERON_LINGER_COUNTER:
            free(entry->resource);
            break;
    }
}

void aeron_client_conductor_delete(aeron_client_conductor_t *conductor)
{
    if (NULL == conductor)
    {
        return;
    }
    pthread_mutex_lock(&conductor->lock);
    if (!conductor->is_closed)
    {
        /* Tell the driver at once rather than leaving it to the liveness timeout (Java clients do the same). */
        tp_correlated_command_t cmd = {.client_id = conductor->client_id, .correlation_id = -1};
        tp_mpsc_rb_write(&conductor->to_driver, TP_COMMAND_CLIENT_CLOSE, &cmd, sizeof(cmd));
    }
    /* Resources closed by the user first: their images/lists may be owned by lingering subscriptions. */
    for (size_t i = 0; i < conductor->lingering_count; i++)
    {
        if (AERON_LINGER_IMAGE == conductor->lingering[i].kind ||
            AERON_LINGER_IMAGE_LIST == conductor->lingering[i].kind)
        {
            aeron_conductor_free_lingering(conductor, &conductor->lingering[i]);
        }
    }
    for (size_t i = 0; i < conductor->lingering_count; i++)
    {
        if (AERON_LINGER_IMAGE != conductor->lingering[i].kind &&
            AERON_LINGER_IMAGE_LIST != conductor->lingering[i].kind)
        {
            aeron_conductor_free_lingering(conductor, &conductor->lingering[i]);
        }
    }
    free(conductor->lingering);
    while (NULL != conductor->publications)
    {
        aeron_publication_t *next = conductor->publications->next;
        aeron_conductor_free_publication(conductor, conductor->publications);
        conductor->publications = next;
    }
    while (NULL != conductor->exclusive_publications)
    {
        aeron_exclusive_publication_t *next = conductor->exclusive_publications->next;
        aeron_conductor_free_exclusive_publication(conductor, conductor->exclusive_publications);
        conductor->exclusive_publications = next;
    }
    while (NULL != conductor->subscriptions)
    {
        aeron_subscription_t *next = conductor->subscriptions->next;
        aeron_conductor_free_subscription(conductor, conductor->subscriptions);
        conductor->subscriptions = next;
    }
    while (NULL != conductor->counters)
    {
        aeron_counter_t *next = conductor->counters->next;
        free(conductor->counters);
        conductor->counters = next;
    }
    while (NULL != conductor->registering)
    {
        struct aeron_client_registering_resource_stct *next = conductor->registering->next;
        aeron_registering_free(conductor->registering);
        conductor->registering = next;
    }
    while (NULL != conductor->log_buffers)
    {
        aeron_log_buffer_t *next = conductor->log_buffers->next;
        aeron_log_buffer_unmap(conductor->log_buffers);
        conductor->log_buffers = next;
    }
    tp_broadcast_receiver_close(&conductor->to_clients);
    aeron_cnc_mapping_close(&conductor->cnc);
    pthread_mutex_unlock(&conductor->lock);
    pthread_mutex_destroy(&conductor->lock);
    free(conductor);
}

bool aeron_client_conductor_is_closed(aeron_client_conductor_t *conductor)
{
    return __atomic_load_n(&conductor->is_closed, __ATOMIC_ACQUIRE);
}

int64_t aeron_client_conductor_client_id(aeron_client_conductor_t *conductor)
{
    return conductor->client_id;
}

int64_t aeron_client_conductor_next_correlation_id(aeron_client_conductor_t *conductor)
{
    return tp_mpsc_rb_next_correlation_id(&conductor->to_driver);
}

aeron_counters_reader_t *aeron_client_conductor_counters_reader(aeron_client_conductor_t *conductor)
{
    return &conductor->counters_reader;
}

/*
 * The driver is gone (or declared this client dead): everything becomes closed so that offers return
 * AERON_PUBLICATION_CLOSED and pending adds fail, but memory stays mapped until aeron_close().
 */
static void aeron_conductor_force_close(aeron_client_conductor_t *conductor, int errcode, const char *message)
{
    if (conductor->is_closed)
    {
        return;
    }
    for (aeron_publication_t *p = conductor->publications; NULL != p; p = p->next)
    {
        __atomic_store_n(&p->is_closed, true, __ATOMIC_RELEASE);
    }
    for (aeron_exclusive_publication_t *p = conductor->exclusive_publications; NULL != p; p = p->next)
    {
        __atomic_store_n(&p->is_closed, true, __ATOMIC_RELEASE);
    }
    for (aeron_subscription_t *s = conductor->subscriptions; NULL != s; s = s->next)
    {
        aeron_image_list_t *list = s->image_list;
        for (size_t i = 0; i < list->length; i++)
        {
            list->images[i]->final_position = tp_load_acquire_i64(list->images[i]->subscriber_position);
            __atomic_store_n(&list->images[i]->is_closed, true, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&s->is_closed, true, __ATOMIC_RELEASE);
    }
    for (aeron_counter_t *c = conductor->counters; NULL != c; c = c->next)
    {
        __atomic_store_n(&c->is_closed, true, __ATOMIC_RELEASE);
    }
    for (struct aeron_client_registering_resource_stct *r = conductor->registering; NULL != r; r = r->next)
    {
        if (AERON_CLIENT_AWAITING_MEDIA_DRIVER == r->status)
        {
            r->error_code = errcode;
            r->error_message = strdup(message);
            __atomic_store_n(&r->status, AERON_CLIENT_ERRORED_MEDIA_DRIVER, __ATOMIC_RELEASE);
        }
    }
    __atomic_store_n(&conductor->is_closed, true, __ATOMIC_RELEASE);
    aeron_conductor_report(conductor, errcode, message);
    if (NULL != conductor->context->on_close_client)
    {
        conductor->context->on_close_client(conductor->context->on_close_client_clientd);
    }
}

/* ---- responses from the driver ---- */

static struct aeron_client_registering_resource_stct *
aeron_conductor_find_registering(aeron_client_conductor_t *conductor, int64_t correlation_id)
{
    for (struct aeron_client_registering_resource_stct *r = conductor->registering; NULL != r; r = r->next)
    {
        if (r->registration_id == correlation_id && AERON_CLIENT_AWAITING_MEDIA_DRIVER == r->status)
        {
            return r;
        }
    }
    return NULL;
}

static void aeron_conductor_on_error(aeron_client_conductor_t *conductor, const uint8_t *buffer, size_t length)
{
    tp_error_response_t response;
    if (length < sizeof(response))
    {
        return;
    }
    memcpy(&response, buffer, sizeof(response));
    struct aeron_client_registering_resource_stct *r =
        aeron_conductor_find_registering(conductor, response.offending_command_correlation_id);
    if (NULL == r)
    {
        return;
    }
    size_t message_length = (size_t)response.error_message_length;
    if (message_length > length - sizeof(response))
    {
        message_length = length - sizeof(response);
    }
    r->error_message = malloc(message_length + 1);
    if (NULL != r->error_message)
    {
        memcpy(r->error_message, buffer + sizeof(response), message_length);
        r->error_message[message_length] = '\0';
    }
    r->error_code = response.error_code;
    __atomic_store_n(&r->status, AERON_CLIENT_ERRORED_MEDIA_DRIVER, __ATOMIC_RELEASE);
}

static void aeron_conductor_fail_registering(struct aeron_client_registering_resource_stct *r, int errcode,
                                             const char *message)
{
    r->error_code = errcode;
    r->error_message = strdup(message);
    __atomic_store_n(&r->status, AERON_CLIENT_ERRORED_MEDIA_DRIVER, __ATOMIC_RELEASE);
}

static void aeron_conductor_on_publication_ready(aeron_client_conductor_t *conductor, const uint8_t *buffer,
                                                 size_t length, bool exclusive)
{
    tp_publication_buffers_ready_t response;
    if (length < sizeof(response))
    {
        return;
    }
    memcpy(&response, buffer, sizeof(response));
    struct aeron_client_registering_resource_stct *r =
        aeron_conductor_find_registering(conductor, response.correlation_id);
    if (NULL == r)
    {
        return;
    }
    size_t path_length = (size_t)response.log_file_length;
    if (path_length > length - sizeof(response) || path_length >= 4096)
    {
        aeron_conductor_fail_registering(r, EPROTO, "publication ready response has a malformed log path");
        return;
    }
    char path[4096];
    memcpy(path, buffer + sizeof(response), path_length);
    path[path_length] = '\0';

    aeron_log_buffer_t *lb = aeron_conductor_get_log(conductor, response.registration_id, path);
    if (NULL == lb)
    {
        aeron_conductor_fail_registering(r, aeron_errcode(), aeron_errmsg());
        return;
    }
    int64_t *limit = aeron_counters_reader_addr(&conductor->counters_reader, response.position_limit_counter_id);
    int64_t *status =
        response.channel_status_indicator_id >= 0
            ? aeron_counters_reader_addr(&conductor->counters_reader, response.channel_status_indicator_id)
            : NULL;
    if (NULL == limit)
    {
        aeron_conductor_release_log(conductor, lb);
        aeron_conductor_fail_registering(r, EPROTO, "publication ready response has an invalid limit counter id");
        return;
    }
    char *channel = strdup(r->channel);
    if (exclusive)
    {
        aeron_exclusive_publication_t *pub = calloc(1, sizeof(*pub));
        if (NULL == pub || NULL == channel)
        {
            free(pub);
            free(channel);
            aeron_conductor_release_log(conductor, lb);
            aeron_conductor_fail_registering(r, ENOMEM, "out of memory creating exclusive publication");
            return;
        }
        aeron_publication_log_init(&pub->log, lb, limit);
        aeron_exclusive_publication_init_position(pub);
        pub->conductor = conductor;
        pub->channel = channel;
        pub->registration_id = response.correlation_id;
        pub->original_registration_id = response.registration_id;
        pub->stream_id = response.stream_id;
        pub->session_id = response.session_id;
        pub->publication_limit_counter_id = response.position_limit_counter_id;
        pub->channel_status_indicator_id = response.channel_status_indicator_id;
        pub->channel_status_indicator = status;
        pub->next = conductor->exclusive_publications;
        conductor->exclusive_publications = pub;
        r->resource = pub;
    }
    else
    {
        aeron_publication_t *pub = calloc(1, sizeof(*pub));
        if (NULL == pub || NULL == channel)
        {
            free(pub);
            free(channel);
            aeron_conductor_release_log(conductor, lb);
            aeron_conductor_fail_registering(r, ENOMEM, "out of memory creating publication");
            return;
        }
        aeron_publication_log_init(&pub->log, lb, limit);
        pub->conductor = conductor;
        pub->channel = channel;
        pub->registration_id = response.correlation_id;
        pub->original_registration_id = response.registration_id;
        pub->stream_id = response.stream_id;
        pub->session_id = response.session_id;
        pub->publication_limit_counter_id = response.position_limit_counter_id;
        pub->channel_status_indicator_id = response.channel_status_indicator_id;
        pub->channel_status_indicator = status;
        pub->next = conductor->publications;
        conductor->publications = pub;
        r->resource = pub;
    }
    __atomic_store_n(&r->status, AERON_CLIENT_REGISTERED_MEDIA_DRIVER, __ATOMIC_RELEASE);

    aeron_context_t *ctx = conductor->context;
    aeron_on_new_publication_t handler = exclusive ? ctx->on_new_exclusive_publication : ctx->on_new_publication;
    void *clientd = exclusive ? ctx->on_new_exclusive_publication_clientd : ctx->on_new_publication_clientd;
    if (NULL != handler)
    {
        handler(clientd, r, r->channel, response.stream_id, response.session_id, response.correlation_id);
    }
}

static void aeron_conductor_on_subscription_ready(aeron_client_conductor_t *conductor, const uint8_t *buffer,
                                                  size_t length)
{
    tp_subscription_ready_t response;
    if (length < sizeof(response))
    {
        return;
    }
    memcpy(&response, buffer, sizeof(response));
    struct aeron_client_registering_resource_stct *r =
        aeron_conductor_find_registering(conductor, response.correlation_id);
    if (NULL == r)
    {
        return;
    }
    aeron_subscription_t *sub = calloc(1, sizeof(*sub));
    char *channel = strdup(r->channel);
    if (NULL == sub || NULL == channel)
    {
        free(sub);
        free(channel);
        aeron_conductor_fail_registering(r, ENOMEM, "out of memory creating subscription");
        return;
    }
    sub->image_list = &conductor->empty_image_list;
    sub->conductor = conductor;
    sub->channel = channel;
    sub->registration_id = response.correlation_id;
    sub->stream_id = r->stream_id;
    sub->channel_status_indicator_id = response.channel_status_indicator_id;
    sub->channel_status_indicator =
        response.channel_status_indicator_id >= 0
            ? aeron_counters_reader_addr(&conductor->counters_reader, response.channel_status_indicator_id)
            : NULL;
    sub->on_available_image = r->on_available_image;
    sub->on_available_image_clientd = r->on_available_image_clientd;
    sub->on_unavailable_image = r->on_unavailable_image;
    sub->on_unavailable_image_clientd = r->on_unavailable_image_clientd;
    sub->next = conductor->subscriptions;
    conductor->subscriptions = sub;
    r->resource = sub;
    __atomic_store_n(&r->status, AERON_CLIENT_REGISTERED_MEDIA_DRIVER, __ATOMIC_RELEASE);

    if (NULL != conductor->context->on_new_subscription)
    {
        conductor->context->on_new_subscription(conductor->context->on_new_subscription_clientd, r, r->channel,
                                                r->stream_id, response.correlation_id);
    }
}

static aeron_subscription_t *aeron_conductor_find_subscription(aeron_client_conductor_t *conductor, int64_t id)
{
    for (aeron_subscription_t *s = conductor->subscriptions; NULL != s; s = s->next)
    {
        if (s->registration_id == id)
        {
            return s;
        }
    }
    return NULL;
}

/* Replaces the subscription's image list; the old one lingers because a poll may still be walking it. */
static int aeron_conductor_swap_images(aeron_client_conductor_t *conductor, aeron_subscription_t *sub,
                                       aeron_image_t *add, aeron_image_t *remove, int64_t now_ns)
{
    aeron_image_list_t *old = sub->image_list;
    size_t length = old->length + (NULL != add ? 1 : 0) - (NULL != remove ? 1 : 0);
    aeron_image_list_t *list = malloc(sizeof(*list) + (length + 1) * sizeof(aeron_image_t *));
    if (NULL == list)
    {
        aeron_err_set(ENOMEM, "could not allocate image list of %zu", length);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < old->length; i++)
    {
        if (old->images[i] != remove)
        {
            list->images[n++] = old->images[i];
        }
    }
    if (NULL != add)
    {
        list->images[n++] = add;
    }
    list->length = n;
    __atomic_store_n(&sub->image_list, list, __ATOMIC_RELEASE);
    if (old != &conductor->empty_image_list)
    {
        aeron_conductor_linger(conductor, AERON_LINGER_IMAGE_LIST, old, now_ns);
    }
    return 0;
}

static void aeron_conductor_on_available_image(aeron_client_conductor_t *conductor, const uint8_t *buffer,
                                               size_t length, int64_t now_ns)
{
    tp_image_buffers_ready_t response;
    if (length < sizeof(response))
    {
        return;
    }
    memcpy(&response, buffer, sizeof(response));
    aeron_subscription_t *sub = aeron_conductor_find_subscription(conductor, response.subscriber_registration_id);
    if (NULL == sub || sub->is_closed)
    {
        return;
    }
    aeron_image_list_t *list = sub->image_list;
    for (size_t i = 0; i < list->length; i++)
    {
        if (list->images[i]->correlation_id == response.correlation_id)
        {
            return;
        }
    }
    size_t path_length = (size_t)response.log_file_length;
    size_t padded = AERON_ALIGN(path_length, (size_t)4);
    if (path_length >= 4096 || sizeof(response) + padded + sizeof(int32_t) > length)
    {
        aeron_conductor_report(conductor, EPROTO, "available image response has a malformed log path");
        return;
    }
    char path[4096];
    memcpy(path, buffer + sizeof(response), path_length);
    path[path_length] = '\0';
    int32_t source_length;
    memcpy(&source_length, buffer + sizeof(response) + padded, sizeof(source_length));
    size_t source_offset = sizeof(response) + padded + sizeof(int32_t);
    if (source_length < 0 || source_offset + (size_t)source_length > length)
    {
        source_length = 0;
    }

    int64_t *position = aeron_counters_reader_addr(&conductor->counters_reader, response.subscriber_position_id);
    if (NULL == position)
    {
        aeron_conductor_report(conductor, EPROTO, "available image response has an invalid position counter id");
        return;
    }
    aeron_log_buffer_t *lb = aeron_conductor_get_log(conductor, response.correlation_id, path);
    if (NULL == lb)
    {
        aeron_conductor_report(conductor, aeron_errcode(), aeron_errmsg());
        return;
    }
    aeron_image_t *image = NULL;
    if (aeron_image_create(&image, conductor, sub, lb, position, response.subscriber_position_id,
                           response.correlation_id, response.session_id, (const char *)buffer + source_offset,
                           (size_t)source_length) < 0 ||
        aeron_conductor_swap_images(conductor, sub, image, NULL, now_ns) < 0)
    {
        aeron_image_delete(image);
        aeron_conductor_release_log(conductor, lb);
        aeron_conductor_report(conductor, aeron_errcode(), aeron_errmsg());
        return;
    }
    if (NULL != sub->on_available_image)
    {
        sub->on_available_image(sub->on_available_image_clientd, sub, image);
    }
}

static void aeron_conductor_on_unavailable_image(aeron_client_conductor_t *conductor, const uint8_t *buffer,
                                                 size_t length, int64_t now_ns)
{
    tp_image_message_t response;
    if (length < sizeof(response))
    {
        return;
    }
    memcpy(&response, buffer, sizeof(response));
    aeron_subscription_t *sub = aeron_conductor_find_subscription(conductor, response.subscription_registration_id);
    if (NULL == sub)
    {
        return;
    }
    aeron_image_list_t *list = sub->image_list;
    for (size_t i = 0; i < list->length; i++)
    {
        aeron_image_t *image = list->images[i];
        if (image->correlation_id == response.correlation_id)
        {
            if (aeron_conductor_swap_images(conductor, sub, NULL, image, now_ns) < 0)
            {
                aeron_conductor_report(conductor, aeron_errcode(), aeron_errmsg());
                return;
            }
            image->final_position = tp_load_acquire_i64(image->subscriber_position);
            __atomic_store_n(&image->is_closed, true, __ATOMIC_RELEASE);
            if (NULL != sub->on_unavailable_image)
            {
                sub->on_unavailable_image(sub->on_unavailable_image_clientd, sub, image);
            }
            aeron_conductor_linger(conductor, AERON_LINGER_IMAGE, image, now_ns);
            return;
        }
    }
}

static void aeron_conductor_on_counter(aeron_client_conductor_t *conductor, const uint8_t *buffer, size_t length,
                                       bool available)
{
    tp_counter_update_t response;
    if (length < sizeof(response))
    {
        return;
    }
    memcpy(&response, buffer, sizeof(response));
    if (available)
    {
        struct aeron_client_registering_resource_stct *r =
            aeron_conductor_find_registering(conductor, response.correlation_id);
        if (NULL != r && AERON_CLIENT_TYPE_COUNTER == r->type)
        {
            aeron_counter_t *counter = calloc(1, sizeof(*counter));
            int64_t *value = aeron_counters_reader_addr(&conductor->counters_reader, response.counter_id);
            if (NULL == counter || NULL == value)
            {
                free(counter);
                aeron_conductor_fail_registering(r, EPROTO, "counter ready response has an invalid counter id");
                return;
            }
            counter->value = value;
            counter->conductor = conductor;
            counter->registration_id = response.correlation_id;
            counter->counter_id = response.counter_id;
            counter->next = conductor->counters;
            conductor->counters = counter;
            r->resource = counter;
            __atomic_store_n(&r->status, AERON_CLIENT_REGISTERED_MEDIA_DRIVER, __ATOMIC_RELEASE);
        }
    }
    else
    {
        for (aeron_counter_t *c = conductor->counters; NULL != c; c = c->next)
        {
            if (c->registration_id == response.correlation_id)
            {
                __atomic_store_n(&c->is_closed, true, __ATOMIC_RELEASE);
            }
        }
    }
    aeron_context_t *ctx = conductor->context;
    if (available && NULL != ctx->on_available_counter)
    {
        ctx->on_available_counter(ctx->on_available_counter_clientd, &conductor->counters_reader,
                                  response.correlation_id, response.counter_id);
    }
    if (!available && NULL != ctx->on_unavailable_counter)
    {
        ctx->on_unavailable_counter(ctx->on_unavailable_counter_clientd, &conductor->counters_reader,
                                    response.correlation_id, response.counter_id);
    }
}

static void aeron_conductor_on_response(int32_t type, const void *payload, size_t length, void *clientd)
{
    aeron_client_conductor_t *conductor = clientd;
    const uint8_t *buffer = payload;
    int64_t now_ns = aeron_nano_clock();
    switch (type)
    {
        case TP_RESPONSE_ON_ERROR:
            aeron_conductor_on_error(conductor, buffer, length);
            break;
        case TP_RESPONSE_ON_PUBLICATION_READY:
            aeron_conductor_on_publication_ready(conductor, buffer, length, false);
            break;
        case TP_RESPONSE_ON_EXCLUSIVE_PUBLICATION_READY:
            aeron_conductor_on_publication_ready(conductor, buffer, length, true);
            break;
        case TP_RESPONSE_ON_SUBSCRIPTION_READY:
            aeron_conductor_on_subscription_ready(conductor, buffer, length);
            break;
        case TP_RESPONSE_ON_AVAILABLE_IMAGE:
            aeron_conductor_on_available_image(conductor, buffer, length, now_ns);
            break;
        case TP_RESPONSE_ON_UNAVAILABLE_IMAGE:
            aeron_conductor_on_unavailable_image(conductor, buffer, length, now_ns);
            break;
        case TP_RESPONSE_ON_COUNTER_READY:
            aeron_conductor_on_counter(conductor, buffer, length, true);
            break;
        case TP_RESPONSE_ON_UNAVAILABLE_COUNTER:
            aeron_conductor_on_counter(conductor, buffer, length, false);
            break;
        case TP_RESPONSE_ON_CLIENT_TIMEOUT:
        {
            tp_client_timeout_t response;
            if (length >= sizeof(response))
            {
                memcpy(&response, buffer, sizeof(response));
                if (response.client_id == conductor->client_id)
                {
                    aeron_conductor_force_close(conductor, AERON_CLIENT_ERROR_CLIENT_TIMEOUT,
                                                "client timed out by the media driver");
                }
            }
            break;
        }
        default:
            break;
    }
}

/* ---- periodic work ---- */

static void aeron_conductor_heartbeat(aeron_client_conductor_t *conductor, int64_t now_ms)
{
    aeron_counters_reader_t *reader = &conductor->counters_reader;
    if (AERON_NULL_COUNTER_ID == conductor->heartbeat_counter_id)
    {
        /* Every record is checked, not just up to the first unused one, as the official client does. */
        for (int32_t id = 0; id < reader->max_counter_id; id++)
        {
            aeron_counter_metadata_descriptor_t *meta =
                (aeron_counter_metadata_descriptor_t *)(reader->metadata + AERON_COUNTER_METADATA_OFFSET((size_t)id));
            int64_t key;
            memcpy(&key, meta->key, sizeof(key));
            if (AERON_COUNTER_RECORD_ALLOCATED == tp_load_acquire_i32(&meta->state) &&
                AERON_HEARTBEAT_COUNTER_TYPE_ID == meta->type_id && key == conductor->client_id)
            {
                conductor->heartbeat_counter_id = id;
                char suffix[256];
                int n = snprintf(suffix, sizeof(suffix), " name=%s version=%s commit=%s",
                                 conductor->context->client_name, aeron_version_text(), aeron_version_gitsha());
                int32_t label_length = meta->label_length;
                if (n > 0 && label_length >= 0 && (size_t)label_length + (size_t)n <= AERON_COUNTER_MAX_LABEL_LENGTH)
                {
                    memcpy(meta->label + label_length, suffix, (size_t)n);
                    tp_store_release_i32(&meta->label_length, label_length + n);
                }
                break;
            }
        }
        if (AERON_NULL_COUNTER_ID == conductor->heartbeat_counter_id)
        {
            return;
        }
    }
    else
    {
        aeron_counter_metadata_descriptor_t *meta =
            (aeron_counter_metadata_descriptor_t *)(reader->metadata + AERON_COUNTER_METADATA_OFFSET(
                                                                           (size_t)conductor->heartbeat_counter_id));
        int64_t key;
        memcpy(&key, meta->key, sizeof(key));
        if (AERON_COUNTER_RECORD_ALLOCATED != tp_load_acquire_i32(&meta->state) ||
            AERON_HEARTBEAT_COUNTER_TYPE_ID != meta->type_id || key != conductor->client_id)
        {
            aeron_conductor_force_close(conductor, AERON_CLIENT_ERROR_CLIENT_TIMEOUT,
                                        "client heartbeat counter was reclaimed by the media driver: client timed out");
            return;
        }
    }
    tp_store_release_i64((volatile int64_t *)aeron_counters_reader_addr(reader, conductor->heartbeat_counter_id),
                         now_ms);
}

/* An image handed out by aeron_subscription_image_at_index() and not yet released keeps its memory alive. */
static bool aeron_conductor_is_retained(const aeron_linger_entry_t *entry)
{
    if (AERON_LINGER_IMAGE == entry->kind)
    {
        return __atomic_load_n(&((aeron_image_t *)entry->resource)->refcnt, __ATOMIC_ACQUIRE) > 0;
    }
    if (AERON_LINGER_SUBSCRIPTION == entry->kind)
    {
        aeron_image_list_t *list = ((aeron_subscription_t *)entry->resource)->image_list;
        for (size_t i = 0; i < list->length; i++)
        {
            if (__atomic_load_n(&list->images[i]->refcnt, __ATOMIC_ACQUIRE) > 0)
            {
                return true;
            }
        }
    }
    return false;
}

static int aeron_conductor_service(aeron_client_conductor_t *conductor, int64_t now_ns)
{
    int work = 0;
    if (now_ns >= conductor->next_keepalive_ns)
    {
        conductor->next_keepalive_ns = now_ns + (int64_t)conductor->context->keepalive_interval_ns;
        int64_t now_ms = aeron_epoch_clock();
        int64_t heartbeat = aeron_cnc_mapping_driver_heartbeat_ms(&conductor->cnc);
        char message[4608];
        if (heartbeat < 0)
        {
            snprintf(message, sizeof(message), "media driver for %s has shut down (heartbeat -1)",
                     conductor->cnc.filename);
            aeron_conductor_force_close(conductor, AERON_CLIENT_ERROR_DRIVER_TIMEOUT, message);
            return 1;
        }
        if (now_ms - heartbeat > conductor->driver_timeout_ms)
        {
            snprintf(message, sizeof(message),
                     "driver timeout: media driver for %s has been inactive for %lld ms (timeout %lld ms)",
                     conductor->cnc.filename, (long long)(now_ms - heartbeat), (long long)conductor->driver_timeout_ms);
            aeron_conductor_force_close(conductor, AERON_CLIENT_ERROR_DRIVER_TIMEOUT, message);
            return 1;
        }
        aeron_conductor_heartbeat(conductor, now_ms);
        work++;
    }

    for (struct aeron_client_registering_resource_stct *r = conductor->registering; NULL != r; r = r->next)
    {
        if (AERON_CLIENT_AWAITING_MEDIA_DRIVER == r->status && now_ns > r->deadline_ns)
        {
            char message[4608];
            snprintf(message, sizeof(message), "no response from the media driver within %lld ms for %s stream %d",
                     (long long)conductor->driver_timeout_ms, r->channel, r->stream_id);
            r->error_code = AERON_CLIENT_ERROR_DRIVER_TIMEOUT;
            r->error_message = strdup(message);
            __atomic_store_n(&r->status, AERON_CLIENT_TIMEOUT_MEDIA_DRIVER, __ATOMIC_RELEASE);
            work++;
        }
    }

    size_t kept = 0;
    for (size_t i = 0; i < conductor->lingering_count; i++)
    {
        aeron_linger_entry_t *entry = &conductor->lingering[i];
        bool retained = aeron_conductor_is_retained(entry);
        if (now_ns >= entry->deadline_ns && !retained)
        {
            aeron_conductor_free_lingering(conductor, entry);
            work++;
        }
        else
        {
            conductor->lingering[kept++] = *entry;
        }
    }
    conductor->lingering_count = kept;
    return work;
}

int aeron_client_conductor_do_work(aeron_client_conductor_t *conductor)
{
    if (__atomic_load_n(&conductor->is_closed, __ATOMIC_ACQUIRE))
    {
        return 0;
    }
    int work = 0;
    pthread_mutex_lock(&conductor->lock);
    for (int i = 0; i < AERON_CONDUCTOR_RESPONSES_PER_CYCLE; i++)
    {
        int rc = tp_broadcast_receiver_receive(&conductor->to_clients, aeron_conductor_on_response, conductor);
        if (rc == TP_BROADCAST_LAPPED)
        {
            aeron_conductor_force_close(conductor, AERON_CLIENT_ERROR_CONDUCTOR_SERVICE_TIMEOUT,
                                        "unable to keep up with broadcast buffer");
            break;
        }
        if (rc <= 0)
        {
            break;
        }
        work++;
    }
    int64_t now_ns = aeron_nano_clock();
    if (!conductor->is_closed && now_ns >= conductor->next_service_ns)
    {
        conductor->next_service_ns = now_ns + AERON_CONDUCTOR_SERVICE_INTERVAL_NS;
        work += aeron_conductor_service(conductor, now_ns);
    }
    pthread_mutex_unlock(&conductor->lock);
    return work;
}

/* ---- user-thread calls ---- */

int aeron_client_conductor_async_add(aeron_client_conductor_t *conductor,
                                     struct aeron_client_registering_resource_stct **async,
                                     aeron_client_resource_type_t type, const char *uri, int32_t stream_id,
                                     aeron_on_available_image_t on_available_image, void *on_available_image_clientd,
                                     aeron_on_unavailable_image_t on_unavailable_image,
                                     void *on_unavailable_image_clientd)
{
    size_t channel_length = strlen(uri);
    if (channel_length > 4095)
    {
        aeron_err_set(EINVAL, "channel URI of %zu characters is longer than 4095", channel_length);
        return -1;
    }
    struct aeron_client_registering_resource_stct *r = calloc(1, sizeof(*r));
    char *channel = strdup(uri);
    if (NULL == r || NULL == channel)
    {
        free(r);
        free(channel);
        aeron_err_set(ENOMEM, "could not allocate async add for %s", uri);
        return -1;
    }
    pthread_mutex_lock(&conductor->lock);
    if (conductor->is_closed)
    {
        pthread_mutex_unlock(&conductor->lock);
        free(r);
        free(channel);
        aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT, "client is closed (driver timeout or client timeout)");
        return -1;
    }
    r->conductor = conductor;
    r->type = type;
    r->status = AERON_CLIENT_AWAITING_MEDIA_DRIVER;
    r->registration_id = tp_mpsc_rb_next_correlation_id(&conductor->to_driver);
    r->deadline_ns = aeron_nano_clock() + conductor->driver_timeout_ms * INT64_C(1000000);
    r->channel = channel;
    r->stream_id = stream_id;
    r->on_available_image = on_available_image;
    r->on_available_image_clientd = on_available_image_clientd;
    r->on_unavailable_image = on_unavailable_image;
    r->on_unavailable_image_clientd = on_unavailable_image_clientd;

    uint8_t command[AERON_COMMAND_MAX_LENGTH];
    size_t length;
    int32_t command_type;
    int32_t channel_length32 = (int32_t)channel_length;
    if (AERON_CLIENT_TYPE_SUBSCRIPTION == type)
    {
        tp_subscription_command_t cmd;
        cmd.correlated.client_id = conductor->client_id;
        cmd.correlated.correlation_id = r->registration_id;
        cmd.registration_correlation_id = -1;
        cmd.stream_id = stream_id;
        cmd.channel_length = channel_length32;
        memcpy(command, &cmd, sizeof(cmd));
        memcpy(command + sizeof(cmd), uri, channel_length);
        length = sizeof(cmd) + channel_length;
        command_type = TP_COMMAND_ADD_SUBSCRIPTION;
    }
    else
    {
        tp_publication_command_t cmd;
        cmd.correlated.client_id = conductor->client_id;
        cmd.correlated.correlation_id = r->registration_id;
        cmd.stream_id = stream_id;
        cmd.channel_length = channel_length32;
        memcpy(command, &cmd, sizeof(cmd));
        memcpy(command + sizeof(cmd), uri, channel_length);
        length = sizeof(cmd) + channel_length;
        command_type = AERON_CLIENT_TYPE_EXCLUSIVE_PUBLICATION == type ? TP_COMMAND_ADD_EXCLUSIVE_PUBLICATION
                                                                       : TP_COMMAND_ADD_PUBLICATION;
    }
    if (aeron_conductor_send(conductor, command_type, command, length) < 0)
    {
        pthread_mutex_unlock(&conductor->lock);
        free(r);
        free(channel);
        return -1;
    }
    r->next = conductor->registering;
    conductor->registering = r;
    pthread_mutex_unlock(&conductor->lock);
    *async = r;
    return 0;
}

int aeron_client_conductor_async_poll(struct aeron_client_registering_resource_stct *async, void **resource)
{
    int32_t status = __atomic_load_n(&async->status, __ATOMIC_ACQUIRE);
    if (AERON_CLIENT_AWAITING_MEDIA_DRIVER == status)
    {
        *resource = NULL;
        return 0;
    }
    aeron_client_conductor_t *conductor = async->conductor;
    pthread_mutex_lock(&conductor->lock);
    AERON_LIST_UNLINK(struct aeron_client_registering_resource_stct, &conductor->registering, async);
    pthread_mutex_unlock(&conductor->lock);

    int result;
    if (AERON_CLIENT_REGISTERED_MEDIA_DRIVER == status)
    {
        *resource = async->resource;
        result = 1;
    }
    else
    {
        *resource = NULL;
        if (AERON_CLIENT_TIMEOUT_MEDIA_DRIVER == status)
        {
            aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT, "async add timed out: %s",
                          NULL != async->error_message ? async->error_message : "no response from the media driver");
        }
        else
        {
            aeron_err_set(async->error_code, "async add of %s stream %d failed: errorCode=%d, %s", async->channel,
                          async->stream_id, async->error_code,
                          NULL != async->error_message ? async->error_message : "");
        }
        result = -1;
    }
    aeron_registering_free(async);
    return result;
}

/* Takes the conductor lock and marks a resource closed; false (lock released) when it was closed already. */
static bool aeron_conductor_begin_close(aeron_client_conductor_t *conductor, volatile bool *is_closed)
{
    pthread_mutex_lock(&conductor->lock);
    if (__atomic_load_n(is_closed, __ATOMIC_ACQUIRE))
    {
        /* Closed twice, or force-closed (then it stays on its list and aeron_close() frees it). */
        pthread_mutex_unlock(&conductor->lock);
        return false;
    }
    __atomic_store_n(is_closed, true, __ATOMIC_RELEASE);
    return true;
}

int aeron_client_conductor_close_publication(aeron_client_conductor_t *conductor, aeron_publication_t *publication)
{
    if (!aeron_conductor_begin_close(conductor, &publication->is_closed))
    {
        return 0;
    }
    AERON_LIST_UNLINK(aeron_publication_t, &conductor->publications, publication);
    int rc = aeron_conductor_send_remove(conductor, TP_COMMAND_REMOVE_PUBLICATION, publication->registration_id);
    aeron_conductor_linger(conductor, AERON_LINGER_PUBLICATION, publication, aeron_nano_clock());
    pthread_mutex_unlock(&conductor->lock);
    return rc;
}

int aeron_client_conductor_close_exclusive_publication(aeron_client_conductor_t *conductor,
                                                       aeron_exclusive_publication_t *publication)
{
    if (!aeron_conductor_begin_close(conductor, &publication->is_closed))
    {
        return 0;
    }
    AERON_LIST_UNLINK(aeron_exclusive_publication_t, &conductor->exclusive_publications, publication);
    int rc = aeron_conductor_send_remove(conductor, TP_COMMAND_REMOVE_PUBLICATION, publication->registration_id);
    aeron_conductor_linger(conductor, AERON_LINGER_EXCLUSIVE_PUBLICATION, publication, aeron_nano_clock());
    pthread_mutex_unlock(&conductor->lock);
    return rc;
}

int aeron_client_conductor_close_subscription(aeron_client_conductor_t *conductor, aeron_subscription_t *subscription)
{
    if (!aeron_conductor_begin_close(conductor, &subscription->is_closed))
    {
        return 0;
    }
    AERON_LIST_UNLINK(aeron_subscription_t, &conductor->subscriptions, subscription);
    aeron_image_list_t *list = subscription->image_list;
    for (size_t i = 0; i < list->length; i++)
    {
        list->images[i]->final_position = tp_load_acquire_i64(list->images[i]->subscriber_position);
        __atomic_store_n(&list->images[i]->is_closed, true, __ATOMIC_RELEASE);
    }
    int rc = aeron_conductor_send_remove(conductor, TP_COMMAND_REMOVE_SUBSCRIPTION, subscription->registration_id);
    aeron_conductor_linger(conductor, AERON_LINGER_SUBSCRIPTION, subscription, aeron_nano_clock());
    pthread_mutex_unlock(&conductor->lock);
    return rc;
}

int aeron_client_conductor_async_add_counter(aeron_client_conductor_t *conductor,
                                             struct aeron_client_registering_resource_stct **async, int32_t type_id,
                                             const uint8_t *key, size_t key_length, const char *label,
                                             size_t label_length)
{
    if (key_length > AERON_COUNTER_MAX_KEY_LENGTH || label_length > AERON_COUNTER_MAX_LABEL_LENGTH)
    {
        aeron_err_set(EINVAL, "counter key length %zu (max %zu) or label length %zu (max %zu) too long", key_length,
                      (size_t)AERON_COUNTER_MAX_KEY_LENGTH, label_length, (size_t)AERON_COUNTER_MAX_LABEL_LENGTH);
        return -1;
    }
    struct aeron_client_registering_resource_stct *r = calloc(1, sizeof(*r));
    char *channel = strdup("counter");
    if (NULL == r || NULL == channel)
    {
        free(r);
        free(channel);
        aeron_err_set(ENOMEM, "could not allocate async add counter");
        return -1;
    }
    r->channel = channel;
    r->conductor = conductor;
    r->type = AERON_CLIENT_TYPE_COUNTER;
    r->status = AERON_CLIENT_AWAITING_MEDIA_DRIVER;
    r->counter_type_id = type_id;

    tp_counter_command_t cmd;
    uint8_t command[sizeof(cmd) + 4 + AERON_COUNTER_MAX_KEY_LENGTH + 4 + AERON_COUNTER_MAX_LABEL_LENGTH];
    size_t padded_key = AERON_ALIGN(key_length, (size_t)4);
    int32_t label_length32 = (int32_t)label_length;

    pthread_mutex_lock(&conductor->lock);
    if (conductor->is_closed)
    {
        pthread_mutex_unlock(&conductor->lock);
        aeron_registering_free(r);
        aeron_err_set(AERON_CLIENT_ERROR_DRIVER_TIMEOUT, "client is closed (driver timeout or client timeout)");
        return -1;
    }
    r->registration_id = tp_mpsc_rb_next_correlation_id(&conductor->to_driver);
    r->deadline_ns = aeron_nano_clock() + conductor->driver_timeout_ms * INT64_C(1000000);
    r->stream_id = type_id;
    cmd.correlated.client_id = conductor->client_id;
    cmd.correlated.correlation_id = r->registration_id;
    cmd.type_id = type_id;
    cmd.key_length = (int32_t)key_length;
    memset(command, 0, sizeof(command));
    memcpy(command, &cmd, sizeof(cmd));
    if (key_length > 0)
    {
        memcpy(command + sizeof(cmd), key, key_length);
    }
    memcpy(command + sizeof(cmd) + padded_key, &label_length32, sizeof(label_length32));
    if (label_length > 0)
    {
        memcpy(command + sizeof(cmd) + padded_key + sizeof(label_length32), label, label_length);
    }
    size_t length = sizeof(cmd) + padded_key + sizeof(label_length32) + label_length;
    if (aeron_conductor_send(conductor, TP_COMMAND_ADD_COUNTER, command, length) < 0)
    {
        pthread_mutex_unlock(&conductor->lock);
        aeron_registering_free(r);
        return -1;
    }
    r->next = conductor->registering;
    conductor->registering = r;
    pthread_mutex_unlock(&conductor->lock);
    *async = r;
    return 0;
}

int aeron_client_conductor_close_counter(aeron_client_conductor_t *conductor, aeron_counter_t *counter)
{
    pthread_mutex_lock(&conductor->lock);
    if (__atomic_load_n(&counter->is_closed, __ATOMIC_ACQUIRE) && conductor->is_closed)
    {
        pthread_mutex_unlock(&conductor->lock);
        return 0; /* force-closed: aeron_close() frees it */
    }
    bool listed = false;
    for (aeron_counter_t **p = &conductor->counters; NULL != *p; p = &(*p)->next)
    {
        if (*p == counter)
        {
            *p = counter->next;
            listed = true;
            break;
        }
    }
    if (!listed)
    {
        pthread_mutex_unlock(&conductor->lock);
        return 0; /* closed twice */
    }
    bool driver_removed = __atomic_load_n(&counter->is_closed, __ATOMIC_ACQUIRE);
    __atomic_store_n(&counter->is_closed, true, __ATOMIC_RELEASE);
    int rc = driver_removed
                 ? 0
                 : aeron_conductor_send_remove(conductor, TP_COMMAND_REMOVE_COUNTER, counter->registration_id);
    aeron_conductor_linger(conductor, AERON_LINGER_COUNTER, counter, aeron_nano_clock());
    pthread_mutex_unlock(&conductor->lock);
    return rc;
}
