/*
 * bench_isa.c -- speed of the bare machine: guest instructions per second
 * of CPU time on an ALU loop and on a load/store loop, best of a few runs.
 */
#include "bench.h"
#include "pg32.h"

#include <stdio.h>
#include <stdlib.h>

#define BENCH_INSTRUCTIONS 200000000ull
#define BENCH_RUNS 7 /* best of: the machine is shared, and other work only slows a run */
#define BENCH_DATA 0x1000u

/* Run the loop at PG32_LOAD_ADDR for BENCH_INSTRUCTIONS; best MIPS. */
static double run_loop(const uint32_t *words, size_t n)
{
	double best = 0;
	for (int run = 0; run < BENCH_RUNS; run++) {
		uint8_t *mem = calloc(PG32_MEM_DEFAULT, 1);
		if (!mem)
			abort();
		for (size_t i = 0; i < n; i++)
			pg32_store32(mem + PG32_LOAD_ADDR + i * ISA_WORD_BYTES, words[i]);
		struct cpu c = { 0 };
		cpu_reset(&c, mem, PG32_MEM_DEFAULT, ISA_VARIANT_WELL, PG32_LOAD_ADDR);
		/* The bare machine's CPU has its decoded-instruction cache. */
		struct cpu_dcache *dc = cpu_dcache_new(PG32_MEM_DEFAULT);
		c.dcache = dc;
		c.r[3] = 0x7FFFFFFF; /* loop bound: never reached */
		c.r[4] = BENCH_DATA;
		double t0 = bench_cpu_now();
		struct cpu_exit ex = cpu_run(&c, BENCH_INSTRUCTIONS);
		double dt = bench_cpu_now() - t0;
		if (ex.stop != CPU_STOP_BUDGET || c.clock != BENCH_INSTRUCTIONS)
			abort();
		double mips = (double)c.clock / dt / 1e6;
		if (mips > best)
			best = mips;
		cpu_dcache_free(dc);
		free(mem);
	}
	return best;
}

void bench_isa(const char *build_dir)
{
	(void)build_dir;
	uint32_t alu[BENCH_ALU_WORDS], mem[BENCH_MEM_WORDS];
	printf("bare_alu_mips: %.0f MIPS\n", run_loop(alu, bench_alu_loop(alu, ISA_OP_BLT)));
	printf("bare_mem_mips: %.0f MIPS\n", run_loop(mem, bench_mem_loop(mem, ISA_OP_BLT)));
}
