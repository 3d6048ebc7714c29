/*
 * Why a consumer drops a frame after reading its header slot. Hot-path decoders return these (negative) instead
 * of setting the thread-local error; tp_frame_status_name() turns one into text for logs and QoS.
 */
#ifndef TENSORPOOL_TP_FRAME_STATUS_H
#define TENSORPOOL_TP_FRAME_STATUS_H

typedef enum tp_frame_status_en
{
    TP_FRAME_OK = 0,
    TP_FRAME_HEADER_LENGTH = -100,   /* headerBytes length is not 192 */
    TP_FRAME_SCHEMA_ID = -101,       /* embedded header schemaId is not 900 */
    TP_FRAME_TEMPLATE_ID = -102,     /* embedded header templateId is not 52 (TensorHeader) */
    TP_FRAME_VERSION = -103,         /* embedded header version is not 1 */
    TP_FRAME_BLOCK_LENGTH = -104,    /* embedded header blockLength is not 184 */
    TP_FRAME_NDIMS = -105,           /* ndims outside 1..8 */
    TP_FRAME_DTYPE = -106,           /* dtype UNKNOWN or not in the registry */
    TP_FRAME_MAJOR_ORDER = -107,     /* major order UNKNOWN or not in the registry */
    TP_FRAME_DIM_NEGATIVE = -108,    /* a dim below ndims is negative */
    TP_FRAME_STRIDE_NEGATIVE = -109, /* a stride below ndims is negative */
    TP_FRAME_STRIDES_MIXED = -110,   /* some strides below ndims are 0 (inferred) and some are not */
    TP_FRAME_STRIDE_LAYOUT = -111,   /* strides overlap or contradict the major order */
    TP_FRAME_EXTENT = -112,          /* the bytes dims/strides/dtype address do not fit in values_len_bytes */
    TP_FRAME_PROGRESS_UNIT = -113,   /* progress unit unknown, or not matching the major order */
    TP_FRAME_PROGRESS_STRIDE = -114, /* progress stride 0 or not the true row/column stride */
    TP_FRAME_PAYLOAD_OFFSET = -115,  /* payload_offset is not 0 */
    TP_FRAME_VALUES_LEN = -116,      /* values_len_bytes larger than the pool's stride_bytes */
    TP_FRAME_PAYLOAD_SLOT = -117,    /* payload_slot differs from the header index */
    TP_FRAME_POOL_ID = -118,         /* pool_id is not one of the mapped pools */
    TP_FRAME_BUFFER = -119,          /* caller passed a buffer shorter than a slot or bad arguments */
} tp_frame_status_t;

/* Symbolic name of a status, e.g. "TP_FRAME_EXTENT". */
const char *tp_frame_status_name(int status);

#endif /* TENSORPOOL_TP_FRAME_STATUS_H */
