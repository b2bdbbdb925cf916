#!/usr/bin/env python3
"""Drops every file under DIR from the page cache (posix_fadvise DONTNEED), so the next reader
reads from disk: a cold cache for these files only, without touching anyone else's.

usage: evict.py DIR
"""

import os
import sys

for top, _, names in os.walk(sys.argv[1]):
    for name in names:
        path = os.path.join(top, name)
        if os.path.islink(path):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
