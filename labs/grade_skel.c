/*
 * grade_skel.c -- starting code and handouts, generated from the project.
 *
 * The project's own sources mark what a student writes:
 *
 *     / * LAB interp BEGIN                ; LAB trap BEGIN
 *      * TODO: what to write              ; TODO: what to write
 *      * stub: return VMM_INTERP_BAD;     ; stub: halt
 *      * /                                ... the reference code ...
 *     ... the reference code ...          ; LAB trap END
 *     / * LAB interp END * /
 *
 * (C comments spelled with a blank here).  The skeleton keeps everything
 * else and puts, for each region, its TODO text as a comment and its stub
 * lines as code: the starting code compiles (or assembles) and fails the
 * graded tests.  Because it is made from the reference every time, the
 * labs never drift from the code.
 */
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HANDOUT_FILE_MAX (4u << 20)
#define DIR_MODE 0755

struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *g = realloc(b->p, cap);
		if (!g) {
			b->failed = true;
			return;
		}
		b->p = g;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Does [s, e) contain the two characters of pair? */
static bool has(const char *s, const char *e, const char *pair)
{
	for (; e - s >= 2; s++)
		if (s[0] == pair[0] && s[1] == pair[1])
			return true;
	return false;
}

/* "LAB word BEGIN" in [s, e)?  The word goes to name. */
static bool marker(const char *s, const char *e, const char *what, char *name, size_t len)
{
	const char *p = s;
	while ((p = memchr(p, 'L', (size_t)(e - p))) != NULL && e - p >= 4) {
		if (memcmp(p, "LAB ", 4) == 0) {
			const char *w = p + 4, *we = w;
			while (we < e && *we != ' ')
				we++;
			size_t wl = strlen(what);
			if (we + 1 + wl <= e && memcmp(we + 1, what, wl) == 0 && we > w) {
				if (name)
					grade_fmt(name, len, "%.*s", (int)(we - w), w);
				return true;
			}
		}
		p++;
	}
	return false;
}

char *grade_skeleton(const char *text, const char *file, char *msg, size_t msglen)
{
	struct sbuf b = { 0 };
	const char *p = text;
	unsigned lineno = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		const char *e = nl ? nl : p + strlen(p);
		const char *next = nl ? nl + 1 : e;
		lineno++;
		char name[GRADE_NAME_MAX];
		if (!marker(p, e, "BEGIN", name, sizeof name)) {
			put(&b, p, (size_t)(next - p));
			p = next;
			continue;
		}
		unsigned begin_line = lineno;
		const char *ind_end = p;
		while (ind_end < e && (*ind_end == ' ' || *ind_end == '\t'))
			ind_end++;
		bool c_style = has(p, e, "/*");
		char ind[GRADE_NAME_MAX];
		grade_fmt(ind, sizeof ind, "%.*s", (int)(ind_end - p), p);
		const char *code_ind = c_style ? ind : "\t";
		puts_(&b, ind);
		puts_(&b, c_style ? "/* TODO (lab " : "; TODO (lab ");
		puts_(&b, name);
		puts_(&b, "): write this part.\n");
		struct sbuf stubs = { 0 };
		/* The header: TODO text and stub lines. */
		bool header = !(c_style && has(p, e, "*/"));
		p = next;
		while (*p && header) {
			nl = strchr(p, '\n');
			e = nl ? nl : p + strlen(p);
			next = nl ? nl + 1 : e;
			const char *s = p;
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			if (c_style && e - s >= 2 && memcmp(s, "*/", 2) == 0) {
				lineno++;
				p = next;
				break;
			}
			if (!c_style && (s == e || *s != ';'))
				break;
			if (marker(s, e, "END", NULL, 0))
				break;
			lineno++;
			s++; /* '*' or ';' */
			while (s < e && *s == ' ')
				s++;
			if (e - s >= 5 && memcmp(s, "stub:", 5) == 0) {
				s += 5;
				while (s < e && *s == ' ')
					s++;
				puts_(&stubs, code_ind);
				put(&stubs, s, (size_t)(e - s));
				puts_(&stubs, "\n");
			} else {
				puts_(&b, ind);
				puts_(&b, c_style ? " * " : "; ");
				put(&b, s, (size_t)(e - s));
				puts_(&b, "\n");
			}
			p = next;
		}
		if (c_style) {
			puts_(&b, ind);
			puts_(&b, " */\n");
		}
		if (stubs.p)
			puts_(&b, stubs.p);
		free(stubs.p);
		/* Skip the reference code up to and including the END marker. */
		bool ended = false;
		while (*p && !ended) {
			nl = strchr(p, '\n');
			e = nl ? nl : p + strlen(p);
			next = nl ? nl + 1 : e;
			lineno++;
			ended = marker(p, e, "END", NULL, 0);
			p = next;
		}
		if (!ended) {
			grade_fmt(msg, msglen, "%s:%u: region 'LAB %s BEGIN' has no END", file, begin_line, name);
			free(b.p);
			return NULL;
		}
	}
	if (b.failed)
		grade_fmt(msg, msglen, "%s: out of memory", file);
	return b.failed ? NULL : b.p;
}

static int write_text(const char *path, const char *text, size_t len, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		grade_fmt(msg, msglen, "cannot write %s: %s", path, strerror(errno));
		return PG32_EIO;
	}
	return 0;
}

static int copy_to(const char *from, const char *to, char *msg, size_t msglen)
{
	uint8_t *bytes;
	size_t len;
	int err = pg32_read_file(from, HANDOUT_FILE_MAX, &bytes, &len, msg, msglen);
	if (err)
		return err;
	err = write_text(to, (const char *)bytes, len, msg, msglen);
	free(bytes);
	return err;
}

static int make_dir(const char *path, char *msg, size_t msglen)
{
	if (mkdir(path, DIR_MODE) != 0 && errno != EEXIST) {
		grade_fmt(msg, msglen, "cannot make %s: %s", path, strerror(errno));
		return PG32_EIO;
	}
	return 0;
}

int grade_make_handout(const struct grade_lab *lab, const char *dir, char *msg, size_t msglen)
{
	char from[GRADE_PATH_MAX * 2], to[GRADE_PATH_MAX * 2];
	int err = make_dir(dir, msg, msglen);
	static const char *const files[] = { "README.md", "lab.conf", "tests.txt" };
	for (unsigned i = 0; !err && i < sizeof files / sizeof files[0]; i++) {
		grade_fmt(from, sizeof from, "%s/%s", lab->dir, files[i]);
		grade_fmt(to, sizeof to, "%s/%s", dir, files[i]);
		err = copy_to(from, to, msg, msglen);
	}
	if (!err && lab->frame[0]) {
		grade_fmt(from, sizeof from, "%s/%s", lab->dir, lab->frame);
		grade_fmt(to, sizeof to, "%s/%s", dir, lab->frame);
		err = copy_to(from, to, msg, msglen);
	}
	/* The visible tests' programs (never hidden/ or solution/). */
	grade_fmt(from, sizeof from, "%s/tests", lab->dir);
	DIR *d = err ? NULL : opendir(from);
	if (d) {
		grade_fmt(to, sizeof to, "%s/tests", dir);
		err = make_dir(to, msg, msglen);
		struct dirent *e;
		while (!err && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char f1[GRADE_PATH_MAX * 3], f2[GRADE_PATH_MAX * 3];
			grade_fmt(f1, sizeof f1, "%s/%s", from, e->d_name);
			grade_fmt(f2, sizeof f2, "%s/%s", to, e->d_name);
			err = copy_to(f1, f2, msg, msglen);
		}
		closedir(d);
	}
	for (unsigned m = 0; !err && m < lab->nmodules; m++) {
		grade_fmt(from, sizeof from, "%s/%s", lab->root, lab->modules[m].reference);
		uint8_t *bytes;
		size_t len;
		err = pg32_read_file(from, HANDOUT_FILE_MAX, &bytes, &len, msg, msglen);
		if (err)
			break;
		char *text = malloc(len + 1);
		if (!text) {
			free(bytes);
			grade_fmt(msg, msglen, "out of memory");
			return PG32_ENOMEM;
		}
		memcpy(text, bytes, len);
		text[len] = '\0';
		free(bytes);
		char *skel = grade_skeleton(text, from, msg, msglen);
		free(text);
		if (!skel)
			return PG32_EFORMAT;
		grade_fmt(to, sizeof to, "%s/%s", dir, lab->modules[m].file);
		err = write_text(to, skel, strlen(skel), msg, msglen);
		free(skel);
	}
	return err;
}
