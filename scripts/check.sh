#!/usr/bin/env bash
# make check: every check of the series, in order, continuing past failures
# where later checks do not depend on them. Each check and each test in the
# VM counts once in the closing "N passed, N failed" line (twice if its VM
# was booted again after a guest stall: both boots count); exit 1 on any
# failure. Logs: build/logs; per-VM-run results: build/vm/*/results.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$ROOT/scripts
results=$BUILD/check-results.txt
: >"$results"
t0=$(date +%s)

record() { # record STATUS NAME
	echo "$1 $2" >>"$results"
	printf '%-4s %s\n' "$1" "$2"
}

# check NAME CMD...: run one check, record PASS or FAIL; its output is
# shown indented (it is short: each check writes its full log to build/logs).
check() {
	local name=$1 rc=0 start
	shift
	start=$(date +%s)
	step "$name"
	if "$@" 2>&1 | sed -u 's/^/    /'; then rc=0; else rc=1; fi
	if [ $rc = 0 ]; then record PASS "$name ($(($(date +%s) - start))s)"; else record FAIL "$name"; fi
	return $rc
}

# vm_tests NAME OPT LIST TIMEOUT: boot once for LIST (OPT: run-vm.sh's -f,
# or -r for tests that must not skip) with this per-test timeout (TIMEOUT=
# in the environment overrides it) and count each test.
vm_tests() {
	local name=$1 opt=$2 list=$3 secs=${TIMEOUT:-$4} boots=1 b
	if ! grep -qv '^\s*#\|^\s*$' "$list"; then
		note "$list names no tests yet"
		return 0
	fi
	step "VM: $name ($(grep -cv '^\s*#\|^\s*$' "$list") tests)"
	rm -rf "$BUILD/vm/$name-boot1"
	"$S/run-vm.sh" -n "$name" -t "$secs" "$opt" "$list" 2>&1 | sed -u 's/^/    /' || true
	# A known flake of the emulation, not of the series: in some boots the
	# demo's guest never runs (it reports "guest stalled"). Boot once more
	# in that case, and say so. Both boots count: in the first, the test
	# whose guest stalled is a skip and any other failure a failure.
	if grep -q 'guest stalled' "$BUILD/vm/$name/guest.log" 2>/dev/null; then
		note "a guest stalled in this boot (known TCG flake, see README): booting again once"
		note "boot 1 is kept in build/vm/$name-boot1"
		mv "$BUILD/vm/$name" "$BUILD/vm/$name-boot1"
		boots=2
		"$S/run-vm.sh" -n "$name" -t "$secs" "$opt" "$list" 2>&1 | sed -u 's/^/    /' || true
	fi
	for b in $(seq 1 $boots); do
		local d=$BUILD/vm/$name
		[ $b = $boots ] || d=$BUILD/vm/$name-boot$b
		python3 "$S/vmresults.py" --lines "$d" --run "$name" --boot "$b" --of "$boots" \
			>>"$results" || record FAIL "VM run $name (boot $b) produced no results"
	done
}

deps_ok=1
check "packages installed" "$S/deps.sh" || deps_ok=0
[ $deps_ok = 1 ] || die "cannot continue without packages"
check "tree: base + series (make tree)" "$S/tree.sh" || die "no tree, nothing else can run"
check "patches/ is exported from build/linux" "$S/export.sh" --check || true
check "series applies to the pinned base with git am" "$S/check-am.sh" || true
check "checkpatch --strict" "$S/check-checkpatch.sh" || true
check "harness unit tests" python3 -m unittest discover -s "$S/tests" -p 'test_*.py' || true

built=1
check "kernel build" "$S/build-kernel.sh" || built=0
if [ $built = 1 ]; then
	check "W=1 + sparse: no new warnings in arch/x86/kvm, virt/kvm" "$S/check-warnings.sh" sparse || true
fi
check "htmldocs (virt): no new warnings" "$S/check-warnings.sh" docs || true
check "KVM compiles for arm64 riscv s390 powerpc mips (make cross)" "$S/cross-build.sh" || true
check "selftests build" "$S/build-selftests.sh" || built=0
check "demo VMM build" "$S/build-demo.sh" || built=0
if [ $built = 1 ] && check "initramfs" "$S/build-initramfs.sh"; then
	# With the series applied every planes test must run: a skip fails.
	vm_tests planes -r "$ROOT/tests/planes.list" 480
	# dirty_log_test takes 200 s here alone, 377 s beside another VM, and
	# ran into a 480 s timeout in a CI run (2026-12-01): give it room.
	vm_tests regression -f "$ROOT/tests/regression.list" 900
fi

pass=$(grep -c '^PASS' "$results" || true)
fail=$(grep -c '^FAIL' "$results" || true)
skip=$(grep -c '^SKIP' "$results" || true)
echo
step "summary ($(($(date +%s) - t0))s)"
grep '^FAIL' "$results" | sed 's/^/    /' || true
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
