#!/usr/bin/env python3
"""Tests for scripts/warncmp.py: normalization and base comparison."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import warncmp as kwarnings  # noqa: E402

LOG = """\
  CC      arch/x86/kvm/x86.o
/work/main/build/linux/arch/x86/kvm/x86.c:123:5: warning: symbol 'foo' was not declared. Should it be static?
../linux/virt/kvm/kvm_main.c:77:1: warning: no previous prototype for 'bar' [-Wmissing-prototypes]
/work/main/build/linux/arch/x86/kvm/x86.c:9999: warning: context imbalance in 'baz' - wrong count at exit
/work/main/build/linux/Documentation/virt/kvm/api.rst:6920: ERROR: Malformed table.
/work/main/build/linux/Documentation/virt/kvm/api.rst:10: WARNING: undefined label: 'kvm_nope'
    expected unsigned long
"""


class Extract(unittest.TestCase):
    def test_paths_relative_and_lines_dropped(self):
        self.assertEqual(kwarnings.extract(LOG), sorted([
            "arch/x86/kvm/x86.c: warning: symbol 'foo' was not declared. Should it be static?",
            "virt/kvm/kvm_main.c: warning: no previous prototype for 'bar' [-Wmissing-prototypes]",
            "arch/x86/kvm/x86.c: warning: context imbalance in 'baz' - wrong count at exit",
            "Documentation/virt/kvm/api.rst: error: Malformed table.",
            "Documentation/virt/kvm/api.rst: warning: undefined label: 'kvm_nope'",
        ]))


class Compare(unittest.TestCase):
    def compare(self, base, log):
        with tempfile.TemporaryDirectory() as d:
            b, l = os.path.join(d, "base"), os.path.join(d, "log")
            with open(b, "w") as f:
                f.write(base)
            with open(l, "w") as f:
                f.write(log)
            return subprocess.run([sys.executable, os.path.join(HERE, "..", "warncmp.py"),
                                   "compare", b, l], capture_output=True, text=True)

    def test_known_warning_moved_is_not_new(self):
        base = "\n".join(kwarnings.extract(LOG)) + "\n"
        moved = LOG.replace(":123:5:", ":456:7:").replace(":6920:", ":7000:")
        self.assertEqual(self.compare(base, moved).returncode, 0)

    def test_new_warning_fails(self):
        base = "\n".join(kwarnings.extract(LOG)) + "\n"
        r = self.compare(base, LOG + "x/virt/kvm/plane.c:1:1: warning: unused variable 'p'\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("new: virt/kvm/plane.c: warning: unused variable 'p'", r.stdout)

    def test_second_copy_of_known_warning_is_new(self):
        base = "\n".join(kwarnings.extract(LOG)) + "\n"
        dup = LOG + "/x/arch/x86/kvm/x86.c:5:5: warning: symbol 'foo' was not declared. Should it be static?\n"
        self.assertEqual(self.compare(base, dup).returncode, 1)


if __name__ == "__main__":
    unittest.main()
