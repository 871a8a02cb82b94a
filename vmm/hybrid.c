/*
 * hybrid.c -- the hybrid monitor (Popek and Goldberg's Theorem 3), and the
 * one routine that runs a single instruction word for a guest.
 *
 * Theorem 3: if the user-sensitive instructions of a machine are a subset
 * of its privileged instructions, a HYBRID monitor can be built: it runs
 * the guest's virtual user mode directly, and INTERPRETS every instruction
 * the guest runs in virtual system mode.  Under `ill:rtu` that holds: rtu,
 * the JRST-1 twin, is sensitive only in system mode (in user mode it is a
 * mere jump on the bare machine too), so a guest in virtual user mode can
 * run on the real CPU, and virtual system mode never reaches the real CPU.
 * So it does under `ill:rdpsw` and `ill:wrfl`: in user mode rdpsw shows
 * user mode (mode-sensitivity does not count, docs/classify.md) and wrfl
 * leaves IE alone, the same on the real CPU as on the bare machine.  Its
 * price is the efficiency figure: every system-mode instruction is
 * emulated.  Under `ill:srr` the critical instruction is location-sensitive
 * in user mode (it reads the real R), the theorem does not apply, and the
 * monitor says so in its log (tzvmm still runs the guest).
 *
 * The interpreter fetches through the guest's virtual R from its memory,
 * with the bare machine's checks (alignment, bounds), and then runs the
 * word by vmm_exec_word, as the rewriter runs a patched original:
 *
 *   - a privileged instruction in virtual system mode: its interpreter
 *     routine (interp.c), against the virtual state and devices;
 *   - anything else: cpu_exec_word on the guest's virtual machine, the
 *     same instruction cases as the real CPU (no second copy of any
 *     instruction's meaning), with the guest's virtual mode and R;
 *   - a trap the instruction takes is reflected into the guest.
 *
 * Devices, interrupts and the clock are the dispatcher's loop's, which
 * calls vmm_hybrid_step once per instruction (dispatch.c).
 */
#include "vmm.h"

bool vmm_hybrid_virtualizable(isa_variant v)
{
	/* User-sensitive: control- or location-sensitive in user mode.  Of the
	 * ill behaviours only reading the real R is (see isa.def's column). */
	for (unsigned op = 1; op < ISA_NOPS; op++)
		if ((v & ISA_VARIANT_BIT(op)) && isa_info(op)->ill == ISA_ILL_REVEAL_R)
			return false;
	return true;
}

enum vmm_next vmm_emulate(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                          enum vmm_action *action)
{
	const struct cpu *vm = &g->vm;
	struct isa_insn in;
	if (g->rw && ISA_WORD_OPCODE(t->insn) == ISA_OP_LPSW && isa_decode(t->insn, &in) == 0) {
		/* lpsw's routine reads the PSW from guest memory: originals there. */
		uint32_t a = vm->r[in.rd];
		if (cpu_access_ok(vm->base, vm->bound, vm->mem_size, a, PSW_BYTES))
			vmm_rewrite_invalidate(g, vm->base + a, PSW_BYTES);
	}
	struct cpu_trap fault;
	switch (vmm_interp(v, g, t, &fault)) {
	case VMM_INTERP_DONE:
		g->stats.emulated++;
		return VMM_NEXT_RESUME;
	case VMM_INTERP_FAULT:
		/* It faults on the guest's machine too (lpsw from outside its R,
		 * say): the guest takes that fault instead. */
		return vmm_reflect_trap(v, g, &fault, action);
	case VMM_INTERP_BAD:
		break;
	}
	/* Only a broken CPU reports such a word (not decodable, or no
	 * routine: every privileged instruction has one, and only those, as
	 * tests/test_dispatch.c checks): do not emulate it. */
	vmm_kill(v, g, t, "no interpreter routine for this privileged instruction");
	*action = VMM_ACT_KILLED;
	return VMM_NEXT_STOP;
}

enum vmm_next vmm_exec_word(struct vmm *v, struct vmm_guest *g, uint32_t w,
                            enum vmm_action *action)
{
	struct cpu *vm = &g->vm;
	const struct isa_opinfo *info = isa_info(ISA_WORD_OPCODE(w));
	struct isa_insn in;
	if ((vm->status & PSW_S) && info && (info->flags & ISA_F_PRIV) && isa_decode(w, &in) == 0) {
		struct cpu_trap t = { .cause = TRAP_PRIV, .detail = w, .pc = vm->pc,
		                      .insn_pc = vm->pc, .insn = w };
		return vmm_emulate(v, g, &t, action);
	}

	/* Any other instruction, or any in virtual user mode, runs on the
	 * guest's virtual machine.  Under dynamic rewriting its loads and
	 * stores are watched like the guest's own. */
	const struct vmm_rewrite *rw = g->rw;
	if (rw && rw->map) {
		vm->watch = rw->map;
		vm->watch_base = 0;
		vm->watch_words = rw->words;
	}
	struct cpu_exit ex = cpu_exec_word(vm, w);
	vm->watch = NULL;
	if (ex.stop != CPU_STOP_TRAP) {
		g->stats.emulated++;
		return VMM_NEXT_RESUME;
	}
	if (ex.trap.cause == TRAP_WATCH) {
		/* A load of a patched word or a store into scanned code: the
		 * rewriter does it (and counts it). */
		enum vmm_next next = VMM_NEXT_STOP;
		if (vmm_rewrite_trap(v, g, &ex.trap, &next, action))
			return next;
		vmm_kill(v, g, &ex.trap, "a watch-map trap without a rewriter");
		*action = VMM_ACT_KILLED;
		return VMM_NEXT_STOP;
	}
	/* svc, brk, hcall retired (the clock counts them), faults did not:
	 * either way the guest's bare machine would take the trap now, and it
	 * counts among the guest's traps as one the CPU reported would. */
	g->stats.traps[ex.trap.cause]++;
	return vmm_reflect_trap(v, g, &ex.trap, action);
}

/* Also the rewriter's way to run a guest whose instructions it cannot
 * watch (vmm_rewrite_interprets): the fetch then sees originals. */
enum vmm_next vmm_hybrid_step(struct vmm *v, struct vmm_guest *g)
{
	struct cpu *vm = &g->vm;
	struct vmm_vpsw before = vmm_guest_vpsw(g);
	enum vmm_action action = VMM_ACT_INTERPRETED;
	enum vmm_next next;
	/* The fetch, with the bare machine's checks in its order. */
	struct cpu_trap t = { .pc = vm->pc, .insn_pc = vm->pc, .detail = vm->pc };
	if (vm->pc & (ISA_WORD_BYTES - 1)) {
		t.cause = TRAP_ALIGN;
		g->stats.traps[t.cause]++;
		next = vmm_reflect_trap(v, g, &t, &action);
	} else if (!cpu_access_ok(vm->base, vm->bound, vm->mem_size, vm->pc, ISA_WORD_BYTES)) {
		t.cause = TRAP_MEMORY;
		g->stats.traps[t.cause]++;
		next = vmm_reflect_trap(v, g, &t, &action);
	} else {
		t.insn = vmm_rewrite_fetch(g, vm->base + vm->pc);
		g->stats.interpreted++;
		next = vmm_exec_word(v, g, t.insn, &action);
	}
	vmm_event_emit(v, g, &t, action, &before);
	return next;
}
