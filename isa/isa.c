/*
 * isa.c -- the instruction table made usable: lookup by opcode and by
 * mnemonic, encoding and decoding, disassembly, the ISA variants, and the
 * names of traps, registers and errors.  Everything here is derived from
 * isa.def and the X-macro lists in pg32.h.
 */
#include "pg32.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(ISA_NOPS <= 64, "isa_variant is a 64-bit mask indexed by opcode");
_Static_assert(ISA_NOPS <= 256, "the opcode field is 8 bits wide");

static const struct isa_opinfo isa_table[ISA_NOPS] = {
#define ISA_OP(name, mn, fmt, fl, il, mean) \
	[ISA_OP_##name] = { .mnemonic = mn, .format = ISA_FMT_##fmt, .flags = fl, .ill = il, .meaning = mean },
#include "isa.def"
#undef ISA_OP
};

const struct isa_opinfo *isa_info(unsigned op)
{
	if (op == ISA_OP_UNDEFINED || op >= ISA_NOPS)
		return NULL;
	return &isa_table[op];
}

enum isa_opcode isa_lookup(const char *mnemonic)
{
	for (unsigned op = 1; op < ISA_NOPS; op++)
		if (strcasecmp(isa_table[op].mnemonic, mnemonic) == 0)
			return (enum isa_opcode)op;
	return ISA_OP_UNDEFINED;
}

static const char *const format_syntax[ISA_NFORMATS] = {
#define FMT_SYNTAX(name, syntax, fields, unused) [ISA_FMT_##name] = syntax,
	ISA_FORMATS(FMT_SYNTAX)
#undef FMT_SYNTAX
};
static const uint32_t format_unused[ISA_NFORMATS] = {
#define FMT_UNUSED(name, syntax, fields, unused) [ISA_FMT_##name] = unused,
	ISA_FORMATS(FMT_UNUSED)
#undef FMT_UNUSED
};
static const char *const format_fields[ISA_NFORMATS] = {
#define FMT_FIELDS(name, syntax, fields, unused) [ISA_FMT_##name] = fields,
	ISA_FORMATS(FMT_FIELDS)
#undef FMT_FIELDS
};

const char *isa_format_syntax(enum isa_format f)
{
	return (unsigned)f < ISA_NFORMATS ? format_syntax[f] : "?";
}

const char *isa_format_fields(enum isa_format f)
{
	return (unsigned)f < ISA_NFORMATS ? format_fields[f] : "?";
}

const char *isa_ill_twin(enum isa_ill ill)
{
	switch (ill) {
	case ISA_ILL_REVEAL_R: return "x86 SGDT/SIDT";
	case ISA_ILL_REVEAL_MODE: return "x86 SMSW, PUSHF";
	case ISA_ILL_IGNORE_IE: return "x86 POPF";
	case ISA_ILL_USER_JUMP: return "PDP-10 JRST 1";
	case ISA_ILL_NONE: break;
	}
	return "";
}

const char *isa_ill_behaviour(enum isa_ill ill)
{
	switch (ill) {
	case ISA_ILL_REVEAL_R: return "reads the real relocation register without trapping";
	case ISA_ILL_REVEAL_MODE: return "reads the real mode without trapping";
	case ISA_ILL_IGNORE_IE: return "writes the flags and silently ignores the interrupt-enable bit";
	case ISA_ILL_USER_JUMP: return "is only a jump in user mode";
	case ISA_ILL_NONE: break;
	}
	return "";
}

/* ---- encoding ---------------------------------------------------------- */

/* Which fields a format uses. */
#define USES_RD  1u
#define USES_RS  2u
#define USES_RT  4u
#define USES_I16 8u
#define USES_J24 16u

static unsigned format_uses(enum isa_format f)
{
	switch (f) {
	case ISA_FMT_N: return 0;
	case ISA_FMT_RRR: return USES_RD | USES_RS | USES_RT;
	case ISA_FMT_RR: return USES_RD | USES_RS;
	case ISA_FMT_R: return USES_RD;
	case ISA_FMT_RRI:
	case ISA_FMT_RRU:
	case ISA_FMT_RRS:
	case ISA_FMT_MEM: return USES_RD | USES_RS | USES_I16;
	case ISA_FMT_RI:
	case ISA_FMT_RU: return USES_RD | USES_I16;
	case ISA_FMT_J: return USES_J24;
	case ISA_FMT_U: return USES_I16;
	case ISA_NFORMATS: break;
	}
	return 0;
}

static bool format_signed(enum isa_format f)
{
	return f == ISA_FMT_RRI || f == ISA_FMT_RI || f == ISA_FMT_MEM || f == ISA_FMT_J;
}

bool isa_imm_range(enum isa_format f, int32_t *lo, int32_t *hi)
{
	unsigned u = format_uses(f);
	if (u & USES_J24) {
		*lo = ISA_OFF24_MIN;
		*hi = ISA_OFF24_MAX;
	} else if (!(u & USES_I16)) {
		return false;
	} else if (f == ISA_FMT_RRS) {
		*lo = 0;
		*hi = ISA_SHIFT_MAX;
	} else if (format_signed(f)) {
		*lo = ISA_SIMM16_MIN;
		*hi = ISA_SIMM16_MAX;
	} else {
		*lo = 0;
		*hi = ISA_UIMM16_MAX;
	}
	return true;
}

int isa_decode(uint32_t w, struct isa_insn *out)
{
	const struct isa_opinfo *info = isa_info(ISA_WORD_OPCODE(w));
	memset(out, 0, sizeof *out);
	if (!info || (w & format_unused[info->format]) != 0)
		return PG32_EILLEGAL;
	unsigned u = format_uses(info->format);
	out->op = (enum isa_opcode)ISA_WORD_OPCODE(w);
	if (u & USES_RD)
		out->rd = (uint8_t)ISA_WORD_RD(w);
	if (u & USES_RS)
		out->rs = (uint8_t)ISA_WORD_RS(w);
	if (u & USES_RT)
		out->rt = (uint8_t)ISA_WORD_RT(w);
	if (u & USES_I16)
		out->imm = format_signed(info->format) ? ISA_WORD_SIMM(w) : (int32_t)ISA_WORD_UIMM(w);
	if (u & USES_J24)
		out->imm = ISA_WORD_OFF24(w);
	return 0;
}

int isa_encode(const struct isa_insn *in, uint32_t *w, char *msg, size_t msglen)
{
	const struct isa_opinfo *info = isa_info(in->op);
	if (!info) {
		if (msg)
			snprintf(msg, msglen, "undefined opcode %u", (unsigned)in->op);
		return PG32_EILLEGAL;
	}
	unsigned u = format_uses(info->format);
	if (in->rd >= ISA_NREGS || in->rs >= ISA_NREGS || in->rt >= ISA_NREGS) {
		if (msg)
			snprintf(msg, msglen, "register number out of range 0..%d", ISA_NREGS - 1);
		return PG32_ERANGE;
	}
	int32_t lo, hi;
	if (isa_imm_range(info->format, &lo, &hi) && (in->imm < lo || in->imm > hi)) {
		if (msg)
			snprintf(msg, msglen, "%s %ld out of range %ld..%ld",
			         (u & USES_J24) ? "branch offset" : "immediate", (long)in->imm,
			         (long)lo, (long)hi);
		return PG32_ERANGE;
	}
	uint32_t word = (uint32_t)in->op << ISA_OPCODE_SHIFT;
	if (u & USES_RD)
		word |= (uint32_t)in->rd << ISA_RD_SHIFT;
	if (u & USES_RS)
		word |= (uint32_t)in->rs << ISA_RS_SHIFT;
	if (u & USES_RT)
		word |= (uint32_t)in->rt << ISA_RT_SHIFT;
	if (u & USES_I16)
		word |= (uint32_t)in->imm & ISA_IMM16_MASK;
	if (u & USES_J24)
		word |= (uint32_t)in->imm & ISA_OFF24_MASK;
	*w = word;
	return 0;
}

/* ---- disassembly ------------------------------------------------------- */

static const char *const reg_names[ISA_NREGS] = {
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
	"r8", "r9", "r10", "r11", "r12", "fp", "sp", "lr",
};

const char *isa_reg_name(unsigned r)
{
	return r < ISA_NREGS ? reg_names[r] : "r?";
}

void isa_disasm(uint32_t w, uint32_t pc, isa_symbolizer sym, void *ctx, char *buf,
                size_t len)
{
	struct isa_insn in;
	if (isa_decode(w, &in) != 0) {
		snprintf(buf, len, ".word 0x%08x", w);
		return;
	}
	const struct isa_opinfo *info = isa_info(in.op);
	const char *mn = info->mnemonic;
	const char *rd = isa_reg_name(in.rd), *rs = isa_reg_name(in.rs), *rt = isa_reg_name(in.rt);
	switch (info->format) {
	case ISA_FMT_N: snprintf(buf, len, "%s", mn); break;
	case ISA_FMT_RRR: snprintf(buf, len, "%s %s, %s, %s", mn, rd, rs, rt); break;
	case ISA_FMT_RR: snprintf(buf, len, "%s %s, %s", mn, rd, rs); break;
	case ISA_FMT_R: snprintf(buf, len, "%s %s", mn, rd); break;
	case ISA_FMT_RRI:
	case ISA_FMT_RRS: snprintf(buf, len, "%s %s, %s, %ld", mn, rd, rs, (long)in.imm); break;
	case ISA_FMT_RRU: snprintf(buf, len, "%s %s, %s, 0x%lx", mn, rd, rs, (long)in.imm); break;
	case ISA_FMT_RI: snprintf(buf, len, "%s %s, %ld", mn, rd, (long)in.imm); break;
	case ISA_FMT_RU: snprintf(buf, len, "%s %s, 0x%lx", mn, rd, (long)in.imm); break;
	case ISA_FMT_MEM: snprintf(buf, len, "%s %s, %ld(%s)", mn, rd, (long)in.imm, rs); break;
	case ISA_FMT_U: snprintf(buf, len, "%s %ld", mn, (long)in.imm); break;
	case ISA_FMT_J: {
		uint32_t target = pc + ISA_WORD_BYTES + (uint32_t)in.imm * ISA_WORD_BYTES;
		const char *name = sym ? sym(ctx, target) : NULL;
		if (name)
			snprintf(buf, len, "%s %s", mn, name);
		else
			snprintf(buf, len, "%s 0x%08x", mn, target);
		break;
	}
	case ISA_NFORMATS: snprintf(buf, len, ".word 0x%08x", w); break;
	}
}

/* ---- variants ---------------------------------------------------------- */

isa_variant isa_variant_all_ill(void)
{
	isa_variant v = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++)
		if (isa_table[op].ill != ISA_ILL_NONE)
			v |= ISA_VARIANT_BIT(op);
	return v;
}

int isa_variant_parse(const char *text, isa_variant *out, char *msg, size_t msglen)
{
	static const char ill_prefix[] = "ill:";
	if (strcmp(text, "well") == 0) {
		*out = ISA_VARIANT_WELL;
		return 0;
	}
	if (strcmp(text, "ill") == 0) {
		*out = isa_variant_all_ill();
		return 0;
	}
	if (strncmp(text, ill_prefix, sizeof ill_prefix - 1) != 0) {
		snprintf(msg, msglen, "unknown ISA variant '%s' (expected well, ill or ill:NAME,...)",
		         text);
		return PG32_EARG;
	}
	isa_variant v = 0;
	const char *p = text + sizeof ill_prefix - 1;
	while (*p) {
		size_t n = strcspn(p, ",");
		char name[16];
		if (n == 0 || n >= sizeof name) {
			snprintf(msg, msglen, "bad instruction list in ISA variant '%s'", text);
			return PG32_EARG;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		enum isa_opcode op = isa_lookup(name);
		if (op == ISA_OP_UNDEFINED || isa_table[op].ill == ISA_ILL_NONE) {
			char all[64] = "";
			size_t used = 0;
			for (unsigned k = 1; k < ISA_NOPS && used < sizeof all; k++)
				if (isa_table[k].ill != ISA_ILL_NONE)
					used += (size_t)snprintf(all + used, sizeof all - used, "%s%s",
					                         used ? "," : "", isa_table[k].mnemonic);
			snprintf(msg, msglen, "'%s' is not a critical instruction (they are: %s)", name,
			         all);
			return PG32_EARG;
		}
		v |= ISA_VARIANT_BIT(op);
		p += n;
		if (*p == ',' && *++p == '\0') {
			snprintf(msg, msglen, "trailing comma in ISA variant '%s'", text);
			return PG32_EARG;
		}
	}
	if (v == 0) {
		snprintf(msg, msglen, "empty instruction list in ISA variant '%s'", text);
		return PG32_EARG;
	}
	*out = v;
	return 0;
}

void isa_variant_format(isa_variant v, char *buf, size_t len)
{
	if (v == ISA_VARIANT_WELL) {
		snprintf(buf, len, "well");
		return;
	}
	if (v == isa_variant_all_ill()) {
		snprintf(buf, len, "ill");
		return;
	}
	size_t used = (size_t)snprintf(buf, len, "ill:");
	const char *sep = "";
	for (unsigned op = 1; op < ISA_NOPS && used < len; op++) {
		if (v & ISA_VARIANT_BIT(op)) {
			used += (size_t)snprintf(buf + used, len - used, "%s%s", sep,
			                         isa_table[op].mnemonic);
			sep = ",";
		}
	}
}

bool isa_traps_in_user(isa_variant v, unsigned op)
{
	const struct isa_opinfo *info = isa_info(op);
	if (!info)
		return true; /* illegal instruction */
	if (info->flags & ISA_F_TRAPS)
		return true;
	if (!(info->flags & ISA_F_PRIV))
		return false;
	return !(v & ISA_VARIANT_BIT(op));
}

/* ---- names ------------------------------------------------------------- */

static const struct {
	const char *name, *kind, *what;
} trap_names[TRAP_NCAUSES] = {
	[TRAP_NONE] = { "none", "none", "no trap" },
#define TRAP_ROW(nm, code, sname, kind, what, detail) \
	[code] = { sname, kind, what },
	PG32_TRAPS(TRAP_ROW)
#undef TRAP_ROW
};

const char *pg32_trap_name(unsigned cause)
{
	return cause < TRAP_NCAUSES && trap_names[cause].name ? trap_names[cause].name : "unknown";
}

const char *pg32_trap_what(unsigned cause)
{
	return cause < TRAP_NCAUSES && trap_names[cause].what ? trap_names[cause].what
	                                                      : "unknown trap cause";
}

bool pg32_trap_is_interrupt(unsigned cause)
{
	return cause < TRAP_NCAUSES && trap_names[cause].kind &&
	       strcmp(trap_names[cause].kind, "interrupt") == 0;
}

const char *pg32_strerror(int err)
{
	switch (err) {
	case 0: return "success";
#define ERR_CASE(name, code, what) case PG32_##name: return what;
	PG32_ERRORS(ERR_CASE)
#undef ERR_CASE
	}
	return "unknown error";
}

bool isa_ends_block(unsigned op)
{
	const struct isa_opinfo *info = isa_info(op);
	return !info || (info->flags & ISA_F_ENDS_BLOCK);
}
