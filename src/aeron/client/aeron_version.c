/* Version of the aeronc.h API this client implements, and the clocks the API exposes. */
#include <time.h>

#include "aeron_client_private.h"

#define AERON_STR2(x) #x
#define AERON_STR(x)  AERON_STR2(x)
#define AERON_VERSION_TEXT_VALUE         \
    AERON_STR(AERON_VERSION_MAJOR_VALUE) \
    "." AERON_STR(AERON_VERSION_MINOR_VALUE) "." AERON_STR(AERON_VERSION_PATCH_VALUE)

const char *aeron_version_full(void)
{
    return "tensorpool aeron client version " AERON_VERSION_TEXT_VALUE;
}

const char *aeron_version_text(void)
{
    return AERON_VERSION_TEXT_VALUE;
}

int aeron_version_major(void)
{
    return AERON_VERSION_MAJOR_VALUE;
}

int aeron_version_minor(void)
{
    return AERON_VERSION_MINOR_VALUE;
}

int aeron_version_patch(void)
{
    return AERON_VERSION_PATCH_VALUE;
}

const char *aeron_version_gitsha(void)
{
    return "tensorpool";
}

int64_t aeron_nano_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

int64_t aeron_epoch_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * INT64_C(1000) + ts.tv_nsec / 1000000;
}
