; computed.s -- lab rewrite: code reached only by computed jumps.
;
; The routines f0..f2 are reached only through a table of addresses (callr)
; and one of them jumps on through a register (jr) into code that nothing
; falls into.  Nothing of them is scanned before the jump: each must trap
; on its first fetch and be scanned then, its critical instructions
; patched.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

	.equ NROUTINES, 3
	.equ WORD_SHIFT, 2

_start:
	set_new_psw handler
	la r9, table
	movi r8, 0
1:	cmpi r8, NROUTINES
	bgeu 2f
	shli r1, r8, WORD_SHIFT
	add r1, r9, r1
	lw r2, 0(r1)
	movi r7, 0
	callr r2
	mov r1, r7
	call puthex
	putc_imm '\n'
	addi r8, r8, 1
	b 1b
2:	poweroff 0

	.align WORD
table:	.word f0, f1, f2

f0:	rdpsw r7
	ret
f1:	srr r6, r7                      ; r7 := the bound
	ret
f2:	la r3, far
	jr r3                           ; on through a register
	rdpsw r7                        ; never reached: after the jump
	ret
far:	rdpsw r7                        ; reached only by jr
	andi r7, r7, PSW_S
	ret

handler:
	call report_trap
	poweroff 1

	guest_lib
