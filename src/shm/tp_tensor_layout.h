/*
 * Layout rules of a TensorHeader (wire spec §8.2): ndims, registry enums, dims, strides and progress stride, and
 * whether the bytes the tensor addresses fit in the frame. Used by consumers on every frame (hot path: returns a
 * tp_frame_status_t, never sets the thread-local error) and by producers before they publish.
 */
#ifndef TENSORPOOL_TP_TENSOR_LAYOUT_H
#define TENSORPOOL_TP_TENSOR_LAYOUT_H

#include <stdint.h>

#include "shm/tp_frame_status.h"
#include "tensorpool/tp_tensor.h"

/*
 * Check desc against values_len_bytes. Only indices below ndims are looked at. On TP_FRAME_OK, strides_out
 * (when not NULL) holds the byte strides with inferred ones filled in and zeros from ndims on, and extent_out
 * (when not NULL) the number of bytes from the frame start that the tensor touches.
 *
 * Strides: all 0 means contiguous in major order. Otherwise all must be positive and nested so that no two
 * elements overlap: walking from the fastest dimension (n-1 for ROW, 0 for COLUMN) outwards, each stride is at
 * least the byte extent of the faster dimensions (element size at first, then previous stride * previous dim).
 * Dimensions of size 0 or 1 are skipped in that walk: they never advance, so any positive stride is harmless. Progress:
 * ROWS needs ROW order and progress_stride_bytes == strides[0]; COLUMNS needs COLUMN order and progress_stride_bytes ==
 * strides[ndims-1].
 */
tp_frame_status_t tp_tensor_layout_check(const tp_tensor_desc_t *desc, uint32_t values_len_bytes, int64_t *strides_out,
                                         uint64_t *extent_out);

#endif /* TENSORPOOL_TP_TENSOR_LAYOUT_H */
