/* Region files: canonical layout, permissions, exclusive create, preallocation, consumer mapping. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/tp_shm_layout.h"
#include "shm/tp_shm_region.h"
#include "shm_test_util.h"
#include "tensorpool/tp_error.h"

typedef shm_test_fixture_t fixture_t;

static int setup(void **state)
{
    return shm_test_fixture_setup(state, "region");
}

static int teardown(void **state)
{
    return shm_test_fixture_teardown(state);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(0, lstat(path, &st));
    return st.st_mode & 07777;
}

static void test_layout_paths(void **state)
{
    tp_shm_layout_t layout;
    char buf[PATH_MAX];
    assert_int_equal(0, tp_shm_layout_init(&layout, "/dev/shm/", "tensorpool", "0f8e-42", 7));
    assert_int_equal(0, tp_shm_layout_epoch_dir(&layout, buf, sizeof(buf)));
    assert_string_equal("/dev/shm/tensorpool/0f8e-42/epoch-7", buf);
    assert_int_equal(0, tp_shm_layout_header_path(&layout, buf, sizeof(buf)));
    assert_string_equal("/dev/shm/tensorpool/0f8e-42/epoch-7/header.ring", buf);
    assert_int_equal(0, tp_shm_layout_pool_path(&layout, 3, buf, sizeof(buf)));
    assert_string_equal("/dev/shm/tensorpool/0f8e-42/epoch-7/payload-3.pool", buf);

    char small[24];
    tp_err_clear();
    assert_int_equal(-1, tp_shm_layout_header_path(&layout, small, sizeof(small)));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
}

static void test_layout_rejects_bad_names(void **state)
{
    tp_shm_layout_t layout;
    const char *bad[] = {"", ".", "..", "a/b", "a b", "a|b", "a?b", "a\tb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    {
        tp_err_clear();
        assert_int_equal(-1, tp_shm_layout_init(&layout, "/dev/shm", bad[i], "id", 1));
        assert_int_equal(TP_ERR_PATH, tp_errcode());
        assert_int_equal(-1, tp_shm_layout_init(&layout, "/dev/shm", "ns", bad[i], 1));
    }
    assert_int_equal(-1, tp_shm_layout_init(&layout, "dev/shm", "ns", "id", 1));
    assert_non_null(strstr(tp_errmsg(), "not an absolute path"));
}

static void test_layout_dirs_are_private_whatever_the_umask(void **state)
{
    fixture_t *fx = *state;
    tp_shm_layout_t layout;
    char p[PATH_MAX];
    mode_t old = umask(0);
    assert_int_equal(0, tp_shm_layout_init(&layout, fx->root, "tensorpool", "producer-a", 3));
    assert_int_equal(0, tp_shm_layout_create_dirs(&layout));
    umask(old);
    shm_test_path(fx->root, p, "tensorpool");
    assert_int_equal(0700, mode_of(p));
    shm_test_path(fx->root, p, "tensorpool/producer-a");
    assert_int_equal(0700, mode_of(p));
    shm_test_path(fx->root, p, "tensorpool/producer-a/epoch-3");
    assert_int_equal(0700, mode_of(p));

    /* Existing dirs are fine (another epoch of the same producer). */
    assert_int_equal(0, tp_shm_layout_create_dirs(&layout));

    assert_int_equal(0, tp_shm_layout_remove_dirs(&layout));
    shm_test_path(fx->root, p, "tensorpool");
    assert_int_equal(-1, access(p, F_OK));
}

static void test_layout_refuses_symlinked_dir(void **state)
{
    fixture_t *fx = *state;
    char p[PATH_MAX];
    char target[PATH_MAX];
    shm_test_path(fx->root, target, "elsewhere");
    assert_int_equal(0, mkdir(target, 0700));
    shm_test_path(fx->root, p, "ns-link");
    assert_int_equal(0, symlink(target, p));
    tp_shm_layout_t layout;
    assert_int_equal(0, tp_shm_layout_init(&layout, fx->root, "ns-link", "p", 1));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_layout_create_dirs(&layout));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "not a directory"));
}

static void test_region_lengths(void **state)
{
    size_t length = 0;
    assert_int_equal(0, tp_shm_region_header_length(8, &length));
    assert_int_equal(64 + 8 * 256, length);
    assert_int_equal(0, tp_shm_region_pool_length(16, 65536, &length));
    assert_int_equal(64 + 16 * 65536, length);
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_header_length(6, &length));
    assert_int_equal(TP_ERR_LAYOUT, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "nslots 6 is not a power of two"));
    assert_int_equal(-1, tp_shm_region_pool_length(0, 4096, &length));
}

static void test_stride_rules(void **state)
{
    tp_err_clear();
    assert_int_equal(-1, tp_shm_stride_check(3000, 4096, 0));
    assert_int_equal(TP_ERR_STRIDE, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "stride_bytes 3000 is not a power of two"));
    assert_int_equal(-1, tp_shm_stride_check(0, 4096, 0));
    assert_non_null(strstr(tp_errmsg(), "stride_bytes 0 is not a power of two"));
    assert_int_equal(-1, tp_shm_stride_check(2048, 4096, 0));
    assert_non_null(strstr(tp_errmsg(), "stride_bytes 2048 is not a multiple of the page size 4096"));
    assert_int_equal(-1, tp_shm_stride_check(65536, 4096, 2u * 1024 * 1024));
    assert_non_null(strstr(tp_errmsg(), "not a multiple of the hugepage size 2097152"));
    assert_int_equal(0, tp_shm_stride_check(4096, 4096, 0));
    assert_int_equal(0, tp_shm_stride_check(4u * 1024 * 1024, 4096, 2u * 1024 * 1024));
}

static void test_create_header_ring_and_map_it(void **state)
{
    fixture_t *fx = *state;
    tp_shm_layout_t layout;
    char path[PATH_MAX];
    char uri_text[PATH_MAX + 64];
    assert_int_equal(0, tp_shm_layout_init(&layout, fx->root, "tensorpool", "p1", 9));
    assert_int_equal(0, tp_shm_layout_create_dirs(&layout));
    assert_int_equal(0, tp_shm_layout_header_path(&layout, path, sizeof(path)));

    size_t length = 0;
    assert_int_equal(0, tp_shm_region_header_length(8, &length));
    mode_t old = umask(0);
    tp_shm_region_t producer;
    assert_int_equal(0, tp_shm_region_create(&producer, path, length, false, true));
    umask(old);
    assert_int_equal(0600, mode_of(path));
    struct stat st;
    assert_int_equal(0, stat(path, &st));
    assert_int_equal(length, st.st_size);
    /* Preallocated: every block is reserved, so first touch cannot SIGBUS on a full tmpfs. */
    assert_true((size_t)st.st_blocks * 512 >= length);
    assert_int_equal(length, producer.layout_length);
    assert_true(producer.writable);
    assert_int_equal(0, producer.hugepage_size);
    assert_int_equal((size_t)sysconf(_SC_PAGESIZE), producer.page_size);

    memcpy(producer.addr + 64, "hello", 5);

    tp_shm_uri_t uri;
    assert_true(tp_shm_uri_format(uri_text, sizeof(uri_text), path, false) > 0);
    assert_int_equal(0, tp_shm_uri_parse(&uri, uri_text));
    tp_shm_region_t consumer;
    assert_int_equal(0, tp_shm_region_map(&consumer, &fx->policy, &uri, length));
    assert_false(consumer.writable);
    assert_memory_equal("hello", consumer.addr + 64, 5);
    producer.addr[64] = 'j';
    assert_int_equal('j', consumer.addr[64]);
    assert_int_equal(0, tp_shm_region_check_stride(&consumer, 65536, false));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_check_stride(&consumer, 1024, false));
    assert_int_equal(TP_ERR_STRIDE, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), path));

    /* The consumer mapping is read-only: a write kills the writer. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (0 == child)
    {
        /* cmocka traps SIGSEGV to report it; the child wants the plain default death. */
        signal(SIGSEGV, SIG_DFL);
        *(volatile uint8_t *)(consumer.addr + 64) = 'x';
        _exit(0);
    }
    int status = 0;
    assert_int_equal(child, waitpid(child, &status, 0));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(SIGSEGV, WTERMSIG(status));

    assert_int_equal(0, tp_shm_region_close(&consumer));
    assert_int_equal(0, access(path, F_OK)); /* a consumer never unlinks */
    assert_int_equal(0, tp_shm_region_close(&producer));
    assert_int_equal(-1, access(path, F_OK)); /* unlink_on_close */
    assert_int_equal(0, tp_shm_layout_remove_dirs(&layout));
}

static void test_create_refuses_to_clobber(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX];
    shm_test_path(fx->root, path, "existing.pool");
    assert_int_equal(0, shm_test_write_file(path, "precious", 8));

    tp_shm_region_t region;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_create(&region, path, 64 + 4096, false, true));
    assert_int_equal(EEXIST, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), path));
    assert_null(region.addr);

    /* The existing file is untouched and still there. */
    char buf[16] = {0};
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(8, read(fd, buf, sizeof(buf)));
    close(fd);
    assert_memory_equal("precious", buf, 8);

    /* A dangling symlink is not followed either (O_EXCL|O_NOFOLLOW). */
    char link[PATH_MAX];
    char target[PATH_MAX];
    shm_test_path(fx->root, link, "link.pool");
    shm_test_path(fx->root, target, "would-be-created");
    assert_int_equal(0, symlink(target, link));
    assert_int_equal(-1, tp_shm_region_create(&region, link, 64 + 4096, false, true));
    assert_int_equal(EEXIST, tp_errcode());
    assert_int_equal(-1, access(target, F_OK));
}

static void test_hugepages_required_on_tmpfs(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX];
    shm_test_path(fx->root, path, "huge.pool");
    tp_shm_region_t region;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_create(&region, path, 64 + 4096, true, true));
    assert_int_equal(TP_ERR_HUGEPAGES, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "not hugetlbfs"));
    assert_int_equal(-1, access(path, F_OK)); /* cleaned up */

    /* Consumer side: a tmpfs file announced with require_hugepages=true is rejected before mapping. */
    assert_int_equal(0, shm_test_make_file(path, 64 + 4096));
    char uri_text[PATH_MAX + 64];
    tp_shm_uri_t uri;
    assert_true(tp_shm_uri_format(uri_text, sizeof(uri_text), path, true) > 0);
    assert_int_equal(0, tp_shm_uri_parse(&uri, uri_text));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_map(&region, &fx->policy, &uri, 64 + 4096));
    assert_int_equal(TP_ERR_HUGEPAGES, tp_errcode());
    assert_null(region.addr);
}

static void test_map_rejects_short_file(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX];
    shm_test_path(fx->root, path, "short.ring");
    assert_int_equal(0, shm_test_make_file(path, 64 + 4 * 256));
    tp_shm_uri_t uri;
    memset(&uri, 0, sizeof(uri));
    strcpy(uri.path, path);
    tp_shm_region_t region;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_map(&region, &fx->policy, &uri, 64 + 8 * 256));
    assert_int_equal(TP_ERR_LAYOUT, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "holds 1088 bytes, the announced layout needs 2112"));
    assert_int_equal(0, tp_shm_region_map(&region, &fx->policy, &uri, 64 + 4 * 256));
    assert_int_equal(0, tp_shm_region_close(&region));
    assert_int_equal(0, access(path, F_OK));
}

static void test_map_rejects_outside_policy_and_unknown_parameter(void **state)
{
    fixture_t *fx = *state;
    tp_shm_uri_t uri;
    tp_shm_region_t region;
    assert_int_equal(0, tp_shm_uri_parse(&uri, "shm:file?path=/etc/hostname"));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_map(&region, &fx->policy, &uri, 64));
    assert_int_equal(TP_ERR_PATH, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "outside the 1 allowed base dir"));

    char path[PATH_MAX];
    char text[PATH_MAX + 64];
    shm_test_path(fx->root, path, "param.pool");
    assert_int_equal(0, shm_test_make_file(path, 64 + 4096));
    snprintf(text, sizeof(text), "shm:file?path=%s|numa_node=1", path);
    tp_err_clear();
    assert_int_equal(-1, tp_shm_uri_parse(&uri, text));
    assert_int_equal(TP_ERR_URI, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "unknown parameter 'numa_node'"));
}

static void test_full_tmpfs_gives_no_space_not_sigbus(void **state)
{
    fixture_t *fx = *state;
    if (0 != geteuid())
    {
        skip();
    }
    char mnt[PATH_MAX];
    shm_test_path(fx->root, mnt, "tiny");
    assert_int_equal(0, mkdir(mnt, 0700));
    if (0 != mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700"))
    {
        skip();
    }

    char path[PATH_MAX];
    shm_test_path(fx->root, path, "tiny/big.pool");
    tp_shm_region_t region;
    tp_err_clear();
    int rc = tp_shm_region_create(&region, path, 64 + 4 * 1024 * 1024, false, true);
    int code = tp_errcode();
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", tp_errmsg());
    int gone = access(path, F_OK);

    /* Something that fits is fully usable: touching every byte must not fault. */
    char small_path[PATH_MAX];
    shm_test_path(fx->root, small_path, "tiny/small.pool");
    tp_shm_region_t small;
    int small_rc = tp_shm_region_create(&small, small_path, 64 + 64 * 4096, false, true);
    if (0 == small_rc)
    {
        memset(small.addr, 0xab, small.layout_length);
        tp_shm_region_close(&small);
    }

    assert_int_equal(0, umount(mnt));
    assert_int_equal(-1, rc);
    assert_int_equal(TP_ERR_NO_SPACE, code);
    assert_non_null(strstr(msg, "no space"));
    assert_non_null(strstr(msg, "big.pool"));
    assert_int_equal(-1, gone);
    assert_int_equal(0, small_rc);
}

/* On a hugetlbfs mount the region learns the hugepage size; with no free hugepages the reservation fails cleanly. */
static void test_hugetlbfs_backing_is_detected(void **state)
{
    fixture_t *fx = *state;
    if (0 != geteuid())
    {
        skip();
    }
    char mnt[PATH_MAX];
    shm_test_path(fx->root, mnt, "huge");
    assert_int_equal(0, mkdir(mnt, 0700));
    if (0 != mount("none", mnt, "hugetlbfs", MS_NOSUID | MS_NODEV, "mode=0700"))
    {
        skip();
    }

    char path[PATH_MAX];
    shm_test_path(fx->root, path, "huge/pool");
    tp_shm_region_t region;
    tp_err_clear();
    int rc = tp_shm_region_create(&region, path, 64 + 4096, true, true);
    int code = tp_errcode();
    int gone = access(path, F_OK);
    int stride_small = 0;
    int stride_huge = -1;
    uint64_t hugepage = 0;
    size_t mapped = 0;
    if (0 == rc)
    {
        hugepage = region.hugepage_size;
        mapped = region.mapped_length;
        stride_small = tp_shm_region_check_stride(&region, 65536, true);
        stride_huge = tp_shm_region_check_stride(&region, (uint32_t)hugepage, true);
        tp_shm_region_close(&region);
    }
    assert_int_equal(0, umount(mnt));

    if (0 == rc)
    {
        /* This host has free hugepages: the region is whole hugepages and the stride rule uses their size. */
        assert_true(hugepage >= 2u * 1024 * 1024);
        assert_int_equal(0, mapped % hugepage);
        assert_int_equal(-1, stride_small);
        assert_int_equal(0, stride_huge);
    }
    else
    {
        /* No hugepages reserved on this host: a clear error at create time instead of SIGBUS later. */
        assert_int_equal(TP_ERR_NO_SPACE, code);
        assert_int_equal(-1, gone);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_paths),
        cmocka_unit_test(test_layout_rejects_bad_names),
        cmocka_unit_test_setup_teardown(test_layout_dirs_are_private_whatever_the_umask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout_refuses_symlinked_dir, setup, teardown),
        cmocka_unit_test(test_region_lengths),
        cmocka_unit_test(test_stride_rules),
        cmocka_unit_test_setup_teardown(test_create_header_ring_and_map_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refuses_to_clobber, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hugepages_required_on_tmpfs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_rejects_short_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_rejects_outside_policy_and_unknown_parameter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_tmpfs_gives_no_space_not_sigbus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hugetlbfs_backing_is_detected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
