/*
 * cli.c -- the command line of the monitor's tools: the options tzvmm and
 * tzdbg share (memory, quantum, disk, input, variant, rewriting, hybrid,
 * instruction limit), parsed and checked once, and the loading of the
 * images they name.  Library code: it returns messages, the tools print
 * them.
 */
#include "vmm.h"

#include <stdlib.h>
#include <string.h>

#define STDIN_PATH "/dev/stdin"
#define IMG_SUFFIX ".img"
#define NAME_SUFFIX_ROOM 8u      /* room a base name leaves for "#N" */
#define NAME_SUFFIX_MAX 100000u  /* N stays below this */

void vmm_cli_init(struct vmm_cli *c)
{
	*c = (struct vmm_cli){ .mem = PG32_MEM_DEFAULT };
}

/* "bad WHAT 'ARG'", and "(HINT)" after it when there is one. */
static int bad(char *msg, size_t msglen, const char *what, const char *arg, const char *hint)
{
	snprintf(msg, msglen, "bad %s '%s'%s%s%s", what, arg, hint ? " (" : "", hint ? hint : "",
	         hint ? ")" : "");
	return PG32_EARG;
}

int vmm_cli_option(struct vmm_cli *c, int id, const char *arg, char *msg, size_t msglen)
{
	uint64_t n;
	switch ((enum vmm_cli_id)id) {
	case VMM_CLI_MEM:
		return pg32_parse_size(arg, &c->mem) == 0 ? 0 : bad(msg, msglen, "memory size", arg, NULL);
	case VMM_CLI_HOST_MEM:
		if (pg32_parse_size(arg, &c->host_mem) != 0 || c->host_mem == 0)
			return bad(msg, msglen, "host memory size", arg, NULL);
		return 0;
	case VMM_CLI_QUANTUM:
		if (pg32_parse_count(arg, &c->quantum) != 0 || c->quantum == 0)
			return bad(msg, msglen, "quantum", arg, "a positive instruction count");
		return 0;
	case VMM_CLI_MINIDISK:
		if (pg32_parse_count(arg, &n) != 0 || n > UINT32_MAX)
			return bad(msg, msglen, "minidisk size", arg, "sectors");
		c->minidisk = (uint32_t)n;
		c->minidisk_given = true;
		return 0;
	case VMM_CLI_MAX:
		if (pg32_parse_count(arg, &c->max) != 0 || c->max == 0)
			return bad(msg, msglen, "instruction count", arg, NULL);
		return 0;
	case VMM_CLI_REWRITE:
		if (vmm_rewrite_parse(arg, &c->rewrite) != 0)
			return bad(msg, msglen, "rewriting mode", arg, "none, static or dynamic");
		return 0;
	case VMM_CLI_DISK: c->disk = arg; return 0;
	case VMM_CLI_INPUT: c->input_path = arg; return 0;
	case VMM_CLI_INPUT_STRING: c->input_string = arg; return 0;
	case VMM_CLI_ISA: c->isa = arg; return 0;
	case VMM_CLI_HYBRID: c->hybrid = true; return 0;
	case VMM_CLI_BEFORE_FIRST: case VMM_CLI_END: break;
	}
	snprintf(msg, msglen, "not an option of the monitor (%d)", id);
	return PG32_EARG;
}

int vmm_cli_check(const struct vmm_cli *c, char *msg, size_t msglen)
{
	const char *why = NULL;
	if (c->input_path && c->input_string)
		why = "give --input or --input-string, not both";
	else if (c->hybrid && (c->rewrite == VMM_REWRITE_STATIC || c->rewrite == VMM_REWRITE_DYNAMIC))
		why = "--hybrid runs without rewriting: drop --rewrite";
	else if (c->minidisk_given && !c->disk)
		why = "--minidisk needs a --disk to carve it from";
	if (!why)
		return 0;
	snprintf(msg, msglen, "%s", why);
	return PG32_EARG;
}

/* The base name of a path without ".img", cut to leave room for "#N". */
static void base_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	size_t suffix = strlen(IMG_SUFFIX);
	if (n > suffix && strcmp(base + n - suffix, IMG_SUFFIX) == 0)
		n -= suffix;
	if (n > len - NAME_SUFFIX_ROOM)
		n = len - NAME_SUFFIX_ROOM;
	snprintf(out, len, "%.*s", (int)n, base);
}

void vmm_guest_names(unsigned n, char *const *paths, char (*names)[VMM_NAME_MAX])
{
	for (unsigned i = 0; i < n; i++)
		base_name(paths[i], names[i], VMM_NAME_MAX);
	for (unsigned i = 0; i < n; i++) {
		char base[VMM_NAME_MAX];
		base_name(paths[i], base, sizeof base);
		unsigned same = 0, before = 0;
		for (unsigned j = 0; j < n; j++) {
			char other[VMM_NAME_MAX];
			base_name(paths[j], other, sizeof other);
			if (strcmp(base, other) == 0) {
				same++;
				before += j < i;
			}
		}
		if (same > 1) /* base_name left room for the suffix */
			snprintf(names[i], VMM_NAME_MAX, "%.*s#%u", (int)(VMM_NAME_MAX - NAME_SUFFIX_ROOM),
			         base, (before + 1) % NAME_SUFFIX_MAX);
	}
}

void vmm_cli_free(struct vmm_cli_guests *gs)
{
	if (gs->imgs)
		for (unsigned i = 0; i < gs->n; i++)
			img_free(&gs->imgs[i]);
	free(gs->imgs);
	free(gs->variants);
	free(gs->names);
	free(gs->input_buf);
	*gs = (struct vmm_cli_guests){ 0 };
}

int vmm_cli_load(const struct vmm_cli *c, unsigned n, char *const *paths,
                 struct vmm_cli_guests *out, char *msg, size_t msglen)
{
	*out = (struct vmm_cli_guests){ .n = n };
	out->imgs = calloc(n, sizeof *out->imgs);
	out->variants = calloc(n, sizeof *out->variants);
	out->names = calloc(n, sizeof *out->names);
	int err = PG32_ENOMEM;
	if (!out->imgs || !out->variants || !out->names) {
		snprintf(msg, msglen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		err = img_load_file(paths[i], &out->imgs[i], msg, msglen);
		if (err)
			goto fail;
		out->variants[i] = out->imgs[i].variant;
		if (c->isa) {
			err = isa_variant_parse(c->isa, &out->variants[i], msg, msglen);
			if (err)
				goto fail;
		}
	}
	vmm_guest_names(n, paths, out->names);
	if (c->input_string) {
		out->input = (const uint8_t *)c->input_string;
		out->input_len = strlen(c->input_string);
	} else if (c->input_path) {
		const char *path = strcmp(c->input_path, "-") == 0 ? STDIN_PATH : c->input_path;
		err = pg32_read_file(path, PG32_MEM_MAX, &out->input_buf, &out->input_len, msg, msglen);
		if (err)
			goto fail;
		out->input = out->input_buf;
	}
	return 0;
fail:
	vmm_cli_free(out);
	return err;
}
