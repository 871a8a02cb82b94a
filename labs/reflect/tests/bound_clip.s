; bound_clip.s -- lab reflect: a bound past the end of the guest's memory
; is cut at its end.  The load at the memory size faults on the bare
; machine, so it must fault under the monitor too (and not read the next
; guest's memory).
	.include "pg32.inc"
	.entry _start

	.equ MEM_END, 0x10000           ; this lab's guest memory size

_start:
	set_new_psw handler
	movi r7, 0
	li r8, BOUND_ALL
	lrr r7, r8                      ; R = (0, everything)
	li r9, MEM_END - WORD
	lw r10, 0(r9)                   ; the last word: fine
	li r9, MEM_END
	lw r10, 0(r9)                   ; one past: a memory fault
	print s_read
	mov r1, r10
	call puthex
	putc_imm '\n'
	poweroff 0

handler:
	call report_trap
	poweroff 2

s_read:	.asciz "read past the end: "

	guest_lib
