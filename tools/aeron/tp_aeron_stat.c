/* tp_aeron_stat: prints the driver's counters and heartbeat from cnc.dat, like the official AeronStat. */
#include <getopt.h>
#include <unistd.h>

#include "tp_aeron_tool_util.h"

static const char usage_str[] =
    "[-h][-p dir][-u interval][-t timeout]\n"
    "    -h, --help       help\n"
    "    -p dir           Aeron directory (default $AERON_DIR or /dev/shm/aeron-$USER)\n"
    "    -u interval      refresh every interval (ns or with ns|us|ms|s); 0 = print once (default)\n"
    "    -t timeout       how long to wait for cnc.dat, ms (default 1000)\n";

static void tp_stat_print_counter(int64_t value, int32_t id, int32_t type_id, const uint8_t *key, size_t key_length,
                                  const char *label, size_t label_length, void *clientd)
{
    printf("%3" PRId32 ": %20" PRId64 " - %.*s\n", id, value, (int)label_length, label);
}

int main(int argc, char **argv)
{
    char default_dir[4096];
    const char *dir = getenv("AERON_DIR");
    uint64_t interval_ns = 0;
    uint64_t timeout_ms = 1000;
    int opt;

    while ((opt = getopt_long(argc, argv, "hp:u:t:", tp_tool_long_options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'p':
                dir = optarg;
                break;
            case 'u':
                if (tp_tool_parse_duration_ns(optarg, &interval_ns) < 0)
                {
                    fprintf(stderr, "malformed interval '%s'\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 't':
                if (tp_tool_parse_u64(optarg, &timeout_ms) < 0)
                {
                    fprintf(stderr, "malformed timeout '%s'\n", optarg);
                    return EXIT_FAILURE;
                }
                break;
            case 'h':
                return tp_tool_print_help(argv[0], usage_str);
            default:
                return tp_tool_print_usage(argv[0], usage_str);
        }
    }
    if (NULL == dir || '\0' == dir[0])
    {
        if (aeron_default_path(default_dir, sizeof(default_dir)) < 0)
        {
            fprintf(stderr, "aeron_default_path: %s\n", aeron_errmsg());
            return EXIT_FAILURE;
        }
        dir = default_dir;
    }

    tp_tool_install_signals();
    aeron_cnc_t *cnc = NULL;
    if (aeron_cnc_init(&cnc, dir, (int64_t)timeout_ms) < 0)
    {
        fprintf(stderr, "aeron_cnc_init: %s\n", aeron_errmsg());
        return EXIT_FAILURE;
    }

    do
    {
        aeron_cnc_constants_t constants;
        aeron_cnc_constants(cnc, &constants);
        int64_t heartbeat = aeron_cnc_to_driver_heartbeat(cnc);
        int64_t now_ms = aeron_epoch_clock();
        if (0 != interval_ns)
        {
            printf("\033[H\033[2J");
        }
        printf("%s - Aeron Stat (CnC v%d.%d.%d), pid %" PRId64 ", heartbeat age %" PRId64 "ms%s\n",
               aeron_cnc_filename(cnc), (constants.cnc_version >> 16) & 0xFF, (constants.cnc_version >> 8) & 0xFF,
               constants.cnc_version & 0xFF, constants.pid, heartbeat < 0 ? -1 : now_ms - heartbeat,
               heartbeat < 0 ? " (driver shut down)" : "");
        printf("======================================================================\n");
        aeron_counters_reader_foreach_counter(aeron_cnc_counters_reader(cnc), tp_stat_print_counter, NULL);
        printf("--\n");
        fflush(stdout);
        if (0 != interval_ns)
        {
            tp_tool_sleep_ns(interval_ns);
        }
    } while (0 != interval_ns && tp_tool_is_running());

    aeron_cnc_close(cnc);
    return EXIT_SUCCESS;
}
