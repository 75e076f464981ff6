#!/usr/bin/env bash
# make selftests: the KVM selftests of build/linux, linked statically, built
# out of tree into build/obj/selftests against the tree's own uapi headers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/scripts/progress.sh"

need_pkgs gcc make libc6-dev rsync
[ -d "$TREE/.git" ] || die "no build/linux: run 'make tree' first"

hdr=$BUILD/obj/headers
out=$BUILD/obj/selftests
mkdir -p "$hdr" "$out"

step "installing uapi headers into ${hdr#"$ROOT"/}"
run_logged "$LOGS/headers.log" make -C "$TREE" O="$BUILD/obj/headers-build" \
	INSTALL_HDR_PATH="$hdr" headers_install

step "building KVM selftests into ${out#"$ROOT"/}"
progress "$LOGS/selftests-build.log" "selftests build" \
	make -C "$TREE/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" \
	KHDR_INCLUDES="-isystem $hdr/include" EXTRA_CFLAGS="-static" CC="ccache gcc"
note "$(find "$out" -maxdepth 2 -type f -perm -u+x -name '*[a-z]*' ! -name '*.o' | wc -l) test binaries"
