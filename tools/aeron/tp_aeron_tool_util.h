/*
 * Helpers shared by the tp_aeron_* tools. Uses aeronc.h only, so every tool builds against tensorpool's
 * client or the official one.
 */
#ifndef TENSORPOOL_TP_AERON_TOOL_UTIL_H
#define TENSORPOOL_TP_AERON_TOOL_UTIL_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aeronc.h"

#define TP_TOOL_DEFAULT_CHANNEL   "aeron:ipc"
#define TP_TOOL_DEFAULT_STREAM_ID 1001

static volatile sig_atomic_t tp_tool_running = 1;

static void tp_tool_on_signal(int signo)
{
    (void)signo;
    tp_tool_running = 0;
}

static inline void tp_tool_install_signals(void)
{
    signal(SIGINT, tp_tool_on_signal);
    signal(SIGTERM, tp_tool_on_signal);
}

static inline bool tp_tool_is_running(void)
{
    return 0 != tp_tool_running;
}

/* SIGINT/SIGTERM stop the tool; stdout line-buffered so piped output arrives as it is printed. */
static inline void tp_tool_start(void)
{
    tp_tool_install_signals();
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* -v: the client's version, as the official samples print it. Returns main's exit status. */
static inline int tp_tool_print_version(const char *argv0)
{
    printf("%s <%s> major %d minor %d patch %d git %s\n", argv0, aeron_version_full(), aeron_version_major(),
           aeron_version_minor(), aeron_version_patch(), aeron_version_gitsha());
    return EXIT_SUCCESS;
}

/* Long options every tool takes besides its short ones: --help is -h. */
static const struct option tp_tool_long_options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

/* An unknown option: usage on stderr. Returns main's exit status. */
static inline int tp_tool_print_usage(const char *argv0, const char *usage)
{
    fprintf(stderr, "Usage: %s %s", argv0, usage);
    return EXIT_FAILURE;
}

/* -h or --help: usage on stdout, success. Returns main's exit status. */
static inline int tp_tool_print_help(const char *argv0, const char *usage)
{
    printf("Usage: %s %s", argv0, usage);
    return EXIT_SUCCESS;
}

static inline void tp_tool_sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

/* Unsigned integer with an optional k/m/g suffix (powers of 1000 for counts, as the official samples parse). */
static inline int tp_tool_parse_u64(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || end == text)
    {
        return -1;
    }
    uint64_t scale = 1;
    if ('k' == *end || 'K' == *end)
    {
        scale = 1000, end++;
    }
    else if ('m' == *end || 'M' == *end)
    {
        scale = 1000000, end++;
    }
    else if ('g' == *end || 'G' == *end)
    {
        scale = 1000000000, end++;
    }
    if ('\0' != *end)
    {
        return -1;
    }
    *out = (uint64_t)v * scale;
    return 0;
}

/* A stream id: a whole int32 (decimal or 0x hex). Prints what was wrong and returns -1 on bad input. */
static inline int tp_tool_parse_stream_id(const char *what, const char *text, int32_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 0);
    if (errno != 0 || end == text || '\0' != *end || v < INT32_MIN || v > INT32_MAX)
    {
        fprintf(stderr, "malformed %s '%s' (expected a 32-bit integer)\n", what, text);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

/* Duration: bare nanoseconds or a number with ns, us, ms or s. */
static inline int tp_tool_parse_duration_ns(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text)
    {
        return -1;
    }
    uint64_t scale;
    if ('\0' == *end || 0 == strcasecmp(end, "ns"))
    {
        scale = 1;
    }
    else if (0 == strcasecmp(end, "us"))
    {
        scale = 1000;
    }
    else if (0 == strcasecmp(end, "ms"))
    {
        scale = 1000000;
    }
    else if (0 == strcasecmp(end, "s"))
    {
        scale = 1000000000;
    }
    else
    {
        return -1;
    }
    *out = (uint64_t)v * scale;
    return 0;
}

/* Context + client, optionally pointed at an Aeron directory. Returns 0 / -1 with a message on stderr. */
static inline int tp_tool_connect(aeron_context_t **context, aeron_t **aeron, const char *dir)
{
    if (aeron_context_init(context) < 0)
    {
        fprintf(stderr, "aeron_context_init: %s\n", aeron_errmsg());
        return -1;
    }
    if (NULL != dir && aeron_context_set_dir(*context, dir) < 0)
    {
        fprintf(stderr, "aeron_context_set_dir: %s\n", aeron_errmsg());
        return -1;
    }
    if (aeron_init(aeron, *context) < 0)
    {
        fprintf(stderr, "aeron_init: %s\n", aeron_errmsg());
        return -1;
    }
    if (aeron_start(*aeron) < 0)
    {
        fprintf(stderr, "aeron_start: %s\n", aeron_errmsg());
        return -1;
    }
    return 0;
}

static inline aeron_publication_t *tp_tool_add_publication(aeron_t *aeron, const char *channel, int32_t stream_id)
{
    aeron_async_add_publication_t *async = NULL;
    aeron_publication_t *publication = NULL;
    if (aeron_async_add_publication(&async, aeron, channel, stream_id) < 0)
    {
        fprintf(stderr, "aeron_async_add_publication: %s\n", aeron_errmsg());
        return NULL;
    }
    for (;;)
    {
        int rc = aeron_async_add_publication_poll(&publication, async);
        if (rc < 0)
        {
            fprintf(stderr, "aeron_async_add_publication_poll: %s\n", aeron_errmsg());
            return NULL;
        }
        if (rc > 0)
        {
            return publication;
        }
        sched_yield();
    }
}

static inline aeron_exclusive_publication_t *tp_tool_add_exclusive_publication(aeron_t *aeron, const char *channel,
                                                                               int32_t stream_id)
{
    aeron_async_add_exclusive_publication_t *async = NULL;
    aeron_exclusive_publication_t *publication = NULL;
    if (aeron_async_add_exclusive_publication(&async, aeron, channel, stream_id) < 0)
    {
        fprintf(stderr, "aeron_async_add_exclusive_publication: %s\n", aeron_errmsg());
        return NULL;
    }
    for (;;)
    {
        int rc = aeron_async_add_exclusive_publication_poll(&publication, async);
        if (rc < 0)
        {
            fprintf(stderr, "aeron_async_add_exclusive_publication_poll: %s\n", aeron_errmsg());
            return NULL;
        }
        if (rc > 0)
        {
            return publication;
        }
        sched_yield();
    }
}

static inline aeron_subscription_t *tp_tool_add_subscription(aeron_t *aeron, const char *channel, int32_t stream_id,
                                                             aeron_on_unavailable_image_t on_unavailable, void *clientd)
{
    aeron_async_add_subscription_t *async = NULL;
    aeron_subscription_t *subscription = NULL;
    if (aeron_async_add_subscription(&async, aeron, channel, stream_id, NULL, NULL, on_unavailable, clientd) < 0)
    {
        fprintf(stderr, "aeron_async_add_subscription: %s\n", aeron_errmsg());
        return NULL;
    }
    for (;;)
    {
        int rc = aeron_async_add_subscription_poll(&subscription, async);
        if (rc < 0)
        {
            fprintf(stderr, "aeron_async_add_subscription_poll: %s\n", aeron_errmsg());
            return NULL;
        }
        if (rc > 0)
        {
            return subscription;
        }
        sched_yield();
    }
}

#endif /* TENSORPOOL_TP_AERON_TOOL_UTIL_H */
