#!/usr/bin/env python3
"""Generates the extra tracked files for bench/rebase.sh: a package `jitsi-meet-extras` in two
versions (A, B) and the admin's customisation of every file, each made so that the per-file merge
is clean (the customisation and upstream's change are far apart, or in different keys/rules).

usage: gen_extras.py OUT_DIR   ->  OUT_DIR/{A,B}/<package tree>, OUT_DIR/custom/<live files>
"""

import json
import os
import sys

out = sys.argv[1]


def put(side, path, text):
    full = os.path.join(out, side, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)


def control(side, version, conffiles):
    put(side, "DEBIAN/control",
        "Package: jitsi-meet-extras\nVersion: %s\nArchitecture: all\n"
        "Maintainer: Bench <bench@example.org>\nDescription: generated files for the benchmark\n"
        % version)
    put(side, "DEBIAN/conffiles", "".join(p + "\n" for p in conffiles))


def big_lang():
    """About 1 MB of nested translations, as main-<lang>.json files are in real Jitsi."""
    doc = {}
    for s in range(220):
        doc["section%03d" % s] = {
            "key%03d" % k: "Übersetzungstext %d/%d für die Oberfläche der Videokonferenz" % (s, k)
            for k in range(60)
        }
    return doc


def dump(doc):
    return json.dumps(doc, ensure_ascii=False, indent=4) + "\n"


conffiles = []
files = {}  # path -> (A, B, custom)

lang = big_lang()
lang_b = json.loads(json.dumps(lang))
lang_b["section200"]["key061"] = "neu in Version B"
lang_b["section150"]["key010"] = "geändert in Version B"
lang_c = json.loads(json.dumps(lang))
lang_c["section005"]["key001"] = "Praxis-Text"
lang_c["section006"]["key002"] = "Praxis-Text 2"
files["/usr/share/jitsi-meet/lang/main-bench.json"] = (dump(lang), dump(lang_b), dump(lang_c))

for n in range(8):
    doc = {"sec%d" % s: {"k%d" % k: "Wert %d.%d.%d" % (n, s, k) for k in range(20)} for s in range(8)}
    b = json.loads(json.dumps(doc))
    b["sec7"]["neu"] = "B"
    c = json.loads(json.dumps(doc))
    c["sec0"]["k1"] = "angepasst"
    files["/usr/share/jitsi-meet/lang/main-x%d.json" % n] = (dump(doc), dump(b), dump(c))


def lines_file(prefix, count, n):
    return ["%s %d line %d: some content of a realistic length for a text file" % (prefix, n, i)
            for i in range(count)]


def text_triple(prefix, count, n, comment):
    base = lines_file(prefix, count, n)
    b = list(base)
    b[count - 20] = comment + " changed upstream in version B"
    b.append(comment + " appended upstream in version B")
    c = list(base)
    c[10] = comment + " customised by the admin"
    return ("\n".join(base) + "\n", "\n".join(b) + "\n", "\n".join(c) + "\n")


for n in range(10):
    files["/usr/share/jitsi-meet/static/page%d.html" % n] = text_triple("<p>page", 150, n, "<!-- -->")
for n in range(10):
    files["/usr/share/jitsi-meet/libs/module%d.js" % n] = text_triple("// module", 300, n, "//")
for n in range(6):
    path = "/etc/jitsi/extras/service%d.properties" % n
    conffiles.append(path)
    a, b, c = text_triple("org.jitsi.extra.setting", 80, n, "#")
    files[path] = (a.replace(" line ", ".line="), b.replace(" line ", ".line="),
                   c.replace(" line ", ".line="))


def css(n, variant):
    rules = [".theme%d-r%d{color:#%06x;margin:%dpx;padding:0 %dpx}" % (n, i, i * 997 % 0xFFFFFF, i % 9, i % 5)
             for i in range(400)]
    if variant in ("B",):
        rules[390] = ".theme%d-r390{color:#000;margin:1px}" % n
        rules.append(".theme%d-new{display:none}" % n)
    if variant == "custom":
        rules[3] = ".theme%d-r3{color:#c00;margin:3px;padding:0 3px;font-size:13pt}" % n
    return "".join(rules) + "\n"


for n in range(4):
    files["/usr/share/jitsi-meet/css/theme%d.min.css" % n] = (css(n, "A"), css(n, "B"), css(n, "custom"))

assert len(files) == 39, len(files)
for path, (a, b, c) in files.items():
    put("A", path, a)
    put("B", path, b)
    put("custom", path, c)
control("A", "1.0-1", conffiles)
control("B", "2.0-1", conffiles)
print("\n".join(sorted(files)))
