# Sourced. progress LOG LABEL CMD...: run CMD with all output in LOG and a
# one-line status (elapsed time, lines of output, last line) every 20 s.
# shellcheck shell=bash
progress() {
	local log=$1 label=$2 pid start rc=0
	shift 2
	start=$(date +%s)
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 20); do
			sleep 1
			kill -0 "$pid" 2>/dev/null || break
		done
		kill -0 "$pid" 2>/dev/null || break
		printf '    %s: %ds, %d lines, last: %.70s\n' "$label" $(($(date +%s) - start)) \
			"$(wc -l <"$log")" "$(tail -n 1 "$log" | tr -s ' ')"
	done
	wait "$pid" || rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 40 "$log" >&2
		die "$label failed (exit $rc); full log: $log"
	fi
	note "$label done in $(($(date +%s) - start)) s (log: ${log#"$ROOT"/})"
}
