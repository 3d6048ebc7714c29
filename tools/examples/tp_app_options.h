/*
 * Command-line parsing shared by the demo and the example programs: dtypes by name, shapes such as
 * "1080x1920", sizes with k/m/g suffixes, durations in seconds, and the consumer summary line.
 * Parsers return 0, or -1 after printing what was wrong (with the value) to stderr.
 */
#ifndef TP_APP_OPTIONS_H
#define TP_APP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tensorpool/tp_tensor.h"

/* A frame's shape and element type, and what follows from them. */
typedef struct tp_app_shape_stct
{
    tp_dtype_t dtype;
    uint8_t ndims;
    int32_t dims[TP_MAX_DIMS];
} tp_app_shape_t;

/* What a verifying consumer counted (the summary line). */
typedef struct tp_app_summary_stct
{
    uint64_t received;
    uint64_t verified;
    uint64_t bad;
    uint64_t drops_gap;
    uint64_t drops_late;
} tp_app_summary_t;

int tp_app_dtype_parse(const char *name, tp_dtype_t *dtype);
const char *tp_app_dtype_name(tp_dtype_t dtype);

/* "1080x1920" (row-major, outermost first) with each dim >= 1 and at most TP_MAX_DIMS dims. */
int tp_app_shape_parse(const char *text, tp_app_shape_t *shape);
/* Bytes of a contiguous tensor of this shape; 0 when it does not fit in 32 bits. */
uint64_t tp_app_shape_bytes(const tp_app_shape_t *shape);
/* A row-major contiguous tensor description of this shape. */
void tp_app_shape_to_desc(const tp_app_shape_t *shape, tp_tensor_desc_t *desc);
/* True when a received tensor is the row-major contiguous tensor of this shape (dtype, dims, strides). */
bool tp_app_shape_matches(const tp_app_shape_t *shape, const tp_tensor_view_t *view);
/* "1080x1920 uint16" into buffer. */
void tp_app_shape_format(const tp_app_shape_t *shape, char *buffer, size_t length);

/* Unsigned integer with optional k/m/g suffix (binary multiples), within [min, max]. */
int tp_app_size_parse(const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *value);
/* Seconds, fractional allowed ("2.5"), > 0 unless allow_zero; into nanoseconds. */
int tp_app_seconds_parse(const char *option, const char *text, bool allow_zero, uint64_t *value_ns);
/* Frames per second, >= 0 (0 = as fast as possible), fractional allowed. */
int tp_app_rate_parse(const char *option, const char *text, double *rate_hz);

/* Writes s to stdout as a JSON string literal (quotes, backslash and control characters escaped), for --json. */
void tp_app_json_string(const char *s);

/* The one line scripts read: "received=<n> verified=<n> bad=<n> drops_gap=<n> drops_late=<n>". */
void tp_app_summary_print(FILE *out, const tp_app_summary_t *summary);

/*
 * Stream and run-length options that the examples and tp_chaos_peer share, parsed one way everywhere. A program
 * lists in its getopt tables only those it takes (their usage texts stay its own); its defaults are set after
 * tp_app_stream_options_init().
 */
typedef struct tp_app_stream_options_stct
{
    tp_app_shape_t shape; /* --shape, -t/--dtype (default 1080x1920 uint16) */
    uint32_t stream_id;   /* -s/--stream-id (default 10) */
    uint32_t slots;       /* -n/--slots (default 0: the program's) */
    double rate_hz;       /* -r/--rate, 0 = as fast as possible */
    uint64_t duration_ns; /* -d/--duration, 0 = until interrupted */
    uint64_t frames;      /* -m/--frames, 0 = no limit */
} tp_app_stream_options_t;

#define TP_APP_OPT_SHAPE 2100 /* long-only --shape (the 2000s are tp_app_context.h's) */
/* clang-format off */
/* The entries every one of them takes; -r, -n, --shape and -t are listed by the programs that take them. */
#define TP_APP_STREAM_LONG_OPTIONS                       \
    {"stream-id", required_argument, NULL, 's'},         \
    {"duration", required_argument, NULL, 'd'},          \
    {"frames", required_argument, NULL, 'm'},            \
    {"help", no_argument, NULL, 'h'}
/* clang-format on */

void tp_app_stream_options_init(tp_app_stream_options_t *options);
/* Handle opt if it is one of the stream options: 1 handled, 0 not one of them, -1 bad value (printed). */
int tp_app_stream_option(tp_app_stream_options_t *options, int opt, const char *arg);

struct option;

/* One program's command line, for tp_app_options_parse(). */
typedef struct tp_app_cli_stct
{
    const char *program;               /* prefix of the "unexpected argument" line; NULL: none */
    const char *short_options;         /* getopt_long's, with 'h' for --help */
    const struct option *long_options; /* getopt_long's, NULL-terminated */
    void (*usage)(FILE *out);
    /* The program's own options: 1 handled, 0 not one of them (a usage error), -1 bad value (printed). */
    int (*option)(void *options, int opt, const char *arg);
    bool usage_after_unexpected; /* print the usage to stderr after an unexpected argument too */
} tp_app_cli_t;

/*
 * getopt_long over argv[first..] handing every option to cli->option: -h/--help prints the usage to stdout and
 * exits 0; an unknown option prints the usage to stderr; a non-option argument is refused. 0, or -1 (printed).
 */
int tp_app_options_parse(const tp_app_cli_t *cli, int argc, char **argv, int first, void *options);

/* The next power of two >= value, at least minimum (a power of two itself). */
uint64_t tp_app_next_pow2(uint64_t value, uint64_t minimum);

#endif /* TP_APP_OPTIONS_H */
