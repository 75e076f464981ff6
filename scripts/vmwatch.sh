# The host-side watchdog of a test VM (sourced by scripts/run-vm.sh, and by
# its unit test, scripts/tests/test_vmwatch.py); never run.
# shellcheck shell=bash

# vm_watch PID LOG LIMIT [POLL]: wait until process PID (QEMU) ends. The
# guest writes LOG (guest.log) at least once per test, and its own timeout
# ends a test after the per-test timeout, so LOG staying the same size for
# more than LIMIT seconds means the guest hung: PID is killed (TERM, then
# KILL) and vm_watch returns 1, after saying which test was running. Each
# test is shown as it starts. Returns 0 when PID ended by itself. POLL is
# the check interval in seconds (default 2).
vm_watch() {
	local pid=$1 log=$2 limit=$3 poll=${4:-2}
	local start now size last_size=-1 last_change cur shown=
	start=$(date +%s)
	last_change=$start
	while kill -0 "$pid" 2>/dev/null; do
		sleep "$poll"
		size=$(stat -c %s "$log")
		now=$(date +%s)
		if [ "$size" != "$last_size" ]; then
			last_size=$size last_change=$now
			cur=$(grep -a 'planes-harness: start ' "$log" | tail -n 1 | cut -d' ' -f3- || true)
			if [ -n "$cur" ] && [ "$cur" != "$shown" ]; then
				printf '    [%ss] running %s\n' $((now - start)) "$cur"
				shown=$cur
			fi
		elif [ $((now - last_change)) -gt "$limit" ]; then
			printf '    no output for %ss%s: killing the VM\n' "$limit" "${shown:+ while running $shown}"
			kill "$pid" 2>/dev/null || true
			for _ in 1 2 3 4; do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.5
			done
			kill -9 "$pid" 2>/dev/null || true
			return 1
		fi
	done
	return 0
}
