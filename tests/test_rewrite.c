/*
 * test_rewrite.c -- binary rewriting in the monitor (vmm/rewrite.c) under
 * the ill-behaved variant: critical instructions replaced in place by
 * patch words, their originals emulated, the watch map keeping the patches
 * invisible and catching code written at run time.
 *
 * Small programs are built in C (tests/pg32_test.h) and run under a monitor
 * whose guest is then inspected (figures, watch map, memory), and compared
 * with the bare ill machine by the equivalence checker.  rdpsw is the
 * critical instruction of choice: run unpatched in real user mode it
 * reveals user mode, where the guest's bare machine shows system mode, so
 * every test below fails when rewriting does not do its job.  The shipped
 * ill guests (guests/detect, selfmod, codedata, indirect, minikernel_ill)
 * are checked from $TRAPEZE_BUILD/guests, and tzvmm's --rewrite option
 * from $TRAPEZE_BUILD/bin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg32_test.h"
#include "vmm.h"

#define MEM PT_MEM_SIZE
#define MSG 512
#define CMD 1024
#define LIMIT 100000u
#define FAR_CODE 0x2000u   /* code reached only by a computed jump */
#define DATA 0x3000u       /* data words */
#define EXIT_OK 0u

/* A monitor with one guest of p's program (entry PG32_LOAD_ADDR) under
 * variant `ill` and the given rewriting mode, run to its end. */
struct run {
	struct vmm *v;
	struct vmm_guest *g;
	struct pt_image pi;
};

/* Events by action, for the test that listens. */
static unsigned events[VMM_NACTIONS];
static uint32_t rewritten_pc;

static void count_event(void *ctx, const struct vmm_event *e)
{
	(void)ctx;
	events[e->action]++;
	if (e->action == VMM_ACT_REWRITTEN && e->trap.cause == TRAP_ILLEGAL)
		rewritten_pc = e->trap.insn_pc;
}

static void run_prog_with(struct run *r, const struct pt_prog *p, enum vmm_rewrite_mode mode,
                          vmm_event_fn on_event)
{
	char msg[MSG];
	struct vmm_config vc = { .host_mem = 4 * MEM };
	assert_int_equal(vmm_create(&r->v, &vc, msg, sizeof msg), 0);
	r->v->on_event = on_event;
	/* A page first, so that the guest's real R is not the identity. */
	struct vmm_region pad;
	assert_int_equal(vmm_alloc_region(r->v, VMM_REGION_ALIGN, &pad, msg, sizeof msg), 0);
	pt_image_of(&r->pi, p, PG32_LOAD_ADDR);
	struct vmm_guest_config gc = { .img = &r->pi.img, .mem_size = p->size,
	                               .variant = isa_variant_all_ill(), .rewrite = mode,
	                               .max_instructions = LIMIT };
	assert_int_equal(vmm_add_guest(r->v, &gc, &r->g, msg, sizeof msg), 0);
	vmm_run(r->v);
}

static void run_prog(struct run *r, const struct pt_prog *p, enum vmm_rewrite_mode mode)
{
	run_prog_with(r, p, mode, NULL);
}

/* Is p equivalent to the bare ill machine under mode? */
static bool equivalent(const struct pt_prog *p, enum vmm_rewrite_mode mode, char *line,
                       size_t len)
{
	struct pt_image pi;
	pt_image_of(&pi, p, PG32_LOAD_ADDR);
	struct vmm_check_config cfg = { .mem_size = p->size, .variant = isa_variant_all_ill(),
	                                .max_instructions = LIMIT, .rewrite = mode,
	                                .first_divergence = true };
	struct vmm_check_result res;
	char msg[MSG];
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, len);
	return res.equivalent;
}

static void power_off(struct pt_prog *p)
{
	pt_out_imm(p, PT_R12, PORT_POWER_OFF, EXIT_OK);
}

/* A patched word reads back as the original, by word and by byte loads,
 * while memory really holds the patch word. */
static void test_patched_word_reads_original(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	uint32_t at = pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	uint32_t original = pt_peek(&p, at);
	pt_op(&p, ISA_OP_LW, PT_R5, PT_R0, 0, (int32_t)at);
	pt_op(&p, ISA_OP_LB, PT_R6, PT_R0, 0, (int32_t)at + 3);
	pt_op(&p, ISA_OP_LBU, PT_R7, PT_R0, 0, (int32_t)at + 3);
	pt_op(&p, ISA_OP_LBU, PT_R8, PT_R0, 0, (int32_t)at);
	power_off(&p);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	const struct vmm_guest *g = r.g;
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_true(g->vm.r[PT_R3] & PSW_S); /* rdpsw emulated: virtual system mode */
	assert_int_equal(g->vm.r[PT_R5], original);
	assert_int_equal(g->vm.r[PT_R6], (uint32_t)(int32_t)(int8_t)(original >> 24));
	assert_int_equal(g->vm.r[PT_R7], original >> 24);
	assert_int_equal(g->vm.r[PT_R8], original & 0xFFu);
	/* ... though memory holds the patch word, R-watched. */
	assert_int_not_equal(pg32_load32(g->vm.mem + at), original);
	assert_int_equal(ISA_WORD_OPCODE(pg32_load32(g->vm.mem + at)), ISA_OP_UNDEFINED);
	assert_true(g->rw->map[at / ISA_WORD_BYTES] & CPU_WATCH_R);
	assert_int_equal(vmm_rewrite_read_word(g, at), original);
	assert_int_equal(g->stats.patches, 1);
	assert_int_equal(g->stats.rewrite_traps, 1);
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	assert_false(equivalent(&p, VMM_REWRITE_NONE, line, sizeof line));
	pt_prog_free(&p);
}

/* A loop whose second pass runs a word the first pass wrote: a store into
 * scanned code is caught, the word scanned again, and the new instruction
 * (critical: patched) runs. */
static void test_store_into_scanned_code_rescans(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_op(&p, ISA_OP_MOVI, PT_R9, 0, 0, 2);
	uint32_t top = pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0); /* the slot */
	pt_op(&p, ISA_OP_ADDI, PT_R9, PT_R9, 0, -1);
	pt_op(&p, ISA_OP_CMPI, PT_R9, 0, 0, 0);
	uint32_t beq = pt_jump(&p, ISA_OP_BEQ, 0);
	pt_li(&p, PT_R1, pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, (int32_t)top);
	pt_jump(&p, ISA_OP_B, top);
	pt_patch_jump(&p, beq, p.pc);
	power_off(&p);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	const struct vmm_guest *g = r.g;
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_true(g->vm.r[PT_R3] & PSW_S);
	assert_int_equal(g->stats.rescans, 1);
	assert_int_equal(g->stats.rewrite_traps, 1);
	assert_int_equal(vmm_rewrite_read_word(g, top), pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	assert_true(g->rw->map[top / ISA_WORD_BYTES] & CPU_WATCH_R); /* patched again */
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	/* Static rewriting scanned the nop at load and misses the rdpsw. */
	assert_false(equivalent(&p, VMM_REWRITE_STATIC, line, sizeof line));
	printf("test_store_into_scanned_code_rescans: static: %s\n", line);
	pt_prog_free(&p);
}

/* A store whose target is its own word: emulated once, then the new word
 * runs (re-running the store would trap on it forever). */
static void test_store_into_own_word(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_li(&p, PT_R1, pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	pt_op(&p, ISA_OP_MOVI, PT_R9, 0, 0, 0);
	/* loop: sw overwrites itself with rdpsw on the first pass */
	uint32_t self = pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, 0);
	pg32_store32(p.mem + self, pt_enc(ISA_OP_SW, PT_R1, PT_R0, 0, (int32_t)self));
	pt_op(&p, ISA_OP_ADDI, PT_R9, PT_R9, 0, 1);
	pt_op(&p, ISA_OP_CMPI, PT_R9, 0, 0, 2);
	pt_jump(&p, ISA_OP_BLT, self);
	power_off(&p);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_true(r.g->vm.r[PT_R3] & PSW_S);
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	pt_prog_free(&p);
}

/* A jump through a register into a region nothing fell into: it is
 * unscanned, traps on its first fetch, and is scanned then. */
static void test_computed_jump_scans_unscanned_region(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_li(&p, PT_R1, FAR_CODE);
	pt_op(&p, ISA_OP_JR, PT_R1, 0, 0, 0);
	p.pc = FAR_CODE;
	uint32_t far = pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	power_off(&p);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	const struct vmm_guest *g = r.g;
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_true(g->vm.r[PT_R3] & PSW_S);
	assert_true(g->stats.blocks_scanned >= 2);
	assert_false(g->rw->map[far / ISA_WORD_BYTES] & CPU_WATCH_X);
	assert_true(g->rw->map[far / ISA_WORD_BYTES] & CPU_WATCH_R);
	/* The words between, never reached, are still unscanned. */
	assert_true(g->rw->map[(far - ISA_WORD_BYTES) / ISA_WORD_BYTES] & CPU_WATCH_X);
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	pt_prog_free(&p);
}

/* Static rewriting patches a data word that looks like a critical
 * instruction: the guest loads the patch word.  Dynamic leaves it alone. */
static void test_static_corrupts_data_word(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	uint32_t looks_critical = pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	pt_poke(&p, DATA, looks_critical);
	pt_op(&p, ISA_OP_LW, PT_R5, PT_R0, 0, DATA);
	power_off(&p);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_STATIC);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_int_not_equal(r.g->vm.r[PT_R5], looks_critical);
	assert_true(r.g->stats.patches >= 1);
	vmm_destroy(r.v);
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	assert_int_equal(r.g->vm.r[PT_R5], looks_critical);
	assert_int_equal(r.g->stats.patches, 0);
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_false(equivalent(&p, VMM_REWRITE_STATIC, line, sizeof line));
	printf("test_static_corrupts_data_word: static: %s\n", line);
	assert_non_null(strstr(line, "r5"));
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	pt_prog_free(&p);
}

/* Watch-map traps are the monitor's: never reflected, never counted in
 * the guest's traps by cause.  (A reflected one would send this guest,
 * which has no trap handler, to the zero new PSW.) */
static void test_watch_traps_never_reach_guest(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	/* Several blocks, a code load, a code store, a computed jump. */
	uint32_t first = pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	pt_op(&p, ISA_OP_LW, PT_R4, PT_R0, 0, (int32_t)first);
	pt_op(&p, ISA_OP_SW, PT_R4, PT_R0, 0, (int32_t)first);
	pt_li(&p, PT_R1, FAR_CODE);
	pt_op(&p, ISA_OP_CALLR, PT_R1, 0, 0, 0);
	power_off(&p);
	p.pc = FAR_CODE;
	pt_op(&p, ISA_OP_RDPSW, PT_R5, 0, 0, 0);
	pt_op(&p, ISA_OP_JR, PT_LR, 0, 0, 0);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	const struct vmm_guest *g = r.g;
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_int_equal(g->dev.exit_code, EXIT_OK);
	assert_true(g->stats.watch_traps >= 4);
	assert_int_equal(g->stats.traps[TRAP_WATCH], 0);
	assert_int_equal(g->stats.reflected, 0);
	assert_true(g->vm.r[PT_R3] & PSW_S);
	assert_true(g->vm.r[PT_R5] & PSW_S);
	/* The trap words were never written. */
	for (uint32_t a = 0; a < PG32_TRAP_AREA_END; a += ISA_WORD_BYTES)
		assert_int_equal(pg32_load32(g->vm.mem + a), 0);
	vmm_destroy(r.v);
	pt_prog_free(&p);
}

/* A guest's own illegal word at an address with no patch is reflected,
 * even when it looks exactly like a patch word. */
static void test_forged_patch_word_is_reflected(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	/* The new PSW: a handler in system mode that powers off with the cause. */
	pt_li(&p, PT_R1, PSW_S);
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_STATUS);
	pt_li(&p, PT_R1, FAR_CODE);
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_PC);
	pt_li(&p, PT_R1, MEM);
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_BOUND);
	pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0); /* patch 0 */
	uint32_t forged = pt_word(&p, VMM_PATCH_WORD(0));
	power_off(&p);
	p.pc = FAR_CODE;
	pt_op(&p, ISA_OP_LW, PT_R1, PT_R0, 0, PG32_CAUSE);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_POWER_OFF);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	const struct vmm_guest *g = r.g;
	assert_int_equal(g->end, VMM_POWEROFF);
	assert_int_equal(g->dev.exit_code, TRAP_ILLEGAL);
	assert_int_equal(g->stats.traps[TRAP_ILLEGAL], 1);
	assert_int_equal(g->stats.rewrite_traps, 1);
	assert_int_equal(pg32_load32(g->vm.mem + PG32_OLD_PSW + PSW_OFF_PC), forged);
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	pt_prog_free(&p);
}

/* With a base that is not a multiple of 4 the guest's instructions
 * straddle words the rewriter scanned at another alignment: here the high
 * half of a scanned illegal word and the low half of a scanned movi make an
 * rdpsw.  The monitor must not run it directly.  The handler powers off
 * with the S bit rdpsw saw (bare machine: system mode). */
static void test_unaligned_base_straddles_scanned_words(void **state)
{
	(void)state;
	enum { A = 0x0200, HANDLER = 0x0400, PSW_AT = 0x0800, STRADDLE_BASE = 2 };
	uint32_t rdpsw = pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_li(&p, PT_R1, PSW_S);
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_STATUS);
	pt_li(&p, PT_R1, HANDLER);
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_PC);
	pt_li(&p, PT_R1, MEM);
	pt_op(&p, ISA_OP_SW, PT_R1, PT_R0, 0, PG32_NEW_PSW + PSW_OFF_BOUND);
	pt_put_psw(p.mem, PSW_AT, PSW_S, A, STRADDLE_BASE, MEM - STRADDLE_BASE);
	pt_jump(&p, ISA_OP_B, A + ISA_WORD_BYTES);
	/* A - 4: nop; A: an illegal word (high half 0); A + 4: movi whose
	 * immediate is rdpsw's high half; A + 8: back to A - 4. */
	p.pc = A - ISA_WORD_BYTES;
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_word(&p, rdpsw & ISA_IMM16_MASK);
	pt_op(&p, ISA_OP_MOVI, PT_R9, 0, 0, (int32_t)(int16_t)(rdpsw >> 16));
	pt_jump(&p, ISA_OP_B, A - ISA_WORD_BYTES);
	/* The handler: first trap (the illegal word) -> lpsw to virtual A under
	 * base 2; second -> power off with r3's S bit. */
	p.pc = HANDLER;
	pt_op(&p, ISA_OP_ADDI, PT_R10, PT_R10, 0, 1);
	pt_op(&p, ISA_OP_CMPI, PT_R10, 0, 0, 1);
	uint32_t second = pt_jump(&p, ISA_OP_BNE, 0);
	pt_li(&p, PT_R1, PSW_AT);
	pt_op(&p, ISA_OP_LPSW, PT_R1, 0, 0, 0);
	pt_patch_jump(&p, second, p.pc);
	pt_op(&p, ISA_OP_ANDI, PT_R3, PT_R3, 0, PSW_S);
	pt_op(&p, ISA_OP_OUT, PT_R3, 0, 0, PORT_POWER_OFF);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_int_equal(r.g->dev.exit_code, PSW_S);
	assert_true(r.g->stats.interpreted > 0);
	vmm_destroy(r.v);
	char line[MSG + VMM_CHECK_WHAT];
	assert_true(equivalent(&p, VMM_REWRITE_DYNAMIC, line, sizeof line));
	pt_prog_free(&p);
}

/* DMA from the virtual disk over code the rewriter scanned: the code read
 * in is scanned afresh (and its rdpsw patched) before it runs. */
static void test_dma_over_scanned_code(void **state)
{
	(void)state;
	enum { TARGET = 0x0200 };
	char disk[MSG];
	snprintf(disk, sizeof disk, "%s/test_rewrite_disk_XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(disk);
	assert_true(fd >= 0);
	uint8_t sector[DISK_SECTOR_BYTES] = { 0 };
	pg32_store32(sector, pt_enc(ISA_OP_RDPSW, PT_R3, 0, 0, 0));
	pg32_store32(sector + 4, pt_enc(ISA_OP_ANDI, PT_R3, PT_R3, 0, PSW_S));
	pg32_store32(sector + 8, pt_enc(ISA_OP_OUT, PT_R3, 0, 0, PORT_POWER_OFF));
	assert_int_equal(write(fd, sector, sizeof sector), (ssize_t)sizeof sector);
	close(fd);

	struct pt_prog p;
	pt_prog_init(&p, MEM);
	/* First run the code at TARGET once (nop; jr lr), so it is scanned. */
	pt_li(&p, PT_R1, TARGET);
	pt_op(&p, ISA_OP_CALLR, PT_R1, 0, 0, 0);
	/* Then read sector 0 over it, wait, and jump there. */
	pt_out_imm(&p, PT_R2, PORT_DISK_SECTOR, 0);
	pt_out_imm(&p, PT_R2, PORT_DISK_ADDR, TARGET);
	pt_out_imm(&p, PT_R2, PORT_DISK_COUNT, 1);
	pt_out_imm(&p, PT_R2, PORT_DISK_CMD, DISK_CMD_READ);
	uint32_t wait = pt_op(&p, ISA_OP_IN, PT_R2, 0, 0, PORT_DISK_STATUS);
	pt_op(&p, ISA_OP_CMPI, PT_R2, 0, 0, DISK_STATUS_DONE);
	pt_jump(&p, ISA_OP_BNE, wait);
	pt_op(&p, ISA_OP_JR, PT_R1, 0, 0, 0);
	p.pc = TARGET;
	pt_op(&p, ISA_OP_NOP, 0, 0, 0, 0);
	pt_op(&p, ISA_OP_JR, PT_LR, 0, 0, 0);

	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_check_config cfg = { .mem_size = MEM, .variant = isa_variant_all_ill(),
	                                .max_instructions = LIMIT, .disk_path = disk,
	                                .first_divergence = true };
	struct vmm_check_result res;
	char msg[MSG], line[MSG + VMM_CHECK_WHAT];
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, sizeof line);
	printf("test_dma_over_scanned_code: %s\n", line);
	assert_true(res.equivalent);
	assert_int_equal(res.end, VMM_POWEROFF);
	assert_int_equal(res.exit_code, PSW_S);
	unlink(disk);
	pt_prog_free(&p);
}

/* The monitor tells its listener (the debugger) of each patch word run
 * ("rewritten", at the patched pc) and of each emulated access to patched
 * code; scanning, which the guest cannot see, raises no event. */
static void test_rewrite_events(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	uint32_t at = pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	pt_op(&p, ISA_OP_LW, PT_R5, PT_R0, 0, (int32_t)at);
	power_off(&p);
	memset(events, 0, sizeof events);
	rewritten_pc = 0;
	struct run r;
	run_prog_with(&r, &p, VMM_REWRITE_DYNAMIC, count_event);
	assert_int_equal(r.g->end, VMM_POWEROFF);
	assert_int_equal(events[VMM_ACT_REWRITTEN], 2); /* the rdpsw, the lw */
	assert_int_equal(rewritten_pc, at);
	/* Two watch traps (the scan of the one block, the lw), three events in
	 * all (the two above and the power-off's "device"): none for the scan. */
	assert_int_equal(r.g->stats.blocks_scanned, 1);
	assert_int_equal(r.g->stats.watch_traps, 2);
	unsigned all = 0;
	for (int a = 0; a < VMM_NACTIONS; a++)
		all += events[a];
	assert_int_equal(all, 3);
	assert_int_equal(events[VMM_ACT_DEVICE], 1);
	vmm_destroy(r.v);
	pt_prog_free(&p);
}

/* A snapshot's copy of the rewriter's state is deep: the clone has the same
 * map and patch table, and changing the original leaves it alone. */
static void test_rewrite_clone(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	uint32_t at = pt_op(&p, ISA_OP_RDPSW, PT_R3, 0, 0, 0);
	power_off(&p);
	struct run r;
	run_prog(&r, &p, VMM_REWRITE_DYNAMIC);
	struct vmm_rewrite *copy = NULL;
	assert_int_equal(vmm_rewrite_clone(r.g->rw, &copy), 0);
	assert_non_null(copy);
	assert_int_equal(copy->npatch, r.g->rw->npatch);
	assert_memory_equal(copy->map, r.g->rw->map, copy->words);
	assert_int_equal(copy->patch[0].addr, at);
	assert_int_equal(vmm_rewrite_invalidate(r.g, at, ISA_WORD_BYTES), 1);
	assert_true(copy->map[at / ISA_WORD_BYTES] & CPU_WATCH_R);
	assert_int_equal(copy->patch[0].addr, at);
	vmm_rewrite_free(copy);
	struct vmm_rewrite *none = copy;
	assert_int_equal(vmm_rewrite_clone(NULL, &none), 0);
	assert_null(none);
	vmm_destroy(r.v);
	pt_prog_free(&p);
}

/* Names and parsing of the modes, and the default. */
static void test_rewrite_modes(void **state)
{
	(void)state;
	enum vmm_rewrite_mode m = VMM_REWRITE_AUTO;
	assert_int_equal(vmm_rewrite_parse("static", &m), 0);
	assert_int_equal(m, VMM_REWRITE_STATIC);
	assert_int_equal(vmm_rewrite_parse("dynamic", &m), 0);
	assert_int_equal(m, VMM_REWRITE_DYNAMIC);
	assert_int_equal(vmm_rewrite_parse("none", &m), 0);
	assert_int_equal(m, VMM_REWRITE_NONE);
	assert_int_equal(vmm_rewrite_parse("Dynamic", &m), PG32_EARG);
	assert_int_equal(vmm_rewrite_parse("", &m), PG32_EARG);
	assert_int_equal(vmm_rewrite_resolve(VMM_REWRITE_AUTO, isa_variant_all_ill(), false),
	                 VMM_REWRITE_DYNAMIC);
	assert_int_equal(vmm_rewrite_resolve(VMM_REWRITE_AUTO, ISA_VARIANT_WELL, false),
	                 VMM_REWRITE_NONE);
	assert_int_equal(vmm_rewrite_resolve(VMM_REWRITE_AUTO, isa_variant_all_ill(), true),
	                 VMM_REWRITE_NONE);
	assert_int_equal(vmm_rewrite_resolve(VMM_REWRITE_STATIC, ISA_VARIANT_WELL, false),
	                 VMM_REWRITE_STATIC);
}

/* ---- the shipped ill guests ------------------------------------------------ */

static bool load_guest(const char *name, struct image *img)
{
	const char *build = getenv("TRAPEZE_BUILD");
	char path[MSG], msg[MSG];
	snprintf(path, sizeof path, "%s/guests/%s.img", build ? build : "build", name);
	if (access(path, R_OK) != 0)
		return false;
	assert_int_equal(img_load_file(path, img, msg, sizeof msg), 0);
	return true;
}

static bool check_guest(const struct image *img, enum vmm_rewrite_mode mode, char *line,
                        size_t len)
{
	struct vmm_check_config cfg = { .variant = img->variant, .first_divergence = true,
	                                .rewrite = mode };
	struct vmm_check_result res;
	char msg[MSG];
	assert_int_equal(vmm_check(img, &cfg, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, len);
	return res.equivalent;
}

/* Each ill guest is equivalent under dynamic rewriting; static rewriting
 * corrupts codedata's data and misses selfmod's run-time code; plain
 * trap-and-emulate is caught by detect. */
static void test_shipped_ill_guests(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool static_fails, plain_fails;
	} guests[] = {
		{ "detect", false, true },  { "selfmod", true, true }, { "codedata", true, true },
		{ "indirect", false, true }, { "minikernel_ill", false, false },
	};
	unsigned checked = 0;
	for (size_t i = 0; i < sizeof guests / sizeof guests[0]; i++) {
		struct image img;
		if (!load_guest(guests[i].name, &img)) {
			printf("test_shipped_ill_guests: %s: no image, skipped\n", guests[i].name);
			continue;
		}
		char line[MSG + VMM_CHECK_WHAT];
		bool ok = check_guest(&img, VMM_REWRITE_DYNAMIC, line, sizeof line);
		printf("test_shipped_ill_guests: %s dynamic: %s\n", guests[i].name, line);
		assert_true(ok);
		ok = check_guest(&img, VMM_REWRITE_STATIC, line, sizeof line);
		printf("test_shipped_ill_guests: %s static: %s\n", guests[i].name, line);
		if (guests[i].static_fails)
			assert_false(ok);
		ok = check_guest(&img, VMM_REWRITE_NONE, line, sizeof line);
		printf("test_shipped_ill_guests: %s none: %s\n", guests[i].name, line);
		if (guests[i].plain_fails)
			assert_false(ok);
		img_free(&img);
		checked++;
	}
	printf("test_shipped_ill_guests: %u guests checked\n", checked);
}

/* ---- tzvmm ------------------------------------------------------------------- */

static int tzvmm_status(const char *args)
{
	const char *build = getenv("TRAPEZE_BUILD");
	char cmd[8 * CMD];
	snprintf(cmd, sizeof cmd, "'%s/bin/tzvmm' %s >/dev/null 2>&1", build ? build : "build", args);
	int rc = system(cmd);
	assert_true(rc != -1 && WIFEXITED(rc));
	return WEXITSTATUS(rc);
}

/* --rewrite takes none, static or dynamic; anything else is a usage error
 * (exit 2), and so is --hybrid with rewriting. */
static void test_tzvmm_rewrite_option(void **state)
{
	(void)state;
	const char *build = getenv("TRAPEZE_BUILD");
	char img[MSG], args[CMD];
	snprintf(img, sizeof img, "%s/guests/hello.img", build ? build : "build");
	if (access(img, R_OK) != 0) {
		printf("test_tzvmm_rewrite_option: skipped: no %s\n", img);
		return;
	}
	snprintf(args, sizeof args, "--rewrite bogus '%s'", img);
	assert_int_equal(tzvmm_status(args), PG32_EXIT_USAGE);
	snprintf(args, sizeof args, "--rewrite '%s'", img);
	assert_int_equal(tzvmm_status(args), PG32_EXIT_USAGE);
	snprintf(args, sizeof args, "--hybrid --rewrite dynamic '%s'", img);
	assert_int_equal(tzvmm_status(args), PG32_EXIT_USAGE);
	static const char *const good[] = { "none", "static", "dynamic" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(args, sizeof args, "--isa ill --rewrite %s '%s'", good[i], img);
		assert_int_equal(tzvmm_status(args), 0);
	}
}

/* --stats shows a rewriting table and --stats-json the rewriter's figures
 * for an ill guest; the watch map's traps are not among its traps. */
static void test_tzvmm_rewrite_stats(void **state)
{
	(void)state;
	const char *build = getenv("TRAPEZE_BUILD");
	char img[MSG], out[MSG], args[4 * CMD];
	snprintf(img, sizeof img, "%s/guests/detect.img", build ? build : "build");
	if (access(img, R_OK) != 0) {
		printf("test_tzvmm_rewrite_stats: skipped: no %s\n", img);
		return;
	}
	snprintf(out, sizeof out, "%s/test_rewrite_stats_XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	snprintf(args, sizeof args, "'%s/bin/tzvmm' --stats --stats-json '%s' '%s' >/dev/null 2>'%s.err'",
	         build ? build : "build", out, img, out);
	int rc = system(args);
	assert_true(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	uint8_t *json = NULL, *table = NULL;
	size_t len = 0, tlen = 0;
	char msg[MSG], errpath[MSG + 8];
	assert_int_equal(pg32_read_file(out, 1u << 20, &json, &len, msg, sizeof msg), 0);
	snprintf(errpath, sizeof errpath, "%s.err", out);
	assert_int_equal(pg32_read_file(errpath, 1u << 20, &table, &tlen, msg, sizeof msg), 0);
	json = realloc(json, len + 1);
	table = realloc(table, tlen + 1);
	assert_non_null(json);
	assert_non_null(table);
	json[len] = 0;
	table[tlen] = 0;
	static const char *const keys[] = { "\"rewrite\": \"dynamic\"", "\"blocks_scanned\": ",
	                                    "\"patches\": ", "\"rewrite_traps\": ",
	                                    "\"rescans\": ", "\"watch_traps\": ",
	                                    "\"interpreted\": 0" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strstr((char *)json, keys[i]))
			fail_msg("--stats-json lacks %s", keys[i]);
	assert_null(strstr((char *)json, "\"watch\": "));
	assert_non_null(strstr((char *)table, "rewriting"));
	assert_non_null(strstr((char *)table, "dynamic"));
	free(json);
	free(table);
	unlink(out);
	unlink(errpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite_modes),
		cmocka_unit_test(test_patched_word_reads_original),
		cmocka_unit_test(test_store_into_scanned_code_rescans),
		cmocka_unit_test(test_store_into_own_word),
		cmocka_unit_test(test_computed_jump_scans_unscanned_region),
		cmocka_unit_test(test_static_corrupts_data_word),
		cmocka_unit_test(test_watch_traps_never_reach_guest),
		cmocka_unit_test(test_forged_patch_word_is_reflected),
		cmocka_unit_test(test_unaligned_base_straddles_scanned_words),
		cmocka_unit_test(test_dma_over_scanned_code),
		cmocka_unit_test(test_rewrite_events),
		cmocka_unit_test(test_rewrite_clone),
		cmocka_unit_test(test_shipped_ill_guests),
		cmocka_unit_test(test_tzvmm_rewrite_option),
		cmocka_unit_test(test_tzvmm_rewrite_stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
