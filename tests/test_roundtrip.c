/*
 * test_roundtrip.c -- the disassembler and the assembler agree, byte for
 * byte: image -> tzdis -> tzas -> the identical image.
 *
 * Three sources of images:
 *   - for every instruction of the table, an image built in C with
 *     isa_encode: the instruction with its smallest, largest and zero
 *     immediates and several register choices, branches backward, forward
 *     and to an address with no label;
 *   - a source text using the data directives (strings, .align, .space...);
 *   - every guest program (guests/NAME.s), assembled by the assembler library.
 * Each image is written with img_write, disassembled by the tool
 * $TRAPEZE_BUILD/bin/tzdis (default build/), reassembled from the text with
 * asm_assemble_string, written again, and the two byte strings compared.
 * On a mismatch the disassembly is kept in /tmp and its path printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asm.h"
#include "pg32.h"

#define PATH_LEN 512
#define CMD_LEN 2048
#define MSG_LEN 256
#define TEXT_MAX (16u << 20)
#define CODE_ADDR PG32_LOAD_ADDR
#define MAX_WORDS 64
#define GUEST_GLOB "guests/*.s"
#define GUEST_DIR "guests"

/* ---- helpers ------------------------------------------------------------- */

/* Write img to a fresh temporary file; returns its bytes too. */
static void write_temp(const struct image *img, char *path, uint8_t **bytes, size_t *len)
{
	char msg[MSG_LEN] = "";
	int fd;

	strcpy(path, "/tmp/test_roundtrip_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	if (img_write_file(img, path, msg, sizeof msg) != 0)
		fail_msg("img_write_file: %s", msg);
	if (img_write(img, bytes, len) != 0)
		fail_msg("img_write failed");
}

/* Run tzdis on path; returns its output (malloc'd) or fails the test. */
static char *tzdis(const char *path)
{
	const char *build = getenv("TRAPEZE_BUILD");
	char tool[PATH_LEN], cmd[CMD_LEN], out_path[] = "/tmp/test_roundtrip_dis_XXXXXX";
	int fd = mkstemp(out_path), st;
	uint8_t *bytes;
	size_t len;
	char *text;

	assert_true(fd >= 0);
	close(fd);
	snprintf(tool, sizeof tool, "%s/bin/tzdis", build ? build : "build");
	if (access(tool, X_OK) != 0)
		fail_msg("%s is not built (run make, or set TRAPEZE_BUILD)", tool);
	snprintf(cmd, sizeof cmd, "%s '%s' >%s", tool, path, out_path);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s failed on %s", tool, path);
	if (pg32_read_file(out_path, TEXT_MAX, &bytes, &len, NULL, 0) != 0)
		fail_msg("cannot read the output of tzdis");
	unlink(out_path);
	text = realloc(bytes, len + 1);
	assert_non_null(text);
	text[len] = '\0';
	return text;
}

/* Keep text in a file for a human to look at; returns nothing. */
static void keep_text(const char *what, const char *text)
{
	char path[] = "/tmp/test_roundtrip_keep_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	print_error("%s: the disassembly is in %s\n", what, path);
}

/* img -> bytes A; tzdis; assemble; bytes B; A == B. */
static void round_trip(const char *what, const struct image *img)
{
	char path[PATH_LEN];
	uint8_t *a, *b = NULL;
	size_t alen, blen = 0;
	char *text, *diag = NULL;
	size_t diaglen = 0;
	FILE *diagf = open_memstream(&diag, &diaglen);
	struct image again;
	int errors;

	assert_non_null(diagf);
	write_temp(img, path, &a, &alen);
	text = tzdis(path);
	unlink(path);
	errors = asm_assemble_string(what, text, NULL, &again, diagf);
	fclose(diagf);
	if (errors != 0) {
		keep_text(what, text);
		fail_msg("%s: the disassembly does not assemble (%d errors):\n%s", what, errors, diag);
	}
	if (img_write(&again, &b, &blen) != 0) {
		keep_text(what, text);
		fail_msg("%s: the reassembled image does not write", what);
	}
	if (alen != blen || memcmp(a, b, alen) != 0) {
		size_t i = 0;
		while (i < alen && i < blen && a[i] == b[i])
			i++;
		keep_text(what, text);
		fail_msg("%s: reassembled image differs at byte %zu (%zu vs %zu bytes)", what, i,
		         alen, blen);
	}
	img_free(&again);
	free(a);
	free(b);
	free(text);
	free(diag);
}

static uint32_t enc(enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt, int32_t imm)
{
	struct isa_insn in = { .op = op, .rd = (uint8_t)rd, .rs = (uint8_t)rs,
	                       .rt = (uint8_t)rt, .imm = imm };
	uint32_t w = 0;
	char msg[MSG_LEN];

	if (isa_encode(&in, &w, msg, sizeof msg) != 0)
		fail_msg("isa_encode: %s", msg);
	return w;
}

/* ---- tests ----------------------------------------------------------------- */

/* Every instruction of the table, with edge operands, survives the trip. */
static void test_every_instruction(void **state)
{
	(void)state;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		uint32_t words[MAX_WORDS];
		uint8_t data[sizeof words];
		size_t n = 0;
		int32_t lo = 0, hi = 0;
		struct img_segment seg = { .addr = CODE_ADDR, .data = data };
		struct img_symbol syms[2] = {
			{ .value = CODE_ADDR, .kind = IMG_SYM_CODE, .name = "start" },
			{ .kind = IMG_SYM_CODE, .name = "done" },
		};
		struct image img = { .entry = CODE_ADDR, .nsegs = 1, .nsyms = 2, .segs = &seg,
		                     .syms = syms };
		char what[MSG_LEN];

		if (info->format == ISA_FMT_J) {
			/* Back to start, to itself, forward past a word with no
			 * label, and to done (patched below). */
			words[n] = enc((enum isa_opcode)op, 0, 0, 0, -(int32_t)n - 1), n++;
			words[n] = enc((enum isa_opcode)op, 0, 0, 0, -1), n++;
			words[n] = enc((enum isa_opcode)op, 0, 0, 0, 1), n++;
			words[n++] = enc(ISA_OP_NOP, 0, 0, 0, 0);
			words[n] = enc((enum isa_opcode)op, 0, 0, 0, 0), n++; /* to done */
		} else {
			bool has_imm = isa_imm_range(info->format, &lo, &hi);
			words[n++] = enc((enum isa_opcode)op, 1, 2, 3, has_imm ? lo : 0);
			words[n++] = enc((enum isa_opcode)op, 15, 14, 13, has_imm ? hi : 0);
			words[n++] = enc((enum isa_opcode)op, 0, 0, 0, 0);
			words[n++] = enc((enum isa_opcode)op, 12, 4, 0, has_imm && lo < 0 ? -1 : 1);
		}
		syms[1].value = CODE_ADDR + (uint32_t)(n * ISA_WORD_BYTES);
		words[n++] = enc(ISA_OP_HALT, 0, 0, 0, 0);
		for (size_t i = 0; i < n; i++)
			pg32_store32(data + i * ISA_WORD_BYTES, words[i]);
		seg.size = seg.mem_size = (uint32_t)(n * ISA_WORD_BYTES);
		snprintf(what, sizeof what, "instruction %s", info->mnemonic);
		round_trip(what, &img);
	}
}

/* Data next to code: a data symbol's words that decode as instructions,
 * an illegal word, odd-sized data, a misaligned data label. */
static void test_code_and_data(void **state)
{
	uint8_t data[7 * ISA_WORD_BYTES + 3];
	struct img_segment seg = { .addr = CODE_ADDR, .size = sizeof data,
	                           .mem_size = sizeof data, .data = data };
	struct img_symbol syms[] = {
		{ .value = CODE_ADDR, .kind = IMG_SYM_CODE, .name = "main" },
		{ .value = CODE_ADDR + 8, .kind = IMG_SYM_DATA, .name = "table" },
		{ .value = CODE_ADDR + 17, .kind = IMG_SYM_DATA, .name = "odd" },
	};
	struct image img = { .variant = isa_variant_all_ill(), .entry = CODE_ADDR, .nsegs = 1,
	                     .nsyms = 3, .segs = &seg, .syms = syms };

	(void)state;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 11);
	pg32_store32(data, enc(ISA_OP_MOVI, 1, 0, 0, 5));
	pg32_store32(data + 4, enc(ISA_OP_HALT, 0, 0, 0, 0));
	pg32_store32(data + 8, enc(ISA_OP_ADD, 1, 2, 3, 0)); /* data that looks like code */
	pg32_store32(data + 12, 0xFF00FF00u);               /* and data that does not */
	round_trip("code and data", &img);
}

/* Several segments, as tzas writes them: in address order, never touching
 * (it merges those that do), a label at the very end of one. */
static void test_segments(void **state)
{
	uint8_t a[8], b[12];
	struct img_segment segs[] = {
		{ .addr = CODE_ADDR, .size = sizeof b, .mem_size = sizeof b, .data = b },
		{ .addr = 0x1000, .size = sizeof a, .mem_size = sizeof a, .data = a },
	};
	struct img_symbol syms[] = {
		{ .value = CODE_ADDR, .kind = IMG_SYM_CODE, .name = "entry" },
		{ .value = 0x1000, .kind = IMG_SYM_DATA, .name = "far" },
		{ .value = 0x1000 + sizeof a, .kind = IMG_SYM_DATA, .name = "far_end" },
	};
	struct image img = { .variant = ISA_VARIANT_BIT(ISA_OP_RTU), .entry = CODE_ADDR,
	                     .nsegs = 2, .nsyms = 3, .segs = segs, .syms = syms };

	(void)state;
	memset(a, 0x5A, sizeof a);
	pg32_store32(b, enc(ISA_OP_LUI, 1, 0, 0, 0));
	pg32_store32(b + 4, enc(ISA_OP_ORI, 1, 1, 0, 0x1000));
	pg32_store32(b + 8, enc(ISA_OP_HALT, 0, 0, 0, 0));
	round_trip("two segments", &img);
}

/* A source using the data directives: strings, odd-sized data, .align,
 * .equ, li, a data table of addresses, a second segment, a label at the
 * very end. */
static void test_assembled_source(void **state)
{
	static const char source[] =
		"; round-trip probe\n"
		".isa ill:srr,rtu\n"
		".equ COUNT, 3\n"
		".org 0x100\n"
		"_start: li r1, 0x12345678\n"
		"        movi r2, COUNT\n"
		"loop:   addi r2, r2, -1\n"
		"        cmpi r2, 0\n"
		"        bne loop\n"
		"        call sub\n"
		"        out r1, PORT_CONSOLE_OUT\n"
		"        halt\n"
		"sub:    jr lr\n"
		"msg:    .asciz \"hello\"\n"
		"odd:    .byte 1, 2, 3\n"
		"        .align 4\n"
		"tbl:    .word 1, 2, loop, msg\n"
		"tail:   .ascii \"xy\"\n"
		".org 0x400\n"
		"buf:    .space 10, 0x55\n"
		"end_buf:\n"
		".entry _start\n";
	struct image img;
	char *diag = NULL;
	size_t diaglen = 0;
	FILE *diagf = open_memstream(&diag, &diaglen);
	int errors;

	(void)state;
	assert_non_null(diagf);
	errors = asm_assemble_string("probe.s", source, NULL, &img, diagf);
	fclose(diagf);
	if (errors != 0)
		fail_msg("probe.s does not assemble:\n%s", diag);
	free(diag);
	assert_int_equal(img.nsegs, 2);
	round_trip("probe.s", &img);
	img_free(&img);
}

/* Every guest program: assemble, then the trip. */
static void test_guests(void **state)
{
	glob_t g;
	const char *dirs[] = { GUEST_DIR };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	int rc = glob(GUEST_GLOB, 0, NULL, &g);

	(void)state;
	if (rc == GLOB_NOMATCH) {
		print_message("test_guests: no %s yet\n", GUEST_GLOB);
		return;
	}
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct image img;
		char *diag = NULL;
		size_t diaglen = 0;
		FILE *diagf = open_memstream(&diag, &diaglen);
		int errors;

		assert_non_null(diagf);
		errors = asm_assemble_file(g.gl_pathv[i], &opt, &img, diagf);
		fclose(diagf);
		if (errors != 0)
			fail_msg("%s does not assemble:\n%s", g.gl_pathv[i], diag);
		free(diag);
		round_trip(g.gl_pathv[i], &img);
		img_free(&img);
	}
	print_message("test_guests: %zu guests\n", g.gl_pathc);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_instruction),
		cmocka_unit_test(test_code_and_data),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_assembled_source),
		cmocka_unit_test(test_guests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
