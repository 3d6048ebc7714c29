/*
 * tp_top over real processes: the media driver, a producer at 100 Hz and two consumers, one of them made slow (it is
 * stopped and continued with SIGSTOP/SIGCONT, so its slots are recycled under it). `tp_top --once --json` gathers
 * for a few seconds; its JSON, read by python3's json module, must show one stream with two consumers, a frame rate
 * near the producer's, MiB/s that match the frame size exactly, and drops that agree with each consumer's own final
 * counts. Then the text view, and a stale stream (producer gone) giving exit status 1.
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

#define FRAME_BYTES 8192.0 /* 64x64 uint16 */

static int top_setup(void **state)
{
    return apps_scratch_setup(state, "tp-test-top");
}

static int top_teardown(void **state)
{
    return apps_scratch_teardown(state);
}

typedef struct top_summary_stct
{
    int streams;
    int consumers;
    double fps;
    double mib;
    unsigned long long drops[2]; /* consumers 31 and 32: gap + late */
    int stale;
    int healthy;
    char mode[2][16];
} top_summary_t;

/* The fields the test checks, extracted from tp_top's JSON by a real JSON parser. */
static void top_parse(const char *dir, const char *json_path, top_summary_t *out)
{
    char py_out[300];
    snprintf(py_out, sizeof(py_out), "%s/python.txt", dir);
    char command[1200];
    snprintf(command, sizeof(command),
             "python3 -c 'import json,sys\n"
             "d=json.load(open(sys.argv[1]))\n"
             "s=d[\"streams\"][0]\n"
             "c={x[\"consumer_id\"]:x for x in s[\"consumers\"]}\n"
             "print(len(d[\"streams\"]), s[\"consumer_count\"], s[\"frames_per_s\"], s[\"mib_per_s\"],\n"
             "      c[31][\"drops_gap\"]+c[31][\"drops_late\"], c[32][\"drops_gap\"]+c[32][\"drops_late\"],\n"
             "      int(s[\"stale\"]), int(d[\"healthy\"]), c[31][\"mode\"], c[32][\"mode\"])' '%s'",
             json_path);
    const char *argv[] = {"/bin/sh", "-c", command, NULL};
    pid_t python = apps_process_spawn(argv, NULL, py_out);
    assert_true(python > 0);
    assert_int_equal(0, apps_process_wait(python, 60000));
    char *text = apps_file_read(py_out);
    assert_non_null(text);
    fprintf(stderr, "tp_top summary: %s", text);
    assert_int_equal(10, sscanf(text, "%d %d %lf %lf %llu %llu %d %d %15s %15s", &out->streams, &out->consumers,
                                &out->fps, &out->mib, &out->drops[0], &out->drops[1], &out->stale, &out->healthy,
                                out->mode[0], out->mode[1]));
    free(text);
}

static void consumer_summary(const char *dir, const char *name, tp_app_summary_t *summary)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *text = apps_file_read(path);
    assert_non_null(text);
    fprintf(stderr, "%s: %s\n", name, text);
    assert_true(apps_summary_parse(text, summary));
    free(text);
}

static void test_top_producer_two_consumers(void **state)
{
    const char *dir = *state;
    char aeron_dir[300], shm_dir[300], out_driver[300], out_producer[300], out_c1[300], out_c2[300];
    char top_json[300], top_err[300];
    snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", dir);
    snprintf(shm_dir, sizeof(shm_dir), "%s/shm", dir);
    snprintf(out_driver, sizeof(out_driver), "%s/driver.txt", dir);
    snprintf(out_producer, sizeof(out_producer), "%s/producer.txt", dir);
    snprintf(out_c1, sizeof(out_c1), "%s/c1.txt", dir);
    snprintf(out_c2, sizeof(out_c2), "%s/c2.txt", dir);
    snprintf(top_json, sizeof(top_json), "%s/top.json", dir);
    snprintf(top_err, sizeof(top_err), "%s/top.err", dir);

    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_THREADING_MODE=SHARED",
                         "AERON_IPC_TERM_BUFFER_LENGTH=1m", NULL};
    const char *driver_argv[] = {TP_MEDIADRIVER_BIN, NULL};
    pid_t driver = apps_process_spawn(driver_argv, env, out_driver);
    assert_true(driver > 0);
    apps_sleep_ms(500);

    const char *c1_argv[] = {TP_EXAMPLE_CONSUMER_BIN, "-p", aeron_dir,    "--shm-dir", shm_dir, "--shape", "64x64",
                             "--consumer-id",         "31", "--duration", "60",        NULL};
    const char *c2_argv[] = {TP_EXAMPLE_CONSUMER_BIN, "-p", aeron_dir,    "--shm-dir", shm_dir, "--shape", "64x64",
                             "--consumer-id",         "32", "--duration", "60",        NULL};
    const char *producer_argv[] = {TP_EXAMPLE_PRODUCER_BIN,
                                   "-p",
                                   aeron_dir,
                                   "--shm-dir",
                                   shm_dir,
                                   "--shape",
                                   "64x64",
                                   "--rate",
                                   "100",
                                   "--slots",
                                   "8",
                                   "--wait-consumers",
                                   "2",
                                   "--duration",
                                   "60",
                                   NULL};
    pid_t c1 = apps_process_spawn(c1_argv, NULL, out_c1);
    pid_t c2 = apps_process_spawn(c2_argv, NULL, out_c2);
    pid_t producer = apps_process_spawn(producer_argv, NULL, out_producer);
    assert_true(c1 > 0 && c2 > 0 && producer > 0);
    apps_sleep_ms(3000); /* hellos (1 s cadence), then streaming */

    const char *top_argv[] = {TP_TOP_BIN, "-p", aeron_dir, "--once", "--json", "--duration", "3", NULL};
    const char *tool_env[] = {"ASAN_OPTIONS=exitcode=99", "UBSAN_OPTIONS=exitcode=99:print_stacktrace=1", NULL};
    pid_t top = apps_process_spawn_io(top_argv, tool_env, top_json, top_err);
    assert_true(top > 0);
    /* The slow consumer: stopped most of the time while tp_top gathers (an 8-slot ring lasts 80 ms at 100 Hz). */
    for (int i = 0; i < 7; i++)
    {
        kill(c2, SIGSTOP);
        apps_sleep_ms(300);
        kill(c2, SIGCONT);
        apps_sleep_ms(150);
    }
    int top_status = apps_process_wait(top, 30000);
    char *json = apps_file_read(top_json);
    char *err = apps_file_read(top_err);
    assert_non_null(json);
    assert_non_null(err);
    fprintf(stderr, "tp_top: %s%s", json, err);
    assert_int_equal(0, top_status);
    assert_null(strstr(err, "Sanitizer"));
    assert_null(strstr(err, "runtime error"));

    top_summary_t s;
    top_parse(dir, top_json, &s);
    assert_int_equal(1, s.streams);
    assert_int_equal(2, s.consumers);
    assert_int_equal(0, s.stale);
    assert_int_equal(1, s.healthy);
    assert_string_equal("STREAM", s.mode[0]);
    assert_string_equal("STREAM", s.mode[1]);
    /* 100 Hz from the descriptors and QoS, with room for a loaded machine; the size per frame is exact. */
    assert_true(s.fps > 50.0 && s.fps < 130.0);
    double bytes_per_frame = s.mib * 1048576.0 / s.fps;
    assert_true(bytes_per_frame > FRAME_BYTES * 0.98 && bytes_per_frame < FRAME_BYTES * 1.02);

    /* The text view, not a tty: a plain block with both consumers. */
    const char *text_argv[] = {TP_TOP_BIN, "-p", aeron_dir, "--once", "--duration", "1.5", NULL};
    apps_tool_result_t text = apps_tool_run(dir, "top-text", text_argv);
    assert_int_equal(0, text.status);
    assert_non_null(strstr(text.out, "STREAM   PRODUCER  EPOCH"));
    assert_non_null(strstr(text.out, "  consumer 31 "));
    assert_non_null(strstr(text.out, "  consumer 32 "));
    assert_null(strstr(text.out, "\033["));
    apps_tool_result_free(&text);

    /* The producer gone, the consumers still talking: the stream is stale, exit 1. */
    apps_process_stop(producer);
    const char *stale_argv[] = {TP_TOP_BIN,   "-p",  aeron_dir,    "--once", "--json",
                                "--duration", "1.5", "--stale-ms", "1000",   NULL};
    apps_tool_result_t stale = apps_tool_run(dir, "top-stale", stale_argv);
    assert_int_equal(1, stale.status);
    assert_non_null(strstr(stale.out, "\"stale\":true"));
    assert_non_null(strstr(stale.out, "\"healthy\":false"));
    apps_tool_result_free(&stale);

    apps_process_stop(c1);
    apps_process_stop(c2);
    /* Drops as reported agree with the consumers' own counts, which only grow: none invented, the slow one's seen. */
    tp_app_summary_t sum1, sum2;
    consumer_summary(dir, "c1.txt", &sum1);
    consumer_summary(dir, "c2.txt", &sum2);
    assert_true(s.drops[0] <= sum1.drops_gap + sum1.drops_late);
    assert_true(s.drops[1] <= sum2.drops_gap + sum2.drops_late);
    assert_true(s.drops[1] > 0);
    assert_int_equal(0, sum1.bad);
    assert_int_equal(0, sum2.bad);
    apps_process_stop(driver);
    free(json);
    free(err);
}

/* Nobody on the streams (only garbage): nothing found, exit 1; a bad option: exit 2. */
static void test_top_nothing_and_usage(void **state)
{
    const char *dir = *state;
    char aeron_dir[300], out_driver[300];
    snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", dir);
    snprintf(out_driver, sizeof(out_driver), "%s/driver.txt", dir);
    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", NULL};
    const char *driver_argv[] = {TP_MEDIADRIVER_BIN, NULL};
    pid_t driver = apps_process_spawn(driver_argv, env, out_driver);
    assert_true(driver > 0);
    apps_sleep_ms(500);
    /* Garbage on the control stream meanwhile: counted as ignored, never a stream, never a crash. */
    char top_out[300], top_err[300], out_pub[300];
    snprintf(top_out, sizeof(top_out), "%s/top-none.out", dir);
    snprintf(top_err, sizeof(top_err), "%s/top-none.err", dir);
    snprintf(out_pub, sizeof(out_pub), "%s/pub.txt", dir);
    const char *none_argv[] = {TP_TOP_BIN, "-p", aeron_dir, "--once", "--json", "--duration", "2.5", NULL};
    const char *tool_env[] = {"ASAN_OPTIONS=exitcode=99", "UBSAN_OPTIONS=exitcode=99:print_stacktrace=1", NULL};
    pid_t top = apps_process_spawn_io(none_argv, tool_env, top_out, top_err);
    assert_true(top > 0);
    apps_sleep_ms(1000);
    const char *pub_argv[] = {TP_AERON_PUB_BIN, "-p", aeron_dir, "-s", "1000", "-m", "5", "-i", "50ms", NULL};
    pid_t pub = apps_process_spawn(pub_argv, NULL, out_pub);
    assert_true(pub > 0);
    assert_int_equal(0, apps_process_wait(pub, 30000));
    assert_int_equal(1, apps_process_wait(top, 30000));
    char *out = apps_file_read(top_out);
    char *err = apps_file_read(top_err);
    assert_true(NULL != out && NULL != err);
    fprintf(stderr, "%s%s", out, err);
    assert_non_null(strstr(out, "\"streams\":[]"));
    assert_non_null(strstr(out, "\"messages\":5,\"ignored\":5,"));
    assert_null(strstr(err, "Sanitizer"));
    assert_null(strstr(err, "runtime error"));
    free(out);
    free(err);
    apps_tool_result_t r;
    const char *bad_argv[] = {TP_TOP_BIN, "--interval", "soon", NULL};
    r = apps_tool_run(dir, "top-bad", bad_argv);
    assert_int_equal(2, r.status);
    assert_non_null(strstr(r.err, "--interval"));
    apps_tool_result_free(&r);
    apps_process_stop(driver);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_top_producer_two_consumers, top_setup, top_teardown),
        cmocka_unit_test_setup_teardown(test_top_nothing_and_usage, top_setup, top_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
