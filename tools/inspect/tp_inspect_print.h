/*
 * Printing what tp_inspect_region_read found: a human-readable block per region, or one JSON object per region
 * (tp_shm_inspect wraps them in a single document).
 */
#ifndef TENSORPOOL_TP_INSPECT_PRINT_H
#define TENSORPOOL_TP_INSPECT_PRINT_H

#include <stdio.h>

#include "tp_inspect_region.h"

void tp_inspect_print_text(FILE *out, const tp_inspect_region_t *region);
void tp_inspect_print_json(FILE *out, const tp_inspect_region_t *region);

#endif /* TENSORPOOL_TP_INSPECT_PRINT_H */
