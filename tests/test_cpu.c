/*
 * test_cpu.c -- unit tests of the PG32 CPU (isa/cpu.c) and of the table
 * functions it rests on (isa/isa.c: encode, decode, disassemble, variants).
 *
 * Programs are built in C with isa_encode (tests/pg32_test.h) and run on a
 * bare struct cpu: no monitor, and traps are only reported, except where a
 * test delivers one with cpu_deliver_trap.  The class tests walk the
 * instruction table (opcodes 1..ISA_NOPS-1 through isa_info), so a new row
 * of isa.def is tested without editing this file: privileged rows must trap
 * in user mode and change nothing, trapping rows must trap in both modes,
 * and every other row must do the same thing in both modes.  Then come the
 * semantics of each instruction, the relocation edges, the trap format,
 * the ill-behaved variant, interrupts, the instruction budget, and the
 * encoder, decoder and disassembler.  Random tests print their seed.
 *
 * The whole table of tests runs twice: on the reference loop (no decoded-
 * instruction cache) and on the fast loop (a cache attached), so every
 * semantic test above checks both.  The cache tests at the end write over
 * code the fast loop has already decoded, by every kind of writer, and
 * check that the new words run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg32.h"
#include "pg32_test.h"

#define CODE PG32_LOAD_ADDR   /* where the programs start */
#define PSW_AREA 0x1000u      /* a PSW for lpsw */
#define DATA 0x2000u          /* data for loads and stores */
#define MEM PT_MEM_SIZE
#define MSG_LEN 256
#define TEXT_LEN 96
#define SEED_CPU 20240611u
#define RANDOM_ROUNDS 200     /* random instances per opcode */
#define FUZZ_ROUNDS 300
#define FUZZ_BUDGET 500
#define SIGN_BIT 0x80000000u
#define INT_MIN_U 0x80000000u
#define INT_MAX_U 0x7FFFFFFFu
#define MINUS_1 0xFFFFFFFFu
#define MINUS(n) ((uint32_t)-(int32_t)(n))
#define BIG_BUDGET 100000u    /* far more than a block: the fast pass runs blocks */
#define OPCODE_LAST (UINT32_MAX >> ISA_OPCODE_SHIFT) /* the largest opcode byte */

struct fx {
	struct pt_prog p;
	struct cpu c;
	struct dev_bus bus;
	struct cpu_dcache *dcache;
};

/* Which loop the tests run: set by main for each of the two passes. */
static bool use_dcache;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	pt_prog_init(&f->p, MEM);
	dev_init(&f->bus, NULL);
	if (use_dcache) {
		f->dcache = cpu_dcache_new(MEM);
		if (!f->dcache)
			return -1;
		f->c.dcache = f->dcache; /* cpu_reset keeps it */
	}
	cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cpu_dcache_free(f->dcache);
	dev_close(&f->bus);
	pt_prog_free(&f->p);
	free(f);
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

/* Put w at CODE and point the pc at it. */
static void at_code(struct fx *f, uint32_t w)
{
	pt_poke(&f->p, CODE, w);
	f->c.pc = CODE;
}

static struct cpu_exit step(struct fx *f)
{
	return cpu_run(&f->c, 1);
}

/* Run w once from CODE; r1 = a, r2 = b; the result is in r3. */
static uint32_t exec_rrr(struct fx *f, enum isa_opcode op, uint32_t a, uint32_t b)
{
	at_code(f, pt_enc(op, PT_R3, PT_R1, PT_R2, 0));
	f->c.r[PT_R1] = a;
	f->c.r[PT_R2] = b;
	struct cpu_exit ex = step(f);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	return f->c.r[PT_R3];
}

static void assert_trap(const struct cpu_exit *ex, uint32_t cause, uint32_t detail, uint32_t pc)
{
	if (ex->stop != CPU_STOP_TRAP || ex->trap.cause != cause || ex->trap.detail != detail ||
	    ex->trap.pc != pc)
		fail_msg("expected trap %s detail 0x%x pc 0x%x, got stop %d trap %s detail 0x%x pc 0x%x",
		         pg32_trap_name(cause), detail, pc, ex->stop, pg32_trap_name(ex->trap.cause),
		         ex->trap.detail, ex->trap.pc);
}

/* A copy of the machine, to show that a fault changed nothing. */
struct snap {
	struct cpu c;
	uint8_t mem[MEM];
};

static struct snap *snap_take(const struct fx *f)
{
	struct snap *s = malloc(sizeof *s);
	assert_non_null(s);
	s->c = f->c;
	memcpy(s->mem, f->p.mem, MEM);
	return s;
}

/* The state is as in s (then s is freed). */
static void snap_check(const struct fx *f, struct snap *s, const char *what)
{
	for (unsigned i = 0; i < ISA_NREGS; i++)
		if (f->c.r[i] != s->c.r[i])
			fail_msg("%s: %s changed from 0x%x to 0x%x", what, isa_reg_name(i), s->c.r[i],
			         f->c.r[i]);
	assert_int_equal(f->c.pc, s->c.pc);
	assert_int_equal(f->c.status, s->c.status);
	assert_int_equal(f->c.base, s->c.base);
	assert_int_equal(f->c.bound, s->c.bound);
	assert_int_equal(f->c.clock, s->c.clock);
	assert_int_equal(f->c.waiting, s->c.waiting);
	assert_int_equal(f->c.irq_pending, s->c.irq_pending);
	pt_assert_mem_equal(f->p.mem, s->mem, MEM, what);
	free(s);
}

/* A legal instance of op with random fields. */
static uint32_t random_insn(enum isa_opcode op)
{
	const struct isa_opinfo *info = isa_info(op);
	int32_t lo = 0, hi = 0, imm = 0;
	if (isa_imm_range(info->format, &lo, &hi))
		imm = lo + (int32_t)pt_rand_below((uint32_t)(hi - lo) + 1u);
	return pt_enc(op, pt_rand_below(ISA_NREGS), pt_rand_below(ISA_NREGS),
	              pt_rand_below(ISA_NREGS), imm);
}

/* An interesting register value: often an aligned address in memory. */
static uint32_t random_value(void)
{
	static const uint32_t edges[] = { 0, 1, MINUS_1, INT_MIN_U, INT_MAX_U, DATA, MEM };
	switch (pt_rand_below(4)) {
	case 0: return edges[pt_rand_below(sizeof edges / sizeof edges[0])];
	case 1: return pt_rand32();
	default: return pt_rand_below(MEM) & ~(ISA_WORD_BYTES - 1);
	}
}

static void randomize(struct fx *f)
{
	for (unsigned i = 0; i < ISA_NREGS; i++)
		f->c.r[i] = random_value();
	for (uint32_t a = PG32_TRAP_AREA_END; a < MEM; a += ISA_WORD_BYTES)
		pt_poke(&f->p, a, pt_rand32());
	f->c.status = (f->c.status & (PSW_S | PSW_IE)) | (pt_rand32() & PSW_FLAGS);
}

/* The trap an ISA_F_TRAPS row raises: a short table, checked complete. */
static uint32_t cause_of_trapping_op(unsigned op)
{
	switch (op) {
	case ISA_OP_SVC: return TRAP_SVC;
	case ISA_OP_BRK: return TRAP_BRK;
	case ISA_OP_HCALL: return TRAP_HCALL;
	default: return TRAP_NONE;
	}
}

/* ---- the table ------------------------------------------------------------- */

/* Every opcode 1..ISA_NOPS-1 has a row; 0 and ISA_NOPS have none; mnemonics
 * look up to their opcode, case-insensitively. */
static void test_table_rows(void **state)
{
	(void)state;
	assert_null(isa_info(ISA_OP_UNDEFINED));
	assert_null(isa_info(ISA_NOPS));
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		assert_non_null(info);
		assert_true(strlen(info->mnemonic) > 0);
		assert_true(info->format < ISA_NFORMATS);
		assert_int_equal(isa_lookup(info->mnemonic), op);
		char upper[TEXT_LEN];
		size_t n = strlen(info->mnemonic);
		for (size_t i = 0; i <= n; i++)
			upper[i] = (char)(info->mnemonic[i] >= 'a' && info->mnemonic[i] <= 'z'
			                          ? info->mnemonic[i] - 'a' + 'A'
			                          : info->mnemonic[i]);
		assert_int_equal(isa_lookup(upper), op);
	}
	assert_int_equal(isa_lookup("nosuch"), ISA_OP_UNDEFINED);
}

/* Theorem 1 in the table: every sensitive row is privileged; critical rows
 * (an ill behaviour) are privileged; trapping rows are neither. */
static void test_table_classes(void **state)
{
	(void)state;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		if (info->flags & ISA_F_SENSITIVE)
			assert_true(info->flags & ISA_F_PRIV);
		if (info->ill != ISA_ILL_NONE)
			assert_true((info->flags & ISA_F_PRIV) && (info->flags & ISA_F_SENSITIVE));
		if (info->flags & ISA_F_TRAPS) {
			assert_false(info->flags & (ISA_F_PRIV | ISA_F_SENSITIVE));
			if (cause_of_trapping_op(op) == TRAP_NONE)
				fail_msg("trapping row %s has no cause in this test", info->mnemonic);
		}
	}
}

/* ---- classes, driven by the table --------------------------------------- */

/* Every privileged row traps TRAP_PRIV in user mode, detail = the word,
 * and changes nothing: registers, pc, flags, R, clock, memory. */
static void test_class_privileged_trap_in_user(void **state)
{
	struct fx *f = *state;
	pt_rand_init(__func__, SEED_CPU);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		if (!(isa_info(op)->flags & ISA_F_PRIV))
			continue;
		for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
			randomize(f);
			uint32_t w = random_insn(op);
			at_code(f, w);
			f->c.status = (f->c.status & PSW_FLAGS) | (round & 1 ? PSW_IE : 0); /* user */
			/* Half the time under relocation: the saved pc is virtual. */
			f->c.base = round & 2 ? 0 : ISA_WORD_BYTES * 4;
			f->c.bound = MEM - f->c.base;
			pt_poke(&f->p, f->c.base + CODE, w);
			struct snap *s = snap_take(f);
			struct cpu_exit ex = step(f);
			assert_trap(&ex, TRAP_PRIV, w, CODE);
			assert_int_equal(ex.trap.insn_pc, CODE);
			assert_int_equal(ex.trap.insn, w);
			snap_check(f, s, isa_info(op)->mnemonic);
		}
	}
}

/* Every privileged row runs in system mode without a privilege trap: with
 * all registers pointing at a valid PSW, each retires one instruction. */
static void test_class_privileged_run_in_system(void **state)
{
	struct fx *f = *state;
	pt_rand_init(__func__, SEED_CPU + 1);
	pt_put_psw(f->p.mem, PSW_AREA, PSW_S, CODE, 0, MEM);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		if (!(isa_info(op)->flags & ISA_F_PRIV))
			continue;
		for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
			cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
			for (unsigned i = 0; i < ISA_NREGS; i++)
				f->c.r[i] = PSW_AREA;
			uint32_t w = random_insn(op);
			at_code(f, w);
			struct cpu_exit ex = step(f);
			if (ex.stop == CPU_STOP_TRAP)
				fail_msg("%s in system mode trapped %s", isa_info(op)->mnemonic,
				         pg32_trap_name(ex.trap.cause));
			assert_int_equal(f->c.clock, 1);
		}
	}
}

/* Every ISA_F_TRAPS row traps in both modes with its cause, detail = the
 * immediate, saved pc = pc + 4, the instruction retired. */
static void test_class_trapping_rows_trap_in_both_modes(void **state)
{
	struct fx *f = *state;
	pt_rand_init(__func__, SEED_CPU + 2);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		if (!(isa_info(op)->flags & ISA_F_TRAPS))
			continue;
		for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
			cpu_reset(&f->c, f->p.mem, MEM, round & 2 ? isa_variant_all_ill() : 0, CODE);
			f->c.status = round & 1 ? PSW_S : 0;
			uint32_t w = random_insn(op);
			at_code(f, w);
			struct cpu_exit ex = step(f);
			assert_trap(&ex, cause_of_trapping_op(op), ISA_WORD_UIMM(w), CODE + ISA_WORD_BYTES);
			assert_int_equal(ex.trap.insn_pc, CODE);
			assert_int_equal(ex.trap.insn, w);
			assert_int_equal(f->c.clock, 1);
			assert_int_equal(f->c.status, round & 1 ? PSW_S : 0);
		}
	}
}

/* Every other row does exactly the same in user mode as in system mode:
 * same registers, pc, flags, memory, clock, and the same trap if any. */
static void test_class_innocuous_same_in_both_modes(void **state)
{
	struct fx *f = *state;
	struct fx g;
	pt_prog_init(&g.p, MEM);
	pt_rand_init(__func__, SEED_CPU + 3);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		if (isa_info(op)->flags & (ISA_F_PRIV | ISA_F_TRAPS))
			continue;
		for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
			cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
			randomize(f);
			at_code(f, random_insn(op));
			memcpy(g.p.mem, f->p.mem, MEM);
			g.c = f->c;
			g.c.mem = g.p.mem;
			g.c.status &= ~PSW_S;
			struct cpu_exit es = step(f), eu = step(&g);
			assert_int_equal(es.stop, eu.stop);
			if (es.stop == CPU_STOP_TRAP) {
				assert_int_equal(es.trap.cause, eu.trap.cause);
				assert_int_equal(es.trap.detail, eu.trap.detail);
				assert_int_equal(es.trap.pc, eu.trap.pc);
			}
			assert_memory_equal(f->c.r, g.c.r, sizeof f->c.r);
			assert_int_equal(f->c.pc, g.c.pc);
			assert_int_equal(f->c.status & ~PSW_S, g.c.status);
			assert_int_equal(f->c.clock, g.c.clock);
			pt_assert_mem_equal(g.p.mem, f->p.mem, MEM, isa_info(op)->mnemonic);
		}
	}
	pt_prog_free(&g.p);
}

/* isa_traps_in_user agrees with the CPU for every row under well, ill and
 * each single-instruction ill variant. */
static void test_class_traps_in_user_matches_cpu(void **state)
{
	struct fx *f = *state;
	isa_variant variants[ISA_NOPS + 2];
	size_t nv = 0;
	variants[nv++] = ISA_VARIANT_WELL;
	variants[nv++] = isa_variant_all_ill();
	for (unsigned op = 1; op < ISA_NOPS; op++)
		if (isa_info(op)->ill != ISA_ILL_NONE)
			variants[nv++] = ISA_VARIANT_BIT(op);
	pt_put_psw(f->p.mem, PSW_AREA, 0, CODE, 0, MEM);
	for (size_t v = 0; v < nv; v++) {
		for (unsigned op = 1; op < ISA_NOPS; op++) {
			cpu_reset(&f->c, f->p.mem, MEM, variants[v], CODE);
			f->c.status = 0;
			for (unsigned i = 0; i < ISA_NREGS; i++)
				f->c.r[i] = PSW_AREA;
			at_code(f, pt_enc(op, PT_R1, PT_R2, PT_R3, 0));
			struct cpu_exit ex = step(f);
			bool trapped = ex.stop == CPU_STOP_TRAP &&
			               (ex.trap.cause == TRAP_PRIV || cause_of_trapping_op(op) != TRAP_NONE);
			if (trapped != isa_traps_in_user(variants[v], op))
				fail_msg("%s: cpu %s in user mode, isa_traps_in_user says %d",
				         isa_info(op)->mnemonic, trapped ? "traps" : "does not trap",
				         isa_traps_in_user(variants[v], op));
		}
	}
	assert_true(isa_traps_in_user(ISA_VARIANT_WELL, ISA_OP_UNDEFINED));
}

/* ---- ALU semantics ------------------------------------------------------ */

struct alu_case {
	enum isa_opcode op;
	uint32_t a, b, want;
};

/* Register-register ALU results, with the edge cases of each operation:
 * wrap-around, INT_MIN / -1, truncating division, shift by rt & 31. */
static void test_alu_rrr(void **state)
{
	static const struct alu_case cases[] = {
		{ ISA_OP_ADD, INT_MAX_U, 1, INT_MIN_U },
		{ ISA_OP_ADD, MINUS_1, 1, 0 },
		{ ISA_OP_SUB, 0, 1, MINUS_1 },
		{ ISA_OP_SUB, INT_MIN_U, 1, INT_MAX_U },
		{ ISA_OP_AND, 0xF0F0F0F0u, 0xFF00FF00u, 0xF000F000u },
		{ ISA_OP_OR, 0xF0F0F0F0u, 0x0F000000u, 0xFFF0F0F0u },
		{ ISA_OP_XOR, 0xF0F0F0F0u, MINUS_1, 0x0F0F0F0Fu },
		{ ISA_OP_SHL, 1, 31, SIGN_BIT },
		{ ISA_OP_SHL, 1, 32, 1 },             /* rt & 31 = 0 */
		{ ISA_OP_SHL, 1, 33, 2 },
		{ ISA_OP_SHL, 3, MINUS_1, SIGN_BIT }, /* rt & 31 = 31 */
		{ ISA_OP_SHR, SIGN_BIT, 31, 1 },
		{ ISA_OP_SHR, SIGN_BIT, 32, SIGN_BIT },
		{ ISA_OP_SHR, MINUS_1, 4, 0x0FFFFFFFu },
		{ ISA_OP_SAR, SIGN_BIT, 31, MINUS_1 },
		{ ISA_OP_SAR, SIGN_BIT, 4, 0xF8000000u },
		{ ISA_OP_SAR, INT_MAX_U, 30, 1 },
		{ ISA_OP_SAR, SIGN_BIT, 32, SIGN_BIT },
		{ ISA_OP_MUL, 0x10000u, 0x10000u, 0 },
		{ ISA_OP_MUL, MINUS_1, MINUS_1, 1 },
		{ ISA_OP_MUL, 0x12345678u, 0x10u, 0x23456780u },
		{ ISA_OP_DIV, 7, MINUS(2), MINUS(3) },      /* truncates toward zero */
		{ ISA_OP_DIV, MINUS(7), 2, MINUS(3) },
		{ ISA_OP_DIV, INT_MIN_U, MINUS_1, INT_MIN_U }, /* defined: INT_MIN */
		{ ISA_OP_DIV, INT_MIN_U, 1, INT_MIN_U },
		{ ISA_OP_DIVU, MINUS_1, 2, INT_MAX_U },
		{ ISA_OP_DIVU, INT_MIN_U, MINUS_1, 0 },
		{ ISA_OP_REM, MINUS(7), 2, MINUS_1 },        /* sign of the dividend */
		{ ISA_OP_REM, 7, MINUS(2), 1 },
		{ ISA_OP_REM, INT_MIN_U, MINUS_1, 0 },       /* defined: 0 */
		{ ISA_OP_REMU, MINUS_1, 10, 5 },
		{ ISA_OP_REMU, 5, MINUS_1, 5 },
	};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct alu_case *k = &cases[i];
		uint32_t got = exec_rrr(f, k->op, k->a, k->b);
		if (got != k->want)
			fail_msg("%s 0x%x, 0x%x = 0x%x, expected 0x%x", isa_info(k->op)->mnemonic, k->a,
			         k->b, got, k->want);
	}
}

/* rd may be one of the sources: the sources are read before rd is written. */
static void test_alu_rd_aliases_source(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_SUB, PT_R1, PT_R2, PT_R1, 0));
	f->c.r[PT_R1] = 3;
	f->c.r[PT_R2] = 10;
	step(f);
	assert_int_equal(f->c.r[PT_R1], 7);
}

/* div, divu, rem, remu by zero trap TRAP_DIVIDE with detail = the word and
 * write nothing (rd, pc, flags, clock unchanged). */
static void test_alu_divide_by_zero(void **state)
{
	static const enum isa_opcode ops[] = { ISA_OP_DIV, ISA_OP_DIVU, ISA_OP_REM, ISA_OP_REMU };
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		for (unsigned mode = 0; mode < 2; mode++) {
			uint32_t w = pt_enc(ops[i], PT_R3, PT_R1, PT_R2, 0);
			at_code(f, w);
			f->c.status = mode ? PSW_S : 0;
			f->c.r[PT_R1] = INT_MIN_U;
			f->c.r[PT_R2] = 0;
			f->c.r[PT_R3] = 0xAAAAu;
			struct snap *s = snap_take(f);
			struct cpu_exit ex = step(f);
			assert_trap(&ex, TRAP_DIVIDE, w, CODE);
			snap_check(f, s, isa_info(ops[i])->mnemonic);
		}
	}
}

struct imm_case {
	enum isa_opcode op;
	uint32_t a;
	int32_t imm;
	uint32_t want;
};

/* Register-immediate results: simm sign-extended, uimm zero-extended, shifts
 * by 0 and 31, lui and movi constants. */
static void test_alu_immediate(void **state)
{
	static const struct imm_case cases[] = {
		{ ISA_OP_ADDI, 1, -1, 0 },
		{ ISA_OP_ADDI, 0, ISA_SIMM16_MIN, 0xFFFF8000u },
		{ ISA_OP_ADDI, 0, ISA_SIMM16_MAX, 0x7FFFu },
		{ ISA_OP_ADDI, INT_MAX_U, 1, INT_MIN_U },
		{ ISA_OP_ANDI, MINUS_1, ISA_UIMM16_MAX, 0xFFFFu },
		{ ISA_OP_ANDI, MINUS_1, 0x8000, 0x8000u },
		{ ISA_OP_ORI, 0, 0x8000, 0x8000u },
		{ ISA_OP_ORI, 0x12340000u, ISA_UIMM16_MAX, 0x1234FFFFu },
		{ ISA_OP_XORI, MINUS_1, 0x8000, 0xFFFF7FFFu },
		{ ISA_OP_SHLI, 1, ISA_SHIFT_MAX, SIGN_BIT },
		{ ISA_OP_SHLI, 0x1234u, 0, 0x1234u },
		{ ISA_OP_SHRI, SIGN_BIT, ISA_SHIFT_MAX, 1 },
		{ ISA_OP_SHRI, MINUS_1, 0, MINUS_1 },
		{ ISA_OP_SARI, SIGN_BIT, ISA_SHIFT_MAX, MINUS_1 },
		{ ISA_OP_SARI, INT_MAX_U, ISA_SHIFT_MAX, 0 },
		{ ISA_OP_LUI, 0, ISA_UIMM16_MAX, 0xFFFF0000u },
		{ ISA_OP_LUI, MINUS_1, 0x8000, 0x80000000u }, /* rd replaced, low half 0 */
		{ ISA_OP_MOVI, 0, -1, MINUS_1 },
		{ ISA_OP_MOVI, 0, ISA_SIMM16_MIN, 0xFFFF8000u },
		{ ISA_OP_MOVI, MINUS_1, ISA_SIMM16_MAX, 0x7FFFu },
	};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct imm_case *k = &cases[i];
		at_code(f, pt_enc(k->op, PT_R3, PT_R1, 0, k->imm));
		f->c.r[PT_R1] = k->a;
		f->c.r[PT_R3] = k->a; /* lui and movi read no source: rd's old value is lost */
		step(f);
		if (f->c.r[PT_R3] != k->want)
			fail_msg("%s 0x%x, %d = 0x%x, expected 0x%x", isa_info(k->op)->mnemonic, k->a,
			         k->imm, f->c.r[PT_R3], k->want);
	}
}

/* lui + ori build any 32-bit constant (ori does not sign-extend). */
static void test_alu_lui_ori_constants(void **state)
{
	static const uint32_t values[] = { 0, 1, 0xDEADBEEFu, 0x8000FFFFu, 0xFFFF8000u, MINUS_1 };
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		f->p.pc = CODE;
		pt_li(&f->p, PT_R4, values[i]);
		f->c.pc = CODE;
		f->c.r[PT_R4] = 0x5555AAAAu;
		assert_int_equal(cpu_run(&f->c, 2).stop, CPU_STOP_BUDGET);
		assert_int_equal(f->c.r[PT_R4], values[i]);
	}
}

/* ---- compare and branch ------------------------------------------------- */

struct flag_case {
	uint32_t a, b, flags;
};

/* cmp and cmpi set N Z C V for a - b, C meaning "no borrow" (a >= b
 * unsigned), on the signed and unsigned edge pairs; S and IE are kept. */
static void test_compare_flags(void **state)
{
	static const struct flag_case cases[] = {
		{ 0, 0, PSW_Z | PSW_C },
		{ 1, 2, PSW_N },
		{ 2, 1, PSW_C },
		{ INT_MIN_U, 1, PSW_C | PSW_V },
		{ INT_MAX_U, MINUS_1, PSW_N | PSW_V },
		{ MINUS_1, 1, PSW_N | PSW_C },
		{ 0, INT_MIN_U, PSW_N | PSW_V },
		{ INT_MIN_U, INT_MIN_U, PSW_Z | PSW_C },
		{ MINUS_1, MINUS_1, PSW_Z | PSW_C },
		{ INT_MIN_U, INT_MAX_U, PSW_C | PSW_V },
		{ 1, MINUS_1, 0 },
		{ MINUS_1, 0, PSW_N | PSW_C },
	};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct flag_case *k = &cases[i];
		for (unsigned imm = 0; imm < 2; imm++) {
			int32_t sb = (int32_t)k->b;
			if (imm && (sb < ISA_SIMM16_MIN || sb > ISA_SIMM16_MAX))
				continue;
			at_code(f, imm ? pt_enc(ISA_OP_CMPI, PT_R1, 0, 0, sb)
			               : pt_enc(ISA_OP_CMP, PT_R1, PT_R2, 0, 0));
			f->c.r[PT_R1] = k->a;
			f->c.r[PT_R2] = k->b;
			/* Start from the opposite flags: every flag must be written. */
			f->c.status = PSW_S | PSW_IE | (~k->flags & PSW_FLAGS);
			step(f);
			if (f->c.status != (PSW_S | PSW_IE | k->flags))
				fail_msg("%s 0x%x, 0x%x: status 0x%x, expected 0x%x", imm ? "cmpi" : "cmp",
				         k->a, k->b, f->c.status, PSW_S | PSW_IE | k->flags);
		}
	}
}

/* The relation each conditional branch tests, computed from the operands
 * (not from the flags): the oracle for the branch tests. */
static int branch_oracle(unsigned op, uint32_t a, uint32_t b)
{
	int32_t sa = (int32_t)a, sb = (int32_t)b;
	switch (op) {
	case ISA_OP_BEQ: return a == b;
	case ISA_OP_BNE: return a != b;
	case ISA_OP_BLT: return sa < sb;
	case ISA_OP_BGE: return sa >= sb;
	case ISA_OP_BGT: return sa > sb;
	case ISA_OP_BLE: return sa <= sb;
	case ISA_OP_BLTU: return a < b;
	case ISA_OP_BGEU: return a >= b;
	case ISA_OP_BGTU: return a > b;
	case ISA_OP_BLEU: return a <= b;
	default: return -1;
	}
}

/* Every conditional branch of the table (J rows other than b and call),
 * after cmp a, b, is taken exactly when its relation holds: edge pairs and
 * random pairs, target = pc + 4 + 4 * off24.  Once stepped, and once run
 * as a block, after cmp and after cmpi (the fast loop then runs the compare
 * and the branch as one handler), stopping at a brk on either path. */
static void test_branch_conditions(void **state)
{
	static const uint32_t edges[] = { 0, 1, 2, INT_MAX_U, INT_MIN_U, MINUS_1, MINUS(2) };
	const size_t ne = sizeof edges / sizeof edges[0];
	const int32_t skip = 3; /* words skipped when taken */
	struct fx *f = *state;
	pt_rand_init(__func__, SEED_CPU + 4);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		if (isa_info(op)->format != ISA_FMT_J || op == ISA_OP_B || op == ISA_OP_CALL)
			continue;
		if (branch_oracle(op, 0, 0) < 0)
			fail_msg("conditional branch %s has no oracle in this test", isa_info(op)->mnemonic);
		for (size_t i = 0; i < ne * ne + RANDOM_ROUNDS; i++) {
			uint32_t a = i < ne * ne ? edges[i / ne] : pt_rand32();
			uint32_t b = i < ne * ne ? edges[i % ne] : (pt_rand32() & 1 ? pt_rand32() : a);
			f->p.pc = CODE;
			pt_op(&f->p, ISA_OP_CMP, PT_R1, PT_R2, 0, 0);
			uint32_t br = pt_op(&f->p, op, 0, 0, 0, skip);
			f->c.pc = CODE;
			f->c.r[PT_R1] = a;
			f->c.r[PT_R2] = b;
			assert_int_equal(cpu_run(&f->c, 2).stop, CPU_STOP_BUDGET);
			uint32_t want = branch_oracle(op, a, b)
			                        ? br + ISA_WORD_BYTES + (uint32_t)skip * ISA_WORD_BYTES
			                        : br + ISA_WORD_BYTES;
			if (f->c.pc != want)
				fail_msg("%s after cmp 0x%x, 0x%x: pc 0x%x, expected 0x%x",
				         isa_info(op)->mnemonic, a, b, f->c.pc, want);
			const uint32_t brk = pt_enc(ISA_OP_BRK, 0, 0, 0, 0);
			pt_poke(&f->p, br + ISA_WORD_BYTES, brk);
			pt_poke(&f->p, br + ISA_WORD_BYTES + (uint32_t)skip * ISA_WORD_BYTES, brk);
			for (unsigned imm = 0; imm < 2; imm++) {
				if (imm && ((int32_t)b < ISA_SIMM16_MIN || (int32_t)b > ISA_SIMM16_MAX))
					continue;
				pt_poke(&f->p, CODE, imm ? pt_enc(ISA_OP_CMPI, PT_R1, 0, 0, (int32_t)b)
				                         : pt_enc(ISA_OP_CMP, PT_R1, PT_R2, 0, 0));
				f->c.pc = CODE;
				struct cpu_exit ex = cpu_run(&f->c, BIG_BUDGET);
				if (ex.stop != CPU_STOP_TRAP || ex.trap.cause != TRAP_BRK || ex.trap.insn_pc != want)
					fail_msg("%s after %s 0x%x, 0x%x, as a block: stopped at 0x%x, expected 0x%x",
					         isa_info(op)->mnemonic, imm ? "cmpi" : "cmp", a, b,
					         ex.trap.insn_pc, want);
			}
		}
	}
}

/* b: forward, to itself (off24 = -1), and the most negative offset is
 * sign-extended (the fetch at the far target then faults there). */
static void test_branch_unconditional(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_B, 0, 0, 0, 5));
	step(f);
	assert_int_equal(f->c.pc, CODE + ISA_WORD_BYTES + 5 * ISA_WORD_BYTES);

	at_code(f, pt_enc(ISA_OP_B, 0, 0, 0, -1));
	assert_int_equal(cpu_run(&f->c, 100).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.pc, CODE);

	at_code(f, pt_enc(ISA_OP_B, 0, 0, 0, ISA_OFF24_MIN));
	uint32_t far = CODE + ISA_WORD_BYTES - (1u << 25);
	struct cpu_exit ex = cpu_run(&f->c, 2);
	assert_trap(&ex, TRAP_MEMORY, far, far);
}

/* call and callr write lr = pc + 4; callr lr jumps to the old lr; jr. */
static void test_call_and_jump(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_CALL, 0, 0, 0, 7));
	step(f);
	assert_int_equal(f->c.r[PT_LR], CODE + ISA_WORD_BYTES);
	assert_int_equal(f->c.pc, CODE + ISA_WORD_BYTES * 8);

	at_code(f, pt_enc(ISA_OP_CALLR, PT_R5, 0, 0, 0));
	f->c.r[PT_R5] = DATA;
	step(f);
	assert_int_equal(f->c.r[PT_LR], CODE + ISA_WORD_BYTES);
	assert_int_equal(f->c.pc, DATA);

	at_code(f, pt_enc(ISA_OP_CALLR, PT_LR, 0, 0, 0));
	f->c.r[PT_LR] = DATA + ISA_WORD_BYTES;
	step(f);
	assert_int_equal(f->c.pc, DATA + ISA_WORD_BYTES);
	assert_int_equal(f->c.r[PT_LR], CODE + ISA_WORD_BYTES);

	at_code(f, pt_enc(ISA_OP_JR, PT_LR, 0, 0, 0));
	f->c.r[PT_LR] = DATA;
	step(f);
	assert_int_equal(f->c.pc, DATA);
	assert_int_equal(f->c.r[PT_LR], DATA);
}

/* jr and callr to a misaligned address retire, then the fetch faults
 * TRAP_ALIGN at the target: pc = detail = target; callr has written lr. */
static void test_jump_misaligned_target(void **state)
{
	static const enum isa_opcode ops[] = { ISA_OP_JR, ISA_OP_CALLR };
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		for (uint32_t off = 1; off < ISA_WORD_BYTES; off++) {
			cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
			at_code(f, pt_enc(ops[i], PT_R1, 0, 0, 0));
			f->c.r[PT_R1] = DATA + off;
			struct cpu_exit ex = cpu_run(&f->c, 10);
			assert_trap(&ex, TRAP_ALIGN, DATA + off, DATA + off);
			assert_int_equal(ex.trap.insn_pc, DATA + off);
			assert_int_equal(f->c.pc, DATA + off);
			assert_int_equal(f->c.clock, 1);
			assert_int_equal(f->c.r[PT_LR], ops[i] == ISA_OP_CALLR ? CODE + ISA_WORD_BYTES : 0);
		}
	}
}

/* ---- loads and stores --------------------------------------------------- */

/* lw and sw are little-endian; negative offsets; rs + simm wraps mod 2^32. */
static void test_mem_words(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_SW, PT_R1, PT_R2, 0, -(int32_t)ISA_WORD_BYTES));
	f->c.r[PT_R1] = 0x11223344u;
	f->c.r[PT_R2] = DATA + ISA_WORD_BYTES;
	step(f);
	assert_int_equal(f->p.mem[DATA], 0x44);
	assert_int_equal(f->p.mem[DATA + 3], 0x11);

	/* The largest positive offset, from a base that wraps. */
	at_code(f, pt_enc(ISA_OP_LW, PT_R3, PT_R2, 0, ISA_SIMM16_MAX - 3));
	pt_poke(&f->p, DATA, 0xCAFEF00Du);
	f->c.r[PT_R2] = DATA - (uint32_t)(ISA_SIMM16_MAX - 3);
	step(f);
	assert_int_equal(f->c.r[PT_R3], 0xCAFEF00Du);

	/* 0xFFFFFFFC + 4 wraps to address 0. */
	at_code(f, pt_enc(ISA_OP_LW, PT_R3, PT_R2, 0, ISA_WORD_BYTES));
	f->c.r[PT_R2] = MINUS(ISA_WORD_BYTES);
	pt_poke(&f->p, 0, 0x600DD00Du);
	step(f);
	assert_int_equal(f->c.r[PT_R3], 0x600DD00Du);
}

/* lb sign-extends, lbu zero-extends, sb writes only the low byte. */
static void test_mem_bytes(void **state)
{
	struct fx *f = *state;
	pt_poke(&f->p, DATA, 0x7F80u);
	at_code(f, pt_enc(ISA_OP_LB, PT_R3, PT_R2, 0, 0));
	f->c.r[PT_R2] = DATA;
	step(f);
	assert_int_equal(f->c.r[PT_R3], 0xFFFFFF80u);
	at_code(f, pt_enc(ISA_OP_LB, PT_R3, PT_R2, 0, 1));
	step(f);
	assert_int_equal(f->c.r[PT_R3], 0x7Fu);
	at_code(f, pt_enc(ISA_OP_LBU, PT_R3, PT_R2, 0, 0));
	step(f);
	assert_int_equal(f->c.r[PT_R3], 0x80u);

	pt_poke(&f->p, DATA, 0xAABBCCDDu);
	at_code(f, pt_enc(ISA_OP_SB, PT_R1, PT_R2, 0, 1));
	f->c.r[PT_R1] = 0x12345678u;
	step(f);
	assert_int_equal(pt_peek(&f->p, DATA), 0xAABB78DDu);
}

/* Word accesses at an address not a multiple of 4 fault TRAP_ALIGN with
 * detail = the address; lw writes no register, sw no memory; byte accesses
 * at the same addresses are fine. */
static void test_mem_alignment(void **state)
{
	static const enum isa_opcode word_ops[] = { ISA_OP_LW, ISA_OP_SW };
	static const enum isa_opcode byte_ops[] = { ISA_OP_LB, ISA_OP_LBU, ISA_OP_SB };
	struct fx *f = *state;
	for (uint32_t off = 1; off < ISA_WORD_BYTES; off++) {
		for (size_t i = 0; i < sizeof word_ops / sizeof word_ops[0]; i++) {
			uint32_t w = pt_enc(word_ops[i], PT_R1, PT_R2, 0, (int32_t)off);
			at_code(f, w);
			f->c.r[PT_R1] = 0x12345678u;
			f->c.r[PT_R2] = DATA;
			struct snap *s = snap_take(f);
			struct cpu_exit ex = step(f);
			assert_trap(&ex, TRAP_ALIGN, DATA + off, CODE);
			snap_check(f, s, isa_info(word_ops[i])->mnemonic);
		}
		for (size_t i = 0; i < sizeof byte_ops / sizeof byte_ops[0]; i++) {
			at_code(f, pt_enc(byte_ops[i], PT_R1, PT_R2, 0, (int32_t)off));
			assert_int_equal(step(f).stop, CPU_STOP_BUDGET);
		}
	}
}

/* ---- relocation edges --------------------------------------------------- */

struct access_case {
	enum isa_opcode op;
	uint32_t a;
	bool ok;
};

/* Run each access with R = (base, bound) and the pc at virtual 0 in the
 * given mode: legal ones land at physical base + a, the others fault
 * TRAP_MEMORY with detail a and change nothing. */
static void check_accesses(struct fx *f, uint32_t status, uint32_t base, uint32_t bound,
                           const struct access_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct access_case *k = &cases[i];
		const char *mn = isa_info(k->op)->mnemonic;
		uint32_t w = pt_enc(k->op, PT_R1, PT_R2, 0, 0);
		pt_poke(&f->p, base, w);
		cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, 0);
		f->c.status = status;
		f->c.base = base;
		f->c.bound = bound;
		f->c.r[PT_R1] = 0xA5A5A5A5u;
		f->c.r[PT_R2] = k->a;
		struct snap *s = snap_take(f);
		struct cpu_exit ex = step(f);
		if (!k->ok) {
			if (ex.stop != CPU_STOP_TRAP || ex.trap.cause != TRAP_MEMORY)
				fail_msg("%s at 0x%x under (0x%x, 0x%x): no memory fault", mn, k->a, base,
				         bound);
			assert_trap(&ex, TRAP_MEMORY, k->a, 0);
			snap_check(f, s, mn);
			continue;
		}
		free(s);
		if (ex.stop != CPU_STOP_BUDGET)
			fail_msg("%s at 0x%x under (0x%x, 0x%x): trapped %s", mn, k->a, base, bound,
			         pg32_trap_name(ex.trap.cause));
		if (k->op == ISA_OP_SB)
			assert_int_equal(f->p.mem[base + k->a], 0xA5);
		if (k->op == ISA_OP_SW)
			assert_int_equal(pt_peek(&f->p, base + k->a), 0xA5A5A5A5u);
	}
}

/* An access of n bytes at a is legal iff a + n <= bound: bytes at
 * bound-1 / bound / bound+1, words at bound-4 / bound / bound+4 and a word
 * straddling an unaligned bound, in both modes, relocated by base. */
static void test_reloc_bound_edges(void **state)
{
	const uint32_t base = DATA, bound = 0x100u, odd = 0x102u;
	const struct access_case at_bound[] = {
		{ ISA_OP_LB, bound - 1, true },  { ISA_OP_LB, bound, false },
		{ ISA_OP_LB, bound + 1, false }, { ISA_OP_LBU, bound - 1, true },
		{ ISA_OP_LBU, bound, false },    { ISA_OP_SB, bound - 1, true },
		{ ISA_OP_SB, bound, false },     { ISA_OP_SB, bound + 1, false },
		{ ISA_OP_LW, bound - 4, true },  { ISA_OP_LW, bound, false },
		{ ISA_OP_LW, bound + 4, false }, { ISA_OP_SW, bound - 4, true },
		{ ISA_OP_SW, bound, false },     { ISA_OP_SW, bound + 4, false },
		{ ISA_OP_LW, MINUS(ISA_WORD_BYTES), false },
		{ ISA_OP_SB, MINUS_1, false },
	};
	const struct access_case at_odd[] = {
		{ ISA_OP_LW, odd - 2, false }, /* [0x100, 0x104) pokes past 0x102 */
		{ ISA_OP_SW, odd - 2, false },
		{ ISA_OP_SB, odd - 1, true },
		{ ISA_OP_SB, odd, false },
	};
	struct fx *f = *state;
	for (unsigned mode = 0; mode < 2; mode++) {
		uint32_t st = mode ? PSW_S : 0;
		check_accesses(f, st, base, bound, at_bound, sizeof at_bound / sizeof at_bound[0]);
		check_accesses(f, st, base, odd, at_odd, sizeof at_odd / sizeof at_odd[0]);
	}
}

/* base + a at the very end of memory: the last byte and word are legal, one
 * more is not, even with a huge bound (base + bound overflows 32 bits). */
static void test_reloc_end_of_memory(void **state)
{
	const uint32_t tail = 0x40u, base = MEM - tail;
	const struct access_case cases[] = {
		{ ISA_OP_LB, tail - 1, true },  { ISA_OP_SB, tail - 1, true },
		{ ISA_OP_LB, tail, false },     { ISA_OP_SB, tail, false },
		{ ISA_OP_LW, tail - 4, true },  { ISA_OP_SW, tail - 4, true },
		{ ISA_OP_LW, tail, false },     { ISA_OP_SW, tail, false },
		{ ISA_OP_LW, MINUS(ISA_WORD_BYTES), false }, /* base + a wraps */
	};
	struct fx *f = *state;
	for (unsigned mode = 0; mode < 2; mode++)
		check_accesses(f, mode ? PSW_S : 0, base, MINUS_1, cases, sizeof cases / sizeof cases[0]);
}

/* base >= memory size (or bound 0): nothing is legal, not even the fetch,
 * which faults TRAP_MEMORY with detail = pc. */
static void test_reloc_base_outside_memory(void **state)
{
	static const uint32_t bases[] = { MEM, MEM + ISA_WORD_BYTES, MINUS(16) };
	struct fx *f = *state;
	for (size_t i = 0; i <= sizeof bases / sizeof bases[0]; i++) {
		for (unsigned mode = 0; mode < 2; mode++) {
			cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, 0);
			f->c.status = mode ? PSW_S : 0;
			f->c.base = i < sizeof bases / sizeof bases[0] ? bases[i] : 0;
			f->c.bound = i < sizeof bases / sizeof bases[0] ? MINUS_1 : 0;
			struct snap *s = snap_take(f);
			struct cpu_exit ex = step(f);
			assert_trap(&ex, TRAP_MEMORY, 0, 0);
			snap_check(f, s, "fetch outside memory");
		}
	}
}

/* The fetch is bounded too: the last whole word below the bound runs, the
 * next fetch faults at pc = bound (and at an unaligned bound, the word that
 * straddles it faults). */
static void test_reloc_fetch_at_bound(void **state)
{
	static const uint32_t bounds[] = { 0x100u, 0x102u };
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		for (unsigned mode = 0; mode < 2; mode++) {
			uint32_t last = (bounds[i] & ~(ISA_WORD_BYTES - 1)) - ISA_WORD_BYTES;
			pt_poke(&f->p, DATA + last, pt_enc(ISA_OP_NOP, 0, 0, 0, 0));
			pt_poke(&f->p, DATA + last + ISA_WORD_BYTES, pt_enc(ISA_OP_NOP, 0, 0, 0, 0));
			cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, last);
			f->c.status = mode ? PSW_S : 0;
			f->c.base = DATA;
			f->c.bound = bounds[i];
			struct cpu_exit ex = cpu_run(&f->c, 10);
			assert_trap(&ex, TRAP_MEMORY, last + ISA_WORD_BYTES, last + ISA_WORD_BYTES);
			assert_int_equal(f->c.clock, 1);
		}
	}
}

/* lrr takes effect at the very next fetch, which is relocated by the new R. */
static void test_reloc_lrr_next_fetch(void **state)
{
	struct fx *f = *state;
	const uint32_t base = DATA;
	at_code(f, pt_enc(ISA_OP_LRR, PT_R1, PT_R2, 0, 0));
	pt_poke(&f->p, base + CODE + ISA_WORD_BYTES, pt_enc(ISA_OP_MOVI, PT_R5, 0, 0, 7));
	const uint32_t bound = MEM - base - PSW_AREA; /* unlike base */
	f->c.r[PT_R1] = base;
	f->c.r[PT_R2] = bound;
	assert_int_equal(cpu_run(&f->c, 2).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R5], 7);
	assert_int_equal(f->c.base, base);
	assert_int_equal(f->c.bound, bound);
	assert_int_equal(f->c.pc, CODE + 2 * ISA_WORD_BYTES);
}

/* ---- sensitive instructions in system mode ------------------------------ */

/* lpsw loads status (reserved bits dropped), pc, base, bound from virtual
 * address rd under R, and faults (changing nothing) when the four words are
 * misaligned or outside R. */
static void test_lpsw(void **state)
{
	struct fx *f = *state;
	const uint32_t base = ISA_WORD_BYTES * 8;
	pt_put_psw(f->p.mem, base + PSW_AREA, 0xFFFFFF00u | PSW_IE | PSW_N, DATA, base, 0x1234u);
	at_code(f, pt_enc(ISA_OP_LPSW, PT_R1, 0, 0, 0));
	pt_poke(&f->p, base + CODE, pt_enc(ISA_OP_LPSW, PT_R1, 0, 0, 0));
	f->c.base = base;
	f->c.bound = MEM - base;
	f->c.r[PT_R1] = PSW_AREA;
	assert_int_equal(step(f).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.status, PSW_IE | PSW_N);
	assert_int_equal(f->c.pc, DATA);
	assert_int_equal(f->c.base, base);
	assert_int_equal(f->c.bound, 0x1234u);

	/* Misaligned, then reaching past the bound. */
	const uint32_t bad[] = { PSW_AREA + 2, MEM - PSW_BYTES + ISA_WORD_BYTES };
	const uint32_t causes[] = { TRAP_ALIGN, TRAP_MEMORY };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
		f->c.r[PT_R1] = bad[i];
		struct snap *s = snap_take(f);
		struct cpu_exit ex = step(f);
		assert_trap(&ex, causes[i], bad[i], CODE);
		snap_check(f, s, "lpsw");
	}
}

/* lpsw to a misaligned pc retires; the fetch then faults TRAP_ALIGN in the
 * new mode with pc = the loaded pc. */
static void test_lpsw_misaligned_pc(void **state)
{
	struct fx *f = *state;
	pt_put_psw(f->p.mem, PSW_AREA, 0, DATA + 2, 0, MEM);
	at_code(f, pt_enc(ISA_OP_LPSW, PT_R1, 0, 0, 0));
	f->c.r[PT_R1] = PSW_AREA;
	struct cpu_exit ex = cpu_run(&f->c, 10);
	assert_trap(&ex, TRAP_ALIGN, DATA + 2, DATA + 2);
	assert_int_equal(f->c.status, 0);
}

/* srr reads R (rd := base, rs := bound); rdpsw reads the status word. */
static void test_srr_rdpsw_system(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_SRR, PT_R1, PT_R2, 0, 0));
	step(f);
	assert_int_equal(f->c.r[PT_R1], 0);
	assert_int_equal(f->c.r[PT_R2], MEM);
	at_code(f, pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	f->c.status = PSW_S | PSW_IE | PSW_V;
	step(f);
	assert_int_equal(f->c.r[PT_R3], PSW_S | PSW_IE | PSW_V);
}

/* wrfl in system mode writes IE and the flags, never the mode. */
static void test_wrfl_system(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_WRFL, PT_R1, 0, 0, 0));
	f->c.r[PT_R1] = MINUS_1;
	step(f);
	assert_int_equal(f->c.status, PSW_S | PSW_IE | PSW_FLAGS);
	at_code(f, pt_enc(ISA_OP_WRFL, PT_R1, 0, 0, 0));
	f->c.r[PT_R1] = 0;
	step(f);
	assert_int_equal(f->c.status, PSW_S);
}

/* rtu in system mode enters user mode at rd, keeping IE, flags and R. */
static void test_rtu_system(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_RTU, PT_R1, 0, 0, 0));
	pt_poke(&f->p, DATA, pt_enc(ISA_OP_SVC, 0, 0, 0, 3));
	f->c.status = PSW_S | PSW_IE | PSW_C;
	f->c.r[PT_R1] = DATA;
	struct cpu_exit ex = cpu_run(&f->c, 10);
	assert_trap(&ex, TRAP_SVC, 3, DATA + ISA_WORD_BYTES);
	assert_int_equal(f->c.status, PSW_IE | PSW_C);
}

/* in/out on a CPU with no bus: in reads PORT_NONE_VALUE, out is ignored. */
static void test_io_without_bus(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_IN, PT_R1, 0, 0, PORT_CONSOLE_IN));
	step(f);
	assert_int_equal(f->c.r[PT_R1], PORT_NONE_VALUE);
	at_code(f, pt_enc(ISA_OP_OUT, PT_R1, 0, 0, PORT_POWER_OFF));
	assert_int_equal(step(f).stop, CPU_STOP_BUDGET);
}

/* Code patched in place runs at once: a store over the next instruction
 * (as a monitor patches a word) is what the next fetch sees. */
static void test_self_modifying_code(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_op(&f->p, ISA_OP_SW, PT_R1, PT_R2, 0, 0);
	uint32_t next = pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, 1);
	f->c.r[PT_R1] = pt_enc(ISA_OP_MOVI, PT_R3, 0, 0, 2);
	f->c.r[PT_R2] = next;
	assert_int_equal(cpu_run(&f->c, 2).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R3], 2);
}

/* nop changes nothing but the pc and the clock. */
static void test_nop(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_NOP, 0, 0, 0, 0));
	struct snap *s = snap_take(f);
	s->c.pc += ISA_WORD_BYTES;
	s->c.clock++;
	step(f);
	snap_check(f, s, "nop");
}

/* ---- monitor support: the watch map and cpu_exec_word ---------------------- */

/* One watch byte per word of the fixture's memory. */
static uint8_t watch_map[MEM / ISA_WORD_BYTES];

static void watch_on(struct fx *f)
{
	memset(watch_map, 0, sizeof watch_map);
	f->c.watch = watch_map;
	f->c.watch_base = 0;
	f->c.watch_words = MEM / ISA_WORD_BYTES;
}

/* A fetch of an X-watched word faults with TRAP_WATCH: detail the pc,
 * access X, nothing retired; with no map the same code just runs. */
static void test_watch_fetch(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_op(&f->p, ISA_OP_MOVI, PT_R1, 0, 0, 1);
	uint32_t second = pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, 2);
	f->c.pc = CODE;
	watch_on(f);
	watch_map[second / ISA_WORD_BYTES] = CPU_WATCH_X;
	struct cpu_exit ex = cpu_run(&f->c, 10);
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_WATCH);
	assert_int_equal(ex.trap.access, CPU_WATCH_X);
	assert_int_equal(ex.trap.detail, second);
	assert_int_equal(ex.trap.pc, second);
	assert_int_equal(f->c.pc, second);
	assert_int_equal(f->c.clock, 1);
	assert_int_equal(f->c.r[PT_R2], 0);
	/* R and W bits do not stop a fetch; no map, no checks. */
	watch_map[second / ISA_WORD_BYTES] = CPU_WATCH_R | CPU_WATCH_W;
	assert_int_equal(cpu_run(&f->c, 1).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], 2);
	f->c.pc = CODE;
	watch_map[CODE / ISA_WORD_BYTES] = CPU_WATCH_X;
	f->c.watch = NULL;
	assert_int_equal(cpu_run(&f->c, 1).stop, CPU_STOP_BUDGET);
}

/* Loads touching an R word and stores touching a W word fault with
 * TRAP_WATCH (detail: the virtual address) and change nothing; the
 * access's own faults come first; a load of a W word and a store to an R
 * word go through. */
static void test_watch_load_store(void **state)
{
	struct fx *f = *state;
	static const struct {
		enum isa_opcode op;
		int32_t off;
		uint8_t bit;
	} cases[] = {
		{ ISA_OP_LW, 0, CPU_WATCH_R }, { ISA_OP_LB, 3, CPU_WATCH_R },
		{ ISA_OP_LBU, 1, CPU_WATCH_R }, { ISA_OP_SW, 0, CPU_WATCH_W },
		{ ISA_OP_SB, 2, CPU_WATCH_W },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		watch_on(f);
		watch_map[DATA / ISA_WORD_BYTES] = cases[i].bit;
		pt_poke(&f->p, DATA, 0x11223344u);
		at_code(f, pt_enc(cases[i].op, PT_R1, PT_R2, 0, cases[i].off));
		f->c.r[PT_R1] = 0xAABBCCDDu;
		f->c.r[PT_R2] = DATA;
		f->c.clock = 0;
		struct cpu_exit ex = cpu_run(&f->c, 1);
		assert_int_equal(ex.stop, CPU_STOP_TRAP);
		assert_int_equal(ex.trap.cause, TRAP_WATCH);
		assert_int_equal(ex.trap.access, cases[i].bit);
		assert_int_equal(ex.trap.detail, DATA + (uint32_t)cases[i].off);
		assert_int_equal(f->c.pc, CODE);
		assert_int_equal(f->c.clock, 0);
		assert_int_equal(f->c.r[PT_R1], 0xAABBCCDDu);
		assert_int_equal(pt_peek(&f->p, DATA), 0x11223344u);
		/* The other bit does not stop it. */
		watch_map[DATA / ISA_WORD_BYTES] = cases[i].bit ^ (CPU_WATCH_R | CPU_WATCH_W);
		assert_int_equal(cpu_run(&f->c, 1).stop, CPU_STOP_BUDGET);
		assert_int_equal(f->c.pc, CODE + ISA_WORD_BYTES);
	}
	/* A misaligned word load on a watched word: the align fault wins. */
	watch_on(f);
	watch_map[DATA / ISA_WORD_BYTES] = CPU_WATCH_R;
	at_code(f, pt_enc(ISA_OP_LW, PT_R1, PT_R2, 0, 1));
	assert_int_equal(cpu_run(&f->c, 1).trap.cause, TRAP_ALIGN);
	/* Under a base that is not a multiple of 4 an aligned virtual word
	 * straddles two physical words: either one's bit counts.  Base 2:
	 * virtual DATA is physical DATA+2..DATA+5, the second word watched. */
	watch_on(f);
	watch_map[DATA / ISA_WORD_BYTES + 1] = CPU_WATCH_R;
	pt_poke(&f->p, CODE + 2, pt_enc(ISA_OP_LW, PT_R1, PT_R2, 0, 0));
	f->c.base = 2;
	f->c.bound = MEM - 2;
	f->c.pc = CODE;
	f->c.r[PT_R2] = DATA;
	struct cpu_exit ex = cpu_run(&f->c, 1);
	assert_int_equal(ex.trap.cause, TRAP_WATCH);
	assert_int_equal(ex.trap.access, CPU_WATCH_R);
	assert_int_equal(ex.trap.detail, DATA);
	f->c.watch = NULL;
}

/* cpu_exec_word runs the given word as if fetched at pc, whatever memory
 * holds there: one instruction, the same meaning as cpu_run's. */
static void test_exec_word(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_MOVI, PT_R1, 0, 0, 7)); /* what memory holds */
	f->c.r[PT_R2] = 40;
	struct cpu_exit ex = cpu_exec_word(&f->c, pt_enc(ISA_OP_ADDI, PT_R1, PT_R2, 0, 2));
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R1], 42);
	assert_int_equal(f->c.pc, CODE + ISA_WORD_BYTES);
	assert_int_equal(f->c.clock, 1);
	/* A jump, a trap that retires, a fault that does not. */
	f->c.pc = CODE;
	ex = cpu_exec_word(&f->c, pt_enc(ISA_OP_B, 0, 0, 0, 3));
	assert_int_equal(f->c.pc, CODE + 4 * ISA_WORD_BYTES);
	f->c.pc = CODE;
	ex = cpu_exec_word(&f->c, pt_enc(ISA_OP_SVC, 0, 0, 0, 9));
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_SVC);
	assert_int_equal(ex.trap.pc, CODE + ISA_WORD_BYTES);
	assert_int_equal(f->c.clock, 3);
	ex = cpu_exec_word(&f->c, 0u);
	assert_int_equal(ex.trap.cause, TRAP_ILLEGAL);
	assert_int_equal(f->c.clock, 3);
	/* The ill user-mode behaviour of a critical instruction: rdpsw in user
	 * mode reveals user mode. */
	cpu_reset(&f->c, f->p.mem, MEM, isa_variant_all_ill(), CODE);
	f->c.status = PSW_Z;
	ex = cpu_exec_word(&f->c, pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R3], PSW_Z);
	/* No interrupt is taken, even with one pending and IE on. */
	f->c.status = PSW_S | PSW_IE;
	f->c.irq_pending = IRQ_TIMER;
	ex = cpu_exec_word(&f->c, pt_enc(ISA_OP_NOP, 0, 0, 0, 0));
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.irq_pending, IRQ_TIMER);
	f->c.irq_pending = 0;
}

/* ---- trap format ---------------------------------------------------------- */

/* cpu_deliver_trap stores the old PSW (status, pc, base, bound), cause and
 * detail at their fixed physical addresses, loads the new PSW (reserved
 * status bits dropped), clears waiting, and changes no other byte of memory
 * and no register, for every cause. */
static void test_trap_format(void **state)
{
	struct fx *f = *state;
	uint8_t *before = malloc(MEM);
	assert_non_null(before);
	pt_rand_init(__func__, SEED_CPU + 5);
	for (uint32_t cause = TRAP_NONE + 1; cause < TRAP_NCAUSES; cause++) {
		for (uint32_t a = 0; a < MEM; a += ISA_WORD_BYTES)
			pt_poke(&f->p, a, pt_rand32());
		uint32_t nst = pt_rand32(), npc = pt_rand32(), nbase = pt_rand32(), nbound = pt_rand32();
		pt_put_psw(f->p.mem, PG32_NEW_PSW, nst, npc, nbase, nbound);
		cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
		for (unsigned i = 0; i < ISA_NREGS; i++)
			f->c.r[i] = pt_rand32();
		uint32_t regs[ISA_NREGS];
		memcpy(regs, f->c.r, sizeof regs);
		f->c.status = PSW_IE | PSW_N | PSW_C; /* user */
		f->c.base = DATA;
		f->c.bound = 0x300u;
		f->c.waiting = true;
		memcpy(before, f->p.mem, MEM);
		struct cpu_trap t = { .cause = cause, .detail = pt_rand32(), .pc = 0x44u,
		                      .insn_pc = 0x40u, .insn = pt_rand32() };
		cpu_deliver_trap(&f->c, &t);
		assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_STATUS), PSW_IE | PSW_N | PSW_C);
		assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_PC), 0x44u);
		assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_BASE), DATA);
		assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_BOUND), 0x300u);
		assert_int_equal(pt_peek(&f->p, PG32_CAUSE), cause);
		assert_int_equal(pt_peek(&f->p, PG32_DETAIL), t.detail);
		assert_int_equal(f->c.status, nst & PSW_VALID);
		assert_int_equal(f->c.pc, npc);
		assert_int_equal(f->c.base, nbase);
		assert_int_equal(f->c.bound, nbound);
		assert_false(f->c.waiting);
		assert_memory_equal(f->c.r, regs, sizeof regs);
		/* Restore the six words written, then all memory must match. */
		memcpy(f->p.mem + PG32_OLD_PSW, before + PG32_OLD_PSW, PSW_BYTES);
		memcpy(f->p.mem + PG32_CAUSE, before + PG32_CAUSE, ISA_WORD_BYTES);
		memcpy(f->p.mem + PG32_DETAIL, before + PG32_DETAIL, ISA_WORD_BYTES);
		pt_assert_mem_equal(f->p.mem, before, MEM, pg32_trap_name(cause));
	}
	free(before);
}

/* End to end: a user program under relocation makes svc 42; the reported
 * trap, once delivered, saves the user status, the virtual pc + 4 and R,
 * and the new PSW runs the handler in system mode. */
static void test_trap_from_user_under_relocation(void **state)
{
	struct fx *f = *state;
	const uint32_t base = DATA, bound = 0x200u, handler = CODE + 0x40u;
	pt_poke(&f->p, base + 0x10u, pt_enc(ISA_OP_SVC, 0, 0, 0, 42));
	pt_poke(&f->p, handler, pt_enc(ISA_OP_HALT, 0, 0, 0, 0));
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S, handler, 0, MEM);
	cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, 0x10u);
	f->c.status = PSW_Z;
	f->c.base = base;
	f->c.bound = bound;
	struct cpu_exit ex = cpu_run(&f->c, 10);
	assert_trap(&ex, TRAP_SVC, 42, 0x14u);
	cpu_deliver_trap(&f->c, &ex.trap);
	assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_STATUS), PSW_Z);
	assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_PC), 0x14u);
	assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_BASE), base);
	assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_BOUND), bound);
	assert_int_equal(pt_peek(&f->p, PG32_CAUSE), TRAP_SVC);
	assert_int_equal(pt_peek(&f->p, PG32_DETAIL), 42);
	ex = cpu_run(&f->c, 10);
	assert_int_equal(ex.stop, CPU_STOP_HALT);
	assert_int_equal(f->c.pc, handler + ISA_WORD_BYTES);
}

/* ---- the ill-behaved variant -------------------------------------------- */

/* Run w once in user mode under R = (DATA, 0x400) with the given variant. */
static struct cpu_exit run_user(struct fx *f, isa_variant v, uint32_t w, uint32_t status,
                                uint32_t r1)
{
	const uint32_t base = DATA;
	cpu_reset(&f->c, f->p.mem, MEM, v, 0);
	pt_poke(&f->p, base, w);
	f->c.status = status;
	f->c.base = base;
	f->c.bound = 0x400u;
	f->c.r[PT_R1] = r1;
	return step(f);
}

/* srr in user mode: under ill:srr it reveals the real R (x86 SGDT); under
 * well, or an ill variant without srr, it traps. */
static void test_ill_srr_reveals_r(void **state)
{
	struct fx *f = *state;
	uint32_t w = pt_enc(ISA_OP_SRR, PT_R1, PT_R2, 0, 0);
	struct cpu_exit ex = run_user(f, ISA_VARIANT_BIT(ISA_OP_SRR), w, 0, 0);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R1], DATA);
	assert_int_equal(f->c.r[PT_R2], 0x400u);
	ex = run_user(f, ISA_VARIANT_WELL, w, 0, 0);
	assert_trap(&ex, TRAP_PRIV, w, 0);
	ex = run_user(f, ISA_VARIANT_BIT(ISA_OP_RDPSW), w, 0, 0);
	assert_trap(&ex, TRAP_PRIV, w, 0);
}

/* rdpsw in user mode under ill: reveals the real status (S = 0). */
static void test_ill_rdpsw_reveals_mode(void **state)
{
	struct fx *f = *state;
	uint32_t w = pt_enc(ISA_OP_RDPSW, PT_R1, 0, 0, 0);
	struct cpu_exit ex = run_user(f, isa_variant_all_ill(), w, PSW_IE | PSW_Z, 0);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R1], PSW_IE | PSW_Z);
	ex = run_user(f, ISA_VARIANT_WELL, w, PSW_IE, 0);
	assert_trap(&ex, TRAP_PRIV, w, 0);
}

/* wrfl in user mode under ill: sets the flags, silently keeps IE (x86 POPF)
 * and never sets S. */
static void test_ill_wrfl_ignores_ie(void **state)
{
	struct fx *f = *state;
	const isa_variant ill = ISA_VARIANT_BIT(ISA_OP_WRFL);
	uint32_t w = pt_enc(ISA_OP_WRFL, PT_R1, 0, 0, 0);
	struct cpu_exit ex = run_user(f, ill, w, 0, PSW_IE | PSW_S | PSW_FLAGS);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.status, PSW_FLAGS); /* IE stays 0, S stays 0 */
	ex = run_user(f, ill, w, PSW_IE | PSW_FLAGS, 0);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.status, PSW_IE); /* IE stays 1, flags cleared */
	ex = run_user(f, ISA_VARIANT_WELL, w, 0, 0);
	assert_trap(&ex, TRAP_PRIV, w, 0);
}

/* rtu in user mode under ill: only a jump (PDP-10 JRST 1), still user. */
static void test_ill_rtu_only_jumps(void **state)
{
	struct fx *f = *state;
	const uint32_t target = 0x80u;
	uint32_t w = pt_enc(ISA_OP_RTU, PT_R1, 0, 0, 0);
	struct cpu_exit ex = run_user(f, ISA_VARIANT_BIT(ISA_OP_RTU), w, PSW_C, target);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.pc, target);
	assert_int_equal(f->c.status, PSW_C);
	ex = run_user(f, ISA_VARIANT_WELL, w, 0, target);
	assert_trap(&ex, TRAP_PRIV, w, 0);
}

/* Privileged rows with no ill behaviour trap in user mode even under the
 * fully ill variant, and cpu_reset keeps only critical bits of a variant. */
static void test_ill_others_still_trap(void **state)
{
	struct fx *f = *state;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		if (!(info->flags & ISA_F_PRIV) || info->ill != ISA_ILL_NONE)
			continue;
		uint32_t w = pt_enc(op, PT_R1, PT_R2, 0, 0);
		struct cpu_exit ex = run_user(f, ~(isa_variant)0, w, 0, 0);
		assert_trap(&ex, TRAP_PRIV, w, 0);
	}
	cpu_reset(&f->c, f->p.mem, MEM, ~(isa_variant)0, CODE);
	assert_true(f->c.variant == isa_variant_all_ill());
}

/* Every subset of the critical instructions formats and parses back to
 * itself; "well" and "ill" are the empty and the full set; names are
 * case-insensitive. */
static void test_variant_round_trip(void **state)
{
	(void)state;
	unsigned crit[ISA_NOPS];
	unsigned nc = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++)
		if (isa_info(op)->ill != ISA_ILL_NONE)
			crit[nc++] = op;
	assert_true(nc > 0 && nc < 16);
	for (unsigned subset = 0; subset < (1u << nc); subset++) {
		isa_variant v = 0, back = ~(isa_variant)0;
		for (unsigned i = 0; i < nc; i++)
			if (subset & (1u << i))
				v |= ISA_VARIANT_BIT(crit[i]);
		char text[MSG_LEN], msg[MSG_LEN] = "";
		isa_variant_format(v, text, sizeof text);
		if (isa_variant_parse(text, &back, msg, sizeof msg) != 0)
			fail_msg("'%s' does not parse: %s", text, msg);
		assert_true(back == v);
		if (v == 0)
			assert_string_equal(text, "well");
		else if (v == isa_variant_all_ill())
			assert_string_equal(text, "ill");
	}
	isa_variant v = 0;
	assert_int_equal(isa_variant_parse("ill:SRR,RtU", &v, NULL, 0), 0);
	assert_true(v == (ISA_VARIANT_BIT(ISA_OP_SRR) | ISA_VARIANT_BIT(ISA_OP_RTU)));
	char text[MSG_LEN];
	isa_variant_format(v, text, sizeof text);
	assert_string_equal(text, "ill:srr,rtu");
}

/* Malformed variants are refused with PG32_EARG and a message, and leave
 * the output alone. */
static void test_variant_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "Well", "bogus", "ill:", "ill:add", "ill:nosuch", "ill:srr,,rtu", ",srr",
		"ill:averyveryverylongname", "ill:lpsw", "illx", "ill:srr,", "ill:,srr",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char msg[MSG_LEN] = "";
		isa_variant v = 0x5A5A;
		if (isa_variant_parse(bad[i], &v, msg, sizeof msg) != PG32_EARG)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(msg) > 0);
		assert_true(v == 0x5A5A);
	}
	/* A non-critical name is answered with the list of critical ones. */
	char msg[MSG_LEN] = "";
	isa_variant v = 0;
	assert_int_equal(isa_variant_parse("ill:add", &v, msg, sizeof msg), PG32_EARG);
	assert_non_null(strstr(msg, "they are: srr,rdpsw,wrfl,rtu)"));
}

/* isa_variant_format into buffers of every size up to the text's: always
 * a NUL-terminated prefix of the full text, never a byte past the buffer
 * (each buffer is malloc'd to its exact size, for ASan). */
static void test_variant_format_small_buffers(void **state)
{
	(void)state;
	const isa_variant vs[] = { 0, isa_variant_all_ill(),
	                           ISA_VARIANT_BIT(ISA_OP_SRR) | ISA_VARIANT_BIT(ISA_OP_WRFL) |
	                                   ISA_VARIANT_BIT(ISA_OP_RTU) };
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
		char full[MSG_LEN];
		isa_variant_format(vs[i], full, sizeof full);
		for (size_t len = 1; len <= strlen(full) + 1; len++) {
			char *buf = malloc(len);
			assert_non_null(buf);
			isa_variant_format(vs[i], buf, len);
			assert_int_equal(strlen(buf), len - 1 < strlen(full) ? len - 1 : strlen(full));
			assert_memory_equal(buf, full, strlen(buf));
			free(buf);
		}
	}
}

/* The name functions follow the tables in pg32.h: trap names and kinds,
 * format syntax, ill twins (non-empty exactly for critical rows), errors. */
static void test_names(void **state)
{
	static const struct {
		uint32_t cause;
		const char *name;
		bool interrupt;
	} causes[] = {
#define CAUSE_ROW(nm, code, sname, kind, what, detail) \
	{ TRAP_##nm, sname, kind[0] == 'i' },
		PG32_TRAPS(CAUSE_ROW)
#undef CAUSE_ROW
	};
	(void)state;
	for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++) {
		assert_string_equal(pg32_trap_name(causes[i].cause), causes[i].name);
		assert_true(strlen(pg32_trap_what(causes[i].cause)) > 0);
		assert_int_equal(pg32_trap_is_interrupt(causes[i].cause), causes[i].interrupt);
	}
	assert_true(pg32_trap_is_interrupt(TRAP_TIMER) && pg32_trap_is_interrupt(TRAP_DISK));
	assert_string_equal(pg32_trap_name(TRAP_NCAUSES), "unknown");
	assert_false(pg32_trap_is_interrupt(TRAP_NCAUSES));
	for (unsigned f = 0; f < ISA_NFORMATS; f++)
		assert_non_null(isa_format_fields((enum isa_format)f));
	assert_string_equal(isa_format_syntax(ISA_FMT_MEM), "rd, simm(rs)");
	assert_string_equal(isa_format_syntax(ISA_NFORMATS), "?");
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		enum isa_ill ill = isa_info(op)->ill;
		assert_int_equal(strlen(isa_ill_twin(ill)) > 0, ill != ISA_ILL_NONE);
		assert_int_equal(strlen(isa_ill_behaviour(ill)) > 0, ill != ISA_ILL_NONE);
	}
	assert_string_equal(isa_reg_name(ISA_REG_SP), "sp");
	assert_string_equal(isa_reg_name(ISA_NREGS), "r?");
	assert_string_equal(pg32_strerror(0), "success");
	assert_string_equal(pg32_strerror(PG32_EARG), "bad argument");
	assert_string_equal(pg32_strerror(-100), "unknown error");
}

/* ---- interrupts ----------------------------------------------------------- */

/* A pending interrupt with IE = 0 waits; wrfl setting IE makes it taken at
 * once, before the next instruction, saving the pc after the wrfl. */
static void test_irq_masked_until_wrfl(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_op(&f->p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_op(&f->p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	uint32_t wrfl = pt_op(&f->p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	pt_op(&f->p, ISA_OP_NOP, 0, 0, 0, 0);
	f->c.irq_pending = IRQ_TIMER;
	struct cpu_exit ex = cpu_run(&f->c, 100);
	assert_trap(&ex, TRAP_TIMER, 3, wrfl + ISA_WORD_BYTES);
	assert_int_equal(f->c.clock, 3);
	assert_int_equal(f->c.pc, wrfl + ISA_WORD_BYTES);
	assert_int_equal(f->c.irq_pending, 0);
}

/* lpsw loading a PSW with IE = 1 lets a pending interrupt in before the
 * first instruction at the new pc. */
static void test_irq_taken_after_lpsw(void **state)
{
	struct fx *f = *state;
	pt_put_psw(f->p.mem, PSW_AREA, PSW_IE, DATA, 0, MEM);
	at_code(f, pt_enc(ISA_OP_LPSW, PT_R1, 0, 0, 0));
	f->c.r[PT_R1] = PSW_AREA;
	f->c.irq_pending = IRQ_DISK;
	struct cpu_exit ex = cpu_run(&f->c, 100);
	assert_trap(&ex, TRAP_DISK, 0, DATA);
	assert_int_equal(f->c.clock, 1);
	assert_int_equal(f->c.status, PSW_IE);
}

/* With IE = 1 an interrupt raised between runs is taken before any
 * instruction, saving the pc of the next one (a branch target, here). */
static void test_irq_between_instructions(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_B, 0, 0, 0, 9));
	f->c.status = PSW_S | PSW_IE;
	assert_int_equal(step(f).stop, CPU_STOP_BUDGET);
	f->c.irq_pending = IRQ_TIMER;
	struct cpu_exit ex = cpu_run(&f->c, 100);
	uint32_t target = CODE + ISA_WORD_BYTES * 10;
	assert_trap(&ex, TRAP_TIMER, 1, target);
	assert_int_equal(ex.trap.insn_pc, target);
	assert_int_equal(ex.trap.insn, 0);
	assert_int_equal(f->c.clock, 1);
}

/* Timer before disk; the disk stays pending and is taken when the handler's
 * PSW enables interrupts again; interrupts are taken in user mode too. */
static void test_irq_priority(void **state)
{
	struct fx *f = *state;
	const uint32_t handler = DATA;
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S | PSW_IE, handler, 0, MEM);
	at_code(f, pt_enc(ISA_OP_NOP, 0, 0, 0, 0));
	f->c.status = PSW_IE; /* user */
	f->c.irq_pending = IRQ_TIMER | IRQ_DISK;
	struct cpu_exit ex = cpu_run(&f->c, 100);
	assert_trap(&ex, TRAP_TIMER, 0, CODE);
	assert_int_equal(f->c.irq_pending, IRQ_DISK);
	cpu_deliver_trap(&f->c, &ex.trap);
	assert_int_equal(pt_peek(&f->p, PG32_OLD_PSW + PSW_OFF_STATUS), PSW_IE);
	ex = cpu_run(&f->c, 100);
	assert_trap(&ex, TRAP_DISK, 0, handler);
	assert_int_equal(f->c.irq_pending, 0);
}

/* halt with IE = 0 stops the machine (CPU_STOP_HALT) after retiring, and
 * stays stopped; with IE = 1 and nothing to wait for, it stops too. */
static void test_halt_stops(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_HALT, 0, 0, 0, 0));
	assert_int_equal(cpu_run(&f->c, 100).stop, CPU_STOP_HALT);
	assert_int_equal(f->c.clock, 1);
	assert_int_equal(f->c.pc, CODE + ISA_WORD_BYTES);
	assert_int_equal(cpu_run(&f->c, 100).stop, CPU_STOP_HALT);
	assert_int_equal(f->c.clock, 1);

	f->c.bus = &f->bus; /* a bus, but no device event */
	at_code(f, pt_enc(ISA_OP_HALT, 0, 0, 0, 0));
	f->c.waiting = false;
	f->c.status = PSW_S | PSW_IE;
	assert_int_equal(cpu_run(&f->c, 100).stop, CPU_STOP_HALT);
}

/* halt with IE = 1 idles: the clock jumps to the next device event and the
 * interrupt saves the pc after the halt; a budget that ends first leaves
 * the CPU waiting at the budget's end. */
static void test_halt_idles_to_next_event(void **state)
{
	struct fx *f = *state;
	const uint32_t period = 1000;
	f->c.bus = &f->bus;
	f->p.pc = CODE;
	pt_op(&f->p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	pt_op(&f->p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	pt_out_imm(&f->p, PT_R2, PORT_TIMER_PERIOD, period); /* 3 instructions: clock 5 */
	uint32_t halt = pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	struct cpu_exit ex = cpu_run(&f->c, 100);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_true(f->c.waiting);
	assert_int_equal(f->c.clock, 100);
	ex = cpu_run(&f->c, 10000);
	assert_trap(&ex, TRAP_TIMER, 5 + period, halt + ISA_WORD_BYTES);
	assert_int_equal(f->c.clock, 5 + period);
	assert_false(f->c.waiting);
}

/* A pending interrupt with IE = 1 is taken before a halt runs; one that
 * is masked (IE = 0) does not wake a halt: the machine stops. */
static void test_halt_and_pending_irq(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_HALT, 0, 0, 0, 0));
	f->c.status = PSW_S | PSW_IE;
	f->c.irq_pending = IRQ_DISK;
	struct cpu_exit ex = cpu_run(&f->c, 100);
	assert_trap(&ex, TRAP_DISK, 0, CODE);
	assert_int_equal(f->c.clock, 0);

	f->c.status = PSW_S;
	f->c.irq_pending = IRQ_TIMER;
	ex = cpu_run(&f->c, 100);
	assert_int_equal(ex.stop, CPU_STOP_HALT);
	assert_int_equal(f->c.clock, 1);
	assert_int_equal(f->c.irq_pending, IRQ_TIMER);
}

/* ---- the budget ------------------------------------------------------------ */

/* cpu_run(c, n) retires exactly n instructions, also across instructions
 * that leave the fast loop (lrr, wrfl, in/out) and over consecutive calls;
 * n single steps end in the same state as one run of n. */
static void test_budget_exact(void **state)
{
	static const uint64_t budgets[] = { 0, 1, 2, 3, 4, 5, 7, 1000, 12345 };
	struct fx *f = *state;
	f->p.pc = CODE;
	uint32_t loop = pt_op(&f->p, ISA_OP_ADDI, PT_R5, PT_R5, 0, 1);
	pt_op(&f->p, ISA_OP_LRR, PT_R0, PT_R1, 0, 0);
	pt_op(&f->p, ISA_OP_WRFL, PT_R0, 0, 0, 0);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_TIMER_CLOCK);
	pt_op(&f->p, ISA_OP_CMP, PT_R5, PT_R0, 0, 0);
	pt_jump(&f->p, ISA_OP_BNE, loop);
	const uint64_t loop_len = (f->p.pc - loop) / ISA_WORD_BYTES;
	for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
		cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
		f->c.bus = &f->bus;
		f->c.r[PT_R1] = MEM;
		struct cpu_exit ex = cpu_run(&f->c, budgets[i]);
		assert_int_equal(ex.stop, CPU_STOP_BUDGET);
		assert_int_equal(f->c.clock, budgets[i]);
		/* The loop counts its own iterations: each starts with the addi. */
		assert_int_equal(f->c.r[PT_R5], (budgets[i] + loop_len - 1) / loop_len);
		ex = cpu_run(&f->c, budgets[i]);
		assert_int_equal(f->c.clock, 2 * budgets[i]);

		struct cpu one = f->c;
		cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
		f->c.bus = &f->bus;
		f->c.r[PT_R1] = MEM;
		for (uint64_t k = 0; k < 2 * budgets[i]; k++)
			assert_int_equal(step(f).stop, CPU_STOP_BUDGET);
		assert_memory_equal(f->c.r, one.r, sizeof one.r);
		assert_int_equal(f->c.pc, one.pc);
		assert_int_equal(f->c.status, one.status);
		assert_int_equal(f->c.clock, one.clock);
	}
}

/* A budget larger than what is left of the 64-bit clock does not wrap. */
static void test_budget_no_overflow(void **state)
{
	struct fx *f = *state;
	at_code(f, pt_enc(ISA_OP_B, 0, 0, 0, -1));
	f->c.clock = UINT64_MAX - 10;
	struct cpu_exit ex = cpu_run(&f->c, UINT64_MAX);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_true(f->c.clock == UINT64_MAX);
}

/* ---- encoding, decoding, illegal words ------------------------------------ */

/* For every opcode and random legal fields, encode then decode gives the
 * fields back, and decode then encode gives the word back. */
static void test_encode_decode_round_trip(void **state)
{
	(void)state;
	pt_rand_init(__func__, SEED_CPU + 6);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
			uint32_t w = random_insn(op);
			struct isa_insn in;
			assert_int_equal(isa_decode(w, &in), 0);
			assert_int_equal(in.op, op);
			uint32_t back = 0;
			assert_int_equal(isa_encode(&in, &back, NULL, 0), 0);
			assert_int_equal(back, w);
			assert_int_equal(ISA_WORD_OPCODE(w), op);
			int32_t lo, hi;
			if (isa_imm_range(isa_info(op)->format, &lo, &hi))
				assert_true(in.imm >= lo && in.imm <= hi);
		}
	}
}

/* isa_encode refuses undefined opcodes, registers above 15 and immediates
 * one past either end of their range, with a message. */
static void test_encode_errors(void **state)
{
	(void)state;
	char msg[MSG_LEN] = "";
	uint32_t w = 0x5A5A5A5Au;
	struct isa_insn in = { .op = ISA_OP_UNDEFINED };
	assert_int_equal(isa_encode(&in, &w, msg, sizeof msg), PG32_EILLEGAL);
	in = (struct isa_insn){ .op = ISA_NOPS };
	assert_int_equal(isa_encode(&in, &w, msg, sizeof msg), PG32_EILLEGAL);
	in = (struct isa_insn){ .op = ISA_OP_ADD, .rd = ISA_NREGS };
	assert_int_equal(isa_encode(&in, &w, msg, sizeof msg), PG32_ERANGE);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		int32_t lo, hi;
		if (!isa_imm_range(isa_info(op)->format, &lo, &hi))
			continue;
		msg[0] = '\0';
		in = (struct isa_insn){ .op = op, .imm = hi + 1 };
		assert_int_equal(isa_encode(&in, &w, msg, sizeof msg), PG32_ERANGE);
		assert_true(strlen(msg) > 0);
		in.imm = lo - 1;
		assert_int_equal(isa_encode(&in, &w, NULL, 0), PG32_ERANGE);
	}
	assert_int_equal(w, 0x5A5A5A5Au);
}

/* Run w at CODE in the given mode: it must trap TRAP_ILLEGAL with
 * detail = w and change nothing. */
static void expect_illegal(struct fx *f, uint32_t w, uint32_t status)
{
	cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
	at_code(f, w);
	f->c.status = status;
	struct snap *s = snap_take(f);
	struct cpu_exit ex = step(f);
	if (ex.stop != CPU_STOP_TRAP || ex.trap.cause != TRAP_ILLEGAL)
		fail_msg("word 0x%08x in %s mode did not trap illegal", w, status ? "system" : "user");
	assert_trap(&ex, TRAP_ILLEGAL, w, CODE);
	snap_check(f, s, "illegal");
	struct isa_insn in;
	assert_int_equal(isa_decode(w, &in), PG32_EILLEGAL);
}

/* Undefined opcodes (0 and ISA_NOPS..255), any set bit in a format's unused
 * field, and a shift count above 31 are illegal: isa_decode refuses them and
 * the CPU traps TRAP_ILLEGAL in both modes (before any privilege check). */
static void test_illegal_words(void **state)
{
	struct fx *f = *state;
	pt_rand_init(__func__, SEED_CPU + 7);
	for (unsigned mode = 0; mode < 2; mode++) {
		uint32_t st = mode ? PSW_S : 0;
		expect_illegal(f, 0, st);
		for (unsigned op = ISA_NOPS; op <= OPCODE_LAST; op++)
			expect_illegal(f, (uint32_t)op << ISA_OPCODE_SHIFT | (pt_rand32() & ISA_OFF24_MASK),
			               st);
		for (unsigned op = 1; op < ISA_NOPS; op++) {
			uint32_t unused = 0;
			switch (isa_info(op)->format) {
#define UNUSED_CASE(name, syntax, fields, mask) case ISA_FMT_##name: unused = mask; break;
				ISA_FORMATS(UNUSED_CASE)
#undef UNUSED_CASE
			case ISA_NFORMATS: break;
			}
			for (unsigned bit = 0; bit < ISA_OPCODE_SHIFT; bit++)
				if (unused & (1u << bit))
					expect_illegal(f, pt_enc(op, 0, 0, 0, 0) | (1u << bit), st);
		}
		expect_illegal(f, pt_enc(ISA_OP_SHLI, PT_R1, PT_R1, 0, 0) | (ISA_SHIFT_MAX + 1), st);
	}
}

/* ---- disassembly ---------------------------------------------------------- */

static const char *sym_at_data(void *ctx, uint32_t addr)
{
	(void)ctx;
	return addr == DATA ? "data" : NULL;
}

/* isa_disasm prints each format's syntax; J targets are absolute or a
 * symbol; an illegal word prints as .word. */
static void test_disasm_formats(void **state)
{
	static const struct {
		struct isa_insn in;
		const char *text;
	} cases[] = {
		{ { .op = ISA_OP_NOP }, "nop" },
		{ { .op = ISA_OP_ADD, .rd = 1, .rs = 2, .rt = 3 }, "add r1, r2, r3" },
		{ { .op = ISA_OP_CMP, .rd = 12, .rs = ISA_REG_SP }, "cmp r12, sp" },
		{ { .op = ISA_OP_JR, .rd = ISA_REG_LR }, "jr lr" },
		{ { .op = ISA_OP_ADDI, .rd = 1, .rs = 2, .imm = -5 }, "addi r1, r2, -5" },
		{ { .op = ISA_OP_ORI, .rd = 1, .rs = 2, .imm = 0xFFFF }, "ori r1, r2, 0xffff" },
		{ { .op = ISA_OP_SHLI, .rd = 1, .rs = 2, .imm = 31 }, "shli r1, r2, 31" },
		{ { .op = ISA_OP_MOVI, .rd = 1, .imm = ISA_SIMM16_MIN }, "movi r1, -32768" },
		{ { .op = ISA_OP_LUI, .rd = ISA_REG_FP, .imm = 0x1234 }, "lui fp, 0x1234" },
		{ { .op = ISA_OP_LW, .rd = 1, .rs = ISA_REG_SP, .imm = -4 }, "lw r1, -4(sp)" },
		{ { .op = ISA_OP_B, .imm = 0 }, "b 0x00000104" },
		{ { .op = ISA_OP_BEQ, .imm = -2 }, "beq 0x000000fc" },
		{ { .op = ISA_OP_SVC, .imm = 7 }, "svc 7" },
	};
	(void)state;
	bool seen[ISA_NFORMATS] = { false };
	char buf[TEXT_LEN];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t w;
		assert_int_equal(isa_encode(&cases[i].in, &w, NULL, 0), 0);
		isa_disasm(w, CODE, NULL, NULL, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
		seen[isa_info(cases[i].in.op)->format] = true;
	}
	for (unsigned fmt = 0; fmt < ISA_NFORMATS; fmt++)
		if (!seen[fmt])
			fail_msg("format %s has no disassembly case", isa_format_fields(fmt));
	uint32_t w = pt_enc(ISA_OP_CALL, 0, 0, 0, (int32_t)((DATA - CODE) / ISA_WORD_BYTES) - 1);
	isa_disasm(w, CODE, sym_at_data, NULL, buf, sizeof buf);
	assert_string_equal(buf, "call data");
	isa_disasm(0, CODE, NULL, NULL, buf, sizeof buf);
	assert_string_equal(buf, ".word 0x00000000");
	char want[TEXT_LEN];
	w = pt_enc(ISA_OP_NOP, 0, 0, 0, 0) | 1u;
	snprintf(want, sizeof want, ".word 0x%08x", w);
	isa_disasm(w, CODE, NULL, NULL, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* ---- robustness ----------------------------------------------------------- */

/* Random words in memory, random R and modes, every trap delivered through
 * random new PSWs: the CPU never touches memory outside E (ASan watches),
 * the status keeps only valid bits and the clock only grows. */
static void test_fuzz_random_programs(void **state)
{
	struct fx *f = *state;
	pt_rand_init(__func__, SEED_CPU + 8);
	f->c.bus = &f->bus;
	for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
		for (uint32_t a = 0; a < MEM; a += ISA_WORD_BYTES) {
			uint32_t w = pt_rand32();
			/* Mostly defined opcodes, to get past the first word. */
			if (pt_rand_below(8) != 0)
				w = (w & ~(0xFFu << ISA_OPCODE_SHIFT)) |
				    (1u + pt_rand_below(ISA_NOPS - 1)) << ISA_OPCODE_SHIFT;
			pt_poke(&f->p, a, w);
		}
		cpu_reset(&f->c, f->p.mem, MEM, pt_rand32() & 1 ? isa_variant_all_ill() : 0,
		          pt_rand_below(MEM) & ~(ISA_WORD_BYTES - 1));
		for (unsigned i = 0; i < ISA_NREGS; i++)
			f->c.r[i] = random_value();
		f->c.status = pt_rand32() & PSW_VALID;
		f->c.base = pt_rand_below(4) ? pt_rand_below(MEM) : pt_rand32();
		f->c.bound = pt_rand_below(4) ? pt_rand_below(MEM) : pt_rand32();
		uint64_t last = 0;
		for (unsigned k = 0; k < 50; k++) {
			struct cpu_exit ex = cpu_run(&f->c, FUZZ_BUDGET);
			assert_int_equal(f->c.status & ~PSW_VALID, 0);
			assert_true(f->c.clock >= last);
			last = f->c.clock;
			if (ex.stop == CPU_STOP_POWEROFF || ex.stop == CPU_STOP_HALT)
				break;
			if (ex.stop == CPU_STOP_TRAP) {
				pt_put_psw(f->p.mem, PG32_NEW_PSW, pt_rand32(),
				           pt_rand_below(MEM) & ~(ISA_WORD_BYTES - 1),
				           pt_rand_below(2) ? 0 : pt_rand_below(MEM), pt_rand32());
				cpu_deliver_trap(&f->c, &ex.trap);
			}
		}
		dev_init(&f->bus, NULL);
	}
}

/* ---- the decoded-instruction cache ------------------------------------------
 * Each test first runs some code (so the fast pass has decoded it), then
 * changes it by one kind of writer, then runs it again. */

/* The loop: r1 += 1; r2 := SMC_OLD_IMM; b back.  The word at movi is the one
 * the writers replace. */
#define SMC_OLD_IMM 11
#define SMC_NEW_IMM 22
#define SMC_LOOPS 10u

/* Emit the loop at CODE; returns the address of its movi. */
static uint32_t smc_loop(struct fx *f)
{
	f->p.pc = CODE;
	uint32_t top = pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	uint32_t at = pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, SMC_OLD_IMM);
	pt_jump(&f->p, ISA_OP_B, top);
	return at;
}

/* The guest stores a new word over code it has run, then runs it: the
 * store must be seen by the very next fetch of that word, both when the
 * word comes back round a loop and when it is the next instruction. */
static void test_dcache_guest_store_over_code(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	/* r4 = the word "movi r2, SMC_NEW_IMM"; r5 = address of the target */
	pt_li(&f->p, PT_R4, pt_enc(ISA_OP_MOVI, PT_R2, 0, 0, SMC_NEW_IMM));
	uint32_t li5 = f->p.pc;
	pt_li(&f->p, PT_R5, 0);
	uint32_t top = pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, SMC_OLD_IMM); /* target */
	pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&f->p, ISA_OP_SW, PT_R4, PT_R5, 0, 0);
	uint32_t next = pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, SMC_OLD_IMM);
	pt_jump(&f->p, ISA_OP_B, top);
	uint32_t end = f->p.pc;
	/* First round: the target is top (the store is seen when the loop
	 * comes back round). */
	f->p.pc = li5;
	pt_li(&f->p, PT_R5, top);
	f->c.pc = CODE;
	uint64_t first = (top - CODE) / ISA_WORD_BYTES + 1; /* up to the first movi */
	assert_int_equal(cpu_run(&f->c, first).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], SMC_OLD_IMM);
	uint64_t round = (end - top) / ISA_WORD_BYTES;
	assert_int_equal(cpu_run(&f->c, round).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.pc, top + ISA_WORD_BYTES);
	assert_int_equal(f->c.r[PT_R2], SMC_NEW_IMM);
	/* Second: a store into the instruction right after it, already
	 * decoded from the round before. */
	f->c.r[PT_R5] = next;
	f->c.r[PT_R4] = pt_enc(ISA_OP_MOVI, PT_R3, 0, 0, SMC_NEW_IMM);
	f->c.pc = top;
	assert_int_equal(cpu_run(&f->c, round).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R3], SMC_NEW_IMM);
}

/* The host writes code between two runs (a loader, a debugger, a monitor
 * patching a word): the CPU is told nothing, and runs the new word. */
static void test_dcache_host_write_between_runs(void **state)
{
	struct fx *f = *state;
	uint32_t at = smc_loop(f);
	f->c.pc = CODE;
	assert_int_equal(cpu_run(&f->c, 3 * SMC_LOOPS).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], SMC_OLD_IMM);
	pt_poke(&f->p, at, pt_enc(ISA_OP_MOVI, PT_R2, 0, 0, SMC_NEW_IMM));
	f->c.pc = CODE;
	assert_int_equal(cpu_run(&f->c, 2).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], SMC_NEW_IMM);
	/* ... and an illegal word written over decoded code traps as illegal. */
	const uint32_t bad = pt_enc(ISA_OP_ADD, PT_R1, PT_R1, PT_R1, 0) | ISA_UNUSED_RRR;
	pt_poke(&f->p, at, bad);
	f->c.pc = CODE;
	struct cpu_exit ex = cpu_run(&f->c, 3);
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_ILLEGAL);
	assert_int_equal(ex.trap.insn, bad);
	assert_int_equal(f->c.clock, 3 * SMC_LOOPS + 2 + 1);
}

/* The PSW swap writes the old PSW, cause and detail at fixed physical
 * addresses: code that runs there (a kernel may put any code anywhere)
 * is decoded, then overwritten by a trap, then run again. */
static void test_dcache_psw_swap_over_code(void **state)
{
	struct fx *f = *state;
	f->p.pc = PG32_CAUSE;
	pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, SMC_OLD_IMM); /* at the cause word */
	pt_op(&f->p, ISA_OP_SVC, 0, 0, 0, 0);                /* at the detail word */
	f->c.pc = PG32_CAUSE;
	assert_int_equal(cpu_run(&f->c, 1).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], SMC_OLD_IMM);
	struct cpu_exit ex = cpu_run(&f->c, 1);
	assert_int_equal(ex.trap.cause, TRAP_SVC);
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S, PG32_CAUSE, 0, MEM);
	cpu_deliver_trap(&f->c, &ex.trap);
	/* The cause word is now TRAP_SVC, an undefined opcode 0 word. */
	assert_int_equal(pt_peek(&f->p, PG32_CAUSE), TRAP_SVC);
	ex = cpu_run(&f->c, 1);
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_ILLEGAL);
	assert_int_equal(ex.trap.insn, TRAP_SVC);
}

/* Many CPUs may share one cache, even over different memories with the
 * same words at different places and different ones at the same place:
 * each still runs its own memory's words. */
static void test_dcache_shared_by_two_memories(void **state)
{
	struct fx *f = *state;
	uint32_t at = smc_loop(f);
	struct pt_prog q;
	pt_prog_init(&q, MEM);
	memcpy(q.mem, f->p.mem, MEM);
	pt_poke(&q, at, pt_enc(ISA_OP_MOVI, PT_R2, 0, 0, SMC_NEW_IMM));
	struct cpu other = { .dcache = f->c.dcache };
	cpu_reset(&other, q.mem, MEM, ISA_VARIANT_WELL, CODE);
	for (unsigned i = 0; i < SMC_LOOPS; i++) {
		assert_int_equal(cpu_run(&f->c, 2).stop, CPU_STOP_BUDGET);
		assert_int_equal(cpu_run(&other, 2).stop, CPU_STOP_BUDGET);
		assert_int_equal(f->c.r[PT_R2], SMC_OLD_IMM);
		assert_int_equal(other.r[PT_R2], SMC_NEW_IMM);
		cpu_run(&f->c, 1);
		cpu_run(&other, 1);
	}
	pt_prog_free(&q);
}

/* A cache too small for the memory is not used (the reference loop runs),
 * and never read out of its bounds. */
static void test_dcache_too_small_is_ignored(void **state)
{
	struct fx *f = *state;
	smc_loop(f);
	struct cpu_dcache *small = cpu_dcache_new(PG32_MEM_MIN / 2);
	assert_non_null(small);
	struct cpu c = { .dcache = small };
	cpu_reset(&c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
	assert_int_equal(cpu_run(&c, 3 * SMC_LOOPS).stop, CPU_STOP_BUDGET);
	assert_int_equal(c.r[PT_R1], SMC_LOOPS);
	assert_int_equal(c.r[PT_R2], SMC_OLD_IMM);
	cpu_dcache_free(small);
}

/* ---- blocks: the fast loop checks, charges and forgets whole blocks ----
 * These run with budgets far larger than a block, so that the fast pass
 * runs them as blocks (single steps run one instruction at a time). */
#define LOOP_ROUNDS 2000       /* rounds of a counting loop */
#define STRAIGHT_ADDS 10u      /* addi words in a straight block */
#define ODD_BUDGET 1000u       /* not a multiple of the loop's length */

/* A store into the very next instruction of its own block: the block ends
 * after the store, and the new word runs. */
static void test_block_store_into_next_instruction(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_li(&f->p, PT_R4, pt_enc(ISA_OP_MOVI, PT_R3, 0, 0, SMC_NEW_IMM));
	uint32_t li5 = f->p.pc;
	pt_li(&f->p, PT_R5, 0);
	pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&f->p, ISA_OP_SW, PT_R4, PT_R5, 0, 0);
	uint32_t next = pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, SMC_OLD_IMM);
	pt_op(&f->p, ISA_OP_BRK, 0, 0, 0, 0);
	uint32_t end = f->p.pc;
	f->p.pc = li5;
	pt_li(&f->p, PT_R5, next);
	f->c.pc = CODE;
	struct cpu_exit ex = cpu_run(&f->c, BIG_BUDGET);
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_BRK);
	assert_int_equal(f->c.r[PT_R3], SMC_NEW_IMM);
	assert_int_equal(f->c.clock, (end - CODE) / ISA_WORD_BYTES);
}

/* A store into another block, checked and run earlier in the same run:
 * the next time control reaches it, it runs the new word. */
static void test_block_store_into_other_block(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_li(&f->p, PT_R4, pt_enc(ISA_OP_MOVI, PT_R2, 0, 0, SMC_NEW_IMM));
	uint32_t li5 = f->p.pc;
	pt_li(&f->p, PT_R5, 0);
	uint32_t loop = pt_jump(&f->p, ISA_OP_B, CODE); /* to target, below */
	uint32_t back = pt_op(&f->p, ISA_OP_SW, PT_R4, PT_R5, 0, 0);
	pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&f->p, ISA_OP_CMPI, PT_R1, 0, 0, 2);
	pt_jump(&f->p, ISA_OP_BLT, loop);
	pt_op(&f->p, ISA_OP_BRK, 0, 0, 0, 0);
	uint32_t target = pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, SMC_OLD_IMM);
	pt_op(&f->p, ISA_OP_ADD, PT_R6, PT_R6, PT_R2, 0);
	pt_jump(&f->p, ISA_OP_B, back);
	pt_patch_jump(&f->p, loop, target);
	f->p.pc = li5;
	pt_li(&f->p, PT_R5, target);
	f->c.pc = CODE;
	struct cpu_exit ex = cpu_run(&f->c, BIG_BUDGET);
	assert_int_equal(ex.trap.cause, TRAP_BRK);
	assert_int_equal(f->c.r[PT_R1], 2);
	assert_int_equal(f->c.r[PT_R6], SMC_OLD_IMM + SMC_NEW_IMM);
}

/* More blocks than the cache keeps checked at once, run twice in one run:
 * it forgets them all and checks them again, and nothing changes. */
static void test_block_more_than_the_cache_keeps(void **state)
{
	(void)state; /* a larger memory than the fixture's */
	const uint32_t blocks = CPU_DCACHE_CHECKED_MAX + CPU_DCACHE_CHECKED_MAX / 4;
	const uint32_t mem = CODE + (blocks + STRAIGHT_ADDS) * ISA_WORD_BYTES;
	struct pt_prog q;
	pt_prog_init(&q, mem);
	struct cpu_dcache *d = use_dcache ? cpu_dcache_new(mem) : NULL;
	struct cpu c = { .dcache = d };
	cpu_reset(&c, q.mem, mem, ISA_VARIANT_WELL, CODE);
	/* Each "b .+4" is a block of its own. */
	for (uint32_t i = 0; i < blocks; i++)
		pt_jump(&q, ISA_OP_B, q.pc + ISA_WORD_BYTES);
	pt_op(&q, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&q, ISA_OP_CMPI, PT_R1, 0, 0, 2);
	pt_jump(&q, ISA_OP_BLT, CODE);
	pt_op(&q, ISA_OP_BRK, 0, 0, 0, 0);
	struct cpu_exit ex = cpu_run(&c, BIG_BUDGET);
	assert_int_equal(ex.trap.cause, TRAP_BRK);
	assert_int_equal(c.r[PT_R1], 2);
	assert_int_equal(c.clock, 2 * (blocks + 3) + 1);
	cpu_dcache_free(d);
	pt_prog_free(&q);
}

/* Flags that no compare gives (Z with N, written by wrfl) steer branches
 * as the flags say; then a compare's flags do, and rdpsw reads them. */
static void test_block_flags_no_compare_gives(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_li(&f->p, PT_R1, PSW_N | PSW_Z);
	pt_op(&f->p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	uint32_t beq = pt_jump(&f->p, ISA_OP_BEQ, CODE);  /* Z: taken */
	pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, 1);
	uint32_t l1 = pt_jump(&f->p, ISA_OP_BLT, CODE);   /* N != V: taken */
	pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, 2);
	uint32_t l2 = pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, 0);
	uint32_t loop = pt_op(&f->p, ISA_OP_ADDI, PT_R3, PT_R3, 0, 1);
	pt_op(&f->p, ISA_OP_CMPI, PT_R3, 0, 0, LOOP_ROUNDS);
	pt_jump(&f->p, ISA_OP_BLT, loop);
	pt_op(&f->p, ISA_OP_RDPSW, PT_R4, 0, 0, 0);
	pt_op(&f->p, ISA_OP_BRK, 0, 0, 0, 0);
	pt_patch_jump(&f->p, beq, l1);
	pt_patch_jump(&f->p, l1, l2);
	f->c.pc = CODE;
	struct cpu_exit ex = cpu_run(&f->c, BIG_BUDGET);
	assert_int_equal(ex.trap.cause, TRAP_BRK);
	assert_int_equal(f->c.r[PT_R2], 0);
	assert_int_equal(f->c.r[PT_R3], LOOP_ROUNDS);
	assert_int_equal(f->c.r[PT_R4], PSW_S | PSW_Z | PSW_C);
	assert_int_equal(f->c.clock, 2 + 1 + 1 + 1 + 1 + 3 * LOOP_ROUNDS + 1 + 1);
}

/* A fault in the middle of a block: the instructions before it retire,
 * nothing after it, and the clock and pc are the faulting instruction's. */
static void test_block_fault_in_the_middle(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	pt_li(&f->p, PT_R7, MEM);
	pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	uint32_t lw = pt_op(&f->p, ISA_OP_LW, PT_R2, PT_R7, 0, 0);
	pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&f->p, ISA_OP_BRK, 0, 0, 0, 0);
	f->c.pc = CODE;
	struct cpu_exit ex = cpu_run(&f->c, BIG_BUDGET);
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_MEMORY);
	assert_int_equal(ex.trap.insn_pc, lw);
	assert_int_equal(f->c.pc, lw);
	assert_int_equal(f->c.r[PT_R1], 2);
	assert_int_equal(f->c.clock, (lw - CODE) / ISA_WORD_BYTES);
}

/* The budget ends in the middle of a block: exactly there. */
static void test_block_budget_ends_in_the_middle(void **state)
{
	struct fx *f = *state;
	f->p.pc = CODE;
	for (unsigned i = 0; i < STRAIGHT_ADDS; i++)
		pt_op(&f->p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	uint32_t b = pt_jump(&f->p, ISA_OP_B, CODE);
	const uint32_t len = STRAIGHT_ADDS + 1;
	f->c.pc = CODE;
	assert_int_equal(cpu_run(&f->c, ODD_BUDGET).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.clock, ODD_BUDGET);
	uint32_t rest = ODD_BUDGET % len;
	assert_int_equal(f->c.r[PT_R1], ODD_BUDGET / len * STRAIGHT_ADDS + rest);
	assert_int_equal(f->c.pc, rest == STRAIGHT_ADDS ? b : CODE + rest * ISA_WORD_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_table_rows),
		T(test_table_classes),
		T(test_class_privileged_trap_in_user),
		T(test_class_privileged_run_in_system),
		T(test_class_trapping_rows_trap_in_both_modes),
		T(test_class_innocuous_same_in_both_modes),
		T(test_class_traps_in_user_matches_cpu),
		T(test_alu_rrr),
		T(test_alu_rd_aliases_source),
		T(test_alu_divide_by_zero),
		T(test_alu_immediate),
		T(test_alu_lui_ori_constants),
		T(test_compare_flags),
		T(test_branch_conditions),
		T(test_branch_unconditional),
		T(test_call_and_jump),
		T(test_jump_misaligned_target),
		T(test_mem_words),
		T(test_mem_bytes),
		T(test_mem_alignment),
		T(test_reloc_bound_edges),
		T(test_reloc_end_of_memory),
		T(test_reloc_base_outside_memory),
		T(test_reloc_fetch_at_bound),
		T(test_reloc_lrr_next_fetch),
		T(test_lpsw),
		T(test_lpsw_misaligned_pc),
		T(test_srr_rdpsw_system),
		T(test_wrfl_system),
		T(test_rtu_system),
		T(test_io_without_bus),
		T(test_self_modifying_code),
		T(test_watch_fetch),
		T(test_watch_load_store),
		T(test_exec_word),
		T(test_nop),
		T(test_trap_format),
		T(test_trap_from_user_under_relocation),
		T(test_ill_srr_reveals_r),
		T(test_ill_rdpsw_reveals_mode),
		T(test_ill_wrfl_ignores_ie),
		T(test_ill_rtu_only_jumps),
		T(test_ill_others_still_trap),
		T(test_variant_round_trip),
		T(test_variant_parse_errors),
		T(test_variant_format_small_buffers),
		T(test_names),
		T(test_irq_masked_until_wrfl),
		T(test_irq_taken_after_lpsw),
		T(test_irq_between_instructions),
		T(test_irq_priority),
		T(test_halt_stops),
		T(test_halt_idles_to_next_event),
		T(test_halt_and_pending_irq),
		T(test_budget_exact),
		T(test_budget_no_overflow),
		T(test_encode_decode_round_trip),
		T(test_encode_errors),
		T(test_illegal_words),
		T(test_disasm_formats),
		T(test_fuzz_random_programs),
		T(test_dcache_guest_store_over_code),
		T(test_dcache_host_write_between_runs),
		T(test_dcache_psw_swap_over_code),
		T(test_dcache_shared_by_two_memories),
		T(test_dcache_too_small_is_ignored),
		T(test_block_store_into_next_instruction),
		T(test_block_store_into_other_block),
		T(test_block_more_than_the_cache_keeps),
		T(test_block_flags_no_compare_gives),
		T(test_block_fault_in_the_middle),
		T(test_block_budget_ends_in_the_middle),
#undef T
	};
	/* Twice: the reference loop, then the fast loop with its cache. */
	use_dcache = false;
	int failed = cmocka_run_group_tests_name("reference loop", tests, NULL, NULL);
	use_dcache = true;
	failed += cmocka_run_group_tests_name("fast loop (decoded-instruction cache)", tests, NULL, NULL);
	return failed;
}
