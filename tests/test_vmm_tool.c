/*
 * test_vmm_tool.c -- the tzvmm command line: exit statuses (a guest's
 * power-off code, PG32_EXIT_*, 2 for any bad input), its messages, the
 * console with one guest and with several, --check, --stats-json.
 *
 * Runs $TRAPEZE_BUILD/bin/tzvmm (default build/) on images written to a
 * temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg32_test.h"
#include "vmm.h"

#define PATH PT_PATH
#define CMD 2048
#define EXIT_CODE 7
#define LOOP_COUNT 1000
#define NAME_ROOM 64 /* a file name after a directory path */

struct tool {
	struct pt_tool run; /* the scratch directory and the last run */
	char tzvmm[PATH];
	char hello[PATH];  /* prints "hi\n", powers off with EXIT_CODE */
	char zero[PATH];   /* prints "ok\n", powers off with 0 */
	char halts[PATH];  /* halts with interrupts off */
	char loops[PATH];  /* loops forever */
	char broken[PATH]; /* not an image */
};

/* Write an image of the words at PG32_LOAD_ADDR to path. */
static void write_image(const char *path, struct pt_prog *p)
{
	struct img_segment seg = { .addr = PG32_LOAD_ADDR, .size = p->pc - PG32_LOAD_ADDR,
	                           .mem_size = p->pc - PG32_LOAD_ADDR,
	                           .data = p->mem + PG32_LOAD_ADDR };
	struct image img = { .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                     .segs = &seg };
	char msg[PATH];
	if (img_write_file(&img, path, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
}

static void emit_print(struct pt_prog *p, const char *s)
{
	for (; *s; s++) {
		pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, *s);
		pt_op(p, ISA_OP_OUT, PT_R1, 0, 0, PORT_CONSOLE_OUT);
	}
}

static int setup(void **state)
{
	struct tool *t = calloc(1, sizeof *t);
	assert_non_null(t);
	assert_int_equal(pt_tool_open(&t->run, "test_vmm_tool"), 0);
	snprintf(t->tzvmm, sizeof t->tzvmm, "%s/bin/tzvmm", t->run.build);
	snprintf(t->hello, sizeof t->hello, "%s/hello.img", t->run.dir);
	snprintf(t->zero, sizeof t->zero, "%s/zero.img", t->run.dir);
	snprintf(t->halts, sizeof t->halts, "%s/halts.img", t->run.dir);
	snprintf(t->loops, sizeof t->loops, "%s/loops.img", t->run.dir);
	snprintf(t->broken, sizeof t->broken, "%s/broken.img", t->run.dir);

	struct pt_prog p;
	pt_prog_init(&p, PT_MEM_SIZE);
	emit_print(&p, "hi\n");
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, EXIT_CODE);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_POWER_OFF);
	write_image(t->hello, &p);
	pt_prog_free(&p);

	pt_prog_init(&p, PT_MEM_SIZE);
	pt_op(&p, ISA_OP_MOVI, PT_R2, 0, 0, 0);
	uint32_t top = pt_op(&p, ISA_OP_ADDI, PT_R2, PT_R2, 0, 1);
	pt_op(&p, ISA_OP_CMPI, PT_R2, 0, 0, LOOP_COUNT);
	pt_jump(&p, ISA_OP_BLT, top);
	emit_print(&p, "ok\n");
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_POWER_OFF);
	write_image(t->zero, &p);
	pt_prog_free(&p);

	pt_prog_init(&p, PT_MEM_SIZE);
	pt_op(&p, ISA_OP_HALT, 0, 0, 0, 0);
	write_image(t->halts, &p);
	pt_prog_free(&p);

	pt_prog_init(&p, PT_MEM_SIZE);
	pt_jump(&p, ISA_OP_B, PG32_LOAD_ADDR);
	write_image(t->loops, &p);
	pt_prog_free(&p);

	FILE *f = fopen(t->broken, "w");
	assert_non_null(f);
	fputs("this is not an image\n", f);
	fclose(f);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tool *t = *state;
	int rc = pt_tool_close(&t->run);
	free(t);
	return rc;
}

/* Run tzvmm with args: t->run.status, .out, .err. */
static void tzvmm(struct tool *t, const char *args)
{
	pt_tool_run(&t->run, "'%s' %s", t->tzvmm, args);
}

/* --help prints the usage and exits 0. */
static void test_tool_help(void **state)
{
	struct tool *t = *state;
	tzvmm(t, "--help");
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "usage: tzvmm IMAGE..."));
	assert_non_null(strstr(t->run.out, "--check"));
}

/* Bad flags, bad values, no image, a broken image, two --check images:
 * one line on standard error and exit status 2. */
static void test_tool_bad_input_exits_2(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	static const char *const bad[] = {
		"--frobnicate", "--mem lots", "--quantum 0", "--max-instructions -3", "",
		"--host-mem 0", "--isa weird",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(args, sizeof args, "%s '%s'", bad[i], i == 4 ? "" : t->hello);
		if (i == 4)
			args[0] = '\0';
		tzvmm(t, args);
		if (t->run.status != PG32_EXIT_USAGE)
			fail_msg("tzvmm %s: exit %d", args, t->run.status);
		assert_non_null(strstr(t->run.err, "tzvmm"));
	}
	snprintf(args, sizeof args, "'%s'", t->broken);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_USAGE);
	assert_non_null(strstr(t->run.err, "broken.img"));
	snprintf(args, sizeof args, "--check '%s' '%s'", t->hello, t->hello);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_USAGE);
	snprintf(args, sizeof args, "'%s/missing.img'", t->run.dir);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_USAGE);
}

/* More guests than host memory: a message naming the guest, exit 2. */
static void test_tool_guests_do_not_fit(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	snprintf(args, sizeof args, "--host-mem 1M --mem 512K '%s' '%s' '%s'", t->hello, t->hello,
	         t->hello);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_USAGE);
	assert_non_null(strstr(t->run.err, "guest 3 (hello#3)"));
	assert_null(strchr(strchr(t->run.err, '\n') + 1, '\n')); /* one line */
}

/* One guest: its console as is, its power-off code as the exit status. */
static void test_tool_one_guest(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	snprintf(args, sizeof args, "'%s'", t->hello);
	tzvmm(t, args);
	assert_int_equal(t->run.status, EXIT_CODE);
	assert_string_equal(t->run.out, "hi\n");
	assert_string_equal(t->run.err, "");
}

/* Several guests: prefixed lines, and the first non-zero exit status. */
static void test_tool_several_guests(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	snprintf(args, sizeof args, "--quantum 1 '%s' '%s' '%s'", t->zero, t->hello, t->zero);
	tzvmm(t, args);
	assert_int_equal(t->run.status, EXIT_CODE);
	assert_non_null(strstr(t->run.out, "[hello] hi\n"));
	assert_non_null(strstr(t->run.out, "[zero#1] ok\n"));
	assert_non_null(strstr(t->run.out, "[zero#2] ok\n"));
	snprintf(args, sizeof args, "'%s' '%s'", t->zero, t->zero);
	tzvmm(t, args);
	assert_int_equal(t->run.status, 0);
}

/* Halted and limited guests exit like tzrun, with a message. */
static void test_tool_other_endings(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	snprintf(args, sizeof args, "'%s'", t->halts);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_HALTED);
	assert_non_null(strstr(t->run.err, "halted"));
	snprintf(args, sizeof args, "--max-instructions 5K '%s'", t->loops);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_LIMIT);
	assert_non_null(strstr(t->run.err, "after 5000 instructions"));
}

/* --check prints "equivalent" and exits 0. */
static void test_tool_check(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	snprintf(args, sizeof args, "--check '%s'", t->zero);
	tzvmm(t, args);
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "equivalent"));
	snprintf(args, sizeof args, "--check --max-instructions 3000 '%s'", t->loops);
	tzvmm(t, args);
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "equivalent (3000 instructions, ended: limit)"));
}

/* --stats prints the table on standard error, --stats-json - the JSON on
 * standard output. */
static void test_tool_stats(void **state)
{
	struct tool *t = *state;
	char args[CMD];
	snprintf(args, sizeof args, "--stats --stats-json - '%s' '%s'", t->zero, t->hello);
	tzvmm(t, args);
	assert_int_equal(t->run.status, EXIT_CODE);
	assert_non_null(strstr(t->run.err, "efficiency"));
	assert_non_null(strstr(t->run.err, "traps by cause"));
	assert_non_null(strstr(t->run.out, "\"guests\": ["));
	assert_non_null(strstr(t->run.out, "\"name\": \"hello\""));
	assert_non_null(strstr(t->run.out, "\"exit_code\": 7"));
}

/* --console-dir: each guest's console in DIR/NAME.out, unprefixed, and
 * nothing on standard output; a directory that is not there is exit 2. */
static void test_tool_console_dir(void **state)
{
	struct tool *t = *state;
	char args[CMD + 4 * PATH], path[PATH + 32];
	snprintf(path, sizeof path, "%s/consoles", t->run.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(args, sizeof args, "--console-dir '%s' '%s' '%s' '%s'", path, t->zero, t->hello,
	         t->zero);
	tzvmm(t, args);
	assert_int_equal(t->run.status, EXIT_CODE);
	assert_string_equal(t->run.out, "");
	static const char *const files[][2] = {
		{ "hello.out", "hi\n" }, { "zero#1.out", "ok\n" }, { "zero#2.out", "ok\n" },
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char file[sizeof path + NAME_ROOM];
		snprintf(file, sizeof file, "%s/%s", path, files[i][0]);
		char *text = pt_slurp(file);
		assert_string_equal(text, files[i][1]);
		free(text);
	}
	snprintf(args, sizeof args, "--console-dir '%s/absent' '%s'", t->run.dir, t->zero);
	tzvmm(t, args);
	assert_int_equal(t->run.status, PG32_EXIT_USAGE);
	assert_non_null(strstr(t->run.err, "absent/zero.out"));
}

/* --input - reads the console input from standard input, for every guest. */
static void test_tool_input_from_stdin(void **state)
{
	struct tool *t = *state;
	char args[CMD], input[PATH + 16];
	snprintf(input, sizeof input, "%s/input", t->run.dir);
	FILE *f = fopen(input, "w");
	assert_non_null(f);
	fputs("over the pipe\n", f);
	fclose(f);
	snprintf(args, sizeof args, "--input - '%s/guests/echo.img' < '%s'", t->run.build,
	         input);
	tzvmm(t, args);
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "echo: over the pipe\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tool_help),
		cmocka_unit_test(test_tool_bad_input_exits_2),
		cmocka_unit_test(test_tool_guests_do_not_fit),
		cmocka_unit_test(test_tool_one_guest),
		cmocka_unit_test(test_tool_several_guests),
		cmocka_unit_test(test_tool_other_endings),
		cmocka_unit_test(test_tool_check),
		cmocka_unit_test(test_tool_stats),
		cmocka_unit_test(test_tool_console_dir),
		cmocka_unit_test(test_tool_input_from_stdin),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
