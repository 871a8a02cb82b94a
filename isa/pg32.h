/*
 * pg32.h -- the public interface of isa/: the PG32 machine.
 *
 * PG32 is a toy 32-bit machine on Popek and Goldberg's model: state
 * S = <E, M, P, R> (memory, mode, program counter, relocation-bounds
 * register) plus sixteen general registers and condition flags.  This header
 * gives the instruction table and its encoding, the trap and port numbers,
 * the CPU, the devices, the image format and the bare-machine runner.  Other
 * folders include only this header from isa/.
 *
 * Conventions: every function that can fail returns 0 on success and a
 * negative PG32_E* code on failure, with a message in the caller's buffer
 * where one is taken.  Nothing here calls exit() or prints on its own, except
 * the console device, which writes where it was told to.
 */
#ifndef PG32_H
#define PG32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ====================================================================
 * Instruction encoding.  Every instruction is one 32-bit little-endian
 * word, so a monitor can patch any instruction in place with another.
 *
 *   31      24 23    20 19    16 15    12 11                 0
 *  +----------+--------+--------+--------+--------------------+
 *  |  opcode  |   rd   |   rs   |   rt   |      0 (unused)    |  RRR RR R
 *  +----------+--------+--------+--------+--------------------+
 *  |  opcode  |   rd   |   rs   |          imm16              |  RRI RRU RRS
 *  +----------+--------+--------+-----------------------------+  RI RU MEM U
 *  |  opcode  |                 off24 (signed words)          |  J
 *  +----------+-----------------------------------------------+
 *
 * Unused fields must be zero; a word with a non-zero unused field, an
 * out-of-range shift count or an undefined opcode is an illegal instruction.
 * ==================================================================== */
#define ISA_OPCODE_SHIFT 24
#define ISA_RD_SHIFT     20
#define ISA_RS_SHIFT     16
#define ISA_RT_SHIFT     12
#define ISA_REG_MASK     0xFu
#define ISA_IMM16_MASK   0xFFFFu
#define ISA_OFF24_MASK   0xFFFFFFu
#define ISA_LOW12_MASK   0xFFFu

#define ISA_WORD_OPCODE(w) ((uint32_t)(w) >> ISA_OPCODE_SHIFT)
#define ISA_WORD_RD(w)     (((uint32_t)(w) >> ISA_RD_SHIFT) & ISA_REG_MASK)
#define ISA_WORD_RS(w)     (((uint32_t)(w) >> ISA_RS_SHIFT) & ISA_REG_MASK)
#define ISA_WORD_RT(w)     (((uint32_t)(w) >> ISA_RT_SHIFT) & ISA_REG_MASK)
#define ISA_WORD_UIMM(w)   ((uint32_t)(w) & ISA_IMM16_MASK)
#define ISA_WORD_SIMM(w)   ((int32_t)(int16_t)((uint32_t)(w) & ISA_IMM16_MASK))
#define ISA_WORD_OFF24(w)  (((int32_t)((uint32_t)(w) << 8)) >> 8)

#define ISA_WORD_BYTES   4u
#define ISA_NREGS        16
#define ISA_SHIFT_MAX    31
#define ISA_SIMM16_MIN   (-32768)
#define ISA_SIMM16_MAX   32767
#define ISA_UIMM16_MAX   65535
#define ISA_OFF24_MIN    (-(1 << 23))
#define ISA_OFF24_MAX    ((1 << 23) - 1)

/* Register aliases (the calling convention of the shipped guests). */
#define ISA_REG_FP 13 /* fp: frame pointer */
#define ISA_REG_SP 14 /* sp: stack pointer */
#define ISA_REG_LR 15 /* lr: link register, written by call and callr */

/* Operand formats: X(NAME, assembler syntax, fields used, unused bits).
 * The unused bits of a format must be zero in a legal instruction word
 * (for RRS they include the bits of a shift count above 31). */
#define ISA_FORMATS(X)                                                      \
	X(N,   "",             "none",                           0x00FFFFFFu) \
	X(RRR, "rd, rs, rt",   "rd rs rt",                       0x00000FFFu) \
	X(RR,  "rd, rs",       "rd rs",                          0x0000FFFFu) \
	X(R,   "rd",           "rd",                             0x000FFFFFu) \
	X(RRI, "rd, rs, simm", "rd rs imm16 (signed)",           0x00000000u) \
	X(RRU, "rd, rs, uimm", "rd rs imm16 (unsigned)",         0x00000000u) \
	X(RRS, "rd, rs, sh",   "rd rs imm16 (shift 0..31)",      0x0000FFE0u) \
	X(RI,  "rd, simm",     "rd imm16 (signed)",              0x000F0000u) \
	X(RU,  "rd, uimm",     "rd imm16 (unsigned)",            0x000F0000u) \
	X(MEM, "rd, simm(rs)", "rd rs imm16 (signed)",           0x00000000u) \
	X(J,   "target",       "off24 (signed words from pc+4)", 0x00000000u) \
	X(U,   "uimm",         "imm16 (unsigned)",               0x00FF0000u)

enum isa_format {
#define ISA_FMT_ENUM(name, syntax, fields, unused) ISA_FMT_##name,
	ISA_FORMATS(ISA_FMT_ENUM)
#undef ISA_FMT_ENUM
	ISA_NFORMATS
};

/* ISA_UNUSED_<NAME>: the unused-bits mask of each format, as constants. */
enum {
#define ISA_FMT_UNUSED(name, syntax, fields, unused) ISA_UNUSED_##name = unused,
	ISA_FORMATS(ISA_FMT_UNUSED)
#undef ISA_FMT_UNUSED
};

/* Instruction flags (see isa.def): the Popek-Goldberg class, and ISA_F_JUMP. */
#define ISA_F_PRIV     (1u << 0)
#define ISA_F_CONTROL  (1u << 1)
#define ISA_F_LOCATION (1u << 2)
#define ISA_F_MODE     (1u << 3)
#define ISA_F_TRAPS    (1u << 4)
#define ISA_F_JUMP     (1u << 5)
#define ISA_F_SENSITIVE (ISA_F_CONTROL | ISA_F_LOCATION | ISA_F_MODE)
/* Instructions that end a basic block: the next one need not be the next
 * word (isa_ends_block). */
#define ISA_F_ENDS_BLOCK (ISA_F_JUMP | ISA_F_TRAPS | ISA_F_CONTROL)
/* The Popek-Goldberg class bits: an instruction with none is innocuous. */
#define ISA_F_CLASS    (ISA_F_PRIV | ISA_F_SENSITIVE | ISA_F_TRAPS)

/* What a critical instruction does in user mode in the ill-behaved variant. */
enum isa_ill {
	ISA_ILL_NONE,        /* not critical: the same in both variants */
	ISA_ILL_REVEAL_R,    /* reads the real R (x86 SGDT/SIDT) */
	ISA_ILL_REVEAL_MODE, /* reads the real mode (x86 SMSW, PUSHF) */
	ISA_ILL_IGNORE_IE,   /* writes the flags, silently ignores IE (x86 POPF) */
	ISA_ILL_USER_JUMP,   /* only a jump in user mode (PDP-10 JRST 1) */
};

enum isa_opcode {
	ISA_OP_UNDEFINED = 0,
#define ISA_OP(name, mn, fmt, flags, ill, meaning) ISA_OP_##name,
#include "isa.def"
#undef ISA_OP
	ISA_NOPS /* one past the last opcode */
};

struct isa_opinfo {
	const char *mnemonic;
	enum isa_format format;
	unsigned flags;      /* ISA_F_* */
	enum isa_ill ill;    /* ISA_ILL_* */
	const char *meaning; /* register-transfer notation */
};

/* Table row for opcode op, or NULL when op is undefined. */
const struct isa_opinfo *isa_info(unsigned op);
/* Opcode for a mnemonic (case-insensitive), or ISA_OP_UNDEFINED. */
enum isa_opcode isa_lookup(const char *mnemonic);
/* Assembler syntax and field description of a format. */
const char *isa_format_syntax(enum isa_format f);
const char *isa_format_fields(enum isa_format f);
/* Real-world twin of a critical instruction's ill behaviour, or "". */
const char *isa_ill_twin(enum isa_ill ill);
/* One line saying what a critical instruction does in ill user mode. */
const char *isa_ill_behaviour(enum isa_ill ill);

/* A decoded instruction.  imm is sign- or zero-extended as the format says;
 * for J it is the signed word offset. */
struct isa_insn {
	enum isa_opcode op;
	uint8_t rd, rs, rt;
	int32_t imm;
};

/* Decode w.  Returns 0, or PG32_EILLEGAL for an undefined opcode, a
 * non-zero unused field or an out-of-range shift count. */
int isa_decode(uint32_t w, struct isa_insn *out);
/* Encode in into *w.  Returns 0, or PG32_ERANGE when a field does not fit
 * (the message, if msg is not NULL, says which field and its range). */
int isa_encode(const struct isa_insn *in, uint32_t *w, char *msg, size_t msglen);
/* Range of the immediate of format f: [*lo, *hi]. false if none. */
bool isa_imm_range(enum isa_format f, int32_t *lo, int32_t *hi);

/* Disassembly.  Symbol lookup is optional (NULL); when given it returns the
 * name of a symbol at exactly addr, or NULL. */
typedef const char *(*isa_symbolizer)(void *ctx, uint32_t addr);
/* Write the assembler text of the word w at address pc into buf: always
 * text the assembler reads back (".word 0x..." for an illegal word). */
void isa_disasm(uint32_t w, uint32_t pc, isa_symbolizer sym, void *ctx,
                char *buf, size_t len);

/* Register name: "r0".."r12", "fp", "sp", "lr". */
const char *isa_reg_name(unsigned r);

/* ====================================================================
 * The PSW and the status word.
 *
 *   PSW = (status, pc, base, bound), four words when stored in memory.
 *
 *   status:  31            8   7   6   5   4   3   2   1    0
 *           +---------------+---+---+---+---+-------+----+---+
 *           |  0 (reserved) | V | C | Z | N |   0   | IE | S |
 *           +---------------+---+---+---+---+-------+----+---+
 *   S = 1: system mode; IE = 1: interrupts enabled.  Reserved bits read 0
 *   and are ignored when loaded.
 * ==================================================================== */
#define PSW_S   (1u << 0)
#define PSW_IE  (1u << 1)
#define PSW_N   (1u << 4)
#define PSW_Z   (1u << 5)
#define PSW_C   (1u << 6)
#define PSW_V   (1u << 7)
#define PSW_FLAGS (PSW_N | PSW_Z | PSW_C | PSW_V)
#define PSW_VALID (PSW_S | PSW_IE | PSW_FLAGS)

#define PSW_WORDS 4
#define PSW_OFF_STATUS 0
#define PSW_OFF_PC     4
#define PSW_OFF_BASE   8
#define PSW_OFF_BOUND  12
#define PSW_BYTES (PSW_WORDS * ISA_WORD_BYTES)

/* ====================================================================
 * Physical memory map: the fixed trap words.
 *
 *   0x0000 +-----------------------------+
 *          | old PSW: status pc base bnd |  written on every trap
 *   0x0010 | cause                       |
 *   0x0014 | detail                      |
 *   0x0018 | (reserved)                  |
 *   0x0020 | new PSW: status pc base bnd |  loaded on every trap
 *   0x0030 | (free for the kernel)       |
 *   0x0100 | conventional load address   |
 *          |            ...              |
 *   size   +-----------------------------+
 * ==================================================================== */
#define PG32_OLD_PSW   0x00u
#define PG32_CAUSE     0x10u
#define PG32_DETAIL    0x14u
#define PG32_NEW_PSW   0x20u
#define PG32_TRAP_AREA_END 0x30u
#define PG32_LOAD_ADDR 0x100u

#define PG32_MEM_MIN     4096u
#define PG32_MEM_MAX     (256u << 20)
#define PG32_MEM_DEFAULT (1u << 20)

/* ====================================================================
 * Trap causes: X(NAME, code, short name, kind, description, detail word).
 * A fault saves the pc of the faulting instruction and changes nothing
 * else; a trap (svc, brk, hcall) retires its instruction and saves the next
 * pc; an interrupt is taken between instructions and saves the pc of the
 * next instruction to run.
 * ==================================================================== */
#define PG32_TRAPS(X)                                                                                \
	X(PRIV,    1, "priv",    "fault",     "privileged instruction in user mode", "the instruction word") \
	X(MEMORY,  2, "memory",  "fault",     "access outside R or outside memory",  "the virtual address")  \
	X(ALIGN,   3, "align",   "fault",     "misaligned word access or pc",        "the virtual address")  \
	X(ILLEGAL, 4, "illegal", "fault",     "undefined or malformed instruction",  "the instruction word") \
	X(DIVIDE,  5, "divide",  "fault",     "division or remainder by zero",       "the instruction word") \
	X(SVC,     6, "svc",     "trap",      "supervisor call",                     "the svc number")       \
	X(BRK,     7, "brk",     "trap",      "breakpoint",                          "the brk number")       \
	X(HCALL,   8, "hcall",   "trap",      "hypercall",                           "the hcall number")     \
	X(TIMER,   9, "timer",   "interrupt", "interval timer expired",              "the clock, low 32 bits") \
	X(DISK,   10, "disk",    "interrupt", "disk transfer complete",              "the disk status")    \
	X(WATCH,  11, "watch",   "fault",     "a watched word fetched, loaded or stored (monitor support: never delivered to a guest)", "the virtual address")

enum pg32_trap {
	TRAP_NONE = 0,
#define PG32_TRAP_ENUM(name, code, sname, kind, what, detail) TRAP_##name = code,
	PG32_TRAPS(PG32_TRAP_ENUM)
#undef PG32_TRAP_ENUM
	TRAP_NCAUSES
};
/* Short name ("priv", "memory", ...) and description of a cause. */
const char *pg32_trap_name(unsigned cause);
const char *pg32_trap_what(unsigned cause);
bool pg32_trap_is_interrupt(unsigned cause);

/* ====================================================================
 * I/O ports: X(NAME, port, direction, description).
 * ==================================================================== */
#define PG32_PORTS(X)                                                                          \
	X(CONSOLE_OUT,    0x00, "out",    "write the low byte to the console")                     \
	X(CONSOLE_IN,     0x01, "in",     "read one input byte; 0xFFFFFFFF when no input is left") \
	X(CONSOLE_STATUS, 0x02, "in",     "bit 0: an input byte is ready; bit 1: input is at its end") \
	X(TIMER_PERIOD,   0x10, "in/out", "instructions between timer interrupts; 0 stops the timer") \
	X(TIMER_CLOCK,    0x11, "in",     "the clock (instructions retired), low 32 bits")         \
	X(DISK_SECTOR,    0x20, "in/out", "first sector of the next transfer")                     \
	X(DISK_ADDR,      0x21, "in/out", "physical memory address of the next transfer")          \
	X(DISK_COUNT,     0x22, "in/out", "number of sectors of the next transfer")                \
	X(DISK_CMD,       0x23, "out",    "1: read sectors into memory, 2: write memory to sectors") \
	X(DISK_STATUS,    0x24, "in/out", "0 idle, 1 busy, 2 done, 3 error; writing 0 acknowledges") \
	X(DISK_SECTORS,   0x25, "in",     "size of the disk in sectors")                           \
	X(POWER_OFF,      0x30, "out",    "power off; the low byte is the exit code")

enum pg32_port {
#define PG32_PORT_ENUM(name, num, dir, what) PORT_##name = num,
	PG32_PORTS(PG32_PORT_ENUM)
#undef PG32_PORT_ENUM
};

#define DISK_CMD_READ  1u
#define DISK_CMD_WRITE 2u
#define DISK_STATUS_IDLE  0u
#define DISK_STATUS_BUSY  1u
#define DISK_STATUS_DONE  2u
#define DISK_STATUS_ERROR 3u
#define DISK_SECTOR_BYTES 512u
/* A transfer completes this many instructions after its command, plus
 * DISK_LATENCY_PER_SECTOR for each sector: deterministic device time. */
#define DISK_LATENCY_BASE       200u
#define DISK_LATENCY_PER_SECTOR 50u
#define CONSOLE_IN_NONE 0xFFFFFFFFu
#define CONSOLE_STATUS_READY 1u
#define CONSOLE_STATUS_EOF   2u
#define PORT_NONE_VALUE 0xFFFFFFFFu /* what in reads from an unused port */

/* Interrupt sources, as bits of cpu.irq_pending, in priority order. */
#define IRQ_TIMER (1u << 0)
#define IRQ_DISK  (1u << 1)

/* ====================================================================
 * Errors.
 * ==================================================================== */
#define PG32_ERRORS(X)                             \
	X(EILLEGAL, 1, "illegal instruction")      \
	X(ERANGE,   2, "value out of range")       \
	X(EIO,      3, "input/output error")       \
	X(EFORMAT,  4, "malformed image")          \
	X(ENOMEM,   5, "out of memory")            \
	X(EARG,     6, "bad argument")

enum pg32_error {
#define PG32_ERR_ENUM(name, code, what) PG32_##name = -(code),
	PG32_ERRORS(PG32_ERR_ENUM)
#undef PG32_ERR_ENUM
};
const char *pg32_strerror(int err);

/* ====================================================================
 * Variants.  The well-behaved variant (every sensitive instruction is
 * privileged) is the default.  The ill-behaved variant makes a chosen
 * subset of the critical instructions unprivileged; the set is a bit mask
 * indexed by opcode: bit op set = opcode op runs in user mode with its
 * ISA_ILL_* behaviour instead of trapping.
 * ==================================================================== */
typedef uint64_t isa_variant;
#define ISA_VARIANT_WELL ((isa_variant)0)
#define ISA_VARIANT_BIT(op) ((isa_variant)1 << (op))
/* Every critical instruction of the table. */
isa_variant isa_variant_all_ill(void);
/* Parse "well", "ill" or "ill:NAME,NAME" (names are mnemonics of critical
 * instructions).  Returns 0 or PG32_EARG with a message. */
int isa_variant_parse(const char *text, isa_variant *out, char *msg, size_t msglen);
/* Write the canonical text of v ("well", "ill" or "ill:srr,rtu"). */
void isa_variant_format(isa_variant v, char *buf, size_t len);
/* Does opcode op trap in user mode under variant v? */
bool isa_traps_in_user(isa_variant v, unsigned op);
/* Is op the last instruction of a basic block: a transfer of control, a
 * control-sensitive instruction, one that always traps, or undefined?
 * (The fast CPU loop's blocks and the binary rewriter's.) */
bool isa_ends_block(unsigned op);

/* ====================================================================
 * Devices of the bare machine: console, interval timer, disk, power.
 * Device time is the CPU clock: all events fall on instruction counts.
 * ==================================================================== */
struct dev_bus {
	/* console */
	FILE *console_out;          /* NULL: output is discarded */
	const uint8_t *input;       /* input bytes when from a file or string */
	size_t input_len, input_pos;
	FILE *input_stream;         /* or read byte by byte (a terminal) */
	bool input_eof;
	/* interval timer */
	uint32_t timer_period;
	uint64_t timer_next;        /* clock value of the next expiry */
	/* disk */
	int disk_fd;                /* -1: no disk */
	uint32_t disk_sectors;
	uint32_t disk_sector, disk_addr, disk_count, disk_status, disk_cmd;
	/* the transfer in flight, latched from the registers by its command */
	uint32_t xfer_sector, xfer_addr, xfer_count;
	uint64_t disk_done_at;      /* clock value at which the transfer ends */
	/* power */
	bool powered_off;
	uint32_t exit_code;
};

/* A bus with no input, no disk, output to console_out. */
void dev_init(struct dev_bus *bus, FILE *console_out);
/* Console input from a buffer the caller keeps alive, or from a stream. */
void dev_set_input(struct dev_bus *bus, const uint8_t *bytes, size_t len);
void dev_set_input_stream(struct dev_bus *bus, FILE *stream);
/* Open a disk image file read-write and check that it is a regular file
 * of a whole number of sectors: *fd and *sectors are set.  Returns 0 or
 * PG32_EIO / PG32_EFORMAT with a message naming the path. */
int dev_open_disk_file(const char *path, int *fd, uint32_t *sectors, char *msg,
                       size_t msglen);
/* Attach a disk image file (its size must be a multiple of the sector
 * size).  Returns 0 or PG32_EIO / PG32_EFORMAT with a message. */
int dev_attach_disk(struct dev_bus *bus, const char *path, char *msg, size_t msglen);
void dev_close(struct dev_bus *bus);

/* ====================================================================
 * The CPU.  All state in one struct of plain integers; no globals.
 * ==================================================================== */
struct cpu {
	uint32_t r[ISA_NREGS];
	uint32_t pc;
	uint32_t status;            /* PSW_S | PSW_IE | flags */
	uint32_t base, bound;       /* R */
	uint8_t *mem;               /* E: physical memory, mem_size bytes */
	uint32_t mem_size;
	uint64_t clock;             /* retired instructions (+ idle time) */
	isa_variant variant;
	uint32_t irq_pending;       /* IRQ_* bits raised by devices */
	bool waiting;               /* after halt with IE = 1: idle until an interrupt */
	struct dev_bus *bus;        /* NULL: in reads PORT_NONE_VALUE, out ignored */
	/* Monitor support, not part of the guest-visible architecture: the
	 * watch map.  NULL (the bare machine, cpu_reset) = no checks at all.
	 * Otherwise watch[i] holds CPU_WATCH_* bits for the physical word at
	 * watch_base + 4 * i, for i < watch_words; a fetch of an X word, a load
	 * touching an R word or a store touching a W word faults with
	 * TRAP_WATCH (detail: the virtual address; trap.access: the bit), after
	 * the access's own alignment and bounds checks.  Nothing retires. */
	const uint8_t *watch;
	uint32_t watch_base;        /* physical address of the word watch[0] is for */
	uint32_t watch_words;
	/* Speed, not architecture: the decoded-instruction cache (made by
	 * cpu_dcache_new, owned by whoever made it).  NULL, while R reaches
	 * past the memory it covers or its base is not a multiple of 4, or
	 * while the flags are none a compare gives: cpu_run decodes every word
	 * as it fetches it (the reference loop); either way every instruction
	 * means the same. */
	struct cpu_dcache *dcache;
};

/* The decoded-instruction cache: one entry per physical word, made from
 * its word, run by the fast loop in blocks (isa/cpu_loop.h).  It needs no
 * invalidation from outside: every run of the CPU checks each block
 * against memory before it first runs it, and the CPU's own stores into
 * decoded code are caught as they happen, so whoever writes memory (the
 * guest, DMA, a monitor, a debugger), no stale entry is ever used.  It can
 * be shared by any number of struct cpu (copies, snapshots, the guests of
 * a monitor) that do not run at the same time.  It takes 25 bytes per word
 * of memory covered (6.25 per byte), in pages the system gives only when
 * code there first runs, and 32 KiB more. */
struct cpu_dcache;
/* The most blocks the cache keeps checked at once: checking one more
 * forgets them all (to be checked again when they next run). */
#define CPU_DCACHE_CHECKED_MAX 4096u
/* A cache for physical memory [0, mem_size); NULL when out of memory
 * (the CPU then runs without one). */
struct cpu_dcache *cpu_dcache_new(uint32_t mem_size);
/* The bytes of physical memory d covers (0 for NULL). */
uint32_t cpu_dcache_covers(const struct cpu_dcache *d);
void cpu_dcache_free(struct cpu_dcache *d);

/* Watch-map bits (struct cpu.watch). */
#define CPU_WATCH_X 1u /* fetching the word traps: code not yet scanned */
#define CPU_WATCH_R 2u /* loading from it traps: a patched word */
#define CPU_WATCH_W 4u /* storing into it traps: scanned code */

/* Why cpu_run returned. */
enum cpu_stop {
	CPU_STOP_TRAP,     /* a trap or an interrupt: see cpu_exit.trap */
	CPU_STOP_BUDGET,   /* the instruction budget is spent */
	CPU_STOP_HALT,     /* halt with nothing to wait for */
	CPU_STOP_POWEROFF, /* the power port was written */
};

/* A trap as the CPU reports it, before anyone delivers it.  The CPU state
 * is exactly as before the faulting instruction (faults) or after the
 * trapping instruction (svc, brk, hcall); pc is still the instruction's. */
struct cpu_trap {
	uint32_t cause;   /* TRAP_* */
	uint32_t detail;  /* see PG32_TRAPS */
	uint32_t pc;      /* the pc to save in the old PSW */
	uint32_t insn_pc; /* address of the instruction that trapped */
	uint32_t insn;    /* its word as fetched (0 for interrupts) */
	uint32_t access;  /* TRAP_WATCH: the CPU_WATCH_* bit that hit, else 0 */
};

struct cpu_exit {
	enum cpu_stop stop;
	struct cpu_trap trap; /* when stop == CPU_STOP_TRAP */
};

/* Reset: system mode, interrupts off, flags clear, registers zero,
 * R = (0, mem_size), pc = entry, clock = 0.  mem must stay alive.  The
 * wiring is kept (bus, dcache): zero a struct cpu before its first reset. */
void cpu_reset(struct cpu *c, uint8_t *mem, uint32_t mem_size, isa_variant v,
               uint32_t entry);
/* Run until a trap, a halt, a power-off, or until budget instructions have
 * retired.  Never delivers a trap: the caller decides (cpu_deliver_trap on
 * the bare machine; a monitor handles it itself). */
struct cpu_exit cpu_run(struct cpu *c, uint64_t budget);
/* Monitor support: run the one instruction word w as if it had been
 * fetched at c->pc (no fetch, so no fetch fault and no X watch), with the
 * same meaning as in cpu_run, and return like cpu_run with a budget of 1.
 * No device ticks and no interrupts: the caller runs those. */
struct cpu_exit cpu_exec_word(struct cpu *c, uint32_t w);
/* Deliver t by the PSW swap: store old PSW, cause and detail at their fixed
 * physical addresses, then load the new PSW.  Nothing else changes. */
void cpu_deliver_trap(struct cpu *c, const struct cpu_trap *t);

/* Relocation: the legal extent of virtual addresses under R.  An access of
 * n bytes at virtual address a is legal iff a + n <= bound and
 * base + a + n <= mem_size, that is iff a + n <= cpu_limit(c). */
static inline uint32_t cpu_limit_of(uint32_t base, uint32_t bound, uint32_t mem_size)
{
	if (base >= mem_size)
		return 0;
	return bound < mem_size - base ? bound : mem_size - base;
}
/* Is [a, a+n) legal under (base, bound)? */
static inline bool cpu_access_ok(uint32_t base, uint32_t bound, uint32_t mem_size,
                                 uint32_t a, uint32_t n)
{
	return (uint64_t)a + n <= cpu_limit_of(base, bound, mem_size);
}

/* Little-endian word access to a byte buffer. */
static inline uint32_t pg32_load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline void pg32_store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ====================================================================
 * Image format, version 1 (all fields little-endian 32-bit words).
 *
 *   offset  field
 *   0       magic        IMG_MAGIC ("PG32")
 *   4       version      IMG_VERSION
 *   8       variant lo   required ISA variant (isa_variant, low word)
 *   12      variant hi   (high word)
 *   16      entry        physical address of the first instruction
 *   20      nsegs        number of load segments (at most IMG_MAX_SEGS)
 *   24      nsyms        number of symbols (at most IMG_MAX_SYMS)
 *   28      strtab_size  bytes of the string table
 *   32      segment table: nsegs entries of
 *             { file offset, file size, load address, memory size }
 *           symbol table: nsyms entries of { value, name offset, kind }
 *           string table: strtab_size bytes of NUL-terminated names
 *           segment contents, at their file offsets
 *
 * A segment's bytes go to [load address, load address + file size); the
 * rest up to memory size is zero.  Segments may not overlap each other,
 * the trap area below PG32_TRAP_AREA_END, or the header's own tables.
 * Symbol names are unique and spelled as assembler labels
 * ([A-Za-z_][A-Za-z0-9_]*); each symbol lies inside a segment or at its
 * very end, so every image can be disassembled and assembled back.
 *
 * An image owns its memory: each segment's data and each symbol's name
 * come from malloc and img_free frees them.  img_write lays the file out
 * one canonical way (tables, then segment data in order; symbols by value).
 * ==================================================================== */
#define IMG_MAGIC   0x32334750u /* "PG32" */
#define IMG_VERSION 1u
#define IMG_HEADER_BYTES 32u
#define IMG_SEG_BYTES 16u
#define IMG_SYM_BYTES 12u
#define IMG_MAX_SEGS 64u
#define IMG_MAX_SYMS 65536u
#define IMG_MAX_BYTES (PG32_MEM_MAX + (16u << 20))
#define IMG_SYM_CODE 1u
#define IMG_SYM_DATA 2u

struct img_segment {
	uint32_t addr;     /* physical load address */
	uint32_t mem_size; /* bytes in memory (>= the data's size) */
	uint32_t size;     /* bytes of data */
	uint8_t *data;
};

struct img_symbol {
	uint32_t value;
	uint32_t kind; /* IMG_SYM_* */
	char *name;
};

struct image {
	isa_variant variant;
	uint32_t entry;
	uint32_t nsegs, nsyms;
	struct img_segment *segs;
	struct img_symbol *syms; /* sorted by value */
};

/* Parse an image from bytes.  Every field is checked; on failure returns
 * PG32_EFORMAT with a one-line message naming the problem. */
int img_parse(const uint8_t *bytes, size_t len, struct image *img, char *msg,
              size_t msglen);
/* Read and parse a file; messages start with the path. */
int img_load_file(const char *path, struct image *img, char *msg, size_t msglen);
/* Serialize img (which must be valid) into a malloc'd buffer. */
int img_write(const struct image *img, uint8_t **bytes, size_t *len);
int img_write_file(const struct image *img, const char *path, char *msg, size_t msglen);
/* Copy the segments into memory; fails if one does not fit. */
int img_place(const struct image *img, uint8_t *mem, uint32_t mem_size, char *msg,
              size_t msglen);
/* Name of the symbol at exactly addr (code symbols preferred), or NULL. */
const char *img_symbol_at(const struct image *img, uint32_t addr);
/* Value of a symbol by name; false if absent. */
bool img_symbol_value(const struct image *img, const char *name, uint32_t *value);
void img_free(struct image *img);

/* Read a whole file into a malloc'd buffer, at most max bytes. */
int pg32_read_file(const char *path, size_t max, uint8_t **bytes, size_t *len,
                   char *msg, size_t msglen);

/* ====================================================================
 * The bare machine: CPU, memory and devices, with every trap delivered
 * architecturally by the PSW swap.
 * ==================================================================== */
enum bare_end {
	BARE_POWEROFF,    /* the guest wrote the power port */
	BARE_HALTED,      /* halt with interrupts off, or nothing to wait for */
	BARE_LIMIT,       /* --max-instructions reached */
	BARE_TRAP_LOOP,   /* traps with no instruction retired between them */
};
/* How many deliveries in a row without a retired instruction make a trap
 * loop (a new PSW that faults at once, for example). */
#define BARE_MAX_TRAPS_WITHOUT_PROGRESS 8

/* Trace hook: called before each instruction that runs, with t == NULL
 * (not for one an interrupt is taken in place of, nor while the CPU
 * waits), and for each trap, before it is delivered, with t set. */
typedef void (*bare_trace_fn)(void *ctx, const struct cpu *c, const struct cpu_trap *t);

struct bare_machine {
	struct cpu cpu;
	struct dev_bus bus;
	uint8_t *mem;
	struct cpu_dcache *dcache; /* cpu.dcache; NULL: the reference loop */
	bare_trace_fn trace; /* if set, the machine runs one instruction at a time */
	void *trace_ctx;
};

/* Allocate mem_size bytes, place the image, reset the CPU at its entry,
 * and give it a decoded-instruction cache (when there is memory for one). */
int bare_init(struct bare_machine *m, const struct image *img, uint32_t mem_size,
              isa_variant v, FILE *console_out, char *msg, size_t msglen);
/* Run until power-off or halt, or until the clock reaches max_instructions
 * (0: no limit). */
enum bare_end bare_run(struct bare_machine *m, uint64_t max_instructions);
void bare_free(struct bare_machine *m);
/* Format one trap as "trap <name> at pc=0x... detail=0x...". */
void bare_format_trap(const struct cpu_trap *t, char *buf, size_t len);

/* Exit statuses of the tools that run guests (tzrun, tzvmm) when the
 * guest did not power off; a power-off exits with the guest's code. */
#define PG32_EXIT_USAGE     2 /* bad arguments, unreadable or malformed input */
#define PG32_EXIT_HALTED    3 /* halt with nothing to wait for */
#define PG32_EXIT_LIMIT     4 /* --max-instructions reached */
#define PG32_EXIT_TRAP_LOOP 5 /* traps with no progress */

/* Parse a memory size: decimal or 0x hex, optional K or M suffix (KiB, MiB).
 * Returns 0 or PG32_EARG. */
int pg32_parse_size(const char *text, uint32_t *out);
/* Parse a non-negative count (decimal or 0x hex, optional K, M or G
 * suffix for thousands, millions, billions).  Returns 0 or PG32_EARG. */
int pg32_parse_count(const char *text, uint64_t *out);

#endif /* PG32_H */
