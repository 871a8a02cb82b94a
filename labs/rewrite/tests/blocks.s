; blocks.s -- lab rewrite: a block ends at its first control transfer.
;
; After each unconditional jump below lies a word of DATA whose bits are
; those of a critical instruction.  The program never runs them: it loads
; them, stores over one, and loads it again.  A rewriter that scans past
; the jump patches data: the program still reads the right numbers (the
; load watch hides the patch), but the rewriter's figures (blocks,
; patches, watch traps) and memory differ from a correct one's.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

	insn_word D_RDPSW, OP_RDPSW, 3, 0   ; = rdpsw r3
	insn_word D_SRR, OP_SRR, 1, 2       ; = srr r1, r2

_start:
	set_new_psw handler
	b 1f
data1:	.word D_RDPSW                   ; data after a jump
1:	la r9, data1
	lw r1, 0(r9)
	call puthex
	putc_imm '\n'
	call sub
	la r9, data2
	lw r1, 0(r9)
	call puthex
	putc_imm '\n'
	li r1, D_SRR                    ; a store over the data word
	sw r1, 0(r9)
	lw r1, 0(r9)
	call puthex
	putc_imm '\n'
	poweroff 0

sub:	rdpsw r10                       ; a block: rdpsw patched, ends at ret
	ret
data2:	.word D_RDPSW                   ; data after the return

handler:
	call report_trap
	poweroff 1

	guest_lib
