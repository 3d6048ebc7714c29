/*
 * tensorpool logging (Aeron style): a process-wide handler plus the per-context callback of tp_context_set_log().
 *
 * Where a line goes:
 * - an object created from a context with a log callback (tp_context_set_log, tp_driver_context_set_log) logs to
 *   that callback, filtered by the context's max level: the per-context callback takes precedence;
 * - everything else goes to the process-wide handler (tp_log_set_handler), filtered by the process level. The
 *   default handler writes one line to stderr:
 *
 *       2026-12-03T15:23:21.123Z INFO  consumer region.mapped stream=10000 epoch=3 path=/dev/shm/...
 *
 *   (UTC timestamp with milliseconds, level, component, text).
 *
 * The process level is TP_LOG_LEVEL from the environment when set ("error", "warn", "info", "debug", "trace" or
 * 0..4, case-insensitive; a bad value is reported once on stderr and ignored), otherwise TP_LOG_WARN, until
 * tp_log_set_level() is called.
 *
 * Operator events are structured: the text starts with an event name (region.mapped, region.rejected, epoch.changed,
 * lease.attached, lease.revoked, drops, qos, messages.malformed, ...) followed by key=value fields. Nothing is logged
 * on the claim/commit/poll hot paths: those count, and rate-limited summaries are emitted from the periodic duty.
 */
#ifndef TENSORPOOL_TP_LOG_H
#define TENSORPOOL_TP_LOG_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C"
{
#endif

typedef enum tp_log_level_en
{
    TP_LOG_ERROR = 0,
    TP_LOG_WARN = 1,
    TP_LOG_INFO = 2,
    TP_LOG_DEBUG = 3,
    TP_LOG_TRACE = 4,
} tp_log_level_t;

/* Per-context callback (tp_context_set_log): called from whichever thread noticed the event. text is valid for the
 * call only and never contains a newline. */
typedef void (*tp_log_fn)(void *clientd, tp_log_level_t level, const char *text);

/* Process-wide handler: as tp_log_fn, plus the component that logged ("client", "producer", "consumer", "driver",
 * "tp_top", ...). It may be called from several threads at once. */
typedef void (*tp_log_handler_fn)(void *clientd, tp_log_level_t level, const char *component, const char *text);

/* Install the process-wide handler (NULL restores the default stderr handler). Not synchronised with concurrent
 * logging: call it at startup. */
void tp_log_set_handler(tp_log_handler_fn handler, void *clientd);

/* The default handler: one line on stderr (see above). */
void tp_log_stderr_handler(void *clientd, tp_log_level_t level, const char *component, const char *text);

/* Most verbose level the process-wide handler receives; overrides TP_LOG_LEVEL. */
void tp_log_set_level(tp_log_level_t max_level);
tp_log_level_t tp_log_get_level(void);
bool tp_log_is_enabled(tp_log_level_t level);

/* "error" / "warn" (or "warning") / "info" / "debug" / "trace" or "0".."4", case-insensitive. Returns 0, or -1
 * (tp_errmsg()) for anything else. */
int tp_log_level_parse(const char *text, tp_log_level_t *level);
/* "ERROR", "WARN", "INFO", "DEBUG", "TRACE" ("?" for anything else). */
const char *tp_log_level_name(tp_log_level_t level);

/* Format and deliver one line to the process-wide handler when level is enabled; newlines become spaces. */
void tp_log_write(tp_log_level_t level, const char *component, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_LOG_H */
