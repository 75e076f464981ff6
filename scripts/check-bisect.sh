#!/usr/bin/env bash
# make bisect [FROM=REV]: every commit of the series from FROM (default:
# the tag base) to HEAD of build/linux must compile on its own: the x86
# KVM code (arch/x86/kvm, which includes virt/kvm) with the test kernel's
# .config, with -Werror, and, for commits that touch the KVM selftests,
# the selftests too. Runs in a scratch worktree (build/bisect), so
# build/linux is never touched. Not part of 'make check' (about a minute
# per commit); run it before exporting a series whose commits changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/progress.sh"

cfg=$BUILD/obj/kernel/.config
[ -f "$cfg" ] || die "no kernel .config: run 'make kernel' first"
from=${FROM:-base}
wt=$BUILD/bisect
obj=$BUILD/obj/bisect
git -C "$TREE" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$wt" "$from"
trap 'git -C "$TREE" worktree remove --force "$wt"' EXIT
mkdir -p "$obj"
cp "$cfg" "$obj/.config"

kmake() {
	make -C "$wt" O="$obj" CC="ccache gcc" KCFLAGS=-Werror "$@"
}
run_logged "$LOGS/bisect-config.log" kmake olddefconfig

n=0
for c in $(git -C "$TREE" rev-list --reverse "$from..HEAD"); do
	n=$((n + 1))
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	if ! run_logged "$LOGS/bisect-$n.log" kmake -j"$JOBS" arch/x86/kvm/; then
		die "commit $n ($subject) does not build; log: $LOGS/bisect-$n.log"
	fi
	if git -C "$TREE" diff --quiet "$c~1" "$c" -- tools/testing/selftests/kvm tools/include; then
		note "$n: $subject"
		continue
	fi
	run_logged "$LOGS/bisect-$n-headers.log" make -C "$wt" O="$obj/headers-build" \
		INSTALL_HDR_PATH="$obj/headers" headers_install
	mkdir -p "$obj/selftests"
	if ! run_logged "$LOGS/bisect-$n-selftests.log" make -C "$wt/tools/testing/selftests/kvm" \
		-j"$JOBS" OUTPUT="$obj/selftests" KHDR_INCLUDES="-isystem $obj/headers/include" \
		CC="ccache gcc"; then
		die "commit $n ($subject): selftests do not build; log: $LOGS/bisect-$n-selftests.log"
	fi
	note "$n: $subject (and the selftests)"
done
step "all $n commits build on their own"
