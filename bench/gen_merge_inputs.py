#!/usr/bin/env python3
"""Writes the two large merge inputs of benches/merge_strategies.rs as files, for timing
`jitsi-custom merge-file` from the shell (bench/precision.sh): the same xorshift generator and the
same edits, ported line by line, so the bytes are those the cargo bench merges.

  OUT_DIR/css/{base,local,upstream}   a 5 MB one-line stylesheet (rules, every 200th an @media
                                      block); the admin changes three rules, upstream changes two
                                      hundred others and appends fifty
  OUT_DIR/json/{base,local,upstream}  a 1 MB main-de.json-like document of nested sections; the admin
                                      changes twenty texts and adds keys, upstream changes, adds and
                                      removes others

usage: gen_merge_inputs.py OUT_DIR
       gen_merge_inputs.py --check OUT_DIR/json|OUT_DIR/css RESULT
           prints whether a merge RESULT of those inputs carries every edit of both sides (the
           admin's text where both changed a key); exits 1 if not
"""

import json
import os
import sys

MASK = (1 << 64) - 1


class Rng:
    """xorshift64, as `Rng` in benches/merge_strategies.rs."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        x = self.state
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        self.state = x
        return x

    def below(self, n):
        return self.next() % n


def css_rule(rng, i):
    a = rng.below(1 << 20)
    b = rng.below(100)
    c = rng.below(1 << 24)
    d = 8 + rng.below(20)
    e = rng.below(32)
    f = rng.below(32)
    g = rng.below(1000)
    return '.c%d-%x .x%d{color:#%06x;font-size:%dpx;margin:%dpx %dpx;background:url("img/%d.svg") no-repeat}' % (
        i, a, b, c, d, e, f, g)


def css_inputs():
    rng = Rng(0x05EE_DC55)
    rules = []
    size = 0
    i = 0
    while size < 5 << 20:
        if i % 200 == 199:
            first = css_rule(rng, i)
            second = css_rule(rng, i + 1)
            rule = "@media (max-width:%dpx){%s%s}" % (400 + i % 800, first, second)
        else:
            rule = css_rule(rng, i)
        size += len(rule.encode())
        rules.append(rule)
        i += 1
    local = list(rules)
    for k in (1000, 20_000, 40_000):
        k %= len(local)
        local[k] = local[k].replace("font-size:", "font-size:1")
    upstream = list(rules)
    for k in range(200):
        k = (k * 211 + 5) % len(upstream)
        upstream[k] = upstream[k].replace("no-repeat", "repeat-x")
    for j in range(50):
        upstream.append(css_rule(rng, 1_000_000 + j))
    return ("".join(rules) + "\n", "".join(local) + "\n", "".join(upstream) + "\n")


WORDS = ["Konferenz", "Teilnehmer", "Größe", "Stummschalten", "Bildschirm", "Übertragung",
         "Sprechstunde", "schließen"]


def pretty(doc):
    """serde_json::to_vec_pretty plus a newline."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def json_edit(root, seed, marker, remove):
    doc = json.loads(json.dumps(root))
    rng = Rng(seed)
    names = list(doc)
    for _ in range(20):
        section = doc[names[rng.below(len(names))]]
        keys = list(section)
        key = keys[rng.below(len(keys))]
        if remove and rng.below(4) == 0:
            del section[key]
        else:
            section[key] = "%s Praxis Müller" % marker
        section["%s%d" % (marker, rng.below(1000))] = "neu"
    return pretty(doc)


def json_inputs():
    rng = Rng(0x001A_5EED)
    root = {}
    size = 0
    s = 0
    while size < 1 << 20:
        section = {}
        for k in range(60):
            text = " ".join(WORDS[rng.below(len(WORDS))] for _ in range(6))
            size += len(text.encode()) + 24
            section["key%d_%x" % (k, rng.below(1 << 16))] = text
        root["section%d" % s] = section
        s += 1
    return (pretty(root), json_edit(root, 7, "local", False), json_edit(root, 11, "upstream", True))


def flat(doc, prefix=""):
    out = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(flat(value, prefix + key + "."))
        else:
            out[prefix + key] = value
    return out


def check(inputs, result):
    """The keys (JSON) or rule pieces (CSS) a side changed, missing from the result."""
    def read(path):
        with open(path, encoding="utf-8") as f:
            return f.read()
    base, local, upstream = (read(os.path.join(inputs, side)) for side in ("base", "local", "upstream"))
    merged = read(result)
    if os.path.basename(inputs.rstrip("/")) == "json":
        base, local, upstream, merged = (flat(json.loads(t)) for t in (base, local, upstream, merged))
        wrong = [k for k in set(base) | set(local) | set(upstream)
                 if merged.get(k) != (local.get(k) if local.get(k) != base.get(k) else upstream.get(k))]
        what = "keys"
    else:
        pieces = set(base.split("}"))
        present = set(merged.split("}"))
        wrong = [p for side in (local, upstream) for p in side.split("}")
                 if p not in pieces and p not in present]
        what = "changed rules"
    if wrong:
        print("%d %s of a side missing or wrong, e.g. %s" % (len(wrong), what, wrong[0][:80]))
        sys.exit(1)
    print("every edit of both sides")


def main():
    if sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
        return
    out = sys.argv[1]
    for name, triple in (("css", css_inputs()), ("json", json_inputs())):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        for side, text in zip(("base", "local", "upstream"), triple):
            with open(os.path.join(out, name, side), "w", encoding="utf-8", newline="") as f:
                f.write(text)


main()
