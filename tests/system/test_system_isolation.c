/*
 * Issue 13, isolation: three consumers of one stream and one of another, all on the shared Aeron descriptor
 * stream; one is SIGKILLed, one SIGSTOPped, and a fresh producer starts. The healthy consumers must keep
 * accepting nearly every frame (before the fix, the dead and the stopped consumers' tethered subscriptions
 * pinned the shared publication until the driver's 10 s client liveness timeout, and the fresh producer's
 * descriptors were refused for that long), and the stopped one, after SIGCONT, is dropped and rejoins with its
 * losses counted as its own. Counts only: no assertion depends on the machine's speed beyond a generous share.
 * The same runs against an official aeronmd when one is found ($TP_TEST_AERON_DRIVER, $AERON_MD_PATH, PATH).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "isolation_scenario.h"
#include "system_test_util.h"

static void assert_isolated(const iso_result_t *r)
{
    /* The healthy consumers lose at most 10 % (their mapping of the fresh epoch takes an announce period). */
    assert_true(r->fresh_committed > 0);
    assert_true(r->same_stream.accepted * 10 >= r->same_stream.producer_frames * 8);
    assert_true(r->same_stream.drops_gap * 10 <= r->same_stream.producer_frames);
    assert_true(r->other_stream.producer_frames > 0);
    assert_true(r->other_stream.accepted * 10 >= r->other_stream.producer_frames * 9);
    assert_true(r->other_stream.drops_gap * 10 <= r->other_stream.producer_frames);
    /* Nothing the fresh producer committed was given up for want of a moving subscriber. */
    assert_true(r->fresh_dropped_reused * 10 <= r->fresh_committed);
    /* The stopped consumer resumes on the fresh producer's epoch; it was dropped and rejoined meanwhile. */
    assert_true(r->resumed_mapped);
    assert_true(r->resumed_accepted > 0);
    assert_true(r->resumed_images_unavailable >= 1);
    assert_true(r->resumed_images_available > r->resumed_images_unavailable - 1);
}

static void run_and_check(const char *driver_path)
{
    const iso_options_t options = {.driver_path = driver_path,
                                   .tether = false,
                                   .rate_hz = 2000,
                                   .phase_seconds = 4,
                                   .term_length = "1m",
                                   .verbose = true};
    iso_result_t result;
    assert_int_equal(iso_scenario_run(&options, &result), 0);
    assert_isolated(&result);
}

static void test_dead_and_stopped_consumers_do_not_stall_others(void **state)
{
    (void)state;
    run_and_check(NULL);
}

static void test_same_against_official_aeronmd(void **state)
{
    (void)state;
    const char *official = iso_official_driver();
    if (NULL == official)
    {
        fprintf(stderr, "no official aeronmd (TP_TEST_AERON_DRIVER, AERON_MD_PATH or aeronmd on PATH): skipped\n");
        skip();
        return;
    }
    run_and_check(official);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_and_stopped_consumers_do_not_stall_others),
        cmocka_unit_test(test_same_against_official_aeronmd),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
