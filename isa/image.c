/*
 * image.c -- the PG32 executable image: parse, check, write, place.
 *
 * An image is what the assembler writes and what the bare machine, the
 * monitor, the debugger and the disassembler read.  The format is drawn in
 * pg32.h.  This file is the only code that knows the byte layout; everyone
 * else sees a struct image.
 *
 * The parser trusts nothing: every field is checked before it is used, all
 * arithmetic on offsets and sizes is done in 64 bits so nothing wraps, and
 * the first problem found is reported as one line naming the field.  The
 * checks run before anything is allocated for the caller, so an error path
 * has nothing to free.
 *
 * Ownership: a struct image owns its segment array, its symbol array, every
 * segment's data and every symbol's name, all from malloc.  img_free
 * releases them.  Code that builds an image by hand (the assembler, tests)
 * must allocate the same way.
 */
#include "pg32.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Field offsets in the header (see the table in pg32.h). */
enum {
	HDR_MAGIC = 0,
	HDR_VERSION = 4,
	HDR_VARIANT_LO = 8,
	HDR_VARIANT_HI = 12,
	HDR_ENTRY = 16,
	HDR_NSEGS = 20,
	HDR_NSYMS = 24,
	HDR_STRTAB_SIZE = 28,
};
/* Field offsets in a segment-table entry. */
enum { SEG_OFFSET = 0, SEG_FILE_SIZE = 4, SEG_ADDR = 8, SEG_MEM_SIZE = 12 };
/* Field offsets in a symbol-table entry. */
enum { SYM_VALUE = 0, SYM_NAME = 4, SYM_KIND = 8 };

#define VARIANT_HI_SHIFT 32
#define MIB_SHIFT 20
/* How much of a name an error message quotes. */
#define MSG_NAME_MAX 64
/* Initial buffer of pg32_read_file. */
#define READ_CHUNK 65536u

/* ---- messages ---------------------------------------------------------- */

static void say(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* Prefix the message already in msg with "path: ". */
static void say_prefix(char *msg, size_t msglen, const char *path)
{
	char *copy;

	if (msg == NULL || msglen == 0)
		return;
	copy = strdup(msg);
	if (copy == NULL)
		return; /* keep the unprefixed message rather than nothing */
	snprintf(msg, msglen, "%s: %s", path, copy);
	free(copy);
}

/* ---- the raw tables, as read from the bytes ------------------------------ */

struct raw_header {
	uint32_t magic, version;
	isa_variant variant;
	uint32_t entry, nsegs, nsyms, strtab_size;
};

struct raw_seg {
	uint32_t offset, file_size, addr, mem_size;
};

struct raw_sym {
	uint32_t value, name, kind;
};

/* An index entry used to sort segments or symbols without moving them. */
struct order {
	uint64_t key;
	const char *name;
	uint32_t idx;
};

static int order_by_key(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int order_by_name(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct raw_seg raw_seg_at(const uint8_t *bytes, uint32_t i)
{
	const uint8_t *p = bytes + IMG_HEADER_BYTES + (size_t)i * IMG_SEG_BYTES;
	struct raw_seg s = {
		.offset = pg32_load32(p + SEG_OFFSET),
		.file_size = pg32_load32(p + SEG_FILE_SIZE),
		.addr = pg32_load32(p + SEG_ADDR),
		.mem_size = pg32_load32(p + SEG_MEM_SIZE),
	};
	return s;
}

/* The byte offsets where the tables end, from the header. */
struct layout {
	uint64_t segtab_end, symtab_end, strtab_end;
};

static struct layout layout_of(const struct raw_header *h)
{
	struct layout l;

	l.segtab_end = IMG_HEADER_BYTES + (uint64_t)h->nsegs * IMG_SEG_BYTES;
	l.symtab_end = l.segtab_end + (uint64_t)h->nsyms * IMG_SYM_BYTES;
	l.strtab_end = l.symtab_end + h->strtab_size;
	return l;
}

static struct raw_sym raw_sym_at(const uint8_t *bytes, const struct layout *l, uint32_t i)
{
	const uint8_t *p = bytes + l->segtab_end + (size_t)i * IMG_SYM_BYTES;
	struct raw_sym s = {
		.value = pg32_load32(p + SYM_VALUE),
		.name = pg32_load32(p + SYM_NAME),
		.kind = pg32_load32(p + SYM_KIND),
	};
	return s;
}

/* ---- checking ---------------------------------------------------------- */

static int check_header(const uint8_t *bytes, size_t len, struct raw_header *h,
                        struct layout *l, char *msg, size_t msglen)
{
	isa_variant stray;

	if (len < IMG_HEADER_BYTES) {
		say(msg, msglen, "truncated: the file is %zu bytes, shorter than the %u-byte header",
		    len, IMG_HEADER_BYTES);
		return PG32_EFORMAT;
	}
	if (len > IMG_MAX_BYTES) {
		say(msg, msglen, "image is %zu bytes, more than the limit of %u bytes", len,
		    IMG_MAX_BYTES);
		return PG32_EFORMAT;
	}
	h->magic = pg32_load32(bytes + HDR_MAGIC);
	h->version = pg32_load32(bytes + HDR_VERSION);
	h->variant = (isa_variant)pg32_load32(bytes + HDR_VARIANT_LO) |
	             (isa_variant)pg32_load32(bytes + HDR_VARIANT_HI) << VARIANT_HI_SHIFT;
	h->entry = pg32_load32(bytes + HDR_ENTRY);
	h->nsegs = pg32_load32(bytes + HDR_NSEGS);
	h->nsyms = pg32_load32(bytes + HDR_NSYMS);
	h->strtab_size = pg32_load32(bytes + HDR_STRTAB_SIZE);

	if (h->magic != IMG_MAGIC) {
		say(msg, msglen, "bad magic 0x%08x (not a PG32 image)", h->magic);
		return PG32_EFORMAT;
	}
	if (h->version != IMG_VERSION) {
		say(msg, msglen, "unsupported version %u (this loader reads version %u)",
		    h->version, IMG_VERSION);
		return PG32_EFORMAT;
	}
	stray = h->variant & ~isa_variant_all_ill();
	if (stray != 0) {
		say(msg, msglen,
		    "bad variant 0x%016llx: bits 0x%016llx are not critical instructions",
		    (unsigned long long)h->variant, (unsigned long long)stray);
		return PG32_EFORMAT;
	}
	if (h->nsegs > IMG_MAX_SEGS) {
		say(msg, msglen, "too many segments: %u (at most %u)", h->nsegs, IMG_MAX_SEGS);
		return PG32_EFORMAT;
	}
	if (h->nsyms > IMG_MAX_SYMS) {
		say(msg, msglen, "too many symbols: %u (at most %u)", h->nsyms, IMG_MAX_SYMS);
		return PG32_EFORMAT;
	}
	*l = layout_of(h);
	if (l->segtab_end > len) {
		say(msg, msglen, "truncated: header says %u segments but the file ends at byte %zu",
		    h->nsegs, len);
		return PG32_EFORMAT;
	}
	if (l->symtab_end > len) {
		say(msg, msglen, "truncated: header says %u symbols but the file ends at byte %zu",
		    h->nsyms, len);
		return PG32_EFORMAT;
	}
	if (l->strtab_end > len) {
		say(msg, msglen,
		    "truncated: header says a %u-byte string table but the file ends at byte %zu",
		    h->strtab_size, len);
		return PG32_EFORMAT;
	}
	if (h->strtab_size > 0 && bytes[l->strtab_end - 1] != '\0') {
		say(msg, msglen, "string table not NUL-terminated");
		return PG32_EFORMAT;
	}
	return 0;
}

/* Each segment on its own: sizes, file range, memory range. */
static int check_segment(const struct raw_seg *s, uint32_t i, size_t len,
                         const struct layout *l, char *msg, size_t msglen)
{
	uint64_t file_end = (uint64_t)s->offset + s->file_size;
	uint64_t mem_end = (uint64_t)s->addr + s->mem_size;

	if (s->mem_size == 0) {
		say(msg, msglen, "segment %u is empty (memory size 0)", i);
		return PG32_EFORMAT;
	}
	if (s->mem_size < s->file_size) {
		say(msg, msglen, "segment %u mem_size 0x%x smaller than file size 0x%x", i,
		    s->mem_size, s->file_size);
		return PG32_EFORMAT;
	}
	if (s->offset < l->strtab_end) {
		say(msg, msglen,
		    "segment %u file offset %u lies in the header and tables (which end at byte %llu)",
		    i, s->offset, (unsigned long long)l->strtab_end);
		return PG32_EFORMAT;
	}
	if (file_end > len) {
		say(msg, msglen,
		    "segment %u file range [%u, %llu) runs past the end of the file (%zu bytes)", i,
		    s->offset, (unsigned long long)file_end, len);
		return PG32_EFORMAT;
	}
	if (s->addr < PG32_TRAP_AREA_END) {
		say(msg, msglen, "segment %u at 0x%08x overlaps the trap area (below 0x%x)", i,
		    s->addr, PG32_TRAP_AREA_END);
		return PG32_EFORMAT;
	}
	if (mem_end > PG32_MEM_MAX) {
		say(msg, msglen,
		    "segment %u [0x%08x, 0x%llx) ends past the largest memory (%u MiB)", i, s->addr,
		    (unsigned long long)mem_end, PG32_MEM_MAX >> MIB_SHIFT);
		return PG32_EFORMAT;
	}
	return 0;
}

/* Segments against each other, in memory and in the file, and trailing
 * bytes.  ord has room for nsegs entries. */
static int check_segment_set(const uint8_t *bytes, size_t len, const struct raw_header *h,
                             const struct layout *l, struct order *ord, char *msg,
                             size_t msglen)
{
	uint32_t i, n;
	uint64_t contents_end = l->strtab_end;

	for (i = 0; i < h->nsegs; i++) {
		struct raw_seg s = raw_seg_at(bytes, i);
		ord[i] = (struct order){ .key = s.addr, .idx = i };
	}
	qsort(ord, h->nsegs, sizeof *ord, order_by_key);
	for (i = 1; i < h->nsegs; i++) {
		struct raw_seg prev = raw_seg_at(bytes, ord[i - 1].idx);
		if ((uint64_t)prev.addr + prev.mem_size > ord[i].key) {
			uint32_t a = ord[i - 1].idx, b = ord[i].idx;
			say(msg, msglen, "segment %u overlaps segment %u", a > b ? a : b,
			    a > b ? b : a);
			return PG32_EFORMAT;
		}
	}

	/* File ranges: only segments with data occupy bytes. */
	for (i = 0, n = 0; i < h->nsegs; i++) {
		struct raw_seg s = raw_seg_at(bytes, i);
		if (s.file_size > 0)
			ord[n++] = (struct order){ .key = s.offset, .idx = i };
		if ((uint64_t)s.offset + s.file_size > contents_end)
			contents_end = (uint64_t)s.offset + s.file_size;
	}
	qsort(ord, n, sizeof *ord, order_by_key);
	for (i = 1; i < n; i++) {
		struct raw_seg prev = raw_seg_at(bytes, ord[i - 1].idx);
		if ((uint64_t)prev.offset + prev.file_size > ord[i].key) {
			uint32_t a = ord[i - 1].idx, b = ord[i].idx;
			say(msg, msglen, "segment %u file range overlaps the file range of segment %u",
			    a > b ? a : b, a > b ? b : a);
			return PG32_EFORMAT;
		}
	}
	if (len > contents_end) {
		say(msg, msglen, "%llu stray bytes after the end of the image contents (byte %llu)",
		    (unsigned long long)(len - contents_end), (unsigned long long)contents_end);
		return PG32_EFORMAT;
	}
	return 0;
}

/* Is addr in [start, end) of some segment, or (at_end_ok) equal to an end? */
static bool in_some_segment(const uint8_t *bytes, uint32_t nsegs, uint32_t addr, bool at_end_ok)
{
	uint32_t i;

	for (i = 0; i < nsegs; i++) {
		struct raw_seg s = raw_seg_at(bytes, i);
		uint64_t end = (uint64_t)s.addr + s.mem_size;
		if (addr >= s.addr && (addr < end || (at_end_ok && addr == end)))
			return true;
	}
	return false;
}

static int check_entry(const uint8_t *bytes, const struct raw_header *h, char *msg,
                       size_t msglen)
{
	if (h->entry % ISA_WORD_BYTES != 0) {
		say(msg, msglen, "entry point 0x%08x is not %u-aligned", h->entry, ISA_WORD_BYTES);
		return PG32_EFORMAT;
	}
	if (!in_some_segment(bytes, h->nsegs, h->entry, false)) {
		say(msg, msglen, "entry point 0x%08x is not inside any segment", h->entry);
		return PG32_EFORMAT;
	}
	return 0;
}

/* Symbol names are labels, spelled as the assembler spells them, so every
 * image can be disassembled and assembled again: [A-Za-z_][A-Za-z0-9_]*.
 * (Not isalpha(): the names must not depend on the locale.) */
static bool name_char(char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
		return true;
	return !first && ch >= '0' && ch <= '9';
}

/* Each symbol, then the names against each other.  ord has room for nsyms
 * entries. */
static int check_symbols(const uint8_t *bytes, const struct raw_header *h,
                         const struct layout *l, struct order *ord, char *msg, size_t msglen)
{
	const char *strtab = (const char *)bytes + l->symtab_end;
	uint32_t i;

	for (i = 0; i < h->nsyms; i++) {
		struct raw_sym s = raw_sym_at(bytes, l, i);
		const char *name, *c;

		if (s.kind != IMG_SYM_CODE && s.kind != IMG_SYM_DATA) {
			say(msg, msglen, "symbol %u has unknown kind %u (%u is code, %u is data)", i,
			    s.kind, IMG_SYM_CODE, IMG_SYM_DATA);
			return PG32_EFORMAT;
		}
		if (s.name >= h->strtab_size) {
			say(msg, msglen,
			    "symbol %u name offset %u past the string table (%u bytes)", i, s.name,
			    h->strtab_size);
			return PG32_EFORMAT;
		}
		/* The table is NUL-terminated, so the name ends inside it. */
		name = strtab + s.name;
		if (name[0] == '\0') {
			say(msg, msglen, "symbol %u has an empty name", i);
			return PG32_EFORMAT;
		}
		for (c = name; *c != '\0'; c++) {
			if (!name_char(*c, c == name)) {
				say(msg, msglen,
				    "symbol %u name has byte 0x%02x at %u: a name is a letter or _, "
				    "then letters, digits and _",
				    i, (unsigned char)*c, (unsigned)(c - name));
				return PG32_EFORMAT;
			}
		}
		if (!in_some_segment(bytes, h->nsegs, s.value, true)) {
			say(msg, msglen, "symbol %u (%.*s) value 0x%08x is not inside any segment", i,
			    MSG_NAME_MAX, name, s.value);
			return PG32_EFORMAT;
		}
		ord[i] = (struct order){ .name = name, .idx = i };
	}
	qsort(ord, h->nsyms, sizeof *ord, order_by_name);
	for (i = 1; i < h->nsyms; i++) {
		if (strcmp(ord[i - 1].name, ord[i].name) == 0) {
			say(msg, msglen, "duplicate symbol name \"%.*s\" (symbols %u and %u)",
			    MSG_NAME_MAX, ord[i].name, ord[i - 1].idx, ord[i].idx);
			return PG32_EFORMAT;
		}
	}
	return 0;
}

/* Check everything.  On success *h and *l describe the image. */
static int check_image(const uint8_t *bytes, size_t len, struct raw_header *h,
                       struct layout *l, char *msg, size_t msglen)
{
	struct order *ord;
	uint32_t i;
	int err;

	if (bytes == NULL && len > 0) {
		say(msg, msglen, "no bytes to parse");
		return PG32_EARG;
	}
	err = check_header(bytes, len, h, l, msg, msglen);
	if (err)
		return err;
	for (i = 0; i < h->nsegs; i++) {
		struct raw_seg s = raw_seg_at(bytes, i);
		err = check_segment(&s, i, len, l, msg, msglen);
		if (err)
			return err;
	}
	/* One scratch array serves both the segment and the symbol checks. */
	ord = malloc(((size_t)(h->nsegs > h->nsyms ? h->nsegs : h->nsyms) + 1) * sizeof *ord);
	if (ord == NULL) {
		say(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	err = check_segment_set(bytes, len, h, l, ord, msg, msglen);
	if (!err)
		err = check_entry(bytes, h, msg, msglen);
	if (!err)
		err = check_symbols(bytes, h, l, ord, msg, msglen);
	free(ord);
	return err;
}

/* ---- building the parsed image ---------------------------------------- */

static int build_image(const uint8_t *bytes, const struct raw_header *h,
                       const struct layout *l, struct image *img)
{
	const char *strtab = (const char *)bytes + l->symtab_end;
	struct order *ord = NULL;
	uint32_t i;

	memset(img, 0, sizeof *img);
	img->variant = h->variant;
	img->entry = h->entry;
	img->segs = calloc(h->nsegs + 1u, sizeof *img->segs);
	img->syms = calloc(h->nsyms + 1u, sizeof *img->syms);
	ord = malloc((h->nsyms + 1u) * sizeof *ord);
	if (img->segs == NULL || img->syms == NULL || ord == NULL)
		goto nomem;

	for (i = 0; i < h->nsegs; i++) {
		struct raw_seg s = raw_seg_at(bytes, i);
		struct img_segment *d = &img->segs[i];

		d->addr = s.addr;
		d->mem_size = s.mem_size;
		d->size = s.file_size;
		if (s.file_size > 0) {
			d->data = malloc(s.file_size);
			if (d->data == NULL)
				goto nomem;
			memcpy(d->data, bytes + s.offset, s.file_size);
		}
		img->nsegs = i + 1;
	}

	/* Symbols sorted by value; equal values keep their file order. */
	for (i = 0; i < h->nsyms; i++)
		ord[i] = (struct order){ .key = raw_sym_at(bytes, l, i).value, .idx = i };
	qsort(ord, h->nsyms, sizeof *ord, order_by_key);
	for (i = 0; i < h->nsyms; i++) {
		struct raw_sym s = raw_sym_at(bytes, l, ord[i].idx);
		struct img_symbol *d = &img->syms[i];

		d->value = s.value;
		d->kind = s.kind;
		d->name = strdup(strtab + s.name);
		if (d->name == NULL)
			goto nomem;
		img->nsyms = i + 1;
	}
	free(ord);
	return 0;

nomem:
	free(ord);
	img_free(img);
	return PG32_ENOMEM;
}

/* Contract: on success *img owns fresh copies of everything (free with
 * img_free) and its symbols are sorted by value, equal values in file order.
 * On failure returns PG32_EFORMAT (or PG32_ENOMEM, PG32_EARG), *img is all
 * zero, and msg holds one line naming the first bad field.  Reads only
 * bytes[0..len). */
int img_parse(const uint8_t *bytes, size_t len, struct image *img, char *msg, size_t msglen)
{
	struct raw_header h;
	struct layout l;
	int err;

	if (img == NULL) {
		say(msg, msglen, "no image to parse into");
		return PG32_EARG;
	}
	memset(img, 0, sizeof *img);
	err = check_image(bytes, len, &h, &l, msg, msglen);
	if (err)
		return err;
	err = build_image(bytes, &h, &l, img);
	if (err)
		say(msg, msglen, "out of memory");
	return err;
}

/* ---- writing --------------------------------------------------------- */

/* Serialize img and check the result with the parser's own rules, so a
 * written image is always one img_parse accepts. */
static int img_serialize(const struct image *img, uint8_t **bytes, size_t *len, char *msg,
                         size_t msglen)
{
	struct raw_header h;
	struct layout l;
	struct order *ord;
	uint64_t total, strtab_size = 0, strtab_start, pos;
	uint8_t *out, *p;
	uint32_t i;
	int err;

	*bytes = NULL;
	*len = 0;
	if (img->nsegs > IMG_MAX_SEGS || img->nsyms > IMG_MAX_SYMS ||
	    (img->nsegs > 0 && img->segs == NULL) || (img->nsyms > 0 && img->syms == NULL)) {
		say(msg, msglen, "image has bad counts: %u segments, %u symbols", img->nsegs,
		    img->nsyms);
		return PG32_EARG;
	}
	for (i = 0; i < img->nsyms; i++) {
		if (img->syms[i].name == NULL) {
			say(msg, msglen, "symbol %u has no name", i);
			return PG32_EARG;
		}
		strtab_size += strlen(img->syms[i].name) + 1;
	}
	total = IMG_HEADER_BYTES + (uint64_t)img->nsegs * IMG_SEG_BYTES +
	        (uint64_t)img->nsyms * IMG_SYM_BYTES + strtab_size;
	for (i = 0; i < img->nsegs; i++) {
		if (img->segs[i].size > 0 && img->segs[i].data == NULL) {
			say(msg, msglen, "segment %u has %u bytes of size but no data", i,
			    img->segs[i].size);
			return PG32_EARG;
		}
		total += img->segs[i].size;
	}
	if (total > IMG_MAX_BYTES) {
		say(msg, msglen, "image would be %llu bytes, more than the limit of %u bytes",
		    (unsigned long long)total, IMG_MAX_BYTES);
		return PG32_ERANGE;
	}
	out = calloc((size_t)total, 1);
	ord = malloc((img->nsyms + 1u) * sizeof *ord);
	if (out == NULL || ord == NULL) {
		free(out);
		free(ord);
		say(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}

	pg32_store32(out + HDR_MAGIC, IMG_MAGIC);
	pg32_store32(out + HDR_VERSION, IMG_VERSION);
	pg32_store32(out + HDR_VARIANT_LO, (uint32_t)img->variant);
	pg32_store32(out + HDR_VARIANT_HI, (uint32_t)(img->variant >> VARIANT_HI_SHIFT));
	pg32_store32(out + HDR_ENTRY, img->entry);
	pg32_store32(out + HDR_NSEGS, img->nsegs);
	pg32_store32(out + HDR_NSYMS, img->nsyms);
	pg32_store32(out + HDR_STRTAB_SIZE, (uint32_t)strtab_size);

	/* Segment contents follow the tables, packed, in segment order. */
	pos = total;
	for (i = 0; i < img->nsegs; i++)
		pos -= img->segs[i].size;
	for (i = 0; i < img->nsegs; i++) {
		const struct img_segment *s = &img->segs[i];
		p = out + IMG_HEADER_BYTES + (size_t)i * IMG_SEG_BYTES;
		pg32_store32(p + SEG_OFFSET, (uint32_t)pos);
		pg32_store32(p + SEG_FILE_SIZE, s->size);
		pg32_store32(p + SEG_ADDR, s->addr);
		pg32_store32(p + SEG_MEM_SIZE, s->mem_size);
		if (s->size > 0)
			memcpy(out + pos, s->data, s->size);
		pos += s->size;
	}

	/* Symbols in canonical order: by value, ties in the caller's order. */
	for (i = 0; i < img->nsyms; i++)
		ord[i] = (struct order){ .key = img->syms[i].value, .idx = i };
	qsort(ord, img->nsyms, sizeof *ord, order_by_key);
	strtab_start = IMG_HEADER_BYTES + (uint64_t)img->nsegs * IMG_SEG_BYTES +
	               (uint64_t)img->nsyms * IMG_SYM_BYTES;
	pos = strtab_start;
	for (i = 0; i < img->nsyms; i++) {
		const struct img_symbol *s = &img->syms[ord[i].idx];
		size_t n = strlen(s->name) + 1;

		p = out + IMG_HEADER_BYTES + (size_t)img->nsegs * IMG_SEG_BYTES +
		    (size_t)i * IMG_SYM_BYTES;
		pg32_store32(p + SYM_VALUE, s->value);
		pg32_store32(p + SYM_NAME, (uint32_t)(pos - strtab_start));
		pg32_store32(p + SYM_KIND, s->kind);
		memcpy(out + pos, s->name, n);
		pos += n;
	}
	free(ord);

	err = check_image(out, (size_t)total, &h, &l, msg, msglen);
	if (err) {
		free(out);
		return err == PG32_EFORMAT ? PG32_EARG : err;
	}
	*bytes = out;
	*len = (size_t)total;
	return 0;
}

/* Contract: the layout is canonical (header, tables, string table, then
 * segment contents packed in segment order; symbols by value, ties in the
 * caller's order), so parse-then-write gives back the same bytes.  Returns
 * PG32_EARG, and *bytes = NULL, for an image img_parse would refuse. */
int img_write(const struct image *img, uint8_t **bytes, size_t *len)
{
	if (img == NULL || bytes == NULL || len == NULL)
		return PG32_EARG;
	return img_serialize(img, bytes, len, NULL, 0);
}

/* Contract: as img_write, then the bytes go to path; messages start with
 * the path.  A failed write removes the partial file. */
int img_write_file(const struct image *img, const char *path, char *msg, size_t msglen)
{
	uint8_t *bytes;
	size_t len;
	FILE *f;
	int err;

	if (img == NULL || path == NULL) {
		say(msg, msglen, "no image or no path to write");
		return PG32_EARG;
	}
	err = img_serialize(img, &bytes, &len, msg, msglen);
	if (err) {
		say_prefix(msg, msglen, path);
		return err;
	}
	f = fopen(path, "wb");
	if (f == NULL) {
		say(msg, msglen, "%s: cannot create: %s", path, strerror(errno));
		free(bytes);
		return PG32_EIO;
	}
	if (fwrite(bytes, 1, len, f) != len) {
		say(msg, msglen, "%s: write error: %s", path, strerror(errno));
		fclose(f);
		remove(path);
		free(bytes);
		return PG32_EIO;
	}
	free(bytes);
	if (fclose(f) != 0) {
		say(msg, msglen, "%s: write error: %s", path, strerror(errno));
		remove(path);
		return PG32_EIO;
	}
	return 0;
}

/* ---- loading into memory and looking up symbols --------------------------- */

/* Contract: copies each segment's data to mem + addr and zeroes the rest
 * of its memory size; memory outside the segments (the trap area included)
 * is not touched.  If any segment does not fit in mem_size, returns
 * PG32_ERANGE and writes nothing at all. */
int img_place(const struct image *img, uint8_t *mem, uint32_t mem_size, char *msg,
              size_t msglen)
{
	uint32_t i;

	if (img == NULL || mem == NULL || (img->nsegs > 0 && img->segs == NULL)) {
		say(msg, msglen, "no image or no memory to place it in");
		return PG32_EARG;
	}
	/* Check every segment first: a failed placement writes nothing. */
	for (i = 0; i < img->nsegs; i++) {
		const struct img_segment *s = &img->segs[i];
		uint64_t end = (uint64_t)s->addr + s->mem_size;

		if (end > mem_size) {
			say(msg, msglen,
			    "segment %u [0x%08x, 0x%llx) does not fit in the memory size 0x%x", i,
			    s->addr, (unsigned long long)end, mem_size);
			return PG32_ERANGE;
		}
		if (s->size > s->mem_size || (s->size > 0 && s->data == NULL)) {
			say(msg, msglen, "segment %u is malformed (size 0x%x, mem_size 0x%x)", i,
			    s->size, s->mem_size);
			return PG32_EARG;
		}
	}
	for (i = 0; i < img->nsegs; i++) {
		const struct img_segment *s = &img->segs[i];

		if (s->size > 0)
			memcpy(mem + s->addr, s->data, s->size);
		memset(mem + s->addr + s->size, 0, s->mem_size - s->size);
	}
	return 0;
}

/* Contract: img->syms must be sorted by value (img_parse leaves them so).
 * O(log n). */
const char *img_symbol_at(const struct image *img, uint32_t addr)
{
	uint32_t lo = 0, hi, i;
	const char *found = NULL;

	if (img == NULL || img->syms == NULL)
		return NULL;
	/* Binary search for the first symbol with value >= addr. */
	hi = img->nsyms;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (img->syms[mid].value < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < img->nsyms && img->syms[i].value == addr; i++) {
		if (img->syms[i].kind == IMG_SYM_CODE)
			return img->syms[i].name;
		if (found == NULL)
			found = img->syms[i].name;
	}
	return found;
}

/* Contract: exact, case-sensitive name; value may be NULL.  O(n). */
bool img_symbol_value(const struct image *img, const char *name, uint32_t *value)
{
	uint32_t i;

	if (img == NULL || name == NULL || img->syms == NULL)
		return false;
	for (i = 0; i < img->nsyms; i++) {
		if (img->syms[i].name != NULL && strcmp(img->syms[i].name, name) == 0) {
			if (value != NULL)
				*value = img->syms[i].value;
			return true;
		}
	}
	return false;
}

/* Contract: frees what img owns and zeroes it; NULL, an all-zero image and
 * a freed image are all fine. */
void img_free(struct image *img)
{
	uint32_t i;

	if (img == NULL)
		return;
	if (img->segs != NULL)
		for (i = 0; i < img->nsegs; i++)
			free(img->segs[i].data);
	if (img->syms != NULL)
		for (i = 0; i < img->nsyms; i++)
			free(img->syms[i].name);
	free(img->segs);
	free(img->syms);
	memset(img, 0, sizeof *img);
}

/* Contract: pg32_read_file (at most IMG_MAX_BYTES) then img_parse; every
 * message starts with the path. */
int img_load_file(const char *path, struct image *img, char *msg, size_t msglen)
{
	uint8_t *bytes;
	size_t len;
	int err;

	if (img != NULL)
		memset(img, 0, sizeof *img);
	if (path == NULL || img == NULL) {
		say(msg, msglen, "no path or no image to load into");
		return PG32_EARG;
	}
	err = pg32_read_file(path, IMG_MAX_BYTES, &bytes, &len, msg, msglen);
	if (err)
		return err;
	err = img_parse(bytes, len, img, msg, msglen);
	free(bytes);
	if (err)
		say_prefix(msg, msglen, path);
	return err;
}

/* ---- files -------------------------------------------------------------- */

/* Contract: on success *bytes is a malloc'd buffer of *len bytes (never
 * NULL, even for an empty file).  Errors, with "PATH: ..." messages:
 * PG32_EIO (cannot open or read, with strerror), PG32_ERANGE (more than max
 * bytes), PG32_ENOMEM.  On error *bytes is NULL. */
int pg32_read_file(const char *path, size_t max, uint8_t **bytes, size_t *len, char *msg,
                   size_t msglen)
{
	size_t cap = READ_CHUNK, n = 0;
	uint8_t *buf;
	FILE *f;

	if (path == NULL || bytes == NULL || len == NULL) {
		say(msg, msglen, "no path to read");
		return PG32_EARG;
	}
	*bytes = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		say(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
		return PG32_EIO;
	}
	buf = malloc(cap);
	if (buf == NULL)
		goto nomem;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *bigger;
			if (cap > max || cap > SIZE_MAX / 2) /* past max: too big */
				break;
			cap *= 2;
			bigger = realloc(buf, cap);
			if (bigger == NULL)
				goto nomem;
			buf = bigger;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0 || n > max)
			break;
	}
	if (ferror(f)) {
		say(msg, msglen, "%s: read error: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return PG32_EIO;
	}
	fclose(f);
	if (n > max) {
		say(msg, msglen, "%s: file is larger than %zu bytes", path, max);
		free(buf);
		return PG32_ERANGE;
	}
	*bytes = buf;
	*len = n;
	return 0;

nomem:
	say(msg, msglen, "%s: out of memory", path);
	free(buf);
	fclose(f);
	return PG32_ENOMEM;
}
