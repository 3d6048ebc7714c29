/*
 * A hand-written Aeron client for driver tests: maps the CnC, writes commands into the to-driver ring with
 * tp_mpsc_rb and collects every broadcast response with tp_broadcast, so tests can check bytes and order.
 * With an invoker-mode driver it runs the driver's duty cycle while it waits.
 */
#ifndef TP_MD_TEST_CLIENT_H
#define TP_MD_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeron/protocol/tp_broadcast.h"
#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_counters.h"
#include "aeron/protocol/tp_mpsc_rb.h"
#include "tensorpool/tp_mediadriver.h"

#define MD_MAX_RESPONSES 512
#define MD_MAX_ALIVE     16

typedef struct md_response_stct
{
    int32_t type;
    size_t length;
    uint8_t data[1024];
} md_response_t;

typedef struct md_client_stct
{
    uint8_t *cnc;
    size_t cnc_length;
    tp_cnc_metadata_t *metadata;
    tp_mpsc_rb_t to_driver;
    tp_broadcast_receiver_t to_clients;
    tp_counters_reader_t counters;
    tp_mediadriver_t *invoker; /* driver to run while waiting, or NULL */
    md_response_t *responses;
    size_t response_count;
    int64_t alive[MD_MAX_ALIVE]; /* client ids whose heartbeat this helper keeps fresh */
    size_t alive_count;
} md_client_t;

/* A fresh directory name under /dev/shm unique to this process and call. */
void md_unique_dir(char *dst, size_t length, const char *tag);

/* Context with short timeouts for tests: liveness 3 s (long enough that a test process descheduled on a loaded
 * 2-core machine is not reaped), timer 100 ms, unblock 5 s, 64 KiB terms. */
tp_mediadriver_context_t *md_test_context(const char *dir, bool invoker);

int md_client_open(md_client_t *client, const char *dir, tp_mediadriver_t *invoker);
void md_client_close(md_client_t *client);

int64_t md_next_id(md_client_t *client);
void md_keep_alive(md_client_t *client, int64_t client_id);
void md_stop_keep_alive(md_client_t *client, int64_t client_id);

/* Writes a command record as given, so tests can send malformed ones. */
void md_write(md_client_t *client, int32_t type, const void *msg, size_t length);
void md_send_add_publication(md_client_t *client, int64_t client_id, int64_t correlation_id, int32_t stream_id,
                             const char *channel, bool exclusive);
void md_send_add_subscription(md_client_t *client, int64_t client_id, int64_t correlation_id, int32_t stream_id,
                              const char *channel);
void md_send_remove(md_client_t *client, int32_t type, int64_t client_id, int64_t correlation_id,
                    int64_t registration_id);
void md_send_simple(md_client_t *client, int32_t type, int64_t client_id, int64_t correlation_id);

/* Receives (and runs the invoker) for about `ms` milliseconds. */
void md_poll(md_client_t *client, int ms);

/* Waits up to timeout_ms for a response of `type` whose first i64 equals id; returns its index or -1. */
int md_await(md_client_t *client, int32_t type, int64_t id, int timeout_ms);
/* Index of the first response of `type` with first i64 == id (from `from`), or -1. */
int md_find(const md_client_t *client, int32_t type, int64_t id, size_t from);

/* Counter helpers. */
int32_t md_counter_state(const md_client_t *client, int32_t id);
int32_t md_counter_type(const md_client_t *client, int32_t id);
int64_t md_counter_value(const md_client_t *client, int32_t id);
int64_t *md_counter_addr(const md_client_t *client, int32_t id);
void md_counter_label(const md_client_t *client, int32_t id, char *dst, size_t length);
int64_t md_to_driver_heartbeat(const md_client_t *client);

/* Maps a log buffer file read-write; returns NULL on failure. */
uint8_t *md_map_file(const char *path, size_t *length);

bool md_file_exists(const char *path);

/* Polls (running the invoker) until path no longer exists; false on timeout. */
bool md_await_file_gone(md_client_t *client, const char *path, int timeout_ms);

#endif /* TP_MD_TEST_CLIENT_H */
