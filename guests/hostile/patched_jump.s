; patched_jump.s -- hostile (ill-behaved variant, dynamic rewriting): jumps
; into the middle of patched code and reads and writes the patch words.
;
; Under binary rewriting a monitor replaces each critical instruction (srr,
; rdpsw, wrfl, rtu) with a patch word that traps, once control reaches it.
; This kernel attacks that bookkeeping.  Its routine `crit` holds four
; critical instructions among ordinary ones, behind a landing word `pre`.
; ROUNDS times it
;   1. jumps (callr, a computed address) to EVERY byte from `pre` to the
;      end of `crit`: the ten word-aligned ones run the routine from there
;      (into the middle of it, straight onto patch words, onto the words
;      after them), and each but the one onto its last word, jr lr, counts
;      itself on the way out; the thirty
;      misaligned ones are alignment faults, which its handler counts and
;      resumes after the jump;
;   2. reads every word (lw) and every byte (lbu) of `crit` back and
;      compares them with the copy it took before `crit` first ran: a guest
;      must see its own code, never a patch word;
;   3. stores every byte (sb) and every word (sw) of that copy back onto
;      `crit` -- the same values, onto patched words.
; It prints the four counts, each with the number it must be, and powers
; off with 0.  The sum of what the critical instructions read (r13) is
; left in a register, where the equivalence checker compares it with the
; bare machine's.
; test-exit: 0
	.isa ill
	.critical                       ; its critical instructions are the point
	.include "pg32.inc"
	.entry _start

	.equ ROUNDS, 50
	.equ CRIT_WORDS, 10             ; pre and crit, up to and with jr lr
	.equ CRIT_BYTES, CRIT_WORDS * WORD
	.equ COUNTED, CRIT_WORDS - 1    ; entries that pass addi r7: all but the
	                                ; one straight onto jr lr

; r7: entries into crit, r8: alignment faults, r9: words read back equal,
; r11: bytes read back equal, r10: 0 (for wrfl), r12: where the handler
; resumes after a misaligned jump, r13: what the critical instructions read.
_start:
	set_new_psw handler
	movi r7, 0
	movi r8, 0
	movi r9, 0
	movi r10, 0
	movi r11, 0
	movi r13, 0
	la r1, rounds_left
	movi r2, ROUNDS
	sw r2, 0(r1)
	; the copy of pre..crit's end, before any of it has run
	movi r0, 0
1:	la r1, pre
	add r1, r1, r0
	lw r2, 0(r1)
	la r1, orig
	add r1, r1, r0
	sw r2, 0(r1)
	addi r0, r0, WORD
	cmpi r0, CRIT_BYTES
	blt 1b

round:
	; 1. a computed jump to every byte of pre..crit
	movi r0, 0
jump_loop:
	la r1, pre
	add r1, r1, r0
	la r12, jumped
	callr r1
jumped:
	addi r0, r0, 1
	cmpi r0, CRIT_BYTES
	blt jump_loop

	; 2. read back every word and byte
	movi r0, 0
read_loop:
	la r1, pre
	add r1, r1, r0
	lbu r3, 0(r1)
	la r2, orig
	add r2, r2, r0
	lbu r4, 0(r2)
	cmp r3, r4
	bne 1f
	addi r11, r11, 1
1:	andi r5, r0, WORD - 1
	cmpi r5, 0
	bne 2f
	lw r3, 0(r1)
	lw r4, 0(r2)
	cmp r3, r4
	bne 2f
	addi r9, r9, 1
2:	addi r0, r0, 1
	cmpi r0, CRIT_BYTES
	blt read_loop

	; 3. store the same bytes, then the same words, onto the patched code
	movi r0, 0
write_loop:
	la r1, pre
	add r1, r1, r0
	la r2, orig
	add r2, r2, r0
	lbu r3, 0(r2)
	sb r3, 0(r1)
	addi r0, r0, 1
	cmpi r0, CRIT_BYTES
	blt write_loop
	movi r0, 0
1:	la r1, pre
	add r1, r1, r0
	la r2, orig
	add r2, r2, r0
	lw r3, 0(r2)
	sw r3, 0(r1)
	addi r0, r0, WORD
	cmpi r0, CRIT_BYTES
	blt 1b

	la r1, rounds_left
	lw r2, 0(r1)
	addi r2, r2, -1
	sw r2, 0(r1)
	cmpi r2, 0
	bgt round

	print s_entries
	mov r1, r7
	li r2, ROUNDS * COUNTED
	call count
	print s_faults
	mov r1, r8
	li r2, ROUNDS * (CRIT_BYTES - CRIT_WORDS)
	call count
	print s_words
	mov r1, r9
	li r2, ROUNDS * CRIT_WORDS
	call count
	print s_bytes
	mov r1, r11
	li r2, ROUNDS * CRIT_BYTES
	call count
	putc_imm '\n'
	poweroff 0

; count: print "r1 of r2" (changes r1..r4, r6 and lr; keeps r5 = lr).
count:
	mov r5, lr
	mov r6, r2
	call putdec
	print s_of
	mov r1, r6
	call putdec
	mov lr, r5
	ret

; handler: an alignment fault (a misaligned jump) is counted and resumed
; at r12; anything else is reported and ends the guest with 1.
handler:
	movi r1, 0
	lw r1, PG32_CAUSE(r1)
	cmpi r1, TRAP_ALIGN
	bne 1f
	addi r8, r8, 1
	movi r1, 0
	sw r12, PG32_OLD_PSW + PSW_OFF_PC(r1)
	return_from_trap
1:	call report_trap
	poweroff 1

; ---- the routine under attack: entered at any of its words -------------
pre:	nop                             ; the word before the first patch
crit:	srr r3, r4                      ; critical: patched
	rdpsw r5                        ; critical: patched, right after one
	add r13, r13, r5
	wrfl r10                        ; critical: flags and IE off
	rdpsw r5                        ; critical
	add r13, r13, r3
	add r13, r13, r4
	addi r7, r7, 1                  ; one more entry
	jr lr

s_entries:	.asciz "entries: "
s_faults:	.asciz ", alignment faults: "
s_words:	.asciz ", words read back: "
s_bytes:	.asciz ", bytes read back: "
s_of:	.asciz " of "
	.align WORD
rounds_left:	.word 0
orig:	.space CRIT_BYTES

	guest_lib
