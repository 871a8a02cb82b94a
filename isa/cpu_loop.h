/*
 * cpu_loop.h -- the CPU's run loop, included by cpu.c once per instance.
 * The instructions themselves are in cpu_ops.h, written once; this file
 * wraps them in a loop, and cpu.c compiles it four times:
 *
 *   LOOP_NAME   the function to define
 *   LOOP_WATCH  1: honour the monitor's watch map (c->watch), 0: no checks
 *               at all (the bare machine's instances: not one instruction
 *               more per guest instruction)
 *   LOOP_ONE    1: run exactly one instruction, the word given, as if it
 *               had been fetched at c->pc (cpu_exec_word); no devices, no
 *               interrupts, no fetch
 *   LOOP_FAST   1: the fast loop (run_fast): run decoded blocks from the
 *               cache c->dcache, with threaded dispatch, lazy flags and the
 *               budget charged once per block (see "The fast loop" below);
 *               0: fetch and decode every word as it runs (the reference
 *               loop, kept beside the fast one and compared with it by the
 *               tests)
 *
 * The function is   struct cpu_exit LOOP_NAME(struct cpu *c, uint64_t budget,
 *                                             uint32_t word, uint64_t *plain_for)
 * (budget is unused by LOOP_ONE, word by the others; plain_for only by
 * LOOP_FAST: when it cannot run the current R or the current flags it
 * returns between instructions with *plain_for set to how many
 * instructions the reference loop should run first: see cpu_run).
 * Not a header to include anywhere else: it expects cpu.c's macros and
 * helpers.
 *
 * ---- The fast loop ----------------------------------------------------
 *
 * Blocks.  A block is a straight run of words that starts where control
 * arrives and ends at the first instruction that may not go on to the next
 * word (isa_ends_block: a branch, call or jump, a trap, a control-sensitive
 * instruction, an illegal word) or at a privileged one (op_goes_on), at
 * the end of R, or before a multiple of CPU_BLOCK_MAX words.  The cache has
 * one entry per physical word (cpu.c); the entry where a checked block
 * starts holds the block's length, blen.
 *
 * Entering a block (ENTER_AT) costs one test: the block is checked and the
 * budget covers all of it (blen - 1 < left).  Then the budget is charged
 * for the whole block at once and its first handler runs.  Inside a block
 * an instruction does its work and jumps straight to the next entry's
 * handler (e++; goto *e->h): no fetch, no bounds check of the pc, no
 * budget count, no decoding.  The last instruction of a block that is not
 * a jump has its "last" handler, which enters the next block instead: the
 * case list is compiled twice, once with each NEXT().  A direct jump's
 * entry holds its target's entry, found when its block is checked.
 *
 * Exactness.  Nothing is lost by charging ahead: an instruction that
 * leaves the loop in the middle of a block (a fault, a trap, a store into
 * code) gives back what was charged for the instructions after it
 * (SETTLE), so the clock, pc and every trap are those of the reference
 * loop.  With fewer instructions left before the next event than a block
 * may hold, the loop runs one instruction at a time, each checked against
 * its word and run by its last handler, up to the event.
 *
 * Why decoded code is never stale.  Memory can change in two ways:
 *
 *   - outside the inner loop, by anyone: a loader, the monitor's patches,
 *     reflection, the PSW swap, disk DMA (between instructions, in the
 *     outer loop), a debugger, a test.  Every entry into the inner loop
 *     forgets every checked block (dcache_forget), so each is checked
 *     again, word by word against memory, the first time it runs after any
 *     of them.  No writer has to tell the cache anything;
 *   - inside the inner loop, only by the guest's own stores.  Each store
 *     looks up its word in the code map (one byte per word, set for every
 *     word of a checked block); a store into code forgets every checked
 *     block and ends the current block right after the store.
 *
 * Lazy flags.  cmp and cmpi only keep their two operands (fa, fb); a
 * branch evaluates its COND_* on the flags those operands give, which the
 * compiler reduces to one host comparison (N != V, with V defined as
 * "signed a < b differs from N", is signed a < b).  The flags are written
 * into the status word when the loop leaves, or read when rdpsw asks
 * (PSW_NOW).  The loop starts from a compare that gives the status word's
 * flags; for the few flags no compare gives (written by wrfl or lpsw),
 * the reference loop runs until a compare has set them again.
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
/* ---- the fast loop's macros: operands from the entry e ---- */
#define REG(i) regs[i] /* the guest's registers, copied into a local array */
#define RD regs[e->rd]
#define RS regs[e->rs]
#define RT regs[e->rt]
#define SIMM ((uint32_t)ISA_WORD_SIMM(e->aux))
#define UIMM (e->aux)
#define SHAMT (e->aux)
#define W (e->word)
/* e is the entry of virtual word pc / 4: ebase + pc / 4. */
#define PC_OF(x) ((uint32_t)((x) - ebase) * ISA_WORD_BYTES)
#define PC PC_OF(e)
/* The count left before e ran: what was charged from e on, given back
 * (in a block, up to its end; one at a time, just e). */
#define LEFT_BEFORE                                                   \
	(one_at_a_time ? one_left + 1 : left + (uint64_t)(dcache_block_end(e, ebase, elim) - e))
/* The count, pc and w as the reference loop has them at e. */
#define SETTLE()                                                      \
	do {                                                              \
		left = LEFT_BEFORE;                                           \
		pc = PC_OF(e);                                                \
		w = e->word;                                                  \
	} while (0)
/* Enter the block at x: is it checked (blen, its length, is not 0), and
 * does the budget cover it (blen <= left)?  One comparison asks both,
 * blen - 1 < left, since blen - 1 wraps around when blen is 0.  Then charge
 * it all and run it.  Written out at every jump, so that each has its own
 * indirect jump for the host's predictor to learn.  Else enter_slow, with
 * x in jt and e still the entry that jumped. */
#define ENTER_AT(x)                                                   \
	do {                                                              \
		struct cpu_dentry *x_ = (x);                                  \
		uint64_t n_ = x_->blen;                                       \
		if (LIKELY(n_ - 1 < left)) {                                  \
			left -= n_;                                               \
			e = x_;                                                   \
			goto *x_->h;                                              \
		}                                                             \
		jt = x_;                                                      \
		goto enter_slow;                                              \
	} while (0)
#define ENTER() ENTER_AT(e)
/* Inside a block: straight to the next entry's handler.  The "last"
 * compilation of the cases, and branches not taken, enter the next block. */
#define NEXT_THREADED() do { e++; goto *e->h; } while (0)
#define NEXT_SEQ()                                                    \
	do {                                                              \
		if (UNLIKELY(++e == elim)) {                                  \
			pc = PC_OF(e);                                            \
			goto fetch_fault;                                         \
		}                                                             \
		ENTER();                                                      \
	} while (0)
#define NEXT_AFTER_BRANCH() NEXT_SEQ()
#define JUMP(t)                                                       \
	do {                                                              \
		pc = (t);                                                     \
		if (UNLIKELY(pc / ISA_WORD_BYTES >= (uint32_t)(elim - ebase)))\
			goto fetch_fault;                                         \
		e = ebase + pc / ISA_WORD_BYTES;                              \
		ENTER();                                                      \
	} while (0)
#define JUMP_DIRECT() ENTER_AT(e->tgt)
/* The flags are those of comparing fa with fb (st's flag bits are stale
 * while the loop runs), until SET_STATUS writes them, just before the loop
 * leaves. */
#define SET_COMPARE(a, b) do { fa = (a); fb = (b); } while (0)
#define COND(cond) cond(cmp_n(fa, fb), cmp_z(fa, fb), cmp_c(fa, fb), cmp_v(fa, fb))
#define PSW_NOW() ((st & ~PSW_FLAGS) | compare_flags(fa, fb))
#define SET_STATUS(x) do { st = (x); status_written = true; } while (0)
/* Before the loop leaves: the registers back into struct cpu, the flags
 * into the status word (and the compare kept as the next run's guess). */
#define SYNC_STATE()                                                  \
	do {                                                              \
		memcpy(c->r, regs, sizeof regs);                              \
		if (fa != d->cmp_a || fb != d->cmp_b) {                       \
			d->cmp_flags = compare_flags(fa, fb);                     \
			d->cmp_a = fa;                                            \
			d->cmp_b = fb;                                            \
		}                                                             \
		if (!status_written)                                          \
			st = (st & ~PSW_FLAGS) | d->cmp_flags;                    \
	} while (0)
#define STORED(a)                                                     \
	do {                                                              \
		if (UNLIKELY(code[(a) / ISA_WORD_BYTES]))                     \
			goto code_stored;                                         \
	} while (0)
#define FAULT_AT_PC(cause_, detail_)                                  \
	do {                                                              \
		tcause = (cause_);                                            \
		tdetail = (detail_);                                          \
		w = 0;                                                        \
		goto fault;                                                   \
	} while (0)
#else
/* ---- the reference loops' macros: operands from the word w ---- */
#define REG(i) c->r[i]
#define RD c->r[ISA_WORD_RD(w)]
#define RS c->r[ISA_WORD_RS(w)]
#define RT c->r[ISA_WORD_RT(w)]
#define SIMM ((uint32_t)ISA_WORD_SIMM(w))
#define UIMM ISA_WORD_UIMM(w)
#define SHAMT (ISA_WORD_UIMM(w))
#define W w
#define PC pc
#define SETTLE() do { } while (0)
#define LEFT_BEFORE left
#define NEXT() do { pc += ISA_WORD_BYTES; left--; DISPATCH(); } while (0)
#define NEXT_AFTER_BRANCH() NEXT()
#define JUMP(t) do { pc = (t); left--; DISPATCH(); } while (0)
#define JUMP_DIRECT() JUMP(j_target(pc, w))
#define SET_COMPARE(a, b) (st = (st & ~PSW_FLAGS) | compare_flags((a), (b)))
#define COND(cond) cond(FLAG(PSW_N), FLAG(PSW_Z), FLAG(PSW_C), FLAG(PSW_V))
#define PSW_NOW() st
#define SET_STATUS(x) (st = (x))
#define SYNC_STATE() do { } while (0)
#define STORED(a) do { } while (0)
#define FAULT_AT_PC(cause_, detail_) FAULT(cause_, detail_)
#endif

/* ---- common to all instances ---- */
#define FAULT(cause_, detail_)                                        \
	do {                                                              \
		tcause = (cause_);                                            \
		tdetail = (detail_);                                          \
		SETTLE();                                                     \
		goto fault;                                                   \
	} while (0)
#define BRANCH(cond) do { if (COND(cond)) JUMP_DIRECT(); NEXT_AFTER_BRANCH(); } while (0)
#define RETIRE_RECHECK(newpc)                                         \
	do {                                                              \
		uint32_t npc_ = (newpc);                                      \
		SETTLE();                                                     \
		pc = npc_;                                                    \
		left--;                                                       \
		goto recheck;                                                 \
	} while (0)
#define TRAP_AFTER(cause_) do { tcause = (cause_); SETTLE(); goto trap_after; } while (0)
#define CLOCK_AFTER() (stop - LEFT_BEFORE + 1)

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
#elif !LOOP_FAST
/* Fetch the word at pc (pc is known 4-aligned here: only register-indirect
 * jumps can misalign it, and they leave through recheck, where the outer
 * loop checks).  A word with bits set in its format's unused fields is
 * illegal. */
#define FETCH()                                                       \
	do {                                                              \
		if (UNLIKELY(left == 0))                                      \
			goto block_end;                                           \
		w = 0;                                                        \
		if (UNLIKELY((uint64_t)pc + ISA_WORD_BYTES > lim))            \
			FAULT(TRAP_MEMORY, pc);                                   \
		WATCH(pc, ISA_WORD_BYTES, CPU_WATCH_X);                       \
		w = ld32(m + pc);                                             \
		op = ISA_WORD_OPCODE(w);                                      \
		if (UNLIKELY(w & op_unused[op]))                              \
			FAULT(TRAP_ILLEGAL, w);                                   \
	} while (0)
#endif

static struct cpu_exit LOOP_NAME(struct cpu *c, uint64_t budget, uint32_t word, uint64_t *plain_for)
{
	struct cpu_exit ex = { .stop = CPU_STOP_BUDGET };
	uint32_t tcause = 0, tdetail = 0, taccess = 0;
#if !LOOP_FAST
	(void)plain_for;
#endif
#if LOOP_ONE
	(void)budget;
#else
	(void)word;
	uint64_t end = UINT64_MAX - c->clock < budget ? UINT64_MAX : c->clock + budget;
#endif
#if PG32_THREADED
	/* Every opcode byte starts as undefined; the table's rows override. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
	static void *const dispatch[256] = {
		[0 ... 255] = &&L_UNDEFINED,
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = &&L_##name,
#include "isa.def"
#undef ISA_OP
	};
#if LOOP_FAST
	/* The handlers of the "last" compilation of the cases. */
	static void *const dispatch_last[256] = {
		[0 ... 255] = &&L_UNDEFINED_last,
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = &&L_##name##_last,
#include "isa.def"
#undef ISA_OP
	};
#endif
#pragma GCC diagnostic pop
#if LOOP_FAST
	/* The compare-and-branch handlers: a row per compare (in the order of
	 * CPU_COMPARES), indexed by the branch's opcode; NULL elsewhere. */
	static void *const dispatch_fused[][256] = {
#define FUSED_ENTRY(bop, cond, cop) [ISA_OP_##bop] = &&L_##cop##_##bop,
#define FUSED_ROW(cop, a, b, unused) { CPU_BRANCHES(FUSED_ENTRY, cop) },
		CPU_COMPARES(FUSED_ROW, 0)
#undef FUSED_ROW
#undef FUSED_ENTRY
	};
#endif
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
		(void)op;
#if LOOP_FAST
		if (UNLIKELY(!dcache_runs(c->dcache, pbase, lim))) {
			*plain_for = UINT64_MAX; /* all the rest of the budget */
			return ex; /* nothing has run since the state was saved */
		}
		struct cpu_dcache *const d = c->dcache;
		/* Lazy flags: a compare that gives st's flags.  Some flags that
		 * wrfl or lpsw can write (Z with N, say) are no compare's: the
		 * reference loop runs until a compare sets the flags again. */
		uint32_t fa, fb; /* flags: those of comparing fa with fb */
		bool status_written = false;
		if (UNLIKELY(!flags_as_compare(d, st & PSW_FLAGS, &fa, &fb))) {
			*plain_for = CPU_PLAIN_FLAGS;
			return ex;
		}
		dcache_forget(d); /* memory may have changed since the last run */
		struct cpu_dentry *const ebase = d->e + pbase / ISA_WORD_BYTES;
		struct cpu_dentry *const elim = ebase + lim / ISA_WORD_BYTES;
		uint8_t *const code = d->code + pbase / ISA_WORD_BYTES;
		struct cpu_dentry *e = ebase, *jt = ebase;
		bool one_at_a_time = false; /* close to the next event */
		uint64_t one_left = 0;      /* then: the count left */
		uint32_t regs[ISA_NREGS];
		memcpy(regs, c->r, sizeof regs);
#endif
		if (UNLIKELY(pc & (ISA_WORD_BYTES - 1)))
			FAULT_AT_PC(TRAP_ALIGN, pc);

#if LOOP_FAST
		goto start;

		/* The cases twice: inside blocks, and as a block's last. */
#define CASE(name) L_##name
#define DEFAULT_CASE
#define NEXT() NEXT_THREADED()
#include "cpu_ops.h"
#undef NEXT
#undef CASE
#define CASE(name) L_##name##_last
#define NEXT() NEXT_SEQ()
#include "cpu_ops.h"
#undef CASE
#undef NEXT
#undef DEFAULT_CASE

		/* Compare and branch: a compare whose next word, in its block, is
		 * a conditional branch runs both in one handler, L_CMP_BLT say,
		 * made from the two lists of cpu_ops.h: one dispatch less in
		 * nearly every loop. */
#define FUSED_CASE(bop, cond, cop, a, b)                                  \
	L_##cop##_##bop : SET_COMPARE(a, b);                                  \
	e++;                                                                  \
	BRANCH(cond);
#define FUSED_CASES(cop, a, b, unused) CPU_BRANCHES(FUSED_CASE, cop, a, b)
		CPU_COMPARES(FUSED_CASES, 0)
#undef FUSED_CASES
#undef FUSED_CASE

	start:
		JUMP(pc);
	enter_slow: COLD_LABEL
		/* Control goes to the block at jt, which is not checked, or which
		 * the budget does not cover; or, from the direct jump at e, to a
		 * target outside R. */
		if (jt == &d->outside) {
			pc = j_target(PC_OF(e), e->word);
			goto fetch_fault;
		}
		e = jt;
		if (!one_at_a_time) {
			if (left >= CPU_BLOCK_MAX) {
				if (!e->blen)
					dcache_check_block(d, e, ebase, elim, m, code, dispatch, dispatch_last,
					                   dispatch_fused[0]);
				ENTER();
			}
			/* Close to the next event: one instruction at a time until
			 * it, each checked against its word and run by its last
			 * handler.  The count moves to one_left, and left stays 0
			 * so that every entry comes here. */
			one_at_a_time = true;
			one_left = left;
			left = 0;
		}
		if (one_left == 0) {
			pc = PC_OF(e);
			goto block_end;
		}
		dcache_check_word(d, e, ld32(m + PC_OF(e)), ebase, elim);
		one_left--;
		goto *dispatch_last[e->op];
	code_stored: COLD_LABEL
		/* The store at e wrote into decoded code: forget every checked
		 * block, and end this one after the store (which retires), giving
		 * back what was charged for the rest of it. */
		if (!one_at_a_time)
			left += (uint64_t)(dcache_block_end(e, ebase, elim) - (e + 1));
		dcache_forget(d);
		NEXT_SEQ();
	fetch_fault: COLD_LABEL
		/* The fetch at pc is outside R; nothing is charged for it.  As in
		 * the reference loop, the next event comes first. */
		if (one_at_a_time)
			left = one_left;
		if (left == 0)
			goto block_end;
		FAULT_AT_PC(TRAP_MEMORY, pc);
#else
#define CASE(name) CASE_LABEL(name)
#define DEFAULT_CASE SWITCH_DEFAULT
		SWITCH_BEGIN
#include "cpu_ops.h"
		SWITCH_END
#undef CASE
#undef DEFAULT_CASE
#endif

	block_end: COLD_LABEL
		/* Reached the event or the end of the budget. */
#if LOOP_FAST
		left = one_at_a_time ? one_left : left;
#endif
	recheck: COLD_LABEL
		SYNC_STATE();
		c->pc = pc;
		c->status = st;
		c->clock = stop - left;
#if LOOP_ONE
		return ex;
#else
		continue;
#endif

	trap_after: COLD_LABEL
		/* svc, brk, hcall: the instruction retires, the next pc is saved. */
		SYNC_STATE();
		c->pc = pc;
		c->status = st;
		c->clock = stop - left + 1;
		ex.stop = CPU_STOP_TRAP;
		ex.trap = (struct cpu_trap){ .cause = tcause, .detail = ISA_WORD_UIMM(w),
		                             .pc = pc + ISA_WORD_BYTES, .insn_pc = pc, .insn = w };
		return ex;

	fault: COLD_LABEL
		/* Faults retire nothing and change nothing: pc, status, clock as
		 * they were before the instruction. */
		SYNC_STATE();
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
#undef W
#undef PC
#undef PC_OF
#undef SETTLE
#undef LEFT_BEFORE
#undef NEXT
#undef NEXT_THREADED
#undef NEXT_SEQ
#undef NEXT_AFTER_BRANCH
#undef JUMP
#undef JUMP_DIRECT
#undef ENTER
#undef SET_COMPARE
#undef COND
#undef PSW_NOW
#undef SET_STATUS
#undef SYNC_STATE
#undef REG
#undef STORED
#undef FAULT_AT_PC
#undef FAULT
#undef BRANCH
#undef RETIRE_RECHECK
#undef TRAP_AFTER
#undef CLOCK_AFTER
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE
#undef LOOP_FAST
