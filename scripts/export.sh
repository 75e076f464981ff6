#!/usr/bin/env bash
# make export: rewrite patches/ from build/linux base..HEAD (git format-patch),
# with the cover letter from series/cover-letter.txt.
#   --check: write nothing; exit 1 if patches/ differs from what export writes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=0
[ "${1:-}" = --check ] && check=1

[ -d "$TREE/.git" ] || die "no build/linux: run 'make tree' first"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	{ [ $check = 1 ] && { echo "build/linux has uncommitted changes"; exit 1; }; } ||
	die "build/linux has uncommitted changes: commit them first"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

git -C "$TREE" format-patch -q --zero-commit --no-signature --notes \
	--cover-letter -o "$out" base..HEAD >/dev/null

# Fill in the cover letter: first line of the text file is the subject, the
# rest is the blurb; its date is the newest commit's, so exports are stable.
cover=$out/0000-cover-letter.patch
if [ -f "$cover" ]; then
	python3 - "$cover" "$ROOT/series/cover-letter.txt" \
		"$(git -C "$TREE" log -1 --format=%aD HEAD)" <<'PY'
import sys
path, text, date = sys.argv[1:4]
lines = open(text).read().rstrip("\n").split("\n")
subject, blurb = lines[0], "\n".join(lines[1:]).strip("\n")
patch = open(path).read()
patch = patch.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb)
out = []
for line in patch.split("\n"):
    if line.startswith("Date: "):
        line = "Date: " + date
    out.append(line)
open(path, "w").write("\n".join(out))
PY
fi

if [ $check = 1 ]; then
	if diff -r -q "$out" "$ROOT/patches" >/dev/null 2>&1 ||
		{ [ -z "$(ls "$out")" ] && [ -z "$(ls "$ROOT/patches" | grep '\.patch$' || true)" ]; }; then
		exit 0
	fi
	echo "patches/ differs from build/linux base..HEAD:"
	diff -r -q "$out" "$ROOT/patches" || true
	exit 1
fi

rm -f "$ROOT"/patches/*.patch
if [ -n "$(ls "$out")" ]; then
	cp "$out"/*.patch "$ROOT/patches/"
fi
# Remember that tree and patches/ agree, so 'make tree' has nothing to do.
echo "$(cat "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | sha256sum | cut -d' ' -f1) $(git -C "$TREE" rev-parse HEAD)" \
	>"$TREE/.git/planes-applied"
step "exported $(git -C "$TREE" rev-list --count base..HEAD) patches to patches/"
