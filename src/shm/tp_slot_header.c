#include <string.h>

#include "shm/tp_slot_header.h"
#include "shm/tp_tensor_layout.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/slotHeader.h"
#include "shm_tensorpool_control/tensorHeader.h"

_Static_assert(TP_SLOT_HEADER_BLOCK_LENGTH + 4 + TP_TENSOR_HEADER_ENCODED_LENGTH == TP_SLOT_HEADER_BYTES,
               "a v1.1 slot is the 60-byte block, the 4-byte length and the 192-byte TensorHeader");
_Static_assert(8 + TP_TENSOR_HEADER_BLOCK_LENGTH == TP_TENSOR_HEADER_ENCODED_LENGTH,
               "the embedded TensorHeader is its message header plus its block");

/* Encodes the TensorHeader message (header + block) into a zeroed 192-byte buffer. */
static void tp_slot_header_encode_tensor(char *buf, const tp_tensor_desc_t *t)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_tensorHeader codec;
    shm_tensorpool_control_tensorHeader_wrap_and_apply_header(&codec, buf, 0, TP_TENSOR_HEADER_ENCODED_LENGTH, &hdr);
    shm_tensorpool_control_tensorHeader_set_dtype(&codec, (enum shm_tensorpool_control_dtype)t->dtype);
    shm_tensorpool_control_tensorHeader_set_majorOrder(&codec, (enum shm_tensorpool_control_majorOrder)t->major_order);
    shm_tensorpool_control_tensorHeader_set_ndims(&codec, t->ndims);
    shm_tensorpool_control_tensorHeader_set_padAlign(&codec, 0);
    shm_tensorpool_control_tensorHeader_set_progressUnit(&codec,
                                                         (enum shm_tensorpool_control_progressUnit)t->progress_unit);
    shm_tensorpool_control_tensorHeader_set_progressStrideBytes(&codec, t->progress_stride_bytes);
    /* The buffer is zeroed, so dims/strides past ndims and the trailing pad are already 0 as §8.2 requires. */
    for (uint64_t i = 0; i < t->ndims; i++)
    {
        shm_tensorpool_control_tensorHeader_set_dims_unsafe(&codec, i, t->dims[i]);
        shm_tensorpool_control_tensorHeader_set_strides_unsafe(&codec, i, t->strides[i]);
    }
}

tp_frame_status_t tp_slot_header_encode(uint8_t *slot, size_t slot_length, const tp_slot_header_fields_t *fields)
{
    if (slot_length < TP_SLOT_HEADER_BYTES || NULL == fields)
    {
        return TP_FRAME_BUFFER;
    }
    if (fields->tensor.ndims < 1 || fields->tensor.ndims > TP_MAX_DIMS)
    {
        return TP_FRAME_NDIMS;
    }

    char tensor[TP_TENSOR_HEADER_ENCODED_LENGTH];
    memset(tensor, 0, sizeof(tensor));
    tp_slot_header_encode_tensor(tensor, &fields->tensor);

    /* Full overwrite of bytes 8..255: never rely on what an earlier frame left in the slot. */
    memset(slot + 8, 0, TP_SLOT_HEADER_BYTES - 8);
    struct shm_tensorpool_control_slotHeader codec;
    shm_tensorpool_control_slotHeader_wrap_for_encode(&codec, (char *)slot, 0, TP_SLOT_HEADER_BYTES);
    shm_tensorpool_control_slotHeader_set_valuesLenBytes(&codec, fields->values_len_bytes);
    shm_tensorpool_control_slotHeader_set_payloadSlot(&codec, fields->payload_slot);
    shm_tensorpool_control_slotHeader_set_poolId(&codec, fields->pool_id);
    shm_tensorpool_control_slotHeader_set_payloadOffset(&codec, 0);
    shm_tensorpool_control_slotHeader_set_timestampNs(&codec, fields->timestamp_ns);
    shm_tensorpool_control_slotHeader_set_metaVersion(&codec, fields->meta_version);
    shm_tensorpool_control_slotHeader_put_headerBytes(&codec, tensor, TP_TENSOR_HEADER_ENCODED_LENGTH);
    return TP_FRAME_OK;
}

void tp_slot_header_stamp(uint8_t *slot, uint64_t timestamp_ns, uint32_t meta_version)
{
    struct shm_tensorpool_control_slotHeader codec;
    shm_tensorpool_control_slotHeader_wrap_for_encode(&codec, (char *)slot, 0, TP_SLOT_HEADER_BYTES);
    shm_tensorpool_control_slotHeader_set_timestampNs(&codec, timestamp_ns);
    shm_tensorpool_control_slotHeader_set_metaVersion(&codec, meta_version);
}

/* Checks the embedded message header and decodes the TensorHeader block into desc. */
static tp_frame_status_t tp_slot_header_decode_tensor(const char *bytes, tp_tensor_desc_t *desc)
{
    struct shm_tensorpool_control_messageHeader hdr;
    shm_tensorpool_control_messageHeader_wrap(&hdr, (char *)bytes, 0,
                                              shm_tensorpool_control_messageHeader_sbe_schema_version(),
                                              TP_TENSOR_HEADER_ENCODED_LENGTH);
    if (TP_WIRE_SCHEMA_ID != shm_tensorpool_control_messageHeader_schemaId(&hdr))
    {
        return TP_FRAME_SCHEMA_ID;
    }
    if (TP_TENSOR_HEADER_TEMPLATE_ID != shm_tensorpool_control_messageHeader_templateId(&hdr))
    {
        return TP_FRAME_TEMPLATE_ID;
    }
    if (TP_WIRE_SCHEMA_VERSION != shm_tensorpool_control_messageHeader_version(&hdr))
    {
        return TP_FRAME_VERSION;
    }
    uint16_t block_length = shm_tensorpool_control_messageHeader_blockLength(&hdr);
    if (TP_TENSOR_HEADER_BLOCK_LENGTH != block_length)
    {
        return TP_FRAME_BLOCK_LENGTH;
    }

    struct shm_tensorpool_control_tensorHeader codec;
    if (NULL == shm_tensorpool_control_tensorHeader_wrap_for_decode(
                    &codec, (char *)bytes, 8, block_length, TP_WIRE_SCHEMA_VERSION, TP_TENSOR_HEADER_ENCODED_LENGTH))
    {
        return TP_FRAME_BLOCK_LENGTH;
    }
    /* Raw values: the layout check rejects anything outside the registries (§15.8), including UNKNOWN = 0. */
    desc->dtype = (tp_dtype_t)shm_tensorpool_control_tensorHeader_dtype_raw(&codec);
    desc->major_order = (tp_major_order_t)shm_tensorpool_control_tensorHeader_majorOrder_raw(&codec);
    desc->ndims = shm_tensorpool_control_tensorHeader_ndims(&codec);
    desc->progress_unit = (tp_progress_unit_t)shm_tensorpool_control_tensorHeader_progressUnit_raw(&codec);
    desc->progress_stride_bytes = shm_tensorpool_control_tensorHeader_progressStrideBytes(&codec);
    /* §8.2: indices >= ndims are ignored, so only the meaningful ones are read. */
    uint64_t n = desc->ndims <= TP_MAX_DIMS ? desc->ndims : 0;
    for (uint64_t i = 0; i < TP_MAX_DIMS; i++)
    {
        desc->dims[i] = i < n ? shm_tensorpool_control_tensorHeader_dims_unsafe(&codec, i) : 0;
        desc->strides[i] = i < n ? shm_tensorpool_control_tensorHeader_strides_unsafe(&codec, i) : 0;
    }
    return TP_FRAME_OK;
}

tp_frame_status_t tp_slot_header_decode(const uint8_t *slot, size_t slot_length, const tp_slot_expect_t *expect,
                                        tp_tensor_view_t *view)
{
    if (slot_length < TP_SLOT_HEADER_BYTES || NULL == expect || NULL == view)
    {
        return TP_FRAME_BUFFER;
    }
    struct shm_tensorpool_control_slotHeader codec;
    if (NULL == shm_tensorpool_control_slotHeader_wrap_for_decode(&codec, (char *)slot, 0, TP_SLOT_HEADER_BLOCK_LENGTH,
                                                                  TP_WIRE_SCHEMA_VERSION, TP_SLOT_HEADER_BYTES))
    {
        return TP_FRAME_BUFFER;
    }

    if (TP_TENSOR_HEADER_ENCODED_LENGTH != shm_tensorpool_control_slotHeader_headerBytes_length(&codec))
    {
        return TP_FRAME_HEADER_LENGTH;
    }
    const char *bytes = shm_tensorpool_control_slotHeader_headerBytes(&codec);
    if (NULL == bytes)
    {
        return TP_FRAME_HEADER_LENGTH;
    }

    tp_tensor_desc_t desc;
    tp_frame_status_t status = tp_slot_header_decode_tensor(bytes, &desc);
    if (TP_FRAME_OK != status)
    {
        return status;
    }

    uint32_t values_len = shm_tensorpool_control_slotHeader_valuesLenBytes(&codec);
    status = tp_tensor_layout_check(&desc, values_len, view->strides, NULL);
    if (TP_FRAME_OK != status)
    {
        return status;
    }

    if (0 != shm_tensorpool_control_slotHeader_payloadOffset(&codec))
    {
        return TP_FRAME_PAYLOAD_OFFSET;
    }
    uint32_t payload_slot = shm_tensorpool_control_slotHeader_payloadSlot(&codec);
    if (payload_slot != expect->header_index)
    {
        return TP_FRAME_PAYLOAD_SLOT;
    }
    uint16_t pool_id = shm_tensorpool_control_slotHeader_poolId(&codec);
    const tp_slot_pool_t *pool = NULL;
    for (size_t i = 0; i < expect->pool_count; i++)
    {
        if (expect->pools[i].pool_id == pool_id)
        {
            pool = &expect->pools[i];
            break;
        }
    }
    if (NULL == pool)
    {
        return TP_FRAME_POOL_ID;
    }
    if (values_len > pool->stride_bytes)
    {
        return TP_FRAME_VALUES_LEN;
    }

    view->dtype = desc.dtype;
    view->major_order = desc.major_order;
    view->ndims = desc.ndims;
    view->progress_unit = desc.progress_unit;
    view->progress_stride_bytes = desc.progress_stride_bytes;
    memcpy(view->dims, desc.dims, sizeof(view->dims));
    view->values_len_bytes = values_len;
    view->payload_slot = payload_slot;
    view->pool_id = pool_id;
    view->timestamp_ns = shm_tensorpool_control_slotHeader_timestampNs(&codec);
    view->meta_version = shm_tensorpool_control_slotHeader_metaVersion(&codec);
    view->seq = shm_tensorpool_control_slotHeader_seqCommit(&codec) >> 1;
    return TP_FRAME_OK;
}
