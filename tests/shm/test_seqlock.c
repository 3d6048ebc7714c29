/*
 * The seq_commit seqlock (§8.3, §15.18). Unit cases for each outcome, then a two-process stress run: a writer
 * process overwrites a small real header ring + payload pool as fast as it can while the reader (this process,
 * mapping the files read-only through the containment checks) follows the newest published seq and validates
 * every frame it accepts. No torn frame may ever be accepted.
 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "shm/tp_seqlock.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_slot_header.h"
#include "shm/tp_superblock.h"
#include "shm_test_util.h"
#include "tensorpool/tp_error.h"

#define STRESS_NSLOTS  4u
#define STRESS_STRIDE  (64u * 1024u)
#define STRESS_WORDS   (STRESS_STRIDE / 8u)
#define STRESS_POOL_ID 1
#define STRESS_MIN_NS  (2ULL * 1000 * 1000 * 1000)
#define STRESS_MAX_NS  (15ULL * 1000 * 1000 * 1000)
#define NO_SEQ         UINT64_MAX

static void test_write_begin_and_commit_values(void **state)
{
    uint64_t word = 0;
    tp_seqlock_write_begin(&word, 21);
    assert_int_equal(42, word);
    assert_int_equal(TP_SEQLOCK_IN_PROGRESS, tp_seqlock_classify(word, 21));
    tp_seqlock_write_commit(&word, 21);
    assert_int_equal(43, word);
    assert_int_equal(TP_SEQLOCK_OK, tp_seqlock_classify(word, 21));
}

static void test_read_outcomes(void **state)
{
    uint64_t word = 0;
    tp_seqlock_write_commit(&word, 5);

    uint64_t first = tp_seqlock_read_begin(&word);
    assert_int_equal(TP_SEQLOCK_OK, tp_seqlock_read_end(&word, first, 5));
    assert_int_equal(TP_SEQLOCK_NEWER, tp_seqlock_read_end(&word, first, 4));
    assert_int_equal(TP_SEQLOCK_STALE, tp_seqlock_read_end(&word, first, 6));

    /* Overwritten between the two reads: a late drop even though the new value is committed. */
    first = tp_seqlock_read_begin(&word);
    tp_seqlock_write_begin(&word, 9);
    tp_seqlock_write_commit(&word, 9);
    assert_int_equal(TP_SEQLOCK_CHANGED, tp_seqlock_read_end(&word, first, 5));

    /* Caught mid-write and still mid-write: not committed. */
    tp_seqlock_write_begin(&word, 10);
    first = tp_seqlock_read_begin(&word);
    assert_int_equal(TP_SEQLOCK_IN_PROGRESS, tp_seqlock_read_end(&word, first, 10));
}

typedef struct stress_control_stct
{
    volatile uint64_t latest_seq; /* stands in for FrameDescriptor.seq */
    volatile int64_t stop;
    volatile int64_t frames_written;
} stress_control_t;

static uint64_t pattern_word(uint64_t seq, uint64_t i)
{
    uint64_t x = seq * 0x9E3779B97F4A7C15ULL ^ (i + 1) * 0xBF58476D1CE4E5B9ULL;
    return x ^ (x >> 31);
}

/* Word 0 is the seq, the last word the sum of all others, the rest a seq-derived pattern. */
static void fill_payload(volatile uint64_t *words, uint64_t seq)
{
    uint64_t sum = seq;
    words[0] = seq;
    for (uint64_t i = 1; i < STRESS_WORDS - 1; i++)
    {
        uint64_t w = pattern_word(seq, i);
        words[i] = w;
        sum += w;
    }
    words[STRESS_WORDS - 1] = sum;
}

static bool payload_is_intact(const uint64_t *words, uint64_t seq)
{
    if (words[0] != seq)
    {
        return false;
    }
    uint64_t sum = seq;
    for (uint64_t i = 1; i < STRESS_WORDS - 1; i++)
    {
        if (words[i] != pattern_word(seq, i))
        {
            return false;
        }
        sum += words[i];
    }
    return words[STRESS_WORDS - 1] == sum;
}

static void stress_writer(uint8_t *header, uint8_t *pool, stress_control_t *ctrl)
{
    /* Never outlive the test process, whatever happens to it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    tp_slot_header_fields_t f;
    memset(&f, 0, sizeof(f));
    f.values_len_bytes = STRESS_STRIDE;
    f.pool_id = STRESS_POOL_ID;
    f.tensor.dtype = TP_DTYPE_UINT64;
    f.tensor.major_order = TP_MAJOR_ORDER_ROW;
    f.tensor.ndims = 1;
    f.tensor.dims[0] = (int32_t)STRESS_WORDS;

    uint64_t deadline = tp_clock_monotonic_ns() + STRESS_MAX_NS + 5ULL * 1000 * 1000 * 1000;
    for (uint64_t seq = 0; 0 == tp_load_acquire_i64(&ctrl->stop); seq++)
    {
        uint32_t index = (uint32_t)(seq & (STRESS_NSLOTS - 1));
        uint8_t *slot = header + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * TP_SHM_HEADER_SLOT_BYTES;
        volatile uint64_t *word = tp_seqlock_word(slot);

        tp_seqlock_write_begin(word, seq);
        fill_payload((volatile uint64_t *)(pool + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * STRESS_STRIDE), seq);
        f.payload_slot = index;
        f.timestamp_ns = seq;
        f.meta_version = (uint32_t)seq;
        tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, &f);
        tp_seqlock_write_commit(word, seq);
        tp_store_release_u64(&ctrl->latest_seq, seq);
        tp_store_relaxed_i64(&ctrl->frames_written, (int64_t)seq + 1);

        if (0 == (seq & 1023) && tp_clock_monotonic_ns() > deadline)
        {
            _exit(3);
        }
    }
    _exit(0);
}

typedef struct stress_result_stct
{
    uint64_t reads;
    uint64_t accepted;
    uint64_t torn_accepted;
    uint64_t bad_header_accepted;
    uint64_t drops_late;              /* seq_commit changed between the reads, or already reused for a newer frame */
    uint64_t drops_not_ready;         /* caught in progress at the first read */
    uint64_t torn_seen_by_late_drops; /* copies the seqlock rejected that really were torn: the detector's teeth */
} stress_result_t;

static void stress_read_one(const uint8_t *header, const uint8_t *pool, uint64_t seq, uint64_t *copy,
                            stress_result_t *r)
{
    static const tp_slot_pool_t pools[] = {{STRESS_POOL_ID, STRESS_STRIDE}};
    uint32_t index = (uint32_t)(seq & (STRESS_NSLOTS - 1));
    const uint8_t *slot = header + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * TP_SHM_HEADER_SLOT_BYTES;
    const volatile uint64_t *word = (const volatile uint64_t *)slot;
    uint64_t slot_copy[TP_SLOT_HEADER_BYTES / 8];

    uint64_t first = tp_seqlock_read_begin(word);
    tp_seqlock_result_t early = tp_seqlock_classify(first, seq);
    if (TP_SEQLOCK_OK != early)
    {
        if (TP_SEQLOCK_NEWER == early)
        {
            r->drops_late++;
        }
        else
        {
            r->drops_not_ready++;
        }
        return;
    }
    memcpy(slot_copy, slot, sizeof(slot_copy));
    memcpy(copy, pool + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * STRESS_STRIDE, STRESS_STRIDE);
    /* Now and then dawdle mid-read, as a descheduled reader would: the writer then laps the ring under us, so
     * overwrites are exercised even when a loaded machine keeps the two processes from running side by side. */
    if (0 == (++r->reads & 31u))
    {
        usleep(200);
    }
    if (TP_SEQLOCK_OK != tp_seqlock_read_end(word, first, seq))
    {
        r->drops_late++;
        if (!payload_is_intact(copy, seq))
        {
            r->torn_seen_by_late_drops++;
        }
        return;
    }

    r->accepted++;
    tp_slot_expect_t expect = {index, pools, 1};
    tp_tensor_view_t view;
    if (TP_FRAME_OK != tp_slot_header_decode((const uint8_t *)slot_copy, sizeof(slot_copy), &expect, &view) ||
        view.seq != seq || view.timestamp_ns != seq || view.meta_version != (uint32_t)seq)
    {
        r->bad_header_accepted++;
    }
    if (!payload_is_intact(copy, seq))
    {
        r->torn_accepted++;
    }
}

static void test_two_processes_never_accept_a_torn_frame(void **state)
{
    char root[PATH_MAX];
    char header_path[PATH_MAX + 32];
    char pool_path[PATH_MAX + 32];
    assert_int_equal(0, shm_test_make_tmpdir(root, sizeof(root), "seqlock"));
    snprintf(header_path, sizeof(header_path), "%s/header.ring", root);
    snprintf(pool_path, sizeof(pool_path), "%s/payload-1.pool", root);

    size_t header_len;
    size_t pool_len;
    assert_int_equal(0, tp_shm_region_header_length(STRESS_NSLOTS, &header_len));
    assert_int_equal(0, tp_shm_region_pool_length(STRESS_NSLOTS, STRESS_STRIDE, &pool_len));
    tp_shm_region_t w_header;
    tp_shm_region_t w_pool;
    assert_int_equal(0, tp_shm_region_create(&w_header, header_path, header_len, false, true));
    assert_int_equal(0, tp_shm_region_create(&w_pool, pool_path, pool_len, false, true));
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, 1, 1000, STRESS_NSLOTS);
    assert_int_equal(0, tp_superblock_write(w_header.addr, w_header.layout_length, &sb));
    tp_superblock_init_payload_pool(&sb, 1, 1000, STRESS_POOL_ID, STRESS_NSLOTS, STRESS_STRIDE);
    assert_int_equal(0, tp_superblock_write(w_pool.addr, w_pool.layout_length, &sb));

    stress_control_t *ctrl = mmap(NULL, sizeof(*ctrl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(MAP_FAILED != ctrl);
    ctrl->latest_seq = NO_SEQ;
    ctrl->stop = 0;
    ctrl->frames_written = 0;

    pid_t writer = fork();
    assert_true(writer >= 0);
    if (0 == writer)
    {
        stress_writer(w_header.addr, w_pool.addr, ctrl);
    }

    /* The reader gets its own read-only mappings, validated like any consumer's. */
    const char *bases[] = {root};
    tp_shm_path_policy_t policy;
    assert_int_equal(0, tp_shm_path_policy_init(&policy, bases, 1));
    tp_shm_uri_t uri;
    tp_shm_region_t r_header;
    tp_shm_region_t r_pool;
    char uri_text[PATH_MAX + 64];
    assert_true(tp_shm_uri_format(uri_text, sizeof(uri_text), header_path, false) > 0);
    assert_int_equal(0, tp_shm_uri_parse(&uri, uri_text));
    assert_int_equal(0, tp_shm_region_map(&r_header, &policy, &uri, header_len));
    assert_true(tp_shm_uri_format(uri_text, sizeof(uri_text), pool_path, false) > 0);
    assert_int_equal(0, tp_shm_uri_parse(&uri, uri_text));
    assert_int_equal(0, tp_shm_region_map(&r_pool, &policy, &uri, pool_len));
    tp_superblock_expected_t expected;
    tp_superblock_expect_header_ring(&expected, TP_LAYOUT_VERSION, 1, 1000, STRESS_NSLOTS);
    assert_int_equal(0, tp_superblock_validate(r_header.addr, r_header.layout_length, &expected));
    tp_superblock_expect_payload_pool(&expected, TP_LAYOUT_VERSION, 1, 1000, STRESS_POOL_ID, STRESS_NSLOTS,
                                      STRESS_STRIDE);
    assert_int_equal(0, tp_superblock_validate(r_pool.addr, r_pool.layout_length, &expected));

    static uint64_t copy[STRESS_WORDS];
    stress_result_t r;
    memset(&r, 0, sizeof(r));
    uint64_t last = NO_SEQ;
    uint64_t start = tp_clock_monotonic_ns();
    uint64_t elapsed = 0;
    /* At least 2 s; longer only until both an accepted frame and a late drop have been seen. */
    while ((elapsed = tp_clock_monotonic_ns() - start) < STRESS_MAX_NS &&
           (elapsed < STRESS_MIN_NS || 0 == r.accepted || 0 == r.drops_late))
    {
        uint64_t seq = tp_load_acquire_u64(&ctrl->latest_seq);
        if (NO_SEQ == seq || seq == last)
        {
            tp_cpu_relax();
            continue;
        }
        last = seq;
        stress_read_one(r_header.addr, r_pool.addr, seq, copy, &r);
    }

    tp_store_release_i64(&ctrl->stop, 1);
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 500 && 0 == (done = waitpid(writer, &status, WNOHANG)); i++)
    {
        usleep(10000);
    }
    if (0 == done)
    {
        kill(writer, SIGKILL);
        waitpid(writer, &status, 0);
    }
    uint64_t written = (uint64_t)ctrl->frames_written;

    print_message("seqlock stress: %.2f s, %llu frames written, %llu accepted, %llu late drops (%llu of them "
                  "really torn), %llu not ready\n",
                  (double)elapsed / 1e9, (unsigned long long)written, (unsigned long long)r.accepted,
                  (unsigned long long)r.drops_late, (unsigned long long)r.torn_seen_by_late_drops,
                  (unsigned long long)r.drops_not_ready);

    tp_shm_region_close(&r_header);
    tp_shm_region_close(&r_pool);
    tp_shm_region_close(&w_header);
    tp_shm_region_close(&w_pool);
    tp_shm_path_policy_close(&policy);
    munmap(ctrl, sizeof(*ctrl));
    shm_test_remove_tree(root);

    assert_true(WIFEXITED(status));
    assert_int_equal(0, WEXITSTATUS(status));
    assert_int_equal(0, r.torn_accepted);
    assert_int_equal(0, r.bad_header_accepted);
    assert_true(r.accepted > 0);
    assert_true(r.drops_late > 0);
    assert_true(written > r.accepted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_begin_and_commit_values),
        cmocka_unit_test(test_read_outcomes),
        cmocka_unit_test(test_two_processes_never_accept_a_torn_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
