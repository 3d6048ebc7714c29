#include <errno.h>
#include <string.h>

#include "common/tp_atomic.h"
#include "common/tp_error_private.h"
#include "mediadriver/tp_system_counters.h"

/* Labels by system id; tools display these. Ids that an IPC-only driver never moves still exist. */
static const char *const tp_system_counter_labels[TP_SYSTEM_COUNTER_COUNT] = {
    "Bytes sent",
    "Bytes received",
    "Failed offers to ReceiverProxy",
    "Failed offers to SenderProxy",
    "Failed offers to DriverConductorProxy",
    "NAKs sent",
    "NAKs received",
    "Status Messages sent",
    "Status Messages received",
    "Heartbeats sent",
    "Heartbeats received",
    "Retransmits sent",
    "Flow control under runs",
    "Flow control over runs",
    "Invalid packets",
    "Errors: version=" TP_MEDIADRIVER_AERON_VERSION_TEXT " (tensorpool IPC driver)",
    "Short sends",
    "Failed attempts to free log buffers",
    "Sender flow control limits, i.e. back-pressure events",
    "Unblocked Publications",
    "Unblocked Control Commands",
    "Possible TTL Asymmetry",
    "ControllableIdleStrategy status",
    "Loss gap fills",
    "Client liveness timeouts",
    "Resolution changes",
    "Conductor max cycle time doing its work in ns",
    "Conductor work cycle exceeded threshold count",
    "Sender max cycle time doing its work in ns",
    "Sender work cycle exceeded threshold count",
    "Receiver max cycle time doing its work in ns",
    "Receiver work cycle exceeded threshold count",
    "NameResolver max time in ns",
    "NameResolver exceeded threshold count",
    "Aeron software: version=" TP_MEDIADRIVER_AERON_VERSION_TEXT " (tensorpool IPC driver)",
    "Bytes currently mapped",
    "Retransmitted bytes",
    "Retransmit Pool Overflow count",
    "Error Frames received",
    "Error Frames sent",
};

int tp_system_counters_init(tp_system_counters_t *counters, tp_counters_manager_t *manager, int64_t now_ms)
{
    for (int32_t i = 0; i < TP_SYSTEM_COUNTER_COUNT; i++)
    {
        const char *label = tp_system_counter_labels[i];
        int32_t id =
            tp_counters_manager_allocate(manager, TP_COUNTER_TYPE_SYSTEM, &i, sizeof(i), label, strlen(label), now_ms);
        if (id != i)
        {
            TP_SET_ERR(EINVAL, "system counter %d got id %d: system counters must be allocated first", i, id);
            return -1;
        }
        counters->values[i] = tp_counters_manager_addr(manager, id);
    }
    tp_store_release_i64(counters->values[TP_SYSTEM_COUNTER_AERON_VERSION], TP_MEDIADRIVER_AERON_VERSION_VALUE);
    return 0;
}

void tp_system_counter_increment(tp_system_counters_t *counters, tp_system_counter_id_t id)
{
    tp_system_counter_add(counters, id, 1);
}

void tp_system_counter_add(tp_system_counters_t *counters, tp_system_counter_id_t id, int64_t delta)
{
    int64_t *value = counters->values[id];
    tp_store_release_i64(value, tp_load_relaxed_i64(value) + delta);
}

void tp_system_counter_set(tp_system_counters_t *counters, tp_system_counter_id_t id, int64_t value)
{
    tp_store_release_i64(counters->values[id], value);
}
