#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/tp_clock.h"
#include "common/tp_error_private.h"
#include "common/tp_idle_strategy.h"

static void test_parse_names(void **state)
{
    tp_idle_kind_t kind;
    assert_int_equal(0, tp_idle_strategy_parse("backoff", &kind));
    assert_int_equal(TP_IDLE_BACKOFF, kind);
    assert_int_equal(0, tp_idle_strategy_parse("spin", &kind));
    assert_int_equal(TP_IDLE_BUSY_SPIN, kind);
    assert_int_equal(-1, tp_idle_strategy_parse("lazy", &kind));
    assert_int_equal(EINVAL, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "lazy"));
}

static void test_backoff_escalates_then_resets_on_work(void **state)
{
    tp_idle_strategy_t s;
    tp_idle_strategy_init(&s, TP_IDLE_BACKOFF);
    tp_idle_strategy_set_park_ns(&s, 1000, 8000);
    for (int i = 0; i < 10; i++)
    {
        tp_idle_strategy_idle(&s, 0);
    }
    assert_int_equal(10, s.spins);
    assert_int_equal(0, s.yields);
    for (int i = 0; i < 5; i++)
    {
        tp_idle_strategy_idle(&s, 0);
    }
    assert_int_equal(5, s.yields);
    tp_idle_strategy_idle(&s, 0);
    assert_int_equal(2000, s.park_ns);
    for (int i = 0; i < 5; i++)
    {
        tp_idle_strategy_idle(&s, 0);
    }
    assert_int_equal(8000, s.park_ns); /* capped at the maximum */
    tp_idle_strategy_idle(&s, 3);
    assert_int_equal(0, s.spins);
    assert_int_equal(0, s.yields);
    assert_int_equal(1000, s.park_ns);
}

static void test_sleep_parks(void **state)
{
    tp_idle_strategy_t s;
    tp_idle_strategy_init(&s, TP_IDLE_SLEEP);
    tp_idle_strategy_set_park_ns(&s, 2000000, 2000000);
    uint64_t start = tp_clock_monotonic_ns();
    tp_idle_strategy_idle(&s, 0);
    assert_true(tp_clock_monotonic_ns() - start >= 2000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_backoff_escalates_then_resets_on_work),
        cmocka_unit_test(test_sleep_parks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
