; long_run.s -- many ticks and system calls interleaved.
	.include "user.inc"
	.equ WANT, 20
	.org USER_BASE
user_main:
	movi r7, 0
1:	addi r7, r7, 1
	uputc '.'
	svc SYS_TICKS
	cmpi r1, WANT
	blt 1b
	uputc '\n'
	uexit 0
