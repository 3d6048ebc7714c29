/*
 * libFuzzer target (cmake -DTP_FUZZ=ON with clang): decodes arbitrary bytes as any message of the wire, driver
 * and discovery schemas and as the raw SHM layouts. Run: build/tests/sbe/fuzz_sbe_decode build/tests/sbe/fuzz_corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbe_decode_any.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private exact-size copy: the codecs take char * and the sanitizers must see the true end. */
    char *buf = malloc(size > 0 ? size : 1);
    if (NULL == buf)
    {
        return 0;
    }
    memcpy(buf, data, size);
    (void)tp_sbe_decode_any(buf, size, 0);
    free(buf);
    return 0;
}
