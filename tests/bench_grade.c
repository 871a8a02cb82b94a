/*
 * bench_grade.c -- the grader's figures for `make bench`:
 *
 *   grade_one_s            grading one submission of lab interp (the
 *                          reference): build, reference runs, every visible
 *                          test in its sandbox
 *   grade_batch_j1_s       grading GRADE_BATCH copies with --jobs 1,
 *   grade_batch_jN_s       and with --jobs N (N = online CPUs)
 *   grade_batch_speedup    the ratio: how batch grading scales with cores
 *
 * Runs BUILD/bin/tzgrade from the project root, on submissions written to a
 * temporary directory.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GRADE_BATCH 8
#define PATHLEN 512
#define CMDLEN 2048
#define SOURCE "vmm/interp.c"

static int copy(const char *from, const char *to)
{
	char cmd[CMDLEN];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
	return system(cmd);
}

static double timed(const char *cmd)
{
	double t0 = bench_now();
	int rc = system(cmd);
	double t = bench_now() - t0;
	return rc == 0 ? t : -1;
}

void bench_grade(const char *build_dir)
{
	char dir[PATHLEN], sub[PATHLEN + 32], cmd[CMDLEN], file[PATHLEN + 64];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/bench_grade-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("grade_one_s: skipped (no temporary directory)\n");
		return;
	}
	chmod(dir, 0755);
	for (int i = 0; i < GRADE_BATCH; i++) {
		snprintf(sub, sizeof sub, "%s/s%02d", dir, i);
		snprintf(file, sizeof file, "%s/interp.c", sub);
		if (mkdir(sub, 0755) != 0 || copy(SOURCE, file) != 0) {
			printf("grade_one_s: skipped (cannot write %s)\n", sub);
			return;
		}
	}
	snprintf(cmd, sizeof cmd, "%s/bin/tzgrade interp %s/s00 >/dev/null 2>&1", build_dir, dir);
	double one = timed(cmd);
	if (one < 0)
		printf("grade_one_s: failed (%s)\n", cmd);
	else
		printf("grade_one_s: %.2f s\n", one);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	snprintf(cmd, sizeof cmd, "%s/bin/tzgrade interp %s --jobs 1 >/dev/null 2>&1", build_dir, dir);
	double j1 = timed(cmd);
	snprintf(cmd, sizeof cmd, "%s/bin/tzgrade interp %s --jobs %ld >/dev/null 2>&1", build_dir, dir,
	         cpus);
	double jn = timed(cmd);
	if (j1 > 0 && jn > 0) {
		printf("grade_batch_j1_s: %.2f s (%d submissions)\n", j1, GRADE_BATCH);
		printf("grade_batch_jN_s: %.2f s (%d submissions, --jobs %ld)\n", jn, GRADE_BATCH, cpus);
		printf("grade_batch_speedup: %.2f x (%ld cores)\n", j1 / jn, cpus);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("bench_grade: could not remove %s\n", dir);
}
