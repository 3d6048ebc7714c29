/*
 * Decodes arbitrary bytes as every message they could be: the message named by the header (any of the wire,
 * driver and discovery schemas), and the raw SHM layouts (ShmRegionSuperblock, SlotHeader with its embedded
 * TensorHeader). Shared by the libFuzzer harness and the deterministic mutation test; the input must be an
 * exact-size buffer so that the sanitizers see any overread.
 */
#ifndef TP_SBE_DECODE_ANY_H
#define TP_SBE_DECODE_ANY_H

#include <stdlib.h>

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

/* A successful walk must end inside the buffer; anything else is a codec bug worth a crash. */
#define TP_SBE_DECODE_MESSAGE(P, msg)                                                                              \
    do                                                                                                             \
    {                                                                                                              \
        struct P##msg m;                                                                                           \
        if (NULL != P##msg##_wrap_for_decode(&m, buf, 8, block_length, version, len) && P##msg##_sbe_validate(&m)) \
        {                                                                                                          \
            if (8 + P##msg##_encoded_length(&m) > len)                                                             \
            {                                                                                                      \
                abort();                                                                                           \
            }                                                                                                      \
            decoded++;                                                                                             \
        }                                                                                                          \
    } while (0)

/* Returns how many interpretations of the bytes decoded completely (0 for garbage). */
static inline int tp_sbe_decode_any(char *buf, size_t len, int depth)
{
    int decoded = 0;
    struct shm_tensorpool_control_messageHeader hdr;

    /* The three schemas share the header layout; the schema id picks the codec. */
    if (NULL != shm_tensorpool_control_messageHeader_wrap(&hdr, buf, 0, 1, len))
    {
        const uint64_t block_length = shm_tensorpool_control_messageHeader_blockLength(&hdr);
        const uint64_t version = shm_tensorpool_control_messageHeader_version(&hdr);
        const uint16_t template_id = shm_tensorpool_control_messageHeader_templateId(&hdr);
        switch (shm_tensorpool_control_messageHeader_schemaId(&hdr))
        {
            case 900:
                switch (template_id)
                {
                    case 1:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, shmPoolAnnounce);
                        break;
                    case 2:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, consumerHello);
                        break;
                    case 3:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, consumerConfig);
                        break;
                    case 4:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, frameDescriptor);
                        break;
                    case 5:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, qosConsumer);
                        break;
                    case 6:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, qosProducer);
                        break;
                    case 7:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, dataSourceAnnounce);
                        break;
                    case 8:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, dataSourceMeta);
                        break;
                    case 9:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, controlResponse);
                        break;
                    case 11:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, frameProgress);
                        break;
                    case 52:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_control_, tensorHeader);
                        break;
                    default:
                        break;
                }
                break;
            case 901:
                switch (template_id)
                {
                    case 1:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmAttachRequest);
                        break;
                    case 2:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmAttachResponse);
                        break;
                    case 3:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmDetachRequest);
                        break;
                    case 4:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmDetachResponse);
                        break;
                    case 5:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmLeaseKeepalive);
                        break;
                    case 6:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmDriverShutdown);
                        break;
                    case 7:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmLeaseRevoked);
                        break;
                    case 8:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_driver_, shmDriverShutdownRequest);
                        break;
                    default:
                        break;
                }
                break;
            case 910:
                switch (template_id)
                {
                    case 1:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_discovery_, discoveryRequest);
                        break;
                    case 2:
                        TP_SBE_DECODE_MESSAGE(shm_tensorpool_discovery_, discoveryResponse);
                        break;
                    default:
                        break;
                }
                break;
            default:
                break;
        }
    }

    /* The SHM layouts are bare bodies at offset 0. */
    struct shm_tensorpool_control_shmRegionSuperblock sb;
    enum shm_tensorpool_control_regionType region_type;
    if (NULL != shm_tensorpool_control_shmRegionSuperblock_wrap_for_decode(&sb, buf, 0, 64, 1, len) &&
        shm_tensorpool_control_shmRegionSuperblock_regionType(&sb, &region_type))
    {
        decoded++;
    }
    struct shm_tensorpool_control_slotHeader slot;
    if (NULL != shm_tensorpool_control_slotHeader_wrap_for_decode(&slot, buf, 0, 60, 1, len))
    {
        struct shm_tensorpool_control_slotHeader_string_view header_bytes =
            shm_tensorpool_control_slotHeader_get_headerBytes_as_string_view(&slot);
        if (NULL != header_bytes.data)
        {
            decoded++;
            /* The embedded TensorHeader, bounded by headerBytes' own length. */
            if (depth < 2)
            {
                /* An exact-size copy, so that an overread past headerBytes is caught too. */
                char *inner = malloc(header_bytes.length > 0 ? header_bytes.length : 1);
                if (NULL == inner)
                {
                    abort();
                }
                memcpy(inner, header_bytes.data, header_bytes.length);
                decoded += tp_sbe_decode_any(inner, header_bytes.length, depth + 1);
                free(inner);
            }
        }
    }
    return decoded;
}

#endif /* TP_SBE_DECODE_ANY_H */
