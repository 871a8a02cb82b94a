/*
 * classify.h -- the Popek-Goldberg classifier: finds each instruction's
 * class by running it, not by reading the table.
 *
 * For every opcode the classifier draws many seeded random machine states
 * (registers, flags, interrupt-enable, R with a non-zero base, memory,
 * device registers, console input, and a random valid encoding of the
 * instruction at the pc), runs the one instruction with cpu_run() and a
 * budget of 1 in system and in user mode, each at two bases, and compares
 * the complete resulting states.  From what it sees it decides, following
 * Popek and Goldberg (1974):
 *
 *   privileged          traps (cause priv) in user mode and not in system
 *                       mode, in every sampled state without a data fault;
 *   control-sensitive   some execution that does not trap changes M, R,
 *                       IE, the waiting state, a device or the fixed trap
 *                       words (seen separately in system and in user mode);
 *   location-sensitive  the same state relocated to another base gives a
 *                       different result (per mode);
 *   mode-sensitive      the same state in system and in user mode gives
 *                       different results, the mode bit aside;
 *
 * and from those the verdict of Theorem 1 (virtualizable) and Theorem 3
 * (hybrid-virtualizable).  docs/classify.md gives the exact definitions and
 * where running instructions only approximates them.  The table's flags
 * column is read only to print the declared class beside the one found
 * (classify_declared_class), never to decide.
 *
 * Part of isa/ (library code, libtrapeze.a); the tool is isa/tzclassify.c.
 * Nothing here prints except the functions that take a FILE *.
 */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pg32.h"

/* Random states per opcode, and the seed, when the caller has no opinion. */
#define CLASSIFY_SAMPLES_DEFAULT 256u
#define CLASSIFY_SAMPLES_MAX     65536u
#define CLASSIFY_SEED_DEFAULT    1u

/* The properties a run can show, each seen in some execution. */
enum classify_prop {
	CLASSIFY_CONTROL_SYS,   /* control-sensitive in system mode */
	CLASSIFY_CONTROL_USER,  /* control-sensitive in user mode */
	CLASSIFY_LOCATION_SYS,  /* location-sensitive in system mode */
	CLASSIFY_LOCATION_USER, /* location-sensitive in user mode */
	CLASSIFY_MODE,          /* mode-sensitive */
	CLASSIFY_NPROPS
};

/* The execution that showed a property: the instruction word, the part of
 * the state that changed or differed ("R", "IE", "r3", "device", ...), and
 * the two bases (equal unless location) of the pair of runs. */
struct classify_witness {
	uint32_t insn;
	const char *what; /* a static string; NULL: property not seen */
	uint32_t base_a, base_b;
};

/* What running one opcode showed. */
struct classify_finding {
	unsigned op;
	unsigned samples;    /* random states tried */
	unsigned kept;       /* states whose system and user runs at the first
	                        base had no data fault (memory, align, divide) */
	unsigned user_priv;  /* of the kept: user run trapped with cause priv */
	unsigned sys_traps;  /* of the kept: system run trapped (any cause) */
	unsigned user_traps; /* of the kept: user run trapped (any cause) */
	bool privileged;     /* kept > 0, user_priv == kept, sys_traps == 0 */
	bool always_traps;   /* kept > 0, both runs trapped in every kept state */
	bool mode_observable; /* some state ran without trapping in both modes */
	bool seen[CLASSIFY_NPROPS];
	struct classify_witness witness[CLASSIFY_NPROPS];
};

struct classify_result {
	isa_variant variant;
	unsigned samples;
	uint64_t seed;
	struct classify_finding op[ISA_NOPS]; /* by opcode; [0] unused */
};

/* Classes, found or declared. */
enum classify_class {
	CLASSIFY_INNOCUOUS,    /* neither privileged nor sensitive */
	CLASSIFY_PRIVILEGED,   /* privileged (sensitive or not) */
	CLASSIFY_CRITICAL,     /* sensitive and not privileged */
	CLASSIFY_TRAPS,        /* traps in both modes (svc, brk, hcall) */
	CLASSIFY_UNDETERMINED, /* every sampled state had a data fault */
};

enum classify_verdict {
	CLASSIFY_VIRTUALIZABLE, /* Theorem 1: sensitive <= privileged */
	CLASSIFY_HYBRID_ONLY,   /* Theorem 3 only: user-sensitive <= privileged */
	CLASSIFY_NEITHER,
};

/* Classify every opcode under variant v from samples random states each,
 * drawn from seed (the same arguments give the same result, byte for byte).
 * Returns 0, PG32_EARG when samples is 0 or above CLASSIFY_SAMPLES_MAX,
 * PG32_ENOMEM or PG32_EIO, with a message in msg. */
int classify_run(isa_variant v, unsigned samples, uint64_t seed, struct classify_result *out,
                 char *msg, size_t msglen);

/* Sensitive: control-sensitive in either mode, location-sensitive in
 * either mode, or mode-sensitive. */
bool classify_sensitive(const struct classify_finding *f);
/* User-sensitive (Theorem 3): control- or location-sensitive in some
 * user-mode execution.  Mode-sensitivity does not count. */
bool classify_user_sensitive(const struct classify_finding *f);
/* The class found. */
enum classify_class classify_class_of(const struct classify_finding *f);
/* The class the table declares for op under v (flags column and variant),
 * for display beside the class found. */
enum classify_class classify_declared_class(isa_variant v, unsigned op);
/* Critical: sensitive and not privileged (breaks Theorem 1); it breaks
 * Theorem 3 too when user-sensitive. */
bool classify_critical(const struct classify_finding *f);
enum classify_verdict classify_verdict(const struct classify_result *r);

const char *classify_class_name(enum classify_class c);
const char *classify_verdict_name(enum classify_verdict v);
/* Short name of a property ("control-sensitive in system mode", ...). */
const char *classify_prop_name(enum classify_prop p);

/* The table, one row per opcode; the verdict lines; or both as JSON. */
void classify_print_table(FILE *out, const struct classify_result *r);
void classify_print_verdict(FILE *out, const struct classify_result *r);
/* One line per property seen, for every opcode: the execution that showed
 * it ("srr: location-sensitive in system mode: `srr r3, r7`: r3 differs
 * between base 0x140 and 0x2c0"). */
void classify_print_witnesses(FILE *out, const struct classify_result *r);
void classify_print_json(FILE *out, const struct classify_result *r);

#endif /* CLASSIFY_H */
