; trap_svc.s -- catch a supervisor call.
;
; svc N traps TRAP_SVC with N as detail.  Unlike a fault, the svc is done:
; the saved pc is that of the NEXT instruction, so the handler returns
; without skipping anything.  Arguments and results travel in registers:
; here the handler adds r7 + r8 into r1, which the return keeps.
	.include "pg32.inc"
	.entry _start

	.equ SVC_ADD, 42                ; this guest's one system call

_start:
	set_new_psw handler
	print s_before
	movi r7, 30
	movi r8, 12
	svc SVC_ADD
	mov r9, r1                      ; the result
	print s_after
	mov r1, r9
	call putdec
	putc_imm '\n'
	poweroff 0

handler:
	call report_trap
	add r1, r7, r8                  ; the service: r1 := r7 + r8
	return_from_trap                ; (keeps r1..r5)

s_before:	.asciz "svc 42 with 30 and 12\n"
s_after:	.asciz "back after the svc with "

	guest_lib
