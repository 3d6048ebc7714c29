/*
 * The epoch seed of a (re)starting producer instance: above every epoch-<E> directory left in the instance dir
 * and never below the wall-clock microseconds given, so a restart after a clean close (no directory left) still
 * announces a higher epoch than before. And the canonical layout's directories: created 0700, removed on close
 * down to the base dir when empty.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shm/tp_shm_layout.h"
#include "shm_test_util.h"

typedef struct fixture_stct
{
    char root[256];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (NULL == f || shm_test_make_tmpdir(f->root, sizeof(f->root), "layout") < 0)
    {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    shm_test_remove_tree(f->root);
    free(f);
    return 0;
}

static void make_dir(const fixture_t *f, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", f->root, name);
    assert_int_equal(0, mkdir(path, 0700));
}

static void test_next_epoch_without_directories_follows_the_clock(void **state)
{
    fixture_t *f = *state;
    char missing[PATH_MAX];
    snprintf(missing, sizeof(missing), "%s/no-such-instance", f->root);
    assert_int_equal(1, tp_shm_layout_next_epoch(missing, 0));
    assert_int_equal(UINT64_C(1733230000123456), tp_shm_layout_next_epoch(missing, UINT64_C(1733230000123456)));
    assert_int_equal(1, tp_shm_layout_next_epoch(f->root, 0));
    assert_int_equal(42, tp_shm_layout_next_epoch(f->root, 42));
}

static void test_next_epoch_is_above_every_epoch_directory(void **state)
{
    fixture_t *f = *state;
    make_dir(f, "epoch-5");
    make_dir(f, "epoch-17");
    /* Not epoch directories: no digits, trailing junk, a sign, another prefix. */
    make_dir(f, "epoch-");
    make_dir(f, "epoch-99x");
    make_dir(f, "epoch-+1000");
    make_dir(f, "epochs-500");
    assert_int_equal(18, tp_shm_layout_next_epoch(f->root, 0));
    assert_int_equal(18, tp_shm_layout_next_epoch(f->root, 18));
    assert_int_equal(18, tp_shm_layout_next_epoch(f->root, 3)); /* a clock behind the directories */
    assert_int_equal(1000, tp_shm_layout_next_epoch(f->root, 1000));
}

static void test_next_epoch_does_not_wrap(void **state)
{
    fixture_t *f = *state;
    make_dir(f, "epoch-18446744073709551615");
    assert_int_equal(UINT64_MAX, tp_shm_layout_next_epoch(f->root, 7));
}

static void test_dirs_created_private_and_removed_when_empty(void **state)
{
    fixture_t *f = *state;
    tp_shm_layout_t layout;
    char path[PATH_MAX];
    char instance[PATH_MAX];
    struct stat st;
    assert_int_equal(0, tp_shm_layout_init(&layout, f->root, "ns", "cam0", 12));
    assert_int_equal(0, tp_shm_layout_create_dirs(&layout));
    assert_int_equal(0, tp_shm_layout_epoch_dir(&layout, path, sizeof(path)));
    assert_int_equal(0, lstat(path, &st));
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(0700, st.st_mode & 07777);
    snprintf(instance, sizeof(instance), "%s/ns/cam0", f->root);
    assert_int_equal(13, tp_shm_layout_next_epoch(instance, 0));

    assert_int_equal(0, tp_shm_layout_remove_dirs(&layout));
    snprintf(path, sizeof(path), "%s/ns", f->root);
    assert_int_equal(-1, lstat(path, &st));
    assert_int_equal(ENOENT, errno);
    assert_int_equal(0, lstat(f->root, &st)); /* the base dir stays */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_next_epoch_without_directories_follows_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_epoch_is_above_every_epoch_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_epoch_does_not_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirs_created_private_and_removed_when_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
