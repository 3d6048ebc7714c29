/*
 * The Aeron client of the operator tools (tp_attach, tp_top, tp_control_listen): connecting to the media driver,
 * subscribing as an observer, closing, and aeron_errmsg() as one stderr line. Failures are printed as
 * "<program>: <what>: <aeron_errmsg()>" so every tool reports them the same way.
 */
#ifndef TP_APP_AERON_H
#define TP_APP_AERON_H

#include <stdint.h>

#include <aeronc.h>

/* "<program>: <what>: <aeron_errmsg()>" on one line: the message's own line breaks become "; ". */
void tp_app_aeron_error(const char *program, const char *what);

/* A context on dir (NULL: AERON_DIR or the Aeron default) and a started client. 0, or -1 after printing; either
 * way the caller closes what was made with tp_app_aeron_close(). */
int tp_app_aeron_connect(const char *program, const char *dir, aeron_context_t **context, aeron_t **aeron);

/* Client and context from tp_app_aeron_connect(); either may be NULL. */
void tp_app_aeron_close(aeron_context_t *context, aeron_t *aeron);

/* A subscription on channel made untethered (an observer must never hold back the publishers it watches), waited
 * for up to 10 s or until a signal (tp_app_run.h). 0, or -1 after printing. */
int tp_app_aeron_subscribe(const char *program, aeron_t *aeron, const char *channel, int32_t stream_id,
                           aeron_subscription_t **subscription);

#endif /* TP_APP_AERON_H */
