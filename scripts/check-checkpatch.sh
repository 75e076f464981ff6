#!/usr/bin/env bash
# checkpatch.pl --strict on every patch of the series. An ERROR fails the
# patch. A WARNING or CHECK is accepted only when the patch's notes (the
# "Notes:" block below ---, written with 'git notes add' in build/linux)
# justify it with a line "checkpatch: TYPE: why".
# Prints one TAP-like line per patch; exits 1 if any patch fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_pkgs perl python3-ply python3-git

rc=0
n=0
for p in "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
	[ -e "$p" ] || continue
	case ${p##*/} in 0000-*) continue ;; esac
	n=$((n + 1))
	out=$(cd "$TREE" && perl scripts/checkpatch.pl --strict --show-types --no-summary \
		--terse "$p" 2>&1 || true)
	notes=$(awk '/^---$/ { n = 1 } n && /^Notes:$/ { p = 1; next }
		p && /^    / { print; next } p { exit }' "$p")
	bad=()
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		level=$(sed -nE 's/.*: (ERROR|WARNING|CHECK):([A-Z_0-9]+):.*/\1/p' <<<"$line")
		type=$(sed -nE 's/.*: (ERROR|WARNING|CHECK):([A-Z_0-9]+):.*/\2/p' <<<"$line")
		if [ -z "$level" ]; then
			bad+=("$line")
		elif [ "$level" = ERROR ] || ! grep -q "checkpatch: $type:" <<<"$notes"; then
			bad+=("$line")
		fi
	done <<<"$out"
	if [ ${#bad[@]} -eq 0 ]; then
		echo "ok $n checkpatch ${p##*/}"
	else
		echo "not ok $n checkpatch ${p##*/}"
		printf '#   %s\n' "${bad[@]}"
		rc=1
	fi
done
exit $rc
