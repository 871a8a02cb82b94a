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

size_t bench_alu_loop(uint32_t words[BENCH_ALU_WORDS], enum isa_opcode back)
{
	words[0] = bench_enc(ISA_OP_ADDI, 1, 1, 0, 1);
	words[1] = bench_enc(ISA_OP_XOR, 2, 2, 1, 0);
	words[2] = bench_enc(ISA_OP_CMP, 1, 3, 0, 0);
	words[3] = bench_enc(back, 0, 0, 0, -BENCH_ALU_WORDS);
	return BENCH_ALU_WORDS;
}

size_t bench_mem_loop(uint32_t words[BENCH_MEM_WORDS], enum isa_opcode back)
{
	words[0] = bench_enc(ISA_OP_LW, 2, 4, 0, 0);
	words[1] = bench_enc(ISA_OP_ADD, 2, 2, 1, 0);
	words[2] = bench_enc(ISA_OP_SW, 2, 4, 0, 0);
	words[3] = bench_enc(ISA_OP_ADDI, 1, 1, 0, 1);
	words[4] = bench_enc(ISA_OP_CMP, 1, 3, 0, 0);
	words[5] = bench_enc(back, 0, 0, 0, -BENCH_MEM_WORDS);
	return BENCH_MEM_WORDS;
}

size_t bench_trap_loop(uint32_t words[BENCH_TRAP_WORDS])
{
	for (int i = 0; i < BENCH_TRAP_UNROLL; i++)
		words[i] = bench_enc(ISA_OP_RDPSW, 1, 0, 0, 0);
	words[BENCH_TRAP_UNROLL] = bench_enc(ISA_OP_B, 0, 0, 0, -BENCH_TRAP_WORDS);
	return BENCH_TRAP_WORDS;
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
