/* Number, size, duration and boolean parsers used for AERON_* settings and channel parameters. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aeron/protocol/tp_parse_util.h"
#include "fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[128];
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    uint64_t u64;
    int64_t i64;
    int32_t i32;
    bool b;
    (void)tp_parse_size64(text, &u64);
    (void)tp_parse_duration_ns(text, &u64);
    (void)tp_parse_int64(text, &i64);
    (void)tp_parse_int32(text, &i32);
    (void)tp_parse_bool(text, &b);
    return 0;
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    static const fuzz_seed_t seeds[] = {
        FUZZ_TEXT_SEED("64k"), FUZZ_TEXT_SEED("16m"),   FUZZ_TEXT_SEED("1g"),
        FUZZ_TEXT_SEED("5s"),  FUZZ_TEXT_SEED("250us"), FUZZ_TEXT_SEED("9223372036854775807"),
        FUZZ_TEXT_SEED("-1"),  FUZZ_TEXT_SEED("true"),  FUZZ_TEXT_SEED("18446744073709551615ns"),
    };
    *count = sizeof(seeds) / sizeof(seeds[0]);
    return seeds;
}
