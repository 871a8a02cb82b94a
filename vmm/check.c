/*
 * check.c -- the equivalence checker: Popek and Goldberg's equivalence
 * property, measured.
 *
 * One image runs twice: on the bare machine (isa/bare.c, every trap
 * delivered by the hardware's PSW swap) and under the monitor (in real user
 * mode, every trap through the dispatcher), with the same memory size, the
 * same input and each on its own copy of the same disk.  Then everything the
 * guest could ever observe is compared, through the VM map (the guest's
 * virtual PSW and virtual R against the bare machine's real ones): how it
 * ended, its clock, pc, PSW, R, registers, pending interrupts, device
 * registers, console output, its whole memory and its disk.  Optionally the
 * checked guest shares the monitor with other guests, and must not notice.
 * The monitor's run honours the rewriting mode and the hybrid monitor
 * (cfg->rewrite, cfg->hybrid); the bare machine is of the same variant, so
 * under `ill` the checker shows what rewriting buys.
 *
 * When the runs differ, the first divergence is found by bisection: both
 * machines are deterministic, so each probe reruns both from the start with
 * an instruction limit, and the smallest limit at which they differ is the
 * first instruction that went wrong.
 */
#include "vmm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DISK_COPY_MAX PG32_MEM_MAX /* largest disk the checker copies */
#define TEMP_TEMPLATE "/tzvmm-check-XXXXXX"
#define TEMP_PATH_MAX 512u
#define GUARD_BYTE 0xA5 /* fills the padding after the checked guest */

/* Everything observable at the end of one run, in bare-machine terms. */
struct run {
	enum vmm_end end;
	uint32_t exit_code;
	char why[VMM_WHY_MAX];
	struct cpu cpu;      /* mem is not used: see mem below */
	uint8_t *mem;        /* a copy of the guest's memory */
	uint32_t mem_size;
	char *out;           /* console output */
	size_t out_len;
	uint32_t timer_period, disk_sector, disk_addr, disk_count, disk_status;
	uint32_t xfer_sector, xfer_addr, xfer_count;
	uint64_t timer_next, disk_done_at;
	size_t input_pos;
	uint8_t *disk;       /* the disk copy's final bytes */
	size_t disk_len;
};

struct checker {
	const struct image *img;
	const struct vmm_check_config *cfg;
	uint32_t mem_size;
	const uint8_t *disk_bytes; /* the original disk, read once */
	size_t disk_len;
	char *msg;
	size_t msglen;
};

static void run_free(struct run *r)
{
	free(r->mem);
	free(r->out);
	free(r->disk);
	memset(r, 0, sizeof *r);
}

/* A private copy of the disk in a temporary file; path[0] = 0 if none. */
static int disk_copy_make(const struct checker *k, char *path, size_t len)
{
	path[0] = '\0';
	if (!k->cfg->disk_path)
		return 0;
	const char *dir = getenv("TMPDIR");
	snprintf(path, len, "%s" TEMP_TEMPLATE, dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(k->msg, k->msglen, "cannot create a temporary copy of the disk in %s",
		         dir && *dir ? dir : "/tmp");
		path[0] = '\0';
		return PG32_EIO;
	}
	bool ok = write(fd, k->disk_bytes, k->disk_len) == (ssize_t)k->disk_len;
	close(fd);
	if (!ok) {
		snprintf(k->msg, k->msglen, "cannot write the temporary disk %s", path);
		unlink(path);
		path[0] = '\0';
		return PG32_EIO;
	}
	return 0;
}

/* Read the copy back into r and remove it. */
static int disk_copy_take(const struct checker *k, const char *path, struct run *r)
{
	if (!path[0])
		return 0;
	int err = pg32_read_file(path, DISK_COPY_MAX, &r->disk, &r->disk_len, k->msg, k->msglen);
	unlink(path);
	return err;
}

static enum vmm_end end_of_bare(enum bare_end e)
{
	switch (e) {
	case BARE_POWEROFF: return VMM_POWEROFF;
	case BARE_HALTED: return VMM_HALTED;
	case BARE_LIMIT: return VMM_LIMIT;
	case BARE_TRAP_LOOP: return VMM_TRAP_LOOP;
	}
	return VMM_KILLED;
}

static int run_bare(const struct checker *k, uint64_t limit, struct run *r)
{
	char disk[TEMP_PATH_MAX];
	struct bare_machine m;
	memset(r, 0, sizeof *r);
	FILE *con = open_memstream(&r->out, &r->out_len);
	if (!con) {
		snprintf(k->msg, k->msglen, "cannot capture the console");
		return PG32_ENOMEM;
	}
	int err = bare_init(&m, k->img, k->mem_size, k->cfg->variant, con, k->msg, k->msglen);
	if (err) {
		fclose(con);
		return err;
	}
	err = disk_copy_make(k, disk, sizeof disk);
	if (!err && disk[0])
		err = dev_attach_disk(&m.bus, disk, k->msg, k->msglen);
	if (!err) {
		dev_set_input(&m.bus, k->cfg->input, k->cfg->input_len);
		r->end = end_of_bare(bare_run(&m, limit));
		r->exit_code = m.bus.exit_code;
		r->cpu = m.cpu;
		r->mem = m.mem; /* keep it: bare_free frees m.mem */
		m.mem = NULL;
		r->mem_size = k->mem_size;
		r->timer_period = m.bus.timer_period;
		r->timer_next = m.bus.timer_next;
		r->disk_sector = m.bus.disk_sector;
		r->disk_addr = m.bus.disk_addr;
		r->disk_count = m.bus.disk_count;
		r->disk_status = m.bus.disk_status;
		r->xfer_sector = m.bus.xfer_sector;
		r->xfer_addr = m.bus.xfer_addr;
		r->xfer_count = m.bus.xfer_count;
		r->disk_done_at = m.bus.disk_done_at;
		r->input_pos = m.bus.input_pos;
	}
	bare_free(&m);
	fclose(con);
	if (disk[0] && !err)
		err = disk_copy_take(k, disk, r);
	else if (disk[0])
		unlink(disk);
	return err;
}

static int run_monitor(const struct checker *k, uint64_t limit, struct run *r)
{
	const struct vmm_check_config *cfg = k->cfg;
	char disk[TEMP_PATH_MAX];
	memset(r, 0, sizeof *r);
	FILE *con = open_memstream(&r->out, &r->out_len);
	if (!con) {
		snprintf(k->msg, k->msglen, "cannot capture the console");
		return PG32_ENOMEM;
	}
	int err = disk_copy_make(k, disk, sizeof disk);
	if (err) {
		fclose(con);
		return err;
	}
	uint64_t per_guest = ((uint64_t)k->mem_size + VMM_REGION_ALIGN - 1) / VMM_REGION_ALIGN *
	                     VMM_REGION_ALIGN;
	uint64_t host = per_guest * (1 + cfg->nbeside) + 2 * VMM_REGION_ALIGN;
	struct vmm_config vc = { .host_mem = host > UINT32_MAX ? UINT32_MAX : (uint32_t)host,
	                         .quantum = cfg->quantum, .disk_path = disk[0] ? disk : NULL };
	struct vmm *v = NULL;
	err = vmm_create(&v, &vc, k->msg, k->msglen);
	struct vmm_guest *g = NULL;
	/* Never at host address 0 nor at the end of the host memory: a
	 * monitor that leaked real addresses into the guest, or let it reach
	 * past its region, would go unnoticed there (the real CPU would fault
	 * at the end of memory anyway).  The guests beside come first, or else
	 * a page of padding; another page follows the checked guest. */
	for (size_t i = 0; !err && i < cfg->nbeside; i++) {
		struct vmm_guest_config gc = {
			.name = "beside", .img = cfg->beside[i], .mem_size = k->mem_size,
			.variant = cfg->variant, .input = cfg->input, .input_len = cfg->input_len,
			.max_instructions = limit, .rewrite = cfg->rewrite, .hybrid = cfg->hybrid,
		};
		err = vmm_add_guest(v, &gc, NULL, k->msg, k->msglen);
	}
	struct vmm_region pad;
	if (!err && cfg->nbeside == 0)
		err = vmm_alloc_region(v, VMM_REGION_ALIGN, &pad, k->msg, k->msglen);
	if (!err) {
		/* The checked guest has the whole disk, as on its bare machine. */
		struct vmm_guest_config gc = {
			.name = "checked", .img = k->img, .mem_size = k->mem_size,
			.variant = cfg->variant, .input = cfg->input, .input_len = cfg->input_len,
			.disk_sectors = v->disk_sectors, .max_instructions = limit, .console = con,
			.rewrite = cfg->rewrite, .hybrid = cfg->hybrid,
		};
		err = vmm_add_guest(v, &gc, &g, k->msg, k->msglen);
	}
	if (!err) {
		err = vmm_alloc_region(v, VMM_REGION_ALIGN, &pad, k->msg, k->msglen);
		if (!err) /* guard bytes: a leak past the region would read these */
			memset(v->host_mem + pad.base, GUARD_BYTE, pad.size);
	}
	if (!err) {
		vmm_run(v);
		vmm_vdev_flush(g);
		r->end = g->end;
		r->exit_code = g->dev.exit_code;
		snprintf(r->why, sizeof r->why, "%s", g->why);
		r->cpu = g->vm;
		r->mem_size = g->vm.mem_size;
		r->mem = malloc(r->mem_size);
		if (!r->mem) {
			snprintf(k->msg, k->msglen, "out of memory");
			err = PG32_ENOMEM;
		} else {
			/* As the guest's loads see it: dynamic rewriting's patches
			 * are invisible to the guest, so they are to the checker. */
			vmm_rewrite_guest_view(g, r->mem);
		}
		r->timer_period = g->dev.timer_period;
		r->timer_next = g->dev.timer_next;
		r->disk_sector = g->dev.disk_sector;
		r->disk_addr = g->dev.disk_addr;
		r->disk_count = g->dev.disk_count;
		r->disk_status = g->dev.disk_status;
		r->xfer_sector = g->dev.xfer_sector;
		r->xfer_addr = g->dev.xfer_addr;
		r->xfer_count = g->dev.xfer_count;
		r->disk_done_at = g->dev.disk_done_at;
		r->input_pos = g->dev.input_pos;
	}
	vmm_destroy(v);
	fclose(con);
	if (disk[0] && !err)
		err = disk_copy_take(k, disk, r);
	else if (disk[0])
		unlink(disk);
	return err;
}

/* ---- comparing two runs ---------------------------------------------------- */

static bool differ(char *what, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, len, fmt, ap);
	va_end(ap);
	return true;
}

#define BARE_VS_VMM "%s: 0x%08x on the bare machine, 0x%08x under the monitor"

static size_t first_byte_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return n;
}

/* Fill what with the first difference between bare run a and monitor run
 * b, and return true; false if they are the same. */
static bool compare_runs(const struct run *a, const struct run *b, char *what, size_t len)
{
	const struct cpu *x = &a->cpu, *y = &b->cpu;
	if (b->end == VMM_KILLED)
		return differ(what, len, "the monitor killed the guest: %s", b->why);
	if (a->end != b->end)
		return differ(what, len, "ending: %s on the bare machine, %s under the monitor",
		              vmm_end_name(a->end), vmm_end_name(b->end));
	if (a->end == VMM_POWEROFF && a->exit_code != b->exit_code)
		return differ(what, len, BARE_VS_VMM, "exit code", a->exit_code, b->exit_code);
	if (x->clock != y->clock)
		return differ(what, len, "clock: %llu on the bare machine, %llu under the monitor",
		              (unsigned long long)x->clock, (unsigned long long)y->clock);
	if (x->pc != y->pc)
		return differ(what, len, BARE_VS_VMM, "pc", x->pc, y->pc);
	/* The PSW through the VM map: the virtual mode, IE and flags of the
	 * guest against the real ones of the bare machine. */
	if ((x->status & PSW_S) != (y->status & PSW_S))
		return differ(what, len, "mode: %s on the bare machine, %s under the monitor",
		              (x->status & PSW_S) ? "system" : "user",
		              (y->status & PSW_S) ? "system" : "user");
	if ((x->status & PSW_IE) != (y->status & PSW_IE))
		return differ(what, len, "interrupt enable: %u on the bare machine, %u under the monitor",
		              !!(x->status & PSW_IE), !!(y->status & PSW_IE));
	if (x->status != y->status)
		return differ(what, len, BARE_VS_VMM, "status word (flags)", x->status, y->status);
	if (x->base != y->base)
		return differ(what, len, BARE_VS_VMM, "R.base", x->base, y->base);
	if (x->bound != y->bound)
		return differ(what, len, BARE_VS_VMM, "R.bound", x->bound, y->bound);
	for (unsigned i = 0; i < ISA_NREGS; i++)
		if (x->r[i] != y->r[i])
			return differ(what, len, BARE_VS_VMM, isa_reg_name(i), x->r[i], y->r[i]);
	if (x->waiting != y->waiting)
		return differ(what, len, "waiting (after halt): %u on the bare machine, %u under the monitor",
		              x->waiting, y->waiting);
	if (x->irq_pending != y->irq_pending)
		return differ(what, len, BARE_VS_VMM, "pending interrupts", x->irq_pending,
		              y->irq_pending);
	if (a->timer_period != b->timer_period)
		return differ(what, len, BARE_VS_VMM, "timer period", a->timer_period, b->timer_period);
	if (a->timer_next != b->timer_next)
		return differ(what, len, "next timer expiry: %llu on the bare machine, %llu under the monitor",
		              (unsigned long long)a->timer_next, (unsigned long long)b->timer_next);
	if (a->disk_sector != b->disk_sector || a->disk_addr != b->disk_addr ||
	    a->disk_count != b->disk_count)
		return differ(what, len, "disk registers (sector, addr, count): %u, 0x%x, %u on the bare "
		              "machine, %u, 0x%x, %u under the monitor",
		              a->disk_sector, a->disk_addr, a->disk_count, b->disk_sector, b->disk_addr,
		              b->disk_count);
	if (a->xfer_sector != b->xfer_sector || a->xfer_addr != b->xfer_addr ||
	    a->xfer_count != b->xfer_count)
		return differ(what, len, "disk transfer (sector, addr, count): %u, 0x%x, %u on the bare "
		              "machine, %u, 0x%x, %u under the monitor",
		              a->xfer_sector, a->xfer_addr, a->xfer_count, b->xfer_sector, b->xfer_addr,
		              b->xfer_count);
	if (a->disk_status != b->disk_status)
		return differ(what, len, BARE_VS_VMM, "disk status", a->disk_status, b->disk_status);
	if (a->disk_done_at != b->disk_done_at)
		return differ(what, len, "disk completion: %llu on the bare machine, %llu under the monitor",
		              (unsigned long long)a->disk_done_at, (unsigned long long)b->disk_done_at);
	if (a->input_pos != b->input_pos)
		return differ(what, len, "console input read: %zu bytes on the bare machine, %zu under "
		              "the monitor", a->input_pos, b->input_pos);
	size_t at = first_byte_diff((const uint8_t *)a->out, a->out_len, (const uint8_t *)b->out,
	                            b->out_len);
	if (at < a->out_len || at < b->out_len)
		return differ(what, len, "console output differs at byte %zu (%zu bytes on the bare "
		              "machine, %zu under the monitor)", at, a->out_len, b->out_len);
	at = first_byte_diff(a->mem, a->mem_size, b->mem, b->mem_size);
	if (at < a->mem_size || at < b->mem_size)
		return differ(what, len, "memory at physical 0x%08zx: 0x%02x on the bare machine, "
		              "0x%02x under the monitor", at, at < a->mem_size ? a->mem[at] : 0,
		              at < b->mem_size ? b->mem[at] : 0);
	at = first_byte_diff(a->disk, a->disk_len, b->disk, b->disk_len);
	if (at < a->disk_len || at < b->disk_len)
		return differ(what, len, "disk byte %zu (sector %zu) differs", at,
		              at / DISK_SECTOR_BYTES);
	return false;
}

/* Run both to limit; *same says whether they agree (what says how not). */
static int probe(const struct checker *k, uint64_t limit, bool *same, char *what, size_t len,
                 struct run *bare_out)
{
	struct run a, b;
	int err = run_bare(k, limit, &a);
	if (err) {
		run_free(&a);
		return err;
	}
	err = run_monitor(k, limit, &b);
	if (!err)
		*same = !compare_runs(&a, &b, what, len);
	run_free(&b);
	if (bare_out && !err)
		*bare_out = a;
	else
		run_free(&a);
	return err;
}

int vmm_check(const struct image *img, const struct vmm_check_config *cfg,
              struct vmm_check_result *res, char *msg, size_t msglen)
{
	memset(res, 0, sizeof *res);
	struct checker k = { .img = img, .cfg = cfg, .msg = msg, .msglen = msglen,
	                     .mem_size = cfg->mem_size ? cfg->mem_size : PG32_MEM_DEFAULT };
	uint8_t *disk = NULL;
	if (cfg->disk_path) {
		int err = pg32_read_file(cfg->disk_path, DISK_COPY_MAX, &disk, &k.disk_len, msg, msglen);
		if (err)
			return err;
		k.disk_bytes = disk;
	}
	uint64_t limit = cfg->max_instructions ? cfg->max_instructions : VMM_CHECK_LIMIT_DEFAULT;
	struct run final;
	bool same = false;
	int err = probe(&k, limit, &same, res->what, sizeof res->what, &final);
	if (err) {
		free(disk);
		return err;
	}
	res->equivalent = same;
	res->clock = final.cpu.clock;
	res->end = final.end;
	res->exit_code = final.exit_code;
	res->diverged_at = final.cpu.clock;
	res->pc = final.cpu.pc;
	run_free(&final);
	if (!same && cfg->first_divergence) {
		/* Bisect: they agree at lo (0: before anything ran), differ at hi. */
		uint64_t lo = 0, hi = res->diverged_at ? res->diverged_at : 1;
		char what[VMM_CHECK_WHAT];
		uint32_t pc_lo = img->entry;
		while (hi - lo > 1 && !err) {
			uint64_t mid = lo + (hi - lo) / 2;
			struct run at;
			bool s = false;
			err = probe(&k, mid, &s, what, sizeof what, &at);
			if (err)
				break;
			if (s) {
				lo = mid;
				pc_lo = at.cpu.pc;
			} else {
				hi = mid;
				memcpy(res->what, what, sizeof what);
			}
			run_free(&at);
		}
		res->diverged_at = hi;
		res->pc = pc_lo; /* where the bare machine stood when they still agreed */
	}
	free(disk);
	return err;
}

void vmm_check_format(const struct vmm_check_result *res, char *buf, size_t len)
{
	if (res->equivalent) {
		if (res->end == VMM_POWEROFF)
			snprintf(buf, len, "equivalent (%llu instructions, power-off with %u)",
			         (unsigned long long)res->clock, res->exit_code);
		else
			snprintf(buf, len, "equivalent (%llu instructions, ended: %s)",
			         (unsigned long long)res->clock, vmm_end_name(res->end));
		return;
	}
	snprintf(buf, len, "diverged at instruction %llu (pc=0x%08x): %s",
	         (unsigned long long)res->diverged_at, res->pc, res->what);
}
