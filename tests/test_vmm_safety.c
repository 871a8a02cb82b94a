/*
 * test_vmm_safety.c -- resource control and isolation under the monitor
 * (Popek and Goldberg's resource-control property, measured): a guest
 * cannot read or write outside its region, cannot move DMA outside it,
 * cannot reach outside its minidisk, cannot change another guest's state,
 * cannot keep the others from running by looping with interrupts off, nor
 * drown them by flooding the console; a guest's final state does not depend
 * on who runs beside it; hostile guests (random words) never crash the
 * monitor.  Random parts print their seed (PG32_TEST_SEED replays).
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
#define HANDLER 0x0800u
#define MSG 256
#define HOG_LIMIT 2000000u
#define QUANTUM 1000u
#define DISK_SECTORS 8u
#define MINIDISK 4u
#define BUF 0x1000u       /* DMA buffer in the disk tests */
#define FLOOD 100000      /* bytes the flooder writes */
#define CAP 1000u         /* its console cap */
#define HOSTILE_GUESTS 6
#define HOSTILE_ROUNDS 40
#define HOSTILE_LIMIT 20000u
#define BESIDE_PROGRAMS 60
#define SCAN_WRITE_FROM 0x1000u

/* ---- programs ------------------------------------------------------------ */

static void emit_exit(struct pt_prog *p, int32_t code)
{
	pt_op(p, ISA_OP_MOVI, PT_R0, 0, 0, code);
	pt_op(p, ISA_OP_OUT, PT_R0, 0, 0, PORT_POWER_OFF);
}

/* A handler that halts with interrupts off: the first trap ends the
 * guest, and the trap words say which trap it was. */
static void emit_halting_handler(struct pt_prog *p)
{
	uint32_t save = p->pc;
	p->pc = HANDLER;
	pt_op(p, ISA_OP_HALT, 0, 0, 0, 0);
	p->pc = save;
	pt_put_psw(p->mem, PG32_NEW_PSW, PSW_S, HANDLER, 0, MEM);
}

/* R := (0, everything), then a loop that reads every word from 0 up,
 * summing into r3, or writes every word from SCAN_WRITE_FROM up (above its
 * own code and handler), until the first fault. */
static void prog_scan(struct pt_prog *p, bool write)
{
	pt_prog_init(p, MEM);
	emit_halting_handler(p);
	pt_li(p, PT_R1, 0);
	pt_li(p, PT_R2, 0xFFFFFFFFu);
	pt_li(p, PT_R4, 0xDEADBEEFu);
	pt_op(p, ISA_OP_LRR, PT_R1, PT_R2, 0, 0);
	if (write)
		pt_li(p, PT_R1, SCAN_WRITE_FROM);
	uint32_t top = p->pc;
	if (write)
		pt_op(p, ISA_OP_SW, PT_R4, PT_R1, 0, 0);
	else
		pt_op(p, ISA_OP_LW, PT_R2, PT_R1, 0, 0);
	pt_op(p, ISA_OP_ADD, PT_R3, PT_R3, PT_R2, 0);
	pt_op(p, ISA_OP_ADDI, PT_R1, PT_R1, 0, ISA_WORD_BYTES);
	pt_jump(p, ISA_OP_B, top);
}

/* A guest that powers off with code after about n instructions. */
static void prog_worker(struct pt_prog *p, uint32_t n, int32_t code)
{
	pt_prog_init(p, MEM);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	pt_li(p, PT_R2, n / 3);
	uint32_t top = pt_op(p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(p, ISA_OP_CMP, PT_R1, PT_R2, 0, 0);
	pt_jump(p, ISA_OP_BLT, top);
	const char *msg = "ok\n";
	for (const char *c = msg; *c; c++) {
		pt_op(p, ISA_OP_MOVI, PT_R3, 0, 0, *c);
		pt_op(p, ISA_OP_OUT, PT_R3, 0, 0, PORT_CONSOLE_OUT);
	}
	emit_exit(p, code);
}

/* Interrupts off, then a tight loop forever. */
static void prog_hog(struct pt_prog *p)
{
	pt_prog_init(p, MEM);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	pt_op(p, ISA_OP_WRFL, PT_R1, 0, 0, 0);
	uint32_t top = pt_op(p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_jump(p, ISA_OP_B, top);
}

/* FLOOD bytes of 'x' on the console, then power off with 0. */
static void prog_flooder(struct pt_prog *p)
{
	pt_prog_init(p, MEM);
	pt_op(p, ISA_OP_MOVI, PT_R1, 0, 0, 0);
	pt_li(p, PT_R2, FLOOD);
	pt_op(p, ISA_OP_MOVI, PT_R3, 0, 0, 'x');
	uint32_t top = pt_op(p, ISA_OP_OUT, PT_R3, 0, 0, PORT_CONSOLE_OUT);
	pt_op(p, ISA_OP_ADDI, PT_R1, PT_R1, 0, 1);
	pt_op(p, ISA_OP_CMP, PT_R1, PT_R2, 0, 0);
	pt_jump(p, ISA_OP_BLT, top);
	emit_exit(p, 0);
}

/* ---- a monitor with several guests ------------------------------------------- */

struct mon {
	struct vmm *v;
	FILE *con;
	char *out;
	size_t out_len;
};

static void mon_init(struct mon *m, uint32_t host_mem, uint64_t quantum, const char *disk)
{
	char msg[MSG];
	memset(m, 0, sizeof *m);
	struct vmm_config cfg = { .host_mem = host_mem, .quantum = quantum, .disk_path = disk };
	assert_int_equal(vmm_create(&m->v, &cfg, msg, sizeof msg), 0);
	m->con = open_memstream(&m->out, &m->out_len);
	assert_non_null(m->con);
}

static struct vmm_guest *mon_add(struct mon *m, const char *name, struct pt_prog *p,
                                 uint64_t max, uint32_t sectors, uint64_t cap)
{
	char msg[MSG];
	struct pt_image pi;
	pt_image_of(&pi, p, PG32_LOAD_ADDR);
	struct vmm_guest_config gc = {
		.name = name, .img = &pi.img, .mem_size = p->size, .disk_sectors = sectors,
		.max_instructions = max, .console = m->con, .prefix = true, .console_cap = cap,
	};
	struct vmm_guest *g;
	if (vmm_add_guest(m->v, &gc, &g, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	return g;
}

static void mon_free(struct mon *m)
{
	vmm_destroy(m->v);
	fclose(m->con);
	free(m->out);
}

/* Host memory outside g's region is what it was in before. */
static void assert_outside_unchanged(const struct vmm *v, const struct vmm_guest *g,
                                     const uint8_t *before)
{
	pt_assert_mem_equal(v->host_mem, before, g->region.base, "host memory below the guest");
	uint32_t end = g->region.base + g->region.size;
	pt_assert_mem_equal(v->host_mem + end, before + end, v->host_mem_size - end,
	                    "host memory above the guest");
}

/* ---- memory --------------------------------------------------------------------- */

/* A guest with R = (0, everything) reads up to its memory size and no
 * further: the first fault is at its size, whatever lies beyond. */
static void test_cannot_read_outside_region(void **state)
{
	(void)state;
	struct pt_prog p, q;
	prog_scan(&p, false);
	prog_hog(&q);
	struct mon m;
	mon_init(&m, 3 * MEM, QUANTUM, NULL);
	struct vmm_guest *g = mon_add(&m, "scan", &p, HOG_LIMIT, 0, 0);
	struct vmm_guest *h = mon_add(&m, "hog", &q, HOG_LIMIT, 0, 0);
	memset(h->vm.mem + MEM / 2, 0xA5, MEM / 4); /* a secret next door */
	vmm_run(m.v);
	assert_int_equal(g->end, VMM_HALTED);
	assert_int_equal(pg32_load32(g->vm.mem + PG32_CAUSE), TRAP_MEMORY);
	assert_int_equal(pg32_load32(g->vm.mem + PG32_DETAIL), MEM);
	/* r3 is the sum of its own words, as they were when read (the scan
	 * writes nothing, so: the initial memory), and of nothing else. */
	uint32_t sum = 0;
	for (uint32_t a = 0; a < MEM; a += ISA_WORD_BYTES)
		sum += pt_peek(&p, a);
	assert_int_equal(g->vm.r[PT_R3], sum);
	mon_free(&m);
	pt_prog_free(&p);
	pt_prog_free(&q);
}

/* A guest that writes everywhere it can changes nothing outside its region
 * (its neighbours, the padding, the other guests' memory). */
static void test_cannot_write_outside_region(void **state)
{
	(void)state;
	struct pt_prog p, q;
	prog_scan(&p, true);
	pt_prog_init(&q, MEM);
	pt_op(&q, ISA_OP_HALT, 0, 0, 0, 0); /* a neighbour that only halts */
	struct mon m;
	mon_init(&m, 4 * MEM, QUANTUM, NULL);
	mon_add(&m, "before", &q, 0, 0, 0);
	struct vmm_guest *g = mon_add(&m, "writer", &p, HOG_LIMIT, 0, 0);
	mon_add(&m, "after", &q, 0, 0, 0);
	memset(m.v->host_mem + 3 * MEM, 0x5A, MEM); /* unallocated host memory */
	uint8_t *before = malloc(m.v->host_mem_size);
	assert_non_null(before);
	memcpy(before, m.v->host_mem, m.v->host_mem_size);
	vmm_run(m.v);
	assert_int_equal(g->end, VMM_HALTED);
	assert_int_equal(pg32_load32(g->vm.mem + PG32_DETAIL), MEM);
	assert_outside_unchanged(m.v, g, before);
	assert_int_equal(pg32_load32(g->vm.mem + MEM - ISA_WORD_BYTES), 0xDEADBEEFu);
	free(before);
	mon_free(&m);
	pt_prog_free(&p);
	pt_prog_free(&q);
}

/* The composed R, at its edges: with the guest's R = (MEM - 16, big) the
 * last legal word is virtual 12, and 16 faults (past the region's end,
 * though the guest's bound is far away). */
static void test_region_edge_with_guest_base(void **state)
{
	(void)state;
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	emit_halting_handler(&p);
	pt_li(&p, PT_R5, 16);
	pt_li(&p, PT_R6, 0);
	pt_put_psw(p.mem, 0x400, 0, 0, MEM - 16, 0x7FFFFFFF);
	pt_li(&p, PT_R7, 0x400);
	pt_op(&p, ISA_OP_LPSW, PT_R7, 0, 0, 0);
	/* The user program at physical MEM - 16 = its virtual 0:
	 * lw r3, 12(r6) reads the last word; lw r3, 0(r5) faults at 16. */
	pt_poke(&p, MEM - 16, pt_enc(ISA_OP_LW, PT_R3, PT_R6, 0, 12));
	pt_poke(&p, MEM - 12, pt_enc(ISA_OP_LW, PT_R3, PT_R5, 0, 0));
	pt_poke(&p, MEM - 4, 0x11223344u);
	/* Between two other guests, so past its region there is memory. */
	struct mon m;
	mon_init(&m, 3 * MEM, QUANTUM, NULL);
	mon_add(&m, "before", &p, 10, 0, 0);
	struct vmm_guest *g = mon_add(&m, "edge", &p, HOG_LIMIT, 0, 0);
	struct vmm_guest *after = mon_add(&m, "after", &p, 10, 0, 0);
	memset(after->vm.mem, 0x77, 64);
	vmm_run(m.v);
	assert_int_equal(g->end, VMM_HALTED);
	assert_int_equal(g->vm.r[PT_R3], 0x11223344u);
	assert_int_equal(pg32_load32(g->vm.mem + PG32_CAUSE), TRAP_MEMORY);
	assert_int_equal(pg32_load32(g->vm.mem + PG32_DETAIL), 16);
	mon_free(&m);

	struct pt_image pi;
	pt_image_of(&pi, &p, PG32_LOAD_ADDR);
	struct vmm_check_config cfg = { .mem_size = MEM, .max_instructions = HOG_LIMIT };
	struct vmm_check_result res;
	char msg[MSG];
	assert_int_equal(vmm_check(&pi.img, &cfg, &res, msg, sizeof msg), 0);
	assert_true(res.equivalent);
	pt_prog_free(&p);
}

/* ---- disk ----------------------------------------------------------------------------- */

/* A host disk of DISK_SECTORS sectors, each filled with its own number. */
static void make_disk(char *path, size_t len)
{
	snprintf(path, len, "%s/test_vmm_disk_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint8_t sector[DISK_SECTOR_BYTES];
	for (uint32_t s = 0; s < DISK_SECTORS; s++) {
		memset(sector, (int)(0x10 + s), sizeof sector);
		assert_int_equal(write(fd, sector, sizeof sector), (ssize_t)sizeof sector);
	}
	close(fd);
}

/* Start a transfer and wait for it by polling the status: r9 = status. */
static void emit_transfer(struct pt_prog *p, uint32_t cmd, uint32_t sector, uint32_t addr,
                          uint32_t count)
{
	pt_out_imm(p, PT_R8, PORT_DISK_SECTOR, sector);
	pt_out_imm(p, PT_R8, PORT_DISK_ADDR, addr);
	pt_out_imm(p, PT_R8, PORT_DISK_COUNT, count);
	pt_out_imm(p, PT_R8, PORT_DISK_CMD, cmd);
	uint32_t poll = pt_op(p, ISA_OP_IN, PT_R9, 0, 0, PORT_DISK_STATUS);
	pt_op(p, ISA_OP_CMPI, PT_R9, 0, 0, DISK_STATUS_BUSY);
	pt_jump(p, ISA_OP_BEQ, poll);
	pt_out_imm(p, PT_R8, PORT_DISK_STATUS, DISK_STATUS_IDLE);
}

/* Each guest's sector 0 is its minidisk's first sector; its writes land in
 * its minidisk; sectors past its minidisk and DMA past its memory fail
 * without a byte moved. */
static void test_minidisks_and_dma_bounds(void **state)
{
	(void)state;
	char disk[MSG];
	make_disk(disk, sizeof disk);
	struct pt_prog p;
	pt_prog_init(&p, MEM);
	pt_op(&p, ISA_OP_IN, PT_R10, 0, 0, PORT_DISK_SECTORS);
	emit_transfer(&p, DISK_CMD_READ, 0, BUF, 1);                      /* ok */
	pt_op(&p, ISA_OP_ADD, PT_R4, PT_R9, PT_R9, 0);                     /* r4 = 2 * status */
	emit_transfer(&p, DISK_CMD_READ, MINIDISK, BUF + DISK_SECTOR_BYTES, 1); /* past it */
	pt_op(&p, ISA_OP_ADD, PT_R5, PT_R9, PT_R9, 0);
	emit_transfer(&p, DISK_CMD_READ, 0, MEM - DISK_SECTOR_BYTES / 2, 1); /* past memory */
	pt_op(&p, ISA_OP_ADD, PT_R6, PT_R9, PT_R9, 0);
	emit_transfer(&p, DISK_CMD_READ, 0, 0xFFFFFF00u, 1);              /* wraps */
	pt_op(&p, ISA_OP_ADD, PT_R7, PT_R9, PT_R9, 0);
	/* write sector 1 with the bytes of our program */
	emit_transfer(&p, DISK_CMD_WRITE, 1, PG32_LOAD_ADDR, 1);
	emit_exit(&p, 0);

	struct mon m;
	mon_init(&m, 2 * MEM, 50, disk);
	struct vmm_guest *g[2] = { mon_add(&m, "a", &p, HOG_LIMIT, MINIDISK, 0),
	                           mon_add(&m, "b", &p, HOG_LIMIT, MINIDISK, 0) };
	vmm_run(m.v);
	for (int i = 0; i < 2; i++) {
		const struct cpu *vm = &g[i]->vm;
		assert_int_equal(g[i]->end, VMM_POWEROFF);
		assert_int_equal(vm->r[PT_R10], MINIDISK);
		assert_int_equal(vm->r[PT_R4], 2 * DISK_STATUS_DONE);
		assert_int_equal(vm->r[PT_R5], 2 * DISK_STATUS_ERROR);
		assert_int_equal(vm->r[PT_R6], 2 * DISK_STATUS_ERROR);
		assert_int_equal(vm->r[PT_R7], 2 * DISK_STATUS_ERROR);
		/* its sector 0 is host sector first + 0 */
		assert_int_equal(vm->mem[BUF], 0x10 + g[i]->disk.first);
		assert_int_equal(vm->mem[BUF + DISK_SECTOR_BYTES - 1], 0x10 + g[i]->disk.first);
		assert_int_equal(vm->mem[BUF + DISK_SECTOR_BYTES], 0); /* the refused read */
		assert_int_equal(vm->mem[MEM - 1], 0);
	}
	assert_int_equal(g[0]->disk.first, 0);
	assert_int_equal(g[1]->disk.first, MINIDISK);
	mon_free(&m);

	/* On the host disk: sectors 1 and MINIDISK + 1 hold the program,
	 * every other sector its own number still. */
	uint8_t *bytes;
	size_t len;
	char msg[MSG];
	assert_int_equal(pg32_read_file(disk, 1u << 20, &bytes, &len, msg, sizeof msg), 0);
	assert_int_equal(len, DISK_SECTORS * DISK_SECTOR_BYTES);
	for (uint32_t s = 0; s < DISK_SECTORS; s++) {
		const uint8_t *sec = bytes + s * DISK_SECTOR_BYTES;
		if (s == 1 || s == MINIDISK + 1)
			pt_assert_mem_equal(sec, p.mem + PG32_LOAD_ADDR, DISK_SECTOR_BYTES, "written sector");
		else
			assert_int_equal(sec[0], 0x10 + s);
	}
	free(bytes);
	unlink(disk);
	pt_prog_free(&p);
}

/* ---- time and the console ------------------------------------------------------------- */

/* A guest that loops forever with interrupts off does not stop the others:
 * the worker finishes while the hog has had no more than its fair share. */
static void test_hog_cannot_starve_others(void **state)
{
	(void)state;
	struct pt_prog hp, wp;
	prog_hog(&hp);
	prog_worker(&wp, 20000, 0);
	struct mon m;
	mon_init(&m, 2 * MEM, QUANTUM, NULL);
	struct vmm_guest *hog = mon_add(&m, "hog", &hp, HOG_LIMIT, 0, 0);
	struct vmm_guest *w = mon_add(&m, "worker", &wp, HOG_LIMIT, 0, 0);
	uint64_t hog_at_worker_end = 0;
	/* vmm_run, with a look at the clocks after each slice */
	for (struct vmm_guest *g = vmm_alloc_next_guest(m.v, NULL); g;
	     g = vmm_alloc_next_guest(m.v, g)) {
		vmm_run_slice(m.v, g, m.v->quantum);
		if (w->end != VMM_RUNNING && !hog_at_worker_end)
			hog_at_worker_end = hog->vm.clock;
	}
	fflush(m.con);
	assert_int_equal(w->end, VMM_POWEROFF);
	assert_int_equal(hog->end, VMM_LIMIT);
	assert_true(hog_at_worker_end <= w->vm.clock + QUANTUM);
	assert_non_null(strstr(m.out, "[worker] ok\n"));
	mon_free(&m);
	pt_prog_free(&hp);
	pt_prog_free(&wp);
}

/* A guest that floods the console is cut at its cap, with a note, and
 * keeps running; the other guest's lines come through whole. */
static void test_console_flood_is_capped(void **state)
{
	(void)state;
	struct pt_prog fp, wp;
	prog_flooder(&fp);
	prog_worker(&wp, 30000, 0);
	struct mon m;
	mon_init(&m, 2 * MEM, 100, NULL);
	struct vmm_guest *f = mon_add(&m, "flood", &fp, HOG_LIMIT, 0, CAP);
	struct vmm_guest *w = mon_add(&m, "worker", &wp, HOG_LIMIT, 0, CAP);
	vmm_run(m.v);
	fflush(m.con);
	assert_int_equal(f->end, VMM_POWEROFF);
	assert_int_equal(w->end, VMM_POWEROFF);
	assert_int_equal(f->dev.written, FLOOD);
	assert_true(f->dev.cut);
	size_t xs = 0;
	for (size_t i = 0; i < m.out_len; i++)
		xs += m.out[i] == 'x';
	assert_int_equal(xs, CAP);
	assert_non_null(strstr(m.out, "[flood] *** console output cut after 1000 bytes ***"));
	assert_non_null(strstr(m.out, "[worker] ok\n"));
	mon_free(&m);
	pt_prog_free(&fp);
	pt_prog_free(&wp);
}

/* With quantum 1 the guests' output interleaves byte by byte, but every
 * line still starts with its guest's prefix and holds only its bytes. */
static void test_prefixed_lines_never_interleave(void **state)
{
	(void)state;
	struct pt_prog a, b;
	prog_worker(&a, 3, 0);
	prog_worker(&b, 3, 0);
	struct mon m;
	mon_init(&m, 2 * MEM, 1, NULL);
	mon_add(&m, "a", &a, 0, 0, 0);
	mon_add(&m, "b", &b, 0, 0, 0);
	vmm_run(m.v);
	fflush(m.con);
	assert_string_equal(m.out, "[a] ok\n[b] ok\n");
	mon_free(&m);
	pt_prog_free(&a);
	pt_prog_free(&b);
}

/* Power-off ends only that guest; the exit status is the first non-zero. */
static void test_power_off_ends_only_that_guest(void **state)
{
	(void)state;
	struct pt_prog a, b;
	pt_prog_init(&a, MEM);
	emit_exit(&a, 3);
	prog_worker(&b, 10000, 0);
	struct mon m;
	mon_init(&m, 2 * MEM, 100, NULL);
	struct vmm_guest *ga = mon_add(&m, "a", &a, 0, 0, 0);
	struct vmm_guest *gb = mon_add(&m, "b", &b, 0, 0, 0);
	vmm_run(m.v);
	assert_int_equal(ga->end, VMM_POWEROFF);
	assert_int_equal(ga->vm.clock, 2);
	assert_int_equal(gb->end, VMM_POWEROFF);
	assert_true(gb->vm.clock > 10000);
	assert_int_equal(vmm_exit_status(m.v), 3);
	mon_free(&m);
	pt_prog_free(&a);
	pt_prog_free(&b);
}

/* ---- equivalence whatever runs beside ------------------------------------------------- */

/* Random programs checked against the bare machine while a hog, a flooder
 * and other random programs share the monitor, at small quanta. */
static void test_state_independent_of_neighbours(void **state)
{
	(void)state;
	pt_rand_init("test_state_independent_of_neighbours", 2024);
	struct pt_prog hp, fp;
	prog_hog(&hp);
	prog_flooder(&fp);
	static const uint64_t quanta[] = { 1, 3, 17, 250, 10000 };
	for (int i = 0; i < BESIDE_PROGRAMS; i++) {
		uint64_t seed = pt_rand32();
		struct vmm_randprog rp, other;
		assert_int_equal(vmm_rand_generate(seed, &rp), 0);
		assert_int_equal(vmm_rand_generate(seed + 1, &other), 0);
		struct pt_image hi, fi;
		pt_image_of(&hi, &hp, PG32_LOAD_ADDR);
		pt_image_of(&fi, &fp, PG32_LOAD_ADDR);
		/* the neighbours run in guests of the random program's size */
		hi.seg.mem_size = hi.seg.size = rp.mem_size;
		fi.seg.mem_size = fi.seg.size = rp.mem_size;
		const struct image *beside[] = { &hi.img, &other.img, &fi.img };
		struct vmm_check_config cfg = {
			.mem_size = rp.mem_size, .max_instructions = HOSTILE_LIMIT,
			.quantum = quanta[i % 5], .beside = beside, .nbeside = 3,
		};
		struct vmm_check_result res;
		char msg[MSG], line[MSG + VMM_CHECK_WHAT];
		assert_int_equal(vmm_check(&rp.img, &cfg, &res, msg, sizeof msg), 0);
		vmm_check_format(&res, line, sizeof line);
		if (!res.equivalent)
			fail_msg("seed %llu beside others, quantum %llu: %s", (unsigned long long)seed,
			         (unsigned long long)cfg.quantum, line);
		vmm_rand_free(&rp);
		vmm_rand_free(&other);
	}
	pt_prog_free(&hp);
	pt_prog_free(&fp);
}

/* ---- hostile guests ---------------------------------------------------------------------- */

/* Guests whose memory is random words (and random trap vectors) run side
 * by side; the monitor survives, each ends within its limit, and the host
 * memory outside the guests is untouched. */
static void test_hostile_random_guests(void **state)
{
	(void)state;
	pt_rand_init("test_hostile_random_guests", 77);
	for (int round = 0; round < HOSTILE_ROUNDS; round++) {
		struct pt_prog p[HOSTILE_GUESTS];
		struct mon m;
		mon_init(&m, (HOSTILE_GUESTS + 1) * MEM, 1 + pt_rand_below(300), NULL);
		struct vmm_guest *g[HOSTILE_GUESTS];
		for (int i = 0; i < HOSTILE_GUESTS; i++) {
			pt_prog_init(&p[i], MEM);
			for (uint32_t a = 0; a < MEM; a += ISA_WORD_BYTES) {
				uint32_t w = pt_rand32();
				/* Half the words a valid instruction, half anything. */
				if (pt_rand_below(2)) {
					unsigned op = 1 + pt_rand_below(ISA_NOPS - 1);
					w = (w & ~(0xFFu << ISA_OPCODE_SHIFT)) | (op << ISA_OPCODE_SHIFT);
				}
				pt_poke(&p[i], a, w);
			}
			/* Half with a usable trap vector (so they run on, trapping),
			 * half with anything at all. */
			if (pt_rand_below(2))
				pt_put_psw(p[i].mem, PG32_NEW_PSW, PSW_S, pt_rand_below(MEM) & ~3u, 0, MEM);
			else
				pt_put_psw(p[i].mem, PG32_NEW_PSW, pt_rand32(), pt_rand32(), pt_rand32(),
				           pt_rand32());
			g[i] = mon_add(&m, "hostile", &p[i], HOSTILE_LIMIT, 0, CAP);
		}
		memset(m.v->host_mem + HOSTILE_GUESTS * MEM, 0x3C, MEM);
		vmm_run(m.v);
		for (int i = 0; i < HOSTILE_GUESTS; i++) {
			assert_int_not_equal(g[i]->end, VMM_RUNNING);
			assert_int_not_equal(g[i]->end, VMM_KILLED);
			assert_true(g[i]->vm.clock <= HOSTILE_LIMIT);
			pt_prog_free(&p[i]);
		}
		for (uint32_t a = HOSTILE_GUESTS * MEM; a < m.v->host_mem_size; a++)
			if (m.v->host_mem[a] != 0x3C)
				fail_msg("round %d: free host memory changed at 0x%x", round, a);
		mon_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cannot_read_outside_region),
		cmocka_unit_test(test_cannot_write_outside_region),
		cmocka_unit_test(test_region_edge_with_guest_base),
		cmocka_unit_test(test_minidisks_and_dma_bounds),
		cmocka_unit_test(test_hog_cannot_starve_others),
		cmocka_unit_test(test_console_flood_is_capped),
		cmocka_unit_test(test_prefixed_lines_never_interleave),
		cmocka_unit_test(test_power_off_ends_only_that_guest),
		cmocka_unit_test(test_state_independent_of_neighbours),
		cmocka_unit_test(test_hostile_random_guests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
