#!/bin/sh
# mk/update-docs.sh BUILD [--stdout] -- regenerate the generated sections of
# docs/isa.md from the ISA table.
#
# docs/isa.md is hand-written prose with generated sections between
#     <!-- generated:NAME -->
#     <!-- end generated -->
# Each section's body is the output of `BUILD/bin/tzisadoc NAME`.  This
# script rewrites the bodies in place (or, with --stdout, prints the whole
# regenerated file and changes nothing; mk/check-docs.sh uses that).  It
# fails if a marker is unmatched, names an unknown section, or if a section
# tzisadoc knows is missing from the manual.  Portable sh and POSIX awk.
set -eu
build=${1:-build}
mode=${2:-}
doc=docs/isa.md
tool=$build/bin/tzisadoc

if [ ! -x "$tool" ]; then
	echo "update-docs: $tool is not built; run: make BUILD=$build $tool" >&2
	exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# One file per section, so awk only reads files.
"$tool" --list >"$dir/list"
while read -r name; do
	"$tool" "$name" >"$dir/$name.md"
done <"$dir/list"

awk -v dir="$dir" -v doc="$doc" '
function fail(msg) { printf "update-docs: %s:%d: %s\n", doc, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
/^<!-- generated:[a-z]+ -->$/ {
	if (inside) fail("generated section inside another")
	name = $0
	sub(/^<!-- generated:/, "", name)
	sub(/ -->$/, "", name)
	file = dir "/" name ".md"
	if ((getline line < file) < 0) fail("unknown generated section \"" name "\"")
	if (name in seen) fail("section \"" name "\" appears twice")
	seen[name] = 1
	print
	print ""
	do print line; while ((getline line < file) > 0)
	close(file)
	print ""
	inside = 1
	next
}
/^<!-- end generated -->$/ {
	if (!inside) fail("end marker without a start marker")
	inside = 0
	print
	next
}
!inside { print }
END {
	if (bad) exit 1
	if (inside) { printf "update-docs: %s: section \"%s\" has no end marker\n", doc, name > "/dev/stderr"; exit 1 }
	while ((getline name < (dir "/list")) > 0)
		if (!(name in seen)) { printf "update-docs: %s: section \"%s\" is missing; add <!-- generated:%s --> and <!-- end generated -->\n", doc, name, name > "/dev/stderr"; exit 1 }
}' "$doc" >"$dir/new"

if [ "$mode" = --stdout ]; then
	cat "$dir/new"
elif ! cmp -s "$dir/new" "$doc"; then
	cp "$dir/new" "$doc"
	echo "update-docs: rewrote the generated sections of $doc"
fi
