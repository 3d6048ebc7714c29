/*
 * Subscription: polls its images round-robin. The image list is replaced copy-on-write by the conductor and
 * read here with one acquire load, so polling never takes a lock.
 */
#include <errno.h>

#include "aeron_image_reader.h"

static inline aeron_image_list_t *aeron_subscription_images(aeron_subscription_t *subscription)
{
    return __atomic_load_n(&subscription->image_list, __ATOMIC_ACQUIRE);
}

/* The image to poll first, advancing the rotation; the result is < length, so the callers' loops wrap with one
 * comparison instead of a division per image. */
static inline size_t aeron_subscription_round_robin_start(aeron_subscription_t *subscription, size_t length)
{
    size_t start = subscription->round_robin_index++;
    if (start >= length)
    {
        start = 0;
        subscription->round_robin_index = 1;
    }
    return start;
}

int aeron_subscription_poll(aeron_subscription_t *subscription, aeron_fragment_handler_t handler, void *clientd,
                            size_t fragment_limit)
{
    if (NULL == subscription || NULL == handler)
    {
        aeron_err_set(EINVAL, "aeron_subscription_poll: subscription or handler is NULL");
        return -1;
    }
    aeron_image_list_t *list = aeron_subscription_images(subscription);
    size_t length = list->length;
    if (0 == length)
    {
        return 0;
    }
    size_t i = aeron_subscription_round_robin_start(subscription, length);
    size_t fragments = 0;
    for (size_t n = 0; n < length && fragments < fragment_limit; n++)
    {
        int result = aeron_image_poll_impl(list->images[i], handler, clientd, INT64_MAX, fragment_limit - fragments);
        if (result > 0)
        {
            fragments += (size_t)result;
        }
        i = i + 1 == length ? 0 : i + 1;
    }
    return (int)fragments;
}

int aeron_subscription_controlled_poll(aeron_subscription_t *subscription, aeron_controlled_fragment_handler_t handler,
                                       void *clientd, size_t fragment_limit)
{
    if (NULL == subscription || NULL == handler)
    {
        aeron_err_set(EINVAL, "aeron_subscription_controlled_poll: subscription or handler is NULL");
        return -1;
    }
    aeron_image_list_t *list = aeron_subscription_images(subscription);
    size_t length = list->length;
    if (0 == length)
    {
        return 0;
    }
    size_t i = aeron_subscription_round_robin_start(subscription, length);
    size_t fragments = 0;
    for (size_t n = 0; n < length && fragments < fragment_limit; n++)
    {
        int result = aeron_image_controlled_poll(list->images[i], handler, clientd, fragment_limit - fragments);
        if (result > 0)
        {
            fragments += (size_t)result;
        }
        i = i + 1 == length ? 0 : i + 1;
    }
    return (int)fragments;
}

bool aeron_subscription_is_connected(aeron_subscription_t *subscription)
{
    if (NULL == subscription || aeron_subscription_is_closed(subscription))
    {
        return false;
    }
    aeron_image_list_t *list = aeron_subscription_images(subscription);
    for (size_t i = 0; i < list->length; i++)
    {
        if (!aeron_image_is_closed(list->images[i]))
        {
            return true;
        }
    }
    return false;
}

int aeron_subscription_constants(aeron_subscription_t *subscription, aeron_subscription_constants_t *constants)
{
    if (NULL == subscription || NULL == constants)
    {
        aeron_err_set(EINVAL, "aeron_subscription_constants: subscription or constants is NULL");
        return -1;
    }
    constants->channel = subscription->channel;
    constants->on_available_image = subscription->on_available_image;
    constants->on_unavailable_image = subscription->on_unavailable_image;
    constants->registration_id = subscription->registration_id;
    constants->stream_id = subscription->stream_id;
    constants->channel_status_indicator_id = subscription->channel_status_indicator_id;
    return 0;
}

int aeron_subscription_image_count(aeron_subscription_t *subscription)
{
    if (NULL == subscription)
    {
        aeron_err_set(EINVAL, "aeron_subscription_image_count: subscription is NULL");
        return -1;
    }
    return (int)aeron_subscription_images(subscription)->length;
}

aeron_image_t *aeron_subscription_image_by_session_id(aeron_subscription_t *subscription, int32_t session_id)
{
    if (NULL == subscription)
    {
        return NULL;
    }
    aeron_image_list_t *list = aeron_subscription_images(subscription);
    for (size_t i = 0; i < list->length; i++)
    {
        if (list->images[i]->session_id == session_id)
        {
            __atomic_add_fetch(&list->images[i]->refcnt, 1, __ATOMIC_SEQ_CST);
            return list->images[i];
        }
    }
    return NULL;
}

aeron_image_t *aeron_subscription_image_at_index(aeron_subscription_t *subscription, size_t index)
{
    if (NULL == subscription)
    {
        return NULL;
    }
    aeron_image_list_t *list = aeron_subscription_images(subscription);
    if (index >= list->length)
    {
        return NULL;
    }
    __atomic_add_fetch(&list->images[index]->refcnt, 1, __ATOMIC_SEQ_CST);
    return list->images[index];
}

void aeron_subscription_for_each_image(aeron_subscription_t *subscription,
                                       void (*handler)(aeron_image_t *image, void *clientd), void *clientd)
{
    if (NULL == subscription || NULL == handler)
    {
        return;
    }
    aeron_image_list_t *list = aeron_subscription_images(subscription);
    for (size_t i = 0; i < list->length; i++)
    {
        aeron_image_t *image = list->images[i];
        __atomic_add_fetch(&image->refcnt, 1, __ATOMIC_SEQ_CST);
        handler(image, clientd);
        __atomic_sub_fetch(&image->refcnt, 1, __ATOMIC_SEQ_CST);
    }
}

int aeron_subscription_image_retain(aeron_subscription_t *subscription, aeron_image_t *image)
{
    if (NULL == subscription || NULL == image)
    {
        aeron_err_set(EINVAL, "aeron_subscription_image_retain: subscription or image is NULL");
        return -1;
    }
    __atomic_add_fetch(&image->refcnt, 1, __ATOMIC_SEQ_CST);
    return 0;
}

int aeron_subscription_image_release(aeron_subscription_t *subscription, aeron_image_t *image)
{
    if (NULL == subscription || NULL == image)
    {
        aeron_err_set(EINVAL, "aeron_subscription_image_release: subscription or image is NULL");
        return -1;
    }
    __atomic_sub_fetch(&image->refcnt, 1, __ATOMIC_SEQ_CST);
    return 0;
}

bool aeron_subscription_is_closed(aeron_subscription_t *subscription)
{
    return NULL == subscription || __atomic_load_n(&subscription->is_closed, __ATOMIC_ACQUIRE);
}

int64_t aeron_subscription_channel_status(aeron_subscription_t *subscription)
{
    if (aeron_subscription_is_closed(subscription) || NULL == subscription->channel_status_indicator)
    {
        return AERON_CHANNEL_STATUS_NO_ID_ALLOCATED;
    }
    return tp_load_acquire_i64(subscription->channel_status_indicator);
}

int aeron_subscription_close(aeron_subscription_t *subscription, aeron_notification_t on_close_complete,
                             void *on_close_complete_clientd)
{
    if (NULL == subscription)
    {
        return 0;
    }
    int result = aeron_client_conductor_close_subscription(subscription->conductor, subscription);
    if (NULL != on_close_complete)
    {
        on_close_complete(on_close_complete_clientd);
    }
    return result;
}
