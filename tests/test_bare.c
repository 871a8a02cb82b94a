/*
 * test_bare.c -- unit tests of the bare-machine runner (isa/bare.c): how a
 * run ends (power-off with a code, halt, instruction limit, trap loop),
 * architectural delivery of traps by the PSW swap, the trace hook, and
 * determinism: two runs of the same image with the same input give the
 * same trace (hashed) and the same final state, and tracing (one
 * instruction at a time) does not change the run.
 *
 * Programs are built in C (tests/pg32_test.h) into a memory image that
 * bare_init places; console output goes to an open_memstream buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg32.h"
#include "pg32_test.h"

#define CODE PG32_LOAD_ADDR
#define HANDLER 0x1000u
#define DATA_WORD_ADDR 0x2000u
#define USER_PSW 0x40u      /* where the svc test keeps its user PSW */
#define USER_BASE 0x2000u   /* R of its user program */
#define USER_BOUND 0x100u
#define MEM PT_MEM_SIZE
#define MSG_LEN 256
#define TEXT_LEN 160
#define EXIT_CODE 42u
#define LIMIT 1000u
#define TICK_PERIOD 53u    /* timer period of the determinism program */
#define TICKS_WANTED 10    /* ticks before it powers off */
#define DELAY_LOOPS 7      /* busy loop length in the determinism program */
#define MAX_TRACE_PCS 64

struct fx {
	struct pt_prog p;
	struct bare_machine m;
	bool running;
	FILE *console;
	char *out;
	size_t out_len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	pt_prog_init(&f->p, MEM);
	f->console = open_memstream(&f->out, &f->out_len);
	if (!f->console)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->running)
		bare_free(&f->m);
	fclose(f->console);
	free(f->out);
	pt_prog_free(&f->p);
	free(f);
	return 0;
}

/* Place the program (all of its memory) on a fresh bare machine. */
static void boot(struct fx *f, uint32_t entry)
{
	struct pt_image im;
	char msg[MSG_LEN] = "";
	if (f->running)
		bare_free(&f->m);
	pt_image_of(&im, &f->p, entry);
	if (bare_init(&f->m, &im.img, MEM, ISA_VARIANT_WELL, f->console, msg, sizeof msg) != 0)
		fail_msg("bare_init: %s", msg);
	f->running = true;
}

static void emit_power_off(struct fx *f, uint32_t code)
{
	pt_out_imm(&f->p, PT_R1, PORT_POWER_OFF, code);
}

/* ---- init ---------------------------------------------------------------- */

/* bare_init refuses memory sizes outside PG32_MEM_MIN..PG32_MEM_MAX or not
 * a multiple of 4, and an image that does not fit, leaving no memory. */
static void test_bare_init_errors(void **state)
{
	static const uint32_t sizes[] = { 0, PG32_MEM_MIN - ISA_WORD_BYTES,
	                                  PG32_MEM_MAX + ISA_WORD_BYTES, PG32_MEM_MIN + 2 };
	struct fx *f = *state;
	struct pt_image im;
	char msg[MSG_LEN];
	pt_image_of(&im, &f->p, CODE);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		msg[0] = '\0';
		assert_int_equal(bare_init(&f->m, &im.img, sizes[i], 0, NULL, msg, sizeof msg),
		                 PG32_EARG);
		assert_true(strlen(msg) > 0);
		assert_null(f->m.mem);
	}
	msg[0] = '\0';
	assert_true(bare_init(&f->m, &im.img, PG32_MEM_MIN, 0, NULL, msg, sizeof msg) < 0);
	assert_true(strlen(msg) > 0);
	assert_null(f->m.mem);
}

/* After bare_init: the image is in memory, the CPU is reset at the entry in
 * system mode with R = (0, memory size), the bus has no disk and no input. */
static void test_bare_init_state(void **state)
{
	struct fx *f = *state;
	pt_poke(&f->p, DATA_WORD_ADDR, 0xDEADBEEFu);
	boot(f, CODE);
	assert_int_equal(pg32_load32(f->m.mem + DATA_WORD_ADDR), 0xDEADBEEFu);
	assert_int_equal(f->m.cpu.pc, CODE);
	assert_int_equal(f->m.cpu.status, PSW_S);
	assert_int_equal(f->m.cpu.base, 0);
	assert_int_equal(f->m.cpu.bound, MEM);
	assert_int_equal(f->m.cpu.mem_size, MEM);
	assert_true(f->m.cpu.bus == &f->m.bus);
	assert_int_equal(f->m.bus.disk_fd, -1);
	assert_true(f->m.bus.console_out == f->console);
}

/* ---- endings ------------------------------------------------------------- */

/* A guest that writes the power port ends the run with BARE_POWEROFF and
 * its exit code, after printing. */
static void test_bare_poweroff(void **state)
{
	struct fx *f = *state;
	pt_out_imm(&f->p, PT_R1, PORT_CONSOLE_OUT, 'k');
	emit_power_off(f, EXIT_CODE);
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, 0), BARE_POWEROFF);
	assert_int_equal(f->m.bus.exit_code, EXIT_CODE);
	fflush(f->console);
	assert_string_equal(f->out, "k");
}

/* halt with IE = 0, and halt with IE = 1 and no device event, end the run
 * with BARE_HALTED. */
static void test_bare_halted(void **state)
{
	struct fx *f = *state;
	pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, 0), BARE_HALTED);
	assert_int_equal(f->m.cpu.clock, 1);

	f->p.pc = CODE;
	pt_op(&f->p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	pt_op(&f->p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, 0), BARE_HALTED);
	assert_int_equal(f->m.cpu.clock, 3);
}

/* The instruction limit ends an endless loop with BARE_LIMIT exactly at the
 * limit, also when the CPU idles (halt waiting for a far timer) past it. */
static void test_bare_limit(void **state)
{
	struct fx *f = *state;
	pt_jump(&f->p, ISA_OP_B, CODE);
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, LIMIT), BARE_LIMIT);
	assert_int_equal(f->m.cpu.clock, LIMIT);

	f->p.pc = CODE;
	pt_op(&f->p, ISA_OP_MOVI, PT_R2, 0, 0, PSW_IE);
	pt_op(&f->p, ISA_OP_WRFL, PT_R2, 0, 0, 0);
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, 10 * LIMIT);
	pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, LIMIT), BARE_LIMIT);
	assert_int_equal(f->m.cpu.clock, LIMIT);
	assert_true(f->m.cpu.waiting);
}

/* A new PSW that faults at once (here: all zero, so user mode with bound 0)
 * makes traps with no progress: the run ends with BARE_TRAP_LOOP. */
static void test_bare_trap_loop(void **state)
{
	struct fx *f = *state;
	pt_word(&f->p, 0); /* illegal */
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, LIMIT), BARE_TRAP_LOOP);
	assert_int_equal(f->m.cpu.clock, 0);
	assert_int_equal(pg32_load32(f->m.mem + PG32_CAUSE), TRAP_MEMORY);
}

/* A handler that retires an instruction before each new fault is not a
 * trap loop: the run goes on to the limit. */
static void test_bare_faults_with_progress(void **state)
{
	struct fx *f = *state;
	pt_word(&f->p, 0);
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
	f->p.pc = HANDLER;
	pt_op(&f->p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_word(&f->p, 0);
	boot(f, CODE);
	assert_int_equal(bare_run(&f->m, LIMIT), BARE_LIMIT);
	assert_int_equal(pg32_load32(f->m.mem + PG32_CAUSE), TRAP_ILLEGAL);
}

/* Traps are delivered by the PSW swap: an svc from user mode reaches the
 * handler of the new PSW, which finds cause, detail and the old PSW in
 * memory, and returns with lpsw of the old PSW. */
static void test_bare_delivers_svc(void **state)
{
	struct fx *f = *state;
	const uint32_t user = USER_BASE;
	pt_put_psw(f->p.mem, USER_PSW, 0, 0, user, USER_BOUND);
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
	pt_op(&f->p, ISA_OP_MOVI, PT_R1, 0, 0, USER_PSW);
	pt_op(&f->p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	/* user program at virtual 0: svc 42, then svc 7 */
	f->p.pc = user;
	pt_op(&f->p, ISA_OP_SVC, 0, 0, 0, EXIT_CODE);
	pt_op(&f->p, ISA_OP_SVC, 0, 0, 0, 7);
	/* handler: power off with the detail on the second svc, else return */
	f->p.pc = HANDLER;
	pt_op(&f->p, ISA_OP_LW, PT_R2, PT_R0, 0, PG32_DETAIL);
	pt_op(&f->p, ISA_OP_CMPI, PT_R2, 0, 0, 7);
	uint32_t beq = pt_op(&f->p, ISA_OP_BEQ, 0, 0, 0, 0);
	pt_op(&f->p, ISA_OP_MOVI, PT_R5, 0, 0, 0); /* r0 is an ordinary register */
	pt_op(&f->p, ISA_OP_LW, PT_R3, PT_R5, 0, PG32_OLD_PSW + PSW_OFF_PC);
	pt_op(&f->p, ISA_OP_LW, PT_R4, PT_R5, 0, PG32_OLD_PSW + PSW_OFF_BASE);
	pt_op(&f->p, ISA_OP_LPSW, PT_R5, 0, 0, 0);
	pt_patch_jump(&f->p, beq, f->p.pc);
	pt_op(&f->p, ISA_OP_OUT, PT_R3, 0, 0, PORT_POWER_OFF);
	boot(f, CODE);
	f->m.cpu.r[PT_R0] = 0;
	assert_int_equal(bare_run(&f->m, LIMIT), BARE_POWEROFF);
	assert_int_equal(f->m.bus.exit_code, ISA_WORD_BYTES); /* pc after the first svc */
	assert_int_equal(f->m.cpu.r[PT_R4], user);
	assert_int_equal(pg32_load32(f->m.mem + PG32_CAUSE), TRAP_SVC);
	assert_int_equal(pg32_load32(f->m.mem + PG32_OLD_PSW + PSW_OFF_PC), 2 * ISA_WORD_BYTES);
	assert_int_equal(pg32_load32(f->m.mem + PG32_OLD_PSW + PSW_OFF_STATUS), 0);
}

/* ---- the trace hook -------------------------------------------------------- */

struct trace_log {
	uint64_t insns, traps;
	uint32_t causes[MAX_TRACE_PCS];
	uint32_t pcs[MAX_TRACE_PCS];
	uint64_t hash;
};

static void trace_count(void *ctx, const struct cpu *c, const struct cpu_trap *t)
{
	struct trace_log *log = ctx;
	if (t) {
		if (log->traps < MAX_TRACE_PCS)
			log->causes[log->traps] = t->cause;
		log->traps++;
		return;
	}
	if (log->insns < MAX_TRACE_PCS)
		log->pcs[log->insns] = c->pc;
	log->insns++;
}

/* The hook is called once before each instruction (with the pc about to
 * run) and once per trap before its delivery. */
static void test_bare_trace_hook(void **state)
{
	struct fx *f = *state;
	const unsigned nsvc = 3;
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
	for (unsigned i = 0; i < nsvc; i++)
		pt_op(&f->p, ISA_OP_SVC, 0, 0, 0, (int32_t)i);
	emit_power_off(f, 0);
	f->p.pc = HANDLER;
	pt_op(&f->p, ISA_OP_MOVI, PT_R5, 0, 0, PG32_OLD_PSW);
	pt_op(&f->p, ISA_OP_LPSW, PT_R5, 0, 0, 0);
	boot(f, CODE);
	struct trace_log log = { 0 };
	f->m.trace = trace_count;
	f->m.trace_ctx = &log;
	assert_int_equal(bare_run(&f->m, 0), BARE_POWEROFF);
	assert_int_equal(log.insns, f->m.cpu.clock);
	assert_int_equal(log.traps, nsvc);
	for (unsigned i = 0; i < nsvc; i++)
		assert_int_equal(log.causes[i], TRAP_SVC);
	/* svc, handler (2), svc, handler (2), svc, handler (2), power-off (3) */
	const uint32_t want[] = { CODE, HANDLER, HANDLER + 4, CODE + 4, HANDLER, HANDLER + 4,
	                          CODE + 8, HANDLER, HANDLER + 4, CODE + 12, CODE + 16, CODE + 20 };
	assert_int_equal(log.insns, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_int_equal(log.pcs[i], want[i]);
}

/* An interrupt taken in place of an instruction is not an instruction:
 * the hook hears of every instruction that runs exactly once (none here
 * faults) and of each trap, never of the instruction an interrupt
 * pre-empts.  Here a timer interrupt pends while IE = 0; the svc's new PSW
 * enables interrupts, so the timer is taken before the handler's first
 * instruction runs. */
static void test_bare_trace_skips_preempted(void **state)
{
	struct fx *f = *state;
	const uint32_t period = 2, wait = 4;
	pt_put_psw(f->p.mem, PG32_NEW_PSW, PSW_S | PSW_IE, HANDLER, 0, MEM);
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, period);
	for (uint32_t i = 0; i < wait; i++)
		pt_op(&f->p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, 0); /* stopped; the expiry still pends */
	pt_op(&f->p, ISA_OP_SVC, 0, 0, 0, 0);
	f->p.pc = HANDLER;
	emit_power_off(f, 0);
	boot(f, CODE);
	struct trace_log log = { 0 };
	f->m.trace = trace_count;
	f->m.trace_ctx = &log;
	assert_int_equal(bare_run(&f->m, 0), BARE_POWEROFF);
	assert_int_equal(log.traps, 2);
	assert_int_equal(log.causes[0], TRAP_SVC);
	assert_int_equal(log.causes[1], TRAP_TIMER);
	assert_int_equal(log.insns, f->m.cpu.clock);
}

/* ---- determinism ------------------------------------------------------------- */

static void hash_step(void *ctx, const struct cpu *c, const struct cpu_trap *t)
{
	struct trace_log *log = ctx;
	uint64_t h = log->hash;
	h = pt_fnv1a(h, &c->clock, sizeof c->clock);
	h = pt_fnv1a(h, &c->pc, sizeof c->pc);
	h = pt_fnv1a(h, &c->status, sizeof c->status);
	h = pt_fnv1a(h, c->r, sizeof c->r);
	if (t) {
		h = pt_fnv1a(h, &t->cause, sizeof t->cause);
		h = pt_fnv1a(h, &t->detail, sizeof t->detail);
		h = pt_fnv1a(h, &t->pc, sizeof t->pc);
		log->traps++;
	} else {
		log->insns++;
	}
	log->hash = h;
}

/* A program that mixes everything time-dependent: timer interrupts (the
 * handler prints '.' and counts), console input echoed shifted by one, a
 * busy loop, then halts waiting for ticks and powers off after
 * TICKS_WANTED of them with the tick count as exit code. */
static void build_busy_program(struct fx *f)
{
	struct pt_prog *p = &f->p;
	pt_put_psw(p->mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
	pt_out_imm(p, PT_R1, PORT_TIMER_PERIOD, TICK_PERIOD);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	pt_op(p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	uint32_t main_loop = pt_op(p, ISA_OP_IN, PT_R2, 0, 0, PORT_CONSOLE_IN);
	pt_op(p, ISA_OP_CMPI, PT_R2, 0, 0, -1);
	uint32_t to_wait = pt_op(p, ISA_OP_BEQ, 0, 0, 0, 0);
	pt_op(p, ISA_OP_ADDI, PT_R2, PT_R2, 0, 1);
	pt_op(p, ISA_OP_OUT, PT_R2, 0, 0, PORT_CONSOLE_OUT);
	pt_op(p, ISA_OP_MOVI, PT_R3, 0, 0, DELAY_LOOPS);
	uint32_t delay = pt_op(p, ISA_OP_MUL, PT_R4, PT_R3, PT_R2, 0);
	pt_op(p, ISA_OP_ADD, PT_R5, PT_R5, PT_R4, 0);
	pt_op(p, ISA_OP_ADDI, PT_R3, PT_R3, 0, -1);
	pt_op(p, ISA_OP_CMPI, PT_R3, 0, 0, 0);
	pt_jump(p, ISA_OP_BNE, delay);
	pt_jump(p, ISA_OP_B, main_loop);
	uint32_t wait = pt_op(p, ISA_OP_HALT, 0, 0, 0, 0);
	pt_patch_jump(p, to_wait, wait);
	pt_op(p, ISA_OP_CMPI, PT_R6, 0, 0, TICKS_WANTED);
	pt_jump(p, ISA_OP_BLT, wait);
	pt_op(p, ISA_OP_OUT, PT_R6, 0, 0, PORT_POWER_OFF);
	/* handler: r6++, print '.', return */
	p->pc = HANDLER;
	pt_op(p, ISA_OP_ADDI, PT_R6, PT_R6, 0, 1);
	pt_op(p, ISA_OP_MOVI, PT_R7, 0, 0, '.');
	pt_op(p, ISA_OP_OUT, PT_R7, 0, 0, PORT_CONSOLE_OUT);
	pt_op(p, ISA_OP_MOVI, PT_R8, 0, 0, PG32_OLD_PSW);
	pt_op(p, ISA_OP_LPSW, PT_R8, 0, 0, 0);
}

/* The final state of one run, to compare runs. */
struct outcome {
	enum bare_end end;
	struct cpu cpu;
	uint8_t *mem;
	char *out;
	struct trace_log log;
};

static void run_once(struct fx *f, const char *input, bool trace, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	fclose(f->console);
	free(f->out);
	f->console = open_memstream(&f->out, &f->out_len);
	assert_non_null(f->console);
	boot(f, CODE);
	dev_set_input(&f->m.bus, (const uint8_t *)input, strlen(input));
	o->log.hash = PT_FNV_OFFSET;
	if (trace) {
		f->m.trace = hash_step;
		f->m.trace_ctx = &o->log;
	}
	o->end = bare_run(&f->m, 0);
	o->cpu = f->m.cpu;
	o->mem = malloc(MEM);
	assert_non_null(o->mem);
	memcpy(o->mem, f->m.mem, MEM);
	fflush(f->console);
	o->out = strndup(f->out, f->out_len);
	assert_non_null(o->out);
}

static void assert_same_outcome(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->end, b->end);
	assert_string_equal(a->out, b->out);
	assert_int_equal(a->cpu.clock, b->cpu.clock);
	assert_int_equal(a->cpu.pc, b->cpu.pc);
	assert_int_equal(a->cpu.status, b->cpu.status);
	assert_memory_equal(a->cpu.r, b->cpu.r, sizeof a->cpu.r);
	pt_assert_mem_equal(a->mem, b->mem, MEM, "final memory");
}

static void outcome_free(struct outcome *o)
{
	free(o->mem);
	free(o->out);
}

/* Two traced runs of the same image with the same input hash to the same
 * trace and end in the same state and output; an untraced run (whole
 * budgets instead of single steps) ends in that same state too. */
static void test_bare_determinism(void **state)
{
	struct fx *f = *state;
	const char *input = "HAL9000";
	build_busy_program(f);
	struct outcome a, b, c;
	run_once(f, input, true, &a);
	run_once(f, input, true, &b);
	run_once(f, input, false, &c);
	assert_int_equal(a.end, BARE_POWEROFF);
	assert_int_equal(f->m.bus.exit_code, TICKS_WANTED);
	assert_true(a.log.traps >= TICKS_WANTED);
	assert_true(a.log.hash == b.log.hash);
	assert_int_equal(a.log.insns, b.log.insns);
	assert_same_outcome(&a, &b);
	assert_same_outcome(&a, &c);
	/* The echo is there, interleaved with the ticks. */
	char echo[TEXT_LEN] = "";
	size_t n = 0;
	for (const char *s = a.out; *s; s++)
		if (*s != '.')
			echo[n++] = *s;
	assert_string_equal(echo, "IBM:111");
	/* A different input gives a different trace. */
	struct outcome d;
	run_once(f, "HAL9001", true, &d);
	assert_true(d.log.hash != a.log.hash);
	outcome_free(&a);
	outcome_free(&b);
	outcome_free(&c);
	outcome_free(&d);
}

/* bare_format_trap names the cause, the instruction's pc and the detail. */
static void test_bare_format_trap(void **state)
{
	(void)state;
	char buf[TEXT_LEN];
	struct cpu_trap t = { .cause = TRAP_SVC, .detail = EXIT_CODE, .pc = CODE + 4,
	                      .insn_pc = CODE };
	bare_format_trap(&t, buf, sizeof buf);
	assert_string_equal(buf, "trap svc at pc=0x00000100 detail=0x0000002a (supervisor call)");
	t.cause = TRAP_NCAUSES;
	bare_format_trap(&t, buf, sizeof buf);
	assert_non_null(strstr(buf, "unknown"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_bare_init_errors),
		T(test_bare_init_state),
		T(test_bare_poweroff),
		T(test_bare_halted),
		T(test_bare_limit),
		T(test_bare_trap_loop),
		T(test_bare_faults_with_progress),
		T(test_bare_delivers_svc),
		T(test_bare_trace_hook),
		T(test_bare_trace_skips_preempted),
		T(test_bare_determinism),
		T(test_bare_format_trap),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
