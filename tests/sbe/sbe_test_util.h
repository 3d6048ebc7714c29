/* Helpers shared by the SBE codec tests: loading vectors from $TP_SHARED_DIR and building raw byte buffers. */
#ifndef TP_SBE_TEST_UTIL_H
#define TP_SBE_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

/* Reads $TP_SHARED_DIR/vectors/<name> into a malloc'd buffer of exactly its size (so ASan sees overreads). */
static inline char *tp_test_load_vector(const char *name, size_t *len_out)
{
    const char *dir = getenv("TP_SHARED_DIR");
    char path[4096];
    FILE *f;
    long size;
    char *buf;

    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/vectors/%s", dir, name);
    f = fopen(path, "rb");
    if (NULL == f)
    {
        fail_msg("cannot open vector %s", path);
    }
    assert_int_equal(0, fseek(f, 0, SEEK_END));
    size = ftell(f);
    assert_true(size > 0);
    assert_int_equal(0, fseek(f, 0, SEEK_SET));
    buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal((size_t)size, fread(buf, 1, (size_t)size, f));
    fclose(f);
    *len_out = (size_t)size;
    return buf;
}

/* A copy of the first len bytes in a buffer of exactly len bytes: any read past it trips ASan. */
static inline char *tp_test_prefix_copy(const char *src, size_t len)
{
    char *p = malloc(len > 0 ? len : 1);
    assert_non_null(p);
    if (len > 0)
    {
        memcpy(p, src, len);
    }
    return p;
}

/* Little-endian byte writer for hand-built (hostile or future-version) messages. */
typedef struct tp_test_bytes_stct
{
    char data[1024];
    size_t len;
} tp_test_bytes_t;

static inline void tp_test_put(tp_test_bytes_t *b, const void *src, size_t n)
{
    assert_true(b->len + n <= sizeof(b->data));
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static inline void tp_test_put_u8(tp_test_bytes_t *b, uint8_t v)
{
    tp_test_put(b, &v, 1);
}

static inline void tp_test_put_u16(tp_test_bytes_t *b, uint16_t v)
{
    tp_test_put(b, &v, 2);
}

static inline void tp_test_put_u32(tp_test_bytes_t *b, uint32_t v)
{
    tp_test_put(b, &v, 4);
}

static inline void tp_test_put_u64(tp_test_bytes_t *b, uint64_t v)
{
    tp_test_put(b, &v, 8);
}

static inline void tp_test_put_fill(tp_test_bytes_t *b, uint8_t v, size_t n)
{
    assert_true(b->len + n <= sizeof(b->data));
    memset(b->data + b->len, v, n);
    b->len += n;
}

static inline void tp_test_put_var(tp_test_bytes_t *b, const char *s)
{
    tp_test_put_u32(b, (uint32_t)strlen(s));
    tp_test_put(b, s, strlen(s));
}

static inline void tp_test_put_header(tp_test_bytes_t *b, uint16_t block_length, uint16_t template_id,
                                      uint16_t schema_id, uint16_t version)
{
    tp_test_put_u16(b, block_length);
    tp_test_put_u16(b, template_id);
    tp_test_put_u16(b, schema_id);
    tp_test_put_u16(b, version);
}

static inline void tp_test_assert_bytes(const char *data, size_t length, const char *expected, size_t expected_length)
{
    assert_non_null(data);
    assert_int_equal(expected_length, length);
    if (expected_length > 0)
    {
        assert_memory_equal(expected, data, expected_length);
    }
}

/* Asserts that a string view holds exactly the given text. */
#define TP_ASSERT_VIEW(view, text) tp_test_assert_bytes((view).data, (view).length, (text), strlen(text))

#endif /* TP_SBE_TEST_UTIL_H */
