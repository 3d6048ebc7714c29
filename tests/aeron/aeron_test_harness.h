/*
 * System-test harness for the Aeron client: runs a media driver as a child process with its own directory under
 * /dev/shm, forks client processes, and waits for them with deadlines so a hang fails instead of stalling.
 * Uses aeronc.h only, so the tests run against tensorpool's client or the official one.
 */
#ifndef TENSORPOOL_AERON_TEST_HARNESS_H
#define TENSORPOOL_AERON_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aeronc.h"

typedef struct tp_test_driver_stct
{
    pid_t pid;
    char dir[256];
} tp_test_driver_t;

/*
 * Starts the driver (tp_mediadriver, or $TP_TEST_AERON_DRIVER) with AERON_DIR = a fresh directory, the given
 * client liveness timeout and any extra NAME=VALUE settings (NULL-terminated, may be NULL), and waits until
 * its CnC is live. Returns 0 / -1.
 */
int tp_test_driver_start(tp_test_driver_t *driver, const char *liveness_timeout, const char *const *extra_env);
/* SIGTERM, wait, then SIGKILL if needed; removes the directory. */
void tp_test_driver_stop(tp_test_driver_t *driver);
/* SIGKILL without cleanup of the directory (the caller stops it later to remove the directory). */
void tp_test_driver_kill(tp_test_driver_t *driver);

/* A client on the driver's directory; conductor thread unless invoker is set. Returns NULL on failure. */
aeron_t *tp_test_client_connect(const char *dir, uint64_t driver_timeout_ms, bool invoker, aeron_context_t **ctx);
void tp_test_client_close(aeron_t *aeron, aeron_context_t *ctx);

aeron_publication_t *tp_test_add_publication(aeron_t *aeron, const char *channel, int32_t stream_id);
aeron_exclusive_publication_t *tp_test_add_exclusive_publication(aeron_t *aeron, const char *channel,
                                                                 int32_t stream_id);
aeron_subscription_t *tp_test_add_subscription(aeron_t *aeron, const char *channel, int32_t stream_id,
                                               aeron_on_available_image_t on_available,
                                               aeron_on_unavailable_image_t on_unavailable, void *clientd);

/* Polls until the subscription has `count` images or the deadline passes. Returns true on success. */
bool tp_test_await_images(aeron_t *aeron, aeron_subscription_t *subscription, int count, int64_t timeout_ms);

/* Runs fn(arg) in a forked child that exits with its return value. */
pid_t tp_test_spawn(int (*fn)(void *), void *arg);
/* Exit status of the child, or -1 (after SIGKILL) when it did not finish within timeout_ms. */
int tp_test_wait(pid_t pid, int64_t timeout_ms);

/* Deterministic test payloads: message i has size tp_test_message_size(i) and verifiable content. */
size_t tp_test_message_size(uint64_t i, size_t large_every, size_t large_size);
void tp_test_message_fill(uint8_t *buffer, size_t length, uint64_t i);
bool tp_test_message_check(const uint8_t *buffer, size_t length, uint64_t i);

int64_t tp_test_now_ms(void);
void tp_test_sleep_ms(int64_t ms);

#endif /* TENSORPOOL_AERON_TEST_HARNESS_H */
