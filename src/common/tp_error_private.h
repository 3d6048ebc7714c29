/*
 * Internal helpers that set and extend the thread-local error (see tp_error.h).
 *
 * TP_SET_ERR starts a new error: the code plus a message naming what was wrong and the value.
 * TP_APPEND_ERR adds one line of context on the way up, keeping the root cause first.
 */
#ifndef TENSORPOOL_TP_ERROR_PRIVATE_H
#define TENSORPOOL_TP_ERROR_PRIVATE_H

#include "tensorpool/tp_error.h"

#if defined(__GNUC__)
#define TP_PRINTF_LIKE(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))
#else
#define TP_PRINTF_LIKE(fmt_idx, args_idx)
#endif

void tp_err_set(int code, const char *function, const char *file, int line, const char *format, ...)
    TP_PRINTF_LIKE(5, 6);
void tp_err_append(const char *function, const char *file, int line, const char *format, ...) TP_PRINTF_LIKE(4, 5);

#define TP_SET_ERR(code, ...) tp_err_set((code), __func__, __FILE__, __LINE__, __VA_ARGS__)
#define TP_APPEND_ERR(...)    tp_err_append(__func__, __FILE__, __LINE__, __VA_ARGS__)

/* Set the error from errno after a failed system call, naming the call and its subject. */
#define TP_SET_ERR_ERRNO(...) tp_err_set_errno(__func__, __FILE__, __LINE__, __VA_ARGS__)
void tp_err_set_errno(const char *function, const char *file, int line, const char *format, ...) TP_PRINTF_LIKE(4, 5);

#endif /* TENSORPOOL_TP_ERROR_PRIVATE_H */
