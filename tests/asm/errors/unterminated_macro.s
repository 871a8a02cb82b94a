; A .macro with no .endm before the end of the file.
	nop
	.macro half_done x
	addi \x, \x, 1
