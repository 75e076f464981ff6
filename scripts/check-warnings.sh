#!/usr/bin/env bash
# check-warnings.sh sparse|docs [--record]
#   sparse: make W=1 C=2 (gcc extra warnings + sparse on every file) over
#           arch/x86/kvm (which builds virt/kvm too), out of tree.
#   docs:   make SPHINXDIRS=virt htmldocs.
# Compares the warnings with series/<kind>-base.txt (normalized, line
# numbers dropped) and fails on any new one. --record rebuilds the list from
# the unpatched base (a worktree of build/linux at tag "base").
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/progress.sh"

kind=${1:?usage: check-warnings.sh sparse|docs [--record]}
record=0
[ "${2:-}" = --record ] && record=1
src=$TREE
obj=$BUILD/obj/$kind
if [ $record = 1 ]; then
	src=$BUILD/base-linux
	obj=$BUILD/obj/$kind-base
	[ -d "$src" ] || git -C "$TREE" worktree add -q --detach "$src" base
fi
mkdir -p "$obj"
log=$LOGS/$kind$([ $record = 1 ] && echo -base || true).log

case $kind in
sparse)
	need_pkgs sparse
	[ -f "$BUILD/obj/kernel/.config" ] || die "run 'make kernel' first (its .config is reused)"
	cmp -s "$BUILD/obj/kernel/.config" "$obj/.config" || cp "$BUILD/obj/kernel/.config" "$obj/.config"
	run_logged "$LOGS/$kind-config.log" make -C "$src" O="$obj" olddefconfig
	progress "$log" "W=1 C=2 build of arch/x86/kvm" make -C "$src" O="$obj" -j"$JOBS" \
		CC="ccache gcc" W=1 C=2 CHECK=sparse arch/x86/kvm/
	;;
docs)
	need_pkgs python3-sphinx python3-sphinx-rtd-theme python3-yaml make
	progress "$log" "htmldocs (SPHINXDIRS=virt)" make -C "$src" O="$obj" \
		SPHINXDIRS=virt htmldocs
	;;
*) die "unknown kind $kind" ;;
esac

base=$ROOT/series/$kind-base.txt
if [ $record = 1 ]; then
	python3 "$ROOT/scripts/warncmp.py" extract "$log" >"$base"
	step "recorded $(grep -c . "$base" || true) base warnings in series/${base##*/}"
	exit 0
fi
python3 "$ROOT/scripts/warncmp.py" compare "$base" "$log"
