/*
 * bench_dbg.c -- the debugger's reverse execution, for `make bench`.
 *
 *   dbg_continue_mips  a guest continued under the debugger (snapshots
 *                      taken on the way), in guest instructions per second
 *   reverse_step_ms    one reverse-step after DBG_BENCH_RUN instructions:
 *                      restore the nearest snapshot, replay to one step back
 *                      (goal: at most 200 ms)
 *   replay_mib         the snapshots kept for that, for a guest of 1 MiB
 *                      (goal: under 256 MiB)
 *
 * The guest counts in a loop with the interval timer interrupting it every
 * TIMER_PERIOD instructions (a handler that returns with lpsw), so the run
 * has traps and device events to replay, not only direct execution.
 */
#include "bench.h"
#include "dbg.h"

#include <stdio.h>
#include <stdlib.h>

#define DBG_BENCH_RUN 100000000ull    /* instructions before the reverse-step */
#define GUEST_MEM (1u << 20)
#define TIMER_PERIOD 10000
#define MIB (1024.0 * 1024.0)
#define MS 1000.0

/* The guest's whole memory as one segment: trap words, code at
 * PG32_LOAD_ADDR. */
static void guest_image(struct image *img, struct img_segment *seg, uint8_t *mem)
{
	uint32_t at = PG32_LOAD_ADDR;
#define EMIT(w) do { pg32_store32(mem + at, (w)); at += ISA_WORD_BYTES; } while (0)
	EMIT(bench_enc(ISA_OP_MOVI, 1, 0, 0, TIMER_PERIOD));
	EMIT(bench_enc(ISA_OP_OUT, 1, 0, 0, PORT_TIMER_PERIOD));
	EMIT(bench_enc(ISA_OP_MOVI, 2, 0, 0, PSW_IE));
	EMIT(bench_enc(ISA_OP_WRFL, 2, 0, 0, 0));            /* interrupts on */
	EMIT(bench_enc(ISA_OP_ADDI, 3, 3, 0, 1));            /* loop: r3 += 1 */
	EMIT(bench_enc(ISA_OP_B, 0, 0, 0, -2));              /*       b loop */
	uint32_t handler = at;
	EMIT(bench_enc(ISA_OP_ADDI, 4, 4, 0, 1));            /* handler: r4 += 1 */
	EMIT(bench_enc(ISA_OP_MOVI, 5, 0, 0, PG32_OLD_PSW));
	EMIT(bench_enc(ISA_OP_LPSW, 5, 0, 0, 0));            /* back where it was */
#undef EMIT
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_STATUS, PSW_S);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_PC, handler);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_BASE, 0);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_BOUND, GUEST_MEM);
	/* Only the trap area's new PSW and the code: the rest is zero. */
	*seg = (struct img_segment){ .addr = PG32_NEW_PSW, .mem_size = at - PG32_NEW_PSW,
	                             .size = at - PG32_NEW_PSW, .data = mem + PG32_NEW_PSW };
	*img = (struct image){ .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                       .segs = seg };
}

void bench_dbg(void)
{
	uint8_t *mem = calloc(GUEST_MEM, 1);
	if (!mem)
		return;
	struct image img;
	struct img_segment seg;
	guest_image(&img, &seg, mem);
	struct dbg_config cfg = { .mem_size = GUEST_MEM, .max_instructions = DBG_BENCH_RUN };
	const char *names[] = { "bench" };
	struct dbg *d;
	char msg[256];
	if (dbg_create(&d, &cfg, &img, names, 1, msg, sizeof msg) != 0) {
		fprintf(stderr, "bench_dbg: %s\n", msg);
		free(mem);
		return;
	}
	/* Continue to the instruction limit, then one step back. */
	double t0 = bench_now();
	dbg_continue(d);
	double t1 = bench_now();
	uint64_t clock = d->guests[0].g->vm.clock;
	printf("dbg_continue_mips: %.0f MIPS\n", (double)clock / (t1 - t0) / 1e6);
	double t2 = bench_now();
	dbg_reverse_step(d, 1);
	double t3 = bench_now();
	if (d->guests[0].g->vm.clock + 1 != clock)
		fprintf(stderr, "bench_dbg: reverse-step went to clock %llu from %llu\n",
		        (unsigned long long)d->guests[0].g->vm.clock, (unsigned long long)clock);
	printf("reverse_step_ms: %.1f ms (after %llu instructions)\n", (t3 - t2) * MS,
	       (unsigned long long)clock);
	printf("replay_mib: %.1f MiB (%u snapshots of a %u KiB guest)\n",
	       (double)dbg_snapshot_bytes(d) / MIB, d->guests[0].nsnaps, GUEST_MEM >> VMM_KIB_SHIFT);
	dbg_destroy(d);
	free(mem);
}
