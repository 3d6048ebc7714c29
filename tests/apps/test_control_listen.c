/*
 * tp_control_listen as a real process, over tp_mediadriver with tp_example_producer and tp_example_consumer:
 * --json --count N prints N lines, every one valid JSON (checked by python3's json module in a child), and the
 * announce, descriptor, hello and producer QoS messages all show up decoded. Text "Hello World! n" published raw
 * on the control stream by tp_aeron_pub is shown as an unknown message and the listener keeps going.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "apps_test_process.h"
#include "apps_tool_run.h"

#define LISTEN_COUNT "400"

static int listen_setup(void **state)
{
    return apps_scratch_setup(state, "tp-test-listen");
}

static int listen_teardown(void **state)
{
    return apps_scratch_teardown(state);
}

static void test_listen_live(void **state)
{
    const char *dir = *state;
    char aeron_dir[300], shm_dir[300], out_driver[300], out_listen[300], err_listen[300], out_producer[300],
        out_consumer[300], out_pub[300], out_python[300];
    snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", dir);
    snprintf(shm_dir, sizeof(shm_dir), "%s/shm", dir);
    snprintf(out_driver, sizeof(out_driver), "%s/driver.txt", dir);
    snprintf(out_listen, sizeof(out_listen), "%s/listen.jsonl", dir);
    snprintf(err_listen, sizeof(err_listen), "%s/listen.err", dir);
    snprintf(out_producer, sizeof(out_producer), "%s/producer.txt", dir);
    snprintf(out_consumer, sizeof(out_consumer), "%s/consumer.txt", dir);
    snprintf(out_pub, sizeof(out_pub), "%s/pub.txt", dir);
    snprintf(out_python, sizeof(out_python), "%s/python.txt", dir);

    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_THREADING_MODE=SHARED", NULL};
    const char *listen_env[] = {env_dir, "ASAN_OPTIONS=exitcode=99", "UBSAN_OPTIONS=exitcode=99:print_stacktrace=1",
                                NULL};
    const char *driver_argv[] = {TP_MEDIADRIVER_BIN, NULL};
    pid_t driver = apps_process_spawn(driver_argv, env, out_driver);
    assert_true(driver > 0);

    /* The listener through AERON_DIR (its -p is exercised by the garbage publisher's twin option). */
    const char *listen_argv[] = {TP_CONTROL_LISTEN_BIN, "--json", "--count", LISTEN_COUNT, "--duration", "90", NULL};
    pid_t listener = -1;
    /* The media driver may not have created its CnC file yet: retry the listener until it stays up. */
    int64_t deadline = apps_now_ms() + 30000;
    for (;;)
    {
        listener = apps_process_spawn_io(listen_argv, listen_env, out_listen, err_listen);
        assert_true(listener > 0);
        apps_sleep_ms(500);
        int raw = 0;
        if (0 == waitpid(listener, &raw, WNOHANG))
        {
            break; /* still running: connected */
        }
        assert_true(apps_now_ms() < deadline);
    }

    /* Garbage first: raw text on the control stream, sent while the listener is subscribed. */
    const char *pub_argv[] = {TP_AERON_PUB_BIN, "-p", aeron_dir, "-s", "1000", "-m", "5", "-i", "50ms", NULL};
    pid_t pub = apps_process_spawn(pub_argv, NULL, out_pub);
    assert_true(pub > 0);
    assert_int_equal(apps_process_wait(pub, 30000), 0);

    const char *consumer_argv[] = {TP_EXAMPLE_CONSUMER_BIN,
                                   "-p",
                                   aeron_dir,
                                   "--shm-dir",
                                   shm_dir,
                                   "--shape",
                                   "64x64",
                                   "--frames",
                                   "1000",
                                   "--duration",
                                   "90",
                                   NULL};
    const char *producer_argv[] = {
        TP_EXAMPLE_PRODUCER_BIN, "--shm-dir", shm_dir,      "--shape", "64x64", "--rate", "100",
        "--wait-consumers",      "1",         "--duration", "90",      NULL};
    pid_t consumer = apps_process_spawn(consumer_argv, NULL, out_consumer);
    pid_t producer = apps_process_spawn(producer_argv, env, out_producer);
    assert_true(consumer > 0 && producer > 0);

    int listen_status = apps_process_wait(listener, 100000);

    /* A stream nobody publishes on: nothing printed, exit 1. A bad option: one line on stderr, exit 2. */
    const char *quiet_argv[] = {TP_CONTROL_LISTEN_BIN, "--stream-id", "4242", "--duration", "0.5", NULL};
    pid_t quiet = apps_process_spawn_io(quiet_argv, listen_env, out_python, out_python);
    assert_true(quiet > 0);
    assert_int_equal(apps_process_wait(quiet, 30000), 1);
    const char *bad_argv[] = {TP_CONTROL_LISTEN_BIN, "--count", "x", NULL};
    pid_t bad = apps_process_spawn_io(bad_argv, listen_env, out_python, out_python);
    assert_true(bad > 0);
    assert_int_equal(apps_process_wait(bad, 30000), 2);
    char *bad_text = apps_file_read(out_python);
    assert_non_null(bad_text);
    assert_string_equal(bad_text, "tp_control_listen: --count 'x': expected a positive integer\n");
    free(bad_text);
    apps_process_stop(producer);
    apps_process_stop(consumer);
    apps_process_stop(driver);

    char *out = apps_file_read(out_listen);
    char *err = apps_file_read(err_listen);
    assert_non_null(out);
    assert_non_null(err);
    fprintf(stderr, "listener stderr: %s\nfirst lines:\n%.2000s\n", err, out);
    assert_int_equal(listen_status, 0);
    assert_int_equal(apps_count_occurrences(out, "\n"), atoi(LISTEN_COUNT));

    /* Every line is JSON, as a real JSON parser sees it. */
    char command[900];
    snprintf(command, sizeof(command),
             "python3 -c 'import json,sys; n=[json.loads(l) for l in sys.stdin]; print(len(n))' < '%s'", out_listen);
    const char *python_argv[] = {"/bin/sh", "-c", command, NULL};
    pid_t python = apps_process_spawn(python_argv, NULL, out_python);
    assert_true(python > 0);
    assert_int_equal(apps_process_wait(python, 60000), 0);
    char *python_out = apps_file_read(out_python);
    assert_non_null(python_out);
    assert_int_equal(atoi(python_out), atoi(LISTEN_COUNT));
    free(python_out);

    assert_non_null(strstr(out, "\"message\":\"ShmPoolAnnounce\""));
    assert_non_null(strstr(out, "\"message\":\"FrameDescriptor\""));
    assert_non_null(strstr(out, "\"message\":\"ConsumerHello\""));
    assert_non_null(strstr(out, "\"message\":\"QosProducer\""));
    assert_non_null(strstr(out, "\"stream_id\":1100,"));
    /* The payload pools group and the var-data URI of the announce are decoded too. */
    assert_non_null(strstr(out, "\"payloadPools\":[{\"poolId\":"));
    assert_non_null(strstr(out, "\"headerRegionUri\":\"shm:file?path="));
    /* The garbage: shown as unknown, and decoded messages follow it (the listener kept going). */
    const char *garbage = strstr(out, "\"status\":\"UNKNOWN\"");
    assert_non_null(garbage);
    assert_non_null(strstr(garbage, "\"status\":\"OK\""));
    assert_null(strstr(err, "Sanitizer"));
    assert_null(strstr(err, "runtime error"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_listen_live, listen_setup, listen_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
