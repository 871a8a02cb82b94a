#!/bin/sh
# mk/deps.sh -- make sure the Debian packages trapeze builds and tests with
# are installed.  Run by the Makefile before the first build.  As root it
# installs what is missing with apt-get; otherwise it names the exact
# command to run and fails.
set -u
# clang and libclang-rt-dev (libFuzzer and the sanitizer runtimes, which
# clang only recommends): the fuzz targets, `make fuzz`.
PKGS="flex bison pkg-config libcmocka-dev libncurses-dev libreadline-dev tmux valgrind clang libclang-rt-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "trapeze: missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "trapeze: installing them with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || true
	if apt-get install -y -q --no-install-recommends $missing >&2; then
		exit 0
	fi
	echo "trapeze: apt-get failed; install by hand: apt-get install$missing" >&2
	exit 1
fi
echo "trapeze: install them with: sudo apt-get install$missing" >&2
exit 1
