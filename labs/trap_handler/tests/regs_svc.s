; regs_svc.s -- a system call changes r1 and nothing else: every other
; register (but the kernel's r12) and the flags survive it.
	.include "user.inc"
	.org USER_BASE
user_main:
	movi r0, 100
	movi r2, 102
	movi r3, 103
	movi r4, 104
	movi r5, 105
	movi r6, 106
	movi r7, 107
	movi r8, 108
	movi r9, 109
	movi r10, 110
	movi r11, 111
	movi r13, 113
	movi r14, 114
	movi r15, 115
	cmpi r0, 100                    ; Z set
	svc SYS_TICKS
	bne bad                         ; Z must still be set
	cmpi r0, 100
	bne bad
	cmpi r2, 102
	bne bad
	cmpi r3, 103
	bne bad
	cmpi r4, 104
	bne bad
	cmpi r5, 105
	bne bad
	cmpi r6, 106
	bne bad
	cmpi r7, 107
	bne bad
	cmpi r8, 108
	bne bad
	cmpi r9, 109
	bne bad
	cmpi r10, 110
	bne bad
	cmpi r11, 111
	bne bad
	cmpi r13, 113
	bne bad
	cmpi r14, 114
	bne bad
	cmpi r15, 115
	bne bad
	uputc 'o'
	uputc 'k'
	uputc '\n'
	uexit 0
bad:	uputc 'b'
	uputc 'a'
	uputc 'd'
	uputc '\n'
	uexit 1
