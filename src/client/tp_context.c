/* tp_context_t: the settings a client and its producers and consumers share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/tp_client_private.h"

static int tp_context_copy_string(char *dst, size_t capacity, const char *value, const char *what)
{
    if (NULL == value)
    {
        TP_SET_ERR(EINVAL, "%s is NULL", what);
        return -1;
    }
    size_t len = strlen(value);
    if (len >= capacity)
    {
        TP_SET_ERR(EINVAL, "%s is %zu bytes long, the limit is %zu: %s", what, len, capacity - 1, value);
        return -1;
    }
    memcpy(dst, value, len + 1);
    return 0;
}

static int tp_context_check_absolute(const char *dir, const char *what)
{
    if (NULL == dir || '/' != dir[0])
    {
        TP_SET_ERR(TP_ERR_PATH, "%s must be an absolute path, got \"%s\"", what, NULL == dir ? "(null)" : dir);
        return -1;
    }
    return 0;
}

int tp_context_init(tp_context_t **ctx)
{
    if (NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_context_init: ctx is NULL");
        return -1;
    }
    tp_context_t *c = calloc(1, sizeof(*c));
    if (NULL == c)
    {
        TP_SET_ERR_ERRNO("could not allocate a context of %zu bytes", sizeof(*c));
        return -1;
    }
    const char *env_dir = getenv(AERON_DIR_ENV_VAR);
    if (NULL != env_dir && '\0' != env_dir[0] && strlen(env_dir) < sizeof(c->aeron_dir))
    {
        snprintf(c->aeron_dir, sizeof(c->aeron_dir), "%s", env_dir);
    }
    else if (aeron_default_path(c->aeron_dir, sizeof(c->aeron_dir)) < 0)
    {
        snprintf(c->aeron_dir, sizeof(c->aeron_dir), "/dev/shm/aeron");
    }
    c->driver_timeout_ms = 10000;
    snprintf(c->shm_base_dir, sizeof(c->shm_base_dir), "%s", TP_DEFAULT_SHM_BASE_DIR);
    snprintf(c->allowed_dirs[0], sizeof(c->allowed_dirs[0]), "%s", TP_DEFAULT_SHM_BASE_DIR);
    c->allowed_dir_count = 1;
    snprintf(c->channel, sizeof(c->channel), "%s", TP_DEFAULT_CHANNEL);
    c->control_stream_id = TP_DEFAULT_CONTROL_STREAM_ID;
    c->descriptor_stream_id = TP_DEFAULT_DESCRIPTOR_STREAM_ID;
    c->qos_stream_id = TP_DEFAULT_QOS_STREAM_ID;
    c->metadata_stream_id = TP_DEFAULT_METADATA_STREAM_ID;
    c->consumer_descriptor_stream_min = TP_DEFAULT_CONSUMER_DESCRIPTOR_STREAM_MIN;
    c->consumer_descriptor_stream_max = TP_DEFAULT_CONSUMER_DESCRIPTOR_STREAM_MAX;
    c->consumer_control_stream_min = TP_DEFAULT_CONSUMER_CONTROL_STREAM_MIN;
    c->consumer_control_stream_max = TP_DEFAULT_CONSUMER_CONTROL_STREAM_MAX;
    c->tether = false;
    c->untethered_window_limit_timeout_ns = TP_DEFAULT_UNTETHERED_WINDOW_LIMIT_TIMEOUT_NS;
    c->untethered_resting_timeout_ns = TP_DEFAULT_UNTETHERED_RESTING_TIMEOUT_NS;
    c->announce_interval_ns = UINT64_C(1000000000);
    c->qos_interval_ns = UINT64_C(1000000000);
    c->meta_interval_ns = UINT64_C(1000000000);
    c->hello_interval_ns = UINT64_C(1000000000);
    c->consumer_stale_factor = 4;
    c->freshness_window_ns = UINT64_C(3000000000);
    c->log_level = TP_LOG_INFO;
    c->descriptor_term_length = TP_DEFAULT_DESCRIPTOR_TERM_LENGTH;
    c->control_term_length = TP_DEFAULT_CONTROL_TERM_LENGTH;
    /* Pre-touch on unless the user said otherwise through the Aeron client's own variable. */
    const char *touch = getenv(AERON_CLIENT_PRE_TOUCH_MAPPED_MEMORY_ENV_VAR);
    c->pre_touch = NULL == touch || '\0' == touch[0] || 0 == strcasecmp(touch, "true") || 0 == strcmp(touch, "1");
    c->mode = TP_CLIENT_MODE_INVOKER;
    c->idle_kind = TP_IDLE_BACKOFF;
    c->start_timeout_ms = 10000;
    c->shm_driver = false;
    c->driver_attach_timeout_ns = UINT64_C(2000000000);
    c->driver_keepalive_interval_ns = UINT64_C(1000000000);
    *ctx = c;
    return 0;
}

int tp_context_close(tp_context_t *ctx)
{
    free(ctx);
    return 0;
}

int tp_context_set_aeron_dir(tp_context_t *ctx, const char *dir)
{
    return tp_context_copy_string(ctx->aeron_dir, sizeof(ctx->aeron_dir), dir, "Aeron dir");
}

const char *tp_context_get_aeron_dir(const tp_context_t *ctx)
{
    return ctx->aeron_dir;
}

int tp_context_set_driver_timeout_ms(tp_context_t *ctx, uint64_t timeout_ms)
{
    if (0 == timeout_ms)
    {
        TP_SET_ERR(EINVAL, "driver timeout must be > 0 ms, got %llu", (unsigned long long)timeout_ms);
        return -1;
    }
    ctx->driver_timeout_ms = timeout_ms;
    return 0;
}

int tp_context_set_shm_base_dir(tp_context_t *ctx, const char *dir)
{
    if (tp_context_check_absolute(dir, "SHM base dir") < 0)
    {
        return -1;
    }
    if (tp_context_copy_string(ctx->shm_base_dir, sizeof(ctx->shm_base_dir), dir, "SHM base dir") < 0)
    {
        return -1;
    }
    /* Until allowed dirs are given explicitly, consumers accept what producers of this context create. */
    if (!ctx->allowed_dirs_explicit)
    {
        snprintf(ctx->allowed_dirs[0], sizeof(ctx->allowed_dirs[0]), "%s", dir);
        ctx->allowed_dir_count = 1;
    }
    return 0;
}

const char *tp_context_get_shm_base_dir(const tp_context_t *ctx)
{
    return ctx->shm_base_dir;
}

int tp_context_add_allowed_dir(tp_context_t *ctx, const char *dir)
{
    if (tp_context_check_absolute(dir, "allowed dir") < 0)
    {
        return -1;
    }
    if (!ctx->allowed_dirs_explicit)
    {
        ctx->allowed_dir_count = 0;
        ctx->allowed_dirs_explicit = true;
    }
    if (ctx->allowed_dir_count >= TP_CONTEXT_MAX_ALLOWED_DIRS)
    {
        TP_SET_ERR(EINVAL, "too many allowed dirs: the limit is %d (adding %s)", TP_CONTEXT_MAX_ALLOWED_DIRS, dir);
        return -1;
    }
    if (tp_context_copy_string(ctx->allowed_dirs[ctx->allowed_dir_count], PATH_MAX, dir, "allowed dir") < 0)
    {
        return -1;
    }
    ctx->allowed_dir_count++;
    return 0;
}

size_t tp_context_allowed_dir_count(const tp_context_t *ctx)
{
    return ctx->allowed_dir_count;
}

const char *tp_context_allowed_dir(const tp_context_t *ctx, size_t index)
{
    return index < ctx->allowed_dir_count ? ctx->allowed_dirs[index] : NULL;
}

int tp_context_set_channel(tp_context_t *ctx, const char *channel)
{
    if (NULL != channel && 0 != strncmp(channel, "aeron:", 6))
    {
        TP_SET_ERR(TP_ERR_URI, "channel must be an Aeron URI (aeron:ipc, aeron:udp?...), got \"%s\"", channel);
        return -1;
    }
    return tp_context_copy_string(ctx->channel, sizeof(ctx->channel), channel, "channel");
}

const char *tp_context_get_channel(const tp_context_t *ctx)
{
    return ctx->channel;
}

static int tp_context_set_term_length(uint32_t *field, uint32_t length, const char *what)
{
    /* Aeron's rule: 0 (the driver's default) or a power of two in [64 KiB, 1 GiB]. */
    if (0 != length && (length < (UINT32_C(64) << 10) || length > (UINT32_C(1) << 30) || 0 != (length & (length - 1))))
    {
        TP_SET_ERR(EINVAL, "%s term length must be 0 or a power of two in [65536, 1073741824], got %u", what, length);
        return -1;
    }
    *field = length;
    return 0;
}

int tp_context_set_descriptor_term_length(tp_context_t *ctx, uint32_t length)
{
    return tp_context_set_term_length(&ctx->descriptor_term_length, length, "descriptor");
}

uint32_t tp_context_get_descriptor_term_length(const tp_context_t *ctx)
{
    return ctx->descriptor_term_length;
}

int tp_context_set_control_term_length(tp_context_t *ctx, uint32_t length)
{
    return tp_context_set_term_length(&ctx->control_term_length, length, "control");
}

uint32_t tp_context_get_control_term_length(const tp_context_t *ctx)
{
    return ctx->control_term_length;
}

int tp_context_set_pre_touch(tp_context_t *ctx, bool enabled)
{
    ctx->pre_touch = enabled;
    return 0;
}

bool tp_context_get_pre_touch(const tp_context_t *ctx)
{
    return ctx->pre_touch;
}

static int tp_context_set_stream(uint32_t *field, uint32_t stream_id, const char *what)
{
    if (0 == stream_id || stream_id > INT32_MAX)
    {
        TP_SET_ERR(EINVAL, "%s stream id must be in 1..%d, got %u", what, INT32_MAX, stream_id);
        return -1;
    }
    *field = stream_id;
    return 0;
}

int tp_context_set_control_stream_id(tp_context_t *ctx, uint32_t stream_id)
{
    return tp_context_set_stream(&ctx->control_stream_id, stream_id, "control");
}

int tp_context_set_descriptor_stream_id(tp_context_t *ctx, uint32_t stream_id)
{
    return tp_context_set_stream(&ctx->descriptor_stream_id, stream_id, "descriptor");
}

int tp_context_set_qos_stream_id(tp_context_t *ctx, uint32_t stream_id)
{
    return tp_context_set_stream(&ctx->qos_stream_id, stream_id, "QoS");
}

int tp_context_set_metadata_stream_id(tp_context_t *ctx, uint32_t stream_id)
{
    return tp_context_set_stream(&ctx->metadata_stream_id, stream_id, "metadata");
}

int tp_context_set_tether(tp_context_t *ctx, bool tether)
{
    ctx->tether = tether;
    return 0;
}

bool tp_context_get_tether(const tp_context_t *ctx)
{
    return ctx->tether;
}

int tp_context_set_untethered_timeouts_ns(tp_context_t *ctx, uint64_t window_limit_ns, uint64_t resting_ns)
{
    ctx->untethered_window_limit_timeout_ns = window_limit_ns;
    ctx->untethered_resting_timeout_ns = resting_ns;
    return 0;
}

/* True when the URI's parameter part names key (as "key=" after '?' or '|'). */
static bool tp_context_channel_has_key(const char *channel, const char *key)
{
    const size_t key_length = strlen(key);
    for (const char *p = strchr(channel, '?'); NULL != p; p = strchr(p + 1, '|'))
    {
        if (0 == strncmp(p + 1, key, key_length) && '=' == p[1 + key_length])
        {
            return true;
        }
    }
    return false;
}

/* Appends key=value with the right separator; false when it does not fit. */
static bool tp_context_channel_append(char *out, size_t capacity, const char *key, const char *value)
{
    const size_t used = strlen(out);
    const char separator = NULL != strchr(out, '?') ? '|' : '?';
    const int n = snprintf(out + used, capacity - used, "%c%s=%s", separator, key, value);
    return n > 0 && (size_t)n < capacity - used;
}

/* aeron:ipc, with or without parameters: the only medium these parameters are added to. */
static bool tp_channel_is_ipc(const char *channel)
{
    return 0 == strncmp(channel, "aeron:ipc", 9) && ('\0' == channel[9] || '?' == channel[9]);
}

static int tp_channel_copy(char *out, size_t capacity, const char *channel)
{
    const int n = snprintf(out, capacity, "%s", channel);
    if (n < 0 || (size_t)n >= capacity)
    {
        TP_SET_ERR(TP_ERR_URI, "channel \"%s\" is longer than %zu bytes", channel, capacity - 1);
        return -1;
    }
    return 0;
}

int tp_aeron_channel_untethered(const char *channel, char *out, size_t capacity)
{
    if (tp_channel_copy(out, capacity, channel) < 0)
    {
        return -1;
    }
    if (tp_channel_is_ipc(channel) && !tp_context_channel_has_key(channel, "tether") &&
        !tp_context_channel_append(out, capacity, "tether", "false"))
    {
        TP_SET_ERR(TP_ERR_URI, "channel \"%s\" with tether=false is longer than %zu bytes", channel, capacity - 1);
        return -1;
    }
    return 0;
}

/* The parameters our IPC subscriptions (tether) or publications (term length, untethered timeouts) carry, each
 * unless the channel names it already. */
static int tp_context_channel_params(const tp_context_t *ctx, const char *channel, bool is_subscription,
                                     uint32_t term_length, char *out, size_t capacity)
{
    if (tp_channel_copy(out, capacity, channel) < 0)
    {
        return -1;
    }
    /* Only IPC: tether and the untethered timeouts govern IPC (and spy) subscribers of a driver's own log. */
    if (!tp_channel_is_ipc(channel))
    {
        return 0;
    }
    bool ok = true;
    char value[32];
    if (is_subscription)
    {
        if (!ctx->tether && !tp_context_channel_has_key(channel, "tether"))
        {
            ok = tp_context_channel_append(out, capacity, "tether", "false");
        }
    }
    else
    {
        if (0 != term_length && !tp_context_channel_has_key(channel, "term-length"))
        {
            snprintf(value, sizeof(value), "%u", term_length);
            ok = tp_context_channel_append(out, capacity, "term-length", value);
        }
        if (ok && 0 != ctx->untethered_window_limit_timeout_ns &&
            !tp_context_channel_has_key(channel, "untethered-window-limit-timeout"))
        {
            snprintf(value, sizeof(value), "%lluns", (unsigned long long)ctx->untethered_window_limit_timeout_ns);
            ok = tp_context_channel_append(out, capacity, "untethered-window-limit-timeout", value);
        }
        if (ok && 0 != ctx->untethered_resting_timeout_ns &&
            !tp_context_channel_has_key(channel, "untethered-resting-timeout"))
        {
            snprintf(value, sizeof(value), "%lluns", (unsigned long long)ctx->untethered_resting_timeout_ns);
            ok = tp_context_channel_append(out, capacity, "untethered-resting-timeout", value);
        }
    }
    if (!ok)
    {
        TP_SET_ERR(TP_ERR_URI, "channel \"%s\" with the isolation parameters is longer than %zu bytes", channel,
                   capacity - 1);
        return -1;
    }
    return 0;
}

int tp_context_aeron_channel(const tp_context_t *ctx, const char *channel, bool is_subscription, char *out,
                             size_t capacity)
{
    return tp_context_channel_params(ctx, channel, is_subscription, 0, out, capacity);
}

int tp_context_publication_channel(const tp_context_t *ctx, const char *channel, uint32_t term_length, char *out,
                                   size_t capacity)
{
    return tp_context_channel_params(ctx, channel, false, term_length, out, capacity);
}

uint32_t tp_context_get_stream_id(const tp_context_t *ctx, tp_stream_kind_t kind)
{
    switch (kind)
    {
        case TP_STREAM_DESCRIPTOR:
            return ctx->descriptor_stream_id;
        case TP_STREAM_CONTROL:
            return ctx->control_stream_id;
        case TP_STREAM_QOS:
            return ctx->qos_stream_id;
        case TP_STREAM_METADATA:
            return ctx->metadata_stream_id;
        default:
            return 0;
    }
}

static int tp_context_set_range(uint32_t *min_field, uint32_t *max_field, uint32_t min, uint32_t max, const char *what)
{
    if (min > max || max > INT32_MAX || (0 == min && 0 != max))
    {
        TP_SET_ERR(EINVAL, "%s stream range %u..%u is invalid (need 1 <= min <= max <= %d, or 0..0)", what, min, max,
                   INT32_MAX);
        return -1;
    }
    *min_field = min;
    *max_field = max;
    return 0;
}

int tp_context_set_consumer_descriptor_stream_range(tp_context_t *ctx, uint32_t min, uint32_t max)
{
    return tp_context_set_range(&ctx->consumer_descriptor_stream_min, &ctx->consumer_descriptor_stream_max, min, max,
                                "per-consumer descriptor");
}

int tp_context_set_consumer_control_stream_range(tp_context_t *ctx, uint32_t min, uint32_t max)
{
    return tp_context_set_range(&ctx->consumer_control_stream_min, &ctx->consumer_control_stream_max, min, max,
                                "per-consumer control");
}

static int tp_context_set_interval(uint64_t *field, uint64_t value, const char *what)
{
    if (0 == value)
    {
        TP_SET_ERR(EINVAL, "%s must be > 0 ns, got 0", what);
        return -1;
    }
    *field = value;
    return 0;
}

int tp_context_set_announce_interval_ns(tp_context_t *ctx, uint64_t interval_ns)
{
    return tp_context_set_interval(&ctx->announce_interval_ns, interval_ns, "announce interval");
}

int tp_context_set_qos_interval_ns(tp_context_t *ctx, uint64_t interval_ns)
{
    return tp_context_set_interval(&ctx->qos_interval_ns, interval_ns, "QoS interval");
}

int tp_context_set_meta_interval_ns(tp_context_t *ctx, uint64_t interval_ns)
{
    return tp_context_set_interval(&ctx->meta_interval_ns, interval_ns, "metadata interval");
}

int tp_context_set_hello_interval_ns(tp_context_t *ctx, uint64_t interval_ns)
{
    return tp_context_set_interval(&ctx->hello_interval_ns, interval_ns, "hello interval");
}

int tp_context_set_consumer_stale_factor(tp_context_t *ctx, uint32_t factor)
{
    if (factor < 3 || factor > 5)
    {
        TP_SET_ERR(EINVAL, "consumer stale factor must be 3..5 (wire spec §10.1.2), got %u", factor);
        return -1;
    }
    ctx->consumer_stale_factor = factor;
    return 0;
}

int tp_context_set_freshness_window_ns(tp_context_t *ctx, uint64_t window_ns)
{
    return tp_context_set_interval(&ctx->freshness_window_ns, window_ns, "freshness window");
}

int tp_context_set_clock(tp_context_t *ctx, tp_clock_fn clock, void *clientd)
{
    ctx->clock = clock;
    ctx->clock_clientd = clientd;
    return 0;
}

int tp_context_set_log(tp_context_t *ctx, tp_log_fn log, void *clientd, tp_log_level_t max_level)
{
    ctx->log = log;
    ctx->log_clientd = clientd;
    ctx->log_level = max_level;
    return 0;
}

int tp_context_set_client_mode(tp_context_t *ctx, tp_client_mode_t mode)
{
    if (TP_CLIENT_MODE_INVOKER != mode && TP_CLIENT_MODE_AGENT != mode)
    {
        TP_SET_ERR(EINVAL, "client mode must be TP_CLIENT_MODE_INVOKER or TP_CLIENT_MODE_AGENT, got %d", (int)mode);
        return -1;
    }
    ctx->mode = mode;
    return 0;
}

tp_client_mode_t tp_context_get_client_mode(const tp_context_t *ctx)
{
    return ctx->mode;
}

int tp_context_set_idle_strategy(tp_context_t *ctx, const char *name)
{
    tp_idle_kind_t kind;
    if (NULL == name || tp_idle_strategy_parse(name, &kind) < 0)
    {
        TP_SET_ERR(EINVAL, "idle strategy must be spin, noop, yield, sleep or backoff, got \"%s\"",
                   NULL == name ? "(null)" : name);
        return -1;
    }
    ctx->idle_kind = kind;
    return 0;
}

int tp_context_set_start_timeout_ms(tp_context_t *ctx, uint64_t timeout_ms)
{
    return tp_context_set_interval(&ctx->start_timeout_ms, timeout_ms, "start timeout");
}

int tp_context_set_shm_driver(tp_context_t *ctx, bool enabled)
{
    if (NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_context_set_shm_driver: ctx is NULL");
        return -1;
    }
    ctx->shm_driver = enabled;
    return 0;
}

bool tp_context_get_shm_driver(const tp_context_t *ctx)
{
    return NULL != ctx && ctx->shm_driver;
}

int tp_context_set_driver_attach_timeout_ns(tp_context_t *ctx, uint64_t timeout_ns)
{
    return tp_context_set_interval(&ctx->driver_attach_timeout_ns, timeout_ns, "driver attach timeout");
}

int tp_context_set_driver_keepalive_interval_ns(tp_context_t *ctx, uint64_t interval_ns)
{
    return tp_context_set_interval(&ctx->driver_keepalive_interval_ns, interval_ns, "driver keepalive interval");
}
