/*
 * Aeron channel URIs: [aeron-spy:]aeron:<media>[?key=value(|key=value)*], media "ipc" or "udp".
 * Unknown keys are kept (and ignored by users); an empty key or value is an error; a trailing key without '='
 * is dropped, as the official parser does.
 */
#ifndef TENSORPOOL_TP_AERON_URI_H
#define TENSORPOOL_TP_AERON_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_URI_MAX_LENGTH  4095
#define TP_URI_MAX_PARAMS  64
#define TP_URI_SCHEME      "aeron:"
#define TP_URI_SPY_PREFIX  "aeron-spy:"
#define TP_URI_IPC_CHANNEL "aeron:ipc"

/* Common parameter keys. */
#define TP_URI_TERM_LENGTH_KEY                     "term-length"
#define TP_URI_MTU_LENGTH_KEY                      "mtu"
#define TP_URI_SESSION_ID_KEY                      "session-id"
#define TP_URI_INITIAL_TERM_ID_KEY                 "init-term-id"
#define TP_URI_TERM_ID_KEY                         "term-id"
#define TP_URI_TERM_OFFSET_KEY                     "term-offset"
#define TP_URI_PUBLICATION_WINDOW_KEY              "pub-wnd"
#define TP_URI_LINGER_TIMEOUT_KEY                  "linger"
#define TP_URI_SPARSE_TERM_KEY                     "sparse"
#define TP_URI_EOS_KEY                             "eos"
#define TP_URI_SPIES_SIMULATE_CONNECTION_KEY       "ssc"
#define TP_URI_TETHER_KEY                          "tether"
#define TP_URI_REJOIN_KEY                          "rejoin"
#define TP_URI_RELIABLE_KEY                        "reliable"
#define TP_URI_GROUP_KEY                           "group"
#define TP_URI_TAGS_KEY                            "tags"
#define TP_URI_ALIAS_KEY                           "alias"
#define TP_URI_UNTETHERED_WINDOW_LIMIT_TIMEOUT_KEY "untethered-window-limit-timeout"
#define TP_URI_UNTETHERED_RESTING_TIMEOUT_KEY      "untethered-resting-timeout"

typedef enum tp_uri_media_en
{
    TP_URI_MEDIA_IPC = 1,
    TP_URI_MEDIA_UDP = 2
} tp_uri_media_t;

typedef struct tp_uri_param_stct
{
    const char *key;
    const char *value;
} tp_uri_param_t;

typedef struct tp_aeron_uri_stct
{
    char text[TP_URI_MAX_LENGTH + 1]; /* private copy, cut into NUL-terminated keys and values */
    bool is_spy;
    tp_uri_media_t media;
    size_t param_count;
    tp_uri_param_t params[TP_URI_MAX_PARAMS];
} tp_aeron_uri_t;

/* Parses `length` bytes of `channel` (need not be NUL-terminated). Returns 0 / -1 (error names the problem). */
int tp_aeron_uri_parse(tp_aeron_uri_t *uri, const char *channel, size_t length);

/* Value of the last occurrence of key, or NULL. */
const char *tp_aeron_uri_find_param(const tp_aeron_uri_t *uri, const char *key);

/*
 * Typed getters: 0 when absent (*value = default_value), 1 when present and valid, -1 when present but
 * invalid (error names key and value).
 */
int tp_aeron_uri_get_int32(const tp_aeron_uri_t *uri, const char *key, int32_t default_value, int32_t *value);
int tp_aeron_uri_get_int64(const tp_aeron_uri_t *uri, const char *key, int64_t default_value, int64_t *value);
int tp_aeron_uri_get_bool(const tp_aeron_uri_t *uri, const char *key, bool default_value, bool *value);
int tp_aeron_uri_get_size(const tp_aeron_uri_t *uri, const char *key, uint64_t default_value, uint64_t *value);
int tp_aeron_uri_get_duration_ns(const tp_aeron_uri_t *uri, const char *key, uint64_t default_value, uint64_t *value);

#endif /* TENSORPOOL_TP_AERON_URI_H */
