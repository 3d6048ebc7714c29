/* Seeds a fuzz harness offers to the deterministic replay driver (fuzz_replay_main.c). */
#ifndef TP_FUZZ_SEEDS_H
#define TP_FUZZ_SEEDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct fuzz_seed_stct
{
    const uint8_t *data;
    size_t length;
} fuzz_seed_t;

/* Each harness defines this; it may build its seeds lazily on first call. */
const fuzz_seed_t *fuzz_seeds(size_t *count);

#define FUZZ_TEXT_SEED(s)                   \
    {                                       \
        (const uint8_t *)(s), sizeof(s) - 1 \
    }

#endif /* TP_FUZZ_SEEDS_H */
