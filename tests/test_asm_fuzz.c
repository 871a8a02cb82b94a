/*
 * test_asm_fuzz.c -- the assembler against hostile input: random bytes
 * (NUL bytes included), soups of assembler tokens, mutations of valid
 * programs, and hand-made pathological sources (deep nesting, huge
 * numbers, very long lines, recursive and exploding macros, include
 * cycles).  Nothing may crash or leak (the sanitizer build checks), and
 * the results must be coherent: with errors the image is empty; without,
 * the image is one img_write accepts.
 *
 * Seeded: the seed is printed; set TZ_FUZZ_SEED=N to replay a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asm.h"
#include "pg32.h"

#define RANDOM_CASES 1500
#define SOUP_CASES 1500
#define MUTATION_CASES 3000
#define RANDOM_MAX_LEN 400
#define SOUP_MAX_TOKENS 80
#define MUTATIONS_MAX 6
#define DEEP_NESTING 20000
#define LONG_LINE (1u << 20)
#define MANY_IFS 5000
#define BOMB_LEVELS 24
#define HUGE_ERROR_LIMIT 100000u
#define TEMP_TEMPLATE "/tmp/tzas-fuzz-XXXXXX"
#define PATH_LEN 256

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n == 0 ? 0 : rng() % n;
}

/* A growing text. */
struct text {
	char *p;
	size_t len, cap;
};

static void add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void adds(struct text *t, const char *s)
{
	add(t, s, strlen(s));
}

/* Assemble bytes and check the result is coherent. */
static int check(const char *bytes, size_t len, const struct asm_options *opt)
{
	FILE *null = fopen("/dev/null", "w");
	struct image img;
	int errors;

	assert_non_null(null);
	errors = asm_assemble_bytes("fuzz.s", bytes, len, opt, &img, null);
	fclose(null);
	assert_true(errors >= 0);
	if (errors > 0) {
		assert_int_equal(img.nsegs, 0);
		assert_int_equal(img.nsyms, 0);
	} else {
		uint8_t *out;
		size_t n;
		assert_int_equal(img_write(&img, &out, &n), 0);
		free(out);
	}
	img_free(&img);
	return errors;
}

/* ---- inputs ------------------------------------------------------------ */

static const char *const corpus[] = {
	"; a loop\n_start: li r1, 10\nloop: addi r1, r1, -1\n cmpi r1, 0\n bne loop\n halt\n",
	".equ N, 4\n.macro fill v, n\n .if \\n\n .byte \\v\n fill \\v, \\n - 1\n .endif\n .endm\n"
	"data: fill 7, N\n .align 4\n_start: la r2, data\n lw r3, 0(r2)\n ret\n",
	"_start: b 1f\n1: nop\n b 1b\n call f\n halt\nf: push lr\n pop lr\n ret\n",
	".isa ill\n_start: srr r1, r2\n rdpsw r3\n .org 0x400\nmsg: .asciz \"hi\\n\\x41\"\n"
	" .space 3, 0xff\n .word msg, . - msg, 'a' | 0x100\n",
	".entry main\n.org 0x200\nmain: movi r1, -5\n mov r2, r1\n not r3, r1\n neg r4, r1\n"
	" subi r5, r1, 7\n lui r6, 0xffff\n ori r6, r6, 0xffff\n out r1, PORT_CONSOLE_OUT\n"
	" in r2, PORT_CONSOLE_IN\n svc 1\n lpsw r1\n rtu r2\n",
	".if 1\n movi r1, (1 << 4) + 3 * 2 - ~0 % 5\n.else\n junk ))) here\n.endif\n"
	"x: .word x + 4, x - 4, (x > 0) && (x < 0x1000) || !x\n",
};

static const char *const vocab[] = {
	"add", "addi", "lw", "sw", "b", "beq", "call", "li", "la", "push", "pop", "ret", "not",
	"movi", "lui", "ori", "shli", "svc", "halt", "srr", "nop", "r0", "r1", "r15", "r16", "sp",
	"lr", "fp", ",", "(", ")", ":", "+", "-", "*", "/", "%", "<<", ">>", "&&", "||", "!", "~",
	"<", "<=", "==", "!=", "&", "|", "^", ".", "1b", "1f", "1:", "0x", "0xffffffff",
	"4294967296", "99999999999999999999", "-32768", "'a'", "'\\n'", "'", "\"", "\"str\"",
	"\"\\q\"", "\\", ";", "#", "\n", "\n", "\n", " ", "\t", ".org", ".word", ".byte",
	".ascii", ".asciz", ".space", ".align", ".equ", ".include", ".macro", ".endm", ".if",
	".else", ".endif", ".entry", ".isa", "ill", "well", "ill:srr", "\\x", "\\@", "\\()",
	"label", "_start", "m", "\r\n", "\0", "\x80", "\xff", "@", "$", "0b101", "0b", "12ab",
	"PORT_POWER_OFF", ".org 0x20", ".space 0x10000000", ".org 0xffffffff",
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

static void add_token(struct text *t)
{
	const char *v = vocab[below(NVOCAB)];
	/* "\0" is one NUL byte, not an empty string. */
	add(t, v, v[0] == '\0' ? 1 : strlen(v));
}

static void mutate(struct text *t)
{
	size_t at = t->len ? below((uint32_t)t->len) : 0;
	struct text tail = { 0 };

	switch (below(6)) {
	case 0: /* flip a byte */
		if (t->len)
			t->p[at] = (char)rng();
		break;
	case 1: /* delete a range */
		if (t->len) {
			size_t n = 1 + below(16);
			if (at + n > t->len)
				n = t->len - at;
			memmove(t->p + at, t->p + at + n, t->len - at - n + 1);
			t->len -= n;
		}
		break;
	case 2: /* insert a token */
	case 3:
		add(&tail, t->p + at, t->len - at);
		t->len = at;
		add_token(t);
		add(t, tail.p ? tail.p : "", tail.len);
		break;
	case 4: /* duplicate a range */
		if (t->len) {
			size_t n = 1 + below(64);
			if (at + n > t->len)
				n = t->len - at;
			add(&tail, t->p + at, n);
			add(t, tail.p, tail.len);
		}
		break;
	default: /* truncate */
		t->len = at;
		if (t->p)
			t->p[at] = '\0';
		break;
	}
	free(tail.p);
}

/* ---- tests ------------------------------------------------------------- */

/* Random bytes, mostly from the characters assembly uses. */
static void test_random_bytes(void **state)
{
	static const char common[] = "abcdefrs0123456789 ,:()\n\t.;#'\"\\-+*<>=!&|^~x@$_";
	(void)state;
	for (int i = 0; i < RANDOM_CASES; i++) {
		size_t len = below(RANDOM_MAX_LEN);
		char *b = malloc(len + 1);
		assert_non_null(b);
		for (size_t k = 0; k < len; k++)
			b[k] = below(4) == 0 ? (char)rng() : common[below(sizeof common - 1)];
		check(b, len, NULL);
		free(b);
	}
}

/* Random sequences of assembler tokens. */
static void test_token_soup(void **state)
{
	(void)state;
	for (int i = 0; i < SOUP_CASES; i++) {
		struct text t = { 0 };
		uint32_t n = below(SOUP_MAX_TOKENS);
		for (uint32_t k = 0; k < n; k++) {
			add_token(&t);
			if (below(2))
				adds(&t, " ");
		}
		check(t.p ? t.p : "", t.len, NULL);
		free(t.p);
	}
}

/* Mutations of valid programs; the programs themselves assemble. */
static void test_mutations(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof corpus / sizeof corpus[0]; c++)
		if (check(corpus[c], strlen(corpus[c]), NULL) != 0)
			fail_msg("corpus program %zu does not assemble", c);
	for (int i = 0; i < MUTATION_CASES; i++) {
		struct text t = { 0 };
		adds(&t, corpus[below(sizeof corpus / sizeof corpus[0])]);
		for (uint32_t m = 1 + below(MUTATIONS_MAX); m > 0; m--)
			mutate(&t);
		check(t.p ? t.p : "", t.len, NULL);
		free(t.p);
	}
}

/* Deep nesting of parentheses, unary operators and .if. */
static void test_deep_nesting(void **state)
{
	struct text t = { 0 };
	(void)state;
	adds(&t, ".word ");
	for (int i = 0; i < DEEP_NESTING; i++)
		adds(&t, "(");
	adds(&t, "1");
	for (int i = 0; i < DEEP_NESTING; i++)
		adds(&t, ")");
	adds(&t, "\n.word ");
	for (int i = 0; i < DEEP_NESTING; i++)
		adds(&t, "-~");
	adds(&t, "1\n");
	assert_true(check(t.p, t.len, NULL) > 0);
	t.len = 0;
	for (int i = 0; i < MANY_IFS; i++)
		adds(&t, ".if 1\n");
	adds(&t, "nop\n");
	for (int i = 0; i < MANY_IFS; i++)
		adds(&t, ".endif\n");
	assert_int_equal(check(t.p, t.len, NULL), 0);
	t.len = 0;
	for (int i = 0; i < MANY_IFS; i++)
		adds(&t, ".if 0\n");
	assert_true(check(t.p, t.len, NULL) > 0);
	free(t.p);
}

/* Very long lines and names; numbers too big for any field. */
static void test_long_lines_and_huge_numbers(void **state)
{
	struct text t = { 0 };
	(void)state;
	char *name = malloc(LONG_LINE + 1);
	assert_non_null(name);
	memset(name, 'a', LONG_LINE);
	name[LONG_LINE] = '\0';
	adds(&t, name);
	adds(&t, ": nop\n b ");
	adds(&t, name);
	adds(&t, "\n");
	assert_int_equal(check(t.p, t.len, NULL), 0);
	t.len = 0;
	adds(&t, name);
	adds(&t, " r1, r2\n .word \"");
	adds(&t, name);
	adds(&t, "\n");
	assert_true(check(t.p, t.len, NULL) > 0);
	free(name);
	free(t.p);
	static const char *const huge[] = {
		".word 18446744073709551616\n", ".word 0xffffffffffffffffff\n",
		".space 0xffffffff\n", ".org 0xfffffffc\n nop\n", ".word (1<<62)*(1<<62)\n",
		".word -9223372036854775807 - 1 / -1\n", "li r1, (0 - (1 << 63)) / -1\n",
		".org 0x0ffffffc\n nop\n nop\n", ".align 0x40000000\n", "b 0xfffffffc\n",
	};
	for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
		check(huge[i], strlen(huge[i]), NULL);
}

/* Macros that recurse or explode: depth and count are capped. */
static void test_macro_bombs(void **state)
{
	struct text t = { 0 };
	char line[PATH_LEN];
	(void)state;
	adds(&t, ".macro m0\n nop\n.endm\n");
	for (int i = 1; i <= BOMB_LEVELS; i++) {
		snprintf(line, sizeof line, ".macro m%d\n m%d\n m%d\n.endm\n", i, i - 1, i - 1);
		adds(&t, line);
	}
	snprintf(line, sizeof line, " m%d\n", BOMB_LEVELS);
	adds(&t, line);
	assert_true(check(t.p, t.len, NULL) > 0);
	free(t.p);
	static const char *const rec[] = {
		".macro r\n r\n.endm\n r\n",
		".macro a\n b\n.endm\n.macro b\n a\n.endm\n a\n",
		".macro g x\n g \\x\\x\n.endm\n g 1234567890\n",
		".macro m\n.macro m\n.endm\n.endm\n m\n m\n",
		".macro m\n .if 1\n.endm\n m\n .endif\n",
		".macro m\n .endif\n.endm\n .if 1\n m\n",
	};
	struct asm_options many = { .max_errors = HUGE_ERROR_LIMIT };
	for (size_t i = 0; i < sizeof rec / sizeof rec[0]; i++) {
		assert_true(check(rec[i], strlen(rec[i]), NULL) > 0);
		assert_true(check(rec[i], strlen(rec[i]), &many) > 0);
	}
}

/* Files that include themselves, directly or not, and deep chains. */
static void test_include_loops(void **state)
{
	char dir[] = TEMP_TEMPLATE, path[PATH_LEN], cmd[PATH_LEN * 2];
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/self.s", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("nop\n.include \"self.s\"\n", f);
	fclose(f);
	struct image img;
	FILE *null = fopen("/dev/null", "w");
	assert_true(asm_assemble_file(path, NULL, &img, null) > 0);
	/* A file including itself twice per level, through a macro. */
	snprintf(path, sizeof path, "%s/twice.s", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(".macro inc\n.include \"twice.s\"\n.endm\n inc\n inc\n", f);
	fclose(f);
	assert_true(asm_assemble_file(path, NULL, &img, null) > 0);
	fclose(null);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const char *env = getenv("TZ_FUZZ_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_token_soup),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_long_lines_and_huge_numbers),
		cmocka_unit_test(test_macro_bombs),
		cmocka_unit_test(test_include_loops),
	};

	if (seed == 0)
		seed = 1;
	rng_state = seed;
	printf("test_asm_fuzz: seed %llu (replay with TZ_FUZZ_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	fflush(stdout);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
