/* Options shared by the examples, turned into a tp_context_t (see tp_app_context.h). */
#include <stdio.h>
#include <stdlib.h>

#include "tp_app_context.h"
#include "tp_app_options.h"

void tp_app_context_options_init(tp_app_context_options_t *options)
{
    options->aeron_dir = NULL;
    options->channel = NULL;
    options->shm_dir = NULL;
    options->control_stream_id = TP_DEFAULT_CONTROL_STREAM_ID;
    options->descriptor_stream_id = TP_DEFAULT_DESCRIPTOR_STREAM_ID;
    options->qos_stream_id = TP_DEFAULT_QOS_STREAM_ID;
    options->metadata_stream_id = TP_DEFAULT_METADATA_STREAM_ID;
    options->idle = NULL;
    options->agent_thread = false;
    options->shm_driver = false;
}

static int context_stream_id(const char *option, const char *arg, uint32_t *stream_id)
{
    uint64_t value;
    if (tp_app_size_parse(option, arg, 1, INT32_MAX, &value) < 0)
    {
        return -1;
    }
    *stream_id = (uint32_t)value;
    return 1;
}

int tp_app_context_option(tp_app_context_options_t *options, int opt, const char *arg)
{
    switch (opt)
    {
        case 'p':
            options->aeron_dir = arg;
            return 1;
        case 'c':
            options->channel = arg;
            return 1;
        case TP_APP_OPT_SHM_DIR:
            options->shm_dir = arg;
            return 1;
        case TP_APP_OPT_IDLE:
            options->idle = arg;
            return 1;
        case TP_APP_OPT_AGENT:
            options->agent_thread = true;
            return 1;
        case TP_APP_OPT_DRIVER:
            options->shm_driver = true;
            return 1;
        case TP_APP_OPT_CONTROL_STREAM:
            return context_stream_id("--control-stream", arg, &options->control_stream_id);
        case TP_APP_OPT_DESCRIPTOR_STREAM:
            return context_stream_id("--descriptor-stream", arg, &options->descriptor_stream_id);
        case TP_APP_OPT_QOS_STREAM:
            return context_stream_id("--qos-stream", arg, &options->qos_stream_id);
        case TP_APP_OPT_METADATA_STREAM:
            return context_stream_id("--metadata-stream", arg, &options->metadata_stream_id);
        default:
            return 0;
    }
}

static void context_log(void *clientd, tp_log_level_t level, const char *text)
{
    fprintf(stderr, "%s: [%s] %s\n", (const char *)clientd, TP_LOG_ERROR == level ? "error" : "warn", text);
}

int tp_app_context_create(const tp_app_context_options_t *options, tp_context_t **ctx)
{
    if (tp_context_init(ctx) < 0)
    {
        return -1;
    }
    tp_context_t *c = *ctx;
    if ((NULL != options->aeron_dir && tp_context_set_aeron_dir(c, options->aeron_dir) < 0) ||
        (NULL != options->channel && tp_context_set_channel(c, options->channel) < 0) ||
        (NULL != options->shm_dir && (tp_context_set_shm_base_dir(c, options->shm_dir) < 0 ||
                                      tp_context_add_allowed_dir(c, options->shm_dir) < 0)) ||
        tp_context_set_control_stream_id(c, options->control_stream_id) < 0 ||
        tp_context_set_descriptor_stream_id(c, options->descriptor_stream_id) < 0 ||
        tp_context_set_qos_stream_id(c, options->qos_stream_id) < 0 ||
        tp_context_set_metadata_stream_id(c, options->metadata_stream_id) < 0 ||
        (NULL != options->idle && tp_context_set_idle_strategy(c, options->idle) < 0) ||
        (options->agent_thread && tp_context_set_client_mode(c, TP_CLIENT_MODE_AGENT) < 0) ||
        tp_context_set_shm_driver(c, options->shm_driver) < 0 ||
        tp_context_set_log(c, context_log, (void *)"tensorpool", TP_LOG_WARN) < 0)
    {
        tp_context_close(c);
        *ctx = NULL;
        return -1;
    }
    return 0;
}

int tp_app_client_start(const tp_app_context_options_t *options, const char *program, tp_client_t **client)
{
    tp_context_t *ctx = NULL;
    int rc = 0;
    if (tp_app_context_create(options, &ctx) < 0 || tp_client_start(client, ctx) < 0)
    {
        fprintf(stderr, "%s: %s\n", program, tp_errmsg());
        rc = -1;
    }
    /* The client keeps its own copy of the settings. */
    tp_context_close(ctx);
    return rc;
}
