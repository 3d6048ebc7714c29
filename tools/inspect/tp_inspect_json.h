/*
 * The one JSON detail tp_shm_inspect cannot print with a plain format string: strings. File names come from the
 * file system and may hold any byte, so everything outside printable ASCII is escaped as \u00XX, which keeps the
 * document valid JSON whatever the name holds.
 */
#ifndef TENSORPOOL_TP_INSPECT_JSON_H
#define TENSORPOOL_TP_INSPECT_JSON_H

#include <stdio.h>

/* Writes s as a quoted, escaped JSON string. */
void tp_inspect_json_string(FILE *out, const char *s);

#endif /* TENSORPOOL_TP_INSPECT_JSON_H */
