/*
 * cpu.c -- the PG32 CPU: fetch, relocate, decode, execute, and report traps.
 *
 * cpu_run() runs instructions until something happens that its caller must
 * see: a trap, a halt, a power-off, or the end of the instruction budget.
 * It never delivers a trap.  The bare-machine runner (bare.c) delivers them
 * architecturally with cpu_deliver_trap(); the monitor (vmm/) handles them
 * itself.  This is the split Popek and Goldberg's model needs: the code at
 * the trap vector belongs to whoever runs the CPU.
 *
 * Structure, after mini-rv32ima: an instruction only records that a trap
 * happened and jumps to one block at the end that reports it; a faulting
 * instruction never writes anything back.
 *
 * Speed: the inner loop keeps pc, the status word and the clock in locals and
 * checks one thing per instruction for time: the count of instructions left
 * before the next event (budget end or device event).  Interrupts, device
 * events and changes of R or mode go through the outer loop ("recheck").
 */
#include "machine.h"

#include <string.h>

/* Unused-bits mask of every opcode; undefined opcodes trap in the switch's
 * default case before this is looked at. */
static const uint32_t op_unused[256] = {
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = ISA_UNUSED_##fmt,
#include "isa.def"
#undef ISA_OP
};

static inline uint32_t ld32(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
#else
	return pg32_load32(p);
#endif
}

static inline void st32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, sizeof v);
#else
	pg32_store32(p, v);
#endif
}

void cpu_reset(struct cpu *c, uint8_t *mem, uint32_t mem_size, isa_variant v, uint32_t entry)
{
	struct dev_bus *bus = c->bus;
	memset(c, 0, sizeof *c);
	c->bus = bus;
	c->mem = mem;
	c->mem_size = mem_size;
	c->variant = v & isa_variant_all_ill(); /* only critical instructions */
	c->status = PSW_S;
	c->base = 0;
	c->bound = mem_size;
	c->pc = entry;
}

void cpu_deliver_trap(struct cpu *c, const struct cpu_trap *t)
{
	uint8_t *m = c->mem;
	/* Old PSW, cause and detail at their fixed physical addresses ... */
	pg32_store32(m + PG32_OLD_PSW + PSW_OFF_STATUS, c->status);
	pg32_store32(m + PG32_OLD_PSW + PSW_OFF_PC, t->pc);
	pg32_store32(m + PG32_OLD_PSW + PSW_OFF_BASE, c->base);
	pg32_store32(m + PG32_OLD_PSW + PSW_OFF_BOUND, c->bound);
	pg32_store32(m + PG32_CAUSE, t->cause);
	pg32_store32(m + PG32_DETAIL, t->detail);
	/* ... then the new PSW; nothing else in memory changes. */
	c->status = pg32_load32(m + PG32_NEW_PSW + PSW_OFF_STATUS) & PSW_VALID;
	c->pc = pg32_load32(m + PG32_NEW_PSW + PSW_OFF_PC);
	c->base = pg32_load32(m + PG32_NEW_PSW + PSW_OFF_BASE);
	c->bound = pg32_load32(m + PG32_NEW_PSW + PSW_OFF_BOUND);
	c->waiting = false;
}

/* Flags of a comparison a - b. */
static inline uint32_t compare_flags(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;
	uint32_t f = 0;
	if (d & 0x80000000u)
		f |= PSW_N;
	if (d == 0)
		f |= PSW_Z;
	if (a >= b)
		f |= PSW_C;
	if (((a ^ b) & (a ^ d)) & 0x80000000u)
		f |= PSW_V;
	return f;
}

static uint64_t next_event(const struct cpu *c)
{
	return c->bus ? dev_next_event(c->bus) : DEV_NEVER;
}

/* Take the highest-priority pending interrupt as a trap report. */
static struct cpu_exit take_interrupt(struct cpu *c)
{
	struct cpu_exit ex = { .stop = CPU_STOP_TRAP };
	if (c->irq_pending & IRQ_TIMER) {
		c->irq_pending &= ~IRQ_TIMER;
		ex.trap.cause = TRAP_TIMER;
		ex.trap.detail = (uint32_t)c->clock;
	} else {
		c->irq_pending &= ~IRQ_DISK;
		ex.trap.cause = TRAP_DISK;
		ex.trap.detail = c->bus ? c->bus->disk_status : 0;
	}
	ex.trap.pc = c->pc;
	ex.trap.insn_pc = c->pc;
	c->waiting = false;
	return ex;
}

/* Register fields of the current word w. */
#define RD r[ISA_WORD_RD(w)]
#define RS r[ISA_WORD_RS(w)]
#define RT r[ISA_WORD_RT(w)]
#define SIMM ((uint32_t)ISA_WORD_SIMM(w))
#define UIMM ISA_WORD_UIMM(w)
#define SHAMT (ISA_WORD_UIMM(w))
#define TARGET (pc + (uint32_t)ISA_WORD_OFF24(w) * ISA_WORD_BYTES + ISA_WORD_BYTES)

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Leave the inner loop with a fault: nothing written back, pc unchanged. */
#define FAULT(cause_, detail_) do { tcause = (cause_); tdetail = (detail_); goto fault; } while (0)
/* Memory access of n bytes at virtual a; faults on misalignment or bounds. */
#define CHECK_ACCESS(a, n, align_mask)                                \
	do {                                                              \
		if (UNLIKELY((a) & (align_mask)))                             \
			FAULT(TRAP_ALIGN, (a));                                   \
		if (UNLIKELY((uint64_t)(a) + (n) > lim))                      \
			FAULT(TRAP_MEMORY, (a));                                  \
	} while (0)
/* A privileged instruction in user mode: trap, unless the variant makes it
 * a critical instruction, in which case fall into its ill behaviour. */
#define USER_MODE (!(st & PSW_S))
#define PRIVILEGED(op_)                                               \
	do {                                                              \
		if (USER_MODE && !(c->variant & ISA_VARIANT_BIT(op_)))        \
			FAULT(TRAP_PRIV, w);                                      \
	} while (0)

/* Fetch the word at pc (pc is known 4-aligned here: only register-indirect
 * jumps can misalign it, and they leave through recheck, where the outer
 * loop checks).  A word with bits set in its format's unused fields is
 * illegal. */
#define FETCH()                                                       \
	do {                                                              \
		if (UNLIKELY(left == 0))                                      \
			goto block_end;                                           \
		if (UNLIKELY((uint64_t)pc + ISA_WORD_BYTES > lim))            \
			FAULT(TRAP_MEMORY, pc);                                   \
		w = ld32(m + pc);                                             \
		op = ISA_WORD_OPCODE(w);                                      \
		if (UNLIKELY(w & op_unused[op]))                              \
			FAULT(TRAP_ILLEGAL, w);                                   \
	} while (0)

/* The dispatch compiles as computed goto where the compiler has it (GCC,
 * Clang), and as a switch elsewhere; the cases are the same text. */
#if defined(__GNUC__) && !defined(PG32_NO_COMPUTED_GOTO)
#define DISPATCH() do { FETCH(); goto *dispatch[op]; } while (0)
#define CASE(name) L_##name
#define SWITCH_BEGIN DISPATCH();
#define SWITCH_END
#else
#define DISPATCH() goto dispatch_top
#define CASE(name) case ISA_OP_##name
#define SWITCH_BEGIN dispatch_top: FETCH(); switch (op) {
#define SWITCH_END }
#endif
/* Retire the instruction and go on with the next one, or jump. */
#define NEXT() do { pc += ISA_WORD_BYTES; left--; DISPATCH(); } while (0)
#define JUMP(t) do { pc = (t); left--; DISPATCH(); } while (0)
#define BRANCH(cond) do { if (cond) JUMP(TARGET); NEXT(); } while (0)
/* Retire and leave the inner loop: R, the mode or IE may have changed. */
#define RETIRE_RECHECK(newpc) do { pc = (newpc); left--; goto recheck; } while (0)

struct cpu_exit cpu_run(struct cpu *c, uint64_t budget)
{
	struct cpu_exit ex = { .stop = CPU_STOP_BUDGET };
	uint64_t end = UINT64_MAX - c->clock < budget ? UINT64_MAX : c->clock + budget;
	uint32_t *r = c->r;
	uint32_t tcause = 0, tdetail = 0;
#if defined(__GNUC__) && !defined(PG32_NO_COMPUTED_GOTO)
	/* Every opcode byte starts as undefined; the table's rows override. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
	static void *const dispatch[256] = {
		[0 ... 255] = &&L_UNDEFINED,
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = &&L_##name,
#include "isa.def"
#undef ISA_OP
	};
#pragma GCC diagnostic pop
#endif

	for (;;) {
		/* ---- between instructions: devices, interrupts, budget ---- */
		if (c->bus)
			c->irq_pending |= dev_tick(c->bus, c->clock, c->mem, c->mem_size);
		if (c->bus && c->bus->powered_off) {
			ex.stop = CPU_STOP_POWEROFF;
			return ex;
		}
		if ((c->status & PSW_IE) && c->irq_pending)
			return take_interrupt(c);
		uint64_t ev = next_event(c);
		if (c->waiting) {
			if (!(c->status & PSW_IE) || ev == DEV_NEVER) {
				ex.stop = CPU_STOP_HALT;
				return ex;
			}
			/* Idle: the clock jumps to the next device event. */
			c->clock = ev < end ? ev : end;
			if (c->clock >= end)
				return ex;
			continue;
		}
		if (c->clock >= end)
			return ex;
		uint64_t stop = ev < end ? ev : end;

		/* ---- the inner loop: state in locals ---- */
		uint32_t pc = c->pc, st = c->status, w = 0;
		unsigned op = 0;
		const uint32_t lim = cpu_limit_of(c->base, c->bound, c->mem_size);
		uint8_t *const m = c->mem + (c->base < c->mem_size ? c->base : 0);
		uint64_t left = stop - c->clock;
		if (UNLIKELY(pc & (ISA_WORD_BYTES - 1)))
			FAULT(TRAP_ALIGN, pc);

		SWITCH_BEGIN
		CASE(ADD): RD = RS + RT; NEXT();
		CASE(SUB): RD = RS - RT; NEXT();
		CASE(AND): RD = RS & RT; NEXT();
		CASE(OR): RD = RS | RT; NEXT();
		CASE(XOR): RD = RS ^ RT; NEXT();
		CASE(SHL): RD = RS << (RT & ISA_SHIFT_MAX); NEXT();
		CASE(SHR): RD = RS >> (RT & ISA_SHIFT_MAX); NEXT();
		CASE(SAR): RD = (uint32_t)((int32_t)RS >> (RT & ISA_SHIFT_MAX)); NEXT();
		CASE(MUL): RD = RS * RT; NEXT();
		CASE(DIV):
			if (RT == 0)
				FAULT(TRAP_DIVIDE, w);
			/* INT_MIN / -1 overflows in C: PG32 defines it as INT_MIN. */
			RD = (RS == 0x80000000u && RT == 0xFFFFFFFFu) ? RS
			                                             : (uint32_t)((int32_t)RS / (int32_t)RT);
			NEXT();
		CASE(DIVU):
			if (RT == 0)
				FAULT(TRAP_DIVIDE, w);
			RD = RS / RT;
			NEXT();
		CASE(REM):
			if (RT == 0)
				FAULT(TRAP_DIVIDE, w);
			/* ... and INT_MIN % -1 as 0. */
			RD = (RS == 0x80000000u && RT == 0xFFFFFFFFu) ? 0
			                                             : (uint32_t)((int32_t)RS % (int32_t)RT);
			NEXT();
		CASE(REMU):
			if (RT == 0)
				FAULT(TRAP_DIVIDE, w);
			RD = RS % RT;
			NEXT();
		CASE(ADDI): RD = RS + SIMM; NEXT();
		CASE(ANDI): RD = RS & UIMM; NEXT();
		CASE(ORI): RD = RS | UIMM; NEXT();
		CASE(XORI): RD = RS ^ UIMM; NEXT();
		CASE(SHLI): RD = RS << SHAMT; NEXT();
		CASE(SHRI): RD = RS >> SHAMT; NEXT();
		CASE(SARI): RD = (uint32_t)((int32_t)RS >> SHAMT); NEXT();
		CASE(LUI): RD = UIMM << 16; NEXT();
		CASE(MOVI): RD = SIMM; NEXT();
		CASE(CMP): st = (st & ~PSW_FLAGS) | compare_flags(RD, RS); NEXT();
		CASE(CMPI): st = (st & ~PSW_FLAGS) | compare_flags(RD, SIMM); NEXT();
		CASE(B): JUMP(TARGET);
		CASE(BEQ): BRANCH(st & PSW_Z);
		CASE(BNE): BRANCH(!(st & PSW_Z));
		CASE(BLT): BRANCH(!(st & PSW_N) != !(st & PSW_V));
		CASE(BGE): BRANCH(!(st & PSW_N) == !(st & PSW_V));
		CASE(BGT): BRANCH(!(st & PSW_Z) && !(st & PSW_N) == !(st & PSW_V));
		CASE(BLE): BRANCH((st & PSW_Z) || !(st & PSW_N) != !(st & PSW_V));
		CASE(BLTU): BRANCH(!(st & PSW_C));
		CASE(BGEU): BRANCH(st & PSW_C);
		CASE(BGTU): BRANCH((st & PSW_C) && !(st & PSW_Z));
		CASE(BLEU): BRANCH(!(st & PSW_C) || (st & PSW_Z));
		CASE(CALL):
			r[ISA_REG_LR] = pc + ISA_WORD_BYTES;
			JUMP(TARGET);
		CASE(JR): {
			uint32_t t = RD;
			if (UNLIKELY(t & (ISA_WORD_BYTES - 1)))
				RETIRE_RECHECK(t); /* the outer loop reports the align fault */
			JUMP(t);
		}
		CASE(CALLR): {
			uint32_t t = RD;
			r[ISA_REG_LR] = pc + ISA_WORD_BYTES;
			if (UNLIKELY(t & (ISA_WORD_BYTES - 1)))
				RETIRE_RECHECK(t);
			JUMP(t);
		}
		CASE(LW): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 4u, 3u);
			RD = ld32(m + a);
			NEXT();
		}
		CASE(LB): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 1u, 0u);
			RD = (uint32_t)(int32_t)(int8_t)m[a];
			NEXT();
		}
		CASE(LBU): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 1u, 0u);
			RD = m[a];
			NEXT();
		}
		CASE(SW): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 4u, 3u);
			st32(m + a, RD);
			NEXT();
		}
		CASE(SB): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 1u, 0u);
			m[a] = (uint8_t)RD;
			NEXT();
		}
		CASE(SVC): tcause = TRAP_SVC; goto trap_after;
		CASE(BRK): tcause = TRAP_BRK; goto trap_after;
		CASE(HCALL): tcause = TRAP_HCALL; goto trap_after;
		CASE(NOP): NEXT();

		/* ---- sensitive instructions: leave through recheck ---- */
		CASE(LPSW): {
			PRIVILEGED(ISA_OP_LPSW);
			uint32_t a = RD;
			CHECK_ACCESS(a, PSW_BYTES, 3u);
			st = ld32(m + a + PSW_OFF_STATUS) & PSW_VALID;
			c->base = ld32(m + a + PSW_OFF_BASE);
			c->bound = ld32(m + a + PSW_OFF_BOUND);
			RETIRE_RECHECK(ld32(m + a + PSW_OFF_PC));
		}
		CASE(LRR):
			PRIVILEGED(ISA_OP_LRR);
			c->base = RD;
			c->bound = RS;
			RETIRE_RECHECK(pc + ISA_WORD_BYTES);
		CASE(SRR):
			/* ill: reads the real R in user mode (x86 SGDT). */
			PRIVILEGED(ISA_OP_SRR);
			RD = c->base;
			RS = c->bound;
			NEXT();
		CASE(RDPSW):
			/* ill: reveals the real mode in user mode (x86 SMSW). */
			PRIVILEGED(ISA_OP_RDPSW);
			RD = st;
			NEXT();
		CASE(WRFL):
			PRIVILEGED(ISA_OP_WRFL);
			if (USER_MODE) /* ill: IE silently unchanged (x86 POPF) */
				st = (st & ~PSW_FLAGS) | (RD & PSW_FLAGS);
			else
				st = (st & PSW_S) | (RD & (PSW_IE | PSW_FLAGS));
			RETIRE_RECHECK(pc + ISA_WORD_BYTES);
		CASE(RTU):
			PRIVILEGED(ISA_OP_RTU);
			st &= ~PSW_S; /* ill, user mode: only a jump (PDP-10 JRST 1) */
			RETIRE_RECHECK(RD);
		CASE(IN):
			PRIVILEGED(ISA_OP_IN);
			RD = c->bus ? dev_port_in(c->bus, UIMM, stop - left + 1) : PORT_NONE_VALUE;
			RETIRE_RECHECK(pc + ISA_WORD_BYTES);
		CASE(OUT):
			PRIVILEGED(ISA_OP_OUT);
			if (c->bus)
				dev_port_out(c->bus, UIMM, RD, stop - left + 1);
			RETIRE_RECHECK(pc + ISA_WORD_BYTES);
		CASE(HALT):
			PRIVILEGED(ISA_OP_HALT);
			c->waiting = true;
			RETIRE_RECHECK(pc + ISA_WORD_BYTES);
		CASE(UNDEFINED):
#if !(defined(__GNUC__) && !defined(PG32_NO_COMPUTED_GOTO))
		default:
#endif
			FAULT(TRAP_ILLEGAL, w);
		SWITCH_END

	block_end:
		/* Reached the event or the end of the budget. */
	recheck:
		c->pc = pc;
		c->status = st;
		c->clock = stop - left;
		continue;

	trap_after:
		/* svc, brk, hcall: the instruction retires, the next pc is saved. */
		c->pc = pc;
		c->status = st;
		c->clock = stop - left + 1;
		ex.stop = CPU_STOP_TRAP;
		ex.trap = (struct cpu_trap){ .cause = tcause, .detail = UIMM,
		                             .pc = pc + ISA_WORD_BYTES, .insn_pc = pc, .insn = w };
		return ex;

	fault:
		/* Faults retire nothing and change nothing: pc, status, clock as
		 * they were before the instruction. */
		c->pc = pc;
		c->status = st;
		c->clock = stop - left;
		ex.stop = CPU_STOP_TRAP;
		ex.trap = (struct cpu_trap){ .cause = tcause, .detail = tdetail,
		                             .pc = pc, .insn_pc = pc, .insn = w };
		return ex;
	}
}
