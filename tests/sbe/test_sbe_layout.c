/*
 * The generated layout equals the fact sheet's tables (reference/sbe-encoding.md section 16), which were checked
 * against sbe-tool's own C output: every message's block length and template id, and every fixed field's offset
 * and size, for the wire (900), driver (901) and discovery (910) schemas.
 */
#include "sbe_test_util.h"

#include "shm_tensorpool_control/consumerConfig.h"
#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/controlResponse.h"
#include "shm_tensorpool_control/dataSourceAnnounce.h"
#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/frameProgress.h"
#include "shm_tensorpool_control/qosConsumer.h"
#include "shm_tensorpool_control/qosProducer.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_control/shmRegionSuperblock.h"
#include "shm_tensorpool_control/slotHeader.h"
#include "shm_tensorpool_control/tensorHeader.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/discoveryResponse.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmDetachResponse.h"
#include "shm_tensorpool_driver/shmDriverShutdown.h"
#include "shm_tensorpool_driver/shmDriverShutdownRequest.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

#define CTL(x) shm_tensorpool_control_##x
#define DRV(x) shm_tensorpool_driver_##x
#define DSC(x) shm_tensorpool_discovery_##x

/* shm.tensorpool.control, schema 900 */
static void test_layout_wire(void **state)
{
    assert_int_equal(900, CTL(shmPoolAnnounce_sbe_schema_id)());
    assert_int_equal(1, CTL(shmPoolAnnounce_sbe_schema_version)());
    assert_int_equal(8, CTL(messageHeader_encoded_length)());
    assert_int_equal(4, CTL(groupSizeEncoding_encoded_length)());
    assert_int_equal(4, CTL(varAsciiEncoding_encoded_length)());
    assert_int_equal(4, CTL(varDataEncoding_encoded_length)());
    /* CTL ShmPoolAnnounce */
    assert_int_equal(35, CTL(shmPoolAnnounce_sbe_block_length)());
    assert_int_equal(1, CTL(shmPoolAnnounce_sbe_template_id)());
    assert_int_equal(0, CTL(shmPoolAnnounce_streamId_encoding_offset)());
    assert_int_equal(4, CTL(shmPoolAnnounce_streamId_encoding_length)());
    assert_int_equal(4, CTL(shmPoolAnnounce_producerId_encoding_offset)());
    assert_int_equal(4, CTL(shmPoolAnnounce_producerId_encoding_length)());
    assert_int_equal(8, CTL(shmPoolAnnounce_epoch_encoding_offset)());
    assert_int_equal(8, CTL(shmPoolAnnounce_epoch_encoding_length)());
    assert_int_equal(16, CTL(shmPoolAnnounce_announceTimestampNs_encoding_offset)());
    assert_int_equal(8, CTL(shmPoolAnnounce_announceTimestampNs_encoding_length)());
    assert_int_equal(24, CTL(shmPoolAnnounce_announceClockDomain_encoding_offset)());
    assert_int_equal(1, CTL(shmPoolAnnounce_announceClockDomain_encoding_length)());
    assert_int_equal(25, CTL(shmPoolAnnounce_layoutVersion_encoding_offset)());
    assert_int_equal(4, CTL(shmPoolAnnounce_layoutVersion_encoding_length)());
    assert_int_equal(29, CTL(shmPoolAnnounce_headerNslots_encoding_offset)());
    assert_int_equal(4, CTL(shmPoolAnnounce_headerNslots_encoding_length)());
    assert_int_equal(33, CTL(shmPoolAnnounce_headerSlotBytes_encoding_offset)());
    assert_int_equal(2, CTL(shmPoolAnnounce_headerSlotBytes_encoding_length)());
    assert_int_equal(10, CTL(shmPoolAnnounce_payloadPools_sbe_block_length)());
    assert_int_equal(0, CTL(shmPoolAnnounce_payloadPools_poolId_encoding_offset)());
    assert_int_equal(2, CTL(shmPoolAnnounce_payloadPools_poolId_encoding_length)());
    assert_int_equal(2, CTL(shmPoolAnnounce_payloadPools_poolNslots_encoding_offset)());
    assert_int_equal(4, CTL(shmPoolAnnounce_payloadPools_poolNslots_encoding_length)());
    assert_int_equal(6, CTL(shmPoolAnnounce_payloadPools_strideBytes_encoding_offset)());
    assert_int_equal(4, CTL(shmPoolAnnounce_payloadPools_strideBytes_encoding_length)());
    /* CTL ConsumerHello */
    assert_int_equal(39, CTL(consumerHello_sbe_block_length)());
    assert_int_equal(2, CTL(consumerHello_sbe_template_id)());
    assert_int_equal(0, CTL(consumerHello_streamId_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_streamId_encoding_length)());
    assert_int_equal(4, CTL(consumerHello_consumerId_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_consumerId_encoding_length)());
    assert_int_equal(8, CTL(consumerHello_supportsShm_encoding_offset)());
    assert_int_equal(1, CTL(consumerHello_supportsShm_encoding_length)());
    assert_int_equal(9, CTL(consumerHello_supportsProgress_encoding_offset)());
    assert_int_equal(1, CTL(consumerHello_supportsProgress_encoding_length)());
    assert_int_equal(10, CTL(consumerHello_mode_encoding_offset)());
    assert_int_equal(1, CTL(consumerHello_mode_encoding_length)());
    assert_int_equal(11, CTL(consumerHello_maxRateHz_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_maxRateHz_encoding_length)());
    assert_int_equal(15, CTL(consumerHello_expectedLayoutVersion_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_expectedLayoutVersion_encoding_length)());
    assert_int_equal(19, CTL(consumerHello_progressIntervalUs_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_progressIntervalUs_encoding_length)());
    assert_int_equal(23, CTL(consumerHello_progressBytesDelta_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_progressBytesDelta_encoding_length)());
    assert_int_equal(27, CTL(consumerHello_progressMajorDeltaUnits_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_progressMajorDeltaUnits_encoding_length)());
    assert_int_equal(31, CTL(consumerHello_descriptorStreamId_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_descriptorStreamId_encoding_length)());
    assert_int_equal(35, CTL(consumerHello_controlStreamId_encoding_offset)());
    assert_int_equal(4, CTL(consumerHello_controlStreamId_encoding_length)());
    /* CTL ConsumerConfig */
    assert_int_equal(18, CTL(consumerConfig_sbe_block_length)());
    assert_int_equal(3, CTL(consumerConfig_sbe_template_id)());
    assert_int_equal(0, CTL(consumerConfig_streamId_encoding_offset)());
    assert_int_equal(4, CTL(consumerConfig_streamId_encoding_length)());
    assert_int_equal(4, CTL(consumerConfig_consumerId_encoding_offset)());
    assert_int_equal(4, CTL(consumerConfig_consumerId_encoding_length)());
    assert_int_equal(8, CTL(consumerConfig_useShm_encoding_offset)());
    assert_int_equal(1, CTL(consumerConfig_useShm_encoding_length)());
    assert_int_equal(9, CTL(consumerConfig_mode_encoding_offset)());
    assert_int_equal(1, CTL(consumerConfig_mode_encoding_length)());
    assert_int_equal(10, CTL(consumerConfig_descriptorStreamId_encoding_offset)());
    assert_int_equal(4, CTL(consumerConfig_descriptorStreamId_encoding_length)());
    assert_int_equal(14, CTL(consumerConfig_controlStreamId_encoding_offset)());
    assert_int_equal(4, CTL(consumerConfig_controlStreamId_encoding_length)());
    /* CTL FrameDescriptor */
    assert_int_equal(36, CTL(frameDescriptor_sbe_block_length)());
    assert_int_equal(4, CTL(frameDescriptor_sbe_template_id)());
    assert_int_equal(0, CTL(frameDescriptor_streamId_encoding_offset)());
    assert_int_equal(4, CTL(frameDescriptor_streamId_encoding_length)());
    assert_int_equal(4, CTL(frameDescriptor_epoch_encoding_offset)());
    assert_int_equal(8, CTL(frameDescriptor_epoch_encoding_length)());
    assert_int_equal(12, CTL(frameDescriptor_seq_encoding_offset)());
    assert_int_equal(8, CTL(frameDescriptor_seq_encoding_length)());
    assert_int_equal(20, CTL(frameDescriptor_headerIndex_encoding_offset)());
    assert_int_equal(4, CTL(frameDescriptor_headerIndex_encoding_length)());
    assert_int_equal(24, CTL(frameDescriptor_timestampNs_encoding_offset)());
    assert_int_equal(8, CTL(frameDescriptor_timestampNs_encoding_length)());
    assert_int_equal(32, CTL(frameDescriptor_metaVersion_encoding_offset)());
    assert_int_equal(4, CTL(frameDescriptor_metaVersion_encoding_length)());
    /* CTL QosConsumer */
    assert_int_equal(41, CTL(qosConsumer_sbe_block_length)());
    assert_int_equal(5, CTL(qosConsumer_sbe_template_id)());
    assert_int_equal(0, CTL(qosConsumer_streamId_encoding_offset)());
    assert_int_equal(4, CTL(qosConsumer_streamId_encoding_length)());
    assert_int_equal(4, CTL(qosConsumer_consumerId_encoding_offset)());
    assert_int_equal(4, CTL(qosConsumer_consumerId_encoding_length)());
    assert_int_equal(8, CTL(qosConsumer_epoch_encoding_offset)());
    assert_int_equal(8, CTL(qosConsumer_epoch_encoding_length)());
    assert_int_equal(16, CTL(qosConsumer_lastSeqSeen_encoding_offset)());
    assert_int_equal(8, CTL(qosConsumer_lastSeqSeen_encoding_length)());
    assert_int_equal(24, CTL(qosConsumer_dropsGap_encoding_offset)());
    assert_int_equal(8, CTL(qosConsumer_dropsGap_encoding_length)());
    assert_int_equal(32, CTL(qosConsumer_dropsLate_encoding_offset)());
    assert_int_equal(8, CTL(qosConsumer_dropsLate_encoding_length)());
    assert_int_equal(40, CTL(qosConsumer_mode_encoding_offset)());
    assert_int_equal(1, CTL(qosConsumer_mode_encoding_length)());
    /* CTL QosProducer */
    assert_int_equal(28, CTL(qosProducer_sbe_block_length)());
    assert_int_equal(6, CTL(qosProducer_sbe_template_id)());
    assert_int_equal(0, CTL(qosProducer_streamId_encoding_offset)());
    assert_int_equal(4, CTL(qosProducer_streamId_encoding_length)());
    assert_int_equal(4, CTL(qosProducer_producerId_encoding_offset)());
    assert_int_equal(4, CTL(qosProducer_producerId_encoding_length)());
    assert_int_equal(8, CTL(qosProducer_epoch_encoding_offset)());
    assert_int_equal(8, CTL(qosProducer_epoch_encoding_length)());
    assert_int_equal(16, CTL(qosProducer_currentSeq_encoding_offset)());
    assert_int_equal(8, CTL(qosProducer_currentSeq_encoding_length)());
    assert_int_equal(24, CTL(qosProducer_watermark_encoding_offset)());
    assert_int_equal(4, CTL(qosProducer_watermark_encoding_length)());
    /* CTL DataSourceAnnounce */
    assert_int_equal(20, CTL(dataSourceAnnounce_sbe_block_length)());
    assert_int_equal(7, CTL(dataSourceAnnounce_sbe_template_id)());
    assert_int_equal(0, CTL(dataSourceAnnounce_streamId_encoding_offset)());
    assert_int_equal(4, CTL(dataSourceAnnounce_streamId_encoding_length)());
    assert_int_equal(4, CTL(dataSourceAnnounce_producerId_encoding_offset)());
    assert_int_equal(4, CTL(dataSourceAnnounce_producerId_encoding_length)());
    assert_int_equal(8, CTL(dataSourceAnnounce_epoch_encoding_offset)());
    assert_int_equal(8, CTL(dataSourceAnnounce_epoch_encoding_length)());
    assert_int_equal(16, CTL(dataSourceAnnounce_metaVersion_encoding_offset)());
    assert_int_equal(4, CTL(dataSourceAnnounce_metaVersion_encoding_length)());
    /* CTL DataSourceMeta */
    assert_int_equal(16, CTL(dataSourceMeta_sbe_block_length)());
    assert_int_equal(8, CTL(dataSourceMeta_sbe_template_id)());
    assert_int_equal(0, CTL(dataSourceMeta_streamId_encoding_offset)());
    assert_int_equal(4, CTL(dataSourceMeta_streamId_encoding_length)());
    assert_int_equal(4, CTL(dataSourceMeta_metaVersion_encoding_offset)());
    assert_int_equal(4, CTL(dataSourceMeta_metaVersion_encoding_length)());
    assert_int_equal(8, CTL(dataSourceMeta_timestampNs_encoding_offset)());
    assert_int_equal(8, CTL(dataSourceMeta_timestampNs_encoding_length)());
    assert_int_equal(0, CTL(dataSourceMeta_attributes_sbe_block_length)());
    /* CTL ControlResponse */
    assert_int_equal(12, CTL(controlResponse_sbe_block_length)());
    assert_int_equal(9, CTL(controlResponse_sbe_template_id)());
    assert_int_equal(0, CTL(controlResponse_correlationId_encoding_offset)());
    assert_int_equal(8, CTL(controlResponse_correlationId_encoding_length)());
    assert_int_equal(8, CTL(controlResponse_code_encoding_offset)());
    assert_int_equal(4, CTL(controlResponse_code_encoding_length)());
    /* CTL FrameProgress */
    assert_int_equal(33, CTL(frameProgress_sbe_block_length)());
    assert_int_equal(11, CTL(frameProgress_sbe_template_id)());
    assert_int_equal(0, CTL(frameProgress_streamId_encoding_offset)());
    assert_int_equal(4, CTL(frameProgress_streamId_encoding_length)());
    assert_int_equal(4, CTL(frameProgress_epoch_encoding_offset)());
    assert_int_equal(8, CTL(frameProgress_epoch_encoding_length)());
    assert_int_equal(12, CTL(frameProgress_frameId_encoding_offset)());
    assert_int_equal(8, CTL(frameProgress_frameId_encoding_length)());
    assert_int_equal(20, CTL(frameProgress_headerIndex_encoding_offset)());
    assert_int_equal(4, CTL(frameProgress_headerIndex_encoding_length)());
    assert_int_equal(24, CTL(frameProgress_payloadBytesFilled_encoding_offset)());
    assert_int_equal(8, CTL(frameProgress_payloadBytesFilled_encoding_length)());
    assert_int_equal(32, CTL(frameProgress_state_encoding_offset)());
    assert_int_equal(1, CTL(frameProgress_state_encoding_length)());
    /* CTL ShmRegionSuperblock */
    assert_int_equal(64, CTL(shmRegionSuperblock_sbe_block_length)());
    assert_int_equal(50, CTL(shmRegionSuperblock_sbe_template_id)());
    assert_int_equal(0, CTL(shmRegionSuperblock_magic_encoding_offset)());
    assert_int_equal(8, CTL(shmRegionSuperblock_magic_encoding_length)());
    assert_int_equal(8, CTL(shmRegionSuperblock_layoutVersion_encoding_offset)());
    assert_int_equal(4, CTL(shmRegionSuperblock_layoutVersion_encoding_length)());
    assert_int_equal(12, CTL(shmRegionSuperblock_epoch_encoding_offset)());
    assert_int_equal(8, CTL(shmRegionSuperblock_epoch_encoding_length)());
    assert_int_equal(20, CTL(shmRegionSuperblock_streamId_encoding_offset)());
    assert_int_equal(4, CTL(shmRegionSuperblock_streamId_encoding_length)());
    assert_int_equal(24, CTL(shmRegionSuperblock_regionType_encoding_offset)());
    assert_int_equal(2, CTL(shmRegionSuperblock_regionType_encoding_length)());
    assert_int_equal(26, CTL(shmRegionSuperblock_poolId_encoding_offset)());
    assert_int_equal(2, CTL(shmRegionSuperblock_poolId_encoding_length)());
    assert_int_equal(28, CTL(shmRegionSuperblock_nslots_encoding_offset)());
    assert_int_equal(4, CTL(shmRegionSuperblock_nslots_encoding_length)());
    assert_int_equal(32, CTL(shmRegionSuperblock_slotBytes_encoding_offset)());
    assert_int_equal(4, CTL(shmRegionSuperblock_slotBytes_encoding_length)());
    assert_int_equal(36, CTL(shmRegionSuperblock_strideBytes_encoding_offset)());
    assert_int_equal(4, CTL(shmRegionSuperblock_strideBytes_encoding_length)());
    assert_int_equal(40, CTL(shmRegionSuperblock_pid_encoding_offset)());
    assert_int_equal(8, CTL(shmRegionSuperblock_pid_encoding_length)());
    assert_int_equal(48, CTL(shmRegionSuperblock_startTimestampNs_encoding_offset)());
    assert_int_equal(8, CTL(shmRegionSuperblock_startTimestampNs_encoding_length)());
    assert_int_equal(56, CTL(shmRegionSuperblock_activityTimestampNs_encoding_offset)());
    assert_int_equal(8, CTL(shmRegionSuperblock_activityTimestampNs_encoding_length)());
    /* CTL SlotHeader */
    assert_int_equal(60, CTL(slotHeader_sbe_block_length)());
    assert_int_equal(51, CTL(slotHeader_sbe_template_id)());
    assert_int_equal(0, CTL(slotHeader_seqCommit_encoding_offset)());
    assert_int_equal(8, CTL(slotHeader_seqCommit_encoding_length)());
    assert_int_equal(8, CTL(slotHeader_valuesLenBytes_encoding_offset)());
    assert_int_equal(4, CTL(slotHeader_valuesLenBytes_encoding_length)());
    assert_int_equal(12, CTL(slotHeader_payloadSlot_encoding_offset)());
    assert_int_equal(4, CTL(slotHeader_payloadSlot_encoding_length)());
    assert_int_equal(16, CTL(slotHeader_poolId_encoding_offset)());
    assert_int_equal(2, CTL(slotHeader_poolId_encoding_length)());
    assert_int_equal(18, CTL(slotHeader_payloadOffset_encoding_offset)());
    assert_int_equal(4, CTL(slotHeader_payloadOffset_encoding_length)());
    assert_int_equal(22, CTL(slotHeader_timestampNs_encoding_offset)());
    assert_int_equal(8, CTL(slotHeader_timestampNs_encoding_length)());
    assert_int_equal(30, CTL(slotHeader_metaVersion_encoding_offset)());
    assert_int_equal(4, CTL(slotHeader_metaVersion_encoding_length)());
    assert_int_equal(34, CTL(slotHeader_pad_encoding_offset)());
    assert_int_equal(1, CTL(slotHeader_pad_encoding_length)());
    /* CTL TensorHeader */
    assert_int_equal(184, CTL(tensorHeader_sbe_block_length)());
    assert_int_equal(52, CTL(tensorHeader_sbe_template_id)());
    assert_int_equal(0, CTL(tensorHeader_dtype_encoding_offset)());
    assert_int_equal(2, CTL(tensorHeader_dtype_encoding_length)());
    assert_int_equal(2, CTL(tensorHeader_majorOrder_encoding_offset)());
    assert_int_equal(2, CTL(tensorHeader_majorOrder_encoding_length)());
    assert_int_equal(4, CTL(tensorHeader_ndims_encoding_offset)());
    assert_int_equal(1, CTL(tensorHeader_ndims_encoding_length)());
    assert_int_equal(5, CTL(tensorHeader_maxDims_encoding_offset)());
    assert_int_equal(0, CTL(tensorHeader_maxDims_encoding_length)());
    assert_int_equal(5, CTL(tensorHeader_padAlign_encoding_offset)());
    assert_int_equal(1, CTL(tensorHeader_padAlign_encoding_length)());
    assert_int_equal(6, CTL(tensorHeader_progressUnit_encoding_offset)());
    assert_int_equal(1, CTL(tensorHeader_progressUnit_encoding_length)());
    assert_int_equal(7, CTL(tensorHeader_progressStrideBytes_encoding_offset)());
    assert_int_equal(4, CTL(tensorHeader_progressStrideBytes_encoding_length)());
    assert_int_equal(11, CTL(tensorHeader_dims_encoding_offset)());
    assert_int_equal(32, CTL(tensorHeader_dims_encoding_length)());
    assert_int_equal(43, CTL(tensorHeader_strides_encoding_offset)());
    assert_int_equal(32, CTL(tensorHeader_strides_encoding_length)());
    assert_int_equal(75, CTL(tensorHeader_pad_encoding_offset)());
    assert_int_equal(1, CTL(tensorHeader_pad_encoding_length)());
}

/* shm.tensorpool.driver, schema 901 */
static void test_layout_driver(void **state)
{
    assert_int_equal(901, DRV(shmAttachRequest_sbe_schema_id)());
    assert_int_equal(1, DRV(shmAttachRequest_sbe_schema_version)());
    assert_int_equal(8, DRV(messageHeader_encoded_length)());
    assert_int_equal(4, DRV(groupSizeEncoding_encoded_length)());
    assert_int_equal(4, DRV(varAsciiEncoding_encoded_length)());
    /* DRV ShmAttachRequest */
    assert_int_equal(24, DRV(shmAttachRequest_sbe_block_length)());
    assert_int_equal(1, DRV(shmAttachRequest_sbe_template_id)());
    assert_int_equal(0, DRV(shmAttachRequest_correlationId_encoding_offset)());
    assert_int_equal(8, DRV(shmAttachRequest_correlationId_encoding_length)());
    assert_int_equal(8, DRV(shmAttachRequest_streamId_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachRequest_streamId_encoding_length)());
    assert_int_equal(12, DRV(shmAttachRequest_clientId_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachRequest_clientId_encoding_length)());
    assert_int_equal(16, DRV(shmAttachRequest_role_encoding_offset)());
    assert_int_equal(1, DRV(shmAttachRequest_role_encoding_length)());
    assert_int_equal(17, DRV(shmAttachRequest_expectedLayoutVersion_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachRequest_expectedLayoutVersion_encoding_length)());
    assert_int_equal(21, DRV(shmAttachRequest_maxDims_encoding_offset)());
    assert_int_equal(1, DRV(shmAttachRequest_maxDims_encoding_length)());
    assert_int_equal(22, DRV(shmAttachRequest_publishMode_encoding_offset)());
    assert_int_equal(1, DRV(shmAttachRequest_publishMode_encoding_length)());
    assert_int_equal(23, DRV(shmAttachRequest_requireHugepages_encoding_offset)());
    assert_int_equal(1, DRV(shmAttachRequest_requireHugepages_encoding_length)());
    /* DRV ShmAttachResponse */
    assert_int_equal(51, DRV(shmAttachResponse_sbe_block_length)());
    assert_int_equal(2, DRV(shmAttachResponse_sbe_template_id)());
    assert_int_equal(0, DRV(shmAttachResponse_correlationId_encoding_offset)());
    assert_int_equal(8, DRV(shmAttachResponse_correlationId_encoding_length)());
    assert_int_equal(8, DRV(shmAttachResponse_code_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachResponse_code_encoding_length)());
    assert_int_equal(12, DRV(shmAttachResponse_leaseId_encoding_offset)());
    assert_int_equal(8, DRV(shmAttachResponse_leaseId_encoding_length)());
    assert_int_equal(20, DRV(shmAttachResponse_leaseExpiryTimestampNs_encoding_offset)());
    assert_int_equal(8, DRV(shmAttachResponse_leaseExpiryTimestampNs_encoding_length)());
    assert_int_equal(28, DRV(shmAttachResponse_streamId_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachResponse_streamId_encoding_length)());
    assert_int_equal(32, DRV(shmAttachResponse_epoch_encoding_offset)());
    assert_int_equal(8, DRV(shmAttachResponse_epoch_encoding_length)());
    assert_int_equal(40, DRV(shmAttachResponse_layoutVersion_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachResponse_layoutVersion_encoding_length)());
    assert_int_equal(44, DRV(shmAttachResponse_headerNslots_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachResponse_headerNslots_encoding_length)());
    assert_int_equal(48, DRV(shmAttachResponse_headerSlotBytes_encoding_offset)());
    assert_int_equal(2, DRV(shmAttachResponse_headerSlotBytes_encoding_length)());
    assert_int_equal(50, DRV(shmAttachResponse_maxDims_encoding_offset)());
    assert_int_equal(1, DRV(shmAttachResponse_maxDims_encoding_length)());
    assert_int_equal(10, DRV(shmAttachResponse_payloadPools_sbe_block_length)());
    assert_int_equal(0, DRV(shmAttachResponse_payloadPools_poolId_encoding_offset)());
    assert_int_equal(2, DRV(shmAttachResponse_payloadPools_poolId_encoding_length)());
    assert_int_equal(2, DRV(shmAttachResponse_payloadPools_poolNslots_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachResponse_payloadPools_poolNslots_encoding_length)());
    assert_int_equal(6, DRV(shmAttachResponse_payloadPools_strideBytes_encoding_offset)());
    assert_int_equal(4, DRV(shmAttachResponse_payloadPools_strideBytes_encoding_length)());
    /* DRV ShmDetachRequest */
    assert_int_equal(25, DRV(shmDetachRequest_sbe_block_length)());
    assert_int_equal(3, DRV(shmDetachRequest_sbe_template_id)());
    assert_int_equal(0, DRV(shmDetachRequest_correlationId_encoding_offset)());
    assert_int_equal(8, DRV(shmDetachRequest_correlationId_encoding_length)());
    assert_int_equal(8, DRV(shmDetachRequest_leaseId_encoding_offset)());
    assert_int_equal(8, DRV(shmDetachRequest_leaseId_encoding_length)());
    assert_int_equal(16, DRV(shmDetachRequest_streamId_encoding_offset)());
    assert_int_equal(4, DRV(shmDetachRequest_streamId_encoding_length)());
    assert_int_equal(20, DRV(shmDetachRequest_clientId_encoding_offset)());
    assert_int_equal(4, DRV(shmDetachRequest_clientId_encoding_length)());
    assert_int_equal(24, DRV(shmDetachRequest_role_encoding_offset)());
    assert_int_equal(1, DRV(shmDetachRequest_role_encoding_length)());
    /* DRV ShmDetachResponse */
    assert_int_equal(12, DRV(shmDetachResponse_sbe_block_length)());
    assert_int_equal(4, DRV(shmDetachResponse_sbe_template_id)());
    assert_int_equal(0, DRV(shmDetachResponse_correlationId_encoding_offset)());
    assert_int_equal(8, DRV(shmDetachResponse_correlationId_encoding_length)());
    assert_int_equal(8, DRV(shmDetachResponse_code_encoding_offset)());
    assert_int_equal(4, DRV(shmDetachResponse_code_encoding_length)());
    /* DRV ShmLeaseKeepalive */
    assert_int_equal(25, DRV(shmLeaseKeepalive_sbe_block_length)());
    assert_int_equal(5, DRV(shmLeaseKeepalive_sbe_template_id)());
    assert_int_equal(0, DRV(shmLeaseKeepalive_leaseId_encoding_offset)());
    assert_int_equal(8, DRV(shmLeaseKeepalive_leaseId_encoding_length)());
    assert_int_equal(8, DRV(shmLeaseKeepalive_streamId_encoding_offset)());
    assert_int_equal(4, DRV(shmLeaseKeepalive_streamId_encoding_length)());
    assert_int_equal(12, DRV(shmLeaseKeepalive_clientId_encoding_offset)());
    assert_int_equal(4, DRV(shmLeaseKeepalive_clientId_encoding_length)());
    assert_int_equal(16, DRV(shmLeaseKeepalive_role_encoding_offset)());
    assert_int_equal(1, DRV(shmLeaseKeepalive_role_encoding_length)());
    assert_int_equal(17, DRV(shmLeaseKeepalive_clientTimestampNs_encoding_offset)());
    assert_int_equal(8, DRV(shmLeaseKeepalive_clientTimestampNs_encoding_length)());
    /* DRV ShmDriverShutdown */
    assert_int_equal(9, DRV(shmDriverShutdown_sbe_block_length)());
    assert_int_equal(6, DRV(shmDriverShutdown_sbe_template_id)());
    assert_int_equal(0, DRV(shmDriverShutdown_timestampNs_encoding_offset)());
    assert_int_equal(8, DRV(shmDriverShutdown_timestampNs_encoding_length)());
    assert_int_equal(8, DRV(shmDriverShutdown_reason_encoding_offset)());
    assert_int_equal(1, DRV(shmDriverShutdown_reason_encoding_length)());
    /* DRV ShmLeaseRevoked */
    assert_int_equal(26, DRV(shmLeaseRevoked_sbe_block_length)());
    assert_int_equal(7, DRV(shmLeaseRevoked_sbe_template_id)());
    assert_int_equal(0, DRV(shmLeaseRevoked_timestampNs_encoding_offset)());
    assert_int_equal(8, DRV(shmLeaseRevoked_timestampNs_encoding_length)());
    assert_int_equal(8, DRV(shmLeaseRevoked_leaseId_encoding_offset)());
    assert_int_equal(8, DRV(shmLeaseRevoked_leaseId_encoding_length)());
    assert_int_equal(16, DRV(shmLeaseRevoked_streamId_encoding_offset)());
    assert_int_equal(4, DRV(shmLeaseRevoked_streamId_encoding_length)());
    assert_int_equal(20, DRV(shmLeaseRevoked_clientId_encoding_offset)());
    assert_int_equal(4, DRV(shmLeaseRevoked_clientId_encoding_length)());
    assert_int_equal(24, DRV(shmLeaseRevoked_role_encoding_offset)());
    assert_int_equal(1, DRV(shmLeaseRevoked_role_encoding_length)());
    assert_int_equal(25, DRV(shmLeaseRevoked_reason_encoding_offset)());
    assert_int_equal(1, DRV(shmLeaseRevoked_reason_encoding_length)());
    /* DRV ShmDriverShutdownRequest */
    assert_int_equal(9, DRV(shmDriverShutdownRequest_sbe_block_length)());
    assert_int_equal(8, DRV(shmDriverShutdownRequest_sbe_template_id)());
    assert_int_equal(0, DRV(shmDriverShutdownRequest_correlationId_encoding_offset)());
    assert_int_equal(8, DRV(shmDriverShutdownRequest_correlationId_encoding_length)());
    assert_int_equal(8, DRV(shmDriverShutdownRequest_reason_encoding_offset)());
    assert_int_equal(1, DRV(shmDriverShutdownRequest_reason_encoding_length)());
}

/* shm.tensorpool.discovery, schema 910 */
static void test_layout_discovery(void **state)
{
    assert_int_equal(910, DSC(discoveryRequest_sbe_schema_id)());
    assert_int_equal(1, DSC(discoveryRequest_sbe_schema_version)());
    assert_int_equal(8, DSC(messageHeader_encoded_length)());
    assert_int_equal(4, DSC(groupSizeEncoding_encoded_length)());
    assert_int_equal(4, DSC(varAsciiEncoding_encoded_length)());
    /* DSC DiscoveryRequest */
    assert_int_equal(32, DSC(discoveryRequest_sbe_block_length)());
    assert_int_equal(1, DSC(discoveryRequest_sbe_template_id)());
    assert_int_equal(0, DSC(discoveryRequest_requestId_encoding_offset)());
    assert_int_equal(8, DSC(discoveryRequest_requestId_encoding_length)());
    assert_int_equal(8, DSC(discoveryRequest_clientId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryRequest_clientId_encoding_length)());
    assert_int_equal(12, DSC(discoveryRequest_responseStreamId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryRequest_responseStreamId_encoding_length)());
    assert_int_equal(16, DSC(discoveryRequest_streamId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryRequest_streamId_encoding_length)());
    assert_int_equal(20, DSC(discoveryRequest_producerId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryRequest_producerId_encoding_length)());
    assert_int_equal(24, DSC(discoveryRequest_dataSourceId_encoding_offset)());
    assert_int_equal(8, DSC(discoveryRequest_dataSourceId_encoding_length)());
    assert_int_equal(0, DSC(discoveryRequest_tags_sbe_block_length)());
    assert_int_equal(0, DSC(discoveryRequest_tags_tag_encoding_offset)());
    assert_int_equal(4, DSC(discoveryRequest_tags_tag_header_length)());
    /* DSC DiscoveryResponse */
    assert_int_equal(9, DSC(discoveryResponse_sbe_block_length)());
    assert_int_equal(2, DSC(discoveryResponse_sbe_template_id)());
    assert_int_equal(0, DSC(discoveryResponse_requestId_encoding_offset)());
    assert_int_equal(8, DSC(discoveryResponse_requestId_encoding_length)());
    assert_int_equal(8, DSC(discoveryResponse_status_encoding_offset)());
    assert_int_equal(1, DSC(discoveryResponse_status_encoding_length)());
    assert_int_equal(39, DSC(discoveryResponse_results_sbe_block_length)());
    assert_int_equal(0, DSC(discoveryResponse_results_streamId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryResponse_results_streamId_encoding_length)());
    assert_int_equal(4, DSC(discoveryResponse_results_producerId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryResponse_results_producerId_encoding_length)());
    assert_int_equal(8, DSC(discoveryResponse_results_epoch_encoding_offset)());
    assert_int_equal(8, DSC(discoveryResponse_results_epoch_encoding_length)());
    assert_int_equal(16, DSC(discoveryResponse_results_layoutVersion_encoding_offset)());
    assert_int_equal(4, DSC(discoveryResponse_results_layoutVersion_encoding_length)());
    assert_int_equal(20, DSC(discoveryResponse_results_headerNslots_encoding_offset)());
    assert_int_equal(4, DSC(discoveryResponse_results_headerNslots_encoding_length)());
    assert_int_equal(24, DSC(discoveryResponse_results_headerSlotBytes_encoding_offset)());
    assert_int_equal(2, DSC(discoveryResponse_results_headerSlotBytes_encoding_length)());
    assert_int_equal(26, DSC(discoveryResponse_results_maxDims_encoding_offset)());
    assert_int_equal(1, DSC(discoveryResponse_results_maxDims_encoding_length)());
    assert_int_equal(27, DSC(discoveryResponse_results_dataSourceId_encoding_offset)());
    assert_int_equal(8, DSC(discoveryResponse_results_dataSourceId_encoding_length)());
    assert_int_equal(35, DSC(discoveryResponse_results_driverControlStreamId_encoding_offset)());
    assert_int_equal(4, DSC(discoveryResponse_results_driverControlStreamId_encoding_length)());
    assert_int_equal(10, DSC(discoveryResponse_results_payloadPools_sbe_block_length)());
    assert_int_equal(0, DSC(discoveryResponse_results_payloadPools_poolId_encoding_offset)());
    assert_int_equal(2, DSC(discoveryResponse_results_payloadPools_poolId_encoding_length)());
    assert_int_equal(2, DSC(discoveryResponse_results_payloadPools_poolNslots_encoding_offset)());
    assert_int_equal(4, DSC(discoveryResponse_results_payloadPools_poolNslots_encoding_length)());
    assert_int_equal(6, DSC(discoveryResponse_results_payloadPools_strideBytes_encoding_offset)());
    assert_int_equal(0, DSC(discoveryResponse_results_tags_sbe_block_length)());
    assert_int_equal(0, DSC(discoveryResponse_results_tags_tag_encoding_offset)());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_wire),
        cmocka_unit_test(test_layout_driver),
        cmocka_unit_test(test_layout_discovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
