/*
 * tp_iox_compare: the same workloads on tensorpool and on iceoryx (C binding), each through its public API,
 * beside raw floors measured in the same run, in interleaved rounds (A/B, then B/A), printed as one table.
 *
 *   rtt    : 64 B ping-pong between two processes (two streams / two services), p50 / p99 / p99.9 of the
 *            round trip, samples of all rounds pooled. Floor: a cache line bounced between two processes.
 *            Each pong answers as its API is meant to be used: iceoryx right after take, tensorpool from inside
 *            its frame handler (docs/usage.md), both from a spinning loop.
 *   rate   : one-way frames, producer writes every byte of each frame (claim / loan + memset, the sequence
 *            number in the first 8 bytes and its low byte last), consumer checks both ends; frames/s and GiB/s
 *            *delivered* (checked by the consumer), median of the rounds. Floors: memset and memcpy (plain and
 *            non-temporal) into a ring of the same footprint as tensorpool's (slots x stride).
 *   offer  : tensorpool only, tp_producer_offer() copying from an application buffer (the copy-in path).
 *
 * Needs a running media driver (-p DIR or AERON_DIR) and a running iox-roudi whose mempools fit the frames
 * (scripts/bench_compare.sh starts both in scratch dirs and passes the right config). Every failure of either
 * side (a child that exits non-zero, a frame whose ends disagree, a workload that delivers nothing, a peer
 * that never appears) ends the run with a message and a non-zero exit: never a silent zero in the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iceoryx_binding_c/log.h"
#include "iceoryx_binding_c/publisher.h"
#include "iceoryx_binding_c/runtime.h"
#include "iceoryx_binding_c/subscriber.h"

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "common/tp_memcpy_nt.h"
#include "tensorpool/tensorpool.h"

#include "bench_util.h"

#define CACHE_LINE      64
#define GIB             (1024.0 * 1024.0 * 1024.0)
#define MAX_RTT_SAMPLES 2000000
#define MAX_ROUNDS      16
#define PEER_TIMEOUT_NS (60ULL * 1000000000ULL)

typedef enum side_en
{
    SIDE_TP = 0,
    SIDE_IOX = 1,
    SIDE_FLOOR = 2,
} side_t;

static const char *const side_names[] = {"tensorpool", "iceoryx", "floor"};

/* Cross-process state of one workload run, one cache line per writer. */
typedef struct shared_stct
{
    volatile int32_t ready[2]; /* each end: mapped / subscribed and polling */
    uint8_t pad0[CACHE_LINE - 8];
    volatile int32_t producer_done; /* producer -> consumer: drain, then stop */
    volatile int32_t stop;          /* parent or pinger -> the other end */
    uint8_t pad1[CACHE_LINE - 8];
    volatile uint64_t ping; /* raw floor */
    uint8_t pad2[CACHE_LINE - 8];
    volatile uint64_t pong;
    uint8_t pad3[CACHE_LINE - 8];
    /* results */
    uint64_t produced;
    uint64_t refused; /* tp: claim failures; iox: loans refused (pool exhausted: back pressure) */
    uint64_t produce_ns;
    uint64_t produce_cpu_ns; /* the producer process's CPU time over its run: < produce_ns means it was starved */
    uint64_t delivered;
    uint64_t bad; /* ends that disagree in a frame handed over intact: always a failure */
    uint64_t late;
    uint64_t lost;
    size_t rtt_count;
    uint64_t rtt_ns[MAX_RTT_SAMPLES];
} shared_t;

typedef struct options_stct
{
    const char *aeron_dir;
    char shm_dir[PATH_MAX];
    int rounds;
    double seconds;
    size_t rtt_samples;
    bool pin;
    const char *only; /* -w: run only the workloads whose label contains this */
} options_t;

static options_t opts = {.rounds = 3, .seconds = 1.0, .rtt_samples = 100000, .pin = true};
static int run_id;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tp_iox_compare[%d]: ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_FAILURE);
}

static void die_tp(const char *what)
{
    die("tensorpool %s: %s", what, tp_errmsg());
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check_deadline(uint64_t deadline, const char *what)
{
    if (tp_clock_monotonic_ns() > deadline)
    {
        die("timed out after %.0f s waiting for %s", (double)PEER_TIMEOUT_NS / 1e9, what);
    }
}

/* The frame pattern both sides write and check: seq in the first 8 bytes, its low byte in every other byte. */
static void frame_fill(uint8_t *payload, uint32_t size, uint64_t seq)
{
    memset(payload, (int)(seq & 0xff), size);
    memcpy(payload, &seq, sizeof(seq));
}

static bool frame_check(const uint8_t *payload, uint32_t size, uint64_t *seq)
{
    memcpy(seq, payload, sizeof(*seq));
    return payload[size - 1] == (uint8_t)(*seq & 0xff);
}

/* ---- tensorpool ends ---- */

static tp_client_t *tp_end_client(void)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    if (tp_context_init(&ctx) < 0 || tp_context_set_aeron_dir(ctx, opts.aeron_dir) < 0 ||
        tp_context_set_shm_base_dir(ctx, opts.shm_dir) < 0 || tp_context_add_allowed_dir(ctx, opts.shm_dir) < 0 ||
        tp_context_set_idle_strategy(ctx, "spin") < 0 ||
        /* A starved machine (the bench runs beside builds) must not turn a slow run into a lost driver. */
        tp_context_set_driver_timeout_ms(ctx, 60000) < 0 || tp_client_start(&client, ctx) < 0)
    {
        die_tp("client");
    }
    tp_context_close(ctx);
    return client;
}

static tp_producer_t *tp_end_producer(tp_client_t *client, uint32_t stream_id, uint32_t stride, uint32_t slots)
{
    tp_producer_t *producer = bench_producer_start(client, stream_id, stride, slots, false);
    if (NULL == producer)
    {
        die_tp("producer start");
    }
    return producer;
}

static tp_consumer_t *tp_end_consumer(tp_client_t *client, uint32_t stream_id)
{
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = stream_id;
    config.consumer_id = 1000 + stream_id;
    config.max_outstanding_seq_gap = UINT32_MAX; /* count what is lost, do not resync */
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        die_tp("consumer start");
    }
    return consumer;
}

typedef struct tp_rx_stct
{
    shared_t *shared;
    uint32_t size;
    uint64_t warmup; /* frames with a lower seq are the unmeasured warm-up lap */
    bool got;
    uint64_t value;
    tp_producer_t *reply_producer; /* pong side: answers from inside the handler */
    const tp_tensor_desc_t *reply_desc;
} tp_rx_t;

static void tp_send(tp_producer_t *producer, const tp_tensor_desc_t *desc, uint32_t size, uint64_t value)
{
    tp_producer_claim_t claim;
    int rc = tp_producer_claim(producer, size, desc, &claim);
    if (TP_PRODUCER_OK != rc)
    {
        die("tensorpool claim of %u bytes failed: status %d", size, rc);
    }
    frame_fill(claim.payload, size, value);
    rc = tp_producer_commit(producer, &claim, desc, tp_clock_monotonic_ns());
    /* A refused descriptor is queued and re-offered by the next poll: committed, not lost. */
    if (rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc)
    {
        die("tensorpool commit failed: status %d", rc);
    }
}

static void tp_on_echo(void *clientd, const tp_consumer_frame_t *frame)
{
    tp_rx_t *rx = clientd;
    uint64_t v;
    memcpy(&v, frame->payload, sizeof(v));
    if (tp_consumer_frame_is_intact(frame))
    {
        rx->value = v;
        rx->got = true;
    }
}

/* The pong side, as the usage guide writes a reply: claim, fill and commit from inside the frame handler, so the
 * answer leaves in the same poll that delivered the ping. */
static void tp_on_ping(void *clientd, const tp_consumer_frame_t *frame)
{
    tp_rx_t *rx = clientd;
    uint64_t v;
    memcpy(&v, frame->payload, sizeof(v));
    if (tp_consumer_frame_is_intact(frame))
    {
        tp_send(rx->reply_producer, rx->reply_desc, 64, v);
    }
}

static void tp_on_rate(void *clientd, const tp_consumer_frame_t *frame)
{
    tp_rx_t *rx = clientd;
    uint64_t seq;
    bool ends_agree = frame->payload_length == rx->size && frame_check(frame->payload, rx->size, &seq);
    if (ends_agree && seq < rx->warmup)
    {
        return;
    }
    if (!tp_consumer_frame_is_intact(frame))
    {
        rx->shared->late++; /* recycled while we read it: what we read does not count */
        return;
    }
    if (!ends_agree)
    {
        rx->shared->bad++;
        return;
    }
    rx->shared->delivered++;
}

/* One loop turn as the usage guide writes it: poll, the client's duty cycle, idle with the context strategy. */
static int tp_turn(tp_client_t *client, tp_consumer_t *consumer, tp_consumer_frame_handler_t handler, tp_rx_t *rx,
                   tp_producer_t *producer)
{
    int work = NULL == consumer ? 0 : tp_consumer_poll(consumer, handler, rx, 0);
    int producer_work = NULL == producer ? 0 : tp_producer_poll(producer, 0);
    int client_work = tp_client_do_work(client);
    if (work < 0 || producer_work < 0 || client_work < 0)
    {
        die_tp("poll");
    }
    tp_client_idle(client, work + producer_work + client_work);
    return work;
}

/* Ping side (index 0) sends i on stream a and waits for i back on stream b; pong side (1) echoes. */
static void tp_rtt_end(shared_t *shared, int end, size_t samples)
{
    const uint32_t a = (uint32_t)(100 + run_id * 2);
    const uint32_t b = a + 1;
    tp_client_t *client = tp_end_client();
    tp_producer_t *producer = tp_end_producer(client, 0 == end ? a : b, 4096, 64);
    tp_consumer_t *consumer = tp_end_consumer(client, 0 == end ? b : a);
    const tp_tensor_desc_t desc = bench_desc_bytes(64);
    tp_rx_t rx = {.shared = shared, .size = 64, .reply_producer = producer, .reply_desc = &desc};
    uint64_t deadline = tp_clock_monotonic_ns() + PEER_TIMEOUT_NS;
    while (!tp_consumer_is_mapped(consumer) || 0 == tp_load_acquire_i32(&shared->ready[1 - end]))
    {
        if (tp_consumer_is_mapped(consumer))
        {
            tp_store_release_i32(&shared->ready[end], 1);
        }
        tp_turn(client, consumer, tp_on_echo, &rx, producer);
        check_deadline(deadline, "the tensorpool peer to map its regions");
    }
    tp_store_release_i32(&shared->ready[end], 1);
    if (1 == end)
    {
        while (0 == tp_load_acquire_i32(&shared->stop))
        {
            tp_turn(client, consumer, tp_on_ping, &rx, producer);
        }
    }
    else
    {
        /* Warm-up re-sends until the first echo: the peer's subscription may join a little after it mapped. */
        const size_t warmup = samples / 10 + 100;
        for (uint64_t i = 1; i <= warmup + samples; i++)
        {
            uint64_t start = tp_clock_monotonic_ns();
            uint64_t resend = start + 100000000ULL;
            deadline = start + PEER_TIMEOUT_NS;
            tp_send(producer, &desc, 64, i);
            while (!(rx.got && rx.value == i))
            {
                rx.got = false;
                tp_turn(client, consumer, tp_on_echo, &rx, producer);
                uint64_t now = tp_clock_monotonic_ns();
                if (i <= warmup && now > resend && !(rx.got && rx.value == i))
                {
                    tp_send(producer, &desc, 64, i);
                    resend = now + 100000000ULL;
                }
                check_deadline(deadline, "a tensorpool echo");
            }
            rx.got = false;
            if (i > warmup)
            {
                shared->rtt_ns[shared->rtt_count++] = tp_clock_monotonic_ns() - start;
            }
        }
        tp_store_release_i32(&shared->stop, 1);
    }
    tp_consumer_close(consumer);
    tp_producer_close(producer);
    tp_client_close(client);
}

static void tp_rate_end(shared_t *shared, int end, uint32_t size, uint32_t slots, bool offer)
{
    const uint32_t stream_id = (uint32_t)(100 + run_id * 2);
    const uint32_t stride = size < 4096 ? 4096 : size;
    tp_client_t *client = tp_end_client();
    tp_rx_t rx = {.shared = shared, .size = size, .warmup = slots};
    uint64_t deadline = tp_clock_monotonic_ns() + PEER_TIMEOUT_NS;
    if (1 == end)
    {
        tp_consumer_t *consumer = tp_end_consumer(client, stream_id);
        while (!tp_consumer_is_mapped(consumer))
        {
            tp_turn(client, consumer, tp_on_rate, &rx, NULL);
            check_deadline(deadline, "the tensorpool producer's regions");
        }
        tp_store_release_i32(&shared->ready[1], 1);
        uint64_t polls = 0;
        uint64_t drain_until = 0;
        for (;;)
        {
            /* Busy poll; the client's duty cycle every 64 polls (it has nothing to do on the data path). */
            int work = tp_consumer_poll(consumer, tp_on_rate, &rx, 0);
            if (work < 0 || (0 == (++polls & 63) && tp_client_do_work(client) < 0))
            {
                die_tp("consumer poll");
            }
            if (0 == drain_until && 0 != tp_load_acquire_i32(&shared->producer_done))
            {
                drain_until = tp_clock_monotonic_ns() + 200000000ULL;
            }
            if (0 != drain_until && tp_clock_monotonic_ns() > drain_until)
            {
                break;
            }
        }
        const tp_consumer_counters_t *c = tp_consumer_counters(consumer);
        shared->lost = c->drops_gap + c->drops_unmapped;
        shared->late += c->drops_late;
        if (0 != c->drops_unmapped)
        {
            /* Counted as lost (the delivered % shows it): on a starved machine the consumer may judge the producer
             * stale for a moment and remap. */
            fprintf(stderr,
                    "tp_iox_compare: note: tensorpool consumer lost %" PRIu64 " frames while unmapped (%" PRIu64
                    " stale-producer unmaps)\n",
                    c->drops_unmapped, c->producer_stale_unmaps);
        }
        uint64_t other = c->drops_invalid + c->descriptors_wrong_epoch + c->resyncs;
        if (0 != other)
        {
            die("tensorpool consumer dropped %" PRIu64 " frames for unexpected reasons (invalid %" PRIu64
                " wrong epoch %" PRIu64 " resyncs %" PRIu64 ")",
                other, c->drops_invalid, c->descriptors_wrong_epoch, c->resyncs);
        }
        tp_consumer_close(consumer);
        tp_client_close(client);
        return;
    }
    tp_producer_t *producer = tp_end_producer(client, stream_id, stride, slots);
    while (0 == tp_load_acquire_i32(&shared->ready[1]))
    {
        tp_turn(client, NULL, NULL, NULL, producer);
        check_deadline(deadline, "the tensorpool consumer");
    }
    /* Let the consumer's descriptor subscription settle (it maps on the announce, which may precede it). */
    uint64_t settle = tp_clock_monotonic_ns() + 50000000ULL;
    while (tp_clock_monotonic_ns() < settle)
    {
        tp_turn(client, NULL, NULL, NULL, producer);
    }
    const tp_tensor_desc_t desc = bench_desc_bytes(size);
    uint8_t *source = NULL;
    if (offer && (NULL == (source = malloc(size))))
    {
        die("out of memory for a %u byte source frame", size);
    }
    if (offer)
    {
        memset(source, 0x5A, size); /* faulted in once; each frame rewrites only the ends that are checked */
    }
    const uint64_t duration = (uint64_t)(opts.seconds * 1e9);
    /* One unmeasured lap first (seq < slots, not counted by the consumer): the steady state is what is compared.
     * A fresh pool's first lap can be far slower (see docs/performance.md, first touch). */
    uint64_t cpu_start = 0;
    uint64_t start = 0;
    uint64_t now = 0;
    uint64_t seq = 0;
    uint64_t turns = 0;
    while (seq < slots || now - start < duration)
    {
        if (seq == slots && 0 == start)
        {
            cpu_start = bench_cpu_time_ns();
            start = tp_clock_monotonic_ns();
            now = start;
        }
        int rc;
        if (offer)
        {
            memcpy(source, &seq, sizeof(seq));
            source[0] = (uint8_t)(seq & 0xff);
            source[size - 1] = (uint8_t)(seq & 0xff);
            rc = tp_producer_offer(producer, &desc, source, size, now);
        }
        else
        {
            tp_producer_claim_t claim;
            rc = tp_producer_claim(producer, size, &desc, &claim);
            if (TP_PRODUCER_OK == rc)
            {
                frame_fill(claim.payload, size, seq);
                rc = tp_producer_commit(producer, &claim, &desc, now);
            }
        }
        if (rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc)
        {
            shared->refused++;
            if (shared->refused > 1000)
            {
                die("tensorpool %s refused %" PRIu64 " frames (last status %d)", offer ? "offer" : "claim/commit",
                    shared->refused, rc);
            }
        }
        else
        {
            seq++;
        }
        if (0 == (seq & 63))
        {
            tp_turn(client, NULL, NULL, NULL, producer);
        }
        now =
            0 != start && 0 == (++turns & 15) ? tp_clock_monotonic_ns() : now; /* the clock read is not the workload */
    }
    now = tp_clock_monotonic_ns();
    shared->produce_ns = now - start;
    shared->produce_cpu_ns = bench_cpu_time_ns() - cpu_start;
    shared->produced = seq - slots;
    tp_store_release_i32(&shared->producer_done, 1);
    /* Keep the producer's control duties alive while the consumer drains. */
    while (0 == tp_load_acquire_i32(&shared->stop))
    {
        tp_turn(client, NULL, NULL, NULL, producer);
    }
    free(source);
    tp_producer_close(producer);
    tp_client_close(client);
}

/* ---- iceoryx ends ---- */

static void iox_end_runtime(int end)
{
    char name[64];
    snprintf(name, sizeof(name), "tpcmp-%d-%d-%d", (int)getpid(), run_id, end);
    iox_set_loglevel(Iceoryx_LogLevel_Warn); /* its debug lines would bury the table */
    iox_runtime_init(name);
}

static iox_pub_t iox_end_pub(iox_pub_storage_t *storage, const char *event)
{
    char instance[32];
    snprintf(instance, sizeof(instance), "run%d", run_id);
    iox_pub_options_t options;
    iox_pub_options_init(&options);
    options.historyCapacity = 0;
    iox_pub_t pub = iox_pub_init(storage, "tpcmp", instance, event, &options);
    if (NULL == pub)
    {
        die("iceoryx publisher %s/%s refused", instance, event);
    }
    return pub;
}

static iox_sub_t iox_end_sub(iox_sub_storage_t *storage, const char *event, uint64_t queue_capacity)
{
    char instance[32];
    snprintf(instance, sizeof(instance), "run%d", run_id);
    iox_sub_options_t options;
    iox_sub_options_init(&options);
    options.queueCapacity = queue_capacity;
    options.historyRequest = 0;
    iox_sub_t sub = iox_sub_init(storage, "tpcmp", instance, event, &options);
    if (NULL == sub)
    {
        die("iceoryx subscriber %s/%s refused", instance, event);
    }
    return sub;
}

static void iox_send(iox_pub_t pub, uint32_t size, uint64_t value)
{
    void *chunk = NULL;
    enum iox_AllocationResult result = iox_pub_loan_chunk(pub, &chunk, size);
    if (AllocationResult_SUCCESS != result)
    {
        die("iceoryx loan of %u bytes failed: result %d", size, (int)result);
    }
    frame_fill(chunk, size, value);
    iox_pub_publish_chunk(pub, chunk);
}

static bool iox_take_value(iox_sub_t sub, uint64_t *value)
{
    const void *chunk = NULL;
    if (ChunkReceiveResult_SUCCESS != iox_sub_take_chunk(sub, &chunk))
    {
        return false;
    }
    memcpy(value, chunk, sizeof(*value));
    iox_sub_release_chunk(sub, chunk);
    return true;
}

static void iox_wait_connected(shared_t *shared, int end, iox_pub_t pub, iox_sub_t sub)
{
    uint64_t deadline = tp_clock_monotonic_ns() + PEER_TIMEOUT_NS;
    for (;;)
    {
        bool ok = (NULL == sub || SubscribeState_SUBSCRIBED == iox_sub_get_subscription_state(sub)) &&
                  (NULL == pub || iox_pub_has_subscribers(pub));
        if (ok)
        {
            tp_store_release_i32(&shared->ready[end], 1);
            if (0 != tp_load_acquire_i32(&shared->ready[1 - end]))
            {
                return;
            }
        }
        check_deadline(deadline, "the iceoryx peer (is iox-roudi running with the bench's config?)");
        usleep(100);
    }
}

static void iox_rtt_end(shared_t *shared, int end, size_t samples)
{
    iox_end_runtime(end);
    iox_pub_storage_t pub_storage;
    iox_sub_storage_t sub_storage;
    iox_pub_t pub = iox_end_pub(&pub_storage, 0 == end ? "ping" : "pong");
    iox_sub_t sub = iox_end_sub(&sub_storage, 0 == end ? "pong" : "ping", 16);
    iox_wait_connected(shared, end, pub, sub);
    uint64_t value = 0;
    if (1 == end)
    {
        while (0 == tp_load_acquire_i32(&shared->stop))
        {
            if (iox_take_value(sub, &value))
            {
                iox_send(pub, 64, value);
            }
        }
    }
    else
    {
        const size_t warmup = samples / 10 + 100;
        for (uint64_t i = 1; i <= warmup + samples; i++)
        {
            uint64_t start = tp_clock_monotonic_ns();
            uint64_t resend = start + 100000000ULL;
            uint64_t deadline = start + PEER_TIMEOUT_NS;
            iox_send(pub, 64, i);
            while (!(iox_take_value(sub, &value) && value == i))
            {
                /* Warm-up re-sends, as on the tensorpool side: the very first ping may race the connection. */
                uint64_t now = tp_clock_monotonic_ns();
                if (i <= warmup && now > resend)
                {
                    iox_send(pub, 64, i);
                    resend = now + 100000000ULL;
                }
                check_deadline(deadline, "an iceoryx echo");
            }
            if (i > warmup)
            {
                shared->rtt_ns[shared->rtt_count++] = tp_clock_monotonic_ns() - start;
            }
        }
        tp_store_release_i32(&shared->stop, 1);
    }
    iox_sub_deinit(sub);
    iox_pub_deinit(pub);
    iox_runtime_shutdown();
}

static void iox_rate_end(shared_t *shared, int end, uint32_t size, uint64_t queue_capacity, uint64_t warmup)
{
    iox_end_runtime(end);
    if (1 == end)
    {
        iox_sub_storage_t storage;
        iox_sub_t sub = iox_end_sub(&storage, "data", queue_capacity);
        iox_wait_connected(shared, end, NULL, sub);
        uint64_t drain_until = 0;
        uint64_t expected = 0;
        for (;;)
        {
            const void *chunk = NULL;
            if (ChunkReceiveResult_SUCCESS == iox_sub_take_chunk(sub, &chunk))
            {
                uint64_t seq;
                if (frame_check(chunk, size, &seq) && seq < warmup)
                {
                    expected = warmup; /* the unmeasured warm-up lap */
                }
                else if (frame_check(chunk, size, &seq))
                {
                    shared->delivered++;
                    shared->lost += seq > expected ? seq - expected : 0;
                    expected = seq + 1;
                }
                else
                {
                    shared->bad++;
                }
                iox_sub_release_chunk(sub, chunk);
            }
            if (0 == drain_until && 0 != tp_load_acquire_i32(&shared->producer_done))
            {
                drain_until = tp_clock_monotonic_ns() + 200000000ULL;
            }
            if (0 != drain_until && tp_clock_monotonic_ns() > drain_until)
            {
                break;
            }
        }
        iox_sub_deinit(sub);
        iox_runtime_shutdown();
        return;
    }
    iox_pub_storage_t storage;
    iox_pub_t pub = iox_end_pub(&storage, "data");
    iox_wait_connected(shared, end, pub, NULL);
    usleep(50000); /* as on the tensorpool side */
    const uint64_t duration = (uint64_t)(opts.seconds * 1e9);
    uint64_t cpu_start = 0;
    uint64_t start = 0;
    uint64_t now = 0;
    uint64_t seq = 0;
    uint64_t turns = 0;
    uint64_t refused_in_a_row = 0;
    while (seq < warmup || now - start < duration)
    {
        if (seq == warmup && 0 == start)
        {
            cpu_start = bench_cpu_time_ns(); /* after the same unmeasured lap as tensorpool's */
            start = tp_clock_monotonic_ns();
            now = start;
        }
        void *chunk = NULL;
        enum iox_AllocationResult result = iox_pub_loan_chunk(pub, &chunk, size);
        if (AllocationResult_SUCCESS == result)
        {
            frame_fill(chunk, size, seq++);
            iox_pub_publish_chunk(pub, chunk);
            refused_in_a_row = 0;
        }
        else if (AllocationResult_RUNNING_OUT_OF_CHUNKS == result)
        {
            shared->refused++; /* the subscriber still holds every chunk: iceoryx's back pressure */
            if (++refused_in_a_row > 100000000ULL)
            {
                die("iceoryx: no chunk of %u bytes came back for 100 M loans", size);
            }
        }
        else
        {
            die("iceoryx loan of %u bytes failed: result %d (does the RouDi config have a mempool for it?)", size,
                (int)result);
        }
        now = 0 != start && 0 == (++turns & 15) ? tp_clock_monotonic_ns() : now;
    }
    now = tp_clock_monotonic_ns();
    shared->produce_ns = now - start;
    shared->produce_cpu_ns = bench_cpu_time_ns() - cpu_start;
    shared->produced = seq - warmup;
    tp_store_release_i32(&shared->producer_done, 1);
    while (0 == tp_load_acquire_i32(&shared->stop))
    {
        usleep(1000);
    }
    iox_pub_deinit(pub);
    iox_runtime_shutdown();
}

/* ---- floors ---- */

static void floor_rtt_end(shared_t *shared, int end, size_t samples)
{
    const size_t warmup = samples / 10;
    if (1 == end)
    {
        for (uint64_t i = 1; i <= warmup + samples; i++)
        {
            while (tp_load_acquire_u64(&shared->ping) != i)
            {
                tp_cpu_relax();
            }
            tp_store_release_u64(&shared->pong, i);
        }
        return;
    }
    for (uint64_t i = 1; i <= warmup + samples; i++)
    {
        uint64_t start = tp_clock_monotonic_ns();
        tp_store_release_u64(&shared->ping, i);
        while (tp_load_acquire_u64(&shared->pong) != i)
        {
            tp_cpu_relax();
        }
        if (i > warmup)
        {
            shared->rtt_ns[shared->rtt_count++] = tp_clock_monotonic_ns() - start;
        }
    }
}

typedef enum fill_en
{
    FILL_MEMSET = 0,
    FILL_MEMCPY = 1,
    FILL_MEMCPY_NT = 2,
} fill_t;

/* A floor ring: `length` bytes of a mapped, already unlinked /dev/shm file (the kind of memory the pools are),
 * touched first as the pools are after their first lap. */
static uint8_t *floor_ring_map(size_t length, const char *name)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s-%d", opts.shm_dir, name, (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || 0 != ftruncate(fd, (off_t)length))
    {
        die("floor ring %s: %s", path, strerror(errno));
    }
    uint8_t *ring = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    unlink(path);
    if (MAP_FAILED == ring)
    {
        die("floor ring of %zu bytes: %s", length, strerror(errno));
    }
    memset(ring, 1, length);
    return ring;
}

static void floor_fill_frame(uint8_t *target, const uint8_t *source, uint32_t size, uint64_t frame, fill_t fill)
{
    switch (fill)
    {
        case FILL_MEMSET:
            frame_fill(target, size, frame);
            break;
        case FILL_MEMCPY:
            memcpy(target, source, size);
            break;
        case FILL_MEMCPY_NT:
            tp_memcpy_nt(target, source, size);
            break;
    }
}

/* GiB/s writing `size` bytes per frame into a ring of slots x stride bytes (floor_ring_map). */
static double floor_fill(uint32_t size, uint32_t slots, fill_t fill)
{
    const uint32_t stride = size < 4096 ? 4096 : size;
    const size_t length = (size_t)stride * slots;
    uint8_t *ring = floor_ring_map(length, "floor-ring");
    uint8_t *source = malloc(size);
    if (NULL == source)
    {
        die("out of memory for a %u byte source frame", size);
    }
    memset(source, 0x5A, size);
    const uint64_t duration = (uint64_t)(opts.seconds * 0.5e9);
    uint64_t frames = 0;
    uint64_t start = tp_clock_monotonic_ns();
    uint64_t now = start;
    while (now - start < duration)
    {
        uint8_t *target = ring + (size_t)(frames % slots) * stride;
        floor_fill_frame(target, source, size, frames, fill);
        __asm__ volatile("" ::"r"(target) : "memory");
        frames++;
        now = 0 == (frames & 15) ? tp_clock_monotonic_ns() : now;
    }
    now = tp_clock_monotonic_ns();
    munmap(ring, length);
    free(source);
    return (double)frames * size / ((double)(now - start) / 1e9) / GIB;
}

/*
 * The same fill, handed to a second process: the writer fills slot `n mod slots` of a /dev/shm ring and
 * publishes n; the reader, pinned to the other CPU as the benchmark consumers are, checks both ends of each
 * frame and publishes how far it got; the writer never runs more than `slots` frames ahead (lossless). What any
 * cross-process zero-copy transport can deliver here at this size and ring depth, before its own costs.
 */
static double floor_fill_pair(uint32_t size, uint32_t slots, fill_t fill)
{
    const uint32_t stride = size < 4096 ? 4096 : size;
    const size_t length = (size_t)stride * slots;
    uint8_t *ring = floor_ring_map(length, "floor-pair");
    /* head (writer), tail (reader) and bad (reader) on lines of their own. */
    volatile uint64_t *lines = mmap(NULL, 4 * 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint8_t *source = malloc(size);
    if (MAP_FAILED == (void *)lines || NULL == source)
    {
        die("two-process floor: out of memory");
    }
    volatile uint64_t *head = lines;
    volatile uint64_t *tail = lines + 8;
    volatile uint64_t *bad = lines + 16;
    memset(source, 0x5A, size);
    tp_store_release_u64(head, 0);
    tp_store_release_u64(tail, 0);
    tp_store_release_u64(bad, 0);
    pid_t reader = fork();
    if (0 == reader)
    {
        bench_pin_to(1, opts.pin);
        for (uint64_t n = 0;; n++)
        {
            uint64_t h;
            while ((h = tp_load_acquire_u64(head)) <= n)
            {
                if (UINT64_MAX == h)
                {
                    _exit(0);
                }
                tp_cpu_relax();
            }
            if (UINT64_MAX == h)
            {
                _exit(0);
            }
            const uint8_t *frame = ring + (size_t)(n % slots) * stride;
            uint64_t seq;
            if (FILL_MEMSET == fill && (!frame_check(frame, size, &seq) || seq != n))
            {
                tp_store_release_u64(bad, 1);
            }
            else if (FILL_MEMSET != fill && frame[0] + frame[size - 1] != 2 * 0x5A)
            {
                tp_store_release_u64(bad, 1);
            }
            tp_store_release_u64(tail, n + 1);
        }
    }
    cpu_set_t affinity;
    const bool restore = 0 == sched_getaffinity(0, sizeof(affinity), &affinity);
    bench_pin_to(0, opts.pin);
    const uint64_t duration = (uint64_t)(opts.seconds * 0.5e9);
    uint64_t frames = 0;
    uint64_t start = tp_clock_monotonic_ns();
    uint64_t now = start;
    while (now - start < duration)
    {
        while (frames - tp_load_acquire_u64(tail) >= slots)
        {
            tp_cpu_relax();
        }
        floor_fill_frame(ring + (size_t)(frames % slots) * stride, source, size, frames, fill);
        frames++;
        tp_store_release_u64(head, frames);
        now = 0 == (frames & 15) ? tp_clock_monotonic_ns() : now;
    }
    now = tp_clock_monotonic_ns();
    tp_store_release_u64(head, UINT64_MAX);
    if (restore)
    {
        (void)sched_setaffinity(0, sizeof(affinity), &affinity);
    }
    int status = 0;
    waitpid(reader, &status, 0);
    if (!WIFEXITED(status) || 0 != WEXITSTATUS(status) || 0 != tp_load_acquire_u64(bad))
    {
        die("two-process floor, %u B: the reader failed or saw a frame whose ends disagree (status 0x%x)", size,
            status);
    }
    munmap(ring, length);
    munmap((void *)lines, 4 * 64);
    free(source);
    return (double)frames * size / ((double)(now - start) / 1e9) / GIB;
}

/* ---- runs ---- */

typedef enum workload_kind_en
{
    WL_RTT = 0,
    WL_RATE = 1,
    WL_OFFER = 2,
} workload_kind_t;

typedef struct workload_stct
{
    workload_kind_t kind;
    uint32_t size;
    uint32_t slots;     /* tensorpool ring (header slots = pool slots) */
    uint64_t iox_queue; /* iceoryx subscriber queue capacity */
    const char *label;
    /* per side, per round */
    double fps[3][MAX_ROUNDS];
    double delivered_pct[3][MAX_ROUNDS];
    double cpu_share[3][MAX_ROUNDS];  /* producer CPU time / wall time of its run */
    double floor_gibs[3][MAX_ROUNDS]; /* memset, memcpy, memcpy_nt */
    double pair_gibs[MAX_ROUNDS];     /* the workload's fill handed to a second process (floor_fill_pair) */
    bool skip;                        /* not selected by -w */
    uint64_t *rtt[3];
    size_t rtt_count[3];
} workload_t;

static shared_t *shared_alloc(void)
{
    shared_t *s = mmap(NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == s)
    {
        die("mmap of the shared state: %s", strerror(errno));
    }
    return s;
}

static void run_end(shared_t *shared, side_t side, const workload_t *w, int end)
{
    switch (side)
    {
        case SIDE_TP:
            if (WL_RTT == w->kind)
            {
                tp_rtt_end(shared, end, opts.rtt_samples);
            }
            else
            {
                tp_rate_end(shared, end, w->size, w->slots, WL_OFFER == w->kind);
            }
            break;
        case SIDE_IOX:
            if (WL_RTT == w->kind)
            {
                iox_rtt_end(shared, end, opts.rtt_samples);
            }
            else
            {
                iox_rate_end(shared, end, w->size, w->iox_queue, w->slots);
            }
            break;
        case SIDE_FLOOR:
            floor_rtt_end(shared, end, opts.rtt_samples);
            break;
    }
}

/* Both ends in their own processes (producer / pinger on CPU 0, consumer / echo on CPU 1). */
static void run_pair(shared_t *shared, side_t side, const workload_t *w)
{
    pid_t pids[2];
    fflush(stdout);
    for (int end = 0; end < 2; end++)
    {
        pids[end] = fork();
        if (pids[end] < 0)
        {
            die("fork: %s", strerror(errno));
        }
        if (0 == pids[end])
        {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            bench_pin_to(end, opts.pin);
            run_end(shared, side, w, end);
            _exit(0);
        }
    }
    /* The consumer ends the rate runs after draining; then the producer may close. */
    int status = 0;
    if (w->kind != WL_RTT && waitpid(pids[1], &status, 0) == pids[1])
    {
        tp_store_release_i32(&shared->stop, 1);
        pids[1] = 0;
        if (!WIFEXITED(status) || 0 != WEXITSTATUS(status))
        {
            kill(pids[0], SIGKILL);
            waitpid(pids[0], NULL, 0);
            die("%s %s: the consumer process failed (status 0x%x)", side_names[side], w->label, status);
        }
    }
    for (int end = 0; end < 2; end++)
    {
        if (0 == pids[end])
        {
            continue;
        }
        if (waitpid(pids[end], &status, 0) != pids[end] || !WIFEXITED(status) || 0 != WEXITSTATUS(status))
        {
            tp_store_release_i32(&shared->stop, 1);
            kill(pids[1 - end], SIGKILL);
            die("%s %s: the %s process failed (status 0x%x)", side_names[side], w->label,
                0 == end ? "producer / ping" : "consumer / echo", status);
        }
    }
}

static void run_workload(workload_t *w, side_t side, int round)
{
    shared_t *shared = shared_alloc();
    run_id++;
    if (WL_RTT == w->kind)
    {
        run_pair(shared, side, w);
        if (shared->rtt_count != opts.rtt_samples)
        {
            die("%s %s: %zu RTT samples instead of %zu", side_names[side], w->label, shared->rtt_count,
                opts.rtt_samples);
        }
        memcpy(w->rtt[side] + w->rtt_count[side], shared->rtt_ns, shared->rtt_count * sizeof(uint64_t));
        w->rtt_count[side] += shared->rtt_count;
    }
    else if (SIDE_FLOOR == side)
    {
        w->floor_gibs[FILL_MEMSET][round] = floor_fill(w->size, w->slots, FILL_MEMSET);
        w->floor_gibs[FILL_MEMCPY][round] = floor_fill(w->size, w->slots, FILL_MEMCPY);
        w->floor_gibs[FILL_MEMCPY_NT][round] = floor_fill(w->size, w->slots, FILL_MEMCPY_NT);
        if (WL_OFFER == w->kind)
        {
            /* Offer copies: the faster of the two copies, as for the one-process floor. */
            const double plain = floor_fill_pair(w->size, w->slots, FILL_MEMCPY);
            const double nt = floor_fill_pair(w->size, w->slots, FILL_MEMCPY_NT);
            w->pair_gibs[round] = plain > nt ? plain : nt;
        }
        else
        {
            w->pair_gibs[round] = floor_fill_pair(w->size, w->slots, FILL_MEMSET);
        }
    }
    else
    {
        run_pair(shared, side, w);
        if (0 != shared->bad)
        {
            die("%s %s: %" PRIu64 " frames handed over intact had ends that disagree", side_names[side], w->label,
                shared->bad);
        }
        if (0 == shared->delivered || 0 == shared->produced || 0 == shared->produce_ns)
        {
            die("%s %s: nothing delivered (produced %" PRIu64 ", delivered %" PRIu64 ", late %" PRIu64
                ", refused %" PRIu64 ")",
                side_names[side], w->label, shared->produced, shared->delivered, shared->late, shared->refused);
        }
        w->fps[side][round] = (double)shared->delivered / ((double)shared->produce_ns / 1e9);
        w->delivered_pct[side][round] = 100.0 * (double)shared->delivered / (double)shared->produced;
        w->cpu_share[side][round] = (double)shared->produce_cpu_ns / (double)shared->produce_ns;
        /* Progress on stderr, so a run that fails later still leaves what it measured. */
        fprintf(stderr,
                "tp_iox_compare: round %d %s %s: %.0f frames/s delivered (%.2f GiB/s), %.1f%% of %" PRIu64
                " produced, late %" PRIu64 " lost %" PRIu64 " refused %" PRIu64 ", producer had %.0f%% of a core\n",
                round + 1, side_names[side], w->label, w->fps[side][round], w->fps[side][round] * w->size / GIB,
                w->delivered_pct[side][round], shared->produced, shared->late, shared->lost, shared->refused,
                100.0 * w->cpu_share[side][round]);
    }
    munmap(shared, sizeof(shared_t));
}

static double median(const double *values, int n, double *lo, double *hi)
{
    double sorted[MAX_ROUNDS];
    memcpy(sorted, values, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), compare_double);
    *lo = sorted[0];
    *hi = sorted[n - 1];
    return 0 == n % 2 ? (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 : sorted[n / 2];
}

static void format_rate(char *out, size_t cap, const workload_t *w, side_t side)
{
    double lo;
    double hi;
    double fps = median(w->fps[side], opts.rounds, &lo, &hi);
    double plo;
    double phi;
    double pct = median(w->delivered_pct[side], opts.rounds, &plo, &phi);
    if (w->size >= (1u << 20))
    {
        snprintf(out, cap, "%6.2f GiB/s (%.1f-%.1f) %5.1f%%", fps * w->size / GIB, lo * w->size / GIB,
                 hi * w->size / GIB, pct);
    }
    else
    {
        snprintf(out, cap, "%6.3f Mf/s (%.2f-%.2f) %5.1f%%", fps / 1e6, lo / 1e6, hi / 1e6, pct);
    }
}

static void format_rtt(char *out, size_t cap, workload_t *w, side_t side)
{
    uint64_t *s = w->rtt[side];
    size_t n = w->rtt_count[side];
    qsort(s, n, sizeof(uint64_t), bench_compare_u64);
    snprintf(out, cap, "%.2f / %.2f / %.2f us", bench_percentile(s, n, 0.5) / 1e3, bench_percentile(s, n, 0.99) / 1e3,
             bench_percentile(s, n, 0.999) / 1e3);
}

static void print_load(const char *when)
{
    char text[128];
    bench_load_average(text, sizeof(text));
    printf("load average %s: %s", when, text);
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: tp_iox_compare -s SHM_DIR [-p AERON_DIR] [-r ROUNDS] [-t SECONDS] [-n RTT_SAMPLES] [-w TEXT] [-u] "
        "[-q]\n"
        "                      [-h]\n"
        "  tensorpool vs iceoryx (C binding) on the same workloads, with raw floors, interleaved rounds.\n"
        "  Needs a running media driver (AERON_DIR or -p) and a running iox-roudi with mempools of\n"
        "  >= 64 B, 4 KiB, 1 MiB and 8 MiB (scripts/bench_compare.sh does all of it).\n"
        "  -s DIR  scratch dir for tensorpool regions and floor rings (created, must be on /dev/shm)\n"
        "  -p DIR  Aeron dir of the media driver (default: AERON_DIR)\n"
        "  -r N    rounds (default 3, at most 16); -t S seconds per rate run (default 1.0)\n"
        "  -n N    RTT samples per round (default 100000); -q quick (-r 2 -t 0.3 -n 20000)\n"
        "  -w TEXT only the workloads whose label contains TEXT (e.g. -w RTT, -w '8 MiB, 16')\n"
        "  -u      do not pin producer / consumer ends to CPUs 0 / 1\n";
    static const struct option long_options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *shm_dir = NULL;
    opts.aeron_dir = getenv("AERON_DIR");
    int opt;
    while (-1 != (opt = getopt_long(argc, argv, "s:p:r:t:n:w:uqh", long_options, NULL)))
    {
        switch (opt)
        {
            case 's':
                shm_dir = optarg;
                break;
            case 'p':
                opts.aeron_dir = optarg;
                break;
            case 'r':
                opts.rounds = atoi(optarg);
                break;
            case 't':
                opts.seconds = atof(optarg);
                break;
            case 'n':
                opts.rtt_samples = (size_t)strtoull(optarg, NULL, 10);
                break;
            case 'w':
                opts.only = optarg;
                break;
            case 'u':
                opts.pin = false;
                break;
            case 'q':
                opts.rounds = 2;
                opts.seconds = 0.3;
                opts.rtt_samples = 20000;
                break;
            case 'h':
                fputs(usage, stdout);
                return 0;
            default:
                fputs(usage, stderr);
                return 2;
        }
    }
    if (NULL == shm_dir || NULL == opts.aeron_dir || opts.rounds < 1 || opts.rounds > MAX_ROUNDS ||
        opts.seconds <= 0.0 || opts.rtt_samples < 100 || opts.rtt_samples > MAX_RTT_SAMPLES)
    {
        fputs(usage, stderr);
        fprintf(stderr, "tp_iox_compare: -s and an Aeron dir are required; 1 <= rounds <= %d; 100 <= samples <= %d\n",
                MAX_ROUNDS, MAX_RTT_SAMPLES);
        return 2;
    }
    snprintf(opts.shm_dir, sizeof(opts.shm_dir), "%s", shm_dir);
    setvbuf(stdout, NULL, _IOLBF, 0);

    workload_t workloads[] = {
        {.kind = WL_RTT, .size = 64, .slots = 64, .iox_queue = 16, .label = "64 B RTT p50/p99/p99.9"},
        {.kind = WL_RATE, .size = 64, .slots = 64, .iox_queue = 256, .label = "64 B frames/s"},
        {.kind = WL_RATE, .size = 4096, .slots = 64, .iox_queue = 256, .label = "4 KiB frames/s"},
        {.kind = WL_RATE, .size = 1u << 20, .slots = 16, .iox_queue = 16, .label = "1 MiB, 16 slots"},
        {.kind = WL_RATE, .size = 1u << 20, .slots = 2, .iox_queue = 16, .label = "1 MiB, 2 slots"},
        {.kind = WL_OFFER, .size = 1u << 20, .slots = 16, .iox_queue = 16, .label = "1 MiB offer, 16 slots"},
        {.kind = WL_RATE, .size = 8u << 20, .slots = 16, .iox_queue = 16, .label = "8 MiB, 16 slots"},
        {.kind = WL_RATE, .size = 8u << 20, .slots = 2, .iox_queue = 16, .label = "8 MiB, 2 slots"},
        {.kind = WL_OFFER, .size = 8u << 20, .slots = 16, .iox_queue = 16, .label = "8 MiB offer, 16 slots"},
        {.kind = WL_OFFER, .size = 8u << 20, .slots = 2, .iox_queue = 16, .label = "8 MiB offer, 2 slots"},
    };
    const size_t count = sizeof(workloads) / sizeof(workloads[0]);
    size_t selected = 0;
    for (size_t k = 0; k < count; k++)
    {
        workloads[k].skip = NULL != opts.only && NULL == strstr(workloads[k].label, opts.only);
        selected += workloads[k].skip ? 0 : 1;
    }
    if (0 == selected)
    {
        die("-w %s: no workload label contains that", opts.only);
    }
    for (int side = 0; side < 3; side++)
    {
        workloads[0].rtt[side] = malloc((size_t)opts.rounds * opts.rtt_samples * sizeof(uint64_t));
        if (NULL == workloads[0].rtt[side])
        {
            die("out of memory for RTT samples");
        }
    }

    printf("tp_iox_compare: %d rounds, %.2f s per rate run, %zu RTT samples per round; Aeron dir %s, regions in %s\n",
           opts.rounds, opts.seconds, opts.rtt_samples, opts.aeron_dir, opts.shm_dir);
    print_load("at start");
    for (int round = 0; round < opts.rounds; round++)
    {
        /* A/B then B/A: neither side always runs first (warmer caches, frequency, a neighbour's burst). */
        const side_t order[2] = {0 == round % 2 ? SIDE_TP : SIDE_IOX, 0 == round % 2 ? SIDE_IOX : SIDE_TP};
        for (size_t k = 0; k < count; k++)
        {
            workload_t *w = &workloads[k];
            if (w->skip)
            {
                continue;
            }
            if (WL_OFFER != w->kind)
            {
                run_workload(w, order[0], round);
                run_workload(w, order[1], round);
            }
            else
            {
                run_workload(w, SIDE_TP, round);
            }
            run_workload(w, SIDE_FLOOR, round);
        }
        fprintf(stderr, "tp_iox_compare: round %d of %d done\n", round + 1, opts.rounds);
    }

    printf("\n| workload | tensorpool | iceoryx 2.0 | floor (same run) | tp / iox | tp / floor (1-proc / 2-proc) |\n");
    printf("|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < count; k++)
    {
        workload_t *w = &workloads[k];
        if (w->skip)
        {
            continue;
        }
        char tp[96];
        char iox[96] = "-";
        char floor[128];
        double lo;
        double hi;
        if (WL_RTT == w->kind)
        {
            format_rtt(tp, sizeof(tp), w, SIDE_TP);
            format_rtt(iox, sizeof(iox), w, SIDE_IOX);
            format_rtt(floor, sizeof(floor), w, SIDE_FLOOR);
            const double tp50 = bench_percentile(w->rtt[SIDE_TP], w->rtt_count[SIDE_TP], 0.5);
            const double iox50 = bench_percentile(w->rtt[SIDE_IOX], w->rtt_count[SIDE_IOX], 0.5);
            const double fl50 = bench_percentile(w->rtt[SIDE_FLOOR], w->rtt_count[SIDE_FLOOR], 0.5);
            printf("| %s | %s | %s | cache line %s | %.2f (p50) | %.1f (p50) |\n", w->label, tp, iox, floor,
                   tp50 / iox50, tp50 / fl50);
            continue;
        }
        format_rate(tp, sizeof(tp), w, SIDE_TP);
        const double tp_fps = median(w->fps[SIDE_TP], opts.rounds, &lo, &hi);
        const double memset_gibs = median(w->floor_gibs[FILL_MEMSET], opts.rounds, &lo, &hi);
        const double memcpy_gibs = median(w->floor_gibs[FILL_MEMCPY], opts.rounds, &lo, &hi);
        const double nt_gibs = median(w->floor_gibs[FILL_MEMCPY_NT], opts.rounds, &lo, &hi);
        const double pair_gibs = median(w->pair_gibs, opts.rounds, &lo, &hi);
        snprintf(floor, sizeof(floor), "ring %zu MiB: memset %.1f, memcpy %.1f, memcpy_nt %.1f; 2-process %.1f GiB/s",
                 (size_t)w->slots * (w->size < 4096 ? 4096 : w->size) >> 20, memset_gibs, memcpy_gibs, nt_gibs,
                 pair_gibs);
        const double tp_gibs = tp_fps * w->size / GIB;
        const double floor_gibs = WL_OFFER == w->kind ? (memcpy_gibs > nt_gibs ? memcpy_gibs : nt_gibs) : memset_gibs;
        char ratio_iox[32] = "-";
        if (WL_RATE == w->kind)
        {
            format_rate(iox, sizeof(iox), w, SIDE_IOX);
            snprintf(ratio_iox, sizeof(ratio_iox), "%.2f", tp_fps / median(w->fps[SIDE_IOX], opts.rounds, &lo, &hi));
        }
        printf("| %s | %s | %s | %s | %s | %.2f / %.2f |\n", w->label, tp, iox, floor, ratio_iox, tp_gibs / floor_gibs,
               tp_gibs / pair_gibs);
    }
    printf("\nRates: delivered = frames the consumer checked (both ends agree, tensorpool: slot still intact), per\n"
           "second of the producer's run, median of the rounds (min-max), then %% of the frames produced. The\n"
           "producer writes every byte (tensorpool claim + fill + commit, iceoryx loan + fill + publish; offer rows\n"
           "copy an application buffer with tp_producer_offer). tp / floor: against memset into a ring of\n"
           "tensorpool's footprint (offer rows: the faster of memcpy and memcpy_nt), then against the same fill\n"
           "handed to a second process that checks both ends (2-process: a raw lossless ring, no library;\n"
           "offer rows: the faster copy). Rates are the steady state: each run starts with one unmeasured lap of\n"
           "the ring on both sides.\n"
           "RTT: all rounds pooled.\n");
    /* A starved producer measures the machine's load, not the library: say so next to the table. */
    double lowest_share = 1.0;
    for (size_t k = 0; k < count; k++)
    {
        for (int side = 0; side < 2; side++)
        {
            for (int round = 0; round < opts.rounds && WL_RTT != workloads[k].kind && !workloads[k].skip; round++)
            {
                if (SIDE_IOX == side && WL_OFFER == workloads[k].kind)
                {
                    continue;
                }
                double share = workloads[k].cpu_share[side][round];
                lowest_share = share < lowest_share ? share : lowest_share;
            }
        }
    }
    printf("Producers had at least %.0f%% of a core during their runs.\n", 100.0 * lowest_share);
    if (lowest_share < 0.8)
    {
        printf("WARNING: some producer got less than 80%% of a core (the machine is busy): those rates measure\n"
               "the scheduler, not the libraries; re-run on a quiet machine (stderr has the per-run shares).\n");
    }
    print_load("at the end");
    for (int side = 0; side < 3; side++)
    {
        free(workloads[0].rtt[side]);
    }
    return 0;
}
