/*
 * test_minikernel.c -- the minikernel guest (guests/minikernel.s) on the
 * bare machine and under the monitor.
 *
 * The kernel is assembled in process with the assembler library and run
 * with bare_init/bare_run, its console going to an open_memstream buffer.
 * The tests check the golden output (guests/minikernel.expected, the
 * output without a disk), that the process breaking its bound is killed
 * while the others finish, the power-off code, a disk read from a
 * temporary disk file, that the output does not depend on the time slice
 * (the kernel is re-assembled with other QUANTUM values, and the trap path
 * through the return trampoline is seen to be taken), and that the
 * monitor runs it, alone and two copies side by side, with the same output.
 *
 * Run from the top of the tree (make test does), as the paths are relative.
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

#include "asm.h"
#include "pg32.h"
#include "vmm.h"

#define MK_SOURCE "guests/minikernel.s"
#define MK_EXPECTED "guests/minikernel.expected"
#define MK_INCLUDE_DIR "guests"
#define MSG_LEN 256
#define TEXT_MAX (1u << 20)
#define RUN_LIMIT 1000000ull   /* instructions: 30 times a run, so a hang fails fast */
#define NPROC 4                /* processes the kernel starts */
#define WILD_PID 2             /* the one that breaks its bound */
#define DISK_PID 3             /* the one that reads the disk */
/* The return trampoline's two instructions, at the kernel's TRAMP (=
 * PG32_TRAP_AREA_END) and TRAMP + TRAMP_B in each window: a trap there
 * takes trap_entry's two special paths. */
#define MK_TRAMP PG32_TRAP_AREA_END
#define MK_TRAMP_B (MK_TRAMP + ISA_WORD_BYTES)
#define QUANTUM_LINE "\t.equ QUANTUM, "
#define SWEEP_FIRST 150u       /* quanta tried by test_any_quantum */
#define SWEEP_LAST 1000u
#define SWEEP_STEP 11u
#define DISK_SECTORS 4u
#define DISK_TEXT "Hello from the minikernel test disk"
#define MONITOR_QUANTUM 777u   /* cuts the two guests' runs at odd places */
#define MK_LINE_MAX 256

/* ---- helpers ---------------------------------------------------------------- */

static void assemble_text(const char *text, struct image *img)
{
	static const char *const dirs[] = { MK_INCLUDE_DIR };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	char *diag = NULL;
	size_t dlen = 0;
	FILE *f = open_memstream(&diag, &dlen);
	assert_non_null(f);
	int errors = text ? asm_assemble_string(MK_SOURCE, text, &opt, img, f)
	                  : asm_assemble_file(MK_SOURCE, &opt, img, f);
	fclose(f);
	if (errors != 0)
		fail_msg("%s does not assemble:\n%s", MK_SOURCE, diag);
	free(diag);
}

static void assemble(struct image *img)
{
	assemble_text(NULL, img);
}

static char *read_text(const char *path)
{
	uint8_t *bytes;
	size_t len;
	char msg[MSG_LEN] = "";
	if (pg32_read_file(path, TEXT_MAX, &bytes, &len, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	char *text = realloc(bytes, len + 1);
	assert_non_null(text);
	text[len] = '\0';
	return text;
}

/* One bare-machine run and what the trace hook saw. */
struct run {
	char *out;
	size_t len;
	enum bare_end end;
	uint32_t exit_code;
	uint64_t clock;
	unsigned user_timer;   /* timer interrupts taken in user mode */
	unsigned at_tramp;     /* traps before the trampoline's first instruction */
	unsigned at_tramp_b;   /* traps on its branch */
};

static void count_traps(void *ctx, const struct cpu *c, const struct cpu_trap *t)
{
	struct run *r = ctx;
	if (t == NULL || (c->status & PSW_S))
		return;
	r->user_timer += t->cause == TRAP_TIMER;
	r->at_tramp += t->pc == MK_TRAMP;
	r->at_tramp_b += t->pc == MK_TRAMP_B;
}

/* Run img on the bare machine with the default memory, a disk if disk is
 * not NULL, and the trap-counting hook if trace. */
static void run_bare(const struct image *img, const char *disk, bool trace, struct run *r)
{
	struct bare_machine m;
	char msg[MSG_LEN] = "";
	memset(r, 0, sizeof *r);
	FILE *f = open_memstream(&r->out, &r->len);
	assert_non_null(f);
	if (bare_init(&m, img, PG32_MEM_DEFAULT, img->variant, f, msg, sizeof msg) != 0)
		fail_msg("bare_init: %s", msg);
	if (disk && dev_attach_disk(&m.bus, disk, msg, sizeof msg) != 0)
		fail_msg("dev_attach_disk: %s", msg);
	if (trace) {
		m.trace = count_traps;
		m.trace_ctx = r;
	}
	r->end = bare_run(&m, RUN_LIMIT);
	r->exit_code = m.bus.exit_code;
	r->clock = m.cpu.clock;
	bare_free(&m);
	fclose(f);
}

/* The lines of out that start with prefix, in order, into buf. */
static void lines_with(const char *out, const char *prefix, char *buf, size_t cap)
{
	size_t n = 0, plen = strlen(prefix);
	buf[0] = '\0';
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, prefix, plen) == 0) {
			assert_true(n + len < cap);
			memcpy(buf + n, p, len);
			n += len;
			buf[n] = '\0';
		}
		p += len;
	}
}

/* The disk: DISK_SECTORS sectors, sector 0 = DISK_TEXT then zeros, the
 * others filled with '#' (so a read of the wrong sector shows). */
static void make_disk(char *path)
{
	uint8_t sector[DISK_SECTOR_BYTES];
	strcpy(path, "/tmp/test_minikernel_disk_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	for (unsigned s = 0; s < DISK_SECTORS; s++) {
		memset(sector, s == 0 ? 0 : '#', sizeof sector);
		if (s == 0)
			memcpy(sector, DISK_TEXT, strlen(DISK_TEXT));
		assert_int_equal(write(fd, sector, sizeof sector), (ssize_t)sizeof sector);
	}
	close(fd);
}

/* Every process's lines, the boot lines and the last line of two runs are
 * the same, whatever their order. */
static void assert_same_story(const char *want, const char *got)
{
	static char a[TEXT_MAX / 16], b[TEXT_MAX / 16];
	char prefix[MK_LINE_MAX];
	for (int pid = 1; pid <= NPROC; pid++) {
		snprintf(prefix, sizeof prefix, "process %d:", pid);
		lines_with(want, prefix, a, sizeof a);
		lines_with(got, prefix, b, sizeof b);
		assert_string_equal(a, b);
		snprintf(prefix, sizeof prefix, "kernel: process %d", pid);
		lines_with(want, prefix, a, sizeof a);
		lines_with(got, prefix, b, sizeof b);
		assert_string_equal(a, b);
	}
	const char *last_want = strrchr(want, '\n'), *last_got = strrchr(got, '\n');
	assert_non_null(last_want);
	assert_non_null(last_got);
	while (last_want > want && last_want[-1] != '\n')
		last_want--;
	while (last_got > got && last_got[-1] != '\n')
		last_got--;
	assert_string_equal(last_want, last_got);
}

/* ---- the bare machine ------------------------------------------------------------ */

/* Without a disk the output is exactly guests/minikernel.expected. */
static void test_output_matches_expected(void **state)
{
	(void)state;
	struct image img;
	struct run r;
	assemble(&img);
	run_bare(&img, NULL, false, &r);
	char *want = read_text(MK_EXPECTED);
	assert_string_equal(r.out, want);
	print_message("minikernel: %llu instructions\n", (unsigned long long)r.clock);
	free(want);
	free(r.out);
	img_free(&img);
}

/* The run ends by power-off with code 0, well before the limit. */
static void test_power_off_code_zero(void **state)
{
	(void)state;
	struct image img;
	struct run r;
	assemble(&img);
	run_bare(&img, NULL, false, &r);
	assert_int_equal(r.end, BARE_POWEROFF);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.clock < RUN_LIMIT);
	free(r.out);
	img_free(&img);
}

/* Process 2 is killed by a memory fault at its bound; 1, 3, 4 finish. */
static void test_wild_process_killed_others_finish(void **state)
{
	(void)state;
	struct image img;
	struct run r;
	char line[MK_LINE_MAX];
	unsigned base = 0, bound = 0;
	assemble(&img);
	run_bare(&img, NULL, false, &r);

	snprintf(line, sizeof line, "kernel: process %d: R = (0x", WILD_PID);
	const char *p = strstr(r.out, line);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(line) - 2, "0x%x, 0x%x)", &base, &bound), 2);
	snprintf(line, sizeof line, "kernel: process %d killed: memory fault at 0x%08x ",
	         WILD_PID, bound);
	assert_non_null(strstr(r.out, line));
	snprintf(line, sizeof line, "process %d: done", WILD_PID);
	assert_null(strstr(r.out, line));
	/* It asked the kernel to print past its window first: refused. */
	snprintf(line, sizeof line, "process %d: the kernel refused", WILD_PID);
	assert_non_null(strstr(r.out, line));
	for (int pid = 1; pid <= NPROC; pid++) {
		if (pid == WILD_PID)
			continue;
		snprintf(line, sizeof line, "process %d: done\n", pid);
		assert_non_null(strstr(r.out, line));
		snprintf(line, sizeof line, "kernel: process %d exited with code 0\n", pid);
		assert_non_null(strstr(r.out, line));
	}
	assert_non_null(strstr(r.out, "kernel: all done: 3 exited, 1 killed; power off\n"));
	free(r.out);
	img_free(&img);
}

/* Without a disk the disk reader says so and goes on. */
static void test_no_disk(void **state)
{
	(void)state;
	struct image img;
	struct run r;
	char line[MK_LINE_MAX];
	assemble(&img);
	run_bare(&img, NULL, false, &r);
	snprintf(line, sizeof line, "process %d: no disk\n", DISK_PID);
	assert_non_null(strstr(r.out, line));
	free(r.out);
	img_free(&img);
}

/* With a disk, process 3 prints what it read from sector 0 by DMA. */
static void test_disk_read(void **state)
{
	(void)state;
	struct image img;
	struct run r;
	char path[MSG_LEN], line[MK_LINE_MAX];
	assemble(&img);
	make_disk(path);
	run_bare(&img, path, false, &r);
	unlink(path);
	snprintf(line, sizeof line, "process %d: sector 0 says: %s\n", DISK_PID, DISK_TEXT);
	assert_non_null(strstr(r.out, line));
	assert_null(strstr(r.out, "no disk"));
	assert_null(strstr(r.out, "#"));
	assert_int_equal(r.end, BARE_POWEROFF);
	assert_int_equal(r.exit_code, 0);
	free(r.out);
	img_free(&img);
}

/* Two runs are the same run: same output, same instruction count. */
static void test_deterministic(void **state)
{
	(void)state;
	struct image img;
	struct run a, b;
	assemble(&img);
	run_bare(&img, NULL, false, &a);
	run_bare(&img, NULL, true, &b);
	assert_string_equal(a.out, b.out);
	assert_int_equal(a.clock, b.clock);
	/* and the timer really cut the processes short */
	assert_true(b.user_timer > 0);
	free(a.out);
	free(b.out);
	img_free(&img);
}

/* With other time slices the order changes but each process's story does
 * not; across them, interrupts land on both trampoline instructions. */
static void test_any_quantum(void **state)
{
	(void)state;
	char *src = read_text(MK_SOURCE), *want = read_text(MK_EXPECTED);
	char *at = strstr(src, QUANTUM_LINE);
	assert_non_null(at);
	char *eol = strchr(at, '\n');
	assert_non_null(eol);
	size_t head = (size_t)(at - src) + strlen(QUANTUM_LINE);
	char *text = malloc(strlen(src) + MK_LINE_MAX);
	assert_non_null(text);
	unsigned tramp = 0, tramp_b = 0, runs = 0;
	for (unsigned q = SWEEP_FIRST; q <= SWEEP_LAST; q += SWEEP_STEP, runs++) {
		struct image img;
		struct run r;
		int n = snprintf(text, MK_LINE_MAX + head, "%.*s%u", (int)head, src, q);
		strcpy(text + n, eol);
		assemble_text(text, &img);
		run_bare(&img, NULL, true, &r);
		if (r.end != BARE_POWEROFF || r.exit_code != 0)
			fail_msg("QUANTUM %u: ended %d with code %u", q, r.end, r.exit_code);
		assert_same_story(want, r.out);
		tramp += r.at_tramp;
		tramp_b += r.at_tramp_b;
		free(r.out);
		img_free(&img);
	}
	print_message("%u quanta: %u traps at the trampoline, %u on its branch\n", runs, tramp,
	              tramp_b);
	assert_true(tramp > 0);
	assert_true(tramp_b > 0);
	free(text);
	free(src);
	free(want);
}

/* ---- under the monitor ------------------------------------------------------------- */

/* Run n copies of img under one monitor, each with its own console. */
static void run_monitor(const struct image *img, unsigned n, char **outs, size_t *lens)
{
	struct vmm *v;
	struct vmm_config cfg = { .quantum = MONITOR_QUANTUM };
	char msg[MSG_LEN] = "";
	FILE *f[2];
	assert_true(n <= 2);
	if (vmm_create(&v, &cfg, msg, sizeof msg) != 0)
		fail_msg("vmm_create: %s", msg);
	for (unsigned i = 0; i < n; i++) {
		f[i] = open_memstream(&outs[i], &lens[i]);
		assert_non_null(f[i]);
		struct vmm_guest_config gc = { .name = "minikernel", .img = img, .variant = img->variant,
		                               .console = f[i] };
		if (vmm_add_guest(v, &gc, NULL, msg, sizeof msg) != 0)
			fail_msg("vmm_add_guest: %s", msg);
	}
	vmm_run(v);
	assert_int_equal(vmm_exit_status(v), 0);
	vmm_destroy(v);
	for (unsigned i = 0; i < n; i++)
		fclose(f[i]);
}

/* Under the monitor the output is the same as on the bare machine. */
static void test_monitor_same_output(void **state)
{
	(void)state;
	struct image img;
	char *out[1];
	size_t len[1];
	assemble(&img);
	run_monitor(&img, 1, out, len);
	char *want = read_text(MK_EXPECTED);
	assert_string_equal(out[0], want);
	free(want);
	free(out[0]);
	img_free(&img);
}

/* Two copies side by side under one monitor: each tells the same story. */
static void test_monitor_two_copies(void **state)
{
	(void)state;
	struct image img;
	char *out[2];
	size_t len[2];
	assemble(&img);
	run_monitor(&img, 2, out, len);
	char *want = read_text(MK_EXPECTED);
	assert_string_equal(out[0], want);
	assert_string_equal(out[1], want);
	free(want);
	free(out[0]);
	free(out[1]);
	img_free(&img);
}

/* The monitor's equivalence checker agrees, with and without a disk. */
static void test_monitor_check(void **state)
{
	(void)state;
	struct image img;
	char path[MSG_LEN], msg[MSG_LEN] = "", what[VMM_CHECK_WHAT];
	assemble(&img);
	make_disk(path);
	for (int with_disk = 0; with_disk <= 1; with_disk++) {
		struct vmm_check_config cfg = { .variant = img.variant,
		                                .disk_path = with_disk ? path : NULL };
		struct vmm_check_result res;
		if (vmm_check(&img, &cfg, &res, msg, sizeof msg) != 0)
			fail_msg("vmm_check: %s", msg);
		vmm_check_format(&res, what, sizeof what);
		if (!res.equivalent)
			fail_msg("%s disk: %s", with_disk ? "with a" : "without a", what);
		assert_int_equal(res.exit_code, 0);
	}
	unlink(path);
	img_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_matches_expected),
		cmocka_unit_test(test_power_off_code_zero),
		cmocka_unit_test(test_wild_process_killed_others_finish),
		cmocka_unit_test(test_no_disk),
		cmocka_unit_test(test_disk_read),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_any_quantum),
		cmocka_unit_test(test_monitor_same_output),
		cmocka_unit_test(test_monitor_two_copies),
		cmocka_unit_test(test_monitor_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
