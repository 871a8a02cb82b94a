/*
 * test_hostile.c -- guests that try to escape (guests/hostile/, issue 8).
 *
 * Each hostile guest tries one escape over and over: memory past its
 * bound, the relocation register from user mode, DMA outside its memory,
 * disk sectors outside its minidisk, a console flood, a loop with
 * interrupts off, undefined opcodes and malformed words, a trap loop, a
 * storm of supervisor calls, a storm of timer interrupts.  Each runs under
 * one monitor beside guests/hostile/victim.s (which uses its memory, its
 * minidisk, its timer and its console), at two quanta, with the victim's
 * region and minidisk just after the hostile guest's and just before
 * them, and the test checks
 * that
 *   - the hostile guest is contained: it ends the way it must (its own
 *     report of the faults it got, its instruction limit, the trap-loop
 *     rule), and the monitor survives;
 *   - the victim is unharmed: its final state -- registers, pc, virtual
 *     PSW and R, clock, interrupt and device state, its whole memory, its
 *     console output and its minidisk -- is byte for byte the state of a
 *     run of the victim alone;
 *   - host memory past every guest and host disk sectors nobody owns are
 *     untouched.
 * The guests are assembled in process from guests/hostile/ (run from the
 * top of the tree, as make test does).
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

#include "asm.h"
#include "pg32_test.h"
#include "vmm.h"

#define HOSTILE_DIR "guests/hostile"
#define INCLUDE_DIR "guests"
#define SOURCE_EXT ".s"
#define VICTIM "victim"
#define HOSTILE_MEM (64u * 1024u)
#define VICTIM_MEM (16u * 1024u)
#define MINIDISK 4u                    /* sectors per guest */
#define HOST_SECTORS (3u * MINIDISK)   /* the last minidisk's worth is nobody's */
#define SPARE VMM_REGION_ALIGN         /* host memory past every guest */
#define SPARE_FILL 0x3C
#define SECTOR_FILL 0x40               /* sector s of a minidisk: bytes SECTOR_FILL + s */
#define CAP 4096u                      /* console bytes kept per guest */
#define LIMIT 3000000u                 /* instructions, for guests that end */
#define LOOP_LIMIT 200000u             /* for the ones that never do */
#define STORM_LIMIT 10000000u          /* svc_storm: a million calls, 7 instructions each */
#define PATH_LEN 256
#define MSG 256
#define OUT_MAX 512
#define VICTIM_DONE 2                  /* DISK_STATUS_DONE, as the victim prints it */

/* Undefined opcodes: 0, and the table's end (HALT, privileged, is its last
 * row) up to 255; then the malformed words of undefined_ops.s. */
#define OPCODE_VALUES 256
#define MALFORMED_WORDS 5

/* What a hostile guest must end with. */
struct hostile {
	const char *name;
	uint64_t limit;
	enum vmm_end end;
	uint32_t exit_code;                /* with VMM_POWEROFF */
	const char *output;                /* exact console output, or NULL */
};

static char undefined_ops_output[MSG];

static const struct hostile hostiles[] = {
	{ "mem_bound", LIMIT, VMM_POWEROFF, 0, "memory faults: 3500 of 3500\n" },
	{ "lrr_user", LIMIT, VMM_POWEROFF, 0,
	  "priv faults: 2400, memory faults at the user bound: 300\n" },
	{ "dma_escape", LIMIT, VMM_POWEROFF, 0, "dma refused: 100 of 100, legal transfer status 2\n" },
	{ "disk_slice", LIMIT, VMM_POWEROFF, 0,
	  "out-of-slice transfers refused: 120 of 120, legal transfer status 2\n" },
	{ "console_flood", LOOP_LIMIT, VMM_LIMIT, 0, NULL },
	{ "irq_off_loop", LOOP_LIMIT, VMM_LIMIT, 0, "" },
	{ "undefined_ops", LIMIT, VMM_POWEROFF, 0, undefined_ops_output },
	{ "trap_loop", LIMIT, VMM_TRAP_LOOP, 0, "trap loop next\n" },
	{ "svc_storm", STORM_LIMIT, VMM_POWEROFF, 0, "svc calls handled: 1000000\n" },
	{ "timer_storm", LIMIT, VMM_POWEROFF, 0, "timer ticks: 60000\n" },
	/* The rewriting attacks (ill-behaved images: dynamic rewriting).  Per
	 * round, 50 rounds: 10 words to jump to, 9 of them pass the counter
	 * (not the jump onto jr lr), 30 misaligned bytes, 10 words and 40
	 * bytes read back. */
	{ "patched_jump", LIMIT, VMM_POWEROFF, 0,
	  "entries: 450 of 450, alignment faults: 1500 of 1500, words read back: 500 of 500, "
	  "bytes read back: 2000 of 2000\n" },
	/* 1000 rounds of 2 runs and 2 words read back. */
	{ "scanned_rewrite", LIMIT, VMM_POWEROFF, 0, "runs: 2000 of 2000, words read back: 2000 of 2000\n" },
};
#define NHOSTILES (sizeof hostiles / sizeof hostiles[0])

static const uint64_t quanta[] = { 37, VMM_QUANTUM_DEFAULT };

/* ---- images and the disk ------------------------------------------------ */

static void assemble(const char *name, struct image *img)
{
	char path[PATH_LEN];
	snprintf(path, sizeof path, "%s/%s%s", HOSTILE_DIR, name, SOURCE_EXT);
	const char *const dirs[] = { INCLUDE_DIR };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	int errors = asm_assemble_file(path, &opt, img, stderr);
	if (errors)
		fail_msg("%s: %d assembler errors (run from the top of the tree)", path, errors);
}

/* Sector s of every minidisk starts the same (its number within the
 * minidisk), so a guest sees the same disk wherever its slice lies. */
static void sector_fill(uint8_t *sec, uint32_t host_sector)
{
	memset(sec, (int)(SECTOR_FILL + host_sector % MINIDISK), DISK_SECTOR_BYTES);
}

static void make_disk(char *path, size_t len)
{
	snprintf(path, len, "%s/test_hostile_disk_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint8_t sec[DISK_SECTOR_BYTES];
	for (uint32_t s = 0; s < HOST_SECTORS; s++) {
		sector_fill(sec, s);
		assert_int_equal(write(fd, sec, sizeof sec), (ssize_t)sizeof sec);
	}
	close(fd);
}

static uint8_t *read_disk(const char *path)
{
	uint8_t *bytes;
	size_t len;
	char msg[MSG];
	assert_int_equal(pg32_read_file(path, HOST_SECTORS * DISK_SECTOR_BYTES, &bytes, &len, msg,
	                                sizeof msg), 0);
	assert_int_equal(len, HOST_SECTORS * DISK_SECTOR_BYTES);
	return bytes;
}

/* ---- the victim's state ---------------------------------------------------- */

struct victim_state {
	struct cpu vm;                 /* mem pointer cleared */
	enum vmm_end end;
	uint32_t exit_code;
	struct vmm_vdev dev;           /* out and input pointers cleared */
	uint8_t mem[VICTIM_MEM];
	char out[OUT_MAX];
	size_t out_len;
	uint8_t disk[MINIDISK * DISK_SECTOR_BYTES];
};

/* One guest's console. */
struct console {
	FILE *f;
	char *buf;
	size_t len;
};

static void console_open(struct console *c)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static void console_close(struct console *c)
{
	fclose(c->f);
	free(c->buf);
}

static struct vmm_guest *add(struct vmm *v, const char *name, const struct image *img,
                             uint32_t mem, uint64_t limit, struct console *con, bool prefix)
{
	char msg[MSG];
	struct vmm_guest_config gc = {
		.name = name, .img = img, .mem_size = mem, .variant = img->variant,
		.disk_sectors = MINIDISK,
		.max_instructions = limit, .console = con->f, .console_cap = CAP, .prefix = prefix,
	};
	struct vmm_guest *g;
	if (vmm_add_guest(v, &gc, &g, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	return g;
}

/* The victim's state once the monitor is done with it (console flushed);
 * its minidisk is read after vmm_destroy, from the disk file. */
static void victim_take(const struct vmm_guest *g, struct console *con, struct victim_state *s)
{
	fflush(con->f);
	memset(s, 0, sizeof *s);
	s->vm = g->vm;
	s->vm.mem = NULL;
	s->end = g->end;
	s->exit_code = g->dev.exit_code;
	s->dev = g->dev;
	s->dev.out = NULL;
	s->dev.input = NULL;
	assert_int_equal(g->vm.mem_size, VICTIM_MEM);
	memcpy(s->mem, g->vm.mem, VICTIM_MEM);
	assert_true(con->len < sizeof s->out);
	memcpy(s->out, con->buf, con->len);
	s->out_len = con->len;
}

static void victim_take_disk(struct victim_state *s, const uint8_t *disk, const struct vmm_minidisk *d)
{
	assert_int_equal(d->count, MINIDISK);
	memcpy(s->disk, disk + (size_t)d->first * DISK_SECTOR_BYTES, sizeof s->disk);
}

static void assert_victim_equal(const struct victim_state *a, const struct victim_state *b,
                                const char *beside, uint64_t quantum)
{
	const char *what = memcmp(a->vm.r, b->vm.r, sizeof a->vm.r) ? "registers"
	                   : a->vm.pc != b->vm.pc ? "pc"
	                   : a->vm.status != b->vm.status ? "virtual status"
	                   : a->vm.base != b->vm.base || a->vm.bound != b->vm.bound ? "virtual R"
	                   : a->vm.clock != b->vm.clock ? "clock"
	                   : a->vm.irq_pending != b->vm.irq_pending || a->vm.waiting != b->vm.waiting
	                           ? "interrupt state"
	                   : a->end != b->end || a->exit_code != b->exit_code ? "ending"
	                   : a->dev.timer_period != b->dev.timer_period ||
	                                   a->dev.timer_next != b->dev.timer_next
	                           ? "timer"
	                   : a->dev.disk_status != b->dev.disk_status ||
	                                   a->dev.disk_sector != b->dev.disk_sector ||
	                                   a->dev.disk_addr != b->dev.disk_addr ||
	                                   a->dev.disk_count != b->dev.disk_count
	                           ? "disk registers"
	                   : a->dev.written != b->dev.written ? "console bytes written"
	                   : NULL;
	if (what)
		fail_msg("beside %s (quantum %llu): the victim's %s differs from its run alone", beside,
		         (unsigned long long)quantum, what);
	pt_assert_mem_equal(a->mem, b->mem, VICTIM_MEM, "the victim's memory");
	assert_int_equal(a->out_len, b->out_len);
	assert_memory_equal(a->out, b->out, a->out_len);
	pt_assert_mem_equal(a->disk, b->disk, sizeof a->disk, "the victim's minidisk");
}

/* The victim alone: its state, and a look at its output. */
static void victim_alone(const struct image *victim, struct victim_state *s)
{
	char disk[PATH_LEN], msg[MSG];
	make_disk(disk, sizeof disk);
	struct vmm_config cfg = { .host_mem = VICTIM_MEM, .disk_path = disk };
	struct vmm *v;
	assert_int_equal(vmm_create(&v, &cfg, msg, sizeof msg), 0);
	struct console con;
	console_open(&con);
	struct vmm_guest *g = add(v, VICTIM, victim, VICTIM_MEM, LIMIT, &con, false);
	vmm_run(v);
	victim_take(g, &con, s);
	struct vmm_minidisk d = g->disk;
	vmm_destroy(v);
	console_close(&con);
	uint8_t *bytes = read_disk(disk);
	victim_take_disk(s, bytes, &d);
	free(bytes);
	unlink(disk);
	assert_int_equal(s->end, VMM_POWEROFF);
	assert_int_equal(s->exit_code, 0);
	/* Its writes and reads worked ("disk=2 2": DISK_STATUS_DONE twice)
	 * and the timer ticked. */
	char expect[MSG];
	snprintf(expect, sizeof expect, " disk=%d %d\n", VICTIM_DONE, VICTIM_DONE);
	s->out[s->out_len < sizeof s->out ? s->out_len : sizeof s->out - 1] = '\0';
	assert_non_null(strstr(s->out, expect));
	assert_null(strstr(s->out, " ticks=0 "));
}

/* ---- the test ---------------------------------------------------------------- */

/* Hostile guest h and the victim in one monitor at quantum q, the victim's
 * region and minidisk right after the hostile guest's (where running past
 * a bound leads), or, with victim_first, right before them. */
static void run_beside(const struct hostile *h, const struct image *himg, const struct image *victim,
                       uint64_t q, bool victim_first, const struct victim_state *alone)
{
	char disk[PATH_LEN], msg[MSG];
	make_disk(disk, sizeof disk);
	struct vmm_config cfg = { .host_mem = HOSTILE_MEM + VICTIM_MEM + SPARE, .quantum = q,
	                          .disk_path = disk };
	struct vmm *v;
	assert_int_equal(vmm_create(&v, &cfg, msg, sizeof msg), 0);
	struct console hcon, vcon;
	console_open(&hcon);
	console_open(&vcon);
	struct vmm_guest *hg, *vg;
	if (victim_first) {
		vg = add(v, VICTIM, victim, VICTIM_MEM, LIMIT, &vcon, false);
		hg = add(v, h->name, himg, HOSTILE_MEM, h->limit, &hcon, h->output == NULL);
	} else {
		hg = add(v, h->name, himg, HOSTILE_MEM, h->limit, &hcon, h->output == NULL);
		vg = add(v, VICTIM, victim, VICTIM_MEM, LIMIT, &vcon, false);
	}
	const struct vmm_guest *first = victim_first ? vg : hg, *second = victim_first ? hg : vg;
	assert_int_equal(second->region.base, first->region.base + first->region.size);
	assert_int_equal(second->disk.first, first->disk.first + first->disk.count);
	uint32_t spare = second->region.base + second->region.size;
	memset(v->host_mem + spare, SPARE_FILL, v->host_mem_size - spare);

	vmm_run(v);

	/* The hostile guest: contained, and it ended its way. */
	fflush(hcon.f);
	if (hg->end != h->end)
		fail_msg("%s (quantum %llu) ended %s, expected %s%s%s", h->name, (unsigned long long)q,
		         vmm_end_name(hg->end), vmm_end_name(h->end), hg->end == VMM_KILLED ? ": " : "",
		         hg->end == VMM_KILLED ? hg->why : "");
	if (h->end == VMM_POWEROFF)
		assert_int_equal(hg->dev.exit_code, h->exit_code);
	assert_true(hg->vm.clock <= h->limit);
	if (h->output) {
		if (hcon.len != strlen(h->output) || memcmp(hcon.buf, h->output, hcon.len) != 0)
			fail_msg("%s (quantum %llu) printed \"%.*s\", expected \"%s\"", h->name,
			         (unsigned long long)q, (int)(hcon.len < MSG ? hcon.len : MSG), hcon.buf,
			         h->output);
	} else {
		/* The flood, with "[name] " prefixes (its lines are longer than
		 * the line the monitor holds back): cut at the cap, the guest ran
		 * on to its limit. */
		assert_true(hg->dev.cut);
		assert_true(hg->dev.written > CAP);
		size_t as = 0;
		for (size_t i = 0; i < hcon.len; i++)
			as += hcon.buf[i] == 'A';
		assert_true(as <= CAP);
		assert_non_null(strstr(hcon.buf, "cut after"));
		/* Every line, the held-back pieces of long ones too, carries the
		 * guest's prefix. */
		char prefix[MSG];
		snprintf(prefix, sizeof prefix, "[%s] ", h->name);
		for (const char *line = hcon.buf; *line; ) {
			if (strncmp(line, prefix, strlen(prefix)) != 0)
				fail_msg("%s: a console line without its prefix: %.40s", h->name, line);
			const char *nl = strchr(line, '\n');
			line = nl ? nl + 1 : line + strlen(line);
		}
	}
	for (uint32_t a = spare; a < v->host_mem_size; a++)
		if (v->host_mem[a] != SPARE_FILL)
			fail_msg("beside %s: host memory past the guests changed at 0x%x", h->name, a);

	/* The victim: as if alone. */
	struct victim_state *s = malloc(sizeof *s);
	assert_non_null(s);
	victim_take(vg, &vcon, s);
	struct vmm_minidisk d = vg->disk;
	vmm_destroy(v);
	console_close(&hcon);
	console_close(&vcon);
	uint8_t *bytes = read_disk(disk);
	victim_take_disk(s, bytes, &d);
	/* Sectors nobody owns are as they were. */
	uint8_t sec[DISK_SECTOR_BYTES];
	for (uint32_t k = 2 * MINIDISK; k < HOST_SECTORS; k++) {
		sector_fill(sec, k);
		pt_assert_mem_equal(bytes + (size_t)k * DISK_SECTOR_BYTES, sec, sizeof sec,
		                    "a host disk sector nobody owns");
	}
	free(bytes);
	unlink(disk);
	char who[MSG];
	snprintf(who, sizeof who, "%s, %s it", h->name, victim_first ? "before" : "after");
	assert_victim_equal(s, alone, who, q);
	free(s);
}

/* Every hostile guest, beside the victim, at each quantum. */
static void test_hostile_guests_contained(void **state)
{
	(void)state;
	/* undefined_ops.s counts on halt being the table's last opcode. */
	assert_int_equal(ISA_NOPS - 1, ISA_OP_HALT);
	snprintf(undefined_ops_output, sizeof undefined_ops_output,
	         "illegal-instruction faults: %d\n", 1 + OPCODE_VALUES - ISA_NOPS + MALFORMED_WORDS);
	struct image victim;
	assemble(VICTIM, &victim);
	struct victim_state *alone = malloc(sizeof *alone);
	assert_non_null(alone);
	victim_alone(&victim, alone);
	for (size_t i = 0; i < NHOSTILES; i++) {
		struct image himg;
		assemble(hostiles[i].name, &himg);
		for (size_t k = 0; k < sizeof quanta / sizeof quanta[0]; k++) {
			run_beside(&hostiles[i], &himg, &victim, quanta[k], false, alone);
			run_beside(&hostiles[i], &himg, &victim, quanta[k], true, alone);
		}
		img_free(&himg);
	}
	free(alone);
	img_free(&victim);
}

/* The rewriting attacks are the real promise of the rewriter: with dynamic
 * rewriting (the default under ill) each guest, beside the victim, is
 * equivalent to the bare ill machine -- registers (what its critical
 * instructions read), memory, console, clock.  And each attack is real:
 * plain trap-and-emulate and static rewriting are caught by it. */
static const char *const rewriting_attacks[] = { "patched_jump", "scanned_rewrite" };

static void test_rewriting_attacks_equivalent(void **state)
{
	(void)state;
	struct image victim;
	assemble(VICTIM, &victim);
	const struct image *beside[] = { &victim };
	for (size_t i = 0; i < sizeof rewriting_attacks / sizeof rewriting_attacks[0]; i++) {
		struct image img;
		assemble(rewriting_attacks[i], &img);
		assert_true(img.variant == isa_variant_all_ill());
		static const enum vmm_rewrite_mode modes[] = { VMM_REWRITE_DYNAMIC, VMM_REWRITE_AUTO,
		                                               VMM_REWRITE_NONE, VMM_REWRITE_STATIC };
		for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
			for (size_t k = 0; k < sizeof quanta / sizeof quanta[0]; k++) {
				struct vmm_check_config cc = {
					.mem_size = HOSTILE_MEM, .variant = img.variant, .max_instructions = LIMIT,
					.quantum = quanta[k], .beside = beside, .nbeside = 1, .rewrite = modes[m],
				};
				struct vmm_check_result res;
				char msg[MSG], line[MSG + VMM_CHECK_WHAT];
				if (vmm_check(&img, &cc, &res, msg, sizeof msg) != 0)
					fail_msg("%s: vmm_check: %s", rewriting_attacks[i], msg);
				vmm_check_format(&res, line, sizeof line);
				bool promised = modes[m] == VMM_REWRITE_DYNAMIC || modes[m] == VMM_REWRITE_AUTO;
				printf("%s, rewrite %s, quantum %llu: %s\n", rewriting_attacks[i],
				       vmm_rewrite_name(modes[m]), (unsigned long long)quanta[k], line);
				if (res.equivalent != promised)
					fail_msg("%s with rewrite %s: %s", rewriting_attacks[i],
					         vmm_rewrite_name(modes[m]), line);
				if (promised)
					assert_int_equal(res.end, VMM_POWEROFF);
			}
		img_free(&img);
	}
	img_free(&victim);
}

/* Every file in guests/hostile/ is in the table (or is the victim). */
static void test_every_hostile_guest_is_tested(void **state)
{
	(void)state;
	DIR *d = opendir(HOSTILE_DIR);
	assert_non_null(d);
	struct dirent *e;
	int seen = 0;
	while ((e = readdir(d)) != NULL) {
		char name[PATH_LEN];
		size_t len = strlen(e->d_name);
		size_t ext = strlen(SOURCE_EXT);
		if (len <= ext || len >= sizeof name || strcmp(e->d_name + len - ext, SOURCE_EXT) != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - ext), e->d_name);
		bool found = !strcmp(name, VICTIM);
		for (size_t i = 0; i < NHOSTILES && !found; i++)
			found = !strcmp(name, hostiles[i].name);
		if (!found)
			fail_msg("%s/%s has no row in test_hostile.c's table", HOSTILE_DIR, e->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, NHOSTILES + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_guests_contained),
		cmocka_unit_test(test_every_hostile_guest_is_tested),
		cmocka_unit_test(test_rewriting_attacks_equivalent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
