/*
 * The optional wake-up word: created and removed by its owner, opened by others, a bump seen by a waiter that
 * registered before or after it, a blocked waiter in another process woken by the signal, and no system call
 * when nobody waits (signal reports 0). Plus tp_memcpy_nt: byte-exact at every size and misalignment.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_atomic.h"
#include "common/tp_error_private.h"
#include "common/tp_memcpy_nt.h"
#include "common/tp_wake.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/dev/shm/tp-test-wake-XXXXXX");
    if (NULL == mkdtemp(dir))
    {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, TP_WAKE_FILE_NAME);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

static void test_create_open_close(void **state)
{
    (void)state;
    tp_wake_t missing;
    assert_int_equal(-1, tp_wake_open(&missing, path));
    assert_int_equal(ENOENT, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), path));

    tp_wake_t owner;
    tp_wake_t peer;
    assert_int_equal(0, tp_wake_create(&owner, path));
    assert_true(tp_wake_is_open(&owner));
    assert_int_equal(0, tp_wake_open(&peer, path));
    assert_int_equal(0, tp_wake_sequence(&peer));

    /* Nobody waits: the bump is visible to the peer and no wake-up is issued. */
    assert_int_equal(0, tp_wake_signal(&owner));
    assert_int_equal(0, tp_wake_signal(&owner));
    assert_int_equal(2, tp_wake_sequence(&peer));

    tp_wake_close(&peer);
    assert_false(tp_wake_is_open(&peer));
    struct stat st;
    assert_int_equal(0, stat(path, &st)); /* a peer's close leaves the file */
    tp_wake_close(&owner);
    assert_int_equal(-1, stat(path, &st)); /* the owner's close removes it */
    tp_wake_close(&owner);                 /* twice is harmless */
}

static void test_wait_sees_a_bump_made_before_it(void **state)
{
    (void)state;
    tp_wake_t owner;
    tp_wake_t peer;
    assert_int_equal(0, tp_wake_create(&owner, path));
    assert_int_equal(0, tp_wake_open(&peer, path));
    uint32_t seen = tp_wake_sequence(&peer);
    tp_wake_signal(&owner);
    /* The word moved since `seen` was read: no blocking, even with a long timeout. */
    assert_int_equal(1, tp_wake_wait(&peer, seen, 60ULL * 1000000000ULL));
    /* Nothing new: a short timeout expires and says so. */
    assert_int_equal(0, tp_wake_wait(&peer, tp_wake_sequence(&peer), 1000000ULL));
    assert_int_equal(0, tp_load_acquire_i32(&peer.page->waiters));
    tp_wake_close(&peer);
    tp_wake_close(&owner);
}

static void test_blocked_waiter_in_another_process_is_woken(void **state)
{
    (void)state;
    tp_wake_t owner;
    assert_int_equal(0, tp_wake_create(&owner, path));
    pid_t child = fork();
    assert_true(child >= 0);
    if (0 == child)
    {
        tp_wake_t peer;
        if (0 != tp_wake_open(&peer, path))
        {
            _exit(2);
        }
        uint32_t seen = tp_wake_sequence(&peer);
        /* A minute: only the signal can end this wait within the test's timeout. */
        int rc = tp_wake_wait(&peer, seen, 60ULL * 1000000000ULL);
        tp_wake_close(&peer);
        _exit(1 == rc ? 0 : 1);
    }
    /* Signal only once the child is registered as a waiter, so the wake-up path (not the recheck) is taken. */
    while (0 == tp_load_acquire_i32(&owner.page->waiters))
    {
        usleep(100);
    }
    usleep(20000); /* most likely inside FUTEX_WAIT by now; either way the wait must return 1 */
    assert_int_equal(1, tp_wake_signal(&owner));
    int status = 0;
    assert_int_equal(child, waitpid(child, &status, 0));
    assert_true(WIFEXITED(status));
    assert_int_equal(0, WEXITSTATUS(status));
    assert_int_equal(0, tp_load_acquire_i32(&owner.page->waiters));
    tp_wake_close(&owner);
}

static void test_owner_close_marks_the_word_closed_and_wakes(void **state)
{
    (void)state;
    tp_wake_t owner;
    tp_wake_t peer;
    assert_int_equal(0, tp_wake_create(&owner, path));
    assert_int_equal(0, tp_wake_open(&peer, path));
    uint32_t seen = tp_wake_sequence(&peer);
    assert_false(tp_wake_is_closed(&peer));
    tp_wake_close(&owner);
    /* The peer's mapping outlives the file: it sees the close and the last bump, so it does not block. */
    assert_true(tp_wake_is_closed(&peer));
    assert_int_equal(1, tp_wake_wait(&peer, seen, 60ULL * 1000000000ULL));
    tp_wake_close(&peer);
}

static void test_memcpy_nt_is_byte_exact(void **state)
{
    (void)state;
    const size_t cap = 3 * 65536;
    uint8_t *src = malloc(cap);
    uint8_t *dst = malloc(cap + 128);
    uint8_t *ref = malloc(cap + 128);
    assert_non_null(src);
    assert_non_null(dst);
    assert_non_null(ref);
    for (size_t i = 0; i < cap; i++)
    {
        src[i] = (uint8_t)(i * 131 + 7);
    }
    const size_t sizes[] = {0, 1, 15, 63, 64, 65, 127, 4096, 4096 + 13, 65536 + 61, 2 * 65536 + 1};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
    {
        for (size_t dst_off = 0; dst_off < 64; dst_off += 7)
        {
            for (size_t src_off = 0; src_off < 64; src_off += 13)
            {
                memset(dst, 0xEE, cap + 128);
                memset(ref, 0xEE, cap + 128);
                tp_memcpy_nt(dst + dst_off, src + src_off, sizes[k]);
                memcpy(ref + dst_off, src + src_off, sizes[k]);
                /* The bytes around the copy are untouched too. */
                assert_memory_equal(ref, dst, cap + 128);
            }
        }
    }
    /* tp_memcpy_publish picks by frame and ring size; both paths must copy the same bytes. */
    memset(dst, 0, cap);
    tp_memcpy_publish(dst, src, cap, 1);
    assert_memory_equal(src, dst, cap);
    memset(dst, 0, cap);
    tp_memcpy_publish(dst + 3, src, cap - 3, SIZE_MAX); /* cap - 3 < 1 MiB: still plain memcpy */
    assert_memory_equal(src, dst + 3, cap - 3);
    free(src);
    free(dst);
    free(ref);
    /* A frame above TP_MEMCPY_NT_MIN_FRAME into a ring above TP_MEMCPY_NT_MIN_RING: the streaming path. */
    const size_t big = TP_MEMCPY_NT_MIN_FRAME + 37;
    uint8_t *bsrc = malloc(big);
    uint8_t *bdst = calloc(1, big + 64);
    assert_non_null(bsrc);
    assert_non_null(bdst);
    for (size_t i = 0; i < big; i++)
    {
        bsrc[i] = (uint8_t)(i * 7 + 1);
    }
    tp_memcpy_publish(bdst + 5, bsrc, big, TP_MEMCPY_NT_MIN_RING);
    assert_memory_equal(bsrc, bdst + 5, big);
    assert_int_equal(0, bdst[4]);
    assert_int_equal(0, bdst[big + 5]);
    free(bsrc);
    free(bdst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_open_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_sees_a_bump_made_before_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_waiter_in_another_process_is_woken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_close_marks_the_word_closed_and_wakes, setup, teardown),
        cmocka_unit_test(test_memcpy_nt_is_byte_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
