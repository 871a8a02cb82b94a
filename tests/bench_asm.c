/*
 * bench_asm.c -- assembler speed for `make bench`: assembles a generated
 * source of BENCH_ASM_LINES lines (labels, every kind of operand, branches
 * back and forward, li, data) in memory and prints
 *
 *   asm_lines_per_s: N lines/s
 *
 * The best of a few runs is reported, so a busy machine reads low less often.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "bench.h"


#define BENCH_ASM_LINES 100000
#define BENCH_ASM_RUNS 3
#define BENCH_LINE_MAX 64
#define BENCH_BLOCK 10 /* lines per generated block */

/* The source: blocks of ten lines, each block a small loop with data. */
static char *bench_source(size_t *lines)
{
	size_t cap = (size_t)BENCH_ASM_LINES * BENCH_LINE_MAX, len = 0, n = 0;
	char *text = malloc(cap);

	if (text == NULL)
		return NULL;
	for (unsigned b = 0; n + BENCH_BLOCK <= BENCH_ASM_LINES; b++, n += BENCH_BLOCK) {
		len += (size_t)snprintf(text + len, cap - len,
		                        "l%u:\tli r1, %u\n"
		                        "\tadd r2, r1, r3 ; sum\n"
		                        "\taddi sp, sp, -8\n"
		                        "\tsw r2, 4(sp)\n"
		                        "\tlw r4, 4(sp)\n"
		                        "\tcmpi r4, 100\n"
		                        "\tbne l%u\n"
		                        "\tcall f%u\n"
		                        "f%u:\tori r5, r5, 0x%x\n"
		                        "\tshli r6, r5, 3\n",
		                        b, b * 7u, b, b, b, b & 0xffffu);
	}
	*lines = n;
	return text;
}

void bench_asm(void)
{
	size_t lines = 0;
	char *src = bench_source(&lines);
	double best = 0;

	if (src == NULL) {
		printf("asm_lines_per_s: out of memory\n");
		return;
	}
	for (int run = 0; run < BENCH_ASM_RUNS; run++) {
		struct image img;
		double t0 = bench_now();
		int errors = asm_assemble_string("bench.s", src, NULL, &img, stderr);
		double dt = bench_now() - t0;
		img_free(&img);
		if (errors != 0) {
			printf("asm_lines_per_s: the generated source has %d errors\n", errors);
			break;
		}
		if (dt > 0 && lines / dt > best)
			best = lines / dt;
	}
	printf("asm_lines_per_s: %.0f lines/s\n", best);
	free(src);
}
