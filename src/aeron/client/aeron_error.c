/* Thread-local error state behind aeron_errcode() / aeron_errmsg(). */
#include <stdio.h>
#include <string.h>

#include "aeron_client_private.h"

#define AERON_ERRMSG_CAPACITY 2048

static _Thread_local int aeron_tls_errcode;
static _Thread_local char aeron_tls_errmsg[AERON_ERRMSG_CAPACITY];

void aeron_err_set(int errcode, const char *format, ...)
{
    aeron_tls_errcode = errcode;
    va_list args;
    va_start(args, format);
    vsnprintf(aeron_tls_errmsg, sizeof(aeron_tls_errmsg), format, args);
    va_end(args);
}

void aeron_err_append(const char *format, ...)
{
    size_t used = strlen(aeron_tls_errmsg);
    if (used + 2 >= sizeof(aeron_tls_errmsg))
    {
        return;
    }
    aeron_tls_errmsg[used++] = '\n';
    aeron_tls_errmsg[used] = '\0';
    va_list args;
    va_start(args, format);
    vsnprintf(aeron_tls_errmsg + used, sizeof(aeron_tls_errmsg) - used, format, args);
    va_end(args);
}

void aeron_err_clear(void)
{
    aeron_tls_errcode = 0;
    aeron_tls_errmsg[0] = '\0';
}

int aeron_errcode(void)
{
    return aeron_tls_errcode;
}

const char *aeron_errmsg(void)
{
    return aeron_tls_errmsg;
}
