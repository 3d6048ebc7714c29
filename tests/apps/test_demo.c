/*
 * tp_demo end to end: three real processes (embedded driver in the parent, forked producer and consumer), the
 * summary line, clean shutdown on SIGINT, and the temp dirs gone afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apps_test_process.h"

typedef struct demo_fixture_stct
{
    char dir[256];
    char out[300];
} demo_fixture_t;

static int demo_setup(void **state)
{
    demo_fixture_t *f = calloc(1, sizeof(*f));
    if (NULL == f || apps_temp_dir(f->dir, sizeof(f->dir), "tp-test-demo") < 0)
    {
        free(f);
        return -1;
    }
    snprintf(f->out, sizeof(f->out), "%s/stdout.txt", f->dir);
    *state = f;
    return 0;
}

static int demo_teardown(void **state)
{
    demo_fixture_t *f = *state;
    apps_temp_dir_remove(f->dir);
    free(f);
    return 0;
}

/* The demo names its temp root in "shared memory in <root>/shm": that root must be gone after exit. */
static void assert_demo_dirs_removed(const char *text)
{
    const char *marker = strstr(text, "shared memory in ");
    assert_non_null(marker);
    char root[256];
    assert_int_equal(sscanf(marker, "shared memory in %255s", root), 1);
    char *slash = strrchr(root, '/');
    assert_non_null(slash);
    *slash = '\0';
    assert_non_null(strstr(root, "/dev/shm/tp-demo-"));
    struct stat st;
    assert_int_not_equal(stat(root, &st), 0);
}

static void test_demo_streams_and_verifies(void **state)
{
    demo_fixture_t *f = *state;
    const char *argv[] = {TP_DEMO_BIN, "--duration", "3", "--idle", "backoff", NULL};
    pid_t pid = apps_process_spawn(argv, NULL, f->out);
    assert_true(pid > 0);
    assert_int_equal(apps_process_wait(pid, 60000), 0);

    char *text = apps_file_read(f->out);
    assert_non_null(text);
    tp_app_summary_t summary;
    if (!apps_summary_parse(text, &summary))
    {
        fprintf(stderr, "demo output:\n%s\n", text);
        fail_msg("the demo's last line is not the summary line");
    }
    assert_true(summary.received > 0);
    assert_int_equal(summary.bad, 0);
    assert_true(summary.verified > 0);
    assert_true(summary.verified <= summary.received);
    assert_true(summary.received - summary.verified <= summary.drops_late);
    /* A status line once a second, and the producer's own report. */
    assert_non_null(strstr(text, "frames/s"));
    assert_non_null(strstr(text, "latency p50"));
    assert_non_null(strstr(text, "producer: committed="));
    assert_demo_dirs_removed(text);
    free(text);
}

static void test_demo_stops_cleanly_on_sigint(void **state)
{
    demo_fixture_t *f = *state;
    const char *argv[] = {TP_DEMO_BIN, "--duration", "120", "--idle", "backoff", "--shape", "480x640", NULL};
    pid_t pid = apps_process_spawn(argv, NULL, f->out);
    assert_true(pid > 0);
    /* Interrupt once frames are flowing (a status line has been printed). */
    const int64_t deadline = apps_now_ms() + 30000;
    bool streaming = false;
    while (!streaming && apps_now_ms() < deadline)
    {
        apps_sleep_ms(50);
        char *text = apps_file_read(f->out);
        streaming = NULL != text && NULL != strstr(text, "frames/s");
        free(text);
    }
    assert_true(streaming);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(apps_process_wait(pid, 30000), 0);

    char *text = apps_file_read(f->out);
    assert_non_null(text);
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(text, &summary));
    assert_true(summary.received > 0);
    assert_int_equal(summary.bad, 0);
    assert_demo_dirs_removed(text);
    free(text);
}

/* The verification is real: frames corrupted on purpose are reported bad, and the demo fails. */
static void test_demo_reports_corrupted_frames(void **state)
{
    demo_fixture_t *f = *state;
    const char *argv[] = {TP_DEMO_BIN,       "--duration", "1",       "--idle",  "backoff",
                          "--corrupt-every", "5",          "--shape", "240x320", NULL};
    pid_t pid = apps_process_spawn(argv, NULL, f->out);
    assert_true(pid > 0);
    assert_int_equal(apps_process_wait(pid, 60000), 1);
    char *text = apps_file_read(f->out);
    assert_non_null(text);
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(text, &summary));
    assert_true(summary.received >= 5);
    assert_true(summary.bad > 0);
    /* Every 5th frame (seq 4, 9, ...) was corrupted, and only those: the rest verify. */
    assert_true(summary.bad <= summary.received / 5 + 1);
    assert_true(summary.verified > 0);
    assert_demo_dirs_removed(text);
    free(text);
}

static void test_demo_rejects_bad_options(void **state)
{
    demo_fixture_t *f = *state;
    const char *shape[] = {TP_DEMO_BIN, "--shape", "0x5", NULL};
    assert_int_equal(apps_process_wait(apps_process_spawn(shape, NULL, f->out), 10000), 2);
    const char *slots[] = {TP_DEMO_BIN, "--slots", "12", NULL};
    assert_int_equal(apps_process_wait(apps_process_spawn(slots, NULL, f->out), 10000), 2);
    const char *extra[] = {TP_DEMO_BIN, "surprise", NULL};
    assert_int_equal(apps_process_wait(apps_process_spawn(extra, NULL, f->out), 10000), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_demo_streams_and_verifies, demo_setup, demo_teardown),
        cmocka_unit_test_setup_teardown(test_demo_stops_cleanly_on_sigint, demo_setup, demo_teardown),
        cmocka_unit_test_setup_teardown(test_demo_reports_corrupted_frames, demo_setup, demo_teardown),
        cmocka_unit_test_setup_teardown(test_demo_rejects_bad_options, demo_setup, demo_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
