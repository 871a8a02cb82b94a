; readback.s -- lab rewrite: a patched word reads back as the original.
;
; probe holds three critical instructions.  Once it has run they are patch
; words in memory; the kernel then reads probe back with lw, lb and lbu and
; prints what it reads, and a checksum of the words.  On the bare machine
; (and under a correct rewriter) these are the words the assembler wrote.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

	.equ PROBE_WORDS, 4
	.equ WORD_SHIFT, 2
	.equ LAST_BYTE, 3
	.equ MIDDLE_BYTE, 2

_start:
	set_new_psw handler
	call probe
	print s_ran
	mov r1, r10                     ; rdpsw: system mode, as on the bare machine
	call puthex
	putc_imm ' '
	mov r1, r7                      ; srr: the guest's own R, not the real one
	call puthex
	putc_imm '\n'

	la r9, probe                    ; read probe back: words ...
	movi r8, 0
	movi r11, 0                     ; the checksum (sum of the words)
1:	cmpi r8, PROBE_WORDS
	bgeu 2f
	shli r1, r8, WORD_SHIFT
	add r1, r9, r1
	lw r1, 0(r1)
	add r11, r11, r1
	call puthex
	putc_imm ' '
	addi r8, r8, 1
	b 1b
2:	putc_imm '\n'
	print s_sum
	mov r1, r11
	call puthex
	putc_imm '\n'
	print s_bytes                   ; ... and bytes, signed and unsigned
	lb r1, LAST_BYTE(r9)
	call puthex
	putc_imm ' '
	lbu r1, WORD + LAST_BYTE(r9)
	call puthex
	putc_imm ' '
	lbu r1, MIDDLE_BYTE(r9)
	call puthex
	putc_imm '\n'
	poweroff 0

; probe: three critical instructions, then back.
probe:
	srr r7, r8
	rdpsw r10
	wrfl r0
	jr lr

handler:
	call report_trap
	poweroff 1

s_ran:	.asciz "probe ran: "
s_sum:	.asciz "sum "
s_bytes: .asciz "bytes "

	guest_lib
