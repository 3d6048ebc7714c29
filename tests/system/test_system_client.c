/*
 * The context and client: defaults from STREAM_ID_CONVENTIONS.md, setters that reject bad values naming them, a
 * client that cannot reach a driver failing with the directory in the message, asynchronous adds driven by hand in
 * invoker mode, and a driver that dies turning polls into -1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system_test_util.h"

static void test_context_defaults(void **state)
{
    (void)state;
    setenv("AERON_DIR", "/dev/shm/tp-test-aeron-dir-from-env", 1);
    tp_context_t *ctx = NULL;
    assert_int_equal(0, tp_context_init(&ctx));
    unsetenv("AERON_DIR");
    assert_string_equal("/dev/shm/tp-test-aeron-dir-from-env", tp_context_get_aeron_dir(ctx));
    assert_string_equal("aeron:ipc", tp_context_get_channel(ctx));
    assert_int_equal(1000, tp_context_get_stream_id(ctx, TP_STREAM_CONTROL));
    assert_int_equal(1100, tp_context_get_stream_id(ctx, TP_STREAM_DESCRIPTOR));
    assert_int_equal(1200, tp_context_get_stream_id(ctx, TP_STREAM_QOS));
    assert_int_equal(1300, tp_context_get_stream_id(ctx, TP_STREAM_METADATA));
    assert_int_equal(TP_CLIENT_MODE_INVOKER, tp_context_get_client_mode(ctx));
    assert_string_equal(TP_DEFAULT_SHM_BASE_DIR, tp_context_get_shm_base_dir(ctx));
    assert_int_equal(1, tp_context_allowed_dir_count(ctx));
    /* The allowed dir follows the base dir until allowed dirs are given explicitly. */
    assert_int_equal(0, tp_context_set_shm_base_dir(ctx, "/dev/shm/elsewhere"));
    assert_string_equal("/dev/shm/elsewhere", tp_context_allowed_dir(ctx, 0));
    assert_int_equal(0, tp_context_add_allowed_dir(ctx, "/dev/shm/a"));
    assert_int_equal(0, tp_context_add_allowed_dir(ctx, "/dev/shm/b"));
    assert_int_equal(2, tp_context_allowed_dir_count(ctx));
    assert_string_equal("/dev/shm/a", tp_context_allowed_dir(ctx, 0));
    assert_null(tp_context_allowed_dir(ctx, 2));
    tp_context_close(ctx);
}

static void test_context_rejects_bad_values(void **state)
{
    (void)state;
    tp_context_t *ctx = NULL;
    assert_int_equal(0, tp_context_init(&ctx));
    assert_int_equal(-1, tp_context_set_shm_base_dir(ctx, "relative/dir"));
    assert_non_null(strstr(tp_errmsg(), "relative/dir"));
    assert_int_equal(-1, tp_context_set_channel(ctx, "udp://nope"));
    assert_non_null(strstr(tp_errmsg(), "udp://nope"));
    assert_int_equal(-1, tp_context_set_control_stream_id(ctx, 0));
    assert_int_equal(-1, tp_context_set_consumer_descriptor_stream_range(ctx, 500, 400));
    assert_non_null(strstr(tp_errmsg(), "500..400"));
    assert_int_equal(-1, tp_context_set_consumer_stale_factor(ctx, 9));
    assert_non_null(strstr(tp_errmsg(), "9"));
    assert_int_equal(-1, tp_context_set_idle_strategy(ctx, "nap"));
    assert_non_null(strstr(tp_errmsg(), "nap"));
    assert_int_equal(-1, tp_context_set_announce_interval_ns(ctx, 0));
    assert_int_equal(-1, tp_context_set_client_mode(ctx, (tp_client_mode_t)7));
    assert_int_equal(0, tp_context_set_idle_strategy(ctx, "yield"));
    assert_int_equal(0, tp_context_set_channel(ctx, "aeron:ipc?term-length=64k"));
    tp_context_close(ctx);
}

static void test_client_without_driver_fails_naming_the_dir(void **state)
{
    (void)state;
    tp_context_t *ctx = NULL;
    assert_int_equal(0, tp_context_init(&ctx));
    assert_int_equal(0, tp_context_set_aeron_dir(ctx, "/dev/shm/tp-test-no-driver-here"));
    assert_int_equal(0, tp_context_set_driver_timeout_ms(ctx, 200));
    tp_client_t *client = NULL;
    assert_int_equal(-1, tp_client_start(&client, ctx));
    assert_int_equal(TP_ERR_AERON, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "/dev/shm/tp-test-no-driver-here"));
    tp_context_close(ctx);
}

static void test_async_adds_and_driver_loss(void **state)
{
    (void)state;
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    char shm_dir[256];
    st_scratch_dir(shm_dir, sizeof(shm_dir));
    tp_context_t *ctx = st_context(driver.dir, shm_dir, TP_CLIENT_MODE_INVOKER);
    assert_int_equal(0, tp_context_set_driver_timeout_ms(ctx, 1000));
    tp_client_t *client = NULL;
    assert_int_equal(0, tp_client_start(&client, ctx));
    tp_context_close(ctx);

    tp_producer_config_t pcfg;
    tp_producer_config_init(&pcfg);
    pcfg.stream_id = 3;
    pcfg.pool_count = 0;
    tp_async_add_producer_t *padd = NULL;
    assert_int_equal(-1, tp_producer_add_async(&padd, client, &pcfg));
    assert_non_null(strstr(tp_errmsg(), "pool_count"));
    pcfg.pool_count = 1;
    assert_int_equal(0, tp_producer_add_async(&padd, client, &pcfg));

    tp_consumer_config_t ccfg;
    tp_consumer_config_init(&ccfg);
    ccfg.stream_id = 3;
    ccfg.consumer_id = 1;
    tp_async_add_consumer_t *cadd = NULL;
    assert_int_equal(0, tp_consumer_add_async(&cadd, client, &ccfg));

    /* Invoker mode: nothing completes until the client is driven. */
    tp_producer_t *producer = NULL;
    tp_consumer_t *consumer = NULL;
    assert_int_equal(0, tp_producer_add_poll(&producer, padd));
    assert_int_equal(0, tp_consumer_add_poll(&consumer, cadd));
    int64_t deadline = tp_test_now_ms() + 5000;
    while ((NULL == producer || NULL == consumer) && tp_test_now_ms() < deadline)
    {
        assert_true(tp_client_do_work(client) >= 0);
        if (NULL == producer)
        {
            assert_true(tp_producer_add_poll(&producer, padd) >= 0);
        }
        if (NULL == consumer)
        {
            assert_true(tp_consumer_add_poll(&consumer, cadd) >= 0);
        }
        usleep(1000);
    }
    assert_non_null(producer);
    assert_non_null(consumer);
    assert_true(tp_producer_epoch(producer) >= 1);
    assert_non_null(strstr(tp_producer_header_path(producer), shm_dir));

    deadline = tp_test_now_ms() + 5000;
    while (!tp_consumer_is_mapped(consumer) && tp_test_now_ms() < deadline)
    {
        tp_client_do_work(client);
        tp_producer_poll(producer, 0);
        tp_consumer_poll(consumer, NULL, NULL, 0);
        usleep(1000);
    }
    assert_true(tp_consumer_is_mapped(consumer));

    /* The driver dies: within the driver timeout the client closes and every poll says so. */
    tp_test_driver_kill(&driver);
    deadline = tp_test_now_ms() + 10000;
    int rc = 0;
    while (rc >= 0 && tp_test_now_ms() < deadline)
    {
        rc = tp_client_do_work(client);
        usleep(1000);
    }
    assert_int_equal(-1, rc);
    assert_true(tp_client_is_closed(client));
    assert_non_null(strstr(tp_errmsg(), driver.dir));
    assert_int_equal(-1, tp_producer_poll(producer, 0));
    assert_int_equal(-1, tp_consumer_poll(consumer, NULL, NULL, 0));

    tp_consumer_close(consumer);
    tp_producer_close(producer);
    tp_client_close(client);
    st_driver_stop(&driver);
    st_remove_tree(shm_dir);
}

typedef struct mux_world_stct
{
    tp_client_t *client;
    tp_producer_t *producer;
    tp_consumer_t *consumer;
    st_frame_counts_t counts;
} mux_world_t;

static bool mux_ready(void *arg)
{
    mux_world_t *w = arg;
    tp_consumer_poll(w->consumer, st_frame_count, &w->counts, 0);
    uint32_t meta_version = 0;
    size_t attributes = 0;
    return tp_consumer_is_mapped(w->consumer) && 1 == tp_producer_consumer_count(w->producer) &&
           tp_consumer_meta(w->consumer, &meta_version, &attributes) && 1 == attributes;
}

/* All four shared streams multiplexed on one Aeron stream: one publication and subscription per side, and every
 * message gated by schema and template. */
static void test_streams_multiplexed_on_one_aeron_stream(void **state)
{
    (void)state;
    tp_test_driver_t driver;
    assert_int_equal(0, st_driver_start(&driver));
    char shm_dir[256];
    st_scratch_dir(shm_dir, sizeof(shm_dir));
    tp_context_t *ctx = st_context(driver.dir, shm_dir, TP_CLIENT_MODE_INVOKER);
    assert_int_equal(0, tp_context_set_descriptor_stream_id(ctx, 1000));
    assert_int_equal(0, tp_context_set_qos_stream_id(ctx, 1000));
    assert_int_equal(0, tp_context_set_metadata_stream_id(ctx, 1000));
    mux_world_t w;
    memset(&w, 0, sizeof(w));
    assert_int_equal(0, tp_client_start(&w.client, ctx));
    tp_context_close(ctx);

    tp_producer_config_t pcfg;
    tp_producer_config_init(&pcfg);
    pcfg.stream_id = 5;
    pcfg.producer_id = 5;
    pcfg.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    pcfg.header_nslots = 128;
    assert_int_equal(0, tp_producer_start(&w.producer, w.client, &pcfg));
    const uint8_t value[] = {7};
    tp_producer_meta_attribute_t attribute = {"k", "u8", value, 1};
    assert_int_equal(0, tp_producer_set_meta(w.producer, &attribute, 1));
    tp_consumer_config_t ccfg;
    tp_consumer_config_init(&ccfg);
    ccfg.stream_id = 5;
    ccfg.consumer_id = 6;
    assert_int_equal(0, tp_consumer_start(&w.consumer, w.client, &ccfg));
    assert_true(st_poll_producer_until(w.client, w.producer, mux_ready, &w, 10000));

    static uint8_t scratch[8192];
    for (int i = 0; i < 50; i++)
    {
        uint64_t seq = tp_producer_next_seq(w.producer);
        tp_tensor_desc_t desc;
        st_frame_desc(seq, &desc);
        st_frame_fill(scratch, seq);
        assert_int_equal(TP_PRODUCER_OK,
                         tp_producer_offer(w.producer, &desc, scratch, st_frame_length(seq), st_frame_timestamp(seq)));
        st_pump(w.client, w.producer, w.consumer, st_frame_count, &w.counts, 2);
    }
    st_pump(w.client, w.producer, w.consumer, st_frame_count, &w.counts, 100);
    assert_int_equal(50, w.counts.verified);
    assert_int_equal(0, w.counts.bad);
    assert_int_equal(0, tp_consumer_counters(w.consumer)->malformed_messages);
    assert_int_equal(0, tp_producer_counters(w.producer)->malformed_messages);

    st_world_close(w.client, w.producer, w.consumer, &driver, shm_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_defaults),
        cmocka_unit_test(test_context_rejects_bad_values),
        cmocka_unit_test(test_client_without_driver_fails_naming_the_dir),
        cmocka_unit_test(test_async_adds_and_driver_loss),
        cmocka_unit_test(test_streams_multiplexed_on_one_aeron_stream),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
