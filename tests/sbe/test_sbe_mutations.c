/*
 * A deterministic, bounded stand-in for fuzzing that runs in every build (and under ASan/UBSan in the sanitizer
 * build): the shared vectors plus a discovery response with nested groups are decoded whole, then thousands of
 * mutated copies (flipped bytes, lying lengths and counts, truncations) are decoded as every possible message.
 * Nothing may crash or read out of bounds, and every successful walk must end inside the buffer.
 */
#include "sbe_test_util.h"

#include "sbe_decode_any.h"

#define DSC(x) shm_tensorpool_discovery_##x

#define MUTATIONS_PER_SEED 4000

/* xorshift64*: reproducible across runs and platforms. */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545F4914F6CDD1D);
}

static size_t encode_discovery_response_seed(char *buf, size_t cap)
{
    struct DSC(messageHeader) hdr;
    struct DSC(discoveryResponse) m;
    struct DSC(discoveryResponse_results) r;
    struct DSC(discoveryResponse_results_payloadPools) p;
    struct DSC(discoveryResponse_results_tags) t;

    assert_non_null(DSC(discoveryResponse_wrap_and_apply_header)(&m, buf, 0, cap, &hdr));
    DSC(discoveryResponse_set_requestId)(&m, 1);
    DSC(discoveryResponse_set_status)(&m, DSC(discoveryStatus_OK));
    assert_non_null(DSC(discoveryResponse_results_set_count)(&m, &r, 2));
    for (int i = 0; i < 2; i++)
    {
        assert_non_null(DSC(discoveryResponse_results_next)(&r));
        DSC(discoveryResponse_results_set_streamId)(&r, 10);
        DSC(discoveryResponse_results_set_driverControlStreamId)(&r, 11);
        assert_non_null(DSC(discoveryResponse_results_payloadPools_set_count)(&r, &p, 1));
        assert_non_null(DSC(discoveryResponse_results_payloadPools_next)(&p));
        DSC(discoveryResponse_results_payloadPools_set_strideBytes)(&p, 4096);
        assert_non_null(DSC(discoveryResponse_results_payloadPools_put_regionUri)(&p, "shm:file?path=/a", 16));
        assert_non_null(DSC(discoveryResponse_results_tags_set_count)(&r, &t, 2));
        assert_non_null(DSC(discoveryResponse_results_tags_next)(&t));
        assert_non_null(DSC(discoveryResponse_results_tags_put_tag)(&t, "tag", 3));
        assert_non_null(DSC(discoveryResponse_results_tags_next)(&t));
        assert_non_null(DSC(discoveryResponse_results_tags_put_tag)(&t, "", 0));
        assert_non_null(DSC(discoveryResponse_results_put_headerRegionUri)(&r, "shm:file?path=/h", 16));
        assert_non_null(DSC(discoveryResponse_results_put_dataSourceName)(&r, "src", 3));
        assert_non_null(DSC(discoveryResponse_results_put_driverInstanceId)(&r, "drv", 3));
        assert_non_null(DSC(discoveryResponse_results_put_driverControlChannel)(&r, "aeron:ipc", 9));
    }
    assert_non_null(DSC(discoveryResponse_put_errorMessage)(&m, "", 0));
    return 8 + DSC(discoveryResponse_encoded_length)(&m);
}

static void mutate(char *buf, size_t len)
{
    static const uint32_t interesting[] = {
        0,   1,      2,      7,       8,           9,           10,          39,          64,         255,
        256, 0x7fff, 0xffff, 0x10000, 0x40000000u, 0x40000001u, 0x7fffffffu, 0xfffffffeu, 0xffffffffu};
    const int edits = 1 + (int)(rng_next() % 4);
    for (int e = 0; e < edits && len > 0; e++)
    {
        const size_t at = (size_t)(rng_next() % len);
        const uint32_t v = interesting[rng_next() % (sizeof(interesting) / sizeof(interesting[0]))];
        switch (rng_next() % 4)
        {
            case 0:
                buf[at] = (char)rng_next();
                break;
            case 1:
                buf[at] ^= (char)(1u << (rng_next() % 8));
                break;
            case 2:
                if (at + 2 <= len)
                {
                    uint16_t v16 = (uint16_t)v;
                    memcpy(buf + at, &v16, 2);
                }
                break;
            default:
                if (at + 4 <= len)
                {
                    memcpy(buf + at, &v, 4);
                }
                break;
        }
    }
}

static void fuzz_seed(const char *seed, size_t len)
{
    char *exact = tp_test_prefix_copy(seed, len);
    assert_true(tp_sbe_decode_any(exact, len, 0) >= 1);
    free(exact);

    for (int i = 0; i < MUTATIONS_PER_SEED; i++)
    {
        /* Sometimes also cut the message short, sometimes keep the full length. */
        const size_t n = (rng_next() % 4 == 0) ? (size_t)(rng_next() % (len + 1)) : len;
        char *buf = tp_test_prefix_copy(seed, n);
        mutate(buf, n);
        (void)tp_sbe_decode_any(buf, n, 0);
        free(buf);
    }
}

static void test_mutated_vectors_never_overrun(void **state)
{
    static const char *const files[] = {"shm_pool_announce.bin", "consumer_hello.bin", "data_source_meta.bin",
                                        "qos_producer.bin",      "tensor_header.bin",  "slot_header.bin"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    {
        size_t len;
        char *seed = tp_test_load_vector(files[i], &len);
        fuzz_seed(seed, len);
        free(seed);
    }
}

static void test_mutated_discovery_response_never_overruns(void **state)
{
    char buf[1024];
    memset(buf, 0, sizeof(buf));
    const size_t len = encode_discovery_response_seed(buf, sizeof(buf));
    fuzz_seed(buf, len);
}

static void test_validate_accepts_exactly_the_complete_vectors(void **state)
{
    size_t len;
    char *full = tp_test_load_vector("shm_pool_announce.bin", &len);
    struct shm_tensorpool_control_shmPoolAnnounce m;

    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&m, full, 8, 35, 1, len));
    assert_true(shm_tensorpool_control_shmPoolAnnounce_sbe_validate(&m));
    assert_int_equal(len, 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&m));
    /* Rewinding puts the cursor back after the block, ready for a real decode. */
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_sbe_rewind(&m));
    assert_int_equal(8 + 35, shm_tensorpool_control_shmPoolAnnounce_sbe_position(&m));
    for (size_t cut = 8 + 35; cut < len; cut++)
    {
        char *buf = tp_test_prefix_copy(full, cut);
        assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&m, buf, 8, 35, 1, cut));
        errno = 0;
        assert_false(shm_tensorpool_control_shmPoolAnnounce_sbe_validate(&m));
        assert_true(E100 == errno || E108 == errno);
        free(buf);
    }
    /* An unknown enum value fails validation too. */
    full[32] = 9;
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&m, full, 8, 35, 1, len));
    errno = 0;
    assert_false(shm_tensorpool_control_shmPoolAnnounce_sbe_validate(&m));
    assert_int_equal(E103, errno);
    free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_accepts_exactly_the_complete_vectors),
        cmocka_unit_test(test_mutated_vectors_never_overrun),
        cmocka_unit_test(test_mutated_discovery_response_never_overruns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
