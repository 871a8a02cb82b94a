/*
 * fuzz_dbg.c -- fuzz target: the debugger's command parser (dbg/dbg_cmd.c)
 * on arbitrary command lines.
 *
 * Input layout (tests/fuzz/README.md):
 *
 *   byte 0  bit 0  FUZZ_DBG_BARE  the session is trap_priv on the bare
 *                                 machine (tzdbg --bare); else a monitor
 *                                 with two guests, trap_priv (well-behaved)
 *                                 and detect (ill-behaved, under dynamic
 *                                 rewriting, so patches, "rewritten" traps
 *                                 and their replay are reachable)
 *   byte 1..       command lines, separated by newlines (NUL bytes end a
 *                  line early, as a C string would); at most FUZZ_DBG_LINES
 *                  of them, each given to dbg_command as tzdbg's batch mode
 *                  does; "quit" ends the input
 *
 * Each input gets a new session (dbg_create), so inputs do not depend on
 * each other.  Run lengths are bounded: every guest has at most
 * FUZZ_DBG_LIMIT instructions, so step, continue, watchpoints (single
 * stepping) and reverse execution (replay from snapshots taken every
 * FUZZ_DBG_SNAP_INTERVAL instructions) all end within milliseconds.
 *
 * Promises checked beyond "no crash, no leak, no UB":
 *   - dbg_command returns OK, ERROR or QUIT; an ERROR says what is wrong
 *     (its output is not empty);
 *   - the output is a NUL-terminated string of exactly its length, no
 *     longer than DBG_OUT_MAX;
 *   - the focus stays a real guest and every guest's clock within its limit.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "dbg.h"

#define FUZZ_DBG_BARE (1u << 0)
#define FUZZ_DBG_HEADER 1u
#define FUZZ_DBG_LINES 64u               /* command lines per input */
#define FUZZ_DBG_LIMIT 20000u            /* each guest's instructions */
#define FUZZ_DBG_SNAP_INTERVAL 256u      /* instructions between snapshots */
#define FUZZ_DBG_SNAP_BUDGET (1u << 20)  /* bytes of snapshots */
#define FUZZ_DBG_MEM PG32_MEM_MIN        /* each guest's memory */
#define FUZZ_DBG_GUESTS 2u
#define FUZZ_DBG_MSG 256
#define FUZZ_DBG_PATH_MAX 600

/* The guests, from the tree (the fuzzer runs from its top, as make does). */
static const char *const fuzz_dbg_sources[FUZZ_DBG_GUESTS] = { "guests/trap_priv.s",
	                                                         "guests/detect.s" };
static const char *const fuzz_dbg_names[FUZZ_DBG_GUESTS] = { "trap_priv", "detect" };

static const uint8_t fuzz_dbg_input[] = "fuzz input\n";

/* The two images, assembled once (kept to the end of the process). */
static const struct image *fuzz_dbg_images(void)
{
	static struct image imgs[FUZZ_DBG_GUESTS];
	static int done; /* 0 not yet, 1 ok, -1 failed */
	if (done)
		return done > 0 ? imgs : NULL;
	done = -1;
	const char *const dirs[] = { "guests" };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	for (unsigned i = 0; i < FUZZ_DBG_GUESTS; i++)
		if (asm_assemble_file(fuzz_dbg_sources[i], &opt, &imgs[i], NULL) != 0) {
			fuzz_fail("dbg", "%s does not assemble (run from the top of the tree)",
			          fuzz_dbg_sources[i]);
			return NULL;
		}
	done = 1;
	return imgs;
}

/* The promises about one command's result and output. */
static int fuzz_dbg_check(const struct dbg *d, enum dbg_cmd_result r, const struct dbg_text *out,
                          const char *line)
{
	if (r != DBG_CMD_OK && r != DBG_CMD_ERROR && r != DBG_CMD_QUIT)
		return fuzz_fail("dbg", "'%s': result %d is none of OK, ERROR, QUIT", line, (int)r);
	if (r == DBG_CMD_ERROR && (!out->s || !out->len))
		return fuzz_fail("dbg", "'%s': an error without an error message", line);
	if (out->s && strlen(out->s) != out->len)
		return fuzz_fail("dbg", "'%s': output length %zu, but the string is %zu bytes", line,
		                 out->len, strlen(out->s));
	if (out->len > DBG_OUT_MAX)
		return fuzz_fail("dbg", "'%s': %zu bytes of output, more than DBG_OUT_MAX", line,
		                 out->len);
	if (d->focus >= d->nguests)
		return fuzz_fail("dbg", "'%s': focus on guest %u of %u", line, d->focus, d->nguests);
	for (unsigned i = 0; i < d->nguests; i++)
		if (d->guests[i].g->vm.clock > FUZZ_DBG_LIMIT)
			return fuzz_fail("dbg", "'%s': guest %u ran past its limit (clock %llu)", line, i,
			                 (unsigned long long)d->guests[i].g->vm.clock);
	return 0;
}

int fuzz_dbg_one(const uint8_t *data, size_t size)
{
	if (size < FUZZ_DBG_HEADER)
		return 0;
	const struct image *imgs = fuzz_dbg_images();
	if (!imgs)
		return fuzz_fail("dbg", "cannot assemble the guests");
	bool bare = (data[0] & FUZZ_DBG_BARE) != 0;
	isa_variant variants[FUZZ_DBG_GUESTS] = { ISA_VARIANT_WELL, isa_variant_all_ill() };
	struct dbg_config cfg = {
		.vmm = { .host_mem = FUZZ_DBG_GUESTS * FUZZ_DBG_MEM },
		.mem_size = FUZZ_DBG_MEM, .variants = variants,
		.input = fuzz_dbg_input, .input_len = sizeof fuzz_dbg_input - 1,
		.max_instructions = FUZZ_DBG_LIMIT, .snap_interval = FUZZ_DBG_SNAP_INTERVAL,
		.snap_budget = FUZZ_DBG_SNAP_BUDGET,
		.rewrite = bare ? VMM_REWRITE_NONE : VMM_REWRITE_DYNAMIC, .bare = bare,
	};
	struct dbg *d;
	char msg[FUZZ_DBG_MSG];
	if (dbg_create(&d, &cfg, imgs, fuzz_dbg_names, bare ? 1 : FUZZ_DBG_GUESTS, msg, sizeof msg))
		return fuzz_fail("dbg", "dbg_create: %s", msg);

	/* Each line as its own string: the parser sees exactly the line. */
	char *line = malloc(size);
	if (!line) {
		dbg_destroy(d);
		return 0;
	}
	struct dbg_text out = { 0 };
	int rc = 0;
	const uint8_t *p = data + FUZZ_DBG_HEADER, *end = data + size;
	for (unsigned n = 0; !rc && p < end && n < FUZZ_DBG_LINES; n++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL);
		dbg_text_clear(&out);
		enum dbg_cmd_result r = dbg_command(d, line, &out);
		rc = fuzz_dbg_check(d, r, &out, line);
		if (r == DBG_CMD_QUIT)
			break;
	}
	dbg_text_free(&out);
	free(line);
	dbg_destroy(d);
	return rc;
}

#ifndef FUZZ_REGRESS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_dbg_one(data, size) != 0)
		abort();
	return 0;
}
#endif
