#include <stdbool.h>
#include <string.h>

#include "shm/tp_tensor_layout.h"

uint32_t tp_dtype_size(tp_dtype_t dtype)
{
    switch (dtype)
    {
        case TP_DTYPE_UINT8:
        case TP_DTYPE_INT8:
        case TP_DTYPE_BOOLEAN:
        case TP_DTYPE_BYTES:
        case TP_DTYPE_BIT:
            return 1;
        case TP_DTYPE_UINT16:
        case TP_DTYPE_INT16:
            return 2;
        case TP_DTYPE_UINT32:
        case TP_DTYPE_INT32:
        case TP_DTYPE_FLOAT32:
            return 4;
        case TP_DTYPE_UINT64:
        case TP_DTYPE_INT64:
        case TP_DTYPE_FLOAT64:
            return 8;
        default:
            return 0;
    }
}

static int64_t tp_dim_at_least_one(int32_t dim)
{
    return dim > 0 ? (int64_t)dim : 1;
}

/* Contiguous strides in major order; false if they overflow (such a tensor can never fit in a frame). */
static bool tp_tensor_layout_infer(const tp_tensor_desc_t *desc, int64_t elem, int64_t *strides)
{
    int n = desc->ndims;
    if (TP_MAJOR_ORDER_ROW == desc->major_order)
    {
        strides[n - 1] = elem;
        for (int i = n - 2; i >= 0; i--)
        {
            if (__builtin_mul_overflow(strides[i + 1], tp_dim_at_least_one(desc->dims[i + 1]), &strides[i]))
            {
                return false;
            }
        }
    }
    else
    {
        strides[0] = elem;
        for (int i = 1; i < n; i++)
        {
            if (__builtin_mul_overflow(strides[i - 1], tp_dim_at_least_one(desc->dims[i - 1]), &strides[i]))
            {
                return false;
            }
        }
    }
    return true;
}

/* Explicit strides must nest: each one at least the full extent of the next-faster dimension. */
static bool tp_tensor_layout_nested(const tp_tensor_desc_t *desc, int64_t elem, const int64_t *strides)
{
    int n = desc->ndims;
    int64_t needed = elem;
    for (int k = 0; k < n; k++)
    {
        /* Walk from the fastest-varying dimension outwards. */
        int i = TP_MAJOR_ORDER_ROW == desc->major_order ? n - 1 - k : k;
        /* A dimension of size 0 or 1 never advances, so its stride cannot cause overlap (numpy's rule too). */
        if (desc->dims[i] <= 1)
        {
            continue;
        }
        if (strides[i] < needed)
        {
            return false;
        }
        /* strides and dims are below 2^31, so this product cannot overflow int64. */
        needed = strides[i] * desc->dims[i];
    }
    return true;
}

tp_frame_status_t tp_tensor_layout_check(const tp_tensor_desc_t *desc, uint32_t values_len_bytes, int64_t *strides_out,
                                         uint64_t *extent_out)
{
    int64_t strides[TP_MAX_DIMS] = {0};
    int n = desc->ndims;

    if (n < 1 || n > TP_MAX_DIMS)
    {
        return TP_FRAME_NDIMS;
    }
    int64_t elem = (int64_t)tp_dtype_size(desc->dtype);
    if (0 == elem)
    {
        return TP_FRAME_DTYPE;
    }
    if (TP_MAJOR_ORDER_ROW != desc->major_order && TP_MAJOR_ORDER_COLUMN != desc->major_order)
    {
        return TP_FRAME_MAJOR_ORDER;
    }

    int zero_strides = 0;
    bool empty = false;
    for (int i = 0; i < n; i++)
    {
        if (desc->dims[i] < 0)
        {
            return TP_FRAME_DIM_NEGATIVE;
        }
        if (desc->strides[i] < 0)
        {
            return TP_FRAME_STRIDE_NEGATIVE;
        }
        empty = empty || 0 == desc->dims[i];
        zero_strides += 0 == desc->strides[i] ? 1 : 0;
    }

    if (zero_strides == n)
    {
        if (!tp_tensor_layout_infer(desc, elem, strides))
        {
            return TP_FRAME_EXTENT;
        }
    }
    else if (0 == zero_strides)
    {
        for (int i = 0; i < n; i++)
        {
            strides[i] = desc->strides[i];
        }
        if (!tp_tensor_layout_nested(desc, elem, strides))
        {
            return TP_FRAME_STRIDE_LAYOUT;
        }
    }
    else
    {
        return TP_FRAME_STRIDES_MIXED;
    }

    /* Highest byte touched + 1: every (dims[i] - 1) * strides[i] term is below 2^62, eight of them fit. */
    uint64_t extent = 0;
    if (!empty)
    {
        extent = (uint64_t)elem;
        for (int i = 0; i < n; i++)
        {
            extent += (uint64_t)(desc->dims[i] - 1) * (uint64_t)strides[i];
        }
    }
    if (extent > values_len_bytes)
    {
        return TP_FRAME_EXTENT;
    }

    switch (desc->progress_unit)
    {
        case TP_PROGRESS_UNIT_NONE:
            break;
        case TP_PROGRESS_UNIT_ROWS:
            if (TP_MAJOR_ORDER_ROW != desc->major_order)
            {
                return TP_FRAME_PROGRESS_UNIT;
            }
            if (0 == desc->progress_stride_bytes || (int64_t)desc->progress_stride_bytes != strides[0])
            {
                return TP_FRAME_PROGRESS_STRIDE;
            }
            break;
        case TP_PROGRESS_UNIT_COLUMNS:
            if (TP_MAJOR_ORDER_COLUMN != desc->major_order)
            {
                return TP_FRAME_PROGRESS_UNIT;
            }
            if (0 == desc->progress_stride_bytes || (int64_t)desc->progress_stride_bytes != strides[n - 1])
            {
                return TP_FRAME_PROGRESS_STRIDE;
            }
            break;
        default:
            return TP_FRAME_PROGRESS_UNIT;
    }

    if (NULL != strides_out)
    {
        memcpy(strides_out, strides, sizeof(strides));
    }
    if (NULL != extent_out)
    {
        *extent_out = extent;
    }
    return TP_FRAME_OK;
}
