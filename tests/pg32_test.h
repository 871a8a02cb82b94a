/*
 * pg32_test.h -- small helpers shared by the unit tests of the PG32 machine:
 * an assembler-free program builder (isa_encode words emitted into a
 * zeroed physical memory), a one-segment image of that memory for the bare
 * machine, a seeded random generator that prints its seed, and a memory
 * comparison that names the first differing byte.
 *
 * Linked into every test program (every .c file of tests/ that is not a
 * test_ or bench file is), so it stays small and generic.  Failures go through cmocka.
 */
#ifndef PG32_TEST_H
#define PG32_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg32.h"

/* Register numbers, for programs built in C. */
enum { PT_R0, PT_R1, PT_R2, PT_R3, PT_R4, PT_R5, PT_R6, PT_R7, PT_R8, PT_R9,
       PT_R10, PT_R11, PT_R12, PT_FP = ISA_REG_FP, PT_SP = ISA_REG_SP, PT_LR = ISA_REG_LR };

/* Memory size of the test programs: the smallest the bare machine allows
 * is plenty, and keeps full-memory comparisons cheap. */
#define PT_MEM_SIZE (16u * 1024u)

/* A program under construction: physical memory and the next address. */
struct pt_prog {
	uint8_t *mem;
	uint32_t size;
	uint32_t pc; /* where the next word goes */
};

/* Zeroed memory of size bytes; the next word goes to PG32_LOAD_ADDR. */
void pt_prog_init(struct pt_prog *p, uint32_t size);
void pt_prog_free(struct pt_prog *p);

/* Encode one instruction; fails the test if a field does not fit.  Fields
 * the format does not use are ignored. */
uint32_t pt_enc(enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt, int32_t imm);
/* Emit a word at p->pc; returns its address. */
uint32_t pt_word(struct pt_prog *p, uint32_t w);
/* Emit one instruction; returns its address. */
uint32_t pt_op(struct pt_prog *p, enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt,
               int32_t imm);
/* Emit a J-format instruction (branch, call) to an absolute target. */
uint32_t pt_jump(struct pt_prog *p, enum isa_opcode op, uint32_t target);
/* Re-point the J-format instruction at address at to target. */
void pt_patch_jump(struct pt_prog *p, uint32_t at, uint32_t target);
/* rd := v, always two words (lui, ori). */
void pt_li(struct pt_prog *p, unsigned rd, uint32_t v);
/* out port := v, through register scratch (li, out). */
void pt_out_imm(struct pt_prog *p, unsigned scratch, enum pg32_port port, uint32_t v);

/* Little-endian word at physical address addr of p's memory. */
void pt_poke(struct pt_prog *p, uint32_t addr, uint32_t v);
uint32_t pt_peek(const struct pt_prog *p, uint32_t addr);
/* Four PSW words at physical address addr (PG32_NEW_PSW for the vector). */
void pt_put_psw(uint8_t *mem, uint32_t addr, uint32_t status, uint32_t pc, uint32_t base,
                uint32_t bound);

/* A one-segment image of all of p's memory, entry at entry.  The image
 * points into p (no allocation): do not img_free it. */
struct pt_image {
	struct image img;
	struct img_segment seg;
};
void pt_image_of(struct pt_image *out, const struct pt_prog *p, uint32_t entry);

/* Seeded generator (xorshift64*).  pt_rand_init takes the seed from the
 * environment variable PG32_TEST_SEED if set, else the given default, and
 * prints it, so a failing random test can be replayed. */
void pt_rand_init(const char *who, uint64_t default_seed);
uint32_t pt_rand32(void);
/* Uniform in [0, n); n > 0. */
uint32_t pt_rand_below(uint32_t n);

/* Fail the test, naming the first differing byte, unless a and b agree
 * on n bytes. */
void pt_assert_mem_equal(const uint8_t *a, const uint8_t *b, size_t n, const char *what);

/* FNV-1a, for hashing traces. */
#define PT_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t pt_fnv1a(uint64_t h, const void *data, size_t n);

/* ---- running the tools from a test ------------------------------------ */

#define PT_PATH 512
#define PT_OUT_MAX (1u << 20) /* the most of a tool's output a test reads */

/* A scratch directory, and what the last tool run in it printed. */
struct pt_tool {
	char dir[PT_PATH / 2];   /* room for a file name after it */
	char build[PT_PATH / 2]; /* $TRAPEZE_BUILD, default "build" */
	int status;              /* the exit status of the last run */
	char *out, *err;         /* its standard output and error */
};

/* Make the scratch directory, "NAME_XXXXXX" under $TMPDIR or /tmp: 0, or
 * -1 (for a cmocka setup function). */
int pt_tool_open(struct pt_tool *t, const char *name);
/* Remove it and free the last output: 0, or -1 (for a teardown). */
int pt_tool_close(struct pt_tool *t);
/* Run the shell command made from fmt, standard input /dev/null unless the
 * command redirects it, standard output and error captured into t. */
void pt_tool_run(struct pt_tool *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* path's contents, NUL-terminated (fails the test if it cannot be read). */
char *pt_slurp(const char *path);

#endif /* PG32_TEST_H */
