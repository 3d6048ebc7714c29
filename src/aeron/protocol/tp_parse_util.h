/*
 * Parsing of Aeron-style setting values: sizes with k/m/g suffixes, durations with ns/us/ms/s suffixes
 * (a bare number is nanoseconds), booleans and plain integers. Used for channel URI params and AERON_* env.
 */
#ifndef TENSORPOOL_TP_PARSE_UTIL_H
#define TENSORPOOL_TP_PARSE_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/* All return 0 on success, -1 (value unchanged, error set naming the text) on failure. */
int tp_parse_size64(const char *text, uint64_t *value);
int tp_parse_duration_ns(const char *text, uint64_t *value);
int tp_parse_int64(const char *text, int64_t *value);
int tp_parse_int32(const char *text, int32_t *value);
/* "true"/"false" and "1"/"0" (case-insensitive for the words). */
int tp_parse_bool(const char *text, bool *value);

#endif /* TENSORPOOL_TP_PARSE_UTIL_H */
