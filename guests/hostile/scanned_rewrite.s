; scanned_rewrite.s -- hostile (ill-behaved variant, dynamic rewriting):
; rewrites code the monitor has already scanned, patched words included,
; over and over in a tight loop, and runs it each time.
;
; A rewriting monitor scans a block when control first reaches it and
; patches its critical instructions (srr, rdpsw, wrfl, rtu).  Once a block
; is scanned, a store into it must make the monitor forget the scan (and
; put back or drop its patches) before the new code runs -- or the guest
; runs a stale patch (the old critical instruction) or a critical
; instruction nobody patched, which acts on the real machine.  This kernel
; has a routine `slot` of two words and `jr lr`.  ROUNDS times it
;   1. writes two instruction words from a table onto `slot` (critical and
;      ordinary ones, in a rotation, so a patch word is overwritten by
;      another critical instruction, by an ordinary one, and by itself)
;      and runs it;
;   2. writes the first word again, the same value onto what is now a
;      patch word, and runs `slot` again;
;   3. reads both words back: they must be the words it wrote.
; The words are made at run time (insn_word and li): the image holds none
; of them as code.  It prints the runs and the words read back, each with
; the number it must be, and powers off with 0; what the critical
; instructions read is summed in r13, which the equivalence checker
; compares with the bare machine's.
; test-exit: 0
	.isa ill
	.include "pg32.inc"
	.entry _start

	.equ ROUNDS, 1000
	.equ NCODES, 7                  ; words in the table (below)
	.equ RUNS_PER_ROUND, 2
	.equ READS_PER_ROUND, 2

	; the words written onto slot
	insn_word W_SRR_R3_R4, OP_SRR, 3, 4     ; srr r3, r4
	insn_word W_RDPSW_R5, OP_RDPSW, 5, 0    ; rdpsw r5
	insn_word W_WRFL_R10, OP_WRFL, 10, 0    ; wrfl r10 (r10 = 0: all off)
	insn_word W_NOP, OP_NOP, 0, 0           ; nop
	insn_word W_RDPSW_R3, OP_RDPSW, 3, 0    ; rdpsw r3
	insn_word W_SRR_R5_R4, OP_SRR, 5, 4     ; srr r5, r4

; r0: the round, r7: runs of slot, r9: words read back equal, r10: 0,
; r11, r12: the two words of this round, r13: what the critical
; instructions read.
_start:
	set_new_psw handler
	movi r7, 0
	movi r9, 0
	movi r10, 0
	movi r13, 0
	; the table, made at run time
	la r1, codes
	li r2, W_SRR_R3_R4
	sw r2, 0(r1)
	li r2, W_RDPSW_R5
	sw r2, WORD(r1)
	li r2, W_WRFL_R10
	sw r2, 2 * WORD(r1)
	li r2, W_NOP
	sw r2, 3 * WORD(r1)
	li r2, W_RDPSW_R3
	sw r2, 4 * WORD(r1)
	li r2, W_SRR_R5_R4
	sw r2, 5 * WORD(r1)
	li r2, W_SRR_R3_R4              ; twice: srr follows srr in the rotation
	sw r2, 6 * WORD(r1)

	movi r0, 0
round:
	; this round's words: codes[r0 % NCODES] and codes[(r0 + 3) % NCODES]
	movi r2, NCODES
	remu r1, r0, r2
	shli r1, r1, 2
	la r3, codes
	add r1, r3, r1
	lw r11, 0(r1)
	addi r1, r0, 3
	remu r1, r1, r2
	shli r1, r1, 2
	add r1, r3, r1
	lw r12, 0(r1)
	; 1. write both, run
	la r1, slot
	sw r11, 0(r1)
	sw r12, WORD(r1)
	call slot
	add r13, r13, r3
	add r13, r13, r4
	add r13, r13, r5
	; 2. the first word again, onto itself (a patch word by now), run
	la r1, slot
	sw r11, 0(r1)
	call slot
	add r13, r13, r3
	add r13, r13, r5
	; 3. read back
	la r1, slot
	lw r2, 0(r1)
	cmp r2, r11
	bne 1f
	addi r9, r9, 1
1:	lw r2, WORD(r1)
	cmp r2, r12
	bne 2f
	addi r9, r9, 1
2:	addi r0, r0, 1
	li r1, ROUNDS
	cmp r0, r1
	blt round

	print s_runs
	mov r1, r7
	li r2, ROUNDS * RUNS_PER_ROUND
	call count
	print s_reads
	mov r1, r9
	li r2, ROUNDS * READS_PER_ROUND
	call count
	putc_imm '\n'
	poweroff 0

; count: print "r1 of r2" (changes r1..r6 and lr, which it keeps in r5).
count:
	mov r5, lr
	mov r6, r2
	call putdec
	print s_of
	mov r1, r6
	call putdec
	mov lr, r5
	ret

; handler: no trap is expected at all; report it and end with 1.
handler:
	call report_trap
	poweroff 1

; ---- the code it rewrites ----------------------------------------------
slot:	nop                             ; rewritten every round
	nop                             ; rewritten every round
	addi r7, r7, 1                  ; one more run
	jr lr

s_runs:	.asciz "runs: "
s_reads:	.asciz ", words read back: "
s_of:	.asciz " of "
	.align WORD
codes:	.space NCODES * WORD

	guest_lib
