#!/usr/bin/env python3
"""Adds to a jitsi-meet-web package tree the files a real jitsi-meet-web ships besides the six the
examples carry, in a real package's numbers and sizes (about 1,800 files, 90 MB): the app bundle
and lib-jitsi-meet, WebAssembly and model files, 120 translations, sounds, images, fonts and static
pages. Contents are fixed pseudo-random bytes, so trees repeat byte for byte.

usage: gen_scan_package.py TREE   (TREE: a copy of examples/packages/jitsi-meet-web/1.0.1-1)
"""

import os
import random
import sys

tree = sys.argv[1]
rng = random.Random(20240501)
base = os.path.join(tree, "usr/share/jitsi-meet")


def put(rel, size):
    path = os.path.join(base, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))


# (directory, file name pattern, count, smallest size, largest size)
GROUPS = [
    ("libs", "app.bundle.min.js", 1, 12 << 20, 12 << 20),
    ("libs", "lib-jitsi-meet.min.js", 1, 2 << 20, 2 << 20),
    ("libs", "model-{}.wasm", 10, 1 << 20, 5 << 20),
    ("libs", "chunk-{}.min.js", 60, 20 << 10, 400 << 10),
    ("lang", "main-{}.json", 120, 60 << 10, 140 << 10),
    ("lang", "languages-{}.json", 120, 2 << 10, 6 << 10),
    ("sounds", "sound-{}.opus", 120, 40 << 10, 220 << 10),
    ("images", "image-{}.svg", 400, 1 << 10, 24 << 10),
    ("images", "image-{}.png", 300, 2 << 10, 60 << 10),
    ("fonts", "font-{}.woff2", 40, 20 << 10, 120 << 10),
    ("static", "page-{}.html", 80, 1 << 10, 12 << 10),
    ("css", "part-{}.css", 200, 1 << 10, 30 << 10),
    ("libs", "worker-{}.js", 360, 1 << 10, 16 << 10),
]

count = 0
total = 0
for directory, pattern, n, low, high in GROUPS:
    for i in range(n):
        size = rng.randint(low, high)
        put(os.path.join(directory, pattern.format(i)), size)
        count += 1
        total += size
print("%d files, %.1f MB" % (count, total / 1e6), file=sys.stderr)
