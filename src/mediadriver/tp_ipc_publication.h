/*
 * One IPC publication as the driver sees it: the log file, its pub-lmt / pub-pos counters, the subscriber
 * positions linked to it, flow control (publisher limit = slowest subscriber + term window), cleaning of
 * consumed term space, unblocking, and the ACTIVE -> DRAINING -> LINGER -> DONE life cycle.
 */
#ifndef TENSORPOOL_TP_IPC_PUBLICATION_H
#define TENSORPOOL_TP_IPC_PUBLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeron/protocol/tp_counters.h"
#include "aeron/protocol/tp_logbuffer.h"

typedef enum tp_ipc_publication_state_en
{
    TP_IPC_PUBLICATION_STATE_ACTIVE = 0,
    TP_IPC_PUBLICATION_STATE_DRAINING = 1, /* no more publishers; subscribers still reading */
    TP_IPC_PUBLICATION_STATE_LINGER = 2,   /* images announced unavailable; freed on the next timer tick */
    TP_IPC_PUBLICATION_STATE_DONE = 3
} tp_ipc_publication_state_t;

/* Untethered (tether=false) subscribers that fall behind are dropped for a while instead of holding the limit. */
typedef enum tp_tether_state_en
{
    TP_TETHER_STATE_ACTIVE = 0,
    TP_TETHER_STATE_LINGER = 1, /* told the image is unavailable; still counted for flow control */
    TP_TETHER_STATE_RESTING = 2 /* ignored by flow control until it rejoins */
} tp_tether_state_t;

typedef struct tp_subscriber_position_stct
{
    int64_t subscription_registration_id;
    int32_t counter_id;
    int64_t *value;
    bool is_tether;
    tp_tether_state_t state;
    int64_t time_of_last_update_ns;
} tp_subscriber_position_t;

/* Settings of a new log, resolved from the context and the channel's params. */
typedef struct tp_ipc_publication_params_stct
{
    int32_t term_length;
    int32_t mtu_length;
    int32_t term_window_length; /* 0 = term / 2 */
    int32_t initial_term_id;
    bool has_position;
    int32_t term_id;
    int32_t term_offset;
    bool sparse;
    bool signal_eos;
    bool spies_simulate_connection;
    int64_t linger_timeout_ns;
    int64_t untethered_window_limit_timeout_ns;
    int64_t untethered_resting_timeout_ns;
    int64_t entity_tag;
    int32_t page_size;
    int32_t os_default_sndbuf;
    int32_t os_default_rcvbuf;
} tp_ipc_publication_params_t;

typedef struct tp_ipc_publication_stct
{
    int64_t registration_id;
    int64_t creator_client_id;
    int32_t session_id;
    int32_t stream_id;
    int32_t initial_term_id;
    int32_t term_length;
    int32_t mtu_length;
    int32_t term_window_length;
    int32_t trip_gain;
    int position_bits_to_shift;
    bool is_exclusive;
    bool has_session_id_param;
    int32_t ref_count;
    tp_ipc_publication_state_t state;

    char *channel;
    size_t channel_length;
    char *log_file_name;
    size_t log_file_name_length;
    uint8_t *mapped;
    size_t mapped_length;
    uint8_t *terms[TP_LOGBUFFER_PARTITION_COUNT];
    tp_logbuffer_metadata_t *metadata;

    int32_t pub_lmt_counter_id;
    int64_t *pub_lmt;
    int32_t pub_pos_counter_id;
    int64_t *pub_pos;

    int64_t untethered_window_limit_timeout_ns;
    int64_t untethered_resting_timeout_ns;

    int64_t trip_limit;
    int64_t clean_position;
    int64_t consumer_position;
    int64_t last_consumer_position;
    int64_t time_of_last_consumer_position_change_ns;
    /* Producer / slowest consumer positions seen by the previous duty cycle, to tell whether data is moving. */
    int64_t last_cycle_producer_position;
    int64_t last_cycle_min_position;
    bool is_flowing;

    tp_subscriber_position_t *positions;
    size_t position_count;
    size_t position_capacity;
} tp_ipc_publication_t;

/*
 * Creates publications/<registration_id>.logbuffer under dir, fills the metadata, and allocates the pub-pos
 * and pub-lmt counters. On failure nothing is left behind and *storage_full tells ENOSPC apart.
 */
int tp_ipc_publication_create(tp_ipc_publication_t **publication, const char *dir, int64_t registration_id,
                              int64_t client_id, int32_t session_id, int32_t stream_id, const char *channel,
                              size_t channel_length, bool is_exclusive, const tp_ipc_publication_params_t *params,
                              tp_counters_manager_t *counters, int64_t now_ns, int64_t now_ms, bool *storage_full);

/* Frees counters (subscriber positions included), unmaps and deletes the log file. */
void tp_ipc_publication_delete(tp_ipc_publication_t *publication, tp_counters_manager_t *counters, int64_t now_ms);

int64_t tp_ipc_publication_producer_position(const tp_ipc_publication_t *publication);

/*
 * Join position for a new subscriber: the slowest current subscriber, or the consumer position (the furthest
 * any subscriber got) when there is none. Refreshes the consumer position from the live counters first.
 */
int64_t tp_ipc_publication_join_position(tp_ipc_publication_t *publication);

/* Adds a subscriber position (counter already allocated and set to the join position). Returns 0 / -1. */
int tp_ipc_publication_add_subscriber(tp_ipc_publication_t *publication, int64_t subscription_registration_id,
                                      int32_t counter_id, int64_t *value, bool is_tether, int64_t now_ns);

/* Subscribers that are not RESTING: the ones that hold the publisher limit back and make it "connected". */
size_t tp_ipc_publication_working_position_count(const tp_ipc_publication_t *publication);

/*
 * Every timer tick for an ACTIVE publication: moves untethered subscribers that stay more than
 * window - window / 4 behind the consumer position for the window-limit timeout to LINGER (on_unavailable),
 * after the same timeout again to RESTING, and after the resting timeout back to ACTIVE at the join position
 * (on_available). Also refreshes is_connected.
 */
typedef void (*tp_tether_change_func_t)(void *clientd, tp_ipc_publication_t *publication,
                                        const tp_subscriber_position_t *position, bool available);
void tp_ipc_publication_check_untethered_subscriptions(tp_ipc_publication_t *publication, int64_t now_ns,
                                                       tp_tether_change_func_t on_change, void *clientd);

/* Removes and returns (via *counter_id) the position of that subscription; false when not linked. */
bool tp_ipc_publication_remove_subscriber(tp_ipc_publication_t *publication, int64_t subscription_registration_id,
                                          int32_t *counter_id);

bool tp_ipc_publication_has_subscriber(const tp_ipc_publication_t *publication, int64_t subscription_registration_id);

/*
 * Every duty cycle: pub-pos, publisher limit with window/8 hysteresis, cleaning. Returns work done. Also sets
 * is_flowing when the producer or the slowest subscriber moved since the previous cycle while the producer is
 * more than a quarter window ahead of the slowest subscriber (the agent then parks briefly).
 */
int tp_ipc_publication_update_pub_pos_and_lmt(tp_ipc_publication_t *publication);

/*
 * Every timer tick: detects a consumer position that has not moved for unblock_timeout_ns while data is
 * pending, and unblocks the log. Returns true when it unblocked.
 */
bool tp_ipc_publication_check_for_blocked_publisher(tp_ipc_publication_t *publication, int64_t now_ns,
                                                    int64_t unblock_timeout_ns);

/* refcount reached 0: stop new appends (limit = producer position), publish end of stream, DRAINING. */
void tp_ipc_publication_start_draining(tp_ipc_publication_t *publication, int64_t now_ns);

/* True when every subscriber has consumed up to the producer position. */
bool tp_ipc_publication_is_drained(const tp_ipc_publication_t *publication);

#endif /* TENSORPOOL_TP_IPC_PUBLICATION_H */
