/* Quoted string literals for JSON and TOML output (see tp_app_quote.h). */
#include "tp_app_quote.h"

void tp_app_quote_write(FILE *out, const char *s, size_t length)
{
    fputc('"', out);
    for (size_t i = 0; i < length; i++)
    {
        unsigned char c = (unsigned char)s[i];
        if ('"' == c || '\\' == c)
        {
            fprintf(out, "\\%c", c);
        }
        else if (c < 0x20 || 0x7f == c)
        {
            fprintf(out, "\\u%04x", c);
        }
        else
        {
            fputc(c, out);
        }
    }
    fputc('"', out);
}
