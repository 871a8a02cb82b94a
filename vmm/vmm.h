/*
 * vmm.h -- the public interface of vmm/: the trapeze monitor.
 *
 * A trap-and-emulate virtual machine monitor on Popek and Goldberg's model.
 * Every guest runs in REAL user mode on the simulated CPU (isa/cpu.c); the
 * monitor keeps the guest's VIRTUAL PSW (virtual mode, virtual interrupt
 * enable, virtual R) and gives the CPU the composition of the guest's R with
 * the guest's allocation.  The CPU never calls the monitor: cpu_run() returns
 * every trap, and the monitor, written in C, stands where the code at the
 * real trap vector would stand.
 *
 * The parts, each in the file named as in the literature:
 *
 *   vmm.c       the monitor's life cycle, the scheduler loop and the world
 *               switch (loading the real CPU with a guest, and back)
 *   dispatch.c  the dispatcher: receives every trap and routes it
 *   alloc.c     the allocator: memory regions, minidisks, CPU time
 *   interp.c    one interpreter routine per privileged instruction
 *   reflect.c   reflection: a trap delivered into the guest by the PSW swap
 *   vdev.c      virtual devices: console, timer, disk, power
 *   stats.c     the per-guest figures (efficiency, traps by cause)
 *   check.c     the equivalence checker (bare machine vs monitor)
 *   randprog.c  random PG32 programs for the checker
 *   rewrite.c   binary rewriting of critical instructions (the ill variant)
 *   hybrid.c    the hybrid monitor: interprets virtual system mode
 *
 * ====================================================================
 * Composition of relocation.  A guest's "physical memory" is its region
 * [rbase, rbase + rsize) of the host memory; the guest believes it owns
 * addresses [0, rsize).  Its own R = (vbase, vbound) maps its virtual
 * addresses into that memory.  The real CPU runs it with
 *
 *     real base  = rbase + vbase
 *     real bound = min(vbound, rsize - vbase)      (0 if vbase >= rsize)
 *
 *   the guest's virtual      the guest's "physical"        host memory
 *   addresses (its R)        memory = its region          (v->host_mem)
 *                                                        0 +-----------+
 *                                                          | guest 0   |
 *                            0 +-------------+   rbase --> +-----------+
 *                              | trap words  |             | guest g   |
 *                              |             |             |           |
 *      0 +-----------+  vbase  +-------------+ <-------->  +-----------+ <- real base
 *        |     a ----|-------> |  vbase + a -|-----------> |  rbase +  |
 *        |           |         |             |             | vbase + a |
 * vbound +-----------+  vbase  +-------------+ <-------->  +-----------+ <- real base
 *                     + vbound |             |             |           |  + real bound
 *                        rsize +-------------+             +-----------+ <- rbase + rsize
 *                                                          | guest g+1 |
 *
 * (Here vbound < rsize - vbase; when the guest's bound reaches past its
 * memory, the real bound stops at the end of the region instead.)
 *
 * An access of n bytes at virtual a is legal on the guest's bare machine
 * iff a + n <= vbound and vbase + a + n <= rsize; under the composed R iff
 * a + n <= min(vbound, rsize - vbase) (and rbase + vbase + a + n <= host
 * size, which then always holds).  These are the same condition: the guest
 * sees exactly its bare machine, and can never reach outside its region.
 * ==================================================================== */
#ifndef VMM_H
#define VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pg32.h"

/* ---- settings and their defaults -------------------------------------- */
#define VMM_HOST_MEM_DEFAULT (64u << 20)  /* host memory the guests are carved from */
#define VMM_QUANTUM_DEFAULT 10000u        /* instructions per time slice */
#define VMM_REGION_ALIGN 4096u            /* guest regions start on this boundary */
#define VMM_CONSOLE_CAP_DEFAULT (1u << 20) /* console bytes per guest before cutting */
#define VMM_CONSOLE_LINE 256u             /* longest prefixed line held back */
#define VMM_NAME_MAX 48u                  /* guest names, NUL included */
#define VMM_WHY_MAX 192u                  /* the reason a guest was killed */
#define VMM_NEVER UINT64_MAX              /* no virtual device event pending */
#define VMM_NO_LIMIT UINT64_MAX           /* no instruction limit */
#define VMM_KIB_SHIFT 10                  /* bytes >> this = KiB, in messages */

/* Exit status of tzvmm for a guest the monitor killed (an unexpected
 * situation); the other endings use PG32_EXIT_* like tzrun. */
#define VMM_EXIT_KILLED 6
/* Exit status of tzvmm --check when the runs differ. */
#define VMM_EXIT_DIVERGED 1

/* Binary rewriting of a guest's critical instructions (rewrite.c). */
enum vmm_rewrite_mode {
	VMM_REWRITE_AUTO = 0, /* dynamic if the variant has a critical instruction, else none */
	VMM_REWRITE_NONE,     /* plain trap-and-emulate (wrong under ill) */
	VMM_REWRITE_STATIC,   /* scan every image word at load (wrong on purpose) */
	VMM_REWRITE_DYNAMIC,  /* scan block by block as control reaches it */
};

/* How a guest ended. */
enum vmm_end {
	VMM_RUNNING = 0,  /* not ended */
	VMM_POWEROFF,     /* wrote the power port: only this guest stops */
	VMM_HALTED,       /* halt with interrupts off or nothing to wait for */
	VMM_LIMIT,        /* its --max-instructions reached */
	VMM_TRAP_LOOP,    /* BARE_MAX_TRAPS_WITHOUT_PROGRESS traps, no progress */
	VMM_KILLED,       /* the monitor met something unexpected */
};
/* "power-off", "halted", ... */
const char *vmm_end_name(enum vmm_end e);

/* A guest's share of the host memory: host physical [base, base + size). */
struct vmm_region {
	uint32_t base, size;
};

/* A VM/370 minidisk: sectors [first, first + count) of the host disk.
 * attached: the monitor has a disk (a guest without one sees the bare
 * machine's "no disk": every transfer ends in error). */
struct vmm_minidisk {
	uint32_t first, count;
	bool attached;
};

/* The virtual devices of one guest.  Same registers and timing as the bare
 * machine's (isa/dev.c); "physical" addresses are offsets in the guest's
 * region and sectors are sectors of its minidisk. */
struct vmm_vdev {
	/* console */
	FILE *out;                     /* NULL: output is discarded */
	bool prefix;                   /* "[name] " at each line start */
	uint64_t cap;                  /* bytes before cutting (0: no cap) */
	uint64_t written;              /* bytes the guest wrote (kept or not) */
	bool cut;                      /* the cap was reached */
	char line[VMM_CONSOLE_LINE];   /* prefix mode: the line so far */
	size_t line_len;
	const uint8_t *input;          /* console input (shared, read-only) */
	size_t input_len, input_pos;
	/* interval timer: counts this guest's own retired instructions */
	uint32_t timer_period;
	uint64_t timer_next;
	/* disk */
	uint32_t disk_sector, disk_addr, disk_count, disk_status, disk_cmd;
	uint32_t xfer_sector, xfer_addr, xfer_count; /* latched by the command */
	uint64_t disk_done_at;
	/* power */
	bool powered_off;
	uint32_t exit_code;
};

/* Figures per guest (Popek and Goldberg's efficiency, measured). */
struct vmm_stats {
	uint64_t direct;               /* instructions the real CPU retired */
	uint64_t emulated;             /* privileged instructions interpreted */
	uint64_t idle;                 /* clock skipped while halted, waiting */
	uint64_t traps[TRAP_NCAUSES];  /* traps received, by cause (incl. virtual interrupts) */
	uint64_t reflected;            /* traps from the CPU delivered into the guest */
	uint64_t interrupts;           /* virtual interrupts delivered */
	uint64_t slices;               /* time slices it was given */
	/* binary rewriting (rewrite.c) and the hybrid monitor (hybrid.c) */
	uint64_t blocks_scanned;       /* blocks scanned for critical instructions */
	uint64_t patches;              /* critical instructions patched */
	uint64_t rewrite_traps;        /* patched words executed (original emulated) */
	uint64_t rescans;              /* scanned words written, to be scanned again */
	uint64_t watch_traps;          /* the monitor's own watch-map traps (never the guest's) */
	uint64_t interpreted;          /* instructions the hybrid monitor interpreted */
};

/* One guest: the virtual machine it sees, and what the monitor keeps on it. */
struct vmm_guest {
	char name[VMM_NAME_MAX];
	unsigned id;                   /* position in the monitor, from 0 */
	/* The virtual machine exactly as the guest's bare machine would hold
	 * it: registers, pc, the VIRTUAL status (mode, IE, flags), the VIRTUAL
	 * R, the guest's own clock and pending virtual interrupts; mem is the
	 * guest's region and mem_size its memory size.  It never runs itself:
	 * the real CPU runs it (see the world switch in vmm.c). */
	struct cpu vm;
	struct vmm_region region;
	struct vmm_minidisk disk;
	struct vmm_vdev dev;
	struct vmm_stats stats;
	uint64_t limit;                /* clock at which it stops (VMM_NO_LIMIT) */
	enum vmm_end end;
	/* bare_run's trap-loop rule, kept per guest across time slices */
	unsigned no_progress;
	uint64_t last_delivery;
	char why[VMM_WHY_MAX];         /* VMM_KILLED: what happened */
	/* Binary rewriting: NULL under plain trap-and-emulate.  All of the
	 * rewriter's state is behind this one pointer (vmm_rewrite_clone). */
	struct vmm_rewrite *rw;
	bool hybrid;                   /* interpret virtual system mode (hybrid.c) */
};

/* ---- events: what the monitor did with each trap ----------------------
 * For the debugger's trap timeline and other teaching tools.  When the
 * monitor has handled a trap (or delivered a virtual interrupt) it calls
 * v->on_event, if set, once.  The guest's state after handling is in e->g;
 * the virtual PSW before it is in e->before. */
#define VMM_ACTIONS(X)                                                              \
	X(EMULATED, "emulated", "an interpreter routine ran the privileged instruction") \
	X(DEVICE, "device", "an interpreter routine ran port I/O on a virtual device")   \
	X(REFLECTED, "reflected", "delivered into the guest by the PSW swap")            \
	X(INTERRUPT, "interrupt", "a virtual interrupt delivered into the guest")       \
	X(REWRITTEN, "rewritten", "a patched critical instruction emulated")            \
	X(INTERPRETED, "interpreted", "run by the hybrid monitor's interpreter")        \
	X(KILLED, "killed", "the guest was ended by the monitor")

enum vmm_action {
#define VMM_ACTION_ENUM(name, word, meaning) VMM_ACT_##name,
	VMM_ACTIONS(VMM_ACTION_ENUM)
#undef VMM_ACTION_ENUM
	VMM_NACTIONS
};
/* "emulated", ... and a sentence for it; "?" for a value out of range. */
const char *vmm_action_name(enum vmm_action a);
const char *vmm_action_meaning(enum vmm_action a);

/* A PSW as the guest sees it: virtual status (mode, IE, flags), pc, R. */
struct vmm_vpsw {
	uint32_t status, pc, base, bound;
};

struct vmm_guest;
struct vmm_event {
	const struct vmm_guest *g;
	struct cpu_trap trap;          /* as the CPU reported it, or the interrupt */
	enum vmm_action action;
	uint64_t clock;                /* the guest's clock when it was taken */
	struct vmm_vpsw before;         /* virtual PSW before handling */
};
typedef void (*vmm_event_fn)(void *ctx, const struct vmm_event *e);

/* The monitor.  No globals: several monitors may live in one process. */
struct vmm {
	struct cpu cpu;                /* THE real CPU; bus NULL: no real devices */
	struct cpu_dcache *dcache;     /* cpu.dcache, over host memory; may be NULL */
	uint8_t *host_mem;
	uint32_t host_mem_size;
	struct vmm_region *used;       /* allocated regions, sorted by base */
	unsigned nused;
	struct vmm_guest **guests;
	unsigned nguests, guests_cap;
	uint64_t quantum;
	int disk_fd;                   /* -1: no disk */
	uint32_t disk_sectors;         /* size of the host disk */
	uint32_t disk_next;            /* first sector not yet given out */
	FILE *log;                     /* monitor messages (NULL: none) */
	size_t own_bytes;              /* the monitor's heap beyond guest RAM */
	vmm_event_fn on_event;         /* NULL: nobody listens */
	void *event_ctx;
};

/* ---- the monitor: life cycle (vmm.c) ----------------------------------- */

struct vmm_config {
	uint32_t host_mem;             /* 0: VMM_HOST_MEM_DEFAULT */
	uint64_t quantum;              /* 0: VMM_QUANTUM_DEFAULT */
	const char *disk_path;         /* NULL: no disk */
	FILE *log;                     /* where "guest killed" and notes go */
};

/* Create a monitor with cfg (NULL: all defaults).  Returns 0 and *out, or a
 * PG32_E* code with a one-line message (unusable disk, no memory). */
int vmm_create(struct vmm **out, const struct vmm_config *cfg, char *msg, size_t msglen);
/* Free the monitor and every guest (flushing their consoles). */
void vmm_destroy(struct vmm *v);

struct vmm_guest_config {
	const char *name;              /* console prefix and stats name */
	const struct image *img;
	uint32_t mem_size;             /* 0: PG32_MEM_DEFAULT */
	isa_variant variant;
	const uint8_t *input;          /* console input, kept alive by the caller */
	size_t input_len;
	uint32_t disk_sectors;         /* minidisk size (0: no disk) */
	uint64_t max_instructions;     /* 0: no limit */
	FILE *console;                 /* NULL: output discarded */
	bool prefix;                   /* prefix each line with "[name] " */
	uint64_t console_cap;          /* 0: no cap */
	enum vmm_rewrite_mode rewrite; /* VMM_REWRITE_AUTO: see vmm_rewrite_resolve */
	bool hybrid;                   /* the hybrid monitor (no rewriting) */
};

/* Add a guest: allocate its region and minidisk, place the image, reset its
 * virtual machine at the entry in virtual system mode.  Returns 0 and
 * *out (may be NULL), or a PG32_E* code with a message (does not fit in the
 * host memory or disk, image does not fit its memory). */
int vmm_add_guest(struct vmm *v, const struct vmm_guest_config *gc, struct vmm_guest **out,
                  char *msg, size_t msglen);

/* Run every guest, round robin, until all have ended. */
void vmm_run(struct vmm *v);

/* tzvmm's exit status: with one guest, its power-off code or PG32_EXIT_* /
 * VMM_EXIT_KILLED; with several, 0 if all powered off with 0, else the
 * first non-zero status in guest order. */
int vmm_exit_status(const struct vmm *v);
int vmm_guest_exit_status(const struct vmm_guest *g);

/* The world switch.  Load the real CPU with g (its registers and pc, real
 * USER mode with g's flags and IE, R composed with g's region), and save
 * the real CPU back into g's virtual machine. */
void vmm_world_load(struct vmm *v, const struct vmm_guest *g);
void vmm_world_save(struct vmm *v, struct vmm_guest *g);

/* ---- the allocator (alloc.c) ------------------------------------------ */

/* Carve a region of size bytes (aligned to VMM_REGION_ALIGN) out of the
 * host memory, first fit, zeroed.  PG32_ENOMEM with a message saying how
 * much is free when it does not fit. */
int vmm_alloc_region(struct vmm *v, uint32_t size, struct vmm_region *out, char *msg,
                     size_t msglen);
void vmm_free_region(struct vmm *v, const struct vmm_region *r);
/* Carve count sectors out of the host disk.  PG32_ENOMEM if they do not
 * fit (or there is no disk and count > 0). */
int vmm_alloc_minidisk(struct vmm *v, uint32_t count, struct vmm_minidisk *out, char *msg,
                       size_t msglen);
/* The real R for virtual R (vbase, vbound) in region r: see the diagram. */
void vmm_compose_r(const struct vmm_region *r, uint32_t vbase, uint32_t vbound,
                   uint32_t *real_base, uint32_t *real_bound);
/* CPU time: the next running guest after `after` in round-robin order
 * (after = NULL: the first), or NULL when every guest has ended. */
struct vmm_guest *vmm_alloc_next_guest(const struct vmm *v, const struct vmm_guest *after);

/* ---- the dispatcher (dispatch.c) --------------------------------------- */

/* What the guest does after a trap has been handled. */
enum vmm_next {
	VMM_NEXT_RESUME,    /* emulated: go on as if the instruction ran directly */
	VMM_NEXT_DELIVERED, /* a trap was delivered into the guest (reflected) */
	VMM_NEXT_STOP,      /* the guest has ended */
	VMM_NEXT_RETRY,     /* nothing retired: the monitor fixed something up
	                     * (scanned code after a watch trap); run on */
};

/* Run g for one time slice of at most quantum instructions (retired and
 * emulated), or until it ends.  Mirrors bare_run: the same instruction
 * limit, trap-loop and halt rules, per guest. */
void vmm_run_slice(struct vmm *v, struct vmm_guest *g, uint64_t quantum);
/* Tell v->on_event, if set, what the monitor did with trap t of g, whose
 * virtual PSW before was *before. */
void vmm_event_emit(struct vmm *v, const struct vmm_guest *g, const struct cpu_trap *t,
                    enum vmm_action action, const struct vmm_vpsw *before);
/* g's virtual PSW now. */
struct vmm_vpsw vmm_guest_vpsw(const struct vmm_guest *g);
/* Route one trap the real CPU reported while running g. */
enum vmm_next vmm_dispatch(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t);
/* End g because of something unexpected; print cause, pc and detail on the
 * monitor's log.  The other guests go on. */
void vmm_kill(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t, const char *why);

/* ---- interpreter routines (interp.c) ----------------------------------- */

enum vmm_interp_result {
	VMM_INTERP_DONE,    /* emulated: the instruction retired (clock + 1) */
	VMM_INTERP_FAULT,   /* it faults on the guest's machine: reflect *fault */
	VMM_INTERP_BAD,     /* not a privileged instruction we know: kill */
};
/* Emulate the privileged instruction of trap t (cause TRAP_PRIV, word
 * t->insn as the CPU fetched it) against g's VIRTUAL state, as the bare
 * machine would run it in system mode. */
enum vmm_interp_result vmm_interp(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                                  struct cpu_trap *fault);
/* Is there an interpreter routine for opcode op? */
bool vmm_interp_covers(unsigned op);

/* ---- reflection (reflect.c) -------------------------------------------- */

/* Deliver t into g by the PSW swap, in g's memory, with its virtual PSW
 * (cpu_deliver_trap on g's virtual machine).  Applies bare_run's trap-loop
 * rule first: VMM_NEXT_STOP if g ended with VMM_TRAP_LOOP instead. */
enum vmm_next vmm_reflect(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t);
/* Take g's highest-priority pending virtual interrupt (timer before disk)
 * and deliver it.  Only when virtual IE = 1 and one is pending. */
enum vmm_next vmm_reflect_interrupt(struct vmm *v, struct vmm_guest *g);

/* ---- virtual devices (vdev.c) ----------------------------------------- */

void vmm_vdev_init(struct vmm_vdev *d, FILE *out, bool prefix, uint64_t cap);
/* Port I/O of g at its clock value now (this instruction retired). */
uint32_t vmm_vdev_in(struct vmm *v, struct vmm_guest *g, uint32_t port, uint64_t now);
void vmm_vdev_out(struct vmm *v, struct vmm_guest *g, uint32_t port, uint32_t value,
                  uint64_t now);
/* Clock value of g's next virtual device event, or VMM_NEVER. */
uint64_t vmm_vdev_next_event(const struct vmm_guest *g);
/* Carry out g's device events due at its clock; returns IRQ_* bits. */
uint32_t vmm_vdev_tick(struct vmm *v, struct vmm_guest *g);
/* Write out a pending partial console line (at guest end). */
void vmm_vdev_flush(struct vmm_guest *g);

/* ---- figures (stats.c) ------------------------------------------------- */

/* direct / (direct + emulated); 1 when nothing ran. */
double vmm_efficiency(const struct vmm_stats *s);
/* A table on out, one row per guest, then traps by cause. */
void vmm_print_stats(const struct vmm *v, FILE *out);
/* The same as one JSON object. */
void vmm_write_stats_json(const struct vmm *v, FILE *out);

/* ---- the equivalence checker (check.c) -------------------------------- */

#define VMM_CHECK_LIMIT_DEFAULT 100000000ull /* instructions, when none given */
#define VMM_CHECK_WHAT 384u

struct vmm_check_config {
	uint32_t mem_size;             /* 0: PG32_MEM_DEFAULT */
	isa_variant variant;
	const uint8_t *input;
	size_t input_len;
	const char *disk_path;         /* copied, so neither run changes it */
	uint64_t max_instructions;     /* 0: VMM_CHECK_LIMIT_DEFAULT */
	uint64_t quantum;              /* 0: VMM_QUANTUM_DEFAULT */
	/* Other guests run beside the checked one in the same monitor; its
	 * result must not depend on them. */
	const struct image *const *beside;
	size_t nbeside;
	bool first_divergence;         /* search the first differing instruction */
	enum vmm_rewrite_mode rewrite; /* for the monitor's run (0: the default) */
	bool hybrid;                   /* the monitor's run is the hybrid monitor */
};

struct vmm_check_result {
	bool equivalent;
	uint64_t clock;                /* final clock (bare machine) */
	enum vmm_end end;              /* how the bare run ended, as a vmm_end */
	uint32_t exit_code;
	/* When not equivalent: where they first differ (with first_divergence,
	 * else at the end), the bare machine's pc there, and what differs. */
	uint64_t diverged_at;
	uint32_t pc;
	char what[VMM_CHECK_WHAT];
};

/* Run img on the bare machine and under the monitor and compare console
 * output, registers, PSW (through the VM map), clock, pending interrupts,
 * devices, the whole memory and the disk.  Returns 0 with *res filled, or
 * a PG32_E* code with a message when a run could not even start. */
int vmm_check(const struct image *img, const struct vmm_check_config *cfg,
              struct vmm_check_result *res, char *msg, size_t msglen);
/* One line: "equivalent (N instructions, ended by ...)" or the divergence. */
void vmm_check_format(const struct vmm_check_result *res, char *buf, size_t len);

/* ---- random programs (randprog.c) -------------------------------------- */

#define VMM_RAND_MEM 0x2000u           /* memory of a random program */

/* A random program: the guest's whole initial memory (trap words zero; the
 * program installs its own handler) and where its generated instructions
 * are, so a divergence can be shrunk by turning them into nops. */
struct vmm_randprog {
	uint64_t seed;
	isa_variant variant;           /* WELL, or an ill variant: the ill mixes */
	uint32_t mem_size, entry;
	uint8_t *mem;
	uint32_t *insn_addr;           /* addresses of the random instructions */
	uint32_t ninsn;
	struct img_segment seg;        /* img points into mem: do not img_free */
	struct image img;
};

/* Generate the program of seed into *p.  Returns 0 or PG32_ENOMEM. */
int vmm_rand_generate(uint64_t seed, struct vmm_randprog *p);
/* The same for a variant: under an ill one the program also writes
 * critical instructions into its own code ahead of the pc (system and
 * user mode), loads code words, and jumps through registers more often;
 * its image carries the variant. */
int vmm_rand_generate_variant(uint64_t seed, isa_variant variant, struct vmm_randprog *p);
/* Refresh p->img after p->mem changed (it always describes all of mem). */
void vmm_rand_image(struct vmm_randprog *p);
void vmm_rand_free(struct vmm_randprog *p);
/* Shrink a diverging program: replace random instructions by nop, one at a
 * time, keeping each change while vmm_check still says "not equivalent".
 * Returns the number of instructions left. */
uint32_t vmm_rand_shrink(struct vmm_randprog *p, const struct vmm_check_config *cfg);
/* Print the non-nop random instructions of p, disassembled. */
void vmm_rand_print(const struct vmm_randprog *p, FILE *out);

/* ---- snapshots (snapshot.c) --------------------------------------------
 * A copy of a guest's whole state, to go back to later (the debugger's
 * reverse execution replays forward from one).  Because a guest's run
 * depends only on its own state (its region, its devices, its clock), one
 * guest can be restored without touching the others.  Not kept: the host
 * disk's sectors (a guest that wrote its minidisk since keeps the writes)
 * and stats.slices' meaning (a replay may use other slices).
 *
 * State reachable by pointer is deep-copied (the rewriter's g->rw, with
 * vmm_rewrite_clone); the struct copy shares only pointers that never
 * change while the monitor lives (vm.mem, vm.bus, dev.out, dev.input). */
struct vmm_guest_snapshot {
	struct vmm_guest g;            /* the guest struct, copied */
	uint8_t *mem;                  /* a copy of its region (g.vm.mem_size bytes) */
	long long console_pos;         /* ftello of its console stream, or -1 */
};

struct vmm_snapshot {
	unsigned nguests;
	struct vmm_guest_snapshot *guests;
};

/* Copy g (and its memory, and its console position when the stream can
 * seek) into *s.  Returns 0 or PG32_ENOMEM. */
int vmm_guest_snapshot_take(const struct vmm_guest *g, struct vmm_guest_snapshot *s);
/* Put g back as it was in s (g must be the guest s was taken of); a
 * seekable console is cut back to where it was, so output written since is
 * written again on replay.  Returns 0, or PG32_ENOMEM (g unchanged). */
int vmm_guest_snapshot_restore(struct vmm_guest *g, const struct vmm_guest_snapshot *s);
void vmm_guest_snapshot_free(struct vmm_guest_snapshot *s);
/* Every guest of v.  Returns 0 and *out, or PG32_ENOMEM. */
int vmm_snapshot_take(const struct vmm *v, struct vmm_snapshot **out);
/* Every guest of v back as in s; PG32_EARG if v's guests are not those s
 * was taken of (another count or other regions). */
int vmm_snapshot_restore(struct vmm *v, const struct vmm_snapshot *s);
void vmm_snapshot_free(struct vmm_snapshot *s);
/* Heap bytes a snapshot holds. */
size_t vmm_guest_snapshot_bytes(const struct vmm_guest_snapshot *s);
size_t vmm_snapshot_bytes(const struct vmm_snapshot *s);

/* ---- binary rewriting (rewrite.c) -------------------------------------
 * Under an ill variant, critical instructions run in real user mode
 * without trapping.  The rewriter replaces each in place by a PATCH WORD,
 * an undefined-opcode word whose low 24 bits index the patch table; it
 * faults (illegal) when run, and the monitor, finding the patch table entry
 * at that address, emulates the original.  docs/rewriting.md tells all.
 *
 *   static   every word of every image segment patched at load, not watched
 *   dynamic  guest memory starts X-watched (struct cpu.watch, one byte per
 *            word of the guest's memory): the first fetch of a word traps,
 *            the block from there is scanned and patched; scanned words
 *            become W-watched (a store is caught and the word scanned
 *            again), patched words R-watched (a load sees the original). */
#define VMM_PATCH_INDEX_MAX ISA_OFF24_MASK /* the largest patch index */
#define VMM_PATCH_WORD(i) (((uint32_t)ISA_OP_UNDEFINED << ISA_OPCODE_SHIFT) | (uint32_t)(i))
#define VMM_PATCH_FREE UINT32_MAX          /* addr of a free patch table entry */
#define VMM_SCAN_BLOCK_MAX 64u             /* words scanned per block at most */

struct vmm_patch {
	uint32_t addr;     /* guest physical address, or VMM_PATCH_FREE */
	uint32_t original; /* the critical instruction (free: next free index) */
};

struct vmm_rewrite {
	enum vmm_rewrite_mode mode;    /* VMM_REWRITE_STATIC or _DYNAMIC */
	isa_variant critical;          /* opcodes to patch: the variant's critical set */
	uint8_t *map;                  /* dynamic: CPU_WATCH_* per word of guest memory */
	uint32_t words;                /* words of guest memory */
	struct vmm_patch *patch;       /* the patch table */
	uint32_t npatch, cap;          /* entries used (live or free), allocated */
	uint32_t max;                  /* cap on entries: guest words, at most 2^24 */
	uint32_t free_head;            /* first free entry, VMM_PATCH_FREE if none */
};

/* "none", "static", "dynamic" ("auto" for VMM_REWRITE_AUTO). */
const char *vmm_rewrite_name(enum vmm_rewrite_mode m);
/* Parse "none", "static" or "dynamic".  Returns 0 or PG32_EARG. */
int vmm_rewrite_parse(const char *text, enum vmm_rewrite_mode *out);
/* The mode a guest of variant v runs with: AUTO is dynamic when v has a
 * critical instruction, none otherwise; the hybrid monitor never rewrites. */
enum vmm_rewrite_mode vmm_rewrite_resolve(enum vmm_rewrite_mode m, isa_variant v, bool hybrid);
/* Set up g->rw for mode (after the image is placed): static patches img's
 * segments now.  NONE leaves g->rw NULL.  PG32_ENOMEM with a message. */
int vmm_rewrite_init(struct vmm *v, struct vmm_guest *g, enum vmm_rewrite_mode mode,
                     const struct image *img, char *msg, size_t msglen);
/* For snapshots: a deep copy of src (NULL gives NULL), and its release. */
int vmm_rewrite_clone(const struct vmm_rewrite *src, struct vmm_rewrite **out);
void vmm_rewrite_free(struct vmm_rewrite *rw);
/* The dispatcher's first stop: a watch-map trap, or a patch word run.
 * Returns true with *next and *action set if it was the rewriter's. */
bool vmm_rewrite_trap(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                      enum vmm_next *next, enum vmm_action *action);
/* Guest physical bytes [addr, addr + len) are about to be written or read
 * by someone other than the guest's own loads and stores (DMA, the PSW
 * swap, lpsw's interpreter routine): put the originals of patched words
 * back there and forget the scan (dynamic only; the rest of memory is
 * untouched).  Returns the number of words forgotten. */
uint32_t vmm_rewrite_invalidate(struct vmm_guest *g, uint32_t addr, uint64_t len);
/* Copy g's memory into buf (g->vm.mem_size bytes) with every patch word
 * still in place replaced by its original: under dynamic rewriting exactly
 * what the guest's loads see.  (Under static rewriting the guest's loads
 * see the patch words; the checker, which compares this view, then finds
 * static's corruption where the guest's behaviour first differs.) */
void vmm_rewrite_guest_view(const struct vmm_guest *g, uint8_t *buf);
/* The word at guest physical addr (4-aligned) as the guest sees it. */
uint32_t vmm_rewrite_read_word(const struct vmm_guest *g, uint32_t addr);
/* The same at any alignment (addr + 4 <= memory size): what a fetch there
 * would give the guest.  Without rewriting, memory as it is. */
uint32_t vmm_rewrite_fetch(const struct vmm_guest *g, uint32_t addr);
/* Must g be interpreted now rather than run directly?  Under dynamic
 * rewriting while its virtual base is not a multiple of 4: its
 * instructions then straddle the watch map's words. */
bool vmm_rewrite_interprets(const struct vmm_guest *g);

/* ---- the hybrid monitor (hybrid.c) -------------------------------------
 * Theorem 3: a machine whose user-sensitive instructions are privileged has
 * a hybrid monitor, one that interprets every instruction the guest runs in
 * VIRTUAL system mode and runs virtual user mode directly. */

/* Is v hybrid-virtualizable: is no critical instruction of v
 * user-sensitive (control- or location-sensitive in user mode)?  Only srr,
 * which reads the real R, is; rtu, rdpsw and wrfl are not (as tzclassify
 * finds, docs/classify.md). */
bool vmm_hybrid_virtualizable(isa_variant v);
/* Interpret the one instruction at g's pc (g in virtual system mode),
 * with the same device and interrupt timing as direct execution. */
enum vmm_next vmm_hybrid_step(struct vmm *v, struct vmm_guest *g);
/* Reflect t into g (vmm_reflect), first forgetting any code the rewriter
 * scanned in g's trap words; *action: reflected, or killed if that ended
 * g (the trap-loop rule). */
enum vmm_next vmm_reflect_trap(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                               enum vmm_action *action);
/* A privileged instruction in virtual system mode, reported as t: its
 * interpreter routine runs it against g's virtual state and devices (the
 * word decoded once); a fault it takes on g's machine is reflected
 * (*action set), a word with no routine kills g.  VMM_NEXT_RESUME: it
 * retired, and *action is left as the caller set it. */
enum vmm_next vmm_emulate(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                          enum vmm_action *action);
/* Run the instruction word w at g's pc as g's bare machine would, in g's
 * virtual mode: a privileged one in virtual system mode by its interpreter
 * routine, any other by cpu_exec_word on g's virtual machine; a trap it
 * takes is reflected.  *action says which.  VMM_NEXT_RESUME: it retired. */
enum vmm_next vmm_exec_word(struct vmm *v, struct vmm_guest *g, uint32_t w,
                            enum vmm_action *action);

/* ---- the command line of the monitor's tools (cli.c) --------------------
 * tzvmm and tzdbg take the same options for the monitor and its guests;
 * they are parsed, checked and acted on once, here.  A tool lists them in
 * its getopt_long table with VMM_CLI_OPTIONS(its own macro), hands each to
 * vmm_cli_option, puts VMM_CLI_HELP in its usage, and loads its images
 * with vmm_cli_load. */

/* X(long name, has_arg, ID): has_arg is 1 (a value) or 0 (a flag). */
#define VMM_CLI_OPTIONS(X)                                                     \
	X("mem", 1, MEM) X("host-mem", 1, HOST_MEM) X("quantum", 1, QUANTUM)      \
	X("disk", 1, DISK) X("minidisk", 1, MINIDISK) X("input", 1, INPUT)        \
	X("input-string", 1, INPUT_STRING) X("isa", 1, ISA)                       \
	X("rewrite", 1, REWRITE) X("hybrid", 0, HYBRID)                           \
	X("max-instructions", 1, MAX)

/* Their option codes: above any character, so a tool's own start after
 * VMM_CLI_END. */
enum vmm_cli_id {
	VMM_CLI_BEFORE_FIRST = 255,
#define VMM_CLI_ENUM(name, arg, id) VMM_CLI_##id,
	VMM_CLI_OPTIONS(VMM_CLI_ENUM)
#undef VMM_CLI_ENUM
	VMM_CLI_END
};

#define VMM_CLI_HELP                                                                        \
	"  --mem SIZE              memory of each guest, e.g. 64K or 1M (default 1M)\n"         \
	"  --host-mem SIZE         host memory the guests are carved from (default 64M)\n"      \
	"  --quantum N             time slice, in instructions (default 10000)\n"               \
	"  --disk FILE             host disk image, carved into one minidisk per guest\n"       \
	"  --minidisk N            sectors per guest (default: the disk shared equally)\n"      \
	"  --input FILE            console input of every guest, read before they\n"            \
	"                          start (- for standard input; default: none)\n"              \
	"  --input-string TEXT     console input from TEXT\n"                                   \
	"  --isa V                 ISA variant: well, ill, or ill:NAME,... (default: each\n"    \
	"                          image's)\n"                                                  \
	"  --rewrite MODE          critical instructions of an ill variant: none (plain\n"      \
	"                          trap-and-emulate), static (patch the image at load)\n"      \
	"                          or dynamic (patch block by block as control reaches\n"      \
	"                          it); default: dynamic under ill, none under well\n"         \
	"  --hybrid                the hybrid monitor: interpret every instruction the\n"       \
	"                          guest runs in virtual system mode (no rewriting)\n"         \
	"  --max-instructions N    stop each guest after N of its instructions (K, M, G)\n"

/* The values of the shared options. */
struct vmm_cli {
	uint32_t mem, host_mem, minidisk;
	bool minidisk_given, hybrid;
	enum vmm_rewrite_mode rewrite;
	uint64_t quantum, max;
	const char *disk, *input_path, *input_string, *isa;
};

/* The defaults. */
void vmm_cli_init(struct vmm_cli *c);
/* Take option id with its value arg: 0, or PG32_EARG with "bad memory
 * size '...'" and the like in msg. */
int vmm_cli_option(struct vmm_cli *c, int id, const char *arg, char *msg, size_t msglen);
/* The checks between options, after the last one: 0 or PG32_EARG. */
int vmm_cli_check(const struct vmm_cli *c, char *msg, size_t msglen);

/* The guests named on the command line, loaded. */
struct vmm_cli_guests {
	unsigned n;
	struct image *imgs;
	isa_variant *variants;        /* each image's, or --isa's */
	char (*names)[VMM_NAME_MAX];  /* see vmm_guest_names */
	const uint8_t *input;         /* --input's bytes or --input-string's */
	size_t input_len;
	uint8_t *input_buf;           /* owned: --input's bytes */
};
/* Load the n images of paths, their variants, names and the console input
 * (--input - reads standard input to its end).  0, or a PG32_E* code with
 * a message naming the file; *out is then empty. */
int vmm_cli_load(const struct vmm_cli *c, unsigned n, char *const *paths,
                 struct vmm_cli_guests *out, char *msg, size_t msglen);
void vmm_cli_free(struct vmm_cli_guests *gs);
/* Guest names from image paths: "build/guests/hello.img" -> "hello", and
 * "name#1", "name#2", ... when a name repeats. */
void vmm_guest_names(unsigned n, char *const *paths, char (*names)[VMM_NAME_MAX]);

#endif /* VMM_H */
