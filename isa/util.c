/*
 * util.c -- small helpers shared by the tools: parsing sizes and counts
 * given on the command line.
 */
#include "pg32.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parse an unsigned number, decimal or 0x hex (a leading 0 is still
 * decimal, not octal), with an optional one-letter suffix from suffixes[]
 * (multiplied by the matching factor). */
static int parse_scaled(const char *text, const char *suffixes, const uint64_t *factors,
                        uint64_t *out)
{
	if (!text)
		return PG32_EARG;
	int base = 10;
	const char *digits = text;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		digits = text + 2;
	}
	/* strtoull would skip blanks and take a sign: only digits here. */
	if (!isxdigit((unsigned char)*digits) || (base == 10 && !isdigit((unsigned char)*digits)))
		return PG32_EARG;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(digits, &end, base);
	if (errno)
		return PG32_EARG;
	uint64_t factor = 1;
	if (*end) {
		const char *hit = strchr(suffixes, *end);
		if (!hit || end[1] != '\0')
			return PG32_EARG;
		factor = factors[hit - suffixes];
	}
	if (v > UINT64_MAX / factor)
		return PG32_EARG;
	*out = (uint64_t)v * factor;
	return 0;
}

int pg32_parse_size(const char *text, uint32_t *out)
{
	static const uint64_t factors[] = { 1u << 10, 1u << 10, 1u << 20, 1u << 20 };
	uint64_t v;
	if (parse_scaled(text, "kKmM", factors, &v) != 0 || v > UINT32_MAX)
		return PG32_EARG;
	*out = (uint32_t)v;
	return 0;
}

int pg32_parse_count(const char *text, uint64_t *out)
{
	static const uint64_t factors[] = { 1000u, 1000u, 1000000u, 1000000u,
	                                    1000000000u, 1000000000u };
	return parse_scaled(text, "kKmMgG", factors, out);
}
