#!/usr/bin/env python3
"""The generator refuses schemas it cannot generate faithfully, and honours the namespace override.

Run by ctest with the generator's path as the only argument.
"""

import os
import subprocess
import sys
import tempfile
import unittest

GENERATOR = None

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<sbe:messageSchema xmlns:sbe="http://fixprotocol.io/2016/sbe" package="t.gen" id="5" version="1"
                   byteOrder="littleEndian">
  <types>
    <composite name="messageHeader">
      <type name="blockLength" primitiveType="uint16"/>
      <type name="templateId"  primitiveType="uint16"/>
      <type name="schemaId"    primitiveType="uint16"/>
      <type name="version"     primitiveType="uint16"/>
    </composite>
    <composite name="groupSizeEncoding">
      <type name="blockLength" primitiveType="uint16"/>
      <type name="numInGroup"  primitiveType="uint16"/>
    </composite>
    <composite name="varDataEncoding">
      <type name="length"  primitiveType="uint32" maxValue="1073741824"/>
      <type name="varData" primitiveType="uint8" length="0"/>
    </composite>
  </types>
"""


def run(body, *extra):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.xml")
        with open(path, "w") as fh:
            fh.write(HEADER + body + "</sbe:messageSchema>\n")
        out = os.path.join(tmp, "out")
        proc = subprocess.run([sys.executable, GENERATOR, "--output", out] + list(extra) + [path],
                              capture_output=True, text=True)
        names = sorted(os.listdir(os.path.join(out, os.listdir(out)[0]))) if os.path.isdir(out) and os.listdir(
            out) else []
        dirs = os.listdir(out) if os.path.isdir(out) else []
        return proc.returncode, proc.stderr, dirs, names


class CodegenErrors(unittest.TestCase):
    def test_valid_schema_generates_one_header_per_type_and_message(self):
        rc, err, dirs, names = run('<sbe:message name="Ping" id="1"><field name="a" id="1" type="uint32"/>'
                                   '</sbe:message>')
        self.assertEqual(0, rc, err)
        self.assertEqual(["t_gen"], dirs)
        self.assertEqual(["groupSizeEncoding.h", "messageHeader.h", "ping.h", "varDataEncoding.h"], names)

    def test_namespace_override(self):
        rc, err, dirs, _ = run('<sbe:message name="Ping" id="1"/>', "--namespace", "my.codecs")
        self.assertEqual(0, rc, err)
        self.assertEqual(["my_codecs"], dirs)

    def test_block_length_smaller_than_fields(self):
        rc, err, _, _ = run('<sbe:message name="Ping" id="1" blockLength="3">'
                            '<field name="a" id="1" type="uint32"/></sbe:message>')
        self.assertEqual(1, rc)
        self.assertIn("blockLength 3 is smaller than its fields (4)", err)

    def test_offset_going_backwards(self):
        rc, err, _, _ = run('<sbe:message name="Ping" id="1"><field name="a" id="1" type="uint32"/>'
                            '<field name="b" id="2" type="uint32" offset="2"/></sbe:message>')
        self.assertEqual(1, rc)
        self.assertIn("offset 2 goes backwards", err)

    def test_field_after_data(self):
        rc, err, _, _ = run('<sbe:message name="Ping" id="1"><data name="d" id="1" type="varDataEncoding"/>'
                            '<field name="a" id="2" type="uint32"/></sbe:message>')
        self.assertEqual(1, rc)
        self.assertIn("fields must come before groups and data", err)

    def test_unknown_type(self):
        rc, err, _, _ = run('<sbe:message name="Ping" id="1"><field name="a" id="1" type="nope"/></sbe:message>')
        self.assertEqual(1, rc)
        self.assertIn("unknown type 'nope'", err)

    def test_duplicate_template_id(self):
        rc, err, _, _ = run('<sbe:message name="A" id="1"/><sbe:message name="B" id="1"/>')
        self.assertEqual(1, rc)
        self.assertIn("template id 1 used twice", err)

    def test_c_keyword_name(self):
        rc, err, _, _ = run('<sbe:message name="A" id="1"><field name="int" id="1" type="uint8"/></sbe:message>')
        self.assertEqual(1, rc)
        self.assertIn("C keyword", err)

    def test_field_level_null_value_that_differs_is_reported(self):
        rc, err, _, _ = run('<sbe:message name="A" id="1"><field name="a" id="1" type="uint8" nullValue="7"/>'
                            '</sbe:message>')
        self.assertEqual(0, rc, err)
        self.assertIn("warning: A.a nullValue=7 differs", err)


if __name__ == "__main__":
    GENERATOR = sys.argv.pop(1)
    unittest.main()
