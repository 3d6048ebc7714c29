/* Aeron channel URI parser (fact sheet §12) as the media driver uses it: parse, then read typed parameters. */
#include <stdbool.h>
#include <stdint.h>

#include "aeron/protocol/tp_aeron_uri.h"
#include "fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_aeron_uri_t uri;
    if (0 != tp_aeron_uri_parse(&uri, (const char *)data, size))
    {
        return 0;
    }
    int32_t i32;
    int64_t i64;
    uint64_t u64;
    bool b;
    (void)tp_aeron_uri_get_int32(&uri, "session-id", 0, &i32);
    (void)tp_aeron_uri_get_int64(&uri, "init-term-id", 0, &i64);
    (void)tp_aeron_uri_get_size(&uri, "term-length", 0, &u64);
    (void)tp_aeron_uri_get_duration_ns(&uri, "linger", 0, &u64);
    (void)tp_aeron_uri_get_bool(&uri, "sparse", false, &b);
    (void)tp_aeron_uri_find_param(&uri, "mtu");
    return 0;
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    static const fuzz_seed_t seeds[] = {
        FUZZ_TEXT_SEED("aeron:ipc"),
        FUZZ_TEXT_SEED("aeron:ipc?term-length=64k|mtu=1408|session-id=7|sparse=true|linger=5s"),
        FUZZ_TEXT_SEED("aeron:udp?endpoint=localhost:20121|interface=127.0.0.1"),
        FUZZ_TEXT_SEED("aeron-spy:aeron:ipc?init-term-id=1|term-id=2|term-offset=64"),
        FUZZ_TEXT_SEED("aeron:ipc?foo"),
        /* Found by libFuzzer: a short channel without a NUL used to be echoed 256 bytes long in the error. */
        FUZZ_TEXT_SEED("]@\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\n\xff"),
    };
    *count = sizeof(seeds) / sizeof(seeds[0]);
    return seeds;
}
