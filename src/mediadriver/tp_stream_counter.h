/*
 * Per-stream position counters (pub-lmt, pub-pos, sub-pos): key = registration id, session id, stream id and
 * channel; label = "<name>: <registration id> <session id> <stream id> <channel> <suffix>".
 */
#ifndef TENSORPOOL_TP_STREAM_COUNTER_H
#define TENSORPOOL_TP_STREAM_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "aeron/protocol/tp_counters.h"

#define TP_STREAM_COUNTER_PUBLISHER_LIMIT_NAME     "pub-lmt"
#define TP_STREAM_COUNTER_PUBLISHER_POSITION_NAME  "pub-pos (sampled)"
#define TP_STREAM_COUNTER_SUBSCRIBER_POSITION_NAME "sub-pos"

/* Returns the counter id (value record ids set as described in the fact sheet's table) or -1. */
int32_t tp_stream_counter_allocate(tp_counters_manager_t *counters, int32_t type_id, const char *name,
                                   int64_t registration_id, int32_t session_id, int32_t stream_id, const char *channel,
                                   size_t channel_length, const char *suffix, int64_t now_ms);

#endif /* TENSORPOOL_TP_STREAM_COUNTER_H */
