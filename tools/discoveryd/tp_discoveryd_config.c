/* tp_discoveryd configuration: defaults, [registry] keys from text (file and environment), validation, printing. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "control/tp_control_message.h"
#include "tp_app_quote.h"
#include "tp_discoveryd_config.h"

#define TP_DISCOVERYD_DEFAULT_METADATA_STREAM 1300

typedef enum tp_discoveryd_key_type_en
{
    TP_DISCOVERYD_KEY_STRING,
    TP_DISCOVERYD_KEY_U32,
} tp_discoveryd_key_type_t;

typedef struct tp_discoveryd_key_stct
{
    const char *key;
    tp_discoveryd_key_type_t type;
    size_t offset;
    size_t size;  /* string capacity */
    uint32_t min; /* u32 range */
} tp_discoveryd_key_t;

#define TP_DISCOVERYD_STRING_KEY(k, field)                                    \
    {                                                                         \
        k, TP_DISCOVERYD_KEY_STRING, offsetof(tp_discoveryd_config_t, field), \
            sizeof(((tp_discoveryd_config_t *)0)->field), 0                   \
    }
#define TP_DISCOVERYD_U32_KEY(k, field, lo)                                      \
    {                                                                            \
        k, TP_DISCOVERYD_KEY_U32, offsetof(tp_discoveryd_config_t, field), 0, lo \
    }

static const tp_discoveryd_key_t tp_discoveryd_keys[] = {
    TP_DISCOVERYD_STRING_KEY("registry.aeron_dir", aeron_dir),
    TP_DISCOVERYD_STRING_KEY("registry.channel", channel),
    TP_DISCOVERYD_U32_KEY("registry.stream_id", stream_id, 1),
    TP_DISCOVERYD_U32_KEY("registry.announce_period_ms", announce_period_ms, 1),
    TP_DISCOVERYD_U32_KEY("registry.max_entries", max_entries, 1),
    TP_DISCOVERYD_U32_KEY("registry.max_results", max_results, 1),
    TP_DISCOVERYD_STRING_KEY("registry.idle_strategy", idle_strategy),
};
#define TP_DISCOVERYD_KEY_COUNT (sizeof(tp_discoveryd_keys) / sizeof(tp_discoveryd_keys[0]))

void tp_discoveryd_config_init(tp_discoveryd_config_t *config)
{
    memset(config, 0, sizeof(*config));
    strcpy(config->channel, "aeron:ipc");
    config->stream_id = 7000;
    config->announce_period_ms = 1000;
    config->max_entries = 4096;
    config->max_results = 1000;
    strcpy(config->idle_strategy, "backoff");
}

int tp_discoveryd_config_set(tp_discoveryd_config_t *config, const char *key, const char *value)
{
    for (size_t i = 0; i < TP_DISCOVERYD_KEY_COUNT; i++)
    {
        const tp_discoveryd_key_t *k = &tp_discoveryd_keys[i];
        if (0 != strcmp(k->key, key))
        {
            continue;
        }
        char *field = (char *)config + k->offset;
        if (TP_DISCOVERYD_KEY_STRING == k->type)
        {
            size_t length = strlen(value);
            if (length >= k->size)
            {
                TP_SET_ERR(EINVAL, "%s must be shorter than %zu bytes, got %zu", key, k->size, length);
                return -1;
            }
            memcpy(field, value, length + 1);
            return 0;
        }
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if ('\0' == value[0] || '-' == value[0] || NULL == end || '\0' != *end || 0 != errno || v < k->min ||
            v > INT32_MAX)
        {
            TP_SET_ERR(EINVAL, "%s must be an integer in %u..%d, got '%s'", key, k->min, INT32_MAX, value);
            return -1;
        }
        uint32_t u = (uint32_t)v;
        memcpy(field, &u, sizeof(u));
        return 0;
    }
    TP_SET_ERR(EINVAL, "unknown key '%s'", key);
    return -1;
}

static void tp_discoveryd_env_name(const char *key, char *name, size_t capacity)
{
    size_t i = 0;
    for (; '\0' != key[i] && i + 1 < capacity; i++)
    {
        char c = key[i];
        name[i] = '.' == c ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    name[i] = '\0';
}

static int tp_discoveryd_apply_env(tp_discoveryd_config_t *config)
{
    for (size_t i = 0; i < TP_DISCOVERYD_KEY_COUNT; i++)
    {
        char name[64];
        tp_discoveryd_env_name(tp_discoveryd_keys[i].key, name, sizeof(name));
        const char *value = getenv(name);
        if (NULL != value && 0 != tp_discoveryd_config_set(config, tp_discoveryd_keys[i].key, value))
        {
            TP_APPEND_ERR("environment variable %s='%s'", name, value);
            return -1;
        }
    }
    return 0;
}

static int tp_discoveryd_check_channel(const char *what, const char *name, const char *channel)
{
    if (!tp_control_channel_is_valid(channel, strlen(channel)))
    {
        TP_SET_ERR(EINVAL, "%s%s%s must be an Aeron channel URI (aeron:ipc... or aeron:udp...), got '%s'",
                   NULL == name ? "" : "drivers.", NULL == name ? "" : name, what, channel);
        return -1;
    }
    return 0;
}

static int tp_discoveryd_validate(tp_discoveryd_config_t *config)
{
    if (tp_discoveryd_check_channel("registry.channel", NULL, config->channel) < 0)
    {
        return -1;
    }
    if (config->max_results > UINT16_MAX)
    {
        TP_SET_ERR(EINVAL, "registry.max_results must be at most %u, got %u", UINT16_MAX, config->max_results);
        return -1;
    }
    if (0 == config->driver_count)
    {
        TP_SET_ERR(EINVAL, "no [drivers.<name>] table: the registry needs at least one driver to index");
        return -1;
    }
    for (size_t i = 0; i < config->driver_count; i++)
    {
        tp_discoveryd_driver_t *d = &config->drivers[i];
        if ('\0' == d->instance_id[0] || 0 == d->control_stream_id)
        {
            TP_SET_ERR(EINVAL, "drivers.%s: instance_id and control_stream_id (non-zero) are required", d->name);
            return -1;
        }
        /* Defaults that follow other keys. */
        if ('\0' == d->control_channel[0])
        {
            strcpy(d->control_channel, "aeron:ipc");
        }
        if ('\0' == d->announce_channel[0])
        {
            memcpy(d->announce_channel, d->control_channel, sizeof(d->announce_channel));
        }
        if (0 == d->announce_stream_id)
        {
            d->announce_stream_id = d->control_stream_id;
        }
        if ('\0' == d->metadata_channel[0])
        {
            memcpy(d->metadata_channel, d->announce_channel, sizeof(d->metadata_channel));
        }
        if (0 == d->metadata_stream_id)
        {
            d->metadata_stream_id = TP_DISCOVERYD_DEFAULT_METADATA_STREAM;
        }
        if (tp_discoveryd_check_channel(".control_channel", d->name, d->control_channel) < 0 ||
            tp_discoveryd_check_channel(".announce_channel", d->name, d->announce_channel) < 0 ||
            tp_discoveryd_check_channel(".metadata_channel", d->name, d->metadata_channel) < 0)
        {
            return -1;
        }
        for (size_t j = 0; j < i; j++)
        {
            if (0 == strcmp(config->drivers[j].instance_id, d->instance_id))
            {
                TP_SET_ERR(EINVAL, "drivers.%s and drivers.%s have the same instance_id '%s'", config->drivers[j].name,
                           d->name, d->instance_id);
                return -1;
            }
        }
    }
    return 0;
}

int tp_discoveryd_config_load(tp_discoveryd_config_t *config, const char *path)
{
    tp_discoveryd_config_init(config);
    if (NULL != path)
    {
        FILE *f = fopen(path, "rb");
        if (NULL == f)
        {
            TP_SET_ERR_ERRNO("opening registry config %s", path);
            return -1;
        }
        char *text = malloc(TP_DISCOVERYD_FILE_MAX + 1);
        size_t length = NULL == text ? 0 : fread(text, 1, TP_DISCOVERYD_FILE_MAX + 1, f);
        fclose(f);
        if (NULL == text || length > TP_DISCOVERYD_FILE_MAX)
        {
            free(text);
            TP_SET_ERR(EINVAL, "registry config %s: unreadable or larger than %d bytes", path, TP_DISCOVERYD_FILE_MAX);
            return -1;
        }
        int rc = tp_discoveryd_config_load_string(config, text, length, path);
        free(text);
        if (rc < 0)
        {
            return -1;
        }
    }
    if (tp_discoveryd_apply_env(config) < 0 || tp_discoveryd_validate(config) < 0)
    {
        if (NULL != path)
        {
            TP_APPEND_ERR("registry config %s", path);
        }
        return -1;
    }
    return 0;
}

/* A TOML basic string (the escapes it shares with JSON). */
static void tp_discoveryd_print_string(FILE *out, const char *s)
{
    tp_app_quote_write(out, s, strlen(s));
}

void tp_discoveryd_config_print(const tp_discoveryd_config_t *config, FILE *out)
{
    fputs("[registry]\naeron_dir = ", out);
    tp_discoveryd_print_string(out, config->aeron_dir);
    fputs("\nchannel = ", out);
    tp_discoveryd_print_string(out, config->channel);
    fprintf(out,
            "\nstream_id = %" PRIu32 "\nannounce_period_ms = %" PRIu32 "\nmax_entries = %" PRIu32
            "\nmax_results = %" PRIu32 "\nidle_strategy = ",
            config->stream_id, config->announce_period_ms, config->max_entries, config->max_results);
    tp_discoveryd_print_string(out, config->idle_strategy);
    fputc('\n', out);
    for (size_t i = 0; i < config->driver_count; i++)
    {
        const tp_discoveryd_driver_t *d = &config->drivers[i];
        fputs("\n[drivers.", out);
        tp_discoveryd_print_string(out, d->name);
        fputs("]\ninstance_id = ", out);
        tp_discoveryd_print_string(out, d->instance_id);
        fputs("\ncontrol_channel = ", out);
        tp_discoveryd_print_string(out, d->control_channel);
        fprintf(out, "\ncontrol_stream_id = %" PRIu32 "\nannounce_channel = ", d->control_stream_id);
        tp_discoveryd_print_string(out, d->announce_channel);
        fprintf(out, "\nannounce_stream_id = %" PRIu32 "\nmetadata_channel = ", d->announce_stream_id);
        tp_discoveryd_print_string(out, d->metadata_channel);
        fprintf(out, "\nmetadata_stream_id = %" PRIu32 "\n", d->metadata_stream_id);
    }
}
