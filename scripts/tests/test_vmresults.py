#!/usr/bin/env python3
"""Tests for scripts/vmresults.py on sample VM output (scripts/tests/data)."""
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import vmresults  # noqa: E402

DATA = os.path.join(HERE, "data")
TESTS = ["x86_64/sync_regs_test", "x86_64/vmx_dirty_log_test",
         "kvm_binary_stats_test", "x86_64/xapic_state_test", "never_test"]


def read(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read()


class ParseResults(unittest.TestCase):
    def setUp(self):
        self.results = {r["name"]: r for r in
                        vmresults.parse_results(read("guest-hung.log"), TESTS)}

    def test_statuses(self):
        self.assertEqual(
            [self.results[t]["status"] for t in TESTS],
            ["pass", "skip", "fail", "hung", "notrun"])

    def test_output_is_kept_per_test(self):
        out = self.results["kvm_binary_stats_test"]["output"]
        self.assertIn("==== Test Assertion Failure ====", out)
        self.assertNotIn("ok 2 sync_regs_test.set_invalid", out)
        self.assertIn("not ok 1 vm0", out)

    def test_timeout(self):
        r = vmresults.parse_results(
            "planes-harness: start 1 a\nplanes-harness: not ok 1 a # TIMEOUT 150s\n", ["a"])
        self.assertEqual(r[0]["status"], "timeout")

    def test_subtest_lines_are_not_results(self):
        # "not ok 1 ..." from a kselftest harness is output, not a result.
        r = vmresults.parse_results(
            "planes-harness: start 1 a\nnot ok 1 sub\nplanes-harness: ok 1 a # 1s\n", ["a"])
        self.assertEqual(r[0]["status"], "pass")


class FindSplats(unittest.TestCase):
    def test_clean_log(self):
        self.assertEqual(vmresults.find_splats(read("console-clean.log")), [])

    def test_splats_are_labelled_and_attributed(self):
        splats = vmresults.find_splats(read("console-splat.log"))
        self.assertEqual([(label, test) for label, _, test in splats],
                         [("lockdep", "plane_test"), ("memory", "plane_test")])

    def test_each_pattern(self):
        for line, label in [
            ("BUG: sleeping function called from invalid context at x.c:1", "might_sleep"),
            ("WARNING: CPU: 1 PID: 70 at arch/x86/kvm/x86.c:100 f+0x1/0x2", "warning"),
            ("BUG: KASAN: slab-use-after-free in kvm_put_kvm+0x1/0x2", "memory"),
            ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu-stall"),
            ("watchdog: BUG: soft lockup - CPU#0 stuck for 22s!", "lockup"),
            ("list_add corruption. prev->next should be next", "list"),
            ("Oops: general protection fault, probably for non-canonical address", "oops"),
            ("WARNING: suspicious RCU usage", "rcu"),
        ]:
            with self.subTest(line=line):
                self.assertEqual(vmresults.find_splats(line)[0][0], label)


class Main(unittest.TestCase):
    def run_main(self, console, extra=()):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "guest.log"), "w") as f:
                f.write("planes-harness: start 1 a\nplanes-harness: ok 1 a # 1s\n")
            with open(os.path.join(d, "console.log"), "w") as f:
                f.write(console)
            with open(os.path.join(d, "tests.list"), "w") as f:
                f.write("a\n")
            with open(os.devnull, "w") as null:
                old, sys.stdout = sys.stdout, null
                try:
                    rc = vmresults.main([d, "--tests", os.path.join(d, "tests.list"), *extra])
                finally:
                    sys.stdout = old
            with open(os.path.join(d, "results.tap")) as f:
                self.assertEqual(f.read().splitlines()[:3],
                                 ["TAP version 13", "1..1", "ok 1 a (1s)"])
            return rc

    def test_pass(self):
        self.assertEqual(self.run_main(read("console-clean.log")), 0)

    def test_splat_fails_a_passing_run(self):
        self.assertEqual(self.run_main(read("console-splat.log")), 1)

    def test_hung_fails(self):
        self.assertEqual(self.run_main(read("console-clean.log"), ["--hung"]), 1)


if __name__ == "__main__":
    unittest.main()
