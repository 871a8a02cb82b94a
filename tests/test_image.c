/*
 * test_image.c -- unit tests of the image loader and writer (isa/image.c).
 *
 * Most tests start from one valid image written by img_write, break one
 * field of its bytes, and check that img_parse refuses it with a message
 * naming the problem.  Then: truncation at every byte, random garbage and
 * random mutations (seeded; the seed is printed), the write/parse round
 * trip, img_place, the symbol lookups and the file helpers.  The random
 * tests print their seed; set PG32_TEST_SEED to replay one.
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

#include "pg32.h"
#include "pg32_test.h"

#define MSG_LEN 256

/* Field offsets, as drawn in pg32.h. */
enum { H_MAGIC = 0, H_VERSION = 4, H_VAR_LO = 8, H_VAR_HI = 12, H_ENTRY = 16,
       H_NSEGS = 20, H_NSYMS = 24, H_STRTAB = 28 };
enum { S_OFFSET = 0, S_FILE_SIZE = 4, S_ADDR = 8, S_MEM_SIZE = 12 };
enum { Y_VALUE = 0, Y_NAME = 4, Y_KIND = 8 };

/* ---- the valid base image ------------------------------------------------ */

#define BASE_NSEGS 2u
#define BASE_NSYMS 3u
#define SEG0_ADDR PG32_LOAD_ADDR
#define SEG1_ADDR (2 * PG32_LOAD_ADDR)
#define SEG1_MEM 0x20u

static uint8_t seg0_data[4 * ISA_WORD_BYTES];
static uint8_t seg1_data[] = { 'h', 'e', 'l', 'l', 'o', 0 };
static struct img_segment base_segs[BASE_NSEGS] = {
	{ .addr = SEG0_ADDR, .mem_size = sizeof seg0_data, .size = sizeof seg0_data,
	  .data = seg0_data },
	{ .addr = SEG1_ADDR, .mem_size = SEG1_MEM, .size = sizeof seg1_data, .data = seg1_data },
};
/* "end" sits exactly at the end of segment 1: allowed. */
static struct img_symbol base_syms[BASE_NSYMS] = {
	{ .value = SEG0_ADDR, .kind = IMG_SYM_CODE, .name = "main" },
	{ .value = SEG1_ADDR, .kind = IMG_SYM_DATA, .name = "msg" },
	{ .value = SEG1_ADDR + SEG1_MEM, .kind = IMG_SYM_DATA, .name = "end" },
};
static const struct image base_image = {
	.variant = ISA_VARIANT_WELL, .entry = SEG0_ADDR, .nsegs = BASE_NSEGS,
	.nsyms = BASE_NSYMS, .segs = base_segs, .syms = base_syms,
};

struct fixture {
	uint8_t *bytes;
	size_t len;
};

static void fill_code(void)
{
	static const struct isa_insn prog[] = {
		{ .op = ISA_OP_MOVI, .rd = 1, .imm = 1 },
		{ .op = ISA_OP_ADD, .rd = 2, .rs = 1, .rt = 1 },
		{ .op = ISA_OP_NOP },
		{ .op = ISA_OP_HALT },
	};
	for (size_t i = 0; i < sizeof prog / sizeof prog[0]; i++) {
		uint32_t w;
		assert_int_equal(isa_encode(&prog[i], &w, NULL, 0), 0);
		pg32_store32(seg0_data + i * ISA_WORD_BYTES, w);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	fill_code();
	if (img_write(&base_image, &f->bytes, &f->len) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->bytes);
	free(f);
	return 0;
}

/* Byte offsets of fields in the base image. */
static size_t seg_field(unsigned i, unsigned field)
{
	return IMG_HEADER_BYTES + i * IMG_SEG_BYTES + field;
}
static size_t sym_field(unsigned i, unsigned field)
{
	return IMG_HEADER_BYTES + BASE_NSEGS * IMG_SEG_BYTES + i * IMG_SYM_BYTES + field;
}
static size_t strtab_start(void)
{
	return IMG_HEADER_BYTES + BASE_NSEGS * IMG_SEG_BYTES + BASE_NSYMS * IMG_SYM_BYTES;
}

static void put(struct fixture *f, size_t off, uint32_t v)
{
	assert_true(off + ISA_WORD_BYTES <= f->len);
	pg32_store32(f->bytes + off, v);
}

static uint32_t get(const struct fixture *f, size_t off)
{
	return pg32_load32(f->bytes + off);
}

/* img_parse must fail on bytes[0..len) with EFORMAT and a one-line message
 * containing fragment, and leave the image empty. */
static void expect_error_len(const uint8_t *bytes, size_t len, const char *fragment)
{
	struct image img;
	char msg[MSG_LEN] = "";
	int err = img_parse(bytes, len, &img, msg, sizeof msg);

	if (err != PG32_EFORMAT || strstr(msg, fragment) == NULL)
		print_error("expected an error with \"%s\", got %d \"%s\"\n", fragment, err, msg);
	assert_int_equal(err, PG32_EFORMAT);
	assert_non_null(strstr(msg, fragment));
	assert_null(strchr(msg, '\n'));
	assert_int_equal(img.nsegs, 0);
	assert_int_equal(img.nsyms, 0);
	assert_null(img.segs);
	assert_null(img.syms);
}

static void expect_error(const struct fixture *f, const char *fragment)
{
	expect_error_len(f->bytes, f->len, fragment);
}

/* ---- accepting -------------------------------------------------------- */

/* The base image parses into exactly what was written, symbols sorted. */
static void test_parse_valid(void **state)
{
	struct fixture *f = *state;
	struct image img;
	char msg[MSG_LEN] = "";

	assert_int_equal(img_parse(f->bytes, f->len, &img, msg, sizeof msg), 0);
	assert_int_equal(img.variant, ISA_VARIANT_WELL);
	assert_int_equal(img.entry, SEG0_ADDR);
	assert_int_equal(img.nsegs, BASE_NSEGS);
	for (unsigned i = 0; i < BASE_NSEGS; i++) {
		assert_int_equal(img.segs[i].addr, base_segs[i].addr);
		assert_int_equal(img.segs[i].size, base_segs[i].size);
		assert_int_equal(img.segs[i].mem_size, base_segs[i].mem_size);
		assert_memory_equal(img.segs[i].data, base_segs[i].data, base_segs[i].size);
	}
	assert_int_equal(img.nsyms, BASE_NSYMS);
	for (unsigned i = 0; i < BASE_NSYMS; i++) {
		assert_string_equal(img.syms[i].name, base_syms[i].name);
		assert_int_equal(img.syms[i].value, base_syms[i].value);
		assert_int_equal(img.syms[i].kind, base_syms[i].kind);
	}
	img_free(&img);
	assert_null(img.segs);
	img_free(&img); /* a freed image can be freed again */
}

/* parse then write gives back the same bytes. */
static void test_round_trip_bytes(void **state)
{
	struct fixture *f = *state;
	struct image img;
	uint8_t *again;
	size_t len;

	assert_int_equal(img_parse(f->bytes, f->len, &img, NULL, 0), 0);
	assert_int_equal(img_write(&img, &again, &len), 0);
	assert_int_equal(len, f->len);
	assert_memory_equal(again, f->bytes, len);
	free(again);
	img_free(&img);
}

/* Every ill variant (all critical bits, or one) is accepted and kept. */
static void test_variant_ill_accepted(void **state)
{
	struct fixture *f = *state;
	isa_variant vs[] = { isa_variant_all_ill(), ISA_VARIANT_BIT(ISA_OP_SRR),
	                     ISA_VARIANT_BIT(ISA_OP_RTU) };

	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
		struct image img;
		put(f, H_VAR_LO, (uint32_t)vs[i]);
		put(f, H_VAR_HI, (uint32_t)(vs[i] >> 32));
		assert_int_equal(img_parse(f->bytes, f->len, &img, NULL, 0), 0);
		assert_true(img.variant == vs[i]);
		img_free(&img);
	}
}

/* An image with no symbols and an empty string table is fine. */
static void test_no_symbols(void **state)
{
	struct image in = base_image, img;
	uint8_t *bytes;
	size_t len;

	(void)state;
	in.nsyms = 0;
	in.syms = NULL;
	assert_int_equal(img_write(&in, &bytes, &len), 0);
	assert_int_equal(pg32_load32(bytes + H_STRTAB), 0);
	assert_int_equal(img_parse(bytes, len, &img, NULL, 0), 0);
	assert_int_equal(img.nsyms, 0);
	img_free(&img);
	free(bytes);
}

/* A bss-only segment (no file bytes, memory size > 0) is fine. */
static void test_bss_segment(void **state)
{
	struct img_segment segs[2] = { base_segs[0],
	                               { .addr = SEG1_ADDR, .mem_size = SEG1_MEM } };
	struct image in = base_image, img;
	uint8_t *bytes;
	size_t len;

	(void)state;
	in.segs = segs;
	in.nsyms = 1;
	assert_int_equal(img_write(&in, &bytes, &len), 0);
	assert_int_equal(img_parse(bytes, len, &img, NULL, 0), 0);
	assert_int_equal(img.segs[1].size, 0);
	assert_null(img.segs[1].data);
	assert_int_equal(img.segs[1].mem_size, SEG1_MEM);
	img_free(&img);
	free(bytes);
}

/* ---- the header --------------------------------------------------------- */

/* A wrong magic number is named, in hex. */
static void test_bad_magic(void **state)
{
	struct fixture *f = *state;
	put(f, H_MAGIC, 0x12345678u);
	expect_error(f, "bad magic 0x12345678 (not a PG32 image)");
}

/* Another format version is refused with its number. */
static void test_unsupported_version(void **state)
{
	struct fixture *f = *state;
	put(f, H_VERSION, 7);
	expect_error(f, "unsupported version 7");
}

/* A variant bit of a non-critical instruction is refused (low and high word). */
static void test_bad_variant(void **state)
{
	struct fixture *f = *state;
	put(f, H_VAR_LO, (uint32_t)ISA_VARIANT_BIT(ISA_OP_ADD));
	expect_error(f, "bad variant");
	put(f, H_VAR_LO, 0);
	put(f, H_VAR_HI, 1);
	expect_error(f, "are not critical instructions");
}

/* More segments than IMG_MAX_SEGS. */
static void test_too_many_segments(void **state)
{
	struct fixture *f = *state;
	put(f, H_NSEGS, IMG_MAX_SEGS + 1);
	expect_error(f, "too many segments");
}

/* More symbols than IMG_MAX_SYMS. */
static void test_too_many_symbols(void **state)
{
	struct fixture *f = *state;
	put(f, H_NSYMS, IMG_MAX_SYMS + 1);
	expect_error(f, "too many symbols");
}

/* A file shorter than the header. */
static void test_truncated_header(void **state)
{
	struct fixture *f = *state;
	expect_error_len(f->bytes, IMG_HEADER_BYTES - 1, "shorter than the 32-byte header");
	expect_error_len(NULL, 0, "shorter than the 32-byte header");
}

/* The segment table runs past the end of the file. */
static void test_truncated_segment_table(void **state)
{
	struct fixture *f = *state;
	put(f, H_NSEGS, 3);
	expect_error_len(f->bytes, 40, "truncated: header says 3 segments but the file ends at byte 40");
}

/* The symbol table runs past the end of the file. */
static void test_truncated_symbol_table(void **state)
{
	struct fixture *f = *state;
	expect_error_len(f->bytes, sym_field(1, 0),
	                 "truncated: header says 3 symbols but the file ends at byte");
}

/* The string table runs past the end of the file. */
static void test_truncated_string_table(void **state)
{
	struct fixture *f = *state;
	put(f, H_STRTAB, 0xFFFFFFF0u);
	expect_error(f, "truncated: header says a 4294967280-byte string table");
}

/* The last byte of the string table is not NUL. */
static void test_strtab_not_terminated(void **state)
{
	struct fixture *f = *state;
	f->bytes[strtab_start() + get(f, H_STRTAB) - 1] = 'x';
	expect_error(f, "string table not NUL-terminated");
}

/* ---- segments ----------------------------------------------------------- */

/* File size larger than memory size. */
static void test_segment_mem_smaller_than_file(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(1, S_MEM_SIZE), 2);
	expect_error(f, "segment 1 mem_size 0x2 smaller than file size 0x6");
}

/* A segment with memory size 0. */
static void test_segment_empty(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(1, S_FILE_SIZE), 0);
	put(f, seg_field(1, S_MEM_SIZE), 0);
	expect_error(f, "segment 1 is empty");
}

/* A segment whose file bytes lie inside the header and tables. */
static void test_segment_offset_in_tables(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(0, S_OFFSET), IMG_HEADER_BYTES);
	expect_error(f, "segment 0 file offset 32 lies in the header and tables");
}

/* A segment's file range runs past the end of the file. */
static void test_segment_past_end_of_file(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(0, S_OFFSET), (uint32_t)f->len - 4);
	expect_error(f, "segment 0 file range [");
	expect_error(f, "runs past the end of the file");
}

/* offset + size wraps around 2^32: caught, not wrapped. */
static void test_segment_offset_overflow(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(1, S_OFFSET), 0xFFFFFFFCu);
	put(f, seg_field(1, S_FILE_SIZE), 8);
	expect_error(f, "segment 1 file range [4294967292, 4294967300) runs past the end");
}

/* A segment loaded into the trap area. */
static void test_segment_in_trap_area(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(1, S_ADDR), 0x10);
	expect_error(f, "segment 1 at 0x00000010 overlaps the trap area (below 0x30)");
}

/* A segment ending past PG32_MEM_MAX; and one whose end wraps 2^32. */
static void test_segment_past_max_memory(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(1, S_ADDR), PG32_MEM_MAX - 4);
	expect_error(f, "segment 1 [0x0ffffffc, 0x1000001c) ends past the largest memory (256 MiB)");
	put(f, seg_field(1, S_ADDR), 0xFFFFFFF0u);
	expect_error(f, "ends past the largest memory");
	/* Exactly at the end of the largest memory is fine. */
	put(f, seg_field(1, S_ADDR), PG32_MEM_MAX - SEG1_MEM);
	put(f, sym_field(1, Y_VALUE), PG32_MEM_MAX - SEG1_MEM);
	put(f, sym_field(2, Y_VALUE), PG32_MEM_MAX);
	struct image img;
	assert_int_equal(img_parse(f->bytes, f->len, &img, NULL, 0), 0);
	img_free(&img);
}

/* Two segments overlapping in memory; touching is fine. */
static void test_segment_overlap(void **state)
{
	struct fixture *f = *state;
	struct image img;

	put(f, seg_field(1, S_ADDR), SEG0_ADDR + 8);
	expect_error(f, "segment 1 overlaps segment 0");
	put(f, seg_field(1, S_ADDR), SEG0_ADDR - 8);
	expect_error(f, "segment 1 overlaps segment 0");
	/* Segment 1 right after segment 0: adjacent, legal. */
	put(f, seg_field(1, S_ADDR), SEG0_ADDR + sizeof seg0_data);
	put(f, sym_field(1, Y_VALUE), SEG0_ADDR + sizeof seg0_data);
	put(f, sym_field(2, Y_VALUE), SEG0_ADDR + sizeof seg0_data);
	assert_int_equal(img_parse(f->bytes, f->len, &img, NULL, 0), 0);
	img_free(&img);
}

/* Two segments sharing file bytes. */
static void test_segment_file_overlap(void **state)
{
	struct fixture *f = *state;
	put(f, seg_field(1, S_OFFSET), get(f, seg_field(0, S_OFFSET)) + 2);
	expect_error(f, "segment 1 file range overlaps the file range of segment 0");
}

/* Bytes after the last segment's contents. */
static void test_trailing_bytes(void **state)
{
	struct fixture *f = *state;
	uint8_t *longer = calloc(f->len + 3, 1);

	assert_non_null(longer);
	memcpy(longer, f->bytes, f->len);
	expect_error_len(longer, f->len + 3, "3 stray bytes after the end of the image contents");
	free(longer);
}

/* ---- entry point ------------------------------------------------------- */

/* The entry point outside every segment. */
static void test_entry_outside(void **state)
{
	struct fixture *f = *state;
	put(f, H_ENTRY, 0x400);
	expect_error(f, "entry point 0x00000400 is not inside any segment");
	put(f, H_ENTRY, SEG0_ADDR + sizeof seg0_data); /* one past the end */
	expect_error(f, "is not inside any segment");
}

/* A misaligned entry point. */
static void test_entry_misaligned(void **state)
{
	struct fixture *f = *state;
	put(f, H_ENTRY, SEG0_ADDR + 2);
	expect_error(f, "entry point 0x00000102 is not 4-aligned");
}

/* ---- symbols ------------------------------------------------------------ */

/* A name offset outside the string table. */
static void test_symbol_name_offset(void **state)
{
	struct fixture *f = *state;
	put(f, sym_field(2, Y_NAME), get(f, H_STRTAB));
	expect_error(f, "symbol 2 name offset");
	expect_error(f, "past the string table");
}

/* A kind that is neither code nor data. */
static void test_symbol_bad_kind(void **state)
{
	struct fixture *f = *state;
	put(f, sym_field(0, Y_KIND), 7);
	expect_error(f, "symbol 0 has unknown kind 7");
}

/* A name offset at a NUL: the empty name. */
static void test_symbol_empty_name(void **state)
{
	struct fixture *f = *state;
	put(f, sym_field(1, Y_NAME), get(f, H_STRTAB) - 1);
	expect_error(f, "symbol 1 has an empty name");
}

/* Names must be identifiers, as the assembler spells labels. */
static void test_symbol_bad_name(void **state)
{
	struct fixture *f = *state;
	f->bytes[strtab_start() + 1] = ' ';
	expect_error(f, "symbol 0 name has byte 0x20 at 1: a name is a letter or _");
	f->bytes[strtab_start() + 1] = 0x80;
	expect_error(f, "symbol 0 name has byte 0x80 at 1");
	f->bytes[strtab_start() + 1] = '.';
	expect_error(f, "symbol 0 name has byte 0x2e at 1");
	f->bytes[strtab_start() + 1] = '9'; /* "m9in": fine */
	struct image img;
	assert_int_equal(img_parse(f->bytes, f->len, &img, NULL, 0), 0);
	img_free(&img);
	f->bytes[strtab_start()] = '9'; /* "99in": starts with a digit */
	expect_error(f, "symbol 0 name has byte 0x39 at 0");
}

/* A symbol whose value is in no segment (one past an end is allowed). */
static void test_symbol_outside(void **state)
{
	struct fixture *f = *state;
	put(f, sym_field(1, Y_VALUE), 0x1000);
	expect_error(f, "symbol 1 (msg) value 0x00001000 is not inside any segment");
	put(f, sym_field(1, Y_VALUE), SEG1_ADDR + SEG1_MEM + 1);
	expect_error(f, "is not inside any segment");
}

/* Two symbols with one name. */
static void test_symbol_duplicate(void **state)
{
	struct fixture *f = *state;
	put(f, sym_field(2, Y_NAME), get(f, sym_field(0, Y_NAME)));
	expect_error(f, "duplicate symbol name \"main\" (symbols 0 and 2)");
}

/* ---- robustness ------------------------------------------------------- */

/* Every prefix of a valid image fails cleanly (ASan watches the reads). */
static void test_truncation_everywhere(void **state)
{
	struct fixture *f = *state;

	for (size_t n = 0; n < f->len; n++) {
		/* An exact-size copy, so a read past n is a heap overflow. */
		uint8_t *copy = malloc(n ? n : 1);
		struct image img;
		char msg[MSG_LEN] = "";

		assert_non_null(copy);
		memcpy(copy, f->bytes, n);
		assert_int_equal(img_parse(copy, n, &img, msg, sizeof msg), PG32_EFORMAT);
		assert_true(msg[0] != '\0');
		assert_null(img.segs);
		free(copy);
	}
}

#define DEFAULT_SEED 0x7A7E2EULL
#define GARBAGE_ROUNDS 3000
#define GARBAGE_MAX_LEN 256
#define MUTATION_ROUNDS 20000
#define PLACE_MEM (PG32_MEM_MIN * 4)

/* A parsed image must be usable: written back, and placed if it fits. */
static void check_accepted(struct image *img)
{
	uint8_t *bytes;
	size_t len;
	static uint8_t mem[PLACE_MEM];

	assert_int_equal(img_write(img, &bytes, &len), 0);
	free(bytes);
	(void)img_place(img, mem, sizeof mem, NULL, 0);
	img_free(img);
}

static int parse_exact(const uint8_t *src, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct image img;
	char msg[MSG_LEN];
	int err;

	assert_non_null(copy);
	memcpy(copy, src, len);
	err = img_parse(copy, len, &img, msg, sizeof msg);
	if (err == 0)
		check_accepted(&img);
	else
		assert_int_equal(err, PG32_EFORMAT);
	free(copy);
	return err;
}

/* Random bytes (half with a good magic and version) and random mutations of
 * the base image never crash the parser; what it accepts is usable. */
static void test_random_garbage(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[GARBAGE_MAX_LEN];
	unsigned accepted = 0;

	pt_rand_init("test_random_garbage", DEFAULT_SEED);
	for (int round = 0; round < GARBAGE_ROUNDS; round++) {
		size_t len = pt_rand32() % GARBAGE_MAX_LEN;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)pt_rand32();
		if ((round & 1) && len >= IMG_HEADER_BYTES) {
			pg32_store32(buf + H_MAGIC, IMG_MAGIC);
			pg32_store32(buf + H_VERSION, IMG_VERSION);
			/* Small counts, so the tables are sometimes in range. */
			pg32_store32(buf + H_NSEGS, pt_rand32() % 4);
			pg32_store32(buf + H_NSYMS, pt_rand32() % 4);
			pg32_store32(buf + H_STRTAB, pt_rand32() % 32);
		}
		parse_exact(buf, len);
	}
	for (int round = 0; round < MUTATION_ROUNDS; round++) {
		uint8_t *m = malloc(f->len);
		unsigned nflips = 1 + pt_rand32() % 4;

		assert_non_null(m);
		memcpy(m, f->bytes, f->len);
		for (unsigned k = 0; k < nflips; k++) {
			size_t at = pt_rand32() % f->len;
			switch (pt_rand32() % 3) {
			case 0: m[at] ^= (uint8_t)(1u << (pt_rand32() % 8)); break;
			case 1: m[at] = (uint8_t)pt_rand32(); break;
			default:
				/* A whole word set to a boundary value. */
				if (at + ISA_WORD_BYTES <= f->len) {
					static const uint32_t edge[] = { 0, 1, 0x7FFFFFFFu, 0x80000000u,
					                                 0xFFFFFFFFu, 0xFFFFFFFCu };
					pg32_store32(m + (at & ~(size_t)3), edge[pt_rand32() % 6]);
				}
			}
		}
		if (parse_exact(m, f->len) == 0)
			accepted++;
		free(m);
	}
	print_message("test_random_garbage: %u of %d mutations still valid\n", accepted,
	              MUTATION_ROUNDS);
}

/* Bad arguments are errors, not crashes. */
static void test_parse_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct image img;
	char msg[MSG_LEN];

	assert_int_equal(img_parse(f->bytes, f->len, NULL, msg, sizeof msg), PG32_EARG);
	assert_int_equal(img_parse(NULL, 10, &img, msg, sizeof msg), PG32_EARG);
	/* A NULL or zero-length message buffer is allowed. */
	assert_int_equal(img_parse(f->bytes, 3, &img, NULL, 0), PG32_EFORMAT);
	assert_int_equal(img_parse(f->bytes, 3, &img, msg, 0), PG32_EFORMAT);
}

/* ---- writing -------------------------------------------------------------- */

/* Symbols come back sorted by value; equal values keep their order. */
static void test_write_sorts_symbols(void **state)
{
	struct img_symbol syms[] = {
		{ .value = SEG1_ADDR, .kind = IMG_SYM_DATA, .name = "b" },
		{ .value = SEG0_ADDR + 4, .kind = IMG_SYM_CODE, .name = "z" },
		{ .value = SEG0_ADDR + 4, .kind = IMG_SYM_CODE, .name = "a" },
		{ .value = SEG0_ADDR, .kind = IMG_SYM_CODE, .name = "start" },
	};
	const char *want[] = { "start", "z", "a", "b" };
	struct image in = base_image, img;
	uint8_t *bytes;
	size_t len;

	(void)state;
	in.syms = syms;
	in.nsyms = sizeof syms / sizeof syms[0];
	assert_int_equal(img_write(&in, &bytes, &len), 0);
	assert_int_equal(img_parse(bytes, len, &img, NULL, 0), 0);
	for (unsigned i = 0; i < img.nsyms; i++)
		assert_string_equal(img.syms[i].name, want[i]);
	img_free(&img);
	free(bytes);
}

/* img_write refuses an image img_parse would refuse, and writes nothing. */
static void test_write_rejects_invalid(void **state)
{
	struct img_segment segs[BASE_NSEGS] = { base_segs[0], base_segs[1] };
	struct image in = base_image;
	uint8_t *bytes = (uint8_t *)&in;
	size_t len = 1;
	char msg[MSG_LEN] = "";

	(void)state;
	segs[1].addr = 0x10;
	in.segs = segs;
	assert_int_equal(img_write(&in, &bytes, &len), PG32_EARG);
	assert_null(bytes);
	assert_int_equal(len, 0);
	assert_int_equal(img_write_file(&in, "/nonexistent/never.img", msg, sizeof msg), PG32_EARG);
	assert_non_null(strstr(msg, "trap area"));
	segs[1].addr = SEG1_ADDR;
	segs[1].data = NULL; /* size without data */
	assert_int_equal(img_write(&in, &bytes, &len), PG32_EARG);
}

/* img_write_file then img_load_file give back the image. */
static void test_write_and_load_file(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/test_image_XXXXXX";
	int fd = mkstemp(path);
	struct image img;
	char msg[MSG_LEN] = "";

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(img_write_file(&base_image, path, msg, sizeof msg), 0);
	assert_int_equal(img_load_file(path, &img, msg, sizeof msg), 0);
	assert_int_equal(img.nsyms, BASE_NSYMS);
	img_free(&img);
	/* A broken file: the message starts with the path. */
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(f->bytes, 1, 10, out), 10);
	fclose(out);
	assert_int_equal(img_load_file(path, &img, msg, sizeof msg), PG32_EFORMAT);
	assert_int_equal(strncmp(msg, path, strlen(path)), 0);
	assert_non_null(strstr(msg, ": truncated"));
	unlink(path);
}

/* Missing files and unwritable paths: the path and strerror in the message. */
static void test_file_errors(void **state)
{
	struct image img;
	char msg[MSG_LEN] = "";

	(void)state;
	assert_int_equal(img_load_file("/nonexistent/x.img", &img, msg, sizeof msg), PG32_EIO);
	assert_string_equal(msg, "/nonexistent/x.img: cannot open: No such file or directory");
	assert_int_equal(img_write_file(&base_image, "/nonexistent/x.img", msg, sizeof msg),
	                 PG32_EIO);
	assert_non_null(strstr(msg, "/nonexistent/x.img: cannot create: "));
	/* A directory opens but does not read. */
	assert_int_equal(img_load_file("/tmp", &img, msg, sizeof msg), PG32_EIO);
	assert_non_null(strstr(msg, "/tmp: read error: "));
}

/* pg32_read_file: exactly max bytes is fine, one more is refused. */
static void test_read_file_max(void **state)
{
	char path[] = "/tmp/test_image_XXXXXX";
	int fd = mkstemp(path);
	uint8_t data[100] = { 1, 2, 3 }, *bytes;
	size_t len;
	char msg[MSG_LEN] = "";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
	close(fd);
	assert_int_equal(pg32_read_file(path, sizeof data, &bytes, &len, msg, sizeof msg), 0);
	assert_int_equal(len, sizeof data);
	assert_memory_equal(bytes, data, sizeof data);
	free(bytes);
	assert_int_equal(pg32_read_file(path, sizeof data - 1, &bytes, &len, msg, sizeof msg),
	                 PG32_ERANGE);
	assert_null(bytes);
	assert_non_null(strstr(msg, "larger than 99 bytes"));
	unlink(path);
}

/* ---- placing -------------------------------------------------------------- */

/* Segments are copied, their tails zeroed, other memory left alone. */
static void test_place(void **state)
{
	static uint8_t mem[PG32_MEM_MIN];
	char msg[MSG_LEN] = "";

	(void)state;
	memset(mem, 0xAA, sizeof mem);
	assert_int_equal(img_place(&base_image, mem, sizeof mem, msg, sizeof msg), 0);
	assert_memory_equal(mem + SEG0_ADDR, seg0_data, sizeof seg0_data);
	assert_memory_equal(mem + SEG1_ADDR, seg1_data, sizeof seg1_data);
	for (uint32_t a = SEG1_ADDR + sizeof seg1_data; a < SEG1_ADDR + SEG1_MEM; a++)
		assert_int_equal(mem[a], 0);
	assert_int_equal(mem[SEG0_ADDR - 1], 0xAA);
	assert_int_equal(mem[SEG0_ADDR + sizeof seg0_data], 0xAA);
	assert_int_equal(mem[SEG1_ADDR + SEG1_MEM], 0xAA);
	assert_int_equal(mem[0], 0xAA); /* the trap area is not the loader's */
}

/* A segment ending exactly at the end of memory fits; one byte less does
 * not, and then nothing at all is written. */
static void test_place_edges(void **state)
{
	static uint8_t mem[PG32_MEM_MIN];
	const uint32_t exact = SEG1_ADDR + SEG1_MEM;
	char msg[MSG_LEN] = "";

	(void)state;
	assert_int_equal(img_place(&base_image, mem, exact, msg, sizeof msg), 0);
	memset(mem, 0xAA, sizeof mem);
	assert_int_equal(img_place(&base_image, mem, exact - 1, msg, sizeof msg), PG32_ERANGE);
	assert_non_null(strstr(msg, "segment 1 [0x00000200, 0x220) does not fit"));
	for (size_t i = 0; i < sizeof mem; i++)
		assert_int_equal(mem[i], 0xAA);
	assert_int_equal(img_place(&base_image, NULL, exact, msg, sizeof msg), PG32_EARG);
}

/* ---- symbols ------------------------------------------------------------- */

/* img_symbol_at: exact match only, code preferred over data. */
static void test_symbol_at(void **state)
{
	struct img_symbol syms[] = {
		{ .value = SEG0_ADDR, .kind = IMG_SYM_DATA, .name = "table" },
		{ .value = SEG0_ADDR, .kind = IMG_SYM_CODE, .name = "start" },
		{ .value = SEG0_ADDR + 8, .kind = IMG_SYM_DATA, .name = "buf" },
	};
	struct image img = base_image;

	(void)state;
	img.syms = syms;
	img.nsyms = sizeof syms / sizeof syms[0];
	assert_string_equal(img_symbol_at(&img, SEG0_ADDR), "start");
	assert_string_equal(img_symbol_at(&img, SEG0_ADDR + 8), "buf");
	assert_null(img_symbol_at(&img, SEG0_ADDR + 4));
	assert_null(img_symbol_at(&img, 0));
	assert_null(img_symbol_at(&img, 0xFFFFFFFFu));
	img.nsyms = 0;
	assert_null(img_symbol_at(&img, SEG0_ADDR));
}

/* img_symbol_value finds by exact name. */
static void test_symbol_value(void **state)
{
	uint32_t v = 0;

	(void)state;
	assert_true(img_symbol_value(&base_image, "msg", &v));
	assert_int_equal(v, SEG1_ADDR);
	assert_false(img_symbol_value(&base_image, "ms", &v));
	assert_false(img_symbol_value(&base_image, "MSG", &v));
	assert_false(img_symbol_value(NULL, "msg", &v));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_parse_valid),
		T(test_round_trip_bytes),
		T(test_variant_ill_accepted),
		T(test_no_symbols),
		T(test_bss_segment),
		T(test_bad_magic),
		T(test_unsupported_version),
		T(test_bad_variant),
		T(test_too_many_segments),
		T(test_too_many_symbols),
		T(test_truncated_header),
		T(test_truncated_segment_table),
		T(test_truncated_symbol_table),
		T(test_truncated_string_table),
		T(test_strtab_not_terminated),
		T(test_segment_mem_smaller_than_file),
		T(test_segment_empty),
		T(test_segment_offset_in_tables),
		T(test_segment_past_end_of_file),
		T(test_segment_offset_overflow),
		T(test_segment_in_trap_area),
		T(test_segment_past_max_memory),
		T(test_segment_overlap),
		T(test_segment_file_overlap),
		T(test_trailing_bytes),
		T(test_entry_outside),
		T(test_entry_misaligned),
		T(test_symbol_name_offset),
		T(test_symbol_bad_kind),
		T(test_symbol_empty_name),
		T(test_symbol_bad_name),
		T(test_symbol_outside),
		T(test_symbol_duplicate),
		T(test_truncation_everywhere),
		T(test_random_garbage),
		T(test_parse_bad_arguments),
		T(test_write_sorts_symbols),
		T(test_write_rejects_invalid),
		T(test_write_and_load_file),
		T(test_file_errors),
		T(test_read_file_max),
		T(test_place),
		T(test_place_edges),
		T(test_symbol_at),
		T(test_symbol_value),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
