; puts.s -- SYS_PUTS prints a string of the user's window and returns its
; length.
	.include "user.inc"
	.org USER_BASE
user_main:
	ula r1, greeting
	svc SYS_PUTS
	mov r7, r1
	ucheck_eq r7, GREETING_LEN
	ula r1, empty
	svc SYS_PUTS
	mov r7, r1
	ucheck_eq r7, 0
	uexit 0
greeting: .asciz "hello, world\n"
	.equ GREETING_LEN, . - greeting - 1
empty:	.asciz ""
