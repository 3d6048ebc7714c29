/* Client context: settings read from AERON_* environment variables, overridable with the setters. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aeron_client_private.h"

#define AERON_DEFAULT_DRIVER_TIMEOUT_MS     UINT64_C(10000)
#define AERON_DEFAULT_KEEPALIVE_INTERVAL_NS UINT64_C(500000000)
#define AERON_DEFAULT_RESOURCE_LINGER_NS    UINT64_C(3000000000)
#define AERON_DEFAULT_IDLE_SLEEP_NS         UINT64_C(16000000)

int aeron_default_path(char *path, size_t path_length)
{
    const char *user = getenv("USER");
    if (NULL == user || '\0' == user[0])
    {
        struct passwd *pw = getpwuid(getuid());
        user = NULL != pw ? pw->pw_name : "default";
    }
    int n = snprintf(path, path_length, "/dev/shm/aeron-%s", user);
    if (n < 0 || (size_t)n >= path_length)
    {
        aeron_err_set(EINVAL, "default Aeron directory for user '%s' does not fit in %zu bytes", user, path_length);
        return -1;
    }
    return n;
}

/* Durations as the official client accepts them: a bare number of ns or a number with ns|us|ms|s. */
int aeron_context_parse_duration_ns(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text)
    {
        aeron_err_set(EINVAL, "duration '%s' is not a number", text);
        return -1;
    }
    uint64_t scale = 1;
    if ('\0' == *end || 0 == strcasecmp(end, "ns"))
    {
        scale = 1;
    }
    else if (0 == strcasecmp(end, "us"))
    {
        scale = 1000;
    }
    else if (0 == strcasecmp(end, "ms"))
    {
        scale = 1000000;
    }
    else if (0 == strcasecmp(end, "s"))
    {
        scale = 1000000000;
    }
    else
    {
        aeron_err_set(EINVAL, "duration '%s' has unknown suffix '%s' (use ns, us, ms or s)", text, end);
        return -1;
    }
    *out = (uint64_t)value * scale;
    return 0;
}

static int aeron_context_dup(char **dst, const char *value)
{
    char *copy = strdup(value);
    if (NULL == copy)
    {
        aeron_err_set(ENOMEM, "could not copy '%s'", value);
        return -1;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

int aeron_context_init(aeron_context_t **context)
{
    if (NULL == context)
    {
        aeron_err_set(EINVAL, "aeron_context_init: context is NULL");
        return -1;
    }
    aeron_context_t *ctx = calloc(1, sizeof(*ctx));
    if (NULL == ctx)
    {
        aeron_err_set(ENOMEM, "could not allocate aeron context");
        return -1;
    }
    ctx->driver_timeout_ms = AERON_DEFAULT_DRIVER_TIMEOUT_MS;
    ctx->keepalive_interval_ns = AERON_DEFAULT_KEEPALIVE_INTERVAL_NS;
    ctx->resource_linger_duration_ns = AERON_DEFAULT_RESOURCE_LINGER_NS;
    ctx->idle_sleep_duration_ns = AERON_DEFAULT_IDLE_SLEEP_NS;

    char path[4096];
    const char *dir = getenv(AERON_DIR_ENV_VAR);
    if (NULL == dir || '\0' == dir[0])
    {
        if (aeron_default_path(path, sizeof(path)) < 0)
        {
            free(ctx);
            return -1;
        }
        dir = path;
    }
    if (aeron_context_dup(&ctx->aeron_dir, dir) < 0 || aeron_context_dup(&ctx->client_name, "") < 0)
    {
        aeron_context_close(ctx);
        return -1;
    }

    const char *value;
    if (NULL != (value = getenv(AERON_DRIVER_TIMEOUT_ENV_VAR)) && '\0' != value[0])
    {
        char *end = NULL;
        unsigned long long ms = strtoull(value, &end, 10);
        if (end == value || '\0' != *end)
        {
            aeron_err_set(EINVAL, "%s='%s' is not an integer number of milliseconds", AERON_DRIVER_TIMEOUT_ENV_VAR,
                          value);
            aeron_context_close(ctx);
            return -1;
        }
        ctx->driver_timeout_ms = ms;
    }
    if (NULL != (value = getenv(AERON_CLIENT_RESOURCE_LINGER_DURATION_ENV_VAR)) && '\0' != value[0] &&
        aeron_context_parse_duration_ns(value, &ctx->resource_linger_duration_ns) < 0)
    {
        aeron_err_append("in %s", AERON_CLIENT_RESOURCE_LINGER_DURATION_ENV_VAR);
        aeron_context_close(ctx);
        return -1;
    }
    if (NULL != (value = getenv(AERON_CLIENT_IDLE_SLEEP_DURATION_ENV_VAR)) && '\0' != value[0] &&
        aeron_context_parse_duration_ns(value, &ctx->idle_sleep_duration_ns) < 0)
    {
        aeron_err_append("in %s", AERON_CLIENT_IDLE_SLEEP_DURATION_ENV_VAR);
        aeron_context_close(ctx);
        return -1;
    }
    if (NULL != (value = getenv(AERON_CLIENT_PRE_TOUCH_MAPPED_MEMORY_ENV_VAR)))
    {
        ctx->pre_touch_mapped_memory = 0 == strcasecmp(value, "true") || 0 == strcmp(value, "1");
    }
    if (NULL != (value = getenv(AERON_CLIENT_NAME_ENV_VAR)) && aeron_context_dup(&ctx->client_name, value) < 0)
    {
        aeron_context_close(ctx);
        return -1;
    }
    *context = ctx;
    return 0;
}

int aeron_context_close(aeron_context_t *context)
{
    if (NULL != context)
    {
        free(context->aeron_dir);
        free(context->client_name);
        free(context);
    }
    return 0;
}

#define AERON_CONTEXT_CHECK(ctx)                                    \
    do                                                              \
    {                                                               \
        if (NULL == (ctx))                                          \
        {                                                           \
            aeron_err_set(EINVAL, "%s: context is NULL", __func__); \
            return -1;                                              \
        }                                                           \
    } while (0)

int aeron_context_set_dir(aeron_context_t *context, const char *value)
{
    AERON_CONTEXT_CHECK(context);
    if (NULL == value)
    {
        aeron_err_set(EINVAL, "aeron_context_set_dir: dir is NULL");
        return -1;
    }
    return aeron_context_dup(&context->aeron_dir, value);
}

const char *aeron_context_get_dir(aeron_context_t *context)
{
    return NULL == context ? NULL : context->aeron_dir;
}

int aeron_context_set_driver_timeout_ms(aeron_context_t *context, uint64_t value)
{
    AERON_CONTEXT_CHECK(context);
    context->driver_timeout_ms = value;
    return 0;
}

uint64_t aeron_context_get_driver_timeout_ms(aeron_context_t *context)
{
    return NULL == context ? AERON_DEFAULT_DRIVER_TIMEOUT_MS : context->driver_timeout_ms;
}

int aeron_context_set_keepalive_interval_ns(aeron_context_t *context, uint64_t value)
{
    AERON_CONTEXT_CHECK(context);
    context->keepalive_interval_ns = value;
    return 0;
}

uint64_t aeron_context_get_keepalive_interval_ns(aeron_context_t *context)
{
    return NULL == context ? AERON_DEFAULT_KEEPALIVE_INTERVAL_NS : context->keepalive_interval_ns;
}

int aeron_context_set_resource_linger_duration_ns(aeron_context_t *context, uint64_t value)
{
    AERON_CONTEXT_CHECK(context);
    context->resource_linger_duration_ns = value;
    return 0;
}

uint64_t aeron_context_get_resource_linger_duration_ns(aeron_context_t *context)
{
    return NULL == context ? AERON_DEFAULT_RESOURCE_LINGER_NS : context->resource_linger_duration_ns;
}

int aeron_context_set_idle_sleep_duration_ns(aeron_context_t *context, uint64_t value)
{
    AERON_CONTEXT_CHECK(context);
    context->idle_sleep_duration_ns = value;
    return 0;
}

uint64_t aeron_context_get_idle_sleep_duration_ns(aeron_context_t *context)
{
    return NULL == context ? AERON_DEFAULT_IDLE_SLEEP_NS : context->idle_sleep_duration_ns;
}

int aeron_context_set_pre_touch_mapped_memory(aeron_context_t *context, bool value)
{
    AERON_CONTEXT_CHECK(context);
    context->pre_touch_mapped_memory = value;
    return 0;
}

bool aeron_context_get_pre_touch_mapped_memory(aeron_context_t *context)
{
    return NULL != context && context->pre_touch_mapped_memory;
}

int aeron_context_set_client_name(aeron_context_t *context, const char *value)
{
    AERON_CONTEXT_CHECK(context);
    if (NULL == value || strlen(value) > AERON_COUNTER_MAX_CLIENT_NAME_LENGTH)
    {
        aeron_err_set(EINVAL, "client name is NULL or longer than %d characters", AERON_COUNTER_MAX_CLIENT_NAME_LENGTH);
        return -1;
    }
    return aeron_context_dup(&context->client_name, value);
}

const char *aeron_context_get_client_name(aeron_context_t *context)
{
    return NULL == context ? NULL : context->client_name;
}

int aeron_context_set_use_conductor_agent_invoker(aeron_context_t *context, bool value)
{
    AERON_CONTEXT_CHECK(context);
    context->use_conductor_agent_invoker = value;
    return 0;
}

bool aeron_context_get_use_conductor_agent_invoker(aeron_context_t *context)
{
    return NULL != context && context->use_conductor_agent_invoker;
}

/* Handler setters/getters: all follow one pattern, so generate them. */
#define AERON_CONTEXT_HANDLER(name, type)                                               \
    int aeron_context_set_##name(aeron_context_t *context, type handler, void *clientd) \
    {                                                                                   \
        AERON_CONTEXT_CHECK(context);                                                   \
        context->name = handler;                                                        \
        context->name##_clientd = clientd;                                              \
        return 0;                                                                       \
    }                                                                                   \
    type aeron_context_get_##name(aeron_context_t *context)                             \
    {                                                                                   \
        return NULL == context ? NULL : context->name;                                  \
    }                                                                                   \
    void *aeron_context_get_##name##_clientd(aeron_context_t *context)                  \
    {                                                                                   \
        return NULL == context ? NULL : context->name##_clientd;                        \
    }

AERON_CONTEXT_HANDLER(error_handler, aeron_error_handler_t)
AERON_CONTEXT_HANDLER(on_new_publication, aeron_on_new_publication_t)
AERON_CONTEXT_HANDLER(on_new_exclusive_publication, aeron_on_new_publication_t)
AERON_CONTEXT_HANDLER(on_new_subscription, aeron_on_new_subscription_t)
AERON_CONTEXT_HANDLER(on_available_counter, aeron_on_available_counter_t)
AERON_CONTEXT_HANDLER(on_unavailable_counter, aeron_on_unavailable_counter_t)
AERON_CONTEXT_HANDLER(on_close_client, aeron_on_close_client_t)

int aeron_context_set_agent_on_start_function(aeron_context_t *context, aeron_agent_on_start_func_t value, void *state)
{
    AERON_CONTEXT_CHECK(context);
    context->agent_on_start = value;
    context->agent_on_start_state = state;
    return 0;
}

aeron_agent_on_start_func_t aeron_context_get_agent_on_start_function(aeron_context_t *context)
{
    return NULL == context ? NULL : context->agent_on_start;
}

void *aeron_context_get_agent_on_start_state(aeron_context_t *context)
{
    return NULL == context ? NULL : context->agent_on_start_state;
}
