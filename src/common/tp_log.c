/* Process-wide log handler and level (tp_log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/tp_atomic.h"
#include "common/tp_error_private.h"
#include "common/tp_log_private.h"
#include "tensorpool/tp_log.h"

#define TP_LOG_LEVEL_UNSET (-1)

static tp_log_handler_fn tp_log_handler = tp_log_stderr_handler;
static void *tp_log_handler_clientd = NULL;
/* -1 until resolved from TP_LOG_LEVEL (or set explicitly); read on every log call from any thread. */
static volatile int32_t tp_log_level_value = TP_LOG_LEVEL_UNSET;

static const char *const tp_log_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

const char *tp_log_level_name(tp_log_level_t level)
{
    return (int)level >= 0 && (int)level <= TP_LOG_TRACE ? tp_log_names[level] : "?";
}

/* The name or number lookup alone: no thread-local error, so resolving TP_LOG_LEVEL inside a log call never
 * overwrites an error the application is about to read. */
static bool tp_log_level_lookup(const char *text, tp_log_level_t *level)
{
    static const struct
    {
        const char *name;
        tp_log_level_t level;
    } names[] = {
        {"error", TP_LOG_ERROR}, {"warn", TP_LOG_WARN},   {"warning", TP_LOG_WARN}, {"info", TP_LOG_INFO},
        {"debug", TP_LOG_DEBUG}, {"trace", TP_LOG_TRACE}, {"0", TP_LOG_ERROR},      {"1", TP_LOG_WARN},
        {"2", TP_LOG_INFO},      {"3", TP_LOG_DEBUG},     {"4", TP_LOG_TRACE},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    {
        if (0 == strcasecmp(text, names[i].name))
        {
            *level = names[i].level;
            return true;
        }
    }
    return false;
}

int tp_log_level_parse(const char *text, tp_log_level_t *level)
{
    if (NULL == text || NULL == level)
    {
        TP_SET_ERR(EINVAL, "tp_log_level_parse: %s is NULL", NULL == text ? "text" : "level");
        return -1;
    }
    if (!tp_log_level_lookup(text, level))
    {
        TP_SET_ERR(EINVAL, "log level '%s' is not one of error, warn, info, debug, trace or 0..4", text);
        return -1;
    }
    return 0;
}

tp_log_level_t tp_log_level_from_env(const char *value, bool *bad)
{
    tp_log_level_t level = TP_LOG_WARN;
    *bad = false;
    if (NULL != value && '\0' != value[0] && !tp_log_level_lookup(value, &level))
    {
        level = TP_LOG_WARN;
        *bad = true;
    }
    return level;
}

static tp_log_level_t tp_log_resolve_level(void)
{
    int32_t value = tp_load_acquire_i32(&tp_log_level_value);
    if (TP_LOG_LEVEL_UNSET != value)
    {
        return (tp_log_level_t)value;
    }
    bool bad;
    const char *env = getenv("TP_LOG_LEVEL");
    tp_log_level_t level = tp_log_level_from_env(env, &bad);
    /* Only the thread that resolves first reports a bad value: reported once, never fatal. */
    if (tp_cas_i32(&tp_log_level_value, TP_LOG_LEVEL_UNSET, (int32_t)level) && bad)
    {
        tp_log_stderr_handler(NULL, TP_LOG_WARN, "log",
                              "TP_LOG_LEVEL is not one of error, warn, info, debug, trace or 0..4: ignored");
    }
    return (tp_log_level_t)tp_load_acquire_i32(&tp_log_level_value);
}

void tp_log_set_level(tp_log_level_t max_level)
{
    tp_store_release_i32(&tp_log_level_value, (int32_t)max_level);
}

tp_log_level_t tp_log_get_level(void)
{
    return tp_log_resolve_level();
}

bool tp_log_is_enabled(tp_log_level_t level)
{
    return level <= tp_log_resolve_level();
}

void tp_log_reset_for_test(void)
{
    tp_store_release_i32(&tp_log_level_value, TP_LOG_LEVEL_UNSET);
    tp_log_handler = tp_log_stderr_handler;
    tp_log_handler_clientd = NULL;
}

void tp_log_set_handler(tp_log_handler_fn handler, void *clientd)
{
    tp_log_handler = NULL != handler ? handler : tp_log_stderr_handler;
    tp_log_handler_clientd = NULL != handler ? clientd : NULL;
}

void tp_log_stderr_handler(void *clientd, tp_log_level_t level, const char *component, const char *text)
{
    (void)clientd;
    char line[1280];
    tp_log_format_line(line, sizeof(line), level, component, text);
    /* One fputs per line: stdio locks the stream, so lines from concurrent threads do not interleave. */
    fputs(line, stderr);
}

size_t tp_log_format_line(char *buffer, size_t capacity, tp_log_level_t level, const char *component, const char *text)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(buffer, capacity, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s %s\n", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     tp_log_level_name(level), NULL != component ? component : "-", NULL != text ? text : "");
    if (n < 0)
    {
        buffer[0] = '\0';
        return 0;
    }
    if ((size_t)n >= capacity && capacity > 1)
    {
        buffer[capacity - 2] = '\n'; /* truncated: still one whole line */
        return capacity - 1;
    }
    return (size_t)n;
}

void tp_log_one_line(char *text)
{
    /* A peer-controlled string must not forge extra log lines. */
    for (char *p = text; '\0' != *p; p++)
    {
        if ('\n' == *p || '\r' == *p)
        {
            *p = ' ';
        }
    }
}

void tp_log_deliver(tp_log_level_t level, const char *component, const char *text)
{
    if (tp_log_is_enabled(level))
    {
        tp_log_handler(tp_log_handler_clientd, level, component, text);
    }
}

void tp_log_vwrite(tp_log_level_t level, const char *component, const char *format, va_list args)
{
    if (!tp_log_is_enabled(level))
    {
        return;
    }
    char text[1024];
    (void)vsnprintf(text, sizeof(text), format, args);
    tp_log_one_line(text);
    tp_log_handler(tp_log_handler_clientd, level, component, text);
}

void tp_log_write(tp_log_level_t level, const char *component, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    tp_log_vwrite(level, component, format, args);
    va_end(args);
}
