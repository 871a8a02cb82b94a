; forged.s -- lab rewrite: a guest's own illegal word that looks exactly
; like a patch word is the guest's, and its trap is reflected.
;
; The undefined opcode is 0, so the patch word of entry 0 is the word 0.
; This kernel runs two critical instructions (the rewriter patches them,
; entries 0 and 1), then two words of its own: 0 and 1, the very patch
; words of those entries, at other addresses.  On the bare machine each is
; an illegal instruction: the handler prints the cause and the pc, and
; goes on after it.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	rdpsw r7                        ; patch entry 0
	srr r8, r9                      ; patch entry 1
	.word 0                         ; forged: the patch word of entry 0
	.word 1                         ; forged: the patch word of entry 1
	andi r1, r7, PSW_S
	call puthex
	putc_imm '\n'
	poweroff 0

handler:
	movi r1, 0
	lw r1, PG32_CAUSE(r1)
	call puthex
	putc_imm ' '
	movi r1, 0
	lw r1, PG32_OLD_PSW + PSW_OFF_PC(r1)
	call puthex
	putc_imm '\n'
	skip_faulting_insn
	return_from_trap

	guest_lib
