/*
 * test_ill_guests.c -- the guests of the ill-behaved variant (guests/detect.s,
 * selfmod.s, codedata.s, indirect.s, minikernel_ill.s): what they show on
 * the bare ill machine and under the monitor with plain trap-and-emulate.
 *
 * tests/test_guests.c already compares each guest's bare-machine output
 * with its .expected file.  This program checks what those outputs MEAN:
 * detect says "bare machine" by every test on the bare machine and
 * "virtualized" under plain trap-and-emulate, and the equivalence checker
 * finds the divergence; the words selfmod writes are the instructions it
 * means; codedata's checksums are the true ones of its image; indirect
 * depends on the ill variant; minikernel_ill prints exactly what the well
 * minikernel prints.  The constants pg32.inc gives these guests are checked
 * against the instruction table.
 *
 * Each guest is assembled in process from guests/ (so the test does not
 * depend on stale images) and written to a temporary directory; the tools
 * come from $TRAPEZE_BUILD/bin (default build/).  When tzvmm has a
 * --rewrite option, the monitor runs are given --rewrite none: plain
 * trap-and-emulate is what this test is about.  Run from the top of the
 * tree (make test does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asm.h"
#include "pg32.h"
#include "pg32_test.h"
#include "vmm.h"

#define GUEST_DIR "guests"
#define PATH PT_PATH
#define MSG_LEN 512
#define GUEST_MAX_INSTRUCTIONS 20000000u /* far above any of these guests */
#define EXIT_UNEXPECTED 0xff             /* the guests' code for an unexpected trap */
#define BOUND_ALL 0xffffffffu            /* the R bound the guests set (pg32.inc) */
#define CHECKSUM_ROTATE 5                /* codedata.s: c := rotl(c, 5) xor word */
#define WORD_BITS 32
#define PLAIN_ARGS "--rewrite none" /* plain trap-and-emulate */

/* The critical instructions, in the order detect tests them. */
static const char *const methods[] = { "srr", "rdpsw", "wrfl", "rtu" };
#define NMETHODS (sizeof methods / sizeof methods[0])

struct fixture {
	struct pt_tool run;   /* temporary directory (images, outputs), last run */
	char tzrun[PATH];
	char tzvmm[PATH];
};

/* ---- helpers ----------------------------------------------------------------- */

/* Run "TOOL ARGS": f->run.status, .out, .err. */
static void run_tool(struct fixture *f, const char *tool, const char *args)
{
	pt_tool_run(&f->run, "'%s' %s", tool, args);
}

/* Assemble guests/NAME.s into *img (warnings about critical instructions
 * are expected and ignored; errors fail). */
static void assemble(const char *name, struct image *img)
{
	char path[PATH];
	snprintf(path, sizeof path, "%s/%s.s", GUEST_DIR, name);
	static const char *const dirs[] = { GUEST_DIR };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	char *diag = NULL;
	size_t diag_len = 0;
	FILE *d = open_memstream(&diag, &diag_len);
	assert_non_null(d);
	int errors = asm_assemble_file(path, &opt, img, d);
	fclose(d);
	if (errors != 0)
		fail_msg("%s does not assemble (%d errors):\n%s", path, errors, diag);
	free(diag);
}

/* Assemble guests/NAME.s and write it to DIR/NAME.img; its path in out. */
static void write_guest(const struct fixture *f, const char *name, char *out, size_t len)
{
	struct image img;
	char msg[MSG_LEN];
	assemble(name, &img);
	snprintf(out, len, "%s/%s.img", f->run.dir, name);
	if (img_write_file(&img, out, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	img_free(&img);
}

/* Run img on the bare machine with variant v: its console in *out (caller
 * frees), its power-off code in *code; the run must power off. */
static void run_bare(const struct image *img, isa_variant v, char **out, uint32_t *code)
{
	size_t len = 0;
	char msg[MSG_LEN];
	FILE *console = open_memstream(out, &len);
	assert_non_null(console);
	struct bare_machine m;
	if (bare_init(&m, img, PG32_MEM_DEFAULT, v, console, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	enum bare_end end = bare_run(&m, GUEST_MAX_INSTRUCTIONS);
	*code = m.bus.exit_code;
	bare_free(&m);
	fclose(console);
	assert_int_equal(end, BARE_POWEROFF);
}

/* The line of text that starts with prefix (at a line start), or NULL. */
static const char *line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			return p;
	return NULL;
}

/* The number printed after "after" in the line starting with prefix. */
static uint32_t number_after(const char *text, const char *prefix, const char *after)
{
	const char *line = line_starting(text, prefix);
	if (!line)
		fail_msg("no line starting \"%s\" in:\n%s", prefix, text);
	const char *at = strstr(line, after);
	const char *eol = strchr(line, '\n');
	if (!at || (eol && at > eol))
		fail_msg("no \"%s\" in the line \"%s\"", after, prefix);
	return (uint32_t)strtoul(at + strlen(after), NULL, 0);
}

/* The n numbers separated by ", " after "after" in the line starting with
 * prefix. */
static void numbers_after(const char *text, const char *prefix, const char *after,
                          uint32_t *v, size_t n)
{
	const char *line = line_starting(text, prefix);
	if (!line)
		fail_msg("no line starting \"%s\" in:\n%s", prefix, text);
	const char *p = strstr(line, after);
	assert_non_null(p);
	p += strlen(after);
	for (size_t i = 0; i < n; i++) {
		char *end;
		v[i] = (uint32_t)strtoul(p, &end, 0);
		if (end == p)
			fail_msg("line \"%s\": number %zu after \"%s\" missing", prefix, i, after);
		p = end;
		if (i + 1 < n) {
			if (strncmp(p, ", ", 2) != 0)
				fail_msg("line \"%s\": no \", \" after number %zu", prefix, i);
			p += 2;
		}
	}
}

/* The hex words printed on the line after the one starting with prefix
 * ("  0x... 0x..."), up to max of them; returns how many. */
static size_t words_after_line(const char *text, const char *prefix, uint32_t *w, size_t max)
{
	const char *line = line_starting(text, prefix);
	if (!line)
		fail_msg("no line starting \"%s\" in:\n%s", prefix, text);
	const char *p = strchr(line, '\n');
	assert_non_null(p);
	size_t n = 0;
	char *end;
	for (p++; n < max && *p && *p != '\n'; p = end) {
		w[n] = (uint32_t)strtoul(p, &end, 0);
		if (end == p)
			break;
		n++;
	}
	return n;
}

/* ---- fixture ------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || pt_tool_open(&f->run, "test_ill_guests") != 0)
		return -1;
	snprintf(f->tzrun, sizeof f->tzrun, "%s/bin/tzrun", f->run.build);
	snprintf(f->tzvmm, sizeof f->tzvmm, "%s/bin/tzvmm", f->run.build);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = pt_tool_close(&f->run);
	free(f);
	return rc;
}

/* ---- the tests ------------------------------------------------------------------ */

/* pg32.inc's insn_word, with the assembler's OP_* and ISA_*_SHIFT, makes the same
 * word as the assembler makes for the instruction, for every critical
 * instruction (so the guests that build code at run time build what they
 * say). */
static void test_pg32_inc_words_match_table(void **state)
{
	(void)state;
	static const char src[] =
		"\t.include \"pg32.inc\"\n"
		"\tinsn_word W_SRR, OP_SRR, 3, 4\n"
		"\tinsn_word W_RDPSW, OP_RDPSW, 5, 0\n"
		"\tinsn_word W_WRFL, OP_WRFL, 6, 0\n"
		"\tinsn_word W_RTU, OP_RTU, 15, 0\n"
		"\t.org PG32_LOAD_ADDR\n"
		"\t.word W_SRR, W_RDPSW, W_WRFL, W_RTU\n"
		"\tsrr r3, r4\n"
		"\trdpsw r5\n"
		"\twrfl r6\n"
		"\trtu lr\n";
	static const enum isa_opcode ops[] = { ISA_OP_SRR, ISA_OP_RDPSW, ISA_OP_WRFL, ISA_OP_RTU };
	const size_t n = sizeof ops / sizeof ops[0];
	static const char *const dirs[] = { GUEST_DIR };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	struct image img;
	assert_int_equal(asm_assemble_string("words.s", src, &opt, &img, stderr), 0);
	assert_int_equal(img.nsegs, 1);
	assert_int_equal(img.segs[0].size, 2 * n * ISA_WORD_BYTES);
	const uint8_t *d = img.segs[0].data;
	for (size_t i = 0; i < n; i++) {
		uint32_t made = pg32_load32(d + i * ISA_WORD_BYTES);
		uint32_t assembled = pg32_load32(d + (n + i) * ISA_WORD_BYTES);
		if (made != assembled)
			fail_msg("insn_word for %s: 0x%08x, the assembler: 0x%08x",
			         isa_info(ops[i])->mnemonic, made, assembled);
		assert_int_equal(ISA_WORD_OPCODE(made), ops[i]);
		assert_true(isa_variant_all_ill() & ISA_VARIANT_BIT(ops[i]));
	}
	img_free(&img);
}

/* Every one of the guests records the ill variant in its image: the
 * bare machine, tzrun and tzvmm all take the variant from there. */
static void test_ill_guests_are_built_for_ill(void **state)
{
	(void)state;
	static const char *const names[] = { "detect", "selfmod", "codedata", "indirect",
		                             "minikernel_ill" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct image img;
		assemble(names[i], &img);
		if (img.variant != isa_variant_all_ill())
			fail_msg("%s: variant 0x%llx, not ill", names[i],
			         (unsigned long long)img.variant);
		img_free(&img);
	}
}

/* detect on the bare machine (tzrun): every test says "bare machine", the
 * verdict too, and the exit code (tests that found a monitor) is 0. */
static void test_detect_bare_says_bare_machine(void **state)
{
	struct fixture *f = *state;
	char img[PATH], args[PT_PATH * 2], prefix[64];
	write_guest(f, "detect", img, sizeof img);
	snprintf(args, sizeof args, "'%s'", img);
	run_tool(f, f->tzrun, args);
	for (size_t i = 0; i < NMETHODS; i++) {
		snprintf(prefix, sizeof prefix, "%s: bare machine", methods[i]);
		if (!line_starting(f->run.out, prefix))
			fail_msg("no \"%s\" line on the bare machine:\n%s", prefix, f->run.out);
	}
	assert_null(strstr(f->run.out, "virtualized"));
	assert_non_null(line_starting(f->run.out, "detect: a bare machine, by every test"));
	assert_int_equal(f->run.status, 0);
}

/* detect under the monitor with plain trap-and-emulate: each critical
 * instruction runs in real user mode and gives the monitor away, so every
 * test says "virtualized" and the exit code is their number.  The srr line
 * shows the real bound: the region's size, not the BOUND_ALL it set. */
static void test_detect_plain_monitor_says_virtualized(void **state)
{
	struct fixture *f = *state;
	char img[PATH], args[PT_PATH * 2], prefix[64];
	write_guest(f, "detect", img, sizeof img);
	snprintf(args, sizeof args, "%s '%s'", PLAIN_ARGS, img);
	run_tool(f, f->tzvmm, args);
	for (size_t i = 0; i < NMETHODS; i++) {
		snprintf(prefix, sizeof prefix, "%s: virtualized", methods[i]);
		if (!line_starting(f->run.out, prefix))
			fail_msg("no \"%s\" line under the plain monitor:\n%s", prefix, f->run.out);
	}
	assert_null(strstr(f->run.out, ": bare machine"));
	const char *srr = line_starting(f->run.out, "srr: virtualized");
	char bound[32];
	snprintf(bound, sizeof bound, ", 0x%08x;", PG32_MEM_DEFAULT);
	assert_non_null(strstr(srr, bound));
	assert_int_equal(number_after(f->run.out, "detect: a monitor", "found by "), NMETHODS);
	assert_int_equal(f->run.status, NMETHODS);
}

/* The equivalence checker on detect with plain trap-and-emulate reports
 * a divergence (exit 1), not "equivalent". */
static void test_detect_check_plain_diverges(void **state)
{
	struct fixture *f = *state;
	char img[PATH], args[PT_PATH * 2];
	write_guest(f, "detect", img, sizeof img);
	snprintf(args, sizeof args, "--check %s '%s'", PLAIN_ARGS, img);
	run_tool(f, f->tzvmm, args);
	if (strncmp(f->run.out, "diverged", strlen("diverged")) != 0)
		fail_msg("tzvmm --check %s detect: \"%s\", expected a divergence", PLAIN_ARGS, f->run.out);
	assert_int_equal(f->run.status, VMM_EXIT_DIVERGED);
}

/* selfmod, codedata and indirect run a critical instruction in (virtual)
 * system mode, so plain trap-and-emulate diverges on each of them too;
 * minikernel_ill runs none, and is equivalent even so. */
static void test_plain_monitor_on_the_other_guests(void **state)
{
	struct fixture *f = *state;
	static const char *const diverging[] = { "selfmod", "codedata", "indirect" };
	char img[PATH], args[PT_PATH * 2];
	for (size_t i = 0; i < sizeof diverging / sizeof diverging[0]; i++) {
		write_guest(f, diverging[i], img, sizeof img);
		snprintf(args, sizeof args, "--check %s '%s'", PLAIN_ARGS, img);
		run_tool(f, f->tzvmm, args);
		if (f->run.status != VMM_EXIT_DIVERGED)
			fail_msg("tzvmm --check %s %s: exit %d, \"%s\"", PLAIN_ARGS, diverging[i],
			         f->run.status, f->run.out);
	}
	write_guest(f, "minikernel_ill", img, sizeof img);
	snprintf(args, sizeof args, "--check %s '%s'", PLAIN_ARGS, img);
	run_tool(f, f->tzvmm, args);
	if (f->run.status != 0 || strncmp(f->run.out, "equivalent", strlen("equivalent")) != 0)
		fail_msg("tzvmm --check %s minikernel_ill: exit %d, \"%s\"", PLAIN_ARGS, f->run.status,
		         f->run.out);
}

/* selfmod writes the instructions it says it writes: the words it reads
 * back are those the table encodes, and on the bare machine they give the
 * system-mode results (srr: the R it set; rdpsw: S = 1; the built routine:
 * S, IE and Z). */
static void test_selfmod_writes_intended_words(void **state)
{
	(void)state;
	struct image img;
	char *out = NULL;
	uint32_t code;
	assemble("selfmod", &img);
	run_bare(&img, img.variant, &out, &code);
	img_free(&img);
	assert_int_equal(code, 0);
	assert_int_equal(number_after(out, "selfmod: 2.", "; word "),
	                 pt_enc(ISA_OP_SRR, PT_R3, PT_R4, 0, 0));
	uint32_t r[2];
	numbers_after(out, "selfmod: 2.", "R = ", r, 2);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], BOUND_ALL);
	assert_int_equal(number_after(out, "selfmod: 3.", "; word "),
	                 pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	assert_true(number_after(out, "selfmod: 3.", "status = ") & PSW_S);
	uint32_t status = number_after(out, "selfmod: 4.", "status = ");
	assert_int_equal(status & (PSW_S | PSW_IE | PSW_Z), PSW_S | PSW_IE | PSW_Z);
	const char *line = line_starting(out, "selfmod: 5.");
	assert_non_null(line);
	uint32_t want[] = { pt_enc(ISA_OP_WRFL, PT_R4, 0, 0, 0), pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0),
		            pt_enc(ISA_OP_WRFL, PT_R5, 0, 0, 0), pt_enc(ISA_OP_JR, PT_LR, 0, 0, 0) };
	const char *p = strchr(line, ':') + 1;
	p = strchr(p, ':') + 1; /* after "selfmod: 5. gen_code reads back:" */
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *end;
		uint32_t w = (uint32_t)strtoul(p, &end, 0);
		assert_true(end != p);
		if (w != want[i])
			fail_msg("gen_code word %zu: 0x%08x, expected 0x%08x", i, w, want[i]);
		p = end;
	}
	free(out);
}

/* c := rotl(c, CHECKSUM_ROTATE) xor word over [from, to), and the byte sum. */
static void checksum_of(const struct image *img, const char *from, const char *to,
                        uint32_t *words, size_t *n, uint32_t *sum, uint32_t *bytes)
{
	uint32_t a, b;
	assert_true(img_symbol_value(img, from, &a));
	assert_true(img_symbol_value(img, to, &b));
	assert_true(img->nsegs >= 1 && a >= img->segs[0].addr &&
	            b <= img->segs[0].addr + img->segs[0].size && a <= b);
	const uint8_t *d = img->segs[0].data + (a - img->segs[0].addr);
	*n = (b - a) / ISA_WORD_BYTES;
	*sum = *bytes = 0;
	for (size_t i = 0; i < *n; i++) {
		words[i] = pg32_load32(d + i * ISA_WORD_BYTES);
		*sum = ((*sum << CHECKSUM_ROTATE) | (*sum >> (WORD_BITS - CHECKSUM_ROTATE))) ^ words[i];
	}
	for (uint32_t i = 0; i < b - a; i++)
		*bytes += d[i];
}

/* codedata on the bare machine prints the words of its code and of its data
 * table, and their checksums, exactly as they are in the image (computed
 * here from the image's bytes and symbols); the table words are critical
 * instructions, and sys_status's first word too. */
static void test_codedata_checksums_are_true(void **state)
{
	(void)state;
	static const struct {
		const char *line, *from, *to;
	} parts[] = {
		{ "codedata: 2.", "sys_status", "sys_status_end" },
		{ "codedata: 3.", "table", "table_end" },
	};
	struct image img;
	char *out = NULL;
	uint32_t code;
	assemble("codedata", &img);
	run_bare(&img, img.variant, &out, &code);
	assert_int_equal(code, 0);
	unsigned critical = 0;
	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
		uint32_t want[64], got[64], sum, bytes;
		size_t n, ngot;
		checksum_of(&img, parts[k].from, parts[k].to, want, &n, &sum, &bytes);
		ngot = words_after_line(out, parts[k].line, got, 64);
		assert_int_equal(ngot, n);
		for (size_t i = 0; i < n; i++) {
			if (got[i] != want[i])
				fail_msg("%s word %zu: printed 0x%08x, image 0x%08x", parts[k].from, i,
				         got[i], want[i]);
			critical += (img.variant & ISA_VARIANT_BIT(ISA_WORD_OPCODE(want[i]))) != 0;
		}
		/* the checksum line follows the words */
		const char *words = strchr(line_starting(out, parts[k].line), '\n') + 1;
		const char *sums = strchr(words, '\n') + 1;
		assert_int_equal(number_after(sums, "  checksum", "checksum "), sum);
		assert_int_equal(number_after(sums, "  checksum", "byte sum "), bytes);
	}
	assert_true(critical >= NMETHODS + 1); /* four in the table, rdpsw in the code */
	img_free(&img);
	free(out);
}

/* indirect's user-mode block runs rdpsw, which only the ill machine lets
 * run in user mode: on the bare machine with the image's variant it reads
 * the status (S = 0); forced to well it traps (an unexpected trap, code
 * 0xff).  So the variant the guests carry matters on the bare machine. */
static void test_indirect_needs_the_ill_variant(void **state)
{
	(void)state;
	struct image img;
	char *out = NULL;
	uint32_t code;
	assemble("indirect", &img);
	run_bare(&img, img.variant, &out, &code);
	assert_int_equal(code, 0);
	assert_int_equal(number_after(out, "indirect: 4.", "user rdpsw read ") & PSW_S, 0);
	assert_int_equal(number_after(out, "indirect: 4.", "(S = "), 0);
	free(out);
	out = NULL;
	run_bare(&img, ISA_VARIANT_WELL, &out, &code);
	assert_int_equal(code, EXIT_UNEXPECTED);
	assert_non_null(strstr(out, "caught priv"));
	free(out);
	img_free(&img);
}

/* The minikernel built for ill prints exactly what the well one prints
 * (guests/minikernel.expected) on the bare ill machine, and powers off
 * with 0; the two images differ only in the variant they carry. */
static void test_minikernel_ill_output_equals_well(void **state)
{
	(void)state;
	struct image ill, well;
	char *out = NULL, msg[MSG_LEN];
	uint32_t code;
	assemble("minikernel_ill", &ill);
	assemble("minikernel", &well);
	assert_int_equal(well.variant, ISA_VARIANT_WELL);
	assert_int_equal(ill.variant, isa_variant_all_ill());
	assert_int_equal(ill.nsegs, well.nsegs);
	for (uint32_t i = 0; i < ill.nsegs; i++) {
		assert_int_equal(ill.segs[i].addr, well.segs[i].addr);
		assert_int_equal(ill.segs[i].size, well.segs[i].size);
		assert_memory_equal(ill.segs[i].data, well.segs[i].data, ill.segs[i].size);
	}
	run_bare(&ill, ill.variant, &out, &code);
	assert_int_equal(code, 0);
	uint8_t *want = NULL;
	size_t want_len = 0;
	if (pg32_read_file(GUEST_DIR "/minikernel.expected", PT_OUT_MAX, &want, &want_len, msg,
	                   sizeof msg) != 0)
		fail_msg("%s", msg);
	assert_int_equal(strlen(out), want_len);
	assert_memory_equal(out, want, want_len);
	free(want);
	free(out);
	img_free(&ill);
	img_free(&well);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg32_inc_words_match_table),
		cmocka_unit_test(test_ill_guests_are_built_for_ill),
		cmocka_unit_test(test_detect_bare_says_bare_machine),
		cmocka_unit_test(test_detect_plain_monitor_says_virtualized),
		cmocka_unit_test(test_detect_check_plain_diverges),
		cmocka_unit_test(test_plain_monitor_on_the_other_guests),
		cmocka_unit_test(test_selfmod_writes_intended_words),
		cmocka_unit_test(test_codedata_checksums_are_true),
		cmocka_unit_test(test_indirect_needs_the_ill_variant),
		cmocka_unit_test(test_minikernel_ill_output_equals_well),
	};
	return cmocka_run_group_tests_name("ill_guests", tests, setup, teardown);
}
