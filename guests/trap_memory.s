; trap_memory.s -- catch a memory fault.
;
; A load from an address past the end of memory faults TRAP_MEMORY: the
; detail word is the (virtual) address, the saved pc is that of the load,
; and nothing was loaded.  The handler reports the trap, skips the load and
; returns.
	.include "pg32.inc"
	.entry _start

	.equ FAR_AWAY, 0xfffffff0       ; past the end of any memory

_start:
	set_new_psw handler
	print s_before
	li r2, FAR_AWAY
	li r7, 0x600d                   ; what the load would overwrite
	lw r7, 0(r2)                    ; memory fault
	print s_after
	mov r1, r7
	call puthex
	putc_imm '\n'
	poweroff 0

handler:
	call report_trap
	skip_faulting_insn
	return_from_trap

s_before:	.asciz "loading from 0xfffffff0\n"
s_after:	.asciz "back after the load; r7 still holds "

	guest_lib
