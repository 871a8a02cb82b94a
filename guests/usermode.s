; usermode.s -- a tiny kernel runs user programs in user mode under a
; relocation register, serves their system calls, and gets control back.
;
; The kernel enters user mode with lpsw of a PSW with S = 0 and
; R = (USER_BASE, USER_SIZE): the user program sees its window of physical
; memory as addresses 0..USER_SIZE-1, and every address outside it faults.
; It comes back to the kernel only through traps, which load the new PSW
; (system mode, R = all of memory):
;
;   - svc N: a system call; the arguments and the result are in r1; the
;     kernel returns with lpsw of the old PSW (the saved pc is after the
;     svc).  A system call may change r1..r6; the rest are the program's.
;   - any other trap: the kernel reports it and the program is over.
;
; Two programs run in turn in the same window: "main" prints through the
; kernel, asks it to print memory outside its window (refused), and exits
; with code 7; "wild" loads from its bound and is killed.  Then the kernel
; powers off.
	.include "pg32.inc"
	.entry _start

	.equ USER_BASE, 0x8000          ; the window: physical base ...
	.equ USER_SIZE, 0x1000          ; ... and size (= the bound)

	; system calls: svc SYS_*, argument and result in r1
	.equ SYS_EXIT, 0                ; r1 = exit code; does not return
	.equ SYS_PUTC, 1                ; print the character r1
	.equ SYS_PUTS, 2                ; print the string at r1 -> its length, or E_FAULT
	.equ SYS_PUTDEC, 3              ; print r1 in decimal
	.equ E_FAULT, -1                ; the address is outside the caller's window
	.equ E_NOSYS, -2                ; no such system call
	.equ EXIT_CODE, 7               ; what main exits with

; ula RD, LABEL: the address of a user label as the user program sees it.
	.macro ula rd, sym
	la \rd, \sym - USER_BASE
	.endm

; ======================================================================
; The kernel (system mode, R = (0, all): its addresses are physical).
; ======================================================================
_start:
	set_new_psw trap_entry
	print k_start
	la r7, psw_main
	b enter

; enter: print the PSW at r7 and load it: to user mode.
enter:
	print k_enter
	lw r1, PSW_OFF_PC(r7)
	call puthex
	print k_r
	lw r1, PSW_OFF_BASE(r7)
	call puthex
	print k_comma
	lw r1, PSW_OFF_BOUND(r7)
	call puthex
	print k_close
	lpsw r7

; Every trap from user mode arrives here.
trap_entry:
	movi r6, 0
	lw r5, PG32_CAUSE(r6)
	cmpi r5, TRAP_SVC
	bne killed
	lw r5, PG32_DETAIL(r6)          ; the system call number
	cmpi r5, SYS_PUTC
	beq sys_putc
	cmpi r5, SYS_PUTS
	beq sys_puts
	cmpi r5, SYS_PUTDEC
	beq sys_putdec
	cmpi r5, SYS_EXIT
	beq sys_exit
	movi r1, E_NOSYS
	return_from_trap

sys_putc:
	out r1, PORT_CONSOLE_OUT
	return_from_trap

sys_putdec:
	call putdec
	return_from_trap

; The string is in the caller's window: check the address against its
; bound, add its base, and stop at the NUL or at the bound, whichever
; comes first.  (The kernel placed the window inside memory.)
sys_puts:
	lw r3, PG32_OLD_PSW + PSW_OFF_BOUND(r6)
	cmp r1, r3
	bgeu 3f                         ; outside the window
	lw r2, PG32_OLD_PSW + PSW_OFF_BASE(r6)
	add r4, r1, r2                  ; physical start
	add r3, r3, r2                  ; physical end of the window
	movi r1, 0                      ; the length
1:	cmp r4, r3
	bgeu 2f
	lbu r2, 0(r4)
	cmpi r2, 0
	beq 2f
	out r2, PORT_CONSOLE_OUT
	addi r4, r4, 1
	addi r1, r1, 1
	b 1b
2:	return_from_trap
3:	movi r1, E_FAULT
	return_from_trap

sys_exit:
	mov r7, r1
	print k_exited
	mov r1, r7
	call putdec
	putc_imm '\n'
	b next

killed:
	print k_killed
	call report_trap

; The program is over: run the next one, or finish.
next:
	la r1, programs_run
	lw r2, 0(r1)
	addi r2, r2, 1
	sw r2, 0(r1)
	la r7, psw_wild
	cmpi r2, 1
	beq enter
	print k_back
	rdpsw r1
	call puthex
	putc_imm '\n'
	poweroff 0

k_start:	.asciz "kernel: starting in system mode\n"
k_enter:	.asciz "kernel: entering user mode at pc="
k_r:		.asciz " with R = ("
k_comma:	.asciz ", "
k_close:	.asciz ")\n"
k_exited:	.asciz "kernel: the program exited with code "
k_killed:	.asciz "kernel: the program is killed: "
k_back:		.asciz "kernel: back in system mode for good, status="
	.align WORD
programs_run:	.word 0
; The user PSWs: status (S = 0: user mode; IE = 0), pc, base, bound.
psw_main:	.word 0, u_main - USER_BASE, USER_BASE, USER_SIZE
psw_wild:	.word 0, u_wild - USER_BASE, USER_BASE, USER_SIZE

	guest_lib

; ======================================================================
; The user programs, placed in the window.  They run at virtual addresses:
; branches are relative and need nothing, data addresses come from ula.
; ======================================================================
	.org USER_BASE
u_main:
	ula r1, u_hello
	svc SYS_PUTS
	movi r7, 0                      ; sum 1..10 in r7 (kept across svc)
	movi r8, 10
1:	add r7, r7, r8
	addi r8, r8, -1
	cmpi r8, 0
	bgt 1b
	ula r1, u_sum
	svc SYS_PUTS
	mov r1, r7
	svc SYS_PUTDEC
	movi r1, '\n'
	svc SYS_PUTC
	li r1, USER_SIZE                ; the first address outside the window
	svc SYS_PUTS
	cmpi r1, E_FAULT
	bne 2f
	ula r1, u_refused
	svc SYS_PUTS
2:	movi r1, EXIT_CODE
	svc SYS_EXIT

u_wild:
	ula r1, u_wild_msg
	svc SYS_PUTS
	li r2, USER_SIZE
	lw r1, 0(r2)                    ; beyond the bound: a memory fault
	svc SYS_EXIT                    ; not reached

u_hello:	.asciz "user: hello from user mode\n"
u_sum:		.asciz "user: 1 + 2 + ... + 10 = "
u_refused:	.asciz "user: the kernel refused to print outside my window\n"
u_wild_msg:	.asciz "user: now loading from my bound\n"
