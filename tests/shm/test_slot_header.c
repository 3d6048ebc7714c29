/* Header slot encode/decode: the shared vector, round trips, and one rejecting case per validation rule. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/tp_seqlock.h"
#include "shm/tp_slot_header.h"
#include "shm/tp_tensor_layout.h"

/* Absolute slot offsets (SlotHeader block, then headerBytes at 64 = message header + TensorHeader block). */
#define OFF_VALUES_LEN      8
#define OFF_PAYLOAD_SLOT    12
#define OFF_POOL_ID         16
#define OFF_PAYLOAD_OFFSET  18
#define OFF_HEADER_LEN      60
#define OFF_MSG_BLOCK_LEN   64
#define OFF_MSG_TEMPLATE    66
#define OFF_MSG_SCHEMA      68
#define OFF_MSG_VERSION     70
#define OFF_DTYPE           72
#define OFF_ORDER           74
#define OFF_NDIMS           76
#define OFF_PROGRESS_UNIT   78
#define OFF_PROGRESS_STRIDE 79
#define OFF_DIMS            83
#define OFF_STRIDES         115

static const tp_slot_pool_t pools[] = {{1, 4096}, {2, 65536}};

static void put16(uint8_t *slot, size_t off, uint16_t v)
{
    memcpy(slot + off, &v, 2);
}

static void put32(uint8_t *slot, size_t off, uint32_t v)
{
    memcpy(slot + off, &v, 4);
}

static tp_frame_status_t decode_at(const uint8_t *slot, uint32_t header_index, tp_tensor_view_t *view)
{
    tp_slot_expect_t expect = {header_index, pools, 2};
    return (tp_frame_status_t)tp_slot_header_decode(slot, TP_SLOT_HEADER_BYTES, &expect, view);
}

static tp_frame_status_t decode(const uint8_t *slot)
{
    tp_tensor_view_t view;
    return decode_at(slot, 5, &view);
}

/* A valid 2-D float32 row-major frame in slot 5 of pool 2: the base every rejecting case mutates. */
static void good_fields(tp_slot_header_fields_t *f)
{
    memset(f, 0, sizeof(*f));
    f->values_len_bytes = 16 * 16 * 4;
    f->payload_slot = 5;
    f->pool_id = 2;
    f->timestamp_ns = 123456789;
    f->meta_version = 3;
    f->tensor.dtype = TP_DTYPE_FLOAT32;
    f->tensor.major_order = TP_MAJOR_ORDER_ROW;
    f->tensor.ndims = 2;
    f->tensor.dims[0] = 16;
    f->tensor.dims[1] = 16;
}

static void encode_good(uint8_t *slot)
{
    tp_slot_header_fields_t f;
    good_fields(&f);
    memset(slot, 0, TP_SLOT_HEADER_BYTES);
    assert_int_equal(TP_FRAME_OK, tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, &f));
}

static tp_frame_status_t encode_and_decode(const tp_slot_header_fields_t *f)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8] = {0};
    uint8_t *slot = (uint8_t *)words;
    assert_int_equal(TP_FRAME_OK, tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, f));
    tp_tensor_view_t view;
    return decode_at(slot, f->payload_slot, &view);
}

static int load_vector(uint8_t *slot)
{
    const char *dir = getenv("TP_SHARED_DIR");
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/vectors/slot_header.bin", NULL == dir ? "../shared" : dir);
    FILE *f = fopen(path, "rb");
    if (NULL == f)
    {
        return -1;
    }
    size_t n = fread(slot, 1, TP_SLOT_HEADER_BYTES + 1, f);
    fclose(f);
    return TP_SLOT_HEADER_BYTES == n ? 0 : -1;
}

static void test_shared_vector_decodes(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;
    assert_int_equal(0, load_vector(slot));

    uint64_t first = tp_seqlock_read_begin(tp_seqlock_word(slot));
    assert_int_equal(TP_SEQLOCK_OK, tp_seqlock_classify(first, 0));

    tp_slot_expect_t expect = {0, (const tp_slot_pool_t[]){{1, 1024}}, 1};
    tp_tensor_view_t view;
    assert_int_equal(TP_FRAME_OK, tp_slot_header_decode(slot, TP_SLOT_HEADER_BYTES, &expect, &view));
    assert_int_equal(0, view.seq);
    assert_int_equal(TP_DTYPE_FLOAT32, view.dtype);
    assert_int_equal(TP_MAJOR_ORDER_ROW, view.major_order);
    assert_int_equal(1, view.ndims);
    assert_int_equal(1, view.dims[0]);
    assert_int_equal(4, view.strides[0]); /* inferred contiguous */
    assert_int_equal(0, view.strides[1]);
    assert_int_equal(192, view.values_len_bytes);
    assert_int_equal(0, view.payload_slot);
    assert_int_equal(1, view.pool_id);
    assert_int_equal(0, view.timestamp_ns);
    assert_int_equal(0, view.meta_version);
    assert_int_equal(TP_PROGRESS_UNIT_NONE, view.progress_unit);
}

static void test_encoding_reproduces_the_shared_vector(void **state)
{
    uint64_t expected_words[TP_SLOT_HEADER_BYTES / 8];
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;
    assert_int_equal(0, load_vector((uint8_t *)expected_words));

    /* Start from garbage: the encoder must overwrite every byte but seq_commit. */
    memset(slot, 0xa5, sizeof(words));
    tp_slot_header_fields_t f;
    memset(&f, 0, sizeof(f));
    f.values_len_bytes = 192;
    f.pool_id = 1;
    f.tensor.dtype = TP_DTYPE_FLOAT32;
    f.tensor.major_order = TP_MAJOR_ORDER_ROW;
    f.tensor.ndims = 1;
    f.tensor.dims[0] = 1;
    assert_int_equal(TP_FRAME_OK, tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, &f));
    for (int i = 0; i < 8; i++)
    {
        assert_int_equal(0xa5, slot[i]);
    }
    tp_seqlock_write_commit(tp_seqlock_word(slot), 0);
    assert_memory_equal(expected_words, slot, TP_SLOT_HEADER_BYTES);
}

static void test_round_trip_with_explicit_strides(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8] = {0};
    uint8_t *slot = (uint8_t *)words;
    tp_slot_header_fields_t f;
    memset(&f, 0, sizeof(f));
    /* A 3x4x5 uint16 tensor with padded rows (12 bytes instead of 10) and padded planes. */
    f.values_len_bytes = 3 * 64;
    f.payload_slot = 7;
    f.pool_id = 1;
    f.timestamp_ns = 0x1122334455667788ULL;
    f.meta_version = 99;
    f.tensor.dtype = TP_DTYPE_UINT16;
    f.tensor.major_order = TP_MAJOR_ORDER_ROW;
    f.tensor.ndims = 3;
    f.tensor.dims[0] = 3;
    f.tensor.dims[1] = 4;
    f.tensor.dims[2] = 5;
    f.tensor.strides[0] = 64;
    f.tensor.strides[1] = 12;
    f.tensor.strides[2] = 2;
    f.tensor.progress_unit = TP_PROGRESS_UNIT_ROWS;
    f.tensor.progress_stride_bytes = 64;
    /* Garbage past ndims must not reach the slot. */
    f.tensor.dims[5] = -7;
    f.tensor.strides[6] = 1234;
    assert_int_equal(TP_FRAME_OK, tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, &f));
    tp_seqlock_write_commit(tp_seqlock_word(slot), 41);

    for (size_t i = 3; i < TP_MAX_DIMS; i++)
    {
        int32_t d;
        int32_t s;
        memcpy(&d, slot + OFF_DIMS + 4 * i, 4);
        memcpy(&s, slot + OFF_STRIDES + 4 * i, 4);
        assert_int_equal(0, d);
        assert_int_equal(0, s);
    }
    for (size_t i = 147; i < TP_SLOT_HEADER_BYTES; i++)
    {
        assert_int_equal(0, slot[i]);
    }
    for (size_t i = 34; i < 60; i++)
    {
        assert_int_equal(0, slot[i]);
    }

    tp_tensor_view_t view;
    assert_int_equal(TP_FRAME_OK, decode_at(slot, 7, &view));
    assert_int_equal(41, view.seq);
    assert_int_equal(TP_DTYPE_UINT16, view.dtype);
    assert_int_equal(3, view.ndims);
    assert_int_equal(3, view.dims[0]);
    assert_int_equal(4, view.dims[1]);
    assert_int_equal(5, view.dims[2]);
    assert_int_equal(0, view.dims[5]);
    assert_int_equal(64, view.strides[0]);
    assert_int_equal(12, view.strides[1]);
    assert_int_equal(2, view.strides[2]);
    assert_int_equal(0, view.strides[6]);
    assert_int_equal(192, view.values_len_bytes);
    assert_int_equal(7, view.payload_slot);
    assert_int_equal(1, view.pool_id);
    assert_int_equal(0x1122334455667788ULL, view.timestamp_ns);
    assert_int_equal(99, view.meta_version);
    assert_int_equal(TP_PROGRESS_UNIT_ROWS, view.progress_unit);
    assert_int_equal(64, view.progress_stride_bytes);
}

static void test_inferred_strides_follow_major_order(void **state)
{
    tp_tensor_desc_t d;
    int64_t strides[TP_MAX_DIMS];
    uint64_t extent = 0;
    memset(&d, 0, sizeof(d));
    d.dtype = TP_DTYPE_FLOAT64;
    d.major_order = TP_MAJOR_ORDER_ROW;
    d.ndims = 3;
    d.dims[0] = 2;
    d.dims[1] = 3;
    d.dims[2] = 4;
    assert_int_equal(TP_FRAME_OK, tp_tensor_layout_check(&d, 192, strides, &extent));
    assert_int_equal(96, strides[0]);
    assert_int_equal(32, strides[1]);
    assert_int_equal(8, strides[2]);
    assert_int_equal(192, extent);

    d.major_order = TP_MAJOR_ORDER_COLUMN;
    assert_int_equal(TP_FRAME_OK, tp_tensor_layout_check(&d, 192, strides, &extent));
    assert_int_equal(8, strides[0]);
    assert_int_equal(16, strides[1]);
    assert_int_equal(48, strides[2]);
    assert_int_equal(192, extent);

    /* One byte short does not fit. */
    assert_int_equal(TP_FRAME_EXTENT, tp_tensor_layout_check(&d, 191, strides, &extent));
}

static void test_empty_tensors_and_payloads_are_valid(void **state)
{
    tp_slot_header_fields_t f;
    good_fields(&f);
    f.values_len_bytes = 0;
    f.tensor.dims[0] = 0;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));

    tp_tensor_desc_t d;
    memset(&d, 0, sizeof(d));
    d.dtype = TP_DTYPE_BIT;
    d.major_order = TP_MAJOR_ORDER_ROW;
    d.ndims = 1;
    d.dims[0] = 8;
    uint64_t extent;
    assert_int_equal(TP_FRAME_OK, tp_tensor_layout_check(&d, 8, NULL, &extent));
    assert_int_equal(8, extent); /* BIT counts one byte per element */
    assert_int_equal(TP_FRAME_EXTENT, tp_tensor_layout_check(&d, 1, NULL, NULL));
}

static void test_indices_past_ndims_are_ignored(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;
    encode_good(slot);
    put32(slot, OFF_DIMS + 4 * 4, (uint32_t)-5);
    put32(slot, OFF_STRIDES + 4 * 7, (uint32_t)-9);
    tp_tensor_view_t view;
    assert_int_equal(TP_FRAME_OK, decode_at(slot, 5, &view));
    assert_int_equal(0, view.dims[4]);
    assert_int_equal(0, view.strides[7]);
}

static void test_rejects_embedded_header_framing(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;

    encode_good(slot);
    assert_int_equal(TP_FRAME_OK, decode(slot));
    put32(slot, OFF_HEADER_LEN, 191);
    assert_int_equal(TP_FRAME_HEADER_LENGTH, decode(slot));
    put32(slot, OFF_HEADER_LEN, 193);
    assert_int_equal(TP_FRAME_HEADER_LENGTH, decode(slot));
    put32(slot, OFF_HEADER_LEN, 0);
    assert_int_equal(TP_FRAME_HEADER_LENGTH, decode(slot));
    put32(slot, OFF_HEADER_LEN, UINT32_MAX);
    assert_int_equal(TP_FRAME_HEADER_LENGTH, decode(slot));

    encode_good(slot);
    put16(slot, OFF_MSG_SCHEMA, 901);
    assert_int_equal(TP_FRAME_SCHEMA_ID, decode(slot));

    encode_good(slot);
    put16(slot, OFF_MSG_TEMPLATE, 51);
    assert_int_equal(TP_FRAME_TEMPLATE_ID, decode(slot));

    encode_good(slot);
    put16(slot, OFF_MSG_VERSION, 2);
    assert_int_equal(TP_FRAME_VERSION, decode(slot));
    put16(slot, OFF_MSG_VERSION, 0);
    assert_int_equal(TP_FRAME_VERSION, decode(slot));

    encode_good(slot);
    put16(slot, OFF_MSG_BLOCK_LEN, 183);
    assert_int_equal(TP_FRAME_BLOCK_LENGTH, decode(slot));
    put16(slot, OFF_MSG_BLOCK_LEN, 185);
    assert_int_equal(TP_FRAME_BLOCK_LENGTH, decode(slot));
}

static void test_rejects_ndims(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;
    encode_good(slot);
    slot[OFF_NDIMS] = 0;
    assert_int_equal(TP_FRAME_NDIMS, decode(slot));
    slot[OFF_NDIMS] = 9;
    assert_int_equal(TP_FRAME_NDIMS, decode(slot));
    slot[OFF_NDIMS] = 255;
    assert_int_equal(TP_FRAME_NDIMS, decode(slot));

    tp_slot_header_fields_t f;
    good_fields(&f);
    f.tensor.ndims = 9;
    assert_int_equal(TP_FRAME_NDIMS, tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, &f));
    assert_int_equal(TP_FRAME_BUFFER, tp_slot_header_encode(slot, 255, &f));
}

static void test_rejects_enums_outside_registry(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;
    const int16_t bad_dtypes[] = {0, 12, 15, -1, -32768};
    for (size_t i = 0; i < sizeof(bad_dtypes) / sizeof(bad_dtypes[0]); i++)
    {
        encode_good(slot);
        put16(slot, OFF_DTYPE, (uint16_t)bad_dtypes[i]);
        assert_int_equal(TP_FRAME_DTYPE, decode(slot));
    }
    const int16_t bad_orders[] = {0, 3, -1};
    for (size_t i = 0; i < sizeof(bad_orders) / sizeof(bad_orders[0]); i++)
    {
        encode_good(slot);
        put16(slot, OFF_ORDER, (uint16_t)bad_orders[i]);
        assert_int_equal(TP_FRAME_MAJOR_ORDER, decode(slot));
    }
    encode_good(slot);
    slot[OFF_PROGRESS_UNIT] = 3;
    assert_int_equal(TP_FRAME_PROGRESS_UNIT, decode(slot));
}

static void test_rejects_dims_and_strides(void **state)
{
    tp_slot_header_fields_t f;

    good_fields(&f);
    f.tensor.dims[1] = -1;
    assert_int_equal(TP_FRAME_DIM_NEGATIVE, encode_and_decode(&f));

    good_fields(&f);
    f.tensor.strides[0] = -64;
    f.tensor.strides[1] = 4;
    assert_int_equal(TP_FRAME_STRIDE_NEGATIVE, encode_and_decode(&f));

    good_fields(&f);
    f.tensor.strides[1] = 4; /* strides[0] left 0 (inferred) */
    assert_int_equal(TP_FRAME_STRIDES_MIXED, encode_and_decode(&f));

    /* Row-major but strides grow with the dimension index: contradicts the major order. */
    good_fields(&f);
    f.tensor.strides[0] = 4;
    f.tensor.strides[1] = 64;
    assert_int_equal(TP_FRAME_STRIDE_LAYOUT, encode_and_decode(&f));

    /* Rows 32 bytes apart but each row is 64 bytes long: rows overlap. */
    good_fields(&f);
    f.tensor.strides[0] = 32;
    f.tensor.strides[1] = 4;
    assert_int_equal(TP_FRAME_STRIDE_LAYOUT, encode_and_decode(&f));

    /* Elements 2 bytes apart for a 4-byte dtype. */
    good_fields(&f);
    f.tensor.strides[0] = 64;
    f.tensor.strides[1] = 2;
    assert_int_equal(TP_FRAME_STRIDE_LAYOUT, encode_and_decode(&f));

    /* Column-major needs strides growing with the index. */
    good_fields(&f);
    f.tensor.major_order = TP_MAJOR_ORDER_COLUMN;
    f.tensor.strides[0] = 64;
    f.tensor.strides[1] = 4;
    assert_int_equal(TP_FRAME_STRIDE_LAYOUT, encode_and_decode(&f));
    f.tensor.strides[0] = 4;
    f.tensor.strides[1] = 64;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));

    /* A unit dimension may carry any positive stride: it never advances. */
    good_fields(&f);
    f.tensor.dims[0] = 1;
    f.tensor.strides[0] = 4;
    f.tensor.strides[1] = 4;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));
    f.tensor.dims[0] = 2;
    assert_int_equal(TP_FRAME_STRIDE_LAYOUT, encode_and_decode(&f));
}

static void test_rejects_extent_past_values_len(void **state)
{
    tp_slot_header_fields_t f;

    good_fields(&f);
    f.values_len_bytes = 16 * 16 * 4 - 1;
    assert_int_equal(TP_FRAME_EXTENT, encode_and_decode(&f));

    /* Padded rows: 15 * 128 + 16 * 4 = 1984 bytes are addressed. */
    good_fields(&f);
    f.tensor.strides[0] = 128;
    f.tensor.strides[1] = 4;
    f.values_len_bytes = 1983;
    assert_int_equal(TP_FRAME_EXTENT, encode_and_decode(&f));
    f.values_len_bytes = 1984;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));

    /* Inferred strides that overflow 64 bits can never fit. */
    tp_tensor_desc_t d;
    memset(&d, 0, sizeof(d));
    d.dtype = TP_DTYPE_INT64;
    d.major_order = TP_MAJOR_ORDER_ROW;
    d.ndims = 8;
    for (int i = 0; i < 8; i++)
    {
        d.dims[i] = INT32_MAX;
    }
    assert_int_equal(TP_FRAME_EXTENT, tp_tensor_layout_check(&d, UINT32_MAX, NULL, NULL));
    /* Explicit maximal strides: large but bounded sums, still rejected. */
    for (int i = 0; i < 8; i++)
    {
        d.strides[i] = INT32_MAX;
    }
    d.dims[0] = 3; /* 8 + 2 * (2^31 - 1) bytes: just past UINT32_MAX */
    for (int i = 1; i < 8; i++)
    {
        d.dims[i] = 1;
    }
    assert_int_equal(TP_FRAME_EXTENT, tp_tensor_layout_check(&d, UINT32_MAX, NULL, NULL));
}

static void test_rejects_progress_rules(void **state)
{
    tp_slot_header_fields_t f;

    good_fields(&f);
    f.tensor.progress_unit = TP_PROGRESS_UNIT_ROWS;
    f.tensor.progress_stride_bytes = 64;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));
    f.tensor.progress_stride_bytes = 0;
    assert_int_equal(TP_FRAME_PROGRESS_STRIDE, encode_and_decode(&f));
    f.tensor.progress_stride_bytes = 60;
    assert_int_equal(TP_FRAME_PROGRESS_STRIDE, encode_and_decode(&f));
    f.tensor.progress_stride_bytes = 4; /* the element stride is not the row stride */
    assert_int_equal(TP_FRAME_PROGRESS_STRIDE, encode_and_decode(&f));

    /* Rows of a column-major tensor are not contiguous prefixes. */
    f.tensor.major_order = TP_MAJOR_ORDER_COLUMN;
    f.tensor.progress_stride_bytes = 64;
    assert_int_equal(TP_FRAME_PROGRESS_UNIT, encode_and_decode(&f));

    good_fields(&f);
    f.tensor.major_order = TP_MAJOR_ORDER_COLUMN;
    f.tensor.progress_unit = TP_PROGRESS_UNIT_COLUMNS;
    f.tensor.progress_stride_bytes = 64;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));
    f.tensor.progress_stride_bytes = 0;
    assert_int_equal(TP_FRAME_PROGRESS_STRIDE, encode_and_decode(&f));
    f.tensor.major_order = TP_MAJOR_ORDER_ROW;
    f.tensor.progress_stride_bytes = 64;
    assert_int_equal(TP_FRAME_PROGRESS_UNIT, encode_and_decode(&f));

    /* Padded rows: the true row stride is the declared one, not the packed row length. */
    good_fields(&f);
    f.values_len_bytes = 4096;
    f.tensor.strides[0] = 128;
    f.tensor.strides[1] = 4;
    f.tensor.progress_unit = TP_PROGRESS_UNIT_ROWS;
    f.tensor.progress_stride_bytes = 64;
    assert_int_equal(TP_FRAME_PROGRESS_STRIDE, encode_and_decode(&f));
    f.tensor.progress_stride_bytes = 128;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));
}

static void test_rejects_payload_location(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;

    encode_good(slot);
    put32(slot, OFF_PAYLOAD_OFFSET, 64);
    assert_int_equal(TP_FRAME_PAYLOAD_OFFSET, decode(slot));

    encode_good(slot);
    put32(slot, OFF_PAYLOAD_SLOT, 6);
    assert_int_equal(TP_FRAME_PAYLOAD_SLOT, decode(slot));
    tp_tensor_view_t view;
    assert_int_equal(TP_FRAME_OK, decode_at(slot, 6, &view));

    encode_good(slot);
    put16(slot, OFF_POOL_ID, 9);
    assert_int_equal(TP_FRAME_POOL_ID, decode(slot));

    /* A frame larger than its pool's stride: pool 1 has 4096-byte slots. */
    tp_slot_header_fields_t f;
    good_fields(&f);
    f.pool_id = 1;
    f.values_len_bytes = 4097;
    assert_int_equal(TP_FRAME_VALUES_LEN, encode_and_decode(&f));
    f.values_len_bytes = 4096;
    assert_int_equal(TP_FRAME_OK, encode_and_decode(&f));
    encode_good(slot);
    put32(slot, OFF_VALUES_LEN, 65537); /* pool 2 has 65536-byte slots */
    assert_int_equal(TP_FRAME_VALUES_LEN, decode(slot));
    put32(slot, OFF_VALUES_LEN, 65536);
    assert_int_equal(TP_FRAME_OK, decode(slot));
}

static void test_bad_arguments(void **state)
{
    uint64_t words[TP_SLOT_HEADER_BYTES / 8];
    uint8_t *slot = (uint8_t *)words;
    encode_good(slot);
    tp_slot_expect_t expect = {5, pools, 2};
    tp_tensor_view_t view;
    assert_int_equal(TP_FRAME_BUFFER, tp_slot_header_decode(slot, 255, &expect, &view));
    assert_int_equal(TP_FRAME_BUFFER, tp_slot_header_decode(slot, 256, NULL, &view));
    assert_string_equal("TP_FRAME_EXTENT", tp_frame_status_name(TP_FRAME_EXTENT));
    assert_string_equal("TP_FRAME_UNKNOWN_STATUS", tp_frame_status_name(-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_vector_decodes),
        cmocka_unit_test(test_encoding_reproduces_the_shared_vector),
        cmocka_unit_test(test_round_trip_with_explicit_strides),
        cmocka_unit_test(test_inferred_strides_follow_major_order),
        cmocka_unit_test(test_empty_tensors_and_payloads_are_valid),
        cmocka_unit_test(test_indices_past_ndims_are_ignored),
        cmocka_unit_test(test_rejects_embedded_header_framing),
        cmocka_unit_test(test_rejects_ndims),
        cmocka_unit_test(test_rejects_enums_outside_registry),
        cmocka_unit_test(test_rejects_dims_and_strides),
        cmocka_unit_test(test_rejects_extent_past_values_len),
        cmocka_unit_test(test_rejects_progress_rules),
        cmocka_unit_test(test_rejects_payload_location),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
