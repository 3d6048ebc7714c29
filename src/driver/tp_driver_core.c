/* Driver core lifecycle, timers (lease expiry, announces, shutdown drain) and the outbound path. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/tp_log_private.h"
#include "common/tp_clock.h"
#include "driver/tp_driver_core_private.h"
#include "driver/tp_epoch_gc.h"
#include "shm/tp_superblock.h"

#define TP_DRIVER_LOG_SUMMARY_NS (UINT64_C(5) * 1000000000)

uint64_t tp_driver_now_ns(const tp_driver_core_t *core)
{
    return NULL != core->ctx.clock ? core->ctx.clock(core->ctx.clock_clientd) : tp_clock_monotonic_ns();
}

uint64_t tp_driver_realtime_ns(const tp_driver_core_t *core)
{
    return NULL != core->ctx.realtime_clock ? core->ctx.realtime_clock(core->ctx.clock_clientd)
                                            : tp_clock_realtime_ns();
}

void tp_driver_log(tp_driver_core_t *core, tp_log_level_t level, const char *format, ...)
{
    if (NULL == core->ctx.log)
    {
        return;
    }
    char text[1536];
    va_list args;
    va_start(args, format);
    (void)vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    /* One line per event: a client-controlled string must not forge extra log lines. */
    tp_log_one_line(text);
    core->ctx.log(core->ctx.log_clientd, level, text);
}

int tp_driver_emit(tp_driver_core_t *core, bool announce_stream, const uint8_t *buffer, size_t length)
{
    if (NULL == core->ctx.sink.offer)
    {
        return 0;
    }
    tp_sink_target_t target;
    target.kind = TP_STREAM_CONTROL;
    target.stream_id = announce_stream ? core->config.announce_stream_id : core->config.control_stream_id;
    target.channel = announce_stream ? core->config.announce_channel : core->config.control_channel;
    target.consumer_id = 0;
    if (core->ctx.sink.offer(core->ctx.sink.clientd, &target, buffer, length) < 0)
    {
        core->counters.sink_refusals++;
        return -1;
    }
    return 0;
}

/* Directories: owner rwx; group r-x when the file mode lets the group read, rwx when it lets it write. Others
 * never get into the tree (a file mode granting "other" bits is still only reachable by owner and group). */
static uint32_t tp_driver_dir_mode(uint32_t file_mode)
{
    uint32_t mode = 0700;
    if (0 != (file_mode & 0060))
    {
        mode |= 0050;
    }
    if (0 != (file_mode & 0020))
    {
        mode |= 0020;
    }
    return mode;
}

/* Wire spec §15.21a.5 containment, applied to our own base dir: it must be one of shm.allowed_base_dirs or below
 * one (compared lexically; the config loader canonicalises). An empty list means "only base_dir" (§17 default). */
static int tp_driver_base_dir_allowed(const tp_driver_config_t *config)
{
    if (0 == config->allowed_base_dir_count)
    {
        return 0;
    }
    for (size_t i = 0; i < config->allowed_base_dir_count && i < TP_DRIVER_MAX_ALLOWED_DIRS; i++)
    {
        const char *allowed = config->allowed_base_dirs[i];
        size_t len = strlen(allowed);
        while (len > 1 && '/' == allowed[len - 1])
        {
            len--;
        }
        if (len > 0 && 0 == strncmp(config->base_dir, allowed, len) &&
            ('\0' == config->base_dir[len] || '/' == config->base_dir[len] || 1 == len))
        {
            return 0;
        }
    }
    TP_SET_ERR(TP_ERR_PATH, "shm.base_dir %s is not inside any of the %zu shm.allowed_base_dirs", config->base_dir,
               config->allowed_base_dir_count);
    return -1;
}

static void tp_driver_core_free(tp_driver_core_t *core)
{
    for (size_t i = 0; i < core->stream_count; i++)
    {
        free(core->streams[i]);
    }
    free(core->streams);
    free(core->leases);
    free(core);
}

int tp_driver_core_start(tp_driver_core_t **out, const tp_driver_core_context_t *ctx)
{
    *out = NULL;
    if (NULL == ctx || NULL == ctx->config)
    {
        TP_SET_ERR(EINVAL, "driver core context or its config is NULL");
        return -1;
    }
    tp_driver_core_t *core = calloc(1, sizeof(*core));
    if (NULL == core)
    {
        TP_SET_ERR(ENOMEM, "no memory for the driver core (%zu bytes)", sizeof(*core));
        return -1;
    }
    core->config = *ctx->config;
    core->ctx = *ctx;
    core->ctx.config = &core->config;
    core->state = TP_DRIVER_RUNNING;
    core->pid = getpid();
    core->next_lease_id = 1;
    core->dir_mode = tp_driver_dir_mode(core->config.permissions_mode);
    if (0 == core->config.permissions_mode || 0 != (core->config.permissions_mode & ~07777U))
    {
        TP_SET_ERR(EINVAL, "shm.permissions_mode 0%o is not a file mode", core->config.permissions_mode);
        tp_driver_core_free(core);
        return -1;
    }
    if (tp_driver_base_dir_allowed(&core->config) < 0)
    {
        tp_driver_core_free(core);
        return -1;
    }
    for (size_t i = 0; i < core->config.stream_count; i++)
    {
        const tp_driver_stream_config_t *sc = &core->config.streams[i];
        if (sc->profile_index >= core->config.profile_count)
        {
            TP_SET_ERR(EINVAL, "streams.%s: profile index %zu out of %zu profiles", sc->name, sc->profile_index,
                       core->config.profile_count);
            tp_driver_core_free(core);
            return -1;
        }
        if (NULL != tp_driver_stream_find(core, sc->stream_id))
        {
            TP_SET_ERR(EINVAL, "streams.%s: stream id %u defined twice", sc->name, sc->stream_id);
            tp_driver_core_free(core);
            return -1;
        }
        tp_driver_stream_t *stream =
            tp_driver_stream_add(core, sc->stream_id, &core->config.profiles[sc->profile_index], false);
        if (NULL == stream)
        {
            TP_APPEND_ERR("static stream streams.%s", sc->name);
            tp_driver_core_free(core);
            return -1;
        }
        if (core->config.epoch_gc_enabled && core->config.epoch_gc_on_startup)
        {
            tp_driver_stream_gc(core, stream);
        }
    }
    tp_driver_log(core, TP_LOG_INFO, "driver %s started: %zu static streams, base %s/%s, pid %d",
                  core->config.instance_id, core->stream_count, core->config.base_dir, core->config.namespace_name,
                  (int)core->pid);
    *out = core;
    return 0;
}

int tp_driver_core_on_message(tp_driver_core_t *core, const uint8_t *buffer, size_t length)
{
    return tp_driver_messages_dispatch(core, buffer, length);
}

static int tp_driver_expire_leases(tp_driver_core_t *core, uint64_t now_ns)
{
    /* Keepalives only move expiries later, so the earliest one seen at the last scan is a safe lower bound. */
    if (now_ns < core->next_expiry_ns)
    {
        return 0;
    }
    int work = 0;
    uint64_t next = UINT64_MAX;
    size_t i = 0;
    while (i < core->lease_count)
    {
        tp_driver_lease_t *lease = &core->leases[i];
        if (now_ns >= lease->expiry_ns)
        {
            core->counters.leases_expired++;
            /* Removes the lease (the last one moves into slot i): re-examine the same index. */
            tp_driver_lease_invalidate(core, lease, TP_DRIVER_REVOKE_EXPIRED, now_ns, 0, false);
            work++;
            continue;
        }
        next = lease->expiry_ns < next ? lease->expiry_ns : next;
        i++;
    }
    core->next_expiry_ns = next;
    return work;
}

static int tp_driver_announce_due(tp_driver_core_t *core, uint64_t now_ns)
{
    int work = 0;
    uint64_t period = (uint64_t)core->config.announce_period_ms * 1000000ULL;
    for (size_t i = 0; i < core->stream_count; i++)
    {
        tp_driver_stream_t *stream = core->streams[i];
        if (!stream->has_regions || now_ns < stream->next_announce_ns)
        {
            continue;
        }
        if (0 == stream->producer_lease_id)
        {
            /* Nobody else keeps the regions' liveness fresh while no producer is attached (driver spec §3). */
            tp_superblock_activity_refresh(stream->header.addr, now_ns);
            for (size_t p = 0; p < stream->profile.pool_count; p++)
            {
                tp_superblock_activity_refresh(stream->pools[p].addr, now_ns);
            }
        }
        (void)tp_driver_send_announce(core, stream, now_ns);
        stream->next_announce_ns = now_ns + period;
        work++;
    }
    return work;
}

/*
 * At most once per interval, from the duty cycle: malformed messages and keepalives for unknown leases as one WARN
 * line (a flood costs one line per interval, never one per message), and the lease traffic at DEBUG. Keepalives
 * themselves are never logged one by one.
 */
static int tp_driver_log_summary(tp_driver_core_t *core, uint64_t now_ns)
{
    if (now_ns < core->next_summary_ns)
    {
        return 0;
    }
    core->next_summary_ns = now_ns + TP_DRIVER_LOG_SUMMARY_NS;
    const tp_driver_counters_t *now = &core->counters;
    const tp_driver_counters_t *was = &core->summarised;
    uint64_t malformed = now->malformed_messages - was->malformed_messages;
    uint64_t unknown_keepalives = now->keepalives_unknown - was->keepalives_unknown;
    uint64_t keepalives = now->keepalives - was->keepalives;
    int lines = 0;
    if (0 != malformed || 0 != unknown_keepalives)
    {
        tp_driver_log(core, TP_LOG_WARN,
                      "messages.ignored malformed=%" PRIu64 " unknown_templates=%" PRIu64 " foreign=%" PRIu64
                      " keepalives_unknown=%" PRIu64,
                      malformed, now->unknown_templates - was->unknown_templates,
                      now->foreign_messages - was->foreign_messages, unknown_keepalives);
        lines++;
    }
    if (0 != keepalives)
    {
        tp_driver_log(core, TP_LOG_DEBUG,
                      "leases active=%zu keepalives=%" PRIu64 " attach_ok=%" PRIu64 " attach_rejected=%" PRIu64
                      " expired=%" PRIu64,
                      core->lease_count, keepalives, now->attach_ok - was->attach_ok,
                      now->attach_rejected - was->attach_rejected, now->leases_expired - was->leases_expired);
        lines++;
    }
    core->summarised = *now;
    return lines;
}

int tp_driver_core_do_work(tp_driver_core_t *core, uint64_t now_ns)
{
    if (TP_DRIVER_TERMINATED == core->state)
    {
        return 0;
    }
    int work = tp_driver_expire_leases(core, now_ns);
    work += tp_driver_announce_due(core, now_ns);
    work += tp_driver_log_summary(core, now_ns);
    if (TP_DRIVER_DRAINING == core->state && now_ns >= core->drain_deadline_ns)
    {
        (void)tp_driver_send_shutdown(core, core->shutdown_reason, core->shutdown_message);
        core->state = TP_DRIVER_TERMINATED;
        tp_driver_log(core, TP_LOG_INFO, "driver %s terminated: ShmDriverShutdown sent (reason %u)",
                      core->config.instance_id, core->shutdown_reason);
        work++;
    }
    return work;
}

void tp_driver_core_begin_shutdown(tp_driver_core_t *core, uint8_t reason, const char *message)
{
    if (NULL == core || TP_DRIVER_RUNNING != core->state)
    {
        return;
    }
    uint64_t now_ns = tp_driver_now_ns(core);
    core->state = TP_DRIVER_DRAINING;
    core->shutdown_reason = reason;
    snprintf(core->shutdown_message, sizeof(core->shutdown_message), "%s", NULL == message ? "" : message);
    core->drain_deadline_ns = now_ns + (uint64_t)core->config.shutdown_timeout_ms * 1000000ULL;
    tp_driver_log(core, TP_LOG_INFO, "driver %s draining: shutdown in %u ms (reason %u)", core->config.instance_id,
                  core->config.shutdown_timeout_ms, reason);
    for (size_t i = 0; i < core->stream_count; i++)
    {
        (void)tp_driver_send_announce(core, core->streams[i], now_ns); /* final announce (§4.13) */
    }
}

tp_driver_state_t tp_driver_core_state(const tp_driver_core_t *core)
{
    return core->state;
}

int tp_driver_core_close(tp_driver_core_t *core)
{
    if (NULL == core)
    {
        return 0;
    }
    for (size_t i = 0; i < core->stream_count; i++)
    {
        tp_driver_stream_release(core, core->streams[i], true);
    }
    tp_driver_log(core, TP_LOG_INFO, "driver %s closed", core->config.instance_id);
    tp_driver_core_free(core);
    return 0;
}

const tp_driver_counters_t *tp_driver_core_counters(const tp_driver_core_t *core)
{
    return &core->counters;
}

size_t tp_driver_core_lease_count(const tp_driver_core_t *core)
{
    return core->lease_count;
}

size_t tp_driver_core_stream_count(const tp_driver_core_t *core)
{
    return core->stream_count;
}

uint64_t tp_driver_core_stream_epoch(const tp_driver_core_t *core, uint32_t stream_id)
{
    for (size_t i = 0; i < core->stream_count; i++)
    {
        if (core->streams[i]->stream_id == stream_id)
        {
            return core->streams[i]->epoch;
        }
    }
    return 0;
}
