/*
 * stats.c -- the figures of each guest, as a table (tzvmm --stats) or as
 * JSON (--stats-json): Popek and Goldberg's efficiency property measured
 * (instructions run directly against those the monitor had to interpret),
 * the traps by cause and what became of them, and what the allocator gave.
 */
#include "vmm.h"

double vmm_efficiency(const struct vmm_stats *s)
{
	uint64_t all = s->direct + s->emulated;
	return all ? (double)s->direct / (double)all : 1.0;
}

/* How the guest's critical instructions are handled: "hybrid", or the
 * rewriting mode ("none": plain trap-and-emulate). */
static const char *guest_mode(const struct vmm_guest *g)
{
	if (g->hybrid)
		return "hybrid";
	return vmm_rewrite_name(g->rw ? g->rw->mode : VMM_REWRITE_NONE);
}

/* Did any guest see a trap of this cause?  Only those get a column. */
static bool cause_seen(const struct vmm *v, unsigned cause)
{
	for (unsigned i = 0; i < v->nguests; i++)
		if (v->guests[i]->stats.traps[cause])
			return true;
	return false;
}

void vmm_print_stats(const struct vmm *v, FILE *out)
{
	fprintf(out, "%-16s %-9s %4s %12s %10s %10s %10s %9s %9s %8s %8s\n", "guest", "end", "exit",
	        "direct", "emulated", "idle", "efficiency", "reflected", "interrupt", "mem KiB",
	        "sectors");
	for (unsigned i = 0; i < v->nguests; i++) {
		const struct vmm_guest *g = v->guests[i];
		const struct vmm_stats *s = &g->stats;
		fprintf(out, "%-16s %-9s %4d %12llu %10llu %10llu %10.6f %9llu %9llu %8u %8u\n", g->name,
		        vmm_end_name(g->end), vmm_guest_exit_status(g), (unsigned long long)s->direct,
		        (unsigned long long)s->emulated, (unsigned long long)s->idle,
		        vmm_efficiency(s), (unsigned long long)s->reflected,
		        (unsigned long long)s->interrupts, g->region.size >> VMM_KIB_SHIFT, g->disk.count);
	}
	fprintf(out, "\ntraps by cause\n%-16s", "guest");
	for (unsigned c = 1; c < TRAP_NCAUSES; c++)
		if (cause_seen(v, c))
			fprintf(out, " %9s", pg32_trap_name(c));
	fputc('\n', out);
	for (unsigned i = 0; i < v->nguests; i++) {
		const struct vmm_guest *g = v->guests[i];
		fprintf(out, "%-16s", g->name);
		for (unsigned c = 1; c < TRAP_NCAUSES; c++)
			if (cause_seen(v, c))
				fprintf(out, " %9llu", (unsigned long long)g->stats.traps[c]);
		fputc('\n', out);
	}
	/* Binary rewriting and the hybrid monitor, when a guest used them. */
	bool any = false;
	for (unsigned i = 0; i < v->nguests; i++)
		any |= v->guests[i]->rw != NULL || v->guests[i]->hybrid;
	if (any) {
		fprintf(out, "\nrewriting\n%-16s %-8s %10s %10s %10s %10s %10s %12s\n", "guest", "mode",
		        "blocks", "patches", "rw traps", "rescans", "watch", "interpreted");
		for (unsigned i = 0; i < v->nguests; i++) {
			const struct vmm_guest *g = v->guests[i];
			const struct vmm_stats *s = &g->stats;
			fprintf(out, "%-16s %-8s %10llu %10llu %10llu %10llu %10llu %12llu\n", g->name,
			        guest_mode(g), (unsigned long long)s->blocks_scanned,
			        (unsigned long long)s->patches, (unsigned long long)s->rewrite_traps,
			        (unsigned long long)s->rescans, (unsigned long long)s->watch_traps,
			        (unsigned long long)s->interpreted);
		}
	}
	for (unsigned i = 0; i < v->nguests; i++)
		if (v->guests[i]->end == VMM_KILLED)
			fprintf(out, "%s was killed: %s\n", v->guests[i]->name, v->guests[i]->why);
}

/* A JSON string: guest names come from file names, so escape them. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void vmm_write_stats_json(const struct vmm *v, FILE *out)
{
	fprintf(out, "{\n  \"quantum\": %llu,\n  \"host_mem\": %u,\n  \"disk_sectors\": %u,\n"
	             "  \"guests\": [",
	        (unsigned long long)v->quantum, v->host_mem_size, v->disk_sectors);
	for (unsigned i = 0; i < v->nguests; i++) {
		const struct vmm_guest *g = v->guests[i];
		const struct vmm_stats *s = &g->stats;
		fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
		json_string(out, g->name);
		fprintf(out, ", \"end\": \"%s\", \"exit_status\": %d, \"exit_code\": %u,\n",
		        vmm_end_name(g->end), vmm_guest_exit_status(g), g->dev.exit_code);
		fprintf(out, "     \"clock\": %llu, \"direct\": %llu, \"emulated\": %llu, \"idle\": %llu,"
		             " \"efficiency\": %.6f,\n",
		        (unsigned long long)g->vm.clock, (unsigned long long)s->direct,
		        (unsigned long long)s->emulated, (unsigned long long)s->idle,
		        vmm_efficiency(s));
		fprintf(out, "     \"traps_emulated\": %llu, \"traps_reflected\": %llu,"
		             " \"interrupts\": %llu, \"slices\": %llu,\n     \"traps\": {",
		        (unsigned long long)s->emulated, (unsigned long long)s->reflected,
		        (unsigned long long)s->interrupts, (unsigned long long)s->slices);
		for (unsigned c = 1; c < TRAP_NCAUSES; c++)
			if (c != TRAP_WATCH) /* the monitor's own, never the guest's */
				fprintf(out, "%s\"%s\": %llu", c > 1 ? ", " : "", pg32_trap_name(c),
				        (unsigned long long)s->traps[c]);
		fprintf(out, "},\n     \"rewrite\": \"%s\", \"blocks_scanned\": %llu, \"patches\": %llu,"
		             " \"rewrite_traps\": %llu, \"rescans\": %llu, \"watch_traps\": %llu,"
		             " \"interpreted\": %llu",
		        guest_mode(g), (unsigned long long)s->blocks_scanned,
		        (unsigned long long)s->patches, (unsigned long long)s->rewrite_traps,
		        (unsigned long long)s->rescans, (unsigned long long)s->watch_traps,
		        (unsigned long long)s->interpreted);
		fprintf(out, ",\n     \"memory\": {\"base\": %u, \"size\": %u},"
		             " \"disk\": {\"first\": %u, \"sectors\": %u},"
		             " \"console_bytes\": %llu, \"console_cut\": %s",
		        g->region.base, g->region.size, g->disk.first, g->disk.count,
		        (unsigned long long)g->dev.written, g->dev.cut ? "true" : "false");
		if (g->end == VMM_KILLED) {
			fprintf(out, ", \"why\": ");
			json_string(out, g->why);
		}
		fputc('}', out);
	}
	fprintf(out, "\n  ]\n}\n");
}
