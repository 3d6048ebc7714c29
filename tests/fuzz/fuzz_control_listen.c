/*
 * tp_control_listen's decoder (tools/listen/tp_listen_decode.c). Properties: any byte string gives exactly one
 * line, in JSON mode one that is a single balanced object; nothing reads past the input (the replay driver feeds
 * exact-size heap copies, so ASan sees the end).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_seeds.h"
#include "tp_listen_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Brace depth outside strings returns to 0 only at the end, and the line ends in "}\n". */
static void check_json_line(const char *text, size_t n)
{
    int depth = 0;
    int in_string = 0;
    size_t newlines = 0;
    for (size_t i = 0; i < n; i++)
    {
        char c = text[i];
        if ('\n' == c)
        {
            newlines++;
        }
        if (in_string)
        {
            if ('\\' == c)
            {
                i++;
            }
            else if ('"' == c)
            {
                in_string = 0;
            }
            else if ((unsigned char)c < 0x20)
            {
                abort(); /* a raw control character inside a JSON string */
            }
            continue;
        }
        if ('"' == c)
        {
            in_string = 1;
        }
        else if ('{' == c || '[' == c)
        {
            depth++;
        }
        else if ('}' == c || ']' == c)
        {
            if (--depth < 0 || (0 == depth && i + 2 != n))
            {
                abort();
            }
        }
    }
    if (0 != depth || in_string || 1 != newlines || n < 2 || '\n' != text[n - 1])
    {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[1 << 20];
    tp_listen_origin_t origin = {.receive_timestamp_ns = 1700000000123456789LL, .stream_id = 1000};
    for (int json = 0; json <= 1; json++)
    {
        FILE *out = fmemopen(text, sizeof(text), "w");
        if (NULL == out)
        {
            abort();
        }
        tp_listen_result_t result = tp_listen_decode(data, size, &origin, 1 == json, out);
        long n = ftell(out);
        fclose(out);
        if (result < TP_LISTEN_DECODED || result > TP_LISTEN_MALFORMED || n <= 0 || (size_t)n >= sizeof(text))
        {
            abort();
        }
        if (json)
        {
            check_json_line(text, (size_t)n);
        }
        else if (NULL == memchr(text, '\n', (size_t)n) || '\n' != text[n - 1])
        {
            abort();
        }
    }
    return 0;
}

/* Seeds: one valid message per shape the schemas have (fixed fields, group with var data, nested groups). */
static const uint8_t seed_announce[] = {
    /* header: blockLength 35, template 1, schema 900, version 1 */
    35, 0, 1, 0, 0x84, 0x03, 1, 0,
    /* streamId 10, producerId 1, epoch 7, announceTimestampNs 99, clock 1, layout 1, nslots 16, slotBytes 256 */
    10, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 16, 0, 0, 0, 0, 1,
    /* payloadPools: blockLength 10, 1 entry: pool 1, nslots 16, stride 4096, regionUri "a\"b" */
    10, 0, 1, 0, 1, 0, 16, 0, 0, 0, 0, 16, 0, 0, 3, 0, 0, 0, 'a', '"', 'b',
    /* headerRegionUri "shm:file?path=/x" */
    16, 0, 0, 0, 's', 'h', 'm', ':', 'f', 'i', 'l', 'e', '?', 'p', 'a', 't', 'h', '=', '/', 'x'};
static const uint8_t seed_discovery_response[] = {
    /* header: blockLength 9, template 2, schema 910, version 1; requestId 5, status OK */
    9, 0, 2, 0, 0x8e, 0x03, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1,
    /* results: blockLength 39, 1 entry of zeros */
    39, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0,
    /* payloadPools: blockLength 10, no entries; tags: blockLength 0, 1 entry "t" */
    10, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 't',
    /* headerRegionUri, dataSourceName, driverInstanceId "", driverControlChannel "c" */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'c',
    /* errorMessage "" */
    0, 0, 0, 0};
static const uint8_t seed_unknown[] = {8, 0, 1, 0, 0x39, 0x05, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8};

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    static const fuzz_seed_t seeds[] = {
        {seed_announce, sizeof(seed_announce)},
        {seed_discovery_response, sizeof(seed_discovery_response)},
        {seed_unknown, sizeof(seed_unknown)},
        FUZZ_TEXT_SEED("garbage, not SBE"),
    };
    *count = sizeof(seeds) / sizeof(seeds[0]);
    return seeds;
}
