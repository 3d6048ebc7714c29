/*
 * A plain Aeron client in a test process that throws raw bytes at a control stream (aeron:ipc 1000): garbage,
 * truncated and hostile messages for the driver and discovery tests. Failures are cmocka assertions.
 */
#ifndef TP_APPS_RAW_SENDER_H
#define TP_APPS_RAW_SENDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <aeronc.h>

#include "apps_test_process.h"

typedef struct raw_sender_stct
{
    aeron_context_t *ctx;
    aeron_t *aeron;
    aeron_publication_t *publication;
} raw_sender_t;

static inline void raw_sender_open(raw_sender_t *s, const char *aeron_dir)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(aeron_context_init(&s->ctx), 0);
    assert_int_equal(aeron_context_set_dir(s->ctx, aeron_dir), 0);
    assert_int_equal(aeron_init(&s->aeron, s->ctx), 0);
    assert_int_equal(aeron_start(s->aeron), 0);
    aeron_async_add_publication_t *async = NULL;
    assert_int_equal(aeron_async_add_publication(&async, s->aeron, "aeron:ipc", 1000), 0);
    int64_t deadline = apps_now_ms() + 10000;
    int rc = 0;
    while (0 == (rc = aeron_async_add_publication_poll(&s->publication, async)) && apps_now_ms() < deadline)
    {
        apps_sleep_ms(1);
    }
    assert_int_equal(rc, 1);
}

/* Offer until accepted (10 s at most). */
static inline void raw_sender_send(raw_sender_t *s, const uint8_t *buffer, size_t length)
{
    int64_t deadline = apps_now_ms() + 10000;
    while (aeron_publication_offer(s->publication, buffer, length, NULL, NULL) < 0)
    {
        assert_true(apps_now_ms() < deadline);
        apps_sleep_ms(1);
    }
}

static inline void raw_sender_close(raw_sender_t *s)
{
    aeron_publication_close(s->publication, NULL, NULL);
    aeron_close(s->aeron);
    aeron_context_close(s->ctx);
}

#endif /* TP_APPS_RAW_SENDER_H */
