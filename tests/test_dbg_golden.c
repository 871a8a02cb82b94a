/*
 * test_dbg_golden.c -- tzdbg's batch mode against golden files.
 *
 * Each tests/dbg/NAME.cmd is a batch script whose first line says how to
 * start the debugger: "# tzdbg: IMAGE... [options]" (images are names in
 * $TRAPEZE_BUILD/guests).  tzdbg --batch NAME.cmd --echo runs it; its
 * standard output must equal tests/dbg/NAME.expected byte for byte, and its
 * exit status must be 0, or 1 when the script's second line is
 * "# status: 1".  On a difference the first differing line is shown.
 *
 * TZDBG_GOLDEN_UPDATE=1 writes the .expected files instead (then read
 * them: a golden file is only as good as the reading it got).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define GOLDEN_DIR "tests/dbg"
#define PATH 1024
#define CMD 4096
#define OUT_MAX (1u << 20)
#define HEADER "# tzdbg: "
#define STATUS_LINE "# status: "
#define ARGS_MAX 1024

static char *read_all(FILE *f, size_t *len)
{
	char *buf = malloc(OUT_MAX + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, OUT_MAX, f);
	buf[*len] = '\0';
	return buf;
}

/* The script's arguments, images prefixed with the build's guests/. */
static void script_args(const char *path, const char *build, char *args, size_t len, int *want)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	char line[ARGS_MAX], status[ARGS_MAX] = "";
	if (!fgets(line, sizeof line, f) || strncmp(line, HEADER, strlen(HEADER)) != 0)
		fail_msg("%s: the first line must be \"" HEADER "IMAGE... [options]\"", path);
	if (fgets(status, sizeof status, f) && strncmp(status, STATUS_LINE, strlen(STATUS_LINE)) == 0)
		*want = atoi(status + strlen(STATUS_LINE));
	else
		*want = 0;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	size_t n = 0;
	args[0] = '\0';
	for (char *w = strtok(line + strlen(HEADER), " "); w; w = strtok(NULL, " ")) {
		if (strstr(w, ".img"))
			n += (size_t)snprintf(args + n, len - n, " %s/guests/%s", build, w);
		else
			n += (size_t)snprintf(args + n, len - n, " %s", w);
		assert_true(n < len);
	}
}

static void run_one(const char *name, const char *build, bool update)
{
	char cmd_path[PATH + sizeof GOLDEN_DIR + 16], exp_path[PATH + sizeof GOLDEN_DIR + 16];
	char args[ARGS_MAX * 2], cmd[CMD + sizeof cmd_path + ARGS_MAX * 2];
	snprintf(cmd_path, sizeof cmd_path, GOLDEN_DIR "/%s.cmd", name);
	snprintf(exp_path, sizeof exp_path, GOLDEN_DIR "/%s.expected", name);
	int want;
	script_args(cmd_path, build, args, sizeof args, &want);
	snprintf(cmd, sizeof cmd, "%s/bin/tzdbg --batch %s --echo%s", build, cmd_path, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t len;
	char *out = read_all(p, &len);
	int st = pclose(p);
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (update) {
		FILE *f = fopen(exp_path, "w");
		assert_non_null(f);
		fwrite(out, 1, len, f);
		fclose(f);
		free(out);
		return;
	}
	if (status != want)
		fail_msg("%s: exit status %d, expected %d (%s)", name, status, want, cmd);
	FILE *f = fopen(exp_path, "r");
	if (!f)
		fail_msg("%s: no %s (run with TZDBG_GOLDEN_UPDATE=1, then read it)", name, exp_path);
	size_t elen;
	char *exp = read_all(f, &elen);
	fclose(f);
	if (len != elen || memcmp(out, exp, len) != 0) {
		/* The first differing line. */
		size_t i = 0, line = 1, start = 0;
		while (i < len && i < elen && out[i] == exp[i]) {
			if (out[i] == '\n') {
				line++;
				start = i + 1;
			}
			i++;
		}
		fail_msg("%s: output differs from %s at line %zu:\n  got:      %.*s\n  expected: %.*s", name,
		         exp_path, line, (int)strcspn(out + start, "\n"), out + start,
		         (int)strcspn(exp + start, "\n"), exp + start);
	}
	free(out);
	free(exp);
}

/* Every script in tests/dbg gives its golden output. */
static void test_golden_scripts(void **state)
{
	(void)state;
	const char *build = getenv("TRAPEZE_BUILD");
	if (!build)
		build = "build";
	bool update = getenv("TZDBG_GOLDEN_UPDATE") != NULL;
	DIR *dir = opendir(GOLDEN_DIR);
	assert_non_null(dir);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".cmd") != 0)
			continue;
		char name[PATH];
		snprintf(name, sizeof name, "%.*s", (int)(l - 4), e->d_name);
		run_one(name, build, update);
		n++;
	}
	closedir(dir);
	assert_true(n >= 3);
}

/* Commands on standard input when it is not a terminal: batch mode too. */
static void test_stdin_is_batch(void **state)
{
	(void)state;
	const char *build = getenv("TRAPEZE_BUILD");
	if (!build)
		build = "build";
	char cmd[CMD];
	snprintf(cmd, sizeof cmd, "printf 'continue\\nconsole\\n' | %s/bin/tzdbg %s/guests/hello.img",
	         build, build);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t len;
	char *out = read_all(p, &len);
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "guest 0 (hello) ended: power-off"));
	assert_non_null(strstr(out, "Hello from PG32!\n"));
	free(out);
}

/* Bad arguments: exit status 2 and a message naming the problem. */
static void test_bad_arguments(void **state)
{
	(void)state;
	const char *build = getenv("TRAPEZE_BUILD");
	if (!build)
		build = "build";
	static const char *const bad[] = {
		"", "--mem 3 x.img", "--nosuch", "/nonexistent.img", "--bare x.img y.img", "--input - %s/guests/echo.img",
		"--batch /nonexistent.cmd %s/guests/hello.img", "--snap-interval 0 %s/guests/hello.img",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char args[PATH], cmd[CMD];
		snprintf(args, sizeof args, bad[i], build);
		snprintf(cmd, sizeof cmd, "%s/bin/tzdbg %s </dev/null 2>&1", build, args);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		size_t len;
		char *out = read_all(p, &len);
		int st = pclose(p);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
			fail_msg("tzdbg %s: status %d, expected 2", args, WEXITSTATUS(st));
		if (!strstr(out, "tzdbg: "))
			fail_msg("tzdbg %s: no message", args);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_scripts),
		cmocka_unit_test(test_stdin_is_batch),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
