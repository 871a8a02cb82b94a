/*
 * test_classify.c -- the Popek-Goldberg classifier (isa/classify.c) and its
 * tool tzclassify: what it finds by running instructions equals what the
 * table declares, for every subset of the critical instructions; the
 * verdicts of Theorems 1 and 3 for well, ill:rtu, ill:srr, ill and the
 * others; determinism; the printed table, verdict, witnesses and JSON;
 * the command line.
 *
 * The classifier's seed comes from the test generator (PG32_TEST_SEED
 * replays or varies it); the tool tests run $TRAPEZE_BUILD/bin/tzclassify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "pg32_test.h"

/* States per opcode in these tests: enough that every declared property
 * shows for any seed tried (see docs/classify.md), few enough that the 16
 * subsets run in about a second. */
#define TEST_SAMPLES 128u
#define TEST_SEED_DEFAULT 20261122u
#define TOOL_SAMPLES "64"
#define PATH PT_PATH

static uint64_t test_seed;

static int group_setup(void **state)
{
	(void)state;
	pt_rand_init("test_classify", TEST_SEED_DEFAULT);
	test_seed = ((uint64_t)pt_rand32() << 32) | pt_rand32();
	printf("test_classify: classifier seed %" PRIu64 "\n", test_seed);
	return 0;
}

/* Results under test_seed, one per subset of the critical instructions,
 * computed once: every variant the tests name is such a subset. */
#define CACHE_MAX 64
static struct classify_result *cache[CACHE_MAX];
static unsigned ncached;

static int group_teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ncached; i++)
		free(cache[i]);
	return 0;
}

/* A fresh copy (the caller frees it and may change it) of the result of
 * classify_run(v, TEST_SAMPLES, seed). */
static struct classify_result *classify(isa_variant v, uint64_t seed)
{
	struct classify_result *r = malloc(sizeof *r);
	assert_non_null(r);
	for (unsigned i = 0; seed == test_seed && i < ncached; i++)
		if (cache[i]->variant == v) {
			memcpy(r, cache[i], sizeof *r);
			return r;
		}
	char msg[256];
	int err = classify_run(v, TEST_SAMPLES, seed, r, msg, sizeof msg);
	if (err)
		fail_msg("classify_run: %s", msg);
	if (seed == test_seed && ncached < CACHE_MAX) {
		cache[ncached] = malloc(sizeof *r);
		assert_non_null(cache[ncached]);
		memcpy(cache[ncached++], r, sizeof *r);
	}
	return r;
}

/* classify_run itself, never the cache. */
static struct classify_result *classify_fresh(isa_variant v, uint64_t seed)
{
	struct classify_result *r = malloc(sizeof *r);
	assert_non_null(r);
	char msg[256];
	int err = classify_run(v, TEST_SAMPLES, seed, r, msg, sizeof msg);
	if (err)
		fail_msg("classify_run: %s", msg);
	return r;
}

static isa_variant variant(const char *text)
{
	isa_variant v;
	char msg[256];
	if (isa_variant_parse(text, &v, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	return v;
}

/* ---- the expectation, derived from the table once -------------------- */

struct expect {
	bool privileged, always_traps, mode_observable;
	bool seen[CLASSIFY_NPROPS];
};

/*
 * What running opcode op under variant v must show, from the table's flags
 * and ill columns and the variant:
 *
 *   unpriv       v makes op a critical instruction: it is ISA_F_PRIV and
 *                its bit is set in v, so in user mode it runs its ISA_ILL_*
 *                behaviour instead of trapping.
 *   privileged   ISA_F_PRIV and not unpriv.
 *   always traps ISA_F_TRAPS (svc, brk, hcall trap in both modes).
 *   mode observable: some state runs without trapping in both modes: not
 *                privileged and not always trapping.
 *   control in system mode: ISA_F_CONTROL; system mode is the same in
 *                every variant.
 *   control in user mode: only an instruction that runs in user mode can
 *                show it (innocuous ones have no control effect), so
 *                ISA_F_CONTROL and unpriv, unless the ill behaviour drops
 *                the control effect: IGNORE_IE leaves IE unchanged (x86
 *                POPF), USER_JUMP is only a jump (PDP-10 JRST 1).
 *   location in system mode: ISA_F_LOCATION.  In user mode: also unpriv
 *                (REVEAL_R reads the real R there too, x86 SGDT).
 *   mode-sensitive: only observable when unpriv.  ISA_F_MODE (REVEAL_MODE
 *                reads the real mode, x86 SMSW), or an ill behaviour that
 *                differs from the system one in more than the mode bit:
 *                IGNORE_IE (system mode sets IE, user mode keeps it).
 *                USER_JUMP differs only in M (system mode sets M := user,
 *                user mode is already there), and M is not compared.
 */
static struct expect expected(isa_variant v, unsigned op)
{
	const struct isa_opinfo *info = isa_info(op);
	unsigned fl = info->flags;
	bool unpriv = (fl & ISA_F_PRIV) && (v & ISA_VARIANT_BIT(op));
	bool drops_control = info->ill == ISA_ILL_IGNORE_IE || info->ill == ISA_ILL_USER_JUMP;
	struct expect e = {
		.privileged = (fl & ISA_F_PRIV) && !unpriv,
		.always_traps = fl & ISA_F_TRAPS,
	};
	e.mode_observable = !e.privileged && !e.always_traps;
	e.seen[CLASSIFY_CONTROL_SYS] = fl & ISA_F_CONTROL;
	e.seen[CLASSIFY_CONTROL_USER] = (fl & ISA_F_CONTROL) && unpriv && !drops_control;
	e.seen[CLASSIFY_LOCATION_SYS] = fl & ISA_F_LOCATION;
	e.seen[CLASSIFY_LOCATION_USER] = (fl & ISA_F_LOCATION) && unpriv;
	e.seen[CLASSIFY_MODE] = unpriv && ((fl & ISA_F_MODE) || info->ill == ISA_ILL_IGNORE_IE);
	return e;
}

/* Count (and print) the differences between findings and expectation. */
static unsigned compare(isa_variant v, const struct classify_result *r)
{
	char vtext[128];
	isa_variant_format(v, vtext, sizeof vtext);
	unsigned bad = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *f = &r->op[op];
		struct expect e = expected(v, op);
		const char *mn = isa_info(op)->mnemonic;
#define CHECK(field, found, want)                                                        \
	do {                                                                             \
		if ((found) != (want)) {                                                 \
			printf("%s, %s: %s found %d, table says %d\n", vtext, mn, field, \
			       (int)(found), (int)(want));                               \
			bad++;                                                           \
		}                                                                        \
	} while (0)
		CHECK("privileged", f->privileged, e.privileged);
		CHECK("always traps", f->always_traps, e.always_traps);
		CHECK("mode observable", f->mode_observable, e.mode_observable);
		for (unsigned p = 0; p < CLASSIFY_NPROPS; p++)
			CHECK(classify_prop_name((enum classify_prop)p), f->seen[p], e.seen[p]);
		CHECK("class", classify_class_of(f), classify_declared_class(v, op));
#undef CHECK
		if (f->kept == 0) {
			printf("%s, %s: no state without a data fault\n", vtext, mn);
			bad++;
		}
	}
	return bad;
}

/* For each of the 16 subsets of the critical instructions, the findings of
 * every opcode equal the table's declared classes. */
static void test_findings_equal_table_every_subset(void **state)
{
	(void)state;
	isa_variant all = isa_variant_all_ill();
	unsigned subsets = 0, bad = 0;
	for (isa_variant s = all;; s = (s - 1) & all) {
		struct classify_result *r = classify(s, test_seed);
		bad += compare(s, r);
		free(r);
		subsets++;
		if (s == 0)
			break;
	}
	assert_int_equal(subsets, 1u << __builtin_popcountll(all));
	assert_int_equal(subsets, 16);
	assert_int_equal(bad, 0);
}

/* Names of the critical instructions found, comma-separated. */
static void critical_names(const struct classify_result *r, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned op = 1; op < ISA_NOPS; op++)
		if (classify_critical(&r->op[op]))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			                         isa_info(op)->mnemonic);
}

static void check_verdict(const char *vtext, enum classify_verdict want, const char *crit)
{
	struct classify_result *r = classify(variant(vtext), test_seed);
	char names[128];
	critical_names(r, names, sizeof names);
	if (classify_verdict(r) != want || strcmp(names, crit) != 0)
		fail_msg("%s: verdict %s, critical '%s'; expected %s, '%s'", vtext,
		         classify_verdict_name(classify_verdict(r)), names,
		         classify_verdict_name(want), crit);
	free(r);
}

/* well: every sensitive instruction is privileged (Theorem 1). */
static void test_verdict_well_virtualizable(void **state)
{
	(void)state;
	check_verdict("well", CLASSIFY_VIRTUALIZABLE, "");
}

/* ill:rtu (JRST 1): sensitive in system mode only, hybrid (Theorem 3). */
static void test_verdict_ill_rtu_hybrid_only(void **state)
{
	(void)state;
	check_verdict("ill:rtu", CLASSIFY_HYBRID_ONLY, "rtu");
	struct classify_result *r = classify(variant("ill:rtu"), test_seed);
	const struct classify_finding *f = &r->op[ISA_OP_RTU];
	assert_true(f->seen[CLASSIFY_CONTROL_SYS]);
	assert_string_equal(f->witness[CLASSIFY_CONTROL_SYS].what, "M");
	assert_false(classify_user_sensitive(f));
	free(r);
}

/* ill:srr (SGDT): location-sensitive in user mode: neither theorem. */
static void test_verdict_ill_srr_neither(void **state)
{
	(void)state;
	check_verdict("ill:srr", CLASSIFY_NEITHER, "srr");
	check_verdict("ill", CLASSIFY_NEITHER, "srr,rdpsw,wrfl,rtu");
	check_verdict("ill:srr,rtu", CLASSIFY_NEITHER, "srr,rtu");
}

/* rdpsw (SMSW) and wrfl (POPF) alone: mode- and control-sensitive, but
 * not user-sensitive: hybrid only. */
static void test_verdict_ill_rdpsw_wrfl_hybrid_only(void **state)
{
	(void)state;
	check_verdict("ill:rdpsw", CLASSIFY_HYBRID_ONLY, "rdpsw");
	check_verdict("ill:wrfl", CLASSIFY_HYBRID_ONLY, "wrfl");
	check_verdict("ill:rdpsw,wrfl,rtu", CLASSIFY_HYBRID_ONLY, "rdpsw,wrfl,rtu");
}

static void assert_same_findings(const struct classify_result *a, const struct classify_result *b)
{
	assert_true(a->variant == b->variant);
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct classify_finding *x = &a->op[op], *y = &b->op[op];
		assert_int_equal(x->samples, y->samples);
		assert_int_equal(x->kept, y->kept);
		assert_int_equal(x->user_priv, y->user_priv);
		assert_int_equal(x->sys_traps, y->sys_traps);
		assert_int_equal(x->user_traps, y->user_traps);
		assert_int_equal(x->mode_observable, y->mode_observable);
		for (unsigned p = 0; p < CLASSIFY_NPROPS; p++) {
			assert_int_equal(x->seen[p], y->seen[p]);
			assert_int_equal(x->witness[p].insn, y->witness[p].insn);
			assert_int_equal(x->witness[p].base_a, y->witness[p].base_a);
			assert_int_equal(x->witness[p].base_b, y->witness[p].base_b);
			assert_true(x->witness[p].what == y->witness[p].what ||
			            strcmp(x->witness[p].what, y->witness[p].what) == 0);
		}
	}
}

/* The same seed gives the same findings, witnesses included; another seed
 * draws other states (other witnesses) but the same classes. */
static void test_deterministic(void **state)
{
	(void)state;
	isa_variant v = isa_variant_all_ill();
	/* a comes from the cache (an earlier classify_run), b from a new one. */
	struct classify_result *a = classify(v, test_seed), *b = classify_fresh(v, test_seed);
	assert_same_findings(a, b);
	struct classify_result *c = classify_fresh(v, test_seed + 1);
	bool witness_differs = false;
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		assert_int_equal(classify_class_of(&a->op[op]), classify_class_of(&c->op[op]));
		for (unsigned p = 0; p < CLASSIFY_NPROPS; p++)
			witness_differs |= a->op[op].witness[p].insn != c->op[op].witness[p].insn;
	}
	assert_true(witness_differs);
	free(a);
	free(b);
	free(c);
}

/* Every witness is a valid encoding of its own opcode and names what it
 * showed; a location witness compares two different bases above the trap
 * area, the others one base. */
static void test_witnesses(void **state)
{
	(void)state;
	struct classify_result *r = classify(isa_variant_all_ill(), test_seed);
	unsigned n = 0;
	for (unsigned op = 1; op < ISA_NOPS; op++)
		for (unsigned p = 0; p < CLASSIFY_NPROPS; p++) {
			const struct classify_finding *f = &r->op[op];
			const struct classify_witness *w = &f->witness[p];
			if (!f->seen[p]) {
				assert_null(w->what);
				continue;
			}
			n++;
			struct isa_insn in;
			assert_int_equal(isa_decode(w->insn, &in), 0);
			assert_int_equal(in.op, op);
			assert_non_null(w->what);
			assert_true(w->base_a >= PG32_TRAP_AREA_END && w->base_b >= PG32_TRAP_AREA_END);
			bool location = p == CLASSIFY_LOCATION_SYS || p == CLASSIFY_LOCATION_USER;
			assert_int_equal(w->base_a != w->base_b, location);
		}
	assert_true(n >= 8);
	/* srr reads R.base into its rd: the register differs between bases. */
	const struct classify_witness *w = &r->op[ISA_OP_SRR].witness[CLASSIFY_LOCATION_USER];
	struct isa_insn in;
	assert_int_equal(isa_decode(w->insn, &in), 0);
	assert_string_equal(w->what, isa_reg_name(in.rd));
	free(r);
}

/* A sample count of 0 or above the maximum is an error with a message. */
static void test_bad_sample_count(void **state)
{
	(void)state;
	struct classify_result *r = malloc(sizeof *r);
	assert_non_null(r);
	char msg[256] = "";
	assert_int_equal(classify_run(ISA_VARIANT_WELL, 0, 1, r, msg, sizeof msg), PG32_EARG);
	assert_non_null(strstr(msg, "sample count"));
	assert_int_equal(classify_run(ISA_VARIANT_WELL, CLASSIFY_SAMPLES_MAX + 1, 1, r, msg,
	                              sizeof msg),
	                 PG32_EARG);
	free(r);
}

/* Print with f into a string. */
static char *print_to_string(void (*f)(FILE *, const struct classify_result *),
                             const struct classify_result *r)
{
	/* The stream's buffer and size live on the heap: the stream keeps
	 * their addresses until fclose. */
	struct {
		char *buf;
		size_t len;
	} *m = calloc(1, sizeof *m);
	assert_non_null(m);
	FILE *out = open_memstream(&m->buf, &m->len);
	assert_non_null(out);
	f(out, r);
	fclose(out);
	char *buf = m->buf;
	free(m);
	return buf;
}

/* The line of the table for mnemonic mn (found at the start of a line). */
static const char *row_of(const char *text, const char *mn)
{
	char key[32];
	snprintf(key, sizeof key, "\n%s ", mn);
	const char *p = strstr(text, key);
	return p ? p + 1 : NULL;
}

/* The table: a row per opcode with the findings and both classes; the
 * mark "*" only on a row whose class found differs from the declared one
 * (here made to differ by hand). */
static void test_print_table_marks_differences(void **state)
{
	(void)state;
	struct classify_result *r = classify(variant("ill:srr"), test_seed);
	char *text = print_to_string(classify_print_table, r);
	const char *srr = row_of(text, "srr");
	assert_non_null(srr);
	assert_int_equal(strncmp(srr, "srr ", 4), 0);
	const char *eol = strchr(srr, '\n');
	char line[128];
	snprintf(line, sizeof line, "%.*s", (int)(eol - srr), srr);
	assert_non_null(strstr(line, "sys+user"));
	assert_non_null(strstr(line, "critical     critical"));
	assert_null(strchr(text, '*'));
	for (unsigned op = 1; op < ISA_NOPS; op++)
		assert_non_null(row_of(text, isa_info(op)->mnemonic));
	free(text);

	r->op[ISA_OP_ADD].seen[CLASSIFY_CONTROL_SYS] = true; /* pretend add changed M */
	text = print_to_string(classify_print_table, r);
	const char *add = row_of(text, "add");
	assert_non_null(add);
	eol = strchr(add, '\n');
	snprintf(line, sizeof line, "%.*s", (int)(eol - add), add);
	assert_non_null(strstr(line, "critical     innocuous  *"));
	assert_non_null(strstr(text, "*: the class found differs"));
	free(text);
	free(r);
}

/* The verdict lines name the critical instructions, the theorem each
 * breaks and an execution that shows it; the JSON says the same. */
static void test_print_verdict_and_json(void **state)
{
	(void)state;
	struct classify_result *r = classify(variant("ill:srr,rtu"), test_seed);
	char *text = print_to_string(classify_print_verdict, r);
	assert_non_null(strstr(text, "srr    breaks Theorem 1 and Theorem 3"));
	assert_non_null(strstr(text, "rtu    breaks Theorem 1 only"));
	assert_non_null(strstr(text, "location-sensitive in user mode: `srr "));
	assert_non_null(strstr(text, "differs between base 0x"));
	assert_non_null(strstr(text, "changes M"));
	assert_non_null(strstr(text, "verdict: neither\n"));
	free(text);
	text = print_to_string(classify_print_json, r);
	assert_non_null(strstr(text, "\"variant\": \"ill:srr,rtu\""));
	assert_non_null(strstr(text, "{\"mnemonic\": \"srr\", \"breaks_theorem_3\": true}"));
	assert_non_null(strstr(text, "{\"mnemonic\": \"rtu\", \"breaks_theorem_3\": false}"));
	assert_non_null(strstr(text, "\"verdict\": \"neither\""));
	assert_non_null(strstr(text, "\"mnemonic\": \"lrr\", \"kept\": "));
	assert_non_null(strstr(text, "\"mode\": null"));
	free(text);
	free(r);
}

/* ---- the tool ---------------------------------------------------------- */

struct tool {
	struct pt_tool run; /* the scratch directory and the last run */
	char bin[PATH];
};

static int tool_setup(void **state)
{
	struct tool *t = calloc(1, sizeof *t);
	assert_non_null(t);
	*state = t;
	if (pt_tool_open(&t->run, "test_classify") != 0)
		return -1;
	snprintf(t->bin, sizeof t->bin, "%s/bin/tzclassify", t->run.build);
	return 0;
}

static int tool_teardown(void **state)
{
	struct tool *t = *state;
	int rc = pt_tool_close(&t->run);
	free(t);
	return rc;
}

/* Run tzclassify with args: t->run.status, .out, .err. */
static void tzclassify(struct tool *t, const char *args)
{
	pt_tool_run(&t->run, "'%s' %s", t->bin, args);
}

/* tzclassify --isa ill:rtu: the table (a row per opcode) and the verdict;
 * the default variant is well. */
static void test_tool_table_and_verdict(void **state)
{
	struct tool *t = *state;
	tzclassify(t, "--isa ill:rtu --samples " TOOL_SAMPLES " --seed 7");
	assert_int_equal(t->run.status, 0);
	assert_string_equal(t->run.err, "");
	assert_non_null(strstr(t->run.out, "ISA variant ill:rtu: " TOOL_SAMPLES
	                               " random states per instruction, seed 7"));
	for (unsigned op = 1; op < ISA_NOPS; op++)
		assert_non_null(row_of(t->run.out, isa_info(op)->mnemonic));
	const char *rtu = row_of(t->run.out, "rtu");
	assert_non_null(rtu);
	assert_non_null(strstr(rtu, "critical     critical"));
	assert_non_null(strstr(t->run.out, "Theorem 1 (every sensitive instruction is privileged): fails"));
	assert_non_null(strstr(t->run.out, "\nverdict: hybrid-virtualizable only\n"));

	tzclassify(t, "--samples " TOOL_SAMPLES);
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "ISA variant well:"));
	assert_non_null(strstr(t->run.out, "\nverdict: virtualizable\n"));
	assert_null(strstr(t->run.out, "critical instructions"));

	tzclassify(t, "--isa ill:srr --samples " TOOL_SAMPLES " --json");
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "\"verdict\": \"neither\""));
}

/* --witnesses: one line per property seen, privileged instructions too,
 * each naming an execution that showed it. */
static void test_tool_witnesses(void **state)
{
	struct tool *t = *state;
	tzclassify(t, "--samples " TOOL_SAMPLES " --witnesses");
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "\nlrr    control-sensitive in system mode: `lrr "));
	assert_non_null(strstr(t->run.out, "` changes R\n"));
	assert_non_null(strstr(t->run.out, "\nsrr    location-sensitive in system mode: `srr "));
	/* Under well: lpsw lrr srr wrfl rtu in out halt, each in system mode
	 * only (the others are innocuous or always trap). */
	unsigned lines = 0;
	for (const char *p = t->run.out; (p = strstr(p, "-sensitive in system mode: `")) != NULL; p++)
		lines++;
	assert_int_equal(lines, 8);
	assert_null(strstr(t->run.out, "in user mode: `"));
	assert_null(strstr(t->run.out, "mode-sensitive: `"));
	tzclassify(t, "--samples " TOOL_SAMPLES);
	assert_null(strstr(t->run.out, "location-sensitive in system mode: `"));
}

/* --help prints the usage and exits 0. */
static void test_tool_help(void **state)
{
	struct tool *t = *state;
	tzclassify(t, "--help");
	assert_int_equal(t->run.status, 0);
	assert_non_null(strstr(t->run.out, "usage: tzclassify"));
	assert_non_null(strstr(t->run.out, "--samples N"));
}

/* Bad arguments: a message naming the problem and exit status 2. */
static void test_tool_bad_arguments(void **state)
{
	struct tool *t = *state;
	static const struct {
		const char *args, *message;
	} bad[] = {
		{ "--isa bogus", "tzclassify: unknown ISA variant 'bogus'" },
		{ "--isa ill:add", "'add' is not a critical instruction" },
		{ "--samples 0", "tzclassify: bad sample count '0'" },
		{ "--samples many", "tzclassify: bad sample count 'many'" },
		{ "--seed -1", "tzclassify: bad seed '-1'" },
		{ "extra", "tzclassify: unexpected argument 'extra'" },
		{ "--frobnicate", "usage: tzclassify" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tzclassify(t, bad[i].args);
		if (t->run.status != PG32_EXIT_USAGE || !strstr(t->run.err, bad[i].message))
			fail_msg("tzclassify %s: exit %d, stderr '%s'", bad[i].args, t->run.status, t->run.err);
		assert_string_equal(t->run.out, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings_equal_table_every_subset),
		cmocka_unit_test(test_verdict_well_virtualizable),
		cmocka_unit_test(test_verdict_ill_rtu_hybrid_only),
		cmocka_unit_test(test_verdict_ill_srr_neither),
		cmocka_unit_test(test_verdict_ill_rdpsw_wrfl_hybrid_only),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_witnesses),
		cmocka_unit_test(test_bad_sample_count),
		cmocka_unit_test(test_print_table_marks_differences),
		cmocka_unit_test(test_print_verdict_and_json),
		cmocka_unit_test_setup_teardown(test_tool_table_and_verdict, tool_setup, tool_teardown),
		cmocka_unit_test_setup_teardown(test_tool_witnesses, tool_setup, tool_teardown),
		cmocka_unit_test_setup_teardown(test_tool_help, tool_setup, tool_teardown),
		cmocka_unit_test_setup_teardown(test_tool_bad_arguments, tool_setup, tool_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
