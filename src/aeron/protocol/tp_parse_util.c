#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aeron/protocol/tp_parse_util.h"
#include "common/tp_error_private.h"

/* Leading unsigned decimal; sets *end to the first byte after the digits. */
static int tp_parse_leading_u64(const char *text, uint64_t *value, const char **end)
{
    if (NULL == text || *text < '0' || *text > '9')
    {
        return -1;
    }
    uint64_t result = 0;
    const char *p = text;
    while (*p >= '0' && *p <= '9')
    {
        const uint64_t digit = (uint64_t)(*p - '0');
        if (result > (UINT64_MAX - digit) / 10)
        {
            return -1;
        }
        result = result * 10 + digit;
        p++;
    }
    *value = result;
    *end = p;
    return 0;
}

static int tp_multiply_checked(uint64_t value, uint64_t factor, uint64_t *result)
{
    if (0 != value && factor > UINT64_MAX / value)
    {
        return -1;
    }
    *result = value * factor;
    return 0;
}

int tp_parse_size64(const char *text, uint64_t *value)
{
    uint64_t number;
    const char *end;
    if (tp_parse_leading_u64(text, &number, &end) < 0)
    {
        TP_SET_ERR(EINVAL, "size '%s' is not a non-negative integer with optional k/m/g suffix",
                   NULL == text ? "(null)" : text);
        return -1;
    }
    uint64_t factor = 1;
    if ('\0' != *end)
    {
        switch (*end)
        {
            case 'k':
            case 'K':
                factor = 1024ULL;
                break;
            case 'm':
            case 'M':
                factor = 1024ULL * 1024ULL;
                break;
            case 'g':
            case 'G':
                factor = 1024ULL * 1024ULL * 1024ULL;
                break;
            default:
                factor = 0;
                break;
        }
        if (0 == factor || '\0' != end[1])
        {
            TP_SET_ERR(EINVAL, "size '%s' has an unknown suffix (expected k, m or g)", text);
            return -1;
        }
    }
    uint64_t result;
    if (tp_multiply_checked(number, factor, &result) < 0 || result > INT64_MAX)
    {
        TP_SET_ERR(ERANGE, "size '%s' overflows a signed 64-bit value", text);
        return -1;
    }
    *value = result;
    return 0;
}

int tp_parse_duration_ns(const char *text, uint64_t *value)
{
    uint64_t number;
    const char *end;
    if (tp_parse_leading_u64(text, &number, &end) < 0)
    {
        TP_SET_ERR(EINVAL, "duration '%s' is not a non-negative integer with optional ns/us/ms/s suffix",
                   NULL == text ? "(null)" : text);
        return -1;
    }
    uint64_t factor;
    if ('\0' == *end || 0 == strcasecmp(end, "ns"))
    {
        factor = 1;
    }
    else if (0 == strcasecmp(end, "us"))
    {
        factor = 1000ULL;
    }
    else if (0 == strcasecmp(end, "ms"))
    {
        factor = 1000ULL * 1000ULL;
    }
    else if (0 == strcasecmp(end, "s"))
    {
        factor = 1000ULL * 1000ULL * 1000ULL;
    }
    else
    {
        TP_SET_ERR(EINVAL, "duration '%s' has an unknown suffix (expected ns, us, ms or s)", text);
        return -1;
    }
    uint64_t result;
    if (tp_multiply_checked(number, factor, &result) < 0 || result > INT64_MAX)
    {
        TP_SET_ERR(ERANGE, "duration '%s' overflows a signed 64-bit nanosecond value", text);
        return -1;
    }
    *value = result;
    return 0;
}

int tp_parse_int64(const char *text, int64_t *value)
{
    if (NULL == text || '\0' == *text)
    {
        TP_SET_ERR(EINVAL, "integer value is empty");
        return -1;
    }
    char *end = NULL;
    errno = 0;
    const long long result = strtoll(text, &end, 10);
    if (0 != errno || '\0' != *end)
    {
        TP_SET_ERR(EINVAL, "'%s' is not a 64-bit integer", text);
        return -1;
    }
    *value = (int64_t)result;
    return 0;
}

int tp_parse_int32(const char *text, int32_t *value)
{
    int64_t result;
    if (tp_parse_int64(text, &result) < 0)
    {
        return -1;
    }
    if (result < INT32_MIN || result > INT32_MAX)
    {
        TP_SET_ERR(ERANGE, "'%s' does not fit a 32-bit integer", text);
        return -1;
    }
    *value = (int32_t)result;
    return 0;
}

int tp_parse_bool(const char *text, bool *value)
{
    if (NULL != text)
    {
        if (0 == strcasecmp(text, "true") || 0 == strcmp(text, "1"))
        {
            *value = true;
            return 0;
        }
        if (0 == strcasecmp(text, "false") || 0 == strcmp(text, "0"))
        {
            *value = false;
            return 0;
        }
    }
    TP_SET_ERR(EINVAL, "'%s' is not a boolean (true/false)", NULL == text ? "(null)" : text);
    return -1;
}
