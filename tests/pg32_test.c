/*
 * pg32_test.c -- the shared test helpers declared in pg32_test.h: a program
 * builder over isa_encode, images of its memory, a seeded generator and a
 * memory comparison.  See the header for the contracts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg32_test.h"

#define PT_MSG_LEN 128

void pt_prog_init(struct pt_prog *p, uint32_t size)
{
	p->mem = calloc(size, 1);
	assert_non_null(p->mem);
	p->size = size;
	p->pc = PG32_LOAD_ADDR;
}

void pt_prog_free(struct pt_prog *p)
{
	free(p->mem);
	p->mem = NULL;
}

uint32_t pt_enc(enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt, int32_t imm)
{
	const struct isa_opinfo *info = isa_info(op);
	struct isa_insn in = { .op = op, .imm = imm };
	char msg[PT_MSG_LEN] = "";
	uint32_t w = 0;

	assert_non_null(info);
	/* Zero the fields the format does not use, so callers may pass any. */
	switch (info->format) {
	case ISA_FMT_RRR: in.rt = (uint8_t)rt; /* fall through */
	case ISA_FMT_RR: case ISA_FMT_RRI: case ISA_FMT_RRU: case ISA_FMT_RRS: case ISA_FMT_MEM:
		in.rs = (uint8_t)rs; /* fall through */
	case ISA_FMT_R: case ISA_FMT_RI: case ISA_FMT_RU: in.rd = (uint8_t)rd; break;
	case ISA_FMT_N: case ISA_FMT_J: case ISA_FMT_U: case ISA_NFORMATS: break;
	}
	if (info->format == ISA_FMT_RRR || info->format == ISA_FMT_RR || info->format == ISA_FMT_R ||
	    info->format == ISA_FMT_N)
		in.imm = 0;
	if (isa_encode(&in, &w, msg, sizeof msg) != 0)
		fail_msg("cannot encode %s: %s", info->mnemonic, msg);
	return w;
}

uint32_t pt_word(struct pt_prog *p, uint32_t w)
{
	uint32_t at = p->pc;
	pt_poke(p, at, w);
	p->pc += ISA_WORD_BYTES;
	return at;
}

uint32_t pt_op(struct pt_prog *p, enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt,
               int32_t imm)
{
	return pt_word(p, pt_enc(op, rd, rs, rt, imm));
}

/* Signed word offset from the instruction at `at` to target. */
static int32_t jump_offset(uint32_t at, uint32_t target)
{
	return (int32_t)(target - at - ISA_WORD_BYTES) / (int32_t)ISA_WORD_BYTES;
}

uint32_t pt_jump(struct pt_prog *p, enum isa_opcode op, uint32_t target)
{
	return pt_op(p, op, 0, 0, 0, jump_offset(p->pc, target));
}

void pt_patch_jump(struct pt_prog *p, uint32_t at, uint32_t target)
{
	enum isa_opcode op = (enum isa_opcode)ISA_WORD_OPCODE(pt_peek(p, at));
	pt_poke(p, at, pt_enc(op, 0, 0, 0, jump_offset(at, target)));
}

void pt_li(struct pt_prog *p, unsigned rd, uint32_t v)
{
	pt_op(p, ISA_OP_LUI, rd, 0, 0, (int32_t)(v >> 16));
	pt_op(p, ISA_OP_ORI, rd, rd, 0, (int32_t)(v & ISA_IMM16_MASK));
}

void pt_out_imm(struct pt_prog *p, unsigned scratch, enum pg32_port port, uint32_t v)
{
	pt_li(p, scratch, v);
	pt_op(p, ISA_OP_OUT, scratch, 0, 0, (int32_t)port);
}

void pt_poke(struct pt_prog *p, uint32_t addr, uint32_t v)
{
	assert_true((uint64_t)addr + ISA_WORD_BYTES <= p->size);
	pg32_store32(p->mem + addr, v);
}

uint32_t pt_peek(const struct pt_prog *p, uint32_t addr)
{
	assert_true((uint64_t)addr + ISA_WORD_BYTES <= p->size);
	return pg32_load32(p->mem + addr);
}

void pt_put_psw(uint8_t *mem, uint32_t addr, uint32_t status, uint32_t pc, uint32_t base,
                uint32_t bound)
{
	pg32_store32(mem + addr + PSW_OFF_STATUS, status);
	pg32_store32(mem + addr + PSW_OFF_PC, pc);
	pg32_store32(mem + addr + PSW_OFF_BASE, base);
	pg32_store32(mem + addr + PSW_OFF_BOUND, bound);
}

void pt_image_of(struct pt_image *out, const struct pt_prog *p, uint32_t entry)
{
	memset(out, 0, sizeof *out);
	out->seg = (struct img_segment){ .addr = 0, .mem_size = p->size, .size = p->size,
	                                 .data = p->mem };
	out->img.variant = ISA_VARIANT_WELL;
	out->img.entry = entry;
	out->img.nsegs = 1;
	out->img.segs = &out->seg;
}

/* ---- random ------------------------------------------------------------ */

static uint64_t rand_state = PT_FNV_OFFSET;

void pt_rand_init(const char *who, uint64_t default_seed)
{
	const char *env = getenv("PG32_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : default_seed;
	printf("%s: seed %" PRIu64 " (set PG32_TEST_SEED to replay)\n", who, seed);
	rand_state = seed ? seed : PT_FNV_OFFSET; /* xorshift must not start at 0 */
}

uint32_t pt_rand32(void)
{
	/* xorshift64* (Vigna) */
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return (uint32_t)((rand_state * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t pt_rand_below(uint32_t n)
{
	return (uint32_t)(((uint64_t)pt_rand32() * n) >> 32);
}

void pt_assert_mem_equal(const uint8_t *a, const uint8_t *b, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			fail_msg("%s: byte 0x%zx differs: 0x%02x, expected 0x%02x", what, i, a[i], b[i]);
}

uint64_t pt_fnv1a(uint64_t h, const void *data, size_t n)
{
	const uint8_t *s = data;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int pt_tool_open(struct pt_tool *t, const char *name)
{
	memset(t, 0, sizeof *t);
	const char *build = getenv("TRAPEZE_BUILD");
	const char *tmp = getenv("TMPDIR");
	snprintf(t->build, sizeof t->build, "%s", build ? build : "build");
	snprintf(t->dir, sizeof t->dir, "%s/%s_XXXXXX", tmp ? tmp : "/tmp", name);
	return mkdtemp(t->dir) ? 0 : -1;
}

int pt_tool_close(struct pt_tool *t)
{
	char cmd[PT_PATH];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	int rc = t->dir[0] ? system(cmd) : 0;
	free(t->out);
	free(t->err);
	t->out = t->err = NULL;
	return rc == 0 ? 0 : -1;
}

char *pt_slurp(const char *path)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	char msg[PT_PATH];
	if (pg32_read_file(path, PT_OUT_MAX, &bytes, &len, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	char *text = malloc(len + 1);
	assert_non_null(text);
	if (len)
		memcpy(text, bytes, len);
	text[len] = '\0';
	free(bytes);
	return text;
}

void pt_tool_run(struct pt_tool *t, const char *fmt, ...)
{
	char args[PT_OUT_MAX / 256], cmd[sizeof args + 3 * PT_PATH];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof args)
		fail_msg("command too long: %s", fmt);
	/* The first redirection of standard input is /dev/null; one in the
	 * command comes later and wins. */
	snprintf(cmd, sizeof cmd, "exec < /dev/null; %s > '%s/out' 2> '%s/err'", args, t->dir, t->dir);
	int rc = system(cmd);
	assert_true(rc != -1 && WIFEXITED(rc));
	t->status = WEXITSTATUS(rc);
	free(t->out);
	free(t->err);
	char path[PT_PATH];
	snprintf(path, sizeof path, "%s/out", t->dir);
	t->out = pt_slurp(path);
	snprintf(path, sizeof path, "%s/err", t->dir);
	t->err = pt_slurp(path);
}
