/*
 * tzdis.c -- the PG32 disassembler: `tzdis IMAGE` prints a whole image as
 * assembler text that tzas reads back into the identical image.
 *
 * Output, in order: the .isa variant, the .entry point (by name when a
 * symbol is there), then each segment in address order: a comment with its
 * extent, `.org ADDR`, and its contents.  Each printed item is preceded by
 * the labels at its address and followed by a comment column giving the
 * address and the encoding.
 *
 * How the bytes are printed, so that every symbol lands on its exact value
 * without any .equ (the method):
 *   - a "boundary" is an address where a label must be printed: every
 *     symbol value inside the segment, and its end;
 *   - at a 4-aligned address with a whole word before the next boundary
 *     and the end of the data, the word is printed as one item: an
 *     instruction by isa_disasm (".word 0x..." if it is illegal), or
 *     ".word" when it lies in the range of a data symbol (an IMG_SYM_DATA
 *     symbol up to the next symbol of the segment; a code symbol at the
 *     same address wins);
 *   - anywhere else (a misaligned label, a misaligned segment start, the
 *     last 1-3 bytes of the data) the bytes up to the next boundary or
 *     aligned address are printed with ".byte".  Memory is little-endian,
 *     so a word split into bytes is the same bytes;
 *   - the zero-filled tail of a segment (memory size > file size) is
 *     printed with the zero-fill directive, split at the labels inside it;
 *   - a label at the very end of a segment is printed after the contents,
 *     unless another segment starts there, in which case it is printed at
 *     that segment's start.  The value is the same; each label is printed
 *     exactly once.
 * Segments are printed in address order, the order in which tzas writes
 * them (it sorts them, and merges segments that touch).
 *
 * Symbol kinds: tzas gives a label the kind of what follows it (an
 * instruction: code; a data directive: data), and the rules above print a
 * data symbol's range as .word and a code symbol's as instructions, so
 * kinds survive.  Two cases cannot, with the directives tzas has today:
 *   - a code symbol on an illegal word, on bytes (.byte), or in a zero-
 *     filled tail: the text after it is a data directive;
 *   - a zero-filled tail itself: tzas's .space emits file bytes, so the
 *     reassembled segment has the same memory contents but a larger file
 *     size.  Images that tzas made never have such a tail.
 */
#include "pg32.h"

#include <stdlib.h>
#include <string.h>

#define MSG_LEN 512
#define TEXT_LEN 128
#define EXIT_USAGE 2
#define EXIT_IO 1
/* Column of the address/encoding comment, and the instruction indent. */
#define COMMENT_COLUMN 40
#define INDENT "        "
/* The directive for a zero-filled tail (memory size beyond file size).
 * tzas has no directive that reserves memory without file bytes, so this
 * is the closest: the same memory, but as file bytes (see above). */
#define ZERO_FILL_DIRECTIVE ".space"
#define ASCII_MIN 0x20
#define ASCII_MAX 0x7E

static const char *prog = "tzdis";

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s IMAGE\n"
	        "Disassemble a PG32 image into assembler text that tzas reads back\n"
	        "into the identical image.\n"
	        "\n"
	        "  -h, --help  show this help\n"
	        "\n"
	        "Exit status: 0 on success, 1 on an output error, 2 on bad arguments\n"
	        "or a bad image.\n",
	        prog);
}

/* ---- symbols ------------------------------------------------------------- */

static const char *symbolize(void *ctx, uint32_t addr)
{
	return img_symbol_at(ctx, addr);
}

/* Index of the first symbol with value >= addr (img->syms is sorted). */
static uint32_t first_symbol_from(const struct image *img, uint64_t addr)
{
	uint32_t lo = 0, hi = img->nsyms;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (img->syms[mid].value < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The next boundary after pos: the next symbol value, or the limit. */
static uint64_t next_boundary(const struct image *img, uint64_t pos, uint64_t limit)
{
	uint32_t i = first_symbol_from(img, pos + 1);

	if (i < img->nsyms && img->syms[i].value < limit)
		return img->syms[i].value;
	return limit;
}

/* Is the word at pos in the range of a data symbol of segment s?  The
 * governing symbols are those with the greatest value in [s.addr, pos]. */
static bool in_data_range(const struct image *img, const struct img_segment *s, uint32_t pos)
{
	uint32_t i = first_symbol_from(img, (uint64_t)pos + 1);
	uint32_t value;
	bool data = false;

	if (i == 0 || img->syms[i - 1].value < s->addr)
		return false;
	value = img->syms[i - 1].value;
	for (; i > 0 && img->syms[i - 1].value == value; i--) {
		if (img->syms[i - 1].kind == IMG_SYM_CODE)
			return false;
		data = true;
	}
	return data;
}

/* Does some segment other than s contain addr in [addr, addr + mem_size)? */
static bool other_segment_holds(const struct image *img, const struct img_segment *s,
                                uint32_t addr)
{
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct img_segment *o = &img->segs[i];
		if (o != s && addr >= o->addr && addr - o->addr < o->mem_size)
			return true;
	}
	return false;
}

static void print_labels(FILE *out, const struct image *img, uint64_t pos)
{
	for (uint32_t i = first_symbol_from(img, pos); i < img->nsyms && img->syms[i].value == pos;
	     i++)
		fprintf(out, "%s:\n", img->syms[i].name);
}

/* ---- items ----------------------------------------------------------------- */

/* Print "INDENT text", padded to the comment column, then the comment. */
static void print_item(FILE *out, const char *text, const char *comment)
{
	int n = fprintf(out, INDENT "%s", text);

	fprintf(out, "%*s; %s\n", n < COMMENT_COLUMN ? COMMENT_COLUMN - n : 1, "", comment);
}

static void print_word(FILE *out, const struct image *img, const struct img_segment *s,
                       uint32_t pos)
{
	const uint8_t *p = s->data + (pos - s->addr);
	uint32_t w = pg32_load32(p);
	char text[TEXT_LEN], comment[TEXT_LEN];

	if (in_data_range(img, s, pos)) {
		char ascii[ISA_WORD_BYTES + 1];
		for (unsigned k = 0; k < ISA_WORD_BYTES; k++)
			ascii[k] = p[k] >= ASCII_MIN && p[k] <= ASCII_MAX ? (char)p[k] : '.';
		ascii[ISA_WORD_BYTES] = '\0';
		snprintf(text, sizeof text, ".word 0x%08x", w);
		snprintf(comment, sizeof comment, "0x%08x: 0x%08x  %s", pos, w, ascii);
	} else {
		isa_disasm(w, pos, symbolize, (void *)img, text, sizeof text);
		snprintf(comment, sizeof comment, "0x%08x: 0x%08x", pos, w);
	}
	print_item(out, text, comment);
}

static void print_bytes(FILE *out, const struct img_segment *s, uint32_t pos, uint32_t n)
{
	char text[TEXT_LEN], comment[TEXT_LEN];
	size_t used = (size_t)snprintf(text, sizeof text, ".byte ");

	for (uint32_t k = 0; k < n; k++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%s0x%02x", k ? ", " : "",
		                         s->data[pos - s->addr + k]);
	snprintf(comment, sizeof comment, "0x%08x", pos);
	print_item(out, text, comment);
}

static void print_segment(FILE *out, const struct image *img, uint32_t idx)
{
	const struct img_segment *s = &img->segs[idx];
	const uint64_t data_end = (uint64_t)s->addr + s->size;
	const uint64_t mem_end = (uint64_t)s->addr + s->mem_size;
	uint64_t pos = s->addr;
	char text[TEXT_LEN], comment[TEXT_LEN];

	fprintf(out, "\n; segment %u: [0x%08x, 0x%08llx), %u bytes, %u from the file\n", idx,
	        s->addr, (unsigned long long)mem_end, s->mem_size, s->size);
	fprintf(out, ".org 0x%08x\n", s->addr);

	while (pos < data_end) {
		uint64_t stop = next_boundary(img, pos, data_end);

		print_labels(out, img, pos);
		if (pos % ISA_WORD_BYTES == 0 && pos + ISA_WORD_BYTES <= stop) {
			print_word(out, img, s, (uint32_t)pos);
			pos += ISA_WORD_BYTES;
		} else {
			/* Bytes up to the next aligned address, boundary or data
			 * end: always 1 to 3 bytes. */
			uint64_t aligned = (pos / ISA_WORD_BYTES + 1) * ISA_WORD_BYTES;
			uint64_t until = aligned < stop ? aligned : stop;
			print_bytes(out, s, (uint32_t)pos, (uint32_t)(until - pos));
			pos = until;
		}
	}
	while (pos < mem_end) {
		uint64_t stop = next_boundary(img, pos, mem_end);

		print_labels(out, img, pos);
		snprintf(text, sizeof text, ZERO_FILL_DIRECTIVE " %llu",
		         (unsigned long long)(stop - pos));
		snprintf(comment, sizeof comment, "0x%08llx: zero-filled up to 0x%08llx",
		         (unsigned long long)pos, (unsigned long long)stop);
		print_item(out, text, comment);
		pos = stop;
	}
	/* Labels at the end: here, unless another segment starts there. */
	if (mem_end <= UINT32_MAX && !other_segment_holds(img, s, (uint32_t)mem_end))
		print_labels(out, img, mem_end);
}

/* Segment indices in address order (segments never overlap). */
static const struct image *sort_img;
static int seg_index_order(const void *x, const void *y)
{
	uint32_t a = sort_img->segs[*(const uint32_t *)x].addr;
	uint32_t b = sort_img->segs[*(const uint32_t *)y].addr;

	return a < b ? -1 : a > b;
}

/* Print the whole image as assembler text. */
static void disassemble(FILE *out, const char *path, const struct image *img)
{
	char variant[TEXT_LEN];
	const char *entry = img_symbol_at(img, img->entry);
	uint32_t order[IMG_MAX_SEGS];

	isa_variant_format(img->variant, variant, sizeof variant);
	fprintf(out, "; %s: disassembled by tzdis (segments: %u, symbols: %u)\n", path,
	        img->nsegs, img->nsyms);
	fprintf(out, ".isa %s\n", variant);
	if (entry != NULL)
		fprintf(out, ".entry %s\n", entry);
	else
		fprintf(out, ".entry 0x%08x\n", img->entry);
	for (uint32_t i = 0; i < img->nsegs; i++)
		order[i] = i;
	sort_img = img; /* qsort has no context argument */
	qsort(order, img->nsegs, sizeof order[0], seg_index_order);
	for (uint32_t i = 0; i < img->nsegs; i++)
		print_segment(out, img, order[i]);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct image img;
	char msg[MSG_LEN];
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
		if (path != NULL) {
			fprintf(stderr, "%s: one image at a time ('%s' and '%s')\n", prog, path,
			        argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
		path = argv[i];
	}
	if (path == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* img_load_file messages already start with the path. */
	err = img_load_file(path, &img, msg, sizeof msg);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		return EXIT_USAGE;
	}
	disassemble(stdout, path, &img);
	img_free(&img);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error writing the output\n", prog);
		return EXIT_IO;
	}
	return 0;
}
