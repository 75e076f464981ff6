#!/usr/bin/env bash
# Boot the built kernel under QEMU and run tests inside it.
#   run-vm.sh [-n NAME] [-t SECS] [-k DIR] [-i CPIO] [-a ARGS] [-f LIST]... [-r LIST]... [TEST]...
#     -n NAME   results go to build/vm/NAME (default: adhoc)
#     -t SECS   per-test timeout inside the guest (default 150)
#     -k DIR    use the kernel built in DIR (default build/obj/kernel)
#     -i CPIO   boot this initramfs (default build/obj/initramfs.cpio)
#     -a ARGS   more kernel command line arguments
#     -f LIST   read test names from LIST (one per line, '#' comments)
#     -r LIST   like -f, but these tests must run here: a skip of the whole
#               test fails (tests/planes.list on the patched kernel)
# config/qemu.conf says how QEMU is started (QEMU_SMP, QEMU_EXTRA...).
# TEST is a path below tools/testing/selftests/kvm's output, e.g.
# x86_64/sync_regs_test. Writes console.log (kernel log), guest.log (test
# output) and results.json there, prints the TAP result lines, and exits
# non-zero if a test failed, the VM hung, the kernel log shows a splat or
# the end-of-run kmemleak scan found a leak (or did not run, on a kernel
# with kmemleak).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/config/qemu.conf"
. "$ROOT/scripts/vmwatch.sh"

name=adhoc timeout=150 kernel=$BUILD/obj/kernel initramfs=$BUILD/obj/initramfs.cpio args=
tests=() must_run=()
read_list() { sed 's/#.*//; s/[[:space:]]*$//' "$1" | grep .; }
while getopts n:t:k:i:a:f:r: opt; do
	case $opt in
	n) name=$OPTARG ;;
	t) timeout=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initramfs=$OPTARG ;;
	a) args=$OPTARG ;;
	f) mapfile -t -O "${#tests[@]}" tests < <(read_list "$OPTARG") ;;
	r) mapfile -t -O "${#tests[@]}" tests < <(read_list "$OPTARG")
	   mapfile -t -O "${#must_run[@]}" must_run < <(read_list "$OPTARG") ;;
	*) die "usage: run-vm.sh [-n NAME] [-t SECS] [-k DIR] [-i CPIO] [-a ARGS] [-f LIST]... [-r LIST]... [TEST]..." ;;
	esac
done
shift $((OPTIND - 1))
tests+=("$@")
[ ${#tests[@]} -gt 0 ] || die "no tests given"
need_pkgs qemu-system-x86 cpio

bz=$kernel/arch/x86/boot/bzImage
[ -f "$bz" ] || die "no kernel at $bz: run 'make kernel'"
[ -f "$initramfs" ] || die "no initramfs at $initramfs: run 'make initramfs'"

dir=$BUILD/vm/$name
rm -rf "$dir"
mkdir -p "$dir/root"
printf '%s\n' "${tests[@]}" >"$dir/root/tests.list"
printf '%s\n' "${must_run[@]}" >"$dir/must-run.list"
(cd "$dir/root" && echo tests.list | cpio -o -H newc --quiet -R 0:0) >"$dir/tests.cpio"
cat "$initramfs" "$dir/tests.cpio" >"$dir/initramfs.cpio"
: >"$dir/guest.log"

bios=()
[ -f "$QEMU_BIOS" ] && bios=(-bios "$QEMU_BIOS")

# Under TCG the guest's TSC is the host's. The guest kernel calibrates it
# against the emulated PIT, which fails now and then (seen in 2 of 7 boots
# on 2026-11-26: "tsc: Unable to calibrate against PIT"); the TSC is then
# marked unstable, KVM_GET_TSC_KHZ returns 0 and every selftest that
# creates a VM fails. Tell the guest the host's TSC frequency instead.
# And do not let the clocksource watchdog drop the TSC: on a loaded host
# (load 8 and more on 2026-12-01) it marked it unstable in every boot
# (skew against refined-jiffies), the guest then kept time with jiffies,
# and when its ticks stopped its time stopped: the in-guest per-test
# timeout never fired (dirty_log_perf_test silent until the host watchdog
# killed the VM, in 3 boots of 3). With tsc=reliable the same test ran into
# its timeout and the next test passed.
tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
append="$QEMU_APPEND planes.timeout=$timeout${tsc_khz:+ tsc_early_khz=$tsc_khz} tsc=reliable${args:+ $args}"
step "booting ${kernel##*/} for ${#tests[@]} test(s) [$name], per-test timeout ${timeout}s"
start=$(date +%s)
# shellcheck disable=SC2086 # QEMU_EXTRA is a list of arguments
"$QEMU" -accel "$QEMU_ACCEL" -cpu "$QEMU_CPU" -smp "$QEMU_SMP" -m "$QEMU_MEM" \
	"${bios[@]}" $QEMU_EXTRA -nodefaults -display none -no-reboot \
	-kernel "$bz" -initrd "$dir/initramfs.cpio" \
	-append "$append" \
	-serial "file:$dir/console.log" -serial "file:$dir/guest.log" \
	>"$dir/qemu.log" 2>&1 &
qpid=$!

# Watchdog (scripts/vmwatch.sh): the guest writes to guest.log at least
# once per test (its own timeout fires after $timeout s), so silence for
# much longer than that means the guest kernel hung. Kill it rather than
# wait forever.
hung=0
vm_watch $qpid "$dir/guest.log" $((timeout + 120)) || hung=1
wait $qpid || true
note "VM ran $(($(date +%s) - start))s"

results=("$dir" --tests "$dir/root/tests.list" --must-run "$dir/must-run.list")
[ $hung = 1 ] && results+=(--hung)
# A kernel with kmemleak must have run the end-of-run scan (guest/init).
grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$kernel/.config" 2>/dev/null && results+=(--kmemleak)
python3 "$ROOT/scripts/vmresults.py" "${results[@]}"
