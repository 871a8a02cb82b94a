/*
 * test_decode_once.c -- decode once (issue 8): the monitor emulates a
 * trapping instruction from the word the CPU reported in the trap, never
 * by fetching it again from guest memory after the trap.
 *
 * For every privileged instruction the monitor has an interpreter routine
 * for, a guest in virtual system mode runs it; the real CPU traps
 * (cpu_run returns the trap, as in dispatch.c's run_until_delivery); then,
 * before vmm_dispatch, the word in guest memory at the trapping pc is
 * replaced by a different privileged instruction -- what a second CPU of
 * the guest, or a DMA transfer, could do in that window.  The emulation
 * must do exactly what the reported word says: the virtual machine after
 * it is the same as without the change.  And so that the test can fail,
 * the substituted word, when it is the one that traps, gives a different
 * virtual machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg32_test.h"
#include "vmm.h"

#define MEM PT_MEM_SIZE
#define MSG 256
#define PSW_AT 0x0800u       /* the PSW lpsw loads */
#define USER_PC 0x0900u      /* where rtu and that PSW go */
#define R_BASE 0x0040u       /* the R the substitute lrr sets */
#define R_BOUND 0x0080u
#define FLAGS_WORD (PSW_IE | PSW_Z | PSW_C)
#define OUT_VALUE 0x1234u
#define BUDGET 1000u

/* Registers the instructions use; set before the instruction runs. */
enum { RA = PT_R1, RB = PT_R2, RFLAGS = PT_R3, RPC = PT_R4, RPSW = PT_R5, RVAL = PT_R6,
       RD1 = PT_R7, RD2 = PT_R8 };

/* The instruction of opcode op under test, with operands from the registers
 * above, by its format. */
static uint32_t insn_for(unsigned op)
{
	switch (op) {
	case ISA_OP_LPSW: return pt_enc(ISA_OP_LPSW, RPSW, 0, 0, 0);
	case ISA_OP_LRR: return pt_enc(ISA_OP_LRR, RA, RB, 0, 0);
	case ISA_OP_SRR: return pt_enc(ISA_OP_SRR, RD1, RD2, 0, 0);
	case ISA_OP_RDPSW: return pt_enc(ISA_OP_RDPSW, RD1, 0, 0, 0);
	case ISA_OP_WRFL: return pt_enc(ISA_OP_WRFL, RFLAGS, 0, 0, 0);
	case ISA_OP_RTU: return pt_enc(ISA_OP_RTU, RPC, 0, 0, 0);
	case ISA_OP_IN: return pt_enc(ISA_OP_IN, RD1, 0, 0, PORT_TIMER_CLOCK);
	case ISA_OP_OUT: return pt_enc(ISA_OP_OUT, RVAL, 0, 0, PORT_TIMER_PERIOD);
	case ISA_OP_HALT: return pt_enc(ISA_OP_HALT, 0, 0, 0, 0);
	default: break;
	}
	/* A privileged instruction this test does not know yet: its format
	 * with the registers above (a new one should get its own line). */
	return pt_enc((enum isa_opcode)op, RA, RB, RVAL, 0);
}

/* A different privileged instruction with a visible effect. */
static uint32_t substitute_for(unsigned op)
{
	return op == ISA_OP_LRR ? pt_enc(ISA_OP_HALT, 0, 0, 0, 0) : pt_enc(ISA_OP_LRR, RA, RB, 0, 0);
}

/* What the emulation left: everything of the virtual machine an
 * interpreter routine can change. */
struct after {
	enum vmm_next next;
	enum vmm_end end;
	uint32_t r[ISA_NREGS];
	uint32_t pc, status, base, bound;
	uint64_t clock;
	bool waiting;
	uint32_t irq_pending;
	uint32_t timer_period;
	uint64_t timer_next, emulated;
	bool powered_off;
};

/* Run the guest whose instruction at the trap site is `word` to its trap;
 * if swap, put `swap_word` there before dispatching.  *after as it is. */
static void run_once(uint32_t word, bool swap, uint32_t swap_word, struct after *out)
{
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_li(&p, RA, R_BASE);
	pt_li(&p, RB, R_BOUND);
	pt_li(&p, RFLAGS, FLAGS_WORD);
	pt_li(&p, RPC, USER_PC);
	pt_li(&p, RPSW, PSW_AT);
	pt_li(&p, RVAL, OUT_VALUE);
	pt_put_psw(p.mem, PSW_AT, PSW_Z, USER_PC, 0, MEM);
	uint32_t site = pt_word(&p, word);

	char msg[MSG];
	struct vmm_config cfg = { .host_mem = 2 * MEM };
	struct vmm *v;
	assert_int_equal(vmm_create(&v, &cfg, msg, sizeof msg), 0);
	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_guest_config gc = { .name = "decode", .img = &pi.img, .mem_size = MEM };
	struct vmm_guest *g;
	assert_int_equal(vmm_add_guest(v, &gc, &g, msg, sizeof msg), 0);

	/* The CPU runs the guest (real user mode) to the trap. */
	vmm_world_load(v, g);
	struct cpu_exit ex = cpu_run(&v->cpu, BUDGET);
	vmm_world_save(v, g);
	assert_int_equal(ex.stop, CPU_STOP_TRAP);
	assert_int_equal(ex.trap.cause, TRAP_PRIV);
	assert_int_equal(ex.trap.insn_pc, site);
	assert_int_equal(ex.trap.insn, word);

	/* The window between the trap and the emulation. */
	if (swap)
		pg32_store32(g->vm.mem + site, swap_word);
	out->next = vmm_dispatch(v, g, &ex.trap);

	out->end = g->end;
	memcpy(out->r, g->vm.r, sizeof out->r);
	out->pc = g->vm.pc;
	out->status = g->vm.status;
	out->base = g->vm.base;
	out->bound = g->vm.bound;
	out->clock = g->vm.clock;
	out->waiting = g->vm.waiting;
	out->irq_pending = g->vm.irq_pending;
	out->timer_period = g->dev.timer_period;
	out->timer_next = g->dev.timer_next;
	out->emulated = g->stats.emulated;
	out->powered_off = g->dev.powered_off;
	vmm_destroy(v);
	pt_prog_free(&p);
}

static bool after_equal(const struct after *a, const struct after *b)
{
	return a->next == b->next && a->end == b->end && !memcmp(a->r, b->r, sizeof a->r) &&
	       a->pc == b->pc && a->status == b->status && a->base == b->base &&
	       a->bound == b->bound && a->clock == b->clock && a->waiting == b->waiting &&
	       a->irq_pending == b->irq_pending && a->timer_period == b->timer_period &&
	       a->timer_next == b->timer_next && a->emulated == b->emulated &&
	       a->powered_off == b->powered_off;
}

/* Every privileged instruction with an interpreter routine: the word in
 * memory changed after the trap does not change the emulation. */
static void test_emulation_uses_the_reported_word(void **state)
{
	(void)state;
	unsigned tested = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		if (!info || !(info->flags & ISA_F_PRIV) || !vmm_interp_covers(op))
			continue;
		uint32_t word = insn_for(op), other = substitute_for(op);
		struct after plain, swapped, theirs;
		run_once(word, false, 0, &plain);
		run_once(word, true, other, &swapped);
		run_once(other, false, 0, &theirs);
		assert_int_equal(plain.emulated, 1);
		if (!after_equal(&plain, &swapped))
			fail_msg("%s: the emulation followed the word in memory, not the trap's",
			         info->mnemonic);
		if (after_equal(&plain, &theirs))
			fail_msg("%s: the substitute does the same; the test would not see a re-fetch",
			         info->mnemonic);
		tested++;
	}
	/* Every privileged instruction of the table has a routine, so all
	 * were tested. */
	unsigned privileged = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++)
		privileged += isa_info(op) && (isa_info(op)->flags & ISA_F_PRIV);
	assert_int_equal(tested, privileged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulation_uses_the_reported_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
