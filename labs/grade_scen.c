/*
 * grade_scen.c -- scenarios: what one test runs, and what it observes.
 *
 * The same code runs twice for every test: in the grader, with the
 * project's reference monitor (or the reference handler of an assembly
 * lab), and in the sandboxed child, with the student's module linked or
 * assembled in.  Only observations come back from the child; the grader
 * compares them (grade_obs.c).
 *
 *   guest   an image runs under the monitor; the observation is the trace
 *           of the monitor's events for that guest (each trap, what the
 *           monitor did, the virtual machine after it), then its end, its
 *           console and its memory.  With "beside", pad guests sit in the
 *           regions before and after it, so that relocation mistakes show.
 *   random  the same for count random programs (vmm/randprog.c) from seed,
 *           of the lab's random-isa variant.
 *
 *           A guest whose variant has critical instructions runs under the
 *           binary rewriter: its observation starts with the verdict of the
 *           equivalence checker against the bare machine of its variant
 *           (vmm_check), and adds the rewriter's figures.
 *   kernel  an assembly lab: the lab's frame, the student's handler and a
 *           user program are assembled together and run on the bare
 *           machine; the observation is how it ended and its console.
 */
#include "grade.h"

#include "asm.h"
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull
#define MEM_BLOCK 1024u          /* bytes per memory line of an observation */
#define PAD_BYTE 0x5Au           /* fills the pad guests' memory */
#define CONSOLE_LINE_MAX 200u    /* console characters per observation line */
#define PAD_GUESTS_AFTER 1u      /* pad guests after the tested one */

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static void obs_regs(struct grade_obs *o, const struct cpu *c)
{
	grade_obs_printf(o, " pc=0x%08x status=0x%02x base=0x%08x bound=0x%08x", c->pc, c->status,
	                 c->base, c->bound);
	for (unsigned r = 0; r < ISA_NREGS; r++)
		grade_obs_printf(o, " %s=0x%08x", isa_reg_name(r), c->r[r]);
	grade_obs_printf(o, " irq=%u wait=%d", c->irq_pending, c->waiting);
}

/* The console, one observation line per output line, escaped. */
static void obs_console(struct grade_obs *o, const char *text, size_t len)
{
	size_t i = 0;
	unsigned line = 1;
	while (i < len) {
		grade_obs_printf(o, "console line %u \"", line++);
		size_t col = 0;
		while (i < len && col < CONSOLE_LINE_MAX) {
			unsigned char ch = (unsigned char)text[i++];
			if (ch == '\n')
				break;
			if (ch >= ' ' && ch < 0x7f && ch != '\\' && ch != '"')
				grade_obs_printf(o, "%c", ch);
			else
				grade_obs_printf(o, "\\x%02x", ch);
			col++;
		}
		grade_obs_printf(o, "\"\n");
	}
	grade_obs_printf(o, "console bytes=%zu\n", len);
}

static void obs_memory(struct grade_obs *o, const uint8_t *mem, uint32_t size)
{
	for (uint32_t a = 0; a < size; a += MEM_BLOCK) {
		uint32_t n = size - a < MEM_BLOCK ? size - a : MEM_BLOCK;
		grade_obs_printf(o, "memory 0x%05x..0x%05x hash=%016" PRIx64 "\n", a, a + n - 1,
		                 fnv(mem + a, n));
	}
}

struct trace {
	const struct vmm_guest *target;
	struct grade_obs *o;
	unsigned n;
};

static void on_event(void *ctx, const struct vmm_event *e)
{
	struct trace *t = ctx;
	if (e->g != t->target)
		return;
	if (t->n++ >= GRADE_EVENTS_MAX)
		return;
	const struct cpu *vm = &e->g->vm;
	grade_obs_printf(t->o, "event %u clock=%" PRIu64 " at=0x%08x cause=%s detail=0x%08x action=%s",
	                 t->n, e->clock, e->trap.insn_pc, pg32_trap_name(e->trap.cause),
	                 e->trap.detail, vmm_action_name(e->action));
	obs_regs(t->o, vm);
	grade_obs_printf(t->o, " mem=%016" PRIx64 "\n", fnv(vm->mem, vm->mem_size));
}

/* A guest that halts at once, its memory filled with PAD_BYTE. */
static int pad_image(struct image *img, struct img_segment *seg, uint8_t *data, uint32_t size)
{
	memset(data, PAD_BYTE, size);
	struct isa_insn halt = { .op = ISA_OP_HALT };
	uint32_t w;
	if (isa_encode(&halt, &w, NULL, 0) != 0)
		return PG32_EARG;
	pg32_store32(data, w);
	*seg = (struct img_segment){ .addr = PG32_LOAD_ADDR, .mem_size = size, .size = size, .data = data };
	*img = (struct image){ .variant = ISA_VARIANT_WELL, .entry = PG32_LOAD_ADDR, .nsegs = 1,
	                       .segs = seg };
	return 0;
}

/* A rewritten guest: is it equivalent to its bare machine?  The checker's
 * words go into a note, shown with a divergence. */
static int obs_bare_check(const struct grade_scenario *sc, const struct image *img, uint32_t mem,
                          struct grade_obs *o, char *msg, size_t msglen)
{
	struct vmm_check_config cfg = { .mem_size = mem, .variant = img->variant,
	                                .max_instructions = sc->max_instructions,
	                                .first_divergence = true };
	struct vmm_check_result res;
	int err = vmm_check(img, &cfg, &res, msg, msglen);
	if (err)
		return err;
	char line[VMM_CHECK_WHAT * 2];
	vmm_check_format(&res, line, sizeof line);
	grade_obs_printf(o, "# against the bare machine: %s\n", line);
	grade_obs_printf(o, "bare-machine equivalent=%s\n", res.equivalent ? "yes" : "no");
	return 0;
}

static int run_monitor(const struct grade_scenario *sc, const struct image *img, uint32_t mem,
                       struct grade_obs *o, char *msg, size_t msglen)
{
	bool rewritten = vmm_rewrite_resolve(VMM_REWRITE_AUTO, img->variant, false) != VMM_REWRITE_NONE;
	if (rewritten) {
		int cerr = obs_bare_check(sc, img, mem, o, msg, msglen);
		if (cerr)
			return cerr;
	}
	uint32_t region = (mem + VMM_REGION_ALIGN - 1) / VMM_REGION_ALIGN * VMM_REGION_ALIGN;
	unsigned nguests = sc->beside ? 2 + PAD_GUESTS_AFTER : 1;
	struct vmm_config cfg = { .host_mem = region * nguests };
	struct vmm *v;
	int err = vmm_create(&v, &cfg, msg, msglen);
	if (err)
		return err;
	char *out = NULL;
	size_t out_len = 0;
	FILE *console = open_memstream(&out, &out_len);
	uint32_t pad_size = PG32_MEM_MIN;
	uint8_t *pad = malloc(pad_size - PG32_LOAD_ADDR);
	struct image pimg;
	struct img_segment pseg;
	struct vmm_guest *g = NULL;
	if (!console || !pad) {
		grade_fmt(msg, msglen, "out of memory");
		err = PG32_ENOMEM;
		goto out;
	}
	err = pad_image(&pimg, &pseg, pad, pad_size - PG32_LOAD_ADDR);
	struct vmm_guest_config pc = { .name = "pad", .img = &pimg, .mem_size = region };
	if (!err && sc->beside)
		err = vmm_add_guest(v, &pc, NULL, msg, msglen);
	struct vmm_guest_config gc = { .name = "test", .img = img, .mem_size = mem,
	                               .variant = img->variant,
	                               .max_instructions = sc->max_instructions, .console = console };
	if (!err)
		err = vmm_add_guest(v, &gc, &g, msg, msglen);
	for (unsigned i = 0; !err && sc->beside && i < PAD_GUESTS_AFTER; i++)
		err = vmm_add_guest(v, &pc, NULL, msg, msglen);
	if (err)
		goto out;
	struct trace tr = { .target = g, .o = o };
	v->on_event = on_event;
	v->event_ctx = &tr;
	vmm_run(v);
	if (tr.n > GRADE_EVENTS_MAX)
		grade_obs_printf(o, "# %u more events not recorded\n", tr.n - GRADE_EVENTS_MAX);
	grade_obs_printf(o, "end end=%s exit=%u clock=%" PRIu64, vmm_end_name(g->end),
	                 g->dev.exit_code, g->vm.clock);
	obs_regs(o, &g->vm);
	grade_obs_printf(o, "\n");
	if (g->end == VMM_KILLED)
		grade_obs_printf(o, "# the monitor killed the guest: %s\n", g->why);
	grade_obs_printf(o, "stats emulated=%" PRIu64 " reflected=%" PRIu64 " interrupts=%" PRIu64 "\n",
	                 g->stats.emulated, g->stats.reflected, g->stats.interrupts);
	if (rewritten)
		grade_obs_printf(o, "rewrite blocks=%" PRIu64 " patches=%" PRIu64 " rewrite_traps=%" PRIu64
		                 " rescans=%" PRIu64 " watch_traps=%" PRIu64 "\n",
		                 g->stats.blocks_scanned, g->stats.patches, g->stats.rewrite_traps,
		                 g->stats.rescans, g->stats.watch_traps);
	fflush(console);
	obs_console(o, out, out_len);
	obs_memory(o, g->vm.mem, g->vm.mem_size);
	/* Everything of the host outside the guest's region: untouched? */
	uint64_t h = fnv(v->host_mem, g->region.base);
	h ^= fnv(v->host_mem + g->region.base + g->region.size,
	         v->host_mem_size - g->region.base - g->region.size);
	grade_obs_printf(o, "host outside-the-region hash=%016" PRIx64 "\n", h);
out:
	vmm_destroy(v);
	if (console)
		fclose(console);
	free(out);
	free(pad);
	return err;
}

static const char *bare_end_name(enum bare_end e)
{
	switch (e) {
	case BARE_POWEROFF: return "power-off";
	case BARE_HALTED: return "halted";
	case BARE_LIMIT: return "limit";
	case BARE_TRAP_LOOP: return "trap-loop";
	}
	return "?";
}

static int run_kernel(const struct grade_scenario *sc, struct grade_obs *o, char *msg, size_t msglen)
{
	char text[4 * GRADE_PATH_MAX];
	grade_fmt(text, sizeof text, "\t.include \"%s\"\n\t.include \"%s\"\n\t.include \"%s\"\n",
	         sc->frame, sc->module, sc->user);
	const char *dirs[] = { sc->incdir };
	struct asm_options opt = { .include_dirs = dirs, .ninclude_dirs = 1 };
	struct image img;
	/* Diagnostics go to stderr: the test's captured output. */
	int errors = asm_assemble_string("test.s", text, &opt, &img, stderr);
	if (errors) {
		grade_obs_printf(o, "assembly failed: errors=%d\n", errors);
		return 0;
	}
	char *out = NULL;
	size_t out_len = 0;
	FILE *console = open_memstream(&out, &out_len);
	if (!console) {
		img_free(&img);
		grade_fmt(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	struct bare_machine m;
	int err = bare_init(&m, &img, sc->mem_size, img.variant, console, msg, msglen);
	if (!err) {
		enum bare_end e = bare_run(&m, sc->max_instructions);
		/* The console first: the first line that differs says most. */
		fflush(console);
		obs_console(o, out, out_len);
		grade_obs_printf(o, "end end=%s exit=%u\n", bare_end_name(e),
		                 e == BARE_POWEROFF ? m.bus.exit_code : 0);
		bare_free(&m);
	}
	fclose(console);
	free(out);
	img_free(&img);
	return err;
}

int grade_scenario_run(const struct grade_scenario *sc, struct grade_obs *o, char *msg,
                       size_t msglen)
{
	if (strcmp(sc->kind, "kernel") == 0)
		return run_kernel(sc, o, msg, msglen);
	if (strcmp(sc->kind, "guest") == 0) {
		struct image img;
		int err = img_load_file(sc->image, &img, msg, msglen);
		if (err)
			return err;
		err = run_monitor(sc, &img, sc->mem_size, o, msg, msglen);
		img_free(&img);
		return err;
	}
	if (strcmp(sc->kind, "random") == 0) {
		for (unsigned i = 0; i < sc->count; i++) {
			struct vmm_randprog p;
			int err = sc->variant ? vmm_rand_generate_variant(sc->seed + i, sc->variant, &p)
			                      : vmm_rand_generate(sc->seed + i, &p);
			if (err) {
				grade_fmt(msg, msglen, "out of memory for a random program");
				return err;
			}
			grade_obs_printf(o, "program seed=%" PRIu64 "\n", sc->seed + i);
			err = run_monitor(sc, &p.img, p.mem_size, o, msg, msglen);
			vmm_rand_free(&p);
			if (err)
				return err;
		}
		return 0;
	}
	grade_fmt(msg, msglen, "unknown scenario '%s'", sc->kind);
	return PG32_EARG;
}

/* ---- the runner's side ---------------------------------------------------- */

enum { ARG_FD = 1, ARG_KIND, ARG_IMAGE, ARG_SEED, ARG_COUNT, ARG_FRAME, ARG_MODULE, ARG_USER,
       ARG_INCDIR, ARG_MEM, ARG_MAXI, ARG_BESIDE, ARG_VARIANT, ARG_N };

void grade_scenario_argv(const struct grade_scenario *sc, const char *runner, int obs_fd,
                         char bufs[GRADE_ARGV_MAX][GRADE_PATH_MAX], char *argv[GRADE_ARGV_MAX])
{
	grade_fmt(bufs[0], GRADE_PATH_MAX, "%s", runner);
	grade_fmt(bufs[ARG_FD], GRADE_PATH_MAX, "%d", obs_fd);
	grade_fmt(bufs[ARG_KIND], GRADE_PATH_MAX, "%s", sc->kind);
	grade_fmt(bufs[ARG_IMAGE], GRADE_PATH_MAX, "%s", sc->image);
	grade_fmt(bufs[ARG_SEED], GRADE_PATH_MAX, "%" PRIu64, sc->seed);
	grade_fmt(bufs[ARG_COUNT], GRADE_PATH_MAX, "%u", sc->count);
	grade_fmt(bufs[ARG_FRAME], GRADE_PATH_MAX, "%s", sc->frame);
	grade_fmt(bufs[ARG_MODULE], GRADE_PATH_MAX, "%s", sc->module);
	grade_fmt(bufs[ARG_USER], GRADE_PATH_MAX, "%s", sc->user);
	grade_fmt(bufs[ARG_INCDIR], GRADE_PATH_MAX, "%s", sc->incdir);
	grade_fmt(bufs[ARG_MEM], GRADE_PATH_MAX, "%" PRIu32, sc->mem_size);
	grade_fmt(bufs[ARG_MAXI], GRADE_PATH_MAX, "%" PRIu64, sc->max_instructions);
	grade_fmt(bufs[ARG_BESIDE], GRADE_PATH_MAX, "%d", sc->beside);
	grade_fmt(bufs[ARG_VARIANT], GRADE_PATH_MAX, "%" PRIu64, (uint64_t)sc->variant);
	for (unsigned i = 0; i < ARG_N; i++)
		argv[i] = bufs[i];
	argv[ARG_N] = NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int grade_runner_main(int argc, char **argv)
{
	if (argc != ARG_N) {
		fprintf(stderr, "grade runner: expected %d arguments, got %d\n", ARG_N - 1, argc - 1);
		return PG32_EXIT_USAGE;
	}
	struct grade_scenario sc = { 0 };
	int fd = atoi(argv[ARG_FD]);
	grade_fmt(sc.kind, sizeof sc.kind, "%s", argv[ARG_KIND]);
	grade_fmt(sc.image, sizeof sc.image, "%s", argv[ARG_IMAGE]);
	sc.seed = strtoull(argv[ARG_SEED], NULL, 10);
	sc.count = (unsigned)strtoul(argv[ARG_COUNT], NULL, 10);
	grade_fmt(sc.frame, sizeof sc.frame, "%s", argv[ARG_FRAME]);
	grade_fmt(sc.module, sizeof sc.module, "%s", argv[ARG_MODULE]);
	grade_fmt(sc.user, sizeof sc.user, "%s", argv[ARG_USER]);
	grade_fmt(sc.incdir, sizeof sc.incdir, "%s", argv[ARG_INCDIR]);
	sc.mem_size = (uint32_t)strtoul(argv[ARG_MEM], NULL, 10);
	sc.max_instructions = strtoull(argv[ARG_MAXI], NULL, 10);
	sc.beside = atoi(argv[ARG_BESIDE]) != 0;
	sc.variant = (isa_variant)strtoull(argv[ARG_VARIANT], NULL, 10);
	struct grade_obs o = { 0 };
	char msg[GRADE_MSG_MAX];
	int err = grade_scenario_run(&sc, &o, msg, sizeof msg);
	if (err) {
		fprintf(stderr, "grade runner: %s\n", msg);
		grade_obs_free(&o);
		return PG32_EXIT_USAGE;
	}
	int rc = write_all(fd, o.text ? o.text : "", o.len) == 0 ? 0 : PG32_EXIT_USAGE;
	grade_obs_free(&o);
	return rc;
}
