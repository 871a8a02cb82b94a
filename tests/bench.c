/*
 * bench.c -- main of tzbench, run by `make bench`: every part prints
 * "name: value unit" lines.  Usage: tzbench [BUILD_DIR]
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint32_t bench_enc(enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt, int32_t imm)
{
	struct isa_insn in = { .op = op, .rd = (uint8_t)rd, .rs = (uint8_t)rs,
	                       .rt = (uint8_t)rt, .imm = imm };
	uint32_t w = 0;
	if (isa_encode(&in, &w, NULL, 0) != 0)
		abort();
	return w;
}

int main(int argc, char **argv)
{
	const char *build = argc > 1 ? argv[1] : "build";
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_isa(build);
	bench_asm();
	bench_vmm(build);
	bench_dbg();
	bench_callgrind(build);
	bench_grade(build);
	return 0;
}
