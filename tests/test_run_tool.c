/*
 * test_run_tool.c -- the tzrun command line: the guest's console and exit
 * status, console input from a string, a file and standard input, the
 * instruction limit, --trace, --isa, --mem and --disk, and exit status 2
 * with a message for every bad argument.
 *
 * Runs $TRAPEZE_BUILD/bin/tzrun (default build/) on the shipped guests in
 * $TRAPEZE_BUILD/guests.
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

#include "pg32_test.h"

#define PATH PT_PATH
#define TRACE_LIMIT 3 /* instructions traced in test_run_trace */

static int setup(void **state)
{
	struct pt_tool *t = calloc(1, sizeof *t);
	*state = t;
	return t ? pt_tool_open(t, "test_run_tool") : -1;
}

static int teardown(void **state)
{
	struct pt_tool *t = *state;
	int rc = pt_tool_close(t);
	free(t);
	return rc;
}

/* Run "tzrun ARGS", ARGS made from fmt with guest and extra (through the
 * shell, so ARGS may redirect standard input). */
static void tzrun(struct pt_tool *t, const char *fmt, const char *guest, const char *extra)
{
	char args[PT_PATH * 4];
	snprintf(args, sizeof args, fmt, guest, extra);
	pt_tool_run(t, "'%s/bin/tzrun' %s", t->build, args);
}

static void guest(const struct pt_tool *t, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/guests/%s.img", t->build, name);
}

/* A file in the test's directory holding text. */
static void write_file(const struct pt_tool *t, const char *name, const char *text, char *path,
                       size_t len)
{
	snprintf(path, len, "%s/%s", t->dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* --help: the usage on standard output, exit 0. */
static void test_run_help(void **state)
{
	struct pt_tool *t = *state;
	tzrun(t, "--help", "", "");
	assert_int_equal(t->status, 0);
	assert_non_null(strstr(t->out, "usage: tzrun IMAGE"));
}

/* The guest's console on standard output, its power-off code as status. */
static void test_run_console_and_status(void **state)
{
	struct pt_tool *t = *state;
	char g[PATH];
	guest(t, "hello", g, sizeof g);
	tzrun(t, "'%s'", g, "");
	assert_int_equal(t->status, 0);
	assert_string_equal(t->out, "Hello from PG32!\n");
	assert_string_equal(t->err, "");
}

/* Console input: --input-string, --input FILE, and standard input by
 * default; the same text gives the same output each way. */
static void test_run_input_three_ways(void **state)
{
	struct pt_tool *t = *state;
	char g[PATH], file[PATH];
	guest(t, "echo", g, sizeof g);
	write_file(t, "input", "one\ntwo\n", file, sizeof file);
	tzrun(t, "'%s' --input-string 'one\ntwo\n'", g, "");
	assert_int_equal(t->status, 0);
	assert_non_null(strstr(t->out, "echo: one\necho: two\n"));
	char *first = strdup(t->out);
	tzrun(t, "'%s' --input '%s'", g, file);
	assert_string_equal(t->out, first);
	tzrun(t, "'%s' < '%s'", g, file);
	assert_string_equal(t->out, first);
	free(first);
}

/* --max-instructions stops the machine: exit 4 and a message with the count. */
static void test_run_instruction_limit(void **state)
{
	struct pt_tool *t = *state;
	char g[PATH];
	guest(t, "minikernel", g, sizeof g);
	tzrun(t, "'%s' --max-instructions %s", g, "1K");
	assert_int_equal(t->status, PG32_EXIT_LIMIT);
	assert_non_null(strstr(t->err, "after 1000 instructions"));
}

/* --trace: one line per instruction on standard error, with clock, mode,
 * pc and disassembly, and symbols from the image. */
static void test_run_trace(void **state)
{
	struct pt_tool *t = *state;
	char g[PATH], limit[16];
	guest(t, "hello", g, sizeof g);
	snprintf(limit, sizeof limit, "%d", TRACE_LIMIT);
	tzrun(t, "'%s' --trace --max-instructions %s", g, limit);
	assert_int_equal(t->status, PG32_EXIT_LIMIT);
	char first[64];
	snprintf(first, sizeof first, "0 S 0x%08x:", PG32_LOAD_ADDR);
	assert_non_null(strstr(t->err, first));
	assert_non_null(strstr(t->err, "_start"));
	unsigned lines = 0;
	for (const char *p = t->err; (p = strstr(p, " S 0x")) != NULL; p++)
		lines++;
	assert_int_equal(lines, TRACE_LIMIT);
}

/* Every bad argument: exit 2 and a message on standard error. */
static void test_run_bad_arguments(void **state)
{
	struct pt_tool *t = *state;
	char g[PATH], junk[PATH];
	guest(t, "hello", g, sizeof g);
	write_file(t, "junk.img", "not an image", junk, sizeof junk);
	static const char *const bad[] = {
		"'%s' --isa weird", "'%s' --mem lots", "'%s' --mem 64", "'%s' --max-instructions 0",
		"'%s' --disk /nonexistent/disk", "'%s' --input /nonexistent/input",
		"'%s' --input-string a --input b", "'%s' --frobnicate", "'%s' '%s'", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tzrun(t, bad[i], g, g);
		if (t->status != PG32_EXIT_USAGE || t->err[0] == '\0')
			fail_msg("tzrun %s: exit %d, stderr '%s'", bad[i], t->status, t->err);
	}
	tzrun(t, "'%s'", junk, "");
	assert_int_equal(t->status, PG32_EXIT_USAGE);
	assert_non_null(strstr(t->err, "junk.img"));
}

/* --isa overrides the image's variant: the ill variant runs a shipped
 * well guest the same (it uses no critical instruction in user mode). */
static void test_run_isa_override(void **state)
{
	struct pt_tool *t = *state;
	char g[PATH];
	guest(t, "hello", g, sizeof g);
	tzrun(t, "'%s' --isa ill", g, "");
	assert_int_equal(t->status, 0);
	assert_string_equal(t->out, "Hello from PG32!\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_help),
		cmocka_unit_test(test_run_console_and_status),
		cmocka_unit_test(test_run_input_three_ways),
		cmocka_unit_test(test_run_instruction_limit),
		cmocka_unit_test(test_run_trace),
		cmocka_unit_test(test_run_bad_arguments),
		cmocka_unit_test(test_run_isa_override),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
