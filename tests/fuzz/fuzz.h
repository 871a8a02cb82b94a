/*
 * fuzz.h -- the fuzz targets of issue 8 (tests/fuzz/): one entry function
 * per target, shared by the libFuzzer programs (build-fuzz/fuzz/fuzz_*,
 * `make fuzz`) and by the cmocka program tests/test_fuzz_regress.c, which
 * runs the seed inputs and every saved crash (tests/fuzz/regress/) through
 * the same functions in the normal test suite, without clang.
 *
 * Each entry function takes one input of any bytes, never crashes, never
 * leaks, and returns 0, or -1 after printing on stderr which promise the
 * input broke (the libFuzzer wrapper then aborts, so the input is saved as
 * a crash).  Files are written only in the sandbox directory.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The assembler: asm_assemble_bytes on the input as source text, named
 * SANDBOX/fuzz.s, so .include finds only the sandbox's files. */
int fuzz_asm_one(const uint8_t *data, size_t size);

/* The image loader: img_parse, and for an accepted image img_write,
 * img_parse again, the same bytes again, img_place, the disassembler. */
int fuzz_image_one(const uint8_t *data, size_t size);

/* The CPU plus the monitor: the input is a control header and a guest
 * (see FUZZ_VMM_* in fuzz_vmm.c and tests/fuzz/README.md), run under the
 * monitor between two victim guests; checked for containment and, in the
 * well-behaved variant, equivalence with the bare machine. */
int fuzz_vmm_one(const uint8_t *data, size_t size);

/* The debugger's command parser: each line of the input (after a header
 * byte choosing the session) given to dbg_command on a fresh session over
 * two small guests with bounded runs (fuzz_dbg.c). */
int fuzz_dbg_one(const uint8_t *data, size_t size);

/* The grader's result writers: a grade_result made of the input (any
 * names, messages, outputs, scores) written in every format; the JSON ones
 * must parse, the XML must be well-formed (fuzz_grade.c). */
int fuzz_grade_one(const uint8_t *data, size_t size);

/* Is text[0..len) exactly one JSON value (RFC 8259, strict), ASCII only? */
bool fuzz_json_ok(const char *text, size_t len);

/* Is text[0..len) well-formed XML as the JUnit writer makes it: an
 * optional declaration, one root element, balanced tags, quoted attribute
 * values, only the five predefined entities, no raw '<' or '&', ASCII and
 * no control characters but tab and newline? */
bool fuzz_xml_ok(const char *text, size_t len);

/* The sandbox: a private temporary directory, made on first use (in
 * $TMPDIR or /tmp) with a copy of guests/pg32.inc when it can be read, and
 * removed with its files at exit.  NULL if it cannot be made. */
const char *fuzz_sandbox(void);

/* Print "fuzz: TARGET: message" on stderr and return -1. */
int fuzz_fail(const char *target, const char *fmt, ...);

#endif /* FUZZ_H */
