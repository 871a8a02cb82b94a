/*
 * bench.h -- the parts of `make bench` (build/bin/tzbench).  Each prints
 * its figures as "name: value unit" lines, measured as ratios or rates
 * within one run; nothing here is a pass/fail test.
 */
#ifndef TZ_BENCH_H
#define TZ_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "pg32.h"

/* Seconds of a monotonic clock (benchmarks only: never in the machine). */
double bench_now(void);
/* Seconds of CPU time this process has used: what a speed figure of the
 * simulator divides by, so that other programs on the machine take nothing
 * from it (they still share its caches). */
double bench_cpu_now(void);
/* One instruction word; the operands are constants known to fit (aborts
 * otherwise: a benchmark's program is fixed). */
uint32_t bench_enc(enum isa_opcode op, unsigned rd, unsigned rs, unsigned rt, int32_t imm);

/* The loops the speed figures run, each ended by the branch op back to its
 * first word; they return their length in words.  The ALU loop:
 * r1 += 1; r2 ^= r1; compare r1, r3.  The load/store loop: r2 = [r4];
 * r2 += r1; [r4] = r2; r1 += 1; compare r1, r3. */
#define BENCH_ALU_WORDS 4
#define BENCH_MEM_WORDS 6
size_t bench_alu_loop(uint32_t words[BENCH_ALU_WORDS], enum isa_opcode back);
size_t bench_mem_loop(uint32_t words[BENCH_MEM_WORDS], enum isa_opcode back);
/* The trap loop: BENCH_TRAP_UNROLL rdpsw r1 (each trapped and emulated
 * under the monitor, the guest in virtual system mode), then b back. */
#define BENCH_TRAP_UNROLL 64
#define BENCH_TRAP_WORDS (BENCH_TRAP_UNROLL + 1)
size_t bench_trap_loop(uint32_t words[BENCH_TRAP_WORDS]);

void bench_isa(const char *build_dir); /* bare_alu_mips, bare_mem_mips */
void bench_asm(void);                  /* asm_lines_per_s */
void bench_vmm(const char *build_dir); /* vmm_compute_ratio, trap_roundtrip_ns, ... */
void bench_dbg(void);                  /* dbg_continue_mips, reverse_step_ms, replay_mib */
void bench_callgrind(const char *build_dir); /* host_instr_per_guest_instr (valgrind) */
void bench_grade(const char *build_dir); /* grade_one_s, grade_batch_speedup */

#endif
