/*
 * tp_attach: attach to a stream through the SHM driver (driver model spec v1.0 §4) as a producer or a consumer,
 * print the granted lease, keep it alive until Ctrl-C or --duration, then detach. It maps nothing: an operator's
 * check that the driver answers and what it grants, and a way to hold a lease by hand.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <aeronc.h>

#include "client/tp_driver_client.h"
#include "common/tp_clock.h"
#include "tp_app_aeron.h"
#include "tp_app_options.h"
#include "tp_app_run.h"

#define TP_ATTACH_EXIT_UNHEALTHY 1
#define TP_ATTACH_EXIT_ERROR     2

static const char usage_str[] =
    "Usage: tp_attach [-h] [--json] [-p DIR] --stream-id N [--role producer|consumer] [--client-id N]\n"
    "                 [--create] [--duration S] [--timeout S] [--channel CH] [--control-stream-id N]\n"
    "Attaches to a stream through the SHM driver, prints the granted lease (every field of ShmAttachResponse),\n"
    "keeps it alive with keepalives until Ctrl-C or --duration, then detaches.\n"
    "    -h, --help                 this help\n"
    "    --json                     JSON lines instead of text (one per event: attached, detached, error)\n"
    "    -p, --aeron-dir DIR        Aeron directory (default AERON_DIR or the Aeron default)\n"
    "    -s, --stream-id N          the tensorpool stream id to attach to (required)\n"
    "    -r, --role ROLE            producer or consumer (default consumer)\n"
    "    -i, --client-id N          clientId of the request (default: this process id)\n"
    "    --create                   publish mode EXISTING_OR_CREATE (default REQUIRE_EXISTING)\n"
    "    -d, --duration S           hold the lease S seconds, then detach (default: until Ctrl-C)\n"
    "    --timeout S                give up when no lease is granted within S seconds (default 5)\n"
    "    --channel CH               control channel (default aeron:ipc)\n"
    "    --control-stream-id N      control stream id (default 1000)\n"
    "Exit status: 0 attached and detached cleanly, 1 attach refused / timed out or lease lost, 2 usage or I/O\n"
    "error.\n";

typedef struct tp_attach_stct
{
    bool json;
    aeron_publication_t *publication;
    tp_driver_client_t *client;
    bool lease_lost;
    char lost_reason[TP_DRIVER_CLIENT_MESSAGE_MAX];
    bool producer_revoked;
    bool failed; /* entered BACKOFF: rejected, timed out or invalid */
} tp_attach_t;

static int tp_attach_send(void *clientd, const uint8_t *buffer, size_t length)
{
    tp_attach_t *a = clientd;
    return aeron_publication_offer(a->publication, buffer, length, NULL, NULL) > 0 ? 0 : -1;
}

static void tp_attach_on_event(void *clientd, tp_driver_client_event_t event, const char *reason)
{
    tp_attach_t *a = clientd;
    if (TP_DRIVER_CLIENT_EVENT_LEASE_LOST == event)
    {
        a->lease_lost = true;
        snprintf(a->lost_reason, sizeof(a->lost_reason), "%s", NULL != reason ? reason : "");
    }
    else if (TP_DRIVER_CLIENT_EVENT_PRODUCER_REVOKED == event)
    {
        a->producer_revoked = true;
    }
}

static void tp_attach_on_state(void *clientd, tp_lease_state_t previous, tp_lease_state_t state, const char *reason)
{
    (void)previous;
    (void)reason;
    tp_attach_t *a = clientd;
    if (TP_LEASE_BACKOFF == state)
    {
        a->failed = true;
    }
}

static void tp_attach_on_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (void)header;
    tp_attach_t *a = clientd;
    (void)tp_driver_client_on_message(a->client, buffer, length, tp_clock_monotonic_ns());
}

static void tp_attach_print_lease(const tp_attach_t *a, const tp_driver_lease_t *lease, const char *role,
                                  uint32_t client_id, int64_t correlation_id, uint64_t now_ns)
{
    long long expiry_ms = TP_DRIVER_CLIENT_NO_EXPIRY == lease->expiry_ns ? -1
                          : lease->expiry_ns > now_ns ? (long long)((lease->expiry_ns - now_ns) / 1000000)
                                                      : 0;
    if (a->json)
    {
        printf("{\"event\":\"attached\",\"correlation_id\":%" PRId64 ",\"code\":\"OK\",\"role\":\"%s\","
               "\"client_id\":%" PRIu32 ",\"lease_id\":%" PRIu64 ",\"lease_expiry_in_ms\":%lld,\"stream_id\":%" PRIu32
               ",\"epoch\":%" PRIu64 ",\"layout_version\":%" PRIu32 ",\"header_nslots\":%" PRIu32
               ",\"header_slot_bytes\":%u,\"max_dims\":%u,\"header_region_uri\":",
               correlation_id, role, client_id, lease->lease_id, expiry_ms, lease->stream_id, lease->epoch,
               lease->layout_version, lease->header_nslots, (unsigned)lease->header_slot_bytes,
               (unsigned)lease->max_dims);
        tp_app_json_string(lease->header_uri);
        printf(",\"pools\":[");
        for (size_t i = 0; i < lease->pool_count; i++)
        {
            const tp_driver_pool_t *pool = &lease->pools[i];
            printf("%s{\"pool_id\":%u,\"nslots\":%" PRIu32 ",\"stride_bytes\":%" PRIu32 ",\"region_uri\":",
                   0 == i ? "" : ",", (unsigned)pool->pool_id, pool->nslots, pool->stride_bytes);
            tp_app_json_string(pool->uri);
            putchar('}');
        }
        printf("]}\n");
        return;
    }
    printf("attached: correlation %" PRId64 " code OK role %s client %" PRIu32 "\n", correlation_id, role, client_id);
    printf("  lease_id            %" PRIu64 "\n", lease->lease_id);
    if (expiry_ms < 0)
    {
        printf("  lease_expiry        none\n");
    }
    else
    {
        printf("  lease_expiry        in %lld ms\n", expiry_ms);
    }
    printf("  stream_id           %" PRIu32 "\n", lease->stream_id);
    printf("  epoch               %" PRIu64 "\n", lease->epoch);
    printf("  layout_version      %" PRIu32 "\n", lease->layout_version);
    printf("  header_nslots       %" PRIu32 "\n", lease->header_nslots);
    printf("  header_slot_bytes   %u\n", (unsigned)lease->header_slot_bytes);
    printf("  max_dims            %u\n", (unsigned)lease->max_dims);
    printf("  header_region_uri   %s\n", lease->header_uri);
    for (size_t i = 0; i < lease->pool_count; i++)
    {
        const tp_driver_pool_t *pool = &lease->pools[i];
        printf("  pool %-5u           nslots %" PRIu32 " stride_bytes %" PRIu32 " %s\n", (unsigned)pool->pool_id,
               pool->nslots, pool->stride_bytes, pool->uri);
    }
}

static void tp_attach_print_error(const tp_attach_t *a, const char *what, const char *detail)
{
    if (a->json)
    {
        printf("{\"event\":\"error\",\"what\":");
        tp_app_json_string(what);
        printf(",\"detail\":");
        tp_app_json_string(detail);
        printf("}\n");
    }
    fprintf(stderr, "tp_attach: %s%s%s\n", what, '\0' != detail[0] ? ": " : "", detail);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"aeron-dir", required_argument, NULL, 'p'},
                                            {"stream-id", required_argument, NULL, 's'},
                                            {"role", required_argument, NULL, 'r'},
                                            {"client-id", required_argument, NULL, 'i'},
                                            {"create", no_argument, NULL, 'C'},
                                            {"duration", required_argument, NULL, 'd'},
                                            {"timeout", required_argument, NULL, 't'},
                                            {"channel", required_argument, NULL, 'c'},
                                            {"control-stream-id", required_argument, NULL, 'S'},
                                            {NULL, 0, NULL, 0}};
    tp_attach_t a = {0};
    const char *dir = NULL;
    const char *channel = "aeron:ipc";
    uint64_t stream_id = 0, client_id = (uint64_t)getpid(), control_stream = 1000;
    bool has_stream = false;
    uint8_t role = TP_DRIVER_ROLE_CONSUMER;
    uint8_t publish_mode = TP_DRIVER_PUBLISH_REQUIRE_EXISTING;
    uint64_t hold_ns = UINT64_MAX; /* until Ctrl-C */
    uint64_t timeout_ns = 5ULL * 1000000000ULL;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "hp:s:r:i:d:", options, NULL)) != -1)
    {
        switch (opt)
        {
            case 'h':
                fputs(usage_str, stdout);
                return 0;
            case 'j':
                a.json = true;
                break;
            case 'p':
                dir = optarg;
                break;
            case 's':
                if (tp_app_size_parse("--stream-id", optarg, 0, UINT32_MAX, &stream_id) < 0)
                {
                    return TP_ATTACH_EXIT_ERROR;
                }
                has_stream = true;
                break;
            case 'r':
                if (0 == strcmp(optarg, "producer"))
                {
                    role = TP_DRIVER_ROLE_PRODUCER;
                }
                else if (0 == strcmp(optarg, "consumer"))
                {
                    role = TP_DRIVER_ROLE_CONSUMER;
                }
                else
                {
                    fprintf(stderr, "tp_attach: --role: '%s' is not producer or consumer\n", optarg);
                    return TP_ATTACH_EXIT_ERROR;
                }
                break;
            case 'i':
                if (tp_app_size_parse("--client-id", optarg, 1, UINT32_MAX, &client_id) < 0)
                {
                    return TP_ATTACH_EXIT_ERROR;
                }
                break;
            case 'C':
                publish_mode = TP_DRIVER_PUBLISH_EXISTING_OR_CREATE;
                break;
            case 'd':
                if (tp_app_seconds_parse("--duration", optarg, true, &hold_ns) < 0)
                {
                    return TP_ATTACH_EXIT_ERROR;
                }
                break;
            case 't':
                if (tp_app_seconds_parse("--timeout", optarg, true, &timeout_ns) < 0)
                {
                    return TP_ATTACH_EXIT_ERROR;
                }
                break;
            case 'c':
                channel = optarg;
                break;
            case 'S':
                if (tp_app_size_parse("--control-stream-id", optarg, 1, INT32_MAX, &control_stream) < 0)
                {
                    return TP_ATTACH_EXIT_ERROR;
                }
                break;
            default:
                fprintf(stderr, "tp_attach: unknown or incomplete option '%s' (try --help)\n", argv[optind - 1]);
                return TP_ATTACH_EXIT_ERROR;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_attach: unexpected argument '%s' (try --help)\n", argv[optind]);
        return TP_ATTACH_EXIT_ERROR;
    }
    if (!has_stream)
    {
        fprintf(stderr, "tp_attach: --stream-id is required (try --help)\n");
        return TP_ATTACH_EXIT_ERROR;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tp_app_signals_install();

    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    aeron_subscription_t *subscription = NULL;
    aeron_fragment_assembler_t *assembler = NULL;
    int status = TP_ATTACH_EXIT_ERROR;
    if (tp_app_aeron_connect("tp_attach", dir, &context, &aeron) < 0 ||
        tp_app_aeron_subscribe("tp_attach", aeron, channel, (int32_t)control_stream, &subscription) < 0)
    {
        goto done;
    }
    aeron_async_add_publication_t *async_pub = NULL;
    if (aeron_async_add_publication(&async_pub, aeron, channel, (int32_t)control_stream) < 0)
    {
        tp_app_aeron_error("tp_attach", "cannot add the control publication");
        goto done;
    }
    int pub_rc = 0;
    uint64_t deadline = tp_clock_monotonic_ns() + 10ULL * 1000000000ULL;
    while (0 == (pub_rc = aeron_async_add_publication_poll(&a.publication, async_pub)) &&
           tp_clock_monotonic_ns() < deadline && tp_app_is_running())
    {
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    if (pub_rc < 0)
    {
        tp_app_aeron_error("tp_attach", "control publication");
        goto done;
    }
    if (NULL == a.publication)
    {
        fprintf(stderr, "tp_attach: the control publication %s %" PRIu64 " did not come up\n", channel, control_stream);
        goto done;
    }
    if (aeron_fragment_assembler_create(&assembler, tp_attach_on_fragment, &a) < 0)
    {
        tp_app_aeron_error("tp_attach", "aeron_fragment_assembler_create");
        goto done;
    }

    tp_driver_client_config_t config;
    tp_driver_client_config_init(&config);
    config.client_id = (uint32_t)client_id;
    config.stream_id = (uint32_t)stream_id;
    config.role = role;
    config.publish_mode = publish_mode;
    config.attach_timeout_ns = timeout_ns;
    config.send = tp_attach_send;
    config.send_clientd = &a;
    config.on_event = tp_attach_on_event;
    config.event_clientd = &a;
    config.on_state = tp_attach_on_state;
    config.state_clientd = &a;
    if (tp_driver_client_init(&a.client, &config) < 0)
    {
        fprintf(stderr, "tp_attach: %s\n", tp_errmsg());
        goto done;
    }
    const char *role_name = TP_DRIVER_ROLE_PRODUCER == role ? "producer" : "consumer";
    uint64_t start = tp_clock_monotonic_ns();
    (void)tp_driver_client_attach(a.client, start);
    uint64_t attach_deadline = start + timeout_ns;
    bool attached = false;
    uint64_t attached_at = 0;
    status = 0;
    while (tp_app_is_running())
    {
        int work = aeron_subscription_poll(subscription, aeron_fragment_assembler_handler, assembler, 16);
        /* Read after the poll: the timers must never see a time earlier than the messages just fed. */
        uint64_t now = tp_clock_monotonic_ns();
        work += tp_driver_client_poll(a.client, now);
        if (!attached && TP_LEASE_ATTACHED == tp_driver_client_state(a.client))
        {
            attached = true;
            attached_at = now;
            tp_attach_print_lease(&a, tp_driver_client_lease(a.client), role_name, (uint32_t)client_id,
                                  tp_driver_client_correlation_id(a.client), now);
        }
        if (!attached && (a.failed || now > attach_deadline))
        {
            const char *why = tp_driver_client_last_error(a.client);
            tp_attach_print_error(&a, a.failed ? "attach refused" : "no response from the driver",
                                  '\0' != why[0] ? why : "timed out");
            status = TP_ATTACH_EXIT_UNHEALTHY;
            break;
        }
        if (attached && (a.lease_lost || TP_LEASE_ATTACHED != tp_driver_client_state(a.client)))
        {
            tp_attach_print_error(&a, "lease lost",
                                  '\0' != a.lost_reason[0] ? a.lost_reason : tp_driver_client_last_error(a.client));
            status = TP_ATTACH_EXIT_UNHEALTHY;
            break;
        }
        if (attached && now - attached_at >= hold_ns)
        {
            break;
        }
        if (aeron_is_closed(aeron))
        {
            fprintf(stderr, "tp_attach: the media driver went away\n");
            status = TP_ATTACH_EXIT_ERROR;
            break;
        }
        if (0 == work)
        {
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
    if (attached && 0 == status)
    {
        uint64_t held_ms = (tp_clock_monotonic_ns() - attached_at) / 1000000;
        (void)tp_driver_client_detach(a.client, tp_clock_monotonic_ns());
        uint64_t detach_deadline = tp_clock_monotonic_ns() + 2ULL * 1000000000ULL;
        while (TP_LEASE_DETACHING == tp_driver_client_state(a.client) && tp_clock_monotonic_ns() < detach_deadline)
        {
            int work = aeron_subscription_poll(subscription, aeron_fragment_assembler_handler, assembler, 16);
            work += tp_driver_client_poll(a.client, tp_clock_monotonic_ns());
            if (0 == work)
            {
                struct timespec pause = {0, 1000000};
                nanosleep(&pause, NULL);
            }
        }
        const tp_driver_client_counters_t *counters = tp_driver_client_counters(a.client);
        const tp_driver_lease_t *lease = tp_driver_client_lease(a.client);
        if (a.json)
        {
            printf("{\"event\":\"detached\",\"lease_id\":%" PRIu64 ",\"held_ms\":%" PRIu64
                   ",\"keepalives_sent\":%" PRIu64 ",\"producer_revoked\":%s}\n",
                   lease->lease_id, held_ms, counters->keepalives_sent, a.producer_revoked ? "true" : "false");
        }
        else
        {
            printf("detached: lease %" PRIu64 " held %" PRIu64 " ms, %" PRIu64 " keepalives sent\n", lease->lease_id,
                   held_ms, counters->keepalives_sent);
        }
    }

done:
    if (NULL != a.client)
    {
        tp_driver_client_close(a.client);
    }
    if (NULL != subscription)
    {
        aeron_subscription_close(subscription, NULL, NULL);
    }
    if (NULL != a.publication)
    {
        aeron_publication_close(a.publication, NULL, NULL);
    }
    tp_app_aeron_close(context, aeron);
    if (NULL != assembler)
    {
        aeron_fragment_assembler_delete(assembler);
    }
    return status;
}
