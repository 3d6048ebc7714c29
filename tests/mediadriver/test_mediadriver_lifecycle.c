#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aeron/protocol/tp_cnc.h"
#include "aeron/protocol/tp_control_protocol.h"
#include "aeron/protocol/tp_distinct_error_log.h"
#include "aeron/protocol/tp_mpsc_rb.h"
#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "md_test_client.h"
#include "tensorpool/tp_error.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_refuses_to_start_over_a_live_driver(void **state)
{
    char dir[256];
    md_unique_dir(dir, sizeof(dir), "live");
    tp_mediadriver_context_t *context = md_test_context(dir, false);
    assert_non_null(context);
    tp_mediadriver_t *first = NULL;
    assert_int_equal(0, tp_mediadriver_start(&first, context));

    tp_mediadriver_t *second = NULL;
    tp_err_clear();
    assert_int_equal(-1, tp_mediadriver_start(&second, context));
    assert_null(second);
    assert_non_null(strstr(tp_errmsg(), "active media driver detected"));
    assert_non_null(strstr(tp_errmsg(), dir));

    /* The first driver is untouched and still serving. */
    md_client_t client;
    assert_int_equal(0, md_client_open(&client, dir, NULL));
    const int64_t client_id = md_next_id(&client);
    const int64_t sub_id = md_next_id(&client);
    md_send_add_subscription(&client, client_id, sub_id, 1, "aeron:ipc");
    assert_true(md_await(&client, TP_RESPONSE_ON_SUBSCRIPTION_READY, sub_id, 2000) >= 0);
    md_client_close(&client);

    assert_int_equal(0, tp_mediadriver_close(first));
    tp_mediadriver_context_close(context);
}

static void write_file(const char *path, const void *data, size_t length)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal((ssize_t)length, write(fd, data, length));
    close(fd);
}

static void test_stale_directory_is_taken_over(void **state)
{
    char dir[256];
    char path[512];
    md_unique_dir(dir, sizeof(dir), "stale");
    assert_int_equal(0, mkdir(dir, 0777));

    /* A CnC left by a dead driver: right version, heartbeat 5 s old (driver timeout is 1 s). */
    const size_t ring = 1024 + TP_RB_TRAILER_LENGTH;
    const size_t length = 4096 * 2;
    uint8_t *cnc = calloc(1, length);
    tp_cnc_metadata_t *metadata = (tp_cnc_metadata_t *)cnc;
    metadata->cnc_version = TP_CNC_VERSION;
    metadata->to_driver_buffer_length = (int32_t)ring;
    metadata->error_log_buffer_length = 1024;
    const int64_t old = tp_clock_epoch_ms() - 5000;
    memcpy(cnc + 128 + 1024 + TP_RB_CONSUMER_HEARTBEAT_OFFSET, &old, sizeof(old));
    /* One error recorded by the dead driver: it is saved beside the directory before the takeover. */
    tp_distinct_error_log_t log;
    assert_int_equal(0, tp_distinct_error_log_init(&log, cnc + 128 + ring, 1024));
    assert_int_equal(0, tp_distinct_error_log_record(&log, 11, "the old driver's last words", old));
    tp_distinct_error_log_close(&log);
    snprintf(path, sizeof(path), "%s/cnc.dat", dir);
    write_file(path, cnc, length);
    free(cnc);
    char junk[600];
    snprintf(junk, sizeof(junk), "%s/publications", dir);
    assert_int_equal(0, mkdir(junk, 0777));
    snprintf(junk, sizeof(junk), "%s/publications/7.logbuffer", dir);
    write_file(junk, "x", 1);

    tp_mediadriver_context_t *context = md_test_context(dir, true);
    tp_mediadriver_t *driver = NULL;
    assert_int_equal(0, tp_mediadriver_start(&driver, context));
    assert_false(md_file_exists(junk));
    char pattern[600];
    snprintf(pattern, sizeof(pattern), "%s-*-error.log", dir);
    glob_t found;
    assert_int_equal(0, glob(pattern, 0, NULL, &found));
    assert_int_equal(1, found.gl_pathc);
    FILE *saved = fopen(found.gl_pathv[0], "r");
    assert_non_null(saved);
    char text[1024] = {0};
    assert_true(fread(text, 1, sizeof(text) - 1, saved) > 0);
    fclose(saved);
    assert_non_null(strstr(text, "11: the old driver's last words"));
    assert_non_null(strstr(text, "1 distinct errors observed."));
    unlink(found.gl_pathv[0]);
    globfree(&found);
    md_client_t client;
    assert_int_equal(0, md_client_open(&client, dir, driver));
    assert_int_equal(getpid(), client.metadata->pid);
    assert_true(md_to_driver_heartbeat(&client) > old + 4000);
    md_client_close(&client);
    tp_mediadriver_close(driver);
    tp_mediadriver_context_close(context);
    assert_false(md_file_exists(dir));
}

static void test_context_reads_environment(void **state)
{
    setenv("AERON_DIR", "/dev/shm/tp-env-check/", 1);
    setenv("AERON_IPC_TERM_BUFFER_LENGTH", "128k", 1);
    setenv("AERON_CLIENT_LIVENESS_TIMEOUT", "3s", 1);
    setenv("AERON_CONDUCTOR_BUFFER_LENGTH", "1m", 1);
    setenv("AERON_DIR_DELETE_ON_SHUTDOWN", "true", 1);
    setenv("AERON_THREADING_MODE", "INVOKER", 1);
    setenv("AERON_CONDUCTOR_IDLE_STRATEGY", "yielding", 1);
    tp_mediadriver_context_t *context = NULL;
    assert_int_equal(0, tp_mediadriver_context_init(&context));
    assert_string_equal("/dev/shm/tp-env-check", tp_mediadriver_context_get_dir(context));
    assert_int_equal(128 * 1024, tp_mediadriver_context_get_ipc_term_buffer_length(context));
    assert_int_equal(3000000000ULL, tp_mediadriver_context_get_client_liveness_timeout_ns(context));
    assert_int_equal(1024 * 1024 - 768, tp_mediadriver_context_get_to_driver_buffer_length(context));
    assert_true(tp_mediadriver_context_get_dir_delete_on_shutdown(context));
    assert_int_equal(TP_MEDIADRIVER_THREADING_INVOKER, tp_mediadriver_context_get_threading_mode(context));
    assert_string_equal("yield", tp_mediadriver_context_get_idle_strategy(context));
    tp_mediadriver_context_close(context);

    setenv("AERON_IPC_TERM_BUFFER_LENGTH", "12x", 1);
    tp_err_clear();
    assert_int_equal(-1, tp_mediadriver_context_init(&context));
    assert_non_null(strstr(tp_errmsg(), "AERON_IPC_TERM_BUFFER_LENGTH=12x"));

    /* A parseable but invalid value is caught when starting. */
    setenv("AERON_IPC_TERM_BUFFER_LENGTH", "100000", 1);
    assert_int_equal(0, tp_mediadriver_context_init(&context));
    tp_mediadriver_t *driver = NULL;
    assert_int_equal(-1, tp_mediadriver_start(&driver, context));
    assert_non_null(strstr(tp_errmsg(), "100000"));
    tp_mediadriver_context_close(context);

    const char *names[] = {"AERON_DIR",
                           "AERON_IPC_TERM_BUFFER_LENGTH",
                           "AERON_CLIENT_LIVENESS_TIMEOUT",
                           "AERON_CONDUCTOR_BUFFER_LENGTH",
                           "AERON_DIR_DELETE_ON_SHUTDOWN",
                           "AERON_THREADING_MODE",
                           "AERON_CONDUCTOR_IDLE_STRATEGY"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    {
        unsetenv(names[i]);
    }
    setenv("USER", "tp-test-user", 1);
    assert_int_equal(0, tp_mediadriver_context_init(&context));
    assert_string_equal("/dev/shm/aeron-tp-test-user", tp_mediadriver_context_get_dir(context));
    tp_mediadriver_context_close(context);
}

static const char *driver_binary(void)
{
    const char *binary = getenv("TP_MEDIADRIVER_BINARY");
    return NULL != binary ? binary : TP_MEDIADRIVER_BINARY_PATH;
}

/* The stand-alone program: serves a real client from another process and shuts down cleanly on SIGTERM. */
static void test_binary_serves_and_stops_on_sigterm(void **state)
{
    char dir[256];
    md_unique_dir(dir, sizeof(dir), "bin");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (0 == pid)
    {
        setenv("AERON_DIR", dir, 1);
        setenv("AERON_IPC_TERM_BUFFER_LENGTH", "64k", 1);
        setenv("AERON_CONDUCTOR_IDLE_STRATEGY", "sleep", 1);
        execl(driver_binary(), "tp_mediadriver", (char *)NULL);
        _exit(127);
    }

    char cnc_path[512];
    snprintf(cnc_path, sizeof(cnc_path), "%s/cnc.dat", dir);
    md_client_t client;
    int opened = -1;
    for (int i = 0; i < 500 && opened < 0; i++)
    {
        sleep_ms(10);
        if (md_file_exists(cnc_path))
        {
            opened = md_client_open(&client, dir, NULL);
        }
    }
    assert_int_equal(0, opened);
    assert_int_equal(pid, client.metadata->pid);

    const int64_t client_id = md_next_id(&client);
    const int64_t pub_id = md_next_id(&client);
    md_send_add_publication(&client, client_id, pub_id, 77, "aeron:ipc", true);
    assert_true(md_await(&client, TP_RESPONSE_ON_EXCLUSIVE_PUBLICATION_READY, pub_id, 3000) >= 0);

    assert_int_equal(0, kill(pid, SIGTERM));
    int status = 0;
    assert_int_equal(pid, waitpid(pid, &status, 0));
    assert_true(WIFEXITED(status));
    assert_int_equal(0, WEXITSTATUS(status));
    /* Clients see -1: the driver has shut down. The directory stays (no delete-on-shutdown). */
    assert_int_equal(-1, md_to_driver_heartbeat(&client));
    assert_int_equal(TP_CNC_VERSION, client.metadata->cnc_version);
    md_client_close(&client);

    /* A new driver takes the directory over at once: the old heartbeat says "shut down". */
    tp_mediadriver_context_t *context = md_test_context(dir, true);
    tp_mediadriver_t *driver = NULL;
    assert_int_equal(0, tp_mediadriver_start(&driver, context));
    tp_mediadriver_close(driver);
    tp_mediadriver_context_close(context);
    assert_false(md_file_exists(dir));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_to_start_over_a_live_driver),
        cmocka_unit_test(test_stale_directory_is_taken_over),
        cmocka_unit_test(test_context_reads_environment),
        cmocka_unit_test(test_binary_serves_and_stops_on_sigterm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
