/*
 * The standalone registry tp_discoveryd as real processes: one tp_mediadriver, two tp_driver instances with
 * different instance ids and control / metadata streams, one tp_example_producer --driver on each, and a registry
 * aggregating both. Results name the right authority; tp_example_consumer --driver --name finds its stream through
 * the registry and streams verified frames through the driver the result names; a SIGKILLed driver's entries
 * vanish from the registry after 3 x announce period while the other driver's stay.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "apps_test_process.h"

#define REGISTRY_STREAM "7000"

typedef struct registry_test_stct
{
    char dir[256];
    char aeron_dir[300];
    char shm_dir[2][300];
    char driver_config[2][300];
    char registry_config[300];
    pid_t media_driver;
    pid_t drivers[2];
    pid_t producers[2];
    pid_t registry;
    int runs; /* numbers the output files */
} registry_test_t;

/* Driver i: instance "drv-<i>", control stream 1000 + 1000 i (announces there too), QoS 1200 + 1000 i, metadata
 * 1300 + 1000 i, one static stream 10 + 10 i. 200 ms announce period: expiry after 600 ms. */
static int write_driver_config(const registry_test_t *t, int i)
{
    FILE *f = fopen(t->driver_config[i], "w");
    if (NULL == f)
    {
        return -1;
    }
    fprintf(f,
            "[driver]\n"
            "instance_id = \"drv-%d\"\n"
            "aeron_dir = \"%s\"\n"
            "control_channel = \"aeron:ipc\"\n"
            "control_stream_id = %d\n"
            "qos_channel = \"aeron:ipc\"\n"
            "qos_stream_id = %d\n"
            "[shm]\n"
            "base_dir = \"%s\"\n"
            "[policies]\n"
            "announce_period_ms = 200\n"
            "[discovery]\n"
            "metadata_stream_id = %d\n"
            "[profiles.cam]\n"
            "header_nslots = 16\n"
            "payload_pools = [ { pool_id = 1, stride_bytes = 65536 } ]\n"
            "[streams.s%d]\n"
            "stream_id = %d\n"
            "profile = \"cam\"\n",
            i, t->aeron_dir, 1000 + 1000 * i, 1200 + 1000 * i, t->shm_dir[i], 1300 + 1000 * i, i, 10 + 10 * i);
    return fclose(f);
}

static int write_registry_config(const registry_test_t *t)
{
    FILE *f = fopen(t->registry_config, "w");
    if (NULL == f)
    {
        return -1;
    }
    fprintf(f,
            "[registry]\n"
            "aeron_dir = \"%s\"\n"
            "channel = \"aeron:ipc\"\n"
            "stream_id = " REGISTRY_STREAM "\n"
            "announce_period_ms = 200\n"
            "[drivers.a]\n"
            "instance_id = \"drv-0\"\n"
            "control_stream_id = 1000\n"
            "metadata_stream_id = 1300\n"
            "[drivers.b]\n"
            "instance_id = \"drv-1\"\n"
            "control_stream_id = 2000\n"
            "metadata_stream_id = 2300\n",
            t->aeron_dir);
    return fclose(f);
}

/* The context options of a producer or consumer on driver i's streams. */
static size_t stream_args(const registry_test_t *t, int i, const char **argv, size_t n, bool control)
{
    static const char *const streams[2][4] = {{"1000", "1100", "1200", "1300"}, {"2000", "2100", "2200", "2300"}};
    argv[n++] = "-p";
    argv[n++] = t->aeron_dir;
    argv[n++] = "--shm-dir";
    argv[n++] = t->shm_dir[i];
    if (control)
    {
        argv[n++] = "--control-stream";
        argv[n++] = streams[i][0];
    }
    argv[n++] = "--descriptor-stream";
    argv[n++] = streams[i][1];
    argv[n++] = "--qos-stream";
    argv[n++] = streams[i][2];
    argv[n++] = "--metadata-stream";
    argv[n++] = streams[i][3];
    return n;
}

static pid_t spawn_producer(registry_test_t *t, int i)
{
    static const char *const ids[2] = {"10", "20"};
    static const char *const names[2] = {"cam-a", "cam-b"};
    char out[320];
    snprintf(out, sizeof(out), "%s/producer-%d.txt", t->dir, i);
    const char *argv[48] = {TP_EXAMPLE_PRODUCER_BIN,
                            "--driver",
                            "--shape",
                            "16x16",
                            "--dtype",
                            "uint8",
                            "--rate",
                            "50",
                            "--duration",
                            "120",
                            "-s",
                            ids[i],
                            "--producer-id",
                            ids[i],
                            "--name",
                            names[i],
                            "--tag",
                            i == 0 ? "site-a" : "site-b"};
    size_t n = stream_args(t, i, argv, 18, true);
    argv[n] = NULL;
    return apps_process_spawn(argv, NULL, out);
}

static pid_t spawn_driver(registry_test_t *t, int i)
{
    char out[320];
    char err[320];
    snprintf(out, sizeof(out), "%s/driver-%d.out", t->dir, i);
    snprintf(err, sizeof(err), "%s/driver-%d.err", t->dir, i);
    const char *argv[] = {TP_DRIVER_BIN, "--config", t->driver_config[i], NULL};
    return apps_process_spawn_io(argv, NULL, out, err);
}

static int registry_setup(void **state)
{
    registry_test_t *t = calloc(1, sizeof(*t));
    if (NULL == t || apps_temp_dir(t->dir, sizeof(t->dir), "tp-test-registry") < 0)
    {
        free(t);
        return -1;
    }
    *state = t;
    snprintf(t->aeron_dir, sizeof(t->aeron_dir), "%s/aeron", t->dir);
    for (int i = 0; i < 2; i++)
    {
        snprintf(t->shm_dir[i], sizeof(t->shm_dir[i]), "%s/shm-%d", t->dir, i);
        snprintf(t->driver_config[i], sizeof(t->driver_config[i]), "%s/driver-%d.toml", t->dir, i);
        if (write_driver_config(t, i) < 0)
        {
            return -1;
        }
    }
    snprintf(t->registry_config, sizeof(t->registry_config), "%s/registry.toml", t->dir);
    if (write_registry_config(t) < 0)
    {
        return -1;
    }
    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", t->aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_IPC_TERM_BUFFER_LENGTH=1m", NULL};
    const char *md_argv[] = {TP_MEDIADRIVER_BIN, NULL};
    char out[320];
    snprintf(out, sizeof(out), "%s/mediadriver.txt", t->dir);
    t->media_driver = apps_process_spawn(md_argv, env, out);
    t->drivers[0] = spawn_driver(t, 0);
    t->drivers[1] = spawn_driver(t, 1);
    t->producers[0] = spawn_producer(t, 0);
    t->producers[1] = spawn_producer(t, 1);
    char err[320];
    snprintf(out, sizeof(out), "%s/registry.out", t->dir);
    snprintf(err, sizeof(err), "%s/registry.err", t->dir);
    const char *registry_argv[] = {TP_DISCOVERYD_BIN, "--config", t->registry_config, NULL};
    t->registry = apps_process_spawn_io(registry_argv, NULL, out, err);
    return t->media_driver > 0 && t->drivers[0] > 0 && t->drivers[1] > 0 && t->producers[0] > 0 &&
                   t->producers[1] > 0 && t->registry > 0
               ? 0
               : -1;
}

static void stop(pid_t *pid, int signo)
{
    if (*pid > 0)
    {
        kill(*pid, signo);
        apps_process_wait(*pid, 20000);
        *pid = 0;
    }
}

static int registry_teardown(void **state)
{
    registry_test_t *t = *state;
    stop(&t->registry, SIGINT);
    stop(&t->producers[0], SIGINT);
    stop(&t->producers[1], SIGINT);
    stop(&t->drivers[0], SIGINT);
    stop(&t->drivers[1], SIGINT);
    stop(&t->media_driver, SIGINT);
    apps_temp_dir_remove(t->dir);
    free(t);
    return 0;
}

/* tp_discovery_query --json against the registry; stdout in *text (malloc'd). Exit status. */
static int query_registry(registry_test_t *t, char **text)
{
    const char *argv[] = {TP_DISCOVERY_QUERY_BIN,
                          "-p",
                          t->aeron_dir,
                          "--discovery-stream-id",
                          REGISTRY_STREAM,
                          "--timeout-ms",
                          "5000",
                          "--json",
                          NULL};
    char out[320];
    snprintf(out, sizeof(out), "%s/query-%d.txt", t->dir, t->runs++);
    pid_t pid = apps_process_spawn(argv, NULL, out);
    assert_true(pid > 0);
    int status = apps_process_wait(pid, 30000);
    *text = apps_file_read(out);
    assert_non_null(*text);
    return status;
}

/* The JSON result object of a stream (from its "stream_id" to the next one), copied into out. */
static bool result_of(const char *text, const char *stream_id, char *out, size_t capacity)
{
    char needle[48];
    snprintf(needle, sizeof(needle), "{\"stream_id\": %s,", stream_id);
    const char *start = strstr(text, needle);
    if (NULL == start)
    {
        return false;
    }
    const char *end = strstr(start + 1, "{\"stream_id\": ");
    size_t length = NULL == end ? strlen(start) : (size_t)(end - start);
    length = length < capacity - 1 ? length : capacity - 1;
    memcpy(out, start, length);
    out[length] = '\0';
    return true;
}

/* Both streams indexed with names and metadata, each naming its own driver as authority. */
static void wait_for_both(registry_test_t *t)
{
    const int64_t deadline = apps_now_ms() + 40000;
    for (;;)
    {
        char *text = NULL;
        int status = query_registry(t, &text);
        char a[4096];
        char b[4096];
        bool ready = 0 == status && result_of(text, "10", a, sizeof(a)) && result_of(text, "20", b, sizeof(b)) &&
                     NULL != strstr(a, "\"cam-a\"") && NULL != strstr(b, "\"cam-b\"");
        if (ready)
        {
            assert_non_null(strstr(a, "\"driver_instance_id\": \"drv-0\""));
            assert_non_null(strstr(a, "\"driver_control_stream_id\": 1000"));
            assert_non_null(strstr(a, "\"tags\": [\"site-a\"]"));
            assert_non_null(strstr(b, "\"driver_instance_id\": \"drv-1\""));
            assert_non_null(strstr(b, "\"driver_control_stream_id\": 2000"));
            assert_non_null(strstr(b, "\"tags\": [\"site-b\"]"));
            free(text);
            return;
        }
        if (apps_now_ms() > deadline)
        {
            fprintf(stderr, "registry answer (status %d):\n%s\n", status, text);
        }
        free(text);
        assert_true(apps_now_ms() < deadline);
        apps_sleep_ms(200);
    }
}

static void test_registry_authority_and_attach(void **state)
{
    registry_test_t *t = *state;
    wait_for_both(t);

    /* The consumer is told only the name and where the registry is: the control stream (2000) of the driver it
     * attaches through comes from the result. */
    char out[320];
    snprintf(out, sizeof(out), "%s/consumer.txt", t->dir);
    const char *argv[48] = {TP_EXAMPLE_CONSUMER_BIN,
                            "--driver",
                            "--name",
                            "cam-b",
                            "--discovery-stream-id",
                            REGISTRY_STREAM,
                            "--shape",
                            "16x16",
                            "--dtype",
                            "uint8",
                            "--frames",
                            "20",
                            "--duration",
                            "60"};
    size_t n = stream_args(t, 1, argv, 14, false);
    argv[n] = NULL;
    pid_t consumer = apps_process_spawn(argv, NULL, out);
    assert_true(consumer > 0);
    int status = apps_process_wait(consumer, 90000);
    char *text = apps_file_read(out);
    assert_non_null(text);
    if (0 != status)
    {
        fprintf(stderr, "consumer (status %d):\n%s\n", status, text);
    }
    assert_int_equal(0, status);
    assert_non_null(strstr(text, "discovered stream 20 'cam-b'"));
    assert_non_null(strstr(text, "of driver drv-1 (aeron:ipc stream 2000)"));
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(text, &summary));
    assert_int_equal(summary.received, 20);
    assert_int_equal(summary.bad, 0);
    assert_true(summary.verified > 0);
    free(text);

    /* A name nobody announced: the consumer gives up after its discovery timeout, exit 1. */
    const char *missing[] = {TP_EXAMPLE_CONSUMER_BIN,
                             "-p",
                             t->aeron_dir,
                             "--driver",
                             "--name",
                             "nope",
                             "--discovery-stream-id",
                             REGISTRY_STREAM,
                             "--discovery-timeout",
                             "1",
                             NULL};
    consumer = apps_process_spawn(missing, NULL, out);
    assert_int_equal(1, apps_process_wait(consumer, 30000));
}

static void test_killed_driver_expires(void **state)
{
    registry_test_t *t = *state;
    wait_for_both(t);
    kill(t->drivers[0], SIGKILL);
    assert_int_equal(128 + SIGKILL, apps_process_wait(t->drivers[0], 10000));
    t->drivers[0] = 0;
    /* Gone after 3 x 200 ms without a ShmPoolAnnounce; asked until then, with slack for a loaded machine. */
    const int64_t deadline = apps_now_ms() + 20000;
    for (;;)
    {
        char *text = NULL;
        int status = query_registry(t, &text);
        char b[4096];
        bool gone = 0 == status && !result_of(text, "10", b, sizeof(b)) && result_of(text, "20", b, sizeof(b));
        if (gone)
        {
            assert_non_null(strstr(b, "\"driver_instance_id\": \"drv-1\""));
            free(text);
            break;
        }
        if (apps_now_ms() > deadline)
        {
            fprintf(stderr, "registry answer (status %d):\n%s\n", status, text);
        }
        free(text);
        assert_true(apps_now_ms() < deadline);
        apps_sleep_ms(100);
    }
    /* The registry itself kept running and stops cleanly. */
    assert_int_equal(0, waitpid(t->registry, NULL, WNOHANG));
    kill(t->registry, SIGINT);
    assert_int_equal(0, apps_process_wait(t->registry, 20000));
    t->registry = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registry_authority_and_attach, registry_setup, registry_teardown),
        cmocka_unit_test_setup_teardown(test_killed_driver_expires, registry_setup, registry_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
