/* Internals shared by the discovery provider files: the index entry, the provider, and the per-concept calls. */
#ifndef TENSORPOOL_TP_DISCOVERY_PROVIDER_PRIVATE_H
#define TENSORPOOL_TP_DISCOVERY_PROVIDER_PRIVATE_H

#include "control/tp_control_message.h"
#include "discovery/tp_discovery_provider.h"

/* Template ids we dispatch on (wire spec §16, discovery spec §10); a switch needs constants. */
#define TP_DISCOVERY_TEMPLATE_POOL_ANNOUNCE   1 /* schema 900 */
#define TP_DISCOVERY_TEMPLATE_SOURCE_ANNOUNCE 7 /* schema 900 */
#define TP_DISCOVERY_TEMPLATE_SOURCE_META     8 /* schema 900 */
#define TP_DISCOVERY_TEMPLATE_REQUEST         1 /* schema 910 */
#define TP_DISCOVERY_TEMPLATE_RESPONSE        2 /* schema 910 */

typedef struct tp_discovery_pool_stct
{
    uint16_t pool_id;
    uint32_t pool_nslots;
    uint32_t stride_bytes;
    uint32_t uri_length;
    char uri[TP_DISCOVERY_URI_MAX];
} tp_discovery_pool_t;

/* A driver whose streams the provider indexes: the authority fields of its results (§5.2, §6.4). */
typedef struct tp_discovery_authority_stct
{
    char instance_id[TP_DISCOVERY_INSTANCE_ID_MAX];
    char control_channel[TP_CHANNEL_MAX];
    uint32_t control_stream_id;
} tp_discovery_authority_t;

/* One stream of one indexed driver: key (driver_instance_id, stream_id), §6.1; the driver by authority index. */
typedef struct tp_discovery_entry_stct
{
    bool live;
    uint32_t authority;
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint32_t layout_version;
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint64_t last_announce_ns; /* local receipt time of the last accepted ShmPoolAnnounce */
    uint32_t header_uri_length;
    char header_uri[TP_DISCOVERY_URI_MAX];
    uint32_t pool_count;
    tp_discovery_pool_t pools[TP_DISCOVERY_MAX_POOLS];
    /* Metadata: name from DataSourceAnnounce, tags and data_source_id from DataSourceMeta. */
    uint32_t name_length;
    char name[TP_DISCOVERY_NAME_MAX]; /* lengths kept beside the bytes: names and tags are not NUL-terminated */
    bool has_meta_version;
    uint32_t meta_version;
    uint64_t data_source_id; /* UINT64_MAX = not provided */
    uint32_t tag_count;
    uint32_t tag_lengths[TP_DISCOVERY_MAX_TAGS];
    char tags[TP_DISCOVERY_MAX_TAGS][TP_DISCOVERY_TAG_MAX];
} tp_discovery_entry_t;

/* The lookup fields of entry i, kept apart in a dense array: announces and requests scan these (12 bytes per
 * slot) instead of striding through the large entries, which carry every URI inline. */
typedef struct tp_discovery_key_stct
{
    uint32_t stream_id;
    uint32_t authority;
    uint32_t live;
} tp_discovery_key_t;

struct tp_discovery_provider_stct
{
    tp_discovery_provider_context_t ctx;   /* strings below replace the caller's pointers */
    tp_discovery_authority_t *authorities; /* [0] from the context, the rest added by add_driver */
    uint32_t authority_count;
    uint32_t authority_capacity;
    uint32_t current_authority; /* the driver whose stream the message being fed came from */
    uint64_t expiry_ns;
    uint64_t next_expiry_ns; /* no entry can expire before this (UINT64_MAX: empty index): do_work scans then only */
    tp_discovery_entry_t *entries; /* ctx.max_entries slots, allocated at init */
    tp_discovery_key_t *keys;      /* ctx.max_entries, mirrors entries[i].stream_id / authority / live */
    size_t entry_count;
    uint32_t *matches; /* indices of matching entries for one request, sized max_entries */
    uint8_t *response; /* sized for max_results worst-case results, allocated at init */
    size_t response_capacity;
    tp_discovery_entry_t scratch; /* an announce is decoded and checked here before it touches the index */
    char response_channel[TP_CHANNEL_MAX];
    tp_discovery_provider_counters_t counters;
};

uint64_t tp_discovery_now_ns(const tp_discovery_provider_t *provider);

/* tp_discovery_index.c: schema 900 inputs and expiry. Return 0 when consumed, -1 when malformed. */
int tp_discovery_on_pool_announce(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                  const tp_control_header_t *hdr);
int tp_discovery_on_source_announce(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                    const tp_control_header_t *hdr);
int tp_discovery_on_source_meta(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                const tp_control_header_t *hdr);
/* Copy entry e's lookup fields into its key. */
void tp_discovery_key_sync(tp_discovery_provider_t *provider, const tp_discovery_entry_t *e);
bool tp_discovery_entry_is_live(const tp_discovery_provider_t *provider, const tp_discovery_entry_t *entry,
                                uint64_t now_ns);
int tp_discovery_index_expire(tp_discovery_provider_t *provider, uint64_t now_ns);

/* tp_discovery_request.c: a schema 910 DiscoveryRequest (header already peeked). */
int tp_discovery_on_request(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                            const tp_control_header_t *hdr);

/* tp_discovery_response.c: encode and emit one DiscoveryResponse. */
size_t tp_discovery_response_capacity(uint32_t max_results);
int tp_discovery_send_response(tp_discovery_provider_t *provider, const tp_sink_target_t *target, uint64_t request_id,
                               uint8_t status, const uint32_t *matches, size_t match_count, const char *error_message);

#endif /* TENSORPOOL_TP_DISCOVERY_PROVIDER_PRIVATE_H */
