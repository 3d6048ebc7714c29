/*
 * The SHM driver agent: the transport-independent driver core (tp_driver_core.c) wired to Aeron. One agent duty
 * cycle runs the Aeron client conductor (invoker), polls the control subscription into the core and runs the
 * core's timers; the core's messages leave through the control and announce publications. Optionally our IPC
 * media driver runs in the same process, on its own thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "common/tp_log_private.h"
#include "driver/tp_driver_private.h"
#include "shm_tensorpool_driver/shutdownReason.h"
#include "client/tp_client_private.h"

#define TP_DRIVER_FRAGMENT_LIMIT    16
#define TP_DRIVER_START_TIMEOUT_NS  (UINT64_C(10) * 1000000000)
#define TP_DRIVER_BACK_PRESSURE_TRY 64
#define TP_DRIVER_MIN_PARK_NS       (UINT64_C(100) * 1000)
#define TP_DRIVER_MAX_PARK_NS       (UINT64_C(1000) * 1000)

static void tp_driver_log(const tp_driver_t *driver, tp_log_level_t level, const char *format, ...)
    TP_PRINTF_LIKE(3, 4);

static void tp_driver_log(const tp_driver_t *driver, tp_log_level_t level, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    if (NULL == driver->ctx.log)
    {
        /* No context callback: the process-wide handler and level of tp_log.h. */
        tp_log_vwrite(level, "driver", format, args);
    }
    else if (level <= driver->ctx.log_level)
    {
        char text[1024];
        vsnprintf(text, sizeof(text), format, args);
        tp_log_one_line(text);
        driver->ctx.log(driver->ctx.log_clientd, level, text);
    }
    va_end(args);
}

static void tp_driver_core_log(void *clientd, tp_log_level_t level, const char *text)
{
    tp_driver_t *driver = clientd;
    if (NULL == driver->ctx.log)
    {
        tp_log_deliver(level, "driver", text);
    }
    else if (level <= driver->ctx.log_level)
    {
        driver->ctx.log(driver->ctx.log_clientd, level, text);
    }
}

static void tp_driver_on_aeron_error(void *clientd, int errcode, const char *message)
{
    tp_driver_log(clientd, TP_LOG_ERROR, "Aeron client error %d: %s", errcode, message);
}

/*
 * Control-plane messages are rare and must not be lost: back pressure is retried a bounded number of times
 * (the agent may stall briefly, frames never wait on it). Nobody subscribed means nobody to lose it: accepted.
 */
static int tp_driver_sink_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    tp_driver_t *driver = clientd;
    const tp_driver_config_t *config = &driver->ctx.config;
    aeron_publication_t *publication = driver->control_publication;
    if (target->stream_id == config->announce_stream_id && NULL != target->channel &&
        0 == strcmp(target->channel, config->announce_channel))
    {
        publication = driver->announce_publication;
    }
    for (int attempt = 0; attempt < TP_DRIVER_BACK_PRESSURE_TRY; attempt++)
    {
        int64_t result = aeron_publication_offer(publication, buffer, length, NULL, NULL);
        if (result > 0)
        {
            return 0;
        }
        if (AERON_PUBLICATION_NOT_CONNECTED == result)
        {
            driver->offers.not_connected++;
            return 0;
        }
        if (AERON_PUBLICATION_BACK_PRESSURED != result && AERON_PUBLICATION_ADMIN_ACTION != result)
        {
            driver->offers.failed++;
            return -1;
        }
        if (attempt > 8)
        {
            sched_yield();
        }
    }
    driver->offers.back_pressured++;
    return -1;
}

static void tp_driver_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_driver_t *driver = clientd;
    tp_driver_core_on_message(driver->core, buffer, length);
    tp_driver_discovery_on_message(driver, buffer, length);
}

/* Wait for an async add, driving the Aeron conductor ourselves (it runs as an invoker in our agent). */
static int tp_driver_await_publication(tp_driver_t *driver, const char *channel, uint32_t stream_id,
                                       aeron_publication_t **publication)
{
    aeron_async_add_publication_t *async = NULL;
    if (aeron_async_add_publication(&async, driver->aeron, channel, (int32_t)stream_id) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "adding publication %s stream %" PRIu32 ": %s", channel, stream_id, aeron_errmsg());
        return -1;
    }
    uint64_t deadline = tp_clock_monotonic_ns() + TP_DRIVER_START_TIMEOUT_NS;
    for (;;)
    {
        aeron_main_do_work(driver->aeron);
        int rc = aeron_async_add_publication_poll(publication, async);
        if (rc > 0)
        {
            return 0;
        }
        if (rc < 0)
        {
            TP_SET_ERR(TP_ERR_AERON, "publication %s stream %" PRIu32 " refused: %s", channel, stream_id,
                       aeron_errmsg());
            return -1;
        }
        if (tp_clock_monotonic_ns() > deadline)
        {
            TP_SET_ERR(TP_ERR_TIMEOUT, "publication %s stream %" PRIu32 " not ready after 10 s", channel, stream_id);
            return -1;
        }
        tp_idle_strategy_idle(&driver->idle, 0);
    }
}

int tp_driver_await_subscription(tp_driver_t *driver, const char *channel, uint32_t stream_id,
                                 aeron_subscription_t **subscription)
{
    aeron_async_add_subscription_t *async = NULL;
    char untethered[TP_CHANNEL_MAX];
    if (tp_aeron_channel_untethered(channel, untethered, sizeof(untethered)) < 0)
    {
        return -1;
    }
    if (aeron_async_add_subscription(&async, driver->aeron, untethered, (int32_t)stream_id, NULL, NULL, NULL, NULL) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "adding subscription %s stream %" PRIu32 ": %s", channel, stream_id, aeron_errmsg());
        return -1;
    }
    uint64_t deadline = tp_clock_monotonic_ns() + TP_DRIVER_START_TIMEOUT_NS;
    for (;;)
    {
        aeron_main_do_work(driver->aeron);
        int rc = aeron_async_add_subscription_poll(subscription, async);
        if (rc > 0)
        {
            return 0;
        }
        if (rc < 0)
        {
            TP_SET_ERR(TP_ERR_AERON, "subscription %s stream %" PRIu32 " refused: %s", channel, stream_id,
                       aeron_errmsg());
            return -1;
        }
        if (tp_clock_monotonic_ns() > deadline)
        {
            TP_SET_ERR(TP_ERR_TIMEOUT, "subscription %s stream %" PRIu32 " not ready after 10 s", channel, stream_id);
            return -1;
        }
        tp_idle_strategy_idle(&driver->idle, 0);
    }
}

/*
 * An IPC publication is shared per stream: when a client added the stream first with other parameters (e.g. no
 * term-length), asking for ours fails; the stream as it exists then serves us, with a warning.
 */
static int tp_driver_add_publication(tp_driver_t *driver, const char *channel, uint32_t stream_id,
                                     aeron_publication_t **publication)
{
    if (0 == tp_driver_await_publication(driver, channel, stream_id, publication))
    {
        return 0;
    }
    if (0 != strncmp(channel, "aeron:ipc?", 10))
    {
        return -1;
    }
    tp_driver_log(driver, TP_LOG_WARN, "%s; using the existing aeron:ipc stream %" PRIu32 " as it is", tp_errmsg(),
                  stream_id);
    return tp_driver_await_publication(driver, "aeron:ipc", stream_id, publication);
}

static int tp_driver_start_mediadriver(tp_driver_t *driver)
{
    tp_mediadriver_context_t *md_ctx = NULL;
    if (tp_mediadriver_context_init(&md_ctx) < 0)
    {
        TP_APPEND_ERR("embedded media driver");
        return -1;
    }
    int rc = 0;
    if ('\0' != driver->ctx.config.aeron_dir[0])
    {
        rc = tp_mediadriver_context_set_dir(md_ctx, driver->ctx.config.aeron_dir);
    }
    if (0 == rc)
    {
        rc = tp_mediadriver_context_set_dir_delete_on_shutdown(md_ctx, true);
    }
    if (0 == rc)
    {
        rc = tp_mediadriver_start(&driver->mediadriver, md_ctx);
    }
    if (0 == rc && '\0' == driver->ctx.config.aeron_dir[0])
    {
        snprintf(driver->ctx.config.aeron_dir, sizeof(driver->ctx.config.aeron_dir), "%s",
                 tp_mediadriver_dir(driver->mediadriver));
    }
    tp_mediadriver_context_close(md_ctx);
    if (0 != rc)
    {
        TP_APPEND_ERR("starting the embedded media driver");
        return -1;
    }
    tp_driver_log(driver, TP_LOG_INFO, "embedded media driver serving %s", driver->ctx.config.aeron_dir);
    return 0;
}

static int tp_driver_connect(tp_driver_t *driver)
{
    tp_driver_config_t *config = &driver->ctx.config;
    if (aeron_context_init(&driver->aeron_ctx) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "aeron_context_init failed: %s", aeron_errmsg());
        return -1;
    }
    if (('\0' != config->aeron_dir[0] && aeron_context_set_dir(driver->aeron_ctx, config->aeron_dir) < 0) ||
        aeron_context_set_error_handler(driver->aeron_ctx, tp_driver_on_aeron_error, driver) < 0 ||
        aeron_context_set_use_conductor_agent_invoker(driver->aeron_ctx, true) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "configuring the Aeron context failed: %s", aeron_errmsg());
        return -1;
    }
    if ('\0' == config->aeron_dir[0])
    {
        snprintf(config->aeron_dir, sizeof(config->aeron_dir), "%s", aeron_context_get_dir(driver->aeron_ctx));
    }
    if (aeron_init(&driver->aeron, driver->aeron_ctx) < 0 || aeron_start(driver->aeron) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "could not connect to the media driver in %s: %s", config->aeron_dir, aeron_errmsg());
        return -1;
    }
    if (aeron_fragment_assembler_create(&driver->assembler, tp_driver_on_fragment, driver) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "creating the control fragment assembler: %s", aeron_errmsg());
        return -1;
    }
    if (tp_driver_await_subscription(driver, config->control_channel, config->control_stream_id,
                                     &driver->control_subscription) < 0 ||
        tp_driver_add_publication(driver, config->control_channel, config->control_stream_id,
                                  &driver->control_publication) < 0)
    {
        TP_APPEND_ERR("driver control stream");
        return -1;
    }
    driver->announce_publication = driver->control_publication;
    if (config->announce_stream_id != config->control_stream_id ||
        0 != strcmp(config->announce_channel, config->control_channel))
    {
        if (tp_driver_add_publication(driver, config->announce_channel, config->announce_stream_id,
                                      &driver->announce_publication) < 0)
        {
            driver->announce_publication = NULL;
            TP_APPEND_ERR("driver announce stream");
            return -1;
        }
    }
    return 0;
}

int tp_driver_do_work(tp_driver_t *driver)
{
    if (aeron_is_closed(driver->aeron))
    {
        atomic_store_explicit(&driver->failed, true, memory_order_release);
        if (!atomic_exchange_explicit(&driver->terminated, true, memory_order_acq_rel))
        {
            tp_driver_log(driver, TP_LOG_ERROR, "the Aeron client closed (media driver in %s gone)",
                          driver->ctx.config.aeron_dir);
        }
        return -1;
    }
    int work = aeron_main_do_work(driver->aeron);
    work = work < 0 ? 0 : work;
    if (!driver->shutdown_begun && atomic_load_explicit(&driver->shutdown_requested, memory_order_acquire))
    {
        driver->shutdown_begun = true;
        tp_driver_core_begin_shutdown(driver->core, shm_tensorpool_driver_shutdownReason_NORMAL, "driver stopping");
        work++;
    }
    int polled = aeron_subscription_poll(driver->control_subscription, aeron_fragment_assembler_handler,
                                         driver->assembler, TP_DRIVER_FRAGMENT_LIMIT);
    work += polled > 0 ? polled : 0;
    uint64_t now_ns = tp_clock_monotonic_ns();
    work += tp_driver_core_do_work(driver->core, now_ns);
    work += tp_driver_discovery_do_work(driver, now_ns);
    if (TP_DRIVER_TERMINATED == tp_driver_core_state(driver->core))
    {
        atomic_store_explicit(&driver->terminated, true, memory_order_release);
    }
    return work;
}

static void *tp_driver_agent_run(void *arg)
{
    tp_driver_t *driver = arg;
    while (atomic_load_explicit(&driver->running, memory_order_acquire))
    {
        int work = tp_driver_do_work(driver);
        if (work < 0)
        {
            break;
        }
        tp_idle_strategy_idle(&driver->idle, work);
    }
    return NULL;
}

int tp_driver_start(tp_driver_t **out, tp_driver_context_t *ctx)
{
    if (NULL == out || NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_driver_start: %s is NULL", NULL == out ? "driver" : "ctx");
        return -1;
    }
    *out = NULL;
    if (!ctx->loaded || 0 != tp_driver_config_validate(&ctx->config))
    {
        if (!ctx->loaded)
        {
            TP_SET_ERR(TP_ERR_STATE, "the driver context has no configuration: call tp_driver_context_load_config()");
        }
        TP_APPEND_ERR("tp_driver_start");
        return -1;
    }
    tp_driver_t *driver = calloc(1, sizeof(*driver));
    if (NULL == driver)
    {
        TP_SET_ERR_ERRNO("could not allocate a driver of %zu bytes", sizeof(*driver));
        return -1;
    }
    driver->ctx = *ctx;
    tp_idle_kind_t kind = TP_IDLE_BACKOFF;
    if ('\0' != driver->ctx.config.idle_strategy[0] &&
        0 != tp_idle_strategy_parse(driver->ctx.config.idle_strategy, &kind))
    {
        TP_APPEND_ERR("driver.idle_strategy");
        free(driver);
        return -1;
    }
    tp_idle_strategy_init(&driver->idle, kind);
    /* The control plane needs no microsecond wake-ups: parking from 100 us keeps 1,000 keepalives/s cheap. */
    tp_idle_strategy_set_park_ns(&driver->idle, TP_DRIVER_MIN_PARK_NS, TP_DRIVER_MAX_PARK_NS);
    atomic_init(&driver->running, true);
    atomic_init(&driver->shutdown_requested, false);
    atomic_init(&driver->terminated, false);
    atomic_init(&driver->failed, false);

    for (size_t i = 0; i < driver->ctx.config.warning_count; i++)
    {
        tp_driver_log(driver, TP_LOG_WARN, "config: %s", driver->ctx.config.warnings[i]);
    }
    if (driver->ctx.config.embedded_media_driver && tp_driver_start_mediadriver(driver) < 0)
    {
        goto fail;
    }
    if (tp_driver_connect(driver) < 0)
    {
        goto fail;
    }

    tp_driver_core_context_t core_ctx;
    memset(&core_ctx, 0, sizeof(core_ctx));
    core_ctx.config = &driver->ctx.config;
    core_ctx.sink.offer = tp_driver_sink_offer;
    core_ctx.sink.clientd = driver;
    core_ctx.log = tp_driver_core_log;
    core_ctx.log_clientd = driver;
    if (tp_driver_core_start(&driver->core, &core_ctx) < 0)
    {
        TP_APPEND_ERR("driver %s", driver->ctx.config.instance_id);
        goto fail;
    }
    if (tp_driver_discovery_start(driver) < 0)
    {
        TP_APPEND_ERR("driver %s", driver->ctx.config.instance_id);
        goto fail;
    }
    if (driver->ctx.config.discovery_enabled)
    {
        tp_driver_log(driver, TP_LOG_INFO,
                      "discovery provider on %s stream %" PRIu32 ", metadata stream %" PRIu32 ", at most %" PRIu32
                      " results per response",
                      driver->ctx.config.discovery_channel, driver->ctx.config.discovery_stream_id,
                      driver->ctx.config.discovery_metadata_stream_id, driver->discovery.max_results);
    }
    tp_driver_log(driver, TP_LOG_INFO,
                  "driver %s: control %s stream %" PRIu32 ", announce %s stream %" PRIu32 ", shm %s, Aeron dir %s",
                  driver->ctx.config.instance_id, driver->ctx.config.control_channel,
                  driver->ctx.config.control_stream_id, driver->ctx.config.announce_channel,
                  driver->ctx.config.announce_stream_id, driver->ctx.config.base_dir, driver->ctx.config.aeron_dir);

    if (TP_DRIVER_THREADING_DEDICATED == driver->ctx.mode)
    {
        int err = pthread_create(&driver->thread, NULL, tp_driver_agent_run, driver);
        if (0 != err)
        {
            TP_SET_ERR(err, "could not start the driver agent thread: %s", strerror(err));
            goto fail;
        }
        driver->thread_started = true;
    }
    *out = driver;
    return 0;

fail:
    tp_driver_close(driver);
    return -1;
}

void tp_driver_shutdown(tp_driver_t *driver)
{
    if (NULL != driver)
    {
        atomic_store_explicit(&driver->shutdown_requested, true, memory_order_release);
    }
}

bool tp_driver_is_terminated(const tp_driver_t *driver)
{
    return atomic_load_explicit(&((tp_driver_t *)driver)->terminated, memory_order_acquire);
}

bool tp_driver_is_failed(const tp_driver_t *driver)
{
    return atomic_load_explicit(&((tp_driver_t *)driver)->failed, memory_order_acquire);
}

int tp_driver_close(tp_driver_t *driver)
{
    if (NULL == driver)
    {
        return 0;
    }
    if (driver->thread_started)
    {
        atomic_store_explicit(&driver->running, false, memory_order_release);
        pthread_join(driver->thread, NULL);
    }
    tp_driver_core_close(driver->core);
    tp_driver_discovery_close(driver);
    if (NULL != driver->announce_publication && driver->announce_publication != driver->control_publication)
    {
        aeron_publication_close(driver->announce_publication, NULL, NULL);
    }
    if (NULL != driver->control_publication)
    {
        aeron_publication_close(driver->control_publication, NULL, NULL);
    }
    if (NULL != driver->control_subscription)
    {
        aeron_subscription_close(driver->control_subscription, NULL, NULL);
    }
    if (NULL != driver->aeron)
    {
        aeron_close(driver->aeron);
    }
    if (NULL != driver->aeron_ctx)
    {
        aeron_context_close(driver->aeron_ctx);
    }
    if (NULL != driver->assembler)
    {
        aeron_fragment_assembler_delete(driver->assembler);
    }
    if (NULL != driver->mediadriver)
    {
        tp_mediadriver_close(driver->mediadriver);
    }
    free(driver);
    return 0;
}
