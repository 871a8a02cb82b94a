; srr_lrr.s -- lab interp: lrr sets the virtual R, srr reads it back.
;
; Under the monitor the real R is the composition of this R with the
; guest's region (which does not start at 0 in the grader: a pad guest
; sits before it), so an srr that reads the real R shows a different base
; and bound.
	.include "pg32.inc"
	.entry _start

	.equ NEW_BOUND, 0x3000          ; a bound that still covers this code

_start:
	set_new_psw handler
	srr r7, r8                      ; after reset: (0, memory size)
	call show
	movi r9, 0
	li r10, NEW_BOUND
	lrr r9, r10                     ; base 0: the next fetch is unchanged
	srr r7, r8
	call show
	srr r7, r7                      ; the same register twice: the bound wins
	mov r8, r7
	call show
	li r10, BOUND_ALL
	lrr r9, r10
	srr r7, r8
	call show
	poweroff 0

; show: print r7 and r8 as "R = (base, bound)".
show:
	mov r11, lr
	print s_r
	mov r1, r7
	call puthex
	print s_comma
	mov r1, r8
	call puthex
	print s_close
	jr r11

handler:
	call report_trap
	poweroff 1

s_r:	.asciz "R = ("
s_comma: .asciz ", "
s_close: .asciz ")\n"

	guest_lib
