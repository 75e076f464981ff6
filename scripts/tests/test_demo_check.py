#!/usr/bin/env python3
"""Tests for demo/planes-demo-check.sh: the check of the demo VMM's output.

The check runs "planes-demo" from its own directory; here that is a stand-in
script that prints a sample output and exits with a chosen status.
data/planes-demo-pass.txt is the output of planes-demo.c in the test VM on
the patched kernel (make vm-test T=planes-demo-check);
data/planes-demo-msi-between-runs.txt the output of the earlier demo, which
sent the MSI between two KVM_RUN calls (and was run with plane 1 simulated
by a second vCPU, hence plane 1's APIC id 1): the check must reject it.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(ROOT, "demo", "planes-demo-check.sh")

with open(os.path.join(HERE, "data", "planes-demo-pass.txt")) as f:
    PASS = f.read()
SKIP = ("KVM_CAP_PLANES on the VM fd: 1\n"
        "SKIP: no planes (KVM_CAP_PLANES on the VM fd is 1, the demo needs 2)\n")


def run_check(output, rc):
    """Run the check against a planes-demo that prints OUTPUT and exits RC."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "out.txt"), "w") as f:
            f.write(output)
        demo = os.path.join(d, "planes-demo")
        with open(demo, "w") as f:
            f.write(f'#!/bin/sh\ncat "{d}/out.txt"\nexit {rc}\n')
        os.chmod(demo, 0o755)
        check = os.path.join(d, "planes-demo-check")
        shutil.copy(CHECK, check)
        os.chmod(check, 0o755)
        p = subprocess.run(["sh", check], capture_output=True, text=True)
        return p.returncode, p.stdout


class DemoCheck(unittest.TestCase):
    def assert_fails(self, output, message, rc=0):
        """The check fails on OUTPUT (planes-demo exiting RC), saying MESSAGE."""
        got, out = run_check(output, rc)
        self.assertEqual(got, 1, out)
        self.assertIn(message, out)

    def test_pass(self):
        rc, out = run_check(PASS, 0)
        self.assertEqual(rc, 0, out)
        self.assertIn("check: planes-demo output as expected", out)
        self.assertNotIn("check: FAIL", out)

    def test_output_is_shown(self):
        _, out = run_check(PASS, 0)
        self.assertIn("KVM_EXIT_PLANE_EVENT", out)

    def test_skip(self):
        rc, out = run_check(SKIP, 4)
        self.assertEqual(rc, 4, out)

    def test_skip_status_without_skip_line_fails(self):
        rc, _ = run_check("KVM_CAP_PLANES on the VM fd: 1\n", 4)
        self.assertEqual(rc, 1)

    def test_nonzero_status_fails(self):
        self.assert_fails(PASS, "check: FAIL planes-demo exited 1", rc=1)

    def test_missing_plane_event_fails(self):
        lines = [l for l in PASS.splitlines(True) if "KVM_EXIT_PLANE_EVENT " not in l]
        self.assert_fails("".join(lines), "check: FAIL timeline in order: line 12 is")

    def test_wrong_count_fails(self):
        self.assert_fails(PASS.replace("VTL calls served: 3 of 3", "VTL calls served: 2 of 3"),
                          "check: FAIL summary: 3 VTL calls served")

    def test_wrong_answer_fails(self):
        self.assert_fails(PASS.replace("result, eax=1004", "result, eax=1005"),
                          "check: FAIL timeline in order: line 6 is")

    def timeline(self):
        lines = PASS.splitlines(True)
        first = next(i for i, l in enumerate(lines) if l.startswith("Timeline (")) + 2
        return lines, first

    def test_reordered_timeline_fails(self):
        # The same lines, so the same counts, in another order: the event
        # before the MSI was sent.
        lines, first = self.timeline()
        lines[first + 10], lines[first + 11] = lines[first + 11], lines[first + 10]
        self.assert_fails("".join(lines), "check: FAIL timeline in order: line 11 is")

    def test_extra_exit_fails(self):
        lines, first = self.timeline()
        lines.insert(first + 15, lines[first + 14].replace("  14  ", "  15  "))
        self.assert_fails("".join(lines), "check: FAIL timeline in order: 16 lines, expected 15")

    def test_msi_sent_between_runs_fails(self):
        # The earlier demo: the MSI went out before KVM_RUN, not during it.
        with open(os.path.join(HERE, "data", "planes-demo-msi-between-runs.txt")) as f:
            old = f.read()
        self.assert_fails(old, "check: FAIL timeline in order: line 10 is")
        self.assert_fails(old, "check: FAIL plane 1's local APIC id is plane 0's"
                          " (got 'no APIC id line')")

    def test_msi_during_another_run_fails(self):
        self.assert_fails(PASS.replace("in KVM_RUN 11,", "in KVM_RUN 10,"),
                          "check: FAIL timeline in order: line 11 is")

    def test_stall_fails(self):
        # Each form of a stall, even if the demo went on to PASS.
        lines, first = self.timeline()
        for stall in ["  (no exit for 5 s, plane 0 RIP 0x401e: resuming)\n",
                      "  (KVM_RUN stalled 1 time(s) and was resumed)\n",
                      "FAIL: KVM_RUN stalled: no exit for 5 s in KVM_RUN 11, plane 0 RIP 0x401e\n",
                      "FAIL: guest stalled: no exit for 5 s, plane 0 RIP 0x4000 is still its"
                      " first instruction (the known TCG flake, see README)\n"]:
            with self.subTest(stall=stall):
                stalled = lines[:first + 11] + [stall] + lines[first + 11:]
                self.assert_fails("".join(stalled), "check: FAIL no stalled KVM_RUN")

    def test_plane_count_other_than_4_fails(self):
        self.assert_fails(PASS.replace("on the VM fd: 4", "on the VM fd: 2"),
                          "check: FAIL KVM_CAP_PLANES on the VM fd is 4")

    def test_apic_id_mismatch_fails(self):
        self.assert_fails(PASS.replace("plane 0 0, plane 1 0", "plane 0 0, plane 1 1"),
                          "check: FAIL plane 1's local APIC id is plane 0's (got '0 1')")


if __name__ == "__main__":
    unittest.main()
