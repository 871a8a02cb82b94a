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

/* The sandbox: a private temporary directory, made on first use (in
 * $TMPDIR or /tmp) with a copy of guests/pg32.inc when it can be read, and
 * removed with its files at exit.  NULL if it cannot be made. */
const char *fuzz_sandbox(void);

/* Print "fuzz: TARGET: message" on stderr and return -1. */
int fuzz_fail(const char *target, const char *fmt, ...);

#endif /* FUZZ_H */
