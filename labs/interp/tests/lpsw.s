; lpsw.s -- lab interp: lpsw loads the whole PSW, keeps only the valid
; status bits, and faults like the hardware on a misaligned address or
; one outside R (the fault is the guest's own: it is reflected to it).
	.include "pg32.inc"
	.entry _start

	.equ FAR, 0x7ffffff0            ; outside any R here
	.equ USER_BASE, 0x2000          ; the user program's window
	.equ USER_SIZE, 0x1000
	.equ RESERVED, 0xffffff00       ; status bits that do not exist

_start:
	set_new_psw handler
	la r7, psw_sys
	lpsw r7                         ; system mode, on at cont1
cont1:
	rdpsw r8
	print s_status
	mov r1, r8
	call puthex
	putc_imm '\n'
	la r7, psw_sys + 2
	lpsw r7                         ; misaligned: an align fault
	li r7, FAR
	lpsw r7                         ; outside R: a memory fault
	la r7, psw_user
	lpsw r7                         ; to user mode, in its window

; Every trap comes here: report it; a fault in system mode is skipped;
; the user program's trap ends the run.
handler:
	call report_trap
	movi r1, 0
	lw r2, PG32_OLD_PSW + PSW_OFF_STATUS(r1)
	andi r2, r2, PSW_S
	cmpi r2, 0
	beq done
	skip_faulting_insn
	return_from_trap
done:
	poweroff 0

	.align WORD
psw_sys: .word PSW_S | RESERVED | PSW_C, cont1, 0, BOUND_ALL
psw_user: .word 0, user_main - USER_BASE, USER_BASE, USER_SIZE

s_status: .asciz "status after lpsw "

	guest_lib

	.org USER_BASE
user_main:
	movi r1, 7
	addi r1, r1, 1
	rdpsw r2                        ; privileged in user mode: traps
	svc 1
