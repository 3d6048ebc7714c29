#include <errno.h>
#include <string.h>

#include "aeron/protocol/tp_aeron_uri.h"
#include "aeron/protocol/tp_parse_util.h"
#include "common/tp_error_private.h"

/* Longest prefix of the channel that is shown in messages. */
#define TP_URI_ECHO_LENGTH 256

static int tp_aeron_uri_add_param(tp_aeron_uri_t *uri, const char *key, const char *value)
{
    if (uri->param_count >= TP_URI_MAX_PARAMS)
    {
        TP_SET_ERR(EINVAL, "channel has more than %d parameters", TP_URI_MAX_PARAMS);
        return -1;
    }
    uri->params[uri->param_count].key = key;
    uri->params[uri->param_count].value = value;
    uri->param_count++;
    return 0;
}

/* Splits key=value pairs in place; mirrors the official parser's acceptance rules. */
static int tp_aeron_uri_parse_params(tp_aeron_uri_t *uri, char *params)
{
    char *key = NULL;
    char *value = NULL;
    bool in_value = false;

    for (char *p = params; '\0' != *p; p++)
    {
        if (!in_value)
        {
            if ('=' == *p)
            {
                if (NULL == key)
                {
                    TP_SET_ERR(EINVAL, "empty key in channel parameters '%.*s'", TP_URI_ECHO_LENGTH, params);
                    return -1;
                }
                *p = '\0';
                value = NULL;
                in_value = true;
            }
            else if ('|' == *p)
            {
                TP_SET_ERR(EINVAL, "parameter '%.*s' has no '=' before '|'", (int)(p - (NULL == key ? p : key)),
                           NULL == key ? p : key);
                return -1;
            }
            else if (NULL == key)
            {
                key = p;
            }
        }
        else
        {
            if ('|' == *p)
            {
                if (NULL == value)
                {
                    TP_SET_ERR(EINVAL, "empty value for channel parameter '%s'", key);
                    return -1;
                }
                *p = '\0';
                if (tp_aeron_uri_add_param(uri, key, value) < 0)
                {
                    return -1;
                }
                key = NULL;
                in_value = false;
            }
            else if (NULL == value)
            {
                value = p;
            }
        }
    }

    if (in_value)
    {
        if (NULL == value)
        {
            TP_SET_ERR(EINVAL, "empty value for channel parameter '%s'", key);
            return -1;
        }
        return tp_aeron_uri_add_param(uri, key, value);
    }
    return 0;
}

int tp_aeron_uri_parse(tp_aeron_uri_t *uri, const char *channel, size_t length)
{
    uri->param_count = 0;
    uri->is_spy = false;
    uri->media = 0;
    uri->text[0] = '\0';

    if (NULL == channel || 0 == length)
    {
        TP_SET_ERR(EINVAL, "channel is empty");
        return -1;
    }
    if (length > TP_URI_MAX_LENGTH)
    {
        TP_SET_ERR(EINVAL, "channel length %zu exceeds the maximum %d", length, TP_URI_MAX_LENGTH);
        return -1;
    }
    /* The channel is not NUL-terminated (it comes straight from a command), so never echo more than it holds. */
    int echo = length < TP_URI_ECHO_LENGTH ? (int)length : TP_URI_ECHO_LENGTH;
    if (NULL != memchr(channel, '\0', length))
    {
        TP_SET_ERR(EINVAL, "channel '%.*s' contains a NUL byte", echo, channel);
        return -1;
    }
    memcpy(uri->text, channel, length);
    uri->text[length] = '\0';

    char *p = uri->text;
    if (0 == strncmp(p, TP_URI_SPY_PREFIX, strlen(TP_URI_SPY_PREFIX)))
    {
        uri->is_spy = true;
        p += strlen(TP_URI_SPY_PREFIX);
    }
    if (0 != strncmp(p, TP_URI_SCHEME, strlen(TP_URI_SCHEME)))
    {
        TP_SET_ERR(EINVAL, "channel '%.*s' does not start with 'aeron:'", echo, channel);
        return -1;
    }
    p += strlen(TP_URI_SCHEME);

    if (0 == strncmp(p, "ipc", 3) && ('\0' == p[3] || '?' == p[3]))
    {
        uri->media = TP_URI_MEDIA_IPC;
        p += 3;
    }
    else if (0 == strncmp(p, "udp", 3) && ('\0' == p[3] || '?' == p[3]))
    {
        uri->media = TP_URI_MEDIA_UDP;
        p += 3;
    }
    else
    {
        TP_SET_ERR(EINVAL, "channel '%.*s' has unknown media (expected aeron:ipc or aeron:udp)", echo, channel);
        return -1;
    }

    if ('?' == *p)
    {
        p++;
        if (tp_aeron_uri_parse_params(uri, p) < 0)
        {
            TP_APPEND_ERR("parsing channel '%.*s'", echo, channel);
            return -1;
        }
    }
    return 0;
}

const char *tp_aeron_uri_find_param(const tp_aeron_uri_t *uri, const char *key)
{
    for (size_t i = uri->param_count; i > 0; i--)
    {
        if (0 == strcmp(uri->params[i - 1].key, key))
        {
            return uri->params[i - 1].value;
        }
    }
    return NULL;
}

int tp_aeron_uri_get_int32(const tp_aeron_uri_t *uri, const char *key, int32_t default_value, int32_t *value)
{
    const char *text = tp_aeron_uri_find_param(uri, key);
    if (NULL == text)
    {
        *value = default_value;
        return 0;
    }
    if (tp_parse_int32(text, value) < 0)
    {
        TP_APPEND_ERR("channel parameter %s=%s", key, text);
        return -1;
    }
    return 1;
}

int tp_aeron_uri_get_int64(const tp_aeron_uri_t *uri, const char *key, int64_t default_value, int64_t *value)
{
    const char *text = tp_aeron_uri_find_param(uri, key);
    if (NULL == text)
    {
        *value = default_value;
        return 0;
    }
    if (tp_parse_int64(text, value) < 0)
    {
        TP_APPEND_ERR("channel parameter %s=%s", key, text);
        return -1;
    }
    return 1;
}

int tp_aeron_uri_get_bool(const tp_aeron_uri_t *uri, const char *key, bool default_value, bool *value)
{
    const char *text = tp_aeron_uri_find_param(uri, key);
    if (NULL == text)
    {
        *value = default_value;
        return 0;
    }
    if (tp_parse_bool(text, value) < 0)
    {
        TP_APPEND_ERR("channel parameter %s=%s", key, text);
        return -1;
    }
    return 1;
}

int tp_aeron_uri_get_size(const tp_aeron_uri_t *uri, const char *key, uint64_t default_value, uint64_t *value)
{
    const char *text = tp_aeron_uri_find_param(uri, key);
    if (NULL == text)
    {
        *value = default_value;
        return 0;
    }
    if (tp_parse_size64(text, value) < 0)
    {
        TP_APPEND_ERR("channel parameter %s=%s", key, text);
        return -1;
    }
    return 1;
}

int tp_aeron_uri_get_duration_ns(const tp_aeron_uri_t *uri, const char *key, uint64_t default_value, uint64_t *value)
{
    const char *text = tp_aeron_uri_find_param(uri, key);
    if (NULL == text)
    {
        *value = default_value;
        return 0;
    }
    if (tp_parse_duration_ns(text, value) < 0)
    {
        TP_APPEND_ERR("channel parameter %s=%s", key, text);
        return -1;
    }
    return 1;
}
