; priv_kill.s -- a privileged instruction in user mode kills the program.
	.include "user.inc"
	.org USER_BASE
user_main:
	uputc 'p'
	uputc '\n'
	movi r1, 0
	out r1, PORT_POWER_OFF          ; privileged
	uexit 0
