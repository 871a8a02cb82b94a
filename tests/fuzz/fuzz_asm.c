/*
 * fuzz_asm.c -- fuzz target: the assembler (asm/) on any bytes.
 *
 * The input is assembly source, NUL bytes and all, assembled with
 * asm_assemble_bytes under the name SANDBOX/fuzz.s with diagnostics and a
 * listing written to /dev/null (so the diagnostic printer and the listing
 * run too).  Promises checked beyond "no crash, no leak":
 *   - with errors, the image is left empty;
 *   - without, img_write accepts the image and img_parse reads it back with
 *     the same entry, segments and symbols.
 *
 * .include is confined: relative names resolve in the sandbox (which holds
 * a copy of guests/pg32.inc), and in the libFuzzer program every file read
 * goes through __wrap_pg32_read_file (linked with
 * -Wl,--wrap=pg32_read_file), which refuses paths outside the sandbox, so
 * an absolute or "../" name in a mutated input reads nothing of the host.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "pg32.h"

#define FUZZ_ASM_NAME "fuzz.s"
#define FUZZ_ASM_PATH_MAX 600
#define FUZZ_ASM_MSG 256

static FILE *fuzz_asm_null(void)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	return null;
}

static int fuzz_asm_check_image(const struct image *img)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	char msg[FUZZ_ASM_MSG];
	struct image back;
	int err = img_write(img, &bytes, &len);
	if (err)
		return fuzz_fail("asm", "assembled without errors, but img_write refuses the image: %s",
		                 pg32_strerror(err));
	err = img_parse(bytes, len, &back, msg, sizeof msg);
	free(bytes);
	if (err)
		return fuzz_fail("asm", "assembled image does not load back: %s", msg);
	int bad = back.entry != img->entry || back.nsegs != img->nsegs || back.nsyms != img->nsyms;
	for (uint32_t i = 0; !bad && i < img->nsegs; i++)
		bad = back.segs[i].addr != img->segs[i].addr ||
		      back.segs[i].size != img->segs[i].size ||
		      back.segs[i].mem_size != img->segs[i].mem_size ||
		      (img->segs[i].size &&
		       memcmp(back.segs[i].data, img->segs[i].data, img->segs[i].size) != 0);
	img_free(&back);
	return bad ? fuzz_fail("asm", "the image read back differs from the one written") : 0;
}

int fuzz_asm_one(const uint8_t *data, size_t size)
{
	const char *box = fuzz_sandbox();
	if (!box)
		return fuzz_fail("asm", "cannot make the sandbox directory");
	char name[FUZZ_ASM_PATH_MAX];
	snprintf(name, sizeof name, "%s/%s", box, FUZZ_ASM_NAME);
	const char *const dirs[] = { box };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1,
	                           .listing = fuzz_asm_null() };
	struct image img;
	int errors = asm_assemble_bytes(name, (const char *)data, size, &opt, &img, fuzz_asm_null());
	int rc = 0;
	if (errors < 0)
		rc = fuzz_fail("asm", "negative error count %d", errors);
	else if (errors > 0 && (img.nsegs || img.nsyms || img.segs || img.syms))
		rc = fuzz_fail("asm", "%d errors, but the image is not empty", errors);
	else if (errors == 0)
		rc = fuzz_asm_check_image(&img);
	img_free(&img);
	return rc;
}

#ifndef FUZZ_REGRESS
/* ---- the libFuzzer program ------------------------------------------- */

int __real_pg32_read_file(const char *path, size_t max, uint8_t **bytes, size_t *len,
                          char *msg, size_t msglen);
int __wrap_pg32_read_file(const char *path, size_t max, uint8_t **bytes, size_t *len,
                          char *msg, size_t msglen);

/* Only SANDBOX/NAME with no "/" in NAME and NAME not "." or "..". */
int __wrap_pg32_read_file(const char *path, size_t max, uint8_t **bytes, size_t *len,
                          char *msg, size_t msglen)
{
	const char *box = fuzz_sandbox();
	size_t n = box ? strlen(box) : 0;
	const char *rest = path + n;
	if (!box || strncmp(path, box, n) != 0 || rest[0] != '/' || strchr(rest + 1, '/') ||
	    !strcmp(rest, "/.") || !strcmp(rest, "/..")) {
		snprintf(msg, msglen, "%s: outside the fuzz sandbox", path);
		return PG32_EIO;
	}
	return __real_pg32_read_file(path, max, bytes, len, msg, msglen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_asm_one(data, size) != 0)
		abort();
	return 0;
}
#endif
