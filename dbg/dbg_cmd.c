/*
 * dbg_cmd.c -- the debugger's command language, gdb-like.
 *
 * dbg_command() takes one line and runs it against a session; everything it
 * has to say goes into a struct dbg_text, so batch mode, the screen and the
 * tests all see the same text.  The parser never trusts its input: lines are
 * bounded (DBG_LINE_MAX), words are bounded, numbers are range-checked, and
 * any input at all gives either a result or one error line.
 *
 *   line    := command { arg }
 *   addr    := [space ":"] term { ("+" | "-") term }      space: v p h
 *   term    := number | "$" register | "$pc" | symbol
 */
#include "dbg.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 128   /* longest word of a command line */
#define ARGS_MAX 8     /* words after the command */
#define X_DEFAULT 8    /* x without /N */
#define TRAPS_DEFAULT 20 /* info traps without N */
#define X_PER_LINE 4   /* words per line of x */
#define XB_PER_LINE 16 /* bytes per line of x/b */

struct cmd_line {
	char cmd[WORD_MAX];
	char arg[ARGS_MAX][WORD_MAX];
	unsigned nargs;
};

/* Split line into words; false (with a message) when it is too long. */
static bool split(const char *line, struct cmd_line *c, struct dbg_text *out)
{
	memset(c, 0, sizeof *c);
	const char *p = line;
	unsigned n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		size_t len = (size_t)(p - s);
		if (len >= WORD_MAX) {
			dbg_text_printf(out, "error: a word longer than %d characters\n", WORD_MAX - 1);
			return false;
		}
		if (n > ARGS_MAX) {
			dbg_text_printf(out, "error: more than %d arguments\n", ARGS_MAX);
			return false;
		}
		char *dst = n == 0 ? c->cmd : c->arg[n - 1];
		memcpy(dst, s, len);
		dst[len] = '\0';
		n++;
	}
	c->nargs = n ? n - 1 : 0;
	return true;
}

/* A number: decimal or 0x hex, fitting 64 bits. */
static bool parse_u64(const char *s, uint64_t *v)
{
	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_count(const char *s, uint64_t max, uint64_t *v, const char *what,
                        struct dbg_text *out)
{
	if (!parse_u64(s, v) || *v == 0 || *v > max) {
		dbg_text_printf(out, "error: bad %s '%s' (1 to %llu)\n", what, s, (unsigned long long)max);
		return false;
	}
	return true;
}

static bool parse_reg(const char *s, unsigned *r)
{
	for (unsigned i = 0; i < ISA_NREGS; i++)
		if (strcmp(s, isa_reg_name(i)) == 0) {
			*r = i;
			return true;
		}
	return false;
}

static bool parse_term(const struct dbg *d, const char *s, uint32_t *v, struct dbg_text *out)
{
	const struct cpu *vm = &d->guests[d->focus].g->vm;
	uint64_t x;
	if (*s == '$') {
		unsigned r;
		if (strcmp(s + 1, "pc") == 0) {
			*v = vm->pc;
			return true;
		}
		if (parse_reg(s + 1, &r)) {
			*v = vm->r[r];
			return true;
		}
		dbg_text_printf(out, "error: no register '%s' (r0..r12, fp, sp, lr, pc)\n", s + 1);
		return false;
	}
	if (isdigit((unsigned char)*s)) {
		if (!parse_u64(s, &x) || x > UINT32_MAX) {
			dbg_text_printf(out, "error: bad address '%s'\n", s);
			return false;
		}
		*v = (uint32_t)x;
		return true;
	}
	if (dbg_symbol_value(d, d->focus, s, v))
		return true;
	dbg_text_printf(out, "error: no symbol '%s' in guest %u\n", s, d->focus);
	return false;
}

/* addr := [space ":"] term {(+|-) term} */
static bool parse_addr(const struct dbg *d, const char *s, enum dbg_space *space, uint32_t *v,
                       struct dbg_text *out)
{
	if (space)
		*space = DBG_SPACE_VIRTUAL;
	if (s[0] && s[1] == ':') {
		if (!space) {
			dbg_text_printf(out, "error: no address space here ('%s')\n", s);
			return false;
		}
		switch (s[0]) {
		case 'v': *space = DBG_SPACE_VIRTUAL; break;
		case 'p': *space = DBG_SPACE_PHYSICAL; break;
		case 'h': *space = DBG_SPACE_HOST; break;
		default:
			dbg_text_printf(out, "error: address space '%c' is not v, p or h\n", s[0]);
			return false;
		}
		s += 2;
	}
	char term[WORD_MAX];
	uint32_t total = 0;
	int sign = 1;
	for (;;) {
		size_t n = strcspn(s, "+-");
		if (n == 0 || n >= sizeof term) {
			dbg_text_printf(out, "error: bad address expression\n");
			return false;
		}
		memcpy(term, s, n);
		term[n] = '\0';
		uint32_t t;
		if (!parse_term(d, term, &t, out))
			return false;
		total = sign > 0 ? total + t : total - t;
		s += n;
		if (!*s)
			break;
		sign = *s == '+' ? 1 : -1;
		s++;
	}
	*v = total;
	return true;
}

bool dbg_parse_addr(const struct dbg *d, const char *s, enum dbg_space *space, uint32_t *addr,
                    struct dbg_text *err)
{
	if (strnlen(s, WORD_MAX) >= WORD_MAX) {
		dbg_text_printf(err, "error: address longer than %d characters\n", WORD_MAX - 1);
		return false;
	}
	return parse_addr(d, s, space, addr, err);
}

/* ---- the commands ---------------------------------------------------------- */

static void report_stop(struct dbg *d, struct dbg_text *out)
{
	if (d->stop_text[0])
		dbg_text_printf(out, "%s\n", d->stop_text);
	if (d->guests[d->focus].g->end == VMM_RUNNING)
		dbg_print_where(d, out);
}

static bool want_args(const struct cmd_line *c, unsigned lo, unsigned hi, struct dbg_text *out)
{
	if (c->nargs < lo || c->nargs > hi) {
		dbg_text_printf(out, "error: %s takes %u to %u arguments (see help %s)\n", c->cmd, lo, hi,
		                c->cmd);
		return false;
	}
	return true;
}

static enum dbg_cmd_result cmd_x(struct dbg *d, const struct cmd_line *c, struct dbg_text *out)
{
	/* x[/N[fmt]] ADDR */
	uint64_t n = X_DEFAULT;
	char fmt = 'x';
	const char *slash = strchr(c->cmd, '/');
	if (slash) {
		const char *p = slash + 1;
		char num[WORD_MAX];
		size_t k = strspn(p, "0123456789");
		if (k) {
			memcpy(num, p, k);
			num[k] = '\0';
			if (!parse_count(num, DBG_X_MAX, &n, "count", out))
				return DBG_CMD_ERROR;
		}
		p += k;
		if (*p) {
			fmt = *p;
			if ((fmt != 'x' && fmt != 'b' && fmt != 'i') || p[1]) {
				dbg_text_printf(out, "error: x format '%s' is not x, b or i\n", p);
				return DBG_CMD_ERROR;
			}
		}
	}
	if (!want_args(c, 1, 1, out))
		return DBG_CMD_ERROR;
	enum dbg_space space;
	uint32_t a;
	if (!parse_addr(d, c->arg[0], &space, &a, out))
		return DBG_CMD_ERROR;
	static const char space_tag[] = { [DBG_SPACE_VIRTUAL] = 'v', [DBG_SPACE_PHYSICAL] = 'p',
	                                  [DBG_SPACE_HOST] = 'h' };
	if (fmt == 'i') {
		if (space != DBG_SPACE_VIRTUAL) {
			dbg_text_printf(out, "error: x/i reads instructions at virtual addresses only\n");
			return DBG_CMD_ERROR;
		}
		for (uint64_t i = 0; i < n; i++, a += ISA_WORD_BYTES) {
			char dis[96];
			if (!dbg_disasm(d, d->focus, a, dis, sizeof dis)) {
				dbg_text_printf(out, "v:0x%08x: outside the guest's R\n", a);
				break;
			}
			const struct cpu *vm = &d->guests[d->focus].g->vm;
			const char *sym = dbg_symbol_at(d, d->focus, a);
			bool w = dbg_rewritten(d, d->focus, a, NULL);
			dbg_text_printf(out, "%s%c 0x%08x%s%s%s:  %s%s\n", a == vm->pc ? "=>" : "  ",
			                dbg_break_at(d, d->focus, a) ? 'B' : w ? 'W' : ' ', a, sym ? " <" : "",
			                sym ? sym : "", sym ? ">" : "", dis, w ? "   (rewritten: a patch word)" : "");
		}
		return DBG_CMD_OK;
	}
	unsigned size = fmt == 'b' ? 1 : ISA_WORD_BYTES;
	unsigned per = fmt == 'b' ? XB_PER_LINE : X_PER_LINE;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t at = a + (uint32_t)(i * size);
		uint8_t b[ISA_WORD_BYTES];
		if (dbg_read(d, d->focus, space, at, b, size) != size) {
			dbg_text_printf(out, "%s%c:0x%08x: cannot read there\n", i % per ? "\n" : "",
			                space_tag[space], at);
			return i ? DBG_CMD_OK : DBG_CMD_ERROR;
		}
		if (i % per == 0)
			dbg_text_printf(out, "%c:0x%08x:", space_tag[space], at);
		if (size == 1)
			dbg_text_printf(out, " %02x", b[0]);
		else
			dbg_text_printf(out, " 0x%08x", pg32_load32(b));
		if (i % per == per - 1 || i == n - 1)
			dbg_text_printf(out, "\n");
	}
	return DBG_CMD_OK;
}

static bool lookup_cause(const char *s, unsigned *cause)
{
	for (unsigned c = 1; c < TRAP_NCAUSES; c++)
		if (strcmp(s, pg32_trap_name(c)) == 0) {
			*cause = c;
			return true;
		}
	return false;
}

static bool lookup_action(const char *s, unsigned *a)
{
	for (unsigned i = 0; i < VMM_NACTIONS; i++)
		if (strcmp(s, vmm_action_name((enum vmm_action)i)) == 0) {
			*a = i;
			return true;
		}
	return false;
}

static enum dbg_cmd_result cmd_catch(struct dbg *d, const char *kind, const char *what,
                                     struct dbg_text *out)
{
	unsigned v, id;
	if (strcmp(kind, "trap") == 0 && lookup_cause(what, &v))
		id = dbg_break_add(d, DBG_BREAK_CAUSE, -1, 0, v, false);
	else if (strcmp(kind, "action") == 0 && lookup_action(what, &v))
		id = dbg_break_add(d, DBG_BREAK_ACTION, -1, 0, v, false);
	else {
		dbg_text_printf(out, "error: '%s %s': expected trap CAUSE (priv, memory, svc, timer, ...) "
		                "or action ACTION (emulated, device, reflected, interrupt, ...)\n",
		                kind, what);
		return DBG_CMD_ERROR;
	}
	if (!id) {
		dbg_text_printf(out, "error: %u breakpoints already\n", DBG_BREAK_MAX);
		return DBG_CMD_ERROR;
	}
	dbg_text_printf(out, "Catchpoint %u: %s %s, every guest\n", id, kind, what);
	return DBG_CMD_OK;
}

static enum dbg_cmd_result cmd_break(struct dbg *d, const struct cmd_line *c, bool temp,
                                     struct dbg_text *out)
{
	if (c->nargs == 2 && (strcmp(c->arg[0], "trap") == 0 || strcmp(c->arg[0], "action") == 0))
		return cmd_catch(d, c->arg[0], c->arg[1], out);
	if (!want_args(c, 1, 1, out))
		return DBG_CMD_ERROR;
	uint32_t a;
	if (!parse_addr(d, c->arg[0], NULL, &a, out))
		return DBG_CMD_ERROR;
	unsigned id = dbg_break_add(d, DBG_BREAK_PC, (int)d->focus, a, 0, temp);
	if (!id) {
		dbg_text_printf(out, "error: %u breakpoints already\n", DBG_BREAK_MAX);
		return DBG_CMD_ERROR;
	}
	const char *sym = dbg_symbol_at(d, d->focus, a);
	dbg_text_printf(out, "%s %u at 0x%08x%s%s%s, guest %u\n", temp ? "Temporary breakpoint" : "Breakpoint",
	                id, a, sym ? " <" : "", sym ? sym : "", sym ? ">" : "", d->focus);
	return DBG_CMD_OK;
}

static enum dbg_cmd_result cmd_watch(struct dbg *d, const struct cmd_line *c,
                                     enum dbg_break_kind kind, struct dbg_text *out)
{
	if (!want_args(c, 1, 1, out))
		return DBG_CMD_ERROR;
	uint32_t a;
	enum dbg_space space;
	if (!parse_addr(d, c->arg[0], &space, &a, out))
		return DBG_CMD_ERROR;
	const struct cpu *vm = &d->guests[d->focus].g->vm;
	if (space == DBG_SPACE_VIRTUAL && c->arg[0][1] == ':') {
		/* v:ADDR: the guest-physical word it maps to now. */
		if (!cpu_access_ok(vm->base, vm->bound, vm->mem_size, a, ISA_WORD_BYTES)) {
			dbg_text_printf(out, "error: v:0x%08x is outside the guest's R\n", a);
			return DBG_CMD_ERROR;
		}
		a += vm->base;
	} else if (space == DBG_SPACE_HOST) {
		dbg_text_printf(out, "error: watchpoints take guest-physical addresses (p:) \n");
		return DBG_CMD_ERROR;
	}
	if ((uint64_t)a + ISA_WORD_BYTES > vm->mem_size || a % ISA_WORD_BYTES) {
		dbg_text_printf(out, "error: 0x%08x is not a word of the guest's memory\n", a);
		return DBG_CMD_ERROR;
	}
	unsigned id = dbg_break_add(d, kind, (int)d->focus, a, 0, false);
	if (!id) {
		dbg_text_printf(out, "error: %u breakpoints already\n", DBG_BREAK_MAX);
		return DBG_CMD_ERROR;
	}
	dbg_text_printf(out, "Watchpoint %u: %s of physical 0x%08x, guest %u\n", id,
	                kind == DBG_WATCH_WRITE ? "writes" : kind == DBG_WATCH_READ ? "reads" : "reads and writes",
	                a, d->focus);
	return DBG_CMD_OK;
}

static enum dbg_cmd_result cmd_info(struct dbg *d, const struct cmd_line *c, struct dbg_text *out)
{
	if (c->nargs < 1) {
		dbg_text_printf(out, "error: info what? regs, traps [N], trap N, guests, patches, "
		                "breakpoints, snapshots\n");
		return DBG_CMD_ERROR;
	}
	const char *w = c->arg[0];
	if (strcmp(w, "regs") == 0 || strcmp(w, "registers") == 0 || strcmp(w, "r") == 0) {
		dbg_print_regs(d, d->focus, out);
		return DBG_CMD_OK;
	}
	if (strcmp(w, "traps") == 0) {
		uint64_t n = TRAPS_DEFAULT;
		if (c->nargs > 1 && !parse_count(c->arg[1], DBG_LOG_MAX, &n, "count", out))
			return DBG_CMD_ERROR;
		dbg_print_traps(d, (unsigned)n, out);
		return DBG_CMD_OK;
	}
	if (strcmp(w, "trap") == 0) {
		uint64_t n;
		if (c->nargs != 2 || !parse_u64(c->arg[1], &n) || n > UINT32_MAX) {
			dbg_text_printf(out, "error: info trap N: N is a trap's number (info traps)\n");
			return DBG_CMD_ERROR;
		}
		const struct dbg_trap *t = dbg_trap_by_seq(d, (unsigned)n);
		if (!t) {
			dbg_text_printf(out, "error: no trap #%llu in the log\n", (unsigned long long)n);
			return DBG_CMD_ERROR;
		}
		d->selected = t->seq;
		dbg_trap_explain(d, t, out);
		return DBG_CMD_OK;
	}
	if (strcmp(w, "guests") == 0) {
		dbg_print_guests(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(w, "patches") == 0) {
		dbg_print_patches(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(w, "breakpoints") == 0 || strcmp(w, "break") == 0 || strcmp(w, "watchpoints") == 0) {
		dbg_print_breaks(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(w, "snapshots") == 0) {
		for (unsigned i = 0; i < d->nguests; i++) {
			const struct dbg_guest *dg = &d->guests[i];
			dbg_text_printf(out, "guest %u: %u snapshots, every %llu instructions, first at clock "
			                "%llu, last at clock %llu\n", i, dg->nsnaps,
			                (unsigned long long)dg->interval,
			                (unsigned long long)dg->snaps[0].s.g.vm.clock,
			                (unsigned long long)dg->snaps[dg->nsnaps - 1].s.g.vm.clock);
		}
		dbg_text_printf(out, "%zu KiB in all\n", dbg_snapshot_bytes(d) >> VMM_KIB_SHIFT);
		return DBG_CMD_OK;
	}
	dbg_text_printf(out, "error: info %s? regs, traps [N], trap N, guests, patches, "
	                "breakpoints, snapshots\n", w);
	return DBG_CMD_ERROR;
}

/* ---- the table ------------------------------------------------------------ */

struct command {
	const char *name, *alias, *usage, *help;
};

static const struct command commands[] = {
	{ "step", "s", "step [N]", "Run the focused guest N instructions (default 1). A trap the "
	  "monitor handles ends a step, so stepping over a privileged instruction shows its trap. "
	  "Stops early at a breakpoint. Also: stepi, si." },
	{ "next", "n", "next", "Step over a call, callr, svc, brk or hcall: run until the "
	  "instruction after it, in the same virtual mode and R. Otherwise as step. Also: nexti, ni." },
	{ "continue", "c", "continue", "Run every guest, round robin, until a breakpoint, "
	  "catchpoint or watchpoint, or until every guest has ended." },
	{ "until", "u", "until [ADDR]", "Without ADDR: as next, but over a backward branch run on "
	  "until the pc is past it (leave a loop). With ADDR: run the focused guest until its pc is ADDR." },
	{ "break", "b", "break ADDR | break trap CAUSE | break action ACTION", "Stop when the "
	  "focused guest's pc reaches ADDR (a number, a symbol, $reg, sums: main+8). With trap or "
	  "action: stop after the monitor handles a trap of CAUSE (priv, memory, align, illegal, "
	  "divide, svc, brk, hcall, timer, disk) or after it took ACTION (emulated, device, "
	  "reflected, interrupt, rewritten, interpreted, killed), in any guest." },
	{ "tbreak", NULL, "tbreak ADDR", "A breakpoint deleted when it is hit." },
	{ "catch", NULL, "catch trap CAUSE | catch action ACTION", "The same as break trap / break action." },
	{ "watch", NULL, "watch ADDR", "Stop when the guest-physical word at ADDR changes (any "
	  "writer: a store, a trap's PSW swap, DMA). v:ADDR watches the word the guest's R maps it "
	  "to now. Works by single-stepping the guest." },
	{ "rwatch", NULL, "rwatch ADDR", "Stop after a load (lw, lb, lbu, lpsw) reads the word at ADDR." },
	{ "awatch", NULL, "awatch ADDR", "watch and rwatch together." },
	{ "delete", "d", "delete [N]", "Delete breakpoint N, or all of them." },
	{ "x", NULL, "x/N[x|b|i] ADDR", "Examine N words (x), bytes (b) or instructions (i) at "
	  "ADDR. ADDR is guest-virtual (through the guest's R) unless prefixed p: (guest-physical) "
	  "or h: (host-physical, the monitor's memory)." },
	{ "info", "i", "info regs|traps [N]|trap N|guests|patches|breakpoints|snapshots",
	  "regs: registers, the virtual PSW and the real one, and how the guest's R composes with "
	  "its region. traps: the last N traps of the log. trap N: trap N explained in plain "
	  "words. guests: each guest's state, efficiency and traps. patches: the rewriting pass's "
	  "patches. snapshots: what reverse execution keeps." },
	{ "guest", NULL, "guest N", "Focus on guest N: step, next, x, break and info regs apply to it." },
	{ "reverse-step", "rs", "reverse-step [N]", "Go back N steps of the focused guest, by "
	  "restoring the nearest earlier snapshot and replaying the deterministic machine forward. "
	  "Its console is cut back too." },
	{ "reverse-continue", "rc", "reverse-continue", "Go back to the last place a breakpoint, "
	  "catchpoint or watchpoint would have stopped the focused guest, or to the start." },
	{ "where", NULL, "where", "The focused guest's pc and instruction." },
	{ "console", NULL, "console", "The focused guest's console output so far." },
	{ "help", "h", "help [COMMAND]", "The commands, or one command's help." },
	{ "quit", "q", "quit", "Leave the debugger." },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

const char *dbg_command_name(unsigned n)
{
	return n < NCOMMANDS ? commands[n].name : NULL;
}

static const struct command *find_command(const char *name)
{
	static const struct { const char *alias, *name; } extra[] = {
		{ "stepi", "step" }, { "si", "step" }, { "nexti", "next" }, { "ni", "next" },
		{ "explain", "info" },
	};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		if (strcmp(name, extra[i].alias) == 0)
			name = extra[i].name;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0 ||
		    (commands[i].alias && strcmp(name, commands[i].alias) == 0))
			return &commands[i];
	return NULL;
}

bool dbg_help(const char *topic, struct dbg_text *out)
{
	if (topic && *topic) {
		char name[WORD_MAX];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(topic, "/"), topic);
		const struct command *c = find_command(name);
		if (!c) {
			dbg_text_printf(out, "error: no command '%s' (help lists them)\n", name);
			return false;
		}
		dbg_text_printf(out, "%s%s%s%s\n  %s\n", c->usage, c->alias ? "   (alias " : "",
		                c->alias ? c->alias : "", c->alias ? ")" : "", c->help);
		return true;
	}
	dbg_text_printf(out, "Commands (help COMMAND for more):\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		dbg_text_printf(out, "  %s\n", commands[i].usage);
	dbg_text_printf(out, "Addresses: numbers, symbols, $pc, $r1..$lr, sums (main+8); x takes "
	                "v: p: h: for guest-virtual, guest-physical, host-physical.\n");
	return true;
}

enum dbg_cmd_result dbg_command(struct dbg *d, const char *line, struct dbg_text *out)
{
	if (strnlen(line, DBG_LINE_MAX + 1) > DBG_LINE_MAX) {
		dbg_text_printf(out, "error: line longer than %u characters\n", DBG_LINE_MAX);
		return DBG_CMD_ERROR;
	}
	const char *first = line + strspn(line, " \t");
	if (*first == '#')
		return DBG_CMD_OK; /* a comment */
	struct cmd_line c;
	if (!split(line, &c, out))
		return DBG_CMD_ERROR;
	if (!c.cmd[0] || c.cmd[0] == '#')
		return DBG_CMD_OK;
	char name[WORD_MAX];
	snprintf(name, sizeof name, "%.*s", (int)strcspn(c.cmd, "/"), c.cmd);
	const struct command *cmd = find_command(name);
	if (!cmd) {
		dbg_text_printf(out, "error: unknown command '%s' (try help)\n", name);
		return DBG_CMD_ERROR;
	}
	if (strchr(c.cmd, '/') && strcmp(cmd->name, "x") != 0) {
		dbg_text_printf(out, "error: only x takes /N\n");
		return DBG_CMD_ERROR;
	}
	const char *n = cmd->name;
	uint64_t count = 1;
	uint32_t a;
	if (strcmp(n, "step") == 0) {
		if (!want_args(&c, 0, 1, out))
			return DBG_CMD_ERROR;
		if (c.nargs && !parse_count(c.arg[0], DBG_STEPS_MAX, &count, "count", out))
			return DBG_CMD_ERROR;
		dbg_step(d, count);
		report_stop(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(n, "next") == 0 || strcmp(n, "continue") == 0 || strcmp(n, "reverse-continue") == 0) {
		if (!want_args(&c, 0, 0, out))
			return DBG_CMD_ERROR;
		if (n[0] == 'n')
			dbg_next(d);
		else if (n[0] == 'c')
			dbg_continue(d);
		else
			dbg_reverse_continue(d);
		report_stop(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(n, "until") == 0) {
		if (!want_args(&c, 0, 1, out))
			return DBG_CMD_ERROR;
		if (c.nargs && !parse_addr(d, c.arg[0], NULL, &a, out))
			return DBG_CMD_ERROR;
		dbg_until(d, c.nargs == 1, c.nargs ? a : 0);
		report_stop(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(n, "reverse-step") == 0) {
		if (!want_args(&c, 0, 1, out))
			return DBG_CMD_ERROR;
		if (c.nargs && !parse_count(c.arg[0], DBG_STEPS_MAX, &count, "count", out))
			return DBG_CMD_ERROR;
		dbg_reverse_step(d, count);
		report_stop(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(n, "break") == 0 || strcmp(n, "tbreak") == 0)
		return cmd_break(d, &c, n[0] == 't', out);
	if (strcmp(n, "catch") == 0) {
		if (!want_args(&c, 2, 2, out))
			return DBG_CMD_ERROR;
		return cmd_catch(d, c.arg[0], c.arg[1], out);
	}
	if (strcmp(n, "watch") == 0)
		return cmd_watch(d, &c, DBG_WATCH_WRITE, out);
	if (strcmp(n, "rwatch") == 0)
		return cmd_watch(d, &c, DBG_WATCH_READ, out);
	if (strcmp(n, "awatch") == 0)
		return cmd_watch(d, &c, DBG_WATCH_ACCESS, out);
	if (strcmp(n, "delete") == 0) {
		if (!want_args(&c, 0, 1, out))
			return DBG_CMD_ERROR;
		uint64_t id = 0;
		if (c.nargs && (!parse_u64(c.arg[0], &id) || id == 0 || id > UINT32_MAX ||
		                !dbg_break_delete(d, (unsigned)id))) {
			dbg_text_printf(out, "error: no breakpoint '%s'\n", c.arg[0]);
			return DBG_CMD_ERROR;
		}
		if (!c.nargs)
			dbg_break_delete(d, 0);
		dbg_text_printf(out, c.nargs ? "deleted %s\n" : "deleted all%s\n", c.nargs ? c.arg[0] : "");
		return DBG_CMD_OK;
	}
	if (strcmp(n, "x") == 0)
		return cmd_x(d, &c, out);
	if (strcmp(n, "info") == 0) {
		if (strcmp(c.cmd, "explain") == 0) {
			/* explain N = info trap N */
			struct cmd_line e = c;
			snprintf(e.arg[0], sizeof e.arg[0], "trap");
			if (c.nargs != 1) {
				dbg_text_printf(out, "error: explain N: N is a trap's number (info traps)\n");
				return DBG_CMD_ERROR;
			}
			snprintf(e.arg[1], sizeof e.arg[1], "%s", c.arg[0]);
			e.nargs = 2;
			return cmd_info(d, &e, out);
		}
		return cmd_info(d, &c, out);
	}
	if (strcmp(n, "guest") == 0) {
		uint64_t g;
		if (c.nargs != 1 || !parse_u64(c.arg[0], &g) || g >= d->nguests) {
			dbg_text_printf(out, "error: guest N: N from 0 to %u\n", d->nguests - 1);
			return DBG_CMD_ERROR;
		}
		d->focus = (unsigned)g;
		dbg_text_printf(out, "guest %u (%s)\n", d->focus, d->guests[d->focus].g->name);
		if (d->guests[d->focus].g->end == VMM_RUNNING)
			dbg_print_where(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(n, "where") == 0) {
		dbg_print_where(d, out);
		return DBG_CMD_OK;
	}
	if (strcmp(n, "console") == 0) {
		size_t len;
		const char *s = dbg_console(d, d->focus, &len);
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (ch == '\n' || (ch >= ' ' && ch < 0x7f))
				dbg_text_printf(out, "%c", ch);
			else
				dbg_text_printf(out, "\\x%02x", ch);
		}
		if (len && s[len - 1] != '\n')
			dbg_text_printf(out, "\n");
		return DBG_CMD_OK;
	}
	if (strcmp(n, "help") == 0) {
		if (!want_args(&c, 0, 1, out))
			return DBG_CMD_ERROR;
		return dbg_help(c.nargs ? c.arg[0] : NULL, out) ? DBG_CMD_OK : DBG_CMD_ERROR;
	}
	if (strcmp(n, "quit") == 0)
		return DBG_CMD_QUIT;
	dbg_text_printf(out, "error: '%s' is not done yet\n", n);
	return DBG_CMD_ERROR;
}
