/*
 * Producer core in this process, consumer core in a forked child, with the control plane carried by a pipe
 * (a test-only transport: [u32 kind][u32 length][bytes] records). The child maps the producer's regions itself,
 * from the announced URIs, and reads frames while the producer keeps overwriting a small ring, so the seqlock
 * and descriptor checks run against a real concurrent writer. The child reports through a shared anonymous
 * mapping: every frame it accepted and found intact after reading must carry the right pattern and checksum.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "core_test_util.h"

#define FORK_FRAMES     20000
#define FORK_KIND_END   0
#define FORK_HEAD_START 100 /* frames written before the child reads: fits the pipe, laps the ring */

typedef struct fork_report_stct
{
    volatile uint64_t accepted;
    volatile uint64_t intact_and_valid;
    volatile uint64_t torn_but_intact; /* must stay 0: a frame that passed every check yet was wrong */
    volatile uint64_t overwritten_after_accept;
    volatile uint64_t drops_late;
    volatile uint64_t drops_gap;
    volatile uint64_t drops_invalid;
    volatile uint64_t descriptors;
    volatile uint64_t epoch;
    volatile int mapped;
    volatile int done;
    char error[512];
} fork_report_t;

typedef struct fork_pipe_stct
{
    int fd;
    uint64_t descriptors;
} fork_pipe_t;

static int write_all(int fd, const void *data, size_t length)
{
    const uint8_t *p = data;
    while (length > 0)
    {
        ssize_t n = write(fd, p, length);
        if (n < 0)
        {
            return -1;
        }
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t length)
{
    uint8_t *p = data;
    while (length > 0)
    {
        ssize_t n = read(fd, p, length);
        if (n <= 0)
        {
            return -1;
        }
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static int pipe_offer(void *clientd, const tp_sink_target_t *target, const uint8_t *buffer, size_t length)
{
    fork_pipe_t *p = clientd;
    uint32_t head[2] = {(uint32_t)target->kind, (uint32_t)length};
    if (TP_STREAM_DESCRIPTOR == target->kind)
    {
        p->descriptors++;
    }
    return 0 == write_all(p->fd, head, sizeof(head)) && 0 == write_all(p->fd, buffer, length) ? 0 : -1;
}

static fork_report_t *report;

static void child_on_frame(void *clientd, const tp_consumer_frame_t *f)
{
    (void)clientd;
    report->accepted++;
    /* Read everything first, then ask whether the slot still held this frame while we read. */
    int bad = ct_check_payload(f->payload, f->payload_length, f->seq);
    if (!tp_consumer_frame_is_intact(f))
    {
        report->overwritten_after_accept++;
        return;
    }
    if (0 != bad || f->tensor.timestamp_ns != f->seq)
    {
        report->torn_but_intact++;
        return;
    }
    report->intact_and_valid++;
}

static void child_main(int fd, int ready_fd, int go_fd, const char *root)
{
    tp_consumer_context_t ctx;
    ct_consumer_context(&ctx, root, 9, (tp_sink_t){0});
    ctx.on_frame = child_on_frame;
    tp_consumer_core_t *consumer = NULL;
    if (0 != tp_consumer_core_start(&consumer, &ctx))
    {
        snprintf(report->error, sizeof(report->error), "child start: %s", tp_errmsg());
        _exit(2);
    }
    /* Subscribed: the producer may announce now (announces before our join time count as replays). */
    char ready = 'r';
    if (1 != write(ready_fd, &ready, 1))
    {
        _exit(4);
    }
    close(ready_fd);
    /* Start reading only once the producer is well ahead, so that being lapped is certain, not a race. */
    if (1 != read(go_fd, &ready, 1))
    {
        _exit(5);
    }
    close(go_fd);
    static uint8_t buf[CT_MSG_MAX];
    uint64_t n = 0;
    for (;;)
    {
        uint32_t head[2];
        if (0 != read_all(fd, head, sizeof(head)) || head[1] > sizeof(buf) || 0 != read_all(fd, buf, head[1]))
        {
            snprintf(report->error, sizeof(report->error), "child: pipe closed early");
            _exit(3);
        }
        if (FORK_KIND_END == head[0])
        {
            break;
        }
        tp_consumer_core_on_message(consumer, (tp_stream_kind_t)head[0], buf, head[1]);
        if (tp_consumer_core_is_mapped(consumer))
        {
            report->mapped = 1;
        }
        /* A slow reader: every so often it dawdles while the producer keeps writing. */
        if (0 == ++n % 64)
        {
            usleep(200);
        }
    }
    const tp_consumer_counters_t *c = tp_consumer_core_counters(consumer);
    report->drops_late = c->drops_late;
    report->drops_gap = c->drops_gap;
    report->drops_invalid = c->drops_invalid;
    report->descriptors = c->frames_accepted + c->drops_late + c->drops_gap + c->drops_invalid;
    report->epoch = tp_consumer_core_epoch(consumer);
    snprintf(report->error, sizeof(report->error), "%s", tp_consumer_core_last_error(consumer));
    tp_consumer_core_close(consumer);
    report->done = 1;
    _exit(0);
}

static void test_consumer_in_another_process(void **state)
{
    (void)state;
    char root[PATH_MAX];
    ct_make_root(root, sizeof(root), "fork");
    report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(MAP_FAILED != report);
    memset(report, 0, sizeof(*report));
    int fds[2];
    int ready[2];
    int go[2];
    assert_int_equal(0, pipe(fds));
    assert_int_equal(0, pipe(ready));
    assert_int_equal(0, pipe(go));

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (0 == pid)
    {
        close(fds[1]);
        close(ready[0]);
        close(go[1]);
        child_main(fds[0], ready[1], go[0], root);
    }
    close(fds[0]);
    close(ready[1]);
    close(go[0]);
    char byte;
    assert_int_equal(1, read(ready[0], &byte, 1));
    close(ready[0]);

    fork_pipe_t sink_state = {fds[1], 0};
    tp_producer_context_t pctx;
    ct_producer_context(&pctx, root, (tp_sink_t){pipe_offer, NULL, &sink_state});
    pctx.header_nslots = 8; /* a small ring so that the slow child gets lapped */
    tp_producer_core_t *producer = ct_start_producer(&pctx);
    tp_producer_core_do_work(producer, tp_clock_monotonic_ns());

    for (uint64_t i = 0; i < FORK_FRAMES; i++)
    {
        uint32_t length = 64 + (uint32_t)((i * 2654435761u) % 4000u);
        tp_producer_claim_t claim;
        tp_tensor_desc_t desc = ct_desc(1, length);
        assert_int_equal(TP_PRODUCER_OK, tp_producer_core_claim(producer, length, NULL, &claim));
        ct_fill_payload(claim.payload, length, claim.seq);
        assert_int_equal(TP_PRODUCER_OK, tp_producer_core_commit(producer, &claim, &desc, claim.seq, 0));
        if (0 == i % 512)
        {
            tp_producer_core_do_work(producer, tp_clock_monotonic_ns());
        }
        if (FORK_HEAD_START == i)
        {
            char go_byte = 'g';
            assert_int_equal(1, write(go[1], &go_byte, 1));
            close(go[1]);
        }
    }
    uint32_t end[2] = {FORK_KIND_END, 0};
    assert_int_equal(0, write_all(fds[1], end, sizeof(end)));
    close(fds[1]);

    int status = 0;
    assert_int_equal(pid, waitpid(pid, &status, 0));
    uint64_t epoch = tp_producer_core_epoch(producer);
    tp_producer_core_close(producer);
    ct_remove_tree(root);
    if (!WIFEXITED(status) || 0 != WEXITSTATUS(status) || !report->done)
    {
        fail_msg("child failed (status %d): %s", status, report->error);
    }

    print_message("child: accepted %llu (intact %llu, overwritten while read %llu), late %llu, gap %llu\n",
                  (unsigned long long)report->accepted, (unsigned long long)report->intact_and_valid,
                  (unsigned long long)report->overwritten_after_accept, (unsigned long long)report->drops_late,
                  (unsigned long long)report->drops_gap);
    assert_true(report->mapped);
    assert_int_equal(epoch, report->epoch);
    assert_int_equal(0, report->torn_but_intact);
    assert_int_equal(0, report->drops_invalid);
    assert_int_equal(0, report->drops_gap); /* the pipe loses nothing */
    /* Every descriptor ended as accepted or late; some of each happened. */
    assert_int_equal(sink_state.descriptors, report->descriptors);
    assert_int_equal(FORK_FRAMES, report->accepted + report->drops_late);
    /* Deterministic bounds: the head start laps the 8-slot ring, and nothing ever overwrites the last 8 frames. */
    assert_true(report->drops_late >= FORK_HEAD_START - pctx.header_nslots);
    assert_true(report->intact_and_valid >= pctx.header_nslots);
    munmap(report, sizeof(*report));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_in_another_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
