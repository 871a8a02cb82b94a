/*
 * test_disasm.c -- tests of tzdis, the whole-image disassembler.
 *
 * Images are built in C with isa_encode and img_write_file, and the tool
 * $TRAPEZE_BUILD/bin/tzdis (default build/) is run on them.  Besides
 * looking for expected lines, the tests walk the output the way an
 * assembler would place it (.org sets the address, an instruction or .word
 * takes 4 bytes, .byte one per value, .space N takes N) and check that every
 * label lands on its symbol's value and every comment names the address and
 * the word really there.  The byte-exact round trip through tzas lives in
 * test_roundtrip.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg32.h"

#define PATH_LEN 512
#define CMD_LEN 2048
#define ARGS_LEN (PATH_LEN + 16)
#define WANT_LEN (PATH_LEN + 128)
#define LINE_LEN 512
#define MSG_LEN 256
#define EXIT_USAGE 2
#define CODE_ADDR PG32_LOAD_ADDR
#define MAX_WORDS 256

/* ---- running the tool ---------------------------------------------------- */

struct run {
	int status;  /* exit status, or -1 if it did not exit normally */
	char *out;   /* stdout, NUL-terminated */
	char *err;   /* stderr */
};

static char *slurp(const char *path)
{
	uint8_t *bytes;
	size_t len;
	char *text;

	if (pg32_read_file(path, 1u << 24, &bytes, &len, NULL, 0) != 0)
		return strdup("");
	text = realloc(bytes, len + 1);
	assert_non_null(text);
	text[len] = '\0';
	return text;
}

/* Run tzdis with args (already quoted for the shell). */
static struct run run_tzdis(const char *args)
{
	const char *build = getenv("TRAPEZE_BUILD");
	char tool[PATH_LEN], cmd[CMD_LEN];
	char out_path[] = "/tmp/test_disasm_out_XXXXXX", err_path[] = "/tmp/test_disasm_err_XXXXXX";
	int ofd = mkstemp(out_path), efd = mkstemp(err_path);
	struct run r;
	int st;

	assert_true(ofd >= 0 && efd >= 0);
	close(ofd);
	close(efd);
	snprintf(tool, sizeof tool, "%s/bin/tzdis", build ? build : "build");
	if (access(tool, X_OK) != 0)
		fail_msg("%s is not built (run make, or set TRAPEZE_BUILD)", tool);
	snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", tool, args, out_path, err_path);
	st = system(cmd);
	r.status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.out = slurp(out_path);
	r.err = slurp(err_path);
	unlink(out_path);
	unlink(err_path);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- building images ------------------------------------------------------ */

struct fixture {
	char path[PATH_LEN];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	int fd;

	if (f == NULL)
		return -1;
	strcpy(f->path, "/tmp/test_disasm_XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0) {
		free(f);
		return -1;
	}
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	free(f);
	return 0;
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

static void write_image(const struct fixture *f, const struct image *img)
{
	char msg[MSG_LEN] = "";

	if (img_write_file(img, f->path, msg, sizeof msg) != 0)
		fail_msg("img_write_file: %s", msg);
}

static void words_to_bytes(uint8_t *out, const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pg32_store32(out + i * ISA_WORD_BYTES, w[i]);
}

/* ---- checking the output ------------------------------------------------- */

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
		n++;
	return n;
}

/* The byte the image puts at addr, or -1 outside the file data. */
static int image_byte(const struct image *img, uint32_t addr)
{
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct img_segment *s = &img->segs[i];
		if (addr >= s->addr && addr - s->addr < s->size)
			return s->data[addr - s->addr];
	}
	return -1;
}

/* Walk the text as an assembler would place it; check labels, comment
 * addresses and words, and that the walk covers each segment exactly. */
static void check_layout(const char *text, const struct image *img)
{
	const char *line = text;
	uint64_t pos = 0, seg_end = 0;
	uint32_t labels = 0, segs_seen = 0;
	bool in_seg = false;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char buf[LINE_LEN];
		unsigned long addr, word;
		char *semi;

		assert_true(n < sizeof buf);
		memcpy(buf, line, n);
		buf[n] = '\0';
		line += n + (nl ? 1 : 0);
		semi = strchr(buf, ';');

		if (strncmp(buf, ".org ", 5) == 0) {
			uint32_t j = 0;
			if (in_seg)
				assert_int_equal(pos, seg_end);
			pos = strtoul(buf + 5, NULL, 0);
			while (j < img->nsegs && img->segs[j].addr != pos)
				j++;
			assert_true(j < img->nsegs); /* each .org starts a segment of the image */
			seg_end = (uint64_t)img->segs[j].addr + img->segs[j].mem_size;
			segs_seen++;
			in_seg = true;
		} else if (buf[0] != ' ' && buf[0] != ';' && buf[0] != '.' && buf[0] != '\0') {
			/* A label. */
			uint32_t v;
			assert_non_null(strchr(buf, ':'));
			*strchr(buf, ':') = '\0';
			assert_true(img_symbol_value(img, buf, &v));
			if (pos != v)
				fail_msg("label %s placed at 0x%llx, its value is 0x%x", buf,
				         (unsigned long long)pos, v);
			labels++;
		} else if (buf[0] == ' ') {
			/* An item: it starts at pos, as its comment says. */
			const char *item = buf + strspn(buf, " ");
			assert_non_null(semi);
			addr = strtoul(semi + 1, NULL, 0);
			assert_int_equal(addr, pos);
			if (strncmp(item, ".byte ", 6) == 0) {
				*semi = '\0'; /* the values are the comma-separated tokens before it */
				for (char *tok = strtok(buf + (item - buf) + 6, ","); tok;
				     tok = strtok(NULL, ",")) {
					assert_int_equal(strtoul(tok, NULL, 0), image_byte(img, (uint32_t)pos));
					pos++;
				}
			} else if (strncmp(item, ".space ", 7) == 0) {
				pos += strtoul(item + 7, NULL, 0);
			} else {
				/* A word: the comment gives its encoding. */
				const char *colon = strchr(semi, ':');
				assert_non_null(colon);
				word = strtoul(colon + 1, NULL, 0);
				for (unsigned k = 0; k < ISA_WORD_BYTES; k++)
					assert_int_equal(image_byte(img, (uint32_t)pos + k),
					                 (word >> (8 * k)) & 0xFFu);
				pos += ISA_WORD_BYTES;
			}
		}
	}
	assert_int_equal(segs_seen, img->nsegs);
	if (in_seg)
		assert_int_equal(pos, seg_end);
	assert_int_equal(labels, img->nsyms);
}

/* Run tzdis on img (written to f->path), expect success, check the layout.
 * Returns the output; the caller frees it. */
static char *disassemble_ok(const struct fixture *f, const struct image *img)
{
	struct run r;
	char args[ARGS_LEN], msg[MSG_LEN];
	struct image parsed;

	write_image(f, img);
	/* Check against the parsed image: symbols sorted, as tzdis sees them. */
	assert_int_equal(img_load_file(f->path, &parsed, msg, sizeof msg), 0);
	snprintf(args, sizeof args, "'%s'", f->path);
	r = run_tzdis(args);
	if (r.status != 0)
		fail_msg("tzdis failed (%d): %s", r.status, r.err);
	assert_string_equal(r.err, "");
	check_layout(r.out, &parsed);
	img_free(&parsed);
	free(r.err);
	return r.out;
}

/* ---- tests --------------------------------------------------------------- */

/* --help prints the usage on stdout and exits 0. */
static void test_help(void **state)
{
	struct run r = run_tzdis("--help");

	(void)state;
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: tzdis IMAGE"));
	run_free(&r);
}

/* No image, two images, an unknown option: usage on stderr, exit 2. */
static void test_bad_arguments(void **state)
{
	const char *cases[] = { "", "a.img b.img", "--frobnicate a.img" };

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run r = run_tzdis(cases[i]);
		assert_int_equal(r.status, EXIT_USAGE);
		assert_string_equal(r.out, "");
		assert_non_null(strstr(r.err, "usage: tzdis"));
		run_free(&r);
	}
}

/* A missing file and a bad image: one line "tzdis: FILE: message", exit 2. */
static void test_bad_image(void **state)
{
	struct fixture *f = *state;
	char args[ARGS_LEN], want[WANT_LEN];
	FILE *out;
	struct run r = run_tzdis("/nonexistent.img");

	assert_int_equal(r.status, EXIT_USAGE);
	assert_string_equal(r.err, "tzdis: /nonexistent.img: cannot open: No such file or directory\n");
	run_free(&r);

	out = fopen(f->path, "wb");
	assert_non_null(out);
	fputs("this is not an image, but it is long enough for a header", out);
	fclose(out);
	snprintf(args, sizeof args, "'%s'", f->path);
	r = run_tzdis(args);
	assert_int_equal(r.status, EXIT_USAGE);
	snprintf(want, sizeof want, "tzdis: %s: bad magic 0x73696874 (not a PG32 image)\n", f->path);
	assert_string_equal(r.err, want);
	assert_string_equal(r.out, "");
	run_free(&r);
}

/* A small program: header lines, labels, branch targets by name, the
 * comment column, an illegal word, data words, trailing bytes. */
static void test_small_program(void **state)
{
	struct fixture *f = *state;
	uint32_t code[] = {
		enc(ISA_OP_MOVI, 1, 0, 0, 10),                 /* 0x100 main */
		enc(ISA_OP_ADDI, 1, 1, 0, -1),                 /* 0x104 loop */
		enc(ISA_OP_CMPI, 1, 0, 0, 0),                  /* 0x108 */
		enc(ISA_OP_BNE, 0, 0, 0, -3),                  /* 0x10c -> loop */
		enc(ISA_OP_CALL, 0, 0, 0, 1),                  /* 0x110 -> 0x118 (no symbol) */
		0xFF000000u,                                   /* 0x114 illegal */
		enc(ISA_OP_HALT, 0, 0, 0, 0),                  /* 0x118 */
		0x6c6c6568u,                                   /* 0x11c msg: "hell" */
		0x0000216fu,                                   /* 0x120 "o!" */
	};
	uint8_t data[sizeof code + 2];
	struct img_segment seg = { .addr = CODE_ADDR, .size = sizeof data,
	                           .mem_size = sizeof data, .data = data };
	struct img_symbol syms[] = {
		{ .value = CODE_ADDR, .kind = IMG_SYM_CODE, .name = "main" },
		{ .value = CODE_ADDR + 4, .kind = IMG_SYM_CODE, .name = "loop" },
		{ .value = CODE_ADDR + 0x1c, .kind = IMG_SYM_DATA, .name = "msg" },
	};
	struct image img = { .variant = ISA_VARIANT_BIT(ISA_OP_SRR), .entry = CODE_ADDR,
	                     .nsegs = 1, .nsyms = 3, .segs = &seg, .syms = syms };
	char *out;

	(void)state;
	words_to_bytes(data, code, sizeof code / sizeof code[0]);
	data[sizeof code] = 0xAB;
	data[sizeof code + 1] = 0xCD;
	out = disassemble_ok(f, &img);
	assert_non_null(strstr(out, ".isa ill:srr\n"));
	assert_non_null(strstr(out, ".entry main\n"));
	assert_non_null(strstr(out, ".org 0x00000100\nmain:\n        movi r1, 10 "));
	assert_non_null(strstr(out, "bne loop "));
	assert_non_null(strstr(out, "call 0x00000118 "));
	assert_non_null(strstr(out, ".word 0xff000000 "));
	assert_non_null(strstr(out, "; 0x00000114: 0xff000000\n"));
	assert_non_null(strstr(out, "msg:\n        .word 0x6c6c6568 "));
	assert_non_null(strstr(out, ".word 0x0000216f"));
	assert_non_null(strstr(out, ".byte 0xab, 0xcd "));
	assert_null(strstr(out, "\t"));
	free(out);
}

/* Every instruction of the table is printed by its mnemonic, in the code
 * range, and the layout checks out. */
static void test_every_instruction(void **state)
{
	struct fixture *f = *state;
	uint32_t code[MAX_WORDS];
	uint8_t data[sizeof code];
	size_t n = 0;
	struct img_segment seg = { .addr = CODE_ADDR, .data = data };
	struct img_symbol sym = { .value = CODE_ADDR, .kind = IMG_SYM_CODE, .name = "start" };
	struct image img = { .entry = CODE_ADDR, .nsegs = 1, .nsyms = 1, .segs = &seg,
	                     .syms = &sym };
	char *out;

	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		int32_t lo, hi, imm = 0;
		if (isa_imm_range(info->format, &lo, &hi))
			imm = info->format == ISA_FMT_J ? -(int32_t)n - 1 : hi; /* J: back to start */
		code[n++] = enc((enum isa_opcode)op, 1, 2, 3, imm);
	}
	seg.size = seg.mem_size = (uint32_t)(n * ISA_WORD_BYTES);
	words_to_bytes(data, code, n);
	out = disassemble_ok(f, &img);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		char want[MSG_LEN], word[MSG_LEN];
		snprintf(want, sizeof want, "        %s", isa_info(op)->mnemonic);
		snprintf(word, sizeof word, ": 0x%08x\n", code[op - 1]);
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, word));
	}
	assert_non_null(strstr(out, "b start"));
	assert_null(strstr(out, ".word"));
	free(out);
}

/* Labels on odd addresses, a segment starting off a word boundary, a data
 * range ended by a code label, a zero-filled tail with a label inside and
 * one at its end: every label lands exactly, by .byte where needed. */
static void test_awkward_labels(void **state)
{
	struct fixture *f = *state;
	uint8_t a[16], b[7];
	struct img_segment segs[] = {
		{ .addr = CODE_ADDR, .size = sizeof a, .mem_size = sizeof a + 8, .data = a },
		{ .addr = 0x203, .size = sizeof b, .mem_size = sizeof b, .data = b },
	};
	struct img_symbol syms[] = {
		{ .value = CODE_ADDR, .kind = IMG_SYM_DATA, .name = "table" },
		{ .value = CODE_ADDR + 5, .kind = IMG_SYM_DATA, .name = "odd" },
		{ .value = CODE_ADDR + 8, .kind = IMG_SYM_CODE, .name = "code" },
		{ .value = CODE_ADDR + 18, .kind = IMG_SYM_DATA, .name = "bss_mid" },
		{ .value = CODE_ADDR + 24, .kind = IMG_SYM_DATA, .name = "bss_end" },
		{ .value = 0x203, .kind = IMG_SYM_DATA, .name = "unaligned" },
		{ .value = 0x20a, .kind = IMG_SYM_DATA, .name = "last" },
	};
	struct image img = { .entry = CODE_ADDR + 8, .nsegs = 2, .nsyms = 7, .segs = segs,
	                     .syms = syms };
	char *out;

	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)(0x10 + i);
	pg32_store32(a + 8, enc(ISA_OP_NOP, 0, 0, 0, 0));
	pg32_store32(a + 12, enc(ISA_OP_HALT, 0, 0, 0, 0));
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(0xE0 + i);
	out = disassemble_ok(f, &img);
	assert_non_null(strstr(out, ".entry code\n"));
	assert_non_null(strstr(out, "table:\n        .word 0x13121110"));
	assert_non_null(strstr(out, "        .byte 0x14 "));
	assert_non_null(strstr(out, "odd:\n        .byte 0x15, 0x16, 0x17 "));
	assert_non_null(strstr(out, "code:\n        nop"));
	assert_non_null(strstr(out, "        .space 2 "));
	assert_non_null(strstr(out, "bss_mid:\n        .space 6 "));
	assert_non_null(strstr(out, "bss_end:\n"));
	assert_non_null(strstr(out, ".org 0x00000203\nunaligned:\n        .byte 0xe0 "));
	assert_non_null(strstr(out, "        .word 0xe4e3e2e1 "));
	assert_non_null(strstr(out, "        .byte 0xe5, 0xe6 "));
	assert_true(strlen(out) > 0 && strstr(out, "last:\n") == out + strlen(out) - strlen("last:\n"));
	free(out);
}

/* A label at the end of one segment that is the start of the next is
 * printed once, at the start of the second; an entry with no symbol is
 * printed as an address. */
static void test_shared_boundary(void **state)
{
	struct fixture *f = *state;
	uint8_t a[8], b[8];
	struct img_segment segs[] = {
		{ .addr = 0x300, .size = sizeof b, .mem_size = sizeof b, .data = b },
		{ .addr = 0x2f8, .size = sizeof a, .mem_size = sizeof a, .data = a },
	};
	struct img_symbol syms[] = {
		{ .value = 0x300, .kind = IMG_SYM_CODE, .name = "second" },
		{ .value = 0x308, .kind = IMG_SYM_CODE, .name = "after" },
	};
	struct image img = { .entry = 0x2fc, .nsegs = 2, .nsyms = 2, .segs = segs, .syms = syms };
	char *out;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	pg32_store32(a, enc(ISA_OP_NOP, 0, 0, 0, 0));
	pg32_store32(a + 4, enc(ISA_OP_B, 0, 0, 0, 0));
	out = disassemble_ok(f, &img);
	assert_non_null(strstr(out, ".entry 0x000002fc\n"));
	assert_int_equal(count_of(out, "second:"), 1);
	assert_non_null(strstr(out, ".org 0x00000300\nsecond:\n"));
	/* Segments come out in address order, although the image has 0x300 first. */
	assert_true(strstr(out, ".org 0x000002f8") < strstr(out, ".org 0x00000300"));
	assert_non_null(strstr(out, "b second"));
	free(out);
}

/* Several symbols at one address are all printed, in table order. */
static void test_aliases(void **state)
{
	struct fixture *f = *state;
	uint8_t a[4];
	struct img_segment seg = { .addr = CODE_ADDR, .size = 4, .mem_size = 4, .data = a };
	struct img_symbol syms[] = {
		{ .value = CODE_ADDR, .kind = IMG_SYM_DATA, .name = "alias_data" },
		{ .value = CODE_ADDR, .kind = IMG_SYM_CODE, .name = "alias_code" },
		{ .value = CODE_ADDR + 4, .kind = IMG_SYM_DATA, .name = "end" },
	};
	struct image img = { .entry = CODE_ADDR, .nsegs = 1, .nsyms = 3, .segs = &seg,
	                     .syms = syms };
	char *out;

	pg32_store32(a, enc(ISA_OP_B, 0, 0, 0, -1));
	out = disassemble_ok(f, &img);
	/* The code symbol wins: the word is an instruction, named by it. */
	assert_non_null(strstr(out, "alias_data:\nalias_code:\n        b alias_code "));
	assert_non_null(strstr(out, ".entry alias_code\n"));
	assert_non_null(strstr(out, "end:\n"));
	free(out);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_help),
		T(test_bad_arguments),
		T(test_bad_image),
		T(test_small_program),
		T(test_every_instruction),
		T(test_awkward_labels),
		T(test_shared_boundary),
		T(test_aliases),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
