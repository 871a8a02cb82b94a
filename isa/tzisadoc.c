/*
 * tzisadoc.c -- print the generated sections of docs/isa.md as Markdown.
 *
 *   tzisadoc NAME...   print the named sections
 *   tzisadoc --list    print the section names, one a line
 *
 * Everything a reader could otherwise get out of step with the machine is
 * generated here from the one table (isa.def through isa_info) and the
 * X-macro lists of pg32.h: the formats, the instruction reference, the
 * Popek-Goldberg class summary, the critical instructions of the
 * ill-behaved variant, the trap causes, the ports and the named constants.
 * docs/isa.md holds each section between
 *   <!-- generated:NAME -->  and  <!-- end generated -->
 * mk/update-docs.sh rewrites them; mk/check-docs.sh fails when they differ.
 */
#include "pg32.h"

#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define TEXT_LEN 256

static const char *prog = "tzisadoc";

/* ---- helpers --------------------------------------------------------------- */

/* Print s for a Markdown table cell in a code span: '|' must be escaped. */
static void put_code_cell(const char *s)
{
	putchar('`');
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
	putchar('`');
}

/* "add rd, rs, rt" */
static void syntax_of(unsigned op, char *buf, size_t len)
{
	const struct isa_opinfo *info = isa_info(op);
	const char *operands = isa_format_syntax(info->format);

	snprintf(buf, len, "%s%s%s", info->mnemonic, operands[0] ? " " : "", operands);
}

/* The Popek-Goldberg class, in words, from the flags. */
static void class_of(unsigned op, char *buf, size_t len)
{
	const struct isa_opinfo *info = isa_info(op);
	size_t used = 0;

	buf[0] = '\0';
	if (info->flags & ISA_F_TRAPS) {
		snprintf(buf, len, "traps in both modes");
		return;
	}
	if (!(info->flags & ISA_F_CLASS)) {
		snprintf(buf, len, "innocuous");
		return;
	}
#define ADD(text) used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "", text)
	if (info->flags & ISA_F_PRIV)
		ADD("privileged");
	if (info->flags & ISA_F_CONTROL)
		ADD("control-sensitive");
	if (info->flags & ISA_F_LOCATION)
		ADD("location-sensitive");
	if (info->flags & ISA_F_MODE)
		ADD("mode-sensitive");
	if (info->ill != ISA_ILL_NONE)
		ADD("critical");
#undef ADD
}

/* What the instruction does in user mode under variant v. */
static const char *user_mode_of(unsigned op, isa_variant v)
{
	const struct isa_opinfo *info = isa_info(op);

	if (info->flags & ISA_F_TRAPS)
		return "traps (its own cause)";
	if (isa_traps_in_user(v, op))
		return "traps (priv)";
	if (info->ill != ISA_ILL_NONE && (v & ISA_VARIANT_BIT(op)))
		return "runs, ill-behaved";
	return "runs";
}

/* ---- sections -------------------------------------------------------------- */

static void section_formats(void)
{
	printf("| Format | Operands | Fields used | Unused bits (must be 0) | Instructions |\n");
	printf("|---|---|---|---|---|\n");
#define FORMAT_ROW(name, syntax, fields, unused)                                     \
	do {                                                                              \
		const char *sep = "";                                                     \
		printf("| %s | %s | %s | `0x%08x` | ", #name, syntax[0] ? "`" syntax "`" : "none", \
		       fields, (unsigned)(unused));                                       \
		for (unsigned op = 1; op < ISA_NOPS; op++)                                \
			if (isa_info(op)->format == ISA_FMT_##name) {                     \
				printf("%s%s", sep, isa_info(op)->mnemonic);              \
				sep = ", ";                                               \
			}                                                                 \
		printf(" |\n");                                                           \
	} while (0);
	ISA_FORMATS(FORMAT_ROW)
#undef FORMAT_ROW
}

static void section_instructions(void)
{
	printf("| Opcode | Syntax | Meaning | Class | User mode, `well` | User mode, `ill` |\n");
	printf("|---|---|---|---|---|---|\n");
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		char syntax[TEXT_LEN], cls[TEXT_LEN];

		syntax_of(op, syntax, sizeof syntax);
		class_of(op, cls, sizeof cls);
		printf("| `0x%02x` | ", op);
		put_code_cell(syntax);
		printf(" | ");
		put_code_cell(info->meaning);
		printf(" | %s | %s | %s |\n", cls, user_mode_of(op, ISA_VARIANT_WELL),
		       user_mode_of(op, isa_variant_all_ill()));
	}
}

/* The class summary, and the check of Theorem 1's condition on the table. */
static void section_classes(void)
{
	unsigned sensitive = 0, privileged = 0, innocuous = 0, traps = 0, unprivileged_sensitive = 0;

	printf("| Instruction | Privileged | Control-sensitive | Location-sensitive | Mode-sensitive | Critical |\n");
	printf("|---|---|---|---|---|---|\n");
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);

		if (info->flags & ISA_F_TRAPS)
			traps++;
		else if (!(info->flags & ISA_F_CLASS))
			innocuous++;
		if (info->flags & ISA_F_PRIV)
			privileged++;
		if (!(info->flags & (ISA_F_PRIV | ISA_F_SENSITIVE)))
			continue;
		if (info->flags & ISA_F_SENSITIVE) {
			sensitive++;
			if (!(info->flags & ISA_F_PRIV))
				unprivileged_sensitive++;
		}
		printf("| `%s` | %s | %s | %s | %s | %s |\n", info->mnemonic,
		       info->flags & ISA_F_PRIV ? "yes" : "no",
		       info->flags & ISA_F_CONTROL ? "yes" : "",
		       info->flags & ISA_F_LOCATION ? "yes" : "",
		       info->flags & ISA_F_MODE ? "yes" : "",
		       info->ill != ISA_ILL_NONE ? "yes" : "");
	}
	printf("\n%u instructions: %u innocuous, %u that always trap (not sensitive), "
	       "%u privileged, %u sensitive.  ",
	       ISA_NOPS - 1, innocuous, traps, privileged, sensitive);
	if (unprivileged_sensitive == 0)
		printf("Every sensitive instruction is privileged in the `well` variant, so "
		       "Theorem 1 applies: trap-and-emulate is enough.\n");
	else
		printf("%u sensitive instructions are NOT privileged in the `well` variant: "
		       "Theorem 1 does not apply.\n", unprivileged_sensitive);
}

/* Is the ill behaviour user-sensitive, in Popek and Goldberg's sense for
 * Theorem 3: control- or location-sensitive when run in user mode?  Only
 * reading the real R is.  Revealing the mode is not: under a hybrid
 * monitor user-mode code runs in real user mode, where the real mode is the
 * virtual one; nor is ignoring IE (user mode ignores it on the bare
 * machine too), nor the user-mode jump. */
static bool ill_user_sensitive(enum isa_ill ill)
{
	return ill == ISA_ILL_REVEAL_R;
}

static void section_critical(void)
{
	printf("| Instruction | In system mode | In user mode under `ill` | Real-world twin | "
	       "User-sensitive (control or location, in user mode) | Virtualizable with it unprivileged |\n");
	printf("|---|---|---|---|---|---|\n");
	for (unsigned op = 1; op < ISA_NOPS; op++) {
		const struct isa_opinfo *info = isa_info(op);
		bool us;

		if (info->ill == ISA_ILL_NONE)
			continue;
		us = ill_user_sensitive(info->ill);
		printf("| `%s` | ", info->mnemonic);
		put_code_cell(info->meaning);
		printf(" | %s | %s | %s | %s |\n", isa_ill_behaviour(info->ill),
		       isa_ill_twin(info->ill), us ? "yes" : "no",
		       us ? "no: neither Theorem 1 nor Theorem 3 applies"
		          : "hybrid only (Theorem 3): not user-sensitive");
	}
	printf("\n`ill` alone means all of them, the same as `ill:");
	for (unsigned op = 1, n = 0; op < ISA_NOPS; op++)
		if (isa_info(op)->ill != ISA_ILL_NONE)
			printf("%s%s", n++ ? "," : "", isa_info(op)->mnemonic);
	printf("`.  `ill:NAME,NAME` picks a subset, for example `ill:%s`.\n",
	       isa_info(ISA_OP_SRR)->mnemonic);
}

static void section_traps(void)
{
	printf("| Code | Cause | Kind | Meaning | Saved pc | Detail word |\n");
	printf("|---|---|---|---|---|---|\n");
#define TRAP_ROW(name, code, sname, kind, what, detail)                                 \
	printf("| %d | `%s` (`TRAP_%s`) | %s | %s | %s | %s |\n", code, sname, #name, kind,  \
	       what,                                                                         \
	       strcmp(kind, "fault") == 0  ? "the faulting instruction's"                    \
	       : strcmp(kind, "trap") == 0 ? "the next instruction's (pc + 4)"               \
	                                   : "the next instruction to run",                 \
	       detail);
	PG32_TRAPS(TRAP_ROW)
#undef TRAP_ROW
}

static void section_ports(void)
{
	printf("| Port | Name | Direction | Meaning |\n");
	printf("|---|---|---|---|\n");
#define PORT_ROW(name, num, dir, what) \
	printf("| `0x%02x` | `PORT_%s` | %s | %s |\n", (unsigned)(num), #name, dir, what);
	PG32_PORTS(PORT_ROW)
#undef PORT_ROW
}

static void section_constants(void)
{
	static const struct {
		const char *name;
		unsigned long value;
		const char *meaning;
	} rows[] = {
#define C(name, meaning) { #name, (unsigned long)(name), meaning },
		C(PG32_OLD_PSW, "old PSW (status, pc, base, bound), stored on every trap")
		C(PG32_CAUSE, "cause word, stored on every trap")
		C(PG32_DETAIL, "detail word, stored on every trap")
		C(PG32_NEW_PSW, "new PSW, loaded on every trap")
		C(PG32_TRAP_AREA_END, "end of the trap area; images may not load below it")
		C(PG32_LOAD_ADDR, "conventional load address of programs")
		C(PG32_MEM_MIN, "smallest memory size")
		C(PG32_MEM_MAX, "largest memory size")
		C(PG32_MEM_DEFAULT, "default memory size")
		C(PSW_S, "status bit: system mode")
		C(PSW_IE, "status bit: interrupts enabled")
		C(PSW_N, "status bit: negative")
		C(PSW_Z, "status bit: zero")
		C(PSW_C, "status bit: carry (no borrow)")
		C(PSW_V, "status bit: signed overflow")
		C(PSW_BYTES, "bytes of a PSW in memory")
		C(ISA_NREGS, "general registers")
		C(ISA_REG_FP, "register number of fp")
		C(ISA_REG_SP, "register number of sp")
		C(ISA_REG_LR, "register number of lr (written by call, callr)")
		C(CONSOLE_IN_NONE, "what the console input port reads when no byte is left")
		C(CONSOLE_STATUS_READY, "console status bit: a byte is ready")
		C(CONSOLE_STATUS_EOF, "console status bit: input is at its end")
		C(PORT_NONE_VALUE, "what `in` reads from an unused port")
		C(DISK_SECTOR_BYTES, "bytes per disk sector")
		C(DISK_CMD_READ, "disk command: read sectors into memory")
		C(DISK_CMD_WRITE, "disk command: write memory to sectors")
		C(DISK_STATUS_IDLE, "disk status: idle")
		C(DISK_STATUS_BUSY, "disk status: a transfer is under way")
		C(DISK_STATUS_DONE, "disk status: the last transfer succeeded")
		C(DISK_STATUS_ERROR, "disk status: the last transfer failed")
		C(DISK_LATENCY_BASE, "instructions from a disk command to its completion...")
		C(DISK_LATENCY_PER_SECTOR, "...plus this many per sector")
		C(BARE_MAX_TRAPS_WITHOUT_PROGRESS, "traps in a row with no retired instruction that stop the bare machine")
		C(IMG_MAGIC, "image magic number, \"PG32\" in little-endian")
		C(IMG_VERSION, "image format version")
		C(IMG_MAX_SEGS, "most segments in an image")
		C(IMG_MAX_SYMS, "most symbols in an image")
		C(IMG_MAX_BYTES, "largest image file")
		C(IMG_SYM_CODE, "symbol kind: code")
		C(IMG_SYM_DATA, "symbol kind: data")
#undef C
	};

	printf("| Name | Value | Meaning |\n");
	printf("|---|---|---|\n");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		printf("| `%s` | `0x%lx` (%lu) | %s |\n", rows[i].name, rows[i].value, rows[i].value,
		       rows[i].meaning);
}

static const struct {
	const char *name;
	void (*print)(void);
} sections[] = {
	{ "constants", section_constants },
	{ "formats", section_formats },
	{ "instructions", section_instructions },
	{ "classes", section_classes },
	{ "critical", section_critical },
	{ "traps", section_traps },
	{ "ports", section_ports },
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s NAME...   print generated sections of docs/isa.md\n"
	        "       %s --list    list the section names\n"
	        "Sections:",
	        prog, prog);
	for (size_t i = 0; i < NSECTIONS; i++)
		fprintf(out, " %s", sections[i].name);
	fprintf(out, "\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < NSECTIONS; i++)
			printf("%s\n", sections[i].name);
		return 0;
	}
	/* Check every name before printing anything. */
	for (int a = 1; a < argc; a++) {
		size_t i = 0;
		while (i < NSECTIONS && strcmp(argv[a], sections[i].name) != 0)
			i++;
		if (i == NSECTIONS) {
			fprintf(stderr, "%s: unknown section '%s'\n", prog, argv[a]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	for (int a = 1; a < argc; a++)
		for (size_t i = 0; i < NSECTIONS; i++)
			if (strcmp(argv[a], sections[i].name) == 0)
				sections[i].print();
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: error writing the output\n", prog);
		return 1;
	}
	return 0;
}
