; trap_illegal.s -- catch illegal instructions.
;
; Opcode 0xff is not in the instruction table, so the word 0xff000000 is
; illegal: TRAP_ILLEGAL, with the word itself as detail.  So is zeroed
; memory (opcode 0 is undefined on purpose), and so is a defined opcode
; with a bit set in a field its format leaves unused: the guest makes one
; by patching a nop in place (every instruction is one word, so code can
; be patched like data).  The handler reports each trap, skips the word
; and returns.
	.include "pg32.inc"
	.entry _start

	.equ UNUSED_BIT, 1              ; bit 0: unused in a nop (format N)

_start:
	set_new_psw handler
	print s_before
	.word 0xff000000                ; an undefined opcode
	.word 0                         ; zeroed memory
	la r2, patched                  ; set an unused bit of the nop below
	lw r3, 0(r2)
	ori r3, r3, UNUSED_BIT
	sw r3, 0(r2)
patched:
	nop                             ; now illegal
	print s_after
	poweroff 0

handler:
	call report_trap
	skip_faulting_insn
	return_from_trap

s_before:	.asciz "running three illegal words\n"
s_after:	.asciz "back after them\n"

	guest_lib
