; hello.s -- the first guest: print a greeting on the console and power off.
;
; Runs in system mode, as the machine starts (R = (0, memory size), so
; addresses are physical).  `make run` runs it on the bare machine.
	.include "pg32.inc"
	.entry _start

_start:
	print msg
	poweroff 0

msg:	.asciz "Hello from PG32!\n"

	guest_lib
