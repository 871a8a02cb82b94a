; trap_priv.s -- catch a privileged instruction in user mode.
;
; The guest enters user mode with lpsw (a PSW with S = 0) and there tries
; out, a privileged instruction: TRAP_PRIV, with the instruction word as
; detail, the pc of the out saved, and the old status showing user mode
; (S = 0).  The handler skips the out and returns to user mode, where the
; program asks to stop with svc: the handler then powers off.  In system
; mode the same out would just run.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	print s_before
	la r1, user_psw
	lpsw r1                         ; to user mode, at user

user:
	movi r7, '!'
	out r7, PORT_CONSOLE_OUT        ; privileged: traps
	svc 0                           ; done

handler:
	call report_trap
	movi r1, 0
	lw r1, PG32_CAUSE(r1)
	cmpi r1, TRAP_PRIV
	bne 1f
	skip_faulting_insn
	return_from_trap                ; back to user mode
1:	print s_after                   ; the svc
	poweroff 0

s_before:	.asciz "entering user mode to run out\n"
s_after:	.asciz "user mode asked to stop\n"
	.align WORD
user_psw:	.word 0, user, 0, BOUND_ALL ; status (user, IE off), pc, base, bound

	guest_lib
