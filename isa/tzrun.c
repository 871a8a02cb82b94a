/*
 * tzrun -- run a PG32 image on the bare machine.
 *
 * Every trap is delivered architecturally (the PSW swap); the guest's own
 * code at the trap vector handles it.  The exit status is the guest's
 * power-off code; see PG32_EXIT_* for the other endings.
 */
#include "pg32.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: tzrun IMAGE [options]\n"
	"Run a PG32 image on the bare machine (no monitor).\n"
	"\n"
	"  --isa V                 ISA variant: well, ill, or ill:NAME,... (default: the image's)\n"
	"  --mem SIZE              physical memory, e.g. 64K or 1M (default 1M)\n"
	"  --disk FILE             disk image (a whole number of 512-byte sectors)\n"
	"  --input FILE            console input from FILE (default: standard input)\n"
	"  --input-string TEXT     console input from TEXT\n"
	"  --max-instructions N    stop after N instructions (K, M, G suffixes)\n"
	"  --trace                 print each instruction and trap on standard error\n"
	"  -h, --help              this text\n"
	"\n"
	"Exit status: the guest's power-off code; 2 bad arguments or image;\n"
	"3 halted without powering off; 4 instruction limit reached; 5 trap loop.\n";

struct trace_ctx {
	const struct image *img;
	FILE *out;
};

static const char *symbolize(void *ctx, uint32_t addr)
{
	return img_symbol_at(((struct trace_ctx *)ctx)->img, addr);
}

/* One line per instruction: clock, mode, pc, word, disassembly. */
static void trace_line(void *ctx, const struct cpu *c, const struct cpu_trap *t)
{
	struct trace_ctx *tc = ctx;
	if (t) {
		char buf[160];
		bare_format_trap(t, buf, sizeof buf);
		fprintf(tc->out, "%10llu   %s\n", (unsigned long long)c->clock, buf);
		return;
	}
	uint32_t w = 0;
	char text[96] = "(not fetchable)";
	if (cpu_access_ok(c->base, c->bound, c->mem_size, c->pc, ISA_WORD_BYTES) &&
	    c->pc % ISA_WORD_BYTES == 0) {
		w = pg32_load32(c->mem + c->base + c->pc);
		isa_disasm(w, c->pc, symbolize, tc, text, sizeof text);
	}
	const char *sym = img_symbol_at(tc->img, c->pc);
	fprintf(tc->out, "%10llu %c 0x%08x: %08x  %-32s%s%s\n", (unsigned long long)c->clock,
	        (c->status & PSW_S) ? 'S' : 'U', c->pc, w, text, sym ? " ; " : "", sym ? sym : "");
}

int main(int argc, char **argv)
{
	enum { OPT_ISA = 256, OPT_MEM, OPT_DISK, OPT_INPUT, OPT_INPUT_STRING, OPT_MAX, OPT_TRACE };
	static const struct option opts[] = {
		{ "isa", required_argument, NULL, OPT_ISA },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "input-string", required_argument, NULL, OPT_INPUT_STRING },
		{ "max-instructions", required_argument, NULL, OPT_MAX },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *isa_text = NULL, *disk = NULL, *input_path = NULL, *input_string = NULL;
	uint32_t mem_size = PG32_MEM_DEFAULT;
	uint64_t max = 0;
	bool trace = false;
	char msg[256];
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_ISA: isa_text = optarg; break;
		case OPT_MEM:
			if (pg32_parse_size(optarg, &mem_size) != 0) {
				fprintf(stderr, "tzrun: bad memory size '%s'\n", optarg);
				return PG32_EXIT_USAGE;
			}
			break;
		case OPT_DISK: disk = optarg; break;
		case OPT_INPUT: input_path = optarg; break;
		case OPT_INPUT_STRING: input_string = optarg; break;
		case OPT_MAX:
			if (pg32_parse_count(optarg, &max) != 0 || max == 0) {
				fprintf(stderr, "tzrun: bad instruction count '%s'\n", optarg);
				return PG32_EXIT_USAGE;
			}
			break;
		case OPT_TRACE: trace = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return PG32_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "tzrun: expected one IMAGE\n%s", usage);
		return PG32_EXIT_USAGE;
	}
	if (input_path && input_string) {
		fprintf(stderr, "tzrun: give --input or --input-string, not both\n");
		return PG32_EXIT_USAGE;
	}

	struct image img;
	if (img_load_file(argv[optind], &img, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzrun: %s\n", msg);
		return PG32_EXIT_USAGE;
	}
	isa_variant variant = img.variant;
	if (isa_text && isa_variant_parse(isa_text, &variant, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzrun: %s\n", msg);
		img_free(&img);
		return PG32_EXIT_USAGE;
	}

	uint8_t *input = NULL;
	size_t input_len = 0;
	if (input_path && pg32_read_file(input_path, PG32_MEM_MAX, &input, &input_len, msg,
	                                 sizeof msg) != 0) {
		fprintf(stderr, "tzrun: %s\n", msg);
		img_free(&img);
		return PG32_EXIT_USAGE;
	}

	struct bare_machine m;
	int status = PG32_EXIT_USAGE;
	if (bare_init(&m, &img, mem_size, variant, stdout, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzrun: %s: %s\n", argv[optind], msg);
		goto out;
	}
	if (disk && dev_attach_disk(&m.bus, disk, msg, sizeof msg) != 0) {
		fprintf(stderr, "tzrun: %s\n", msg);
		bare_free(&m);
		goto out;
	}
	if (input_path)
		dev_set_input(&m.bus, input, input_len);
	else if (input_string)
		dev_set_input(&m.bus, (const uint8_t *)input_string, strlen(input_string));
	else
		dev_set_input_stream(&m.bus, stdin);

	struct trace_ctx tc = { .img = &img, .out = stderr };
	if (trace) {
		m.trace = trace_line;
		m.trace_ctx = &tc;
	}
	enum bare_end end = bare_run(&m, max);
	fflush(stdout);
	const struct cpu *c = &m.cpu;
	switch (end) {
	case BARE_POWEROFF: status = (int)m.bus.exit_code; break;
	case BARE_HALTED:
		fprintf(stderr, "tzrun: halted at pc=0x%08x after %llu instructions, %s\n", c->pc,
		        (unsigned long long)c->clock,
		        (c->status & PSW_IE) ? "with nothing to wait for" : "with interrupts off");
		status = PG32_EXIT_HALTED;
		break;
	case BARE_LIMIT:
		fprintf(stderr, "tzrun: stopped at pc=0x%08x after %llu instructions "
		                "(--max-instructions reached)\n",
		        c->pc, (unsigned long long)c->clock);
		status = PG32_EXIT_LIMIT;
		break;
	case BARE_TRAP_LOOP:
		fprintf(stderr, "tzrun: trap loop at pc=0x%08x: %d traps with no instruction retired "
		                "(is the new PSW at 0x%02x valid?)\n",
		        c->pc, BARE_MAX_TRAPS_WITHOUT_PROGRESS, PG32_NEW_PSW);
		status = PG32_EXIT_TRAP_LOOP;
		break;
	}
	bare_free(&m);
out:
	free(input);
	img_free(&img);
	return status;
}
