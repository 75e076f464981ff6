# Common settings and helpers for the scripts; sourced, never run.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
TREE=$BUILD/linux
LOGS=$BUILD/logs
# Debian's python3 has Sphinx and PyYAML; a pyenv shim earlier in PATH has not.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
JOBS=${JOBS:-$(($(nproc) + 1))}
mkdir -p "$LOGS"

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_pkgs PKG...: install the Debian packages that are missing.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	step "apt-get install ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newermt '-1 day' 2>/dev/null | head -n 1)" ]; then
		apt-get update -qq >"$LOGS/apt-update.log" 2>&1 || die "apt-get update failed, see $LOGS/apt-update.log"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>"$LOGS/apt-install.log" 2>&1 || die "apt-get install failed, see $LOGS/apt-install.log"
}

# run_logged LOG CMD...: run CMD with its output in LOG; on failure show the tail.
run_logged() {
	local log=$1; shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "'$*' failed; full log: $log"
	fi
}
