/*
 * grade_report.c -- a grading result in the format an autograder reads.
 *
 *   text          for people: one line per test, then the total
 *   gradescope    results.json of Gradescope's autograder: score, output,
 *                 tests[] of {name, score, max_score, output, visibility}
 *   prairielearn  results.json of PrairieLearn's external grader: gradable,
 *                 score (0..1), points, max_points, output, tests[] of
 *                 {name, points, max_points, message, output}
 *   autolab       the text report, then Autolab's JSON scoreboard line
 *                 {"scores": {...}} as the LAST line of output
 *   junit         JUnit XML: a testsuite with one testcase per test
 *
 * What the student's code printed appears only as a field's text, escaped:
 * it can never end a string, a line or an element early.
 */
#include "grade.h"

#include <math.h>
#include <string.h>

int grade_format_parse(const char *text, enum grade_format *out)
{
	static const char *const names[] = { [GRADE_FMT_TEXT] = "text",
		                             [GRADE_FMT_GRADESCOPE] = "gradescope",
		                             [GRADE_FMT_PRAIRIELEARN] = "prairielearn",
		                             [GRADE_FMT_AUTOLAB] = "autolab",
		                             [GRADE_FMT_JUNIT] = "junit" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (enum grade_format)i;
			return 0;
		}
	return PG32_EARG;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < ' ' || c >= 0x7f)
			fprintf(out, "\\u%04x", c); /* bytes, not UTF-8: always valid JSON */
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* A number as JSON has them: a score that is not finite (NaN, infinity:
 * nothing a grade can be) is written as 0, never as "nan" or "inf", which
 * no JSON reader takes. */
static void json_num(FILE *out, const char *fmt, double x)
{
	fprintf(out, fmt, isfinite(x) ? x : 0.0);
}

static void xml_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			/* XML 1.0 allows no control characters but tab and newline. */
			fputc((c < ' ' && c != '\n' && c != '\t') || c >= 0x7f ? '?' : c, out);
		}
	}
}

/* What a test says: its message, then what the student's code printed. */
static void test_text(const struct grade_test_result *t, char *buf, size_t len)
{
	if (t->output[0])
		grade_fmt(buf, len, "%s\n--- your code printed:\n%s", t->message, t->output);
	else
		grade_fmt(buf, len, "%s", t->message);
}

/* A field of the text report: control characters as '?'; a newline, when
 * the field may have several lines, continues it on a line marked as the
 * student's output is, so no field can start a line of its own (a fake
 * "PASS" line) or move a terminal's cursor. */
#define TEXT_MARK "      | "
static void text_str(FILE *out, const char *s, bool lines)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' && lines)
			fputs(s[1] ? "\n" TEXT_MARK : "", out);
		else
			fputc(c < ' ' ? '?' : c, out);
	}
}

static void report_text(const struct grade_result *r, FILE *out)
{
	fputs("lab ", out);
	text_str(out, r->lab, false);
	fputs(", submission ", out);
	text_str(out, r->submission, false);
	fputc('\n', out);
	if (r->build_message[0]) {
		/* Every line of it marked: it quotes the compiler on the
		 * student's code, so it must not pass for a PASS line. */
		fputs(TEXT_MARK, out);
		text_str(out, r->build_message, true);
		fputc('\n', out);
	}
	for (unsigned i = 0; i < r->ntests; i++) {
		const struct grade_test_result *t = &r->tests[i];
		char name[GRADE_NAME_MAX];
		grade_fmt(name, sizeof name, "%s", t->name);
		for (char *p = name; *p; p++)
			*p = (unsigned char)*p < ' ' ? '?' : *p;
		fprintf(out, "%-5s %-24s %5.1f/%-5.1f%s ", t->points >= t->max_points ? "PASS" : "FAIL",
		        name, t->points, t->max_points, t->hidden ? " (hidden)" : "");
		text_str(out, t->message, true);
		fputc('\n', out);
		/* What the student's code printed, indented, for the failures. */
		if (t->points < t->max_points && t->output[0]) {
			fputs(TEXT_MARK, out);
			for (const char *p = t->output; *p; p++) {
				fputc(*p == '\n' || (unsigned char)*p >= ' ' ? *p : '?', out);
				if (*p == '\n' && p[1])
					fputs(TEXT_MARK, out);
			}
			if (t->output[strlen(t->output) - 1] != '\n')
				fputc('\n', out);
		}
	}
	fprintf(out, "total: %.1f/%.1f\n", r->score, r->max_score);
}

void grade_report(const struct grade_result *r, enum grade_format f, FILE *out)
{
	static char buf[GRADE_MSG_MAX + GRADE_OUTPUT_CAP + 64];
	switch (f) {
	case GRADE_FMT_TEXT:
		report_text(r, out);
		break;
	case GRADE_FMT_GRADESCOPE:
		json_num(out, "{\"score\": %.2f, \"output\": ", r->score);
		json_str(out, r->build_message);
		fputs(", \"tests\": [", out);
		for (unsigned i = 0; i < r->ntests; i++) {
			const struct grade_test_result *t = &r->tests[i];
			fprintf(out, "%s\n  {\"name\": ", i ? "," : "");
			json_str(out, t->name);
			json_num(out, ", \"score\": %.2f", t->points);
			json_num(out, ", \"max_score\": %.2f, \"output\": ", t->max_points);
			test_text(t, buf, sizeof buf);
			json_str(out, buf);
			fprintf(out, ", \"visibility\": \"%s\"}", t->hidden ? "after_published" : "visible");
		}
		fputs("\n]}\n", out);
		break;
	case GRADE_FMT_PRAIRIELEARN:
		json_num(out, "{\"gradable\": true, \"score\": %.4f",
		         r->max_score > 0 ? r->score / r->max_score : 0.0);
		json_num(out, ", \"points\": %.2f", r->score);
		json_num(out, ", \"max_points\": %.2f, \"output\": ", r->max_score);
		json_str(out, r->build_message);
		fputs(", \"tests\": [", out);
		for (unsigned i = 0; i < r->ntests; i++) {
			const struct grade_test_result *t = &r->tests[i];
			fprintf(out, "%s\n  {\"name\": ", i ? "," : "");
			json_str(out, t->name);
			json_num(out, ", \"points\": %.2f", t->points);
			json_num(out, ", \"max_points\": %.2f, \"message\": ", t->max_points);
			json_str(out, t->message);
			fputs(", \"output\": ", out);
			json_str(out, t->output);
			fputs("}", out);
		}
		fputs("\n]}\n", out);
		break;
	case GRADE_FMT_AUTOLAB:
		report_text(r, out);
		fputs("{\"scores\": {", out);
		for (unsigned i = 0; i < r->ntests; i++) {
			fputs(i ? ", " : "", out);
			json_str(out, r->tests[i].name);
			json_num(out, ": %.2f", r->tests[i].points);
		}
		fputs("}}\n", out);
		break;
	case GRADE_FMT_JUNIT: {
		unsigned failures = 0;
		for (unsigned i = 0; i < r->ntests; i++)
			failures += r->tests[i].points < r->tests[i].max_points;
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"", out);
		xml_str(out, r->lab);
		fprintf(out, "\" tests=\"%u\" failures=\"%u\">\n", r->ntests, failures);
		for (unsigned i = 0; i < r->ntests; i++) {
			const struct grade_test_result *t = &r->tests[i];
			fputs("  <testcase classname=\"", out);
			xml_str(out, r->lab);
			fputs("\" name=\"", out);
			xml_str(out, t->name);
			fputs("\">", out);
			if (t->points < t->max_points) {
				fputs("\n    <failure message=\"", out);
				xml_str(out, t->message);
				fprintf(out, "\">%.2f of %.2f points\n", t->points, t->max_points);
				test_text(t, buf, sizeof buf);
				xml_str(out, buf);
				fputs("</failure>\n  ", out);
			}
			fputs("</testcase>\n", out);
		}
		fputs("</testsuite>\n", out);
		break;
	}
	}
}

static void csv_str(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void grade_csv(const struct grade_result *res, size_t n, FILE *out)
{
	fputs("submission", out);
	if (n > 0)
		for (unsigned i = 0; i < res[0].ntests; i++) {
			fputc(',', out);
			csv_str(out, res[0].tests[i].name);
		}
	fputs(",total\n", out);
	for (size_t k = 0; k < n; k++) {
		const char *name = strrchr(res[k].submission, '/');
		csv_str(out, name ? name + 1 : res[k].submission);
		for (unsigned i = 0; i < res[k].ntests; i++)
			fprintf(out, ",%.2f", res[k].tests[i].points);
		fprintf(out, ",%.2f\n", res[k].score);
	}
}
