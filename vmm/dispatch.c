/*
 * dispatch.c -- the dispatcher: the monitor's trap path.
 *
 * vmm_run_slice() runs one guest for one time slice.  It is the bare-machine
 * runner (isa/bare.c) and the CPU's between-instructions loop (isa/cpu.c)
 * written once more, for a virtual machine: the same instruction limit, the
 * same device and interrupt checks in the same order, the same halt and
 * trap-loop rules.  That sameness is what makes the guest's run equal to its
 * bare run (the equivalence property), so keep the two in step.
 *
 * Each trap the real CPU reports goes to vmm_dispatch(), which reads top to
 * bottom like xv6's trap.c:
 *
 *   1. a privileged instruction in virtual system mode: the guest's bare
 *      machine would have run it, so the monitor runs it for the guest, by
 *      interpretation (interp.c), and the guest goes on;
 *   2. anything else the CPU reports (a privileged instruction in virtual
 *      user mode, a fault, svc, brk, hcall) is what the guest would have
 *      taken on its bare machine: reflect it (reflect.c);
 *   3. anything else is impossible: kill the guest, never the monitor.
 *
 * Before all of these, the binary rewriter (rewrite.c) takes its own traps:
 * the watch map's (code fetched before it was scanned, a patched word
 * loaded, scanned code stored into), which are the monitor's business and
 * never the guest's, and patch words run, whose originals it emulates.
 * Under the hybrid monitor (hybrid.c) a guest in virtual system mode never
 * reaches the real CPU: the loop below interprets it one instruction at a
 * time instead.
 *
 * Virtual interrupts do not come from the CPU (it has no devices under the
 * monitor): the virtual devices raise them (vdev.c), and they are taken
 * between instructions, here, exactly where the bare CPU takes them.
 */
#include "vmm.h"


void vmm_kill(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t, const char *why)
{
	if (t)
		snprintf(g->why, sizeof g->why, "%s: cause %u (%s) at pc=0x%08x detail=0x%08x", why,
		         t->cause, pg32_trap_name(t->cause), t->insn_pc, t->detail);
	else
		snprintf(g->why, sizeof g->why, "%s at pc=0x%08x", why, g->vm.pc);
	g->end = VMM_KILLED;
	vmm_vdev_flush(g);
	if (v->log)
		fprintf(v->log, "monitor: guest %s killed after %llu instructions: %s\n", g->name,
		        (unsigned long long)g->vm.clock, g->why);
}

static const char *const action_names[VMM_NACTIONS] = {
#define VMM_ACTION_NAME(name, word, meaning) [VMM_ACT_##name] = word,
	VMM_ACTIONS(VMM_ACTION_NAME)
#undef VMM_ACTION_NAME
};
static const char *const action_meanings[VMM_NACTIONS] = {
#define VMM_ACTION_MEANING(name, word, meaning) [VMM_ACT_##name] = meaning,
	VMM_ACTIONS(VMM_ACTION_MEANING)
#undef VMM_ACTION_MEANING
};

const char *vmm_action_name(enum vmm_action a)
{
	return (unsigned)a < VMM_NACTIONS ? action_names[a] : "?";
}

const char *vmm_action_meaning(enum vmm_action a)
{
	return (unsigned)a < VMM_NACTIONS ? action_meanings[a] : "?";
}

struct vmm_vpsw vmm_guest_vpsw(const struct vmm_guest *g)
{
	return (struct vmm_vpsw){ g->vm.status, g->vm.pc, g->vm.base, g->vm.bound };
}

void vmm_event_emit(struct vmm *v, const struct vmm_guest *g, const struct cpu_trap *t,
                    enum vmm_action action, const struct vmm_vpsw *before)
{
	if (!v->on_event)
		return;
	struct vmm_event e = { .g = g, .trap = *t, .action = action, .before = *before };
	/* The clock when the trap was taken: an emulated instruction has
	 * retired since. */
	e.clock = g->vm.clock - (action == VMM_ACT_EMULATED || action == VMM_ACT_DEVICE ||
	                         action == VMM_ACT_REWRITTEN || action == VMM_ACT_INTERPRETED);
	v->on_event(v->event_ctx, &e);
}

static void guest_end(struct vmm_guest *g, enum vmm_end end)
{
	g->end = end;
	vmm_vdev_flush(g);
}

/* Is the trapping word port I/O (an emulation that is "device" work)? */
static bool is_port_io(uint32_t insn)
{
	unsigned op = ISA_WORD_OPCODE(insn);
	return op == ISA_OP_IN || op == ISA_OP_OUT;
}

enum vmm_next vmm_reflect_trap(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                               enum vmm_action *action)
{
	/* The PSW swap writes g's trap words: any code the rewriter scanned
	 * there is forgotten first. */
	if (g->rw)
		vmm_rewrite_invalidate(g, 0, PG32_TRAP_AREA_END);
	enum vmm_next next = vmm_reflect(v, g, t);
	*action = next == VMM_NEXT_STOP ? VMM_ACT_KILLED : VMM_ACT_REFLECTED;
	return next;
}

/* A privileged instruction in virtual system mode: its interpreter routine
 * runs it, from the word the CPU reported.  The hot path of the monitor. */
static enum vmm_next emulate(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                             enum vmm_action *action)
{
	*action = is_port_io(t->insn) ? VMM_ACT_DEVICE : VMM_ACT_EMULATED;
	return vmm_emulate(v, g, t, action);
}

static enum vmm_next route(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                           enum vmm_action *action)
{
	if (t->cause == TRAP_NONE || t->cause >= TRAP_NCAUSES) {
		vmm_kill(v, g, t, "the CPU reported an unknown trap");
		return VMM_NEXT_STOP;
	}
	/* 0. The rewriter's: a watch-map trap or a patch word.  Not a trap of
	 * the guest's, so not counted in its traps by cause. */
	enum vmm_next next;
	if (g->rw && vmm_rewrite_trap(v, g, t, &next, action))
		return next;
	if (t->cause == TRAP_WATCH) {
		vmm_kill(v, g, t, "a watch-map trap for a guest without a rewriter");
		return VMM_NEXT_STOP;
	}
	g->stats.traps[t->cause]++;

	/* 1. Privileged instruction, guest in virtual system mode: emulate it
	 * by its interpreter routine. */
	if (t->cause == TRAP_PRIV && (g->vm.status & PSW_S))
		return emulate(v, g, t, action);

	/* 2. A trap the guest takes on its own machine: reflect it. */
	if (!pg32_trap_is_interrupt(t->cause))
		return vmm_reflect_trap(v, g, t, action);

	/* 3. The real CPU has no devices here: an interrupt cannot happen. */
	vmm_kill(v, g, t, "unexpected interrupt from the real CPU");
	return VMM_NEXT_STOP;
}

enum vmm_next vmm_dispatch(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t)
{
	/* Nobody listens (tzvmm, the checker, the grader): no virtual PSW to
	 * keep and no event to build. */
	bool tell = v->on_event != NULL;
	struct vmm_vpsw before = { 0 };
	if (tell)
		before = vmm_guest_vpsw(g);
	enum vmm_action action = VMM_ACT_KILLED;
	enum vmm_next next = route(v, g, t, &action);
	/* Scanning code after a watch trap did nothing the guest could see. */
	if (tell && next != VMM_NEXT_RETRY) {
		/* A reflection can end the guest too (the trap-loop rule). */
		if (next == VMM_NEXT_STOP)
			action = VMM_ACT_KILLED;
		vmm_event_emit(v, g, t, action, &before);
	}
	return next;
}

/* Run g directly on the real CPU, up to its next virtual device event
 * (ev) and within the time slice: VMM_NEXT_RETRY if the budget ran out,
 * VMM_NEXT_STOP if g was killed, else the dispatcher's answer to the trap. */
static enum vmm_next run_direct(struct vmm *v, struct vmm_guest *g, uint64_t ev, uint64_t *left)
{
	struct cpu *vm = &g->vm;
	uint64_t stop = ev < g->limit ? ev : g->limit;
	uint64_t budget = stop - vm->clock < *left ? stop - vm->clock : *left;
	uint64_t before = vm->clock;
	vmm_world_load(v, g);
	struct cpu_exit ex = cpu_run(&v->cpu, budget);
	vmm_world_save(v, g);
	uint64_t ran = vm->clock - before;
	g->stats.direct += ran;
	*left -= ran < *left ? ran : *left;

	switch (ex.stop) {
	case CPU_STOP_BUDGET:
		return VMM_NEXT_RETRY;
	case CPU_STOP_TRAP:
		break;
	case CPU_STOP_HALT:
	case CPU_STOP_POWEROFF:
		/* Only system mode halts and only a bus powers off: the real
		 * CPU runs in user mode without a bus. */
		vmm_kill(v, g, NULL, "the real CPU stopped in user mode");
		return VMM_NEXT_STOP;
	}
	return vmm_dispatch(v, g, &ex.trap);
}

/* Run g on the real CPU until a trap has been delivered into it, it ended,
 * or the time slice (*left) or its instruction limit is spent.  The mirror
 * of cpu_run's outer loop (isa/cpu.c), with the virtual devices. */
static void run_until_delivery(struct vmm *v, struct vmm_guest *g, uint64_t *left)
{
	struct cpu *vm = &g->vm;
	for (;;) {
		/* ---- between instructions: devices, interrupts, halt ---- */
		uint64_t ev = vmm_vdev_next_event(g);
		if (vm->clock >= ev) {
			/* Only then has a device something to do. */
			vm->irq_pending |= vmm_vdev_tick(v, g);
			ev = vmm_vdev_next_event(g);
		}
		if (g->dev.powered_off) {
			guest_end(g, VMM_POWEROFF);
			return;
		}
		if ((vm->status & PSW_IE) && vm->irq_pending) {
			vmm_rewrite_invalidate(g, 0, PG32_TRAP_AREA_END);
			vmm_reflect_interrupt(v, g);
			return;
		}
		if (vm->waiting) {
			if (!(vm->status & PSW_IE) || ev == VMM_NEVER) {
				guest_end(g, VMM_HALTED);
				return;
			}
			/* Idle: the guest's clock jumps to its next device event.
			 * This costs no time slice: nothing runs. */
			uint64_t to = ev < g->limit ? ev : g->limit;
			g->stats.idle += to - vm->clock;
			vm->clock = to;
			if (vm->clock >= g->limit)
				return;
			continue;
		}
		if (vm->clock >= g->limit || *left == 0)
			return;

		/* ---- run directly, or interpret one instruction: the hybrid
		 * monitor in virtual system mode, or the rewriter while the
		 * guest's base straddles its watch map ---- */
		bool interpret = (g->hybrid && (vm->status & PSW_S)) ||
		                 (g->rw && vmm_rewrite_interprets(g));
		enum vmm_next next = interpret ? vmm_hybrid_step(v, g) : run_direct(v, g, ev, left);
		switch (next) {
		case VMM_NEXT_RETRY:
			/* Nothing (more) retired: the budget was spent, or code was
			 * scanned.  Run on. */
			continue;
		case VMM_NEXT_RESUME:
			/* Emulated: one retired instruction, like any other.  Then on
			 * to the device and interrupt checks, as cpu.c does after an
			 * instruction that may change IE or R. */
			if (*left)
				(*left)--;
			continue;
		case VMM_NEXT_DELIVERED:
		case VMM_NEXT_STOP:
			return;
		}
	}
}

void vmm_run_slice(struct vmm *v, struct vmm_guest *g, uint64_t quantum)
{
	uint64_t left = quantum;
	g->stats.slices++;
	while (g->end == VMM_RUNNING && left > 0) {
		/* bare_run checks the instruction limit between runs of the CPU:
		 * after a delivered trap and at the end of a budget. */
		if (g->vm.clock >= g->limit) {
			guest_end(g, VMM_LIMIT);
			return;
		}
		run_until_delivery(v, g, &left);
	}
}
