/*
 * tzvmm -- run PG32 images as guests of the trapeze monitor.
 *
 * Each IMAGE becomes one guest with its own region of the host memory, its
 * own minidisk, its own virtual console, timer and disk, and its own
 * virtual clock; they share the one real CPU round robin.  Every guest runs
 * in real user mode, and every trap goes through the monitor's dispatcher.
 * With --check, one image runs on the bare machine and under the monitor
 * and the two runs are compared (the equivalence property).  Under an ill
 * variant the monitor rewrites critical instructions (--rewrite) or
 * interprets virtual system mode (--hybrid): see docs/rewriting.md.
 */
#include "vmm.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "tzvmm"
#define MSG_LEN 512
#define CONSOLE_FILE_EXT ".out"

static const char usage[] =
	"usage: tzvmm IMAGE... [options]\n"
	"Run PG32 images as guests of the trapeze monitor (trap-and-emulate).\n"
	"\n"
	VMM_CLI_HELP
	"  --console-cap BYTES     console output kept per guest (default 1M; 0: no cap)\n"
	"  --console-dir DIR       each guest's console into DIR/NAME.out instead\n"
	"  --stats                 a table of each guest's figures on standard error\n"
	"  --stats-json FILE       the same as JSON (- for standard output)\n"
	"  --check                 run one IMAGE on the bare machine and under the\n"
	"                          monitor and compare them: prints \"equivalent\" or\n"
	"                          the first divergence\n"
	"  -h, --help              this text\n"
	"\n"
	"With one guest its console is printed as is; with several, each line is\n"
	"prefixed with \"[name] \".\n"
	"\n"
	"Exit status: with one guest, its power-off code; with several, 0 if all\n"
	"powered off with 0, else the first non-zero.  2 bad arguments or image, or\n"
	"the guests do not fit; 3 halted; 4 instruction limit; 5 trap loop; 6 the\n"
	"monitor killed the guest.  --check: 0 equivalent, 1 diverged.\n";

struct options {
	struct vmm_cli m; /* the monitor's and the guests' */
	uint64_t console_cap;
	const char *stats_json, *console_dir;
	bool stats, check;
};

static int fail_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, TOOL ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see " TOOL " --help)\n");
	return PG32_EXIT_USAGE;
}

/* Parse the options; returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CAP = VMM_CLI_END, OPT_CONSOLE_DIR, OPT_STATS, OPT_STATS_JSON, OPT_CHECK };
#define GETOPT_ROW(name, arg, id) { name, arg ? required_argument : no_argument, NULL, VMM_CLI_##id },
	static const struct option opts[] = {
		VMM_CLI_OPTIONS(GETOPT_ROW)
		{ "console-cap", required_argument, NULL, OPT_CAP },
		{ "console-dir", required_argument, NULL, OPT_CONSOLE_DIR },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
#undef GETOPT_ROW
	char msg[MSG_LEN];
	int ch;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_CAP:
			if (pg32_parse_count(optarg, &o->console_cap) != 0)
				return fail_usage("bad console cap '%s'", optarg);
			break;
		case OPT_CONSOLE_DIR: o->console_dir = optarg; break;
		case OPT_STATS: o->stats = true; break;
		case OPT_STATS_JSON: o->stats_json = optarg; break;
		case OPT_CHECK: o->check = true; break;
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
	if (o->check && optind != argc - 1)
		return fail_usage("%s", "--check takes exactly one IMAGE");
	if (o->check && o->console_dir)
		return fail_usage("%s", "--check compares the consoles itself: no --console-dir");
	return -1;
}

/* How a guest that did not power off ended, in tzrun's words. */
static void report_end(const struct vmm_guest *g, bool several)
{
	const struct cpu *c = &g->vm;
	char who[VMM_NAME_MAX + 16] = "";
	if (several)
		snprintf(who, sizeof who, "guest %s ", g->name);
	switch (g->end) {
	case VMM_HALTED:
		fprintf(stderr, TOOL ": %shalted at pc=0x%08x after %llu instructions, %s\n", who, c->pc,
		        (unsigned long long)c->clock,
		        (c->status & PSW_IE) ? "with nothing to wait for" : "with interrupts off");
		break;
	case VMM_LIMIT:
		fprintf(stderr, TOOL ": %sstopped at pc=0x%08x after %llu instructions "
		                "(--max-instructions reached)\n", who, c->pc, (unsigned long long)c->clock);
		break;
	case VMM_TRAP_LOOP:
		fprintf(stderr, TOOL ": %strap loop at pc=0x%08x: %d traps with no instruction retired "
		                "(is the new PSW at 0x%02x valid?)\n", who, c->pc,
		        BARE_MAX_TRAPS_WITHOUT_PROGRESS, PG32_NEW_PSW);
		break;
	case VMM_POWEROFF: case VMM_KILLED: case VMM_RUNNING:
		break; /* killed: the monitor said why on its log */
	}
}

static int run_check(const struct options *o, const char *path,
                     const struct vmm_cli_guests *gs)
{
	const struct vmm_cli *m = &o->m;
	struct vmm_check_config cfg = {
		.mem_size = m->mem, .variant = gs->variants[0], .input = gs->input,
		.input_len = gs->input_len, .disk_path = m->disk, .max_instructions = m->max,
		.quantum = m->quantum, .first_divergence = true, .rewrite = m->rewrite,
		.hybrid = m->hybrid,
	};
	struct vmm_check_result res;
	char msg[MSG_LEN], line[MSG_LEN + VMM_CHECK_WHAT];
	if (m->hybrid && !vmm_hybrid_virtualizable(cfg.variant)) {
		isa_variant_format(cfg.variant, msg, sizeof msg);
		fprintf(stderr, TOOL ": note: the hybrid monitor under %s does not guarantee "
		                "equivalence (Theorem 3 does not hold)\n", msg);
	}
	if (vmm_check(&gs->imgs[0], &cfg, &res, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s: %s\n", path, msg);
		return PG32_EXIT_USAGE;
	}
	vmm_check_format(&res, line, sizeof line);
	printf("%s\n", line);
	return res.equivalent ? 0 : VMM_EXIT_DIVERGED;
}

/* Guest i's console: standard output, or DIR/NAME.out with --console-dir
 * (NULL with a message when it cannot be created). */
static FILE *open_console(const struct options *o, const char *name)
{
	if (!o->console_dir)
		return stdout;
	size_t len = strlen(o->console_dir) + strlen(name) + sizeof CONSOLE_FILE_EXT + 1;
	char *path = malloc(len);
	FILE *f = path ? (snprintf(path, len, "%s/%s" CONSOLE_FILE_EXT, o->console_dir, name),
	                  fopen(path, "w"))
	               : NULL;
	if (!f)
		fprintf(stderr, TOOL ": cannot write %s/%s" CONSOLE_FILE_EXT ": %s\n", o->console_dir,
		        name, path ? strerror(errno) : "out of memory");
	free(path);
	return f;
}

static int run_guests(const struct options *o, const struct vmm_cli_guests *gs)
{
	const struct vmm_cli *m = &o->m;
	unsigned n = gs->n;
	char msg[MSG_LEN];
	struct vmm_config cfg = { .host_mem = m->host_mem, .quantum = m->quantum,
	                          .disk_path = m->disk, .log = stderr };
	struct vmm *v;
	if (vmm_create(&v, &cfg, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s\n", msg);
		return PG32_EXIT_USAGE;
	}
	FILE **consoles = calloc(n, sizeof *consoles);
	if (!consoles) {
		vmm_destroy(v);
		fprintf(stderr, TOOL ": out of memory\n");
		return PG32_EXIT_USAGE;
	}
	uint32_t share = m->minidisk_given ? m->minidisk : v->disk_sectors / n;
	int status = PG32_EXIT_USAGE;
	for (unsigned i = 0; i < n; i++) {
		consoles[i] = open_console(o, gs->names[i]);
		if (!consoles[i])
			goto out;
		struct vmm_guest_config gc = {
			.name = gs->names[i], .img = &gs->imgs[i], .mem_size = m->mem,
			.variant = gs->variants[i], .input = gs->input, .input_len = gs->input_len,
			.disk_sectors = m->disk ? share : 0, .max_instructions = m->max,
			.console = consoles[i], .prefix = n > 1 && !o->console_dir,
			.console_cap = o->console_cap, .rewrite = m->rewrite, .hybrid = m->hybrid,
		};
		if (vmm_add_guest(v, &gc, NULL, msg, sizeof msg) != 0) {
			fprintf(stderr, TOOL ": %s\n", msg);
			goto out;
		}
	}
	vmm_run(v);
	fflush(stdout);
	for (unsigned i = 0; i < v->nguests; i++)
		report_end(v->guests[i], n > 1);
	if (o->stats)
		vmm_print_stats(v, stderr);
	if (o->stats_json) {
		FILE *f = strcmp(o->stats_json, "-") == 0 ? stdout : fopen(o->stats_json, "w");
		if (!f) {
			fprintf(stderr, TOOL ": cannot write %s\n", o->stats_json);
			goto out;
		}
		vmm_write_stats_json(v, f);
		if (f != stdout)
			fclose(f);
	}
	status = vmm_exit_status(v);
out:
	vmm_destroy(v); /* flushes the consoles */
	for (unsigned i = 0; i < n; i++)
		if (consoles[i] && consoles[i] != stdout && fclose(consoles[i]) != 0) {
			fprintf(stderr, TOOL ": cannot write the console of %s: %s\n", gs->names[i],
			        strerror(errno));
			status = PG32_EXIT_USAGE;
		}
	free(consoles);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { .console_cap = VMM_CONSOLE_CAP_DEFAULT };
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
	status = o.check ? run_check(&o, argv[optind], &gs) : run_guests(&o, &gs);
	vmm_cli_free(&gs);
	return status;
}
