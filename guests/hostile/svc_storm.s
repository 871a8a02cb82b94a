; svc_storm.s -- hostile: a storm of supervisor calls.
;
; CALLS times svc, each reflected into its own handler (a trap through the
; monitor), which counts it and returns with lpsw (a privileged
; instruction the monitor emulates): two traps per call.  It prints the
; count at the end.  Its neighbours see none of it.
	.include "pg32.inc"
	.entry _start

	.equ CALLS, 1000000

_start:
	set_new_psw handler
	movi r7, 0                      ; calls the handler saw
	movi r8, 0                      ; calls made
	li r9, CALLS
1:	svc 0
	addi r8, r8, 1
	cmp r8, r9
	blt 1b
	print s_calls
	mov r1, r7
	call putdec
	putc_imm '\n'
	poweroff 0

handler:
	addi r7, r7, 1
	return_from_trap

s_calls:	.asciz "svc calls handled: "
	guest_lib
