/*
 * test_equiv.c -- Popek and Goldberg's equivalence property, tested: the
 * checker (vmm/check.c) runs programs on the bare machine and under the
 * monitor and compares everything they can observe.
 *
 *   - RANDOM_PROGRAMS random programs (vmm/randprog.c), with varied quanta,
 *     a disk for some, console input for some, other guests beside some.
 *     The base seed is printed (PG32_TEST_SEED replays it); a divergence is
 *     shrunk to a small program and printed with its seed.
 *   - every guests/NAME.s, assembled in process (skipped with a message when
 *     the assembler is not in the tree).
 *   - RANDOM_PROGRAMS random programs of the ill variant (critical
 *     instructions, self-modifying code, code loads, computed jumps) under
 *     dynamic rewriting, each equivalent to the bare ill machine.
 *   - the fast CPU loop against the reference loop: the same random
 *     programs (well and ill, with code written at run time, disk DMA and
 *     console input) on the bare machine with and without its decoded-
 *     instruction cache, compared register by register and byte by byte.
 *   - the checker itself: under the ill-behaved variant a system-mode srr
 *     really diverges, and the checker must find the very instruction, and
 *     the shrinker must cut the program down around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg32_test.h"
#include "vmm.h"

#if defined(__has_include)
#if __has_include("asm.h")
#include "asm.h"
#define HAVE_ASM 1
#endif
#endif

#define RANDOM_PROGRAMS 10000
#define RANDOM_LIMIT 20000u     /* instructions per random program */
#define DEFAULT_SEED 1
#define DISK_SECTORS 8u
#define GUESTS_DIR "guests"
#define PATH_LEN 512
#define MSG 512
#define SHRUNK_MAX 12u          /* a shrunk ill program keeps at most this many */
#define GUEST_LIMIT 10000000u   /* instructions, for a shipped guest that never ends */

static const char random_input[] = "input bytes\n";

/* A small disk with a byte pattern, for the programs that get one. */
static void make_disk(char *path, size_t len)
{
	snprintf(path, len, "%s/test_equiv_disk_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	for (uint32_t i = 0; i < DISK_SECTORS * DISK_SECTOR_BYTES; i++) {
		uint8_t b = (uint8_t)(i * 7 + 3);
		assert_int_equal(write(fd, &b, 1), 1);
	}
	close(fd);
}

/* Print a diverging program, shrunk, with its seed; then fail. */
static void report_divergence(struct vmm_randprog *rp, const struct vmm_check_config *cfg)
{
	struct vmm_check_config c = *cfg;
	uint32_t before = rp->ninsn;
	uint32_t left = vmm_rand_shrink(rp, &c);
	c.first_divergence = true;
	struct vmm_check_result res;
	char msg[MSG], line[MSG + VMM_CHECK_WHAT];
	assert_int_equal(vmm_check(&rp->img, &c, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, sizeof line);
	char var[MSG];
	isa_variant_format(cfg->variant, var, sizeof var);
	printf("seed %llu (variant %s) diverges (quantum %llu, disk %s, input %s, %zu beside); shrunk from %u to "
	       "%u instructions:\n  %s\n", (unsigned long long)rp->seed, var,
	       (unsigned long long)cfg->quantum, cfg->disk_path ? "yes" : "no",
	       cfg->input_len ? "yes" : "no", cfg->nbeside, before, left, line);
	vmm_rand_print(rp, stdout);
	fail_msg("random program %llu is not equivalent", (unsigned long long)rp->seed);
}

/* RANDOM_PROGRAMS random programs of variant, each equivalent on both
 * machines (under ill: with the monitor's default, dynamic rewriting). */
static void run_random_programs(const char *name, isa_variant variant)
{
	static const uint64_t quanta[] = { 1, 2, 7, 64, 1000, VMM_QUANTUM_DEFAULT };
	const char *env = getenv("PG32_TEST_SEED");
	uint64_t base = env ? strtoull(env, NULL, 0) : DEFAULT_SEED;
	printf("%s: seeds %llu..%llu (set PG32_TEST_SEED to replay)\n", name,
	       (unsigned long long)base, (unsigned long long)(base + RANDOM_PROGRAMS - 1));
	char disk[PATH_LEN];
	make_disk(disk, sizeof disk);
	unsigned ends[VMM_KILLED + 1] = { 0 };
	for (uint64_t i = 0; i < RANDOM_PROGRAMS; i++) {
		struct vmm_randprog rp, other;
		assert_int_equal(vmm_rand_generate_variant(base + i, variant, &rp), 0);
		const struct image *beside[1];
		struct vmm_check_config cfg = {
			.mem_size = rp.mem_size, .max_instructions = RANDOM_LIMIT, .variant = variant,
			.quantum = quanta[i % (sizeof quanta / sizeof quanta[0])],
		};
		if (i % 8 == 3)
			cfg.disk_path = disk;
		if (i % 8 == 5) {
			cfg.input = (const uint8_t *)random_input;
			cfg.input_len = sizeof random_input - 1;
		}
		bool with_other = i % 16 == 7;
		if (with_other) {
			assert_int_equal(vmm_rand_generate_variant(~(base + i), variant, &other), 0);
			beside[0] = &other.img;
			cfg.beside = beside;
			cfg.nbeside = 1;
		}
		struct vmm_check_result res;
		char msg[MSG];
		if (vmm_check(&rp.img, &cfg, &res, msg, sizeof msg) != 0)
			fail_msg("seed %llu: %s", (unsigned long long)(base + i), msg);
		if (!res.equivalent)
			report_divergence(&rp, &cfg);
		ends[res.end]++;
		if (with_other)
			vmm_rand_free(&other);
		vmm_rand_free(&rp);
	}
	unlink(disk);
	printf("%s: all equivalent; endings: %u power-off, %u halted, "
	       "%u limit, %u trap loop\n", name, ends[VMM_POWEROFF], ends[VMM_HALTED], ends[VMM_LIMIT],
	       ends[VMM_TRAP_LOOP]);
	/* The generator must reach every ending, or it tests too little. */
	for (int e = VMM_POWEROFF; e <= VMM_TRAP_LOOP; e++)
		assert_true(ends[e] > 0);
}

static void test_equiv_random_programs(void **state)
{
	(void)state;
	run_random_programs("test_equiv_random_programs", ISA_VARIANT_WELL);
}

/* The same number of random programs of the ill variant (every critical
 * instruction unprivileged), each with critical instructions in both
 * virtual modes, code written at run time, loads of code words and
 * computed jumps: under dynamic rewriting each is equivalent to the bare
 * ill machine. */
static void test_equiv_random_ill_programs(void **state)
{
	(void)state;
	run_random_programs("test_equiv_random_ill_programs", isa_variant_all_ill());
}

/* The ill programs really exercise the rewriter: over the first programs,
 * critical instructions are patched and their patch words run, code is
 * written after it was scanned, and plain trap-and-emulate diverges on
 * some of them. */
static void test_equiv_random_ill_exercise_rewriting(void **state)
{
	(void)state;
	enum { PROGRAMS = 200 };
	uint64_t patches = 0, rewrite_traps = 0, rescans = 0, watch = 0;
	unsigned diverge_plain = 0;
	for (uint64_t seed = DEFAULT_SEED; seed < DEFAULT_SEED + PROGRAMS; seed++) {
		struct vmm_randprog rp;
		assert_int_equal(vmm_rand_generate_variant(seed, isa_variant_all_ill(), &rp), 0);
		char msg[MSG];
		struct vmm *v;
		struct vmm_config vc = { .host_mem = 4 * VMM_RAND_MEM };
		assert_int_equal(vmm_create(&v, &vc, msg, sizeof msg), 0);
		struct vmm_guest *g;
		struct vmm_guest_config gc = { .img = &rp.img, .mem_size = rp.mem_size,
		                               .variant = rp.variant, .max_instructions = RANDOM_LIMIT };
		assert_int_equal(vmm_add_guest(v, &gc, &g, msg, sizeof msg), 0);
		assert_non_null(g->rw);
		vmm_run(v);
		patches += g->stats.patches;
		rewrite_traps += g->stats.rewrite_traps;
		rescans += g->stats.rescans;
		watch += g->stats.watch_traps;
		vmm_destroy(v);
		struct vmm_check_config cfg = { .mem_size = rp.mem_size, .variant = rp.variant,
		                                .max_instructions = RANDOM_LIMIT,
		                                .rewrite = VMM_REWRITE_NONE };
		struct vmm_check_result res;
		assert_int_equal(vmm_check(&rp.img, &cfg, &res, msg, sizeof msg), 0);
		diverge_plain += !res.equivalent;
		vmm_rand_free(&rp);
	}
	printf("test_equiv_random_ill_exercise_rewriting: %d programs: %llu patches, %llu rewrite "
	       "traps, %llu rescans, %llu watch traps; %u diverge under plain trap-and-emulate\n",
	       PROGRAMS, (unsigned long long)patches, (unsigned long long)rewrite_traps,
	       (unsigned long long)rescans, (unsigned long long)watch, diverge_plain);
	assert_true(patches > 0);
	assert_true(rewrite_traps > 0);
	assert_true(rescans > 0);
	assert_true(watch > 0);
	assert_true(diverge_plain > 0);
}

/* Every guest in guests/ is equivalent on both machines (with its .input
 * file as console input when there is one, and its .disk file as the disk,
 * or else a small patterned disk, so that disk guests move data). */
static void test_equiv_shipped_guests(void **state)
{
	(void)state;
#ifndef HAVE_ASM
	printf("test_equiv_shipped_guests: skipped: no assembler (asm/asm.h) in this tree\n");
#else
	DIR *d = opendir(GUESTS_DIR);
	if (!d) {
		printf("test_equiv_shipped_guests: skipped: no %s/ directory here\n", GUESTS_DIR);
		return;
	}
	char any_disk[PATH_LEN];
	make_disk(any_disk, sizeof any_disk);
	unsigned checked = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".s") != 0)
			continue;
		char path[PATH_LEN], input_path[PATH_LEN], disk_path[PATH_LEN], msg[MSG];
		char line[MSG + VMM_CHECK_WHAT];
		snprintf(path, sizeof path, "%s/%s", GUESTS_DIR, e->d_name);
		snprintf(input_path, sizeof input_path, "%s/%.*s.input", GUESTS_DIR, (int)(n - 2),
		         e->d_name);
		snprintf(disk_path, sizeof disk_path, "%s/%.*s.disk", GUESTS_DIR, (int)(n - 2),
		         e->d_name);
		const char *dirs[] = { GUESTS_DIR };
		struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
		struct image img;
		if (asm_assemble_file(path, &opt, &img, stderr) != 0)
			fail_msg("%s does not assemble", path);
		uint8_t *input = NULL;
		size_t input_len = 0;
		if (access(input_path, R_OK) == 0)
			assert_int_equal(pg32_read_file(input_path, 1u << 20, &input, &input_len, msg,
			                                sizeof msg), 0);
		struct vmm_check_config cfg = { .variant = img.variant, .input = input,
		                                .input_len = input_len, .first_divergence = true,
		                                .max_instructions = GUEST_LIMIT,
		                                .disk_path = access(disk_path, R_OK) == 0 ? disk_path
		                                                                          : any_disk };
		struct vmm_check_result res;
		assert_int_equal(vmm_check(&img, &cfg, &res, msg, sizeof msg), 0);
		vmm_check_format(&res, line, sizeof line);
		printf("test_equiv_shipped_guests: %s: %s\n", path, line);
		if (!res.equivalent)
			fail_msg("%s: %s", path, line);
		checked++;
		free(input);
		img_free(&img);
	}
	closedir(d);
	unlink(any_disk);
	printf("test_equiv_shipped_guests: %u guests checked\n", checked);
#endif
}

/* Under ill:srr a system-mode srr runs unprivileged and reads the REAL R:
 * the checker finds the divergence at the instruction after the srr and
 * names the register. */
static void test_checker_finds_first_divergence(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, PT_MEM_SIZE);
	for (int i = 0; i < 50; i++)
		pt_op(&p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	uint32_t at = pt_op(&p, ISA_OP_SRR, PT_R3, PT_R4, 0, 0); /* the 51st instruction */
	for (int i = 0; i < 50; i++)
		pt_op(&p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(&p, ISA_OP_OUT, PT_R1, 0, 0, PORT_POWER_OFF);
	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	char msg[MSG], line[MSG + VMM_CHECK_WHAT];
	/* Plain trap-and-emulate (no rewriting), to see it fail. */
	struct vmm_check_config cfg = { .mem_size = p.size, .first_divergence = true,
	                                .rewrite = VMM_REWRITE_NONE };
	assert_int_equal(isa_variant_parse("ill:srr", &cfg.variant, msg, sizeof msg), 0);
	struct vmm_check_result res;
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	vmm_check_format(&res, line, sizeof line);
	printf("test_checker_finds_first_divergence: %s\n", line);
	assert_false(res.equivalent);
	assert_int_equal(res.diverged_at, 51);
	assert_int_equal(res.pc, at);
	assert_non_null(strstr(res.what, "r3"));
	/* The well-behaved variant: the same program is equivalent. */
	cfg.variant = ISA_VARIANT_WELL;
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	assert_true(res.equivalent);
	pt_prog_free(&p);
}

/* A random program with a system-mode srr patched in diverges under
 * ill:srr; the shrinker cuts it to a handful of instructions that still
 * diverge, and prints them. */
static void test_checker_shrinks_a_divergence(void **state)
{
	(void)state;
	struct vmm_randprog rp;
	uint64_t seed = 12345;
	assert_int_equal(vmm_rand_generate(seed, &rp), 0);
	/* Put srr right after the prologue (the 9th instruction of the code),
	 * which runs in system mode with R = (0, size) ... whose real R the
	 * monitor moved elsewhere in the host memory. */
	uint32_t i;
	for (i = 0; i < rp.ninsn && rp.insn_addr[i] != PG32_LOAD_ADDR; i++)
		;
	assert_true(i + 9 < rp.ninsn);
	pg32_store32(rp.mem + rp.insn_addr[i + 9], pt_enc(ISA_OP_SRR, PT_R3, PT_R4, 0, 0));
	char msg[MSG];
	struct vmm_check_config cfg = { .mem_size = rp.mem_size, .max_instructions = RANDOM_LIMIT,
	                                .rewrite = VMM_REWRITE_NONE };
	assert_int_equal(isa_variant_parse("ill:srr", &cfg.variant, msg, sizeof msg), 0);
	struct vmm_check_result res;
	assert_int_equal(vmm_check(&rp.img, &cfg, &res, msg, sizeof msg), 0);
	assert_false(res.equivalent);
	uint32_t left = vmm_rand_shrink(&rp, &cfg);
	printf("test_checker_shrinks_a_divergence: seed %llu shrunk to %u instructions\n",
	       (unsigned long long)seed, left);
	vmm_rand_print(&rp, stdout);
	assert_true(left >= 1 && left <= SHRUNK_MAX);
	assert_int_equal(vmm_check(&rp.img, &cfg, &res, msg, sizeof msg), 0);
	assert_false(res.equivalent);
	vmm_rand_free(&rp);
}

/* The generator is a function of the seed alone. */
static void test_randprog_deterministic(void **state)
{
	(void)state;
	struct vmm_randprog a, b, c;
	assert_int_equal(vmm_rand_generate(99, &a), 0);
	assert_int_equal(vmm_rand_generate(99, &b), 0);
	assert_int_equal(vmm_rand_generate(100, &c), 0);
	assert_memory_equal(a.mem, b.mem, a.mem_size);
	assert_int_equal(a.ninsn, b.ninsn);
	assert_true(memcmp(a.mem, c.mem, a.mem_size) != 0);
	vmm_rand_free(&a);
	vmm_rand_free(&b);
	vmm_rand_free(&c);
}

/* ---- the fast loop against the reference loop ------------------------------ */

#define CORE_PROGRAMS 2000u      /* random programs per variant */

/* What a bare run leaves behind. */
struct core_run {
	enum bare_end end;
	struct cpu cpu;
	uint8_t mem[VMM_RAND_MEM];
	char out[MSG];
	uint32_t disk_status, exit_code;
};

/* Give the disk of make_disk its first contents back (a program may
 * write to it), in one write. */
static void reset_disk(const char *path)
{
	static uint8_t bytes[DISK_SECTORS * DISK_SECTOR_BYTES];
	for (uint32_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)(i * 7 + 3);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, sizeof bytes, f), sizeof bytes);
	fclose(f);
}

/* Run rp on the bare machine, with (fast) or without (reference) its
 * decoded-instruction cache, and keep what it leaves. */
static void core_run(const struct vmm_randprog *rp, bool fast, const char *disk,
                     struct core_run *out)
{
	struct bare_machine m;
	char msg[MSG];
	FILE *con = tmpfile();
	assert_non_null(con);
	assert_int_equal(bare_init(&m, &rp->img, rp->mem_size, rp->variant, con, msg, sizeof msg), 0);
	assert_non_null(m.dcache);
	if (!fast)
		m.cpu.dcache = NULL;
	if (disk) {
		reset_disk(disk);
		assert_int_equal(dev_attach_disk(&m.bus, disk, msg, sizeof msg), 0);
	}
	dev_set_input(&m.bus, (const uint8_t *)random_input, sizeof random_input - 1);
	out->end = bare_run(&m, RANDOM_LIMIT);
	out->cpu = m.cpu;
	assert_int_equal(rp->mem_size, sizeof out->mem);
	memcpy(out->mem, m.mem, sizeof out->mem);
	out->disk_status = m.bus.disk_status;
	out->exit_code = m.bus.exit_code;
	memset(out->out, 0, sizeof out->out);
	rewind(con);
	size_t n = fread(out->out, 1, sizeof out->out - 1, con);
	(void)n;
	fclose(con);
	bare_free(&m);
}

/* CORE_PROGRAMS random programs of variant: the fast loop ends each in
 * the very state the reference loop does. */
static void run_core_programs(const char *name, isa_variant variant, uint64_t salt)
{
	const char *env = getenv("PG32_TEST_SEED");
	uint64_t base = (env ? strtoull(env, NULL, 0) : DEFAULT_SEED) + salt;
	printf("%s: seeds %llu..%llu\n", name, (unsigned long long)base,
	       (unsigned long long)(base + CORE_PROGRAMS - 1));
	char disk[PATH_LEN];
	make_disk(disk, sizeof disk);
	static struct core_run a, b;
	for (uint64_t i = 0; i < CORE_PROGRAMS; i++) {
		struct vmm_randprog rp;
		assert_int_equal(vmm_rand_generate_variant(base + i, variant, &rp), 0);
		const char *d = i % 4 == 1 ? disk : NULL;
		core_run(&rp, false, d, &a);
		core_run(&rp, true, d, &b);
		if (a.end != b.end || memcmp(a.cpu.r, b.cpu.r, sizeof a.cpu.r) != 0 ||
		    a.cpu.pc != b.cpu.pc || a.cpu.status != b.cpu.status || a.cpu.base != b.cpu.base ||
		    a.cpu.bound != b.cpu.bound || a.cpu.clock != b.cpu.clock ||
		    a.cpu.irq_pending != b.cpu.irq_pending || a.cpu.waiting != b.cpu.waiting ||
		    memcmp(a.mem, b.mem, sizeof a.mem) != 0 || strcmp(a.out, b.out) != 0 ||
		    a.disk_status != b.disk_status || a.exit_code != b.exit_code) {
			vmm_rand_print(&rp, stdout);
			fail_msg("seed %llu: the fast loop ends at clock %llu pc 0x%x, the reference at "
			         "clock %llu pc 0x%x", (unsigned long long)(base + i),
			         (unsigned long long)b.cpu.clock, b.cpu.pc,
			         (unsigned long long)a.cpu.clock, a.cpu.pc);
		}
		vmm_rand_free(&rp);
	}
	unlink(disk);
}

static void test_core_fast_equals_reference(void **state)
{
	(void)state;
	run_core_programs("test_core_fast_equals_reference (well)", ISA_VARIANT_WELL, 0);
	run_core_programs("test_core_fast_equals_reference (ill)", isa_variant_all_ill(),
	                  CORE_PROGRAMS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_randprog_deterministic),
		cmocka_unit_test(test_core_fast_equals_reference),
		cmocka_unit_test(test_checker_finds_first_divergence),
		cmocka_unit_test(test_checker_shrinks_a_divergence),
		cmocka_unit_test(test_equiv_shipped_guests),
		cmocka_unit_test(test_equiv_random_programs),
		cmocka_unit_test(test_equiv_random_ill_programs),
		cmocka_unit_test(test_equiv_random_ill_exercise_rewriting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
