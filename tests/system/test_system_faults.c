/*
 * Steady state takes no page faults (issue 13): a producer and a consumer in separate processes over our media
 * driver exchange 64 B frames; after a warm-up long enough for the clients' first keepalives and periodic
 * messages, each side counts its minor page faults (getrusage) over >= 20,000 frames. Every page of the Aeron
 * logs, the CnC and the SHM regions was populated when mapped, so the count must be ~0: the threshold (0.01 per
 * frame) is generous enough for a stray fault of the test itself, far below the one fault per ~20 frames that
 * reaching fresh term pages costs without pre-touch. Also: the descriptor log gets the context's term length.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tp_atomic.h"
#include "common/tp_clock.h"
#include "system_test_util.h"

#define STREAM_ID            21
#define FRAME_BYTES          64
#define MEASURED_FRAMES      20000
#define WARMUP_FRAMES        2000
#define WARMUP_NS            (1500ULL * 1000000ULL) /* past the first keepalives (500 ms) and 100 ms cadences */
#define IN_FLIGHT            16
#define FAULTS_PER_FRAME_MAX 0.01

typedef struct shared_stct
{
    char aeron_dir[256];
    char shm_dir[256];
    volatile int32_t consumer_mapped;
    volatile int32_t stop;
    volatile int32_t producer_finished; /* 1: measured, publications kept open until stop; -1: failed */
    volatile uint64_t ack_seq;          /* consumer: last seq seen + 1 */
    volatile uint64_t measure_from_seq; /* producer: first measured seq (UINT64_MAX while warming up) */
    volatile uint64_t producer_faults;
    volatile uint64_t producer_frames;
    volatile uint64_t consumer_faults;
    volatile uint64_t consumer_frames;
    volatile uint64_t consumer_bad;
} shared_t;

static shared_t *shared;

static uint64_t minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt;
}

typedef struct consumer_state_stct
{
    uint64_t measured;
    uint64_t faults_start;
} consumer_state_t;

static void on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    consumer_state_t *s = clientd;
    const bool ok = FRAME_BYTES == frame->payload_length && frame->payload[0] == (uint8_t)frame->seq &&
                    frame->payload[FRAME_BYTES - 1] == (uint8_t)frame->seq && tp_consumer_frame_is_intact(frame);
    if (!ok)
    {
        shared->consumer_bad++;
    }
    if (frame->seq >= tp_load_acquire_u64(&shared->measure_from_seq))
    {
        if (0 == s->measured)
        {
            s->faults_start = minor_faults();
        }
        if (++s->measured == MEASURED_FRAMES)
        {
            shared->consumer_faults = minor_faults() - s->faults_start;
            shared->consumer_frames = s->measured;
        }
    }
    tp_store_release_u64(&shared->ack_seq, frame->seq + 1);
}

static int run_consumer(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = STREAM_ID;
    config.consumer_id = 7;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        return 1;
    }
    consumer_state_t state = {0};
    while (0 == tp_load_acquire_i32(&shared->stop))
    {
        /* The usage guide's loop. */
        int work = tp_consumer_poll(consumer, on_frame, &state, 0);
        int client_work = tp_client_do_work(client);
        if (work < 0 || client_work < 0)
        {
            fprintf(stderr, "consumer poll: %s\n", tp_errmsg());
            return 1;
        }
        tp_client_idle(client, work + client_work);
        if (0 == shared->consumer_mapped && tp_consumer_is_mapped(consumer))
        {
            tp_store_release_i32(&shared->consumer_mapped, 1);
        }
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

static int run_producer(void *arg)
{
    (void)arg;
    tp_client_t *client = st_client(shared->aeron_dir, shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = STREAM_ID;
    config.producer_id = 3;
    config.header_nslots = 64;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 4096};
    config.pool_count = 1;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        tp_store_release_i32(&shared->producer_finished, -1);
        return 1;
    }
    tp_tensor_desc_t desc;
    memset(&desc, 0, sizeof(desc));
    desc.dtype = TP_DTYPE_UINT8;
    desc.major_order = TP_MAJOR_ORDER_ROW;
    desc.ndims = 1;
    desc.dims[0] = FRAME_BYTES;

    const uint64_t deadline = tp_clock_monotonic_ns() + 60ULL * 1000000000ULL;
    while (0 == tp_load_acquire_i32(&shared->consumer_mapped) && tp_clock_monotonic_ns() < deadline)
    {
        int work = tp_producer_poll(producer, 0);
        tp_client_idle(client, work + tp_client_do_work(client));
    }
    const uint64_t warm_until = tp_clock_monotonic_ns() + WARMUP_NS;
    uint64_t measure_from = UINT64_MAX;
    uint64_t faults_start = 0;
    uint64_t sent = 0;
    while ((UINT64_MAX == measure_from || sent < measure_from + MEASURED_FRAMES) && tp_clock_monotonic_ns() < deadline)
    {
        /* A bounded window: the consumer keeps up, so every frame is read before its slot is reused. */
        if (sent - tp_load_acquire_u64(&shared->ack_seq) < IN_FLIGHT)
        {
            tp_producer_claim_t claim;
            if (TP_PRODUCER_OK != tp_producer_claim(producer, FRAME_BYTES, &desc, &claim))
            {
                fprintf(stderr, "claim: %s\n", tp_errmsg());
                tp_store_release_i32(&shared->producer_finished, -1);
                return 1;
            }
            if (UINT64_MAX == measure_from && sent >= WARMUP_FRAMES && tp_clock_monotonic_ns() >= warm_until)
            {
                measure_from = claim.seq;
                tp_store_release_u64(&shared->measure_from_seq, claim.seq);
                faults_start = minor_faults();
            }
            memset(claim.payload, (int)(uint8_t)claim.seq, FRAME_BYTES);
            int rc = tp_producer_commit(producer, &claim, &desc, tp_clock_monotonic_ns());
            if (rc < 0 && TP_PRODUCER_BACK_PRESSURE != rc)
            {
                fprintf(stderr, "commit returned %d: %s\n", rc, tp_errmsg());
                tp_store_release_i32(&shared->producer_finished, -1);
                return 1;
            }
            sent++;
        }
        int work = tp_producer_poll(producer, 0);
        tp_client_idle(client, 1 + work + tp_client_do_work(client));
    }
    if (UINT64_MAX != measure_from)
    {
        shared->producer_faults = minor_faults() - faults_start;
        shared->producer_frames = sent - measure_from;
    }
    /* Let the consumer see the last frames before it is stopped. */
    while (tp_load_acquire_u64(&shared->ack_seq) < sent && tp_clock_monotonic_ns() < deadline)
    {
        int work = tp_producer_poll(producer, 0);
        tp_client_idle(client, work + tp_client_do_work(client));
    }
    tp_store_release_i32(&shared->producer_finished, 1);
    while (0 == tp_load_acquire_i32(&shared->stop) && tp_clock_monotonic_ns() < deadline)
    {
        int work = tp_producer_poll(producer, 0);
        tp_client_idle(client, work + tp_client_do_work(client));
    }
    tp_producer_close(producer);
    tp_client_close(client);
    return 0;
}

/* Sizes of the log buffers under <aeron dir>/publications. */
static size_t log_sizes(const char *aeron_dir, off_t *sizes, size_t capacity)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/publications", aeron_dir);
    DIR *dir = opendir(path);
    size_t n = 0;
    struct dirent *entry;
    while (NULL != dir && NULL != (entry = readdir(dir)) && n < capacity)
    {
        char file[1024];
        struct stat st;
        snprintf(file, sizeof(file), "%s/%s", path, entry->d_name);
        if (NULL != strstr(entry->d_name, ".logbuffer") && 0 == stat(file, &st))
        {
            sizes[n++] = st.st_size;
        }
    }
    if (NULL != dir)
    {
        closedir(dir);
    }
    return n;
}

static void test_steady_state_has_no_minor_faults(void **state)
{
    (void)state;
    tp_test_driver_t driver;
    shared = st_shared_alloc(sizeof(*shared));
    shared->measure_from_seq = UINT64_MAX;
    assert_int_equal(0, st_driver_start(&driver));
    snprintf(shared->aeron_dir, sizeof(shared->aeron_dir), "%s", driver.dir);
    st_scratch_dir(shared->shm_dir, sizeof(shared->shm_dir));

    pid_t consumer = st_spawn(run_consumer, NULL);
    pid_t producer = st_spawn(run_producer, NULL);
    const uint64_t deadline = tp_clock_monotonic_ns() + 90ULL * 1000000000ULL;
    while (0 == tp_load_acquire_i32(&shared->producer_finished) && tp_clock_monotonic_ns() < deadline)
    {
        usleep(10000);
    }

    /* Logs of 3 terms + 4 KiB: descriptor 4 MiB terms, QoS and metadata 256 KiB terms, and the shared control
     * stream, which keeps the driver's 1 MiB here. */
    off_t sizes[16];
    size_t count = log_sizes(shared->aeron_dir, sizes, 16);
    size_t descriptor_logs = 0;
    size_t qos_logs = 0;
    size_t control_logs = 0;
    for (size_t i = 0; i < count; i++)
    {
        descriptor_logs += sizes[i] == 3 * (off_t)TP_DEFAULT_DESCRIPTOR_TERM_LENGTH + 4096 ? 1 : 0;
        qos_logs += sizes[i] == 3 * (off_t)TP_DEFAULT_CONTROL_TERM_LENGTH + 4096 ? 1 : 0;
        control_logs += sizes[i] == 3 * (off_t)(1 << 20) + 4096 ? 1 : 0;
    }

    tp_store_release_i32(&shared->stop, 1);
    int producer_rc = st_wait(producer, 30000);
    int consumer_rc = st_wait(consumer, 30000);
    st_driver_stop(&driver);
    assert_int_equal(0, producer_rc);
    assert_int_equal(0, consumer_rc);
    assert_int_equal(1, descriptor_logs);
    assert_int_equal(2, qos_logs);
    assert_int_equal(1, control_logs);

    print_message("steady state: producer %llu faults / %llu frames, consumer %llu faults / %llu frames\n",
                  (unsigned long long)shared->producer_faults, (unsigned long long)shared->producer_frames,
                  (unsigned long long)shared->consumer_faults, (unsigned long long)shared->consumer_frames);
    assert_true(shared->producer_frames >= MEASURED_FRAMES);
    assert_int_equal(MEASURED_FRAMES, shared->consumer_frames);
    assert_int_equal(0, shared->consumer_bad);
    assert_true((double)shared->producer_faults / (double)shared->producer_frames < FAULTS_PER_FRAME_MAX);
    assert_true((double)shared->consumer_faults / (double)shared->consumer_frames < FAULTS_PER_FRAME_MAX);
    st_remove_tree(shared->shm_dir);
    st_shared_free(shared, sizeof(*shared));
}

/* The term lengths a context accepts: 0 (the driver's) or a power of two in [64 KiB, 1 GiB]. */
static void test_term_length_settings(void **state)
{
    (void)state;
    tp_context_t *ctx = NULL;
    assert_int_equal(0, tp_context_init(&ctx));
    assert_int_equal(TP_DEFAULT_DESCRIPTOR_TERM_LENGTH, tp_context_get_descriptor_term_length(ctx));
    assert_int_equal(TP_DEFAULT_CONTROL_TERM_LENGTH, tp_context_get_control_term_length(ctx));
    assert_int_equal(-1, tp_context_set_descriptor_term_length(ctx, 1000));
    assert_int_equal(-1, tp_context_set_descriptor_term_length(ctx, 32768));
    assert_int_equal(-1, tp_context_set_control_term_length(ctx, 3u << 20));
    assert_int_equal(TP_DEFAULT_DESCRIPTOR_TERM_LENGTH, tp_context_get_descriptor_term_length(ctx));
    assert_int_equal(0, tp_context_set_descriptor_term_length(ctx, 65536));
    assert_int_equal(65536, tp_context_get_descriptor_term_length(ctx));
    assert_int_equal(0, tp_context_set_control_term_length(ctx, 0));
    assert_int_equal(0, tp_context_get_control_term_length(ctx));
    assert_int_equal(0, tp_context_set_pre_touch(ctx, false));
    assert_false(tp_context_get_pre_touch(ctx));
    tp_context_close(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_term_length_settings),
        cmocka_unit_test(test_steady_state_has_no_minor_faults),
    };
    return cmocka_run_group_tests(tests, NULL, st_cleanup);
}
