#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tp_error_private.h"
#include "mediadriver/tp_stream_counter.h"

int32_t tp_stream_counter_allocate(tp_counters_manager_t *counters, int32_t type_id, const char *name,
                                   int64_t registration_id, int32_t session_id, int32_t stream_id, const char *channel,
                                   size_t channel_length, const char *suffix, int64_t now_ms)
{
    tp_stream_counter_key_t key;
    memset(&key, 0, sizeof(key));
    key.registration_id = registration_id;
    key.session_id = session_id;
    key.stream_id = stream_id;
    const size_t key_channel_length = channel_length < sizeof(key.channel) ? channel_length : sizeof(key.channel);
    key.channel_length = (int32_t)key_channel_length;
    memcpy(key.channel, channel, key_channel_length);

    char label[TP_COUNTER_MAX_LABEL_LENGTH + 1];
    int n = snprintf(label, sizeof(label), "%s: %" PRId64 " %" PRId32 " %" PRId32 " %.*s %s", name, registration_id,
                     session_id, stream_id, (int)channel_length, channel, suffix);
    size_t label_length = n < 0 ? 0 : ((size_t)n < sizeof(label) ? (size_t)n : sizeof(label) - 1);

    const int32_t id = tp_counters_manager_allocate(counters, type_id, &key, sizeof(key), label, label_length, now_ms);
    if (id < 0)
    {
        TP_APPEND_ERR("allocating %s counter for registration id %" PRId64, name, registration_id);
        return -1;
    }
    tp_counters_manager_set_registration_id(counters, id, registration_id);
    return id;
}
