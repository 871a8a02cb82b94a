; puts_fault.s -- SYS_PUTS refuses a string that leaves the window: it
; returns E_FAULT and prints nothing.
	.include "user.inc"
	.equ FAR, 0x7ffffff0
	.org USER_BASE
user_main:
	ula r1, edge
	svc SYS_PUTS                    ; runs to the end of the window
	mov r7, r1
	ucheck_eq r7, E_FAULT
	li r1, USER_SIZE
	svc SYS_PUTS                    ; just past the window
	mov r7, r1
	ucheck_eq r7, E_FAULT
	li r1, FAR
	svc SYS_PUTS
	mov r7, r1
	ucheck_eq r7, E_FAULT
	movi r1, -1
	svc SYS_PUTS                    ; the top of the address space
	mov r7, r1
	ucheck_eq r7, E_FAULT
	uexit 0

	.org USER_BASE + USER_SIZE - 4
edge:	.ascii "abcd"                   ; no NUL before the window ends
