#!/usr/bin/env bash
# make insn-trace: count, exactly, the instructions of one hot path of a
# bench kernel, by single-stepping it with gdb under QEMU -icount.
#   insn-trace.sh [KERNEL] [PATH]        (default: series io)
#     KERNEL  base or series: a kernel of make bench (build/obj/bench-*)
#     PATH    io     a KVM_EXIT_IO round trip (KVM_RUN ioctl to the next)
#             cpuid  an in-kernel CPUID exit (kvm_emulate_cpuid to the next)
#             vtl    an in-kernel VTL call or return (series only)
# The guest runs planes-bench, as make bench does; gdb stops at the path's
# function after SKIP (300) hits and steps N (4) times from one hit to the
# next. Writes build/insn/KERNEL-PATH.txt (the PCs of each iteration) and
# prints the instructions per function of the last iteration. Needs gdb
# (apt-get install gdb) and make bench-kernels bench-vmm.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:-series} path=${2:-io}
obj=$BUILD/obj/bench-$kernel
cpio=$BUILD/obj/bench/initramfs.cpio
port=${PORT:-12345}
# shellcheck disable=SC2016 # cond is for gdb: $rsi is the ioctl (KVM_RUN)
case $path in
io) fn=kvm_vcpu_ioctl cond='$rsi == 0xae80' ;;
cpuid) fn=kvm_emulate_cpuid cond= ;;
vtl) fn=kvm_hv_vtl_hypercall cond= ;;
*) die "unknown path '$path': io, cpuid or vtl" ;;
esac
command -v gdb >/dev/null || die "needs gdb: apt-get install gdb"
if [ ! -f "$obj/vmlinux" ] || [ ! -f "$cpio" ]; then
	die "no $obj/vmlinux or $cpio: make bench-kernels bench-vmm first"
fi
addr=$(nm "$obj/vmlinux" | awk -v f="$fn" '$3 == f { print $1 }')
[ -n "$addr" ] || die "$fn is not in $obj/vmlinux"

name=insn-$kernel-$path
out=$BUILD/insn/$kernel-$path.txt
mkdir -p "$BUILD/insn" "$LOGS"
step "insn-trace: $fn of bench-$kernel, under gdb"
rm -f "$BUILD/vm/$name/guest.log"
QEMU_ACCEL=tcg,thread=single,tb-size=512 QEMU_SMP=1 \
	QEMU_EXTRA="-icount shift=0,sleep=off -gdb tcp:127.0.0.1:$port" \
	"$ROOT/scripts/run-vm.sh" -n "$name" -k "$obj" -i "$cpio" \
	-a tsc_early_khz=1000000 -t 1200 planes-bench >"$LOGS/$name.log" 2>&1 &
vm=$!
stop_vm() { pkill -f -- "-gdb tcp:127.0.0.1:$port" || true; wait "$vm" || true; }
trap stop_vm EXIT

# gdb attaches once planes-bench runs; the breakpoint waits for the path.
for _ in $(seq 300); do
	grep -qs '^bench: ' "$BUILD/vm/$name/guest.log" && break
	sleep 2
done
grep -qs '^bench: ' "$BUILD/vm/$name/guest.log" || die "planes-bench did not start, see $LOGS/$name.log"
ADDR=$addr COND=$cond OUT=$out PORT=$port SKIP=${SKIP:-300} N=${N:-4} \
	gdb -nx -batch -x "$ROOT/scripts/insn-trace.py" >"$LOGS/$name.gdb.log" 2>&1 || true
grep -s '^iter' "$LOGS/$name.gdb.log" | sed 's/^/    /' ||
	die "gdb traced nothing, see $LOGS/$name.gdb.log"
python3 "$ROOT/scripts/insn-trace.py" --count "$out" "$obj/vmlinux"
