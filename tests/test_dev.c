/*
 * test_dev.c -- unit tests of the devices of the bare machine (isa/dev.c),
 * each driven the way a guest drives it: by in/out from a system-mode
 * program built in C (tests/pg32_test.h) and run on a struct cpu wired to a
 * struct dev_bus.  Console output goes to an open_memstream buffer, console
 * input comes from a buffer or a fmemopen stream, and the disk is a
 * temporary file made with mkstemp in /tmp and removed by the teardown.
 *
 * Device time is the CPU clock, so the tests name exact instruction
 * counts: the instruction after which a timer interrupt lands, the clock
 * value at which a disk transfer's DMA happens (and not one before).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg32.h"
#include "pg32_test.h"

#define CODE PG32_LOAD_ADDR
#define DATA 0x2000u
#define DATA2 0x3000u
#define MEM PT_MEM_SIZE
#define MSG_LEN 256
#define PATH_LEN 64
#define DISK_SECTORS_N 8u       /* sectors of the test disk */
#define DISK_PATTERN_MUL 7u     /* byte o of the disk is o * 7 + o / 512 */
#define LI_OUT 3u               /* instructions of pt_out_imm: lui, ori, out */
#define FILL_NOPS 400u          /* straight-line code after a setup */
#define BYTE_MASK 0xFFu
#define UNUSED_PORT 0x31u        /* between POWER_OFF and the end */
#define DISK_TEMPLATE "/tmp/test_dev_disk_XXXXXX"

struct fx {
	struct pt_prog p;
	struct cpu c;
	struct dev_bus bus;
	FILE *console;
	char *out;
	size_t out_len;
	char disk[PATH_LEN];
};

static uint8_t disk_byte(uint32_t off)
{
	return (uint8_t)(off * DISK_PATTERN_MUL + off / DISK_SECTOR_BYTES);
}

/* Write a disk file of n bytes with the pattern into path (a template). */
static int make_disk(char *path, size_t n)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = disk_byte((uint32_t)i);
	ssize_t w = write(fd, buf, n);
	free(buf);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char msg[MSG_LEN];
	if (!f)
		return -1;
	pt_prog_init(&f->p, MEM);
	f->console = open_memstream(&f->out, &f->out_len);
	if (!f->console)
		return -1;
	dev_init(&f->bus, f->console);
	strcpy(f->disk, DISK_TEMPLATE);
	if (make_disk(f->disk, (size_t)DISK_SECTORS_N * DISK_SECTOR_BYTES) != 0 ||
	    dev_attach_disk(&f->bus, f->disk, msg, sizeof msg) != 0)
		return -1;
	f->c.bus = &f->bus;
	cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dev_close(&f->bus);
	unlink(f->disk);
	fclose(f->console);
	free(f->out);
	pt_prog_free(&f->p);
	free(f);
	return 0;
}

/* Straight-line nops from p->pc on, so any instruction count lands on a
 * known address. */
static void fill_nops(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pt_op(&f->p, ISA_OP_NOP, 0, 0, 0, 0);
}

/* Address of the instruction that runs when the clock is k (the program
 * being straight-line from CODE). */
static uint32_t addr_at_clock(uint64_t k)
{
	return CODE + (uint32_t)k * ISA_WORD_BYTES;
}

static void assert_trap(const struct cpu_exit *ex, uint32_t cause, uint32_t detail, uint32_t pc)
{
	if (ex->stop != CPU_STOP_TRAP || ex->trap.cause != cause || ex->trap.detail != detail ||
	    ex->trap.pc != pc)
		fail_msg("expected trap %s detail 0x%x pc 0x%x, got stop %d trap %s detail 0x%x pc 0x%x",
		         pg32_trap_name(cause), detail, pc, ex->stop, pg32_trap_name(ex->trap.cause),
		         ex->trap.detail, ex->trap.pc);
}

/* ---- console ----------------------------------------------------------- */

/* out CONSOLE_OUT writes the low byte of rd, in order. */
static void test_console_output(void **state)
{
	static const uint32_t values[] = { 'H', 'i', '\n', 0x100u | 'A', 0xFFFFFF00u | '!' };
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		pt_out_imm(&f->p, PT_R1, PORT_CONSOLE_OUT, values[i]);
	pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	assert_int_equal(cpu_run(&f->c, FILL_NOPS).stop, CPU_STOP_HALT);
	fflush(f->console);
	assert_int_equal(f->out_len, 5);
	assert_memory_equal(f->out, "Hi\nA!", 5);
}

/* Console output with no stream (console_out NULL) is dropped quietly. */
static void test_console_output_discarded(void **state)
{
	struct fx *f = *state;
	f->bus.console_out = NULL;
	pt_out_imm(&f->p, PT_R1, PORT_CONSOLE_OUT, 'x');
	assert_int_equal(cpu_run(&f->c, LI_OUT).stop, CPU_STOP_BUDGET);
	fflush(f->console);
	assert_int_equal(f->out_len, 0);
}

/* Emit "in rd, port" for each port in turn into r1, r2, ... */
static void emit_reads(struct fx *f, const enum pg32_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pt_op(&f->p, ISA_OP_IN, PT_R1 + (unsigned)i, 0, 0, (int32_t)ports[i]);
}

/* Input from a buffer: status READY while bytes are left, then EOF; the
 * bytes in order, then CONSOLE_IN_NONE for ever. */
static void test_console_input_buffer(void **state)
{
	static const enum pg32_port ports[] = {
		PORT_CONSOLE_STATUS, PORT_CONSOLE_IN, PORT_CONSOLE_STATUS, PORT_CONSOLE_IN,
		PORT_CONSOLE_STATUS, PORT_CONSOLE_IN, PORT_CONSOLE_IN, PORT_CONSOLE_STATUS,
	};
	static const uint32_t want[] = {
		CONSOLE_STATUS_READY, 'a', CONSOLE_STATUS_READY, 0xFFu,
		CONSOLE_STATUS_EOF, CONSOLE_IN_NONE, CONSOLE_IN_NONE, CONSOLE_STATUS_EOF,
	};
	static const uint8_t input[] = { 'a', 0xFF };
	struct fx *f = *state;
	dev_set_input(&f->bus, input, sizeof input);
	emit_reads(f, ports, sizeof ports / sizeof ports[0]);
	assert_int_equal(cpu_run(&f->c, sizeof ports / sizeof ports[0]).stop, CPU_STOP_BUDGET);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (f->c.r[PT_R1 + i] != want[i])
			fail_msg("read %zu: 0x%x, expected 0x%x", i, f->c.r[PT_R1 + i], want[i]);
}

/* No input at all (the state after dev_init): status EOF, in reads NONE. */
static void test_console_input_none(void **state)
{
	static const enum pg32_port ports[] = { PORT_CONSOLE_STATUS, PORT_CONSOLE_IN };
	struct fx *f = *state;
	emit_reads(f, ports, 2);
	cpu_run(&f->c, 2);
	assert_int_equal(f->c.r[PT_R1], CONSOLE_STATUS_EOF);
	assert_int_equal(f->c.r[PT_R2], CONSOLE_IN_NONE);
}

/* Input from a stream (a pipe, a terminal) behaves as a buffer does:
 * READY while a byte is to come, EOF right after the last one (the device
 * looks one byte ahead), then NONE. */
static void test_console_input_stream(void **state)
{
	static const enum pg32_port ports[] = {
		PORT_CONSOLE_STATUS, PORT_CONSOLE_IN, PORT_CONSOLE_STATUS, PORT_CONSOLE_IN,
		PORT_CONSOLE_STATUS, PORT_CONSOLE_IN,
	};
	static const uint32_t want[] = {
		CONSOLE_STATUS_READY, 'x', CONSOLE_STATUS_READY, 'y', CONSOLE_STATUS_EOF, CONSOLE_IN_NONE,
	};
	char text[] = "xy";
	struct fx *f = *state;
	FILE *in = fmemopen(text, strlen(text), "r");
	assert_non_null(in);
	dev_set_input_stream(&f->bus, in);
	emit_reads(f, ports, sizeof ports / sizeof ports[0]);
	cpu_run(&f->c, sizeof ports / sizeof ports[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (f->c.r[PT_R1 + i] != want[i])
			fail_msg("read %zu: 0x%x, expected 0x%x", i, f->c.r[PT_R1 + i], want[i]);
	fclose(in);
}

/* ---- timer ------------------------------------------------------------- */

/* The period reads back; with IE = 1 the interrupt lands exactly `period`
 * instructions after the out that set it (detail = the clock, saved pc =
 * the next instruction), and again every period after that. */
static void test_timer_period_and_landing(void **state)
{
	const uint32_t period = 37;
	struct fx *f = *state;
	pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, PSW_IE);
	pt_op(&f->p, ISA_OP_WRFL, PT_R3, 0, 0, 0);
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, period);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_TIMER_PERIOD);
	fill_nops(f, FILL_NOPS);
	const uint64_t set_at = 2 + LI_OUT; /* clock after the out */
	uint64_t when = set_at + period;

	/* One instruction short: no interrupt yet. */
	struct cpu_exit ex = cpu_run(&f->c, when - 1);
	assert_int_equal(ex.stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], period);
	for (unsigned tick = 0; tick < 3; tick++) {
		ex = cpu_run(&f->c, FILL_NOPS);
		assert_trap(&ex, TRAP_TIMER, (uint32_t)when, addr_at_clock(when));
		assert_int_equal(f->c.clock, when);
		when += period;
	}
}

/* Writing period 0 stops the timer: a halt with IE = 1 then has nothing to
 * wait for. */
static void test_timer_stop(void **state)
{
	struct fx *f = *state;
	pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, PSW_IE);
	pt_op(&f->p, ISA_OP_WRFL, PT_R3, 0, 0, 0);
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, 10);
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, 0);
	pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	assert_int_equal(cpu_run(&f->c, FILL_NOPS).stop, CPU_STOP_HALT);
	assert_int_equal(f->bus.timer_period, 0);
}

/* With IE = 0 expiries pile up as one pending interrupt, taken as soon as
 * IE is set; the next one comes on the period's grid. */
static void test_timer_masked_pending(void **state)
{
	const uint32_t period = 10;
	struct fx *f = *state;
	pt_out_imm(&f->p, PT_R1, PORT_TIMER_PERIOD, period);
	fill_nops(f, 4 * period);
	pt_op(&f->p, ISA_OP_MOVI, PT_R3, 0, 0, PSW_IE);
	uint32_t wrfl = pt_op(&f->p, ISA_OP_WRFL, PT_R3, 0, 0, 0);
	fill_nops(f, FILL_NOPS);
	const uint64_t wrfl_done = LI_OUT + 4 * period + 2;
	struct cpu_exit ex = cpu_run(&f->c, FILL_NOPS);
	assert_trap(&ex, TRAP_TIMER, (uint32_t)wrfl_done, wrfl + ISA_WORD_BYTES); /* detail: the clock when taken */
	assert_int_equal(f->c.clock, wrfl_done);
	ex = cpu_run(&f->c, FILL_NOPS);
	assert_trap(&ex, TRAP_TIMER, (uint32_t)(LI_OUT + 5 * period), addr_at_clock(LI_OUT + 5 * period));
}

/* in TIMER_CLOCK reads the clock with this instruction counted, low 32 bits. */
static void test_timer_clock_port(void **state)
{
	struct fx *f = *state;
	fill_nops(f, 4);
	pt_op(&f->p, ISA_OP_IN, PT_R1, 0, 0, PORT_TIMER_CLOCK);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_TIMER_CLOCK);
	cpu_run(&f->c, 6);
	assert_int_equal(f->c.r[PT_R1], 5);
	assert_int_equal(f->c.r[PT_R2], 6);

	const uint64_t high = (uint64_t)1 << 32;
	cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE + 4 * ISA_WORD_BYTES);
	f->c.clock = high + 1;
	cpu_run(&f->c, 1);
	assert_int_equal(f->c.r[PT_R1], 2);
}

/* ---- disk -------------------------------------------------------------- */

/* Emit the four outs of a transfer: sector, address, count, command. */
static void emit_transfer(struct fx *f, uint32_t sector, uint32_t addr, uint32_t count,
                          uint32_t cmd)
{
	pt_out_imm(&f->p, PT_R1, PORT_DISK_SECTOR, sector);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_ADDR, addr);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_COUNT, count);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_CMD, cmd);
}
#define TRANSFER_LEN (4 * LI_OUT) /* instructions of emit_transfer */

static uint64_t latency(uint32_t count)
{
	return DISK_LATENCY_BASE + (uint64_t)DISK_LATENCY_PER_SECTOR * count;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Bytes [off, off + n) of the disk file. */
static void read_disk(const struct fx *f, uint32_t off, uint8_t *buf, size_t n)
{
	FILE *d = fopen(f->disk, "rb");
	assert_non_null(d);
	assert_int_equal(fseek(d, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, n, d), n);
	fclose(d);
}

/* A read: the registers read back, status BUSY right after the command,
 * memory untouched until the completion clock, then the sectors are in
 * physical memory, status DONE, IRQ_DISK pending, and with IE = 1 the
 * interrupt is taken with detail DONE; writing 0 acknowledges (IDLE). */
static void test_disk_read(void **state)
{
	const uint32_t sector = 2, count = 3;
	const size_t bytes = (size_t)count * DISK_SECTOR_BYTES;
	struct fx *f = *state;
	emit_transfer(f, sector, DATA, count, DISK_CMD_READ);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_DISK_STATUS);
	pt_op(&f->p, ISA_OP_IN, PT_R3, 0, 0, PORT_DISK_SECTOR);
	pt_op(&f->p, ISA_OP_IN, PT_R4, 0, 0, PORT_DISK_ADDR);
	pt_op(&f->p, ISA_OP_IN, PT_R5, 0, 0, PORT_DISK_COUNT);
	pt_op(&f->p, ISA_OP_IN, PT_R6, 0, 0, PORT_DISK_SECTORS);
	fill_nops(f, FILL_NOPS);
	const uint64_t done = TRANSFER_LEN + latency(count);

	assert_int_equal(cpu_run(&f->c, done - 1).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], DISK_STATUS_BUSY);
	assert_int_equal(f->c.r[PT_R3], sector);
	assert_int_equal(f->c.r[PT_R4], DATA);
	assert_int_equal(f->c.r[PT_R5], count);
	assert_int_equal(f->c.r[PT_R6], DISK_SECTORS_N);
	assert_true(all_zero(f->p.mem + DATA, bytes));
	assert_int_equal(f->bus.disk_status, DISK_STATUS_BUSY);
	assert_int_equal(f->c.irq_pending, 0);

	assert_int_equal(cpu_run(&f->c, 1).stop, CPU_STOP_BUDGET);
	for (size_t i = 0; i < bytes; i++)
		if (f->p.mem[DATA + i] != disk_byte(sector * DISK_SECTOR_BYTES + (uint32_t)i))
			fail_msg("byte %zu of the transfer is wrong", i);
	assert_true(all_zero(f->p.mem + DATA + bytes, DISK_SECTOR_BYTES));
	assert_true(all_zero(f->p.mem + DATA - DISK_SECTOR_BYTES, DISK_SECTOR_BYTES));
	assert_int_equal(f->bus.disk_status, DISK_STATUS_DONE);
	assert_int_equal(f->c.irq_pending, IRQ_DISK);

	f->c.status |= PSW_IE;
	struct cpu_exit ex = cpu_run(&f->c, 1);
	assert_trap(&ex, TRAP_DISK, DISK_STATUS_DONE, addr_at_clock(done));

	f->p.pc = f->c.pc;
	pt_out_imm(&f->p, PT_R1, PORT_DISK_STATUS, DISK_STATUS_IDLE);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_DISK_STATUS);
	cpu_run(&f->c, LI_OUT + 1);
	assert_int_equal(f->c.r[PT_R2], DISK_STATUS_IDLE);
}

/* A write: the disk file is unchanged until the completion clock, then it
 * holds the memory bytes as they were at completion. */
static void test_disk_write(void **state)
{
	const uint32_t sector = 5, count = 2;
	const size_t bytes = (size_t)count * DISK_SECTOR_BYTES;
	struct fx *f = *state;
	for (size_t i = 0; i < bytes; i++)
		f->p.mem[DATA + i] = (uint8_t)(i ^ BYTE_MASK);
	emit_transfer(f, sector, DATA, count, DISK_CMD_WRITE);
	fill_nops(f, FILL_NOPS);
	const uint64_t done = TRANSFER_LEN + latency(count);
	uint8_t *buf = malloc(bytes);
	assert_non_null(buf);

	cpu_run(&f->c, done - 1);
	read_disk(f, sector * DISK_SECTOR_BYTES, buf, bytes);
	for (size_t i = 0; i < bytes; i++)
		assert_int_equal(buf[i], disk_byte(sector * DISK_SECTOR_BYTES + (uint32_t)i));
	/* Memory written while the transfer runs is what reaches the disk. */
	f->p.mem[DATA] = 0x5A;
	cpu_run(&f->c, 1);
	assert_int_equal(f->bus.disk_status, DISK_STATUS_DONE);
	read_disk(f, sector * DISK_SECTOR_BYTES, buf, bytes);
	assert_int_equal(buf[0], 0x5A);
	for (size_t i = 1; i < bytes; i++)
		assert_int_equal(buf[i], (uint8_t)(i ^ BYTE_MASK));
	read_disk(f, (sector + count) * DISK_SECTOR_BYTES, buf, DISK_SECTOR_BYTES);
	assert_int_equal(buf[0], disk_byte((sector + count) * DISK_SECTOR_BYTES));
	free(buf);
}

struct bad_transfer {
	uint32_t sector, addr, count, cmd;
	const char *what;
};

/* Transfers outside the disk or outside memory, or with an unknown
 * command, end in status ERROR with the interrupt raised, and write
 * nothing: neither memory nor the disk. */
static void test_disk_errors(void **state)
{
	static const struct bad_transfer bad[] = {
		{ DISK_SECTORS_N - 1, DATA, 2, DISK_CMD_READ, "read past the last sector" },
		{ DISK_SECTORS_N, DATA, 1, DISK_CMD_READ, "read at the sector count" },
		{ 0xFFFFFFFFu, DATA, 2, DISK_CMD_READ, "sector + count wraps" },
		{ 0, MEM - DISK_SECTOR_BYTES + ISA_WORD_BYTES, 1, DISK_CMD_READ, "read past memory" },
		{ 0, 0xFFFFFE00u, 1, DISK_CMD_READ, "address + bytes wraps" },
		{ 0, MEM - DISK_SECTOR_BYTES + 1, 1, DISK_CMD_WRITE, "write from past memory" },
		{ DISK_SECTORS_N - 1, DATA, 2, DISK_CMD_WRITE, "write past the last sector" },
		{ 0, DATA, 1, 3, "unknown command" },
		{ 0, DATA, 1, 0, "command 0" },
	};
	struct fx *f = *state;
	const size_t disk_len = (size_t)DISK_SECTORS_N * DISK_SECTOR_BYTES;
	uint8_t *disk = malloc(disk_len), *mem = malloc(MEM);
	assert_non_null(disk);
	assert_non_null(mem);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cpu_reset(&f->c, f->p.mem, MEM, ISA_VARIANT_WELL, CODE);
		f->p.pc = CODE;
		f->bus.disk_status = DISK_STATUS_IDLE;
		emit_transfer(f, bad[i].sector, bad[i].addr, bad[i].count, bad[i].cmd);
		fill_nops(f, FILL_NOPS);
		for (uint32_t a = DATA; a < MEM; a++)
			f->p.mem[a] = (uint8_t)(a * 3);
		memcpy(mem, f->p.mem, MEM);
		cpu_run(&f->c, TRANSFER_LEN + latency(bad[i].count));
		if (f->bus.disk_status != DISK_STATUS_ERROR)
			fail_msg("%s: status %u, expected error", bad[i].what, f->bus.disk_status);
		assert_int_equal(f->c.irq_pending, IRQ_DISK);
		pt_assert_mem_equal(f->p.mem, mem, MEM, bad[i].what);
		read_disk(f, 0, disk, disk_len);
		for (size_t k = 0; k < disk_len; k++)
			if (disk[k] != disk_byte((uint32_t)k))
				fail_msg("%s: disk byte %zu changed", bad[i].what, k);
	}
	free(disk);
	free(mem);
}

/* A transfer of zero sectors completes (DONE) after the base latency. */
static void test_disk_zero_sectors(void **state)
{
	struct fx *f = *state;
	emit_transfer(f, 0, DATA, 0, DISK_CMD_READ);
	fill_nops(f, FILL_NOPS);
	cpu_run(&f->c, TRANSFER_LEN + latency(0));
	assert_int_equal(f->bus.disk_status, DISK_STATUS_DONE);
	assert_true(all_zero(f->p.mem + DATA, DISK_SECTOR_BYTES));
}

/* With no disk attached, a command ends in ERROR and DISK_SECTORS reads 0. */
static void test_disk_none(void **state)
{
	struct fx *f = *state;
	dev_close(&f->bus);
	emit_transfer(f, 0, DATA, 1, DISK_CMD_READ);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_DISK_SECTORS);
	fill_nops(f, FILL_NOPS);
	f->bus.disk_sectors = 0;
	cpu_run(&f->c, TRANSFER_LEN + latency(1));
	assert_int_equal(f->bus.disk_status, DISK_STATUS_ERROR);
	assert_int_equal(f->c.r[PT_R2], 0);
}

/* A command while busy is ignored (the first transfer completes on time,
 * once); writing 0 to the status while busy does not cancel it. */
static void test_disk_busy(void **state)
{
	const uint32_t count = 1;
	struct fx *f = *state;
	emit_transfer(f, 0, DATA, count, DISK_CMD_READ);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_CMD, DISK_CMD_WRITE);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_STATUS, DISK_STATUS_IDLE);
	pt_op(&f->p, ISA_OP_IN, PT_R2, 0, 0, PORT_DISK_STATUS);
	fill_nops(f, FILL_NOPS);
	const uint64_t done = TRANSFER_LEN + latency(count);
	cpu_run(&f->c, done - 1);
	assert_int_equal(f->c.r[PT_R2], DISK_STATUS_BUSY);
	assert_true(all_zero(f->p.mem + DATA, DISK_SECTOR_BYTES));
	cpu_run(&f->c, 1);
	assert_int_equal(f->bus.disk_status, DISK_STATUS_DONE);
	assert_int_equal(f->bus.disk_cmd, DISK_CMD_READ);
	assert_int_equal(f->p.mem[DATA + 1], disk_byte(1));
}

/* The registers of a transfer are latched by its command: writing DISK_ADDR,
 * DISK_SECTOR or DISK_COUNT while it is busy sets up the NEXT transfer and
 * does not redirect the DMA of the one in flight. */
static void test_disk_registers_latched_at_command(void **state)
{
	const uint32_t count = 1;
	struct fx *f = *state;
	emit_transfer(f, 0, DATA, count, DISK_CMD_READ);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_ADDR, DATA2);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_SECTOR, DISK_SECTORS_N - 1);
	pt_out_imm(&f->p, PT_R1, PORT_DISK_COUNT, 2);
	fill_nops(f, FILL_NOPS);
	cpu_run(&f->c, TRANSFER_LEN + latency(count));
	assert_int_equal(f->bus.disk_status, DISK_STATUS_DONE);
	assert_true(all_zero(f->p.mem + DATA2, DISK_SECTOR_BYTES));
	assert_int_equal(f->p.mem[DATA + 1], disk_byte(1));
}

/* DMA over decoded code: the CPU, with its decoded-instruction cache,
 * runs a loop through the code at DATA; a disk read then replaces that
 * code; the very next time round, the new code runs. */
#define DMA_OLD_IMM 11
#define DMA_NEW_IMM 22
#define DMA_ROUNDS 4u /* loops run after the transfer ends */
static void test_disk_dma_over_decoded_code(void **state)
{
	struct fx *f = *state;
	struct cpu_dcache *dc = cpu_dcache_new(MEM);
	assert_non_null(dc);
	f->c.dcache = dc;
	/* Sector 0 of the disk: the new code, "movi r2, NEW; b back". */
	emit_transfer(f, 0, DATA, 1, DISK_CMD_READ);
	uint32_t loop = pt_jump(&f->p, ISA_OP_B, DATA);
	struct pt_prog code = f->p;
	code.pc = DATA;
	pt_op(&code, ISA_OP_MOVI, PT_R2, 0, 0, DMA_OLD_IMM);
	pt_jump(&code, ISA_OP_B, loop);
	uint8_t sector[DISK_SECTOR_BYTES] = { 0 };
	pg32_store32(sector, pt_enc(ISA_OP_MOVI, PT_R2, 0, 0, DMA_NEW_IMM));
	pg32_store32(sector + ISA_WORD_BYTES, pt_peek(&f->p, DATA + ISA_WORD_BYTES));
	int fd = open(f->disk, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, sector, sizeof sector, 0), (ssize_t)sizeof sector);
	close(fd);
	/* Up to just before the transfer ends, the old code runs (decoded). */
	const uint64_t done = TRANSFER_LEN + latency(1);
	assert_int_equal(cpu_run(&f->c, done - 1).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->c.r[PT_R2], DMA_OLD_IMM);
	assert_int_equal(f->bus.disk_status, DISK_STATUS_BUSY);
	/* One loop is three instructions: after the transfer, the new code. */
	assert_int_equal(cpu_run(&f->c, 3 * DMA_ROUNDS).stop, CPU_STOP_BUDGET);
	assert_int_equal(f->bus.disk_status, DISK_STATUS_DONE);
	assert_int_equal(f->c.r[PT_R2], DMA_NEW_IMM);
	f->c.dcache = NULL;
	cpu_dcache_free(dc);
}

/* dev_attach_disk: a missing file and a directory are PG32_EIO, a size that
 * is not a whole number of sectors PG32_EFORMAT, each with a message naming
 * the path; an empty file is a disk of 0 sectors; a good one sets the
 * sector count. */
static void test_disk_attach(void **state)
{
	struct fx *f = *state;
	char msg[MSG_LEN] = "";
	struct dev_bus bus;
	dev_init(&bus, NULL);
	const char *missing = "/nonexistent/trapeze/disk.img";
	assert_int_equal(dev_attach_disk(&bus, missing, msg, sizeof msg), PG32_EIO);
	assert_non_null(strstr(msg, missing));
	assert_int_equal(dev_attach_disk(&bus, "/tmp", msg, sizeof msg), PG32_EIO);
	assert_non_null(strstr(msg, "/tmp"));
	assert_int_equal(bus.disk_fd, -1);

	char odd[PATH_LEN] = DISK_TEMPLATE;
	assert_int_equal(make_disk(odd, DISK_SECTOR_BYTES + 1), 0);
	msg[0] = '\0';
	assert_int_equal(dev_attach_disk(&bus, odd, msg, sizeof msg), PG32_EFORMAT);
	assert_non_null(strstr(msg, odd));
	assert_int_equal(bus.disk_fd, -1);
	unlink(odd);

	char empty[PATH_LEN] = DISK_TEMPLATE;
	assert_int_equal(make_disk(empty, 0), 0);
	assert_int_equal(dev_attach_disk(&bus, empty, msg, sizeof msg), 0);
	assert_int_equal(bus.disk_sectors, 0);
	unlink(empty);
	/* Attaching again replaces the disk. */
	assert_int_equal(dev_attach_disk(&bus, f->disk, msg, sizeof msg), 0);
	assert_int_equal(bus.disk_sectors, DISK_SECTORS_N);
	dev_close(&bus);
	assert_int_equal(bus.disk_fd, -1);
	dev_close(&bus); /* twice is harmless */
}

/* ---- power and unused ports ------------------------------------------- */

/* out POWER_OFF stops the CPU with the low byte as the exit code, after
 * retiring the out; further runs retire nothing. */
static void test_power_off(void **state)
{
	struct fx *f = *state;
	pt_out_imm(&f->p, PT_R1, PORT_POWER_OFF, 0x1FFu);
	uint32_t after = f->p.pc;
	fill_nops(f, 4);
	struct cpu_exit ex = cpu_run(&f->c, FILL_NOPS);
	assert_int_equal(ex.stop, CPU_STOP_POWEROFF);
	assert_int_equal(f->bus.exit_code, BYTE_MASK);
	assert_true(f->bus.powered_off);
	assert_int_equal(f->c.pc, after);
	assert_int_equal(f->c.clock, LI_OUT);
	assert_int_equal(cpu_run(&f->c, FILL_NOPS).stop, CPU_STOP_POWEROFF);
	assert_int_equal(f->c.clock, LI_OUT);
}

/* Unused ports read PORT_NONE_VALUE; writes to unused and read-only ports
 * change nothing. */
static void test_unused_ports(void **state)
{
	static const uint32_t unused[] = { 0x03, 0x12, 0x26, UNUSED_PORT, ISA_UIMM16_MAX };
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++)
		pt_op(&f->p, ISA_OP_IN, PT_R1 + (unsigned)i, 0, 0, (int32_t)unused[i]);
	pt_out_imm(&f->p, PT_R10, PORT_DISK_SECTORS, 1);
	pt_out_imm(&f->p, PT_R10, PORT_TIMER_CLOCK, 1);
	pt_out_imm(&f->p, PT_R10, PORT_CONSOLE_STATUS, 1);
	pt_out_imm(&f->p, PT_R10, UNUSED_PORT, 1);
	pt_op(&f->p, ISA_OP_IN, PT_R11, 0, 0, PORT_DISK_SECTORS);
	pt_op(&f->p, ISA_OP_IN, PT_R12, 0, 0, PORT_CONSOLE_STATUS);
	pt_op(&f->p, ISA_OP_HALT, 0, 0, 0, 0);
	assert_int_equal(cpu_run(&f->c, FILL_NOPS).stop, CPU_STOP_HALT);
	for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++)
		assert_int_equal(f->c.r[PT_R1 + i], PORT_NONE_VALUE);
	assert_int_equal(f->c.r[PT_R11], DISK_SECTORS_N);
	assert_int_equal(f->c.r[PT_R12], CONSOLE_STATUS_EOF);
	assert_false(f->bus.powered_off);
	fflush(f->console);
	assert_int_equal(f->out_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_console_output),
		T(test_console_output_discarded),
		T(test_console_input_buffer),
		T(test_console_input_none),
		T(test_console_input_stream),
		T(test_timer_period_and_landing),
		T(test_timer_stop),
		T(test_timer_masked_pending),
		T(test_timer_clock_port),
		T(test_disk_read),
		T(test_disk_write),
		T(test_disk_errors),
		T(test_disk_zero_sectors),
		T(test_disk_none),
		T(test_disk_busy),
		T(test_disk_registers_latched_at_command),
		T(test_disk_attach),
		T(test_power_off),
		T(test_unused_ports),
		T(test_disk_dma_over_decoded_code),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
