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

#include <stdlib.h>
#include <string.h>

/* Unused-bits mask of every opcode; undefined opcodes trap in the switch's
 * default case before this is looked at. */
static const uint32_t op_unused[256] = {
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = ISA_UNUSED_##fmt,
#include "isa.def"
#undef ISA_OP
};

/* Is the opcode's format J (its immediate a word offset from pc + 4)? */
static const bool op_is_j[256] = {
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = ISA_FMT_##fmt == ISA_FMT_J,
#include "isa.def"
#undef ISA_OP
};

/* ---- the decoded-instruction cache ------------------------------------
 *
 * One entry per physical word of memory, made once from the word by
 * dcache_fill: the opcode (ISA_OP_UNDEFINED for any illegal word, so the
 * unused-bits check is paid once), the register numbers, and both
 * extensions of the immediate, with a J-format offset already turned into
 * a byte displacement from pc.
 *
 * It is a VALIDATING cache: each entry keeps the raw word it was made
 * from, and the fast loop still reads the word from memory at every fetch
 * (a fetch the architecture does anyway) and compares it with the entry
 * before using it.  An entry is a pure function of its raw word, so an
 * entry whose raw word equals the word in memory is the right decoding of
 * it, whoever wrote that memory and whenever: the guest's own stores,
 * disk DMA, the monitor's patches and virtual DMA, the PSW swap, a
 * debugger or a test poking memory.  None of them has to tell the cache
 * anything, and no entry is ever stale.  An entry is indexed by physical
 * address / 4; a base that is not a multiple of 4 only makes two virtual
 * words share entries, which the check also makes harmless. */
struct cpu_dentry {
	const void *h;    /* the fast loop's handler of op (computed goto) */
	uint64_t tag;     /* DCACHE_VALID | the word this entry decodes */
	uint32_t aux;     /* J format: byte displacement from pc; else the
	                   * low 16 bits (SIMM and UIMM are its extensions) */
	uint8_t op;       /* enum isa_opcode; ISA_OP_UNDEFINED if illegal */
	uint8_t rd, rs, rt;
};
/* Set in every tag dcache_fill writes: a zeroed entry (tag 0, no
 * handler) matches no word, so every entry is filled before its first use. */
#define DCACHE_VALID ((uint64_t)1 << 32)

struct cpu_dcache {
	uint32_t words;             /* entries: physical [0, 4 * words) */
	struct cpu_dentry e[];      /* all zero at first: the decoding of 0 */
};

uint32_t cpu_dcache_covers(const struct cpu_dcache *d)
{
	return d ? d->words * ISA_WORD_BYTES : 0;
}

struct cpu_dcache *cpu_dcache_new(uint32_t mem_size)
{
	uint32_t words = mem_size / ISA_WORD_BYTES;
	/* calloc: a zeroed entry matches no word (DCACHE_VALID).  Large zeroed blocks come from the system as
	 * untouched pages, so only the pages of code ever run cost memory. */
	struct cpu_dcache *d = calloc(1, sizeof *d + (size_t)words * sizeof d->e[0]);
	if (d)
		d->words = words;
	return d;
}

void cpu_dcache_free(struct cpu_dcache *d)
{
	free(d);
}

/* Decode w into e, with its handler from the fast loop's table (NULL
 * when the loop is compiled as a switch).  Legal iff the opcode is
 * defined and the format's unused bits are clear: the same test as the
 * reference loop's fetch. */
static void dcache_fill(struct cpu_dentry *e, uint32_t w, void *const *table)
{
	unsigned op = ISA_WORD_OPCODE(w);
	if (!isa_info(op) || (w & op_unused[op]))
		op = ISA_OP_UNDEFINED;
	e->h = table ? table[op] : NULL;
	e->tag = DCACHE_VALID | w;
	e->op = (uint8_t)op;
	e->rd = (uint8_t)ISA_WORD_RD(w);
	e->rs = (uint8_t)ISA_WORD_RS(w);
	e->rt = (uint8_t)ISA_WORD_RT(w);
	e->aux = op_is_j[op] ? (uint32_t)ISA_WORD_OFF24(w) * ISA_WORD_BYTES + ISA_WORD_BYTES
	                     : ISA_WORD_UIMM(w);
}

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
	/* The wiring stays: the bus and the decoded-instruction cache. */
	struct dev_bus *bus = c->bus;
	struct cpu_dcache *dcache = c->dcache;
	memset(c, 0, sizeof *c);
	c->bus = bus;
	c->dcache = dcache;
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

/* Flags of a comparison a - b, without a branch: each flag is a 0/1 value
 * (a sign bit, or a C comparison) scaled to its bit.  With GCC and Clang
 * the overflow comes from the builtin, so that one host subtraction can
 * give all four (its sign, zero, carry and overflow flags). */
#define WORD_SIGN_SHIFT 31
static inline uint32_t compare_flags(uint32_t a, uint32_t b)
{
#if defined(__GNUC__)
	/* sd is the wrapped difference, as a - b is. */
	int32_t sd;
	uint32_t v = __builtin_sub_overflow((int32_t)a, (int32_t)b, &sd);
	return (uint32_t)(sd < 0) * PSW_N | (uint32_t)(sd == 0) * PSW_Z |
	       (uint32_t)(a >= b) * PSW_C | v * PSW_V;
#else
	uint32_t d = a - b;
	return (d >> WORD_SIGN_SHIFT) * PSW_N | (uint32_t)(d == 0) * PSW_Z |
	       (uint32_t)(a >= b) * PSW_C | (((a ^ b) & (a ^ d)) >> WORD_SIGN_SHIFT) * PSW_V;
#endif
}

static uint64_t next_event(const struct cpu *c)
{
	return c->bus ? dev_next_event(c->bus) : DEV_NEVER;
}

/* One flag of the status word as 0 or 1, for the signed conditions
 * (N differs from V). */
#define FLAG(f) ((st & (f)) != 0)

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
#define DISPATCH() do { FETCH(); goto *HANDLER; } while (0)
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
#define NEXT() do { pc += ISA_WORD_BYTES; NEXT_ENTRY(); left--; DISPATCH(); } while (0)
#define JUMP(t) do { pc = (t); LOCATE_ENTRY(); left--; DISPATCH(); } while (0)
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

/* The four instances of the one loop (see cpu_loop.h). */
#define LOOP_NAME run_plain
#define LOOP_WATCH 0
#define LOOP_ONE 0
#define LOOP_FAST 0
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE
#undef LOOP_FAST

#define LOOP_NAME run_fast
#define LOOP_WATCH 0
#define LOOP_ONE 0
#define LOOP_FAST 1
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE
#undef LOOP_FAST

#define LOOP_NAME run_watched
#define LOOP_WATCH 1
#define LOOP_ONE 0
#define LOOP_FAST 0
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE
#undef LOOP_FAST

#define LOOP_NAME run_one
#define LOOP_WATCH 1
#define LOOP_ONE 1
#define LOOP_FAST 0
#include "cpu_loop.h"
#undef LOOP_NAME
#undef LOOP_WATCH
#undef LOOP_ONE
#undef LOOP_FAST

struct cpu_exit cpu_run(struct cpu *c, uint64_t budget)
{
	/* The bare machine never sets a watch map: it runs an instance with
	 * no watch checks at all, the pre-decoded one when it has a cache
	 * that covers its memory. */
	if (c->watch)
		return run_watched(c, budget, 0, NULL);
	if (c->dcache) {
		/* The fast loop stops early, between instructions, when R reaches
		 * memory the cache does not cover: the reference loop goes on. */
		bool uncovered = false;
		uint64_t start = c->clock;
		struct cpu_exit ex = run_fast(c, budget, 0, &uncovered);
		if (!uncovered)
			return ex;
		budget -= c->clock - start;
	}
	return run_plain(c, budget, 0, NULL);
}

struct cpu_exit cpu_exec_word(struct cpu *c, uint32_t w)
{
	return run_one(c, 0, w, NULL);
}
