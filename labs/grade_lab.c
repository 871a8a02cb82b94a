/*
 * grade_lab.c -- reading a lab's description: labs/NAME/lab.conf and its
 * tests (tests.txt, and hidden/tests.txt when hidden tests are wanted).
 *
 * Both are line files: '#' starts a comment, blank lines are skipped, a
 * line is words separated by blanks.  Every error names the file and line.
 */
#include "grade.h"

#define GRADE_POINTS_MAX 1e6 /* the most one test can be worth */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_CHARS 1024
#define WORDS_MAX 8

/* Split line into at most WORDS_MAX words (in place); *rest is a copy of
 * the text after the first word, for values with blanks (a title). */
static unsigned split(char *line, char *w[WORDS_MAX], char **rest)
{
	static char rest_copy[LINE_MAX_CHARS];
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	unsigned n = 0;
	*rest = NULL;
	char *p = line;
	while (*p && n < WORDS_MAX) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
		if (n == 1) {
			char *r = p;
			while (isspace((unsigned char)*r))
				r++;
			grade_fmt(rest_copy, sizeof rest_copy, "%s", r);
			*rest = rest_copy;
		}
	}
	return n;
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) >= GRADE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static int load_tests(struct grade_lab *lab, const char *dir, bool hidden, bool must_exist,
                      char *msg, size_t msglen)
{
	char path[GRADE_PATH_MAX + 32];
	grade_fmt(path, sizeof path, "%s/tests.txt", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		grade_fmt(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
		return PG32_EIO;
	}
	char line[LINE_MAX_CHARS];
	unsigned lineno = 0;
	int err = 0;
	while (!err && fgets(line, sizeof line, f)) {
		lineno++;
		char *w[WORDS_MAX], *rest;
		unsigned n = split(line, w, &rest);
		if (n == 0)
			continue;
		char *end;
		double pts = n >= 2 ? strtod(w[1], &end) : 0;
		/* Written so that NaN (strtod reads "nan") is refused too. */
		if (n != 4 || !name_ok(w[0]) || *end || !(pts >= 0 && pts <= GRADE_POINTS_MAX)) {
			grade_fmt(msg, msglen, "%s:%u: expected \"NAME POINTS SCENARIO ARG\" "
			         "(NAME letters, digits, _ - .; POINTS a number >= 0)", path, lineno);
			err = PG32_EFORMAT;
			break;
		}
		if (strcmp(w[2], "guest") && strcmp(w[2], "random") && strcmp(w[2], "kernel")) {
			grade_fmt(msg, msglen, "%s:%u: unknown scenario '%s' (guest, random or kernel)",
			         path, lineno, w[2]);
			err = PG32_EFORMAT;
			break;
		}
		for (unsigned i = 0; i < lab->ntests; i++)
			if (strcmp(lab->tests[i].name, w[0]) == 0) {
				grade_fmt(msg, msglen, "%s:%u: test '%s' is defined twice", path, lineno, w[0]);
				err = PG32_EFORMAT;
			}
		if (err)
			break;
		if (lab->ntests == GRADE_MAX_TESTS) {
			grade_fmt(msg, msglen, "%s:%u: more than %u tests", path, lineno, GRADE_MAX_TESTS);
			err = PG32_EFORMAT;
			break;
		}
		struct grade_test *t = &lab->tests[lab->ntests++];
		memset(t, 0, sizeof *t);
		grade_fmt(t->name, sizeof t->name, "%s", w[0]);
		t->points = pts;
		grade_fmt(t->scenario, sizeof t->scenario, "%s", w[2]);
		grade_fmt(t->arg, sizeof t->arg, "%s", w[3]);
		grade_fmt(t->dir, sizeof t->dir, "%s", dir);
		t->hidden = hidden;
	}
	fclose(f);
	return err;
}

int grade_lab_load(const char *labs_dir, const char *root, const char *name, bool hidden,
                   struct grade_lab *lab, char *msg, size_t msglen)
{
	memset(lab, 0, sizeof *lab);
	if (!name_ok(name)) {
		grade_fmt(msg, msglen, "'%s' is not a lab name", name);
		return PG32_EARG;
	}
	grade_fmt(lab->name, sizeof lab->name, "%s", name);
	grade_fmt(lab->dir, sizeof lab->dir, "%s/%s", labs_dir, name);
	grade_fmt(lab->root, sizeof lab->root, "%s", root);
	lab->mem_size = GRADE_MEM_DEFAULT;
	lab->max_instructions = GRADE_MAX_INSN_DEFAULT;
	char path[GRADE_PATH_MAX + 32];
	grade_fmt(path, sizeof path, "%s/lab.conf", lab->dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		grade_fmt(msg, msglen, "%s: cannot open: %s (is '%s' a lab?)", path, strerror(errno), name);
		return PG32_EIO;
	}
	char line[LINE_MAX_CHARS];
	unsigned lineno = 0;
	int err = 0;
	bool kind_set = false;
	while (!err && fgets(line, sizeof line, f)) {
		lineno++;
		char *w[WORDS_MAX], *rest;
		unsigned n = split(line, w, &rest);
		if (n == 0)
			continue;
		const char *bad = NULL;
		if (strcmp(w[0], "title") == 0) {
			size_t l = strlen(rest);
			while (l && isspace((unsigned char)rest[l - 1]))
				rest[--l] = '\0';
			grade_fmt(lab->title, sizeof lab->title, "%s", rest);
		} else if (strcmp(w[0], "kind") == 0 && n == 2) {
			if (strcmp(w[1], "c") == 0)
				lab->kind = GRADE_KIND_C;
			else if (strcmp(w[1], "asm") == 0)
				lab->kind = GRADE_KIND_ASM;
			else
				bad = "kind is c or asm";
			kind_set = true;
		} else if (strcmp(w[0], "module") == 0 && n == 3) {
			if (lab->nmodules == GRADE_MAX_MODULES || !name_ok(w[1]))
				bad = "too many modules, or a module name that is not a plain file name";
			else {
				struct grade_module *m = &lab->modules[lab->nmodules++];
				grade_fmt(m->file, sizeof m->file, "%s", w[1]);
				grade_fmt(m->reference, sizeof m->reference, "%s", w[2]);
			}
		} else if (strcmp(w[0], "symbols") == 0) {
			grade_fmt(lab->symbols, sizeof lab->symbols, "%s", rest);
			size_t l = strlen(lab->symbols);
			while (l && isspace((unsigned char)lab->symbols[l - 1]))
				lab->symbols[--l] = '\0';
		} else if (strcmp(w[0], "frame") == 0 && n == 2) {
			if (!name_ok(w[1]))
				bad = "the frame is a plain file name in the lab's folder";
			else
				grade_fmt(lab->frame, sizeof lab->frame, "%s", w[1]);
		} else if (strcmp(w[0], "mem") == 0 && n == 2) {
			if (pg32_parse_size(w[1], &lab->mem_size) != 0 || lab->mem_size < PG32_MEM_MIN)
				bad = "mem is a memory size (at least 4K)";
		} else if (strcmp(w[0], "max-instructions") == 0 && n == 2) {
			if (pg32_parse_count(w[1], &lab->max_instructions) != 0 || lab->max_instructions == 0)
				bad = "max-instructions is a count above 0";
		} else if (strcmp(w[0], "beside") == 0 && n == 2) {
			if (strcmp(w[1], "yes") && strcmp(w[1], "no"))
				bad = "beside is yes or no";
			lab->beside = strcmp(w[1], "yes") == 0;
		} else if (strcmp(w[0], "random-isa") == 0 && n == 2) {
			char vmsg[GRADE_MSG_MAX];
			if (isa_variant_parse(w[1], &lab->random_variant, vmsg, sizeof vmsg) != 0)
				bad = "random-isa is an ISA variant (well, ill, ill:srr,rtu, ...)";
		} else {
			bad = "unknown setting (title, kind, module, symbols, frame, mem, "
			      "max-instructions, beside, random-isa) or wrong number of words";
		}
		if (bad) {
			grade_fmt(msg, msglen, "%s:%u: %s", path, lineno, bad);
			err = PG32_EFORMAT;
		}
	}
	fclose(f);
	if (!err && (!kind_set || lab->nmodules == 0)) {
		grade_fmt(msg, msglen, "%s: needs a kind and at least one module", path);
		err = PG32_EFORMAT;
	}
	if (!err && lab->kind == GRADE_KIND_ASM && (lab->nmodules != 1 || !lab->frame[0])) {
		grade_fmt(msg, msglen, "%s: an asm lab has one module and a frame", path);
		err = PG32_EFORMAT;
	}
	if (!err)
		err = load_tests(lab, lab->dir, false, true, msg, msglen);
	if (!err && hidden) {
		char hdir[GRADE_PATH_MAX + 16];
		grade_fmt(hdir, sizeof hdir, "%s/hidden", lab->dir);
		err = load_tests(lab, hdir, true, false, msg, msglen);
	}
	return err;
}
