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

/* Write the ALU loop of bench_isa, made endless (b instead of blt), as an
 * image at path. */
static int write_loop_image(const char *path)
{
	const uint32_t words[] = {
		bench_enc(ISA_OP_ADDI, 1, 1, 0, 1),
		bench_enc(ISA_OP_XOR, 2, 2, 1, 0),
		bench_enc(ISA_OP_CMP, 1, 3, 0, 0),
		bench_enc(ISA_OP_B, 0, 0, 0, -4),
	};
	uint8_t bytes[sizeof words];
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		pg32_store32(bytes + i * ISA_WORD_BYTES, words[i]);
	struct img_segment seg = { .addr = PG32_LOAD_ADDR, .size = sizeof bytes,
	                           .mem_size = sizeof bytes, .data = bytes };
	struct image img = { .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                     .segs = &seg };
	char msg[LINE_LEN];
	return img_write_file(&img, path, msg, sizeof msg);
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

void bench_callgrind(const char *build_dir)
{
	if (system("valgrind --version >/dev/null 2>&1") != 0) {
		printf("host_instr_per_guest_instr: skipped (valgrind not found; mk/deps.sh installs it)\n");
		return;
	}
	char image[] = "/tmp/tzbench_loop_XXXXXX";
	int fd = mkstemp(image);
	if (fd < 0 || close(fd) != 0 || write_loop_image(image) != 0) {
		printf("host_instr_per_guest_instr: skipped (cannot write %s)\n", image);
		return;
	}
	char tzrun[CMD_LEN / 2], tzvmm[CMD_LEN / 2];
	snprintf(tzrun, sizeof tzrun, "%s/bin/tzrun", build_dir);
	snprintf(tzvmm, sizeof tzvmm, "%s/bin/tzvmm", build_dir);
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
