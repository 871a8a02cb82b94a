/*
 * cpu_branch.h -- the compares and the conditional branches of PG32, as
 * lists, and each branch's condition as a function of the four flags N, Z,
 * C and V, which is all the architecture says of it.  The CPU's loops make
 * their cases from these lists (cpu_ops.h), and the fast loop also makes
 * from them one handler for each compare followed by a conditional
 * branch (cpu_loop.h).  Included by cpu.c only.
 */
#ifndef PG32_CPU_BRANCH_H
#define PG32_CPU_BRANCH_H

/* The conditions of the conditional branches (isa.def's meanings). */
#define COND_EQ(N, Z, C, V) (Z)
#define COND_NE(N, Z, C, V) (!(Z))
#define COND_LT(N, Z, C, V) ((N) != (V))
#define COND_GE(N, Z, C, V) ((N) == (V))
#define COND_GT(N, Z, C, V) (!(Z) && (N) == (V))
#define COND_LE(N, Z, C, V) ((Z) || (N) != (V))
#define COND_LTU(N, Z, C, V) (!(C))
#define COND_GEU(N, Z, C, V) (C)
#define COND_GTU(N, Z, C, V) ((C) && !(Z))
#define COND_LEU(N, Z, C, V) (!(C) || (Z))

/* The compares, with their operands, and the conditional branches, with
 * their conditions, as lists: the fast loop also runs a compare and the
 * conditional branch right after it as one handler, made from these same
 * lines (cpu_loop.h, "compare and branch").  A list takes X and passes
 * any further arguments on to every X. */
#define CPU_COMPARES(X, ...)                                          \
	X(CMP, RD, RS, __VA_ARGS__)                                       \
	X(CMPI, RD, SIMM, __VA_ARGS__)
#define CPU_BRANCHES(X, ...)                                          \
	X(BEQ, COND_EQ, __VA_ARGS__)                                      \
	X(BNE, COND_NE, __VA_ARGS__)                                      \
	X(BLT, COND_LT, __VA_ARGS__)                                      \
	X(BGE, COND_GE, __VA_ARGS__)                                      \
	X(BGT, COND_GT, __VA_ARGS__)                                      \
	X(BLE, COND_LE, __VA_ARGS__)                                      \
	X(BLTU, COND_LTU, __VA_ARGS__)                                    \
	X(BGEU, COND_GEU, __VA_ARGS__)                                    \
	X(BGTU, COND_GTU, __VA_ARGS__)                                    \
	X(BLEU, COND_LEU, __VA_ARGS__)

#endif
