; mem_bound.s -- hostile: touches memory past its bound, again and again.
;
; In virtual system mode, with R = (0, its memory size) as at reset, it
; stores, loads and stores a byte exactly at its bound, stores far past
; it and at the top of the address space (-4); then with R = (0, 2^32 - 1),
; a bound past the end of its memory, it stores and loads right after its
; memory (where its neighbour's lies in the host); TRIES times each.
; Every access must fault (cause memory), write nothing, and be reflected
; into its own handler, which counts it and skips the instruction.  At the
; end it prints the count, which must be TRIES * ESCAPES.
	.include "pg32.inc"
	.entry _start

	.equ TRIES, 500
	.equ ESCAPES, 7                 ; accesses per try (below)
	.equ STRIDE, 0x1000             ; "far past": bound + try * STRIDE

_start:
	set_new_psw handler
	movi r7, 0                      ; memory faults taken
	movi r8, 0                      ; tries
	srr r10, r9                     ; r9 := bound = the memory size
	li r11, STRIDE
loop:
	sw r8, 0(r9)                    ; 1: a word at the bound
	lw r12, 0(r9)                   ; 2: read it
	sb r8, 0(r9)                    ; 3: a byte at the bound
	mul r1, r8, r11                 ; 4: far past it
	add r1, r1, r9
	sw r8, 0(r1)
	movi r1, -WORD                  ; 5: the last word of the address space
	sw r8, 0(r1)
	movi r4, 0                      ; R := (0, everything): the bound is now
	li r3, BOUND_ALL                ; past the end of its memory
	lrr r4, r3
	sw r8, 0(r9)                    ; 6: the word after its memory
	lb r12, 0(r9)                   ; 7: the byte after its memory
	lrr r4, r9                      ; R := (0, its memory size) again
	addi r8, r8, 1
	cmpi r8, TRIES
	blt loop
	print s_faults
	mov r1, r7
	call putdec
	print s_of
	li r1, TRIES * ESCAPES
	call putdec
	putc_imm '\n'
	poweroff 0

; handler: a memory fault is counted and skipped; anything else is
; reported and ends the guest with 1.
handler:
	movi r1, 0
	lw r1, PG32_CAUSE(r1)
	cmpi r1, TRAP_MEMORY
	bne 1f
	addi r7, r7, 1
	skip_faulting_insn
	return_from_trap
1:	call report_trap
	poweroff 1

s_faults:	.asciz "memory faults: "
s_of:		.asciz " of "
	guest_lib
