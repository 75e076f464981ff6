#!/usr/bin/env python3
"""Tests for scripts/insn-trace.py: reading a trace and counting per function."""
import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "insn_trace", os.path.join(os.path.dirname(HERE), "insn-trace.py"))
insn_trace = importlib.util.module_from_spec(spec)
spec.loader.exec_module(insn_trace)

K = 0xffffffff81000000
SYMS = [(K, "kvm_vcpu_ioctl"), (K + 0x100, "vcpu_run"), (K + 0x200, "svm_vcpu_run")]
TRACE = """iter 0 n=4
ffffffff81000000
ffffffff81000104
ffffffff81000108
10040
iter 1 n=4
ffffffff81000000
ffffffff81000104
ffffffff81000210
10040
"""


class InsnTrace(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(text)
        try:
            return insn_trace.load(f.name)
        finally:
            os.unlink(f.name)

    def test_load_splits_iterations(self):
        iters = self.load(TRACE)
        self.assertEqual([len(it) for it in iters], [4, 4])
        self.assertEqual(iters[1][2], K + 0x210)

    def test_report_counts_the_last_iteration(self):
        lines = insn_trace.report(self.load(TRACE), SYMS)
        self.assertEqual(lines[0], "2 iterations of [4] instructions, "
                         "identical PC sequences: False")
        self.assertEqual(sorted(lines[1:]), sorted([
            "     1 kvm_vcpu_ioctl", "     1 vcpu_run", "     1 svm_vcpu_run",
            "     1 [not the host kernel: the L2 guest]"]))


if __name__ == "__main__":
    unittest.main()
