/*
 * Printing what tp_inspect_region_read found: a human-readable block per region, or one JSON object per region
 * (tp_shm_inspect wraps them in a single document).
 */
#ifndef TENSORPOOL_TP_INSPECT_PRINT_H
#define TENSORPOOL_TP_INSPECT_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tp_inspect_region.h"

typedef struct tp_inspect_print_options_stct
{
    bool all_slots;     /* every slot, whatever its state */
    uint32_t max_slots; /* at most this many slots (UINT32_MAX: no limit) */
} tp_inspect_print_options_t;

void tp_inspect_print_text(FILE *out, const tp_inspect_region_t *region, const tp_inspect_print_options_t *options);
void tp_inspect_print_json(FILE *out, const tp_inspect_region_t *region, const tp_inspect_print_options_t *options);

#endif /* TENSORPOOL_TP_INSPECT_PRINT_H */
