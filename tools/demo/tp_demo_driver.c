/*
 * tp_demo --driver: the SHM driver in its own process, configured for the demo's one stream (a profile sized to
 * the frame, the demo's slot count, base dir and channel). It runs until the parent says stop, then shuts down
 * gracefully so the clients see ShmDriverShutdown.
 */
#include <inttypes.h>
#include <stdio.h>

#include "common/tp_atomic.h"
#include "tensorpool/tp_driver.h"
#include "tp_app_options.h"
#include "tp_demo.h"

static void demo_driver_log(void *clientd, tp_log_level_t level, const char *text)
{
    (void)clientd;
    fprintf(stderr, "tp_driver: [%s] %s\n", TP_LOG_ERROR == level ? "error" : "warn", text);
}

int tp_demo_driver_run(const tp_demo_options_t *options, tp_demo_shared_t *shared)
{
    char toml[4096];
    int n = snprintf(toml, sizeof(toml),
                     "[driver]\n"
                     "instance_id = \"tp-demo\"\n"
                     "aeron_dir = \"%s\"\n"
                     "control_channel = \"%s\"\n"
                     "qos_channel = \"%s\"\n"
                     "[shm]\n"
                     "base_dir = \"%s\"\n"
                     "[policies]\n"
                     "shutdown_timeout_ms = 200\n"
                     "[profiles.demo]\n"
                     "header_nslots = %" PRIu32 "\n"
                     "payload_pools = [ { pool_id = 1, stride_bytes = %" PRIu64 " } ]\n"
                     "[streams.demo]\n"
                     "stream_id = %" PRIu32 "\n"
                     "profile = \"demo\"\n",
                     options->aeron_dir, options->channel, options->channel, options->shm_dir, options->slots,
                     tp_app_next_pow2(options->frame_bytes, 4096), options->stream_id);
    if (n < 0 || (size_t)n >= sizeof(toml))
    {
        fprintf(stderr, "tp_demo: driver configuration does not fit\n");
        return 1;
    }
    tp_driver_context_t *ctx = NULL;
    tp_driver_t *driver = NULL;
    if (tp_driver_context_init(&ctx) < 0 || tp_driver_context_set_log(ctx, demo_driver_log, NULL, TP_LOG_WARN) < 0 ||
        tp_driver_context_load_config_string(ctx, toml, "tp_demo driver") < 0 || tp_driver_start(&driver, ctx) < 0)
    {
        fprintf(stderr, "tp_demo: SHM driver: %s\n", tp_errmsg());
        tp_driver_context_close(ctx);
        return 1;
    }
    tp_driver_context_close(ctx);
    tp_store_release_i32(&shared->driver_ready, 1);
    while (0 == tp_load_acquire_i32(&shared->stop_driver) && !tp_driver_is_terminated(driver))
    {
        tp_demo_sleep_ns(10 * 1000 * 1000);
    }
    tp_driver_shutdown(driver);
    for (int i = 0; i < 200 && !tp_driver_is_terminated(driver); i++)
    {
        tp_demo_sleep_ns(10 * 1000 * 1000);
    }
    int status = tp_driver_is_failed(driver) ? 1 : 0;
    tp_driver_close(driver);
    return status;
}
