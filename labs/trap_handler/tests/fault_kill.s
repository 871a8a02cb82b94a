; fault_kill.s -- a load outside the window is a memory fault: the kernel
; kills the program.
	.include "user.inc"
	.org USER_BASE
user_main:
	uputc 'x'
	uputc '\n'
	li r1, USER_SIZE
	lw r2, 0(r1)
	uexit 0
