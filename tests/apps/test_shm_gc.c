/*
 * tp_shm_gc as a real process. Two tp_example_producer processes over tp_mediadriver write regions in the same
 * base dir; one is SIGKILLed. After its activity is older than --stale-ms: the dry run lists exactly the dead
 * producer's two regions (exit 1) and deletes nothing; --delete removes exactly those (and their emptied epoch
 * and instance dirs); the live producer's regions, a symlink planted in the base dir and the directory it points
 * to are left alone. A base dir that is a symlink is refused.
 */
#include <glob.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "apps_test_process.h"
#include "apps_tool_run.h"
#include "common/tp_clock.h"
#include "shm/tp_superblock.h"

static int gc_setup(void **state)
{
    return apps_scratch_setup(state, "tp-test-gc");
}

static int gc_teardown(void **state)
{
    return apps_scratch_teardown(state);
}

typedef apps_tool_result_t gc_result_t;

static gc_result_t gc_run(const char *dir, const char *a0, const char *a1, const char *a2, const char *a3,
                          const char *a4)
{
    const char *argv[] = {TP_SHM_GC_BIN, a0, a1, a2, a3, a4, NULL};
    return apps_tool_run(dir, "gc", argv);
}

static void gc_result_free(gc_result_t *r)
{
    apps_tool_result_free(r);
}

/* Waits for <shm>/<ns>/<instance>/epoch-<E>/header.ring and returns that epoch dir in out. */
static void wait_epoch_dir(const char *shm_dir, char *out, size_t length)
{
    char pattern[400];
    snprintf(pattern, sizeof(pattern), "%s/*/*/epoch-*/header.ring", shm_dir);
    int64_t deadline = apps_now_ms() + 60000;
    out[0] = '\0';
    while ('\0' == out[0])
    {
        assert_true(apps_now_ms() < deadline);
        glob_t g;
        if (0 == glob(pattern, 0, NULL, &g) && 1 == g.gl_pathc)
        {
            snprintf(out, length, "%s", g.gl_pathv[0]);
            *strrchr(out, '/') = '\0';
        }
        globfree(&g);
        apps_sleep_ms(20);
    }
}

static bool exists(const char *path)
{
    struct stat st;
    return 0 == lstat(path, &st);
}

static void test_gc_dead_producer(void **state)
{
    const char *dir = *state;
    char aeron_dir[300], base[300], out_driver[300], out_dead[300], out_live[300], dead_epoch[400], live_epoch[400],
        path[600], outside[300];
    live_epoch[0] = '\0';
    snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", dir);
    snprintf(base, sizeof(base), "%s/shm", dir);
    snprintf(out_driver, sizeof(out_driver), "%s/driver.txt", dir);
    snprintf(out_dead, sizeof(out_dead), "%s/dead.txt", dir);
    snprintf(out_live, sizeof(out_live), "%s/live.txt", dir);
    snprintf(outside, sizeof(outside), "%s/outside", dir);

    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_THREADING_MODE=SHARED", NULL};
    const char *driver_argv[] = {TP_MEDIADRIVER_BIN, NULL};
    pid_t driver = apps_process_spawn(driver_argv, env, out_driver);
    assert_true(driver > 0);

    /* The doomed producer first, alone in the base dir, so its instance is the only one at first. */
    const char *dead_argv[] = {
        TP_EXAMPLE_PRODUCER_BIN, "--shm-dir", base, "--producer-id", "7", "--shape", "16x16", "--duration", "90", NULL};
    pid_t dead = apps_process_spawn(dead_argv, env, out_dead);
    assert_true(dead > 0);
    wait_epoch_dir(base, dead_epoch, sizeof(dead_epoch));
    kill(dead, SIGKILL);
    assert_int_equal(apps_process_wait(dead, 10000), 128 + SIGKILL);

    const char *live_argv[] = {
        TP_EXAMPLE_PRODUCER_BIN, "--shm-dir", base, "--producer-id", "8", "--shape", "16x16", "--duration", "90", NULL};
    pid_t live = apps_process_spawn(live_argv, env, out_live);
    assert_true(live > 0);
    char pattern[400];
    snprintf(pattern, sizeof(pattern), "%s/*/*/epoch-*/header.ring", base);
    int64_t deadline = apps_now_ms() + 60000;
    for (;;)
    {
        glob_t g;
        size_t n = 0 == glob(pattern, 0, NULL, &g) ? g.gl_pathc : 0;
        for (size_t i = 0; i < n && '\0' == live_epoch[0]; i++)
        {
            if (NULL == strstr(g.gl_pathv[i], dead_epoch))
            {
                snprintf(live_epoch, sizeof(live_epoch), "%s", g.gl_pathv[i]);
                *strrchr(live_epoch, '/') = '\0';
            }
        }
        globfree(&g);
        if ('\0' != live_epoch[0])
        {
            break;
        }
        assert_true(apps_now_ms() < deadline);
        apps_sleep_ms(20);
    }

    /* A symlink in the base dir to a directory outside it holding a file named like a region. */
    assert_int_equal(mkdir(outside, 0700), 0);
    snprintf(path, sizeof(path), "%s/header.ring", outside);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not ours", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/evil", base);
    assert_int_equal(symlink(outside, path), 0);
    snprintf(path, sizeof(path), "%s/tensorpool/epoch-99", base);
    assert_int_equal(symlink(outside, path), 0);

    /* The dead producer's activity must be older than --stale-ms 500. */
    apps_sleep_ms(1200);

    gc_result_t r = gc_run(dir, "--base-dir", base, "--stale-ms", "500", NULL);
    fprintf(stderr, "dry run:\n%s%s", r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_int_equal(apps_count_occurrences(r.out, "dead "), 2);
    assert_int_equal(apps_count_occurrences(r.out, dead_epoch), 2);
    assert_null(strstr(r.out, live_epoch));
    assert_non_null(strstr(r.out, "2 found, 0 deleted"));
    gc_result_free(&r);
    snprintf(path, sizeof(path), "%s/header.ring", dead_epoch);
    assert_true(exists(path));

    r = gc_run(dir, "--json", "--base-dir", base, "--stale-ms", "500");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "\"found\":2,\"deleted\":0"));
    gc_result_free(&r);

    r = gc_run(dir, "--delete", "--base-dir", base, "--stale-ms", "500");
    fprintf(stderr, "delete:\n%s%s", r.out, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "2 found, 2 deleted"));
    gc_result_free(&r);
    assert_false(exists(dead_epoch));
    *strrchr(dead_epoch, '/') = '\0';
    assert_false(exists(dead_epoch)); /* the emptied instance dir went too */
    snprintf(path, sizeof(path), "%s/header.ring", live_epoch);
    assert_true(exists(path));
    snprintf(path, sizeof(path), "%s/payload-1.pool", live_epoch);
    assert_true(exists(path));
    snprintf(path, sizeof(path), "%s/evil", base);
    assert_true(exists(path));
    snprintf(path, sizeof(path), "%s/tensorpool/epoch-99", base);
    assert_true(exists(path));
    snprintf(path, sizeof(path), "%s/header.ring", outside);
    assert_true(exists(path));

    /* Nothing left to collect; the live producer is not, even with a tiny --stale-ms. */
    r = gc_run(dir, "--base-dir", base, "--stale-ms", "0", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "0 found"));
    gc_result_free(&r);

    /* A symlinked base dir is refused. */
    snprintf(path, sizeof(path), "%s/base-link", dir);
    assert_int_equal(symlink(base, path), 0);
    r = gc_run(dir, "--base-dir", path, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "symlinks are refused"));
    gc_result_free(&r);

    kill(live, SIGINT);
    assert_int_equal(apps_process_wait(live, 20000), 0);
    kill(driver, SIGINT);
    apps_process_wait(driver, 20000);
}

/* A header ring of 64 bytes: just the superblock, with the given owner and timestamps. */
static void write_region(const char *epoch_dir, uint64_t pid, uint64_t start_ns, uint64_t activity_ns)
{
    assert_int_equal(mkdir(epoch_dir, 0700), 0);
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, 1, 10, 8);
    sb.pid = pid;
    sb.start_timestamp_ns = start_ns;
    sb.activity_timestamp_ns = activity_ns;
    uint8_t bytes[TP_SUPERBLOCK_LENGTH];
    assert_int_equal(tp_superblock_write(bytes, sizeof(bytes), &sb), 0);
    char path[600];
    snprintf(path, sizeof(path), "%s/header.ring", epoch_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, sizeof(bytes), f), sizeof(bytes));
    fclose(f);
}

/*
 * Pid reuse: a region whose pid is held by a process that started after the region was created is dead; the same
 * pid with a region created after that process started is live. The "owner" is a sleeping child of this test.
 */
static void test_gc_pid_reuse(void **state)
{
    const char *dir = *state;
    char base[300], a_dir[400], b_dir[400], epoch[500];
    snprintf(base, sizeof(base), "%s/shm", dir);
    snprintf(a_dir, sizeof(a_dir), "%s/reused", base);
    snprintf(b_dir, sizeof(b_dir), "%s/owner", base);
    assert_int_equal(mkdir(base, 0700), 0);
    assert_int_equal(mkdir(a_dir, 0700), 0);
    assert_int_equal(mkdir(b_dir, 0700), 0);

    uint64_t before_child = tp_clock_monotonic_ns();
    apps_sleep_ms(100); /* more than a clock tick of /proc starttime */
    const char *sleep_argv[] = {"/bin/sleep", "60", NULL};
    char sleep_out[300];
    snprintf(sleep_out, sizeof(sleep_out), "%s/sleep.txt", dir);
    pid_t child = apps_process_spawn(sleep_argv, NULL, sleep_out);
    assert_true(child > 0);
    apps_sleep_ms(100);
    uint64_t after_child = tp_clock_monotonic_ns();

    /* Created before the child existed, idle since: the pid now names someone else. */
    snprintf(epoch, sizeof(epoch), "%s/epoch-1", a_dir);
    write_region(epoch, (uint64_t)child, before_child, before_child);
    /* Created by the child (after it started), idle as long: its owner is alive. */
    snprintf(epoch, sizeof(epoch), "%s/epoch-1", b_dir);
    write_region(epoch, (uint64_t)child, after_child, before_child);

    gc_result_t r = gc_run(dir, "--base-dir", base, "--stale-ms", "10", NULL);
    fprintf(stderr, "pid reuse:\n%s%s", r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_int_equal(apps_count_occurrences(r.out, "dead "), 1);
    assert_non_null(strstr(r.out, "reused/epoch-1/header.ring: owner pid"));
    assert_non_null(strstr(r.out, "pid reused"));
    assert_non_null(strstr(r.out, "1 found, 0 deleted, 1 kept"));
    gc_result_free(&r);

    kill(child, SIGKILL);
    apps_process_wait(child, 10000);
}

/*
 * Superseded epochs: an instance whose owner (this test process) is alive has epoch-1, idle, and epoch-2, fresh.
 * epoch-1 is collected as superseded (and with --delete removed with its dir); epoch-2 and the instance stay.
 */
static void test_gc_superseded(void **state)
{
    const char *dir = *state;
    char base[300], instance[400], old_epoch[500], new_epoch[500], path[600];
    snprintf(base, sizeof(base), "%s/shm", dir);
    snprintf(instance, sizeof(instance), "%s/producer-3", base);
    snprintf(old_epoch, sizeof(old_epoch), "%s/epoch-1", instance);
    snprintf(new_epoch, sizeof(new_epoch), "%s/epoch-2", instance);
    assert_int_equal(mkdir(base, 0700), 0);
    assert_int_equal(mkdir(instance, 0700), 0);
    uint64_t now = tp_clock_monotonic_ns();
    write_region(old_epoch, (uint64_t)getpid(), now, now - 60ULL * 1000000000ULL);
    write_region(new_epoch, (uint64_t)getpid(), now, now + 60ULL * 1000000000ULL);

    gc_result_t r = gc_run(dir, "--base-dir", base, "--stale-ms", "1000", NULL);
    fprintf(stderr, "superseded:\n%s%s", r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "superseded "));
    assert_non_null(strstr(r.out, "epoch-1/header.ring: epoch 1 superseded by 2"));
    assert_non_null(strstr(r.out, "1 found, 0 deleted, 1 kept"));
    gc_result_free(&r);

    r = gc_run(dir, "--delete", "--base-dir", base, "--stale-ms", "1000");
    assert_int_equal(r.status, 0);
    gc_result_free(&r);
    assert_false(exists(old_epoch));
    snprintf(path, sizeof(path), "%s/header.ring", new_epoch);
    assert_true(exists(path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gc_dead_producer, gc_setup, gc_teardown),
        cmocka_unit_test_setup_teardown(test_gc_pid_reuse, gc_setup, gc_teardown),
        cmocka_unit_test_setup_teardown(test_gc_superseded, gc_setup, gc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
