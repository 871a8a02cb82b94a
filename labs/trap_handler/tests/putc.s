; putc.s -- SYS_PUTC prints one character.
	.include "user.inc"
	.org USER_BASE
user_main:
	uputc 'h'
	uputc 'i'
	uputc '!'
	uputc '\n'
	uexit 0
