/*
 * SHM driver configuration (driver model spec §17, §11; wire spec §15.22, §15.21a): defaults, the scalar keys
 * set from text (environment, TOML strings), derived defaults, whole-config validation and TOML printing.
 * The TOML parsing itself lives in tp_driver_config_toml.cpp (toml++), which calls back into
 * tp_driver_config_set() for every scalar key so both sources share one set of rules.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "common/tp_idle_strategy.h"
#include "driver/tp_driver_config.h"

#define TP_DRIVER_CONFIG_FILE_MAX (16u * 1024u * 1024u)

/* How a key's text is parsed into its field. */
typedef enum tp_driver_key_parse_en
{
    KEY_PARSE_STRING,
    KEY_PARSE_U32,
    KEY_PARSE_U64,
    KEY_PARSE_BOOL,
    KEY_PARSE_RANGE,
    KEY_PARSE_MODE,
    KEY_PARSE_DIRS,
    KEY_PARSE_PROFILE,
} tp_driver_key_parse_t;

typedef struct tp_driver_key_stct
{
    const char *key;
    tp_driver_key_kind_t kind;
    tp_driver_key_parse_t parse;
    size_t offset;
    size_t size;
    size_t explicit_offset; /* SIZE_MAX: no derived default depends on it being explicit */
} tp_driver_key_t;

#define FIELD_SIZE(f) sizeof(((tp_driver_config_t *)0)->f)
#define KEY(name, kind, parse, f, flag)                                         \
    {                                                                           \
        name, kind, parse, offsetof(tp_driver_config_t, f), FIELD_SIZE(f), flag \
    }
#define NO_FLAG SIZE_MAX
#define FLAG(f) offsetof(tp_driver_config_t, f)

static const tp_driver_key_t tp_driver_keys[] = {
    KEY("driver.instance_id", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, instance_id, NO_FLAG),
    KEY("driver.aeron_dir", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, aeron_dir, NO_FLAG),
    KEY("driver.control_channel", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, control_channel, NO_FLAG),
    KEY("driver.control_stream_id", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, control_stream_id, NO_FLAG),
    KEY("driver.announce_channel", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, announce_channel,
        FLAG(announce_channel_explicit)),
    KEY("driver.announce_stream_id", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, announce_stream_id,
        FLAG(announce_stream_id_explicit)),
    KEY("driver.qos_channel", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, qos_channel, NO_FLAG),
    KEY("driver.qos_stream_id", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, qos_stream_id, NO_FLAG),
    KEY("driver.stream_id_range", TP_DRIVER_KEY_RANGE, KEY_PARSE_RANGE, stream_id_range, NO_FLAG),
    KEY("driver.descriptor_stream_id_range", TP_DRIVER_KEY_RANGE, KEY_PARSE_RANGE, descriptor_stream_id_range, NO_FLAG),
    KEY("driver.control_stream_id_range", TP_DRIVER_KEY_RANGE, KEY_PARSE_RANGE, control_stream_id_range, NO_FLAG),
    KEY("driver.embedded_media_driver", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, embedded_media_driver, NO_FLAG),
    KEY("driver.idle_strategy", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, idle_strategy, NO_FLAG),
    KEY("shm.base_dir", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, base_dir, NO_FLAG),
    KEY("shm.namespace", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, namespace_name, NO_FLAG),
    KEY("shm.require_hugepages", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, require_hugepages, NO_FLAG),
    KEY("shm.page_size_bytes", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, page_size_bytes, NO_FLAG),
    KEY("shm.permissions_mode", TP_DRIVER_KEY_STRING, KEY_PARSE_MODE, permissions_mode, NO_FLAG),
    KEY("shm.allowed_base_dirs", TP_DRIVER_KEY_LIST, KEY_PARSE_DIRS, allowed_base_dirs,
        FLAG(allowed_base_dirs_explicit)),
    KEY("policies.allow_dynamic_streams", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, allow_dynamic_streams, NO_FLAG),
    KEY("policies.default_profile", TP_DRIVER_KEY_STRING, KEY_PARSE_PROFILE, default_profile_index, NO_FLAG),
    KEY("policies.announce_period_ms", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, announce_period_ms, NO_FLAG),
    KEY("policies.lease_keepalive_interval_ms", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, lease_keepalive_interval_ms,
        NO_FLAG),
    KEY("policies.lease_expiry_grace_intervals", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, lease_expiry_grace_intervals,
        NO_FLAG),
    KEY("policies.prefault_shm", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, prefault_shm, NO_FLAG),
    KEY("policies.mlock_shm", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, mlock_shm, NO_FLAG),
    KEY("policies.epoch_gc_enabled", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, epoch_gc_enabled, NO_FLAG),
    KEY("policies.epoch_gc_keep", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, epoch_gc_keep, NO_FLAG),
    KEY("policies.epoch_gc_min_age_ns", TP_DRIVER_KEY_UINT, KEY_PARSE_U64, epoch_gc_min_age_ns,
        FLAG(epoch_gc_min_age_explicit)),
    KEY("policies.epoch_gc_on_startup", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, epoch_gc_on_startup, NO_FLAG),
    KEY("policies.shutdown_timeout_ms", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, shutdown_timeout_ms, NO_FLAG),
    KEY("policies.shutdown_token", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, shutdown_token, NO_FLAG),
    KEY("discovery.enabled", TP_DRIVER_KEY_BOOL, KEY_PARSE_BOOL, discovery_enabled, NO_FLAG),
    KEY("discovery.channel", TP_DRIVER_KEY_STRING, KEY_PARSE_STRING, discovery_channel,
        FLAG(discovery_channel_explicit)),
    KEY("discovery.stream_id", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, discovery_stream_id,
        FLAG(discovery_stream_id_explicit)),
    KEY("discovery.metadata_stream_id", TP_DRIVER_KEY_UINT, KEY_PARSE_U32, discovery_metadata_stream_id, NO_FLAG),
};

#define TP_DRIVER_KEY_COUNT (sizeof(tp_driver_keys) / sizeof(tp_driver_keys[0]))

static const tp_driver_key_t *tp_driver_key_find(const char *key)
{
    for (size_t i = 0; i < TP_DRIVER_KEY_COUNT; i++)
    {
        if (0 == strcmp(tp_driver_keys[i].key, key))
        {
            return &tp_driver_keys[i];
        }
    }
    return NULL;
}

static int tp_driver_copy_string(char *dst, size_t capacity, const char *key, const char *text)
{
    size_t len = strlen(text);
    if (len >= capacity)
    {
        TP_SET_ERR(EINVAL, "%s: value of %zu bytes is longer than the %zu allowed", key, len, capacity - 1);
        return -1;
    }
    memcpy(dst, text, len + 1);
    return 0;
}

/* Strict unsigned decimal: digits only, no sign, no spaces, at most max. */
static int tp_driver_parse_unsigned(const char *text, uint64_t max, uint64_t *value)
{
    if ('\0' == text[0])
    {
        return -1;
    }
    uint64_t v = 0;
    for (const char *p = text; *p != '\0'; p++)
    {
        if (*p < '0' || *p > '9')
        {
            return -1;
        }
        uint64_t digit = (uint64_t)(*p - '0');
        if (v > (max - digit) / 10)
        {
            return -1;
        }
        v = v * 10 + digit;
    }
    *value = v;
    return 0;
}

static int tp_driver_parse_range(const char *key, const char *text, tp_driver_range_t *range)
{
    if ('\0' == text[0])
    {
        range->set = false;
        range->first = 0;
        range->last = 0;
        return 0;
    }
    const char *dash = strchr(text, '-');
    char first_text[16];
    size_t first_len = NULL == dash ? 0 : (size_t)(dash - text);
    uint64_t first = 0;
    uint64_t last = 0;
    if (NULL == dash || 0 == first_len || first_len >= sizeof(first_text))
    {
        TP_SET_ERR(EINVAL, "%s: range '%s' is not \"first-last\" (e.g. \"20000-29999\")", key, text);
        return -1;
    }
    memcpy(first_text, text, first_len);
    first_text[first_len] = '\0';
    if (0 != tp_driver_parse_unsigned(first_text, UINT32_MAX, &first) ||
        0 != tp_driver_parse_unsigned(dash + 1, UINT32_MAX, &last))
    {
        TP_SET_ERR(EINVAL, "%s: range '%s' is not \"first-last\" with both ends uint32", key, text);
        return -1;
    }
    range->set = true;
    range->first = (uint32_t)first;
    range->last = (uint32_t)last;
    return 0;
}

static int tp_driver_parse_mode(const char *key, const char *text, uint32_t *mode)
{
    uint32_t v = 0;
    size_t len = strlen(text);
    if (0 == len || len > 4)
    {
        TP_SET_ERR(EINVAL, "%s: '%s' is not an octal file mode (e.g. \"660\")", key, text);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
    {
        if (text[i] < '0' || text[i] > '7')
        {
            TP_SET_ERR(EINVAL, "%s: '%s' is not an octal file mode (e.g. \"660\")", key, text);
            return -1;
        }
        v = v * 8 + (uint32_t)(text[i] - '0');
    }
    if (v > 0777)
    {
        TP_SET_ERR(EINVAL, "%s: mode '%s' is above 0777 (setuid/setgid/sticky bits are not allowed)", key, text);
        return -1;
    }
    *mode = v;
    return 0;
}

/* ':'-separated; an empty list falls back to the default [base_dir]. */
static int tp_driver_parse_dirs(tp_driver_config_t *config, const char *key, const char *text)
{
    size_t count = 0;
    const char *p = text;
    while ('\0' != *p)
    {
        const char *end = strchr(p, ':');
        size_t len = NULL == end ? strlen(p) : (size_t)(end - p);
        if (len > 0)
        {
            if (count >= TP_DRIVER_MAX_ALLOWED_DIRS)
            {
                TP_SET_ERR(EINVAL, "%s: more than %d directories", key, TP_DRIVER_MAX_ALLOWED_DIRS);
                return -1;
            }
            if (len >= TP_PATH_MAX)
            {
                TP_SET_ERR(EINVAL, "%s: a directory of %zu bytes is longer than the %d allowed", key, len,
                           TP_PATH_MAX - 1);
                return -1;
            }
            memcpy(config->allowed_base_dirs[count], p, len);
            config->allowed_base_dirs[count][len] = '\0';
            count++;
        }
        p = NULL == end ? p + len : end + 1;
    }
    config->allowed_base_dir_count = count;
    config->allowed_base_dirs_explicit = count > 0;
    return 0;
}

int tp_driver_config_key_kind(const char *key)
{
    const tp_driver_key_t *desc = NULL == key ? NULL : tp_driver_key_find(key);
    return NULL == desc ? -1 : (int)desc->kind;
}

int tp_driver_config_set(tp_driver_config_t *config, const char *key, const char *text)
{
    const tp_driver_key_t *desc = tp_driver_key_find(key);
    if (NULL == desc)
    {
        TP_SET_ERR(EINVAL, "unknown configuration key '%s'", key);
        return -1;
    }
    char *field = (char *)config + desc->offset;
    uint64_t v = 0;
    switch (desc->parse)
    {
        case KEY_PARSE_STRING:
            if (0 != tp_driver_copy_string(field, desc->size, key, text))
            {
                return -1;
            }
            break;
        case KEY_PARSE_U32:
            if (0 != tp_driver_parse_unsigned(text, UINT32_MAX, &v))
            {
                TP_SET_ERR(EINVAL, "%s: '%s' is not an unsigned 32-bit integer (0..%" PRIu32 ")", key, text,
                           UINT32_MAX);
                return -1;
            }
            *(uint32_t *)(void *)field = (uint32_t)v;
            break;
        case KEY_PARSE_U64:
            /* Capped at INT64_MAX so that the printed config stays a valid TOML integer. */
            if (0 != tp_driver_parse_unsigned(text, INT64_MAX, &v))
            {
                TP_SET_ERR(EINVAL, "%s: '%s' is not an unsigned integer (0..%" PRId64 ")", key, text, INT64_MAX);
                return -1;
            }
            *(uint64_t *)(void *)field = v;
            break;
        case KEY_PARSE_BOOL:
            if (0 == strcmp(text, "true") || 0 == strcmp(text, "1"))
            {
                *(bool *)(void *)field = true;
            }
            else if (0 == strcmp(text, "false") || 0 == strcmp(text, "0"))
            {
                *(bool *)(void *)field = false;
            }
            else
            {
                TP_SET_ERR(EINVAL, "%s: '%s' is not a boolean (true, false, 1 or 0)", key, text);
                return -1;
            }
            break;
        case KEY_PARSE_RANGE:
            if (0 != tp_driver_parse_range(key, text, (tp_driver_range_t *)(void *)field))
            {
                return -1;
            }
            break;
        case KEY_PARSE_MODE:
            if (0 != tp_driver_parse_mode(key, text, (uint32_t *)(void *)field))
            {
                return -1;
            }
            break;
        case KEY_PARSE_DIRS:
            if (0 != tp_driver_parse_dirs(config, key, text))
            {
                return -1;
            }
            break;
        case KEY_PARSE_PROFILE:
        {
            const tp_driver_profile_t *profile = tp_driver_config_find_profile(config, text);
            if (NULL == profile)
            {
                TP_SET_ERR(EINVAL, "%s: unknown profile '%s' (no [profiles.%s] table)", key, text, text);
                return -1;
            }
            config->default_profile_index = (size_t)(profile - config->profiles);
            break;
        }
    }
    if (SIZE_MAX != desc->explicit_offset && KEY_PARSE_DIRS != desc->parse)
    {
        *(bool *)(void *)((char *)config + desc->explicit_offset) = true;
    }
    tp_driver_config_apply_derived(config);
    return 0;
}

void tp_driver_config_apply_derived(tp_driver_config_t *config)
{
    if (!config->announce_channel_explicit)
    {
        memcpy(config->announce_channel, config->control_channel, sizeof(config->announce_channel));
    }
    if (!config->announce_stream_id_explicit)
    {
        config->announce_stream_id = config->control_stream_id;
    }
    if (!config->discovery_channel_explicit)
    {
        memcpy(config->discovery_channel, config->control_channel, sizeof(config->discovery_channel));
    }
    if (!config->discovery_stream_id_explicit)
    {
        config->discovery_stream_id = config->control_stream_id;
    }
    if (!config->allowed_base_dirs_explicit)
    {
        memcpy(config->allowed_base_dirs[0], config->base_dir, sizeof(config->allowed_base_dirs[0]));
        config->allowed_base_dir_count = 1;
    }
    if (!config->epoch_gc_min_age_explicit)
    {
        config->epoch_gc_min_age_ns = 3u * (uint64_t)config->announce_period_ms * 1000000u;
    }
}

void tp_driver_config_init(tp_driver_config_t *config)
{
    memset(config, 0, sizeof(*config));
    strcpy(config->instance_id, "driver-01");
    strcpy(config->control_channel, "aeron:ipc?term-length=4m");
    config->control_stream_id = 1000;
    strcpy(config->qos_channel, "aeron:ipc?term-length=4m");
    config->qos_stream_id = 1200;
    config->embedded_media_driver = false;
    strcpy(config->idle_strategy, "backoff");
    strcpy(config->base_dir, "/dev/shm/tensorpool");
    strcpy(config->namespace_name, "tensorpool");
    config->require_hugepages = false;
    config->page_size_bytes = 4096;
    config->permissions_mode = 0660;
    config->allow_dynamic_streams = false;
    config->default_profile_index = 0;
    config->announce_period_ms = 1000;
    config->lease_keepalive_interval_ms = 1000;
    config->lease_expiry_grace_intervals = 3;
    config->prefault_shm = true;
    config->mlock_shm = false;
    config->epoch_gc_enabled = true;
    config->epoch_gc_keep = 2;
    config->epoch_gc_on_startup = false;
    config->shutdown_timeout_ms = 2000;
    config->discovery_enabled = true;
    config->discovery_metadata_stream_id = 1300;
    tp_driver_config_apply_derived(config);
}

int tp_driver_config_load_file(tp_driver_config_t *config, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (NULL == f)
    {
        TP_SET_ERR_ERRNO("cannot open driver config file %s", path);
        return -1;
    }
    char *buf = malloc(TP_DRIVER_CONFIG_FILE_MAX + 1);
    if (NULL == buf)
    {
        fclose(f);
        TP_SET_ERR(ENOMEM, "no memory to read driver config file %s", path);
        return -1;
    }
    size_t len = fread(buf, 1, TP_DRIVER_CONFIG_FILE_MAX + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error)
    {
        free(buf);
        TP_SET_ERR(EIO, "cannot read driver config file %s", path);
        return -1;
    }
    if (len > TP_DRIVER_CONFIG_FILE_MAX)
    {
        free(buf);
        TP_SET_ERR(EINVAL, "driver config file %s is larger than %u bytes", path, TP_DRIVER_CONFIG_FILE_MAX);
        return -1;
    }
    int rc = tp_driver_config_load_string(config, buf, len, path);
    free(buf);
    return rc;
}

static void tp_driver_env_name(const char *key, char *name, size_t capacity)
{
    size_t i = 0;
    for (; key[i] != '\0' && i + 1 < capacity; i++)
    {
        char c = key[i];
        name[i] = '.' == c ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    name[i] = '\0';
}

int tp_driver_config_apply_env(tp_driver_config_t *config)
{
    for (size_t i = 0; i < TP_DRIVER_KEY_COUNT; i++)
    {
        char name[64];
        tp_driver_env_name(tp_driver_keys[i].key, name, sizeof(name));
        const char *value = getenv(name);
        if (NULL == value)
        {
            continue;
        }
        if (0 != tp_driver_config_set(config, tp_driver_keys[i].key, value))
        {
            TP_APPEND_ERR("environment variable %s='%s'", name, value);
            return -1;
        }
    }
    tp_driver_config_apply_derived(config);
    return 0;
}

int tp_driver_config_load(tp_driver_config_t *config, const char *path)
{
    tp_driver_config_init(config);
    if (NULL != path && 0 != tp_driver_config_load_file(config, path))
    {
        return -1;
    }
    if (0 != tp_driver_config_apply_env(config) || 0 != tp_driver_config_validate(config))
    {
        if (NULL != path)
        {
            TP_APPEND_ERR("driver config %s", path);
        }
        return -1;
    }
    return 0;
}

const tp_driver_profile_t *tp_driver_config_find_profile(const tp_driver_config_t *config, const char *name)
{
    for (size_t i = 0; i < config->profile_count; i++)
    {
        if (0 == strcmp(config->profiles[i].name, name))
        {
            return &config->profiles[i];
        }
    }
    return NULL;
}

/* ---- validation ---- */

static bool tp_driver_is_pow2(uint64_t v)
{
    return 0 != v && 0 == (v & (v - 1));
}

/* Lexical path length without trailing slashes (but "/" stays "/"). */
static size_t tp_driver_trimmed_len(const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && '/' == path[len - 1])
    {
        len--;
    }
    return len;
}

/* Component-wise lexical containment: dir "/a/b" contains "/a/b" and "/a/b/c", not "/a/bc". */
static bool tp_driver_path_within(const char *path, const char *dir)
{
    size_t plen = tp_driver_trimmed_len(path);
    size_t dlen = tp_driver_trimmed_len(dir);
    if (1 == dlen && '/' == dir[0])
    {
        return true;
    }
    if (plen < dlen || 0 != strncmp(path, dir, dlen))
    {
        return false;
    }
    return plen == dlen || '/' == path[dlen];
}

static bool tp_driver_safe_component(const char *s, bool strict_charset)
{
    if ('\0' == s[0] || 0 == strcmp(s, ".") || 0 == strcmp(s, ".."))
    {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++)
    {
        char c = *p;
        bool ok = strict_charset ? ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                    '.' == c || '_' == c || '-' == c)
                                 : ('/' != c && (unsigned char)c >= 0x20);
        if (!ok)
        {
            return false;
        }
    }
    return true;
}

typedef struct tp_driver_named_range_stct
{
    const char *key;
    const tp_driver_range_t *range;
} tp_driver_named_range_t;

static int tp_driver_validate_ranges(const tp_driver_config_t *config)
{
    const tp_driver_named_range_t ranges[] = {
        {"driver.stream_id_range", &config->stream_id_range},
        {"driver.descriptor_stream_id_range", &config->descriptor_stream_id_range},
        {"driver.control_stream_id_range", &config->control_stream_id_range},
    };
    const struct
    {
        const char *key;
        uint32_t id;
    } fixed[] = {
        {"driver.control_stream_id", config->control_stream_id},
        {"driver.announce_stream_id", config->announce_stream_id},
        {"driver.qos_stream_id", config->qos_stream_id},
    };
    for (size_t i = 0; i < 3; i++)
    {
        const tp_driver_range_t *r = ranges[i].range;
        if (!r->set)
        {
            continue;
        }
        if (r->first > r->last)
        {
            TP_SET_ERR(EINVAL, "%s: inverted range %" PRIu32 "-%" PRIu32 " (start > end)", ranges[i].key, r->first,
                       r->last);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
        {
            const tp_driver_range_t *o = ranges[j].range;
            if (o->set && r->first <= o->last && o->first <= r->last)
            {
                TP_SET_ERR(EINVAL, "%s %" PRIu32 "-%" PRIu32 " overlaps %s %" PRIu32 "-%" PRIu32, ranges[i].key,
                           r->first, r->last, ranges[j].key, o->first, o->last);
                return -1;
            }
        }
        for (size_t j = 0; j < 3; j++)
        {
            if (fixed[j].id >= r->first && fixed[j].id <= r->last)
            {
                TP_SET_ERR(EINVAL, "%s %" PRIu32 "-%" PRIu32 " contains %s %" PRIu32, ranges[i].key, r->first, r->last,
                           fixed[j].key, fixed[j].id);
                return -1;
            }
        }
        for (size_t s = 0; s < config->stream_count; s++)
        {
            uint32_t id = config->streams[s].stream_id;
            if (id >= r->first && id <= r->last)
            {
                TP_SET_ERR(EINVAL, "%s %" PRIu32 "-%" PRIu32 " contains streams.%s.stream_id %" PRIu32, ranges[i].key,
                           r->first, r->last, config->streams[s].name, id);
                return -1;
            }
        }
    }
    return 0;
}

static int tp_driver_validate_profiles(const tp_driver_config_t *config)
{
    if (0 == config->profile_count)
    {
        TP_SET_ERR(EINVAL, "no profile defined: at least one [profiles.<name>] table is required");
        return -1;
    }
    for (size_t i = 0; i < config->profile_count; i++)
    {
        const tp_driver_profile_t *p = &config->profiles[i];
        if (!tp_driver_is_pow2(p->header_nslots))
        {
            TP_SET_ERR(EINVAL, "profiles.%s.header_nslots = %" PRIu32 " is not a power of two", p->name,
                       p->header_nslots);
            return -1;
        }
        if (0 == p->pool_count)
        {
            TP_SET_ERR(EINVAL, "profiles.%s.payload_pools is empty: a profile needs at least one pool", p->name);
            return -1;
        }
        for (size_t j = 0; j < p->pool_count; j++)
        {
            const tp_driver_pool_config_t *pool = &p->pools[j];
            for (size_t k = 0; k < j; k++)
            {
                if (p->pools[k].pool_id == pool->pool_id)
                {
                    TP_SET_ERR(EINVAL, "profiles.%s.payload_pools: duplicate pool_id %u", p->name,
                               (unsigned)pool->pool_id);
                    return -1;
                }
            }
            if (!tp_driver_is_pow2(pool->stride_bytes))
            {
                TP_SET_ERR(EINVAL,
                           "profiles.%s.payload_pools pool_id %u: stride_bytes %" PRIu32 " is not a power of two",
                           p->name, (unsigned)pool->pool_id, pool->stride_bytes);
                return -1;
            }
            if (0 != pool->stride_bytes % config->page_size_bytes)
            {
                TP_SET_ERR(EINVAL,
                           "profiles.%s.payload_pools pool_id %u: stride_bytes %" PRIu32
                           " is not a multiple of shm.page_size_bytes %" PRIu32,
                           p->name, (unsigned)pool->pool_id, pool->stride_bytes, config->page_size_bytes);
                return -1;
            }
        }
    }
    if (config->default_profile_index >= config->profile_count)
    {
        TP_SET_ERR(EINVAL, "policies.default_profile: index %zu is not a defined profile",
                   config->default_profile_index);
        return -1;
    }
    for (size_t s = 0; s < config->stream_count; s++)
    {
        const tp_driver_stream_config_t *st = &config->streams[s];
        if (st->profile_index >= config->profile_count)
        {
            TP_SET_ERR(EINVAL, "streams.%s.profile: index %zu is not a defined profile", st->name, st->profile_index);
            return -1;
        }
        for (size_t t = 0; t < s; t++)
        {
            if (config->streams[t].stream_id == st->stream_id)
            {
                TP_SET_ERR(EINVAL, "streams.%s.stream_id %" PRIu32 " duplicates streams.%s.stream_id", st->name,
                           st->stream_id, config->streams[t].name);
                return -1;
            }
        }
    }
    return 0;
}

static int tp_driver_validate_shm(const tp_driver_config_t *config)
{
    if (!tp_driver_is_pow2(config->page_size_bytes))
    {
        TP_SET_ERR(EINVAL, "shm.page_size_bytes = %" PRIu32 " is not a power of two", config->page_size_bytes);
        return -1;
    }
    if (config->permissions_mode > 0777)
    {
        TP_SET_ERR(EINVAL, "shm.permissions_mode %o is above 0777", (unsigned)config->permissions_mode);
        return -1;
    }
    if ('/' != config->base_dir[0])
    {
        TP_SET_ERR(EINVAL, "shm.base_dir '%s' is not an absolute path", config->base_dir);
        return -1;
    }
    if (!tp_driver_safe_component(config->namespace_name, true))
    {
        TP_SET_ERR(EINVAL, "shm.namespace '%s' is not a single safe path component ([A-Za-z0-9._-], not . or ..)",
                   config->namespace_name);
        return -1;
    }
    if (0 == config->allowed_base_dir_count)
    {
        TP_SET_ERR(EINVAL, "shm.allowed_base_dirs is empty");
        return -1;
    }
    bool contained = false;
    for (size_t i = 0; i < config->allowed_base_dir_count; i++)
    {
        if ('/' != config->allowed_base_dirs[i][0])
        {
            TP_SET_ERR(EINVAL, "shm.allowed_base_dirs entry '%s' is not an absolute path",
                       config->allowed_base_dirs[i]);
            return -1;
        }
        contained = contained || tp_driver_path_within(config->base_dir, config->allowed_base_dirs[i]);
    }
    if (!contained)
    {
        TP_SET_ERR(EINVAL, "shm.base_dir '%s' is not inside any of shm.allowed_base_dirs", config->base_dir);
        return -1;
    }
    return 0;
}

static int tp_driver_validate_policies(const tp_driver_config_t *config)
{
    const struct
    {
        const char *key;
        uint32_t value;
    } nonzero[] = {
        {"policies.announce_period_ms", config->announce_period_ms},
        {"policies.lease_keepalive_interval_ms", config->lease_keepalive_interval_ms},
        {"policies.lease_expiry_grace_intervals", config->lease_expiry_grace_intervals},
        {"policies.epoch_gc_keep", config->epoch_gc_keep},
        {"discovery.stream_id", config->discovery_stream_id},
        {"discovery.metadata_stream_id", config->discovery_metadata_stream_id},
    };
    for (size_t i = 0; i < sizeof(nonzero) / sizeof(nonzero[0]); i++)
    {
        if (0 == nonzero[i].value)
        {
            TP_SET_ERR(EINVAL, "%s must be at least 1, not 0", nonzero[i].key);
            return -1;
        }
    }
    if (config->allow_dynamic_streams && !config->stream_id_range.set)
    {
        TP_SET_ERR(EINVAL, "policies.allow_dynamic_streams = true needs a non-empty driver.stream_id_range");
        return -1;
    }
    return 0;
}

static int tp_driver_validate_driver(const tp_driver_config_t *config)
{
    if (!tp_driver_safe_component(config->instance_id, false))
    {
        TP_SET_ERR(EINVAL, "driver.instance_id '%s' must be non-empty, without '/' or control characters, not . or ..",
                   config->instance_id);
        return -1;
    }
    const struct
    {
        const char *key;
        const char *value;
    } channels[] = {
        {"driver.control_channel", config->control_channel},
        {"driver.announce_channel", config->announce_channel},
        {"driver.qos_channel", config->qos_channel},
        {"discovery.channel", config->discovery_channel},
    };
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
    {
        if (0 != strncmp(channels[i].value, "aeron:", 6))
        {
            TP_SET_ERR(EINVAL, "%s '%s' is not an Aeron channel (aeron:...)", channels[i].key, channels[i].value);
            return -1;
        }
    }
    tp_idle_kind_t kind;
    if (0 != tp_idle_strategy_parse(config->idle_strategy, &kind))
    {
        TP_SET_ERR(EINVAL, "driver.idle_strategy '%s' is not spin, noop, yield, sleep or backoff",
                   config->idle_strategy);
        return -1;
    }
    return 0;
}

int tp_driver_config_validate(const tp_driver_config_t *config)
{
    if (0 != tp_driver_validate_driver(config) || 0 != tp_driver_validate_shm(config) ||
        0 != tp_driver_validate_policies(config) || 0 != tp_driver_validate_profiles(config) ||
        0 != tp_driver_validate_ranges(config))
    {
        return -1;
    }
    return 0;
}

/* ---- printing ---- */

/* A TOML basic string: quotes, backslashes and control characters escaped. */
static void tp_driver_print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
    {
        if ('"' == *p || '\\' == *p)
        {
            fputc('\\', out);
            fputc(*p, out);
        }
        else if (*p < 0x20 || 0x7f == *p)
        {
            fprintf(out, "\\u%04x", (unsigned)*p);
        }
        else
        {
            fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void tp_driver_print_key(FILE *out, const tp_driver_config_t *config, const tp_driver_key_t *desc)
{
    const char *name = strchr(desc->key, '.') + 1;
    const char *field = (const char *)config + desc->offset;
    fprintf(out, "%s = ", name);
    switch (desc->parse)
    {
        case KEY_PARSE_STRING:
            tp_driver_print_string(out, field);
            break;
        case KEY_PARSE_U32:
            fprintf(out, "%" PRIu32, *(const uint32_t *)(const void *)field);
            break;
        case KEY_PARSE_U64:
            fprintf(out, "%" PRIu64, *(const uint64_t *)(const void *)field);
            break;
        case KEY_PARSE_BOOL:
            fputs(*(const bool *)(const void *)field ? "true" : "false", out);
            break;
        case KEY_PARSE_RANGE:
        {
            const tp_driver_range_t *r = (const tp_driver_range_t *)(const void *)field;
            if (r->set)
            {
                fprintf(out, "\"%" PRIu32 "-%" PRIu32 "\"", r->first, r->last);
            }
            else
            {
                fputs("\"\"", out);
            }
            break;
        }
        case KEY_PARSE_MODE:
            fprintf(out, "\"%04o\"", (unsigned)config->permissions_mode);
            break;
        case KEY_PARSE_DIRS:
            fputc('[', out);
            for (size_t i = 0; i < config->allowed_base_dir_count; i++)
            {
                fputs(i > 0 ? ", " : "", out);
                tp_driver_print_string(out, config->allowed_base_dirs[i]);
            }
            fputc(']', out);
            break;
        case KEY_PARSE_PROFILE:
            tp_driver_print_string(out, config->default_profile_index < config->profile_count
                                            ? config->profiles[config->default_profile_index].name
                                            : "");
            break;
    }
    fputc('\n', out);
}

void tp_driver_config_print(const tp_driver_config_t *config, FILE *out)
{
    const char *previous = NULL;
    fputs("# Effective SHM driver configuration (driver model spec section 17).\n", out);
    for (size_t i = 0; i < TP_DRIVER_KEY_COUNT; i++)
    {
        const tp_driver_key_t *desc = &tp_driver_keys[i];
        size_t section_len = (size_t)(strchr(desc->key, '.') - desc->key);
        /* A new [section] whenever the "section." prefix changes (the table is grouped by section). */
        if (NULL == previous || 0 != strncmp(previous, desc->key, section_len + 1))
        {
            fprintf(out, "%s[%.*s]\n", NULL == previous ? "" : "\n", (int)section_len, desc->key);
        }
        previous = desc->key;
        if (KEY_PARSE_PROFILE == desc->parse && 0 == config->profile_count)
        {
            continue; /* no profile to name: leave the key out so the output still loads */
        }
        tp_driver_print_key(out, config, desc);
    }
    for (size_t i = 0; i < config->profile_count; i++)
    {
        const tp_driver_profile_t *p = &config->profiles[i];
        fputs("\n[profiles.", out);
        tp_driver_print_string(out, p->name);
        fprintf(out, "]\nheader_nslots = %" PRIu32 "\npayload_pools = [", p->header_nslots);
        for (size_t j = 0; j < p->pool_count; j++)
        {
            fprintf(out, "%s{ pool_id = %u, stride_bytes = %" PRIu32 " }", j > 0 ? ", " : "",
                    (unsigned)p->pools[j].pool_id, p->pools[j].stride_bytes);
        }
        fputs("]\n", out);
    }
    for (size_t i = 0; i < config->stream_count; i++)
    {
        const tp_driver_stream_config_t *s = &config->streams[i];
        fputs("\n[streams.", out);
        tp_driver_print_string(out, s->name);
        fprintf(out, "]\nstream_id = %" PRIu32 "\nprofile = ", s->stream_id);
        tp_driver_print_string(out,
                               s->profile_index < config->profile_count ? config->profiles[s->profile_index].name : "");
        fputc('\n', out);
    }
}
