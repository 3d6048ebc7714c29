#include "aeron_test_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t tp_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tp_test_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void tp_test_remove_dir(const char *dir)
{
    char command[512];
    if (0 == strncmp(dir, "/dev/shm/tp-aeron-test-", strlen("/dev/shm/tp-aeron-test-")))
    {
        snprintf(command, sizeof(command), "rm -rf '%s'", dir);
        if (0 != system(command))
        {
            fprintf(stderr, "could not remove %s\n", dir);
        }
    }
}

/* aeron_is_driver_active is declared but not exported by official libaeron 1.48, so check the heartbeat here. */
static bool tp_test_driver_is_live(const char *dir)
{
    aeron_cnc_t *cnc = NULL;
    if (aeron_cnc_init(&cnc, dir, 100) < 0)
    {
        return false;
    }
    int64_t heartbeat = aeron_cnc_to_driver_heartbeat(cnc);
    bool live = heartbeat > 0 && aeron_epoch_clock() - heartbeat < 2000;
    aeron_cnc_close(cnc);
    return live;
}

int tp_test_driver_start(tp_test_driver_t *driver, const char *liveness_timeout, const char *const *extra_env)
{
    static int sequence = 0;
    snprintf(driver->dir, sizeof(driver->dir), "/dev/shm/tp-aeron-test-%d-%d", (int)getpid(), sequence++);
    tp_test_remove_dir(driver->dir);

    const char *path = getenv("TP_TEST_AERON_DRIVER");
#ifdef TP_TEST_MEDIADRIVER
    if (NULL == path || '\0' == path[0])
    {
        path = TP_TEST_MEDIADRIVER;
    }
#endif
    if (NULL == path || '\0' == path[0])
    {
        fprintf(stderr, "no media driver: build tp_mediadriver or set TP_TEST_AERON_DRIVER\n");
        return -1;
    }

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
    {
        perror("fork");
        return -1;
    }
    if (0 == pid)
    {
        setenv("AERON_DIR", driver->dir, 1);
        setenv("AERON_DIR_DELETE_ON_START", "1", 1);
        setenv("AERON_DIR_DELETE_ON_SHUTDOWN", "1", 1);
        setenv("AERON_CLIENT_LIVENESS_TIMEOUT", liveness_timeout, 1);
        setenv("AERON_THREADING_MODE", "SHARED", 1);
        setenv("AERON_TIMER_INTERVAL", "100ms", 1);
        setenv("AERON_IPC_TERM_BUFFER_LENGTH", "1m", 1);
        setenv("AERON_TERM_BUFFER_SPARSE_FILE", "1", 1);
        for (size_t i = 0; NULL != extra_env && NULL != extra_env[i]; i++)
        {
            char *setting = strdup(extra_env[i]);
            char *eq = strchr(setting, '=');
            if (NULL != eq)
            {
                *eq = '\0';
                setenv(setting, eq + 1, 1);
            }
        }
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0 && NULL == getenv("TP_TEST_DRIVER_VERBOSE"))
        {
            dup2(devnull, STDOUT_FILENO);
        }
        execl(path, path, (char *)NULL);
        perror("execl media driver");
        _exit(127);
    }
    driver->pid = pid;

    int64_t deadline = tp_test_now_ms() + 10000;
    while (tp_test_now_ms() < deadline)
    {
        char cnc[300];
        snprintf(cnc, sizeof(cnc), "%s/cnc.dat", driver->dir);
        struct stat st;
        if (0 == stat(cnc, &st) && tp_test_driver_is_live(driver->dir))
        {
            return 0;
        }
        int status;
        if (pid == waitpid(pid, &status, WNOHANG))
        {
            fprintf(stderr, "media driver %s exited early (status %d)\n", path, status);
            driver->pid = 0;
            return -1;
        }
        tp_test_sleep_ms(10);
    }
    fprintf(stderr, "media driver %s did not become active in %s\n", path, driver->dir);
    tp_test_driver_stop(driver);
    return -1;
}

void tp_test_driver_kill(tp_test_driver_t *driver)
{
    if (driver->pid > 0)
    {
        kill(driver->pid, SIGKILL);
        waitpid(driver->pid, NULL, 0);
        driver->pid = 0;
    }
}

void tp_test_driver_stop(tp_test_driver_t *driver)
{
    if (driver->pid > 0)
    {
        kill(driver->pid, SIGTERM);
        if (tp_test_wait(driver->pid, 5000) < 0)
        {
            fprintf(stderr, "media driver did not stop on SIGTERM; killed\n");
        }
        driver->pid = 0;
    }
    tp_test_remove_dir(driver->dir);
}

aeron_t *tp_test_client_connect(const char *dir, uint64_t driver_timeout_ms, bool invoker, aeron_context_t **ctx)
{
    aeron_t *aeron = NULL;
    *ctx = NULL;
    if (aeron_context_init(ctx) < 0 || aeron_context_set_dir(*ctx, dir) < 0 ||
        aeron_context_set_driver_timeout_ms(*ctx, driver_timeout_ms) < 0 ||
        aeron_context_set_use_conductor_agent_invoker(*ctx, invoker) < 0 ||
        aeron_context_set_idle_sleep_duration_ns(*ctx, 1000000) < 0)
    {
        fprintf(stderr, "context: %s\n", aeron_errmsg());
        aeron_context_close(*ctx);
        *ctx = NULL;
        return NULL;
    }
    if (aeron_init(&aeron, *ctx) < 0 || aeron_start(aeron) < 0)
    {
        fprintf(stderr, "aeron_init/start: %s\n", aeron_errmsg());
        aeron_close(aeron);
        aeron_context_close(*ctx);
        *ctx = NULL;
        return NULL;
    }
    return aeron;
}

void tp_test_client_close(aeron_t *aeron, aeron_context_t *ctx)
{
    aeron_close(aeron);
    aeron_context_close(ctx);
}

/* Drives the conductor in invoker mode; harmless with a conductor thread (it only sleeps briefly). */
static void tp_test_idle(aeron_t *aeron)
{
    if (aeron_context_get_use_conductor_agent_invoker(aeron_context(aeron)))
    {
        aeron_main_do_work(aeron);
    }
    else
    {
        sched_yield();
    }
}

aeron_publication_t *tp_test_add_publication(aeron_t *aeron, const char *channel, int32_t stream_id)
{
    aeron_async_add_publication_t *async = NULL;
    aeron_publication_t *publication = NULL;
    if (aeron_async_add_publication(&async, aeron, channel, stream_id) < 0)
    {
        fprintf(stderr, "add publication: %s\n", aeron_errmsg());
        return NULL;
    }
    int rc;
    while (0 == (rc = aeron_async_add_publication_poll(&publication, async)))
    {
        tp_test_idle(aeron);
    }
    if (rc < 0)
    {
        fprintf(stderr, "add publication poll: %s\n", aeron_errmsg());
    }
    return publication;
}

aeron_exclusive_publication_t *tp_test_add_exclusive_publication(aeron_t *aeron, const char *channel, int32_t stream_id)
{
    aeron_async_add_exclusive_publication_t *async = NULL;
    aeron_exclusive_publication_t *publication = NULL;
    if (aeron_async_add_exclusive_publication(&async, aeron, channel, stream_id) < 0)
    {
        fprintf(stderr, "add exclusive publication: %s\n", aeron_errmsg());
        return NULL;
    }
    int rc;
    while (0 == (rc = aeron_async_add_exclusive_publication_poll(&publication, async)))
    {
        tp_test_idle(aeron);
    }
    if (rc < 0)
    {
        fprintf(stderr, "add exclusive publication poll: %s\n", aeron_errmsg());
    }
    return publication;
}

aeron_subscription_t *tp_test_add_subscription(aeron_t *aeron, const char *channel, int32_t stream_id,
                                               aeron_on_available_image_t on_available,
                                               aeron_on_unavailable_image_t on_unavailable, void *clientd)
{
    aeron_async_add_subscription_t *async = NULL;
    aeron_subscription_t *subscription = NULL;
    if (aeron_async_add_subscription(&async, aeron, channel, stream_id, on_available, clientd, on_unavailable,
                                     clientd) < 0)
    {
        fprintf(stderr, "add subscription: %s\n", aeron_errmsg());
        return NULL;
    }
    int rc;
    while (0 == (rc = aeron_async_add_subscription_poll(&subscription, async)))
    {
        tp_test_idle(aeron);
    }
    if (rc < 0)
    {
        fprintf(stderr, "add subscription poll: %s\n", aeron_errmsg());
    }
    return subscription;
}

bool tp_test_await_images(aeron_t *aeron, aeron_subscription_t *subscription, int count, int64_t timeout_ms)
{
    int64_t deadline = tp_test_now_ms() + timeout_ms;
    while (aeron_subscription_image_count(subscription) < count)
    {
        if (tp_test_now_ms() > deadline)
        {
            return false;
        }
        tp_test_idle(aeron);
        tp_test_sleep_ms(1);
    }
    return true;
}

pid_t tp_test_spawn(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (0 == pid)
    {
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc);
    }
    return pid;
}

int tp_test_wait(pid_t pid, int64_t timeout_ms)
{
    int64_t deadline = tp_test_now_ms() + timeout_ms;
    for (;;)
    {
        int status;
        pid_t rc = waitpid(pid, &status, WNOHANG);
        if (rc == pid)
        {
            if (WIFEXITED(status))
            {
                return WEXITSTATUS(status);
            }
            return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        }
        if (rc < 0)
        {
            return -1;
        }
        if (tp_test_now_ms() > deadline)
        {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        tp_test_sleep_ms(5);
    }
}

size_t tp_test_message_size(uint64_t i, size_t large_every, size_t large_size)
{
    if (0 != large_every && 0 == i % large_every)
    {
        return large_size - (i / large_every) % 977; /* above the MTU: fragmented and reassembled */
    }
    return 8 + (size_t)((i * 7919) % 249);
}

void tp_test_message_fill(uint8_t *buffer, size_t length, uint64_t i)
{
    memcpy(buffer, &i, sizeof(i));
    for (size_t j = sizeof(i); j < length; j++)
    {
        buffer[j] = (uint8_t)(i + j);
    }
}

bool tp_test_message_check(const uint8_t *buffer, size_t length, uint64_t i)
{
    uint64_t seq;
    if (length < sizeof(seq))
    {
        return false;
    }
    memcpy(&seq, buffer, sizeof(seq));
    if (seq != i)
    {
        return false;
    }
    for (size_t j = sizeof(i); j < length; j++)
    {
        if (buffer[j] != (uint8_t)(i + j))
        {
            return false;
        }
    }
    return true;
}
