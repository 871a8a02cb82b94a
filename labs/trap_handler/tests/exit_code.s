; exit_code.s -- SYS_EXIT powers off with the program's code.
	.include "user.inc"
	.equ CODE, 3
	.org USER_BASE
user_main:
	uexit CODE
