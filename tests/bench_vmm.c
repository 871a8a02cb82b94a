/*
 * bench_vmm.c -- speed of the monitor, for `make bench` (build/bin/tzbench).
 *
 *   vmm_compute_ratio           a compute-bound guest: bare machine time over
 *                               monitor time, in the same run (1 = no cost)
 *   trap_roundtrip_ns           one trap-and-emulate round trip (a privileged
 *                               instruction in virtual system mode)
 *   trap_roundtrip_instr        the same in direct-instruction equivalents
 *   vmm_throughput_1, _8, _64   total MIPS with 1, 8, 64 compute guests
 *   vmm_overhead_kib_per_guest  the monitor's own memory per guest, beyond
 *                               the guest's RAM
 *
 * Each figure is the best of BENCH_RUNS runs, timed in CPU time of the
 * process (bench_cpu_now: the benchmark only, never the monitor), so that other
 * work on the machine does not skew the ratios.
 */
#include "bench.h"
#include "vmm.h"

#include <stdio.h>
#include <stdlib.h>


#define BENCH_RUNS 3
#define RATIO_RUNS 5 /* the ratio is the figure most hurt by noise */
#define COMPUTE_INSTRUCTIONS 200000000ull
#define TRAP_INSTRUCTIONS 20000000ull
#define THROUGHPUT_INSTRUCTIONS 200000000ull
#define MANY_GUESTS 64u
#define SOME_GUESTS 8u
#define GUEST_MEM (1u << 20)
#define KIB 1024.0

/* An image of words at PG32_LOAD_ADDR, entry there; *img points into seg. */
static void image_of(struct image *img, struct img_segment *seg, const uint32_t *words,
                     size_t n, uint8_t *bytes)
{
	for (size_t i = 0; i < n; i++)
		pg32_store32(bytes + i * ISA_WORD_BYTES, words[i]);
	*seg = (struct img_segment){ .addr = PG32_LOAD_ADDR, .mem_size = (uint32_t)(n * ISA_WORD_BYTES),
	                             .size = (uint32_t)(n * ISA_WORD_BYTES), .data = bytes };
	*img = (struct image){ .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                       .segs = seg };
}

/* Seconds for the bare machine to run img for count instructions. */
static double time_bare(const struct image *img, uint64_t count)
{
	struct bare_machine m;
	char msg[256];
	if (bare_init(&m, img, GUEST_MEM, ISA_VARIANT_WELL, NULL, msg, sizeof msg) != 0)
		abort();
	m.cpu.r[3] = 0x7FFFFFFF; /* loop bound: never reached */
	double t0 = bench_cpu_now();
	enum bare_end end = bare_run(&m, count);
	double dt = bench_cpu_now() - t0;
	if (end != BARE_LIMIT || m.cpu.clock != count)
		abort();
	bare_free(&m);
	return dt;
}

/* Seconds for a monitor with nguests copies of img to run count
 * instructions in all; *own gets the monitor's own bytes per guest. */
static double time_vmm(const struct image *img, unsigned nguests, uint64_t count, double *own)
{
	struct vmm *v;
	char msg[256];
	struct vmm_config cfg = { .host_mem = nguests * GUEST_MEM };
	if (vmm_create(&v, &cfg, msg, sizeof msg) != 0)
		abort();
	for (unsigned i = 0; i < nguests; i++) {
		struct vmm_guest_config gc = { .name = "bench", .img = img, .mem_size = GUEST_MEM,
		                               .max_instructions = count / nguests };
		struct vmm_guest *g;
		if (vmm_add_guest(v, &gc, &g, msg, sizeof msg) != 0)
			abort();
		g->vm.r[3] = 0x7FFFFFFF;
	}
	double t0 = bench_cpu_now();
	vmm_run(v);
	double dt = bench_cpu_now() - t0;
	for (unsigned i = 0; i < nguests; i++)
		if (v->guests[i]->end != VMM_LIMIT)
			abort();
	if (own)
		*own = (double)v->own_bytes / nguests;
	vmm_destroy(v);
	return dt;
}

static double min2(double a, double b)
{
	return a < b ? a : b;
}

void bench_vmm(const char *build_dir)
{
	(void)build_dir;
	uint32_t alu[BENCH_ALU_WORDS];
	size_t n = bench_alu_loop(alu, ISA_OP_BLT);
	uint8_t alu_bytes[sizeof alu];
	struct image img;
	struct img_segment seg;
	image_of(&img, &seg, alu, n, alu_bytes);

	/* Compute-bound: bare and monitor alternately, best of each. */
	double bare = 1e9, mon = 1e9;
	for (int run = 0; run < RATIO_RUNS; run++) {
		bare = min2(bare, time_bare(&img, COMPUTE_INSTRUCTIONS));
		mon = min2(mon, time_vmm(&img, 1, COMPUTE_INSTRUCTIONS, NULL));
	}
	printf("vmm_compute_ratio: %.3f ratio\n", bare / mon);
	double ns_direct = bare / (double)COMPUTE_INSTRUCTIONS * 1e9;

	/* Trap round trip: a loop of BENCH_TRAP_UNROLL rdpsw (each trapped and
	 * emulated) and a branch back. */
	uint32_t trap_words[BENCH_TRAP_WORDS];
	bench_trap_loop(trap_words);
	uint8_t trap_bytes[sizeof trap_words];
	struct image timg;
	struct img_segment tseg;
	image_of(&timg, &tseg, trap_words, BENCH_TRAP_WORDS, trap_bytes);
	double trap = 1e9;
	for (int run = 0; run < BENCH_RUNS; run++)
		trap = min2(trap, time_vmm(&timg, 1, TRAP_INSTRUCTIONS, NULL));
	/* Take away the branches, which ran directly. */
	double branches = (double)TRAP_INSTRUCTIONS / BENCH_TRAP_WORDS;
	double emulated = (double)TRAP_INSTRUCTIONS - branches;
	double ns_trap = (trap * 1e9 - branches * ns_direct) / emulated;
	printf("trap_roundtrip_ns: %.1f ns\n", ns_trap);
	printf("trap_roundtrip_instr: %.0f instructions\n", ns_trap / ns_direct);

	/* Throughput with 1, 8 and 64 guests sharing the CPU. */
	static const unsigned counts[] = { 1, SOME_GUESTS, MANY_GUESTS };
	double own = 0;
	for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
		double t = 1e9;
		for (int run = 0; run < BENCH_RUNS; run++)
			t = min2(t, time_vmm(&img, counts[k], THROUGHPUT_INSTRUCTIONS,
			                     counts[k] == MANY_GUESTS ? &own : NULL));
		printf("vmm_throughput_%u: %.0f MIPS\n", counts[k],
		       (double)THROUGHPUT_INSTRUCTIONS / t / 1e6);
	}
	printf("vmm_overhead_kib_per_guest: %.2f KiB\n", own / KIB);
}
