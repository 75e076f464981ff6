#!/usr/bin/env python3
"""Compare compiler, sparse and Sphinx warnings against a recorded base list.

  warncmp.py extract LOG      print the normalized warnings of a build log
  warncmp.py compare BASE LOG print warnings of LOG not in BASE; exit 1 if any

A warning is normalized to "path: message": the path is made relative to
the kernel tree and line/column numbers are dropped, so that a patch moving
code does not turn an old warning into a "new" one. Comparison counts
duplicates: a second copy of a known warning is new.
"""
import collections
import os.path
import re
import sys

WARN_RE = re.compile(
    r"^(?P<path>[^\s:]+?)(?::\d+)*:\s*(?:\d+:\s*)?(?P<level>warning|error|WARNING|ERROR|CRITICAL)"
    r"(?::|\s)\s*(?P<msg>.*)$")
TREE_DIRS = ("Documentation/", "arch/", "virt/", "include/", "tools/", "drivers/",
             "kernel/", "mm/", "scripts/", "lib/", "fs/")


def normalize_path(path):
    for d in TREE_DIRS:
        i = path.find(d)
        if i >= 0:
            return os.path.normpath(path[i:])
    return path


def extract(text):
    out = []
    for line in text.splitlines():
        m = WARN_RE.match(line.strip())
        if not m:
            continue
        msg = re.sub(r"\b(line|at) \d+\b", r"\1 N", m.group("msg").strip())
        out.append(f"{normalize_path(m.group('path'))}: {m.group('level').lower()}: {msg}")
    return sorted(out)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def main(argv):
    if len(argv) == 2 and argv[0] == "extract":
        print("\n".join(extract(read(argv[1]))))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        base = collections.Counter(l for l in read(argv[1]).splitlines() if l)
        cur = collections.Counter(extract(read(argv[2])))
        new = cur - base
        gone = base - cur
        for w in sorted(new.elements()):
            print(f"new: {w}")
        if gone:
            print(f"({sum(gone.values())} base warnings no longer seen)")
        return 1 if new else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
