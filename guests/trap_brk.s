; trap_brk.s -- catch a breakpoint.
;
; brk N traps TRAP_BRK with N as detail and, like svc, saves the pc of
; the next instruction: a debugger plants it, a handler returns past it.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	print s_before
	brk 7
	print s_after
	poweroff 0

handler:
	call report_trap
	return_from_trap

s_before:	.asciz "brk 7\n"
s_after:	.asciz "back after the breakpoint\n"

	guest_lib
