; trap_loop.s -- lab reflect: a new PSW whose pc is misaligned faults at
; once on every delivery.  The bare machine ends such a run after
; BARE_MAX_TRAPS_WITHOUT_PROGRESS deliveries in a row; so must the monitor.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler + 2         ; misaligned: the handler can never run
	print s_go
	svc 1
	poweroff 0

handler:
	poweroff 1

s_go:	.asciz "a trap loop follows\n"

	guest_lib
