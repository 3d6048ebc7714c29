/*
 * The options every example shares: where the media driver is (-p), the channel (-c), the Aeron stream ids of
 * the control plane, the SHM directory, and turning them into a tp_context_t. Public API only.
 */
#ifndef TP_APP_CONTEXT_H
#define TP_APP_CONTEXT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tensorpool/tensorpool.h"

typedef struct tp_app_context_options_stct
{
    const char *aeron_dir; /* NULL: AERON_DIR or the Aeron default */
    const char *channel;   /* NULL: aeron:ipc */
    const char *shm_dir;   /* NULL: /dev/shm/tensorpool (producer base dir and consumer allowed dir) */
    uint32_t control_stream_id;
    uint32_t descriptor_stream_id;
    uint32_t qos_stream_id;
    uint32_t metadata_stream_id;
    const char *idle;  /* NULL: the context's default (backoff) */
    bool agent_thread; /* the Aeron conductor on its own thread instead of in tp_client_do_work() */
    bool shm_driver;   /* driver mode: attach through the SHM driver on the control stream */
} tp_app_context_options_t;

/* The getopt_long entries below (long-only ones use values from 2000 up). */
#define TP_APP_CONTEXT_SHORT_OPTIONS "p:c:"
#define TP_APP_OPT_CONTROL_STREAM    2000
#define TP_APP_OPT_DESCRIPTOR_STREAM 2001
#define TP_APP_OPT_QOS_STREAM        2002
#define TP_APP_OPT_METADATA_STREAM   2003
#define TP_APP_OPT_SHM_DIR           2004
#define TP_APP_OPT_IDLE              2005
#define TP_APP_OPT_AGENT             2006
#define TP_APP_OPT_DRIVER            2007
/* clang-format off */
#define TP_APP_CONTEXT_LONG_OPTIONS                                                 \
    {"aeron-dir", required_argument, NULL, 'p'},                                    \
    {"channel", required_argument, NULL, 'c'},                                      \
    {"control-stream", required_argument, NULL, TP_APP_OPT_CONTROL_STREAM},         \
    {"descriptor-stream", required_argument, NULL, TP_APP_OPT_DESCRIPTOR_STREAM},   \
    {"qos-stream", required_argument, NULL, TP_APP_OPT_QOS_STREAM},                 \
    {"metadata-stream", required_argument, NULL, TP_APP_OPT_METADATA_STREAM},       \
    {"shm-dir", required_argument, NULL, TP_APP_OPT_SHM_DIR},                       \
    {"idle", required_argument, NULL, TP_APP_OPT_IDLE},                             \
    {"agent", no_argument, NULL, TP_APP_OPT_AGENT},                                 \
    {"driver", no_argument, NULL, TP_APP_OPT_DRIVER}
/* clang-format on */

#define TP_APP_CONTEXT_USAGE                                                                                        \
    "  -p, --aeron-dir DIR        media driver directory (default: AERON_DIR, else the Aeron default)\n"            \
    "  -c, --channel URI          Aeron channel of every stream (default aeron:ipc)\n"                              \
    "      --control-stream ID    Aeron stream ids (defaults 1000, 1100, 1200, 1300)\n"                             \
    "      --descriptor-stream ID\n"                                                                                \
    "      --qos-stream ID\n"                                                                                       \
    "      --metadata-stream ID\n"                                                                                  \
    "      --shm-dir DIR          SHM base dir (producer) / allowed dir (consumer) (default /dev/shm/tensorpool)\n" \
    "      --idle NAME            spin, yield, backoff (default), sleep or noop between empty polls\n"              \
    "      --agent                run the Aeron client conductor on its own thread (default: in our loop)\n"        \
    "      --driver               use the SHM driver on the control stream (driver mode: regions come from\n"       \
    "                             its lease; --shm-dir must then cover the driver's base dir)\n"

void tp_app_context_options_init(tp_app_context_options_t *options);

/* Handle opt if it is one of the shared options: 1 handled, 0 not ours, -1 bad value (printed). */
int tp_app_context_option(tp_app_context_options_t *options, int opt, const char *arg);

/* A context from the options. 0 / -1 (tp_errmsg()). */
int tp_app_context_create(const tp_app_context_options_t *options, tp_context_t **ctx);

/* A started client on a context from the options. 0, or -1 after printing "<program>: <tp_errmsg()>" to stderr. */
int tp_app_client_start(const tp_app_context_options_t *options, const char *program, tp_client_t **client);

#endif /* TP_APP_CONTEXT_H */
