/*
 * grade_sandbox.c -- running untrusted code: one process per test.
 *
 *   grader ──fork──> C: own process group; stdin /dev/null; stdout and
 *                       stderr into one capped pipe; the observation pipe;
 *                       every other descriptor closed.  If it may, C
 *                       moves into new PID and network namespaces and
 *                       forks G, the namespace's first process, which
 *                       dies with C (PR_SET_PDEATHSIG); when G dies the
 *                       kernel kills everything G started.
 *                  G (or C): resource limits (CPU time, address space,
 *                       open files, file size, processes, no core dumps),
 *                       root dropped to a user id of its own, then the test.
 *
 * The grader alone keeps the wall clock (it is not the machine: the grader
 * may use real time) and kills the whole process group at the deadline.
 * Whatever the child does -- loop, fork, allocate, crash, exit early,
 * print -- the grader ends up with its exit status, at most
 * GRADE_OUTPUT_CAP bytes of its output and at most GRADE_OBS_CAP bytes of
 * observation, and nothing else.
 */
#define _GNU_SOURCE /* unshare, prctl, setgroups */
#include "grade.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Tests run by root get a user id of their own from this range (ids no
 * account uses: files of theirs cannot exist). */
#define SANDBOX_UID_BASE 200000u
#define SANDBOX_UID_RANGE 100000u
#define POLL_MS 20               /* how often the grader looks at the clock */
#define FD_CLOSE_MAX 4096        /* descriptors the child closes */
#define READ_CHUNK 4096
#define EXIT_SETUP_FAILED 125    /* the child could not set itself up */
#define SIGNAL_EXIT_BASE 128
#define LIMIT_AS_BYTES (1ull << 30) /* address space of a test */
#define LIMIT_NOFILE 32             /* open files */
#define LIMIT_FSIZE (1u << 20)      /* largest file it may write */
#define LIMIT_NPROC 64              /* processes (of its user) */
/* Sanitizer builds: no leak report (it is not the test), and malloc of a
 * huge block fails instead of taking the machine's memory. */
#define ASAN_OPTIONS_CHILD "detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=1024"

void grade_limits_default(struct grade_limits *l)
{
	*l = (struct grade_limits){
		.timeout_s = GRADE_TIMEOUT_DEFAULT,
		.cpu_s = (unsigned)GRADE_TIMEOUT_DEFAULT,
		.as_bytes = LIMIT_AS_BYTES,
		.nofile = LIMIT_NOFILE,
		.fsize = LIMIT_FSIZE,
		.nproc = LIMIT_NPROC,
		.untrusted = true,
	};
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_limit(int what, rlim_t v)
{
	struct rlimit r = { v, v };
	setrlimit(what, &r);
}

/* In the process that runs the test: limits, then no more root. */
static int confine(const struct grade_limits *l, pid_t host_pid)
{
	set_limit(RLIMIT_CORE, 0);
	if (l->cpu_s)
		set_limit(RLIMIT_CPU, l->cpu_s);
	if (l->as_bytes)
		set_limit(RLIMIT_AS, l->as_bytes);
	if (l->nofile)
		set_limit(RLIMIT_NOFILE, l->nofile);
	if (l->fsize)
		set_limit(RLIMIT_FSIZE, l->fsize);
	if (l->nproc)
		set_limit(RLIMIT_NPROC, l->nproc);
	setenv("ASAN_OPTIONS", ASAN_OPTIONS_CHILD, 1);
	if (l->untrusted && geteuid() == 0) {
		/* A user of its own, which owns nothing: RLIMIT_NPROC then
		 * counts this test's processes only (a fork bomb in one test
		 * cannot starve another graded at the same time), and it can
		 * write nothing of the grader's. */
		uid_t id = (uid_t)(SANDBOX_UID_BASE + (unsigned)host_pid % SANDBOX_UID_RANGE);
		if (setgroups(0, NULL) != 0 || setgid(id) != 0 || setuid(id) != 0)
			return -1;
	}
	return 0;
}

static void child_main(const struct grade_limits *l, grade_child_fn fn, void *ctx, int out_fd,
                       int obs_fd)
{
	setpgid(0, 0);
	pid_t host_pid = getpid(); /* unique among the processes alive now */
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(EXIT_SETUP_FAILED);
	for (int fd = STDERR_FILENO + 1; fd < FD_CLOSE_MAX; fd++)
		if (fd != obs_fd)
			close(fd);
	if (l->untrusted) {
		int flags = CLONE_NEWPID | CLONE_NEWNET;
		if (geteuid() != 0)
			flags |= CLONE_NEWUSER;
		if (unshare(flags) == 0) {
			pid_t parent = getpid();
			pid_t g = fork();
			if (g < 0)
				_exit(EXIT_SETUP_FAILED);
			if (g > 0) {
				close(obs_fd);
				close(STDOUT_FILENO);
				close(STDERR_FILENO);
				int st;
				while (waitpid(g, &st, 0) < 0 && errno == EINTR)
					;
				if (WIFSIGNALED(st)) {
					/* Die the same way, for the grader's message. */
					signal(WTERMSIG(st), SIG_DFL);
					kill(getpid(), WTERMSIG(st));
					_exit(SIGNAL_EXIT_BASE + WTERMSIG(st));
				}
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_SETUP_FAILED);
			}
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent && getppid() != 0)
				_exit(EXIT_SETUP_FAILED);
		}
	}
	if (confine(l, host_pid) != 0)
		_exit(EXIT_SETUP_FAILED);
	_exit(fn(ctx, obs_fd));
}

/* Read what is there from fd into buf (up to cap; the rest is dropped). */
static bool drain(int fd, char *buf, size_t *len, size_t cap, bool *cut)
{
	char chunk[READ_CHUNK];
	ssize_t n = read(fd, chunk, sizeof chunk);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	size_t room = cap - *len;
	size_t take = (size_t)n < room ? (size_t)n : room;
	memcpy(buf + *len, chunk, take);
	*len += take;
	if (take < (size_t)n)
		*cut = true;
	return true;
}

int grade_sandbox_run(const struct grade_limits *l, grade_child_fn fn, void *ctx,
                      struct grade_child *res)
{
	memset(res, 0, sizeof *res);
	int out[2], obs[2];
	if (pipe(out) != 0)
		return PG32_EIO;
	if (pipe(obs) != 0) {
		close(out[0]);
		close(out[1]);
		return PG32_EIO;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]), close(out[1]), close(obs[0]), close(obs[1]);
		return PG32_EIO;
	}
	if (pid == 0) {
		close(out[0]);
		close(obs[0]);
		child_main(l, fn, ctx, out[1], obs[1]);
	}
	setpgid(pid, pid);
	close(out[1]);
	close(obs[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(obs[0], F_SETFL, O_NONBLOCK);
	char *ob = malloc(GRADE_OBS_CAP);
	size_t ob_len = 0;
	bool ob_cut = false, out_open = true, obs_open = true, reaped = false;
	double deadline = now_s() + l->timeout_s;
	while (out_open || obs_open || !reaped) {
		struct pollfd p[2] = { { out_open ? out[0] : -1, POLLIN, 0 },
		                       { obs_open ? obs[0] : -1, POLLIN, 0 } };
		poll(p, 2, POLL_MS);
		if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			out_open = drain(out[0], res->output, &res->output_len, GRADE_OUTPUT_CAP,
			                 &res->output_cut);
		if (obs_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			obs_open = ob ? drain(obs[0], ob, &ob_len, GRADE_OBS_CAP, &ob_cut) : false;
		if (!reaped && waitpid(pid, &res->status, WNOHANG) == pid) {
			reaped = true;
			/* Whatever it left behind in its group goes too. */
			kill(-pid, SIGKILL);
		}
		if (now_s() > deadline) {
			if (!reaped) {
				res->timed_out = true;
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				waitpid(pid, &res->status, 0);
				reaped = true;
			}
			break;
		}
	}
	close(out[0]);
	close(obs[0]);
	res->output[res->output_len] = '\0';
	if (ob) {
		res->obs.text = ob;
		res->obs.len = ob_len;
		res->obs.cap = GRADE_OBS_CAP;
		res->obs.overflow = ob_cut;
	}
	return 0;
}

void grade_child_describe(const struct grade_child *c, char *buf, size_t len)
{
	if (c->timed_out)
		grade_fmt(buf, len, "did not finish within the time limit (an endless loop or a wait?)");
	else if (WIFSIGNALED(c->status)) {
		int sig = WTERMSIG(c->status);
		grade_fmt(buf, len, "crashed: killed by signal %d (%s)%s", sig, strsignal(sig),
		         sig == SIGXCPU ? ": CPU time limit" : "");
	} else if (WIFEXITED(c->status))
		grade_fmt(buf, len, "exited with status %d", WEXITSTATUS(c->status));
	else
		grade_fmt(buf, len, "ended oddly (status 0x%x)", (unsigned)c->status);
}
