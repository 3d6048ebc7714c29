/* tp_driver_context_t: the loaded configuration plus the program's overrides, re-applied after every load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "common/tp_idle_strategy.h"
#include "driver/tp_driver_private.h"

static void tp_driver_context_apply_overrides(tp_driver_context_t *ctx)
{
    if (ctx->aeron_dir_set)
    {
        memcpy(ctx->config.aeron_dir, ctx->aeron_dir, sizeof(ctx->config.aeron_dir));
    }
    if (ctx->embedded_set)
    {
        ctx->config.embedded_media_driver = ctx->embedded;
    }
    if (ctx->idle_set)
    {
        memcpy(ctx->config.idle_strategy, ctx->idle, sizeof(ctx->config.idle_strategy));
    }
}

int tp_driver_context_init(tp_driver_context_t **out)
{
    if (NULL == out)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_init: ctx is NULL");
        return -1;
    }
    tp_driver_context_t *ctx = calloc(1, sizeof(*ctx));
    if (NULL == ctx)
    {
        TP_SET_ERR_ERRNO("could not allocate a driver context of %zu bytes", sizeof(*ctx));
        return -1;
    }
    tp_driver_config_init(&ctx->config);
    ctx->mode = TP_DRIVER_THREADING_DEDICATED;
    ctx->log_level = TP_LOG_INFO;
    *out = ctx;
    return 0;
}

int tp_driver_context_close(tp_driver_context_t *ctx)
{
    free(ctx);
    return 0;
}

/* Load into a scratch copy so that a failed load leaves the context as it was. */
static int tp_driver_context_commit(tp_driver_context_t *ctx, tp_driver_config_t *loaded)
{
    ctx->config = *loaded;
    tp_driver_context_apply_overrides(ctx);
    ctx->loaded = true;
    return 0;
}

int tp_driver_context_load_config(tp_driver_context_t *ctx, const char *path)
{
    if (NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_load_config: ctx is NULL");
        return -1;
    }
    tp_driver_config_t *loaded = malloc(sizeof(*loaded));
    if (NULL == loaded)
    {
        TP_SET_ERR_ERRNO("could not allocate a driver configuration");
        return -1;
    }
    int rc = tp_driver_config_load(loaded, path);
    if (0 == rc)
    {
        rc = tp_driver_context_commit(ctx, loaded);
    }
    free(loaded);
    return rc;
}

int tp_driver_context_load_config_string(tp_driver_context_t *ctx, const char *toml, const char *name)
{
    if (NULL == ctx || NULL == toml)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_load_config_string: %s is NULL", NULL == ctx ? "ctx" : "toml");
        return -1;
    }
    tp_driver_config_t *loaded = malloc(sizeof(*loaded));
    if (NULL == loaded)
    {
        TP_SET_ERR_ERRNO("could not allocate a driver configuration");
        return -1;
    }
    tp_driver_config_init(loaded);
    int rc = tp_driver_config_load_string(loaded, toml, strlen(toml), NULL == name ? "<string>" : name);
    if (0 == rc)
    {
        rc = tp_driver_config_apply_env(loaded);
    }
    if (0 == rc)
    {
        rc = tp_driver_config_validate(loaded);
    }
    if (0 == rc)
    {
        rc = tp_driver_context_commit(ctx, loaded);
    }
    free(loaded);
    return rc;
}

void tp_driver_context_print_config(const tp_driver_context_t *ctx, FILE *out)
{
    tp_driver_config_print(&ctx->config, out);
}

int tp_driver_context_set_aeron_dir(tp_driver_context_t *ctx, const char *dir)
{
    if (NULL == ctx || NULL == dir)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_set_aeron_dir: %s is NULL", NULL == ctx ? "ctx" : "dir");
        return -1;
    }
    size_t length = strlen(dir);
    if (length >= sizeof(ctx->aeron_dir))
    {
        TP_SET_ERR(EINVAL, "Aeron dir of %zu bytes is longer than %zu", length, sizeof(ctx->aeron_dir) - 1);
        return -1;
    }
    memcpy(ctx->aeron_dir, dir, length + 1);
    ctx->aeron_dir_set = true;
    tp_driver_context_apply_overrides(ctx);
    return 0;
}

const char *tp_driver_context_get_aeron_dir(const tp_driver_context_t *ctx)
{
    return ctx->config.aeron_dir;
}

int tp_driver_context_set_embedded_media_driver(tp_driver_context_t *ctx, bool enabled)
{
    if (NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_set_embedded_media_driver: ctx is NULL");
        return -1;
    }
    ctx->embedded = enabled;
    ctx->embedded_set = true;
    tp_driver_context_apply_overrides(ctx);
    return 0;
}

int tp_driver_context_set_threading_mode(tp_driver_context_t *ctx, tp_driver_threading_mode_t mode)
{
    if (NULL == ctx || (TP_DRIVER_THREADING_DEDICATED != mode && TP_DRIVER_THREADING_INVOKER != mode))
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_set_threading_mode: %s", NULL == ctx ? "ctx is NULL" : "unknown mode");
        return -1;
    }
    ctx->mode = mode;
    return 0;
}

int tp_driver_context_set_idle_strategy(tp_driver_context_t *ctx, const char *name)
{
    tp_idle_kind_t kind;
    if (NULL == ctx || NULL == name)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_set_idle_strategy: %s is NULL", NULL == ctx ? "ctx" : "name");
        return -1;
    }
    if (0 != tp_idle_strategy_parse(name, &kind) || strlen(name) >= sizeof(ctx->idle))
    {
        TP_SET_ERR(EINVAL, "idle strategy '%s' is not one of spin, noop, yield, sleep, backoff", name);
        return -1;
    }
    strcpy(ctx->idle, name);
    ctx->idle_set = true;
    tp_driver_context_apply_overrides(ctx);
    return 0;
}

int tp_driver_context_set_log(tp_driver_context_t *ctx, tp_log_fn log, void *clientd, tp_log_level_t max_level)
{
    if (NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_driver_context_set_log: ctx is NULL");
        return -1;
    }
    ctx->log = log;
    ctx->log_clientd = clientd;
    ctx->log_level = max_level;
    return 0;
}
