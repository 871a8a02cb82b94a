; nosys.s -- an unknown system call returns E_NOSYS.
	.include "user.inc"
	.equ NO_SUCH_CALL, 9
	.org USER_BASE
user_main:
	movi r1, 1
	svc NO_SUCH_CALL
	mov r7, r1
	ucheck_eq r7, E_NOSYS
	uexit 0
