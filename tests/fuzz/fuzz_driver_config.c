/*
 * Driver configuration loader (TOML through toml++, then validation). Property: any input either loads or is
 * refused with a message; whatever loads and validates prints back to TOML that loads and validates again to
 * the same stream/profile counts; nothing crashes, leaks or reads past the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/tp_driver_config.h"
#include "fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tp_driver_config_t fuzz_config;
static tp_driver_config_t fuzz_again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_driver_config_init(&fuzz_config);
    if (0 != tp_driver_config_load_string(&fuzz_config, (const char *)data, size, "fuzz.toml") ||
        0 != tp_driver_config_validate(&fuzz_config))
    {
        return 0;
    }
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (NULL == out)
    {
        abort();
    }
    tp_driver_config_print(&fuzz_config, out);
    fclose(out);
    tp_driver_config_init(&fuzz_again);
    if (0 != tp_driver_config_load_string(&fuzz_again, text, length, "printed.toml") ||
        0 != tp_driver_config_validate(&fuzz_again) || fuzz_again.profile_count != fuzz_config.profile_count ||
        fuzz_again.stream_count != fuzz_config.stream_count ||
        fuzz_again.default_profile_index != fuzz_config.default_profile_index)
    {
        abort();
    }
    free(text);
    return 0;
}

/* The example configs (read once from the source tree) plus a few small hand-written cases. */
static fuzz_seed_t seeds[8];
static size_t seed_count;

static void add_file_seed(const char *file)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TP_CONFIG_DIR, file);
    FILE *f = fopen(path, "rb");
    if (NULL == f)
    {
        return;
    }
    static uint8_t storage[2][8192];
    uint8_t *buf = storage[seed_count < 2 ? seed_count : 1];
    size_t len = fread(buf, 1, sizeof(storage[0]), f);
    fclose(f);
    seeds[seed_count].data = buf;
    seeds[seed_count].length = len;
    seed_count++;
}

const fuzz_seed_t *fuzz_seeds(size_t *count)
{
    if (0 == seed_count)
    {
        add_file_seed("driver_camera.toml");
        add_file_seed("driver_dynamic.toml");
        static const fuzz_seed_t inline_seeds[] = {
            FUZZ_TEXT_SEED("[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n"),
            FUZZ_TEXT_SEED("[driver]\nstream_id_range = [1, 2]\n[profiles.a]\nheader_nslots = 8\n"
                           "payload_pools = [{ pool_id = 2, stride_bytes = 8192 }]\n[streams.s]\nstream_id = 9\n"
                           "profile = \"a\"\n"),
            FUZZ_TEXT_SEED("[shm]\npermissions_mode = \"0640\"\nallowed_base_dirs = [\"/dev/shm\"]\n"
                           "[policies]\nallow_dynamic_streams = true\n"),
        };
        for (size_t i = 0; i < sizeof(inline_seeds) / sizeof(inline_seeds[0]); i++)
        {
            seeds[seed_count++] = inline_seeds[i];
        }
    }
    *count = seed_count;
    return seeds;
}
