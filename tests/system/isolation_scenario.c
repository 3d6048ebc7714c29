#include "isolation_scenario.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "system_test_util.h"

#define ISO_STREAM_A    10u
#define ISO_STREAM_B    11u
#define ISO_SLOTS       256u
#define ISO_PROCS       7
#define ISO_WARM_FRAMES 50u

enum
{
    ISO_C_DEAD = 0, /* stream A, SIGKILLed */
    ISO_C_STOPPED,  /* stream A, SIGSTOPped then SIGCONTed */
    ISO_C_HEALTHY,  /* stream A */
    ISO_C_OTHER,    /* stream B */
    ISO_P_OTHER,    /* stream B producer, all along */
    ISO_P_FIRST,    /* stream A producer before the failures */
    ISO_P_FRESH     /* stream A producer started after them */
};

/* One child's inputs and live outputs; the parent reads the outputs while the child runs. */
typedef struct iso_proc_stct
{
    uint32_t stream_id;
    uint32_t id;
    bool is_producer;
    int stop;  /* parent -> child */
    int phase; /* parent -> consumer: restart the max-gap measurement */
    uint64_t epoch;
    uint64_t accepted;
    uint64_t accepted_in_epoch;
    uint64_t seq_limit;        /* parent -> consumer: frames above it are not counted in accepted_limited */
    uint64_t accepted_limited; /* accepted frames with seq <= seq_limit, in the current epoch */
    uint64_t bad;
    uint64_t drops_gap;
    uint64_t max_gap_ns;
    uint64_t last_frame_ns;
    uint64_t max_pause_ns; /* longest time the consumer's own loop did not run (descheduled) in the phase */
    uint64_t images_available;
    uint64_t images_unavailable;
    uint64_t last_seq; /* consumer: of the last frame accepted; producer: of the last frame committed */
    uint64_t committed;
    uint64_t back_pressure;
    uint64_t dropped_reused;
    uint64_t queued;
} iso_proc_t;

typedef struct iso_shared_stct
{
    char aeron_dir[256];
    char shm_dir[PATH_MAX];
    bool tether;
    double rate_hz;
    iso_proc_t procs[ISO_PROCS];
} iso_shared_t;

static iso_shared_t *iso_shared;

#define ISO_PUT(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELEASE)
#define ISO_GET(field)        __atomic_load_n(&(field), __ATOMIC_ACQUIRE)

static uint64_t iso_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static tp_client_t *iso_client(void)
{
    tp_context_t *ctx = st_context(iso_shared->aeron_dir, iso_shared->shm_dir, TP_CLIENT_MODE_INVOKER);
    tp_context_set_tether(ctx, iso_shared->tether);
    /* Descriptor streams take the driver's term (the scenario's term_length), which sets the window under test. */
    tp_context_set_descriptor_term_length(ctx, 0);
    /* A loaded machine (or a niced bench) can take seconds to add the streams. */
    tp_context_set_start_timeout_ms(ctx, 30000);
    tp_client_t *client = NULL;
    if (tp_client_start(&client, ctx) < 0)
    {
        fprintf(stderr, "isolation child: %s\n", tp_errmsg());
        _exit(30);
    }
    tp_context_close(ctx);
    return client;
}

typedef struct iso_consumer_state_stct
{
    iso_proc_t *me;
    tp_consumer_t *consumer;
    uint64_t last_frame_ns;
    int phase;
} iso_consumer_state_t;

static void iso_on_frame(void *clientd, const tp_consumer_frame_t *frame)
{
    iso_consumer_state_t *s = clientd;
    iso_proc_t *me = s->me;
    /* Read first, then ask whether the slot was recycled under the read; either way it is not accepted. */
    const bool ok = st_frame_check(frame);
    if (!tp_consumer_frame_is_intact(frame) || !ok)
    {
        ISO_PUT(me->bad, me->bad + 1);
        return;
    }
    const uint64_t now = iso_now_ns();
    const int phase = ISO_GET(me->phase);
    if (phase != s->phase)
    {
        s->phase = phase;
        s->last_frame_ns = now;
        ISO_PUT(me->max_gap_ns, 0);
    }
    if (0 != s->last_frame_ns && now - s->last_frame_ns > me->max_gap_ns)
    {
        ISO_PUT(me->max_gap_ns, now - s->last_frame_ns);
    }
    s->last_frame_ns = now;
    ISO_PUT(me->last_frame_ns, now);
    const uint64_t epoch = tp_consumer_epoch(s->consumer);
    if (epoch != me->epoch)
    {
        ISO_PUT(me->accepted_in_epoch, 0);
        ISO_PUT(me->accepted_limited, 0);
        ISO_PUT(me->epoch, epoch);
    }
    if (frame->seq <= ISO_GET(me->seq_limit))
    {
        ISO_PUT(me->accepted_limited, me->accepted_limited + 1);
    }
    ISO_PUT(me->accepted_in_epoch, me->accepted_in_epoch + 1);
    ISO_PUT(me->last_seq, frame->seq);
    ISO_PUT(me->accepted, me->accepted + 1);
}

static int iso_consumer_main(void *arg)
{
    iso_proc_t *me = arg;
    tp_client_t *client = iso_client();
    tp_consumer_config_t config;
    tp_consumer_config_init(&config);
    config.stream_id = me->stream_id;
    config.consumer_id = me->id;
    tp_consumer_t *consumer = NULL;
    if (tp_consumer_start(&consumer, client, &config) < 0)
    {
        fprintf(stderr, "isolation consumer %u: %s\n", me->id, tp_errmsg());
        return 31;
    }
    iso_consumer_state_t state = {.me = me, .consumer = consumer};
    uint64_t last_loop_ns = iso_now_ns();
    int pause_phase = 0;
    while (!ISO_GET(me->stop))
    {
        /* A silence while our own loop was not running is the scheduler's, not the producer's. */
        const uint64_t now = iso_now_ns();
        if (ISO_GET(me->phase) != pause_phase)
        {
            pause_phase = ISO_GET(me->phase);
            ISO_PUT(me->max_pause_ns, 0);
        }
        else if (now - last_loop_ns > me->max_pause_ns)
        {
            ISO_PUT(me->max_pause_ns, now - last_loop_ns);
        }
        last_loop_ns = now;
        int work = tp_consumer_poll(consumer, iso_on_frame, &state, 16);
        work += tp_client_do_work(client);
        ISO_PUT(me->drops_gap, tp_consumer_counters(consumer)->drops_gap);
        const tp_consumer_transport_counters_t *t = tp_consumer_transport_counters(consumer);
        ISO_PUT(me->images_available, t->images_available);
        ISO_PUT(me->images_unavailable, t->images_unavailable);
        tp_client_idle(client, work);
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
    return 0;
}

static int iso_producer_main(void *arg)
{
    iso_proc_t *me = arg;
    tp_client_t *client = iso_client();
    tp_producer_config_t config;
    tp_producer_config_init(&config);
    config.stream_id = me->stream_id;
    config.producer_id = me->id;
    config.header_nslots = ISO_SLOTS;
    config.pools[0] = (tp_producer_pool_config_t){.pool_id = 1, .stride_bytes = 8192};
    config.pool_count = 1;
    tp_producer_t *producer = NULL;
    if (tp_producer_start(&producer, client, &config) < 0)
    {
        fprintf(stderr, "isolation producer %u: %s\n", me->id, tp_errmsg());
        return 32;
    }
    ISO_PUT(me->epoch, tp_producer_epoch(producer));
    const uint64_t period_ns = (uint64_t)(1e9 / iso_shared->rate_hz);
    uint64_t next_ns = iso_now_ns();
    uint64_t last_loop_ns = next_ns;
    int pause_phase = 0;
    while (!ISO_GET(me->stop))
    {
        const uint64_t now = iso_now_ns();
        if (ISO_GET(me->phase) != pause_phase)
        {
            pause_phase = ISO_GET(me->phase);
            ISO_PUT(me->max_pause_ns, 0);
        }
        else if (now - last_loop_ns > me->max_pause_ns)
        {
            ISO_PUT(me->max_pause_ns, now - last_loop_ns);
        }
        last_loop_ns = now;
        if (now >= next_ns)
        {
            /* A fixed rate, as a camera would: a late producer catches up at most 10 frames at a time. */
            next_ns = now > next_ns + 10 * period_ns ? now : next_ns + period_ns;
            const uint64_t seq = tp_producer_next_seq(producer);
            tp_tensor_desc_t desc;
            st_frame_desc(seq, &desc);
            tp_producer_claim_t claim;
            int rc = tp_producer_claim(producer, st_frame_length(seq), &desc, &claim);
            if (TP_PRODUCER_OK == rc)
            {
                st_frame_fill(claim.payload, seq);
                rc = tp_producer_commit(producer, &claim, &desc, st_frame_timestamp(seq));
            }
            if (rc >= 0 || TP_PRODUCER_BACK_PRESSURE == rc)
            {
                ISO_PUT(me->last_seq, seq);
                ISO_PUT(me->committed, me->committed + 1);
            }
            if (TP_PRODUCER_BACK_PRESSURE == rc)
            {
                ISO_PUT(me->back_pressure, me->back_pressure + 1);
            }
        }
        int work = tp_producer_poll(producer, 0) + tp_client_do_work(client);
        const tp_producer_counters_t *c = tp_producer_counters(producer);
        ISO_PUT(me->dropped_reused, c->descriptors_dropped_reused);
        ISO_PUT(me->queued, c->descriptors_queued);
        if (iso_now_ns() < next_ns)
        {
            tp_client_idle(client, work);
        }
    }
    tp_producer_close(producer);
    tp_client_close(client);
    return 0;
}

static pid_t iso_start(int index)
{
    iso_proc_t *p = &iso_shared->procs[index];
    return st_spawn(p->is_producer ? iso_producer_main : iso_consumer_main, p);
}

/* The longest silence of a consumer in the phase, counting the one still going on at the end of it. */
static uint64_t iso_longest_silence(const iso_proc_t *c, uint64_t now)
{
    const uint64_t last = ISO_GET(c->last_frame_ns);
    const uint64_t open = now > last ? now - last : 0;
    const uint64_t closed = ISO_GET(c->max_gap_ns);
    return open > closed ? open : closed;
}

/* Waits until done(arg) or the deadline, and returns done(arg). */
static bool iso_await(bool (*done)(void *), void *arg, int64_t timeout_ms)
{
    const int64_t deadline = tp_test_now_ms() + timeout_ms;
    while (!done(arg) && tp_test_now_ms() < deadline)
    {
        tp_test_sleep_ms(10);
    }
    return done(arg);
}

static bool iso_all_warm(void *arg)
{
    (void)arg;
    for (int i = ISO_C_DEAD; i <= ISO_C_OTHER; i++)
    {
        if (ISO_GET(iso_shared->procs[i].accepted) < ISO_WARM_FRAMES)
        {
            return false;
        }
    }
    return true;
}

static bool iso_fresh_done(void *arg)
{
    return ISO_GET(iso_shared->procs[ISO_P_FRESH].committed) >= *(const uint64_t *)arg;
}

static bool iso_resumed(void *arg)
{
    (void)arg;
    const iso_proc_t *c = &iso_shared->procs[ISO_C_STOPPED];
    return ISO_GET(c->epoch) == ISO_GET(iso_shared->procs[ISO_P_FRESH].epoch) &&
           ISO_GET(c->accepted_in_epoch) >= ISO_WARM_FRAMES;
}

typedef struct iso_catch_up_stct
{
    uint64_t same_last;
    uint64_t other_last;
} iso_catch_up_t;

static bool iso_caught_up(void *arg)
{
    const iso_catch_up_t *c = arg;
    const iso_proc_t *healthy = &iso_shared->procs[ISO_C_HEALTHY];
    return ISO_GET(healthy->epoch) == ISO_GET(iso_shared->procs[ISO_P_FRESH].epoch) &&
           ISO_GET(healthy->last_seq) >= c->same_last &&
           ISO_GET(iso_shared->procs[ISO_C_OTHER].last_seq) >= c->other_last;
}

const char *iso_official_driver(void)
{
    const char *path = getenv("TP_TEST_AERON_DRIVER");
    if (NULL != path && '\0' != path[0])
    {
        return path;
    }
    path = getenv("AERON_MD_PATH");
    if (NULL != path && '\0' != path[0])
    {
        return path;
    }
    static char found[PATH_MAX];
    const char *env_path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", NULL != env_path ? env_path : "");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); NULL != dir; dir = strtok_r(NULL, ":", &save))
    {
        snprintf(found, sizeof(found), "%s/aeronmd", dir);
        if (0 == access(found, X_OK))
        {
            return found;
        }
    }
    return NULL;
}

static int iso_fail(const char *what)
{
    fprintf(stderr, "isolation scenario: %s\n", what);
    return -1;
}

static int iso_run_phases(const iso_options_t *o, iso_result_t *r, pid_t *pids)
{
    const int order[] = {ISO_P_OTHER, ISO_C_OTHER, ISO_C_DEAD, ISO_C_STOPPED, ISO_C_HEALTHY, ISO_P_FIRST};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
    {
        if ((pids[order[i]] = iso_start(order[i])) <= 0)
        {
            return iso_fail("fork failed");
        }
    }
    if (!iso_await(iso_all_warm, NULL, 30000))
    {
        return iso_fail("the consumers never all received frames");
    }

    /* The failures: one consumer dies, one stops; then the stream-A producer is replaced by a fresh one. */
    kill(pids[ISO_C_DEAD], SIGKILL);
    st_wait(pids[ISO_C_DEAD], 5000);
    pids[ISO_C_DEAD] = 0;
    kill(pids[ISO_C_STOPPED], SIGSTOP);
    ISO_PUT(iso_shared->procs[ISO_P_FIRST].stop, 1);
    st_wait(pids[ISO_P_FIRST], 10000);
    pids[ISO_P_FIRST] = 0;

    iso_proc_t *healthy = &iso_shared->procs[ISO_C_HEALTHY];
    iso_proc_t *other = &iso_shared->procs[ISO_C_OTHER];
    iso_proc_t *other_producer = &iso_shared->procs[ISO_P_OTHER];
    iso_proc_t *fresh = &iso_shared->procs[ISO_P_FRESH];
    ISO_PUT(healthy->phase, 1);
    ISO_PUT(other->phase, 1);
    ISO_PUT(other_producer->phase, 1);
    const uint64_t healthy_gap = ISO_GET(healthy->drops_gap);
    const uint64_t other_accepted = ISO_GET(other->accepted_limited);
    const uint64_t other_gap = ISO_GET(other->drops_gap);
    const uint64_t other_committed = ISO_GET(other_producer->committed);
    if ((pids[ISO_P_FRESH] = iso_start(ISO_P_FRESH)) <= 0)
    {
        return iso_fail("fork failed");
    }
    uint64_t target = (uint64_t)(o->rate_hz * o->phase_seconds);
    /* On a starved machine the phase may end short of its target: what was committed is what is compared. */
    if (!iso_await(iso_fresh_done, &target, (int64_t)(o->phase_seconds * 4000) + 20000) &&
        0 == ISO_GET(fresh->committed))
    {
        return iso_fail("the fresh producer never committed a frame");
    }
    const uint64_t phase_end = iso_now_ns();
    r->same_stream.producer_frames = ISO_GET(fresh->committed);
    r->other_stream.producer_frames = ISO_GET(other_producer->committed) - other_committed;
    r->same_stream.max_gap_ns = iso_longest_silence(healthy, phase_end);
    r->same_stream.max_pause_ns = ISO_GET(healthy->max_pause_ns);
    r->same_stream.producer_pause_ns = ISO_GET(fresh->max_pause_ns);
    r->other_stream.max_gap_ns = iso_longest_silence(other, phase_end);
    r->other_stream.max_pause_ns = ISO_GET(other->max_pause_ns);
    r->other_stream.producer_pause_ns = ISO_GET(other_producer->max_pause_ns);
    r->same_stream.drops_gap = ISO_GET(healthy->drops_gap) - healthy_gap;
    r->other_stream.drops_gap = ISO_GET(other->drops_gap) - other_gap;
    r->fresh_back_pressure = ISO_GET(fresh->back_pressure);
    r->fresh_dropped_reused = ISO_GET(fresh->dropped_reused);
    r->fresh_queued = ISO_GET(fresh->queued);
    /* A consumer descheduled at the end of the phase is merely behind: let it read up to the phase's last frame
     * and count what it accepted up to there. */
    iso_catch_up_t catch_up = {ISO_GET(fresh->last_seq), ISO_GET(other_producer->last_seq)};
    ISO_PUT(healthy->seq_limit, catch_up.same_last);
    ISO_PUT(other->seq_limit, catch_up.other_last);
    /* The stopped one wakes up while the fresh producer still streams (before the 10 s liveness timeout). */
    kill(pids[ISO_C_STOPPED], SIGCONT);
    iso_await(iso_caught_up, &catch_up, 10000);
    r->same_stream.accepted = ISO_GET(healthy->epoch) == ISO_GET(fresh->epoch) ? ISO_GET(healthy->accepted_limited) : 0;
    r->other_stream.accepted = ISO_GET(other->accepted_limited) - other_accepted;
    /* Frames committed before the snapshot but read after it do not count twice. */
    iso_consumer_result_t *const results[] = {&r->same_stream, &r->other_stream};
    for (size_t i = 0; i < 2; i++)
    {
        iso_consumer_result_t *c = results[i];
        c->accepted = c->accepted < c->producer_frames ? c->accepted : c->producer_frames;
    }
    r->fresh_committed = r->same_stream.producer_frames;
    ISO_PUT(healthy->seq_limit, UINT64_MAX);
    ISO_PUT(other->seq_limit, UINT64_MAX);
    iso_await(iso_resumed, NULL, 20000);
    const iso_proc_t *resumed = &iso_shared->procs[ISO_C_STOPPED];
    r->resumed_mapped = ISO_GET(resumed->epoch) == ISO_GET(fresh->epoch);
    r->resumed_accepted = r->resumed_mapped ? ISO_GET(resumed->accepted_in_epoch) : 0;
    r->resumed_drops_gap = ISO_GET(resumed->drops_gap);
    r->resumed_images_available = ISO_GET(resumed->images_available);
    r->resumed_images_unavailable = ISO_GET(resumed->images_unavailable);
    if (o->verbose)
    {
        const iso_consumer_result_t *a = &r->same_stream;
        const iso_consumer_result_t *b = &r->other_stream;
        fprintf(stderr,
                "isolation (%s, %s): same stream accepted %llu gap %llu of %llu (silence %.1f ms; descheduled: "
                "consumer %.1f ms, producer %.1f ms); other stream accepted %llu gap %llu of %llu (silence %.1f ms; "
                "%.1f / %.1f ms); fresh producer back-pressured %llu queued %llu dropped %llu; resumed accepted %llu "
                "gap %llu images +%llu -%llu\n",
                NULL != o->driver_path ? o->driver_path : "tp_mediadriver", o->tether ? "tethered" : "untethered",
                (unsigned long long)a->accepted, (unsigned long long)a->drops_gap,
                (unsigned long long)a->producer_frames, (double)a->max_gap_ns / 1e6, (double)a->max_pause_ns / 1e6,
                (double)a->producer_pause_ns / 1e6, (unsigned long long)b->accepted, (unsigned long long)b->drops_gap,
                (unsigned long long)b->producer_frames, (double)b->max_gap_ns / 1e6, (double)b->max_pause_ns / 1e6,
                (double)b->producer_pause_ns / 1e6, (unsigned long long)r->fresh_back_pressure,
                (unsigned long long)r->fresh_queued, (unsigned long long)r->fresh_dropped_reused,
                (unsigned long long)r->resumed_accepted, (unsigned long long)r->resumed_drops_gap,
                (unsigned long long)r->resumed_images_available, (unsigned long long)r->resumed_images_unavailable);
    }
    return 0;
}

int iso_scenario_run(const iso_options_t *o, iso_result_t *r)
{
    memset(r, 0, sizeof(*r));
    iso_shared = st_shared_alloc(sizeof(*iso_shared));
    memset(iso_shared, 0, sizeof(*iso_shared));
    iso_shared->tether = o->tether;
    iso_shared->rate_hz = o->rate_hz;
    const struct
    {
        uint32_t stream;
        bool producer;
    } roles[ISO_PROCS] = {{ISO_STREAM_A, false}, {ISO_STREAM_A, false}, {ISO_STREAM_A, false}, {ISO_STREAM_B, false},
                          {ISO_STREAM_B, true},  {ISO_STREAM_A, true},  {ISO_STREAM_A, true}};
    for (int i = 0; i < ISO_PROCS; i++)
    {
        iso_shared->procs[i].stream_id = roles[i].stream;
        iso_shared->procs[i].is_producer = roles[i].producer;
        iso_shared->procs[i].id = 100 + (uint32_t)i;
        iso_shared->procs[i].seq_limit = UINT64_MAX;
    }

    char scratch[256];
    st_scratch_dir(scratch, sizeof(scratch));
    snprintf(iso_shared->shm_dir, sizeof(iso_shared->shm_dir), "%s/shm", scratch);
    mkdir(iso_shared->shm_dir, 0700);

    /* The official driver reads the untethered timeouts from its environment (older versions ignore the URI). */
    char term_env[64];
    snprintf(term_env, sizeof(term_env), "AERON_IPC_TERM_BUFFER_LENGTH=%s", o->term_length);
    const char *env[] = {"AERON_TIMER_INTERVAL=10ms", term_env, "AERON_UNTETHERED_WINDOW_LIMIT_TIMEOUT=30ms",
                         "AERON_UNTETHERED_RESTING_TIMEOUT=1s", NULL};
    const char *saved = getenv("TP_TEST_AERON_DRIVER");
    char saved_copy[PATH_MAX];
    snprintf(saved_copy, sizeof(saved_copy), "%s", NULL != saved ? saved : "");
    if (NULL != o->driver_path)
    {
        setenv("TP_TEST_AERON_DRIVER", o->driver_path, 1);
    }
    tp_test_driver_t driver;
    int rc = tp_test_driver_start(&driver, "10s", env);
    if (NULL != o->driver_path)
    {
        if (NULL != saved)
        {
            setenv("TP_TEST_AERON_DRIVER", saved_copy, 1);
        }
        else
        {
            unsetenv("TP_TEST_AERON_DRIVER");
        }
    }
    pid_t pids[ISO_PROCS] = {0};
    if (rc < 0)
    {
        rc = iso_fail("the media driver did not start");
    }
    else
    {
        snprintf(iso_shared->aeron_dir, sizeof(iso_shared->aeron_dir), "%s", driver.dir);
        rc = iso_run_phases(o, r, pids);
        for (int i = 0; i < ISO_PROCS; i++)
        {
            ISO_PUT(iso_shared->procs[i].stop, 1);
        }
        for (int i = 0; i < ISO_PROCS; i++)
        {
            if (pids[i] > 0)
            {
                kill(pids[i], SIGCONT);
                st_wait(pids[i], 10000);
            }
        }
        tp_test_driver_stop(&driver);
    }
    st_remove_tree(scratch);
    st_shared_free(iso_shared, sizeof(*iso_shared));
    iso_shared = NULL;
    return rc;
}
