/*
 * asm_macro.c -- macros (.macro NAME PARAM, ... / .endm) and conditional
 * assembly (.if / .else / .endif).
 *
 * A macro's body is kept as text.  A call substitutes the arguments' text
 * for \PARAM (and a number unique to the expansion for \@; \() is an empty
 * separator) and assembles the result as a new source, parsed recursively
 * like an .include.  Each expansion source remembers the call site and
 * where the body lines came from, so diagnostics name both.
 *
 * Conditionals are a stack of branches.  The scanner asks
 * asm_cond_skipping() at the start of every line and skips the lines of a
 * false branch itself, so their text is never parsed.
 */
#include "asm_impl.h"

#include <stdlib.h>
#include <string.h>

#define SERIAL_TEXT_MAX 24
#define UNIQUE_MARK "\\@"     /* replaced by the expansion's number */
#define SEPARATOR_MARK "\\()" /* replaced by nothing */

static void macro_free(struct asm_macro *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->params);
	free(m->body);
	free(m);
}

struct asm_macro *asm_macro_find(const struct asm_ctx *a, const char *name, size_t len)
{
	return asm_map_get(&a->macros, name, len);
}

void asm_macro_param(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc)
{
	for (size_t i = 0; i < a->nparams; i++) {
		if (a->params[i].n == name.n && memcmp(a->params[i].p, name.p, name.n) == 0) {
			asm_error(a, loc, "duplicate macro parameter '%.*s'", (int)name.n, name.p);
			return;
		}
	}
	if (asm_grow(a, (void **)&a->params, &a->paramcap, a->nparams + 1, sizeof *a->params))
		a->params[a->nparams++] = name;
}

void asm_macro_begin(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc)
{
	struct asm_macro *m = calloc(1, sizeof *m), *old;

	macro_free(a->defining);
	a->defining = m;
	if (m == NULL || (m->name = malloc(name.n + 1)) == NULL ||
	    (a->nparams > 0 && (m->params = malloc(a->nparams * sizeof *m->params)) == NULL)) {
		asm_out_of_memory(a);
		return;
	}
	memcpy(m->name, name.p, name.n);
	m->name[name.n] = '\0';
	m->len = name.n;
	m->def = *loc;
	asm_list_source_line(a, loc);
	if (a->nparams > 0)
		memcpy(m->params, a->params, a->nparams * sizeof *m->params);
	m->nparams = a->nparams;
	a->nparams = 0;
	if (asm_mnem_find(a, name.p, name.n) != NULL) {
		asm_error(a, loc, "'%s' is an instruction; a macro cannot have its name", m->name);
		m->bad = true;
	} else if ((old = asm_macro_find(a, name.p, name.n)) != NULL) {
		asm_error(a, loc, "redefinition of macro '%s'", m->name);
		asm_note(a, &old->def, "the first definition of '%s' is here", m->name);
		m->bad = true;
	}
}

void asm_macro_begin_bad(struct asm_ctx *a, const struct asm_loc *loc)
{
	macro_free(a->defining);
	a->defining = calloc(1, sizeof *a->defining);
	a->nparams = 0;
	if (a->defining == NULL) {
		asm_out_of_memory(a);
		return;
	}
	a->defining->bad = true;
	a->defining->def = *loc;
}

void asm_macro_line(struct asm_ctx *a, struct asm_slice line, const struct asm_loc *loc)
{
	struct asm_macro *m = a->defining;

	asm_list_source_line(a, loc);
	if (m == NULL || m->bad)
		return;
	if (!m->has_body_line) {
		m->has_body_line = true;
		m->body_src = loc->src;
		m->body_line = loc->line;
	}
	if (!asm_grow(a, (void **)&m->body, &m->body_cap, m->body_len + line.n + 1, 1))
		return;
	memcpy(m->body + m->body_len, line.p, line.n);
	m->body_len += line.n;
	m->body[m->body_len++] = '\n';
}

void asm_macro_end(struct asm_ctx *a, bool unterminated, const struct asm_loc *loc)
{
	struct asm_macro *m = a->defining;

	a->defining = NULL;
	if (m == NULL)
		return;
	if (unterminated)
		asm_error(a, m->name ? &m->def : loc, "'.macro %s' has no '.endm'",
		          m->name ? m->name : "");
	if (m->bad || m->name == NULL ||
	    !asm_grow(a, (void **)&a->macrolist, &a->macrocap, a->nmacros + 1, sizeof *a->macrolist) ||
	    !asm_map_put(&a->macros, m->name, m->len, m)) {
		macro_free(m);
		return;
	}
	if (!m->has_body_line) {
		m->body_src = m->def.src;
		m->body_line = m->def.line + 1;
	}
	a->macrolist[a->nmacros++] = m;
}

/* Append n bytes to a growing text. */
static bool text_add(struct asm_ctx *a, char **buf, size_t *len, size_t *cap, const char *p,
                     size_t n)
{
	if (!asm_grow(a, (void **)buf, cap, *len + n + 1, 1))
		return false;
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

/* The body with the arguments substituted; NULL on failure (reported). */
static char *macro_substitute(struct asm_ctx *a, const struct asm_macro *m, unsigned serial,
                              size_t *out_len)
{
	char *buf = NULL, num[SERIAL_TEXT_MAX];
	size_t len = 0, cap = 0, i = 0;
	bool ok = text_add(a, &buf, &len, &cap, "", 0);

	while (ok && i < m->body_len) {
		const char *p = m->body + i;
		size_t rest = m->body_len - i, j, k;

		if (p[0] != '\\' || rest < strlen(UNIQUE_MARK)) {
			ok = text_add(a, &buf, &len, &cap, p, 1);
			i++;
			continue;
		}
		if (strncmp(p, UNIQUE_MARK, strlen(UNIQUE_MARK)) == 0) {
			int n = snprintf(num, sizeof num, "%u", serial);
			ok = text_add(a, &buf, &len, &cap, num, (size_t)n);
			i += strlen(UNIQUE_MARK);
			continue;
		}
		if (rest >= strlen(SEPARATOR_MARK) && strncmp(p, SEPARATOR_MARK, strlen(SEPARATOR_MARK)) == 0) {
			i += strlen(SEPARATOR_MARK); /* separates a parameter from what follows */
			continue;
		}
		for (j = 1; j < rest && asm_is_name_char(p[j]); j++)
			;
		for (k = 0; k < m->nparams; k++)
			if (m->params[k].n == j - 1 && memcmp(m->params[k].p, p + 1, j - 1) == 0)
				break;
		if (j == 1 || k == m->nparams) {
			ok = text_add(a, &buf, &len, &cap, p, 1); /* not a parameter: keep the backslash */
			i++;
			continue;
		}
		const struct asm_loc *arg = &a->ops[k].loc;
		ok = text_add(a, &buf, &len, &cap, arg->src->text + arg->begin, arg->end - arg->begin);
		i += j;
		if (ok && a->expansion_bytes + len > ASM_MAX_EXPANSION_BYTES) {
			asm_fatal(a, &a->ops[k].loc, "macro expansions grew past %u bytes",
			          ASM_MAX_EXPANSION_BYTES);
			ok = false;
		}
	}
	if (!ok) {
		free(buf);
		return NULL;
	}
	*out_len = len;
	return buf;
}

void asm_macro_expand(struct asm_ctx *a, struct asm_macro *m, const struct asm_loc *loc)
{
	struct asm_listline saved;
	struct asm_src *src;
	unsigned serial;
	size_t len;
	char *text;

	if (a->nops != m->nparams) {
		asm_error(a, loc, "macro '%s' takes %zu argument%s, not %zu", m->name, m->nparams,
		          m->nparams == 1 ? "" : "s", a->nops);
		asm_note(a, &m->def, "'%s' is defined here", m->name);
		return;
	}
	if (a->macro_depth >= ASM_MAX_MACRO_DEPTH) {
		asm_error(a, loc, "macro calls nested more than %d deep; does '%s' call itself?",
		          ASM_MAX_MACRO_DEPTH, m->name);
		return;
	}
	if (a->expansions >= ASM_MAX_EXPANSIONS) {
		asm_fatal(a, loc, "more than %u macro expansions", ASM_MAX_EXPANSIONS);
		return;
	}
	a->expansions++;
	serial = a->expansion_serial++;
	text = macro_substitute(a, m, serial, &len);
	if (text == NULL)
		return;
	a->expansion_bytes += len;
	src = asm_src_new(a, ASM_SRC_MACRO, m->name, m->len, text, len);
	if (src == NULL) {
		free(text);
		return;
	}
	src->owns_text = true;
	src->site = *loc;
	src->origin = m->body_src;
	src->origin_line = m->body_line;

	asm_list_line(a, loc);
	saved = a->line;
	memset(&a->line, 0, sizeof a->line);
	a->nops = 0; /* the arguments are in the text now */
	a->line_bad = false;
	a->macro_depth++;
	asm_parse_source(a, src);
	a->macro_depth--;
	a->line = saved;
}

/* ---- conditionals --------------------------------------------------------- */

void asm_cond_if(struct asm_ctx *a, const struct asm_loc *loc)
{
	bool taken = false;
	struct asm_cond *c;

	if (a->nops != 1 || a->ops[0].kind != ASM_OPK_EXPR)
		asm_error(a, a->nops > 0 ? &a->ops[0].loc : loc, "'.if' takes one expression");
	else if (asm_val_check(a, &a->ops[0].val, true, &a->ops[0].loc))
		taken = a->ops[0].val.v != 0;
	if (!asm_grow(a, (void **)&a->conds, &a->condcap, a->nconds + 1, sizeof *a->conds))
		return;
	c = &a->conds[a->nconds++];
	memset(c, 0, sizeof *c);
	c->loc = *loc;
	c->active = taken;
}

void asm_cond_else(struct asm_ctx *a, const struct asm_loc *loc)
{
	struct asm_cond *c;

	if (a->nops != 0)
		asm_error(a, &a->ops[0].loc, "'.else' takes no operands");
	if (a->nconds <= a->cond_base) {
		asm_error(a, loc, "'.else' without '.if'");
		return;
	}
	c = &a->conds[a->nconds - 1];
	if (c->seen_else) {
		asm_error(a, loc, "second '.else' for one '.if'");
		asm_note(a, &c->else_loc, "the first '.else' is here");
		return;
	}
	/* The enclosing branch is being assembled (or we would not be
	 * here), so the else branch is taken exactly when the if was not. */
	c->seen_else = true;
	c->else_loc = *loc;
	c->active = !c->active;
}

void asm_cond_endif(struct asm_ctx *a, const struct asm_loc *loc)
{
	if (a->nops != 0)
		asm_error(a, &a->ops[0].loc, "'.endif' takes no operands");
	if (a->nconds <= a->cond_base) {
		asm_error(a, loc, "'.endif' without '.if'");
		return;
	}
	a->nconds--;
}

bool asm_cond_skipping(const struct asm_ctx *a)
{
	return a->nconds > 0 && !a->conds[a->nconds - 1].active;
}

void asm_cond_close(struct asm_ctx *a, size_t base)
{
	while (a->nconds > base) {
		a->nconds--;
		asm_error(a, &a->conds[a->nconds].loc, "'.if' without '.endif'");
	}
}

void asm_macro_pass_begin(struct asm_ctx *a)
{
	asm_macro_free(a);
	a->expansions = 0;
	a->expansion_bytes = 0;
	a->expansion_serial = 0;
	a->macro_depth = 0;
	a->include_depth = 0;
	a->nconds = 0;
	a->cond_base = 0;
}

void asm_macro_free(struct asm_ctx *a)
{
	for (size_t i = 0; i < a->nmacros; i++)
		macro_free(a->macrolist[i]);
	a->nmacros = 0;
	asm_map_free(&a->macros);
	macro_free(a->defining);
	a->defining = NULL;
}
