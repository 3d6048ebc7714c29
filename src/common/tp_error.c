#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tp_error_private.h"

#define TP_ERR_MSG_CAPACITY 4096

/* Per-thread so that concurrent agents never see each other's errors. */
static _Thread_local int tp_err_code = 0;
static _Thread_local size_t tp_err_len = 0;
static _Thread_local char tp_err_msg[TP_ERR_MSG_CAPACITY];

static const char *tp_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return NULL == slash ? path : slash + 1;
}

/* Appends formatted text, truncating at capacity: a long chain never overflows, it just loses its tail. */
static void tp_err_vappend(const char *format, va_list args) TP_PRINTF_LIKE(1, 0);
static void tp_err_vappend(const char *format, va_list args)
{
    if (tp_err_len >= TP_ERR_MSG_CAPACITY - 1)
    {
        return;
    }
    int n = vsnprintf(tp_err_msg + tp_err_len, TP_ERR_MSG_CAPACITY - tp_err_len, format, args);
    if (n > 0)
    {
        tp_err_len += (size_t)n;
        if (tp_err_len > TP_ERR_MSG_CAPACITY - 1)
        {
            tp_err_len = TP_ERR_MSG_CAPACITY - 1;
        }
    }
}

static void tp_err_append_raw(const char *format, ...) TP_PRINTF_LIKE(1, 2);
static void tp_err_append_raw(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    tp_err_vappend(format, args);
    va_end(args);
}

static void tp_err_start(int code, const char *function, const char *file, int line)
{
    tp_err_code = code;
    tp_err_len = 0;
    tp_err_msg[0] = '\0';
    tp_err_append_raw("(%s) [%s, %s:%d] ", tp_errcode_name(code), function, tp_basename(file), line);
}

void tp_err_set(int code, const char *function, const char *file, int line, const char *format, ...)
{
    tp_err_start(code, function, file, line);
    va_list args;
    va_start(args, format);
    tp_err_vappend(format, args);
    va_end(args);
}

void tp_err_set_errno(const char *function, const char *file, int line, const char *format, ...)
{
    int saved = errno;
    tp_err_start(0 == saved ? TP_ERR_GENERIC : saved, function, file, line);
    va_list args;
    va_start(args, format);
    tp_err_vappend(format, args);
    va_end(args);
    tp_err_append_raw(": %s", strerror(saved));
    errno = saved;
}

void tp_err_append(const char *function, const char *file, int line, const char *format, ...)
{
    if (0 == tp_err_code)
    {
        tp_err_code = TP_ERR_GENERIC;
    }
    tp_err_append_raw("\n    [%s, %s:%d] ", function, tp_basename(file), line);
    va_list args;
    va_start(args, format);
    tp_err_vappend(format, args);
    va_end(args);
}

int tp_errcode(void)
{
    return tp_err_code;
}

const char *tp_errmsg(void)
{
    return tp_err_msg;
}

void tp_err_clear(void)
{
    tp_err_code = 0;
    tp_err_len = 0;
    tp_err_msg[0] = '\0';
}

const char *tp_errcode_name(int code)
{
    switch (code)
    {
        case TP_ERR_OK:
            return "OK";
        case TP_ERR_GENERIC:
            return "TP_ERR_GENERIC";
        case TP_ERR_URI:
            return "TP_ERR_URI";
        case TP_ERR_PATH:
            return "TP_ERR_PATH";
        case TP_ERR_HUGEPAGES:
            return "TP_ERR_HUGEPAGES";
        case TP_ERR_STRIDE:
            return "TP_ERR_STRIDE";
        case TP_ERR_SUPERBLOCK:
            return "TP_ERR_SUPERBLOCK";
        case TP_ERR_LAYOUT:
            return "TP_ERR_LAYOUT";
        case TP_ERR_CODEC:
            return "TP_ERR_CODEC";
        case TP_ERR_NO_SPACE:
            return "TP_ERR_NO_SPACE";
        case TP_ERR_STATE:
            return "TP_ERR_STATE";
        case TP_ERR_TIMEOUT:
            return "TP_ERR_TIMEOUT";
        case TP_ERR_AERON:
            return "TP_ERR_AERON";
        case EINVAL:
            return "EINVAL";
        case ENOENT:
            return "ENOENT";
        case EEXIST:
            return "EEXIST";
        case EACCES:
            return "EACCES";
        case EPERM:
            return "EPERM";
        case ENOMEM:
            return "ENOMEM";
        case ENOSPC:
            return "ENOSPC";
        case ELOOP:
            return "ELOOP";
        case ENOTDIR:
            return "ENOTDIR";
        case EISDIR:
            return "EISDIR";
        case ENAMETOOLONG:
            return "ENAMETOOLONG";
        case EIO:
            return "EIO";
        case EBUSY:
            return "EBUSY";
        default:
            return code > 0 && code < 1000 ? "errno" : "unknown";
    }
}
