/* §15.21a.5 path containment against real file-system objects in a scratch dir. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/tp_shm_path.h"
#include "shm_test_util.h"
#include "tensorpool/tp_error.h"

typedef struct fixture_stct
{
    char root[PATH_MAX];
    char base[PATH_MAX];
    tp_shm_path_policy_t policy;
} fixture_t;

static int setup(void **state)
{
    static fixture_t fx;
    memset(&fx, 0, sizeof(fx));
    if (shm_test_make_tmpdir(fx.root, sizeof(fx.root), "path") < 0)
    {
        return -1;
    }
    char p[PATH_MAX];
    shm_test_path(fx.root, fx.base, "base");
    mkdir(fx.base, 0700);
    shm_test_path(fx.root, p, "base/sub");
    mkdir(p, 0700);
    shm_test_path(fx.root, p, "base/dir");
    mkdir(p, 0700);
    shm_test_path(fx.root, p, "outside");
    mkdir(p, 0700);
    shm_test_path(fx.root, p, "base-evil");
    mkdir(p, 0700);

    const char *files[] = {"base/file", "base/other", "base/sub/file", "outside/file", "base-evil/file"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    {
        shm_test_path(fx.root, p, files[i]);
        if (shm_test_make_file(p, 4096) < 0)
        {
            return -1;
        }
    }
    char target[PATH_MAX];
    shm_test_path(fx.root, target, "base/file");
    shm_test_path(fx.root, p, "base/link");
    symlink(target, p);
    shm_test_path(fx.root, target, "outside/file");
    shm_test_path(fx.root, p, "base/escape");
    symlink(target, p);
    shm_test_path(fx.root, p, "base/fifo");
    mkfifo(p, 0600);

    const char *bases[] = {fx.base};
    if (tp_shm_path_policy_init(&fx.policy, bases, 1) < 0)
    {
        return -1;
    }
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    tp_shm_path_policy_close(&fx->policy);
    shm_test_remove_tree(fx->root);
    return 0;
}

static void assert_rejected(const fixture_t *fx, const char *announced, const char *reason)
{
    tp_shm_validated_path_t v;
    tp_err_clear();
    int fd = tp_shm_path_open_checked(&fx->policy, announced, O_RDONLY, &v);
    if (fd >= 0)
    {
        close(fd);
        fail_msg("path '%s' was accepted, expected rejection (%s)", announced, reason);
    }
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    if (NULL == strstr(tp_errmsg(), reason))
    {
        fail_msg("path '%s': message '%s' lacks '%s'", announced, tp_errmsg(), reason);
    }
}

static void test_regular_file_inside_base_is_accepted(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/sub/file");
    tp_shm_validated_path_t v;
    int fd = tp_shm_path_open_checked(&fx->policy, p, O_RDONLY, &v);
    assert_true(fd >= 0);
    assert_int_equal(4096, v.size);
    close(fd);
}

static void test_dot_dot_inside_base_resolves_and_is_accepted(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/sub/../file");
    tp_shm_validated_path_t v;
    int fd = tp_shm_path_open_checked(&fx->policy, p, O_RDONLY, &v);
    assert_true(fd >= 0);
    close(fd);
    char canonical[PATH_MAX];
    shm_test_path(fx->root, canonical, "base/file");
    char *expected = realpath(canonical, NULL);
    assert_string_equal(expected, v.canonical);
    free(expected);
}

static void test_symlink_inside_base_is_opened_by_its_canonical_target(void **state)
{
    /* realpath resolves base/link to base/file (inside the base), and the open uses the canonical path. */
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/link");
    tp_shm_validated_path_t v;
    int fd = tp_shm_path_open_checked(&fx->policy, p, O_RDONLY, &v);
    assert_true(fd >= 0);
    close(fd);
    assert_non_null(strstr(v.canonical, "/base/file"));
}

static void test_rejects_relative_and_missing(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    assert_rejected(fx, "base/file", "not an absolute path");
    assert_rejected(fx, "", "not an absolute path");
    shm_test_path(fx->root, p, "base/nope");
    assert_rejected(fx, p, "cannot resolve");
}

static void test_rejects_outside_base(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "outside/file");
    assert_rejected(fx, p, "outside the 1 allowed base dir");
}

static void test_rejects_dot_dot_traversal(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/../outside/file");
    assert_rejected(fx, p, "outside the 1 allowed base dir");
    shm_test_path(fx->root, p, "base/sub/../../outside/file");
    assert_rejected(fx, p, "outside the 1 allowed base dir");
}

static void test_rejects_symlink_escaping_base(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/escape");
    assert_rejected(fx, p, "outside the 1 allowed base dir");
}

static void test_rejects_prefix_trick(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base-evil/file");
    assert_rejected(fx, p, "outside the 1 allowed base dir");
}

static void test_rejects_base_dir_itself(void **state)
{
    fixture_t *fx = *state;
    assert_rejected(fx, fx->base, "outside the 1 allowed base dir");
}

static void test_rejects_directory(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/dir");
    assert_rejected(fx, p, "is a directory");
}

static void test_rejects_fifo(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/fifo");
    assert_rejected(fx, p, "is a FIFO");
}

static void test_rejects_socket(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/sock");
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(p) >= sizeof(addr.sun_path))
    {
        skip();
    }
    strcpy(addr.sun_path, p);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    assert_int_equal(0, bind(s, (struct sockaddr *)&addr, sizeof(addr)));
    assert_rejected(fx, p, "is a socket");
    close(s);
    unlink(p);
}

static void test_rejects_character_device(void **state)
{
    const char *bases[] = {"/dev"};
    tp_shm_path_policy_t dev_policy;
    assert_int_equal(0, tp_shm_path_policy_init(&dev_policy, bases, 1));
    tp_shm_validated_path_t v;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_path_validate(&dev_policy, "/dev/null", &v));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "/dev/null"));
    assert_non_null(strstr(tp_errmsg(), "is a character device"));
    tp_shm_path_policy_close(&dev_policy);
}

static void test_symlink_swapped_in_after_validation_is_refused(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    char aside[PATH_MAX];
    char target[PATH_MAX];
    shm_test_path(fx->root, p, "base/file");
    tp_shm_validated_path_t v;
    assert_int_equal(0, tp_shm_path_validate(&fx->policy, p, &v));

    /* Attacker moves the file away and plants a symlink (to a file that would itself pass) under its name. */
    shm_test_path(fx->root, aside, "base/file.aside");
    shm_test_path(fx->root, target, "base/other");
    assert_int_equal(0, rename(p, aside));
    assert_int_equal(0, symlink(target, p));

    tp_err_clear();
    assert_int_equal(-1, tp_shm_path_open(&v, O_RDONLY));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "symbolic link"));

    unlink(p);
    assert_int_equal(0, rename(aside, p));
}

static void test_file_replaced_after_validation_is_refused(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    char replacement[PATH_MAX];
    char aside[PATH_MAX];
    shm_test_path(fx->root, p, "base/file");
    tp_shm_validated_path_t v;
    assert_int_equal(0, tp_shm_path_validate(&fx->policy, p, &v));

    /* A different regular file under the same name: only the inode re-check can tell. */
    shm_test_path(fx->root, aside, "base/file.aside");
    shm_test_path(fx->root, replacement, "base/file.new");
    assert_int_equal(0, shm_test_make_file(replacement, 4096));
    assert_int_equal(0, rename(p, aside));
    assert_int_equal(0, rename(replacement, p));

    tp_err_clear();
    assert_int_equal(-1, tp_shm_path_open(&v, O_RDONLY));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "replaced after validation"));

    assert_int_equal(0, rename(aside, p));
}

static void test_fifo_swapped_in_after_validation_is_refused_without_blocking(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    char aside[PATH_MAX];
    shm_test_path(fx->root, p, "base/file");
    tp_shm_validated_path_t v;
    assert_int_equal(0, tp_shm_path_validate(&fx->policy, p, &v));

    shm_test_path(fx->root, aside, "base/file.aside");
    assert_int_equal(0, rename(p, aside));
    assert_int_equal(0, mkfifo(p, 0600));

    tp_err_clear();
    assert_int_equal(-1, tp_shm_path_open(&v, O_RDONLY));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "FIFO"));

    unlink(p);
    assert_int_equal(0, rename(aside, p));
}

static void test_is_within_compares_components(void **state)
{
    assert_true(tp_shm_path_is_within("/dev/shm/a", "/dev/shm/a/b"));
    assert_true(tp_shm_path_is_within("/dev/shm/a", "/dev/shm/a/b/c"));
    assert_false(tp_shm_path_is_within("/dev/shm/a", "/dev/shm/ab"));
    assert_false(tp_shm_path_is_within("/dev/shm/a", "/dev/shm/a"));
    assert_false(tp_shm_path_is_within("/dev/shm/a", "/dev/shm"));
    assert_false(tp_shm_path_is_within("/dev/shm/a", "/dev/shm/b/a"));
    assert_true(tp_shm_path_is_within("/", "/x"));
    assert_false(tp_shm_path_is_within("/", "/"));
}

static void test_policy_canonicalises_base_dirs_once(void **state)
{
    fixture_t *fx = *state;
    char link[PATH_MAX];
    char p[PATH_MAX];
    shm_test_path(fx->root, link, "base-link");
    assert_int_equal(0, symlink(fx->base, link));
    const char *bases[] = {link};
    tp_shm_path_policy_t policy;
    assert_int_equal(0, tp_shm_path_policy_init(&policy, bases, 1));
    char *canonical_base = realpath(fx->base, NULL);
    assert_string_equal(canonical_base, policy.canonical_dirs[0]);
    free(canonical_base);

    /* A file announced through the canonical base is inside the (symlinked) configured base. */
    shm_test_path(fx->root, p, "base/file");
    tp_shm_validated_path_t v;
    assert_int_equal(0, tp_shm_path_validate(&policy, p, &v));

    /* Re-pointing the link after init does not move the policy. */
    unlink(link);
    char other[PATH_MAX];
    shm_test_path(fx->root, other, "outside");
    assert_int_equal(0, symlink(other, link));
    shm_test_path(fx->root, p, "outside/file");
    assert_int_equal(-1, tp_shm_path_validate(&policy, p, &v));
    tp_shm_path_policy_close(&policy);
    unlink(link);
}

static void test_policy_rejects_bad_base_dirs(void **state)
{
    fixture_t *fx = *state;
    tp_shm_path_policy_t policy;
    char p[PATH_MAX];
    const char *relative[] = {"dev/shm"};
    tp_err_clear();
    assert_int_equal(-1, tp_shm_path_policy_init(&policy, relative, 1));
    assert_int_equal(TP_ERR_PATH, tp_errcode());

    shm_test_path(fx->root, p, "missing-dir");
    const char *missing[] = {p};
    assert_int_equal(-1, tp_shm_path_policy_init(&policy, missing, 1));
    assert_non_null(strstr(tp_errmsg(), "cannot be resolved"));

    shm_test_path(fx->root, p, "base/file");
    const char *file[] = {p};
    assert_int_equal(-1, tp_shm_path_policy_init(&policy, file, 1));
    assert_non_null(strstr(tp_errmsg(), "not a directory"));
    assert_int_equal(0, policy.count);
}

static void test_empty_policy_rejects_everything(void **state)
{
    fixture_t *fx = *state;
    tp_shm_path_policy_t policy;
    assert_int_equal(0, tp_shm_path_policy_init(&policy, NULL, 0));
    char p[PATH_MAX];
    shm_test_path(fx->root, p, "base/file");
    tp_shm_validated_path_t v;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_path_validate(&policy, p, &v));
    assert_non_null(strstr(tp_errmsg(), "outside the 0 allowed base dir"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_file_inside_base_is_accepted),
        cmocka_unit_test(test_dot_dot_inside_base_resolves_and_is_accepted),
        cmocka_unit_test(test_symlink_inside_base_is_opened_by_its_canonical_target),
        cmocka_unit_test(test_rejects_relative_and_missing),
        cmocka_unit_test(test_rejects_outside_base),
        cmocka_unit_test(test_rejects_dot_dot_traversal),
        cmocka_unit_test(test_rejects_symlink_escaping_base),
        cmocka_unit_test(test_rejects_prefix_trick),
        cmocka_unit_test(test_rejects_base_dir_itself),
        cmocka_unit_test(test_rejects_directory),
        cmocka_unit_test(test_rejects_fifo),
        cmocka_unit_test(test_rejects_socket),
        cmocka_unit_test(test_rejects_character_device),
        cmocka_unit_test(test_symlink_swapped_in_after_validation_is_refused),
        cmocka_unit_test(test_file_replaced_after_validation_is_refused),
        cmocka_unit_test(test_fifo_swapped_in_after_validation_is_refused_without_blocking),
        cmocka_unit_test(test_is_within_compares_components),
        cmocka_unit_test(test_policy_canonicalises_base_dirs_once),
        cmocka_unit_test(test_policy_rejects_bad_base_dirs),
        cmocka_unit_test(test_empty_policy_rejects_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
