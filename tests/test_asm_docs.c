/*
 * test_asm_docs.c -- the examples of the assembler manual assemble.
 *
 * Every fenced block marked ```pg32 in docs/asm.md is extracted and
 * assembled on its own with asm_assemble_string; any error fails the test
 * and prints the diagnostics with the block's line in the manual.  Blocks
 * marked otherwise (text, plain indented output) are not code.  Run from
 * the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "pg32.h"

#define MANUAL "docs/asm.md"
#define FENCE_OPEN "```pg32"
#define FENCE_CLOSE "```"
#define NAME_LEN 64
#define MSG_LEN 256
#define MANUAL_MAX (1u << 20)
#define MIN_EXAMPLES 10 /* the manual has at least this many */

/* Assemble every pg32 block of the manual; none may have an error. */
static void test_manual_examples(void **state)
{
	uint8_t *bytes;
	size_t len, blocks = 0, failures = 0;
	char msg[MSG_LEN];

	(void)state;
	if (pg32_read_file(MANUAL, MANUAL_MAX, &bytes, &len, msg, sizeof msg) != 0)
		fail_msg("%s (run from the repository root)", msg);
	char *text = realloc(bytes, len + 1);
	assert_non_null(text);
	text[len] = '\0';

	char *line = text, *block = NULL;
	int lineno = 1, block_line = 0;
	while (line != NULL && *line != '\0') {
		char *next = strchr(line, '\n');
		size_t n = next ? (size_t)(next - line) : strlen(line);

		if (block == NULL && n == strlen(FENCE_OPEN) && strncmp(line, FENCE_OPEN, n) == 0) {
			block = next ? next + 1 : line + n;
			block_line = lineno + 1;
		} else if (block != NULL && n == strlen(FENCE_CLOSE) &&
		           strncmp(line, FENCE_CLOSE, n) == 0) {
			char name[NAME_LEN], *diag = NULL;
			size_t dlen = 0;
			FILE *f = open_memstream(&diag, &dlen);
			struct image img;
			char saved = *line;

			*line = '\0'; /* the block ends before the closing fence */
			snprintf(name, sizeof name, "%s:%d", MANUAL, block_line);
			assert_non_null(f);
			int errors = asm_assemble_string(name, block, NULL, &img, f);
			fclose(f);
			*line = saved;
			if (errors != 0) {
				print_error("the example at %s does not assemble:\n%s", name, diag);
				failures++;
			}
			img_free(&img);
			free(diag);
			blocks++;
			block = NULL;
		}
		line = next ? next + 1 : NULL;
		lineno++;
	}
	free(text);
	assert_null(block); /* every block is closed */
	assert_true(blocks >= MIN_EXAMPLES);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manual_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
