; undefined_ops.s -- hostile: runs every undefined opcode and malformed words.
;
; In user mode it executes, one after the other, the word 0 (opcode 0 is
; undefined), then opcode 255, 254, ... down to the last opcode of the
; table (each with all other bits zero), then words of real instructions
; with bits set in fields their format leaves unused (or a shift count of
; 32).  Each must fault (cause illegal) into its kernel, which counts it
; and puts the next word in the probe slot.  Going down, the first defined
; opcode is halt, privileged, so it faults with cause priv instead: that
; ends the opcode sweep.  The count printed must be 1 + (255 - opcode of
; halt) + MALFORMED.
	.include "pg32.inc"
	.entry _start

	.equ PROBE_SHIFT, 24             ; ISA_OPCODE_SHIFT: the opcode byte
	.equ OPCODES, 256
	.equ MALFORMED, 5

_start:
	set_new_psw handler
	movi r3, 0                      ; build the malformed words
	la r4, templates
	la r5, extra
	la r6, malformed
4:	lw r1, 0(r4)
	lw r2, 0(r5)
	or r1, r1, r2
	sw r1, 0(r6)
	addi r4, r4, WORD
	addi r5, r5, WORD
	addi r6, r6, WORD
	addi r3, r3, 1
	cmpi r3, MALFORMED
	blt 4b
	movi r7, 0                      ; illegal-instruction faults
	li r8, OPCODES                  ; the next opcode to try, plus one
	movi r9, 0                      ; 0: sweeping opcodes; then malformed index
	la r10, probe
	movi r1, 0
	sw r1, 0(r10)                   ; first: the word 0
	la r1, user_psw
	lpsw r1

probe:	.word 0                         ; rewritten by the kernel before each try

; The kernel: an illegal fault is counted, the next word goes into the
; probe slot, and the probe runs again (a fault saves the pc OF the
; probe).  The priv fault of halt ends the sweep of opcodes; after the
; malformed words, the count is printed.
handler:
	movi r1, 0
	lw r1, PG32_CAUSE(r1)
	cmpi r1, TRAP_ILLEGAL
	bne 1f
	addi r7, r7, 1
	cmpi r9, 0
	bne 2f
	addi r8, r8, -1                 ; sweeping: opcode r8 - 1 next
	shli r1, r8, PROBE_SHIFT
	sw r1, 0(r10)
	return_from_trap
1:	cmpi r1, TRAP_PRIV              ; halt: the sweep is over
	bne 9f
	cmpi r9, 0
	bne 9f
2:	cmpi r9, MALFORMED              ; the malformed words, one by one
	bge 3f
	shli r1, r9, 2
	la r2, malformed
	add r1, r1, r2
	lw r1, 0(r1)
	sw r1, 0(r10)
	addi r9, r9, 1
	movi r1, 0                      ; back to the probe (halt's pc is the probe)
	sw r10, PG32_OLD_PSW + PSW_OFF_PC(r1)
	return_from_trap
3:	print s_count
	mov r1, r7
	call putdec
	putc_imm '\n'
	poweroff 0
9:	call report_trap
	poweroff 1

s_count:	.asciz "illegal-instruction faults: "
	.align WORD
user_psw:	.word 0, probe, 0, BOUND_ALL
; Real instructions with unused bits set: malformed[i] := templates[i] |
; extra[i], built at the start (the templates are never run as they are).
malformed:
	.space MALFORMED * WORD
templates:
	add r1, r2, r3                  ; RRR: unused bits 11..0
	movi r1, 0                      ; RI: unused bits 19..16
	shli r1, r1, 0                  ; RRS: shift count 32
	nop                             ; N: every bit below the opcode unused
	svc 0                           ; U: unused bits 23..16
extra:	.word 0x7, 0x000F0000, 0x20, 0x1, 0x00010000
	guest_lib
