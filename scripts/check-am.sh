#!/usr/bin/env bash
# The series applies to the pinned base with plain git am (no 3-way merge,
# no fuzz), in a scratch worktree so build/linux is not touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
wt=$BUILD/am-check
git -C "$TREE" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$wt" base
trap 'git -C "$TREE" worktree remove --force "$wt" 2>/dev/null || true' EXIT
n=0
for p in "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
	[ -e "$p" ] || continue
	case ${p##*/} in 0000-*) continue ;; esac
	git -C "$wt" -c am.threeWay=false am -q "$p" || die "${p##*/} does not apply"
	n=$((n + 1))
done
note "$n patches apply cleanly"
