/*
 * asm_sym.c -- the assembler's names: a small hash map, the symbol table
 * (labels, .equ constants, predefined constants) and the local numeric
 * labels (1:, 1b, 1f).
 *
 * Symbols survive from pass to pass: a reference to a label further down
 * uses its value from the pass before.  Each symbol records the pass that last
 * defined it, which tells "defined earlier in this pass" (known now) from
 * "defined further down" (known only from an earlier pass).
 */
#include "asm_impl.h"

#include <stdlib.h>
#include <string.h>

#define MAP_MIN_CAP 64
#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

/* ---- the map ---------------------------------------------------------- */

uint32_t asm_hash(const char *p, size_t n)
{
	uint32_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * FNV_PRIME;
	return h;
}

static struct asm_map_slot *map_slot(const struct asm_map *m, const char *key, size_t len,
                                     uint32_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	for (;;) {
		struct asm_map_slot *s = &m->slots[i];
		if (s->key == NULL ||
		    (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
		i = (i + 1) & mask;
	}
}

void *asm_map_get(const struct asm_map *m, const char *key, size_t len)
{
	if (m->count == 0)
		return NULL;
	return map_slot(m, key, len, asm_hash(key, len))->value;
}

bool asm_map_put(struct asm_map *m, const char *key, size_t len, void *value)
{
	if ((m->count + 1) * 2 > m->cap) {
		struct asm_map bigger = { .cap = m->cap ? m->cap * 2 : MAP_MIN_CAP, .count = m->count };
		bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
		if (bigger.slots == NULL)
			return false;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key != NULL)
				*map_slot(&bigger, m->slots[i].key, m->slots[i].len, m->slots[i].hash) =
					m->slots[i];
		free(m->slots);
		*m = bigger;
	}
	uint32_t h = asm_hash(key, len);
	struct asm_map_slot *s = map_slot(m, key, len, h);
	*s = (struct asm_map_slot){ .key = key, .len = len, .hash = h, .value = value };
	m->count++;
	return true;
}

void asm_map_free(struct asm_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

/* ---- symbols ---------------------------------------------------------- */

struct asm_sym *asm_sym_find(const struct asm_ctx *a, const char *name, size_t len)
{
	return asm_map_get(&a->syms, name, len);
}

struct asm_sym *asm_sym_intern(struct asm_ctx *a, const char *name, size_t len)
{
	struct asm_sym *s = asm_sym_find(a, name, len);

	if (s != NULL)
		return s;
	if (!asm_grow(a, (void **)&a->symlist, &a->symcap, a->nsyms + 1, sizeof *a->symlist))
		return NULL;
	s = calloc(1, sizeof *s);
	if (s != NULL)
		s->name = malloc(len + 1);
	if (s == NULL || s->name == NULL) {
		free(s);
		asm_out_of_memory(a);
		return NULL;
	}
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->len = len;
	if (!asm_map_put(&a->syms, s->name, len, s)) {
		free(s->name);
		free(s);
		asm_out_of_memory(a);
		return NULL;
	}
	a->symlist[a->nsyms++] = s;
	return s;
}

/* Predefined constants: the names pg32.h gives to ports, trap causes, PSW
 * bits and the fixed addresses, and the opcode of every instruction with
 * the positions of the instruction fields (for guests that write code at
 * run time or keep instruction words as data), so guests need no magic
 * numbers. */
struct builtin {
	const char *name;
	int64_t value;
};

static const struct builtin builtins[] = {
#define BUILTIN_PORT(name, num, ...) { "PORT_" #name, num },
	PG32_PORTS(BUILTIN_PORT)
#undef BUILTIN_PORT
#define BUILTIN_TRAP(name, code, ...) { "TRAP_" #name, code },
	PG32_TRAPS(BUILTIN_TRAP)
#undef BUILTIN_TRAP
#define BUILTIN_OP(name, ...) { "OP_" #name, ISA_OP_##name },
#define ISA_OP BUILTIN_OP
#include "isa.def"
#undef ISA_OP
#undef BUILTIN_OP
#define BUILTIN(name) { #name, name }
	BUILTIN(ISA_OPCODE_SHIFT), BUILTIN(ISA_RD_SHIFT), BUILTIN(ISA_RS_SHIFT),
	BUILTIN(ISA_RT_SHIFT),
	BUILTIN(PSW_S), BUILTIN(PSW_IE), BUILTIN(PSW_N), BUILTIN(PSW_Z), BUILTIN(PSW_C),
	BUILTIN(PSW_V), BUILTIN(PSW_FLAGS),
	BUILTIN(PSW_OFF_STATUS), BUILTIN(PSW_OFF_PC), BUILTIN(PSW_OFF_BASE),
	BUILTIN(PSW_OFF_BOUND), BUILTIN(PSW_BYTES),
	BUILTIN(PG32_OLD_PSW), BUILTIN(PG32_CAUSE), BUILTIN(PG32_DETAIL), BUILTIN(PG32_NEW_PSW),
	BUILTIN(PG32_TRAP_AREA_END), BUILTIN(PG32_LOAD_ADDR), BUILTIN(PG32_MEM_MIN),
	BUILTIN(PG32_MEM_MAX), BUILTIN(PG32_MEM_DEFAULT), BUILTIN(ISA_WORD_BYTES),
	BUILTIN(PORT_NONE_VALUE),
	BUILTIN(DISK_CMD_READ), BUILTIN(DISK_CMD_WRITE), BUILTIN(DISK_STATUS_IDLE),
	BUILTIN(DISK_STATUS_BUSY), BUILTIN(DISK_STATUS_DONE), BUILTIN(DISK_STATUS_ERROR),
	BUILTIN(DISK_SECTOR_BYTES), BUILTIN(CONSOLE_IN_NONE), BUILTIN(CONSOLE_STATUS_READY),
	BUILTIN(CONSOLE_STATUS_EOF),
#undef BUILTIN
};

void asm_sym_init_builtins(struct asm_ctx *a)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		struct asm_sym *s = asm_sym_intern(a, builtins[i].name, strlen(builtins[i].name));
		if (s == NULL)
			return;
		s->builtin = true;
		s->pass = 1;
		s->value = builtins[i].value;
	}
}

void asm_label(struct asm_ctx *a, struct asm_slice name, const struct asm_loc *loc)
{
	struct asm_sym *s = asm_sym_intern(a, name.p, name.n);

	if (s == NULL)
		return;
	if (s->builtin) {
		asm_error(a, loc, "'%s' is a predefined constant (0x%llx); it cannot be a label",
		          s->name, (unsigned long long)s->value);
		return;
	}
	if (s->pass == a->pass) {
		asm_error(a, loc, "duplicate label '%s'", s->name);
		asm_note(a, &s->def, "'%s' was first defined here", s->name);
		return;
	}
	if (a->pass == 1) {
		s->pass1_value = a->pc;
		s->seq = a->sym_seq++;
	} else if (s->pass1_value != a->pc && a->errors == 0) {
		asm_error_late(a, loc, "internal error: label '%s' moved from 0x%llx to 0x%x between passes",
		               s->name, (unsigned long long)s->pass1_value, a->pc);
	}
	s->value = a->pc;
	s->pass = a->pass;
	s->is_label = true;
	s->kind = IMG_SYM_DATA;
	s->def = *loc;
	a->line.has_label = true;
	if (asm_grow(a, (void **)&a->pending, &a->pendcap, a->npending + 1, sizeof *a->pending))
		a->pending[a->npending++] = s;
}

void asm_equ(struct asm_ctx *a, const struct asm_operand *name, const struct asm_operand *val)
{
	struct asm_slice n = { name->loc.src->text + name->loc.begin, name->loc.end - name->loc.begin };
	struct asm_sym *s;

	if (name->kind != ASM_OPK_EXPR || !name->val.is_sym) {
		asm_error(a, &name->loc, "expected a symbol name for operand 1 of '.equ'");
		return;
	}
	if (val->kind != ASM_OPK_EXPR) {
		asm_error(a, &val->loc, "expected an expression for operand 2 of '.equ'");
		return;
	}
	s = asm_sym_intern(a, n.p, n.n);
	if (s == NULL)
		return;
	if (s->builtin) {
		if (asm_val_check(a, &val->val, false, &val->loc) && val->val.v != s->value)
			asm_error_late(a, &name->loc, "'%s' is a predefined constant (0x%llx)", s->name,
			               (unsigned long long)s->value);
		return;
	}
	if (s->pass == a->pass) {
		asm_error(a, &name->loc, "duplicate definition of '%s'", s->name);
		asm_note(a, &s->def, "'%s' was first defined here", s->name);
		return;
	}
	/* A value that uses later symbols stays undefined in this pass;
	 * they have values by its end, so the next pass defines it. */
	if (!asm_val_check(a, &val->val, false, &val->loc)) {
		a->equ_deferred++;
		return;
	}
	s->value = val->val.v;
	s->pass = a->pass;
	s->is_label = false;
	s->def = name->loc;
	if (a->pass == 1)
		s->seq = a->sym_seq++;
}

const char *asm_sym_suggest(const struct asm_ctx *a, const char *name, size_t len)
{
	struct asm_suggest sg;

	asm_suggest_init(&sg, name, len);
	for (size_t i = 0; i < a->nsyms; i++)
		if (a->symlist[i]->pass > 0)
			asm_suggest_try(&sg, a->symlist[i]->name, a->symlist[i]->len);
	return sg.best;
}

/* ---- local labels ------------------------------------------------------ */

struct asm_local *asm_local_get(struct asm_ctx *a, int64_t n, bool create)
{
	char key[sizeof ((struct asm_local *)0)->key];
	int len = snprintf(key, sizeof key, "%lld", (long long)n);
	struct asm_local *l = asm_map_get(&a->locals, key, (size_t)len);

	if (l != NULL || !create)
		return l;
	if (!asm_grow(a, (void **)&a->locallist, &a->localcap, a->nlocals + 1, sizeof *a->locallist))
		return NULL;
	l = calloc(1, sizeof *l);
	if (l == NULL) {
		asm_out_of_memory(a);
		return NULL;
	}
	memcpy(l->key, key, (size_t)len + 1);
	if (!asm_map_put(&a->locals, l->key, (size_t)len, l)) {
		free(l);
		asm_out_of_memory(a);
		return NULL;
	}
	a->locallist[a->nlocals++] = l;
	return l;
}

void asm_local_label(struct asm_ctx *a, int64_t n, const struct asm_loc *loc)
{
	struct asm_local *l = asm_local_get(a, n, true);

	if (l == NULL)
		return;
	a->line.has_label = true;
	if (l->seen < l->n) {
		/* Later passes meet the definitions pass 1 recorded. */
		if (l->addrs[l->seen] != a->pc && a->errors == 0)
			asm_error_late(a, loc, "internal error: local label %lld moved between passes",
			               (long long)n);
		l->addrs[l->seen++] = a->pc;
		return;
	}
	if (!asm_grow(a, (void **)&l->addrs, &l->cap, l->n + 1, sizeof *l->addrs))
		return;
	l->addrs[l->n++] = a->pc;
	l->seen++;
}

void asm_sym_pass_begin(struct asm_ctx *a)
{
	for (size_t i = 0; i < a->nlocals; i++)
		a->locallist[i]->seen = 0;
	a->npending = 0;
}

void asm_sym_free(struct asm_ctx *a)
{
	for (size_t i = 0; i < a->nsyms; i++) {
		free(a->symlist[i]->name);
		free(a->symlist[i]);
	}
	for (size_t i = 0; i < a->nlocals; i++) {
		free(a->locallist[i]->addrs);
		free(a->locallist[i]);
	}
	free(a->symlist);
	free(a->locallist);
	free(a->pending);
	asm_map_free(&a->syms);
	asm_map_free(&a->locals);
}
