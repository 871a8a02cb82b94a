/*
 * tzdbg -- the trapeze debugger: step guests under the monitor and watch
 * every trap.
 *
 * Takes tzvmm's options and images.  On a terminal it opens the full-screen
 * view (dbg/ui_*.c); with --batch FILE, or when standard input is not a
 * terminal, it reads commands (from FILE or standard input) and prints
 * their output as text: the same core, the same words.
 */
#include "dbg.h"
#include "ui.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOOL "tzdbg"
#define MSG_LEN 512

static const char usage[] =
	"usage: tzdbg IMAGE... [options]\n"
	"Debug PG32 guests under the trapeze monitor: step them, break on\n"
	"instructions, traps or the monitor's actions, watch memory, go backwards.\n"
	"\n"
	"  --batch FILE            run the commands of FILE and print the output as\n"
	"                          text (- for standard input); also the mode when\n"
	"                          standard input is not a terminal\n"
	"  --echo                  batch mode: print each command before its output\n"
	"  --bare                  one IMAGE on the bare machine: no monitor, every trap\n"
	"                          delivered by the hardware's PSW swap\n"
	"  --snap-interval N       instructions between snapshots for reverse\n"
	"                          execution, at first (default 1M)\n"
	VMM_CLI_HELP
	"  -h, --help              this text\n"
	"\n"
	"Commands: type help inside.  Exit status: 0, or 2 for bad arguments or\n"
	"images; in batch mode 1 when a command was in error.\n";

struct options {
	struct vmm_cli m; /* the monitor's and the guests', as tzvmm's */
	bool echo, bare;
	uint64_t snap_interval;
	const char *batch;
};

static int fail_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, TOOL ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see " TOOL " --help)\n");
	return PG32_EXIT_USAGE;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_BATCH = VMM_CLI_END, OPT_ECHO, OPT_SNAP, OPT_BARE };
#define GETOPT_ROW(name, arg, id) { name, arg ? required_argument : no_argument, NULL, VMM_CLI_##id },
	static const struct option opts[] = {
		VMM_CLI_OPTIONS(GETOPT_ROW)
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "echo", no_argument, NULL, OPT_ECHO },
		{ "snap-interval", required_argument, NULL, OPT_SNAP },
		{ "bare", no_argument, NULL, OPT_BARE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
#undef GETOPT_ROW
	char msg[MSG_LEN];
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_SNAP:
			if (pg32_parse_count(optarg, &o->snap_interval) != 0 || o->snap_interval == 0)
				return fail_usage("bad snapshot interval '%s'", optarg);
			break;
		case OPT_BATCH: o->batch = optarg; break;
		case OPT_ECHO: o->echo = true; break;
		case OPT_BARE: o->bare = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			if (ch > VMM_CLI_BEFORE_FIRST && ch < VMM_CLI_END) {
				if (vmm_cli_option(&o->m, ch, optarg, msg, sizeof msg) != 0)
					return fail_usage("%s", msg);
				break;
			}
			return fail_usage("unknown option, or an option without its value: '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fail_usage("%s", "expected at least one IMAGE");
	if (vmm_cli_check(&o->m, msg, sizeof msg) != 0)
		return fail_usage("%s", msg);
	if (o->m.input_path && strcmp(o->m.input_path, "-") == 0)
		return fail_usage("%s", "--input -: standard input is the debugger's (commands, or "
		                        "the terminal); give the guest's input as a FILE");
	if (o->bare && optind != argc - 1)
		return fail_usage("%s", "--bare takes exactly one IMAGE");
	if (o->bare && (o->m.hybrid || o->m.rewrite != VMM_REWRITE_AUTO))
		return fail_usage("%s", "--bare has no monitor: drop --rewrite and --hybrid");
	return -1;
}

/* Batch mode: each line of in is a command; output on stdout. */
static int run_batch(struct dbg *d, FILE *in, bool echo)
{
	char line[DBG_LINE_MAX + 2];
	struct dbg_text out = { 0 };
	int status = 0;
	unsigned lineno = 0;
	while (fgets(line, sizeof line, in)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			/* Too long: skip to the end of it and say so. */
			int ch;
			while ((ch = fgetc(in)) != EOF && ch != '\n')
				;
			printf("error: line %u longer than %u characters\n", lineno, DBG_LINE_MAX);
			status = 1;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (echo)
			printf("(tzdbg) %s\n", line);
		dbg_text_clear(&out);
		enum dbg_cmd_result r = dbg_command(d, line, &out);
		if (out.len)
			fwrite(out.s, 1, out.len, stdout);
		if (out.cut)
			printf("(output cut at %u bytes)\n", DBG_OUT_MAX);
		if (r == DBG_CMD_ERROR)
			status = 1;
		if (r == DBG_CMD_QUIT)
			break;
	}
	dbg_text_free(&out);
	fflush(stdout);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	vmm_cli_init(&o.m);
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	char msg[MSG_LEN];
	struct vmm_cli_guests gs;
	if (vmm_cli_load(&o.m, (unsigned)(argc - optind), argv + optind, &gs, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s\n", msg);
		return PG32_EXIT_USAGE;
	}
	const char **name_ptrs = calloc(gs.n, sizeof *name_ptrs);
	struct dbg *d = NULL;
	FILE *batch = NULL;
	status = PG32_EXIT_USAGE;
	if (!name_ptrs) {
		fprintf(stderr, TOOL ": out of memory\n");
		goto out;
	}
	for (unsigned i = 0; i < gs.n; i++)
		name_ptrs[i] = gs.names[i];
	const struct vmm_cli *m = &o.m;
	struct dbg_config cfg = {
		.vmm = { .host_mem = m->host_mem, .quantum = m->quantum, .disk_path = m->disk,
		         .log = NULL },
		.mem_size = m->mem, .variants = gs.variants, .input = gs.input,
		.input_len = gs.input_len, .minidisk = m->minidisk, .max_instructions = m->max,
		.snap_interval = o.snap_interval, .rewrite = m->rewrite, .hybrid = m->hybrid,
		.bare = o.bare,
	};
	if (dbg_create(&d, &cfg, gs.imgs, name_ptrs, gs.n, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s\n", msg);
		goto out;
	}
	if (o.batch) {
		batch = strcmp(o.batch, "-") == 0 ? stdin : fopen(o.batch, "r");
		if (!batch) {
			fprintf(stderr, TOOL ": cannot read %s\n", o.batch);
			goto out;
		}
		status = run_batch(d, batch, o.echo);
	} else if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		status = run_batch(d, stdin, o.echo);
	} else {
		status = ui_main(d, msg, sizeof msg);
		if (status)
			fprintf(stderr, TOOL ": %s\n", msg);
	}
out:
	if (batch && batch != stdin)
		fclose(batch);
	dbg_destroy(d);
	free(name_ptrs);
	vmm_cli_free(&gs);
	return status;
}
