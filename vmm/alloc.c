/*
 * alloc.c -- the allocator: what each guest gets of the host.
 *
 * Memory: a region of the host memory per guest, first fit, aligned to
 * VMM_REGION_ALIGN and zeroed, so a guest never sees what an earlier guest
 * left there.  Disk: VM/370 "minidisks", consecutive slices of the one
 * host disk image.  CPU time: round-robin time slices of v->quantum
 * instructions (vmm_run in vmm.c asks vmm_alloc_next_guest who is next).
 * And the composition of relocation, which is how the allocation of memory
 * is enforced: drawn in vmm.h.
 */
#include "vmm.h"

#include <stdlib.h>
#include <string.h>

static uint64_t align_up(uint64_t x)
{
	return (x + VMM_REGION_ALIGN - 1) / VMM_REGION_ALIGN * VMM_REGION_ALIGN;
}

int vmm_alloc_region(struct vmm *v, uint32_t size, struct vmm_region *out, char *msg,
                     size_t msglen)
{
	if (size == 0) {
		snprintf(msg, msglen, "a guest needs some memory");
		return PG32_EARG;
	}
	/* First fit: walk the gaps between the sorted regions in use. */
	uint64_t at = 0, free_bytes = 0;
	unsigned i;
	for (i = 0; i <= v->nused; i++) {
		uint64_t gap_end = i < v->nused ? v->used[i].base : v->host_mem_size;
		if (at < gap_end) {
			free_bytes += gap_end - at;
			if (gap_end - at >= size)
				break;
		}
		if (i < v->nused)
			at = align_up((uint64_t)v->used[i].base + v->used[i].size);
	}
	if (i > v->nused) {
		snprintf(msg, msglen,
		         "needs %u KiB of memory but only %llu KiB of the host's %u KiB are free "
		         "(see --host-mem and --mem)",
		         size >> VMM_KIB_SHIFT, (unsigned long long)(free_bytes >> VMM_KIB_SHIFT), v->host_mem_size >> VMM_KIB_SHIFT);
		return PG32_ENOMEM;
	}
	struct vmm_region *grown = realloc(v->used, (v->nused + 1) * sizeof *grown);
	if (!grown) {
		snprintf(msg, msglen, "out of memory for the region table");
		return PG32_ENOMEM;
	}
	v->own_bytes += sizeof *grown;
	v->used = grown;
	memmove(&v->used[i + 1], &v->used[i], (v->nused - i) * sizeof *grown);
	v->used[i] = (struct vmm_region){ .base = (uint32_t)at, .size = size };
	v->nused++;
	/* A region may have held another guest: clear it. */
	memset(v->host_mem + at, 0, size);
	*out = v->used[i];
	return 0;
}

void vmm_free_region(struct vmm *v, const struct vmm_region *r)
{
	for (unsigned i = 0; i < v->nused; i++) {
		if (v->used[i].base == r->base && v->used[i].size == r->size) {
			memmove(&v->used[i], &v->used[i + 1], (v->nused - i - 1) * sizeof v->used[0]);
			v->nused--;
			return;
		}
	}
}

int vmm_alloc_minidisk(struct vmm *v, uint32_t count, struct vmm_minidisk *out, char *msg,
                       size_t msglen)
{
	*out = (struct vmm_minidisk){ .first = v->disk_next, .count = 0,
	                              .attached = v->disk_fd >= 0 };
	if (count == 0)
		return 0;
	if (v->disk_fd < 0) {
		snprintf(msg, msglen, "asks for %u disk sectors but the monitor has no --disk", count);
		return PG32_ENOMEM;
	}
	if ((uint64_t)v->disk_next + count > v->disk_sectors) {
		snprintf(msg, msglen, "asks for %u disk sectors but only %u of %u are left", count,
		         v->disk_sectors - v->disk_next, v->disk_sectors);
		return PG32_ENOMEM;
	}
	out->count = count;
	v->disk_next += count;
	return 0;
}

void vmm_compose_r(const struct vmm_region *r, uint32_t vbase, uint32_t vbound,
                   uint32_t *real_base, uint32_t *real_bound)
{
	/* LAB compose BEGIN
	 * TODO: the real R for the guest's virtual R (vbase, vbound) in region r:
	 * see the diagram in vmm.h.  The guest must reach exactly what its bare
	 * machine would reach, and nothing outside its region, whatever vbase
	 * and vbound are (think of vbase >= r->size, and of overflow).
	 * stub: (void)vbase, (void)vbound;
	 * stub: *real_base = r->base;
	 * stub: *real_bound = 0;
	 */
	if (vbase >= r->size) {
		/* Nothing of the guest's R lies inside its memory: every access
		 * faults, as on its bare machine.  The base stays inside the
		 * region so that rbase + vbase cannot wrap around. */
		*real_base = r->base;
		*real_bound = 0;
		return;
	}
	*real_base = r->base + vbase;
	*real_bound = vbound < r->size - vbase ? vbound : r->size - vbase;
	/* LAB compose END */
}

struct vmm_guest *vmm_alloc_next_guest(const struct vmm *v, const struct vmm_guest *after)
{
	unsigned start = after ? after->id + 1 : 0;
	for (unsigned k = 0; k < v->nguests; k++) {
		struct vmm_guest *g = v->guests[(start + k) % v->nguests];
		if (g->end == VMM_RUNNING)
			return g;
	}
	return NULL;
}
