/*
 * test_asm_golden.c -- golden tests of the assembler's diagnostics.
 *
 * Every tests/asm/errors/NAME.s is assembled in process (paths relative to
 * the repository root, where the tests run) with the diagnostics going to
 * a memory stream; they must equal tests/asm/errors/NAME.stderr byte for
 * byte.  Each NAME.s is one cmocka test.  Files under
 * tests/asm/errors/include/ are only reached by .include.
 *
 * To accept new output after a deliberate change, run the program with
 * TZ_GOLDEN_UPDATE=1: it rewrites the .stderr files; review them with git diff.
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

#include "asm.h"
#include "pg32.h"

#define GOLDEN_DIR "tests/asm/errors"
#define SOURCE_SUFFIX ".s"
#define EXPECT_SUFFIX ".stderr"
#define PATH_MAX_LEN 512
#define MAX_CASES 256
#define READ_LIMIT (1u << 20)

static bool update_mode;

static char *read_text(const char *path, size_t *len)
{
	uint8_t *bytes;
	char msg[PATH_MAX_LEN];

	if (pg32_read_file(path, READ_LIMIT, &bytes, len, msg, sizeof msg) != 0)
		return NULL;
	char *text = realloc(bytes, *len + 1);
	if (text == NULL) {
		free(bytes);
		return NULL;
	}
	text[*len] = '\0';
	return text;
}

/* The first line where two texts differ, for the failure message. */
static void show_difference(const char *want, const char *got)
{
	int line = 1;
	const char *w = want, *g = got;

	while (*w && *w == *g) {
		if (*w == '\n')
			line++;
		w++, g++;
	}
	print_error("first difference at line %d of the expected output\n--- expected ---\n%s"
	            "--- got ---\n%s",
	            line, want, got);
}

/* Assemble one golden source and compare its diagnostics. */
static void test_golden(void **state)
{
	const char *name = *state;
	char src[PATH_MAX_LEN], expect[PATH_MAX_LEN];
	char *got = NULL, *want;
	size_t got_len = 0, want_len = 0;
	struct image img;
	FILE *diag = open_memstream(&got, &got_len);

	assert_non_null(diag);
	snprintf(src, sizeof src, "%s/%s%s", GOLDEN_DIR, name, SOURCE_SUFFIX);
	snprintf(expect, sizeof expect, "%s/%s%s", GOLDEN_DIR, name, EXPECT_SUFFIX);
	int errors = asm_assemble_file(src, NULL, &img, diag);
	fclose(diag);
	img_free(&img);
	/* Every golden case says something. */
	assert_true(got_len > 0);
	if (strstr(name, "warning") == NULL)
		assert_true(errors > 0);

	if (update_mode) {
		FILE *f = fopen(expect, "w");
		assert_non_null(f);
		fwrite(got, 1, got_len, f);
		fclose(f);
		free(got);
		return;
	}
	want = read_text(expect, &want_len);
	if (want == NULL) {
		free(got);
		fail_msg("cannot read %s (run with TZ_GOLDEN_UPDATE=1 to create it)", expect);
	}
	if (want_len != got_len || memcmp(want, got, got_len) != 0) {
		show_difference(want, got);
		free(want);
		free(got);
		fail_msg("diagnostics of %s differ from %s", src, expect);
	}
	free(want);
	free(got);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static char *names[MAX_CASES];
	static struct CMUnitTest tests[MAX_CASES];
	size_t n = 0, sl = strlen(SOURCE_SUFFIX);
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *e;
	int failed;

	update_mode = getenv("TZ_GOLDEN_UPDATE") != NULL;
	if (d == NULL) {
		fprintf(stderr, "test_asm_golden: cannot open %s (run from the repository root)\n",
		        GOLDEN_DIR);
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < MAX_CASES) {
		size_t len = strlen(e->d_name);
		if (len <= sl || strcmp(e->d_name + len - sl, SOURCE_SUFFIX) != 0)
			continue;
		names[n] = strndup(e->d_name, len - sl);
		if (names[n] == NULL)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], by_name);
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ .name = names[i], .test_func = test_golden,
		                                .initial_state = names[i] };
	failed = _cmocka_run_group_tests("asm_golden", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return failed;
}
