/*
 * grade.h -- the public interface of labs/: the labs and their grader.
 *
 * A lab is one folder labs/NAME/ (see docs/instructors.md):
 *
 *   lab.conf        title, kind (c or asm), the student's module file(s)
 *                   and the project source each one replaces, settings
 *   README.md       the handout
 *   tests.txt       visible tests: "NAME POINTS SCENARIO ARG" per line
 *   tests/          their guest programs
 *   hidden/         hidden tests (hidden/tests.txt and their programs),
 *                   run only with --hidden; never copied into a handout
 *   solution/       a reference module when it is not a project file
 *
 * Grading a submission (grade_submission): the student's module is built
 * against the project library in place of the reference part; each test
 * runs in its own sandboxed process (resource limits, wall-clock timeout,
 * output captured and capped) and returns an OBSERVATION: a text record of
 * what the student's code did (a trace of the monitor's events, the final
 * machine, the console).  The grader itself runs the same scenario with the
 * reference and compares: a test passes only when the observations are
 * equal, and the message names the first divergence.  The child never says
 * "passed": nothing it prints or writes can raise a score.
 *
 * Skeletons (grade_make_handout): the reference sources carry marked
 * regions (LAB name BEGIN ... LAB name END, in a comment, with "TODO:"
 * text and "stub:" lines); the handout has each region replaced by its
 * TODO comment and its stub, so the starting code never drifts from the
 * project's own implementation.
 */
#ifndef GRADE_H
#define GRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pg32.h"

#define GRADE_NAME_MAX 64u
#define GRADE_PATH_MAX 1024u
#define GRADE_TITLE_MAX 160u
#define GRADE_MSG_MAX 1024u
#define GRADE_MAX_TESTS 64u
#define GRADE_MAX_MODULES 4u
#define GRADE_OUTPUT_CAP 4096u           /* bytes of a test's stdout+stderr kept */
#define GRADE_OBS_CAP (8u << 20)         /* bytes of one observation */
#define GRADE_TIMEOUT_DEFAULT 10.0       /* seconds of wall-clock time per test */
#define GRADE_BUILD_TIMEOUT 60.0         /* seconds to compile and link a submission */
#define GRADE_MEM_DEFAULT 0x4000u        /* a test guest's memory */
#define GRADE_MAX_INSN_DEFAULT 200000u   /* a test guest's instruction limit */
#define GRADE_EVENTS_MAX 5000u           /* events of one trace that are recorded */

enum grade_kind {
	GRADE_KIND_C,   /* the module is C, linked in place of library objects */
	GRADE_KIND_ASM, /* the module is PG32 assembly, assembled into the test */
};

/* One test of a lab (a line of tests.txt). */
struct grade_test {
	char name[GRADE_NAME_MAX];
	double points;
	char scenario[GRADE_NAME_MAX];   /* guest, random, kernel */
	char arg[GRADE_PATH_MAX];        /* its argument as written */
	char dir[GRADE_PATH_MAX];        /* directory its files are relative to */
	bool hidden;
};

/* One student module: the file the student writes and the project file it
 * stands in for (relative to the project root). */
struct grade_module {
	char file[GRADE_NAME_MAX];
	char reference[GRADE_PATH_MAX];
};

struct grade_lab {
	char name[GRADE_NAME_MAX];
	char title[GRADE_TITLE_MAX];
	char dir[GRADE_PATH_MAX];        /* labs/NAME */
	char root[GRADE_PATH_MAX];       /* the project root (isa/ vmm/ guests/ ...) */
	enum grade_kind kind;
	struct grade_module modules[GRADE_MAX_MODULES];
	unsigned nmodules;
	char symbols[GRADE_TITLE_MAX];   /* external names the module must define */
	char frame[GRADE_NAME_MAX];      /* asm labs: the lab's frame source */
	uint32_t mem_size;
	uint64_t max_instructions;
	bool beside;                     /* pad guests around the tested one */
	isa_variant random_variant;      /* random tests' programs (random-isa; 0: well) */
	struct grade_test tests[GRADE_MAX_TESTS];
	unsigned ntests;
};

/* Load labs_dir/name/lab.conf and its tests (hidden ones too when hidden).
 * root is the project root.  Returns 0 or PG32_EFORMAT / PG32_EIO with a
 * message naming the file and line. */
int grade_lab_load(const char *labs_dir, const char *root, const char *name, bool hidden,
                   struct grade_lab *lab, char *msg, size_t msglen);

/* snprintf without the compiler's truncation guesses: paths and messages
 * are cut at the buffer's end, always NUL-terminated. */
int grade_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- observations ------------------------------------------------------ */

/* A growing text record.  Lines starting with '#' are notes: shown in a
 * divergence message, never compared. */
struct grade_obs {
	char *text;
	size_t len, cap;
	bool overflow;                   /* GRADE_OBS_CAP was reached */
};
void grade_obs_printf(struct grade_obs *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void grade_obs_free(struct grade_obs *o);
/* Compare a student's observation with the reference.  true if equal;
 * otherwise msg says where they first differ ("event 12 (instruction 345,
 * pc 0x00000104): r3 is 0x7, the reference has 0x5"). */
bool grade_obs_compare(const char *ref, size_t ref_len, const char *got, size_t got_len,
                       char *msg, size_t msglen);

/* ---- scenarios: what one test runs -------------------------------------- */

/* A scenario, as the grader passes it to the process that runs it. */
struct grade_scenario {
	char kind[GRADE_NAME_MAX];       /* guest, random, kernel */
	char image[GRADE_PATH_MAX];      /* guest: an image file */
	uint64_t seed;                   /* random: first seed ... */
	unsigned count;                  /* ... and how many programs */
	char frame[GRADE_PATH_MAX];      /* kernel: the lab's frame, */
	char module[GRADE_PATH_MAX];     /* the student's handler, */
	char user[GRADE_PATH_MAX];       /* the test's user program */
	char incdir[GRADE_PATH_MAX];     /* kernel: where pg32.inc is */
	uint32_t mem_size;
	uint64_t max_instructions;
	bool beside;
	isa_variant variant;             /* random: the programs' variant (0: well) */
};

/* Run sc with whatever monitor is linked in and record the observation.
 * Returns 0, or a PG32_E* code with a message when it could not start. */
int grade_scenario_run(const struct grade_scenario *sc, struct grade_obs *o, char *msg,
                       size_t msglen);
/* The main() of a submission's test runner: "runner OBS_FD SCENARIO-ARGS"
 * (see grade_scenario_argv).  Writes the observation to OBS_FD. */
int grade_runner_main(int argc, char **argv);
/* argv for grade_runner_main (static storage in *buf; NULL-terminated). */
#define GRADE_ARGV_MAX 16u
void grade_scenario_argv(const struct grade_scenario *sc, const char *runner, int obs_fd,
                         char bufs[GRADE_ARGV_MAX][GRADE_PATH_MAX], char *argv[GRADE_ARGV_MAX]);

/* ---- the sandbox -------------------------------------------------------- */

struct grade_limits {
	double timeout_s;                /* wall clock, then SIGKILL of everything */
	unsigned cpu_s;                  /* RLIMIT_CPU */
	uint64_t as_bytes;               /* RLIMIT_AS (0: not set, as under ASan) */
	unsigned nofile;                 /* RLIMIT_NOFILE */
	uint64_t fsize;                  /* RLIMIT_FSIZE */
	unsigned nproc;                  /* RLIMIT_NPROC */
	bool untrusted;                  /* drop root, new PID and network namespaces */
};
void grade_limits_default(struct grade_limits *l);

struct grade_child {
	int status;                      /* as from waitpid */
	bool timed_out;
	char output[GRADE_OUTPUT_CAP + 1]; /* stdout and stderr, NUL-terminated */
	size_t output_len;
	bool output_cut;
	struct grade_obs obs;            /* what came through the observation pipe */
};
/* Runs in the child with the observation pipe's fd; its return value is
 * the child's exit status. */
typedef int (*grade_child_fn)(void *ctx, int obs_fd);
/* Run fn in a sandboxed child and collect everything.  Returns 0, or
 * PG32_EIO when the child could not be started. */
int grade_sandbox_run(const struct grade_limits *l, grade_child_fn fn, void *ctx,
                      struct grade_child *res);
/* One line: "exited with status 3", "killed by signal 9 (...)", ... */
void grade_child_describe(const struct grade_child *c, char *buf, size_t len);

/* ---- grading ------------------------------------------------------------ */

struct grade_test_result {
	char name[GRADE_NAME_MAX];
	double points, max_points;
	bool hidden;
	char message[GRADE_MSG_MAX];
	char output[GRADE_OUTPUT_CAP + 1]; /* what the student's code printed */
};

struct grade_result {
	char lab[GRADE_NAME_MAX];
	char submission[GRADE_PATH_MAX];
	double score, max_score;
	char build_message[GRADE_MSG_MAX]; /* "" when it built */
	struct grade_test_result tests[GRADE_MAX_TESTS];
	unsigned ntests;
};

/* Where the grader finds the project at grade time. */
struct grade_env {
	char root[GRADE_PATH_MAX];       /* project root: isa/ vmm/ asm/ guests/ */
	char labs[GRADE_PATH_MAX];       /* labs directory */
	char lib[GRADE_PATH_MAX];        /* libtrapeze.a */
	char cc[GRADE_PATH_MAX];         /* compiler */
	char cflags[GRADE_PATH_MAX];     /* extra flags (sanitizers of the library) */
	char work[GRADE_PATH_MAX];       /* scratch directory ("" : $TMPDIR or /tmp) */
	struct grade_limits limits;
	const char *only;                /* comma-separated test names, or NULL: all */
};

/* The reference observations of a lab's tests, computed once. */
struct grade_reference {
	struct grade_obs obs[GRADE_MAX_TESTS];
	char error[GRADE_MAX_TESTS][GRADE_MSG_MAX];
};
int grade_reference_make(const struct grade_env *env, const struct grade_lab *lab,
                         struct grade_reference *ref, char *msg, size_t msglen);
void grade_reference_free(struct grade_reference *ref);

/* Grade the submission in directory sub.  Always fills *res (a submission
 * that does not build gets 0 on every test, with the reason). */
void grade_submission(const struct grade_env *env, const struct grade_lab *lab,
                      const struct grade_reference *ref, const char *sub,
                      struct grade_result *res);

/* ---- reports -------------------------------------------------------------- */

enum grade_format {
	GRADE_FMT_TEXT,
	GRADE_FMT_GRADESCOPE,
	GRADE_FMT_PRAIRIELEARN,
	GRADE_FMT_AUTOLAB,
	GRADE_FMT_JUNIT,
};
/* "text", "gradescope", ...: 0 and *out, or PG32_EARG. */
int grade_format_parse(const char *text, enum grade_format *out);
void grade_report(const struct grade_result *res, enum grade_format f, FILE *out);
/* Batch: one CSV header line and one row per result. */
void grade_csv(const struct grade_result *res, size_t n, FILE *out);

/* ---- handouts ------------------------------------------------------------- */

/* Replace the marked regions of text by their TODO comments and stubs.
 * Returns a malloc'd string, or NULL with a message (unterminated region). */
char *grade_skeleton(const char *text, const char *name, char *msg, size_t msglen);
/* Write the student handout of lab into dir: README.md, lab.conf,
 * tests.txt, tests/, the frame, and the skeleton of each module. */
int grade_make_handout(const struct grade_lab *lab, const char *dir, char *msg, size_t msglen);

#endif /* GRADE_H */
