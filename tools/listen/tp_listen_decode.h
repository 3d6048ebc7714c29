/*
 * Decodes one received control-plane message (schemas 900, 901, 910) to one line of text or JSON. Kept apart from
 * the Aeron side so it can be fuzzed: any byte string gives one well-formed line, never a read past the buffer.
 */
#ifndef TENSORPOOL_TP_LISTEN_DECODE_H
#define TENSORPOOL_TP_LISTEN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum tp_listen_result_en
{
    TP_LISTEN_DECODED = 0,   /* a known message, every field shown */
    TP_LISTEN_UNKNOWN = 1,   /* a schema or template this listener does not know: shown with its length */
    TP_LISTEN_MALFORMED = 2, /* truncated or inconsistent: shown with the reason */
} tp_listen_result_t;

/* Where and when the message was received; printed first on the line. */
typedef struct tp_listen_origin_stct
{
    int64_t receive_timestamp_ns; /* CLOCK_REALTIME */
    int32_t stream_id;
} tp_listen_origin_t;

/* Writes one line (ending in '\n') for buffer[0..length) to out. Returns a tp_listen_result_t. */
tp_listen_result_t tp_listen_decode(const uint8_t *buffer, size_t length, const tp_listen_origin_t *origin, bool json,
                                    FILE *out);

#endif /* TENSORPOOL_TP_LISTEN_DECODE_H */
