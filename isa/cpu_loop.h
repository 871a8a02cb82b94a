/*
 * cpu_loop.h -- the body of the CPU's run loop, included by cpu.c once per
 * instance.  Every instruction's meaning is written here once; cpu.c
 * compiles it three times:
 *
 *   LOOP_NAME   the function to define
 *   LOOP_WATCH  1: honour the monitor's watch map (c->watch), 0: no checks
 *               at all (the bare machine's instance: not one instruction
 *               more per guest instruction)
 *   LOOP_ONE    1: run exactly one instruction, the word given, as if it
 *               had been fetched at c->pc (cpu_exec_word); no devices, no
 *               interrupts, no fetch
 *   LOOP_FAST   1: take each instruction's fields from the decoded-
 *               instruction cache (c->dcache) instead of the word: the same
 *               case bodies, with operand macros that read a decoded entry
 *               (see cpu.c); 0: decode the word at every fetch (the
 *               reference loop, kept beside the fast one and compared with
 *               it by the tests)
 *
 * The function is   struct cpu_exit LOOP_NAME(struct cpu *c, uint64_t budget,
 *                                             uint32_t word, bool *uncovered)
 * (budget is unused by LOOP_ONE, word by the others; uncovered only by
 * LOOP_FAST: it is set, and the function returns between instructions,
 * when R reaches physical memory the cache does not cover).  Not a header to
 * include anywhere else: it expects cpu.c's macros and helpers.
 */

#if LOOP_WATCH
/* A watched access: a fault of cause TRAP_WATCH that only a monitor sees.
 * It comes after the access's own alignment and bounds checks, so a
 * guest's own fault always wins. */
#define WATCH(a, n, bit)                                                         \
	do {                                                                         \
		if (UNLIKELY(watch_bits(c, pbase + (a), (n)) & (bit))) {                 \
			taccess = (bit);                                                     \
			FAULT(TRAP_WATCH, (a));                                              \
		}                                                                        \
	} while (0)
#else
#define WATCH(a, n, bit) do { } while (0)
#endif

#if LOOP_FAST
/* Operands from the decoded entry e of the word w (cpu.c's dcache). */
#define RD r[e->rd]
#define RS r[e->rs]
#define RT r[e->rt]
#define SIMM ((uint32_t)ISA_WORD_SIMM(e->aux))
#define UIMM (e->aux)
#define SHAMT (e->aux)
#define TARGET (pc + e->aux)
#define HANDLER (e->h)
/* e follows pc: the entry of physical word (pbase + pc) / 4, which for an
 * aligned pc is ebase + pc / 4.  The fetch of pc is inside R iff
 * pc + 4 <= lim, that is iff pc / 4 < lim / 4, that is iff e < elim: the
 * fetch's bounds check is one pointer comparison, and e never goes past
 * elim (a jump out of bounds sets it to elim), so it stays in the cache. */
#define NEXT_ENTRY() (e++)
#define LOCATE_ENTRY() \
	(e = pc / ISA_WORD_BYTES < lim / ISA_WORD_BYTES ? ebase + pc / ISA_WORD_BYTES : elim)
#else
/* Operands straight from the instruction word w. */
#define RD r[ISA_WORD_RD(w)]
#define RS r[ISA_WORD_RS(w)]
#define RT r[ISA_WORD_RT(w)]
#define SIMM ((uint32_t)ISA_WORD_SIMM(w))
#define UIMM ISA_WORD_UIMM(w)
#define SHAMT (ISA_WORD_UIMM(w))
#define TARGET (pc + (uint32_t)ISA_WORD_OFF24(w) * ISA_WORD_BYTES + ISA_WORD_BYTES)
#define HANDLER (dispatch[op])
#define NEXT_ENTRY() ((void)0)
#define LOCATE_ENTRY() ((void)0)
#endif

#if LOOP_ONE
/* The word is given: nothing is fetched, so the fetch cannot fault. */
#define FETCH()                                                       \
	do {                                                              \
		if (UNLIKELY(left == 0))                                      \
			goto block_end;                                           \
		w = word;                                                     \
		op = ISA_WORD_OPCODE(w);                                      \
		if (UNLIKELY(w & op_unused[op]))                              \
			FAULT(TRAP_ILLEGAL, w);                                   \
	} while (0)
#elif LOOP_FAST
/* Fetch the word at pc as the reference loop does, bounds check first;
 * then, instead of decoding it, check it against its cache entry and
 * decode only when they differ (the first run of the word, or memory
 * written since: see cpu.c on why this keeps the cache exact).  An
 * illegal word was decoded as ISA_OP_UNDEFINED. */
#define FETCH()                                                       \
	do {                                                              \
		if (UNLIKELY(left == 0))                                      \
			goto block_end;                                           \
		if (UNLIKELY(e >= elim))                                      \
			FAULT(TRAP_MEMORY, pc);                                   \
		w = ld32(m + pc);                                             \
		if (UNLIKELY((DCACHE_VALID | w) != e->tag))                   \
			dcache_fill(e, w, DCACHE_TABLE);                          \
		op = e->op;                                                   \
	} while (0)
#else
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
		w = 0;                                                        \
		WATCH(pc, ISA_WORD_BYTES, CPU_WATCH_X);                       \
		w = ld32(m + pc);                                             \
		op = ISA_WORD_OPCODE(w);                                      \
		if (UNLIKELY(w & op_unused[op]))                              \
			FAULT(TRAP_ILLEGAL, w);                                   \
	} while (0)
#endif

static struct cpu_exit LOOP_NAME(struct cpu *c, uint64_t budget, uint32_t word, bool *uncovered)
{
	struct cpu_exit ex = { .stop = CPU_STOP_BUDGET };
	uint32_t *r = c->r;
	uint32_t tcause = 0, tdetail = 0, taccess = 0;
#if !LOOP_FAST
	(void)uncovered;
#endif
#if LOOP_ONE
	(void)budget;
#else
	(void)word;
	uint64_t end = UINT64_MAX - c->clock < budget ? UINT64_MAX : c->clock + budget;
#endif
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
#define DCACHE_TABLE dispatch
#else
#define DCACHE_TABLE NULL
#endif

	for (;;) {
#if LOOP_ONE
		/* One instruction: the caller runs the devices and interrupts. */
		uint64_t stop = c->clock + 1;
#else
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
#endif

		/* ---- the inner loop: state in locals ---- */
		uint32_t pc = c->pc, st = c->status, w = 0;
		unsigned op = 0;
		const uint32_t lim = cpu_limit_of(c->base, c->bound, c->mem_size);
		const uint32_t pbase = c->base < c->mem_size ? c->base : 0;
		uint8_t *const m = c->mem + pbase;
		uint64_t left = stop - c->clock;
		(void)pbase;
		(void)op; /* only the switch uses it in the fast loop */
#if LOOP_FAST
		if (UNLIKELY((uint64_t)pbase + lim > (uint64_t)c->dcache->words * ISA_WORD_BYTES)) {
			*uncovered = true;
			return ex; /* nothing has run since the state was saved */
		}
		struct cpu_dentry *const ebase = c->dcache->e + pbase / ISA_WORD_BYTES;
		struct cpu_dentry *const elim = ebase + lim / ISA_WORD_BYTES;
		struct cpu_dentry *e;
		LOCATE_ENTRY();
#endif
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
		CASE(BLT): BRANCH(FLAG(PSW_N) != FLAG(PSW_V));
		CASE(BGE): BRANCH(FLAG(PSW_N) == FLAG(PSW_V));
		CASE(BGT): BRANCH(!FLAG(PSW_Z) && FLAG(PSW_N) == FLAG(PSW_V));
		CASE(BLE): BRANCH(FLAG(PSW_Z) || FLAG(PSW_N) != FLAG(PSW_V));
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
			WATCH(a, 4u, CPU_WATCH_R);
			RD = ld32(m + a);
			NEXT();
		}
		CASE(LB): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 1u, 0u);
			WATCH(a, 1u, CPU_WATCH_R);
			RD = (uint32_t)(int32_t)(int8_t)m[a];
			NEXT();
		}
		CASE(LBU): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 1u, 0u);
			WATCH(a, 1u, CPU_WATCH_R);
			RD = m[a];
			NEXT();
		}
		CASE(SW): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 4u, 3u);
			WATCH(a, 4u, CPU_WATCH_W);
			st32(m + a, RD);
			NEXT();
		}
		CASE(SB): {
			uint32_t a = RS + SIMM;
			CHECK_ACCESS(a, 1u, 0u);
			WATCH(a, 1u, CPU_WATCH_W);
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
			WATCH(a, PSW_BYTES, CPU_WATCH_R);
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
#if LOOP_ONE
		return ex;
#else
		continue;
#endif

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
		ex.trap = (struct cpu_trap){ .cause = tcause, .detail = tdetail, .pc = pc,
		                             .insn_pc = pc, .insn = w, .access = taccess };
		return ex;
	}
}

#undef WATCH
#undef FETCH
#undef RD
#undef RS
#undef RT
#undef SIMM
#undef UIMM
#undef SHAMT
#undef TARGET
#undef NEXT_ENTRY
#undef LOCATE_ENTRY
#undef HANDLER
#undef DCACHE_TABLE
