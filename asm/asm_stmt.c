/*
 * asm_stmt.c -- statements: instructions from the ISA table,
 * pseudo-instructions, directives, the bytes they emit, and the listing.
 *
 * The parser hands over each line's operands (registers, expressions,
 * memory operands, strings) without knowing what they are for; here they
 * are checked against the instruction's format (ISA_FMT_* from isa.def) or
 * the directive's needs, and encoded with isa_encode().  Every statement
 * emits the same number of bytes in both passes, even when it has errors,
 * so one mistake does not shift every label after it.
 */
#include "asm_impl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIST_ENCODING_WIDTH 11 /* "xx xx xx xx" or "xxxxxxxx" */
#define VARIANT_TEXT_MAX 128
#define ISA_SPEC_MAX 128
#define ENCODE_MSG_MAX 128
#define NAME_QUOTE_MAX 64 /* longest unknown name quoted back */

/* ---- names: directives, pseudo-instructions, mnemonics -------------------- */

static const char *const directive_names[ASM_NDIRS] = {
	[ASM_DIR_UNKNOWN] = "",
#define DIR_NAME(name, spelling, ops, what) [ASM_DIR_##name] = spelling,
	ASM_DIRECTIVES(DIR_NAME)
#undef DIR_NAME
};

struct pseudo_info {
	const char *name, *pattern, *syntax;
	size_t words;
};
static const struct pseudo_info pseudo_table[ASM_NPSEUDOS] = {
#define PSEUDO_ROW(name, spelling, pattern, syntax, words, expansion) \
	[ASM_PSEUDO_##name] = { spelling, pattern, syntax, words },
	ASM_PSEUDOS(PSEUDO_ROW)
#undef PSEUDO_ROW
};

enum asm_directive asm_directive_lookup(const char *name, size_t len)
{
	for (unsigned d = ASM_DIR_UNKNOWN + 1; d < ASM_NDIRS; d++)
		if (strlen(directive_names[d]) == len && strncasecmp(directive_names[d], name, len) == 0)
			return (enum asm_directive)d;
	return ASM_DIR_UNKNOWN;
}

void asm_mnem_init(struct asm_ctx *a)
{
	size_t n = 0;

	/* The mnemonics are the ISA table's: no list is kept here. */
	for (unsigned op = ISA_OP_UNDEFINED + 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		if (info == NULL || asm_map_get(&a->mnem_map, info->mnemonic, strlen(info->mnemonic)))
			continue;
		a->mnems[n] = (struct asm_mnem){ ASM_MNEM_INSN, op, info->mnemonic };
		if (!asm_map_put(&a->mnem_map, info->mnemonic, strlen(info->mnemonic), &a->mnems[n]))
			goto nomem;
		n++;
	}
	/* A pseudo-instruction never hides a real one of the same name. */
	for (unsigned p = ASM_PSEUDO_NONE + 1; p < ASM_NPSEUDOS; p++) {
		const char *name = pseudo_table[p].name;
		if (asm_map_get(&a->mnem_map, name, strlen(name)))
			continue;
		a->mnems[n] = (struct asm_mnem){ ASM_MNEM_PSEUDO, p, name };
		if (!asm_map_put(&a->mnem_map, name, strlen(name), &a->mnems[n]))
			goto nomem;
		n++;
	}
	a->nmnems = n;
	return;
nomem:
	a->nmnems = n;
	asm_out_of_memory(a);
}

const struct asm_mnem *asm_mnem_find(const struct asm_ctx *a, const char *name, size_t len)
{
	char lower[ASM_NAME_MAX];

	if (len >= sizeof lower)
		return NULL;
	for (size_t i = 0; i < len; i++)
		lower[i] = asm_lower(name[i]);
	return asm_map_get(&a->mnem_map, lower, len);
}

/* ---- operands ------------------------------------------------------------- */

static struct asm_operand *new_operand(struct asm_ctx *a, const struct asm_loc *loc)
{
	struct asm_operand *op;

	if (!asm_grow(a, (void **)&a->ops, &a->opcap, a->nops + 1, sizeof *a->ops))
		return NULL;
	op = &a->ops[a->nops++];
	memset(op, 0, sizeof *op);
	op->loc = *loc;
	return op;
}

void asm_op_reg(struct asm_ctx *a, unsigned reg, const struct asm_loc *loc)
{
	struct asm_operand *op = new_operand(a, loc);
	if (op != NULL) {
		op->kind = ASM_OPK_REG;
		op->reg = reg;
	}
}

void asm_op_expr(struct asm_ctx *a, const struct asm_value *v, const struct asm_loc *loc)
{
	struct asm_operand *op = new_operand(a, loc);
	if (op != NULL) {
		op->kind = ASM_OPK_EXPR;
		op->val = *v;
	}
}

void asm_op_mem(struct asm_ctx *a, const struct asm_value *off, unsigned reg,
                const struct asm_loc *loc)
{
	struct asm_operand *op = new_operand(a, loc);
	if (op != NULL) {
		op->kind = ASM_OPK_MEM;
		op->reg = reg;
		op->has_offset = off != NULL;
		op->val = off != NULL ? *off : asm_val_number(0);
	}
}

void asm_op_string(struct asm_ctx *a, struct asm_slice text, const struct asm_loc *loc)
{
	struct asm_operand *op = new_operand(a, loc);
	if (op != NULL) {
		op->kind = ASM_OPK_STRING;
		op->text = text;
	}
}

void asm_missing_comma(struct asm_ctx *a, const struct asm_loc *loc)
{
	asm_error(a, loc, "missing ',' before '%.*s'", (int)(loc->end - loc->begin),
	          loc->src->text + loc->begin);
}

static const char *kind_phrase(enum asm_opkind k)
{
	switch (k) {
	case ASM_OPK_REG: return "a register";
	case ASM_OPK_EXPR: return "an expression";
	case ASM_OPK_MEM: return "a memory operand";
	case ASM_OPK_STRING: return "a string";
	}
	return "?";
}

/* Check the operands against a pattern: r register, i immediate value,
 * t branch target, m memory operand, s string, e expression. */
static bool check_operands(struct asm_ctx *a, const char *what, const char *pattern,
                           const char *syntax, const struct asm_loc *loc)
{
	size_t want = strlen(pattern);

	if (a->nops != want) {
		const struct asm_loc *at = a->nops > want ? &a->ops[want].loc : loc;
		if (want == 0)
			asm_error(a, at, "'%s' takes no operands", what);
		else
			asm_error(a, at, "'%s' takes %zu operand%s (%s %s), not %zu", what, want,
			          want == 1 ? "" : "s", what, syntax, a->nops);
		return false;
	}
	for (size_t i = 0; i < want; i++) {
		const struct asm_operand *op = &a->ops[i];
		const char *need = NULL;
		enum asm_opkind kind = ASM_OPK_EXPR;

		switch (pattern[i]) {
		case 'r': kind = ASM_OPK_REG; need = "a register"; break;
		case 'i': need = "an immediate value"; break;
		case 't': need = "a branch target (a label or an address)"; break;
		case 'e': need = "an expression"; break;
		case 'm': kind = ASM_OPK_MEM; need = "a memory operand such as 8(sp)"; break;
		case 's': kind = ASM_OPK_STRING; need = "a string"; break;
		default: break;
		}
		if (op->kind != kind) {
			asm_error(a, &op->loc, "expected %s for operand %zu of '%s', not %s", need, i + 1,
			          what, kind_phrase(op->kind));
			return false;
		}
	}
	return true;
}

/* ---- emitting --------------------------------------------------------------- */

static bool seg_append(struct asm_ctx *a, const uint8_t *bytes, size_t n, uint8_t fill,
                       const struct asm_loc *loc)
{
	struct asm_seg *s;

	if (!a->seg_open) {
		if (!asm_grow(a, (void **)&a->segs, &a->segcap, a->nsegs + 1, sizeof *a->segs))
			return false;
		s = &a->segs[a->nsegs++];
		memset(s, 0, sizeof *s);
		s->addr = a->pc;
		s->loc = *loc;
		a->seg_open = true;
	}
	s = &a->segs[a->nsegs - 1];
	if (!asm_grow(a, (void **)&s->data, &s->cap, s->len + n, 1))
		return false;
	if (bytes != NULL)
		memcpy(s->data + s->len, bytes, n);
	else
		memset(s->data + s->len, fill, n);
	s->len += n;
	return true;
}

static void list_capture(struct asm_ctx *a, const uint8_t *bytes, size_t n, uint8_t fill,
                         enum asm_emit_kind kind)
{
	struct asm_listline *l = &a->line;

	if (!l->emitted) {
		l->emitted = true;
		l->addr = a->pc;
		l->words = kind != ASM_EMIT_BYTES;
	}
	for (size_t i = 0; i < n && l->n + i < ASM_LIST_BYTES; i++)
		l->bytes[l->n + i] = bytes != NULL ? bytes[i] : fill;
	l->n += n;
}

void asm_emit(struct asm_ctx *a, const uint8_t *bytes, size_t n, uint8_t fill,
              enum asm_emit_kind kind, const struct asm_loc *loc)
{
	uint64_t end = (uint64_t)a->pc + n;

	if (n == 0)
		return;
	/* The labels just before learn what they label. */
	for (size_t i = 0; i < a->npending; i++)
		a->pending[i]->kind = kind == ASM_EMIT_CODE ? IMG_SYM_CODE : IMG_SYM_DATA;
	a->npending = 0;

	if (a->pc < PG32_TRAP_AREA_END || end > PG32_MEM_MAX) {
		if (!a->pc_bad)
			asm_error(a, loc,
			          a->pc < PG32_TRAP_AREA_END
			                  ? "bytes at 0x%08x would overlap the trap area (below 0x%x), which an image cannot load"
			                  : "bytes at 0x%08x would lie past the largest memory (0x%x bytes)",
			          a->pc, a->pc < PG32_TRAP_AREA_END ? PG32_TRAP_AREA_END : PG32_MEM_MAX);
		a->pc_bad = true;
		a->pc = end > PG32_MEM_MAX ? PG32_MEM_MAX : (uint32_t)end;
		return;
	}
	if (a->listing != NULL && a->final)
		list_capture(a, bytes, n, fill, kind);
	if (!a->emitted_any) {
		a->emitted_any = true;
		a->first_emit = a->pc;
	}
	if (a->store && !seg_append(a, bytes, n, fill, loc))
		return;
	a->pc = (uint32_t)end;
}

static void emit_word(struct asm_ctx *a, uint32_t w, enum asm_emit_kind kind,
                      const struct asm_loc *loc)
{
	uint8_t b[ISA_WORD_BYTES];
	pg32_store32(b, w);
	asm_emit(a, b, sizeof b, 0, kind, loc);
}

static void emit_insn(struct asm_ctx *a, enum isa_opcode op, unsigned rd, unsigned rs,
                      unsigned rt, int32_t imm, const struct asm_loc *loc)
{
	struct isa_insn in = { .op = op, .rd = (uint8_t)rd, .rs = (uint8_t)rs, .rt = (uint8_t)rt,
	                       .imm = imm };
	char msg[ENCODE_MSG_MAX];
	uint32_t w = 0;

	if (isa_encode(&in, &w, msg, sizeof msg) != 0) {
		asm_error_late(a, loc, "cannot encode '%s': %s", isa_info(op)->mnemonic, msg);
		w = 0;
	}
	emit_word(a, w, ASM_EMIT_CODE, loc);
}

/* Placeholder words for a statement with errors: the layout stays. */
static void emit_placeholder(struct asm_ctx *a, size_t words, const struct asm_loc *loc)
{
	for (size_t i = 0; i < words; i++)
		emit_word(a, 0, ASM_EMIT_CODE, loc);
}

static void check_aligned(struct asm_ctx *a, const struct asm_loc *loc)
{
	if (a->pc % ISA_WORD_BYTES != 0)
		asm_error(a, loc, "instruction at 0x%08x is not on a %u-byte boundary; put '.align %u' before it",
		          a->pc, ISA_WORD_BYTES, ISA_WORD_BYTES);
}

/* ---- instructions from the table ------------------------------------------- */

/* The operand pattern of a format (see check_operands). */
static const char *format_pattern(enum isa_format f)
{
	switch (f) {
	case ISA_FMT_N: return "";
	case ISA_FMT_RRR: return "rrr";
	case ISA_FMT_RR: return "rr";
	case ISA_FMT_R: return "r";
	case ISA_FMT_RRI:
	case ISA_FMT_RRU:
	case ISA_FMT_RRS: return "rri";
	case ISA_FMT_RI:
	case ISA_FMT_RU: return "ri";
	case ISA_FMT_MEM: return "rm";
	case ISA_FMT_J: return "t";
	case ISA_FMT_U: return "i";
	case ISA_NFORMATS: break;
	}
	return "";
}

/* The value of an immediate operand for format f, range-checked in the
 * final pass; scale -1 negates it (subi). */
static int32_t field_value(struct asm_ctx *a, const struct asm_operand *op, enum isa_format f,
                           const char *mnemonic, int64_t scale)
{
	int32_t lo, hi;
	int64_t v;

	if (!asm_val_check(a, &op->val, false, &op->loc) || !isa_imm_range(f, &lo, &hi))
		return 0;
	v = op->val.v * scale;
	if (v < lo || v > hi) {
		int64_t shown_lo = scale < 0 ? (int64_t)hi * scale : (int64_t)lo * scale;
		int64_t shown_hi = scale < 0 ? (int64_t)lo * scale : (int64_t)hi * scale;
		asm_error_late(a, &op->loc, "%s %lld out of range for '%s' (%lld..%lld)",
		               f == ISA_FMT_RRS ? "shift count" : f == ISA_FMT_MEM ? "offset" : "immediate",
		               (long long)op->val.v, mnemonic, (long long)shown_lo, (long long)shown_hi);
		return 0;
	}
	return (int32_t)v;
}

/* off24 of a branch from the pc to the operand's target.  Addresses are
 * 32-bit and wrap, as the CPU's pc + 4 + 4 * off24 does: the disassembler
 * prints a branch below address 0 as a target near 0xffffffff. */
static int32_t branch_offset(struct asm_ctx *a, const struct asm_operand *op, const char *mnemonic)
{
	int64_t delta;

	if (!asm_val_check(a, &op->val, false, &op->loc))
		return 0;
	if (op->val.v < ASM_WORD_MIN || op->val.v > ASM_WORD_MAX) {
		asm_error_late(a, &op->loc, "branch target %lld is not a 32-bit address",
		               (long long)op->val.v);
		return 0;
	}
	delta = (int32_t)((uint32_t)op->val.v - (a->pc + ISA_WORD_BYTES));
	if (delta % ISA_WORD_BYTES != 0) {
		asm_error_late(a, &op->loc, "branch target 0x%x is not a multiple of %u",
		               (uint32_t)op->val.v, ISA_WORD_BYTES);
		return 0;
	}
	if (delta / ISA_WORD_BYTES < ISA_OFF24_MIN || delta / ISA_WORD_BYTES > ISA_OFF24_MAX) {
		asm_error_late(a, &op->loc,
		               "branch target 0x%x out of range for '%s' at 0x%08x (%d..%d words from the next instruction)",
		               (uint32_t)op->val.v, mnemonic, a->pc, ISA_OFF24_MIN, ISA_OFF24_MAX);
		return 0;
	}
	return (int32_t)(delta / ISA_WORD_BYTES);
}

static void warn_critical(struct asm_ctx *a, enum isa_opcode op, const struct asm_loc *loc)
{
	const struct isa_opinfo *info = isa_info(op);
	char variant[VARIANT_TEXT_MAX];

	if (!a->final || a->critical_meant || info->ill == ISA_ILL_NONE ||
	    !(a->variant & ISA_VARIANT_BIT(op)))
		return;
	isa_variant_format(a->variant, variant, sizeof variant);
	asm_warning_late(a, loc, "'%s' is a critical instruction in variant %s: it %s (like %s)",
	                 info->mnemonic, variant, isa_ill_behaviour(info->ill),
	                 isa_ill_twin(info->ill));
}

static void assemble_insn(struct asm_ctx *a, enum isa_opcode op, const struct asm_loc *loc)
{
	const struct isa_opinfo *info = isa_info(op);
	const struct asm_operand *o = a->ops;
	struct isa_insn in = { .op = op };

	check_aligned(a, loc);
	if (!check_operands(a, info->mnemonic, format_pattern(info->format),
	                    isa_format_syntax(info->format), loc)) {
		emit_placeholder(a, 1, loc);
		return;
	}
	switch (info->format) {
	case ISA_FMT_RRR:
		in.rt = (uint8_t)o[2].reg;
		/* fall through */
	case ISA_FMT_RR:
		in.rs = (uint8_t)o[1].reg;
		/* fall through */
	case ISA_FMT_R:
		in.rd = (uint8_t)o[0].reg;
		break;
	case ISA_FMT_RRI:
	case ISA_FMT_RRU:
	case ISA_FMT_RRS:
		in.rd = (uint8_t)o[0].reg;
		in.rs = (uint8_t)o[1].reg;
		in.imm = field_value(a, &o[2], info->format, info->mnemonic, 1);
		break;
	case ISA_FMT_RI:
	case ISA_FMT_RU:
		in.rd = (uint8_t)o[0].reg;
		in.imm = field_value(a, &o[1], info->format, info->mnemonic, 1);
		break;
	case ISA_FMT_MEM:
		in.rd = (uint8_t)o[0].reg;
		in.rs = (uint8_t)o[1].reg;
		in.imm = field_value(a, &o[1], info->format, info->mnemonic, 1);
		break;
	case ISA_FMT_J:
		in.imm = branch_offset(a, &o[0], info->mnemonic);
		break;
	case ISA_FMT_U:
		in.imm = field_value(a, &o[0], info->format, info->mnemonic, 1);
		break;
	case ISA_FMT_N:
	case ISA_NFORMATS:
		break;
	}
	warn_critical(a, op, loc);
	emit_insn(a, in.op, in.rd, in.rs, in.rt, in.imm, loc);
}

/* ---- pseudo-instructions ----------------------------------------------------- */

/* li/la: the value of operand 2 as a 32-bit word (0 if it has errors). */
static uint32_t word_value(struct asm_ctx *a, const struct asm_operand *op, const char *what)
{
	if (!asm_val_check(a, &op->val, false, &op->loc))
		return 0;
	if (op->val.v < ASM_WORD_MIN || op->val.v > ASM_WORD_MAX) {
		asm_error_late(a, &op->loc, "value %lld out of range for '%s' (%lld..%llu)",
		               (long long)op->val.v, what, (long long)ASM_WORD_MIN,
		               (unsigned long long)ASM_WORD_MAX);
		return 0;
	}
	return (uint32_t)op->val.v;
}

static void emit_lui_ori(struct asm_ctx *a, unsigned rd, uint32_t v, const struct asm_loc *loc)
{
	emit_insn(a, ISA_OP_LUI, rd, 0, 0, (int32_t)(v >> ASM_HALF_SHIFT), loc);
	emit_insn(a, ISA_OP_ORI, rd, rd, 0, (int32_t)(v & ISA_IMM16_MASK), loc);
}

/* li: movi when pass 1 knows a value that fits, else lui + ori; later
 * passes replay pass 1's choice so the layout cannot change. */
static void pseudo_li(struct asm_ctx *a, const struct asm_loc *loc)
{
	const struct asm_operand *o = a->ops;
	bool wide;
	uint32_t v;

	if (a->pass == 1) {
		wide = !(o[1].val.known && o[1].val.v >= ISA_SIMM16_MIN && o[1].val.v <= ISA_SIMM16_MAX);
		if (!asm_grow(a, (void **)&a->li_long, &a->licap, a->nli + 1, 1))
			return;
		a->li_long[a->nli++] = wide;
	} else {
		wide = a->li_next < a->nli ? a->li_long[a->li_next++] : true;
	}
	v = word_value(a, &o[1], "li");
	if (wide)
		emit_lui_ori(a, o[0].reg, v, loc);
	else
		emit_insn(a, ISA_OP_MOVI, o[0].reg, 0, 0, (int32_t)v, loc);
}

/* not and neg need a scratch register: rd, cleared first, is it. */
static bool distinct(struct asm_ctx *a, const char *what)
{
	if (a->ops[0].reg != a->ops[1].reg)
		return true;
	asm_error(a, &a->ops[1].loc,
	          "'%s' needs two different registers: with rd = rs no sequence works without a scratch register",
	          what);
	return false;
}

static void assemble_pseudo(struct asm_ctx *a, enum asm_pseudo p, const struct asm_loc *loc)
{
	const struct pseudo_info *pi = &pseudo_table[p];
	const struct asm_operand *o = a->ops;

	check_aligned(a, loc);
	if (!check_operands(a, pi->name, pi->pattern, pi->syntax, loc)) {
		emit_placeholder(a, pi->words, loc);
		return;
	}
	switch (p) {
	case ASM_PSEUDO_LI:
		pseudo_li(a, loc);
		break;
	case ASM_PSEUDO_LA:
		emit_lui_ori(a, o[0].reg, word_value(a, &o[1], "la"), loc);
		break;
	case ASM_PSEUDO_MOV:
		emit_insn(a, ISA_OP_ADDI, o[0].reg, o[1].reg, 0, 0, loc);
		break;
	case ASM_PSEUDO_NOT:
	case ASM_PSEUDO_NEG:
		if (!distinct(a, pi->name)) {
			emit_placeholder(a, pi->words, loc);
			break;
		}
		emit_insn(a, ISA_OP_MOVI, o[0].reg, 0, 0, p == ASM_PSEUDO_NOT ? -1 : 0, loc);
		emit_insn(a, p == ASM_PSEUDO_NOT ? ISA_OP_XOR : ISA_OP_SUB, o[0].reg, o[0].reg, o[1].reg,
		          0, loc);
		break;
	case ASM_PSEUDO_SUBI:
		emit_insn(a, ISA_OP_ADDI, o[0].reg, o[1].reg, 0,
		          field_value(a, &o[2], ISA_FMT_RRI, "subi", -1), loc);
		break;
	case ASM_PSEUDO_PUSH:
		emit_insn(a, ISA_OP_ADDI, ISA_REG_SP, ISA_REG_SP, 0, -(int32_t)ISA_WORD_BYTES, loc);
		emit_insn(a, ISA_OP_SW, o[0].reg, ISA_REG_SP, 0, 0, loc);
		break;
	case ASM_PSEUDO_POP:
		emit_insn(a, ISA_OP_LW, o[0].reg, ISA_REG_SP, 0, 0, loc);
		emit_insn(a, ISA_OP_ADDI, ISA_REG_SP, ISA_REG_SP, 0, ISA_WORD_BYTES, loc);
		break;
	case ASM_PSEUDO_RET:
		emit_insn(a, ISA_OP_JR, ISA_REG_LR, 0, 0, 0, loc);
		break;
	case ASM_PSEUDO_NONE:
	case ASM_NPSEUDOS:
		break;
	}
}

/* ---- statements ------------------------------------------------------------ */

static void unknown_mnemonic(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc)
{
	struct asm_suggest sg;
	int shown = (int)(name.n > NAME_QUOTE_MAX ? NAME_QUOTE_MAX : name.n);

	asm_suggest_init(&sg, name.p, name.n);
	for (size_t i = 0; i < a->nmnems; i++)
		asm_suggest_try(&sg, a->mnems[i].name, strlen(a->mnems[i].name));
	for (size_t i = 0; i < a->nmacros; i++)
		asm_suggest_try(&sg, a->macrolist[i]->name, a->macrolist[i]->len);
	if (sg.best != NULL)
		asm_error(a, loc, "unknown mnemonic '%.*s'; did you mean '%s'?", shown, name.p, sg.best);
	else if (a->nops == 0)
		asm_error(a, loc, "unknown mnemonic '%.*s' (a label needs a ':' after it)", shown, name.p);
	else
		asm_error(a, loc, "unknown mnemonic '%.*s'", shown, name.p);
}

void asm_statement(struct asm_ctx *a, struct asm_slice mnemonic, const struct asm_loc *loc)
{
	struct asm_macro *m = asm_macro_find(a, mnemonic.p, mnemonic.n);
	const struct asm_mnem *mn;

	if (m != NULL) {
		asm_macro_expand(a, m, loc);
		return;
	}
	mn = asm_mnem_find(a, mnemonic.p, mnemonic.n);
	if (mn == NULL)
		unknown_mnemonic(a, mnemonic, loc);
	else if (mn->kind == ASM_MNEM_INSN)
		assemble_insn(a, (enum isa_opcode)mn->code, loc);
	else
		assemble_pseudo(a, (enum asm_pseudo)mn->code, loc);
}

/* ---- directives --------------------------------------------------------------- */

/* Every operand must be of one kind; at least min of them. */
static bool check_list(struct asm_ctx *a, const char *dir, enum asm_opkind kind, size_t min,
                       const struct asm_loc *loc)
{
	if (a->nops < min) {
		asm_error(a, loc, "'.%s' needs %s", dir,
		          kind == ASM_OPK_STRING ? "a string" : "a value");
		return false;
	}
	for (size_t i = 0; i < a->nops; i++) {
		if (a->ops[i].kind != kind) {
			asm_error(a, &a->ops[i].loc, "expected %s for operand %zu of '.%s', not %s",
			          kind == ASM_OPK_STRING ? "a string" : "an expression", i + 1, dir,
			          kind_phrase(a->ops[i].kind));
			return false;
		}
	}
	return true;
}

static void dir_data(struct asm_ctx *a, enum asm_directive d, const struct asm_loc *loc)
{
	bool word = d == ASM_DIR_WORD;
	int64_t lo = word ? ASM_WORD_MIN : ASM_BYTE_MIN, hi = word ? (int64_t)ASM_WORD_MAX : ASM_BYTE_MAX;
	const char *name = directive_names[d];

	if (!check_list(a, name, ASM_OPK_EXPR, 1, loc))
		return;
	for (size_t i = 0; i < a->nops; i++) {
		const struct asm_operand *op = &a->ops[i];
		uint8_t b[ISA_WORD_BYTES];
		int64_t v = 0;

		if (asm_val_check(a, &op->val, false, &op->loc)) {
			v = op->val.v;
			if (v < lo || v > hi) {
				asm_error_late(a, &op->loc, "value %lld out of range for '.%s' (%lld..%lld)",
				               (long long)v, name, (long long)lo, (long long)hi);
				v = 0;
			}
		}
		pg32_store32(b, (uint32_t)v);
		asm_emit(a, b, word ? ISA_WORD_BYTES : 1, 0, word ? ASM_EMIT_WORDS : ASM_EMIT_BYTES,
		         &op->loc);
	}
}

static void dir_strings(struct asm_ctx *a, bool nul, const struct asm_loc *loc)
{
	const char *name = nul ? "asciz" : "ascii";

	if (!check_list(a, name, ASM_OPK_STRING, 1, loc))
		return;
	for (size_t i = 0; i < a->nops; i++) {
		const struct asm_operand *op = &a->ops[i];
		size_t body;
		const char *text = asm_string_body(op, &body);
		uint8_t *buf = malloc(body + 1);
		size_t n;

		if (buf == NULL) {
			asm_out_of_memory(a);
			return;
		}
		n = asm_unescape(text, body, buf, body, NULL);
		buf[n] = 0;
		asm_emit(a, buf, n + (nul ? 1 : 0), 0, ASM_EMIT_BYTES, &op->loc);
		free(buf);
	}
}

/* A count or address that must be known where it is used. */
static bool now_value(struct asm_ctx *a, const struct asm_operand *op, int64_t lo, int64_t hi,
                      const char *what, int64_t *out)
{
	if (!asm_val_check(a, &op->val, true, &op->loc))
		return false;
	if (op->val.v < lo || op->val.v > hi) {
		asm_error_late(a, &op->loc, "%s %lld out of range (%lld..%lld)", what,
		               (long long)op->val.v, (long long)lo, (long long)hi);
		return false;
	}
	*out = op->val.v;
	return true;
}

static void dir_org(struct asm_ctx *a, const struct asm_loc *loc)
{
	int64_t v;

	if (!check_operands(a, ".org", "e", "address", loc) ||
	    !now_value(a, &a->ops[0], 0, PG32_MEM_MAX, "'.org' address", &v))
		return;
	/* Labels just before .org label nothing that follows them. */
	a->npending = 0;
	a->pc = (uint32_t)v;
	a->seg_open = false;
	a->pc_bad = false;
}

static void dir_space(struct asm_ctx *a, const struct asm_loc *loc)
{
	int64_t n, fill = 0;

	if (a->nops < 1 || a->nops > 2) {
		asm_error(a, a->nops > 2 ? &a->ops[2].loc : loc,
		          "'.space' takes 1 or 2 operands (.space N [, FILL]), not %zu", a->nops);
		return;
	}
	if (!check_list(a, "space", ASM_OPK_EXPR, 1, loc) ||
	    !now_value(a, &a->ops[0], 0, PG32_MEM_MAX, "'.space' size", &n))
		return;
	if (a->nops == 2 && asm_val_check(a, &a->ops[1].val, false, &a->ops[1].loc)) {
		fill = a->ops[1].val.v;
		if (fill < ASM_BYTE_MIN || fill > ASM_BYTE_MAX) {
			asm_error_late(a, &a->ops[1].loc, "fill byte %lld out of range (%d..%d)",
			               (long long)fill, ASM_BYTE_MIN, ASM_BYTE_MAX);
			fill = 0;
		}
	}
	asm_emit(a, NULL, (size_t)n, (uint8_t)fill, ASM_EMIT_BYTES, loc);
}

static void dir_align(struct asm_ctx *a, const struct asm_loc *loc)
{
	int64_t n;

	if (!check_operands(a, ".align", "e", "N", loc) ||
	    !now_value(a, &a->ops[0], 1, PG32_MEM_MAX, "'.align' boundary", &n))
		return;
	if ((n & (n - 1)) != 0) {
		asm_error(a, &a->ops[0].loc, "'.align' needs a power of two, not %lld", (long long)n);
		return;
	}
	asm_emit(a, NULL, (size_t)((uint64_t)-(int64_t)a->pc & (uint64_t)(n - 1)), 0,
	         ASM_EMIT_BYTES, loc);
}

static void dir_entry(struct asm_ctx *a, const struct asm_loc *loc)
{
	if (!check_operands(a, ".entry", "e", "address", loc))
		return;
	if (a->entry_set) {
		asm_error(a, loc, "second '.entry'");
		asm_note(a, &a->entry_loc, "the first '.entry' is here");
		return;
	}
	a->entry_set = true;
	a->entry = a->ops[0].val;
	a->entry_loc = a->ops[0].loc;
}

void asm_directive(struct asm_ctx *a, int dir, struct asm_slice name, const struct asm_loc *loc)
{
	enum asm_directive d = (enum asm_directive)dir;

	if (d == ASM_DIR_UNKNOWN && name.n > 1)
		d = asm_directive_lookup(name.p + 1, name.n - 1);
	switch (d) {
	case ASM_DIR_UNKNOWN: {
		struct asm_suggest sg;
		int shown = (int)(name.n > NAME_QUOTE_MAX ? NAME_QUOTE_MAX : name.n);
		asm_suggest_init(&sg, name.p + 1, name.n - 1);
		for (unsigned i = ASM_DIR_UNKNOWN + 1; i < ASM_NDIRS; i++)
			asm_suggest_try(&sg, directive_names[i], strlen(directive_names[i]));
		if (sg.best != NULL)
			asm_error(a, loc, "unknown directive '%.*s'; did you mean '.%s'?", shown, name.p,
			          sg.best);
		else
			asm_error(a, loc, "unknown directive '%.*s'", shown, name.p);
		break;
	}
	case ASM_DIR_ORG: dir_org(a, loc); break;
	case ASM_DIR_WORD:
	case ASM_DIR_BYTE: dir_data(a, d, loc); break;
	case ASM_DIR_ASCII:
	case ASM_DIR_ASCIZ: dir_strings(a, d == ASM_DIR_ASCIZ, loc); break;
	case ASM_DIR_SPACE: dir_space(a, loc); break;
	case ASM_DIR_ALIGN: dir_align(a, loc); break;
	case ASM_DIR_EQU:
		if (check_operands(a, ".equ", "ee", "NAME, value", loc))
			asm_equ(a, &a->ops[0], &a->ops[1]);
		break;
	case ASM_DIR_INCLUDE:
		if (check_operands(a, ".include", "s", "\"file\"", loc))
			asm_include(a, &a->ops[0], loc);
		break;
	case ASM_DIR_MACRO:
		asm_error(a, loc, "'.macro' must begin its line (no label before it)");
		break;
	case ASM_DIR_ENDM: asm_error(a, loc, "'.endm' without '.macro'"); break;
	case ASM_DIR_IF: asm_cond_if(a, loc); break;
	case ASM_DIR_ELSE: asm_cond_else(a, loc); break;
	case ASM_DIR_ENDIF: asm_cond_endif(a, loc); break;
	case ASM_DIR_ENTRY: dir_entry(a, loc); break;
	case ASM_DIR_ISA: asm_isa_directive(a, (struct asm_slice){ NULL, 0 }, loc); break;
	case ASM_DIR_CRITICAL:
		if (check_operands(a, ".critical", "", "", loc))
			a->critical_meant = true;
		break;
	case ASM_NDIRS: break;
	}
}

void asm_isa_directive(struct asm_ctx *a, struct asm_slice spec, const struct asm_loc *loc)
{
	char text[ISA_SPEC_MAX], msg[VARIANT_TEXT_MAX + ISA_SPEC_MAX];
	isa_variant v;

	if (spec.n == 0) {
		asm_error(a, loc, "'.isa' needs a variant: well, ill or ill:NAME,...");
		return;
	}
	if (spec.n >= sizeof text) {
		asm_error(a, loc, "ISA variant too long");
		return;
	}
	memcpy(text, spec.p, spec.n);
	text[spec.n] = '\0';
	if (isa_variant_parse(text, &v, msg, sizeof msg) != 0) {
		asm_error(a, loc, "%s", msg);
		return;
	}
	if (a->isa_set && v != a->isa_variant) {
		asm_error(a, loc, "'.isa %s' conflicts with an earlier '.isa'", text);
		asm_note(a, &a->isa_loc, "the earlier '.isa' is here");
		return;
	}
	if (!a->isa_set) {
		a->isa_set = true;
		a->isa_variant = v;
		a->isa_loc = *loc;
	}
}

/* ---- lines and the listing ----------------------------------------------------- */

void asm_list_line(struct asm_ctx *a, const struct asm_loc *loc)
{
	struct asm_listline *l = &a->line;
	const char *t;
	size_t start, stop, rows, shown, i;
	char enc[LIST_ENCODING_WIDTH + 1];

	if (a->listing == NULL || !a->final || l->listed || loc->src == NULL)
		return;
	l->listed = true;
	t = loc->src->text;
	start = loc->begin > loc->src->len ? loc->src->len : loc->begin;
	while (start > 0 && t[start - 1] != '\n')
		start--;
	for (stop = start; stop < loc->src->len && t[stop] != '\n'; stop++)
		;
	if (stop > start && t[stop - 1] == '\r')
		stop--;
	shown = l->n < ASM_LIST_BYTES ? l->n : ASM_LIST_BYTES;
	rows = (shown + ISA_WORD_BYTES - 1) / ISA_WORD_BYTES;
	if (rows == 0)
		rows = 1;
	for (size_t r = 0; r < rows; r++) {
		size_t at = r * ISA_WORD_BYTES, used = 0;
		enc[0] = '\0';
		if (l->words && at + ISA_WORD_BYTES <= shown) {
			snprintf(enc, sizeof enc, "%08x", pg32_load32(l->bytes + at));
		} else {
			for (i = at; i < shown && i < at + ISA_WORD_BYTES; i++)
				used += (size_t)snprintf(enc + used, sizeof enc - used, "%s%02x",
				                         i == at ? "" : " ", l->bytes[i]);
		}
		if (l->emitted)
			fprintf(a->listing, "%08x  ", l->addr + (uint32_t)at);
		else if (l->has_label)
			fprintf(a->listing, "%08x  ", a->pc);
		else
			fprintf(a->listing, "%8s  ", "");
		if (r == 0)
			fprintf(a->listing, "%-*s  %c %.*s\n", LIST_ENCODING_WIDTH, enc,
			        loc->src->kind == ASM_SRC_MACRO ? '+' : ' ', (int)(stop - start), t + start);
		else
			fprintf(a->listing, "%s\n", enc);
	}
	if (l->n > ASM_LIST_BYTES)
		fprintf(a->listing, "%8s  ... (%zu bytes)\n", "", l->n);
}

void asm_list_source_line(struct asm_ctx *a, const struct asm_loc *loc)
{
	asm_list_line(a, loc);
	memset(&a->line, 0, sizeof a->line);
}

void asm_line_end(struct asm_ctx *a, const struct asm_loc *loc)
{
	asm_list_line(a, loc);
	memset(&a->line, 0, sizeof a->line);
	a->nops = 0;
	a->nparams = 0;
	a->line_bad = false;
}

void asm_stmt_pass_begin(struct asm_ctx *a)
{
	for (size_t i = 0; i < a->nsegs; i++)
		free(a->segs[i].data);
	a->nsegs = 0;
	a->seg_open = false;
	a->pc = PG32_LOAD_ADDR;
	a->pc_bad = false;
	a->critical_meant = false;
	a->emitted_any = false;
	a->first_emit = PG32_LOAD_ADDR;
	if (a->pass == 1)
		a->nli = 0;
	a->li_next = 0;
	a->entry_set = false;
	a->isa_set = false;
	a->nops = 0;
	memset(&a->line, 0, sizeof a->line);
}

void asm_stmt_free(struct asm_ctx *a)
{
	for (size_t i = 0; i < a->nsegs; i++)
		free(a->segs[i].data);
	free(a->segs);
	free(a->ops);
	free(a->params);
	free(a->li_long);
	asm_map_free(&a->mnem_map);
}
