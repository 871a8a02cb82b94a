; faults.s -- lab reflect: the guest's own faults and traps are reflected
; into it, each with its cause, detail and saved PSW; the handler reports
; each, skips the faulting instruction and returns.
	.include "pg32.inc"
	.entry _start

	.equ FAR, 0x7ffffff0            ; outside this guest's memory
	.equ BRK_NUMBER, 5

_start:
	set_new_psw handler
	li r7, FAR
	lw r8, 0(r7)                    ; memory
	movi r7, 2
	lw r8, 0(r7)                    ; align
	.word 0                         ; illegal (opcode 0)
	movi r7, 0
	div r8, r8, r7                  ; divide
	brk BRK_NUMBER                  ; a trap: the saved pc is the next one
	print s_done
	poweroff 0

handler:
	call report_trap
	movi r1, 0
	lw r2, PG32_CAUSE(r1)
	cmpi r2, TRAP_BRK
	beq 1f                          ; brk already saved the next pc
	skip_faulting_insn
1:	return_from_trap

s_done:	.asciz "all reflected\n"

	guest_lib
