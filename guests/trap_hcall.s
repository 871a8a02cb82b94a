; trap_hcall.s -- catch a hypercall.
;
; hcall N is the paravirtual guest's call to its monitor.  On the bare
; machine there is no monitor: it traps TRAP_HCALL into the guest's own
; handler, with N as detail and the pc of the next instruction saved.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	print s_before
	hcall 99
	print s_after
	poweroff 0

handler:
	call report_trap
	return_from_trap

s_before:	.asciz "hcall 99 on the bare machine\n"
s_after:	.asciz "back after the hypercall\n"

	guest_lib
