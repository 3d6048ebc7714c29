/* Internal side of tp_log.h: delivery without formatting, line formatting, and test hooks. */
#ifndef TENSORPOOL_TP_LOG_PRIVATE_H
#define TENSORPOOL_TP_LOG_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/tp_error_private.h"
#include "tensorpool/tp_log.h"

/* Deliver an already formatted one-line text to the process-wide handler when level is enabled. */
void tp_log_deliver(tp_log_level_t level, const char *component, const char *text);
void tp_log_vwrite(tp_log_level_t level, const char *component, const char *format, va_list args) TP_PRINTF_LIKE(3, 0);

/* "<UTC timestamp> <LEVEL> <component> <text>\n" into buffer (always one whole line); returns its length. */
size_t tp_log_format_line(char *buffer, size_t capacity, tp_log_level_t level, const char *component, const char *text);

/* Replace CR/LF by spaces in place. */
void tp_log_one_line(char *text);

/* The level TP_LOG_LEVEL=value selects (TP_LOG_WARN when unset or empty); *bad tells a value that did not parse. */
tp_log_level_t tp_log_level_from_env(const char *value, bool *bad);

/* Tests only: forget the resolved level (TP_LOG_LEVEL is read again) and restore the default handler. */
void tp_log_reset_for_test(void);

#endif /* TENSORPOOL_TP_LOG_PRIVATE_H */
