/*
 * test_parse.c -- the sizes and counts the tools take on their command
 * lines (pg32_parse_size, pg32_parse_count): decimal, 0x hex, suffixes,
 * and everything they refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pg32.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

struct size_case {
	const char *text;
	uint32_t value;
};

struct count_case {
	const char *text;
	uint64_t value;
};

/* Sizes: K and M are binary (KiB, MiB); a leading 0 is decimal. */
static void test_parse_size_accepts(void **state)
{
	(void)state;
	static const struct size_case ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "0x1000", 0x1000 }, { "0X1f", 0x1f },
		{ "64K", 64 * KIB }, { "64k", 64 * KIB }, { "1M", MIB }, { "3m", 3 * MIB },
		{ "010", 10 }, { "4095M", 4095u * MIB }, { "4294967295", UINT32_MAX },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint32_t v = 1;
		if (pg32_parse_size(ok[i].text, &v) != 0 || v != ok[i].value)
			fail_msg("'%s': got %u, want %u", ok[i].text, v, ok[i].value);
	}
}

/* Sizes past 4 GiB, signs, blanks, junk and lone suffixes are refused, and
 * the output is left alone. */
static void test_parse_size_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "K", "1KB", "1G", "4096M", "4294967296", "0x", "0xg",
		"1.5M", "ten", "99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t v = 7;
		if (pg32_parse_size(bad[i], &v) != PG32_EARG || v != 7)
			fail_msg("'%s' was accepted as %u", bad[i], v);
	}
	assert_int_equal(pg32_parse_size(NULL, NULL), PG32_EARG);
}

/* Counts: K, M and G are decimal (thousands, millions, billions). */
static void test_parse_count_accepts(void **state)
{
	(void)state;
	static const struct count_case ok[] = {
		{ "0", 0 }, { "5", 5 }, { "5K", 5000 }, { "2M", 2000000 }, { "3G", 3000000000u },
		{ "0x10", 16 }, { "007", 7 }, { "18446744073709551615", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t v = 1;
		if (pg32_parse_count(ok[i].text, &v) != 0 || v != ok[i].value)
			fail_msg("'%s': got %llu", ok[i].text, (unsigned long long)v);
	}
}

static void test_parse_count_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "-3", "+3", "\t3", "3T", "3KK", "18446744073709551616", "18446744073709552G", "x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 7;
		if (pg32_parse_count(bad[i], &v) != PG32_EARG || v != 7)
			fail_msg("'%s' was accepted as %llu", bad[i], (unsigned long long)v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size_accepts),
		cmocka_unit_test(test_parse_size_refuses),
		cmocka_unit_test(test_parse_count_accepts),
		cmocka_unit_test(test_parse_count_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
