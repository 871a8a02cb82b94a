/*
 * test_fuzz_regress.c -- the fuzz targets' entry functions in the normal
 * test suite (no clang needed): every saved input under
 * tests/fuzz/regress/ (crashes the fuzzers found, named TARGET-NAME: asm-,
 * image-, vmm-, dbg-, grade-), and the seed inputs (every shipped guest's
 * source, its image, and the image under the monitor in several modes; the
 * debugger's batch scripts, tests/dbg/NAME.cmd, under the monitor and on the
 * bare machine) run through the
 * same functions the libFuzzer programs call (tests/fuzz/fuzz.h).  Each
 * must return 0; with the sanitizer build (make test-san) they must also
 * run clean.
 *
 * The fuzz sources are compiled into this program by #include, with
 * FUZZ_REGRESS defined so that they leave out LLVMFuzzerTestOneInput.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_REGRESS
#include "fuzz/fuzz_util.c"
#include "fuzz/fuzz_asm.c"
#include "fuzz/fuzz_image.c"
#include "fuzz/fuzz_vmm.c"
#include "fuzz/fuzz_dbg.c"
#include "fuzz/fuzz_grade.c"

#include "asm.h"

#define REGRESS_DIR "tests/fuzz/regress"
#define REGRESS_MAX (1u << 20)
#define GUEST_DIRS_N 2
#define NAME_MAX_LEN 512
#define SEED_MSG 256
#define SOURCE_EXT ".s"
/* fuzz_vmm headers for the seeds: image mode, quantum index 9 (97), 32 KiB
 * memory; the same with a minidisk; ill-behaved, plain trap-and-emulate;
 * ill-behaved with dynamic rewriting; the hybrid monitor; raw memory at
 * quantum 1. */
#define QUANTUM_97 (9u << FUZZ_VMM_QUANTUM_SHIFT)
static const uint8_t seed_headers[][FUZZ_VMM_HEADER] = {
	{ FUZZ_VMM_IMAGE | QUANTUM_97, FUZZ_VMM_MEM_MASK },
	{ FUZZ_VMM_IMAGE | FUZZ_VMM_DISK | QUANTUM_97, FUZZ_VMM_MEM_MASK },
	{ FUZZ_VMM_IMAGE | FUZZ_VMM_ILL | QUANTUM_97, FUZZ_VMM_MEM_MASK },
	{ FUZZ_VMM_IMAGE | FUZZ_VMM_ILL | FUZZ_VMM_REWRITE | QUANTUM_97, FUZZ_VMM_MEM_MASK },
	{ FUZZ_VMM_IMAGE | QUANTUM_97, FUZZ_VMM_MEM_MASK | FUZZ_VMM_HYBRID },
	{ 0, 0 },
};

static const char *const guest_dirs[GUEST_DIRS_N] = { "guests", "guests/hostile" };

/* The entry function for a regression file, by its name's prefix. */
static const struct {
	const char *prefix;
	int (*fn)(const uint8_t *, size_t);
} regress_targets[] = {
	{ "asm-", fuzz_asm_one },
	{ "image-", fuzz_image_one },
	{ "vmm-", fuzz_vmm_one },
	{ "dbg-", fuzz_dbg_one },
	{ "grade-", fuzz_grade_one },
};

static int (*entry_for(const char *name))(const uint8_t *, size_t)
{
	for (size_t i = 0; i < sizeof regress_targets / sizeof regress_targets[0]; i++)
		if (!strncmp(name, regress_targets[i].prefix, strlen(regress_targets[i].prefix)))
			return regress_targets[i].fn;
	return NULL;
}

/* Every file of tests/fuzz/regress/ named for a target passes it. */
static void test_regressions(void **state)
{
	(void)state;
	DIR *d = opendir(REGRESS_DIR);
	if (!d)
		fail_msg("%s is missing (run from the top of the tree)", REGRESS_DIR);
	struct dirent *e;
	int ran = 0;
	while ((e = readdir(d)) != NULL) {
		int (*fn)(const uint8_t *, size_t) = entry_for(e->d_name);
		if (!fn)
			continue;
		char path[NAME_MAX_LEN], msg[SEED_MSG];
		snprintf(path, sizeof path, "%s/%s", REGRESS_DIR, e->d_name);
		uint8_t *bytes;
		size_t len;
		assert_int_equal(pg32_read_file(path, REGRESS_MAX, &bytes, &len, msg, sizeof msg), 0);
		printf("regression %s (%zu bytes)\n", e->d_name, len);
		int rc = fn(bytes, len);
		free(bytes);
		if (rc != 0)
			fail_msg("%s: the fuzz target's promise is broken again", path);
		ran++;
	}
	closedir(d);
	printf("%d regression inputs\n", ran);
}

/* One shipped guest through all three targets. */
static void seed_guest(const char *dir, const char *file)
{
	char path[NAME_MAX_LEN], msg[SEED_MSG];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	uint8_t *src;
	size_t len;
	assert_int_equal(pg32_read_file(path, REGRESS_MAX, &src, &len, msg, sizeof msg), 0);
	if (fuzz_asm_one(src, len) != 0)
		fail_msg("fuzz_asm on %s", path);
	free(src);

	const char *const dirs[] = { "guests" };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	struct image img;
	/* Quietly (the ill guests draw warnings); errors again on stderr. */
	if (asm_assemble_file(path, &opt, &img, NULL) != 0) {
		img_free(&img);
		asm_assemble_file(path, &opt, &img, stderr);
		fail_msg("%s does not assemble", path);
	}
	uint8_t *bytes;
	size_t n;
	assert_int_equal(img_write(&img, &bytes, &n), 0);
	img_free(&img);
	if (fuzz_image_one(bytes, n) != 0)
		fail_msg("fuzz_image on the image of %s", path);
	uint8_t *in = malloc(FUZZ_VMM_HEADER + n);
	assert_non_null(in);
	memcpy(in + FUZZ_VMM_HEADER, bytes, n);
	for (size_t k = 0; k < sizeof seed_headers / sizeof seed_headers[0]; k++) {
		memcpy(in, seed_headers[k], FUZZ_VMM_HEADER);
		if (fuzz_vmm_one(in, FUZZ_VMM_HEADER + n) != 0)
			fail_msg("fuzz_vmm on %s with header %02x %02x", path, in[0], in[1]);
	}
	free(in);
	free(bytes);
}

/* The seeds: every guests/ and guests/hostile/ source. */
static void test_seeds(void **state)
{
	(void)state;
	int seen = 0;
	for (int i = 0; i < GUEST_DIRS_N; i++) {
		DIR *d = opendir(guest_dirs[i]);
		assert_non_null(d);
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l <= strlen(SOURCE_EXT) || strcmp(e->d_name + l - strlen(SOURCE_EXT), SOURCE_EXT) != 0)
				continue;
			seed_guest(guest_dirs[i], e->d_name);
			seen++;
		}
		closedir(d);
	}
	assert_true(seen > 0);
}

/* The sandbox: fuzz_asm resolves .include there, and finds pg32.inc. */
static void test_asm_include_in_sandbox(void **state)
{
	(void)state;
	static const char ok[] = ".include \"pg32.inc\"\n\tnop\n";
	static const char missing[] = ".include \"no-such-file.s\"\n";
	assert_int_equal(fuzz_asm_one((const uint8_t *)ok, sizeof ok - 1), 0);
	assert_int_equal(fuzz_asm_one((const uint8_t *)missing, sizeof missing - 1), 0);
	/* Too short for the monitor target: ignored, not a failure. */
	assert_int_equal(fuzz_vmm_one((const uint8_t *)"", 0), 0);
}

/* The debugger's seeds: each batch script of tests/dbg/, under the monitor
 * and on the bare machine (the header byte of fuzz_dbg.c). */
#define DBG_SCRIPTS "tests/dbg"
#define DBG_SCRIPT_EXT ".cmd"
static void test_dbg_seeds(void **state)
{
	(void)state;
	static const uint8_t headers[] = { '\n', FUZZ_DBG_BARE };
	DIR *d = opendir(DBG_SCRIPTS);
	assert_non_null(d);
	struct dirent *e;
	int seen = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l <= strlen(DBG_SCRIPT_EXT) ||
		    strcmp(e->d_name + l - strlen(DBG_SCRIPT_EXT), DBG_SCRIPT_EXT) != 0)
			continue;
		char path[NAME_MAX_LEN], msg[SEED_MSG];
		snprintf(path, sizeof path, "%s/%s", DBG_SCRIPTS, e->d_name);
		uint8_t *src;
		size_t len;
		assert_int_equal(pg32_read_file(path, REGRESS_MAX, &src, &len, msg, sizeof msg), 0);
		uint8_t *in = malloc(len + FUZZ_DBG_HEADER);
		assert_non_null(in);
		memcpy(in + FUZZ_DBG_HEADER, src, len);
		for (size_t k = 0; k < sizeof headers; k++) {
			in[0] = headers[k];
			if (fuzz_dbg_one(in, len + FUZZ_DBG_HEADER) != 0)
				fail_msg("fuzz_dbg on %s with header %02x", path, headers[k]);
		}
		free(in);
		free(src);
		seen++;
	}
	closedir(d);
	assert_true(seen > 0);
}

/* The debugger target's own checks see a broken promise: a line longer
 * than DBG_LINE_MAX is one error, and runs stay within the limit. */
static void test_dbg_bounds(void **state)
{
	(void)state;
	size_t n = FUZZ_DBG_HEADER + DBG_LINE_MAX + 2;
	uint8_t *in = malloc(n);
	assert_non_null(in);
	memset(in, 'x', n);
	in[0] = '\n';
	assert_int_equal(fuzz_dbg_one(in, n), 0);
	free(in);
	static const char runs[] = "\ncontinue\ncontinue\nreverse-continue\nstep 1000000\n"
	                           "guest 1\ncontinue\nrs 1000000\ninfo patches\nwatch p:0x800\n"
	                           "continue\nconsole\nquit\nstep";
	assert_int_equal(fuzz_dbg_one((const uint8_t *)runs, sizeof runs - 1), 0);
}

/* The validators behind fuzz_grade: what the writers used to produce is
 * refused, what they produce now is taken. */
static void test_grade_validators(void **state)
{
	(void)state;
	static const char *const good_json[] = {
		"{\"score\": 0.00, \"output\": \"\\u001b[2J\\\"\", \"tests\": [\n]}\n",
		"[1, -0.5e+3, true, false, null, {}, [], \"\\/\"]", "0",
	};
	static const char *const bad_json[] = {
		"{\"score\": nan}", "{\"score\": -inf}", "{\"a\": 1,}", "[01]", "\"\x01\"",
		"\"\\x\"", "{\"a\" 1}", "[1] [2]", "\"\xff\"", "1.", "",
	};
	static const char *const good_xml[] = {
		"<?xml version=\"1.0\"?>\n<a b=\"&lt;&quot;\">t &amp; u<c/><d x=\"1\"></d></a>\n",
	};
	static const char *const bad_xml[] = {
		"<a><b></a></b>", "<a x=\"<\"></a>", "<a>&nbsp;</a>", "<a>\x01</a>", "<a></a><b></b>",
		"<a x=\"1\"y=\"2\"></a>", "<a>", "<a>\xc3\xa9</a>",
	};
	for (size_t i = 0; i < sizeof good_json / sizeof good_json[0]; i++)
		assert_true(fuzz_json_ok(good_json[i], strlen(good_json[i])));
	for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++)
		if (fuzz_json_ok(bad_json[i], strlen(bad_json[i])))
			fail_msg("bad JSON taken: %s", bad_json[i]);
	for (size_t i = 0; i < sizeof good_xml / sizeof good_xml[0]; i++)
		assert_true(fuzz_xml_ok(good_xml[i], strlen(good_xml[i])));
	for (size_t i = 0; i < sizeof bad_xml / sizeof bad_xml[0]; i++)
		if (fuzz_xml_ok(bad_xml[i], strlen(bad_xml[i])))
			fail_msg("bad XML taken: %s", bad_xml[i]);
	/* The empty input is a result with no tests, in every format. */
	assert_int_equal(fuzz_grade_one((const uint8_t *)"", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions),
		cmocka_unit_test(test_seeds),
		cmocka_unit_test(test_asm_include_in_sandbox),
		cmocka_unit_test(test_dbg_seeds),
		cmocka_unit_test(test_dbg_bounds),
		cmocka_unit_test(test_grade_validators),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
