; handler.s -- lab trap_handler: the kernel's trap handler (see kernel.s
; for the system calls and the register rules).
;
; Every trap from the user program arrives at trap_entry in system mode,
; with interrupts off and R = (0, everything).  The hardware has saved the
; user's PSW (status, pc, R) at PG32_OLD_PSW, the cause at PG32_CAUSE and
; the detail at PG32_DETAIL -- but not one register: save them before
; using them, and put them back before returning with lpsw of the old PSW.

	.equ SAVE_WORDS, 16             ; r0 .. r15 (the slot of r12 stays unused)
	.equ REG_R1, 1 * WORD           ; offsets in the save area
trap_entry:
; LAB trap BEGIN
; TODO: save the user's registers (r12 is yours), dispatch on the cause
; TODO: (svc: the system calls of kernel.s; timer: count the tick; any
; TODO: other cause: kill), restore the registers, return with lpsw.
; stub: halt
	la r12, save_area               ; r12 is the kernel's: free to use
	sw r0, 0 * WORD(r12)
	sw r1, 1 * WORD(r12)
	sw r2, 2 * WORD(r12)
	sw r3, 3 * WORD(r12)
	sw r4, 4 * WORD(r12)
	sw r5, 5 * WORD(r12)
	sw r6, 6 * WORD(r12)
	sw r7, 7 * WORD(r12)
	sw r8, 8 * WORD(r12)
	sw r9, 9 * WORD(r12)
	sw r10, 10 * WORD(r12)
	sw r11, 11 * WORD(r12)
	sw r13, 13 * WORD(r12)
	sw r14, 14 * WORD(r12)
	sw r15, 15 * WORD(r12)
	li sp, KSTACK_TOP

	movi r6, 0
	lw r5, PG32_CAUSE(r6)
	cmpi r5, TRAP_TIMER
	beq on_timer
	cmpi r5, TRAP_SVC
	beq on_svc
	; anything else: the user program is killed
	print s_killed
	mov r1, r5
	call putdec
	putc_imm '\n'
	poweroff EXIT_KILLED

on_timer:
	la r1, ticks
	lw r2, 0(r1)
	addi r2, r2, 1
	sw r2, 0(r1)
	b restore

on_svc:
	lw r5, PG32_DETAIL(r6)          ; the system call number
	lw r1, REG_R1(r12)              ; its argument
	cmpi r5, SYS_EXIT
	beq sys_exit
	cmpi r5, SYS_PUTC
	beq sys_putc
	cmpi r5, SYS_PUTS
	beq sys_puts
	cmpi r5, SYS_TICKS
	beq sys_ticks
	movi r1, E_NOSYS
	b result

sys_exit:
	out r1, PORT_POWER_OFF

sys_putc:
	out r1, PORT_CONSOLE_OUT
	movi r1, 0
	b result

; sys_puts: first find the NUL, checking every byte against the window
; (user address a is physical USER_BASE + a, legal iff a < USER_SIZE);
; only then print.
sys_puts:
	li r4, USER_SIZE
	mov r3, r1                      ; the user address of the next byte
1:	cmp r3, r4
	bgeu puts_fault                 ; unsigned: "negative" addresses too
	li r2, USER_BASE
	add r2, r2, r3
	lbu r2, 0(r2)
	cmpi r2, 0
	beq 2f
	addi r3, r3, 1
	b 1b
2:	sub r4, r3, r1                  ; the length
	li r2, USER_BASE
	add r2, r2, r1                  ; physical address of the string
	mov r1, r2
	call puts
	mov r1, r4
	b result
puts_fault:
	movi r1, E_FAULT
	b result

sys_ticks:
	la r2, ticks
	lw r1, 0(r2)

result:
	sw r1, REG_R1(r12)              ; the result goes back in r1

restore:
	lw r0, 0 * WORD(r12)
	lw r1, 1 * WORD(r12)
	lw r2, 2 * WORD(r12)
	lw r3, 3 * WORD(r12)
	lw r4, 4 * WORD(r12)
	lw r5, 5 * WORD(r12)
	lw r6, 6 * WORD(r12)
	lw r7, 7 * WORD(r12)
	lw r8, 8 * WORD(r12)
	lw r9, 9 * WORD(r12)
	lw r10, 10 * WORD(r12)
	lw r11, 11 * WORD(r12)
	lw r13, 13 * WORD(r12)
	lw r14, 14 * WORD(r12)
	lw r15, 15 * WORD(r12)
	movi r12, PG32_OLD_PSW
	lpsw r12                        ; back to the user program, flags and all
; LAB trap END

s_killed: .asciz "killed: trap "
	.align WORD
ticks:	.word 0
save_area: .space SAVE_WORDS * WORD
