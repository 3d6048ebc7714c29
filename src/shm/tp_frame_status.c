#include "shm/tp_frame_status.h"

const char *tp_frame_status_name(int status)
{
    switch (status)
    {
        case TP_FRAME_OK:
            return "TP_FRAME_OK";
        case TP_FRAME_HEADER_LENGTH:
            return "TP_FRAME_HEADER_LENGTH";
        case TP_FRAME_SCHEMA_ID:
            return "TP_FRAME_SCHEMA_ID";
        case TP_FRAME_TEMPLATE_ID:
            return "TP_FRAME_TEMPLATE_ID";
        case TP_FRAME_VERSION:
            return "TP_FRAME_VERSION";
        case TP_FRAME_BLOCK_LENGTH:
            return "TP_FRAME_BLOCK_LENGTH";
        case TP_FRAME_NDIMS:
            return "TP_FRAME_NDIMS";
        case TP_FRAME_DTYPE:
            return "TP_FRAME_DTYPE";
        case TP_FRAME_MAJOR_ORDER:
            return "TP_FRAME_MAJOR_ORDER";
        case TP_FRAME_DIM_NEGATIVE:
            return "TP_FRAME_DIM_NEGATIVE";
        case TP_FRAME_STRIDE_NEGATIVE:
            return "TP_FRAME_STRIDE_NEGATIVE";
        case TP_FRAME_STRIDES_MIXED:
            return "TP_FRAME_STRIDES_MIXED";
        case TP_FRAME_STRIDE_LAYOUT:
            return "TP_FRAME_STRIDE_LAYOUT";
        case TP_FRAME_EXTENT:
            return "TP_FRAME_EXTENT";
        case TP_FRAME_PROGRESS_UNIT:
            return "TP_FRAME_PROGRESS_UNIT";
        case TP_FRAME_PROGRESS_STRIDE:
            return "TP_FRAME_PROGRESS_STRIDE";
        case TP_FRAME_PAYLOAD_OFFSET:
            return "TP_FRAME_PAYLOAD_OFFSET";
        case TP_FRAME_VALUES_LEN:
            return "TP_FRAME_VALUES_LEN";
        case TP_FRAME_PAYLOAD_SLOT:
            return "TP_FRAME_PAYLOAD_SLOT";
        case TP_FRAME_POOL_ID:
            return "TP_FRAME_POOL_ID";
        case TP_FRAME_BUFFER:
            return "TP_FRAME_BUFFER";
        default:
            return "TP_FRAME_UNKNOWN_STATUS";
    }
}
