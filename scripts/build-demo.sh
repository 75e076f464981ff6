#!/usr/bin/env bash
# make demo-vmm: the demo VMM (demo/*.c), static, against the uapi headers
# of build/linux, into build/obj/demo (the initramfs picks it up).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hdr=$BUILD/obj/headers/include
[ -d "$hdr" ] || die "no uapi headers: run 'make selftests' first"
mkdir -p "$BUILD/obj/demo"
for c in "$ROOT"/demo/*.c; do
	b=$(basename "$c" .c)
	gcc -static -O2 -Wall -Wextra -Werror -isystem "$hdr" -o "$BUILD/obj/demo/$b" "$c"
	note "built demo/$b"
done
