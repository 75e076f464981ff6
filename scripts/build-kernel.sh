#!/usr/bin/env bash
# make kernel: build bzImage from build/linux into build/obj/kernel with
# ccache. The .config is tinyconfig + config/kvm-host.config +
# config/debug.config, and
# every option the fragments ask for must be in the final .config.
# KSRC=DIR KOBJ=DIR build another tree (make baseline builds the base).
# FRAGMENTS="FILE..." replaces the two fragments (make bench: production
# config, config/kvm-host.config alone).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/progress.sh"

need_pkgs gcc make bc bison flex libelf-dev libssl-dev ccache cpio xz-utils

read -r -a fragments <<<"${FRAGMENTS:-$ROOT/config/kvm-host.config $ROOT/config/debug.config}"
src=${KSRC:-$TREE}
obj=${KOBJ:-$BUILD/obj/kernel}
tag=${KOBJ:+-${KOBJ##*/}}
mkdir -p "$obj"
[ -d "$src/.git" ] || [ -f "$src/.git" ] || die "no kernel tree at $src: run 'make tree' first"

kmake() {
	make -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" \
		KBUILD_BUILD_USER=planes KBUILD_BUILD_HOST=qemu "$@"
}

# Regenerate .config only when the fragments changed, so an unchanged
# configuration never triggers a full rebuild.
want=$(cat "$src/kernel/configs/tiny.config" "$src/arch/x86/configs/tiny.config" \
	"${fragments[@]}" | grep -v '^#')
if [ ! -f "$obj/.config" ] || [ "$want" != "$(cat "$obj/planes.config" 2>/dev/null)" ]; then
	step "configuring kernel (tinyconfig + ${fragments[*]##*/})"
	printf '%s\n' "$want" >"$obj/planes.config.new"
	run_logged "$LOGS/kconfig$tag.log" kmake KCONFIG_ALLCONFIG="$obj/planes.config.new" allnoconfig
	mv "$obj/planes.config.new" "$obj/planes.config"
fi

# Like kunit.py: an option that Kconfig silently dropped is an error.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) opt=${line%=n}
		if grep -q "^$opt=" "$obj/.config"; then
			echo "config: $opt is set, the fragments want it off" >&2; missing=1
		fi ;;
	CONFIG_*) grep -qx "$line" "$obj/.config" || {
			echo "config: '$line' asked for, got '$(grep "^${line%%=*}=" "$obj/.config" || echo 'not set')'" >&2
			missing=1; } ;;
	esac
done < <(cat "${fragments[@]}" | grep '^CONFIG_')
[ $missing = 0 ] || die "some requested options are not in $obj/.config (missing dependencies?)"

step "building kernel in ${obj#"$ROOT"/}"
progress "$LOGS/kernel-build$tag.log" "kernel build" kmake -j"$JOBS" bzImage
ls -l "$obj/arch/x86/boot/bzImage" | awk '{ print "    bzImage: " $5 " bytes" }'
