#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aeron/protocol/tp_control_protocol.h"
#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "md_test_client.h"

void md_unique_dir(char *dst, size_t length, const char *tag)
{
    static int sequence = 0;
    snprintf(dst, length, "/dev/shm/tp-mdtest-%d-%s-%d", (int)getpid(), tag, sequence++);
}

tp_mediadriver_context_t *md_test_context(const char *dir, bool invoker)
{
    tp_mediadriver_context_t *context = NULL;
    if (tp_mediadriver_context_init(&context) < 0)
    {
        return NULL;
    }
    tp_mediadriver_context_set_dir(context, dir);
    tp_mediadriver_context_set_dir_delete_on_start(context, false);
    tp_mediadriver_context_set_dir_delete_on_shutdown(context, true);
    tp_mediadriver_context_set_ipc_term_buffer_length(context, 64 * 1024);
    tp_mediadriver_context_set_client_liveness_timeout_ns(context, 3000ULL * 1000 * 1000);
    tp_mediadriver_context_set_timer_interval_ns(context, 100ULL * 1000 * 1000);
    tp_mediadriver_context_set_publication_unblock_timeout_ns(context, 5000ULL * 1000 * 1000);
    tp_mediadriver_context_set_driver_timeout_ms(context, 1000);
    tp_mediadriver_context_set_to_driver_buffer_length(context, 64 * 1024);
    tp_mediadriver_context_set_to_clients_buffer_length(context, 64 * 1024);
    tp_mediadriver_context_set_counters_values_buffer_length(context, 64 * 1024);
    tp_mediadriver_context_set_error_buffer_length(context, 64 * 1024);
    tp_mediadriver_context_set_threading_mode(context, invoker ? TP_MEDIADRIVER_THREADING_INVOKER
                                                               : TP_MEDIADRIVER_THREADING_DEDICATED);
    tp_mediadriver_context_set_idle_strategy(context, "sleep");
    return context;
}

int md_client_open(md_client_t *client, const char *dir, tp_mediadriver_t *invoker)
{
    memset(client, 0, sizeof(*client));
    char path[1100];
    snprintf(path, sizeof(path), "%s/cnc.dat", dir);
    client->cnc = md_map_file(path, &client->cnc_length);
    if (NULL == client->cnc)
    {
        return -1;
    }
    client->metadata = (tp_cnc_metadata_t *)client->cnc;
    if (TP_CNC_VERSION != tp_cnc_version_volatile(client->metadata) ||
        tp_cnc_validate(client->metadata, client->cnc_length) < 0 ||
        tp_mpsc_rb_init(&client->to_driver, tp_cnc_to_driver_buffer(client->metadata),
                        (size_t)client->metadata->to_driver_buffer_length) < 0 ||
        tp_broadcast_receiver_init(&client->to_clients, tp_cnc_to_clients_buffer(client->metadata),
                                   (size_t)client->metadata->to_clients_buffer_length) < 0)
    {
        munmap(client->cnc, client->cnc_length);
        return -1;
    }
    tp_counters_reader_init(&client->counters, tp_cnc_counters_metadata_buffer(client->metadata),
                            (size_t)client->metadata->counter_metadata_buffer_length,
                            tp_cnc_counters_values_buffer(client->metadata),
                            (size_t)client->metadata->counter_values_buffer_length);
    client->responses = calloc(MD_MAX_RESPONSES, sizeof(md_response_t));
    client->invoker = invoker;
    return 0;
}

void md_client_close(md_client_t *client)
{
    tp_broadcast_receiver_close(&client->to_clients);
    free(client->responses);
    client->responses = NULL;
    if (NULL != client->cnc)
    {
        munmap(client->cnc, client->cnc_length);
        client->cnc = NULL;
    }
}

int64_t md_next_id(md_client_t *client)
{
    return tp_mpsc_rb_next_correlation_id(&client->to_driver);
}

void md_keep_alive(md_client_t *client, int64_t client_id)
{
    if (client->alive_count < MD_MAX_ALIVE)
    {
        client->alive[client->alive_count++] = client_id;
    }
}

void md_stop_keep_alive(md_client_t *client, int64_t client_id)
{
    for (size_t i = 0; i < client->alive_count; i++)
    {
        if (client->alive[i] == client_id)
        {
            client->alive[i] = client->alive[--client->alive_count];
            return;
        }
    }
}

void md_write(md_client_t *client, int32_t type, const void *msg, size_t length)
{
    while (TP_RB_FULL == tp_mpsc_rb_write(&client->to_driver, type, msg, length))
    {
        md_poll(client, 1);
    }
}

void md_send_add_publication(md_client_t *client, int64_t client_id, int64_t correlation_id, int32_t stream_id,
                             const char *channel, bool exclusive)
{
    uint8_t buffer[1024];
    tp_publication_command_t command;
    command.correlated.client_id = client_id;
    command.correlated.correlation_id = correlation_id;
    command.stream_id = stream_id;
    command.channel_length = (int32_t)strlen(channel);
    memcpy(buffer, &command, sizeof(command));
    memcpy(buffer + sizeof(command), channel, strlen(channel));
    md_write(client, exclusive ? TP_COMMAND_ADD_EXCLUSIVE_PUBLICATION : TP_COMMAND_ADD_PUBLICATION, buffer,
             sizeof(command) + strlen(channel));
}

void md_send_add_subscription(md_client_t *client, int64_t client_id, int64_t correlation_id, int32_t stream_id,
                              const char *channel)
{
    uint8_t buffer[1024];
    tp_subscription_command_t command;
    command.correlated.client_id = client_id;
    command.correlated.correlation_id = correlation_id;
    command.registration_correlation_id = -1;
    command.stream_id = stream_id;
    command.channel_length = (int32_t)strlen(channel);
    memcpy(buffer, &command, sizeof(command));
    memcpy(buffer + sizeof(command), channel, strlen(channel));
    md_write(client, TP_COMMAND_ADD_SUBSCRIPTION, buffer, sizeof(command) + strlen(channel));
}

void md_send_remove(md_client_t *client, int32_t type, int64_t client_id, int64_t correlation_id,
                    int64_t registration_id)
{
    tp_remove_command_t command;
    command.correlated.client_id = client_id;
    command.correlated.correlation_id = correlation_id;
    command.registration_id = registration_id;
    md_write(client, type, &command, sizeof(command));
}

void md_send_simple(md_client_t *client, int32_t type, int64_t client_id, int64_t correlation_id)
{
    tp_correlated_command_t command = {.client_id = client_id, .correlation_id = correlation_id};
    md_write(client, type, &command, sizeof(command));
}

static void md_on_response(int32_t type, const void *buffer, size_t length, void *clientd)
{
    md_client_t *client = clientd;
    if (client->response_count < MD_MAX_RESPONSES)
    {
        md_response_t *response = &client->responses[client->response_count++];
        response->type = type;
        response->length = length;
        memcpy(response->data, buffer, length < sizeof(response->data) ? length : sizeof(response->data));
    }
}

static void md_refresh_heartbeats(md_client_t *client)
{
    const int64_t now_ms = tp_clock_epoch_ms();
    for (int32_t id = 0; id <= client->counters.max_counter_id; id++)
    {
        const tp_counter_metadata_t *metadata = tp_counters_reader_metadata(&client->counters, id);
        const int32_t state = tp_load_acquire_i32(&metadata->state);
        if (TP_COUNTER_RECORD_UNUSED == state)
        {
            break;
        }
        if (TP_COUNTER_RECORD_ALLOCATED != state || TP_COUNTER_TYPE_CLIENT_HEARTBEAT != metadata->type_id)
        {
            continue;
        }
        int64_t key;
        memcpy(&key, metadata->key, sizeof(key));
        for (size_t i = 0; i < client->alive_count; i++)
        {
            if (client->alive[i] == key)
            {
                tp_store_release_i64(tp_counters_reader_addr(&client->counters, id), now_ms);
            }
        }
    }
}

void md_poll(md_client_t *client, int ms)
{
    const uint64_t deadline = tp_clock_monotonic_ns() + (uint64_t)ms * 1000000ULL;
    do
    {
        if (NULL != client->invoker)
        {
            tp_mediadriver_do_work(client->invoker);
        }
        md_refresh_heartbeats(client);
        while (tp_broadcast_receiver_receive(&client->to_clients, md_on_response, client) != 0)
        {
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000};
        nanosleep(&ts, NULL);
    } while (tp_clock_monotonic_ns() < deadline);
}

int md_find(const md_client_t *client, int32_t type, int64_t id, size_t from)
{
    for (size_t i = from; i < client->response_count; i++)
    {
        int64_t first;
        memcpy(&first, client->responses[i].data, sizeof(first));
        if (client->responses[i].type == type && first == id)
        {
            return (int)i;
        }
    }
    return -1;
}

int md_await(md_client_t *client, int32_t type, int64_t id, int timeout_ms)
{
    const uint64_t deadline = tp_clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000ULL;
    int index;
    while ((index = md_find(client, type, id, 0)) < 0 && tp_clock_monotonic_ns() < deadline)
    {
        md_poll(client, 1);
    }
    return index;
}

int32_t md_counter_state(const md_client_t *client, int32_t id)
{
    int32_t state = -99;
    tp_counters_reader_counter_state(&client->counters, id, &state);
    return state;
}

int32_t md_counter_type(const md_client_t *client, int32_t id)
{
    int32_t type = -99;
    tp_counters_reader_counter_type_id(&client->counters, id, &type);
    return type;
}

int64_t md_counter_value(const md_client_t *client, int32_t id)
{
    return tp_load_acquire_i64(tp_counters_reader_addr(&client->counters, id));
}

int64_t *md_counter_addr(const md_client_t *client, int32_t id)
{
    return tp_counters_reader_addr(&client->counters, id);
}

void md_counter_label(const md_client_t *client, int32_t id, char *dst, size_t length)
{
    tp_counters_reader_counter_label(&client->counters, id, dst, length);
}

int64_t md_to_driver_heartbeat(const md_client_t *client)
{
    return tp_mpsc_rb_consumer_heartbeat_time_value(&client->to_driver);
}

uint8_t *md_map_file(const char *path, size_t *length)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
    {
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
    {
        close(fd);
        return NULL;
    }
    void *mapped = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (MAP_FAILED == mapped)
    {
        return NULL;
    }
    *length = (size_t)st.st_size;
    return mapped;
}

bool md_file_exists(const char *path)
{
    struct stat st;
    return 0 == stat(path, &st);
}

bool md_await_file_gone(md_client_t *client, const char *path, int timeout_ms)
{
    const uint64_t deadline = tp_clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000ULL;
    while (md_file_exists(path) && tp_clock_monotonic_ns() < deadline)
    {
        md_poll(client, 1);
    }
    return !md_file_exists(path);
}
