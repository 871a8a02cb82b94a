/*
 * dbg.c -- the debugger's core: a session over a monitor and its guests.
 *
 * Run control, breakpoints, the trap log and reverse execution by replay;
 * see dbg.h for the ideas (positions, stopping by the guest's limit,
 * watchpoints by single-stepping).  No terminal code: the output of the
 * inspection functions goes into a struct dbg_text.
 *
 * The one primitive is run_guest(): run one guest until its clock reaches a
 * target, or until the on_event listener asks it to stop after a trap.
 * A single step is run_guest() to clock + 1 with every trap stopping it; a
 * stretch of a continue is run_guest() to the next snapshot's clock.  Both
 * go through the same code of the dispatcher, so a replay from a snapshot
 * passes through exactly the states the first run stopped at.
 */
#include "dbg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- text --------------------------------------------------------------- */

void dbg_text_printf(struct dbg_text *t, const char *fmt, ...)
{
	if (t->cut)
		return;
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > DBG_OUT_MAX) {
		t->cut = true;
		return;
	}
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *s = realloc(t->s, cap);
		if (!s) {
			t->cut = true;
			return;
		}
		t->s = s;
		t->cap = cap;
	}
	if ((size_t)n < sizeof small) {
		memcpy(t->s + t->len, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

void dbg_text_clear(struct dbg_text *t)
{
	t->len = 0;
	t->cut = false;
	if (t->s)
		t->s[0] = '\0';
}

void dbg_text_free(struct dbg_text *t)
{
	free(t->s);
	memset(t, 0, sizeof *t);
}

int dbg_pos_cmp(struct dbg_pos a, struct dbg_pos b)
{
	if (a.clock != b.clock)
		return a.clock < b.clock ? -1 : 1;
	if (a.faults != b.faults)
		return a.faults < b.faults ? -1 : 1;
	return 0;
}

struct dbg_pos dbg_pos_of(const struct dbg *d, unsigned gi)
{
	const struct dbg_guest *dg = &d->guests[gi];
	return (struct dbg_pos){ dg->g->vm.clock, dg->faults };
}

/* ---- the trap log and the event listener -------------------------------- */

static bool retires(uint32_t cause)
{
	return cause == TRAP_SVC || cause == TRAP_BRK || cause == TRAP_HCALL;
}

static void request_stop(struct dbg *d, struct dbg_guest *dg)
{
	d->stop_requested = true;
	dg->g->limit = dg->g->vm.clock;
}

static void log_append(struct dbg *d, const struct dbg_trap *t)
{
	if (d->nlog == DBG_LOG_MAX) {
		/* Drop the older half at once: amortized O(1). */
		unsigned keep = DBG_LOG_MAX / 2;
		memmove(d->log, d->log + (d->nlog - keep), keep * sizeof *d->log);
		d->nlog = keep;
	}
	d->log[d->nlog++] = *t;
}

static bool catch_matches(const struct dbg *d, unsigned gi, const struct vmm_event *e,
                          unsigned *id)
{
	for (unsigned i = 0; i < d->nbreaks; i++) {
		const struct dbg_break *b = &d->breaks[i];
		if (b->guest >= 0 && (unsigned)b->guest != gi)
			continue;
		if ((b->kind == DBG_BREAK_CAUSE && b->what == e->trap.cause) ||
		    (b->kind == DBG_BREAK_ACTION && b->what == (unsigned)e->action)) {
			*id = b->id;
			return true;
		}
	}
	return false;
}

static void on_event(void *ctx, const struct vmm_event *e)
{
	struct dbg *d = ctx;
	unsigned gi = e->g->id;
	if (gi >= d->nguests)
		return;
	struct dbg_guest *dg = &d->guests[gi];
	bool retired_insn = e->action == VMM_ACT_EMULATED || e->action == VMM_ACT_DEVICE ||
	                    e->action == VMM_ACT_REWRITTEN || e->action == VMM_ACT_INTERPRETED;
	if (!retired_insn && !retires(e->trap.cause))
		dg->faults++;
	if ((unsigned)e->action < VMM_NACTIONS)
		dg->counts[e->action]++;
	struct dbg_pos pos = dbg_pos_of(d, gi);
	/* A replay passes through traps already logged: log each once. */
	if (!dg->any_logged || dbg_pos_cmp(pos, dg->logged) > 0) {
		struct dbg_trap t = {
			.seq = ++d->log_seq, .guest = gi, .clock = e->clock, .pos = pos,
			.trap = e->trap, .action = e->action, .before = e->before,
			.after = vmm_guest_vpsw(e->g),
		};
		t.insn = e->trap.insn;
		t.hardware = d->bare;
		const struct vmm_rewrite *rw = e->g->rw;
		uint32_t pi = t.insn & VMM_PATCH_INDEX_MAX;
		if (rw && t.insn == VMM_PATCH_WORD(pi) && pi < rw->npatch)
			t.insn = rw->patch[pi].original;
		t.rd_after = e->g->vm.r[ISA_WORD_RD(t.insn)];
		log_append(d, &t);
		dg->logged = pos;
		dg->any_logged = true;
	}
	if (d->stop_on_event)
		request_stop(d, dg);
	unsigned id;
	if (d->check_catch && catch_matches(d, gi, e, &id)) {
		if (d->record_catch) {
			if (d->nhits == d->hits_cap) {
				unsigned cap = d->hits_cap ? 2 * d->hits_cap : 64;
				struct dbg_pos *h = realloc(d->hits, cap * sizeof *h);
				if (!h)
					return;
				d->hits = h;
				d->hits_cap = cap;
			}
			d->hits[d->nhits++] = pos;
		} else {
			request_stop(d, dg);
			d->stop = DBG_STOP_CAUGHT;
			d->stop_break = id;
			for (unsigned i = 0; i < d->nbreaks; i++)
				if (d->breaks[i].id == id)
					d->breaks[i].hits++;
			char sum[96];
			const struct dbg_trap *last = d->nlog ? &d->log[d->nlog - 1] : NULL;
			if (last && last->guest == gi)
				dbg_trap_summary(last, sum, sizeof sum);
			else
				snprintf(sum, sizeof sum, "%s", vmm_action_name(e->action));
			snprintf(d->stop_text, sizeof d->stop_text,
			         "Catchpoint %u: guest %u (%s): trap %s at 0x%08x, %s", id, gi,
			         e->g->name, pg32_trap_name(e->trap.cause), e->trap.insn_pc, sum);
		}
	}
}

/* Drop the log entries of guest gi after position p (after going back). */
static void log_cut(struct dbg *d, unsigned gi, struct dbg_pos p)
{
	unsigned w = 0;
	for (unsigned i = 0; i < d->nlog; i++)
		if (d->log[i].guest != gi || dbg_pos_cmp(d->log[i].pos, p) <= 0)
			d->log[w++] = d->log[i];
	d->nlog = w;
	struct dbg_guest *dg = &d->guests[gi];
	if (dg->any_logged && dbg_pos_cmp(dg->logged, p) > 0)
		dg->logged = p;
}

const struct dbg_trap *dbg_trap_by_seq(const struct dbg *d, unsigned seq)
{
	for (unsigned i = d->nlog; i-- > 0;)
		if (d->log[i].seq == seq)
			return &d->log[i];
	return NULL;
}

/* ---- snapshots ----------------------------------------------------------- */

static void snap_free(struct dbg_snap *s)
{
	vmm_guest_snapshot_free(&s->s);
}

static int snap_take(struct dbg_guest *dg, struct dbg_snap *s)
{
	if (vmm_guest_snapshot_take(dg->g, &s->s) != 0)
		return PG32_ENOMEM;
	s->faults = dg->faults;
	memcpy(s->counts, dg->counts, sizeof s->counts);
	if (dg->g->vm.bus)
		s->bus = *dg->g->vm.bus;
	return 0;
}

static bool snap_restore(struct dbg_guest *dg, const struct dbg_snap *s)
{
	if (vmm_guest_snapshot_restore(dg->g, &s->s) != 0)
		return false; /* out of memory: the guest is unchanged */
	dg->faults = s->faults;
	memcpy(dg->counts, s->counts, sizeof dg->counts);
	if (dg->g->vm.bus)
		*dg->g->vm.bus = s->bus; /* same streams, disk and input: plain values */
	return true;
}

static struct dbg_pos snap_pos(const struct dbg_snap *s)
{
	return (struct dbg_pos){ s->s.g.vm.clock, s->faults };
}

/* Drop every other snapshot of dg (the first stays) and double its
 * interval. */
static void snap_thin(struct dbg *d, struct dbg_guest *dg)
{
	unsigned w = 1;
	for (unsigned i = 1; i < dg->nsnaps; i++) {
		if (i % 2 == 0) {
			dg->snaps[w++] = dg->snaps[i];
		} else {
			d->snap_bytes -= vmm_guest_snapshot_bytes(&dg->snaps[i].s);
			snap_free(&dg->snaps[i]);
		}
	}
	dg->nsnaps = w;
	dg->interval *= 2;
}

/* Keep a snapshot of dg now if its clock is an interval past the newest.
 * When DBG_SNAP_MAX are kept, every other one goes (the first stays) and
 * the interval doubles: the snapshots of a run of N instructions stay at
 * most DBG_SNAP_MAX, spaced at most about 2N / DBG_SNAP_MAX apart.  The
 * same thinning happens when all guests' snapshots would pass
 * d->snap_budget bytes (many guests): replays get longer, memory does
 * not grow. */
static void snap_maybe(struct dbg *d, struct dbg_guest *dg)
{
	uint64_t clock = dg->g->vm.clock;
	if (dg->nsnaps && clock < dg->snaps[dg->nsnaps - 1].s.g.vm.clock + dg->interval)
		return;
	size_t need = sizeof(struct vmm_guest_snapshot) + dg->g->vm.mem_size;
	if (dg->nsnaps == DBG_SNAP_MAX ||
	    (dg->nsnaps > 1 && d->snap_bytes + need > d->snap_budget)) {
		snap_thin(d, dg);
		if (clock < dg->snaps[dg->nsnaps - 1].s.g.vm.clock + dg->interval)
			return;
	}
	if (dg->nsnaps && d->snap_bytes + need > d->snap_budget) {
		dg->interval *= 2; /* no room: only the first snapshot stays */
		return;
	}
	if (snap_take(dg, &dg->snaps[dg->nsnaps]) == 0)
		d->snap_bytes += vmm_guest_snapshot_bytes(&dg->snaps[dg->nsnaps++].s);
}

/* The clock at which the next snapshot is due. */
static uint64_t snap_next_clock(const struct dbg_guest *dg)
{
	if (!dg->nsnaps)
		return dg->g->vm.clock;
	return dg->snaps[dg->nsnaps - 1].s.g.vm.clock + dg->interval;
}

size_t dbg_snapshot_bytes(const struct dbg *d)
{
	size_t n = 0;
	for (unsigned i = 0; i < d->nguests; i++)
		for (unsigned j = 0; j < d->guests[i].nsnaps; j++)
			n += vmm_guest_snapshot_bytes(&d->guests[i].snaps[j].s);
	return n;
}

/* ---- the run primitive ------------------------------------------------- */

static bool running(const struct dbg_guest *dg)
{
	return dg->g->end == VMM_RUNNING;
}

/* --bare: bare_run (isa/bare.c) with the debugger's limit, every trap
 * delivered by the hardware and told to the listener as an event. */
static void run_bare(struct dbg *d, struct dbg_guest *dg)
{
	struct vmm_guest *g = dg->g;
	struct cpu *c = &g->vm;
	while (g->end == VMM_RUNNING) {
		if (c->clock >= g->limit) {
			if (c->clock >= dg->real_limit)
				g->end = VMM_LIMIT;
			return;
		}
		uint64_t c0 = c->clock;
		struct cpu_exit ex = cpu_run(c, g->limit - c->clock);
		g->stats.direct += c->clock - c0;
		switch (ex.stop) {
		case CPU_STOP_BUDGET: continue;
		case CPU_STOP_HALT: g->end = VMM_HALTED; return;
		case CPU_STOP_POWEROFF:
			g->end = VMM_POWEROFF;
			g->dev.exit_code = d->bus->exit_code;
			return;
		case CPU_STOP_TRAP: break;
		}
		/* bare_run's trap-loop rule */
		g->no_progress = c->clock == g->last_delivery ? g->no_progress + 1 : 0;
		g->last_delivery = c->clock;
		if (g->no_progress >= BARE_MAX_TRAPS_WITHOUT_PROGRESS) {
			g->end = VMM_TRAP_LOOP;
			return;
		}
		struct vmm_event e = { .g = g, .trap = ex.trap, .clock = c->clock,
		                       .before = vmm_guest_vpsw(g) };
		bool irq = pg32_trap_is_interrupt(ex.trap.cause);
		e.action = irq ? VMM_ACT_INTERRUPT : VMM_ACT_REFLECTED;
		if (ex.trap.cause < TRAP_NCAUSES)
			g->stats.traps[ex.trap.cause]++;
		if (irq)
			g->stats.interrupts++;
		else
			g->stats.reflected++;
		cpu_deliver_trap(c, &ex.trap);
		on_event(d, &e);
	}
}

/* Run dg until its clock reaches target, it ends, or the listener stops it
 * after a trap (every trap when step). */
static void run_guest(struct dbg *d, struct dbg_guest *dg, uint64_t target, bool step)
{
	struct vmm_guest *g = dg->g;
	if (!running(dg))
		return;
	if (d->bare) {
		d->stop_on_event = step;
		d->stop_requested = false;
		g->limit = target < dg->real_limit ? target : dg->real_limit;
		run_bare(d, dg);
		g->limit = dg->real_limit;
		d->stop_on_event = false;
		return;
	}
	d->stop_on_event = step;
	d->stop_requested = false;
	g->limit = target < dg->real_limit ? target : dg->real_limit;
	vmm_run_slice(d->v, g, UINT64_MAX);
	/* The lowered limit ended it: that is our stop, not the guest's end. */
	if (g->end == VMM_LIMIT && g->vm.clock < dg->real_limit)
		g->end = VMM_RUNNING;
	g->limit = dg->real_limit;
	d->stop_on_event = false;
}

static void step_once(struct dbg *d, struct dbg_guest *dg)
{
	run_guest(d, dg, dg->g->vm.clock + 1, true);
}

/* ---- breakpoints ---------------------------------------------------------- */

unsigned dbg_break_add(struct dbg *d, enum dbg_break_kind kind, int guest, uint32_t addr,
                       unsigned what, bool temporary)
{
	if (d->nbreaks == DBG_BREAK_MAX)
		return 0;
	struct dbg_break *b = &d->breaks[d->nbreaks++];
	*b = (struct dbg_break){ .id = ++d->next_break_id, .kind = kind, .guest = guest,
	                         .addr = addr, .what = what, .temporary = temporary };
	if (kind == DBG_WATCH_WRITE && guest >= 0 && (unsigned)guest < d->nguests) {
		uint8_t w[ISA_WORD_BYTES] = { 0 };
		dbg_read(d, (unsigned)guest, DBG_SPACE_PHYSICAL, addr, w, sizeof w);
		b->old = pg32_load32(w);
	}
	return b->id;
}

bool dbg_break_delete(struct dbg *d, unsigned id)
{
	if (id == 0) {
		d->nbreaks = 0;
		return true;
	}
	for (unsigned i = 0; i < d->nbreaks; i++) {
		if (d->breaks[i].id == id) {
			memmove(&d->breaks[i], &d->breaks[i + 1], (d->nbreaks - i - 1) * sizeof d->breaks[i]);
			d->nbreaks--;
			return true;
		}
	}
	return false;
}

bool dbg_break_at(const struct dbg *d, unsigned gi, uint32_t addr)
{
	for (unsigned i = 0; i < d->nbreaks; i++) {
		const struct dbg_break *b = &d->breaks[i];
		if (b->kind == DBG_BREAK_PC && b->addr == addr && (b->guest < 0 || (unsigned)b->guest == gi))
			return true;
	}
	return false;
}

/* Does guest gi need single steps (pc breakpoints or watchpoints)? */
static bool needs_steps(const struct dbg *d, unsigned gi)
{
	for (unsigned i = 0; i < d->nbreaks; i++) {
		const struct dbg_break *b = &d->breaks[i];
		if (b->kind != DBG_BREAK_CAUSE && b->kind != DBG_BREAK_ACTION &&
		    (b->guest < 0 || (unsigned)b->guest == gi))
			return true;
	}
	return false;
}

/* The word at virtual pc of guest gi, if it is inside its R. */
static bool fetch(const struct dbg *d, unsigned gi, uint32_t pc, uint32_t *w)
{
	uint8_t b[ISA_WORD_BYTES];
	if (dbg_read(d, gi, DBG_SPACE_VIRTUAL, pc, b, sizeof b) != sizeof b)
		return false;
	*w = pg32_load32(b);
	return true;
}

/* The guest-physical bytes [*lo, *hi) the instruction at pc will load, if
 * it is a load inside the guest's R. */
static bool load_extent(const struct dbg *d, unsigned gi, uint32_t *lo, uint32_t *hi)
{
	const struct cpu *vm = &d->guests[gi].g->vm;
	uint32_t w;
	struct isa_insn in;
	if (!fetch(d, gi, vm->pc, &w) || isa_decode(w, &in) != 0)
		return false;
	uint32_t n;
	uint32_t a = vm->r[in.rs] + (uint32_t)in.imm;
	switch (in.op) {
	case ISA_OP_LW: n = ISA_WORD_BYTES; break;
	case ISA_OP_LB: case ISA_OP_LBU: n = 1; break;
	case ISA_OP_LPSW: n = PSW_BYTES; a = vm->r[in.rd]; break;
	default: return false;
	}
	if (!cpu_access_ok(vm->base, vm->bound, vm->mem_size, a, n))
		return false;
	*lo = vm->base + a;
	*hi = *lo + n;
	return true;
}

/* One single step of guest gi with every breakpoint checked (a pc
 * breakpoint where the step starts does not stop it: the pc is checked
 * after the step).  Returns true when something stops the run; d->stop
 * says what. */
static bool step_checked(struct dbg *d, unsigned gi)
{
	struct dbg_guest *dg = &d->guests[gi];
	uint32_t rlo = 0, rhi = 0;
	bool loads = load_extent(d, gi, &rlo, &rhi);
	uint64_t clock0 = dg->g->vm.clock;
	uint32_t pc0 = dg->g->vm.pc;
	d->check_catch = true;
	d->record_catch = false;
	step_once(d, dg);
	d->check_catch = false;
	if (d->stop == DBG_STOP_CAUGHT)
		return true;
	bool retired = dg->g->vm.clock > clock0;
	for (unsigned i = 0; i < d->nbreaks; i++) {
		struct dbg_break *b = &d->breaks[i];
		if (b->guest >= 0 && (unsigned)b->guest != gi)
			continue;
		bool hit = false;
		if (b->kind == DBG_BREAK_PC) {
			hit = dg->g->vm.pc == b->addr && running(dg);
		} else if (b->kind == DBG_WATCH_WRITE || b->kind == DBG_WATCH_ACCESS) {
			uint8_t w[ISA_WORD_BYTES] = { 0 };
			dbg_read(d, gi, DBG_SPACE_PHYSICAL, b->addr, w, sizeof w);
			uint32_t now = pg32_load32(w);
			if (now != b->old) {
				hit = true;
				snprintf(d->stop_text, sizeof d->stop_text,
				         "Watchpoint %u: guest %u: physical 0x%08x written: 0x%08x -> 0x%08x",
				         b->id, gi, b->addr, b->old, now);
				b->old = now;
			}
		}
		if (!hit && (b->kind == DBG_WATCH_READ || b->kind == DBG_WATCH_ACCESS) && loads &&
		    retired && rlo < b->addr + ISA_WORD_BYTES && b->addr < rhi) {
			hit = true;
			snprintf(d->stop_text, sizeof d->stop_text,
			         "Watchpoint %u: guest %u: physical 0x%08x read by the load at 0x%08x", b->id,
			         gi, b->addr, pc0);
		}
		if (!hit)
			continue;
		b->hits++;
		d->stop_break = b->id;
		if (b->kind == DBG_BREAK_PC) {
			d->stop = DBG_STOP_BREAK;
			const char *sym = dbg_symbol_at(d, gi, b->addr);
			snprintf(d->stop_text, sizeof d->stop_text, "%s %u: guest %u (%s) at 0x%08x%s%s%s",
			         b->temporary ? "Temporary breakpoint" : "Breakpoint", b->id, gi,
			         dg->g->name, b->addr, sym ? " <" : "", sym ? sym : "", sym ? ">" : "");
			if (b->temporary)
				dbg_break_delete(d, b->id);
		} else {
			d->stop = DBG_STOP_WATCH;
		}
		return true;
	}
	return false;
}

/* ---- reports of a stop ---------------------------------------------------- */

static void stop_at(struct dbg *d, enum dbg_stop_kind k, unsigned gi)
{
	struct dbg_guest *dg = &d->guests[gi];
	d->stop = k;
	d->focus = gi;
	const char *sym = dbg_symbol_at(d, gi, dg->g->vm.pc);
	switch (k) {
	case DBG_STOP_ENDED:
		snprintf(d->stop_text, sizeof d->stop_text, "guest %u (%s) ended: %s after %llu instructions",
		         gi, dg->g->name, vmm_end_name(dg->g->end), (unsigned long long)dg->g->vm.clock);
		break;
	case DBG_STOP_ALL_ENDED:
		snprintf(d->stop_text, sizeof d->stop_text, "every guest has ended");
		break;
	case DBG_STOP_START:
		snprintf(d->stop_text, sizeof d->stop_text,
		         "guest %u (%s): at the start of its recorded run, pc 0x%08x", gi, dg->g->name,
		         dg->g->vm.pc);
		break;
	case DBG_STOP_INTERRUPTED:
		snprintf(d->stop_text, sizeof d->stop_text, "interrupted: guest %u at pc 0x%08x", gi,
		         dg->g->vm.pc);
		break;
	default:
		snprintf(d->stop_text, sizeof d->stop_text, "guest %u (%s) at 0x%08x%s%s%s, clock %llu",
		         gi, dg->g->name, dg->g->vm.pc, sym ? " <" : "", sym ? sym : "", sym ? ">" : "",
		         (unsigned long long)dg->g->vm.clock);
		break;
	}
}

static bool polled_stop(struct dbg *d)
{
	return d->poll && d->poll(d->poll_ctx);
}

/* ---- forward ------------------------------------------------------------ */

static void begin(struct dbg *d)
{
	d->stop = DBG_STOP_NONE;
	d->stop_text[0] = '\0';
	d->stop_requested = false;
}

enum dbg_stop_kind dbg_step(struct dbg *d, uint64_t n)
{
	begin(d);
	unsigned gi = d->focus;
	struct dbg_guest *dg = &d->guests[gi];
	for (uint64_t i = 0; i < n; i++) {
		if (!running(dg)) {
			stop_at(d, DBG_STOP_ENDED, gi);
			return d->stop;
		}
		bool hit = step_checked(d, gi);
		snap_maybe(d, dg);
		if (hit) {
			d->focus = gi;
			return d->stop;
		}
		if (i % DBG_POLL_EVERY == DBG_POLL_EVERY - 1 && polled_stop(d)) {
			stop_at(d, DBG_STOP_INTERRUPTED, gi);
			return d->stop;
		}
	}
	stop_at(d, running(dg) ? DBG_STOP_STEP : DBG_STOP_ENDED, gi);
	return d->stop;
}

/* Single-step the focused guest until done(ctx) holds after a step. */
static enum dbg_stop_kind step_until(struct dbg *d, bool (*done)(const struct dbg *, const void *),
                                     const void *ctx)
{
	unsigned gi = d->focus;
	struct dbg_guest *dg = &d->guests[gi];
	for (uint64_t i = 0;; i++) {
		if (!running(dg)) {
			stop_at(d, DBG_STOP_ENDED, gi);
			return d->stop;
		}
		bool hit = step_checked(d, gi);
		snap_maybe(d, dg);
		if (hit)
			return d->stop;
		if (running(dg) && done(d, ctx)) {
			stop_at(d, DBG_STOP_STEP, gi);
			return d->stop;
		}
		if (i % DBG_POLL_EVERY == DBG_POLL_EVERY - 1 && polled_stop(d)) {
			stop_at(d, DBG_STOP_INTERRUPTED, gi);
			return d->stop;
		}
	}
}

/* Where next and until stop: the pc, in the same virtual mode and R. */
struct return_point {
	uint32_t pc, mode, base;
	bool past; /* until over a backward branch: any pc > this one */
};

static bool at_return_point(const struct dbg *d, const void *ctx)
{
	const struct return_point *r = ctx;
	const struct cpu *vm = &d->guests[d->focus].g->vm;
	if ((vm->status & PSW_S) != r->mode || vm->base != r->base)
		return false;
	return r->past ? vm->pc > r->pc : vm->pc == r->pc;
}

/* Is the instruction at pc one that next steps over (a call, or a trap
 * that returns after it)? */
static bool steps_over(uint32_t w)
{
	switch (ISA_WORD_OPCODE(w)) {
	case ISA_OP_CALL: case ISA_OP_CALLR: case ISA_OP_SVC: case ISA_OP_BRK: case ISA_OP_HCALL:
		return true;
	default:
		return false;
	}
}

enum dbg_stop_kind dbg_next(struct dbg *d)
{
	begin(d);
	const struct cpu *vm = &d->guests[d->focus].g->vm;
	uint32_t w;
	if (!fetch(d, d->focus, vm->pc, &w) || !steps_over(w))
		return dbg_step(d, 1);
	struct return_point r = { vm->pc + ISA_WORD_BYTES, vm->status & PSW_S, vm->base, false };
	return step_until(d, at_return_point, &r);
}

static bool at_addr(const struct dbg *d, const void *ctx)
{
	return d->guests[d->focus].g->vm.pc == *(const uint32_t *)ctx;
}

enum dbg_stop_kind dbg_until(struct dbg *d, bool has_addr, uint32_t addr)
{
	begin(d);
	if (has_addr)
		return step_until(d, at_addr, &addr);
	const struct cpu *vm = &d->guests[d->focus].g->vm;
	uint32_t w;
	struct isa_insn in;
	if (fetch(d, d->focus, vm->pc, &w) && isa_decode(w, &in) == 0 &&
	    isa_info(in.op)->format == ISA_FMT_J && in.op != ISA_OP_CALL && in.imm < 0) {
		struct return_point r = { vm->pc, vm->status & PSW_S, vm->base, true };
		return step_until(d, at_return_point, &r);
	}
	return dbg_next(d);
}

enum dbg_stop_kind dbg_continue(struct dbg *d)
{
	begin(d);
	/* Leave a breakpoint we are stopped at with one step first. */
	unsigned gi = d->focus;
	if (running(&d->guests[gi]) && step_checked(d, gi)) {
		snap_maybe(d, &d->guests[gi]);
		return d->stop;
	}
	snap_maybe(d, &d->guests[gi]);
	uint64_t since_poll = 0;
	for (;;) {
		bool any = false;
		/* Round robin from the focused guest, one time slice each. */
		for (unsigned k = 0; k < d->nguests; k++) {
			gi = (d->focus + k) % d->nguests;
			struct dbg_guest *dg = &d->guests[gi];
			if (!running(dg))
				continue;
			any = true;
			uint64_t c0 = dg->g->vm.clock;
			if (needs_steps(d, gi)) {
				for (uint64_t i = 0; i < d->quantum && running(dg); i++) {
					bool hit = step_checked(d, gi);
					snap_maybe(d, dg);
					if (hit) {
						d->focus = gi;
						return d->stop;
					}
				}
			} else {
				uint64_t to = c0 + d->quantum;
				uint64_t snap = snap_next_clock(dg);
				if (snap > c0 && snap < to)
					to = snap;
				d->check_catch = true;
				d->record_catch = false;
				run_guest(d, dg, to, false);
				d->check_catch = false;
				snap_maybe(d, dg);
				if (d->stop == DBG_STOP_CAUGHT) {
					d->focus = gi;
					return d->stop;
				}
			}
			if (!running(dg)) {
				stop_at(d, DBG_STOP_ENDED, gi);
				bool others = false;
				for (unsigned j = 0; j < d->nguests; j++)
					others |= running(&d->guests[j]);
				if (!others)
					return d->stop;
				/* One guest's end does not stop the others. */
				d->stop = DBG_STOP_NONE;
			}
			since_poll += dg->g->vm.clock - c0;
		}
		if (!any) {
			stop_at(d, DBG_STOP_ALL_ENDED, d->focus);
			return d->stop;
		}
		if (since_poll >= DBG_POLL_EVERY) {
			since_poll = 0;
			if (polled_stop(d)) {
				stop_at(d, DBG_STOP_INTERRUPTED, d->focus);
				return d->stop;
			}
		}
	}
}

/* ---- backward ------------------------------------------------------------ */

/* Index of the newest snapshot of dg strictly before p, or -1. */
static int snap_before(const struct dbg_guest *dg, struct dbg_pos p)
{
	for (unsigned i = dg->nsnaps; i-- > 0;)
		if (dbg_pos_cmp(snap_pos(&dg->snaps[i]), p) < 0)
			return (int)i;
	return -1;
}

/* From a restored snapshot, go forward to the first stop state at or
 * after p: the fast way to p's clock, then single steps. */
static void replay_to(struct dbg *d, struct dbg_guest *dg, struct dbg_pos p)
{
	run_guest(d, dg, p.clock, false);
	while (running(dg) && dbg_pos_cmp(dbg_pos_of(d, dg->g->id), p) < 0)
		step_once(d, dg);
}

int dbg_goto(struct dbg *d, unsigned gi, struct dbg_pos p)
{
	struct dbg_guest *dg = &d->guests[gi];
	int i = snap_before(dg, (struct dbg_pos){ p.clock, p.faults + 1 });
	if (i < 0)
		return PG32_EARG;
	if (!snap_restore(dg, &dg->snaps[i]))
		return PG32_ENOMEM;
	replay_to(d, dg, p);
	log_cut(d, gi, dbg_pos_of(d, gi));
	/* Watchpoints compare with the word as it is here. */
	for (unsigned k = 0; k < d->nbreaks; k++) {
		struct dbg_break *b = &d->breaks[k];
		if (b->kind == DBG_WATCH_WRITE && (b->guest < 0 || (unsigned)b->guest == gi)) {
			uint8_t w[ISA_WORD_BYTES] = { 0 };
			dbg_read(d, gi, DBG_SPACE_PHYSICAL, b->addr, w, sizeof w);
			b->old = pg32_load32(w);
		}
	}
	return 0;
}

/* The stop state just before the current one, of guest gi.  Returns false
 * at the start of the recorded run. */
static bool reverse_one(struct dbg *d, unsigned gi)
{
	struct dbg_guest *dg = &d->guests[gi];
	struct dbg_pos now = dbg_pos_of(d, gi);
	int i = snap_before(dg, now);
	if (i < 0)
		return false;
	/* Replay to one instruction before now, then single steps to now,
	 * remembering the states passed: the last before now is the one. */
	if (!snap_restore(dg, &dg->snaps[i]))
		return false;
	if (now.clock > 0 && now.clock - 1 > dg->g->vm.clock)
		run_guest(d, dg, now.clock - 1, false);
	struct dbg_pos prev = dbg_pos_of(d, gi);
	for (;;) {
		struct dbg_pos before = dbg_pos_of(d, gi);
		if (!running(dg))
			break;
		step_once(d, dg);
		struct dbg_pos after = dbg_pos_of(d, gi);
		if (dbg_pos_cmp(after, now) >= 0 || dbg_pos_cmp(after, before) == 0)
			break;
		prev = after;
	}
	/* prev is the last stop state before now: go there for good. */
	dbg_goto(d, gi, prev);
	return true;
}

enum dbg_stop_kind dbg_reverse_step(struct dbg *d, uint64_t n)
{
	begin(d);
	unsigned gi = d->focus;
	for (uint64_t i = 0; i < n; i++) {
		if (!reverse_one(d, gi)) {
			stop_at(d, DBG_STOP_START, gi);
			return d->stop;
		}
	}
	stop_at(d, DBG_STOP_STEP, gi);
	return d->stop;
}

/* Scan [snapshot i, end) of guest gi forward, recording every position
 * where the forward run would have stopped for a breakpoint. */
static void scan_segment(struct dbg *d, unsigned gi, int i, struct dbg_pos end)
{
	struct dbg_guest *dg = &d->guests[gi];
	d->nhits = 0;
	if (!snap_restore(dg, &dg->snaps[i]))
		return;
	d->check_catch = true;
	d->record_catch = true;
	if (needs_steps(d, gi)) {
		/* Watch values as of the segment's start. */
		for (unsigned k = 0; k < d->nbreaks; k++) {
			struct dbg_break *b = &d->breaks[k];
			if (b->kind == DBG_WATCH_WRITE) {
				uint8_t w[ISA_WORD_BYTES] = { 0 };
				dbg_read(d, gi, DBG_SPACE_PHYSICAL, b->addr, w, sizeof w);
				b->old = pg32_load32(w);
			}
		}
		while (running(dg) && dbg_pos_cmp(dbg_pos_of(d, gi), end) < 0) {
			d->record_catch = true;
			uint32_t rlo = 0, rhi = 0;
			bool loads = load_extent(d, gi, &rlo, &rhi);
			uint64_t c0 = dg->g->vm.clock;
			d->check_catch = true;
			step_once(d, dg);
			bool hit = false;
			for (unsigned k = 0; k < d->nbreaks; k++) {
				struct dbg_break *b = &d->breaks[k];
				if (b->guest >= 0 && (unsigned)b->guest != gi)
					continue;
				if (b->kind == DBG_BREAK_PC && dg->g->vm.pc == b->addr)
					hit = true;
				if (b->kind == DBG_WATCH_WRITE || b->kind == DBG_WATCH_ACCESS) {
					uint8_t w[ISA_WORD_BYTES] = { 0 };
					dbg_read(d, gi, DBG_SPACE_PHYSICAL, b->addr, w, sizeof w);
					if (pg32_load32(w) != b->old)
						hit = true;
					b->old = pg32_load32(w);
				}
				if ((b->kind == DBG_WATCH_READ || b->kind == DBG_WATCH_ACCESS) && loads &&
				    dg->g->vm.clock > c0 && rlo < b->addr + ISA_WORD_BYTES && b->addr < rhi)
					hit = true;
			}
			if (hit && d->nhits < d->hits_cap)
				d->hits[d->nhits++] = dbg_pos_of(d, gi);
			else if (hit) {
				unsigned cap = d->hits_cap ? 2 * d->hits_cap : 64;
				struct dbg_pos *h = realloc(d->hits, cap * sizeof *h);
				if (h) {
					d->hits = h;
					d->hits_cap = cap;
					d->hits[d->nhits++] = dbg_pos_of(d, gi);
				}
			}
		}
	} else {
		run_guest(d, dg, end.clock, false);
	}
	d->check_catch = false;
	d->record_catch = false;
}

enum dbg_stop_kind dbg_reverse_continue(struct dbg *d)
{
	begin(d);
	unsigned gi = d->focus;
	struct dbg_guest *dg = &d->guests[gi];
	struct dbg_pos now = dbg_pos_of(d, gi);
	struct dbg_pos end = now;
	for (int i = snap_before(dg, now); i >= 0; i--) {
		scan_segment(d, gi, i, end);
		/* The newest hit before now whose stop state is not now. */
		for (unsigned h = d->nhits; h-- > 0;) {
			if (dbg_pos_cmp(d->hits[h], now) >= 0)
				continue;
			struct dbg_pos hit = d->hits[h];
			dbg_goto(d, gi, hit);
			if (dbg_pos_cmp(dbg_pos_of(d, gi), now) < 0) {
				stop_at(d, DBG_STOP_BREAK, gi);
				char where[sizeof d->stop_text];
				snprintf(where, sizeof where, "%s", d->stop_text);
				snprintf(d->stop_text, sizeof d->stop_text, "reverse: stopped at a breakpoint: %.200s",
				         where);
				return d->stop;
			}
		}
		end = snap_pos(&dg->snaps[i]);
	}
	dbg_goto(d, gi, snap_pos(&dg->snaps[0]));
	stop_at(d, DBG_STOP_START, gi);
	return d->stop;
}

/* ---- inspection ----------------------------------------------------------- */

/* Replace, in buf (n bytes read at guest physical phys), the bytes of any
 * patched word by the original's. */
static void show_originals(const struct vmm_guest *g, uint32_t phys, uint8_t *buf, uint32_t n)
{
	uint32_t first = phys & ~(uint32_t)(ISA_WORD_BYTES - 1);
	for (uint64_t w = first; w < (uint64_t)phys + n; w += ISA_WORD_BYTES) {
		if (w + ISA_WORD_BYTES > g->vm.mem_size)
			break;
		uint8_t orig[ISA_WORD_BYTES];
		pg32_store32(orig, vmm_rewrite_read_word(g, (uint32_t)w));
		for (unsigned i = 0; i < ISA_WORD_BYTES; i++)
			if (w + i >= phys && w + i < (uint64_t)phys + n)
				buf[w + i - phys] = orig[i];
	}
}

uint32_t dbg_read(const struct dbg *d, unsigned gi, enum dbg_space space, uint32_t addr,
                  uint8_t *buf, uint32_t n)
{
	if (gi >= d->nguests)
		return 0;
	const struct vmm_guest *g = d->guests[gi].g;
	const uint8_t *base;
	uint64_t limit;
	switch (space) {
	case DBG_SPACE_VIRTUAL:
		base = g->vm.mem + (g->vm.base < g->vm.mem_size ? g->vm.base : 0);
		limit = cpu_limit_of(g->vm.base, g->vm.bound, g->vm.mem_size);
		break;
	case DBG_SPACE_PHYSICAL:
		base = g->vm.mem;
		limit = g->vm.mem_size;
		break;
	case DBG_SPACE_HOST:
		if (d->bare) { /* no monitor: host memory is the machine's */
			base = g->vm.mem;
			limit = g->vm.mem_size;
			break;
		}
		base = d->v->host_mem;
		limit = d->v->host_mem_size;
		break;
	default:
		return 0;
	}
	if (addr >= limit)
		return 0;
	uint32_t k = (uint64_t)addr + n <= limit ? n : (uint32_t)(limit - addr);
	memcpy(buf, base + addr, k);
	/* The guest's own views show what its loads see: a patched critical
	 * instruction reads back as the original.  Host memory shows what is
	 * really there, patch words and all. */
	if (space != DBG_SPACE_HOST && g->rw)
		show_originals(g, (uint32_t)(base - g->vm.mem) + addr, buf, k);
	return k;
}

static const char *symbolize(void *ctx, uint32_t addr)
{
	return img_symbol_at(ctx, addr);
}

bool dbg_disasm(const struct dbg *d, unsigned gi, uint32_t addr, char *buf, size_t len)
{
	uint32_t w;
	/* A patched critical instruction reads as its original here (the
	 * caller marks it with dbg_rewritten). */
	if (!fetch(d, gi, addr, &w))
		return false;
	const struct image *img = d->guests[gi].img;
	isa_disasm(w, addr, img ? symbolize : NULL, (void *)img, buf, len);
	return true;
}

const char *dbg_symbol_at(const struct dbg *d, unsigned gi, uint32_t addr)
{
	const struct image *img = gi < d->nguests ? d->guests[gi].img : NULL;
	return img ? img_symbol_at(img, addr) : NULL;
}

bool dbg_symbol_value(const struct dbg *d, unsigned gi, const char *name, uint32_t *value)
{
	const struct image *img = gi < d->nguests ? d->guests[gi].img : NULL;
	return img && img_symbol_value(img, name, value);
}

const char *dbg_symbol_name(const struct dbg *d, unsigned gi, unsigned n)
{
	const struct image *img = gi < d->nguests ? d->guests[gi].img : NULL;
	return img && n < img->nsyms ? img->syms[n].name : NULL;
}

void dbg_insn_class(uint32_t insn, isa_variant v, char *buf, size_t len)
{
	struct isa_insn in;
	if (isa_decode(insn, &in) != 0) {
		snprintf(buf, len, "illegal");
		return;
	}
	unsigned f = isa_info(in.op)->flags;
	if (f & ISA_F_TRAPS) {
		snprintf(buf, len, "traps (%s)", isa_info(in.op)->mnemonic);
		return;
	}
	if (!(f & (ISA_F_PRIV | ISA_F_SENSITIVE))) {
		snprintf(buf, len, "innocuous");
		return;
	}
	bool priv = (f & ISA_F_PRIV) && isa_traps_in_user(v, in.op);
	snprintf(buf, len, "%s%s%s%s",
	         priv ? "privileged" : (f & ISA_F_PRIV) ? "critical (unprivileged in this variant)" : "unprivileged",
	         (f & ISA_F_CONTROL) ? ", control-sensitive" : "",
	         (f & ISA_F_LOCATION) ? ", location-sensitive" : "",
	         (f & ISA_F_MODE) ? ", mode-sensitive" : "");
}

static const char *mode_name(uint32_t status)
{
	return (status & PSW_S) ? "kernel" : "user";
}

void dbg_trap_summary(const struct dbg_trap *t, char *buf, size_t len)
{
	struct isa_insn in;
	const char *act = t->hardware ? "delivered" : vmm_action_name(t->action);
	if (t->insn && isa_decode(t->insn, &in) == 0 && !pg32_trap_is_interrupt(t->trap.cause))
		snprintf(buf, len, "%s %s", act, isa_info(in.op)->mnemonic);
	else
		snprintf(buf, len, "%s", act);
}

void dbg_trap_changes(const struct dbg_trap *t, char *buf, size_t len)
{
	char tmp[128] = "";
	size_t n = 0;
#define ADD(...) do { if (n < sizeof tmp) n += (size_t)snprintf(tmp + n, sizeof tmp - n, __VA_ARGS__); } while (0)
	if ((t->before.status ^ t->after.status) & PSW_S)
		ADD("%smode %s->%s", n ? ", " : "", mode_name(t->before.status), mode_name(t->after.status));
	if ((t->before.status ^ t->after.status) & PSW_IE)
		ADD("%sIE %u->%u", n ? ", " : "", !!(t->before.status & PSW_IE), !!(t->after.status & PSW_IE));
	if (t->before.base != t->after.base || t->before.bound != t->after.bound)
		ADD("%sR", n ? ", " : "");
	struct isa_insn in;
	if ((t->action == VMM_ACT_EMULATED || t->action == VMM_ACT_DEVICE ||
	     t->action == VMM_ACT_REWRITTEN) && isa_decode(t->insn, &in) == 0) {
		if (in.op == ISA_OP_IN || in.op == ISA_OP_SRR || in.op == ISA_OP_RDPSW)
			ADD("%s%s=0x%x", n ? ", " : "", isa_reg_name(in.rd), t->rd_after);
		else if (in.op == ISA_OP_OUT)
			ADD("%sport 0x%02x", n ? ", " : "", (unsigned)in.imm);
	}
	if (t->after.pc != t->before.pc + ISA_WORD_BYTES ||
	    (t->action != VMM_ACT_EMULATED && t->action != VMM_ACT_DEVICE &&
	     t->action != VMM_ACT_REWRITTEN))
		ADD("%spc=0x%x", n ? ", " : "", t->after.pc);
#undef ADD
	snprintf(buf, len, "%s", n ? tmp : "-");
}

void dbg_trap_explain(const struct dbg *d, const struct dbg_trap *t, struct dbg_text *out)
{
	const char *gname = t->guest < d->nguests ? d->guests[t->guest].g->name : "?";
	char cls[96], dis[96] = "";
	dbg_insn_class(t->insn, t->guest < d->nguests ? d->guests[t->guest].g->vm.variant : 0, cls,
	               sizeof cls);
	const struct image *img = t->guest < d->nguests ? d->guests[t->guest].img : NULL;
	bool irq = pg32_trap_is_interrupt(t->trap.cause);
	if (!irq)
		isa_disasm(t->insn, t->trap.insn_pc, img ? symbolize : NULL, (void *)img, dis,
		           sizeof dis);
	dbg_text_printf(out, "Trap #%u of guest %u (%s), at its clock %llu.\n", t->seq, t->guest,
	                gname, (unsigned long long)t->clock);
	if (t->hardware) {
		dbg_text_printf(out, "On the bare machine (no monitor) the guest, in %s mode, %s%s%s%s at "
		                "0x%08x. The CPU took trap %s (%s) itself: it stored the old PSW, the "
		                "cause and the detail at physical 0x%x..0x%x and loaded the new PSW from "
		                "0x%x. The handler runs next at 0x%08x in %s mode.\n",
		                mode_name(t->before.status), irq ? "was interrupted" : "ran",
		                irq ? "" : " `", irq ? "" : dis, irq ? "" : "`", t->trap.insn_pc,
		                pg32_trap_name(t->trap.cause), pg32_trap_what(t->trap.cause),
		                PG32_OLD_PSW, PG32_DETAIL + ISA_WORD_BYTES - 1, PG32_NEW_PSW, t->after.pc,
		                mode_name(t->after.status));
		char chb[128];
		dbg_trap_changes(t, chb, sizeof chb);
		dbg_text_printf(out, "Changed: %s.\n", chb);
		return;
	}
	if (irq) {
		dbg_text_printf(out, "A virtual %s interrupt (%s) was pending and the guest had its "
		                "virtual interrupts enabled, so before the instruction at 0x%08x the "
		                "monitor delivered it, as the guest's own hardware would have.\n",
		                pg32_trap_name(t->trap.cause), pg32_trap_what(t->trap.cause), t->trap.pc);
	} else {
		dbg_text_printf(out, "The guest, in virtual %s mode, ran `%s` at 0x%08x. The real CPU "
		                "runs every guest in real user mode; this instruction is %s, and the CPU "
		                "reported trap %s (%s) to the monitor.\n",
		                mode_name(t->before.status), dis, t->trap.insn_pc, cls,
		                pg32_trap_name(t->trap.cause), pg32_trap_what(t->trap.cause));
	}
	switch (t->action) {
	case VMM_ACT_EMULATED:
	case VMM_ACT_DEVICE:
		dbg_text_printf(out, "The guest was in virtual system mode, so on its own machine the "
		                "instruction would simply have run. The dispatcher called the "
		                "interpreter routine for it, which did to the guest's virtual %s what "
		                "the hardware would have done, and the guest goes on at 0x%08x as if it "
		                "had run directly (action: %s).\n",
		                t->action == VMM_ACT_DEVICE ? "devices (port I/O)" : "state (PSW, R)",
		                t->after.pc, vmm_action_name(t->action));
		break;
	case VMM_ACT_REFLECTED:
		dbg_text_printf(out, "On its own machine the guest would have taken this trap itself, "
		                "so the monitor reflected it: it stored the guest's virtual PSW, cause "
		                "and detail in the guest's memory and loaded the guest's new PSW, "
		                "exactly the hardware's PSW swap. The guest's kernel handler runs next, "
		                "at 0x%08x, in virtual %s mode.\n",
		                t->after.pc, mode_name(t->after.status));
		break;
	case VMM_ACT_INTERRUPT:
		dbg_text_printf(out, "The guest's handler runs next at 0x%08x, in virtual %s mode.\n",
		                t->after.pc, mode_name(t->after.status));
		break;
	case VMM_ACT_REWRITTEN:
		dbg_text_printf(out, "In this ill-behaved variant the instruction is critical: it would "
		                "have run in real user mode without trapping and acted on the real "
		                "state. The rewriting pass had replaced it by a patch word that traps "
		                "(as an illegal instruction); the monitor found the original in its patch "
		                "table and emulated it against the virtual state. The guest goes on at "
		                "0x%08x and cannot tell.\n", t->after.pc);
		break;
	case VMM_ACT_INTERPRETED:
		dbg_text_printf(out, "The hybrid monitor's interpreter ran the instruction.\n");
		break;
	case VMM_ACT_KILLED:
	default:
		dbg_text_printf(out, "The monitor could not handle this and ended the guest; the "
		                "other guests go on.\n");
		break;
	}
	char ch[128];
	dbg_trap_changes(t, ch, sizeof ch);
	dbg_text_printf(out, "Changed: %s. Virtual PSW before: %s mode, IE %u, R = (0x%08x, 0x%08x); "
	                "after: %s mode, IE %u, R = (0x%08x, 0x%08x).\n",
	                ch, mode_name(t->before.status), !!(t->before.status & PSW_IE), t->before.base,
	                t->before.bound, mode_name(t->after.status), !!(t->after.status & PSW_IE),
	                t->after.base, t->after.bound);
}

const char *dbg_console(struct dbg *d, unsigned gi, size_t *len)
{
	struct dbg_guest *dg = &d->guests[gi];
	*len = 0;
	if (!dg->con)
		return "";
	fflush(dg->con);
	off_t pos = ftello(dg->con);
	if (pos < 0 || !dg->con_buf)
		return "";
	*len = (size_t)pos < dg->con_size ? (size_t)pos : dg->con_size;
	return dg->con_buf;
}

/* ---- text blocks --------------------------------------------------------- */

static void flags_text(uint32_t status, char *buf)
{
	buf[0] = (status & PSW_N) ? 'N' : '-';
	buf[1] = (status & PSW_Z) ? 'Z' : '-';
	buf[2] = (status & PSW_C) ? 'C' : '-';
	buf[3] = (status & PSW_V) ? 'V' : '-';
	buf[4] = '\0';
}

void dbg_print_regs(const struct dbg *d, unsigned gi, struct dbg_text *out)
{
	const struct vmm_guest *g = d->guests[gi].g;
	const struct cpu *vm = &g->vm;
	dbg_text_printf(out, "guest %u (%s)  clock %llu  %s\n", gi, g->name,
	                (unsigned long long)vm->clock, vmm_end_name(g->end));
	for (unsigned r = 0; r < ISA_NREGS; r++)
		dbg_text_printf(out, "%-3s 0x%08x%s", isa_reg_name(r), vm->r[r], r % 4 == 3 ? "\n" : "  ");
	char fl[8];
	flags_text(vm->status, fl);
	const char *sym = dbg_symbol_at(d, gi, vm->pc);
	dbg_text_printf(out, "pc  0x%08x%s%s%s  flags %s\n", vm->pc, sym ? " <" : "", sym ? sym : "",
	                sym ? ">" : "", fl);
	if (d->bare) {
		dbg_text_printf(out, "PSW          mode %-6s IE %u  R = (0x%08x, 0x%08x)  (bare machine: "
		                "no monitor, no virtual PSW)\n", mode_name(vm->status),
		                !!(vm->status & PSW_IE), vm->base, vm->bound);
		return;
	}
	uint32_t rb, rbound;
	vmm_compose_r(&g->region, vm->base, vm->bound, &rb, &rbound);
	dbg_text_printf(out, "virtual PSW  mode %-6s IE %u  R = (0x%08x, 0x%08x)\n",
	                mode_name(vm->status), !!(vm->status & PSW_IE), vm->base, vm->bound);
	dbg_text_printf(out, "real PSW     mode %-6s IE %u  R = (0x%08x, 0x%08x)\n", "user",
	                !!(vm->status & PSW_IE), rb, rbound);
	dbg_text_printf(out, "relocation   guest R (0x%08x, 0x%08x) inside region [0x%08x, 0x%08x)"
	                " gives real R (0x%08x, 0x%08x)\n",
	                vm->base, vm->bound, g->region.base, g->region.base + g->region.size, rb, rbound);
}

void dbg_print_where(const struct dbg *d, struct dbg_text *out)
{
	unsigned gi = d->focus;
	const struct cpu *vm = &d->guests[gi].g->vm;
	char dis[96];
	const char *sym = dbg_symbol_at(d, gi, vm->pc);
	if (dbg_disasm(d, gi, vm->pc, dis, sizeof dis))
		dbg_text_printf(out, "=> 0x%08x%s%s%s:  %s\n", vm->pc, sym ? " <" : "", sym ? sym : "",
		                sym ? ">" : "", dis);
	else
		dbg_text_printf(out, "=> 0x%08x:  (outside the guest's R)\n", vm->pc);
}

void dbg_print_traps(const struct dbg *d, unsigned last, struct dbg_text *out)
{
	unsigned from = last && last < d->nlog ? d->nlog - last : 0;
	dbg_text_printf(out, "%5s %5s %10s  %-6s %-6s %-10s %-8s %-22s %s\n", "#", "guest", "clock",
	                "from", "cause", "pc", "class", "action", "changed");
	for (unsigned i = from; i < d->nlog; i++) {
		const struct dbg_trap *t = &d->log[i];
		char cls[64], sum[48], ch[128];
		dbg_insn_class(t->insn, t->guest < d->nguests ? d->guests[t->guest].g->vm.variant : 0, cls,
		               sizeof cls);
		if (pg32_trap_is_interrupt(t->trap.cause))
			snprintf(cls, sizeof cls, "-");
		else if (strncmp(cls, "privileged", 10) == 0)
			snprintf(cls, sizeof cls, "priv");
		else if (strncmp(cls, "critical", 8) == 0)
			snprintf(cls, sizeof cls, "critical");
		else if (strncmp(cls, "traps", 5) == 0)
			snprintf(cls, sizeof cls, "trap");
		else if (strncmp(cls, "innocuous", 9) == 0)
			snprintf(cls, sizeof cls, "innoc");
		dbg_trap_summary(t, sum, sizeof sum);
		dbg_trap_changes(t, ch, sizeof ch);
		dbg_text_printf(out, "%5u %5u %10llu  %-6s %-6s 0x%08x %-8s %-22s %s\n", t->seq, t->guest,
		                (unsigned long long)t->clock, mode_name(t->before.status),
		                pg32_trap_name(t->trap.cause), t->trap.insn_pc, cls, sum, ch);
	}
	if (!d->nlog)
		dbg_text_printf(out, "(no traps yet)\n");
}

void dbg_print_guests(const struct dbg *d, struct dbg_text *out)
{
	for (unsigned i = 0; i < d->nguests; i++) {
		const struct dbg_guest *dg = &d->guests[i];
		const struct vmm_guest *g = dg->g;
		uint64_t total = g->stats.direct + g->stats.emulated;
		double eff = vmm_efficiency(&g->stats);
		dbg_text_printf(out, "%c %u %-16s %-9s clock %-10llu pc 0x%08x mode %-6s direct %llu "
		                "emulated %llu efficiency %.4f\n",
		                i == d->focus ? '*' : ' ', i, g->name, vmm_end_name(g->end),
		                (unsigned long long)g->vm.clock, g->vm.pc, mode_name(g->vm.status),
		                (unsigned long long)g->stats.direct, (unsigned long long)g->stats.emulated,
		                total ? eff : 1.0);
		dbg_text_printf(out, "  traps:");
		for (unsigned a = 0; a < VMM_NACTIONS; a++)
			if (dg->counts[a])
				dbg_text_printf(out, " %s %llu",
				                d->bare ? (a == VMM_ACT_INTERRUPT ? "interrupts delivered"
				                                                  : "traps delivered")
				                        : vmm_action_name((enum vmm_action)a),
				                (unsigned long long)dg->counts[a]);
		dbg_text_printf(out, "%s\n", total || dg->faults ? "" : " none");
	}
}

bool dbg_rewritten(const struct dbg *d, unsigned gi, uint32_t addr, uint32_t *original)
{
	if (gi >= d->nguests)
		return false;
	const struct vmm_guest *g = d->guests[gi].g;
	const struct vmm_rewrite *rw = g->rw;
	/* The word really in memory (the guest's views show originals). */
	uint32_t phys = g->vm.base + addr;
	if (!rw || addr % ISA_WORD_BYTES ||
	    !cpu_access_ok(g->vm.base, g->vm.bound, g->vm.mem_size, addr, ISA_WORD_BYTES))
		return false;
	uint32_t w = pg32_load32(g->vm.mem + phys);
	if (ISA_WORD_OPCODE(w) != ISA_OP_UNDEFINED)
		return false;
	uint32_t i = w & VMM_PATCH_INDEX_MAX;
	if (w != VMM_PATCH_WORD(i) || i >= rw->npatch || rw->patch[i].addr != phys)
		return false;
	if (original)
		*original = rw->patch[i].original;
	return true;
}

void dbg_print_patches(const struct dbg *d, struct dbg_text *out)
{
	const struct vmm_guest *g = d->guests[d->focus].g;
	const struct vmm_rewrite *rw = g->rw;
	if (!rw) {
		dbg_text_printf(out, "no patches: guest %u runs under plain trap-and-emulate "
		                "(no critical instruction in its variant, or rewriting off)\n", d->focus);
		return;
	}
	dbg_text_printf(out, "guest %u: %s rewriting, %llu blocks scanned, %llu patched words run\n",
	                d->focus, vmm_rewrite_name(rw->mode),
	                (unsigned long long)g->stats.blocks_scanned,
	                (unsigned long long)g->stats.rewrite_traps);
	unsigned n = 0;
	const struct image *img = d->guests[d->focus].img;
	for (uint32_t i = 0; i < rw->npatch; i++) {
		const struct vmm_patch *p = &rw->patch[i];
		if (p->addr == VMM_PATCH_FREE)
			continue;
		char dis[96];
		isa_disasm(p->original, p->addr, img ? symbolize : NULL, (void *)img, dis, sizeof dis);
		dbg_text_printf(out, "  #%-5u physical 0x%08x  patch word 0x%08x  original: %s\n", i,
		                p->addr, VMM_PATCH_WORD(i), dis);
		n++;
	}
	if (!n)
		dbg_text_printf(out, "  no patches yet (code is scanned as control reaches it)\n");
}

static const char *const break_kinds[] = {
	[DBG_BREAK_PC] = "breakpoint", [DBG_BREAK_CAUSE] = "catch trap",
	[DBG_BREAK_ACTION] = "catch action", [DBG_WATCH_WRITE] = "watch",
	[DBG_WATCH_READ] = "rwatch", [DBG_WATCH_ACCESS] = "awatch",
};

void dbg_print_breaks(const struct dbg *d, struct dbg_text *out)
{
	if (!d->nbreaks) {
		dbg_text_printf(out, "no breakpoints, catchpoints or watchpoints\n");
		return;
	}
	for (unsigned i = 0; i < d->nbreaks; i++) {
		const struct dbg_break *b = &d->breaks[i];
		dbg_text_printf(out, "%-3u %-12s ", b->id, break_kinds[b->kind]);
		if (b->kind == DBG_BREAK_CAUSE)
			dbg_text_printf(out, "%-12s", pg32_trap_name(b->what));
		else if (b->kind == DBG_BREAK_ACTION)
			dbg_text_printf(out, "%-12s", vmm_action_name((enum vmm_action)b->what));
		else
			dbg_text_printf(out, "0x%08x  ", b->addr);
		if (b->guest >= 0)
			dbg_text_printf(out, " guest %d", b->guest);
		else
			dbg_text_printf(out, " every guest");
		dbg_text_printf(out, "  hits %llu\n", (unsigned long long)b->hits);
	}
}

/* ---- life cycle ------------------------------------------------------------ */

/* --bare: one image on a bare machine of its own.  The guest struct only
 * holds the machine (vm, with the devices on d->bus) and what the debugger
 * shows of it; the monitor is not involved. */
static int create_bare(struct dbg *d, const struct dbg_config *cfg, const struct image *img,
                       const char *name, char *msg, size_t msglen)
{
	struct dbg_guest *dg = &d->guests[0];
	uint32_t mem_size = cfg->mem_size ? cfg->mem_size : PG32_MEM_DEFAULT;
	d->bus = calloc(1, sizeof *d->bus);
	dg->g = calloc(1, sizeof *dg->g);
	dg->con = open_memstream(&dg->con_buf, &dg->con_size);
	d->nguests = 1;
	if (!d->bus || !dg->g || !dg->con) {
		snprintf(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	struct bare_machine m;
	int err = bare_init(&m, img, mem_size, cfg->variants ? cfg->variants[0] : img->variant,
	                    dg->con, msg, msglen);
	if (err)
		return err;
	struct vmm_guest *g = dg->g;
	snprintf(g->name, sizeof g->name, "%s", name);
	g->vm = m.cpu;
	*d->bus = m.bus;
	g->vm.bus = d->bus;
	g->region = (struct vmm_region){ 0, mem_size };
	g->dev.out = dg->con; /* so snapshots cut the console back */
	g->limit = cfg->max_instructions ? cfg->max_instructions : VMM_NO_LIMIT;
	g->last_delivery = UINT64_MAX;
	dev_set_input(d->bus, cfg->input, cfg->input_len);
	if (cfg->vmm.disk_path && dev_attach_disk(d->bus, cfg->vmm.disk_path, msg, msglen) != 0)
		return PG32_EIO;
	dg->img = img;
	dg->real_limit = g->limit;
	dg->interval = cfg->snap_interval ? cfg->snap_interval : DBG_SNAP_INTERVAL;
	snap_maybe(d, dg);
	if (!dg->nsnaps) {
		snprintf(msg, msglen, "out of memory for the first snapshot");
		return PG32_ENOMEM;
	}
	return 0;
}

int dbg_create(struct dbg **out, const struct dbg_config *cfg, const struct image *imgs,
               const char *const *names, unsigned n, char *msg, size_t msglen)
{
	*out = NULL;
	if (n == 0) {
		snprintf(msg, msglen, "no guest to debug");
		return PG32_EARG;
	}
	if (cfg->bare && n != 1) {
		snprintf(msg, msglen, "--bare debugs one image on the bare machine, not %u", n);
		return PG32_EARG;
	}
	struct dbg *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	d->log = calloc(DBG_LOG_MAX, sizeof *d->log);
	d->guests = calloc(n, sizeof *d->guests);
	if (!d->log || !d->guests) {
		snprintf(msg, msglen, "out of memory");
		dbg_destroy(d);
		return PG32_ENOMEM;
	}
	d->quantum = cfg->vmm.quantum ? cfg->vmm.quantum : VMM_QUANTUM_DEFAULT;
	d->snap_budget = cfg->snap_budget ? cfg->snap_budget : DBG_SNAP_BUDGET;
	if (cfg->bare) {
		d->bare = true;
		int err = create_bare(d, cfg, &imgs[0], names[0], msg, msglen);
		if (err) {
			dbg_destroy(d);
			return err;
		}
		*out = d;
		return 0;
	}
	int err = vmm_create(&d->v, &cfg->vmm, msg, msglen);
	if (err) {
		dbg_destroy(d);
		return err;
	}
	d->v->on_event = on_event;
	d->v->event_ctx = d;
	uint32_t share = cfg->minidisk ? cfg->minidisk : d->v->disk_sectors / n;
	for (unsigned i = 0; i < n; i++) {
		struct dbg_guest *dg = &d->guests[i];
		dg->con = open_memstream(&dg->con_buf, &dg->con_size);
		if (!dg->con) {
			snprintf(msg, msglen, "out of memory");
			dbg_destroy(d);
			return PG32_ENOMEM;
		}
		struct vmm_guest_config gc = {
			.name = names[i], .img = &imgs[i], .mem_size = cfg->mem_size,
			.variant = cfg->variants ? cfg->variants[i] : imgs[i].variant,
			.input = cfg->input, .input_len = cfg->input_len,
			.disk_sectors = d->v->disk_fd >= 0 ? share : 0,
			.max_instructions = cfg->max_instructions, .console = dg->con, .prefix = false,
			.console_cap = VMM_CONSOLE_CAP_DEFAULT, .rewrite = cfg->rewrite, .hybrid = cfg->hybrid,
		};
		err = vmm_add_guest(d->v, &gc, &dg->g, msg, msglen);
		if (err) {
			d->nguests = i + 1; /* so the stream is closed */
			dbg_destroy(d);
			return err;
		}
		d->nguests = i + 1;
		dg->img = &imgs[i];
		dg->real_limit = dg->g->limit;
		dg->interval = cfg->snap_interval ? cfg->snap_interval : DBG_SNAP_INTERVAL;
		snap_maybe(d, dg); /* the start of the run */
		if (!dg->nsnaps) {
			snprintf(msg, msglen, "out of memory for the first snapshot");
			dbg_destroy(d);
			return PG32_ENOMEM;
		}
	}
	*out = d;
	return 0;
}

void dbg_destroy(struct dbg *d)
{
	if (!d)
		return;
	/* The monitor flushes the consoles: destroy it before closing them. */
	vmm_destroy(d->v);
	if (d->bare) {
		/* The bare machine's parts, taken over by create_bare. */
		if (d->guests && d->guests[0].g) {
			free(d->guests[0].g->vm.mem);
			cpu_dcache_free(d->guests[0].g->vm.dcache);
		}
		if (d->bus)
			dev_close(d->bus);
		free(d->bus);
	}
	for (unsigned i = 0; d->guests && i < d->nguests; i++) {
		struct dbg_guest *dg = &d->guests[i];
		for (unsigned j = 0; j < dg->nsnaps; j++)
			snap_free(&dg->snaps[j]);
		if (dg->con)
			fclose(dg->con);
		free(dg->con_buf);
		if (d->bare)
			free(dg->g);
	}
	free(d->guests);
	free(d->log);
	free(d->hits);
	free(d);
}
