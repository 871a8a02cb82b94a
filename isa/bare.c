/*
 * bare.c -- the bare machine: CPU, memory and devices, with every trap
 * delivered architecturally by the PSW swap, as the hardware would.  This is
 * what tzrun runs, and what the monitor's equivalence checker compares
 * against.
 */
#include "machine.h"

#include <stdlib.h>
#include <string.h>

int bare_init(struct bare_machine *m, const struct image *img, uint32_t mem_size,
              isa_variant v, FILE *console_out, char *msg, size_t msglen)
{
	memset(m, 0, sizeof *m);
	if (mem_size < PG32_MEM_MIN || mem_size > PG32_MEM_MAX ||
	    mem_size % ISA_WORD_BYTES != 0) {
		snprintf(msg, msglen, "memory size %u is not a multiple of 4 in %u..%u", mem_size,
		         PG32_MEM_MIN, PG32_MEM_MAX);
		return PG32_EARG;
	}
	m->mem = calloc(mem_size, 1);
	if (!m->mem) {
		snprintf(msg, msglen, "cannot allocate %u bytes of guest memory", mem_size);
		return PG32_ENOMEM;
	}
	int err = img_place(img, m->mem, mem_size, msg, msglen);
	if (err) {
		free(m->mem);
		m->mem = NULL;
		return err;
	}
	dev_init(&m->bus, console_out);
	m->cpu.bus = &m->bus;
	cpu_reset(&m->cpu, m->mem, mem_size, v, img->entry);
	/* Only speed depends on it: without one the CPU runs the same
	 * instructions the same way, decoding each word as it fetches it. */
	m->dcache = cpu_dcache_new(mem_size);
	m->cpu.dcache = m->dcache;
	return 0;
}

/* One instruction, told to the trace hook first, with the state it runs
 * from.  Only if it will run: the devices are brought up to the clock as
 * cpu_run does first (ticking twice at one clock changes nothing), and an
 * interrupt about to be taken, a waiting CPU or a powered-off machine runs
 * no instruction. */
static struct cpu_exit traced_step(struct bare_machine *m)
{
	struct cpu *c = &m->cpu;
	c->irq_pending |= dev_tick(&m->bus, c->clock, c->mem, c->mem_size);
	bool preempted = ((c->status & PSW_IE) && c->irq_pending) || c->waiting ||
	                 m->bus.powered_off;
	if (!preempted)
		m->trace(m->trace_ctx, c, NULL);
	return cpu_run(c, 1);
}

enum bare_end bare_run(struct bare_machine *m, uint64_t max_instructions)
{
	struct cpu *c = &m->cpu;
	uint64_t limit = max_instructions ? max_instructions : UINT64_MAX;
	unsigned no_progress = 0;
	uint64_t last_delivery = UINT64_MAX;

	for (;;) {
		if (c->clock >= limit)
			return BARE_LIMIT;
		struct cpu_exit ex;
		if (m->trace)
			ex = traced_step(m);
		else
			ex = cpu_run(c, limit - c->clock);
		switch (ex.stop) {
		case CPU_STOP_BUDGET: continue;
		case CPU_STOP_HALT: return BARE_HALTED;
		case CPU_STOP_POWEROFF: return BARE_POWEROFF;
		case CPU_STOP_TRAP: break;
		}
		/* A handler that faults before retiring anything would trap
		 * forever without the clock moving: stop such a loop. */
		no_progress = c->clock == last_delivery ? no_progress + 1 : 0;
		last_delivery = c->clock;
		if (no_progress >= BARE_MAX_TRAPS_WITHOUT_PROGRESS)
			return BARE_TRAP_LOOP;
		if (m->trace)
			m->trace(m->trace_ctx, c, &ex.trap);
		cpu_deliver_trap(c, &ex.trap);
	}
}

void bare_free(struct bare_machine *m)
{
	dev_close(&m->bus);
	free(m->mem);
	m->mem = NULL;
	cpu_dcache_free(m->dcache);
	m->dcache = NULL;
	m->cpu.dcache = NULL;
}

void bare_format_trap(const struct cpu_trap *t, char *buf, size_t len)
{
	snprintf(buf, len, "trap %s at pc=0x%08x detail=0x%08x (%s)", pg32_trap_name(t->cause),
	         t->insn_pc, t->detail, pg32_trap_what(t->cause));
}
