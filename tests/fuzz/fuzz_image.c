/*
 * fuzz_image.c -- fuzz target: the image loader (isa/image.c) on any bytes.
 *
 * img_parse must accept or refuse with a message, never crash.  For an
 * image it accepts, the promises of pg32.h are checked:
 *   - img_write serializes it, and img_parse reads that back;
 *   - img_write's layout is canonical: writing the re-read image gives the
 *     same bytes again;
 *   - img_place puts it into a small memory or refuses with a message;
 *   - every symbol is found again by img_symbol_at / img_symbol_value;
 *   - the disassembler takes every word of every segment.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg32.h"

#define FUZZ_IMAGE_MSG 256
#define FUZZ_IMAGE_MEM (64u * 1024u)  /* the memory img_place is tried on */
#define FUZZ_IMAGE_DISASM_MAX 1024u   /* words disassembled per segment */
#define FUZZ_IMAGE_TEXT 128

static int fuzz_image_accepted(struct image *img)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	char msg[FUZZ_IMAGE_MSG];
	struct image back;
	int rc = 0;

	int err = img_write(img, &a, &alen);
	if (err)
		return fuzz_fail("image", "img_parse accepted an image img_write refuses: %s",
		                 pg32_strerror(err));
	if (img_parse(a, alen, &back, msg, sizeof msg) != 0) {
		free(a);
		return fuzz_fail("image", "img_write's output does not load: %s", msg);
	}
	err = img_write(&back, &b, &blen);
	if (err || blen != alen || memcmp(a, b, alen) != 0)
		rc = fuzz_fail("image", "img_write is not canonical (%zu then %zu bytes)", alen, blen);
	img_free(&back);
	free(a);
	free(b);

	uint8_t *mem = calloc(FUZZ_IMAGE_MEM, 1);
	if (!mem)
		return rc;
	(void)img_place(img, mem, FUZZ_IMAGE_MEM, msg, sizeof msg);
	free(mem);

	for (uint32_t i = 0; !rc && i < img->nsyms; i++) {
		uint32_t value;
		if (!img_symbol_at(img, img->syms[i].value) ||
		    !img_symbol_value(img, img->syms[i].name, &value) || value != img->syms[i].value)
			rc = fuzz_fail("image", "symbol %u (%s) is not found again", i, img->syms[i].name);
	}
	char text[FUZZ_IMAGE_TEXT];
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct img_segment *s = &img->segs[i];
		for (uint32_t off = 0, n = 0; off + ISA_WORD_BYTES <= s->size && n < FUZZ_IMAGE_DISASM_MAX;
		     off += ISA_WORD_BYTES, n++)
			isa_disasm(pg32_load32(s->data + off), s->addr + off, NULL, NULL, text,
			           sizeof text);
	}
	return rc;
}

int fuzz_image_one(const uint8_t *data, size_t size)
{
	struct image img;
	char msg[FUZZ_IMAGE_MSG];
	msg[0] = '\0';
	int err = img_parse(data, size, &img, msg, sizeof msg);
	if (err) {
		if (!msg[0])
			return fuzz_fail("image", "img_parse refused without a message");
		return 0;
	}
	int rc = fuzz_image_accepted(&img);
	img_free(&img);
	return rc;
}

#ifndef FUZZ_REGRESS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_image_one(data, size) != 0)
		abort();
	return 0;
}
#endif
