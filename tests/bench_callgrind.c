/*
 * bench_callgrind.c -- figures that do not depend on how busy the machine
 * is: host instructions per guest instruction, counted by valgrind's
 * callgrind (every host instruction the simulator executes, the same on
 * every run), for the bare machine and for the monitor on the same
 * compute-bound guest.
 *
 * Each tool runs the guest twice, for SHORT_RUN and for LONG_RUN guest
 * instructions; the difference of the two counts divided by the
 * difference of the runs is the cost of one guest instruction, with start
 * and exit taken out.  vmm_compute_ratio_ir is bare over monitor: 1.0
 * means the monitor adds nothing to a compute-bound guest.
 *
 * trap_roundtrip_ir is the monitor's trap round trip in the same units:
 * host instructions from cpu_run reporting a privileged instruction, through
 * the dispatcher and its interpreter routine, back into cpu_run.  The guest
 * is the loop of bench_trap_loop (BENCH_TRAP_UNROLL rdpsw in virtual system
 * mode, each trapped and emulated, and a branch back) run by tzvmm for
 * TRAP_SHORT_RUN and TRAP_LONG_RUN guest instructions; the difference of
 * the counts over the difference of the traps taken is one round trip (the
 * branch, one direct instruction per BENCH_TRAP_UNROLL traps, included).
 */
#include "bench.h"
#include "pg32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHORT_RUN 1000000ull
#define LONG_RUN 11000000ull
#define CMD_LEN 1024
#define LINE_LEN 512
#define COLLECTED "Collected :"
#define VALGRIND "valgrind --tool=callgrind --callgrind-out-file=/dev/null"
#define TRAP_SHORT_RUN 100000ull
#define TRAP_LONG_RUN 600000ull
#define MEM_LOOP_BOUND_HI 0x7FFF /* r3 = 0x7FFF0000: the loop never ends */
#define MEM_LOOP_DATA 0x1000     /* the data word, above the code */
#define MEM_LOOP_SETUP 2         /* words before the loop: set r3 and r4 */

/* Write the n words as an image at path, loaded and entered at
 * PG32_LOAD_ADDR (n is at most BENCH_TRAP_WORDS). */
static int write_image(const char *path, const uint32_t *words, size_t n)
{
	uint8_t bytes[BENCH_TRAP_WORDS * ISA_WORD_BYTES];
	for (size_t i = 0; i < n; i++)
		pg32_store32(bytes + i * ISA_WORD_BYTES, words[i]);
	uint32_t size = (uint32_t)(n * ISA_WORD_BYTES);
	struct img_segment seg = { .addr = PG32_LOAD_ADDR, .size = size, .mem_size = size,
	                           .data = bytes };
	struct image img = { .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                     .segs = &seg };
	char msg[LINE_LEN];
	return img_write_file(&img, path, msg, sizeof msg);
}

/* The ALU loop of bench_isa, made endless (b instead of blt). */
static int write_loop_image(const char *path)
{
	uint32_t words[BENCH_ALU_WORDS];
	return write_image(path, words, bench_alu_loop(words, ISA_OP_B));
}

/* The load/store loop of bench_isa, its bound r3 far out of reach and r4
 * pointing at a data word, set once before the loop. */
static int write_mem_loop_image(const char *path)
{
	uint32_t words[MEM_LOOP_SETUP + BENCH_MEM_WORDS] = {
		bench_enc(ISA_OP_LUI, 3, 0, 0, MEM_LOOP_BOUND_HI),
		bench_enc(ISA_OP_MOVI, 4, 0, 0, MEM_LOOP_DATA),
	};
	return write_image(path, words,
	                   MEM_LOOP_SETUP + bench_mem_loop(words + MEM_LOOP_SETUP, ISA_OP_BLT));
}

/* The trap loop of bench_trap_loop (the guest starts in virtual system
 * mode, so each rdpsw is trapped and emulated). */
static int write_trap_image(const char *path)
{
	uint32_t words[BENCH_TRAP_WORDS];
	return write_image(path, words, bench_trap_loop(words));
}

/* Traps the rdpsw loop takes in its first n instructions: every word but
 * the branch, the last of each BENCH_TRAP_WORDS. */
static uint64_t traps_in(uint64_t n)
{
	uint64_t loop = BENCH_TRAP_WORDS, rest = n % loop;
	return n / loop * BENCH_TRAP_UNROLL + (rest < BENCH_TRAP_UNROLL ? rest : BENCH_TRAP_UNROLL);
}

/* Host instructions callgrind counts for "TOOL IMAGE --max-instructions N";
 * 0 when it could not be run. */
static unsigned long long host_instructions(const char *tool, const char *image, uint64_t n)
{
	char cmd[CMD_LEN];
	snprintf(cmd, sizeof cmd, VALGRIND " '%s' '%s' --max-instructions %llu </dev/null 2>&1 >/dev/null",
	         tool, image, (unsigned long long)n);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	char line[LINE_LEN];
	unsigned long long count = 0;
	while (fgets(line, sizeof line, p)) {
		const char *at = strstr(line, COLLECTED);
		if (!at)
			continue;
		/* callgrind may print the number with thousands separators */
		count = 0;
		for (at += strlen(COLLECTED); *at; at++)
			if (*at >= '0' && *at <= '9')
				count = count * 10 + (unsigned long long)(*at - '0');
	}
	pclose(p);
	return count;
}

/* Host instructions per guest instruction of tool, or a negative value. */
static double per_guest_instruction(const char *tool, const char *image)
{
	unsigned long long a = host_instructions(tool, image, SHORT_RUN);
	unsigned long long b = host_instructions(tool, image, LONG_RUN);
	if (a == 0 || b <= a)
		return -1;
	return (double)(b - a) / (double)(LONG_RUN - SHORT_RUN);
}

/* Host instructions per trap round trip of tzvmm on the rdpsw loop, or a
 * negative value. */
static double per_trap(const char *tzvmm)
{
	char image[] = "/tmp/tzbench_trap_XXXXXX";
	int fd = mkstemp(image);
	if (fd < 0 || close(fd) != 0 || write_trap_image(image) != 0) {
		unlink(image);
		return -1;
	}
	unsigned long long a = host_instructions(tzvmm, image, TRAP_SHORT_RUN);
	unsigned long long b = host_instructions(tzvmm, image, TRAP_LONG_RUN);
	unlink(image);
	if (a == 0 || b <= a)
		return -1;
	return (double)(b - a) / (double)(traps_in(TRAP_LONG_RUN) - traps_in(TRAP_SHORT_RUN));
}

/* host_instr_per_guest_instr, _vmm and vmm_compute_ratio_ir. */
static void per_instruction_figures(const char *tzrun, const char *tzvmm)
{
	char image[] = "/tmp/tzbench_loop_XXXXXX";
	int fd = mkstemp(image);
	if (fd < 0 || close(fd) != 0 || write_loop_image(image) != 0) {
		printf("host_instr_per_guest_instr: skipped (cannot write %s)\n", image);
		unlink(image);
		return;
	}
	double bare = per_guest_instruction(tzrun, image);
	double mon = per_guest_instruction(tzvmm, image);
	unlink(image);
	if (bare <= 0 || mon <= 0) {
		printf("host_instr_per_guest_instr: skipped (callgrind gave no count)\n");
		return;
	}
	printf("host_instr_per_guest_instr: %.2f instructions\n", bare);
	printf("host_instr_per_guest_instr_vmm: %.2f instructions\n", mon);
	printf("vmm_compute_ratio_ir: %.3f ratio\n", bare / mon);
}

/* host_instr_per_guest_instr_mem: the same for the load/store loop. */
static void per_instruction_mem(const char *tzrun)
{
	char image[] = "/tmp/tzbench_mem_XXXXXX";
	int fd = mkstemp(image);
	double mem = -1;
	if (fd >= 0 && close(fd) == 0 && write_mem_loop_image(image) == 0)
		mem = per_guest_instruction(tzrun, image);
	unlink(image);
	if (mem <= 0)
		printf("host_instr_per_guest_instr_mem: skipped (callgrind gave no count)\n");
	else
		printf("host_instr_per_guest_instr_mem: %.2f instructions\n", mem);
}

void bench_callgrind(const char *build_dir)
{
	if (system("valgrind --version >/dev/null 2>&1") != 0) {
		printf("host_instr_per_guest_instr: skipped (valgrind not found; mk/deps.sh installs it)\n");
		printf("host_instr_per_guest_instr_mem: skipped (valgrind not found)\n");
		printf("trap_roundtrip_ir: skipped (valgrind not found)\n");
		return;
	}
	char tzrun[CMD_LEN / 2], tzvmm[CMD_LEN / 2];
	snprintf(tzrun, sizeof tzrun, "%s/bin/tzrun", build_dir);
	snprintf(tzvmm, sizeof tzvmm, "%s/bin/tzvmm", build_dir);
	per_instruction_figures(tzrun, tzvmm);
	per_instruction_mem(tzrun);
	double trap = per_trap(tzvmm);
	if (trap <= 0)
		printf("trap_roundtrip_ir: skipped (callgrind gave no count)\n");
	else
		printf("trap_roundtrip_ir: %.1f instructions\n", trap);
}
