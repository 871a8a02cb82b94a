/*
 * asm_expr.c -- expression values of the assembler.
 *
 * Expressions are not kept as trees: the parser computes each value as it
 * reduces the expression, with C's operators and precedence, in 64-bit
 * two's complement arithmetic.  A value carries whether it is known (every
 * symbol in it has a value) and known now (every symbol was defined before
 * this line in this pass), and the first problem met (an undefined symbol,
 * a division by zero), which is reported only where the value is used and
 * only in the final pass, when every symbol of the program has been seen.
 */
#include "asm_impl.h"

#include <string.h>

#define HEX_BASE 16
#define DEC_BASE 10
#define BIN_BASE 2
#define SHIFT_LIMIT 63 /* shifts of a 64-bit value */
#define HEX_ESCAPE_DIGITS 2
#define RADIX_PREFIX_LEN 2 /* "0x", "0b" */
#define QUOTE_LEN 1         /* the '"' at each end of a string */

struct asm_value asm_val_number(int64_t v)
{
	return (struct asm_value){ .v = v, .known = true, .now = true };
}

struct asm_value asm_val_pc(const struct asm_ctx *a)
{
	return asm_val_number(a->pc);
}

static void set_problem(struct asm_value *r, enum asm_problem p, uint32_t begin, uint32_t end)
{
	/* The first error wins; an error beats a mere "defined later". */
	if (r->problem == ASM_PROB_NONE ||
	    (r->problem == ASM_PROB_LATER && p != ASM_PROB_LATER)) {
		r->problem = (uint8_t)p;
		r->pbegin = begin;
		r->pend = end;
	}
}

struct asm_value asm_val_symbol(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc)
{
	struct asm_value r = { .is_sym = true };
	const struct asm_sym *s = asm_sym_find(a, name.p, name.n);

	if (s != NULL && s->pass > 0) {
		r.v = s->value;
		r.known = true;
		r.now = s->builtin || s->pass == a->pass;
		if (!r.now)
			set_problem(&r, ASM_PROB_LATER, loc->begin, loc->end);
	} else {
		/* Before the last pass it may still be defined further down. */
		set_problem(&r, a->final ? ASM_PROB_UNDEF : ASM_PROB_LATER, loc->begin, loc->end);
	}
	return r;
}

struct asm_value asm_val_local(struct asm_ctx *a, struct asm_slice ref, const struct asm_loc *loc)
{
	struct asm_value r = { 0 };
	int64_t n;
	bool back = asm_lower(ref.p[ref.n - 1]) == 'b';
	const struct asm_local *l = NULL;

	if (asm_parse_number(ref.p, ref.n - 1, &n))
		l = asm_local_get(a, n, false);
	if (back) {
		if (l != NULL && l->seen > 0 && l->seen <= l->n) {
			r = asm_val_number(l->addrs[l->seen - 1]);
			return r;
		}
		set_problem(&r, ASM_PROB_LOCAL, loc->begin, loc->end);
	} else if (l != NULL && l->seen < l->n) {
		r.v = l->addrs[l->seen];
		r.known = true;
		set_problem(&r, ASM_PROB_LATER, loc->begin, loc->end);
	} else {
		set_problem(&r, a->final ? ASM_PROB_LOCAL : ASM_PROB_LATER, loc->begin, loc->end);
	}
	return r;
}

struct asm_value asm_val_unary(enum asm_unop op, struct asm_value x)
{
	uint64_t u = (uint64_t)x.v;

	x.is_sym = false;
	if (!x.known)
		return x;
	switch (op) {
	case ASM_OP_NEG: x.v = (int64_t)(0 - u); break;
	case ASM_OP_NOT: x.v = (int64_t)~u; break;
	case ASM_OP_LNOT: x.v = x.v == 0; break;
	case ASM_OP_PLUS: break;
	}
	return x;
}

/* x >> n for 0 <= n <= 63, sign-filling, without implementation-defined C. */
static int64_t shift_right(int64_t x, unsigned n)
{
	if (x >= 0)
		return x >> n;
	return (int64_t) ~(~(uint64_t)x >> n);
}

struct asm_value asm_val_binary(enum asm_binop op, struct asm_value x, struct asm_value y,
                                const struct asm_loc *loc)
{
	struct asm_value r = { .known = x.known && y.known, .now = x.now && y.now };
	uint64_t a = (uint64_t)x.v, b = (uint64_t)y.v;

	if (x.problem != ASM_PROB_NONE && x.problem != ASM_PROB_LATER)
		set_problem(&r, x.problem, x.pbegin, x.pend);
	if (y.problem != ASM_PROB_NONE && y.problem != ASM_PROB_LATER)
		set_problem(&r, y.problem, y.pbegin, y.pend);
	if (x.problem == ASM_PROB_LATER)
		set_problem(&r, ASM_PROB_LATER, x.pbegin, x.pend);
	if (y.problem == ASM_PROB_LATER)
		set_problem(&r, ASM_PROB_LATER, y.pbegin, y.pend);
	if (!r.known)
		return r;

	switch (op) {
	case ASM_OP_MUL: r.v = (int64_t)(a * b); break;
	case ASM_OP_DIV:
	case ASM_OP_MOD:
		if (y.v == 0) {
			set_problem(&r, ASM_PROB_DIVZERO, loc->begin, loc->end);
			r.known = r.now = false;
		} else if (y.v == -1) {
			/* x / -1 is -x, and INT64_MIN / -1 would trap in C. */
			r.v = op == ASM_OP_DIV ? (int64_t)(0 - a) : 0;
		} else {
			r.v = op == ASM_OP_DIV ? x.v / y.v : x.v % y.v;
		}
		break;
	case ASM_OP_ADD: r.v = (int64_t)(a + b); break;
	case ASM_OP_SUB: r.v = (int64_t)(a - b); break;
	case ASM_OP_SHL:
	case ASM_OP_SHR:
		if (y.v < 0 || y.v > SHIFT_LIMIT) {
			set_problem(&r, ASM_PROB_SHIFT, loc->begin, loc->end);
			r.known = r.now = false;
		} else {
			r.v = op == ASM_OP_SHL ? (int64_t)(a << y.v) : shift_right(x.v, (unsigned)y.v);
		}
		break;
	case ASM_OP_LT: r.v = x.v < y.v; break;
	case ASM_OP_LE: r.v = x.v <= y.v; break;
	case ASM_OP_GT: r.v = x.v > y.v; break;
	case ASM_OP_GE: r.v = x.v >= y.v; break;
	case ASM_OP_EQ: r.v = x.v == y.v; break;
	case ASM_OP_NE: r.v = x.v != y.v; break;
	case ASM_OP_AND: r.v = (int64_t)(a & b); break;
	case ASM_OP_XOR: r.v = (int64_t)(a ^ b); break;
	case ASM_OP_OR: r.v = (int64_t)(a | b); break;
	case ASM_OP_LAND: r.v = x.v != 0 && y.v != 0; break;
	case ASM_OP_LOR: r.v = x.v != 0 || y.v != 0; break;
	}
	return r;
}

static void report(struct asm_ctx *a, const struct asm_value *v, const struct asm_loc *loc)
{
	struct asm_loc at = *loc;
	struct asm_slice t;
	const char *hint;

	at.begin = v->pbegin;
	at.end = v->pend;
	t = (struct asm_slice){ at.src->text + at.begin, at.end - at.begin };

	switch ((enum asm_problem)v->problem) {
	case ASM_PROB_LATER:
		asm_error_late(a, &at,
		               "'%.*s' is defined further down, but this value must be known here",
		               (int)t.n, t.p);
		break;
	case ASM_PROB_UNDEF:
		hint = asm_sym_suggest(a, t.p, t.n);
		if (hint != NULL)
			asm_error_late(a, &at, "undefined symbol '%.*s'; did you mean '%s'?",
			               (int)t.n, t.p, hint);
		else
			asm_error_late(a, &at, "undefined symbol '%.*s'", (int)t.n, t.p);
		break;
	case ASM_PROB_LOCAL:
		if (t.n > 0 && asm_lower(t.p[t.n - 1]) == 'b')
			asm_error_late(a, &at, "no local label '%.*s:' before '%.*s'", (int)t.n - 1,
			               t.p, (int)t.n, t.p);
		else
			asm_error_late(a, &at, "no local label '%.*s:' after '%.*s'",
			               (int)(t.n > 0 ? t.n - 1 : 0), t.p, (int)t.n, t.p);
		break;
	case ASM_PROB_DIVZERO:
		asm_error_late(a, &at, "division by zero in expression");
		break;
	case ASM_PROB_SHIFT:
		asm_error_late(a, &at, "shift count out of range (0..%d)", SHIFT_LIMIT);
		break;
	case ASM_PROB_NONE:
		break;
	}
}

bool asm_val_check(struct asm_ctx *a, const struct asm_value *v, bool now,
                   const struct asm_loc *loc)
{
	bool error = v->problem != ASM_PROB_NONE && v->problem != ASM_PROB_LATER;
	bool ok = !error && (now ? v->now : v->known);

	if (!ok && a->final)
		report(a, v, loc);
	return ok;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = asm_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + DEC_BASE;
	return -1;
}

bool asm_parse_number(const char *p, size_t n, int64_t *out)
{
	unsigned base = DEC_BASE;
	uint64_t v = 0;
	size_t i = 0;

	if (n > RADIX_PREFIX_LEN && p[0] == '0' && (asm_lower(p[1]) == 'x' || asm_lower(p[1]) == 'b')) {
		base = asm_lower(p[1]) == 'x' ? HEX_BASE : BIN_BASE;
		i = RADIX_PREFIX_LEN;
	}
	if (i >= n)
		return false;
	for (; i < n; i++) {
		int d = digit_value(p[i]);
		if (d < 0 || (unsigned)d >= base)
			return false;
		v = v * base + (unsigned)d;
		if (v > ASM_NUMBER_MAX)
			return false;
	}
	*out = (int64_t)v;
	return true;
}

const char *asm_string_body(const struct asm_operand *op, size_t *len)
{
	size_t n = op->text.n;
	bool closed = n >= 2 * QUOTE_LEN && op->text.p[n - 1] == '"';

	*len = n - QUOTE_LEN - (closed ? QUOTE_LEN : 0);
	return op->text.p + QUOTE_LEN;
}

size_t asm_unescape(const char *p, size_t n, uint8_t *out, size_t cap, size_t *bad)
{
	size_t i = 0, len = 0;

	if (bad != NULL)
		*bad = n;
	while (i < n) {
		uint8_t c = (uint8_t)p[i++];
		if (c == '\\' && i < n) {
			char e = p[i++];
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			case '\\': c = '\\'; break;
			case '\'': c = '\''; break;
			case '"': c = '"'; break;
			case 'x': {
				int k, d, v = 0;
				for (k = 0; k < HEX_ESCAPE_DIGITS && i < n && (d = digit_value(p[i])) >= 0; k++, i++)
					v = v * HEX_BASE + d;
				if (k == 0 && bad != NULL && *bad == n)
					*bad = i - 2;
				c = (uint8_t)v;
				break;
			}
			default:
				if (bad != NULL && *bad == n)
					*bad = i - 2;
				c = (uint8_t)e;
				break;
			}
		}
		if (out != NULL && len < cap)
			out[len] = c;
		len++;
	}
	return len;
}
