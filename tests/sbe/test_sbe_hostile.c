/*
 * Lying and malformed buffers: group counts and var-data lengths larger than the buffer, block lengths shorter
 * than the schema's, unknown enum values, encoders asked to overflow. Each case must fail cleanly with the
 * documented errno and without reading out of bounds (the buffers are exact-size heap copies, so ASan would
 * catch an overread). A newer sender's longer blocks must still decode.
 */
#include "sbe_test_util.h"

#include "shm_tensorpool_control/dataSourceMeta.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_control/tensorHeader.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/discoveryStatus.h"
#include "shm_tensorpool_driver/hugepagesPolicy.h"
#include "shm_tensorpool_driver/leaseRevokeReason.h"
#include "shm_tensorpool_driver/publishMode.h"
#include "shm_tensorpool_driver/role.h"
#include "shm_tensorpool_driver/shutdownReason.h"

#define CTL(x) shm_tensorpool_control_##x
#define DRV(x) shm_tensorpool_driver_##x
#define DSC(x) shm_tensorpool_discovery_##x

/* Offsets inside shm_pool_announce.bin (MANIFEST.md). */
#define ANNOUNCE_HDR_BLOCK_LENGTH   0
#define ANNOUNCE_CLOCK_DOMAIN       32
#define ANNOUNCE_GROUP_BLOCK_LENGTH 43
#define ANNOUNCE_GROUP_COUNT        45
#define ANNOUNCE_REGION_URI_LENGTH  57
#define ANNOUNCE_HEADER_URI_LENGTH  77

static void patch_u16(char *buf, size_t at, uint16_t v)
{
    memcpy(buf + at, &v, sizeof(v));
}

static void patch_u32(char *buf, size_t at, uint32_t v)
{
    memcpy(buf + at, &v, sizeof(v));
}

/* One full forward decode of a ShmPoolAnnounce, touching every field; -1 on the first rejection. */
static int decode_announce_fully(char *buf, size_t len)
{
    struct CTL(messageHeader) hdr;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;
    enum CTL(clockDomain) clock;

    if (NULL == CTL(messageHeader_wrap)(&hdr, buf, 0, 1, len) ||
        NULL == CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, CTL(messageHeader_blockLength)(&hdr),
                                                     CTL(messageHeader_version)(&hdr), len) ||
        !CTL(shmPoolAnnounce_announceClockDomain)(&m, &clock) || NULL == CTL(shmPoolAnnounce_get_payloadPools)(&m, &g))
    {
        return -1;
    }
    while (CTL(shmPoolAnnounce_payloadPools_has_next)(&g))
    {
        if (NULL == CTL(shmPoolAnnounce_payloadPools_next)(&g))
        {
            return -1;
        }
        (void)CTL(shmPoolAnnounce_payloadPools_poolId)(&g);
        (void)CTL(shmPoolAnnounce_payloadPools_strideBytes)(&g);
        if (NULL == CTL(shmPoolAnnounce_payloadPools_regionUri)(&g))
        {
            return -1;
        }
    }
    if (NULL == CTL(shmPoolAnnounce_headerRegionUri)(&m))
    {
        return -1;
    }
    return 0;
}

static char *load_announce(size_t *len)
{
    char *buf = tp_test_load_vector("shm_pool_announce.bin", len);
    assert_int_equal(0, decode_announce_fully(buf, *len));
    return buf;
}

/* Wraps the announce body and returns its pool group, or NULL with errno from the group wrap. */
static struct CTL(shmPoolAnnounce_payloadPools) *
    wrap_pools(char *buf, size_t len, struct CTL(shmPoolAnnounce) * m, struct CTL(shmPoolAnnounce_payloadPools) * g)
{
    assert_non_null(CTL(shmPoolAnnounce_wrap_for_decode)(m, buf, 8, 35, 1, len));
    errno = 0;
    return CTL(shmPoolAnnounce_get_payloadPools)(m, g);
}

static void test_group_count_larger_than_buffer_is_rejected_at_wrap(void **state)
{
    size_t len;
    char *buf = load_announce(&len);
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;

    /* 1000 entries x 10 bytes cannot fit in the 51 bytes after the dimension header. */
    patch_u16(buf, ANNOUNCE_GROUP_COUNT, 1000);
    assert_null(wrap_pools(buf, len, &m, &g));
    assert_int_equal(E100, errno);
    assert_int_equal(-1, decode_announce_fully(buf, len));

    /* The largest count the wire allows: still rejected before anything is iterated. */
    patch_u16(buf, ANNOUNCE_GROUP_COUNT, 65535);
    assert_null(wrap_pools(buf, len, &m, &g));
    assert_int_equal(E100, errno);
    free(buf);
}

static void test_group_count_that_fits_but_lies_fails_cleanly(void **state)
{
    size_t len;
    char *buf = load_announce(&len);

    /* Two entries x 10 bytes fit, but the second entry's bytes are the header URI: its var data overruns. */
    patch_u16(buf, ANNOUNCE_GROUP_COUNT, 2);
    assert_int_equal(-1, decode_announce_fully(buf, len));
    free(buf);
}

static void test_group_block_length_shorter_than_schema_is_rejected(void **state)
{
    size_t len;
    char *buf = load_announce(&len);
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;

    patch_u16(buf, ANNOUNCE_GROUP_BLOCK_LENGTH, 9);
    assert_null(wrap_pools(buf, len, &m, &g));
    assert_int_equal(E100, errno);
    free(buf);
}

static void test_blocklength_zero_group_with_huge_count_fails_cleanly(void **state)
{
    size_t len;
    char *buf = tp_test_load_vector("data_source_meta.bin", &len);
    struct CTL(dataSourceMeta) m;
    struct CTL(dataSourceMeta_attributes) g;
    uint64_t entries = 0;

    /* blockLength 0 entries take no fixed bytes, so the wrap cannot bound the count: the var data must. */
    patch_u16(buf, 26, 65535);
    assert_non_null(CTL(dataSourceMeta_wrap_for_decode)(&m, buf, 8, 16, 1, len));
    assert_non_null(CTL(dataSourceMeta_get_attributes)(&m, &g));
    assert_int_equal(65535, CTL(dataSourceMeta_attributes_count)(&g));
    for (;;)
    {
        assert_non_null(CTL(dataSourceMeta_attributes_next)(&g));
        errno = 0;
        if (NULL == CTL(dataSourceMeta_attributes_key)(&g) || NULL == CTL(dataSourceMeta_attributes_format)(&g) ||
            NULL == CTL(dataSourceMeta_attributes_value)(&g))
        {
            break;
        }
        entries++;
    }
    assert_int_equal(1, entries);
    assert_int_equal(E100, errno);
    free(buf);
}

static void test_var_data_length_larger_than_buffer_is_rejected(void **state)
{
    size_t len;
    char *buf = load_announce(&len);
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;
    static const uint32_t lies[] = {18, 1000, 1073741824, 1073741825, UINT32_MAX};

    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
    {
        char dst[64];
        patch_u32(buf, ANNOUNCE_HEADER_URI_LENGTH, lies[i]);
        assert_non_null(wrap_pools(buf, len, &m, &g));
        assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
        assert_non_null(CTL(shmPoolAnnounce_payloadPools_regionUri)(&g));
        const uint64_t pos = CTL(shmPoolAnnounce_sbe_position)(&m);
        assert_int_equal(ANNOUNCE_HEADER_URI_LENGTH, pos);

        /* The peek reports the raw prefix; every accessor that would touch the bytes refuses. */
        assert_int_equal(lies[i], CTL(shmPoolAnnounce_headerRegionUri_length)(&m));
        errno = 0;
        assert_null(CTL(shmPoolAnnounce_headerRegionUri)(&m));
        assert_int_equal(E100, errno);
        errno = 0;
        assert_int_equal(0, CTL(shmPoolAnnounce_get_headerRegionUri)(&m, dst, sizeof(dst)));
        assert_int_equal(E100, errno);
        struct CTL(shmPoolAnnounce_string_view) view = CTL(shmPoolAnnounce_get_headerRegionUri_as_string_view)(&m);
        assert_null(view.data);
        assert_int_equal(0, view.length);
        assert_false(CTL(shmPoolAnnounce_skip_headerRegionUri)(&m));
        /* A rejected read leaves the cursor where it was. */
        assert_int_equal(pos, CTL(shmPoolAnnounce_sbe_position)(&m));
        assert_int_equal(-1, decode_announce_fully(buf, len));
    }

    /* The same inside a group entry. */
    patch_u32(buf, ANNOUNCE_HEADER_URI_LENGTH, 17);
    assert_int_equal(0, decode_announce_fully(buf, len));
    patch_u32(buf, ANNOUNCE_REGION_URI_LENGTH, 42);
    assert_non_null(wrap_pools(buf, len, &m, &g));
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_payloadPools_regionUri)(&g));
    assert_int_equal(E100, errno);
    free(buf);
}

static void test_var_data_prefix_cut_reads_as_zero_and_fails(void **state)
{
    size_t len;
    char *full = load_announce(&len);
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;

    /* The buffer ends two bytes into headerRegionUri's 4-byte prefix. */
    const size_t cut = ANNOUNCE_HEADER_URI_LENGTH + 2;
    char *buf = tp_test_prefix_copy(full, cut);
    assert_non_null(wrap_pools(buf, cut, &m, &g));
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_regionUri)(&g));
    assert_int_equal(0, CTL(shmPoolAnnounce_headerRegionUri_length)(&m));
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_headerRegionUri)(&m));
    assert_int_equal(E100, errno);
    free(buf);
    free(full);
}

static void test_header_block_length_shorter_than_schema_is_rejected(void **state)
{
    size_t len;
    char *buf = load_announce(&len);
    struct CTL(shmPoolAnnounce) m;

    patch_u16(buf, ANNOUNCE_HDR_BLOCK_LENGTH, 34);
    assert_int_equal(-1, decode_announce_fully(buf, len));
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, 34, 1, len));
    assert_int_equal(E100, errno);
    assert_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, 0, 1, len));
    /* A block that claims more than the buffer holds. */
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, len - 7, 1, len));
    assert_int_equal(E100, errno);
    /* An offset past the end, and one so large that offset + block length would wrap around. */
    assert_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, len + 1, 35, 1, len));
    assert_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, UINT64_MAX - 10, 35, 1, len));
    free(buf);

    char *tensor = tp_test_load_vector("tensor_header.bin", &len);
    struct CTL(tensorHeader) t;
    errno = 0;
    assert_null(CTL(tensorHeader_wrap_for_decode)(&t, tensor, 8, 183, 1, len));
    assert_int_equal(E100, errno);
    assert_non_null(CTL(tensorHeader_wrap_for_decode)(&t, tensor, 8, 184, 1, len));
    free(tensor);
}

static void test_short_message_header_is_rejected(void **state)
{
    size_t len;
    char *full = tp_test_load_vector("qos_producer.bin", &len);
    struct CTL(messageHeader) hdr;
    for (size_t cut = 0; cut < 8; cut++)
    {
        char *buf = tp_test_prefix_copy(full, cut);
        errno = 0;
        assert_null(CTL(messageHeader_wrap)(&hdr, buf, 0, 1, cut));
        assert_int_equal(E107, errno);
        free(buf);
    }
    assert_non_null(CTL(messageHeader_wrap)(&hdr, full, 0, 1, 8));
    assert_int_equal(28, CTL(messageHeader_blockLength)(&hdr));
    free(full);
}

static void test_unknown_enum_values_are_detected(void **state)
{
    enum CTL(clockDomain) clock;
    enum CTL(dtype) dtype;
    enum CTL(mode) mode;
    enum CTL(bool) b;
    enum CTL(responseCode) code;
    enum CTL(majorOrder) order;
    enum CTL(regionType) region;
    enum CTL(progressUnit) unit;
    enum CTL(frameProgressState) fps;
    enum DRV(role) role;
    enum DRV(publishMode) pm;
    enum DRV(hugepagesPolicy) hp;
    enum DRV(leaseRevokeReason) lrr;
    enum DRV(shutdownReason) sr;
    enum DSC(discoveryStatus) ds;

#define UNKNOWN(call)                  \
    do                                 \
    {                                  \
        errno = 0;                     \
        assert_false(call);            \
        assert_int_equal(E103, errno); \
    } while (0)

    /* The gaps the fact sheet calls out: no 0 for Mode/ClockDomain/Role, no 12 in Dtype. */
    UNKNOWN(CTL(clockDomain_get)(0, &clock));
    UNKNOWN(CTL(clockDomain_get)(3, &clock));
    UNKNOWN(CTL(dtype_get)(12, &dtype));
    UNKNOWN(CTL(dtype_get)(15, &dtype));
    UNKNOWN(CTL(dtype_get)(-1, &dtype));
    UNKNOWN(CTL(mode_get)(0, &mode));
    UNKNOWN(CTL(bool_get)(2, &b));
    UNKNOWN(CTL(responseCode_get)(5, &code));
    UNKNOWN(CTL(responseCode_get)(-7, &code));
    UNKNOWN(CTL(majorOrder_get)(3, &order));
    UNKNOWN(CTL(regionType_get)(0, &region));
    UNKNOWN(CTL(progressUnit_get)(3, &unit));
    UNKNOWN(CTL(frameProgressState_get)(4, &fps));
    UNKNOWN(DRV(role_get)(0, &role));
    UNKNOWN(DRV(publishMode_get)(3, &pm));
    UNKNOWN(DRV(hugepagesPolicy_get)(3, &hp));
    UNKNOWN(DRV(leaseRevokeReason_get)(0, &lrr));
    UNKNOWN(DRV(shutdownReason_get)(3, &sr));
    UNKNOWN(DSC(discoveryStatus_get)(0, &ds));

    /* Known values and the null value are accepted. */
    assert_true(CTL(dtype_get)(13, &dtype));
    assert_int_equal(CTL(dtype_BYTES), dtype);
    assert_true(CTL(dtype_get)(INT16_MIN, &dtype));
    assert_int_equal(CTL(dtype_NULL_VALUE), dtype);
    assert_true(CTL(responseCode_get)(INT32_MIN, &code));
    assert_int_equal(CTL(responseCode_NULL_VALUE), code);
    assert_true(DRV(publishMode_get)(255, &pm));
    assert_int_equal(DRV(publishMode_NULL_VALUE), pm);
    assert_true(DSC(discoveryStatus_get)(3, &ds));
    assert_int_equal(DSC(discoveryStatus_ERROR), ds);

    /* Through a field getter on a received message. */
    size_t len;
    char *buf = load_announce(&len);
    struct CTL(shmPoolAnnounce) m;
    buf[ANNOUNCE_CLOCK_DOMAIN] = 7;
    assert_non_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, 35, 1, len));
    UNKNOWN(CTL(shmPoolAnnounce_announceClockDomain)(&m, &clock));
    assert_int_equal(7, CTL(shmPoolAnnounce_announceClockDomain_raw)(&m));
    assert_int_equal(-1, decode_announce_fully(buf, len));
    free(buf);

    char *tensor = tp_test_load_vector("tensor_header.bin", &len);
    struct CTL(tensorHeader) t;
    patch_u16(tensor, 8, 12);
    assert_non_null(CTL(tensorHeader_wrap_for_decode)(&t, tensor, 8, 184, 1, len));
    UNKNOWN(CTL(tensorHeader_dtype)(&t, &dtype));
    free(tensor);
#undef UNKNOWN
}

/* A hypothetical newer sender: 6 more bytes in the root block, 4 more in each group entry, version 2. */
static void test_newer_sender_with_longer_blocks_still_decodes(void **state)
{
    tp_test_bytes_t b = {.len = 0};
    struct CTL(messageHeader) hdr;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;
    enum CTL(clockDomain) clock;

    tp_test_put_header(&b, 35 + 6, 1, 900, 2);
    tp_test_put_u32(&b, 1000);
    tp_test_put_u32(&b, 7);
    tp_test_put_u64(&b, 3);
    tp_test_put_u64(&b, 99);
    tp_test_put_u8(&b, 2);
    tp_test_put_u32(&b, 1);
    tp_test_put_u32(&b, 16);
    tp_test_put_u16(&b, 256);
    tp_test_put_fill(&b, 0xEE, 6);
    tp_test_put_u16(&b, 10 + 4);
    tp_test_put_u16(&b, 2);
    for (uint16_t i = 1; i <= 2; i++)
    {
        tp_test_put_u16(&b, i);
        tp_test_put_u32(&b, 100u * i);
        tp_test_put_u32(&b, 4096u * i);
        tp_test_put_fill(&b, 0xEE, 4);
        tp_test_put_var(&b, 1 == i ? "pool-one" : "pool-two");
    }
    tp_test_put_var(&b, "header-ring");

    char *buf = tp_test_prefix_copy(b.data, b.len);
    assert_non_null(CTL(messageHeader_wrap)(&hdr, buf, 0, 1, b.len));
    assert_int_equal(41, CTL(messageHeader_blockLength)(&hdr));
    assert_non_null(CTL(shmPoolAnnounce_wrap_for_decode)(&m, buf, 8, CTL(messageHeader_blockLength)(&hdr),
                                                         CTL(messageHeader_version)(&hdr), b.len));
    assert_int_equal(2, CTL(shmPoolAnnounce_acting_version)(&m));
    assert_int_equal(1000, CTL(shmPoolAnnounce_streamId)(&m));
    assert_int_equal(7, CTL(shmPoolAnnounce_producerId)(&m));
    assert_int_equal(3, CTL(shmPoolAnnounce_epoch)(&m));
    assert_int_equal(99, CTL(shmPoolAnnounce_announceTimestampNs)(&m));
    assert_true(CTL(shmPoolAnnounce_announceClockDomain)(&m, &clock));
    assert_int_equal(CTL(clockDomain_REALTIME_SYNCED), clock);
    assert_int_equal(1, CTL(shmPoolAnnounce_layoutVersion)(&m));
    assert_int_equal(16, CTL(shmPoolAnnounce_headerNslots)(&m));
    assert_int_equal(256, CTL(shmPoolAnnounce_headerSlotBytes)(&m));
    /* The group starts after the sender's 41-byte block, not ours. */
    assert_int_equal(8 + 41, CTL(shmPoolAnnounce_sbe_position)(&m));
    assert_non_null(CTL(shmPoolAnnounce_get_payloadPools)(&m, &g));
    assert_int_equal(2, CTL(shmPoolAnnounce_payloadPools_count)(&g));
    for (uint16_t i = 1; i <= 2; i++)
    {
        assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
        assert_int_equal(i, CTL(shmPoolAnnounce_payloadPools_poolId)(&g));
        assert_int_equal(100u * i, CTL(shmPoolAnnounce_payloadPools_poolNslots)(&g));
        assert_int_equal(4096u * i, CTL(shmPoolAnnounce_payloadPools_strideBytes)(&g));
        struct CTL(shmPoolAnnounce_string_view) uri =
            CTL(shmPoolAnnounce_payloadPools_get_regionUri_as_string_view)(&g);
        TP_ASSERT_VIEW(uri, 1 == i ? "pool-one" : "pool-two");
    }
    struct CTL(shmPoolAnnounce_string_view) hdr_uri = CTL(shmPoolAnnounce_get_headerRegionUri_as_string_view)(&m);
    TP_ASSERT_VIEW(hdr_uri, "header-ring");
    assert_int_equal(b.len, 8 + CTL(shmPoolAnnounce_encoded_length)(&m));
    free(buf);
}

static void test_newer_sender_group_entries_with_fixed_fields_skip_them(void **state)
{
    tp_test_bytes_t b = {.len = 0};
    struct CTL(dataSourceMeta) m;
    struct CTL(dataSourceMeta_attributes) g;

    /* attributes entries have no fixed fields in v1.1; a newer sender adds 3 bytes to each. */
    tp_test_put_header(&b, 16, 8, 900, 1);
    tp_test_put_u32(&b, 5);
    tp_test_put_u32(&b, 6);
    tp_test_put_u64(&b, 7);
    tp_test_put_u16(&b, 3);
    tp_test_put_u16(&b, 1);
    tp_test_put_fill(&b, 0xEE, 3);
    tp_test_put_var(&b, "k");
    tp_test_put_var(&b, "f");
    tp_test_put_var(&b, "v");

    char *buf = tp_test_prefix_copy(b.data, b.len);
    assert_non_null(CTL(dataSourceMeta_wrap_for_decode)(&m, buf, 8, 16, 1, b.len));
    assert_non_null(CTL(dataSourceMeta_get_attributes)(&m, &g));
    assert_non_null(CTL(dataSourceMeta_attributes_next)(&g));
    struct CTL(dataSourceMeta_string_view) k = CTL(dataSourceMeta_attributes_get_key_as_string_view)(&g);
    struct CTL(dataSourceMeta_string_view) f = CTL(dataSourceMeta_attributes_get_format_as_string_view)(&g);
    struct CTL(dataSourceMeta_string_view) v = CTL(dataSourceMeta_attributes_get_value_as_string_view)(&g);
    TP_ASSERT_VIEW(k, "k");
    TP_ASSERT_VIEW(f, "f");
    TP_ASSERT_VIEW(v, "v");
    assert_int_equal(b.len, 8 + CTL(dataSourceMeta_encoded_length)(&m));
    free(buf);
}

static void test_encoders_refuse_overflow(void **state)
{
    char buf[128];
    struct CTL(messageHeader) hdr;
    struct CTL(shmPoolAnnounce) m;
    struct CTL(shmPoolAnnounce_payloadPools) g;

    memset(buf, 0, sizeof(buf));
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_wrap_for_encode)(&m, buf, 0, 34));
    assert_int_equal(E100, errno);
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_wrap_and_apply_header)(&m, buf, 0, 7, &hdr));
    assert_int_equal(E107, errno);
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_wrap_and_apply_header)(&m, buf, 0, 8 + 34, &hdr));
    assert_int_equal(E100, errno);
    assert_null(CTL(shmPoolAnnounce_wrap_and_apply_header)(&m, buf, 200, sizeof(buf), &hdr));

    /* Room for header + block + dimension header + one 10-byte entry + a 4-byte prefix + 3 bytes. */
    const size_t cap = 8 + 35 + 4 + 10 + 4 + 3;
    assert_non_null(CTL(shmPoolAnnounce_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_payloadPools_set_count)(&m, &g, 65535));
    assert_int_equal(E110, errno);
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_set_count)(&m, &g, 2));
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
    const uint64_t pos = CTL(shmPoolAnnounce_sbe_position)(&m);
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_payloadPools_put_regionUri)(&g, "four", 4));
    assert_int_equal(E100, errno);
    assert_int_equal(pos, CTL(shmPoolAnnounce_sbe_position)(&m));
    /* Longer than the type's maxValue (2^30): refused before the source is read. */
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_payloadPools_put_regionUri)(&g, "x", 1073741825u));
    assert_int_equal(E109, errno);
    assert_non_null(CTL(shmPoolAnnounce_payloadPools_put_regionUri)(&g, "abc", 3));
    /* The second entry has no room. */
    errno = 0;
    assert_null(CTL(shmPoolAnnounce_payloadPools_next)(&g));
    assert_int_equal(E108, errno);
    errno = 0;
    assert_false(CTL(shmPoolAnnounce_set_sbe_position)(&m, cap + 1));
    assert_int_equal(E100, errno);
    assert_null(CTL(shmPoolAnnounce_put_headerRegionUri)(&m, "", 0));
}

static void test_array_and_composite_bounds(void **state)
{
    char buf[192];
    struct CTL(messageHeader) hdr;
    struct CTL(tensorHeader) t;
    int32_t v;
    char dims[4 * 9];

    memset(buf, 0, sizeof(buf));
    assert_non_null(CTL(tensorHeader_wrap_and_apply_header)(&t, buf, 0, sizeof(buf), &hdr));
    assert_int_equal(8, CTL(tensorHeader_dims_length)());
    errno = 0;
    assert_null(CTL(tensorHeader_set_dims)(&t, 8, 1));
    assert_int_equal(E105, errno);
    errno = 0;
    assert_false(CTL(tensorHeader_dims)(&t, 8, &v));
    assert_int_equal(E104, errno);
    errno = 0;
    assert_null(CTL(tensorHeader_get_dims)(&t, dims, 9));
    assert_int_equal(E106, errno);
    assert_non_null(CTL(tensorHeader_set_dims)(&t, 7, -5));
    assert_non_null(CTL(tensorHeader_get_dims)(&t, dims, 8));
    memcpy(&v, dims + 28, 4);
    assert_int_equal(-5, v);
    assert_int_equal(-5, CTL(tensorHeader_dims_unsafe)(&t, 7));

    /* A composite needs all of its bytes. */
    struct CTL(varAsciiEncoding) var;
    errno = 0;
    assert_null(CTL(varAsciiEncoding_wrap)(&var, buf, 189, 1, sizeof(buf)));
    assert_int_equal(E107, errno);
    assert_non_null(CTL(varAsciiEncoding_wrap)(&var, buf, 188, 1, sizeof(buf)));
}

static void test_discovery_tag_lies_are_rejected(void **state)
{
    tp_test_bytes_t b = {.len = 0};
    struct DSC(discoveryRequest) m;
    struct DSC(discoveryRequest_tags) tags;

    tp_test_put_header(&b, 32, 1, 910, 1);
    tp_test_put_fill(&b, 0, 32);
    tp_test_put_u16(&b, 0);
    tp_test_put_u16(&b, 1);
    tp_test_put_u32(&b, 50); /* a tag claiming 50 bytes, followed by only 4 */
    tp_test_put(&b, "abcd", 4);

    char *buf = tp_test_prefix_copy(b.data, b.len);
    assert_non_null(DSC(discoveryRequest_wrap_for_decode)(&m, buf, 8, 32, 1, b.len));
    assert_non_null(DSC(discoveryRequest_get_tags)(&m, &tags));
    assert_non_null(DSC(discoveryRequest_tags_next)(&tags));
    assert_int_equal(50, DSC(discoveryRequest_tags_tag_length)(&tags));
    errno = 0;
    struct DSC(discoveryRequest_string_view) tag = DSC(discoveryRequest_tags_get_tag_as_string_view)(&tags);
    assert_null(tag.data);
    assert_int_equal(E100, errno);
    assert_false(DSC(discoveryRequest_tags_skip_tag)(&tags));
    free(buf);
}

static void test_strerror_names_the_codes(void **state)
{
    assert_string_equal("buffer too short", sbe_strerror(E100));
    assert_string_equal("unknown value for enum", sbe_strerror(E103));
    assert_string_equal("buffer too short to support next group index", sbe_strerror(E108));
    assert_string_equal("count outside of allowed range", sbe_strerror(E110));
    assert_string_equal("unknown error", sbe_strerror(1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_count_larger_than_buffer_is_rejected_at_wrap),
        cmocka_unit_test(test_group_count_that_fits_but_lies_fails_cleanly),
        cmocka_unit_test(test_group_block_length_shorter_than_schema_is_rejected),
        cmocka_unit_test(test_blocklength_zero_group_with_huge_count_fails_cleanly),
        cmocka_unit_test(test_var_data_length_larger_than_buffer_is_rejected),
        cmocka_unit_test(test_var_data_prefix_cut_reads_as_zero_and_fails),
        cmocka_unit_test(test_header_block_length_shorter_than_schema_is_rejected),
        cmocka_unit_test(test_short_message_header_is_rejected),
        cmocka_unit_test(test_unknown_enum_values_are_detected),
        cmocka_unit_test(test_newer_sender_with_longer_blocks_still_decodes),
        cmocka_unit_test(test_newer_sender_group_entries_with_fixed_fields_skip_them),
        cmocka_unit_test(test_encoders_refuse_overflow),
        cmocka_unit_test(test_array_and_composite_bounds),
        cmocka_unit_test(test_discovery_tag_lies_are_rejected),
        cmocka_unit_test(test_strerror_names_the_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
