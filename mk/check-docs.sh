#!/bin/sh
# mk/check-docs.sh BUILD -- fail if the generated sections of docs/isa.md
# differ from what the ISA table gives today (`make check-docs`).  Prints
# the difference and the command that fixes it.
set -eu
build=${1:-build}
doc=docs/isa.md
new=$(mktemp)
trap 'rm -f "$new"' EXIT

sh mk/update-docs.sh "$build" --stdout >"$new"
if ! cmp -s "$doc" "$new"; then
	diff -u "$doc" "$new" | sed "s|^+++ $new|+++ $doc (regenerated)|" || true
	echo
	echo "check-docs: $doc is out of date with the ISA table."
	echo "check-docs: fix it with: sh mk/update-docs.sh $build"
	exit 1
fi
echo "check-docs: $doc is up to date"
