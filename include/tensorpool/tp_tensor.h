/*
 * Tensor description carried in a header slot (wire spec §8.2, registries §15.8).
 *
 * Enum values are the wire values of v1.1 and never change within v1.x.
 */
#ifndef TENSORPOOL_TP_TENSOR_H
#define TENSORPOOL_TP_TENSOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define TP_MAX_DIMS 8

typedef enum tp_dtype_en
{
    TP_DTYPE_UNKNOWN = 0,
    TP_DTYPE_UINT8 = 1,
    TP_DTYPE_INT8 = 2,
    TP_DTYPE_UINT16 = 3,
    TP_DTYPE_INT16 = 4,
    TP_DTYPE_UINT32 = 5,
    TP_DTYPE_INT32 = 6,
    TP_DTYPE_UINT64 = 7,
    TP_DTYPE_INT64 = 8,
    TP_DTYPE_FLOAT32 = 9,
    TP_DTYPE_FLOAT64 = 10,
    TP_DTYPE_BOOLEAN = 11,
    TP_DTYPE_BYTES = 13,
    /* Layout arithmetic treats BIT as one byte per element (unpacked); send packed bits as UINT8/BYTES. */
    TP_DTYPE_BIT = 14,
} tp_dtype_t;

typedef enum tp_major_order_en
{
    TP_MAJOR_ORDER_UNKNOWN = 0,
    TP_MAJOR_ORDER_ROW = 1,
    TP_MAJOR_ORDER_COLUMN = 2,
} tp_major_order_t;

typedef enum tp_progress_unit_en
{
    TP_PROGRESS_UNIT_NONE = 0,
    TP_PROGRESS_UNIT_ROWS = 1,
    TP_PROGRESS_UNIT_COLUMNS = 2,
} tp_progress_unit_t;

/* The shape of a tensor as a producer describes it. strides[i] == 0 for all i < ndims means contiguous. */
typedef struct tp_tensor_desc_stct
{
    tp_dtype_t dtype;
    tp_major_order_t major_order;
    uint8_t ndims;
    tp_progress_unit_t progress_unit;
    uint32_t progress_stride_bytes;
    int32_t dims[TP_MAX_DIMS];
    int32_t strides[TP_MAX_DIMS];
} tp_tensor_desc_t;

/* A validated frame as a consumer sees it; strides are always explicit (inferred ones filled in). */
typedef struct tp_tensor_view_stct
{
    tp_dtype_t dtype;
    tp_major_order_t major_order;
    uint8_t ndims;
    tp_progress_unit_t progress_unit;
    uint32_t progress_stride_bytes;
    int32_t dims[TP_MAX_DIMS];    /* entries >= ndims are 0 */
    int64_t strides[TP_MAX_DIMS]; /* bytes; entries >= ndims are 0 */
    uint32_t values_len_bytes;
    uint32_t payload_slot;
    uint16_t pool_id;
    uint64_t timestamp_ns;
    uint32_t meta_version;
    uint64_t seq;
} tp_tensor_view_t;

/* Size in bytes of one element, or 0 for an unknown dtype. */
uint32_t tp_dtype_size(tp_dtype_t dtype);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_TENSOR_H */
