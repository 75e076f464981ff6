#!/usr/bin/env bash
# make distro [CONFIGS="amd64_rt_amd64 ..."]: build the KVM modules of
# build/linux (kvm.ko, kvm-amd.ko, kvm-intel.ko) as a distribution does,
# with Debian's own kernel configs (package linux-config-6.12:
# amd64_none_amd64, amd64_none_cloud-amd64, amd64_rt_amd64 = PREEMPT_RT).
# Not part of 'make check' (see README for its time).
#
# Each config gets a worktree of build/linux at its HEAD in
# build/distro/CONFIG (an external-module build of 6.12 writes its objects
# next to the sources, so build/linux itself is never used), then
# 'modules_prepare' and 'M=arch/x86/kvm modules' with -Werror. Without
# vmlinux there is no Module.symvers, so modpost cannot judge the exports;
# instead, every symbol that kvm-amd.ko or kvm-intel.ko uses must be either
# exported by kvm.ko, or not defined in kvm.ko at all and exported by the
# rest of the kernel (an EXPORT_SYMBOL* of that name somewhere in the tree).
# Config changes, the same for all three: no debug info and no BTF (BTF
# of modules needs vmlinux), which do not change what is compiled.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/progress.sh"

need_pkgs linux-config-6.12 xz-utils binutils
configs=${CONFIGS:-amd64_none_amd64 amd64_none_cloud-amd64 amd64_rt_amd64}
head=$(git -C "$TREE" rev-parse HEAD)
git -C "$TREE" worktree prune

# Every name the tree exports to modules, whatever the macro's flavour.
exports=$BUILD/distro/exports.txt
mkdir -p "$BUILD/distro"
# (EXPORT_SYMBOL_GPL, EXPORT_EARLY_PER_CPU_SYMBOL, __EXPORT_THUNK...)
git -C "$TREE" grep -h -o -E '\b(__)?EXPORT_[A-Z_]*(SYMBOL|THUNK)[A-Z_]*\(\s*\w+' -- '*.c' '*.S' '*.h' |
	sed -E 's/.*\(\s*//' | sort -u >"$exports"

failed=()
for c in $configs; do
	cfg=/usr/src/linux-config-6.12/config.$c.xz
	[ -f "$cfg" ] || die "no Debian config $cfg"
	wt=$BUILD/distro/$c
	if [ -d "$wt" ]; then
		git -C "$wt" checkout -q --detach "$head"
	else
		git -C "$TREE" worktree add -q --detach "$wt" "$head"
	fi
	kmake() { make -C "$wt" CC="ccache gcc" "$@"; }
	step "$c: Debian config, KVM modules"
	xzcat "$cfg" >"$wt/.config"
	"$wt/scripts/config" --file "$wt/.config" --disable DEBUG_INFO_BTF \
		--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --enable DEBUG_INFO_NONE
	run_logged "$LOGS/distro-$c-config.log" kmake olddefconfig
	for o in KVM KVM_AMD KVM_INTEL; do
		grep -qx "CONFIG_$o=m" "$wt/.config" || die "$c: CONFIG_$o is not a module"
	done
	progress "$LOGS/distro-$c-prepare.log" "$c modules_prepare" kmake -j"$JOBS" modules_prepare
	progress "$LOGS/distro-$c.log" "$c KVM modules" \
		kmake -j"$JOBS" KCFLAGS=-Werror KBUILD_MODPOST_WARN=1 M=arch/x86/kvm modules
	# modpost's own findings (section mismatches...), beyond the undefined
	# symbols it cannot resolve without vmlinux, which are checked below.
	warn=$(grep -E 'WARNING|ERROR' "$LOGS/distro-$c.log" |
		grep -v -E 'undefined!|suppressed [0-9]+ unresolved|Module\.symvers is missing' || true)
	[ -z "$warn" ] || { printf '%s\n' "$warn" >&2; die "$c: modpost warnings, log: $LOGS/distro-$c.log"; }

	kvm=$wt/arch/x86/kvm
	nm --defined-only "$kvm/kvm.ko" | awk '{ print $3 }' | sort -u >"$wt/kvm.defined"
	nm "$kvm/kvm.ko" | awk '$3 ~ /^__ksymtab_/ { sub(/^__ksymtab_/, "", $3); print $3 }' |
		sort -u >"$wt/kvm.exported"
	[ -s "$wt/kvm.exported" ] || die "$c: found no exports in kvm.ko"
	bad=0
	for m in kvm-amd kvm-intel; do
		nm -u "$kvm/$m.ko" | awk '{ print $2 }' | sort -u >"$wt/$m.undefined"
		unexported=$(comm -23 <(comm -12 "$wt/$m.undefined" "$wt/kvm.defined") "$wt/kvm.exported")
		# Exported by macros that paste the name: static calls,
		# tracepoints, STANDARD_PARAM_DEF's param_ops_*; and the symbols
		# the compiler itself emits.
		unknown=$(comm -23 <(comm -23 "$wt/$m.undefined" "$wt/kvm.defined") "$exports" |
			grep -v -E '^(param_ops_|__SCT__|__SCK__|__tracepoint_|__traceiter_|__x86_indirect_thunk_|__x86_return_thunk$|__fentry__$|__stack_chk_fail$)' || true)
		[ -n "$unexported$unknown" ] ||
			note "$m.ko: $(wc -l <"$wt/$m.undefined") undefined symbols, all exported"
		if [ -n "$unexported" ]; then
			note "$m.ko uses symbols that kvm.ko defines but does not export: $(echo $unexported)"
			bad=1
		fi
		if [ -n "$unknown" ]; then
			note "$m.ko uses symbols that nothing in the tree exports: $(echo $unknown)"
			bad=1
		fi
	done
	if [ $bad = 1 ]; then failed+=("$c"); fi
done
[ ${#failed[@]} = 0 ] || die "KVM modules do not link for: ${failed[*]}"
step "KVM modules build and link for: $configs"
