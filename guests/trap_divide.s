; trap_divide.s -- catch a division by zero.
;
; div, divu, rem and remu by zero fault TRAP_DIVIDE with the instruction
; word as detail, and write nothing.  The handler reports the trap, skips
; the division and returns.  (INT_MIN / -1 does not trap: it is INT_MIN.)
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	print s_before
	movi r8, 100
	movi r9, 0
	movi r7, 7                      ; what the division would overwrite
	div r7, r8, r9                  ; divide fault
	print s_after
	mov r1, r7
	call putdec
	print s_intmin
	li r8, 0x80000000
	movi r9, -1
	div r1, r8, r9
	call puthex
	putc_imm '\n'
	poweroff 0

handler:
	call report_trap
	skip_faulting_insn
	return_from_trap

s_before:	.asciz "dividing 100 by 0\n"
s_after:	.asciz "back after the division; r7 still holds "
s_intmin:	.asciz "\nand 0x80000000 / -1 = "

	guest_lib
