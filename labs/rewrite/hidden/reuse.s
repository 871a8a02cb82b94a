; reuse.s -- lab rewrite (hidden): the patch table's entries are freed and
; reused.  A loop rewrites slot many times with critical instructions,
; each time over the patch word of the one before, and runs it; it prints
; a running sum of what the instructions returned.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

	.equ ROUNDS, 40
	insn_word W_SRR, OP_SRR, 7, 8       ; srr r7, r8
	insn_word W_RDPSW, OP_RDPSW, 7, 0   ; rdpsw r7

_start:
	set_new_psw handler
	movi r9, 0                      ; round
	movi r11, 0                     ; sum
	la r10, slot
1:	cmpi r9, ROUNDS
	bgeu 3f
	li r1, W_SRR
	andi r2, r9, 1
	cmpi r2, 0
	beq 2f
	li r1, W_RDPSW
2:	sw r1, 0(r10)
	movi r7, 0
	movi r8, 0
	call slot
	add r11, r11, r7
	add r11, r11, r8
	addi r9, r9, 1
	b 1b
3:	mov r1, r11
	call puthex
	putc_imm '\n'
	poweroff 0

slot:	nop
	ret

handler:
	call report_trap
	poweroff 1

	guest_lib
