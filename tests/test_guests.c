/*
 * test_guests.c -- golden tests of the guest programs: every guests/NAME.s
 * is one cmocka test, found when the program starts (a new guest needs no
 * edit here).  Each guest is assembled in process with asm_assemble_file,
 * run on the bare machine of the variant its image records (.isa ill
 * guests on the ill machine) with its console going to an open_memstream
 * buffer, and its output compared byte for byte with guests/NAME.expected;
 * a difference fails with a diff-like message naming the first line that
 * differs.  The run must end in a power-off with the expected code.
 *
 * A guest says what it needs in comment lines of its source (see
 * guests/pg32.inc):
 *
 *   ; test-input: TEXT   console input, with C escapes (\n \t \\ \" \xNN)
 *   ; test-disk: N       a disk of N sectors; sector k holds the text
 *                        "disk sector k\n" followed by zero bytes
 *   ; test-exit: N       the power-off code (default 0)
 *
 * The disk is a temporary file (mkstemp in /tmp), removed after the test.
 * Run from the top of the tree (make test does): the paths are relative.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asm.h"
#include "pg32.h"

#define GUEST_DIR "guests"
#define SOURCE_EXT ".s"
#define EXPECTED_EXT ".expected"
#define GUEST_MEM PG32_MEM_DEFAULT       /* what tzrun gives a guest */
#define GUEST_MAX_INSTRUCTIONS 20000000u /* far above any guest's run */
#define TEXT_MAX (1u << 20)
#define NAME_LEN 256
#define PATH_LEN (NAME_LEN + 64)
#define MSG_LEN 256
#define LINE_LEN 512
#define DIFF_CONTEXT 3                   /* lines shown after the first difference */
#define DISK_TEMPLATE "/tmp/test_guests_disk_XXXXXX"
#define DIRECTIVE_INPUT "; test-input:"
#define DIRECTIVE_DISK "; test-disk:"
#define DIRECTIVE_EXIT "; test-exit:"
#define HEX_BASE 16

/* One guest: its name and what its source asks for. */
struct guest {
	char name[NAME_LEN];
	char source[PATH_LEN];
	char expected[PATH_LEN];
};

struct needs {
	char *input;      /* NULL: no input */
	size_t input_len;
	unsigned sectors; /* 0: no disk */
	bool disk;
	unsigned exit_code;
};

/* ---- reading the directives ---------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the C escapes of s (up to the end of the line) into a new buffer. */
static char *unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;
	assert_non_null(out);
	for (; *s && *s != '\n'; s++) {
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case '0': out[n++] = '\0'; break;
		case '\\': out[n++] = '\\'; break;
		case '"': out[n++] = '"'; break;
		case 'x': {
			int v = 0, d;
			for (int k = 0; k < 2 && (d = hex_value(s[1])) >= 0; k++, s++)
				v = v * HEX_BASE + d;
			out[n++] = (char)v;
			break;
		}
		default: fail_msg("bad escape '\\%c' in %s", *s, DIRECTIVE_INPUT);
		}
	}
	*len = n;
	return out;
}

static const char *after(const char *line, const char *directive)
{
	size_t n = strlen(directive);
	if (strncmp(line, directive, n) != 0)
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static void read_needs(const char *source, struct needs *nd)
{
	FILE *f = fopen(source, "r");
	char line[LINE_LEN];
	const char *arg;
	memset(nd, 0, sizeof *nd);
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		if ((arg = after(line, DIRECTIVE_INPUT)) != NULL) {
			free(nd->input);
			nd->input = unescape(arg, &nd->input_len);
		} else if ((arg = after(line, DIRECTIVE_DISK)) != NULL) {
			nd->sectors = (unsigned)strtoul(arg, NULL, 0);
			nd->disk = true;
		} else if ((arg = after(line, DIRECTIVE_EXIT)) != NULL) {
			nd->exit_code = (unsigned)strtoul(arg, NULL, 0);
		}
	}
	fclose(f);
}

/* The generated disk: sector k starts with "disk sector k\n". */
static void make_disk(char *path, unsigned sectors)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint8_t sector[DISK_SECTOR_BYTES];
	for (unsigned k = 0; k < sectors; k++) {
		memset(sector, 0, sizeof sector);
		snprintf((char *)sector, sizeof sector, "disk sector %u\n", k);
		assert_int_equal(write(fd, sector, sizeof sector), (ssize_t)sizeof sector);
	}
	close(fd);
}

/* ---- comparing ------------------------------------------------------------- */

/* Line number (from 1) and start of the first line where a and b differ. */
static size_t first_difference(const char *a, size_t alen, const char *b, size_t blen,
                               size_t *line, size_t *a_start, size_t *b_start)
{
	size_t i = 0, start = 0;
	*line = 1;
	while (i < alen && i < blen && a[i] == b[i]) {
		if (a[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
		i++;
	}
	*a_start = *b_start = start;
	return i;
}

/* Print up to DIFF_CONTEXT + 1 lines of text from start, each prefixed. */
static void print_lines(const char *prefix, const char *text, size_t len, size_t start)
{
	size_t i = start;
	for (int n = 0; n <= DIFF_CONTEXT && i < len; n++) {
		size_t end = i;
		while (end < len && text[end] != '\n')
			end++;
		print_error("%s%.*s%s\n", prefix, (int)(end - i), text + i,
		            end < len ? "" : "    (no newline at the end)");
		i = end + 1;
	}
}

static void compare_output(const struct guest *g, const char *want, size_t want_len,
                           const char *got, size_t got_len)
{
	if (want_len == got_len && memcmp(want, got, got_len) == 0)
		return;
	size_t line, ws, gs;
	first_difference(want, want_len, got, got_len, &line, &ws, &gs);
	print_error("--- %s\n+++ output of %s\n@@ first difference at line %zu @@\n", g->expected,
	            g->source, line);
	if (ws >= want_len)
		print_error("-(end of expected output)\n");
	else
		print_lines("-", want, want_len, ws);
	if (gs >= got_len)
		print_error("+(end of output)\n");
	else
		print_lines("+", got, got_len, gs);
	fail_msg("%s: the output differs from %s", g->name, g->expected);
}

/* ---- the test -------------------------------------------------------------- */

/* Assemble one guest, run it on the bare machine with what it asks for,
 * and compare its console output and exit code with the expected ones. */
static void test_guest(void **state)
{
	const struct guest *g = *state;
	struct needs nd;
	read_needs(g->source, &nd);

	uint8_t *want = NULL;
	size_t want_len = 0;
	char msg[MSG_LEN] = "";
	if (pg32_read_file(g->expected, TEXT_MAX, &want, &want_len, msg, sizeof msg) != 0)
		fail_msg("%s: no expected output: %s", g->name, msg);

	static const char *const dirs[] = { GUEST_DIR };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	char *diag = NULL;
	size_t diag_len = 0;
	FILE *diag_f = open_memstream(&diag, &diag_len);
	assert_non_null(diag_f);
	struct image img;
	int errors = asm_assemble_file(g->source, &opt, &img, diag_f);
	fclose(diag_f);
	if (errors != 0)
		fail_msg("%s does not assemble (%d errors):\n%s", g->source, errors, diag);
	free(diag);

	char *out = NULL;
	size_t out_len = 0;
	FILE *console = open_memstream(&out, &out_len);
	assert_non_null(console);
	struct bare_machine m;
	if (bare_init(&m, &img, GUEST_MEM, img.variant, console, msg, sizeof msg) != 0)
		fail_msg("%s: %s", g->name, msg);
	dev_set_input(&m.bus, (const uint8_t *)nd.input, nd.input_len);
	char disk[] = DISK_TEMPLATE;
	if (nd.disk) {
		make_disk(disk, nd.sectors);
		if (dev_attach_disk(&m.bus, disk, msg, sizeof msg) != 0)
			fail_msg("%s: %s", g->name, msg);
	}

	enum bare_end end = bare_run(&m, GUEST_MAX_INSTRUCTIONS);
	fflush(console);
	uint32_t code = m.bus.exit_code;
	uint32_t pc = m.cpu.pc;
	uint64_t clock = m.cpu.clock;
	bare_free(&m);
	if (nd.disk)
		unlink(disk);
	img_free(&img);

	compare_output(g, (const char *)want, want_len, out, out_len);
	if (end != BARE_POWEROFF)
		fail_msg("%s did not power off (end %d at pc=0x%08x after %llu instructions)", g->name,
		         end, pc, (unsigned long long)clock);
	if (code != nd.exit_code)
		fail_msg("%s powered off with code %u, expected %u", g->name, code, nd.exit_code);
	fclose(console);
	free(out);
	free(want);
	free(nd.input);
}

/* ---- finding the guests ---------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct guest *)a)->name, ((const struct guest *)b)->name);
}

/* Every GUEST_DIR/NAME.s, sorted by name.  Returns the count, or -1. */
static int find_guests(struct guest **out)
{
	DIR *d = opendir(GUEST_DIR);
	struct dirent *e;
	struct guest *gs = NULL;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), ext = strlen(SOURCE_EXT);
		if (len <= ext || strcmp(e->d_name + len - ext, SOURCE_EXT) != 0 ||
		    len >= NAME_LEN)
			continue;
		struct guest *more = realloc(gs, (size_t)(n + 1) * sizeof *gs);
		if (!more)
			break;
		gs = more;
		struct guest *g = &gs[n++];
		snprintf(g->name, sizeof g->name, "%.*s", (int)(len - ext), e->d_name);
		snprintf(g->source, sizeof g->source, "%s/%s%s", GUEST_DIR, g->name, SOURCE_EXT);
		snprintf(g->expected, sizeof g->expected, "%s/%s%s", GUEST_DIR, g->name,
		         EXPECTED_EXT);
	}
	closedir(d);
	if (n > 1)
		qsort(gs, (size_t)n, sizeof *gs, by_name);
	*out = gs;
	return n;
}

int main(void)
{
	struct guest *gs = NULL;
	int n = find_guests(&gs);
	if (n <= 0) {
		fprintf(stderr, "test_guests: no %s/*%s found (run from the top of the tree)\n",
		        GUEST_DIR, SOURCE_EXT);
		printf("[  FAILED  ] 1 test(s), listed below:\n");
		return 1;
	}
	struct CMUnitTest *tests = calloc((size_t)n, sizeof *tests);
	if (!tests)
		return 1;
	for (int i = 0; i < n; i++) {
		tests[i].name = gs[i].name;
		tests[i].test_func = test_guest;
		tests[i].initial_state = &gs[i];
	}
	int failed = _cmocka_run_group_tests("guests", tests, (size_t)n, NULL, NULL);
	free(tests);
	free(gs);
	return failed;
}
