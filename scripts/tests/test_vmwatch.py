#!/usr/bin/env python3
"""Tests for the host watchdog of scripts/run-vm.sh (scripts/vmwatch.sh).

A fake QEMU (a shell that writes to guest.log like the guest would, then
goes silent or exits) stands in for the VM; vm_watch runs on it exactly as
run-vm.sh runs it, with a short limit. The directory it leaves is then
read by vmresults.py as run-vm.sh does (--hung when vm_watch said so).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)
import vmresults  # noqa: E402

# run-vm.sh's use of vm_watch, with the fake QEMU in place of QEMU.
RUN = r'''
set -euo pipefail
. "$1/vmwatch.sh"
dir=$2 fake=$3
: >"$dir/guest.log"
sh -c "$fake" sh "$dir/guest.log" &
qpid=$!
hung=0
vm_watch $qpid "$dir/guest.log" 2 0.5 || hung=1
wait $qpid || true
echo "hung=$hung"
if kill -0 $qpid 2>/dev/null; then echo "still running"; fi
'''

SILENT = ('echo "planes-harness: start 1 x86_64/plane_test" >>"$1"; '
          'echo "some output" >>"$1"; exec sleep 30')
EXITS = ('echo "planes-harness: start 1 a" >>"$1"; sleep 1; '
         'echo "planes-harness: ok 1 a # 1s" >>"$1"; sleep 1; '
         'echo "planes-harness: done" >>"$1"')


def watch(fake):
    with tempfile.TemporaryDirectory() as d:
        start = time.monotonic()
        p = subprocess.run(["bash", "-c", RUN, "run", SCRIPTS, d, fake],
                           capture_output=True, text=True, timeout=60)
        secs = time.monotonic() - start
        hung = "hung=1" in p.stdout
        with open(os.path.join(d, "console.log"), "w") as f:
            f.write("")
        with open(os.path.join(d, "tests.list"), "w") as f:
            f.write("x86_64/plane_test\n" if fake is SILENT else "a\n")
        tap, data, rc = vmresults.evaluate(d, os.path.join(d, "tests.list"), hung=hung)
        return p, secs, data, rc


class VmWatch(unittest.TestCase):
    def test_silent_vm_is_killed_and_reported(self):
        p, secs, data, rc = watch(SILENT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("hung=1", p.stdout)
        self.assertNotIn("still running", p.stdout)
        self.assertIn("running 1 x86_64/plane_test", p.stdout)
        self.assertIn("no output for 2s while running 1 x86_64/plane_test: killing the VM",
                      p.stdout)
        self.assertLess(secs, 15)
        self.assertEqual(rc, 1)
        self.assertTrue(data["hung"])
        self.assertEqual(data["results"][0]["status"], "hung")
        json.dumps(data)

    def test_vm_that_ends_is_not_hung(self):
        p, _, data, rc = watch(EXITS)
        self.assertIn("hung=0", p.stdout, p.stderr)
        self.assertEqual((rc, data["results"][0]["status"]), (0, "pass"))


if __name__ == "__main__":
    unittest.main()
