/*
 * bench.h -- the parts of `make bench` (build/bin/tzbench).  Each prints
 * its figures as "name: value unit" lines, measured as ratios or rates
 * within one run; nothing here is a pass/fail test.
 */
#ifndef TZ_BENCH_H
#define TZ_BENCH_H

#include <stdint.h>

/* Seconds of a monotonic clock (benchmarks only: never in the machine). */
double bench_now(void);

void bench_isa(const char *build_dir); /* bare_alu_mips, bare_mem_mips */
void bench_asm(void);                  /* asm_lines_per_s */
void bench_vmm(const char *build_dir); /* vmm_compute_ratio, trap_roundtrip_ns, ... */
void bench_callgrind(const char *build_dir); /* host_instr_per_guest_instr (valgrind) */

#endif
