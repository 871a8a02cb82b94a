#!/bin/sh
# tests/run.sh BUILD -- run every cmocka test program in BUILD/tests, then
# print one summary line: "N passed, N failed".  A program that crashes or
# exits non-zero without reporting counts as one failed test.
set -u
build=${1:-build}
passed=0
failed=0
failed_progs=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	TRAPEZE_BUILD=$build "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "$name: exited with status $rc without a cmocka report" >&2
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" != 0 ] && failed_progs="$failed_progs $name"
done
echo
[ -n "$failed_progs" ] && echo "failing programs:$failed_progs"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
