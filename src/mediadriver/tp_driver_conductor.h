/*
 * The driver conductor: reads client commands from the to-driver ring, manages clients, IPC publications,
 * subscriptions and counters, answers on the to-clients broadcast buffer, and runs the timer duties (CnC
 * heartbeat, client liveness, unblocking, publication draining and cleanup).
 */
#ifndef TENSORPOOL_TP_DRIVER_CONDUCTOR_H
#define TENSORPOOL_TP_DRIVER_CONDUCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeron/protocol/tp_aeron_uri.h"
#include "aeron/protocol/tp_broadcast.h"
#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_counters.h"
#include "aeron/protocol/tp_distinct_error_log.h"
#include "aeron/protocol/tp_mpsc_rb.h"
#include "mediadriver/tp_ipc_publication.h"
#include "mediadriver/tp_mediadriver_context.h"
#include "mediadriver/tp_system_counters.h"

typedef struct tp_driver_client_stct
{
    int64_t client_id;
    int32_t heartbeat_counter_id;
    int64_t *heartbeat_ms;
    bool closed_by_command;
} tp_driver_client_t;

typedef struct tp_publication_link_stct
{
    int64_t registration_id;
    int64_t client_id;
    tp_ipc_publication_t *publication;
} tp_publication_link_t;

typedef struct tp_subscription_link_stct
{
    int64_t registration_id;
    int64_t client_id;
    int32_t stream_id;
    bool has_session_id;
    int32_t session_id;
    bool is_tether;
    char *channel;
    size_t channel_length;
} tp_subscription_link_t;

typedef struct tp_client_counter_stct
{
    int64_t registration_id;
    int64_t client_id;
    int32_t counter_id;
} tp_client_counter_t;

typedef struct tp_driver_conductor_stct
{
    tp_mediadriver_context_t context; /* private copy */
    tp_mpsc_rb_t to_driver;
    tp_broadcast_transmitter_t to_clients;
    tp_counters_manager_t counters;
    tp_system_counters_t system_counters;
    tp_distinct_error_log_t error_log;

    tp_driver_client_t *clients;
    size_t client_count;
    size_t client_capacity;
    tp_publication_link_t *publication_links;
    size_t publication_link_count;
    size_t publication_link_capacity;
    tp_subscription_link_t *subscriptions;
    size_t subscription_count;
    size_t subscription_capacity;
    tp_ipc_publication_t **publications;
    size_t publication_count;
    size_t publication_capacity;
    tp_client_counter_t *client_counters;
    size_t client_counter_count;
    size_t client_counter_capacity;

    int32_t next_session_id;
    int64_t next_timer_deadline_ns;
    int64_t last_command_consumer_position;
    int64_t time_of_last_command_consumer_position_change_ns;
    int32_t os_default_sndbuf;
    int32_t os_default_rcvbuf;

    bool is_flowing; /* data moved through some publication during the last duty cycle */

    tp_aeron_uri_t uri; /* scratch for parsing command channels */

    /* ON_ERROR details set by a failing command handler. */
    int32_t error_code;
    char error_message[1024];
    uint8_t response[8192];
} tp_driver_conductor_t;

/* Wires the conductor to the CnC sections (already zeroed) and allocates the system counters. */
int tp_driver_conductor_init(tp_driver_conductor_t *conductor, const tp_mediadriver_context_t *context,
                             tp_cnc_metadata_t *cnc, int64_t now_ns, int64_t now_ms);

/* One duty cycle; returns the work count. */
int tp_driver_conductor_do_work(tp_driver_conductor_t *conductor);

/*
 * True when the last duty cycle saw data move through a publication (its producer or slowest subscriber
 * advanced). The publisher limit then has to follow the subscribers soon, so the agent should not park long.
 */
bool tp_driver_conductor_is_flowing(const tp_driver_conductor_t *conductor);

/* Frees every resource (log files are deleted) but leaves the CnC mapping to the caller. */
void tp_driver_conductor_close(tp_driver_conductor_t *conductor);

#endif /* TENSORPOOL_TP_DRIVER_CONDUCTOR_H */
