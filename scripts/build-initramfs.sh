#!/usr/bin/env bash
# make initramfs: busybox-static, guest/init and the stripped static test
# binaries (KVM selftests, the demo VMM) packed as build/obj/initramfs.cpio.
# The list of tests to run is not in it: run-vm.sh appends a small cpio
# with /tests.list, so one image serves every test selection.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_pkgs busybox-static cpio binutils

st=$BUILD/obj/selftests
[ -d "$st" ] || die "no selftests: run 'make selftests' first"
root=$BUILD/obj/initramfs-root
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
if [ -d "$BUILD/obj/demo" ]; then
	cp -a "$BUILD/obj/demo/." "$root/kselftests/kvm/"
fi

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
	>"$BUILD/obj/initramfs.cpio"
step "initramfs: $count test binaries, $(du -m "$BUILD/obj/initramfs.cpio" | cut -f1) MiB"
