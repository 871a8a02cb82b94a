/*
 * bench.c -- main of tzbench, run by `make bench`: every part prints
 * "name: value unit" lines.  Usage: tzbench [BUILD_DIR]
 */
#include "bench.h"

#include <stdio.h>
#include <time.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *build = argc > 1 ? argv[1] : "build";
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_isa(build);
	bench_asm();
	bench_vmm(build);
	bench_callgrind(build);
	return 0;
}
