/*
 * Helpers shared by the producer and consumer cores for control-plane messages of the wire schema (900): gating
 * on the SBE message header, and bounded copies/validation of channel strings taken out of var data.
 */
#ifndef TENSORPOOL_TP_CONTROL_MESSAGE_H
#define TENSORPOOL_TP_CONTROL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_CONTROL_HEADER_LENGTH 8
#define TP_CONTROL_SCHEMA_ID     900

typedef struct tp_control_header_stct
{
    uint16_t block_length;
    uint16_t template_id;
    uint16_t schema_id;
    uint16_t version;
} tp_control_header_t;

typedef enum tp_control_peek_result_en
{
    TP_CONTROL_PEEK_OK = 0,      /* schema 900, header readable */
    TP_CONTROL_PEEK_FOREIGN = 1, /* another schema on a shared stream: skip silently */
    TP_CONTROL_PEEK_SHORT = -1,  /* not even a message header */
} tp_control_peek_result_t;

/* Read the 8-byte message header. Hot path: no errors set. */
tp_control_peek_result_t tp_control_peek(const uint8_t *buffer, size_t length, tp_control_header_t *header);

/*
 * tp_control_peek for a core's message handler: true when the message is ours to dispatch; otherwise counts it
 * as foreign (another schema) or malformed (too short) and returns false. Hot path: no errors set.
 */
bool tp_control_accept(const uint8_t *buffer, size_t length, tp_control_header_t *header, uint64_t *foreign_messages,
                       uint64_t *malformed_messages);

/*
 * A channel we accept for a per-consumer stream: shorter than TP_CHANNEL_MAX, visible ASCII only, and an Aeron
 * channel URI ("aeron:ipc..." or "aeron:udp...").
 */
bool tp_control_channel_is_valid(const char *channel, size_t length);

/* Copy length bytes plus a NUL into dst when they fit (length < capacity); false otherwise, dst then "". */
bool tp_control_copy_string(char *dst, size_t capacity, const char *src, size_t length);

#endif /* TENSORPOOL_TP_CONTROL_MESSAGE_H */
