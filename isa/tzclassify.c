/*
 * tzclassify -- find each PG32 instruction's Popek-Goldberg class by
 * running it from many random states (isa/classify.c), print the table and
 * the verdict of Theorems 1 and 3 for an ISA variant.
 */
#include "classify.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: tzclassify [options]\n"
	"Find each instruction's Popek-Goldberg class by running it, and say whether\n"
	"the ISA variant is virtualizable (Theorem 1), hybrid-virtualizable only\n"
	"(Theorem 3), or neither, naming the critical instructions.\n"
	"\n"
	"  --isa V        ISA variant: well, ill, or ill:NAME,... (default well)\n"
	"  --samples N    random states per instruction (default 256)\n"
	"  --seed S       seed of the random states (default 1)\n"
	"  --witnesses    after the table, the execution that showed each property\n"
	"  --json         print the findings and the verdict as JSON\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit status: 0; 2 for bad arguments.\n";

int main(int argc, char **argv)
{
	enum { OPT_ISA = 256, OPT_SAMPLES, OPT_SEED, OPT_WITNESSES, OPT_JSON };
	static const struct option opts[] = {
		{ "isa", required_argument, NULL, OPT_ISA },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "witnesses", no_argument, NULL, OPT_WITNESSES },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	isa_variant variant = ISA_VARIANT_WELL;
	uint64_t samples = CLASSIFY_SAMPLES_DEFAULT, seed = CLASSIFY_SEED_DEFAULT;
	bool json = false, witnesses = false;
	char msg[256];
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_ISA:
			if (isa_variant_parse(optarg, &variant, msg, sizeof msg) != 0) {
				fprintf(stderr, "tzclassify: %s\n", msg);
				return PG32_EXIT_USAGE;
			}
			break;
		case OPT_SAMPLES:
			if (pg32_parse_count(optarg, &samples) != 0 || samples == 0 ||
			    samples > CLASSIFY_SAMPLES_MAX) {
				fprintf(stderr, "tzclassify: bad sample count '%s' (1..%u)\n", optarg,
				        CLASSIFY_SAMPLES_MAX);
				return PG32_EXIT_USAGE;
			}
			break;
		case OPT_SEED:
			if (pg32_parse_count(optarg, &seed) != 0) {
				fprintf(stderr, "tzclassify: bad seed '%s'\n", optarg);
				return PG32_EXIT_USAGE;
			}
			break;
		case OPT_WITNESSES: witnesses = true; break;
		case OPT_JSON: json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return PG32_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tzclassify: unexpected argument '%s'\n%s", argv[optind], usage);
		return PG32_EXIT_USAGE;
	}

	struct classify_result *r = malloc(sizeof *r);
	if (!r) {
		fprintf(stderr, "tzclassify: out of memory\n");
		return EXIT_FAILURE;
	}
	if (classify_run(variant, (unsigned)samples, seed, r, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzclassify: %s\n", msg);
		free(r);
		return EXIT_FAILURE;
	}
	if (json) {
		classify_print_json(stdout, r);
	} else {
		classify_print_table(stdout, r);
		putchar('\n');
		if (witnesses) {
			classify_print_witnesses(stdout, r);
			putchar('\n');
		}
		classify_print_verdict(stdout, r);
	}
	free(r);
	return 0;
}
