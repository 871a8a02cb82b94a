/*
 * test_dbg.c -- the debugger's core (dbg/dbg.c, dbg/dbg_cmd.c) and the
 * monitor's snapshots (vmm/snapshot.c): stepping over a privileged
 * instruction logs its trap, breakpoints, catchpoints and watchpoints stop,
 * reverse-step comes back to exactly the previous state (registers, PSW,
 * clock, memory, console), snapshots stay bounded, and no command line can
 * crash the parser.
 *
 * The guests are built in C with the pg32_test helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dbg.h"
#include "pg32_test.h"

#define USER_PSW 0x40u        /* where the program keeps the PSW lpsw loads */
#define LOOP_COUNT 5
#define LONG_RUN 300000u      /* instructions of the long-loop guest */
#define SMALL_INTERVAL 1000u  /* snapshot interval for the long run */
#define FUZZ_LINES 20000
#define FUZZ_LEN 40

/* The test program and the addresses the tests look at. */
struct prog {
	struct pt_prog p;
	struct pt_image im;
	uint32_t out_sys, loop, lpsw, user, out_user, handler;
};

/*
 * system mode:  movi r1,'A'; out r1 (device); r2 := 5; loop: r2 -= 1, bne loop;
 *               lpsw USER_PSW (to user mode at `user`)
 * user mode:    movi r4, 7; out r4 (privileged: reflected to the handler)
 * handler:      movi r5,'B'; out r5; power off
 */
static void build(struct prog *g)
{
	struct pt_prog *p = &g->p;
	pt_prog_init(p, PT_MEM_SIZE);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, 'A');
	g->out_sys = pt_op(p, ISA_OP_OUT, PT_R1, 0, 0, PORT_CONSOLE_OUT);
	pt_op(p, ISA_OP_MOVI, PT_R2, 0, 0, LOOP_COUNT);
	g->loop = pt_op(p, ISA_OP_ADDI, PT_R2, PT_R2, 0, -1);
	pt_op(p, ISA_OP_CMPI, PT_R2, 0, 0, 0);
	pt_jump(p, ISA_OP_BNE, g->loop);
	pt_op(p, ISA_OP_MOVI, PT_R3, 0, 0, USER_PSW);
	g->lpsw = pt_op(p, ISA_OP_LPSW, PT_R3, 0, 0, 0);
	g->user = pt_op(p, ISA_OP_MOVI, PT_R4, 0, 0, 7);
	g->out_user = pt_op(p, ISA_OP_OUT, PT_R4, 0, 0, PORT_CONSOLE_OUT);
	g->handler = pt_op(p, ISA_OP_MOVI, PT_R5, 0, 0, 'B');
	pt_op(p, ISA_OP_OUT, PT_R5, 0, 0, PORT_CONSOLE_OUT);
	pt_out_imm(p, PT_R6, PORT_POWER_OFF, 0);
	pt_put_psw(p->mem, PG32_NEW_PSW, PSW_S, g->handler, 0, PT_MEM_SIZE);
	pt_put_psw(p->mem, USER_PSW, 0, g->user, 0, PT_MEM_SIZE);
	pt_image_of(&g->im, p, PG32_LOAD_ADDR);
}

/* movi r1, 0; loop: addi r1, r1, 1; b loop (for ever) */
static void build_loop(struct prog *g)
{
	struct pt_prog *p = &g->p;
	pt_prog_init(p, PT_MEM_SIZE);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	g->loop = pt_op(p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_jump(p, ISA_OP_B, g->loop);
	pt_image_of(&g->im, p, PG32_LOAD_ADDR);
}

static struct dbg *session_of(struct prog *g, uint64_t max, uint64_t interval, bool bare)
{
	struct dbg_config cfg = { .vmm = { .host_mem = 4 * PT_MEM_SIZE }, .mem_size = PT_MEM_SIZE,
	                          .max_instructions = max, .snap_interval = interval, .bare = bare };
	const char *names[] = { "t" };
	struct dbg *d;
	char msg[256];
	if (dbg_create(&d, &cfg, &g->im.img, names, 1, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	return d;
}

static struct dbg *session(struct prog *g, uint64_t max, uint64_t interval)
{
	return session_of(g, max, interval, false);
}

static struct vmm_guest *G(struct dbg *d)
{
	return d->guests[d->focus].g;
}

static const struct dbg_trap *last_trap(const struct dbg *d)
{
	assert_true(d->nlog > 0);
	return &d->log[d->nlog - 1];
}

/* Stepping over out in virtual system mode: one DEVICE trap, the pc moves
 * on by one word, the console has the byte. */
static void test_step_over_out_in_system_mode(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	dbg_step(d, 1);
	assert_int_equal(d->nlog, 0);
	dbg_step(d, 1);
	assert_int_equal(d->nlog, 1);
	const struct dbg_trap *t = last_trap(d);
	assert_int_equal(t->trap.cause, TRAP_PRIV);
	assert_int_equal(t->action, VMM_ACT_DEVICE);
	assert_int_equal(t->trap.insn_pc, g.out_sys);
	assert_int_equal(G(d)->vm.pc, g.out_sys + ISA_WORD_BYTES);
	size_t len;
	const char *con = dbg_console(d, 0, &len);
	assert_int_equal(len, 1);
	assert_memory_equal(con, "A", 1);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* A privileged instruction in virtual user mode: stepping over it stops at
 * the guest's handler, and the timeline has a REFLECTED priv trap from the
 * user lane to the kernel. */
static void test_step_over_privileged_in_user_mode(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	assert_true(dbg_break_add(d, DBG_BREAK_PC, 0, g.out_user, 0, false) > 0);
	assert_int_equal(dbg_continue(d), DBG_STOP_BREAK);
	assert_int_equal(G(d)->vm.pc, g.out_user);
	assert_int_equal(G(d)->vm.status & PSW_S, 0);
	dbg_step(d, 1);
	const struct dbg_trap *t = last_trap(d);
	assert_int_equal(t->trap.cause, TRAP_PRIV);
	assert_int_equal(t->action, VMM_ACT_REFLECTED);
	assert_int_equal(t->before.status & PSW_S, 0);
	assert_int_equal(t->after.status & PSW_S, PSW_S);
	assert_int_equal(G(d)->vm.pc, g.handler);
	struct dbg_text out = { 0 };
	dbg_trap_explain(d, t, &out);
	assert_non_null(strstr(out.s, "reflected"));
	dbg_text_free(&out);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* A breakpoint stops every time its pc comes round. */
static void test_breakpoint_stops_each_iteration(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	dbg_break_add(d, DBG_BREAK_PC, 0, g.loop, 0, false);
	for (int i = LOOP_COUNT; i > 0; i--) {
		assert_int_equal(dbg_continue(d), DBG_STOP_BREAK);
		assert_int_equal(G(d)->vm.pc, g.loop);
		assert_int_equal(G(d)->vm.r[PT_R2], (uint32_t)i);
	}
	assert_int_equal(dbg_continue(d), DBG_STOP_ENDED);
	assert_int_equal(G(d)->end, VMM_POWEROFF);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* Reverse-step returns to exactly the state before each step: registers,
 * PSW, clock, memory, console, trap log -- over the device output, the
 * emulated lpsw and the reflected trap. */
static void reverse_step_all_the_way(bool bare)
{
	struct prog g;
	build(&g);
	struct dbg *d = session_of(&g, 0, 0, bare);
	enum { MAX_STEPS = 64 };
	struct cpu saved[MAX_STEPS];
	size_t con_len[MAX_STEPS];
	unsigned nlog[MAX_STEPS];
	uint8_t *mem0 = malloc(PT_MEM_SIZE);
	assert_non_null(mem0);
	unsigned n = 0;
	while (G(d)->end == VMM_RUNNING && n < MAX_STEPS) {
		saved[n] = G(d)->vm;
		dbg_console(d, 0, &con_len[n]);
		nlog[n] = d->nlog;
		n++;
		dbg_step(d, 1);
	}
	assert_true(n > 10);
	/* Back from the end, one step at a time. */
	for (unsigned i = n; i-- > 0;) {
		dbg_reverse_step(d, 1);
		const struct cpu *vm = &G(d)->vm;
		assert_int_equal(G(d)->end, VMM_RUNNING);
		assert_int_equal(vm->pc, saved[i].pc);
		assert_int_equal(vm->clock, saved[i].clock);
		assert_int_equal(vm->status, saved[i].status);
		assert_int_equal(vm->base, saved[i].base);
		assert_memory_equal(vm->r, saved[i].r, sizeof vm->r);
		size_t len;
		dbg_console(d, 0, &len);
		assert_int_equal(len, con_len[i]);
		assert_int_equal(d->nlog, nlog[i]);
	}
	assert_int_equal(dbg_reverse_step(d, 1), DBG_STOP_START);
	/* Forward again: the same run. */
	memcpy(mem0, G(d)->vm.mem, PT_MEM_SIZE);
	assert_int_equal(dbg_continue(d), DBG_STOP_ENDED);
	size_t len;
	const char *con = dbg_console(d, 0, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(con, "AB", 2);
	free(mem0);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

static void test_reverse_step_restores_previous_state(void **state)
{
	(void)state;
	reverse_step_all_the_way(false);
}

/* The same on the bare machine (--bare): the devices are snapshotted too,
 * and every trap is delivered by the hardware: only the user-mode out
 * traps (the kernel's out and lpsw run directly). */
static void test_bare_machine(void **state)
{
	(void)state;
	reverse_step_all_the_way(true);
	struct prog g;
	build(&g);
	struct dbg *d = session_of(&g, 0, 0, true);
	assert_int_equal(dbg_continue(d), DBG_STOP_ENDED);
	assert_int_equal(G(d)->end, VMM_POWEROFF);
	assert_int_equal(d->nlog, 1);
	assert_true(last_trap(d)->hardware);
	assert_int_equal(last_trap(d)->trap.insn_pc, g.out_user);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* reverse-continue goes back to the previous breakpoint hit. */
static void test_reverse_continue_to_previous_hit(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	dbg_break_add(d, DBG_BREAK_PC, 0, g.loop, 0, false);
	dbg_continue(d);
	dbg_continue(d);
	dbg_continue(d);
	assert_int_equal(G(d)->vm.r[PT_R2], LOOP_COUNT - 2);
	assert_int_equal(dbg_reverse_continue(d), DBG_STOP_BREAK);
	assert_int_equal(G(d)->vm.pc, g.loop);
	assert_int_equal(G(d)->vm.r[PT_R2], LOOP_COUNT - 1);
	assert_int_equal(dbg_reverse_continue(d), DBG_STOP_BREAK);
	assert_int_equal(G(d)->vm.r[PT_R2], LOOP_COUNT);
	assert_int_equal(dbg_reverse_continue(d), DBG_STOP_START);
	assert_int_equal(G(d)->vm.clock, 0);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* A catchpoint on an action stops right after the monitor took it. */
static void test_catch_action_and_cause(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	dbg_break_add(d, DBG_BREAK_ACTION, -1, 0, VMM_ACT_EMULATED, false);
	assert_int_equal(dbg_continue(d), DBG_STOP_CAUGHT);
	assert_int_equal(G(d)->vm.pc, g.user); /* lpsw emulated: now in user mode */
	assert_int_equal(G(d)->vm.status & PSW_S, 0);
	dbg_break_delete(d, 0);
	dbg_break_add(d, DBG_BREAK_CAUSE, -1, 0, TRAP_PRIV, false);
	assert_int_equal(dbg_continue(d), DBG_STOP_CAUGHT);
	assert_int_equal(G(d)->vm.pc, g.handler);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* A write watchpoint on the trap area's cause word sees the PSW swap. */
static void test_watch_sees_trap_delivery(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	dbg_break_add(d, DBG_WATCH_WRITE, 0, PG32_CAUSE, 0, false);
	assert_int_equal(dbg_continue(d), DBG_STOP_WATCH);
	assert_int_equal(G(d)->vm.pc, g.handler);
	uint8_t w[ISA_WORD_BYTES];
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_PHYSICAL, PG32_CAUSE, w, sizeof w), sizeof w);
	assert_int_equal(pg32_load32(w), TRAP_PRIV);
	/* A read watchpoint on the user PSW: lpsw reads it. */
	dbg_reverse_continue(d);
	dbg_break_delete(d, 0);
	dbg_break_add(d, DBG_WATCH_READ, 0, USER_PSW, 0, false);
	assert_int_equal(dbg_continue(d), DBG_STOP_WATCH);
	assert_int_equal(G(d)->vm.pc, g.user);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* Memory in three spaces: the guest-physical word at a is the host word at
 * region base + a, and the virtual one under R = (0, ...) is the same. */
static void test_read_spaces(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	uint8_t v[ISA_WORD_BYTES], p[ISA_WORD_BYTES], h[ISA_WORD_BYTES];
	uint32_t base = G(d)->region.base;
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_VIRTUAL, g.lpsw, v, sizeof v), sizeof v);
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_PHYSICAL, g.lpsw, p, sizeof p), sizeof p);
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_HOST, base + g.lpsw, h, sizeof h), sizeof h);
	assert_memory_equal(v, p, sizeof v);
	assert_memory_equal(p, h, sizeof p);
	assert_int_equal(pg32_load32(v), pt_enc(ISA_OP_LPSW, PT_R3, 0, 0, 0));
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_PHYSICAL, PT_MEM_SIZE - 2, p, sizeof p), 2);
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_PHYSICAL, PT_MEM_SIZE, p, sizeof p), 0);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* Under dynamic rewriting the guest's own views (virtual, physical) show
 * what its loads see, the original critical instruction; host memory shows
 * the patch word really there, and the disassembly marks it rewritten. */
static void test_read_shows_originals_of_patches(void **state)
{
	(void)state;
	struct prog g;
	struct pt_prog *p = &g.p;
	pt_prog_init(p, PT_MEM_SIZE);
	uint32_t at = pt_op(p, ISA_OP_RDPSW, PT_R3, 0, 0, 0); /* critical under ill */
	pt_out_imm(p, PT_R6, PORT_POWER_OFF, 0);
	pt_image_of(&g.im, p, PG32_LOAD_ADDR);
	const isa_variant ill = isa_variant_all_ill();
	struct dbg_config cfg = { .vmm = { .host_mem = 4 * PT_MEM_SIZE }, .mem_size = PT_MEM_SIZE,
	                          .variants = &ill, .rewrite = VMM_REWRITE_DYNAMIC };
	const char *names[] = { "t" };
	struct dbg *d;
	char msg[256];
	if (dbg_create(&d, &cfg, &g.im.img, names, 1, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	dbg_step(d, 1); /* the block is scanned, rdpsw patched and emulated */
	const uint32_t original = pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	uint8_t v[ISA_WORD_BYTES], ph[ISA_WORD_BYTES], h[ISA_WORD_BYTES];
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_VIRTUAL, at, v, sizeof v), sizeof v);
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_PHYSICAL, at, ph, sizeof ph), sizeof ph);
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_HOST, G(d)->region.base + at, h, sizeof h),
	                 sizeof h);
	assert_int_equal(pg32_load32(v), original);
	assert_int_equal(pg32_load32(ph), original);
	assert_int_equal(ISA_WORD_OPCODE(pg32_load32(h)), ISA_OP_UNDEFINED);
	/* A read that starts inside the patched word: the original's bytes. */
	uint8_t b[2];
	assert_int_equal(dbg_read(d, 0, DBG_SPACE_PHYSICAL, at + 1, b, sizeof b), sizeof b);
	assert_memory_equal(b, v + 1, sizeof b);
	uint32_t shown = 0;
	assert_true(dbg_rewritten(d, 0, at, &shown));
	assert_int_equal(shown, original);
	dbg_destroy(d);
	pt_prog_free(p);
}

/* A long run: the snapshots stay at most DBG_SNAP_MAX (thinned, interval
 * doubled), and reverse-step lands on the state one instruction back, the
 * same as a fresh run stepped there. */
static void test_snapshots_bounded_and_replay_exact(void **state)
{
	(void)state;
	struct prog g;
	build_loop(&g);
	struct dbg *d = session(&g, LONG_RUN, SMALL_INTERVAL);
	assert_int_equal(dbg_continue(d), DBG_STOP_ENDED);
	assert_int_equal(G(d)->end, VMM_LIMIT);
	assert_int_equal(G(d)->vm.clock, LONG_RUN);
	const struct dbg_guest *dg = &d->guests[0];
	assert_true(dg->nsnaps <= DBG_SNAP_MAX);
	assert_true(dg->interval > SMALL_INTERVAL);
	assert_true(dg->nsnaps >= 2);
	dbg_reverse_step(d, 1);
	assert_int_equal(G(d)->vm.clock, LONG_RUN - 1);
	uint32_t r1 = G(d)->vm.r[PT_R1], pc = G(d)->vm.pc;
	struct dbg *fresh = session(&g, LONG_RUN, SMALL_INTERVAL);
	dbg_step(fresh, LONG_RUN - 1);
	assert_int_equal(fresh->guests[0].g->vm.r[PT_R1], r1);
	assert_int_equal(fresh->guests[0].g->vm.pc, pc);
	dbg_destroy(fresh);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* Several guests and a small budget: the snapshots of all of them stay
 * within it (each guest's first one aside), and replay is still exact. */
static void test_snapshot_budget(void **state)
{
	(void)state;
	enum { NGUESTS = 3, BUDGET_SNAPS = 8 };
	struct prog g;
	build_loop(&g);
	struct image imgs[NGUESTS];
	const char *names[NGUESTS] = { "a", "b", "c" };
	for (int i = 0; i < NGUESTS; i++)
		imgs[i] = g.im.img;
	size_t budget = BUDGET_SNAPS * (PT_MEM_SIZE + sizeof(struct vmm_guest_snapshot));
	struct dbg_config cfg = { .vmm = { .host_mem = 8 * PT_MEM_SIZE }, .mem_size = PT_MEM_SIZE,
	                          .max_instructions = LONG_RUN, .snap_interval = SMALL_INTERVAL,
	                          .snap_budget = budget };
	struct dbg *d;
	char msg[256];
	if (dbg_create(&d, &cfg, imgs, names, NGUESTS, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	assert_int_equal(dbg_continue(d), DBG_STOP_ENDED);
	size_t firsts = NGUESTS * vmm_guest_snapshot_bytes(&d->guests[0].snaps[0].s);
	assert_true(dbg_snapshot_bytes(d) <= budget + firsts);
	assert_int_equal(dbg_snapshot_bytes(d), d->snap_bytes);
	for (unsigned i = 0; i < NGUESTS; i++)
		assert_int_equal(d->guests[i].g->end, VMM_LIMIT);
	d->focus = 1;
	dbg_reverse_step(d, 1);
	assert_int_equal(d->guests[1].g->vm.clock, LONG_RUN - 1);
	/* r1 counts loop iterations: one add every two instructions, after
	 * the first movi. */
	assert_int_equal(d->guests[1].g->vm.r[PT_R1], (LONG_RUN - 1) / 2);
	assert_int_equal(d->guests[0].g->vm.clock, LONG_RUN); /* the others stay */
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* vmm_snapshot_take / restore: the whole monitor back as it was. */
static void test_vmm_snapshot_roundtrip(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct vmm *v;
	char msg[256];
	struct vmm_config cfg = { .host_mem = 4 * PT_MEM_SIZE };
	assert_int_equal(vmm_create(&v, &cfg, msg, sizeof msg), 0);
	struct vmm_guest_config gc = { .name = "a", .img = &g.im.img, .mem_size = PT_MEM_SIZE };
	struct vmm_guest *a;
	assert_int_equal(vmm_add_guest(v, &gc, &a, msg, sizeof msg), 0);
	vmm_run_slice(v, a, LOOP_COUNT);
	struct vmm_snapshot *s;
	assert_int_equal(vmm_snapshot_take(v, &s), 0);
	assert_true(vmm_snapshot_bytes(s) >= PT_MEM_SIZE);
	struct vmm_guest before = *a;
	uint8_t *mem = malloc(PT_MEM_SIZE);
	assert_non_null(mem);
	memcpy(mem, a->vm.mem, PT_MEM_SIZE);
	vmm_run(v);
	assert_int_equal(a->end, VMM_POWEROFF);
	assert_int_equal(vmm_snapshot_restore(v, s), 0);
	assert_int_equal(a->end, VMM_RUNNING);
	assert_memory_equal(&a->vm, &before.vm, sizeof before.vm);
	assert_memory_equal(&a->stats, &before.stats, sizeof before.stats);
	assert_memory_equal(a->vm.mem, mem, PT_MEM_SIZE);
	vmm_snapshot_free(s);
	free(mem);
	vmm_destroy(v);
	pt_prog_free(&g.p);
}

/* Bad command lines: an error with a message, never a crash. */
static void test_command_errors(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	static const char *const bad[] = {
		"frobnicate", "step 0", "step -1", "step 99999999999999999999", "step x",
		"break", "break nosuchsymbol", "break trap nosuch", "break action nosuch",
		"x/0 0", "x/9999999 0", "x/q 0", "x/4", "x/4 z:0", "x/4 $r99", "x/4 0x1+", "x/4 +",
		"info", "info nonsense", "info trap", "info trap 99999", "guest 1", "guest -1",
		"delete 42", "watch h:0", "watch p:0x3", "watch p:0xfffffff0", "until nosuch",
		"next 1", "step/4", "help nosuch", "explain", "catch trap",
	};
	struct dbg_text out = { 0 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dbg_text_clear(&out);
		if (dbg_command(d, bad[i], &out) != DBG_CMD_ERROR)
			fail_msg("'%s' was accepted", bad[i]);
		if (!out.s || !strstr(out.s, "error"))
			fail_msg("'%s' gave no error message", bad[i]);
	}
	char longline[DBG_LINE_MAX + 8];
	memset(longline, 'a', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	dbg_text_clear(&out);
	assert_int_equal(dbg_command(d, longline, &out), DBG_CMD_ERROR);
	assert_int_equal(dbg_command(d, "", &out), DBG_CMD_OK);
	assert_int_equal(dbg_command(d, "quit", &out), DBG_CMD_QUIT);
	dbg_text_free(&out);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

/* Random lines made of command words and junk: never a crash.  The run
 * commands are left out (they would run the guest for a long time). */
static void test_command_fuzz(void **state)
{
	(void)state;
	struct prog g;
	build(&g);
	struct dbg *d = session(&g, 0, 0);
	static const char *const words[] = {
		"x/", "x/4i", "x/3b", "info", "regs", "traps", "trap", "guests", "patches", "break",
		"watch", "rwatch", "delete", "help", "guest", "0", "1", "0x100", "$pc", "$sp", "$r3",
		"v:", "p:", "h:", "+", "-", "trap", "action", "priv", "emulated", "explain", "where",
		"console", "tbreak", "catch", "snapshots", "4294967295", "0xffffffff", "//", "$",
	};
	pt_rand_init("test_command_fuzz", 0x5eed);
	struct dbg_text out = { 0 };
	for (int i = 0; i < FUZZ_LINES; i++) {
		char line[FUZZ_LEN * 16] = "";
		size_t len = 0;
		unsigned n = pt_rand_below(5);
		for (unsigned k = 0; k < n && len < sizeof line - FUZZ_LEN; k++) {
			if (pt_rand_below(4) == 0) {
				unsigned m = pt_rand_below(FUZZ_LEN);
				for (unsigned j = 0; j < m; j++)
					line[len++] = (char)(1 + pt_rand_below(255));
			} else {
				len += (size_t)snprintf(line + len, sizeof line - len, "%s",
				                        words[pt_rand_below(sizeof words / sizeof words[0])]);
			}
			line[len++] = pt_rand_below(3) ? ' ' : '+';
		}
		line[len] = '\0';
		dbg_text_clear(&out);
		dbg_command(d, line, &out);
	}
	dbg_text_free(&out);
	dbg_destroy(d);
	pt_prog_free(&g.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_over_out_in_system_mode),
		cmocka_unit_test(test_step_over_privileged_in_user_mode),
		cmocka_unit_test(test_breakpoint_stops_each_iteration),
		cmocka_unit_test(test_reverse_step_restores_previous_state),
		cmocka_unit_test(test_bare_machine),
		cmocka_unit_test(test_reverse_continue_to_previous_hit),
		cmocka_unit_test(test_catch_action_and_cause),
		cmocka_unit_test(test_watch_sees_trap_delivery),
		cmocka_unit_test(test_read_spaces),
		cmocka_unit_test(test_read_shows_originals_of_patches),
		cmocka_unit_test(test_snapshots_bounded_and_replay_exact),
		cmocka_unit_test(test_snapshot_budget),
		cmocka_unit_test(test_vmm_snapshot_roundtrip),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_command_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
