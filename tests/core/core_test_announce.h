/* Decode a producer's ShmPoolAnnounce into plain fields and encode a (tampered) copy back, for the tests. */
#ifndef TENSORPOOL_CORE_TEST_ANNOUNCE_H
#define TENSORPOOL_CORE_TEST_ANNOUNCE_H

#include "core_test_util.h"

#include "shm_tensorpool_control/shmPoolAnnounce.h"

#define CT_URI_MAX 512

typedef struct ct_announce_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint64_t timestamp_ns;
    uint8_t clock_domain;
    uint32_t layout_version;
    uint32_t nslots;
    uint16_t slot_bytes;
    size_t pool_count;
    struct
    {
        uint16_t pool_id;
        uint32_t nslots;
        uint32_t stride_bytes;
        char uri[CT_URI_MAX];
    } pools[4];
    char header_uri[CT_URI_MAX];
} ct_announce_t;

static inline bool ct_is_template(const ct_msg_t *m, uint16_t template_id)
{
    return m->length >= 8 && (uint16_t)(m->data[2] | (m->data[3] << 8)) == template_id &&
           (uint16_t)(m->data[4] | (m->data[5] << 8)) == 900;
}

static inline void ct_decode_announce(const ct_msg_t *m, ct_announce_t *a)
{
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools g;
    uint16_t block_length = (uint16_t)(m->data[0] | (m->data[1] << 8));
    assert_non_null(
        shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&msg, (char *)m->data, 8, block_length, 1, m->length));
    memset(a, 0, sizeof(*a));
    a->stream_id = shm_tensorpool_control_shmPoolAnnounce_streamId(&msg);
    a->producer_id = shm_tensorpool_control_shmPoolAnnounce_producerId(&msg);
    a->epoch = shm_tensorpool_control_shmPoolAnnounce_epoch(&msg);
    a->timestamp_ns = shm_tensorpool_control_shmPoolAnnounce_announceTimestampNs(&msg);
    a->clock_domain = shm_tensorpool_control_shmPoolAnnounce_announceClockDomain_raw(&msg);
    a->layout_version = shm_tensorpool_control_shmPoolAnnounce_layoutVersion(&msg);
    a->nslots = shm_tensorpool_control_shmPoolAnnounce_headerNslots(&msg);
    a->slot_bytes = shm_tensorpool_control_shmPoolAnnounce_headerSlotBytes(&msg);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_get_payloadPools(&msg, &g));
    a->pool_count = shm_tensorpool_control_shmPoolAnnounce_payloadPools_count(&g);
    assert_true(a->pool_count <= 4);
    for (size_t i = 0; i < a->pool_count; i++)
    {
        assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&g));
        a->pools[i].pool_id = shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolId(&g);
        a->pools[i].nslots = shm_tensorpool_control_shmPoolAnnounce_payloadPools_poolNslots(&g);
        a->pools[i].stride_bytes = shm_tensorpool_control_shmPoolAnnounce_payloadPools_strideBytes(&g);
        struct shm_tensorpool_control_shmPoolAnnounce_string_view v =
            shm_tensorpool_control_shmPoolAnnounce_payloadPools_get_regionUri_as_string_view(&g);
        assert_non_null(v.data);
        assert_true(v.length < CT_URI_MAX);
        memcpy(a->pools[i].uri, v.data, v.length);
    }
    struct shm_tensorpool_control_shmPoolAnnounce_string_view v =
        shm_tensorpool_control_shmPoolAnnounce_get_headerRegionUri_as_string_view(&msg);
    assert_non_null(v.data);
    assert_true(v.length < CT_URI_MAX);
    memcpy(a->header_uri, v.data, v.length);
}

static inline size_t ct_encode_announce(uint8_t *buf, size_t capacity, const ct_announce_t *a)
{
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce msg;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools g;
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&msg, (char *)buf, 0, capacity, &hdr));
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&msg, a->stream_id);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&msg, a->producer_id);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&msg, a->epoch);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&msg, a->timestamp_ns);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(
        &msg, (enum shm_tensorpool_control_clockDomain)a->clock_domain);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&msg, a->layout_version);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&msg, a->nslots);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&msg, a->slot_bytes);
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&msg, &g, (uint16_t)a->pool_count));
    for (size_t i = 0; i < a->pool_count; i++)
    {
        assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&g));
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&g, a->pools[i].pool_id);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&g, a->pools[i].nslots);
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&g, a->pools[i].stride_bytes);
        assert_non_null(shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(
            &g, a->pools[i].uri, (uint32_t)strlen(a->pools[i].uri)));
    }
    assert_non_null(shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&msg, a->header_uri,
                                                                               (uint32_t)strlen(a->header_uri)));
    return 8 + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&msg);
}

/* Run the producer's duty cycle with send-all and pull its ShmPoolAnnounce out of the queue (others dropped). */
static inline void ct_capture_announce(tp_producer_core_t *producer, ct_queue_t *q, ct_announce_t *a)
{
    ct_queue_clear(q);
    tp_producer_core_announce_now(producer);
    tp_producer_core_do_work(producer, tp_clock_monotonic_ns());
    ct_msg_t *m;
    bool found = false;
    while (NULL != (m = ct_queue_pop(q)))
    {
        if (ct_is_template(m, 1))
        {
            ct_decode_announce(m, a);
            found = true;
        }
    }
    assert_true(found);
}

static inline int ct_feed_announce(tp_consumer_core_t *consumer, const ct_announce_t *a)
{
    uint8_t buf[4096];
    size_t length = ct_encode_announce(buf, sizeof(buf), a);
    return tp_consumer_core_on_message(consumer, TP_STREAM_CONTROL, buf, length);
}

#endif /* TENSORPOOL_CORE_TEST_ANNOUNCE_H */
