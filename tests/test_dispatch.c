/*
 * test_dispatch.c -- the dispatcher's trap path (vmm/dispatch.c), made
 * cheap without changing what it does.
 *
 * The dispatcher sends a privileged instruction of virtual system mode
 * straight to its interpreter routine (vmm_interp), and builds no event
 * when nobody listens.  These tests hold it to the slower, general paths
 * it stands for: vmm_exec_word (hybrid.c, which runs any one word for a
 * guest, as the rewriter and the hybrid monitor do), and the same run with
 * a listener.  And the one thing it no longer checks itself, that only
 * privileged instructions have interpreter routines, is checked here.
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
#define STATES 300            /* random virtual machines per instruction */
#define DEFAULT_SEED 0x7A11u
#define PROGRAMS 40           /* random programs run with and without a listener */
#define PROGRAM_LIMIT 20000u  /* instructions each */
#define PSW_SITE 0x0800u      /* where lpsw finds a PSW in the random states */
#define LIMIT 100000u

/* Registers the random instructions name. */
enum { RA = PT_R1, RB = PT_R2 };

/* Every privileged instruction, and only those, has an interpreter routine:
 * the dispatcher emulates whatever word a priv trap reports that has one. */
static void test_routines_exactly_for_privileged(void **state)
{
	(void)state;
	for (unsigned op = 0; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		bool priv = info && (info->flags & ISA_F_PRIV);
		if (priv != vmm_interp_covers(op))
			fail_msg("opcode %u (%s): privileged %d, routine %d", op,
			         info ? info->mnemonic : "undefined", priv, vmm_interp_covers(op));
	}
}

/* A monitor with one guest of the well variant, in virtual system mode. */
static void one_guest(struct vmm **v, struct vmm_guest **g, struct pt_prog *p)
{
	char msg[MSG];
	struct pt_image pi;
	pt_image_of(&pi, p, PG32_LOAD_ADDR);
	struct vmm_config cfg = { .host_mem = 2 * MEM };
	assert_int_equal(vmm_create(v, &cfg, msg, sizeof msg), 0);
	struct vmm_guest_config gc = { .name = "d", .img = &pi.img, .mem_size = MEM };
	assert_int_equal(vmm_add_guest(*v, &gc, g, msg, sizeof msg), 0);
}

/* The privileged instruction op with operands RA, RB and a port. */
static uint32_t word_for(unsigned op)
{
	switch (op) {
	case ISA_OP_IN: return pt_enc(ISA_OP_IN, RA, 0, 0, PORT_TIMER_CLOCK);
	case ISA_OP_OUT: return pt_enc(ISA_OP_OUT, RA, 0, 0, PORT_TIMER_PERIOD);
	default: return pt_enc((enum isa_opcode)op, RA, RB, 0, 0);
	}
}

/* A random virtual machine: registers, flags and IE, and a virtual R that
 * lpsw's address may or may not fit (aligned or not, inside or out). */
static void random_state(struct vmm_guest *g)
{
	struct cpu *vm = &g->vm;
	for (unsigned i = 0; i < ISA_NREGS; i++)
		vm->r[i] = pt_rand32();
	vm->status = PSW_S | (pt_rand32() & (PSW_IE | PSW_FLAGS));
	vm->base = pt_rand_below(2) ? 0 : pt_rand_below(MEM / 2);
	vm->bound = pt_rand_below(4) ? MEM : pt_rand_below(MEM + MEM / 2);
	/* lpsw's address: mostly the PSW at PSW_SITE, sometimes misaligned,
	 * sometimes anywhere. */
	uint32_t near = pt_rand_below(4), skew = pt_rand_below(2) ? pt_rand_below(ISA_WORD_BYTES) : 0;
	vm->r[RA] = near ? PSW_SITE + skew : pt_rand32();
	vm->pc = PG32_LOAD_ADDR;
}

/* Everything of g a trap's handling can change, compared. */
static void assert_same_guest(const struct vmm_guest *a, const struct vmm_guest *b,
                              const char *what)
{
	const struct cpu *x = &a->vm, *y = &b->vm;
	for (unsigned i = 0; i < ISA_NREGS; i++)
		if (x->r[i] != y->r[i])
			fail_msg("%s: r%u 0x%08x, not 0x%08x", what, i, x->r[i], y->r[i]);
	if (x->pc != y->pc || x->status != y->status || x->base != y->base ||
	    x->bound != y->bound || x->clock != y->clock || x->waiting != y->waiting ||
	    x->irq_pending != y->irq_pending)
		fail_msg("%s: PSW (0x%x, 0x%x, 0x%x, 0x%x) clock %llu, not (0x%x, 0x%x, 0x%x, 0x%x) "
		         "clock %llu", what, x->status, x->pc, x->base, x->bound,
		         (unsigned long long)x->clock, y->status, y->pc, y->base, y->bound,
		         (unsigned long long)y->clock);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->stats.emulated, b->stats.emulated);
	assert_int_equal(a->stats.reflected, b->stats.reflected);
	assert_int_equal(a->dev.timer_period, b->dev.timer_period);
	assert_int_equal(a->dev.timer_next, b->dev.timer_next);
	pt_assert_mem_equal(x->mem, y->mem, x->mem_size, what);
}

/* For every privileged instruction, from random virtual machines in
 * virtual system mode: the dispatcher's direct path (its interpreter
 * routine, or the fault it takes reflected) leaves the guest exactly as
 * vmm_exec_word does with the same word. */
static void test_dispatch_equals_exec_word(void **state)
{
	(void)state;
	pt_rand_init("test_dispatch_equals_exec_word", DEFAULT_SEED);
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_put_psw(p.mem, PSW_SITE, PSW_S | PSW_Z, PG32_LOAD_ADDR, 0, MEM);
	pt_put_psw(p.mem, PG32_NEW_PSW, PSW_S, PG32_LOAD_ADDR, 0, MEM);
	unsigned faults = 0, emulated = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		if (!vmm_interp_covers(op))
			continue;
		uint32_t w = word_for(op);
		for (unsigned k = 0; k < STATES; k++) {
			struct vmm *va, *vb;
			struct vmm_guest *a, *b;
			one_guest(&va, &a, &p);
			one_guest(&vb, &b, &p);
			random_state(a);
			memcpy(b->vm.r, a->vm.r, sizeof b->vm.r);
			b->vm.pc = a->vm.pc;
			b->vm.status = a->vm.status;
			b->vm.base = a->vm.base;
			b->vm.bound = a->vm.bound;
			struct cpu_trap t = { .cause = TRAP_PRIV, .detail = w, .pc = a->vm.pc,
			                      .insn_pc = a->vm.pc, .insn = w };
			enum vmm_next na = vmm_dispatch(va, a, &t);
			enum vmm_action action;
			enum vmm_next nb = vmm_exec_word(vb, b, w, &action);
			char what[MSG];
			snprintf(what, sizeof what, "%s, state %u", isa_info(op)->mnemonic, k);
			if (na != nb)
				fail_msg("%s: dispatcher %d, exec_word %d", what, na, nb);
			assert_same_guest(a, b, what);
			assert_int_equal(a->stats.traps[TRAP_PRIV], 1);
			faults += na == VMM_NEXT_DELIVERED;
			emulated += na == VMM_NEXT_RESUME;
			vmm_destroy(va);
			vmm_destroy(vb);
		}
	}
	/* Both ways were taken: lpsw faulted from some of the states. */
	assert_true(faults > 0);
	assert_true(emulated > 0);
	pt_prog_free(&p);
}

/* Events a listener saw. */
struct seen {
	unsigned long long events;
	uint64_t hash;
};

static void listen(void *ctx, const struct vmm_event *e)
{
	struct seen *s = ctx;
	s->events++;
	s->hash = pt_fnv1a(s->hash, &e->trap.cause, sizeof e->trap.cause);
	s->hash = pt_fnv1a(s->hash, &e->action, sizeof e->action);
	s->hash = pt_fnv1a(s->hash, &e->clock, sizeof e->clock);
}

/* Run img under a fresh monitor (with a listener if s): its guest after. */
static void run_image(const struct image *img, uint32_t mem, isa_variant variant,
                      struct seen *s, struct vmm **v, struct vmm_guest **g)
{
	char msg[MSG];
	struct vmm_config cfg = { .host_mem = 2 * mem, .quantum = 97 };
	assert_int_equal(vmm_create(v, &cfg, msg, sizeof msg), 0);
	if (s) {
		(*v)->on_event = listen;
		(*v)->event_ctx = s;
	}
	struct vmm_guest_config gc = { .name = "r", .img = img, .mem_size = mem, .variant = variant,
	                               .max_instructions = PROGRAM_LIMIT };
	assert_int_equal(vmm_add_guest(*v, &gc, g, msg, sizeof msg), 0);
	vmm_run(*v);
}

/* Random programs of both variants run the same with a listener and
 * without (the dispatcher's path when nobody listens builds no event and
 * keeps no PSW), and the listener hears of every trap the guest took
 * (the rewriter's own traps and its patch words aside). */
static void test_listener_changes_nothing(void **state)
{
	(void)state;
	const char *env = getenv("PG32_TEST_SEED");
	uint64_t base = env ? strtoull(env, NULL, 0) : DEFAULT_SEED;
	printf("test_listener_changes_nothing: seeds %llu..%llu (set PG32_TEST_SEED to replay)\n",
	       (unsigned long long)base, (unsigned long long)(base + PROGRAMS - 1));
	unsigned long long heard = 0;
	for (uint64_t i = 0; i < PROGRAMS; i++) {
		isa_variant variant = i % 2 ? isa_variant_all_ill() : ISA_VARIANT_WELL;
		struct vmm_randprog rp;
		assert_int_equal(vmm_rand_generate_variant(base + i, variant, &rp), 0);
		struct seen s = { 0, PT_FNV_OFFSET };
		struct vmm *va, *vb;
		struct vmm_guest *a, *b;
		run_image(&rp.img, rp.mem_size, variant, NULL, &va, &a);
		run_image(&rp.img, rp.mem_size, variant, &s, &vb, &b);
		char what[MSG];
		snprintf(what, sizeof what, "seed %llu", (unsigned long long)(base + i));
		assert_same_guest(a, b, what);
		assert_memory_equal(a->stats.traps, b->stats.traps, sizeof a->stats.traps);
		uint64_t traps = 0;
		for (unsigned c = 0; c < TRAP_NCAUSES; c++)
			traps += a->stats.traps[c];
		/* Each trap by cause is one event, plus one per patch word run. */
		if (s.events < traps)
			fail_msg("%s: %llu events for %llu traps", what, s.events,
			         (unsigned long long)traps);
		heard += s.events;
		vmm_destroy(va);
		vmm_destroy(vb);
		vmm_rand_free(&rp);
	}
	assert_true(heard > 0);
}

/* lpsw from words the rewriter has patched (code that was run, then read
 * as a PSW) loads the originals, as the bare machine does: the dispatcher
 * puts them back before the interpreter routine reads guest memory. */
static void test_lpsw_of_patched_words(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	/* Run the block at PSW_SITE once, so that its critical instruction
	 * is patched; then lpsw from it: status := the nop (user mode, all
	 * clear), pc := the srr word.  That pc is far outside memory: the
	 * fetch there faults into the handler at the new PSW, which powers
	 * off; the trap words keep the pc for the checker to compare. */
	pt_jump(&p, ISA_OP_CALL, PSW_SITE);
	pt_li(&p, PT_R2, PSW_SITE);
	pt_op(&p, ISA_OP_LPSW, PT_R2, 0, 0, 0);
	uint32_t handler = pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_out_imm(&p, PT_R12, PORT_POWER_OFF, 0);
	p.pc = PSW_SITE;
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_op(&p, ISA_OP_SRR, PT_R3, PT_R4, 0, 0);
	pt_op(&p, ISA_OP_JR, PT_LR, 0, 0, 0);
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_put_psw(p.mem, PG32_NEW_PSW, PSW_S, handler, 0, MEM);

	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_check_config cfg = { .mem_size = MEM, .max_instructions = LIMIT,
	                                .rewrite = VMM_REWRITE_DYNAMIC, .first_divergence = true };
	char msg[MSG];
	assert_int_equal(isa_variant_parse("ill:srr", &cfg.variant, msg, sizeof msg), 0);
	struct vmm_check_result res;
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	char line[MSG * 2];
	vmm_check_format(&res, line, sizeof line);
	if (!res.equivalent)
		fail_msg("%s", line);
	assert_int_equal(res.end, VMM_POWEROFF);

	/* And the srr was patched indeed, so the test could fail. */
	struct vmm *v;
	struct vmm_config vc = { .host_mem = 2 * MEM };
	assert_int_equal(vmm_create(&v, &vc, msg, sizeof msg), 0);
	struct vmm_guest_config gc = { .name = "p", .img = &pi.img, .mem_size = MEM,
	                               .variant = cfg.variant, .rewrite = VMM_REWRITE_DYNAMIC,
	                               .max_instructions = LIMIT };
	struct vmm_guest *g;
	assert_int_equal(vmm_add_guest(v, &gc, &g, msg, sizeof msg), 0);
	vmm_run(v);
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_true(g->stats.patches >= 1);
	assert_true(g->stats.rescans >= 1); /* the lpsw put the original back */
	vmm_destroy(v);
	pt_prog_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routines_exactly_for_privileged),
		cmocka_unit_test(test_dispatch_equals_exec_word),
		cmocka_unit_test(test_listener_changes_nothing),
		cmocka_unit_test(test_lpsw_of_patched_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
