/*
 * tp_mediadriver (or $TP_TEST_AERON_DRIVER) + tp_example_producer + two tp_example_consumer processes: the
 * consumer that expects what is sent (its Aeron client on an agent thread) verifies every frame it is handed;
 * the one that expects another dtype (on a per-consumer descriptor stream) reports bad frames and fails, which
 * shows the verification can fail. The SHM base dir and its parent do not exist yet, as on a fresh machine, and
 * the consumers start before the producer: whoever comes first creates them, mode 0700; the producer's clean
 * close leaves the base dir empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apps_test_process.h"

/* The scratch dir goes in teardown, so a failed assertion leaves nothing behind in /dev/shm either. */
static int examples_setup(void **state)
{
    return apps_scratch_setup(state, "tp-test-examples");
}

static int examples_teardown(void **state)
{
    return apps_scratch_teardown(state);
}

static void test_driver_producer_consumers(void **state)
{
    const char *dir = *state;
    char aeron_dir[300];
    char shm_parent[300];
    char shm_dir[320];
    char out_driver[300];
    char out_producer[300];
    char out_good[300];
    char out_wrong[300];
    snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", dir);
    snprintf(shm_parent, sizeof(shm_parent), "%s/fresh", dir);
    snprintf(shm_dir, sizeof(shm_dir), "%s/tensorpool", shm_parent);
    snprintf(out_driver, sizeof(out_driver), "%s/driver.txt", dir);
    snprintf(out_producer, sizeof(out_producer), "%s/producer.txt", dir);
    snprintf(out_good, sizeof(out_good), "%s/good.txt", dir);
    snprintf(out_wrong, sizeof(out_wrong), "%s/wrong.txt", dir);
    struct stat st;
    assert_int_not_equal(stat(shm_parent, &st), 0);

    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_THREADING_MODE=SHARED", NULL};
    /* Our driver, or the one TP_TEST_AERON_DRIVER names (e.g. the official aeronmd), as the aeron tests do. */
    const char *driver_bin = getenv("TP_TEST_AERON_DRIVER");
    const bool other_driver = NULL != driver_bin && '\0' != driver_bin[0];
    const char *driver_argv[] = {other_driver ? driver_bin : TP_MEDIADRIVER_BIN, NULL};
    pid_t driver = apps_process_spawn(driver_argv, env, out_driver);
    assert_true(driver > 0);

    /* The examples find the driver through -p (the consumers) and AERON_DIR (the producer). */
    const char *good_argv[] = {
        TP_EXAMPLE_CONSUMER_BIN, "-p", aeron_dir,  "--shm-dir", shm_dir,      "--shape", "240x320", "--dtype", "uint16",
        "--consumer-id",         "5",  "--frames", "50",        "--duration", "60",      "--agent", "-v",      NULL};
    const char *wrong_argv[] = {TP_EXAMPLE_CONSUMER_BIN,
                                "-p",
                                aeron_dir,
                                "--shm-dir",
                                shm_dir,
                                "--shape",
                                "240x320",
                                "--dtype",
                                "int16",
                                "--consumer-id",
                                "6",
                                "--frames",
                                "10",
                                "--duration",
                                "60",
                                "--own-stream",
                                NULL};
    const char *producer_argv[] = {
        TP_EXAMPLE_PRODUCER_BIN, "--shm-dir", shm_dir,    "--shape", "240x320", "--dtype",    "uint16", "--rate", "100",
        "--wait-consumers",      "2",         "--frames", "400",     "--offer", "--duration", "60",     NULL};
    pid_t good = apps_process_spawn(good_argv, NULL, out_good);
    pid_t wrong = apps_process_spawn(wrong_argv, NULL, out_wrong);
    pid_t producer = apps_process_spawn(producer_argv, env, out_producer);
    assert_true(good > 0 && wrong > 0 && producer > 0);

    /* The producer streams until both consumers have what they asked for, however slow the machine is. */
    int good_status = apps_process_wait(good, 60000);
    int wrong_status = apps_process_wait(wrong, 60000);
    kill(producer, SIGINT);
    int producer_status = apps_process_wait(producer, 20000);
    kill(driver, SIGINT); /* both drivers shut down cleanly on Ctrl-C */
    int driver_status = apps_process_wait(driver, 20000);

    char *good_text = apps_file_read(out_good);
    char *wrong_text = apps_file_read(out_wrong);
    char *producer_text = apps_file_read(out_producer);
    assert_non_null(good_text);
    assert_non_null(wrong_text);
    assert_non_null(producer_text);
    fprintf(stderr, "producer:\n%s\nconsumer:\n%s\nwrong-dtype consumer:\n%s\n", producer_text, good_text, wrong_text);

    assert_int_equal(producer_status, 0);
    unsigned long long sent = 0;
    const char *report = strstr(producer_text, "sent=");
    assert_non_null(report);
    assert_int_equal(sscanf(report, "sent=%llu", &sent), 1);
    assert_true(sent >= 50);
    assert_int_equal(good_status, 0);
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(good_text, &summary));
    assert_int_equal(summary.received, 50);
    assert_int_equal(summary.bad, 0);
    assert_true(summary.verified > 0);
    /* Every received frame is verified unless it was recycled under the read, which counts as late. */
    assert_true(summary.received - summary.verified <= summary.drops_late);

    assert_int_equal(wrong_status, 1);
    assert_true(apps_summary_parse(wrong_text, &summary));
    assert_int_equal(summary.received, 10);
    assert_true(summary.bad > 0);
    assert_int_equal(summary.verified, 0);

    /* Ours exits 0; the official aeronmd exits with the signal's number after its clean shutdown. */
    assert_int_equal(driver_status, other_driver ? SIGINT : 0);
    free(good_text);
    free(wrong_text);
    free(producer_text);
    /* Created private; the producer removed its regions and directories on close; the driver its directory. */
    assert_int_equal(stat(shm_parent, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(stat(shm_dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(rmdir(shm_dir), 0); /* fails unless empty */
    assert_int_not_equal(stat(aeron_dir, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_driver_producer_consumers, examples_setup, examples_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
