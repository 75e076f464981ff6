#!/usr/bin/env python3
"""Tests for demo/planes-demo-check.sh: the check of the demo VMM's output.

The check runs "planes-demo" from its own directory; here that is a stand-in
script that prints a sample output and exits with a chosen status.
data/planes-demo-pass.txt is the output of planes-demo.c on a host kernel
without planes, with plane 1 simulated by a second vCPU of the same VM
(hence "id 1" for plane 1's APIC); every line the check reads is as on a
kernel with planes.
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
        rc, out = run_check(PASS, 1)
        self.assertEqual(rc, 1)
        self.assertIn("check: FAIL planes-demo exited 1", out)

    def test_missing_plane_event_fails(self):
        lines = [l for l in PASS.splitlines(True) if "KVM_EXIT_PLANE_EVENT" not in l]
        rc, out = run_check("".join(lines), 0)
        self.assertEqual(rc, 1)
        self.assertIn("check: FAIL plane 1's interrupt arrived as a plane event", out)

    def test_wrong_count_fails(self):
        rc, out = run_check(PASS.replace("VTL calls served: 3 of 3", "VTL calls served: 2 of 3"), 0)
        self.assertEqual(rc, 1)
        self.assertIn("check: FAIL summary: 3 VTL calls served", out)

    def test_wrong_answer_fails(self):
        rc, _ = run_check(PASS.replace("result, eax=1004", "result, eax=1005"), 0)
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    unittest.main()
