#include <stdio.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "shm/tp_shm_uri.h"

#define TP_SHM_URI_PREFIX_LEN (sizeof(TP_SHM_URI_PREFIX) - 1)

/* Shortened copy of untrusted text for error messages, with non-printable bytes replaced by '?'. */
static const char *tp_shm_uri_quote(const char *text, size_t length, char *buf, size_t capacity)
{
    size_t n = length < capacity - 1 ? length : capacity - 1;
    for (size_t i = 0; i < n; i++)
    {
        unsigned char c = (unsigned char)text[i];
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    buf[n] = '\0';
    return buf;
}

int tp_shm_uri_check_path(const char *path, size_t length)
{
    char quoted[128];
    if (0 == length)
    {
        TP_SET_ERR(TP_ERR_URI, "region path is empty");
        return -1;
    }
    if ('/' != path[0])
    {
        TP_SET_ERR(TP_ERR_URI, "region path '%s' is not absolute",
                   tp_shm_uri_quote(path, length, quoted, sizeof(quoted)));
        return -1;
    }
    if (length >= PATH_MAX)
    {
        TP_SET_ERR(TP_ERR_URI, "region path of %zu bytes is not shorter than PATH_MAX %d", length, PATH_MAX);
        return -1;
    }
    for (size_t i = 0; i < length; i++)
    {
        unsigned char c = (unsigned char)path[i];
        /* The grammar allows VCHAR (0x21..0x7e) except '?' and '|'; this also excludes NUL, space and DEL. */
        if (c <= 0x20 || c >= 0x7f || '?' == c || '|' == c)
        {
            TP_SET_ERR(TP_ERR_URI, "region path '%s' has forbidden byte 0x%02x at offset %zu",
                       tp_shm_uri_quote(path, length, quoted, sizeof(quoted)), c, i);
            return -1;
        }
    }
    return 0;
}

static int tp_shm_uri_parse_bool(const char *value, size_t length, bool *out)
{
    if (4 == length && 0 == memcmp(value, "true", 4))
    {
        *out = true;
        return 0;
    }
    if (5 == length && 0 == memcmp(value, "false", 5))
    {
        *out = false;
        return 0;
    }
    char quoted[64];
    TP_SET_ERR(TP_ERR_URI, "require_hugepages value '%s' is not 'true' or 'false'",
               tp_shm_uri_quote(value, length, quoted, sizeof(quoted)));
    return -1;
}

static int tp_shm_uri_parse_param(tp_shm_uri_t *uri, const char *param, size_t length, bool *seen_path,
                                  bool *seen_hugepages)
{
    char quoted[128];
    const char *eq = memchr(param, '=', length);
    if (0 == length)
    {
        TP_SET_ERR(TP_ERR_URI, "empty parameter (stray '|')");
        return -1;
    }
    if (NULL == eq)
    {
        TP_SET_ERR(TP_ERR_URI, "parameter '%s' has no '='", tp_shm_uri_quote(param, length, quoted, sizeof(quoted)));
        return -1;
    }
    size_t key_len = (size_t)(eq - param);
    const char *value = eq + 1;
    size_t value_len = length - key_len - 1;
    if (0 == value_len)
    {
        TP_SET_ERR(TP_ERR_URI, "parameter '%s' has an empty value",
                   tp_shm_uri_quote(param, key_len, quoted, sizeof(quoted)));
        return -1;
    }

    if (4 == key_len && 0 == memcmp(param, "path", 4))
    {
        if (*seen_path)
        {
            TP_SET_ERR(TP_ERR_URI, "parameter 'path' given more than once");
            return -1;
        }
        *seen_path = true;
        if (tp_shm_uri_check_path(value, value_len) < 0)
        {
            return -1;
        }
        memcpy(uri->path, value, value_len);
        uri->path[value_len] = '\0';
        return 0;
    }
    if (17 == key_len && 0 == memcmp(param, "require_hugepages", 17))
    {
        if (*seen_hugepages)
        {
            TP_SET_ERR(TP_ERR_URI, "parameter 'require_hugepages' given more than once");
            return -1;
        }
        *seen_hugepages = true;
        return tp_shm_uri_parse_bool(value, value_len, &uri->require_hugepages);
    }

    TP_SET_ERR(TP_ERR_URI, "unknown parameter '%s'", tp_shm_uri_quote(param, key_len, quoted, sizeof(quoted)));
    return -1;
}

int tp_shm_uri_parse_n(tp_shm_uri_t *uri, const char *text, size_t length)
{
    char quoted[128];
    uri->path[0] = '\0';
    uri->require_hugepages = false;

    if (NULL == text)
    {
        TP_SET_ERR(TP_ERR_URI, "region URI is NULL");
        return -1;
    }
    if (length < TP_SHM_URI_PREFIX_LEN || 0 != memcmp(text, TP_SHM_URI_PREFIX, TP_SHM_URI_PREFIX_LEN))
    {
        TP_SET_ERR(TP_ERR_URI, "region URI '%s' does not start with '" TP_SHM_URI_PREFIX "' (unsupported scheme)",
                   tp_shm_uri_quote(text, length, quoted, sizeof(quoted)));
        return -1;
    }

    bool seen_path = false;
    bool seen_hugepages = false;
    const char *cursor = text + TP_SHM_URI_PREFIX_LEN;
    const char *end = text + length;
    for (;;)
    {
        const char *bar = memchr(cursor, '|', (size_t)(end - cursor));
        const char *param_end = NULL == bar ? end : bar;
        if (tp_shm_uri_parse_param(uri, cursor, (size_t)(param_end - cursor), &seen_path, &seen_hugepages) < 0)
        {
            TP_APPEND_ERR("in region URI '%s'", tp_shm_uri_quote(text, length, quoted, sizeof(quoted)));
            uri->path[0] = '\0';
            return -1;
        }
        if (NULL == bar)
        {
            break;
        }
        cursor = bar + 1;
    }

    if (!seen_path)
    {
        TP_SET_ERR(TP_ERR_URI, "region URI '%s' has no 'path' parameter",
                   tp_shm_uri_quote(text, length, quoted, sizeof(quoted)));
        return -1;
    }
    return 0;
}

int tp_shm_uri_parse(tp_shm_uri_t *uri, const char *text)
{
    if (NULL == text)
    {
        uri->path[0] = '\0';
        uri->require_hugepages = false;
        TP_SET_ERR(TP_ERR_URI, "region URI is NULL");
        return -1;
    }
    return tp_shm_uri_parse_n(uri, text, strlen(text));
}

int tp_shm_uri_format(char *buf, size_t capacity, const char *path, bool require_hugepages)
{
    if (NULL == path || tp_shm_uri_check_path(path, strlen(path)) < 0)
    {
        if (NULL == path)
        {
            TP_SET_ERR(TP_ERR_URI, "region path is NULL");
        }
        return -1;
    }
    int n = snprintf(buf, capacity, TP_SHM_URI_PREFIX "path=%s%s", path,
                     require_hugepages ? "|require_hugepages=true" : "");
    if (n < 0 || (size_t)n >= capacity)
    {
        TP_SET_ERR(TP_ERR_URI, "region URI for path '%s' does not fit in %zu bytes", path, capacity);
        return -1;
    }
    return n;
}
