#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shm/tp_shm_uri.h"
#include "tensorpool/tp_error.h"

static void assert_rejected(const char *text, const char *reason)
{
    tp_shm_uri_t uri;
    tp_err_clear();
    int rc = tp_shm_uri_parse(&uri, text);
    if (0 == rc)
    {
        fail_msg("URI '%s' was accepted, expected rejection (%s)", text, reason);
    }
    assert_int_equal(-1, rc);
    assert_int_equal(TP_ERR_URI, tp_errcode());
    if (NULL == strstr(tp_errmsg(), reason))
    {
        fail_msg("URI '%s': message '%s' lacks '%s'", text, tp_errmsg(), reason);
    }
    assert_string_equal("", uri.path);
}

static void test_minimal_uri(void **state)
{
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?path=/dev/shm/tp/header.ring"));
    assert_string_equal("/dev/shm/tp/header.ring", uri.path);
    assert_false(uri.require_hugepages);
}

static void test_require_hugepages_true_and_false(void **state)
{
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?path=/dev/hugepages/x|require_hugepages=true"));
    assert_string_equal("/dev/hugepages/x", uri.path);
    assert_true(uri.require_hugepages);
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?path=/dev/shm/x|require_hugepages=false"));
    assert_false(uri.require_hugepages);
}

static void test_parameters_in_any_order(void **state)
{
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?require_hugepages=true|path=/a/b"));
    assert_string_equal("/a/b", uri.path);
    assert_true(uri.require_hugepages);
}

static void test_path_may_contain_equals_and_punctuation(void **state)
{
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?path=/dev/shm/a=b,c:d@e~f"));
    assert_string_equal("/dev/shm/a=b,c:d@e~f", uri.path);
}

/* '&' is not a separator in v1.1 (only '|' is): it is an ordinary path byte. */
static void test_ampersand_is_part_of_the_path(void **state)
{
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?path=/a&require_hugepages=true"));
    assert_string_equal("/a&require_hugepages=true", uri.path);
    assert_false(uri.require_hugepages);
}

static void test_parse_n_needs_no_terminator(void **state)
{
    const char text[] = "shm:file?path=/dev/shm/abcXXXX";
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse_n(&uri, text, strlen("shm:file?path=/dev/shm/abc")));
    assert_string_equal("/dev/shm/abc", uri.path);
}

static void test_parse_n_rejects_embedded_nul(void **state)
{
    const char text[] = "shm:file?path=/dev/shm/a\0b";
    tp_shm_uri_t uri;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_uri_parse_n(&uri, text, sizeof(text) - 1));
    assert_int_equal(TP_ERR_URI, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "forbidden byte 0x00"));
}

static void test_rejects_scheme(void **state)
{
    assert_rejected("", "unsupported scheme");
    assert_rejected("shm:///tmp/pool1", "unsupported scheme");
    assert_rejected("aeron:ipc", "unsupported scheme");
    assert_rejected("SHM:file?path=/a", "unsupported scheme");
    assert_rejected("shm:file", "unsupported scheme");
    assert_rejected("shm:file/path=/a", "unsupported scheme");
    assert_rejected("file:///dev/shm/a", "unsupported scheme");
    tp_shm_uri_t uri;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_uri_parse(&uri, NULL));
    assert_int_equal(TP_ERR_URI, tp_errcode());
}

static void test_rejects_missing_or_empty_parameters(void **state)
{
    assert_rejected("shm:file?", "empty parameter");
    assert_rejected("shm:file?path=/a|", "empty parameter");
    assert_rejected("shm:file?path=/a||require_hugepages=true", "empty parameter");
    assert_rejected("shm:file?|path=/a", "empty parameter");
    assert_rejected("shm:file?path=", "empty value");
    assert_rejected("shm:file?path=/a|require_hugepages=", "empty value");
    assert_rejected("shm:file?path", "has no '='");
    assert_rejected("shm:file?require_hugepages=true", "no 'path' parameter");
}

static void test_rejects_unknown_and_duplicate_parameters(void **state)
{
    assert_rejected("shm:file?path=/a|foo=bar", "unknown parameter 'foo'");
    assert_rejected("shm:file?path=/a|PATH=/b", "unknown parameter 'PATH'");
    assert_rejected("shm:file?path=/a|require_hugepages=true|interface=eth0", "unknown parameter 'interface'");
    assert_rejected("shm:file?path=/a|path=/b", "'path' given more than once");
    assert_rejected("shm:file?path=/a|require_hugepages=true|require_hugepages=false",
                    "'require_hugepages' given more than once");
}

static void test_rejects_bad_booleans(void **state)
{
    assert_rejected("shm:file?path=/a|require_hugepages=yes", "not 'true' or 'false'");
    assert_rejected("shm:file?path=/a|require_hugepages=TRUE", "not 'true' or 'false'");
    assert_rejected("shm:file?path=/a|require_hugepages=1", "not 'true' or 'false'");
    assert_rejected("shm:file?path=/a|require_hugepages=true ", "not 'true' or 'false'");
    assert_rejected("shm:file?path=/a|require_hugepages=truex", "not 'true' or 'false'");
}

static void test_rejects_bad_paths(void **state)
{
    assert_rejected("shm:file?path=dev/shm/a", "not absolute");
    assert_rejected("shm:file?path=./a", "not absolute");
    assert_rejected("shm:file?path=/dev/shm/a b", "forbidden byte 0x20");
    assert_rejected("shm:file?path=/dev/shm/a\tb", "forbidden byte 0x09");
    assert_rejected("shm:file?path=/dev/shm/a\nb", "forbidden byte 0x0a");
    assert_rejected("shm:file?path=/dev/shm/a\x7f", "forbidden byte 0x7f");
    assert_rejected("shm:file?path=/dev/shm/\xc3\xa9", "forbidden byte 0xc3");
    assert_rejected("shm:file?path=/dev/shm/a?b", "forbidden byte 0x3f");
    /* '|' always separates, so it can never be part of a path: the tail is a malformed parameter. */
    assert_rejected("shm:file?path=/dev/shm/a|b", "parameter 'b' has no '='");
}

static void test_rejects_path_of_path_max(void **state)
{
    static char text[PATH_MAX + 64];
    size_t prefix = strlen("shm:file?path=");
    memcpy(text, "shm:file?path=", prefix);
    text[prefix] = '/';
    memset(text + prefix + 1, 'a', PATH_MAX - 1);
    text[prefix + PATH_MAX] = '\0';
    assert_rejected(text, "not shorter than PATH_MAX");

    /* One byte shorter is fine. */
    text[prefix + PATH_MAX - 1] = '\0';
    tp_shm_uri_t uri;
    assert_int_equal(0, tp_shm_uri_parse(&uri, text));
    assert_int_equal(PATH_MAX - 1, strlen(uri.path));
}

static void test_format_round_trip(void **state)
{
    char buf[256];
    tp_shm_uri_t uri;
    assert_int_equal((int)strlen("shm:file?path=/dev/shm/x/header.ring"),
                     tp_shm_uri_format(buf, sizeof(buf), "/dev/shm/x/header.ring", false));
    assert_string_equal("shm:file?path=/dev/shm/x/header.ring", buf);
    assert_int_equal(0, tp_shm_uri_parse(&uri, buf));
    assert_string_equal("/dev/shm/x/header.ring", uri.path);

    assert_true(tp_shm_uri_format(buf, sizeof(buf), "/dev/hugepages/p", true) > 0);
    assert_string_equal("shm:file?path=/dev/hugepages/p|require_hugepages=true", buf);
    assert_int_equal(0, tp_shm_uri_parse(&uri, buf));
    assert_true(uri.require_hugepages);
}

static void test_format_rejects_bad_path_and_small_buffer(void **state)
{
    char buf[32];
    tp_err_clear();
    assert_int_equal(-1, tp_shm_uri_format(buf, sizeof(buf), "relative/path", false));
    assert_int_equal(TP_ERR_URI, tp_errcode());
    assert_int_equal(-1, tp_shm_uri_format(buf, sizeof(buf), "/a|b", false));
    assert_int_equal(-1, tp_shm_uri_format(buf, sizeof(buf), "/dev/shm/a-rather-long-region-path", false));
    assert_non_null(strstr(tp_errmsg(), "does not fit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_uri),
        cmocka_unit_test(test_require_hugepages_true_and_false),
        cmocka_unit_test(test_parameters_in_any_order),
        cmocka_unit_test(test_path_may_contain_equals_and_punctuation),
        cmocka_unit_test(test_ampersand_is_part_of_the_path),
        cmocka_unit_test(test_parse_n_needs_no_terminator),
        cmocka_unit_test(test_parse_n_rejects_embedded_nul),
        cmocka_unit_test(test_rejects_scheme),
        cmocka_unit_test(test_rejects_missing_or_empty_parameters),
        cmocka_unit_test(test_rejects_unknown_and_duplicate_parameters),
        cmocka_unit_test(test_rejects_bad_booleans),
        cmocka_unit_test(test_rejects_bad_paths),
        cmocka_unit_test(test_rejects_path_of_path_max),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_format_rejects_bad_path_and_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
