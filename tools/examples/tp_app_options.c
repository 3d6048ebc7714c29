/* Command-line parsing shared by the demo and the examples (see tp_app_options.h). */
#include <stdio.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tp_app_options.h"
#include "tp_app_quote.h"

typedef struct dtype_name_stct
{
    const char *name;
    tp_dtype_t dtype;
} dtype_name_t;

static const dtype_name_t dtype_names[] = {
    {"uint8", TP_DTYPE_UINT8},     {"int8", TP_DTYPE_INT8},       {"uint16", TP_DTYPE_UINT16},
    {"int16", TP_DTYPE_INT16},     {"uint32", TP_DTYPE_UINT32},   {"int32", TP_DTYPE_INT32},
    {"uint64", TP_DTYPE_UINT64},   {"int64", TP_DTYPE_INT64},     {"float32", TP_DTYPE_FLOAT32},
    {"float64", TP_DTYPE_FLOAT64}, {"boolean", TP_DTYPE_BOOLEAN}, {"bytes", TP_DTYPE_BYTES},
};

#define DTYPE_NAME_COUNT (sizeof(dtype_names) / sizeof(dtype_names[0]))

int tp_app_dtype_parse(const char *name, tp_dtype_t *dtype)
{
    for (size_t i = 0; i < DTYPE_NAME_COUNT; i++)
    {
        if (0 == strcmp(name, dtype_names[i].name))
        {
            *dtype = dtype_names[i].dtype;
            return 0;
        }
    }
    fprintf(stderr, "dtype '%s' is not one of:", name);
    for (size_t i = 0; i < DTYPE_NAME_COUNT; i++)
    {
        fprintf(stderr, " %s", dtype_names[i].name);
    }
    fprintf(stderr, "\n");
    return -1;
}

const char *tp_app_dtype_name(tp_dtype_t dtype)
{
    for (size_t i = 0; i < DTYPE_NAME_COUNT; i++)
    {
        if (dtype_names[i].dtype == dtype)
        {
            return dtype_names[i].name;
        }
    }
    return "unknown";
}

int tp_app_shape_parse(const char *text, tp_app_shape_t *shape)
{
    uint8_t ndims = 0;
    const char *p = text;
    while (true)
    {
        char *end = NULL;
        errno = 0;
        long dim = strtol(p, &end, 10);
        if (end == p || 0 != errno || dim < 1 || dim > INT32_MAX || ndims == TP_MAX_DIMS)
        {
            fprintf(stderr, "shape '%s' is not 1 to %d dims >= 1 separated by 'x' (e.g. 1080x1920)\n", text,
                    TP_MAX_DIMS);
            return -1;
        }
        shape->dims[ndims++] = (int32_t)dim;
        if ('\0' == *end)
        {
            break;
        }
        if ('x' != *end)
        {
            fprintf(stderr, "shape '%s': unexpected '%c' (dims are separated by 'x')\n", text, *end);
            return -1;
        }
        p = end + 1;
    }
    shape->ndims = ndims;
    for (uint8_t i = ndims; i < TP_MAX_DIMS; i++)
    {
        shape->dims[i] = 0;
    }
    return 0;
}

uint64_t tp_app_shape_bytes(const tp_app_shape_t *shape)
{
    uint64_t bytes = tp_dtype_size(shape->dtype);
    for (uint8_t i = 0; i < shape->ndims; i++)
    {
        bytes *= (uint64_t)shape->dims[i];
        if (bytes > UINT32_MAX)
        {
            return 0;
        }
    }
    return bytes;
}

void tp_app_shape_to_desc(const tp_app_shape_t *shape, tp_tensor_desc_t *desc)
{
    memset(desc, 0, sizeof(*desc));
    desc->dtype = shape->dtype;
    desc->major_order = TP_MAJOR_ORDER_ROW;
    desc->ndims = shape->ndims;
    /* Explicit strides, so the consumer's stride check is meaningful. */
    int64_t stride = tp_dtype_size(shape->dtype);
    for (int i = shape->ndims - 1; i >= 0; i--)
    {
        desc->dims[i] = shape->dims[i];
        desc->strides[i] = (int32_t)stride;
        stride *= shape->dims[i];
    }
}

bool tp_app_shape_matches(const tp_app_shape_t *shape, const tp_tensor_view_t *view)
{
    if (view->dtype != shape->dtype || view->ndims != shape->ndims || view->major_order != TP_MAJOR_ORDER_ROW)
    {
        return false;
    }
    int64_t stride = tp_dtype_size(shape->dtype);
    for (int i = shape->ndims - 1; i >= 0; i--)
    {
        if (view->dims[i] != shape->dims[i] || view->strides[i] != stride)
        {
            return false;
        }
        stride *= shape->dims[i];
    }
    return (uint64_t)view->values_len_bytes == (uint64_t)stride;
}

void tp_app_shape_format(const tp_app_shape_t *shape, char *buffer, size_t length)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (uint8_t i = 0; i < shape->ndims && used < length; i++)
    {
        int n = snprintf(buffer + used, length - used, "%s%" PRId32, 0 == i ? "" : "x", shape->dims[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used < length)
    {
        snprintf(buffer + used, length - used, " %s", tp_app_dtype_name(shape->dtype));
    }
}

int tp_app_size_parse(const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    uint64_t multiplier = 1;
    if (end != text && '\0' != *end && '\0' == end[1])
    {
        switch (*end)
        {
            case 'k':
            case 'K':
                multiplier = 1024;
                end++;
                break;
            case 'm':
            case 'M':
                multiplier = 1024 * 1024;
                end++;
                break;
            case 'g':
            case 'G':
                multiplier = 1024 * 1024 * 1024;
                end++;
                break;
            default:
                break;
        }
    }
    if (end == text || '\0' != *end || 0 != errno || '-' == text[0] || v > UINT64_MAX / multiplier ||
        v * multiplier < min || v * multiplier > max)
    {
        fprintf(stderr, "%s '%s' is not a number in [%" PRIu64 ", %" PRIu64 "] (k/m/g suffixes allowed)\n", option,
                text, min, max);
        return -1;
    }
    *value = v * multiplier;
    return 0;
}

int tp_app_seconds_parse(const char *option, const char *text, bool allow_zero, uint64_t *value_ns)
{
    char *end = NULL;
    errno = 0;
    double seconds = strtod(text, &end);
    if (end == text || '\0' != *end || 0 != errno || !isfinite(seconds) || seconds < 0.0 ||
        (!allow_zero && 0.0 == seconds) || seconds > 1e7)
    {
        fprintf(stderr, "%s '%s' is not a number of seconds%s\n", option, text, allow_zero ? " >= 0" : " > 0");
        return -1;
    }
    *value_ns = (uint64_t)(seconds * 1e9);
    return 0;
}

int tp_app_rate_parse(const char *option, const char *text, double *rate_hz)
{
    char *end = NULL;
    errno = 0;
    double rate = strtod(text, &end);
    if (end == text || '\0' != *end || 0 != errno || !isfinite(rate) || rate < 0.0 || rate > 1e9)
    {
        fprintf(stderr, "%s '%s' is not a rate in frames/s >= 0 (0 = as fast as possible)\n", option, text);
        return -1;
    }
    *rate_hz = rate;
    return 0;
}

void tp_app_summary_print(FILE *out, const tp_app_summary_t *summary)
{
    fprintf(out,
            "received=%" PRIu64 " verified=%" PRIu64 " bad=%" PRIu64 " drops_gap=%" PRIu64 " drops_late=%" PRIu64 "\n",
            summary->received, summary->verified, summary->bad, summary->drops_gap, summary->drops_late);
    fflush(out);
}

uint64_t tp_app_next_pow2(uint64_t value, uint64_t minimum)
{
    uint64_t p = minimum;
    while (p < value)
    {
        p <<= 1;
    }
    return p;
}

void tp_app_json_string(const char *s)
{
    tp_app_quote_write(stdout, s, strlen(s));
}

void tp_app_stream_options_init(tp_app_stream_options_t *options)
{
    memset(options, 0, sizeof(*options));
    options->shape = (tp_app_shape_t){.dtype = TP_DTYPE_UINT16, .ndims = 2, .dims = {1080, 1920}};
    options->stream_id = 10;
}

int tp_app_stream_option(tp_app_stream_options_t *options, int opt, const char *arg)
{
    uint64_t v = 0;
    int rc = 0;
    switch (opt)
    {
        case 's':
            rc = tp_app_size_parse("--stream-id", arg, 1, UINT32_MAX, &v);
            options->stream_id = (uint32_t)v;
            break;
        case 'n':
            rc = tp_app_size_parse("--slots", arg, 1, 1 << 20, &v);
            options->slots = (uint32_t)v;
            break;
        case 'r':
            rc = tp_app_rate_parse("--rate", arg, &options->rate_hz);
            break;
        case TP_APP_OPT_SHAPE:
            rc = tp_app_shape_parse(arg, &options->shape);
            break;
        case 't':
            rc = tp_app_dtype_parse(arg, &options->shape.dtype);
            break;
        case 'd':
            rc = tp_app_seconds_parse("--duration", arg, false, &options->duration_ns);
            break;
        case 'm':
            rc = tp_app_size_parse("--frames", arg, 1, UINT64_MAX, &options->frames);
            break;
        default:
            return 0;
    }
    return rc < 0 ? -1 : 1;
}

int tp_app_options_parse(const tp_app_cli_t *cli, int argc, char **argv, int first, void *options)
{
    int opt;
    optind = first;
    while (-1 != (opt = getopt_long(argc, argv, cli->short_options, cli->long_options, NULL)))
    {
        if ('h' == opt)
        {
            cli->usage(stdout);
            exit(EXIT_SUCCESS);
        }
        int rc = '?' == opt ? 0 : cli->option(options, opt, optarg);
        if (rc < 0)
        {
            return -1;
        }
        if (0 == rc)
        {
            cli->usage(stderr);
            return -1;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "%s%sunexpected argument '%s'\n", NULL != cli->program ? cli->program : "",
                NULL != cli->program ? ": " : "", argv[optind]);
        if (cli->usage_after_unexpected)
        {
            cli->usage(stderr);
        }
        return -1;
    }
    return 0;
}
