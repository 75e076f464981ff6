#!/usr/bin/env bash
# make initramfs: busybox-static, guest/init and the stripped static test
# binaries (KVM selftests, the demo VMM) packed as build/obj/initramfs.cpio.
# The list of tests to run is not in it: run-vm.sh appends a small cpio
# with /tests.list, so one image serves every test selection.
# OUT=FILE TESTS=DIR: write FILE, with the executables of DIR in place of
# the selftests and the demo (make bench: its VMM only).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_pkgs busybox-static cpio binutils

out=${OUT:-$BUILD/obj/initramfs.cpio}
st=$BUILD/obj/selftests demo=$BUILD/obj/demo
[ -z "${TESTS:-}" ] || st=$TESTS demo=
[ -d "$st" ] || die "no selftests in $st: run 'make selftests' first"
root=${out%.cpio}-root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,kselftests/kvm}
cp /bin/busybox "$root/bin/busybox"
if ldd "$root/bin/busybox" >/dev/null 2>&1; then
	die "/bin/busybox is not statically linked (install busybox-static)"
fi
install -m 755 "$ROOT/guest/init" "$root/init"

# Every executable ELF the selftests build produced, with its path
# relative to the selftests directory (x86_64/foo_test, foo_test).
count=0
while IFS= read -r f; do
	rel=${f#"$st"/}
	mkdir -p "$root/kselftests/kvm/$(dirname "$rel")"
	strip -o "$root/kselftests/kvm/$rel" "$f"
	count=$((count + 1))
done < <(find "$st" -type f -perm -u+x ! -name '*.o' ! -name '*.sh' | sort)
if [ -n "$demo" ] && [ -d "$demo" ]; then
	cp -a "$demo/." "$root/kselftests/kvm/"
fi

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out"
step "initramfs${OUT:+ ${out#"$ROOT"/}}: $count test binaries, $(du -m "$out" | cut -f1) MiB"
