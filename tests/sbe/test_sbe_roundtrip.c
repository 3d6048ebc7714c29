/*
 * Round trip of every message of the wire (900), driver (901) and discovery (910) schemas: encode distinct values
 * (nulls, enums, groups, nested groups, tags, empty and binary var data), decode them with one forward pass and
 * assert every field and the exact end. Each decoder then rejects every truncated prefix of its message.
 */
#include <stdbool.h>

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

/*
 * Decoders take `check`: true asserts every value, false (truncated input) only requires a clean -1 somewhere.
 * Each failure path returns -1; nothing is read unless the codec accepted the bounds first.
 */
#define CHECK(expected, actual)                     \
    do                                              \
    {                                               \
        if (check)                                  \
        {                                           \
            assert_int_equal((expected), (actual)); \
        }                                           \
    } while (0)

#define OK(expr)       \
    do                 \
    {                  \
        if (!(expr))   \
        {              \
            return -1; \
        }              \
    } while (0)

#define VAR_BYTES(expr, bytes, n)                                         \
    do                                                                    \
    {                                                                     \
        __typeof__(expr) view_ = (expr);                                  \
        if (NULL == view_.data)                                           \
        {                                                                 \
            return -1;                                                    \
        }                                                                 \
        if (check)                                                        \
        {                                                                 \
            tp_test_assert_bytes(view_.data, view_.length, (bytes), (n)); \
        }                                                                 \
    } while (0)

#define VAR(expr, text) VAR_BYTES(expr, text, strlen(text))

#define DEFINE_OPEN(P, schema)                                                                                  \
    static int open_##P(char *buf, size_t len, uint16_t template_id, uint64_t *block_length, uint64_t *version) \
    {                                                                                                           \
        struct P(messageHeader) hdr;                                                                            \
        *block_length = 0; /* outputs written on every path: a failed assert is not noreturn to the compiler */ \
        *version = 0;                                                                                           \
        if (NULL == P(messageHeader_wrap)(&hdr, buf, 0, P(messageHeader_sbe_schema_version)(), len) ||          \
            P(messageHeader_schemaId)(&hdr) != (schema) || P(messageHeader_templateId)(&hdr) != template_id)    \
        {                                                                                                       \
            return -1;                                                                                          \
        }                                                                                                       \
        *block_length = P(messageHeader_blockLength)(&hdr);                                                     \
        *version = P(messageHeader_version)(&hdr);                                                              \
        return 0;                                                                                               \
    }

DEFINE_OPEN(CTL, 900)
DEFINE_OPEN(DRV, 901)
DEFINE_OPEN(DSC, 910)

typedef size_t (*encode_fn)(char *buf, size_t cap);
typedef int (*decode_fn)(char *buf, size_t len, bool check);

static void roundtrip(encode_fn encode, decode_fn decode)
{
    char buf[4096];
    memset(buf, 0, sizeof(buf));
    const size_t len = encode(buf, sizeof(buf));
    assert_true(len > 0 && len < sizeof(buf));

    char *exact = tp_test_prefix_copy(buf, len);
    assert_int_equal(0, decode(exact, len, true));
    free(exact);
    for (size_t cut = 0; cut < len; cut++)
    {
        char *prefix = tp_test_prefix_copy(buf, cut);
        if (decode(prefix, cut, false) != -1)
        {
            fail_msg("a %zu-byte prefix of a %zu-byte message was accepted", cut, len);
        }
        free(prefix);
    }
}

static const char binary_value[] = {'\x00', '\x01', '\xff', '\x00', 'z'};

/* ============================================ wire schema 900 ================================================ */

static size_t enc_announce(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;
    assert_non_null(CTL(shmPoolAnnounce_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(shmPoolAnnounce_set_streamId)(&m, 10001);
    CTL(shmPoolAnnounce_set_producerId)(&m, 77);
    CTL(shmPoolAnnounce_set_epoch)(&m, UINT64_C(0x0102030405060708));
    CTL(shmPoolAnnounce_set_announceTimestampNs)(&m, UINT64_C(1700000000123456789));
    CTL(shmPoolAnnounce_set_announceClockDomain)(&m, CTL(clockDomain_REALTIME_SYNCED));
    CTL(shmPoolAnnounce_set_layoutVersion)(&m, 1);
    CTL(shmPoolAnnounce_set_headerNslots)(&m, 1024);
    CTL(shmPoolAnnounce_set_headerSlotBytes)(&m, 256);
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_set_count)(&m, &g, 2));
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
    CTL(shmPoolAnnounce_payloadPools_set_poolId)(&g, 1);
    CTL(shmPoolAnnounce_payloadPools_set_poolNslots)(&g, 1024);
    CTL(shmPoolAnnounce_payloadPools_set_strideBytes)(&g, 4096);
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_put_regionUri)(&g, "shm:file?path=/dev/shm/p1", 25));
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
    CTL(shmPoolAnnounce_payloadPools_set_poolId)(&g, 2);
    CTL(shmPoolAnnounce_payloadPools_set_poolNslots)(&g, 512);
    CTL(shmPoolAnnounce_payloadPools_set_strideBytes)(&g, 1048576);
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_put_regionUri)(&g, "shm:file?path=/dev/shm/p2|x", 27));
    assert_null(CTL(shmPoolAnnounce_payloadPools_next)(&g)); /* only two entries were declared */
    assert_int_equal(E108, errno);
    assert_non_null(CTL(shmPoolAnnounce_put_headerRegionUri)(&m, "shm:file?path=/dev/shm/hdr", 26));
    return 8 + CTL(shmPoolAnnounce_encoded_length)(&m);
}

static int dec_announce(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;
    enum CTL(clockDomain) clock;
    OK(0 == open_CTL(buf, len, 1, &bl, &ver));
    OK(NULL != CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(35, bl);
    CHECK(1, ver);
    CHECK(10001, CTL(shmPoolAnnounce_streamId)(&m));
    CHECK(77, CTL(shmPoolAnnounce_producerId)(&m));
    CHECK(UINT64_C(0x0102030405060708), CTL(shmPoolAnnounce_epoch)(&m));
    CHECK(UINT64_C(1700000000123456789), CTL(shmPoolAnnounce_announceTimestampNs)(&m));
    OK(CTL(shmPoolAnnounce_announceClockDomain)(&m, &clock));
    CHECK(CTL(clockDomain_REALTIME_SYNCED), clock);
    CHECK(1, CTL(shmPoolAnnounce_layoutVersion)(&m));
    CHECK(1024, CTL(shmPoolAnnounce_headerNslots)(&m));
    CHECK(256, CTL(shmPoolAnnounce_headerSlotBytes)(&m));
    OK(NULL != CTL(shmPoolAnnounce_get_payloadPools)(&m, &g));
    CHECK(2, CTL(shmPoolAnnounce_payloadPools_count)(&g));
    OK(CTL(shmPoolAnnounce_payloadPools_count)(&g) == 2);
    OK(NULL != CTL(shmPoolAnnounce_payloadPools_next)(&g));
    CHECK(1, CTL(shmPoolAnnounce_payloadPools_poolId)(&g));
    CHECK(1024, CTL(shmPoolAnnounce_payloadPools_poolNslots)(&g));
    CHECK(4096, CTL(shmPoolAnnounce_payloadPools_strideBytes)(&g));
    VAR(CTL(shmPoolAnnounce_payloadPools_get_regionUri_as_string_view)(&g), "shm:file?path=/dev/shm/p1");
    OK(NULL != CTL(shmPoolAnnounce_payloadPools_next)(&g));
    CHECK(2, CTL(shmPoolAnnounce_payloadPools_poolId)(&g));
    CHECK(512, CTL(shmPoolAnnounce_payloadPools_poolNslots)(&g));
    CHECK(1048576, CTL(shmPoolAnnounce_payloadPools_strideBytes)(&g));
    VAR(CTL(shmPoolAnnounce_payloadPools_get_regionUri_as_string_view)(&g), "shm:file?path=/dev/shm/p2|x");
    CHECK(false, CTL(shmPoolAnnounce_payloadPools_has_next)(&g));
    VAR(CTL(shmPoolAnnounce_get_headerRegionUri_as_string_view)(&m), "shm:file?path=/dev/shm/hdr");
    CHECK(len, 8 + CTL(shmPoolAnnounce_encoded_length)(&m));
    return 0;
}

static size_t enc_hello(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(consumerHello) m;
    assert_non_null(CTL(consumerHello_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(consumerHello_set_streamId)(&m, 5);
    CTL(consumerHello_set_consumerId)(&m, 6);
    CTL(consumerHello_set_supportsShm)(&m, CTL(bool_FALSE));
    CTL(consumerHello_set_supportsProgress)(&m, CTL(bool_TRUE));
    CTL(consumerHello_set_mode)(&m, CTL(mode_RATE_LIMITED));
    CTL(consumerHello_set_maxRateHz)(&m, 60);
    CTL(consumerHello_set_expectedLayoutVersion)(&m, 1);
    CTL(consumerHello_set_progressIntervalUs)(&m, 250);
    CTL(consumerHello_set_progressBytesDelta)(&m, 65536);
    CTL(consumerHello_set_progressMajorDeltaUnits)(&m, 0);
    CTL(consumerHello_set_descriptorStreamId)(&m, 2001);
    CTL(consumerHello_set_controlStreamId)(&m, 2002);
    assert_non_null(CTL(consumerHello_put_descriptorChannel)(&m, "aeron:udp?endpoint=h:1", 22));
    assert_non_null(CTL(consumerHello_put_controlChannel)(&m, "", 0));
    return 8 + CTL(consumerHello_encoded_length)(&m);
}

static int dec_hello(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(consumerHello) m;
    enum CTL(bool) b;
    enum CTL(mode) mode;
    OK(0 == open_CTL(buf, len, 2, &bl, &ver));
    OK(NULL != CTL(consumerHello_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(39, bl);
    CHECK(5, CTL(consumerHello_streamId)(&m));
    CHECK(6, CTL(consumerHello_consumerId)(&m));
    OK(CTL(consumerHello_supportsShm)(&m, &b));
    CHECK(CTL(bool_FALSE), b);
    OK(CTL(consumerHello_supportsProgress)(&m, &b));
    CHECK(CTL(bool_TRUE), b);
    OK(CTL(consumerHello_mode)(&m, &mode));
    CHECK(CTL(mode_RATE_LIMITED), mode);
    CHECK(60, CTL(consumerHello_maxRateHz)(&m));
    CHECK(1, CTL(consumerHello_expectedLayoutVersion)(&m));
    CHECK(250, CTL(consumerHello_progressIntervalUs)(&m));
    CHECK(65536, CTL(consumerHello_progressBytesDelta)(&m));
    CHECK(0, CTL(consumerHello_progressMajorDeltaUnits)(&m));
    CHECK(2001, CTL(consumerHello_descriptorStreamId)(&m));
    CHECK(2002, CTL(consumerHello_controlStreamId)(&m));
    VAR(CTL(consumerHello_get_descriptorChannel_as_string_view)(&m), "aeron:udp?endpoint=h:1");
    VAR(CTL(consumerHello_get_controlChannel_as_string_view)(&m), "");
    CHECK(len, 8 + CTL(consumerHello_encoded_length)(&m));
    return 0;
}

static size_t enc_config(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(consumerConfig) m;
    assert_non_null(CTL(consumerConfig_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(consumerConfig_set_streamId)(&m, 11);
    CTL(consumerConfig_set_consumerId)(&m, 12);
    CTL(consumerConfig_set_useShm)(&m, CTL(bool_TRUE));
    CTL(consumerConfig_set_mode)(&m, CTL(mode_STREAM));
    CTL(consumerConfig_set_descriptorStreamId)(&m, 13);
    CTL(consumerConfig_set_controlStreamId)(&m, 14);
    assert_non_null(CTL(consumerConfig_put_payloadFallbackUri)(&m, "", 0));
    assert_non_null(CTL(consumerConfig_put_descriptorChannel)(&m, "aeron:ipc", 9));
    assert_non_null(CTL(consumerConfig_put_controlChannel)(&m, "aeron:ipc?term-length=64k", 25));
    return 8 + CTL(consumerConfig_encoded_length)(&m);
}

static int dec_config(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(consumerConfig) m;
    enum CTL(bool) b;
    enum CTL(mode) mode;
    OK(0 == open_CTL(buf, len, 3, &bl, &ver));
    OK(NULL != CTL(consumerConfig_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(18, bl);
    CHECK(11, CTL(consumerConfig_streamId)(&m));
    CHECK(12, CTL(consumerConfig_consumerId)(&m));
    OK(CTL(consumerConfig_useShm)(&m, &b));
    CHECK(CTL(bool_TRUE), b);
    OK(CTL(consumerConfig_mode)(&m, &mode));
    CHECK(CTL(mode_STREAM), mode);
    CHECK(13, CTL(consumerConfig_descriptorStreamId)(&m));
    CHECK(14, CTL(consumerConfig_controlStreamId)(&m));
    VAR(CTL(consumerConfig_get_payloadFallbackUri_as_string_view)(&m), "");
    VAR(CTL(consumerConfig_get_descriptorChannel_as_string_view)(&m), "aeron:ipc");
    VAR(CTL(consumerConfig_get_controlChannel_as_string_view)(&m), "aeron:ipc?term-length=64k");
    CHECK(len, 8 + CTL(consumerConfig_encoded_length)(&m));
    return 0;
}

static size_t enc_descriptor(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(frameDescriptor) m;
    assert_non_null(CTL(frameDescriptor_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(frameDescriptor_set_streamId)(&m, 21);
    CTL(frameDescriptor_set_epoch)(&m, 22);
    CTL(frameDescriptor_set_seq)(&m, UINT64_C(0xfffffffffffffffe));
    CTL(frameDescriptor_set_headerIndex)(&m, 23);
    CTL(frameDescriptor_set_timestampNs)(&m, CTL(frameDescriptor_timestampNs_null_value)());
    CTL(frameDescriptor_set_metaVersion)(&m, 24);
    return 8 + CTL(frameDescriptor_encoded_length)(&m);
}

static int dec_descriptor(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(frameDescriptor) m;
    OK(0 == open_CTL(buf, len, 4, &bl, &ver));
    OK(NULL != CTL(frameDescriptor_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(36, bl);
    CHECK(21, CTL(frameDescriptor_streamId)(&m));
    CHECK(22, CTL(frameDescriptor_epoch)(&m));
    CHECK(UINT64_C(0xfffffffffffffffe), CTL(frameDescriptor_seq)(&m));
    CHECK(23, CTL(frameDescriptor_headerIndex)(&m));
    CHECK(UINT64_MAX, CTL(frameDescriptor_timestampNs)(&m));
    CHECK(24, CTL(frameDescriptor_metaVersion)(&m));
    CHECK(len, 8 + CTL(frameDescriptor_encoded_length)(&m));
    return 0;
}

static size_t enc_qos_consumer(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(qosConsumer) m;
    assert_non_null(CTL(qosConsumer_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(qosConsumer_set_streamId)(&m, 31);
    CTL(qosConsumer_set_consumerId)(&m, 32);
    CTL(qosConsumer_set_epoch)(&m, 33);
    CTL(qosConsumer_set_lastSeqSeen)(&m, 34);
    CTL(qosConsumer_set_dropsGap)(&m, 35);
    CTL(qosConsumer_set_dropsLate)(&m, 36);
    CTL(qosConsumer_set_mode)(&m, CTL(mode_RATE_LIMITED));
    return 8 + CTL(qosConsumer_encoded_length)(&m);
}

static int dec_qos_consumer(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(qosConsumer) m;
    enum CTL(mode) mode;
    OK(0 == open_CTL(buf, len, 5, &bl, &ver));
    OK(NULL != CTL(qosConsumer_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(41, bl);
    CHECK(31, CTL(qosConsumer_streamId)(&m));
    CHECK(32, CTL(qosConsumer_consumerId)(&m));
    CHECK(33, CTL(qosConsumer_epoch)(&m));
    CHECK(34, CTL(qosConsumer_lastSeqSeen)(&m));
    CHECK(35, CTL(qosConsumer_dropsGap)(&m));
    CHECK(36, CTL(qosConsumer_dropsLate)(&m));
    OK(CTL(qosConsumer_mode)(&m, &mode));
    CHECK(CTL(mode_RATE_LIMITED), mode);
    CHECK(len, 8 + CTL(qosConsumer_encoded_length)(&m));
    return 0;
}

static size_t enc_qos_producer(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(qosProducer) m;
    assert_non_null(CTL(qosProducer_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(qosProducer_set_streamId)(&m, 41);
    CTL(qosProducer_set_producerId)(&m, 42);
    CTL(qosProducer_set_epoch)(&m, 43);
    CTL(qosProducer_set_currentSeq)(&m, 44);
    CTL(qosProducer_set_watermark)(&m, CTL(qosProducer_watermark_null_value)());
    return 8 + CTL(qosProducer_encoded_length)(&m);
}

static int dec_qos_producer(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(qosProducer) m;
    OK(0 == open_CTL(buf, len, 6, &bl, &ver));
    OK(NULL != CTL(qosProducer_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(28, bl);
    CHECK(41, CTL(qosProducer_streamId)(&m));
    CHECK(42, CTL(qosProducer_producerId)(&m));
    CHECK(43, CTL(qosProducer_epoch)(&m));
    CHECK(44, CTL(qosProducer_currentSeq)(&m));
    CHECK(UINT32_MAX, CTL(qosProducer_watermark)(&m));
    CHECK(len, 8 + CTL(qosProducer_encoded_length)(&m));
    return 0;
}

static size_t enc_ds_announce(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(dataSourceAnnounce) m;
    assert_non_null(CTL(dataSourceAnnounce_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(dataSourceAnnounce_set_streamId)(&m, 51);
    CTL(dataSourceAnnounce_set_producerId)(&m, 52);
    CTL(dataSourceAnnounce_set_epoch)(&m, 53);
    CTL(dataSourceAnnounce_set_metaVersion)(&m, 54);
    assert_non_null(CTL(dataSourceAnnounce_put_name)(&m, "camera-left", 11));
    assert_non_null(CTL(dataSourceAnnounce_put_summary)(&m, "1920x1080 rgb8 @ 30 Hz", 22));
    return 8 + CTL(dataSourceAnnounce_encoded_length)(&m);
}

static int dec_ds_announce(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(dataSourceAnnounce) m;
    OK(0 == open_CTL(buf, len, 7, &bl, &ver));
    OK(NULL != CTL(dataSourceAnnounce_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(20, bl);
    CHECK(51, CTL(dataSourceAnnounce_streamId)(&m));
    CHECK(52, CTL(dataSourceAnnounce_producerId)(&m));
    CHECK(53, CTL(dataSourceAnnounce_epoch)(&m));
    CHECK(54, CTL(dataSourceAnnounce_metaVersion)(&m));
    VAR(CTL(dataSourceAnnounce_get_name_as_string_view)(&m), "camera-left");
    VAR(CTL(dataSourceAnnounce_get_summary_as_string_view)(&m), "1920x1080 rgb8 @ 30 Hz");
    CHECK(len, 8 + CTL(dataSourceAnnounce_encoded_length)(&m));
    return 0;
}

static size_t enc_ds_meta(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(dataSourceMeta) m;
    struct CTL(dataSourceMeta_attributes) g;
    assert_non_null(CTL(dataSourceMeta_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(dataSourceMeta_set_streamId)(&m, 61);
    CTL(dataSourceMeta_set_metaVersion)(&m, 62);
    CTL(dataSourceMeta_set_timestampNs)(&m, 63);
    assert_non_null(CTL(dataSourceMeta_attributes_set_count)(&m, &g, 3));
    assert_non_null(CTL(dataSourceMeta_attributes_next)(&g));
    assert_non_null(CTL(dataSourceMeta_attributes_put_key)(&g, "units", 5));
    assert_non_null(CTL(dataSourceMeta_attributes_put_format)(&g, "string", 6));
    assert_non_null(CTL(dataSourceMeta_attributes_put_value)(&g, "m/s", 3));
    assert_non_null(CTL(dataSourceMeta_attributes_next)(&g));
    assert_non_null(CTL(dataSourceMeta_attributes_put_key)(&g, "calib", 5));
    assert_non_null(CTL(dataSourceMeta_attributes_put_format)(&g, "", 0));
    assert_non_null(CTL(dataSourceMeta_attributes_put_value)(&g, binary_value, sizeof(binary_value)));
    assert_non_null(CTL(dataSourceMeta_attributes_next)(&g));
    assert_non_null(CTL(dataSourceMeta_attributes_put_key)(&g, "empty", 5));
    assert_non_null(CTL(dataSourceMeta_attributes_put_format)(&g, "bytes", 5));
    assert_non_null(CTL(dataSourceMeta_attributes_put_value)(&g, "", 0));
    return 8 + CTL(dataSourceMeta_encoded_length)(&m);
}

static int dec_ds_meta(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(dataSourceMeta) m;
    struct CTL(dataSourceMeta_attributes) g;
    OK(0 == open_CTL(buf, len, 8, &bl, &ver));
    OK(NULL != CTL(dataSourceMeta_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(16, bl);
    CHECK(61, CTL(dataSourceMeta_streamId)(&m));
    CHECK(62, CTL(dataSourceMeta_metaVersion)(&m));
    CHECK(63, CTL(dataSourceMeta_timestampNs)(&m));
    OK(NULL != CTL(dataSourceMeta_get_attributes)(&m, &g));
    OK(3 == CTL(dataSourceMeta_attributes_count)(&g));
    CHECK(0, CTL(dataSourceMeta_attributes_acting_block_length)(&g));
    OK(NULL != CTL(dataSourceMeta_attributes_next)(&g));
    VAR(CTL(dataSourceMeta_attributes_get_key_as_string_view)(&g), "units");
    VAR(CTL(dataSourceMeta_attributes_get_format_as_string_view)(&g), "string");
    VAR(CTL(dataSourceMeta_attributes_get_value_as_string_view)(&g), "m/s");
    OK(NULL != CTL(dataSourceMeta_attributes_next)(&g));
    VAR(CTL(dataSourceMeta_attributes_get_key_as_string_view)(&g), "calib");
    VAR(CTL(dataSourceMeta_attributes_get_format_as_string_view)(&g), "");
    VAR_BYTES(CTL(dataSourceMeta_attributes_get_value_as_string_view)(&g), binary_value, sizeof(binary_value));
    OK(NULL != CTL(dataSourceMeta_attributes_next)(&g));
    VAR(CTL(dataSourceMeta_attributes_get_key_as_string_view)(&g), "empty");
    VAR(CTL(dataSourceMeta_attributes_get_format_as_string_view)(&g), "bytes");
    VAR(CTL(dataSourceMeta_attributes_get_value_as_string_view)(&g), "");
    CHECK(len, 8 + CTL(dataSourceMeta_encoded_length)(&m));
    return 0;
}

static size_t enc_control_response(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(controlResponse) m;
    assert_non_null(CTL(controlResponse_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(controlResponse_set_correlationId)(&m, INT64_C(-9000000000000000001));
    CTL(controlResponse_set_code)(&m, CTL(responseCode_INVALID_PARAMS));
    assert_non_null(CTL(controlResponse_put_errorMessage)(&m, "stride_bytes 3000 is not a power of two", 39));
    return 8 + CTL(controlResponse_encoded_length)(&m);
}

static int dec_control_response(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(controlResponse) m;
    enum CTL(responseCode) code;
    OK(0 == open_CTL(buf, len, 9, &bl, &ver));
    OK(NULL != CTL(controlResponse_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(12, bl);
    CHECK(INT64_C(-9000000000000000001), CTL(controlResponse_correlationId)(&m));
    OK(CTL(controlResponse_code)(&m, &code));
    CHECK(CTL(responseCode_INVALID_PARAMS), code);
    VAR(CTL(controlResponse_get_errorMessage_as_string_view)(&m), "stride_bytes 3000 is not a power of two");
    CHECK(len, 8 + CTL(controlResponse_encoded_length)(&m));
    return 0;
}

static size_t enc_progress(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(frameProgress) m;
    assert_non_null(CTL(frameProgress_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(frameProgress_set_streamId)(&m, 71);
    CTL(frameProgress_set_epoch)(&m, 72);
    CTL(frameProgress_set_frameId)(&m, 73);
    CTL(frameProgress_set_headerIndex)(&m, 74);
    CTL(frameProgress_set_payloadBytesFilled)(&m, 75);
    CTL(frameProgress_set_state)(&m, CTL(frameProgressState_COMPLETE));
    return 8 + CTL(frameProgress_encoded_length)(&m);
}

static int dec_progress(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(frameProgress) m;
    enum CTL(frameProgressState) state;
    OK(0 == open_CTL(buf, len, 11, &bl, &ver));
    OK(NULL != CTL(frameProgress_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(33, bl);
    CHECK(71, CTL(frameProgress_streamId)(&m));
    CHECK(72, CTL(frameProgress_epoch)(&m));
    CHECK(73, CTL(frameProgress_frameId)(&m));
    CHECK(74, CTL(frameProgress_headerIndex)(&m));
    CHECK(75, CTL(frameProgress_payloadBytesFilled)(&m));
    OK(CTL(frameProgress_state)(&m, &state));
    CHECK(CTL(frameProgressState_COMPLETE), state);
    CHECK(len, 8 + CTL(frameProgress_encoded_length)(&m));
    return 0;
}

/* SHM layouts are bare bodies at offset 0: no message header. */
static size_t enc_superblock(char *buf, size_t cap)
{
    struct CTL(shmRegionSuperblock) m;
    assert_non_null(CTL(shmRegionSuperblock_wrap_for_encode)(&m, buf, 0, cap));
    CTL(shmRegionSuperblock_set_magic)(&m, UINT64_C(0x544F504C53484D31));
    CTL(shmRegionSuperblock_set_layoutVersion)(&m, 1);
    CTL(shmRegionSuperblock_set_epoch)(&m, 81);
    CTL(shmRegionSuperblock_set_streamId)(&m, 82);
    CTL(shmRegionSuperblock_set_regionType)(&m, CTL(regionType_PAYLOAD_POOL));
    CTL(shmRegionSuperblock_set_poolId)(&m, 83);
    CTL(shmRegionSuperblock_set_nslots)(&m, 84);
    CTL(shmRegionSuperblock_set_slotBytes)(&m, 85);
    CTL(shmRegionSuperblock_set_strideBytes)(&m, 86);
    CTL(shmRegionSuperblock_set_pid)(&m, 87);
    CTL(shmRegionSuperblock_set_startTimestampNs)(&m, 88);
    CTL(shmRegionSuperblock_set_activityTimestampNs)(&m, 89);
    /* The magic's bytes on little-endian storage, as the fact sheet (section 14.5) says. */
    assert_memory_equal("1MHSLPOT", buf, 8);
    return CTL(shmRegionSuperblock_encoded_length)(&m);
}

static int dec_superblock(char *buf, size_t len, bool check)
{
    struct CTL(shmRegionSuperblock) m;
    enum CTL(regionType) rt;
    OK(NULL != CTL(shmRegionSuperblock_wrap_for_decode)(&m, buf, 0, CTL(shmRegionSuperblock_sbe_block_length)(),
                                                        CTL(shmRegionSuperblock_sbe_schema_version)(), len));
    CHECK(UINT64_C(0x544F504C53484D31), CTL(shmRegionSuperblock_magic)(&m));
    CHECK(1, CTL(shmRegionSuperblock_layoutVersion)(&m));
    CHECK(81, CTL(shmRegionSuperblock_epoch)(&m));
    CHECK(82, CTL(shmRegionSuperblock_streamId)(&m));
    OK(CTL(shmRegionSuperblock_regionType)(&m, &rt));
    CHECK(CTL(regionType_PAYLOAD_POOL), rt);
    CHECK(83, CTL(shmRegionSuperblock_poolId)(&m));
    CHECK(84, CTL(shmRegionSuperblock_nslots)(&m));
    CHECK(85, CTL(shmRegionSuperblock_slotBytes)(&m));
    CHECK(86, CTL(shmRegionSuperblock_strideBytes)(&m));
    CHECK(87, CTL(shmRegionSuperblock_pid)(&m));
    CHECK(88, CTL(shmRegionSuperblock_startTimestampNs)(&m));
    CHECK(89, CTL(shmRegionSuperblock_activityTimestampNs)(&m));
    CHECK(64, len);
    CHECK(len, CTL(shmRegionSuperblock_encoded_length)(&m));
    return 0;
}

static size_t enc_tensor(char *buf, size_t cap)
{
    struct CTL(messageHeader) hdr;
    struct CTL(tensorHeader) m;
    assert_non_null(CTL(tensorHeader_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    CTL(tensorHeader_set_dtype)(&m, CTL(dtype_INT64));
    CTL(tensorHeader_set_majorOrder)(&m, CTL(majorOrder_COLUMN));
    CTL(tensorHeader_set_ndims)(&m, 3);
    CTL(tensorHeader_set_padAlign)(&m, 0);
    CTL(tensorHeader_set_progressUnit)(&m, CTL(progressUnit_ROWS));
    CTL(tensorHeader_set_progressStrideBytes)(&m, 4096);
    for (uint64_t i = 0; i < 8; i++)
    {
        assert_non_null(CTL(tensorHeader_set_dims)(&m, i, i < 3 ? (int32_t)(10 + i) : 0));
        assert_non_null(CTL(tensorHeader_set_strides)(&m, i, i < 3 ? -(int32_t)(8 << i) : 0));
    }
    CTL(tensorHeader_set_pad)(&m, 0);
    return 8 + CTL(tensorHeader_encoded_length)(&m);
}

static int dec_tensor(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct CTL(tensorHeader) m;
    enum CTL(dtype) dtype;
    enum CTL(majorOrder) order;
    enum CTL(progressUnit) unit;
    OK(0 == open_CTL(buf, len, 52, &bl, &ver));
    OK(NULL != CTL(tensorHeader_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(184, bl);
    OK(CTL(tensorHeader_dtype)(&m, &dtype));
    CHECK(CTL(dtype_INT64), dtype);
    OK(CTL(tensorHeader_majorOrder)(&m, &order));
    CHECK(CTL(majorOrder_COLUMN), order);
    CHECK(3, CTL(tensorHeader_ndims)(&m));
    CHECK(8, CTL(tensorHeader_maxDims)());
    CHECK(0, CTL(tensorHeader_padAlign)(&m));
    OK(CTL(tensorHeader_progressUnit)(&m, &unit));
    CHECK(CTL(progressUnit_ROWS), unit);
    CHECK(4096, CTL(tensorHeader_progressStrideBytes)(&m));
    for (uint64_t i = 0; i < 8; i++)
    {
        int32_t d, s;
        OK(CTL(tensorHeader_dims)(&m, i, &d));
        OK(CTL(tensorHeader_strides)(&m, i, &s));
        CHECK(i < 3 ? (int32_t)(10 + i) : 0, d);
        CHECK(i < 3 ? -(int32_t)(8 << i) : 0, s);
    }
    CHECK(0, CTL(tensorHeader_pad)(&m));
    CHECK(192, len);
    CHECK(len, 8 + CTL(tensorHeader_encoded_length)(&m));
    return 0;
}

static size_t enc_slot(char *buf, size_t cap)
{
    struct CTL(slotHeader) m;
    char header_bytes[192];
    for (size_t i = 0; i < sizeof(header_bytes); i++)
    {
        header_bytes[i] = (char)(i * 7);
    }
    assert_non_null(CTL(slotHeader_wrap_for_encode)(&m, buf, 0, cap));
    CTL(slotHeader_set_seqCommit)(&m, (UINT64_C(41) << 1) | 1);
    CTL(slotHeader_set_valuesLenBytes)(&m, 4000);
    CTL(slotHeader_set_payloadSlot)(&m, 9);
    CTL(slotHeader_set_poolId)(&m, 2);
    CTL(slotHeader_set_payloadOffset)(&m, 0);
    CTL(slotHeader_set_timestampNs)(&m, 123456789);
    CTL(slotHeader_set_metaVersion)(&m, 3);
    CTL(slotHeader_set_pad)(&m, 0);
    assert_non_null(CTL(slotHeader_put_headerBytes)(&m, header_bytes, sizeof(header_bytes)));
    return CTL(slotHeader_encoded_length)(&m);
}

static int dec_slot(char *buf, size_t len, bool check)
{
    struct CTL(slotHeader) m;
    char expected[192];
    for (size_t i = 0; i < sizeof(expected); i++)
    {
        expected[i] = (char)(i * 7);
    }
    OK(NULL != CTL(slotHeader_wrap_for_decode)(&m, buf, 0, CTL(slotHeader_sbe_block_length)(),
                                               CTL(slotHeader_sbe_schema_version)(), len));
    CHECK((UINT64_C(41) << 1) | 1, CTL(slotHeader_seqCommit)(&m));
    CHECK(4000, CTL(slotHeader_valuesLenBytes)(&m));
    CHECK(9, CTL(slotHeader_payloadSlot)(&m));
    CHECK(2, CTL(slotHeader_poolId)(&m));
    CHECK(0, CTL(slotHeader_payloadOffset)(&m));
    CHECK(123456789, CTL(slotHeader_timestampNs)(&m));
    CHECK(3, CTL(slotHeader_metaVersion)(&m));
    CHECK(0, CTL(slotHeader_pad)(&m));
    VAR_BYTES(CTL(slotHeader_get_headerBytes_as_string_view)(&m), expected, sizeof(expected));
    CHECK(256, len);
    CHECK(len, CTL(slotHeader_encoded_length)(&m));
    return 0;
}

/* =========================================== driver schema 901 =============================================== */

static size_t enc_attach_request(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmAttachRequest) m;
    assert_non_null(DRV(shmAttachRequest_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmAttachRequest_set_correlationId)(&m, 101);
    DRV(shmAttachRequest_set_streamId)(&m, 102);
    DRV(shmAttachRequest_set_clientId)(&m, 103);
    DRV(shmAttachRequest_set_role)(&m, DRV(role_CONSUMER));
    DRV(shmAttachRequest_set_expectedLayoutVersion)(&m, 1);
    DRV(shmAttachRequest_set_maxDims)(&m, 8);
    DRV(shmAttachRequest_set_publishMode)(&m, DRV(publishMode_NULL_VALUE));
    DRV(shmAttachRequest_set_requireHugepages)(&m, DRV(hugepagesPolicy_HUGEPAGES));
    return 8 + DRV(shmAttachRequest_encoded_length)(&m);
}

static int dec_attach_request(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmAttachRequest) m;
    enum DRV(role) role;
    enum DRV(publishMode) pm;
    enum DRV(hugepagesPolicy) hp;
    OK(0 == open_DRV(buf, len, 1, &bl, &ver));
    OK(NULL != DRV(shmAttachRequest_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(24, bl);
    CHECK(101, DRV(shmAttachRequest_correlationId)(&m));
    CHECK(102, DRV(shmAttachRequest_streamId)(&m));
    CHECK(103, DRV(shmAttachRequest_clientId)(&m));
    OK(DRV(shmAttachRequest_role)(&m, &role));
    CHECK(DRV(role_CONSUMER), role);
    CHECK(1, DRV(shmAttachRequest_expectedLayoutVersion)(&m));
    CHECK(8, DRV(shmAttachRequest_maxDims)(&m));
    /* Optional enum left null: the lookup accepts the null value and maps it to NULL_VALUE. */
    OK(DRV(shmAttachRequest_publishMode)(&m, &pm));
    CHECK(DRV(publishMode_NULL_VALUE), pm);
    CHECK(255, DRV(shmAttachRequest_publishMode_raw)(&m));
    OK(DRV(shmAttachRequest_requireHugepages)(&m, &hp));
    CHECK(DRV(hugepagesPolicy_HUGEPAGES), hp);
    CHECK(len, 8 + DRV(shmAttachRequest_encoded_length)(&m));
    return 0;
}

static size_t enc_attach_response_ok(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmAttachResponse) m;
    struct DRV(shmAttachResponse_payloadPools) g;
    assert_non_null(DRV(shmAttachResponse_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmAttachResponse_set_correlationId)(&m, 201);
    DRV(shmAttachResponse_set_code)(&m, DRV(responseCode_OK));
    DRV(shmAttachResponse_set_leaseId)(&m, 202);
    DRV(shmAttachResponse_set_leaseExpiryTimestampNs)(&m, 203);
    DRV(shmAttachResponse_set_streamId)(&m, 204);
    DRV(shmAttachResponse_set_epoch)(&m, 205);
    DRV(shmAttachResponse_set_layoutVersion)(&m, 1);
    DRV(shmAttachResponse_set_headerNslots)(&m, 206);
    DRV(shmAttachResponse_set_headerSlotBytes)(&m, 256);
    DRV(shmAttachResponse_set_maxDims)(&m, 8);
    assert_non_null(DRV(shmAttachResponse_payloadPools_set_count)(&m, &g, 2));
    assert_non_null(DRV(shmAttachResponse_payloadPools_next)(&g));
    DRV(shmAttachResponse_payloadPools_set_poolId)(&g, 1);
    DRV(shmAttachResponse_payloadPools_set_poolNslots)(&g, 207);
    DRV(shmAttachResponse_payloadPools_set_strideBytes)(&g, 208);
    assert_non_null(DRV(shmAttachResponse_payloadPools_put_regionUri)(&g, "shm:file?path=/dev/shm/a", 24));
    assert_non_null(DRV(shmAttachResponse_payloadPools_next)(&g));
    DRV(shmAttachResponse_payloadPools_set_poolId)(&g, 2);
    DRV(shmAttachResponse_payloadPools_set_poolNslots)(&g, 209);
    DRV(shmAttachResponse_payloadPools_set_strideBytes)(&g, 210);
    assert_non_null(DRV(shmAttachResponse_payloadPools_put_regionUri)(&g, "shm:file?path=/dev/shm/b", 24));
    assert_non_null(DRV(shmAttachResponse_put_headerRegionUri)(&m, "shm:file?path=/dev/shm/h", 24));
    assert_non_null(DRV(shmAttachResponse_put_errorMessage)(&m, "", 0));
    return 8 + DRV(shmAttachResponse_encoded_length)(&m);
}

static int dec_attach_response_ok(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmAttachResponse) m;
    struct DRV(shmAttachResponse_payloadPools) g;
    enum DRV(responseCode) code;
    OK(0 == open_DRV(buf, len, 2, &bl, &ver));
    OK(NULL != DRV(shmAttachResponse_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(51, bl);
    CHECK(201, DRV(shmAttachResponse_correlationId)(&m));
    OK(DRV(shmAttachResponse_code)(&m, &code));
    CHECK(DRV(responseCode_OK), code);
    CHECK(202, DRV(shmAttachResponse_leaseId)(&m));
    CHECK(203, DRV(shmAttachResponse_leaseExpiryTimestampNs)(&m));
    CHECK(204, DRV(shmAttachResponse_streamId)(&m));
    CHECK(205, DRV(shmAttachResponse_epoch)(&m));
    CHECK(1, DRV(shmAttachResponse_layoutVersion)(&m));
    CHECK(206, DRV(shmAttachResponse_headerNslots)(&m));
    CHECK(256, DRV(shmAttachResponse_headerSlotBytes)(&m));
    CHECK(8, DRV(shmAttachResponse_maxDims)(&m));
    OK(NULL != DRV(shmAttachResponse_get_payloadPools)(&m, &g));
    OK(2 == DRV(shmAttachResponse_payloadPools_count)(&g));
    OK(NULL != DRV(shmAttachResponse_payloadPools_next)(&g));
    CHECK(1, DRV(shmAttachResponse_payloadPools_poolId)(&g));
    CHECK(207, DRV(shmAttachResponse_payloadPools_poolNslots)(&g));
    CHECK(208, DRV(shmAttachResponse_payloadPools_strideBytes)(&g));
    VAR(DRV(shmAttachResponse_payloadPools_get_regionUri_as_string_view)(&g), "shm:file?path=/dev/shm/a");
    OK(NULL != DRV(shmAttachResponse_payloadPools_next)(&g));
    CHECK(2, DRV(shmAttachResponse_payloadPools_poolId)(&g));
    CHECK(209, DRV(shmAttachResponse_payloadPools_poolNslots)(&g));
    CHECK(210, DRV(shmAttachResponse_payloadPools_strideBytes)(&g));
    VAR(DRV(shmAttachResponse_payloadPools_get_regionUri_as_string_view)(&g), "shm:file?path=/dev/shm/b");
    VAR(DRV(shmAttachResponse_get_headerRegionUri_as_string_view)(&m), "shm:file?path=/dev/shm/h");
    VAR(DRV(shmAttachResponse_get_errorMessage_as_string_view)(&m), "");
    CHECK(len, 8 + DRV(shmAttachResponse_encoded_length)(&m));
    return 0;
}

/* A rejection: every optional field null, an empty pool group, and the reason in errorMessage. */
static size_t enc_attach_response_error(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmAttachResponse) m;
    struct DRV(shmAttachResponse_payloadPools) g;
    assert_non_null(DRV(shmAttachResponse_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmAttachResponse_set_correlationId)(&m, -1);
    DRV(shmAttachResponse_set_code)(&m, DRV(responseCode_REJECTED));
    DRV(shmAttachResponse_set_leaseId)(&m, DRV(shmAttachResponse_leaseId_null_value)());
    DRV(shmAttachResponse_set_leaseExpiryTimestampNs)(&m, DRV(shmAttachResponse_leaseExpiryTimestampNs_null_value)());
    DRV(shmAttachResponse_set_streamId)(&m, DRV(shmAttachResponse_streamId_null_value)());
    DRV(shmAttachResponse_set_epoch)(&m, DRV(shmAttachResponse_epoch_null_value)());
    DRV(shmAttachResponse_set_layoutVersion)(&m, DRV(shmAttachResponse_layoutVersion_null_value)());
    DRV(shmAttachResponse_set_headerNslots)(&m, DRV(shmAttachResponse_headerNslots_null_value)());
    DRV(shmAttachResponse_set_headerSlotBytes)(&m, DRV(shmAttachResponse_headerSlotBytes_null_value)());
    DRV(shmAttachResponse_set_maxDims)(&m, DRV(shmAttachResponse_maxDims_null_value)());
    assert_non_null(DRV(shmAttachResponse_payloadPools_set_count)(&m, &g, 0));
    assert_null(DRV(shmAttachResponse_payloadPools_next)(&g));
    assert_non_null(DRV(shmAttachResponse_put_headerRegionUri)(&m, "", 0));
    assert_non_null(DRV(shmAttachResponse_put_errorMessage)(&m, "stream 7 already has a producer", 31));
    return 8 + DRV(shmAttachResponse_encoded_length)(&m);
}

static int dec_attach_response_error(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmAttachResponse) m;
    struct DRV(shmAttachResponse_payloadPools) g;
    enum DRV(responseCode) code;
    OK(0 == open_DRV(buf, len, 2, &bl, &ver));
    OK(NULL != DRV(shmAttachResponse_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(-1, DRV(shmAttachResponse_correlationId)(&m));
    OK(DRV(shmAttachResponse_code)(&m, &code));
    CHECK(DRV(responseCode_REJECTED), code);
    CHECK(UINT64_MAX, DRV(shmAttachResponse_leaseId)(&m));
    CHECK(UINT64_MAX, DRV(shmAttachResponse_leaseExpiryTimestampNs)(&m));
    CHECK(UINT32_MAX, DRV(shmAttachResponse_streamId)(&m));
    CHECK(UINT64_MAX, DRV(shmAttachResponse_epoch)(&m));
    CHECK(UINT32_MAX, DRV(shmAttachResponse_layoutVersion)(&m));
    CHECK(UINT32_MAX, DRV(shmAttachResponse_headerNslots)(&m));
    CHECK(UINT16_MAX, DRV(shmAttachResponse_headerSlotBytes)(&m));
    CHECK(UINT8_MAX, DRV(shmAttachResponse_maxDims)(&m));
    OK(NULL != DRV(shmAttachResponse_get_payloadPools)(&m, &g));
    CHECK(0, DRV(shmAttachResponse_payloadPools_count)(&g));
    CHECK(false, DRV(shmAttachResponse_payloadPools_has_next)(&g));
    VAR(DRV(shmAttachResponse_get_headerRegionUri_as_string_view)(&m), "");
    VAR(DRV(shmAttachResponse_get_errorMessage_as_string_view)(&m), "stream 7 already has a producer");
    CHECK(len, 8 + DRV(shmAttachResponse_encoded_length)(&m));
    return 0;
}

static size_t enc_detach_request(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmDetachRequest) m;
    assert_non_null(DRV(shmDetachRequest_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmDetachRequest_set_correlationId)(&m, 301);
    DRV(shmDetachRequest_set_leaseId)(&m, 302);
    DRV(shmDetachRequest_set_streamId)(&m, 303);
    DRV(shmDetachRequest_set_clientId)(&m, 304);
    DRV(shmDetachRequest_set_role)(&m, DRV(role_PRODUCER));
    return 8 + DRV(shmDetachRequest_encoded_length)(&m);
}

static int dec_detach_request(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmDetachRequest) m;
    enum DRV(role) role;
    OK(0 == open_DRV(buf, len, 3, &bl, &ver));
    OK(NULL != DRV(shmDetachRequest_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(25, bl);
    CHECK(301, DRV(shmDetachRequest_correlationId)(&m));
    CHECK(302, DRV(shmDetachRequest_leaseId)(&m));
    CHECK(303, DRV(shmDetachRequest_streamId)(&m));
    CHECK(304, DRV(shmDetachRequest_clientId)(&m));
    OK(DRV(shmDetachRequest_role)(&m, &role));
    CHECK(DRV(role_PRODUCER), role);
    CHECK(len, 8 + DRV(shmDetachRequest_encoded_length)(&m));
    return 0;
}

static size_t enc_detach_response(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmDetachResponse) m;
    assert_non_null(DRV(shmDetachResponse_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmDetachResponse_set_correlationId)(&m, 401);
    DRV(shmDetachResponse_set_code)(&m, DRV(responseCode_INTERNAL_ERROR));
    assert_non_null(DRV(shmDetachResponse_put_errorMessage)(&m, "lease 9 unknown", 15));
    return 8 + DRV(shmDetachResponse_encoded_length)(&m);
}

static int dec_detach_response(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmDetachResponse) m;
    enum DRV(responseCode) code;
    OK(0 == open_DRV(buf, len, 4, &bl, &ver));
    OK(NULL != DRV(shmDetachResponse_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(12, bl);
    CHECK(401, DRV(shmDetachResponse_correlationId)(&m));
    OK(DRV(shmDetachResponse_code)(&m, &code));
    CHECK(DRV(responseCode_INTERNAL_ERROR), code);
    VAR(DRV(shmDetachResponse_get_errorMessage_as_string_view)(&m), "lease 9 unknown");
    CHECK(len, 8 + DRV(shmDetachResponse_encoded_length)(&m));
    return 0;
}

static size_t enc_keepalive(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmLeaseKeepalive) m;
    assert_non_null(DRV(shmLeaseKeepalive_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmLeaseKeepalive_set_leaseId)(&m, 501);
    DRV(shmLeaseKeepalive_set_streamId)(&m, 502);
    DRV(shmLeaseKeepalive_set_clientId)(&m, 503);
    DRV(shmLeaseKeepalive_set_role)(&m, DRV(role_CONSUMER));
    DRV(shmLeaseKeepalive_set_clientTimestampNs)(&m, 504);
    return 8 + DRV(shmLeaseKeepalive_encoded_length)(&m);
}

static int dec_keepalive(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmLeaseKeepalive) m;
    enum DRV(role) role;
    OK(0 == open_DRV(buf, len, 5, &bl, &ver));
    OK(NULL != DRV(shmLeaseKeepalive_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(25, bl);
    CHECK(501, DRV(shmLeaseKeepalive_leaseId)(&m));
    CHECK(502, DRV(shmLeaseKeepalive_streamId)(&m));
    CHECK(503, DRV(shmLeaseKeepalive_clientId)(&m));
    OK(DRV(shmLeaseKeepalive_role)(&m, &role));
    CHECK(DRV(role_CONSUMER), role);
    CHECK(504, DRV(shmLeaseKeepalive_clientTimestampNs)(&m));
    CHECK(len, 8 + DRV(shmLeaseKeepalive_encoded_length)(&m));
    return 0;
}

static size_t enc_shutdown(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmDriverShutdown) m;
    assert_non_null(DRV(shmDriverShutdown_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmDriverShutdown_set_timestampNs)(&m, 601);
    DRV(shmDriverShutdown_set_reason)(&m, DRV(shutdownReason_ERROR));
    assert_non_null(DRV(shmDriverShutdown_put_errorMessage)(&m, "disk full", 9));
    return 8 + DRV(shmDriverShutdown_encoded_length)(&m);
}

static int dec_shutdown(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmDriverShutdown) m;
    enum DRV(shutdownReason) reason;
    OK(0 == open_DRV(buf, len, 6, &bl, &ver));
    OK(NULL != DRV(shmDriverShutdown_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(9, bl);
    CHECK(601, DRV(shmDriverShutdown_timestampNs)(&m));
    OK(DRV(shmDriverShutdown_reason)(&m, &reason));
    CHECK(DRV(shutdownReason_ERROR), reason);
    VAR(DRV(shmDriverShutdown_get_errorMessage_as_string_view)(&m), "disk full");
    CHECK(len, 8 + DRV(shmDriverShutdown_encoded_length)(&m));
    return 0;
}

static size_t enc_revoked(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmLeaseRevoked) m;
    assert_non_null(DRV(shmLeaseRevoked_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmLeaseRevoked_set_timestampNs)(&m, 701);
    DRV(shmLeaseRevoked_set_leaseId)(&m, 702);
    DRV(shmLeaseRevoked_set_streamId)(&m, 703);
    DRV(shmLeaseRevoked_set_clientId)(&m, 704);
    DRV(shmLeaseRevoked_set_role)(&m, DRV(role_PRODUCER));
    DRV(shmLeaseRevoked_set_reason)(&m, DRV(leaseRevokeReason_EXPIRED));
    assert_non_null(DRV(shmLeaseRevoked_put_errorMessage)(&m, "no keepalive for 3 s", 20));
    return 8 + DRV(shmLeaseRevoked_encoded_length)(&m);
}

static int dec_revoked(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmLeaseRevoked) m;
    enum DRV(role) role;
    enum DRV(leaseRevokeReason) reason;
    OK(0 == open_DRV(buf, len, 7, &bl, &ver));
    OK(NULL != DRV(shmLeaseRevoked_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(26, bl);
    CHECK(701, DRV(shmLeaseRevoked_timestampNs)(&m));
    CHECK(702, DRV(shmLeaseRevoked_leaseId)(&m));
    CHECK(703, DRV(shmLeaseRevoked_streamId)(&m));
    CHECK(704, DRV(shmLeaseRevoked_clientId)(&m));
    OK(DRV(shmLeaseRevoked_role)(&m, &role));
    CHECK(DRV(role_PRODUCER), role);
    OK(DRV(shmLeaseRevoked_reason)(&m, &reason));
    CHECK(DRV(leaseRevokeReason_EXPIRED), reason);
    VAR(DRV(shmLeaseRevoked_get_errorMessage_as_string_view)(&m), "no keepalive for 3 s");
    CHECK(len, 8 + DRV(shmLeaseRevoked_encoded_length)(&m));
    return 0;
}

static size_t enc_shutdown_request(char *buf, size_t cap)
{
    struct DRV(messageHeader) hdr;
    struct DRV(shmDriverShutdownRequest) m;
    assert_non_null(DRV(shmDriverShutdownRequest_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DRV(shmDriverShutdownRequest_set_correlationId)(&m, 801);
    DRV(shmDriverShutdownRequest_set_reason)(&m, DRV(shutdownReason_ADMIN));
    assert_non_null(DRV(shmDriverShutdownRequest_put_token)(&m, "s3cr3t", 6));
    assert_non_null(DRV(shmDriverShutdownRequest_put_errorMessage)(&m, "maintenance", 11));
    return 8 + DRV(shmDriverShutdownRequest_encoded_length)(&m);
}

static int dec_shutdown_request(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DRV(shmDriverShutdownRequest) m;
    enum DRV(shutdownReason) reason;
    OK(0 == open_DRV(buf, len, 8, &bl, &ver));
    OK(NULL != DRV(shmDriverShutdownRequest_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(9, bl);
    CHECK(801, DRV(shmDriverShutdownRequest_correlationId)(&m));
    OK(DRV(shmDriverShutdownRequest_reason)(&m, &reason));
    CHECK(DRV(shutdownReason_ADMIN), reason);
    VAR(DRV(shmDriverShutdownRequest_get_token_as_string_view)(&m), "s3cr3t");
    VAR(DRV(shmDriverShutdownRequest_get_errorMessage_as_string_view)(&m), "maintenance");
    CHECK(len, 8 + DRV(shmDriverShutdownRequest_encoded_length)(&m));
    return 0;
}

/* ========================================= discovery schema 910 ============================================== */

static size_t enc_discovery_request(char *buf, size_t cap)
{
    struct DSC(messageHeader) hdr;
    struct DSC(discoveryRequest) m;
    struct DSC(discoveryRequest_tags) tags;
    assert_non_null(DSC(discoveryRequest_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DSC(discoveryRequest_set_requestId)(&m, 901);
    DSC(discoveryRequest_set_clientId)(&m, 902);
    DSC(discoveryRequest_set_responseStreamId)(&m, 903);
    DSC(discoveryRequest_set_streamId)(&m, DSC(discoveryRequest_streamId_null_value)());
    DSC(discoveryRequest_set_producerId)(&m, 904);
    DSC(discoveryRequest_set_dataSourceId)(&m, DSC(discoveryRequest_dataSourceId_null_value)());
    assert_non_null(DSC(discoveryRequest_tags_set_count)(&m, &tags, 3));
    assert_non_null(DSC(discoveryRequest_tags_next)(&tags));
    assert_non_null(DSC(discoveryRequest_tags_put_tag)(&tags, "vision", 6));
    assert_non_null(DSC(discoveryRequest_tags_next)(&tags));
    assert_non_null(DSC(discoveryRequest_tags_put_tag)(&tags, "", 0));
    assert_non_null(DSC(discoveryRequest_tags_next)(&tags));
    assert_non_null(DSC(discoveryRequest_tags_put_tag)(&tags, "rgb8", 4));
    assert_non_null(DSC(discoveryRequest_put_responseChannel)(&m, "aeron:ipc", 9));
    assert_non_null(DSC(discoveryRequest_put_dataSourceName)(&m, "camera-left", 11));
    return 8 + DSC(discoveryRequest_encoded_length)(&m);
}

static int dec_discovery_request(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DSC(discoveryRequest) m;
    struct DSC(discoveryRequest_tags) tags;
    static const char *const expected_tags[] = {"vision", "", "rgb8"};
    OK(0 == open_DSC(buf, len, 1, &bl, &ver));
    OK(NULL != DSC(discoveryRequest_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(32, bl);
    CHECK(901, DSC(discoveryRequest_requestId)(&m));
    CHECK(902, DSC(discoveryRequest_clientId)(&m));
    CHECK(903, DSC(discoveryRequest_responseStreamId)(&m));
    CHECK(UINT32_MAX, DSC(discoveryRequest_streamId)(&m));
    CHECK(904, DSC(discoveryRequest_producerId)(&m));
    CHECK(UINT64_MAX, DSC(discoveryRequest_dataSourceId)(&m));
    OK(NULL != DSC(discoveryRequest_get_tags)(&m, &tags));
    OK(3 == DSC(discoveryRequest_tags_count)(&tags));
    CHECK(0, DSC(discoveryRequest_tags_acting_block_length)(&tags));
    for (int i = 0; i < 3; i++)
    {
        OK(NULL != DSC(discoveryRequest_tags_next)(&tags));
        VAR(DSC(discoveryRequest_tags_get_tag_as_string_view)(&tags), expected_tags[i]);
    }
    VAR(DSC(discoveryRequest_get_responseChannel_as_string_view)(&m), "aeron:ipc");
    VAR(DSC(discoveryRequest_get_dataSourceName_as_string_view)(&m), "camera-left");
    CHECK(len, 8 + DSC(discoveryRequest_encoded_length)(&m));
    return 0;
}

/* Writes one tag the way sbe-tool users do: wrap the composite at the entry, fill it, move the position by hand. */
static void put_tag_sbe_tool_style(struct DSC(discoveryResponse_results_tags) * tags, const char *tag)
{
    struct DSC(varAsciiEncoding) var;
    const uint32_t n = (uint32_t)strlen(tag);
    assert_non_null(DSC(discoveryResponse_results_tags_tag)(tags, &var));
    DSC(varAsciiEncoding_set_length)(&var, n);
    memcpy(DSC(varAsciiEncoding_mut_buffer)(&var) + DSC(varAsciiEncoding_offset)(&var) +
               DSC(varAsciiEncoding_varData_encoding_offset)(),
           tag, n);
    assert_true(DSC(discoveryResponse_results_tags_set_sbe_position)(
        tags, DSC(varAsciiEncoding_offset)(&var) + DSC(varAsciiEncoding_varData_encoding_offset)() + n));
}

static size_t enc_discovery_response(char *buf, size_t cap)
{
    struct DSC(messageHeader) hdr;
    struct DSC(discoveryResponse) m;
    struct DSC(discoveryResponse_results) r;
    struct DSC(discoveryResponse_results_payloadPools) p;
    struct DSC(discoveryResponse_results_tags) t;
    assert_non_null(DSC(discoveryResponse_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DSC(discoveryResponse_set_requestId)(&m, 1001);
    DSC(discoveryResponse_set_status)(&m, DSC(discoveryStatus_OK));
    assert_non_null(DSC(discoveryResponse_results_set_count)(&m, &r, 2));

    assert_non_null(DSC(discoveryResponse_results_next)(&r));
    DSC(discoveryResponse_results_set_streamId)(&r, 1002);
    DSC(discoveryResponse_results_set_producerId)(&r, 1003);
    DSC(discoveryResponse_results_set_epoch)(&r, 1004);
    DSC(discoveryResponse_results_set_layoutVersion)(&r, 1);
    DSC(discoveryResponse_results_set_headerNslots)(&r, 1005);
    DSC(discoveryResponse_results_set_headerSlotBytes)(&r, 256);
    DSC(discoveryResponse_results_set_maxDims)(&r, 8);
    DSC(discoveryResponse_results_set_dataSourceId)(&r, 1006);
    DSC(discoveryResponse_results_set_driverControlStreamId)(&r, 1007);
    assert_non_null(DSC(discoveryResponse_results_payloadPools_set_count)(&r, &p, 2));
    assert_non_null(DSC(discoveryResponse_results_payloadPools_next)(&p));
    DSC(discoveryResponse_results_payloadPools_set_poolId)(&p, 1);
    DSC(discoveryResponse_results_payloadPools_set_poolNslots)(&p, 1008);
    DSC(discoveryResponse_results_payloadPools_set_strideBytes)(&p, 1009);
    assert_non_null(DSC(discoveryResponse_results_payloadPools_put_regionUri)(&p, "shm:file?path=/p1", 17));
    assert_non_null(DSC(discoveryResponse_results_payloadPools_next)(&p));
    DSC(discoveryResponse_results_payloadPools_set_poolId)(&p, 2);
    DSC(discoveryResponse_results_payloadPools_set_poolNslots)(&p, 1010);
    DSC(discoveryResponse_results_payloadPools_set_strideBytes)(&p, 1011);
    assert_non_null(DSC(discoveryResponse_results_payloadPools_put_regionUri)(&p, "shm:file?path=/p2", 17));
    assert_non_null(DSC(discoveryResponse_results_tags_set_count)(&r, &t, 2));
    assert_non_null(DSC(discoveryResponse_results_tags_next)(&t));
    put_tag_sbe_tool_style(&t, "lidar");
    assert_non_null(DSC(discoveryResponse_results_tags_next)(&t));
    assert_non_null(DSC(discoveryResponse_results_tags_put_tag)(&t, "front", 5));
    assert_non_null(DSC(discoveryResponse_results_put_headerRegionUri)(&r, "shm:file?path=/h1", 17));
    assert_non_null(DSC(discoveryResponse_results_put_dataSourceName)(&r, "lidar-front", 11));
    assert_non_null(DSC(discoveryResponse_results_put_driverInstanceId)(&r, "driver-a", 8));
    assert_non_null(DSC(discoveryResponse_results_put_driverControlChannel)(&r, "aeron:ipc", 9));

    assert_non_null(DSC(discoveryResponse_results_next)(&r));
    DSC(discoveryResponse_results_set_streamId)(&r, 2002);
    DSC(discoveryResponse_results_set_producerId)(&r, 2003);
    DSC(discoveryResponse_results_set_epoch)(&r, 2004);
    DSC(discoveryResponse_results_set_layoutVersion)(&r, 1);
    DSC(discoveryResponse_results_set_headerNslots)(&r, 2005);
    DSC(discoveryResponse_results_set_headerSlotBytes)(&r, 256);
    DSC(discoveryResponse_results_set_maxDims)(&r, 4);
    DSC(discoveryResponse_results_set_dataSourceId)(&r, DSC(discoveryResponse_results_dataSourceId_null_value)());
    DSC(discoveryResponse_results_set_driverControlStreamId)(&r, 2007);
    assert_non_null(DSC(discoveryResponse_results_payloadPools_set_count)(&r, &p, 0));
    assert_non_null(DSC(discoveryResponse_results_tags_set_count)(&r, &t, 1));
    assert_non_null(DSC(discoveryResponse_results_tags_next)(&t));
    assert_non_null(DSC(discoveryResponse_results_tags_put_tag)(&t, "x", 1));
    assert_non_null(DSC(discoveryResponse_results_put_headerRegionUri)(&r, "shm:file?path=/h2", 17));
    assert_non_null(DSC(discoveryResponse_results_put_dataSourceName)(&r, "", 0));
    assert_non_null(DSC(discoveryResponse_results_put_driverInstanceId)(&r, "driver-b", 8));
    assert_non_null(DSC(discoveryResponse_results_put_driverControlChannel)(&r, "aeron:ipc?alias=d", 17));

    assert_non_null(DSC(discoveryResponse_put_errorMessage)(&m, "", 0));
    return 8 + DSC(discoveryResponse_encoded_length)(&m);
}

static int dec_discovery_response(char *buf, size_t len, bool check)
{
    uint64_t bl, ver;
    struct DSC(discoveryResponse) m;
    struct DSC(discoveryResponse_results) r;
    struct DSC(discoveryResponse_results_payloadPools) p;
    struct DSC(discoveryResponse_results_tags) t;
    enum DSC(discoveryStatus) status;
    OK(0 == open_DSC(buf, len, 2, &bl, &ver));
    OK(NULL != DSC(discoveryResponse_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    CHECK(9, bl);
    CHECK(1001, DSC(discoveryResponse_requestId)(&m));
    OK(DSC(discoveryResponse_status)(&m, &status));
    CHECK(DSC(discoveryStatus_OK), status);
    OK(NULL != DSC(discoveryResponse_get_results)(&m, &r));
    OK(2 == DSC(discoveryResponse_results_count)(&r));
    CHECK(39, DSC(discoveryResponse_results_acting_block_length)(&r));

    OK(NULL != DSC(discoveryResponse_results_next)(&r));
    CHECK(1002, DSC(discoveryResponse_results_streamId)(&r));
    CHECK(1003, DSC(discoveryResponse_results_producerId)(&r));
    CHECK(1004, DSC(discoveryResponse_results_epoch)(&r));
    CHECK(1, DSC(discoveryResponse_results_layoutVersion)(&r));
    CHECK(1005, DSC(discoveryResponse_results_headerNslots)(&r));
    CHECK(256, DSC(discoveryResponse_results_headerSlotBytes)(&r));
    CHECK(8, DSC(discoveryResponse_results_maxDims)(&r));
    CHECK(1006, DSC(discoveryResponse_results_dataSourceId)(&r));
    CHECK(1007, DSC(discoveryResponse_results_driverControlStreamId)(&r));
    OK(NULL != DSC(discoveryResponse_results_get_payloadPools)(&r, &p));
    OK(2 == DSC(discoveryResponse_results_payloadPools_count)(&p));
    OK(NULL != DSC(discoveryResponse_results_payloadPools_next)(&p));
    CHECK(1, DSC(discoveryResponse_results_payloadPools_poolId)(&p));
    CHECK(1008, DSC(discoveryResponse_results_payloadPools_poolNslots)(&p));
    CHECK(1009, DSC(discoveryResponse_results_payloadPools_strideBytes)(&p));
    VAR(DSC(discoveryResponse_results_payloadPools_get_regionUri_as_string_view)(&p), "shm:file?path=/p1");
    OK(NULL != DSC(discoveryResponse_results_payloadPools_next)(&p));
    CHECK(2, DSC(discoveryResponse_results_payloadPools_poolId)(&p));
    CHECK(1010, DSC(discoveryResponse_results_payloadPools_poolNslots)(&p));
    CHECK(1011, DSC(discoveryResponse_results_payloadPools_strideBytes)(&p));
    VAR(DSC(discoveryResponse_results_payloadPools_get_regionUri_as_string_view)(&p), "shm:file?path=/p2");
    OK(NULL != DSC(discoveryResponse_results_get_tags)(&r, &t));
    OK(2 == DSC(discoveryResponse_results_tags_count)(&t));
    OK(NULL != DSC(discoveryResponse_results_tags_next)(&t));
    VAR(DSC(discoveryResponse_results_tags_get_tag_as_string_view)(&t), "lidar");
    OK(NULL != DSC(discoveryResponse_results_tags_next)(&t));
    VAR(DSC(discoveryResponse_results_tags_get_tag_as_string_view)(&t), "front");
    VAR(DSC(discoveryResponse_results_get_headerRegionUri_as_string_view)(&r), "shm:file?path=/h1");
    VAR(DSC(discoveryResponse_results_get_dataSourceName_as_string_view)(&r), "lidar-front");
    VAR(DSC(discoveryResponse_results_get_driverInstanceId_as_string_view)(&r), "driver-a");
    VAR(DSC(discoveryResponse_results_get_driverControlChannel_as_string_view)(&r), "aeron:ipc");

    OK(NULL != DSC(discoveryResponse_results_next)(&r));
    CHECK(2002, DSC(discoveryResponse_results_streamId)(&r));
    CHECK(2003, DSC(discoveryResponse_results_producerId)(&r));
    CHECK(2004, DSC(discoveryResponse_results_epoch)(&r));
    CHECK(1, DSC(discoveryResponse_results_layoutVersion)(&r));
    CHECK(2005, DSC(discoveryResponse_results_headerNslots)(&r));
    CHECK(256, DSC(discoveryResponse_results_headerSlotBytes)(&r));
    CHECK(4, DSC(discoveryResponse_results_maxDims)(&r));
    CHECK(UINT64_MAX, DSC(discoveryResponse_results_dataSourceId)(&r));
    CHECK(2007, DSC(discoveryResponse_results_driverControlStreamId)(&r));
    OK(NULL != DSC(discoveryResponse_results_get_payloadPools)(&r, &p));
    CHECK(0, DSC(discoveryResponse_results_payloadPools_count)(&p));
    OK(NULL != DSC(discoveryResponse_results_get_tags)(&r, &t));
    OK(1 == DSC(discoveryResponse_results_tags_count)(&t));
    OK(NULL != DSC(discoveryResponse_results_tags_next)(&t));
    VAR(DSC(discoveryResponse_results_tags_get_tag_as_string_view)(&t), "x");
    VAR(DSC(discoveryResponse_results_get_headerRegionUri_as_string_view)(&r), "shm:file?path=/h2");
    VAR(DSC(discoveryResponse_results_get_dataSourceName_as_string_view)(&r), "");
    VAR(DSC(discoveryResponse_results_get_driverInstanceId_as_string_view)(&r), "driver-b");
    VAR(DSC(discoveryResponse_results_get_driverControlChannel_as_string_view)(&r), "aeron:ipc?alias=d");
    CHECK(false, DSC(discoveryResponse_results_has_next)(&r));

    VAR(DSC(discoveryResponse_get_errorMessage_as_string_view)(&m), "");
    CHECK(len, 8 + DSC(discoveryResponse_encoded_length)(&m));
    return 0;
}

/* The tags written above read back the sbe-tool way too: composite at the entry offset, position moved by hand. */
static void test_discovery_tags_read_sbe_tool_style(void **state)
{
    char buf[4096];
    uint64_t bl, ver;
    struct DSC(discoveryRequest) m;
    struct DSC(discoveryRequest_tags) tags;
    struct DSC(varAsciiEncoding) var;
    static const char *const expected[] = {"vision", "", "rgb8"};

    memset(buf, 0, sizeof(buf));
    const size_t len = enc_discovery_request(buf, sizeof(buf));
    assert_int_equal(0, open_DSC(buf, len, 1, &bl, &ver));
    assert_non_null(DSC(discoveryRequest_wrap_for_decode)(&m, buf, 8, bl, ver, len));
    assert_non_null(DSC(discoveryRequest_get_tags)(&m, &tags));
    for (int i = 0; i < 3; i++)
    {
        assert_non_null(DSC(discoveryRequest_tags_next)(&tags));
        assert_non_null(DSC(discoveryRequest_tags_tag)(&tags, &var));
        const uint32_t n = DSC(varAsciiEncoding_length)(&var);
        const char *p = DSC(varAsciiEncoding_buffer)(&var) + DSC(varAsciiEncoding_offset)(&var) +
                        DSC(varAsciiEncoding_varData_encoding_offset)();
        tp_test_assert_bytes(p, n, expected[i], strlen(expected[i]));
        assert_true(DSC(discoveryRequest_tags_set_sbe_position)(&tags, DSC(varAsciiEncoding_offset)(&var) + 4 + n));
    }
    struct DSC(discoveryRequest_string_view) channel = DSC(discoveryRequest_get_responseChannel_as_string_view)(&m);
    TP_ASSERT_VIEW(channel, "aeron:ipc");
}

#define ROUNDTRIP_TEST(name, enc, dec)              \
    static void test_roundtrip_##name(void **state) \
    {                                               \
        roundtrip(enc, dec);                        \
    }

ROUNDTRIP_TEST(shm_pool_announce, enc_announce, dec_announce)
ROUNDTRIP_TEST(consumer_hello, enc_hello, dec_hello)
ROUNDTRIP_TEST(consumer_config, enc_config, dec_config)
ROUNDTRIP_TEST(frame_descriptor, enc_descriptor, dec_descriptor)
ROUNDTRIP_TEST(qos_consumer, enc_qos_consumer, dec_qos_consumer)
ROUNDTRIP_TEST(qos_producer, enc_qos_producer, dec_qos_producer)
ROUNDTRIP_TEST(data_source_announce, enc_ds_announce, dec_ds_announce)
ROUNDTRIP_TEST(data_source_meta, enc_ds_meta, dec_ds_meta)
ROUNDTRIP_TEST(control_response, enc_control_response, dec_control_response)
ROUNDTRIP_TEST(frame_progress, enc_progress, dec_progress)
ROUNDTRIP_TEST(shm_region_superblock, enc_superblock, dec_superblock)
ROUNDTRIP_TEST(tensor_header, enc_tensor, dec_tensor)
ROUNDTRIP_TEST(slot_header, enc_slot, dec_slot)
ROUNDTRIP_TEST(shm_attach_request, enc_attach_request, dec_attach_request)
ROUNDTRIP_TEST(shm_attach_response_ok, enc_attach_response_ok, dec_attach_response_ok)
ROUNDTRIP_TEST(shm_attach_response_error, enc_attach_response_error, dec_attach_response_error)
ROUNDTRIP_TEST(shm_detach_request, enc_detach_request, dec_detach_request)
ROUNDTRIP_TEST(shm_detach_response, enc_detach_response, dec_detach_response)
ROUNDTRIP_TEST(shm_lease_keepalive, enc_keepalive, dec_keepalive)
ROUNDTRIP_TEST(shm_driver_shutdown, enc_shutdown, dec_shutdown)
ROUNDTRIP_TEST(shm_lease_revoked, enc_revoked, dec_revoked)
ROUNDTRIP_TEST(shm_driver_shutdown_request, enc_shutdown_request, dec_shutdown_request)
ROUNDTRIP_TEST(discovery_request, enc_discovery_request, dec_discovery_request)
ROUNDTRIP_TEST(discovery_response, enc_discovery_response, dec_discovery_response)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_shm_pool_announce),
        cmocka_unit_test(test_roundtrip_consumer_hello),
        cmocka_unit_test(test_roundtrip_consumer_config),
        cmocka_unit_test(test_roundtrip_frame_descriptor),
        cmocka_unit_test(test_roundtrip_qos_consumer),
        cmocka_unit_test(test_roundtrip_qos_producer),
        cmocka_unit_test(test_roundtrip_data_source_announce),
        cmocka_unit_test(test_roundtrip_data_source_meta),
        cmocka_unit_test(test_roundtrip_control_response),
        cmocka_unit_test(test_roundtrip_frame_progress),
        cmocka_unit_test(test_roundtrip_shm_region_superblock),
        cmocka_unit_test(test_roundtrip_tensor_header),
        cmocka_unit_test(test_roundtrip_slot_header),
        cmocka_unit_test(test_roundtrip_shm_attach_request),
        cmocka_unit_test(test_roundtrip_shm_attach_response_ok),
        cmocka_unit_test(test_roundtrip_shm_attach_response_error),
        cmocka_unit_test(test_roundtrip_shm_detach_request),
        cmocka_unit_test(test_roundtrip_shm_detach_response),
        cmocka_unit_test(test_roundtrip_shm_lease_keepalive),
        cmocka_unit_test(test_roundtrip_shm_driver_shutdown),
        cmocka_unit_test(test_roundtrip_shm_lease_revoked),
        cmocka_unit_test(test_roundtrip_shm_driver_shutdown_request),
        cmocka_unit_test(test_roundtrip_discovery_request),
        cmocka_unit_test(test_roundtrip_discovery_response),
        cmocka_unit_test(test_discovery_tags_read_sbe_tool_style),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
