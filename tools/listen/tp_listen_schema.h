/*
 * Field tables of the SBE schemas the listener decodes (wire 900, driver 901, discovery 910), generated at build
 * time from schemas/tensorpool_{wire,driver,discovery}.xml by tp_listen_gen.py, so the listener prints every field the
 * schemas define.
 */
#ifndef TENSORPOOL_TP_LISTEN_SCHEMA_H
#define TENSORPOOL_TP_LISTEN_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

typedef enum tp_listen_prim_en
{
    TP_LISTEN_PRIM_CHAR,
    TP_LISTEN_PRIM_INT8,
    TP_LISTEN_PRIM_UINT8,
    TP_LISTEN_PRIM_INT16,
    TP_LISTEN_PRIM_UINT16,
    TP_LISTEN_PRIM_INT32,
    TP_LISTEN_PRIM_UINT32,
    TP_LISTEN_PRIM_INT64,
    TP_LISTEN_PRIM_UINT64,
    TP_LISTEN_PRIM_FLOAT,
    TP_LISTEN_PRIM_DOUBLE
} tp_listen_prim_t;

typedef enum tp_listen_kind_en
{
    TP_LISTEN_FIELD,
    TP_LISTEN_GROUP,
    TP_LISTEN_DATA
} tp_listen_kind_t;

typedef struct tp_listen_enum_value_stct
{
    int64_t value;
    const char *name;
} tp_listen_enum_value_t;

typedef struct tp_listen_field_stct
{
    tp_listen_kind_t kind;
    const char *name;
    tp_listen_prim_t prim;
    uint32_t offset;
    uint32_t length; /* array length of a fixed field (1 for a scalar) */
    const tp_listen_enum_value_t *enum_values;
    size_t enum_count;
    const struct tp_listen_field_stct *group_fields;
    size_t group_field_count;
    int text; /* a char array or var-ASCII data: shown as a string */
} tp_listen_field_t;

typedef struct tp_listen_message_stct
{
    uint16_t template_id;
    const char *name;
    const tp_listen_field_t *fields;
    size_t field_count;
    uint16_t block_length; /* the schema's: a received block length shorter than this is malformed */
} tp_listen_message_t;

typedef struct tp_listen_schema_stct
{
    uint16_t schema_id;
    uint16_t version;
    const char *package;
    const tp_listen_message_t *messages;
    size_t message_count;
} tp_listen_schema_t;

extern const tp_listen_schema_t tp_listen_schemas[];
extern const size_t tp_listen_schema_count;

#endif /* TENSORPOOL_TP_LISTEN_SCHEMA_H */
