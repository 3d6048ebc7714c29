/*
 * Table-driven SBE decoder for the listener. Every message is walked twice over the same bounds-checked code:
 * first silently (out == NULL) to find whether it is whole, then printing, so a malformed message gives one
 * "malformed" line instead of half a message. Every read is checked against the buffer's end before it is made:
 * the block, each group dimension header and entry, each var-data length prefix and its bytes.
 */
#include "tp_listen_decode.h"

#include <inttypes.h>
#include <string.h>

#include "tp_listen_schema.h"

#define TP_LISTEN_HEADER_LENGTH     8
#define TP_LISTEN_GROUP_HEADER_LEN  4
#define TP_LISTEN_VAR_LENGTH_PREFIX 4
#define TP_LISTEN_MAX_DEPTH         4

typedef struct tp_listen_walk_stct
{
    const uint8_t *buffer;
    size_t length;
    size_t position;
    bool json;
    FILE *out; /* NULL: validate only */
    char reason[160];
} tp_listen_walk_t;

/* Little-endian reads, as SBE encodes, independent of the host's byte order. */
static uint64_t tp_listen_read_le(const uint8_t *p, size_t size)
{
    uint64_t v = 0;
    for (size_t i = size; i > 0; i--)
    {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static size_t tp_listen_prim_size(tp_listen_prim_t prim)
{
    switch (prim)
    {
        case TP_LISTEN_PRIM_CHAR:
        case TP_LISTEN_PRIM_INT8:
        case TP_LISTEN_PRIM_UINT8:
            return 1;
        case TP_LISTEN_PRIM_INT16:
        case TP_LISTEN_PRIM_UINT16:
            return 2;
        case TP_LISTEN_PRIM_INT32:
        case TP_LISTEN_PRIM_UINT32:
        case TP_LISTEN_PRIM_FLOAT:
            return 4;
        default:
            return 8;
    }
}

static int64_t tp_listen_sign_extend(uint64_t v, size_t size)
{
    if (size < 8)
    {
        uint64_t sign = 1ULL << (size * 8 - 1);
        return (int64_t)((v ^ sign) - sign);
    }
    return (int64_t)v;
}

/* Escapes bytes as a quoted string: JSON (\uXXXX, bytes read as Latin-1) or C-like text (\xHH). */
static void tp_listen_print_string(FILE *out, const uint8_t *p, size_t n, bool json)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++)
    {
        uint8_t c = p[i];
        if ('"' == c || '\\' == c)
        {
            fputc('\\', out);
            fputc(c, out);
        }
        else if ('\n' == c)
        {
            fputs("\\n", out);
        }
        else if ('\t' == c)
        {
            fputs("\\t", out);
        }
        else if (c < 0x20 || c >= 0x7f)
        {
            fprintf(out, json ? "\\u%04x" : "\\x%02x", (unsigned)c);
        }
        else
        {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

static void tp_listen_print_name(tp_listen_walk_t *w, const char *name, bool first)
{
    if (w->json)
    {
        fprintf(w->out, "%s\"%s\":", first ? "" : ",", name);
    }
    else
    {
        fprintf(w->out, "%s%s=", first ? "" : " ", name);
    }
}

static void tp_listen_print_scalar(tp_listen_walk_t *w, const tp_listen_field_t *f, const uint8_t *p)
{
    size_t size = tp_listen_prim_size(f->prim);
    uint64_t raw = tp_listen_read_le(p, size);
    bool is_signed = TP_LISTEN_PRIM_INT8 == f->prim || TP_LISTEN_PRIM_INT16 == f->prim ||
                     TP_LISTEN_PRIM_INT32 == f->prim || TP_LISTEN_PRIM_INT64 == f->prim;
    int64_t value = is_signed ? tp_listen_sign_extend(raw, size) : (int64_t)raw;
    if (NULL != f->enum_values)
    {
        for (size_t i = 0; i < f->enum_count; i++)
        {
            if (f->enum_values[i].value == value)
            {
                fprintf(w->out, w->json ? "\"%s\"" : "%s", f->enum_values[i].name);
                return;
            }
        }
    }
    if (TP_LISTEN_PRIM_FLOAT == f->prim || TP_LISTEN_PRIM_DOUBLE == f->prim)
    {
        double d;
        if (4 == size)
        {
            float fl;
            uint32_t r32 = (uint32_t)raw;
            memcpy(&fl, &r32, sizeof(fl));
            d = fl;
        }
        else
        {
            memcpy(&d, &raw, sizeof(d));
        }
        /* NaN and infinities have no JSON form. */
        if (w->json && !(d == d && d - d == 0))
        {
            fputs("null", w->out);
        }
        else
        {
            fprintf(w->out, "%.17g", d);
        }
        return;
    }
    if (is_signed)
    {
        fprintf(w->out, "%" PRId64, value);
    }
    else
    {
        fprintf(w->out, "%" PRIu64, raw);
    }
}

static void tp_listen_print_fixed(tp_listen_walk_t *w, const tp_listen_field_t *f, const uint8_t *block)
{
    const uint8_t *p = block + f->offset;
    size_t size = tp_listen_prim_size(f->prim);
    if (TP_LISTEN_PRIM_CHAR == f->prim && f->length > 1)
    {
        size_t n = 0;
        while (n < f->length && 0 != p[n])
        {
            n++;
        }
        tp_listen_print_string(w->out, p, n, w->json);
        return;
    }
    if (f->length > 1)
    {
        fputc('[', w->out);
        for (uint32_t i = 0; i < f->length; i++)
        {
            if (i > 0)
            {
                fputc(',', w->out);
            }
            tp_listen_print_scalar(w, f, p + i * size);
        }
        fputc(']', w->out);
        return;
    }
    tp_listen_print_scalar(w, f, p);
}

static bool tp_listen_fail(tp_listen_walk_t *w, const char *what, size_t need)
{
    snprintf(w->reason, sizeof(w->reason), "%s: needs %zu bytes at offset %zu, message has %zu", what, need,
             w->position, w->length);
    return false;
}

/* The smallest block that holds every fixed field of the list. */
static size_t tp_listen_fields_extent(const tp_listen_field_t *fields, size_t count)
{
    size_t extent = 0;
    for (size_t i = 0; i < count; i++)
    {
        if (TP_LISTEN_FIELD == fields[i].kind)
        {
            size_t end = fields[i].offset + (size_t)fields[i].length * tp_listen_prim_size(fields[i].prim);
            extent = end > extent ? end : extent;
        }
    }
    return extent;
}

/*
 * Walks one block (acting length block_length, at w->position) with its groups and var data. The block length is
 * the sender's: fields are at their schema offsets inside it, and groups start after it (SBE's extension rule).
 */
static bool tp_listen_walk_block(tp_listen_walk_t *w, const tp_listen_field_t *fields, size_t count,
                                 size_t block_length, int depth)
{
    if (depth > TP_LISTEN_MAX_DEPTH)
    {
        snprintf(w->reason, sizeof(w->reason), "groups nested deeper than %d", TP_LISTEN_MAX_DEPTH);
        return false;
    }
    size_t extent = tp_listen_fields_extent(fields, count);
    if (block_length < extent)
    {
        snprintf(w->reason, sizeof(w->reason), "block length %zu at offset %zu is shorter than the %zu its fields need",
                 block_length, w->position, extent);
        return false;
    }
    if (w->length - w->position < block_length)
    {
        return tp_listen_fail(w, "block", block_length);
    }
    const uint8_t *block = w->buffer + w->position;
    w->position += block_length;
    bool first = true;
    for (size_t i = 0; i < count; i++)
    {
        const tp_listen_field_t *f = &fields[i];
        if (TP_LISTEN_FIELD == f->kind)
        {
            if (NULL != w->out)
            {
                tp_listen_print_name(w, f->name, first);
                tp_listen_print_fixed(w, f, block);
            }
        }
        else if (TP_LISTEN_GROUP == f->kind)
        {
            if (w->length - w->position < TP_LISTEN_GROUP_HEADER_LEN)
            {
                return tp_listen_fail(w, f->name, TP_LISTEN_GROUP_HEADER_LEN);
            }
            size_t entry_length = (size_t)tp_listen_read_le(w->buffer + w->position, 2);
            size_t entries = (size_t)tp_listen_read_le(w->buffer + w->position + 2, 2);
            w->position += TP_LISTEN_GROUP_HEADER_LEN;
            if (NULL != w->out)
            {
                tp_listen_print_name(w, f->name, first);
                fputc('[', w->out);
            }
            for (size_t e = 0; e < entries; e++)
            {
                if (NULL != w->out)
                {
                    fputs(e > 0 ? (w->json ? ",{" : " {") : "{", w->out);
                }
                if (!tp_listen_walk_block(w, f->group_fields, f->group_field_count, entry_length, depth + 1))
                {
                    return false;
                }
                if (NULL != w->out)
                {
                    fputc('}', w->out);
                }
            }
            if (NULL != w->out)
            {
                fputc(']', w->out);
            }
        }
        else
        {
            if (w->length - w->position < TP_LISTEN_VAR_LENGTH_PREFIX)
            {
                return tp_listen_fail(w, f->name, TP_LISTEN_VAR_LENGTH_PREFIX);
            }
            uint64_t n = tp_listen_read_le(w->buffer + w->position, TP_LISTEN_VAR_LENGTH_PREFIX);
            w->position += TP_LISTEN_VAR_LENGTH_PREFIX;
            if (w->length - w->position < n)
            {
                return tp_listen_fail(w, f->name, (size_t)n);
            }
            if (NULL != w->out)
            {
                tp_listen_print_name(w, f->name, first);
                tp_listen_print_string(w->out, w->buffer + w->position, (size_t)n, w->json);
            }
            w->position += (size_t)n;
        }
        first = false;
    }
    return true;
}

static const tp_listen_schema_t *tp_listen_find_schema(uint16_t schema_id)
{
    for (size_t i = 0; i < tp_listen_schema_count; i++)
    {
        if (tp_listen_schemas[i].schema_id == schema_id)
        {
            return &tp_listen_schemas[i];
        }
    }
    return NULL;
}

static const tp_listen_message_t *tp_listen_find_message(const tp_listen_schema_t *schema, uint16_t template_id)
{
    for (size_t i = 0; i < schema->message_count; i++)
    {
        if (schema->messages[i].template_id == template_id)
        {
            return &schema->messages[i];
        }
    }
    return NULL;
}

static void tp_listen_print_prefix(const tp_listen_origin_t *origin, bool json, FILE *out)
{
    int64_t ts = origin->receive_timestamp_ns;
    if (json)
    {
        fprintf(out, "{\"receive_timestamp_ns\":%" PRId64 ",\"stream_id\":%" PRId32 ",", ts, origin->stream_id);
    }
    else
    {
        int64_t s = ts / 1000000000;
        int64_t ns = ts % 1000000000;
        fprintf(out, "%" PRId64 ".%09" PRId64 " stream=%" PRId32 " ", s, ns < 0 ? -ns : ns, origin->stream_id);
    }
}

static tp_listen_result_t tp_listen_print_other(const tp_listen_origin_t *origin, bool json, FILE *out, size_t length,
                                                const char *status, const char *reason, const uint8_t *header)
{
    tp_listen_print_prefix(origin, json, out);
    if (json)
    {
        fprintf(out, "\"status\":\"%s\",\"length\":%zu", status, length);
        if (NULL != header)
        {
            fprintf(out, ",\"schema_id\":%u,\"template_id\":%u,\"version\":%u,\"block_length\":%u",
                    (unsigned)tp_listen_read_le(header + 4, 2), (unsigned)tp_listen_read_le(header + 2, 2),
                    (unsigned)tp_listen_read_le(header + 6, 2), (unsigned)tp_listen_read_le(header, 2));
        }
        fputs(",\"reason\":", out);
        tp_listen_print_string(out, (const uint8_t *)reason, strlen(reason), true);
        fputs("}\n", out);
    }
    else
    {
        fprintf(out, "%s length=%zu", status, length);
        if (NULL != header)
        {
            fprintf(out, " schema=%u template=%u version=%u block_length=%u",
                    (unsigned)tp_listen_read_le(header + 4, 2), (unsigned)tp_listen_read_le(header + 2, 2),
                    (unsigned)tp_listen_read_le(header + 6, 2), (unsigned)tp_listen_read_le(header, 2));
        }
        fprintf(out, " reason=\"%s\"\n", reason);
    }
    return 0 == strcmp(status, "UNKNOWN") ? TP_LISTEN_UNKNOWN : TP_LISTEN_MALFORMED;
}

tp_listen_result_t tp_listen_decode(const uint8_t *buffer, size_t length, const tp_listen_origin_t *origin, bool json,
                                    FILE *out)
{
    if (NULL == buffer || length < TP_LISTEN_HEADER_LENGTH)
    {
        return tp_listen_print_other(origin, json, out, length, "MALFORMED", "shorter than the 8-byte SBE header",
                                     NULL);
    }
    uint16_t block_length = (uint16_t)tp_listen_read_le(buffer, 2);
    uint16_t template_id = (uint16_t)tp_listen_read_le(buffer + 2, 2);
    uint16_t schema_id = (uint16_t)tp_listen_read_le(buffer + 4, 2);
    uint16_t version = (uint16_t)tp_listen_read_le(buffer + 6, 2);
    const tp_listen_schema_t *schema = tp_listen_find_schema(schema_id);
    if (NULL == schema)
    {
        return tp_listen_print_other(origin, json, out, length, "UNKNOWN", "unknown schema", buffer);
    }
    const tp_listen_message_t *message = tp_listen_find_message(schema, template_id);
    if (NULL == message)
    {
        return tp_listen_print_other(origin, json, out, length, "UNKNOWN", "unknown template", buffer);
    }

    tp_listen_walk_t w = {.buffer = buffer, .length = length, .position = TP_LISTEN_HEADER_LENGTH, .json = json};
    if (!tp_listen_walk_block(&w, message->fields, message->field_count, block_length, 0))
    {
        char reason[200];
        snprintf(reason, sizeof(reason), "%s: %s", message->name, w.reason);
        return tp_listen_print_other(origin, json, out, length, "MALFORMED", reason, buffer);
    }

    tp_listen_print_prefix(origin, json, out);
    if (json)
    {
        fprintf(out,
                "\"status\":\"OK\",\"length\":%zu,\"schema_id\":%u,\"schema\":\"%s\",\"template_id\":%u,"
                "\"message\":\"%s\",\"version\":%u,\"block_length\":%u,\"fields\":{",
                length, (unsigned)schema_id, schema->package, (unsigned)template_id, message->name, (unsigned)version,
                (unsigned)block_length);
    }
    else
    {
        fprintf(out, "%s.%s length=%zu version=%u: ", schema->package, message->name, length, (unsigned)version);
    }
    w.position = TP_LISTEN_HEADER_LENGTH;
    w.out = out;
    tp_listen_walk_block(&w, message->fields, message->field_count, block_length, 0);
    fputs(json ? "}}\n" : "\n", out);
    return TP_LISTEN_DECODED;
}
