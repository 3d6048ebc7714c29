#include "system_test_util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_TRACK_MAX 16

static tp_test_driver_t tracked_drivers[ST_TRACK_MAX];
static pid_t tracked_children[ST_TRACK_MAX];
static char tracked_dirs[ST_TRACK_MAX][256];

int st_driver_start(tp_test_driver_t *driver)
{
    if (tp_test_driver_start(driver, "5s", NULL) < 0)
    {
        return -1;
    }
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if (0 == tracked_drivers[i].pid)
        {
            tracked_drivers[i] = *driver;
            break;
        }
    }
    return 0;
}

void st_driver_stop(tp_test_driver_t *driver)
{
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if (tracked_drivers[i].pid == driver->pid)
        {
            tracked_drivers[i].pid = 0;
        }
    }
    tp_test_driver_stop(driver);
}

pid_t st_spawn(int (*fn)(void *), void *arg)
{
    pid_t pid = tp_test_spawn(fn, arg);
    for (int i = 0; i < ST_TRACK_MAX && pid > 0; i++)
    {
        if (0 == tracked_children[i])
        {
            tracked_children[i] = pid;
            break;
        }
    }
    return pid;
}

int st_wait(pid_t pid, int64_t timeout_ms)
{
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if (tracked_children[i] == pid)
        {
            tracked_children[i] = 0;
        }
    }
    return tp_test_wait(pid, timeout_ms);
}

int st_cleanup(void **state)
{
    (void)state;
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if (0 != tracked_children[i])
        {
            tp_test_wait(tracked_children[i], 1000); /* SIGKILL when still running */
            tracked_children[i] = 0;
        }
    }
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if (0 != tracked_drivers[i].pid)
        {
            tp_test_driver_stop(&tracked_drivers[i]);
            tracked_drivers[i].pid = 0;
        }
    }
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if ('\0' != tracked_dirs[i][0])
        {
            st_remove_tree(tracked_dirs[i]);
            tracked_dirs[i][0] = '\0';
        }
    }
    return 0;
}

void st_scratch_dir(char *out, size_t capacity)
{
    static int sequence = 0;
    snprintf(out, capacity, "/dev/shm/tp-system-%d-%d", (int)getpid(), sequence++);
    st_remove_tree(out);
    if (0 != mkdir(out, 0700))
    {
        fprintf(stderr, "mkdir %s: %s\n", out, strerror(errno));
        abort();
    }
    for (int i = 0; i < ST_TRACK_MAX; i++)
    {
        if ('\0' == tracked_dirs[i][0])
        {
            snprintf(tracked_dirs[i], sizeof(tracked_dirs[i]), "%s", out);
            break;
        }
    }
}

static int st_remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void st_remove_tree(const char *path)
{
    nftw(path, st_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void *st_shared_alloc(size_t length)
{
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == p)
    {
        perror("mmap shared");
        abort();
    }
    return p;
}

void st_shared_free(void *p, size_t length)
{
    munmap(p, length);
}

void st_log(void *clientd, tp_log_level_t level, const char *text)
{
    if (NULL != getenv("TP_TEST_VERBOSE"))
    {
        fprintf(stderr, "[%s %d] %s\n", NULL == clientd ? "" : (const char *)clientd, (int)level, text);
    }
}

tp_context_t *st_context(const char *aeron_dir, const char *shm_dir, tp_client_mode_t mode)
{
    tp_context_t *ctx = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, shm_dir) < 0 || tp_context_set_client_mode(ctx, mode) < 0 ||
        tp_context_set_announce_interval_ns(ctx, 100000000) < 0 || tp_context_set_qos_interval_ns(ctx, 100000000) < 0 ||
        tp_context_set_meta_interval_ns(ctx, 100000000) < 0 || tp_context_set_hello_interval_ns(ctx, 100000000) < 0 ||
        tp_context_set_consumer_stale_factor(ctx, 3) < 0 || tp_context_set_driver_timeout_ms(ctx, 5000) < 0 ||
        tp_context_set_start_timeout_ms(ctx, 5000) < 0 || tp_context_set_idle_strategy(ctx, "backoff") < 0)
    {
        fprintf(stderr, "context: %s\n", tp_errmsg());
        abort();
    }
    tp_context_set_log(ctx, st_log, NULL, TP_LOG_DEBUG);
    return ctx;
}

tp_client_t *st_client(const char *aeron_dir, const char *shm_dir, tp_client_mode_t mode)
{
    tp_context_t *ctx = st_context(aeron_dir, shm_dir, mode);
    tp_client_t *client = NULL;
    if (tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "client: %s\n", tp_errmsg());
        abort();
    }
    tp_context_close(ctx);
    return client;
}

uint32_t st_frame_rows(uint64_t seq)
{
    return 1 + (uint32_t)(seq % 7) * 8;
}

uint32_t st_frame_length(uint64_t seq)
{
    return st_frame_rows(seq) * 64 * 2;
}

void st_frame_desc(uint64_t seq, tp_tensor_desc_t *desc)
{
    memset(desc, 0, sizeof(*desc));
    desc->dtype = TP_DTYPE_UINT16;
    desc->major_order = TP_MAJOR_ORDER_ROW;
    desc->ndims = 2;
    desc->dims[0] = (int32_t)st_frame_rows(seq);
    desc->dims[1] = 64;
}

static uint16_t st_element(uint64_t seq, uint32_t i)
{
    return (uint16_t)((seq * 2654435761u) ^ (i * 40503u) ^ (seq >> 7));
}

void st_frame_fill(uint8_t *payload, uint64_t seq)
{
    uint32_t n = st_frame_length(seq) / 2;
    for (uint32_t i = 0; i < n; i++)
    {
        uint16_t v = st_element(seq, i);
        memcpy(payload + 2 * i, &v, 2);
    }
}

uint64_t st_frame_timestamp(uint64_t seq)
{
    return 1000000 + seq * 17;
}

bool st_frame_check(const tp_consumer_frame_t *frame)
{
    uint64_t seq = frame->seq;
    const tp_tensor_view_t *t = &frame->tensor;
    if (frame->payload_length != st_frame_length(seq) || t->dtype != TP_DTYPE_UINT16 || t->ndims != 2 ||
        t->dims[0] != (int32_t)st_frame_rows(seq) || t->dims[1] != 64 || t->strides[0] != 128 || t->strides[1] != 2 ||
        t->timestamp_ns != st_frame_timestamp(seq) || t->seq != seq || NULL == frame->payload)
    {
        return false;
    }
    uint32_t n = frame->payload_length / 2;
    for (uint32_t i = 0; i < n; i++)
    {
        uint16_t v;
        memcpy(&v, frame->payload + 2 * i, 2);
        if (v != st_element(seq, i))
        {
            return false;
        }
    }
    return true;
}

void st_frame_count(void *clientd, const tp_consumer_frame_t *frame)
{
    st_frame_counts_t *counts = clientd;
    if (st_frame_check(frame) && tp_consumer_frame_is_intact(frame))
    {
        counts->verified++;
    }
    else
    {
        counts->bad++;
    }
}

bool st_poll_producer_until(tp_client_t *client, tp_producer_t *producer, st_done_fn done, void *arg,
                            int64_t timeout_ms)
{
    int64_t deadline = tp_test_now_ms() + timeout_ms;
    while (!done(arg))
    {
        if (tp_test_now_ms() > deadline)
        {
            return false;
        }
        int work = tp_client_do_work(client);
        work += tp_producer_poll(producer, 0);
        tp_client_idle(client, work);
    }
    return true;
}

bool st_poll_consumer_until(tp_client_t *client, tp_consumer_t *consumer, tp_consumer_frame_handler_t on_frame,
                            void *clientd, st_done_fn done, void *arg, int64_t timeout_ms)
{
    int64_t deadline = tp_test_now_ms() + timeout_ms;
    while (!done(arg))
    {
        if (tp_test_now_ms() > deadline)
        {
            return false;
        }
        int work = tp_client_do_work(client);
        work += tp_consumer_poll(consumer, on_frame, clientd, 0);
        tp_client_idle(client, work);
    }
    return true;
}

static void st_ignore_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    (void)clientd;
    (void)frame;
}

void st_pump(tp_client_t *client, tp_producer_t *producer, tp_consumer_t *consumer,
             tp_consumer_frame_handler_t on_frame, void *clientd, int64_t duration_ms)
{
    int64_t deadline = tp_test_now_ms() + duration_ms;
    while (tp_test_now_ms() < deadline)
    {
        int work = tp_client_do_work(client);
        if (NULL != producer)
        {
            work += tp_producer_poll(producer, 0);
        }
        if (NULL != consumer)
        {
            work += tp_consumer_poll(consumer, NULL != on_frame ? on_frame : st_ignore_frame, clientd, 0);
        }
        tp_client_idle(client, work);
    }
}

tp_consumer_t *st_consumer_start(tp_client_t *client, uint32_t stream_id, uint32_t consumer_id)
{
    tp_consumer_config_t cfg;
    tp_consumer_config_init(&cfg);
    cfg.stream_id = stream_id;
    cfg.consumer_id = consumer_id;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &cfg) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        return NULL;
    }
    return consumer;
}

void st_world_close(tp_client_t *client, tp_producer_t *producer, tp_consumer_t *consumer, tp_test_driver_t *driver,
                    const char *shm_dir)
{
    tp_consumer_close(consumer);
    tp_producer_close(producer);
    tp_client_close(client);
    st_driver_stop(driver);
    st_remove_tree(shm_dir);
}
