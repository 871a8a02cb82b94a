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
 * Two loops run the same instructions (cpu_ops.h, each written once).  The
 * reference loop fetches and decodes every word, and counts every
 * instruction against the next event (budget end or device event).  The
 * fast loop, when the CPU has a decoded-instruction cache (below), runs
 * blocks of decoded instructions, charged to the budget a block at a time
 * (cpu_loop.h explains it; docs/performance.md measures it).  In both,
 * interrupts, device events and changes of R or mode go through the outer
 * loop ("recheck").
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
 * Another instance runs one given instruction word without fetching it
 * (cpu_exec_word): a monitor emulates with it the original of a word it
 * patched, and the hybrid monitor interprets with it.
 */
#include "machine.h"
#include "cpu_branch.h"

#include <stdlib.h>
#include <string.h>

/* The fast loop's handlers are addresses of labels (GCC's and Clang's
 * computed goto); elsewhere, or built with -DPG32_NO_COMPUTED_GOTO, the
 * CPU has only the reference loop, compiled as a switch. */
#if defined(__GNUC__) && !defined(PG32_NO_COMPUTED_GOTO)
#define PG32_THREADED 1
#else
#define PG32_THREADED 0
#endif

/* Unused-bits mask of every opcode; undefined opcodes trap in the switch's
 * default case before this is looked at. */
static const uint32_t op_unused[256] = {
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = ISA_UNUSED_##fmt,
#include "isa.def"
#undef ISA_OP
};

#if PG32_THREADED
/* Is the opcode's format J (its immediate a word offset from pc + 4)? */
static const bool op_is_j[256] = {
#define ISA_OP(name, mn, fmt, flags, ill, meaning) [ISA_OP_##name] = ISA_FMT_##fmt == ISA_FMT_J,
#include "isa.def"
#undef ISA_OP
};

/* May the opcode go on to the next word inside a block of the fast loop?
 * Not if isa_ends_block says it ends a basic block (a transfer of control,
 * a control-sensitive instruction, a trap, an undefined opcode: those rows
 * are zero), nor if it is privileged: under a monitor, where guests run in
 * user mode, every privileged instruction traps, and a block should not be
 * checked past the instruction that leaves it. */
static const bool op_goes_on[256] = {
#define ISA_OP(name, mn, fmt, flags, ill, meaning) \
	[ISA_OP_##name] = !((flags) & (ISA_F_ENDS_BLOCK | ISA_F_PRIV)),
#include "isa.def"
#undef ISA_OP
};

/* Every value of an opcode byte: the rows of the tables indexed by it. */
#define OPCODE_VALUES 256

/* The compares' rows in the fast loop's table of compare-and-branch
 * handlers, plus one; 0 for every other opcode (cpu_branch.h's lists). */
enum {
#define COMPARE_ROW(cop, a, b, unused) COMPARE_ROW_##cop,
	CPU_COMPARES(COMPARE_ROW, 0)
#undef COMPARE_ROW
};
static const uint8_t compare_row[256] = {
#define COMPARE_ROW(cop, a, b, unused) [ISA_OP_##cop] = COMPARE_ROW_##cop + 1,
	CPU_COMPARES(COMPARE_ROW, 0)
#undef COMPARE_ROW
};
#endif

static inline uint32_t ld32(const uint8_t *p);
static inline uint32_t compare_flags(uint32_t a, uint32_t b);

/* ---- the decoded-instruction cache ------------------------------------
 *
 * One entry per physical word of memory.  An entry is made from its word
 * by dcache_fill: the opcode (ISA_OP_UNDEFINED for any illegal word, so the
 * unused-bits check is paid once), the register numbers and the low 16
 * bits of the immediate; for a direct jump (J format), its target's entry
 * instead, found by dcache_link for the R of the run.  The fast loop
 * (cpu_loop.h) runs the entries in blocks: the entry where a checked block
 * starts holds its length (0: not checked since memory may have changed),
 * and each entry the address of its handler.  The cache keeps the list of
 * the blocks checked, to forget them all at once (dcache_forget), and a
 * code map of a byte per word, set for every word of a checked block: the
 * fast loop's stores look there to see whether they wrote into decoded
 * code.  Entries are indexed by physical address / 4.  A zeroed entry
 * (calloc) is not filled and starts no checked block. */
struct cpu_dentry {
	const void *h;        /* the fast loop's handler of op */
	union {
		struct cpu_dentry *tgt; /* J format: the target's entry; the
		                         * cache's "outside" entry when the
		                         * target is outside R */
		struct {
			uint32_t aux;   /* the low 16 bits of the word: SIMM and
			                 * UIMM are its extensions */
			uint8_t rd, rs, rt;
		};
	};
	uint32_t word;        /* the word this entry decodes */
	uint8_t op;           /* enum isa_opcode; ISA_OP_UNDEFINED if illegal */
	uint8_t blen;         /* a checked block starts here: its length in
	                       * words, 1..CPU_BLOCK_MAX; else 0 */
	bool filled;          /* made from word (a zeroed entry is not) */
};

/* The longest block: blocks also end before every multiple of this many
 * words, so "last in its block" depends only on where a word is and what
 * it is, whichever block it is run in. */
#define CPU_BLOCK_MAX 32u

struct cpu_dcache {
	uint32_t words;             /* entries: physical [0, 4 * words) */
	uint8_t *code;              /* the code map: words bytes, after e[] */
	struct cpu_dentry *checked[CPU_DCACHE_CHECKED_MAX]; /* the blocks with blen != 0 */
	uint32_t nchecked;
	uint32_t cmp_a, cmp_b;      /* the last run's lazy flags, a guess ... */
	uint32_t cmp_flags;         /* ... for these flags */
	struct cpu_dentry outside;  /* the target of jumps out of R: starts
	                             * no checked block, never runs */
	struct cpu_dentry e[];
};

#if PG32_THREADED
/* Forget every checked block: memory may have changed.  Each is checked
 * again, against the words in memory then, before it next runs. */
static void dcache_forget(struct cpu_dcache *d)
{
	for (uint32_t i = 0; i < d->nchecked; i++)
		d->checked[i]->blen = 0;
	d->nchecked = 0;
}
#endif

uint32_t cpu_dcache_covers(const struct cpu_dcache *d)
{
	return d ? d->words * ISA_WORD_BYTES : 0;
}

struct cpu_dcache *cpu_dcache_new(uint32_t mem_size)
{
	uint32_t words = mem_size / ISA_WORD_BYTES;
	/* calloc: entries unfilled, the code map clear.  Large zeroed blocks
	 * come from the system as untouched pages, so only the pages of code
	 * that runs ever cost memory. */
	struct cpu_dcache *d = calloc(1, sizeof *d + (size_t)words * (sizeof d->e[0] + 1));
	if (d) {
		d->words = words;
		d->code = (uint8_t *)(d->e + words);
		d->cmp_flags = compare_flags(d->cmp_a, d->cmp_b); /* a true guess */
	}
	return d;
}

void cpu_dcache_free(struct cpu_dcache *d)
{
	free(d);
}

#if PG32_THREADED
/* Can the fast loop run the R whose physical base is pbase and whose limit
 * is lim?  The cache must cover it, and the base must be a multiple of 4 so
 * that every virtual word is one physical word with one entry. */
static bool dcache_runs(const struct cpu_dcache *d, uint32_t pbase, uint32_t lim)
{
	return pbase % ISA_WORD_BYTES == 0 &&
	       (uint64_t)pbase + lim <= (uint64_t)d->words * ISA_WORD_BYTES;
}
#endif

/* The target of the J-format word w at pc. */
static inline uint32_t j_target(uint32_t pc, uint32_t w)
{
	return pc + (uint32_t)ISA_WORD_OFF24(w) * ISA_WORD_BYTES + ISA_WORD_BYTES;
}

#if PG32_THREADED
/* Make e from w: legal iff the opcode is defined and the format's unused
 * bits are clear, the same test as the reference loop's fetch. */
static void dcache_fill(struct cpu_dentry *e, uint32_t w)
{
	unsigned op = ISA_WORD_OPCODE(w);
	if (!isa_info(op) || (w & op_unused[op]))
		op = ISA_OP_UNDEFINED;
	e->word = w;
	e->filled = true;
	e->op = (uint8_t)op;
	if (!op_is_j[op]) {
		e->aux = ISA_WORD_UIMM(w);
		e->rd = (uint8_t)ISA_WORD_RD(w);
		e->rs = (uint8_t)ISA_WORD_RS(w);
		e->rt = (uint8_t)ISA_WORD_RT(w);
	}
}

/* Check e against w, its word in memory now, and link a direct jump to its
 * target's entry for this run's R: entries [ebase, elim) are the virtual
 * words inside R. */
static inline void dcache_check_word(struct cpu_dcache *d, struct cpu_dentry *e, uint32_t w,
                                     struct cpu_dentry *ebase, struct cpu_dentry *elim)
{
	if (!e->filled || e->word != w)
		dcache_fill(e, w);
	if (op_is_j[e->op]) {
		uint32_t t = j_target((uint32_t)(e - ebase) * ISA_WORD_BYTES, w);
		e->tgt = t / ISA_WORD_BYTES < (uint32_t)(elim - ebase) ? ebase + t / ISA_WORD_BYTES
		                                                     : &d->outside;
	}
}

/* Does the block that holds the entry x at virtual word i end with it:
 * it may not go on to the next word, or it is the last word of R or the
 * last before a multiple of CPU_BLOCK_MAX words? */
static inline bool dcache_ends_block(const struct cpu_dentry *x, uint32_t i,
                                     const struct cpu_dentry *elim)
{
	return !op_goes_on[x->op] || x + 1 == elim || (i + 1) % CPU_BLOCK_MAX == 0;
}

/* The entry just past the end of the block that holds e (a checked
 * block): what the fast loop gives back when it leaves a block
 * before its end. */
static inline struct cpu_dentry *dcache_block_end(struct cpu_dentry *e, const struct cpu_dentry *ebase,
                                                  const struct cpu_dentry *elim)
{
	while (!dcache_ends_block(e, (uint32_t)(e - ebase), elim))
		e++;
	return e + 1;
}

/* Check (or make) the block that starts at e: each word
 * against memory (m + its pc), each handler (the last word's, unless it
 * jumps, from the "last" table), each word marked in the code map.
 * (For an instruction that ends a block anyway, both tables give the
 * same code.) */
static void dcache_check_block(struct cpu_dcache *d, struct cpu_dentry *e, struct cpu_dentry *ebase,
                               struct cpu_dentry *elim, const uint8_t *m, uint8_t *code,
                               void *const *handlers, void *const *last, void *const *fused)
{
	struct cpu_dentry *x = e;
	for (;; x++) {
		uint32_t i = (uint32_t)(x - ebase);
		dcache_check_word(d, x, ld32(m + i * ISA_WORD_BYTES), ebase, elim);
		code[i] = 1;
		bool ends = dcache_ends_block(x, i, elim);
		x->h = ends ? last[x->op] : handlers[x->op];
		/* A compare and a conditional branch after it: their fused
		 * handler (fused: a row of OPCODE_VALUES handlers per compare). */
		if (x > e && compare_row[x[-1].op]) {
			void *both = fused[(compare_row[x[-1].op] - 1) * OPCODE_VALUES + x->op];
			if (both)
				x[-1].h = both;
		}
		if (ends)
			break;
	}
	if (d->nchecked == CPU_DCACHE_CHECKED_MAX)
		dcache_forget(d);
	d->checked[d->nchecked++] = e;
	e->blen = (uint8_t)(x - e + 1);
}
#endif

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

/* The four flags of a comparison of a with b (the subtraction a - b), each
 * as 0 or 1: the one definition of each flag.  V, signed overflow, is
 * defined as "signed a < b differs from N": the true difference is
 * negative exactly when signed a < b, so V says the wrapped difference has
 * the wrong sign.  Written so, "N != V" (blt) is plainly "signed a < b",
 * and the compiler makes it one host comparison (cpu_loop.h, lazy flags). */
#define WORD_SIGN_SHIFT 31
static inline bool cmp_n(uint32_t a, uint32_t b) { return ((a - b) >> WORD_SIGN_SHIFT) != 0; }
static inline bool cmp_z(uint32_t a, uint32_t b) { return a == b; }
static inline bool cmp_c(uint32_t a, uint32_t b) { return a >= b; } /* no borrow */
static inline bool cmp_v(uint32_t a, uint32_t b)
{
	return ((int32_t)a < (int32_t)b) != cmp_n(a, b);
}

/* The flags of a comparison as status-word bits. */
static inline uint32_t compare_flags(uint32_t a, uint32_t b)
{
	return (uint32_t)cmp_n(a, b) * PSW_N | (uint32_t)cmp_z(a, b) * PSW_Z |
	       (uint32_t)cmp_c(a, b) * PSW_C | (uint32_t)cmp_v(a, b) * PSW_V;
}

#if PG32_THREADED
/* The fast loop's lazy flags: a comparison of a with b whose flags are f
 * (PSW_FLAGS bits).  The last run's compare is tried first; then pairs of
 * the extreme values, among which every comparison's flags occur.  False
 * if no comparison gives f (flags written by wrfl or lpsw: Z with N, say). */
static bool flags_as_compare(const struct cpu_dcache *d, uint32_t f, uint32_t *a, uint32_t *b)
{
	static const uint32_t probe[] = { 0, 1, INT32_MAX, (uint32_t)INT32_MIN, UINT32_MAX };
	const size_t n = sizeof probe / sizeof probe[0];
	if (d->cmp_flags == f) {
		*a = d->cmp_a;
		*b = d->cmp_b;
		return true;
	}
	for (size_t i = 0; i < n * n; i++)
		if (compare_flags(probe[i / n], probe[i % n]) == f) {
			*a = probe[i / n];
			*b = probe[i % n];
			return true;
		}
	return false;
}

/* With flags no comparison gives, the reference loop runs this many
 * instructions (or to the next event) before the fast loop tries again. */
#define CPU_PLAIN_FLAGS 1024u
#endif

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
/* The loop's labels that leave it or take its slow ways: GCC keeps its
 * registers for the others (Clang has no attribute for labels). */
#if defined(__GNUC__) && !defined(__clang__)
#define COLD_LABEL __attribute__((cold));
#else
#define COLD_LABEL
#endif
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

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
			FAULT(TRAP_PRIV, W);                                      \
	} while (0)

/* The dispatch compiles as computed goto where the compiler has it (GCC,
 * Clang), and as a switch elsewhere; the cases are the same text. */
#if PG32_THREADED
#define DISPATCH() do { FETCH(); goto *dispatch[op]; } while (0)
#define CASE_LABEL(name) L_##name
#define SWITCH_BEGIN DISPATCH();
#define SWITCH_END
#define SWITCH_DEFAULT
#else
#define DISPATCH() goto dispatch_top
#define CASE_LABEL(name) case ISA_OP_##name
#define SWITCH_BEGIN dispatch_top: FETCH(); switch (op) {
#define SWITCH_END }
#define SWITCH_DEFAULT default:
#endif
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

/* The four instances of the one loop (see cpu_loop.h, which undefines its
 * four parameters at its end). */
#define LOOP_NAME run_plain
#define LOOP_WATCH 0
#define LOOP_ONE 0
#define LOOP_FAST 0
#include "cpu_loop.h"

#if PG32_THREADED
#define LOOP_NAME run_fast
#define LOOP_WATCH 0
#define LOOP_ONE 0
#define LOOP_FAST 1
#include "cpu_loop.h"
#endif

#define LOOP_NAME run_watched
#define LOOP_WATCH 1
#define LOOP_ONE 0
#define LOOP_FAST 0
#include "cpu_loop.h"

#define LOOP_NAME run_one
#define LOOP_WATCH 1
#define LOOP_ONE 1
#define LOOP_FAST 0
#include "cpu_loop.h"

struct cpu_exit cpu_run(struct cpu *c, uint64_t budget)
{
	/* The bare machine never sets a watch map: it runs an instance with
	 * no watch checks at all, the fast one when it has a cache. */
	if (c->watch)
		return run_watched(c, budget, 0, NULL);
#if PG32_THREADED
	if (c->dcache) {
		for (;;) {
			/* The fast loop hands over to the reference loop, between
			 * instructions, when it cannot run the current R (for the
			 * rest of the budget) or the current flags (for a while). */
			uint64_t start = c->clock, plain_for = 0;
			struct cpu_exit ex = run_fast(c, budget, 0, &plain_for);
			if (!plain_for)
				return ex;
			budget -= c->clock - start;
			start = c->clock;
			ex = run_plain(c, plain_for < budget ? plain_for : budget, 0, NULL);
			budget -= c->clock - start;
			if (ex.stop != CPU_STOP_BUDGET || budget == 0)
				return ex;
		}
	}
#endif
	return run_plain(c, budget, 0, NULL);
}

struct cpu_exit cpu_exec_word(struct cpu *c, uint32_t w)
{
	return run_one(c, 0, w, NULL);
}
