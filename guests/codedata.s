; codedata.s -- data that looks like code, and code read as data.
;
; A word of memory is code or data only by how a program uses it.  A
; monitor for the ill-behaved variant that patches every word in the image
; that LOOKS like a critical instruction (srr, rdpsw, wrfl, rtu) also
; patches data that happens to have those bits, and the program reads
; patched numbers.  And a program may read its own code (a checksum, a
; loader, a debugger): a monitor that patched code must show the guest the
; original words.  This kernel prints what it reads, so either mistake
; shows:
;
;   1. it runs sys_status (system-mode code with a real rdpsw) once;
;   2. it reads sys_status back, words and bytes, and prints a checksum;
;   3. it reads a table of DATA words, never executed, whose bits decode
;      as critical instructions, and prints each word and a checksum.
;
; On the bare machine (and under any correct monitor) the checksums are
; the true ones: the words the assembler wrote.
; test-exit: 0
	.isa ill
	.critical                       ; its critical instructions are the point
	.include "pg32.inc"
	.entry _start

	.equ EXIT_UNEXPECTED, 0xff      ; an unexpected trap
	.equ ROTATE, 5                  ; checksum: c := rotl(c, ROTATE) xor word
	.equ WORD_BITS, 32
	.equ WORD_SHIFT, 2              ; log2(WORD)

	; data words with the bits of critical instructions
	insn_word D_SRR, OP_SRR, 1, 2         ; = srr r1, r2
	insn_word D_RDPSW, OP_RDPSW, 3, 0     ; = rdpsw r3
	insn_word D_WRFL, OP_WRFL, 4, 0       ; = wrfl r4
	insn_word D_RTU, OP_RTU, 15, 0        ; = rtu lr

_start:
	set_new_psw trap_entry          ; no trap is expected

; ---- 1. run sys_status once -----------------------------------------------
	call sys_status
	mov r8, r3
	print s_mode
	andi r1, r8, PSW_S
	call putdec
	putc_imm '\n'

; ---- 2. read sys_status back ----------------------------------------------
	print s_code
	la r1, sys_status
	movi r2, (sys_status_end - sys_status) / WORD
	call show_words

; ---- 3. read the data table -------------------------------------------------
	print s_data
	la r1, table
	movi r2, (table_end - table) / WORD
	call show_words
	print s_done
	poweroff 0

; sys_status: r3 := the status word (code, run once, then read as data).
sys_status:
	rdpsw r3
	jr lr
sys_status_end:

; show_words: print the r2 words at r1, read with lw, and their checksum;
; then read them again byte by byte, with lbu, and print the bytes' sum:
;   "  0x... 0x... ...\n  checksum 0x..., byte sum N\n"
; Changes r1..r5, r7..r12, lr.
show_words:
	mov r12, lr
	mov r9, r1                      ; r9 = the start
	shli r10, r2, WORD_SHIFT        ; r10 = the length in bytes
	movi r11, 0                     ; r11 = the checksum
	movi r8, 0                      ; r8 = the offset
1:	cmp r8, r10
	bgeu 2f
	add r1, r9, r8
	lw r7, 0(r1)
	shli r1, r11, ROTATE            ; c := rotl(c, ROTATE) xor word
	shri r11, r11, WORD_BITS - ROTATE
	or r11, r11, r1
	xor r11, r11, r7
	putc_imm ' '
	putc_imm ' '
	mov r1, r7
	call puthex
	addi r8, r8, WORD
	b 1b
2:	putc_imm '\n'
	print s_checksum
	mov r1, r11
	call puthex
	movi r11, 0                     ; r11 = the byte sum
	movi r8, 0
3:	cmp r8, r10
	bgeu 4f
	add r1, r9, r8
	lbu r1, 0(r1)
	add r11, r11, r1
	addi r8, r8, 1
	b 3b
4:	print s_bytesum
	mov r1, r11
	call putdec
	putc_imm '\n'
	jr r12

; ---- the trap handler: every trap is unexpected ----------------------------
trap_entry:
	print s_unexpected
	call report_trap
	poweroff EXIT_UNEXPECTED

s_mode:		.asciz "codedata: 1. sys_status ran: S = "
s_code:		.asciz "codedata: 2. sys_status read back:\n"
s_data:		.asciz "codedata: 3. the data table:\n"
s_checksum:	.asciz "  checksum "
s_bytesum:	.asciz ", byte sum "
s_done:		.asciz "codedata: done\n"
s_unexpected:	.asciz "codedata: unexpected trap\n"
	.align WORD
; The data: words a program computes with, that happen to have the bits of
; critical instructions, among ordinary numbers.  Never executed.
table:
	.word D_SRR, 1, D_RDPSW, 2, D_WRFL, 3, D_RTU
table_end:

	guest_lib
