/*
 * test_vmm.c -- unit tests of the monitor's parts (vmm/): every interpreter
 * routine, every reflection path, the dispatcher's routing and its kill
 * path, the world switch and the composition of relocation, the allocator,
 * the stats, the exit statuses.
 *
 * The programs are built in C (tests/pg32_test.h).  Most install a trap
 * handler that logs each trap (cause, detail, old pc, old status) to a
 * table in memory and returns, skipping faulting instructions; svc 99
 * powers off with r0.  Each test checks the virtual state the monitor
 * ends with, and, through the equivalence checker, that the bare machine
 * ends in exactly the same state.  Guests never sit at host address 0
 * here (a padding region comes first), so a leak of real addresses shows.
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
#define SLOT 0x0400u      /* PSWs for lpsw */
#define HANDLER 0x0800u
#define LOG 0x1000u       /* byte offset of the next entry */
#define LOG_E (LOG + 16u) /* entries: cause, detail, old pc, old status */
#define LOG_MAX 0x3F0u
#define LOG_ENTRY 16u
#define USER 0x2000u      /* a user window: R = (USER, USER_SIZE) */
#define USER_SIZE 0x1000u
#define EXIT_SVC 99       /* svc 99: power off with r0 */
#define LOG_FULL 0xEE     /* power-off code when the log is full */
#define MAX_STEPS 100000u
#define PAD 0x3000u       /* host bytes before the guest */
#define MSG 256

/* Registers the handler owns; programs use the others. */
enum { H0 = ISA_REG_FP, H1 = PT_R12, H2 = PT_R11 };

/* ---- building programs ------------------------------------------------------ */

/* The logging handler at HANDLER and the new PSW that leads to it. */
static void emit_handler(struct pt_prog *p)
{
	uint32_t save = p->pc;
	p->pc = HANDLER;
	pt_op(p, ISA_OP_MOVI, H0, 0, 0, 0);
	pt_op(p, ISA_OP_LW, H1, H0, 0, LOG);
	pt_op(p, ISA_OP_CMPI, H1, 0, 0, LOG_MAX);
	uint32_t b_room = pt_jump(p, ISA_OP_BLT, 0);
	pt_op(p, ISA_OP_MOVI, PT_R0, 0, 0, LOG_FULL);
	pt_op(p, ISA_OP_OUT, PT_R0, 0, 0, PORT_POWER_OFF);
	pt_patch_jump(p, b_room, p->pc);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_CAUSE);
	pt_op(p, ISA_OP_SW, H2, H1, 0, LOG_E);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_DETAIL);
	pt_op(p, ISA_OP_SW, H2, H1, 0, LOG_E + 4);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_OLD_PSW + PSW_OFF_PC);
	pt_op(p, ISA_OP_SW, H2, H1, 0, LOG_E + 8);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_OLD_PSW + PSW_OFF_STATUS);
	pt_op(p, ISA_OP_SW, H2, H1, 0, LOG_E + 12);
	pt_op(p, ISA_OP_ADDI, H1, H1, 0, LOG_ENTRY);
	pt_op(p, ISA_OP_SW, H1, H0, 0, LOG);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_CAUSE);
	pt_op(p, ISA_OP_CMPI, H2, 0, 0, TRAP_SVC);
	uint32_t b_not_svc = pt_jump(p, ISA_OP_BNE, 0);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_DETAIL);
	pt_op(p, ISA_OP_CMPI, H2, 0, 0, EXIT_SVC);
	uint32_t b_ret = pt_jump(p, ISA_OP_BNE, 0);
	pt_op(p, ISA_OP_OUT, PT_R0, 0, 0, PORT_POWER_OFF);
	pt_patch_jump(p, b_not_svc, p->pc);
	/* Faults (causes below svc): skip the instruction. */
	pt_op(p, ISA_OP_CMPI, H2, 0, 0, TRAP_SVC);
	uint32_t b_ret2 = pt_jump(p, ISA_OP_BGE, 0);
	pt_op(p, ISA_OP_LW, H2, H0, 0, PG32_OLD_PSW + PSW_OFF_PC);
	pt_op(p, ISA_OP_ADDI, H2, H2, 0, ISA_WORD_BYTES);
	pt_op(p, ISA_OP_SW, H2, H0, 0, PG32_OLD_PSW + PSW_OFF_PC);
	pt_patch_jump(p, b_ret, p->pc);
	pt_patch_jump(p, b_ret2, p->pc);
	pt_op(p, ISA_OP_LPSW, H0, 0, 0, 0);
	p->pc = save;
	pt_put_psw(p->mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
}

/* A program with the handler installed; code goes at PG32_LOAD_ADDR. */
static void prog_init(struct pt_prog *p)
{
	pt_prog_init(p, MEM);
	emit_handler(p);
}

/* Power off with code: r0 := code; out r0, power. */
static void emit_exit(struct pt_prog *p, int32_t code)
{
	pt_op(p, ISA_OP_MOVI, PT_R0, 0, 0, code);
	pt_op(p, ISA_OP_OUT, PT_R0, 0, 0, PORT_POWER_OFF);
}

struct log_entry {
	uint32_t cause, detail, pc, status;
};

static unsigned log_count(const uint8_t *mem)
{
	return pg32_load32(mem + LOG) / LOG_ENTRY;
}

static struct log_entry log_at(const uint8_t *mem, unsigned i)
{
	const uint8_t *e = mem + LOG_E + i * LOG_ENTRY;
	return (struct log_entry){ pg32_load32(e), pg32_load32(e + 4), pg32_load32(e + 8),
	                           pg32_load32(e + 12) };
}

static void assert_log(const uint8_t *mem, unsigned i, uint32_t cause, uint32_t detail,
                       uint32_t pc)
{
	assert_true(i < log_count(mem));
	struct log_entry e = log_at(mem, i);
	if (e.cause != cause || e.detail != detail || e.pc != pc)
		fail_msg("trap %u: %s detail 0x%x pc 0x%x, expected %s detail 0x%x pc 0x%x", i,
		         pg32_trap_name(e.cause), e.detail, e.pc, pg32_trap_name(cause), detail, pc);
}

/* ---- running them ------------------------------------------------------------- */

struct run {
	struct vmm *v;
	struct vmm_guest *g;
	FILE *con;
	char *out;
	size_t out_len;
};

struct run_opts {
	const char *input;
	uint64_t quantum;
	uint64_t max;
	vmm_event_fn on_event;
	void *event_ctx;
};

/* Run p under a fresh monitor (guest at host PAD, console captured). */
static void run_opts(struct run *r, struct pt_prog *p, uint32_t entry, const struct run_opts *o)
{
	char msg[MSG];
	memset(r, 0, sizeof *r);
	struct vmm_config cfg = { .host_mem = PAD + MEM + VMM_REGION_ALIGN,
	                          .quantum = o && o->quantum ? o->quantum : 0 };
	assert_int_equal(vmm_create(&r->v, &cfg, msg, sizeof msg), 0);
	struct vmm_region pad;
	assert_int_equal(vmm_alloc_region(r->v, PAD, &pad, msg, sizeof msg), 0);
	r->con = open_memstream(&r->out, &r->out_len);
	assert_non_null(r->con);
	struct pt_image pi;
	pt_image_of(&pi, p, entry);
	const char *in = o && o->input ? o->input : "";
	struct vmm_guest_config gc = {
		.name = "t", .img = &pi.img, .mem_size = p->size, .input = (const uint8_t *)in,
		.input_len = strlen(in), .max_instructions = o && o->max ? o->max : MAX_STEPS,
		.console = r->con,
	};
	assert_int_equal(vmm_add_guest(r->v, &gc, &r->g, msg, sizeof msg), 0);
	assert_int_equal(r->g->region.base, PAD);
	if (o) {
		r->v->on_event = o->on_event;
		r->v->event_ctx = o->event_ctx;
	}
	vmm_run(r->v);
	fflush(r->con);
}

static void run(struct run *r, struct pt_prog *p)
{
	run_opts(r, p, PG32_LOAD_ADDR, NULL);
}

static void run_free(struct run *r)
{
	vmm_destroy(r->v);
	fclose(r->con);
	free(r->out);
}

/* The bare machine and the monitor agree on everything about p. */
static void assert_equivalent_in(struct pt_prog *p, const char *input)
{
	struct pt_image pi;
	pt_image_of(&pi, p, PG32_LOAD_ADDR);
	struct vmm_check_config cfg = { .mem_size = p->size, .max_instructions = MAX_STEPS,
	                                .first_divergence = true,
	                                .input = (const uint8_t *)input,
	                                .input_len = input ? strlen(input) : 0 };
	struct vmm_check_result res;
	char msg[MSG], line[MSG + VMM_CHECK_WHAT];
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, sizeof line);
	if (!res.equivalent)
		fail_msg("%s", line);
}

static void assert_equivalent(struct pt_prog *p)
{
	assert_equivalent_in(p, NULL);
}

/* ---- interpreter routines -------------------------------------------------------- */

/* lpsw enters user mode with the loaded PSW: R, flags, pc; the user's svc
 * is reflected with the user's virtual pc and status. */
static void test_interp_lpsw_enters_user_mode(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_put_psw(p.mem, SLOT, PSW_Z, 0x10, USER, USER_SIZE);
	pt_li(&p, PT_R1, SLOT);
	pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	uint32_t save = p.pc;
	p.pc = USER + 0x10;
	pt_op(&p, ISA_OP_MOVI, PT_R2, 0, 0, 7);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, 5);
	pt_op(&p, ISA_OP_MOVI, PT_R0, 0, 0, 0);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, EXIT_SVC);
	p.pc = save;

	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_int_equal(r.g->vm.r[PT_R2], 7);
	assert_log(r.g->vm.mem, 0, TRAP_SVC, 5, 0x18);
	assert_int_equal(log_at(r.g->vm.mem, 0).status, PSW_Z); /* user mode, Z kept */
	assert_int_equal(r.g->stats.emulated, 3); /* lpsw, the handler's lpsw, its out */
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* lpsw from a misaligned address or from outside R faults like on the bare
 * machine (align, memory), with nothing changed. */
static void test_interp_lpsw_faults(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_li(&p, PT_R1, SLOT + 2);
	uint32_t a1 = p.pc;
	pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	pt_li(&p, PT_R1, MEM - PSW_BYTES + ISA_WORD_BYTES);
	uint32_t a2 = p.pc;
	pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	emit_exit(&p, 0);

	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_log(r.g->vm.mem, 0, TRAP_ALIGN, SLOT + 2, a1);
	assert_log(r.g->vm.mem, 1, TRAP_MEMORY, MEM - PSW_BYTES + ISA_WORD_BYTES, a2);
	/* priv traps: the two lpsw (which fault instead of retiring), the
	 * handler's two lpsw and the final out (emulated). */
	assert_int_equal(r.g->stats.traps[TRAP_PRIV], 5);
	assert_int_equal(r.g->stats.emulated, 3);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* lrr then srr: the guest reads back its VIRTUAL R, never the real one
 * (the guest lives at host PAD); srr r, r leaves the bound in r. */
static void test_interp_lrr_srr_virtual_r(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_SRR, PT_R3, PT_R4, 0, 0);
	pt_li(&p, PT_R1, 0);
	pt_li(&p, PT_R2, 0x3000);
	pt_op(&p, ISA_OP_LRR, PT_R1, PT_R2, 0, 0);
	pt_op(&p, ISA_OP_SRR, PT_R5, PT_R6, 0, 0);
	pt_op(&p, ISA_OP_SRR, PT_R7, PT_R7, 0, 0);
	emit_exit(&p, 0);

	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_int_equal(r.g->vm.r[PT_R3], 0);
	assert_int_equal(r.g->vm.r[PT_R4], MEM);
	assert_int_equal(r.g->vm.r[PT_R5], 0);
	assert_int_equal(r.g->vm.r[PT_R6], 0x3000);
	assert_int_equal(r.g->vm.r[PT_R7], 0x3000);
	assert_int_equal(r.g->vm.bound, 0x3000);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* lrr takes effect at the very next fetch: a bound that ends right after
 * the lrr makes the next fetch a memory fault at that address. */
static void test_interp_lrr_next_fetch(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_li(&p, PT_R1, 0);
	uint32_t at = p.pc + 3 * ISA_WORD_BYTES; /* li is two words, lrr one */
	pt_li(&p, PT_R2, at);
	pt_op(&p, ISA_OP_LRR, PT_R1, PT_R2, 0, 0);
	/* The handler skips the word, but the old PSW keeps the small R, so
	 * every later fetch faults too, until the handler's log is full. */
	struct run r;
	run(&r, &p);
	assert_log(r.g->vm.mem, 0, TRAP_MEMORY, at, at);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* rdpsw shows virtual system mode (the real CPU is in user mode) and the
 * flags of the last compare. */
static void test_interp_rdpsw_shows_virtual_mode(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 3);
	pt_op(&p, ISA_OP_CMPI, PT_R1, 0, 0, 3);
	pt_op(&p, ISA_OP_RDPSW, PT_R2, 0, 0, 0);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->vm.r[PT_R2], PSW_S | PSW_Z | PSW_C);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* wrfl sets the virtual IE and the flags (which branches then see); in
 * system mode the mode bit is not touched. */
static void test_interp_wrfl_sets_ie_and_flags(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_li(&p, PT_R1, PSW_IE | PSW_Z | PSW_V);
	pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_RDPSW, PT_R2, 0, 0, 0);
	uint32_t b = pt_jump(&p, ISA_OP_BEQ, 0);
	emit_exit(&p, 1);
	pt_patch_jump(&p, b, p.pc);
	pt_li(&p, PT_R1, 0);
	pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	assert_int_equal(vmm_guest_exit_status(r.g), 0);
	assert_int_equal(r.g->vm.r[PT_R2], PSW_S | PSW_IE | PSW_Z | PSW_V);
	assert_int_equal(r.g->vm.r[PT_R3], PSW_S);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* rtu enters virtual user mode at rd with R unchanged; a privileged
 * instruction there is reflected (priv), not emulated. */
static void test_interp_rtu_then_priv_reflected(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	const uint32_t upc = 0x3000;
	pt_li(&p, PT_R1, upc);
	pt_op(&p, ISA_OP_RTU, PT_R1, 0, 0, 0);
	uint32_t save = p.pc;
	p.pc = upc;
	uint32_t w = pt_op(&p, ISA_OP_RDPSW, PT_R5, 0, 0, 0);
	pt_op(&p, ISA_OP_MOVI, PT_R0, 0, 0, 4);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, EXIT_SVC);
	p.pc = save;
	struct run r;
	run(&r, &p);
	assert_int_equal(vmm_guest_exit_status(r.g), 4);
	assert_log(r.g->vm.mem, 0, TRAP_PRIV, pt_peek(&p, w), upc);
	assert_int_equal(log_at(r.g->vm.mem, 0).status & PSW_S, 0);
	assert_int_equal(r.g->vm.r[PT_R5], 0); /* the rdpsw never ran */
	assert_int_equal(r.g->stats.reflected, 2); /* priv, svc */
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* rtu to a misaligned address: the next fetch faults (align), as on the
 * bare machine. */
static void test_interp_rtu_misaligned(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_li(&p, PT_R1, 0x3002);
	pt_op(&p, ISA_OP_RTU, PT_R1, 0, 0, 0);
	struct run r;
	run(&r, &p);
	assert_log(r.g->vm.mem, 0, TRAP_ALIGN, 0x3002, 0x3002);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* in and out reach the guest's virtual devices: console output, input,
 * status, the timer clock (its own clock, after the in retires), disk
 * registers, an unused port. */
static void test_interp_in_out_devices(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 'h');
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_CONSOLE_OUT);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, '\n');
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_CONSOLE_OUT);
	pt_op(&p, ISA_OP_IN, PT_R2, 0, 0, PORT_CONSOLE_IN);
	pt_op(&p, ISA_OP_IN, PT_R3, 0, 0, PORT_CONSOLE_STATUS);
	pt_op(&p, ISA_OP_IN, PT_R4, 0, 0, PORT_CONSOLE_IN);
	pt_op(&p, ISA_OP_IN, PT_R5, 0, 0, PORT_CONSOLE_STATUS);
	pt_op(&p, ISA_OP_IN, PT_R6, 0, 0, PORT_TIMER_CLOCK); /* the 9th instruction */
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 5);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_DISK_SECTOR);
	pt_op(&p, ISA_OP_IN, PT_R7, 0, 0, PORT_DISK_SECTOR);
	pt_op(&p, ISA_OP_IN, PT_R8, 0, 0, PORT_DISK_SECTORS);
	pt_op(&p, ISA_OP_IN, PT_R9, 0, 0, 0x77);
	emit_exit(&p, 0);
	struct run r;
	struct run_opts o = { .input = "AB" };
	run_opts(&r, &p, PG32_LOAD_ADDR, &o);
	assert_int_equal(r.out_len, 2);
	assert_memory_equal(r.out, "h\n", 2);
	assert_int_equal(r.g->vm.r[PT_R2], 'A');
	assert_int_equal(r.g->vm.r[PT_R3], CONSOLE_STATUS_READY);
	assert_int_equal(r.g->vm.r[PT_R4], 'B');
	assert_int_equal(r.g->vm.r[PT_R5], CONSOLE_STATUS_EOF);
	assert_int_equal(r.g->vm.r[PT_R6], 9);
	assert_int_equal(r.g->vm.r[PT_R7], 5);
	assert_int_equal(r.g->vm.r[PT_R8], 0);
	assert_int_equal(r.g->vm.r[PT_R9], PORT_NONE_VALUE);
	assert_int_equal(r.g->dev.input_pos, 2);
	run_free(&r);
	assert_equivalent_in(&p, "AB");
	pt_prog_free(&p);
}

/* halt with interrupts off ends the guest (halted), pc after the halt. */
static void test_interp_halt_ie_off(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	uint32_t h = pt_op(&p, ISA_OP_HALT, 0, 0, 0, 0);
	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->end, VMM_HALTED);
	assert_int_equal(vmm_guest_exit_status(r.g), PG32_EXIT_HALTED);
	assert_int_equal(r.g->vm.pc, h + ISA_WORD_BYTES);
	assert_int_equal(r.g->vm.clock, 2);
	assert_true(r.g->vm.waiting);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* halt with IE on idles: the guest's clock jumps to the timer expiry, and
 * the interrupt arrives with that clock as its detail. */
static void test_interp_halt_idles_to_timer(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 500);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_TIMER_PERIOD); /* clock 2: expiry at 502 */
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	uint32_t h = pt_op(&p, ISA_OP_HALT, 0, 0, 0, 0);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_log(r.g->vm.mem, 0, TRAP_TIMER, 502, h + ISA_WORD_BYTES);
	assert_int_equal(r.g->stats.idle, 502 - 5);
	assert_int_equal(r.g->stats.interrupts, 1);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* Every privileged instruction of the ISA table has a routine. */
static void test_interp_covers_every_privileged_op(void **state)
{
	(void)state;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		if (info && (info->flags & ISA_F_PRIV) && !vmm_interp_covers(op))
			fail_msg("no interpreter routine for %s", info->mnemonic);
	}
	assert_false(vmm_interp_covers(ISA_OP_ADD));
	assert_false(vmm_interp_covers(ISA_NOPS));
}

/* ---- reflection ---------------------------------------------------------------------- */

/* Every fault and trap raised in virtual SYSTEM mode is reflected with
 * the bare machine's cause, detail and saved pc. */
static void test_reflect_system_mode_traps(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_li(&p, PT_R1, MEM);
	uint32_t a_mem = pt_op(&p, ISA_OP_LW, PT_R2, PT_R1, 0, 0);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 2);
	uint32_t a_align = pt_op(&p, ISA_OP_LW, PT_R2, PT_R1, 0, 0);
	uint32_t a_ill = pt_word(&p, 0);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	uint32_t a_div = pt_op(&p, ISA_OP_DIV, PT_R2, PT_R2, PT_R1, 0);
	uint32_t a_svc = pt_op(&p, ISA_OP_SVC, 0, 0, 0, 42);
	uint32_t a_brk = pt_op(&p, ISA_OP_BRK, 0, 0, 0, 43);
	uint32_t a_hc = pt_op(&p, ISA_OP_HCALL, 0, 0, 0, 44);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	const uint8_t *m = r.g->vm.mem;
	assert_log(m, 0, TRAP_MEMORY, MEM, a_mem);
	assert_log(m, 1, TRAP_ALIGN, 2, a_align);
	assert_log(m, 2, TRAP_ILLEGAL, 0, a_ill);
	assert_log(m, 3, TRAP_DIVIDE, pt_peek(&p, a_div), a_div);
	assert_log(m, 4, TRAP_SVC, 42, a_svc + ISA_WORD_BYTES);
	assert_log(m, 5, TRAP_BRK, 43, a_brk + ISA_WORD_BYTES);
	assert_log(m, 6, TRAP_HCALL, 44, a_hc + ISA_WORD_BYTES);
	assert_int_equal(log_count(m), 7);
	assert_int_equal(r.g->stats.reflected, 7);
	for (unsigned c = TRAP_MEMORY; c <= TRAP_HCALL; c++)
		assert_int_equal(r.g->stats.traps[c], 1);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* The same traps raised in virtual USER mode under a user R: reflected
 * with user addresses (relative to the user's R) and user status. */
static void test_reflect_user_mode_traps(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_put_psw(p.mem, SLOT, 0, 0, USER, USER_SIZE);
	pt_li(&p, PT_R1, SLOT);
	pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	uint32_t save = p.pc;
	p.pc = USER;
	pt_li(&p, PT_R1, USER_SIZE); /* the bound: the first illegal address */
	pt_op(&p, ISA_OP_SW, PT_R2, PT_R1, 0, 0);
	pt_op(&p, ISA_OP_LW, PT_R2, PT_R1, 0, -(int32_t)ISA_WORD_BYTES); /* the last legal word */
	uint32_t w_out = pt_op(&p, ISA_OP_OUT, PT_R2, 0, 0, PORT_CONSOLE_OUT);
	pt_op(&p, ISA_OP_BRK, 0, 0, 0, 1);
	pt_op(&p, ISA_OP_MOVI, PT_R0, 0, 0, 0);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, EXIT_SVC);
	p.pc = save;
	struct run r;
	run(&r, &p);
	const uint8_t *m = r.g->vm.mem;
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_log(m, 0, TRAP_MEMORY, USER_SIZE, 8);
	assert_log(m, 1, TRAP_PRIV, pt_peek(&p, w_out), w_out - USER);
	assert_log(m, 2, TRAP_BRK, 1, w_out - USER + 2 * ISA_WORD_BYTES);
	assert_int_equal(log_at(m, 0).status & PSW_S, 0);
	assert_int_equal(r.out_len, 0); /* the user's out never reached the console */
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* Timer interrupts reach a user program on the same instruction as on the
 * bare machine, although the monitor emulated instructions on the way. */
static void test_reflect_timer_interrupt_in_user_mode(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 37);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_TIMER_PERIOD);
	pt_put_psw(p.mem, SLOT, PSW_IE, 0, USER, USER_SIZE);
	pt_li(&p, PT_R1, SLOT);
	pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	uint32_t save = p.pc;
	p.pc = USER;
	/* count r1 to 200, then exit */
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	uint32_t top = pt_op(&p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&p, ISA_OP_CMPI, PT_R1, 0, 0, 200);
	pt_jump(&p, ISA_OP_BLT, top);
	pt_op(&p, ISA_OP_MOVI, PT_R0, 0, 0, 0);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, EXIT_SVC);
	p.pc = save;
	struct run r;
	run(&r, &p);
	const uint8_t *m = r.g->vm.mem;
	assert_int_equal(r.g->end, VMM_POWEROFF);
	/* The first expiry: 37 instructions after the out (the 2nd) retired. */
	assert_int_equal(log_at(m, 0).cause, TRAP_TIMER);
	assert_int_equal(log_at(m, 0).detail, 2 + 37);
	assert_true(r.g->stats.interrupts >= 10);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* The monitor tells its listener what it did with every trap, once each:
 * the timer program's out is device work, its lpsw an emulation, each
 * timer expiry an interrupt, its final svc a reflection. */
struct event_log {
	unsigned n[VMM_NACTIONS];
	struct vmm_event first[VMM_NACTIONS];
};

static void record_event(void *ctx, const struct vmm_event *e)
{
	struct event_log *log = ctx;
	if (log->n[e->action]++ == 0)
		log->first[e->action] = *e;
}

static void test_events_one_per_trap(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 50);
	uint32_t out_at = pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_TIMER_PERIOD);
	pt_put_psw(p.mem, SLOT, PSW_IE, 0, USER, USER_SIZE);
	pt_li(&p, PT_R1, SLOT);
	uint32_t lpsw_at = pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	uint32_t save = p.pc;
	p.pc = USER;
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	uint32_t top = pt_op(&p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&p, ISA_OP_CMPI, PT_R1, 0, 0, 200);
	pt_jump(&p, ISA_OP_BLT, top);
	pt_op(&p, ISA_OP_MOVI, PT_R0, 0, 0, 0);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, EXIT_SVC);
	p.pc = save;
	struct event_log log = { 0 };
	struct run_opts o = { .on_event = record_event, .event_ctx = &log };
	struct run r;
	run_opts(&r, &p, PG32_LOAD_ADDR, &o);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	const struct vmm_event *dev = &log.first[VMM_ACT_DEVICE];
	assert_int_equal(dev->trap.insn_pc, out_at);
	assert_int_equal(dev->clock, 1); /* taken when one instruction had retired */
	assert_true(dev->before.status & PSW_S);
	const struct vmm_event *em = &log.first[VMM_ACT_EMULATED];
	assert_int_equal(em->trap.insn_pc, lpsw_at);
	assert_true(em->before.status & PSW_S);
	assert_int_equal(log.first[VMM_ACT_INTERRUPT].trap.cause, TRAP_TIMER);
	assert_false(log.first[VMM_ACT_INTERRUPT].before.status & PSW_S);
	assert_int_equal(log.first[VMM_ACT_REFLECTED].trap.cause, TRAP_SVC);
	/* Once per trap the guest's stats counted, no more. */
	unsigned total = 0, traps = 0;
	for (unsigned a = 0; a < VMM_NACTIONS; a++)
		total += log.n[a];
	for (unsigned c = 0; c < TRAP_NCAUSES; c++)
		traps += (unsigned)r.g->stats.traps[c];
	assert_int_equal(total, traps);
	assert_int_equal(log.n[VMM_ACT_INTERRUPT], r.g->stats.interrupts);
	assert_string_equal(vmm_action_name(VMM_ACT_REFLECTED), "reflected");
	assert_string_equal(vmm_action_name(VMM_NACTIONS), "?");
	run_free(&r);
	pt_prog_free(&p);
}

/* A disk command on a machine without a disk completes in error after the
 * disk's latency, with an interrupt whose detail is the status. */
static void test_reflect_disk_interrupt(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 1);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_DISK_COUNT);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, DISK_CMD_READ);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_DISK_CMD); /* clock 4 */
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	uint32_t h = pt_op(&p, ISA_OP_HALT, 0, 0, 0, 0);
	pt_op(&p, ISA_OP_IN, PT_R2, 0, 0, PORT_DISK_STATUS);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	assert_log(r.g->vm.mem, 0, TRAP_DISK, DISK_STATUS_ERROR, h + ISA_WORD_BYTES);
	assert_int_equal(r.g->vm.r[PT_R2], DISK_STATUS_ERROR);
	assert_int_equal(r.g->stats.idle, 4 + DISK_LATENCY_BASE + DISK_LATENCY_PER_SECTOR - 7);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* An interrupt that expires while IE is off stays pending and is taken
 * right after the wrfl that enables IE. */
static void test_reflect_pending_interrupt_on_enable(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 3);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_TIMER_PERIOD);
	for (int i = 0; i < 10; i++)
		pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, PSW_IE);
	uint32_t w = pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	assert_log(r.g->vm.mem, 0, TRAP_TIMER, 14, w + ISA_WORD_BYTES);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* A new PSW that cannot be fetched: BARE_MAX_TRAPS_WITHOUT_PROGRESS traps
 * in a row, then the guest ends with a trap loop, as bare_run does. */
static void test_reflect_trap_loop(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	pt_put_psw(p.mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, HANDLER); /* handler out of R */
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, 1);
	emit_exit(&p, 0);
	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->end, VMM_TRAP_LOOP);
	assert_int_equal(vmm_guest_exit_status(r.g), PG32_EXIT_TRAP_LOOP);
	assert_int_equal(r.g->stats.reflected, BARE_MAX_TRAPS_WITHOUT_PROGRESS);
	run_free(&r);
	assert_equivalent(&p);
	pt_prog_free(&p);
}

/* ---- dispatcher ------------------------------------------------------------------- */

/* Two guests, built for the kill tests: each counts to a large number. */
static void two_guests(struct vmm **v, struct vmm_guest **g, struct pt_prog *p)
{
	char msg[MSG];
	pt_prog_init(p, MEM);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	uint32_t top = pt_op(p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_li(p, PT_R2, 100000);
	pt_op(p, ISA_OP_CMP, PT_R1, PT_R2, 0, 0);
	pt_jump(p, ISA_OP_BLT, top);
	emit_exit(p, 0);
	struct pt_image pi;
	pt_image_of(&pi, p, PG32_LOAD_ADDR);
	struct vmm_config cfg = { .host_mem = 2 * MEM, .quantum = 1000 };
	assert_int_equal(vmm_create(v, &cfg, msg, sizeof msg), 0);
	for (int i = 0; i < 2; i++) {
		struct vmm_guest_config gc = { .name = i ? "b" : "a", .img = &pi.img, .mem_size = MEM };
		assert_int_equal(vmm_add_guest(*v, &gc, &g[i], msg, sizeof msg), 0);
	}
}

/* An interrupt reported by the real CPU, or an unknown cause, kills that
 * guest (with cause, pc, detail), never the monitor; the other runs on. */
static void test_dispatch_kills_on_unexpected_trap(void **state)
{
	(void)state;
	struct vmm *v;
	struct vmm_guest *g[2];
	struct pt_prog p;
	two_guests(&v, g, &p);
	char *log = NULL;
	size_t log_len = 0;
	v->log = open_memstream(&log, &log_len);
	struct cpu_trap t = { .cause = TRAP_TIMER, .detail = 0x1234, .pc = 0x100, .insn_pc = 0x100 };
	assert_int_equal(vmm_dispatch(v, g[0], &t), VMM_NEXT_STOP);
	assert_int_equal(g[0]->end, VMM_KILLED);
	assert_non_null(strstr(g[0]->why, "timer"));
	assert_non_null(strstr(g[0]->why, "detail=0x00001234"));
	vmm_run(v);
	fclose(v->log);
	v->log = NULL;
	assert_non_null(strstr(log, "guest a killed"));
	assert_int_equal(g[1]->end, VMM_POWEROFF);
	assert_int_equal(vmm_guest_exit_status(g[0]), VMM_EXIT_KILLED);
	assert_int_equal(vmm_exit_status(v), VMM_EXIT_KILLED);

	t.cause = TRAP_NCAUSES + 3;
	g[0]->end = VMM_RUNNING;
	assert_int_equal(vmm_dispatch(v, g[0], &t), VMM_NEXT_STOP);
	assert_int_equal(g[0]->end, VMM_KILLED);
	free(log);
	vmm_destroy(v);
	pt_prog_free(&p);
}

/* A priv trap whose word is not a privileged instruction (only a broken
 * CPU would report one) kills the guest instead of emulating nonsense. */
static void test_dispatch_kills_on_unknown_priv_word(void **state)
{
	(void)state;
	struct vmm *v;
	struct vmm_guest *g[2];
	struct pt_prog p;
	two_guests(&v, g, &p);
	struct cpu_trap t = { .cause = TRAP_PRIV, .insn = pt_enc(ISA_OP_ADD, 1, 2, 3, 0) };
	assert_int_equal(vmm_dispatch(v, g[1], &t), VMM_NEXT_STOP);
	assert_int_equal(g[1]->end, VMM_KILLED);
	t.insn = 0xFFFFFFFFu; /* not even decodable */
	g[1]->end = VMM_RUNNING;
	assert_int_equal(vmm_dispatch(v, g[1], &t), VMM_NEXT_STOP);
	vmm_run(v);
	assert_int_equal(g[0]->end, VMM_POWEROFF);
	vmm_destroy(v);
	pt_prog_free(&p);
}

/* An emulated instruction counts as one retired instruction: a guest of
 * only privileged instructions has clock = emulated count. */
static void test_dispatch_emulated_counts_one(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	for (int i = 0; i < 20; i++)
		pt_op(&p, ISA_OP_RDPSW, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_POWER_OFF);
	struct run r;
	run(&r, &p);
	assert_int_equal(r.g->vm.clock, 21);
	assert_int_equal(r.g->stats.emulated, 21);
	assert_int_equal(r.g->stats.direct, 0);
	assert_true(vmm_efficiency(&r.g->stats) == 0.0);
	assert_int_equal(vmm_guest_exit_status(r.g), PSW_S); /* r1 = rdpsw */
	run_free(&r);
	pt_prog_free(&p);
}

/* The instruction limit stops a guest exactly at its clock (limit). */
static void test_dispatch_instruction_limit(void **state)
{
	(void)state;
	struct pt_prog p;
	prog_init(&p);
	uint32_t top = pt_op(&p, ISA_OP_RDPSW, PT_R1, 0, 0, 0);
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_jump(&p, ISA_OP_B, top);
	struct run r;
	struct run_opts o = { .max = 1001, .quantum = 7 };
	run_opts(&r, &p, PG32_LOAD_ADDR, &o);
	assert_int_equal(r.g->end, VMM_LIMIT);
	assert_int_equal(r.g->vm.clock, 1001);
	assert_int_equal(vmm_guest_exit_status(r.g), PG32_EXIT_LIMIT);
	run_free(&r);
	pt_prog_free(&p);
}

/* ---- world switch and composition --------------------------------------------------- */

/* The composition of R: base shifted by the region, bound clamped to the
 * region, zero when the virtual base lies outside it. */
static void test_compose_r_edges(void **state)
{
	(void)state;
	const struct vmm_region rg = { .base = 0x10000, .size = 0x4000 };
	uint32_t b, n;
	vmm_compose_r(&rg, 0, 0x4000, &b, &n);
	assert_int_equal(b, 0x10000);
	assert_int_equal(n, 0x4000);
	vmm_compose_r(&rg, 0x1000, 0xFFFFFFFFu, &b, &n);
	assert_int_equal(b, 0x11000);
	assert_int_equal(n, 0x3000);
	vmm_compose_r(&rg, 0x1000, 0x100, &b, &n);
	assert_int_equal(n, 0x100);
	vmm_compose_r(&rg, 0x4000, 0x100, &b, &n);
	assert_int_equal(n, 0);
	vmm_compose_r(&rg, 0xFFFFFFF0u, 0x100, &b, &n); /* rbase + vbase would wrap */
	assert_int_equal(n, 0);
	assert_true(b >= rg.base && b <= rg.base + rg.size);
}

/* The world switch puts the real CPU in USER mode with the guest's flags
 * and the composed R, and brings back only registers, pc, flags, clock. */
static void test_world_switch(void **state)
{
	(void)state;
	struct vmm *v;
	struct vmm_guest *g[2];
	struct pt_prog p;
	two_guests(&v, g, &p);
	g[1]->vm.status = PSW_S | PSW_IE | PSW_C;
	g[1]->vm.base = 0x100;
	g[1]->vm.bound = 0x200;
	g[1]->vm.r[3] = 33;
	g[1]->vm.clock = 77;
	vmm_world_load(v, g[1]);
	assert_int_equal(v->cpu.status & PSW_S, 0);
	assert_int_equal(v->cpu.status & PSW_FLAGS, PSW_C);
	assert_int_equal(v->cpu.base, g[1]->region.base + 0x100);
	assert_int_equal(v->cpu.bound, 0x200);
	assert_int_equal(v->cpu.r[3], 33);
	assert_int_equal(v->cpu.clock, 77);
	assert_null(v->cpu.bus);
	v->cpu.status = PSW_Z | PSW_N; /* as if a compare ran */
	v->cpu.r[4] = 44;
	v->cpu.clock = 80;
	vmm_world_save(v, g[1]);
	assert_int_equal(g[1]->vm.status, PSW_S | PSW_IE | PSW_Z | PSW_N);
	assert_int_equal(g[1]->vm.base, 0x100);
	assert_int_equal(g[1]->vm.r[4], 44);
	assert_int_equal(g[1]->vm.clock, 80);
	vmm_destroy(v);
	pt_prog_free(&p);
}

/* ---- allocator ------------------------------------------------------------------------- */

/* Regions: aligned, first fit, zeroed on reuse, and a clear message when
 * the host memory is full. */
static void test_alloc_regions(void **state)
{
	(void)state;
	struct vmm *v;
	char msg[MSG];
	struct vmm_config cfg = { .host_mem = 4 * VMM_REGION_ALIGN };
	assert_int_equal(vmm_create(&v, &cfg, msg, sizeof msg), 0);
	struct vmm_region a, b, c, d;
	assert_int_equal(vmm_alloc_region(v, 100, &a, msg, sizeof msg), 0);
	assert_int_equal(vmm_alloc_region(v, VMM_REGION_ALIGN + 4, &b, msg, sizeof msg), 0);
	assert_int_equal(a.base, 0);
	assert_int_equal(b.base, VMM_REGION_ALIGN);
	assert_int_equal(vmm_alloc_region(v, VMM_REGION_ALIGN, &c, msg, sizeof msg), 0);
	assert_int_equal(c.base, 3 * VMM_REGION_ALIGN);
	assert_int_equal(vmm_alloc_region(v, 8, &d, msg, sizeof msg), PG32_ENOMEM);
	assert_non_null(strstr(msg, "free"));
	memset(v->host_mem + a.base, 0x5A, a.size);
	vmm_free_region(v, &a);
	assert_int_equal(vmm_alloc_region(v, 64, &d, msg, sizeof msg), 0);
	assert_int_equal(d.base, 0);
	assert_int_equal(v->host_mem[0], 0);
	assert_int_equal(vmm_alloc_region(v, 0, &d, msg, sizeof msg), PG32_EARG);
	vmm_destroy(v);
}

/* A guest that does not fit is refused with a message naming it; a guest
 * whose memory size is not one the bare machine allows is refused too. */
static void test_alloc_guest_does_not_fit(void **state)
{
	(void)state;
	struct vmm *v;
	char msg[MSG];
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	emit_exit(&p, 0);
	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_config cfg = { .host_mem = 2 * MEM };
	assert_int_equal(vmm_create(&v, &cfg, msg, sizeof msg), 0);
	struct vmm_guest_config gc = { .name = "big", .img = &pi.img, .mem_size = MEM };
	assert_int_equal(vmm_add_guest(v, &gc, NULL, msg, sizeof msg), 0);
	assert_int_equal(vmm_add_guest(v, &gc, NULL, msg, sizeof msg), 0);
	assert_int_equal(vmm_add_guest(v, &gc, NULL, msg, sizeof msg), PG32_ENOMEM);
	assert_non_null(strstr(msg, "guest 3 (big)"));
	gc.mem_size = PG32_MEM_MIN - 4;
	assert_int_equal(vmm_add_guest(v, &gc, NULL, msg, sizeof msg), PG32_EARG);
	gc.mem_size = PG32_MEM_MIN + 2;
	assert_int_equal(vmm_add_guest(v, &gc, NULL, msg, sizeof msg), PG32_EARG);
	assert_int_equal(v->nguests, 2);
	assert_int_equal(vmm_alloc_minidisk(v, 1, &(struct vmm_minidisk){ 0 }, msg, sizeof msg),
	                 PG32_ENOMEM); /* no disk */
	vmm_destroy(v);
	pt_prog_free(&p);
}

/* CPU time: round robin over the running guests only. */
static void test_alloc_round_robin(void **state)
{
	(void)state;
	struct vmm *v;
	struct vmm_guest *g[2];
	struct pt_prog p;
	two_guests(&v, g, &p);
	assert_ptr_equal(vmm_alloc_next_guest(v, NULL), g[0]);
	assert_ptr_equal(vmm_alloc_next_guest(v, g[0]), g[1]);
	assert_ptr_equal(vmm_alloc_next_guest(v, g[1]), g[0]);
	g[0]->end = VMM_HALTED;
	assert_ptr_equal(vmm_alloc_next_guest(v, g[1]), g[1]);
	g[1]->end = VMM_POWEROFF;
	assert_null(vmm_alloc_next_guest(v, g[1]));
	vmm_destroy(v);
	pt_prog_free(&p);
}

/* ---- stats and exit statuses ------------------------------------------------------------ */

/* The table and the JSON name every guest and its traps; the monitor's
 * own memory per guest stays small. */
static void test_stats_outputs(void **state)
{
	(void)state;
	struct vmm *v;
	struct vmm_guest *g[2];
	struct pt_prog p;
	two_guests(&v, g, &p);
	vmm_run(v);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	vmm_print_stats(v, f);
	fclose(f);
	assert_non_null(strstr(text, "power-off"));
	assert_non_null(strstr(text, "efficiency"));
	assert_non_null(strstr(text, "priv"));
	free(text);
	f = open_memstream(&text, &len);
	vmm_write_stats_json(v, f);
	fclose(f);
	assert_non_null(strstr(text, "\"name\": \"a\""));
	assert_non_null(strstr(text, "\"traps_emulated\": 1"));
	assert_non_null(strstr(text, "\"efficiency\": 0.99"));
	free(text);
	assert_true(g[0]->stats.direct > 100000);
	assert_true(g[0]->stats.slices > 100);
	assert_true(v->own_bytes / v->nguests < 64 * 1024);
	vmm_destroy(v);
	pt_prog_free(&p);
}

/* Exit statuses: one guest gives its own; several give the first non-zero. */
static void test_exit_statuses(void **state)
{
	(void)state;
	struct vmm *v;
	struct vmm_guest *g[2];
	struct pt_prog p;
	two_guests(&v, g, &p);
	g[0]->end = VMM_POWEROFF;
	g[1]->end = VMM_POWEROFF;
	assert_int_equal(vmm_exit_status(v), 0);
	g[1]->dev.exit_code = 9;
	assert_int_equal(vmm_exit_status(v), 9);
	g[0]->end = VMM_LIMIT;
	assert_int_equal(vmm_exit_status(v), PG32_EXIT_LIMIT);
	assert_string_equal(vmm_end_name(VMM_TRAP_LOOP), "trap-loop");
	vmm_destroy(v);
	pt_prog_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interp_lpsw_enters_user_mode),
		cmocka_unit_test(test_interp_lpsw_faults),
		cmocka_unit_test(test_interp_lrr_srr_virtual_r),
		cmocka_unit_test(test_interp_lrr_next_fetch),
		cmocka_unit_test(test_interp_rdpsw_shows_virtual_mode),
		cmocka_unit_test(test_interp_wrfl_sets_ie_and_flags),
		cmocka_unit_test(test_interp_rtu_then_priv_reflected),
		cmocka_unit_test(test_interp_rtu_misaligned),
		cmocka_unit_test(test_interp_in_out_devices),
		cmocka_unit_test(test_interp_halt_ie_off),
		cmocka_unit_test(test_interp_halt_idles_to_timer),
		cmocka_unit_test(test_interp_covers_every_privileged_op),
		cmocka_unit_test(test_reflect_system_mode_traps),
		cmocka_unit_test(test_reflect_user_mode_traps),
		cmocka_unit_test(test_reflect_timer_interrupt_in_user_mode),
		cmocka_unit_test(test_reflect_disk_interrupt),
		cmocka_unit_test(test_reflect_pending_interrupt_on_enable),
		cmocka_unit_test(test_reflect_trap_loop),
		cmocka_unit_test(test_events_one_per_trap),
		cmocka_unit_test(test_dispatch_kills_on_unexpected_trap),
		cmocka_unit_test(test_dispatch_kills_on_unknown_priv_word),
		cmocka_unit_test(test_dispatch_emulated_counts_one),
		cmocka_unit_test(test_dispatch_instruction_limit),
		cmocka_unit_test(test_compose_r_edges),
		cmocka_unit_test(test_world_switch),
		cmocka_unit_test(test_alloc_regions),
		cmocka_unit_test(test_alloc_guest_does_not_fit),
		cmocka_unit_test(test_alloc_round_robin),
		cmocka_unit_test(test_stats_outputs),
		cmocka_unit_test(test_exit_statuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
