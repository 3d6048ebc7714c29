/*
 * What a consumer reads out of a mapped region that another process wrote: the 64-byte superblock (wire spec
 * §7.1), the 256-byte header slot with its embedded TensorHeader (§8) and the tensor layout rules (§8.2). One
 * input is laid out as [0] selector (bit 0: pool expectations, bit 1: pool 1 stride from the tail, bits 2..7:
 * header index), [1..64] superblock bytes, [65..320] one slot, the rest extra parameters.
 *
 * Properties: nothing reads outside the buffers; a superblock that validates against expectations derived from
 * its own bytes reads back those bytes; a slot that decodes is one a consumer may hand out: its tensor layout
 * checks again, the bytes it addresses fit in values_len_bytes and values_len_bytes fits the pool's stride, the
 * pool is one of the mapped ones and payload_slot is the header index.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_seeds.h"
#include "shm/tp_slot_header.h"
#include "shm/tp_superblock.h"
#include "shm/tp_tensor_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SB_OFFSET   1
#define SLOT_OFFSET (SB_OFFSET + TP_SUPERBLOCK_LENGTH)
#define TAIL_OFFSET (SLOT_OFFSET + TP_SLOT_HEADER_BYTES)

static void fuzz_superblock(const uint8_t *bytes, size_t length, uint8_t selector)
{
    /* Exactly the input's length, so ASan sees any read past a short region. */
    uint8_t *region = malloc(length > 0 ? length : 1);
    if (NULL == region)
    {
        abort();
    }
    memcpy(region, bytes, length);
    tp_superblock_t sb;
    if (0 != tp_superblock_read(region, length, &sb))
    {
        if (length >= TP_SUPERBLOCK_LENGTH)
        {
            abort();
        }
        free(region);
        return;
    }
    tp_superblock_expected_t expected;
    if (TP_REGION_HEADER_RING == sb.region_type || 0 == (selector & 1))
    {
        tp_superblock_expect_header_ring(&expected, sb.layout_version, sb.epoch, sb.stream_id, sb.nslots);
    }
    else
    {
        tp_superblock_expect_payload_pool(&expected, sb.layout_version, sb.epoch, sb.stream_id, sb.pool_id, sb.nslots,
                                          sb.stride_bytes);
    }
    int rc = tp_superblock_validate(region, length, &expected);
    if (0 == rc && (TP_SUPERBLOCK_MAGIC != sb.magic || (int16_t)expected.region_type != sb.region_type))
    {
        abort(); /* a wrong magic or region type validated */
    }
    /* A one-field change of what the announce says must be refused. */
    expected.epoch ^= 1;
    if (0 == tp_superblock_validate(region, length, &expected))
    {
        abort();
    }
    (void)tp_superblock_is_fresh(region, sb.activity_timestamp_ns + (selector & 0x0f), 8);
    free(region);
}

static void fuzz_slot(const uint8_t *slot_bytes, size_t slot_length, uint8_t selector, const uint8_t *tail,
                      size_t tail_length)
{
    uint8_t slot[TP_SLOT_HEADER_BYTES];
    memset(slot, 0, sizeof(slot));
    memcpy(slot, slot_bytes, slot_length);

    tp_slot_pool_t pools[2] = {{1, 4096}, {2, 1u << 20}};
    tp_slot_expect_t expect = {(uint32_t)(selector >> 2), pools, 2};
    if ((selector & 2) && tail_length >= 8)
    {
        memcpy(&pools[0].stride_bytes, tail + 4, 4);
    }
    tp_tensor_view_t view;
    tp_frame_status_t status = tp_slot_header_decode(slot, slot_length, &expect, &view);
    if (TP_FRAME_OK != status)
    {
        return;
    }
    if (slot_length < TP_SLOT_HEADER_BYTES || view.payload_slot != expect.header_index)
    {
        abort();
    }
    const tp_slot_pool_t *pool = NULL;
    for (size_t i = 0; i < expect.pool_count; i++)
    {
        if (pools[i].pool_id == view.pool_id)
        {
            pool = &pools[i];
        }
    }
    if (NULL == pool || view.values_len_bytes > pool->stride_bytes)
    {
        abort();
    }
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc));
    desc.dtype = view.dtype;
    desc.major_order = view.major_order;
    desc.ndims = view.ndims;
    desc.progress_unit = view.progress_unit;
    desc.progress_stride_bytes = view.progress_stride_bytes;
    for (uint8_t i = 0; i < view.ndims; i++)
    {
        desc.dims[i] = view.dims[i];
        if (view.strides[i] > INT32_MAX)
        {
            return; /* not expressible as a descriptor; the decoder already checked it */
        }
        desc.strides[i] = (int32_t)view.strides[i];
    }
    uint64_t extent = 0;
    if (TP_FRAME_OK != tp_tensor_layout_check(&desc, view.values_len_bytes, NULL, &extent) ||
        extent > view.values_len_bytes)
    {
        abort();
    }
}

static void fuzz_layout(const uint8_t *tail, size_t tail_length)
{
    /* desc straight from bytes: 4 enum bytes, ndims, progress stride, values_len, then dims and strides */
    if (tail_length < 12)
    {
        return;
    }
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc));
    desc.dtype = (tp_dtype_t)tail[0];
    desc.major_order = (tp_major_order_t)tail[1];
    desc.progress_unit = (tp_progress_unit_t)tail[2];
    desc.ndims = tail[3];
    memcpy(&desc.progress_stride_bytes, tail + 4, 4);
    uint32_t values_len;
    memcpy(&values_len, tail + 8, 4);
    size_t rest = tail_length - 12;
    size_t want = sizeof(desc.dims) + sizeof(desc.strides);
    uint8_t raw[sizeof(desc.dims) + sizeof(desc.strides)];
    memset(raw, 0, sizeof(raw));
    memcpy(raw, tail + 12, rest < want ? rest : want);
    memcpy(desc.dims, raw, sizeof(desc.dims));
    memcpy(desc.strides, raw + sizeof(desc.dims), sizeof(desc.strides));

    int64_t strides[TP_MAX_DIMS];
    uint64_t extent = 0;
    if (TP_FRAME_OK != tp_tensor_layout_check(&desc, values_len, strides, &extent))
    {
        return;
    }
    if (desc.ndims < 1 || desc.ndims > TP_MAX_DIMS || extent > values_len)
    {
        abort();
    }
    /* The last element the layout addresses must lie inside the extent. */
    uint64_t last = 0;
    bool empty = false;
    for (uint8_t i = 0; i < desc.ndims; i++)
    {
        if (strides[i] <= 0 && desc.dims[i] > 1)
        {
            abort();
        }
        if (0 == desc.dims[i])
        {
            empty = true;
        }
        else
        {
            last += (uint64_t)(desc.dims[i] - 1) * (uint64_t)strides[i];
        }
    }
    if (!empty && last + tp_dtype_size(desc.dtype) > extent)
    {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
    {
        return 0;
    }
    uint8_t selector = data[0];
    size_t sb_len = size > SB_OFFSET ? size - SB_OFFSET : 0;
    fuzz_superblock(data + SB_OFFSET, sb_len < TP_SUPERBLOCK_LENGTH + 8 ? sb_len : TP_SUPERBLOCK_LENGTH + 8, selector);
    if (size > SLOT_OFFSET)
    {
        size_t slot_len = size - SLOT_OFFSET;
        slot_len = slot_len < TP_SLOT_HEADER_BYTES ? slot_len : TP_SLOT_HEADER_BYTES;
        size_t tail_len = size > TAIL_OFFSET ? size - TAIL_OFFSET : 0;
        fuzz_slot(data + SLOT_OFFSET, slot_len, selector, data + TAIL_OFFSET, tail_len);
        fuzz_layout(data + TAIL_OFFSET, tail_len);
    }
    return 0;
}

/* Seeds: a valid header-ring superblock, a valid slot for a 2x3 float32 tensor in pool 1, and layout params. */
const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    static uint8_t seed[3][TAIL_OFFSET + 12 + 64];
    static fuzz_seed_t seeds[3];
    static bool built = false;
    if (!built)
    {
        for (int k = 0; k < 3; k++)
        {
            uint8_t *s = seed[k];
            memset(s, 0, sizeof(seed[k]));
            s[0] = (uint8_t)(k & 1); /* bit 1 clear: pool 1 keeps its 4096-byte stride */
            tp_superblock_t sb;
            if (1 == k)
            {
                tp_superblock_init_payload_pool(&sb, 7, 10, 1, 8, 4096);
            }
            else
            {
                tp_superblock_init_header_ring(&sb, 7, 10, 8);
            }
            (void)tp_superblock_write(s + SB_OFFSET, TP_SUPERBLOCK_LENGTH, &sb);
            tp_slot_header_fields_t f;
            memset(&f, 0, sizeof(f));
            f.values_len_bytes = 24;
            f.payload_slot = 0;
            f.pool_id = 1;
            f.timestamp_ns = 123;
            f.tensor.dtype = TP_DTYPE_FLOAT32;
            f.tensor.major_order = TP_MAJOR_ORDER_ROW;
            f.tensor.ndims = 2;
            f.tensor.dims[0] = 2;
            f.tensor.dims[1] = 3;
            if (2 == k)
            {
                f.tensor.strides[0] = 16;
                f.tensor.strides[1] = 4;
                f.values_len_bytes = 28;
            }
            (void)tp_slot_header_encode(s + SLOT_OFFSET, TP_SLOT_HEADER_BYTES, &f);
            uint8_t *t = s + TAIL_OFFSET;
            t[0] = (uint8_t)TP_DTYPE_FLOAT32;
            t[1] = (uint8_t)TP_MAJOR_ORDER_ROW;
            t[3] = 2;
            uint32_t vl = 4096;
            memcpy(t + 8, &vl, 4);
            int32_t dims[2] = {4, 5};
            memcpy(t + 12, dims, sizeof(dims));
            seeds[k].data = s;
            seeds[k].length = sizeof(seed[k]);
        }
        built = true;
    }
    *count = 3;
    return seeds;
}
