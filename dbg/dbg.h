/*
 * dbg.h -- the public interface of dbg/: the trapeze debugger's core.
 *
 * The debugger is layered as cgdb is: this core (dbg.c: a session over a
 * monitor with its guests; dbg_cmd.c: the command language) has no
 * terminal code at all; the tool tzdbg (dbg/tzdbg.c) runs it in batch mode
 * (text in, text out) or hands it to the ncurses screen (dbg/ui_*.c), which
 * talks to it only through the functions below.
 *
 * What the core does:
 *
 *   run control   step / next / until / continue over the monitor's guests,
 *                 stopping at breakpoints (a pc, per guest), catchpoints (a
 *                 trap cause, or what the monitor did with a trap) and
 *                 watchpoints (a guest-physical word written or read);
 *   trap log      one entry per trap the monitor handled (vmm on_event), in
 *                 a bounded log, with counts per guest and action;
 *   reverse       reverse-step and reverse-continue by deterministic replay:
 *                 each guest has snapshots (vmm_guest_snapshot_take) every
 *                 K of its instructions; going back restores the nearest
 *                 earlier one and runs forward to the wanted position;
 *   inspection    registers, the virtual and the real PSW, memory as
 *                 guest-virtual, guest-physical or host-physical addresses,
 *                 disassembly with symbols, and a plain-words explanation
 *                 of any logged trap.
 *
 * Positions.  A guest's place in its run is (clock, faults): its clock
 * (retired instructions and idle time) and how many traps it has taken that
 * retired nothing (faults and interrupts).  Both only grow, so positions are
 * ordered, and every state the debugger can stop at has its own position.
 *
 * How a run stops exactly where it must: the core lowers the guest's
 * instruction limit (g->limit) to the clock it wants to stop at, or to the
 * guest's clock now from the on_event listener when a trap must stop it;
 * vmm_run_slice() then returns there, and the core undoes the "limit
 * reached" ending.  (A future hook in the dispatcher, "stop after this
 * trap", would make that cleaner; see the report of issue 6.)
 *
 * Watchpoints work by single-stepping: a write watchpoint compares the word
 * before and after each step (so it sees every writer: stores, trap
 * deliveries, DMA, the monitor); a read watchpoint decodes the instruction
 * about to run and checks the address it loads.
 */
#ifndef DBG_H
#define DBG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pg32.h"
#include "vmm.h"

/* ---- limits ------------------------------------------------------------ */
#define DBG_SNAP_MAX 64u              /* snapshots kept per guest */
#define DBG_SNAP_INTERVAL (1u << 20)  /* instructions between them, at first */
#define DBG_SNAP_BUDGET (192u << 20)  /* bytes of snapshots, all guests, at most
                                       * (beyond each guest's first one) */
#define DBG_LOG_MAX 4096u             /* trap log entries kept */
#define DBG_BREAK_MAX 64u             /* breakpoints, catchpoints, watchpoints */
#define DBG_LINE_MAX 1024u            /* longest command line */
#define DBG_OUT_MAX (1u << 20)        /* output of one command, at most */
#define DBG_X_MAX 4096u               /* words or bytes x/N shows at most */
#define DBG_STEPS_MAX 1000000u        /* step N: N at most */
#define DBG_POLL_EVERY (1u << 20)     /* instructions between poll callbacks */

/* ---- text output -------------------------------------------------------- */
/* Commands write into a growing buffer, never to a terminal. */
struct dbg_text {
	char *s;        /* NUL-terminated; NULL until something is written */
	size_t len, cap;
	bool cut;       /* DBG_OUT_MAX reached: the rest was dropped */
};
void dbg_text_printf(struct dbg_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dbg_text_clear(struct dbg_text *t);
void dbg_text_free(struct dbg_text *t);

/* ---- positions ----------------------------------------------------------- */
struct dbg_pos {
	uint64_t clock, faults;
};
/* -1, 0, 1 as a is before, at, after b. */
int dbg_pos_cmp(struct dbg_pos a, struct dbg_pos b);

/* ---- the trap log -------------------------------------------------------- */
/* Where a trap came from and went to: the timeline's lanes. */
enum dbg_lane { DBG_LANE_USER, DBG_LANE_KERNEL, DBG_LANE_MONITOR };

struct dbg_trap {
	unsigned seq;                  /* number in the log, from 1 */
	unsigned guest;
	uint64_t clock;                /* the guest's clock when it was taken */
	struct dbg_pos pos;            /* the guest's position after handling */
	struct cpu_trap trap;          /* as the CPU reported it */
	enum vmm_action action;
	struct vmm_vpsw before, after; /* virtual PSW before and after */
	uint32_t rd_after;             /* the register an emulated insn wrote */
	uint32_t insn;                 /* the instruction: for a patch word of the
	                                * rewriter, the critical one it replaced */
	bool hardware;                 /* --bare: delivered by the CPU, no monitor */
};

/* ---- breakpoints ---------------------------------------------------------- */
enum dbg_break_kind {
	DBG_BREAK_PC,       /* the guest's pc (virtual) reaches addr */
	DBG_BREAK_CAUSE,    /* the monitor handles a trap of cause `what` */
	DBG_BREAK_ACTION,   /* the monitor's action on a trap is `what` */
	DBG_WATCH_WRITE,    /* the word at guest-physical addr changes */
	DBG_WATCH_READ,     /* a load reads the word at guest-physical addr */
	DBG_WATCH_ACCESS,   /* either */
};

struct dbg_break {
	unsigned id;
	enum dbg_break_kind kind;
	int guest;          /* the guest it belongs to; -1: every guest */
	uint32_t addr;      /* PC and WATCH kinds */
	unsigned what;      /* CAUSE: TRAP_*; ACTION: VMM_ACT_* */
	uint32_t old;       /* WATCH_WRITE: the word's value last seen */
	uint64_t hits;
	bool temporary;     /* deleted when hit (next, until) */
};

/* ---- the session ------------------------------------------------------ */
struct dbg_snap {
	struct vmm_guest_snapshot s;
	struct dev_bus bus;            /* --bare: the bare machine's devices */
	uint64_t faults;
	uint64_t counts[VMM_NACTIONS];
};

struct dbg_guest {
	struct vmm_guest *g;
	const struct image *img;       /* symbols (may be NULL) */
	uint64_t real_limit;           /* the guest's own --max-instructions */
	uint64_t faults;               /* traps that retired nothing */
	uint64_t counts[VMM_NACTIONS]; /* traps by what the monitor did */
	struct dbg_pos logged;         /* position of the newest trap logged */
	bool any_logged;
	struct dbg_snap snaps[DBG_SNAP_MAX];
	unsigned nsnaps;               /* sorted by clock */
	uint64_t interval;             /* instructions between snapshots */
	/* the console, captured so replay can cut it back */
	FILE *con;
	char *con_buf;
	size_t con_size;
};

/* Why the last run command stopped. */
enum dbg_stop_kind {
	DBG_STOP_NONE, DBG_STOP_STEP, DBG_STOP_BREAK, DBG_STOP_CAUGHT, DBG_STOP_WATCH,
	DBG_STOP_ENDED, DBG_STOP_ALL_ENDED, DBG_STOP_START, DBG_STOP_INTERRUPTED,
};

struct dbg {
	struct vmm *v;
	unsigned nguests;
	struct dbg_guest *guests;
	unsigned focus;
	struct dbg_break breaks[DBG_BREAK_MAX];
	unsigned nbreaks, next_break_id;
	struct dbg_trap *log;          /* DBG_LOG_MAX entries, oldest first */
	unsigned nlog, log_seq;
	unsigned selected;             /* seq of the selected trap (0: newest) */
	/* run state, for the on_event listener */
	bool stop_on_event;            /* single step: any trap ends the step */
	bool check_catch;              /* catchpoints are live */
	bool record_catch;             /* ...but only record their positions */
	bool stop_requested;
	struct dbg_pos *hits;          /* recorded catchpoint positions */
	unsigned nhits, hits_cap;
	/* the last stop */
	enum dbg_stop_kind stop;
	unsigned stop_break;           /* id of the breakpoint that stopped it */
	char stop_text[256];
	/* asked between stretches of a long run: true stops it (the screen
	 * checks for a key) */
	bool (*poll)(void *ctx);
	void *poll_ctx;
	uint64_t quantum;              /* instructions per guest per round of continue */
	size_t snap_bytes;             /* heap bytes of all snapshots kept */
	size_t snap_budget;            /* ... at most (beyond each guest's first) */
	/* --bare: one guest on the bare machine, no monitor.  Its CPU is the
	 * guest struct's vm, with these devices; every trap is delivered by
	 * the hardware's PSW swap (logged as reflected/interrupt, "by the
	 * hardware"). */
	bool bare;
	struct dev_bus *bus;
};

struct dbg_config {
	struct vmm_config vmm;
	uint32_t mem_size;             /* per guest; 0: PG32_MEM_DEFAULT */
	const isa_variant *variants;   /* per image; NULL: each image's own */
	const uint8_t *input;
	size_t input_len;
	uint32_t minidisk;             /* sectors per guest (with a disk) */
	uint64_t max_instructions;     /* per guest; 0: none */
	uint64_t snap_interval;        /* 0: DBG_SNAP_INTERVAL */
	size_t snap_budget;            /* 0: DBG_SNAP_BUDGET */
	enum vmm_rewrite_mode rewrite; /* as tzvmm --rewrite */
	bool hybrid;                   /* as tzvmm --hybrid */
	bool bare;                     /* one image on the bare machine (no monitor) */
};

/* A session over a new monitor with one guest per image (names as given).
 * The images must outlive the session.  Returns 0 and *out, or a PG32_E*
 * code with a message. */
int dbg_create(struct dbg **out, const struct dbg_config *cfg, const struct image *imgs,
               const char *const *names, unsigned n, char *msg, size_t msglen);
void dbg_destroy(struct dbg *d);

/* ---- run control (each returns the kind of stop; the text is in
 * d->stop_text) ---------------------------------------------------------- */
enum dbg_stop_kind dbg_step(struct dbg *d, uint64_t n);
enum dbg_stop_kind dbg_next(struct dbg *d);
/* until with has_addr false: as next, but a backward branch runs on until
 * the pc is past it. */
enum dbg_stop_kind dbg_until(struct dbg *d, bool has_addr, uint32_t addr);
enum dbg_stop_kind dbg_continue(struct dbg *d);
enum dbg_stop_kind dbg_reverse_step(struct dbg *d, uint64_t n);
enum dbg_stop_kind dbg_reverse_continue(struct dbg *d);
/* Go to position p of guest gi (replaying; stops at the first state at or
 * after p).  Returns 0 or PG32_EARG when p is before the first snapshot. */
int dbg_goto(struct dbg *d, unsigned gi, struct dbg_pos p);

/* ---- breakpoints ---------------------------------------------------------- */
/* Add one; returns its id, or 0 when DBG_BREAK_MAX are set. */
unsigned dbg_break_add(struct dbg *d, enum dbg_break_kind kind, int guest, uint32_t addr,
                       unsigned what, bool temporary);
/* Delete by id (0: all).  Returns false if there is no such id. */
bool dbg_break_delete(struct dbg *d, unsigned id);
/* Is there a pc breakpoint of guest gi at addr? */
bool dbg_break_at(const struct dbg *d, unsigned gi, uint32_t addr);

/* ---- inspection ---------------------------------------------------------- */
enum dbg_space { DBG_SPACE_VIRTUAL, DBG_SPACE_PHYSICAL, DBG_SPACE_HOST };
/* Copy n bytes at addr of space, as seen from guest gi; returns how many
 * could be read (0 when addr itself is outside). */
uint32_t dbg_read(const struct dbg *d, unsigned gi, enum dbg_space space, uint32_t addr,
                  uint8_t *buf, uint32_t n);
/* The guest's position now. */
struct dbg_pos dbg_pos_of(const struct dbg *d, unsigned gi);
/* Disassemble the word at virtual addr of guest gi into buf (symbols from
 * its image; a patch word of the rewriter as its original); false when
 * addr is outside its R. */
bool dbg_disasm(const struct dbg *d, unsigned gi, uint32_t addr, char *buf, size_t len);
/* Is the word at virtual addr of guest gi a patch word of the rewriting
 * pass?  *original (may be NULL) gets the critical instruction it stands for. */
bool dbg_rewritten(const struct dbg *d, unsigned gi, uint32_t addr, uint32_t *original);
/* Symbol of guest gi at exactly addr, or NULL; value of a symbol by name. */
const char *dbg_symbol_at(const struct dbg *d, unsigned gi, uint32_t addr);
bool dbg_symbol_value(const struct dbg *d, unsigned gi, const char *name, uint32_t *value);
/* The n-th symbol name of guest gi, or NULL past the end (completion). */
const char *dbg_symbol_name(const struct dbg *d, unsigned gi, unsigned n);
/* The P-G class of an instruction word under variant v: "privileged,
 * control-sensitive", "critical (unprivileged in this variant), ...",
 * "innocuous", "traps (svc)", "illegal". */
void dbg_insn_class(uint32_t insn, isa_variant v, char *buf, size_t len);
/* One short line for the timeline: "emulated out", ... */
void dbg_trap_summary(const struct dbg_trap *t, char *buf, size_t len);
/* What changed, in a few words: "mode kernel->user, R, pc". */
void dbg_trap_changes(const struct dbg_trap *t, char *buf, size_t len);
/* The trap explained in plain words, several sentences. */
void dbg_trap_explain(const struct dbg *d, const struct dbg_trap *t, struct dbg_text *out);
/* Log entry by seq, or NULL when it is no longer (or not yet) kept. */
const struct dbg_trap *dbg_trap_by_seq(const struct dbg *d, unsigned seq);
/* A guest's console so far (not NUL-terminated), and its length. */
const char *dbg_console(struct dbg *d, unsigned gi, size_t *len);
/* Heap bytes of the snapshots kept, all guests. */
size_t dbg_snapshot_bytes(const struct dbg *d);

/* Text blocks shared by batch mode and the screen. */
void dbg_print_regs(const struct dbg *d, unsigned gi, struct dbg_text *out);
void dbg_print_where(const struct dbg *d, struct dbg_text *out);
void dbg_print_traps(const struct dbg *d, unsigned last, struct dbg_text *out);
void dbg_print_guests(const struct dbg *d, struct dbg_text *out);
void dbg_print_patches(const struct dbg *d, struct dbg_text *out);
void dbg_print_breaks(const struct dbg *d, struct dbg_text *out);

/* ---- the command language (dbg_cmd.c) ------------------------------------ */
enum dbg_cmd_result {
	DBG_CMD_OK,     /* done; output in out */
	DBG_CMD_ERROR,  /* bad input; out says what is wrong */
	DBG_CMD_QUIT,   /* quit */
};
/* Run one command line (at most DBG_LINE_MAX bytes; longer is an error).
 * Never prints: everything goes into out.  Any input is safe. */
enum dbg_cmd_result dbg_command(struct dbg *d, const char *line, struct dbg_text *out);
/* Parse an address as the commands do ([v:|p:|h:] term {+|- term});
 * false with a message in err. */
bool dbg_parse_addr(const struct dbg *d, const char *s, enum dbg_space *space, uint32_t *addr,
                    struct dbg_text *err);
/* The command names, for completion: the n-th, or NULL past the end. */
const char *dbg_command_name(unsigned n);
/* help TOPIC's text (NULL: the list); false for an unknown topic. */
bool dbg_help(const char *topic, struct dbg_text *out);

#endif /* DBG_H */
