/* The demo's verification pattern, latency histogram and option parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tp_app_histogram.h"
#include "tp_app_options.h"
#include "tp_app_pattern.h"

static void test_pattern_roundtrip_and_single_byte_corruption(void **state)
{
    (void)state;
    /* Lengths around the word size exercise the tail handling. */
    const size_t lengths[] = {0, 1, 7, 8, 9, 63, 4096, 4147200};
    uint8_t *buffer = malloc(4147200);
    assert_non_null(buffer);
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++)
    {
        size_t length = lengths[k];
        tp_app_pattern_fill(buffer, length, 42);
        assert_true(tp_app_pattern_verify(buffer, length, 42));
        assert_int_equal(tp_app_pattern_checksum(buffer, length), tp_app_pattern_expected_checksum(length, 42));
        if (0 == length)
        {
            continue;
        }
        /* Another frame's pattern is rejected: a stale slot cannot pass for the expected seq. */
        assert_false(tp_app_pattern_verify(buffer, length, 43));
        /* One flipped bit anywhere is caught, including the last byte. */
        size_t positions[] = {0, length / 2, length - 1};
        for (size_t p = 0; p < 3; p++)
        {
            buffer[positions[p]] ^= 0x10;
            assert_false(tp_app_pattern_verify(buffer, length, 42));
            assert_int_not_equal(tp_app_pattern_checksum(buffer, length), tp_app_pattern_expected_checksum(length, 42));
            buffer[positions[p]] ^= 0x10;
        }
    }
    free(buffer);
}

static void test_histogram_percentiles(void **state)
{
    (void)state;
    tp_app_histogram_t *h = malloc(sizeof(*h));
    assert_non_null(h);
    tp_app_histogram_reset(h);
    assert_int_equal(tp_app_histogram_percentile(h, 0.5), 0);
    /* 1..10000 ns: p50 ~ 5000, p99 ~ 9900 within the bucket resolution (~3%). */
    for (uint64_t v = 1; v <= 10000; v++)
    {
        tp_app_histogram_record(h, v);
    }
    uint64_t p50 = tp_app_histogram_percentile(h, 0.5);
    uint64_t p99 = tp_app_histogram_percentile(h, 0.99);
    assert_in_range(p50, 4850, 5150);
    assert_in_range(p99, 9600, 10000);
    assert_int_equal(tp_app_histogram_percentile(h, 1.0), 10000);
    /* Small values are exact. */
    tp_app_histogram_reset(h);
    tp_app_histogram_record(h, 3);
    tp_app_histogram_record(h, 5);
    assert_int_equal(tp_app_histogram_percentile(h, 0.5), 3);
    assert_int_equal(tp_app_histogram_percentile(h, 0.99), 5);
    /* Huge values land in the last bucket instead of overflowing. */
    tp_app_histogram_record(h, UINT64_MAX);
    assert_int_equal(h->count, 3);
    tp_app_histogram_t *other = malloc(sizeof(*other));
    assert_non_null(other);
    tp_app_histogram_reset(other);
    tp_app_histogram_record(other, 1);
    tp_app_histogram_merge(other, h);
    assert_int_equal(other->count, 4);
    assert_int_equal(tp_app_histogram_percentile(other, 0.25), 1);
    free(other);
    free(h);
}

static void test_options(void **state)
{
    (void)state;
    tp_app_shape_t shape;
    assert_int_equal(tp_app_dtype_parse("uint16", &shape.dtype), 0);
    assert_int_equal(shape.dtype, TP_DTYPE_UINT16);
    assert_int_equal(tp_app_dtype_parse("uint12", &shape.dtype), -1);
    assert_int_equal(tp_app_shape_parse("1080x1920", &shape), 0);
    assert_int_equal(shape.ndims, 2);
    assert_int_equal(tp_app_shape_bytes(&shape), 1080 * 1920 * 2);
    assert_int_equal(tp_app_shape_parse("1080x", &shape), -1);
    assert_int_equal(tp_app_shape_parse("0x4", &shape), -1);
    assert_int_equal(tp_app_shape_parse("4*4", &shape), -1);
    assert_int_equal(tp_app_shape_parse("65536x65536", &shape), 0);
    assert_int_equal(tp_app_shape_bytes(&shape), 0); /* over 4 GiB: refused by the caller */

    assert_int_equal(tp_app_shape_parse("3x4x5", &shape), 0);
    shape.dtype = TP_DTYPE_FLOAT32;
    tp_tensor_desc_t desc;
    tp_app_shape_to_desc(&shape, &desc);
    assert_int_equal(desc.strides[2], 4);
    assert_int_equal(desc.strides[1], 20);
    assert_int_equal(desc.strides[0], 80);
    tp_tensor_view_t view;
    memset(&view, 0, sizeof(view));
    view.dtype = TP_DTYPE_FLOAT32;
    view.major_order = TP_MAJOR_ORDER_ROW;
    view.ndims = 3;
    view.values_len_bytes = 240;
    for (int i = 0; i < 3; i++)
    {
        view.dims[i] = desc.dims[i];
        view.strides[i] = desc.strides[i];
    }
    assert_true(tp_app_shape_matches(&shape, &view));
    view.strides[1] = 24; /* padded rows are not what was sent */
    assert_false(tp_app_shape_matches(&shape, &view));

    uint64_t v = 0;
    assert_int_equal(tp_app_size_parse("--x", "4k", 1, 1ULL << 40, &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(tp_app_size_parse("--x", "3m", 1, 1ULL << 40, &v), 0);
    assert_int_equal(v, 3 * 1048576);
    assert_int_equal(tp_app_size_parse("--x", "12q", 1, 100, &v), -1);
    assert_int_equal(tp_app_size_parse("--x", "101", 1, 100, &v), -1);
    assert_int_equal(tp_app_seconds_parse("--duration", "2.5", false, &v), 0);
    assert_int_equal(v, 2500000000ULL);
    assert_int_equal(tp_app_seconds_parse("--duration", "0", false, &v), -1);
    double rate = 0;
    assert_int_equal(tp_app_rate_parse("--rate", "0", &rate), 0);
    assert_int_equal(tp_app_rate_parse("--rate", "-1", &rate), -1);
    assert_int_equal(tp_app_next_pow2(4147200, 4096), 4194304);
    assert_int_equal(tp_app_next_pow2(64, 4096), 4096);
}

static char *read_source_file(const char *relative)
{
    const char *root = getenv("TP_SOURCE_DIR");
    assert_non_null(root);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", root, relative);
    FILE *f = fopen(path, "rb");
    if (NULL == f)
    {
        fail_msg("cannot open %s", path);
    }
    fseek(f, 0, SEEK_END);
    long length = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)length + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)length, f), (size_t)length);
    text[length] = '\0';
    fclose(f);
    return text;
}

/* docs/usage.md shows the minimal programs in full: the listings must be the files that are compiled. */
static void test_usage_guide_listings_match_the_built_examples(void **state)
{
    (void)state;
    char *guide = read_source_file("docs/usage.md");
    const char *files[] = {"tools/examples/minimal_producer.c", "tools/examples/minimal_consumer.c"};
    for (size_t i = 0; i < 2; i++)
    {
        char *source = read_source_file(files[i]);
        char *block = malloc(strlen(source) + 16);
        assert_non_null(block);
        sprintf(block, "```c\n%s```\n", source);
        if (NULL == strstr(guide, block))
        {
            fail_msg("docs/usage.md does not show %s verbatim", files[i]);
        }
        free(block);
        free(source);
    }
    free(guide);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_roundtrip_and_single_byte_corruption),
        cmocka_unit_test(test_histogram_percentiles),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_usage_guide_listings_match_the_built_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
