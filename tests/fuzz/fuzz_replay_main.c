/*
 * Deterministic stand-in for libFuzzer, so every fuzz harness also runs in ctest (and under ASan/UBSan):
 * seeded random mutations (bit flips, byte sets, truncation, splices, pure noise) of the harness's seeds,
 * each fed to LLVMFuzzerTestOneInput as an exact-size heap copy so sanitizers see the true end of the input.
 *   usage: fuzz_x_replay [iterations] [seed]
 *          fuzz_x_replay --dump-seeds DIR     (writes the seeds as a starting corpus for the libFuzzer build)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64*: reproducible across runs and platforms. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t mutate(uint8_t *buf, size_t len)
{
    int rounds = 1 + (int)(rng_next() % 4);
    for (int r = 0; r < rounds; r++)
    {
        switch (rng_next() % 6)
        {
            case 0:
                if (len > 0)
                {
                    buf[rng_next() % len] ^= (uint8_t)(1u << (rng_next() % 8));
                }
                break;
            case 1:
                if (len > 0)
                {
                    static const uint8_t interesting[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, '|', '?', '=', '/', '.'};
                    buf[rng_next() % len] = interesting[rng_next() % sizeof(interesting)];
                }
                break;
            case 2:
                len = len > 0 ? (size_t)(rng_next() % (len + 1)) : 0;
                break;
            case 3:
                if (len < MAX_INPUT)
                {
                    size_t extra = 1 + (size_t)(rng_next() % 16);
                    if (len + extra > MAX_INPUT)
                    {
                        extra = MAX_INPUT - len;
                    }
                    for (size_t i = 0; i < extra; i++)
                    {
                        buf[len + i] = (uint8_t)rng_next();
                    }
                    len += extra;
                }
                break;
            case 4:
                if (len >= 4)
                {
                    /* Overwrite a little-endian length/count word with something large. */
                    size_t at = (size_t)(rng_next() % (len - 3));
                    uint32_t v = (uint32_t)rng_next();
                    memcpy(buf + at, &v, 4);
                }
                break;
            default:
                len = (size_t)(rng_next() % 64);
                for (size_t i = 0; i < len; i++)
                {
                    buf[i] = (uint8_t)rng_next();
                }
                break;
        }
    }
    return len;
}

static void run_one(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (NULL == copy)
    {
        abort();
    }
    memcpy(copy, data, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
}

static int dump_seeds(const char *dir)
{
    size_t seed_count = 0;
    const fuzz_seed_t *seeds = fuzz_seeds(&seed_count);
    for (size_t i = 0; i < seed_count; i++)
    {
        char path[4096];
        snprintf(path, sizeof(path), "%s/seed-%zu", dir, i);
        FILE *f = fopen(path, "wb");
        if (NULL == f || fwrite(seeds[i].data, 1, seeds[i].length, f) != seeds[i].length)
        {
            perror(path);
            return 1;
        }
        fclose(f);
    }
    printf("wrote %zu seeds to %s\n", seed_count, dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && 0 == strcmp("--dump-seeds", argv[1]))
    {
        return dump_seeds(argv[2]);
    }
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9E3779B97F4A7C15ULL;
    if (0 == rng_state)
    {
        rng_state = 1;
    }

    size_t seed_count = 0;
    const fuzz_seed_t *seeds = fuzz_seeds(&seed_count);
    for (size_t i = 0; i < seed_count; i++)
    {
        run_one(seeds[i].data, seeds[i].length);
    }

    static uint8_t buf[MAX_INPUT];
    for (long i = 0; i < iterations; i++)
    {
        const fuzz_seed_t *seed = &seeds[rng_next() % seed_count];
        size_t len = seed->length > MAX_INPUT ? MAX_INPUT : seed->length;
        memcpy(buf, seed->data, len);
        len = mutate(buf, len);
        run_one(buf, len);
    }
    printf("%ld mutated inputs and %zu seeds ran clean\n", iterations, seed_count);
    return 0;
}
