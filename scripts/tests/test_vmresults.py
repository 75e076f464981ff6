#!/usr/bin/env python3
"""Tests for scripts/vmresults.py on sample VM output (scripts/tests/data)."""
import json
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

    def test_a_test_named_twice_counts_each_run(self):
        # The second run of "a" hung and the third never started: neither
        # may borrow the first run's pass.
        r = vmresults.parse_results(
            "planes-harness: start 1 a\nplanes-harness: ok 1 a # 1s\n"
            "planes-harness: start 2 a\n", ["a", "a", "a"])
        self.assertEqual([x["status"] for x in r], ["pass", "hung", "notrun"])

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
            ("INFO: task plane_test:153 blocked for more than 240 seconds.", "lockup"),
            ("kmemleak: Memory pool empty, consider increasing"
             " CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE", "kmemleak"),
            ("list_add corruption. prev->next should be next", "list"),
            ("Oops: general protection fault, probably for non-canonical address", "oops"),
            ("WARNING: suspicious RCU usage", "rcu"),
        ]:
            with self.subTest(line=line):
                self.assertEqual(vmresults.find_splats(line)[0][0], label)


class MustRun(unittest.TestCase):
    """tests/planes.list on the patched kernel: a skip is a failure."""
    TESTS = ["plane_test", "x86_64/plane_test", "planes-demo-check",
             "x86_64/vmx_dirty_log_test"]
    MUST = {"plane_test", "x86_64/plane_test", "planes-demo-check"}

    def results(self, must_run):
        return {r["name"]: r for r in vmresults.parse_results(
            read("guest-planes-skips.log"), self.TESTS, must_run)}

    def test_whole_test_skip_fails(self):
        r = self.results(self.MUST)["planes-demo-check"]
        self.assertEqual(r["status"], "fail")
        self.assertIn("skipped as a whole", r["note"])

    def test_every_case_skipped_fails(self):
        r = self.results(self.MUST)["plane_test"]
        self.assertEqual(r["status"], "fail")
        self.assertIn("every test case skipped (2 of 2)", r["note"])

    def test_skipped_case_with_others_passing_is_reported(self):
        r = self.results(self.MUST)["x86_64/plane_test"]
        self.assertEqual(r["status"], "pass")
        self.assertIn("1 of 3 test cases skipped", r["note"])
        self.assertEqual(r["skipped_cases"], [
            "x86_planes.vmx_planes: Requirement not met: kvm_cpu_has(X86_FEATURE_VMX)"])

    def test_skip_outside_must_run_stays_a_skip(self):
        # tests/regression.list: a test that skips here is a skip.
        self.assertEqual(self.results(self.MUST)["x86_64/vmx_dirty_log_test"]["status"], "skip")
        self.assertEqual([r["status"] for r in self.results(set()).values()],
                         ["pass", "pass", "skip", "skip"])


class Main(unittest.TestCase):
    GUEST_OK = ("planes-harness: start 1 a\nplanes-harness: ok 1 a # 1s\n"
                "planes-harness: kmemleak report\nplanes-harness: kmemleak end: 0 object(s)\n"
                "planes-harness: done\n")

    def run_main(self, console, extra=(), guest=GUEST_OK, tests="a\n", must_run=None):
        """Run vmresults.main on a VM directory; returns (rc, results.json, TAP)."""
        with tempfile.TemporaryDirectory() as d:
            for name, text in [("guest.log", guest), ("console.log", console),
                               ("tests.list", tests), ("must-run.list", must_run)]:
                if text is not None:
                    with open(os.path.join(d, name), "w") as f:
                        f.write(text)
            args = [d, "--tests", os.path.join(d, "tests.list"), *extra]
            if must_run is not None:
                args += ["--must-run", os.path.join(d, "must-run.list")]
            with open(os.devnull, "w") as null:
                old, sys.stdout = sys.stdout, null
                try:
                    rc = vmresults.main(args)
                finally:
                    sys.stdout = old
            with open(os.path.join(d, "results.tap")) as f:
                tap = f.read()
            with open(os.path.join(d, "results.json")) as f:
                data = json.load(f)
            return rc, data, tap

    def test_pass(self):
        rc, _, tap = self.run_main(read("console-clean.log"), ["--kmemleak"])
        self.assertEqual(tap.splitlines()[:3], ["TAP version 13", "1..1", "ok 1 a (1s)"])
        self.assertEqual(rc, 0)

    def test_splat_fails_a_passing_run(self):
        self.assertEqual(self.run_main(read("console-splat.log"))[0], 1)

    def test_hung_fails(self):
        self.assertEqual(self.run_main(read("console-clean.log"), ["--hung"])[0], 1)

    def test_panic_after_ok(self):
        # Every test printed ok, then the kernel panicked (panic=-1: QEMU
        # exits, no hang): the oops fails the run, and so does the missing
        # "done".
        rc, data, tap = self.run_main(
            read("console-panic-after-ok.log"), guest=read("guest-panic-after-ok.log"),
            tests="x86_64/sync_regs_test\nplane_test\n")
        self.assertEqual(rc, 1)
        self.assertEqual(data["counts"]["pass"], 2)
        self.assertEqual([s["label"] for s in data["splats"]], ["bug", "oops", "oops"])
        self.assertIn("Kernel panic - not syncing: Fatal exception", tap)
        self.assertFalse(data["finished"])

    def test_silent_death_after_ok(self):
        # The same without a word in the kernel log (e.g. a triple fault
        # reset): only the missing "done" can catch it.
        rc, data, _ = self.run_main(read("console-clean.log"),
                                    guest=read("guest-panic-after-ok.log"),
                                    tests="x86_64/sync_regs_test\nplane_test\n")
        self.assertEqual((rc, data["splats"]), (1, []))
        self.assertIn("never printed 'planes-harness: done'", data["problems"][0])

    def test_kmemleak_report_is_a_splat(self):
        rc, data, tap = self.run_main(read("console-clean.log"), ["--kmemleak"],
                                      guest=read("guest-kmemleak.log"), tests="plane_test\n")
        self.assertEqual(rc, 1)
        self.assertEqual(data["kmemleak"], "leaks")
        self.assertEqual([(s["label"], s["line"]) for s in data["splats"]], [
            ("kmemleak", 'unreferenced object of 1024 bytes allocated by plane_test (pid 153)'
             " in kvm_create_plane+0x6f/0x3c0"),
            ("kmemleak", 'unreferenced object of 64 bytes allocated by plane_test (pid 153)'
             " in kvm_vcpu_create_plane+0x91/0x2a0")])
        self.assertIn("# SPLAT [kmemleak] during the end-of-run kmemleak scan", tap)

    def test_kmemleak_scan_must_run(self):
        no_scan = "planes-harness: start 1 a\nplanes-harness: ok 1 a # 1s\nplanes-harness: done\n"
        rc, data, _ = self.run_main(read("console-clean.log"), ["--kmemleak"], guest=no_scan)
        self.assertEqual((rc, data["kmemleak"]), (1, "missing"))
        failed = no_scan.replace("planes-harness: done", "planes-harness: kmemleak failed: x\n"
                                 "planes-harness: done")
        self.assertEqual(self.run_main(read("console-clean.log"), ["--kmemleak"],
                                       guest=failed)[0], 1)
        # Without kmemleak in the kernel (--kmemleak not given) no scan is needed.
        self.assertEqual(self.run_main(read("console-clean.log"), guest=no_scan)[0], 0)

    def test_must_run_skip_fails(self):
        guest = self.GUEST_OK.replace("ok 1 a # 1s", "ok 1 a # SKIP 0s")
        self.assertEqual(self.run_main(read("console-clean.log"), guest=guest,
                                       must_run="# comment\na\n")[0], 1)
        self.assertEqual(self.run_main(read("console-clean.log"), guest=guest,
                                       must_run="")[0], 0)


class CheckLines(unittest.TestCase):
    """make check's closing-line entries, with the guest-stall reboot."""
    def data(self, guest, console="console-clean.log"):
        with tempfile.TemporaryDirectory() as d:
            for name, text in [("guest.log", read(guest)), ("console.log", read(console)),
                               ("tests.list", "plane_test\nplanes-demo-check\n")]:
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            return vmresults.evaluate(d, os.path.join(d, "tests.list"),
                                      kmemleak=True)[1]

    def test_single_boot(self):
        data = self.data("guest-demo-stalled.log")
        self.assertEqual(vmresults.check_lines(data, "planes", 1, 1), [
            "PASS vm:plane_test",
            "FAIL vm:planes-demo-check (exit=1 6s)"])

    def test_stalled_boot_before_a_retry(self):
        data = self.data("guest-demo-stalled.log")
        self.assertEqual(vmresults.check_lines(data, "planes", 1, 2), [
            "PASS vm[boot 1]:plane_test",
            "SKIP vm[boot 1]:planes-demo-check (its guest stalled, the known TCG flake:"
            " run again in boot 2)"])

    def test_other_failure_in_the_stalled_boot_fails(self):
        lines = vmresults.check_lines(
            self.data("guest-demo-stalled.log", "console-splat.log"), "planes", 1, 2)
        self.assertIn("SKIP vm[boot 1]:planes-demo-check (its guest stalled, the known TCG flake:"
                      " run again in boot 2)", lines)
        self.assertTrue(any(l.startswith("FAIL vm[boot 1] planes: splat") for l in lines))
        fail = read("guest-demo-stalled.log").replace("ok 1 plane_test # 2s",
                                                       "not ok 1 plane_test # exit=1 2s")
        data = vmresults.parse_results(fail, ["plane_test"])
        lines = vmresults.check_lines({"results": data, "splats": []}, "planes", 1, 2)
        self.assertEqual(lines, ["FAIL vm[boot 1]:plane_test (exit=1 2s)"])

    def test_second_boot_is_named(self):
        lines = vmresults.check_lines(self.data("guest-demo-stalled.log"), "planes", 2, 2)
        self.assertEqual(lines[1], "FAIL vm[boot 2]:planes-demo-check (exit=1 6s)")

    def test_lines_mode_needs_results(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(FileNotFoundError):
                vmresults.main([d, "--lines", "--run", "x"])


if __name__ == "__main__":
    unittest.main()
