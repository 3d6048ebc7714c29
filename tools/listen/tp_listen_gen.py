#!/usr/bin/env python3
"""Generates tp_listen_schema_tables.c: a field table per message of the given SBE schemas, read by the
table-driven decoder in tp_listen_decode.c (so every field, group and var-data of schemas 900, 901 and 910 is
printed without a hand-written printer per message). Usage: tp_listen_gen.py OUT.c SCHEMA.xml..."""
import sys
import xml.etree.ElementTree as ET

PRIMS = {"char": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8,
         "uint64": 8, "float": 4, "double": 8}


def local(tag):
    return tag.split("}")[-1]


class Gen:
    def __init__(self):
        self.lines = []
        self.n = 0

    def uid(self, base):
        self.n += 1
        return "%s_%d" % (base, self.n)


def load(path, gen, schemas_out):
    root = ET.parse(path).getroot()
    schema_id = int(root.get("id"))
    version = int(root.get("version", "0"))
    pkg = root.get("package")
    types = {}
    enums = {}
    for types_el in [e for e in root if local(e.tag) == "types"]:
        for t in types_el:
            kind = local(t.tag)
            name = t.get("name")
            if kind == "type":
                types[name] = (t.get("primitiveType"), int(t.get("length", "1")), t.get("presence") == "constant",
                               t.get("characterEncoding") is not None)
            elif kind == "enum":
                vals = [(v.get("name"), int(v.text.strip())) for v in t if local(v.tag) == "validValue"]
                enums[name] = (t.get("encodingType"), vals)
            elif kind == "composite":
                types[name] = ("composite", 0, False, False)

    def resolve(tname):
        if tname in PRIMS:
            return tname, 1, None, False
        if tname in enums:
            return enums[tname][0], 1, tname, False
        prim, length, const, text = types[tname]
        return prim, length, None, text

    enum_arrays = {}
    for ename, (_, vals) in enums.items():
        arr = "tp_listen_enum_%d_%s" % (schema_id, ename)
        gen.lines.append("static const tp_listen_enum_value_t %s[] = {%s};" % (
            arr, ", ".join('{%d, "%s"}' % (v, n) for n, v in vals)))
        enum_arrays[ename] = (arr, len(vals))

    def block(el, prefix):
        """Emits the field array of a message or group; returns (array name, count, block length)."""
        fields = []
        var_fields = []
        offset = 0
        for f in el:
            kind = local(f.tag)
            if kind == "field" and types.get(f.get("type"), ("",))[0] == "composite":
                # A var-data composite declared as a field takes no block bytes: var data (codegen/README.md).
                var_fields.append(f)
            elif kind == "field":
                prim, length, enum, text = resolve(f.get("type"))
                if f.get("presence") == "constant" or (f.get("type") in types and types[f.get("type")][2]):
                    continue
                if f.get("offset"):
                    offset = int(f.get("offset"))
                size = PRIMS[prim] * length
                enum_ref = "%s, %d" % enum_arrays[enum] if enum else "NULL, 0"
                fields.append('{TP_LISTEN_FIELD, "%s", TP_LISTEN_PRIM_%s, %d, %d, %s, NULL, 0, %d}' % (
                    f.get("name"), prim.upper(), offset, length, enum_ref, 1 if text else 0))
                offset += size
        for g in el:
            if local(g.tag) == "group":
                arr, count, blen = block(g, prefix + "_" + g.get("name"))
                fields.append('{TP_LISTEN_GROUP, "%s", TP_LISTEN_PRIM_UINT8, 0, 0, NULL, 0, %s, %d, 0}' % (
                    g.get("name"), arr, count))
        for d in var_fields + [d for d in el if local(d.tag) == "data"]:
            if True:
                # varAsciiEncoding is text; varDataEncoding bytes (shown escaped either way).
                is_text = 1 if "Ascii" in d.get("type") else 0
                fields.append('{TP_LISTEN_DATA, "%s", TP_LISTEN_PRIM_UINT8, 0, 0, NULL, 0, NULL, 0, %d}' % (
                    d.get("name"), is_text))
        blen = int(el.get("blockLength", offset)) if el.get("blockLength") else offset
        arr = gen.uid("tp_listen_fields_%d_%s" % (schema_id, prefix))
        if fields:
            gen.lines.append("static const tp_listen_field_t %s[] = {\n    %s};" % (arr, ",\n    ".join(fields)))
        else:
            arr = "NULL"
        return arr, len(fields), blen

    msgs = []
    for m in [e for e in root if local(e.tag) == "message"]:
        arr, count, blen = block(m, m.get("name"))
        msgs.append('{%d, "%s", %s, %d, %d}' % (int(m.get("id")), m.get("name"), arr, count, blen))
    marr = "tp_listen_messages_%d" % schema_id
    gen.lines.append("static const tp_listen_message_t %s[] = {\n    %s};" % (marr, ",\n    ".join(msgs)))
    schemas_out.append('{%d, %d, "%s", %s, %d}' % (schema_id, version, pkg, marr, len(msgs)))


def main():
    out = sys.argv[1]
    gen = Gen()
    schemas = []
    for path in sys.argv[2:]:
        load(path, gen, schemas)
    with open(out, "w") as f:
        f.write("/* Generated by tools/listen/tp_listen_gen.py from schemas/tensorpool_{wire,driver,discovery}.xml; do not edit. */\n")
        f.write('#include "tp_listen_schema.h"\n\n')
        f.write("\n".join(gen.lines))
        f.write("\n\nconst tp_listen_schema_t tp_listen_schemas[] = {\n    %s};\n" % ",\n    ".join(schemas))
        f.write("const size_t tp_listen_schema_count = %d;\n" % len(schemas))


if __name__ == "__main__":
    main()
