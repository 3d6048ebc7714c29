#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeron/protocol/tp_aeron_uri.h"
#include "aeron/protocol/tp_parse_util.h"
#include "tensorpool/tp_error.h"

static tp_aeron_uri_t uri;

static int parse(const char *text)
{
    return tp_aeron_uri_parse(&uri, text, strlen(text));
}

static void test_bare_ipc_and_params(void **state)
{
    assert_int_equal(0, parse("aeron:ipc"));
    assert_int_equal(TP_URI_MEDIA_IPC, uri.media);
    assert_false(uri.is_spy);
    assert_int_equal(0, uri.param_count);

    assert_int_equal(0, parse("aeron:ipc?term-length=64k|mtu=8192|foo=bar|session-id=-7"));
    assert_int_equal(4, uri.param_count);
    assert_string_equal("bar", tp_aeron_uri_find_param(&uri, "foo"));
    uint64_t term_length;
    assert_int_equal(1, tp_aeron_uri_get_size(&uri, TP_URI_TERM_LENGTH_KEY, 0, &term_length));
    assert_int_equal(65536, term_length);
    int32_t session_id;
    assert_int_equal(1, tp_aeron_uri_get_int32(&uri, TP_URI_SESSION_ID_KEY, 0, &session_id));
    assert_int_equal(-7, session_id);
    bool sparse = true;
    assert_int_equal(0, tp_aeron_uri_get_bool(&uri, TP_URI_SPARSE_TERM_KEY, false, &sparse));
    assert_false(sparse);
}

static void test_udp_and_spy_are_recognised(void **state)
{
    assert_int_equal(0, parse("aeron:udp?endpoint=localhost:20121"));
    assert_int_equal(TP_URI_MEDIA_UDP, uri.media);
    assert_string_equal("localhost:20121", tp_aeron_uri_find_param(&uri, "endpoint"));
    assert_int_equal(0, parse("aeron-spy:aeron:udp?endpoint=localhost:20121"));
    assert_true(uri.is_spy);
    assert_int_equal(TP_URI_MEDIA_UDP, uri.media);
}

static void test_trailing_key_without_value_is_dropped(void **state)
{
    assert_int_equal(0, parse("aeron:ipc?foo"));
    assert_int_equal(0, uri.param_count);
    assert_int_equal(0, parse("aeron:ipc?a=1|foo"));
    assert_int_equal(1, uri.param_count);
}

static void test_rejects(void **state)
{
    const char *bad[] = {
        "aeron:ipcx",   "aeron:tcp",    "aeron-ipc",        "udp://localhost", "",
        "aeron:ipc?=1", "aeron:ipc?a=", "aeron:ipc?a=|b=2", "aeron:ipc?a|b=2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    {
        tp_err_clear();
        assert_int_equal(-1, parse(bad[i]));
        assert_true(strlen(tp_errmsg()) > 0);
    }
    char *long_uri = malloc(5000);
    memset(long_uri, 'a', 4999);
    memcpy(long_uri, "aeron:ipc?x=", 12);
    long_uri[4999] = '\0';
    assert_int_equal(-1, parse(long_uri));
    assert_non_null(strstr(tp_errmsg(), "4999"));
    free(long_uri);
}

static void test_bad_values_name_key_and_value(void **state)
{
    assert_int_equal(0, parse("aeron:ipc?term-length=12q|session-id=abc|sparse=maybe|linger=5 s"));
    uint64_t size;
    tp_err_clear();
    assert_int_equal(-1, tp_aeron_uri_get_size(&uri, TP_URI_TERM_LENGTH_KEY, 0, &size));
    assert_non_null(strstr(tp_errmsg(), "term-length=12q"));
    int32_t session_id;
    assert_int_equal(-1, tp_aeron_uri_get_int32(&uri, TP_URI_SESSION_ID_KEY, 0, &session_id));
    assert_non_null(strstr(tp_errmsg(), "abc"));
    bool sparse;
    assert_int_equal(-1, tp_aeron_uri_get_bool(&uri, TP_URI_SPARSE_TERM_KEY, false, &sparse));
    uint64_t linger;
    assert_int_equal(-1, tp_aeron_uri_get_duration_ns(&uri, TP_URI_LINGER_TIMEOUT_KEY, 0, &linger));
}

static void test_parse_util_suffixes(void **state)
{
    uint64_t value;
    assert_int_equal(0, tp_parse_size64("16m", &value));
    assert_int_equal(16 * 1024 * 1024, value);
    assert_int_equal(0, tp_parse_size64("2g", &value));
    assert_int_equal(2ULL * 1024 * 1024 * 1024, value);
    assert_int_equal(-1, tp_parse_size64("16mb", &value));
    assert_int_equal(-1, tp_parse_size64("-1", &value));
    assert_int_equal(-1, tp_parse_size64("99999999999999999999", &value));
    assert_int_equal(0, tp_parse_duration_ns("250", &value));
    assert_int_equal(250, value);
    assert_int_equal(0, tp_parse_duration_ns("10us", &value));
    assert_int_equal(10000, value);
    assert_int_equal(0, tp_parse_duration_ns("500ms", &value));
    assert_int_equal(500000000, value);
    assert_int_equal(0, tp_parse_duration_ns("2s", &value));
    assert_int_equal(2000000000, value);
    assert_int_equal(-1, tp_parse_duration_ns("2h", &value));
    int32_t i32;
    assert_int_equal(-1, tp_parse_int32("3000000000", &i32));
    bool b;
    assert_int_equal(0, tp_parse_bool("TRUE", &b));
    assert_true(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_ipc_and_params),
        cmocka_unit_test(test_udp_and_spy_are_recognised),
        cmocka_unit_test(test_trailing_key_without_value_is_dropped),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_bad_values_name_key_and_value),
        cmocka_unit_test(test_parse_util_suffixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
