#!/usr/bin/env bash
# make bench: what planes cost, A/B against the unpatched base in one run.
#   bench.sh [kernels|vmm|run|table|all]     (default: all)
#     kernels  the base (worktree of build/linux at tag "base", the one make
#              baseline uses) and the series, same config, in
#              build/obj/bench-base and build/obj/bench-series
#     vmm      bench/planes-bench.c, static, against the series' uapi
#              headers, and an initramfs with just it (build/obj/bench)
#     run      boot each kernel twice under QEMU -icount with one CPU and
#              run the VMM (build/vm/bench-*), then the table
#     table    build/bench/results.txt and results.json from those runs
# The config is production (tinyconfig + config/kvm-host.config);
# FRAGMENTS="config/kvm-host.config config/debug.config" makes the A/B
# with the debug fragment (objects bench-*-debug, results-debug.*).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$ROOT/scripts

frags=()
for f in ${FRAGMENTS:-config/kvm-host.config}; do
	case $f in /*) frags+=("$f") ;; *) frags+=("$ROOT/$f") ;; esac
done
# Name the objects and results after the fragments beyond kvm-host.config.
tag=
for f in "${frags[@]}"; do
	[ "${f##*/}" = kvm-host.config ] || tag+=-$(basename "$f" .config)
done
kernels=(base series)
declare -A src=([base]=$BUILD/base-linux [series]=$TREE)
obj() { echo "$BUILD/obj/bench-$1$tag"; }
out=$BUILD/obj/bench
results=$BUILD/bench

do_kernels() {
	[ -d "${src[base]}" ] || git -C "$TREE" worktree add -q --detach "${src[base]}" base
	for k in "${kernels[@]}"; do
		step "bench: $k kernel (${frags[*]##*/})"
		KSRC=${src[$k]} KOBJ=$(obj "$k") FRAGMENTS="${frags[*]}" "$S/build-kernel.sh"
	done
	note "series: $(git -C "$TREE" log -1 --format='%h %s')"
}

do_vmm() {
	step "bench: VMM and initramfs in ${out#"$ROOT"/}"
	mkdir -p "$out/bin"
	run_logged "$LOGS/bench-headers.log" make -C "$TREE" O="$out/headers-build" \
		INSTALL_HDR_PATH="$out/headers" headers_install
	gcc -static -O2 -Wall -Wextra -Werror -pthread -isystem "$out/headers/include" \
		-o "$out/bin/planes-bench" "$ROOT/bench/planes-bench.c"
	OUT=$out/initramfs.cpio TESTS=$out/bin "$S/build-initramfs.sh"
}

# One boot: -icount makes the guest's clock count instructions (one per ns
# at shift=0, so its TSC runs at 1 GHz: tell the guest kernel), exact and
# repeatable, whatever else the host runs.
boot() {
	QEMU_ACCEL=tcg,thread=single,tb-size=512 QEMU_SMP=1 QEMU_EXTRA="-icount shift=0,sleep=off" \
		"$S/run-vm.sh" -n "bench$tag-$1" -k "$(obj "${1%-*}")" -i "$out/initramfs.cpio" \
		-a tsc_early_khz=1000000 -t 1200 planes-bench >"$LOGS/bench$tag-$1.log" 2>&1 || true
	note "$1: $(grep -c '^bench: ' "$BUILD/vm/bench$tag-$1/guest.log") lines, $(grep -a 'VM ran' "$LOGS/bench$tag-$1.log" | tr -s ' ')"
}

do_run() {
	local run k
	for run in 1 2; do
		step "bench: run $run of 2, both kernels at once (-smp 1 each)"
		for k in "${kernels[@]}"; do
			boot "$k-$run" &
		done
		wait
	done
	do_table
}

do_table() {
	mkdir -p "$results"
	python3 "$S/bench-table.py" --name "tinyconfig + ${frags[*]##*/}" \
		--json "$results/results$tag.json" \
		"$BUILD"/vm/bench"$tag"-{base,series}-{1,2}/guest.log | tee "$results/results$tag.txt"
	note "written: ${results#"$ROOT"/}/results$tag.txt, results$tag.json"
}

case ${1:-all} in
kernels) do_kernels ;;
vmm) do_vmm ;;
run) do_run ;;
table) do_table ;;
all) do_kernels; do_vmm; do_run ;;
*) die "usage: bench.sh [kernels|vmm|run|table|all]" ;;
esac
