/*
 * tp_shm_base_dir_ensure(): mkdir -p of the SHM base dir on a fresh machine, private (0700 whatever the umask)
 * for the components it creates, leaving existing directories as they are, refusing a symlink or a
 * non-directory in place of the base dir and a non-directory in place of a parent. Scratch dirs under /dev/shm.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shm/tp_shm_base_dir.h"
#include "shm_test_util.h"
#include "tensorpool/tp_error.h"

typedef struct fixture_stct
{
    char root[256];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (NULL == f || shm_test_make_tmpdir(f->root, sizeof(f->root), "basedir") < 0)
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

static void fx_path(const fixture_t *f, char *out, const char *rel)
{
    snprintf(out, PATH_MAX, "%s/%s", f->root, rel);
}

static int mode_of(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
    {
        return -1;
    }
    return (int)(st.st_mode & 07777);
}

static void test_missing_parents_created_private_whatever_the_umask(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];
    fx_path(f, p, "a/b/tensorpool/");
    const mode_t old = umask(0);
    assert_int_equal(0, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));
    umask(old);
    fx_path(f, p, "a");
    assert_int_equal(0700, mode_of(p));
    fx_path(f, p, "a/b");
    assert_int_equal(0700, mode_of(p));
    fx_path(f, p, "a/b/tensorpool");
    assert_int_equal(0700, mode_of(p));

    /* A strict umask does not make them unusable either. */
    umask(0777);
    fx_path(f, p, "c/tensorpool");
    const int rc = tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE);
    umask(old);
    assert_int_equal(0, rc);
    assert_int_equal(0700, mode_of(p));

    /* Again: existing directories are accepted. */
    fx_path(f, p, "a/b/tensorpool");
    assert_int_equal(0, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));
}

static void test_existing_directory_mode_left_alone(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];
    fx_path(f, p, "shared");
    assert_int_equal(0, mkdir(p, 0700));
    assert_int_equal(0, chmod(p, 0755));
    fx_path(f, p, "shared/tensorpool");
    assert_int_equal(0, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));
    assert_int_equal(0700, mode_of(p));
    fx_path(f, p, "shared");
    assert_int_equal(0755, mode_of(p));
}

static void test_symlink_in_place_refused(void **state)
{
    fixture_t *f = *state;
    char target[PATH_MAX];
    char link[PATH_MAX];
    fx_path(f, target, "elsewhere");
    assert_int_equal(0, mkdir(target, 0700));
    fx_path(f, link, "tensorpool");
    assert_int_equal(0, symlink(target, link));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_base_dir_ensure(link, TP_SHM_BASE_DIR_MODE));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "not a directory"));

    /* A dangling symlink is not followed to create its target. */
    fx_path(f, target, "nowhere");
    fx_path(f, link, "dangling");
    assert_int_equal(0, symlink(target, link));
    assert_int_equal(-1, tp_shm_base_dir_ensure(link, TP_SHM_BASE_DIR_MODE));
    assert_int_equal(-1, mode_of(target));

    /* The consumer's variant leaves an existing entry (a symlinked allowed dir) to the path policy. */
    fx_path(f, link, "tensorpool");
    assert_int_equal(0, tp_shm_base_dir_ensure_if_missing(link, TP_SHM_BASE_DIR_MODE));
    fx_path(f, link, "fresh/tensorpool");
    assert_int_equal(0, tp_shm_base_dir_ensure_if_missing(link, TP_SHM_BASE_DIR_MODE));
    assert_int_equal(0700, mode_of(link));
}

static void test_symlinked_parent_accepted(void **state)
{
    fixture_t *f = *state;
    char target[PATH_MAX];
    char p[PATH_MAX];
    fx_path(f, target, "real-shm");
    assert_int_equal(0, mkdir(target, 0700));
    fx_path(f, p, "shm-link");
    assert_int_equal(0, symlink(target, p));
    fx_path(f, p, "shm-link/tensorpool");
    assert_int_equal(0, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));
    fx_path(f, p, "real-shm/tensorpool");
    assert_int_equal(0700, mode_of(p));
}

static void test_non_directories_and_bad_paths_refused(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];
    fx_path(f, p, "file");
    assert_int_equal(0, shm_test_write_file(p, "x", 1));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    fx_path(f, p, "file/tensorpool");
    assert_int_equal(-1, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));

    assert_int_equal(-1, tp_shm_base_dir_ensure("relative/tensorpool", TP_SHM_BASE_DIR_MODE));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_int_equal(-1, tp_shm_base_dir_ensure(NULL, TP_SHM_BASE_DIR_MODE));
    fx_path(f, p, "x/../y");
    assert_int_equal(-1, tp_shm_base_dir_ensure(p, TP_SHM_BASE_DIR_MODE));
    assert_non_null(strstr(tp_errmsg(), ".."));
    fx_path(f, p, "x");
    assert_int_equal(-1, mode_of(p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_parents_created_private_whatever_the_umask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_directory_mode_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_in_place_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinked_parent_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_directories_and_bad_paths_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
