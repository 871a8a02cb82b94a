/*
 * test_grade.c -- the grader graded: tzgrade on every lab with the
 * reference (full marks), the generated starting code (it builds, and
 * scores 0 on every graded test), planted bugs (each loses the points of
 * the test meant to catch it), hostile submissions (they never crash the
 * grader nor raise a score), every report format, batch mode, and the
 * library's pieces (observation compare, skeleton generation).
 *
 * Runs $TRAPEZE_BUILD/bin/tzgrade (default build/) from the project root,
 * on submissions written to a temporary directory.  Planted bugs and
 * hostile code are made from the project's own sources by replacing one
 * exact piece of text, so a change of the sources that drops the piece
 * fails here loudly instead of testing nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade.h"

#define PATH 1024
#define CMD 4096
#define FILE_MAX (8u << 20)
#define HOSTILE_TIMEOUT "1.5"   /* seconds per test for submissions that hang */
#define BUG_TIMEOUT "3"

static char build[PATH], tzgrade[PATH], tmp[PATH];
static unsigned ndirs;

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FILE_MAX, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A fresh submission folder. */
static void new_dir(char *dir, size_t len)
{
	grade_fmt(dir, len, "%s/sub%u", tmp, ndirs++);
	assert_int_equal(mkdir(dir, 0755), 0);
}

/* Copy the project file src (relative to the root) into dir as name,
 * replacing the one occurrence of find by repl (find NULL: unchanged). */
static void put_variant(const char *dir, const char *name, const char *src, const char *find,
                        const char *repl)
{
	char *text = slurp(src);
	assert_non_null(text);
	char path[PATH];
	grade_fmt(path, sizeof path, "%s/%s", dir, name);
	if (!find) {
		spit(path, text);
		free(text);
		return;
	}
	char *at = strstr(text, find);
	if (!at)
		fail_msg("%s no longer contains the text a test replaces: \"%s\"", src, find);
	assert_null(strstr(at + 1, find)); /* exactly once */
	size_t n = strlen(text) - strlen(find) + strlen(repl) + 1;
	char *out = malloc(n);
	assert_non_null(out);
	grade_fmt(out, n, "%.*s%s%s", (int)(at - text), text, repl, at + strlen(find));
	spit(path, out);
	free(out);
	free(text);
}

/* Run tzgrade with args; returns its exit status; its stdout in *out. */
static int run_grader(char **out, const char *fmt, ...)
{
	char args[CMD], cmd[CMD + PATH * 2], log[PATH];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	grade_fmt(log, sizeof log, "%s/stdout", tmp);
	grade_fmt(cmd, sizeof cmd, "%s %s >%s 2>&1", tzgrade, args, log);
	int st = system(cmd);
	if (out)
		*out = slurp(log);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- a tiny JSON checker ------------------------------------------------- */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < ' ')
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_string(json_ws(p));
				if (!p)
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_value(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	char *end;
	strtod(p, &end);
	return end > p ? end : NULL;
}

static bool json_ok(const char *text)
{
	const char *end = text ? json_value(text) : NULL;
	return end && *json_ws(end) == '\0';
}

/* The number after "key": in text (the first one after from). */
static double json_number(const char *from, const char *key)
{
	char pat[128];
	grade_fmt(pat, sizeof pat, "\"%s\": ", key);
	const char *p = strstr(from, pat);
	if (!p)
		fail_msg("no \"%s\" in the report", key);
	return strtod(p + strlen(pat), NULL);
}

/* The score of test name in a Gradescope report. */
static double test_score(const char *report, const char *name)
{
	char pat[128];
	grade_fmt(pat, sizeof pat, "{\"name\": \"%s\", ", name);
	const char *p = strstr(report, pat);
	if (!p)
		fail_msg("test %s is not in the report:\n%s", name, report);
	return json_number(p, "score");
}

/* Grade sub with lab into a Gradescope report (returned, malloc'd). */
static char *grade_json(const char *lab, const char *sub, const char *extra)
{
	char outp[PATH];
	grade_fmt(outp, sizeof outp, "%s/results.json", tmp);
	unlink(outp);
	char *log;
	int rc = run_grader(&log, "%s %s --format gradescope --out %s %s", lab, sub, outp,
	                    extra ? extra : "");
	if (rc != 0)
		fail_msg("tzgrade %s %s exited with %d:\n%s", lab, sub, rc, log ? log : "");
	free(log);
	char *r = slurp(outp);
	assert_non_null(r);
	if (!json_ok(r))
		fail_msg("not JSON:\n%s", r);
	return r;
}

/* ---- the labs --------------------------------------------------------------- */

struct lab_files {
	const char *lab;
	const char *files[3][2]; /* module name, reference source */
};

static const struct lab_files LABS[] = {
	{ "trap_handler", { { "handler.s", "labs/trap_handler/solution/handler.s" } } },
	{ "interp", { { "interp.c", "vmm/interp.c" } } },
	{ "reflect", { { "reflect.c", "vmm/reflect.c" }, { "alloc.c", "vmm/alloc.c" } } },
	{ "rewrite", { { "rewrite.c", "vmm/rewrite.c" } } },
};
#define NLABS (sizeof LABS / sizeof LABS[0])

static const struct lab_files *lab_of(const char *name)
{
	for (unsigned i = 0; i < NLABS; i++)
		if (strcmp(LABS[i].lab, name) == 0)
			return &LABS[i];
	fail_msg("no lab %s", name);
	return NULL;
}

/* A submission of the reference, with one file changed (or none). */
static void make_variant(char *dir, size_t len, const char *lab, const char *file,
                         const char *find, const char *repl)
{
	const struct lab_files *l = lab_of(lab);
	new_dir(dir, len);
	for (unsigned m = 0; m < 3 && l->files[m][0]; m++) {
		bool this = file && strcmp(file, l->files[m][0]) == 0;
		put_variant(dir, l->files[m][0], l->files[m][1], this ? find : NULL, repl);
	}
}

/* The reference gets full marks on every lab, hidden tests included. */
static void test_reference_full_marks(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NLABS; i++) {
		char dir[PATH];
		make_variant(dir, sizeof dir, LABS[i].lab, NULL, NULL, NULL);
		char *r = grade_json(LABS[i].lab, dir, "--hidden");
		double score = json_number(r, "score");
		double max = 0;
		for (const char *p = strstr(r, "\"max_score\": "); p; p = strstr(p + 1, "\"max_score\": "))
			max += strtod(p + strlen("\"max_score\": "), NULL);
		if (!(max > 0) || score != max)
			fail_msg("lab %s: the reference scores %.1f of %.1f:\n%s", LABS[i].lab, score, max, r);
		free(r);
	}
}

/* The generated starting code builds and scores 0 on every graded test. */
static void test_skeleton_scores_zero(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NLABS; i++) {
		char dir[PATH];
		grade_fmt(dir, sizeof dir, "%s/labs/%s", build, LABS[i].lab);
		char *r = grade_json(LABS[i].lab, dir, "--hidden");
		/* It built: no build message, no test "not run". */
		assert_non_null(strstr(r, "{\"score\": 0.00, \"output\": \"\""));
		assert_null(strstr(r, "not run"));
		assert_null(strstr(r, "assembly failed"));
		for (const char *p = strstr(r, "\"score\": "); p; p = strstr(p + 1, "\"score\": "))
			if (strtod(p + strlen("\"score\": "), NULL) != 0)
				fail_msg("lab %s: the starting code scores points:\n%s", LABS[i].lab, r);
		free(r);
	}
}

/* Each skeleton C file also compiles on its own with the project's flags. */
static void test_skeleton_compiles(void **state)
{
	(void)state;
	static const char *const files[] = { "interp/interp.c", "reflect/reflect.c", "reflect/alloc.c",
	                                     "rewrite/rewrite.c" };
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
		char cmd[CMD];
		grade_fmt(cmd, sizeof cmd, "cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iisa -Ivmm "
		         "-c -o %s/skel.o %s/labs/%s 2>%s/cc.log", tmp, build, files[i], tmp);
		if (system(cmd) != 0)
			fail_msg("the skeleton %s does not compile", files[i]);
	}
}

/* ---- planted bugs --------------------------------------------------------- */

struct bug {
	const char *lab, *file, *find, *repl;
	const char *test; /* the test meant to catch it */
	const char *what;
};

static const struct bug BUGS[] = {
	/* lab trap_handler */
	{ "trap_handler", "handler.s", "\tsw r7, 7 * WORD(r12)\n", "", "regs_svc",
	  "forgets to save r7" },
	{ "trap_handler", "handler.s", "\tsw r2, 0(r1)\n\tb restore",
	  "\tsw r2, 0(r1)\n\tmovi r12, PG32_OLD_PSW\n\tlpsw r12", "regs_timer",
	  "returns from a tick without restoring registers" },
	{ "trap_handler", "handler.s", "\taddi r2, r2, 1\n\tsw r2, 0(r1)", "\tsw r2, 0(r1)", "ticks",
	  "does not count ticks" },
	{ "trap_handler", "handler.s", "\tcmp r3, r4\n\tbgeu puts_fault", "\tcmp r3, r4", "puts_fault",
	  "SYS_PUTS without the window check" },
	{ "trap_handler", "handler.s", "\tmovi r1, E_NOSYS\n\tb result", "\tmovi r1, 0\n\tb result",
	  "nosys", "an unknown system call returns 0" },
	{ "trap_handler", "handler.s", "\tpoweroff EXIT_KILLED", "\tpoweroff 0", "fault_kill",
	  "a killed program exits with 0" },
	{ "trap_handler", "handler.s", "\tsw r1, REG_R1(r12)", "\tnop", "puts",
	  "the result never reaches the user's r1" },
	/* lab interp */
	{ "interp", "interp.c", "vm->r[in->rd] = vm->base;", "vm->r[in->rd] = v->cpu.base;", "srr_lrr",
	  "srr reads the real R" },
	{ "interp", "interp.c", "\tvm->bound = vm->r[in->rs];\n\treturn retire(vm, NEXT_PC(vm));",
	  "\tvm->bound = vm->r[in->rs];\n\treturn retire(vm, vm->pc);", "srr_lrr",
	  "lrr forgets to advance pc" },
	{ "interp", "interp.c", "vm->status = (vm->status & PSW_S) | (vm->r[in->rd] & (PSW_IE | PSW_FLAGS));",
	  "vm->status = vm->r[in->rd] & (PSW_IE | PSW_FLAGS);", "rdpsw_wrfl", "wrfl drops the mode" },
	{ "interp", "interp.c", "pg32_load32(p + PSW_OFF_STATUS) & PSW_VALID;",
	  "pg32_load32(p + PSW_OFF_STATUS);", "lpsw", "lpsw keeps reserved status bits" },
		{ "interp", "interp.c", "\tvm->status &= ~PSW_S;\n", "", "rtu", "rtu stays in system mode" },
		{ "interp", "interp.c", "\tvm->waiting = true;\n", "", "in_out_halt", "halt does not wait" },
	/* lab reflect */
	{ "reflect", "reflect.c", "\tcpu_deliver_trap(vm, t);",
	  "\tstruct cpu_trap u = *t;\n\tu.pc = t->insn_pc;\n\tcpu_deliver_trap(vm, &u);", "svc_reflect",
	  "the reflected PSW saves the svc's own pc" },
	{ "reflect", "reflect.c", "\tcpu_deliver_trap(vm, t);", "\tcpu_deliver_trap(&v->cpu, t);",
	  "faults", "delivers on the real CPU, not the guest's virtual machine" },
	{ "reflect", "reflect.c", "if (g->no_progress >= BARE_MAX_TRAPS_WITHOUT_PROGRESS) {",
	  "if (g->no_progress >= 2 * BARE_MAX_TRAPS_WITHOUT_PROGRESS) {", "trap_loop",
	  "the trap-loop rule counts wrong" },
		{ "reflect", "reflect.c", "\t\tvm->irq_pending &= ~IRQ_TIMER;\n", "", "halt_wakeup",
	  "the timer interrupt taken stays pending" },
	{ "reflect", "alloc.c", "*real_bound = vbound < r->size - vbase ? vbound : r->size - vbase;",
	  "*real_bound = vbound;", "bound_clip", "the bound is not cut at the region's end" },
	{ "reflect", "alloc.c", "*real_base = r->base + vbase;", "*real_base = vbase;", "base_compose",
	  "the region's base is forgotten" },
	{ "reflect", "alloc.c", "if (vbase >= r->size) {", "if (vbase >= 2 * r->size) {", "base_outside",
	  "a base past the memory wraps the bound around" },
	/* lab rewrite */
	{ "rewrite", "rewrite.c", "if (is_critical(rw, w)) {",
	  "if (is_critical(rw, w) && ISA_WORD_OPCODE(w) != ISA_OP_SRR) {", "detect",
	  "forgets to patch one critical instruction (srr)" },
	{ "rewrite", "rewrite.c", "\t\tif (ends_block(w))\n\t\t\tbreak;\n", "", "blocks",
	  "scans past a control transfer" },
	{ "rewrite", "rewrite.c", "\t\tpg32_store32(g->vm.mem + addr, vmm_rewrite_read_word(g, addr));\n",
	  "", "readback", "a load of a patched word sees the patch word" },
	{ "rewrite", "rewrite.c", "\trw->map[i] = CPU_WATCH_X;\n\treturn true;",
	  "\trw->map[i] = 0;\n\treturn true;", "rescan", "a written word is never scanned again" },
	{ "rewrite", "rewrite.c", "\t\tv->own_bytes += rw->words;\n\t\treturn 0;\n",
	  "\t\tv->own_bytes += rw->words;\n", "codedata",
	  "also patches the image by a static scan, data included" },
	{ "rewrite", "rewrite.c", "pg32_store32(at, VMM_PATCH_WORD(i));",
	  "pg32_store32(at, VMM_PATCH_WORD(rw->npatch));", "detect", "a wrong patch index" },
	{ "rewrite", "rewrite.c", "if (i >= rw->npatch || rw->patch[i].addr != addr)",
	  "if (i >= rw->npatch)", "forged", "takes a guest's forged patch word for its own" },
	{ "rewrite", "rewrite.c", "\trw->free_head = i;\n", "", "rescan",
	  "freed patch-table entries are never reused" },
	{ "rewrite", "rewrite.c", "\t\t\tg->stats.rescans += forget_word(g, i);",
	  "\t\t\tforget_word(g, i);", "selfmod", "rescans are not counted" },
	{ "rewrite", "rewrite.c", "patch_at(g, g->vm.base + t->insn_pc, t->insn);",
	  "patch_at(g, t->insn_pc, t->insn);", "user",
	  "finds the patch by the virtual pc, not the guest physical address" },
};

/* The score in column test of row sub of a batch CSV. */
static double csv_score(const char *csv, const char *sub, const char *test)
{
	const char *eol = strchr(csv, '\n');
	assert_non_null(eol);
	unsigned col = 0, want = 0;
	for (const char *p = csv; p < eol; p++) {
		if (*p != ',')
			continue;
		col++;
		if (strncmp(p + 1, test, strlen(test)) == 0 &&
		    (p[1 + strlen(test)] == ',' || p[1 + strlen(test)] == '\n'))
			want = col;
	}
	if (!want)
		fail_msg("no column %s in:\n%s", test, csv);
	char row[64];
	grade_fmt(row, sizeof row, "\n%s,", sub);
	const char *p = strstr(csv, row);
	if (!p)
		fail_msg("no row %s in:\n%s", sub, csv);
	p += strlen(row) - 1;
	for (unsigned c = 0; c < want; c++) {
		p = strchr(p, ',');
		assert_non_null(p);
		p++;
	}
	return strtod(p, NULL);
}

/* Each planted bug loses the points of the test meant to catch it.  The
 * variants of a lab are graded together, in batch mode. */
static void test_planted_bugs(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NLABS; i++) {
		char batch[PATH], tests[CMD] = "", outp[PATH];
		grade_fmt(batch, sizeof batch, "%s/bugs-%s", tmp, LABS[i].lab);
		assert_int_equal(mkdir(batch, 0755), 0);
		unsigned nbugs = 0;
		for (unsigned b = 0; b < sizeof BUGS / sizeof BUGS[0]; b++) {
			const struct bug *g = &BUGS[b];
			if (strcmp(g->lab, LABS[i].lab) != 0)
				continue;
			char dir[PATH];
			grade_fmt(dir, sizeof dir, "%s/bug%02u", batch, b);
			assert_int_equal(mkdir(dir, 0755), 0);
			for (unsigned m = 0; m < 3 && LABS[i].files[m][0]; m++) {
				bool this = strcmp(g->file, LABS[i].files[m][0]) == 0;
				put_variant(dir, LABS[i].files[m][0], LABS[i].files[m][1],
				            this ? g->find : NULL, g->repl);
			}
			char listed[CMD], name[GRADE_NAME_MAX + 2];
			grade_fmt(listed, sizeof listed, ",%s,", tests);
			grade_fmt(name, sizeof name, ",%s,", g->test);
			if (!strstr(listed, name)) {
				size_t u = strlen(tests);
				grade_fmt(tests + u, sizeof tests - u, "%s%s", u ? "," : "", g->test);
			}
			nbugs++;
		}
		assert_true(nbugs >= 5);
		grade_fmt(outp, sizeof outp, "%s/bugs-%s.csv", tmp, LABS[i].lab);
		char *log;
		int rc = run_grader(&log, "%s %s --jobs 2 --tests %s --timeout " BUG_TIMEOUT " --out %s",
		                    LABS[i].lab, batch, tests, outp);
		if (rc != 0)
			fail_msg("tzgrade batch of bugs exited with %d:\n%s", rc, log);
		free(log);
		char *csv = slurp(outp);
		assert_non_null(csv);
		for (unsigned b = 0; b < sizeof BUGS / sizeof BUGS[0]; b++) {
			const struct bug *g = &BUGS[b];
			if (strcmp(g->lab, LABS[i].lab) != 0)
				continue;
			char sub[16];
			grade_fmt(sub, sizeof sub, "bug%02u", b);
			if (csv_score(csv, sub, g->test) != 0)
				fail_msg("lab %s, bug \"%s\": test %s still gives points:\n%s", g->lab,
				         g->what, g->test, csv);
		}
		free(csv);
	}
}

/* An equivalence failure names the first divergence: instruction, pc, field. */
static void test_divergence_message(void **state)
{
	(void)state;
	char dir[PATH];
	make_variant(dir, sizeof dir, "interp", "interp.c", "vm->r[in->rd] = vm->base;",
	             "vm->r[in->rd] = v->cpu.base;");
	char *r = grade_json("interp", dir, "--tests srr_lrr");
	assert_true(test_score(r, "srr_lrr") == 0);
	assert_non_null(strstr(r, "first divergence at event"));
	assert_non_null(strstr(r, "(instruction "));
	assert_non_null(strstr(r, ", pc 0x"));
	assert_non_null(strstr(r, "r7 is 0x00010000, the reference has 0x00000000"));
	free(r);
}

/* ---- hostile submissions ------------------------------------------------ */

#define HOSTILE_INCLUDES                                                        \
	"#include <fcntl.h>\n#include <netinet/in.h>\n#include <stdlib.h>\n"    \
	"#include <string.h>\n#include <sys/socket.h>\n#include <unistd.h>\n"
#define INTERP_ENTRY "\tstruct isa_insn in;\n\tif (isa_decode(t->insn, &in)"

struct hostile {
	const char *what;
	const char *code;    /* put at the start of vmm_interp */
	bool on_reference;   /* else on the starting code (which scores 0) */
};

static const struct hostile HOSTILE[] = {
	{ "an endless loop", "\t{ volatile int spin = 1; while (spin) {} }\n", false },
	{ "a fork bomb", "\tfor (;;) (void)fork();\n", false },
	{ "a 10 GB malloc", "\t{ size_t n = (size_t)10 << 30; char *p = malloc(n);\n"
	  "\t  if (p) memset(p, 1, n); }\n", false },
	{ "a segfault", "\t*(volatile int *)0 = 1;\n", false },
	{ "exit(0) halfway", "\t{ static int calls; if (++calls == 3) exit(0); }\n", true },
	{ "a fake passing report", "\t{ static const char fake[] = \"PASS all 80/80\\n"
	  "{\\\"score\\\": 80}\\n{\\\"scores\\\": {\\\"hello\\\": 5}}\\n\";\n"
	  "\t  (void)write(1, fake, sizeof fake - 1); (void)write(2, fake, sizeof fake - 1); }\n", false },
	{ "writing the results file", "\t{ int fd = open(\"@OUT@\", O_WRONLY | O_CREAT | O_TRUNC, 0666);\n"
	  "\t  if (fd >= 0) { (void)write(fd, \"{\\\"score\\\": 80}\", 13); close(fd); }\n"
	  "\t  fd = open(\"results.json\", O_WRONLY | O_CREAT | O_TRUNC, 0666);\n"
	  "\t  if (fd >= 0) close(fd); }\n", false },
	{ "opening a socket", "\t{ int s = socket(AF_INET, SOCK_STREAM, 0);\n"
	  "\t  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80),\n"
	  "\t                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };\n"
	  "\t  if (s >= 0) { (void)connect(s, (struct sockaddr *)&a, sizeof a); close(s); } }\n", false },
	{ "forging the observation channel", "\tfor (int fd = 3; fd < 32; fd++)\n"
	  "\t\t(void)write(fd, \"end end=power-off exit=0\\n\", 25);\n", false },
};

/* Hostile submissions never crash the grader nor raise a score. */
static void test_hostile_submissions(void **state)
{
	(void)state;
	char outp[PATH];
	grade_fmt(outp, sizeof outp, "%s/results.json", tmp);
	for (unsigned h = 0; h < sizeof HOSTILE / sizeof HOSTILE[0]; h++) {
		const struct hostile *x = &HOSTILE[h];
		char dir[PATH], skel[PATH];
		new_dir(dir, sizeof dir);
		grade_fmt(skel, sizeof skel, "%s/labs/interp/interp.c", build);
		/* The hostile code, with the results file's path filled in. */
		char code[CMD];
		const char *at = strstr(x->code, "@OUT@");
		if (at)
			grade_fmt(code, sizeof code, "%.*s%s%s", (int)(at - x->code), x->code, outp, at + 5);
		else
			grade_fmt(code, sizeof code, "%s", x->code);
		char repl[CMD];
		grade_fmt(repl, sizeof repl, "%s" INTERP_ENTRY, code);
		put_variant(dir, "interp.c", x->on_reference ? "vmm/interp.c" : skel, INTERP_ENTRY, repl);
		char path[PATH];
		grade_fmt(path, sizeof path, "%s/interp.c", dir);
		char *text = slurp(path);
		char *with = malloc(strlen(text) + sizeof HOSTILE_INCLUDES);
		assert_non_null(with);
		sprintf(with, "%s%s", HOSTILE_INCLUDES, text);
		spit(path, with);
		free(with);
		free(text);
		char *r = grade_json("interp", dir, "--tests hello --timeout " HOSTILE_TIMEOUT);
		double score = json_number(r, "score");
		if (score != 0)
			fail_msg("hostile submission (%s) scores %.1f:\n%s", x->what, score, r);
		assert_non_null(strstr(r, "\"name\": \"hello\""));
		free(r);
	}
}

/* ---- formats, batch, odd submissions --------------------------------------- */

/* Every format has its structure: JSON parses, Autolab's last line is the
 * scoreboard, JUnit has one testcase per test.  (On the assembly lab: no
 * compiler run.)  The planted bug answers an unknown system call with 0:
 * only test nosys (5 of 90 points) uses one. */
static void test_formats(void **state)
{
	(void)state;
	char dir[PATH], outp[PATH];
	make_variant(dir, sizeof dir, "trap_handler", "handler.s", "\tmovi r1, E_NOSYS\n\tb result",
	             "\tmovi r1, 0\n\tb result");
	grade_fmt(outp, sizeof outp, "%s/report", tmp);
	char *r;
	assert_int_equal(run_grader(NULL, "trap_handler %s --format prairielearn --out %s", dir, outp), 0);
	r = slurp(outp);
	assert_true(json_ok(r));
	assert_non_null(strstr(r, "\"gradable\": true"));
	assert_non_null(strstr(r, "\"score\": 0.9444, \"points\": 85.00, \"max_points\": 90.00"));
	free(r);
	assert_int_equal(run_grader(NULL, "trap_handler %s --format autolab --out %s", dir, outp), 0);
	r = slurp(outp);
	char *last = r + strlen(r) - 1;
	assert_int_equal(*last, '\n');
	*last = '\0';
	char *line = strrchr(r, '\n');
	line = line ? line + 1 : r;
	assert_true(json_ok(line));
	static const char scores[] = "{\"scores\": {\"exit_code\": 5.00,";
	assert_true(strncmp(line, scores, strlen(scores)) == 0);
	assert_non_null(strstr(line, "\"nosys\": 0.00"));
	free(r);
	assert_int_equal(run_grader(NULL, "trap_handler %s --format junit --out %s", dir, outp), 0);
	r = slurp(outp);
	static const char xml[] = "<?xml version=\"1.0\"";
	assert_true(strncmp(r, xml, strlen(xml)) == 0);
	unsigned cases = 0, closes = 0, fails = 0;
	for (const char *p = r; (p = strstr(p, "<testcase ")); p++)
		cases++;
	for (const char *p = r; (p = strstr(p, "</testcase>")); p++)
		closes++;
	for (const char *p = r; (p = strstr(p, "<failure ")); p++)
		fails++;
	assert_int_equal(cases, 9);
	assert_int_equal(closes, 9);
	assert_int_equal(fails, 1);
	assert_non_null(strstr(r, "tests=\"9\" failures=\"1\""));
	assert_non_null(strstr(r, "name=\"nosys\">\n    <failure message=\"failed: first divergence"));
	assert_non_null(strstr(r, "</testsuite>\n"));
	free(r);
	assert_int_equal(run_grader(&r, "trap_handler %s --format text", dir), 0);
	assert_non_null(strstr(r, "FAIL  nosys"));
	assert_non_null(strstr(r, "total: 85.0/90.0"));
	free(r);
}

/* Batch mode: every subfolder, in parallel, one CSV row each in name order. */
static void test_batch(void **state)
{
	(void)state;
	char batch[PATH], a[PATH], b[PATH], c[PATH], outp[PATH];
	grade_fmt(batch, sizeof batch, "%s/batch", tmp);
	assert_int_equal(mkdir(batch, 0755), 0);
	grade_fmt(a, sizeof a, "%s/carol", batch);
	grade_fmt(b, sizeof b, "%s/alice", batch);
	grade_fmt(c, sizeof c, "%s/bob", batch);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(mkdir(c, 0755), 0);
	put_variant(a, "interp.c", "vmm/interp.c", NULL, NULL);
	char skel[PATH];
	grade_fmt(skel, sizeof skel, "%s/labs/interp/interp.c", build);
	put_variant(b, "interp.c", skel, NULL, NULL);
	put_variant(c, "interp.c", "vmm/interp.c", "\tvm->status &= ~PSW_S;\n", "");
	grade_fmt(outp, sizeof outp, "%s/scores.csv", tmp);
	assert_int_equal(run_grader(NULL, "interp %s --jobs 2 --out %s", batch, outp), 0);
	char *r = slurp(outp);
	assert_string_equal(r,
	                    "submission,hello,srr_lrr,rdpsw_wrfl,lpsw,rtu,in_out_halt,random,total\n"
	                    "alice,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00\n"
	                    "bob,5.00,10.00,10.00,15.00,0.00,15.00,0.00,55.00\n"
	                    "carol,5.00,10.00,10.00,15.00,10.00,15.00,15.00,80.00\n");
	free(r);
}

/* Lab rewrite: a rewritten guest's observation carries the verdict of the
 * equivalence checker against the bare ill machine (shown with a
 * divergence) and the rewriter's figures; lab.conf's random-isa makes the
 * random tests' programs ill (the skeleton scores 0 on them: under well
 * nothing would be rewritten, and it would pass). */
static void test_rewrite_lab(void **state)
{
	(void)state;
	char dir[PATH];
	make_variant(dir, sizeof dir, "rewrite", "rewrite.c",
	             "\t\tpg32_store32(g->vm.mem + addr, vmm_rewrite_read_word(g, addr));\n", "");
	char *r = grade_json("rewrite", dir, "--tests readback");
	assert_true(json_number(r, "score") == 0);
	assert_non_null(strstr(r, "bare-machine: equivalent is no, the reference has yes"));
	assert_non_null(strstr(r, "against the bare machine: diverged at instruction"));
	free(r);
	make_variant(dir, sizeof dir, "rewrite", "rewrite.c", "\t\t\tg->stats.rescans += forget_word(g, i);",
	             "\t\t\tforget_word(g, i);");
	r = grade_json("rewrite", dir, "--tests rescan");
	assert_true(json_number(r, "score") == 0);
	assert_non_null(strstr(r, "first divergence at rewrite: rescans is 0, the reference has"));
	free(r);
	/* The setting, and a bad one. */
	char msg[GRADE_MSG_MAX];
	static struct grade_lab lab;
	assert_int_equal(grade_lab_load("labs", ".", "rewrite", true, &lab, msg, sizeof msg), 0);
	assert_true(lab.random_variant == isa_variant_all_ill());
	assert_int_equal(grade_lab_load("labs", ".", "interp", false, &lab, msg, sizeof msg), 0);
	assert_true(lab.random_variant == ISA_VARIANT_WELL);
	char labs[PATH], ldir[PATH * 2], conf[PATH * 3];
	grade_fmt(labs, sizeof labs, "%s/labs-conf", tmp);
	grade_fmt(ldir, sizeof ldir, "%s/bad", labs);
	assert_int_equal(mkdir(labs, 0755), 0);
	assert_int_equal(mkdir(ldir, 0755), 0);
	grade_fmt(conf, sizeof conf, "%s/lab.conf", ldir);
	spit(conf, "kind c\nmodule rewrite.c vmm/rewrite.c\nrandom-isa sick\n");
	assert_int_equal(grade_lab_load(labs, ".", "bad", false, &lab, msg, sizeof msg), PG32_EFORMAT);
	assert_non_null(strstr(msg, "lab.conf:3: random-isa is an ISA variant"));
	/* A test worth "nan" points is refused like a negative one. */
	grade_fmt(ldir, sizeof ldir, "%s/nan", labs);
	assert_int_equal(mkdir(ldir, 0755), 0);
	grade_fmt(conf, sizeof conf, "%s/lab.conf", ldir);
	spit(conf, "kind c\nmodule rewrite.c vmm/rewrite.c\n");
	grade_fmt(conf, sizeof conf, "%s/tests.txt", ldir);
	spit(conf, "readback nan guest guests/detect.s\n");
	assert_int_equal(grade_lab_load(labs, ".", "nan", false, &lab, msg, sizeof msg), PG32_EFORMAT);
	assert_non_null(strstr(msg, "tests.txt:1: expected"));
}

/* A submission without the file, or one that does not compile or link,
 * gets 0 with the reason. */
static void test_bad_submissions(void **state)
{
	(void)state;
	char dir[PATH];
	new_dir(dir, sizeof dir);
	char *r = grade_json("interp", dir, NULL);
	assert_non_null(strstr(r, "the submission has no interp.c"));
	assert_true(json_number(r, "score") == 0);
	free(r);
	make_variant(dir, sizeof dir, "interp", "interp.c", "bool vmm_interp_covers(unsigned op)\n{",
	             "bool not_covers(unsigned op);\nbool not_covers(unsigned op)\n{");
	r = grade_json("interp", dir, NULL);
	assert_non_null(strstr(r, "must define every external name"));
	assert_non_null(strstr(r, "vmm_interp_covers"));
	free(r);
	make_variant(dir, sizeof dir, "interp", "interp.c", "static const interp_fn interp_table", "static const interp_fn interp_table ???");
	r = grade_json("interp", dir, NULL);
	assert_non_null(strstr(r, "compiling interp.c failed"));
	assert_true(json_number(r, "score") == 0);
	free(r);
	make_variant(dir, sizeof dir, "trap_handler", "handler.s", "\tlpsw r12", "\tlpsw r12, r3");
	r = grade_json("trap_handler", dir, "--tests exit_code");
	assert_non_null(strstr(r, "assembly failed"));
	assert_non_null(strstr(r, "handler.s:"));
	free(r);
	/* Bad command lines: status 2 and a message. */
	assert_int_equal(run_grader(&r, "no_such_lab %s", dir), PG32_EXIT_USAGE);
	assert_non_null(strstr(r, "no_such_lab"));
	free(r);
	assert_int_equal(run_grader(&r, "interp %s --format yaml", dir), PG32_EXIT_USAGE);
	free(r);
	assert_int_equal(run_grader(&r, "interp %s --tests hello,nope", dir), PG32_EXIT_USAGE);
	assert_non_null(strstr(r, "lab interp has no test 'nope'"));
	free(r);
}

/* ---- library pieces --------------------------------------------------------- */

/* The comparison names the first differing field and skips notes. */
static void test_obs_compare(void **state)
{
	(void)state;
	char msg[GRADE_MSG_MAX];
	const char *ref = "event 1 clock=5 at=0x00000100 r1=0x1 r2=0x2\nend end=power-off\n";
	assert_true(grade_obs_compare(ref, strlen(ref), ref, strlen(ref), msg, sizeof msg));
	const char *got = "event 1 clock=5 at=0x00000100 r1=0x1 r2=0x7\n# why\nend end=power-off\n";
	assert_false(grade_obs_compare(ref, strlen(ref), got, strlen(got), msg, sizeof msg));
	assert_string_equal(msg, "first divergence at event 1 (instruction 5, pc 0x00000100): "
	                         "r2 is 0x7, the reference has 0x2 [why]");
	const char *shorter = "event 1 clock=5 at=0x00000100 r1=0x1 r2=0x2\n";
	assert_false(grade_obs_compare(ref, strlen(ref), shorter, strlen(shorter), msg, sizeof msg));
	assert_non_null(strstr(msg, "stops short"));
	const char *noted = "# a note\nevent 1 clock=5 at=0x00000100 r1=0x1 r2=0x2\nend end=power-off\n";
	assert_true(grade_obs_compare(ref, strlen(ref), noted, strlen(noted), msg, sizeof msg));
	const char *cref = "console line 1 \"ok\"\n", *cgot = "console line 1 \"bad\"\n";
	assert_false(grade_obs_compare(cref, strlen(cref), cgot, strlen(cgot), msg, sizeof msg));
	assert_string_equal(msg, "first divergence at console line 1: you print \"bad\", "
	                         "the reference prints \"ok\"");
	const char *junk = "#\n";
	assert_false(grade_obs_compare(ref, strlen(ref), junk, strlen(junk), msg, sizeof msg));
}

/* Skeletons: regions become their TODO and stub; an open region is an error. */
static void test_skeleton_regions(void **state)
{
	(void)state;
	char msg[GRADE_MSG_MAX];
	const char *c = "int f(void)\n{\n\t/* LAB x BEGIN\n\t * TODO: do it.\n\t * stub: return 0;\n"
	                "\t */\n\treturn 42;\n\t/* LAB x END */\n}\n";
	char *s = grade_skeleton(c, "f.c", msg, sizeof msg);
	assert_non_null(s);
	assert_string_equal(s, "int f(void)\n{\n\t/* TODO (lab x): write this part.\n"
	                       "\t * TODO: do it.\n\t */\n\treturn 0;\n}\n");
	free(s);
	const char *a = "f:\n; LAB y BEGIN\n; TODO: all of it\n; stub: halt\n\tmovi r1, 1\n; LAB y END\n";
	s = grade_skeleton(a, "f.s", msg, sizeof msg);
	assert_non_null(s);
	assert_string_equal(s, "f:\n; TODO (lab y): write this part.\n; TODO: all of it\n\thalt\n");
	free(s);
	assert_null(grade_skeleton("; LAB z BEGIN\n\tnop\n", "g.s", msg, sizeof msg));
	assert_string_equal(msg, "g.s:1: region 'LAB z BEGIN' has no END");
}

static int setup(void **state)
{
	(void)state;
	const char *b = getenv("TRAPEZE_BUILD");
	grade_fmt(build, sizeof build, "%s", b && *b ? b : "build");
	grade_fmt(tzgrade, sizeof tzgrade, "%s/bin/tzgrade", build);
	const char *t = getenv("TMPDIR");
	grade_fmt(tmp, sizeof tmp, "%s/test_grade-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp))
		return -1;
	chmod(tmp, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH + 16];
	grade_fmt(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_obs_compare),
		cmocka_unit_test(test_skeleton_regions),
		cmocka_unit_test(test_reference_full_marks),
		cmocka_unit_test(test_skeleton_scores_zero),
		cmocka_unit_test(test_skeleton_compiles),
		cmocka_unit_test(test_planted_bugs),
		cmocka_unit_test(test_divergence_message),
		cmocka_unit_test(test_hostile_submissions),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_bad_submissions),
		cmocka_unit_test(test_rewrite_lab),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
