/*
 * Generator features that the tensorpool schemas do not exercise, through the test-only schema sbe_features.xml
 * (generated into the build tree by the same CMake mechanism): char arrays, constants, composite and char-enum
 * fields, type-level null/min/max, sinceVersion fields/groups/data against older acting versions, nested groups
 * with var data in their entries, and a uint16 length prefix with a small maxValue.
 */
#include "sbe_test_util.h"

#include "tp_sbe_features/widget.h"

#define F(x) tp_sbe_features_##x

/* Encodes a full version-3 Widget and returns its length (header included). */
static size_t encode_widget(char *buf, size_t cap)
{
    struct F(messageHeader) hdr;
    struct F(widget) w;
    struct F(point) origin;
    struct F(widget_parts) parts;
    struct F(widget_parts_subparts) sub;
    struct F(widget_extras) extras;

    assert_non_null(F(widget_wrap_and_apply_header)(&w, buf, 0, cap, &hdr));
    F(widget_set_id)(&w, UINT64_C(0xdeadbeefcafe));
    assert_non_null(F(widget_put_name_with_length)(&w, "widget", 6));
    F(widget_set_color)(&w, F(color_BLUE));
    F(widget_set_grade)(&w, F(grade_B));
    assert_non_null(F(widget_origin)(&w, &origin));
    F(point_set_x)(&origin, -3);
    F(point_set_y)(&origin, 4);
    F(point_set_color)(&origin, F(color_GREEN));
    F(widget_set_percent)(&w, F(widget_percent_null_value)());
    F(widget_set_weight)(&w, 3.25);
    F(widget_set_addedInV2)(&w, 77);
    F(widget_set_colorV3)(&w, F(color_RED));

    assert_non_null(F(widget_parts_set_count)(&w, &parts, 2));
    assert_non_null(F(widget_parts_next)(&parts));
    F(widget_parts_set_partId)(&parts, 1);
    F(widget_parts_set_extraV2)(&parts, -2);
    assert_non_null(F(widget_parts_subparts_set_count)(&parts, &sub, 2));
    assert_non_null(F(widget_parts_subparts_next)(&sub));
    F(widget_parts_subparts_set_weight)(&sub, 10);
    assert_non_null(F(widget_parts_subparts_put_label)(&sub, "bolt", 4));
    assert_non_null(F(widget_parts_subparts_next)(&sub));
    F(widget_parts_subparts_set_weight)(&sub, 20);
    assert_non_null(F(widget_parts_subparts_put_label)(&sub, "", 0));
    assert_non_null(F(widget_parts_put_note)(&parts, "first", 5));
    assert_non_null(F(widget_parts_next)(&parts));
    F(widget_parts_set_partId)(&parts, 2);
    F(widget_parts_set_extraV2)(&parts, F(widget_parts_extraV2_null_value)());
    assert_non_null(F(widget_parts_subparts_set_count)(&parts, &sub, 0));
    assert_non_null(F(widget_parts_put_note)(&parts, "second", 6));

    assert_non_null(F(widget_extras_set_count)(&w, &extras, 1));
    assert_non_null(F(widget_extras_next)(&extras));
    F(widget_extras_set_x)(&extras, 9);
    assert_non_null(F(widget_put_description)(&w, "a widget", 8));
    assert_non_null(F(widget_put_commentV2)(&w, "v2 comment", 10));
    return 8 + F(widget_encoded_length)(&w);
}

static void test_layout_constants_and_limits(void **state)
{
    /* The constant takes no bytes: color follows name directly. */
    assert_int_equal(64, F(widget_sbe_block_length)());
    assert_int_equal(4242, F(widget_magic)());
    assert_int_equal(0, F(widget_magic_encoding_length)());
    assert_int_equal(24, F(widget_magic_encoding_offset)());
    assert_int_equal(24, F(widget_color_encoding_offset)());
    assert_int_equal(25, F(widget_grade_encoding_offset)());
    assert_int_equal(26, F(widget_origin_encoding_offset)());
    assert_int_equal(9, F(widget_origin_encoding_length)());
    assert_int_equal(35, F(widget_percent_encoding_offset)());
    assert_int_equal(36, F(widget_weight_encoding_offset)());
    assert_int_equal(44, F(widget_addedInV2_encoding_offset)());
    assert_int_equal(48, F(widget_colorV3_encoding_offset)());
    assert_int_equal(16, F(widget_name_length)());
    assert_int_equal(16, F(widget_name_encoding_length)());
    assert_string_equal("US-ASCII", F(widget_name_character_encoding)());
    assert_int_equal(6, F(widget_parts_sbe_block_length)());
    assert_int_equal(2, F(widget_parts_subparts_sbe_block_length)());
    assert_int_equal(1, F(widget_extras_sbe_block_length)());
    assert_int_equal(9, F(point_encoded_length)());

    /* Type-level overrides win; defaults elsewhere. */
    assert_int_equal(200, F(widget_percent_null_value)());
    assert_int_equal(0, F(widget_percent_min_value)());
    assert_int_equal(100, F(widget_percent_max_value)());
    assert_int_equal(UINT32_MAX, F(widget_addedInV2_null_value)());
    assert_true(isnan(F(widget_weight_null_value)()));
    assert_int_equal(2, F(widget_addedInV2_since_version)());
    assert_int_equal(3, F(widget_extras_since_version)());
    assert_int_equal(2, F(widget_description_header_length)());
    assert_int_equal(100, F(widget_description_max_length)());
    assert_string_equal("US-ASCII", F(widget_description_character_encoding)());
    assert_string_equal("null", F(widget_commentV2_character_encoding)());
    assert_string_equal("optional", F(widget_percent_meta_attribute)(F(widget_meta_attribute_PRESENCE)));
    assert_string_equal("constant", F(widget_magic_meta_attribute)(F(widget_meta_attribute_PRESENCE)));
    assert_int_equal(44, F(widget_sbe_required_block_length)(1));
    assert_int_equal(48, F(widget_sbe_required_block_length)(2));
    assert_int_equal(64, F(widget_sbe_required_block_length)(3));
    assert_int_equal(4, F(widget_parts_sbe_required_block_length)(1));
    assert_int_equal(6, F(widget_parts_sbe_required_block_length)(2));
}

static void test_full_version_round_trip(void **state)
{
    char buf[512];
    struct F(messageHeader) hdr;
    struct F(widget) w;
    struct F(point) origin;
    struct F(widget_parts) parts;
    struct F(widget_parts_subparts) sub;
    struct F(widget_extras) extras;
    enum F(color) color;
    enum F(grade) grade;
    char name[17];

    memset(buf, 0, sizeof(buf));
    const size_t len = encode_widget(buf, sizeof(buf));
    assert_non_null(F(messageHeader_wrap)(&hdr, buf, 0, 3, len));
    assert_int_equal(64, F(messageHeader_blockLength)(&hdr));
    assert_int_equal(3, F(messageHeader_version)(&hdr));
    assert_int_equal(999, F(messageHeader_schemaId)(&hdr));
    assert_non_null(F(widget_wrap_for_decode)(&w, buf, 8, 64, 3, len));

    assert_int_equal(UINT64_C(0xdeadbeefcafe), F(widget_id)(&w));
    /* A short char array is NUL padded to its full length. */
    assert_int_equal(6, F(widget_get_name_string_length)(&w));
    assert_memory_equal("widget\0\0\0\0\0\0\0\0\0\0", F(widget_name_buffer)(&w), 16);
    memset(name, 0, sizeof(name));
    assert_non_null(F(widget_get_name)(&w, name, 16));
    assert_string_equal("widget", name);
    char c;
    assert_true(F(widget_name)(&w, 1, &c));
    assert_int_equal('i', c);
    assert_int_equal(4242, F(widget_magic)());
    assert_true(F(widget_color)(&w, &color));
    assert_int_equal(F(color_BLUE), color);
    assert_true(F(widget_grade)(&w, &grade));
    assert_int_equal(F(grade_B), grade);
    assert_int_equal('B', buf[8 + 25]);
    assert_non_null(F(widget_origin)(&w, &origin));
    assert_int_equal(-3, F(point_x)(&origin));
    assert_int_equal(4, F(point_y)(&origin));
    assert_true(F(point_color)(&origin, &color));
    assert_int_equal(F(color_GREEN), color);
    assert_int_equal(200, F(widget_percent)(&w));
    assert_true(3.25 == F(widget_weight)(&w));
    assert_true(F(widget_addedInV2_in_acting_version)(&w));
    assert_int_equal(77, F(widget_addedInV2)(&w));
    assert_true(F(widget_colorV3)(&w, &color));
    assert_int_equal(F(color_RED), color);

    assert_non_null(F(widget_get_parts)(&w, &parts));
    assert_int_equal(2, F(widget_parts_count)(&parts));
    assert_non_null(F(widget_parts_next)(&parts));
    assert_int_equal(1, F(widget_parts_partId)(&parts));
    assert_int_equal(-2, F(widget_parts_extraV2)(&parts));
    assert_non_null(F(widget_parts_get_subparts)(&parts, &sub));
    assert_int_equal(2, F(widget_parts_subparts_count)(&sub));
    assert_non_null(F(widget_parts_subparts_next)(&sub));
    assert_int_equal(10, F(widget_parts_subparts_weight)(&sub));
    struct F(widget_string_view) label = F(widget_parts_subparts_get_label_as_string_view)(&sub);
    TP_ASSERT_VIEW(label, "bolt");
    assert_non_null(F(widget_parts_subparts_next)(&sub));
    assert_int_equal(20, F(widget_parts_subparts_weight)(&sub));
    label = F(widget_parts_subparts_get_label_as_string_view)(&sub);
    TP_ASSERT_VIEW(label, "");
    assert_false(F(widget_parts_subparts_has_next)(&sub));
    struct F(widget_string_view) note = F(widget_parts_get_note_as_string_view)(&parts);
    TP_ASSERT_VIEW(note, "first");
    assert_non_null(F(widget_parts_next)(&parts));
    assert_int_equal(2, F(widget_parts_partId)(&parts));
    assert_int_equal(INT16_MIN, F(widget_parts_extraV2)(&parts));
    assert_non_null(F(widget_parts_get_subparts)(&parts, &sub));
    assert_int_equal(0, F(widget_parts_subparts_count)(&sub));
    note = F(widget_parts_get_note_as_string_view)(&parts);
    TP_ASSERT_VIEW(note, "second");

    assert_true(F(widget_extras_in_acting_version)(&w));
    assert_non_null(F(widget_get_extras)(&w, &extras));
    assert_int_equal(1, F(widget_extras_count)(&extras));
    assert_non_null(F(widget_extras_next)(&extras));
    assert_int_equal(9, F(widget_extras_x)(&extras));
    struct F(widget_string_view) d = F(widget_get_description_as_string_view)(&w);
    TP_ASSERT_VIEW(d, "a widget");
    struct F(widget_string_view) comment = F(widget_get_commentV2_as_string_view)(&w);
    TP_ASSERT_VIEW(comment, "v2 comment");
    assert_int_equal(len, 8 + F(widget_encoded_length)(&w));

    /* Every truncated prefix fails somewhere on the way to the last var data. */
    for (size_t cut = 0; cut < len; cut++)
    {
        char *p = tp_test_prefix_copy(buf, cut);
        int ok = NULL != F(widget_wrap_for_decode)(&w, p, 8, 64, 3, cut) && NULL != F(widget_get_parts)(&w, &parts);
        while (ok && F(widget_parts_has_next)(&parts))
        {
            ok = NULL != F(widget_parts_next)(&parts) && NULL != F(widget_parts_get_subparts)(&parts, &sub);
            while (ok && F(widget_parts_subparts_has_next)(&sub))
            {
                ok = NULL != F(widget_parts_subparts_next)(&sub) && NULL != F(widget_parts_subparts_label)(&sub);
            }
            ok = ok && NULL != F(widget_parts_note)(&parts);
        }
        ok = ok && NULL != F(widget_get_extras)(&w, &extras) && NULL != F(widget_extras_next)(&extras) &&
             NULL != F(widget_description)(&w) && NULL != F(widget_commentV2)(&w);
        assert_false(ok);
        free(p);
    }
}

static void test_char_array_limits(void **state)
{
    char buf[128];
    struct F(messageHeader) hdr;
    struct F(widget) w;
    char out[20];

    memset(buf, 0x55, sizeof(buf));
    assert_non_null(F(widget_wrap_and_apply_header)(&w, buf, 0, sizeof(buf), &hdr));
    /* A full-length value has no terminator. */
    assert_non_null(F(widget_put_name_with_length)(&w, "0123456789abcdef", 16));
    assert_int_equal(16, F(widget_get_name_string_length)(&w));
    assert_memory_equal("0123456789abcdef", F(widget_name_buffer)(&w), 16);
    errno = 0;
    assert_null(F(widget_put_name_with_length)(&w, "0123456789abcdefX", 17));
    assert_int_equal(E106, errno);
    errno = 0;
    assert_null(F(widget_get_name)(&w, out, 17));
    assert_int_equal(E106, errno);
    errno = 0;
    assert_null(F(widget_set_name)(&w, 16, 'x'));
    assert_int_equal(E105, errno);
    assert_non_null(F(widget_set_name)(&w, 15, 'F'));
    assert_int_equal('F', F(widget_name_unsafe)(&w, 15));
    assert_non_null(F(widget_put_name)(&w, "ABCDEFGHIJKLMNOP"));
    assert_memory_equal("ABCDEFGHIJKLMNOP", F(widget_name_buffer)(&w), 16);
    /* Padding an emptied value clears every byte. */
    assert_non_null(F(widget_put_name_with_length)(&w, "", 0));
    assert_int_equal(0, F(widget_get_name_string_length)(&w));
}

/* An older (version 1) sender: 44-byte block, 4-byte parts entries, no extras group, no commentV2. */
static size_t build_version1(tp_test_bytes_t *b)
{
    b->len = 0;
    tp_test_put_header(b, 44, 1, 999, 1);
    tp_test_put_u64(b, 5);
    tp_test_put(b, "old\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    tp_test_put_u8(b, 1);   /* color RED */
    tp_test_put_u8(b, 'A'); /* grade */
    tp_test_put_u32(b, 1);
    tp_test_put_u32(b, 2);
    tp_test_put_u8(b, 4); /* origin.color BLUE */
    tp_test_put_u8(b, 50);
    double weight = 0.5;
    tp_test_put(b, &weight, 8);
    tp_test_put_u16(b, 4); /* parts: v1 entries hold only partId */
    tp_test_put_u16(b, 1);
    tp_test_put_u32(b, 31);
    tp_test_put_u16(b, 2); /* subparts */
    tp_test_put_u16(b, 1);
    tp_test_put_u16(b, 7);
    tp_test_put_u16(b, 3);
    tp_test_put(b, "nut", 3);
    tp_test_put_var(b, "n1");
    tp_test_put_u16(b, 3); /* description, uint16 prefix */
    tp_test_put(b, "old", 3);
    return b->len;
}

static void test_older_acting_version_hides_newer_elements(void **state)
{
    tp_test_bytes_t b;
    const size_t len = build_version1(&b);
    char *buf = tp_test_prefix_copy(b.data, len);
    struct F(widget) w;
    struct F(widget_parts) parts;
    struct F(widget_parts_subparts) sub;
    struct F(widget_extras) extras;
    enum F(color) color;
    char dst[8];

    /* A version-1 block may be 44 bytes but no shorter; version 2 needs 48. */
    assert_null(F(widget_wrap_for_decode)(&w, buf, 8, 43, 1, len));
    assert_null(F(widget_wrap_for_decode)(&w, buf, 8, 44, 2, len));
    assert_non_null(F(widget_wrap_for_decode)(&w, buf, 8, 44, 1, len));

    assert_int_equal(5, F(widget_id)(&w));
    assert_int_equal(3, F(widget_get_name_string_length)(&w));
    assert_true(F(widget_color)(&w, &color));
    assert_int_equal(F(color_RED), color);
    assert_int_equal(50, F(widget_percent)(&w));
    assert_true(0.5 == F(widget_weight)(&w));
    /* Fields newer than the sender read as null, whatever bytes follow the block. */
    assert_false(F(widget_addedInV2_in_acting_version)(&w));
    assert_int_equal(UINT32_MAX, F(widget_addedInV2)(&w));
    assert_false(F(widget_colorV3_in_acting_version)(&w));
    assert_true(F(widget_colorV3)(&w, &color));
    assert_int_equal(F(color_NULL_VALUE), color);

    assert_non_null(F(widget_get_parts)(&w, &parts));
    assert_int_equal(4, F(widget_parts_acting_block_length)(&parts));
    assert_non_null(F(widget_parts_next)(&parts));
    assert_int_equal(31, F(widget_parts_partId)(&parts));
    assert_int_equal(INT16_MIN, F(widget_parts_extraV2)(&parts));
    assert_non_null(F(widget_parts_get_subparts)(&parts, &sub));
    assert_non_null(F(widget_parts_subparts_next)(&sub));
    assert_int_equal(7, F(widget_parts_subparts_weight)(&sub));
    struct F(widget_string_view) label = F(widget_parts_subparts_get_label_as_string_view)(&sub);
    TP_ASSERT_VIEW(label, "nut");
    struct F(widget_string_view) note = F(widget_parts_get_note_as_string_view)(&parts);
    TP_ASSERT_VIEW(note, "n1");

    /* The version-3 group is absent: an empty group that consumes nothing. */
    assert_false(F(widget_extras_in_acting_version)(&w));
    const uint64_t pos = F(widget_sbe_position)(&w);
    assert_non_null(F(widget_get_extras)(&w, &extras));
    assert_int_equal(0, F(widget_extras_count)(&extras));
    assert_false(F(widget_extras_has_next)(&extras));
    assert_int_equal(pos, F(widget_sbe_position)(&w));

    struct F(widget_string_view) d = F(widget_get_description_as_string_view)(&w);
    TP_ASSERT_VIEW(d, "old");
    /* The version-2 var data is absent: nothing read, nothing advanced. */
    assert_false(F(widget_commentV2_in_acting_version)(&w));
    assert_int_equal(0, F(widget_commentV2_length)(&w));
    assert_null(F(widget_commentV2)(&w));
    assert_int_equal(0, F(widget_get_commentV2)(&w, dst, sizeof(dst)));
    assert_int_equal(len, 8 + F(widget_encoded_length)(&w));

    /* The same parts group read as version 2 needs 6-byte entries. */
    assert_non_null(F(widget_wrap_for_decode)(&w, buf, 8, 44, 1, len));
    w.acting_version = 2;
    errno = 0;
    assert_null(F(widget_get_parts)(&w, &parts));
    assert_int_equal(E100, errno);
    free(buf);
}

static void test_small_max_value_prefix(void **state)
{
    char buf[512];
    char big[150];
    struct F(messageHeader) hdr;
    struct F(widget) w;
    struct F(widget_parts) parts;
    struct F(widget_extras) extras;

    memset(buf, 0, sizeof(buf));
    memset(big, 'q', sizeof(big));
    assert_non_null(F(widget_wrap_and_apply_header)(&w, buf, 0, sizeof(buf), &hdr));
    assert_non_null(F(widget_parts_set_count)(&w, &parts, 0));
    assert_non_null(F(widget_extras_set_count)(&w, &extras, 0));
    const uint64_t pos = F(widget_sbe_position)(&w);
    errno = 0;
    assert_null(F(widget_put_description)(&w, big, 101));
    assert_int_equal(E109, errno);
    assert_int_equal(pos, F(widget_sbe_position)(&w));
    assert_non_null(F(widget_put_description)(&w, big, 100));

    /* A received prefix over maxValue is rejected even though the bytes are there. */
    const uint16_t lie = 150;
    memcpy(buf + 8 + pos, &lie, 2);
    memcpy(buf + 8 + pos + 2, big, sizeof(big));
    assert_non_null(F(widget_wrap_for_decode)(&w, buf, 8, 64, 3, sizeof(buf)));
    assert_non_null(F(widget_get_parts)(&w, &parts));
    assert_non_null(F(widget_get_extras)(&w, &extras));
    assert_int_equal(150, F(widget_description_length)(&w));
    errno = 0;
    assert_null(F(widget_description)(&w));
    assert_int_equal(E100, errno);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_constants_and_limits),
        cmocka_unit_test(test_full_version_round_trip),
        cmocka_unit_test(test_char_array_limits),
        cmocka_unit_test(test_older_acting_version_hides_newer_elements),
        cmocka_unit_test(test_small_max_value_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
