/*
 * test_hybrid.c -- the hybrid monitor (vmm/hybrid.c, tzvmm --hybrid):
 * Popek and Goldberg's Theorem 3, measured.
 *
 * Under `ill:rtu` (only the JRST-1 twin unprivileged) the hybrid monitor,
 * which interprets every instruction of virtual system mode and runs
 * virtual user mode directly, is equivalent to the bare machine without
 * any rewriting, and its efficiency shows the price.  Under `ill:srr` the
 * theorem does not hold: the monitor says so in its log.  Random ill
 * programs check the interpreter against the bare machine; a small kernel
 * built here shows that plain trap-and-emulate is NOT equivalent under
 * ill:rtu, so the tests fail without the hybrid monitor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg32_test.h"
#include "vmm.h"

#define MEM PT_MEM_SIZE
#define MSG 512
#define LIMIT 100000u
#define USER_CODE 0x2000u    /* the user program, run with R = identity after rtu */
#define HANDLER 0x1000u      /* the kernel's trap handler */
#define ROUNDS 5             /* kernel -> user -> svc -> kernel round trips */
#define RANDOM_HYBRID 1000u  /* random programs under the hybrid monitor */
#define RANDOM_SEED 7u
#define RANDOM_LIMIT 20000u

static isa_variant variant_of(const char *text)
{
	isa_variant v;
	char msg[MSG];
	assert_int_equal(isa_variant_parse(text, &v, msg, sizeof msg), 0);
	return v;
}

/* A small kernel: installs a handler, then ROUNDS times enters a user
 * program with rtu; the user program makes an svc, the handler counts it
 * and goes on.  Under plain trap-and-emulate with ill:rtu the rtu in
 * virtual system mode is only a jump on the real CPU (it does not trap),
 * so the guest never really leaves virtual system mode. */
static void build_rtu_kernel(struct pt_prog *p)
{
	pt_prog_init(p, MEM);
	pt_li(p, PT_R1, PSW_S);
	pt_op(p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_STATUS);
	pt_li(p, PT_R1, HANDLER);
	pt_op(p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_PC);
	pt_li(p, PT_R1, MEM);
	pt_op(p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_BOUND);
	pt_op(p, ISA_OP_MOVI, PT_R9, 0, 0, 0);      /* svc count */
	pt_li(p, PT_R2, USER_CODE);
	uint32_t enter = pt_op(p, ISA_OP_RTU, PT_R2, 0, 0, 0);
	(void)enter;
	/* the handler: count, read the mode from the old PSW, loop or stop */
	p->pc = HANDLER;
	pt_op(p, ISA_OP_ADDI, PT_R9, PT_R9, 0, 1);
	pt_op(p, ISA_OP_LW, PT_R4, PT_R0, 0, PG32_OLD_PSW + PSW_OFF_STATUS);
	pt_op(p, ISA_OP_OR, PT_R5, PT_R5, PT_R4, 0); /* any S bit seen in an old PSW */
	pt_op(p, ISA_OP_CMPI, PT_R9, 0, 0, ROUNDS);
	uint32_t done = pt_jump(p, ISA_OP_BGE, 0);
	pt_op(p, ISA_OP_RTU, PT_R2, 0, 0, 0);
	pt_patch_jump(p, done, p->pc);
	pt_op(p, ISA_OP_OUT, PT_R9, 0, 0, PORT_POWER_OFF);
	/* the user program: some work, an svc, and back to its start */
	p->pc = USER_CODE;
	pt_op(p, ISA_OP_ADDI, PT_R6, PT_R6, 0, 3);
	pt_op(p, ISA_OP_SVC, 0, 0, 0, 1);
}

static unsigned interpreted_events;

static void count_interpreted(void *ctx, const struct vmm_event *e)
{
	(void)ctx;
	interpreted_events += e->action == VMM_ACT_INTERPRETED;
}

static bool check(const struct pt_prog *p, isa_variant v, bool hybrid,
                  enum vmm_rewrite_mode mode, char *line, size_t len)
{
	struct pt_image pi;
	pt_image_of(&pi, p, PG32_LOAD_ADDR);
	struct vmm_check_config cfg = { .mem_size = p->size, .variant = v, .hybrid = hybrid,
	                                .rewrite = mode, .max_instructions = LIMIT,
	                                .first_divergence = true };
	struct vmm_check_result res;
	char msg[MSG];
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, len);
	return res.equivalent;
}

/* The ill:rtu kernel is equivalent under the hybrid monitor, not under
 * plain trap-and-emulate; the hybrid monitor's efficiency is below 1, and
 * every interpreted instruction counts as emulated. */
static void test_hybrid_runs_rtu_kernel(void **state)
{
	(void)state;
	struct pt_prog p;
	build_rtu_kernel(&p);
	isa_variant v = variant_of("ill:rtu");
	char line[MSG + VMM_CHECK_WHAT];
	bool ok = check(&p, v, true, VMM_REWRITE_AUTO, line, sizeof line);
	printf("test_hybrid_runs_rtu_kernel: hybrid: %s\n", line);
	assert_true(ok);
	ok = check(&p, v, false, VMM_REWRITE_NONE, line, sizeof line);
	printf("test_hybrid_runs_rtu_kernel: plain trap-and-emulate: %s\n", line);
	assert_false(ok);

	char msg[MSG];
	struct vmm *vm;
	struct vmm_config vc = { .host_mem = 4 * MEM };
	assert_int_equal(vmm_create(&vm, &vc, msg, sizeof msg), 0);
	vm->on_event = count_interpreted;
	interpreted_events = 0;
	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_guest *g;
	struct vmm_guest_config gc = { .img = &pi.img, .mem_size = MEM, .variant = v,
	                               .hybrid = true, .max_instructions = LIMIT };
	assert_int_equal(vmm_add_guest(vm, &gc, &g, msg, sizeof msg), 0);
	assert_null(g->rw); /* no rewriting */
	vmm_run(vm);
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_int_equal(g->dev.exit_code, ROUNDS);
	assert_int_equal(g->vm.r[PT_R5] & PSW_S, 0); /* every svc came from user mode */
	assert_true(g->stats.interpreted > 0);
	assert_true(g->stats.emulated >= g->stats.interpreted);
	assert_true(g->stats.direct > 0); /* user mode ran directly */
	/* One "interpreted" event per interpreted instruction (the debugger's). */
	assert_int_equal(interpreted_events, g->stats.interpreted);
	double eff = vmm_efficiency(&g->stats);
	printf("test_hybrid_runs_rtu_kernel: efficiency %.3f (%llu direct, %llu interpreted)\n", eff,
	       (unsigned long long)g->stats.direct, (unsigned long long)g->stats.interpreted);
	assert_true(eff < 1.0);
	vmm_destroy(vm);
	pt_prog_free(&p);
}

/* A trap taken by an interpreted instruction counts among the guest's
 * traps by cause, as one the real CPU reported would: an svc in virtual
 * system mode, then a load from outside R. */
static void test_hybrid_counts_interpreted_traps(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_put_psw(p.mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
	pt_op(&p, ISA_OP_SVC, 0, 0, 0, 0);
	p.pc = HANDLER;
	pt_op(&p, ISA_OP_ADDI, PT_R9, PT_R9, 0, 1);
	pt_op(&p, ISA_OP_CMPI, PT_R9, 0, 0, 2);
	uint32_t done = pt_jump(&p, ISA_OP_BGE, 0);
	pt_li(&p, PT_R1, MEM);
	pt_op(&p, ISA_OP_LW, PT_R2, PT_R1, 0, 0); /* outside R: a memory fault */
	pt_patch_jump(&p, done, p.pc);
	pt_out_imm(&p, PT_R3, PORT_POWER_OFF, 0);
	char msg[MSG];
	struct vmm *vm;
	struct vmm_config vc = { .host_mem = 4 * MEM };
	assert_int_equal(vmm_create(&vm, &vc, msg, sizeof msg), 0);
	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_guest *g;
	struct vmm_guest_config gc = { .img = &pi.img, .mem_size = MEM,
	                               .variant = variant_of("ill:rtu"), .hybrid = true,
	                               .max_instructions = LIMIT };
	assert_int_equal(vmm_add_guest(vm, &gc, &g, msg, sizeof msg), 0);
	vmm_run(vm);
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_int_equal(g->stats.traps[TRAP_SVC], 1);
	assert_int_equal(g->stats.traps[TRAP_MEMORY], 1);
	assert_int_equal(g->stats.reflected, 2);
	vmm_destroy(vm);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(check(&p, variant_of("ill:rtu"), true, VMM_REWRITE_AUTO, line, sizeof line));
	pt_prog_free(&p);
}

/* Theorem 3's condition: a variant is hybrid-virtualizable unless a
 * critical instruction is user-sensitive (srr reads the real R in user
 * mode); the monitor warns in its log for the others, and refuses
 * rewriting with --hybrid. */
static void test_hybrid_virtualizable(void **state)
{
	(void)state;
	assert_true(vmm_hybrid_virtualizable(ISA_VARIANT_WELL));
	assert_true(vmm_hybrid_virtualizable(variant_of("ill:rtu")));
	assert_true(vmm_hybrid_virtualizable(variant_of("ill:rdpsw,wrfl,rtu")));
	assert_false(vmm_hybrid_virtualizable(variant_of("ill:srr")));
	assert_false(vmm_hybrid_virtualizable(variant_of("ill:srr,rtu")));
	assert_false(vmm_hybrid_virtualizable(isa_variant_all_ill()));

	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	assert_non_null(log);
	char msg[MSG];
	struct vmm *vm;
	struct vmm_config vc = { .host_mem = 4 * MEM, .log = log };
	assert_int_equal(vmm_create(&vm, &vc, msg, sizeof msg), 0);
	struct pt_prog p;
	build_rtu_kernel(&p);
	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_guest_config gc = { .name = "k", .img = &pi.img, .mem_size = MEM,
	                               .variant = variant_of("ill:rtu"), .hybrid = true };
	assert_int_equal(vmm_add_guest(vm, &gc, NULL, msg, sizeof msg), 0);
	fflush(log);
	assert_int_equal(loglen, 0); /* ill:rtu: nothing to say */
	gc.variant = variant_of("ill:srr");
	assert_int_equal(vmm_add_guest(vm, &gc, NULL, msg, sizeof msg), 0);
	fflush(log);
	assert_non_null(strstr(logbuf, "Theorem 3 does not hold"));
	gc.rewrite = VMM_REWRITE_DYNAMIC;
	assert_int_equal(vmm_add_guest(vm, &gc, NULL, msg, sizeof msg), PG32_EARG);
	vmm_destroy(vm);
	fclose(log);
	free(logbuf);
	pt_prog_free(&p);
}

/* Random programs of every hybrid-virtualizable ill variant at once,
 * ill:rdpsw,wrfl,rtu (system code, critical instructions in both modes,
 * code written at run time, rtu and lpsw excursions, faults, devices,
 * interrupts) under the hybrid monitor, each equivalent to the bare
 * machine. */
static void test_hybrid_random_programs(void **state)
{
	(void)state;
	static const uint64_t quanta[] = { 1, 7, 1000, VMM_QUANTUM_DEFAULT };
	isa_variant v = variant_of("ill:rdpsw,wrfl,rtu");
	const char *env = getenv("PG32_TEST_SEED");
	uint64_t base = env ? strtoull(env, NULL, 0) : RANDOM_SEED;
	printf("test_hybrid_random_programs: seeds %llu..%llu (set PG32_TEST_SEED to replay)\n",
	       (unsigned long long)base, (unsigned long long)(base + RANDOM_HYBRID - 1));
	uint64_t interpreted = 0;
	for (uint64_t i = 0; i < RANDOM_HYBRID; i++) {
		struct vmm_randprog rp;
		assert_int_equal(vmm_rand_generate_variant(base + i, v, &rp), 0);
		struct vmm_check_config cfg = { .mem_size = rp.mem_size, .variant = v, .hybrid = true,
		                                .max_instructions = RANDOM_LIMIT,
		                                .quantum = quanta[i % (sizeof quanta / sizeof quanta[0])] };
		struct vmm_check_result res;
		char msg[MSG], line[MSG + VMM_CHECK_WHAT];
		assert_int_equal(vmm_check(&rp.img, &cfg, &res, msg, sizeof msg), 0);
		if (!res.equivalent) {
			cfg.first_divergence = true;
			assert_int_equal(vmm_check(&rp.img, &cfg, &res, msg, sizeof msg), 0);
			vmm_check_format(&res, line, sizeof line);
			vmm_rand_print(&rp, stdout);
			fail_msg("seed %llu under the hybrid monitor: %s", (unsigned long long)(base + i),
			         line);
		}
		interpreted += res.clock;
		vmm_rand_free(&rp);
	}
	printf("test_hybrid_random_programs: all equivalent (%llu instructions)\n",
	       (unsigned long long)interpreted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid_virtualizable),
		cmocka_unit_test(test_hybrid_runs_rtu_kernel),
		cmocka_unit_test(test_hybrid_counts_interpreted_traps),
		cmocka_unit_test(test_hybrid_random_programs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
