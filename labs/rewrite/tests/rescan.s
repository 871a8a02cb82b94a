; rescan.s -- lab rewrite: self-modifying code is scanned again.
;
; slot is a one-instruction routine that the kernel rewrites between calls:
; by a word store over a patched word, byte by byte (each byte store
; touches a word that is patched or was just forgotten), and finally with
; an instruction that is not critical.  Each new instruction must be
; scanned again when it next runs, and patched if it is critical.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

	insn_word W_SRR, OP_SRR, 7, 8       ; srr r7, r8
	insn_word W_RDPSW, OP_RDPSW, 11, 0  ; rdpsw r11
	insn_word W_ADD, OP_ADD, 10, 0      ; add r10, r0, r0

_start:
	set_new_psw handler
	movi r10, 0
	call slot                       ; 1. the assembled rdpsw r10
	mov r1, r10
	call show

	li r1, W_SRR                    ; 2. a word store over the patch word
	la r2, slot
	sw r1, 0(r2)
	call slot
	mov r1, r7
	call show
	mov r1, r8
	call show

	li r1, W_RDPSW                  ; 3. byte by byte, from a data word
	call copy_bytes
	call slot
	mov r1, r11
	call show

	li r1, W_ADD                    ; 4. not critical: runs directly
	movi r10, 1
	call copy_bytes
	call slot
	mov r1, r10
	call show
	poweroff 0

; copy_bytes: write the word r1 into slot one byte at a time (through the
; data word scratch, so that the byte order is the machine's).
copy_bytes:
	la r2, scratch
	sw r1, 0(r2)
	la r3, slot
	movi r4, 0
1:	cmpi r4, WORD
	bgeu 2f
	add r5, r2, r4
	lbu r1, 0(r5)
	add r5, r3, r4
	sb r1, 0(r5)
	addi r4, r4, 1
	b 1b
2:	ret

; show: print r1 and a new line.
show:
	mov r12, lr
	call puthex
	putc_imm '\n'
	jr r12

slot:
	rdpsw r10
	ret

handler:
	call report_trap
	poweroff 1

	.align WORD
scratch: .word 0

	guest_lib
