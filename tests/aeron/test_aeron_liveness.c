/*
 * Liveness and failure handling: a client killed with SIGKILL is cleaned up by the driver after the liveness
 * timeout (its image goes unavailable, its counters are freed); a killed driver makes clients close and report
 * errors instead of hanging; a cnc.dat with a wrong major version or truncated is refused with a clear error.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aeron_test_harness.h"

#define PUB_LIMIT_TYPE_ID 1
#define HEARTBEAT_TYPE_ID 11

static bool is_tensorpool_client(void)
{
    return 0 == strcmp(aeron_version_gitsha(), "tensorpool");
}

typedef struct victim_ids_stct
{
    int64_t client_id;
    int64_t publication_id;
} victim_ids_t;

static tp_test_driver_t *victim_driver;
static int victim_pipe[2];

static int victim_main(void *arg)
{
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(victim_driver->dir, 10000, false, &ctx);
    aeron_publication_t *pub = NULL;
    aeron_subscription_t *sub = NULL;
    if (NULL == aeron || NULL == (pub = tp_test_add_publication(aeron, "aeron:ipc", 4001)) ||
        NULL == (sub = tp_test_add_subscription(aeron, "aeron:ipc", 4002, NULL, NULL, NULL)))
    {
        return 40;
    }
    aeron_publication_constants_t constants;
    aeron_publication_constants(pub, &constants);
    victim_ids_t ids = {.client_id = aeron_client_id(aeron), .publication_id = constants.original_registration_id};
    if (sizeof(ids) != write(victim_pipe[1], &ids, sizeof(ids)))
    {
        return 41;
    }
    for (;;)
    {
        pause(); /* until SIGKILL */
    }
}

static int unavailable_images;

static void on_unavailable(void *clientd, aeron_subscription_t *subscription, aeron_image_t *image)
{
    __atomic_add_fetch(&unavailable_images, 1, __ATOMIC_SEQ_CST);
}

static void test_killed_client_is_cleaned_up_by_the_driver(void **state)
{
    tp_test_driver_t driver;
    assert_int_equal(0, tp_test_driver_start(&driver, "1s", NULL));
    victim_driver = &driver;
    assert_int_equal(0, pipe(victim_pipe));

    /* Fork before this process starts a conductor thread. */
    pid_t victim = tp_test_spawn(victim_main, NULL);
    victim_ids_t ids;
    assert_int_equal(sizeof(ids), read(victim_pipe[0], &ids, sizeof(ids)));

    aeron_context_t *ctx = NULL;
    aeron_t *aeron = tp_test_client_connect(driver.dir, 10000, false, &ctx);
    assert_non_null(aeron);
    aeron_subscription_t *sub = tp_test_add_subscription(aeron, "aeron:ipc", 4001, NULL, on_unavailable, NULL);
    aeron_publication_t *pub = tp_test_add_publication(aeron, "aeron:ipc", 4002);
    assert_non_null(sub);
    assert_non_null(pub);
    assert_true(tp_test_await_images(aeron, sub, 1, 5000));
    int64_t deadline = tp_test_now_ms() + 5000;
    while (!aeron_publication_is_connected(pub) && tp_test_now_ms() < deadline)
    {
        tp_test_sleep_ms(1);
    }
    assert_true(aeron_publication_is_connected(pub));
    aeron_counters_reader_t *counters = aeron_counters_reader(aeron);
    assert_int_not_equal(AERON_NULL_COUNTER_ID, aeron_counters_reader_find_by_type_id_and_registration_id(
                                                    counters, PUB_LIMIT_TYPE_ID, ids.publication_id));

    kill(victim, SIGKILL);
    assert_int_equal(128 + SIGKILL, tp_test_wait(victim, 5000));

    /* Liveness timeout 1 s: the driver must notice, unlink everything and tell the subscriber. */
    deadline = tp_test_now_ms() + 20000;
    while ((0 == __atomic_load_n(&unavailable_images, __ATOMIC_SEQ_CST) || aeron_publication_is_connected(pub) ||
            AERON_NULL_COUNTER_ID != aeron_counters_reader_find_by_type_id_and_registration_id(
                                         counters, PUB_LIMIT_TYPE_ID, ids.publication_id) ||
            AERON_NULL_COUNTER_ID != aeron_counters_reader_find_by_type_id_and_registration_id(
                                         counters, HEARTBEAT_TYPE_ID, ids.client_id)) &&
           tp_test_now_ms() < deadline)
    {
        tp_test_sleep_ms(10);
    }
    assert_int_equal(1, __atomic_load_n(&unavailable_images, __ATOMIC_SEQ_CST));
    assert_int_equal(0, aeron_subscription_image_count(sub));
    assert_false(aeron_publication_is_connected(pub));
    assert_int_equal(AERON_NULL_COUNTER_ID, aeron_counters_reader_find_by_type_id_and_registration_id(
                                                counters, PUB_LIMIT_TYPE_ID, ids.publication_id));
    assert_int_equal(AERON_NULL_COUNTER_ID, aeron_counters_reader_find_by_type_id_and_registration_id(
                                                counters, HEARTBEAT_TYPE_ID, ids.client_id));
    assert_false(aeron_is_closed(aeron)); /* the survivor is unaffected */

    tp_test_client_close(aeron, ctx);
    close(victim_pipe[0]);
    close(victim_pipe[1]);
    tp_test_driver_stop(&driver);
}

static int errors_reported;
static int last_error_code;

static void on_error(void *clientd, int errcode, const char *message)
{
    __atomic_store_n(&last_error_code, errcode, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&errors_reported, 1, __ATOMIC_SEQ_CST);
}

static void test_killed_driver_closes_clients_with_an_error(void **state)
{
    tp_test_driver_t driver;
    assert_int_equal(0, tp_test_driver_start(&driver, "5s", NULL));
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = NULL;
    assert_int_equal(0, aeron_context_init(&ctx));
    assert_int_equal(0, aeron_context_set_dir(ctx, driver.dir));
    assert_int_equal(0, aeron_context_set_driver_timeout_ms(ctx, 1000));
    assert_int_equal(0, aeron_context_set_error_handler(ctx, on_error, NULL));
    assert_int_equal(0, aeron_init(&aeron, ctx));
    assert_int_equal(0, aeron_start(aeron));
    aeron_publication_t *pub = tp_test_add_publication(aeron, "aeron:ipc", 4003);
    assert_non_null(pub);

    tp_test_driver_kill(&driver);

    int64_t deadline = tp_test_now_ms() + 15000;
    while (!aeron_is_closed(aeron) && tp_test_now_ms() < deadline)
    {
        tp_test_sleep_ms(10);
    }
    assert_true(aeron_is_closed(aeron));
    assert_true(__atomic_load_n(&errors_reported, __ATOMIC_SEQ_CST) >= 1);
    assert_int_equal(AERON_CLIENT_ERROR_DRIVER_TIMEOUT, __atomic_load_n(&last_error_code, __ATOMIC_SEQ_CST));
    uint8_t byte = 1;
    assert_int_equal(AERON_PUBLICATION_CLOSED, aeron_publication_offer(pub, &byte, 1, NULL, NULL));
    if (is_tensorpool_client())
    {
        aeron_async_add_publication_t *async = NULL;
        assert_int_equal(-1, aeron_async_add_publication(&async, aeron, "aeron:ipc", 4004));
        assert_non_null(strstr(aeron_errmsg(), "closed"));
    }

    aeron_close(aeron);
    aeron_context_close(ctx);
    tp_test_driver_stop(&driver);
}

/* Writes a fake cnc.dat: version, default section lengths, a fresh heartbeat, and `file_length` bytes in all. */
static void write_fake_cnc(const char *dir, int32_t version, size_t file_length)
{
    mkdir(dir, 0777);
    char path[512];
    snprintf(path, sizeof(path), "%s/cnc.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0666);
    assert_true(fd >= 0);
    assert_int_equal(0, ftruncate(fd, (off_t)file_length));
    int32_t header[6] = {version, 1048576 + 768, 1048576 + 128, 4194304, 1048576, 1048576};
    assert_int_equal(sizeof(header), pwrite(fd, header, sizeof(header), 0));
    close(fd);
}

static void test_cnc_with_wrong_major_version_is_refused(void **state)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "/dev/shm/tp-aeron-test-%d-badver", (int)getpid());
    write_fake_cnc(dir, (1 << 16) | (2 << 8), 8392704);
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = NULL;
    assert_int_equal(0, aeron_context_init(&ctx));
    assert_int_equal(0, aeron_context_set_dir(ctx, dir));
    assert_int_equal(0, aeron_context_set_driver_timeout_ms(ctx, 2000));
    int64_t start = tp_test_now_ms();
    assert_int_equal(-1, aeron_init(&aeron, ctx));
    assert_true(strlen(aeron_errmsg()) > 0);
    if (is_tensorpool_client())
    {
        assert_non_null(strstr(aeron_errmsg(), "version"));
        assert_non_null(strstr(aeron_errmsg(), "1.2.0"));
        assert_true(tp_test_now_ms() - start < 1500); /* refused at once, not after the timeout */
    }
    aeron_context_close(ctx);
    char path[512];
    snprintf(path, sizeof(path), "%s/cnc.dat", dir);
    unlink(path);
    rmdir(dir);
}

static void test_truncated_cnc_is_refused(void **state)
{
    if (!is_tensorpool_client())
    {
        skip(); /* the official client keeps waiting for the file to grow */
    }
    char dir[256];
    snprintf(dir, sizeof(dir), "/dev/shm/tp-aeron-test-%d-trunc", (int)getpid());
    write_fake_cnc(dir, 2 << 8, 4096);
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = NULL;
    assert_int_equal(0, aeron_context_init(&ctx));
    assert_int_equal(0, aeron_context_set_dir(ctx, dir));
    assert_int_equal(0, aeron_context_set_driver_timeout_ms(ctx, 300));
    assert_int_equal(-1, aeron_init(&aeron, ctx));
    assert_true(strlen(aeron_errmsg()) > 0);
    if (is_tensorpool_client())
    {
        assert_non_null(strstr(aeron_errmsg(), "truncated"));
        assert_non_null(strstr(aeron_errmsg(), "4096"));
    }
    aeron_context_close(ctx);
    char path[512];
    snprintf(path, sizeof(path), "%s/cnc.dat", dir);
    unlink(path);
    rmdir(dir);
}

static void test_missing_driver_times_out_with_an_error(void **state)
{
    aeron_context_t *ctx = NULL;
    aeron_t *aeron = NULL;
    assert_int_equal(0, aeron_context_init(&ctx));
    assert_int_equal(0, aeron_context_set_dir(ctx, "/dev/shm/tp-aeron-test-no-such-driver"));
    assert_int_equal(0, aeron_context_set_driver_timeout_ms(ctx, 200));
    assert_int_equal(-1, aeron_init(&aeron, ctx));
    assert_true(strlen(aeron_errmsg()) > 0);
    aeron_context_close(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cnc_with_wrong_major_version_is_refused),
        cmocka_unit_test(test_truncated_cnc_is_refused),
        cmocka_unit_test(test_missing_driver_times_out_with_an_error),
        cmocka_unit_test(test_killed_client_is_cleaned_up_by_the_driver),
        cmocka_unit_test(test_killed_driver_closes_clients_with_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
