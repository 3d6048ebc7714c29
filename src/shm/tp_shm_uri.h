/*
 * Region URIs of wire spec v1.1 §4.1 / §15.22: "shm:file?path=<abs>[|require_hugepages=true|false]".
 *
 * Parsing is strict because a URI arrives from another process: unknown schemes or parameters, duplicate or
 * empty parameters, bad booleans and paths that are relative or contain '?', '|', spaces, control or non-ASCII
 * bytes are all rejected with TP_ERR_URI. Parameters may appear in any order (Aeron style).
 */
#ifndef TENSORPOOL_TP_SHM_URI_H
#define TENSORPOOL_TP_SHM_URI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define TP_SHM_URI_PREFIX "shm:file?"

typedef struct tp_shm_uri_stct
{
    char path[PATH_MAX];
    bool require_hugepages;
} tp_shm_uri_t;

/* Parse a NUL-terminated URI. Returns 0, or -1 with TP_ERR_URI naming the reason and the offending text. */
int tp_shm_uri_parse(tp_shm_uri_t *uri, const char *text);

/* Parse a URI of known length (as it comes out of SBE var data, not NUL-terminated). An embedded NUL is rejected. */
int tp_shm_uri_parse_n(tp_shm_uri_t *uri, const char *text, size_t length);

/*
 * Check that a path may appear in a region URI: absolute, shorter than PATH_MAX and made only of visible ASCII
 * other than '?' and '|'. Returns 0, or -1 with TP_ERR_URI.
 */
int tp_shm_uri_check_path(const char *path, size_t length);

/* Format "shm:file?path=<path>" (plus "|require_hugepages=true" when asked) into buf. Returns the length or -1. */
int tp_shm_uri_format(char *buf, size_t capacity, const char *path, bool require_hugepages);

#endif /* TENSORPOOL_TP_SHM_URI_H */
