/*
 * fuzz_util.c -- what the fuzz targets share: the sandbox directory and
 * the failure message.  See fuzz.h.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_PATH_MAX 512
#define FUZZ_INC_SOURCE "guests/pg32.inc" /* relative to the top of the tree */
#define FUZZ_INC_NAME "pg32.inc"
#define FUZZ_COPY_CHUNK 4096

static char sandbox[FUZZ_PATH_MAX];

/* Remove the sandbox's files (none are in subdirectories), then itself. */
static void sandbox_remove(void)
{
	DIR *d = opendir(sandbox);
	if (d) {
		struct dirent *e;
		char path[2 * FUZZ_PATH_MAX];
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof path, "%s/%s", sandbox, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(sandbox);
}

const char *fuzz_sandbox(void)
{
	if (sandbox[0])
		return sandbox;
	const char *tmp = getenv("TMPDIR");
	snprintf(sandbox, sizeof sandbox, "%s/trapeze-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sandbox)) {
		sandbox[0] = '\0';
		return NULL;
	}
	atexit(sandbox_remove);
	/* The shipped guests include pg32.inc: give them a copy.  (Plain
	 * stdio: fuzz_asm wraps pg32_read_file to keep .include inside the
	 * sandbox.) */
	char path[2 * FUZZ_PATH_MAX], buf[FUZZ_COPY_CHUNK];
	snprintf(path, sizeof path, "%s/%s", sandbox, FUZZ_INC_NAME);
	FILE *in = fopen(FUZZ_INC_SOURCE, "rb");
	FILE *out = in ? fopen(path, "wb") : NULL;
	size_t n;
	while (out && (n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	return sandbox;
}

int fuzz_fail(const char *target, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz: %s: ", target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}
