; selfmod.s -- a kernel that writes code at run time, critical instructions
; included, and runs it.
;
; A monitor for the ill-behaved variant must find the critical
; instructions (srr, rdpsw, wrfl, rtu) before the guest runs them, and
; patch each with one that traps.  A monitor that scans the image once, at
; load, cannot find these: the words below are made by the program while it
; runs (their bits are in the image only as the operands of li), and some
; are written over code that has already run.  Only a monitor that notices
; the writes (and scans again) keeps the guest's results those of the bare
; machine.  Every step prints what the code it wrote produced:
;
;   1. probe, as assembled (ordinary code), runs.
;   2. probe's first word is overwritten with srr r3, r4: R as srr reads it.
;      The kernel set R = (0, BOUND_ALL), so on the bare machine that is
;      what srr reads; a missed srr reads the real R of the guest.
;   3. the same word is overwritten again, with rdpsw r3: the status word
;      (S = 1 on the bare machine; a missed rdpsw reads the real S = 0).
;   4. a whole routine is built in gen_code from ordinary instructions
;      (copied from templates) and critical ones (made with li):
;      "wrfl r4 (IE and Z on); rdpsw r3; wrfl r5 (all off); jr lr".
;      The status it reads: S, IE and Z on the bare machine.
;   5. each word written is read back: the guest must see what it wrote,
;      whatever a monitor patched.
; test-exit: 0
	.isa ill
	.include "pg32.inc"
	.entry _start

	.equ EXIT_UNEXPECTED, 0xff      ; an unexpected trap
	.equ PROBE_FIRST, 0x7e57        ; what probe puts in r3 as assembled
	.equ GEN_WORDS, 8               ; room for the routine built at run time
	.equ GEN_USED, 4                ; words of it that step 4 writes
	.equ WORD_SHIFT, 2              ; log2(WORD)

	; the critical instructions this program writes at run time
	insn_word W_SRR_R3_R4, OP_SRR, 3, 4   ; srr r3, r4
	insn_word W_RDPSW_R3, OP_RDPSW, 3, 0  ; rdpsw r3
	insn_word W_WRFL_R4, OP_WRFL, 4, 0    ; wrfl r4
	insn_word W_WRFL_R5, OP_WRFL, 5, 0    ; wrfl r5

_start:
	set_new_psw trap_entry          ; no trap is expected
	movi r1, 0
	li r2, BOUND_ALL
	lrr r1, r2                      ; R := (0, BOUND_ALL)
	print s_intro

; ---- 1. probe as assembled ------------------------------------------------
	call probe
	mov r8, r3
	print s_step1
	mov r1, r8
	call puthex
	putc_imm '\n'

; ---- 2. overwrite probe's first word with srr r3, r4, run it again --------
	la r9, probe
	li r1, W_SRR_R3_R4
	sw r1, 0(r9)
	call probe
	mov r8, r3
	mov r10, r4
	print s_step2
	mov r1, r8
	call puthex
	print s_comma
	mov r1, r10
	call puthex
	print s_step2_end
	lw r1, 0(r9)                    ; read back the word written
	call puthex
	putc_imm '\n'

; ---- 3. overwrite the same word with rdpsw r3, run it again ---------------
	li r1, W_RDPSW_R3
	sw r1, 0(r9)
	call probe
	mov r8, r3
	print s_step3
	mov r1, r8
	call puthex
	print s_word
	lw r1, 0(r9)
	call puthex
	putc_imm '\n'

; ---- 4. build a routine in gen_code and run it ----------------------------
	la r9, gen_code
	la r10, templates
	li r1, W_WRFL_R4
	sw r1, 0(r9)                    ; wrfl r4
	li r1, W_RDPSW_R3
	sw r1, WORD(r9)                 ; rdpsw r3
	li r1, W_WRFL_R5
	sw r1, 2 * WORD(r9)             ; wrfl r5
	lw r1, T_RET(r10)
	sw r1, 3 * WORD(r9)             ; jr lr
	movi r4, PSW_IE | PSW_Z         ; what the routine's wrfl r4 sets
	movi r5, 0                      ; and wrfl r5 clears
	callr r9
	mov r8, r3
	print s_step4
	mov r1, r8
	call puthex
	print s_step4_end

; ---- 5. the words of gen_code as the guest reads them ---------------------
	print s_step5
	movi r8, 0
1:	shli r1, r8, WORD_SHIFT         ; WORD * r8
	add r1, r9, r1
	lw r1, 0(r1)
	call puthex
	addi r8, r8, 1
	cmpi r8, GEN_USED
	bge 2f
	putc_imm ' '
	b 1b
2:	putc_imm '\n'
	print s_done
	poweroff 0

; probe: a routine the kernel rewrites while it runs.
probe:
	movi r3, PROBE_FIRST            ; overwritten by steps 2 and 3
	jr lr

; Ordinary instructions that step 4 copies into gen_code.  Never run here.
templates:
	.equ T_RET, . - templates
	jr lr

; ---- the trap handler: every trap is unexpected ----------------------------
trap_entry:
	print s_unexpected
	call report_trap
	poweroff EXIT_UNEXPECTED

s_intro:	.asciz "selfmod: code written at run time, with critical instructions\n"
s_step1:	.asciz "selfmod: 1. probe as assembled: r3 = "
s_step2:	.asciz "selfmod: 2. probe rewritten to srr r3, r4: R = "
s_comma:	.asciz ", "
s_step2_end:	.asciz " (set: 0x00000000, 0xffffffff); word "
s_step3:	.asciz "selfmod: 3. probe rewritten to rdpsw r3: status = "
s_word:		.asciz "; word "
s_step4:	.asciz "selfmod: 4. gen_code (wrfl IE+Z; rdpsw; wrfl 0): status = "
s_step4_end:	.asciz " (S, IE and Z set on the bare machine)\n"
s_step5:	.asciz "selfmod: 5. gen_code reads back: "
s_done:		.asciz "selfmod: done\n"
s_unexpected:	.asciz "selfmod: unexpected trap\n"
	.align WORD
gen_code:	.space GEN_WORDS * WORD ; zero: illegal until written

	guest_lib
