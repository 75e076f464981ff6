#!/usr/bin/env python3
"""Read what a test VM left behind and decide whether the run passed.

The guest (guest/init) writes guest.log: "planes-harness: start N TEST",
the test's own output, then "planes-harness: ok|not ok N TEST # note"; after
the last test the kmemleak scan ("planes-harness: kmemleak ..." lines with
the report between them) and "planes-harness: done".
The kernel log (console.log) is scanned for splats; a splat fails the run
whatever the tests said, and is attributed to the test that was running
("planes-harness: start N TEST" markers in the kernel log). Each object in
the kmemleak report is a splat too. A run that never printed "done" (the
guest died after its last test, e.g. a panic) fails.

Usage: vmresults.py DIR --tests LIST [--must-run LIST] [--kmemleak] [--hung]
  --must-run LIST  tests that must run here (tests/planes.list): a skip of
                   the whole test (exit 4) fails, and so does a pass in
                   which every kselftest test case skipped
  --kmemleak       the kernel has kmemleak: the end-of-run scan must have run
Prints one TAP line per test, the splats, a summary line, writes
DIR/results.tap (the same TAP with its plan line) and DIR/results.json,
and exits 1 if anything failed.

       vmresults.py --lines DIR --run NAME [--boot N --of M]
Prints the results.json of DIR as make check's "PASS|FAIL|SKIP what" lines
(scripts/check.sh counts them). With --boot N --of M (N < M, a boot that
was followed by another because a guest stalled), the tests of that boot
are named "vm[boot N]:TEST", and a test that failed only because its guest
stalled (the known TCG flake, README) is a SKIP; any other failure of that
boot is a FAIL. Exits 0 once the lines are printed (the caller counts
the FAIL lines), non-zero only if it could not read results.json.
"""
import argparse
import json
import re
import sys

RESULT_RE = re.compile(r"planes-harness: (not ok|ok) (\d+) (\S+)(?: # (.*))?$")
START_RE = re.compile(r"planes-harness: start (\d+) (\S+)$")
DONE = "planes-harness: done"
KMEMLEAK_RE = re.compile(r"planes-harness: kmemleak (.*)$")
# What the demo prints when its guest never ran (README: known flake).
STALL_MARK = "guest stalled"
# A kselftest result line of a test case ("ok 3 fixture.case # SKIP why").
CASE_RE = re.compile(r"^(not ok|ok) \d+ ?(.*?)(?: # (SKIP|XFAIL|TODO)\b:? ?(.*))?$")
# A whole-program kselftest skip ("1..0 # SKIP why").
PROGRAM_SKIP_RE = re.compile(r"^1\.\.0 # SKIP:? ?(.*)$")

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
    (re.compile(r"kmemleak: (Cannot allocate|Memory pool empty)"), "kmemleak"),
    (re.compile(r"\bBUG: "), "bug"),
    (re.compile(r"\bWARNING: "), "warning"),
]
MARK_RE = re.compile(r"planes-harness: start (\d+) (\S+)")
TIME_RE = re.compile(r"^\[\s*\d+\.\d+\]\s*")
# Allocator frames of a kmemleak backtrace, skipped to name the caller.
ALLOC_FRAME_RE = re.compile(r"alloc|slab|kmemleak|kasan|kmem_cache|krealloc|kstrdup|kmemdup")


def test_cases(output):
    """The kselftest test cases in a test's output: (total, [skipped])."""
    total, skipped = 0, []
    for line in output:
        m = CASE_RE.match(line)
        if not m:
            continue
        total += 1
        if m.group(3) == "SKIP":
            skipped.append(f"{m.group(2) or 'test case'}: {m.group(4) or 'no reason given'}")
    return total, skipped


def program_skip_reason(output):
    for line in output:
        m = PROGRAM_SKIP_RE.match(line)
        if m:
            return m.group(1)
    return ""


def parse_results(text, expected, must_run=()):
    """Return one dict per expected test: name, status, note, output.

    A test in must_run that skipped as a whole, or passed with every one of
    its test cases skipped, is a "fail" with a note saying so.
    """
    # Keyed by the harness's position in the list (1, 2, ...), not by name:
    # a list may name one test several times, and each run counts alone.
    found = {}
    outputs = {}
    current = None
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = START_RE.search(line)
        if m:
            current = int(m.group(1))
            outputs[current] = []
            found.setdefault(current, {"status": "started"})
            continue
        m = RESULT_RE.search(line)
        if m:
            ok, note = m.group(1) == "ok", m.group(4) or ""
            pos = int(m.group(2))
            if note.startswith("SKIP"):
                status = "skip"
            elif ok:
                status = "pass"
            elif note.startswith("TIMEOUT"):
                status = "timeout"
            else:
                status = "fail"
            found[pos] = {"status": status, "note": note}
            current = None
            continue
        if current is not None and line and "planes-harness: " not in line:
            outputs[current].append(line)
    results = []
    for pos, name in enumerate(expected, 1):
        r = found.get(pos, {"status": "notrun"})
        status = r["status"]
        note = r.get("note", "")
        output = outputs.get(pos, [])
        total, skipped = test_cases(output)
        if status == "started":
            status, note = "hung", "the VM stopped while this test ran"
        elif status == "notrun":
            note = "never started"
        elif name in must_run and status == "skip":
            why = program_skip_reason(output)
            status = "fail"
            note = (f"skipped as a whole ({note}{', ' + why if why else ''}),"
                    " but this test must run here")
        elif name in must_run and status == "pass" and total and len(skipped) == total:
            status = "fail"
            note = f"{note}, every test case skipped ({total} of {total}): nothing tested"
        elif skipped:
            note = f"{note}, {len(skipped)} of {total} test cases skipped"
        results.append({"name": name, "status": status, "note": note,
                        "output": output, "skipped_cases": skipped})
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


def parse_kmemleak(text):
    """The end-of-run kmemleak scan in guest.log: (state, leaks).

    state is "clean", "leaks", "failed ..." / "unavailable ..." (what the
    guest said), or "missing" (no scan line at all). leaks is one string
    per unreferenced object: size, allocating task and first caller.
    """
    state, leaks, obj = "missing", [], None
    lines = text.splitlines()
    in_report = False
    for line in lines:
        line = line.rstrip("\r")
        m = KMEMLEAK_RE.search(line)
        if m:
            what = m.group(1)
            if what == "report":
                in_report = True
            elif what.startswith("end"):
                in_report = False
                state = "leaks" if leaks else "clean"
            else:
                state = what
            continue
        if not in_report:
            continue
        m = re.match(r"unreferenced object (0x[0-9a-f]+) \(size (\d+)\):", line)
        if m:
            obj = {"addr": m.group(1), "size": m.group(2), "comm": "?", "caller": None}
            leaks.append(obj)
            continue
        if obj is None:
            continue
        m = re.match(r'\s+comm "(.*)", pid (\d+)', line)
        if m:
            obj["comm"] = f"{m.group(1)} (pid {m.group(2)})"
            continue
        m = re.match(r"\s{4}(\S+)$", line)
        if m and obj["caller"] is None and not ALLOC_FRAME_RE.search(m.group(1)):
            obj["caller"] = m.group(1)
    return state, [f"unreferenced object of {o['size']} bytes allocated by {o['comm']}"
                   f" in {o['caller'] or '?'}" for o in leaks]


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def evaluate(dir, tests_file, must_run_file=None, kmemleak=False, hung=False):
    """Evaluate a VM run directory; returns (tap lines, results dict, rc)."""
    expected = [t.strip() for t in read_text(tests_file).splitlines() if t.strip()]
    must_run = set()
    if must_run_file:
        must_run = {re.sub(r"#.*", "", t).strip() for t in read_text(must_run_file).splitlines()}
        must_run.discard("")
    guest = read_text(f"{dir}/guest.log")
    console = read_text(f"{dir}/console.log")
    results = parse_results(guest, expected, must_run)
    splats = find_splats(console)
    finished = any(l.rstrip("\r").endswith(DONE) for l in guest.splitlines())
    leak_state, leaks = parse_kmemleak(guest)
    splats += [("kmemleak", leak, "the end-of-run kmemleak scan") for leak in leaks]
    problems = []
    if hung:
        problems.append("the VM hung and was killed")
    elif not finished:
        problems.append("the guest never printed 'planes-harness: done':"
                        " it died after its last result (see console.log)")
    elif kmemleak and leak_state not in ("clean", "leaks"):
        problems.append(f"the end-of-run kmemleak scan did not run: {leak_state}")

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
        tap.extend(f"#   skipped inside: {s}" for s in r["skipped_cases"])
        if not ok:
            tap.extend(f"#   {out}" for out in r["output"][-15:])
    for label, line, test in splats:
        tap.append(f"# SPLAT [{label}] during {test or 'boot/shutdown'}: {line}")
    tap.extend(f"# {p}" for p in problems)

    counts = {s: sum(r["status"] == s for r in results)
              for s in ("pass", "fail", "skip", "timeout", "hung", "notrun")}
    data = {"results": results, "counts": counts, "hung": hung,
            "finished": finished, "kmemleak": leak_state, "problems": problems,
            "splats": [{"label": l, "line": s, "test": t} for l, s, t in splats]}
    bad = sum(counts[s] for s in ("fail", "timeout", "hung", "notrun"))
    tap.append(f"# VM summary: pass {counts['pass']}, fail {bad}, skip {counts['skip']}, "
               f"splats {len(splats)}{', ' + '; '.join(problems) if problems else ''}")
    return tap, data, 1 if bad or splats or problems else 0


def check_lines(data, run, boot=None, of=None):
    """make check's PASS/FAIL/SKIP lines for one VM run's results.json.

    boot/of: this was boot `boot` of `of` (a guest stalled, so the run was
    booted again): its stalled test is a SKIP, everything else counts.
    """
    retried = boot is not None and boot < of
    tag = f"vm[boot {boot}]" if boot is not None and of > 1 else "vm"
    lines = []
    for r in data["results"]:
        st = {"pass": "PASS", "skip": "SKIP"}.get(r["status"], "FAIL")
        what = f"{tag}:{r['name']}"
        if st == "FAIL" and retried and any(STALL_MARK in l for l in r["output"]):
            st, what = "SKIP", (f"{what} (its guest stalled, the known TCG flake:"
                                f" run again in boot {boot + 1})")
        elif st != "PASS" and r["note"]:
            what += f" ({r['note']})"
        lines.append(f"{st} {what}")
    for s in data["splats"]:
        lines.append(f"FAIL {tag} {run}: splat during {s['test']}: {s['line']}")
    for p in data.get("problems", []):
        lines.append(f"FAIL {tag} {run}: {p}")
    return lines


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tests")
    ap.add_argument("--must-run")
    ap.add_argument("--kmemleak", action="store_true")
    ap.add_argument("--hung", action="store_true")
    ap.add_argument("--lines", action="store_true")
    ap.add_argument("--run")
    ap.add_argument("--boot", type=int)
    ap.add_argument("--of", type=int)
    args = ap.parse_args(argv)

    if args.lines:
        if not args.run or (args.boot is None) != (args.of is None):
            ap.error("--lines needs --run NAME, and --boot N with --of M")
        with open(f"{args.dir}/results.json") as f:
            lines = check_lines(json.load(f), args.run, args.boot, args.of)
        print("\n".join(lines))
        return 0

    if not args.tests:
        ap.error("--tests LIST is required")
    tap, data, rc = evaluate(args.dir, args.tests, args.must_run, args.kmemleak, args.hung)
    print("\n".join(tap[1:]))
    with open(f"{args.dir}/results.tap", "w") as f:
        f.write("TAP version 13\n" + "\n".join(tap) + "\n")
    with open(f"{args.dir}/results.json", "w") as f:
        json.dump(data, f, indent=1)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
