/* Private layout of the media driver context (public handle in tensorpool/tp_mediadriver.h). */
#ifndef TENSORPOOL_TP_MEDIADRIVER_CONTEXT_H
#define TENSORPOOL_TP_MEDIADRIVER_CONTEXT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool/tp_mediadriver.h"

#define TP_MEDIADRIVER_DIR_MAX_LENGTH       1024
#define TP_MEDIADRIVER_IDLE_NAME_MAX_LENGTH 32

struct tp_mediadriver_context_stct
{
    char dir[TP_MEDIADRIVER_DIR_MAX_LENGTH];
    bool dir_delete_on_start;
    bool dir_delete_on_shutdown;
    size_t to_driver_buffer_length;  /* capacity, without the 768-byte trailer */
    size_t to_clients_buffer_length; /* capacity, without the 128-byte trailer */
    size_t counters_values_buffer_length;
    size_t error_buffer_length;
    size_t loss_report_buffer_length;
    size_t ipc_term_buffer_length;
    size_t ipc_mtu_length;
    size_t ipc_publication_term_window_length;
    size_t file_page_size;
    bool term_buffer_sparse_file;
    bool tether_subscriptions;
    uint64_t client_liveness_timeout_ns;
    uint64_t publication_unblock_timeout_ns;
    uint64_t publication_linger_timeout_ns;
    uint64_t untethered_window_limit_timeout_ns;
    uint64_t untethered_resting_timeout_ns;
    uint64_t timer_interval_ns;
    uint64_t counter_free_to_reuse_timeout_ns;
    uint64_t driver_timeout_ms;
    int32_t publication_reserved_session_id_low;
    int32_t publication_reserved_session_id_high;
    tp_mediadriver_threading_mode_t threading_mode;
    char idle_strategy[TP_MEDIADRIVER_IDLE_NAME_MAX_LENGTH];
};

/* Checks the combination of settings before start (e.g. unblock > liveness > timer). Returns 0 / -1. */
int tp_mediadriver_context_validate(const tp_mediadriver_context_t *context);

/* Default directory: /dev/shm/aeron-<user> ($USER, else the password database). */
int tp_mediadriver_default_dir(char *dst, size_t dst_length);

#endif /* TENSORPOOL_TP_MEDIADRIVER_CONTEXT_H */
