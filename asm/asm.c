/*
 * asm.c -- the assembler's driver: the public entry points of asm.h, the
 * passes, the sources (.include and its search path, include cycles), and
 * the image built from the final pass's bytes.
 *
 *   asm_assemble_file/string/bytes
 *     -> pass 1: asm_parse_source(top)   sizes, labels, li decisions
 *     -> (more sizing passes, only while they resolve chains of
 *         forward references between .equ constants)
 *     -> final pass                      bytes, values, range checks
 *     -> build_image                     segments, entry, symbols
 *
 * asm_parse_source runs the scanner and parser (lexer.l) over one source;
 * .include and macro calls call it again, recursively, for their text.
 */
#include "asm_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_MSG_MAX 512
#define SEARCH_LIST_MAX 512

/* A file read once and shared by both passes and every .include of it. */
struct asm_file {
	char *path;
	char *text;
	size_t len;
	struct asm_file *next;
};

/* ---- memory ----------------------------------------------------------------- */

void asm_out_of_memory(struct asm_ctx *a)
{
	asm_fatal(a, NULL, "out of memory");
}

bool asm_grow(struct asm_ctx *a, void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : ASM_GROW_MIN;
	void *p;

	if (need <= *cap)
		return true;
	while (n < need) {
		if (n > SIZE_MAX / 2 / sz) {
			asm_out_of_memory(a);
			return false;
		}
		n *= 2;
	}
	p = realloc(*arr, n * sz);
	if (p == NULL) {
		asm_out_of_memory(a);
		return false;
	}
	*arr = p;
	*cap = n;
	return true;
}

/* ---- sources ---------------------------------------------------------------- */

struct asm_src *asm_src_new(struct asm_ctx *a, enum asm_src_kind kind, const char *name,
                            size_t name_len, const char *text, size_t len)
{
	struct asm_src *s = calloc(1, sizeof *s);

	if (s == NULL || (s->name = malloc(name_len + 1)) == NULL) {
		free(s);
		asm_out_of_memory(a);
		return NULL;
	}
	memcpy(s->name, name, name_len);
	s->name[name_len] = '\0';
	s->kind = kind;
	s->text = text;
	s->len = len;
	s->next = a->srcs;
	a->srcs = s;
	return s;
}

void asm_parse_source(struct asm_ctx *a, struct asm_src *src)
{
	size_t saved_base = a->cond_base;

	if (a->stop)
		return;
	a->cond_base = a->nconds;
	src->active = true;
	asm_lex_parse(a, src);
	src->active = false;
	asm_cond_close(a, a->cond_base);
	a->cond_base = saved_base;
}

/* The file whose text a location is in (through macro bodies). */
static const struct asm_src *file_of(const struct asm_src *s)
{
	while (s->kind == ASM_SRC_MACRO && s->origin != NULL)
		s = s->origin;
	return s;
}

/* dir/name, or name alone when dir is empty; NULL when out of memory. */
static char *path_join(const char *dir, size_t dir_len, const char *name)
{
	size_t n = strlen(name);
	char *p = malloc(dir_len + 1 + n + 1);

	if (p == NULL)
		return NULL;
	if (dir_len > 0) {
		memcpy(p, dir, dir_len);
		p[dir_len] = '/';
		memcpy(p + dir_len + 1, name, n + 1);
	} else {
		memcpy(p, name, n + 1);
	}
	return p;
}

static bool is_regular(const char *path, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode);
}

/* Find name: the including file's directory, then the -I directories. */
static char *include_resolve(struct asm_ctx *a, const char *name, const struct asm_src *from,
                             struct stat *st)
{
	const char *slash;
	char *p;

	if (name[0] == '/') {
		p = path_join("", 0, name);
		if (p != NULL && is_regular(p, st))
			return p;
		free(p);
		return NULL;
	}
	slash = strrchr(from->name, '/');
	p = path_join(from->name, slash ? (size_t)(slash - from->name) : 0, name);
	if (p != NULL && is_regular(p, st))
		return p;
	free(p);
	for (size_t i = 0; i < a->ninclude_dirs; i++) {
		p = path_join(a->include_dirs[i], strlen(a->include_dirs[i]), name);
		if (p != NULL && is_regular(p, st))
			return p;
		free(p);
	}
	return NULL;
}

/* The text of a file, read once per assembly. */
static struct asm_file *file_load(struct asm_ctx *a, const char *path, const struct asm_loc *loc)
{
	struct asm_file *f = asm_map_get(&a->files, path, strlen(path));
	char msg[READ_MSG_MAX];
	uint8_t *bytes;
	size_t len;

	if (f != NULL)
		return f;
	if (pg32_read_file(path, ASM_MAX_SOURCE_BYTES, &bytes, &len, msg, sizeof msg) != 0) {
		asm_error(a, loc, "%s", msg);
		return NULL;
	}
	f = calloc(1, sizeof *f);
	char *text = realloc(bytes, len + 1);
	if (f == NULL || text == NULL || (f->path = strdup(path)) == NULL) {
		free(f);
		free(text ? text : (char *)bytes);
		asm_out_of_memory(a);
		return NULL;
	}
	text[len] = '\0';
	f->text = text;
	f->len = len;
	if (!asm_map_put(&a->files, f->path, strlen(f->path), f)) {
		free(f->path);
		free(f->text);
		free(f);
		asm_out_of_memory(a);
		return NULL;
	}
	return f;
}

/* Describe the search path for "cannot find" messages. */
static void search_list(const struct asm_ctx *a, const struct asm_src *from, char *buf, size_t len)
{
	const char *slash = strrchr(from->name, '/');
	size_t used = (size_t)snprintf(buf, len, "'%.*s'", slash ? (int)(slash - from->name) : 1,
	                               slash ? from->name : ".");
	for (size_t i = 0; i < a->ninclude_dirs && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, ", '%s'", a->include_dirs[i]);
}

void asm_include(struct asm_ctx *a, const struct asm_operand *op, const struct asm_loc *loc)
{
	const struct asm_src *from = file_of(loc->src);
	size_t body;
	const char *text = asm_string_body(op, &body);
	char *name = malloc(body + 1), *path = NULL;
	char searched[SEARCH_LIST_MAX];
	struct asm_listline saved;
	struct asm_file *f;
	struct asm_src *src;
	struct stat st;
	size_t n;

	if (name == NULL) {
		asm_out_of_memory(a);
		return;
	}
	n = asm_unescape(text, body, (uint8_t *)name, body, NULL);
	name[n] = '\0';
	if (n == 0 || strlen(name) != n) {
		asm_error(a, &op->loc, "bad file name for '.include'");
		goto out;
	}
	if (a->include_depth >= ASM_MAX_INCLUDE_DEPTH) {
		asm_error(a, loc, "'.include' nested more than %d deep", ASM_MAX_INCLUDE_DEPTH);
		goto out;
	}
	path = include_resolve(a, name, from, &st);
	if (path == NULL) {
		search_list(a, from, searched, sizeof searched);
		asm_error(a, &op->loc, "cannot find '%s' to include (searched %s)", name, searched);
		goto out;
	}
	for (const struct asm_src *s = a->srcs; s != NULL; s = s->next) {
		if (s->active && s->has_id && s->dev == st.st_dev && s->ino == st.st_ino) {
			asm_error(a, &op->loc, "'.include' cycle: '%s' is already being assembled", path);
			if (s->site.src != NULL)
				asm_note(a, &s->site, "'%s' was included here", s->name);
			goto out;
		}
	}
	f = file_load(a, path, &op->loc);
	if (f == NULL)
		goto out;
	src = asm_src_new(a, ASM_SRC_FILE, path, strlen(path), f->text, f->len);
	if (src == NULL)
		goto out;
	src->site = *loc;
	src->has_id = true;
	src->dev = st.st_dev;
	src->ino = st.st_ino;

	asm_list_line(a, loc);
	saved = a->line;
	memset(&a->line, 0, sizeof a->line);
	a->nops = 0;
	a->line_bad = false;
	a->include_depth++;
	asm_parse_source(a, src);
	a->include_depth--;
	a->line = saved;
out:
	free(name);
	free(path);
}

/* ---- the image ------------------------------------------------------------ */

static int seg_order(const void *x, const void *y)
{
	const struct asm_seg *s = x, *t = y;

	if (s->addr != t->addr)
		return s->addr < t->addr ? -1 : 1;
	return s->loc.begin < t->loc.begin ? -1 : s->loc.begin > t->loc.begin;
}

static int sym_order(const void *x, const void *y)
{
	const struct asm_sym *s = *(const struct asm_sym *const *)x;
	const struct asm_sym *t = *(const struct asm_sym *const *)y;

	if (s->value != t->value)
		return s->value < t->value ? -1 : 1;
	return s->seq < t->seq ? -1 : s->seq > t->seq;
}

/* Sort and merge the segments; report overlaps. */
static void merge_segments(struct asm_ctx *a)
{
	size_t out = 0;

	if (a->nsegs > 1)
		qsort(a->segs, a->nsegs, sizeof *a->segs, seg_order);
	for (size_t i = 0; i < a->nsegs; i++) {
		struct asm_seg *s = &a->segs[i];
		struct asm_seg *prev = out > 0 ? &a->segs[out - 1] : NULL;
		uint64_t prev_end = prev ? (uint64_t)prev->addr + prev->len : 0;

		if (s->len == 0) {
			free(s->data);
			continue;
		}
		if (prev != NULL && prev_end > s->addr) {
			asm_error_late(a, &s->loc, "bytes at 0x%08x overlap bytes already placed at 0x%08x..0x%08llx",
			               s->addr, prev->addr, (unsigned long long)prev_end - 1);
			asm_note(a, &prev->loc, "the earlier bytes start here");
			free(s->data);
			continue;
		}
		if (prev != NULL && prev_end == s->addr) {
			if (!asm_grow(a, (void **)&prev->data, &prev->cap, prev->len + s->len, 1)) {
				free(s->data);
				continue;
			}
			memcpy(prev->data + prev->len, s->data, s->len);
			prev->len += s->len;
			free(s->data);
			continue;
		}
		a->segs[out++] = *s;
	}
	a->nsegs = out;
}

static bool in_segment(const struct asm_ctx *a, uint64_t addr, bool end_ok)
{
	for (size_t i = 0; i < a->nsegs; i++) {
		uint64_t end = (uint64_t)a->segs[i].addr + a->segs[i].len;
		if (addr >= a->segs[i].addr && (addr < end || (end_ok && addr == end)))
			return true;
	}
	return false;
}

static uint32_t image_entry(struct asm_ctx *a)
{
	const struct asm_sym *start = asm_sym_find(a, "_start", strlen("_start"));
	const struct asm_loc *loc = a->entry_set ? &a->entry_loc : NULL;
	int64_t e;

	if (a->entry_set) {
		if (!asm_val_check(a, &a->entry, false, &a->entry_loc))
			return 0;
		e = a->entry.v;
	} else if (start != NULL && start->pass == a->pass && !start->builtin) {
		e = start->value;
		loc = &start->def;
	} else {
		e = a->first_emit;
	}
	if (e % ISA_WORD_BYTES != 0)
		asm_error_late(a, loc, "entry point 0x%llx is not a multiple of %u",
		               (unsigned long long)e, ISA_WORD_BYTES);
	else if (!in_segment(a, (uint64_t)e, false))
		asm_error_late(a, loc, "entry point 0x%llx is outside the program's code and data",
		               (unsigned long long)e);
	return (uint32_t)e;
}

static void build_image(struct asm_ctx *a, struct image *img)
{
	struct asm_sym **syms = NULL;
	size_t nsyms = 0;

	merge_segments(a);
	if (a->nsegs == 0) {
		asm_error_late(a, NULL, "the program has no code or data to put in an image");
		return;
	}
	if (a->nsegs > IMG_MAX_SEGS) {
		asm_error_late(a, &a->segs[IMG_MAX_SEGS].loc,
		               "too many separate segments (%zu; an image holds %u): use fewer '.org'",
		               a->nsegs, IMG_MAX_SEGS);
		return;
	}
	img->entry = image_entry(a);
	img->variant = a->variant;

	/* Labels of the final pass inside (or at the end of) the bytes; a label with
	 * no bytes around it (after a last .org) has no place in an image. */
	syms = malloc((a->nsyms + 1) * sizeof *syms);
	if (syms == NULL) {
		asm_out_of_memory(a);
		return;
	}
	for (size_t i = 0; i < a->nsyms; i++) {
		struct asm_sym *s = a->symlist[i];
		if (s->is_label && s->pass == a->pass && !s->builtin && in_segment(a, (uint64_t)s->value, true))
			syms[nsyms++] = s;
	}
	if (nsyms > IMG_MAX_SYMS)
		asm_error_late(a, NULL, "too many labels (%zu; an image holds %u)", nsyms, IMG_MAX_SYMS);
	if (a->errors > 0) {
		free(syms);
		return;
	}
	qsort(syms, nsyms, sizeof *syms, sym_order);

	img->segs = calloc(a->nsegs, sizeof *img->segs);
	img->syms = calloc(nsyms + 1, sizeof *img->syms);
	if (img->segs == NULL || img->syms == NULL)
		goto nomem;
	for (size_t i = 0; i < a->nsegs; i++) {
		struct asm_seg *s = &a->segs[i];
		img->segs[i] = (struct img_segment){ .addr = s->addr, .mem_size = (uint32_t)s->len,
		                                     .size = (uint32_t)s->len, .data = s->data };
		s->data = NULL; /* the image owns it now */
		img->nsegs++;
	}
	for (size_t i = 0; i < nsyms; i++) {
		img->syms[i].value = (uint32_t)syms[i]->value;
		img->syms[i].kind = syms[i]->kind;
		img->syms[i].name = strdup(syms[i]->name);
		if (img->syms[i].name == NULL)
			goto nomem;
		img->nsyms++;
	}
	free(syms);
	return;
nomem:
	free(syms);
	asm_out_of_memory(a);
}

/* ---- the context ----------------------------------------------------------- */

static void ctx_init(struct asm_ctx *a, const struct asm_options *opt, FILE *diag,
                     const char *name)
{
	memset(a, 0, sizeof *a);
	a->diag = diag;
	a->name = name;
	a->max_errors = ASM_MAX_ERRORS_DEFAULT;
	a->pass = 1;
	if (opt != NULL) {
		a->include_dirs = opt->include_dirs;
		a->ninclude_dirs = opt->include_dirs ? opt->ninclude_dirs : 0;
		a->opt_variant = opt->variant;
		a->opt_variant_given = opt->variant_given;
		a->listing = opt->listing;
		if (opt->max_errors > 0)
			a->max_errors = opt->max_errors;
	}
	asm_mnem_init(a);
	asm_sym_init_builtins(a);
}

static void ctx_free(struct asm_ctx *a)
{
	struct asm_src *s = a->srcs, *next;

	asm_macro_free(a);
	free(a->macrolist);
	free(a->conds);
	asm_sym_free(a);
	asm_stmt_free(a);
	for (; s != NULL; s = next) {
		next = s->next;
		if (s->owns_text)
			free((char *)s->text);
		free(s->name);
		free(s);
	}
	for (size_t i = 0; i < a->files.cap; i++) {
		struct asm_file *f = a->files.slots[i].value;
		if (a->files.slots[i].key != NULL) {
			free(f->path);
			free(f->text);
			free(f);
		}
	}
	asm_map_free(&a->files);
}

static void run_pass(struct asm_ctx *a, int pass, bool final)
{
	a->pass = pass;
	a->final = final;
	a->store = final && a->errors == 0;
	a->equ_deferred = 0;
	asm_sym_pass_begin(a);
	asm_macro_pass_begin(a);
	asm_stmt_pass_begin(a);
	asm_parse_source(a, a->top);
}

/* Pass 1 over the top source; more sizing passes while they define .equ
 * constants that pass 1 could not (chains of forward references); the
 * final pass; then the image. */
static void assemble(struct asm_ctx *a, struct asm_src *top, struct image *out)
{
	int pass = 1;
	unsigned deferred;

	a->top = top;
	run_pass(a, pass, false);
	a->variant = a->opt_variant_given ? a->opt_variant
	             : a->isa_set         ? a->isa_variant
	                                  : ISA_VARIANT_WELL;
	do {
		deferred = a->equ_deferred;
		if (deferred == 0 || a->stop || pass + 1 >= ASM_MAX_PASSES)
			break;
		run_pass(a, ++pass, false);
	} while (a->equ_deferred < deferred);
	if (!a->stop)
		run_pass(a, ++pass, true);
	if (!a->stop && a->errors == 0)
		build_image(a, out);
	if (a->errors > 0)
		img_free(out);
}

/* Assemble text (malloc'd, NUL after len bytes; the context takes it).
 * st, if not NULL, identifies the file for include cycles. */
static void assemble_text(struct asm_ctx *a, char *text, size_t len, const struct stat *st,
                          struct image *out)
{
	struct asm_src *top = asm_src_new(a, ASM_SRC_FILE, a->name, strlen(a->name), text, len);

	if (top == NULL) {
		free(text);
		return;
	}
	top->owns_text = true;
	if (st != NULL) {
		top->has_id = true;
		top->dev = st->st_dev;
		top->ino = st->st_ino;
	}
	assemble(a, top, out);
}

int asm_assemble_bytes(const char *name, const char *bytes, size_t len,
                       const struct asm_options *opt, struct image *out, FILE *diag)
{
	struct asm_ctx a;
	char *text;

	memset(out, 0, sizeof *out);
	ctx_init(&a, opt, diag, name);
	if (len > ASM_MAX_SOURCE_BYTES) {
		asm_fatal(&a, NULL, "source too large (%zu bytes; the limit is %u)", len,
		          ASM_MAX_SOURCE_BYTES);
	} else if ((text = malloc(len + 1)) == NULL) {
		asm_out_of_memory(&a);
	} else {
		memcpy(text, bytes, len);
		text[len] = '\0';
		assemble_text(&a, text, len, NULL, out);
	}
	ctx_free(&a);
	return (int)a.errors;
}

int asm_assemble_string(const char *name, const char *text, const struct asm_options *opt,
                        struct image *out, FILE *diag)
{
	return asm_assemble_bytes(name, text, strlen(text), opt, out, diag);
}

int asm_assemble_file(const char *path, const struct asm_options *opt, struct image *out,
                      FILE *diag)
{
	struct asm_ctx a;
	char msg[READ_MSG_MAX];
	uint8_t *bytes;
	size_t len, skip = strlen(path);
	struct stat st;
	char *text;

	memset(out, 0, sizeof *out);
	ctx_init(&a, opt, diag, path);
	if (pg32_read_file(path, ASM_MAX_SOURCE_BYTES, &bytes, &len, msg, sizeof msg) != 0) {
		/* The message starts with the path, which the diagnostic gives. */
		if (strncmp(msg, path, skip) != 0 || msg[skip] != ':')
			skip = 0;
		else
			skip += strlen(": ");
		asm_error(&a, NULL, "%s", msg + skip);
	} else if ((text = realloc(bytes, len + 1)) == NULL) {
		free(bytes);
		asm_out_of_memory(&a);
	} else {
		text[len] = '\0';
		assemble_text(&a, text, len, stat(path, &st) == 0 ? &st : NULL, out);
	}
	ctx_free(&a);
	return (int)a.errors;
}
