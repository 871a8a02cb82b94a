/*
 * ui_screen.c -- tzdbg's full-screen view: ncurses panes over the debugger
 * core, and a readline command line, all in one select() loop.
 *
 *   +-----------------------------------------------------------------+
 *   | title: guest, clock, state, mode, the pane shown on the right   |
 *   | registers, pc, flags                                            |
 *   | virtual PSW  |  real PSW  |  relocation: guest R in region      |
 *   +--------------------------------+--------------------------------+
 *   | disassembly around pc          | right pane (Tab cycles):       |
 *   |  B breakpoint  > pc            |  trap timeline / memory /      |
 *   |                                |  guests and efficiency /       |
 *   |                                |  console                       |
 *   +--------------------------------+--------------------------------+
 *   | output of the last commands (a selected trap explained)         |
 *   | (tzdbg) command line                                            |
 *   +-----------------------------------------------------------------+
 *
 * The screen reads the session only through dbg.h and runs commands only
 * through dbg_command().  Readline runs in callback mode: each key read by
 * ncurses is handed to rl_callback_read_char() through rl_getc_function,
 * and readline's redisplay is replaced by drawing rl_line_buffer into the
 * command line ourselves, so readline never writes to the terminal.
 *
 * Two input modes, as in cgdb: the command mode (default) edits a gdb-like
 * command line with history and tab completion; ESC switches to the key
 * mode, where single keys act: s step, n next, c continue, r reverse-step,
 * Tab cycles the right pane, Up/Down select a trap of the timeline (it is
 * explained below), q quits, i or : go back to the command mode.
 */
#include "ui.h"

#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#define MIN_COLS 80
#define MIN_LINES 24
#define TOP_ROWS 7          /* title, 4 register rows, PSW, relocation */
#define OUT_ROWS_MIN 5      /* command output rows at 80x24 */
#define SCROLLBACK 400      /* output lines kept */
#define LINE_LEN 512        /* one output line, at most */
#define KEY_ESCAPE 27
#define KEY_CTRL_C 3
#define KEY_CTRL_D 4
#define KEY_CTRL_L 12
#define KEY_DEL 127
#define ESC_DELAY_MS 25
#define PROMPT "(tzdbg) "
#define METER_WIDTH 10      /* cells of the efficiency meter */
#define REGS_PER_ROW 6      /* registers on one row of the top pane */
#define REG_CELL 13         /* "r10 0000002c " */
#define SCROLL_NOTE 24      /* room for "[PgDn: N more lines]" */
#define WIDE_DISASM 44      /* the disassembly's width on a wide screen */
#define WIDE_OTHER 46       /* the pane beside the timeline on a wide screen */
#define WIDE_TIMELINE 66    /* from this width the timeline shows class and changes */
#define WIDE_ACTION 17      /* the action column's width then */

enum pane { PANE_TIMELINE, PANE_MEMORY, PANE_GUESTS, PANE_CONSOLE, NPANES };
static const char *const pane_names[NPANES] = { "timeline", "memory", "guests", "console" };

enum { CP_TITLE = 1, CP_PC, CP_BREAK, CP_TRAP, CP_DIM };

/* The screen's state: one per process (readline's callbacks have no
 * context pointer). */
static struct ui {
	struct dbg *d;
	bool quit, key_mode, colors;
	enum pane pane;
	char lines[SCROLLBACK][LINE_LEN];
	unsigned nlines, first;    /* ring of output lines */
	unsigned scroll;           /* lines the output view is scrolled back */
	int out_rows;              /* rows of the output area now */
	char last_cmd[DBG_LINE_MAX + 1];
	enum dbg_space mem_space;
	uint32_t mem_addr;
	bool mem_set;
	int key;                   /* the key handed to readline */
	bool key_ready;
	FILE *devnull;
} ui;

/* ---- output lines ------------------------------------------------------- */

static void out_line(const char *s, size_t n)
{
	unsigned at = (ui.first + ui.nlines) % SCROLLBACK;
	if (ui.nlines == SCROLLBACK)
		ui.first = (ui.first + 1) % SCROLLBACK;
	else
		ui.nlines++;
	if (n >= LINE_LEN)
		n = LINE_LEN - 1;
	memcpy(ui.lines[at], s, n);
	ui.lines[at][n] = '\0';
}

/* Add text to the output, each line wrapped at the screen's width (at
 * word boundaries); the view goes back to the newest lines. */
static unsigned out_text(const char *s)
{
	size_t width = COLS > 1 ? (size_t)COLS - 1 : MIN_COLS - 1;
	unsigned added = 0;
	ui.scroll = 0;
	while (s && *s) {
		size_t n = strcspn(s, "\n");
		const char *p = s;
		size_t left = n;
		do {
			size_t k = left;
			if (k > width) {
				k = width;
				while (k > width / 2 && p[k] != ' ')
					k--;
				if (p[k] != ' ')
					k = width;
			}
			out_line(p, k);
			added++;
			p += k;
			left -= k;
			while (left && *p == ' ') {
				p++;
				left--;
			}
		} while (left);
		s += n;
		if (*s == '\n')
			s++;
	}
	return added;
}

/* ---- drawing --------------------------------------------------------------- */

static void style_on(int pair, int fallback)
{
	if (ui.colors)
		attron(COLOR_PAIR(pair));
	else
		attron(fallback);
}

static void style_off(int pair, int fallback)
{
	if (ui.colors)
		attroff(COLOR_PAIR(pair));
	else
		attroff(fallback);
}

static void put(int y, int x, int width, const char *s)
{
	if (y < 0 || y >= LINES || x >= COLS || width <= 0)
		return;
	if (x + width > COLS)
		width = COLS - x;
	mvaddnstr(y, x, s, width);
}

static void putf(int y, int x, int width, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void putf(int y, int x, int width, const char *fmt, ...)
{
	char buf[LINE_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(y, x, width, buf);
}

static const char *mode_word(uint32_t status)
{
	return (status & PSW_S) ? "kernel" : "user";
}

static void draw_top(void)
{
	const struct dbg *d = ui.d;
	const struct vmm_guest *g = d->guests[d->focus].g;
	const struct cpu *vm = &g->vm;
	style_on(CP_TITLE, A_REVERSE);
	move(0, 0);
	hline(' ', COLS);
	putf(0, 0, COLS, " tzdbg  guest %u/%u %s  clock %llu  %s  [%s]  right: %s ", d->focus,
	     d->nguests, g->name, (unsigned long long)vm->clock, vmm_end_name(g->end),
	     ui.key_mode ? "keys" : "command", pane_names[ui.pane]);
	style_off(CP_TITLE, A_REVERSE);
	for (unsigned r = 0; r < ISA_NREGS; r++)
		putf(1 + (int)(r / REGS_PER_ROW), (int)(r % REGS_PER_ROW) * REG_CELL, REG_CELL, "%-3s %08x ",
		     isa_reg_name(r), vm->r[r]);
	const char *sym = dbg_symbol_at(d, d->focus, vm->pc);
	/* pc after the last register, on the same row */
	int pc_x = (ISA_NREGS % REGS_PER_ROW) * REG_CELL;
	putf(1 + ISA_NREGS / REGS_PER_ROW, pc_x, COLS - pc_x, "pc  %08x %c%c%c%c %s%s%s", vm->pc, (vm->status & PSW_N) ? 'N' : '-',
	     (vm->status & PSW_Z) ? 'Z' : '-', (vm->status & PSW_C) ? 'C' : '-',
	     (vm->status & PSW_V) ? 'V' : '-', sym ? "<" : "", sym ? sym : "", sym ? ">" : "");
	if (d->bare) {
		attron(A_BOLD);
		putf(4, 0, COLS, "PSW (bare machine): mode %-6s IE %u  R = (%08x, %08x)",
		     mode_word(vm->status), !!(vm->status & PSW_IE), vm->base, vm->bound);
		attroff(A_BOLD);
		putf(5, 0, COLS, "no monitor: every trap is delivered by the CPU's PSW swap");
		putf(6, 0, COLS, "relocation: R applies directly to physical memory [0, %x)",
		     vm->mem_size);
		return;
	}
	uint32_t rb, rbound;
	vmm_compose_r(&g->region, vm->base, vm->bound, &rb, &rbound);
	attron(A_BOLD);
	putf(4, 0, COLS, "virtual PSW (the guest's): mode %-6s IE %u  R = (%08x, %08x)",
	     mode_word(vm->status), !!(vm->status & PSW_IE), vm->base, vm->bound);
	attroff(A_BOLD);
	putf(5, 0, COLS, "real PSW (the CPU's):      mode user   IE %u  R = (%08x, %08x)",
	     !!(vm->status & PSW_IE), rb, rbound);
	putf(6, 0, COLS, "relocation: guest R (%x, %x) in region [%x, %x) gives real R (%x, %x)",
	     vm->base, vm->bound, g->region.base, g->region.base + g->region.size, rb, rbound);
}

static void draw_disasm(int top, int rows, int width)
{
	const struct dbg *d = ui.d;
	const struct cpu *vm = &d->guests[d->focus].g->vm;
	uint32_t above = (uint32_t)(rows / 3);
	uint32_t start = vm->pc >= above * ISA_WORD_BYTES ? vm->pc - above * ISA_WORD_BYTES : 0;
	for (int i = 0; i < rows; i++) {
		uint32_t a = start + (uint32_t)i * ISA_WORD_BYTES;
		char dis[96];
		bool ok = dbg_disasm(d, d->focus, a, dis, sizeof dis);
		bool bp = dbg_break_at(d, d->focus, a);
		bool rw = dbg_rewritten(d, d->focus, a, NULL);
		bool here = a == vm->pc;
		const char *sym = dbg_symbol_at(d, d->focus, a);
		if (here)
			style_on(CP_PC, A_REVERSE);
		else if (bp)
			style_on(CP_BREAK, A_BOLD);
		char line[LINE_LEN];
		if (sym && i > 0 && !here) {
			/* A label line would shift the rows: show it inline. */
			snprintf(line, sizeof line, "%c%c%08x <%s> %s", bp ? 'B' : rw ? 'W' : ' ',
			         here ? '>' : ' ', a, sym, ok ? dis : "");
		} else {
			snprintf(line, sizeof line, "%c%c%08x  %s", bp ? 'B' : rw ? 'W' : ' ',
			         here ? '>' : ' ', a, ok ? dis : "(outside R)");
		}
		move(top + i, 0);
		hline(' ', width);
		put(top + i, 0, width, line);
		if (here)
			style_off(CP_PC, A_REVERSE);
		else if (bp)
			style_off(CP_BREAK, A_BOLD);
	}
}

static char action_letter(enum vmm_action a)
{
	static const char letters[VMM_NACTIONS] = {
		[VMM_ACT_EMULATED] = 'E', [VMM_ACT_DEVICE] = 'D', [VMM_ACT_REFLECTED] = 'R',
		[VMM_ACT_INTERRUPT] = 'I', [VMM_ACT_REWRITTEN] = 'W', [VMM_ACT_INTERPRETED] = 'P',
		[VMM_ACT_KILLED] = 'K',
	};
	return (unsigned)a < VMM_NACTIONS ? letters[a] : '?';
}

static void draw_timeline(int top, int left, int rows, int width)
{
	const struct dbg *d = ui.d;
	bool several = d->nguests > 1;
	putf(top, left, width, "%s%s", several ? "   # g   clock U K M cause       pc action"
	                                       : "   #   clock U K M cause       pc action",
	     width >= WIDE_TIMELINE ? "            class       changed" : "");
	int body = rows - 1;
	if (body <= 0)
		return;
	/* The newest traps, the selected one kept in view. */
	unsigned end = d->nlog;
	if (d->selected) {
		for (unsigned i = 0; i < d->nlog; i++)
			if (d->log[i].seq == d->selected && i + 1 + (unsigned)body / 2 < end)
				end = i + 1 + (unsigned)body / 2;
	}
	unsigned from = end > (unsigned)body ? end - (unsigned)body : 0;
	for (unsigned i = from; i < end; i++) {
		const struct dbg_trap *t = &d->log[i];
		char lanes[6] = { '.', ' ', '.', ' ', ' ', '\0' };
		int src = (t->before.status & PSW_S) ? 2 : 0, dst = (t->after.status & PSW_S) ? 2 : 0;
		lanes[src] = '*';
		if (dst != src)
			lanes[dst] = '>';
		lanes[4] = t->hardware ? 'H' : action_letter(t->action);
		char sum[48];
		dbg_trap_summary(t, sum, sizeof sum);
		bool sel = t->seq == d->selected;
		if (sel)
			style_on(CP_TRAP, A_REVERSE);
		move(top + 1 + (int)(i - from), left);
		hline(' ', width);
		char g[8] = "";
		if (several)
			snprintf(g, sizeof g, "%u ", t->guest % 10);
		char extra[160] = "";
		if (width >= WIDE_TIMELINE) {
			/* Room for the instruction's class and what changed. */
			char cls[64], ch[96];
			dbg_insn_class(t->insn, d->guests[t->guest].g->vm.variant, cls, sizeof cls);
			if (pg32_trap_is_interrupt(t->trap.cause))
				snprintf(cls, sizeof cls, "-");
			cls[strcspn(cls, ",(")] = '\0';
			dbg_trap_changes(t, ch, sizeof ch);
			snprintf(extra, sizeof extra, " %-11.11s %s", cls, ch);
		}
		putf(top + 1 + (int)(i - from), left, width, "%4u %s%7llu %s %-7s %6x %-*s%s", t->seq, g,
		     (unsigned long long)t->clock, lanes, pg32_trap_name(t->trap.cause), t->trap.insn_pc,
		     width >= WIDE_TIMELINE ? WIDE_ACTION : 0, sum, extra);
		if (sel)
			style_off(CP_TRAP, A_REVERSE);
	}
	if (!d->nlog)
		putf(top + 1, left, width, "(no traps yet: step over a privileged instruction)");
}

static void draw_memory(int top, int left, int rows, int width)
{
	const struct dbg *d = ui.d;
	static const char tag[] = { [DBG_SPACE_VIRTUAL] = 'v', [DBG_SPACE_PHYSICAL] = 'p',
	                            [DBG_SPACE_HOST] = 'h' };
	enum dbg_space sp = ui.mem_set ? ui.mem_space : DBG_SPACE_VIRTUAL;
	uint32_t a = ui.mem_set ? ui.mem_addr : d->guests[d->focus].g->vm.r[ISA_REG_SP];
	a &= ~(ISA_WORD_BYTES - 1);
	putf(top, left, width, "memory %s (x ADDR sets it; v: p: h:)",
	     sp == DBG_SPACE_VIRTUAL ? "guest-virtual" : sp == DBG_SPACE_PHYSICAL ? "guest-physical" : "host-physical");
	for (int i = 1; i < rows; i++) {
		uint32_t at = a + (uint32_t)(i - 1) * 2 * ISA_WORD_BYTES;
		uint8_t b[2 * ISA_WORD_BYTES];
		uint32_t n = dbg_read(d, d->focus, sp, at, b, sizeof b);
		char text[2 * ISA_WORD_BYTES + 1];
		for (unsigned k = 0; k < sizeof b; k++)
			text[k] = k < n && b[k] >= ' ' && b[k] < 0x7f ? (char)b[k] : '.';
		text[sizeof b] = '\0';
		if (n == sizeof b)
			putf(top + i, left, width, "%c:%08x %08x %08x %s", tag[sp], at, pg32_load32(b),
			     pg32_load32(b + ISA_WORD_BYTES), text);
		else
			putf(top + i, left, width, "%c:%08x (outside)", tag[sp], at);
	}
}

static void draw_guests(int top, int left, int rows, int width)
{
	const struct dbg *d = ui.d;
	int y = top;
	for (unsigned i = 0; i < d->nguests && y < top + rows; i++) {
		const struct dbg_guest *dg = &d->guests[i];
		const struct vmm_guest *g = dg->g;
		double eff = vmm_efficiency(&g->stats);
		char meter[METER_WIDTH + 1];
		int full = (int)(eff * METER_WIDTH + 0.5);
		for (int k = 0; k < METER_WIDTH; k++)
			meter[k] = k < full ? '#' : '-';
		meter[METER_WIDTH] = '\0';
		if (i == d->focus)
			attron(A_BOLD);
		putf(y++, left, width, "%c%u %-10.10s %-9s eff [%s] %.3f", i == d->focus ? '*' : ' ', i,
		     g->name, vmm_end_name(g->end), meter, eff);
		if (i == d->focus)
			attroff(A_BOLD);
		if (y < top + rows)
			putf(y++, left, width, "   direct %llu emulated %llu", (unsigned long long)g->stats.direct,
			     (unsigned long long)g->stats.emulated);
		if (y < top + rows)
			putf(y++, left, width, "   E%llu D%llu R%llu I%llu K%llu", (unsigned long long)dg->counts[VMM_ACT_EMULATED],
			     (unsigned long long)dg->counts[VMM_ACT_DEVICE],
			     (unsigned long long)dg->counts[VMM_ACT_REFLECTED],
			     (unsigned long long)dg->counts[VMM_ACT_INTERRUPT],
			     (unsigned long long)dg->counts[VMM_ACT_KILLED]);
	}
}

static void draw_console(int top, int left, int rows, int width)
{
	size_t len;
	const char *s = dbg_console(ui.d, ui.d->focus, &len);
	putf(top, left, width, "console of guest %u", ui.d->focus);
	/* The last rows-1 lines. */
	int want = rows - 1;
	size_t start = len;
	int seen = 0;
	while (start > 0) {
		if (s[start - 1] == '\n' && start != len && ++seen >= want)
			break;
		start--;
	}
	int y = top + 1;
	while (start < len && y < top + rows) {
		size_t n = 0;
		while (start + n < len && s[start + n] != '\n')
			n++;
		char line[LINE_LEN];
		size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
		for (size_t i = 0; i < k; i++) {
			unsigned char ch = (unsigned char)s[start + i];
			line[i] = ch >= ' ' && ch < 0x7f ? (char)ch : '.';
		}
		line[k] = '\0';
		put(y++, left, width, line);
		start += n + 1;
	}
}

static void draw_right(enum pane p, int top, int left, int rows, int width)
{
	switch (p) {
	case PANE_TIMELINE: draw_timeline(top, left, rows, width); break;
	case PANE_MEMORY: draw_memory(top, left, rows, width); break;
	case PANE_GUESTS: draw_guests(top, left, rows, width); break;
	case PANE_CONSOLE: draw_console(top, left, rows, width); break;
	case NPANES: break;
	}
}

static void draw(void)
{
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		putf(0, 0, COLS, "tzdbg needs %dx%d (now %dx%d)", MIN_COLS, MIN_LINES, COLS, LINES);
	} else {
		draw_top();
		int out_rows = OUT_ROWS_MIN + (LINES - MIN_LINES) / 4;
		int mid_top = TOP_ROWS + 1;
		int mid_rows = LINES - mid_top - out_rows - 2;
		attron(A_BOLD);
		move(TOP_ROWS, 0);
		hline('-', COLS);
		move(mid_top + mid_rows, 0);
		hline('-', COLS);
		attroff(A_BOLD);
		int left_w = COLS >= 2 * MIN_COLS ? WIDE_DISASM : COLS * 2 / 5;
		draw_disasm(mid_top, mid_rows, left_w - 1);
		move(mid_top, left_w - 1);
		vline('|', mid_rows);
		int right_w = COLS - left_w;
		if (COLS >= 2 * MIN_COLS) {
			/* Wide: the timeline always, and the chosen pane beside it. */
			int half = right_w - WIDE_OTHER;
			draw_timeline(mid_top, left_w, mid_rows, half - 1);
			move(mid_top, left_w + half - 1);
			vline('|', mid_rows);
			enum pane p = ui.pane == PANE_TIMELINE ? PANE_GUESTS : ui.pane;
			draw_right(p, mid_top, left_w + half, mid_rows, right_w - half);
		} else {
			draw_right(ui.pane, mid_top, left_w, mid_rows, right_w);
		}
		int y = mid_top + mid_rows + 1;
		ui.out_rows = out_rows;
		if (ui.scroll > ui.nlines)
			ui.scroll = ui.nlines;
		unsigned avail = ui.nlines - ui.scroll;
		unsigned show = avail < (unsigned)out_rows ? avail : (unsigned)out_rows;
		for (unsigned i = 0; i < show; i++) {
			unsigned at = (ui.first + avail - show + i) % SCROLLBACK;
			put(y + (int)i, 0, COLS, ui.lines[at]);
		}
		if (ui.scroll)
			putf(mid_top + mid_rows, COLS - SCROLL_NOTE, SCROLL_NOTE, "[PgDn: %u more lines]",
			     ui.scroll);
	}
	/* The command line, last. */
	int y = LINES - 1;
	move(y, 0);
	clrtoeol();
	if (ui.key_mode) {
		put(y, 0, COLS, "-- keys: s step, n next, c continue, r reverse-step, Tab pane, q quit, i command --");
	} else {
		const char *buf = rl_line_buffer ? rl_line_buffer : "";
		int plen = (int)strlen(PROMPT);
		int avail = COLS - plen - 1;
		int point = rl_point;
		int skip = point > avail ? point - avail : 0;
		put(y, 0, plen, PROMPT);
		put(y, plen, avail, buf + ((size_t)skip <= strlen(buf) ? (size_t)skip : 0));
		move(y, plen + point - skip);
	}
	refresh();
}

/* ---- commands -------------------------------------------------------------- */

static void run_command(const char *line)
{
	struct dbg_text out = { 0 };
	char echo[DBG_LINE_MAX + sizeof PROMPT + 1];
	snprintf(echo, sizeof echo, PROMPT "%s", line);
	out_text(echo);
	enum dbg_cmd_result r = dbg_command(ui.d, line, &out);
	if (out.s)
		out_text(out.s);
	if (out.cut)
		out_text("(output cut)");
	if (r == DBG_CMD_QUIT)
		ui.quit = true;
	/* x ADDR also points the memory pane there. */
	if (r == DBG_CMD_OK && line[0] == 'x' && (line[1] == '/' || line[1] == ' ')) {
		const char *arg = strrchr(line, ' ');
		struct dbg_text err = { 0 };
		if (arg && dbg_parse_addr(ui.d, arg + 1, &ui.mem_space, &ui.mem_addr, &err)) {
			ui.mem_set = true;
			if (ui.pane == PANE_TIMELINE)
				ui.pane = PANE_MEMORY;
		}
		dbg_text_free(&err);
	}
	if (strncmp(line, "info trap ", 10) == 0 || strncmp(line, "explain", 7) == 0)
		ui.pane = PANE_TIMELINE;
	dbg_text_free(&out);
}

static void on_line(char *line)
{
	if (!line) { /* ctrl-D on an empty line */
		ui.quit = true;
		return;
	}
	if (*line) {
		add_history(line);
		snprintf(ui.last_cmd, sizeof ui.last_cmd, "%s", line);
		run_command(line);
	} else if (ui.last_cmd[0]) {
		/* Enter repeats the last command, as in gdb. */
		run_command(ui.last_cmd);
	}
	free(line);
}

/* Select a trap of the timeline and explain it (dir: -1 older, +1 newer). */
static void select_trap(int dir)
{
	struct dbg *d = ui.d;
	if (!d->nlog)
		return;
	unsigned i = d->nlog - 1;
	for (unsigned k = 0; k < d->nlog; k++)
		if (d->log[k].seq == d->selected)
			i = k;
	if (d->selected) {
		if (dir < 0 && i > 0)
			i--;
		else if (dir > 0 && i + 1 < d->nlog)
			i++;
	}
	d->selected = d->log[i].seq;
	struct dbg_text out = { 0 };
	dbg_trap_explain(d, &d->log[i], &out);
	unsigned n = out_text(out.s);
	/* Show the explanation from its first line. */
	if (ui.out_rows > 0 && n > (unsigned)ui.out_rows)
		ui.scroll = n - (unsigned)ui.out_rows;
	dbg_text_free(&out);
}

static void scroll_output(int dir)
{
	unsigned page = ui.out_rows > 1 ? (unsigned)ui.out_rows - 1 : 1;
	if (dir < 0)
		ui.scroll = ui.scroll + page < ui.nlines ? ui.scroll + page : ui.nlines;
	else
		ui.scroll = ui.scroll > page ? ui.scroll - page : 0;
}

static void key_command(int ch)
{
	switch (ch) {
	case 's': run_command("step"); break;
	case 'n': run_command("next"); break;
	case 'c': run_command("continue"); break;
	case 'r': run_command("reverse-step"); break;
	case 'R': run_command("reverse-continue"); break;
	case '\t': ui.pane = (ui.pane + 1) % NPANES; break;
	case KEY_UP: select_trap(-1); break;
	case KEY_DOWN: select_trap(1); break;
	case KEY_PPAGE: scroll_output(-1); break;
	case KEY_NPAGE: scroll_output(1); break;
	case 'q': ui.quit = true; break;
	case 'i': case ':': case KEY_ESCAPE: ui.key_mode = false; break;
	default: break;
	}
}

/* ---- readline in callback mode ---------------------------------------------- */

static int rl_getc_cb(FILE *f)
{
	(void)f;
	ui.key_ready = false;
	return ui.key;
}

static int rl_avail_cb(void)
{
	return ui.key_ready;
}

static void rl_redisplay_cb(void)
{
	draw();
}

static void feed_readline(int ch)
{
	ui.key = ch;
	ui.key_ready = true;
	rl_callback_read_char();
}

static char *complete_gen(const char *text, int state)
{
	static unsigned n;
	static bool symbols;
	if (!state) {
		n = 0;
		symbols = rl_point > (int)strlen(text) && strchr(rl_line_buffer, ' ');
	}
	size_t len = strlen(text);
	const char *name;
	if (!symbols) {
		while ((name = dbg_command_name(n++)))
			if (strncmp(name, text, len) == 0)
				return strdup(name);
		return NULL;
	}
	while ((name = dbg_symbol_name(ui.d, ui.d->focus, n++)))
		if (strncmp(name, text, len) == 0)
			return strdup(name);
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;
	return rl_completion_matches(text, complete_gen);
}

/* Several completions: list them in the output, not on the terminal. */
static void show_matches(char **matches, int n, int longest)
{
	(void)longest;
	char line[LINE_LEN] = "";
	size_t len = 0;
	for (int i = 1; i <= n && len < sizeof line - 1; i++)
		len += (size_t)snprintf(line + len, sizeof line - len, "%s  ", matches[i]);
	out_text(line);
	draw();
}

static void handle_key(int ch)
{
	if (ch == KEY_RESIZE || ch == KEY_CTRL_L) {
		clearok(curscr, TRUE);
		return;
	}
	if (ui.key_mode) {
		key_command(ch);
		return;
	}
	switch (ch) {
	case KEY_ESCAPE: ui.key_mode = true; return;
	case KEY_UP: rl_get_previous_history(1, 0); return;
	case KEY_DOWN: rl_get_next_history(1, 0); return;
	case KEY_LEFT: rl_backward_char(1, 0); return;
	case KEY_RIGHT: rl_forward_char(1, 0); return;
	case KEY_HOME: rl_beg_of_line(1, 0); return;
	case KEY_END: rl_end_of_line(1, 0); return;
	case KEY_BACKSPACE: case KEY_DEL: case '\b': rl_rubout(1, 0); return;
	case KEY_DC: rl_delete(1, 0); return;
	case KEY_ENTER: feed_readline('\n'); return;
	case KEY_PPAGE: scroll_output(-1); return;
	case KEY_NPAGE: scroll_output(1); return;
	case KEY_CTRL_C: rl_replace_line("", 0); rl_point = 0; return;
	default:
		if (ch >= 0 && ch < KEY_MIN)
			feed_readline(ch);
		return;
	}
}

/* During a long run: any key waiting stops it (the key is dropped). */
static bool poll_key(void *ctx)
{
	(void)ctx;
	fd_set fds;
	FD_ZERO(&fds);
	FD_SET(STDIN_FILENO, &fds);
	struct timeval tv = { 0, 0 };
	if (select(STDIN_FILENO + 1, &fds, NULL, NULL, &tv) <= 0)
		return false;
	int ch = getch();
	return ch != ERR && ch != KEY_RESIZE;
}

int ui_main(struct dbg *d, char *msg, size_t msglen)
{
	memset(&ui, 0, sizeof ui);
	ui.d = d;
	ui.devnull = fopen("/dev/null", "w");
	if (!ui.devnull) {
		snprintf(msg, msglen, "cannot open /dev/null");
		return 1;
	}
	if (!initscr()) {
		snprintf(msg, msglen, "cannot start the terminal (TERM?)");
		fclose(ui.devnull);
		return 1;
	}
	raw();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(ESC_DELAY_MS);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(CP_TITLE, COLOR_BLACK, COLOR_CYAN);
		init_pair(CP_PC, COLOR_BLACK, COLOR_YELLOW);
		init_pair(CP_BREAK, COLOR_RED, -1);
		init_pair(CP_TRAP, COLOR_BLACK, COLOR_GREEN);
		init_pair(CP_DIM, COLOR_BLUE, -1);
		ui.colors = true;
	}
	/* readline: no terminal of its own, no signals, our display. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = NULL;
	rl_deprep_term_function = NULL;
	rl_outstream = ui.devnull;
	rl_getc_function = rl_getc_cb;
	rl_input_available_hook = rl_avail_cb;
	rl_redisplay_function = rl_redisplay_cb;
	rl_attempted_completion_function = complete;
	rl_completion_display_matches_hook = show_matches;
	rl_variable_bind("show-all-if-ambiguous", "on"); /* list at the first Tab */
	rl_callback_handler_install(PROMPT, on_line);
	d->poll = poll_key;
	d->poll_ctx = NULL;

	out_text("tzdbg: type help, or press ESC for single keys (s n c r Tab q).");
	struct dbg_text where = { 0 };
	dbg_print_where(d, &where);
	out_text(where.s);
	dbg_text_free(&where);

	while (!ui.quit) {
		draw();
		fd_set fds;
		FD_ZERO(&fds);
		FD_SET(STDIN_FILENO, &fds);
		int n = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
		if (n < 0 && errno != EINTR)
			break;
		/* EINTR: a resize; getch reports KEY_RESIZE. */
		int ch;
		while (!ui.quit && (ch = getch()) != ERR)
			handle_key(ch);
	}
	d->poll = NULL;
	rl_callback_handler_remove();
	endwin();
	fclose(ui.devnull);
	return 0;
}
