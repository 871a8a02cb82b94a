/*
 * tzgrade.c -- the grader: builds a student's module against the project
 * library and runs a lab's tests on it, each in its own sandboxed process
 * (labs/grade.h, docs/instructors.md).
 *
 *   tzgrade LAB SUBMISSION_DIR [--format F] [--out FILE] [--hidden] ...
 *   tzgrade LAB DIR_OF_SUBMISSIONS --jobs N [--out FILE.csv] ...
 *   tzgrade --handout LAB DIR
 *
 * It finds the project from where it lives (BUILD/bin/tzgrade: the
 * library is BUILD/libtrapeze.a, the sources are BUILD/..), or from
 * --root, --labs and --lib.
 */
#define _GNU_SOURCE /* mmap MAP_ANONYMOUS */
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GRADE_CC
#define GRADE_CC "cc"
#endif
#ifndef GRADE_CFLAGS
#define GRADE_CFLAGS ""
#endif
#define JOBS_MAX 256
#define EXIT_ERROR 1

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: tzgrade LAB SUBMISSION_DIR [options]     grade one submission\n"
	        "       tzgrade LAB DIR --jobs N [options]        grade every subfolder of DIR, CSV\n"
	        "       tzgrade --handout LAB DIR                 write LAB's student handout\n"
	        "options:\n"
	        "  --format text|gradescope|prairielearn|autolab|junit   (default text)\n"
	        "  --out FILE        write the report (or the CSV) to FILE, not stdout\n"
	        "  --hidden          run the hidden tests too\n"
	        "  --tests A,B       run only these tests\n"
	        "  --timeout S       wall-clock seconds per test (default %.0f)\n"
	        "  --root DIR        the project (default: two levels above this program)\n"
	        "  --labs DIR        the labs (default ROOT/labs)\n"
	        "  --lib FILE        libtrapeze.a (default: next to bin/)\n"
	        "  --cc CC           the C compiler (default %s)\n"
	        "  --work DIR        scratch space (default $TMPDIR or /tmp)\n",
	        GRADE_TIMEOUT_DEFAULT, GRADE_CC);
}

/* Directory of this program (BUILD/bin). */
static void exe_dir(char *buf, size_t len, const char *argv0)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n > 0)
		path[n] = '\0';
	else
		grade_fmt(path, sizeof path, "%s", argv0);
	char *slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	else
		grade_fmt(path, sizeof path, ".");
	grade_fmt(buf, len, "%s", path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The subfolders of dir, sorted by name. */
static char **list_subdirs(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	*n = 0;
	if (!d)
		return NULL;
	char **v = NULL;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[GRADE_PATH_MAX * 2];
		grade_fmt(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **g = realloc(v, cap * sizeof *g);
			if (!g)
				break;
			v = g;
		}
		v[(*n)++] = strdup(path);
	}
	closedir(d);
	if (v)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

static FILE *open_out(const char *path)
{
	if (!path)
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "tzgrade: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static int batch(const struct grade_env *env, const struct grade_lab *lab,
                 const struct grade_reference *ref, const char *dir, unsigned jobs,
                 const char *out_path)
{
	size_t n;
	char **subs = list_subdirs(dir, &n);
	if (!subs && n == 0) {
		fprintf(stderr, "tzgrade: %s: no submission folders in it\n", dir);
		return PG32_EXIT_USAGE;
	}
	/* Each worker writes its result straight into shared memory. */
	size_t bytes = (n ? n : 1) * sizeof(struct grade_result);
	struct grade_result *res = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		fprintf(stderr, "tzgrade: out of memory for %zu results\n", n);
		return EXIT_ERROR;
	}
	memset(res, 0, bytes);
	pid_t *pids = calloc(n ? n : 1, sizeof *pids);
	size_t next = 0, running = 0;
	while (next < n || running > 0) {
		if (next < n && running < jobs) {
			fflush(NULL);
			pid_t p = fork();
			if (p == 0) {
				grade_submission(env, lab, ref, subs[next], &res[next]);
				_exit(0);
			}
			if (p > 0) {
				pids[next++] = p;
				running++;
				continue;
			}
			fprintf(stderr, "tzgrade: cannot start a worker: %s\n", strerror(errno));
		}
		int st;
		pid_t done = wait(&st);
		if (done < 0)
			break;
		for (size_t i = 0; i < next; i++)
			if (pids[i] == done) {
				running--;
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
					grade_fmt(res[i].submission, sizeof res[i].submission, "%s", subs[i]);
					grade_fmt(res[i].build_message, sizeof res[i].build_message,
					         "the grader failed on this submission");
				}
			}
	}
	FILE *out = open_out(out_path);
	int rc = out ? 0 : EXIT_ERROR;
	if (out) {
		grade_csv(res, n, out);
		if (out != stdout && fclose(out) != 0)
			rc = EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		free(subs[i]);
	free(subs);
	free(pids);
	munmap(res, bytes);
	return rc;
}

int main(int argc, char **argv)
{
	struct grade_env env;
	memset(&env, 0, sizeof env);
	grade_limits_default(&env.limits);
	const char *lab_name = NULL, *sub = NULL, *out_path = NULL, *handout = NULL;
	const char *root = NULL, *labs = NULL, *lib = NULL, *cc = NULL, *work = NULL;
	enum grade_format fmt = GRADE_FMT_TEXT;
	bool hidden = false;
	unsigned jobs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--hidden") == 0) {
			hidden = true;
		} else if (strcmp(a, "--format") == 0 && has_val) {
			if (grade_format_parse(argv[++i], &fmt) != 0) {
				fprintf(stderr, "tzgrade: unknown format '%s' (text, gradescope, "
				        "prairielearn, autolab, junit)\n", argv[i]);
				return PG32_EXIT_USAGE;
			}
		} else if (strcmp(a, "--out") == 0 && has_val) {
			out_path = argv[++i];
		} else if (strcmp(a, "--tests") == 0 && has_val) {
			env.only = argv[++i];
		} else if (strcmp(a, "--timeout") == 0 && has_val) {
			char *end;
			double t = strtod(argv[++i], &end);
			if (*end || !(t > 0) || t > 3600) {
				fprintf(stderr, "tzgrade: --timeout takes seconds, above 0 and at most 3600\n");
				return PG32_EXIT_USAGE;
			}
			env.limits.timeout_s = t;
			env.limits.cpu_s = (unsigned)t + 1;
		} else if (strcmp(a, "--jobs") == 0 && has_val) {
			char *end;
			long j = strtol(argv[++i], &end, 10);
			if (*end || j < 1 || j > JOBS_MAX) {
				fprintf(stderr, "tzgrade: --jobs takes a number from 1 to %d\n", JOBS_MAX);
				return PG32_EXIT_USAGE;
			}
			jobs = (unsigned)j;
		} else if (strcmp(a, "--handout") == 0 && i + 2 < argc) {
			lab_name = argv[++i];
			handout = argv[++i];
		} else if (strcmp(a, "--root") == 0 && has_val) {
			root = argv[++i];
		} else if (strcmp(a, "--labs") == 0 && has_val) {
			labs = argv[++i];
		} else if (strcmp(a, "--lib") == 0 && has_val) {
			lib = argv[++i];
		} else if (strcmp(a, "--cc") == 0 && has_val) {
			cc = argv[++i];
		} else if (strcmp(a, "--work") == 0 && has_val) {
			work = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "tzgrade: unknown option or missing value: %s\n", a);
			usage(stderr);
			return PG32_EXIT_USAGE;
		} else if (!lab_name) {
			lab_name = a;
		} else if (!sub) {
			sub = a;
		} else {
			fprintf(stderr, "tzgrade: one lab and one folder, please (extra: %s)\n", a);
			return PG32_EXIT_USAGE;
		}
	}
	if (!lab_name || (!sub && !handout)) {
		usage(stderr);
		return PG32_EXIT_USAGE;
	}
	char bin[GRADE_PATH_MAX];
	exe_dir(bin, sizeof bin, argv[0]);
	if (root)
		grade_fmt(env.root, sizeof env.root, "%s", root);
	else
		grade_fmt(env.root, sizeof env.root, "%s/../..", bin);
	if (labs)
		grade_fmt(env.labs, sizeof env.labs, "%s", labs);
	else
		grade_fmt(env.labs, sizeof env.labs, "%s/labs", env.root);
	if (lib)
		grade_fmt(env.lib, sizeof env.lib, "%s", lib);
	else
		grade_fmt(env.lib, sizeof env.lib, "%s/../libtrapeze.a", bin);
	grade_fmt(env.cc, sizeof env.cc, "%s", cc ? cc : GRADE_CC);
	grade_fmt(env.cflags, sizeof env.cflags, "%s", GRADE_CFLAGS);
	/* AddressSanitizer reserves terabytes of address space: no RLIMIT_AS
	 * for its runners (its allocator refuses huge blocks instead). */
	if (strstr(env.cflags, "sanitize=address"))
		env.limits.as_bytes = 0;
	if (work)
		grade_fmt(env.work, sizeof env.work, "%s", work);
	/* Absolute paths: the tests run in another directory. */
	char real[PATH_MAX];
	if (realpath(env.root, real))
		grade_fmt(env.root, sizeof env.root, "%s", real);
	if (realpath(env.labs, real))
		grade_fmt(env.labs, sizeof env.labs, "%s", real);
	if (realpath(env.lib, real))
		grade_fmt(env.lib, sizeof env.lib, "%s", real);

	struct grade_lab *lab = malloc(sizeof *lab);
	char msg[GRADE_MSG_MAX];
	if (!lab) {
		fprintf(stderr, "tzgrade: out of memory\n");
		return EXIT_ERROR;
	}
	if (grade_lab_load(env.labs, env.root, lab_name, hidden, lab, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzgrade: %s\n", msg);
		free(lab);
		return PG32_EXIT_USAGE;
	}
	/* Every name given to --tests must be a test of the lab. */
	for (const char *p = env.only; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		bool found = false;
		for (unsigned i = 0; i < lab->ntests && !found; i++)
			found = strlen(lab->tests[i].name) == l && strncmp(lab->tests[i].name, p, l) == 0;
		if (!found) {
			fprintf(stderr, "tzgrade: lab %s has no test '%.*s'%s\n", lab->name, (int)l, p,
			        hidden ? "" : " (a hidden one needs --hidden)");
			free(lab);
			return PG32_EXIT_USAGE;
		}
		p += l + (e != NULL);
	}
	if (handout) {
		int err = grade_make_handout(lab, handout, msg, sizeof msg);
		if (err)
			fprintf(stderr, "tzgrade: %s\n", msg);
		free(lab);
		return err ? EXIT_ERROR : 0;
	}
	if (lab->kind == GRADE_KIND_C && access(env.lib, R_OK) != 0) {
		fprintf(stderr, "tzgrade: cannot read the project library %s (see --lib)\n", env.lib);
		free(lab);
		return PG32_EXIT_USAGE;
	}
	char subreal[PATH_MAX];
	if (!realpath(sub, subreal)) {
		fprintf(stderr, "tzgrade: %s: %s\n", sub, strerror(errno));
		free(lab);
		return PG32_EXIT_USAGE;
	}
	struct grade_reference *ref = malloc(sizeof *ref);
	if (!ref || grade_reference_make(&env, lab, ref, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzgrade: %s\n", ref ? msg : "out of memory");
		if (ref)
			grade_reference_free(ref);
		free(ref);
		free(lab);
		return EXIT_ERROR;
	}
	int rc = 0;
	if (jobs) {
		rc = batch(&env, lab, ref, subreal, jobs, out_path);
	} else {
		struct grade_result *res = malloc(sizeof *res);
		if (!res) {
			rc = EXIT_ERROR;
		} else {
			grade_submission(&env, lab, ref, subreal, res);
			/* Only now, with every test process gone, is the report written. */
			FILE *out = open_out(out_path);
			if (!out)
				rc = EXIT_ERROR;
			else {
				grade_report(res, fmt, out);
				if (out != stdout && fclose(out) != 0)
					rc = EXIT_ERROR;
			}
			free(res);
		}
	}
	grade_reference_free(ref);
	free(ref);
	free(lab);
	return rc;
}
