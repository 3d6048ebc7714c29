/* The operator tools' Aeron client plumbing (see tp_app_aeron.h). */
#include <stdio.h>
#include <time.h>

#include "tensorpool/tp_error.h"
#include "tp_app_aeron.h"
#include "tp_app_run.h"
#include "client/tp_client_private.h"

#define TP_APP_AERON_ADD_TIMEOUT_NS (10ULL * 1000000000ULL)

void tp_app_aeron_error(const char *program, const char *what)
{
    fprintf(stderr, "%s: %s: ", program, what);
    for (const char *p = aeron_errmsg(); '\0' != *p; p++)
    {
        if ('\n' != *p)
        {
            fputc(*p, stderr);
        }
        else if ('\0' != p[1])
        {
            fputs("; ", stderr);
        }
    }
    fputc('\n', stderr);
}

int tp_app_aeron_connect(const char *program, const char *dir, aeron_context_t **context, aeron_t **aeron)
{
    if (aeron_context_init(context) < 0 || (NULL != dir && aeron_context_set_dir(*context, dir) < 0) ||
        aeron_init(aeron, *context) < 0 || aeron_start(*aeron) < 0)
    {
        tp_app_aeron_error(program, "cannot connect to the media driver");
        return -1;
    }
    return 0;
}

void tp_app_aeron_close(aeron_context_t *context, aeron_t *aeron)
{
    if (NULL != aeron)
    {
        aeron_close(aeron);
    }
    if (NULL != context)
    {
        aeron_context_close(context);
    }
}

int tp_app_aeron_subscribe(const char *program, aeron_t *aeron, const char *channel, int32_t stream_id,
                           aeron_subscription_t **subscription)
{
    char untethered[TP_CHANNEL_MAX];
    if (tp_aeron_channel_untethered(channel, untethered, sizeof(untethered)) < 0)
    {
        fprintf(stderr, "%s: %s\n", program, tp_errmsg());
        return -1;
    }
    aeron_async_add_subscription_t *async = NULL;
    if (aeron_async_add_subscription(&async, aeron, untethered, stream_id, NULL, NULL, NULL, NULL) < 0)
    {
        tp_app_aeron_error(program, "cannot subscribe");
        return -1;
    }
    uint64_t deadline = tp_app_now_ns() + TP_APP_AERON_ADD_TIMEOUT_NS;
    int rc;
    while (0 == (rc = aeron_async_add_subscription_poll(subscription, async)))
    {
        if (!tp_app_is_running() || tp_app_now_ns() >= deadline)
        {
            fprintf(stderr, "%s: the subscription %s %d did not come up\n", program, untethered, (int)stream_id);
            return -1;
        }
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    if (rc < 0)
    {
        tp_app_aeron_error(program, "cannot subscribe");
        return -1;
    }
    return 0;
}
