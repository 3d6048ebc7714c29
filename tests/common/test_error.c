#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/tp_error_private.h"

static int fails_with_uri(const char *uri)
{
    TP_SET_ERR(TP_ERR_URI, "unknown scheme in region URI: %s", uri);
    return -1;
}

static int wraps_failure(void)
{
    if (fails_with_uri("udp://x") < 0)
    {
        TP_APPEND_ERR("while mapping pool %d", 7);
        return -1;
    }
    return 0;
}

static void test_set_names_code_and_value(void **state)
{
    tp_err_clear();
    assert_int_equal(-1, fails_with_uri("bogus:thing"));
    assert_int_equal(TP_ERR_URI, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "TP_ERR_URI"));
    assert_non_null(strstr(tp_errmsg(), "bogus:thing"));
    assert_non_null(strstr(tp_errmsg(), "fails_with_uri"));
}

static void test_append_keeps_root_cause_first(void **state)
{
    tp_err_clear();
    assert_int_equal(-1, wraps_failure());
    const char *msg = tp_errmsg();
    const char *root = strstr(msg, "udp://x");
    const char *ctx = strstr(msg, "while mapping pool 7");
    assert_non_null(root);
    assert_non_null(ctx);
    assert_true(root < ctx);
    assert_int_equal(TP_ERR_URI, tp_errcode());
}

static void test_errno_variant_records_errno_text(void **state)
{
    errno = ENOENT;
    TP_SET_ERR_ERRNO("open %s", "/nope");
    assert_int_equal(ENOENT, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "/nope"));
    assert_non_null(strstr(tp_errmsg(), strerror(ENOENT)));
}

static void test_clear(void **state)
{
    fails_with_uri("x");
    tp_err_clear();
    assert_int_equal(0, tp_errcode());
    assert_string_equal("", tp_errmsg());
}

static void test_long_chain_truncates_safely(void **state)
{
    char big[600];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    fails_with_uri(big);
    for (int i = 0; i < 20; i++)
    {
        TP_APPEND_ERR("%s", big);
    }
    assert_true(strlen(tp_errmsg()) < 4096);
    assert_int_equal(TP_ERR_URI, tp_errcode());
}

static void *other_thread(void *arg)
{
    int *seen = arg;
    *seen = tp_errcode();
    return NULL;
}

static void test_error_is_thread_local(void **state)
{
    fails_with_uri("x");
    int seen = -1;
    pthread_t t;
    assert_int_equal(0, pthread_create(&t, NULL, other_thread, &seen));
    pthread_join(t, NULL);
    assert_int_equal(0, seen);
    assert_int_equal(TP_ERR_URI, tp_errcode());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_names_code_and_value),         cmocka_unit_test(test_append_keeps_root_cause_first),
        cmocka_unit_test(test_errno_variant_records_errno_text), cmocka_unit_test(test_clear),
        cmocka_unit_test(test_long_chain_truncates_safely),      cmocka_unit_test(test_error_is_thread_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
