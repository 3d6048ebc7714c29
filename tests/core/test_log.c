/*
 * Logging (tp_log.h): level filtering, TP_LOG_LEVEL parsing, the per-context callback taking precedence over the
 * process-wide handler, and a flood of malformed messages through a consumer and a producer core producing a
 * bounded number of log lines that still account for every message.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/tp_client_private.h"
#include "client/tp_log_watch.h"
#include "common/tp_log_private.h"
#include "core_test_announce.h"
#include "core_test_util.h"
#include "tensorpool/tp_log.h"

#define CAP_LINES 256

typedef struct capture_stct
{
    size_t count;
    size_t per_level[TP_LOG_TRACE + 1];
    char lines[CAP_LINES][512];
    char components[CAP_LINES][32];
} capture_t;

static void capture_handler(void *clientd, tp_log_level_t level, const char *component, const char *text)
{
    capture_t *c = clientd;
    if (c->count < CAP_LINES)
    {
        snprintf(c->lines[c->count], sizeof(c->lines[0]), "%s", text);
        snprintf(c->components[c->count], sizeof(c->components[0]), "%s", component);
    }
    c->per_level[level]++;
    c->count++;
}

static void context_callback(void *clientd, tp_log_level_t level, const char *text)
{
    capture_handler(clientd, level, "context", text);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("TP_LOG_LEVEL");
    tp_log_reset_for_test();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unsetenv("TP_LOG_LEVEL");
    tp_log_reset_for_test();
    return 0;
}

static void test_level_filtering(void **state)
{
    (void)state;
    capture_t *cap = calloc(1, sizeof(*cap));
    assert_non_null(cap);
    tp_log_set_handler(capture_handler, cap);
    /* Default without TP_LOG_LEVEL: warnings and errors only. */
    assert_int_equal(TP_LOG_WARN, tp_log_get_level());
    tp_log_write(TP_LOG_INFO, "test", "info %d", 1);
    tp_log_write(TP_LOG_WARN, "test", "warn %d", 2);
    tp_log_write(TP_LOG_ERROR, "test", "error %d", 3);
    assert_int_equal(2, cap->count);
    assert_string_equal("warn 2", cap->lines[0]);
    assert_string_equal("test", cap->components[0]);
    assert_string_equal("error 3", cap->lines[1]);

    tp_log_set_level(TP_LOG_TRACE);
    assert_true(tp_log_is_enabled(TP_LOG_TRACE));
    tp_log_write(TP_LOG_TRACE, "test", "trace");
    tp_log_write(TP_LOG_DEBUG, "test", "debug");
    assert_int_equal(4, cap->count);
    assert_int_equal(1, cap->per_level[TP_LOG_TRACE]);

    tp_log_set_level(TP_LOG_ERROR);
    tp_log_write(TP_LOG_WARN, "test", "dropped");
    assert_int_equal(4, cap->count);

    /* A peer-controlled newline never forges a second line. */
    tp_log_write(TP_LOG_ERROR, "test", "a\nb\rc");
    assert_string_equal("a b c", cap->lines[4]);

    /* NULL restores the default handler: nothing more is captured. */
    tp_log_set_handler(NULL, NULL);
    int saved = dup(STDERR_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && devnull >= 0);
    dup2(devnull, STDERR_FILENO);
    tp_log_write(TP_LOG_ERROR, "test", "to stderr");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(devnull);
    assert_int_equal(5, cap->count);
    free(cap);
}

static void test_level_parse_and_env(void **state)
{
    (void)state;
    static const struct
    {
        const char *text;
        tp_log_level_t level;
    } good[] = {{"error", TP_LOG_ERROR}, {"WARN", TP_LOG_WARN},   {"Warning", TP_LOG_WARN}, {"info", TP_LOG_INFO},
                {"DeBuG", TP_LOG_DEBUG}, {"TRACE", TP_LOG_TRACE}, {"0", TP_LOG_ERROR},      {"1", TP_LOG_WARN},
                {"2", TP_LOG_INFO},      {"3", TP_LOG_DEBUG},     {"4", TP_LOG_TRACE}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    {
        tp_log_level_t level = (tp_log_level_t)99;
        assert_int_equal(0, tp_log_level_parse(good[i].text, &level));
        assert_int_equal(good[i].level, level);
    }
    const char *bad[] = {"", "5", "-1", "verbose", "info ", "10", "errors"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    {
        tp_log_level_t level = TP_LOG_INFO;
        assert_int_equal(-1, tp_log_level_parse(bad[i], &level));
        assert_non_null(strstr(tp_errmsg(), "log level"));
        assert_int_equal(TP_LOG_INFO, level);
    }
    assert_string_equal("TRACE", tp_log_level_name(TP_LOG_TRACE));
    assert_string_equal("?", tp_log_level_name((tp_log_level_t)7));

    setenv("TP_LOG_LEVEL", "Debug", 1);
    tp_log_reset_for_test();
    assert_int_equal(TP_LOG_DEBUG, tp_log_get_level());
    setenv("TP_LOG_LEVEL", "4", 1);
    tp_log_reset_for_test();
    assert_int_equal(TP_LOG_TRACE, tp_log_get_level());
    /* An explicit level wins over the environment. */
    tp_log_set_level(TP_LOG_ERROR);
    assert_int_equal(TP_LOG_ERROR, tp_log_get_level());

    /* A bad value: the default applies and it is reported once on stderr, however often the level is read. */
    setenv("TP_LOG_LEVEL", "loud", 1);
    tp_log_reset_for_test();
    char path[] = "/tmp/tp_log_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    for (int i = 0; i < 5; i++)
    {
        assert_int_equal(TP_LOG_WARN, tp_log_get_level());
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char text[2048] = {0};
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    int reports = 0;
    for (const char *p = text; NULL != (p = strstr(p, "TP_LOG_LEVEL")); p++)
    {
        reports++;
    }
    assert_int_equal(1, reports);
    assert_non_null(strstr(text, " WARN  log "));
    bool flagged;
    assert_int_equal(TP_LOG_WARN, tp_log_level_from_env(NULL, &flagged));
    assert_false(flagged);
    assert_int_equal(TP_LOG_WARN, tp_log_level_from_env("nope", &flagged));
    assert_true(flagged);
}

static void test_line_format(void **state)
{
    (void)state;
    char line[128];
    size_t n = tp_log_format_line(line, sizeof(line), TP_LOG_INFO, "consumer", "region.mapped stream=1");
    assert_int_equal(strlen(line), n);
    /* 2026-12-03T15:23:21.123Z INFO  consumer region.mapped stream=1 */
    assert_int_equal('T', line[10]);
    assert_int_equal('Z', line[23]);
    assert_string_equal(" INFO  consumer region.mapped stream=1\n", line + 24);
    char small[40];
    n = tp_log_format_line(small, sizeof(small), TP_LOG_ERROR, "x", "a long text that does not fit in forty bytes");
    assert_int_equal(sizeof(small) - 1, n);
    assert_int_equal('\n', small[n - 1]);
}

static void test_context_callback_takes_precedence(void **state)
{
    (void)state;
    capture_t *process = calloc(1, sizeof(*process));
    capture_t *context = calloc(1, sizeof(*context));
    tp_client_t *client = calloc(1, sizeof(*client));
    assert_true(NULL != process && NULL != context && NULL != client);
    tp_log_set_handler(capture_handler, process);
    tp_log_set_level(TP_LOG_DEBUG);

    /* No context callback: the process-wide handler at the process level. */
    tp_client_log(client, TP_LOG_INFO, "to the process %d", 1);
    tp_client_log_event(client, TP_LOG_DEBUG, "consumer", "event.x a=%d", 2);
    assert_int_equal(2, process->count);
    assert_string_equal("client", process->components[0]);
    assert_string_equal("consumer", process->components[1]);

    /* With one, it gets everything up to its own level and the process handler nothing, even at ERROR. */
    client->ctx.log = context_callback;
    client->ctx.log_clientd = context;
    client->ctx.log_level = TP_LOG_WARN;
    tp_client_log(client, TP_LOG_ERROR, "to the context");
    tp_client_log(client, TP_LOG_INFO, "filtered by the context level");
    tp_client_log_event(client, TP_LOG_WARN, "producer", "drops x=1\nforged");
    assert_int_equal(2, process->count);
    assert_int_equal(2, context->count);
    assert_string_equal("to the context", context->lines[0]);
    assert_string_equal("drops x=1 forged", context->lines[1]);
    assert_false(tp_client_log_enabled(client, TP_LOG_INFO));
    assert_true(tp_client_log_enabled(client, TP_LOG_WARN));
    free(client);
    free(process);
    free(context);
}

/* Sum of key=<n> over the captured lines. */
static uint64_t sum_field(const capture_t *cap, const char *key)
{
    uint64_t total = 0;
    size_t key_len = strlen(key);
    for (size_t i = 0; i < cap->count && i < CAP_LINES; i++)
    {
        for (const char *p = cap->lines[i]; NULL != (p = strstr(p, key)); p += key_len)
        {
            if ((p == cap->lines[i] || ' ' == p[-1]) && '=' == p[key_len])
            {
                total += strtoull(p + key_len + 1, NULL, 10);
            }
        }
    }
    return total;
}

#define FLOOD_MESSAGES 200000
#define FLOOD_STEP_NS  (UINT64_C(300) * 1000) /* 200,000 messages over 60 simulated seconds */

static void test_malformed_flood_bounded(void **state)
{
    (void)state;
    capture_t *cap = calloc(1, sizeof(*cap));
    assert_non_null(cap);
    tp_log_set_handler(capture_handler, cap);
    tp_log_set_level(TP_LOG_INFO);

    char root[PATH_MAX];
    ct_make_root(root, sizeof(root), "log");
    ct_queue_t q;
    ct_queue_init(&q);
    tp_consumer_context_t cctx;
    ct_consumer_context(&cctx, root, 42, ct_sink(&q));
    tp_consumer_core_t *consumer = ct_start_consumer(&cctx);
    tp_producer_context_t pctx;
    ct_producer_context(&pctx, root, ct_sink(&q));
    tp_producer_core_t *producer = ct_start_producer(&pctx);

    tp_log_watch_t cwatch, pwatch;
    tp_log_watch_init(&cwatch, 0);
    tp_log_watch_init(&pwatch, 0);
    uint8_t garbage[64];
    uint64_t now = UINT64_C(1000000000000);
    const uint64_t start = now;
    for (uint32_t i = 0; i < FLOOD_MESSAGES; i++)
    {
        /* Alternating: a truncated schema-900 message (malformed: a FrameDescriptor for the consumer), and a foreign
         * schema. */
        memset(garbage, (int)(i & 0xff), sizeof(garbage));
        uint16_t block = 36, template_id = 4, schema = 0 == (i & 1) ? 900 : 777, version = 1;
        memcpy(garbage, &block, 2);
        memcpy(garbage + 2, &template_id, 2);
        memcpy(garbage + 4, &schema, 2);
        memcpy(garbage + 6, &version, 2);
        size_t length = 0 == (i & 1) ? 12 : sizeof(garbage);
        (void)tp_consumer_core_on_message(consumer, TP_STREAM_DESCRIPTOR, garbage, length);
        /* The producer's own kind of message truncated: a ConsumerHello (template 2). */
        uint16_t hello = 2;
        memcpy(garbage + 2, &hello, 2);
        (void)tp_producer_core_on_message(producer, garbage, length);
        now += FLOOD_STEP_NS;
        (void)tp_log_watch_consumer(&cwatch, NULL, 42, 10000, consumer, now);
        (void)tp_log_watch_producer(&pwatch, NULL, 7, 10000, producer, now);
    }
    /* One more duty after the interval flushes what the last window counted. */
    now += TP_LOG_WATCH_INTERVAL_NS;
    (void)tp_log_watch_consumer(&cwatch, NULL, 42, 10000, consumer, now);
    (void)tp_log_watch_producer(&pwatch, NULL, 7, 10000, producer, now);

    const tp_consumer_counters_t *cc = tp_consumer_core_counters(consumer);
    const tp_producer_counters_t *pc = tp_producer_core_counters(producer);
    assert_int_equal(FLOOD_MESSAGES, cc->malformed_messages + cc->foreign_messages + cc->unknown_templates);
    assert_int_equal(FLOOD_MESSAGES, pc->malformed_messages + pc->foreign_messages + pc->unknown_templates);

    /* Bounded: per side at most one summary per interval plus the first one at once, plus the producer's epoch. */
    uint64_t intervals = (now - start) / TP_LOG_WATCH_INTERVAL_NS;
    assert_true(cap->count >= 2);
    assert_true(cap->count <= 2 * (intervals + 1) + 1);
    /* ... and still accounting for every message. */
    uint64_t reported = sum_field(cap, "malformed") + sum_field(cap, "foreign") + sum_field(cap, "unknown_templates");
    assert_int_equal(2 * (uint64_t)FLOOD_MESSAGES, reported);
    size_t ignored_lines = 0;
    for (size_t i = 0; i < cap->count; i++)
    {
        ignored_lines += NULL != strstr(cap->lines[i], "messages.ignored ") ? 1 : 0;
    }
    assert_true(ignored_lines >= 2);

    /* Driver mode replaces the producer's core per lease: the next one's counts start from zero, never wrap. */
    tp_producer_core_close(producer);
    producer = ct_start_producer(&pctx);
    size_t before = cap->count;
    for (int i = 0; i < 3; i++)
    {
        (void)tp_producer_core_on_message(producer, garbage, 5);
    }
    now += TP_LOG_WATCH_INTERVAL_NS;
    (void)tp_log_watch_producer(&pwatch, NULL, 7, 10000, producer, now);
    bool fresh_reported = false;
    for (size_t i = before; i < cap->count && i < CAP_LINES; i++)
    {
        if (NULL != strstr(cap->lines[i], "messages.ignored producer=7"))
        {
            assert_non_null(strstr(cap->lines[i], " malformed=3 foreign=0 unknown_templates=0 "));
            fresh_reported = true;
        }
    }
    assert_true(fresh_reported);

    tp_producer_core_close(producer);
    tp_consumer_core_close(consumer);
    ct_queue_free(&q);
    ct_remove_tree(root);
    free(cap);
}

/* Hostile announces naming regions outside the allowed dirs: one region.rejected line with the rule that failed,
 * counting all of them; the real announce then maps and says so once. */
static void test_region_records(void **state)
{
    (void)state;
    capture_t *cap = calloc(1, sizeof(*cap));
    assert_non_null(cap);
    tp_log_set_handler(capture_handler, cap);
    tp_log_set_level(TP_LOG_INFO);
    char root[PATH_MAX];
    ct_make_root(root, sizeof(root), "logmap");
    ct_queue_t q;
    ct_queue_init(&q);
    tp_producer_context_t pctx;
    ct_producer_context(&pctx, root, ct_sink(&q));
    tp_producer_core_t *producer = ct_start_producer(&pctx);
    tp_consumer_context_t cctx;
    ct_consumer_context(&cctx, root, 42, ct_sink(&q));
    tp_consumer_core_t *consumer = ct_start_consumer(&cctx);
    ct_announce_t good;
    ct_capture_announce(producer, &q, &good);

    tp_log_watch_t watch;
    tp_log_watch_init(&watch, 0);
    uint64_t now = tp_clock_monotonic_ns();
    for (int i = 0; i < 200; i++)
    {
        ct_announce_t bad = good;
        bad.epoch = good.epoch + 1 + (uint64_t)i;
        snprintf(bad.header_uri, sizeof(bad.header_uri), "shm:file?path=/var/tmp/not-allowed-%d/header.ring", i);
        (void)ct_feed_announce(consumer, &bad);
        (void)tp_log_watch_consumer(&watch, NULL, 42, 10000, consumer, now + (uint64_t)i * 1000000);
    }
    assert_int_equal(200, tp_consumer_core_counters(consumer)->regions_rejected);
    assert_int_equal(1, cap->count);
    assert_non_null(strstr(cap->lines[0], "region.rejected consumer=42 stream=10000 count=1 rule=\""));
    assert_true(strlen(cap->lines[0]) > strlen("region.rejected consumer=42 stream=10000 count=1 rule=\"\""));
    /* The next summary, an interval later, counts the rest. */
    now += TP_LOG_WATCH_INTERVAL_NS;
    (void)tp_log_watch_consumer(&watch, NULL, 42, 10000, consumer, now);
    assert_int_equal(2, cap->count);
    assert_non_null(strstr(cap->lines[1], "region.rejected consumer=42 stream=10000 count=199 "));

    ct_announce_t next = good;
    next.epoch = good.epoch; /* the producer's real regions */
    assert_int_equal(0, ct_feed_announce(consumer, &next));
    assert_true(tp_consumer_core_is_mapped(consumer));
    (void)tp_log_watch_consumer(&watch, NULL, 42, 10000, consumer, now + 1000);
    (void)tp_log_watch_consumer(&watch, NULL, 42, 10000, consumer, now + 2000);
    assert_int_equal(3, cap->count);
    char expected[128];
    snprintf(expected, sizeof(expected), "region.mapped consumer=42 stream=10000 epoch=%" PRIu64, good.epoch);
    assert_string_equal(expected, cap->lines[2]);

    tp_consumer_core_close(consumer);
    tp_producer_core_close(producer);
    ct_queue_free(&q);
    ct_remove_tree(root);
    free(cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_level_filtering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_parse_and_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_callback_takes_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_flood_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
