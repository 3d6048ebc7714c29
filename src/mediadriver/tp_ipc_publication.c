#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tp_atomic.h"
#include "common/tp_error_private.h"
#include "common/tp_prefault.h"
#include "mediadriver/tp_ipc_publication.h"
#include "mediadriver/tp_stream_counter.h"

/* Creates, sizes and maps the log file; reserves and pre-touches its pages unless sparse (a full /dev/shm fails
 * here, not with SIGBUS later). */
static int tp_ipc_publication_map_new_file(tp_ipc_publication_t *publication, size_t length, bool sparse,
                                           bool *storage_full)
{
    int fd = open(publication->log_file_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
    {
        TP_SET_ERR_ERRNO("creating log buffer %s", publication->log_file_name);
        return -1;
    }
    if (ftruncate(fd, (off_t)length) < 0)
    {
        *storage_full = (ENOSPC == errno);
        TP_SET_ERR_ERRNO("sizing log buffer %s to %zu bytes", publication->log_file_name, length);
        goto fail;
    }
    if (!sparse)
    {
        int rc = posix_fallocate(fd, 0, (off_t)length);
        if (0 != rc)
        {
            errno = rc;
            *storage_full = (ENOSPC == rc);
            TP_SET_ERR_ERRNO("reserving %zu bytes for log buffer %s", length, publication->log_file_name);
            goto fail;
        }
    }
    void *mapped = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (MAP_FAILED == mapped)
    {
        TP_SET_ERR_ERRNO("mapping log buffer %s (%zu bytes)", publication->log_file_name, length);
        goto fail;
    }
    close(fd);
    if (!sparse)
    {
        /* Like the official driver: a non-sparse log is pre-touched, so the driver's own term cleaning and
         * position scans never fault on it (each client maps and populates it again for itself). */
        (void)tp_prefault(mapped, length, 0, true);
    }
    publication->mapped = mapped;
    publication->mapped_length = length;
    return 0;

fail:
    close(fd);
    unlink(publication->log_file_name);
    return -1;
}

static void tp_ipc_publication_fill_metadata(tp_ipc_publication_t *publication,
                                             const tp_ipc_publication_params_t *params)
{
    tp_logbuffer_metadata_t *metadata = publication->metadata;
    if (params->has_position)
    {
        tp_logbuffer_initialise_tails_at(metadata, params->initial_term_id, params->term_id, params->term_offset);
    }
    else
    {
        tp_logbuffer_initialise_tails(metadata, params->initial_term_id);
    }
    metadata->end_of_stream_position = INT64_MAX;
    metadata->is_connected = 0;
    metadata->active_transport_count = 0;
    metadata->correlation_id = publication->registration_id;
    metadata->initial_term_id = params->initial_term_id;
    metadata->mtu_length = params->mtu_length;
    metadata->term_length = params->term_length;
    metadata->page_size = params->page_size;
    metadata->publication_window_length = publication->term_window_length;
    metadata->receiver_window_length = 0;
    metadata->socket_sndbuf_length = 0;
    metadata->os_default_socket_sndbuf_length = params->os_default_sndbuf;
    metadata->os_max_socket_sndbuf_length = 0;
    metadata->socket_rcvbuf_length = 0;
    metadata->os_default_socket_rcvbuf_length = params->os_default_rcvbuf;
    metadata->os_max_socket_rcvbuf_length = 0;
    metadata->max_resend = 0;
    tp_logbuffer_fill_default_header(metadata, publication->session_id, publication->stream_id,
                                     params->initial_term_id);
    metadata->entity_tag = params->entity_tag;
    metadata->response_correlation_id = -1;
    metadata->linger_timeout_ns = params->linger_timeout_ns;
    metadata->untethered_window_limit_timeout_ns = params->untethered_window_limit_timeout_ns;
    metadata->untethered_resting_timeout_ns = params->untethered_resting_timeout_ns;
    metadata->group = 0;
    metadata->is_response = 0;
    metadata->rejoin = 0;
    metadata->reliable = 0;
    metadata->sparse = params->sparse ? 1 : 0;
    metadata->signal_eos = params->signal_eos ? 1 : 0;
    metadata->spies_simulate_connection = params->spies_simulate_connection ? 1 : 0;
    metadata->tether = 0;
    /* Clients map the file only after READY is broadcast, but make the stores visible regardless. */
    tp_fence_release();
}

int tp_ipc_publication_create(tp_ipc_publication_t **out, const char *dir, int64_t registration_id, int64_t client_id,
                              int32_t session_id, int32_t stream_id, const char *channel, size_t channel_length,
                              bool is_exclusive, const tp_ipc_publication_params_t *params,
                              tp_counters_manager_t *counters, int64_t now_ns, int64_t now_ms, bool *storage_full)
{
    *storage_full = false;
    tp_ipc_publication_t *publication = calloc(1, sizeof(*publication));
    if (NULL == publication)
    {
        TP_SET_ERR(ENOMEM, "allocating IPC publication %" PRId64, registration_id);
        return -1;
    }
    publication->pub_lmt_counter_id = -1;
    publication->pub_pos_counter_id = -1;
    publication->registration_id = registration_id;
    publication->creator_client_id = client_id;
    publication->session_id = session_id;
    publication->stream_id = stream_id;
    publication->initial_term_id = params->initial_term_id;
    publication->term_length = params->term_length;
    publication->mtu_length = params->mtu_length;
    publication->term_window_length =
        (params->term_window_length > 0 && params->term_window_length < params->term_length / 2)
            ? params->term_window_length
            : params->term_length / 2;
    publication->trip_gain = publication->term_window_length / 8;
    publication->position_bits_to_shift = tp_logbuffer_position_bits_to_shift(params->term_length);
    publication->is_exclusive = is_exclusive;
    publication->state = TP_IPC_PUBLICATION_STATE_ACTIVE;

    publication->channel = malloc(channel_length + 1);
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/publications/%" PRId64 ".logbuffer", dir, registration_id);
    if (NULL == publication->channel || n < 0 || (size_t)n >= sizeof(path))
    {
        TP_SET_ERR(ENOMEM, "preparing IPC publication %" PRId64 " in %s", registration_id, dir);
        goto fail;
    }
    memcpy(publication->channel, channel, channel_length);
    publication->channel[channel_length] = '\0';
    publication->channel_length = channel_length;
    publication->log_file_name = strdup(path);
    if (NULL == publication->log_file_name)
    {
        TP_SET_ERR(ENOMEM, "copying log file name %s", path);
        goto fail;
    }
    publication->log_file_name_length = (size_t)n;

    const int64_t log_length = tp_logbuffer_compute_log_length(params->term_length, params->page_size);
    if (tp_ipc_publication_map_new_file(publication, (size_t)log_length, params->sparse, storage_full) < 0)
    {
        goto fail;
    }
    for (int i = 0; i < TP_LOGBUFFER_PARTITION_COUNT; i++)
    {
        publication->terms[i] = publication->mapped + (size_t)i * (size_t)params->term_length;
    }
    publication->metadata = tp_logbuffer_metadata_at(publication->mapped, log_length);
    tp_ipc_publication_fill_metadata(publication, params);

    publication->pub_pos_counter_id = tp_stream_counter_allocate(
        counters, TP_COUNTER_TYPE_PUBLISHER_POSITION, TP_STREAM_COUNTER_PUBLISHER_POSITION_NAME, registration_id,
        session_id, stream_id, channel, channel_length, "", now_ms);
    if (publication->pub_pos_counter_id < 0)
    {
        goto fail;
    }
    publication->pub_lmt_counter_id =
        tp_stream_counter_allocate(counters, TP_COUNTER_TYPE_PUBLISHER_LIMIT, TP_STREAM_COUNTER_PUBLISHER_LIMIT_NAME,
                                   registration_id, session_id, stream_id, channel, channel_length, "", now_ms);
    if (publication->pub_lmt_counter_id < 0)
    {
        goto fail;
    }
    tp_counters_manager_set_owner_id(counters, publication->pub_lmt_counter_id, client_id);
    publication->pub_pos = tp_counters_manager_addr(counters, publication->pub_pos_counter_id);
    publication->pub_lmt = tp_counters_manager_addr(counters, publication->pub_lmt_counter_id);

    const int64_t producer_position = tp_ipc_publication_producer_position(publication);
    tp_store_release_i64(publication->pub_pos, producer_position);
    tp_store_release_i64(publication->pub_lmt, producer_position);
    publication->untethered_window_limit_timeout_ns = params->untethered_window_limit_timeout_ns;
    publication->untethered_resting_timeout_ns = params->untethered_resting_timeout_ns;
    publication->trip_limit = producer_position;
    publication->clean_position = producer_position;
    publication->consumer_position = producer_position;
    publication->last_consumer_position = producer_position;
    publication->time_of_last_consumer_position_change_ns = now_ns;
    publication->last_cycle_producer_position = producer_position;
    publication->last_cycle_min_position = producer_position;

    *out = publication;
    return 0;

fail:
    TP_APPEND_ERR("creating IPC publication %" PRId64 " for stream %" PRId32, registration_id, stream_id);
    tp_ipc_publication_delete(publication, counters, now_ms);
    return -1;
}

void tp_ipc_publication_delete(tp_ipc_publication_t *publication, tp_counters_manager_t *counters, int64_t now_ms)
{
    if (NULL == publication)
    {
        return;
    }
    for (size_t i = 0; i < publication->position_count; i++)
    {
        tp_counters_manager_free(counters, publication->positions[i].counter_id, now_ms);
    }
    if (publication->pub_lmt_counter_id >= 0)
    {
        tp_counters_manager_free(counters, publication->pub_lmt_counter_id, now_ms);
    }
    if (publication->pub_pos_counter_id >= 0)
    {
        tp_counters_manager_free(counters, publication->pub_pos_counter_id, now_ms);
    }
    if (NULL != publication->mapped)
    {
        munmap(publication->mapped, publication->mapped_length);
        /* Clients that still map it keep their pages; the name goes now. */
        unlink(publication->log_file_name);
    }
    free(publication->positions);
    free(publication->log_file_name);
    free(publication->channel);
    free(publication);
}

int64_t tp_ipc_publication_producer_position(const tp_ipc_publication_t *publication)
{
    const int64_t raw_tail = tp_logbuffer_active_raw_tail(publication->metadata);
    return tp_logbuffer_compute_position(tp_logbuffer_term_id(raw_tail),
                                         tp_logbuffer_term_offset(raw_tail, publication->term_length),
                                         publication->position_bits_to_shift, publication->initial_term_id);
}

int64_t tp_ipc_publication_join_position(tp_ipc_publication_t *publication)
{
    /*
     * The consumer position is only sampled once per duty cycle; a subscriber may have moved since, and the
     * client that adds a subscription right after consuming expects to join where it left off.
     */
    int64_t minimum = INT64_MAX;
    for (size_t i = 0; i < publication->position_count; i++)
    {
        if (TP_TETHER_STATE_RESTING == publication->positions[i].state)
        {
            continue;
        }
        const int64_t subscriber = tp_load_acquire_i64(publication->positions[i].value);
        minimum = subscriber < minimum ? subscriber : minimum;
        publication->consumer_position =
            subscriber > publication->consumer_position ? subscriber : publication->consumer_position;
    }
    return minimum < publication->consumer_position ? minimum : publication->consumer_position;
}

size_t tp_ipc_publication_working_position_count(const tp_ipc_publication_t *publication)
{
    size_t count = 0;
    for (size_t i = 0; i < publication->position_count; i++)
    {
        count += TP_TETHER_STATE_RESTING != publication->positions[i].state ? 1 : 0;
    }
    return count;
}

int tp_ipc_publication_add_subscriber(tp_ipc_publication_t *publication, int64_t subscription_registration_id,
                                      int32_t counter_id, int64_t *value, bool is_tether, int64_t now_ns)
{
    if (publication->position_count == publication->position_capacity)
    {
        const size_t capacity = 0 == publication->position_capacity ? 4 : publication->position_capacity * 2;
        tp_subscriber_position_t *positions = realloc(publication->positions, capacity * sizeof(*positions));
        if (NULL == positions)
        {
            TP_SET_ERR(ENOMEM, "growing subscriber positions of publication %" PRId64 " to %zu",
                       publication->registration_id, capacity);
            return -1;
        }
        publication->positions = positions;
        publication->position_capacity = capacity;
    }
    tp_subscriber_position_t *position = &publication->positions[publication->position_count++];
    position->subscription_registration_id = subscription_registration_id;
    position->counter_id = counter_id;
    position->value = value;
    position->is_tether = is_tether;
    position->state = TP_TETHER_STATE_ACTIVE;
    position->time_of_last_update_ns = now_ns;
    tp_store_release_i32(&publication->metadata->is_connected, 1);
    return 0;
}

bool tp_ipc_publication_remove_subscriber(tp_ipc_publication_t *publication, int64_t subscription_registration_id,
                                          int32_t *counter_id)
{
    for (size_t i = 0; i < publication->position_count; i++)
    {
        if (publication->positions[i].subscription_registration_id == subscription_registration_id)
        {
            *counter_id = publication->positions[i].counter_id;
            publication->positions[i] = publication->positions[publication->position_count - 1];
            publication->position_count--;
            if (0 == tp_ipc_publication_working_position_count(publication))
            {
                tp_store_release_i32(&publication->metadata->is_connected, 0);
            }
            return true;
        }
    }
    return false;
}

bool tp_ipc_publication_has_subscriber(const tp_ipc_publication_t *publication, int64_t subscription_registration_id)
{
    for (size_t i = 0; i < publication->position_count; i++)
    {
        if (publication->positions[i].subscription_registration_id == subscription_registration_id)
        {
            return true;
        }
    }
    return false;
}

/* Zeroes consumed space from clean_position towards position, at most to the end of the dirty term per call. */
static void tp_ipc_publication_clean_buffer(tp_ipc_publication_t *publication, int64_t position)
{
    const int64_t clean_position = publication->clean_position;
    if (position <= clean_position)
    {
        return;
    }
    const int dirty_index = tp_logbuffer_index_by_position(clean_position, publication->position_bits_to_shift);
    const int32_t term_offset =
        tp_logbuffer_compute_term_offset_from_position(clean_position, publication->position_bits_to_shift);
    const int64_t bytes_left_in_term = publication->term_length - term_offset;
    const int64_t bytes_to_clean = position - clean_position;
    const int32_t length = (int32_t)(bytes_to_clean < bytes_left_in_term ? bytes_to_clean : bytes_left_in_term);
    tp_term_clean(publication->terms[dirty_index], term_offset, length);
    publication->clean_position = clean_position + length;
}

int tp_ipc_publication_update_pub_pos_and_lmt(tp_ipc_publication_t *publication)
{
    if (TP_IPC_PUBLICATION_STATE_DRAINING == publication->state)
    {
        /* Limits are frozen, but the unblocker still needs to see where the readers are. */
        for (size_t i = 0; i < publication->position_count; i++)
        {
            if (TP_TETHER_STATE_RESTING == publication->positions[i].state)
            {
                continue;
            }
            const int64_t position = tp_load_acquire_i64(publication->positions[i].value);
            publication->consumer_position =
                position > publication->consumer_position ? position : publication->consumer_position;
        }
        return 0;
    }
    publication->is_flowing = false;
    if (TP_IPC_PUBLICATION_STATE_ACTIVE != publication->state)
    {
        return 0;
    }
    int work_count = 0;
    bool near_limit = false;
    const int64_t producer_position = tp_ipc_publication_producer_position(publication);
    tp_store_release_i64(publication->pub_pos, producer_position);
    bool moved = producer_position != publication->last_cycle_producer_position;
    publication->last_cycle_producer_position = producer_position;

    if (tp_ipc_publication_working_position_count(publication) > 0)
    {
        int64_t min_position = INT64_MAX;
        int64_t max_position = publication->consumer_position;
        for (size_t i = 0; i < publication->position_count; i++)
        {
            if (TP_TETHER_STATE_RESTING == publication->positions[i].state)
            {
                continue;
            }
            const int64_t position = tp_load_acquire_i64(publication->positions[i].value);
            min_position = position < min_position ? position : min_position;
            max_position = position > max_position ? position : max_position;
        }
        moved = moved || min_position != publication->last_cycle_min_position;
        publication->last_cycle_min_position = min_position;
        /* Only a producer a quarter window or more ahead of the slowest reader can run into its limit before the
         * next unhurried cycle; readers that keep up (a ping-pong, a consumer draining in batches) need no fast
         * refresh, and waking every few tens of µs for them preempts the very processes they serve when every
         * core is busy. */
        near_limit = producer_position - min_position > (int64_t)(publication->term_window_length / 4);
        const int64_t proposed_limit = min_position + publication->term_window_length;
        if (proposed_limit > publication->trip_limit)
        {
            tp_ipc_publication_clean_buffer(publication, min_position);
            tp_store_release_i64(publication->pub_lmt, proposed_limit);
            publication->trip_limit = proposed_limit + publication->trip_gain;
            work_count = 1;
        }
        publication->consumer_position = max_position;
    }
    else if (tp_load_acquire_i64(publication->pub_lmt) > publication->consumer_position)
    {
        tp_store_release_i64(publication->pub_lmt, publication->consumer_position);
        publication->trip_limit = publication->consumer_position;
        tp_ipc_publication_clean_buffer(publication, publication->consumer_position);
        work_count = 1;
    }
    publication->is_flowing = moved && near_limit;
    return work_count;
}

static bool tp_ipc_publication_is_possibly_blocked(const tp_ipc_publication_t *publication, int64_t producer_position,
                                                   int64_t consumer_position)
{
    const int32_t producer_term_count = tp_logbuffer_active_term_count(publication->metadata);
    const int32_t expected_term_count = (int32_t)(consumer_position >> publication->position_bits_to_shift);
    if (producer_term_count != expected_term_count)
    {
        return true;
    }
    return producer_position > consumer_position;
}

bool tp_ipc_publication_check_for_blocked_publisher(tp_ipc_publication_t *publication, int64_t now_ns,
                                                    int64_t unblock_timeout_ns)
{
    const int64_t consumer_position = publication->consumer_position;
    const int64_t producer_position = tp_ipc_publication_producer_position(publication);
    if (consumer_position == publication->last_consumer_position &&
        tp_ipc_publication_is_possibly_blocked(publication, producer_position, consumer_position))
    {
        if (now_ns > publication->time_of_last_consumer_position_change_ns + unblock_timeout_ns)
        {
            if (tp_logbuffer_unblock(publication->terms, publication->metadata, consumer_position,
                                     publication->term_length))
            {
                /* Give the readers a fresh timeout to move past the pad before trying again. */
                publication->time_of_last_consumer_position_change_ns = now_ns;
                return true;
            }
        }
    }
    else
    {
        publication->time_of_last_consumer_position_change_ns = now_ns;
        publication->last_consumer_position = consumer_position;
    }
    return false;
}

void tp_ipc_publication_start_draining(tp_ipc_publication_t *publication, int64_t now_ns)
{
    const int64_t producer_position = tp_ipc_publication_producer_position(publication);
    const int64_t limit = tp_load_acquire_i64(publication->pub_lmt);
    tp_store_release_i64(publication->pub_lmt, producer_position < limit ? producer_position : limit);
    tp_store_release_i64(&publication->metadata->end_of_stream_position, producer_position);
    tp_store_release_i64(publication->pub_pos, producer_position);
    publication->state = TP_IPC_PUBLICATION_STATE_DRAINING;
    publication->time_of_last_consumer_position_change_ns = now_ns;
}

bool tp_ipc_publication_is_drained(const tp_ipc_publication_t *publication)
{
    const int64_t producer_position = tp_ipc_publication_producer_position(publication);
    for (size_t i = 0; i < publication->position_count; i++)
    {
        if (TP_TETHER_STATE_RESTING != publication->positions[i].state &&
            tp_load_acquire_i64(publication->positions[i].value) < producer_position)
        {
            return false;
        }
    }
    return true;
}

void tp_ipc_publication_check_untethered_subscriptions(tp_ipc_publication_t *publication, int64_t now_ns,
                                                       tp_tether_change_func_t on_change, void *clientd)
{
    const int64_t window = publication->term_window_length;
    const int64_t untethered_window_limit = (publication->consumer_position - window) + (window / 4);
    for (size_t i = 0; i < publication->position_count; i++)
    {
        tp_subscriber_position_t *position = &publication->positions[i];
        if (position->is_tether)
        {
            position->time_of_last_update_ns = now_ns;
            continue;
        }
        switch (position->state)
        {
            case TP_TETHER_STATE_ACTIVE:
                if (tp_load_acquire_i64(position->value) > untethered_window_limit)
                {
                    position->time_of_last_update_ns = now_ns;
                }
                else if (now_ns > position->time_of_last_update_ns + publication->untethered_window_limit_timeout_ns)
                {
                    position->state = TP_TETHER_STATE_LINGER;
                    position->time_of_last_update_ns = now_ns;
                    on_change(clientd, publication, position, false);
                }
                break;
            case TP_TETHER_STATE_LINGER:
                if (now_ns > position->time_of_last_update_ns + publication->untethered_window_limit_timeout_ns)
                {
                    position->state = TP_TETHER_STATE_RESTING;
                    position->time_of_last_update_ns = now_ns;
                }
                break;
            case TP_TETHER_STATE_RESTING:
                if (now_ns > position->time_of_last_update_ns + publication->untethered_resting_timeout_ns)
                {
                    /* As the official driver: rejoin at the newest reader, not behind another laggard. */
                    tp_store_release_i64(position->value, publication->consumer_position);
                    position->state = TP_TETHER_STATE_ACTIVE;
                    position->time_of_last_update_ns = now_ns;
                    on_change(clientd, publication, position, true);
                }
                break;
        }
    }
    tp_store_release_i32(&publication->metadata->is_connected,
                         tp_ipc_publication_working_position_count(publication) > 0 ? 1 : 0);
}
