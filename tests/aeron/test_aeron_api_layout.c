/*
 * The public value structs and constants of aeronc.h must match the official Aeron 1.48 C client byte for byte
 * (x86-64 LP64), or a program built against one header would misread the other's data. Figures were taken from
 * the official header compiled on this platform.
 *
 * The layouts checked are those of the header this test compiles against: ours follows 1.48; with
 * -DTP_AERON=system it is the official header of the installed version. aeronc.h defines no version macros
 * (Aeron's build passes AERON_VERSION_* to its own sources only), so for an official header the version is
 * the one of the library installed with it. Where 1.47 and 1.48 differ (1.48 added file_page_size to
 * aeron_cnc_constants_t: 48 -> 52 bytes), the test asserts the layout of that version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aeronc.h"

/* The Aeron minor version whose layout the compiled header has (major 1 assumed, checked in test_constants). */
static int header_layout_minor(void)
{
#if defined(TP_AERON_HEADER_MINOR)
    return TP_AERON_HEADER_MINOR;
#else
    return aeron_version_minor();
#endif
}

static void test_frame_and_header_values_layout(void **state)
{
    assert_int_equal(32, sizeof(aeron_header_values_frame_t));
    assert_int_equal(0, offsetof(aeron_header_values_frame_t, frame_length));
    assert_int_equal(5, offsetof(aeron_header_values_frame_t, flags));
    assert_int_equal(6, offsetof(aeron_header_values_frame_t, type));
    assert_int_equal(8, offsetof(aeron_header_values_frame_t, term_offset));
    assert_int_equal(12, offsetof(aeron_header_values_frame_t, session_id));
    assert_int_equal(16, offsetof(aeron_header_values_frame_t, stream_id));
    assert_int_equal(20, offsetof(aeron_header_values_frame_t, term_id));
    assert_int_equal(24, offsetof(aeron_header_values_frame_t, reserved_value));
    assert_int_equal(44, sizeof(aeron_header_values_t));
    assert_int_equal(32, offsetof(aeron_header_values_t, initial_term_id));
    assert_int_equal(36, offsetof(aeron_header_values_t, position_bits_to_shift));
}

static void test_counter_descriptors_layout(void **state)
{
    assert_int_equal(128, AERON_COUNTER_VALUE_LENGTH);
    assert_int_equal(512, AERON_COUNTER_METADATA_LENGTH);
    assert_int_equal(8, AERON_COUNTER_REGISTRATION_ID_OFFSET);
    assert_int_equal(4, AERON_COUNTER_TYPE_ID_OFFSET);
    assert_int_equal(8, AERON_COUNTER_FREE_FOR_REUSE_DEADLINE_OFFSET);
    assert_int_equal(16, AERON_COUNTER_KEY_OFFSET);
    assert_int_equal(132, AERON_COUNTER_LABEL_LENGTH_OFFSET);
    assert_int_equal(128, offsetof(aeron_counter_metadata_descriptor_t, label_length));
    assert_int_equal(112, AERON_COUNTER_MAX_KEY_LENGTH);
    assert_int_equal(380, AERON_COUNTER_MAX_LABEL_LENGTH);
    assert_int_equal(32, sizeof(aeron_counters_reader_buffers_t));
}

static void test_value_structs_layout(void **state)
{
    assert_int_equal(16, sizeof(aeron_iovec_t));
    assert_int_equal(24, sizeof(aeron_buffer_claim_t));
    assert_int_equal(88, sizeof(aeron_publication_constants_t));
    assert_int_equal(80, offsetof(aeron_publication_constants_t, channel_status_indicator_id));
    assert_int_equal(40, sizeof(aeron_subscription_constants_t));
    assert_int_equal(72, sizeof(aeron_image_constants_t));
    assert_int_equal(64, offsetof(aeron_image_constants_t, subscriber_position_id));
    assert_int_equal(40, offsetof(aeron_cnc_constants_t, pid));
    if (header_layout_minor() >= 48)
    {
        assert_int_equal(52, sizeof(aeron_cnc_constants_t));
    }
    else
    {
        assert_int_equal(48, sizeof(aeron_cnc_constants_t));
    }
}

static void test_constants(void **state)
{
    assert_int_equal(-1, AERON_PUBLICATION_NOT_CONNECTED);
    assert_int_equal(-2, AERON_PUBLICATION_BACK_PRESSURED);
    assert_int_equal(-3, AERON_PUBLICATION_ADMIN_ACTION);
    assert_int_equal(-4, AERON_PUBLICATION_CLOSED);
    assert_int_equal(-5, AERON_PUBLICATION_MAX_POSITION_EXCEEDED);
    assert_int_equal(-6, AERON_PUBLICATION_ERROR);
    assert_int_equal(1, AERON_ACTION_ABORT);
    assert_int_equal(2, AERON_ACTION_BREAK);
    assert_int_equal(3, AERON_ACTION_COMMIT);
    assert_int_equal(4, AERON_ACTION_CONTINUE);
    assert_int_equal(-1000, AERON_CLIENT_ERROR_DRIVER_TIMEOUT);
    assert_int_equal(-1001, AERON_CLIENT_ERROR_CLIENT_TIMEOUT);
    assert_int_equal(-1002, AERON_CLIENT_ERROR_CONDUCTOR_SERVICE_TIMEOUT);
    assert_int_equal(-1003, AERON_CLIENT_ERROR_BUFFER_FULL);
    assert_int_equal(-1, AERON_NULL_COUNTER_ID);
    assert_int_equal(1, AERON_COUNTER_RECORD_ALLOCATED);
    assert_int_equal(-1, AERON_COUNTER_RECORD_RECLAIMED);
    assert_string_equal("AERON_DIR", AERON_DIR_ENV_VAR);
    assert_int_equal(1, aeron_version_major());
    assert_true(aeron_version_minor() >= 47);
    assert_true(header_layout_minor() >= 47);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_and_header_values_layout),
        cmocka_unit_test(test_counter_descriptors_layout),
        cmocka_unit_test(test_value_structs_layout),
        cmocka_unit_test(test_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
