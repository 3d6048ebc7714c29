/*
 * Error reporting for setup-path calls.
 *
 * Setup functions return 0 on success and -1 on failure; on failure they leave a code and a
 * human-readable message in thread-local storage. Context is appended as the error propagates up
 * the call chain, so the message reads from the root cause outwards. Hot-path functions (claim,
 * commit, poll) do not touch this state: they return negative status codes instead.
 */
#ifndef TENSORPOOL_TP_ERROR_H
#define TENSORPOOL_TP_ERROR_H

#ifdef __cplusplus
extern "C"
{
#endif

/* Codes below 1000 are errno values (EINVAL, ENOENT, ...); codes from 1000 are tensorpool's own. */
typedef enum tp_errcode_en
{
    TP_ERR_OK = 0,
    TP_ERR_GENERIC = 1000,
    TP_ERR_URI = 1001,        /* region URI malformed, unknown scheme or parameter */
    TP_ERR_PATH = 1002,       /* path not absolute, outside allowed base dirs, not a regular file */
    TP_ERR_HUGEPAGES = 1003,  /* hugepages required but region not hugepage-backed */
    TP_ERR_STRIDE = 1004,     /* stride not a power of two or not a multiple of the page size */
    TP_ERR_SUPERBLOCK = 1005, /* superblock does not match what was announced */
    TP_ERR_LAYOUT = 1006,     /* slot / tensor header violates the layout rules */
    TP_ERR_CODEC = 1007,      /* SBE message truncated or malformed */
    TP_ERR_NO_SPACE = 1008,   /* backing file system has no room for the region */
    TP_ERR_STATE = 1009,      /* call not valid in the object's current state */
    TP_ERR_TIMEOUT = 1010,    /* operation did not complete in time */
    TP_ERR_AERON = 1011,      /* the Aeron client reported an error */
} tp_errcode_t;

/* Code of the last error set on this thread (0 when none). */
int tp_errcode(void);

/* Message of the last error set on this thread ("" when none). Valid until the next error on this thread. */
const char *tp_errmsg(void);

/* Short symbolic name for an error code, e.g. "TP_ERR_URI" or "EINVAL". */
const char *tp_errcode_name(int code);

/* Clear this thread's error state. */
void tp_err_clear(void);

#ifdef __cplusplus
}
#endif

#endif /* TENSORPOOL_TP_ERROR_H */
