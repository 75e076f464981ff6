#!/usr/bin/env bash
# make deps: every Debian package the build, the checks and the VM need.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_pkgs git gcc make bc bison flex libelf-dev libssl-dev ccache cpio xz-utils \
	perl python3 sparse python3-sphinx python3-sphinx-rtd-theme python3-yaml \
	busybox-static qemu-system-x86 libc6-dev binutils rsync kmod
note "all packages present"
