/* ShmRegionSuperblock: byte layout, write/read, validation naming the field, liveness timestamp. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/tp_clock.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_superblock.h"
#include "shm_test_util.h"
#include "tensorpool/tp_error.h"

/* 8-byte aligned like a mapping, so the atomic accessors see aligned words. */
static uint64_t region_words[(64 + 8 * 256) / 8];
#define REGION     ((uint8_t *)region_words)
#define REGION_LEN sizeof(region_words)

static uint64_t le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t le16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static void write_header_ring(void)
{
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, 42, 1000, 8);
    sb.pid = 4321;
    sb.start_timestamp_ns = 111;
    sb.activity_timestamp_ns = 222;
    memset(region_words, 0xee, sizeof(region_words));
    assert_int_equal(0, tp_superblock_write(REGION, REGION_LEN, &sb));
}

static void test_bytes_follow_the_schema_layout(void **state)
{
    write_header_ring();
    static const uint8_t magic_bytes[8] = {0x31, 0x4D, 0x48, 0x53, 0x4C, 0x50, 0x4F, 0x54};
    assert_memory_equal(magic_bytes, REGION, 8);
    assert_int_equal(1, le32(REGION + 8));
    assert_int_equal(42, le64(REGION + 12));
    assert_int_equal(1000, le32(REGION + 20));
    assert_int_equal(1, le16(REGION + 24));
    assert_int_equal(0, le16(REGION + 26));
    assert_int_equal(8, le32(REGION + 28));
    assert_int_equal(256, le32(REGION + 32));
    assert_int_equal(0, le32(REGION + 36));
    assert_int_equal(4321, le64(REGION + 40));
    assert_int_equal(111, le64(REGION + 48));
    assert_int_equal(222, le64(REGION + 56));
    /* Nothing past the 64 bytes is touched. */
    assert_int_equal(0xee, REGION[64]);
}

static void test_init_fills_identity(void **state)
{
    uint64_t before = tp_clock_monotonic_ns();
    tp_superblock_t sb;
    tp_superblock_init_payload_pool(&sb, 1, 2, 3, 4, 4096);
    assert_int_equal((uint64_t)getpid(), sb.pid);
    assert_true(sb.start_timestamp_ns >= before);
    assert_true(sb.start_timestamp_ns <= tp_clock_monotonic_ns());
    assert_int_equal(sb.start_timestamp_ns, sb.activity_timestamp_ns);
}

static void test_read_back(void **state)
{
    write_header_ring();
    tp_superblock_t sb;
    assert_int_equal(0, tp_superblock_read(REGION, REGION_LEN, &sb));
    assert_int_equal(TP_SUPERBLOCK_MAGIC, sb.magic);
    assert_int_equal(TP_LAYOUT_VERSION, sb.layout_version);
    assert_int_equal(42, sb.epoch);
    assert_int_equal(1000, sb.stream_id);
    assert_int_equal(TP_REGION_HEADER_RING, sb.region_type);
    assert_int_equal(0, sb.pool_id);
    assert_int_equal(8, sb.nslots);
    assert_int_equal(256, sb.slot_bytes);
    assert_int_equal(0, sb.stride_bytes);
    assert_int_equal(4321, sb.pid);
    assert_int_equal(111, sb.start_timestamp_ns);
    assert_int_equal(222, sb.activity_timestamp_ns);
}

static void test_validate_matching(void **state)
{
    write_header_ring();
    tp_superblock_expected_t e;
    tp_superblock_expect_header_ring(&e, TP_LAYOUT_VERSION, 42, 1000, 8);
    assert_int_equal(0, tp_superblock_validate(REGION, REGION_LEN, &e));

    tp_superblock_t sb;
    tp_superblock_init_payload_pool(&sb, 42, 1000, 3, 8, 65536);
    assert_int_equal(0, tp_superblock_write(REGION, REGION_LEN, &sb));
    assert_int_equal(UINT32_MAX, le32(REGION + 32));
    tp_superblock_expect_payload_pool(&e, TP_LAYOUT_VERSION, 42, 1000, 3, 8, 65536);
    assert_int_equal(0, tp_superblock_validate(REGION, REGION_LEN, &e));
}

static void expect_mismatch(const tp_superblock_expected_t *e, const char *text)
{
    tp_err_clear();
    assert_int_equal(-1, tp_superblock_validate(REGION, REGION_LEN, e));
    assert_int_equal(TP_ERR_SUPERBLOCK, tp_errcode());
    if (NULL == strstr(tp_errmsg(), text))
    {
        fail_msg("message '%s' lacks '%s'", tp_errmsg(), text);
    }
}

static void test_each_field_mismatch_is_named(void **state)
{
    tp_superblock_expected_t good;
    tp_superblock_expected_t e;
    write_header_ring();
    tp_superblock_expect_header_ring(&good, TP_LAYOUT_VERSION, 42, 1000, 8);

    e = good;
    e.layout_version = 2;
    expect_mismatch(&e, "superblock layout_version: expected 2, found 1");
    e = good;
    e.epoch = 43;
    expect_mismatch(&e, "superblock epoch: expected 43, found 42");
    e = good;
    e.stream_id = 1001;
    expect_mismatch(&e, "superblock stream_id: expected 1001, found 1000");
    e = good;
    e.region_type = TP_REGION_PAYLOAD_POOL;
    expect_mismatch(&e, "superblock region_type: expected 2, found 1");
    e = good;
    e.pool_id = 5;
    expect_mismatch(&e, "superblock pool_id: expected 5, found 0");
    e = good;
    e.nslots = 16;
    expect_mismatch(&e, "superblock nslots: expected 16, found 8");
    e = good;
    e.slot_bytes = 512;
    expect_mismatch(&e, "superblock slot_bytes: expected 512, found 256");

    tp_superblock_t sb;
    tp_superblock_init_payload_pool(&sb, 42, 1000, 3, 8, 65536);
    assert_int_equal(0, tp_superblock_write(REGION, REGION_LEN, &sb));
    tp_superblock_expect_payload_pool(&e, TP_LAYOUT_VERSION, 42, 1000, 3, 8, 4096);
    expect_mismatch(&e, "superblock stride_bytes: expected 4096, found 65536");

    /* Magic is checked first: a corrupt one is reported even when everything else matches. */
    tp_superblock_expect_payload_pool(&e, TP_LAYOUT_VERSION, 42, 1000, 3, 8, 65536);
    REGION[7] = 'X';
    expect_mismatch(&e, "superblock magic: expected 0x544f504c53484d31, found 0x584f504c53484d31");
}

static void test_unknown_region_type_is_rejected(void **state)
{
    write_header_ring();
    REGION[24] = 7;
    tp_superblock_expected_t e;
    tp_superblock_expect_header_ring(&e, TP_LAYOUT_VERSION, 42, 1000, 8);
    expect_mismatch(&e, "superblock region_type: expected 1, found 7");
}

static void test_field_that_does_not_apply_is_not_checked(void **state)
{
    write_header_ring();
    tp_superblock_expected_t e;
    tp_superblock_expect_header_ring(&e, TP_LAYOUT_VERSION, 42, 1000, 8);
    /* Another producer may write any stride into a header ring. */
    memcpy(REGION + 36, &(uint32_t){256}, 4);
    assert_int_equal(0, tp_superblock_validate(REGION, REGION_LEN, &e));
}

static void test_short_region(void **state)
{
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, 1, 1, 8);
    tp_err_clear();
    assert_int_equal(-1, tp_superblock_write(REGION, 63, &sb));
    assert_int_equal(TP_ERR_SUPERBLOCK, tp_errcode());
    assert_int_equal(-1, tp_superblock_read(REGION, 32, &sb));
    assert_non_null(strstr(tp_errmsg(), "32 bytes"));
}

static void test_activity_timestamp(void **state)
{
    write_header_ring();
    tp_superblock_activity_refresh(REGION, 5000000000ULL);
    assert_int_equal(5000000000ULL, tp_superblock_activity_read(REGION));
    assert_int_equal(5000000000ULL, le64(REGION + 56));
    assert_true(tp_superblock_is_fresh(REGION, 5000000000ULL + 3000, 3000));
    assert_false(tp_superblock_is_fresh(REGION, 5000000000ULL + 3001, 3000));
    assert_true(tp_superblock_is_fresh(REGION, 4000000000ULL, 10)); /* ahead of the reader's clock */
    /* Refreshing touches nothing else. */
    tp_superblock_expected_t e;
    tp_superblock_expect_header_ring(&e, TP_LAYOUT_VERSION, 42, 1000, 8);
    assert_int_equal(0, tp_superblock_validate(REGION, REGION_LEN, &e));
}

static void test_through_real_region_files(void **state)
{
    char root[PATH_MAX];
    char path[PATH_MAX + 32];
    assert_int_equal(0, shm_test_make_tmpdir(root, sizeof(root), "superblock"));
    snprintf(path, sizeof(path), "%s/payload-2.pool", root);

    size_t length;
    assert_int_equal(0, tp_shm_region_pool_length(4, 4096, &length));
    tp_shm_region_t producer;
    assert_int_equal(0, tp_shm_region_create(&producer, path, length, false, true));
    tp_superblock_t sb;
    tp_superblock_init_payload_pool(&sb, 7, 1000, 2, 4, 4096);
    assert_int_equal(0, tp_superblock_write(producer.addr, producer.layout_length, &sb));

    const char *bases[] = {root};
    tp_shm_path_policy_t policy;
    assert_int_equal(0, tp_shm_path_policy_init(&policy, bases, 1));
    tp_shm_uri_t uri;
    memset(&uri, 0, sizeof(uri));
    strcpy(uri.path, path);
    tp_shm_region_t consumer;
    assert_int_equal(0, tp_shm_region_map(&consumer, &policy, &uri, length));
    tp_superblock_expected_t e;
    tp_superblock_expect_payload_pool(&e, TP_LAYOUT_VERSION, 7, 1000, 2, 4, 4096);
    assert_int_equal(0, tp_superblock_validate(consumer.addr, consumer.layout_length, &e));

    tp_superblock_activity_refresh(producer.addr, 99);
    assert_int_equal(99, tp_superblock_activity_read(consumer.addr));

    e.epoch = 8;
    assert_int_equal(-1, tp_superblock_validate(consumer.addr, consumer.layout_length, &e));
    assert_non_null(strstr(tp_errmsg(), "epoch: expected 8, found 7"));

    tp_shm_region_close(&consumer);
    tp_shm_region_close(&producer);
    tp_shm_path_policy_close(&policy);
    shm_test_remove_tree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_follow_the_schema_layout),
        cmocka_unit_test(test_init_fills_identity),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_validate_matching),
        cmocka_unit_test(test_each_field_mismatch_is_named),
        cmocka_unit_test(test_unknown_region_type_is_rejected),
        cmocka_unit_test(test_field_that_does_not_apply_is_not_checked),
        cmocka_unit_test(test_short_region),
        cmocka_unit_test(test_activity_timestamp),
        cmocka_unit_test(test_through_real_region_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
