/*
 * Region URI parser (wire spec §4.1, §15.22). Property: whatever parses formats back to a URI that parses to
 * the same path and flag; nothing crashes or reads past the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_seeds.h"
#include "shm/tp_shm_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_shm_uri_t uri;
    if (0 != tp_shm_uri_parse_n(&uri, (const char *)data, size))
    {
        return 0;
    }
    char text[PATH_MAX + 64];
    if (tp_shm_uri_format(text, sizeof(text), uri.path, uri.require_hugepages) <= 0)
    {
        abort();
    }
    tp_shm_uri_t again;
    if (0 != tp_shm_uri_parse(&again, text) || 0 != strcmp(uri.path, again.path) ||
        uri.require_hugepages != again.require_hugepages)
    {
        abort();
    }
    return 0;
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    static const fuzz_seed_t seeds[] = {
        FUZZ_TEXT_SEED("shm:file?path=/dev/shm/tensorpool/p1/epoch-3/header.ring"),
        FUZZ_TEXT_SEED("shm:file?path=/dev/hugepages/x|require_hugepages=true"),
        FUZZ_TEXT_SEED("shm:file?require_hugepages=false|path=/a/b"),
        FUZZ_TEXT_SEED("shm:file?path=/a|path=/b"),
        FUZZ_TEXT_SEED("shm:///tmp/pool1"),
    };
    *count = sizeof(seeds) / sizeof(seeds[0]);
    return seeds;
}
