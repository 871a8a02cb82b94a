; .endm with no .macro open.
	nop
	.endm
