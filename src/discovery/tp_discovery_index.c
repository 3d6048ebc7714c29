/*
 * The discovery index (spec §6): one entry per stream of the configured driver, built from ShmPoolAnnounce
 * (layout, epoch, liveness) and DataSourceAnnounce / DataSourceMeta (name, tags, data_source_id), expired after
 * 3 x announce period without a ShmPoolAnnounce. Every input is decoded and bounds-checked whole before it
 * touches an entry, so a rejected message leaves the index as it was.
 */
#include <string.h>

#include "discovery/tp_discovery_provider_private.h"
#include "shm_tensorpool_control/dataSourceAnnounce.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"

#define TP_DISCOVERY_HEADER_SLOT_BYTES 256 /* wire spec §10.1.1: must be 256 in v1.x */

bool tp_discovery_entry_is_live(const tp_discovery_provider_t *provider, const tp_discovery_entry_t *entry,
                                uint64_t now_ns)
{
    /* A clock that went backwards (or a fake one) never expires an entry early. */
    return entry->live && (now_ns < entry->last_announce_ns || now_ns - entry->last_announce_ns < provider->expiry_ns);
}

void tp_discovery_key_sync(tp_discovery_provider_t *provider, const tp_discovery_entry_t *e)
{
    tp_discovery_key_t *k = &provider->keys[e - provider->entries];
    k->stream_id = e->stream_id;
    k->authority = e->authority;
    k->live = e->live ? 1u : 0u;
}

static tp_discovery_entry_t *tp_discovery_entry_find(tp_discovery_provider_t *provider, uint32_t stream_id)
{
    const tp_discovery_key_t *keys = provider->keys;
    for (uint32_t i = 0; i < provider->ctx.max_entries; i++)
    {
        if (keys[i].live && keys[i].stream_id == stream_id && keys[i].authority == provider->current_authority)
        {
            return &provider->entries[i];
        }
    }
    return NULL;
}

/* The entry of a stream when it is live at now_ns; an expired one is removed on the way. */
static tp_discovery_entry_t *tp_discovery_entry_live(tp_discovery_provider_t *provider, uint32_t stream_id,
                                                     uint64_t now_ns)
{
    tp_discovery_entry_t *e = tp_discovery_entry_find(provider, stream_id);
    if (NULL != e && !tp_discovery_entry_is_live(provider, e, now_ns))
    {
        e->live = false;
        tp_discovery_key_sync(provider, e);
        provider->entry_count--;
        provider->counters.entries_expired++;
        return NULL;
    }
    return e;
}

static tp_discovery_entry_t *tp_discovery_entry_free_slot(tp_discovery_provider_t *provider)
{
    for (uint32_t i = 0; i < provider->ctx.max_entries; i++)
    {
        if (!provider->keys[i].live)
        {
            return &provider->entries[i];
        }
    }
    return NULL;
}

int tp_discovery_index_expire(tp_discovery_provider_t *provider, uint64_t now_ns)
{
    /* Refreshes only move deadlines later, so nothing expires before the earliest deadline of the last scan: the
     * index (max_entries large entries) is walked once per expiry window, not on every duty cycle. */
    if (now_ns < provider->next_expiry_ns)
    {
        return 0;
    }
    int work = 0;
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < provider->ctx.max_entries && provider->entry_count > 0; i++)
    {
        if (!provider->keys[i].live)
        {
            continue;
        }
        tp_discovery_entry_t *e = &provider->entries[i];
        if (!tp_discovery_entry_is_live(provider, e, now_ns))
        {
            e->live = false;
            tp_discovery_key_sync(provider, e);
            provider->entry_count--;
            provider->counters.entries_expired++;
            work++;
        }
        else
        {
            /* A clock behind the receipt time (a fake clock in tests) checks again one window from now. */
            uint64_t deadline =
                now_ns < e->last_announce_ns ? now_ns + provider->expiry_ns : e->last_announce_ns + provider->expiry_ns;
            next = deadline < next ? deadline : next;
        }
    }
    provider->next_expiry_ns = next;
    return work;
}

static void tp_discovery_meta_clear(tp_discovery_entry_t *e)
{
    e->name_length = 0;
    e->has_meta_version = false;
    e->meta_version = 0;
    e->data_source_id = UINT64_MAX;
    e->tag_count = 0;
}

/* Decode a ShmPoolAnnounce into the scratch entry. 1 = valid, 0 = valid SBE but rejected layout, -1 = malformed. */
static int tp_discovery_decode_pool_announce(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                             const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                       hdr->block_length, hdr->version, length) ||
        !shm_tensorpool_control_shmPoolAnnounce_sbe_validate(&msg))
    {
        return -1;
    }
    shm_tensorpool_control_shmPoolAnnounce_sbe_rewind(&msg);
    tp_discovery_entry_t *s = &provider->scratch;
    s->stream_id = shm_tensorpool_control_shmPoolAnnounce_streamId(&msg);
    s->producer_id = shm_tensorpool_control_shmPoolAnnounce_producerId(&msg);
    s->epoch = shm_tensorpool_control_shmPoolAnnounce_epoch(&msg);
    s->layout_version = shm_tensorpool_control_shmPoolAnnounce_layoutVersion(&msg);
    s->header_nslots = shm_tensorpool_control_shmPoolAnnounce_headerNslots(&msg);
    s->header_slot_bytes = shm_tensorpool_control_shmPoolAnnounce_headerSlotBytes(&msg);
    int valid = TP_DISCOVERY_HEADER_SLOT_BYTES == s->header_slot_bytes ? 1 : 0;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools pools;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_get_payloadPools(&msg, &pools))
    {
        return -1;
    }
    uint64_t count = shm_tensorpool_control_shmPoolAnnounce_payloadPools_count(&pools);
    if (count > TP_DISCOVERY_MAX_POOLS)
    {
        valid = 0;
    }
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools))
        {
            return -1;
        }
        struct shm_tensorpool_control_shmPoolAnnounce_string_view uri =
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_get_regionUri_as_string_view(&pools);
        if (NULL == uri.data)
        {
            return -1;
        }
        if (i >= TP_DISCOVERY_MAX_POOLS)
        {
            continue; /* already rejected; keep walking so that the header URI is checked too */
        }
        tp_discovery_pool_t *pool = &s->pools[i];
        pool->pool_id = shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolId(&pools);
        pool->pool_nslots = shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolNslots(&pools);
        pool->stride_bytes = shm_tensorpool_control_shmPoolAnnounce_payloadPools_strideBytes(&pools);
        /* §5.2: pool_nslots we publish must match header_nslots in v1.0, so such a layout is never indexed. */
        if (pool->pool_nslots != s->header_nslots || 0 == uri.length || uri.length > TP_DISCOVERY_URI_MAX)
        {
            valid = 0;
            continue;
        }
        memcpy(pool->uri, uri.data, uri.length);
        pool->uri_length = (uint32_t)uri.length;
    }
    s->pool_count = (uint32_t)(count > TP_DISCOVERY_MAX_POOLS ? 0 : count);
    struct shm_tensorpool_control_shmPoolAnnounce_string_view header_uri =
        shm_tensorpool_control_shmPoolAnnounce_get_headerRegionUri_as_string_view(&msg);
    if (NULL == header_uri.data)
    {
        return -1;
    }
    if (0 == header_uri.length || header_uri.length > TP_DISCOVERY_URI_MAX)
    {
        return 0;
    }
    memcpy(s->header_uri, header_uri.data, header_uri.length);
    s->header_uri_length = (uint32_t)header_uri.length;
    return valid;
}

static void tp_discovery_take_layout(tp_discovery_entry_t *e, const tp_discovery_entry_t *s, uint64_t now_ns)
{
    e->stream_id = s->stream_id;
    e->producer_id = s->producer_id;
    e->epoch = s->epoch;
    e->layout_version = s->layout_version;
    e->header_nslots = s->header_nslots;
    e->header_slot_bytes = s->header_slot_bytes;
    e->header_uri_length = s->header_uri_length;
    memcpy(e->header_uri, s->header_uri, s->header_uri_length);
    e->pool_count = s->pool_count;
    for (uint32_t i = 0; i < s->pool_count; i++)
    {
        e->pools[i].pool_id = s->pools[i].pool_id;
        e->pools[i].pool_nslots = s->pools[i].pool_nslots;
        e->pools[i].stride_bytes = s->pools[i].stride_bytes;
        e->pools[i].uri_length = s->pools[i].uri_length;
        memcpy(e->pools[i].uri, s->pools[i].uri, s->pools[i].uri_length);
    }
    e->last_announce_ns = now_ns;
}

int tp_discovery_on_pool_announce(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                  const tp_control_header_t *hdr)
{
    int decoded = tp_discovery_decode_pool_announce(provider, buffer, length, hdr);
    if (decoded < 0)
    {
        return -1;
    }
    if (0 == decoded)
    {
        provider->counters.announces_rejected++;
        return 0;
    }
    const tp_discovery_entry_t *s = &provider->scratch;
    uint64_t now_ns = tp_discovery_now_ns(provider);
    tp_discovery_entry_t *e = tp_discovery_entry_live(provider, s->stream_id, now_ns);
    if (NULL == e)
    {
        e = tp_discovery_entry_free_slot(provider);
        if (NULL == e)
        {
            provider->counters.index_full++;
            return 0;
        }
        tp_discovery_meta_clear(e);
        e->live = true;
        e->authority = provider->current_authority;
        if (UINT64_MAX == provider->next_expiry_ns)
        {
            provider->next_expiry_ns = now_ns + provider->expiry_ns;
        }
        provider->entry_count++;
    }
    else if (s->epoch < e->epoch)
    {
        /*
         * §6.3: drop a regressing epoch. It does not refresh the entry either, so if the newer epoch really is
         * gone (a producer restarted without the driver's epoch floor), the entry expires and the older epoch is
         * then indexed afresh.
         */
        provider->counters.epoch_regressions++;
        return 0;
    }
    else if (s->epoch > e->epoch)
    {
        provider->counters.epoch_bumps++;
        /* A new producer on the stream brings its own metadata; the same one keeps its name and tags. */
        if (s->producer_id != e->producer_id)
        {
            tp_discovery_meta_clear(e);
        }
    }
    tp_discovery_take_layout(e, s, now_ns);
    tp_discovery_key_sync(provider, e);
    provider->counters.announces++;
    return 0;
}

int tp_discovery_on_source_announce(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                    const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_dataSourceAnnounce msg;
    if (NULL == shm_tensorpool_control_dataSourceAnnounce_wrap_for_decode(
                    &msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH, hdr->block_length, hdr->version, length) ||
        !shm_tensorpool_control_dataSourceAnnounce_sbe_validate(&msg))
    {
        return -1;
    }
    shm_tensorpool_control_dataSourceAnnounce_sbe_rewind(&msg);
    uint32_t stream_id = shm_tensorpool_control_dataSourceAnnounce_streamId(&msg);
    uint64_t epoch = shm_tensorpool_control_dataSourceAnnounce_epoch(&msg);
    uint32_t meta_version = shm_tensorpool_control_dataSourceAnnounce_metaVersion(&msg);
    struct shm_tensorpool_control_dataSourceAnnounce_string_view name =
        shm_tensorpool_control_dataSourceAnnounce_get_name_as_string_view(&msg);
    if (NULL == name.data)
    {
        return -1;
    }
    tp_discovery_entry_t *e = tp_discovery_entry_live(provider, stream_id, tp_discovery_now_ns(provider));
    if (NULL == e)
    {
        provider->counters.meta_unknown_stream++;
        return 0;
    }
    if (epoch < e->epoch || (e->has_meta_version && meta_version < e->meta_version))
    {
        provider->counters.meta_stale++;
        return 0;
    }
    if (name.length > TP_DISCOVERY_NAME_MAX)
    {
        provider->counters.meta_rejected++;
        return 0;
    }
    /* Byte-for-byte (§5.1): returned exactly as announced, whatever the bytes. Length 0 = no name. */
    memcpy(e->name, name.data, name.length);
    e->name_length = (uint32_t)name.length;
    provider->counters.meta_accepted++;
    return 0;
}

/* Strict decimal u64 for the data_source_id attribute: 1..20 digits, no sign, no overflow. */
static bool tp_discovery_parse_u64(const char *text, size_t length, uint64_t *out)
{
    if (0 == length || length > 20)
    {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < length; i++)
    {
        if (text[i] < '0' || text[i] > '9')
        {
            return false;
        }
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
        {
            return false;
        }
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

static bool tp_discovery_key_is(const struct shm_tensorpool_control_dataSourceMeta_string_view *key, const char *name)
{
    size_t n = strlen(name);
    return key->length == n && 0 == memcmp(key->data, name, n);
}

static bool tp_discovery_entry_has_tag(const tp_discovery_entry_t *e, const char *tag, size_t length)
{
    for (uint32_t i = 0; i < e->tag_count; i++)
    {
        if (e->tag_lengths[i] == length && 0 == memcmp(e->tags[i], tag, length))
        {
            return true;
        }
    }
    return false;
}

/*
 * One pass over the attributes into the scratch entry's tags and data_source_id. 1 = within bounds, 0 = over
 * the bounds (rejected whole), -1 = malformed. "tag" attributes are tags (duplicates collapsed);
 * "data_source_id" is a decimal u64; other keys are not indexed.
 */
static int tp_discovery_meta_pass(tp_discovery_provider_t *provider, struct shm_tensorpool_control_dataSourceMeta *msg)
{
    tp_discovery_entry_t *s = &provider->scratch;
    s->tag_count = 0;
    s->data_source_id = UINT64_MAX;
    int valid = 1;
    struct shm_tensorpool_control_dataSourceMeta_attributes group;
    if (NULL == shm_tensorpool_control_dataSourceMeta_get_attributes(msg, &group))
    {
        return -1;
    }
    uint64_t count = shm_tensorpool_control_dataSourceMeta_attributes_count(&group);
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_control_dataSourceMeta_attributes_next(&group))
        {
            return -1;
        }
        struct shm_tensorpool_control_dataSourceMeta_string_view key =
            shm_tensorpool_control_dataSourceMeta_attributes_get_key_as_string_view(&group);
        struct shm_tensorpool_control_dataSourceMeta_string_view format =
            shm_tensorpool_control_dataSourceMeta_attributes_get_format_as_string_view(&group);
        struct shm_tensorpool_control_dataSourceMeta_string_view value =
            shm_tensorpool_control_dataSourceMeta_attributes_get_value_as_string_view(&group);
        if (NULL == key.data || NULL == format.data || NULL == value.data)
        {
            return -1;
        }
        if (tp_discovery_key_is(&key, TP_DISCOVERY_META_KEY_TAG))
        {
            if (0 == value.length || value.length > TP_DISCOVERY_TAG_MAX)
            {
                valid = 0;
            }
            else if (!tp_discovery_entry_has_tag(s, value.data, value.length))
            {
                if (s->tag_count >= TP_DISCOVERY_MAX_TAGS)
                {
                    valid = 0; /* the full tag set could not be returned (§5.2), so none is kept */
                    continue;
                }
                memcpy(s->tags[s->tag_count], value.data, value.length);
                s->tag_lengths[s->tag_count] = (uint32_t)value.length;
                s->tag_count++;
            }
        }
        else if (tp_discovery_key_is(&key, TP_DISCOVERY_META_KEY_SOURCE_ID))
        {
            if (!tp_discovery_parse_u64(value.data, value.length, &s->data_source_id) ||
                UINT64_MAX == s->data_source_id)
            {
                valid = 0;
            }
        }
    }
    return valid;
}

int tp_discovery_on_source_meta(tp_discovery_provider_t *provider, const uint8_t *buffer, size_t length,
                                const tp_control_header_t *hdr)
{
    struct shm_tensorpool_control_dataSourceMeta msg;
    if (NULL == shm_tensorpool_control_dataSourceMeta_wrap_for_decode(&msg, (char *)buffer, TP_CONTROL_HEADER_LENGTH,
                                                                      hdr->block_length, hdr->version, length) ||
        !shm_tensorpool_control_dataSourceMeta_sbe_validate(&msg))
    {
        return -1;
    }
    shm_tensorpool_control_dataSourceMeta_sbe_rewind(&msg);
    uint32_t stream_id = shm_tensorpool_control_dataSourceMeta_streamId(&msg);
    uint32_t meta_version = shm_tensorpool_control_dataSourceMeta_metaVersion(&msg);
    int pass = tp_discovery_meta_pass(provider, &msg);
    if (pass < 0)
    {
        return -1;
    }
    tp_discovery_entry_t *e = tp_discovery_entry_live(provider, stream_id, tp_discovery_now_ns(provider));
    if (NULL == e)
    {
        provider->counters.meta_unknown_stream++;
        return 0;
    }
    if (e->has_meta_version && meta_version < e->meta_version)
    {
        provider->counters.meta_stale++;
        return 0;
    }
    if (0 == pass)
    {
        provider->counters.meta_rejected++;
        return 0;
    }
    const tp_discovery_entry_t *s = &provider->scratch;
    e->tag_count = s->tag_count;
    for (uint32_t i = 0; i < s->tag_count; i++)
    {
        memcpy(e->tags[i], s->tags[i], s->tag_lengths[i]);
        e->tag_lengths[i] = s->tag_lengths[i];
    }
    e->data_source_id = s->data_source_id;
    e->has_meta_version = true;
    e->meta_version = meta_version;
    provider->counters.meta_accepted++;
    return 0;
}
