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
 *
 * Monitor support: the watch map.  A monitor that rewrites a guest's code
 * (vmm/rewrite.c) must see the guest fetch code it has not scanned yet,
 * load a word it patched, and store into code it scanned: the PG32
 * analogue of the page protection a real monitor puts on code pages.
 * struct cpu may point at a map of one byte per physical word (CPU_WATCH_X,
 * _R, _W); a watched access is a fault of cause TRAP_WATCH, which only the
 * monitor ever sees.  The bare machine never sets a map, and runs an
 * instance of the loop compiled without the checks (cpu_loop.h is included
 * once per instance, so every instruction's meaning is still written once).
 * A third instance runs one given instruction word without fetching it
 * (cpu_exec_word): a monitor emulates with it the original of a word it
 * patched, and the hybrid monitor interprets with it.
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

/* OR of the watch-map bits of the physical words that the bytes [p, p + n)
 * touch (two words at most: with a base that is not a multiple of 4 an
 * aligned virtual word straddles two physical ones); 0 for words outside
 * the map.  Only the watched instances call it. */
static inline unsigned watch_bits(const struct cpu *c, uint32_t p, uint32_t n)
{
	if (!c->watch)
		return 0;
	uint32_t lo = (p - c->watch_base) / ISA_WORD_BYTES;
	uint32_t hi = (p + n - 1 - c->watch_base) / ISA_WORD_BYTES;
	unsigned bits = 0;
	if (lo < c->watch_words)
		bits |= c->watch[lo];
	if (hi < c->watch_words)
		bits |= c->watch[hi];
	return bits;
}

/* The three instances of the one loop (see cpu_loop.h). */
#define LOOP_NAME run_plain
#define LOOP_WATCH 0
#define LOOP_ONE 0
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE

#define LOOP_NAME run_watched
#define LOOP_WATCH 1
#define LOOP_ONE 0
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE

#define LOOP_NAME run_one
#define LOOP_WATCH 1
#define LOOP_ONE 1
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE

struct cpu_exit cpu_run(struct cpu *c, uint64_t budget)
{
	/* The bare machine never sets a watch map: it runs the instance with
	 * no checks at all. */
	return c->watch ? run_watched(c, budget, 0) : run_plain(c, budget, 0);
}

struct cpu_exit cpu_exec_word(struct cpu *c, uint32_t w)
{
	return run_one(c, 0, w);
}
