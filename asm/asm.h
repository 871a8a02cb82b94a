/*
 * asm.h -- the public interface of asm/: the PG32 assembler as a library.
 *
 * The assembler reads PG32 assembly text (docs/asm.md) and produces a
 * struct image (isa/pg32.h) ready for img_write_file().  It is a two-pass
 * assembler built on a reentrant flex scanner and a pure bison parser; the
 * tool build/bin/tzas (asm/tzas.c) is a thin main() around this header.
 *
 * The library keeps no global state: two assemblies may run at once in
 * different threads.  It never exits and never prints, except diagnostics
 * to the caller's diag stream and the listing to the caller's listing
 * stream.  Diagnostics look like gcc's:
 *
 *     file.s:12:9: error: unknown mnemonic 'ad'; did you mean 'add'?
 *         ad r1, r2, r3
 *         ^~
 */
#ifndef ASM_H
#define ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pg32.h"

/* How many errors are reported before the assembler stops. */
#define ASM_MAX_ERRORS_DEFAULT 20u

struct asm_options {
	/* Directories searched by .include after the including file's own
	 * directory, in order. */
	const char *const *include_dirs;
	size_t ninclude_dirs;
	/* The ISA variant of the image.  When variant_given is true it wins
	 * over any .isa directive in the source; otherwise the source's .isa
	 * decides, and without one the variant is ISA_VARIANT_WELL. */
	isa_variant variant;
	bool variant_given;
	/* If not NULL, the listing (address, encoding, source line) is
	 * written here. */
	FILE *listing;
	/* Errors reported before stopping with "too many errors"; 0 means
	 * ASM_MAX_ERRORS_DEFAULT. */
	unsigned max_errors;
};

/* Assemble the file at path.  opt may be NULL (all defaults); diag may be
 * NULL (diagnostics are dropped).  Returns the number of errors reported:
 * 0 means success and *out holds the image, which the caller releases with
 * img_free().  On any error *out is left empty (all zero; img_free() on it
 * is harmless).  When the error limit is reached the count returned is
 * max_errors + 1 (the last one being "too many errors"). */
int asm_assemble_file(const char *path, const struct asm_options *opt, struct image *out,
                      FILE *diag);

/* The same for source text held in memory.  name is what diagnostics call
 * the text (and its directory is searched first by .include); text is a
 * NUL-terminated string. */
int asm_assemble_string(const char *name, const char *text, const struct asm_options *opt,
                        struct image *out, FILE *diag);

/* The same for len bytes that may contain NUL bytes (which are errors in
 * assembly text, but the assembler must not stop reading at them). */
int asm_assemble_bytes(const char *name, const char *bytes, size_t len,
                       const struct asm_options *opt, struct image *out, FILE *diag);

#endif /* ASM_H */
