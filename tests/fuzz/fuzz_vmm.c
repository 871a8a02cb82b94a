/*
 * fuzz_vmm.c -- fuzz target: the CPU plus the monitor on arbitrary guests.
 *
 * Input layout (tests/fuzz/README.md):
 *
 *   byte 0  flags   bit 0  FUZZ_VMM_IMAGE   the payload is an image file
 *                                           (else: raw memory from address 0)
 *                   bit 1  FUZZ_VMM_ILL     every critical instruction ill
 *                                           (else the well-behaved variant)
 *                   bit 2  FUZZ_VMM_DISK    the guest gets a minidisk
 *                   bit 3  FUZZ_VMM_REWRITE binary rewriting, scanning on
 *                                           demand (VMM_REWRITE_DYNAMIC);
 *                                           else plain trap-and-emulate
 *                   bits 4..7               quantum, an index into quanta[]
 *   byte 1  mode    bits 0..1: memory, PG32_MEM_MIN << n bytes
 *                   bit 2  FUZZ_VMM_STATIC  with REWRITE: scan the whole
 *                                           image at load instead
 *                   bit 3  FUZZ_VMM_HYBRID  the hybrid monitor
 *   byte 2..        payload
 *
 * The guest runs under one monitor between two victim guests (a fixed
 * program that sums its memory under timer interrupts and prints), for at
 * most FUZZ_VMM_LIMIT of its own instructions.  Promises checked:
 *   - the monitor survives and every guest ends; the fuzzed guest is never
 *     killed (nothing a guest does is "unexpected" to the monitor) and its
 *     clock stays within its limit;
 *   - containment: each victim's final state (registers, PSW, clock,
 *     memory, console output, how it ended) is the same as when it runs
 *     alone; the host memory past the guests is untouched; the host disk
 *     past the guest's minidisk is untouched;
 *   - equivalence, in the well-behaved variant whatever the monitor's
 *     mode (Theorem 1) and with dynamic rewriting in either variant:
 *     vmm_check finds the run under the monitor equal to the bare
 *     machine's.  (Under "all ill", plain trap-and-emulate, static
 *     rewriting and the hybrid monitor are not equivalent, on purpose:
 *     there only containment is promised.)
 * One input takes well under 10 ms (small memory, small limit).
 */
#include "fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg32.h"
#include "vmm.h"

#define FUZZ_VMM_IMAGE   (1u << 0)
#define FUZZ_VMM_ILL     (1u << 1)
#define FUZZ_VMM_DISK    (1u << 2)
#define FUZZ_VMM_REWRITE (1u << 3)
#define FUZZ_VMM_QUANTUM_SHIFT 4
#define FUZZ_VMM_MEM_MASK 3u
#define FUZZ_VMM_STATIC  (1u << 2)
#define FUZZ_VMM_HYBRID  (1u << 3)
#define FUZZ_VMM_HEADER 2u

#define FUZZ_VMM_LIMIT 20000u          /* the fuzzed guest's instructions */
#define FUZZ_VMM_CAP 4096u             /* its console bytes kept */
#define FUZZ_VMM_MINIDISK 4u           /* its sectors */
#define FUZZ_VMM_DISK_SECTORS (2u * FUZZ_VMM_MINIDISK) /* the host disk */
#define FUZZ_VMM_SPARE VMM_REGION_ALIGN /* host memory past every guest */
#define FUZZ_VMM_SPARE_FILL 0xA5
#define FUZZ_VMM_MSG 256
#define FUZZ_VMM_PATH_MAX 600
#define FUZZ_VMM_DISK_NAME "disk.img"

static const uint64_t quanta[] = { 1, 2, 3, 5, 7, 11, 16, 31, 50, 97, 128, 250, 1000, 4096,
                                   10000, 65536 };

static const uint8_t fuzz_vmm_input[] = "fuzz input\n";

/* ---- the victim: a fixed program built with isa_encode --------------------
 *
 *   0x20   new PSW: system, IE off, pc = VICTIM_HANDLER, R = (0, its memory)
 *   0x100  timer every VICTIM_PERIOD, IE on; VICTIM_ROUNDS times: sum the
 *          words of [0x100, VICTIM_SUM_END) into r4 and store it at
 *          VICTIM_RESULT; then print 'v', IE off, power off with 0
 *   VICTIM_HANDLER: r10 += 1 (timer ticks); lpsw the old PSW
 */
#define VICTIM_MEM PG32_MEM_MIN
#define VICTIM_PERIOD 37
#define VICTIM_ROUNDS 8
#define VICTIM_SUM_END 0x400u
#define VICTIM_RESULT 0x800u
#define VICTIM_HANDLER 0x600u
#define VICTIM_MARK 'v'

struct victim_asm {
	uint8_t *mem;
	uint32_t pc;
	bool bad;
};

static uint32_t victim_emit(struct victim_asm *a, enum isa_opcode op, unsigned rd, unsigned rs,
                            unsigned rt, int32_t imm)
{
	struct isa_insn in = { .op = op, .rd = (uint8_t)rd, .rs = (uint8_t)rs, .rt = (uint8_t)rt,
	                       .imm = imm };
	uint32_t w = 0, at = a->pc;
	if (isa_encode(&in, &w, NULL, 0) != 0)
		a->bad = true;
	pg32_store32(a->mem + at, w);
	a->pc += ISA_WORD_BYTES;
	return at;
}

/* A J-format instruction to target. */
static void victim_jump(struct victim_asm *a, enum isa_opcode op, uint32_t target)
{
	int32_t off = ((int32_t)target - (int32_t)(a->pc + ISA_WORD_BYTES)) / (int32_t)ISA_WORD_BYTES;
	victim_emit(a, op, 0, 0, 0, off);
}

static bool victim_build(uint8_t *mem)
{
	enum { R1 = 1, R2, R3, R4, R5, R6, R7, R10 = 10 };
	struct victim_asm a = { .mem = mem, .pc = PG32_LOAD_ADDR };
	memset(mem, 0, VICTIM_MEM);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_STATUS, PSW_S);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_PC, VICTIM_HANDLER);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_BASE, 0);
	pg32_store32(mem + PG32_NEW_PSW + PSW_OFF_BOUND, VICTIM_MEM);
	victim_emit(&a, ISA_OP_MOVI, R10, 0, 0, 0);
	victim_emit(&a, ISA_OP_MOVI, R1, 0, 0, VICTIM_PERIOD);
	victim_emit(&a, ISA_OP_OUT, R1, 0, 0, PORT_TIMER_PERIOD);
	victim_emit(&a, ISA_OP_MOVI, R1, 0, 0, PSW_IE);
	victim_emit(&a, ISA_OP_WRFL, R1, 0, 0, 0);
	victim_emit(&a, ISA_OP_MOVI, R4, 0, 0, 0);
	victim_emit(&a, ISA_OP_MOVI, R5, 0, 0, VICTIM_ROUNDS);
	uint32_t outer = victim_emit(&a, ISA_OP_MOVI, R2, 0, 0, PG32_LOAD_ADDR);
	victim_emit(&a, ISA_OP_MOVI, R3, 0, 0, VICTIM_SUM_END);
	uint32_t inner = victim_emit(&a, ISA_OP_LW, R6, R2, 0, 0);
	victim_emit(&a, ISA_OP_ADD, R4, R4, R6, 0);
	victim_emit(&a, ISA_OP_ADDI, R2, R2, 0, ISA_WORD_BYTES);
	victim_emit(&a, ISA_OP_CMP, R2, R3, 0, 0);
	victim_jump(&a, ISA_OP_BLT, inner);
	victim_emit(&a, ISA_OP_SW, R4, 0, 0, VICTIM_RESULT);
	victim_emit(&a, ISA_OP_ADDI, R5, R5, 0, -1);
	victim_emit(&a, ISA_OP_CMPI, R5, 0, 0, 0);
	victim_jump(&a, ISA_OP_BGT, outer);
	victim_emit(&a, ISA_OP_MOVI, R1, 0, 0, VICTIM_MARK);
	victim_emit(&a, ISA_OP_OUT, R1, 0, 0, PORT_CONSOLE_OUT);
	victim_emit(&a, ISA_OP_MOVI, R1, 0, 0, 0);
	victim_emit(&a, ISA_OP_WRFL, R1, 0, 0, 0);
	victim_emit(&a, ISA_OP_OUT, R1, 0, 0, PORT_POWER_OFF);
	a.pc = VICTIM_HANDLER;
	victim_emit(&a, ISA_OP_ADDI, R10, R10, 0, 1);
	victim_emit(&a, ISA_OP_MOVI, R7, 0, 0, PG32_OLD_PSW);
	victim_emit(&a, ISA_OP_LPSW, R7, 0, 0, 0);
	return !a.bad;
}

/* What is compared of a victim. */
struct victim_state {
	struct cpu vm;                 /* mem pointer cleared */
	enum vmm_end end;
	uint32_t exit_code;
	uint8_t mem[VICTIM_MEM];
	char out[FUZZ_VMM_MSG];
	size_t out_len;
};

struct victim {
	uint8_t mem[VICTIM_MEM];
	struct img_segment seg;
	struct image img;
	struct vmm_guest *g;
	FILE *con;
	char *out;
	size_t out_len;
};

static int victim_add(struct vmm *v, struct victim *vi, const char *name)
{
	char msg[FUZZ_VMM_MSG];
	vi->con = open_memstream(&vi->out, &vi->out_len);
	if (!vi->con)
		return -1;
	struct vmm_guest_config gc = { .name = name, .img = &vi->img, .mem_size = VICTIM_MEM,
	                               .console = vi->con };
	return vmm_add_guest(v, &gc, &vi->g, msg, sizeof msg) ? -1 : 0;
}

static void victim_take(struct victim *vi, struct victim_state *s)
{
	fflush(vi->con);
	memset(s, 0, sizeof *s);
	s->vm = vi->g->vm;
	s->vm.mem = NULL;
	s->end = vi->g->end;
	s->exit_code = vi->g->dev.exit_code;
	memcpy(s->mem, vi->g->vm.mem, VICTIM_MEM);
	s->out_len = vi->out_len < sizeof s->out ? vi->out_len : sizeof s->out;
	memcpy(s->out, vi->out, s->out_len);
}

static void victim_close(struct victim *vi)
{
	if (vi->con)
		fclose(vi->con);
	free(vi->out);
	vi->con = NULL;
	vi->out = NULL;
}

static bool victim_init(struct victim *vi)
{
	memset(vi, 0, sizeof *vi);
	vi->seg = (struct img_segment){ .addr = 0, .mem_size = VICTIM_MEM, .size = VICTIM_MEM,
	                                .data = vi->mem };
	vi->img = (struct image){ .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                          .segs = &vi->seg };
	return victim_build(vi->mem);
}

static bool victim_equal(const struct victim_state *a, const struct victim_state *b,
                         const char **what)
{
	*what = memcmp(a->vm.r, b->vm.r, sizeof a->vm.r) ? "registers"
	        : a->vm.pc != b->vm.pc || a->vm.status != b->vm.status ? "pc or status"
	        : a->vm.base != b->vm.base || a->vm.bound != b->vm.bound ? "R"
	        : a->vm.clock != b->vm.clock ? "clock"
	        : a->vm.irq_pending != b->vm.irq_pending || a->vm.waiting != b->vm.waiting
	                ? "interrupt state"
	        : a->end != b->end || a->exit_code != b->exit_code ? "ending"
	        : memcmp(a->mem, b->mem, sizeof a->mem) ? "memory"
	        : a->out_len != b->out_len || memcmp(a->out, b->out, a->out_len) ? "console output"
	                                                                       : NULL;
	return *what == NULL;
}

/* The victim's state when it runs alone: computed once. */
static const struct victim_state *victim_solo(void)
{
	static struct victim_state solo;
	static int done; /* 0 not yet, 1 ok, -1 failed */
	if (done)
		return done > 0 ? &solo : NULL;
	done = -1;
	struct victim vi;
	struct vmm *v;
	char msg[FUZZ_VMM_MSG];
	struct vmm_config cfg = { .host_mem = VICTIM_MEM };
	if (!victim_init(&vi) || vmm_create(&v, &cfg, msg, sizeof msg) != 0)
		return NULL;
	if (victim_add(v, &vi, "victim") == 0) {
		vmm_run(v);
		victim_take(&vi, &solo);
		done = solo.end == VMM_POWEROFF ? 1 : -1;
	}
	vmm_destroy(v);
	victim_close(&vi);
	return done > 0 ? &solo : NULL;
}

/* ---- one case ------------------------------------------------------------- */

/* What one input asks for.  A new monitor mode is one more field here and
 * one more line in fuzz_vmm_config() (and fuzz_vmm_equivalent()). */
struct fuzz_vmm_case {
	const struct image *img;
	uint32_t mem_size;
	isa_variant variant;
	uint64_t quantum;
	bool disk;
	enum vmm_rewrite_mode rewrite; /* never AUTO: the input decides */
	bool hybrid;
};

static void fuzz_vmm_config(const struct fuzz_vmm_case *c, struct vmm_guest_config *gc)
{
	*gc = (struct vmm_guest_config){
		.name = "fuzzed", .img = c->img, .mem_size = c->mem_size, .variant = c->variant,
		.input = fuzz_vmm_input, .input_len = sizeof fuzz_vmm_input - 1,
		.disk_sectors = c->disk ? FUZZ_VMM_MINIDISK : 0, .max_instructions = FUZZ_VMM_LIMIT,
		.console = NULL, .console_cap = FUZZ_VMM_CAP,
		.rewrite = c->rewrite, .hybrid = c->hybrid,
	};
}

/* Is this run promised to be equivalent to the bare machine? */
static bool fuzz_vmm_equivalent(const struct fuzz_vmm_case *c)
{
	return c->variant == ISA_VARIANT_WELL || (c->rewrite == VMM_REWRITE_DYNAMIC && !c->hybrid);
}

/* The host disk: FUZZ_VMM_DISK_SECTORS sectors, sector k filled with k + 1,
 * rewritten for every input so that runs do not depend on each other. */
static const char *fuzz_vmm_disk(uint8_t *image, size_t len)
{
	static char path[FUZZ_VMM_PATH_MAX];
	const char *box = fuzz_sandbox();
	if (!box)
		return NULL;
	snprintf(path, sizeof path, "%s/%s", box, FUZZ_VMM_DISK_NAME);
	for (size_t i = 0; i < len; i++)
		image[i] = (uint8_t)(i / DISK_SECTOR_BYTES + 1);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	bool ok = fwrite(image, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	return ok ? path : NULL;
}

static int fuzz_vmm_run(const struct fuzz_vmm_case *c)
{
	const struct victim_state *solo = victim_solo();
	if (!solo)
		return fuzz_fail("vmm", "the victim does not run alone");
	static uint8_t disk_bytes[FUZZ_VMM_DISK_SECTORS * DISK_SECTOR_BYTES];
	const char *disk = c->disk ? fuzz_vmm_disk(disk_bytes, sizeof disk_bytes) : NULL;
	if (c->disk && !disk)
		return fuzz_fail("vmm", "cannot write the disk in the sandbox");

	char msg[FUZZ_VMM_MSG];
	struct vmm_config cfg = { .host_mem = 2 * VICTIM_MEM + c->mem_size + FUZZ_VMM_SPARE,
	                          .quantum = c->quantum, .disk_path = disk };
	struct vmm *v;
	if (vmm_create(&v, &cfg, msg, sizeof msg) != 0)
		return fuzz_fail("vmm", "vmm_create: %s", msg);
	struct victim va, vb;
	struct vmm_guest *g = NULL;
	struct vmm_guest_config gc;
	fuzz_vmm_config(c, &gc);
	int rc = 0;
	bool ok = victim_init(&va) && victim_init(&vb) && victim_add(v, &va, "victim-a") == 0;
	if (ok && vmm_add_guest(v, &gc, &g, msg, sizeof msg) != 0) {
		/* Does not fit its memory: refused with a message, not a case. */
		vmm_destroy(v);
		victim_close(&va);
		return 0;
	}
	ok = ok && victim_add(v, &vb, "victim-b") == 0;
	if (!ok) {
		vmm_destroy(v);
		victim_close(&va);
		victim_close(&vb);
		return fuzz_fail("vmm", "cannot set up the victims");
	}
	uint32_t spare = vb.g->region.base + vb.g->region.size;
	memset(v->host_mem + spare, FUZZ_VMM_SPARE_FILL, v->host_mem_size - spare);

	vmm_run(v);

	struct victim_state s;
	const char *what;
	victim_take(&va, &s);
	if (!victim_equal(&s, solo, &what))
		rc = fuzz_fail("vmm", "victim before the guest: %s differs from its run alone", what);
	victim_take(&vb, &s);
	if (!rc && !victim_equal(&s, solo, &what))
		rc = fuzz_fail("vmm", "victim after the guest: %s differs from its run alone", what);
	if (!rc && g->end == VMM_KILLED)
		rc = fuzz_fail("vmm", "the monitor killed the guest: %s", g->why);
	if (!rc && (g->end == VMM_RUNNING || g->vm.clock > FUZZ_VMM_LIMIT))
		rc = fuzz_fail("vmm", "the guest did not end within its limit (clock %llu)",
		               (unsigned long long)g->vm.clock);
	for (uint32_t a = spare; !rc && a < v->host_mem_size; a++)
		if (v->host_mem[a] != FUZZ_VMM_SPARE_FILL)
			rc = fuzz_fail("vmm", "host memory past the guests changed at 0x%x", a);
	vmm_destroy(v);
	victim_close(&va);
	victim_close(&vb);

	if (!rc && disk) {
		uint8_t *bytes;
		size_t len;
		if (pg32_read_file(disk, sizeof disk_bytes, &bytes, &len, msg, sizeof msg) != 0)
			return fuzz_fail("vmm", "cannot read the disk back: %s", msg);
		size_t mine = FUZZ_VMM_MINIDISK * DISK_SECTOR_BYTES;
		if (len != sizeof disk_bytes || memcmp(bytes + mine, disk_bytes + mine, len - mine))
			rc = fuzz_fail("vmm", "the host disk changed outside the guest's minidisk");
		free(bytes);
	}

	/* Theorem 1, measured (and what rewriting restores). */
	if (!rc && fuzz_vmm_equivalent(c)) {
		struct vmm_check_config cc = {
			.mem_size = c->mem_size, .variant = c->variant, .input = fuzz_vmm_input,
			.input_len = sizeof fuzz_vmm_input - 1, .disk_path = disk,
			.max_instructions = FUZZ_VMM_LIMIT, .quantum = c->quantum,
			.rewrite = c->rewrite, .hybrid = c->hybrid,
		};
		struct vmm_check_result res;
		char line[FUZZ_VMM_MSG + VMM_CHECK_WHAT];
		if (vmm_check(c->img, &cc, &res, msg, sizeof msg) != 0)
			rc = fuzz_fail("vmm", "vmm_check could not run: %s", msg);
		else if (!res.equivalent) {
			vmm_check_format(&res, line, sizeof line);
			rc = fuzz_fail("vmm", "not equivalent to the bare machine (quantum %llu, %s): %s",
			               (unsigned long long)c->quantum, vmm_rewrite_name(c->rewrite), line);
		}
	}
	return rc;
}

int fuzz_vmm_one(const uint8_t *data, size_t size)
{
	if (size < FUZZ_VMM_HEADER)
		return 0;
	unsigned flags = data[0];
	struct fuzz_vmm_case c = {
		.mem_size = PG32_MEM_MIN << (data[1] & FUZZ_VMM_MEM_MASK),
		.variant = (flags & FUZZ_VMM_ILL) ? isa_variant_all_ill() : ISA_VARIANT_WELL,
		.quantum = quanta[flags >> FUZZ_VMM_QUANTUM_SHIFT],
		.disk = (flags & FUZZ_VMM_DISK) != 0,
		.rewrite = !(flags & FUZZ_VMM_REWRITE) ? VMM_REWRITE_NONE
		           : (data[1] & FUZZ_VMM_STATIC) ? VMM_REWRITE_STATIC
		                                         : VMM_REWRITE_DYNAMIC,
		.hybrid = (data[1] & FUZZ_VMM_HYBRID) != 0,
	};
	const uint8_t *payload = data + FUZZ_VMM_HEADER;
	size_t len = size - FUZZ_VMM_HEADER;
	int rc;
	if (flags & FUZZ_VMM_IMAGE) {
		struct image img;
		char msg[FUZZ_VMM_MSG];
		if (img_parse(payload, len, &img, msg, sizeof msg) != 0)
			return 0; /* the loader's target covers refusals */
		c.img = &img;
		rc = fuzz_vmm_run(&c);
		img_free(&img);
	} else {
		/* Raw memory: the payload from physical 0 (trap words and all),
		 * the rest zero, entry at the conventional load address. */
		uint8_t *mem = calloc(c.mem_size, 1);
		if (!mem)
			return 0;
		memcpy(mem, payload, len < c.mem_size ? len : c.mem_size);
		struct img_segment seg = { .addr = 0, .mem_size = c.mem_size, .size = c.mem_size,
		                           .data = mem };
		struct image img = { .variant = c.variant, .entry = PG32_LOAD_ADDR, .nsegs = 1,
		                     .segs = &seg };
		c.img = &img;
		rc = fuzz_vmm_run(&c);
		free(mem);
	}
	return rc;
}

#ifndef FUZZ_REGRESS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_vmm_one(data, size) != 0)
		abort();
	return 0;
}
#endif
