/*
 * The shared test vectors (../shared/vectors, written by sbe-tool generated codecs of another implementation):
 * each decodes to exactly the values in MANIFEST.md, re-encoding those values reproduces the file byte for byte,
 * and every truncated prefix is rejected by a full forward decode without reading out of bounds.
 */
#include "sbe_test_util.h"

#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/qosProducer.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_control/slotHeader.h"
#include "shm_tensorpool_control/tensorHeader.h"

#define CTL(x) shm_tensorpool_control_##x

#define MAX_TEXT    256
#define MAX_ENTRIES 4

typedef struct text_stct
{
    char data[MAX_TEXT];
    size_t len;
} text_t;

/* Copies a var-data view; -1 when the decoder rejected it (NULL data) or it is too big for the test. */
static int take(const char *data, size_t length, text_t *out)
{
    if (NULL == data || length > MAX_TEXT)
    {
        return -1;
    }
    memcpy(out->data, data, length);
    out->len = length;
    return 0;
}

static void assert_text(const text_t *t, const char *expected)
{
    assert_int_equal(strlen(expected), t->len);
    assert_memory_equal(expected, t->data, t->len);
}

/* Reads and checks the 8-byte message header: schema 900 and the expected template. */
static int decode_header(char *buf, size_t len, uint16_t template_id, uint64_t *block_length, uint64_t *version)
{
    struct CTL(messageHeader) hdr;
    if (NULL == CTL(messageHeader_wrap)(&hdr, buf, 0, CTL(messageHeader_sbe_schema_version)(), len))
    {
        return -1;
    }
    if (CTL(messageHeader_schemaId)(&hdr) != 900 || CTL(messageHeader_templateId)(&hdr) != template_id)
    {
        return -1;
    }
    *block_length = CTL(messageHeader_blockLength)(&hdr);
    *version = CTL(messageHeader_version)(&hdr);
    return 0;
}

/* ---- ShmPoolAnnounce ---------------------------------------------------------------------------------------- */

typedef struct announce_stct
{
    uint64_t block_length;
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint64_t announce_ts;
    enum CTL(clockDomain) clock;
    uint32_t layout_version;
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint64_t pool_count;
    uint64_t pool_block_length;
    struct
    {
        uint16_t pool_id;
        uint32_t pool_nslots;
        uint32_t stride_bytes;
        text_t region_uri;
    } pools[MAX_ENTRIES];
    text_t header_region_uri;
    size_t end;
} announce_t;

static int decode_announce(char *buf, size_t len, void *vout)
{
    announce_t *out = vout;
    uint64_t version;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) pools;

    if (decode_header(buf, len, 1, &out->block_length, &version) < 0 ||
        NULL == CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, out->block_length, version, len))
    {
        return -1;
    }
    out->stream_id = CTL(shmPoolAnnounce_streamId)(&m);
    out->producer_id = CTL(shmPoolAnnounce_producerId)(&m);
    out->epoch = CTL(shmPoolAnnounce_epoch)(&m);
    out->announce_ts = CTL(shmPoolAnnounce_announceTimestampNs)(&m);
    if (!CTL(shmPoolAnnounce_announceClockDomain)(&m, &out->clock))
    {
        return -1;
    }
    out->layout_version = CTL(shmPoolAnnounce_layoutVersion)(&m);
    out->header_nslots = CTL(shmPoolAnnounce_headerNslots)(&m);
    out->header_slot_bytes = CTL(shmPoolAnnounce_headerSlotBytes)(&m);
    if (NULL == CTL(shmPoolAnnounce_get_payloadPools)(&m, &pools))
    {
        return -1;
    }
    out->pool_count = CTL(shmPoolAnnounce_payloadPools_count)(&pools);
    out->pool_block_length = CTL(shmPoolAnnounce_payloadPools_acting_block_length)(&pools);
    if (out->pool_count > MAX_ENTRIES)
    {
        return -1;
    }
    for (uint64_t i = 0; i < out->pool_count; i++)
    {
        if (NULL == CTL(shmPoolAnnounce_payloadPools_next)(&pools))
        {
            return -1;
        }
        out->pools[i].pool_id = CTL(shmPoolAnnounce_payloadPools_poolId)(&pools);
        out->pools[i].pool_nslots = CTL(shmPoolAnnounce_payloadPools_poolNslots)(&pools);
        out->pools[i].stride_bytes = CTL(shmPoolAnnounce_payloadPools_strideBytes)(&pools);
        struct CTL(shmPoolAnnounce_string_view) uri =
            CTL(shmPoolAnnounce_payloadPools_get_regionUri_as_string_view)(&pools);
        if (take(uri.data, uri.length, &out->pools[i].region_uri) < 0)
        {
            return -1;
        }
    }
    struct CTL(shmPoolAnnounce_string_view) hdr_uri = CTL(shmPoolAnnounce_get_headerRegionUri_as_string_view)(&m);
    if (take(hdr_uri.data, hdr_uri.length, &out->header_region_uri) < 0)
    {
        return -1;
    }
    out->end = 8 + CTL(shmPoolAnnounce_encoded_length)(&m);
    return 0;
}

static void check_announce(const void *v)
{
    const announce_t *a = v;
    assert_int_equal(35, a->block_length);
    assert_int_equal(1000, a->stream_id);
    assert_int_equal(1, a->producer_id);
    assert_int_equal(1, a->epoch);
    assert_int_equal(0, a->announce_ts);
    assert_int_equal(CTL(clockDomain_MONOTONIC), a->clock);
    assert_int_equal(1, a->layout_version);
    assert_int_equal(8, a->header_nslots);
    assert_int_equal(256, a->header_slot_bytes);
    assert_int_equal(1, a->pool_count);
    assert_int_equal(10, a->pool_block_length);
    assert_int_equal(1, a->pools[0].pool_id);
    assert_int_equal(8, a->pools[0].pool_nslots);
    assert_int_equal(1024, a->pools[0].stride_bytes);
    assert_text(&a->pools[0].region_uri, "shm:///tmp/pool1");
    assert_text(&a->header_region_uri, "shm:///tmp/header");
    assert_int_equal(98, a->end);
}

static size_t encode_announce(char *buf, size_t cap, const void *v)
{
    const announce_t *a = v;
    struct CTL(messageHeader) hdr;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) pools;

    assert_non_null(CTL(shmPoolAnnounce_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(shmPoolAnnounce_set_streamId)(&m, a->stream_id);
    CTL(shmPoolAnnounce_set_producerId)(&m, a->producer_id);
    CTL(shmPoolAnnounce_set_epoch)(&m, a->epoch);
    CTL(shmPoolAnnounce_set_announceTimestampNs)(&m, a->announce_ts);
    CTL(shmPoolAnnounce_set_announceClockDomain)(&m, a->clock);
    CTL(shmPoolAnnounce_set_layoutVersion)(&m, a->layout_version);
    CTL(shmPoolAnnounce_set_headerNslots)(&m, a->header_nslots);
    CTL(shmPoolAnnounce_set_headerSlotBytes)(&m, a->header_slot_bytes);
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_set_count)(&m, &pools, (uint16_t)a->pool_count));
    for (uint64_t i = 0; i < a->pool_count; i++)
    {
        assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&pools));
        CTL(shmPoolAnnounce_payloadPools_set_poolId)(&pools, a->pools[i].pool_id);
        CTL(shmPoolAnnounce_payloadPools_set_poolNslots)(&pools, a->pools[i].pool_nslots);
        CTL(shmPoolAnnounce_payloadPools_set_strideBytes)(&pools, a->pools[i].stride_bytes);
        assert_non_null(CTL(shmPoolAnnounce_payloadPools_put_regionUri)(&pools, a->pools[i].region_uri.data,
                                                                        (uint32_t)a->pools[i].region_uri.len));
    }
    assert_non_null(
        CTL(shmPoolAnnounce_put_headerRegionUri)(&m, a->header_region_uri.data, (uint32_t)a->header_region_uri.len));
    return 8 + CTL(shmPoolAnnounce_encoded_length)(&m);
}

/* ---- ConsumerHello ------------------------------------------------------------------------------------------ */

typedef struct hello_stct
{
    uint64_t block_length;
    uint32_t stream_id;
    uint32_t consumer_id;
    enum CTL(bool) supports_shm;
    enum CTL(bool) supports_progress;
    enum CTL(mode) mode;
    uint32_t max_rate_hz;
    uint32_t expected_layout_version;
    uint32_t progress_interval_us;
    uint32_t progress_bytes_delta;
    uint32_t progress_major_delta_units;
    uint32_t descriptor_stream_id;
    uint32_t control_stream_id;
    text_t descriptor_channel;
    text_t control_channel;
    size_t end;
} hello_t;

static int decode_hello(char *buf, size_t len, void *vout)
{
    hello_t *out = vout;
    uint64_t version;
    struct CTL(consumerHello) m;

    if (decode_header(buf, len, 2, &out->block_length, &version) < 0 ||
        NULL == CTL(consumerHello_wrap_for_decode)(&m, buf, 8, out->block_length, version, len))
    {
        return -1;
    }
    out->stream_id = CTL(consumerHello_streamId)(&m);
    out->consumer_id = CTL(consumerHello_consumerId)(&m);
    if (!CTL(consumerHello_supportsShm)(&m, &out->supports_shm) ||
        !CTL(consumerHello_supportsProgress)(&m, &out->supports_progress) || !CTL(consumerHello_mode)(&m, &out->mode))
    {
        return -1;
    }
    out->max_rate_hz = CTL(consumerHello_maxRateHz)(&m);
    out->expected_layout_version = CTL(consumerHello_expectedLayoutVersion)(&m);
    out->progress_interval_us = CTL(consumerHello_progressIntervalUs)(&m);
    out->progress_bytes_delta = CTL(consumerHello_progressBytesDelta)(&m);
    out->progress_major_delta_units = CTL(consumerHello_progressMajorDeltaUnits)(&m);
    out->descriptor_stream_id = CTL(consumerHello_descriptorStreamId)(&m);
    out->control_stream_id = CTL(consumerHello_controlStreamId)(&m);
    struct CTL(consumerHello_string_view) d = CTL(consumerHello_get_descriptorChannel_as_string_view)(&m);
    if (take(d.data, d.length, &out->descriptor_channel) < 0)
    {
        return -1;
    }
    struct CTL(consumerHello_string_view) c = CTL(consumerHello_get_controlChannel_as_string_view)(&m);
    if (take(c.data, c.length, &out->control_channel) < 0)
    {
        return -1;
    }
    out->end = 8 + CTL(consumerHello_encoded_length)(&m);
    return 0;
}

static void check_hello(const void *v)
{
    const hello_t *h = v;
    assert_int_equal(39, h->block_length);
    assert_int_equal(1000, h->stream_id);
    assert_int_equal(2, h->consumer_id);
    assert_int_equal(CTL(bool_TRUE), h->supports_shm);
    assert_int_equal(CTL(bool_TRUE), h->supports_progress);
    assert_int_equal(CTL(mode_STREAM), h->mode);
    assert_int_equal(0, h->max_rate_hz);
    assert_int_equal(1, h->expected_layout_version);
    assert_int_equal(4294967295u, h->progress_interval_us);
    assert_int_equal(CTL(consumerHello_progressIntervalUs_null_value)(), h->progress_interval_us);
    assert_int_equal(CTL(consumerHello_progressBytesDelta_null_value)(), h->progress_bytes_delta);
    assert_int_equal(CTL(consumerHello_progressMajorDeltaUnits_null_value)(), h->progress_major_delta_units);
    assert_int_equal(4294967295u, h->progress_major_delta_units);
    assert_int_equal(1100, h->descriptor_stream_id);
    assert_int_equal(1000, h->control_stream_id);
    assert_text(&h->descriptor_channel, "aeron:ipc");
    assert_text(&h->control_channel, "aeron:ipc");
    assert_int_equal(73, h->end);
}

static size_t encode_hello(char *buf, size_t cap, const void *v)
{
    const hello_t *h = v;
    struct CTL(messageHeader) hdr;
    struct CTL(consumerHello) m;

    assert_non_null(CTL(consumerHello_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(consumerHello_set_streamId)(&m, h->stream_id);
    CTL(consumerHello_set_consumerId)(&m, h->consumer_id);
    CTL(consumerHello_set_supportsShm)(&m, h->supports_shm);
    CTL(consumerHello_set_supportsProgress)(&m, h->supports_progress);
    CTL(consumerHello_set_mode)(&m, h->mode);
    CTL(consumerHello_set_maxRateHz)(&m, h->max_rate_hz);
    CTL(consumerHello_set_expectedLayoutVersion)(&m, h->expected_layout_version);
    CTL(consumerHello_set_progressIntervalUs)(&m, h->progress_interval_us);
    CTL(consumerHello_set_progressBytesDelta)(&m, h->progress_bytes_delta);
    CTL(consumerHello_set_progressMajorDeltaUnits)(&m, h->progress_major_delta_units);
    CTL(consumerHello_set_descriptorStreamId)(&m, h->descriptor_stream_id);
    CTL(consumerHello_set_controlStreamId)(&m, h->control_stream_id);
    assert_non_null(
        CTL(consumerHello_put_descriptorChannel)(&m, h->descriptor_channel.data, (uint32_t)h->descriptor_channel.len));
    assert_non_null(
        CTL(consumerHello_put_controlChannel)(&m, h->control_channel.data, (uint32_t)h->control_channel.len));
    return 8 + CTL(consumerHello_encoded_length)(&m);
}

/* ---- DataSourceMeta ----------------------------------------------------------------------------------------- */

typedef struct meta_stct
{
    uint64_t block_length;
    uint32_t stream_id;
    uint32_t meta_version;
    uint64_t timestamp_ns;
    uint64_t attr_count;
    uint64_t attr_block_length;
    struct
    {
        text_t key;
        text_t format;
        text_t value;
    } attrs[MAX_ENTRIES];
    size_t end;
} meta_t;

static int decode_meta(char *buf, size_t len, void *vout)
{
    meta_t *out = vout;
    uint64_t version;
    struct CTL(dataSourceMeta) m;
    struct CTL(dataSourceMeta_attributes) attrs;

    if (decode_header(buf, len, 8, &out->block_length, &version) < 0 ||
        NULL == CTL(dataSourceMeta_wrap_for_decode)(&m, buf, 8, out->block_length, version, len))
    {
        return -1;
    }
    out->stream_id = CTL(dataSourceMeta_streamId)(&m);
    out->meta_version = CTL(dataSourceMeta_metaVersion)(&m);
    out->timestamp_ns = CTL(dataSourceMeta_timestampNs)(&m);
    if (NULL == CTL(dataSourceMeta_get_attributes)(&m, &attrs))
    {
        return -1;
    }
    out->attr_count = CTL(dataSourceMeta_attributes_count)(&attrs);
    out->attr_block_length = CTL(dataSourceMeta_attributes_acting_block_length)(&attrs);
    if (out->attr_count > MAX_ENTRIES)
    {
        return -1;
    }
    for (uint64_t i = 0; i < out->attr_count; i++)
    {
        if (NULL == CTL(dataSourceMeta_attributes_next)(&attrs))
        {
            return -1;
        }
        struct CTL(dataSourceMeta_string_view) k = CTL(dataSourceMeta_attributes_get_key_as_string_view)(&attrs);
        if (take(k.data, k.length, &out->attrs[i].key) < 0)
        {
            return -1;
        }
        struct CTL(dataSourceMeta_string_view) f = CTL(dataSourceMeta_attributes_get_format_as_string_view)(&attrs);
        if (take(f.data, f.length, &out->attrs[i].format) < 0)
        {
            return -1;
        }
        struct CTL(dataSourceMeta_string_view) val = CTL(dataSourceMeta_attributes_get_value_as_string_view)(&attrs);
        if (take(val.data, val.length, &out->attrs[i].value) < 0)
        {
            return -1;
        }
    }
    out->end = 8 + CTL(dataSourceMeta_encoded_length)(&m);
    return 0;
}

static void check_meta(const void *v)
{
    const meta_t *m = v;
    assert_int_equal(16, m->block_length);
    assert_int_equal(1000, m->stream_id);
    assert_int_equal(1, m->meta_version);
    assert_int_equal(0, m->timestamp_ns);
    assert_int_equal(1, m->attr_count);
    assert_int_equal(0, m->attr_block_length);
    assert_text(&m->attrs[0].key, "dtype");
    assert_text(&m->attrs[0].format, "string");
    assert_text(&m->attrs[0].value, "float32");
    assert_int_equal(58, m->end);
}

static size_t encode_meta(char *buf, size_t cap, const void *v)
{
    const meta_t *mv = v;
    struct CTL(messageHeader) hdr;
    struct CTL(dataSourceMeta) m;
    struct CTL(dataSourceMeta_attributes) attrs;

    assert_non_null(CTL(dataSourceMeta_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(dataSourceMeta_set_streamId)(&m, mv->stream_id);
    CTL(dataSourceMeta_set_metaVersion)(&m, mv->meta_version);
    CTL(dataSourceMeta_set_timestampNs)(&m, mv->timestamp_ns);
    assert_non_null(CTL(dataSourceMeta_attributes_set_count)(&m, &attrs, (uint16_t)mv->attr_count));
    for (uint64_t i = 0; i < mv->attr_count; i++)
    {
        assert_non_null(CTL(dataSourceMeta_attributes_next)(&attrs));
        assert_non_null(
            CTL(dataSourceMeta_attributes_put_key)(&attrs, mv->attrs[i].key.data, (uint32_t)mv->attrs[i].key.len));
        assert_non_null(CTL(dataSourceMeta_attributes_put_format)(&attrs, mv->attrs[i].format.data,
                                                                  (uint32_t)mv->attrs[i].format.len));
        assert_non_null(CTL(dataSourceMeta_attributes_put_value)(&attrs, mv->attrs[i].value.data,
                                                                 (uint32_t)mv->attrs[i].value.len));
    }
    return 8 + CTL(dataSourceMeta_encoded_length)(&m);
}

/* ---- QosProducer -------------------------------------------------------------------------------------------- */

typedef struct qos_stct
{
    uint64_t block_length;
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint64_t current_seq;
    uint32_t watermark;
    size_t end;
} qos_t;

static int decode_qos(char *buf, size_t len, void *vout)
{
    qos_t *out = vout;
    uint64_t version;
    struct CTL(qosProducer) m;

    if (decode_header(buf, len, 6, &out->block_length, &version) < 0 ||
        NULL == CTL(qosProducer_wrap_for_decode)(&m, buf, 8, out->block_length, version, len))
    {
        return -1;
    }
    out->stream_id = CTL(qosProducer_streamId)(&m);
    out->producer_id = CTL(qosProducer_producerId)(&m);
    out->epoch = CTL(qosProducer_epoch)(&m);
    out->current_seq = CTL(qosProducer_currentSeq)(&m);
    out->watermark = CTL(qosProducer_watermark)(&m);
    out->end = 8 + CTL(qosProducer_encoded_length)(&m);
    return 0;
}

static void check_qos(const void *v)
{
    const qos_t *q = v;
    assert_int_equal(28, q->block_length);
    assert_int_equal(1000, q->stream_id);
    assert_int_equal(1, q->producer_id);
    assert_int_equal(1, q->epoch);
    assert_int_equal(42, q->current_seq);
    assert_int_equal(128, q->watermark);
    assert_int_not_equal(CTL(qosProducer_watermark_null_value)(), q->watermark);
    assert_int_equal(36, q->end);
}

static size_t encode_qos(char *buf, size_t cap, const void *v)
{
    const qos_t *q = v;
    struct CTL(messageHeader) hdr;
    struct CTL(qosProducer) m;

    assert_non_null(CTL(qosProducer_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(qosProducer_set_streamId)(&m, q->stream_id);
    CTL(qosProducer_set_producerId)(&m, q->producer_id);
    CTL(qosProducer_set_epoch)(&m, q->epoch);
    CTL(qosProducer_set_currentSeq)(&m, q->current_seq);
    CTL(qosProducer_set_watermark)(&m, q->watermark);
    return 8 + CTL(qosProducer_encoded_length)(&m);
}

/* ---- TensorHeader (with its message header) ----------------------------------------------------------------- */

typedef struct tensor_stct
{
    uint64_t block_length;
    enum CTL(dtype) dtype;
    enum CTL(majorOrder) major_order;
    uint8_t ndims;
    uint8_t max_dims;
    uint8_t pad_align;
    enum CTL(progressUnit) progress_unit;
    uint32_t progress_stride_bytes;
    int32_t dims[8];
    int32_t strides[8];
    uint8_t pad;
    size_t end;
} tensor_t;

static int decode_tensor(char *buf, size_t len, void *vout)
{
    tensor_t *out = vout;
    uint64_t version;
    struct CTL(tensorHeader) m;

    if (decode_header(buf, len, 52, &out->block_length, &version) < 0 ||
        NULL == CTL(tensorHeader_wrap_for_decode)(&m, buf, 8, out->block_length, version, len))
    {
        return -1;
    }
    if (!CTL(tensorHeader_dtype)(&m, &out->dtype) || !CTL(tensorHeader_majorOrder)(&m, &out->major_order) ||
        !CTL(tensorHeader_progressUnit)(&m, &out->progress_unit))
    {
        return -1;
    }
    out->ndims = CTL(tensorHeader_ndims)(&m);
    out->max_dims = CTL(tensorHeader_maxDims)();
    out->pad_align = CTL(tensorHeader_padAlign)(&m);
    out->progress_stride_bytes = CTL(tensorHeader_progressStrideBytes)(&m);
    for (uint64_t i = 0; i < 8; i++)
    {
        if (!CTL(tensorHeader_dims)(&m, i, &out->dims[i]) || !CTL(tensorHeader_strides)(&m, i, &out->strides[i]))
        {
            return -1;
        }
    }
    out->pad = CTL(tensorHeader_pad)(&m);
    out->end = 8 + CTL(tensorHeader_encoded_length)(&m);
    return 0;
}

static void check_tensor(const void *v)
{
    const tensor_t *t = v;
    assert_int_equal(184, t->block_length);
    assert_int_equal(CTL(dtype_FLOAT32), t->dtype);
    assert_int_equal(9, t->dtype);
    assert_int_equal(CTL(majorOrder_ROW), t->major_order);
    assert_int_equal(1, t->ndims);
    assert_int_equal(8, t->max_dims);
    assert_int_equal(0, t->pad_align);
    assert_int_equal(CTL(progressUnit_NONE), t->progress_unit);
    assert_int_equal(0, t->progress_stride_bytes);
    assert_int_equal(1, t->dims[0]);
    for (int i = 1; i < 8; i++)
    {
        assert_int_equal(0, t->dims[i]);
    }
    for (int i = 0; i < 8; i++)
    {
        assert_int_equal(0, t->strides[i]);
    }
    assert_int_equal(0, t->pad);
    assert_int_equal(192, t->end);
}

static size_t encode_tensor(char *buf, size_t cap, const void *v)
{
    const tensor_t *t = v;
    struct CTL(messageHeader) hdr;
    struct CTL(tensorHeader) m;

    assert_non_null(CTL(tensorHeader_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(tensorHeader_set_dtype)(&m, t->dtype);
    CTL(tensorHeader_set_majorOrder)(&m, t->major_order);
    CTL(tensorHeader_set_ndims)(&m, t->ndims);
    CTL(tensorHeader_set_padAlign)(&m, t->pad_align);
    CTL(tensorHeader_set_progressUnit)(&m, t->progress_unit);
    CTL(tensorHeader_set_progressStrideBytes)(&m, t->progress_stride_bytes);
    for (uint64_t i = 0; i < 8; i++)
    {
        assert_non_null(CTL(tensorHeader_set_dims)(&m, i, t->dims[i]));
        assert_non_null(CTL(tensorHeader_set_strides)(&m, i, t->strides[i]));
    }
    CTL(tensorHeader_set_pad)(&m, t->pad);
    return 8 + CTL(tensorHeader_encoded_length)(&m);
}

/* ---- SlotHeader (raw SHM body, no message header) with the TensorHeader message in headerBytes -------------- */

typedef struct slot_stct
{
    uint64_t seq_commit;
    uint32_t values_len_bytes;
    uint32_t payload_slot;
    uint16_t pool_id;
    uint32_t payload_offset;
    uint64_t timestamp_ns;
    uint32_t meta_version;
    uint8_t pad;
    size_t header_bytes_len;
    tensor_t tensor;
    size_t end;
} slot_t;

static int decode_slot(char *buf, size_t len, void *vout)
{
    slot_t *out = vout;
    struct CTL(slotHeader) m;

    if (NULL == CTL(slotHeader_wrap_for_decode)(&m, buf, 0, CTL(slotHeader_sbe_block_length)(),
                                                CTL(slotHeader_sbe_schema_version)(), len))
    {
        return -1;
    }
    out->seq_commit = CTL(slotHeader_seqCommit)(&m);
    out->values_len_bytes = CTL(slotHeader_valuesLenBytes)(&m);
    out->payload_slot = CTL(slotHeader_payloadSlot)(&m);
    out->pool_id = CTL(slotHeader_poolId)(&m);
    out->payload_offset = CTL(slotHeader_payloadOffset)(&m);
    out->timestamp_ns = CTL(slotHeader_timestampNs)(&m);
    out->meta_version = CTL(slotHeader_metaVersion)(&m);
    out->pad = CTL(slotHeader_pad)(&m);
    struct CTL(slotHeader_string_view) hb = CTL(slotHeader_get_headerBytes_as_string_view)(&m);
    if (NULL == hb.data)
    {
        return -1;
    }
    out->header_bytes_len = hb.length;
    /* The embedded message is decoded in place, bounded by the var-data length. */
    if (decode_tensor((char *)hb.data, hb.length, &out->tensor) < 0)
    {
        return -1;
    }
    out->end = CTL(slotHeader_encoded_length)(&m);
    return 0;
}

static void check_slot(const void *v)
{
    const slot_t *s = v;
    assert_int_equal(1, s->seq_commit);
    assert_int_equal(192, s->values_len_bytes);
    assert_int_equal(0, s->payload_slot);
    assert_int_equal(1, s->pool_id);
    assert_int_equal(0, s->payload_offset);
    assert_int_equal(0, s->timestamp_ns);
    assert_int_equal(0, s->meta_version);
    assert_int_equal(0, s->pad);
    assert_int_equal(192, s->header_bytes_len);
    check_tensor(&s->tensor);
    assert_int_equal(256, s->end);
}

static size_t encode_slot(char *buf, size_t cap, const void *v)
{
    const slot_t *s = v;
    struct CTL(slotHeader) m;
    char tensor[192];

    memset(tensor, 0, sizeof(tensor));
    assert_int_equal(192, encode_tensor(tensor, sizeof(tensor), &s->tensor));
    assert_non_null(CTL(slotHeader_wrap_for_encode)(&m, buf, 0, cap));
    CTL(slotHeader_set_seqCommit)(&m, s->seq_commit);
    CTL(slotHeader_set_valuesLenBytes)(&m, s->values_len_bytes);
    CTL(slotHeader_set_payloadSlot)(&m, s->payload_slot);
    CTL(slotHeader_set_poolId)(&m, s->pool_id);
    CTL(slotHeader_set_payloadOffset)(&m, s->payload_offset);
    CTL(slotHeader_set_timestampNs)(&m, s->timestamp_ns);
    CTL(slotHeader_set_metaVersion)(&m, s->meta_version);
    CTL(slotHeader_set_pad)(&m, s->pad);
    assert_non_null(CTL(slotHeader_put_headerBytes)(&m, tensor, (uint32_t)sizeof(tensor)));
    return CTL(slotHeader_encoded_length)(&m);
}

/* ---- the table and the three checks ------------------------------------------------------------------------- */

typedef struct vector_case_stct
{
    const char *file;
    size_t size;
    size_t decoded_size;
    int (*decode)(char *buf, size_t len, void *out);
    void (*check)(const void *decoded);
    size_t (*encode)(char *buf, size_t cap, const void *decoded);
} vector_case_t;

static const vector_case_t cases[] = {
    {"shm_pool_announce.bin", 98, sizeof(announce_t), decode_announce, check_announce, encode_announce},
    {"consumer_hello.bin", 73, sizeof(hello_t), decode_hello, check_hello, encode_hello},
    {"data_source_meta.bin", 58, sizeof(meta_t), decode_meta, check_meta, encode_meta},
    {"qos_producer.bin", 36, sizeof(qos_t), decode_qos, check_qos, encode_qos},
    {"tensor_header.bin", 192, sizeof(tensor_t), decode_tensor, check_tensor, encode_tensor},
    {"slot_header.bin", 256, sizeof(slot_t), decode_slot, check_slot, encode_slot},
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static void test_vectors_decode_to_manifest_values(void **state)
{
    for (size_t i = 0; i < CASE_COUNT; i++)
    {
        size_t len;
        char *buf = tp_test_load_vector(cases[i].file, &len);
        void *decoded = calloc(1, cases[i].decoded_size);

        assert_int_equal(cases[i].size, len);
        if (cases[i].decode(buf, len, decoded) != 0)
        {
            fail_msg("%s did not decode", cases[i].file);
        }
        cases[i].check(decoded);
        free(decoded);
        free(buf);
    }
}

static void test_vectors_reencode_byte_for_byte(void **state)
{
    for (size_t i = 0; i < CASE_COUNT; i++)
    {
        size_t len;
        char *buf = tp_test_load_vector(cases[i].file, &len);
        void *decoded = calloc(1, cases[i].decoded_size);
        char out[512];

        assert_int_equal(0, cases[i].decode(buf, len, decoded));
        /* sbe-tool encoders never write block padding: the buffer starts zeroed, as the vectors' writer did. */
        memset(out, 0, sizeof(out));
        assert_int_equal(len, cases[i].encode(out, sizeof(out), decoded));
        if (memcmp(buf, out, len) != 0)
        {
            fail_msg("%s re-encodes differently", cases[i].file);
        }
        free(decoded);
        free(buf);
    }
}

static void test_vectors_every_truncated_prefix_is_rejected(void **state)
{
    for (size_t i = 0; i < CASE_COUNT; i++)
    {
        size_t len;
        char *buf = tp_test_load_vector(cases[i].file, &len);
        void *decoded = calloc(1, cases[i].decoded_size);

        for (size_t cut = 0; cut < len; cut++)
        {
            char *prefix = tp_test_prefix_copy(buf, cut);
            errno = 0;
            if (cases[i].decode(prefix, cut, decoded) != -1)
            {
                fail_msg("%s truncated to %zu bytes was accepted", cases[i].file, cut);
            }
            free(prefix);
        }
        /* And the exact-size copy still decodes, so the rejections above are about length alone. */
        char *exact = tp_test_prefix_copy(buf, len);
        assert_int_equal(0, cases[i].decode(exact, len, decoded));
        free(exact);
        free(decoded);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_decode_to_manifest_values),
        cmocka_unit_test(test_vectors_reencode_byte_for_byte),
        cmocka_unit_test(test_vectors_every_truncated_prefix_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
