/*
 * asm_diag.c -- every diagnostic of the assembler goes through asm_vdiag,
 * which prints it the way gcc and clang do:
 *
 *     In file included from main.s:3:
 *     lib.s:7:13: error: expected a register for operand 2 of 'add'
 *         add r1, 5, r2
 *                 ^
 *     main.s:9:5: note: in expansion of macro 'twice' called here
 *
 * Columns count bytes from 1.  The caret line copies the tabs of the
 * source line so it lines up in any tab setting.  Also here: the syntax
 * error wording and "did you mean" (edit distance).
 */
#include "asm_impl.h"

#include <ctype.h>
#include <string.h>

#define DIAG_MSG_MAX 1024
#define ELLIPSIS "..."
#define INCLUDE_INDENT "                 " /* under "In file included " */
#define TOKEN_QUOTE_MAX 40                 /* longest token quoted in a syntax error */
#define EDIT_WORD_MAX 64                   /* longer words are never suggested */
#define UTF8_CONT_MASK 0xC0
#define UTF8_CONT 0x80
#define ASCII_DEL 0x7f
#define MACRO_NOTES_INNER 3 /* macro call notes shown from the inside... */
#define MACRO_NOTES_OUTER 1 /* ...and from the outside of a deep chain */

static const char *const severity_names[] = {
	[ASM_ERROR] = "error",
	[ASM_WARNING] = "warning",
	[ASM_NOTE] = "note",
	[ASM_FATAL] = "fatal error",
};

/* The file and line a location shows as: macro expansions map back to
 * the lines of the macro's body. */
static const struct asm_src *display_src(const struct asm_loc *loc, int *line)
{
	const struct asm_src *s = loc->src;
	int l = loc->line;

	while (s->kind == ASM_SRC_MACRO && s->origin != NULL) {
		l = s->origin_line + l - 1;
		s = s->origin;
	}
	*line = l;
	return s;
}

/* Print the source line of loc, then the caret line. */
static void print_excerpt(FILE *f, const struct asm_loc *loc)
{
	const char *t = loc->src->text;
	size_t len = loc->src->len, at = loc->begin > len ? len : loc->begin;
	size_t start = at, stop = at, from, to, i;
	size_t span_end = loc->end > at ? loc->end : at + 1;

	while (start > 0 && t[start - 1] != '\n')
		start--;
	while (stop < len && t[stop] != '\n')
		stop++;
	/* Long lines: a window around the caret. */
	from = start;
	to = stop;
	if (to - from > ASM_DIAG_LINE_MAX) {
		from = at > start + ASM_DIAG_LINE_MAX / 2 ? at - ASM_DIAG_LINE_MAX / 2 : start;
		to = from + ASM_DIAG_LINE_MAX < stop ? from + ASM_DIAG_LINE_MAX : stop;
	}
	if (from > start)
		fputs(ELLIPSIS, f);
	for (i = from; i < to; i++) {
		unsigned char c = (unsigned char)t[i];
		fputc((c < ' ' && c != '\t') || c == ASCII_DEL ? '?' : c, f);
	}
	if (to < stop)
		fputs(ELLIPSIS, f);
	fputc('\n', f);

	if (from > start)
		fputs("   ", f);
	for (i = from; i < at && i < to; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((c & UTF8_CONT_MASK) == UTF8_CONT)
			continue;
		fputc(c == '\t' ? '\t' : ' ', f);
	}
	fputc('^', f);
	for (i = at + 1; i < span_end && i < to; i++)
		if (((unsigned char)t[i] & UTF8_CONT_MASK) != UTF8_CONT)
			fputc('~', f);
	fputc('\n', f);
}

/* "In file included from" lines for a file that came in by .include. */
static void print_include_chain(FILE *f, const struct asm_src *file)
{
	const char *lead = "In file included from ";
	bool any = false;

	while (file->site.src != NULL) {
		int line;
		const struct asm_src *s = display_src(&file->site, &line);
		fprintf(f, "%s%s:%d", lead, s->name, line);
		lead = ",\n" INCLUDE_INDENT "from ";
		any = true;
		file = s;
	}
	if (any)
		fputs(":\n", f);
}

static int column_of(const struct asm_loc *loc)
{
	const char *t = loc->src->text;
	size_t at = loc->begin > loc->src->len ? loc->src->len : loc->begin, start = at;

	while (start > 0 && t[start - 1] != '\n')
		start--;
	return (int)(at - start) + 1;
}

/* One located message: position, severity, text, excerpt. */
static void print_one(FILE *f, const struct asm_ctx *a, const char *sev,
                      const struct asm_loc *loc, const char *msg, bool chain)
{
	if (loc == NULL || loc->src == NULL) {
		fprintf(f, "%s: %s: %s\n", a->name, sev, msg);
		return;
	}
	int line;
	const struct asm_src *file = display_src(loc, &line);
	if (chain)
		print_include_chain(f, file);
	fprintf(f, "%s:%d:%d: %s: %s\n", file->name, line, column_of(loc), sev, msg);
	print_excerpt(f, loc);
}

/* Notes for the macro calls a line came through, innermost first; of a
 * deep chain (a recursive macro) the middle is left out. */
static void print_macro_chain(const struct asm_ctx *a, const struct asm_loc *loc)
{
	char note[DIAG_MSG_MAX];
	int depth = 0, shown = 0;
	const struct asm_src *s;

	for (s = loc ? loc->src : NULL; s != NULL && s->kind == ASM_SRC_MACRO; s = s->site.src)
		depth++;
	for (s = loc ? loc->src : NULL; s != NULL && s->kind == ASM_SRC_MACRO; s = s->site.src, shown++) {
		if (shown >= MACRO_NOTES_INNER && shown < depth - MACRO_NOTES_OUTER) {
			if (shown == MACRO_NOTES_INNER) {
				snprintf(note, sizeof note, "(%d more macro calls in between)",
				         depth - MACRO_NOTES_INNER - MACRO_NOTES_OUTER);
				print_one(a->diag, a, severity_names[ASM_NOTE], NULL, note, false);
			}
			continue;
		}
		snprintf(note, sizeof note, "in expansion of macro '%s' called here", s->name);
		print_one(a->diag, a, severity_names[ASM_NOTE], &s->site, note, false);
	}
}

void asm_vdiag(struct asm_ctx *a, enum asm_severity sev, enum asm_when when,
               const struct asm_loc *loc, const char *fmt, va_list ap)
{
	char msg[DIAG_MSG_MAX];

	if (sev == ASM_NOTE) {
		if (!a->last_printed || a->diag == NULL)
			return;
		vsnprintf(msg, sizeof msg, fmt, ap);
		print_one(a->diag, a, severity_names[sev], loc, msg, false);
		return;
	}
	a->last_printed = false;
	if (sev == ASM_FATAL) {
		if (a->stop)
			return;
		a->stop = true;
		a->errors++;
		if (a->diag != NULL) {
			vsnprintf(msg, sizeof msg, fmt, ap);
			print_one(a->diag, a, severity_names[sev], loc, msg, true);
			print_macro_chain(a, loc);
		}
		return;
	}
	if (a->stop || (when == ASM_PASS1 ? a->pass != 1 : !a->final))
		return;
	/* After the scanner's error on a line, the parser's are echoes. */
	if (a->line_bad && when == ASM_PASS1 && sev == ASM_ERROR)
		return;
	if (sev == ASM_ERROR) {
		if (a->errors >= a->max_errors) {
			a->errors++;
			a->stop = true;
			if (a->diag != NULL) {
				snprintf(msg, sizeof msg, "too many errors emitted (%u), stopping now",
				         a->max_errors);
				print_one(a->diag, a, severity_names[ASM_FATAL], NULL, msg, false);
			}
			return;
		}
		a->errors++;
		if (loc != NULL)
			a->last_error = *loc;
	} else {
		a->warnings++;
	}
	a->last_printed = true;
	if (a->diag == NULL)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	print_one(a->diag, a, severity_names[sev], loc, msg, true);
	print_macro_chain(a, loc);
}

void asm_fatal(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	asm_vdiag(a, ASM_FATAL, ASM_PASS1, loc, fmt, ap);
	va_end(ap);
}

void asm_error_lex(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
{
	va_list ap;
	a->line_bad = false;
	va_start(ap, fmt);
	asm_vdiag(a, ASM_ERROR, ASM_PASS1, loc, fmt, ap);
	va_end(ap);
	a->line_bad = true;
}

void asm_error(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	asm_vdiag(a, ASM_ERROR, ASM_PASS1, loc, fmt, ap);
	va_end(ap);
}

void asm_error_late(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	asm_vdiag(a, ASM_ERROR, ASM_FINAL, loc, fmt, ap);
	va_end(ap);
}

void asm_warning_late(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	asm_vdiag(a, ASM_WARNING, ASM_FINAL, loc, fmt, ap);
	va_end(ap);
}

void asm_note(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	asm_vdiag(a, ASM_NOTE, ASM_PASS1, loc, fmt, ap);
	va_end(ap);
}

/* ---- syntax errors ----------------------------------------------------- */

/* Does the expected set start an expression ("+" and "-" alone do not
 * tell: they are binary operators too)? */
static bool starts_expression(const char *name)
{
	return strcmp(name, "number") == 0 || strcmp(name, "identifier") == 0;
}

/* Tokens worth naming in "expected ...": the others are operators (always
 * possible after an expression) and internal symbols. */
static const char *expected_phrase(const char *name)
{
	static const struct {
		const char *token, *phrase;
	} phrases[] = {
		{ "end of line", "end of line" }, { "register", "a register" },
		{ "string", "a string" },         { "','", "','" },
		{ "')'", "')'" },                 { "':'", "':'" },
		{ "ISA variant", "an ISA variant" },
	};
	for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
		if (strcmp(name, phrases[i].token) == 0)
			return phrases[i].phrase;
	return NULL;
}

void asm_syntax_error(struct asm_ctx *a, const struct asm_loc *loc, const char *unexpected,
                      const char *const *expected, size_t n)
{
	const char *items[ASM_NAME_MAX];
	size_t ni = 0, i;
	bool expr = false;
	char what[TOKEN_QUOTE_MAX + 8], list[DIAG_MSG_MAX];
	size_t used = 0;

	/* An error on a token already reported (a bad number, say) is noise. */
	if (a->last_error.src == loc->src && a->last_error.begin == loc->begin && loc->src != NULL)
		return;
	for (i = 0; i < n; i++) {
		const char *p = expected_phrase(expected[i]);
		if (strcmp(expected[i], "directive") == 0) {
			/* The start of a statement. */
			ni = 0;
			items[ni++] = "an instruction";
			items[ni++] = "a directive";
			items[ni++] = "a label";
			expr = false;
			break;
		}
		if (starts_expression(expected[i]))
			expr = true;
		else if (p != NULL && ni < ASM_NAME_MAX)
			items[ni++] = p;
	}
	if (expr && ni < ASM_NAME_MAX)
		items[ni++] = "an expression";
	/* A register right after an operand is the missing-comma rule. */
	bool comma = false;
	for (i = 0; i < ni; i++)
		comma = comma || strcmp(items[i], "','") == 0;
	if (comma && !expr) {
		size_t k = 0;
		for (i = 0; i < ni; i++)
			if (strcmp(items[i], "a register") != 0)
				items[k++] = items[i];
		ni = k;
	}

	if (unexpected == NULL || strcmp(unexpected, "end of line") == 0 ||
	    strcmp(unexpected, "end of file") == 0 || loc->src == NULL || loc->end <= loc->begin) {
		snprintf(what, sizeof what, "%s", unexpected ? unexpected : "this");
	} else {
		size_t len = loc->end - loc->begin;
		snprintf(what, sizeof what, "'%.*s%s'", (int)(len > TOKEN_QUOTE_MAX ? TOKEN_QUOTE_MAX : len),
		         loc->src->text + loc->begin, len > TOKEN_QUOTE_MAX ? ELLIPSIS : "");
	}
	if (ni == 0) {
		asm_error(a, loc, "unexpected %s", what);
		return;
	}
	list[0] = '\0';
	for (i = 0; i < ni && used < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
		                         i == 0 ? "" : i + 1 == ni ? " or " : ", ", items[i]);
	asm_error(a, loc, "expected %s before %s", list, what);
}

/* ---- did you mean ------------------------------------------------------ */

size_t asm_edit_distance(const char *s, size_t ns, const char *t, size_t nt, size_t cap)
{
	size_t row[EDIT_WORD_MAX + 1];

	if (ns > EDIT_WORD_MAX || nt > EDIT_WORD_MAX)
		return cap + 1;
	if ((ns > nt ? ns - nt : nt - ns) > cap)
		return cap + 1;
	for (size_t j = 0; j <= nt; j++)
		row[j] = j;
	for (size_t i = 1; i <= ns; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nt; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)s[i - 1]) == tolower((unsigned char)t[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nt];
}

void asm_suggest_init(struct asm_suggest *s, const char *word, size_t len)
{
	*s = (struct asm_suggest){ .word = word, .len = len, .dist = ASM_SUGGEST_MAX_DISTANCE + 1 };
}

void asm_suggest_try(struct asm_suggest *s, const char *cand, size_t cand_len)
{
	size_t d = asm_edit_distance(s->word, s->len, cand, cand_len, s->dist);

	/* "mov" for "mv" is a guess; "b" for "x" is noise. */
	if (d < s->dist && d < s->len && d < cand_len) {
		s->dist = d;
		s->best = cand;
	}
}
