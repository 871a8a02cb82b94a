; A macro called with the wrong number of arguments, a macro named like
; an instruction, a duplicate parameter, a redefinition.
	.macro swap a, b
	xor \a, \a, \b
	xor \b, \a, \b
	xor \a, \a, \b
	.endm
	swap r1
	.macro add x
	.endm
	.macro dup p, p
	.endm
	.macro swap a, b
	.endm
