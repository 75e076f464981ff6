#!/usr/bin/env bash
# Boot the built kernel under QEMU and run tests inside it.
#   run-vm.sh [-n NAME] [-t SECS] [-k DIR] [-f LIST]... [TEST]...
#     -n NAME   results go to build/vm/NAME (default: adhoc)
#     -t SECS   per-test timeout inside the guest (default 150)
#     -k DIR    use the kernel built in DIR (default build/obj/kernel)
#     -f LIST   read test names from LIST (one per line, '#' comments)
# TEST is a path below tools/testing/selftests/kvm's output, e.g.
# x86_64/sync_regs_test. Writes console.log (kernel log), guest.log (test
# output) and results.json there, prints the TAP result lines, and exits
# non-zero if a test failed, the VM hung or the kernel log shows a splat.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/config/qemu.conf"

name=adhoc timeout=150 kernel=$BUILD/obj/kernel
tests=()
while getopts n:t:k:f: opt; do
	case $opt in
	n) name=$OPTARG ;;
	t) timeout=$OPTARG ;;
	k) kernel=$OPTARG ;;
	f) mapfile -t -O "${#tests[@]}" tests < <(sed 's/#.*//; s/[[:space:]]*$//' "$OPTARG" | grep .) ;;
	*) die "usage: run-vm.sh [-n NAME] [-t SECS] [-k DIR] [-f LIST]... [TEST]..." ;;
	esac
done
shift $((OPTIND - 1))
tests+=("$@")
[ ${#tests[@]} -gt 0 ] || die "no tests given"
need_pkgs qemu-system-x86 cpio

bz=$kernel/arch/x86/boot/bzImage
[ -f "$bz" ] || die "no kernel at $bz: run 'make kernel'"
[ -f "$BUILD/obj/initramfs.cpio" ] || die "no initramfs: run 'make initramfs'"

dir=$BUILD/vm/$name
rm -rf "$dir"
mkdir -p "$dir/root"
printf '%s\n' "${tests[@]}" >"$dir/root/tests.list"
(cd "$dir/root" && echo tests.list | cpio -o -H newc --quiet -R 0:0) >"$dir/tests.cpio"
cat "$BUILD/obj/initramfs.cpio" "$dir/tests.cpio" >"$dir/initramfs.cpio"
: >"$dir/guest.log"

bios=()
[ -f "$QEMU_BIOS" ] && bios=(-bios "$QEMU_BIOS")

# Under TCG the guest's TSC is the host's. The guest kernel calibrates it
# against the emulated PIT, which fails now and then (seen in 2 of 7 boots
# on 2026-11-26: "tsc: Unable to calibrate against PIT"); the TSC is then
# marked unstable, KVM_GET_TSC_KHZ returns 0 and every selftest that
# creates a VM fails. Tell the guest the host's TSC frequency instead.
tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
append="$QEMU_APPEND planes.timeout=$timeout${tsc_khz:+ tsc_early_khz=$tsc_khz}"
step "booting ${kernel##*/} for ${#tests[@]} test(s) [$name], per-test timeout ${timeout}s"
start=$(date +%s)
"$QEMU" -accel "$QEMU_ACCEL" -cpu "$QEMU_CPU" -smp "$QEMU_SMP" -m "$QEMU_MEM" \
	"${bios[@]}" -nodefaults -display none -no-reboot \
	-kernel "$bz" -initrd "$dir/initramfs.cpio" \
	-append "$append" \
	-serial "file:$dir/console.log" -serial "file:$dir/guest.log" \
	>"$dir/qemu.log" 2>&1 &
qpid=$!

# Watchdog: the guest writes to guest.log at least once per test (its
# own timeout fires after $timeout s), so silence for much longer than
# that means the guest kernel hung. Kill it rather than wait forever.
limit=$((timeout + 120))
last_size=-1 last_change=$start hung=0 shown=
while kill -0 $qpid 2>/dev/null; do
	sleep 2
	size=$(stat -c %s "$dir/guest.log")
	now=$(date +%s)
	if [ "$size" != "$last_size" ]; then
		last_size=$size last_change=$now
		cur=$(grep -a 'planes-harness: start ' "$dir/guest.log" | tail -n 1 | cut -d' ' -f3- || true)
		if [ -n "$cur" ] && [ "$cur" != "$shown" ]; then
			note "[$((now - start))s] running $cur"
			shown=$cur
		fi
	elif [ $((now - last_change)) -gt $limit ]; then
		note "no output for ${limit}s: killing the VM"
		hung=1
		kill $qpid 2>/dev/null || true
		sleep 2
		kill -9 $qpid 2>/dev/null || true
	fi
done
wait $qpid || true
note "VM ran $(($(date +%s) - start))s"

args=("$dir" --tests "$dir/root/tests.list")
[ $hung = 1 ] && args+=(--hung)
python3 "$ROOT/scripts/vmresults.py" "${args[@]}"
