/*
 * tp_driver: the SHM driver as a program. Loads a TOML configuration (environment overrides win), runs the
 * driver agent, and on SIGINT / SIGTERM shuts down gracefully (§4.13: draining, final announce,
 * ShmDriverShutdown after policies.shutdown_timeout_ms); a second signal stops at once.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tensorpool/tp_driver.h"
#include "tensorpool/tp_error.h"
#include "tensorpool/tp_log.h"

static volatile sig_atomic_t tp_signals = 0;

static void tp_on_signal(int signo)
{
    (void)signo;
    tp_signals++;
}

static void tp_usage(FILE *out, const char *argv0)
{
    fprintf(out,
            "usage: %s [--config FILE.toml] [options]\n"
            "Runs the tensorpool SHM driver: owns the region files, hands out leases, bumps epochs and announces\n"
            "the pools on the control stream (driver model spec v1.0).\n"
            "\n"
            "  -c, --config FILE        TOML configuration (see docs/driver-config.md); environment variables\n"
            "                           named like the keys (DRIVER_CONTROL_STREAM_ID, SHM_BASE_DIR, ...) win\n"
            "      --print-config       print the effective configuration as TOML and exit\n"
            "  -p, --aeron-dir DIR      Aeron media driver directory (overrides driver.aeron_dir)\n"
            "  -m, --embedded-media-driver\n"
            "                           run tensorpool's IPC media driver inside this process\n"
            "      --idle NAME          spin, noop, yield, sleep or backoff (driver.idle_strategy)\n"
            "  -v, --verbose            also log debug lines\n"
            "  -q, --quiet              log warnings and errors only\n"
            "                           (default: info, or TP_LOG_LEVEL=error|warn|info|debug|trace)\n"
            "  -h, --help               this text\n"
            "\n"
            "Exit status: 0 after a graceful shutdown, 1 when the driver could not start or lost its media\n"
            "driver, 2 for a usage or configuration error.\n",
            argv0);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"print-config", no_argument, NULL, 'P'},
        {"aeron-dir", required_argument, NULL, 'p'},
        {"embedded-media-driver", no_argument, NULL, 'm'},
        {"idle", required_argument, NULL, 'I'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    const char *aeron_dir = NULL;
    const char *idle = NULL;
    bool print_config = false;
    bool embedded = false;
    /* INFO unless TP_LOG_LEVEL names a level (empty or unparsable: INFO, as docs/logging.md says of the default);
     * -v / -q win over both. */
    tp_log_level_t log_level = TP_LOG_INFO;
    const char *env_level = getenv("TP_LOG_LEVEL");
    if (NULL != env_level && tp_log_level_parse(env_level, &log_level) < 0)
    {
        (void)tp_log_get_level(); /* reports an unparsable value once, as every program does */
        log_level = TP_LOG_INFO;
    }
    int opt;
    while (-1 != (opt = getopt_long(argc, argv, "c:p:mvqh", options, NULL)))
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
            case 'm':
                embedded = true;
                break;
            case 'I':
                idle = optarg;
                break;
            case 'v':
                log_level = TP_LOG_DEBUG;
                break;
            case 'q':
                log_level = TP_LOG_WARN;
                break;
            case 'h':
                tp_usage(stdout, argv[0]);
                return 0;
            default:
                tp_usage(stderr, argv[0]);
                return 2;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_driver: unexpected argument '%s' (the configuration goes after --config)\n", argv[optind]);
        return 2;
    }

    tp_driver_context_t *ctx = NULL;
    /* No context callback: the driver logs through the process-wide handler (tp_log.h, one line on stderr). */
    tp_log_set_level(log_level);
    if (tp_driver_context_init(&ctx) < 0)
    {
        fprintf(stderr, "tp_driver: %s\n", tp_errmsg());
        return 1;
    }
    if ((NULL != aeron_dir && tp_driver_context_set_aeron_dir(ctx, aeron_dir) < 0) ||
        (embedded && tp_driver_context_set_embedded_media_driver(ctx, true) < 0) ||
        (NULL != idle && tp_driver_context_set_idle_strategy(ctx, idle) < 0) ||
        tp_driver_context_load_config(ctx, config_path) < 0)
    {
        fprintf(stderr, "tp_driver: %s\n", tp_errmsg());
        tp_driver_context_close(ctx);
        return 2;
    }
    if (print_config)
    {
        tp_driver_context_print_config(ctx, stdout);
        tp_driver_context_close(ctx);
        return 0;
    }

    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = tp_on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    tp_driver_t *driver = NULL;
    if (tp_driver_start(&driver, ctx) < 0)
    {
        fprintf(stderr, "tp_driver: %s\n", tp_errmsg());
        tp_driver_context_close(ctx);
        return 1;
    }
    tp_driver_context_close(ctx);

    bool shutdown_sent = false;
    while (!tp_driver_is_terminated(driver) && tp_signals < 2)
    {
        if (tp_signals > 0 && !shutdown_sent)
        {
            shutdown_sent = true;
            tp_driver_shutdown(driver);
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int status = 0;
    if (tp_driver_is_failed(driver))
    {
        fprintf(stderr, "tp_driver: stopped: the media driver is gone\n");
        status = 1;
    }
    tp_driver_close(driver);
    return status;
}
