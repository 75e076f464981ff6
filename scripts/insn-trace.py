#!/usr/bin/env python3
"""The two halves of scripts/insn-trace.sh.

Inside gdb (gdb -batch -x insn-trace.py, environment ADDR, COND, OUT, SKIP,
N, PORT): stop at ADDR (if COND, a gdb expression, holds) after SKIP hits,
then single-step N times from one hit to the next and write the PCs of each
iteration to OUT ("iter I n=COUNT" lines, then one hex PC per line).

Outside gdb (insn-trace.py --count TRACE VMLINUX): the length of each
iteration, whether all iterations ran the same PCs, and the instructions
per function of the last iteration (functions from nm).
"""
import bisect
import collections
import os
import subprocess
import sys


def trace():
    import gdb  # only inside gdb

    addr = int(os.environ["ADDR"], 16)
    cond = os.environ.get("COND", "")
    mask = (1 << 64) - 1
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set architecture i386:x86-64")
    gdb.execute("target remote 127.0.0.1:" + os.environ.get("PORT", "12345"))
    gdb.execute("break *0x%x%s" % (addr, " if " + cond if cond else ""))
    bp = gdb.breakpoints()[-1]
    bp.ignore_count = int(os.environ.get("SKIP", "300"))
    gdb.execute("continue")
    bp.enabled = False
    with open(os.environ["OUT"], "w") as out:
        for i in range(int(os.environ.get("N", "4"))):
            pcs = [addr]
            while len(pcs) < 200000:
                gdb.execute("stepi", to_string=True)
                pc = int(gdb.parse_and_eval("$pc")) & mask
                if pc == addr:
                    break
                pcs.append(pc)
            out.write("iter %d n=%d\n" % (i, len(pcs)))
            out.write("".join("%x\n" % pc for pc in pcs))
            out.flush()
            print("iter %d: %d instructions" % (i, len(pcs)))
    gdb.execute("kill")


def load(path):
    iters = []
    for line in open(path):
        if line.startswith("iter"):
            iters.append([])
        else:
            iters[-1].append(int(line, 16))
    return iters


def symbols(vmlinux):
    """The text symbols of @vmlinux, sorted by address: [(addr, name)]."""
    syms = []
    nm = subprocess.run(["nm", "-n", vmlinux], capture_output=True, text=True,
                        check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    return sorted(syms)


def report(iters, syms):
    """Lines: the iterations' lengths, then instructions per function."""
    addrs = [a for a, _ in syms]

    def name(pc):
        if pc < 0xffff800000000000:
            return "[not the host kernel: the L2 guest]"
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else "?"

    lines = ["%d iterations of %s instructions, identical PC sequences: %s"
             % (len(iters), sorted({len(it) for it in iters}),
                all(it == iters[0] for it in iters))]
    per_fn = collections.Counter(name(pc) for pc in iters[-1])
    lines += ["%6d %s" % (n, fn) for fn, n in per_fn.most_common()]
    return lines


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--count":
        iters = load(sys.argv[2])
        if not iters:
            sys.exit("no iterations in %s" % sys.argv[2])
        print("%s: " % sys.argv[2], end="")
        print("\n".join(report(iters, symbols(sys.argv[3]))))
    elif "gdb" in sys.modules or os.environ.get("ADDR"):
        trace()
    else:
        sys.exit("usage: insn-trace.py --count TRACE VMLINUX (or run by gdb)")


if __name__ == "__main__":
    main()
