/*
 * tzas.c -- the PG32 assembler tool: build/bin/tzas.
 *
 *   tzas [-o OUT] [-l LISTING] [-I DIR]... [--isa VARIANT] FILE.s
 *
 * Reads FILE.s, writes the image to OUT (default: FILE with .s replaced by
 * .img).  Exit status: 0 success, 1 assembly or output errors (reported on
 * stderr), 2 bad arguments.  All the work is in the library (asm/asm.h).
 */
#include "asm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_ASM_ERRORS 1
#define EXIT_USAGE 2
#define MSG_MAX 512
#define SOURCE_SUFFIX ".s"
#define IMAGE_SUFFIX ".img"

#define USAGE_LINE "usage: tzas [-o OUT] [-l LISTING] [-I DIR]... [--isa VARIANT] FILE.s\n"

static const char usage_text[] =
	USAGE_LINE
	"\n"
	"Assemble PG32 assembly (docs/asm.md) into an image.\n"
	"\n"
	"  -o OUT         write the image to OUT (default: FILE with .s replaced by .img)\n"
	"  -l LISTING     write a listing (address, encoding, source line) to LISTING\n"
	"  -I DIR         search DIR for .include files (after the including file's\n"
	"                 directory); may be repeated\n"
	"  --isa VARIANT  the image's ISA variant: well, ill or ill:NAME,... (wins over\n"
	"                 the source's .isa directive)\n"
	"  --help         show this help\n"
	"\n"
	"Exit status: 0 success, 1 assembly errors, 2 bad arguments.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "tzas: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n" USAGE_LINE "(tzas --help tells more)\n");
	return EXIT_USAGE;
}

/* The value of an option given as "-oX", "-o X", "--isa=X" or "--isa X". */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *arg = argv[*i];

	if (arg[n] == '=' && name[1] == '-')
		return arg + n + 1;
	if (arg[n] != '\0' && name[1] != '-')
		return arg + n;
	if (arg[n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static bool option_is(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 &&
	       (arg[n] == '\0' || (name[1] == '-' ? arg[n] == '=' : true));
}

/* FILE.s -> FILE.img (or FILE.img appended). */
static char *default_output(const char *in)
{
	size_t n = strlen(in), sl = strlen(SOURCE_SUFFIX);
	char *out = malloc(n + strlen(IMAGE_SUFFIX) + 1);

	if (out == NULL)
		return NULL;
	if (n > sl && strcmp(in + n - sl, SOURCE_SUFFIX) == 0)
		n -= sl;
	memcpy(out, in, n);
	strcpy(out + n, IMAGE_SUFFIX);
	return out;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *list = NULL, *in = NULL, *value;
	const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
	struct asm_options opt = { .include_dirs = dirs };
	char msg[MSG_MAX], *out_default = NULL;
	bool options_done = false;
	struct image img;
	FILE *lf = NULL;
	int errors, status = 0;

	if (dirs == NULL) {
		fprintf(stderr, "tzas: out of memory\n");
		return EXIT_ASM_ERRORS;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (in != NULL) {
				status = usage_error("more than one input file ('%s')", arg);
				goto done;
			}
			in = arg;
		} else if (strcmp(arg, "--") == 0) {
			options_done = true;
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_text, stdout);
			goto done;
		} else if (option_is(arg, "-o") || option_is(arg, "-l") || option_is(arg, "-I")) {
			char which = arg[1];
			value = option_value(argc, argv, &i, which == 'o' ? "-o" : which == 'l' ? "-l" : "-I");
			if (value == NULL || *value == '\0') {
				status = usage_error("option '%s' needs a value", arg);
				goto done;
			}
			if (which == 'o')
				out = value;
			else if (which == 'l')
				list = value;
			else
				dirs[opt.ninclude_dirs++] = value;
		} else if (option_is(arg, "--isa")) {
			value = option_value(argc, argv, &i, "--isa");
			if (value == NULL) {
				status = usage_error("option '%s' needs a value", arg);
				goto done;
			}
			if (isa_variant_parse(value, &opt.variant, msg, sizeof msg) != 0) {
				status = usage_error("%s", msg);
				goto done;
			}
			opt.variant_given = true;
		} else {
			status = usage_error("unknown option '%s'", arg);
			goto done;
		}
	}
	if (in == NULL) {
		status = usage_error("%s", "no input file");
		goto done;
	}
	if (out == NULL) {
		out = out_default = default_output(in);
		if (out == NULL) {
			fprintf(stderr, "tzas: out of memory\n");
			status = EXIT_ASM_ERRORS;
			goto done;
		}
	}
	if (list != NULL) {
		lf = fopen(list, "w");
		if (lf == NULL) {
			fprintf(stderr, "tzas: %s: cannot create: %s\n", list, strerror(errno));
			status = EXIT_ASM_ERRORS;
			goto done;
		}
		opt.listing = lf;
	}

	errors = asm_assemble_file(in, &opt, &img, stderr);
	if (errors > 0) {
		status = EXIT_ASM_ERRORS;
	} else if (img_write_file(&img, out, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzas: %s\n", msg);
		status = EXIT_ASM_ERRORS;
	}
	img_free(&img);
	if (lf != NULL && fclose(lf) != 0) {
		fprintf(stderr, "tzas: %s: write error: %s\n", list, strerror(errno));
		status = EXIT_ASM_ERRORS;
	}
	lf = NULL;
done:
	if (lf != NULL)
		fclose(lf);
	free(out_default);
	free(dirs);
	return status;
}
