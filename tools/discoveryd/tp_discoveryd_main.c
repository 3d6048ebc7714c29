/*
 * tp_discoveryd: the standalone discovery registry as a program. Loads a TOML configuration (environment overrides
 * of the [registry] keys win), indexes the announce and metadata streams of every configured driver and answers
 * DiscoveryRequests on registry.channel / registry.stream_id until SIGINT / SIGTERM.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tp_clock.h"
#include "common/tp_idle_strategy.h"
#include "tensorpool/tp_error.h"
#include "tp_discoveryd.h"

static volatile sig_atomic_t tp_discoveryd_stop = 0;

static void tp_discoveryd_on_signal(int signo)
{
    (void)signo;
    tp_discoveryd_stop = 1;
}

static void tp_discoveryd_usage(FILE *out)
{
    fprintf(out,
            "usage: tp_discoveryd --config FILE.toml [options]\n"
            "Standalone discovery registry (discovery spec v1.0): indexes the announce and metadata streams of\n"
            "several SHM drivers and answers DiscoveryRequests on its own endpoint (tp_discovery_query --channel /\n"
            "--discovery-stream-id, tp_example_consumer --name with --discovery-stream-id).\n"
            "\n"
            "  -c, --config FILE      TOML configuration (see config/discoveryd.toml and docs/discovery.md);\n"
            "                         environment variables named like the [registry] keys (REGISTRY_STREAM_ID,\n"
            "                         REGISTRY_CHANNEL, REGISTRY_AERON_DIR, ...) win over the file\n"
            "      --print-config     print the effective configuration as TOML and exit\n"
            "  -p, --aeron-dir DIR    Aeron media driver directory (overrides registry.aeron_dir)\n"
            "  -v, --verbose          print the registry counters every 5 s\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 after SIGINT / SIGTERM, 1 when it could not start or lost its media driver, 2 for a\n"
            "usage or configuration error.\n");
}

static void tp_discoveryd_print_counters(const tp_discoveryd_t *registry)
{
    const tp_discovery_provider_counters_t *c = tp_discovery_provider_counters(tp_discoveryd_provider(registry));
    const tp_discoveryd_counters_t *r = tp_discoveryd_counters(registry);
    fprintf(stderr,
            "tp_discoveryd: entries=%zu announces=%" PRIu64 " expired=%" PRIu64 " meta=%" PRIu64 " requests=%" PRIu64
            " ok=%" PRIu64 " not_found=%" PRIu64 " error=%" PRIu64 " sent=%" PRIu64 " dropped=%" PRIu64
            " malformed=%" PRIu64 "\n",
            tp_discovery_provider_entry_count(tp_discoveryd_provider(registry)), c->announces, c->entries_expired,
            c->meta_accepted, c->requests, c->responses_ok, c->responses_not_found, c->responses_error,
            r->responses_sent, r->responses_dropped, c->malformed_messages);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"print-config", no_argument, NULL, 'P'},
        {"aeron-dir", required_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    const char *aeron_dir = NULL;
    bool print_config = false;
    bool verbose = false;
    int opt;
    while (-1 != (opt = getopt_long(argc, argv, "c:p:vh", options, NULL)))
    {
        switch (opt)
        {
            case 'c':
                config_path = optarg;
                break;
            case 'P':
                print_config = true;
                break;
            case 'p':
                aeron_dir = optarg;
                break;
            case 'v':
                verbose = true;
                break;
            case 'h':
                tp_discoveryd_usage(stdout);
                return 0;
            default:
                tp_discoveryd_usage(stderr);
                return 2;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_discoveryd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (NULL == config_path)
    {
        fprintf(stderr, "tp_discoveryd: --config FILE.toml is required (the drivers to index)\n");
        tp_discoveryd_usage(stderr);
        return 2;
    }
    static tp_discoveryd_config_t config;
    if (tp_discoveryd_config_load(&config, config_path) < 0 ||
        (NULL != aeron_dir && tp_discoveryd_config_set(&config, "registry.aeron_dir", aeron_dir) < 0))
    {
        fprintf(stderr, "tp_discoveryd: %s\n", tp_errmsg());
        return 2;
    }
    tp_idle_kind_t idle_kind;
    if (tp_idle_strategy_parse(config.idle_strategy, &idle_kind) < 0)
    {
        fprintf(stderr, "tp_discoveryd: registry.idle_strategy: %s\n", tp_errmsg());
        return 2;
    }
    if (print_config)
    {
        tp_discoveryd_config_print(&config, stdout);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = tp_discoveryd_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tp_discoveryd_t *registry = NULL;
    if (tp_discoveryd_start(&registry, &config) < 0)
    {
        fprintf(stderr, "tp_discoveryd: %s\n", tp_errmsg());
        return 1;
    }
    fprintf(stderr, "tp_discoveryd: indexing %zu driver(s), answering on %s stream %" PRIu32 "\n", config.driver_count,
            config.channel, config.stream_id);
    tp_idle_strategy_t idle;
    tp_idle_strategy_init(&idle, idle_kind);
    /* Parked 100 us .. 1 ms when idle, like tp_driver: discovery is a control-plane service. */
    tp_idle_strategy_set_park_ns(&idle, UINT64_C(100000), UINT64_C(1000000));
    int status = 0;
    uint64_t report_ns = tp_clock_monotonic_ns();
    while (!tp_discoveryd_stop)
    {
        int work = tp_discoveryd_do_work(registry);
        if (work < 0)
        {
            fprintf(stderr, "tp_discoveryd: %s\n", tp_errmsg());
            status = 1;
            break;
        }
        if (verbose && tp_clock_monotonic_ns() - report_ns >= UINT64_C(5000000000))
        {
            report_ns = tp_clock_monotonic_ns();
            tp_discoveryd_print_counters(registry);
        }
        tp_idle_strategy_idle(&idle, work);
    }
    tp_discoveryd_print_counters(registry);
    tp_discoveryd_close(registry);
    return status;
}
