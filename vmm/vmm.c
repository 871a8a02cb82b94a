/*
 * vmm.c -- the monitor's life cycle, the scheduler loop and the world switch.
 *
 * A monitor owns the host memory (guest regions are carved out of it by
 * alloc.c), the host disk (carved into minidisks), and THE real CPU.  Each
 * guest is a virtual machine held in a struct cpu that never runs itself;
 * to run a guest the monitor loads the real CPU from it (vmm_world_load),
 * lets cpu_run go until a trap or the end of the budget, and saves the real
 * CPU back (vmm_world_save).  What happens in between is the dispatcher's
 * business (dispatch.c).
 */
#include "vmm.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *vmm_end_name(enum vmm_end e)
{
	static const char *const names[] = {
		[VMM_RUNNING] = "running",   [VMM_POWEROFF] = "power-off",
		[VMM_HALTED] = "halted",     [VMM_LIMIT] = "limit",
		[VMM_TRAP_LOOP] = "trap-loop", [VMM_KILLED] = "killed",
	};
	return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

int vmm_create(struct vmm **out, const struct vmm_config *cfg, char *msg, size_t msglen)
{
	static const struct vmm_config defaults = { 0 };
	if (!cfg)
		cfg = &defaults;
	*out = NULL;
	struct vmm *v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	v->own_bytes = sizeof *v;
	v->disk_fd = -1;
	v->log = cfg->log;
	v->quantum = cfg->quantum ? cfg->quantum : VMM_QUANTUM_DEFAULT;
	v->host_mem_size = cfg->host_mem ? cfg->host_mem : VMM_HOST_MEM_DEFAULT;
	if (v->host_mem_size < PG32_MEM_MIN) {
		snprintf(msg, msglen, "host memory of %u bytes is below the minimum of %u",
		         v->host_mem_size, PG32_MEM_MIN);
		free(v);
		return PG32_EARG;
	}
	/* One block, as a machine's memory is; calloc leaves the pages
	 * untouched until a guest is placed in them. */
	v->host_mem = calloc(v->host_mem_size, 1);
	if (!v->host_mem) {
		snprintf(msg, msglen, "cannot allocate %u KiB of host memory", v->host_mem_size >> VMM_KIB_SHIFT);
		free(v);
		return PG32_ENOMEM;
	}
	if (cfg->disk_path) {
		int err = dev_open_disk_file(cfg->disk_path, &v->disk_fd, &v->disk_sectors, msg, msglen);
		if (err) {
			cpu_dcache_free(v->dcache);
			free(v->host_mem);
			free(v);
			return err;
		}
	}
	*out = v;
	return 0;
}

void vmm_destroy(struct vmm *v)
{
	if (!v)
		return;
	for (unsigned i = 0; i < v->nguests; i++) {
		vmm_vdev_flush(v->guests[i]);
		vmm_rewrite_free(v->guests[i]->rw);
		free(v->guests[i]);
	}
	free(v->guests);
	free(v->used);
	free(v->host_mem);
	cpu_dcache_free(v->dcache);
	if (v->disk_fd >= 0)
		close(v->disk_fd);
	free(v);
}

/* The real CPU's decoded-instruction cache covers host memory up to the
 * end of the highest guest (not all of it: the cache takes six times the
 * memory it covers).  Every guest's code is decoded once and checked
 * against memory at each fetch, so no writer (guest, virtual DMA,
 * rewriter, reflection) need tell it anything.  Without one (out of
 * memory) the CPU is only slower. */
static void grow_dcache(struct vmm *v, uint32_t end)
{
	if (cpu_dcache_covers(v->dcache) >= end)
		return;
	cpu_dcache_free(v->dcache);
	v->dcache = cpu_dcache_new(end);
	v->cpu.dcache = v->dcache;
}

int vmm_add_guest(struct vmm *v, const struct vmm_guest_config *gc, struct vmm_guest **out,
                  char *msg, size_t msglen)
{
	uint32_t mem_size = gc->mem_size ? gc->mem_size : PG32_MEM_DEFAULT;
	const char *name = gc->name ? gc->name : "guest";
	if (out)
		*out = NULL;
	/* The same rule as bare_init: the guest's machine must be one the
	 * bare machine could be. */
	if (mem_size < PG32_MEM_MIN || mem_size > PG32_MEM_MAX || mem_size % ISA_WORD_BYTES != 0) {
		snprintf(msg, msglen, "%s: memory size %u must be a multiple of 4 from %u to %u", name,
		         mem_size, PG32_MEM_MIN, PG32_MEM_MAX);
		return PG32_EARG;
	}
	if (v->nguests == v->guests_cap) {
		unsigned cap = v->guests_cap ? 2 * v->guests_cap : 4;
		struct vmm_guest **grown = realloc(v->guests, cap * sizeof *grown);
		if (!grown) {
			snprintf(msg, msglen, "out of memory");
			return PG32_ENOMEM;
		}
		v->own_bytes += (cap - v->guests_cap) * sizeof *grown;
		v->guests = grown;
		v->guests_cap = cap;
	}
	struct vmm_guest *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(msg, msglen, "out of memory");
		return PG32_ENOMEM;
	}
	snprintf(g->name, sizeof g->name, "%s", name);
	char why[VMM_WHY_MAX];
	int err = vmm_alloc_region(v, mem_size, &g->region, why, sizeof why);
	if (err) {
		snprintf(msg, msglen, "guest %u (%s) %s", v->nguests + 1, name, why);
		free(g);
		return err;
	}
	err = vmm_alloc_minidisk(v, gc->disk_sectors, &g->disk, why, sizeof why);
	if (!err)
		err = img_place(gc->img, v->host_mem + g->region.base, mem_size, why, sizeof why);
	if (err) {
		snprintf(msg, msglen, "guest %u (%s) %s", v->nguests + 1, name, why);
		vmm_free_region(v, &g->region);
		free(g);
		return err;
	}
	grow_dcache(v, g->region.base + mem_size);
	/* The guest's machine starts as the bare machine does (bare_init):
	 * system mode, interrupts off, R = (0, its memory size), at the entry. */
	cpu_reset(&g->vm, v->host_mem + g->region.base, mem_size, gc->variant, gc->img->entry);
	vmm_vdev_init(&g->dev, gc->console, gc->prefix, gc->console_cap);
	g->dev.input = gc->input;
	g->dev.input_len = gc->input_len;
	g->limit = gc->max_instructions ? gc->max_instructions : VMM_NO_LIMIT;
	g->last_delivery = UINT64_MAX;
	/* Binary rewriting or the hybrid monitor, after the image is placed. */
	enum vmm_rewrite_mode mode = vmm_rewrite_resolve(gc->rewrite, gc->variant, gc->hybrid);
	if (gc->hybrid && mode != VMM_REWRITE_NONE) {
		snprintf(msg, msglen, "guest %u (%s): the hybrid monitor runs without rewriting",
		         v->nguests + 1, name);
		vmm_free_region(v, &g->region);
		free(g);
		return PG32_EARG;
	}
	err = vmm_rewrite_init(v, g, mode, gc->img, why, sizeof why);
	if (err) {
		snprintf(msg, msglen, "guest %u (%s): %s", v->nguests + 1, name, why);
		vmm_free_region(v, &g->region);
		free(g);
		return err;
	}
	g->hybrid = gc->hybrid;
	if (g->hybrid && !vmm_hybrid_virtualizable(g->vm.variant) && v->log) {
		char var[VMM_WHY_MAX];
		isa_variant_format(g->vm.variant, var, sizeof var);
		fprintf(v->log, "monitor: guest %s: the hybrid monitor under %s does not guarantee "
		                "equivalence: a critical instruction is sensitive in user mode, so "
		                "Theorem 3 does not hold\n", g->name, var);
	}
	g->id = v->nguests;
	v->guests[v->nguests++] = g;
	v->own_bytes += sizeof *g;
	if (out)
		*out = g;
	return 0;
}

void vmm_run(struct vmm *v)
{
	/* Round robin: each running guest in turn gets one time slice. */
	for (struct vmm_guest *g = vmm_alloc_next_guest(v, NULL); g;
	     g = vmm_alloc_next_guest(v, g))
		vmm_run_slice(v, g, v->quantum);
}

int vmm_guest_exit_status(const struct vmm_guest *g)
{
	switch (g->end) {
	case VMM_POWEROFF: return (int)g->dev.exit_code;
	case VMM_HALTED: return PG32_EXIT_HALTED;
	case VMM_LIMIT: return PG32_EXIT_LIMIT;
	case VMM_TRAP_LOOP: return PG32_EXIT_TRAP_LOOP;
	case VMM_KILLED: case VMM_RUNNING: break;
	}
	return VMM_EXIT_KILLED;
}

int vmm_exit_status(const struct vmm *v)
{
	for (unsigned i = 0; i < v->nguests; i++) {
		int s = vmm_guest_exit_status(v->guests[i]);
		if (s != 0)
			return s;
	}
	return 0;
}

/* ---- the world switch ---------------------------------------------------- */

void vmm_world_load(struct vmm *v, const struct vmm_guest *g)
{
	struct cpu *c = &v->cpu;
	const struct cpu *vm = &g->vm;
	memcpy(c->r, vm->r, sizeof c->r);
	c->pc = vm->pc;
	/* Always REAL user mode, whatever the guest's virtual mode: that is
	 * what makes every privileged instruction trap to the monitor.  The
	 * flags are the guest's own (compares run directly); IE is copied only
	 * so that an ill-behaved rdpsw shows what the guest set (the real CPU
	 * has no devices, so no real interrupt can come). */
	c->status = vm->status & (PSW_IE | PSW_FLAGS);
	vmm_compose_r(&g->region, vm->base, vm->bound, &c->base, &c->bound);
	c->mem = v->host_mem;
	c->mem_size = v->host_mem_size;
	/* The real clock is the guest's own: its virtual clock counts only
	 * the instructions it retires. */
	c->clock = vm->clock;
	c->variant = vm->variant;
	c->irq_pending = 0;
	c->waiting = false;
	c->bus = NULL;
	/* Dynamic rewriting: the guest's watch map, for its region. */
	if (g->rw && g->rw->map) {
		c->watch = g->rw->map;
		c->watch_base = g->region.base;
		c->watch_words = g->rw->words;
	} else {
		c->watch = NULL;
	}
}

void vmm_world_save(struct vmm *v, struct vmm_guest *g)
{
	const struct cpu *c = &v->cpu;
	struct cpu *vm = &g->vm;
	memcpy(vm->r, c->r, sizeof vm->r);
	vm->pc = c->pc;
	/* Only the flags can change in real user mode; the virtual mode and
	 * IE are the monitor's, and R changes only through instructions that
	 * trap (lrr, lpsw), so the virtual R is already right. */
	vm->status = (vm->status & ~PSW_FLAGS) | (c->status & PSW_FLAGS);
	vm->clock = c->clock;
}
