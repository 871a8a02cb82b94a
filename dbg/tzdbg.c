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
	"  --mem SIZE              memory of each guest, e.g. 64K or 1M (default 1M)\n"
	"  --host-mem SIZE         host memory the guests are carved from (default 64M)\n"
	"  --quantum N             time slice, in instructions (default 10000)\n"
	"  --disk FILE             host disk image, carved into one minidisk per guest\n"
	"  --minidisk N            sectors per guest (default: the disk shared equally)\n"
	"  --input FILE            console input of every guest (default: none)\n"
	"  --input-string TEXT     console input from TEXT\n"
	"  --isa V                 ISA variant: well, ill, or ill:NAME,... (default: each image's)\n"
	"  --rewrite MODE          critical instructions of an ill variant: none, static\n"
	"                          or dynamic (default: dynamic under ill, none under well)\n"
	"  --hybrid                the hybrid monitor: interpret virtual system mode\n"
	"  --max-instructions N    stop each guest after N of its instructions (K, M, G)\n"
	"  -h, --help              this text\n"
	"\n"
	"Commands: type help inside.  Exit status: 0, or 2 for bad arguments or\n"
	"images; in batch mode 1 when a command was in error.\n";

struct options {
	uint32_t mem, host_mem, minidisk;
	bool minidisk_given, echo, hybrid, bare;
	enum vmm_rewrite_mode rewrite;
	uint64_t quantum, max, snap_interval;
	const char *disk, *input_path, *input_string, *isa, *batch;
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
	enum { OPT_MEM = 256, OPT_HOST_MEM, OPT_QUANTUM, OPT_DISK, OPT_MINIDISK, OPT_INPUT,
	       OPT_INPUT_STRING, OPT_ISA, OPT_MAX, OPT_BATCH, OPT_ECHO, OPT_SNAP, OPT_BARE,
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
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "echo", no_argument, NULL, OPT_ECHO },
		{ "snap-interval", required_argument, NULL, OPT_SNAP },
		{ "bare", no_argument, NULL, OPT_BARE },
		{ "rewrite", required_argument, NULL, OPT_REWRITE },
		{ "hybrid", no_argument, NULL, OPT_HYBRID },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n;
	int ch;
	opterr = 0;
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
		case OPT_SNAP:
			if (pg32_parse_count(optarg, &o->snap_interval) != 0 || o->snap_interval == 0)
				return fail_usage("bad snapshot interval '%s'", optarg);
			break;
		case OPT_DISK: o->disk = optarg; break;
		case OPT_INPUT: o->input_path = optarg; break;
		case OPT_INPUT_STRING: o->input_string = optarg; break;
		case OPT_ISA: o->isa = optarg; break;
		case OPT_BATCH: o->batch = optarg; break;
		case OPT_REWRITE:
			if (vmm_rewrite_parse(optarg, &o->rewrite) != 0)
				return fail_usage("bad rewrite mode '%s' (none, static, dynamic)", optarg);
			break;
		case OPT_HYBRID: o->hybrid = true; break;
		case OPT_ECHO: o->echo = true; break;
		case OPT_BARE: o->bare = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return fail_usage("unknown option, or an option without its value: '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fail_usage("%s", "expected at least one IMAGE");
	if (o->input_path && strcmp(o->input_path, "-") == 0)
		return fail_usage("%s", "--input -: standard input is the debugger's (commands, or "
		                        "the terminal); give the guest's input as a FILE");
	if (o->input_path && o->input_string)
		return fail_usage("%s", "give --input or --input-string, not both");
	if (o->hybrid && (o->rewrite == VMM_REWRITE_STATIC || o->rewrite == VMM_REWRITE_DYNAMIC))
		return fail_usage("%s", "--hybrid runs without rewriting: drop --rewrite");
	if (o->bare && optind != argc - 1)
		return fail_usage("%s", "--bare takes exactly one IMAGE");
	if (o->bare && (o->hybrid || o->rewrite != VMM_REWRITE_AUTO))
		return fail_usage("%s", "--bare has no monitor: drop --rewrite and --hybrid");
	if (o->minidisk_given && !o->disk)
		return fail_usage("%s", "--minidisk needs a --disk to carve it from");
	return -1;
}

/* "build/guests/hello.img" -> "hello"; repeats get "#N". */
static void guest_names(int n, char **paths, char (*names)[VMM_NAME_MAX])
{
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(paths[i], '/');
		base = base ? base + 1 : paths[i];
		size_t len = strcspn(base, ".");
		if (len > VMM_NAME_MAX - 8)
			len = VMM_NAME_MAX - 8;
		int same = 0, before = 0;
		for (int j = 0; j < n; j++) {
			const char *b2 = strrchr(paths[j], '/');
			b2 = b2 ? b2 + 1 : paths[j];
			if (strcspn(b2, ".") == strcspn(base, ".") && strncmp(b2, base, strcspn(base, ".")) == 0) {
				same++;
				before += j < i;
			}
		}
		if (same > 1)
			snprintf(names[i], VMM_NAME_MAX, "%.*s#%d", (int)len, base, before + 1);
		else
			snprintf(names[i], VMM_NAME_MAX, "%.*s", (int)len, base);
	}
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
	struct options o = { .mem = PG32_MEM_DEFAULT };
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	int n = argc - optind;
	char **paths = argv + optind;
	char msg[MSG_LEN];
	struct image *imgs = calloc((size_t)n, sizeof *imgs);
	isa_variant *variants = calloc((size_t)n, sizeof *variants);
	char (*names)[VMM_NAME_MAX] = calloc((size_t)n, sizeof *names);
	const char **name_ptrs = calloc((size_t)n, sizeof *name_ptrs);
	uint8_t *input = NULL;
	size_t input_len = 0;
	struct dbg *d = NULL;
	FILE *batch = NULL;
	status = PG32_EXIT_USAGE;
	if (!imgs || !variants || !names || !name_ptrs) {
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
	if (o.input_path &&
	    pg32_read_file(o.input_path, PG32_MEM_MAX, &input, &input_len, msg, sizeof msg) != 0) {
		fprintf(stderr, TOOL ": %s\n", msg);
		goto out;
	}
	guest_names(n, paths, names);
	for (int i = 0; i < n; i++)
		name_ptrs[i] = names[i];
	struct dbg_config cfg = {
		.vmm = { .host_mem = o.host_mem, .quantum = o.quantum, .disk_path = o.disk, .log = NULL },
		.mem_size = o.mem, .variants = variants,
		.input = o.input_string ? (const uint8_t *)o.input_string : input,
		.input_len = o.input_string ? strlen(o.input_string) : input_len,
		.minidisk = o.minidisk, .max_instructions = o.max, .snap_interval = o.snap_interval,
		.rewrite = o.rewrite, .hybrid = o.hybrid, .bare = o.bare,
	};
	if (dbg_create(&d, &cfg, imgs, name_ptrs, (unsigned)n, msg, sizeof msg) != 0) {
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
	if (imgs)
		for (int i = 0; i < n; i++)
			img_free(&imgs[i]);
	free(imgs);
	free(variants);
	free(names);
	free(name_ptrs);
	free(input);
	return status;
}
