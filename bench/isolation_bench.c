/*
 * Isolation figures (issue 13): the scenario of tests/system/isolation_scenario.h run with tethered
 * subscriptions (Aeron's default, tensorpool before the fix) and untethered ones (tensorpool's default now),
 * on our media driver and, when one is found, on the official aeronmd. One table on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolation_scenario.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: isolation_bench [options]\n"
                 "  -r, --rate HZ          frames per second of each producer (default 2000)\n"
                 "  -s, --seconds S        how long the fresh producer streams after the failures (default 4)\n"
                 "  -t, --term LENGTH      AERON_IPC_TERM_BUFFER_LENGTH of the driver (default 1m)\n"
                 "  -h, --help\n"
                 "Runs one producer per stream, three consumers of stream 10 and one of stream 11, SIGKILLs one\n"
                 "and SIGSTOPs another, starts a fresh stream-10 producer, and prints what the healthy consumers\n"
                 "lost, their longest silence (and, in brackets, the longest time their own loop and their producer's\n"
                 "were not scheduled, which explains silences on a loaded machine), and what the fresh producer\n"
                 "had refused,\n"
                 "tethered vs untethered.\n"
                 "Also on the official aeronmd when $TP_TEST_AERON_DRIVER, $AERON_MD_PATH or PATH has one.\n");
}

static void print_row(const char *driver, const char *mode, const iso_result_t *r)
{
    printf(
        "| %s | %s | %llu / %llu | %llu | %.0f (%.0f / %.0f) | %llu / %llu | %.0f (%.0f / %.0f) | %llu | %llu | %s |\n",
        driver, mode, (unsigned long long)r->same_stream.accepted, (unsigned long long)r->same_stream.producer_frames,
        (unsigned long long)r->same_stream.drops_gap, (double)r->same_stream.max_gap_ns / 1e6,
        (double)r->same_stream.max_pause_ns / 1e6, (double)r->same_stream.producer_pause_ns / 1e6,
        (unsigned long long)r->other_stream.accepted, (unsigned long long)r->other_stream.producer_frames,
        (double)r->other_stream.max_gap_ns / 1e6, (double)r->other_stream.max_pause_ns / 1e6,
        (double)r->other_stream.producer_pause_ns / 1e6, (unsigned long long)r->fresh_back_pressure,
        (unsigned long long)r->fresh_dropped_reused, r->resumed_mapped && r->resumed_accepted > 0 ? "resumed" : "no");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    iso_options_t options = {.rate_hz = 2000, .phase_seconds = 4, .term_length = "1m"};
    static const struct option long_options[] = {{"rate", required_argument, NULL, 'r'},
                                                 {"seconds", required_argument, NULL, 's'},
                                                 {"term", required_argument, NULL, 't'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
    int opt;
    while (-1 != (opt = getopt_long(argc, argv, "r:s:t:h", long_options, NULL)))
    {
        switch (opt)
        {
            case 'r':
                options.rate_hz = atof(optarg);
                break;
            case 's':
                options.phase_seconds = atof(optarg);
                break;
            case 't':
                options.term_length = optarg;
                break;
            case 'h':
                usage(stdout);
                return 0;
            default:
                usage(stderr);
                return 2;
        }
    }
    if (options.rate_hz <= 0 || options.phase_seconds <= 0 || optind != argc)
    {
        usage(stderr);
        return 2;
    }
    printf("isolation: %.0f frames/s per producer, fresh producer for %.1f s, IPC term %s, client liveness 10 s, "
           "driver timer 10 ms\n\n",
           options.rate_hz, options.phase_seconds, options.term_length);
    printf("| driver | subscriptions | healthy same-stream consumer accepted / committed | its drops_gap | its longest "
           "silence ms (longest descheduling: its own / its producer's) | other-stream consumer accepted / "
           "committed | its longest silence ms (descheduling: own / producer's) | fresh producer "
           "BACK_PRESSURE | descriptors_dropped_reused | stopped consumer after SIGCONT |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    const char *drivers[2] = {NULL, iso_official_driver()};
    int status = 0;
    for (int d = 0; d < 2; d++)
    {
        if (1 == d && NULL == drivers[d])
        {
            printf("| aeronmd | - | not found (set AERON_MD_PATH) | | | | | | | |\n");
            continue;
        }
        for (int tether = 1; tether >= 0; tether--)
        {
            options.driver_path = drivers[d];
            options.tether = 1 == tether;
            iso_result_t result;
            if (iso_scenario_run(&options, &result) < 0)
            {
                status = 1;
                continue;
            }
            print_row(0 == d ? "tp_mediadriver" : "aeronmd", options.tether ? "tethered (before)" : "untethered (now)",
                      &result);
        }
    }
    return status;
}
