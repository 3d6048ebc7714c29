#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aeron/protocol/tp_bitutil.h"
#include "aeron/protocol/tp_logbuffer.h"
#include "aeron/protocol/tp_parse_util.h"
#include "common/tp_error_private.h"
#include "common/tp_idle_strategy.h"
#include "mediadriver/tp_mediadriver_context.h"

int tp_mediadriver_default_dir(char *dst, size_t dst_length)
{
    const char *user = getenv("USER");
    if (NULL == user || '\0' == *user)
    {
        struct passwd *pw = getpwuid(getuid());
        user = (NULL != pw && NULL != pw->pw_name) ? pw->pw_name : "default";
    }
    int n = snprintf(dst, dst_length, "/dev/shm/aeron-%s", user);
    if (n < 0 || (size_t)n >= dst_length)
    {
        TP_SET_ERR(ENAMETOOLONG, "default Aeron directory for user '%s' is too long", user);
        return -1;
    }
    return 0;
}

static int tp_env_size(const char *name, size_t *value)
{
    const char *text = getenv(name);
    if (NULL == text || '\0' == *text)
    {
        return 0;
    }
    uint64_t parsed;
    if (tp_parse_size64(text, &parsed) < 0)
    {
        TP_APPEND_ERR("environment variable %s=%s", name, text);
        return -1;
    }
    *value = (size_t)parsed;
    return 0;
}

static int tp_env_duration_ns(const char *name, uint64_t *value)
{
    const char *text = getenv(name);
    if (NULL == text || '\0' == *text)
    {
        return 0;
    }
    if (tp_parse_duration_ns(text, value) < 0)
    {
        TP_APPEND_ERR("environment variable %s=%s", name, text);
        return -1;
    }
    return 0;
}

static int tp_env_bool(const char *name, bool *value)
{
    const char *text = getenv(name);
    if (NULL == text || '\0' == *text)
    {
        return 0;
    }
    if (tp_parse_bool(text, value) < 0)
    {
        TP_APPEND_ERR("environment variable %s=%s", name, text);
        return -1;
    }
    return 0;
}

static int tp_env_int32(const char *name, int32_t *value)
{
    const char *text = getenv(name);
    if (NULL == text || '\0' == *text)
    {
        return 0;
    }
    if (tp_parse_int32(text, value) < 0)
    {
        TP_APPEND_ERR("environment variable %s=%s", name, text);
        return -1;
    }
    return 0;
}

/* AERON_DRIVER_TIMEOUT is an integer in milliseconds (C client convention); a suffixed duration also works. */
static int tp_env_driver_timeout_ms(const char *name, uint64_t *value)
{
    const char *text = getenv(name);
    if (NULL == text || '\0' == *text)
    {
        return 0;
    }
    int64_t ms;
    if (0 == tp_parse_int64(text, &ms) && ms > 0)
    {
        *value = (uint64_t)ms;
        return 0;
    }
    uint64_t ns;
    if (tp_parse_duration_ns(text, &ns) < 0)
    {
        TP_APPEND_ERR("environment variable %s=%s", name, text);
        return -1;
    }
    *value = ns / 1000000ULL;
    return 0;
}

static int tp_env_idle_strategy(const char *name, char *dst, size_t dst_length)
{
    const char *text = getenv(name);
    if (NULL == text || '\0' == *text)
    {
        return 0;
    }
    /* Accept Aeron's names ("sleeping", "yielding", ...) as well as ours. */
    const char *mapped = text;
    if (0 == strcasecmp(text, "yielding"))
    {
        mapped = "yield";
    }
    else if (0 == strcasecmp(text, "busy_spin") || 0 == strcasecmp(text, "busyspin"))
    {
        mapped = "spin";
    }
    tp_idle_kind_t kind;
    if (tp_idle_strategy_parse(mapped, &kind) < 0)
    {
        TP_APPEND_ERR("environment variable %s=%s", name, text);
        return -1;
    }
    snprintf(dst, dst_length, "%s", mapped);
    return 0;
}

static int tp_mediadriver_context_from_env(tp_mediadriver_context_t *ctx)
{
    const char *dir = getenv("AERON_DIR");
    if (NULL != dir && '\0' != *dir && tp_mediadriver_context_set_dir(ctx, dir) < 0)
    {
        return -1;
    }
    size_t ring = ctx->to_driver_buffer_length + 768;
    size_t broadcast = ctx->to_clients_buffer_length + 128;
    const char *mode = getenv("AERON_THREADING_MODE");
    if (NULL != mode && 0 == strcasecmp(mode, "INVOKER"))
    {
        ctx->threading_mode = TP_MEDIADRIVER_THREADING_INVOKER;
    }
    if (tp_env_bool("AERON_DIR_DELETE_ON_START", &ctx->dir_delete_on_start) < 0 ||
        tp_env_bool("AERON_DIR_DELETE_ON_SHUTDOWN", &ctx->dir_delete_on_shutdown) < 0 ||
        tp_env_size("AERON_CONDUCTOR_BUFFER_LENGTH", &ring) < 0 ||
        tp_env_size("AERON_CLIENTS_BUFFER_LENGTH", &broadcast) < 0 ||
        tp_env_size("AERON_COUNTERS_BUFFER_LENGTH", &ctx->counters_values_buffer_length) < 0 ||
        tp_env_size("AERON_ERROR_BUFFER_LENGTH", &ctx->error_buffer_length) < 0 ||
        tp_env_size("AERON_LOSS_REPORT_BUFFER_LENGTH", &ctx->loss_report_buffer_length) < 0 ||
        tp_env_duration_ns("AERON_CLIENT_LIVENESS_TIMEOUT", &ctx->client_liveness_timeout_ns) < 0 ||
        tp_env_size("AERON_IPC_TERM_BUFFER_LENGTH", &ctx->ipc_term_buffer_length) < 0 ||
        tp_env_size("AERON_IPC_MTU_LENGTH", &ctx->ipc_mtu_length) < 0 ||
        tp_env_size("AERON_IPC_PUBLICATION_TERM_WINDOW_LENGTH", &ctx->ipc_publication_term_window_length) < 0 ||
        tp_env_duration_ns("AERON_PUBLICATION_LINGER_TIMEOUT", &ctx->publication_linger_timeout_ns) < 0 ||
        tp_env_duration_ns("AERON_PUBLICATION_UNBLOCK_TIMEOUT", &ctx->publication_unblock_timeout_ns) < 0 ||
        tp_env_duration_ns("AERON_TIMER_INTERVAL", &ctx->timer_interval_ns) < 0 ||
        tp_env_size("AERON_FILE_PAGE_SIZE", &ctx->file_page_size) < 0 ||
        tp_env_bool("AERON_TERM_BUFFER_SPARSE_FILE", &ctx->term_buffer_sparse_file) < 0 ||
        tp_env_bool("AERON_TETHER_SUBSCRIPTIONS", &ctx->tether_subscriptions) < 0 ||
        tp_env_duration_ns("AERON_COUNTERS_FREE_TO_REUSE_TIMEOUT", &ctx->counter_free_to_reuse_timeout_ns) < 0 ||
        tp_env_duration_ns("AERON_UNTETHERED_WINDOW_LIMIT_TIMEOUT", &ctx->untethered_window_limit_timeout_ns) < 0 ||
        tp_env_duration_ns("AERON_UNTETHERED_RESTING_TIMEOUT", &ctx->untethered_resting_timeout_ns) < 0 ||
        tp_env_driver_timeout_ms("AERON_DRIVER_TIMEOUT", &ctx->driver_timeout_ms) < 0 ||
        tp_env_int32("AERON_PUBLICATION_RESERVED_SESSION_ID_LOW", &ctx->publication_reserved_session_id_low) < 0 ||
        tp_env_int32("AERON_PUBLICATION_RESERVED_SESSION_ID_HIGH", &ctx->publication_reserved_session_id_high) < 0 ||
        tp_env_idle_strategy("AERON_CONDUCTOR_IDLE_STRATEGY", ctx->idle_strategy, sizeof(ctx->idle_strategy)) < 0)
    {
        return -1;
    }
    /* The AERON_* buffer lengths include the trailers, as in Aeron. */
    if (ring <= 768 || broadcast <= 128)
    {
        TP_SET_ERR(EINVAL,
                   "AERON_CONDUCTOR_BUFFER_LENGTH %zu / AERON_CLIENTS_BUFFER_LENGTH %zu must exceed "
                   "their 768 / 128-byte trailers",
                   ring, broadcast);
        return -1;
    }
    ctx->to_driver_buffer_length = ring - 768;
    ctx->to_clients_buffer_length = broadcast - 128;
    return 0;
}

int tp_mediadriver_context_init(tp_mediadriver_context_t **context)
{
    if (NULL == context)
    {
        TP_SET_ERR(EINVAL, "context out-pointer must not be NULL");
        return -1;
    }
    tp_mediadriver_context_t *ctx = calloc(1, sizeof(*ctx));
    if (NULL == ctx)
    {
        TP_SET_ERR(ENOMEM, "allocating media driver context");
        return -1;
    }
    if (tp_mediadriver_default_dir(ctx->dir, sizeof(ctx->dir)) < 0)
    {
        free(ctx);
        return -1;
    }
    ctx->dir_delete_on_start = false;
    ctx->dir_delete_on_shutdown = false;
    ctx->to_driver_buffer_length = 1024 * 1024;
    ctx->to_clients_buffer_length = 1024 * 1024;
    ctx->counters_values_buffer_length = 1024 * 1024;
    ctx->error_buffer_length = 1024 * 1024;
    ctx->loss_report_buffer_length = 1024 * 1024;
    ctx->ipc_term_buffer_length = 64 * 1024 * 1024;
    ctx->ipc_mtu_length = 1408;
    ctx->ipc_publication_term_window_length = 0;
    ctx->file_page_size = 4096;
    ctx->term_buffer_sparse_file = false;
    ctx->tether_subscriptions = true;
    ctx->client_liveness_timeout_ns = 10ULL * 1000 * 1000 * 1000;
    ctx->publication_unblock_timeout_ns = 15ULL * 1000 * 1000 * 1000;
    ctx->publication_linger_timeout_ns = 5ULL * 1000 * 1000 * 1000;
    ctx->untethered_window_limit_timeout_ns = 5ULL * 1000 * 1000 * 1000;
    ctx->untethered_resting_timeout_ns = 10ULL * 1000 * 1000 * 1000;
    /* The official default is 1 s; untethered subscribers are checked on this timer, and tensorpool's isolation
     * bound (docs/isolation.md) is 2 x window-limit timeout + 2 x this, so ours ticks every 10 ms. */
    ctx->timer_interval_ns = 10ULL * 1000 * 1000;
    ctx->counter_free_to_reuse_timeout_ns = 1000ULL * 1000 * 1000;
    ctx->driver_timeout_ms = 10000;
    ctx->publication_reserved_session_id_low = -1;
    ctx->publication_reserved_session_id_high = 1000;
    ctx->threading_mode = TP_MEDIADRIVER_THREADING_DEDICATED;
    snprintf(ctx->idle_strategy, sizeof(ctx->idle_strategy), "%s", "backoff");

    if (tp_mediadriver_context_from_env(ctx) < 0)
    {
        free(ctx);
        return -1;
    }
    *context = ctx;
    return 0;
}

int tp_mediadriver_context_close(tp_mediadriver_context_t *context)
{
    free(context);
    return 0;
}

int tp_mediadriver_context_validate(const tp_mediadriver_context_t *ctx)
{
    if (tp_logbuffer_check_term_length((int64_t)ctx->ipc_term_buffer_length) < 0 ||
        tp_logbuffer_check_mtu_length((int64_t)ctx->ipc_mtu_length) < 0 ||
        tp_logbuffer_check_page_size((int64_t)ctx->file_page_size) < 0)
    {
        TP_APPEND_ERR("validating media driver context");
        return -1;
    }
    const size_t capacities[2] = {ctx->to_driver_buffer_length, ctx->to_clients_buffer_length};
    for (int i = 0; i < 2; i++)
    {
        if (!tp_is_power_of_two_u64(capacities[i]) || capacities[i] < 1024 || capacities[i] > (1U << 30))
        {
            TP_SET_ERR(EINVAL, "%s capacity %zu is not a power of two in [1024, 2^30]",
                       0 == i ? "to-driver buffer" : "to-clients buffer", capacities[i]);
            return -1;
        }
    }
    if (!tp_is_power_of_two_u64(ctx->counters_values_buffer_length) || ctx->counters_values_buffer_length < 8192 ||
        ctx->counters_values_buffer_length > (1U << 28))
    {
        TP_SET_ERR(EINVAL, "counters values buffer length %zu is not a power of two in [8192, 2^28]",
                   ctx->counters_values_buffer_length);
        return -1;
    }
    if (!tp_is_power_of_two_u64(ctx->error_buffer_length) || ctx->error_buffer_length < 1024 ||
        ctx->error_buffer_length > (1U << 30))
    {
        TP_SET_ERR(EINVAL, "error buffer length %zu is not a power of two in [1024, 2^30]", ctx->error_buffer_length);
        return -1;
    }
    if (0 == ctx->timer_interval_ns || ctx->client_liveness_timeout_ns <= ctx->timer_interval_ns ||
        ctx->publication_unblock_timeout_ns <= ctx->client_liveness_timeout_ns)
    {
        TP_SET_ERR(EINVAL,
                   "timeouts must satisfy publication unblock (%" PRIu64 " ns) > client liveness (%" PRIu64
                   " ns) > timer interval (%" PRIu64 " ns) > 0",
                   ctx->publication_unblock_timeout_ns, ctx->client_liveness_timeout_ns, ctx->timer_interval_ns);
        return -1;
    }
    if (ctx->publication_reserved_session_id_low > ctx->publication_reserved_session_id_high)
    {
        TP_SET_ERR(EINVAL, "reserved session id range [%" PRId32 ", %" PRId32 "] is empty",
                   ctx->publication_reserved_session_id_low, ctx->publication_reserved_session_id_high);
        return -1;
    }
    tp_idle_kind_t kind;
    if (tp_idle_strategy_parse(ctx->idle_strategy, &kind) < 0)
    {
        return -1;
    }
    return 0;
}

int tp_mediadriver_context_set_dir(tp_mediadriver_context_t *context, const char *dir)
{
    if (NULL == dir || '\0' == *dir)
    {
        TP_SET_ERR(EINVAL, "Aeron directory must not be empty");
        return -1;
    }
    size_t length = strlen(dir);
    if (length >= sizeof(context->dir) - 64)
    {
        TP_SET_ERR(ENAMETOOLONG, "Aeron directory '%s' is longer than %zu bytes", dir, sizeof(context->dir) - 64);
        return -1;
    }
    memcpy(context->dir, dir, length + 1);
    while (length > 1 && '/' == context->dir[length - 1])
    {
        context->dir[--length] = '\0';
    }
    return 0;
}

const char *tp_mediadriver_context_get_dir(const tp_mediadriver_context_t *context)
{
    return context->dir;
}

#define TP_CONTEXT_ACCESSORS(type, name, field)                                          \
    int tp_mediadriver_context_set_##name(tp_mediadriver_context_t *context, type value) \
    {                                                                                    \
        context->field = value;                                                          \
        return 0;                                                                        \
    }                                                                                    \
    type tp_mediadriver_context_get_##name(const tp_mediadriver_context_t *context)      \
    {                                                                                    \
        return context->field;                                                           \
    }

TP_CONTEXT_ACCESSORS(bool, dir_delete_on_start, dir_delete_on_start)
TP_CONTEXT_ACCESSORS(bool, dir_delete_on_shutdown, dir_delete_on_shutdown)
TP_CONTEXT_ACCESSORS(size_t, ipc_term_buffer_length, ipc_term_buffer_length)
TP_CONTEXT_ACCESSORS(size_t, ipc_mtu_length, ipc_mtu_length)
TP_CONTEXT_ACCESSORS(size_t, ipc_publication_term_window_length, ipc_publication_term_window_length)
TP_CONTEXT_ACCESSORS(bool, term_buffer_sparse_file, term_buffer_sparse_file)
TP_CONTEXT_ACCESSORS(size_t, file_page_size, file_page_size)
TP_CONTEXT_ACCESSORS(size_t, to_driver_buffer_length, to_driver_buffer_length)
TP_CONTEXT_ACCESSORS(size_t, to_clients_buffer_length, to_clients_buffer_length)
TP_CONTEXT_ACCESSORS(size_t, counters_values_buffer_length, counters_values_buffer_length)
TP_CONTEXT_ACCESSORS(size_t, error_buffer_length, error_buffer_length)
TP_CONTEXT_ACCESSORS(uint64_t, client_liveness_timeout_ns, client_liveness_timeout_ns)
TP_CONTEXT_ACCESSORS(uint64_t, publication_unblock_timeout_ns, publication_unblock_timeout_ns)
TP_CONTEXT_ACCESSORS(uint64_t, publication_linger_timeout_ns, publication_linger_timeout_ns)
TP_CONTEXT_ACCESSORS(uint64_t, timer_interval_ns, timer_interval_ns)
TP_CONTEXT_ACCESSORS(uint64_t, counter_free_to_reuse_timeout_ns, counter_free_to_reuse_timeout_ns)
TP_CONTEXT_ACCESSORS(uint64_t, driver_timeout_ms, driver_timeout_ms)
TP_CONTEXT_ACCESSORS(tp_mediadriver_threading_mode_t, threading_mode, threading_mode)

int tp_mediadriver_context_set_idle_strategy(tp_mediadriver_context_t *context, const char *name)
{
    tp_idle_kind_t kind;
    if (tp_idle_strategy_parse(name, &kind) < 0)
    {
        return -1;
    }
    snprintf(context->idle_strategy, sizeof(context->idle_strategy), "%s", name);
    return 0;
}

const char *tp_mediadriver_context_get_idle_strategy(const tp_mediadriver_context_t *context)
{
    return context->idle_strategy;
}
