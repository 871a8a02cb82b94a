/*
 * vdev.c -- the virtual devices of a guest: console, interval timer, disk,
 * power.
 *
 * Each guest has its own set, with the registers and the timing of the bare
 * machine's devices (isa/dev.c; keep the two in step), so that a guest's
 * interrupts fall on the same instruction as on its bare machine.  What
 * differs is where they lead:
 *
 *   console  output goes to the guest's own stream, prefixed "[name] " at
 *            each line start when guests share one, and is cut (with a note)
 *            after the guest's cap, so no guest can flood the others out;
 *   timer    counts the guest's own virtual clock, which advances only when
 *            the guest runs;
 *   disk     sectors are those of the guest's minidisk, and DMA addresses
 *            are guest physical addresses, translated into its region and
 *            bounds-checked against its memory size, every byte;
 *   power    ends this guest only.
 */
#include "vmm.h"

#include <string.h>
#include <unistd.h>

/* The power port's exit code is the low byte of the value (PG32_PORTS). */
#define POWER_CODE_MASK 0xFFu

void vmm_vdev_init(struct vmm_vdev *d, FILE *out, bool prefix, uint64_t cap)
{
	memset(d, 0, sizeof *d);
	d->out = out;
	d->prefix = prefix;
	d->cap = cap;
	d->timer_next = VMM_NEVER;
	d->disk_done_at = VMM_NEVER;
}

/* ---- console ----------------------------------------------------------- */

/* One line of a guest that shares the stream: "[name] text\n".  fwrite,
 * not %s: the guest may write NUL bytes. */
static void console_emit_line(const struct vmm_guest *g, const char *text, size_t len)
{
	fprintf(g->dev.out, "[%s] ", g->name);
	fwrite(text, 1, len, g->dev.out);
	fputc('\n', g->dev.out);
}

void vmm_vdev_flush(struct vmm_guest *g)
{
	struct vmm_vdev *d = &g->dev;
	if (d->out && d->prefix && d->line_len > 0) {
		console_emit_line(g, d->line, d->line_len);
		d->line_len = 0;
	}
	if (d->out)
		fflush(d->out);
}

static void console_put(struct vmm_guest *g, uint8_t ch)
{
	struct vmm_vdev *d = &g->dev;
	d->written++;
	if (!d->out || d->cut)
		return;
	if (d->cap && d->written > d->cap) {
		/* The guest goes on; its output no longer does. */
		d->cut = true;
		vmm_vdev_flush(g);
		if (d->prefix)
			fprintf(d->out, "[%s] *** console output cut after %llu bytes ***\n", g->name,
			        (unsigned long long)d->cap);
		else
			fprintf(d->out, "\n*** tzvmm: console output of %s cut after %llu bytes ***\n",
			        g->name, (unsigned long long)d->cap);
		fflush(d->out);
		return;
	}
	if (!d->prefix) {
		fputc(ch, d->out);
		return;
	}
	/* Prefixed output goes out a whole line at a time, so that lines of
	 * guests that share the stream never interleave. */
	if (ch == '\n') {
		console_emit_line(g, d->line, d->line_len);
		d->line_len = 0;
		return;
	}
	if (d->line_len == sizeof d->line) {
		console_emit_line(g, d->line, d->line_len);
		d->line_len = 0;
	}
	d->line[d->line_len++] = (char)ch;
}

static uint32_t console_read(struct vmm_vdev *d)
{
	if (d->input_pos >= d->input_len)
		return CONSOLE_IN_NONE;
	return d->input[d->input_pos++];
}

static uint32_t console_status(const struct vmm_vdev *d)
{
	return d->input_pos < d->input_len ? CONSOLE_STATUS_READY : CONSOLE_STATUS_EOF;
}

/* ---- disk -------------------------------------------------------------- */

static void disk_start(struct vmm_vdev *d, uint32_t cmd, uint64_t now)
{
	if (d->disk_status == DISK_STATUS_BUSY)
		return; /* a command while busy is ignored, as on the bare disk */
	/* The command latches the transfer: registers written while it is
	 * busy set up the next one and do not redirect the DMA in flight. */
	d->disk_cmd = cmd;
	d->xfer_sector = d->disk_sector;
	d->xfer_addr = d->disk_addr;
	d->xfer_count = d->disk_count;
	d->disk_status = DISK_STATUS_BUSY;
	d->disk_done_at = now + DISK_LATENCY_BASE + (uint64_t)DISK_LATENCY_PER_SECTOR * d->xfer_count;
}

/* The transfer, at its completion time.  Both sides are checked before a
 * byte moves: the sectors against the guest's minidisk, the memory against
 * the guest's memory size; the host offsets are then the minidisk's first
 * sector and the region's base. */
static uint32_t disk_finish(struct vmm *v, struct vmm_guest *g)
{
	struct vmm_vdev *d = &g->dev;
	uint64_t bytes = (uint64_t)d->xfer_count * DISK_SECTOR_BYTES;
	bool ok = v->disk_fd >= 0 && g->disk.attached &&
	          (d->disk_cmd == DISK_CMD_READ || d->disk_cmd == DISK_CMD_WRITE) &&
	          (uint64_t)d->xfer_sector + d->xfer_count <= g->disk.count &&
	          (uint64_t)d->xfer_addr + bytes <= g->vm.mem_size;
	if (ok && bytes > 0) {
		off_t off = ((off_t)g->disk.first + d->xfer_sector) * DISK_SECTOR_BYTES;
		uint8_t *at = g->vm.mem + d->xfer_addr; /* = host_mem + region.base + addr */
		vmm_rewrite_invalidate(g, d->xfer_addr, bytes); /* DMA sees and overwrites originals */
		ssize_t n = d->disk_cmd == DISK_CMD_READ ? pread(v->disk_fd, at, (size_t)bytes, off)
		                                         : pwrite(v->disk_fd, at, (size_t)bytes, off);
		ok = n == (ssize_t)bytes;
	}
	d->disk_status = ok ? DISK_STATUS_DONE : DISK_STATUS_ERROR;
	d->disk_done_at = VMM_NEVER;
	return IRQ_DISK;
}

/* ---- ports ------------------------------------------------------------- */

uint32_t vmm_vdev_in(struct vmm *v, struct vmm_guest *g, uint32_t port, uint64_t now)
{
	(void)v;
	struct vmm_vdev *d = &g->dev;
	switch (port) {
	case PORT_CONSOLE_IN: return console_read(d);
	case PORT_CONSOLE_STATUS: return console_status(d);
	case PORT_TIMER_PERIOD: return d->timer_period;
	case PORT_TIMER_CLOCK: return (uint32_t)now; /* the guest's own clock */
	case PORT_DISK_SECTOR: return d->disk_sector;
	case PORT_DISK_ADDR: return d->disk_addr;
	case PORT_DISK_COUNT: return d->disk_count;
	case PORT_DISK_STATUS: return d->disk_status;
	case PORT_DISK_SECTORS: return g->disk.count; /* its minidisk, not the disk */
	default: return PORT_NONE_VALUE;
	}
}

void vmm_vdev_out(struct vmm *v, struct vmm_guest *g, uint32_t port, uint32_t value,
                  uint64_t now)
{
	(void)v;
	struct vmm_vdev *d = &g->dev;
	switch (port) {
	case PORT_CONSOLE_OUT: console_put(g, (uint8_t)value); break;
	case PORT_TIMER_PERIOD:
		d->timer_period = value;
		d->timer_next = value ? now + value : VMM_NEVER;
		break;
	case PORT_DISK_SECTOR: d->disk_sector = value; break;
	case PORT_DISK_ADDR: d->disk_addr = value; break;
	case PORT_DISK_COUNT: d->disk_count = value; break;
	case PORT_DISK_CMD: disk_start(d, value, now); break;
	case PORT_DISK_STATUS:
		if (value == DISK_STATUS_IDLE && d->disk_status != DISK_STATUS_BUSY)
			d->disk_status = DISK_STATUS_IDLE;
		break;
	case PORT_POWER_OFF:
		/* Only this guest: the dispatcher ends it at the next check. */
		d->powered_off = true;
		d->exit_code = value & POWER_CODE_MASK;
		break;
	default: break;
	}
}

uint64_t vmm_vdev_next_event(const struct vmm_guest *g)
{
	const struct vmm_vdev *d = &g->dev;
	return d->timer_next < d->disk_done_at ? d->timer_next : d->disk_done_at;
}

uint32_t vmm_vdev_tick(struct vmm *v, struct vmm_guest *g)
{
	struct vmm_vdev *d = &g->dev;
	uint64_t now = g->vm.clock;
	uint32_t irq = 0;
	if (now >= d->timer_next) {
		irq |= IRQ_TIMER;
		/* Periodic, one pending interrupt at most, even after idling past
		 * several expiries (as dev_tick). */
		uint64_t late = now - d->timer_next;
		d->timer_next = now + d->timer_period - late % d->timer_period;
	}
	if (now >= d->disk_done_at)
		irq |= disk_finish(v, g);
	return irq;
}
