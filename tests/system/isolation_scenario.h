/*
 * The isolation scenario of issue 13 as real processes, shared by test_system_isolation (assertions) and
 * bench/isolation_bench (before / after figures): a media driver child, three consumers of tensorpool stream 10
 * and one of stream 11 (all on the shared Aeron descriptor stream 1100), a producer per stream at a fixed rate.
 * Then one stream-10 consumer is SIGKILLed, another SIGSTOPped, the stream-10 producer replaced by a fresh one,
 * and what the healthy consumers and the fresh producer see is measured; finally the stopped one gets SIGCONT.
 */
#ifndef TENSORPOOL_ISOLATION_SCENARIO_H
#define TENSORPOOL_ISOLATION_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct iso_options_stct
{
    const char *driver_path; /* NULL: our tp_mediadriver (TP_TEST_AERON_DRIVER / the harness default) */
    bool tether;             /* true: Aeron's default tethered subscriptions (the "before" figures) */
    double rate_hz;          /* per producer */
    double phase_seconds;    /* how long the fresh producer streams before SIGCONT */
    const char *term_length; /* AERON_IPC_TERM_BUFFER_LENGTH of the driver, e.g. "1m" */
    bool verbose;
} iso_options_t;

/* What one consumer counted during the measured phase (fresh producer streaming, one dead, one stopped). */
typedef struct iso_consumer_result_stct
{
    uint64_t accepted;          /* frames handed to the application during the phase */
    uint64_t drops_gap;         /* sequence gaps counted during the phase */
    uint64_t producer_frames;   /* frames its stream's producer committed during the phase */
    uint64_t max_gap_ns;        /* longest wall time between two accepted frames in the phase (reported only) */
    uint64_t max_pause_ns;      /* longest time its own loop was not scheduled in the phase (explains silences) */
    uint64_t producer_pause_ns; /* the same for its producer */
} iso_consumer_result_t;

typedef struct iso_result_stct
{
    iso_consumer_result_t same_stream;  /* healthy consumer of stream 10 (the fresh producer's) */
    iso_consumer_result_t other_stream; /* healthy consumer of stream 11 */
    uint64_t fresh_committed;
    uint64_t fresh_back_pressure; /* commits that returned BACK_PRESSURE */
    uint64_t fresh_dropped_reused;
    uint64_t fresh_queued;
    /* The SIGSTOPped consumer after SIGCONT. */
    uint64_t resumed_accepted; /* frames of the fresh producer it accepted after SIGCONT */
    uint64_t resumed_drops_gap;
    uint64_t resumed_images_unavailable;
    uint64_t resumed_images_available;
    bool resumed_mapped; /* it mapped the fresh producer's epoch */
} iso_result_t;

/* Runs the whole scenario; 0, or -1 with the reason on stderr (children and dirs are cleaned up either way). */
int iso_scenario_run(const iso_options_t *options, iso_result_t *result);

/* The official media driver when one is available: $TP_TEST_AERON_DRIVER, $AERON_MD_PATH, else aeronmd on PATH. */
const char *iso_official_driver(void);

#endif /* TENSORPOOL_ISOLATION_SCENARIO_H */
