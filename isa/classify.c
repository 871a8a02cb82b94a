/*
 * classify.c -- the Popek-Goldberg classifier (see classify.h and
 * docs/classify.md): each opcode is run, one instruction at a time, from
 * many seeded random states, and its class is read off what the runs did.
 *
 * One sample of one opcode:
 *
 *   draw a state S: registers, flags, IE, clock, a window of memory of
 *   `bound` bytes (the instruction, a random valid encoding, at the pc),
 *   the rest of physical memory and the trap words, the device registers
 *   and the console input; and two bases b1 != b2, both above the trap
 *   area, so that ordinary stores cannot reach the trap words;
 *
 *   run it four times, each from a fresh copy of S (cpu_run, budget 1):
 *
 *              base b1        base b2
 *     system   run[SYS][0]    run[SYS][1]
 *     user     run[USER][0]   run[USER][1]
 *
 *   privilege:  run[SYS][0] against run[USER][0] (who traps, and why);
 *   control:    each run that did not trap, against S itself;
 *   location:   run[m][0] against run[m][1], per mode m, neither trapping;
 *   mode:       run[SYS][b] against run[USER][b], neither trapping.
 *
 * A run that ends with a data fault (memory, align, divide, illegal) is
 * discarded, as in the paper: the definitions speak only of executions
 * that do not memory-trap.  The flags column of the table is not read
 * here except by classify_declared_class(), which only labels the output.
 */
#include "classify.h"
#include "machine.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- the sampled machine ----------------------------------------------- */

/* Physical memory: the smallest the machine allows; the window (R) lies
 * above the trap area and takes at most a quarter of it, so two bases
 * always fit. */
#define CL_MEM_SIZE   PG32_MEM_MIN
#define CL_BOUND_MIN  (4u * PSW_BYTES)
#define CL_BOUND_MAX  (CL_MEM_SIZE / 4u)
/* Console input bytes waiting in a sampled state (some already read). */
#define CL_INPUT_BYTES 8u
/* "Small" operand values: 0..CL_SMALL-1 (and -CL_SMALL..-1 when signed). */
#define CL_SMALL 64u
#define CL_TIMER_PERIOD_MAX 1000u
/* A run retires one instruction at clock c, so a timer expiry at c + 2 or
 * later cannot fire during it. */
#define CL_TIMER_AHEAD 2u
/* The word with only the sign bit set: a classic edge value. */
#define CL_SIGN_BIT 0x80000000u

enum { CL_SYS, CL_USER, CL_NMODES };
enum { CL_NBASES = 2 };

/* The port numbers of the machine: a uniform 16-bit immediate almost never
 * names a device, so operand draws use them as a dictionary. */
static const uint32_t cl_ports[] = {
#define CL_PORT(name, num, dir, what) PORT_##name,
	PG32_PORTS(CL_PORT)
#undef CL_PORT
};
#define CL_NPORTS (sizeof cl_ports / sizeof cl_ports[0])

/* Seeded generator: splitmix64 (Steele, Lea and Flood), one stream per
 * opcode, so that an opcode's findings do not depend on which other
 * opcodes ran before it.  The constants are the algorithm's. */
#define CL_RNG_GAMMA 0x9E3779B97F4A7C15ull
#define CL_RNG_MUL1  0xBF58476D1CE4E5B9ull
#define CL_RNG_MUL2  0x94D049BB133111EBull

struct cl_rng {
	uint64_t s;
};

/* The splitmix64 output function: a bijection that scrambles x. */
static uint64_t rng_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * CL_RNG_MUL1;
	x = (x ^ (x >> 27)) * CL_RNG_MUL2;
	return x ^ (x >> 31);
}

static uint64_t rng_next(struct cl_rng *g)
{
	return rng_mix(g->s += CL_RNG_GAMMA);
}

/* The stream of opcode op under seed: a scrambled start, so that the
 * streams of two opcodes do not overlap in practice. */
static struct cl_rng rng_stream(uint64_t seed, unsigned op)
{
	return (struct cl_rng){ .s = rng_mix(seed ^ rng_mix(op)) };
}

static uint32_t rng32(struct cl_rng *g)
{
	return (uint32_t)(rng_next(g) >> 32);
}

/* Uniform in [0, n), n > 0 (the modulo bias is negligible for our n). */
static uint32_t rng_below(struct cl_rng *g, uint32_t n)
{
	assert(n > 0);
	return (uint32_t)(rng_next(g) % n);
}

/* One random state S of the machine (see the top of the file). */
struct cl_state {
	uint32_t r[ISA_NREGS];
	uint32_t pc;
	uint32_t status;       /* IE and flags; the mode is set per run */
	uint32_t bound;
	uint32_t base[CL_NBASES];
	uint64_t clock;
	uint32_t insn;         /* the word at pc */
	uint8_t phys[CL_MEM_SIZE];     /* physical memory outside the window */
	uint8_t window[CL_BOUND_MAX];  /* the window's bytes, virtual 0..bound */
	uint8_t input[CL_INPUT_BYTES];
	struct dev_bus bus;    /* device state; console_out set per run */
};

/* One execution of S, in one mode at one base. */
struct cl_run {
	bool sys;              /* started in system mode */
	uint32_t base0;        /* the base it started at */
	bool trapped;          /* the instruction faulted or trapped */
	uint32_t cause;        /* TRAP_* when trapped */
	struct cpu cpu;        /* the state after */
	struct dev_bus bus;
	size_t out_len;        /* console bytes written */
	uint8_t out_byte;      /* the first of them */
	bool outside_changed;  /* physical memory outside window and trap area */
	uint8_t mem[CL_MEM_SIZE];
};

/* The classifier's working set: one state and its four runs, and the
 * console, captured in memory so that output is part of the device state. */
struct cl_ctx {
	isa_variant variant;
	struct cl_state st;
	struct cl_run run[CL_NMODES][CL_NBASES];
	FILE *console;
	char *out_buf;
	size_t out_size;
};

/* ---- drawing a state ----------------------------------------------------- */

/* A register value: uniform, an address in the window (aligned or not),
 * or an edge value (small, a port number, all ones, the sign bit). */
static uint32_t gen_value(struct cl_rng *g, uint32_t limit)
{
	switch (rng_below(g, 4)) {
	case 0: return rng32(g);
	case 1: return rng_below(g, limit) & ~(ISA_WORD_BYTES - 1);
	case 2: return rng_below(g, limit);
	default:
		switch (rng_below(g, 4)) {
		case 0: return rng_below(g, CL_SMALL);
		case 1: return cl_ports[rng_below(g, CL_NPORTS)];
		case 2: return UINT32_MAX;
		default: return CL_SIGN_BIT;
		}
	}
}

/* An immediate in [lo, hi]: in eighths, uniform (1), small (1), small
 * negative or a small multiple of the word size when unsigned (1), or a
 * port number (5: a port whose effect shows only for one number, like the
 * console input, must come up often enough in a few hundred draws). */
static int32_t gen_imm(struct cl_rng *g, int32_t lo, int32_t hi)
{
	int64_t v;
	switch (rng_below(g, 8)) {
	case 0: v = (int64_t)lo + rng_below(g, (uint32_t)((int64_t)hi - lo + 1)); break;
	case 1: v = rng_below(g, CL_SMALL); break;
	case 2:
		v = lo < 0 ? -(int64_t)rng_below(g, CL_SMALL) - 1
		           : (int64_t)rng_below(g, CL_SMALL) * ISA_WORD_BYTES;
		break;
	default: v = cl_ports[rng_below(g, CL_NPORTS)]; break;
	}
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return (int32_t)v;
}

/* A random valid encoding of op: random register fields, an immediate in
 * the format's range, encoded by the table's encoder. */
static uint32_t gen_insn(struct cl_rng *g, unsigned op)
{
	const struct isa_opinfo *info = isa_info(op);
	struct isa_insn in = {
		.op = (enum isa_opcode)op,
		.rd = (uint8_t)rng_below(g, ISA_NREGS),
		.rs = (uint8_t)rng_below(g, ISA_NREGS),
		.rt = (uint8_t)rng_below(g, ISA_NREGS),
	};
	int32_t lo, hi;
	if (isa_imm_range(info->format, &lo, &hi))
		in.imm = gen_imm(g, lo, hi);
	uint32_t w = 0;
	int err = isa_encode(&in, &w, NULL, 0);
	assert(err == 0);
	(void)err;
	return w;
}

static void gen_state(struct cl_rng *g, unsigned op, struct cl_state *st)
{
	st->bound = CL_BOUND_MIN + rng_below(g, CL_BOUND_MAX - CL_BOUND_MIN + 1);
	/* Two different word-aligned bases in [trap area end, mem - bound]. */
	uint32_t slots = (CL_MEM_SIZE - st->bound - PG32_TRAP_AREA_END) / ISA_WORD_BYTES + 1;
	uint32_t s0 = rng_below(g, slots);
	uint32_t s1 = (s0 + 1 + rng_below(g, slots - 1)) % slots;
	st->base[0] = PG32_TRAP_AREA_END + s0 * ISA_WORD_BYTES;
	st->base[1] = PG32_TRAP_AREA_END + s1 * ISA_WORD_BYTES;

	for (unsigned i = 0; i < ISA_NREGS; i++)
		st->r[i] = gen_value(g, st->bound);
	st->status = rng32(g) & (PSW_IE | PSW_FLAGS);
	st->clock = rng32(g);
	st->pc = rng_below(g, st->bound / ISA_WORD_BYTES) * ISA_WORD_BYTES;
	for (uint32_t i = 0; i < CL_MEM_SIZE; i++)
		st->phys[i] = (uint8_t)rng_next(g);
	for (uint32_t i = 0; i < st->bound; i++)
		st->window[i] = (uint8_t)rng_next(g);
	st->insn = gen_insn(g, op);
	pg32_store32(st->window + st->pc, st->insn);

	/* Devices: console input part read, timer running or stopped (never
	 * due during the run), disk registers random, no transfer in flight. */
	struct dev_bus *b = &st->bus;
	dev_init(b, NULL);
	for (unsigned i = 0; i < CL_INPUT_BYTES; i++)
		st->input[i] = (uint8_t)rng_next(g);
	dev_set_input(b, st->input, CL_INPUT_BYTES);
	b->input_pos = rng_below(g, CL_INPUT_BYTES + 1);
	b->input_eof = b->input_pos >= b->input_len;
	if (rng_below(g, 2)) {
		b->timer_period = 1 + rng_below(g, CL_TIMER_PERIOD_MAX);
		b->timer_next = st->clock + CL_TIMER_AHEAD + rng_below(g, b->timer_period);
	}
	static const uint32_t disk_states[] = { DISK_STATUS_IDLE, DISK_STATUS_DONE,
	                                        DISK_STATUS_ERROR };
	static const uint32_t disk_cmds[] = { 0, DISK_CMD_READ, DISK_CMD_WRITE };
	b->disk_sector = gen_value(g, st->bound);
	b->disk_addr = gen_value(g, CL_MEM_SIZE);
	b->disk_count = gen_value(g, st->bound);
	b->disk_status = disk_states[rng_below(g, sizeof disk_states / sizeof disk_states[0])];
	b->disk_cmd = disk_cmds[rng_below(g, sizeof disk_cmds / sizeof disk_cmds[0])];
	b->xfer_sector = b->disk_sector;
	b->xfer_addr = b->disk_addr;
	b->xfer_count = b->disk_count;
}

/* ---- running ------------------------------------------------------------- */

static bool data_fault(const struct cl_run *r)
{
	return r->trapped && (r->cause == TRAP_MEMORY || r->cause == TRAP_ALIGN ||
	                      r->cause == TRAP_DIVIDE || r->cause == TRAP_ILLEGAL);
}

/* Did anything in physical memory outside the window and the trap area
 * change? */
static bool outside_changed(const struct cl_state *st, const struct cl_run *r)
{
	uint32_t lo = r->base0, hi = r->base0 + st->bound;
	return memcmp(r->mem + PG32_TRAP_AREA_END, st->phys + PG32_TRAP_AREA_END,
	              lo - PG32_TRAP_AREA_END) != 0 ||
	       memcmp(r->mem + hi, st->phys + hi, CL_MEM_SIZE - hi) != 0;
}

static void run_one(struct cl_ctx *cx, bool sys, unsigned b, struct cl_run *r)
{
	const struct cl_state *st = &cx->st;
	r->sys = sys;
	r->base0 = st->base[b];
	memcpy(r->mem, st->phys, CL_MEM_SIZE);
	memcpy(r->mem + r->base0, st->window, st->bound);
	r->bus = st->bus;
	r->bus.console_out = cx->console;
	rewind(cx->console);
	fflush(cx->console);

	struct cpu *c = &r->cpu;
	c->bus = &r->bus;
	cpu_reset(c, r->mem, CL_MEM_SIZE, cx->variant, st->pc);
	memcpy(c->r, st->r, sizeof c->r);
	c->status = st->status | (sys ? PSW_S : 0);
	c->base = r->base0;
	c->bound = st->bound;
	c->clock = st->clock;

	struct cpu_exit ex = cpu_run(c, 1);
	/* An interrupt taken after the instruction retired is not the
	 * instruction's trap: its effect (the request taken) stays in the state. */
	r->trapped = ex.stop == CPU_STOP_TRAP && !pg32_trap_is_interrupt(ex.trap.cause);
	r->cause = r->trapped ? ex.trap.cause : TRAP_NONE;
	fflush(cx->console);
	r->out_len = cx->out_size;
	r->out_byte = cx->out_size ? (uint8_t)cx->out_buf[0] : 0;
	r->outside_changed = outside_changed(st, r);
}

/* ---- comparing ----------------------------------------------------------- */

/* The first difference between two device states, by device, or NULL. */
static const char *bus_diff(const struct dev_bus *a, const struct dev_bus *b)
{
	if (a->input_pos != b->input_pos || a->input_eof != b->input_eof)
		return "console input";
	if (a->timer_period != b->timer_period || a->timer_next != b->timer_next)
		return "timer";
	if (a->disk_sector != b->disk_sector || a->disk_addr != b->disk_addr ||
	    a->disk_count != b->disk_count || a->disk_status != b->disk_status ||
	    a->disk_cmd != b->disk_cmd || a->xfer_sector != b->xfer_sector ||
	    a->xfer_addr != b->xfer_addr || a->xfer_count != b->xfer_count ||
	    a->disk_done_at != b->disk_done_at)
		return "disk";
	if (a->powered_off != b->powered_off || a->exit_code != b->exit_code)
		return "power";
	return NULL;
}

/* What a run that did not trap changed of the control state -- M, R, IE,
 * the waiting state, a device (console output included), the trap words --
 * or NULL. */
static const char *control_change(const struct cl_state *st, const struct cl_run *r)
{
	const struct cpu *c = &r->cpu;
	uint32_t before = st->status | (r->sys ? PSW_S : 0);
	if ((c->status ^ before) & PSW_S)
		return "M";
	if (c->base != r->base0 || c->bound != st->bound)
		return "R";
	if ((c->status ^ before) & PSW_IE)
		return "IE";
	if (c->waiting)
		return "waiting state";
	if (r->out_len)
		return "console output";
	if (c->irq_pending)
		return "interrupt request";
	const char *d = bus_diff(&st->bus, &r->bus);
	if (d)
		return d;
	if (memcmp(r->mem, st->phys, PG32_TRAP_AREA_END) != 0)
		return "trap words";
	return NULL;
}

/* The first difference between the results of two runs of the same state
 * (at two bases, or in two modes), or NULL.  Memory is compared through
 * each run's window, so relocation itself is no difference; R is equal
 * when neither run changed it or both set the same value; status bits
 * outside status_mask are not compared. */
static const char *result_diff(const struct cl_state *st, const struct cl_run *a,
                               const struct cl_run *b, uint32_t status_mask)
{
	const struct cpu *ca = &a->cpu, *cb = &b->cpu;
	for (unsigned i = 0; i < ISA_NREGS; i++)
		if (ca->r[i] != cb->r[i])
			return isa_reg_name(i);
	if (ca->pc != cb->pc)
		return "pc";
	uint32_t ds = (ca->status ^ cb->status) & status_mask;
	if (ds & PSW_S)
		return "M";
	if (ds & PSW_IE)
		return "IE";
	if (ds)
		return "flags";
	bool a_kept = ca->base == a->base0 && ca->bound == st->bound;
	bool b_kept = cb->base == b->base0 && cb->bound == st->bound;
	if (!(a_kept && b_kept) && (ca->base != cb->base || ca->bound != cb->bound))
		return "R";
	if (ca->waiting != cb->waiting)
		return "waiting state";
	if (ca->irq_pending != cb->irq_pending)
		return "interrupt request";
	if (ca->clock != cb->clock)
		return "clock";
	if (a->out_len != b->out_len || a->out_byte != b->out_byte)
		return "console output";
	const char *d = bus_diff(&a->bus, &b->bus);
	if (d)
		return d;
	if (memcmp(a->mem, b->mem, PG32_TRAP_AREA_END) != 0)
		return "trap words";
	if (memcmp(a->mem + a->base0, b->mem + b->base0, st->bound) != 0)
		return "memory";
	if (a->outside_changed != b->outside_changed)
		return "memory outside the window";
	return NULL;
}

static void see(struct classify_finding *f, enum classify_prop p, uint32_t insn,
                const char *what, uint32_t base_a, uint32_t base_b)
{
	if (f->seen[p])
		return; /* keep the first witness */
	f->seen[p] = true;
	f->witness[p] = (struct classify_witness){ .insn = insn, .what = what,
	                                           .base_a = base_a, .base_b = base_b };
}

/* One sample: draw, run four times, record what the runs showed. */
static void sample(struct cl_ctx *cx, struct cl_rng *g, unsigned op, struct classify_finding *f)
{
	struct cl_state *st = &cx->st;
	gen_state(g, op, st);
	for (unsigned m = 0; m < CL_NMODES; m++)
		for (unsigned b = 0; b < CL_NBASES; b++)
			run_one(cx, m == CL_SYS, b, &cx->run[m][b]);
	f->samples++;

	/* Privilege: who traps, at the first base, when nothing data-faults. */
	const struct cl_run *sys0 = &cx->run[CL_SYS][0], *user0 = &cx->run[CL_USER][0];
	if (!data_fault(sys0) && !data_fault(user0)) {
		f->kept++;
		f->user_priv += user0->trapped && user0->cause == TRAP_PRIV;
		f->sys_traps += sys0->trapped;
		f->user_traps += user0->trapped;
	}

	/* Control: each run that did not trap, against the state it began in. */
	for (unsigned m = 0; m < CL_NMODES; m++)
		for (unsigned b = 0; b < CL_NBASES; b++) {
			const struct cl_run *r = &cx->run[m][b];
			const char *what = r->trapped ? NULL : control_change(st, r);
			if (what)
				see(f, m == CL_SYS ? CLASSIFY_CONTROL_SYS : CLASSIFY_CONTROL_USER,
				    st->insn, what, r->base0, r->base0);
		}

	/* Location: the same state at the two bases, per mode. */
	for (unsigned m = 0; m < CL_NMODES; m++) {
		const struct cl_run *a = &cx->run[m][0], *b = &cx->run[m][1];
		const char *what =
			a->trapped || b->trapped ? NULL : result_diff(st, a, b, PSW_VALID);
		if (what)
			see(f, m == CL_SYS ? CLASSIFY_LOCATION_SYS : CLASSIFY_LOCATION_USER, st->insn,
			    what, a->base0, b->base0);
	}

	/* Mode: the same state in the two modes, at each base; the mode bit
	 * itself is not compared. */
	for (unsigned b = 0; b < CL_NBASES; b++) {
		const struct cl_run *s = &cx->run[CL_SYS][b], *u = &cx->run[CL_USER][b];
		if (s->trapped || u->trapped)
			continue;
		f->mode_observable = true;
		const char *what = result_diff(st, s, u, PSW_VALID & ~PSW_S);
		if (what)
			see(f, CLASSIFY_MODE, st->insn, what, s->base0, u->base0);
	}
}

int classify_run(isa_variant v, unsigned samples, uint64_t seed, struct classify_result *out,
                 char *msg, size_t msglen)
{
	if (samples == 0 || samples > CLASSIFY_SAMPLES_MAX) {
		snprintf(msg, msglen, "sample count %u out of range 1..%u", samples,
		         CLASSIFY_SAMPLES_MAX);
		return PG32_EARG;
	}
	struct cl_ctx *cx = calloc(1, sizeof *cx);
	if (!cx) {
		snprintf(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	cx->variant = v & isa_variant_all_ill();
	cx->console = open_memstream(&cx->out_buf, &cx->out_size);
	if (!cx->console) {
		snprintf(msg, msglen, "cannot capture console output");
		free(cx);
		return PG32_EIO;
	}

	memset(out, 0, sizeof *out);
	out->variant = cx->variant;
	out->samples = samples;
	out->seed = seed;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		struct classify_finding *f = &out->op[op];
		struct cl_rng g = rng_stream(seed, op);
		f->op = op;
		for (unsigned i = 0; i < samples; i++)
			sample(cx, &g, op, f);
		f->privileged = f->kept > 0 && f->user_priv == f->kept && f->sys_traps == 0;
		f->always_traps = f->kept > 0 && f->sys_traps == f->kept && f->user_traps == f->kept;
	}
	fclose(cx->console);
	free(cx->out_buf);
	free(cx);
	return 0;
}

/* ---- classes and verdict ------------------------------------------------- */

bool classify_sensitive(const struct classify_finding *f)
{
	for (unsigned p = 0; p < CLASSIFY_NPROPS; p++)
		if (f->seen[p])
			return true;
	return false;
}

bool classify_user_sensitive(const struct classify_finding *f)
{
	return f->seen[CLASSIFY_CONTROL_USER] || f->seen[CLASSIFY_LOCATION_USER];
}

bool classify_critical(const struct classify_finding *f)
{
	return classify_sensitive(f) && !f->privileged;
}

enum classify_class classify_class_of(const struct classify_finding *f)
{
	if (f->kept == 0)
		return CLASSIFY_UNDETERMINED;
	if (f->always_traps)
		return CLASSIFY_TRAPS;
	if (f->privileged)
		return CLASSIFY_PRIVILEGED;
	if (classify_sensitive(f))
		return CLASSIFY_CRITICAL;
	return CLASSIFY_INNOCUOUS;
}

enum classify_class classify_declared_class(isa_variant v, unsigned op)
{
	const struct isa_opinfo *info = isa_info(op);
	if (!info)
		return CLASSIFY_UNDETERMINED;
	if (info->flags & ISA_F_TRAPS)
		return CLASSIFY_TRAPS;
	if ((info->flags & ISA_F_PRIV) && isa_traps_in_user(v & isa_variant_all_ill(), op))
		return CLASSIFY_PRIVILEGED;
	if (info->flags & ISA_F_SENSITIVE)
		return CLASSIFY_CRITICAL;
	return CLASSIFY_INNOCUOUS;
}

enum classify_verdict classify_verdict(const struct classify_result *r)
{
	bool thm1 = true, thm3 = true;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		if (!classify_critical(f))
			continue;
		thm1 = false;
		if (classify_user_sensitive(f))
			thm3 = false;
	}
	return thm1 ? CLASSIFY_VIRTUALIZABLE : thm3 ? CLASSIFY_HYBRID_ONLY : CLASSIFY_NEITHER;
}

const char *classify_class_name(enum classify_class c)
{
	switch (c) {
	case CLASSIFY_INNOCUOUS: return "innocuous";
	case CLASSIFY_PRIVILEGED: return "privileged";
	case CLASSIFY_CRITICAL: return "critical";
	case CLASSIFY_TRAPS: return "traps";
	case CLASSIFY_UNDETERMINED: break;
	}
	return "undetermined";
}

const char *classify_verdict_name(enum classify_verdict v)
{
	switch (v) {
	case CLASSIFY_VIRTUALIZABLE: return "virtualizable";
	case CLASSIFY_HYBRID_ONLY: return "hybrid-virtualizable only";
	case CLASSIFY_NEITHER: break;
	}
	return "neither";
}

const char *classify_prop_name(enum classify_prop p)
{
	switch (p) {
	case CLASSIFY_CONTROL_SYS: return "control-sensitive in system mode";
	case CLASSIFY_CONTROL_USER: return "control-sensitive in user mode";
	case CLASSIFY_LOCATION_SYS: return "location-sensitive in system mode";
	case CLASSIFY_LOCATION_USER: return "location-sensitive in user mode";
	case CLASSIFY_MODE: return "mode-sensitive";
	case CLASSIFY_NPROPS: break;
	}
	return "?";
}

/* ---- printing ------------------------------------------------------------ */

/* "sys", "user", "sys+user" or "-" for a pair of per-mode findings. */
static const char *modes_text(bool sys, bool user)
{
	return sys && user ? "sys+user" : sys ? "sys" : user ? "user" : "-";
}

void classify_print_table(FILE *out, const struct classify_result *r)
{
	char vtext[128];
	isa_variant_format(r->variant, vtext, sizeof vtext);
	fprintf(out, "ISA variant %s: %u random states per instruction, seed %" PRIu64 "\n\n",
	        vtext, r->samples, r->seed);
	fprintf(out, "%-7s %6s  %-4s  %-9s %-9s %-4s  %-12s %s\n", "instr", "kept", "priv",
	        "control", "location", "mode", "class", "declared");
	bool any_diff = false;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		enum classify_class found = classify_class_of(f);
		enum classify_class declared = classify_declared_class(r->variant, op);
		bool differ = found != declared;
		any_diff |= differ;
		/* A privileged instruction traps in user mode: its mode-sensitivity
		 * cannot be seen by running it ("n/o": not observable). */
		const char *mode = !f->mode_observable ? "n/o" : f->seen[CLASSIFY_MODE] ? "yes" : "-";
		fprintf(out, "%-7s %6u  %-4s  %-9s %-9s %-4s  %-12s %s%s\n", isa_info(op)->mnemonic,
		        f->kept, f->privileged ? "yes" : "no",
		        modes_text(f->seen[CLASSIFY_CONTROL_SYS], f->seen[CLASSIFY_CONTROL_USER]),
		        modes_text(f->seen[CLASSIFY_LOCATION_SYS], f->seen[CLASSIFY_LOCATION_USER]),
		        mode, classify_class_name(found), classify_class_name(declared),
		        differ ? "  *" : "");
	}
	fprintf(out, "\nkept: states without a data fault in either mode; n/o: not observable "
	             "(traps in user mode)\n");
	if (any_diff)
		fprintf(out, "*: the class found differs from the one the table declares\n");
}

/* "srr r3, r7: r3 differs between base 0x40 and 0x2c0" and the like. */
static void print_witness(FILE *out, enum classify_prop p, const struct classify_witness *w)
{
	char text[96];
	isa_disasm(w->insn, 0, NULL, NULL, text, sizeof text);
	switch (p) {
	case CLASSIFY_CONTROL_SYS:
	case CLASSIFY_CONTROL_USER:
		fprintf(out, "`%s` changes %s", text, w->what);
		break;
	case CLASSIFY_LOCATION_SYS:
	case CLASSIFY_LOCATION_USER:
		fprintf(out, "`%s`: %s differs between base 0x%x and 0x%x", text, w->what,
		        w->base_a, w->base_b);
		break;
	case CLASSIFY_MODE:
		fprintf(out, "`%s`: %s differs between system and user mode", text, w->what);
		break;
	case CLASSIFY_NPROPS: break;
	}
}

void classify_print_witnesses(FILE *out, const struct classify_result *r)
{
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		for (unsigned p = 0; p < CLASSIFY_NPROPS; p++) {
			if (!f->seen[p])
				continue;
			fprintf(out, "%-6s %s: ", isa_info(op)->mnemonic,
			        classify_prop_name((enum classify_prop)p));
			print_witness(out, (enum classify_prop)p, &f->witness[p]);
			fputc('\n', out);
		}
	}
}

void classify_print_verdict(FILE *out, const struct classify_result *r)
{
	unsigned ncrit = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		if (!classify_critical(f))
			continue;
		if (ncrit++ == 0)
			fprintf(out, "critical instructions (sensitive, not privileged):\n");
		fprintf(out, "  %-6s breaks Theorem 1%s\n", isa_info(op)->mnemonic,
		        classify_user_sensitive(f) ? " and Theorem 3 (user-sensitive)"
		                                   : " only (not user-sensitive)");
		for (unsigned p = 0; p < CLASSIFY_NPROPS; p++) {
			if (!f->seen[p])
				continue;
			fprintf(out, "         %s: ", classify_prop_name((enum classify_prop)p));
			print_witness(out, (enum classify_prop)p, &f->witness[p]);
			fputc('\n', out);
		}
	}
	enum classify_verdict v = classify_verdict(r);
	fprintf(out, "Theorem 1 (every sensitive instruction is privileged): %s\n",
	        v == CLASSIFY_VIRTUALIZABLE ? "holds" : "fails");
	fprintf(out, "Theorem 3 (every user-sensitive instruction is privileged): %s\n",
	        v == CLASSIFY_NEITHER ? "fails" : "holds");
	fprintf(out, "verdict: %s\n", classify_verdict_name(v));
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

void classify_print_json(FILE *out, const struct classify_result *r)
{
	char vtext[128];
	isa_variant_format(r->variant, vtext, sizeof vtext);
	fprintf(out, "{\n  \"variant\": \"%s\",\n  \"samples\": %u,\n  \"seed\": %" PRIu64 ",\n",
	        vtext, r->samples, r->seed);
	fprintf(out, "  \"instructions\": [\n");
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		fprintf(out,
		        "    {\"mnemonic\": \"%s\", \"kept\": %u, \"privileged\": %s, "
		        "\"always_traps\": %s, \"control_system\": %s, \"control_user\": %s, "
		        "\"location_system\": %s, \"location_user\": %s, \"mode\": %s, "
		        "\"user_sensitive\": %s, \"class\": \"%s\", \"declared\": \"%s\"}%s\n",
		        isa_info(op)->mnemonic, f->kept, json_bool(f->privileged),
		        json_bool(f->always_traps), json_bool(f->seen[CLASSIFY_CONTROL_SYS]),
		        json_bool(f->seen[CLASSIFY_CONTROL_USER]),
		        json_bool(f->seen[CLASSIFY_LOCATION_SYS]),
		        json_bool(f->seen[CLASSIFY_LOCATION_USER]),
		        f->mode_observable ? json_bool(f->seen[CLASSIFY_MODE]) : "null",
		        json_bool(classify_user_sensitive(f)),
		        classify_class_name(classify_class_of(f)),
		        classify_class_name(classify_declared_class(r->variant, op)),
		        op + 1 < ISA_NOPS ? "," : "");
	}
	fprintf(out, "  ],\n  \"critical\": [");
	const char *sep = "";
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		if (!classify_critical(f))
			continue;
		fprintf(out, "%s{\"mnemonic\": \"%s\", \"breaks_theorem_3\": %s}", sep,
		        isa_info(op)->mnemonic, json_bool(classify_user_sensitive(f)));
		sep = ", ";
	}
	fprintf(out, "],\n  \"verdict\": \"%s\"\n}\n", classify_verdict_name(classify_verdict(r)));
}
