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
#define NAME_SUFFIX_MAX 100000 /* "#N" fits in the 8 bytes base_name leaves */
#define CONSOLE_FILE_EXT ".out"
#define STDIN_PATH "/dev/stdin"

static const char usage[] =
	"usage: tzvmm IMAGE... [options]\n"
	"Run PG32 images as guests of the trapeze monitor (trap-and-emulate).\n"
	"\n"
	"  --mem SIZE              memory of each guest, e.g. 64K or 1M (default 1M)\n"
	"  --host-mem SIZE         host memory the guests are carved from (default 64M)\n"
	"  --quantum N             time slice, in instructions (default 10000)\n"
	"  --disk FILE             host disk image, carved into one minidisk per guest\n"
	"  --minidisk N            sectors per guest (default: the disk shared equally)\n"
	"  --input FILE            console input of every guest, read before they\n"
	"                          start (- for standard input; default: none)\n"
	"  --input-string TEXT     console input from TEXT\n"
	"  --isa V                 ISA variant: well, ill, or ill:NAME,... (default: each image's)\n"
	"  --rewrite MODE          critical instructions of an ill variant: none (plain\n"
	"                          trap-and-emulate), static (patch the image at load)\n"
	"                          or dynamic (patch block by block as control reaches\n"
	"                          it); default: dynamic under ill, none under well\n"
	"  --hybrid                the hybrid monitor: interpret every instruction the\n"
	"                          guest runs in virtual system mode (no rewriting)\n"
	"  --max-instructions N    stop each guest after N of its instructions (K, M, G)\n"
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
	uint32_t mem, host_mem, minidisk;
	bool minidisk_given;
	uint64_t quantum, max, console_cap;
	const char *disk, *input_path, *input_string, *isa, *stats_json, *console_dir;
	bool stats, check, hybrid;
	enum vmm_rewrite_mode rewrite;
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
	enum { OPT_MEM = 256, OPT_HOST_MEM, OPT_QUANTUM, OPT_DISK, OPT_MINIDISK, OPT_INPUT,
	       OPT_INPUT_STRING, OPT_ISA, OPT_MAX, OPT_CAP, OPT_CONSOLE_DIR, OPT_STATS, OPT_STATS_JSON, OPT_CHECK,
	       OPT_REWRITE, OPT_HYBRID };
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "host-mem", required_argument, NULL, OPT_HOST_MEM },
		{ "quantum", required_argument, NULL, OPT_QUANTUM },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "minidisk", required_argument, NULL, OPT_MINIDISK },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "input-string", required_argument, NULL, OPT_INPUT_STRING },
		{ "isa", required_argument, NULL, OPT_ISA },
		{ "max-instructions", required_argument, NULL, OPT_MAX },
		{ "console-cap", required_argument, NULL, OPT_CAP },
		{ "console-dir", required_argument, NULL, OPT_CONSOLE_DIR },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "rewrite", required_argument, NULL, OPT_REWRITE },
		{ "hybrid", no_argument, NULL, OPT_HYBRID },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n;
	int ch;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_MEM:
			if (pg32_parse_size(optarg, &o->mem) != 0)
				return fail_usage("bad memory size '%s'", optarg);
			break;
		case OPT_HOST_MEM:
			if (pg32_parse_size(optarg, &o->host_mem) != 0 || o->host_mem == 0)
				return fail_usage("bad host memory size '%s'", optarg);
			break;
		case OPT_QUANTUM:
			if (pg32_parse_count(optarg, &o->quantum) != 0 || o->quantum == 0)
				return fail_usage("bad quantum '%s' (a positive instruction count)", optarg);
			break;
		case OPT_MINIDISK:
			if (pg32_parse_count(optarg, &n) != 0 || n > UINT32_MAX)
				return fail_usage("bad minidisk size '%s' (sectors)", optarg);
			o->minidisk = (uint32_t)n;
			o->minidisk_given = true;
			break;
		case OPT_MAX:
			if (pg32_parse_count(optarg, &o->max) != 0 || o->max == 0)
				return fail_usage("bad instruction count '%s'", optarg);
			break;
		case OPT_CAP:
			if (pg32_parse_count(optarg, &o->console_cap) != 0)
				return fail_usage("bad console cap '%s'", optarg);
			break;
		case OPT_DISK: o->disk = optarg; break;
		case OPT_INPUT: o->input_path = optarg; break;
		case OPT_INPUT_STRING: o->input_string = optarg; break;
		case OPT_ISA: o->isa = optarg; break;
		case OPT_CONSOLE_DIR: o->console_dir = optarg; break;
		case OPT_STATS: o->stats = true; break;
		case OPT_STATS_JSON: o->stats_json = optarg; break;
		case OPT_CHECK: o->check = true; break;
		case OPT_REWRITE:
			if (vmm_rewrite_parse(optarg, &o->rewrite) != 0)
				return fail_usage("bad rewriting mode '%s' (none, static or dynamic)", optarg);
			break;
		case OPT_HYBRID: o->hybrid = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return fail_usage("unknown option, or an option without its value: '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fail_usage("%s", "expected at least one IMAGE");
	if (o->check && optind != argc - 1)
		return fail_usage("%s", "--check takes exactly one IMAGE");
	if (o->input_path && o->input_string)
		return fail_usage("%s", "give --input or --input-string, not both");
	if (o->check && o->console_dir)
		return fail_usage("%s", "--check compares the consoles itself: no --console-dir");
	if (o->hybrid && (o->rewrite == VMM_REWRITE_STATIC || o->rewrite == VMM_REWRITE_DYNAMIC))
		return fail_usage("%s", "--hybrid runs without rewriting: drop --rewrite");
	if (o->minidisk_given && !o->disk)
		return fail_usage("%s", "--minidisk needs a --disk to carve it from");
	return -1;
}

/* The base name of a path without ".img": "build/guests/hello.img" ->
 * "hello", cut to leave room for a "#N" suffix. */
static void base_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && strcmp(dot, ".img") == 0)
		n = (size_t)(dot - base);
	if (n > len - 8)
		n = len - 8;
	snprintf(out, len, "%.*s", (int)n, base);
}

/* Guest names: base names, and "name#1", "name#2"... when repeated. */
static void guest_names(int n, char **paths, char (*names)[VMM_NAME_MAX])
{
	for (int i = 0; i < n; i++)
		base_name(paths[i], names[i], VMM_NAME_MAX);
	for (int i = 0; i < n; i++) {
		char base[VMM_NAME_MAX];
		base_name(paths[i], base, sizeof base);
		int same = 0, before = 0;
		for (int j = 0; j < n; j++) {
			char other[VMM_NAME_MAX];
			base_name(paths[j], other, sizeof other);
			if (strcmp(base, other) == 0) {
				same++;
				before += j < i;
			}
		}
		if (same > 1) /* base_name left room for the suffix */
			snprintf(names[i], VMM_NAME_MAX, "%.*s#%d", VMM_NAME_MAX - 8, base,
			         (before + 1) % NAME_SUFFIX_MAX);
	}
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

static int run_check(const struct options *o, const char *path, const struct image *img,
                     isa_variant variant, const uint8_t *input, size_t input_len)
{
	struct vmm_check_config cfg = {
		.mem_size = o->mem, .variant = variant, .input = input, .input_len = input_len,
		.disk_path = o->disk, .max_instructions = o->max, .quantum = o->quantum,
		.first_divergence = true, .rewrite = o->rewrite, .hybrid = o->hybrid,
	};
	struct vmm_check_result res;
	char msg[MSG_LEN], line[MSG_LEN + VMM_CHECK_WHAT];
	if (o->hybrid && !vmm_hybrid_virtualizable(variant)) {
		isa_variant_format(variant, msg, sizeof msg);
		fprintf(stderr, TOOL ": note: the hybrid monitor under %s does not guarantee "
		                "equivalence (Theorem 3 does not hold)\n", msg);
	}
	if (vmm_check(img, &cfg, &res, msg, sizeof msg) != 0) {
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

static int run_guests(const struct options *o, int n, char **paths, struct image *imgs,
                      const isa_variant *variants, const uint8_t *input, size_t input_len)
{
	char msg[MSG_LEN];
	struct vmm_config cfg = { .host_mem = o->host_mem, .quantum = o->quantum,
	                          .disk_path = o->disk, .log = stderr };
	struct vmm *v;
	if (vmm_create(&v, &cfg, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s\n", msg);
		return PG32_EXIT_USAGE;
	}
	char (*names)[VMM_NAME_MAX] = calloc((size_t)n, sizeof *names);
	FILE **consoles = calloc((size_t)n, sizeof *consoles);
	if (!names || !consoles) {
		free(names);
		free(consoles);
		vmm_destroy(v);
		fprintf(stderr, TOOL ": out of memory\n");
		return PG32_EXIT_USAGE;
	}
	guest_names(n, paths, names);
	uint32_t share = o->minidisk_given ? o->minidisk : v->disk_sectors / (uint32_t)n;
	int status = PG32_EXIT_USAGE;
	for (int i = 0; i < n; i++) {
		consoles[i] = open_console(o, names[i]);
		if (!consoles[i])
			goto out;
		struct vmm_guest_config gc = {
			.name = names[i], .img = &imgs[i], .mem_size = o->mem, .variant = variants[i],
			.input = input, .input_len = input_len, .disk_sectors = o->disk ? share : 0,
			.max_instructions = o->max, .console = consoles[i],
			.prefix = n > 1 && !o->console_dir,
			.console_cap = o->console_cap, .rewrite = o->rewrite, .hybrid = o->hybrid,
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
	for (int i = 0; i < n; i++)
		if (consoles[i] && consoles[i] != stdout && fclose(consoles[i]) != 0) {
			fprintf(stderr, TOOL ": cannot write the console of %s: %s\n", names[i],
			        strerror(errno));
			status = PG32_EXIT_USAGE;
		}
	free(consoles);
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { .mem = PG32_MEM_DEFAULT, .console_cap = VMM_CONSOLE_CAP_DEFAULT };
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;

	int n = argc - optind;
	char **paths = argv + optind;
	char msg[MSG_LEN];
	struct image *imgs = calloc((size_t)n, sizeof *imgs);
	isa_variant *variants = calloc((size_t)n, sizeof *variants);
	uint8_t *input = NULL;
	size_t input_len = 0;
	status = PG32_EXIT_USAGE;
	if (!imgs || !variants) {
		fprintf(stderr, TOOL ": out of memory\n");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (img_load_file(paths[i], &imgs[i], msg, sizeof msg) != 0) {
			fprintf(stderr, TOOL ": %s\n", msg);
			goto out;
		}
		variants[i] = imgs[i].variant;
		if (o.isa && isa_variant_parse(o.isa, &variants[i], msg, sizeof msg) != 0) {
			fprintf(stderr, TOOL ": %s\n", msg);
			goto out;
		}
	}
	if (o.input_path && strcmp(o.input_path, "-") == 0)
		o.input_path = STDIN_PATH;
	if (o.input_path &&
	    pg32_read_file(o.input_path, PG32_MEM_MAX, &input, &input_len, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s\n", msg);
		goto out;
	}
	const uint8_t *in = o.input_string ? (const uint8_t *)o.input_string : input;
	size_t in_len = o.input_string ? strlen(o.input_string) : input_len;
	if (o.check)
		status = run_check(&o, paths[0], &imgs[0], variants[0], in, in_len);
	else
		status = run_guests(&o, n, paths, imgs, variants, in, in_len);
out:
	if (imgs)
		for (int i = 0; i < n; i++)
			img_free(&imgs[i]);
	free(imgs);
	free(variants);
	free(input);
	return status;
}
