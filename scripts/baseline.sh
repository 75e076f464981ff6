#!/usr/bin/env bash
# make baseline: measure the unpatched base, for the records the checks
# compare against. Builds the base kernel (a worktree of build/linux at tag
# "base", same config) and runs every KVM selftest on it, then records the
# base sparse and htmldocs warning lists (series/*-base.txt). The run's
# results (build/vm/baseline/results.json) are what tests/regression.list
# was curated from: every test that passes there belongs in the list.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$ROOT/scripts
base=$BUILD/base-linux
[ -d "$base" ] || git -C "$TREE" worktree add -q --detach "$base" base
KSRC=$base KOBJ=$BUILD/obj/kernel-base "$S/build-kernel.sh"
"$S/build-selftests.sh"
"$S/build-initramfs.sh"
(cd "$BUILD/obj/initramfs-root/kselftests/kvm" && find . -type f ! -name 'planes-*' |
	sed 's|^\./||' | LC_ALL=C sort) >"$BUILD/baseline-tests.list"
"$S/run-vm.sh" -n baseline -k "$BUILD/obj/kernel-base" -t "${TIMEOUT:-150}" \
	-f "$BUILD/baseline-tests.list" || true
"$S/check-warnings.sh" sparse --record
"$S/check-warnings.sh" docs --record
