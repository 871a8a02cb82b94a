/*
 * randprog.c -- random PG32 programs for the equivalence checker.
 *
 * A seed gives one program (splitmix64: the same seed, the same program, on
 * every host).  Each is a small kernel that exercises what a monitor can get
 * wrong: it installs a trap handler, then runs random system-mode code made
 * of snippets drawn from the ISA table (ALU, compares and branches, bounded
 * loops, loads and stores that sometimes fault, svc/brk/hcall, every
 * privileged instruction, relocation changes, timer and disk programming,
 * console output, halt), and excursions into user mode and back: lpsw of a
 * user PSW with its own R (and sometimes IE), or rtu, then a user program
 * with its own faults and privileged instructions, ending in an svc that
 * the handler answers with lpsw of a continuation PSW.
 *
 * Memory map of a random program (VMM_RAND_MEM bytes):
 *
 *   0x0000  trap words (old PSW, cause, detail, new PSW: set by the prologue)
 *   0x0030  trap counter            0x0040  PSW slots (user entries and
 *   0x0100  entry: prologue, then           continuations, 16 bytes each)
 *           the random system code
 *   0x0600  the trap handler
 *   0x0800  system data (r11 points here)
 *   0x1000  user code: excursions   (user R base = 0x1000)
 *   0x1400  user data (virtual 0x400 for the user)
 *   0x1800  disk buffer
 *
 * The handler counts traps and powers off after a random maximum, so a
 * program that traps forever still ends; it skips faulting instructions
 * (realigning the pc), and after a fault in system mode it restores the
 * identity R, so a random lrr does not end the run.  Registers r12 and r13
 * belong to the handler, r11 to the system data pointer; random code writes
 * only r0..r10.
 *
 * Programs for the ill-behaved variant (vmm_rand_generate_ill) draw from
 * mixes with more for a binary rewriter to get wrong: critical
 * instructions written into the code ahead of the pc at run time
 * (self-modifying code, in system and in user mode), loads of code words
 * (which may be patched), besides the computed jumps, critical
 * instructions in both virtual modes and rtu excursions of every program.
 */
#include "vmm.h"

#include <stdlib.h>
#include <string.h>

enum {
	RP_TRAP_COUNT = 0x0030,
	RP_SLOTS = 0x0040,
	RP_SLOTS_END = 0x0100,
	RP_CODE = PG32_LOAD_ADDR,
	RP_CODE_END = 0x05F0,   /* room for the final power-off */
	RP_HANDLER = 0x0600,
	RP_DATA = 0x0800,
	RP_USER = 0x1000,
	RP_USER_CODE_END = 0x1400,
	RP_USER_DATA = 0x0400,  /* virtual, in the user's R */
	RP_DISK_BUF = 0x1800,
	RP_SLOT_BYTES = PSW_BYTES,
	RP_NSLOTS = (RP_SLOTS_END - RP_SLOTS) / RP_SLOT_BYTES,
	RP_EXIT_SVC = 0x100,    /* svc RP_EXIT_SVC + k: back to system via slot k */
	RP_WORK_REGS = 11,      /* r0..r10 */
	RP_REG_UDATA = 10,      /* user code: its data pointer (a work register) */
	RP_REG_DATA = 11,
	RP_REG_H1 = 12,
	RP_REG_H0 = 13,
	RP_MAX_INSNS = VMM_RAND_MEM / ISA_WORD_BYTES,
	RP_SYS_SPAN = 0x900,    /* system loads/stores: r11 + [0, span) */
	RP_USER_SPAN = 0x500,   /* user loads/stores: r10 + [0, span) */
	RP_SMALL_MASK = 0xFF,   /* a small immediate */
	RP_NO_PORT = 0x3F,      /* a port no device answers */
	RP_PERCENT = 100,       /* snippet weights add up to this */
	RP_DISASM_LEN = 96,
};

struct gen {
	uint64_t state;
	struct vmm_randprog *p;
	uint32_t pc;         /* where the next word goes */
	uint32_t end;        /* the area's end (exclusive) */
	unsigned slots_used;
	uint32_t user_next;  /* where the next user program goes */
	bool ie_possible;    /* a timer may interrupt */
	bool user;           /* generating a user program (its R is not the identity) */
	/* forward branches (J format) and jump addresses (movi) to patch once
	 * the area is complete */
	uint32_t fix_at[RP_MAX_INSNS], fix_to[RP_MAX_INSNS], fix_bias[RP_MAX_INSNS];
	bool fix_movi[RP_MAX_INSNS];
	unsigned nfix;
};

/* splitmix64: tiny, good enough, and the same everywhere. */
static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t below(struct gen *g, uint32_t n)
{
	return (uint32_t)(rnd(g) % n);
}

static bool chance(struct gen *g, unsigned percent)
{
	return below(g, 100) < percent;
}

static unsigned work_reg(struct gen *g)
{
	return below(g, RP_WORK_REGS);
}

/* Encode an instruction; the generator only builds fields that fit. */
static uint32_t enc(enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt, int32_t imm)
{
	const struct isa_opinfo *info = isa_info(op);
	struct isa_insn in = { .op = op };
	switch (info->format) {
	case ISA_FMT_RRR: in.rt = (uint8_t)rt; /* fall through */
	case ISA_FMT_RR: case ISA_FMT_RRI: case ISA_FMT_RRU: case ISA_FMT_RRS: case ISA_FMT_MEM:
		in.rs = (uint8_t)rs; /* fall through */
	case ISA_FMT_R: case ISA_FMT_RI: case ISA_FMT_RU: in.rd = (uint8_t)rd; break;
	case ISA_FMT_N: case ISA_FMT_J: case ISA_FMT_U: case ISA_NFORMATS: break;
	}
	if (info->format != ISA_FMT_RRR && info->format != ISA_FMT_RR && info->format != ISA_FMT_R &&
	    info->format != ISA_FMT_N)
		in.imm = imm;
	uint32_t w = 0;
	if (isa_encode(&in, &w, NULL, 0) != 0)
		return enc(ISA_OP_NOP, 0, 0, 0, 0); /* cannot happen: fields are in range */
	return w;
}

static bool room(const struct gen *g, unsigned words)
{
	return g->pc + words * ISA_WORD_BYTES <= g->end;
}

static void emit(struct gen *g, uint32_t w)
{
	if (!room(g, 1))
		return;
	pg32_store32(g->p->mem + g->pc, w);
	g->p->insn_addr[g->p->ninsn++] = g->pc;
	g->pc += ISA_WORD_BYTES;
}

static void op(struct gen *g, enum isa_opcode o, unsigned rd, unsigned rs, unsigned rt,
               int32_t imm)
{
	emit(g, enc(o, rd, rs, rt, imm));
}

/* A J-format instruction at g->pc to absolute target (patched later if the
 * target is not known yet). */
static void add_fix(struct gen *g, uint32_t at, uint32_t target, bool movi, uint32_t bias)
{
	g->fix_at[g->nfix] = at;
	g->fix_to[g->nfix] = target;
	g->fix_movi[g->nfix] = movi;
	g->fix_bias[g->nfix++] = bias;
}

static void jump_to(struct gen *g, enum isa_opcode o, uint32_t target)
{
	if (!room(g, 1))
		return;
	add_fix(g, g->pc, target, false, 0);
	emit(g, enc(o, 0, 0, 0, 0));
}

/* No open forward jump may land inside (from, to): it would skip the
 * initialisation of a loop counter.  Send them to `to` instead. */
static void keep_out(struct gen *g, uint32_t from, uint32_t to)
{
	for (unsigned i = 0; i < g->nfix; i++)
		if (g->fix_to[i] > from && g->fix_to[i] < to && g->fix_at[i] < from)
			g->fix_to[i] = to;
}

/* Point the branches recorded since fixup `from` at their targets, clamped
 * to the last word of the area (the program's end). */
static void patch_jumps(struct gen *g, unsigned from, uint32_t last)
{
	for (unsigned i = from; i < g->nfix; i++) {
		uint32_t to = g->fix_to[i] > last ? last : g->fix_to[i];
		uint32_t w = pg32_load32(g->p->mem + g->fix_at[i]);
		if (g->fix_movi[i]) {
			w = (w & ~ISA_IMM16_MASK) | ((to + g->fix_bias[i]) & ISA_IMM16_MASK);
		} else {
			int32_t off = ((int32_t)to - (int32_t)g->fix_at[i] - (int32_t)ISA_WORD_BYTES) /
			              (int32_t)ISA_WORD_BYTES;
			w = (w & ~ISA_OFF24_MASK) | ((uint32_t)off & ISA_OFF24_MASK);
		}
		pg32_store32(g->p->mem + g->fix_at[i], w);
	}
	g->nfix = from;
}

static void put_psw(struct gen *g, uint32_t at, uint32_t status, uint32_t pc, uint32_t base,
                    uint32_t bound)
{
	uint8_t *m = g->p->mem + at;
	pg32_store32(m + PSW_OFF_STATUS, status);
	pg32_store32(m + PSW_OFF_PC, pc);
	pg32_store32(m + PSW_OFF_BASE, base);
	pg32_store32(m + PSW_OFF_BOUND, bound);
}

static int32_t rand_imm(struct gen *g)
{
	switch (below(g, 4)) {
	case 0: return (int32_t)below(g, 8);
	case 1: return (int32_t)below(g, 256) - 128;
	case 2: return (int32_t)below(g, ISA_UIMM16_MAX + 1) + ISA_SIMM16_MIN;
	default: return (int32_t)below(g, 64) * (int32_t)ISA_WORD_BYTES;
	}
}

/* A random flags value for a status word. */
static uint32_t rand_flags(struct gen *g)
{
	return (uint32_t)rnd(g) & PSW_FLAGS;
}

/* ---- snippets common to system and user code ------------------------------ */

static void snip_alu(struct gen *g)
{
	static const enum isa_opcode rrr[] = {
		ISA_OP_ADD, ISA_OP_SUB, ISA_OP_AND, ISA_OP_OR, ISA_OP_XOR, ISA_OP_SHL, ISA_OP_SHR,
		ISA_OP_SAR, ISA_OP_MUL, ISA_OP_DIV, ISA_OP_DIVU, ISA_OP_REM, ISA_OP_REMU,
	};
	static const enum isa_opcode imm[] = {
		ISA_OP_ADDI, ISA_OP_ANDI, ISA_OP_ORI, ISA_OP_XORI, ISA_OP_LUI, ISA_OP_MOVI,
	};
	static const enum isa_opcode sh[] = { ISA_OP_SHLI, ISA_OP_SHRI, ISA_OP_SARI };
	switch (below(g, 3)) {
	case 0:
		op(g, rrr[below(g, sizeof rrr / sizeof rrr[0])], work_reg(g), work_reg(g), work_reg(g), 0);
		break;
	case 1: {
		enum isa_opcode o = imm[below(g, sizeof imm / sizeof imm[0])];
		int32_t v = rand_imm(g);
		/* Unsigned formats take 0..65535. */
		if (o == ISA_OP_ANDI || o == ISA_OP_ORI || o == ISA_OP_XORI || o == ISA_OP_LUI)
			v &= (int32_t)ISA_IMM16_MASK;
		op(g, o, work_reg(g), work_reg(g), 0, v);
		break;
	}
	default:
		op(g, sh[below(g, 3)], work_reg(g), work_reg(g), 0, (int32_t)below(g, ISA_SHIFT_MAX + 1));
		break;
	}
}

/* compare, then a forward conditional branch over 0..3 words. */
static void snip_branch(struct gen *g)
{
	if (chance(g, 50))
		op(g, ISA_OP_CMP, work_reg(g), work_reg(g), 0, 0);
	else
		op(g, ISA_OP_CMPI, work_reg(g), 0, 0, (int32_t)below(g, 16) - 8);
	enum isa_opcode o = (enum isa_opcode)(ISA_OP_B + below(g, ISA_OP_BLEU - ISA_OP_B + 1));
	jump_to(g, o, g->pc + ISA_WORD_BYTES * (1 + below(g, 4)));
}

/* A bounded loop: counter, a short body that leaves the counter alone. */
static void snip_loop(struct gen *g)
{
	if (!room(g, 8))
		return;
	unsigned ctr = work_reg(g);
	uint32_t init = g->pc;
	op(g, ISA_OP_MOVI, ctr, 0, 0, (int32_t)(1 + below(g, 12)));
	uint32_t top = g->pc;
	unsigned n = 1 + below(g, 3);
	for (unsigned i = 0; i < n; i++) {
		unsigned rd = work_reg(g);
		if (rd == ctr)
			rd = (rd + 1) % RP_WORK_REGS;
		op(g, ISA_OP_ADDI, rd, work_reg(g), 0, rand_imm(g) & RP_SMALL_MASK);
	}
	op(g, ISA_OP_ADDI, ctr, ctr, 0, -1);
	op(g, ISA_OP_CMPI, ctr, 0, 0, 0);
	jump_to(g, ISA_OP_BGT, top);
	keep_out(g, init, g->pc);
}

/* A load or store relative to base register rb; sometimes misaligned or
 * out of bounds on purpose. */
static void snip_mem(struct gen *g, unsigned rb, int32_t span)
{
	static const enum isa_opcode mem[] = { ISA_OP_LW, ISA_OP_LB, ISA_OP_LBU, ISA_OP_SW, ISA_OP_SB };
	enum isa_opcode o = mem[below(g, sizeof mem / sizeof mem[0])];
	int32_t off = (int32_t)below(g, (uint32_t)span);
	if (chance(g, 80))
		off &= ~(int32_t)(ISA_WORD_BYTES - 1);
	if (chance(g, 8))
		off = ISA_SIMM16_MAX - (int32_t)below(g, 64); /* far out: a memory fault */
	op(g, o, work_reg(g), rb, 0, off);
}

static void snip_trap(struct gen *g)
{
	static const enum isa_opcode t[] = { ISA_OP_SVC, ISA_OP_BRK, ISA_OP_HCALL };
	op(g, t[below(g, 3)], 0, 0, 0, (int32_t)below(g, RP_EXIT_SVC));
}

/* Any instruction of the table with random fields, or a random word. */
static void snip_raw(struct gen *g)
{
	if (chance(g, 30)) {
		emit(g, (uint32_t)rnd(g));
		return;
	}
	unsigned o = 1 + below(g, ISA_NOPS - 1);
	/* Keep the program's registers and the end conditions its own. */
	if (o == ISA_OP_OUT || o == ISA_OP_HALT || o == ISA_OP_LPSW || o == ISA_OP_JR ||
	    o == ISA_OP_CALLR || o == ISA_OP_LRR)
		o = ISA_OP_NOP;
	if (isa_info(o)->format == ISA_FMT_J)
		jump_to(g, (enum isa_opcode)o, g->pc + ISA_WORD_BYTES * (1 + below(g, 4)));
	else
		op(g, (enum isa_opcode)o, work_reg(g), work_reg(g), work_reg(g), rand_imm(g) & ISA_SHIFT_MAX);
}

/* A privileged instruction (emulated in system mode, reflected in user). */
static void snip_priv(struct gen *g)
{
	static const uint32_t in_ports[] = {
		PORT_CONSOLE_IN, PORT_CONSOLE_STATUS, PORT_TIMER_PERIOD, PORT_TIMER_CLOCK,
		PORT_DISK_SECTOR, PORT_DISK_ADDR, PORT_DISK_COUNT, PORT_DISK_STATUS,
		PORT_DISK_SECTORS, RP_NO_PORT,
	};
	switch (below(g, 6)) {
	case 0: op(g, ISA_OP_SRR, work_reg(g), work_reg(g), 0, 0); break;
	case 1: op(g, ISA_OP_RDPSW, work_reg(g), 0, 0, 0); break;
	case 2:
		op(g, ISA_OP_IN, work_reg(g), 0, 0,
		   (int32_t)in_ports[below(g, sizeof in_ports / sizeof in_ports[0])]);
		break;
	case 3: {
		/* wrfl: flags, and IE only when a timer may be running. */
		unsigned r = work_reg(g);
		uint32_t v = rand_flags(g) | (g->ie_possible && chance(g, 50) ? PSW_IE : 0);
		op(g, ISA_OP_MOVI, r, 0, 0, (int32_t)v);
		op(g, ISA_OP_WRFL, r, 0, 0, 0);
		break;
	}
	case 4: {
		unsigned r = work_reg(g);
		op(g, ISA_OP_MOVI, r, 0, 0, 'a' + (int32_t)below(g, 26));
		op(g, ISA_OP_OUT, r, 0, 0, PORT_CONSOLE_OUT);
		break;
	}
	default: op(g, ISA_OP_OUT, work_reg(g), 0, 0, PORT_CONSOLE_OUT); break;
	}
}

/* ---- system-only snippets --------------------------------------------------- */

static void snip_timer(struct gen *g)
{
	unsigned r = work_reg(g);
	op(g, ISA_OP_MOVI, r, 0, 0, (int32_t)(chance(g, 10) ? below(g, 8) : 20 + below(g, 400)));
	op(g, ISA_OP_OUT, r, 0, 0, PORT_TIMER_PERIOD);
	g->ie_possible = true;
}

static void snip_disk(struct gen *g)
{
	unsigned r = work_reg(g);
	op(g, ISA_OP_MOVI, r, 0, 0, (int32_t)below(g, 6));
	op(g, ISA_OP_OUT, r, 0, 0, PORT_DISK_SECTOR);
	op(g, ISA_OP_MOVI, r, 0, 0,
	   (int32_t)(chance(g, 85) ? RP_DISK_BUF + below(g, 4) * ISA_WORD_BYTES
	                           : below(g, VMM_RAND_MEM + VMM_RAND_MEM / 4)));
	op(g, ISA_OP_OUT, r, 0, 0, PORT_DISK_ADDR);
	op(g, ISA_OP_MOVI, r, 0, 0, (int32_t)below(g, 4));
	op(g, ISA_OP_OUT, r, 0, 0, PORT_DISK_COUNT);
	op(g, ISA_OP_MOVI, r, 0, 0, (int32_t)(chance(g, 90) ? DISK_CMD_READ + below(g, 2) : below(g, 5)));
	op(g, ISA_OP_OUT, r, 0, 0, PORT_DISK_CMD);
	if (chance(g, 30)) {
		op(g, ISA_OP_MOVI, r, 0, 0, DISK_STATUS_IDLE);
		op(g, ISA_OP_OUT, r, 0, 0, PORT_DISK_STATUS);
	}
	g->ie_possible = true;
}

/* lrr: usually a harmless change of the bound, sometimes a wild R. */
static void snip_lrr(struct gen *g)
{
	unsigned rb = work_reg(g), rl = work_reg(g);
	if (rl == rb)
		rl = (rb + 1) % RP_WORK_REGS;
	bool wild = chance(g, 30);
	op(g, ISA_OP_MOVI, rb, 0, 0, wild ? (int32_t)below(g, VMM_RAND_MEM) & ~3 : 0);
	op(g, ISA_OP_MOVI, rl, 0, 0,
	   wild ? (int32_t)below(g, VMM_RAND_MEM * 2) : RP_DATA + (int32_t)below(g, RP_DATA));
	op(g, ISA_OP_LRR, rb, rl, 0, 0);
}

/* halt: mostly with a timer running and IE on, so that the machine idles
 * until the interrupt; otherwise it ends the program (rarely). */
static void snip_halt(struct gen *g)
{
	if (g->ie_possible && chance(g, 80)) {
		unsigned r = work_reg(g);
		op(g, ISA_OP_MOVI, r, 0, 0, (int32_t)(PSW_IE | rand_flags(g)));
		op(g, ISA_OP_WRFL, r, 0, 0, 0);
	} else if (chance(g, 75)) {
		return;
	}
	op(g, ISA_OP_HALT, 0, 0, 0, 0);
}

/* A jump through a register to a later word, sometimes misaligned. */
static void snip_jr(struct gen *g)
{
	if (!room(g, 2))
		return;
	unsigned r = work_reg(g);
	uint32_t to = g->pc + ISA_WORD_BYTES * (3 + below(g, 3));
	add_fix(g, g->pc, to, true, chance(g, 15) ? 1 + below(g, 3) : 0);
	op(g, ISA_OP_MOVI, r, 0, 0, 0);
	op(g, chance(g, 50) ? ISA_OP_JR : ISA_OP_CALLR, r, 0, 0, 0);
}

/* ---- code that reads and writes code (the ill mixes) ------------------------------ */

/* A critical or ordinary instruction word to write into the code. */
static uint32_t rand_code_word(struct gen *g)
{
	switch (below(g, 4)) {
	case 0: return enc(ISA_OP_SRR, work_reg(g), work_reg(g), 0, 0);
	case 1: return enc(ISA_OP_RDPSW, work_reg(g), 0, 0, 0);
	case 2: return enc(ISA_OP_ADDI, work_reg(g), work_reg(g), 0, (int32_t)below(g, 64));
	default: return enc(ISA_OP_NOP, 0, 0, 0, 0);
	}
}

/* The register holding the data pointer and the virtual address of a
 * physical one, for the code being generated. */
static unsigned data_reg(const struct gen *g)
{
	return g->user ? RP_REG_UDATA : RP_REG_DATA;
}

static int32_t data_offset(const struct gen *g, uint32_t phys)
{
	/* A user program's R starts at RP_USER (lpsw) or at 0 (rtu): the
	 * lpsw case is the common one; the other lands elsewhere, which is
	 * fine too, as long as both machines do the same. */
	uint32_t virt = g->user ? phys - RP_USER : phys;
	int32_t base = g->user ? RP_USER_DATA : RP_DATA;
	return (int32_t)virt - base;
}

/* Self-modifying code: write an instruction into a nop slot ahead, which
 * then runs (a rewriter must notice the store into code it scanned). */
static void snip_selfmod(struct gen *g)
{
	if (!room(g, 5))
		return;
	unsigned r = work_reg(g);
	uint32_t w = rand_code_word(g);
	uint32_t slot = g->pc + 3 * ISA_WORD_BYTES + (chance(g, 70) ? 0 : ISA_WORD_BYTES);
	op(g, ISA_OP_LUI, r, 0, 0, (int32_t)(w >> 16));
	op(g, ISA_OP_ORI, r, r, 0, (int32_t)(w & ISA_IMM16_MASK));
	op(g, ISA_OP_SW, r, data_reg(g), 0, data_offset(g, slot));
	op(g, ISA_OP_NOP, 0, 0, 0, 0);
	if (slot > g->pc - ISA_WORD_BYTES)
		op(g, ISA_OP_NOP, 0, 0, 0, 0);
	/* Sometimes a byte store into the code instead: a half-changed word. */
	if (chance(g, 20))
		op(g, ISA_OP_SB, r, data_reg(g), 0, data_offset(g, slot - ISA_WORD_BYTES) + 1);
}

/* Load a word or a byte of code already generated (maybe a patched one). */
static void snip_codeload(struct gen *g)
{
	uint32_t lo = g->user ? g->user_next : RP_CODE;
	if (g->pc <= lo)
		return;
	uint32_t at = lo + below(g, (g->pc - lo) / ISA_WORD_BYTES) * ISA_WORD_BYTES;
	static const enum isa_opcode loads[] = { ISA_OP_LW, ISA_OP_LB, ISA_OP_LBU };
	enum isa_opcode o = loads[below(g, 3)];
	uint32_t byte = o == ISA_OP_LW ? 0 : below(g, ISA_WORD_BYTES);
	op(g, o, work_reg(g), data_reg(g), 0, data_offset(g, at + byte));
}

/* ---- the mixes: how often each snippet is drawn --------------------------------- */

typedef void (*snippet_fn)(struct gen *g);

static void snip_user(struct gen *g); /* below: it generates a user program */

struct snippet {
	unsigned weight; /* out of RP_PERCENT */
	snippet_fn emit;
};

static void sys_mem(struct gen *g)
{
	snip_mem(g, RP_REG_DATA, RP_SYS_SPAN);
}

static void user_mem(struct gen *g)
{
	snip_mem(g, RP_REG_UDATA, RP_USER_SPAN);
}

static const struct snippet system_mix[] = {
	{ 25, snip_alu },   { 12, snip_branch }, { 4, snip_loop },  { 12, sys_mem },
	{ 5, snip_trap },   { 12, snip_priv },   { 4, snip_timer }, { 3, snip_disk },
	{ 3, snip_lrr },    { 2, snip_halt },    { 3, snip_jr },    { 10, snip_user },
	{ 5, snip_raw },
};

static const struct snippet user_mix[] = {
	{ 35, snip_alu }, { 15, snip_branch }, { 20, user_mem }, { 10, snip_trap },
	{ 12, snip_priv }, { 3, snip_loop },   { 5, snip_raw },
};

/* The ill mixes: the same, with code that writes and reads code. */
static const struct snippet system_mix_ill[] = {
	{ 17, snip_alu },   { 10, snip_branch }, { 4, snip_loop },  { 10, sys_mem },
	{ 5, snip_trap },   { 14, snip_priv },   { 4, snip_timer }, { 3, snip_disk },
	{ 3, snip_lrr },    { 2, snip_halt },    { 5, snip_jr },    { 10, snip_user },
	{ 3, snip_raw },    { 6, snip_selfmod }, { 4, snip_codeload },
};

static const struct snippet user_mix_ill[] = {
	{ 27, snip_alu }, { 13, snip_branch }, { 16, user_mem }, { 8, snip_trap },
	{ 15, snip_priv }, { 3, snip_loop },   { 4, snip_raw },  { 8, snip_selfmod },
	{ 6, snip_codeload },
};

/* Draw one snippet by weight (the weights add up to RP_PERCENT). */
static void pick_snippet(struct gen *g, const struct snippet *mix, size_t n)
{
	unsigned pick = below(g, RP_PERCENT), at = 0;
	for (size_t i = 0; i < n; i++) {
		at += mix[i].weight;
		if (pick < at) {
			mix[i].emit(g);
			return;
		}
	}
}

/* A user program for slot k: random user code ending in svc EXIT + k. */
static void gen_user(struct gen *g, unsigned k, uint32_t start, uint32_t end)
{
	uint32_t saved_pc = g->pc, saved_end = g->end;
	unsigned fixes = g->nfix; /* the system code's own are still open */
	g->pc = start;
	g->end = end - ISA_WORD_BYTES; /* keep room for the exit svc */
	op(g, ISA_OP_MOVI, RP_REG_UDATA, 0, 0, RP_USER_DATA);
	unsigned n = 3 + below(g, 30);
	uint32_t saved_next = g->user_next;
	g->user_next = start; /* code loads reach back to the program's start */
	g->user = true;
	for (unsigned i = 0; i < n && room(g, 1); i++) {
		if (g->p->variant)
			pick_snippet(g, user_mix_ill, sizeof user_mix_ill / sizeof user_mix_ill[0]);
		else
			pick_snippet(g, user_mix, sizeof user_mix / sizeof user_mix[0]);
	}
	g->user = false;
	g->user_next = saved_next;
	patch_jumps(g, fixes, g->pc);
	g->end = end;
	op(g, ISA_OP_SVC, 0, 0, 0, RP_EXIT_SVC + (int32_t)k);
	g->pc = saved_pc;
	g->end = saved_end;
}

/* An excursion into user mode by lpsw or rtu, back through slot pair k. */
static void snip_user(struct gen *g)
{
	if (g->slots_used + 2 > RP_NSLOTS || g->user_next + 16 * ISA_WORD_BYTES > RP_USER_CODE_END ||
	    !room(g, 6))
		return;
	unsigned entry = g->slots_used++, cont = g->slots_used++;
	uint32_t ustart = g->user_next;
	uint32_t uend = ustart + (8 + below(g, 40)) * ISA_WORD_BYTES;
	if (uend > RP_USER_CODE_END)
		uend = RP_USER_CODE_END;
	g->user_next = uend;
	gen_user(g, cont, ustart, uend);

	/* Interrupts off first: the handler uses r13, and an interrupt between
	 * "movi r13" and the lpsw would make it lpsw the old PSW, forever. */
	unsigned r = work_reg(g);
	uint32_t init = g->pc;
	op(g, ISA_OP_MOVI, r, 0, 0, 0);
	op(g, ISA_OP_WRFL, r, 0, 0, 0);
	bool by_rtu = chance(g, 25);
	uint32_t after = g->pc + 2 * ISA_WORD_BYTES; /* after movi r13 and lpsw/rtu */
	/* The continuation: system mode at the word after the excursion. */
	put_psw(g, RP_SLOTS + cont * RP_SLOT_BYTES,
	        PSW_S | (g->ie_possible && chance(g, 30) ? PSW_IE : 0) | rand_flags(g), after, 0,
	        VMM_RAND_MEM);
	if (by_rtu) {
		/* rtu keeps R: the user code runs at its physical address. */
		op(g, ISA_OP_MOVI, RP_REG_H0, 0, 0, (int32_t)ustart);
		op(g, ISA_OP_RTU, RP_REG_H0, 0, 0, 0);
		keep_out(g, init, g->pc);
		return;
	}
	static const uint32_t bounds[] = { VMM_RAND_MEM - RP_USER, RP_USER_DATA, RP_USER_DATA + 0x100 };
	uint32_t bound = chance(g, 10) ? below(g, VMM_RAND_MEM) : bounds[below(g, 3)];
	uint32_t base = chance(g, 5) ? below(g, VMM_RAND_MEM * 2) & ~3u : RP_USER;
	put_psw(g, RP_SLOTS + entry * RP_SLOT_BYTES,
	        (g->ie_possible && chance(g, 40) ? PSW_IE : 0) | rand_flags(g), ustart - RP_USER, base,
	        bound);
	op(g, ISA_OP_MOVI, RP_REG_H0, 0, 0, (int32_t)(RP_SLOTS + entry * RP_SLOT_BYTES));
	op(g, ISA_OP_LPSW, RP_REG_H0, 0, 0, 0);
	keep_out(g, init, g->pc);
}

/* ---- the fixed parts ------------------------------------------------------------- */

/* The prologue: the new PSW (handler, system mode, identity R), r11. */
static void gen_prologue(struct gen *g)
{
	uint32_t status = PSW_S | (chance(g, 3) ? PSW_IE : 0); /* rarely: nested interrupts */
	op(g, ISA_OP_MOVI, RP_REG_H0, 0, 0, 0);
	op(g, ISA_OP_MOVI, RP_REG_H1, 0, 0, (int32_t)status);
	op(g, ISA_OP_SW, RP_REG_H1, RP_REG_H0, 0, PG32_NEW_PSW + PSW_OFF_STATUS);
	op(g, ISA_OP_MOVI, RP_REG_H1, 0, 0, RP_HANDLER);
	op(g, ISA_OP_SW, RP_REG_H1, RP_REG_H0, 0, PG32_NEW_PSW + PSW_OFF_PC);
	op(g, ISA_OP_SW, RP_REG_H0, RP_REG_H0, 0, PG32_NEW_PSW + PSW_OFF_BASE);
	/* Rarely a new PSW whose handler cannot even be fetched: the first
	 * trap then loops, and the trap-loop rule must end the run. */
	op(g, ISA_OP_MOVI, RP_REG_H1, 0, 0, chance(g, 3) ? RP_HANDLER : VMM_RAND_MEM);
	op(g, ISA_OP_SW, RP_REG_H1, RP_REG_H0, 0, PG32_NEW_PSW + PSW_OFF_BOUND);
	op(g, ISA_OP_MOVI, RP_REG_DATA, 0, 0, RP_DATA);
}

/* The trap handler (see the header comment). */
static void gen_handler(struct gen *g)
{
	const unsigned h0 = RP_REG_H0, h1 = RP_REG_H1;
	uint32_t save_pc = g->pc, save_end = g->end;
	g->pc = RP_HANDLER;
	g->end = RP_DATA;
	uint32_t max_traps = 10 + below(g, 90);
	bool print = chance(g, 50);

	op(g, ISA_OP_MOVI, h0, 0, 0, 0);
	op(g, ISA_OP_LW, h1, h0, 0, RP_TRAP_COUNT);
	op(g, ISA_OP_ADDI, h1, h1, 0, 1);
	op(g, ISA_OP_SW, h1, h0, 0, RP_TRAP_COUNT);
	op(g, ISA_OP_CMPI, h1, 0, 0, (int32_t)max_traps);
	uint32_t b_ok = g->pc;
	op(g, ISA_OP_BLT, 0, 0, 0, 0);
	op(g, ISA_OP_OUT, h1, 0, 0, PORT_POWER_OFF);
	uint32_t ok = g->pc;
	op(g, ISA_OP_LW, h1, h0, 0, PG32_CAUSE);
	if (print) {
		op(g, ISA_OP_ADDI, h1, h1, 0, '@');
		op(g, ISA_OP_OUT, h1, 0, 0, PORT_CONSOLE_OUT);
		op(g, ISA_OP_LW, h1, h0, 0, PG32_CAUSE);
	}
	op(g, ISA_OP_CMPI, h1, 0, 0, TRAP_SVC);
	uint32_t b_not_fault = g->pc;
	op(g, ISA_OP_BGE, 0, 0, 0, 0);
	/* A fault: skip the instruction, realigned (a misaligned jump target
	 * would fault again forever). */
	op(g, ISA_OP_LW, h1, h0, 0, PG32_OLD_PSW + PSW_OFF_PC);
	op(g, ISA_OP_ADDI, h1, h1, 0, ISA_WORD_BYTES);
	op(g, ISA_OP_SHRI, h1, h1, 0, 2);
	op(g, ISA_OP_SHLI, h1, h1, 0, 2);
	op(g, ISA_OP_SW, h1, h0, 0, PG32_OLD_PSW + PSW_OFF_PC);
	/* In system mode, back to the identity R. */
	op(g, ISA_OP_LW, h1, h0, 0, PG32_OLD_PSW + PSW_OFF_STATUS);
	op(g, ISA_OP_ANDI, h1, h1, 0, PSW_S);
	op(g, ISA_OP_CMPI, h1, 0, 0, 0);
	uint32_t b_user = g->pc;
	op(g, ISA_OP_BEQ, 0, 0, 0, 0);
	op(g, ISA_OP_SW, h0, h0, 0, PG32_OLD_PSW + PSW_OFF_BASE);
	op(g, ISA_OP_MOVI, h1, 0, 0, VMM_RAND_MEM);
	op(g, ISA_OP_SW, h1, h0, 0, PG32_OLD_PSW + PSW_OFF_BOUND);
	uint32_t b_ret1 = g->pc;
	op(g, ISA_OP_B, 0, 0, 0, 0);
	uint32_t not_fault = g->pc;
	/* svc RP_EXIT_SVC + k: back to system mode through slot k. */
	op(g, ISA_OP_CMPI, h1, 0, 0, TRAP_SVC);
	uint32_t b_ret2 = g->pc;
	op(g, ISA_OP_BNE, 0, 0, 0, 0);
	op(g, ISA_OP_LW, h1, h0, 0, PG32_DETAIL);
	op(g, ISA_OP_CMPI, h1, 0, 0, RP_EXIT_SVC);
	uint32_t b_ret3 = g->pc;
	op(g, ISA_OP_BLT, 0, 0, 0, 0);
	op(g, ISA_OP_ADDI, h1, h1, 0, -RP_EXIT_SVC);
	op(g, ISA_OP_SHLI, h1, h1, 0, 4); /* * RP_SLOT_BYTES */
	op(g, ISA_OP_ADDI, h1, h1, 0, RP_SLOTS);
	op(g, ISA_OP_LPSW, h1, 0, 0, 0);
	uint32_t ret = g->pc;
	op(g, ISA_OP_LPSW, h0, 0, 0, 0);
	uint32_t last = g->pc;

	add_fix(g, b_ok, ok, false, 0);
	add_fix(g, b_not_fault, not_fault, false, 0);
	add_fix(g, b_user, ret, false, 0);
	add_fix(g, b_ret1, ret, false, 0);
	add_fix(g, b_ret2, ret, false, 0);
	add_fix(g, b_ret3, ret, false, 0);
	patch_jumps(g, 0, last);
	g->pc = save_pc;
	g->end = save_end;
}

int vmm_rand_generate(uint64_t seed, struct vmm_randprog *p)
{
	return vmm_rand_generate_variant(seed, ISA_VARIANT_WELL, p);
}

int vmm_rand_generate_variant(uint64_t seed, isa_variant variant, struct vmm_randprog *p)
{
	memset(p, 0, sizeof *p);
	p->variant = variant;
	struct gen *g = calloc(1, sizeof *g);
	p->mem = calloc(VMM_RAND_MEM, 1);
	p->insn_addr = calloc(RP_MAX_INSNS, sizeof *p->insn_addr);
	if (!g || !p->mem || !p->insn_addr) {
		free(g);
		vmm_rand_free(p);
		return PG32_ENOMEM;
	}
	p->seed = seed;
	p->mem_size = VMM_RAND_MEM;
	p->entry = RP_CODE;
	g->state = seed;
	g->p = p;

	gen_handler(g);
	g->pc = RP_CODE;
	g->end = RP_CODE_END;
	gen_prologue(g);
	g->user_next = RP_USER;
	unsigned n = 10 + below(g, 110);
	for (unsigned i = 0; i < n && room(g, 1); i++) {
		if (variant)
			pick_snippet(g, system_mix_ill, sizeof system_mix_ill / sizeof system_mix_ill[0]);
		else
			pick_snippet(g, system_mix, sizeof system_mix / sizeof system_mix[0]);
	}
	/* The end: power off with a register's low byte, or halt. */
	g->end = RP_HANDLER;
	uint32_t last = g->pc;
	if (chance(g, 85))
		op(g, ISA_OP_OUT, work_reg(g), 0, 0, PORT_POWER_OFF);
	else
		op(g, ISA_OP_HALT, 0, 0, 0, 0);
	patch_jumps(g, 0, last);
	free(g);
	vmm_rand_image(p);
	return 0;
}

void vmm_rand_image(struct vmm_randprog *p)
{
	/* One segment of all memory above the trap words (an image may not
	 * load into them; the prologue sets the new PSW). */
	p->seg = (struct img_segment){ .addr = PG32_TRAP_AREA_END,
	                               .mem_size = p->mem_size - PG32_TRAP_AREA_END,
	                               .size = p->mem_size - PG32_TRAP_AREA_END,
	                               .data = p->mem + PG32_TRAP_AREA_END };
	p->img = (struct image){ .variant = p->variant, .entry = p->entry, .nsegs = 1,
	                         .segs = &p->seg };
}

void vmm_rand_free(struct vmm_randprog *p)
{
	free(p->mem);
	free(p->insn_addr);
	memset(p, 0, sizeof *p);
}

uint32_t vmm_rand_shrink(struct vmm_randprog *p, const struct vmm_check_config *cfg)
{
	const uint32_t nop = enc(ISA_OP_NOP, 0, 0, 0, 0);
	struct vmm_check_config c = *cfg;
	c.first_divergence = false;
	uint32_t left = 0;
	/* From the end backwards: later instructions depend on earlier ones
	 * more often than the reverse. */
	for (uint32_t i = p->ninsn; i-- > 0;) {
		uint8_t *at = p->mem + p->insn_addr[i];
		uint32_t old = pg32_load32(at);
		if (old == nop)
			continue;
		pg32_store32(at, nop);
		struct vmm_check_result res;
		char msg[VMM_CHECK_WHAT];
		if (vmm_check(&p->img, &c, &res, msg, sizeof msg) != 0 || res.equivalent)
			pg32_store32(at, old); /* needed for the divergence: keep it */
	}
	for (uint32_t i = 0; i < p->ninsn; i++)
		if (pg32_load32(p->mem + p->insn_addr[i]) != nop)
			left++;
	return left;
}

void vmm_rand_print(const struct vmm_randprog *p, FILE *out)
{
	const uint32_t nop = enc(ISA_OP_NOP, 0, 0, 0, 0);
	fprintf(out, "random program, seed %llu (entry 0x%x, memory 0x%x):\n",
	        (unsigned long long)p->seed, p->entry, p->mem_size);
	for (uint32_t i = 0; i < p->ninsn; i++) {
		uint32_t a = p->insn_addr[i], w = pg32_load32(p->mem + a);
		if (w == nop)
			continue;
		char text[RP_DISASM_LEN];
		isa_disasm(w, a, NULL, NULL, text, sizeof text);
		fprintf(out, "  0x%04x: %08x  %s\n", a, w, text);
	}
	for (uint32_t s = RP_SLOTS; s < RP_SLOTS_END; s += RP_SLOT_BYTES) {
		const uint8_t *m = p->mem + s;
		if (pg32_load32(m + PSW_OFF_BOUND) || pg32_load32(m + PSW_OFF_STATUS))
			fprintf(out, "  PSW at 0x%04x: status 0x%x pc 0x%x base 0x%x bound 0x%x\n", s,
			        pg32_load32(m + PSW_OFF_STATUS), pg32_load32(m + PSW_OFF_PC),
			        pg32_load32(m + PSW_OFF_BASE), pg32_load32(m + PSW_OFF_BOUND));
	}
}
