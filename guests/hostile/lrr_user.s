; lrr_user.s -- hostile: from user mode, tries to take the machine.
;
; It enters user mode with R = (0, USER_BOUND) and there, ROUNDS times,
; tries every privileged instruction: lrr (to set R = everything), srr,
; lpsw (a PSW with system mode), wrfl, rtu, in, out (to the power port)
; and halt; then it stores at its user bound to see whether R moved.
; Each privileged instruction must fault (cause priv) and each store
; fault (cause memory, at USER_BOUND): its own kernel counts them and
; skips the instruction.  At the end it asks to stop with svc, and the
; kernel prints the counts: PRIVS * ROUNDS and ROUNDS.
	.include "pg32.inc"
	.entry _start

	.equ ROUNDS, 300
	.equ PRIVS, 8                   ; privileged tries per round
	.equ USER_BOUND, 0x2000         ; the user program's R = (0, USER_BOUND)

_start:
	set_new_psw handler
	movi r7, 0                      ; priv faults
	movi r9, 0                      ; memory faults at USER_BOUND
	movi r8, 0                      ; rounds
	la r1, user_psw
	lpsw r1                         ; to user mode

user:
	movi r1, 0
	li r2, BOUND_ALL
	lrr r1, r2                      ; R := everything
	srr r3, r4                      ; where am I?
	la r5, evil_psw
	lpsw r5                         ; system mode, please
	movi r3, PSW_IE | PSW_S
	wrfl r3
	rtu r3
	in r3, PORT_TIMER_CLOCK
	out r3, PORT_POWER_OFF          ; stop everyone
	halt
	li r3, USER_BOUND               ; did R move?
	sw r3, 0(r3)
	addi r8, r8, 1
	cmpi r8, ROUNDS
	blt user
	svc 0

; The kernel: priv and memory faults are counted and skipped; the svc
; prints the counts and powers off; anything else ends the guest with 1.
handler:
	movi r1, 0
	lw r1, PG32_CAUSE(r1)
	cmpi r1, TRAP_PRIV
	bne 1f
	addi r7, r7, 1
	b 3f
1:	cmpi r1, TRAP_MEMORY
	bne 2f
	movi r2, 0
	lw r2, PG32_DETAIL(r2)
	li r3, USER_BOUND
	cmp r2, r3
	bne 4f
	addi r9, r9, 1
3:	skip_faulting_insn
	return_from_trap
2:	cmpi r1, TRAP_SVC
	bne 4f
	print s_priv
	mov r1, r7
	call putdec
	print s_mem
	mov r1, r9
	call putdec
	putc_imm '\n'
	poweroff 0
4:	call report_trap
	poweroff 1

s_priv:		.asciz "priv faults: "
s_mem:		.asciz ", memory faults at the user bound: "
	.align WORD
user_psw:	.word 0, user, 0, USER_BOUND    ; user mode, IE off
evil_psw:	.word PSW_S | PSW_IE, _start, 0, BOUND_ALL
	guest_lib
