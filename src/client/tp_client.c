/* tp_client_t: one Aeron client, driven by the application (invoker mode) or by its own conductor thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/tp_client_private.h"
#include "common/tp_clock.h"
#include "common/tp_log_private.h"

void tp_client_vlog(const tp_client_t *client, tp_log_level_t level, const char *component, const char *format,
                    va_list args)
{
    /* The context's callback takes precedence; without one the process-wide handler and level apply. */
    if (NULL == client || NULL == client->ctx.log)
    {
        tp_log_vwrite(level, component, format, args);
        return;
    }
    if (level > client->ctx.log_level)
    {
        return;
    }
    char text[1024];
    vsnprintf(text, sizeof(text), format, args);
    tp_log_one_line(text);
    client->ctx.log(client->ctx.log_clientd, level, text);
}

void tp_client_log(const tp_client_t *client, tp_log_level_t level, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    tp_client_vlog(client, level, "client", format, args);
    va_end(args);
}

void tp_client_log_event(const tp_client_t *client, tp_log_level_t level, const char *component, const char *format,
                         ...)
{
    va_list args;
    va_start(args, format);
    tp_client_vlog(client, level, component, format, args);
    va_end(args);
}

bool tp_client_log_enabled(const tp_client_t *client, tp_log_level_t level)
{
    if (NULL == client || NULL == client->ctx.log)
    {
        return tp_log_is_enabled(level);
    }
    return level <= client->ctx.log_level;
}

uint64_t tp_client_now_ns(const tp_client_t *client)
{
    return NULL != client->ctx.clock ? client->ctx.clock(client->ctx.clock_clientd) : tp_clock_monotonic_ns();
}

int tp_client_offer(aeron_publication_t *publication, const uint8_t *buffer, size_t length, uint64_t *back_pressured,
                    uint64_t *not_connected, uint64_t *failed)
{
    if (NULL == publication)
    {
        (*not_connected)++;
        return -1;
    }
    /* ADMIN_ACTION is a term rotation in progress: an immediate retry normally succeeds. */
    for (int attempt = 0; attempt < 3; attempt++)
    {
        int64_t result = aeron_publication_offer(publication, buffer, length, NULL, NULL);
        if (result > 0)
        {
            return 0;
        }
        if (AERON_PUBLICATION_ADMIN_ACTION == result)
        {
            continue;
        }
        if (AERON_PUBLICATION_NOT_CONNECTED == result)
        {
            /* Nobody subscribes: nothing is lost for anyone, so not a refusal; the core reports it apart. */
            (*not_connected)++;
            return 1;
        }
        if (AERON_PUBLICATION_BACK_PRESSURED == result)
        {
            (*back_pressured)++;
            return -2;
        }
        (*failed)++;
        return -3;
    }
    (*back_pressured)++;
    return -2;
}

int tp_client_publication_channel(const tp_client_t *client, tp_stream_kind_t kind, const char *channel, char *out,
                                  size_t capacity)
{
    uint32_t term_length = 0;
    switch (kind)
    {
        case TP_STREAM_DESCRIPTOR:
        case TP_STREAM_CONSUMER_DESCRIPTOR:
            term_length = client->ctx.descriptor_term_length;
            break;
        case TP_STREAM_QOS:
        case TP_STREAM_METADATA:
        case TP_STREAM_CONSUMER_CONTROL:
            term_length = client->ctx.control_term_length;
            break;
        default:
            break;
    }
    return tp_context_publication_channel(&client->ctx, channel, term_length, out, capacity);
}

static void tp_client_on_aeron_error(void *clientd, int errcode, const char *message)
{
    tp_client_t *client = clientd;
    tp_client_log(client, TP_LOG_ERROR, "Aeron client error %d: %s", errcode, message);
}

int tp_client_start(tp_client_t **client, const tp_context_t *ctx)
{
    if (NULL == client || NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_client_start: %s is NULL", NULL == client ? "client" : "ctx");
        return -1;
    }
    tp_client_t *c = calloc(1, sizeof(*c));
    if (NULL == c)
    {
        TP_SET_ERR_ERRNO("could not allocate a client of %zu bytes", sizeof(*c));
        return -1;
    }
    c->ctx = *ctx;
    tp_idle_strategy_init(&c->idle, c->ctx.idle_kind);

    if (aeron_context_init(&c->aeron_ctx) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "aeron_context_init failed: %s", aeron_errmsg());
        goto fail;
    }
    if (aeron_context_set_dir(c->aeron_ctx, c->ctx.aeron_dir) < 0 ||
        aeron_context_set_driver_timeout_ms(c->aeron_ctx, c->ctx.driver_timeout_ms) < 0 ||
        aeron_context_set_error_handler(c->aeron_ctx, tp_client_on_aeron_error, c) < 0 ||
        aeron_context_set_use_conductor_agent_invoker(c->aeron_ctx, TP_CLIENT_MODE_INVOKER == c->ctx.mode) < 0 ||
        aeron_context_set_pre_touch_mapped_memory(c->aeron_ctx, c->ctx.pre_touch) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "configuring the Aeron context failed: %s", aeron_errmsg());
        goto fail;
    }
    if (aeron_init(&c->aeron, c->aeron_ctx) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "could not connect to the media driver in %s: %s", c->ctx.aeron_dir, aeron_errmsg());
        goto fail;
    }
    if (aeron_start(c->aeron) < 0)
    {
        TP_SET_ERR(TP_ERR_AERON, "could not start the Aeron client (driver dir %s): %s", c->ctx.aeron_dir,
                   aeron_errmsg());
        goto fail;
    }
    tp_client_log(c, TP_LOG_INFO, "connected to the media driver in %s (%s mode)", c->ctx.aeron_dir,
                  TP_CLIENT_MODE_INVOKER == c->ctx.mode ? "invoker" : "agent");
    *client = c;
    return 0;

fail:
    if (NULL != c->aeron)
    {
        aeron_close(c->aeron);
    }
    if (NULL != c->aeron_ctx)
    {
        aeron_context_close(c->aeron_ctx);
    }
    free(c);
    return -1;
}

int tp_client_do_work(tp_client_t *client)
{
    if (aeron_is_closed(client->aeron))
    {
        TP_SET_ERR(TP_ERR_AERON, "the Aeron client has closed (media driver in %s gone or timed out)",
                   client->ctx.aeron_dir);
        return -1;
    }
    if (TP_CLIENT_MODE_INVOKER != client->ctx.mode)
    {
        return 0;
    }
    int work = aeron_main_do_work(client->aeron);
    return work < 0 ? 0 : work;
}

void tp_client_idle(tp_client_t *client, int work_count)
{
    /* Backoff state per thread: in agent mode several application threads may idle on one client. */
    static _Thread_local tp_idle_strategy_t idle;
    static _Thread_local const tp_client_t *idle_owner;
    if (idle_owner != client || idle.kind != client->idle.kind)
    {
        idle = client->idle;
        idle_owner = client;
    }
    tp_idle_strategy_idle(&idle, work_count);
}

void tp_client_wait_step(tp_client_t *client, int work_count)
{
    int work = work_count;
    if (TP_CLIENT_MODE_INVOKER == client->ctx.mode)
    {
        work += aeron_main_do_work(client->aeron) > 0 ? 1 : 0;
    }
    tp_client_idle(client, work);
}

bool tp_client_is_closed(tp_client_t *client)
{
    return aeron_is_closed(client->aeron);
}

const tp_context_t *tp_client_context(const tp_client_t *client)
{
    return &client->ctx;
}

void *tp_client_aeron(tp_client_t *client)
{
    return client->aeron;
}

int tp_client_close(tp_client_t *client)
{
    if (NULL == client)
    {
        return 0;
    }
    aeron_close(client->aeron);
    aeron_context_close(client->aeron_ctx);
    free(client);
    return 0;
}
