/*
 * test_dbg_screen.c -- tzdbg's full screen, driven through tmux: start it in
 * a detached 80x24 tmux session, send keys, capture the pane as text and
 * check what it shows.  A private tmux server (-L with this process's id)
 * is used and killed after each test; the capture is polled a bounded
 * number of times instead of sleeping.
 *
 * Skips (with a message) only when tmux is not installed.  Runs
 * $TRAPEZE_BUILD/bin/tzdbg (default build/) on build/guests/trap_priv.img.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PATH 1024
#define CMD 4096
#define CAPTURE_MAX 65536
#define POLL_TRIES 200          /* x POLL_NS: at most 10 s */
#define POLL_NS 50000000L
#define SCREEN_COLS 80
#define SCREEN_LINES 24

struct screen {
	char sock[64];
	char tzdbg[PATH], image[PATH];
	char cap[CAPTURE_MAX];
};

static bool have_tmux(void)
{
	return system("tmux -V >/dev/null 2>&1") == 0;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[CMD];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void capture(struct screen *s)
{
	char cmd[CMD];
	snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t dbg 2>/dev/null", s->sock);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(s->cap, 1, sizeof s->cap - 1, p);
	s->cap[n] = '\0';
	pclose(p);
}

/* Poll the pane until it shows text; fail with the last capture if not. */
static void wait_for(struct screen *s, const char *text)
{
	struct timespec ts = { 0, POLL_NS };
	for (int i = 0; i < POLL_TRIES; i++) {
		capture(s);
		if (strstr(s->cap, text))
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("the screen never showed \"%s\"; it shows:\n%s", text, s->cap);
}

/* The capture's line that contains text, or NULL. */
static const char *line_with(const struct screen *s, const char *text, char *buf, size_t len)
{
	const char *p = strstr(s->cap, text);
	if (!p)
		return NULL;
	const char *b = p;
	while (b > s->cap && b[-1] != '\n')
		b--;
	size_t n = strcspn(b, "\n");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), b);
	return buf;
}

static void keys(struct screen *s, const char *k)
{
	sh("tmux -L %s send-keys -t dbg %s", s->sock, k);
}

/* Type a command line and Enter. */
static void type(struct screen *s, const char *line)
{
	sh("tmux -L %s send-keys -t dbg -l '%s'", s->sock, line);
	keys(s, "Enter");
}

static int setup(void **state)
{
	if (!have_tmux())
		return 0;
	struct screen *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	const char *build = getenv("TRAPEZE_BUILD");
	char cwd[PATH / 2] = "";
	if (!build)
		build = "build";
	if (build[0] != '/' && !getcwd(cwd, sizeof cwd)) {
		free(s);
		return -1;
	}
	/* Absolute paths: the tmux server runs them from its own directory. */
	snprintf(s->tzdbg, sizeof s->tzdbg, "%s%s%s/bin/tzdbg", cwd, *cwd ? "/" : "", build);
	snprintf(s->image, sizeof s->image, "%s%s%s/guests/trap_priv.img", cwd, *cwd ? "/" : "", build);
	if (access(s->tzdbg, X_OK) != 0 || access(s->image, R_OK) != 0) {
		fprintf(stderr, "%s or %s is not built\n", s->tzdbg, s->image);
		free(s);
		return -1;
	}
	static unsigned serial;
	snprintf(s->sock, sizeof s->sock, "tzdbg-test-%ld-%u", (long)getpid(), serial++);
	*state = s;
	return 0;
}

/* Start tzdbg on trap_priv in a new detached session (TERM term if not
 * NULL: tmux's own otherwise). */
static void start(struct screen *s, const char *term)
{
	char env[64] = "";
	if (term)
		snprintf(env, sizeof env, "TERM=%s ", term);
	sh("tmux -L %s -f /dev/null new-session -d -s dbg -x %d -y %d '%s%s %s'", s->sock,
	   SCREEN_COLS, SCREEN_LINES, env, s->tzdbg, s->image);
	wait_for(s, "(tzdbg)");
}

static int teardown(void **state)
{
	struct screen *s = *state;
	if (s) {
		char cmd[CMD];
		snprintf(cmd, sizeof cmd, "tmux -L %s kill-server >/dev/null 2>&1", s->sock);
		if (system(cmd) != 0) {
			/* already gone: tzdbg quit and the session ended */
		}
		free(s);
	}
	return 0;
}

#define NEED_TMUX(s) do { if (!(s)) { fprintf(stderr, "tmux is not installed: screen test skipped\n"); skip(); } start(s, NULL); } while (0)

/* The first screen at 80x24: every part is there. */
static void test_screen_parts(void **state)
{
	struct screen *s = *state;
	NEED_TMUX(s);
	wait_for(s, "virtual PSW");
	assert_non_null(strstr(s->cap, "real PSW"));
	assert_non_null(strstr(s->cap, "relocation: guest R"));
	assert_non_null(strstr(s->cap, ">00000100  movi r1, 0"));
	assert_non_null(strstr(s->cap, "no traps yet"));
	unsigned lines = 0;
	for (const char *p = s->cap; *p; p++)
		lines += *p == '\n';
	assert_true(lines <= SCREEN_LINES);
}

/* A breakpoint stops: the message, and the pc marker on its row.  The
 * command is typed with tab completion of its name and of the symbol. */
static void test_breakpoint_stops(void **state)
{
	struct screen *s = *state;
	NEED_TMUX(s);
	sh("tmux -L %s send-keys -t dbg -l 'brea'", s->sock);
	keys(s, "Tab");
	sh("tmux -L %s send-keys -t dbg -l 'us'", s->sock);
	keys(s, "Tab");
	wait_for(s, "(tzdbg) break user");
	keys(s, "Enter");
	wait_for(s, "Breakpoint 1 at 0x00000140 <user>");
	type(s, "continue");
	wait_for(s, "Breakpoint 1: guest 0 (trap_priv) at 0x00000140 <user>");
	wait_for(s, "B>00000140  movi r7, 33");
}

/* Stepping over a privileged instruction in virtual user mode: the trap
 * appears in the timeline, from the user lane, reflected by the monitor. */
static void test_trap_in_timeline(void **state)
{
	struct screen *s = *state;
	NEED_TMUX(s);
	type(s, "break user");
	type(s, "continue");
	wait_for(s, "B>00000140");
	type(s, "step");
	wait_for(s, ">00000144  out r7, 0x0");
	type(s, "step");
	wait_for(s, "<handler>");
	char line[256];
	wait_for(s, " 144 reflected out");
	assert_non_null(line_with(s, " 144 reflected out", line, sizeof line));
	/* lanes U K M: from user (*), to kernel (>), monitor R(eflected) */
	assert_non_null(strstr(line, "* > R priv "));
	/* Up in the key mode selects it and explains it. */
	keys(s, "Escape");
	wait_for(s, "-- keys:");
	keys(s, "Up");
	wait_for(s, "Trap #32 of guest 0 (trap_priv)");
}

/* reverse-step comes back to the previous pc and registers. */
static void test_reverse_step(void **state)
{
	struct screen *s = *state;
	NEED_TMUX(s);
	type(s, "break user");
	type(s, "continue");
	wait_for(s, "B>00000140");
	type(s, "step");
	wait_for(s, "r7  00000021");
	wait_for(s, ">00000144");
	type(s, "reverse-step");
	wait_for(s, "B>00000140");
	wait_for(s, "r7  00000000");
	wait_for(s, "clock 200");
}

/* Completion lists; single keys: ESC, s steps, Tab cycles the right
 * pane, q quits; resizing. */
static void test_keys_and_resize(void **state)
{
	struct screen *s = *state;
	NEED_TMUX(s);
	/* An ambiguous completion lists the choices in the output. */
	sh("tmux -L %s send-keys -t dbg -l 're'", s->sock);
	keys(s, "Tab");
	wait_for(s, "reverse-continue  reverse-step");
	keys(s, "C-u");
	keys(s, "Escape");
	wait_for(s, "[keys]");
	keys(s, "s");
	wait_for(s, ">00000104");
	keys(s, "Tab");
	wait_for(s, "right: memory");
	keys(s, "Tab");
	wait_for(s, "right: guests");
	wait_for(s, "eff [");
	sh("tmux -L %s resize-window -t dbg -x %d -y %d", s->sock, 2 * SCREEN_COLS, 2 * SCREEN_LINES);
	wait_for(s, "clock U K M cause"); /* wide: the timeline beside the chosen pane */
	sh("tmux -L %s resize-window -t dbg -x %d -y %d", s->sock, SCREEN_COLS / 2, SCREEN_LINES);
	wait_for(s, "tzdbg needs 80x24");
	sh("tmux -L %s resize-window -t dbg -x %d -y %d", s->sock, SCREEN_COLS, SCREEN_LINES);
	wait_for(s, "virtual PSW");
	keys(s, "q");
	struct timespec ts = { 0, POLL_NS };
	char cmd[CMD];
	snprintf(cmd, sizeof cmd, "tmux -L %s has-session -t dbg >/dev/null 2>&1", s->sock);
	int i;
	for (i = 0; i < POLL_TRIES && system(cmd) == 0; i++)
		nanosleep(&ts, NULL);
	assert_true(i < POLL_TRIES); /* the session ended with tzdbg */
}

/* A terminal without colours (vt100): every mark is still there. */
static void test_no_colors(void **state)
{
	struct screen *s = *state;
	if (!s) {
		fprintf(stderr, "tmux is not installed: screen test skipped\n");
		skip();
	}
	start(s, "vt100");
	wait_for(s, "virtual PSW");
	type(s, "break user");
	type(s, "continue");
	wait_for(s, "B>00000140  movi r7, 33");
	type(s, "step 2");
	wait_for(s, " 144 reflected out");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_screen_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breakpoint_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trap_in_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reverse_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_and_resize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_colors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
