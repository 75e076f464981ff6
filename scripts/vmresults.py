#!/usr/bin/env python3
"""Read what a test VM left behind and decide whether the run passed.

The guest (guest/init) writes guest.log: "planes-harness: start N TEST",
the test's own output, then "planes-harness: ok|not ok N TEST # note".
The kernel log (console.log) is scanned for splats; a splat fails the run
whatever the tests said, and is attributed to the test that was running
("planes-harness: start N TEST" markers in the kernel log).

Usage: vmresults.py DIR --tests LIST [--hung]
Prints one TAP line per test, the splats, a summary line, writes
DIR/results.tap (the same TAP with its plan line) and DIR/results.json,
and exits 1 if anything failed.
"""
import argparse
import json
import re
import sys

RESULT_RE = re.compile(r"planes-harness: (not ok|ok) (\d+) (\S+)(?: # (.*))?$")
START_RE = re.compile(r"planes-harness: start (\d+) (\S+)$")

# Kernel log lines that mean the kernel found a bug, with a short label.
SPLAT_PATTERNS = [
    (re.compile(r"WARNING: .*(possible|circular|recursive|locking)"), "lockdep"),
    (re.compile(r"possible (recursive|circular) locking"), "lockdep"),
    (re.compile(r"inconsistent lock state|lock held when returning"), "lockdep"),
    (re.compile(r"suspicious RCU usage"), "rcu"),
    (re.compile(r"sleeping function called from invalid context"), "might_sleep"),
    (re.compile(r"BUG: (KASAN|KFENCE|UBSAN)"), "memory"),
    (re.compile(r"\b(KASAN|KFENCE|UBSAN): "), "memory"),
    (re.compile(r"rcu: INFO: .*detected stall|rcu_.*self-detected stall"), "rcu-stall"),
    (re.compile(r"soft lockup|hard LOCKUP|blocked for more than \d+ seconds"), "lockup"),
    (re.compile(r"(list_add|list_del) corruption"), "list"),
    (re.compile(r"general protection fault|Oops|Kernel panic"), "oops"),
    (re.compile(r"\bBUG: "), "bug"),
    (re.compile(r"\bWARNING: "), "warning"),
]
MARK_RE = re.compile(r"planes-harness: start (\d+) (\S+)")
TIME_RE = re.compile(r"^\[\s*\d+\.\d+\]\s*")


def parse_results(text, expected):
    """Return one dict per expected test: name, status, note, output."""
    found = {}
    outputs = {}
    current = None
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = START_RE.search(line)
        if m:
            current = m.group(2)
            outputs[current] = []
            found.setdefault(current, {"status": "started"})
            continue
        m = RESULT_RE.search(line)
        if m:
            ok, name, note = m.group(1) == "ok", m.group(3), m.group(4) or ""
            if note.startswith("SKIP"):
                status = "skip"
            elif ok:
                status = "pass"
            elif note.startswith("TIMEOUT"):
                status = "timeout"
            else:
                status = "fail"
            found[name] = {"status": status, "note": note}
            current = None
            continue
        if current is not None and line and "planes-harness: " not in line:
            outputs[current].append(line)
    results = []
    for name in expected:
        r = found.get(name, {"status": "notrun"})
        status = r["status"]
        note = r.get("note", "")
        if status == "started":
            status, note = "hung", "the VM stopped while this test ran"
        elif status == "notrun":
            note = "never started"
        results.append({"name": name, "status": status, "note": note,
                        "output": outputs.get(name, [])})
    return results


def find_splats(text):
    """Return (label, line, test running then) for every splat line."""
    splats = []
    running = None
    for line in text.splitlines():
        line = TIME_RE.sub("", line.rstrip("\r"))
        m = MARK_RE.search(line)
        if m:
            running = m.group(2)
            continue
        if "planes-harness: end" in line:
            running = None
            continue
        for pattern, label in SPLAT_PATTERNS:
            if pattern.search(line):
                splats.append((label, line, running))
                break
    return splats


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tests", required=True)
    ap.add_argument("--hung", action="store_true")
    args = ap.parse_args(argv)

    expected = [t.strip() for t in read_text(args.tests).splitlines() if t.strip()]
    tap = read_text(f"{args.dir}/guest.log")
    console = read_text(f"{args.dir}/console.log")
    results = parse_results(tap, expected)
    splats = find_splats(console)

    tap = [f"1..{len(results)}"]
    for i, r in enumerate(results, 1):
        ok = r["status"] in ("pass", "skip")
        line = f"{'ok' if ok else 'not ok'} {i} {r['name']}"
        note = r["note"]
        if r["status"] == "skip":
            line += " # SKIP"
            note = note.replace("SKIP", "").strip()
        elif not ok:
            line += f" # {r['status'].upper()}"
            note = note.replace(r["status"].upper(), "").strip()
        if note:
            line += f" ({note})"
        tap.append(line)
        if not ok:
            tap.extend(f"#   {out}" for out in r["output"][-15:])
    for label, line, test in splats:
        tap.append(f"# SPLAT [{label}] during {test or 'boot/shutdown'}: {line}")
    if args.hung:
        tap.append("# the VM hung and was killed")
    print("\n".join(tap[1:]))
    with open(f"{args.dir}/results.tap", "w") as f:
        f.write("TAP version 13\n" + "\n".join(tap) + "\n")

    counts = {s: sum(r["status"] == s for r in results)
              for s in ("pass", "fail", "skip", "timeout", "hung", "notrun")}
    with open(f"{args.dir}/results.json", "w") as f:
        json.dump({"results": results, "counts": counts, "hung": args.hung,
                   "splats": [{"label": l, "line": s, "test": t}
                              for l, s, t in splats]}, f, indent=1)
    bad = sum(counts[s] for s in ("fail", "timeout", "hung", "notrun"))
    print(f"# VM summary: pass {counts['pass']}, fail {bad}, skip {counts['skip']}, "
          f"splats {len(splats)}")
    return 1 if bad or splats or args.hung else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
