/* tp_top's model: decodes the shared streams' messages into streams, consumers and leases (tp_top_model.h). */
#include "tp_top_model.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/tp_control_message.h"
#include "shm/tp_shm_region.h"
#include "shm/tp_shm_uri.h"
#include "shm_tensorpool_control/consumerConfig.h"
#include "shm_tensorpool_control/consumerHello.h"
#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/qosConsumer.h"
#include "shm_tensorpool_control/qosProducer.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_driver/shmDetachRequest.h"
#include "shm_tensorpool_driver/shmLeaseKeepalive.h"
#include "shm_tensorpool_driver/shmLeaseRevoked.h"

#define TP_TOP_HEADER_OFFSET 8
#define TP_TOP_DRIVER_SCHEMA 901

void tp_top_model_init(tp_top_model_t *model, bool map_headers)
{
    memset(model, 0, sizeof(*model));
    model->map_headers = map_headers;
}

static void tp_top_unmap(tp_top_stream_t *s)
{
    if (NULL != s->header)
    {
        munmap((void *)s->header, s->header_length);
        s->header = NULL;
        s->header_length = 0;
    }
}

void tp_top_model_close(tp_top_model_t *model)
{
    for (size_t i = 0; i < model->stream_count; i++)
    {
        tp_top_unmap(&model->streams[i]);
    }
}

static tp_top_stream_t *tp_top_stream(tp_top_model_t *model, uint32_t stream_id)
{
    for (size_t i = 0; i < model->stream_count; i++)
    {
        if (model->streams[i].stream_id == stream_id)
        {
            return &model->streams[i];
        }
    }
    if (model->stream_count == TP_TOP_MAX_STREAMS)
    {
        return NULL;
    }
    tp_top_stream_t *s = &model->streams[model->stream_count++];
    memset(s, 0, sizeof(*s));
    s->stream_id = stream_id;
    return s;
}

static tp_top_consumer_t *tp_top_consumer(tp_top_stream_t *s, uint32_t consumer_id)
{
    for (size_t i = 0; i < s->consumer_count; i++)
    {
        if (s->consumers[i].consumer_id == consumer_id)
        {
            return &s->consumers[i];
        }
    }
    if (s->consumer_count == TP_TOP_MAX_CONSUMERS)
    {
        return NULL;
    }
    tp_top_consumer_t *c = &s->consumers[s->consumer_count++];
    memset(c, 0, sizeof(*c));
    c->consumer_id = consumer_id;
    return c;
}

/* Progress of a stream's sequence (from a descriptor or QosProducer). */
static void tp_top_stream_seq(tp_top_stream_t *s, uint64_t seq, uint64_t now_ns)
{
    if (!s->has_seq || seq > s->current_seq)
    {
        s->current_seq = seq;
    }
    s->has_seq = true;
    if (!s->window_open)
    {
        s->window_open = true;
        s->window_seq = s->current_seq;
        s->window_ns = now_ns;
    }
    s->last_activity_ns = now_ns;
}

/* Map the announced header ring read-only (a new epoch replaces the mapping). Failure only costs MiB/s. */
static void tp_top_map_header(tp_top_stream_t *s, const char *uri_text, size_t uri_length, uint32_t nslots,
                              uint64_t epoch)
{
    if (NULL != s->header && s->header_epoch == epoch)
    {
        return;
    }
    tp_top_unmap(s);
    tp_shm_uri_t uri;
    size_t length;
    if (tp_shm_uri_parse_n(&uri, uri_text, uri_length) < 0 || tp_shm_region_header_length(nslots, &length) < 0)
    {
        return;
    }
    int fd = open(uri.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        return;
    }
    struct stat st;
    if (0 == fstat(fd, &st) && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= length)
    {
        void *p = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
        if (MAP_FAILED != p)
        {
            s->header = p;
            s->header_length = length;
            s->header_nslots = nslots;
            s->header_epoch = epoch;
        }
    }
    close(fd);
}

/* The payload length of frame seq from its header slot, if the slot still holds it committed. */
static bool tp_top_frame_bytes(const tp_top_stream_t *s, uint64_t epoch, uint32_t index, uint64_t seq, uint32_t *bytes)
{
    if (NULL == s->header || epoch != s->header_epoch || index >= s->header_nslots)
    {
        return false;
    }
    const uint8_t *slot = s->header + TP_SHM_SUPERBLOCK_SIZE + (size_t)index * TP_SHM_HEADER_SLOT_BYTES;
    const volatile uint64_t *word = (const volatile uint64_t *)(const void *)slot;
    uint64_t before = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    uint32_t value;
    memcpy(&value, slot + 8, sizeof(value));
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint64_t after = __atomic_load_n(word, __ATOMIC_RELAXED);
    if (before != after || before != ((seq << 1) | 1u))
    {
        return false; /* overwritten or being written: not sized, still counted */
    }
    *bytes = value;
    return true;
}

static void tp_top_on_announce(tp_top_model_t *model, const uint8_t *buffer, size_t length,
                               const tp_control_header_t *hdr, uint64_t now_ns)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&msg, (char *)buffer, TP_TOP_HEADER_OFFSET,
                                                                       hdr->block_length, hdr->version, length))
    {
        model->ignored++;
        return;
    }
    tp_top_stream_t *s = tp_top_stream(model, shm_tensorpool_control_shmPoolAnnounce_streamId(&msg));
    if (NULL == s)
    {
        return;
    }
    s->producer_id = shm_tensorpool_control_shmPoolAnnounce_producerId(&msg);
    s->epoch = shm_tensorpool_control_shmPoolAnnounce_epoch(&msg);
    uint32_t nslots = shm_tensorpool_control_shmPoolAnnounce_headerNslots(&msg);
    s->last_activity_ns = now_ns;
    if (!model->map_headers)
    {
        return;
    }
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools group;
    if (NULL == shm_tensorpool_control_shmPoolAnnounce_get_payloadPools(&msg, &group))
    {
        return;
    }
    uint64_t count = shm_tensorpool_control_shmPoolAnnounce_payloadPools_count(&group);
    for (uint64_t i = 0; i < count; i++)
    {
        if (NULL == shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&group))
        {
            return;
        }
        (void)shm_tensorpool_control_shmPoolAnnounce_payloadPools_get_regionUri_as_string_view(&group);
    }
    struct shm_tensorpool_control_shmPoolAnnounce_string_view uri =
        shm_tensorpool_control_shmPoolAnnounce_get_headerRegionUri_as_string_view(&msg);
    if (NULL != uri.data)
    {
        tp_top_map_header(s, uri.data, uri.length, nslots, s->epoch);
    }
}

static void tp_top_on_descriptor(tp_top_model_t *model, const uint8_t *buffer, size_t length,
                                 const tp_control_header_t *hdr, uint64_t now_ns)
{
    struct shm_tensorpool_control_frameDescriptor msg;
    if (NULL == shm_tensorpool_control_frameDescriptor_wrap_for_decode(&msg, (char *)buffer, TP_TOP_HEADER_OFFSET,
                                                                       hdr->block_length, hdr->version, length))
    {
        model->ignored++;
        return;
    }
    tp_top_stream_t *s = tp_top_stream(model, shm_tensorpool_control_frameDescriptor_streamId(&msg));
    if (NULL == s)
    {
        return;
    }
    uint64_t seq = shm_tensorpool_control_frameDescriptor_seq(&msg);
    uint64_t epoch = shm_tensorpool_control_frameDescriptor_epoch(&msg);
    if (0 == s->epoch)
    {
        s->epoch = epoch;
    }
    tp_top_stream_seq(s, seq, now_ns);
    uint32_t bytes;
    if (tp_top_frame_bytes(s, epoch, shm_tensorpool_control_frameDescriptor_headerIndex(&msg), seq, &bytes))
    {
        s->sized_frames++;
        s->sized_bytes += bytes;
    }
}

static void tp_top_on_qos_producer(tp_top_model_t *model, const uint8_t *buffer, size_t length,
                                   const tp_control_header_t *hdr, uint64_t now_ns)
{
    struct shm_tensorpool_control_qosProducer msg;
    if (NULL == shm_tensorpool_control_qosProducer_wrap_for_decode(&msg, (char *)buffer, TP_TOP_HEADER_OFFSET,
                                                                   hdr->block_length, hdr->version, length))
    {
        model->ignored++;
        return;
    }
    tp_top_stream_t *s = tp_top_stream(model, shm_tensorpool_control_qosProducer_streamId(&msg));
    if (NULL == s)
    {
        return;
    }
    s->producer_id = shm_tensorpool_control_qosProducer_producerId(&msg);
    s->epoch = shm_tensorpool_control_qosProducer_epoch(&msg);
    /* currentSeq is the next sequence number to be claimed: the last committed one is below it. */
    uint64_t next = shm_tensorpool_control_qosProducer_currentSeq(&msg);
    if (next > 0)
    {
        tp_top_stream_seq(s, next - 1, now_ns);
    }
    else
    {
        s->last_activity_ns = now_ns;
    }
}

static void tp_top_on_qos_consumer(tp_top_model_t *model, const uint8_t *buffer, size_t length,
                                   const tp_control_header_t *hdr, uint64_t now_ns)
{
    struct shm_tensorpool_control_qosConsumer msg;
    if (NULL == shm_tensorpool_control_qosConsumer_wrap_for_decode(&msg, (char *)buffer, TP_TOP_HEADER_OFFSET,
                                                                   hdr->block_length, hdr->version, length))
    {
        model->ignored++;
        return;
    }
    tp_top_stream_t *s = tp_top_stream(model, shm_tensorpool_control_qosConsumer_streamId(&msg));
    tp_top_consumer_t *c = NULL == s ? NULL : tp_top_consumer(s, shm_tensorpool_control_qosConsumer_consumerId(&msg));
    if (NULL == c)
    {
        return;
    }
    c->epoch = shm_tensorpool_control_qosConsumer_epoch(&msg);
    c->last_seq_seen = shm_tensorpool_control_qosConsumer_lastSeqSeen(&msg);
    c->drops_gap = shm_tensorpool_control_qosConsumer_dropsGap(&msg);
    c->drops_late = shm_tensorpool_control_qosConsumer_dropsLate(&msg);
    c->mode = shm_tensorpool_control_qosConsumer_mode_raw(&msg);
    c->has_qos = true;
    c->has_lag = s->has_seq && c->epoch == s->epoch;
    c->lag = c->has_lag && s->current_seq > c->last_seq_seen ? s->current_seq - c->last_seq_seen : 0;
    c->last_activity_ns = now_ns;
}

static void tp_top_on_hello(tp_top_model_t *model, const uint8_t *buffer, size_t length, const tp_control_header_t *hdr,
                            uint64_t now_ns)
{
    struct shm_tensorpool_control_consumerHello msg;
    if (NULL == shm_tensorpool_control_consumerHello_wrap_for_decode(&msg, (char *)buffer, TP_TOP_HEADER_OFFSET,
                                                                     hdr->block_length, hdr->version, length))
    {
        model->ignored++;
        return;
    }
    tp_top_stream_t *s = tp_top_stream(model, shm_tensorpool_control_consumerHello_streamId(&msg));
    tp_top_consumer_t *c = NULL == s ? NULL : tp_top_consumer(s, shm_tensorpool_control_consumerHello_consumerId(&msg));
    if (NULL == c)
    {
        return;
    }
    if (!c->has_qos)
    {
        c->mode = shm_tensorpool_control_consumerHello_mode_raw(&msg);
    }
    c->last_activity_ns = now_ns;
}

static void tp_top_on_config(tp_top_model_t *model, const uint8_t *buffer, size_t length,
                             const tp_control_header_t *hdr, uint64_t now_ns)
{
    (void)now_ns;
    struct shm_tensorpool_control_consumerConfig msg;
    if (NULL == shm_tensorpool_control_consumerConfig_wrap_for_decode(&msg, (char *)buffer, TP_TOP_HEADER_OFFSET,
                                                                      hdr->block_length, hdr->version, length))
    {
        model->ignored++;
        return;
    }
    tp_top_stream_t *s = tp_top_stream(model, shm_tensorpool_control_consumerConfig_streamId(&msg));
    tp_top_consumer_t *c =
        NULL == s ? NULL : tp_top_consumer(s, shm_tensorpool_control_consumerConfig_consumerId(&msg));
    if (NULL == c)
    {
        return;
    }
    /* The producer's answer names the per-consumer streams it granted (0: the shared ones). */
    c->descriptor_stream_id = shm_tensorpool_control_consumerConfig_descriptorStreamId(&msg);
    c->control_stream_id = shm_tensorpool_control_consumerConfig_controlStreamId(&msg);
}

static tp_top_lease_t *tp_top_lease_find(tp_top_model_t *model, uint64_t lease_id)
{
    for (size_t i = 0; i < model->lease_count; i++)
    {
        if (model->leases[i].lease_id == lease_id)
        {
            return &model->leases[i];
        }
    }
    return NULL;
}

static tp_top_lease_t *tp_top_lease_add(tp_top_model_t *model, uint64_t lease_id)
{
    tp_top_lease_t *lease = tp_top_lease_find(model, lease_id);
    if (NULL != lease)
    {
        return lease;
    }
    if (model->lease_count == TP_TOP_MAX_LEASES)
    {
        /* Forget the oldest ended lease to make room; all live: drop the newcomer. */
        for (size_t i = 0; i < model->lease_count; i++)
        {
            if (TP_TOP_LEASE_ATTACHED != model->leases[i].state)
            {
                model->leases[i] = model->leases[--model->lease_count];
                break;
            }
        }
        if (model->lease_count == TP_TOP_MAX_LEASES)
        {
            return NULL;
        }
    }
    lease = &model->leases[model->lease_count++];
    memset(lease, 0, sizeof(*lease));
    lease->lease_id = lease_id;
    return lease;
}

static void tp_top_on_driver(tp_top_model_t *model, const uint8_t *buffer, size_t length,
                             const tp_control_header_t *hdr, uint64_t now_ns)
{
    model->driver_seen = true;
    char *b = (char *)buffer;
    switch (hdr->template_id)
    {
        case 1: /* ShmAttachRequest */
        {
            struct shm_tensorpool_driver_shmAttachRequest msg;
            if (NULL != shm_tensorpool_driver_shmAttachRequest_wrap_for_decode(&msg, b, TP_TOP_HEADER_OFFSET,
                                                                               hdr->block_length, hdr->version, length))
            {
                tp_top_pending_t *p = &model->pending[model->pending_next++ % TP_TOP_PENDING_ATTACHES];
                p->correlation_id = shm_tensorpool_driver_shmAttachRequest_correlationId(&msg);
                p->stream_id = shm_tensorpool_driver_shmAttachRequest_streamId(&msg);
                p->client_id = shm_tensorpool_driver_shmAttachRequest_clientId(&msg);
                p->role = shm_tensorpool_driver_shmAttachRequest_role_raw(&msg);
            }
            return;
        }
        case 2: /* ShmAttachResponse */
        {
            struct shm_tensorpool_driver_shmAttachResponse msg;
            if (NULL == shm_tensorpool_driver_shmAttachResponse_wrap_for_decode(
                            &msg, b, TP_TOP_HEADER_OFFSET, hdr->block_length, hdr->version, length) ||
                0 != shm_tensorpool_driver_shmAttachResponse_code_raw(&msg))
            {
                return;
            }
            int64_t corr = shm_tensorpool_driver_shmAttachResponse_correlationId(&msg);
            for (size_t i = 0; i < TP_TOP_PENDING_ATTACHES; i++)
            {
                tp_top_pending_t *p = &model->pending[i];
                if (0 != p->correlation_id && p->correlation_id == corr)
                {
                    tp_top_lease_t *lease =
                        tp_top_lease_add(model, shm_tensorpool_driver_shmAttachResponse_leaseId(&msg));
                    if (NULL != lease)
                    {
                        lease->stream_id = p->stream_id;
                        lease->client_id = p->client_id;
                        lease->role = p->role;
                        lease->state = TP_TOP_LEASE_ATTACHED;
                        lease->granted_ns = now_ns;
                        lease->changed_ns = now_ns;
                    }
                    p->correlation_id = 0;
                    break;
                }
            }
            return;
        }
        case 3: /* ShmDetachRequest */
        {
            struct shm_tensorpool_driver_shmDetachRequest msg;
            tp_top_lease_t *lease = NULL;
            if (NULL != shm_tensorpool_driver_shmDetachRequest_wrap_for_decode(
                            &msg, b, TP_TOP_HEADER_OFFSET, hdr->block_length, hdr->version, length) &&
                NULL != (lease = tp_top_lease_find(model, shm_tensorpool_driver_shmDetachRequest_leaseId(&msg))))
            {
                lease->state = TP_TOP_LEASE_DETACHED;
                lease->changed_ns = now_ns;
            }
            return;
        }
        case 5: /* ShmLeaseKeepalive */
        {
            struct shm_tensorpool_driver_shmLeaseKeepalive msg;
            if (NULL == shm_tensorpool_driver_shmLeaseKeepalive_wrap_for_decode(
                            &msg, b, TP_TOP_HEADER_OFFSET, hdr->block_length, hdr->version, length))
            {
                return;
            }
            tp_top_lease_t *lease = tp_top_lease_find(model, shm_tensorpool_driver_shmLeaseKeepalive_leaseId(&msg));
            if (NULL == lease)
            {
                /* Started after the attach: the keepalive names the lease's stream, client and role. */
                lease = tp_top_lease_add(model, shm_tensorpool_driver_shmLeaseKeepalive_leaseId(&msg));
                if (NULL == lease)
                {
                    return;
                }
                lease->stream_id = shm_tensorpool_driver_shmLeaseKeepalive_streamId(&msg);
                lease->client_id = shm_tensorpool_driver_shmLeaseKeepalive_clientId(&msg);
                lease->role = shm_tensorpool_driver_shmLeaseKeepalive_role_raw(&msg);
                lease->state = TP_TOP_LEASE_ATTACHED;
                lease->changed_ns = now_ns;
            }
            lease->last_keepalive_ns = now_ns;
            return;
        }
        case 7: /* ShmLeaseRevoked */
        {
            struct shm_tensorpool_driver_shmLeaseRevoked msg;
            tp_top_lease_t *lease = NULL;
            if (NULL != shm_tensorpool_driver_shmLeaseRevoked_wrap_for_decode(
                            &msg, b, TP_TOP_HEADER_OFFSET, hdr->block_length, hdr->version, length) &&
                NULL != (lease = tp_top_lease_find(model, shm_tensorpool_driver_shmLeaseRevoked_leaseId(&msg))))
            {
                uint8_t reason = shm_tensorpool_driver_shmLeaseRevoked_reason_raw(&msg);
                lease->state = 1 == reason   ? TP_TOP_LEASE_DETACHED
                               : 2 == reason ? TP_TOP_LEASE_EXPIRED
                                             : TP_TOP_LEASE_REVOKED;
                lease->changed_ns = now_ns;
            }
            return;
        }
        default:
            return;
    }
}

void tp_top_model_on_message(tp_top_model_t *model, const uint8_t *buffer, size_t length, uint64_t now_ns)
{
    tp_control_header_t hdr;
    model->messages++;
    tp_control_peek_result_t peek = tp_control_peek(buffer, length, &hdr);
    if (TP_CONTROL_PEEK_SHORT == peek)
    {
        model->ignored++;
        return;
    }
    if (TP_TOP_DRIVER_SCHEMA == hdr.schema_id)
    {
        tp_top_on_driver(model, buffer, length, &hdr, now_ns);
        return;
    }
    if (TP_CONTROL_PEEK_OK != peek)
    {
        model->ignored++; /* discovery (910) and anything else */
        return;
    }
    switch (hdr.template_id)
    {
        case 1:
            tp_top_on_announce(model, buffer, length, &hdr, now_ns);
            break;
        case 2:
            tp_top_on_hello(model, buffer, length, &hdr, now_ns);
            break;
        case 3:
            tp_top_on_config(model, buffer, length, &hdr, now_ns);
            break;
        case 4:
            tp_top_on_descriptor(model, buffer, length, &hdr, now_ns);
            break;
        case 5:
            tp_top_on_qos_consumer(model, buffer, length, &hdr, now_ns);
            break;
        case 6:
            tp_top_on_qos_producer(model, buffer, length, &hdr, now_ns);
            break;
        default:
            break; /* progress, metadata, control responses: not shown */
    }
}

void tp_top_model_roll(tp_top_model_t *model, uint64_t now_ns)
{
    for (size_t i = 0; i < model->stream_count; i++)
    {
        tp_top_stream_t *s = &model->streams[i];
        if (!s->window_open || now_ns <= s->window_ns)
        {
            continue;
        }
        double seconds = (double)(now_ns - s->window_ns) / 1e9;
        uint64_t frames = s->current_seq - s->window_seq;
        s->frames_per_s = (double)frames / seconds;
        s->mib_per_s = 0 != s->sized_frames
                           ? s->frames_per_s * ((double)s->sized_bytes / (double)s->sized_frames) / (1024.0 * 1024.0)
                           : 0.0;
        s->has_rates = true;
        s->window_seq = s->current_seq;
        s->window_ns = now_ns;
        s->sized_frames = 0;
        s->sized_bytes = 0;
    }
}

const tp_top_lease_t *tp_top_model_lease(const tp_top_model_t *model, uint32_t stream_id, uint32_t client_id,
                                         uint8_t role)
{
    const tp_top_lease_t *best = NULL;
    for (size_t i = 0; i < model->lease_count; i++)
    {
        const tp_top_lease_t *l = &model->leases[i];
        if (l->stream_id == stream_id && l->client_id == client_id && l->role == role &&
            (NULL == best || l->lease_id > best->lease_id))
        {
            best = l;
        }
    }
    return best;
}

const char *tp_top_mode_name(uint8_t mode)
{
    return 1 == mode ? "STREAM" : 2 == mode ? "RATE_LIMITED" : "?";
}

const char *tp_top_lease_state_name(tp_top_lease_state_t state)
{
    switch (state)
    {
        case TP_TOP_LEASE_ATTACHED:
            return "attached";
        case TP_TOP_LEASE_DETACHED:
            return "detached";
        case TP_TOP_LEASE_REVOKED:
            return "revoked";
        case TP_TOP_LEASE_EXPIRED:
            return "expired";
        default:
            return "none";
    }
}
