/*
 * SHM driver configuration (driver model spec §17): every canonical key with its default, loaded from a TOML
 * file (tp_driver_config_toml.cpp wraps Debian's toml++ behind this C API) and then overridden from the
 * environment (key uppercased, '.' -> '_': driver.control_stream_id -> DRIVER_CONTROL_STREAM_ID; the
 * environment wins), then validated as a whole.
 *
 * Setup path only: 0 / -1 with tp_errmsg() naming the file, line:column or key and the rule broken.
 */
#ifndef TENSORPOOL_TP_DRIVER_CONFIG_H
#define TENSORPOOL_TP_DRIVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tensorpool/tp_sink.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_DRIVER_NAME_MAX         128
#define TP_DRIVER_MAX_POOLS        8
#define TP_DRIVER_MAX_PROFILES     32
#define TP_DRIVER_MAX_STATIC       256
#define TP_DRIVER_MAX_ALLOWED_DIRS 16
#define TP_DRIVER_TOKEN_MAX        256
#define TP_DRIVER_MAX_WARNINGS     32

/* Inclusive id range; empty (disabled) when !set. */
typedef struct tp_driver_range_stct
{
    bool set;
    uint32_t first;
    uint32_t last;
} tp_driver_range_t;

typedef struct tp_driver_pool_config_stct
{
    uint16_t pool_id;
    uint32_t stride_bytes;
} tp_driver_pool_config_t;

typedef struct tp_driver_profile_stct
{
    char name[TP_DRIVER_NAME_MAX];
    uint32_t header_nslots; /* power of two, default 1024 */
    tp_driver_pool_config_t pools[TP_DRIVER_MAX_POOLS];
    size_t pool_count; /* >= 1 */
} tp_driver_profile_t;

typedef struct tp_driver_stream_config_stct
{
    char name[TP_DRIVER_NAME_MAX]; /* the table name: streams.<name> */
    uint32_t stream_id;
    size_t profile_index; /* into tp_driver_config_t.profiles */
} tp_driver_stream_config_t;

typedef struct tp_driver_config_stct
{
    /* [driver] */
    char instance_id[TP_DRIVER_NAME_MAX];         /* "driver-01" */
    char aeron_dir[TP_PATH_MAX];                  /* "" = Aeron default (AERON_DIR or aeron_default_path()) */
    char control_channel[TP_CHANNEL_MAX];         /* "aeron:ipc?term-length=4m" */
    uint32_t control_stream_id;                   /* 1000 */
    char announce_channel[TP_CHANNEL_MAX];        /* default: control_channel */
    uint32_t announce_stream_id;                  /* default: control_stream_id */
    char qos_channel[TP_CHANNEL_MAX];             /* "aeron:ipc?term-length=4m" */
    uint32_t qos_stream_id;                       /* 1200 */
    tp_driver_range_t stream_id_range;            /* dynamic streams; default empty */
    tp_driver_range_t descriptor_stream_id_range; /* per-consumer descriptor streams; default empty */
    tp_driver_range_t control_stream_id_range;    /* per-consumer control streams; default empty */
    /* Implementation keys (not in §17): run our media driver in this process; idle strategy name. */
    bool embedded_media_driver; /* driver.embedded_media_driver, default false */
    char idle_strategy[32];     /* driver.idle_strategy, default "backoff" */

    /* [shm] */
    char base_dir[TP_PATH_MAX];              /* "/dev/shm/tensorpool" */
    char namespace_name[TP_DRIVER_NAME_MAX]; /* shm.namespace (implementation key), default "tensorpool" */
    bool require_hugepages;                  /* false */
    uint32_t page_size_bytes;                /* 4096 */
    uint32_t permissions_mode;               /* parsed octal of shm.permissions_mode "660" -> 0660 */
    char allowed_base_dirs[TP_DRIVER_MAX_ALLOWED_DIRS][TP_PATH_MAX]; /* default: [base_dir] */
    size_t allowed_base_dir_count;

    /* [policies] */
    bool allow_dynamic_streams;               /* false */
    size_t default_profile_index;             /* default: first defined profile */
    uint32_t announce_period_ms;              /* 1000 */
    uint32_t lease_keepalive_interval_ms;     /* 1000 */
    uint32_t lease_expiry_grace_intervals;    /* 3 */
    bool prefault_shm;                        /* true */
    bool mlock_shm;                           /* false */
    bool epoch_gc_enabled;                    /* true */
    uint32_t epoch_gc_keep;                   /* 2 */
    uint64_t epoch_gc_min_age_ns;             /* default 3 * announce_period */
    bool epoch_gc_on_startup;                 /* false */
    uint32_t shutdown_timeout_ms;             /* 2000 */
    char shutdown_token[TP_DRIVER_TOKEN_MAX]; /* "" = shutdown requests disabled */

    /* [discovery] (implementation keys): the Discovery Provider embedded in the driver agent. */
    bool discovery_enabled;                 /* discovery.enabled, default true */
    char discovery_channel[TP_CHANNEL_MAX]; /* discovery.channel, default: control_channel */
    uint32_t discovery_stream_id;           /* discovery.stream_id, default: control_stream_id */
    uint32_t discovery_metadata_stream_id;  /* discovery.metadata_stream_id, default 1300 (wire spec metadata) */

    /* [profiles.<name>] in file order */
    tp_driver_profile_t profiles[TP_DRIVER_MAX_PROFILES];
    size_t profile_count;

    /* [streams.<name>] in file order */
    tp_driver_stream_config_t streams[TP_DRIVER_MAX_STATIC];
    size_t stream_count;

    /* Unknown keys seen while loading ("profiles.cam.colour"), reported as warnings, never fatal. */
    char warnings[TP_DRIVER_MAX_WARNINGS][TP_DRIVER_NAME_MAX * 2];
    size_t warning_count;

    /* Which derived defaults were given explicitly (file, environment or tp_driver_config_set); the others
     * follow their source key (tp_driver_config_apply_derived). */
    bool announce_channel_explicit;
    bool announce_stream_id_explicit;
    bool allowed_base_dirs_explicit;
    bool epoch_gc_min_age_explicit;
    bool discovery_channel_explicit;
    bool discovery_stream_id_explicit;
} tp_driver_config_t;

/* Value kinds of the canonical scalar keys (what a TOML value for the key must be). */
typedef enum tp_driver_key_kind_en
{
    TP_DRIVER_KEY_STRING = 0, /* also shm.permissions_mode (octal text) and policies.default_profile (a name) */
    TP_DRIVER_KEY_UINT = 1,   /* uint32, or uint64 up to INT64_MAX for policies.epoch_gc_min_age_ns */
    TP_DRIVER_KEY_BOOL = 2,
    TP_DRIVER_KEY_RANGE = 3, /* "first-last" text or [first, last]; "" / [] = empty */
    TP_DRIVER_KEY_LIST = 4,  /* shm.allowed_base_dirs: array of strings; as text ':'-separated */
} tp_driver_key_kind_t;

/* Every default of §17 (no profile, no stream: a config needs at least one profile to validate). */
void tp_driver_config_init(tp_driver_config_t *config);

/* Parse a TOML file into config (on top of the defaults). Syntax errors name file:line:column. 0 / -1. */
int tp_driver_config_load_file(tp_driver_config_t *config, const char *path);

/* Same from a string (tests, fuzzing); name labels messages. 0 / -1. */
int tp_driver_config_load_string(tp_driver_config_t *config, const char *toml, size_t length, const char *name);

/* Apply environment overrides (getenv). Bad values name the variable. 0 / -1. */
int tp_driver_config_apply_env(tp_driver_config_t *config);

/* Cross-field rules: profiles, pools, nslots, strides, ranges, base dir in allowed dirs, mode, ... 0 / -1. */
int tp_driver_config_validate(const tp_driver_config_t *config);

/* init + load_file (path may be NULL: defaults only) + apply_env + validate. 0 / -1. */
int tp_driver_config_load(tp_driver_config_t *config, const char *path);

/* The effective configuration as TOML (what --print-config shows). */
void tp_driver_config_print(const tp_driver_config_t *config, FILE *out);

/* Kind of a canonical scalar key ("driver.control_stream_id"), or -1 when the key is not one. */
int tp_driver_config_key_kind(const char *key);

/* Set one scalar key from its text form, exactly as the environment does (integers decimal, bools
 * true/false/1/0, ranges "a-b" or "" for empty, permissions octal, allowed dirs ':'-separated, default_profile
 * the name of a defined profile), then re-derive the dependent defaults. Never truncates: a value longer than
 * its buffer is an error. 0 / -1 naming the key and the value. */
int tp_driver_config_set(tp_driver_config_t *config, const char *key, const char *text);

/* Recompute the defaults that follow other keys unless they were set explicitly: announce channel / stream id
 * and discovery channel / stream id from the control ones, allowed_base_dirs = [base_dir], epoch_gc_min_age_ns = 3 x
 * announce period. The loaders call it; call it again after changing a source field by hand. */
void tp_driver_config_apply_derived(tp_driver_config_t *config);

/* Profile by name, or NULL. */
const tp_driver_profile_t *tp_driver_config_find_profile(const tp_driver_config_t *config, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_DRIVER_CONFIG_H */
