/*
 * snapshot.c -- snapshots of guests: take a copy of a guest's whole state,
 * put it back later.
 *
 * A guest's state is its struct vmm_guest (the virtual machine: registers,
 * virtual PSW, clock, pending interrupts; its virtual devices; its figures;
 * how it ended) and its region of the host memory.  Nothing else in the
 * monitor changes while a guest runs except the real CPU, which the world
 * switch reloads from the guest every time, and the host disk (see vmm.h).
 * So a snapshot is a struct copy and a memcpy, and a restore the reverse.
 * The pointers inside the struct (vm.mem into the host memory, dev.out,
 * dev.input) stay valid for the monitor's life and are shared.
 *
 * The debugger keeps snapshots to run backwards: restore the nearest earlier
 * one, replay forward (the machine is deterministic).  A console that can
 * seek (a file or an open_memstream buffer) is cut back on restore, so the
 * replayed output is written once, at the same place.
 */
#include "vmm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int vmm_guest_snapshot_take(const struct vmm_guest *g, struct vmm_guest_snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->mem = malloc(g->vm.mem_size);
	if (!s->mem)
		return PG32_ENOMEM;
	memcpy(s->mem, g->vm.mem, g->vm.mem_size);
	s->g = *g;
	/* The rewriter's state is the guest's too (its patch table and watch
	 * map change as it runs): a deep copy. */
	if (vmm_rewrite_clone(g->rw, &s->g.rw) != 0) {
		free(s->mem);
		s->mem = NULL;
		return PG32_ENOMEM;
	}
	s->console_pos = -1;
	if (g->dev.out) {
		/* A partial prefixed line lives in the struct; everything else
		 * written is in the stream. */
		fflush(g->dev.out);
		off_t pos = ftello(g->dev.out);
		s->console_pos = pos >= 0 ? (long long)pos : -1;
	}
	return 0;
}

int vmm_guest_snapshot_restore(struct vmm_guest *g, const struct vmm_guest_snapshot *s)
{
	struct vmm_rewrite *rw;
	if (vmm_rewrite_clone(s->g.rw, &rw) != 0)
		return PG32_ENOMEM;
	vmm_rewrite_free(g->rw);
	/* The region and the streams are the live guest's: they are the same
	 * as the snapshot's unless s belongs to another guest. */
	uint8_t *mem = g->vm.mem;
	struct dev_bus *bus = g->vm.bus;
	FILE *out = g->dev.out;
	const uint8_t *input = g->dev.input;
	*g = s->g;
	g->vm.mem = mem;
	g->vm.bus = bus;
	g->dev.out = out;
	g->dev.input = input;
	g->rw = rw;
	/* The watch map is loaded into the CPU by the world switch; a copy
	 * held here would point into the snapshot's map. */
	if (g->vm.watch)
		g->vm.watch = rw ? rw->map : NULL;
	memcpy(g->vm.mem, s->mem, g->vm.mem_size);
	if (out && s->console_pos >= 0) {
		fflush(out);
		fseeko(out, (off_t)s->console_pos, SEEK_SET);
	}
	return 0;
}

void vmm_guest_snapshot_free(struct vmm_guest_snapshot *s)
{
	if (!s)
		return;
	free(s->mem);
	s->mem = NULL;
	vmm_rewrite_free(s->g.rw);
	s->g.rw = NULL;
}

size_t vmm_guest_snapshot_bytes(const struct vmm_guest_snapshot *s)
{
	size_t n = s->mem ? sizeof *s + s->g.vm.mem_size : sizeof *s;
	const struct vmm_rewrite *rw = s->g.rw;
	if (rw)
		n += sizeof *rw + (rw->map ? rw->words : 0) + (size_t)rw->cap * sizeof *rw->patch;
	return n;
}

int vmm_snapshot_take(const struct vmm *v, struct vmm_snapshot **out)
{
	*out = NULL;
	struct vmm_snapshot *s = calloc(1, sizeof *s);
	if (!s)
		return PG32_ENOMEM;
	s->guests = calloc(v->nguests ? v->nguests : 1, sizeof *s->guests);
	if (!s->guests) {
		free(s);
		return PG32_ENOMEM;
	}
	for (unsigned i = 0; i < v->nguests; i++) {
		if (vmm_guest_snapshot_take(v->guests[i], &s->guests[i]) != 0) {
			s->nguests = i;
			vmm_snapshot_free(s);
			return PG32_ENOMEM;
		}
		s->nguests = i + 1;
	}
	*out = s;
	return 0;
}

int vmm_snapshot_restore(struct vmm *v, const struct vmm_snapshot *s)
{
	if (s->nguests != v->nguests)
		return PG32_EARG;
	for (unsigned i = 0; i < v->nguests; i++) {
		const struct vmm_guest *g = v->guests[i];
		const struct vmm_guest *was = &s->guests[i].g;
		if (g->region.base != was->region.base || g->vm.mem_size != was->vm.mem_size)
			return PG32_EARG;
	}
	for (unsigned i = 0; i < v->nguests; i++)
		if (vmm_guest_snapshot_restore(v->guests[i], &s->guests[i]) != 0)
			return PG32_ENOMEM;
	return 0;
}

void vmm_snapshot_free(struct vmm_snapshot *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nguests; i++)
		vmm_guest_snapshot_free(&s->guests[i]);
	free(s->guests);
	free(s);
}

size_t vmm_snapshot_bytes(const struct vmm_snapshot *s)
{
	size_t n = sizeof *s;
	for (unsigned i = 0; i < s->nguests; i++)
		n += vmm_guest_snapshot_bytes(&s->guests[i]);
	return n;
}
