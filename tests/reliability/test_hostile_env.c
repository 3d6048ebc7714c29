/*
 * Hostile environment for the SHM layer, beyond tests/shm (symlinked / wrongly-moded base dirs, a full tmpfs,
 * files replaced between validation and open) and tests/system/test_system_hostile.c (forged announces):
 * - a region file truncated while a consumer has it mapped: reads of the lost pages return zeros instead of a
 *   fatal SIGBUS (tp_shm_sigbus.h), a zeroed region fails validation, and a fresh map refuses the short file;
 * - RLIMIT_FSIZE below the region size: a clear error and no file left behind;
 * - another user (nobody) can neither open a region for writing nor map it read-write;
 * - two instances with the same base dir, namespace and instance id: the second gets a higher epoch and neither
 *   clobbers the other's files.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_error_private.h"
#include "shm/tp_shm_layout.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_shm_sigbus.h"
#include "shm/tp_superblock.h"
#include "shm_test_util.h"
#include "tensorpool/tp_error.h"

typedef shm_test_fixture_t fixture_t;

static int setup(void **state)
{
    if (shm_test_fixture_setup(state, "hostile") < 0)
    {
        return -1;
    }
    /* Readable by anyone, so the "nobody" test reaches the file's own permissions. */
    fixture_t *fx = *state;
    chmod(fx->root, 0755);
    return 0;
}

static int teardown(void **state)
{
    return shm_test_fixture_teardown(state);
}

static void make_pool(fixture_t *fx, const char *name, char *path, tp_shm_uri_t *uri, size_t length)
{
    shm_test_path(fx->root, path, name);
    tp_shm_region_t created;
    assert_int_equal(0, tp_shm_region_create(&created, path, length, false, false));
    tp_superblock_t sb;
    tp_superblock_init_payload_pool(&sb, 5, 10, 1, 8, 4096);
    assert_int_equal(0, tp_superblock_write(created.addr, created.layout_length, &sb));
    memset(created.addr + TP_SUPERBLOCK_LENGTH, 0x5a, length - TP_SUPERBLOCK_LENGTH);
    assert_int_equal(0, tp_shm_region_close(&created));
    char text[PATH_MAX + 64];
    snprintf(text, sizeof(text), "shm:file?path=%s", path);
    assert_int_equal(0, tp_shm_uri_parse(uri, text));
}

static void test_truncated_region_reads_zeros_not_sigbus(void **state)
{
    fixture_t *fx = *state;
    const size_t length = 64 + 8 * 4096;
    char path[PATH_MAX];
    tp_shm_uri_t uri;
    make_pool(fx, "shrunk.pool", path, &uri, length);

    /* A sibling region of the same epoch directory, and one elsewhere. */
    char sibling_path[PATH_MAX];
    tp_shm_uri_t sibling_uri;
    make_pool(fx, "sibling.pool", sibling_path, &sibling_uri, length);
    char other_dir[PATH_MAX];
    shm_test_path(fx->root, other_dir, "other");
    assert_int_equal(0, mkdir(other_dir, 0700));
    char other_path[PATH_MAX];
    tp_shm_uri_t other_uri;
    make_pool(fx, "other/elsewhere.pool", other_path, &other_uri, length);
    tp_shm_region_t sibling;
    tp_shm_region_t other;
    assert_int_equal(0, tp_shm_region_map(&sibling, &fx->policy, &sibling_uri, length));
    assert_int_equal(0, tp_shm_region_map(&other, &fx->policy, &other_uri, length));

    tp_shm_region_t mapped;
    assert_int_equal(0, tp_shm_region_map(&mapped, &fx->policy, &uri, length));
    tp_superblock_expected_t expected;
    tp_superblock_expect_payload_pool(&expected, TP_LAYOUT_VERSION, 5, 10, 1, 8, 4096);
    assert_int_equal(0, tp_superblock_validate(mapped.addr, mapped.layout_length, &expected));
    assert_int_equal(0x5a, mapped.addr[length - 1]);

    /* The owner (or anyone with write access) shrinks the file under the mapping. */
    assert_int_equal(0, truncate(path, 0));
    const uint64_t faults = tp_shm_sigbus_faults();
    volatile const uint8_t *tail = mapped.addr + length - 1;
    assert_int_equal(0, *tail); /* without the guard: SIGBUS, and this test process dies */
    assert_int_equal(faults + 1, tp_shm_sigbus_faults());
    /* The whole epoch reads zeros (a frame's seq_commit in the header ring cannot pass for intact any more); a
     * region of another directory is left alone. */
    assert_int_equal(0, sibling.addr[length - 1]);
    assert_int_equal(0, sibling.addr[0]);
    assert_int_equal(0x5a, other.addr[length - 1]);
    assert_int_equal(0, tp_superblock_validate(other.addr, other.layout_length, &expected));
    assert_int_equal(0, tp_shm_region_close(&sibling));
    assert_int_equal(0, tp_shm_region_close(&other));
    /* The whole mapping is zeros now, so the region fails closed. */
    tp_err_clear();
    assert_int_equal(-1, tp_superblock_validate(mapped.addr, mapped.layout_length, &expected));
    assert_int_equal(TP_ERR_SUPERBLOCK, tp_errcode());
    assert_int_equal(0, tp_shm_region_close(&mapped));

    /* Mapping it again refuses the short file. */
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_map(&mapped, &fx->policy, &uri, length));
    assert_int_equal(TP_ERR_LAYOUT, tp_errcode());
    assert_non_null(strstr(tp_errmsg(), "holds 0 bytes"));
}

/* A region file replaced (unlink + new file at the same path) while mapped: the mapping keeps the old inode. */
static void test_replaced_region_keeps_old_mapping(void **state)
{
    fixture_t *fx = *state;
    const size_t length = 64 + 8 * 4096;
    char path[PATH_MAX];
    tp_shm_uri_t uri;
    make_pool(fx, "replaced.pool", path, &uri, length);
    tp_shm_region_t mapped;
    assert_int_equal(0, tp_shm_region_map(&mapped, &fx->policy, &uri, length));
    assert_int_equal(0, unlink(path));
    assert_int_equal(0, shm_test_make_file(path, 100));
    assert_int_equal(0x5a, mapped.addr[length - 1]);
    assert_int_equal(0, tp_shm_region_close(&mapped));
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_map(&mapped, &fx->policy, &uri, length));
    assert_int_equal(TP_ERR_LAYOUT, tp_errcode());
}

#if defined(__SANITIZE_ADDRESS__)
#define TP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_TEST_ASAN 1
#endif
#endif
#ifndef TP_TEST_ASAN
#define TP_TEST_ASAN 0
#endif

/* Run in a fresh process (cmocka installs its own SIGBUS handler): install the guard through a registered mapping,
 * then fault on a mapping it does not know. The default action must still kill the process. */
static int foreign_sigbus_child(const char *path)
{
    static uint8_t page[4096] __attribute__((aligned(4096)));
    if (tp_shm_sigbus_guard_add(page, sizeof(page), false, 1) < 0)
    {
        return 10;
    }
    int fd = open(path, O_RDWR);
    uint8_t *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    if (MAP_FAILED == p || 0 != ftruncate(fd, 0))
    {
        return 11;
    }
    volatile uint8_t v = p[4096];
    (void)v;
    return 0;
}

static void test_foreign_sigbus_is_not_swallowed(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX];
    shm_test_path(fx->root, path, "plain.bin");
    assert_int_equal(0, shm_test_make_file(path, 8192));
    pid_t child = fork();
    assert_true(child >= 0);
    if (0 == child)
    {
        execl("/proc/self/exe", "test_hostile_env", "--foreign-sigbus", path, (char *)NULL);
        _exit(12);
    }
    int status = 0;
    assert_int_equal(child, waitpid(child, &status, 0));
    /* Killed by SIGBUS; in a sanitizer build the previous handler is the sanitizer's, which reports and exits 1, or
     * aborts (SIGABRT) when run with ASAN_OPTIONS=abort_on_error=1 as scripts/test.sh does. */
    if (WIFSIGNALED(status))
    {
        if (TP_TEST_ASAN && SIGABRT == WTERMSIG(status))
        {
            return;
        }
        assert_int_equal(SIGBUS, WTERMSIG(status));
    }
    else
    {
        assert_true(WIFEXITED(status));
        assert_int_not_equal(0, WEXITSTATUS(status));
        assert_true(WEXITSTATUS(status) < 10); /* not one of the child's own setup failures */
    }
}

static void test_fsize_limit_gives_clear_error_and_no_file(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX];
    shm_test_path(fx->root, path, "big.pool");
    int pipefd[2];
    assert_int_equal(0, pipe(pipefd));
    pid_t child = fork();
    assert_true(child >= 0);
    if (0 == child)
    {
        close(pipefd[0]);
        signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of death, as a daemon would configure */
        struct rlimit limit = {.rlim_cur = 64 * 1024, .rlim_max = 64 * 1024};
        if (setrlimit(RLIMIT_FSIZE, &limit) < 0)
        {
            _exit(10);
        }
        tp_shm_region_t region;
        tp_err_clear();
        int rc = tp_shm_region_create(&region, path, 64 + 64 * 4096, false, true);
        char msg[512];
        snprintf(msg, sizeof(msg), "%d %d %s", rc, tp_errcode(), tp_errmsg());
        ssize_t n = write(pipefd[1], msg, strlen(msg));
        _exit(n > 0 ? 0 : 12);
    }
    close(pipefd[1]);
    char msg[512] = {0};
    ssize_t n = read(pipefd[0], msg, sizeof(msg) - 1);
    close(pipefd[0]);
    int status = 0;
    assert_int_equal(child, waitpid(child, &status, 0));
    assert_true(WIFEXITED(status));
    assert_int_equal(0, WEXITSTATUS(status));
    assert_true(n > 0);
    assert_true(0 == strncmp(msg, "-1 ", 3));
    assert_non_null(strstr(msg, "big.pool"));
    assert_int_equal(-1, access(path, F_OK)); /* nothing half-created */
}

static void test_nobody_cannot_write_regions(void **state)
{
    fixture_t *fx = *state;
    if (0 != geteuid())
    {
        skip();
    }
    const size_t length = 64 + 8 * 4096;
    char path[PATH_MAX];
    tp_shm_uri_t uri;
    make_pool(fx, "private.pool", path, &uri, length);
    pid_t child = fork();
    assert_true(child >= 0);
    if (0 == child)
    {
        if (0 != setgid(65534) || 0 != setuid(65534))
        {
            _exit(10);
        }
        if (open(path, O_RDWR) >= 0 || EACCES != errno)
        {
            _exit(11);
        }
        tp_shm_region_t region;
        if (0 == tp_shm_region_map_rw(&region, &fx->policy, &uri, length))
        {
            _exit(12);
        }
        /* 0600: not even readable by another user. */
        if (0 == tp_shm_region_map(&region, &fx->policy, &uri, length))
        {
            _exit(13);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(child, waitpid(child, &status, 0));
    assert_true(WIFEXITED(status));
    assert_int_equal(0, WEXITSTATUS(status));
}

static void test_same_instance_twice_never_clobbers(void **state)
{
    fixture_t *fx = *state;
    tp_shm_layout_t a;
    tp_shm_layout_t b;
    char instance_dir[PATH_MAX];
    shm_test_path(fx->root, instance_dir, "ns/producer-1");
    uint64_t epoch_a = tp_shm_layout_next_epoch(instance_dir, 1000);
    assert_int_equal(0, tp_shm_layout_init(&a, fx->root, "ns", "producer-1", epoch_a));
    assert_int_equal(0, tp_shm_layout_create_dirs(&a));
    char header_a[PATH_MAX];
    assert_int_equal(0, tp_shm_layout_header_path(&a, header_a, sizeof(header_a)));
    tp_shm_region_t ra;
    assert_int_equal(0, tp_shm_region_create(&ra, header_a, 64 + 8 * 256, false, true));
    memset(ra.addr, 0x11, ra.layout_length);

    /* A second instance with the same names, started with a clock behind the first one's epoch. */
    uint64_t epoch_b = tp_shm_layout_next_epoch(instance_dir, 10);
    assert_true(epoch_b > epoch_a);
    assert_int_equal(0, tp_shm_layout_init(&b, fx->root, "ns", "producer-1", epoch_b));
    assert_int_equal(0, tp_shm_layout_create_dirs(&b));
    char header_b[PATH_MAX];
    assert_int_equal(0, tp_shm_layout_header_path(&b, header_b, sizeof(header_b)));
    assert_string_not_equal(header_a, header_b);
    tp_shm_region_t rb;
    assert_int_equal(0, tp_shm_region_create(&rb, header_b, 64 + 8 * 256, false, true));

    /* Even told to reuse the first one's epoch, creating its file is refused rather than clobbered. */
    tp_shm_region_t clash;
    tp_err_clear();
    assert_int_equal(-1, tp_shm_region_create(&clash, header_a, 64 + 8 * 256, false, true));
    assert_int_equal(0x11, ra.addr[ra.layout_length - 1]);

    assert_int_equal(0, tp_shm_region_close(&rb));
    assert_int_equal(0, tp_shm_layout_remove_dirs(&b));
    assert_int_equal(0, tp_shm_region_close(&ra));
    assert_int_equal(0, tp_shm_layout_remove_dirs(&a));
}

int main(int argc, char **argv)
{
    if (3 == argc && 0 == strcmp(argv[1], "--foreign-sigbus"))
    {
        return foreign_sigbus_child(argv[2]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_truncated_region_reads_zeros_not_sigbus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_region_keeps_old_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_sigbus_is_not_swallowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsize_limit_gives_clear_error_and_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nobody_cannot_write_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_instance_twice_never_clobbers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
