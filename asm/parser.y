/*
 * parser.y -- the grammar of PG32 assembly (pure bison, with locations).
 *
 * A source is a list of lines; a line is labels, then at most one
 * statement (an instruction, a pseudo-instruction, a macro call or a
 * directive), then the end of the line.  Operands are parsed the same way
 * for every statement -- register, expression, memory operand, string --
 * and the builder functions (asm_stmt.c) check them against the
 * instruction's format from the ISA table.  Expressions are evaluated as
 * they are reduced (asm_expr.c).  Every action is a call into those files.
 */
%code requires {
#include "asm_impl.h"

/* A rule's location spans its first to its last symbol; an empty rule
 * sits at the end of the symbol before it. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                            \
	do {                                                                   \
		if (n) {                                                       \
			(cur).src = YYRHSLOC(rhs, n).src;                      \
			(cur).line = YYRHSLOC(rhs, 1).line;                    \
			(cur).begin = YYRHSLOC(rhs, 1).begin;                  \
			(cur).end = YYRHSLOC(rhs, n).end;                      \
		} else {                                                       \
			(cur).src = YYRHSLOC(rhs, 0).src;                      \
			(cur).line = YYRHSLOC(rhs, 0).line;                    \
			(cur).begin = (cur).end = YYRHSLOC(rhs, 0).end;        \
		}                                                              \
	} while (0)
}

%code provides {
int asm_yylex(ASM_YYSTYPE *lval, ASM_YYLTYPE *lloc, void *scanner);
}

%code {
/* Small initial stacks: sources nest (.include, macros) by recursion. */
#define YYINITDEPTH 32
static void asm_yyerror(const ASM_YYLTYPE *loc, void *scanner, struct asm_ctx *a,
                        const char *msg);
}

%define api.pure full
%define api.prefix {asm_yy}
%define api.location.type {struct asm_loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {void *scanner}
%parse-param {struct asm_ctx *a}

%union {
	int64_t num;
	unsigned reg;
	bool flag;
	struct asm_slice text;
	struct asm_value val;
}

%token END 0 "end of file"
%token EOL "end of line"
%token <text> IDENT "identifier"
%token <text> DIRECTIVE "directive"
%token <num> NUMBER "number"
%token <text> LOCALREF "local label reference"
%token <reg> REG "register"
%token <text> STRING "string"
%token <text> BODYLINE "macro body line"
%token <text> ISASPEC "ISA variant"
%token D_MACRO "'.macro'"
%token <flag> D_ENDM "'.endm'"
%token D_ISA "'.isa'"
%token DOT "'.'"
%token SHL "'<<'"
%token SHR "'>>'"
%token LE "'<='"
%token GE "'>='"
%token EQ "'=='"
%token NE "'!='"
%token ANDAND "'&&'"
%token OROR "'||'"

%type <val> expr

%left OROR
%left ANDAND
%left '|'
%left '^'
%left '&'
%left EQ NE
%left '<' LE '>' GE
%left SHL SHR
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%%

program:
	  %empty
	| program line
	;

line:
	  labels stmt EOL       { asm_line_end(a, &@3); }
	| macro_def EOL         { asm_line_end(a, &@2); }
	| error EOL             { yyerrok; asm_line_end(a, &@2); }
	;

labels:
	  %empty
	| labels label
	;

label:
	  IDENT ':'             { asm_label(a, $1, &@1); }
	| NUMBER ':'            { asm_local_label(a, $1, &@1); }
	;

stmt:
	  %empty
	| IDENT operands        { asm_statement(a, $1, &@1); }
	| DIRECTIVE operands    { asm_directive(a, ASM_DIR_UNKNOWN, $1, &@1); }
	| D_ISA ISASPEC         { asm_isa_directive(a, $2, &@2); }
	| D_ISA                 { asm_isa_directive(a, (struct asm_slice){ NULL, 0 }, &@1); }
	| D_ENDM                { asm_directive(a, ASM_DIR_ENDM, (struct asm_slice){ NULL, 0 }, &@1); }
	;

operands:
	  %empty
	| oplist
	;

oplist:
	  operand
	| oplist ',' operand
	| oplist REG            { asm_missing_comma(a, &@2); asm_op_reg(a, $2, &@2); }
	;

operand:
	  REG                   { asm_op_reg(a, $1, &@1); }
	| expr                  { asm_op_expr(a, &$1, &@1); }
	| expr '(' REG ')'      { asm_op_mem(a, &$1, $3, &@$); }
	| '(' REG ')'           { asm_op_mem(a, NULL, $2, &@$); }
	| STRING                { asm_op_string(a, $1, &@1); }
	;

expr:
	  NUMBER                { $$ = asm_val_number($1); }
	| IDENT                 { $$ = asm_val_symbol(a, $1, &@1); }
	| LOCALREF              { $$ = asm_val_local(a, $1, &@1); }
	| DOT                   { $$ = asm_val_pc(a); }
	| '(' expr ')'          { $$ = $2; $$.is_sym = false; }
	| '-' expr %prec UNARY  { $$ = asm_val_unary(ASM_OP_NEG, $2); }
	| '+' expr %prec UNARY  { $$ = asm_val_unary(ASM_OP_PLUS, $2); }
	| '~' expr %prec UNARY  { $$ = asm_val_unary(ASM_OP_NOT, $2); }
	| '!' expr %prec UNARY  { $$ = asm_val_unary(ASM_OP_LNOT, $2); }
	| expr '*' expr         { $$ = asm_val_binary(ASM_OP_MUL, $1, $3, &@2); }
	| expr '/' expr         { $$ = asm_val_binary(ASM_OP_DIV, $1, $3, &@2); }
	| expr '%' expr         { $$ = asm_val_binary(ASM_OP_MOD, $1, $3, &@2); }
	| expr '+' expr         { $$ = asm_val_binary(ASM_OP_ADD, $1, $3, &@2); }
	| expr '-' expr         { $$ = asm_val_binary(ASM_OP_SUB, $1, $3, &@2); }
	| expr SHL expr         { $$ = asm_val_binary(ASM_OP_SHL, $1, $3, &@2); }
	| expr SHR expr         { $$ = asm_val_binary(ASM_OP_SHR, $1, $3, &@2); }
	| expr '<' expr         { $$ = asm_val_binary(ASM_OP_LT, $1, $3, &@2); }
	| expr LE expr          { $$ = asm_val_binary(ASM_OP_LE, $1, $3, &@2); }
	| expr '>' expr         { $$ = asm_val_binary(ASM_OP_GT, $1, $3, &@2); }
	| expr GE expr          { $$ = asm_val_binary(ASM_OP_GE, $1, $3, &@2); }
	| expr EQ expr          { $$ = asm_val_binary(ASM_OP_EQ, $1, $3, &@2); }
	| expr NE expr          { $$ = asm_val_binary(ASM_OP_NE, $1, $3, &@2); }
	| expr '&' expr         { $$ = asm_val_binary(ASM_OP_AND, $1, $3, &@2); }
	| expr '^' expr         { $$ = asm_val_binary(ASM_OP_XOR, $1, $3, &@2); }
	| expr '|' expr         { $$ = asm_val_binary(ASM_OP_OR, $1, $3, &@2); }
	| expr ANDAND expr      { $$ = asm_val_binary(ASM_OP_LAND, $1, $3, &@2); }
	| expr OROR expr        { $$ = asm_val_binary(ASM_OP_LOR, $1, $3, &@2); }
	;

macro_def:
	  macro_head body D_ENDM { asm_macro_end(a, $3, &@3); }
	;

macro_head:
	  D_MACRO IDENT params EOL { asm_macro_begin(a, $2, &@2); }
	| D_MACRO error EOL        { yyerrok; asm_macro_begin_bad(a, &@1); }
	;

params:
	  %empty
	| paramlist
	;

paramlist:
	  IDENT                 { asm_macro_param(a, $1, &@1); }
	| paramlist ',' IDENT   { asm_macro_param(a, $3, &@3); }
	| paramlist IDENT       { asm_macro_param(a, $2, &@2); }
	;

body:
	  %empty
	| body BODYLINE         { asm_macro_line(a, $2, &@2); }
	;

%%

/* Hand the unexpected token and the expected ones, by name, to
 * asm_syntax_error, which words the message. */
static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, struct asm_ctx *a)
{
	yysymbol_kind_t expected[YYNTOKENS], tok = yypcontext_token(ctx);
	const char *names[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);

	(void)scanner;
	for (int i = 0; i < n; i++)
		names[i] = yysymbol_name(expected[i]);
	asm_syntax_error(a, yypcontext_location(ctx),
	                 tok == YYSYMBOL_YYEMPTY ? NULL : yysymbol_name(tok), names,
	                 n > 0 ? (size_t)n : 0);
	return 0;
}

static void asm_yyerror(const ASM_YYLTYPE *loc, void *scanner, struct asm_ctx *a,
                        const char *msg)
{
	(void)scanner;
	asm_error(a, loc, "%s (the line or expression is nested too deeply)", msg);
}
