/*
 * grade_obs.c -- observations: what a test saw, as text, and the first
 * place where a student's observation differs from the reference's.
 *
 * An observation is lines of "HEAD k=v k=v ...": the head says where
 * (an event of the monitor's trace, the end of the run, a memory block),
 * the fields say what.  The grader compares the lines in order; the first
 * line that differs is the first divergence, and the first field in it
 * that differs is what the message names.  Lines starting with '#' are
 * notes (why a guest was killed, say): shown, never compared.
 */
#include "grade.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LINE_SHOW_MAX 160 /* characters of a line quoted in a message */

int grade_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

void grade_obs_printf(struct grade_obs *o, const char *fmt, ...)
{
	if (o->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (o->len + (size_t)n + 1 > GRADE_OBS_CAP) {
		o->overflow = true;
		return;
	}
	if (o->len + (size_t)n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + (size_t)n + 1)
			cap *= 2;
		char *grown = realloc(o->text, cap);
		if (!grown) {
			o->overflow = true;
			return;
		}
		o->text = grown;
		o->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(o->text + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

void grade_obs_free(struct grade_obs *o)
{
	free(o->text);
	memset(o, 0, sizeof *o);
}

/* A cursor over the compared lines (notes skipped). */
struct cursor {
	const char *p, *end;
	const char *note; /* the last note line passed */
	size_t note_len;
};

static bool next_line(struct cursor *c, const char **line, size_t *len)
{
	while (c->p < c->end) {
		const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
		const char *e = nl ? nl : c->end;
		const char *s = c->p;
		c->p = nl ? nl + 1 : c->end;
		if (s < e && *s == '#') {
			c->note = s;
			c->note_len = (size_t)(e - s);
			continue;
		}
		*line = s;
		*len = (size_t)(e - s);
		return true;
	}
	return false;
}

/* Find field "key=" in a line; its value and length. */
static bool field(const char *line, size_t len, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i + klen < len; i++) {
		if ((i == 0 || line[i - 1] == ' ') && memcmp(line + i, key, klen) == 0 &&
		    line[i + klen] == '=') {
			size_t j = i + klen + 1, k = j;
			while (k < len && line[k] != ' ')
				k++;
			*val = line + j;
			*vlen = k - j;
			return true;
		}
	}
	return false;
}

/* The head of a line: everything before its first "k=v" token. */
static size_t head_len(const char *line, size_t len)
{
	size_t i = 0, last = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && line[j] != ' ')
			j++;
		if (memchr(line + i, '=', j - i))
			break;
		last = j;
		i = j + 1;
	}
	return last;
}

static int shown(size_t len)
{
	return (int)(len < LINE_SHOW_MAX ? len : LINE_SHOW_MAX);
}

bool grade_obs_compare(const char *ref, size_t ref_len, const char *got, size_t got_len,
                       char *msg, size_t msglen)
{
	struct cursor a = { ref, ref + ref_len, NULL, 0 }, b = { got, got + got_len, NULL, 0 };
	const char *la, *lb;
	size_t na, nb;
	for (;;) {
		bool ha = next_line(&a, &la, &na), hb = next_line(&b, &lb, &nb);
		if (!ha && !hb)
			return true;
		if (!hb) {
			grade_fmt(msg, msglen, "your run stops short; the reference goes on with: %.*s",
			         shown(na), la);
			break;
		}
		if (!ha) {
			grade_fmt(msg, msglen, "your run goes on after the reference ended: %.*s",
			         shown(nb), lb);
			break;
		}
		if (na == nb && memcmp(la, lb, na) == 0)
			continue;
		/* Console lines: quote both. */
		static const char console[] = "console line ";
		size_t cl = strlen(console);
		if (na > cl && nb > cl && memcmp(la, console, cl) == 0 && memcmp(lb, console, cl) == 0) {
			const char *qa = memchr(la, '"', na), *qb = memchr(lb, '"', nb);
			if (qa && qb) {
				grade_fmt(msg, msglen, "first divergence at %.*s: you print %.*s, the reference prints %.*s",
				          (int)(qa - 1 - la), la, shown(nb - (size_t)(qb - lb)), qb,
				          shown(na - (size_t)(qa - la)), qa);
				break;
			}
		}
		/* The same kind of line?  Then name the first differing field. */
		size_t ha_len = head_len(la, na), hb_len = head_len(lb, nb);
		if (ha_len != hb_len || memcmp(la, lb, ha_len) != 0) {
			grade_fmt(msg, msglen, "first divergence: you have \"%.*s\", the reference has \"%.*s\"",
			         shown(nb), lb, shown(na), la);
			break;
		}
		const char *where_clock = NULL, *where_at = NULL;
		size_t wc_len = 0, wa_len = 0;
		field(la, na, "clock", &where_clock, &wc_len);
		field(la, na, "at", &where_at, &wa_len);
		char where[GRADE_MSG_MAX];
		int n = grade_fmt(where, sizeof where, "%.*s", (int)ha_len, la);
		if (where_clock && n >= 0 && (size_t)n < sizeof where)
			n += grade_fmt(where + n, sizeof where - (size_t)n, " (instruction %.*s%s%.*s)",
			              (int)wc_len, where_clock, where_at ? ", pc " : "", (int)wa_len,
			              where_at ? where_at : "");
		/* Walk the reference's fields in order. */
		size_t i = ha_len;
		bool named = false;
		while (i < na) {
			while (i < na && la[i] == ' ')
				i++;
			size_t j = i;
			while (j < na && la[j] != ' ')
				j++;
			const char *eq = memchr(la + i, '=', j - i);
			if (eq) {
				char key[GRADE_NAME_MAX];
				grade_fmt(key, sizeof key, "%.*s", (int)(eq - (la + i)), la + i);
				const char *gv;
				size_t gl;
				size_t rl = (size_t)(la + j - (eq + 1));
				if (!field(lb, nb, key, &gv, &gl)) {
					grade_fmt(msg, msglen, "first divergence at %s: %s is missing, the reference has %.*s",
					         where, key, shown(rl), eq + 1);
					named = true;
					break;
				}
				if (gl != rl || memcmp(gv, eq + 1, rl) != 0) {
					grade_fmt(msg, msglen, "first divergence at %s: %s is %.*s, the reference has %.*s",
					         where, key, shown(gl), gv, shown(rl), eq + 1);
					named = true;
					break;
				}
			}
			i = j;
		}
		if (!named)
			grade_fmt(msg, msglen, "first divergence at %s: you have \"%.*s\", the reference has \"%.*s\"",
			         where, shown(nb), lb, shown(na), la);
		break;
	}
	/* A note of the student's run (why its guest was killed) helps. */
	const char *note = NULL;
	size_t note_len = 0;
	if (b.note) {
		note = b.note;
		note_len = b.note_len;
	} else {
		const char *s = b.p;
		while (s < b.end) {
			const char *nl = memchr(s, '\n', (size_t)(b.end - s));
			const char *e = nl ? nl : b.end;
			if (s < e && *s == '#') {
				note = s;
				note_len = (size_t)(e - s);
				break;
			}
			s = nl ? nl + 1 : b.end;
		}
	}
	size_t used = strlen(msg);
	if (note && note_len >= 2 && used + 4 < msglen)
		grade_fmt(msg + used, msglen - used, " [%.*s]", shown(note_len - 2), note + 2);
	return false;
}
