/*
 * dev.c -- the devices of the bare machine: console, interval timer, block
 * disk with DMA, and the power port.  They are reached only through the CPU's
 * privileged in/out instructions.  Device time is the CPU clock (retired
 * instructions), so every event falls on the same instruction in every run.
 */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dev_init(struct dev_bus *bus, FILE *console_out)
{
	memset(bus, 0, sizeof *bus);
	bus->console_out = console_out;
	bus->input_eof = true;
	bus->disk_fd = -1;
	bus->timer_next = DEV_NEVER;
	bus->disk_done_at = DEV_NEVER;
}

void dev_set_input(struct dev_bus *bus, const uint8_t *bytes, size_t len)
{
	bus->input = bytes;
	bus->input_len = len;
	bus->input_pos = 0;
	bus->input_stream = NULL;
	bus->input_eof = len == 0;
}

void dev_set_input_stream(struct dev_bus *bus, FILE *stream)
{
	bus->input = NULL;
	bus->input_len = bus->input_pos = 0;
	bus->input_stream = stream;
	bus->input_eof = false;
}

int dev_open_disk_file(const char *path, int *fd_out, uint32_t *sectors, char *msg,
                       size_t msglen)
{
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return PG32_EIO;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(msg, msglen, "%s: not a regular file", path);
		close(fd);
		return PG32_EIO;
	}
	if (sb.st_size % DISK_SECTOR_BYTES != 0 ||
	    sb.st_size / DISK_SECTOR_BYTES > (off_t)UINT32_MAX) {
		snprintf(msg, msglen, "%s: size %lld is not a whole number of %u-byte sectors", path,
		         (long long)sb.st_size, DISK_SECTOR_BYTES);
		close(fd);
		return PG32_EFORMAT;
	}
	*fd_out = fd;
	*sectors = (uint32_t)(sb.st_size / DISK_SECTOR_BYTES);
	return 0;
}

int dev_attach_disk(struct dev_bus *bus, const char *path, char *msg, size_t msglen)
{
	int fd;
	uint32_t sectors;
	int err = dev_open_disk_file(path, &fd, &sectors, msg, msglen);
	if (err)
		return err;
	if (bus->disk_fd >= 0)
		close(bus->disk_fd);
	bus->disk_fd = fd;
	bus->disk_sectors = sectors;
	return 0;
}

void dev_close(struct dev_bus *bus)
{
	if (bus->disk_fd >= 0)
		close(bus->disk_fd);
	bus->disk_fd = -1;
	bus->disk_sectors = 0; /* DISK_SECTORS reads 0: no disk */
}

/* ---- console ----------------------------------------------------------- */

static uint32_t console_read(struct dev_bus *bus)
{
	if (bus->input_stream) {
		int ch = bus->input_eof ? EOF : fgetc(bus->input_stream);
		if (ch == EOF) {
			bus->input_eof = true;
			return CONSOLE_IN_NONE;
		}
		return (uint32_t)ch;
	}
	if (bus->input_pos >= bus->input_len)
		return CONSOLE_IN_NONE;
	uint32_t ch = bus->input[bus->input_pos++];
	bus->input_eof = bus->input_pos >= bus->input_len;
	return ch;
}

static uint32_t console_status(struct dev_bus *bus)
{
	/* A stream (a pipe, a terminal) is ready unless its end has come:
	 * look one byte ahead, which on a terminal waits for a key, so the
	 * guest sees the end exactly where a buffer would show it. */
	if (bus->input_stream) {
		if (!bus->input_eof) {
			int ch = fgetc(bus->input_stream);
			if (ch == EOF)
				bus->input_eof = true;
			else
				ungetc(ch, bus->input_stream);
		}
		return bus->input_eof ? CONSOLE_STATUS_EOF : CONSOLE_STATUS_READY;
	}
	return bus->input_pos < bus->input_len ? CONSOLE_STATUS_READY : CONSOLE_STATUS_EOF;
}

/* ---- disk -------------------------------------------------------------- */

static void disk_start(struct dev_bus *bus, uint32_t cmd, uint64_t now)
{
	if (bus->disk_status == DISK_STATUS_BUSY)
		return; /* a command while busy is ignored */
	/* Latch the transfer: writing the registers while it is busy sets up
	 * the next one and does not redirect the DMA in flight. */
	bus->disk_cmd = cmd;
	bus->xfer_sector = bus->disk_sector;
	bus->xfer_addr = bus->disk_addr;
	bus->xfer_count = bus->disk_count;
	bus->disk_status = DISK_STATUS_BUSY;
	bus->disk_done_at = now + DISK_LATENCY_BASE +
	                    (uint64_t)DISK_LATENCY_PER_SECTOR * bus->xfer_count;
}

/* Carry out the transfer at its completion time: DMA between the disk and
 * physical memory, every byte of it bounds-checked first. */
static uint32_t disk_finish(struct dev_bus *bus, uint8_t *mem, uint32_t mem_size)
{
	uint64_t bytes = (uint64_t)bus->xfer_count * DISK_SECTOR_BYTES;
	bool ok = bus->disk_fd >= 0 &&
	          (bus->disk_cmd == DISK_CMD_READ || bus->disk_cmd == DISK_CMD_WRITE) &&
	          (uint64_t)bus->xfer_sector + bus->xfer_count <= bus->disk_sectors &&
	          (uint64_t)bus->xfer_addr + bytes <= mem_size;
	if (ok && bytes > 0) {
		off_t off = (off_t)bus->xfer_sector * DISK_SECTOR_BYTES;
		ssize_t n = bus->disk_cmd == DISK_CMD_READ
		                    ? pread(bus->disk_fd, mem + bus->xfer_addr, (size_t)bytes, off)
		                    : pwrite(bus->disk_fd, mem + bus->xfer_addr, (size_t)bytes, off);
		ok = n == (ssize_t)bytes;
	}
	bus->disk_status = ok ? DISK_STATUS_DONE : DISK_STATUS_ERROR;
	bus->disk_done_at = DEV_NEVER;
	return IRQ_DISK;
}

/* ---- ports ------------------------------------------------------------- */

uint32_t dev_port_in(struct dev_bus *bus, uint32_t port, uint64_t now)
{
	switch (port) {
	case PORT_CONSOLE_IN: return console_read(bus);
	case PORT_CONSOLE_STATUS: return console_status(bus);
	case PORT_TIMER_PERIOD: return bus->timer_period;
	case PORT_TIMER_CLOCK: return (uint32_t)now;
	case PORT_DISK_SECTOR: return bus->disk_sector;
	case PORT_DISK_ADDR: return bus->disk_addr;
	case PORT_DISK_COUNT: return bus->disk_count;
	case PORT_DISK_STATUS: return bus->disk_status;
	case PORT_DISK_SECTORS: return bus->disk_sectors;
	default: return PORT_NONE_VALUE;
	}
}

void dev_port_out(struct dev_bus *bus, uint32_t port, uint32_t value, uint64_t now)
{
	switch (port) {
	case PORT_CONSOLE_OUT:
		if (bus->console_out)
			fputc((int)(value & 0xFFu), bus->console_out);
		break;
	case PORT_TIMER_PERIOD:
		bus->timer_period = value;
		bus->timer_next = value ? now + value : DEV_NEVER;
		break;
	case PORT_DISK_SECTOR: bus->disk_sector = value; break;
	case PORT_DISK_ADDR: bus->disk_addr = value; break;
	case PORT_DISK_COUNT: bus->disk_count = value; break;
	case PORT_DISK_CMD: disk_start(bus, value, now); break;
	case PORT_DISK_STATUS:
		if (value == DISK_STATUS_IDLE && bus->disk_status != DISK_STATUS_BUSY)
			bus->disk_status = DISK_STATUS_IDLE;
		break;
	case PORT_POWER_OFF:
		bus->powered_off = true;
		bus->exit_code = value & 0xFFu;
		break;
	default: break;
	}
}

uint64_t dev_next_event(const struct dev_bus *bus)
{
	return bus->timer_next < bus->disk_done_at ? bus->timer_next : bus->disk_done_at;
}

uint32_t dev_tick(struct dev_bus *bus, uint64_t now, uint8_t *mem, uint32_t mem_size)
{
	uint32_t irq = 0;
	if (now >= bus->timer_next) {
		irq |= IRQ_TIMER;
		/* Periodic: the next expiry after now, even if the CPU idled past
		 * several; one pending interrupt at most. */
		uint64_t late = now - bus->timer_next;
		bus->timer_next = now + bus->timer_period - late % bus->timer_period;
	}
	if (now >= bus->disk_done_at)
		irq |= disk_finish(bus, mem, mem_size);
	return irq;
}
