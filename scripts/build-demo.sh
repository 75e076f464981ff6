#!/usr/bin/env bash
# make demo-vmm: the demo VMM (demo/*.c), static, against the uapi headers
# of build/linux, into build/obj/demo (the initramfs picks it up), and the
# scripts that check its output (demo/*.sh, installed without ".sh").
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hdr=$BUILD/obj/headers/include
[ -d "$hdr" ] || die "no uapi headers: run 'make selftests' first"
mkdir -p "$BUILD/obj/demo"
for c in "$ROOT"/demo/*.c; do
	b=$(basename "$c" .c)
	gcc -static -O2 -Wall -Wextra -Werror -pthread -isystem "$hdr" -o "$BUILD/obj/demo/$b" "$c"
	note "built demo/$b"
done
for s in "$ROOT"/demo/*.sh; do
	b=$(basename "$s" .sh)
	sh -n "$s"
	install -m 755 "$s" "$BUILD/obj/demo/$b"
	note "installed demo/$b"
done
