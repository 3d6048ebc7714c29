#include "tp_inspect_json.h"

void tp_inspect_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; '\0' != *p; p++)
    {
        switch (*p)
        {
            case '"':
                fputs("\\\"", out);
                break;
            case '\\':
                fputs("\\\\", out);
                break;
            case '\n':
                fputs("\\n", out);
                break;
            case '\t':
                fputs("\\t", out);
                break;
            default:
                /* Bytes >= 0x80 as Latin-1 code points: a name that is not UTF-8 still yields valid JSON. */
                if (*p < 0x20 || *p >= 0x7f)
                {
                    fprintf(out, "\\u%04x", (unsigned)*p);
                }
                else
                {
                    fputc(*p, out);
                }
                break;
        }
    }
    fputc('"', out);
}
