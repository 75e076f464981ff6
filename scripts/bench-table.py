#!/usr/bin/env python3
"""The table of make bench, from the guest logs of bench/planes-bench.

Usage: bench-table.py [--name CONFIG] [--json FILE] BASE1 BASE2 SERIES1 SERIES2
Each LOG is a guest.log of one boot, with lines
    bench: NAME VALUE UNIT iters=N reps=R min=MIN max=MAX [FIELD=KiB ...]
The table uses the first boot of each kernel; the second must agree (it
runs the same instructions: -icount). Prints the table, writes FILE, exits
1 if a log has no "bench: done" or a time of the two boots differs by more
than 0.2 % (a goal that is missed is reported, not an error; memory that
differs by more than 1 %, a note).
"""
import argparse
import json
import re
import sys

LINE_RE = re.compile(r"^bench: (\S+) (\S+) (\S+) (.*)$")
AGREE_NS = 0.002
AGREE_KIB = 0.01

# (name, what, goal for series/base or None) of the VMs without planes.
P3 = [
    ("io", "KVM_EXIT_IO round trip", 1.005),
    ("cpuid", "in-kernel CPUID exit", 1.005),
    ("mmio", "KVM_EXIT_MMIO round trip", 1.005),
    ("ipi", "HLT + IPI wake-up, round trip of 2 vCPUs", 1.005),
    ("vcpu", "KVM_CREATE_VCPU", 1.005),
    ("vcpu_mem", "kernel memory per vCPU (MemFree)", None),
]
EVENTS = [
    ("event_running", "plane 0 spinning (IF=0)"),
    ("event_halted", "plane 0 halted (IF=0)"),
]


def parse(path):
    figs, info, done, fails = {}, {}, False, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line == "bench: done":
                done = True
            elif line.startswith("FAIL"):
                fails.append(line)
            if line.startswith("bench: info "):
                info.update(x.split("=", 1) for x in line.split()[2:])
                continue
            m = LINE_RE.match(line)
            if not m:
                continue
            kv = dict(x.split("=", 1) for x in m.group(4).split())
            figs[m.group(1)] = {"value": float(m.group(2)), "unit": m.group(3),
                                **{k: float(v) for k, v in kv.items()}}
    return {"figures": figs, "info": info, "done": done, "fails": fails, "log": path}


def fmt(fig):
    v, unit = fig["value"], fig["unit"]
    return f"{v:.1f} {unit}" if unit == "ns" else f"{v:.2f} {unit}"


def iters(fig):
    return f"{int(fig['iters'])} x {int(fig['reps'])}"


def verdict(ratio, goal):
    if goal is None:
        return ""
    return "ok" if ratio <= goal else f"MISSED by {ratio - goal:.4f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="")
    ap.add_argument("--json")
    ap.add_argument("logs", nargs=4)
    a = ap.parse_args()
    runs = [parse(p) for p in a.logs]
    base, series = runs[0]["figures"], runs[2]["figures"]
    errors = [f"{r['log']}: no 'bench: done'" for r in runs if not r["done"]]
    errors += [f"{r['log']}: {x}" for r in runs for x in r["fails"]]

    # The second boot of each kernel must give the same times. Memory moves
    # with what the kernel keeps of freed objects (KASAN's quarantine):
    # exact with the production config only, so a difference is a warning.
    worst, notes = {"ns": (0.0, ""), "KiB": (0.0, "")}, []
    for first, second in ((runs[0], runs[1]), (runs[2], runs[3])):
        for name, fig in first["figures"].items():
            other = second["figures"].get(name)
            if other is None:
                errors.append(f"{second['log']}: no figure {name}")
            elif fig["value"] and fig["unit"] in worst:
                diff = abs(other["value"] / fig["value"] - 1)
                worst[fig["unit"]] = max(worst[fig["unit"]], (diff, name))
    if worst["ns"][0] > AGREE_NS:
        errors.append(f"the two boots of a kernel differ by {100 * worst['ns'][0]:.3f} %"
                      f" ({worst['ns'][1]})")
    if worst["KiB"][0] > AGREE_KIB:
        notes.append(f"memory figures differ between the boots by up to"
                     f" {100 * worst['KiB'][0]:.1f} % ({worst['KiB'][1]}): not exact"
                     " with this config")

    out, rows = [], {}
    w = out.append
    w(f"make bench: {a.name}")
    w("QEMU -icount shift=0,sleep=off -smp 1: time counts guest instructions"
      " (1 ns each); value = median of the repetitions (memory: mean)")
    w(f"two boots of each kernel: times agree to {100 * worst['ns'][0]:.4f} %,"
      f" memory to {100 * worst['KiB'][0]:.4f} %")
    w("")
    w(f"{'P3: VMs without planes':<44} {'base':>12} {'series':>12} {'ratio':>8}"
      f" {'goal':>7}  {'iterations':<11} result")
    for name, what, goal in P3:
        if name not in base or name not in series:
            errors.append(f"figure {name} missing")
            continue
        b, s = base[name], series[name]
        ratio = s["value"] / b["value"]
        w(f"  {what:<42} {fmt(b):>12} {fmt(s):>12} {ratio:8.4f}"
          f" {'<= ' + str(goal) if goal else '':>7}  {iters(s):<11} {verdict(ratio, goal)}")
        rows[name] = {"what": what, "unit": s["unit"], "base": b["value"],
                      "series": s["value"], "ratio": ratio, "goal": goal,
                      "iters": s["iters"], "reps": s["reps"],
                      "ok": None if goal is None else ratio <= goal}

    needed = ["io", "vcpu", "vcpu_mem", "plane_switch", "plane_io", "plane_vcpu",
              "plane_vcpu_mem", "vtl_switch", "vtl_switch_user"] + [name for name, _ in EVENTS]
    missing = [name for name in needed if name not in series]
    if not missing:
        w("")
        w("series only (VMs with planes)")
        p, io = series["plane_switch"], series["io"]
        ratio = p["value"] / io["value"]
        w(f"  P1: KVM_RUN into the other plane, each        {fmt(p):>12}"
          f" / KVM_EXIT_IO {fmt(io)} = {ratio:.4f} (goal <= 1.10, {iters(p)})"
          f" {verdict(ratio, 1.10)}")
        pio = series["plane_io"]
        w(f"      the same in a VM with planes, plane 0 only: {fmt(pio)}"
          f" = {pio['value'] / io['value']:.4f} of KVM_EXIT_IO")
        rows["plane_io"] = {"what": "KVM_EXIT_IO round trip in a VM with planes, plane 0",
                            "ns": pio["value"], "ratio": pio["value"] / io["value"]}
        rows["P1"] = {"what": "plane switch (exit + KVM_RUN of the other plane)"
                      " / KVM_EXIT_IO round trip", "switch_ns": p["value"],
                      "io_ns": io["value"], "ratio": ratio, "goal": 1.10,
                      "iters": p["iters"], "reps": p["reps"], "ok": ratio <= 1.10}
        pm, vm = series["plane_vcpu_mem"], series["vcpu_mem"]
        ratio = pm["value"] / vm["value"]
        w(f"  P4: kernel memory per plane vCPU {fmt(pm):>12} / per plane-0 vCPU"
          f" {fmt(vm)} = {ratio:.4f} (goal <= 0.5, {int(pm['iters'])} vCPUs x"
          f" {int(pm['reps'])}) {verdict(ratio, 0.5)}")
        fields = [k for k in pm if k not in ("value", "unit", "iters", "reps", "min", "max")]
        for fig in (pm, vm):
            fig["pages"] = fig["value"] - sum(fig[k] for k in fields)
        fields.append("pages")
        for label, fig in (("plane vCPU", pm), ("plane-0 vCPU", vm)):
            w(f"      {label + ':':<14} " + ", ".join(f"{k} {fig[k]:.2f}" for k in fields)
              + " KiB")
        w("      (pages: MemFree's drop that no meminfo field accounts for, i.e."
          " pages from the page allocator)")
        if "kvm_vcpu_object_size" in runs[2]["info"]:
            w(f"      kvm_vcpu slab object: {runs[2]['info']['kvm_vcpu_object_size']} bytes")
        rows["P4"] = {"what": "kernel memory per plane vCPU / per plane-0 vCPU",
                      "plane_vcpu_kib": pm["value"], "vcpu_kib": vm["value"],
                      "ratio": ratio, "goal": 0.5, "ok": ratio <= 0.5,
                      "plane_vcpu_fields": {k: pm[k] for k in fields},
                      "vcpu_fields": {k: vm[k] for k in fields}}
        pv = series["plane_vcpu"]
        w(f"      KVM_CREATE_VCPU_PLANE {fmt(pv)}, KVM_CREATE_VCPU {fmt(series['vcpu'])}")
        rows["plane_vcpu"] = {"what": "KVM_CREATE_VCPU_PLANE", "ns": pv["value"]}
        w("  plane-event latency: KVM_SIGNAL_MSI on the plane-1 fd (other thread)"
          " -> KVM_EXIT_PLANE_EVENT in userspace")
        for name, what in EVENTS:
            e = series[name]
            w(f"      {what:<38} {fmt(e):>12} ({iters(e)}, min {e['min']:.1f},"
              f" max {e['max']:.1f})")
            rows[name] = {"what": what, "ns": e["value"], "min": e["min"], "max": e["max"],
                          "iters": e["iters"], "reps": e["reps"]}
        vk, vu, cp = series["vtl_switch"], series["vtl_switch_user"], series["cpuid"]
        ratio = vk["value"] / (2 * cp["value"])
        w(f"  P2: VSM VTL call + return, in-kernel          {fmt(vk):>12}"
          f" / 2 x CPUID exit {fmt(cp)} = {ratio:.4f} (goal <= 1.25, {iters(vk)})"
          f" {verdict(ratio, 1.25)}")
        w(f"      switched by the VMM (run->plane only)     {fmt(vu):>12}"
          f" = {vu['value'] / vk['value']:.2f} x in-kernel")
        rows["P2"] = {"what": "VSM VTL call + return pair, in-kernel / two CPUID exits",
                      "vtl_ns": vk["value"], "cpuid_ns": cp["value"], "ratio": ratio,
                      "goal": 1.25, "ok": ratio <= 1.25, "userspace_ns": vu["value"],
                      "iters": vk["iters"], "reps": vk["reps"]}
    else:
        errors.append("the series kernel did not report " + ", ".join(missing))

    for n in notes:
        w(f"NOTE: {n}")
    for e in errors:
        w(f"ERROR: {e}")
    print("\n".join(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"config": a.name, "agreement": {"time": worst["ns"][0],
                       "memory": worst["KiB"][0]}, "figures": rows, "raw": runs,
                       "notes": notes, "errors": errors}, f, indent=1)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
