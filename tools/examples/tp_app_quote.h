/*
 * A string as a quoted literal that is both a JSON string and a TOML basic string: the two share the escapes used
 * here (\" \\ \uXXXX), so the tools' --json output and tp_discoveryd's --print-config write strings one way.
 */
#ifndef TP_APP_QUOTE_H
#define TP_APP_QUOTE_H

#include <stddef.h>
#include <stdio.h>

/* length bytes of s between double quotes: quotes, backslashes and control characters (and DEL) escaped, bytes
 * >= 0x80 passed through. s need not be NUL-terminated. */
void tp_app_quote_write(FILE *out, const char *s, size_t length);

#endif /* TP_APP_QUOTE_H */
