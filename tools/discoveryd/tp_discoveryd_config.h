/*
 * Configuration of the standalone discovery registry tp_discoveryd: where it answers ([registry]) and which
 * drivers it indexes ([drivers.<name>] tables: identity, control endpoint, announce and metadata endpoints).
 * Loaded from TOML (toml++, tp_discoveryd_config_toml.cpp); the [registry] keys can be overridden by environment
 * variables named like the key (registry.stream_id -> REGISTRY_STREAM_ID), as tp_driver does.
 */
#ifndef TP_DISCOVERYD_CONFIG_H
#define TP_DISCOVERYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tensorpool/tp_sink.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_DISCOVERYD_MAX_DRIVERS 256
#define TP_DISCOVERYD_NAME_MAX    64
#define TP_DISCOVERYD_ID_MAX      256
#define TP_DISCOVERYD_PATH_MAX    4096
#define TP_DISCOVERYD_FILE_MAX    (1024 * 1024)

typedef struct tp_discoveryd_driver_stct
{
    char name[TP_DISCOVERYD_NAME_MAX]; /* the [drivers.<name>] table name */
    char instance_id[TP_DISCOVERYD_ID_MAX];
    char control_channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id;
    char announce_channel[TP_CHANNEL_MAX]; /* default: control_channel */
    uint32_t announce_stream_id;           /* default: control_stream_id */
    char metadata_channel[TP_CHANNEL_MAX]; /* default: announce_channel */
    uint32_t metadata_stream_id;           /* default 1300 */
} tp_discoveryd_driver_t;

typedef struct tp_discoveryd_config_stct
{
    char aeron_dir[TP_DISCOVERYD_PATH_MAX]; /* registry.aeron_dir; "" = AERON_DIR or the Aeron default */
    char channel[TP_CHANNEL_MAX];           /* registry.channel: requests arrive here (default aeron:ipc) */
    uint32_t stream_id;                     /* registry.stream_id (default 7000) */
    uint32_t announce_period_ms;            /* registry.announce_period_ms: expiry after 3 x this (default 1000) */
    uint32_t max_entries;                   /* registry.max_entries (default 4096) */
    uint32_t max_results;                   /* registry.max_results (default 1000) */
    char idle_strategy[16];                 /* registry.idle_strategy: spin, yield, sleep, backoff (default) */
    size_t driver_count;
    tp_discoveryd_driver_t drivers[TP_DISCOVERYD_MAX_DRIVERS];
} tp_discoveryd_config_t;

void tp_discoveryd_config_init(tp_discoveryd_config_t *config);

/* Set a [registry] key ("registry.stream_id") from text. 0 / -1 (TP_SET_ERR naming key and value). */
int tp_discoveryd_config_set(tp_discoveryd_config_t *config, const char *key, const char *value);

/* Parse TOML text (C++ front end). name is used in messages. 0 / -1. */
int tp_discoveryd_config_load_string(tp_discoveryd_config_t *config, const char *text, size_t length, const char *name);

/* init, the file (NULL = none), environment overrides, defaults that follow other keys, validation. 0 / -1. */
int tp_discoveryd_config_load(tp_discoveryd_config_t *config, const char *path);

/* The effective configuration as TOML that loads back to the same values. */
void tp_discoveryd_config_print(const tp_discoveryd_config_t *config, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* TP_DISCOVERYD_CONFIG_H */
