; Layout: a misaligned instruction, bytes in the trap area, overlapping
; segments, a value needed before it is defined.
	.byte 1
	nop
	.org 0x10
	.word 1
	.org 0x100
	.word 2
	.org later
	.space later
later:	nop
