/*
 * asm_impl.h -- private to asm/: the assembler's state and the builder
 * functions that the grammar actions (parser.y) and the scanner (lexer.l)
 * call.  Other folders use asm.h only.
 *
 * The picture:
 *
 *   asm.c        the driver: sources, passes, .include, the image at the end
 *   lexer.l      the scanner (reentrant flex); skips false .if branches and
 *                records macro bodies line by line
 *   parser.y     the grammar (pure bison): lines, labels, operands,
 *                expressions; every action is a call into the files below
 *   asm_expr.c   expression values, numbers, escapes
 *   asm_sym.c    hash maps, symbols, local numeric labels
 *   asm_stmt.c   instructions, pseudo-instructions, directives, emission,
 *                the listing
 *   asm_macro.c  macros (.macro/.endm) and conditionals (.if/.else/.endif)
 *   asm_diag.c   the one function that prints every diagnostic
 *
 * Passes run the whole scanner and parser over the source.  Pass 1 sizes
 * everything and defines the labels; the final pass emits the bytes with
 * every value known.  (Between them, extra sizing passes run only while
 * they define .equ constants whose values pass 1 could not know: chains
 * of forward references.)  Each decision that fixes a size (li's length)
 * is taken in pass 1 and recorded, so later passes lay out the same
 * addresses.  Errors about structure (syntax, operand kinds, directives)
 * are reported in pass 1; errors about values (ranges, undefined symbols)
 * in the final pass; each diagnostic call says which kind it is, so
 * nothing is reported twice.
 */
#ifndef ASM_IMPL_H
#define ASM_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "asm.h"
#include "pg32.h"

/* ---- limits ---------------------------------------------------------- */
#define ASM_MAX_INCLUDE_DEPTH 32          /* nested .include */
#define ASM_MAX_PASSES 10                 /* sizing passes + the final one */
#define ASM_MAX_MACRO_DEPTH 64            /* nested macro expansions */
#define ASM_MAX_EXPANSIONS 100000u        /* macro expansions per pass */
#define ASM_MAX_EXPANSION_BYTES (16u << 20) /* expanded text per pass */
#define ASM_MAX_SOURCE_BYTES (64u << 20)  /* one source file */
#define ASM_NAME_MAX 32                   /* longest mnemonic or directive */
#define ASM_SUGGEST_MAX_DISTANCE 2        /* "did you mean" edit distance */
#define ASM_DIAG_LINE_MAX 200             /* source excerpt in a diagnostic */
#define ASM_LIST_ROWS 4                   /* listing rows per source line */
#define ASM_NUMBER_MAX UINT32_MAX         /* largest integer literal */

/* Byte-value limits of .byte and .word (either signed or unsigned). */
#define ASM_BYTE_MIN INT8_MIN
#define ASM_BYTE_MAX UINT8_MAX
#define ASM_WORD_MIN INT32_MIN
#define ASM_WORD_MAX UINT32_MAX
#define ASM_HALF_SHIFT 16 /* li/la: lui takes the high half, ori the low */
#define ASM_GROW_MIN 8    /* first capacity of a growing array */
#define ASM_ASCII_CASE 0x20 /* the bit that tells 'a' from 'A' */

/* ASCII letters, digits and '_' (no locale: names are ASCII). */
static inline bool asm_is_name_char(char c)
{
	char l = (char)(c | ASM_ASCII_CASE);
	return c == '_' || (c >= '0' && c <= '9') || (l >= 'a' && l <= 'z');
}

/* c in lower case, for ASCII letters. */
static inline char asm_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | ASM_ASCII_CASE) : c;
}

/* ---- locations and sources ------------------------------------------- */

struct asm_src;

/* A span of source text: the line (from 1) where it starts, and byte
 * offsets [begin, end) in src->text.  Columns are computed from begin when
 * a diagnostic needs them.  Kept small: the parser copies it a lot. */
struct asm_loc {
	const struct asm_src *src;
	int line;
	uint32_t begin, end;
};

/* A piece of source text (not NUL-terminated). */
struct asm_slice {
	const char *p;
	size_t n;
};

enum asm_src_kind { ASM_SRC_FILE, ASM_SRC_MACRO };

/* One source being assembled: a file, the caller's text, or one macro
 * expansion.  Every source lives until the assembly ends, because
 * locations (in symbols, in diagnostics) point into it. */
struct asm_src {
	struct asm_src *next; /* all sources, for freeing */
	enum asm_src_kind kind;
	char *name;           /* path as opened, or the macro's name */
	const char *text;     /* the text, with a NUL after len bytes */
	size_t len;
	struct asm_loc site;  /* where .include or the macro call was; src NULL at the top */
	/* Macro expansions: line L of text is line origin_line + L - 1 of
	 * origin (the source that holds the macro's body). */
	const struct asm_src *origin;
	int origin_line;
	bool owns_text;       /* text is freed with the source (else the file cache owns it) */
	bool active;          /* being parsed now (include cycles) */
	bool has_id;          /* dev/ino are known */
	dev_t dev;            /* file identity, for include cycles */
	ino_t ino;
};

/* ---- expression values ----------------------------------------------- */

/* What went wrong in an expression, reported where the value is used. */
enum asm_problem {
	ASM_PROB_NONE,
	ASM_PROB_LATER,   /* a symbol defined later (fine unless the value is needed now) */
	ASM_PROB_UNDEF,   /* a symbol never defined */
	ASM_PROB_LOCAL,   /* a local label reference with no target */
	ASM_PROB_DIVZERO, /* division or remainder by zero */
	ASM_PROB_SHIFT,   /* shift count outside 0..63 */
};

/* The value of an expression, computed bottom-up as it is parsed.  Integer
 * arithmetic is 64-bit two's complement; fields check their own ranges.
 * An expression lies on one line of one source, so the problem's place is
 * just its byte offsets on the line of the operand that holds it. */
struct asm_value {
	int64_t v;
	bool known;     /* every symbol has a value (in pass 1: defined earlier) */
	bool now;       /* every symbol was defined earlier in this pass */
	bool is_sym;    /* the expression is one bare symbol name */
	uint8_t problem; /* enum asm_problem: the first (errors beat LATER) */
	uint32_t pbegin, pend; /* where the problem is */
};

/* ---- operands ------------------------------------------------------- */

enum asm_opkind { ASM_OPK_REG, ASM_OPK_EXPR, ASM_OPK_MEM, ASM_OPK_STRING };

struct asm_operand {
	enum asm_opkind kind;
	unsigned reg;          /* REG; MEM's base register */
	bool has_offset;       /* MEM: false for "(rs)" */
	struct asm_value val;  /* EXPR; MEM's offset */
	struct asm_slice text; /* STRING, with its quotes */
	struct asm_loc loc;
};

/* ---- directives ------------------------------------------------------- */

/* X(NAME, spelling, operands, what it does): the one list of directives. */
#define ASM_DIRECTIVES(X)                                                              \
	X(ORG,     "org",     "EXPR",          "start a new segment at address EXPR")          \
	X(WORD,    "word",    "EXPR, ...",     "emit 32-bit little-endian words")              \
	X(BYTE,    "byte",    "EXPR, ...",     "emit bytes")                                   \
	X(ASCII,   "ascii",   "\"TEXT\", ...", "emit the bytes of strings")                    \
	X(ASCIZ,   "asciz",   "\"TEXT\", ...", "emit strings, each followed by a NUL byte")    \
	X(SPACE,   "space",   "N [, FILL]",    "emit N bytes of FILL (default 0)")             \
	X(ALIGN,   "align",   "N",             "pad with zero bytes to a multiple of N")       \
	X(EQU,     "equ",     "NAME, EXPR",    "define NAME as the value of EXPR")             \
	X(INCLUDE, "include", "\"FILE\"",      "assemble FILE here")                           \
	X(MACRO,   "macro",   "NAME [PARAM, ...]", "define a macro, up to .endm")              \
	X(ENDM,    "endm",    "",              "end a macro definition")                       \
	X(IF,      "if",      "EXPR",          "assemble what follows only if EXPR is not 0")  \
	X(ELSE,    "else",    "",              "the other branch of .if")                      \
	X(ENDIF,   "endif",   "",              "end of .if")                                   \
	X(ENTRY,   "entry",   "EXPR",          "the entry point of the image")                 \
	X(ISA,     "isa",     "VARIANT",       "the ISA variant the image requires")          \
	X(CRITICAL, "critical", "",            "the critical instructions from here on are meant: no warnings")

enum asm_directive {
	ASM_DIR_UNKNOWN,
#define ASM_DIR_ENUM(name, spelling, ops, what) ASM_DIR_##name,
	ASM_DIRECTIVES(ASM_DIR_ENUM)
#undef ASM_DIR_ENUM
	ASM_NDIRS
};

/* Directive for a spelling without its dot (case-insensitive), or
 * ASM_DIR_UNKNOWN. */
enum asm_directive asm_directive_lookup(const char *name, size_t len);

/* ---- pseudo-instructions ----------------------------------------------- */

/* X(NAME, spelling, operand pattern, syntax, words, expansion): the one
 * list of pseudo-instructions.  Patterns: r register, i expression.
 * words: the size of the expansion (li: its short form; docs/asm.md). */
#define ASM_PSEUDOS(X)                                                                     \
	X(LI,   "li",   "ri",  "rd, value",    1, "movi rd, value  (if known in pass 1 and it fits 16 bits signed)\n" \
	                                          "lui rd, value >> 16; ori rd, rd, value & 0xffff  (otherwise)") \
	X(LA,   "la",   "ri",  "rd, address",  2, "lui rd, address >> 16; ori rd, rd, address & 0xffff") \
	X(MOV,  "mov",  "rr",  "rd, rs",       1, "addi rd, rs, 0")                                  \
	X(NOT,  "not",  "rr",  "rd, rs",       2, "movi rd, -1; xor rd, rd, rs  (rd and rs must differ)") \
	X(NEG,  "neg",  "rr",  "rd, rs",       2, "movi rd, 0; sub rd, rd, rs  (rd and rs must differ)") \
	X(SUBI, "subi", "rri", "rd, rs, simm", 1, "addi rd, rs, -simm")                              \
	X(PUSH, "push", "r",   "rs",           2, "addi sp, sp, -4; sw rs, 0(sp)")                   \
	X(POP,  "pop",  "r",   "rd",           2, "lw rd, 0(sp); addi sp, sp, 4")                    \
	X(RET,  "ret",  "",    "",             1, "jr lr")

enum asm_pseudo {
	ASM_PSEUDO_NONE,
#define ASM_PSEUDO_ENUM(name, spelling, pattern, syntax, words, expansion) ASM_PSEUDO_##name,
	ASM_PSEUDOS(ASM_PSEUDO_ENUM)
#undef ASM_PSEUDO_ENUM
	ASM_NPSEUDOS
};

/* ---- hash maps ---------------------------------------------------- */

/* An open-addressing map from byte strings to pointers.  Keys are copied
 * by the caller into the value; the map stores only the key's pointer. */
struct asm_map_slot {
	const char *key;
	size_t len;
	uint32_t hash;
	void *value;
};
struct asm_map {
	struct asm_map_slot *slots;
	size_t cap, count;
};

uint32_t asm_hash(const char *p, size_t n);
/* The value for key, or NULL. */
void *asm_map_get(const struct asm_map *m, const char *key, size_t len);
/* Insert (key must not be present; key must stay alive).  false: out of
 * memory. */
bool asm_map_put(struct asm_map *m, const char *key, size_t len, void *value);
void asm_map_free(struct asm_map *m);

/* ---- symbols ------------------------------------------------------- */

struct asm_sym {
	char *name;
	size_t len;
	int64_t value;
	int pass;            /* the last pass that defined it; 0: not defined */
	bool is_label;       /* a label (vs .equ) */
	bool builtin;        /* predefined constant (PORT_CONSOLE_OUT, ...) */
	unsigned kind;       /* labels: IMG_SYM_CODE or IMG_SYM_DATA */
	uint32_t seq;        /* definition order */
	int64_t pass1_value; /* labels: the value pass 1 gave */
	struct asm_loc def;  /* where it was defined in this pass */
};

/* A local numeric label N: its addresses in definition order. */
#define ASM_LOCAL_KEY_MAX 24 /* a 64-bit number in decimal, and a NUL */
struct asm_local {
	char key[ASM_LOCAL_KEY_MAX]; /* N in decimal: the map key */
	uint32_t *addrs;
	size_t n, cap;  /* addresses known (pass 1 records them) */
	size_t seen;    /* definitions met so far in this pass */
};

/* ---- macros and conditionals -------------------------------------------- */

struct asm_macro {
	char *name;
	size_t len;
	struct asm_slice *params; /* names, pointing into the source text */
	size_t nparams;
	char *body;               /* the body lines, each ending in '\n' */
	size_t body_len, body_cap;
	const struct asm_src *body_src; /* where the body lines are */
	int body_line;            /* line of the first body line in body_src */
	bool has_body_line;
	struct asm_loc def;       /* the name in .macro */
	bool bad;                 /* header error: parse the body, then drop it */
};

struct asm_cond {
	struct asm_loc loc; /* the .if */
	bool active;        /* the branch being assembled now is taken */
	bool seen_else;
	struct asm_loc else_loc;
};

/* ---- output -------------------------------------------------------------- */

struct asm_seg {
	uint32_t addr;
	uint8_t *data;
	size_t len, cap;
	struct asm_loc loc; /* the first byte's line */
};

/* Bytes a line emitted, for the listing. */
#define ASM_LIST_BYTES (ASM_LIST_ROWS * ISA_WORD_BYTES)
struct asm_listline {
	uint32_t addr;
	bool emitted, words, listed, has_label;
	size_t n;       /* bytes emitted (may exceed ASM_LIST_BYTES) */
	uint8_t bytes[ASM_LIST_BYTES];
};

/* ---- the assembler's state ------------------------------------------------ */

enum asm_mnem_kind { ASM_MNEM_INSN, ASM_MNEM_PSEUDO };
struct asm_mnem {
	enum asm_mnem_kind kind;
	unsigned code; /* opcode or enum asm_pseudo */
	const char *name;
};

struct asm_ctx {
	/* options */
	const char *const *include_dirs;
	size_t ninclude_dirs;
	isa_variant opt_variant;
	bool opt_variant_given;
	FILE *listing;
	FILE *diag;
	unsigned max_errors;
	const char *name;     /* the main source, for diagnostics with no line */

	/* diagnostics */
	int pass;             /* 1, 2, ...: the pass running */
	bool final;           /* the last pass: values are reported, bytes kept */
	unsigned equ_deferred; /* .equ left undefined in this pass (forward values) */
	unsigned errors;      /* reported (in either pass) */
	unsigned warnings;
	bool stop;            /* too many errors or a fatal one: unwind */
	bool last_printed;    /* the last error or warning was printed (for notes) */
	struct asm_loc last_error; /* where the last error was */
	bool line_bad;        /* the scanner reported an error on this line */

	/* sources */
	struct asm_src *srcs;
	struct asm_src *top;
	struct asm_map files; /* path -> struct asm_file (text shared by passes) */
	int include_depth, macro_depth;
	unsigned expansions;
	size_t expansion_bytes;
	unsigned expansion_serial; /* \@ */

	/* names */
	struct asm_mnem mnems[ISA_NOPS + ASM_NPSEUDOS];
	size_t nmnems;
	struct asm_map mnem_map;
	struct asm_map syms;     /* name -> struct asm_sym */
	struct asm_sym **symlist; /* every symbol, in creation order */
	size_t nsyms, symcap;
	uint32_t sym_seq;
	struct asm_map locals;   /* decimal N -> struct asm_local */
	struct asm_local **locallist;
	size_t nlocals, localcap;

	/* macros */
	struct asm_map macros;   /* name -> struct asm_macro (this pass) */
	struct asm_macro **macrolist;
	size_t nmacros, macrocap;
	struct asm_macro *defining;

	/* conditionals */
	struct asm_cond *conds;
	size_t nconds, condcap;
	size_t cond_base;        /* first .if of the source being parsed */

	/* the statement being parsed */
	struct asm_operand *ops;
	size_t nops, opcap;
	struct asm_slice *params; /* .macro parameters being collected */
	size_t nparams, paramcap;

	/* layout and output */
	uint32_t pc;
	bool pc_bad;             /* pc left memory: report once per .org */
	struct asm_seg *segs;
	size_t nsegs, segcap;
	bool seg_open;           /* the last segment continues at pc */
	bool store;              /* final pass, no errors yet: keep the bytes */
	bool emitted_any;
	uint32_t first_emit;
	struct asm_sym **pending; /* labels waiting to learn code or data */
	size_t npending, pendcap;
	uint8_t *li_long;        /* pass-1 decision per li: 1 = lui+ori */
	size_t nli, licap, li_next;

	/* image properties */
	bool entry_set;
	struct asm_value entry;
	struct asm_loc entry_loc;
	bool isa_set;
	isa_variant isa_variant;
	struct asm_loc isa_loc;
	isa_variant variant;     /* the variant in force (known after pass 1) */
	bool critical_meant;     /* .critical seen: no warnings for critical instructions */

	/* listing */
	struct asm_listline line;
};

/* ---- asm_diag.c ------------------------------------------------------ */

/* ASM_FATAL: an error that stops the assembly (out of memory, runaway
 * macros); "too many errors" is one too. */
enum asm_severity { ASM_ERROR, ASM_WARNING, ASM_NOTE, ASM_FATAL };
/* When a diagnostic is due: structural ones in pass 1, value ones in the
 * final pass (every pass computes them; this keeps them from printing
 * twice). */
enum asm_when { ASM_PASS1, ASM_FINAL };

/* Print one diagnostic: "file:line:col: error: message", the source line,
 * a caret under loc; then notes for the macro calls it came through.  loc
 * may be NULL (no position: "file: error: message").  Counts errors and
 * stops the assembly with "too many errors" at the limit.  A note is
 * printed only if the diagnostic before it was. */
void asm_vdiag(struct asm_ctx *a, enum asm_severity sev, enum asm_when when,
               const struct asm_loc *loc, const char *fmt, va_list ap);
/* An error about structure, reported in pass 1. */
void asm_error(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error or a warning about values, reported in the final pass. */
void asm_error_late(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void asm_warning_late(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error of the scanner: the rest of the line's pass-1 errors, which
 * would only echo it, are not reported. */
void asm_error_lex(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note to the diagnostic just made (printed only if that one was). */
void asm_note(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A fatal error: reported (in any pass), and the assembly stops. */
void asm_fatal(struct asm_ctx *a, const struct asm_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "Did you mean": the candidate closest to word (case-insensitive edit
 * distance), if within ASM_SUGGEST_MAX_DISTANCE and shorter than word. */
struct asm_suggest {
	const char *word;
	size_t len;
	const char *best;
	size_t dist;
};
void asm_suggest_init(struct asm_suggest *s, const char *word, size_t len);
void asm_suggest_try(struct asm_suggest *s, const char *cand, size_t cand_len);
/* Edit distance, case-insensitive, capped at cap + 1. */
size_t asm_edit_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap);

/* ---- asm.c (driver) ----------------------------------------------------- */

/* Assemble one source to its end (a file, an include, an expansion);
 * reports the .if it leaves open. */
void asm_parse_source(struct asm_ctx *a, struct asm_src *src);
/* lexer.l: run a scanner and the parser over src; yyparse's result. */
int asm_lex_parse(struct asm_ctx *a, struct asm_src *src);
/* A new source owned by the context (text is kept, not copied). */
struct asm_src *asm_src_new(struct asm_ctx *a, enum asm_src_kind kind, const char *name,
                            size_t name_len, const char *text, size_t len);
/* .include: op is the file name (a string); loc the directive. */
void asm_include(struct asm_ctx *a, const struct asm_operand *op, const struct asm_loc *loc);
/* Grow *arr (of *cap elements of size sz) to hold at least need; false:
 * out of memory (reported). */
bool asm_grow(struct asm_ctx *a, void **arr, size_t *cap, size_t need, size_t sz);
/* Report running out of memory and stop. */
void asm_out_of_memory(struct asm_ctx *a);

/* ---- asm_expr.c ------------------------------------------------------- */

enum asm_binop {
	ASM_OP_MUL, ASM_OP_DIV, ASM_OP_MOD, ASM_OP_ADD, ASM_OP_SUB, ASM_OP_SHL, ASM_OP_SHR,
	ASM_OP_LT, ASM_OP_LE, ASM_OP_GT, ASM_OP_GE, ASM_OP_EQ, ASM_OP_NE, ASM_OP_AND,
	ASM_OP_XOR, ASM_OP_OR, ASM_OP_LAND, ASM_OP_LOR,
};
enum asm_unop { ASM_OP_NEG, ASM_OP_NOT, ASM_OP_LNOT, ASM_OP_PLUS };

/* The terms and operators of expressions (loc: the symbol, or the
 * operator, for problems found there). */
struct asm_value asm_val_number(int64_t v);
struct asm_value asm_val_pc(const struct asm_ctx *a); /* "." */
struct asm_value asm_val_symbol(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc);
struct asm_value asm_val_local(struct asm_ctx *a, struct asm_slice ref, const struct asm_loc *loc);
struct asm_value asm_val_unary(enum asm_unop op, struct asm_value x);
struct asm_value asm_val_binary(enum asm_binop op, struct asm_value x, struct asm_value y,
                                const struct asm_loc *loc);
/* Is v usable: known (now = false: symbols further down are fine), or
 * known now (now = true: every symbol defined before this line, as .org,
 * .space, .align and .if need)?  If not, the final pass reports why, at the
 * problem's place on the line of loc (the operand holding v). */
bool asm_val_check(struct asm_ctx *a, const struct asm_value *v, bool now,
                   const struct asm_loc *loc);

/* The text between the quotes of a string operand (an unterminated one
 * has only its opening quote); *len is its length. */
const char *asm_string_body(const struct asm_operand *op, size_t *len);
/* Integer literal text (decimal, 0x hex, 0b binary) to value; false if it
 * does not fit in 32 bits. */
bool asm_parse_number(const char *p, size_t n, int64_t *out);
/* Decode the escapes of a string or character literal body (without the
 * quotes).  Writes at most cap bytes to out (may be NULL) and returns the
 * decoded length.  If bad is not NULL, *bad is set to the offset of the
 * first bad escape, or to n if there is none. */
size_t asm_unescape(const char *p, size_t n, uint8_t *out, size_t cap, size_t *bad);

/* ---- asm_sym.c ------------------------------------------------------ */

/* Define the predefined constants (PORT_*, TRAP_*, PSW_*, ...). */
void asm_sym_init_builtins(struct asm_ctx *a);
/* The symbol of that name, or NULL. */
struct asm_sym *asm_sym_find(const struct asm_ctx *a, const char *name, size_t len);
/* Find or create (undefined) a symbol; NULL: out of memory. */
struct asm_sym *asm_sym_intern(struct asm_ctx *a, const char *name, size_t len);
/* Define a label at the pc (reports duplicates). */
void asm_label(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc);
/* Define local label N at the pc. */
void asm_local_label(struct asm_ctx *a, int64_t n, const struct asm_loc *loc);
/* Local label N's record (created if asked; NULL if absent or no memory). */
struct asm_local *asm_local_get(struct asm_ctx *a, int64_t n, bool create);
/* .equ NAME, VALUE with the operands as parsed. */
void asm_equ(struct asm_ctx *a, const struct asm_operand *name, const struct asm_operand *val);
/* Start a pass (symbols keep their values); free everything at the end. */
void asm_sym_pass_begin(struct asm_ctx *a);
void asm_sym_free(struct asm_ctx *a);
/* Closest symbol name to name, for "did you mean". */
const char *asm_sym_suggest(const struct asm_ctx *a, const char *name, size_t len);

/* ---- asm_stmt.c -------------------------------------------------------- */

/* The mnemonics: every opcode of the ISA table, then the pseudos. */
void asm_mnem_init(struct asm_ctx *a);
/* Operands, collected as the parser reduces them. */
void asm_op_reg(struct asm_ctx *a, unsigned reg, const struct asm_loc *loc);
void asm_op_expr(struct asm_ctx *a, const struct asm_value *v, const struct asm_loc *loc);
void asm_op_mem(struct asm_ctx *a, const struct asm_value *off, unsigned reg,
                const struct asm_loc *loc);
void asm_op_string(struct asm_ctx *a, struct asm_slice text, const struct asm_loc *loc);
/* A syntax error: the unexpected token's name (NULL: none) and the
 * names of the expected ones, as bison spells them. */
void asm_syntax_error(struct asm_ctx *a, const struct asm_loc *loc, const char *unexpected,
                      const char *const *expected, size_t n);
/* "add r1 r2": a register right after an operand. */
void asm_missing_comma(struct asm_ctx *a, const struct asm_loc *loc);
/* The statement of a line, with the operands collected. */
void asm_statement(struct asm_ctx *a, struct asm_slice mnemonic, const struct asm_loc *loc);
/* A directive with the operands collected: dir, or if ASM_DIR_UNKNOWN the
 * directive that name (".word") spells. */
void asm_directive(struct asm_ctx *a, int dir, struct asm_slice name, const struct asm_loc *loc);
/* .isa with the rest of its line (empty: none given). */
void asm_isa_directive(struct asm_ctx *a, struct asm_slice spec, const struct asm_loc *loc);
/* End of a line: the listing, and the operand list is reset. */
void asm_line_end(struct asm_ctx *a, const struct asm_loc *loc);
/* List the current line now (before a macro expansion or an include). */
void asm_list_line(struct asm_ctx *a, const struct asm_loc *loc);
/* List a line that emits nothing and is not a statement (a .macro header,
 * a macro body line), and start afresh for the next. */
void asm_list_source_line(struct asm_ctx *a, const struct asm_loc *loc);
/* What emitted bytes are: the image's symbol kinds and the listing. */
enum asm_emit_kind { ASM_EMIT_CODE, ASM_EMIT_WORDS, ASM_EMIT_BYTES };
/* Emit n bytes at the pc (the final pass keeps them); bytes NULL: n
 * copies of fill. */
void asm_emit(struct asm_ctx *a, const uint8_t *bytes, size_t n, uint8_t fill,
              enum asm_emit_kind kind, const struct asm_loc *loc);
/* Start a pass: the pc at PG32_LOAD_ADDR, no bytes; free everything. */
void asm_stmt_pass_begin(struct asm_ctx *a);
void asm_stmt_free(struct asm_ctx *a);
/* The instruction or pseudo-instruction name spells (any case), or NULL. */
const struct asm_mnem *asm_mnem_find(const struct asm_ctx *a, const char *name, size_t len);

/* ---- asm_macro.c ------------------------------------------------------ */

/* A macro definition: its header (the parameters were collected before),
 * a header with a syntax error (the body is read and dropped), each
 * parameter, each body line. */
void asm_macro_begin(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc);
void asm_macro_begin_bad(struct asm_ctx *a, const struct asm_loc *loc);
void asm_macro_param(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc);
void asm_macro_line(struct asm_ctx *a, struct asm_slice line, const struct asm_loc *loc);
/* unterminated: the scanner hit the end of the source before .endm. */
void asm_macro_end(struct asm_ctx *a, bool unterminated, const struct asm_loc *loc);
/* The macro of that name defined so far in this pass, or NULL. */
struct asm_macro *asm_macro_find(const struct asm_ctx *a, const char *name, size_t len);
/* Call m with the operands collected as arguments; loc: the call. */
void asm_macro_expand(struct asm_ctx *a, struct asm_macro *m, const struct asm_loc *loc);
/* .if (operand collected), .else, .endif. */
void asm_cond_if(struct asm_ctx *a, const struct asm_loc *loc);
void asm_cond_else(struct asm_ctx *a, const struct asm_loc *loc);
void asm_cond_endif(struct asm_ctx *a, const struct asm_loc *loc);
/* Is the scanner inside a false branch of .if? */
bool asm_cond_skipping(const struct asm_ctx *a);
/* Report every .if opened since base and left open at the end of a source. */
void asm_cond_close(struct asm_ctx *a, size_t base);
/* Start a pass: no macros, no open .if; free the macros. */
void asm_macro_pass_begin(struct asm_ctx *a);
void asm_macro_free(struct asm_ctx *a);

#endif /* ASM_IMPL_H */
