/*
 * fuzz_util.c -- what the fuzz targets share: the sandbox directory and
 * the failure message.  See fuzz.h.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_PATH_MAX 512
#define FUZZ_INC_SOURCE "guests/pg32.inc" /* relative to the top of the tree */
#define FUZZ_INC_NAME "pg32.inc"
#define FUZZ_COPY_CHUNK 4096
#define FUZZ_ASCII_END 0x80 /* the reports are ASCII: every other byte escaped */

static char sandbox[FUZZ_PATH_MAX];

/* Remove the sandbox's files (none are in subdirectories), then itself. */
static void sandbox_remove(void)
{
	DIR *d = opendir(sandbox);
	if (d) {
		struct dirent *e;
		char path[2 * FUZZ_PATH_MAX];
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof path, "%s/%s", sandbox, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(sandbox);
}

const char *fuzz_sandbox(void)
{
	if (sandbox[0])
		return sandbox;
	const char *tmp = getenv("TMPDIR");
	snprintf(sandbox, sizeof sandbox, "%s/trapeze-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sandbox)) {
		sandbox[0] = '\0';
		return NULL;
	}
	atexit(sandbox_remove);
	/* The shipped guests include pg32.inc: give them a copy.  (Plain
	 * stdio: fuzz_asm wraps pg32_read_file to keep .include inside the
	 * sandbox.) */
	char path[2 * FUZZ_PATH_MAX], buf[FUZZ_COPY_CHUNK];
	snprintf(path, sizeof path, "%s/%s", sandbox, FUZZ_INC_NAME);
	FILE *in = fopen(FUZZ_INC_SOURCE, "rb");
	FILE *out = in ? fopen(path, "wb") : NULL;
	size_t n;
	while (out && (n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	return sandbox;
}

int fuzz_fail(const char *target, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz: %s: ", target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* ---- a strict JSON validator (RFC 8259), for the grader's reports ------- */

#define FUZZ_JSON_DEPTH 64 /* nesting the reports never come near */

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool json_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool json_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A string at p (at its opening quote): the byte after it, or NULL. */
static const char *json_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < ' ' || c >= FUZZ_ASCII_END)
			return NULL; /* raw control byte; the writers escape all else too */
		if (c != '\\')
			continue;
		if (++p >= end)
			return NULL;
		if (*p == 'u') {
			for (int i = 0; i < 4; i++)
				if (++p >= end || !json_hex(*p))
					return NULL;
		} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
			return NULL;
		}
	}
	return NULL;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static const char *json_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || !json_digit(*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && json_digit(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p >= end || !json_digit(*p))
			return NULL;
		while (p < end && json_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !json_digit(*p))
			return NULL;
		while (p < end && json_digit(*p))
			p++;
	}
	return p;
}

static const char *json_literal(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

static const char *json_value(const char *p, const char *end, int depth)
{
	p = json_ws(p, end);
	if (p >= end || depth > FUZZ_JSON_DEPTH)
		return NULL;
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool object = *p == '{';
		p = json_ws(p + 1, end);
		if (p < end && *p == close)
			return p + 1;
		for (;;) {
			if (object) {
				p = json_string(json_ws(p, end), end);
				if (!p)
					return NULL;
				p = json_ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p++;
			}
			p = json_value(p, end, depth + 1);
			if (!p)
				return NULL;
			p = json_ws(p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			return p < end && *p == close ? p + 1 : NULL;
		}
	}
	if (*p == '"')
		return json_string(p, end);
	if (*p == 't')
		return json_literal(p, end, "true");
	if (*p == 'f')
		return json_literal(p, end, "false");
	if (*p == 'n')
		return json_literal(p, end, "null");
	return json_number(p, end);
}

bool fuzz_json_ok(const char *text, size_t len)
{
	const char *end = text + len;
	const char *p = json_value(text, end, 0);
	return p && json_ws(p, end) == end;
}

/* ---- a well-formedness check for the JUnit XML ------------------------- */

#define FUZZ_XML_DEPTH 16
#define FUZZ_XML_NAME_MAX 32

static bool xml_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == ':' || c == '.';
}

/* Character data or an attribute value from p up to (not including) a
 * byte of stop: only ASCII, tab, newline or printable; & only as one of the
 * five predefined entities; no '<'.  Returns where it stopped, or NULL. */
static const char *xml_text(const char *p, const char *end, const char *stop)
{
	static const char *const entities[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;" };
	while (p < end && !strchr(stop, *p)) {
		unsigned char c = (unsigned char)*p;
		if (c == '<' || c >= FUZZ_ASCII_END || (c < ' ' && c != '\n' && c != '\t' && c != '\r'))
			return NULL;
		if (c == '&') {
			size_t i = 0, n = sizeof entities / sizeof entities[0];
			while (i < n && json_literal(p, end, entities[i]) == NULL)
				i++;
			if (i == n)
				return NULL;
			p += strlen(entities[i]);
			continue;
		}
		p++;
	}
	return p;
}

bool fuzz_xml_ok(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char stack[FUZZ_XML_DEPTH][FUZZ_XML_NAME_MAX];
	int depth = 0;
	bool root_seen = false;
	/* The declaration, if any. */
	const char *decl = json_literal(p, end, "<?xml");
	if (decl) {
		const char *q = decl;
		while (q + 1 < end && !(q[0] == '?' && q[1] == '>'))
			q++;
		if (q + 1 >= end)
			return false;
		p = q + 2;
	}
	while (p < end) {
		if (*p != '<') {
			p = xml_text(p, end, "<");
			if (!p)
				return false;
			continue;
		}
		bool closing = p + 1 < end && p[1] == '/';
		p += closing ? 2 : 1;
		char name[FUZZ_XML_NAME_MAX];
		size_t n = 0;
		while (p < end && xml_name_char(*p) && n + 1 < sizeof name)
			name[n++] = *p++;
		name[n] = '\0';
		if (n == 0)
			return false;
		if (closing) {
			p = json_ws(p, end);
			if (p >= end || *p != '>' || depth == 0 || strcmp(stack[depth - 1], name) != 0)
				return false;
			depth--;
			p++;
			continue;
		}
		if (depth == 0 && root_seen)
			return false; /* one root element */
		root_seen = true;
		/* Attributes: name="value", values escaped. */
		for (;;) {
			const char *q = json_ws(p, end);
			if (q >= end)
				return false;
			if (*q == '>' || (*q == '/' && q + 1 < end && q[1] == '>'))  {
				bool empty = *q == '/';
				p = q + (empty ? 2 : 1);
				if (!empty) {
					if (depth == FUZZ_XML_DEPTH)
						return false;
					memcpy(stack[depth++], name, sizeof name);
				}
				break;
			}
			if (q == p)
				return false; /* attributes are separated by white space */
			size_t an = 0;
			while (q < end && xml_name_char(*q))
				q++, an++;
			if (an == 0 || q >= end || *q != '=' || ++q >= end || *q != '"')
				return false;
			q = xml_text(q + 1, end, "\"");
			if (!q || q >= end)
				return false;
			p = q + 1;
		}
	}
	if (depth != 0 || !root_seen)
		return false;
	/* Nothing but white space outside the root. */
	const char *last = text + len;
	while (last > text && (last[-1] == '\n' || last[-1] == ' '))
		last--;
	return last > text && last[-1] == '>';
}
