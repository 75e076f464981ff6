#!/usr/bin/env bash
# make tree: build/linux = the pinned Debian base as one commit tagged "base",
# with the series from patches/ applied on top by git am.
#
# Idempotent: when the series and the tree already agree nothing happens.
# It never throws away work: commits made in build/linux that are not in
# patches/ stop it (run 'make export' first, or FORCE=1 to discard them).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/series/base.conf"

FORCE=${FORCE:-0}
STATE=$TREE/.git/planes-applied

install_base() {
	local have
	have=$(dpkg-query -W -f='${Version}' "$BASE_PACKAGE" 2>/dev/null || true)
	[ "$have" = "$BASE_VERSION" ] && return 0
	step "installing $BASE_PACKAGE=$BASE_VERSION"
	need_pkgs xz-utils
	apt-get update -qq >"$LOGS/apt-update.log" 2>&1 || true
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades \
		"$BASE_PACKAGE=$BASE_VERSION" >"$LOGS/apt-base.log" 2>&1; then
		cat >&2 <<-MSG
		################################################################
		WARNING: $BASE_PACKAGE $BASE_VERSION can no longer be installed.
		Falling back to the newest $BASE_PACKAGE; the series may not apply.
		################################################################
		MSG
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$BASE_PACKAGE" \
			>>"$LOGS/apt-base.log" 2>&1 || die "cannot install $BASE_PACKAGE"
	fi
}

tarball_sha() {
	sha256sum "$BASE_TARBALL" | cut -d' ' -f1
}

series_hash() {
	cat "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | sha256sum | cut -d' ' -f1
}

series_files() {
	local p
	for p in "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] || continue
		case ${p##*/} in 0000-*) continue ;; esac
		printf '%s\n' "$p"
	done
}

# The base commit is reproducible: fixed identity and dates, so the same
# tarball gives the same commit id on every machine.
extract_base() {
	local sha=$1 tmp
	step "extracting $BASE_TARBALL into build/linux"
	tmp=$BUILD/linux.new
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xf "$BASE_TARBALL" -C "$tmp" --strip-components=1
	# Debian's packaging rule ignores every top-level path ("/*" then
	# "!/debian/"); drop it so git sees the kernel tree.
	sed -i -e "/^# Debian packaging/,\$d" "$tmp/.gitignore"
	sed -i -e "\${/^#$/d}" "$tmp/.gitignore"
	(
		cd "$tmp"
		export GIT_AUTHOR_NAME="Debian kernel source" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org"
		export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
		export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
		git init -q -b master
		git config core.abbrev 12
		git add -A
		git commit -q -m "$BASE_PACKAGE $BASE_VERSION" -m "Tarball sha256: $sha"
		git tag -a -m "$BASE_PACKAGE $BASE_VERSION sha256 $sha" base
	)
	rm -rf "$TREE"
	mv "$tmp" "$TREE"
}

# Restore the notes ("Notes:" block below ---) that format-patch --notes wrote,
# so checkpatch justifications survive the round trip through git am.
restore_notes() {
	local p c notes
	local -a commits
	mapfile -t commits < <(git -C "$TREE" rev-list --reverse base..HEAD)
	local i=0
	while read -r p; do
		c=${commits[$i]}
		i=$((i + 1))
		notes=$(awk '/^---$/ { n = 1; next }
			n && /^Notes:$/ { p = 1; next }
			p && /^    / { sub(/^    /, ""); print; next }
			p && /^$/ { print; next }
			p { exit }
			n && /^diff --git/ { exit }' "$p" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
		if [ -n "$notes" ]; then
			git -C "$TREE" notes add -f -m "$notes" "$c" >/dev/null
		fi
	done < <(series_files)
}

apply_series() {
	local n
	n=$(series_files | wc -l)
	step "applying $n patches with git am"
	git -C "$TREE" am --abort >/dev/null 2>&1 || true
	git -C "$TREE" reset -q --hard base
	if [ "$n" -gt 0 ]; then
		series_files | xargs git -C "$TREE" -c am.threeWay=false am -q ||
			die "the series does not apply to the base (see 'git -C build/linux am --show-current-patch')"
		restore_notes
	fi
	echo "$(series_hash) $(git -C "$TREE" rev-parse HEAD)" >"$STATE"
}

main() {
	install_base
	local sha
	sha=$(tarball_sha)
	if [ "$sha" != "$BASE_SHA256" ]; then
		printf 'WARNING: %s has sha256 %s, series/base.conf pins %s\n' \
			"$BASE_TARBALL" "$sha" "$BASE_SHA256" >&2
	fi

	if [ -d "$TREE/.git" ] && git -C "$TREE" rev-parse -q --verify refs/tags/base >/dev/null &&
		git -C "$TREE" cat-file -p base | grep -q "sha256 $sha"; then
		:
	else
		[ -d "$TREE/.git" ] && [ "$FORCE" != 1 ] && [ -n "$(git -C "$TREE" rev-list base..HEAD 2>/dev/null)" ] &&
			die "build/linux has commits on another base; export them or rerun with FORCE=1"
		extract_base "$sha"
		apply_series
		return
	fi

	local want head state_hash state_head
	want=$(series_hash)
	head=$(git -C "$TREE" rev-parse HEAD)
	read -r state_hash state_head <"$STATE" 2>/dev/null || true
	if [ "${state_hash:-}" = "$want" ] && [ "${state_head:-}" = "$head" ]; then
		note "build/linux is up to date ($(git -C "$TREE" rev-list --count base..HEAD) patches on base)"
		return
	fi
	if [ "$FORCE" != 1 ]; then
		[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
			die "build/linux has uncommitted changes; commit them or rerun with FORCE=1"
		if [ "$head" != "${state_head:-}" ] && [ "$head" != "$(git -C "$TREE" rev-parse base)" ]; then
			if "$ROOT/scripts/export.sh" --check >/dev/null 2>&1; then
				echo "$want $head" >"$STATE"
				note "build/linux matches patches/"
				return
			fi
			die "build/linux has commits that are not in patches/: run 'make export' (or FORCE=1 make tree to drop them)"
		fi
	fi
	apply_series
}

main "$@"
