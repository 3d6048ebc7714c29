#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/tp_clock.h"
#include "common/tp_memcpy_nt.h"
#include "common/tp_error_private.h"
#include "common/tp_prefetch.h"
#include "control/tp_control_message.h"
#include "producer/tp_producer_core_private.h"
#include "shm/tp_seqlock.h"
#include "shm/tp_shm_gc.h"
#include "shm/tp_shm_uri.h"
#include "shm/tp_slot_header.h"
#include "shm/tp_superblock.h"
#include "shm/tp_tensor_layout.h"
#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/frameProgressState.h"
#include "shm_tensorpool_control/qosConsumer.h"

static uint64_t tp_producer_default_clock(void *clientd)
{
    (void)clientd;
    return tp_clock_monotonic_ns();
}

void tp_producer_context_init(tp_producer_context_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->layout_version = TP_LAYOUT_VERSION;
    ctx->header_nslots = 64;
    snprintf(ctx->shm_base_dir, sizeof(ctx->shm_base_dir), "/dev/shm");
    snprintf(ctx->namespace_name, sizeof(ctx->namespace_name), "tensorpool");
    snprintf(ctx->instance_id, sizeof(ctx->instance_id), "producer");
    snprintf(ctx->channel, sizeof(ctx->channel), "aeron:ipc");
    ctx->descriptor_stream_id = 1100;
    ctx->control_stream_id = 1000;
    ctx->qos_stream_id = 1200;
    ctx->metadata_stream_id = 1300;
    ctx->consumer_descriptor_stream_min = 31000;
    ctx->consumer_descriptor_stream_max = 31999;
    ctx->consumer_control_stream_min = 32000;
    ctx->consumer_control_stream_max = 32999;
    ctx->max_consumers = 64;
    ctx->announce_interval_ns = UINT64_C(1000000000);
    ctx->qos_interval_ns = UINT64_C(1000000000);
    ctx->meta_interval_ns = UINT64_C(1000000000);
    ctx->consumer_hello_interval_ns = UINT64_C(1000000000);
    ctx->consumer_stale_factor = 4;
    ctx->progress_interval_default_ns = 250000;
    ctx->progress_bytes_default = 65536;
    ctx->progress_interval_floor_ns = 50000;
    ctx->progress_bytes_floor = 4096;
}

static int tp_producer_validate_context(const tp_producer_context_t *ctx)
{
    if (0 != tp_shm_nslots_check(ctx->header_nslots))
    {
        TP_APPEND_ERR("producer header_nslots");
        return -1;
    }
    if (0 == ctx->pool_count || ctx->pool_count > TP_PRODUCER_MAX_POOLS)
    {
        TP_SET_ERR(EINVAL, "producer pool_count %zu outside 1..%d", ctx->pool_count, TP_PRODUCER_MAX_POOLS);
        return -1;
    }
    long page = sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < ctx->pool_count; i++)
    {
        for (size_t j = 0; j < i; j++)
        {
            if (ctx->pools[i].pool_id == ctx->pools[j].pool_id)
            {
                TP_SET_ERR(EINVAL, "producer pool_id %u configured twice", (unsigned)ctx->pools[i].pool_id);
                return -1;
            }
        }
        if (!ctx->require_hugepages && 0 != tp_shm_stride_check(ctx->pools[i].stride_bytes, (size_t)page, 0))
        {
            TP_APPEND_ERR("producer pool %u", (unsigned)ctx->pools[i].pool_id);
            return -1;
        }
    }
    if (ctx->consumer_stale_factor < 3 || ctx->consumer_stale_factor > 5)
    {
        TP_SET_ERR(EINVAL, "producer consumer_stale_factor %u outside 3..5 (spec §10.1.3)", ctx->consumer_stale_factor);
        return -1;
    }
    if (0 == ctx->max_consumers)
    {
        TP_SET_ERR(EINVAL, "producer max_consumers must be at least 1");
        return -1;
    }
    return 0;
}

static int tp_producer_create_regions(tp_producer_core_t *core)
{
    const tp_producer_context_t *ctx = &core->ctx;
    char path[PATH_MAX];
    size_t length;

    if (0 != tp_shm_layout_header_path(&core->layout, path, sizeof(path)) ||
        0 != tp_shm_region_header_length(ctx->header_nslots, &length) ||
        0 != tp_shm_region_create(&core->header, path, length, ctx->require_hugepages, true))
    {
        TP_APPEND_ERR("creating the header ring");
        return -1;
    }
    tp_shm_region_prefault(&core->header);
    if (tp_shm_uri_format(core->header_uri, sizeof(core->header_uri), path, ctx->require_hugepages) < 0)
    {
        TP_APPEND_ERR("formatting the header ring URI");
        return -1;
    }
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, core->epoch, ctx->stream_id, ctx->header_nslots);
    sb.layout_version = ctx->layout_version;
    if (0 != tp_superblock_write(core->header.addr, core->header.layout_length, &sb))
    {
        return -1;
    }

    for (size_t i = 0; i < core->pool_count; i++)
    {
        tp_producer_pool_t *pool = &core->pools[i];
        if (0 != tp_shm_layout_pool_path(&core->layout, pool->pool_id, path, sizeof(path)) ||
            0 != tp_shm_region_pool_length(ctx->header_nslots, pool->stride_bytes, &length) ||
            0 != tp_shm_region_create(&pool->region, path, length, ctx->require_hugepages, true))
        {
            TP_APPEND_ERR("creating payload pool %u", (unsigned)pool->pool_id);
            return -1;
        }
        tp_shm_region_prefault(&pool->region);
        if (0 != tp_shm_region_check_stride(&pool->region, pool->stride_bytes, ctx->require_hugepages) ||
            tp_shm_uri_format(pool->uri, sizeof(pool->uri), path, ctx->require_hugepages) < 0)
        {
            TP_APPEND_ERR("payload pool %u", (unsigned)pool->pool_id);
            return -1;
        }
        tp_superblock_init_payload_pool(&sb, core->epoch, ctx->stream_id, pool->pool_id, ctx->header_nslots,
                                        pool->stride_bytes);
        sb.layout_version = ctx->layout_version;
        if (0 != tp_superblock_write(pool->region.addr, pool->region.layout_length, &sb))
        {
            return -1;
        }
    }
    return 0;
}

void tp_producer_refresh_activity(tp_producer_core_t *core, uint64_t now_ns)
{
    tp_superblock_activity_refresh(core->header.addr, now_ns);
    for (size_t i = 0; i < core->pool_count; i++)
    {
        tp_superblock_activity_refresh(core->pools[i].region.addr, now_ns);
    }
}

tp_producer_core_t *tp_producer_core_alloc(const tp_producer_context_t *ctx)
{
    if (0 != tp_producer_validate_context(ctx))
    {
        return NULL;
    }
    tp_producer_core_t *core = calloc(1, sizeof(*core));
    if (NULL == core)
    {
        TP_SET_ERR(ENOMEM, "allocating the producer core");
        return NULL;
    }
    core->ctx = *ctx;
    if (NULL == core->ctx.clock)
    {
        core->ctx.clock = tp_producer_default_clock;
    }
    core->mask = ctx->header_nslots - 1;
    core->consumers = calloc(ctx->max_consumers, sizeof(*core->consumers));
    core->scratch = malloc(TP_PRODUCER_SCRATCH_BYTES);
    core->meta_buffer = malloc(TP_PRODUCER_META_BYTES);
    core->pending = calloc(ctx->header_nslots, sizeof(*core->pending));
    if (NULL == core->consumers || NULL == core->scratch || NULL == core->meta_buffer || NULL == core->pending)
    {
        TP_SET_ERR(ENOMEM, "allocating producer tables for %zu consumers", ctx->max_consumers);
        goto fail;
    }

    /* Pools sorted by stride so that the first fitting one is the smallest (§9). */
    core->pool_count = ctx->pool_count;
    for (size_t i = 0; i < ctx->pool_count; i++)
    {
        tp_producer_pool_t pool = {.pool_id = ctx->pools[i].pool_id, .stride_bytes = ctx->pools[i].stride_bytes};
        size_t j = i;
        while (j > 0 && core->pools[j - 1].stride_bytes > pool.stride_bytes)
        {
            core->pools[j] = core->pools[j - 1];
            j--;
        }
        core->pools[j] = pool;
    }
    core->progress_interval_ns = ctx->progress_interval_default_ns;
    core->progress_bytes_delta = ctx->progress_bytes_default;
    core->send_all = true;
    return core;

fail:
    tp_producer_core_close(core);
    return NULL;
}

int tp_producer_core_start(tp_producer_core_t **out, const tp_producer_context_t *ctx)
{
    if (NULL == out || NULL == ctx)
    {
        TP_SET_ERR(EINVAL, "tp_producer_core_start: NULL argument");
        return -1;
    }
    *out = NULL;
    tp_producer_core_t *core = tp_producer_core_alloc(ctx);
    if (NULL == core)
    {
        return -1;
    }
    if (0 != tp_shm_layout_init(&core->layout, ctx->shm_base_dir, ctx->namespace_name, ctx->instance_id, 1))
    {
        goto fail;
    }
    char instance_dir[PATH_MAX];
    if (snprintf(instance_dir, sizeof(instance_dir), "%s/%s/%s", core->layout.base_dir, core->layout.namespace_name,
                 core->layout.instance_id) >= (int)sizeof(instance_dir))
    {
        TP_SET_ERR(TP_ERR_PATH, "producer instance dir below %s is too long", core->layout.base_dir);
        goto fail;
    }
    core->epoch = tp_shm_layout_next_epoch(instance_dir, tp_clock_realtime_ns() / 1000);
    core->layout.epoch = core->epoch;
    if (0 != tp_shm_layout_create_dirs(&core->layout))
    {
        TP_APPEND_ERR("producer epoch %" PRIu64, core->epoch);
        goto fail;
    }
    core->layout_dirs_created = true;
    /* Older epochs of this instance (left by a crash): their regions and sidecars, then the directories, through
     * the same contained GC the SHM driver and tp_shm_gc use. A failure only leaves garbage behind. */
    (void)tp_shm_gc_collect_epochs(instance_dir, core->epoch - 1, 0, 0, 0, NULL);
    if (0 != tp_producer_create_regions(core))
    {
        TP_APPEND_ERR("producer stream %u epoch %" PRIu64, ctx->stream_id, core->epoch);
        goto fail;
    }
    uint64_t now = tp_producer_now(core);
    tp_producer_refresh_activity(core, now);
    *out = core;
    return 0;

fail:
    tp_producer_core_close(core);
    return -1;
}

int tp_producer_core_close(tp_producer_core_t *core)
{
    if (NULL == core)
    {
        return 0;
    }
    tp_producer_release_consumers(core);
    for (size_t i = 0; i < core->pool_count; i++)
    {
        tp_shm_region_close(&core->pools[i].region);
    }
    tp_shm_region_close(&core->header);
    if (core->layout_dirs_created)
    {
        /* Clean shutdown leaves nothing behind: the next start's epoch comes from the clock, not a marker. */
        (void)tp_shm_layout_remove_dirs(&core->layout);
    }
    free(core->consumers);
    free(core->scratch);
    free(core->pending);
    free(core->meta_buffer);
    free(core);
    return 0;
}

uint64_t tp_producer_core_epoch(const tp_producer_core_t *core)
{
    return core->epoch;
}

uint64_t tp_producer_core_next_seq(const tp_producer_core_t *core)
{
    return core->next_seq;
}

const tp_producer_counters_t *tp_producer_core_counters(const tp_producer_core_t *core)
{
    return &core->counters;
}

const char *tp_producer_core_header_path(const tp_producer_core_t *core)
{
    return core->header.path;
}

uint32_t tp_producer_core_meta_version(const tp_producer_core_t *core)
{
    return core->meta_version;
}

void tp_producer_core_announce_now(tp_producer_core_t *core)
{
    core->send_all = true;
}

void tp_producer_core_progress_policy(const tp_producer_core_t *core, uint64_t *interval_ns, uint64_t *bytes_delta)
{
    *interval_ns = core->progress_interval_ns;
    *bytes_delta = core->progress_bytes_delta;
}

static inline uint8_t *tp_producer_slot(const tp_producer_core_t *core, uint32_t index)
{
    return core->header.addr + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * TP_SHM_HEADER_SLOT_BYTES;
}

static inline bool tp_producer_claim_matches(const tp_producer_core_t *core, const tp_producer_claim_t *claim)
{
    return core->claim_active && NULL != claim && claim->seq == core->claim_seq &&
           claim->header_index == core->claim_index;
}

/*
 * After a commit, take ownership of the lines the next claim and commit will write (its header slot and the first
 * line of its payload slot in each pool): consumers read them one lap ago, so without this each store would wait
 * for an invalidation round trip inside the next commit, delaying its descriptor.
 */
static void tp_producer_prefetch_next(const tp_producer_core_t *core)
{
    const uint32_t index = (uint32_t)(core->next_seq & core->mask);
    const uint8_t *slot = tp_producer_slot(core, index);
    for (size_t off = 0; off < TP_SHM_HEADER_SLOT_BYTES; off += 64)
    {
        tp_prefetch_write(slot + off);
    }
    for (size_t i = 0; i < core->pool_count; i++)
    {
        const tp_producer_pool_t *p = &core->pools[i];
        tp_prefetch_write(p->region.addr + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * p->stride_bytes);
    }
}

static void tp_producer_write_header(tp_producer_core_t *core, const tp_tensor_desc_t *desc, uint32_t length,
                                     uint64_t timestamp_ns, uint32_t meta_version)
{
    tp_slot_header_fields_t fields;
    fields.values_len_bytes = length;
    fields.payload_slot = core->claim_index;
    fields.pool_id = core->pools[core->claim_pool].pool_id;
    fields.timestamp_ns = timestamp_ns;
    fields.meta_version = meta_version;
    fields.tensor = *desc;
    tp_slot_header_encode(tp_producer_slot(core, core->claim_index), TP_SHM_HEADER_SLOT_BYTES, &fields);
}

int tp_producer_core_claim(tp_producer_core_t *core, uint32_t length, const tp_tensor_desc_t *desc,
                           tp_producer_claim_t *claim)
{
    if (NULL == core || NULL == claim)
    {
        return TP_PRODUCER_BAD_ARGUMENT;
    }
    if (core->claim_active)
    {
        return TP_PRODUCER_CLAIM_ACTIVE;
    }
    size_t pool = 0;
    while (pool < core->pool_count && core->pools[pool].stride_bytes < length)
    {
        pool++;
    }
    if (pool == core->pool_count)
    {
        core->counters.drops_no_pool++;
        return TP_PRODUCER_NO_POOL;
    }
    if (NULL != desc && TP_FRAME_OK != tp_tensor_layout_check(desc, length, NULL, NULL))
    {
        core->counters.drops_bad_tensor++;
        return TP_PRODUCER_BAD_TENSOR;
    }

    uint64_t seq = core->next_seq;
    uint32_t index = (uint32_t)(seq & core->mask);
    core->claim_active = true;
    core->claim_seq = seq;
    core->claim_index = index;
    core->claim_pool = pool;
    core->claim_length = length;
    core->claim_progress = false;
    core->claim_progress_bytes = 0;
    core->claim_pending_bytes = 0;

    tp_seqlock_write_begin(tp_seqlock_word(tp_producer_slot(core, index)), seq);
    core->claim_has_desc = NULL != desc;
    if (NULL != desc)
    {
        /* Written early (still uncommitted) so progress followers can validate the layout (§10.2.2), and so a
         * commit with the same description only stamps the time: the encoding is off the commit path. */
        tp_producer_write_header(core, desc, length, 0, core->meta_version);
        core->claim_desc = *desc;
    }

    const tp_producer_pool_t *p = &core->pools[pool];
    claim->payload = p->region.addr + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * p->stride_bytes;
    claim->capacity = p->stride_bytes;
    claim->length = length;
    claim->seq = seq;
    claim->header_index = index;
    claim->pool_id = p->pool_id;

    /* Progress needs the layout in the slot first, so only claims that came with a description get it. */
    if (core->progress_consumers > 0 && NULL != desc)
    {
        uint64_t now = tp_producer_now(core);
        core->claim_progress = true;
        core->claim_progress_ns = now;
        tp_producer_send_progress(core, seq, index, 0, shm_tensorpool_control_frameProgressState_STARTED);
    }
    return TP_PRODUCER_OK;
}

static int tp_producer_flush_progress(tp_producer_core_t *core, uint64_t now_ns)
{
    if (!core->claim_active || !core->claim_progress || core->claim_pending_bytes <= core->claim_progress_bytes)
    {
        return 0;
    }
    if (now_ns - core->claim_progress_ns < core->progress_interval_ns ||
        core->claim_pending_bytes - core->claim_progress_bytes < core->progress_bytes_delta)
    {
        return 0;
    }
    core->claim_progress_ns = now_ns;
    core->claim_progress_bytes = core->claim_pending_bytes;
    tp_producer_send_progress(core, core->claim_seq, core->claim_index, core->claim_pending_bytes,
                              shm_tensorpool_control_frameProgressState_PROGRESS);
    return 1;
}

int tp_producer_core_progress(tp_producer_core_t *core, const tp_producer_claim_t *claim, uint64_t bytes_filled)
{
    if (!tp_producer_claim_matches(core, claim))
    {
        return TP_PRODUCER_NO_CLAIM;
    }
    if (bytes_filled > core->claim_length)
    {
        return TP_PRODUCER_BAD_ARGUMENT;
    }
    if (bytes_filled > core->claim_pending_bytes)
    {
        core->claim_pending_bytes = bytes_filled; /* never regresses */
    }
    if (!core->claim_progress)
    {
        return 0;
    }
    return tp_producer_flush_progress(core, tp_producer_now(core));
}

int tp_producer_core_commit(tp_producer_core_t *core, const tp_producer_claim_t *claim, const tp_tensor_desc_t *desc,
                            uint64_t timestamp_ns, uint32_t meta_version)
{
    if (!tp_producer_claim_matches(core, claim))
    {
        return TP_PRODUCER_NO_CLAIM;
    }
    /* The claim's description, unchanged: checked and encoded at claim time, only the stamp is left to write. */
    const bool same = core->claim_has_desc && NULL != desc && 0 == memcmp(desc, &core->claim_desc, sizeof(*desc));
    if (!same && (NULL == desc || TP_FRAME_OK != tp_tensor_layout_check(desc, core->claim_length, NULL, NULL)))
    {
        core->counters.drops_bad_tensor++;
        tp_producer_core_abort(core, claim);
        return TP_PRODUCER_BAD_TENSOR;
    }
    uint64_t seq = core->claim_seq;
    uint32_t index = core->claim_index;
    uint8_t *slot = tp_producer_slot(core, index);
    if (same)
    {
        tp_slot_header_stamp(slot, timestamp_ns, meta_version);
    }
    else
    {
        tp_producer_write_header(core, desc, core->claim_length, timestamp_ns, meta_version);
    }
    tp_seqlock_write_commit(tp_seqlock_word(slot), seq);
    core->claim_active = false;
    core->next_seq = seq + 1;
    core->counters.frames_committed++;

    int rc = tp_producer_send_descriptors(core, seq, index, timestamp_ns, meta_version);
    tp_producer_prefetch_next(core);
    if (core->claim_progress)
    {
        tp_producer_send_progress(core, seq, index, core->claim_length,
                                  shm_tensorpool_control_frameProgressState_COMPLETE);
        core->claim_progress = false;
    }
    return rc < 0 ? TP_PRODUCER_BACK_PRESSURE : rc > 0 ? TP_PRODUCER_NOT_CONNECTED : TP_PRODUCER_OK;
}

int tp_producer_core_abort(tp_producer_core_t *core, const tp_producer_claim_t *claim)
{
    if (!tp_producer_claim_matches(core, claim))
    {
        return TP_PRODUCER_NO_CLAIM;
    }
    /* The slot stays IN_PROGRESS for this seq; no descriptor named it, and the next claim rewrites it. */
    core->claim_active = false;
    core->claim_progress = false;
    core->counters.frames_aborted++;
    return TP_PRODUCER_OK;
}

int tp_producer_core_offer(tp_producer_core_t *core, const tp_tensor_desc_t *desc, const void *bytes, uint32_t length,
                           uint64_t timestamp_ns)
{
    if (NULL == desc || (length > 0 && NULL == bytes))
    {
        return TP_PRODUCER_BAD_ARGUMENT;
    }
    tp_producer_claim_t claim;
    int rc = tp_producer_core_claim(core, length, NULL, &claim);
    if (rc < 0)
    {
        return rc;
    }
    if (length > 0)
    {
        /* Large frames into a ring beyond the cache: streaming stores, ending with an sfence so that the commit's
         * release store is ordered after them. */
        tp_memcpy_publish(claim.payload, bytes, length, (size_t)claim.capacity * ((size_t)core->mask + 1));
    }
    return tp_producer_core_commit(core, &claim, desc, timestamp_ns, core->meta_version);
}

int tp_producer_core_set_meta(tp_producer_core_t *core, const tp_producer_meta_attribute_t *attributes, size_t count)
{
    if (count > TP_PRODUCER_META_MAX_ATTRS)
    {
        TP_SET_ERR(EINVAL, "DataSourceMeta with %zu attributes, at most %d", count, TP_PRODUCER_META_MAX_ATTRS);
        return -1;
    }
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_dataSourceMeta msg;
    struct shm_tensorpool_control_dataSourceMeta_attributes group;
    uint32_t version = core->meta_version + 1;
    if (NULL == shm_tensorpool_control_dataSourceMeta_wrap_and_apply_header(&msg, (char *)core->meta_buffer, 0,
                                                                            TP_PRODUCER_META_BYTES, &hdr))
    {
        TP_SET_ERR(TP_ERR_CODEC, "encoding DataSourceMeta header");
        return -1;
    }
    shm_tensorpool_control_dataSourceMeta_set_streamId(&msg, core->ctx.stream_id);
    shm_tensorpool_control_dataSourceMeta_set_metaVersion(&msg, version);
    shm_tensorpool_control_dataSourceMeta_set_timestampNs(&msg, tp_producer_now(core));
    if (NULL == shm_tensorpool_control_dataSourceMeta_attributes_set_count(&msg, &group, (uint16_t)count))
    {
        TP_SET_ERR(TP_ERR_CODEC, "encoding DataSourceMeta attribute count %zu", count);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
    {
        const tp_producer_meta_attribute_t *a = &attributes[i];
        if (NULL == a->key || NULL == a->format || (a->value_length > 0 && NULL == a->value) ||
            NULL == shm_tensorpool_control_dataSourceMeta_attributes_next(&group) ||
            NULL ==
                shm_tensorpool_control_dataSourceMeta_attributes_put_key(&group, a->key, (uint32_t)strlen(a->key)) ||
            NULL == shm_tensorpool_control_dataSourceMeta_attributes_put_format(&group, a->format,
                                                                                (uint32_t)strlen(a->format)) ||
            NULL == shm_tensorpool_control_dataSourceMeta_attributes_put_value(&group, (const char *)a->value,
                                                                               a->value_length))
        {
            TP_SET_ERR(TP_ERR_CODEC, "DataSourceMeta attribute %zu does not fit in %d bytes", i,
                       TP_PRODUCER_META_BYTES);
            core->meta_length = 0;
            return -1;
        }
    }
    core->meta_length = 8 + shm_tensorpool_control_dataSourceMeta_encoded_length(&msg);
    core->meta_version = version;
    core->meta_dirty = true;
    return 0;
}

int tp_producer_core_on_message(tp_producer_core_t *core, const uint8_t *buffer, size_t length)
{
    tp_control_header_t hdr;
    if (!tp_control_accept(buffer, length, &hdr, &core->counters.foreign_messages, &core->counters.malformed_messages))
    {
        return 0;
    }
    int rc;
    if (shm_tensorpool_control_consumerHello_sbe_template_id() == hdr.template_id)
    {
        rc = tp_producer_on_consumer_hello(core, buffer, length, hdr.block_length, hdr.version);
    }
    else if (shm_tensorpool_control_qosConsumer_sbe_template_id() == hdr.template_id)
    {
        rc = tp_producer_on_qos_consumer(core, buffer, length, hdr.block_length, hdr.version);
    }
    else
    {
        /* Our own announces/descriptors echo back on shared streams: not for us. */
        core->counters.unknown_templates++;
        return 0;
    }
    if (rc < 0)
    {
        core->counters.malformed_messages++;
        return 0;
    }
    return rc;
}

int tp_producer_core_do_work(tp_producer_core_t *core, uint64_t now_ns)
{
    int work = tp_producer_flush_pending(core);
    bool all = core->send_all;
    core->send_all = false;
    if (all || now_ns >= core->next_announce_ns)
    {
        /* Liveness first, so a consumer validating the announce sees a fresh activity timestamp. */
        tp_producer_refresh_activity(core, now_ns);
        /* A refused send stays due, so the next duty cycle retries instead of waiting a period. */
        /* Driver mode: the driver is the only ShmPoolAnnounce emitter (driver model §8). */
        bool sent = core->external_regions || 0 == tp_producer_send_announce(core, now_ns);
        sent = 0 == tp_producer_send_source_announce(core) && sent;
        core->next_announce_ns = sent ? now_ns + core->ctx.announce_interval_ns : now_ns;
        work++;
    }
    if (all || now_ns >= core->next_qos_ns)
    {
        core->next_qos_ns = 0 == tp_producer_send_qos(core) ? now_ns + core->ctx.qos_interval_ns : now_ns;
        work++;
    }
    if (core->meta_length > 0 && (all || core->meta_dirty || now_ns >= core->next_meta_ns))
    {
        if (0 == tp_producer_emit(core, TP_STREAM_METADATA, core->ctx.metadata_stream_id, core->ctx.channel, 0,
                                  core->meta_buffer, core->meta_length))
        {
            core->meta_dirty = false;
            core->next_meta_ns = now_ns + core->ctx.meta_interval_ns;
        }
        work++;
    }
    work += tp_producer_check_stale_consumers(core, now_ns);
    work += tp_producer_flush_progress(core, now_ns);
    return work;
}
