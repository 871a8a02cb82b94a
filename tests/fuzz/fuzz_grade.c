/*
 * fuzz_grade.c -- fuzz target: the grader's result writers
 * (labs/grade_report.c: grade_report in every format, grade_csv).
 *
 * The input is read as a grade_result, field by field (missing bytes read
 * as zero, so every input is a result):
 *
 *   byte 0          the number of tests, modulo GRADE_MAX_TESTS + 1
 *   string          lab, submission, build message
 *   double          score, max score (8 bytes, any bits: NaN and infinity
 *                   too)
 *   per test:       string name, message, output; double points, max
 *                   points; one byte, bit 0: hidden
 *
 * A string is a length byte, then that many bytes (length 255: the length
 * is the next two bytes, little-endian), cut to its field's size; any
 * bytes at all -- quotes, backslashes, control characters, invalid UTF-8 --
 * and a NUL byte ends it early, as it would in the grader.
 *
 * Promises checked beyond "no crash, no leak, no UB":
 *   - gradescope and prairielearn: the whole output is one JSON value
 *     (strict, fuzz_json_ok);
 *   - autolab: the last line is one JSON value, Autolab's scoreboard;
 *   - junit: well-formed XML (fuzz_xml_ok);
 *   - text: the lab line, one line per test starting PASS or FAIL, lines
 *     marked "      | " (the build message, what the student's code
 *     printed, a message's further lines), the total; no control
 *     characters but newline (nothing the student's code printed can start
 *     a line of its own, pass for a test's line, or move the cursor);
 *   - every output ends with a newline.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

#define FUZZ_GRADE_LONG 255u   /* a length byte that says: two more bytes */
#define FUZZ_GRADE_HIDDEN 1u
#define FUZZ_GRADE_TEXT_LINES 2u /* the lab line, the total */
#define FUZZ_GRADE_OUTPUT_MARK "      | " /* report_text's output lines */
#define FUZZ_GRADE_FORMATS 5u

static const enum grade_format formats[FUZZ_GRADE_FORMATS] = {
	GRADE_FMT_TEXT, GRADE_FMT_GRADESCOPE, GRADE_FMT_PRAIRIELEARN, GRADE_FMT_AUTOLAB,
	GRADE_FMT_JUNIT,
};
static const char *const format_names[FUZZ_GRADE_FORMATS] = {
	"text", "gradescope", "prairielearn", "autolab", "junit",
};

struct reader {
	const uint8_t *p, *end;
};

static unsigned take_byte(struct reader *r)
{
	return r->p < r->end ? *r->p++ : 0;
}

static void take_string(struct reader *r, char *dst, size_t cap)
{
	size_t len = take_byte(r);
	if (len == FUZZ_GRADE_LONG)
		len = take_byte(r) | (take_byte(r) << 8);
	size_t have = (size_t)(r->end - r->p);
	if (len > have)
		len = have;
	size_t n = len < cap - 1 ? len : cap - 1;
	memcpy(dst, r->p, n);
	dst[n] = '\0';
	r->p += len;
}

static double take_double(struct reader *r)
{
	uint8_t b[sizeof(double)] = { 0 };
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)take_byte(r);
	double x;
	memcpy(&x, b, sizeof x);
	return x;
}

static void read_result(const uint8_t *data, size_t size, struct grade_result *res)
{
	struct reader r = { data, data + size };
	memset(res, 0, sizeof *res);
	res->ntests = take_byte(&r) % (GRADE_MAX_TESTS + 1);
	take_string(&r, res->lab, sizeof res->lab);
	take_string(&r, res->submission, sizeof res->submission);
	take_string(&r, res->build_message, sizeof res->build_message);
	res->score = take_double(&r);
	res->max_score = take_double(&r);
	for (unsigned i = 0; i < res->ntests; i++) {
		struct grade_test_result *t = &res->tests[i];
		take_string(&r, t->name, sizeof t->name);
		take_string(&r, t->message, sizeof t->message);
		take_string(&r, t->output, sizeof t->output);
		t->points = take_double(&r);
		t->max_points = take_double(&r);
		t->hidden = (take_byte(&r) & FUZZ_GRADE_HIDDEN) != 0;
	}
}

/* The text report: no control characters but newline, and each line is
 * the lab line, the build message's, a test's, an output line (marked), or
 * the total. */
static int check_text(const struct grade_result *res, const char *s, size_t len, const char *fmt)
{
	unsigned lines = 0, tests = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < ' ' && c != '\n')
			return fuzz_fail("grade", "%s: control character 0x%02x at byte %zu", fmt, c, i);
	}
	for (const char *p = s; p < s + len;) {
		const char *nl = memchr(p, '\n', (size_t)(s + len - p));
		const char *next = nl ? nl + 1 : s + len;
		if (!strncmp(p, "PASS ", strlen("PASS ")) || !strncmp(p, "FAIL ", strlen("FAIL ")))
			tests++;
		else if (strncmp(p, FUZZ_GRADE_OUTPUT_MARK, strlen(FUZZ_GRADE_OUTPUT_MARK)) != 0)
			lines++;
		p = next;
	}
	if (tests > res->ntests || lines > FUZZ_GRADE_TEXT_LINES)
		return fuzz_fail("grade", "%s: %u test lines for %u tests and %u other lines: a field "
		                 "starts a line of its own", fmt, tests, res->ntests, lines);
	return 0;
}

static int check_one(const struct grade_result *res, unsigned k, const char *s, size_t len)
{
	const char *fmt = format_names[k];
	if (len == 0 || s[len - 1] != '\n')
		return fuzz_fail("grade", "%s: the output does not end with a newline", fmt);
	if (strlen(s) != len)
		return fuzz_fail("grade", "%s: a NUL byte in the output", fmt);
	switch (formats[k]) {
	case GRADE_FMT_TEXT:
		return check_text(res, s, len, fmt);
	case GRADE_FMT_GRADESCOPE:
	case GRADE_FMT_PRAIRIELEARN:
		return fuzz_json_ok(s, len) ? 0 : fuzz_fail("grade", "%s: not valid JSON", fmt);
	case GRADE_FMT_AUTOLAB: {
		/* The text report, then the scoreboard as the last line. */
		const char *last = s + len - 1;
		while (last > s && last[-1] != '\n')
			last--;
		if (!fuzz_json_ok(last, (size_t)(s + len - last)))
			return fuzz_fail("grade", "%s: the last line is not valid JSON", fmt);
		return check_text(res, s, (size_t)(last - s), fmt);
	}
	case GRADE_FMT_JUNIT:
		return fuzz_xml_ok(s, len) ? 0 : fuzz_fail("grade", "%s: not well-formed XML", fmt);
	}
	return 0;
}

int fuzz_grade_one(const uint8_t *data, size_t size)
{
	static struct grade_result res; /* large: not on the stack */
	read_result(data, size, &res);
	int rc = 0;
	for (unsigned k = 0; !rc && k <= FUZZ_GRADE_FORMATS; k++) {
		char *s = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&s, &len);
		if (!f)
			return 0;
		if (k < FUZZ_GRADE_FORMATS)
			grade_report(&res, formats[k], f);
		else
			grade_csv(&res, 1, f); /* no promise beyond "no crash": a spreadsheet's */
		fclose(f);
		if (k < FUZZ_GRADE_FORMATS)
			rc = check_one(&res, k, s, len);
		if (rc)
			fprintf(stderr, "fuzz: grade: the output was:\n%.*s\n", (int)len, s);
		free(s);
	}
	return rc;
}

#ifndef FUZZ_REGRESS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_grade_one(data, size) != 0)
		abort();
	return 0;
}
#endif
