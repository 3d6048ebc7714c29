#!/usr/bin/env python3
"""SBE 1.0 C code generator for tensorpool.

Reads an SBE XML message schema and writes header-only C flyweights that follow the file layout and the
function names of the official sbe-tool C generator, so that code written against sbe-tool output compiles
against ours. The decoders add bounds checks that sbe-tool leaves out (see codegen/README.md).

Usage: sbe_codegen.py --output DIR [--namespace NS] [--stamp FILE] SCHEMA.xml [SCHEMA.xml ...]

Python 3 standard library only.
"""

import argparse
import os
import sys
import xml.etree.ElementTree as ET

SBE_NS = "http://fixprotocol.io/2016/sbe"

# name: (C type, size, min literal, max literal, null literal)
PRIMITIVES = {
    "char": ("char", 1, 0x20, 0x7E, 0),
    "int8": ("int8_t", 1, -127, 127, -128),
    "uint8": ("uint8_t", 1, 0, 254, 255),
    "int16": ("int16_t", 2, -32767, 32767, -32768),
    "uint16": ("uint16_t", 2, 0, 65534, 65535),
    "int32": ("int32_t", 4, -(2**31) + 1, 2**31 - 1, -(2**31)),
    "uint32": ("uint32_t", 4, 0, 2**32 - 2, 2**32 - 1),
    "int64": ("int64_t", 8, -(2**63) + 1, 2**63 - 1, -(2**63)),
    "uint64": ("uint64_t", 8, 0, 2**64 - 2, 2**64 - 1),
    "float": ("float", 4, "-FLT_MAX", "FLT_MAX", "NAN"),
    "double": ("double", 8, "-DBL_MAX", "DBL_MAX", "NAN"),
}

C_KEYWORDS = set(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile "
    "while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert "
    "_Thread_local bool true false".split()
)


class SchemaError(Exception):
    pass


def lower_first(name):
    return name[:1].lower() + name[1:]


def upper_snake(name):
    out = []
    for ch in name:
        if ch.isupper():
            out.append("_")
        out.append(ch)
    return "".join(out).upper()


def parse_int(text, what):
    try:
        return int(text.strip(), 0)
    except (ValueError, AttributeError):
        raise SchemaError("%s: '%s' is not an integer" % (what, text))


# ---------------------------------------------------------------------------------------------------------------
# Schema model


class Prim:
    """A primitive type, possibly with a length (array) and overridden min/max/null, or a constant."""

    kind = "prim"

    def __init__(self, name, prim, length=1, presence="required", const_value=None, null=None, min_v=None,
                 max_v=None, char_encoding=None, since=0):
        if prim not in PRIMITIVES:
            raise SchemaError("type %s: unknown primitiveType '%s'" % (name, prim))
        self.name = name
        self.prim = prim
        self.ctype, self.elem_size, dmin, dmax, dnull = PRIMITIVES[prim]
        self.length = length
        self.presence = presence
        self.const_value = const_value
        self.null = dnull if null is None else null
        self.min = dmin if min_v is None else min_v
        self.max = dmax if max_v is None else max_v
        self.default_null = null is None
        self.char_encoding = char_encoding
        self.since = since

    @property
    def size(self):
        if self.presence == "constant":
            return 0
        return self.elem_size * self.length


class Enum:
    kind = "enum"

    def __init__(self, name, enc, values, since=0):
        self.name = name
        self.enc = enc  # a Prim
        self.values = values  # list of (name, literal text, int value)
        self.since = since

    @property
    def size(self):
        return self.enc.elem_size


class Composite:
    kind = "composite"

    def __init__(self, name, members, since=0):
        self.name = name
        self.members = members  # list of (name, type object, offset)
        self.since = since

    @property
    def size(self):
        end = 0
        for _, t, off in self.members:
            end = max(end, off + t.size)
        return end

    @property
    def is_var(self):
        """A composite with a zero-length member is a var-data encoding (length prefix + bytes)."""
        return any(t.kind == "prim" and t.length == 0 for _, t, _ in self.members)

    def member(self, name):
        for n, t, off in self.members:
            if n == name:
                return t, off
        raise SchemaError("composite %s has no member '%s'" % (self.name, name))


class Field:
    def __init__(self, name, fid, type_, offset, presence, since, const_literal=None):
        self.name = name
        self.id = fid
        self.type = type_
        self.offset = offset
        self.presence = presence
        self.since = since
        self.const_literal = const_literal

    @property
    def wire_size(self):
        if self.presence == "constant":
            return 0
        if self.type.kind == "composite" and self.type.is_var:
            return 0  # sbe-tool treats a var-data composite used as a field as variable length: no block bytes
        return self.type.size


class Data:
    def __init__(self, name, did, type_, since):
        self.name = name
        self.id = did
        self.type = type_
        self.since = since


class Block:
    """A message or a repeating group: fixed fields, then groups, then var data."""

    def __init__(self, name, bid, fields, groups, datas, block_length, since=0, dim_type=None,
                 semantic_type=""):
        self.name = name
        self.id = bid
        self.fields = fields
        self.groups = groups
        self.datas = datas
        self.block_length = block_length
        self.since = since
        self.dim_type = dim_type
        self.semantic_type = semantic_type

    def required_block_length(self, acting_version):
        """Bytes of the block a decoder at this acting version must see: every field that exists in that version."""
        end = 0
        for f in self.fields:
            if f.since <= acting_version and f.wire_size:
                end = max(end, f.offset + f.wire_size)
        return end


class Schema:
    pass


def local(tag):
    return tag.split("}", 1)[1] if "}" in tag else tag


def parse_prim_type(el, name):
    prim = el.get("primitiveType")
    length = parse_int(el.get("length", "1"), "type %s length" % name)
    presence = el.get("presence", "required")
    const_value = None
    if presence == "constant":
        const_value = (el.text or "").strip()
        if not const_value:
            raise SchemaError("constant type %s has no value" % name)

    def num(attr):
        v = el.get(attr)
        if v is None:
            return None
        if prim in ("float", "double"):
            return v
        if prim == "char" and len(v) == 1 and not v.isdigit():
            return ord(v)
        return parse_int(v, "type %s %s" % (name, attr))

    return Prim(name, prim, length, presence, const_value, num("nullValue"), num("minValue"), num("maxValue"),
                el.get("characterEncoding"), int(el.get("sinceVersion", "0")))


def parse_schema(path, namespace_override=None):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise SchemaError("%s: %s" % (path, e))
    if local(root.tag) != "messageSchema":
        raise SchemaError("%s: root element is not messageSchema" % path)
    s = Schema()
    s.path = path
    s.package = root.get("package")
    s.id = parse_int(root.get("id"), "schema id")
    s.version = parse_int(root.get("version", "0"), "schema version")
    s.semantic_version = root.get("semanticVersion", "")
    s.byte_order = root.get("byteOrder", "littleEndian")
    if s.byte_order != "littleEndian":
        raise SchemaError("%s: only littleEndian schemas are supported" % path)
    s.header_type_name = root.get("headerType", "messageHeader")
    ns = namespace_override or s.package
    s.ns = "_".join(ns.split(".")).lower()

    # Collect raw type elements first so that references can point forwards.
    raw = {}
    order = []
    for types_el in root:
        if local(types_el.tag) != "types":
            continue
        for el in types_el:
            k = local(el.tag)
            if k not in ("type", "composite", "enum", "set"):
                continue
            n = el.get("name")
            if n in raw:
                raise SchemaError("%s: type '%s' defined twice" % (path, n))
            raw[n] = el
            order.append(n)

    resolved = {}

    def resolve(n, stack=()):
        if n in PRIMITIVES:
            return Prim(n, n)
        if n in resolved:
            return resolved[n]
        if n not in raw:
            raise SchemaError("%s: unknown type '%s'" % (path, n))
        if n in stack:
            raise SchemaError("%s: type '%s' refers to itself" % (path, n))
        el = raw[n]
        t = build(el, n, stack + (n,))
        resolved[n] = t
        return t

    def build(el, n, stack):
        k = local(el.tag)
        if k == "type":
            return parse_prim_type(el, n)
        if k == "enum":
            enc_name = el.get("encodingType")
            enc = resolve(enc_name, stack)
            if enc.kind != "prim" or enc.length != 1 or enc.prim in ("float", "double"):
                raise SchemaError("enum %s: encodingType '%s' is not an integer or char type" % (n, enc_name))
            vals = []
            for v in el:
                if local(v.tag) != "validValue":
                    continue
                text = (v.text or "").strip()
                if enc.prim == "char":
                    if len(text) != 1:
                        raise SchemaError("enum %s value %s: char enums need one character" % (n, v.get("name")))
                    vals.append((v.get("name"), "'%s'" % text, ord(text)))
                else:
                    iv = parse_int(text, "enum %s value %s" % (n, v.get("name")))
                    vals.append((v.get("name"), str(iv), iv))
            return Enum(n, enc, vals, int(el.get("sinceVersion", "0")))
        if k == "composite":
            members = []
            off = 0
            for m in el:
                mk = local(m.tag)
                mn = m.get("name")
                if mk == "ref":
                    mt = resolve(m.get("type"), stack)
                elif mk in ("type", "enum", "composite"):
                    mt = build(m, mn, stack + (mn,))
                else:
                    continue
                if m.get("offset") is not None:
                    o = parse_int(m.get("offset"), "composite %s member %s offset" % (n, mn))
                    if o < off:
                        raise SchemaError("composite %s member %s: offset %d goes backwards" % (n, mn, o))
                    off = o
                members.append((mn, mt, off))
                off += mt.size
            return Composite(n, members, int(el.get("sinceVersion", "0")))
        raise SchemaError("%s: type kind '%s' (%s) is not supported" % (path, k, n))

    s.types = [resolve(n) for n in order]
    s.type_by_name = dict((t.name, t) for t in s.types)
    hdr = s.type_by_name.get(s.header_type_name)
    if hdr is None or hdr.kind != "composite":
        raise SchemaError("%s: header composite '%s' missing" % (path, s.header_type_name))
    s.header = hdr

    def parse_block(el, what):
        fields, groups, datas = [], [], []
        off = 0
        stage = 0  # 0 fields, 1 groups, 2 data: SBE requires this order
        for c in el:
            k = local(c.tag)
            if k not in ("field", "group", "data"):
                continue
            cname = c.get("name")
            if cname in C_KEYWORDS:
                raise SchemaError("%s.%s: name is a C keyword" % (what, cname))
            cid = parse_int(c.get("id"), "%s.%s id" % (what, cname))
            since = int(c.get("sinceVersion", "0"))
            if k == "field":
                if stage != 0:
                    raise SchemaError("%s.%s: fields must come before groups and data" % (what, cname))
                t = resolve(c.get("type"))
                presence = c.get("presence") or (t.presence if t.kind == "prim" else "required")
                if t.kind == "prim" and t.presence == "constant":
                    presence = "constant"
                const_literal = None
                if presence == "constant":
                    if t.kind != "prim" or t.length != 1 or t.const_value is None:
                        raise SchemaError("%s.%s: only scalar primitive constants are supported" % (what, cname))
                    const_literal = t.const_value
                if c.get("offset") is not None:
                    o = parse_int(c.get("offset"), "%s.%s offset" % (what, cname))
                    if o < off:
                        raise SchemaError("%s.%s: offset %d goes backwards (next free is %d)" % (what, cname, o, off))
                    off = o
                # sbe-tool reads length/nullValue/minValue/maxValue only from <type>, never from <field>.
                fnull = c.get("nullValue")
                if fnull is not None and t.kind == "prim" and t.prim not in ("float", "double"):
                    if parse_int(fnull, "%s.%s nullValue" % (what, cname)) != t.null:
                        sys.stderr.write("sbe_codegen: warning: %s.%s nullValue=%s differs from the type's %s and is "
                                         "ignored like sbe-tool does\n" % (what, cname, fnull, t.null))
                f = Field(cname, cid, t, off, presence, since, const_literal)
                fields.append(f)
                off += f.wire_size
            elif k == "group":
                if stage > 1:
                    raise SchemaError("%s.%s: groups must come before data" % (what, cname))
                stage = 1
                dim = resolve(c.get("dimensionType", "groupSizeEncoding"))
                if dim.kind != "composite":
                    raise SchemaError("%s.%s: dimensionType is not a composite" % (what, cname))
                dim.member("blockLength")
                dim.member("numInGroup")
                g = parse_block(c, "%s.%s" % (what, cname))
                g.name = cname
                g.id = cid
                g.since = since
                g.dim_type = dim
                groups.append(g)
            else:
                stage = 2
                t = resolve(c.get("type"))
                if t.kind != "composite" or not t.is_var:
                    raise SchemaError("%s.%s: data type must be a var-data composite" % (what, cname))
                lt, loff = t.member("length")
                if loff != 0 or lt.prim not in ("uint8", "uint16", "uint32"):
                    raise SchemaError("%s.%s: length prefix must be uint8/16/32 at offset 0" % (what, cname))
                datas.append(Data(cname, cid, t, since))
        computed = off
        attr = el.get("blockLength")
        block_length = computed
        if attr is not None:
            a = parse_int(attr, "%s blockLength" % what)
            if a < computed:
                raise SchemaError("%s: blockLength %d is smaller than its fields (%d)" % (what, a, computed))
            block_length = a
        return Block(el.get("name"), None, fields, groups, datas, block_length, int(el.get("sinceVersion", "0")),
                     semantic_type=el.get("semanticType", ""))

    s.messages = []
    ids = set()
    for el in root:
        if local(el.tag) != "message":
            continue
        m = parse_block(el, el.get("name"))
        m.id = parse_int(el.get("id"), "message %s id" % m.name)
        if m.id in ids:
            raise SchemaError("%s: template id %d used twice" % (path, m.id))
        ids.add(m.id)
        s.messages.append(m)
    return s


# ---------------------------------------------------------------------------------------------------------------
# C emission helpers


def c_literal(t, value):
    """A C expression of type t.ctype for an integer/float value of primitive t."""
    p = t.prim
    if isinstance(value, str):
        if value == "NAN":
            return "SBE_FLOAT_NAN" if p == "float" else "SBE_DOUBLE_NAN"
        if p in ("float", "double"):
            return value if value.lstrip("-").isalpha() or "FLT" in value or "DBL" in value else "(%s)%s" % (
                t.ctype, value)
        value = parse_int(value, "constant")
    if p == "int64":
        if value == -(2**63):
            return "INT64_MIN"
        return "INT64_C(%d)" % value
    if p == "uint64":
        return "UINT64_C(%d)" % value
    if p == "int32":
        if value == -(2**31):
            return "INT32_MIN"
        return "INT32_C(%d)" % value
    if p == "uint32":
        return "UINT32_C(%d)" % value
    if p == "char":
        return "(char)%d" % value
    return "(%s)%d" % (t.ctype, value)


def null_expr(t):
    if t.default_null:
        if t.prim in ("float", "double"):
            return "SBE_FLOAT_NAN" if t.prim == "float" else "SBE_DOUBLE_NAN"
        if t.prim == "char":
            return "(char)0"
        return "SBE_NULLVALUE_%s" % t.prim.upper()
    return c_literal(t, t.null)


PRELUDE = r"""
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef TP_SBE_PRELUDE_DEFINED
#define TP_SBE_PRELUDE_DEFINED

/* The codecs read and write fields with plain memcpy: the wire is little-endian and so must the host be. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tensorpool SBE codecs support little-endian hosts only"
#endif

#define SBE_FLOAT_NAN NAN
#define SBE_DOUBLE_NAN NAN

#define SBE_NULLVALUE_INT8 INT8_MIN
#define SBE_NULLVALUE_INT16 INT16_MIN
#define SBE_NULLVALUE_INT32 INT32_MIN
#define SBE_NULLVALUE_INT64 INT64_MIN
#define SBE_NULLVALUE_UINT8 UINT8_MAX
#define SBE_NULLVALUE_UINT16 UINT16_MAX
#define SBE_NULLVALUE_UINT32 UINT32_MAX
#define SBE_NULLVALUE_UINT64 UINT64_MAX

/* Error numbers stored in errno, the same values as sbe-tool's C output. */
#define E100 -50100
#define E103 -50103
#define E104 -50104
#define E105 -50105
#define E106 -50106
#define E107 -50107
#define E108 -50108
#define E109 -50109
#define E110 -50110

#ifndef SBE_STRERROR_DEFINED
#define SBE_STRERROR_DEFINED
static inline const char *sbe_strerror(const int errnum)
{
    switch (errnum)
    {
        case E100:
            return "buffer too short";
        case E103:
            return "unknown value for enum";
        case E104:
            return "index out of range";
        case E105:
            return "index out of range";
        case E106:
            return "length too large";
        case E107:
            return "buffer too short for flyweight";
        case E108:
            return "buffer too short to support next group index";
        case E109:
            return "length too large for length type";
        case E110:
            return "count outside of allowed range";
        default:
            return "unknown error";
    }
}
#endif

/* True when [pos, pos + len) lies inside a buffer of buffer_length bytes, without overflowing. */
static inline bool tp_sbe_fits(const uint64_t pos, const uint64_t len, const uint64_t buffer_length)
{
    return pos <= buffer_length && len <= buffer_length - pos;
}

static inline uint64_t tp_sbe_read_length(const char *src, const uint64_t header_length)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    switch (header_length)
    {
        case 1:
            memcpy(&v8, src, 1);
            return v8;
        case 2:
            memcpy(&v16, src, 2);
            return v16;
        default:
            memcpy(&v32, src, 4);
            return v32;
    }
}

static inline void tp_sbe_write_length(char *dst, const uint64_t header_length, const uint64_t length)
{
    uint8_t v8 = (uint8_t)length;
    uint16_t v16 = (uint16_t)length;
    uint32_t v32 = (uint32_t)length;
    switch (header_length)
    {
        case 1:
            memcpy(dst, &v8, 1);
            break;
        case 2:
            memcpy(dst, &v16, 2);
            break;
        default:
            memcpy(dst, &v32, 4);
            break;
    }
}

/*
 * Reads the var-data field at *pos: checks that the length prefix and the bytes lie inside the buffer and that
 * the length does not exceed the type's maxValue. On success stores the length, advances *pos past the field
 * and returns a pointer to the bytes; otherwise sets errno = E100, leaves *pos alone and returns NULL.
 */
static inline const char *tp_sbe_var_data_get(
    const char *buffer, const uint64_t buffer_length, uint64_t *const pos, const uint64_t header_length,
    const uint64_t max_length, uint64_t *const length_out)
{
    const uint64_t start = *pos;
    if (!tp_sbe_fits(start, header_length, buffer_length))
    {
        errno = E100;
        return NULL;
    }
    const uint64_t length = tp_sbe_read_length(buffer + start, header_length);
    if (length > max_length || !tp_sbe_fits(start + header_length, length, buffer_length))
    {
        errno = E100;
        return NULL;
    }
    *pos = start + header_length + length;
    *length_out = length;
    return buffer + start + header_length;
}

/* Peeks at the length prefix at pos: 0 if the prefix itself does not fit in the buffer. */
static inline uint64_t tp_sbe_var_data_peek(
    const char *buffer, const uint64_t buffer_length, const uint64_t pos, const uint64_t header_length)
{
    if (!tp_sbe_fits(pos, header_length, buffer_length))
    {
        return 0;
    }
    return tp_sbe_read_length(buffer + pos, header_length);
}

/* Writes a var-data field at *pos. Refuses (NULL, errno E109) lengths over maxValue and (NULL, E100) overflow. */
static inline char *tp_sbe_var_data_put(
    char *buffer, const uint64_t buffer_length, uint64_t *const pos, const uint64_t header_length,
    const uint64_t max_length, const char *src, const uint64_t length)
{
    const uint64_t start = *pos;
    if (length > max_length)
    {
        errno = E109;
        return NULL;
    }
    if (!tp_sbe_fits(start, header_length, buffer_length) ||
        !tp_sbe_fits(start + header_length, length, buffer_length))
    {
        errno = E100;
        return NULL;
    }
    tp_sbe_write_length(buffer + start, header_length, length);
    if (length > 0)
    {
        memcpy(buffer + start + header_length, src, length);
    }
    *pos = start + header_length + length;
    return buffer + start;
}

#endif /* TP_SBE_PRELUDE_DEFINED */
"""


class Emitter:
    def __init__(self, schema):
        self.s = schema
        self.ns = schema.ns
        self.lines = []

    def w(self, text=""):
        self.lines.append(text)

    def scoped(self, name):
        return "%s_%s" % (self.ns, lower_first(name))

    def text(self):
        return "\n".join(self.lines).rstrip() + "\n"

    # -- file framing -------------------------------------------------------------------------------------------

    def begin_file(self, scoped, includes):
        guard = "_%s_H_" % scoped.upper()
        self.w("/* Generated by tensorpool codegen/sbe_codegen.py from %s. Do not edit. */" %
               os.path.basename(self.s.path))
        self.w("#ifndef %s" % guard)
        self.w("#define %s" % guard)
        self.w(PRELUDE)
        for inc in includes:
            self.w('#include "%s.h"' % lower_first(inc))
        self.w("")

    def end_file(self):
        self.w("#endif")

    # -- enum ---------------------------------------------------------------------------------------------------

    def emit_enum(self, e):
        sc = self.scoped(e.name)
        self.begin_file(sc, [])
        self.w("enum %s" % sc)
        self.w("{")
        for vn, lit, _ in e.values:
            self.w("    %s_%s = %s," % (sc, vn, lit))
        self.w("    %s_NULL_VALUE = %s" % (sc, null_expr(e.enc)))
        self.w("};")
        self.w("")
        self.w("/* Maps a raw value to the enum; false (errno E103) for a value the schema does not define. */")
        self.w("static inline bool %s_get(const %s value, enum %s *const out)" % (sc, e.enc.ctype, sc))
        self.w("{")
        self.w("    switch (value)")
        self.w("    {")
        seen = set()
        for vn, lit, iv in e.values:
            if iv in seen:
                continue
            seen.add(iv)
            self.w("        case %s:" % lit)
            self.w("            *out = %s_%s;" % (sc, vn))
            self.w("            return true;")
        if e.enc.null not in seen:
            self.w("        case %s:" % null_expr(e.enc))
            self.w("            *out = %s_NULL_VALUE;" % sc)
            self.w("            return true;")
        self.w("        default:")
        self.w("            errno = E103;")
        self.w("            return false;")
        self.w("    }")
        self.w("}")
        self.w("")
        self.w("static inline uint64_t %s_encoding_length(void)" % sc)
        self.w("{")
        self.w("    return %d;" % e.enc.elem_size)
        self.w("}")
        self.w("")
        self.end_file()

    # -- composite ----------------------------------------------------------------------------------------------

    def composite_deps(self, c):
        deps = []
        for _, t, _ in c.members:
            if t.kind in ("enum", "composite") and t.name in self.s.type_by_name:
                deps.append(t.name)
        return deps

    def emit_composite(self, c):
        sc = self.scoped(c.name)
        self.begin_file(sc, self.composite_deps(c))
        self.w("struct %s" % sc)
        self.w("{")
        self.w("    char *buffer;")
        self.w("    uint64_t buffer_length;")
        self.w("    uint64_t offset;")
        self.w("    uint64_t acting_version;")
        self.w("};")
        self.w("")
        self.emit_meta_enum(sc)
        self.fn("struct %s *" % sc, "%s_reset" % sc,
                ["struct %s *const codec" % sc, "char *buffer", "const uint64_t offset",
                 "const uint64_t buffer_length", "const uint64_t acting_version"],
                ["if (!tp_sbe_fits(offset, %d, buffer_length))" % c.size,
                 "{",
                 "    errno = E107;",
                 "    return NULL;",
                 "}",
                 "codec->buffer = buffer;",
                 "codec->buffer_length = buffer_length;",
                 "codec->offset = offset;",
                 "codec->acting_version = acting_version;",
                 "return codec;"])
        self.fn("struct %s *" % sc, "%s_wrap" % sc,
                ["struct %s *const codec" % sc, "char *buffer", "const uint64_t offset",
                 "const uint64_t acting_version", "const uint64_t buffer_length"],
                ["return %s_reset(codec, buffer, offset, buffer_length, acting_version);" % sc])
        self.fn("uint64_t", "%s_encoded_length" % sc, [], ["return %d;" % c.size])
        self.fn("uint64_t", "%s_offset" % sc, ["const struct %s *const codec" % sc], ["return codec->offset;"])
        self.fn("const char *", "%s_buffer" % sc, ["const struct %s *const codec" % sc], ["return codec->buffer;"])
        self.fn("char *", "%s_mut_buffer" % sc, ["struct %s *const codec" % sc], ["return codec->buffer;"])
        self.fn("uint64_t", "%s_buffer_length" % sc, ["const struct %s *const codec" % sc],
                ["return codec->buffer_length;"])
        self.fn("uint64_t", "%s_acting_version" % sc, ["const struct %s *const codec" % sc],
                ["return codec->acting_version;"])
        self.fn("uint16_t", "%s_sbe_schema_id" % sc, [], ["return (uint16_t)%d;" % self.s.id])
        self.fn("uint16_t", "%s_sbe_schema_version" % sc, [], ["return (uint16_t)%d;" % self.s.version])
        for mn, mt, moff in c.members:
            f = Field(mn, 0xFFFF, mt, moff, mt.presence if mt.kind == "prim" else "required", mt.since,
                      mt.const_value if mt.kind == "prim" and mt.presence == "constant" else None)
            if f.presence == "constant" and (mt.length != 1):
                raise SchemaError("composite %s member %s: only scalar constants are supported" % (c.name, mn))
            self.emit_field(sc, sc, f)
        self.end_file()

    # -- generic pieces -----------------------------------------------------------------------------------------

    def fn(self, ret, name, params, body):
        sep = "" if ret.endswith("*") else " "
        head = "static inline %s%s%s(" % (ret, sep, name)
        one_line = head + (", ".join(params) if params else "void") + ")"
        if len(one_line) <= 120 or not params:
            self.w(one_line)
        else:
            self.w(head)
            self.w(",\n".join("    " + p for p in params) + ")")
        self.w("{")
        for line in body:
            self.w(("    " + line) if line else "")
        self.w("}")
        self.w("")

    def emit_meta_enum(self, sc):
        self.w("enum %s_meta_attribute" % sc)
        self.w("{")
        self.w("    %s_meta_attribute_EPOCH," % sc)
        self.w("    %s_meta_attribute_TIME_UNIT," % sc)
        self.w("    %s_meta_attribute_SEMANTIC_TYPE," % sc)
        self.w("    %s_meta_attribute_PRESENCE" % sc)
        self.w("};")
        self.w("")

    def emit_meta_fn(self, S, meta, name, presence):
        self.fn("const char *", "%s_%s_meta_attribute" % (S, name),
                ["const enum %s_meta_attribute attribute" % meta],
                ["switch (attribute)",
                 "{",
                 "    case %s_meta_attribute_EPOCH:" % meta,
                 "        return \"\";",
                 "    case %s_meta_attribute_TIME_UNIT:" % meta,
                 "        return \"\";",
                 "    case %s_meta_attribute_SEMANTIC_TYPE:" % meta,
                 "        return \"\";",
                 "    case %s_meta_attribute_PRESENCE:" % meta,
                 "        return \"%s\";" % presence,
                 "}",
                 "return \"\";"])

    def in_version_body(self, since):
        if since > 0:
            return ["return codec->acting_version >= %d;" % since]
        return ["(void)codec;", "return true;"]

    def emit_common_field_meta(self, S, meta, f, fid=True):
        self.emit_meta_fn(S, meta, f.name, f.presence)
        if fid:
            self.fn("uint16_t", "%s_%s_id" % (S, f.name), [], ["return %d;" % f.id])
        self.fn("uint64_t", "%s_%s_since_version" % (S, f.name), [], ["return %d;" % f.since])
        self.fn("bool", "%s_%s_in_acting_version" % (S, f.name), ["const struct %s *const codec" % S],
                self.in_version_body(f.since))
        self.fn("size_t", "%s_%s_encoding_offset" % (S, f.name), [], ["return %d;" % f.offset])

    # -- fields -------------------------------------------------------------------------------------------------

    def emit_field(self, S, meta, f):
        t = f.type
        n = f.name
        cs = "const struct %s *const codec" % S
        ms = "struct %s *const codec" % S
        # Composite members have no schema id; sbe-tool still emits S_m_id() and returns -1 as uint16_t
        # (65535, the f.id composites are built with), so programs written against its names compile here.
        self.emit_common_field_meta(S, meta, f)
        since_guard = []
        if t.kind == "prim":
            if f.presence == "constant":
                self.emit_value_limits(S, n, t)
                self.fn("size_t", "%s_%s_encoding_length" % (S, n), [], ["return 0;"])
                self.fn(t.ctype, "%s_%s" % (S, n), [], ["return %s;" % c_literal(t, t.const_value)])
                return
            if t.length == 0:
                # The var-data bytes member of a length-prefixed composite: only its position is meaningful. The
                # limits are those of one element, as sbe-tool gives them.
                self.emit_value_limits(S, n, t)
                self.fn("size_t", "%s_%s_encoding_length" % (S, n), [], ["return 0;"])
                self.fn("uint64_t", "%s_%s_length" % (S, n), [], ["return 0;"])
                if t.char_encoding:
                    self.fn("const char *", "%s_%s_character_encoding" % (S, n), [],
                            ["return \"%s\";" % t.char_encoding])
                return
            if f.since > 0:
                since_guard = ["if (codec->acting_version < %d)" % f.since, "{",
                               "    return %s_%s_null_value();" % (S, n), "}"]
            self.emit_value_limits(S, n, t)
            self.fn("size_t", "%s_%s_encoding_length" % (S, n), [], ["return %d;" % t.size])
            at = "codec->buffer + codec->offset + %d" % f.offset
            if t.length == 1:
                self.fn(t.ctype, "%s_%s" % (S, n), [cs],
                        since_guard + ["%s val;" % t.ctype, "memcpy(&val, %s, sizeof(val));" % at, "return val;"])
                self.fn("struct %s *" % S, "%s_set_%s" % (S, n), [ms, "const %s value" % t.ctype],
                        ["memcpy(%s, &value, sizeof(value));" % at, "return codec;"])
            else:
                self.emit_array(S, f, cs, ms, at)
        elif t.kind == "enum":
            et = self.scoped(t.name)
            enc = t.enc
            self.fn("size_t", "%s_%s_encoding_length" % (S, n), [], ["return %d;" % enc.elem_size])
            at = "codec->buffer + codec->offset + %d" % f.offset
            guard = []
            if f.since > 0:
                guard = ["if (codec->acting_version < %d)" % f.since, "{",
                         "    *out = %s_NULL_VALUE;" % et, "    return true;", "}"]
            self.fn(enc.ctype, "%s_%s_raw" % (S, n), [cs],
                    ["%s val;" % enc.ctype, "memcpy(&val, %s, sizeof(val));" % at, "return val;"])
            self.fn("bool", "%s_%s" % (S, n), [cs, "enum %s *const out" % et],
                    guard + ["%s val;" % enc.ctype, "memcpy(&val, %s, sizeof(val));" % at,
                             "return %s_get(val, out);" % et])
            self.fn("struct %s *" % S, "%s_set_%s" % (S, n), [ms, "const enum %s value" % et],
                    ["const %s val = (%s)value;" % (enc.ctype, enc.ctype),
                     "memcpy(%s, &val, sizeof(val));" % at, "return codec;"])
        elif t.kind == "composite":
            kt = self.scoped(t.name)
            self.fn("size_t", "%s_%s_encoding_length" % (S, n), [], ["return %d;" % t.size])
            self.fn("struct %s *" % kt, "%s_%s" % (S, n), [ms, "struct %s *const composite" % kt],
                    ["return %s_wrap(composite, codec->buffer, codec->offset + %d, codec->acting_version, "
                     "codec->buffer_length);" % (kt, f.offset)])
        else:
            raise SchemaError("field %s: unsupported type kind" % n)

    def emit_value_limits(self, S, n, t):
        self.fn(t.ctype, "%s_%s_null_value" % (S, n), [], ["return %s;" % null_expr(t)])
        self.fn(t.ctype, "%s_%s_min_value" % (S, n), [], ["return %s;" % c_literal(t, t.min)])
        self.fn(t.ctype, "%s_%s_max_value" % (S, n), [], ["return %s;" % c_literal(t, t.max)])

    def emit_array(self, S, f, cs, ms, at):
        t = f.type
        n = f.name
        cnt = t.length
        self.fn("uint64_t", "%s_%s_length" % (S, n), [], ["return %d;" % cnt])
        if t.prim == "char":
            self.fn("const char *", "%s_%s_character_encoding" % (S, n), [],
                    ["return \"%s\";" % (t.char_encoding or "US-ASCII")])
        self.fn("const char *", "%s_%s_buffer" % (S, n), [cs], ["return %s;" % at])
        self.fn("char *", "%s_%s_mut_buffer" % (S, n), [ms], ["return %s;" % at])
        self.fn(t.ctype, "%s_%s_unsafe" % (S, n), [cs, "const uint64_t index"],
                ["%s val;" % t.ctype, "memcpy(&val, %s + (index * %d), sizeof(val));" % (at, t.elem_size),
                 "return val;"])
        self.fn("bool", "%s_%s" % (S, n), [cs, "const uint64_t index", "%s *const out" % t.ctype],
                ["if (index >= %d)" % cnt, "{", "    errno = E104;", "    return false;", "}",
                 "*out = %s_%s_unsafe(codec, index);" % (S, n), "return true;"])
        self.fn("struct %s *" % S, "%s_set_%s_unsafe" % (S, n), [ms, "const uint64_t index",
                                                                "const %s value" % t.ctype],
                ["memcpy(%s + (index * %d), &value, sizeof(value));" % (at, t.elem_size), "return codec;"])
        self.fn("struct %s *" % S, "%s_set_%s" % (S, n), [ms, "const uint64_t index", "const %s value" % t.ctype],
                ["if (index >= %d)" % cnt, "{", "    errno = E105;", "    return NULL;", "}",
                 "return %s_set_%s_unsafe(codec, index, value);" % (S, n)])
        self.w("/* Copies the first length elements (little-endian bytes) into dst; E106 if length > %d. */" % cnt)
        self.fn("char *", "%s_get_%s" % (S, n), [cs, "char *dst", "const uint64_t length"],
                ["if (length > %d)" % cnt, "{", "    errno = E106;", "    return NULL;", "}",
                 "memcpy(dst, %s, length * %d);" % (at, t.elem_size), "return dst;"])
        self.fn("struct %s *" % S, "%s_put_%s" % (S, n), [ms, "const char *src"],
                ["memcpy(%s, src, %d);" % (at, t.size), "return codec;"])
        if t.prim == "char":
            self.w("/* The string up to the first NUL (or all %d bytes when there is none). */" % cnt)
            self.fn("uint64_t", "%s_get_%s_string_length" % (S, n), [cs],
                    ["const char *p = %s;" % at, "uint64_t len = 0;",
                     "while (len < %d && p[len] != 0)" % cnt, "{", "    len++;", "}", "return len;"])
            self.w("/* Stores up to %d bytes of src and pads the rest with NUL; E106 if length > %d. */" % (cnt, cnt))
            self.fn("struct %s *" % S, "%s_put_%s_with_length" % (S, n), [ms, "const char *src",
                                                                          "const uint64_t length"],
                    ["if (length > %d)" % cnt, "{", "    errno = E106;", "    return NULL;", "}",
                     "if (length > 0)", "{", "    memcpy(%s, src, length);" % at, "}",
                     "memset(%s + length, 0, %d - length);" % (at, cnt), "return codec;"])

    # -- var data -----------------------------------------------------------------------------------------------

    def pos_expr(self, is_group):
        return "codec->position_ptr" if is_group else "&codec->position"

    def pos_value(self, is_group):
        return "*codec->position_ptr" if is_group else "codec->position"

    def emit_var_data(self, S, meta, root_sc, d, is_group, pointer_getter=True):
        """Var data d (a Data, or a Field whose type is a var-data composite for the tags quirk)."""
        t = d.type
        lt, _ = t.member("length")
        bt, _ = t.member("varData")
        hl = lt.elem_size
        maxv = lt.max
        n = d.name
        cs = "const struct %s *const codec" % S
        ms = "struct %s *const codec" % S
        pe = self.pos_expr(is_group)
        pv = self.pos_value(is_group)
        absent_ptr = []
        absent_zero = []
        absent_sv = []
        if d.since > 0:
            absent_ptr = ["if (codec->acting_version < %d)" % d.since, "{", "    return NULL;", "}"]
            absent_zero = ["if (codec->acting_version < %d)" % d.since, "{", "    return 0;", "}"]
            absent_sv = ["if (codec->acting_version < %d)" % d.since, "{",
                         "    struct %s_string_view absent = {NULL, 0};" % root_sc, "    return absent;", "}"]
        if pointer_getter:
            self.emit_meta_fn(S, meta, n, "required")
            self.fn("const char *", "%s_%s_character_encoding" % (S, n), [],
                    ["return \"%s\";" % (bt.char_encoding or "null")])
            self.fn("uint64_t", "%s_%s_since_version" % (S, n), [], ["return %d;" % d.since])
            self.fn("bool", "%s_%s_in_acting_version" % (S, n), [cs], self.in_version_body(d.since))
            self.fn("uint16_t", "%s_%s_id" % (S, n), [], ["return %d;" % d.id])
        self.fn("uint64_t", "%s_%s_header_length" % (S, n), [], ["return %d;" % hl])
        self.fn("uint64_t", "%s_%s_max_length" % (S, n), [], ["return %d;" % maxv])
        self.w("/* Peeks at the length prefix without advancing; 0 when the prefix lies outside the buffer. */")
        self.fn("uint%d_t" % (hl * 8), "%s_%s_length" % (S, n), [cs],
                absent_zero + ["return (uint%d_t)tp_sbe_var_data_peek(codec->buffer, codec->buffer_length, %s, %d);"
                               % (hl * 8, pv, hl)])
        if pointer_getter:
            self.w("/* Returns the bytes and advances past them; NULL (errno E100) when prefix or bytes overrun. */")
            self.fn("const char *", "%s_%s" % (S, n), [ms],
                    absent_ptr + ["uint64_t length = 0;",
                                  "return tp_sbe_var_data_get(codec->buffer, codec->buffer_length, %s, %d, %d, "
                                  "&length);" % (pe, hl, maxv)])
        self.w("/* Copies up to length bytes into dst and advances past the field; 0 + errno E100 on overrun. */")
        self.fn("uint64_t", "%s_get_%s" % (S, n), [ms, "char *dst", "const uint64_t length"],
                absent_zero + ["uint64_t data_length = 0;",
                               "const char *src = tp_sbe_var_data_get(codec->buffer, codec->buffer_length, %s, %d, "
                               "%d, &data_length);" % (pe, hl, maxv),
                               "if (NULL == src)", "{", "    return 0;", "}",
                               "const uint64_t n = length < data_length ? length : data_length;",
                               "if (n > 0)", "{", "    memcpy(dst, src, n);", "}",
                               "return n;"])
        self.w("/* {data, length} and advances; {NULL, 0} (errno E100) when prefix or bytes overrun. */")
        self.fn("struct %s_string_view" % root_sc, "%s_get_%s_as_string_view" % (S, n), [ms],
                absent_sv + ["uint64_t data_length = 0;",
                             "const char *src = tp_sbe_var_data_get(codec->buffer, codec->buffer_length, %s, %d, "
                             "%d, &data_length);" % (pe, hl, maxv),
                             "struct %s_string_view ret = {src, NULL == src ? 0 : (size_t)data_length};" % root_sc,
                             "return ret;"])
        self.w("/* Advances past the field without copying; false (errno E100) when it overruns the buffer. */")
        self.fn("bool", "%s_skip_%s" % (S, n), [ms],
                ([l.replace("return NULL;", "return true;") for l in absent_ptr]) +
                ["uint64_t length = 0;",
                 "return NULL != tp_sbe_var_data_get(codec->buffer, codec->buffer_length, %s, %d, %d, &length);"
                 % (pe, hl, maxv)])
        self.w("/* Writes prefix + bytes and advances; NULL with errno E109 (length > %d) or E100 (overflow). */"
               % maxv)
        self.fn("struct %s *" % S, "%s_put_%s" % (S, n), [ms, "const char *src", "const uint%d_t length" % (hl * 8)],
                ["if (NULL == tp_sbe_var_data_put(codec->buffer, codec->buffer_length, %s, %d, %d, src, length))"
                 % (pe, hl, maxv), "{", "    return NULL;", "}", "return codec;"])

    # -- groups -------------------------------------------------------------------------------------------------

    def required_block_body(self, blk):
        """Body of <S>_sbe_required_block_length(acting_version): the smallest block length a decoder accepts."""
        body = []
        # Ascending, so that the first version boundary above the acting version decides.
        versions = sorted(set(f.since for f in blk.fields if f.since > 0))
        for v in versions:
            body.append("if (acting_version < %d)" % v)
            body.append("{")
            body.append("    return %d;" % blk.required_block_length(v - 1))
            body.append("}")
        if not body:
            body.append("(void)acting_version;")
        body.append("return %d;" % blk.block_length)
        return body

    def emit_group(self, O, meta, root_sc, g, outer_is_group):
        S = "%s_%s" % (O, lower_first(g.name))
        dim = g.dim_type
        bl_t, bl_off = dim.member("blockLength")
        ng_t, ng_off = dim.member("numInGroup")
        hsize = dim.size
        cs = "const struct %s *const codec" % S
        ms = "struct %s *const codec" % S
        self.w("struct %s" % S)
        self.w("{")
        self.w("    char *buffer;")
        self.w("    uint64_t buffer_length;")
        self.w("    uint64_t *position_ptr;")
        self.w("    uint64_t block_length;")
        self.w("    uint64_t count;")
        self.w("    uint64_t index;")
        self.w("    uint64_t offset;")
        self.w("    uint64_t acting_version;")
        self.w("};")
        self.w("")
        self.fn("uint64_t *", "%s_sbe_position_ptr" % S, [ms], ["return codec->position_ptr;"])
        self.fn("uint64_t", "%s_sbe_header_size" % S, [], ["return %d;" % hsize])
        self.fn("uint64_t", "%s_sbe_block_length" % S, [], ["return %d;" % g.block_length])
        self.fn("uint64_t", "%s_sbe_required_block_length" % S, ["const uint64_t acting_version"],
                self.required_block_body(g))
        self.w("/*")
        self.w(" * Reads the dimension header at *pos and advances *pos past it. Fails (NULL, errno E100) when the")
        self.w(" * header does not fit, when its blockLength is shorter than this schema's entries, or when")
        self.w(" * numInGroup x blockLength cannot fit in the rest of the buffer.")
        self.w(" */")
        self.fn("struct %s *" % S, "%s_wrap_for_decode" % S,
                [ms, "char *const buffer", "uint64_t *const pos", "const uint64_t acting_version",
                 "const uint64_t buffer_length"],
                ["%s block_length;" % bl_t.ctype,
                 "%s num_in_group;" % ng_t.ctype,
                 "const uint64_t start = *pos;",
                 "if (!tp_sbe_fits(start, %d, buffer_length))" % hsize,
                 "{", "    errno = E100;", "    return NULL;", "}",
                 "memcpy(&block_length, buffer + start + %d, sizeof(block_length));" % bl_off,
                 "memcpy(&num_in_group, buffer + start + %d, sizeof(num_in_group));" % ng_off,
                 "if (block_length < %s_sbe_required_block_length(acting_version) ||" % S,
                 "    !tp_sbe_fits(start + %d, (uint64_t)block_length * (uint64_t)num_in_group, buffer_length))"
                 % hsize,
                 "{", "    errno = E100;", "    return NULL;", "}",
                 "codec->buffer = buffer;",
                 "codec->buffer_length = buffer_length;",
                 "codec->block_length = block_length;",
                 "codec->count = num_in_group;",
                 "codec->index = UINT64_MAX;",
                 "codec->offset = start + %d;" % hsize,
                 "codec->acting_version = acting_version;",
                 "codec->position_ptr = pos;",
                 "*codec->position_ptr = start + %d;" % hsize,
                 "return codec;"])
        self.w("/* Writes the dimension header at *pos; NULL with errno E110 (count > %d) or E100 (overflow). */"
               % ng_t.max)
        self.fn("struct %s *" % S, "%s_wrap_for_encode" % S,
                [ms, "char *const buffer", "const %s count" % ng_t.ctype, "uint64_t *const pos",
                 "const uint64_t acting_version", "const uint64_t buffer_length"],
                ["const %s block_length = (%s)%d;" % (bl_t.ctype, bl_t.ctype, g.block_length),
                 "const uint64_t start = *pos;",
                 "if ((uint64_t)count > %d)" % ng_t.max,
                 "{", "    errno = E110;", "    return NULL;", "}",
                 "if (!tp_sbe_fits(start, %d, buffer_length))" % hsize,
                 "{", "    errno = E100;", "    return NULL;", "}",
                 "memcpy(buffer + start + %d, &block_length, sizeof(block_length));" % bl_off,
                 "memcpy(buffer + start + %d, &count, sizeof(count));" % ng_off,
                 "codec->buffer = buffer;",
                 "codec->buffer_length = buffer_length;",
                 "codec->block_length = block_length;",
                 "codec->count = count;",
                 "codec->index = UINT64_MAX;",
                 "codec->offset = start + %d;" % hsize,
                 "codec->acting_version = acting_version;",
                 "codec->position_ptr = pos;",
                 "*codec->position_ptr = start + %d;" % hsize,
                 "return codec;"])
        self.fn("uint64_t", "%s_sbe_position" % S, [cs], ["return *codec->position_ptr;"])
        self.fn("bool", "%s_set_sbe_position" % S, [ms, "const uint64_t position"],
                ["if (position > codec->buffer_length)", "{", "    errno = E100;", "    return false;", "}",
                 "*codec->position_ptr = position;", "return true;"])
        self.fn("uint64_t", "%s_count" % S, [cs], ["return codec->count;"])
        self.fn("uint64_t", "%s_acting_block_length" % S, [cs], ["return codec->block_length;"])
        self.fn("bool", "%s_has_next" % S, [cs], ["return codec->index + 1 < codec->count;"])
        self.w("/* Moves to the next entry at the current position; NULL (errno E108) past the count or the buffer. */")
        self.fn("struct %s *" % S, "%s_next" % S, [ms],
                ["const uint64_t offset = *codec->position_ptr;",
                 "if (codec->index + 1 >= codec->count || !tp_sbe_fits(offset, codec->block_length, "
                 "codec->buffer_length))",
                 "{", "    errno = E108;", "    return NULL;", "}",
                 "codec->offset = offset;",
                 "*codec->position_ptr = offset + codec->block_length;",
                 "++codec->index;",
                 "return codec;"])
        self.fn("struct %s *" % S, "%s_for_each" % S,
                [ms, "void (*func)(struct %s *, void *)" % S, "void *const context"],
                ["while (%s_has_next(codec))" % S, "{",
                 "    if (NULL == %s_next(codec))" % S, "    {", "        return NULL;", "    }",
                 "    func(codec, context);", "}", "return codec;"])
        self.fn("uint16_t", "%s_id" % S, [], ["return %d;" % g.id])
        self.fn("uint64_t", "%s_since_version" % S, [], ["return %d;" % g.since])
        self.fn("bool", "%s_in_acting_version" % S, ["const struct %s *const codec" % O],
                self.in_version_body(g.since))
        self.emit_block_body(S, meta, root_sc, g, True)
        # Outer conveniences.
        opos = "codec->position_ptr" if outer_is_group else "&codec->position"
        absent = []
        if g.since > 0:
            absent = ["if (codec->acting_version < %d)" % g.since, "{",
                      "    /* Not in the sender's version: an empty group that reads nothing. */",
                      "    property->buffer = codec->buffer;", "    property->buffer_length = codec->buffer_length;",
                      "    property->block_length = 0;", "    property->count = 0;",
                      "    property->index = UINT64_MAX;", "    property->offset = 0;",
                      "    property->acting_version = codec->acting_version;",
                      "    property->position_ptr = %s;" % opos, "    return property;", "}"]
        self.fn("struct %s *" % S, "%s_get_%s" % (O, lower_first(g.name)), ["struct %s *const codec" % O,
                                                             "struct %s *const property" % S],
                absent + ["return %s_wrap_for_decode(property, codec->buffer, %s, codec->acting_version, "
                          "codec->buffer_length);" % (S, opos)])
        self.fn("struct %s *" % S, "%s_set_count" % S, ["struct %s *const codec" % O,
                                                       "struct %s *const property" % S,
                                                       "const %s count" % ng_t.ctype],
                ["return %s_wrap_for_encode(property, codec->buffer, count, %s, codec->acting_version, "
                 "codec->buffer_length);" % (S, opos)])

    def emit_block_body(self, S, meta, root_sc, blk, is_group):
        for f in blk.fields:
            if f.type.kind == "composite" and f.type.is_var and f.presence != "constant":
                # Discovery tags quirk: a var-data composite declared as a fixed field. sbe-tool wraps the
                # composite at the entry offset and callers advance the position by hand; we also emit var-data
                # style accessors that read the field at the current position with bounds checks.
                self.emit_field(S, meta, f)
                self.emit_var_data(S, meta, root_sc, f, is_group, pointer_getter=False)
            else:
                self.emit_field(S, meta, f)
        for g in blk.groups:
            self.emit_group(S, meta, root_sc, g, is_group)
        for d in blk.datas:
            self.emit_var_data(S, meta, root_sc, d, is_group)
        self.emit_validate(S, blk, is_group)

    def emit_validate(self, S, blk, is_group):
        """Our extension: one forward walk over everything after the block, checking every enum on the way."""
        body = []
        for i, f in enumerate(blk.fields):
            if f.presence == "constant":
                continue
            if f.type.kind == "enum":
                body += ["enum %s value_%d;" % (self.scoped(f.type.name), i),
                         "if (!%s_%s(codec, &value_%d))" % (S, f.name, i), "{", "    return false;", "}"]
            elif f.type.kind == "composite" and f.type.is_var:
                body += ["if (!%s_skip_%s(codec))" % (S, f.name), "{", "    return false;", "}"]
        for i, g in enumerate(blk.groups):
            G = "%s_%s" % (S, lower_first(g.name))
            body += ["struct %s group_%d;" % (G, i),
                     "if (NULL == %s_get_%s(codec, &group_%d))" % (S, lower_first(g.name), i), "{",
                     "    return false;", "}",
                     "while (%s_has_next(&group_%d))" % (G, i), "{",
                     "    if (NULL == %s_next(&group_%d) || !%s_sbe_validate_entry(&group_%d))" % (G, i, G, i),
                     "    {", "        return false;", "    }", "}"]
        for d in blk.datas:
            body += ["if (!%s_skip_%s(codec))" % (S, d.name), "{", "    return false;", "}"]
        if not body:
            body = ["(void)codec;"]
        body.append("return true;")
        if is_group:
            self.w("/* Walks the current entry past its nested groups and var data; false (errno set) when malformed. */")
            self.fn("bool", "%s_sbe_validate_entry" % S, ["struct %s *const codec" % S], body)
        else:
            self.w("/*")
            self.w(" * Our extension: walks the whole message from a fresh wrap_for_decode, every group entry, nested")
            self.w(" * group and var-data field, checking every enum field. True when the message is well formed; the")
            self.w(" * position then sits at its end (encoded_length() is the body length). False with errno set")
            self.w(" * (E100, E103, E108) otherwise. Use sbe_rewind() before reading the groups and var data again.")
            self.w(" */")
            self.fn("bool", "%s_sbe_validate" % S, ["struct %s *const codec" % S], body)

    # -- message ------------------------------------------------------------------------------------------------

    def emit_message(self, m):
        M = self.scoped(m.name)
        H = self.scoped(self.s.header.name)
        includes = [t.name for t in self.s.types if t.kind in ("enum", "composite")]
        self.begin_file(M, includes)
        self.w("struct %s" % M)
        self.w("{")
        self.w("    char *buffer;")
        self.w("    uint64_t buffer_length;")
        self.w("    uint64_t offset;")
        self.w("    uint64_t position;")
        self.w("    uint64_t acting_block_length;")
        self.w("    uint64_t acting_version;")
        self.w("};")
        self.w("")
        self.emit_meta_enum(M)
        self.w("struct %s_string_view" % M)
        self.w("{")
        self.w("    const char *data;")
        self.w("    size_t length;")
        self.w("};")
        self.w("")
        cs = "const struct %s *const codec" % M
        ms = "struct %s *const codec" % M
        self.fn("uint64_t", "%s_sbe_position" % M, [cs], ["return codec->position;"])
        self.fn("bool", "%s_set_sbe_position" % M, [ms, "const uint64_t position"],
                ["if (position > codec->buffer_length)", "{", "    errno = E100;", "    return false;", "}",
                 "codec->position = position;", "return true;"])
        self.fn("uint64_t *", "%s_sbe_position_ptr" % M, [ms], ["return &codec->position;"])
        self.w("/* Wraps the body at offset; NULL (errno E100) when acting_block_length bytes do not fit. */")
        self.fn("struct %s *" % M, "%s_reset" % M,
                [ms, "char *buffer", "const uint64_t offset", "const uint64_t buffer_length",
                 "const uint64_t acting_block_length", "const uint64_t acting_version"],
                ["if (!tp_sbe_fits(offset, acting_block_length, buffer_length))",
                 "{", "    errno = E100;", "    return NULL;", "}",
                 "codec->buffer = buffer;",
                 "codec->offset = offset;",
                 "codec->buffer_length = buffer_length;",
                 "codec->acting_block_length = acting_block_length;",
                 "codec->acting_version = acting_version;",
                 "codec->position = offset + acting_block_length;",
                 "return codec;"])
        self.fn("struct %s *" % M, "%s_copy" % M, [ms, "const struct %s *const other" % M],
                ["*codec = *other;", "return codec;"])
        self.fn("uint16_t", "%s_sbe_block_length" % M, [], ["return (uint16_t)%d;" % m.block_length])
        self.w("/* Smallest acting block length the decoder accepts: every field of that version must be present. */")
        self.fn("uint64_t", "%s_sbe_required_block_length" % M, ["const uint64_t acting_version"],
                self.required_block_body(m))
        self.w("#define %s_SBE_TEMPLATE_ID (uint16_t)%d" % (upper_snake(M), m.id))
        self.w("")
        self.fn("uint16_t", "%s_sbe_template_id" % M, [], ["return (uint16_t)%d;" % m.id])
        self.fn("uint16_t", "%s_sbe_schema_id" % M, [], ["return (uint16_t)%d;" % self.s.id])
        self.fn("uint16_t", "%s_sbe_schema_version" % M, [], ["return (uint16_t)%d;" % self.s.version])
        self.fn("const char *", "%s_sbe_semantic_version" % M, [], ["return \"%s\";" % self.s.semantic_version])
        self.fn("const char *", "%s_sbe_semantic_type" % M, [], ["return \"%s\";" % m.semantic_type])
        self.fn("uint64_t", "%s_offset" % M, [cs], ["return codec->offset;"])
        hsize = self.s.header.size
        hdr_sets = []
        for mem, val in (("blockLength", "%s_sbe_block_length()" % M), ("templateId", "%s_sbe_template_id()" % M),
                         ("schemaId", "%s_sbe_schema_id()" % M), ("version", "%s_sbe_schema_version()" % M)):
            self.s.header.member(mem)
            hdr_sets.append("%s_set_%s(hdr, %s);" % (H, mem, val))
        self.w("/* Writes the message header at offset, then wraps the body after it (relative offset 0). */")
        self.fn("struct %s *" % M, "%s_wrap_and_apply_header" % M,
                [ms, "char *buffer", "const uint64_t offset", "const uint64_t buffer_length",
                 "struct %s *const hdr" % H],
                ["if (!tp_sbe_fits(offset, %d, buffer_length))" % hsize,
                 "{", "    errno = E107;", "    return NULL;", "}",
                 "if (NULL == %s_wrap(hdr, buffer + offset, 0, %s_sbe_schema_version(), buffer_length - offset))"
                 % (H, H),
                 "{", "    return NULL;", "}"] + hdr_sets +
                ["return %s_reset(codec, buffer + offset + %d, 0, buffer_length - offset - %d, "
                 "%s_sbe_block_length(), %s_sbe_schema_version());" % (M, hsize, hsize, M, M)])
        self.fn("struct %s *" % M, "%s_wrap_for_encode" % M,
                [ms, "char *buffer", "const uint64_t offset", "const uint64_t buffer_length"],
                ["return %s_reset(codec, buffer, offset, buffer_length, %s_sbe_block_length(), "
                 "%s_sbe_schema_version());" % (M, M, M)])
        self.w("/*")
        self.w(" * Wraps a received body at offset with the header's blockLength and version. Fails (NULL, errno E100)")
        self.w(" * when the block does not fit in the buffer or is shorter than this schema's block for that version;")
        self.w(" * a longer block (newer sender) is accepted and its unknown tail skipped.")
        self.w(" */")
        self.fn("struct %s *" % M, "%s_wrap_for_decode" % M,
                [ms, "char *buffer", "const uint64_t offset", "const uint64_t acting_block_length",
                 "const uint64_t acting_version", "const uint64_t buffer_length"],
                ["if (acting_block_length < %s_sbe_required_block_length(acting_version))" % M,
                 "{", "    errno = E100;", "    return NULL;", "}",
                 "return %s_reset(codec, buffer, offset, buffer_length, acting_block_length, acting_version);" % M])
        self.fn("struct %s *" % M, "%s_sbe_rewind" % M, [ms],
                ["return %s_wrap_for_decode(codec, codec->buffer, codec->offset, codec->acting_block_length, "
                 "codec->acting_version, codec->buffer_length);" % M])
        self.fn("uint64_t", "%s_encoded_length" % M, [cs], ["return codec->position - codec->offset;"])
        self.fn("const char *", "%s_buffer" % M, [cs], ["return codec->buffer;"])
        self.fn("char *", "%s_mut_buffer" % M, [ms], ["return codec->buffer;"])
        self.fn("uint64_t", "%s_buffer_length" % M, [cs], ["return codec->buffer_length;"])
        self.fn("uint64_t", "%s_acting_version" % M, [cs], ["return codec->acting_version;"])
        self.fn("uint64_t", "%s_acting_block_length" % M, [cs], ["return codec->acting_block_length;"])
        self.emit_block_body(M, M, M, m, False)
        self.end_file()


# ---------------------------------------------------------------------------------------------------------------


def generate(schema, out_dir):
    ns_dir = os.path.join(out_dir, schema.ns)
    os.makedirs(ns_dir, exist_ok=True)
    files = {}
    for t in schema.types:
        if t.kind == "enum":
            e = Emitter(schema)
            e.emit_enum(t)
            files[lower_first(t.name) + ".h"] = e.text()
        elif t.kind == "composite":
            e = Emitter(schema)
            e.emit_composite(t)
            files[lower_first(t.name) + ".h"] = e.text()
    for m in schema.messages:
        e = Emitter(schema)
        e.emit_message(m)
        name = lower_first(m.name) + ".h"
        if name in files:
            raise SchemaError("message %s collides with a type of the same name" % m.name)
        files[name] = e.text()
    for name, text in files.items():
        path = os.path.join(ns_dir, name)
        old = None
        if os.path.exists(path):
            with open(path) as fh:
                old = fh.read()
        if old != text:  # leave unchanged headers alone so dependants do not rebuild
            tmp = path + ".tmp"
            with open(tmp, "w") as fh:
                fh.write(text)
            os.replace(tmp, path)
    for name in os.listdir(ns_dir):
        if name.endswith(".h") and name not in files:
            os.remove(os.path.join(ns_dir, name))
    return sorted(files)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate C SBE flyweights (sbe-tool compatible names)")
    ap.add_argument("--output", required=True, help="output directory; headers go to <output>/<namespace>/")
    ap.add_argument("--namespace", help="override the namespace derived from the schema package")
    ap.add_argument("--stamp", help="file to touch after a successful run")
    ap.add_argument("schemas", nargs="+")
    args = ap.parse_args(argv)
    try:
        for path in args.schemas:
            schema = parse_schema(path, args.namespace)
            generate(schema, args.output)
    except SchemaError as e:
        sys.stderr.write("sbe_codegen: error: %s\n" % e)
        return 1
    if args.stamp:
        with open(args.stamp, "w") as fh:
            fh.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
