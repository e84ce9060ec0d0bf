#!/usr/bin/env python3
"""The independent check of Sources/WCFBinary: python-wcfbin (`wcf` 0.5.5 on PyPI, pinned in
scripts/install-deps), run by Tests/WCFBinaryTests/OracleTests.swift.

wcf 0.5.5 does not import as packaged: wcf/xml2records.py imports `wcf.attributes` (the module
is wcf.records.attributes) and a dozen names that wcf/records/__init__.py does not export
(DateTimeTextRecord is spelled DatetimeTextRecord there; `base`, `data` and `ms` are leftovers of
a debugging script); and its XML reader resolves named entities with Python 2's
htmlentitydefs module. The shim below, and nothing else, makes it work: it re-exports the record
classes from their modules and aliases the one misplaced module. No wcf code is changed.

stdin: a JSON list of cases, each {"op": "decode", "hex": ...} (wcf reads the bytes, prints the
XML), {"op": "encode", "xml": ...} (wcf writes the XML as records) or {"op": "canon", "xml": ...};
stdout: a JSON list with, per case, {"xml"|"hex"|"canon": ..., "canon": ...} or {"error": ...}.
"canon" is the XML parsed with ElementTree (namespaces resolved, attributes sorted, text
stripped), so that two spellings of one document compare equal.
"""
import io
import json
import sys
import xml.etree.ElementTree as ET


def shim():
    import wcf.records as R
    from wcf.records import attributes, base, elements, text
    for mod in (base, attributes, elements, text):
        for k, v in vars(mod).items():
            if not k.startswith("_") and not hasattr(R, k):
                setattr(R, k, v)
    R.DateTimeTextRecord = text.DatetimeTextRecord
    for k in ("base", "data", "ms"):
        setattr(R, k, None)
    sys.modules["wcf.attributes"] = attributes
    # wcf/MyHTMLParser.py resolves named entities (&amp;, &lt;) with Python 2's htmlentitydefs
    # and dict.iteritems: give it Python 3's table under that name.
    import html.entities
    import types

    class Py2Dict(dict):
        def iteritems(self):
            return iter(self.items())

    legacy = types.ModuleType("htmlentitydefs")
    legacy.name2codepoint = Py2Dict(html.entities.name2codepoint)
    sys.modules["htmlentitydefs"] = legacy


def html_entities_to_text(xml):
    import html.entities
    import re

    def one(m):
        name = m.group(1)
        if name in ("amp", "lt", "gt", "quot", "apos") or name not in html.entities.name2codepoint:
            return m.group(0)
        return chr(html.entities.name2codepoint[name])
    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", one, xml)


def canon(xml):
    def walk(e):
        return [e.tag, sorted(e.attrib.items()), (e.text or "").strip(), [walk(c) for c in e]]
    return walk(ET.fromstring(xml))


def main():
    shim()
    from wcf.records import Record, dump_records, print_records
    from wcf.xml2records import XMLParser

    out = []
    for case in json.load(sys.stdin):
        try:
            if case["op"] == "decode":
                buf = io.StringIO()
                print_records(Record.parse(io.BytesIO(bytes.fromhex(case["hex"]))), fp=buf)
                # wcf prints non-ASCII text as HTML named entities (&eacute;), which XML lacks
                xml = html_entities_to_text(buf.getvalue())
                out.append({"xml": xml, "canon": canon(xml)})
            elif case["op"] == "encode":
                out.append({"hex": dump_records(XMLParser.parse(case["xml"])).hex(), "canon": canon(case["xml"])})
            else:
                out.append({"canon": canon(case["xml"])})
        except Exception as e:  # reported per case; the Swift test fails on it
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
