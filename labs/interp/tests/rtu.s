; rtu.s -- lab interp: rtu returns to user mode at the address in a
; register; the user program then traps back (svc, and a privileged
; instruction), and the saved status says it was in user mode.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	movi r9, 0                      ; traps so far
	la r7, user_code
	rtu r7                          ; user mode, same R

handler:
	call report_trap
	addi r9, r9, 1
	cmpi r9, 2
	bge finish
	return_from_trap                ; back to user mode, after the svc
finish:
	poweroff 0

user_code:
	movi r1, 3
	svc 9
	addi r1, r1, 1
	rdpsw r2                        ; privileged: a trap in user mode
	b user_code
	guest_lib
