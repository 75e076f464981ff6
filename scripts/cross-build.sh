#!/usr/bin/env bash
# make cross [ARCHS="arm64 s390"]: compile the KVM code of other
# architectures (arch/$ARCH/kvm, which includes virt/kvm) from build/linux
# with Debian's cross compilers, so a change to generic KVM code is shown
# not to break them. Settings per architecture: config/cross.conf.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/progress.sh"

want=${ARCHS:-}
built=()
while read -r arch pkg prefix defconfig opts; do
	case $arch in '' | '#'*) continue ;; esac
	[ -z "$want" ] || [[ " $want " == *" $arch "* ]] || continue
	need_pkgs "$pkg"
	obj=$BUILD/obj/cross-$arch
	mkdir -p "$obj"
	kmake() {
		make -C "$TREE" O="$obj" ARCH="$arch" CROSS_COMPILE="$prefix" \
			CC="ccache ${prefix}gcc" "$@"
	}
	step "$arch: $defconfig + $opts"
	run_logged "$LOGS/cross-$arch-config.log" kmake "$defconfig"
	# shellcheck disable=SC2086
	"$TREE/scripts/config" --file "$obj/.config" $(printf -- '--enable %s ' $opts)
	run_logged "$LOGS/cross-$arch-config.log" kmake olddefconfig
	for o in $opts; do
		grep -q "^CONFIG_$o=[ym]" "$obj/.config" || die "$arch: CONFIG_$o did not stick"
	done
	progress "$LOGS/cross-$arch.log" "$arch KVM build" kmake -j"$JOBS" "arch/$arch/kvm/"
	built+=("$arch")
done <"$ROOT/config/cross.conf"
step "KVM code compiles for: ${built[*]:-nothing}"
