/*
 * The SHM driver end to end as real processes: tp_mediadriver, tp_driver --config, and the example producer and
 * consumers in driver mode (--driver). Frames are verified by the consumers (bad = 0); the driver is killed and
 * restarted, a producer is killed and replaced, the driver is shut down with and without the right token, and
 * hostile control messages are thrown at it while it keeps serving.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <aeronc.h>

#include "apps_raw_sender.h"
#include "apps_test_process.h"
#include "apps_tool_run.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmDriverShutdownRequest.h"

#define DRIVER_TOKEN "s3cret-token"

typedef struct driver_test_stct
{
    char dir[256];
    char aeron_dir[300];
    char shm_dir[300];
    char config[300];
    pid_t media_driver;
} driver_test_t;

static void path_in(const driver_test_t *t, const char *name, char *out, size_t capacity)
{
    snprintf(out, capacity, "%s/%s", t->dir, name);
}

static int write_config(const driver_test_t *t, const char *extra)
{
    FILE *f = fopen(t->config, "w");
    if (NULL == f)
    {
        return -1;
    }
    fprintf(f,
            "[driver]\n"
            "instance_id = \"test-driver\"\n"
            "aeron_dir = \"%s\"\n"
            "control_channel = \"aeron:ipc\"\n"
            "qos_channel = \"aeron:ipc\"\n"
            "[shm]\n"
            "base_dir = \"%s\"\n"
            "[policies]\n"
            "shutdown_token = \"" DRIVER_TOKEN "\"\n"
            "shutdown_timeout_ms = 300\n"
            "%s"
            "[profiles.cam]\n"
            "header_nslots = 16\n"
            "payload_pools = [ { pool_id = 1, stride_bytes = 262144 } ]\n"
            "[streams.cam]\n"
            "stream_id = 10\n"
            "profile = \"cam\"\n",
            t->aeron_dir, t->shm_dir, NULL == extra ? "" : extra);
    return fclose(f);
}

static int driver_setup(void **state)
{
    driver_test_t *t = calloc(1, sizeof(*t));
    if (NULL == t || apps_temp_dir(t->dir, sizeof(t->dir), "tp-test-driver") < 0)
    {
        free(t);
        return -1;
    }
    path_in(t, "aeron", t->aeron_dir, sizeof(t->aeron_dir));
    /* The SHM base dir does not exist yet: the driver creates it. */
    path_in(t, "shm", t->shm_dir, sizeof(t->shm_dir));
    path_in(t, "driver.toml", t->config, sizeof(t->config));
    if (write_config(t, NULL) < 0)
    {
        return -1;
    }
    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", t->aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", NULL};
    const char *argv[] = {TP_MEDIADRIVER_BIN, NULL};
    char out[320];
    path_in(t, "mediadriver.txt", out, sizeof(out));
    t->media_driver = apps_process_spawn(argv, env, out);
    *state = t;
    return t->media_driver > 0 ? 0 : -1;
}

static int driver_teardown(void **state)
{
    driver_test_t *t = *state;
    if (t->media_driver > 0)
    {
        kill(t->media_driver, SIGINT);
        apps_process_wait(t->media_driver, 10000);
    }
    apps_temp_dir_remove(t->dir);
    free(t);
    return 0;
}

static pid_t spawn_driver(const driver_test_t *t, const char *name)
{
    char out[320];
    char err[320];
    snprintf(out, sizeof(out), "%s/%s.out", t->dir, name);
    snprintf(err, sizeof(err), "%s/%s.err", t->dir, name);
    const char *argv[] = {TP_DRIVER_BIN, "--config", t->config, NULL};
    return apps_process_spawn_io(argv, NULL, out, err);
}

/* An example program in driver mode on the test's dirs, 240x320 uint16 frames; key/value and last are the
 * program's own options (last may be NULL). */
static pid_t spawn_example(const driver_test_t *t, const char *bin, const char *name, const char *frames,
                           const char *key, const char *value, const char *last)
{
    char out[320];
    snprintf(out, sizeof(out), "%s/%s.txt", t->dir, name);
    const char *argv[] = {bin,          "--driver", "-p",      t->aeron_dir, "--shm-dir", t->shm_dir,
                          "--shape",    "240x320",  "--dtype", "uint16",     "--frames",  frames,
                          "--duration", "60",       key,       value,        last,        NULL};
    return apps_process_spawn(argv, NULL, out);
}

static pid_t spawn_producer(const driver_test_t *t, const char *name, const char *frames, const char *wait_consumers)
{
    return spawn_example(t, TP_EXAMPLE_PRODUCER_BIN, name, frames, "--wait-consumers", wait_consumers, "--rate=100");
}

static pid_t spawn_consumer(const driver_test_t *t, const char *name, const char *id, const char *frames)
{
    return spawn_example(t, TP_EXAMPLE_CONSUMER_BIN, name, frames, "--consumer-id", id, "-v");
}

/* The consumer's summary: it received exactly what it asked for, every frame verified or counted as late. */
static void assert_consumer_ok(const driver_test_t *t, const char *name, int status, uint64_t frames)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/%s.txt", t->dir, name);
    char *text = apps_file_read(path);
    assert_non_null(text);
    fprintf(stderr, "%s:\n%s\n", name, text);
    assert_int_equal(status, 0);
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(text, &summary));
    assert_int_equal(summary.received, frames);
    assert_int_equal(summary.bad, 0);
    assert_true(summary.verified > 0);
    assert_true(summary.received - summary.verified <= summary.drops_late);
    free(text);
}

static void dump_file(const driver_test_t *t, const char *name)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/%s", t->dir, name);
    char *text = apps_file_read(path);
    fprintf(stderr, "--- %s:\n%s\n", name, NULL == text ? "(none)" : text);
    free(text);
}

/* Wait until the file in the scratch dir contains needle (true) or the deadline passes (false). */
static bool wait_for_text(const driver_test_t *t, const char *name, const char *needle, int64_t timeout_ms)
{
    char path[320];
    path_in(t, name, path, sizeof(path));
    const int64_t deadline = apps_now_ms() + timeout_ms;
    while (apps_now_ms() < deadline)
    {
        char *text = apps_file_read(path);
        bool found = NULL != text && NULL != strstr(text, needle);
        free(text);
        if (found)
        {
            return true;
        }
        apps_sleep_ms(50);
    }
    return false;
}

static void test_driver_producer_two_consumers(void **state)
{
    driver_test_t *t = *state;
    pid_t driver = spawn_driver(t, "driver");
    pid_t c1 = spawn_consumer(t, "c1", "101", "50");
    pid_t c2 = spawn_consumer(t, "c2", "102", "50");
    pid_t producer = spawn_producer(t, "producer", "100000", "2");
    assert_true(driver > 0 && c1 > 0 && c2 > 0 && producer > 0);

    int s1 = apps_process_wait(c1, 60000);
    int s2 = apps_process_wait(c2, 60000);
    kill(producer, SIGINT);
    int sp = apps_process_wait(producer, 20000);
    kill(driver, SIGINT);
    int sd = apps_process_wait(driver, 20000);
    dump_file(t, "producer.txt");
    dump_file(t, "driver.err");
    assert_consumer_ok(t, "c1", s1, 50);
    assert_consumer_ok(t, "c2", s2, 50);
    assert_int_equal(sp, 0);
    assert_int_equal(sd, 0);
}

static size_t encode_shutdown_request(uint8_t *buffer, size_t capacity, const char *token)
{
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmDriverShutdownRequest msg;
    assert_non_null(
        shm_tensorpool_driver_shmDriverShutdownRequest_wrap_and_apply_header(&msg, (char *)buffer, 0, capacity, &hdr));
    shm_tensorpool_driver_shmDriverShutdownRequest_set_correlationId(&msg, 77);
    shm_tensorpool_driver_shmDriverShutdownRequest_set_reason(&msg, shm_tensorpool_driver_shutdownReason_ADMIN);
    assert_non_null(shm_tensorpool_driver_shmDriverShutdownRequest_put_token(&msg, token, (uint32_t)strlen(token)));
    assert_non_null(shm_tensorpool_driver_shmDriverShutdownRequest_put_errorMessage(&msg, "test", 4));
    return 8 + shm_tensorpool_driver_shmDriverShutdownRequest_encoded_length(&msg);
}

static bool process_alive_for(pid_t pid, int64_t ms)
{
    int64_t deadline = apps_now_ms() + ms;
    while (apps_now_ms() < deadline)
    {
        if (0 != waitpid(pid, NULL, WNOHANG))
        {
            return false;
        }
        apps_sleep_ms(20);
    }
    return true;
}

/* Garbage, truncated attach requests, a foreign schema and wrong tokens: the driver keeps serving; then the right
 * token shuts it down gracefully (exit 0). */
static void test_driver_hostile_messages_and_shutdown_token(void **state)
{
    driver_test_t *t = *state;
    pid_t driver = spawn_driver(t, "driver");
    assert_true(driver > 0);
    raw_sender_t sender;
    raw_sender_open(&sender, t->aeron_dir);

    uint8_t buffer[512];
    memset(buffer, 0xA5, sizeof(buffer));
    raw_sender_send(&sender, buffer, 3);
    raw_sender_send(&sender, buffer, sizeof(buffer));
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachRequest req;
    assert_non_null(
        shm_tensorpool_driver_shmAttachRequest_wrap_and_apply_header(&req, (char *)buffer, 0, sizeof(buffer), &hdr));
    shm_tensorpool_driver_shmAttachRequest_set_correlationId(&req, 5);
    shm_tensorpool_driver_shmAttachRequest_set_streamId(&req, 10);
    shm_tensorpool_driver_shmAttachRequest_set_clientId(&req, 999);
    const size_t full = 8 + shm_tensorpool_driver_shmAttachRequest_encoded_length(&req);
    for (size_t length = 1; length < full; length++)
    {
        raw_sender_send(&sender, buffer, length);
    }
    /* An enum value no schema defines, then a foreign schema id. */
    buffer[8 + 16] = 0x7F;
    raw_sender_send(&sender, buffer, full);
    buffer[4] = 0x01;
    buffer[5] = 0x02;
    raw_sender_send(&sender, buffer, full);

    size_t length = encode_shutdown_request(buffer, sizeof(buffer), "wrong-token");
    raw_sender_send(&sender, buffer, length);
    length = encode_shutdown_request(buffer, sizeof(buffer), "");
    raw_sender_send(&sender, buffer, length);
    assert_true(process_alive_for(driver, 1000));

    /* Still serving: a producer and a consumer attach and stream verified frames. */
    pid_t c1 = spawn_consumer(t, "c1", "201", "20");
    pid_t producer = spawn_producer(t, "producer", "100000", "1");
    int s1 = apps_process_wait(c1, 60000);
    kill(producer, SIGINT);
    int sp = apps_process_wait(producer, 20000);
    assert_consumer_ok(t, "c1", s1, 20);
    assert_int_equal(sp, 0);

    length = encode_shutdown_request(buffer, sizeof(buffer), DRIVER_TOKEN);
    raw_sender_send(&sender, buffer, length);
    int sd = apps_process_wait(driver, 10000);
    raw_sender_close(&sender);
    dump_file(t, "driver.err");
    assert_int_equal(sd, 0);
    char path[320];
    path_in(t, "driver.err", path, sizeof(path));
    char *log = apps_file_read(path);
    assert_non_null(log);
    /* The wrong and the empty token were refused; the right one ran the whole sequence (reason ADMIN = 1). */
    assert_non_null(strstr(log, "ignored: wrong token"));
    assert_non_null(strstr(log, "ignored: missing token"));
    assert_non_null(strstr(log, "terminated: ShmDriverShutdown sent (reason 1)"));
    free(log);
}

/* SIGKILL the producer: its lease expires, the consumer drops and remaps, a new producer attaches and the
 * consumer receives the rest, all verified. */
static void test_driver_producer_killed_and_replaced(void **state)
{
    driver_test_t *t = *state;
    pid_t driver = spawn_driver(t, "driver");
    pid_t c1 = spawn_consumer(t, "c1", "301", "250");
    pid_t p1 = spawn_producer(t, "p1", "100000", "1");
    assert_true(driver > 0 && c1 > 0 && p1 > 0);
    apps_sleep_ms(2500);
    kill(p1, SIGKILL);
    assert_int_equal(apps_process_wait(p1, 5000), 128 + SIGKILL);
    pid_t p2 = spawn_producer(t, "p2", "100000", "1");
    int s1 = apps_process_wait(c1, 60000);
    kill(p2, SIGINT);
    int sp = apps_process_wait(p2, 20000);
    kill(driver, SIGINT);
    int sd = apps_process_wait(driver, 20000);
    dump_file(t, "p2.txt");
    dump_file(t, "driver.err");
    assert_consumer_ok(t, "c1", s1, 250);
    assert_int_equal(sp, 0);
    assert_int_equal(sd, 0);
}

/* True when a line of log starts its record with event and names the lease's stream/client/role. */
static bool log_has_lease_line(const char *log, const char *event, const char *who)
{
    for (const char *p = log; NULL != (p = strstr(p, event)); p++)
    {
        const char *end = strchr(p, '\n');
        const char *hit = strstr(p, who);
        if (NULL != hit && (NULL == end || hit < end))
        {
            return true;
        }
    }
    return false;
}

/* SIGKILL one of two consumers: its lease expires and is revoked; the producer and the other consumer go on with
 * no epoch change and no gap. */
static void test_driver_consumer_killed(void **state)
{
    driver_test_t *t = *state;
    pid_t driver = spawn_driver(t, "driver");
    pid_t c1 = spawn_consumer(t, "c1", "501", "600");
    pid_t c2 = spawn_consumer(t, "c2", "502", "100000");
    pid_t producer = spawn_producer(t, "producer", "100000", "1");
    assert_true(driver > 0 && c1 > 0 && c2 > 0 && producer > 0);
    assert_true(wait_for_text(t, "driver.err", "client=502 role=CONSUMER", 30000));
    apps_sleep_ms(1000);
    kill(c2, SIGKILL);
    assert_int_equal(apps_process_wait(c2, 5000), 128 + SIGKILL);
    int s1 = apps_process_wait(c1, 60000);
    kill(producer, SIGINT);
    int sp = apps_process_wait(producer, 20000);
    kill(driver, SIGINT);
    int sd = apps_process_wait(driver, 20000);
    dump_file(t, "driver.err");
    assert_consumer_ok(t, "c1", s1, 600);
    assert_int_equal(sp, 0);
    assert_int_equal(sd, 0);

    char path[320];
    path_in(t, "c1.txt", path, sizeof(path));
    char *text = apps_file_read(path);
    assert_non_null(text);
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(text, &summary));
    assert_int_equal(summary.drops_gap, 0);
    free(text);
    /* The dead consumer's lease expired (it never detached) and no producer lease ended meanwhile. */
    path_in(t, "driver.err", path, sizeof(path));
    char *log = apps_file_read(path);
    assert_non_null(log);
    assert_true(log_has_lease_line(log, "lease.expired", "stream=10 client=502 role=CONSUMER"));
    assert_false(log_has_lease_line(log, "lease.expired", "stream=10 client=1 role=PRODUCER"));
    assert_false(log_has_lease_line(log, "lease.revoked", "stream=10 client=1 role=PRODUCER"));
    free(log);
}

/* Highest "epoch=N" in a log file (0 when none). */
static unsigned long long max_epoch_in(const driver_test_t *t, const char *name)
{
    char path[320];
    path_in(t, name, path, sizeof(path));
    char *text = apps_file_read(path);
    unsigned long long highest = 0;
    for (const char *p = text; NULL != p && NULL != (p = strstr(p, "epoch=")); p += 6)
    {
        unsigned long long value = strtoull(p + 6, NULL, 10);
        highest = value > highest ? value : highest;
    }
    free(text);
    return highest;
}

/* SIGKILL the driver and start it again: producer and consumer notice its silence (no announce for 3 periods),
 * drop their stale mappings, reattach to the new driver at a higher epoch, and frames flow again. */
static void test_driver_killed_and_restarted(void **state)
{
    driver_test_t *t = *state;
    pid_t d1 = spawn_driver(t, "d1");
    pid_t c1 = spawn_consumer(t, "c1", "401", "900");
    pid_t producer = spawn_producer(t, "producer", "100000", "1");
    assert_true(d1 > 0 && c1 > 0 && producer > 0);
    assert_true(wait_for_text(t, "d1.err", "client=401 role=CONSUMER", 30000));
    assert_true(wait_for_text(t, "d1.err", "client=1 role=PRODUCER", 30000));
    apps_sleep_ms(1000);
    kill(d1, SIGKILL);
    assert_int_equal(apps_process_wait(d1, 5000), 128 + SIGKILL);
    apps_sleep_ms(500);
    pid_t d2 = spawn_driver(t, "d2");
    /* Both reattach to the new driver within the documented bound (3 announce periods + backoff). */
    assert_true(wait_for_text(t, "d2.err", "client=401 role=CONSUMER", 20000));
    assert_true(wait_for_text(t, "d2.err", "client=1 role=PRODUCER", 20000));
    int s1 = apps_process_wait(c1, 60000);
    kill(producer, SIGINT);
    int sp = apps_process_wait(producer, 20000);
    kill(d2, SIGINT);
    int sd = apps_process_wait(d2, 20000);
    dump_file(t, "producer.txt");
    dump_file(t, "d1.err");
    dump_file(t, "d2.err");
    assert_consumer_ok(t, "c1", s1, 900);
    assert_int_equal(sp, 0);
    assert_int_equal(sd, 0);
    assert_true(max_epoch_in(t, "d2.err") > max_epoch_in(t, "d1.err"));
}

/* Configuration errors stop the driver with exit 2 and a message; the environment wins over the file. */
static void test_driver_config_errors_and_env(void **state)
{
    driver_test_t *t = *state;
    assert_int_equal(write_config(t, "announce_period_ms = 0\n"), 0);
    pid_t bad = spawn_driver(t, "bad");
    assert_int_equal(apps_process_wait(bad, 10000), 2);
    char path[320];
    path_in(t, "bad.err", path, sizeof(path));
    char *text = apps_file_read(path);
    assert_non_null(text);
    fprintf(stderr, "bad config: %s\n", text);
    assert_non_null(strstr(text, "announce_period_ms"));
    free(text);

    assert_int_equal(write_config(t, NULL), 0);
    char out[320];
    path_in(t, "print.out", out, sizeof(out));
    const char *argv[] = {TP_DRIVER_BIN, "--config", t->config, "--print-config", NULL};
    const char *env[] = {"DRIVER_CONTROL_STREAM_ID=1500", NULL};
    pid_t print = apps_process_spawn(argv, env, out);
    assert_int_equal(apps_process_wait(print, 10000), 0);
    text = apps_file_read(out);
    assert_non_null(text);
    assert_non_null(strstr(text, "control_stream_id = 1500"));
    assert_non_null(strstr(text, "header_nslots = 16"));
    free(text);
}

/* tp_attach against the real driver: the lease printed with every field, kept alive past its expiry by keepalives,
 * detached at the end (the driver logs the detach); a stream the driver does not serve is refused with exit 1. */
static void test_tp_attach(void **state)
{
    driver_test_t *t = *state;
    pid_t driver = spawn_driver(t, "driver");
    assert_true(driver > 0);
    assert_true(wait_for_text(t, "driver.err", "driver test-driver started", 30000));

    /* The lease expires 3 s after the response without keepalives (driver defaults): hold it for 4 s. */
    const char *consumer[] = {TP_ATTACH_BIN, "--json", "-p",         t->aeron_dir, "--stream-id", "10",
                              "--client-id", "777",    "--duration", "4",          NULL};
    apps_tool_result_t r = apps_tool_run(t->dir, "attach-consumer", consumer);
    fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(0, r.status);
    assert_int_equal(2, apps_count_occurrences(r.out, "\n"));
    assert_non_null(strstr(r.out, "{\"event\":\"attached\","));
    assert_non_null(strstr(r.out, "\"code\":\"OK\",\"role\":\"consumer\",\"client_id\":777,\"lease_id\":"));
    assert_non_null(strstr(r.out, "\"stream_id\":10,\"epoch\":"));
    assert_non_null(strstr(r.out, "\"layout_version\":1,\"header_nslots\":16,\"header_slot_bytes\":256"));
    char uri[400];
    snprintf(uri, sizeof(uri), "\"header_region_uri\":\"shm:file?path=%s/", t->shm_dir);
    assert_non_null(strstr(r.out, uri));
    assert_non_null(strstr(r.out, "\"pools\":[{\"pool_id\":1,\"nslots\":16,\"stride_bytes\":262144,\"region_uri\":"));
    const char *detached = strstr(r.out, "{\"event\":\"detached\",");
    assert_non_null(detached);
    const char *keepalives = strstr(detached, "\"keepalives_sent\":");
    assert_non_null(keepalives);
    assert_true(strtoul(keepalives + strlen("\"keepalives_sent\":"), NULL, 10) >= 3);
    apps_tool_result_free(&r);

    const char *producer[] = {TP_ATTACH_BIN, "-p", t->aeron_dir, "-s", "10", "--role", "producer", "-d", "0.2", NULL};
    r = apps_tool_run(t->dir, "attach-producer", producer);
    assert_int_equal(0, r.status);
    assert_non_null(strstr(r.out, "attached: correlation "));
    assert_non_null(strstr(r.out, " code OK role producer client "));
    assert_non_null(strstr(r.out, "  header_region_uri   shm:file?path="));
    assert_non_null(strstr(r.out, "detached: lease "));
    apps_tool_result_free(&r);

    /* tp_top sees the driver's side of a lease: a producer lease held by tp_attach while it gathers. */
    char top_out[320], top_err[320], hold_out[320], hold_err[320];
    path_in(t, "top.json", top_out, sizeof(top_out));
    path_in(t, "top.err", top_err, sizeof(top_err));
    path_in(t, "hold.out", hold_out, sizeof(hold_out));
    path_in(t, "hold.err", hold_err, sizeof(hold_err));
    const char *top_argv[] = {TP_TOP_BIN, "-p", t->aeron_dir, "--once", "--json", "--duration", "3", NULL};
    pid_t top = apps_process_spawn_io(top_argv, NULL, top_out, top_err);
    assert_true(top > 0);
    apps_sleep_ms(500);
    const char *hold[] = {TP_ATTACH_BIN, "-p",          t->aeron_dir, "-s",         "10", "--role",
                          "producer",    "--client-id", "5",          "--duration", "6",  NULL};
    pid_t holder = apps_process_spawn_io(hold, NULL, hold_out, hold_err);
    assert_true(holder > 0);
    assert_int_equal(0, apps_process_wait(top, 30000));
    assert_int_equal(0, apps_process_wait(holder, 30000));
    char *top_json = apps_file_read(top_out);
    assert_non_null(top_json);
    fprintf(stderr, "tp_top: %s", top_json);
    assert_non_null(strstr(top_json, "\"driver\":true"));
    assert_non_null(strstr(top_json, "\"stream_id\":10,\"producer_id\":5,"));
    const char *lease = strstr(top_json, "\"producer_lease\":{\"lease_id\":");
    assert_non_null(lease);
    const char *age = strstr(lease, "\"state\":\"attached\",\"age_ms\":");
    assert_non_null(age);
    long age_ms = strtol(age + strlen("\"state\":\"attached\",\"age_ms\":"), NULL, 10);
    assert_true(age_ms > 0 && age_ms < 10000); /* granted while tp_top watched: its age is known */
    free(top_json);

    const char *unknown[] = {TP_ATTACH_BIN, "--json", "-p", t->aeron_dir, "--stream-id", "99", "--timeout", "3", NULL};
    r = apps_tool_run(t->dir, "attach-unknown", unknown);
    assert_int_equal(1, r.status);
    assert_non_null(strstr(r.out, "{\"event\":\"error\",\"what\":\"attach refused\""));
    assert_non_null(strstr(r.err, "stream 99 is not provisioned"));
    apps_tool_result_free(&r);

    const char *usage[] = {TP_ATTACH_BIN, "-p", t->aeron_dir, NULL};
    r = apps_tool_run(t->dir, "attach-usage", usage);
    assert_int_equal(2, r.status);
    assert_non_null(strstr(r.err, "--stream-id is required"));
    apps_tool_result_free(&r);

    kill(driver, SIGINT);
    assert_int_equal(0, apps_process_wait(driver, 20000));
    char path[320];
    path_in(t, "driver.err", path, sizeof(path));
    char *log = apps_file_read(path);
    assert_non_null(log);
    assert_true(log_has_lease_line(log, "lease.detached", "stream=10 client=777 role=CONSUMER"));
    assert_false(log_has_lease_line(log, "lease.expired", "client=777"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_driver_config_errors_and_env, driver_setup, driver_teardown),
        cmocka_unit_test_setup_teardown(test_driver_producer_two_consumers, driver_setup, driver_teardown),
        cmocka_unit_test_setup_teardown(test_driver_hostile_messages_and_shutdown_token, driver_setup, driver_teardown),
        cmocka_unit_test_setup_teardown(test_driver_producer_killed_and_replaced, driver_setup, driver_teardown),
        cmocka_unit_test_setup_teardown(test_driver_consumer_killed, driver_setup, driver_teardown),
        cmocka_unit_test_setup_teardown(test_driver_killed_and_restarted, driver_setup, driver_teardown),
        cmocka_unit_test_setup_teardown(test_tp_attach, driver_setup, driver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
