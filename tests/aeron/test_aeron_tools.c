/*
 * The command-line tools as a user runs them: tp_aeron_sub prints one line per message ending in <<payload>>
 * for what tp_aeron_pub sent, and tp_aeron_stat shows the driver's counters including live clients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "aeron_test_harness.h"

static tp_test_driver_t driver;

/* Starts argv with stdout into a pipe; returns the pid and the read end. */
static pid_t run_tool(char *const argv[], int *out_fd)
{
    int fds[2];
    assert_int_equal(0, pipe(fds));
    fflush(NULL);
    pid_t pid = fork();
    if (0 == pid)
    {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    return pid;
}

static size_t read_all(int fd, char *buffer, size_t capacity)
{
    size_t used = 0;
    ssize_t n;
    while (used + 1 < capacity && (n = read(fd, buffer + used, capacity - 1 - used)) > 0)
    {
        used += (size_t)n;
    }
    buffer[used] = '\0';
    close(fd);
    return used;
}

static void test_pub_to_sub_prints_payloads(void **state)
{
    char *sub_argv[] = {TP_AERON_SUB, "-p", driver.dir, "-c", "aeron:ipc", "-s", "6001", "-m", "3", NULL};
    int sub_fd;
    pid_t sub = run_tool(sub_argv, &sub_fd);
    char *pub_argv[] = {TP_AERON_PUB, "-p", driver.dir, "-c", "aeron:ipc", "-s", "6001", "-m", "3", "-i", "0", NULL};
    /* -i 0: the publisher retries NOT_CONNECTED, so nothing is lost while the subscriber attaches. */
    int pub_fd;
    pid_t pub = run_tool(pub_argv, &pub_fd);
    static char pub_out[8192];
    read_all(pub_fd, pub_out, sizeof(pub_out));
    assert_int_equal(0, tp_test_wait(pub, 20000));
    static char sub_out[8192];
    read_all(sub_fd, sub_out, sizeof(sub_out));
    assert_int_equal(0, tp_test_wait(sub, 20000));

    int lines = 0;
    for (char *line = strtok(sub_out, "\n"); NULL != line; line = strtok(NULL, "\n"))
    {
        if (0 == strncmp(line, "Message to stream 6001 from session ", 36))
        {
            char expected[64];
            snprintf(expected, sizeof(expected), "(%d bytes) <<Hello World! %d>>", 14, lines);
            assert_non_null(strstr(line, expected));
            lines++;
        }
    }
    assert_int_equal(3, lines);
}

static void test_stat_shows_counters_and_clients(void **state)
{
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    assert_non_null(aeron);
    aeron_publication_t *pub = tp_test_add_publication(aeron, "aeron:ipc", 6002);
    assert_non_null(pub);
    tp_test_sleep_ms(600); /* one keepalive: the client has found and named its heartbeat counter */

    char *argv[] = {TP_AERON_STAT, "-p", driver.dir, NULL};
    int fd;
    pid_t stat = run_tool(argv, &fd);
    static char out[65536];
    read_all(fd, out, sizeof(out));
    assert_int_equal(0, tp_test_wait(stat, 10000));
    assert_non_null(strstr(out, "CnC v0.2.0"));
    assert_non_null(strstr(out, "heartbeat age"));
    char expected[64];
    snprintf(expected, sizeof(expected), "client-heartbeat: id=%lld", (long long)aeron_client_id(aeron));
    assert_non_null(strstr(out, expected));
    assert_non_null(strstr(out, "pub-lmt:"));
    aeron_publication_close(pub, NULL, NULL);
    tp_test_client_close(aeron, ctx);
}

/* A malformed stream id is refused with a message naming it, not silently read as 0. */
static void test_bad_stream_id_is_refused(void **state)
{
    char *argv[] = {TP_AERON_SUB, "-p", driver.dir, "-s", "12x", NULL};
    int fds[2];
    assert_int_equal(0, pipe(fds));
    fflush(NULL);
    pid_t pid = fork();
    if (0 == pid)
    {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    static char err[4096];
    read_all(fds[0], err, sizeof(err));
    assert_int_equal(EXIT_FAILURE, tp_test_wait(pid, 10000));
    assert_non_null(strstr(err, "malformed stream id '12x'"));
}

static int setup(void **state)
{
    return tp_test_driver_start(&driver, "5s", NULL);
}

static int teardown(void **state)
{
    tp_test_driver_stop(&driver);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pub_to_sub_prints_payloads),
        cmocka_unit_test(test_stat_shows_counters_and_clients),
        cmocka_unit_test(test_bad_stream_id_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
