; ticks.s -- the timer interrupts the user program; the kernel counts the
; ticks and SYS_TICKS returns the count.
	.include "user.inc"
	.equ WANT, 3
	.org USER_BASE
user_main:
	svc SYS_TICKS
	cmpi r1, WANT
	blt user_main
	uputc 't'
	uputc '\n'
	uexit 0
