/*
 * interp.c -- the interpreter routines: one per privileged instruction.
 *
 * When a guest in VIRTUAL system mode executes a privileged instruction,
 * the real CPU (which runs it in real user mode) traps, and the dispatcher
 * calls vmm_interp().  The routine does to the guest's VIRTUAL state what
 * the instruction does to a bare machine in system mode (compare the cases
 * in isa/cpu.c line by line): its virtual PSW (mode, IE, flags), its virtual
 * R, its registers and pc, its virtual devices.  It counts as exactly one
 * retired instruction, so the guest's clock, and with it its timer and disk,
 * runs as on the bare machine.
 *
 * Decode once: the routine works from the word the CPU reported in the trap
 * (trap.insn), never by fetching it again from guest memory, which the guest
 * could have changed in the meantime on a machine with more than one CPU.
 */
#include "vmm.h"

typedef enum vmm_interp_result (*interp_fn)(struct vmm *v, struct vmm_guest *g,
                                            const struct isa_insn *in, struct cpu_trap *fault);

/* The instruction retires: clock + 1 and the next pc, like NEXT() in cpu.c. */
static enum vmm_interp_result retire(struct cpu *vm, uint32_t next_pc)
{
	vm->pc = next_pc;
	vm->clock++;
	return VMM_INTERP_DONE;
}

#define NEXT_PC(vm) ((vm)->pc + ISA_WORD_BYTES)

/* lpsw rd: PSW := the four words at virtual address rd (under the virtual R). */
static enum vmm_interp_result interp_lpsw(struct vmm *v, struct vmm_guest *g,
                                          const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: lpsw rd: load the four PSW words at VIRTUAL address r[rd] into the
	 * guest's virtual status, pc and R.  Check first, as cpu.c does: a
	 * misaligned address is TRAP_ALIGN, one outside the virtual R is
	 * TRAP_MEMORY (fill *fault and return VMM_INTERP_FAULT).  Keep only
	 * the PSW_VALID bits of the status.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v;
	struct cpu *vm = &g->vm;
	uint32_t a = vm->r[in->rd];
	/* The same checks, in the same order, as CHECK_ACCESS in cpu.c: a
	 * misaligned or out-of-R address is a fault of the guest's own. */
	if (a & (ISA_WORD_BYTES - 1) || !cpu_access_ok(vm->base, vm->bound, vm->mem_size, a, PSW_BYTES)) {
		fault->cause = (a & (ISA_WORD_BYTES - 1)) ? TRAP_ALIGN : TRAP_MEMORY;
		fault->detail = a;
		return VMM_INTERP_FAULT;
	}
	const uint8_t *p = vm->mem + vm->base + a;
	uint32_t status = pg32_load32(p + PSW_OFF_STATUS) & PSW_VALID;
	uint32_t pc = pg32_load32(p + PSW_OFF_PC);
	uint32_t base = pg32_load32(p + PSW_OFF_BASE);
	uint32_t bound = pg32_load32(p + PSW_OFF_BOUND);
	/* The new virtual PSW; the world switch composes the new R. */
	vm->status = status;
	vm->base = base;
	vm->bound = bound;
	return retire(vm, pc);
	/* LAB interp END */
}

/* lrr rd, rs: R := (rd, rs).  Only the virtual R changes; the real R is
 * recomposed from it when the guest next runs. */
static enum vmm_interp_result interp_lrr(struct vmm *v, struct vmm_guest *g,
                                         const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: lrr rd, rs: the virtual R := (r[rd], r[rs]); then retire.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v, (void)fault;
	struct cpu *vm = &g->vm;
	vm->base = vm->r[in->rd];
	vm->bound = vm->r[in->rs];
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

/* srr rd, rs: rd := R.base; rs := R.bound -- the VIRTUAL R, never the real
 * one (the guest must not learn where it lives). */
static enum vmm_interp_result interp_srr(struct vmm *v, struct vmm_guest *g,
                                         const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: srr rd, rs: rd := the VIRTUAL R's base, rs := its bound (in that
	 * order); then retire.  Never the real R.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v, (void)fault;
	struct cpu *vm = &g->vm;
	vm->r[in->rd] = vm->base;
	vm->r[in->rs] = vm->bound; /* after rd, as in cpu.c, for srr r1, r1 */
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

/* rdpsw rd: rd := the virtual status word (system mode, as the guest thinks). */
static enum vmm_interp_result interp_rdpsw(struct vmm *v, struct vmm_guest *g,
                                           const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: rdpsw rd: rd := the virtual status word; then retire.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v, (void)fault;
	struct cpu *vm = &g->vm;
	vm->r[in->rd] = vm->status;
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

/* wrfl rd: flags := rd.flags; IE := rd.IE (the virtual IE). */
static enum vmm_interp_result interp_wrfl(struct vmm *v, struct vmm_guest *g,
                                          const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: wrfl rd: the flags and IE of the virtual status := those of r[rd];
	 * the mode bit stays; then retire.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v, (void)fault;
	struct cpu *vm = &g->vm;
	vm->status = (vm->status & PSW_S) | (vm->r[in->rd] & (PSW_IE | PSW_FLAGS));
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

/* rtu rd: virtual mode := user; pc := rd.  A misaligned rd is not checked
 * here: the next fetch faults, on the real CPU as on the bare one. */
static enum vmm_interp_result interp_rtu(struct vmm *v, struct vmm_guest *g,
                                         const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: rtu rd: virtual mode := user; pc := r[rd] (it retires there).
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v, (void)fault;
	struct cpu *vm = &g->vm;
	vm->status &= ~PSW_S;
	return retire(vm, vm->r[in->rd]);
	/* LAB interp END */
}

/* in rd, port: from the guest's virtual device, at the clock after this
 * instruction retires (as cpu.c passes "stop - left + 1"). */
static enum vmm_interp_result interp_in(struct vmm *v, struct vmm_guest *g,
                                        const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: in rd, port: rd := vmm_vdev_in(...) at the clock after this
	 * instruction retires; then retire.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)fault;
	struct cpu *vm = &g->vm;
	vm->r[in->rd] = vmm_vdev_in(v, g, (uint32_t)in->imm, vm->clock + 1);
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

/* out rd, port: to the guest's virtual device. */
static enum vmm_interp_result interp_out(struct vmm *v, struct vmm_guest *g,
                                         const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: out rd, port: vmm_vdev_out(...) at the clock after this instruction
	 * retires; then retire.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)fault;
	struct cpu *vm = &g->vm;
	vmm_vdev_out(v, g, (uint32_t)in->imm, vm->r[in->rd], vm->clock + 1);
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

/* halt: the virtual CPU waits.  The dispatcher then idles the guest to its
 * next virtual event (virtual IE = 1) or ends it (IE = 0, or nothing). */
static enum vmm_interp_result interp_halt(struct vmm *v, struct vmm_guest *g,
                                          const struct isa_insn *in, struct cpu_trap *fault)
{
	/* LAB interp BEGIN
	 * TODO: halt: the virtual CPU waits (vm->waiting); then retire.
	 * stub: (void)v, (void)g, (void)in, (void)fault;
	 * stub: return VMM_INTERP_BAD;
	 */
	(void)v, (void)in, (void)fault;
	struct cpu *vm = &g->vm;
	vm->waiting = true;
	return retire(vm, NEXT_PC(vm));
	/* LAB interp END */
}

static const interp_fn interp_table[ISA_NOPS] = {
	[ISA_OP_LPSW] = interp_lpsw,
	[ISA_OP_LRR] = interp_lrr,
	[ISA_OP_SRR] = interp_srr,
	[ISA_OP_RDPSW] = interp_rdpsw,
	[ISA_OP_WRFL] = interp_wrfl,
	[ISA_OP_RTU] = interp_rtu,
	[ISA_OP_IN] = interp_in,
	[ISA_OP_OUT] = interp_out,
	[ISA_OP_HALT] = interp_halt,
};

bool vmm_interp_covers(unsigned op)
{
	return op < ISA_NOPS && interp_table[op] != NULL;
}

enum vmm_interp_result vmm_interp(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                                  struct cpu_trap *fault)
{
	struct isa_insn in;
	if (isa_decode(t->insn, &in) != 0 || !vmm_interp_covers(in.op))
		return VMM_INTERP_BAD;
	/* A fault of the emulated instruction is reported like the CPU's:
	 * nothing retired, pc and insn of the instruction. */
	*fault = (struct cpu_trap){ .pc = t->insn_pc, .insn_pc = t->insn_pc, .insn = t->insn };
	/* The CPU left pc at the trapping instruction (a fault); the routine
	 * moves it on when the instruction retires. */
	return interp_table[in.op](v, g, &in, fault);
}
