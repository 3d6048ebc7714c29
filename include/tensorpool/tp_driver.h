/*
 * The SHM driver (driver model spec v1.0): one per host, it owns every region file, hands out leases, bumps
 * epochs and is the only emitter of ShmPoolAnnounce. Producers and consumers in driver mode attach to it over
 * the control stream (tp_context_set_shm_driver()).
 *
 * Embedding, Aeron style (the tp_driver program is exactly this plus signal handling):
 *
 *     tp_driver_context_t *ctx;
 *     tp_driver_context_init(&ctx);                         // the spec's defaults (§17), no profile yet
 *     tp_driver_context_load_config(ctx, "driver.toml");    // TOML file, then environment overrides, validated
 *     tp_driver_t *driver;
 *     tp_driver_start(&driver, ctx);                        // own agent thread by default
 *     tp_driver_context_close(ctx);                         // the driver keeps its own copy
 *     ... wait for a signal ...
 *     tp_driver_shutdown(driver);                           // graceful: drain, final announce, ShmDriverShutdown
 *     while (!tp_driver_is_terminated(driver)) { sleep }
 *     tp_driver_close(driver);
 *
 * In invoker mode no thread is started: the application calls tp_driver_do_work() from its own loop.
 * Setup calls return 0 / -1 and leave the reason in tp_errmsg().
 */
#ifndef TENSORPOOL_TP_DRIVER_H
#define TENSORPOOL_TP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tensorpool/tp_client.h"
#include "tensorpool/tp_error.h"

#ifdef __cplusplus
extern "C"
{
#endif

typedef struct tp_driver_context_stct tp_driver_context_t;
typedef struct tp_driver_stct tp_driver_t;

typedef enum tp_driver_threading_mode_en
{
    TP_DRIVER_THREADING_DEDICATED = 0, /* the driver agent runs on its own thread */
    TP_DRIVER_THREADING_INVOKER = 1,   /* the application calls tp_driver_do_work() */
} tp_driver_threading_mode_t;

/* Defaults of the driver model spec §17; a configuration needs at least one profile before start. */
int tp_driver_context_init(tp_driver_context_t **ctx);
int tp_driver_context_close(tp_driver_context_t *ctx);

/* Load a TOML file (NULL: defaults only), apply the environment overrides (env wins), validate. Replaces the
 * whole configuration. Unknown keys are reported through the log callback as warnings. */
int tp_driver_context_load_config(tp_driver_context_t *ctx, const char *path);
/* The same from TOML text (name labels error messages). */
int tp_driver_context_load_config_string(tp_driver_context_t *ctx, const char *toml, const char *name);
/* The effective configuration as TOML (what `tp_driver --print-config` prints). */
void tp_driver_context_print_config(const tp_driver_context_t *ctx, FILE *out);

/* Overrides applied after loading (command-line flags of the program). */
int tp_driver_context_set_aeron_dir(tp_driver_context_t *ctx, const char *dir);
const char *tp_driver_context_get_aeron_dir(const tp_driver_context_t *ctx);
/* Run our IPC media driver inside this process, in the Aeron dir (driver.embedded_media_driver). */
int tp_driver_context_set_embedded_media_driver(tp_driver_context_t *ctx, bool enabled);
int tp_driver_context_set_threading_mode(tp_driver_context_t *ctx, tp_driver_threading_mode_t mode);
/* "spin", "noop", "yield", "sleep" or "backoff" (default, driver.idle_strategy). */
int tp_driver_context_set_idle_strategy(tp_driver_context_t *ctx, const char *name);
/* Log callback (the client's tp_log_fn) and the most verbose level delivered (default: none). Called from the
 * agent thread. */
int tp_driver_context_set_log(tp_driver_context_t *ctx, tp_log_fn log, void *clientd, tp_log_level_t max_level);

/* Connect to (or start) the media driver, open the control-plane streams, start the agent. 0 / -1. */
int tp_driver_start(tp_driver_t **driver, tp_driver_context_t *ctx);

/* Invoker mode: one duty cycle. Returns the work count, or -1 when the Aeron client has closed. */
int tp_driver_do_work(tp_driver_t *driver);

/* Begin a graceful shutdown (§4.13): no new leases, a final announce, ShmDriverShutdown after
 * policies.shutdown_timeout_ms. Safe from any thread and from a signal handler. */
void tp_driver_shutdown(tp_driver_t *driver);

/* True once ShmDriverShutdown was sent (after tp_driver_shutdown() or an accepted ShmDriverShutdownRequest),
 * or the Aeron client closed. */
bool tp_driver_is_terminated(const tp_driver_t *driver);

/* True when the driver stopped because its Aeron client closed (media driver gone), not by a shutdown. */
bool tp_driver_is_failed(const tp_driver_t *driver);

/* Stop the agent, close the streams, remove the region files, stop an embedded media driver. Safe with NULL. */
int tp_driver_close(tp_driver_t *driver);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_DRIVER_H */
