; regs_timer.s -- a timer interrupt changes nothing: a loop that keeps a
; value in every register (but r12) and checks them all, thousands of
; times, while the timer interrupts it at every possible point.
	.include "user.inc"
	.equ ROUNDS, 300
	.org USER_BASE
user_main:
	movi r0, 0                      ; the round
	movi r2, 2
	movi r3, 3
	movi r4, 4
	movi r5, 5
	movi r6, 6
	movi r7, 7
	movi r8, 8
	movi r9, 9
	movi r10, 10
	movi r13, 13
	movi r14, 14
	movi r15, 15
loop:
	movi r1, 1
	addi r0, r0, 1
	cmpi r1, 1
	bne bad
	cmpi r2, 2
	bne bad
	cmpi r3, 3
	bne bad
	cmpi r4, 4
	bne bad
	cmpi r5, 5
	bne bad
	cmpi r6, 6
	bne bad
	cmpi r7, 7
	bne bad
	cmpi r8, 8
	bne bad
	cmpi r9, 9
	bne bad
	cmpi r10, 10
	bne bad
	cmpi r13, 13
	bne bad
	cmpi r14, 14
	bne bad
	cmpi r15, 15
	bne bad
	li r11, ROUNDS
	cmp r0, r11
	blt loop
	svc SYS_TICKS
	mov r7, r1
	cmpi r7, 0                      ; it was interrupted: ticks > 0
	beq bad
	uputc 'o'
	uputc 'k'
	uputc '\n'
	uexit 0
bad:	uputc 'b'
	uputc 'a'
	uputc 'd'
	uputc '\n'
	uexit 1
