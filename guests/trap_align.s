; trap_align.s -- catch an alignment fault.
;
; Word loads and stores need an address that is a multiple of 4; a store
; to word + 2 faults TRAP_ALIGN with the address as detail, and writes
; nothing.  The handler reports the trap, skips the store and returns.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	print s_before
	la r2, word
	li r7, 0xbad                    ; what the store would write
	sw r7, 2(r2)                    ; alignment fault
	print s_after
	la r2, word
	lw r1, 0(r2)
	call puthex
	putc_imm '\n'
	poweroff 0

handler:
	call report_trap
	skip_faulting_insn
	return_from_trap

s_before:	.asciz "storing a word at a misaligned address\n"
s_after:	.asciz "back after the store; the word is still "
	.align WORD
word:		.word 0x11223344

	guest_lib
