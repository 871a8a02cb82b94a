/*
 * reflect.c -- reflection: deliver a trap into the guest.
 *
 * A trap the guest would have taken on its bare machine (a user program's
 * svc, a bounds violation inside the guest, a privileged instruction in
 * virtual user mode, a virtual timer interrupt) is delivered by the same
 * PSW swap the hardware does, in the guest's memory, with its VIRTUAL PSW:
 * the old PSW, cause and detail go to the guest's physical 0x00..0x17, the
 * new PSW comes from its 0x20.  The swap is defined once, by
 * cpu_deliver_trap() in isa/cpu.c, applied here to the guest's virtual
 * machine (a struct cpu whose memory is the guest's region and whose
 * status and R are the virtual ones).  The new virtual R is composed with
 * the region the next time the guest runs.
 */
#include "vmm.h"

enum vmm_next vmm_reflect(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t)
{
	/* LAB reflect BEGIN
	 * TODO: deliver t into g by the PSW swap on its VIRTUAL machine (g->vm),
	 * counting it in g->stats (reflected, or interrupts for an interrupt).
	 * First bare_run's trap-loop rule: BARE_MAX_TRAPS_WITHOUT_PROGRESS
	 * deliveries in a row at the same clock end g with VMM_TRAP_LOOP
	 * (flush its console) and return VMM_NEXT_STOP.
	 * stub: vmm_kill(v, g, t, "vmm_reflect is not written yet");
	 * stub: return VMM_NEXT_STOP;
	 */
	(void)v;
	struct cpu *vm = &g->vm;
	/* bare_run's rule: traps delivered with no instruction retired in
	 * between (a new PSW that faults at once) end the machine, before the
	 * last one is delivered. */
	g->no_progress = vm->clock == g->last_delivery ? g->no_progress + 1 : 0;
	g->last_delivery = vm->clock;
	if (g->no_progress >= BARE_MAX_TRAPS_WITHOUT_PROGRESS) {
		g->end = VMM_TRAP_LOOP;
		vmm_vdev_flush(g);
		return VMM_NEXT_STOP;
	}
	if (pg32_trap_is_interrupt(t->cause))
		g->stats.interrupts++;
	else
		g->stats.reflected++;
	cpu_deliver_trap(vm, t);
	return VMM_NEXT_DELIVERED;
	/* LAB reflect END */
}

enum vmm_next vmm_reflect_interrupt(struct vmm *v, struct vmm_guest *g)
{
	/* LAB reflect BEGIN
	 * TODO: take g's pending virtual interrupt, the timer before the disk:
	 * clear its bit, build the trap (the saved pc is the next instruction
	 * to run; detail: the clock, or the disk status), end waiting, count
	 * it in g->stats.traps, reflect it, and tell listeners with
	 * vmm_event_emit (VMM_ACT_INTERRUPT, or VMM_ACT_KILLED if it stopped).
	 * stub: vmm_kill(v, g, NULL, "vmm_reflect_interrupt is not written yet");
	 * stub: return VMM_NEXT_STOP;
	 */
	struct cpu *vm = &g->vm;
	/* As take_interrupt in cpu.c: the timer first, then the disk; the
	 * saved pc is the next instruction to run. */
	struct cpu_trap t = { .pc = vm->pc, .insn_pc = vm->pc };
	if (vm->irq_pending & IRQ_TIMER) {
		vm->irq_pending &= ~IRQ_TIMER;
		t.cause = TRAP_TIMER;
		t.detail = (uint32_t)vm->clock;
	} else {
		vm->irq_pending &= ~IRQ_DISK;
		t.cause = TRAP_DISK;
		t.detail = g->dev.disk_status;
	}
	vm->waiting = false;
	g->stats.traps[t.cause]++;
	struct vmm_vpsw before = vmm_guest_vpsw(g);
	enum vmm_next next = vmm_reflect(v, g, &t);
	vmm_event_emit(v, g, &t, next == VMM_NEXT_STOP ? VMM_ACT_KILLED : VMM_ACT_INTERRUPT, &before);
	return next;
	/* LAB reflect END */
}
